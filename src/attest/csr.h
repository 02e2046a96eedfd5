/*
 * csr.h — PKCS#10 certification requests carrying Keep evidence.
 *
 * att_csr_parse() reads one DER CertificationRequest (RFC 2986 §4) through
 * the checked cursor and checks, in this order, everything that does not
 * need the evidence itself:
 *   - strict DER structure, nothing after the outer SEQUENCE;
 *   - version 0 (v1);
 *   - the only attribute is PKCS#9 extensionRequest (RFC 2985 §5.4.2), one
 *     value, holding only known extensions, none repeated:
 *       KVM evidence  1.3.6.1.4.1.58270.1.1 (empty)
 *       SGX evidence  1.3.6.1.4.1.58270.1.2
 *       SNP evidence  1.3.6.1.4.1.58270.1.3
 *       TDX evidence  1.3.6.1.4.1.58270.1.4
 *       workload      1.3.6.1.4.1.58270.2.1 (Bailey; see BaileyWorkload below)
 *       subjectAltName 2.5.29.17 (dNSName entries only: names requested)
 *     at most one evidence extension, and none of them critical (a request
 *     without evidence, or without attributes at all, is a nil Keep's:
 *     kind ATT_KIND_NONE, which only a development Steward accepts);
 *   - an EC key on P-256 or P-384 and an ECDSA signature algorithm;
 *   - the self-signature over certificationRequestInfo.
 * Binding the evidence to the key and the key type to the platform are
 * separate calls (att_csr_check_key_type, att_csr_check_binding) because they
 * need the platform kind and the verified report data.
 *
 * BaileyWorkload ::= SEQUENCE {            -- asserted by the measured guest
 *     wasm    [0] IMPLICIT FWID,           -- digest of main.wasm
 *     config  [1] IMPLICIT FWID,           -- digest of Enarx.toml
 *     tree    [2] IMPLICIT FWID OPTIONAL } -- digest of the package tree
 * FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
 * (TCG DICE Attestation Architecture v1.00 §6.1.1; SHA-256/384/512 only).
 *
 * Ownership: the parsed request borrows the input bytes (which must outlive
 * it) and owns its public key; release with att_csr_free().
 */
#ifndef BL_ATTEST_CSR_H
#define BL_ATTEST_CSR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "attest/attest.h"
#include "common/digest.h"
#include "common/err.h"

/* Evidence kinds are attest.h's enum att_kind (KVM, SGX, SNP, TDX). */
#define ATT_CSR_KIND_END (ATT_KIND_TDX + 1)

/* "kvm", "sgx", "snp", "tdx" (without linking the verifier). */
const char *att_csr_kind_name(enum att_kind k);

/* DER contents (without tag and length) of the evidence OIDs, and the workload OID. */
extern const uint8_t att_oid_evidence[ATT_CSR_KIND_END][10];
extern const uint8_t att_oid_workload[10];

#define ATT_CSR_MAX_NAMES 16
#define ATT_CSR_MAX_NAME_LEN 253

struct att_fwid {
	enum bl_dig_alg alg;
	uint8_t digest[BL_DIG_MAX];
	int present;
};

struct att_workload {
	int present;
	struct att_fwid wasm, config, tree;
};

