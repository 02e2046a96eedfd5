/* claims.c — names, the report-data binding check and claims output (attest.h). */
#include <string.h>

#include <openssl/crypto.h>

#include "attest/internal.h"
#include "common/codec.h"
#include "common/digest.h"

static const char *const kind_names[] = { "none", "kvm", "sgx", "snp", "tdx" };
static const char *const kind_oids[] = { NULL, ATT_OID_KVM, ATT_OID_SGX, ATT_OID_SNP, ATT_OID_TDX };

const char *att_kind_name(enum att_kind k)
{
	return (unsigned)k < 5 ? kind_names[k] : "none";
}

int att_kind_parse(const char *s)
{
	for (int i = 1; i < 5; i++)
		if (s && !strcmp(s, kind_names[i]))
			return i;
	return -1;
}

const char *att_kind_oid(enum att_kind k)
{
	return (unsigned)k < 5 ? kind_oids[k] : NULL;
}

enum att_kind att_kind_from_oid(const char *dotted)
{
	for (int i = 1; i < 5; i++)
		if (dotted && !strcmp(dotted, kind_oids[i]))
			return (enum att_kind)i;
	return ATT_KIND_NONE;
}

static const char *const status_names[ATT_TCB_STATUS_COUNT] = {
	"Unknown",
	"UpToDate",
	"SWHardeningNeeded",
	"ConfigurationNeeded",
	"ConfigurationAndSWHardeningNeeded",
	"OutOfDate",
	"OutOfDateConfigurationNeeded",
	"Revoked",
};

const char *att_tcb_status_name(enum att_tcb_status s)
{
	return (unsigned)s < ATT_TCB_STATUS_COUNT ? status_names[s] : "Unknown";
}

int att_tcb_status_parse(const char *s)
{
	for (int i = 0; i < ATT_TCB_STATUS_COUNT; i++)
		if (s && !strcmp(s, status_names[i]))
			return i;
	return -1;
}

int att_report_data_check(const struct att_claims *c, const uint8_t *spki, size_t len)
{
	uint8_t d[BL_DIG_MAX];
	enum bl_dig_alg alg;
	size_t n;

	switch (c->kind) {
	case ATT_KIND_SGX: alg = BL_SHA256; break;
	case ATT_KIND_SNP:
	case ATT_KIND_TDX: alg = BL_SHA384; break;
	default:
		return att_fail(BL_EINVAL, "evidence.report_data", "%s evidence binds no key",
		                att_kind_name(c->kind));
	}
	n = bl_dig_size(alg);
	BL_TRY(bl_digest(alg, spki, len, d));
	if (CRYPTO_memcmp(d, c->report_data, n))
		return att_fail(BL_EVERIFY, "evidence.report_data",
		                "report data is not the %s of the CSR's public key",
		                bl_dig_name(alg));
	return 0;
}

/* ---- output --------------------------------------------------------------- */

static int hexkv(struct bl_buf *b, const char *k, const void *p, size_t n, int json)
{
	BL_TRY(bl_buf_printf(b, json ? "\"%s\":\"" : "%s: ", k));
	BL_TRY(bl_hex_encode(b, p, n));
	return bl_buf_puts(b, json ? "\"," : "\n");
}

static int numkv(struct bl_buf *b, const char *k, unsigned long long v, int json)
{
	return bl_buf_printf(b, json ? "\"%s\":%llu," : "%s: %llu\n", k, v);
}

static int strkv(struct bl_buf *b, const char *k, const char *v, int json)
{
	/* Values are names from fixed tables or Intel advisory IDs checked to be
	 * [A-Za-z0-9-]; nothing here needs JSON escaping. */
	return bl_buf_printf(b, json ? "\"%s\":\"%s\"," : "%s: %s\n", k, v);
}

static int boolkv(struct bl_buf *b, const char *k, bool v, int json)
{
	return bl_buf_printf(b, json ? "\"%s\":%s," : "%s: %s\n", k, v ? "true" : "false");
}

static int snp_tcb(struct bl_buf *b, const char *k, const struct att_snp_tcb *t, int json)
{
	if (json)
		return bl_buf_printf(b,
		                     "\"%s\":{\"bootloader\":%u,\"tee\":%u,\"snp\":%u,"
		                     "\"microcode\":%u,\"fmc\":%u,\"raw\":\"%016llx\"},",
		                     k, t->bootloader, t->tee, t->snp, t->microcode, t->fmc,
		                     (unsigned long long)t->raw);
	return bl_buf_printf(b, "%s: bootloader=%u tee=%u snp=%u microcode=%u fmc=%u\n", k,
	                     t->bootloader, t->tee, t->snp, t->microcode, t->fmc);
}

