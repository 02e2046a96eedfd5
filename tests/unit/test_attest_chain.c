/*
 * test_attest_chain.c — the certificate-chain and CRL checks every vendor
 * path uses (att_chain_verify), on a PKI generated here (root → intermediate
 * → leaf, P-256), where revocation, stale or forged CRLs, expiry, a foreign
 * root, a forged signature and a non-CA issuer can each be produced; plus
 * the DER reader, the time parser and version comparison.
 */
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
#include <openssl/x509v3.h>

#include "attest/attest.h"
#include "attest/internal.h"

#define DAY 86400
static const time_t NOW = 1700000000; /* 2023-11-14 */

static EVP_PKEY *key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static X509 *cert(const char *cn, long serial, EVP_PKEY *pub, X509 *issuer, EVP_PKEY *ikey, int ca,
                  time_t nb, time_t na)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_NAME_free(name);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_pubkey(x, pub);
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	return x;
}

static X509_CRL *crl(X509 *issuer, EVP_PKEY *ikey, time_t last, time_t next, long revoked)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer));
	ASN1_TIME_set(t, last);
	X509_CRL_set1_lastUpdate(c, t);
	ASN1_TIME_set(t, next);
	if (next) /* 0: no nextUpdate */
		X509_CRL_set1_nextUpdate(c, t);
	if (revoked >= 0) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, revoked);
		X509_REVOKED_set_serialNumber(r, s);
		ASN1_TIME_set(t, last);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(c, r);
		ASN1_INTEGER_free(s);
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(c);
	assert_true(X509_CRL_sign(c, ikey, EVP_sha256()) > 0);
	return c;
}

struct pki {
	EVP_PKEY *rk, *ik, *lk, *other;
	X509 *root, *inter, *leaf;
};

static int setup(void **state)
{
	struct pki *p = calloc(1, sizeof(*p));

	p->rk = key();
	p->ik = key();
	p->lk = key();
	p->other = key();
	p->root = cert("Test Root", 1, p->rk, NULL, p->rk, 1, NOW - 1000 * DAY, NOW + 1000 * DAY);
	p->inter =
	    cert("Test Inter", 2, p->ik, p->root, p->rk, 1, NOW - 500 * DAY, NOW + 500 * DAY);
	p->leaf = cert("Test Leaf", 3, p->lk, p->inter, p->ik, 0, NOW - 10 * DAY, NOW + 10 * DAY);
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct pki *p = *state;

	X509_free(p->root);
	X509_free(p->inter);
	X509_free(p->leaf);
	EVP_PKEY_free(p->rk);
	EVP_PKEY_free(p->ik);
	EVP_PKEY_free(p->lk);
	EVP_PKEY_free(p->other);
	free(p);
	return 0;
}

/* Verify [certs...] against anchor with optional CRLs; returns rc. */
static int run(X509 *anchor, X509_CRL *c1, X509_CRL *c2, time_t at, int n, ...)
{
	STACK_OF(X509) *chain = sk_X509_new_null(), *anchors = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	va_list ap;
	int rc;

	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		X509 *x = va_arg(ap, X509 *);
		X509_up_ref(x);
		sk_X509_push(chain, x);
	}
	va_end(ap);
	X509_up_ref(anchor);
	sk_X509_push(anchors, anchor);
	if (c1)
		sk_X509_CRL_push(crls, c1);
	if (c2)
		sk_X509_CRL_push(crls, c2);
	rc = att_chain_verify(chain, anchors, crls, at, "t");
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

static void expect(int rc, const char *check)
{
	if (!check) {
		if (rc)
			print_message("# unexpected failure: %s\n", bl_errmsg());
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, BL_EVERIFY);
	assert_string_equal(att_failed_check(), check);
}

static void test_chain_ok(void **state)
{
	struct pki *p = *state;

	att_reset();
	expect(run(p->root, NULL, NULL, NOW, 3, p->leaf, p->inter, p->root), NULL);
	expect(run(p->root, NULL, NULL, NOW, 2, p->leaf, p->inter), NULL); /* root implied */
	expect(run(p->root, NULL, NULL, NOW, 3, p->root, p->leaf, p->inter), NULL); /* any order */
	/* CRLs that revoke nothing of ours, current: accepted. */
	expect(run(p->root, crl(p->inter, p->ik, NOW - DAY, NOW + DAY, 99),
	           crl(p->root, p->rk, NOW - DAY, NOW + DAY, -1), NOW, 2, p->leaf, p->inter),
	       NULL);
}

static void test_chain_revoked(void **state)
{
	struct pki *p = *state;

	expect(run(p->root, crl(p->inter, p->ik, NOW - DAY, NOW + DAY, 3), NULL, NOW, 2, p->leaf,
	           p->inter),
	       "t.revoked");
	expect(run(p->root, crl(p->root, p->rk, NOW - DAY, NOW + DAY, 2), NULL, NOW, 2, p->leaf,
	           p->inter),
	       "t.revoked");
}

