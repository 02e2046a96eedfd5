#!/usr/bin/env bash
# `make demo`: the most complete path of the flow that exists today, run for
# real on this machine. Each step says what it shows; nothing is faked.
set -euo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build/src/cli/bailey
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Bailey $($B --version | awk '{print $2}')"
$B --help

say "1. Stage: a workload is main.wasm + Enarx.toml (built here from examples/hello)"
clang --target=wasm32-wasi -O2 -o "$work/main.wasm" examples/hello/main.c
cp examples/hello/Enarx.toml "$work/Enarx.toml"
$B config check "$work/Enarx.toml"
echo "Content digests, as Drawbridge addresses every node of a package:"
(cd "$work" && $B digest main.wasm Enarx.toml)

say "3. Deploy and run (nil backend): bailey run starts bailey-exec, the guest runtime"
mkdir -p "$work/data"
$B run --wasmcfgfile "$work/Enarx.toml" --dir "$work/data::/data" "$work/main.wasm" demo-arg
$B run --wasmcfgfile "$work/Enarx.toml" --dir "$work/data::/data" "$work/main.wasm"
echo "host side: $work/data/visits = $(cat "$work/data/visits")"

say "A tampered module is refused before it runs"
cd_val=$($B digest --alg sha-256 "$work/main.wasm" | awk '{print $1}')
printf 'x' >>"$work/main.wasm"
if $B digest --check "$cd_val" "$work/main.wasm"; then
	echo "demo: a tampered file passed the check" >&2
	exit 1
fi
echo "(refused, as it must be)"
