/* ca.c — the Steward CA and certificate issuance; see ca.h for the contract. */
#include "steward/ca.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

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
	p = NULL;
	n = i2d_X509_NAME(X509_get_subject_name(ca->cert), &p);
	if (n <= 0)
		return ossl_err(BL_EINVAL, "CA certificate: subject");
	ca->subject_der = p;
	ca->subject_der_len = (size_t)n;
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca->cert);
	if (ski && ski->length > 0 && (size_t)ski->length <= sizeof(ca->ski)) {
		memcpy(ca->ski, ski->data, (size_t)ski->length);
		ca->ski_len = (size_t)ski->length;
	}
	/* AlgorithmIdentifier { ecdsa-with-SHA256 | ecdsa-with-SHA384 } (RFC 5758 §3.2). */
	static const uint8_t alg[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		                       0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	memcpy(ca->sig_alg, alg, sizeof(alg));
	ca->sig_alg[11] = bits == 256 ? 0x02 : 0x03;
	ca->sig_alg_len = sizeof(alg);
	struct tm tm;
	if (!ASN1_TIME_to_tm(X509_get0_notBefore(ca->cert), &tm))
		return ossl_err(BL_EINVAL, "CA certificate: notBefore");
	ca->not_before = timegm(&tm);
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(ca->cert), &tm))
		return ossl_err(BL_EINVAL, "CA certificate: notAfter");
	ca->not_after = timegm(&tm);
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
	if (ca->signer_pid > 0) {
		close(ca->signer_fd); /* the child sees EOF and exits */
		waitpid(ca->signer_pid, NULL, 0);
	}
	if (ca->signer_lock) {
		pthread_mutex_destroy(ca->signer_lock);
		free(ca->signer_lock);
	}
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	OPENSSL_free(ca->cert_der);
	OPENSSL_free(ca->subject_der);
	memset(ca, 0, sizeof(*ca));
}

/* ---- issuing: the certificate written in DER (RFC 5280 §4.1) ---------------------------- */

static const uint8_t oid_bc[] = { 0x55, 0x1d, 0x13 };
static const uint8_t oid_ku[] = { 0x55, 0x1d, 0x0f };
static const uint8_t oid_eku[] = { 0x55, 0x1d, 0x25 };
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };
static const uint8_t oid_ski[] = { 0x55, 0x1d, 0x0e };
static const uint8_t oid_aki[] = { 0x55, 0x1d, 0x23 };

/* Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
static int put_ext(struct bl_buf *b, const uint8_t *oid, size_t oid_len, int critical,
                   const uint8_t *val, size_t val_len)
{
	static const uint8_t true_der[] = { 0x01, 0x01, 0xff };
	size_t start = b->len;

	BL_TRY(att_tlv_put(b, ATT_TAG_OID, oid, oid_len));
	if (critical)
		BL_TRY(bl_buf_append(b, true_der, sizeof(true_der)));
	BL_TRY(att_tlv_put(b, ATT_TAG_OCTET_STRING, val, val_len));
	return att_tlv_wrap(b, start, ATT_TAG_SEQUENCE);
}

/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
static int put_time(struct bl_buf *b, time_t t)
{
	struct tm tm;
	char s[20];
	int n;

	if (!gmtime_r(&t, &tm))
		return bl_err(BL_ERANGE, "certificate: time out of range");
	if (tm.tm_year + 1900 >= 1950 && tm.tm_year + 1900 < 2050) {
		n = snprintf(s, sizeof(s), "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
		             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		return att_tlv_put(b, ATT_TAG_UTCTIME, s, (size_t)n);
	}
	if (tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0)
		return bl_err(BL_ERANGE, "certificate: year out of range");
	n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return att_tlv_put(b, ATT_TAG_GENTIME, s, (size_t)n);
}

static int put_serial(struct bl_buf *b)
{
	uint8_t r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return ossl_err(BL_EINTERNAL, "serial: CSPRNG failed");
	r[0] = (uint8_t)((r[0] & 0x7f) | 0x40); /* positive, 127 bits long: minimal DER */
	return att_tlv_put(b, ATT_TAG_INTEGER, r, sizeof(r));
}

