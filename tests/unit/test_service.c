/* test_service.c — Steward end to end without HTTP: the real Enarx CSRs are
 * issued certificates under a matching policy as of their collateral's time,
 * and refused, naming the check, once any policy field disagrees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest/cert.h"
#include "steward/config.h"
#include "attest/tlv.h"
#include "steward/service.h"

#define AT "2023-02-01T00:00:00Z"
#define H48_ZERO                                                                                   \
	"0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" \
	"00"                                                                                       \
	"000000"

#define SNP_POLICY                                                                                 \
	"[snp]\nallow = true\n"                                                                    \
	"hash = [\"ff717ae719840c93c1fca3b7db96488454c3c21b43531488eecff51cfed3febcd91da8be87a4cb" \
	"cbc52a3bae770987c3\"]\n"                                                                  \
	"signer = [\"7dc22240a8344fce6ba5f22ffbedabc52d4123ae0ba1c59796e521b953916b503f223b15c442" \
	"9e7d8c5489ad71f1e193\"]\n"                                                                \
	"id_key_digest = [\"d71a4d1da440d515cd69fbb1314acf4221726e82768a8bf6e4a4063ed542ac78349c8" \
	"145b4666a4242a91a374387b473\"]\n"                                                         \
	"abi = \"1.51\"\npolicy_flags = [\"SMT\"]\nplatform_info_flags = [\"SMT\"]\n"              \
	"min_tcb = { bootloader = 2, tee = 0, snp = 6, microcode = 93 }\nvmpl = 0\n"

#define SGX_POLICY                                                                                 \
	"[sgx]\nallow = true\n"                                                                    \
	"hash = [\"4046ea255f0455131a024e1265ac1ebd131fdbd1240f1712a00381f6f04e8c15\"]\n"          \
	"signer = [\"7a49a07df0f8e90a6e1d9a63e3c696d9c844f0e3f8739b21daa640f99facc48a\"]\n"        \
	"enclave_security_version = 0\nenclave_product_id = 0\nmisc_select = [\"EXINFO\"]\n"       \
	"allowed_tcb_status = [\"OutOfDate\"]\n"                                                   \
	"allowed_advisories = [\"INTEL-SA-00586\", \"INTEL-SA-00614\", \"INTEL-SA-00615\", "       \
	"\"INTEL-SA-00657\"]\n"                                                                    \
	"min_tcb = { comp = [4,4,3,3,255,255,0,0,0,0,0,0,0,0,0,0], pcesvn = 11 }\n"                \
	"min_tcb_evaluation_data_number = 14\n"

static const char base_policy[] = SNP_POLICY SGX_POLICY;

/* One disagreeing edit per policy field: replace `from` by `to`; the check named. */
static const struct {
	const char *from, *to, *check;
} edits[] = {
	{ "hash = [\"ff71", "hash = [\"ee71", "snp.hash" },
	{ "signer = [\"7dc2", "signer = [\"6dc2", "snp.signer" },
	{ "id_key_digest = [\"d71a", "id_key_digest = [\"c71a", "snp.id_key_digest" },
	{ "abi = \"1.51\"", "abi = \"1.52\"", "snp.abi" },
	{ "policy_flags = [\"SMT\"]", "policy_flags = [\"SingleSocket\"]", "snp.policy_flags" },
	{ "platform_info_flags = [\"SMT\"]", "platform_info_flags = [\"TSME\"]",
	  "snp.platform_info_flags" },
	{ "microcode = 93", "microcode = 94", "snp.min_tcb" },
	{ "snp = 6", "snp = 7", "snp.min_tcb" },
	{ "bootloader = 2", "bootloader = 3", "snp.min_tcb" },
	{ "[snp]\nallow = true", "[snp]\nallow = false", "snp.allow" },
	{ "vmpl = 0", "vmpl = [1, 2]", "snp.vmpl" },
	{ "hash = [\"4046", "hash = [\"5046", "sgx.hash" },
	{ "signer = [\"7a49", "signer = [\"8a49", "sgx.signer" },
	{ "enclave_security_version = 0", "enclave_security_version = 1",
	  "sgx.enclave_security_version" },
	{ "enclave_product_id = 0", "enclave_product_id = 1", "sgx.enclave_product_id" },
	{ "misc_select = [\"EXINFO\"]", "misc_select = [\"CPINFO\"]", "sgx.misc_select" },
	{ "[\"OutOfDate\"]", "[\"UpToDate\"]", "sgx.allowed_tcb_status" },
	{ "\"INTEL-SA-00586\", ", "", "sgx.allowed_advisories" },
	{ "comp = [4,4", "comp = [5,4", "sgx.min_tcb" },
	{ "pcesvn = 11", "pcesvn = 12", "sgx.min_tcb" },
	{ "[sgx]\nallow = true", "[sgx]\nallow = false", "sgx.allow" },
	{ "min_tcb_evaluation_data_number = 14", "min_tcb_evaluation_data_number = 15",
	  "sgx.min_tcb_evaluation_data_number" },
};

#include "shared_vectors.h"

struct fixture {
	struct stw_service svc;
	struct stw_config cfg;
	uint8_t *snp, *sgx;
	size_t snp_len, sgx_len;
};

