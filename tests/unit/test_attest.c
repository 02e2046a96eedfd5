/*
 * test_attest.c — evidence verification against the REAL vectors in
 * ../shared/vectors (AMD Milan reports, an Ice Lake SGX quote, a TDX quote,
 * both Enarx Steward CSRs, Intel's sample collateral), and for each check a
 * tampered input refused with that check's name. Skips when ../shared is
 * absent.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "attest/internal.h"
#include "common/buf.h"
#include "common/digest.h"

struct file {
	uint8_t *p;
	size_t len;
};

/* Load ../shared/vectors/<rel>; skips the test when the vectors are absent. */
static struct file load(const char *rel)
{
	const char *sh = getenv("BAILEY_SHARED");
	char path[4096];
	struct file f = { NULL, 0 };
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/vectors/%s", sh ? sh : "../shared", rel);
	fp = fopen(path, "rb");
	if (!fp) {
		print_message("# SKIP: %s absent (../shared not present)\n", path);
		skip();
	}
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	f.p = malloc((size_t)n + 1);
	assert_non_null(f.p);
	f.len = fread(f.p, 1, (size_t)n, fp);
	fclose(fp);
	assert_int_equal(f.len, (size_t)n);
	return f;
}

static struct att_blob blob(struct file f)
{
	struct att_blob b = { f.p, f.len };
	return b;
}

static time_t T(const char *s)
{
	time_t t;
	assert_int_equal(att_parse_time(s, &t), 0);
	return t;
}

static void expect_fail(int rc, int code, const char *check)
{
	if (rc != code || strcmp(att_failed_check(), check))
		print_message("# got rc %d check '%s': %s\n", rc, att_failed_check(), bl_errmsg());
	assert_int_equal(rc, code);
	assert_string_equal(att_failed_check(), check);
}

/* The evidence extension value and SPKI of a CSR. */
struct csr_ev {
	enum att_kind kind;
	uint8_t *ev, *spki;
	size_t ev_len, spki_len;
};

static struct csr_ev csr_evidence(const char *rel)
{
	struct file f = load(rel);
	const unsigned char *p = f.p;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)f.len);
	STACK_OF(X509_EXTENSION) * exts;
	struct csr_ev out = { 0 };
	unsigned char *der = NULL;
	int n;

	assert_non_null(req);
	exts = X509_REQ_get_extensions(req);
	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		const ASN1_OCTET_STRING *os = X509_EXTENSION_get_data(e);
		char oid[80];

		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
		if (att_kind_from_oid(oid) == ATT_KIND_NONE)
			continue;
		out.kind = att_kind_from_oid(oid);
		out.ev_len = (size_t)ASN1_STRING_length(os);
		out.ev = malloc(out.ev_len);
		memcpy(out.ev, ASN1_STRING_get0_data(os), out.ev_len);
	}
	assert_non_null(out.ev);
	n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &der);
	assert_true(n > 0);
	out.spki = malloc((size_t)n);
	memcpy(out.spki, der, (size_t)n);
	out.spki_len = (size_t)n;
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(f.p);
	return out;
}

static void csr_free(struct csr_ev *c)
{
	free(c->ev);
	free(c->spki);
}

static uint8_t *find(uint8_t *hay, size_t n, const char *needle)
{
	uint8_t *p = memmem(hay, n, needle, strlen(needle));
	assert_non_null(p);
	return p;
}

/* ---- SEV-SNP -------------------------------------------------------------------- */

static void test_snp_milan_raw(void **state)
{
	(void)state;
	struct file r = load("steward/milan.rprt"), v = load("steward/milan.vcek");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z"), .vcek = blob(v) };
	struct att_claims c;

	assert_int_equal(att_snp_verify(r.p, r.len, &o, &c), 0);
	assert_int_equal(c.kind, ATT_KIND_SNP);
	assert_int_equal(c.snp.product, ATT_SNP_MILAN);
	assert_int_equal(c.measurement_len, 48);
	assert_memory_equal(c.measurement, r.p + 0x90, 48);
	for (int i = 0; i < 64; i++) /* README: report_data = bytes 00..3f */
		assert_int_equal(c.report_data[i], i);
	assert_true(c.debug); /* README: debug policy */
	assert_true(c.snp.policy_debug);
	assert_int_equal(c.tcb_status, ATT_TCB_UNKNOWN);
	assert_memory_equal(c.snp.chip_id, r.p + 0x1a0, 64);
	free(r.p);
	free(v.p);
}

static void test_snp_go_sev_guest(void **state)
{
	(void)state;
	struct file r = load("snp/attestation.bin"), v = load("snp/vcek.testcer");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z"), .vcek = blob(v) };
	struct att_claims c;

	assert_int_equal(att_snp_verify(r.p, r.len, &o, &c), 0);
	/* README: policy 0xb0000, reported TCB bl2/tee0/snp5/ucode68, firmware 1.49 */
	assert_int_equal(c.snp.policy, 0xb0000);
	assert_int_equal(c.snp.reported_tcb.bootloader, 2);
	assert_int_equal(c.snp.reported_tcb.tee, 0);
	assert_int_equal(c.snp.reported_tcb.snp, 5);
	assert_int_equal(c.snp.reported_tcb.microcode, 68);
	assert_int_equal(c.snp.current_major, 1);
	assert_int_equal(c.snp.current_minor, 49);
	assert_int_equal(c.snp.version, 2);
	assert_true(c.debug); /* 0xb0000: SMT, reserved bit 17, DEBUG */
	assert_true(c.snp.policy_smt);
	assert_false(c.snp.policy_migrate_ma);
	free(r.p);
	free(v.p);
}

static void test_snp_csr(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/milan.signed.crl.csr");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;

	assert_int_equal(e.kind, ATT_KIND_SNP);
	assert_int_equal(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), 0);
	assert_int_equal(c.snp.abi_major, 1); /* README: ABI 1.51, author_key_en */
	assert_int_equal(c.snp.abi_minor, 51);
	assert_true(c.snp.author_key_en);
	assert_memory_equal(c.signer, c.snp.author_key_digest, 48);
	assert_int_equal(att_report_data_check(&c, e.spki, e.spki_len), 0);
	e.spki[e.spki_len - 1] ^= 1; /* another key */
	expect_fail(att_report_data_check(&c, e.spki, e.spki_len), BL_EVERIFY,
	            "evidence.report_data");
	csr_free(&e);
}

/* One byte of the report changed: the check that must refuse it. */
struct snp_tamper {
	size_t off;
	uint8_t xor_;
	int code;
	const char *check;
};

