/* csr.c — PKCS#10 parsing and checks; see csr.h for the contract. */
#include "attest/csr.h"

#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "attest/tlv.h"
#include "common/cursor.h"

const uint8_t att_oid_evidence[ATT_CSR_KIND_END][10] = {
	[ATT_KIND_KVM] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x01, 0x01 },
	[ATT_KIND_SGX] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x01, 0x02 },
	[ATT_KIND_SNP] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x01, 0x03 },
	[ATT_KIND_TDX] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x01, 0x04 },
};
const uint8_t att_oid_workload[10] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc7, 0x1e, 0x02, 0x01 };

static const uint8_t oid_ext_req[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e };
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };
static const uint8_t oid_ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t oid_ecdsa_sha384[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
static const uint8_t oid_ecdsa_sha512[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 };
static const uint8_t oid_sha256[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
static const uint8_t oid_sha384[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 };
static const uint8_t oid_sha512[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 };

const char *att_csr_kind_name(enum att_kind k)
{
	static const char *const names[] = { "none", "kvm", "sgx", "snp", "tdx" };
	return (unsigned)k < ATT_CSR_KIND_END ? names[k] : "unknown";
}

static int parse_fwid(struct bl_cur *body, struct att_fwid *out, const char *what)
{
	struct att_tlv oid, dig;

	BL_TRY(att_tlv_expect(body, ATT_TAG_OID, what, &oid));
	BL_TRY(att_tlv_expect(body, ATT_TAG_OCTET_STRING, what, &dig));
	BL_TRY(bl_cur_expect_end(body, what));
	if (att_tlv_oid_is(&oid, oid_sha256, sizeof(oid_sha256)))
		out->alg = BL_SHA256;
	else if (att_tlv_oid_is(&oid, oid_sha384, sizeof(oid_sha384)))
		out->alg = BL_SHA384;
	else if (att_tlv_oid_is(&oid, oid_sha512, sizeof(oid_sha512)))
		out->alg = BL_SHA512;
	else
		return bl_err(BL_EINVAL, "%s: hash algorithm is not SHA-256/384/512", what);
	if (dig.body.len != bl_dig_size(out->alg))
		return bl_err(BL_EINVAL, "%s: digest of %zu bytes for %s", what, dig.body.len,
		              bl_dig_name(out->alg));
	memcpy(out->digest, dig.body.base, dig.body.len);
	out->present = 1;
	return 0;
}

int att_workload_parse(const uint8_t *der, size_t len, struct att_workload *out)
{
	struct bl_cur c = bl_cur_make(der, len);
	struct att_tlv seq, f;
	static const char *const what[] = { "workload wasm", "workload config", "workload tree" };
	struct att_fwid *dst[] = { &out->wasm, &out->config, &out->tree };

	memset(out, 0, sizeof(*out));
	BL_TRY(att_tlv_expect(&c, ATT_TAG_SEQUENCE, "workload extension", &seq));
	BL_TRY(bl_cur_expect_end(&c, "workload extension"));
	for (unsigned i = 0; i < 3; i++) {
		if (att_tlv_peek(&seq.body) != (int)(ATT_TAG_CTX0 | i)) {
			if (i < 2)
				return bl_err(BL_EINVAL, "%s: missing", what[i]);
			continue;
		}
		BL_TRY(att_tlv_expect(&seq.body, (uint8_t)(ATT_TAG_CTX0 | i), what[i], &f));
		BL_TRY(parse_fwid(&f.body, dst[i], what[i]));
	}
	BL_TRY(bl_cur_expect_end(&seq.body, "workload extension"));
	out->present = 1;
	return 0;
}

static int name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.';
}

static int parse_san(const uint8_t *der, size_t len, struct att_csr *out)
{
	struct bl_cur c = bl_cur_make(der, len);
	struct att_tlv seq, gn;

	BL_TRY(att_tlv_expect(&c, ATT_TAG_SEQUENCE, "subjectAltName", &seq));
	BL_TRY(bl_cur_expect_end(&c, "subjectAltName"));
	if (bl_cur_eof(&seq.body))
		return bl_err(BL_EINVAL, "subjectAltName: empty");
	while (!bl_cur_eof(&seq.body)) {
		BL_TRY(att_tlv_read(&seq.body, &gn));
		if (gn.tag != 0x82) /* dNSName [2] IMPLICIT IA5String, RFC 5280 §4.2.1.6 */
			return bl_err(BL_EUNSUPP,
			              "subjectAltName: only DNS names may be requested");
		if (out->n_names == ATT_CSR_MAX_NAMES)
			return bl_err(BL_ERANGE, "subjectAltName: more than %d names",
			              ATT_CSR_MAX_NAMES);
		if (gn.body.len == 0 || gn.body.len > ATT_CSR_MAX_NAME_LEN)
			return bl_err(BL_EINVAL, "subjectAltName: DNS name of %zu bytes",
			              gn.body.len);
		for (size_t i = 0; i < gn.body.len; i++)
			if (!name_char_ok((char)gn.body.base[i]))
				return bl_err(BL_EINVAL,
				              "subjectAltName: DNS name has a byte 0x%02x outside "
				              "[A-Za-z0-9.-]",
				              gn.body.base[i]);
		out->names[out->n_names].p = (const char *)gn.body.base;
		out->names[out->n_names].len = gn.body.len;
		out->n_names++;
	}
	return 0;
}

/* X.520 id-at-commonName 2.5.4.3; PKCS#9 emailAddress 1.2.840.113549.1.9.1. */
static const uint8_t oid_cn[] = { 0x55, 0x04, 0x03 };
static const uint8_t oid_email[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 };

int att_csr_set_subject(struct att_csr *csr, const uint8_t *der, size_t len)
{
	struct bl_cur c = bl_cur_make(der, len);
	struct att_tlv name, rdn, atv, type, value;

	csr->n_subject_cns = 0;
	csr->subject_email = 0;
	BL_TRY(att_tlv_expect(&c, ATT_TAG_SEQUENCE, "subject", &name));
	BL_TRY(bl_cur_expect_end(&c, "subject"));
	while (!bl_cur_eof(&name.body)) {
		BL_TRY(att_tlv_expect(&name.body, ATT_TAG_SET, "subject RDN", &rdn));
		if (bl_cur_eof(&rdn.body))
			return bl_err(BL_EINVAL, "subject: empty RelativeDistinguishedName");
		while (!bl_cur_eof(&rdn.body)) {
			BL_TRY(
			    att_tlv_expect(&rdn.body, ATT_TAG_SEQUENCE, "subject attribute", &atv));
			BL_TRY(att_tlv_expect(&atv.body, ATT_TAG_OID, "subject attribute type",
			                      &type));
			BL_TRY(att_tlv_read(&atv.body, &value));
			BL_TRY(bl_cur_expect_end(&atv.body, "subject attribute"));
			if (att_tlv_oid_is(&type, oid_email, sizeof(oid_email)))
				csr->subject_email = 1;
			if (!att_tlv_oid_is(&type, oid_cn, sizeof(oid_cn)))
				continue;
			if (csr->n_subject_cns == ATT_CSR_MAX_NAMES)
				return bl_err(BL_ERANGE, "subject: more than %d commonNames",
				              ATT_CSR_MAX_NAMES);
			csr->subject_cns[csr->n_subject_cns].tag = value.tag;
			csr->subject_cns[csr->n_subject_cns].p = value.body.base;
			csr->subject_cns[csr->n_subject_cns].len = value.body.len;
			csr->n_subject_cns++;
		}
	}
	csr->subject = der;
	csr->subject_len = len;
	return 0;
}

/* One Extension of the extensionRequest. seen: bit per recognised extension. */
static int parse_extension(struct bl_cur *exts, struct att_csr *out, unsigned *seen,
                           int *n_evidence)
{
	struct att_tlv ext, oid, crit, val;
	int critical = 0;
	unsigned bit;

	BL_TRY(att_tlv_expect(exts, ATT_TAG_SEQUENCE, "extension", &ext));
	BL_TRY(att_tlv_expect(&ext.body, ATT_TAG_OID, "extension id", &oid));
	if (att_tlv_peek(&ext.body) == ATT_TAG_BOOLEAN) {
		BL_TRY(att_tlv_expect(&ext.body, ATT_TAG_BOOLEAN, "extension critical", &crit));
		BL_TRY(att_tlv_bool(&crit, "extension critical", &critical));
	}
	BL_TRY(att_tlv_expect(&ext.body, ATT_TAG_OCTET_STRING, "extension value", &val));
	BL_TRY(bl_cur_expect_end(&ext.body, "extension"));

	for (unsigned k = ATT_KIND_KVM; k < ATT_CSR_KIND_END; k++) {
		if (!att_tlv_oid_is(&oid, att_oid_evidence[k], 10))
			continue;
		bit = 1u << k;
		if (*seen & bit)
			return bl_err(BL_EINVAL, "extension: %s evidence appears twice",
			              att_csr_kind_name(k));
		*seen |= bit;
		if (critical)
			return bl_err(BL_EINVAL, "extension: %s evidence must not be critical",
			              att_csr_kind_name(k));
		if (k == ATT_KIND_KVM && val.body.len != 0)
			return bl_err(BL_EINVAL, "extension: kvm evidence must be empty");
		out->kind = (enum att_kind)k;
		out->evidence = val.body.base;
		out->evidence_len = val.body.len;
		out->evidence_ext = ext.raw;
		out->evidence_ext_len = ext.raw_len;
		(*n_evidence)++;
		return 0;
	}
	if (att_tlv_oid_is(&oid, att_oid_workload, sizeof(att_oid_workload))) {
		bit = 1u << 8;
		if (*seen & bit)
			return bl_err(BL_EINVAL, "extension: workload appears twice");
		*seen |= bit;
		if (critical)
			return bl_err(BL_EINVAL, "extension: workload must not be critical");
		return att_workload_parse(val.body.base, val.body.len, &out->workload);
	}
	if (att_tlv_oid_is(&oid, oid_san, sizeof(oid_san))) {
		bit = 1u << 9;
		if (*seen & bit)
			return bl_err(BL_EINVAL, "extension: subjectAltName appears twice");
		*seen |= bit;
		return parse_san(val.body.base, val.body.len, out);
	}
	return bl_err(BL_EUNSUPP,
	              "extension: unknown extension requested (OID of %zu bytes "
	              "at offset %zu)",
	              oid.body.len, oid.body.origin);
}

static int parse_attributes(struct bl_cur *attrs, struct att_csr *out)
{
	struct att_tlv attr, type, values, exts;
	unsigned seen = 0;
	int n_evidence = 0;

	/* No attributes at all: a nil Keep's request, without evidence (kind NONE). */
	if (bl_cur_eof(attrs)) {
		out->kind = ATT_KIND_NONE;
		return 0;
	}
	BL_TRY(att_tlv_expect(attrs, ATT_TAG_SEQUENCE, "attribute", &attr));
	if (!bl_cur_eof(attrs))
		return bl_err(BL_EINVAL, "attributes: only one attribute (extensionRequest) "
		                         "is allowed");
	BL_TRY(att_tlv_expect(&attr.body, ATT_TAG_OID, "attribute type", &type));
	if (!att_tlv_oid_is(&type, oid_ext_req, sizeof(oid_ext_req)))
		return bl_err(BL_EINVAL, "attributes: only extensionRequest is allowed");
	BL_TRY(att_tlv_expect(&attr.body, ATT_TAG_SET, "extensionRequest values", &values));
	BL_TRY(bl_cur_expect_end(&attr.body, "extensionRequest attribute"));
	BL_TRY(att_tlv_expect(&values.body, ATT_TAG_SEQUENCE, "extensions", &exts));
	if (!bl_cur_eof(&values.body))
		return bl_err(BL_EINVAL, "extensionRequest: more than one value");
	while (!bl_cur_eof(&exts.body))
		BL_TRY(parse_extension(&exts.body, out, &seen, &n_evidence));
	if (n_evidence > 1)
		return bl_err(BL_EINVAL, "extensionRequest: more than one evidence extension");
	if (n_evidence == 0)
		out->kind = ATT_KIND_NONE; /* a nil Keep: names or a workload, no evidence */
	return 0;
}

/*
 * SubjectPublicKeyInfo for EC keys (RFC 5480 §2): AlgorithmIdentifier
 * { id-ecPublicKey, namedCurve } and the uncompressed point in a BIT STRING.
 * Read here with the cursor and imported with EVP_PKEY_fromdata, which
 * checks that the point is on the curve: several times faster than
 * OpenSSL 3's generic decoder (d2i_PUBKEY), and strict about the form.
 */
static const uint8_t oid_ec_public_key[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const uint8_t oid_p256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 };

static int load_key(struct att_csr *out)
{
	struct bl_cur c = bl_cur_make(out->spki, out->spki_len);
	struct att_tlv spki, alg, oid, curve, bits;
	const char *group;
	size_t point_len;
	EVP_PKEY_CTX *ctx;
	OSSL_PARAM params[3];
	int ok;

	BL_TRY(att_tlv_expect(&c, ATT_TAG_SEQUENCE, "subjectPublicKeyInfo", &spki));
	BL_TRY(
	    att_tlv_expect(&spki.body, ATT_TAG_SEQUENCE, "subjectPublicKeyInfo algorithm", &alg));
	BL_TRY(att_tlv_expect(&spki.body, ATT_TAG_BIT_STRING, "subjectPublicKey", &bits));
	BL_TRY(bl_cur_expect_end(&spki.body, "subjectPublicKeyInfo"));
	BL_TRY(att_tlv_expect(&alg.body, ATT_TAG_OID, "subjectPublicKeyInfo algorithm", &oid));
	if (!att_tlv_oid_is(&oid, oid_ec_public_key, sizeof(oid_ec_public_key)))
		return bl_err(BL_EUNSUPP, "subjectPublicKeyInfo: only EC keys are accepted");
	if (att_tlv_peek(&alg.body) != ATT_TAG_OID)
		return bl_err(BL_EUNSUPP, "subjectPublicKeyInfo: EC key without a named curve");
	BL_TRY(att_tlv_expect(&alg.body, ATT_TAG_OID, "namedCurve", &curve));
	BL_TRY(bl_cur_expect_end(&alg.body, "subjectPublicKeyInfo algorithm"));
	if (att_tlv_oid_is(&curve, oid_p256, sizeof(oid_p256))) {
		out->curve_bits = 256;
		group = "prime256v1";
		point_len = 65;
	} else if (att_tlv_oid_is(&curve, oid_p384, sizeof(oid_p384))) {
		out->curve_bits = 384;
		group = "secp384r1";
		point_len = 97;
	} else {
		return bl_err(BL_EUNSUPP, "subjectPublicKeyInfo: curve is not P-256 or P-384");
	}
	/* No unused bits, and the uncompressed form 04 || X || Y (SEC 1 §2.3.3). */
	if (bits.body.len != point_len + 1 || bits.body.base[0] != 0 || bits.body.base[1] != 0x04)
		return bl_err(BL_EINVAL, "subjectPublicKey: not an uncompressed P-%d point",
		              out->curve_bits);
	out->point = bits.body.base + 1;
	out->point_len = point_len;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              (void *)(bits.body.base + 1), point_len);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	     EVP_PKEY_fromdata(ctx, &out->key, EVP_PKEY_PUBLIC_KEY, params) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return bl_err(BL_EINVAL, "subjectPublicKey: not a point on P-%d", out->curve_bits);
	return 0;
}

