/* test_csr.c — PKCS#10 parsing and checks (src/attest/csr.c), with the real
 * Enarx CSRs of ../shared/vectors/steward and requests built here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/csr.h"
#include "common/buf.h"
#include "common/digest.h"

#include "shared_vectors.h"

#define NEED_VECTOR(p)                                                                             \
	do {                                                                                       \
		if (!(p))                                                                          \
			skip();                                                                    \
	} while (0)

static void test_real_snp(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = slurp("vectors/steward/milan.signed.crl.csr", &len);
	struct att_csr csr;
	uint8_t rd[64] = { 0 };

	NEED_VECTOR(der);
	assert_int_equal(att_csr_parse(der, len, &csr), 0);
	assert_int_equal(csr.kind, ATT_KIND_SNP);
	assert_int_equal(csr.curve_bits, 384);
	assert_int_equal(csr.evidence_len, 4414);
	assert_int_equal(csr.spki_len, 120);
	assert_false(csr.workload.present);
	assert_int_equal(csr.n_names, 0);
	assert_int_equal(att_csr_check_key_type(&csr), 0);
	/* Binding: SHA-384 of the SPKI, then zeros (value checked with Python's hashlib). */
	assert_int_equal(bl_digest(BL_SHA384, csr.spki, csr.spki_len, rd), 0);
	assert_int_equal(rd[0], 0xe7);
	assert_int_equal(rd[47], 0xc6);
	assert_int_equal(att_csr_check_binding(&csr, rd, 64), 0);
	rd[63] = 1;
	assert_int_equal(att_csr_check_binding(&csr, rd, 64), BL_EPERM);
	rd[63] = 0;
	rd[5] ^= 1;
	assert_int_equal(att_csr_check_binding(&csr, rd, 64), BL_EPERM);
	att_csr_free(&csr);
	free(der);
}

static void test_real_sgx(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = slurp("vectors/steward/icelake.signed.tcb.crl.multi.xeon.csr", &len);
	struct att_csr csr;
	uint8_t rd[64] = { 0 };

	NEED_VECTOR(der);
	assert_int_equal(att_csr_parse(der, len, &csr), 0);
	assert_int_equal(csr.kind, ATT_KIND_SGX);
	assert_int_equal(csr.curve_bits, 256);
	assert_int_equal(att_csr_check_key_type(&csr), 0);
	assert_int_equal(bl_digest(BL_SHA256, csr.spki, csr.spki_len, rd), 0);
	assert_int_equal(rd[0], 0xe8);
	assert_int_equal(att_csr_check_binding(&csr, rd, 64), 0);
	/* SGX binds SHA-256: a SHA-384 in the same place is not a binding. */
	assert_int_equal(bl_digest(BL_SHA384, csr.spki, csr.spki_len, rd), 0);
	assert_int_equal(att_csr_check_binding(&csr, rd, 64), BL_EPERM);
	att_csr_free(&csr);
	free(der);
}

/* Every truncation and every single-bit flip of a real CSR is refused. */
static void test_real_tampered(void **state)
{
	(void)state;
	size_t len;
	uint8_t *der = slurp("vectors/steward/milan.signed.crl.csr", &len);
	struct att_csr csr;

	NEED_VECTOR(der);
	for (size_t n = 0; n < len; n += 7)
		assert_true(att_csr_parse(der, n, &csr) < 0);
	/* A flip in the signed info (the subject key, the report) breaks the self-signature. */
	size_t offs[] = { 40, 200, 1000, 3000, 4500 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		der[offs[i]] ^= 0x01;
		int rc = att_csr_parse(der, len, &csr);
		assert_true(rc == BL_EVERIFY || rc == BL_EINVAL);
		der[offs[i]] ^= 0x01;
	}
	/* A point moved off the curve is refused as such, before any signature check. */
	der[60] ^= 0x01;
	assert_int_equal(att_csr_parse(der, len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "not a point on P-384"));
	der[60] ^= 0x01;
	/* The compressed form is refused (04 -> 02 marks a compressed point). */
	assert_int_equal(der[36], 0x04);
	der[36] = 0x02;
	assert_int_equal(att_csr_parse(der, len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "uncompressed"));
	der[36] = 0x04;
	/* The signature itself. */
	der[len - 5] ^= 0x40;
	assert_int_equal(att_csr_parse(der, len, &csr), BL_EVERIFY);
	der[len - 5] ^= 0x40;
	/* Trailing garbage after the request. */
	uint8_t *more = malloc(len + 1);
	memcpy(more, der, len);
	more[len] = 0;
	assert_int_equal(att_csr_parse(more, len + 1, &csr), BL_EINVAL);
	free(more);
	assert_int_equal(att_csr_parse(der, len, &csr), 0);
	att_csr_free(&csr);
	free(der);
}

static EVP_PKEY *key_on(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	assert_non_null(k);
	return k;
}

static void build(EVP_PKEY *k, const struct att_csr_req *r, struct bl_buf *out)
{
	bl_buf_reset(out);
	assert_int_equal(att_csr_build(k, r, out), 0);
}

