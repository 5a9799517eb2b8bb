#!/usr/bin/env bash
# Debian packages corebox uses beyond Go: runc (the baseline of the
# container start benchmark), tshark (decodes the labs' captures in the
# end-to-end tests), iperf3 (traffic through a UE's session) and etcd
# (the store of the real Kubernetes control plane the kube tests run).
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
command -v tshark >/dev/null || need+=(tshark)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v etcd >/dev/null || need+=(etcd-server)
if ((${#need[@]})) && [[ $(id -u) != 0 ]]; then
  echo "note: not root, so not installing ${need[*]}; tests that need them skip"
  exit 0
fi
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
