/*
 * quote.c — Intel SGX DCAP quote v3 and TDX quote v4/v5 verification (attest.h).
 *
 * Formats: "Intel SGX ECDSA Quote Library API" (DCAP), appendix A.4 "ECDSA
 * quote format" v3 (48-byte header, 384-byte ISV enclave report, signature
 * data with the QE report and certification data); "Intel TDX DCAP Quote
 * Generating Library API" A.3 (v4: 584-byte TD report body; certification
 * data type 6 wraps the QE report and type-5 PCK chain) and v5 (body type
 * and size before the body; type 3 is the 648-byte TD 1.5 body). PCK
 * certificate extensions: "Intel SGX PCK Certificate and CRL Profile" 1.4
 * §3.5 (OID 1.2.840.113741.1.13.1). Everything is read through the cursor and
 * bounded by the quote's own length fields; bytes after the signature data
 * are ignored.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "attest/internal.h"
#include "common/digest.h"

#define QUOTE_HEADER_LEN 48
#define ENCLAVE_REPORT_LEN 384
#define TD10_BODY_LEN 584
#define TD15_BODY_LEN 648

static const uint8_t intel_qe_vendor[16] = { 0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
	                                     0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07 };

struct quote {
	uint16_t version, key_type, body_type;
	uint32_t tee_type;
	const uint8_t *signed_p; /* header .. end of body */
	size_t signed_len;
	struct bl_cur body; /* SGX enclave report or TD report */
	const uint8_t *sig, *att_key, *qe_report, *qe_sig;
	struct bl_cur qe_auth;
	struct bl_cur pck_pem;
};

/* An enclave REPORT body (SGX: 384 bytes), for the ISV and the QE report. */
struct enclave_report {
	uint8_t cpusvn[16];
	uint32_t misc_select;
	uint8_t isv_ext_prod_id[16], attributes[16], mrenclave[32], mrsigner[32], config_id[64];
	uint16_t isv_prod_id, isv_svn, config_svn;
	uint8_t isv_family_id[16], report_data[64];
};

static int enclave_report_parse(struct bl_cur c, struct enclave_report *r)
{
	BL_TRY(bl_cur_copy(&c, 16, r->cpusvn));
	BL_TRY(bl_cur_u32le(&c, &r->misc_select));
	BL_TRY(bl_cur_skip(&c, 12));
	BL_TRY(bl_cur_copy(&c, 16, r->isv_ext_prod_id));
	BL_TRY(bl_cur_copy(&c, 16, r->attributes));
	BL_TRY(bl_cur_copy(&c, 32, r->mrenclave));
	BL_TRY(bl_cur_skip(&c, 32));
	BL_TRY(bl_cur_copy(&c, 32, r->mrsigner));
	BL_TRY(bl_cur_skip(&c, 32));
	BL_TRY(bl_cur_copy(&c, 64, r->config_id));
	BL_TRY(bl_cur_u16le(&c, &r->isv_prod_id));
	BL_TRY(bl_cur_u16le(&c, &r->isv_svn));
	BL_TRY(bl_cur_u16le(&c, &r->config_svn));
	BL_TRY(bl_cur_skip(&c, 42));
	BL_TRY(bl_cur_copy(&c, 16, r->isv_family_id));
	BL_TRY(bl_cur_copy(&c, 64, r->report_data));
	return bl_cur_expect_end(&c, "enclave report");
}

/* QE report, its signature, auth data and the type-5 PCK chain. */
static int qe_cert_data(struct bl_cur *c, struct quote *q)
{
	uint16_t auth_len, type;
	uint32_t size;

	BL_TRY(bl_cur_bytes(c, ENCLAVE_REPORT_LEN, &q->qe_report));
	BL_TRY(bl_cur_bytes(c, 64, &q->qe_sig));
	BL_TRY(bl_cur_u16le(c, &auth_len));
	BL_TRY(bl_cur_sub(c, auth_len, &q->qe_auth));
	BL_TRY(bl_cur_u16le(c, &type));
	BL_TRY(bl_cur_u32le(c, &size));
	BL_TRY(bl_cur_sub(c, size, &q->pck_pem));
	/* Types 1-4 carry the PPID (the PCK chain must come from the caller). */
	if (type < 1 || type > 5)
		return att_fail(BL_EUNSUPP, "quote.format",
		                "certification data type %u (1-5 supported)", type);
	if (type != 5)
		q->pck_pem.len = 0;
	return 0;
}

