#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, kube-controller-
# manager, kube-scheduler, kubectl) from the Go module proxy, for the
# Kubernetes backend's tests, into a cache keyed by version:
#   /var/cache/corebox/k8s-$K8S_VERSION/bin
# A cold build takes about 20 minutes on 2 cores; later runs find the
# binaries and return at once. etcd comes from Debian (etcd-server).
set -euo pipefail
K8S_VERSION=${K8S_VERSION:-v1.37.2}
STAGING=${K8S_STAGING:-v0.37.2}
CACHE=${COREBOX_CACHE:-/var/cache/corebox}/k8s-$K8S_VERSION
BINS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

have_all() { for b in "${BINS[@]}"; do [[ -x $CACHE/bin/$b ]] || return 1; done; }
if have_all; then echo "kubernetes $K8S_VERSION: cached in $CACHE/bin"; exit 0; fi

work=$CACHE/build
mkdir -p "$work" "$CACHE/bin"
cd "$work"
# k8s.io/kubernetes replaces its staging modules with ./staging paths, so a
# scratch module requires it and points every staging module at the
# published version instead.
gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
[[ -f $gomod ]] || { echo "build-k8s: no go.mod for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
{
  echo "module corebox.local/kbuild"
  echo
  echo "go 1.26.0"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk '{print $1}' |
    grep -v -e sample-cli-plugin -e sample-controller | sed "s|.*|\t& => & $STAGING|"
  echo ")"
} > go.mod
pkgs=()
for b in "${BINS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b@$K8S_VERSION"); done
GOFLAGS=-mod=mod go get "${pkgs[@]}"
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
ld="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
for b in "${BINS[@]}"; do
  echo "build-k8s: building $b $K8S_VERSION"
  CGO_ENABLED=0 go build -ldflags "$ld" -o "$CACHE/bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
  mv "$CACHE/bin/$b.tmp" "$CACHE/bin/$b"
done
echo "kubernetes $K8S_VERSION: built into $CACHE/bin"
