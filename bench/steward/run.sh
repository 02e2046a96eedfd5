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

# The same over HTTP: the server on one thread pinned to CPU 0, a keep-alive
# client on CPU 1 (when there is one), for the same number of seconds.
tmp=$(mktemp -d)
trap 'kill "$spid" 2>/dev/null || true; [ -n "${KEEP_LOG:-}" ] && cp "$tmp/log" /tmp/bench-steward.log; rm -rf "$tmp"' EXIT
cat >"$tmp/steward.toml" <<TOML
[snp]
allow = true
hash = ["ff717ae719840c93c1fca3b7db96488454c3c21b43531488eecff51cfed3febcd91da8be87a4cbcbc52a3bae770987c3"]
TOML
"${pin[@]}" build/src/steward/bailey-steward --dev --config "$tmp/steward.toml" --threads 1 \
	--listen 127.0.0.1:0 --port-file "$tmp/port" --at 2023-02-01T00:00:00Z 2>"$tmp/log" &
spid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
client_pin=()
[ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null && client_pin=(taskset -c 1)
"${client_pin[@]}" python3 - "$(cat "$tmp/port")" "$csr" "$secs" <<'PY'
import http.client, sys, time
port, csr, secs = int(sys.argv[1]), open(sys.argv[2], "rb").read(), float(sys.argv[3])
c = http.client.HTTPConnection("127.0.0.1", port)
n, t0 = 0, time.monotonic()
while time.monotonic() - t0 < secs:
    c.request("POST", "/", csr, {"Content-Type": "application/pkcs10"})
    r = c.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"HTTP {r.status}")
    n += 1
print(f"steward over HTTP, 1 server thread, keep-alive client    {n / (time.monotonic() - t0):9.1f} certificates/s")
PY