static void setup_service(struct fixture *fx, const char *policy, int dev)
{
	stw_config_free(&fx->cfg);
	assert_int_equal(stw_config_init(&fx->cfg), 0);
	if (stw_config_parse(&fx->cfg, policy, strlen(policy), NULL) < 0)
		fail_msg("policy refused: %s", bl_errmsg());
	fx->svc.policy = fx->cfg.policy;
	fx->svc.dev = dev;
	fx->svc.dev_allow_all_kvm = 0;
	fx->svc.lifetime = 3600;
}

static int group_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->snp = slurp("vectors/steward/milan.signed.crl.csr", &fx->snp_len);
	fx->sgx = slurp("vectors/steward/icelake.signed.tcb.crl.multi.xeon.csr", &fx->sgx_len);
	if (stw_parse_rfc3339(AT, &fx->svc.at) < 0)
		return -1;
	fx->svc.issue_at = fx->svc.at;
	if (stw_ca_generate(&fx->svc.ca, 384, "Test CA", fx->svc.at - 86400, 30) < 0)
		return -1;
	if (stw_config_init(&fx->cfg) < 0)
		return -1;
	*state = fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;
	stw_ca_free(&fx->svc.ca);
	stw_config_free(&fx->cfg);
	free(fx->snp);
	free(fx->sgx);
	free(fx);
	return 0;
}

static X509 *post(struct fixture *fx, const uint8_t *der, size_t len, unsigned want)
{
	struct stw_reply r;
	X509 *leaf = NULL;

	stw_service_post(&fx->svc, "application/pkcs10", der, len, &r);
	if (r.status != want)
		fail_msg("status %u (want %u): %.*s", r.status, want, (int)r.body.len,
		         r.status == 200 ? "" : (const char *)r.body.p);
	if (want == 200) {
		STACK_OF(X509) *sk = NULL;
		const unsigned char *p = r.body.p;
		/* SEQUENCE OF Certificate: CA first, leaf last. */
		assert_int_equal(r.body.p[0], 0x30);
		assert_string_equal(r.content_type, STW_CT_CHAIN);
		/* Skip the outer header and read the two certificates. */
		size_t hdr = (r.body.p[1] & 0x80) ? 2 + (r.body.p[1] & 0x7f) : 2;
		p = r.body.p + hdr;
		X509 *ca = d2i_X509(NULL, &p, (long)(r.body.len - hdr));
		assert_non_null(ca);
		assert_int_equal(X509_cmp(ca, fx->svc.ca.cert), 0);
		leaf = d2i_X509(NULL, &p, (long)(r.body.p + r.body.len - p));
		assert_non_null(leaf);
		assert_ptr_equal(p, r.body.p + r.body.len);
		X509_free(ca);
		(void)sk;
	}
	stw_reply_free(&r);
	return leaf;
}

static void check_leaf(struct fixture *fx, X509 *leaf, const char *ev_oid, const char *model)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	ASN1_OBJECT *ev = OBJ_txt2obj(ev_oid, 1), *mt = OBJ_txt2obj("2.23.133.5.4.5", 1);
	struct att_tcbinfo t[4];
	size_t n;

	X509_STORE_add_cert(st, fx->svc.ca.cert);
	X509_STORE_CTX_init(ctx, st, leaf, NULL);
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), fx->svc.at);
	assert_int_equal(X509_verify_cert(ctx), 1);
	assert_true(X509_get_ext_by_OBJ(leaf, ev, -1) >= 0);
	int i = X509_get_ext_by_OBJ(leaf, mt, -1);
	assert_true(i >= 0);
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(leaf, i));
	assert_int_equal(att_multitcb_decode(v->data, (size_t)v->length, t, 4, &n), 0);
	assert_int_equal(n, 1); /* the Enarx CSRs carry no workload */
	assert_int_equal(t[0].model.len, strlen(model));
	assert_memory_equal(t[0].model.p, model, strlen(model));
	assert_int_equal(t[0].n_fwids, 1);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ASN1_OBJECT_free(ev);
	ASN1_OBJECT_free(mt);
}

static void test_real_csrs_issued(void **state)
{
	struct fixture *fx = *state;
	X509 *leaf;

	if (!fx->snp || !fx->sgx)
		skip();
	setup_service(fx, base_policy, 0);
	leaf = post(fx, fx->snp, fx->snp_len, 200);
	check_leaf(fx, leaf, "1.3.6.1.4.1.58270.1.3", "SEV-SNP");
	X509_free(leaf);
	leaf = post(fx, fx->sgx, fx->sgx_len, 200);
	check_leaf(fx, leaf, "1.3.6.1.4.1.58270.1.2", "SGX");
	X509_free(leaf);
}

static void test_each_policy_field(void **state)
{
	struct fixture *fx = *state;
	char text[4096];

	if (!fx->snp || !fx->sgx)
		skip();
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		const char *at = strstr(base_policy, edits[i].from);
		struct stw_reply r;
		int is_snp = !strncmp(edits[i].check, "snp", 3);

		assert_non_null(at);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base_policy), base_policy,
		         edits[i].to, at + strlen(edits[i].from));
		setup_service(fx, text, 0);
		stw_service_post(&fx->svc, "application/pkcs10", is_snp ? fx->snp : fx->sgx,
		                 is_snp ? fx->snp_len : fx->sgx_len, &r);
		if (r.status != 403 ||
		    strncmp((const char *)r.body.p, edits[i].check, strlen(edits[i].check)))
			fail_msg("edit %zu (%s): status %u, \"%.*s\"", i, edits[i].check, r.status,
			         (int)r.body.len, (const char *)r.body.p);
		stw_reply_free(&r);
		/* The other kind is still issued: the edit refused only what it names. */
		stw_service_post(&fx->svc, "application/pkcs10", is_snp ? fx->sgx : fx->snp,
		                 is_snp ? fx->sgx_len : fx->snp_len, &r);
		assert_int_equal(r.status, 200);
		stw_reply_free(&r);
	}
}

