/* auth.c — bearer JWT verification, the development issuer, signed tags (see auth.h). */
#include "drawbridge/auth.h"

#include <cjose/cjose.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/log.h"

#define TOKEN_MAX 16384
#define DEV_ISSUER "bailey-drawbridge-dev"
#define DEV_AUDIENCE "drawbridge"

struct dbr_auth {
	char *issuer, *audience;
	pthread_rwlock_t lock; /* guards keys/nkeys: a refresh swaps them */
	cjose_jwk_t **keys;
	size_t nkeys;
	cjose_jwk_t *dev_key; /* private; only for the development issuer */
	dbr_jwks_fetch_fn fetch; /* refreshes keys when a token's key is unknown */
	void *fetch_arg;
	void (*free_arg)(void *arg);
	unsigned refresh_min_s;
	pthread_mutex_t refresh_lock;
	time_t last_refresh;
};

static struct dbr_auth *auth_alloc(const char *issuer, const char *audience)
{
	struct dbr_auth *a = calloc(1, sizeof(*a));
	if (!a) {
		bl_err(BL_ENOMEM, "auth: out of memory");
		return NULL;
	}
	pthread_rwlock_init(&a->lock, NULL);
	pthread_mutex_init(&a->refresh_lock, NULL);
	a->issuer = strdup(issuer);
	a->audience = strdup(audience);
	if (!a->issuer || !a->audience) {
		dbr_auth_free(a);
		bl_err(BL_ENOMEM, "auth: out of memory");
		return NULL;
	}
	a->last_refresh = time(NULL);
	return a;
}

static void free_keys(cjose_jwk_t **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cjose_jwk_release(keys[i]);
	free(keys);
}

/* Import the asymmetric keys of a {"keys":[...]} set. */
static int load_keyset(const char *text, size_t len, cjose_jwk_t ***keys, size_t *nkeys)
{
	json_error_t jerr;
	json_t *set = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *arr, *k;
	size_t i;
	int rc = 0;

	*keys = NULL;
	*nkeys = 0;
	if (!set)
		return bl_err(BL_EINVAL, "JWK set: bad JSON: %s", jerr.text);
	arr = json_object_get(set, "keys");
	if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 64) {
		rc = bl_err(BL_EINVAL, "JWK set: needs a \"keys\" array of 1 to 64 keys");
		goto out_free_set;
	}
	*keys = calloc(json_array_size(arr), sizeof(**keys));
	if (!*keys) {
		rc = bl_err(BL_ENOMEM, "JWK set: out of memory");
		goto out_free_set;
	}
	json_array_foreach(arr, i, k)
	{
		cjose_err cerr;
		char *one;
		const char *kty = json_string_value(json_object_get(k, "kty"));
		if (!kty || (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0)) {
			rc = bl_err(BL_EINVAL,
			            "JWK set: key %zu: only RSA and EC keys are accepted", i);
			goto out_free_keys;
		}
		one = json_dumps(k, JSON_COMPACT);
		if (!one) {
			rc = bl_err(BL_ENOMEM, "JWK set: out of memory");
			goto out_free_keys;
		}
		(*keys)[i] = cjose_jwk_import(one, strlen(one), &cerr);
		OPENSSL_cleanse(one, strlen(one));
		free(one);
		if (!(*keys)[i]) {
			rc = bl_err(BL_EINVAL, "JWK set: key %zu: %s", i, cerr.message);
			goto out_free_keys;
		}
		(*nkeys)++;
	}
	goto out_free_set;
out_free_keys:
	free_keys(*keys, *nkeys);
	*keys = NULL;
	*nkeys = 0;
out_free_set:
	json_decref(set);
	return rc;
}

static int read_file(const char *path, size_t max, struct bl_buf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t k;
	int rc = 0;
	if (!f)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (out->len + k > max) {
			rc = bl_err(BL_ERANGE, "%s: larger than %zu bytes", path, max);
			break;
		}
		BL_TRY_GOTO(rc, bl_buf_append(out, buf, k), out_close);
	}
	if (ferror(f))
		rc = bl_err(BL_EIO, "%s: read error", path);