static int put_extensions(struct bl_buf *b, const struct stw_ca *ca, const struct stw_issue *req)
{
	const struct att_csr *csr = req->csr;
	struct bl_buf v = BL_BUF_INIT;
	uint8_t ski[2 + SHA_DIGEST_LENGTH];
	size_t start = b->len;
	int rc;

	BL_TRY_GOTO(rc, put_ext(b, oid_bc, sizeof(oid_bc), 1, der_bc_leaf, sizeof(der_bc_leaf)),
	            out_free);
	BL_TRY_GOTO(rc, put_ext(b, oid_ku, sizeof(oid_ku), 1, der_ku_digsig, sizeof(der_ku_digsig)),
	            out_free);
	BL_TRY_GOTO(rc, put_ext(b, oid_eku, sizeof(oid_eku), 0, der_eku, sizeof(der_eku)),
	            out_free);
	if (req->n_names) {
		for (size_t i = 0; i < req->n_names; i++)
			BL_TRY_GOTO(rc, att_tlv_put(&v, 0x82, req->names[i], strlen(req->names[i])),
			            out_free);
		BL_TRY_GOTO(rc, att_tlv_wrap(&v, 0, ATT_TAG_SEQUENCE), out_free);
		BL_TRY_GOTO(rc, put_ext(b, oid_san, sizeof(oid_san), 0, v.p, v.len), out_free);
		bl_buf_reset(&v);
	}
	/* RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
	ski[0] = ATT_TAG_OCTET_STRING;
	ski[1] = SHA_DIGEST_LENGTH;
	if (!SHA1(csr->point, csr->point_len, ski + 2)) {
		rc = ossl_err(BL_EINTERNAL, "subjectKeyIdentifier");
		goto out_free;
	}
	BL_TRY_GOTO(rc, put_ext(b, oid_ski, sizeof(oid_ski), 0, ski, sizeof(ski)), out_free);
	if (ca->ski_len) {
		/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } */
		BL_TRY_GOTO(rc, att_tlv_put(&v, 0x80, ca->ski, ca->ski_len), out_free);
		BL_TRY_GOTO(rc, att_tlv_wrap(&v, 0, ATT_TAG_SEQUENCE), out_free);
		BL_TRY_GOTO(rc, put_ext(b, oid_aki, sizeof(oid_aki), 0, v.p, v.len), out_free);
	}
	/* The evidence extension, byte for byte as the CSR carried it. */
	if (csr->evidence_ext)
		BL_TRY_GOTO(rc, bl_buf_append(b, csr->evidence_ext, csr->evidence_ext_len),
		            out_free);
	if (req->claims_len)
		BL_TRY_GOTO(rc,
		            put_ext(b, att_oid_multitcbinfo, sizeof(att_oid_multitcbinfo), 0,
		                    req->claims, req->claims_len),
		            out_free);
	BL_TRY_GOTO(rc, att_tlv_wrap(b, start, ATT_TAG_SEQUENCE), out_free);
	rc = att_tlv_wrap(b, start, 0xa3); /* extensions [3] EXPLICIT */
out_free:
	bl_buf_free(&v);
	return rc;
}

/* ---- signing, in-process or in the signer child ------------------------------------------- */

#define SIG_MAX 160

/* ECDSA over a digest with the key; sig gets the DER ECDSA-Sig-Value. */
static int sign_digest(EVP_PKEY *key, const EVP_MD *md, const uint8_t *dg, size_t dlen,
                       uint8_t *sig, size_t *sig_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	         EVP_PKEY_CTX_set_signature_md(ctx, md) == 1 &&
	         EVP_PKEY_sign(ctx, sig, sig_len, dg, dlen) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : ossl_err(BL_EINTERNAL, "CA signature");
}

/* The signer child: a digest in, a signature out, until the parent goes away. */
static void signer_loop(int fd, EVP_PKEY *key, const EVP_MD *md)
{
	uint8_t dg[EVP_MAX_MD_SIZE + 1], sig[SIG_MAX];
	size_t want = (size_t)EVP_MD_get_size(md);

	for (;;) {
		ssize_t n = recv(fd, dg, sizeof(dg), 0);
		size_t sl = sizeof(sig);

		if (n <= 0)
			break;
		/* Exactly one digest of the CA's hash: anything else gets an empty answer. */
		if ((size_t)n != want || sign_digest(key, md, dg, want, sig, &sl) < 0)
			sl = 0;
		if (send(fd, sig, sl, MSG_NOSIGNAL) < 0)
			break;
	}
	EVP_PKEY_free(key);
	_exit(0);
}

