#!/usr/bin/env bash
# `make demo`: the flow of ../shared/seeds as far as it exists today, run for
# real on this machine, on loopback only. Each step says what it shows.
# Steps that need the real attestation evidence in ../shared/vectors say so
# and are skipped when it is absent. Nothing is faked.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
B=$root/build/src/cli/bailey
DB=$root/build/src/drawbridge/bailey-drawbridge
ST=$root/build/src/steward/bailey-steward
VEC=$root/../shared/vectors
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
note() { printf '\033[2m-- %s\033[0m\n' "$*"; }
wait_port() { # file -> port
	for _ in $(seq 200); do
		[ -s "$1" ] && grep -q . "$1" && { tr -d '\n' <"$1"; return; }
		sleep 0.05
	done
	echo "demo: server did not start" >&2
	exit 1
}

say "Bailey $($B --version | awk '{print $2}'): publisher -> registry -> Keep -> Steward -> relying party"

say "1. Stage: the publisher builds a workload (examples/hello) and publishes it to Drawbridge"
mkdir -p "$work/pkg"
clang --target=wasm32-wasi -O2 -Wl,--strip-debug -o "$work/pkg/main.wasm" examples/hello/main.c
cp examples/hello/Enarx.toml "$work/pkg/Enarx.toml"
$B config check "$work/pkg/Enarx.toml"
$DB --dev --store "$work/registry" --listen 127.0.0.1:0 --port-file "$work/db.port" \
	>"$work/drawbridge.log" 2>&1 &
pids+=($!)
reg=127.0.0.1:$(wait_port "$work/db.port")
note "bailey-drawbridge --dev listens on $reg (development token issuer; no identity provider needed)"
export BAILEY_TOKEN=$($DB dev-token --store "$work/registry" alice)
R="--insecure-http"
$B user register $R "$reg/alice"
$B repo register $R "$reg/alice/hello"
$B package publish $R "$reg/alice/hello:1.0.0" "$work/pkg"
$B tag list $R "$reg/alice/hello"

say "2. Prepare the host: verify real AMD SEV-SNP evidence offline, as of when its collateral was valid"
if [ -d "$VEC" ]; then
	$B attest verify --kind snp --at 2023-02-01T00:00:00Z --vcek "$VEC/steward/milan.vcek" \
		"$VEC/steward/milan.rprt" | grep -E '^(kind|product|measurement|debug|reported_tcb|signing_key):'
	cp "$VEC/steward/milan.rprt" "$work/tampered.rprt"
	printf '\x01' | dd of="$work/tampered.rprt" bs=1 seek=144 conv=notrunc status=none
	note "the same report with one byte of its measurement changed:"
	if $B attest verify --kind snp --at 2023-02-01T00:00:00Z --vcek "$VEC/steward/milan.vcek" \
		"$work/tampered.rprt"; then
		echo "demo: a tampered report verified" >&2
		exit 1
	fi
else
	note "skipped: ../shared/vectors (real evidence) is absent"
fi

say "3a. Deploy: the Keep fetches the package, checking every digest against its parent and the tag"
$B package fetch $R "$reg/alice/hello:1.0.0" "$work/deployed"
note "a blob damaged on the registry's disk is caught, and the fetch leaves nothing behind:"
blob=$(find "$work/registry/blobs" -type f -size +10k | head -n 1)
cp "$blob" "$work/blob.bak"
printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc status=none
if $B package fetch $R "$reg/alice/hello:1.0.0" "$work/damaged"; then
	echo "demo: a damaged package was fetched" >&2
	exit 1
fi
[ ! -e "$work/damaged" ] || [ -z "$(ls -A "$work/damaged")" ]
cp "$work/blob.bak" "$blob"

say "3b. Identity: Steward checks the evidence in a Keep's CSR and issues a certificate"
if [ -d "$VEC" ]; then
	$ST init-ca --curve P-384 --out "$work/ca" >/dev/null
	cat >"$work/steward.toml" <<TOML
[ca]
key = "ca/ca.key"
cert = "ca/ca.crt"