out_close:
	fclose(f);
	return rc;
}

int dbr_auth_new_text(const char *issuer, const char *audience, const char *jwks, size_t len,
                      struct dbr_auth **out)
{
	struct dbr_auth *a = auth_alloc(issuer, audience);
	int rc;
	if (!a)
		return BL_ENOMEM;
	rc = load_keyset(jwks, len, &a->keys, &a->nkeys);
	if (rc < 0) {
		dbr_auth_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int dbr_auth_new(const char *issuer, const char *audience, const char *jwks_path,
                 struct dbr_auth **out)
{
	struct bl_buf text = BL_BUF_INIT;
	int rc = read_file(jwks_path, 1 << 20, &text);
	if (rc == 0) {
		rc = dbr_auth_new_text(issuer, audience, (const char *)text.p, text.len, out);
		if (rc < 0)
			bl_err_wrap(rc, "%s: ", jwks_path);
	}
	bl_buf_free(&text);
	return rc;
}

void dbr_auth_set_refresh(struct dbr_auth *a, dbr_jwks_fetch_fn fetch, void *arg,
                          void (*free_arg)(void *arg), unsigned min_interval_s)
{
	a->fetch = fetch;
	a->fetch_arg = arg;
	a->free_arg = free_arg;
	a->refresh_min_s = min_interval_s;
}

/*
 * Fetch the key set again (a token named a key we do not have: the issuer
 * may have rotated its keys), at most once per refresh_min_s so that forged
 * tokens cannot make us hammer the issuer. Returns 1 when keys changed.
 */
static int refresh_keys(struct dbr_auth *a)
{
	struct bl_buf text = BL_BUF_INIT;
	cjose_jwk_t **keys = NULL, **old;
	size_t n = 0, nold;
	time_t now = time(NULL);
	int changed = 0;

	if (!a->fetch)
		return 0;
	pthread_mutex_lock(&a->refresh_lock);
	if (now - a->last_refresh < (time_t)a->refresh_min_s)
		goto out_unlock;
	a->last_refresh = now;
	if (a->fetch(a->fetch_arg, &text) < 0 ||
	    load_keyset((const char *)text.p, text.len, &keys, &n) < 0) {
		bl_warn("auth: refreshing the issuer's keys failed: %s", bl_errmsg());
		goto out_unlock;
	}
	pthread_rwlock_wrlock(&a->lock);
	old = a->keys;
	nold = a->nkeys;
	a->keys = keys;
	a->nkeys = n;
	pthread_rwlock_unlock(&a->lock);
	free_keys(old, nold);
	bl_info("auth: refreshed the issuer's keys (%zu)", n);
	changed = 1;
out_unlock:
	pthread_mutex_unlock(&a->refresh_lock);
	bl_buf_free(&text);
	return changed;
}

static int dev_key_create(const char *path)
{
	cjose_err cerr;
	cjose_jwk_t *k = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &cerr);
	uint8_t rnd[8];
	struct bl_buf kid = BL_BUF_INIT;
	char *json = NULL;
	int fd = -1, rc = 0;

	if (!k)
		return bl_err(BL_EINTERNAL, "dev issuer: key generation: %s", cerr.message);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1 || bl_buf_puts(&kid, "dev-") < 0 ||
	    bl_hex_encode(&kid, rnd, sizeof(rnd)) < 0 ||
	    !cjose_jwk_set_kid(k, (const char *)kid.p, kid.len, &cerr)) {
		rc = bl_err(BL_EINTERNAL, "dev issuer: key id");
		goto out;
	}
	json = cjose_jwk_to_json(k, true, &cerr);
	if (!json) {
		rc = bl_err(BL_EINTERNAL, "dev issuer: %s", cerr.message);
		goto out;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = errno == EEXIST ? 0 : bl_err(BL_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, json, strlen(json)) != (ssize_t)strlen(json) || fsync(fd) < 0) {
		rc = bl_err(BL_EIO, "%s: %s", path, strerror(errno));
		unlink(path);
	}
out:
	if (fd >= 0)
		close(fd);
	if (json) {
		OPENSSL_cleanse(json, strlen(json));
		free(json);
	}
	bl_buf_free(&kid);
	cjose_jwk_release(k);
	return rc;
}

