#!/usr/bin/env bash
# Run the WebAssembly core spec testsuite (non-SIMD files) through Bailey.
# usage: run.sh RUNNER OUTDIR [SUITE_DIR [LABEL]]
# Converts each .wast with Debian's wast2json into OUTDIR (the build tree), runs
# RUNNER on it, prints one line per file and last "spec: N passed, N failed, N skipped".
# Exits 77 (meson's skip) when the testsuite or wast2json is absent.
set -uo pipefail
runner=$1
out=$2
suite=${3:-}
[ -n "$suite" ] || suite=${BAILEY_SHARED:-$(dirname "$0")/../../../shared}/wasm-testsuite
label=${4:-spec}
if [ ! -d "$suite" ]; then
	echo "$label: SKIP: $suite is absent (../shared not checked out)"
	exit 77
fi
if ! command -v wast2json >/dev/null; then
	echo "$label: SKIP: wast2json not installed (apt-get install wabt)"
	exit 77
fi
mkdir -p "$out"
p=0 f=0 s=0
for wast in "$suite"/*.wast; do
	name=$(basename "$wast" .wast)
	case $name in simd_*) continue ;; esac
	json=$out/$name.json
	if [ ! -f "$json" ] || [ "$wast" -nt "$json" ]; then
		if ! wast2json "$wast" -o "$json" 2>"$out/$name.wast2json.log"; then
			echo "$name: conversion failed (see $out/$name.wast2json.log)"
			f=$((f + 1))
			continue
		fi
	fi
	line=$("$runner" "$json" 2>&1 | tee "$out/$name.log" | tail -1)
	if [[ $line =~ ^[^:]*:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
		p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2])) s=$((s + BASH_REMATCH[3]))
		echo "$line"
	else
		echo "$name: runner crashed ($line)"
		f=$((f + 1))
	fi
done
echo "$label: $p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
