#!/usr/bin/env bash
# bench/attest/run.sh — evidence verifications per second next to the bare
# signature verifications they contain (same run). Builds build/ if needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ninja -C build bench/attest/bench_attest >/dev/null 2>&1 || ninja -C build >/dev/null
exe=$(find build -name bench_attest -type f -perm -u+x | head -1)
echo "== bench/attest (${SECONDS_PER:-2}s each)"
"$exe" "${BAILEY_SHARED:-../shared}" "${SECONDS_PER:-2}"