static void test_built_kvm_workload_names(void **state)
{
	(void)state;
	EVP_PKEY *k = key_on("P-256");
	struct bl_buf b = BL_BUF_INIT;
	struct att_workload w = { 0 };
	const char *names[] = { "a.example.com", "b-2.example.org" };
	struct att_csr_req r = {
		.kind = ATT_KIND_KVM, .workload = &w, .names = names, .n_names = 2
	};
	struct att_csr csr;

	w.present = 1;
	w.wasm.present = w.config.present = 1;
	w.wasm.alg = w.config.alg = BL_SHA384;
	memset(w.wasm.digest, 0x11, 48);
	memset(w.config.digest, 0x22, 48);
	build(k, &r, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), 0);
	assert_int_equal(csr.kind, ATT_KIND_KVM);
	assert_int_equal(csr.evidence_len, 0);
	assert_true(csr.workload.present);
	assert_int_equal(csr.workload.wasm.alg, BL_SHA384);
	assert_int_equal(csr.workload.wasm.digest[47], 0x11);
	assert_int_equal(csr.workload.config.digest[0], 0x22);
	assert_false(csr.workload.tree.present);
	assert_int_equal(csr.n_names, 2);
	assert_memory_equal(csr.names[1].p, "b-2.example.org", 15);
	assert_int_equal(csr.names[1].len, 15);
	assert_int_equal(att_csr_check_key_type(&csr), 0);
	att_csr_free(&csr);

	/* SNP evidence with a P-256 key: wrong key type for the platform. */
	static const uint8_t fake[] = { 0x30, 0x00 };
	r.kind = ATT_KIND_SNP;
	r.evidence = fake;
	r.evidence_len = sizeof(fake);
	build(k, &r, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), 0);
	assert_int_equal(att_csr_check_key_type(&csr), BL_EPERM);
	att_csr_free(&csr);

	/* KVM evidence must be empty. */
	r.kind = ATT_KIND_KVM;
	build(k, &r, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	bl_buf_free(&b);
	EVP_PKEY_free(k);
}

/* A CSR made with OpenSSL directly, for shapes att_csr_build never makes. */
static void raw_csr(EVP_PKEY *k, long version, const char **oids, const int *crit, size_t n,
                    int extra_attr, struct bl_buf *out)
{
	X509_REQ *r = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	unsigned char *der = NULL;

	for (size_t i = 0; i < n; i++) {
		ASN1_OBJECT *o = OBJ_txt2obj(oids[i], 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		assert_true(ASN1_OCTET_STRING_set(os, (const unsigned char *)"", 0));
		X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, crit ? crit[i] : 0, os);
		assert_non_null(e);
		sk_X509_EXTENSION_push(exts, e);
		ASN1_OBJECT_free(o);
		ASN1_OCTET_STRING_free(os);
	}
	assert_true(X509_REQ_set_version(r, version));
	assert_true(X509_REQ_set_pubkey(r, k));
	if (n)
		assert_true(X509_REQ_add_extensions(r, exts));
	if (extra_attr)
		assert_true(X509_REQ_add1_attr_by_NID(r, NID_pkcs9_challengePassword, MBSTRING_ASC,
		                                      (const unsigned char *)"pw", -1));
	assert_true(X509_REQ_sign(r, k, EVP_sha256()));
	int len = i2d_X509_REQ(r, &der);
	assert_true(len > 0);
	bl_buf_reset(out);
	assert_int_equal(bl_buf_append(out, der, (size_t)len), 0);
	OPENSSL_free(der);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(r);
}

static void test_refusals(void **state)
{
	(void)state;
	EVP_PKEY *k = key_on("P-256");
	struct bl_buf b = BL_BUF_INIT;
	struct att_csr csr;
	const char *kvm[] = { "1.3.6.1.4.1.58270.1.1" };
	const char *two[] = { "1.3.6.1.4.1.58270.1.1", "1.3.6.1.4.1.58270.1.1" };
	const char *two_kinds[] = { "1.3.6.1.4.1.58270.1.1", "1.3.6.1.4.1.58270.1.2" };
	const char *unknown[] = { "1.3.6.1.4.1.58270.1.1", "1.2.3.4" };
	const int critical[] = { 1 };

	raw_csr(k, 0, kvm, NULL, 1, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), 0);
	att_csr_free(&csr);

	raw_csr(k, 1, kvm, NULL, 1, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "version"));

	raw_csr(k, 0, kvm, NULL, 1, 1, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "attribute"));

	/* No attributes at all: a nil Keep's request, without evidence. */
	raw_csr(k, 0, NULL, NULL, 0, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), 0);
	assert_int_equal(csr.kind, ATT_KIND_NONE);
	assert_null(csr.evidence_ext);
	att_csr_free(&csr);

	raw_csr(k, 0, two, NULL, 2, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "twice"));

	raw_csr(k, 0, two_kinds, NULL, 2, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "more than one"));

	raw_csr(k, 0, unknown, NULL, 2, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EUNSUPP);
	assert_non_null(strstr(bl_errmsg(), "unknown extension"));

	raw_csr(k, 0, kvm, critical, 1, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "critical"));
	EVP_PKEY_free(k);

	/* Keys other than P-256/P-384 EC. */
	k = key_on("P-521");
	raw_csr(k, 0, kvm, NULL, 1, 0, &b);
	assert_int_equal(att_csr_parse(b.p, b.len, &csr), BL_EUNSUPP);
	EVP_PKEY_free(k);
	bl_buf_free(&b);
}

