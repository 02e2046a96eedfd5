#!/usr/bin/env bash
# bench/steward: certificates issued per second by Steward for the real SEV-SNP
# CSR on one core, next to the same cryptography alone (EVP calls, same run).
# Usage: bench/steward/run.sh [SECONDS]   (default 5 per measurement)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
shared=${BAILEY_SHARED:-$(cd .. && pwd)/shared}
csr=$shared/vectors/steward/milan.signed.crl.csr
path=$shared/vectors/steward/milan.pkipath
if [ ! -f "$csr" ]; then
	echo "bench/steward: SKIP: $csr not found"
	exit 0
fi
ninja -C build bench/steward/bench_steward >/dev/null 2>&1 || ninja -C build >/dev/null
bin=build/src/steward/bench_steward
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
echo "== bench/steward: SNP issuance vs its cryptography ($secs s each, pinned to one CPU)"
"${pin[@]}" "$bin" "$csr" "$path" 2023-02-01T00:00:00Z "$secs"
