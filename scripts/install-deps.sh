#!/usr/bin/env bash
# Debian packages corebox's tests and benchmarks use. Idempotent.
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
command -v tshark >/dev/null || need+=(tshark)
command -v iperf3 >/dev/null || need+=(iperf3)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