static void test_snp_tamper(void **state)
{
	(void)state;
	static const struct snp_tamper cases[] = {
		{ 0x2a0, 0x01, BL_EVERIFY, "snp.signature" }, /* signature r */
		{ 0x2e8 + 5, 0x80, BL_EVERIFY, "snp.signature" }, /* signature s */
		{ 0x90, 0x01, BL_EVERIFY, "snp.signature" }, /* measurement */
		{ 0x50, 0x01, BL_EVERIFY, "snp.signature" }, /* report data */
		{ 0x180 + 7, 0x01, BL_EVERIFY, "snp.tcb" }, /* reported_tcb microcode */
		{ 0x180 + 0, 0x01, BL_EVERIFY, "snp.tcb" }, /* reported_tcb bootloader */
		{ 0x1a0 + 3, 0x01, BL_EVERIFY, "snp.chip_id" },
		{ 0x48, 0x04, BL_EVERIFY, "snp.signing_key" }, /* SIGNING_KEY = 1 (VLEK) */
		{ 0x48, 0x02, BL_EVERIFY, "snp.mask_chip_key" },
		{ 0x30, 0x04, BL_EVERIFY, "snp.vmpl" }, /* VMPL 4 */
		{ 0x08 + 2, 0x02, BL_EVERIFY, "snp.policy" }, /* policy bit 17 cleared */
		{ 0x08 + 2, 0x08, BL_EVERIFY, "snp.signature" }, /* policy debug bit */
		{ 0x00, 0x07, BL_EUNSUPP, "snp.version" }, /* version 5 */
		{ 0x34, 0x02, BL_EUNSUPP, "snp.signature_algo" },
	};
	struct file r = load("steward/milan.rprt"), v = load("steward/milan.vcek");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z"), .vcek = blob(v) };
	struct att_claims c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r.p[cases[i].off] ^= cases[i].xor_;
		expect_fail(att_snp_verify(r.p, r.len, &o, &c), cases[i].code, cases[i].check);
		assert_int_equal(c.kind, ATT_KIND_NONE); /* claims cleared on failure */
		r.p[cases[i].off] ^= cases[i].xor_;
	}
	assert_int_equal(att_snp_verify(r.p, r.len, &o, &c), 0);
	expect_fail(att_snp_verify(r.p, r.len - 1, &o, &c), BL_EINVAL, "snp.format");
	/* Version 3 naming a Genoa CPU (family 19h model 11h) on a Milan chain. */
	r.p[0] = 3;
	r.p[0x188] = 0x19;
	r.p[0x189] = 0x11;
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.product");
	r.p[0x189] = 0x01; /* Milan: passes that check, then the signature fails */
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.signature");
	r.p[0] = 2;
	r.p[0x188] = r.p[0x189] = 0;
	o.vcek.len = 0;
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EINVAL, "snp.vcek");
	free(r.p);
	free(v.p);
}

static void test_snp_chain(void **state)
{
	(void)state;
	struct file r = load("steward/milan.rprt"), v = load("steward/milan.vcek");
	struct file bad = load("snp/test-vcek-invalid-legacy.der");
	struct file genoa = load("amd/ask_ark_genoa.pem"), milan = load("amd/ask_ark_milan.pem");
	struct att_blob anchor = blob(genoa);
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z"), .vcek = blob(v) };
	struct att_claims c;

	/* The VCEK is valid 2022-02-22 .. 2029-02-22. */
	o.at = T("2029-03-01T00:00:00Z");
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.expired");
	o.at = T("2022-01-01T00:00:00Z");
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.expired");
	o.at = T("2023-02-01T00:00:00Z");
	/* Roots other than Milan's ARK: the chain ends at an untrusted root. */
	o.anchors = &anchor;
	o.n_anchors = 1;
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.root");
	/* The Milan ARK given as the only anchor: accepted. The PEM's first
	 * certificate is the ASK, so give the ASK/ARK override instead. */
	o.n_anchors = 0;
	o.ask = blob(genoa); /* Genoa's ASK did not sign a Milan VCEK */
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.chain");
	o.ask = blob(milan); /* the real Milan ASK given explicitly: accepted */
	assert_int_equal(att_snp_verify(r.p, r.len, &o, &c), 0);
	o.ask.len = 0;
	/* A VCEK whose ASK signature fails (trustee's negative vector). */
	o.vcek = blob(bad);
	o.at = T("2023-06-01T00:00:00Z"); /* inside its validity */
	expect_fail(att_snp_verify(r.p, r.len, &o, &c), BL_EVERIFY, "snp.chain");
	free(r.p);
	free(v.p);
	free(bad.p);
	free(genoa.p);
	free(milan.p);
}

/* Locate the n-th CRL (0-based) in an SNP or SGX evidence's CrlList. */
static struct bl_cur evidence_crl(uint8_t *ev, size_t len, int snp, int n)
{
	struct bl_cur c = bl_cur_make(ev, len), outer, seq, list, item, url, crl, whole, tmp;

	assert_int_equal(att_der_get(&c, DER_SEQUENCE, &outer, NULL), 0);
	if (snp) {
		assert_int_equal(att_der_get(&outer, DER_SEQUENCE, &seq, NULL), 0);
		assert_int_equal(att_der_get(&seq, DER_SEQUENCE, &tmp, NULL), 0); /* VCEK */
	} else {
		seq = outer;
		assert_int_equal(att_der_get(&seq, DER_OCTETSTRING, &tmp, NULL), 0); /* quote */
	}
	assert_int_equal(att_der_get(&seq, DER_SEQUENCE, &tmp, NULL), 0);
	assert_int_equal(att_der_get(&tmp, DER_SEQUENCE, &list, NULL), 0);
	for (int i = 0; i <= n; i++) {
		assert_int_equal(att_der_get(&list, DER_SEQUENCE, &item, NULL), 0);
		assert_int_equal(att_der_get(&item, DER_UTF8STRING, &url, NULL), 0);
		assert_int_equal(att_der_get(&item, DER_SEQUENCE, &crl, &whole), 0);
	}
	return whole;
}

static void test_snp_csr_collateral(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/milan.signed.crl.csr");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	struct bl_cur crl;

	/* The Milan ARK's CRL (nextUpdate 2023-05-09) is stale later on. */
	o.at = T("2023-06-01T00:00:00Z");
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY, "snp.crl");
	o.at = T("2023-02-01T00:00:00Z");
	/* A CRL whose signature does not verify (last byte of the Milan CRL). */
	crl = evidence_crl(e.ev, e.ev_len, 1, 1);
	((uint8_t *)crl.base)[crl.len - 1] ^= 1;
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY, "snp.crl");
	((uint8_t *)crl.base)[crl.len - 1] ^= 1;
	/* The report (the last 1184 bytes of the evidence) tampered. */
	e.ev[e.ev_len - 0x4a0 + 0x90] ^= 1;
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY,
	            "snp.signature");
	e.ev[e.ev_len - 0x4a0 + 0x90] ^= 1;
	assert_int_equal(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), 0);
	/* Truncated or trailing DER: malformed. */
	assert_int_equal(att_evidence_verify(e.kind, e.ev, e.ev_len - 1, &o, &c), BL_ETRUNC);
	assert_true(att_evidence_verify(ATT_KIND_SGX, e.ev, e.ev_len, &o, &c) < 0);
	csr_free(&e);
}

