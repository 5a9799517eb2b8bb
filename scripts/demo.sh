#!/usr/bin/env bash
# The demo: two NF containers on two CNI networks. x is on a and b, y on b
# only; x reaches y over b by the address IPAM gave y, through TCP and UDP.
#   scripts/demo.sh         bring it up (replacing an earlier demo) and show it
#   scripts/demo.sh clean   remove it
set -euo pipefail
cd "$(dirname "$0")/.."
cb=bin/corebox
tag=${VERSION:-dev}
export COREBOX_CNI_BIN=${COREBOX_CNI_BIN:-/var/cache/corebox/cni-v1.10.0/bin}

clean() {
  $cb rm -f demo-x demo-y >/dev/null 2>&1 || true
  $cb net rm demo-a demo-b >/dev/null 2>&1 || true
}
if [[ ${1:-} == clean ]]; then clean; echo "demo removed"; exit 0; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
clean
step "networks"
$cb net create demo-a --subnet 10.77.1.0/24
$cb net create demo-b --subnet 10.77.2.0/24
step "containers (data-network hosts answering TCP and UDP echo on port 7)"
$cb run --image "corebox/dn:$tag" --name demo-y --net demo-b
$cb run --image "corebox/dn:$tag" --name demo-x --net demo-a --net demo-b
$cb ps
y=$($cb inspect -f '{{addr . "demo-b"}}' demo-y)
step "x -> y over demo-b ($y), TCP"
echo "hello over TCP from demo-x" | $cb exec -i demo-x -- corenf nc -w 2s "$y" 7
step "x -> y over demo-b ($y), UDP"
echo "hello over UDP from demo-x" | $cb exec -i demo-x -- corenf nc -u -w 1s "$y" 7
step "interfaces inside demo-x"
$cb exec demo-x -- corenf ip
step "counters"
$cb stats demo-x demo-y
echo
echo "The demo stays up: try 'bin/corebox logs demo-y' or 'bin/corebox exec demo-x -- corenf ip'."
echo "Remove it with 'make demo-clean'."
