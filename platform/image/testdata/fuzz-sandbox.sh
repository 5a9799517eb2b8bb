#!/bin/sh
# Fuzz Extract as root without risking the host: a private mount
# namespace with / read-only, /tmp a fresh tmpfs, and only the Go build
# cache and this package's testdata (where failing inputs are written)
# writable. A bug the fuzzer finds cannot then write outside /tmp.
#
#   platform/image/testdata/fuzz-sandbox.sh FuzzExtract 2m
#   platform/image/testdata/fuzz-sandbox.sh FuzzExtractEntries 5m
set -eu
target=${1:?fuzz target, e.g. FuzzExtract}
fuzztime=${2:-2m}
pkg=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${COREBOX_FUZZ_SANDBOXED:-}" ]; then
	exec unshare --mount env COREBOX_FUZZ_SANDBOXED=1 "$0" "$@"
fi
gocache=$(go env GOCACHE)
mount --make-rprivate /
mount -t tmpfs -o size=4g tmpfs /tmp
mount --bind "$gocache" "$gocache"
mount --bind "$pkg/testdata" "$pkg/testdata"
mount -o remount,bind,ro /
cd "$pkg"
exec go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 10x .