int dbr_auth_new_dev(const char *store_dir, struct dbr_auth **out)
{
	struct dbr_auth *a = auth_alloc(DEV_ISSUER, DEV_AUDIENCE);
	struct bl_buf text = BL_BUF_INIT;
	char path[4200];
	cjose_err cerr;
	int rc;

	if (!a)
		return BL_ENOMEM;
	a->keys = calloc(1, sizeof(*a->keys));
	if (!a->keys) {
		rc = bl_err(BL_ENOMEM, "auth: out of memory");
		goto out_free;
	}
	if (mkdir(store_dir, 0700) < 0 && errno != EEXIST) {
		rc = bl_err(BL_EIO, "%s: %s", store_dir, strerror(errno));
		goto out_free;
	}
	snprintf(path, sizeof(path), "%s/dev-issuer.jwk", store_dir);
	BL_TRY_GOTO(rc, dev_key_create(path), out_free);
	BL_TRY_GOTO(rc, read_file(path, 65536, &text), out_free);
	a->dev_key = cjose_jwk_import((const char *)text.p, text.len, &cerr);
	if (!a->dev_key) {
		rc = bl_err(BL_EINVAL, "%s: %s", path, cerr.message);
		goto out_free;
	}
	a->keys[0] = cjose_jwk_retain(a->dev_key, &cerr);
	a->nkeys = 1;
	bl_buf_free_secret(&text);
	*out = a;
	return 0;
out_free:
	bl_buf_free_secret(&text);
	dbr_auth_free(a);
	return rc;
}

void dbr_auth_free(struct dbr_auth *a)
{
	if (!a)
		return;
	free_keys(a->keys, a->nkeys);
	if (a->dev_key)
		cjose_jwk_release(a->dev_key);
	if (a->free_arg)
		a->free_arg(a->fetch_arg);
	pthread_rwlock_destroy(&a->lock);
	pthread_mutex_destroy(&a->refresh_lock);
	free(a->issuer);
	free(a->audience);
	free(a);
}

