/*
 * snp.c — AMD SEV-SNP attestation report verification (attest.h).
 *
 * Formats: SEV Secure Nested Paging Firmware ABI Specification 1.55,
 * §7.3 table 22 (ATTESTATION_REPORT), table 3 (TCB_VERSION), §4.3 table 9
 * (guest policy); "Versioned Chip Endorsement Key (VCEK) Certificate and KDS
 * Interface Specification" 0.51 §3 (certificate extensions). Checks that
 * compare the report against its certificate run before the signature
 * check so that each one can be exercised on its own; all must pass.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/err.h>

#include "attest/internal.h"

#define SNP_REPORT_LEN 0x4a0
#define SNP_SIGNED_LEN 0x2a0

/* Raw fields, read by snp_parse through the cursor. */
struct snp_raw {
	uint32_t version, guest_svn, vmpl, sig_algo, flags;
	uint64_t policy, current_tcb, platform_info, reported_tcb, committed_tcb, launch_tcb;
	uint8_t family_id[16], image_id[16], report_data[64], measurement[48], host_data[32];
	uint8_t id_key_digest[48], author_key_digest[48], report_id[32], report_id_ma[32];
	uint8_t cpuid[3], chip_id[64], current[4], committed[4];
	uint8_t sig_r[72], sig_s[72];
};

static int snp_parse(const uint8_t *p, size_t len, struct snp_raw *r)
{
	struct bl_cur c = bl_cur_make(p, len);
	uint32_t reserved;

	if (len != SNP_REPORT_LEN)
		return att_fail(BL_EINVAL, "snp.format", "report is %zu bytes, not %d", len,
		                SNP_REPORT_LEN);
	BL_TRY(bl_cur_u32le(&c, &r->version));
	BL_TRY(bl_cur_u32le(&c, &r->guest_svn));
	BL_TRY(bl_cur_u64le(&c, &r->policy));
	BL_TRY(bl_cur_copy(&c, 16, r->family_id));
	BL_TRY(bl_cur_copy(&c, 16, r->image_id));
	BL_TRY(bl_cur_u32le(&c, &r->vmpl));
	BL_TRY(bl_cur_u32le(&c, &r->sig_algo));
	BL_TRY(bl_cur_u64le(&c, &r->current_tcb));
	BL_TRY(bl_cur_u64le(&c, &r->platform_info));
	BL_TRY(bl_cur_u32le(&c, &r->flags));
	BL_TRY(bl_cur_u32le(&c, &reserved));
	BL_TRY(bl_cur_copy(&c, 64, r->report_data));
	BL_TRY(bl_cur_copy(&c, 48, r->measurement));
	BL_TRY(bl_cur_copy(&c, 32, r->host_data));
	BL_TRY(bl_cur_copy(&c, 48, r->id_key_digest));
	BL_TRY(bl_cur_copy(&c, 48, r->author_key_digest));
	BL_TRY(bl_cur_copy(&c, 32, r->report_id));
	BL_TRY(bl_cur_copy(&c, 32, r->report_id_ma));
	BL_TRY(bl_cur_u64le(&c, &r->reported_tcb));
	BL_TRY(bl_cur_copy(&c, 3, r->cpuid)); /* 0x188: CPUID fam/mod/step (v3) */
	BL_TRY(bl_cur_skip(&c, 0x1a0 - 0x18b));
	BL_TRY(bl_cur_copy(&c, 64, r->chip_id));
	BL_TRY(bl_cur_u64le(&c, &r->committed_tcb));
	BL_TRY(bl_cur_copy(&c, 4, r->current));
	BL_TRY(bl_cur_copy(&c, 4, r->committed));
	BL_TRY(bl_cur_u64le(&c, &r->launch_tcb));
	BL_TRY(bl_cur_skip(&c, SNP_SIGNED_LEN - 0x1f8));
	BL_TRY(bl_cur_copy(&c, 72, r->sig_r));
	BL_TRY(bl_cur_copy(&c, 72, r->sig_s));
	return 0;
}