struct att_csr {
	const uint8_t *info; /* certificationRequestInfo TLV (borrowed) */
	size_t info_len;
	const uint8_t *subject; /* Name TLV */
	size_t subject_len;
	const uint8_t *spki; /* SubjectPublicKeyInfo TLV */
	size_t spki_len;
	const uint8_t *point; /* the subjectPublicKey bits: 04 || X || Y */
	size_t point_len;
	EVP_PKEY *key; /* owned */
	int curve_bits; /* 256 or 384 */
	enum att_kind kind; /* ATT_KIND_NONE: no evidence (nil) */
	const uint8_t *evidence; /* the evidence extension's extnValue contents */
	size_t evidence_len;
	const uint8_t *evidence_ext; /* the whole Extension TLV, copied into the certificate;
	                              * NULL for nil */
	size_t evidence_ext_len;
	struct att_workload workload;
	size_t n_names;
	struct {
		const char *p; /* borrowed, not NUL-terminated */
		size_t len;
	} names[ATT_CSR_MAX_NAMES];
	/* The subject's commonName values (any string type, as written) and whether
	 * it holds an emailAddress: name checks (X509_check_host, X509_check_email)
	 * fall back to these when a certificate has no SAN of that type, so policy
	 * must grant them like SAN names (att_policy_check). */
	size_t n_subject_cns;
	struct {
		uint8_t tag; /* the DirectoryString's universal tag */
		const uint8_t *p; /* borrowed */
		size_t len;
	} subject_cns[ATT_CSR_MAX_NAMES];
	int subject_email;
};

/* Parse and check der[0..len) as described above. BL_EINVAL/BL_EVERIFY/BL_EUNSUPP. */
BL_MUST_CHECK int att_csr_parse(const uint8_t *der, size_t len, struct att_csr *out);

/*
 * Read a subject Name (RFC 5280 §4.1.2.4: SEQUENCE OF SET OF
 * AttributeTypeAndValue, strict DER) into csr->subject, n_subject_cns,
 * subject_cns and subject_email; der must outlive csr. att_csr_parse calls
 * it; tests call it to alter a parsed request below its self-signature.
 * BL_EINVAL when malformed, BL_ERANGE for more than ATT_CSR_MAX_NAMES CNs.
 */
BL_MUST_CHECK int att_csr_set_subject(struct att_csr *csr, const uint8_t *der, size_t len);

void att_csr_free(struct att_csr *csr);

/*
 * The key type the platform's evidence mandates: SNP and TDX P-384, SGX
 * P-256 (the curve of the platform's own signing key), KVM either.
 * BL_EPERM naming both on mismatch.
 */
BL_MUST_CHECK int att_csr_check_key_type(const struct att_csr *csr);

/*
 * Evidence binding: the platform's report data must begin with the digest
 * of the CSR's DER SubjectPublicKeyInfo (SGX: SHA-256 in 32 bytes; SNP and
 * TDX: SHA-384 in 48 bytes; DESIGN.md "Evidence in the CSR"). The remaining
 * report-data bytes must be zero. BL_EPERM when not bound.
 */
BL_MUST_CHECK int att_csr_check_binding(const struct att_csr *csr, const uint8_t *report_data,
                                        size_t report_data_len);

/*
 * Building requests (the guest side, tests and benchmarks): a CSR with an
 * empty subject (or CN=subject_cn), the key's SPKI, and an extensionRequest holding the
 * evidence extension of `kind` (value evidence[0..evidence_len); none for
 * ATT_KIND_NONE, a nil Keep), the
 * workload extension when `workload` is given and present, and a
 * subjectAltName with the DNS names when n_names > 0; signed with ECDSA and
 * SHA-256 (P-256) or SHA-384 (P-384). The DER is appended to out.
 */
struct att_csr_req {
	enum att_kind kind;
	const uint8_t *evidence;
	size_t evidence_len;
	const struct att_workload *workload;
	const char *const *names;
	size_t n_names;
	const char *subject_cn; /* NULL: an empty subject (as Enarx keeps send) */
};
BL_MUST_CHECK int att_csr_build(EVP_PKEY *key, const struct att_csr_req *req, struct bl_buf *out);

/* Append the DER BaileyWorkload of w (wasm and config required). */
BL_MUST_CHECK int att_workload_encode(const struct att_workload *w, struct bl_buf *out);

/* Parse a BaileyWorkload value (exposed for tests and the fuzzer). */
BL_MUST_CHECK int att_workload_parse(const uint8_t *der, size_t len, struct att_workload *out);

#endif
