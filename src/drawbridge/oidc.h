/*
 * oidc.h — an OIDC issuer's signing keys from its discovery document.
 *
 * OpenID Connect Discovery 1.0: GET ISSUER/.well-known/openid-configuration
 * (§4), whose "issuer" must equal ISSUER exactly (§4.3) and whose "jwks_uri"
 * names the JWK set (RFC 7517 §5) that signs the issuer's tokens. Both are
 * fetched over https with certificate verification (the system store or
 * `ca_file`); plain http is accepted only for loopback issuers (tests,
 * development). The keys are refetched, at most every `refresh_s` seconds,
 * when a token names a key we do not hold (key rotation).
 *
 * Guarantees: bodies are bounded (1 MiB); a discovery document that names
 * another issuer, or a jwks_uri that is not https (or loopback http), is
 * refused. Does not: follow redirects, use the document for anything but
 * the key set.
 */
#ifndef BL_DRAWBRIDGE_OIDC_H
#define BL_DRAWBRIDGE_OIDC_H

#include "common/err.h"
#include "drawbridge/auth.h"

/* Discover the issuer's keys and return a verifier that keeps them fresh. */
BL_MUST_CHECK int dbr_auth_new_oidc(const char *issuer, const char *audience, const char *ca_file,
                                    unsigned refresh_s, struct dbr_auth **out);

#endif
