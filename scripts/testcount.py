#!/usr/bin/env python3
"""Count passed/failed/skipped cases in a meson testlog.json.

A TAP test (its output has a plan line "1..N") counts each "ok"/"not ok" line (a "# SKIP" directive counts as
skipped); a test whose output carries a closing line "N passed, N failed[,
N skipped]" (optionally after one word and a colon) counts those numbers;
any other test counts as one case by its result. A test that failed but
reported no failing case counts one failure more, so a crash is never lost.
Prints "passed failed skipped".
"""
import json
import re
import sys

SUMMARY = re.compile(r"^(?:[\w-]+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$")
TAP = re.compile(r"^(not ok|ok)\b(.*)$")


def count(path):
    p = f = s = 0
    with open(path) as fh:
        for line in fh:
            t = json.loads(line)
            out = t.get("stdout") or ""
            res = t.get("result", "")
            tp = tf = ts = 0
            summary = None
            for l in out.splitlines():
                m = SUMMARY.match(l.strip())
                if m:
                    summary = m
            if summary:
                tp, tf = int(summary.group(1)), int(summary.group(2))
                ts = int(summary.group(3) or 0)
            elif re.search(r"^1\.\.\d+", out, re.M):
                for l in out.splitlines():
                    m = TAP.match(l)
                    if not m:
                        continue
                    if "# SKIP" in m.group(2).upper():
                        ts += 1
                    elif m.group(1) == "ok":
                        tp += 1
                    else:
                        tf += 1
            if tp + tf + ts == 0:
                if res == "SKIP":
                    ts = 1
                elif res == "OK":
                    tp = 1
            if res not in ("OK", "SKIP", "EXPECTEDFAIL") and tf == 0:
                tf += 1
            p, f, s = p + tp, f + tf, s + ts
    return p, f, s


if __name__ == "__main__":
    tot = [0, 0, 0]
    for path in sys.argv[1:]:
        for i, v in enumerate(count(path)):
            tot[i] += v
    print(*tot)