static int verify_signature(const struct att_csr *out, const struct att_tlv *alg,
                            const struct att_tlv *sig)
{
	struct bl_cur a = alg->body;
	struct att_tlv oid;
	const EVP_MD *md;
	EVP_MD_CTX *ctx;
	int ok;

	BL_TRY(att_tlv_expect(&a, ATT_TAG_OID, "signatureAlgorithm", &oid));
	/* RFC 5758 §3.2: the ECDSA algorithm identifiers have absent parameters. */
	BL_TRY(bl_cur_expect_end(&a, "signatureAlgorithm parameters"));
	if (att_tlv_oid_is(&oid, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256)))
		md = EVP_sha256();
	else if (att_tlv_oid_is(&oid, oid_ecdsa_sha384, sizeof(oid_ecdsa_sha384)))
		md = EVP_sha384();
	else if (att_tlv_oid_is(&oid, oid_ecdsa_sha512, sizeof(oid_ecdsa_sha512)))
		md = EVP_sha512();
	else
		return bl_err(BL_EUNSUPP, "signatureAlgorithm: only ECDSA with SHA-2 is accepted");
	if (sig->body.len < 2 || sig->body.base[0] != 0)
		return bl_err(BL_EINVAL, "signature: malformed BIT STRING");
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return bl_err(BL_ENOMEM, "signature: out of memory");
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, out->key) == 1 &&
	     EVP_DigestVerify(ctx, sig->body.base + 1, sig->body.len - 1, out->info,
	                      out->info_len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return bl_err(BL_EVERIFY, "self-signature does not verify");
	return 0;
}

