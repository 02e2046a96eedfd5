/* client.c — Drawbridge registry client; see client.h. */
#include "drawbridge/client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/cursor.h"
#include "common/digest.h"
#include "common/http.h"
#ifdef DBR_CLIENT_JWS
#include "drawbridge/auth.h"
#endif

#define DIG_MASK ((1u << BL_SHA256) | (1u << BL_SHA384))
#define MAX_DEPTH 64
#define MAX_NODES 100000
#define MAX_DIR_BYTES (4u * 1024 * 1024)
#define MAX_DIR_ENTRIES 65536
#define MAX_JSON_BYTES (1u * 1024 * 1024)
#define MAX_TAG_BYTES (64u * 1024)
#define DEFAULT_MAX_FILE (256ull * 1024 * 1024)
#define EXPECT_MIN (64u * 1024) /* files from this size ask for 100-continue */

struct dbr_client {
	struct bl_http *h;
	struct bl_buf auth; /* "Authorization: Bearer …", wiped on free */
	uint64_t max_file;
	dbr_progress_fn progress;
	void *progress_arg;
	uint64_t done, total; /* progress of the current operation */
	char *sign_key; /* path of the tag-signing key, or NULL */
	char *tag_jwks; /* keys a fetched tag must be signed with, or NULL */
};

static int check_token_chars(const char *t);

/* ----------------------------------------------------------------- slugs -- */

static int host_ok(const char *s, size_t n)
{
	size_t i = 0, hostend = n;
	const char *colon;

	if (n == 0 || n >= sizeof(((struct dbr_slug *)0)->host))
		return 0;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		if (!rb)
			return 0;
		for (i = 1; s + i < rb; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return 0;
		hostend = (size_t)(rb - s) + 1;
		if (hostend < n && s[hostend] != ':')
			return 0;
	} else {
		colon = memchr(s, ':', n);
		hostend = colon ? (size_t)(colon - s) : n;
		if (hostend == 0)
			return 0;
		for (i = 0; i < hostend; i++)
			if (!strchr(
			        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
			        s[i]))
				return 0;
	}
	if (hostend < n) {
		unsigned long port = 0;
		size_t k = hostend + 1;
		if (k == n || n - k > 5)
			return 0;
		for (; k < n; k++) {
			if (s[k] < '0' || s[k] > '9')
				return 0;
			port = port * 10 + (unsigned long)(s[k] - '0');
		}
		if (port == 0 || port > 65535)
			return 0;
	}
	return 1;
}

static int copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return bl_err(BL_EINVAL, "slug: name too long");
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

int dbr_slug_parse(const char *s, enum dbr_slug_kind kind, struct dbr_slug *out)
{
	static const char *const what[] = { "[HOST[:PORT]/]USER", "[HOST[:PORT]/]USER/REPO",
		                            "[HOST[:PORT]/]USER/REPO:TAG" };
	const char *p = s, *slash, *colon;
	size_t nslash = 0, base;
	struct dbr_semver v;

	memset(out, 0, sizeof(*out));
	for (const char *q = s; *q; q++)
		nslash += *q == '/';
	/* without a host: USER has no '/', USER/REPO[:TAG] one */
	base = kind == DBR_SLUG_USER ? 0 : 1;
	if (nslash != base && nslash != base + 1)
		return bl_err(BL_EINVAL, "'%.200s' is not of the form %s", s, what[kind]);
	if (nslash == base + 1) {
		slash = strchr(p, '/');
		if (!host_ok(p, (size_t)(slash - p)))
			return bl_err(BL_EINVAL, "'%.200s': bad registry host '%.*s'", s,
			              (int)(slash - p), p);
		BL_TRY(copy_part(out->host, sizeof(out->host), p, (size_t)(slash - p)));
		p = slash + 1;
	}
	slash = strchr(p, '/');
	if (kind == DBR_SLUG_USER) {
		if (!dbr_user_name_ok(p, strlen(p)))
			return bl_err(BL_EINVAL, "'%.200s': bad user name (want [A-Za-z0-9]+)", s);
		return copy_part(out->user, sizeof(out->user), p, strlen(p));
	}
	if (!slash || !dbr_user_name_ok(p, (size_t)(slash - p)))
		return bl_err(BL_EINVAL, "'%.200s': bad user name (want [A-Za-z0-9]+)", s);
	BL_TRY(copy_part(out->user, sizeof(out->user), p, (size_t)(slash - p)));
	p = slash + 1;
	colon = strchr(p, ':');
	if (kind == DBR_SLUG_REPO && colon)
		return bl_err(BL_EINVAL, "'%.200s' names a tag where a repository is expected", s);
	if (kind == DBR_SLUG_TAG && !colon)
		return bl_err(BL_EINVAL, "'%.200s' lacks ':TAG'", s);
	if (!dbr_repo_name_ok(p, colon ? (size_t)(colon - p) : strlen(p)))
		return bl_err(BL_EINVAL, "'%.200s': bad repository name (want [A-Za-z0-9-]+)", s);
	BL_TRY(copy_part(out->repo, sizeof(out->repo), p, colon ? (size_t)(colon - p) : strlen(p)));
	if (kind == DBR_SLUG_REPO)
		return 0;
	p = colon + 1;
	if (dbr_semver_parse(p, strlen(p), &v) < 0)
		return bl_err(BL_EINVAL, "'%.200s': the tag must be a semantic version", s);
	return copy_part(out->tag, sizeof(out->tag), p, strlen(p));
}

/* ---------------------------------------------------------------- client -- */

struct dbr_client *dbr_client_new(const struct dbr_client_opts *o)
{
	struct bl_http_opts ho = { .ca_file = o->ca_file,
		                   .cert_file = o->cert_file,
		                   .key_file = o->key_file,
		                   .timeout_ms = o->timeout_ms };
	struct dbr_client *c = calloc(1, sizeof(*c));

	if (!c) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	c->max_file = o->max_file ? o->max_file : DEFAULT_MAX_FILE;
	ho.max_body = c->max_file;
	c->progress = o->progress;
	c->progress_arg = o->progress_arg;
	if (o->token) {
		if (check_token_chars(o->token) < 0 ||
		    bl_buf_printf(&c->auth, "Authorization: Bearer %s", o->token) < 0)
			goto out_free;
	}
	if ((o->sign_key && !(c->sign_key = strdup(o->sign_key))) ||
	    (o->tag_jwks && !(c->tag_jwks = strdup(o->tag_jwks)))) {
		bl_err(BL_ENOMEM, "out of memory");
		goto out_free;
	}
#ifndef DBR_CLIENT_JWS
	if (o->tag_jwks) {
		bl_err(BL_EUNSUPP, "checking signed tags needs cjose, which this build lacks");
		goto out_free;
	}
#endif
	c->h = bl_http_new(o->url, &ho);
	if (!c->h)
		goto out_free;
	return c;
out_free:
	dbr_client_free(c);
	return NULL;
}

void dbr_client_free(struct dbr_client *c)
{
	if (!c)
		return;
	bl_http_free(c->h);
	bl_buf_free_secret(&c->auth);
	free(c->sign_key);
	free(c->tag_jwks);
	free(c);
}