static void test_time_and_tampering(void **state)
{
	struct fixture *fx = *state;
	uint8_t *copy;
	time_t at = fx->svc.at;

	if (!fx->snp || !fx->sgx)
		skip();
	setup_service(fx, base_policy, 0);
	/* Collateral judged as of today has expired: genuine but refused. */
	fx->svc.at = fx->svc.issue_at = at + 5L * 365 * 86400;
	stw_ca_free(&fx->svc.ca);
	assert_int_equal(stw_ca_generate(&fx->svc.ca, 384, "Later", fx->svc.at - 60, 1), 0);
	X509_free(post(fx, fx->sgx, fx->sgx_len, 403));
	fx->svc.at = fx->svc.issue_at = at;
	stw_ca_free(&fx->svc.ca);
	assert_int_equal(stw_ca_generate(&fx->svc.ca, 384, "Test CA", at - 86400, 30), 0);

	/* A flipped byte in the signed request: the self-signature fails (400). */
	copy = malloc(fx->snp_len);
	memcpy(copy, fx->snp, fx->snp_len);
	copy[3000] ^= 1;
	X509_free(post(fx, copy, fx->snp_len, 400));
	/* Truncated and garbage bodies are 400, never 500. */
	X509_free(post(fx, fx->snp, fx->snp_len / 2, 400));
	X509_free(post(fx, (const uint8_t *)"hello", 5, 400));
	X509_free(post(fx, NULL, 0, 400));
	free(copy);
}