/* ---- SGX -------------------------------------------------------------------------- */

static void test_sgx_quote_raw(void **state)
{
	(void)state;
	struct file q = load("steward/quote.icelake");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	uint8_t *longer;

	assert_int_equal(att_sgx_verify(q.p, q.len, &o, &c), 0);
	assert_int_equal(c.kind, ATT_KIND_SGX);
	for (int i = 0; i < 32; i++) /* README: report data = bytes 00..1f */
		assert_int_equal(c.report_data[i], i);
	assert_int_equal(c.measurement_len, 32);
	assert_memory_equal(c.measurement, q.p + 48 + 64, 32);
	assert_memory_equal(c.signer, q.p + 48 + 128, 32);
	assert_int_equal(c.tcb_status, ATT_TCB_UNKNOWN);
	/* Bytes after the signature data are ignored. */
	longer = calloc(1, q.len + 100);
	memcpy(longer, q.p, q.len);
	assert_int_equal(att_sgx_verify(longer, q.len + 100, &o, &c), 0);
	free(longer);
	/* No time: refused. */
	o.at = 0;
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EINVAL, "options");
	free(q.p);
}

static void test_sgx_csr(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/icelake.signed.tcb.crl.multi.xeon.csr");
	static const uint8_t fmspc[6] = { 0x00, 0x60, 0x6a, 0x00, 0x00, 0x00 };
	static const uint8_t mrenclave[4] = { 0x40, 0x46, 0xea, 0x25 };
	static const uint8_t mrsigner[4] = { 0x7a, 0x49, 0xa0, 0x7d };
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	int sa615 = 0;

	assert_int_equal(e.kind, ATT_KIND_SGX);
	assert_int_equal(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), 0);
	assert_memory_equal(c.sgx.mrenclave, mrenclave, 4);
	assert_memory_equal(c.sgx.mrsigner, mrsigner, 4);
	assert_memory_equal(c.pck.fmspc, fmspc, 6);
	assert_true(c.pck.platform_ca);
	assert_int_equal(att_report_data_check(&c, e.spki, e.spki_len), 0);
	/* TCB info v3 from the CSR: the platform meets the 2021-11-10 level. */
	assert_int_equal(c.tcb_status, ATT_TCB_OUT_OF_DATE);
	assert_string_equal(c.tcb_date, "2021-11-10T00:00:00Z");
	assert_int_equal(c.tcb_eval_num, 14);
	for (size_t i = 0; i < c.n_advisories; i++)
		sa615 |= !strcmp(c.advisories[i], "INTEL-SA-00615");
	assert_true(sa615);
	csr_free(&e);
}

struct quote_tamper {
	size_t off; /* from the start of the quote */
	int code;
	const char *check;
};

static void test_sgx_tamper(void **state)
{
	(void)state;
	struct file q = load("steward/quote.icelake");
	/* v3 layout: header 48, report 384, sig len 4, then signature data:
	 * sig 64 @436, key 64 @500, QE report 384 @564, QE sig 64 @948,
	 * auth len 2 @1012, auth data @1014. */
	const struct quote_tamper cases[] = {
		{ 436, BL_EVERIFY, "quote.signature" },
		{ 48 + 64, BL_EVERIFY, "quote.signature" }, /* MRENCLAVE */
		{ 48 + 320, BL_EVERIFY, "quote.signature" }, /* report data */
		{ 30, BL_EVERIFY, "quote.signature" }, /* header user data */
		{ 948, BL_EVERIFY, "quote.qe_report_signature" },
		{ 564 + 258, BL_EVERIFY, "quote.qe_report_signature" }, /* QE ISVSVN */
		/* Without QE identity the QE must be Intel's production QE3. */
		{ 564 + 128, BL_EVERIFY, "quote.qe_signer" }, /* QE MRSIGNER */
		{ 564 + 256, BL_EVERIFY, "quote.qe_signer" }, /* QE ISVPRODID */
		{ 564 + 320, BL_EVERIFY, "quote.qe_report_signature" }, /* QE report data */
		{ 1014, BL_EVERIFY, "quote.qe_report_data" }, /* QE auth data */
		{ 500 + 10, BL_EVERIFY, "quote.qe_report_data" }, /* attestation key */
		{ 12, BL_EVERIFY, "quote.qe_vendor" },
		{ 0, BL_EUNSUPP, "quote.version" },
		{ 2, BL_EUNSUPP, "quote.format" }, /* attestation key type */
	};
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		q.p[cases[i].off] ^= 0x01;
		expect_fail(att_sgx_verify(q.p, q.len, &o, &c), cases[i].code, cases[i].check);
		q.p[cases[i].off] ^= 0x01;
	}
	assert_int_equal(att_sgx_verify(q.p, q.len, &o, &c), 0);
	/* An Intel QE launched in debug mode leaks its attestation key. */
	q.p[564 + 48] ^= 0x02;
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "quote.qe_signer");
	q.p[564 + 48] ^= 0x02;
	/* Truncated inside the signature data. */
	assert_int_equal(att_sgx_verify(q.p, 1000, &o, &c), BL_ETRUNC);
	/* The PCK certificate expires in 2030. */
	o.at = T("2031-01-01T00:00:00Z");
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "pck.expired");
	free(q.p);
}

static void test_sgx_roots_and_crls(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/icelake.signed.tcb.crl.multi.xeon.csr");
	struct file sample_root = load("intel-sample/sgx/trustedRootCaCert.pem");
	struct att_blob anchor = blob(sample_root);
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	struct bl_cur crl;

	/* Intel's sample (test) root is not the Intel SGX Root CA. */
	o.anchors = &anchor;
	o.n_anchors = 1;
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY, "pck.root");
	o.n_anchors = 0;
	/* PCK CRLs (nextUpdate 2023-02-24) are stale by March. */
	o.at = T("2023-03-01T00:00:00Z");
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY, "pck.crl");
	o.at = T("2023-02-01T00:00:00Z");
	/* The Platform CA CRL (third) with a broken signature. */
	crl = evidence_crl(e.ev, e.ev_len, 0, 2);
	((uint8_t *)crl.base)[crl.len - 1] ^= 1;
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY, "pck.crl");
	((uint8_t *)crl.base)[crl.len - 1] ^= 1;
	assert_int_equal(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), 0);
	csr_free(&e);
	free(sample_root.p);
}