/* A bearer token is a header value: printable ASCII only, so it cannot inject lines. */
static int check_token_chars(const char *t)
{
	if (!*t)
		return bl_err(BL_EINVAL, "the token is empty");
	for (const char *p = t; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return bl_err(BL_EINVAL, "the token contains a character that is not "
			                         "printable ASCII");
	return 0;
}

int dbr_token_subject(const char *jwt, struct bl_buf *out)
{
	const char *dot1 = strchr(jwt, '.'), *dot2;
	size_t n, got;
	uint8_t *raw;
	json_t *j;
	const char *sub;
	int rc;

	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (!dot2)
		return bl_err(BL_EINVAL, "the token is not a JWT (header.payload.signature)");
	n = (size_t)(dot2 - dot1 - 1);
	raw = malloc(n + 1);
	if (!raw)
		return bl_err(BL_ENOMEM, "out of memory");
	rc = bl_b64_decode(dot1 + 1, n, raw, n + 1, &got, 1);
	if (rc < 0) {
		rc = bl_err_wrap(rc, "JWT payload: ");
		goto out_free_raw;
	}
	j = json_loadb((const char *)raw, got, JSON_REJECT_DUPLICATES, NULL);
	sub = json_string_value(json_object_get(j, "sub"));
	if (!sub || !*sub)
		rc = bl_err(BL_EINVAL, "the token has no \"sub\" claim");
	else
		rc = bl_buf_puts(out, sub);
	json_decref(j);
out_free_raw:
	OPENSSL_cleanse(raw, n + 1);
	free(raw);
	return rc;
}

/* ------------------------------------------------------------- requests -- */

/* Every name that goes into a request path is checked here, whoever the caller. */
static int path_of(struct bl_buf *b, const char *user, const char *repo, const char *tail)
{
	if (!dbr_user_name_ok(user, strlen(user)))
		return bl_err(BL_EINVAL, "bad user name '%.100s' (want [A-Za-z0-9]+)", user);
	if (repo && !dbr_repo_name_ok(repo, strlen(repo)))
		return bl_err(BL_EINVAL, "bad repository name '%.100s' (want [A-Za-z0-9-]+)", repo);
	bl_buf_reset(b);
	BL_TRY(bl_buf_printf(b, DBR_API_PREFIX "/%s", user));
	if (repo)
		BL_TRY(bl_buf_printf(b, "/%s", repo));
	if (tail)
		BL_TRY(bl_buf_puts(b, tail));
	return 0;
}

static int tag_ok(const char *tag)
{
	struct dbr_semver v;

	return dbr_semver_parse(tag, strlen(tag), &v);
}

static int tree_path(struct bl_buf *b, const char *user, const char *repo, const char *tag,
                     const char *node)
{
	BL_TRY(tag_ok(tag));
	if (!dbr_tree_path_ok(node, strlen(node)))
		return bl_err(BL_EINVAL, "bad tree path '%.200s'", node);
	BL_TRY(path_of(b, user, repo, NULL));
	BL_TRY(bl_buf_printf(b, "/_tag/%s/tree", tag));
	if (node[0])
		BL_TRY(bl_buf_printf(b, "/%s", node));
	return 0;
}

/* The server's message: the first line of its body, printable, at most 200 bytes. */
static void server_message(const struct bl_buf *body, char *out, size_t cap)
{
	struct bl_cur cur = bl_cur_make(body->p, body->len);
	size_t n = 0;
	uint8_t ch = 0;

	while (n + 1 < cap && n < 200 && bl_cur_u8(&cur, &ch) == 0 && ch != '\n' && ch != '\r')
		out[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	out[n] = 0;
}

static int status_error(const char *method, const char *path, int status, const struct bl_buf *body)
{
	char msg[256];
	int code;

	server_message(body, msg, sizeof(msg));
	switch (status) {
	case 400: code = BL_EINVAL; break;
	case 401:
	case 403: code = BL_EPERM; break;
	case 404: code = BL_ENOENT; break;
	case 409: code = BL_EEXIST; break;
	case 413: code = BL_ERANGE; break;
	default: code = BL_EIO;
	}
	if (status == 401 && !msg[0])
		snprintf(msg, sizeof(msg), "authentication required (give a token)");
	return bl_err(code, "%s %s: HTTP %d%s%s", method, path, status, msg[0] ? ": " : "", msg);
}

struct call {
	const char *method;
	const char *path;
	const char *ctype; /* Content-Type of the body */
	const struct bl_digest_set *digest; /* Content-Digest of the body */
	const struct bl_http_body *body;
	int expect_continue;
	int (*on_headers)(void *, const struct bl_http_resp *);
	int (*on_body)(void *, const void *, size_t);
	void *arg;
	void (*on_upload)(void *, uint64_t, int64_t);
	uint64_t max_body; /* the answer's limit; 0: max_file */
};

static int call(struct dbr_client *c, const struct call *k, struct bl_http_resp *resp)
{
	struct bl_buf ct = BL_BUF_INIT, cd = BL_BUF_INIT;
	const char *hdrs[5];
	size_t nh = 0;
	struct bl_http_req req = { .method = k->method,
		                   .target = k->path,
		                   .headers = hdrs,
		                   .body = k->body,
		                   .on_headers = k->on_headers,
		                   .on_body = k->on_body,
		                   .arg = k->arg,
		                   .on_upload = k->on_upload,
		                   .expect_continue = k->expect_continue,
		                   .max_body = k->max_body };
	int rc;

	if (c->auth.len)
		hdrs[nh++] = (const char *)c->auth.p;
	if (k->ctype) {
		BL_TRY_GOTO(rc, bl_buf_printf(&ct, "Content-Type: %s", k->ctype), out_free);
		hdrs[nh++] = (const char *)ct.p;
	}
	if (k->digest) {
		BL_TRY_GOTO(rc, bl_buf_puts(&cd, "Content-Digest: "), out_free);
		BL_TRY_GOTO(rc, dbr_digest_header(k->digest, &cd), out_free);
		hdrs[nh++] = (const char *)cd.p;
	}
	hdrs[nh] = NULL;
	rc = bl_http_do(c->h, &req, resp);
	if (rc < 0)
		rc = bl_err_wrap(rc, "%s %s: ", k->method, k->path);
out_free:
	bl_buf_free(&ct);
	bl_buf_free(&cd);
	return rc;
}

/* A request whose answer is small: collects it, fails on a status other than ok1/ok2. */
static int simple(struct dbr_client *c, const char *method, const char *path, const char *ctype,
                  const void *body, size_t blen, int ok1, int ok2, struct bl_buf *out, int *status)
{
	struct bl_digest_set dig;
	struct bl_http_body b = { .data = body, .fd = -1, .len = (int64_t)blen };
	struct call k = { .method = method, .path = path, .max_body = MAX_JSON_BYTES };
	struct bl_http_resp resp;
	int rc;

	if (body) {
		struct bl_digester *d = bl_digester_new(DIG_MASK);
		if (!d)
			return BL_ENOMEM;
		rc = bl_digester_update(d, body, blen);
		if (rc == 0)
			rc = bl_digester_final(d, &dig);
		bl_digester_free(d);
		BL_TRY(rc);
		k.ctype = ctype;
		k.digest = &dig;
		k.body = &b;
	}
	rc = call(c, &k, &resp);
	if (rc < 0)
		goto out_free;
	if (status)
		*status = resp.status;
	if (resp.status != ok1 && resp.status != ok2) {
		rc = status_error(method, path, resp.status, &resp.body);
		goto out_free;
	}
	if (resp.body.len > MAX_JSON_BYTES) {
		rc = bl_err(BL_ERANGE, "%s %s: answer of %zu bytes is too large", method, path,
		            resp.body.len);
		goto out_free;
	}
	if (out)
		rc = bl_buf_append(out, resp.body.p, resp.body.len);
out_free:
	bl_http_resp_free(&resp);
	return rc;
}

/* PUT j (kept by the caller) as JSON at path_of(user, repo, tail). */
static int put_json(struct dbr_client *c, const char *user, const char *repo, const char *tail,
                    json_t *j)
{
	struct bl_buf path = BL_BUF_INIT;
	char *txt;
	int rc;

	BL_TRY_GOTO(rc, path_of(&path, user, repo, tail), out_free_path);
	txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!txt) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_path;
	}
	rc = simple(c, "PUT", (const char *)path.p, "application/json", txt, strlen(txt), 201, 200,
	            NULL, NULL);
	free(txt);
out_free_path:
	bl_buf_free(&path);
	return rc;
}

