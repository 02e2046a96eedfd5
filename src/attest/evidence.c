/*
 * evidence.c — the public SGX/TDX entry points and the decoding of CSR
 * evidence extensions (attest.h; ASN.1 as in vectors/README.md, after Enarx
 * Steward's crates/sgx and crates/snp evidence types). Decoding goes
 * through the DER reader on the cursor; certificates and CRLs found inside
 * are handed to OpenSSL as exact DER slices.
 */
#include <string.h>

#include <openssl/err.h>

#include "attest/internal.h"

/* Collateral from the options: TCB signing chain, TCB info, QE identity. */
static int col_from_opts(const struct att_opts *o, struct att_intel_collateral *col)
{
	memset(col, 0, sizeof(*col));
	col->tcb_info = o->tcb_info;
	col->qe_identity = o->qe_identity;
	col->chain_at = o->tcb_signing_at;
	if (o->tcb_signing_chain.len) {
		int rc = att_x509_load_many(o->tcb_signing_chain.p, o->tcb_signing_chain.len,
		                            &col->tcb_chain, "TCB signing chain");
		if (rc < 0)
			return att_fail_wrap(rc, "tcb_signing.chain");
	}
	return 0;
}

static int intel_verify(int tdx, const uint8_t *q, size_t len, const struct att_opts *o,
                        struct att_claims *out)
{
	struct att_intel_collateral col;
	int rc;

	BL_TRY(att_start(o, out));
	BL_TRY(col_from_opts(o, &col));
	rc = att_quote_verify(tdx, q, len, o, NULL, &col, out);
	sk_X509_pop_free(col.tcb_chain, X509_free);
	return rc;
}

int att_sgx_verify(const uint8_t *quote, size_t len, const struct att_opts *opts,
                   struct att_claims *out)
{
	return intel_verify(0, quote, len, opts, out);
}

int att_tdx_verify(const uint8_t *quote, size_t len, const struct att_opts *opts,
                   struct att_claims *out)
{
	return intel_verify(1, quote, len, opts, out);
}

/* CrlList ::= SEQUENCE { crls SEQUENCE OF SEQUENCE { url UTF8String, crl CertificateList } } */
static int crl_list(struct bl_cur *c, STACK_OF(X509_CRL) * *crls)
{
	struct bl_cur outer, list;

	BL_TRY(att_der_get(c, DER_SEQUENCE, &outer, NULL));
	BL_TRY(att_der_get(&outer, DER_SEQUENCE, &list, NULL));
	BL_TRY(bl_cur_expect_end(&outer, "CrlList"));
	while (!bl_cur_eof(&list)) {
		struct bl_cur item, url, crl, whole;

		BL_TRY(att_der_get(&list, DER_SEQUENCE, &item, NULL));
		BL_TRY(att_der_get(&item, DER_UTF8STRING, &url, NULL));
		BL_TRY(att_der_get(&item, DER_SEQUENCE, &crl, &whole));
		BL_TRY(bl_cur_expect_end(&item, "CRL list entry"));
		BL_TRY(att_crl_load(whole.base, whole.len, crls, "evidence CRL"));
	}
	return 0;
}

static int decode_snp(struct bl_cur *v, const struct att_opts *o, struct att_claims *out)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct bl_cur outer, certs, cert, report;
	X509 *vcek = NULL;
	int rc;

	if (!crls)
		return bl_err(BL_ENOMEM, "out of memory");
	BL_TRY_GOTO(rc, att_der_get(v, DER_SEQUENCE, &outer, NULL), out_free_crls);
	BL_TRY_GOTO(rc, bl_cur_expect_end(v, "SNP evidence"), out_free_crls);
	BL_TRY_GOTO(rc, att_der_get(&outer, DER_SEQUENCE, &certs, NULL), out_free_crls);
	BL_TRY_GOTO(rc, att_der_get(&certs, DER_SEQUENCE, &report /* tmp */, &cert), out_free_crls);
	if (!bl_cur_eof(&certs))
		BL_TRY_GOTO(rc, crl_list(&certs, &crls), out_free_crls);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&certs, "SNP evidence certificates"), out_free_crls);
	BL_TRY_GOTO(rc, att_der_get(&outer, DER_OCTETSTRING, &report, NULL), out_free_crls);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&outer, "SNP evidence"), out_free_crls);
	if (!o->vcek.len) {
		vcek = att_x509_load(cert.base, cert.len, "evidence VCEK");
		if (!vcek) {
			rc = BL_EINVAL;
			goto out_free_crls;
		}
	}
	rc = att_snp_verify_ex(report.base, report.len, o, crls, vcek, out);
	X509_free(vcek);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
