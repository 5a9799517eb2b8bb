#!/usr/bin/env bash
# Builds the pinned CNI reference plugins into a cache directory, once.
set -euo pipefail
version=${1:?version}
dir=${2:?plugin dir}
plugins=(main/bridge main/macvlan main/ptp main/loopback ipam/host-local ipam/static meta/tuning meta/bandwidth)
if [[ -f "$dir/VERSION" && "$(cat "$dir/VERSION")" == "$version" ]]; then
  missing=0
  for p in "${plugins[@]}"; do [[ -x "$dir/$(basename "$p")" ]] || missing=1; done
  if [[ $missing == 0 ]]; then echo "CNI plugins $version already in $dir"; exit 0; fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for p in "${plugins[@]}"; do
  echo "building CNI plugin $(basename "$p") $version"
  GOBIN="$tmp" CGO_ENABLED=0 go install "github.com/containernetworking/plugins/plugins/$p@$version"
done
mkdir -p "$dir"
for p in "${plugins[@]}"; do mv -f "$tmp/$(basename "$p")" "$dir/"; done
echo "$version" > "$dir/VERSION"
echo "CNI plugins $version installed in $dir"