/* GET path_of(user, repo, tail) into out (200 only). */
static int get_at(struct dbr_client *c, const char *user, const char *repo, const char *tail,
                  struct bl_buf *out)
{
	struct bl_buf path = BL_BUF_INIT;
	int rc = path_of(&path, user, repo, tail);

	if (rc == 0)
		rc = simple(c, "GET", (const char *)path.p, NULL, NULL, 0, 200, 200, out, NULL);
	bl_buf_free(&path);
	return rc;
}

/* ------------------------------------------------- users, repositories -- */

int dbr_user_register(struct dbr_client *c, const char *user, const char *subject, const char *jwks)
{
	json_t *j, *keys = NULL;
	json_error_t jerr;
	int rc;

	if (!dbr_user_name_ok(user, strlen(user)))
		return bl_err(BL_EINVAL, "bad user name '%.100s'", user);
	if (jwks) {
		keys = json_loads(jwks, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(keys) || !json_is_array(json_object_get(keys, "keys"))) {
			json_decref(keys);
			return bl_err(BL_EINVAL, "the JWK set is not {\"keys\":[…]}: %s",
			              keys ? "no keys array" : jerr.text);
		}
		j = json_pack("{s:s,s:o}", "subject", subject, "jwks", keys);
	} else {
		j = json_pack("{s:s}", "subject", subject);
	}
	if (!j)
		return bl_err(BL_ENOMEM, "out of memory");
	rc = put_json(c, user, NULL, NULL, j);
	json_decref(j);
	return rc;
}

int dbr_user_info(struct dbr_client *c, const char *user, struct bl_buf *out)
{
	return get_at(c, user, NULL, NULL, out);
}

int dbr_repo_register(struct dbr_client *c, const char *user, const char *repo, int public_)
{
	json_t *j = json_pack("{s:b}", "public", public_);
	int rc;

	if (!j)
		return bl_err(BL_ENOMEM, "out of memory");
	rc = put_json(c, user, repo, NULL, j);
	json_decref(j);
	return rc;
}

int dbr_repo_info(struct dbr_client *c, const char *user, const char *repo, struct bl_buf *out)
{
	return get_at(c, user, repo, NULL, out);
}

void dbr_tag_list_free(char **tags, size_t n)
{
	for (size_t i = 0; tags && i < n; i++)
		free(tags[i]);
	free(tags);
}

static int tag_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	struct dbr_semver vx, vy;

	/* both parsed before sorting */
	if (dbr_semver_parse(x, strlen(x), &vx) < 0 || dbr_semver_parse(y, strlen(y), &vy) < 0)
		return strcmp(x, y);
	return dbr_semver_cmp(&vx, &vy);
}

int dbr_tag_list(struct dbr_client *c, const char *user, const char *repo, char ***tags, size_t *n)
{
	struct bl_buf body = BL_BUF_INIT;
	json_t *j = NULL, *v;
	char **out = NULL;
	size_t i, cnt = 0;
	int rc;

	*tags = NULL;
	*n = 0;
	BL_TRY_GOTO(rc, get_at(c, user, repo, "/_tag", &body), out_free);
	j = json_loadb((const char *)body.p, body.len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_array(j)) {
		rc = bl_err(BL_EINVAL, "tag list: the answer is not a JSON array");
		goto out_free;
	}
	out = calloc(json_array_size(j) + 1, sizeof(char *));
	if (!out) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free;
	}
	json_array_foreach(j, i, v)
	{
		const char *t = json_string_value(v);
		struct dbr_semver sv;

		if (!t || dbr_semver_parse(t, strlen(t), &sv) < 0) {
			rc = bl_err(BL_EINVAL, "tag list: entry %zu is not a semantic version", i);
			goto out_free;
		}
		out[cnt] = strdup(t);
		if (!out[cnt]) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_free;
		}
		cnt++;
	}
	if (cnt)
		qsort(out, cnt, sizeof(char *), tag_cmp);
	*tags = out;
	*n = cnt;
	out = NULL;
	rc = 0;
out_free:
	dbr_tag_list_free(out, cnt);
	json_decref(j);
	bl_buf_free(&body);
	return rc;
}

int dbr_access_grant(struct dbr_client *c, const char *user, const char *repo, const char *member,
                     const char *access)
{
	struct bl_buf tail = BL_BUF_INIT;
	json_t *j;
	int rc;

	if (!dbr_user_name_ok(member, strlen(member)))
		return bl_err(BL_EINVAL, "bad user name '%.100s'", member);
	if (strcmp(access, "read") && strcmp(access, "write"))
		return bl_err(BL_EINVAL, "access must be read or write, not '%.20s'", access);
	j = json_pack("{s:s}", "access", access);
	if (!j)
		return bl_err(BL_ENOMEM, "out of memory");
	rc = bl_buf_printf(&tail, "/_access/%s", member);
	if (rc == 0)
		rc = put_json(c, user, repo, (const char *)tail.p, j);
	json_decref(j);
	bl_buf_free(&tail);
	return rc;
}

int dbr_access_revoke(struct dbr_client *c, const char *user, const char *repo, const char *member)
{
	struct bl_buf path = BL_BUF_INIT, tail = BL_BUF_INIT;
	int rc;

	if (!dbr_user_name_ok(member, strlen(member)))
		return bl_err(BL_EINVAL, "bad user name '%.100s'", member);
	rc = bl_buf_printf(&tail, "/_access/%s", member);
	if (rc == 0)
		rc = path_of(&path, user, repo, (const char *)tail.p);
	if (rc == 0)
		rc = simple(c, "DELETE", (const char *)path.p, NULL, NULL, 0, 204, 200, NULL, NULL);
	bl_buf_free(&tail);
	bl_buf_free(&path);
	return rc;
}

int dbr_access_list(struct dbr_client *c, const char *user, const char *repo, struct bl_buf *out)
{
	return get_at(c, user, repo, "/_access", out);
}

/* -------------------------------------------------------------- publish -- */

struct pnode {
	char *path; /* relative to the tree root; "" for the root */
	int is_dir;
	struct dbr_entry entry;
	struct bl_buf json; /* a directory's canonical listing */
	dev_t dev; /* a file's identity when it was hashed */
	ino_t ino;
};

struct pub {
	struct dbr_client *c;
	struct pnode *v; /* parents before children (pre-order) */
	size_t n, cap;
	uint64_t bytes;
};

static const char *file_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && !strcmp(dot, ".wasm"))
		return "application/wasm";
	if (dot && !strcmp(dot, ".toml"))
		return "application/toml";
	return "application/octet-stream";
}

static int pub_add(struct pub *pb, const char *path, int is_dir, size_t *idx)
{
	if (pb->n == MAX_NODES)
		return bl_err(BL_ERANGE, "the tree has more than %d nodes", MAX_NODES);
	if (pb->n == pb->cap) {
		size_t cap = pb->cap ? pb->cap * 2 : 64;
		struct pnode *v = realloc(pb->v, cap * sizeof(*v));
		if (!v)
			return bl_err(BL_ENOMEM, "out of memory");
		pb->v = v;
		pb->cap = cap;
	}
	memset(&pb->v[pb->n], 0, sizeof(pb->v[0]));
	pb->v[pb->n].path = strdup(path);
	if (!pb->v[pb->n].path)
		return bl_err(BL_ENOMEM, "out of memory");
	pb->v[pb->n].is_dir = is_dir;
	*idx = pb->n++;
	return 0;
}

