#!/usr/bin/env bash
# TOML decoding speed: Bailey's toml-decoder against Python's tomllib (the
# peer), both reading a generated document and writing toml-test's tagged
# JSON. Prints the times and the ratio; decides nothing.
set -euo pipefail
cd "$(dirname "$0")/../.."
dec=build/tests/toml/toml-decoder
[ -x "$dec" ] || { echo "bench/toml: build first (make)"; exit 0; }
python3 -c 'import tomllib' 2>/dev/null || { echo "bench/toml: no tomllib (Python < 3.11)"; exit 0; }
doc=$(mktemp)
trap 'rm -f "$doc"' EXIT
python3 - "$doc" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write(f'[[workload]]\nname = "w{i}"\nport = {i}\nratio = {i}.5e-3\n'
                f'when = 2024-01-0{i % 9 + 1}T10:00:00Z\nargs = ["--x", "y\\tz", \'{i}\']\n'
                f'env = {{ A = "1", B = true }}\n\n')
PY
peer='import sys, tomllib, json, datetime
def tag(v):
    if isinstance(v, dict): return {k: tag(x) for k, x in v.items()}
    if isinstance(v, list): return [tag(x) for x in v]
    if isinstance(v, bool): return {"type": "bool", "value": str(v).lower()}
    if isinstance(v, int): return {"type": "integer", "value": str(v)}
    if isinstance(v, float): return {"type": "float", "value": repr(v)}
    if isinstance(v, str): return {"type": "string", "value": v}
    return {"type": "datetime", "value": v.isoformat()}
json.dump(tag(tomllib.load(sys.stdin.buffer)), sys.stdout, indent=1)'
t() { # command... ; prints seconds
	local s e
	s=$(date +%s.%N)
	"$@" <"$doc" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}
ours=$(t "$dec")
theirs=$(t python3 -c "$peer")
printf 'bench/toml: %s bytes; toml-decoder %.3fs, python3 tomllib %.3fs; ratio (peer/ours) %.1fx\n' \
	"$(stat -c %s "$doc")" "$ours" "$theirs" "$(echo "$theirs / $ours" | bc -l)"
