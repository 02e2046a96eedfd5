/* service.c — CSR to certificate chain; see service.h for the contract. */
#include "steward/service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/cert.h"
#include "attest/csr.h"
#include "attest/tlv.h"
#include "common/cursor.h"

static unsigned status_of(int rc)
{
	switch (rc) {
	case BL_EPERM:
	case BL_EVERIFY: return 403;
	case BL_ENOMEM: return 503;
	case BL_EINTERNAL: return 500;
	default: return 400;
	}
}

/* The platform TcbInfo (cert.h "How Bailey fills it"). */
static void platform_info(const struct att_claims *c, struct att_tcbinfo *t, char *ver, size_t vlen)
{
	memset(t, 0, sizeof(*t));
	t->type = att_bytes_str("bailey.platform.v1");
	t->has_flags = 1;
	t->flags = c->debug ? ATT_TCB_FLAG_DEBUG : 0;
	if (c->measurement_len) {
		t->n_fwids = 1;
		t->fwids[0].present = 1;
		t->fwids[0].alg = c->measurement_len == 32 ? BL_SHA256 : BL_SHA384;
		memcpy(t->fwids[0].digest, c->measurement, c->measurement_len);
	}
	if (c->signer_len) {
		t->vendor_info.p = c->signer;
		t->vendor_info.len = c->signer_len;
	}
	switch (c->kind) {
	case ATT_KIND_SNP:
		t->vendor = att_bytes_str("AMD");
		t->model = att_bytes_str("SEV-SNP");
		snprintf(ver, vlen, "%s firmware %u.%u.%u", att_snp_product_name(c->snp.product),
		         c->snp.current_major, c->snp.current_minor, c->snp.current_build);
		t->version = att_bytes_str(ver);
		t->has_svn = 1;
		t->svn = c->snp.reported_tcb.raw;
		break;
	case ATT_KIND_SGX:
	case ATT_KIND_TDX:
		t->vendor = att_bytes_str("Intel");
		t->model = att_bytes_str(c->kind == ATT_KIND_SGX ? "SGX" : "TDX");
		snprintf(ver, vlen, "TCB %s", att_tcb_status_name(c->tcb_status));
		t->version = att_bytes_str(ver);
		t->has_svn = 1;
		if (c->kind == ATT_KIND_SGX) {
			t->svn = c->sgx.isv_svn;
		} else {
			t->svn = 0;
			for (int i = 0; i < 8; i++)
				t->svn = (t->svn << 8) | c->tdx.tee_tcb_svn[i];
			for (int i = 0; i < 4; i++) {
				struct att_fwid *f = &t->fwids[t->n_fwids++];
				f->present = 1;
				f->alg = BL_SHA384;
				memcpy(f->digest, c->tdx.rtmr[i], 48);
			}
		}
		break;
	default:
		t->vendor = att_bytes_str("Bailey");
		t->model = att_bytes_str(c->kind == ATT_KIND_KVM ? "KVM" : "nil");
		/* No hardware protects a KVM Keep: say so to every relying party. */
		t->flags |= ATT_TCB_FLAG_NOT_SECURE;
		break;
	}
}

static int claims_der(const struct att_claims *c, const struct att_csr *csr, struct bl_buf *out)
{
	struct att_tcbinfo t[2];
	char ver[96];
	size_t n = 1;

	platform_info(c, &t[0], ver, sizeof(ver));
	if (csr->workload.present) {
		const struct att_fwid *f[] = { &csr->workload.wasm, &csr->workload.config,
			                       &csr->workload.tree };
		memset(&t[1], 0, sizeof(t[1]));
		t[1].vendor = att_bytes_str("Bailey");
		t[1].model = att_bytes_str("wasm");
		t[1].has_layer = 1;
		t[1].layer = 1;
		t[1].type = att_bytes_str("bailey.workload.v1");
		for (int i = 0; i < 3; i++)
			if (f[i]->present)
				t[1].fwids[t[1].n_fwids++] = *f[i];
		n = 2;
	}
	return att_multitcb_encode(t, n, out);
}

static int verify(const struct stw_service *s, const struct att_csr *csr, time_t at,
                  struct att_claims *claims)
{
	struct att_opts opts = { 0 };
	int rc;

	opts.at = at;
	opts.tcb_signing_at = s->tcb_signing_at;
	opts.crls = s->crls;
	opts.n_crls = s->n_crls;
	if (csr->kind == ATT_KIND_KVM || csr->kind == ATT_KIND_NONE) {
		memset(claims, 0, sizeof(*claims));
		claims->kind = csr->kind;
		if (!s->dev)
			return bl_err(BL_EPERM,
			              "kvm.allow: %s is accepted only by a Steward "
			              "started with --dev",
			              csr->kind == ATT_KIND_KVM
			                  ? "KVM evidence"
			                  : "a request without evidence (nil)");
		return 0;
	}
	rc = att_evidence_verify(csr->kind, csr->evidence, csr->evidence_len, &opts, claims);
	if (rc < 0)
		return rc;
	return att_csr_check_binding(csr, claims->report_data, sizeof(claims->report_data));
}