static void pub_free(struct pub *pb)
{
	for (size_t i = 0; i < pb->n; i++) {
		free(pb->v[i].path);
		bl_buf_free(&pb->v[i].json);
	}
	free(pb->v);
}

static int join(char *out, size_t cap, const char *dir, const char *name)
{
	int k = snprintf(out, cap, "%s%s%s", dir, dir[0] ? "/" : "", name);

	if (k < 0 || (size_t)k >= cap)
		return bl_err(BL_ERANGE, "path '%s/%s' is too long", dir, name);
	return 0;
}

static int hash_file(struct pub *pb, int dirfd, const char *name, const char *rel,
                     struct dbr_entry *e, struct pnode *pn)
{
	struct bl_digest_set dig;
	struct stat st;
	uint64_t total = 0;
	int fd, rc;

	/* O_NONBLOCK: a FIFO swapped in since fstatat must not block open(2) */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return bl_err(BL_EIO, "%s: %s", rel, strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = bl_err(BL_EIO, "%s: %s", rel, strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = bl_err(BL_EINVAL, "%s: special files are not published", rel);
		goto out_close;
	}
	if ((uint64_t)st.st_size > pb->c->max_file) {
		rc = bl_err(BL_ERANGE, "%s: %lld bytes is above the limit of %llu", rel,
		            (long long)st.st_size, (unsigned long long)pb->c->max_file);
		goto out_close;
	}
	rc = bl_digest_fd(fd, DIG_MASK, &dig, &total);
	if (rc < 0) {
		rc = bl_err_wrap(rc, "%s: ", rel);
		goto out_close;
	}
	if (total != (uint64_t)st.st_size) {
		rc = bl_err(BL_EIO, "%s changed while it was read", rel);
		goto out_close;
	}
	memset(e, 0, sizeof(*e));
	e->digest = dig;
	e->length = total;
	snprintf(e->type, sizeof(e->type), "%s", file_type(name));
	pn->dev = st.st_dev;
	pn->ino = st.st_ino;
	pb->bytes += total;
out_close:
	close(fd);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a directory's names, sorted (so the pre-order is deterministic). */
static int list_names(int dirfd, const char *rel, char ***names, size_t *n)
{
	DIR *dir;
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int fd = dup(dirfd), rc = 0;

	*names = NULL;
	*n = 0;
	if (fd < 0 || !(dir = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return bl_err(BL_EIO, "%s: %s", rel[0] ? rel : ".", strerror(errno));
	}
	rewinddir(dir);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt == cap) {
			char **nv;
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = bl_err(BL_ENOMEM, "out of memory");
				goto out_close;
			}
			v = nv;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_close;
		}
		cnt++;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
out_close:
	closedir(dir);
	if (rc < 0) {
		dbr_tag_list_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

static int hash_dir(struct pub *pb, int dirfd, const char *rel, int depth, struct dbr_entry *out)
{
	struct dbr_dir dir = { 0 };
	char **names = NULL;
	size_t nnames = 0, idx;
	char child[4096];
	int rc;

	if (depth > MAX_DEPTH)
		return bl_err(BL_ERANGE, "%s: the tree is deeper than %d levels", rel, MAX_DEPTH);
	BL_TRY(pub_add(pb, rel, 1, &idx));
	BL_TRY(list_names(dirfd, rel, &names, &nnames));
	for (size_t i = 0; i < nnames; i++) {
		struct dbr_entry e;
		struct stat st;
		size_t cidx;

		BL_TRY_GOTO(rc, join(child, sizeof(child), rel, names[i]), out_free);
		if (!dbr_node_name_ok(names[i], strlen(names[i]))) {
			rc = bl_err(BL_EINVAL,
			            "%s: the name is not allowed (want [A-Za-z0-9._:-]+)", child);
			goto out_free;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = bl_err(BL_EIO, "%s: %s", child, strerror(errno));
			goto out_free;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, names[i],
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = bl_err(BL_EIO, "%s: %s", child, strerror(errno));
				goto out_free;
			}
			rc = hash_dir(pb, sub, child, depth + 1, &e);
			close(sub);
		} else if (S_ISREG(st.st_mode)) {
			rc = pub_add(pb, child, 0, &cidx);
			if (rc == 0)
				rc = hash_file(pb, dirfd, names[i], child, &e, &pb->v[cidx]);
			if (rc == 0)
				pb->v[cidx].entry = e;
		} else {
			rc = bl_err(BL_EINVAL, "%s: %s are not published", child,
			            S_ISLNK(st.st_mode) ? "symbolic links" : "special files");
		}
		if (rc < 0)
			goto out_free;
		BL_TRY_GOTO(rc, dbr_dir_add(&dir, names[i], &e), out_free);
	}
	BL_TRY_GOTO(rc, dbr_dir_format(&dir, &pb->v[idx].json), out_free);
	BL_TRY_GOTO(rc,
	            dbr_entry_of_bytes(pb->v[idx].json.p, pb->v[idx].json.len, DBR_TYPE_DIRECTORY,
	                               DIG_MASK, &pb->v[idx].entry),
	            out_free);
	*out = pb->v[idx].entry;
out_free:
	dbr_tag_list_free(names, nnames);
	dbr_dir_free(&dir);
	return rc;
}

static void upload_progress(void *arg, uint64_t sent, int64_t total)
{
	struct dbr_client *c = arg;

	(void)total;
	if (c->progress)
		c->progress(c->progress_arg, c->done + sent, c->total);
}

/* HEAD a node already present and check that it is ours. */
static int node_same(struct dbr_client *c, const char *path, const struct dbr_entry *e)
{
	struct call k = { .method = "HEAD", .path = path };
	struct bl_http_resp resp;
	struct bl_digest_set theirs;
	const char *cd;
	int rc = call(c, &k, &resp);

	if (rc < 0)
		goto out_free;
	if (resp.status != 200) {
		rc = status_error("HEAD", path, resp.status, &resp.body);
		goto out_free;
	}
	cd = bl_http_resp_header(&resp, "Content-Digest");
	if (!cd || bl_content_digest_parse(cd, strlen(cd), &theirs) < 0 ||
	    bl_dset_verify(&theirs, &e->digest) < 0 || resp.content_length != (int64_t)e->length) {
		rc = bl_err(BL_EEXIST, "%s exists with other content", path);
		goto out_free;
	}
	rc = 0;
out_free:
	bl_http_resp_free(&resp);
	return rc;
}

static int put_node(struct dbr_client *c, const char *path, const struct pnode *pn, int rootfd,
                    struct dbr_publish_stats *st)
{
	struct bl_http_body b = { .fd = -1, .len = (int64_t)pn->entry.length };
	struct call k = { .method = "PUT",
		          .path = path,
		          .ctype = pn->entry.type,
		          .digest = &pn->entry.digest,
		          .body = &b,
		          .on_upload = pn->is_dir ? NULL : upload_progress,
		          .arg = c,
		          /* a refusal (401, 413) comes before a large body is sent */
		          .expect_continue = !pn->is_dir && pn->entry.length >= EXPECT_MIN };
	struct bl_http_resp resp;
	int rc;

	if (pn->is_dir) {
		b.data = pn->json.p;
	} else {
		struct stat sb;

		b.fd = openat(rootfd, pn->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (b.fd < 0)
			return bl_err(BL_EIO, "%s: %s", pn->path, strerror(errno));
		/*
		 * The path is walked again: O_NOFOLLOW guards only its last
		 * component, so a directory swapped for a link since hashing
		 * would lead outside the tree. Only the hashed file is sent
		 * (inode numbers are recycled, so also: a regular file of the
		 * hashed size; a same-size rewrite is the server's digest check).
		 */
		if (fstat(b.fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_dev != pn->dev ||
		    sb.st_ino != pn->ino || (uint64_t)sb.st_size != pn->entry.length) {
			rc = bl_err(BL_EIO, "%s was replaced after it was hashed", pn->path);
			close(b.fd);
			return rc;
		}
	}
	rc = call(c, &k, &resp);
	if (rc < 0)
		goto out_free;
	if (resp.status == 201 || resp.status == 200) {
		st->created++;
	} else if (resp.status == 409) {
		BL_TRY_GOTO(rc, node_same(c, path, &pn->entry), out_free);
		st->present++;
	} else {
		rc = status_error("PUT", path, resp.status, &resp.body);
	}
	if (!pn->is_dir)
		c->done += pn->entry.length;
out_free:
	bl_http_resp_free(&resp);
	if (b.fd >= 0)
		close(b.fd);
	return rc;
}

/* Append base64url (no padding) of p[0..n). */
static int b64u(struct bl_buf *out, const void *p, size_t n)
{
	return bl_b64_encode(out, p, n, 1);
}

/* An ECDSA signature in DER as JWS wants it: r || s, each `half` bytes (RFC 7518 §3.4). */
static int ecdsa_raw(const uint8_t *der, size_t dlen, size_t half, uint8_t *out)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	const BIGNUM *r, *sv;
	int rc = 0;

	if (!sig)
		return bl_err(BL_EINTERNAL, "ECDSA signature not DER");
	ECDSA_SIG_get0(sig, &r, &sv);
	if (BN_bn2binpad(r, out, (int)half) < 0 || BN_bn2binpad(sv, out + half, (int)half) < 0)
		rc = bl_err(BL_EINTERNAL, "ECDSA signature too large");
	ECDSA_SIG_free(sig);
	return rc;
}

/*
 * The tag body as a flattened JWS (RFC 7515 §7.2.2) over `payload`, signed
 * with the PEM key at key_path: ES256 for P-256 keys, RS256 for RSA keys.
 */
static int jws_sign(const char *key_path, const struct bl_buf *payload, struct bl_buf *out)
{
	struct bl_buf prot = BL_BUF_INIT, pl = BL_BUF_INIT, input = BL_BUF_INIT,
	              sig64 = BL_BUF_INIT;
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *key = NULL;
	uint8_t *sig = NULL, raw[64];
	size_t slen = 0;
	const char *alg;
	char group[32] = "";
	FILE *f = fopen(key_path, "r");
	int rc;

	if (!f)
		return bl_err(BL_EIO, "%s: %s", key_path, strerror(errno));
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key)
		return bl_err(BL_EINVAL, "%s: not a PEM private key", key_path);
	if (EVP_PKEY_is_a(key, "EC") &&
	    EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof(group), NULL) == 1 &&
	    !strcmp(group, "prime256v1")) {
		alg = "ES256";
	} else if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048) {
		alg = "RS256";
	} else {
		rc = bl_err(BL_EUNSUPP, "%s: want an EC P-256 or RSA (>= 2048 bits) key", key_path);
		goto out_free;
	}
	BL_TRY_GOTO(rc, bl_buf_printf(&input, "{\"alg\":\"%s\"}", alg), out_free);
	BL_TRY_GOTO(rc, b64u(&prot, input.p, input.len), out_free);
	BL_TRY_GOTO(rc, b64u(&pl, payload->p, payload->len), out_free);
	bl_buf_reset(&input);
	BL_TRY_GOTO(rc, bl_buf_printf(&input, "%s.%s", (char *)prot.p, (char *)pl.p), out_free);
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &slen, input.p, input.len) != 1 || !(sig = malloc(slen)) ||
	    EVP_DigestSign(md, sig, &slen, input.p, input.len) != 1) {
		rc = bl_err(BL_EINTERNAL, "signing the tag failed");
		goto out_free;
	}
	if (!strcmp(alg, "ES256")) {
		BL_TRY_GOTO(rc, ecdsa_raw(sig, slen, 32, raw), out_free);
		BL_TRY_GOTO(rc, b64u(&sig64, raw, sizeof(raw)), out_free);
	} else {
		BL_TRY_GOTO(rc, b64u(&sig64, sig, slen), out_free);
	}
	/* canonical: compact, keys sorted */
	rc = bl_buf_printf(out, "{\"payload\":\"%s\",\"protected\":\"%s\",\"signature\":\"%s\"}",
	                   (char *)pl.p, (char *)prot.p, (char *)sig64.p);