static void test_sgx_tcb_info(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/icelake.signed.tcb.crl.multi.xeon.csr");
	struct file q = load("steward/quote.icelake");
	struct file s_tcb = load("intel-sample/sgx/tcbInfo.json");
	struct file s_qe = load("intel-sample/sgx/qeIdentity.json");
	struct file s_chain = load("intel-sample/sgx/tcbSignChain.pem");
	struct file s_root = load("intel-sample/sgx/trustedRootCaCert.pem");
	struct file root = load("steward/root.der");
	struct file tdx_tcb = load("tdx/tcbInfo.json"), tdx_qe = load("tdx/enclaveIdentity.json");
	struct att_blob anchors[2] = { blob(root), blob(s_root) };
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	uint8_t *p;

	/* A TCB info byte changed: its signature no longer verifies. */
	p = find(e.ev, e.ev_len, "\"tcbEvaluationDataNumber\":14");
	p[strlen("\"tcbEvaluationDataNumber\":1")] = '5';
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY,
	            "tcb_info.signature");
	p[strlen("\"tcbEvaluationDataNumber\":1")] = '4';
	p = find(e.ev, e.ev_len, "\"signature\":\"3b92");
	p[13] = '4';
	expect_fail(att_evidence_verify(e.kind, e.ev, e.ev_len, &o, &c), BL_EVERIFY,
	            "tcb_info.signature");
	p[13] = '3';
	/* TCB info for another FMSPC, genuinely signed (Intel's sample chain,
	 * trusted here next to the real root): FMSPC mismatch. */
	o.tcb_info = blob(s_tcb);
	o.tcb_signing_chain = blob(s_chain);
	o.anchors = anchors;
	o.n_anchors = 2;
	o.at = T("2024-01-01T00:00:00Z");
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_info.fmspc");
	/* The sample QE identity is not the real QE's. */
	o.tcb_info.len = 0;
	o.qe_identity = blob(s_qe);
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "qe_identity.miscselect");
	/* TDX collateral offered for an SGX quote. */
	o.n_anchors = 0;
	o.qe_identity.len = 0;
	o.tcb_signing_chain.len = 0;
	o.at = T("2025-11-01T00:00:00Z");
	o.tcb_signing_at = T("2025-05-01T00:00:00Z");
	{
		struct file chain = load("tdx/tcb_info_issuer_chain.pem");

		o.tcb_signing_chain = blob(chain);
		o.tcb_info = blob(tdx_tcb);
		expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_info.id");
		o.tcb_info.len = 0;
		o.qe_identity = blob(tdx_qe);
		expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "qe_identity.id");
		/* Without tcb_signing_at the signing certificate (expired 2025-05-21) fails. */
		o.tcb_signing_at = 0;
		expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_signing.expired");
		/* TCB info without its signing chain. */
		o.tcb_signing_chain.len = 0;
		expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EINVAL, "tcb_signing.chain");
		free(chain.p);
	}
	csr_free(&e);
	free(q.p);
	free(s_tcb.p);
	free(s_qe.p);
	free(s_chain.p);
	free(s_root.p);
	free(root.p);
	free(tdx_tcb.p);
	free(tdx_qe.p);
}

/* The SGX CSR's TCB info and chain, verified on their own after nextUpdate. */
static void test_sgx_tcb_info_expired(void **state)
{
	(void)state;
	struct csr_ev e = csr_evidence("steward/icelake.signed.tcb.crl.multi.xeon.csr");
	struct file q = load("steward/quote.icelake");
	struct att_opts o = { .at = T("2023-03-01T00:00:00Z") };
	struct att_claims c;
	struct bl_cur c0 = bl_cur_make(e.ev, e.ev_len), outer, v, tcb, crts, whole, info;

	/* SEQUENCE { quote, CrlList, SEQUENCE { crts, report } } */
	assert_int_equal(att_der_get(&c0, DER_SEQUENCE, &outer, NULL), 0);
	assert_int_equal(att_der_get(&outer, DER_OCTETSTRING, &v, NULL), 0);
	assert_int_equal(att_der_get(&outer, DER_SEQUENCE, &v, NULL), 0);
	assert_int_equal(att_der_get(&outer, DER_SEQUENCE, &tcb, NULL), 0);
	assert_int_equal(att_der_get(&tcb, DER_SEQUENCE, &crts, &whole), 0);
	assert_int_equal(att_der_get(&tcb, DER_OCTETSTRING, &info, NULL), 0);
	o.tcb_signing_chain.p = whole.base;
	o.tcb_signing_chain.len = whole.len;
	o.tcb_info.p = info.base;
	o.tcb_info.len = info.len;
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_info.expired");
	o.at = T("2023-02-01T00:00:00Z");
	assert_int_equal(att_sgx_verify(q.p, q.len, &o, &c), 0);
	assert_int_equal(c.tcb_status, ATT_TCB_OUT_OF_DATE);
	csr_free(&e);
	free(q.p);
}

/* Keys that chain to the Intel root but have another role are refused. */
static void test_sgx_key_roles(void **state)
{
	(void)state;
	struct file q = load("steward/quote.icelake");
	struct file tcb_chain = load("tdx/tcb_info_issuer_chain.pem");
	struct file tcb = load("tdx/tcbInfo.json");
	struct att_opts o = { .at = T("2023-02-01T00:00:00Z") };
	struct att_claims c;
	uint8_t *pem = find(q.p, q.len, "-----BEGIN CERTIFICATE-----");

	/* The TCB signing certificate offered as the PCK chain. */
	o.pck_chain = blob(tcb_chain);
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "pck.chain");
	o.pck_chain.len = 0;
	/* The platform's own PCK chain offered as the TCB signing chain. */
	o.tcb_info = blob(tcb);
	o.tcb_signing_chain.p = pem;
	o.tcb_signing_chain.len = q.len - (size_t)(pem - q.p);
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_signing.chain");
	free(q.p);
	free(tcb_chain.p);
	free(tcb.p);
}

