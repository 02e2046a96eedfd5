/*
 * config.h — the bailey-steward configuration file (TOML; docs/steward.md).
 *
 *   [ca]      key = "ca.key", cert = "ca.crt" (paths relative to the file),
 *             lifetime = seconds or "30d"/"12h"/"45m"/"90s" (default 28 days),
 *             crls = ["file", …] (CRLs Steward passes to every verification)
 *   [server]  listen = "ADDR:PORT", max_connections, threads, max_body (bytes)
 *   [kvm] [sgx] [snp] [tdx]   the policy (attest/policy.h)
 *
 * Contract: every table and key is known or the load fails, naming the line;
 * values are range-checked. Nothing is opened but the file itself: the CA
 * files are loaded by the caller.
 */
#ifndef BL_STEWARD_CONFIG_H
#define BL_STEWARD_CONFIG_H

#include <stddef.h>
#include <time.h>

#include "attest/policy.h"
#include "common/err.h"

struct stw_config {
	char *ca_key, *ca_cert; /* owned; NULL when [ca] does not name them */
	char **crl_paths; /* owned, n_crl_paths entries ([ca] crls) */
	size_t n_crl_paths;
	long lifetime; /* seconds */
	char *listen; /* owned; NULL: default */
	unsigned max_connections, threads;
	size_t max_body;
	struct att_policy *policy; /* owned, never NULL after a successful load */
};

#define STW_DEFAULT_LIFETIME (28L * 86400)
#define STW_DEFAULT_MAX_CONNECTIONS 256
#define STW_DEFAULT_MAX_BODY (256u * 1024)
#define STW_MAX_BUNDLE 16
#define STW_MAX_CRL_FILES 32

/* Defaults and an empty policy. */
BL_MUST_CHECK int stw_config_init(struct stw_config *c);

/* Parse text[0..len); relative CA paths are taken from base_dir (may be NULL). */
BL_MUST_CHECK int stw_config_parse(struct stw_config *c, const char *text, size_t len,
                                   const char *base_dir);

/* Read and parse a file (at most 1 MiB); errors are prefixed with the path. */
BL_MUST_CHECK int stw_config_load(struct stw_config *c, const char *path);

void stw_config_free(struct stw_config *c);

/* "30d", "12h", "45m", "90s" or digits (seconds). */
BL_MUST_CHECK int stw_parse_duration(const char *s, size_t len, long *out);

/* RFC 3339 date-time ("2023-02-01T00:00:00Z", offsets and fractions allowed). */
BL_MUST_CHECK int stw_parse_rfc3339(const char *s, time_t *out);

#endif