out_free:
	free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	bl_buf_free(&prot);
	bl_buf_free(&pl);
	bl_buf_free(&input);
	bl_buf_free(&sig64);
	return rc;
}

static int get_small(struct dbr_client *c, const char *path, size_t limit, struct bl_buf *out,
                     char *ctype, size_t ctcap);

/*
 * PUT the tag (plain entry, or a JWS over it with opts.sign_key); a 409 is
 * fine when the stored tag carries the same root entry (a resumed publish).
 */
static int put_tag(struct dbr_client *c, const char *user, const char *repo, const char *tag,
                   const struct bl_buf *entry, const struct dbr_entry *root,
                   struct dbr_publish_stats *st)
{
	struct bl_buf path = BL_BUF_INIT, have = BL_BUF_INIT, jws = BL_BUF_INIT;
	const struct bl_buf *body = entry;
	const char *ctype = DBR_TYPE_ENTRY;
	struct dbr_entry theirs;
	char htype[DBR_TYPE_MAX + 1];
	int rc, status = 0, sig;

	if (c->sign_key) {
		BL_TRY_GOTO(rc, jws_sign(c->sign_key, entry, &jws), out_free);
		body = &jws;
		ctype = DBR_TYPE_JWS;
		st->signed_tag = 1;
	}
	BL_TRY_GOTO(rc, tag_ok(tag), out_free);
	BL_TRY_GOTO(rc, path_of(&path, user, repo, "/_tag/"), out_free);
	BL_TRY_GOTO(rc, bl_buf_puts(&path, tag), out_free);
	rc = simple(c, "PUT", (const char *)path.p, ctype, body->p, body->len, 201, 200, NULL,
	            &status);
	if (rc == BL_EEXIST && status == 409) {
		BL_TRY_GOTO(
		    rc,
		    get_small(c, (const char *)path.p, MAX_TAG_BYTES, &have, htype, sizeof(htype)),
		    out_free);
		rc = dbr_tag_entry_parse(htype, have.p, have.len, &theirs, &sig);
		if (rc == 0)
			rc = dbr_entry_match(&theirs, root);
		if (rc == 0)
			rc = dbr_entry_match(root, &theirs);
		if (rc < 0) {
			rc = bl_err(BL_EEXIST,
			            "tag %s/%s:%s already exists with other content (tags are "
			            "immutable)",
			            user, repo, tag);
			goto out_free;
		}
		st->tag_existed = 1;
	}
out_free:
	bl_buf_free(&jws);
	bl_buf_free(&have);
	bl_buf_free(&path);
	return rc;
}

