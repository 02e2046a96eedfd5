/* oidc.c — OIDC discovery and the issuer's JWK set over the common HTTP client (see oidc.h). */
#include "drawbridge/oidc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "common/http.h"

#define OIDC_BODY_MAX (1u << 20)

struct oidc_src {
	char *jwks_uri;
	char *ca_file;
};

/* The scheme rule of oidc.h: https, or http to a loopback host. */
static int url_allowed(const char *url, struct bl_url *u)
{
	BL_TRY(bl_url_parse(url, u));
	if (!u->tls && !bl_host_is_loopback(u->host)) {
		bl_url_free(u);
		return bl_err(BL_EPERM, "OIDC: %s is not https", url);
	}
	return 0;
}

/* GET url into out (status 200 required). */
static int fetch(const char *url, const char *ca_file, struct bl_buf *out)
{
	struct bl_url u;
	struct bl_http_opts opts = { ca_file, NULL, NULL, 10000, 0, OIDC_BODY_MAX, 0 };
	const char *hdrs[] = { "Accept: application/json", NULL };
	struct bl_http_req req = { "GET", NULL, hdrs, NULL, NULL, NULL, NULL, NULL };
	struct bl_http_resp resp;
	struct bl_http *h;
	int rc;

	memset(&resp, 0, sizeof(resp));
	BL_TRY(url_allowed(url, &u));
	h = bl_http_new(url, &opts);
	if (!h) {
		bl_url_free(&u);
		return bl_err_wrap(BL_EIO, "OIDC: %s: ", url);
	}
	req.target = u.target;
	rc = bl_http_do(h, &req, &resp);
	if (rc < 0)
		bl_err_wrap(rc, "OIDC: GET %s: ", url);
	else if (resp.status != 200)
		rc = bl_err(BL_EIO, "OIDC: GET %s: status %d", url, resp.status);
	else
		rc = bl_buf_append(out, resp.body.p, resp.body.len);
	bl_http_resp_free(&resp);
	bl_http_free(h);
	bl_url_free(&u);
	return rc;
}

static void src_free(void *arg)
{
	struct oidc_src *src = arg;
	free(src->jwks_uri);
	free(src->ca_file);
	free(src);
}

static int fetch_jwks(void *arg, struct bl_buf *out)
{
	struct oidc_src *src = arg;
	return fetch(src->jwks_uri, src->ca_file, out);
}

/* Read the discovery document: check "issuer", return a copy of "jwks_uri". */
static int discover(const char *issuer, const char *ca_file, char **jwks_uri)
{
	struct bl_buf url = BL_BUF_INIT, doc = BL_BUF_INIT;
	size_t ilen = strlen(issuer);
	json_error_t jerr;
	json_t *j = NULL;
	const char *iss, *ju;
	struct bl_cur cur;
	const uint8_t *p;
	int rc;

	while (ilen > 0 && issuer[ilen - 1] == '/')
		ilen--;
	BL_TRY_GOTO(rc,
	            bl_buf_printf(&url, "%.*s/.well-known/openid-configuration", (int)ilen, issuer),
	            out);
	BL_TRY_GOTO(rc, fetch((const char *)url.p, ca_file, &doc), out);
	cur = bl_cur_make(doc.p, doc.len);
	BL_TRY_GOTO(rc, bl_cur_bytes(&cur, doc.len, &p), out);
	j = json_loadb((const char *)p, doc.len, JSON_REJECT_DUPLICATES, &jerr);
	iss = json_string_value(json_object_get(j, "issuer"));
	ju = json_string_value(json_object_get(j, "jwks_uri"));
	if (!j || !iss || !ju) {
		rc =
		    bl_err(BL_EINVAL, "OIDC: %s: needs \"issuer\" and \"jwks_uri\"", (char *)url.p);
		goto out;
	}
	if (strcmp(iss, issuer) != 0) {
		rc = bl_err(BL_EPERM,
		            "OIDC: the discovery document names issuer \"%.200s\", not \"%s\"", iss,
		            issuer);
		goto out;
	}
	*jwks_uri = strdup(ju);
	rc = *jwks_uri ? 0 : bl_err(BL_ENOMEM, "OIDC: out of memory");
out:
	json_decref(j);
	bl_buf_free(&url);
	bl_buf_free(&doc);
	return rc;
}

int dbr_auth_new_oidc(const char *issuer, const char *audience, const char *ca_file,
                      unsigned refresh_s, struct dbr_auth **out)
{
	/* Owned by the verifier once made: it calls back into it. */
	struct oidc_src *src = calloc(1, sizeof(*src));
	struct bl_buf jwks = BL_BUF_INIT;
	int rc;

	if (!src)
		return bl_err(BL_ENOMEM, "OIDC: out of memory");
	if (ca_file && !(src->ca_file = strdup(ca_file))) {
		rc = bl_err(BL_ENOMEM, "OIDC: out of memory");
		goto out_free;
	}
	BL_TRY_GOTO(rc, discover(issuer, ca_file, &src->jwks_uri), out_free);
	BL_TRY_GOTO(rc, fetch_jwks(src, &jwks), out_free);
	rc = dbr_auth_new_text(issuer, audience, (const char *)jwks.p, jwks.len, out);
	if (rc < 0) {
		bl_err_wrap(rc, "OIDC: %s: ", src->jwks_uri);
		goto out_free;
	}
	dbr_auth_set_refresh(*out, fetch_jwks, src, src_free, refresh_s);
	bl_buf_free(&jwks);
	return 0;
out_free:
	bl_buf_free(&jwks);
	src_free(src);
	return rc;
}