out_free_crls:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return att_failed_check()[0] ? rc : att_fail_wrap(rc, "evidence.format");
}

/*
 * SGX (and TDX): SEQUENCE { quote OCTET STRING, crl CrlList,
 *   tcb SEQUENCE { crts SEQUENCE OF Certificate, report OCTET STRING },
 *   qeid [0] EXPLICIT OCTET STRING OPTIONAL }
 */
static int decode_intel(int tdx, struct bl_cur *v, const struct att_opts *o, struct att_claims *out)
{
	STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
	struct att_intel_collateral col;
	struct bl_cur outer, quote, tcb, crts, report, whole;
	uint8_t tag;
	int rc;

	memset(&col, 0, sizeof(col));
	if (!crls)
		return bl_err(BL_ENOMEM, "out of memory");
	BL_TRY_GOTO(rc, att_der_get(v, DER_SEQUENCE, &outer, NULL), out_format);
	BL_TRY_GOTO(rc, bl_cur_expect_end(v, "evidence"), out_format);
	BL_TRY_GOTO(rc, att_der_get(&outer, DER_OCTETSTRING, &quote, NULL), out_format);
	BL_TRY_GOTO(rc, crl_list(&outer, &crls), out_format);
	BL_TRY_GOTO(rc, att_der_get(&outer, DER_SEQUENCE, &tcb, NULL), out_format);
	BL_TRY_GOTO(rc, att_der_get(&tcb, DER_SEQUENCE, &crts, &whole), out_format);
	BL_TRY_GOTO(rc, att_der_get(&tcb, DER_OCTETSTRING, &report, NULL), out_format);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&tcb, "evidence TCB collateral"), out_format);
	if (!bl_cur_eof(&outer)) {
		struct bl_cur ctx, qeid;

		BL_TRY_GOTO(rc, att_der_peek(&outer, &tag), out_format);
		BL_TRY_GOTO(rc, att_der_get(&outer, DER_CTX0, &ctx, NULL), out_format);
		BL_TRY_GOTO(rc, att_der_get(&ctx, DER_OCTETSTRING, &qeid, NULL), out_format);
		BL_TRY_GOTO(rc, bl_cur_expect_end(&ctx, "QE identity"), out_format);
		col.qe_identity.p = qeid.base;
		col.qe_identity.len = qeid.len;
	}
	BL_TRY_GOTO(rc, bl_cur_expect_end(&outer, "evidence"), out_format);
	if (o->tcb_signing_chain.len) {
		rc = att_x509_load_many(o->tcb_signing_chain.p, o->tcb_signing_chain.len,
		                        &col.tcb_chain, "TCB signing chain");
	} else if (crts.len) {
		rc = att_x509_load_many(whole.base, whole.len, &col.tcb_chain,
		                        "evidence TCB signing chain");
	}
	if (rc < 0) {
		att_fail_wrap(rc, "tcb_signing.chain");
		goto out_free;
	}
	col.tcb_info.p = o->tcb_info.len ? o->tcb_info.p : report.base;
	col.tcb_info.len = o->tcb_info.len ? o->tcb_info.len : report.len;
	if (o->qe_identity.len)
		col.qe_identity = o->qe_identity;
	col.chain_at = o->tcb_signing_at;
	rc = att_quote_verify(tdx, quote.base, quote.len, o, crls, &col, out);
	goto out_free;
out_format:
	att_fail_wrap(rc, "evidence.format");
out_free:
	sk_X509_pop_free(col.tcb_chain, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	return rc;
}

int att_evidence_verify(enum att_kind kind, const uint8_t *der, size_t len,
                        const struct att_opts *o, struct att_claims *out)
{
	struct bl_cur v = bl_cur_make(der, len);
	int rc;

	BL_TRY(att_start(o, out));
	switch (kind) {
	case ATT_KIND_KVM:
		if (len)
			return att_fail(BL_EINVAL, "evidence.format", "KVM evidence must be empty");
		out->kind = ATT_KIND_KVM;
		return 0;
	case ATT_KIND_SNP: rc = decode_snp(&v, o, out); break;
	case ATT_KIND_SGX: rc = decode_intel(0, &v, o, out); break;
	case ATT_KIND_TDX: rc = decode_intel(1, &v, o, out); break;
	default: return att_fail(BL_EINVAL, "evidence.kind", "unknown evidence kind %d", kind);
	}
	ERR_clear_error();
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
