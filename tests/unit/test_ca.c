/* test_ca.c — the Steward CA: generation, files, and the certificate it issues. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/x509v3.h>

#include "attest/cert.h"
#include "attest/csr.h"
#include "attest/tlv.h"

#include <openssl/sha.h>
#include "steward/ca.h"

static time_t T0 = 1675209600; /* 2023-02-01T00:00:00Z */

static void kvm_csr(EVP_PKEY *k, const char *const *names, size_t n, struct bl_buf *out)
{
	struct att_csr_req r = { .kind = ATT_KIND_KVM, .names = names, .n_names = n };
	assert_int_equal(att_csr_build(k, &r, out), 0);
}

static X509 *issue(struct stw_ca *ca, const struct att_csr *csr, const char *const *names, size_t n,
                   const struct bl_buf *claims, long lifetime)
{
	struct bl_buf out = BL_BUF_INIT;
	struct stw_issue req = {
		.csr = csr, .names = names, .n_names = n, .at = T0, .lifetime = lifetime
	};
	const unsigned char *p;
	X509 *x;

	if (claims) {
		req.claims = claims->p;
		req.claims_len = claims->len;
	}
	assert_int_equal(stw_ca_issue(ca, &req, &out), 0);
	p = out.p;
	x = d2i_X509(NULL, &p, (long)out.len);
	assert_non_null(x);
	assert_ptr_equal(p, out.p + out.len);
	bl_buf_free(&out);
	return x;
}

static void test_issue(void **state)
{
	(void)state;
	struct stw_ca ca;
	EVP_PKEY *k = EVP_EC_gen("P-384");
	struct bl_buf csr_der = BL_BUF_INIT, claims = BL_BUF_INIT;
	const char *names[] = { "app.example.com" };
	struct att_csr csr;
	struct att_tcbinfo t = { 0 };
	X509 *x, *y;

	assert_int_equal(stw_ca_generate(&ca, 384, "Test Steward", T0 - 86400, 365), 0);
	assert_true(ca.self_signed);
	kvm_csr(k, names, 1, &csr_der);
	assert_int_equal(att_csr_parse(csr_der.p, csr_der.len, &csr), 0);
	t.vendor = att_bytes_str("Bailey");
	t.model = att_bytes_str("KVM");
	assert_int_equal(att_multitcb_encode(&t, 1, &claims), 0);

	x = issue(&ca, &csr, names, 1, &claims, 3600);
	y = issue(&ca, &csr, names, 1, &claims, 3600);

	/* Signed by the CA; v3; key from the CSR. */
	assert_int_equal(X509_verify(x, ca.key), 1);
	assert_int_equal(X509_get_version(x), 2);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), k), 1);
	assert_int_equal(X509_check_issued(ca.cert, x), X509_V_OK);

	/* Serial: positive, at least 64 bits, different each time. */
	const ASN1_INTEGER *sx = X509_get0_serialNumber(x), *sy = X509_get0_serialNumber(y);
	BIGNUM *bx = ASN1_INTEGER_to_BN(sx, NULL);
	assert_true(BN_num_bits(bx) >= 64);
	assert_false(BN_is_negative(bx));
	assert_int_not_equal(ASN1_INTEGER_cmp(sx, sy), 0);
	BN_free(bx);

	/* Leaf: CA:FALSE, digitalSignature only, serverAuth + clientAuth. */
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
	assert_int_equal(X509_get_extended_key_usage(x), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_int_equal(X509_check_host(x, "app.example.com", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(x, "other.example.com", 0, 0, NULL), 0);
	assert_non_null(X509_get0_subject_key_id(x));
	/* The SKI is SHA-1 of the subjectPublicKey bits, as OpenSSL computes it. */
	uint8_t sha[20];
	const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(x);
	SHA1(pk->data, (size_t)pk->length, sha);
	assert_int_equal(X509_get0_subject_key_id(x)->length, 20);
	assert_memory_equal(X509_get0_subject_key_id(x)->data, sha, 20);
	/* OpenSSL re-encoding the parsed TBSCertificate gives our bytes: our DER is canonical. */
	unsigned char *orig = NULL, *re = NULL;
	int origlen = i2d_X509(x, &orig);
	struct bl_cur cc = bl_cur_make(orig, (size_t)origlen);
	struct att_tlv whole, tbs;
	assert_int_equal(att_tlv_expect(&cc, 0x30, "cert", &whole), 0);
	assert_int_equal(att_tlv_expect(&whole.body, 0x30, "tbs", &tbs), 0);
	X509 *copy = X509_dup(x);
	int relen = i2d_re_X509_tbs(copy, &re);
	assert_int_equal((size_t)relen, tbs.raw_len);
	assert_memory_equal(re, tbs.raw, tbs.raw_len);
	OPENSSL_free(re);
	OPENSSL_free(orig);
	X509_free(copy);
	assert_int_equal(
	    ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(ca.cert)),
	    0);

	/* Validity: from 5 minutes before issuance for the lifetime. */
	int days, secs;
	assert_true(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)));
	assert_int_equal(days * 86400 + secs, 3600 + 300);

	/* The evidence extension and the claims are there, byte for byte. */
	ASN1_OBJECT *ev = OBJ_txt2obj("1.3.6.1.4.1.58270.1.1", 1);
	ASN1_OBJECT *mt = OBJ_txt2obj("2.23.133.5.4.5", 1);
	int i = X509_get_ext_by_OBJ(x, ev, -1);
	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), 0);
	i = X509_get_ext_by_OBJ(x, mt, -1);
	assert_true(i >= 0);
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(x, i));
	assert_int_equal(v->length, claims.len);
	assert_memory_equal(v->data, claims.p, claims.len);
	ASN1_OBJECT_free(ev);
	ASN1_OBJECT_free(mt);

	/* Chain verification as a relying party does it. */
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_add_cert(st, ca.cert);
	X509_STORE_CTX_init(ctx, st, x, NULL);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), T0);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);

	/* A lifetime past the CA's end is clipped to it. */
	X509_free(x);
	x = issue(&ca, &csr, NULL, 0, NULL, 10L * 365 * 86400);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(ca.cert)), 0);
	assert_int_equal(X509_check_host(x, "app.example.com", 0, 0, NULL), 0);

	/* A CA not valid at the issuance time refuses. */
	struct bl_buf out = BL_BUF_INIT;
	struct stw_issue late = { .csr = &csr, .at = T0 + 400L * 86400, .lifetime = 60 };
	assert_int_equal(stw_ca_issue(&ca, &late, &out), BL_EPERM);
	bl_buf_free(&out);

	X509_free(x);
	X509_free(y);
	att_csr_free(&csr);
	bl_buf_free(&csr_der);
	bl_buf_free(&claims);
	EVP_PKEY_free(k);
	stw_ca_free(&ca);
}