/* Decode the base64url JSON object s[0..n). */
static json_t *b64url_json(const char *s, size_t n)
{
	uint8_t *buf = malloc(n + 1);
	size_t len;
	json_t *j = NULL;
	if (!buf)
		return NULL;
	if (bl_b64_decode(s, n, buf, n + 1, &len, 1) == 0)
		j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int key_fits(const cjose_jwk_t *k, const char *alg)
{
	cjose_err cerr;
	cjose_jwk_kty_t kty = cjose_jwk_get_kty(k, &cerr);
	if (alg[0] == 'R' || alg[0] == 'P')
		return kty == CJOSE_JWK_KTY_RSA;
	if (strcmp(alg, "ES256") == 0)
		return kty == CJOSE_JWK_KTY_EC &&
		       cjose_jwk_EC_get_curve(k, &cerr) == CJOSE_JWK_EC_P_256;
	if (strcmp(alg, "ES384") == 0)
		return kty == CJOSE_JWK_KTY_EC &&
		       cjose_jwk_EC_get_curve(k, &cerr) == CJOSE_JWK_EC_P_384;
	if (strcmp(alg, "ES512") == 0)
		return kty == CJOSE_JWK_KTY_EC &&
		       cjose_jwk_EC_get_curve(k, &cerr) == CJOSE_JWK_EC_P_521;
	return 0;
}

/*
 * Verify compact JWS `c` (NUL-terminated, length n) whose protected header
 * is `hdr` with one of `keys`; on success returns the jws (caller releases).
 */
static cjose_jws_t *verify_compact(const char *c, size_t n, json_t *hdr, cjose_jwk_t **keys,
                                   size_t nkeys)
{
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	const char *kid = json_string_value(json_object_get(hdr, "kid"));
	cjose_err cerr;
	cjose_jws_t *jws = cjose_jws_import(c, n, &cerr);
	if (!jws || !alg)
		goto out_fail;
	for (size_t i = 0; i < nkeys; i++) {
		const char *kkid = cjose_jwk_get_kid(keys[i], &cerr);
		if (kid && kkid && strcmp(kid, kkid) != 0)
			continue;
		if (!key_fits(keys[i], alg))
			continue;
		if (cjose_jws_verify(jws, keys[i], &cerr))
			return jws;
	}
out_fail:
	if (jws)
		cjose_jws_release(jws);
	return NULL;
}

static int claims_check(const struct dbr_auth *a, json_t *c, struct dbr_claims *out)
{
	json_t *aud = json_object_get(c, "aud"), *exp = json_object_get(c, "exp");
	json_t *nbf = json_object_get(c, "nbf");
	const char *iss = json_string_value(json_object_get(c, "iss"));
	const char *sub = json_string_value(json_object_get(c, "sub"));
	const char *scope = json_string_value(json_object_get(c, "scope"));
	double now = (double)time(NULL);
	int aud_ok = 0;

	if (!iss || strcmp(iss, a->issuer) != 0)
		return bl_err(BL_EPERM, "token: wrong issuer");
	if (json_is_string(aud)) {
		aud_ok = strcmp(json_string_value(aud), a->audience) == 0;
	} else if (json_is_array(aud)) {
		size_t i;
		json_t *v;
		json_array_foreach(aud, i, v) if (json_is_string(v) &&
		                                  strcmp(json_string_value(v), a->audience) == 0)
		    aud_ok = 1;
	}
	if (!aud_ok)
		return bl_err(BL_EPERM, "token: wrong audience");
	if (!json_is_number(exp))
		return bl_err(BL_EPERM, "token: no expiry");
	if (json_number_value(exp) <= now)
		return bl_err(BL_EPERM, "token: expired");
	if (nbf && (!json_is_number(nbf) || json_number_value(nbf) > now + 60))
		return bl_err(BL_EPERM, "token: not yet valid");
	if (!sub || !sub[0] || strlen(sub) >= sizeof(out->sub))
		return bl_err(BL_EPERM, "token: no subject");
	strcpy(out->sub, sub);
	out->scopes = 0;
	while (scope && *scope) {
		static const char *ctx[] = { "drawbridge_users", "drawbridge_repositories",
			                     "drawbridge_tags" };
		size_t len = strcspn(scope, " ");
		for (int i = 0; i < 3; i++) {
			char want[64];
			unsigned bits = 0;
			if (snprintf(want, sizeof(want), "read:%s", ctx[i]) == (int)len &&
			    !strncmp(scope, want, len))
				bits = 1;
			if (snprintf(want, sizeof(want), "write:%s", ctx[i]) == (int)len &&
			    !strncmp(scope, want, len))
				bits = 2;
			if (snprintf(want, sizeof(want), "manage:%s", ctx[i]) == (int)len &&
			    !strncmp(scope, want, len))
				bits = 3;
			out->scopes |= bits << (i * 2);
		}
		scope += len;
		while (*scope == ' ')
			scope++;
	}
	return 0;
}

int dbr_auth_verify(const struct dbr_auth *a, const char *token, size_t n, struct dbr_claims *out)
{
	char *t;
	const char *dot;
	json_t *hdr = NULL, *claims = NULL;
	const char *alg;
	cjose_jws_t *jws = NULL;
	uint8_t *plain;
	size_t plen;
	cjose_err cerr;
	int rc;

	if (n == 0 || n > TOKEN_MAX)
		return bl_err(BL_EPERM, "token: bad size");
	t = malloc(n + 1);
	if (!t)
		return bl_err(BL_ENOMEM, "token: out of memory");
	memcpy(t, token, n);
	t[n] = 0;
	dot = memchr(t, '.', n);
	if (!dot || strlen(t) != n) {
		rc = bl_err(BL_EPERM, "token: not a compact JWS");
		goto out;
	}
	hdr = b64url_json(t, (size_t)(dot - t));
	alg = hdr ? json_string_value(json_object_get(hdr, "alg")) : NULL;
	if (!alg || (strcmp(alg, "RS256") != 0 && strcmp(alg, "ES256") != 0)) {
		rc = bl_err(BL_EPERM, "token: algorithm must be RS256 or ES256");
		goto out;
	}
	if (json_object_get(hdr, "crit")) { /* RFC 7515 §4.1.11: we understand no extension */
		rc = bl_err(BL_EPERM, "token: critical header extensions are not supported");
		goto out;
	}
	pthread_rwlock_rdlock(&((struct dbr_auth *)a)->lock);
	jws = verify_compact(t, n, hdr, a->keys, a->nkeys);
	pthread_rwlock_unlock(&((struct dbr_auth *)a)->lock);
	if (!jws && refresh_keys((struct dbr_auth *)a) > 0) {
		pthread_rwlock_rdlock(&((struct dbr_auth *)a)->lock);
		jws = verify_compact(t, n, hdr, a->keys, a->nkeys);
		pthread_rwlock_unlock(&((struct dbr_auth *)a)->lock);
	}
	if (!jws) {
		rc = bl_err(BL_EPERM, "token: signature does not verify");
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &cerr) ||
	    !(claims = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL)) ||
	    !json_is_object(claims)) {
		rc = bl_err(BL_EPERM, "token: claims are not a JSON object");
		goto out;
	}
	rc = claims_check(a, claims, out);