int dbr_publish(struct dbr_client *c, const char *user, const char *repo, const char *tag,
                const char *dir, struct dbr_publish_stats *st)
{
	struct pub pb = { .c = c };
	struct bl_buf body = BL_BUF_INIT, path = BL_BUF_INIT;
	struct dbr_entry root;
	int rootfd, rc;

	memset(st, 0, sizeof(*st));
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return bl_err(BL_EIO, "%s: %s", dir, strerror(errno));
	/* 1. hash everything, bottom-up, before sending anything */
	BL_TRY_GOTO(rc, hash_dir(&pb, rootfd, "", 0, &root), out_free);
	for (size_t i = 0; i < pb.n; i++) {
		if (pb.v[i].is_dir)
			st->dirs++;
		else
			st->files++;
	}
	st->bytes = pb.bytes;
	st->root = root;
	c->done = 0;
	c->total = pb.bytes;
	/* 2. the tag, holding the root entry */
	BL_TRY_GOTO(rc, dbr_entry_format(&root, &body), out_free);
	BL_TRY_GOTO(rc, put_tag(c, user, repo, tag, &body, &root, st), out_free);
	/* 3. the nodes, each after its parent */
	for (size_t i = 0; i < pb.n; i++) {
		BL_TRY_GOTO(rc, tree_path(&path, user, repo, tag, pb.v[i].path), out_free);
		BL_TRY_GOTO(rc, put_node(c, (const char *)path.p, &pb.v[i], rootfd, st), out_free);
	}
	if (c->progress)
		c->progress(c->progress_arg, c->total, c->total);
	rc = 0;
out_free:
	bl_buf_free(&path);
	bl_buf_free(&body);
	pub_free(&pb);
	close(rootfd);
	return rc;
}

/* ---------------------------------------------------------------- fetch -- */

int dbr_tag_entry_parse(const char *ctype, const void *body, size_t n, struct dbr_entry *e,
                        int *signed_tag)
{
	struct bl_cur cur;
	json_t *j = NULL;
	const char *payload;
	uint8_t *raw = NULL;
	size_t plen, got;
	int rc;

	*signed_tag = 0;
	if (ctype && !strncmp(ctype, DBR_TYPE_JWS, strlen(DBR_TYPE_JWS))) {
		*signed_tag = 1;
		j = json_loadb(body, n, JSON_REJECT_DUPLICATES, NULL);
		payload = json_string_value(json_object_get(j, "payload"));
		if (!payload) {
			rc = bl_err(BL_EINVAL, "signed tag: no JWS payload");
			goto out_free;
		}
		plen = strlen(payload);
		raw = malloc(plen + 1);
		if (!raw) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_free;
		}
		BL_TRY_GOTO(rc, bl_b64_decode(payload, plen, raw, plen + 1, &got, 1), out_free);
		cur = bl_cur_make(raw, got);
	} else {
		cur = bl_cur_make(body, n);
	}
	rc = dbr_entry_parse(&cur, e);
	if (rc == 0)
		rc = bl_cur_expect_end(&cur, "tag entry");
	if (rc < 0)
		rc = bl_err_wrap(rc, "tag entry: ");
out_free:
	free(raw);
	json_decref(j);
	return rc;
}

/*
 * Every Content-Digest field line of a response, merged (RFC 9110 §5.3: lines
 * of one field form one list), so that no given digest goes unchecked. One
 * algorithm with two values is refused. *found: whether there was any.
 */
static int resp_digests(const struct bl_http_resp *r, const char *path, struct bl_digest_set *out,
                        int *found)
{
	memset(out, 0, sizeof(*out));
	*found = 0;
	for (size_t i = 0; i < r->nheaders; i++) {
		struct bl_digest_set one;

		if (strcasecmp(r->names[i], "Content-Digest"))
			continue;
		*found = 1;
		if (bl_content_digest_parse(r->values[i], strlen(r->values[i]), &one) < 0)
			return bl_err_wrap(BL_EVERIFY, "%s: Content-Digest: ", path);
		for (int a = 0; a < BL_DIG_COUNT; a++) {
			if (!bl_dset_has(&one, a))
				continue;
			if (bl_dset_has(out, a) &&
			    memcmp(out->val[a], one.val[a], bl_dig_size((enum bl_dig_alg)a)))
				return bl_err(BL_EVERIFY,
				              "%s: Content-Digest gives %s twice, differently",
				              path, bl_dig_name((enum bl_dig_alg)a));
			memcpy(out->val[a], one.val[a], bl_dig_size((enum bl_dig_alg)a));
			out->mask |= 1u << a;
		}
	}
	return 0;
}

/* Check a response's Content-Digest (required) against what we computed. */
static int check_content_digest(const struct bl_http_resp *resp, const struct bl_digest_set *have,
                                const char *path)
{
	struct bl_digest_set claimed;
	int found;

	BL_TRY(resp_digests(resp, path, &claimed, &found));
	if (!found)
		return bl_err(BL_EVERIFY, "%s: the answer has no Content-Digest", path);
	if (bl_dset_verify(&claimed, have) < 0)
		return bl_err_wrap(BL_EVERIFY,
		                   "%s: body does not match its Content-Digest: ", path);
	return 0;
}

struct small {
	const char *path;
	size_t limit;
};

/* A small node's answer announcing more than its limit is refused at its head. */
static int small_headers(void *arg, const struct bl_http_resp *r)
{
	const struct small *sm = arg;

	if (r->status == 200 && r->content_length > (int64_t)sm->limit)
		return bl_err(BL_EVERIFY, "%s: %lld bytes where at most %zu are expected", sm->path,
		              (long long)r->content_length, sm->limit);
	return 0;
}

/*
 * GET a small node (tag body or directory listing) into out, at most `limit`
 * bytes; its Content-Digest is checked. *ctype gets the Content-Type.
 */
static int get_small(struct dbr_client *c, const char *path, size_t limit, struct bl_buf *out,
                     char *ctype, size_t ctcap)
{
	struct small sm = { .path = path, .limit = limit };
	/* an error answer's message may be longer than a tiny node */
	struct call k = { .method = "GET",
		          .path = path,
		          .on_headers = small_headers,
		          .arg = &sm,
		          .max_body = limit > 4096 ? limit : 4096 };
	struct bl_http_resp resp;
	struct bl_digest_set have;
	const char *ct;
	unsigned mask = (1u << BL_DIG_COUNT) - 1;
	struct bl_digester *d = NULL;
	int rc = call(c, &k, &resp);

	if (rc < 0)
		goto out_free;
	if (resp.status != 200) {
		rc = status_error("GET", path, resp.status, &resp.body);
		goto out_free;
	}
	if (resp.body.len > limit) {
		rc = bl_err(BL_EVERIFY, "%s: %zu bytes where at most %zu are expected", path,
		            resp.body.len, limit);
		goto out_free;
	}
	d = bl_digester_new(mask);
	if (!d) {
		rc = BL_ENOMEM;
		goto out_free;
	}
	BL_TRY_GOTO(rc, bl_digester_update(d, resp.body.p, resp.body.len), out_free);
	BL_TRY_GOTO(rc, bl_digester_final(d, &have), out_free);
	BL_TRY_GOTO(rc, check_content_digest(&resp, &have, path), out_free);
	ct = bl_http_resp_header(&resp, "Content-Type");
	snprintf(ctype, ctcap, "%s", ct ? ct : "");
	rc = bl_buf_append(out, resp.body.p, resp.body.len);
out_free:
	bl_digester_free(d);
	bl_http_resp_free(&resp);
	return rc;
}