static void test_chain_bad_crl(void **state)
{
	struct pki *p = *state;

	/* Signed by another key under the intermediate's name. */
	expect(run(p->root, crl(p->inter, p->other, NOW - DAY, NOW + DAY, -1), NULL, NOW, 2,
	           p->leaf, p->inter),
	       "t.crl");
	/* Stale: nextUpdate before the verification time. */
	expect(run(p->root, crl(p->inter, p->ik, NOW - 3 * DAY, NOW - DAY, -1), NULL, NOW, 2,
	           p->leaf, p->inter),
	       "t.crl");
	/* No nextUpdate (RFC 5280 §5.1.2.5: issuers MUST include it): such a
	 * CRL would be "current" forever, so an old one could hide every later
	 * revocation. Refused. */
	{
		X509_CRL *c = crl(p->inter, p->ik, NOW - DAY, 0, -1);

		assert_null(X509_CRL_get0_nextUpdate(c));
		expect(run(p->root, c, NULL, NOW, 2, p->leaf, p->inter), "t.crl");
	}
	/* Not yet issued at the verification time. */
	expect(run(p->root, crl(p->root, p->rk, NOW + DAY, NOW + 3 * DAY, -1), NULL, NOW, 2,
	           p->leaf, p->inter),
	       "t.crl");
}

static void test_chain_time(void **state)
{
	struct pki *p = *state;

	expect(run(p->root, NULL, NULL, NOW + 20 * DAY, 2, p->leaf, p->inter), "t.expired");
	expect(run(p->root, NULL, NULL, NOW - 20 * DAY, 2, p->leaf, p->inter), "t.expired");
	assert_non_null(strstr(bl_errmsg(), "Test Leaf"));
}

static void test_chain_root_and_signatures(void **state)
{
	struct pki *p = *state;
	X509 *other_root = cert("Test Root", 1, p->other, NULL, p->other, 1, NOW - DAY, NOW + DAY);
	X509 *forged = cert("Test Leaf", 3, p->lk, p->inter, p->other, 0, NOW - DAY, NOW + DAY);
	X509 *not_ca = cert("Test Inter", 2, p->ik, p->root, p->rk, 0, NOW - DAY, NOW + DAY);
	X509 *stranger = cert("Stranger", 9, p->other, NULL, p->other, 1, NOW - DAY, NOW + DAY);

	/* Same name, other key: the anchor is not DER-equal. */
	expect(run(other_root, NULL, NULL, NOW, 3, p->leaf, p->inter, p->root), "t.root");
	/* Implied root under the same name but another key: signature fails. */
	expect(run(other_root, NULL, NULL, NOW, 2, p->leaf, p->inter), "t.chain");
	expect(run(p->root, NULL, NULL, NOW, 2, forged, p->inter), "t.chain");
	expect(run(p->root, NULL, NULL, NOW, 2, p->leaf, not_ca), "t.chain");
	/* A certificate off the path. */
	expect(run(p->root, NULL, NULL, NOW, 3, p->leaf, p->inter, stranger), "t.chain");
	X509_free(other_root);
	X509_free(forged);
	X509_free(not_ca);
	X509_free(stranger);
}

/*
 * Collateral is signed only by a certificate named "Intel SGX TCB Signing"
 * issued by the root itself: not by one under an intermediate, even a
 * trusted one (an intermediate that issues platform keys must not be able
 * to mint a collateral signer).
 */
static void test_tcb_signer_under_root(void **state)
{
	struct pki *p = *state;
	X509 *ok = cert("Intel SGX TCB Signing", 7, p->lk, p->root, p->rk, 0, NOW - DAY, NOW + DAY);
	X509 *deep =
	    cert("Intel SGX TCB Signing", 8, p->lk, p->inter, p->ik, 0, NOW - DAY, NOW + DAY);
	STACK_OF(X509) *anchors = sk_X509_new_null();
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	static const char json[] = "{}";
	struct att_intel_collateral col = { 0 };
	struct att_claims c;

	X509_up_ref(p->root);
	sk_X509_push(anchors, p->root);
	col.tcb_info.p = (const uint8_t *)json;
	col.tcb_info.len = 2;
	/* Under the root: the chain passes and the (malformed) TCB info is next. */
	col.tcb_chain = sk_X509_new_null();
	sk_X509_push(col.tcb_chain, ok);
	memset(&c, 0, sizeof(c));
	att_reset();
	assert_int_equal(att_intel_tcb_apply(&col, anchors, crls, NOW, 0, &c), BL_EINVAL);
	assert_string_equal(att_failed_check(), "tcb_info");
	sk_X509_pop_free(col.tcb_chain, X509_free);
	/* Under the intermediate, with or without the root listed: refused. */
	for (int with_root = 0; with_root < 2; with_root++) {
		col.tcb_chain = sk_X509_new_null();
		X509_up_ref(p->inter);
		sk_X509_push(col.tcb_chain, deep);
		X509_up_ref(deep);
		sk_X509_push(col.tcb_chain, p->inter);
		if (with_root) {
			X509_up_ref(p->root);
			sk_X509_push(col.tcb_chain, p->root);
		}
		att_reset();
		expect(att_intel_tcb_apply(&col, anchors, crls, NOW, 0, &c), "tcb_signing.chain");
		sk_X509_pop_free(col.tcb_chain, X509_free);
	}
	X509_free(deep);
	sk_X509_pop_free(anchors, X509_free);
	sk_X509_CRL_free(crls);
}