unsigned stw_service_issue_csr(const struct stw_service *s, const struct att_csr *csr,
                               struct bl_buf *leaf)
{
	struct att_claims *claims = NULL;
	struct bl_buf tcb = BL_BUF_INIT;
	const char *names[ATT_CSR_MAX_NAMES];
	char name_buf[ATT_CSR_MAX_NAMES][ATT_CSR_MAX_NAME_LEN + 1];
	time_t now = time(NULL);
	time_t at = s->at ? s->at : now;
	int rc;

	claims = malloc(sizeof(*claims));
	if (!claims) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free;
	}
	BL_TRY_GOTO(rc, att_csr_check_key_type(csr), out_free);
	BL_TRY_GOTO(rc, verify(s, csr, at, claims), out_free);
	if (!((csr->kind == ATT_KIND_KVM || csr->kind == ATT_KIND_NONE) && s->dev_allow_all_kvm))
		BL_TRY_GOTO(rc, att_policy_check(s->policy, claims, csr), out_free);
	else if (csr->n_names || csr->n_subject_cns || csr->subject_email)
		BL_TRY_GOTO(rc,
		            bl_err(BL_EPERM, "kvm.dns_names: no names (subjectAltName, subject "
		                             "commonName or emailAddress) are granted without a "
		                             "configuration"),
		            out_free);
	BL_TRY_GOTO(rc, claims_der(claims, csr, &tcb), out_free);
	for (size_t i = 0; i < csr->n_names; i++) {
		memcpy(name_buf[i], csr->names[i].p, csr->names[i].len);
		name_buf[i][csr->names[i].len] = 0;
		names[i] = name_buf[i];
	}
	struct stw_issue req = { .csr = csr,
		                 .names = names,
		                 .n_names = csr->n_names,
		                 .claims = tcb.p,
		                 .claims_len = tcb.len,
		                 .at = s->issue_at ? s->issue_at : now,
		                 .lifetime = s->lifetime };
	rc = stw_ca_issue(&s->ca, &req, leaf);
	/* The CA not being valid now is Steward's problem, not the client's. */
	if (rc == BL_EPERM) {
		char why[BL_ERRMSG_MAX];
		snprintf(why, sizeof(why), "%s", bl_errmsg());
		rc = bl_err(BL_EINTERNAL, "CA: %s", why);
	}

out_free:
	bl_buf_free(&tcb);
	free(claims);
	return rc < 0 ? status_of(rc) : 200;
}

unsigned stw_service_issue_one(const struct stw_service *s, const uint8_t *der, size_t len,
                               enum att_kind *kind, struct bl_buf *leaf)
{
	struct att_csr csr;
	unsigned status;
	int rc;

	rc = att_csr_parse(der, len, &csr);
	if (rc < 0)
		return rc == BL_ENOMEM ? 503 : 400; /* a bad self-signature is malformed input */
	*kind = csr.kind;
	status = stw_service_issue_csr(s, &csr, leaf);
	att_csr_free(&csr);
	return status;
}

static void set_error(struct stw_reply *r, unsigned status, const char *reason)
{
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	bl_buf_reset(&r->body);
	if (bl_buf_puts(&r->body, reason) < 0 || bl_buf_putc(&r->body, '\n') < 0)
		r->status = 503;
}

/* Compare a Content-Type with a media type, ignoring case and parameters. */
static int media_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (!ct || strncasecmp(ct, want, n))
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == 0 || *ct == ';';
}

static void post_single(const struct stw_service *s, const uint8_t *body, size_t len,
                        struct stw_reply *r)
{
	struct bl_buf leaf = BL_BUF_INIT;
	unsigned status = stw_service_issue_one(s, body, len, &r->kind, &leaf);

	if (status != 200) {
		set_error(r, status, bl_errmsg());
		goto out_free;
	}
	if (bl_buf_append(&r->body, s->ca.cert_der, s->ca.cert_der_len) < 0 ||
	    bl_buf_append(&r->body, leaf.p, leaf.len) < 0 ||
	    att_tlv_wrap(&r->body, 0, ATT_TAG_SEQUENCE) < 0) {
		set_error(r, 503, "out of memory");
		goto out_free;
	}
	r->status = 200;
	r->content_type = STW_CT_CHAIN;
out_free:
	bl_buf_free(&leaf);
}

static void post_bundle(const struct stw_service *s, const uint8_t *body, size_t len,
                        struct stw_reply *r)
{
	struct bl_cur c = bl_cur_make(body, len);
	struct att_tlv seq, one;
	struct bl_buf issued = BL_BUF_INIT;
	size_t n = 0;