static void test_intel_sample_sgx(void **state)
{
	(void)state;
	struct file q = load("intel-sample/sgx/quote.dat");
	struct file pck = load("intel-sample/sgx/pckCert.pem");
	struct file chain = load("intel-sample/sgx/pckSignChain.pem");
	struct file tcb = load("intel-sample/sgx/tcbInfo.json");
	struct file qe = load("intel-sample/sgx/qeIdentity.json");
	struct file sign = load("intel-sample/sgx/tcbSignChain.pem");
	struct file root = load("intel-sample/sgx/trustedRootCaCert.pem");
	struct file crl1 = load("intel-sample/sgx/rootCaCrl.der");
	struct file crl2 = load("intel-sample/sgx/intermediateCaCrl.der");
	uint8_t *both = malloc(pck.len + chain.len);
	struct att_blob anchor = blob(root), crls[2] = { blob(crl1), blob(crl2) };
	struct att_opts o = { .at = T("2024-01-01T00:00:00Z"),
		              .tcb_info = blob(tcb),
		              .qe_identity = blob(qe),
		              .tcb_signing_chain = blob(sign),
		              .anchors = &anchor,
		              .n_anchors = 1,
		              .crls = crls,
		              .n_crls = 2 };
	struct att_claims c;

	memcpy(both, pck.p, pck.len);
	memcpy(both + pck.len, chain.p, chain.len);
	o.pck_chain.p = both;
	o.pck_chain.len = pck.len + chain.len;
	assert_int_equal(att_sgx_verify(q.p, q.len, &o, &c), 0);
	assert_int_equal(c.tcb_status, ATT_TCB_UP_TO_DATE);
	assert_int_equal(c.qe_status, ATT_TCB_UP_TO_DATE);
	/* The quote carries only a PPID: without the chain it cannot verify. */
	o.pck_chain.len = 0;
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EINVAL, "pck.chain");
	o.pck_chain.len = pck.len + chain.len;
	/* Against the real Intel root (built in), the test root is refused. */
	o.n_anchors = 0;
	o.tcb_info.len = o.qe_identity.len = 0;
	expect_fail(att_sgx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "pck.root");
	free(both);
	free(q.p);
	free(pck.p);
	free(chain.p);
	free(tcb.p);
	free(qe.p);
	free(sign.p);
	free(root.p);
	free(crl1.p);
	free(crl2.p);
}

/* ---- TDX ---------------------------------------------------------------------------- */

static void test_tdx_quote(void **state)
{
	(void)state;
	struct file q = load("tdx/tdx_quote_6.dat");
	struct file tcb = load("tdx/tcbInfo.json"), qe = load("tdx/enclaveIdentity.json");
	struct file chain = load("tdx/tcb_info_issuer_chain.pem");
	static const uint8_t fmspc[6] = { 0x00, 0xa0, 0x6d, 0x08, 0x00, 0x00 };
	struct att_opts o = { .at = T("2025-11-01T00:00:00Z") };
	struct att_claims c;

	assert_int_equal(att_tdx_verify(q.p, q.len, &o, &c), 0);
	assert_int_equal(c.kind, ATT_KIND_TDX);
	assert_int_equal(c.tdx.version, 4);
	assert_memory_equal(c.pck.fmspc, fmspc, 6);
	assert_memory_equal(c.measurement, q.p + 48 + 16 + 48 + 48 + 24, 48); /* MRTD */
	assert_memory_equal(c.tdx.rtmr[3], q.p + 48 + 16 + 96 + 24 + 4 * 48 + 3 * 48, 48);
	assert_int_equal(c.tcb_status, ATT_TCB_UNKNOWN);
	/* Without a TD QE identity the QE must be Intel's TD QE: its MRSIGNER
	 * (QE report at 48 + 584 + 4 + 64 + 64 + 6 = 770, MRSIGNER at +128). */
	q.p[770 + 128] ^= 1;
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "quote.qe_signer");
	q.p[770 + 128] ^= 1;
	/* With Intel's TDX TCB info and TD QE identity (signing chain judged
	 * before its certificate's 2025-05-21 expiry). */
	o.tcb_info = blob(tcb);
	o.qe_identity = blob(qe);
	o.tcb_signing_chain = blob(chain);
	o.tcb_signing_at = T("2025-05-01T00:00:00Z");
	assert_int_equal(att_tdx_verify(q.p, q.len, &o, &c), 0);
	/* PCESVN 11 < 13: the UpToDate level is not met. */
	assert_int_equal(c.tcb_status, ATT_TCB_OUT_OF_DATE);
	assert_int_equal(c.qe_status, ATT_TCB_UP_TO_DATE);
	/* TCB info after its nextUpdate (2025-11-26). */
	o.at = T("2025-12-01T00:00:00Z");
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_info.expired");
	o.at = T("2025-11-01T00:00:00Z");
	/* TD report (MRTD) and signature tampered. */
	q.p[48 + 16 + 96 + 24] ^= 1;
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "quote.signature");
	q.p[48 + 16 + 96 + 24] ^= 1;
	q.p[48 + 584 + 4] ^= 1;
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "quote.signature");
	q.p[48 + 584 + 4] ^= 1;
	/* QE identity signature. */
	{
		uint8_t *p = find(qe.p, qe.len, "\"signature\":\"");
		p[13] ^= 1;
		expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY,
		            "qe_identity.signature");
		p[13] ^= 1;
	}
	/* An SGX quote is not a TDX quote. */
	{
		struct file sq = load("steward/quote.icelake");
		expect_fail(att_tdx_verify(sq.p, sq.len, &o, &c), BL_EUNSUPP, "quote.version");
		free(sq.p);
	}
	free(q.p);
	free(tcb.p);
	free(qe.p);
	free(chain.p);
}

/* DER TLV with a definite length (X.690 §8.1.3) appended to b. */
static void tlv(struct bl_buf *b, uint8_t tag, const void *p, size_t n)
{
	assert_int_equal(bl_buf_putc(b, tag), 0);
	if (n < 0x80) {
		assert_int_equal(bl_buf_putc(b, (uint8_t)n), 0);
	} else if (n < 0x100) {
		assert_int_equal(bl_buf_putc(b, 0x81), 0);
		assert_int_equal(bl_buf_putc(b, (uint8_t)n), 0);
	} else {
		assert_true(n < 0x10000);
		assert_int_equal(bl_buf_putc(b, 0x82), 0);
		assert_int_equal(bl_buf_put16be(b, (uint16_t)n), 0);
	}
	assert_int_equal(bl_buf_append(b, p, n), 0);
}