static void test_kvm_dev_only(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct bl_buf csr = BL_BUF_INIT;
	struct att_workload w = { 0 };
	const char *names[] = { "x.apps.example.com" };
	struct att_csr_req req = {
		.kind = ATT_KIND_KVM, .workload = &w, .names = names, .n_names = 1
	};
	X509 *leaf;

	w.present = w.wasm.present = w.config.present = 1;
	w.wasm.alg = w.config.alg = BL_SHA256;
	memset(w.wasm.digest, 0x77, 32);
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	setup_service(fx, "[kvm]\nallow = false\n", 0);
	X509_free(post(fx, csr.p, csr.len, 403));
	/* Not in dev mode: refused even if the policy were to allow it (main refuses such a
	 * configuration at start; the service refuses too). */
	setup_service(fx, "[kvm]\nallow = true\ndns_names = [\"*.apps.example.com\"]\n", 0);
	X509_free(post(fx, csr.p, csr.len, 403));
	setup_service(fx, "[kvm]\nallow = true\ndns_names = [\"*.apps.example.com\"]\n", 1);
	leaf = post(fx, csr.p, csr.len, 200);
	assert_int_equal(X509_check_host(leaf, "x.apps.example.com", 0, 0, NULL), 1);
	/* The workload is the second TcbInfo; KVM is flagged notSecure. */
	ASN1_OBJECT *mt = OBJ_txt2obj("2.23.133.5.4.5", 1);
	ASN1_OCTET_STRING *v =
	    X509_EXTENSION_get_data(X509_get_ext(leaf, X509_get_ext_by_OBJ(leaf, mt, -1)));
	struct att_tcbinfo t[4];
	size_t n;
	assert_int_equal(att_multitcb_decode(v->data, (size_t)v->length, t, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_true(t[0].flags & ATT_TCB_FLAG_NOT_SECURE);
	assert_int_equal(t[1].n_fwids, 2);
	assert_int_equal(t[1].fwids[0].digest[0], 0x77);
	ASN1_OBJECT_free(mt);
	X509_free(leaf);
	/* A nil Keep (no evidence): dev only, under the [kvm] rules, model "nil", no evidence
	 * extension to copy. */
	struct bl_buf nil = BL_BUF_INIT;
	struct att_csr_req nreq = { .kind = ATT_KIND_NONE };
	assert_int_equal(att_csr_build(k, &nreq, &nil), 0);
	setup_service(fx, "[kvm]\nallow = true\n", 0);
	X509_free(post(fx, nil.p, nil.len, 403));
	setup_service(fx, "[kvm]\nallow = false\n", 1);
	X509_free(post(fx, nil.p, nil.len, 403));
	setup_service(fx, "[kvm]\nallow = true\n", 1);
	leaf = post(fx, nil.p, nil.len, 200);
	mt = OBJ_txt2obj("2.23.133.5.4.5", 1);
	v = X509_EXTENSION_get_data(X509_get_ext(leaf, X509_get_ext_by_OBJ(leaf, mt, -1)));
	assert_int_equal(att_multitcb_decode(v->data, (size_t)v->length, t, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(t[0].model.p, "nil", 3);
	assert_int_equal(X509_get_ext_count(leaf), 6); /* bc, ku, eku, ski, aki, claims */
	ASN1_OBJECT_free(mt);
	X509_free(leaf);
	bl_buf_free(&nil);

	/* A name the policy does not grant. */
	setup_service(fx, "[kvm]\nallow = true\ndns_names = [\"other.example.com\"]\n", 1);
	X509_free(post(fx, csr.p, csr.len, 403));
	bl_buf_free(&csr);
	EVP_PKEY_free(k);
}

/* Real evidence moved into a request for another key: genuine, but not bound to that key. */
static void test_binding_and_key_type(void **state)
{
	struct fixture *fx = *state;
	struct {
		const uint8_t *der;
		size_t len;
		const char *curve, *wrong_curve;
	} cases[] = {
		{ fx->snp, fx->snp_len, "P-384", "P-256" },
		{ fx->sgx, fx->sgx_len, "P-256", "P-384" },
	};

	if (!fx->snp || !fx->sgx)
		skip();
	setup_service(fx, base_policy, 0);
	for (int i = 0; i < 2; i++) {
		struct att_csr real;
		struct bl_buf csr = BL_BUF_INIT;
		struct stw_reply r;
		EVP_PKEY *k = EVP_EC_gen(cases[i].curve);
		EVP_PKEY *w = EVP_EC_gen(cases[i].wrong_curve);

		assert_int_equal(att_csr_parse(cases[i].der, cases[i].len, &real), 0);
		struct att_csr_req req = { .kind = real.kind,
			                   .evidence = real.evidence,
			                   .evidence_len = real.evidence_len };
		assert_int_equal(att_csr_build(k, &req, &csr), 0);
		stw_service_post(&fx->svc, STW_CT_PKCS10, csr.p, csr.len, &r);
		if (r.status != 403 || strncmp((const char *)r.body.p, "binding:", 8))
			fail_msg("case %d: %u %.*s", i, r.status, (int)r.body.len, r.body.p);
		stw_reply_free(&r);
		bl_buf_reset(&csr);
		assert_int_equal(att_csr_build(w, &req, &csr), 0);
		stw_service_post(&fx->svc, STW_CT_PKCS10, csr.p, csr.len, &r);
		if (r.status != 403 || strncmp((const char *)r.body.p, "key type:", 9))
			fail_msg("case %d: %u %.*s", i, r.status, (int)r.body.len, r.body.p);
		stw_reply_free(&r);
		bl_buf_free(&csr);
		att_csr_free(&real);
		EVP_PKEY_free(k);
		EVP_PKEY_free(w);
	}
}

/* PEM certificates as a DER SEQUENCE OF Certificate. */
static void pem_chain_der(const uint8_t *pem, size_t len, struct bl_buf *out)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;
	size_t start = out->len;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *d = NULL;
		int n = i2d_X509(x, &d);
		assert_int_equal(bl_buf_append(out, d, (size_t)n), 0);
		OPENSSL_free(d);
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	assert_int_equal(att_tlv_wrap(out, start, 0x30), 0);
}

/*
 * TDX through Steward: the real TDX quote and its collateral, in the SGX
 * evidence layout plus the TD QE identity, in a request for a fresh P-384
 * key. No real TDX CSR exists, so the evidence verifies (as of the
 * collateral's time) and then the binding refuses it, naming itself; with a
 * P-256 key the key type is refused first.
 */
static void test_tdx_flow(void **state)
{
	struct fixture *fx = *state;
	size_t qlen, tlen, clen, ilen;
	uint8_t *quote = slurp("vectors/tdx/tdx_quote_6.dat", &qlen);
	uint8_t *tcb = slurp("vectors/tdx/tcbInfo.json", &tlen);
	uint8_t *chain = slurp("vectors/tdx/tcb_info_issuer_chain.pem", &clen);
	uint8_t *qeid = slurp("vectors/tdx/enclaveIdentity.json", &ilen);
	struct bl_buf ev = BL_BUF_INIT, csr = BL_BUF_INIT;
	static const uint8_t empty_crls[] = { 0x30, 0x02, 0x30, 0x00 };
	struct stw_reply r;
	time_t at = fx->svc.at;

	if (!quote || !tcb || !chain || !qeid)
		skip();
	assert_int_equal(att_tlv_put(&ev, 0x04, quote, qlen), 0);
	assert_int_equal(bl_buf_append(&ev, empty_crls, sizeof(empty_crls)), 0);
	size_t t0 = ev.len;
	pem_chain_der(chain, clen, &ev);
	assert_int_equal(att_tlv_put(&ev, 0x04, tcb, tlen), 0);
	assert_int_equal(att_tlv_wrap(&ev, t0, 0x30), 0);
	size_t q0 = ev.len;
	assert_int_equal(att_tlv_put(&ev, 0x04, qeid, ilen), 0);
	assert_int_equal(att_tlv_wrap(&ev, q0, 0xa0), 0);
	assert_int_equal(att_tlv_wrap(&ev, 0, 0x30), 0);

	setup_service(fx, "[tdx]\nallow = true\nhash_blacklist = [\"" H48_ZERO "\"]\n", 0);
	assert_int_equal(stw_parse_rfc3339("2025-11-01T00:00:00Z", &fx->svc.at), 0);
	assert_int_equal(stw_parse_rfc3339("2025-05-01T00:00:00Z", &fx->svc.tcb_signing_at), 0);
	EVP_PKEY *k = EVP_EC_gen("P-384"), *w = EVP_EC_gen("P-256");
	struct att_csr_req req = { .kind = ATT_KIND_TDX, .evidence = ev.p, .evidence_len = ev.len };
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	stw_service_post(&fx->svc, STW_CT_PKCS10, csr.p, csr.len, &r);
	if (r.status != 403 || strncmp((const char *)r.body.p, "binding:", 8))
		fail_msg("tdx: %u %.*s", r.status, (int)r.body.len, r.body.p);
	stw_reply_free(&r);
	/* As of today the TCB info has expired: refused by the verifier, not the binding. */
	fx->svc.at = at + 20L * 365 * 86400;
	stw_service_post(&fx->svc, STW_CT_PKCS10, csr.p, csr.len, &r);
	assert_int_equal(r.status, 403);
	assert_null(strstr((const char *)r.body.p, "binding"));
	stw_reply_free(&r);
	bl_buf_reset(&csr);
	assert_int_equal(att_csr_build(w, &req, &csr), 0);
	stw_service_post(&fx->svc, STW_CT_PKCS10, csr.p, csr.len, &r);
	assert_int_equal(r.status, 403);
	assert_memory_equal(r.body.p, "key type:", 9);
	stw_reply_free(&r);

	fx->svc.at = at;
	fx->svc.tcb_signing_at = 0;
	EVP_PKEY_free(k);
	EVP_PKEY_free(w);
	bl_buf_free(&csr);
	bl_buf_free(&ev);
	free(quote);
	free(tcb);
	free(chain);
	free(qeid);
}

static void test_media_and_bundle(void **state)
{
	struct fixture *fx = *state;
	struct stw_reply r;
	struct bl_buf bundle = BL_BUF_INIT;

	if (!fx->snp || !fx->sgx)
		skip();
	setup_service(fx, base_policy, 0);
	stw_service_post(&fx->svc, "text/plain", fx->snp, fx->snp_len, &r);
	assert_int_equal(r.status, 415);
	stw_reply_free(&r);
	stw_service_post(&fx->svc, NULL, fx->snp, fx->snp_len, &r);
	assert_int_equal(r.status, 415);
	stw_reply_free(&r);
	/* Parameters and case do not matter. */
	stw_service_post(&fx->svc, "Application/PKCS10; charset=binary", fx->snp, fx->snp_len, &r);
	assert_int_equal(r.status, 200);
	stw_reply_free(&r);

	/* A bundle of both: Output { chain, issued } with two certificates issued. */
	assert_int_equal(bl_buf_append(&bundle, fx->snp, fx->snp_len), 0);
	assert_int_equal(bl_buf_append(&bundle, fx->sgx, fx->sgx_len), 0);
	assert_int_equal(att_tlv_wrap(&bundle, 0, 0x30), 0);
	stw_service_post(&fx->svc, STW_CT_BUNDLE, bundle.p, bundle.len, &r);
	assert_int_equal(r.status, 200);
	struct bl_cur c = bl_cur_make(r.body.p, r.body.len), out_seq;
	struct att_tlv t, chain, issued, cert;
	assert_int_equal(att_tlv_expect(&c, 0x30, "output", &t), 0);
	out_seq = t.body;
	assert_int_equal(att_tlv_expect(&out_seq, 0x30, "chain", &chain), 0);
	assert_int_equal(att_tlv_expect(&out_seq, 0x30, "issued", &issued), 0);
	int count = 0;
	while (!bl_cur_eof(&issued.body)) {
		assert_int_equal(att_tlv_expect(&issued.body, 0x30, "cert", &cert), 0);
		count++;
	}
	assert_int_equal(count, 2);
	stw_reply_free(&r);
	/* One refused request refuses the bundle, naming it. */
	setup_service(fx, SNP_POLICY, 0);
	stw_service_post(&fx->svc, STW_CT_BUNDLE, bundle.p, bundle.len, &r);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr((const char *)r.body.p, "request 2: sgx.allow"));
	stw_reply_free(&r);
	bl_buf_free(&bundle);
}

/* DER of a Name with one attribute (txt "CN", "emailAddress") as UTF8String. */
static size_t name_der(const char *attr, const char *value, uint8_t *out, size_t cap)
{
	X509_NAME *n = X509_NAME_new();
	unsigned char *d = NULL;
	int len;

	assert_non_null(n);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, attr, MBSTRING_UTF8,
	                                            (const unsigned char *)value, -1, -1, 0),
	                 1);
	len = i2d_X509_NAME(n, &d);
	assert_true(len > 0 && (size_t)len <= cap);
	memcpy(out, d, (size_t)len);
	OPENSSL_free(d);
	X509_NAME_free(n);
	return (size_t)len;
}