int att_csr_parse(const uint8_t *der, size_t len, struct att_csr *out)
{
	struct bl_cur c = bl_cur_make(der, len);
	struct att_tlv req, info, ver, subj, spki, attrs, alg, sig;
	uint64_t version;
	int rc;

	memset(out, 0, sizeof(*out));
	BL_TRY_GOTO(rc, att_tlv_expect(&c, ATT_TAG_SEQUENCE, "CertificationRequest", &req),
	            out_free);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&c, "CertificationRequest"), out_free);
	BL_TRY_GOTO(rc,
	            att_tlv_expect(&req.body, ATT_TAG_SEQUENCE, "certificationRequestInfo", &info),
	            out_free);
	BL_TRY_GOTO(rc, att_tlv_expect(&req.body, ATT_TAG_SEQUENCE, "signatureAlgorithm", &alg),
	            out_free);
	BL_TRY_GOTO(rc, att_tlv_expect(&req.body, ATT_TAG_BIT_STRING, "signature", &sig), out_free);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&req.body, "CertificationRequest"), out_free);
	out->info = info.raw;
	out->info_len = info.raw_len;

	BL_TRY_GOTO(rc, att_tlv_expect(&info.body, ATT_TAG_INTEGER, "version", &ver), out_free);
	BL_TRY_GOTO(rc, att_tlv_uint(&ver, "version", &version), out_free);
	if (version != 0) {
		rc = bl_err(BL_EINVAL, "version: %llu (only 0, v1, is defined)",
		            (unsigned long long)version);
		goto out_free;
	}
	BL_TRY_GOTO(rc, att_tlv_expect(&info.body, ATT_TAG_SEQUENCE, "subject", &subj), out_free);
	BL_TRY_GOTO(rc, att_tlv_expect(&info.body, ATT_TAG_SEQUENCE, "subjectPublicKeyInfo", &spki),
	            out_free);
	BL_TRY_GOTO(rc, att_tlv_expect(&info.body, ATT_TAG_CTX0, "attributes", &attrs), out_free);
	BL_TRY_GOTO(rc, bl_cur_expect_end(&info.body, "certificationRequestInfo"), out_free);
	BL_TRY_GOTO(rc, att_csr_set_subject(out, subj.raw, subj.raw_len), out_free);
	out->spki = spki.raw;
	out->spki_len = spki.raw_len;

	BL_TRY_GOTO(rc, parse_attributes(&attrs.body, out), out_free);
	BL_TRY_GOTO(rc, load_key(out), out_free);
	BL_TRY_GOTO(rc, verify_signature(out, &alg, &sig), out_free);
	return 0;

