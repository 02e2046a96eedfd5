/* test_dbr_auth.c — bearer JWTs, the development issuer, JWK sets and signed tags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjose/cjose.h>
#include <cmocka.h>

#include "common/codec.h"
#include "drawbridge/auth.h"

static char dir[64], dir2[64];

static void token(struct dbr_auth *a, const char *sub, const char *scope, long ttl, const char *aud,
                  const char *iss, struct bl_buf *out)
{
	bl_buf_reset(out);
	assert_int_equal(dbr_auth_dev_token(a, sub, scope, ttl, aud, iss, out), 0);
}

static int verify(struct dbr_auth *a, struct bl_buf *t, struct dbr_claims *c)
{
	return dbr_auth_verify(a, (const char *)t->p, t->len, c);
}

static void test_tokens(void **state)
{
	(void)state;
	struct dbr_auth *a, *other;
	struct bl_buf t = BL_BUF_INIT;
	struct dbr_claims c;
	struct stat st;
	char path[128];

	assert_int_equal(dbr_auth_new_dev(dir, &a), 0);
	snprintf(path, sizeof(path), "%s/dev-issuer.jwk", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	token(a, "alice", "manage:drawbridge_users read:drawbridge_tags", 60, NULL, NULL, &t);
	assert_int_equal(verify(a, &t, &c), 0);
	assert_string_equal(c.sub, "alice");
	assert_true(dbr_claims_allow(&c, DBR_SCOPE_USERS, DBR_SCOPE_READ));
	assert_true(dbr_claims_allow(&c, DBR_SCOPE_USERS, DBR_SCOPE_WRITE));
	assert_true(dbr_claims_allow(&c, DBR_SCOPE_TAGS, DBR_SCOPE_READ));
	assert_false(dbr_claims_allow(&c, DBR_SCOPE_TAGS, DBR_SCOPE_WRITE));
	assert_false(dbr_claims_allow(&c, DBR_SCOPE_REPOS, DBR_SCOPE_READ));
	/* near-miss scope names grant nothing */
	token(a, "alice", "read:drawbridge_tagsX write:drawbridge_user manage", 60, NULL, NULL, &t);
	assert_int_equal(verify(a, &t, &c), 0);
	assert_int_equal(c.scopes, 0);
	/* each failure */
	token(a, "alice", "", -5, NULL, NULL, &t);
	assert_int_equal(verify(a, &t, &c), BL_EPERM);
	token(a, "alice", "", 60, "other", NULL, &t);
	assert_int_equal(verify(a, &t, &c), BL_EPERM);
	token(a, "alice", "", 60, NULL, "https://evil", &t);
	assert_int_equal(verify(a, &t, &c), BL_EPERM);
	token(a, "alice", "", 60, NULL, NULL, &t);
	t.p[t.len - 3] = t.p[t.len - 3] == 'A' ? 'B' : 'A';
	assert_int_equal(verify(a, &t, &c), BL_EPERM);
	assert_int_equal(dbr_auth_verify(a, "eyJhbGciOiJub25lIn0.e30.", 24, &c), BL_EPERM);
	assert_int_equal(dbr_auth_verify(a, "x", 1, &c), BL_EPERM);
	assert_int_equal(dbr_auth_verify(a, "", 0, &c), BL_EPERM);
	/* a validly signed token with a critical header extension is refused */
	{
		char path2[128], buf[4096];
		FILE *kf;
		size_t kn;
		cjose_err e;
		snprintf(path2, sizeof(path2), "%s/dev-issuer.jwk", dir);
		kf = fopen(path2, "r");
		assert_non_null(kf);
		kn = fread(buf, 1, sizeof(buf), kf);
		fclose(kf);
		cjose_jwk_t *k = cjose_jwk_import(buf, kn, &e);
		cjose_header_t *h = cjose_header_new(&e);
		assert_true(cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &e));
		assert_true(cjose_header_set_raw(h, "crit", "[\"x-new\"]", &e));
		char claims[256];
		snprintf(claims, sizeof(claims),
		         "{\"iss\":\"bailey-drawbridge-dev\",\"aud\":\"drawbridge\",\"sub\":\"a\","
		         "\"exp\":%ld,\"x-new\":1}",
		         (long)time(NULL) + 60);
		cjose_jws_t *jws =
		    cjose_jws_sign(k, h, (const uint8_t *)claims, strlen(claims), &e);
		const char *ser;
		assert_true(jws && cjose_jws_export(jws, &ser, &e));
		assert_int_equal(dbr_auth_verify(a, ser, strlen(ser), &c), BL_EPERM);
		assert_non_null(strstr(bl_errmsg(), "critical"));
		cjose_jws_release(jws);
		cjose_header_release(h);
		cjose_jwk_release(k);
	}
	/* a token from another issuer's key does not verify */
	assert_int_equal(dbr_auth_new_dev(dir2, &other), 0);
	token(other, "alice", "", 60, NULL, NULL, &t);
	assert_int_equal(verify(a, &t, &c), BL_EPERM);
	assert_int_equal(verify(other, &t, &c), 0);
	/* the key persists: a second instance accepts the first one's tokens */
	dbr_auth_free(other);
	assert_int_equal(dbr_auth_new_dev(dir, &other), 0);
	token(a, "bob", "", 60, NULL, NULL, &t);
	assert_int_equal(verify(other, &t, &c), 0);
	dbr_auth_free(other);
	bl_buf_free_secret(&t);
	dbr_auth_free(a);
}