/* Issue a parsed request (as altered below its self-signature); the reason on refusal. */
static unsigned issue_parsed(struct fixture *fx, const struct att_csr *csr, X509 **leaf)
{
	struct bl_buf out = BL_BUF_INIT;
	unsigned st;

	bl_err_clear();
	st = stw_service_issue_csr(&fx->svc, csr, &out);
	if (leaf) {
		const unsigned char *p = out.p;
		*leaf = st == 200 ? d2i_X509(NULL, &p, (long)out.len) : NULL;
	}
	bl_buf_free(&out);
	return st;
}

/*
 * Regression (review of issue 5, HIGH): the subject is copied into the
 * certificate, and X509_check_host() accepts a certificate without DNS SANs
 * for its subject commonName. A CN that policy does not grant must be
 * refused, or a CSR with CN=victim.example and no SAN gets a certificate
 * for victim.example past `dns_names`.
 */
static void test_subject_cn_is_granted_like_a_name(void **state)
{
	struct fixture *fx = *state;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct bl_buf csr = BL_BUF_INIT;
	struct att_csr_req req = { .kind = ATT_KIND_KVM, .subject_cn = "victim.example" };
	struct att_csr parsed;
	uint8_t name[256];
	size_t nlen;
	X509 *leaf;

	setup_service(fx, "[kvm]\nallow = true\ndns_names = [\"*.apps.example.com\"]\n", 1);
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	leaf = post(fx, csr.p, csr.len, 403);
	assert_null(leaf);
	assert_non_null(strstr(bl_errmsg(), "kvm.dns_names"));
	assert_non_null(strstr(bl_errmsg(), "victim.example"));
	/* Without a configuration (--dev alone) no name at all is granted. */
	fx->svc.dev_allow_all_kvm = 1;
	X509_free(post(fx, csr.p, csr.len, 403));
	fx->svc.dev_allow_all_kvm = 0;
	/* A wildcard CN would cover every name under the grant at once. */
	bl_buf_reset(&csr);
	req.subject_cn = "*.apps.example.com";
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	X509_free(post(fx, csr.p, csr.len, 403));
	/* A granted CN is issued, and matches as that name only. */
	bl_buf_reset(&csr);
	req.subject_cn = "x.apps.example.com";
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	leaf = post(fx, csr.p, csr.len, 200);
	assert_int_equal(X509_check_host(leaf, "x.apps.example.com", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(leaf, "victim.example", 0, 0, NULL), 0);
	X509_free(leaf);
	/* No CN: issued. */
	bl_buf_reset(&csr);
	req.subject_cn = NULL;
	assert_int_equal(att_csr_build(k, &req, &csr), 0);
	X509_free(post(fx, csr.p, csr.len, 200));
	/* emailAddress: X509_check_email falls back to it; no policy grants one. */
	assert_int_equal(att_csr_parse(csr.p, csr.len, &parsed), 0);
	nlen = name_der("emailAddress", "victim@example.com", name, sizeof(name));
	assert_int_equal(att_csr_set_subject(&parsed, name, nlen), 0);
	assert_int_equal(issue_parsed(fx, &parsed, NULL), 403);
	assert_memory_equal(bl_errmsg(), "csr.subject", 11);
	att_csr_free(&parsed);
	bl_buf_free(&csr);
	EVP_PKEY_free(k);

	/* The real CSRs under a policy that matches them: their empty subject is issued; a CN
	 * put in below the self-signature (no client can: the CSR key signs the subject) is
	 * refused naming dns_names. */
	if (!fx->snp || !fx->sgx)
		skip();
	setup_service(fx, base_policy, 0);
	nlen = name_der("CN", "victim.example", name, sizeof(name));
	for (int i = 0; i < 2; i++) {
		const char *check = i ? "sgx.dns_names" : "snp.dns_names";
		assert_int_equal(
		    att_csr_parse(i ? fx->sgx : fx->snp, i ? fx->sgx_len : fx->snp_len, &parsed),
		    0);
		assert_int_equal(parsed.subject_len, 2); /* real Enarx CSRs: an empty subject */
		assert_int_equal(issue_parsed(fx, &parsed, &leaf), 200);
		X509_free(leaf);
		assert_int_equal(att_csr_set_subject(&parsed, name, nlen), 0);
		assert_int_equal(issue_parsed(fx, &parsed, &leaf), 403);
		if (strncmp(bl_errmsg(), check, strlen(check)))
			fail_msg("%s: %s", check, bl_errmsg());
		att_csr_free(&parsed);
	}
}

/*
 * Re-encode a CrlList TLV keeping the entries whose URL contains none of the
 * NULL-terminated `drop` strings (drop[0] == NULL: keep all; drop == NULL:
 * keep none).
 */
static void crl_list_filter(struct bl_cur *c, const char *const *drop, struct bl_buf *out)
{
	struct att_tlv list, seqof, entry, url;
	size_t start = out->len, inner;

	assert_int_equal(att_tlv_expect(c, 0x30, "CrlList", &list), 0);
	assert_int_equal(att_tlv_expect(&list.body, 0x30, "crls", &seqof), 0);
	inner = out->len;
	while (!bl_cur_eof(&seqof.body)) {
		struct bl_cur e;
		int keep = drop != NULL;

		assert_int_equal(att_tlv_expect(&seqof.body, 0x30, "entry", &entry), 0);
		e = entry.body;
		assert_int_equal(att_tlv_expect(&e, 0x0c, "url", &url), 0);
		for (size_t i = 0; drop && drop[i]; i++)
			if (memmem(url.body.base, url.body.len, drop[i], strlen(drop[i])))
				keep = 0;
		if (keep)
			assert_int_equal(bl_buf_append(out, entry.raw, entry.raw_len), 0);
	}
	assert_int_equal(att_tlv_wrap(out, inner, 0x30), 0);
	assert_int_equal(att_tlv_wrap(out, start, 0x30), 0);
}

/* The evidence of a real request with some of its CRLs left out (see crl_list_filter). */
static void evidence_without_crls(const struct att_csr *csr, const char *const *drop,
                                  struct bl_buf *out)
{
	struct bl_cur c = bl_cur_make(csr->evidence, csr->evidence_len);
	struct att_tlv outer, certs, t;

	bl_buf_reset(out);
	assert_int_equal(att_tlv_expect(&c, 0x30, "evidence", &outer), 0);
	if (csr->kind == ATT_KIND_SNP) {
		/* SEQUENCE { SEQUENCE { vcek Certificate, crl CrlList }, report OCTET STRING } */
		assert_int_equal(att_tlv_expect(&outer.body, 0x30, "certs", &certs), 0);
		assert_int_equal(att_tlv_expect(&certs.body, 0x30, "vcek", &t), 0);
		assert_int_equal(bl_buf_append(out, t.raw, t.raw_len), 0);
		crl_list_filter(&certs.body, drop, out);
		assert_int_equal(att_tlv_wrap(out, 0, 0x30), 0);
	} else {
		/* SEQUENCE { quote OCTET STRING, crl CrlList, tcb SEQUENCE, ... } */
		assert_int_equal(att_tlv_expect(&outer.body, 0x04, "quote", &t), 0);
		assert_int_equal(bl_buf_append(out, t.raw, t.raw_len), 0);
		crl_list_filter(&outer.body, drop, out);
	}
	while (!bl_cur_eof(&outer.body)) {
		assert_int_equal(att_tlv_read(&outer.body, &t), 0);
		assert_int_equal(bl_buf_append(out, t.raw, t.raw_len), 0);
	}
	assert_int_equal(att_tlv_wrap(out, 0, 0x30), 0);
}

/*
 * Regression (review of issue 5, HIGH): the CRLs inside the evidence are the
 * client's choice, and Steward passed none of its own, so leaving them out
 * skipped every revocation check. A client cannot re-sign a real CSR with
 * other evidence (the evidence binds the CSR key), so this test alters the
 * parsed request below its self-signature and runs the rest of Steward's
 * path (stw_service_issue_csr: verification, binding, policy, issuance).
 */
static void test_crls_required(void **state)
{
	struct fixture *fx = *state;
	static const char *const keep_all[] = { NULL };
	static const char *const no_milan[] = { "Milan", NULL };
	static const char *const no_genoa[] = { "Genoa", NULL };
	static const char *const no_platform[] = { "ca=platform", NULL };
	static const char *const no_root[] = { "RootCA", NULL };
	struct {
		int sgx;
		const char *const *drop;
		unsigned want;
		uint32_t checked; /* claims.crl_checked after verification */
	} cases[] = {
		{ 0, keep_all, 200, 2 }, /* the ARK's CRL checked the ASK; none lists VCEKs */
		{ 0, no_genoa, 200, 2 }, /* another product's CRL is not needed */
		{ 0, no_milan, 403, 0 },    { 0, NULL, 403, 0 },
		{ 1, keep_all, 200, 3 }, /* root CRL (PCK CA) and Platform CA CRL (PCK) */
		{ 1, no_platform, 403, 2 }, { 1, no_root, 403, 1 },
		{ 1, NULL, 403, 0 },
	};
	struct bl_buf ev = BL_BUF_INIT;

	if (!fx->snp || !fx->sgx)
		skip();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *check = cases[i].sgx ? "sgx.require_crls" : "snp.require_crls";
		struct att_csr csr;
		struct att_claims claims;
		struct att_opts o = { .at = fx->svc.at };

		assert_int_equal(att_csr_parse(cases[i].sgx ? fx->sgx : fx->snp,
		                               cases[i].sgx ? fx->sgx_len : fx->snp_len, &csr),
		                 0);
		evidence_without_crls(&csr, cases[i].drop, &ev);
		csr.evidence = ev.p;
		csr.evidence_len = ev.len;
		/* The verifier accepts evidence without CRLs and says what it checked. */
		assert_int_equal(att_evidence_verify(csr.kind, ev.p, ev.len, &o, &claims), 0);
		assert_int_equal(claims.chain_len, 2);
		assert_int_equal(claims.crl_checked, cases[i].checked);
		setup_service(fx, base_policy, 0);
		assert_int_equal(issue_parsed(fx, &csr, NULL), cases[i].want);
		if (cases[i].want == 403 && strncmp(bl_errmsg(), check, strlen(check)))
			fail_msg("case %zu: %s", i, bl_errmsg());
		/* require_crls = false is an explicit choice that accepts it. */
		setup_service(
		    fx, SNP_POLICY "require_crls = false\n" SGX_POLICY "require_crls = false\n", 0);
		assert_int_equal(issue_parsed(fx, &csr, NULL), 200);
		att_csr_free(&csr);
	}
	bl_buf_free(&ev);
}