const char *att_snp_product_name(enum att_snp_product p)
{
	switch (p) {
	case ATT_SNP_MILAN: return "Milan";
	case ATT_SNP_GENOA: return "Genoa";
	case ATT_SNP_TURIN: return "Turin";
	default: return "unknown";
	}
}

void att_snp_tcb_decode(uint64_t raw, enum att_snp_product prod, struct att_snp_tcb *t)
{
	memset(t, 0, sizeof(*t));
	t->raw = raw;
	if (prod == ATT_SNP_TURIN) {
		t->fmc = (uint8_t)raw;
		t->bootloader = (uint8_t)(raw >> 8);
		t->tee = (uint8_t)(raw >> 16);
		t->snp = (uint8_t)(raw >> 24);
	} else {
		t->bootloader = (uint8_t)raw;
		t->tee = (uint8_t)(raw >> 8);
		t->snp = (uint8_t)(raw >> 48);
	}
	t->microcode = (uint8_t)(raw >> 56);
}

/* Built-in intermediates that may have issued a VCEK or VLEK. */
static const enum att_builtin snp_intermediates[] = {
	ATT_BI_MILAN_ASK,  ATT_BI_MILAN_ASVK, ATT_BI_GENOA_ASK,
	ATT_BI_GENOA_ASVK, ATT_BI_TURIN_ASK,  ATT_BI_TURIN_ASVK,
};

/* Product from the ASK/ASVK name ("SEV-Milan", "SEV-VLEK-Genoa"). */
static enum att_snp_product product_of(const X509 *ask)
{
	char cn[64] = "";

	X509_NAME_get_text_by_NID(X509_get_subject_name(ask), NID_commonName, cn, sizeof(cn));
	if (strstr(cn, "Milan"))
		return ATT_SNP_MILAN;
	if (strstr(cn, "Genoa"))
		return ATT_SNP_GENOA;
	if (strstr(cn, "Turin"))
		return ATT_SNP_TURIN;
	return ATT_SNP_UNKNOWN;
}

