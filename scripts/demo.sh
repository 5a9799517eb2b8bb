#!/usr/bin/env bash
# The demo: the 5G core (profile 5gc) with a simulated gNB, 10 UEs and a
# data network (profile 5glab), then the shipped lab 5g-basic: every UE
# registers (SUCI, 5G-AKA, NAS security), opens a PDU session and echoes
# UDP through gNB -> UPF -> DN. The report and a pcap of the run are
# written under lab-reports/; the profile stays up to explore.
#   scripts/demo.sh         run it (an earlier demo is updated in place)
#   scripts/demo.sh clean   bring it down
set -euo pipefail
cd "$(dirname "$0")/.."
cb=bin/corebox
tag=${VERSION:-dev}
export COREBOX_CNI_BIN=${COREBOX_CNI_BIN:-/var/cache/corebox/cni-v1.10.0/bin}

if [[ ${1:-} == clean ]]; then $cb down 5glab; exit 0; fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "validate and draw the profile"
$cb validate 5glab
$cb graph 5glab --format mermaid | head -30
out=lab-reports/demo-$(date +%Y%m%d-%H%M%S)
step "lab 5g-basic: bring up the core and the RAN, register 10 UEs, open sessions, send traffic"
$cb lab run 5g-basic --tag "$tag" --keep --report "$out" --capture "$out/5g.pcap" --set ciphering=NEA0
step "status (sctp= shows the N2 transport)"
$cb status 5glab
step "the UDR's subscribers"
$cb subscriber ls --profile 5glab | head -5 || true
if command -v tshark >/dev/null; then
  step "the captured call flow, decoded by tshark (first NGAP and NAS messages)"
  tshark -r "$out/5g.pcap" -d udp.port==38412,sctp -d tcp.port==8000,http2 -o nas-5gs.null_decipher:TRUE \
    -Y "ngap || pfcp" 2>/dev/null | head -25 || true
fi
echo
echo "Report: $out/report.html  (JSON: $out/report.json, capture: $out/5g.pcap)"
echo "The core stays up: try 'bin/corebox status 5glab', 'bin/corebox events -f',"
echo "'bin/corebox lab run 5g-basic --ues 50', or 'bin/corebox exec 5glab-ue-0 -- corenf ip addr'."
echo "Bring it down with 'make demo-clean'."