/* Write each CRL of a real request's evidence to dir/crl<i>.der; returns how many. */
static size_t write_evidence_crls(const struct att_csr *csr, const char *dir, char paths[][128])
{
	struct bl_cur c = bl_cur_make(csr->evidence, csr->evidence_len);
	struct att_tlv outer, t, list, seqof, entry, url, crl;
	size_t n = 0;

	assert_int_equal(att_tlv_expect(&c, 0x30, "evidence", &outer), 0);
	if (csr->kind == ATT_KIND_SNP) {
		assert_int_equal(att_tlv_expect(&outer.body, 0x30, "certs", &t), 0);
		outer.body = t.body;
	}
	assert_int_equal(att_tlv_read(&outer.body, &t), 0); /* vcek or quote */
	assert_int_equal(att_tlv_expect(&outer.body, 0x30, "CrlList", &list), 0);
	assert_int_equal(att_tlv_expect(&list.body, 0x30, "crls", &seqof), 0);
	while (!bl_cur_eof(&seqof.body)) {
		FILE *f;

		assert_int_equal(att_tlv_expect(&seqof.body, 0x30, "entry", &entry), 0);
		assert_int_equal(att_tlv_expect(&entry.body, 0x0c, "url", &url), 0);
		assert_int_equal(att_tlv_expect(&entry.body, 0x30, "crl", &crl), 0);
		snprintf(paths[n], 128, "%s/crl%zu.der", dir, n);
		f = fopen(paths[n], "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(crl.raw, 1, crl.raw_len, f), crl.raw_len);
		fclose(f);
		n++;
	}
	return n;
}

/*
 * [ca] crls: CRLs Steward loads itself are used with (or instead of) those in
 * the evidence, so require_crls holds for evidence that carries none.
 */
static void test_configured_crls(void **state)
{
	struct fixture *fx = *state;
	char dir[] = "/tmp/stw-crls-XXXXXX";
	char paths[8][128], *ptrs[9];
	struct stw_crl_set set;
	struct bl_buf ev = BL_BUF_INIT;
	struct stw_config cfg;
	const char *conf = "[ca]\ncrls = [\"a.crl\", \"/abs/b.crl\"]\n";

	/* Parsing: paths relative to the configuration; an array is required. */
	assert_int_equal(stw_config_init(&cfg), 0);
	assert_int_equal(stw_config_parse(&cfg, conf, strlen(conf), "/etc/bailey"), 0);
	assert_int_equal(cfg.n_crl_paths, 2);
	assert_string_equal(cfg.crl_paths[0], "/etc/bailey/a.crl");
	assert_string_equal(cfg.crl_paths[1], "/abs/b.crl");
	stw_config_free(&cfg);
	assert_int_equal(stw_config_init(&cfg), 0);
	assert_true(stw_config_parse(&cfg, "[ca]\ncrls = \"a.crl\"\n", 19, NULL) < 0);
	assert_non_null(strstr(bl_errmsg(), "crls"));
	stw_config_free(&cfg);

	if (!fx->snp || !fx->sgx)
		skip();
	assert_non_null(mkdtemp(dir));
	for (int k = 0; k < 2; k++) {
		struct att_csr csr;
		size_t n;

		assert_int_equal(
		    att_csr_parse(k ? fx->sgx : fx->snp, k ? fx->sgx_len : fx->snp_len, &csr), 0);
		n = write_evidence_crls(&csr, dir, paths);
		assert_true(n >= 2);
		for (size_t i = 0; i < n; i++)
			ptrs[i] = paths[i];
		assert_int_equal(stw_crls_load(&set, ptrs, n), 0);
		assert_int_equal(set.n, n);
		evidence_without_crls(&csr, NULL, &ev); /* none of its CRLs */
		csr.evidence = ev.p;
		csr.evidence_len = ev.len;
		setup_service(fx, base_policy, 0);
		assert_int_equal(issue_parsed(fx, &csr, NULL), 403); /* none given: refused */
		fx->svc.crls = set.v;
		fx->svc.n_crls = set.n;
		if (issue_parsed(fx, &csr, NULL) != 200) /* Steward's own: issued */
			fail_msg("kind %d: %s", k, bl_errmsg());
		fx->svc.crls = NULL;
		fx->svc.n_crls = 0;
		stw_crls_free(&set);
		for (size_t i = 0; i < n; i++)
			unlink(paths[i]);
		att_csr_free(&csr);
	}
	/* Not a CRL, or missing: refused at load (start), naming the file. */
	snprintf(paths[0], 128, "%s/junk.crl", dir);
	FILE *f = fopen(paths[0], "wb");
	assert_non_null(f);
	fputs("not a CRL", f);
	fclose(f);
	ptrs[0] = paths[0];
	assert_int_equal(stw_crls_load(&set, ptrs, 1), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "junk.crl"));
	unlink(paths[0]);
	assert_int_equal(stw_crls_load(&set, ptrs, 1), BL_EIO);
	rmdir(dir);
	bl_buf_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_csrs_issued),
		cmocka_unit_test(test_each_policy_field),
		cmocka_unit_test(test_time_and_tampering),
		cmocka_unit_test(test_kvm_dev_only),
		cmocka_unit_test(test_binding_and_key_type),
		cmocka_unit_test(test_tdx_flow),
		cmocka_unit_test(test_media_and_bundle),
		cmocka_unit_test(test_subject_cn_is_granted_like_a_name),
		cmocka_unit_test(test_crls_required),
		cmocka_unit_test(test_configured_crls),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
