#!/usr/bin/env bash
# Debian packages corebox uses beyond Go: runc (the baseline of the
# container start benchmark), tshark (decodes the labs' captures in the
# end-to-end tests), iperf3 (traffic through a UE's session), etcd
# (the store of the real Kubernetes control plane the kube tests run),
# sipp (the SIP stack of the IMS interop tests) and kamailio (the
# registrar/proxy baseline of the IMS call benchmark).
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
command -v tshark >/dev/null || need+=(tshark)
command -v iperf3 >/dev/null || need+=(iperf3)
command -v etcd >/dev/null || need+=(etcd-server)
command -v sipp >/dev/null || need+=(sip-tester)
command -v kamailio >/dev/null || need+=(kamailio)
if ((${#need[@]})) && [[ $(id -u) != 0 ]]; then
  echo "note: not root, so not installing ${need[*]}; tests that need them skip"
  exit 0
fi
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  # Tests start kamailio themselves, on loopback ports of their choosing:
  # the package's own service must not start.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
