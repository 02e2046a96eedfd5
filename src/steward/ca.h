/*
 * ca.h — the Steward certificate authority: its key and certificate, and
 * issuing workload certificates (DESIGN.md "The certificate Steward issues").
 *
 * Contract: a CA is loaded from a PEM private key (PKCS#8 or SEC1, EC P-256
 * or P-384) and a PEM certificate whose public key matches it and that is a
 * CA (basicConstraints CA:TRUE, keyCertSign), or generated: init-ca writes a
 * long-lived self-signed CA to disk, --dev keeps a throwaway one in memory.
 * It signs with ECDSA and the hash matching the curve (SHA-256 for P-256,
 * SHA-384 for P-384).
 *
 * stw_ca_issue() writes an X.509 v3 certificate (RFC 5280 §4.1) in DER itself
 * (with attest/tlv.h; OpenSSL only signs): serial 128 random bits
 * from the OpenSSL CSPRNG (RAND_bytes, top bit cleared so it is positive),
 * subject and key from the CSR, issuer the CA's subject, validity
 * [at - 5 min, at + lifetime] clipped to the CA's notAfter, and the
 * extensions basicConstraints CA:FALSE (critical), keyUsage digitalSignature
 * (critical), extKeyUsage serverAuth + clientAuth, subjectAltName with
 * exactly the DNS names passed (none: no SAN), subject and authority key
 * identifiers, the CSR's evidence extension copied byte for byte, and the
 * MultiTcbInfo claims passed in.
 *
 * It does not decide what to grant: the caller passes only names and claims
 * that policy allowed. Private keys are freed with their wiping OpenSSL
 * functions and never printed.
 */
#ifndef BL_STEWARD_CA_H
#define BL_STEWARD_CA_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/csr.h"
#include "common/buf.h"
#include "common/err.h"

struct stw_ca {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *cert_der; /* owned */
	size_t cert_der_len;
	const EVP_MD *md;
	int self_signed;
	/* Taken from the certificate once, for building leaves in DER. */
	uint8_t *subject_der; /* owned: the CA's subject Name */
	size_t subject_der_len;
	uint8_t ski[64]; /* the CA's subjectKeyIdentifier, ski_len 0 when absent */
	size_t ski_len;
	uint8_t sig_alg[12]; /* AlgorithmIdentifier ecdsa-with-SHA256/384 */
	size_t sig_alg_len;
	time_t not_before, not_after;
	/* Privilege separation (stw_ca_privsep): the key lives in a child. */
	int signer_fd;

	int signer_pid; /* > 0 when a signer child holds the key */
	void *signer_lock; /* pthread_mutex_t *, owned */
};

/* Load a CA from PEM files. */
BL_MUST_CHECK int stw_ca_load(struct stw_ca *ca, const char *key_path, const char *cert_path);

/* Generate a self-signed CA on P-256 or P-384 (curve_bits), valid `days` from `now`. */
BL_MUST_CHECK int stw_ca_generate(struct stw_ca *ca, int curve_bits, const char *common_name,
                                  time_t now, long days);

/* Write ca.key (mode 0600, created exclusively) and ca.crt (PEM) into dir. */
BL_MUST_CHECK int stw_ca_write(const struct stw_ca *ca, const char *dir);

/*
 * Privilege separation in the OpenBSD manner: fork a child that holds the
 * private key and does nothing but sign 32- or 48-byte digests received on a
 * SOCK_SEQPACKET socket (no_new_privs, every other descriptor closed, dies
 * with its parent); the parent frees its copy of the key. Call before
 * starting threads. Signing stays thread-safe (one request at a time).
 */
BL_MUST_CHECK int stw_ca_privsep(struct stw_ca *ca);

/* Free the CA; stops the signer child, if any. */
void stw_ca_free(struct stw_ca *ca);

struct stw_issue {
	const struct att_csr *csr;
	const char *const *names; /* DNS names granted */
	size_t n_names;
	const uint8_t *claims; /* DER DiceTcbInfoSeq (extension value) */
	size_t claims_len;
	time_t at; /* issuance time */
	long lifetime; /* seconds */
};

/* Issue a certificate; its DER is appended to out. */
BL_MUST_CHECK int stw_ca_issue(const struct stw_ca *ca, const struct stw_issue *req,
                               struct bl_buf *out);

#endif
