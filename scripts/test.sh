#!/usr/bin/env bash
# The test suite: vet, then every package with the race detector. As root
# the root-only tests (containers, namespaces, CNI) run too; they check
# that nothing is left on the host, so packages run one at a time (-p 1):
# one package's containers must not show up in another's leak check.
set -euo pipefail
cd "$(dirname "$0")/.."
export COREBOX_CNI_BIN=${COREBOX_CNI_BIN:-/var/cache/corebox/cni-v1.10.0/bin}
export COREBOX_K8S_BIN=${COREBOX_K8S_BIN:-/var/cache/corebox/k8s-v1.37.2/bin}
if [[ $(id -u) != 0 ]]; then
  echo "note: not root; tests that need namespaces, cgroups and CNI will skip (CI runs as root)"
fi
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [[ -n $unformatted ]]; then
  echo "gofmt wants to rewrite:"; echo "$unformatted"; exit 1
fi
go vet ./...
go test -race -p 1 -count=1 -timeout 40m "$@" ./...