int stw_ca_privsep(struct stw_ca *ca)
{
	int sv[2];
	pid_t pid;

	if (ca->signer_pid > 0 || !ca->key)
		return bl_err(BL_EINVAL, "CA: privilege separation already set up");
	ca->signer_lock = malloc(sizeof(pthread_mutex_t));
	if (!ca->signer_lock)
		return bl_err(BL_ENOMEM, "CA: out of memory");
	pthread_mutex_init(ca->signer_lock, NULL);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return bl_err(BL_EIO, "CA: socketpair: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return bl_err(BL_EIO, "CA: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The child keeps the key and the socket, nothing else. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0u, 0);
		close(0);
		close(1);
		signer_loop(3, ca->key, ca->md);
	}
	close(sv[1]);
	ca->signer_fd = sv[0];
	ca->signer_pid = pid;
	/* The parent, which parses the network, no longer holds the key. */
	EVP_PKEY_free(ca->key);
	ca->key = NULL;
	return 0;
}

static int ca_sign(const struct stw_ca *ca, const uint8_t *tbs, size_t len, uint8_t *sig,
                   size_t *sig_len)
{
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	ssize_t n;

	if (EVP_Digest(tbs, len, dg, &dlen, ca->md, NULL) != 1)
		return ossl_err(BL_EINTERNAL, "certificate digest");
	if (ca->signer_pid <= 0)
		return sign_digest(ca->key, ca->md, dg, dlen, sig, sig_len);
	pthread_mutex_lock(ca->signer_lock);
	n = send(ca->signer_fd, dg, dlen, MSG_NOSIGNAL);
	if (n == (ssize_t)dlen)
		n = recv(ca->signer_fd, sig, *sig_len, 0);
	pthread_mutex_unlock(ca->signer_lock);
	if (n <= 0)
		return bl_err(BL_EINTERNAL, "CA signer process: no signature");
	*sig_len = (size_t)n;
	return 0;
}

int stw_ca_issue(const struct stw_ca *ca, const struct stw_issue *req, struct bl_buf *out)
{
	static const uint8_t v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	const struct att_csr *csr = req->csr;
	struct bl_buf b = BL_BUF_INIT;
	time_t end = req->at + req->lifetime;
	uint8_t sig[1 + SIG_MAX];
	size_t sig_len = sizeof(sig) - 1;
	int rc;

	if (req->at < ca->not_before || req->at > ca->not_after)
		return bl_err(BL_EPERM, "CA certificate is not valid at the issuance time");
	if (end > ca->not_after)
		end = ca->not_after;
	b.limit = 1u << 20;
	/* TBSCertificate (RFC 5280 §4.1). */
	BL_TRY_GOTO(rc, bl_buf_append(&b, v3, sizeof(v3)), out_free);
	BL_TRY_GOTO(rc, put_serial(&b), out_free);
	BL_TRY_GOTO(rc, bl_buf_append(&b, ca->sig_alg, ca->sig_alg_len), out_free);
	BL_TRY_GOTO(rc, bl_buf_append(&b, ca->subject_der, ca->subject_der_len), out_free);
	size_t validity = b.len;
	BL_TRY_GOTO(rc, put_time(&b, req->at - 300), out_free);
	BL_TRY_GOTO(rc, put_time(&b, end), out_free);
	BL_TRY_GOTO(rc, att_tlv_wrap(&b, validity, ATT_TAG_SEQUENCE), out_free);
	BL_TRY_GOTO(rc, bl_buf_append(&b, csr->subject, csr->subject_len), out_free);
	BL_TRY_GOTO(rc, bl_buf_append(&b, csr->spki, csr->spki_len), out_free);
	BL_TRY_GOTO(rc, put_extensions(&b, ca, req), out_free);
	BL_TRY_GOTO(rc, att_tlv_wrap(&b, 0, ATT_TAG_SEQUENCE), out_free);

	/* The CA's signature over the TBSCertificate. */
	sig[0] = 0; /* BIT STRING: no unused bits */
	BL_TRY_GOTO(rc, ca_sign(ca, b.p, b.len, sig + 1, &sig_len), out_free);
	BL_TRY_GOTO(rc, bl_buf_append(&b, ca->sig_alg, ca->sig_alg_len), out_free);
	BL_TRY_GOTO(rc, att_tlv_put(&b, ATT_TAG_BIT_STRING, sig, sig_len + 1), out_free);
	BL_TRY_GOTO(rc, att_tlv_wrap(&b, 0, ATT_TAG_SEQUENCE), out_free);
	rc = bl_buf_append(out, b.p, b.len);

out_free:
	bl_buf_free(&b);
	return rc;
}