static int snp_out(const struct att_claims *c, struct bl_buf *b, int j)
{
	const struct att_snp_claims *s = &c->snp;

	BL_TRY(strkv(b, "product", att_snp_product_name(s->product), j));
	BL_TRY(numkv(b, "version", s->version, j));
	BL_TRY(bl_buf_printf(b, j ? "\"policy\":\"0x%llx\"," : "policy: 0x%llx\n",
	                     (unsigned long long)s->policy));
	BL_TRY(bl_buf_printf(b, j ? "\"abi\":\"%u.%u\"," : "abi: %u.%u\n", s->abi_major,
	                     s->abi_minor));
	BL_TRY(boolkv(b, "policy_smt", s->policy_smt, j));
	BL_TRY(boolkv(b, "policy_migrate_ma", s->policy_migrate_ma, j));
	BL_TRY(boolkv(b, "policy_single_socket", s->policy_single_socket, j));
	BL_TRY(numkv(b, "vmpl", s->vmpl, j));
	BL_TRY(numkv(b, "guest_svn", s->guest_svn, j));
	BL_TRY(bl_buf_printf(b, j ? "\"platform_info\":\"0x%llx\"," : "platform_info: 0x%llx\n",
	                     (unsigned long long)s->platform_info));
	BL_TRY(strkv(b, "signing_key", s->signing_key ? "vlek" : "vcek", j));
	BL_TRY(boolkv(b, "author_key_en", s->author_key_en, j));
	BL_TRY(hexkv(b, "id_key_digest", s->id_key_digest, 48, j));
	BL_TRY(hexkv(b, "author_key_digest", s->author_key_digest, 48, j));
	BL_TRY(hexkv(b, "host_data", s->host_data, 32, j));
	BL_TRY(hexkv(b, "family_id", s->family_id, 16, j));
	BL_TRY(hexkv(b, "image_id", s->image_id, 16, j));
	BL_TRY(hexkv(b, "chip_id", s->chip_id, 64, j));
	BL_TRY(snp_tcb(b, "reported_tcb", &s->reported_tcb, j));
	BL_TRY(snp_tcb(b, "current_tcb", &s->current_tcb, j));
	BL_TRY(snp_tcb(b, "committed_tcb", &s->committed_tcb, j));
	BL_TRY(snp_tcb(b, "launch_tcb", &s->launch_tcb, j));
	return bl_buf_printf(b, j ? "\"firmware\":\"%u.%u.%u\"," : "firmware: %u.%u.%u\n",
	                     s->current_major, s->current_minor, s->current_build);
}

static int pck_out(const struct att_claims *c, struct bl_buf *b, int j)
{
	const struct att_pck_claims *p = &c->pck;

	BL_TRY(hexkv(b, "fmspc", p->fmspc, 6, j));
	BL_TRY(hexkv(b, "pceid", p->pceid, 2, j));
	BL_TRY(hexkv(b, "ppid", p->ppid, 16, j));
	BL_TRY(hexkv(b, "pck_cpusvn", p->cpusvn_comp, 16, j));
	BL_TRY(numkv(b, "pck_pcesvn", p->pcesvn, j));
	BL_TRY(strkv(b, "pck_ca", p->platform_ca ? "platform" : "processor", j));
	BL_TRY(numkv(b, "qe_isvsvn", p->qe_isvsvn, j));
	BL_TRY(numkv(b, "qe_isvprodid", p->qe_isvprodid, j));
	BL_TRY(hexkv(b, "qe_mrenclave", p->qe_mrenclave, 32, j));
	return hexkv(b, "qe_mrsigner", p->qe_mrsigner, 32, j);
}