static void test_der_reader(void **state)
{
	(void)state;
	static const uint8_t ok[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };
	static const uint8_t nonmin[] = { 0x30, 0x81, 0x03, 0x02, 0x01, 0x05 };
	static const uint8_t trunc[] = { 0x30, 0x05, 0x02, 0x01, 0x05 };
	static const uint8_t indef[] = { 0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00 };
	static const uint8_t neg[] = { 0x02, 0x01, 0x85 };
	struct bl_cur c = bl_cur_make(ok, sizeof(ok)), v;
	uint64_t x;

	assert_int_equal(att_der_get(&c, DER_SEQUENCE, &v, NULL), 0);
	assert_int_equal(att_der_uint(&v, &x), 0);
	assert_int_equal(x, 5);
	c = bl_cur_make(ok, sizeof(ok));
	assert_int_equal(att_der_get(&c, DER_SET, &v, NULL), BL_EINVAL);
	assert_int_equal(c.pos, 0); /* position kept on failure */
	c = bl_cur_make(nonmin, sizeof(nonmin));
	assert_int_equal(att_der_get(&c, DER_SEQUENCE, &v, NULL), BL_EINVAL);
	c = bl_cur_make(trunc, sizeof(trunc));
	assert_int_equal(att_der_get(&c, DER_SEQUENCE, &v, NULL), BL_ETRUNC);
	c = bl_cur_make(indef, sizeof(indef));
	assert_int_equal(att_der_get(&c, DER_SEQUENCE, &v, NULL), BL_EINVAL);
	c = bl_cur_make(neg, sizeof(neg));
	assert_int_equal(att_der_uint(&c, &x), BL_ERANGE);
}

static void test_time_and_versions(void **state)
{
	(void)state;
	time_t t;

	assert_int_equal(att_parse_time("2023-02-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 1675209600);
	assert_int_equal(att_parse_time("2023-02-01T00:00:00.123Z", &t), 0);
	assert_int_equal(t, 1675209600);
	assert_int_equal(att_parse_time("2023-02-01T00:00:00+00:00", &t), 0);
	assert_int_equal(att_parse_time("2023-02-01T00:00:00+01:00", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-02-01", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-13-01T00:00:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-02-01T00:00:00Zjunk", &t), BL_EINVAL);
	/* sscanf's %d takes signs and spaces; a date must be digits, and real. */
	assert_int_equal(att_parse_time("2023-02-01T-1:00:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-02-01T00:-5:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-02-01T 1:00:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("+023-02-01T00:00:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2023-02-30T00:00:00Z", &t), BL_EINVAL);
	assert_int_equal(att_parse_time("2024-02-29T00:00:00Z", &t), 0); /* leap year */
	/* ABI versions compare as versions: 1.0 is above a 0.9 minimum even
	 * though its minor is smaller (Steward compared the parts separately). */
	assert_true(att_version_cmp(1, 0, 0, 9) > 0);
	assert_true(att_version_cmp(1, 51, 1, 6) > 0);
	assert_true(att_version_cmp(1, 5, 1, 51) < 0);
	assert_int_equal(att_version_cmp(1, 51, 1, 51), 0);
}

static void test_snp_tcb_layouts(void **state)
{
	(void)state;
	struct att_snp_tcb t;

	/* Milan/Genoa: byte 0 bootloader, 1 tee, 6 snp, 7 microcode. */
	att_snp_tcb_decode(0x5d06000000000002ull, ATT_SNP_MILAN, &t);
	assert_int_equal(t.bootloader, 2);
	assert_int_equal(t.tee, 0);
	assert_int_equal(t.snp, 6);
	assert_int_equal(t.microcode, 0x5d);
	assert_int_equal(t.fmc, 0);
	/* Turin: byte 0 fmc, 1 bootloader, 2 tee, 3 snp, 7 microcode. */
	att_snp_tcb_decode(0x4800000004030201ull, ATT_SNP_TURIN, &t);
	assert_int_equal(t.fmc, 1);
	assert_int_equal(t.bootloader, 2);
	assert_int_equal(t.tee, 3);
	assert_int_equal(t.snp, 4);
	assert_int_equal(t.microcode, 0x48);
	assert_string_equal(att_snp_product_name(ATT_SNP_TURIN), "Turin");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_ok),
		cmocka_unit_test(test_chain_revoked),
		cmocka_unit_test(test_chain_bad_crl),
		cmocka_unit_test(test_chain_time),
		cmocka_unit_test(test_chain_root_and_signatures),
		cmocka_unit_test(test_tcb_signer_under_root),
		cmocka_unit_test(test_der_reader),
		cmocka_unit_test(test_time_and_versions),
		cmocka_unit_test(test_snp_tcb_layouts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