out_free:
	att_csr_free(out);
	return rc;
}

void att_csr_free(struct att_csr *csr)
{
	EVP_PKEY_free(csr->key);
	csr->key = NULL;
}

int att_csr_check_key_type(const struct att_csr *csr)
{
	int want;

	switch (csr->kind) {
	case ATT_KIND_SGX: want = 256; break;
	case ATT_KIND_SNP:
	case ATT_KIND_TDX: want = 384; break;
	default: return 0;
	}
	if (csr->curve_bits != want)
		return bl_err(BL_EPERM, "key type: %s evidence needs a P-%d key, the CSR has P-%d",
		              att_csr_kind_name(csr->kind), want, csr->curve_bits);
	return 0;
}

int att_csr_check_binding(const struct att_csr *csr, const uint8_t *report_data,
                          size_t report_data_len)
{
	uint8_t want[BL_DIG_MAX];
	enum bl_dig_alg alg;
	size_t n;
	uint8_t rest = 0;

	switch (csr->kind) {
	case ATT_KIND_SGX: alg = BL_SHA256; break;
	case ATT_KIND_SNP:
	case ATT_KIND_TDX: alg = BL_SHA384; break;
	default: return 0;
	}
	n = bl_dig_size(alg);
	if (report_data_len < n)
		return bl_err(BL_EPERM, "binding: report data of %zu bytes", report_data_len);
	BL_TRY(bl_digest(alg, csr->spki, csr->spki_len, want));
	if (CRYPTO_memcmp(want, report_data, n) != 0)
		return bl_err(BL_EPERM, "binding: report data is not the %s of the CSR key",
		              bl_dig_name(alg));
	for (size_t i = n; i < report_data_len; i++)
		rest |= report_data[i];
	if (rest)
		return bl_err(BL_EPERM, "binding: report data has non-zero bytes after the key "
		                        "digest");
	return 0;
}