/* A file to download, found while walking the listings. */
struct pending {
	char *path; /* relative to the tree root */
	struct dbr_entry entry;
};

struct fetch {
	struct dbr_client *c;
	const char *user, *repo, *tag;
	struct dbr_fetch_stats *st;
	unsigned nodes;
	struct pending *files;
	size_t nfiles, cap;
	uint64_t total; /* bytes the listings promise */
};

static int pending_add(struct fetch *f, const char *path, const struct dbr_entry *e)
{
	if (f->nfiles == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct pending *v = realloc(f->files, cap * sizeof(*v));
		if (!v)
			return bl_err(BL_ENOMEM, "out of memory");
		f->files = v;
		f->cap = cap;
	}
	f->files[f->nfiles].path = strdup(path);
	if (!f->files[f->nfiles].path)
		return bl_err(BL_ENOMEM, "out of memory");
	f->files[f->nfiles].entry = *e;
	f->nfiles++;
	f->total += e->length;
	return 0;
}

static void fetch_free(struct fetch *f)
{
	for (size_t i = 0; i < f->nfiles; i++)
		free(f->files[i].path);
	free(f->files);
}

/* Streaming download of one file node into fd. */
struct dl {
	struct dbr_client *c;
	int fd;
	const struct dbr_entry *expected;
	const char *path;
	struct bl_digester *d;
	uint64_t got;
	int status;
	struct bl_buf err; /* a failure's body */
};

static int dl_headers(void *arg, const struct bl_http_resp *r)
{
	struct dl *x = arg;
	struct bl_digest_set claimed = { 0 };
	int found;

	x->status = r->status;
	if (r->status != 200)
		return 0;
	/* hash with what the parent and the answer name, nothing more */
	BL_TRY(resp_digests(r, x->path, &claimed, &found));
	x->d = bl_digester_new(x->expected->digest.mask | claimed.mask);
	if (!x->d)
		return BL_ENOMEM;
	if (r->content_length >= 0 && (uint64_t)r->content_length != x->expected->length)
		return bl_err(BL_EVERIFY, "%s: %lld bytes announced, the parent says %llu", x->path,
		              (long long)r->content_length,
		              (unsigned long long)x->expected->length);
	return 0;
}