out:
	if (jws)
		cjose_jws_release(jws);
	json_decref(hdr);
	json_decref(claims);
	OPENSSL_cleanse(t, n);
	free(t);
	return rc;
}

int dbr_auth_dev_token(const struct dbr_auth *a, const char *sub, const char *scope, long ttl,
                       const char *audience, const char *issuer, struct bl_buf *out)
{
	json_t *c;
	char *txt = NULL;
	cjose_header_t *h = NULL;
	cjose_jws_t *jws = NULL;
	const char *ser;
	cjose_err cerr;
	long now = (long)time(NULL);
	int rc = 0;

	if (!a->dev_key)
		return bl_err(BL_EINVAL, "dev-token: not the development issuer");
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", issuer ? issuer : a->issuer, "aud",
	              audience ? audience : a->audience, "sub", sub, "iat", (json_int_t)now, "exp",
	              (json_int_t)(now + ttl), "scope", scope);
	if (!c || !(txt = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS)) ||
	    !(h = cjose_header_new(&cerr)) ||
	    !cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &cerr) ||
	    !cjose_header_set(h, "typ", "JWT", &cerr) ||
	    !cjose_header_set(h, CJOSE_HDR_KID, cjose_jwk_get_kid(a->dev_key, &cerr), &cerr)) {
		rc = bl_err(BL_ENOMEM, "dev-token: out of memory");
		goto out;
	}
	jws = cjose_jws_sign(a->dev_key, h, (const uint8_t *)txt, strlen(txt), &cerr);
	if (!jws || !cjose_jws_export(jws, &ser, &cerr)) {
		rc = bl_err(BL_EINTERNAL, "dev-token: signing failed");
		goto out;
	}
	rc = bl_buf_puts(out, ser);
out:
	if (jws)
		cjose_jws_release(jws);
	if (h)
		cjose_header_release(h);
	free(txt);
	json_decref(c);
	return rc;
}

int dbr_auth_dev_jwks(const struct dbr_auth *a, struct bl_buf *out)
{
	cjose_err cerr;
	char *pub;
	int rc;
	if (!a->dev_key)
		return bl_err(BL_EINVAL, "not the development issuer");
	pub = cjose_jwk_to_json(a->dev_key, false, &cerr);
	if (!pub)
		return bl_err(BL_ENOMEM, "dev issuer: out of memory");
	rc = bl_buf_printf(out, "{\"keys\":[%s]}", pub);
	free(pub);
	return rc;
}

