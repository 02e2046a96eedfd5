/*
 * internal.h — helpers shared by the attest sources; not part of the public
 * contract (attest.h).
 *
 * - att_fail(): record which check failed and why, return the code.
 * - DER reading is tlv.h's (included here); DER_* name its tags.
 * - X.509 helpers over OpenSSL: load certificates and CRLs (DER or PEM),
 *   verify a chain to one of a set of anchors as of a given time, with CRLs.
 */
#ifndef BL_ATTEST_INTERNAL_H
#define BL_ATTEST_INTERNAL_H

#include <openssl/x509.h>

#include "attest/attest.h"
#include "attest/tlv.h"
#include "common/cursor.h"

/* Forget the last failed check and reason (at the start of each verification). */
void att_reset(void);
/*
 * Start a verification: clear *out and the last failure (att_reset), then
 * require options with a time (else check "options", BL_EINVAL).
 */
BL_MUST_CHECK int att_start(const struct att_opts *o, struct att_claims *out);
/* Record "<check>: <fmt…>" as the reason and `check` as att_failed_check(). */
int att_fail(int code, const char *check, const char *fmt, ...) BL_PRINTF(3, 4);
/* Prefix the current reason with `check` (for errors from helpers). */
int att_fail_wrap(int code, const char *check);

/*
 * DER tag names of the attest sources and tests: the tags of tlv.h, whose
 * reader (att_der_get() and att_tlv_read()) they go with.
 */
enum {
	DER_INTEGER = ATT_TAG_INTEGER,
	DER_OCTETSTRING = ATT_TAG_OCTET_STRING,
	DER_OID = ATT_TAG_OID,
	DER_UTF8STRING = ATT_TAG_UTF8,
	DER_SEQUENCE = ATT_TAG_SEQUENCE,
	DER_SET = ATT_TAG_SET,
	DER_CTX0 = ATT_TAG_CTX0,
};

/* ---- X.509 ---------------------------------------------------------------- */

/* One certificate from DER or PEM bytes. NULL with a reason on failure; free with X509_free. */
X509 *att_x509_load(const uint8_t *p, size_t n, const char *what);

/*
 * Every certificate in p[0..n): PEM (one or more), a DER certificate, or a
 * DER SEQUENCE OF Certificate. Appends to *sk (created when NULL).
 */
BL_MUST_CHECK int att_x509_load_many(const uint8_t *p, size_t n, STACK_OF(X509) * *sk,
                                     const char *what);

/* One CRL from DER or PEM. Appends to *sk (created when NULL). */
BL_MUST_CHECK int att_crl_load(const uint8_t *p, size_t n, STACK_OF(X509_CRL) * *sk,
                               const char *what);

/*
 * Verify `chain` (leaf first; each next certificate the issuer of the
 * previous; the last either an anchor itself or issued by one) as of `at`:
 * names chain, each signature verifies with the issuer's key, each issuer is
 * a CA, every certificate (anchor included) is valid at `at`, the anchor is
 * one of `anchors` (DER-equal), and for every CRL in `crls` whose issuer is a
 * certificate of the chain: its signature verifies with that key, it is
 * current at `at`, and it does not list the certificate that issuer issued.
 * Failures name checks "<prefix>.chain", "<prefix>.expired", "<prefix>.root",
 * "<prefix>.crl", "<prefix>.revoked".
 * `skip_ca_check` relaxes basicConstraints for vendors whose intermediate
 * certificates lack it (none known; kept false).
 */
BL_MUST_CHECK int att_chain_verify(STACK_OF(X509) * chain, STACK_OF(X509) * anchors,
                                   STACK_OF(X509_CRL) * crls, time_t at, const char *prefix);
/*
 * The same, and on success says how far CRLs reached: *n_below = the number
 * of certificates below the anchor (the chain in issuing order, leaf = 0),
 * bit i of *crl_checked set when at least one CRL of certificate i's issuer
 * was checked as above (for i < 32). Either pointer may be NULL.
 */