static int quote_parse(const uint8_t *p, size_t len, int tdx, struct quote *q)
{
	struct bl_cur c = bl_cur_make(p, len), sigdata;
	const uint8_t *vendor;
	uint32_t sig_len, body_len = 0;
	uint16_t u16;

	memset(q, 0, sizeof(*q));
	BL_TRY(bl_cur_u16le(&c, &q->version));
	BL_TRY(bl_cur_u16le(&c, &q->key_type));
	BL_TRY(bl_cur_u32le(&c, &q->tee_type));
	BL_TRY(bl_cur_skip(&c, 4)); /* QE SVN / PCE SVN (reserved in v4) */
	BL_TRY(bl_cur_bytes(&c, 16, &vendor));
	BL_TRY(bl_cur_skip(&c, 20)); /* user data */
	if (!tdx && q->version != 3)
		return att_fail(BL_EUNSUPP, "quote.version", "SGX quote version %u (3 supported)",
		                q->version);
	if (tdx && q->version != 4 && q->version != 5)
		return att_fail(BL_EUNSUPP, "quote.version",
		                "TDX quote version %u (4 and 5 supported)", q->version);
	if (q->key_type != 2)
		return att_fail(BL_EUNSUPP, "quote.format",
		                "attestation key type %u (2, ECDSA P-256, supported)", q->key_type);
	if (tdx ? q->tee_type != 0x81 : (q->version > 3 && q->tee_type != 0))
		return att_fail(BL_EINVAL, "quote.format", "TEE type 0x%x is not %s", q->tee_type,
		                tdx ? "TDX (0x81)" : "SGX (0)");
	if (memcmp(vendor, intel_qe_vendor, 16))
		return att_fail(BL_EVERIFY, "quote.qe_vendor", "QE vendor ID is not Intel's");
	if (!tdx) {
		body_len = ENCLAVE_REPORT_LEN;
		q->body_type = 1;
	} else if (q->version == 4) {
		body_len = TD10_BODY_LEN;
		q->body_type = 2;
	} else {
		BL_TRY(bl_cur_u16le(&c, &q->body_type));
		BL_TRY(bl_cur_u32le(&c, &body_len));
		if (!((q->body_type == 2 && body_len == TD10_BODY_LEN) ||
		      (q->body_type == 3 && body_len == TD15_BODY_LEN)))
			return att_fail(BL_EUNSUPP, "quote.format",
			                "v5 body type %u of %u bytes is not a TD report",
			                q->body_type, body_len);
	}
	BL_TRY(bl_cur_sub(&c, body_len, &q->body));
	q->signed_p = p;
	q->signed_len = c.pos;
	BL_TRY(bl_cur_u32le(&c, &sig_len));
	BL_TRY(bl_cur_sub(&c, sig_len, &sigdata));
	/* Bytes after the signature data (c) are ignored. */
	BL_TRY(bl_cur_bytes(&sigdata, 64, &q->sig));
	BL_TRY(bl_cur_bytes(&sigdata, 64, &q->att_key));
	if (!tdx) {
		BL_TRY(qe_cert_data(&sigdata, q));
	} else {
		struct bl_cur inner;
		uint32_t size;

		BL_TRY(bl_cur_u16le(&sigdata, &u16));
		BL_TRY(bl_cur_u32le(&sigdata, &size));
		if (u16 != 6)
			return att_fail(BL_EUNSUPP, "quote.format",
			                "certification data type %u (6, QE report, supported)",
			                u16);
		BL_TRY(bl_cur_sub(&sigdata, size, &inner));
		BL_TRY(qe_cert_data(&inner, q));
	}
	return 0;
}

/* ---- PCK certificate extensions ------------------------------------------ */