int dbr_jwks_check(const char *jwks)
{
	cjose_jwk_t **keys;
	size_t n;
	BL_TRY(load_keyset(jwks, strlen(jwks), &keys, &n));
	for (size_t i = 0; i < n; i++) {
		cjose_err cerr;
		if (cjose_jwk_get_kty(keys[i], &cerr) == CJOSE_JWK_KTY_EC ||
		    cjose_jwk_get_kty(keys[i], &cerr) == CJOSE_JWK_KTY_RSA)
			continue;
		free_keys(keys, n);
		return bl_err(BL_EINVAL, "JWK set: key %zu is not RSA or EC", i);
	}
	free_keys(keys, n);
	return 0;
}

/* Try one signature object {protected, signature} over payload `pl`. */
static int try_signature(json_t *sig, const char *pl, cjose_jwk_t **keys, size_t nkeys,
                         struct bl_buf *payload)
{
	const char *prot = json_string_value(json_object_get(sig, "protected"));
	const char *s = json_string_value(json_object_get(sig, "signature"));
	const char *alg;
	struct bl_buf c = BL_BUF_INIT;
	json_t *hdr;
	cjose_jws_t *jws = NULL;
	uint8_t *plain;
	size_t plen;
	cjose_err cerr;
	int rc = BL_EVERIFY;

	if (!prot || !s)
		return BL_EVERIFY;
	hdr = b64url_json(prot, strlen(prot));
	alg = hdr ? json_string_value(json_object_get(hdr, "alg")) : NULL;
	if (!alg || !(alg[0] == 'R' || alg[0] == 'E' || alg[0] == 'P') ||
	    json_object_get(hdr, "crit"))
		goto out;
	if (bl_buf_printf(&c, "%s.%s.%s", prot, pl, s) < 0)
		goto out;
	jws = verify_compact((const char *)c.p, c.len, hdr, keys, nkeys);
	if (!jws || !cjose_jws_get_plaintext(jws, &plain, &plen, &cerr))
		goto out;
	rc = bl_buf_append(payload, plain, plen);
out:
	if (jws)
		cjose_jws_release(jws);
	json_decref(hdr);
	bl_buf_free(&c);
	return rc;
}

int dbr_jws_verify(const void *p, size_t n, const char *jwks, struct bl_buf *payload)
{
	json_error_t jerr;
	json_t *j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr), *sigs;
	const char *pl;
	cjose_jwk_t **keys = NULL;
	size_t nkeys = 0;
	int rc = BL_EVERIFY;

	if (!j || !json_is_object(j)) {
		rc = bl_err(BL_EINVAL, "signed tag: not a JWS JSON object");
		goto out;
	}
	pl = json_string_value(json_object_get(j, "payload"));
	if (!pl) {
		rc = bl_err(BL_EINVAL, "signed tag: JWS has no payload");
		goto out;
	}
	if (!jwks || !jwks[0]) {
		rc = bl_err(BL_EVERIFY, "signed tag: the user registered no keys");
		goto out;
	}
	BL_TRY_GOTO(rc, load_keyset(jwks, strlen(jwks), &keys, &nkeys), out);
	rc = BL_EVERIFY;
	sigs = json_object_get(j, "signatures");
	if (json_is_array(sigs)) {
		size_t i;
		json_t *sig;
		json_array_foreach(sigs, i, sig)
		{
			rc = try_signature(sig, pl, keys, nkeys, payload);
			if (rc != BL_EVERIFY)
				break;
		}
	} else {
		rc = try_signature(j, pl, keys, nkeys, payload);
	}
	if (rc == BL_EVERIFY)
		bl_err(BL_EVERIFY,
		       "signed tag: no signature verifies with a key the user registered");
out:
	free_keys(keys, nkeys);
	json_decref(j);
	return rc;
}
