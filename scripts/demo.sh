#!/usr/bin/env bash
# `make demo`: the most complete path of the flow that exists today, run for
# real. Each step says what it shows.
set -euo pipefail
cd "$(dirname "$0")/.."
B=build/src/cli/bailey
shared=../shared

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Bailey $($B --version | awk '{print $2}'): what exists today"
$B --help

say "Stage: content-address a workload tree as Drawbridge does (RFC 9530 Content-Digest)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'steward = "https://attest.example"\nargs = ["--greeting", "hello"]\n' >"$work/Enarx.toml"
printf '\0asm\1\0\0\0' >"$work/main.wasm"
(cd "$work" && "$OLDPWD/$B" digest --alg sha-256,sha-384 main.wasm Enarx.toml)
cd_val=$($B digest --alg sha-256 "$work/main.wasm" | awk '{print $1}')
say "Check a file against its digest, then against a tampered copy"
$B digest --check "$cd_val" "$work/main.wasm"
printf 'x' >>"$work/main.wasm"
if $B digest --check "$cd_val" "$work/main.wasm"; then
	echo "demo: a tampered file passed the check" >&2
	exit 1
fi
echo "(refused, as it must be)"
