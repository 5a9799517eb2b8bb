#!/usr/bin/env bash
# Debian packages corebox uses beyond Go: runc, the baseline of the
# container start benchmark. Idempotent.
set -euo pipefail
need=()
command -v runc >/dev/null || need+=(runc)
if ((${#need[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