	if (att_tlv_expect(&c, ATT_TAG_SEQUENCE, "bundle", &seq) < 0 ||
	    bl_cur_expect_end(&c, "bundle") < 0) {
		set_error(r, 400, bl_errmsg());
		goto out_free;
	}
	while (!bl_cur_eof(&seq.body)) {
		enum att_kind kind = ATT_KIND_NONE;
		unsigned status;

		if (++n > STW_MAX_BUNDLE) {
			set_error(r, 413, "bundle: more than 16 requests");
			goto out_free;
		}
		if (att_tlv_expect(&seq.body, ATT_TAG_SEQUENCE, "bundle request", &one) < 0) {
			set_error(r, 400, bl_errmsg());
			goto out_free;
		}
		status = stw_service_issue_one(s, one.raw, one.raw_len, &kind, &issued);
		if (n == 1)
			r->kind = kind;
		if (status != 200) {
			char msg[BL_ERRMSG_MAX + 32];
			snprintf(msg, sizeof(msg), "request %zu: %s", n, bl_errmsg());
			set_error(r, status, msg);
			goto out_free;
		}
	}
	if (n == 0) {
		set_error(r, 400, "bundle: no requests");
		goto out_free;
	}
	/* Output ::= SEQUENCE { chain SEQUENCE OF Certificate, issued SEQUENCE OF Certificate } */
	if (att_tlv_put(&r->body, ATT_TAG_SEQUENCE, s->ca.cert_der, s->ca.cert_der_len) < 0 ||
	    att_tlv_put(&r->body, ATT_TAG_SEQUENCE, issued.p, issued.len) < 0 ||
	    att_tlv_wrap(&r->body, 0, ATT_TAG_SEQUENCE) < 0) {
		set_error(r, 503, "out of memory");
		goto out_free;
	}
	r->status = 200;
	r->content_type = STW_CT_BUNDLE;
out_free:
	bl_buf_free(&issued);
}

#define STW_MAX_CHAIN_OUT (4u << 20)

void stw_service_post(const struct stw_service *s, const char *content_type, const uint8_t *body,
                      size_t len, struct stw_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->body.limit = STW_MAX_CHAIN_OUT;
	r->kind = ATT_KIND_NONE;
	bl_err_clear();
	if (media_is(content_type, STW_CT_PKCS10))
		post_single(s, body, len, r);
	else if (media_is(content_type, STW_CT_BUNDLE))
		post_bundle(s, body, len, r);
	else
		set_error(r, 415,
		          "Content-Type must be application/pkcs10 or "
		          "application/vnd.steward.pkcs10-bundle.v1");
}

#define STW_MAX_CRL_FILE (16u << 20)

static int read_file(const char *path, struct att_blob *out)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;
	int rc = 0;

	if (!f)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		rc = bl_err(BL_EIO, "%s: cannot read", path);
		goto out_close;
	}
	if (n == 0 || (unsigned long)n > STW_MAX_CRL_FILE) {
		rc = bl_err(BL_ERANGE, "%s: a CRL file must hold 1 byte to 16 MiB", path);
		goto out_close;
	}
	p = malloc((size_t)n);
	if (!p) {
		rc = bl_err(BL_ENOMEM, "%s: out of memory", path);
		goto out_close;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		rc = bl_err(BL_EIO, "%s: short read", path);
		goto out_close;
	}
	out->p = p;
	out->len = (size_t)n;
out_close:
	fclose(f);
	return rc;
}

/* One DER or PEM CRL, nothing after it (DER). */
static int is_crl(const struct att_blob *b)
{
	const unsigned char *q = b->p;
	X509_CRL *crl = NULL;

	if (b->len > 10 && !memcmp(b->p, "-----BEGIN", 10)) {
		BIO *bio = BIO_new_mem_buf(b->p, (int)b->len);
		if (bio)
			crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
		BIO_free(bio);
	} else {
		crl = d2i_X509_CRL(NULL, &q, (long)b->len);
		if (crl && q != b->p + b->len) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	ERR_clear_error();
	X509_CRL_free(crl);
	return crl != NULL;
}

int stw_crls_load(struct stw_crl_set *set, char *const *paths, size_t n)
{
	int rc = 0;

	memset(set, 0, sizeof(*set));
	if (!n)
		return 0;
	set->v = calloc(n, sizeof(*set->v));
	if (!set->v)
		return bl_err(BL_ENOMEM, "CRLs: out of memory");
	for (size_t i = 0; i < n; i++) {
		BL_TRY_GOTO(rc, read_file(paths[i], &set->v[i]), out_free);
		set->n = i + 1;
		if (!is_crl(&set->v[i])) {
			rc = bl_err(BL_EINVAL, "%s: not a DER or PEM CRL", paths[i]);
			goto out_free;
		}
	}
	return 0;
out_free:
	stw_crls_free(set);
	return rc;
}

void stw_crls_free(struct stw_crl_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free((void *)set->v[i].p);
	free(set->v);
	memset(set, 0, sizeof(*set));
}

void stw_reply_free(struct stw_reply *r)
{
	bl_buf_free(&r->body);
}
