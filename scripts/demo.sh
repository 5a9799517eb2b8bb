#!/usr/bin/env bash
# The demo: the shipped `demo` profile (a registry, a control NF that
# depends on it, two gateways that autoscale on load, and a data network
# host), brought up in dependency order; then traffic from a gateway to the
# data network over n6, and the profile's status and events.
#   scripts/demo.sh         bring it up (an earlier demo is updated in place)
#   scripts/demo.sh clean   bring it down
set -euo pipefail
cd "$(dirname "$0")/.."
cb=bin/corebox
tag=${VERSION:-dev}
export COREBOX_CNI_BIN=${COREBOX_CNI_BIN:-/var/cache/corebox/cni-v1.10.0/bin}

if [[ ${1:-} == clean ]]; then $cb down demo; exit 0; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "validate and draw the profile"
$cb validate demo
$cb graph demo --format mermaid | head -20
step "bring it up"
$cb up demo --tag "$tag"
step "status"
$cb status demo
dn=$($cb inspect -f '{{addr . "n6"}}' demo-dn-0)
step "demo-gateway-0 -> demo-dn-0 over n6 ($dn), TCP and UDP echo"
echo "hello over TCP from the gateway" | $cb exec -i demo-gateway-0 -- corenf nc -w 2s "$dn" 7
echo "hello over UDP from the gateway" | $cb exec -i demo-gateway-0 -- corenf nc -u -w 1s "$dn" 7
step "scale the gateways to 3, then to 2 (the removed one is drained first)"
$cb scale demo gateway=3
$cb scale demo gateway=2
step "events"
$cb events --profile demo | tail -15
echo
echo "The demo stays up: try 'bin/corebox status demo', 'bin/corebox events -f' or 'bin/corebox graph demo'."
echo "Bring it down with 'make demo-clean'."