[snp]
allow = true
hash = ["ff717ae719840c93c1fca3b7db96488454c3c21b43531488eecff51cfed3febcd91da8be87a4cbcbc52a3bae770987c3"]
abi = "1.51"
TOML
	$ST --config "$work/steward.toml" --at 2023-02-01T00:00:00Z --listen 127.0.0.1:0 \
		--port-file "$work/st.port" >"$work/steward.log" 2>&1 &
	pids+=($!)
	st=$(wait_port "$work/st.port")
	note "bailey-steward on 127.0.0.1:$st; the CSR is a real one from an Enarx Keep on AMD Milan"
	python3 - "$st" "$VEC/steward/milan.signed.crl.csr" "$work" <<'PY'
import http.client, subprocess, sys
port, csr, work = sys.argv[1], open(sys.argv[2], "rb").read(), sys.argv[3]
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=30)
c.request("POST", "/", csr, {"Content-Type": "application/pkcs10"})
r = c.getresponse()
body = r.read()
print(f"POST / -> {r.status} {r.reason}, {len(body)} bytes")
if r.status != 200:
    print(body.decode(errors="replace"))
    sys.exit(1)
# The answer is DER SEQUENCE OF Certificate, CA first, leaf last: split it.
def tlv(b, i):
    l = b[i + 1]; h = 2
    if l & 0x80:
        n = l & 0x7f; l = int.from_bytes(b[i + 2:i + 2 + n], "big"); h = 2 + n
    return h, l
h, l = tlv(body, 0)
i, certs = h, []
while i < h + l:
    hh, ll = tlv(body, i); certs.append(body[i:i + hh + ll]); i += hh + ll
for n, der in enumerate(certs):
    open(f"{work}/cert{n}.der", "wb").write(der)
print(f"chain: {len(certs)} certificates")
PY
	openssl x509 -inform DER -in "$work/cert1.der" -out "$work/leaf.pem"
	openssl verify -CAfile "$work/ca/ca.crt" "$work/leaf.pem"
	openssl x509 -in "$work/leaf.pem" -noout -subject -issuer -ext basicConstraints,keyUsage,extendedKeyUsage
	openssl x509 -in "$work/leaf.pem" -noout -text | grep -E '1\.3\.6\.1\.4\.1\.58270|2\.23\.133\.5\.4\.5' |
		sed 's/^ */  extension: /'
	note "with a policy that wants another measurement, the same CSR is refused (403 names the check):"
	sed 's/hash = \["ff/hash = ["00/' "$work/steward.toml" >"$work/strict.toml"
	$ST --config "$work/strict.toml" --at 2023-02-01T00:00:00Z --listen 127.0.0.1:0 \
		--port-file "$work/st2.port" >"$work/steward2.log" 2>&1 &
	pids+=($!)
	st2=$(wait_port "$work/st2.port")
	python3 - "$st2" "$VEC/steward/milan.signed.crl.csr" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=30)
c.request("POST", "/", open(sys.argv[2], "rb").read(), {"Content-Type": "application/pkcs10"})
r = c.getresponse()
print(f"POST / -> {r.status}: {r.read().decode().strip()}")
sys.exit(0 if r.status == 403 else 1)
PY
else
	note "skipped: ../shared/vectors (real evidence) is absent"
fi

say "3c. Execute: the fetched workload runs in a Keep (nil backend: bailey-exec as a process)"
mkdir -p "$work/data"
cd "$work/deployed"
$B run --wasmcfgfile Enarx.toml --dir "$work/data::/data" main.wasm first-run
$B run --wasmcfgfile Enarx.toml --dir "$work/data::/data" main.wasm
cd "$root"
note "host side: $work/data/visits = $(cat "$work/data/visits")"

say "Done"
echo "Shown for real: publish and verified fetch through Drawbridge, offline verification of real"
echo "SEV-SNP evidence, a Steward certificate for a real Keep's CSR checked with openssl, and the"
echo "workload running under WASI in the nil backend. Not yet: bailey deploy (the Keep making its"
echo "own key, evidence and CSR), the kvm and TEE backends, TLS sockets, the relying-party library."