/* 1.2.840.113741.1.13.1 and its children .1 (PPID), .2 (TCB), .3 (PCE-ID), .4 (FMSPC). */
static const uint8_t sgx_ext_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01 };

static int oid_child(const struct bl_cur *oid, const uint8_t *prefix, size_t n, unsigned *arc)
{
	if (oid->len != n + 1 || memcmp(oid->base, prefix, n) || oid->base[n] >= 0x80)
		return 0;
	*arc = oid->base[n];
	return 1;
}

static int octets(struct bl_cur *v, uint8_t *dst, size_t n, const char *what)
{
	struct bl_cur os;

	BL_TRY(att_der_get(v, DER_OCTETSTRING, &os, NULL));
	if (os.len != n)
		return bl_err(BL_EINVAL, "PCK %s is %zu bytes, not %zu", what, os.len, n);
	return bl_cur_copy(&os, n, dst);
}

static int pck_tcb(struct bl_cur v, struct att_pck_claims *p)
{
	uint8_t tcb_oid[sizeof(sgx_ext_oid) + 1];
	struct bl_cur seq;
	unsigned seen = 0;

	memcpy(tcb_oid, sgx_ext_oid, sizeof(sgx_ext_oid));
	tcb_oid[sizeof(sgx_ext_oid)] = 2;
	BL_TRY(att_der_get(&v, DER_SEQUENCE, &seq, NULL));
	while (!bl_cur_eof(&seq)) {
		struct bl_cur item, oid;
		unsigned arc;
		uint64_t x;

		BL_TRY(att_der_get(&seq, DER_SEQUENCE, &item, NULL));
		BL_TRY(att_der_get(&item, DER_OID, &oid, NULL));
		if (!oid_child(&oid, tcb_oid, sizeof(tcb_oid), &arc))
			continue;
		if (arc >= 1 && arc <= 16) {
			BL_TRY(att_der_uint(&item, &x));
			if (x > 255)
				return bl_err(BL_ERANGE, "PCK TCB component %u out of range", arc);
			p->cpusvn_comp[arc - 1] = (uint8_t)x;
			seen |= 1u << (arc - 1);
		} else if (arc == 17) {
			BL_TRY(att_der_uint(&item, &x));
			if (x > 65535)
				return bl_err(BL_ERANGE, "PCK PCESVN out of range");
			p->pcesvn = (uint16_t)x;
			seen |= 1u << 16;
		}
	}
	if (seen != 0x1ffff)
		return bl_err(BL_EINVAL, "PCK TCB extension lacks components");
	return 0;
}