/* Build [vcek, ask, ark?] from the options or the built-ins. */
static int snp_chain(const struct att_opts *o, X509 *vcek, STACK_OF(X509) * chain)
{
	X509 *x;

	if (!X509_up_ref(vcek) || !sk_X509_push(chain, vcek))
		return bl_err(BL_ENOMEM, "out of memory");
	if (o->ask.len) {
		x = att_x509_load(o->ask.p, o->ask.len, "ASK");
		if (!x)
			return att_fail_wrap(BL_EINVAL, "snp.ask");
	} else {
		x = NULL;
		for (size_t i = 0; i < sizeof(snp_intermediates) / sizeof(snp_intermediates[0]);
		     i++) {
			X509 *a = att_builtin(snp_intermediates[i]);

			if (!a)
				return BL_EINTERNAL;
			if (!X509_NAME_cmp(X509_get_subject_name(a), X509_get_issuer_name(vcek))) {
				x = a;
				break;
			}
			X509_free(a);
		}
		if (!x) {
			char cn[96] = "";

			X509_NAME_get_text_by_NID(X509_get_issuer_name(vcek), NID_commonName, cn,
			                          sizeof(cn));
			return att_fail(BL_EVERIFY, "snp.chain",
			                "VCEK issuer '%s' is no known AMD ASK/ASVK", cn);
		}
	}
	if (!sk_X509_push(chain, x)) {
		X509_free(x);
		return bl_err(BL_ENOMEM, "out of memory");
	}
	if (o->ark.len) {
		x = att_x509_load(o->ark.p, o->ark.len, "ARK");
		if (!x)
			return att_fail_wrap(BL_EINVAL, "snp.ark");
		if (!sk_X509_push(chain, x)) {
			X509_free(x);
			return bl_err(BL_ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* An SPL extension: a DER INTEGER 0..255 inside the extension's OCTET STRING. */
static int vcek_spl(const X509 *vcek, const char *oid, int required, uint8_t *out)
{
	const ASN1_OCTET_STRING *os = att_x509_ext(vcek, oid);
	struct bl_cur c;
	uint64_t v;

	if (!os) {
		if (required)
			return att_fail(BL_EVERIFY, "snp.tcb", "VCEK lacks TCB extension %s", oid);
		*out = 0;
		return 0;
	}
	c = bl_cur_make(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os));
	if (att_der_uint(&c, &v) < 0 || !bl_cur_eof(&c) || v > 255)
		return att_fail(BL_EINVAL, "snp.tcb", "VCEK TCB extension %s is malformed", oid);
	*out = (uint8_t)v;
	return 0;
}

static int check_tcb(const X509 *vcek, const struct att_snp_tcb *rep)
{
	uint8_t bl, tee, snp, uc, fmc;

	BL_TRY(vcek_spl(vcek, "1.3.6.1.4.1.3704.1.3.1", 1, &bl));
	BL_TRY(vcek_spl(vcek, "1.3.6.1.4.1.3704.1.3.2", 1, &tee));
	BL_TRY(vcek_spl(vcek, "1.3.6.1.4.1.3704.1.3.3", 1, &snp));
	BL_TRY(vcek_spl(vcek, "1.3.6.1.4.1.3704.1.3.8", 1, &uc));
	BL_TRY(vcek_spl(vcek, "1.3.6.1.4.1.3704.1.3.9", 0, &fmc));
	if (bl != rep->bootloader || tee != rep->tee || snp != rep->snp || uc != rep->microcode ||
	    fmc != rep->fmc)
		return att_fail(
		    BL_EVERIFY, "snp.tcb",
		    "reported_tcb (bl %u tee %u snp %u ucode %u fmc %u) differs from the "
		    "VCEK's (bl %u tee %u snp %u ucode %u fmc %u)",
		    rep->bootloader, rep->tee, rep->snp, rep->microcode, rep->fmc, bl, tee, snp, uc,
		    fmc);
	return 0;
}

static int check_chip_id(const X509 *vcek, const uint8_t chip_id[64])
{
	const ASN1_OCTET_STRING *os = att_x509_ext(vcek, "1.3.6.1.4.1.3704.1.4");
	const uint8_t *hw;
	size_t n;

	if (!os)
		return att_fail(BL_EVERIFY, "snp.chip_id", "VCEK has no hwID extension");
	hw = ASN1_STRING_get0_data(os);
	n = (size_t)ASN1_STRING_length(os);
	/* Milan/Genoa hwIDs are 64 bytes; Turin's are 8 and the report's chip_id
	 * carries them in its first 8 bytes, the rest zero. */
	if (n != 64 && n != 8)
		return att_fail(BL_EVERIFY, "snp.chip_id", "VCEK hwID is %zu bytes", n);
	if (CRYPTO_memcmp(hw, chip_id, n))
		return att_fail(BL_EVERIFY, "snp.chip_id", "chip_id differs from the VCEK's hwID");
	for (size_t i = n; i < 64; i++)
		if (chip_id[i])
			return att_fail(BL_EVERIFY, "snp.chip_id",
			                "chip_id differs from the VCEK's hwID");
	return 0;
}

static void fill_claims(const struct snp_raw *r, enum att_snp_product prod, struct att_claims *c)
{
	struct att_snp_claims *s = &c->snp;

	c->kind = ATT_KIND_SNP;
	memcpy(c->measurement, r->measurement, 48);
	c->measurement_len = 48;
	if (r->flags & 1)
		memcpy(c->signer, r->author_key_digest, 48);
	else
		memcpy(c->signer, r->id_key_digest, 48);
	c->signer_len = 48;
	memcpy(c->report_data, r->report_data, 64);
	c->debug = (r->policy >> 19) & 1;
	c->tcb_status = ATT_TCB_UNKNOWN;
	c->qe_status = ATT_TCB_UNKNOWN;
	s->product = prod;
	s->version = r->version;
	s->guest_svn = r->guest_svn;
	s->policy = r->policy;
	s->abi_minor = (uint8_t)r->policy;
	s->abi_major = (uint8_t)(r->policy >> 8);
	s->policy_smt = (r->policy >> 16) & 1;
	s->policy_migrate_ma = (r->policy >> 18) & 1;
	s->policy_debug = (r->policy >> 19) & 1;
	s->policy_single_socket = (r->policy >> 20) & 1;
	memcpy(s->family_id, r->family_id, 16);
	memcpy(s->image_id, r->image_id, 16);
	s->vmpl = r->vmpl;
	s->signature_algo = r->sig_algo;
	s->platform_info = r->platform_info;
	s->author_key_en = r->flags & 1;
	s->mask_chip_key = (r->flags >> 1) & 1;
	s->signing_key = (r->flags >> 2) & 7;
	memcpy(s->host_data, r->host_data, 32);
	memcpy(s->id_key_digest, r->id_key_digest, 48);
	memcpy(s->author_key_digest, r->author_key_digest, 48);
	memcpy(s->report_id, r->report_id, 32);
	memcpy(s->report_id_ma, r->report_id_ma, 32);
	memcpy(s->chip_id, r->chip_id, 64);
	att_snp_tcb_decode(r->current_tcb, prod, &s->current_tcb);
	att_snp_tcb_decode(r->reported_tcb, prod, &s->reported_tcb);
	att_snp_tcb_decode(r->committed_tcb, prod, &s->committed_tcb);
	att_snp_tcb_decode(r->launch_tcb, prod, &s->launch_tcb);
	s->current_build = r->current[0];
	s->current_minor = r->current[1];
	s->current_major = r->current[2];
	s->committed_build = r->committed[0];
	s->committed_minor = r->committed[1];
	s->committed_major = r->committed[2];
	if (r->version >= 3) {
		s->cpuid_fam = r->cpuid[0];
		s->cpuid_mod = r->cpuid[1];
		s->cpuid_step = r->cpuid[2];
	}
}

/* v3 reports name their CPU: family 19h models 0h-Fh Milan, 10h-1Fh Genoa; 1Ah Turin. */
static int check_product(const struct snp_raw *r, enum att_snp_product prod)
{
	enum att_snp_product want = ATT_SNP_UNKNOWN;

	if (r->version < 3 || (!r->cpuid[0] && !r->cpuid[1]))
		return 0;
	if (r->cpuid[0] == 0x19 && r->cpuid[1] < 0x10)
		want = ATT_SNP_MILAN;
	else if (r->cpuid[0] == 0x19 && r->cpuid[1] < 0x20)
		want = ATT_SNP_GENOA;
	else if (r->cpuid[0] == 0x1a)
		want = ATT_SNP_TURIN;
	if (want != ATT_SNP_UNKNOWN && want != prod)
		return att_fail(BL_EVERIFY, "snp.product",
		                "report CPUID says %s but the certificate chain is %s",
		                att_snp_product_name(want), att_snp_product_name(prod));
	return 0;
}

static int vcek_kind(const X509 *vcek, int *vlek)
{
	char cn[64] = "";

	X509_NAME_get_text_by_NID(X509_get_subject_name(vcek), NID_commonName, cn, sizeof(cn));
	if (!strcmp(cn, "SEV-VCEK"))
		*vlek = 0;
	else if (!strcmp(cn, "SEV-VLEK"))
		*vlek = 1;
	else
		return att_fail(BL_EVERIFY, "snp.signing_key",
		                "certificate '%s' is neither a VCEK nor a VLEK", cn);
	return 0;
}

int att_snp_verify_ex(const uint8_t *report, size_t len, const struct att_opts *o,
                      STACK_OF(X509_CRL) * extra_crls, X509 *vcek_in, struct att_claims *out)
{
	STACK_OF(X509) *chain = NULL, *anchors = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	struct snp_raw r;
	X509 *vcek = vcek_in;
	EVP_PKEY *key;
	enum att_snp_product prod;
	uint8_t chain_len = 0;
	uint32_t crl_checked = 0;
	int rc, vlek = 0;

	BL_TRY(att_start(o, out));
	BL_TRY(snp_parse(report, len, &r));
	if (r.version != 2 && r.version != 3)
		return att_fail(BL_EUNSUPP, "snp.version", "report version %u (2 or 3 supported)",
		                r.version);
	if (r.sig_algo != 1)
		return att_fail(BL_EUNSUPP, "snp.signature_algo",
		                "signature algorithm %u (1, ECDSA P-384 SHA-384, supported)",
		                r.sig_algo);
	if ((r.flags >> 1) & 1)
		return att_fail(BL_EVERIFY, "snp.mask_chip_key",
		                "MASK_CHIP_KEY set: report unsigned");
	if (r.vmpl > 3)
		return att_fail(BL_EVERIFY, "snp.vmpl", "VMPL %u is not 0..3", r.vmpl);
	if (!((r.policy >> 17) & 1))
		return att_fail(BL_EVERIFY, "snp.policy",
		                "guest policy bit 17 (must be one) is zero");
	if (!vcek) {
		if (!o->vcek.len)
			return att_fail(BL_EINVAL, "snp.vcek", "no VCEK or VLEK certificate given");
		vcek = att_x509_load(o->vcek.p, o->vcek.len, "VCEK");
		if (!vcek)
			return att_fail_wrap(BL_EINVAL, "snp.vcek");
	}
	chain = sk_X509_new_null();
	if (!chain) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_vcek;
	}
	BL_TRY_GOTO(rc, vcek_kind(vcek, &vlek), out_free_chain);
	if (((r.flags >> 2) & 7) != (uint32_t)vlek) {
		rc = att_fail(
		    BL_EVERIFY, "snp.signing_key",
		    "report says SIGNING_KEY %u (%s) but it comes with a %s", (r.flags >> 2) & 7,
		    ((r.flags >> 2) & 7) == 0 ? "VCEK" : "VLEK or other", vlek ? "VLEK" : "VCEK");
		goto out_free_chain;
	}
	BL_TRY_GOTO(rc, snp_chain(o, vcek, chain), out_free_chain);
	BL_TRY_GOTO(rc, att_anchors(o, 0, &anchors), out_free_chain);
	BL_TRY_GOTO(rc, att_crls_from_opts(o, extra_crls, &crls), out_free_anchors);
	BL_TRY_GOTO(
	    rc, att_chain_verify_crls(chain, anchors, crls, o->at, "snp", &chain_len, &crl_checked),
	    out_free_crls);
	prod = product_of(sk_X509_value(chain, 1));
	BL_TRY_GOTO(rc, check_product(&r, prod), out_free_crls);
	key = X509_get0_pubkey(vcek);
	if (!key || !EVP_PKEY_is_a(key, "EC") || EVP_PKEY_get_bits(key) != 384) {
		rc = att_fail(BL_EVERIFY, "snp.vcek_key", "VCEK key is not ECDSA P-384");
		goto out_free_crls;
	}
	fill_claims(&r, prod, out);
	out->chain_len = chain_len;
	out->crl_checked = crl_checked;
	BL_TRY_GOTO(rc, check_tcb(vcek, &out->snp.reported_tcb), out_free_claims);
	if (!vlek)
		BL_TRY_GOTO(rc, check_chip_id(vcek, r.chip_id), out_free_claims);
	BL_TRY_GOTO(rc,
	            att_ecdsa_verify_raw(key, "SHA384", report, SNP_SIGNED_LEN, r.sig_r, r.sig_s,
	                                 72, 1, "snp.signature"),
	            out_free_claims);
	rc = 0;
	goto out_free_crls;
out_free_claims:
	memset(out, 0, sizeof(*out));
out_free_crls:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
out_free_anchors:
	sk_X509_pop_free(anchors, X509_free);
out_free_chain:
	sk_X509_pop_free(chain, X509_free);
out_free_vcek:
	if (vcek != vcek_in)
		X509_free(vcek);
	ERR_clear_error();
	return rc;
}

int att_snp_verify(const uint8_t *report, size_t len, const struct att_opts *opts,
                   struct att_claims *out)
{
	return att_snp_verify_ex(report, len, opts, NULL, NULL, out);
}
