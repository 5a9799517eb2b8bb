#!/usr/bin/env bash
# Runs every fuzz target for a while (FUZZTIME, default 1m each). Seed
# corpora live in each package's testdata/fuzz. The image extractor's
# targets run in a private mount namespace with / read-only, so a bug can
# never write to the host (see platform/image/testdata/fuzz-sandbox.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${FUZZTIME:-1m}
go test -run '^$' -fuzz '^FuzzReadFrame$' -fuzztime "$t" ./orchestrator/api/
go test -run '^$' -fuzz '^FuzzParseNetworkSpec$' -fuzztime "$t" ./cni/
platform/image/testdata/fuzz-sandbox.sh FuzzExtract "$t"
platform/image/testdata/fuzz-sandbox.sh FuzzExtractEntries "$t"