static int pck_parse(const X509 *pck, struct att_pck_claims *p)
{
	const ASN1_OCTET_STRING *os = att_x509_ext(pck, "1.2.840.113741.1.13.1");
	struct bl_cur c, seq;
	unsigned seen = 0;
	char cn[96] = "";
	int rc;

	if (!os)
		return att_fail(BL_EINVAL, "pck.extensions", "PCK has no SGX extension");
	c = bl_cur_make(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
	BL_TRY_GOTO(rc, att_der_get(&c, DER_SEQUENCE, &seq, NULL), out_wrap);
	while (!bl_cur_eof(&seq)) {
		struct bl_cur item, oid;
		unsigned arc;

		BL_TRY_GOTO(rc, att_der_get(&seq, DER_SEQUENCE, &item, NULL), out_wrap);
		BL_TRY_GOTO(rc, att_der_get(&item, DER_OID, &oid, NULL), out_wrap);
		if (!oid_child(&oid, sgx_ext_oid, sizeof(sgx_ext_oid), &arc))
			continue;
		switch (arc) {
		case 1: BL_TRY_GOTO(rc, octets(&item, p->ppid, 16, "PPID"), out_wrap); break;
		case 2: BL_TRY_GOTO(rc, pck_tcb(item, p), out_wrap); break;
		case 3: BL_TRY_GOTO(rc, octets(&item, p->pceid, 2, "PCE-ID"), out_wrap); break;
		case 4: BL_TRY_GOTO(rc, octets(&item, p->fmspc, 6, "FMSPC"), out_wrap); break;
		default: continue;
		}
		seen |= 1u << arc;
	}
	if (seen != 0x1e) {
		rc = bl_err(BL_EINVAL, "PCK extension lacks PPID, TCB, PCE-ID or FMSPC");
		goto out_wrap;
	}
	X509_NAME_get_text_by_NID(X509_get_issuer_name(pck), NID_commonName, cn, sizeof(cn));
	p->platform_ca = strstr(cn, "Platform") != NULL;
	return 0;
out_wrap:
	return att_fail_wrap(rc, "pck.extensions");
}

/*
 * The leaf must be a PCK certificate issued by one of the two PCK CAs: any
 * other Intel-rooted key (a TCB signing key, say) must not sign QE reports.
 */
static int check_pck_names(STACK_OF(X509) * chain)
{
	char cn[96] = "", icn[96] = "";
	const X509 *pck = sk_X509_value(chain, 0);

	X509_NAME_get_text_by_NID(X509_get_subject_name(pck), NID_commonName, cn, sizeof(cn));
	X509_NAME_get_text_by_NID(X509_get_issuer_name(pck), NID_commonName, icn, sizeof(icn));
	if (strcmp(cn, "Intel SGX PCK Certificate") ||
	    (strcmp(icn, "Intel SGX PCK Platform CA") && strcmp(icn, "Intel SGX PCK Processor CA")))
		return att_fail(BL_EVERIFY, "pck.chain",
		                "leaf '%s' issued by '%s' is not a PCK certificate from a PCK CA",
		                cn, icn);
	return 0;
}

/* ---- claims --------------------------------------------------------------- */

static int td_body(struct bl_cur c, uint16_t body_type, struct att_claims *out)
{
	struct att_tdx_claims *t = &out->tdx;

	BL_TRY(bl_cur_copy(&c, 16, t->tee_tcb_svn));
	BL_TRY(bl_cur_copy(&c, 48, t->mrseam));
	BL_TRY(bl_cur_copy(&c, 48, t->mrsignerseam));
	BL_TRY(bl_cur_u64le(&c, &t->seam_attributes));
	BL_TRY(bl_cur_u64le(&c, &t->td_attributes));
	BL_TRY(bl_cur_u64le(&c, &t->xfam));
	BL_TRY(bl_cur_copy(&c, 48, t->mrtd));
	BL_TRY(bl_cur_copy(&c, 48, t->mrconfigid));
	BL_TRY(bl_cur_copy(&c, 48, t->mrowner));
	BL_TRY(bl_cur_copy(&c, 48, t->mrownerconfig));
	for (int i = 0; i < 4; i++)
		BL_TRY(bl_cur_copy(&c, 48, t->rtmr[i]));
	BL_TRY(bl_cur_copy(&c, 64, out->report_data));
	if (body_type == 3) {
		BL_TRY(bl_cur_copy(&c, 16, t->tee_tcb_svn2));
		BL_TRY(bl_cur_copy(&c, 48, t->mrservicetd));
	}
	BL_TRY(bl_cur_expect_end(&c, "TD report"));
	out->kind = ATT_KIND_TDX;
	memcpy(out->measurement, t->mrtd, 48);
	out->measurement_len = 48;
	out->signer_len = 0;
	out->debug = t->td_attributes & 1;
	return 0;
}

static int sgx_body(struct bl_cur c, struct att_claims *out)
{
	struct enclave_report r;
	struct att_sgx_claims *s = &out->sgx;

	BL_TRY(enclave_report_parse(c, &r));
	out->kind = ATT_KIND_SGX;
	memcpy(s->cpusvn, r.cpusvn, 16);
	s->misc_select = r.misc_select;
	memcpy(s->attributes, r.attributes, 16);
	memcpy(s->mrenclave, r.mrenclave, 32);
	memcpy(s->mrsigner, r.mrsigner, 32);
	memcpy(s->config_id, r.config_id, 64);
	s->isv_prod_id = r.isv_prod_id;
	s->isv_svn = r.isv_svn;
	s->config_svn = r.config_svn;
	memcpy(s->isv_family_id, r.isv_family_id, 16);
	memcpy(s->isv_ext_prod_id, r.isv_ext_prod_id, 16);
	memcpy(out->measurement, r.mrenclave, 32);
	out->measurement_len = 32;
	memcpy(out->signer, r.mrsigner, 32);
	out->signer_len = 32;
	memcpy(out->report_data, r.report_data, 64);
	out->debug = r.attributes[0] & 0x02; /* ATTRIBUTES.DEBUG is bit 1 of FLAGS */
	return 0;
}

/* QE report data[0..32] = SHA-256(attestation key || QE auth data), [32..64] zero. */
static int check_qe_report_data(const struct quote *q, const struct enclave_report *qe)
{
	static const uint8_t zero[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32];
	unsigned dl = 0;
	int ok;

	if (!ctx)
		return bl_err(BL_ENOMEM, "out of memory");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, q->att_key, 64) == 1 &&
	     EVP_DigestUpdate(ctx, q->qe_auth.base, q->qe_auth.len) == 1 &&
	     EVP_DigestFinal_ex(ctx, d, &dl) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return bl_err(BL_EINTERNAL, "SHA-256 failed");
	if (CRYPTO_memcmp(d, qe->report_data, 32) || memcmp(qe->report_data + 32, zero, 32))
		return att_fail(BL_EVERIFY, "quote.qe_report_data",
		                "QE report data is not SHA-256(attestation key || QE auth data)");
	return 0;
}