static void test_workload_parse(void **state)
{
	(void)state;
	struct att_workload w = { 0 }, got;
	struct bl_buf b = BL_BUF_INIT;

	w.present = w.wasm.present = w.config.present = w.tree.present = 1;
	w.wasm.alg = BL_SHA256;
	w.config.alg = BL_SHA384;
	w.tree.alg = BL_SHA512;
	memset(w.tree.digest, 0x33, 64);
	assert_int_equal(att_workload_encode(&w, &b), 0);
	assert_int_equal(att_workload_parse(b.p, b.len, &got), 0);
	assert_true(got.tree.present);
	assert_int_equal(got.tree.alg, BL_SHA512);
	assert_int_equal(got.tree.digest[63], 0x33);
	/* Every truncation fails; a wrong digest length fails. */
	for (size_t n = 0; n < b.len; n++)
		assert_true(att_workload_parse(b.p, n, &got) < 0);
	b.p[b.len - 1] ^= 0; /* unchanged */
	static const uint8_t short_digest[] = { 0x30, 0x11, 0xa0, 0x0f, 0x06, 0x09, 0x60,
		                                0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
		                                0x01, 0x04, 0x02, 0x00, 0x00 };
	assert_int_equal(att_workload_parse(short_digest, sizeof(short_digest), &got), BL_EINVAL);
	w.config.present = 0;
	bl_buf_reset(&b);
	assert_int_equal(att_workload_encode(&w, &b), BL_EINVAL);
	bl_buf_free(&b);
}

/* The subject Name is read strictly; its commonNames and emailAddress are recorded. */
static void test_subject(void **state)
{
	(void)state;
	/* CN=a.example (UTF8String), O=x (PrintableString) in one RDN, then emailAddress=e */
	static const uint8_t good[] = {
		0x30, 0x2c, 0x31, 0x19, 0x30, 0x0e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c,
		0x07, 'a',  '.',  'e',  'x',  'a',  'm',  'p',  0x30, 0x07, 0x06, 0x03,
		0x55, 0x04, 0x0a, 0x13, 0x00, 0x31, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x2a,
		0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01, 0x16, 0x00,
	};
	static const uint8_t empty_rdn[] = { 0x30, 0x02, 0x31, 0x00 };
	static const uint8_t not_set[] = { 0x30, 0x02, 0x30, 0x00 };
	static const uint8_t no_value[] = { 0x30, 0x09, 0x31, 0x07, 0x30, 0x05,
		                            0x06, 0x03, 0x55, 0x04, 0x03 };
	static const uint8_t trailing[] = { 0x30, 0x00, 0x00 };
	static const uint8_t truncated[] = { 0x30, 0x04, 0x31, 0x02, 0x30 };
	struct att_csr csr;

	memset(&csr, 0, sizeof(csr));
	assert_int_equal(att_csr_set_subject(&csr, good, sizeof(good)), 0);
	assert_int_equal(csr.n_subject_cns, 1);
	assert_int_equal(csr.subject_cns[0].tag, 0x0c);
	assert_int_equal(csr.subject_cns[0].len, 7);
	assert_memory_equal(csr.subject_cns[0].p, "a.examp", 7);
	assert_true(csr.subject_email);
	assert_ptr_equal(csr.subject, good);
	assert_int_equal(att_csr_set_subject(&csr, empty_rdn, sizeof(empty_rdn)), BL_EINVAL);
	assert_int_equal(att_csr_set_subject(&csr, not_set, sizeof(not_set)), BL_EINVAL);
	assert_true(att_csr_set_subject(&csr, no_value, sizeof(no_value)) < 0);
	assert_true(att_csr_set_subject(&csr, trailing, sizeof(trailing)) < 0);
	assert_true(att_csr_set_subject(&csr, truncated, sizeof(truncated)) < 0);
	/* An empty subject (Enarx's) has neither. */
	assert_int_equal(att_csr_set_subject(&csr, good, 2), BL_EINVAL); /* length says 0x2c */
	static const uint8_t empty[] = { 0x30, 0x00 };
	assert_int_equal(att_csr_set_subject(&csr, empty, sizeof(empty)), 0);
	assert_int_equal(csr.n_subject_cns, 0);
	assert_false(csr.subject_email);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_snp),
		cmocka_unit_test(test_real_sgx),
		cmocka_unit_test(test_real_tampered),
		cmocka_unit_test(test_built_kvm_workload_names),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_workload_parse),
		cmocka_unit_test(test_subject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