static void test_jwks_file(void **state)
{
	(void)state;
	struct dbr_auth *a, *v;
	struct bl_buf j = BL_BUF_INIT, t = BL_BUF_INIT;
	struct dbr_claims c;
	char path[128];
	FILE *f;

	assert_int_equal(dbr_auth_new_dev(dir, &a), 0);
	assert_int_equal(dbr_auth_dev_jwks(a, &j), 0);
	assert_null(strstr((char *)j.p, "\"d\"")); /* public only */
	assert_int_equal(dbr_jwks_check((char *)j.p), 0);
	snprintf(path, sizeof(path), "%s/keys.json", dir);
	f = fopen(path, "w");
	fputs((char *)j.p, f);
	fclose(f);
	assert_int_equal(dbr_auth_new("https://idp", "aud1", path, &v), 0);
	token(a, "dave", "read:drawbridge_users", 60, "aud1", "https://idp", &t);
	assert_int_equal(verify(v, &t, &c), 0);
	assert_string_equal(c.sub, "dave");
	token(a, "dave", "read:drawbridge_users", 60, NULL, NULL, &t);
	assert_int_equal(verify(v, &t, &c), BL_EPERM);
	assert_int_equal(dbr_auth_dev_token(v, "x", "", 60, NULL, NULL, &t), BL_EINVAL);
	dbr_auth_free(v);
	assert_int_equal(dbr_auth_new("i", "a", "/nonexistent/keys.json", &v), BL_EIO);
	assert_int_equal(dbr_jwks_check("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}"),
	                 BL_EINVAL);
	assert_int_equal(dbr_jwks_check("{\"keys\":[]}"), BL_EINVAL);
	assert_int_equal(dbr_jwks_check("[]"), BL_EINVAL);
	assert_int_equal(dbr_jwks_check("{"), BL_EINVAL);
	bl_buf_free(&j);
	bl_buf_free_secret(&t);
	dbr_auth_free(a);
}

/* Sign payload with the dev key (read back from its file) as a flattened JWS JSON. */
static void sign_flat(const char *keydir, const char *alg_json_unused, const char *payload,
                      struct bl_buf *out)
{
	char path[128], buf[4096];
	cjose_err e;
	FILE *f;
	size_t n;
	(void)alg_json_unused;
	snprintf(path, sizeof(path), "%s/dev-issuer.jwk", keydir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	cjose_jwk_t *k = cjose_jwk_import(buf, n, &e);
	assert_non_null(k);
	cjose_header_t *h = cjose_header_new(&e);
	assert_true(cjose_header_set(h, CJOSE_HDR_ALG, CJOSE_HDR_ALG_ES256, &e));
	cjose_jws_t *jws = cjose_jws_sign(k, h, (const uint8_t *)payload, strlen(payload), &e);
	assert_non_null(jws);
	const char *ser;
	assert_true(cjose_jws_export(jws, &ser, &e));
	const char *d1 = strchr(ser, '.'), *d2 = strchr(d1 + 1, '.');
	bl_buf_reset(out);
	assert_int_equal(
	    bl_buf_printf(out, "{\"payload\":\"%.*s\",\"protected\":\"%.*s\",\"signature\":\"%s\"}",
	                  (int)(d2 - d1 - 1), d1 + 1, (int)(d1 - ser), ser, d2 + 1),
	    0);
	cjose_jws_release(jws);
	cjose_header_release(h);
	cjose_jwk_release(k);
}

static void test_signed_tags(void **state)
{
	(void)state;
	struct dbr_auth *a, *b;
	struct bl_buf jwks = BL_BUF_INIT, other = BL_BUF_INIT, body = BL_BUF_INIT, pl = BL_BUF_INIT;
	const char *entry =
	    "{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},"
	    "\"length\":0,\"type\":\"text/plain\"}";

	assert_int_equal(dbr_auth_new_dev(dir, &a), 0);
	assert_int_equal(dbr_auth_new_dev(dir2, &b), 0);
	assert_int_equal(dbr_auth_dev_jwks(a, &jwks), 0);
	assert_int_equal(dbr_auth_dev_jwks(b, &other), 0);
	sign_flat(dir, NULL, entry, &body);
	assert_int_equal(dbr_jws_verify(body.p, body.len, (char *)jwks.p, &pl), 0);
	assert_int_equal(pl.len, strlen(entry));
	assert_memory_equal(pl.p, entry, pl.len);
	bl_buf_reset(&pl);
	assert_int_equal(dbr_jws_verify(body.p, body.len, (char *)other.p, &pl), BL_EVERIFY);
	assert_int_equal(dbr_jws_verify(body.p, body.len, NULL, &pl), BL_EVERIFY);
	assert_int_equal(dbr_jws_verify(body.p, body.len, "", &pl), BL_EVERIFY);
	assert_int_equal(dbr_jws_verify("{", 1, (char *)jwks.p, &pl), BL_EINVAL);
	assert_int_equal(dbr_jws_verify("{\"signatures\":[]}", 17, (char *)jwks.p, &pl), BL_EINVAL);
	/* a changed payload breaks the signature */
	char *p = strstr((char *)body.p, "\"payload\":\"") + 11;
	*p = *p == 'e' ? 'f' : 'e';
	assert_int_equal(dbr_jws_verify(body.p, body.len, (char *)jwks.p, &pl), BL_EVERIFY);
	assert_int_equal(pl.len, 0);
	bl_buf_free(&jwks);
	bl_buf_free(&other);
	bl_buf_free(&body);
	bl_buf_free(&pl);
	dbr_auth_free(a);
	dbr_auth_free(b);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_dbr_auth.XXXXXX");
	strcpy(dir2, "/tmp/test_dbr_auth2.XXXXXX");
	return mkdtemp(dir) && mkdtemp(dir2) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, dir2);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_jwks_file),
		cmocka_unit_test(test_signed_tags),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
