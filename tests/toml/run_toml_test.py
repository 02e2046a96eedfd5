#!/usr/bin/env python3
"""Run toml-test (TOML 1.0.0 cases) against Bailey's toml-decoder.

Usage: run_toml_test.py DECODER TOML_TEST_DIR

Every file listed in TOML_TEST_DIR/files-toml-1.0.0 is fed to DECODER on
stdin. valid/X.toml must exit 0 and print JSON equal, as a value, to
valid/X.json: tables and arrays compare structurally, integers as integers,
floats as numbers ("nan" and "inf" by name), strings, booleans and datetimes
as the text given. invalid/X.toml must exit 1 (not a crash) with a reason
naming "line L, column C" on stderr. Ends with the line
"toml-test: N passed, N failed, N skipped". Exits 77 (skip) when the test
directory is absent.
"""
import json
import math
import os
import re
import subprocess
import sys

WHERE = re.compile(r"line \d+, column \d+")


def tagged(v):
    return (isinstance(v, dict) and len(v) == 2 and isinstance(v.get("type"), str)
            and isinstance(v.get("value"), str))


def as_float(s):
    if s in ("nan", "+nan", "-nan"):
        return math.nan
    if s in ("inf", "+inf"):
        return math.inf
    if s == "-inf":
        return -math.inf
    return float(s)


def same(want, got, path="$"):
    """None when equal, otherwise a description of the first difference."""
    if tagged(want):
        if not tagged(got):
            return f"{path}: want {want}, got {got!r}"
        if want["type"] != got["type"]:
            return f"{path}: want type {want['type']}, got {got['type']}"
        w, g = want["value"], got["value"]
        if want["type"] == "float":
            try:
                fw, fg = as_float(w), as_float(g)
            except ValueError:
                return f"{path}: bad float {g!r}"
            if (math.isnan(fw) and math.isnan(fg)) or fw == fg:
                return None
            return f"{path}: want float {w}, got {g}"
        if want["type"] == "integer":
            try:
                ok = int(w) == int(g)
            except ValueError:
                ok = False
            return None if ok else f"{path}: want integer {w}, got {g}"
        return None if w == g else f"{path}: want {w!r}, got {g!r}"
    if isinstance(want, dict):
        if not isinstance(got, dict) or tagged(got):
            return f"{path}: want a table, got {got!r}"
        if set(want) != set(got):
            return f"{path}: keys differ: want {sorted(want)}, got {sorted(got)}"
        for k in want:
            d = same(want[k], got[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            return f"{path}: want an array of {len(want)}, got {got!r}"
        for i, (w, g) in enumerate(zip(want, got)):
            d = same(w, g, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if want == got else f"{path}: want {want!r}, got {got!r}"


def run(decoder, data):
    return subprocess.run([decoder], input=data, capture_output=True, timeout=30)


def check(decoder, root, name):
    """(result, message) with result one of 'pass', 'fail', 'skip'."""
    path = os.path.join(root, name)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as e:
        return "skip", f"cannot read: {e}"
    r = run(decoder, data)
    err = r.stderr.decode("utf-8", "replace").strip()
    if name.startswith("valid/"):
        if r.returncode != 0:
            return "fail", f"refused (exit {r.returncode}): {err}"
        with open(path[:-5] + ".json", "rb") as fh:
            want = json.load(fh)
        try:
            got = json.loads(r.stdout)
        except ValueError as e:
            return "fail", f"output is not JSON: {e}"
        d = same(want, got)
        return ("fail", d) if d else ("pass", "")
    if r.returncode != 1:
        return "fail", f"accepted or crashed (exit {r.returncode})"
    if not WHERE.search(err):
        return "fail", f"reason lacks line and column: {err}"
    return "pass", ""


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    decoder, root = sys.argv[1], sys.argv[2]
    listing = os.path.join(root, "files-toml-1.0.0")
    if not os.path.isfile(listing):
        print(f"toml-test: SKIP: {listing} is absent (../shared not present)")
        return 77
    counts = {"pass": 0, "fail": 0, "skip": 0}
    with open(listing) as fh:
        names = [l.strip() for l in fh if l.strip().endswith(".toml")]
    for name in names:
        try:
            res, msg = check(decoder, root, name)
        except subprocess.TimeoutExpired:
            res, msg = "fail", "timed out"
        counts[res] += 1
        if res != "pass":
            print(f"{res.upper()} {name}: {msg}")
    print(f"toml-test: {counts['pass']} passed, {counts['fail']} failed, "
          f"{counts['skip']} skipped")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