static int dl_body(void *arg, const void *p, size_t n)
{
	struct dl *x = arg;
	const uint8_t *b = p;

	if (x->status != 200) {
		size_t room = 512 - x->err.len;
		return bl_buf_append(&x->err, p, n < room ? n : room);
	}
	if (n > x->expected->length - x->got)
		return bl_err(BL_EVERIFY, "%s: longer than the %llu bytes its parent says", x->path,
		              (unsigned long long)x->expected->length);
	x->got += n;
	BL_TRY(bl_digester_update(x->d, p, n));
	while (n) {
		ssize_t w = write(x->fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bl_err(BL_EIO, "writing %s: %s", x->path, strerror(errno));
		b += w;
		n -= (size_t)w;
	}
	if (x->c->progress)
		x->c->progress(x->c->progress_arg, x->c->done + x->got, x->c->total);
	return 0;
}

static int fetch_file(struct fetch *f, const char *path, const struct dbr_entry *e, int fd)
{
	struct dl x = { .c = f->c, .fd = fd, .expected = e, .path = path };
	struct call k = { .method = "GET",
		          .path = path,
		          .on_headers = dl_headers,
		          .on_body = dl_body,
		          .arg = &x };
	struct bl_http_resp resp;
	struct dbr_entry actual;
	const char *ct;
	int rc;

	if (e->length > f->c->max_file)
		return bl_err(BL_ERANGE, "%s: %llu bytes is above the limit of %llu", path,
		              (unsigned long long)e->length, (unsigned long long)f->c->max_file);
	rc = call(f->c, &k, &resp);
	if (rc < 0)
		goto out_free;
	if (resp.status != 200) {
		rc = status_error("GET", path, resp.status, &x.err);
		goto out_free;
	}
	if (BL_NEVER(!x.d)) {
		rc = bl_err(BL_EINTERNAL, "%s: no digester", path);
		goto out_free;
	}
	memset(&actual, 0, sizeof(actual));
	BL_TRY_GOTO(rc, bl_digester_final(x.d, &actual.digest), out_free);
	BL_TRY_GOTO(rc, check_content_digest(&resp, &actual.digest, path), out_free);
	actual.length = x.got;
	ct = bl_http_resp_header(&resp, "Content-Type");
	snprintf(actual.type, sizeof(actual.type), "%s", ct ? ct : "");
	rc = dbr_entry_match(e, &actual);
	if (rc < 0) {
		rc = bl_err_wrap(rc, "%s: does not match its parent's entry: ", path);
		goto out_free;
	}
	f->c->done += x.got;
	f->st->files++;
	f->st->bytes += x.got;
out_free:
	bl_http_resp_free(&resp);
	bl_digester_free(x.d);
	bl_buf_free(&x.err);
	return rc;
}

/* GET a directory node, check it against its entry, parse it. */
static int fetch_listing(struct fetch *f, const char *node, const struct dbr_entry *e,
                         struct dbr_dir *out)
{
	struct bl_buf path = BL_BUF_INIT, body = BL_BUF_INIT;
	struct dbr_entry actual;
	struct bl_cur cur;
	char ctype[DBR_TYPE_MAX + 1];
	int rc;

	memset(out, 0, sizeof(*out));
	if (strcmp(e->type, DBR_TYPE_DIRECTORY))
		return bl_err(BL_EUNSUPP, "/%s: a %s where a directory is expected", node, e->type);
	if (e->length > MAX_DIR_BYTES)
		return bl_err(BL_ERANGE, "/%s: a directory listing of %llu bytes is too large",
		              node, (unsigned long long)e->length);
	BL_TRY_GOTO(rc, tree_path(&path, f->user, f->repo, f->tag, node), out_free);
	BL_TRY_GOTO(
	    rc,
	    get_small(f->c, (const char *)path.p, (size_t)e->length, &body, ctype, sizeof(ctype)),
	    out_free);
	BL_TRY_GOTO(rc, dbr_entry_of_bytes(body.p, body.len, ctype, e->digest.mask, &actual),
	            out_free);
	rc = dbr_entry_match(e, &actual);
	if (rc < 0) {
		rc = bl_err_wrap(rc, "%s: does not match its parent's entry: ", (char *)path.p);
		goto out_free;
	}
	cur = bl_cur_make(body.p, body.len);
	rc = dbr_dir_parse(&cur, MAX_DIR_ENTRIES, out);
	if (rc < 0)
		rc = bl_err_wrap(rc, "%s: ", (char *)path.p);
out_free:
	bl_buf_free(&body);
	bl_buf_free(&path);
	return rc;
}

/*
 * Phase 1: walk the listings from the root, each verified against its
 * parent's entry, creating the directories and noting the files (so that
 * the whole shape is checked, and the total known, before file bytes flow).
 */
static int walk_dirs(struct fetch *f, const char *node, const struct dbr_entry *e, int dirfd,
                     int depth)
{
	struct dbr_dir dir;
	char child[4096];
	int rc;

	if (depth > MAX_DEPTH)
		return bl_err(BL_ERANGE, "/%s: the tree is deeper than %d levels", node, MAX_DEPTH);
	BL_TRY(fetch_listing(f, node, e, &dir));
	f->st->dirs++;
	for (size_t i = 0; i < dir.n; i++) {
		const struct dbr_dirent *de = &dir.ents[i];
		int fd;

		if (++f->nodes > MAX_NODES) {
			rc = bl_err(BL_ERANGE, "the tree has more than %d nodes", MAX_NODES);
			goto out_free;
		}
		BL_TRY_GOTO(rc, join(child, sizeof(child), node, de->name), out_free);
		if (strcmp(de->entry.type, DBR_TYPE_DIRECTORY)) {
			BL_TRY_GOTO(rc, pending_add(f, child, &de->entry), out_free);
			continue;
		}
		if (mkdirat(dirfd, de->name, 0755) < 0) {
			rc = bl_err(BL_EIO, "%s: %s", child, strerror(errno));
			goto out_free;
		}
		fd = openat(dirfd, de->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = bl_err(BL_EIO, "%s: %s", child, strerror(errno));
			goto out_free;
		}
		rc = walk_dirs(f, child, &de->entry, fd, depth + 1);
		close(fd);
		if (rc < 0)
			goto out_free;
	}
	rc = 0;
out_free:
	dbr_dir_free(&dir);
	return rc;
}

/* Phase 2: download every noted file into the staging tree rooted at rootfd. */
static int fetch_files(struct fetch *f, int rootfd)
{
	struct bl_buf path = BL_BUF_INIT;
	int rc = 0;

	f->c->done = 0;
	f->c->total = f->total;
	for (size_t i = 0; i < f->nfiles && rc == 0; i++) {
		const struct pending *pf = &f->files[i];
		/* every component was created by walk_dirs in a fresh directory */
		int fd = openat(rootfd, pf->path,
		                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd < 0) {
			rc = bl_err(BL_EIO, "%s: %s", pf->path, strerror(errno));
			break;
		}
		rc = tree_path(&path, f->user, f->repo, f->tag, pf->path);
		if (rc == 0)
			rc = fetch_file(f, (const char *)path.p, &pf->entry, fd);
		if (rc == 0 && fsync(fd) < 0)
			rc = bl_err(BL_EIO, "%s: fsync: %s", pf->path, strerror(errno));
		close(fd);
	}
	bl_buf_free(&path);
	return rc;
}

/*
 * The tag's root entry. *signed_tag: 0 unsigned, 1 signed (not checked),
 * 2 signed and verified under opts.tag_jwks (which, when given, is required).
 */
static int get_tag(struct dbr_client *c, const char *user, const char *repo, const char *tag,
                   struct dbr_entry *root, int *signed_tag)
{
	struct bl_buf path = BL_BUF_INIT, body = BL_BUF_INIT, payload = BL_BUF_INIT;
	char ctype[DBR_TYPE_MAX + 1];
	struct bl_cur cur;
	int rc;

	BL_TRY_GOTO(rc, tag_ok(tag), out_free);
	BL_TRY_GOTO(rc, path_of(&path, user, repo, "/_tag/"), out_free);
	BL_TRY_GOTO(rc, bl_buf_puts(&path, tag), out_free);
	BL_TRY_GOTO(rc,
	            get_small(c, (const char *)path.p, MAX_TAG_BYTES, &body, ctype, sizeof(ctype)),
	            out_free);
	BL_TRY_GOTO(rc, dbr_tag_entry_parse(ctype, body.p, body.len, root, signed_tag), out_free);
	if (!c->tag_jwks)
		goto out_free;
	if (!*signed_tag) {
		rc =
		    bl_err(BL_EVERIFY, "tag %s/%s:%s is not signed, and a signing key was required",
		           user, repo, tag);
		goto out_free;
	}
#ifdef DBR_CLIENT_JWS
	rc = dbr_jws_verify(body.p, body.len, c->tag_jwks, &payload);
	if (rc < 0) {
		rc = bl_err_wrap(BL_EVERIFY, "tag %s/%s:%s: signature: ", user, repo, tag);
		goto out_free;
	}
	/* what is used must be what was signed */
	cur = bl_cur_make(payload.p, payload.len);
	BL_TRY_GOTO(rc, dbr_entry_parse(&cur, root), out_free);
	*signed_tag = 2;
#else
	(void)cur;
	rc = bl_err(BL_EUNSUPP, "checking signed tags needs cjose, which this build lacks");
#endif
out_free:
	bl_buf_free(&payload);
	bl_buf_free(&body);
	bl_buf_free(&path);
	return rc;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(p) < 0 ? 0 : 0;
	return unlink(p) < 0 ? 0 : 0;
}

static void rm_tree(const char *p)
{
	(void)nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int dbr_fetch(struct dbr_client *c, const char *user, const char *repo, const char *tag,
              const char *dest, struct dbr_fetch_stats *st)
{
	struct fetch f = { .c = c, .user = user, .repo = repo, .tag = tag, .st = st };
	char *dcopy = NULL, *stage = NULL;
	struct stat sb;
	int rc, fd = -1;

	memset(st, 0, sizeof(*st));
	/* lstat: a symbolic link is not an empty directory to replace */
	if (lstat(dest, &sb) == 0) {
		DIR *d = S_ISDIR(sb.st_mode) ? opendir(dest) : NULL;
		struct dirent *de;
		int empty = d != NULL;

		while (d && (de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
		if (d)
			closedir(d);
		if (!empty)
			return bl_err(BL_EEXIST, "%s exists (give a new or empty directory)", dest);
	}
	dcopy = strdup(dest);
	if (!dcopy || asprintf(&stage, "%s/.bailey-fetch-XXXXXX", dirname(dcopy)) < 0) {
		stage = NULL;
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free;
	}
	BL_TRY_GOTO(rc, get_tag(c, user, repo, tag, &st->root, &st->signed_tag), out_free);
	st->signature_checked = st->signed_tag == 2;
	st->signed_tag = st->signed_tag != 0;
	if (!mkdtemp(stage)) {
		rc = bl_err(BL_EIO, "%s: %s", stage, strerror(errno));
		goto out_free;
	}
	fd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = bl_err(BL_EIO, "%s: %s", stage, strerror(errno));
		goto out_rm;
	}
	BL_TRY_GOTO(rc, walk_dirs(&f, "", &st->root, fd, 0), out_rm);
	BL_TRY_GOTO(rc, fetch_files(&f, fd), out_rm);
	if (fsync(fd) < 0 || chmod(stage, 0755) < 0) {
		rc = bl_err(BL_EIO, "%s: %s", stage, strerror(errno));
		goto out_rm;
	}
	/* rename(2) replaces an empty directory atomically, and fails on any other */
	if (rename(stage, dest) < 0) {
		rc = bl_err(BL_EIO, "renaming into %s: %s", dest, strerror(errno));
		goto out_rm;
	}
	/* make the rename durable: the parent directory's entry */
	{
		char *pcopy = strdup(dest);
		int pfd = pcopy ? open(dirname(pcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;

		if (pfd >= 0) {
			(void)fsync(pfd);
			close(pfd);
		}
		free(pcopy);
	}
	rc = 0;
	goto out_close;
out_rm:
	rm_tree(stage);
out_close:
	if (fd >= 0)
		close(fd);
out_free:
	fetch_free(&f);
	free(stage);
	free(dcopy);
	return rc;
}

int dbr_package_info(struct dbr_client *c, const char *user, const char *repo, const char *tag,
                     struct dbr_entry *root, int *signed_tag, struct dbr_dir *out_dir)
{
	struct fetch f = { .c = c, .user = user, .repo = repo, .tag = tag };

	memset(out_dir, 0, sizeof(*out_dir));
	BL_TRY(get_tag(c, user, repo, tag, root, signed_tag));
	if (strcmp(root->type, DBR_TYPE_DIRECTORY))
		return 0;
	return fetch_listing(&f, "", root, out_dir);
}
