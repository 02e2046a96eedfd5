#!/usr/bin/env bash
# Benchmark Bailey's Wasm interpreter against Node.js (V8) on the same modules.
# Builds kernels.c with clang --target=wasm32-wasi (-nostdlib, exported entry
# points), runs each kernel once under build/src/wasm/wasm-run and once under
# node, checks both give the same result, prints the times, the ratio
# Bailey/Node, and the geometric mean of the ratios. Each side runs REPS times
# (default 3) and keeps its best time, since the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
REPS=${REPS:-3}
hook=$BUILD/src/wasm/wasm-run
out=$BUILD/bench/wasm
mkdir -p "$out"
[ -x "$hook" ] || ninja -C "$BUILD" src/wasm/wasm-run >/dev/null
command -v node >/dev/null || { echo "bench/wasm: node not installed; skipped"; exit 0; }
clang --target=wasm32-wasi -O2 -mbulk-memory -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
	-o "$out/kernels.wasm" bench/wasm/kernels.c

# kernel argument
kernels=("fib 34" "sieve 20" "matmul 40" "crc32 3000" "dispatch 20000000" "mix64 20000000")
printf '%-10s %12s %12s %8s\n' kernel bailey_s node_s ratio
logsum=0 n=0
for k in "${kernels[@]}"; do
	set -- $k
	tb=999999 tn=999999
	for _ in $(seq "$REPS"); do
		read -r rb t < <("$hook" "$out/kernels.wasm" "$1" "$2")
		tb=$(awk -v a="$t" -v b="$tb" 'BEGIN { print (a < b) ? a : b }')
		read -r rn t < <(node bench/wasm/run.js "$out/kernels.wasm" "$1" "$2")
		tn=$(awk -v a="$t" -v b="$tn" 'BEGIN { print (a < b) ? a : b }')
	done
	if [ "$rb" != "$rn" ]; then
		echo "$1: results differ (bailey $rb, node $rn)" >&2
		exit 1
	fi
	ratio=$(awk -v a="$tb" -v b="$tn" 'BEGIN { printf "%.2f", a / b }')
	printf '%-10s %12s %12s %8s\n' "$1" "$tb" "$tn" "$ratio"
	logsum=$(awk -v s="$logsum" -v r="$ratio" 'BEGIN { printf "%.6f", s + log(r) }')
	n=$((n + 1))
done
awk -v s="$logsum" -v n="$n" 'BEGIN { printf "geometric mean Bailey/Node: %.2f over %d kernels\n", exp(s / n), n }'