static int sgx_out(const struct att_claims *c, struct bl_buf *b, int j)
{
	const struct att_sgx_claims *s = &c->sgx;

	BL_TRY(numkv(b, "version", s->version, j));
	BL_TRY(hexkv(b, "mrenclave", s->mrenclave, 32, j));
	BL_TRY(hexkv(b, "mrsigner", s->mrsigner, 32, j));
	BL_TRY(numkv(b, "isv_prod_id", s->isv_prod_id, j));
	BL_TRY(numkv(b, "isv_svn", s->isv_svn, j));
	BL_TRY(bl_buf_printf(b, j ? "\"misc_select\":\"%08x\"," : "misc_select: %08x\n",
	                     s->misc_select));
	BL_TRY(hexkv(b, "attributes", s->attributes, 16, j));
	BL_TRY(hexkv(b, "cpusvn", s->cpusvn, 16, j));
	BL_TRY(numkv(b, "config_svn", s->config_svn, j));
	BL_TRY(hexkv(b, "config_id", s->config_id, 64, j));
	return pck_out(c, b, j);
}

static int tdx_out(const struct att_claims *c, struct bl_buf *b, int j)
{
	const struct att_tdx_claims *t = &c->tdx;
	char k[8];

	BL_TRY(numkv(b, "version", t->version, j));
	BL_TRY(hexkv(b, "mrtd", t->mrtd, 48, j));
	for (int i = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "rtmr%d", i);
		BL_TRY(hexkv(b, k, t->rtmr[i], 48, j));
	}
	BL_TRY(hexkv(b, "mrconfigid", t->mrconfigid, 48, j));
	BL_TRY(hexkv(b, "mrowner", t->mrowner, 48, j));
	BL_TRY(hexkv(b, "mrownerconfig", t->mrownerconfig, 48, j));
	BL_TRY(bl_buf_printf(b, j ? "\"td_attributes\":\"%016llx\"," : "td_attributes: %016llx\n",
	                     (unsigned long long)t->td_attributes));
	BL_TRY(bl_buf_printf(b, j ? "\"xfam\":\"%016llx\"," : "xfam: %016llx\n",
	                     (unsigned long long)t->xfam));
	BL_TRY(hexkv(b, "tee_tcb_svn", t->tee_tcb_svn, 16, j));
	BL_TRY(hexkv(b, "mrseam", t->mrseam, 48, j));
	BL_TRY(hexkv(b, "mrsignerseam", t->mrsignerseam, 48, j));
	return pck_out(c, b, j);
}

static int claims_out(const struct att_claims *c, struct bl_buf *b, int j)
{
	if (j)
		BL_TRY(bl_buf_putc(b, '{'));
	BL_TRY(strkv(b, "kind", att_kind_name(c->kind), j));
	if (c->kind == ATT_KIND_KVM || c->kind == ATT_KIND_NONE)
		goto out_close;
	BL_TRY(hexkv(b, "measurement", c->measurement, c->measurement_len, j));
	BL_TRY(hexkv(b, "signer", c->signer, c->signer_len, j));
	BL_TRY(hexkv(b, "report_data", c->report_data, 64, j));
	BL_TRY(boolkv(b, "debug", c->debug, j));
	BL_TRY(strkv(b, "tcb_status", att_tcb_status_name(c->tcb_status), j));
	BL_TRY(strkv(b, "qe_status", att_tcb_status_name(c->qe_status), j));
	BL_TRY(strkv(b, "tcb_date", c->tcb_date, j));
	BL_TRY(numkv(b, "tcb_eval_num", c->tcb_eval_num, j));
	BL_TRY(bl_buf_puts(b, j ? "\"advisories\":[" : "advisories:"));
	for (size_t i = 0; i < c->n_advisories; i++)
		BL_TRY(bl_buf_printf(b, j ? "%s\"%s\"" : "%s%s",
		                     i ? (j ? "," : " ") : (j ? "" : " "), c->advisories[i]));
	BL_TRY(bl_buf_puts(b, j ? "]," : "\n"));
	if (c->kind == ATT_KIND_SNP)
		BL_TRY(snp_out(c, b, j));
	else if (c->kind == ATT_KIND_SGX)
		BL_TRY(sgx_out(c, b, j));
	else
		BL_TRY(tdx_out(c, b, j));
out_close:
	if (j) {
		b->p[b->len - 1] = '}'; /* replace the trailing comma */
		return bl_buf_putc(b, '\n');
	}
	return 0;
}

int att_claims_json(const struct att_claims *c, struct bl_buf *out)
{
	return claims_out(c, out, 1);
}

int att_claims_text(const struct att_claims *c, struct bl_buf *out)
{
	return claims_out(c, out, 0);
}