BL_MUST_CHECK int att_chain_verify_crls(STACK_OF(X509) * chain, STACK_OF(X509) * anchors,
                                        STACK_OF(X509_CRL) * crls, time_t at, const char *prefix,
                                        uint8_t *n_below, uint32_t *crl_checked);

/* The built-in certificates (roots.c), parsed once per process. */
enum att_builtin {
	ATT_BI_MILAN_ARK,
	ATT_BI_MILAN_ASK,
	ATT_BI_MILAN_ASVK,
	ATT_BI_GENOA_ARK,
	ATT_BI_GENOA_ASK,
	ATT_BI_GENOA_ASVK,
	ATT_BI_TURIN_ARK,
	ATT_BI_TURIN_ASK,
	ATT_BI_TURIN_ASVK,
	ATT_BI_INTEL_ROOT,
	ATT_BUILTIN_COUNT
};
/* A new reference to a built-in certificate (X509_free it); NULL on failure. */
X509 *att_builtin(enum att_builtin which);

/* Built-in anchors: AMD ARKs (3) or the Intel SGX Root CA, or opts->anchors when given. */
BL_MUST_CHECK int att_anchors(const struct att_opts *o, int intel, STACK_OF(X509) * *out);

/* The CRLs of opts plus any extra ones (may be NULL); *out is always created on success. */
BL_MUST_CHECK int att_crls_from_opts(const struct att_opts *o, STACK_OF(X509_CRL) * extra,
                                     STACK_OF(X509_CRL) * *out);

/* Find an extension by dotted OID; the contents of its OCTET STRING, or NULL. */
const ASN1_OCTET_STRING *att_x509_ext(const X509 *x, const char *dotted);

/* Verify an ECDSA signature given as raw big-endian r||s (2*n bytes) with SHA-256/384. */
BL_MUST_CHECK int att_ecdsa_verify_raw(EVP_PKEY *key, const char *md, const uint8_t *msg,
                                       size_t msg_len, const uint8_t *r, const uint8_t *s, size_t n,
                                       int little_endian, const char *check);

/* An EC P-256 public key from 64 bytes x||y. */
EVP_PKEY *att_p256_from_xy(const uint8_t xy[64]);

/* ---- Intel ---------------------------------------------------------------- */

/* The quote structures shared by SGX and TDX (quote.c). */
struct att_quote;
/* Intel collateral (tcbinfo.c): applies TCB info / QE identity to claims. */
struct att_intel_collateral {
	STACK_OF(X509) * tcb_chain; /* may be NULL */
	struct att_blob tcb_info, qe_identity;
	time_t chain_at; /* 0: judge the TCB signing chain at `at` */
};
BL_MUST_CHECK int att_intel_tcb_apply(const struct att_intel_collateral *col,
                                      STACK_OF(X509) * anchors, STACK_OF(X509_CRL) * crls,
                                      time_t at, int tdx, struct att_claims *out);
/*
 * For the fuzz harness only: evaluate a TCB info (qe = 0) or QE identity
 * (qe = 1) file against claims c WITHOUT checking its signature, so that
 * the parser and level selection are reachable with mutated input.
 */
BL_MUST_CHECK int att_intel_json_eval(const uint8_t *p, size_t len, int qe, int tdx, time_t at,
                                      struct att_claims *c);
BL_MUST_CHECK int att_quote_verify(int tdx, const uint8_t *q, size_t len, const struct att_opts *o,
                                   STACK_OF(X509_CRL) * extra_crls,
                                   const struct att_intel_collateral *col, struct att_claims *out);
BL_MUST_CHECK int att_snp_verify_ex(const uint8_t *report, size_t len, const struct att_opts *o,
                                    STACK_OF(X509_CRL) * extra_crls, X509 *vcek_in,
                                    struct att_claims *out);

#endif