/* TDX evidence (Bailey's OID .1.4) built from the real quote and collateral. */
static void test_tdx_evidence(void **state)
{
	(void)state;
	struct file q = load("tdx/tdx_quote_6.dat"), tcb = load("tdx/tcbInfo.json");
	struct file qe = load("tdx/enclaveIdentity.json");
	struct file chain = load("tdx/tcb_info_issuer_chain.pem");
	struct bl_buf certs = BL_BUF_INIT, inner = BL_BUF_INIT, t = BL_BUF_INIT, ev = BL_BUF_INIT;
	struct att_opts o = { .at = T("2025-11-01T00:00:00Z"),
		              .tcb_signing_at = T("2025-05-01T00:00:00Z") };
	STACK_OF(X509) *sk = NULL;
	struct att_claims c;

	assert_int_equal(att_x509_load_many(chain.p, chain.len, &sk, "chain"), 0);
	for (int i = 0; i < sk_X509_num(sk); i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(sk_X509_value(sk, i), &der);

		assert_true(n > 0);
		assert_int_equal(bl_buf_append(&certs, der, (size_t)n), 0);
		OPENSSL_free(der);
	}
	sk_X509_pop_free(sk, X509_free);
	tlv(&inner, DER_OCTETSTRING, q.p, q.len); /* quote */
	tlv(&t, DER_SEQUENCE, NULL, 0); /* empty SEQUENCE OF CRL entries */
	tlv(&inner, DER_SEQUENCE, t.p, t.len); /* CrlList */
	bl_buf_reset(&t);
	tlv(&t, DER_SEQUENCE, certs.p, certs.len);
	tlv(&t, DER_OCTETSTRING, tcb.p, tcb.len);
	tlv(&inner, DER_SEQUENCE, t.p, t.len); /* tcb */
	bl_buf_reset(&t);
	tlv(&t, DER_OCTETSTRING, qe.p, qe.len);
	tlv(&inner, DER_CTX0, t.p, t.len); /* [0] QE identity */
	tlv(&ev, DER_SEQUENCE, inner.p, inner.len);
	assert_int_equal(att_evidence_verify(ATT_KIND_TDX, ev.p, ev.len, &o, &c), 0);
	assert_int_equal(c.kind, ATT_KIND_TDX);
	assert_int_equal(c.tcb_status, ATT_TCB_OUT_OF_DATE);
	assert_int_equal(c.qe_status, ATT_TCB_UP_TO_DATE);
	/* The same bytes are not SGX evidence. */
	expect_fail(att_evidence_verify(ATT_KIND_SGX, ev.p, ev.len, &o, &c), BL_EUNSUPP,
	            "quote.version");
	/* A trailing element after [0] is malformed. */
	assert_int_equal(bl_buf_putc(&ev, 0), 0);
	expect_fail(att_evidence_verify(ATT_KIND_TDX, ev.p, ev.len, &o, &c), BL_EINVAL,
	            "evidence.format");
	bl_buf_free(&certs);
	bl_buf_free(&inner);
	bl_buf_free(&t);
	bl_buf_free(&ev);
	free(q.p);
	free(tcb.p);
	free(qe.p);
	free(chain.p);
}

/* A copy of text with the first `from` replaced by `to` (NUL-terminated). */
static struct att_blob edit(const struct file *f, const char *from, const char *to)
{
	uint8_t *at = memmem(f->p, f->len, from, strlen(from));
	size_t off, n = f->len - strlen(from) + strlen(to);
	uint8_t *p = malloc(n + 1);
	struct att_blob b;

	assert_non_null(at);
	off = (size_t)(at - f->p);
	memcpy(p, f->p, off);
	memcpy(p + off, to, strlen(to));
	memcpy(p + off + strlen(to), at + strlen(from), f->len - off - strlen(from));
	p[n] = 0;
	b.p = p;
	b.len = n;
	return b;
}

/* Evaluate an edited collateral file against real claims (signature skipped). */
static void eval_edit(const struct file *f, int qe, const struct att_claims *base, const char *from,
                      const char *to, int code, const char *check)
{
	struct att_blob b = edit(f, from, to);
	struct att_claims c = *base;
	int rc = att_intel_json_eval(b.p, b.len, qe, 1, T("2025-11-01T00:00:00Z"), &c);

	if (rc != (check ? code : 0))
		print_message("# edit %s -> %s\n", from, to);
	if (!check)
		assert_int_equal(rc, 0);
	else
		expect_fail(rc, code, check);
	free((void *)b.p);
}

/*
 * Each content check of the TDX TCB info and TD QE identity, on the real files
 * with one field changed and the signature check skipped (its own tests are
 * above), against the claims of the real TDX quote.
 */
