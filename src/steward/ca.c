/* ca.c — the Steward CA and certificate issuance; see ca.h for the contract. */
#include "steward/ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "attest/cert.h"
#include "attest/tlv.h"

#include <openssl/err.h>

/* Fixed extension values (DER), RFC 5280 §4.2.1.9, §4.2.1.3, §4.2.1.12. */
static const uint8_t der_bc_leaf[] = { 0x30, 0x00 };
static const uint8_t der_ku_digsig[] = { 0x03, 0x02, 0x07, 0x80 };
static const uint8_t der_eku[] = {
	0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03,
	0x01, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02
};

static int ossl_err(int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[160] = "";

	if (e)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return bl_err(code, "%s%s%s", what, buf[0] ? ": " : "", buf);
}

static int curve_of(EVP_PKEY *key, int *bits)
{
	char group[32];
	size_t glen = 0;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(key, group, sizeof(group), &glen))
		return bl_err(BL_EUNSUPP, "CA key: not an EC key");
	if (!strcmp(group, "prime256v1"))
		*bits = 256;
	else if (!strcmp(group, "secp384r1"))
		*bits = 384;
	else
		return bl_err(BL_EUNSUPP, "CA key: curve %s (want P-256 or P-384)", group);
	return 0;
}

static int finish_ca(struct stw_ca *ca)
{
	unsigned char *p = NULL;
	int bits, n;

	BL_TRY(curve_of(ca->key, &bits));
	ca->md = bits == 256 ? EVP_sha256() : EVP_sha384();
	n = i2d_X509(ca->cert, &p);
	if (n <= 0)
		return ossl_err(BL_EINVAL, "CA certificate: cannot encode");
	ca->cert_der = p;
	ca->cert_der_len = (size_t)n;
	ca->self_signed = X509_check_issued(ca->cert, ca->cert) == X509_V_OK;
	return 0;
}

int stw_ca_load(struct stw_ca *ca, const char *key_path, const char *cert_path)
{
	FILE *f;
	int rc;

	memset(ca, 0, sizeof(*ca));
	f = fopen(key_path, "r");
	if (!f)
		return bl_err(BL_EIO, "%s: %s", key_path, strerror(errno));
	ca->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!ca->key) {
		rc = ossl_err(BL_EINVAL, "CA key: not a PEM private key");
		goto out_free;
	}
	f = fopen(cert_path, "r");
	if (!f) {
		rc = bl_err(BL_EIO, "%s: %s", cert_path, strerror(errno));
		goto out_free;
	}
	ca->cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!ca->cert) {
		rc = ossl_err(BL_EINVAL, "CA certificate: not a PEM certificate");
		goto out_free;
	}
	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		rc = ossl_err(BL_EINVAL, "CA: the key does not match the certificate");
		goto out_free;
	}
	if (X509_check_ca(ca->cert) < 1 || !(X509_get_key_usage(ca->cert) & KU_KEY_CERT_SIGN)) {
		rc = bl_err(BL_EINVAL, "CA certificate: not a CA (basicConstraints/keyUsage)");
		goto out_free;
	}
	BL_TRY_GOTO(rc, finish_ca(ca), out_free);
	return 0;

out_free:
	stw_ca_free(ca);
	return rc;
}