static int put_fwid(struct bl_buf *b, uint8_t tag, const struct att_fwid *f)
{
	static const uint8_t *const oids[BL_DIG_COUNT] = {
		[BL_SHA256] = oid_sha256,
		[BL_SHA384] = oid_sha384,
		[BL_SHA512] = oid_sha512,
	};
	size_t start = b->len;

	if ((unsigned)f->alg >= BL_DIG_COUNT || !oids[f->alg])
		return bl_err(BL_EINVAL, "workload: digest algorithm");
	BL_TRY(att_tlv_put(b, ATT_TAG_OID, oids[f->alg], 9));
	BL_TRY(att_tlv_put(b, ATT_TAG_OCTET_STRING, f->digest, bl_dig_size(f->alg)));
	return att_tlv_wrap(b, start, tag);
}

int att_workload_encode(const struct att_workload *w, struct bl_buf *out)
{
	size_t start = out->len;

	if (!w->wasm.present || !w->config.present)
		return bl_err(BL_EINVAL, "workload: wasm and config digests are required");
	BL_TRY(put_fwid(out, ATT_TAG_CTX0, &w->wasm));
	BL_TRY(put_fwid(out, ATT_TAG_CTX0 | 1, &w->config));
	if (w->tree.present)
		BL_TRY(put_fwid(out, ATT_TAG_CTX0 | 2, &w->tree));
	return att_tlv_wrap(out, start, ATT_TAG_SEQUENCE);
}

