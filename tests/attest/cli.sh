#!/usr/bin/env bash
# tests/attest/cli.sh BAILEY — `bailey attest verify` on the real vectors:
# exit 0 with the claims, 1 naming the failed check, 2 for bad usage or input.
# Prints "N passed, N failed, N skipped"; exit 77 when ../shared is absent.
set -u
B=$1
V=${BAILEY_SHARED:-../shared}/vectors
if [ ! -d "$V" ]; then
	echo "SKIP: $V absent"
	exit 77
fi
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN DESCRIPTION -- ARGS... : exit code and a pattern in stdout+stderr
expect() {
	local code=$1 pat=$2 what=$3
	shift 4
	"$B" attest verify "$@" >"$tmp/out" 2>&1
	local rc=$?
	if [ "$rc" -eq "$code" ] && grep -qE -- "$pat" "$tmp/out"; then
		pass=$((pass + 1))
		echo "ok - $what"
	else
		fail=$((fail + 1))
		echo "not ok - $what (exit $rc, want $code /$pat/)"
		sed 's/^/#   /' "$tmp/out" | head -5
	fi
}

AT=--at=2023-02-01T00:00:00Z
expect 0 '^measurement: 08477e2d' "SNP report with its VCEK" -- \
	--kind snp --vcek "$V/steward/milan.vcek" $AT "$V/steward/milan.rprt"
expect 0 '"kind":"snp".*"debug":true.*"tcb_status":"Unknown"' "SNP --json" -- \
	--kind snp --json --vcek "$V/steward/milan.vcek" $AT "$V/steward/milan.rprt"
expect 1 'check snp.expired failed' "SNP after the VCEK expired" -- \
	--kind snp --vcek "$V/steward/milan.vcek" --at 2030-01-01T00:00:00Z "$V/steward/milan.rprt"
head -c 1000 "$V/steward/milan.rprt" >"$tmp/short"
expect 2 'check snp.format failed' "SNP report truncated" -- \
	--kind snp --vcek "$V/steward/milan.vcek" $AT "$tmp/short"
cp "$V/steward/milan.rprt" "$tmp/tampered"
printf '\x01' | dd of="$tmp/tampered" bs=1 seek=$((0x90)) conv=notrunc status=none
expect 1 'check snp.signature failed' "SNP report tampered" -- \
	--kind snp --vcek "$V/steward/milan.vcek" $AT "$tmp/tampered"
expect 0 'tcb_status: Unknown' "SGX quote without TCB info" -- \
	--kind sgx $AT "$V/steward/quote.icelake"
expect 1 'check pck.root failed' "SGX quote with a foreign anchor" -- \
	--kind sgx $AT --anchor "$V/intel-sample/sgx/trustedRootCaCert.pem" "$V/steward/quote.icelake"
expect 0 'tcb_status: OutOfDate' "SGX CSR with its collateral" -- \
	--csr $AT "$V/steward/icelake.signed.tcb.crl.multi.xeon.csr"
expect 0 '^kind: snp' "SNP CSR with its collateral" -- \
	--csr $AT "$V/steward/milan.signed.crl.csr"
expect 1 'check snp.crl failed' "SNP CSR after its CRL's nextUpdate" -- \
	--csr --at 2023-06-01T00:00:00Z "$V/steward/milan.signed.crl.csr"
expect 0 '"tcb_status":"OutOfDate","qe_status":"UpToDate"' "TDX quote with TCB info and TD QE identity" -- \
	--kind tdx --json --at 2025-11-01T00:00:00Z --tcb-info "$V/tdx/tcbInfo.json" \
	--qe-identity "$V/tdx/enclaveIdentity.json" --tcb-signing-chain "$V/tdx/tcb_info_issuer_chain.pem" \
	--tcb-signing-at 2025-05-01T00:00:00Z "$V/tdx/tdx_quote_6.dat"
expect 1 'check tcb_signing.expired failed' "TDX TCB signing certificate expired" -- \
	--kind tdx --at 2025-11-01T00:00:00Z --tcb-info "$V/tdx/tcbInfo.json" \
	--tcb-signing-chain "$V/tdx/tcb_info_issuer_chain.pem" "$V/tdx/tdx_quote_6.dat"
cat "$V/intel-sample/sgx/pckCert.pem" "$V/intel-sample/sgx/pckSignChain.pem" >"$tmp/sample_pck.pem"
expect 0 'tcb_status: UpToDate' "Intel sample SGX quote with its test root" -- \
	--kind sgx --at 2024-01-01T00:00:00Z --anchor "$V/intel-sample/sgx/trustedRootCaCert.pem" \
	--pck-chain "$tmp/sample_pck.pem" --tcb-info "$V/intel-sample/sgx/tcbInfo.json" \
	--qe-identity "$V/intel-sample/sgx/qeIdentity.json" \
	--tcb-signing-chain "$V/intel-sample/sgx/tcbSignChain.pem" \
	--crl "$V/intel-sample/sgx/rootCaCrl.der" --crl "$V/intel-sample/sgx/intermediateCaCrl.der" \
	"$V/intel-sample/sgx/quote.dat"
expect 2 'usage' "no --kind" -- "$V/steward/milan.rprt"
expect 2 'kind must be' "bad --kind" -- --kind xyz "$V/steward/milan.rprt"
expect 2 'not RFC 3339' "bad --at" -- --kind snp --at yesterday "$V/steward/milan.rprt"
expect 2 'No such file' "missing file" -- --kind snp "$tmp/none"
"$B" attest verify --help | grep -q -- '--tcb-signing-chain' && pass=$((pass + 1)) ||
	fail=$((fail + 1))
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