static void test_tdx_collateral_checks(void **state)
{
	(void)state;
	struct file q = load("tdx/tdx_quote_6.dat"), tcb = load("tdx/tcbInfo.json");
	struct file qe = load("tdx/enclaveIdentity.json");
	struct att_opts o = { .at = T("2025-11-01T00:00:00Z") };
	struct att_claims base, c;

	assert_int_equal(att_tdx_verify(q.p, q.len, &o, &base), 0);
	/* Unchanged: the same verdicts as with the signature checked. */
	c = base;
	assert_int_equal(att_intel_json_eval(tcb.p, tcb.len, 0, 1, o.at, &c), 0);
	assert_int_equal(c.tcb_status, ATT_TCB_OUT_OF_DATE);
	assert_string_equal(c.tcb_date, "2018-01-04T00:00:00Z");
	eval_edit(&tcb, 0, &base, "\"pceId\":\"0000\"", "\"pceId\":\"0100\"", BL_EVERIFY,
	          "tcb_info.pceid");
	eval_edit(&tcb, 0, &base, "\"fmspc\":\"00A06D080000\"", "\"fmspc\":\"00A06D080001\"",
	          BL_EVERIFY, "tcb_info.fmspc");
	eval_edit(&tcb, 0, &base, "\"id\":\"TDX\"", "\"id\":\"SGX\"", BL_EVERIFY, "tcb_info.id");
	eval_edit(&tcb, 0, &base, "\"version\":3", "\"version\":4", BL_EUNSUPP, "tcb_info.version");
	eval_edit(&tcb, 0, &base, "\"nextUpdate\":\"2025-11-26", "\"nextUpdate\":\"2025-10-30",
	          BL_EVERIFY, "tcb_info.expired");
	eval_edit(&tcb, 0, &base, "\"id\":\"TDX_03\",\"mrsigner\":\"00",
	          "\"id\":\"TDX_03\",\"mrsigner\":\"01", BL_EVERIFY, "tcb_info.tdx_module");
	/* Module major 3: tdxModule's SEAM identity is not the one that applies. */
	eval_edit(&tcb, 0, &base, "\"tdxModule\":{\"mrsigner\":\"00",
	          "\"tdxModule\":{\"mrsigner\":\"01", 0, NULL);
	/* Module major 0: it is. */
	{
		struct att_claims m0 = base;

		m0.tdx.tee_tcb_svn[1] = 0;
		eval_edit(&tcb, 0, &m0, "\"tdxModule\":{\"mrsigner\":\"00",
		          "\"tdxModule\":{\"mrsigner\":\"01", BL_EVERIFY, "tcb_info.tdx_module");
	}
	eval_edit(&tcb, 0, &base, "\"id\":\"TDX_03\"", "\"id\":\"TDX_07\"", BL_EVERIFY,
	          "tcb_info.tdx_module"); /* TEE_TCB_SVN[1] = 3 has no identity */
	/* A TCB info without module identities (older files) cannot grade a
	 * module of major version 3: refused, not waved through ungraded and with
	 * MRSIGNERSEAM unchecked (as Intel's QVL, TdxModuleCheck). */
	eval_edit(&tcb, 0, &base,
	          "\"tdxModuleIdentities\":", "\"tdxModuleIdentitiez\":", BL_EVERIFY,
	          "tcb_info.tdx_module");
	/* Likewise a TDX TCB info without tdxModule for major version 0. */
	{
		struct att_claims m0 = base;

		m0.tdx.tee_tcb_svn[1] = 0;
		eval_edit(&tcb, 0, &m0, "\"tdxModule\":{", "\"tdxModulf\":{", BL_EVERIFY,
		          "tcb_info.tdx_module");
	}
	eval_edit(&tcb, 0, &base, "\"pcesvn\":5", "\"pcesvn\":12", BL_EVERIFY, "tcb_info.level");
	eval_edit(
	    &tcb, 0, &base, "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"OutOfDate\"",
	    "\"tcbDate\":\"2018-01-04T00:00:00Z\",\"tcbStatus\":\"Fine\"", BL_EINVAL, "tcb_info");
	eval_edit(&tcb, 0, &base, "{\"tcbInfo\":", "{\"x\":1,\"tcbInfo\":", BL_EINVAL, "tcb_info");
	eval_edit(&tcb, 0, &base, "{\"tcbInfo\":", "{\"tcbInfo\":{},\"tcbInfo\":", BL_EINVAL,
	          "tcb_info");
	/* Intel's QVL: one level must meet both the SGX and the TDX components.
	 * PCESVN 13 meets the first level's SGX part, but a TEE_TCB_SVN below
	 * every level's TDX part meets none — even when that level is revoked,
	 * whose status would otherwise be reported. */
	{
		struct att_claims low = base;
		struct att_blob b =
		    edit(&tcb, "]},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"UpToDate\"",
		         "]},\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"Revoked\"");

		low.pck.pcesvn = 13;
		low.tdx.tee_tcb_svn[2] = 1;
		assert_int_equal(att_intel_json_eval(tcb.p, tcb.len, 0, 1, o.at, &low), BL_EVERIFY);
		assert_string_equal(att_failed_check(), "tcb_info.level");
		low = base;
		low.pck.pcesvn = 13;
		low.tdx.tee_tcb_svn[2] = 1;
		assert_int_equal(att_intel_json_eval(b.p, b.len, 0, 1, o.at, &low), BL_EVERIFY);
		assert_string_equal(att_failed_check(), "tcb_info.level");
		/* With the TDX part met, the revoked level is chosen. */
		low = base;
		low.pck.pcesvn = 13;
		assert_int_equal(att_intel_json_eval(b.p, b.len, 0, 1, o.at, &low), 0);
		assert_int_equal(low.tcb_status, ATT_TCB_REVOKED);
		free((void *)b.p);
	}
	/* With the pcesvn of the UpToDate level met, that level is chosen. */
	{
		struct att_claims up = base;

		up.pck.pcesvn = 13;
		assert_int_equal(att_intel_json_eval(tcb.p, tcb.len, 0, 1, o.at, &up), 0);
		assert_int_equal(up.tcb_status, ATT_TCB_UP_TO_DATE);
	}
	/* A QE below its UpToDate level makes an up-to-date platform OutOfDate;
	 * a revoked QE revokes (Intel's QVL convergence). */
	{
		struct att_claims up = base;
		struct att_blob b =
		    edit(&qe, "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"OutOfDate\"");

		up.pck.pcesvn = 13;
		assert_int_equal(att_intel_json_eval(tcb.p, tcb.len, 0, 1, o.at, &up), 0);
		assert_int_equal(att_intel_json_eval(b.p, b.len, 1, 1, o.at, &up), 0);
		assert_int_equal(up.qe_status, ATT_TCB_OUT_OF_DATE);
		assert_int_equal(up.tcb_status, ATT_TCB_OUT_OF_DATE);
		free((void *)b.p);
		b = edit(&qe, "\"tcbStatus\":\"UpToDate\"", "\"tcbStatus\":\"Revoked\"");
		assert_int_equal(att_intel_json_eval(b.p, b.len, 1, 1, o.at, &up), 0);
		assert_int_equal(up.tcb_status, ATT_TCB_REVOKED);
		free((void *)b.p);
	}
	/* TD QE identity. */
	c = base;
	assert_int_equal(att_intel_json_eval(qe.p, qe.len, 1, 1, o.at, &c), 0);
	assert_int_equal(c.qe_status, ATT_TCB_UP_TO_DATE);
	eval_edit(&qe, 1, &base, "\"mrsigner\":\"DC", "\"mrsigner\":\"DD", BL_EVERIFY,
	          "qe_identity.mrsigner");
	eval_edit(&qe, 1, &base, "\"isvprodid\":2", "\"isvprodid\":3", BL_EVERIFY,
	          "qe_identity.isvprodid");
	eval_edit(&qe, 1, &base, "\"attributes\":\"11", "\"attributes\":\"13", BL_EVERIFY,
	          "qe_identity.attributes");
	eval_edit(&qe, 1, &base, "\"miscselect\":\"00000000", "\"miscselect\":\"01000000",
	          BL_EVERIFY, "qe_identity.miscselect");
	eval_edit(&qe, 1, &base, "\"id\":\"TD_QE\"", "\"id\":\"QE\"", BL_EVERIFY, "qe_identity.id");
	eval_edit(&qe, 1, &base, "\"version\":2", "\"version\":3", BL_EUNSUPP,
	          "qe_identity.version");
	eval_edit(&qe, 1, &base, "\"nextUpdate\":\"2025-11-27", "\"nextUpdate\":\"2025-10-31",
	          BL_EVERIFY, "qe_identity.expired");
	eval_edit(&qe, 1, &base, "{\"isvsvn\":4}", "{\"isvsvn\":9}", BL_EVERIFY,
	          "qe_identity.level"); /* the QE's ISVSVN is 7: only lower levels remain */
	free(q.p);
	free(tcb.p);
	free(qe.p);
}