/*
 * Intel's production quoting enclaves, as Intel's QE identity collateral
 * names them: SGX QE3 (ISVPRODID 1) and the TDX TD QE (ISVPRODID 2). The
 * PCE signs, with the PCK key, the report of any enclave that has the
 * PROVISIONKEY attribute, which a platform's owner can launch; so a QE
 * report signed by the PCK proves nothing until the QE's identity is
 * checked. With no QE identity collateral, these built-in values are.
 */
static const uint8_t intel_qe3_mrsigner[32] = { 0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e,
	                                        0x96, 0x13, 0x7f, 0x77, 0xc6, 0x8a, 0x82, 0x9a,
	                                        0x00, 0x56, 0xac, 0x8d, 0xed, 0x70, 0x14, 0x0b,
	                                        0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff };
static const uint8_t intel_tdqe_mrsigner[32] = { 0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17,
	                                         0x47, 0x4e, 0x34, 0xa7, 0xfc, 0x43, 0xed, 0x03,
	                                         0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba, 0xbd, 0xdf,
	                                         0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5 };

static int check_qe_signer(int tdx, const struct enclave_report *qe)
{
	const uint8_t *want = tdx ? intel_tdqe_mrsigner : intel_qe3_mrsigner;
	uint16_t prodid = tdx ? 2 : 1;

	if (memcmp(qe->mrsigner, want, 32) || qe->isv_prod_id != prodid)
		return att_fail(BL_EVERIFY, "quote.qe_signer",
		                "the QE (ISVPRODID %u) is not Intel's %s and no QE identity "
		                "vouches for it",
		                qe->isv_prod_id, tdx ? "TD QE" : "QE3");
	if (qe->attributes[0] & 0x02) /* ATTRIBUTES.DEBUG: its key is readable */
		return att_fail(BL_EVERIFY, "quote.qe_signer", "the QE runs in debug mode");
	return 0;
}

int att_quote_verify(int tdx, const uint8_t *p, size_t len, const struct att_opts *o,
                     STACK_OF(X509_CRL) * extra_crls, const struct att_intel_collateral *col,
                     struct att_claims *out)
{
	STACK_OF(X509) *chain = NULL, *anchors = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct enclave_report qe;
	struct quote q;
	EVP_PKEY *pck_key, *att_key = NULL;
	X509 *pck;
	int rc;