static int random_serial(X509 *x)
{
	uint8_t r[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return ossl_err(BL_EINTERNAL, "serial: CSPRNG failed");
	r[0] = (uint8_t)((r[0] & 0x7f) | 0x40); /* positive, 127 bits long */
	bn = BN_bin2bn(r, sizeof(r), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : ossl_err(BL_ENOMEM, "serial");
}

static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok ? 0 : ossl_err(BL_EINTERNAL, "CA extension");
}

int stw_ca_generate(struct stw_ca *ca, int curve_bits, const char *common_name, time_t now,
                    long days)
{
	X509_NAME *name = NULL;
	X509V3_CTX ctx;
	int rc;

	memset(ca, 0, sizeof(*ca));
	if (curve_bits != 256 && curve_bits != 384)
		return bl_err(BL_EINVAL, "CA curve: P-%d (want P-256 or P-384)", curve_bits);
	ca->key = EVP_EC_gen(curve_bits == 256 ? "P-256" : "P-384");
	ca->cert = X509_new();
	name = X509_NAME_new();
	if (!ca->key || !ca->cert || !name) {
		rc = ossl_err(BL_ENOMEM, "CA: key generation");
		goto out_free;
	}
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                (const unsigned char *)common_name, -1, -1, 0) ||
	    !X509_set_version(ca->cert, 2) || !X509_set_subject_name(ca->cert, name) ||
	    !X509_set_issuer_name(ca->cert, name) || !X509_set_pubkey(ca->cert, ca->key) ||
	    !ASN1_TIME_set(X509_getm_notBefore(ca->cert), now - 300) ||
	    !ASN1_TIME_adj(X509_getm_notAfter(ca->cert), now, (int)days, 0)) {
		rc = ossl_err(BL_EINTERNAL, "CA certificate fields");
		goto out_free;
	}
	BL_TRY_GOTO(rc, random_serial(ca->cert), out_free);
	X509V3_set_ctx(&ctx, ca->cert, ca->cert, NULL, NULL, 0);
	BL_TRY_GOTO(
	    rc, add_conf_ext(ca->cert, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
	    out_free);
	BL_TRY_GOTO(rc, add_conf_ext(ca->cert, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"),
	            out_free);
	BL_TRY_GOTO(rc, add_conf_ext(ca->cert, &ctx, NID_subject_key_identifier, "hash"), out_free);
	BL_TRY_GOTO(rc, add_conf_ext(ca->cert, &ctx, NID_authority_key_identifier, "keyid:always"),
	            out_free);
	if (!X509_sign(ca->cert, ca->key, curve_bits == 256 ? EVP_sha256() : EVP_sha384())) {
		rc = ossl_err(BL_EINTERNAL, "CA: self-signature");
		goto out_free;
	}
	BL_TRY_GOTO(rc, finish_ca(ca), out_free);
	X509_NAME_free(name);
	return 0;

out_free:
	X509_NAME_free(name);
	stw_ca_free(ca);
	return rc;
}

static int write_pem(const char *dir, const char *file, mode_t mode, const struct stw_ca *ca,
                     int key)
{
	char path[4096];
	FILE *f;
	int fd, ok;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return bl_err(BL_EINVAL, "%s: path too long", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return bl_err(errno == EEXIST ? BL_EEXIST : BL_EIO, "%s: %s", path,
		              strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	}
	ok = key ? PEM_write_PrivateKey(f, ca->key, NULL, NULL, 0, NULL, NULL)
	         : PEM_write_X509(f, ca->cert);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok)
		return ossl_err(BL_EIO, path);
	return 0;
}

int stw_ca_write(const struct stw_ca *ca, const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return bl_err(BL_EIO, "%s: %s", dir, strerror(errno));
	BL_TRY(write_pem(dir, "ca.key", 0600, ca, 1));
	return write_pem(dir, "ca.crt", 0644, ca, 0);
}

void stw_ca_free(struct stw_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	OPENSSL_free(ca->cert_der);
	memset(ca, 0, sizeof(*ca));
}

static int add_raw_ext(X509 *x, ASN1_OBJECT *obj, int crit, const uint8_t *der, size_t len)
{
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e = NULL;
	int ok = os && ASN1_OCTET_STRING_set(os, der, (int)len) &&
	         (e = X509_EXTENSION_create_by_OBJ(NULL, obj, crit, os)) != NULL &&
	         X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(os);
	return ok ? 0 : ossl_err(BL_ENOMEM, "certificate extension");
}

static int add_nid_ext(X509 *x, int nid, int crit, const uint8_t *der, size_t len)
{
	return add_raw_ext(x, OBJ_nid2obj(nid), crit, der, len);
}

static int add_key_ids(X509 *x, const struct stw_ca *ca)
{
	const ASN1_OCTET_STRING *ca_ski = X509_get0_subject_key_id(ca->cert);
	const ASN1_BIT_STRING *pk = X509_get0_pubkey_bitstr(x);
	uint8_t ski[2 + SHA_DIGEST_LENGTH], aki[4 + 64];

	if (!pk)
		return bl_err(BL_EINTERNAL, "certificate: no public key");
	/* RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
	ski[0] = 0x04;
	ski[1] = SHA_DIGEST_LENGTH;
	SHA1(pk->data, (size_t)pk->length, ski + 2);
	BL_TRY(add_nid_ext(x, NID_subject_key_identifier, 0, ski, sizeof(ski)));
	if (!ca_ski || ca_ski->length <= 0 || ca_ski->length > 64)
		return 0;
	/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } */
	aki[0] = 0x30;
	aki[1] = (uint8_t)(ca_ski->length + 2);
	aki[2] = 0x80;
	aki[3] = (uint8_t)ca_ski->length;
	memcpy(aki + 4, ca_ski->data, (size_t)ca_ski->length);
	return add_nid_ext(x, NID_authority_key_identifier, 0, aki, (size_t)ca_ski->length + 4);
}

static int add_san(X509 *x, const struct stw_issue *req)
{
	struct bl_buf b = BL_BUF_INIT;
	int rc = 0;

	if (req->n_names == 0)
		return 0;
	for (size_t i = 0; i < req->n_names; i++)
		BL_TRY_GOTO(rc, att_tlv_put(&b, 0x82, req->names[i], strlen(req->names[i])),
		            out_free);
	BL_TRY_GOTO(rc, att_tlv_wrap(&b, 0, 0x30), out_free);
	rc = add_nid_ext(x, NID_subject_alt_name, 0, b.p, b.len);
out_free:
	bl_buf_free(&b);
	return rc;
}

static int set_validity(X509 *x, const struct stw_ca *ca, time_t at, long lifetime)
{
	time_t end = at + lifetime;

	if (X509_cmp_time(X509_get0_notBefore(ca->cert), &at) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(ca->cert), &at) < 0)
		return bl_err(BL_EPERM, "CA certificate is not valid at the issuance time");
	if (!ASN1_TIME_set(X509_getm_notBefore(x), at - 300))
		return ossl_err(BL_EINTERNAL, "notBefore");
	if (X509_cmp_time(X509_get0_notAfter(ca->cert), &end) < 0) {
		if (!X509_set1_notAfter(x, X509_get0_notAfter(ca->cert)))
			return ossl_err(BL_EINTERNAL, "notAfter");
	} else if (!ASN1_TIME_set(X509_getm_notAfter(x), end)) {
		return ossl_err(BL_EINTERNAL, "notAfter");
	}
	return 0;
}

