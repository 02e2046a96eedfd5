/*
 * auth.h — OIDC bearer tokens, the development issuer, and signed tags.
 *
 * Tokens are compact JWS JWTs (RFC 7519) signed RS256 or ES256 (RFC 7518
 * §3.3, §3.4) by a key of the configured JWK set (RFC 7517 §5), chosen by
 * `kid` when the token names one. Claims checked: `iss` equals the issuer,
 * `aud` (string or array) contains the audience, `exp` is in the future and
 * required, `nbf` (when present) is past, `sub` is present. `scope` is a
 * space-separated list of Drawbridge scopes
 * `read|write|manage:drawbridge_{users,repositories,tags}`; `manage` implies
 * read and write.
 *
 * The development issuer (`--dev`) keeps an ES256 private key in
 * STORE/dev-issuer.jwk (mode 0600) and signs tokens for any subject; it
 * exists only when the server runs with --dev or `dev-token` is called.
 *
 * Signed tags: an `application/jose+json` body is a JWS in the JSON
 * serialisation (RFC 7515 §7.2, general or flattened) whose payload is the
 * root entry; it verifies when one signature checks under one key of the
 * user's registered JWK set. The JWS `alg` must be asymmetric.
 *
 * Guarantees: tokens are never logged or put into error reasons; algorithms
 * other than RS256/ES256 (notably "none" and HS*) are refused.
 * Keys come from a JWKS file, JSON text, or (oidc.h) the issuer's discovery
 * document; a token signed by a key we do not hold triggers a rate-limited
 * refresh through a caller-supplied fetch function.
 */
#ifndef BL_DRAWBRIDGE_AUTH_H
#define BL_DRAWBRIDGE_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum dbr_scope_ctx { DBR_SCOPE_USERS, DBR_SCOPE_REPOS, DBR_SCOPE_TAGS };
enum dbr_scope_lvl { DBR_SCOPE_READ, DBR_SCOPE_WRITE };

struct dbr_claims {
	char sub[512];
	unsigned scopes; /* bit (ctx * 2 + lvl) */
};

static inline int dbr_claims_allow(const struct dbr_claims *c, enum dbr_scope_ctx ctx,
                                   enum dbr_scope_lvl lvl)
{
	return (c->scopes >> (ctx * 2 + lvl)) & 1;
}

struct dbr_auth;

/* A verifier for tokens from `issuer` for `audience`, keys from a JWKS file. */
BL_MUST_CHECK int dbr_auth_new(const char *issuer, const char *audience, const char *jwks_path,
                               struct dbr_auth **out);
/* The same with the JWK set given as JSON text. */
BL_MUST_CHECK int dbr_auth_new_text(const char *issuer, const char *audience, const char *jwks,
                                    size_t len, struct dbr_auth **out);

/*
 * Key rotation: when a token does not verify with the keys held, call
 * `fetch` (at most once per min_interval_s) for a fresh JWK set, swap it in
 * and try once more. fetch appends the set's JSON to *out and returns 0.
 * Verification may run on many threads at once; the swap is locked.
 */
typedef int (*dbr_jwks_fetch_fn)(void *arg, struct bl_buf *out);
/* The verifier owns arg from here on and releases it with free_arg (may be NULL). */
void dbr_auth_set_refresh(struct dbr_auth *a, dbr_jwks_fetch_fn fetch, void *arg,
                          void (*free_arg)(void *arg), unsigned min_interval_s);

/* The development issuer: key in store_dir/dev-issuer.jwk, created when absent. */
BL_MUST_CHECK int dbr_auth_new_dev(const char *store_dir, struct dbr_auth **out);
void dbr_auth_free(struct dbr_auth *a);

/* Verify a token of length n; on success fills *out. BL_EPERM with a reason otherwise. */
BL_MUST_CHECK int dbr_auth_verify(const struct dbr_auth *a, const char *token, size_t n,
                                  struct dbr_claims *out);

/*
 * Sign a token with the development key (only for an auth made by
 * dbr_auth_new_dev): `scope` space-separated, valid for `ttl` seconds from
 * now (negative: already expired). audience/issuer NULL for the configured.
 */
BL_MUST_CHECK int dbr_auth_dev_token(const struct dbr_auth *a, const char *sub, const char *scope,
                                     long ttl, const char *audience, const char *issuer,
                                     struct bl_buf *out);

/* The development issuer's public JWK set (for tests and clients). */
BL_MUST_CHECK int dbr_auth_dev_jwks(const struct dbr_auth *a, struct bl_buf *out);

/*
 * Verify a JSON-serialised JWS body p[0..n) against the JWK set `jwks`
 * ({"keys":[...]}); on success the payload is appended to *payload.
 */
BL_MUST_CHECK int dbr_jws_verify(const void *p, size_t n, const char *jwks, struct bl_buf *payload);

/* Is `jwks` a JSON JWK set of public asymmetric keys we can use? */
BL_MUST_CHECK int dbr_jwks_check(const char *jwks);

#endif