static void test_intel_sample_tdx(void **state)
{
	(void)state;
	struct file q = load("intel-sample/tdx/quote.dat");
	struct file pck = load("intel-sample/tdx/pckCert.pem");
	struct file chain = load("intel-sample/tdx/pckSignChain.pem");
	struct file tcb = load("intel-sample/tdx/tcbInfo.json");
	struct file qe = load("intel-sample/tdx/qeIdentity.json");
	struct file sign = load("intel-sample/tdx/tcbSignChain.pem");
	struct file root = load("intel-sample/tdx/trustedRootCaCert.pem");
	uint8_t *both = malloc(pck.len + chain.len);
	struct att_blob anchor = blob(root);
	struct att_opts o = { .at = T("2024-01-01T00:00:00Z"), .anchors = &anchor, .n_anchors = 1 };
	struct att_claims c;

	memcpy(both, pck.p, pck.len);
	memcpy(both + pck.len, chain.p, chain.len); /* chain lists the root first */
	o.pck_chain.p = both;
	o.pck_chain.len = pck.len + chain.len;
	/* The sample's QE is not Intel's TD QE (MRSIGNER 0bf58c…, ISVPRODID
	 * 29854): a report the PCK key signed for any enclave with the
	 * PROVISIONKEY attribute must not pass as a quoting enclave. Without a
	 * QE identity the QE must be Intel's own. */
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "quote.qe_signer");
	/* The sample's own TD QE identity names another signer: the QE is then
	 * judged by it, and refused by it (every earlier check passed). */
	o.qe_identity = blob(qe);
	o.tcb_signing_chain = blob(sign);
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "qe_identity.mrsigner");
	/* The synthetic TCB info has no level this platform meets. */
	o.tcb_info = blob(tcb);
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "tcb_info.level");
	/* The chain inside the quote (DER, root first) verifies too: the
	 * verification gets as far as the QE identity. */
	o.pck_chain.len = 0;
	o.tcb_info.len = 0;
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "qe_identity.mrsigner");
	/* Against the built-in Intel root the sample's test root is refused. */
	o.n_anchors = 0;
	expect_fail(att_tdx_verify(q.p, q.len, &o, &c), BL_EVERIFY, "pck.root");
	free(both);
	free(q.p);
	free(pck.p);
	free(chain.p);
	free(tcb.p);
	free(qe.p);
	free(sign.p);
	free(root.p);
}

/* Concurrent verifications share the caches: every one must still succeed
 * (and, under ASan, touch nothing it should not). */
struct thread_arg {
	struct csr_ev *snp, *sgx;
	int failures;
};

static void *verify_loop(void *p)
{
	struct thread_arg *a = p;
	struct att_opts o = { .at = 1675209600 };
	struct att_claims c;

	for (int i = 0; i < 10; i++) {
		if (att_evidence_verify(a->snp->kind, a->snp->ev, a->snp->ev_len, &o, &c) ||
		    c.kind != ATT_KIND_SNP)
			a->failures++;
		if (att_evidence_verify(a->sgx->kind, a->sgx->ev, a->sgx->ev_len, &o, &c) ||
		    c.tcb_status != ATT_TCB_OUT_OF_DATE)
			a->failures++;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct csr_ev snp = csr_evidence("steward/milan.signed.crl.csr");
	struct csr_ev sgx = csr_evidence("steward/icelake.signed.tcb.crl.multi.xeon.csr");
	struct thread_arg args[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){ &snp, &sgx, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, verify_loop, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	csr_free(&snp);
	csr_free(&sgx);
}

static void test_kvm_and_kinds(void **state)
{
	(void)state;
	struct att_opts o = { .at = 1 };
	struct att_claims c;
	uint8_t junk[3] = { 0x30, 0x01, 0x00 };

	assert_int_equal(att_evidence_verify(ATT_KIND_KVM, NULL, 0, &o, &c), 0);
	assert_int_equal(c.kind, ATT_KIND_KVM);
	expect_fail(att_evidence_verify(ATT_KIND_KVM, junk, 3, &o, &c), BL_EINVAL,
	            "evidence.format");
	expect_fail(att_report_data_check(&c, junk, 3), BL_EINVAL, "evidence.report_data");
	expect_fail(att_evidence_verify(ATT_KIND_SNP, junk, 3, &o, &c), BL_EINVAL,
	            "evidence.format");
	expect_fail(att_evidence_verify(ATT_KIND_SGX, junk, 3, &o, &c), BL_EINVAL,
	            "evidence.format");
	expect_fail(att_evidence_verify((enum att_kind)9, junk, 3, &o, &c), BL_EINVAL,
	            "evidence.kind");
	o.at = 0;
	expect_fail(att_evidence_verify(ATT_KIND_KVM, NULL, 0, &o, &c), BL_EINVAL, "options");
	assert_int_equal(att_kind_from_oid("1.3.6.1.4.1.58270.1.4"), ATT_KIND_TDX);
	assert_int_equal(att_kind_from_oid("1.3.6.1.4.1.58270.1.3"), ATT_KIND_SNP);
	assert_int_equal(att_kind_from_oid("1.3.6.1.4.1.58270.1.5"), ATT_KIND_NONE);
	assert_string_equal(att_kind_oid(ATT_KIND_SGX), "1.3.6.1.4.1.58270.1.2");
	assert_int_equal(att_kind_parse("tdx"), ATT_KIND_TDX);
	assert_int_equal(att_kind_parse("nil"), -1);
	assert_int_equal(att_tcb_status_parse("SWHardeningNeeded"), ATT_TCB_SW_HARDENING_NEEDED);
	assert_int_equal(att_tcb_status_parse("uptodate"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snp_milan_raw), cmocka_unit_test(test_snp_go_sev_guest),
		cmocka_unit_test(test_snp_csr),       cmocka_unit_test(test_snp_tamper),
		cmocka_unit_test(test_snp_chain),     cmocka_unit_test(test_snp_csr_collateral),
		cmocka_unit_test(test_sgx_quote_raw), cmocka_unit_test(test_sgx_csr),
		cmocka_unit_test(test_sgx_tamper),    cmocka_unit_test(test_sgx_roots_and_crls),
		cmocka_unit_test(test_sgx_tcb_info),  cmocka_unit_test(test_sgx_tcb_info_expired),
		cmocka_unit_test(test_sgx_key_roles), cmocka_unit_test(test_intel_sample_sgx),
		cmocka_unit_test(test_tdx_quote),     cmocka_unit_test(test_tdx_collateral_checks),
		cmocka_unit_test(test_tdx_evidence),  cmocka_unit_test(test_intel_sample_tdx),
		cmocka_unit_test(test_threads),       cmocka_unit_test(test_kvm_and_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