	BL_TRY(att_start(o, out));
	rc = quote_parse(p, len, tdx, &q);
	if (rc < 0)
		return att_failed_check()[0] ? rc : att_fail_wrap(rc, "quote.format");
	rc = enclave_report_parse(bl_cur_make(q.qe_report, ENCLAVE_REPORT_LEN), &qe);
	if (rc < 0)
		return att_fail_wrap(rc, "quote.format");
	if (o->pck_chain.len)
		rc = att_x509_load_many(o->pck_chain.p, o->pck_chain.len, &chain, "PCK chain");
	else if (q.pck_pem.len)
		rc = att_x509_load_many(q.pck_pem.base, q.pck_pem.len, &chain, "PCK chain");
	else
		rc = att_fail(BL_EINVAL, "pck.chain",
		              "the quote carries no PCK chain and none was given");
	if (rc < 0) {
		att_fail_wrap(rc, "pck.chain");
		goto out_free_chain;
	}
	BL_TRY_GOTO(rc, att_anchors(o, 1, &anchors), out_free_chain);
	BL_TRY_GOTO(rc, att_crls_from_opts(o, extra_crls, &crls), out_free_anchors);
	BL_TRY_GOTO(rc,
	            att_chain_verify_crls(chain, anchors, crls, o->at, "pck", &out->chain_len,
	                                  &out->crl_checked),
	            out_free_crls);
	pck = sk_X509_value(chain, 0);
	BL_TRY_GOTO(rc, check_pck_names(chain), out_free_crls);
	pck_key = X509_get0_pubkey(pck);
	if (!pck_key || !EVP_PKEY_is_a(pck_key, "EC") || EVP_PKEY_get_bits(pck_key) != 256) {
		rc = att_fail(BL_EVERIFY, "pck.key", "PCK key is not ECDSA P-256");
		goto out_free_crls;
	}
	BL_TRY_GOTO(rc, pck_parse(pck, &out->pck), out_free_crls);
	/* Checked before the QE report's signature so that a test can tamper
	 * with each field; every check must pass all the same. */
	if (!col || !col->qe_identity.len)
		BL_TRY_GOTO(rc, check_qe_signer(tdx, &qe), out_free_crls);
	BL_TRY_GOTO(rc,
	            att_ecdsa_verify_raw(pck_key, "SHA256", q.qe_report, ENCLAVE_REPORT_LEN,
	                                 q.qe_sig, q.qe_sig + 32, 32, 0,
	                                 "quote.qe_report_signature"),
	            out_free_crls);
	BL_TRY_GOTO(rc, check_qe_report_data(&q, &qe), out_free_crls);
	att_key = att_p256_from_xy(q.att_key);
	if (!att_key) {
		rc = att_fail(BL_EVERIFY, "quote.attestation_key",
		              "attestation key is not a P-256 point");
		goto out_free_crls;
	}
	BL_TRY_GOTO(rc,
	            att_ecdsa_verify_raw(att_key, "SHA256", q.signed_p, q.signed_len, q.sig,
	                                 q.sig + 32, 32, 0, "quote.signature"),
	            out_free_key);
	if (tdx)
		rc = td_body(q.body, q.body_type, out);
	else
		rc = sgx_body(q.body, out);
	if (rc < 0)
		goto out_format;
	if (tdx) {
		out->tdx.version = q.version;
		out->tdx.body_type = q.body_type;
	} else {
		out->sgx.version = q.version;
	}
	out->pck.qe_isvsvn = qe.isv_svn;
	out->pck.qe_isvprodid = qe.isv_prod_id;
	memcpy(out->pck.qe_mrenclave, qe.mrenclave, 32);
	memcpy(out->pck.qe_mrsigner, qe.mrsigner, 32);
	out->pck.qe_misc_select = qe.misc_select;
	memcpy(out->pck.qe_attributes, qe.attributes, 16);
	out->tcb_status = ATT_TCB_UNKNOWN;
	out->qe_status = ATT_TCB_UNKNOWN;
	if (col)
		rc = att_intel_tcb_apply(col, anchors, crls, o->at, tdx, out);
	goto out_free_key;
out_format:
	att_fail_wrap(rc, "quote.format");
out_free_key:
	EVP_PKEY_free(att_key);
out_free_crls:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
out_free_anchors:
	sk_X509_pop_free(anchors, X509_free);
out_free_chain:
	sk_X509_pop_free(chain, X509_free);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	ERR_clear_error();
	return rc;
}
