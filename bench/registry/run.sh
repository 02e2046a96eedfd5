#!/usr/bin/env bash
# bench/registry: bailey-drawbridge next to nginx (Debian nginx-light), both on
# loopback, serving the same bytes in the same run:
#   1. GET throughput of a 64 MiB file (one keep-alive connection),
#   2. small-GET requests per second (1 KiB file, CONNS keep-alive connections).
# Both servers get the same number of workers (THREADS) and no access log.
# Prints each figure and the ratio Bailey/nginx (goal: >= 0.80 on both).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD/src/drawbridge/bailey-drawbridge
SECS=${SECS:-4}
CONNS=${CONNS:-8}
THREADS=${THREADS:-2}
[ -x "$BIN" ] || { echo "bench/registry: build first (make)"; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "bench/registry: nginx missing (scripts/deps.sh)"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d /tmp/bailey-bench-registry.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT

cc -O2 -pthread -o "$tmp/load" bench/registry/load.c
chmod 755 "$tmp"
mkdir -p "$tmp/www"
head -c $((64 << 20)) /dev/urandom >"$tmp/www/big.bin"
head -c 1024 /dev/urandom >"$tmp/www/small.bin"
chmod 644 "$tmp/www"/*

# Bailey
"$BIN" --store "$tmp/store" --dev --listen 127.0.0.1:0 --port-file "$tmp/port" \
	--threads "$THREADS" --log-level warn 2>"$tmp/bailey.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
bport=$(cat "$tmp/port")
token=$("$BIN" dev-token --store "$tmp/store" bench)
python3 - "$bport" "$token" "$tmp/www" <<'PY'
import base64, hashlib, http.client, json, sys
port, tok, www = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def req(m, p, body, ctype, digest=True):
    h = {"Authorization": "Bearer " + tok, "Content-Type": ctype}
    if digest:
        h["Content-Digest"] = "sha-256=:" + base64.b64encode(hashlib.sha256(body).digest()).decode() + ":"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(m, "/api/v0.1.0" + p, body=body, headers=h)
    r = c.getresponse(); r.read(); c.close()
    assert r.status == 201, (p, r.status)
def ent(b, t):
    return {"digest": {"sha-256": base64.b64encode(hashlib.sha256(b).digest()).decode()}, "length": len(b), "type": t}
canon = lambda o: json.dumps(o, separators=(",", ":"), sort_keys=True).encode()
files = {n: open(f"{www}/{n}", "rb").read() for n in ("big.bin", "small.bin")}
D = "application/vnd.drawbridge.directory.v1+json"
root = canon({n: ent(b, "application/octet-stream") for n, b in files.items()})
req("PUT", "/bench", canon({"subject": "bench"}), "application/json", False)
req("PUT", "/bench/data", canon({"public": True}), "application/json", False)
req("PUT", "/bench/data/_tag/1.0.0", canon(ent(root, D)), "application/vnd.drawbridge.entry.v1+json")
req("PUT", "/bench/data/_tag/1.0.0/tree", root, D)
for n, b in files.items():
    req("PUT", "/bench/data/_tag/1.0.0/tree/" + n, b, "application/octet-stream")
PY

# nginx, same bytes, same workers
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<NGX
worker_processes $THREADS;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000000;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nport; root $tmp/www; }
}
NGX
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" 2>>"$tmp/nginx/error.log" &
pids+=($!)
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1',$nport),1)" 2>/dev/null && break
	sleep 0.05
done

run() { # port path conns -> "requests bytes seconds errors"
	"$tmp/load" 127.0.0.1 "$1" "$2" "$3" "$SECS" | awk '{print $2, $4, $6, $8}'
}
bpath=/api/v0.1.0/bench/data/_tag/1.0.0/tree
# warm both page caches and connections
run "$bport" "$bpath/big.bin" 1 >/dev/null
SECS=1 run "$nport" /big.bin 1 >/dev/null

# Interleave ROUNDS rounds (the machine is shared; each server keeps its best round).
ROUNDS=${ROUNDS:-3}
: >"$tmp/results"
for r in $(seq "$ROUNDS"); do
	echo "bailey big $(run "$bport" "$bpath/big.bin" 1)" >>"$tmp/results"
	echo "nginx big $(run "$nport" /big.bin 1)" >>"$tmp/results"
	echo "bailey small $(run "$bport" "$bpath/small.bin" "$CONNS")" >>"$tmp/results"
	echo "nginx small $(run "$nport" /small.bin "$CONNS")" >>"$tmp/results"
done

[ -n "${VERBOSE:-}" ] && cat "$tmp/results"
python3 - "$tmp/results" "$ROUNDS" "$SECS" "$CONNS" "$THREADS" <<'PY'
import sys
best, errs = {}, {}
for line in open(sys.argv[1]):
    who, what, req, byt, secs, err = line.split()
    rate = (float(byt) / 2**20 if what == "big" else float(req)) / float(secs)
    best[who, what] = max(best.get((who, what), 0.0), rate)
    errs[who, what] = errs.get((who, what), 0) + int(err)
bt, nt = best["bailey", "big"], best["nginx", "big"]
bq, nq = best["bailey", "small"], best["nginx", "small"]
print(f"registry bench: best of {sys.argv[2]} interleaved rounds of {sys.argv[3]} s, "
      f"{sys.argv[5]} server threads/workers, loopback")
print(f"64 MiB GET throughput (1 conn):       bailey-drawbridge {bt:8.1f} MiB/s  nginx {nt:8.1f} MiB/s  ratio {bt/nt:.2f}")
print(f"1 KiB GET requests/s ({sys.argv[4]} conns):     bailey-drawbridge {bq:8.0f} req/s  nginx {nq:8.0f} req/s  ratio {bq/nq:.2f}")
print(f"errors: bailey {errs['bailey','big']}+{errs['bailey','small']}, nginx {errs['nginx','big']}+{errs['nginx','small']}; goal: ratio >= 0.80 on both")
PY