static void test_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/bailey-ca-XXXXXX", path[256];
	struct stw_ca ca, back;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(stw_ca_generate(&ca, 256, "Files", time(NULL), 30), 0);
	assert_int_equal(stw_ca_write(&ca, dir), 0);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Never overwrites an existing CA. */
	assert_int_equal(stw_ca_write(&ca, dir), BL_EEXIST);
	char crt[256];
	snprintf(crt, sizeof(crt), "%s/ca.crt", dir);
	assert_int_equal(stw_ca_load(&back, path, crt), 0);
	assert_int_equal(back.cert_der_len, ca.cert_der_len);
	assert_memory_equal(back.cert_der, ca.cert_der, ca.cert_der_len);
	assert_ptr_equal(back.md, EVP_sha256());
	stw_ca_free(&back);

	/* A key that does not match the certificate is refused. */
	struct stw_ca other;
	char dir2[] = "/tmp/bailey-ca-XXXXXX", key2[256];
	assert_non_null(mkdtemp(dir2));
	assert_int_equal(stw_ca_generate(&other, 256, "Other", time(NULL), 30), 0);
	assert_int_equal(stw_ca_write(&other, dir2), 0);
	snprintf(key2, sizeof(key2), "%s/ca.key", dir2);
	assert_int_equal(stw_ca_load(&back, key2, crt), BL_EINVAL);
	assert_int_equal(stw_ca_load(&back, "/nonexistent/ca.key", crt), BL_EIO);
	assert_int_equal(stw_ca_generate(&back, 521, "x", time(NULL), 1), BL_EINVAL);
	stw_ca_free(&other);
	stw_ca_free(&ca);
	unlink(key2);
	snprintf(path, sizeof(path), "%s/ca.crt", dir2);
	unlink(path);
	rmdir(dir2);
	unlink(crt);
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	unlink(path);
	rmdir(dir);
}

/* Privilege separation: the key moves to a child that signs digests; the parent has none. */
static void test_privsep(void **state)
{
	(void)state;
	struct stw_ca ca;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct bl_buf csr_der = BL_BUF_INIT, out = BL_BUF_INIT;
	struct att_csr csr;

	assert_int_equal(stw_ca_generate(&ca, 256, "Privsep", T0 - 60, 2), 0);
	kvm_csr(k, NULL, 0, &csr_der);
	assert_int_equal(att_csr_parse(csr_der.p, csr_der.len, &csr), 0);
	assert_int_equal(stw_ca_privsep(&ca), 0);
	assert_null(ca.key);
	assert_true(ca.signer_pid > 0);
	assert_int_equal(stw_ca_privsep(&ca), BL_EINVAL);
	for (int i = 0; i < 3; i++) {
		X509 *x = issue(&ca, &csr, NULL, 0, NULL, 600);
		assert_int_equal(X509_verify(x, X509_get0_pubkey(ca.cert)), 1);
		X509_free(x);
	}
	/* A dead signer makes issuance fail cleanly, not crash. */
	kill(ca.signer_pid, SIGKILL);
	waitpid(ca.signer_pid, NULL, 0);
	struct stw_issue req = { .csr = &csr, .at = T0, .lifetime = 60 };
	assert_int_equal(stw_ca_issue(&ca, &req, &out), BL_EINTERNAL);
	ca.signer_pid = -1; /* already reaped */
	close(ca.signer_fd);
	bl_buf_free(&out);
	att_csr_free(&csr);
	bl_buf_free(&csr_der);
	EVP_PKEY_free(k);
	stw_ca_free(&ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_privsep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