int stw_ca_issue(const struct stw_ca *ca, const struct stw_issue *req, struct bl_buf *out)
{
	const struct att_csr *csr = req->csr;
	const unsigned char *p;
	X509 *x = X509_new();
	X509_NAME *subject = NULL;
	X509_EXTENSION *evidence = NULL;
	ASN1_OBJECT *tcb_obj = NULL;
	unsigned char *der = NULL;
	int rc, n;

	if (!x)
		return bl_err(BL_ENOMEM, "certificate: out of memory");
	p = csr->subject;
	subject = d2i_X509_NAME(NULL, &p, (long)csr->subject_len);
	if (!subject) {
		rc = ossl_err(BL_EINVAL, "certificate: CSR subject");
		goto out_free;
	}
	if (!X509_set_version(x, 2) || !X509_set_subject_name(x, subject) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) ||
	    !X509_set_pubkey(x, csr->key)) {
		rc = ossl_err(BL_ENOMEM, "certificate fields");
		goto out_free;
	}
	BL_TRY_GOTO(rc, random_serial(x), out_free);
	BL_TRY_GOTO(rc, set_validity(x, ca, req->at, req->lifetime), out_free);
	BL_TRY_GOTO(rc, add_nid_ext(x, NID_basic_constraints, 1, der_bc_leaf, sizeof(der_bc_leaf)),
	            out_free);
	BL_TRY_GOTO(rc, add_nid_ext(x, NID_key_usage, 1, der_ku_digsig, sizeof(der_ku_digsig)),
	            out_free);
	BL_TRY_GOTO(rc, add_nid_ext(x, NID_ext_key_usage, 0, der_eku, sizeof(der_eku)), out_free);
	BL_TRY_GOTO(rc, add_san(x, req), out_free);
	BL_TRY_GOTO(rc, add_key_ids(x, ca), out_free);

	p = csr->evidence_ext;
	evidence = d2i_X509_EXTENSION(NULL, &p, (long)csr->evidence_ext_len);
	if (!evidence || !X509_add_ext(x, evidence, -1)) {
		rc = ossl_err(BL_EINVAL, "certificate: evidence extension");
		goto out_free;
	}
	if (req->claims_len) {
		tcb_obj = OBJ_txt2obj("2.23.133.5.4.5", 1);
		if (!tcb_obj) {
			rc = ossl_err(BL_ENOMEM, "MultiTcbInfo OID");
			goto out_free;
		}
		BL_TRY_GOTO(rc, add_raw_ext(x, tcb_obj, 0, req->claims, req->claims_len), out_free);
	}
	if (!X509_sign(x, ca->key, ca->md)) {
		rc = ossl_err(BL_EINTERNAL, "certificate: CA signature");
		goto out_free;
	}
	n = i2d_X509(x, &der);
	if (n <= 0) {
		rc = ossl_err(BL_EINTERNAL, "certificate: encoding");
		goto out_free;
	}
	rc = bl_buf_append(out, der, (size_t)n);

out_free:
	OPENSSL_free(der);
	ASN1_OBJECT_free(tcb_obj);
	X509_EXTENSION_free(evidence);
	X509_NAME_free(subject);
	X509_free(x);
	return rc;
}
