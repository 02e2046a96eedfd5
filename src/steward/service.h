/*
 * service.h — what Steward does with a request body, without HTTP.
 *
 * stw_service_post() takes the Content-Type and body of a POST / and fills a
 * reply: 200 with the DER chain, or a 4xx/5xx status with a one-line text
 * reason. For each CertificationRequest it runs, in order: the CSR checks
 * (attest/csr.h; a malformed request or a bad self-signature is 400), the
 * key type for the platform (403), the evidence verification as of the
 * service's time (attest.h; malformed evidence 400, evidence that fails a
 * check 403), the binding of the evidence to the CSR key (403), the policy
 * (403 naming the check; KVM only in dev mode), then issues the certificate
 * with the verified claims as DICE MultiTcbInfo (attest/cert.h).
 *
 *   application/pkcs10                         one DER CSR   -> SEQUENCE OF Certificate
 *                                                               (CA first, leaf last)
 *   application/vnd.steward.pkcs10-bundle.v1   SEQUENCE OF CertificationRequest (1..16)
 *                                              -> SEQUENCE { chain SEQUENCE OF Certificate,
 *                                                            issued SEQUENCE OF Certificate }
 *                                              (Enarx Steward's Output; all or nothing)
 * Anything else is 415. Client input never yields a 500: only a bug
 * (BL_EINTERNAL) does; running out of memory is 503.
 *
 * The service is immutable after setup and safe to call from many threads.
 */
#ifndef BL_STEWARD_SERVICE_H
#define BL_STEWARD_SERVICE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "attest/attest.h"
#include "attest/policy.h"
#include "common/buf.h"
#include "steward/ca.h"
#include "steward/config.h"
#include "steward/metrics.h"

#define STW_CT_PKCS10 "application/pkcs10"
#define STW_CT_BUNDLE "application/vnd.steward.pkcs10-bundle.v1"
#define STW_CT_CHAIN "application/pkix-pkipath"

struct stw_service {
	struct stw_ca ca;
	const struct att_policy *policy; /* borrowed */
	int dev; /* KVM evidence accepted (with [kvm] allow, or with no config) */
	int dev_allow_all_kvm; /* --dev without a configuration: KVM needs no [kvm] */
	time_t at; /* evidence is verified as of this time; 0 = now */
	time_t issue_at; /* certificates are issued as of this time; 0 = now */
	time_t tcb_signing_at; /* attest.h att_opts.tcb_signing_at; 0 = not used */
	long lifetime;
	/* CRLs passed to every verification besides those the evidence carries
	 * ([ca] crls; borrowed, e.g. from a struct stw_crl_set). */
	const struct att_blob *crls;
	size_t n_crls;
	struct stw_metrics metrics;
};

/*
 * CRL files read once at start ([ca] crls). Each must be one DER or PEM CRL
 * of at most 16 MiB; whether it is signed by a certificate of a chain and
 * current is judged at each verification (one past its nextUpdate refuses
 * every request whose chain it covers, with "<chain>.crl": fail closed;
 * refresh the files and restart).
 */
struct stw_crl_set {
	struct att_blob *v; /* owned, as are the bytes each points to */
	size_t n;
};
BL_MUST_CHECK int stw_crls_load(struct stw_crl_set *set, char *const *paths, size_t n);
void stw_crls_free(struct stw_crl_set *set);

struct stw_reply {
	unsigned status;
	const char *content_type;
	enum att_kind kind; /* of the (first) request, for metrics */
	struct bl_buf body; /* owned by the reply */
};

/* Answer one POST. Never fails: the outcome is in reply->status. */
void stw_service_post(const struct stw_service *s, const char *content_type, const uint8_t *body,
                      size_t len, struct stw_reply *reply);

void stw_reply_free(struct stw_reply *r);

/*
 * Issue one certificate for one DER CSR into *leaf (exposed for the
 * benchmark and tests). Returns the HTTP status; on error the reason is in
 * bl_errmsg().
 */
unsigned stw_service_issue_one(const struct stw_service *s, const uint8_t *der, size_t len,
                               enum att_kind *kind, struct bl_buf *leaf);

/*
 * The same for a request already parsed (and its self-signature checked) by
 * att_csr_parse: key type, evidence, binding, policy, issuance. Exposed so
 * that tests can alter a real request below its self-signature (its
 * evidence, its subject), which no client can do without the CSR's key.
 */
unsigned stw_service_issue_csr(const struct stw_service *s, const struct att_csr *csr,
                               struct bl_buf *leaf);

#endif