static int push_ext(STACK_OF(X509_EXTENSION) * exts, const char *oid, const uint8_t *der,
                    size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int ok = obj && os && ASN1_OCTET_STRING_set(os, der, (int)len) &&
	         (e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
	         sk_X509_EXTENSION_push(exts, e) > 0;

	if (!ok)
		X509_EXTENSION_free(e);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	return ok ? 0 : bl_err(BL_ENOMEM, "CSR: extension");
}

int att_csr_build(EVP_PKEY *key, const struct att_csr_req *req, struct bl_buf *out)
{
	static const char *const oids[ATT_CSR_KIND_END] = {
		[ATT_KIND_KVM] = "1.3.6.1.4.1.58270.1.1",
		[ATT_KIND_SGX] = "1.3.6.1.4.1.58270.1.2",
		[ATT_KIND_SNP] = "1.3.6.1.4.1.58270.1.3",
		[ATT_KIND_TDX] = "1.3.6.1.4.1.58270.1.4",
	};
	X509_REQ *r = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	struct bl_buf tmp = BL_BUF_INIT;
	unsigned char *der = NULL;
	int rc, n, bits = EVP_PKEY_get_bits(key);

	if (!r || !exts) {
		rc = bl_err(BL_ENOMEM, "CSR: out of memory");
		goto out_free;
	}
	if ((unsigned)req->kind >= ATT_CSR_KIND_END) {
		rc = bl_err(BL_EINVAL, "CSR: evidence kind");
		goto out_free;
	}
	if (req->kind != ATT_KIND_NONE) /* nil: no evidence extension */
		BL_TRY_GOTO(rc, push_ext(exts, oids[req->kind], req->evidence, req->evidence_len),
		            out_free);
	if (req->workload && req->workload->present) {
		BL_TRY_GOTO(rc, att_workload_encode(req->workload, &tmp), out_free);
		BL_TRY_GOTO(rc, push_ext(exts, "1.3.6.1.4.1.58270.2.1", tmp.p, tmp.len), out_free);
		bl_buf_reset(&tmp);
	}
	if (req->n_names) {
		for (size_t i = 0; i < req->n_names; i++)
			BL_TRY_GOTO(rc,
			            att_tlv_put(&tmp, 0x82, req->names[i], strlen(req->names[i])),
			            out_free);
		BL_TRY_GOTO(rc, att_tlv_wrap(&tmp, 0, ATT_TAG_SEQUENCE), out_free);
		BL_TRY_GOTO(rc, push_ext(exts, "2.5.29.17", tmp.p, tmp.len), out_free);
	}
	if (req->subject_cn &&
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(r), "CN", MBSTRING_UTF8,
	                                (const unsigned char *)req->subject_cn, -1, -1, 0)) {
		rc = bl_err(BL_EINVAL, "CSR: subject commonName");
		goto out_free;
	}
	if (!X509_REQ_set_version(r, 0) || !X509_REQ_set_pubkey(r, key) ||
	    (sk_X509_EXTENSION_num(exts) > 0 && !X509_REQ_add_extensions(r, exts)) ||
	    !X509_REQ_sign(r, key, bits > 256 ? EVP_sha384() : EVP_sha256())) {
		rc = bl_err(BL_EINTERNAL, "CSR: signing failed");
		goto out_free;
	}
	n = i2d_X509_REQ(r, &der);
	if (n <= 0) {
		rc = bl_err(BL_EINTERNAL, "CSR: encoding failed");
		goto out_free;
	}
	rc = bl_buf_append(out, der, (size_t)n);

out_free:
	OPENSSL_free(der);
	bl_buf_free(&tmp);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(r);
	return rc;
}
