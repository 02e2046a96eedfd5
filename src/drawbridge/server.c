/* server.c — the Drawbridge registry over libmicrohttpd (see server.h). */
#include "drawbridge/server.h"
#include "common/file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/cursor.h"
#include "common/log.h"
#include "drawbridge/tree.h"

#define API_MAJOR 0
#define API_MINOR 1
#define API_PATCH 0
#define SMALL_MAX (64 * 1024) /* user, repository, tag and access bodies */
#define DIR_MAX (4 * 1024 * 1024) /* directory bodies */
#define DIR_ENTRIES_MAX 65536

enum route { R_NONE, R_HEALTH, R_METRICS, R_USER, R_REPO, R_TAGS, R_TAG, R_TREE, R_ACL, R_ACL1 };
enum meth { M_OTHER, M_GET, M_HEAD, M_PUT, M_DELETE };
enum upload { UP_NONE, UP_MEM, UP_BLOB };

struct srv {
	struct dbr_store *store;
	const struct dbr_server_cfg *cfg;
	int tls;
	atomic_uint_fast64_t next_id, requests, bytes_in, bytes_out, uploads_ok, uploads_failed;
	atomic_uint_fast64_t status[6];
	atomic_int in_flight;
	atomic_uint_fast64_t body_mem; /* bytes of request bodies held in memory */
};

struct req {
	uint64_t id;
	struct timespec t0;
	enum route route;
	enum meth meth;
	char method[16];
	char path[512]; /* for the log: the URL path, cut */
	char user[DBR_NAME_MAX + 1], repo[DBR_NAME_MAX + 1], tag[DBR_NAME_MAX + 1];
	char other[DBR_NAME_MAX + 1], node[4096];
	int status; /* decided answer (error or success); 0 while undecided */
	char msg[600];
	enum upload up;
	struct bl_buf body; /* UP_MEM bodies and directory bodies */
	struct dbr_blob_writer w;
	int w_open;
	uint64_t declared; /* Content-Length */
	uint64_t received; /* body bytes taken so far: never more than declared */
	struct bl_digest_set claimed; /* Content-Digest */
	int has_expected;
	struct dbr_entry expected; /* the parent's entry for a tree node */
	char ctype[DBR_TYPE_MAX + 1];
	struct dbr_claims claims;
	uint64_t bytes_out;
	int answered;
	int public_repo; /* set by read_access */
	uint64_t reserved; /* share of srv.body_mem this request holds */
};

/*
 * A per-thread cache of tree nodes of public repositories. Nodes, tags and a
 * repository's visibility never change once written (PUT of an existing one
 * is 409 and nothing is deleted), so a cached entry cannot go stale; only
 * public repositories are cached, so no authorisation is skipped. Direct
 * mapped and fixed in size: memory stays bounded.
 */
#define NODE_CACHE 512
struct node_cache_ent {
	uint64_t hash;
	char key[600];
	struct dbr_node node;
};
static _Thread_local struct node_cache_ent *node_cache;
static pthread_key_t node_cache_key; /* frees a thread's cache when it exits */
static pthread_once_t node_cache_once = PTHREAD_ONCE_INIT;

static void node_cache_key_make(void)
{
	(void)pthread_key_create(&node_cache_key, free);
}

static int node_key(const struct req *r, char *key, size_t cap, uint64_t *hash)
{
	int n = snprintf(key, cap, "%s/%s/%s/%s", r->user, r->repo, r->tag, r->node);
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	if (n < 0 || (size_t)n >= cap)
		return -1;
	for (int i = 0; i < n; i++)
		h = (h ^ (uint8_t)key[i]) * 1099511628211ull;
	*hash = h;
	return 0;
}

static const struct dbr_node *node_cache_get(const struct req *r)
{
	char key[600];
	uint64_t h;
	struct node_cache_ent *e;
	if (!node_cache || node_key(r, key, sizeof(key), &h) < 0)
		return NULL;
	e = &node_cache[h % NODE_CACHE];
	return e->hash == h && !strcmp(e->key, key) ? &e->node : NULL;
}

static void node_cache_put(const struct req *r, const struct dbr_node *n)
{
	char key[600];
	uint64_t h;
	struct node_cache_ent *e;
	if (!node_cache) {
		pthread_once(&node_cache_once, node_cache_key_make);
		node_cache = calloc(NODE_CACHE, sizeof(*node_cache));
		if (node_cache)
			pthread_setspecific(node_cache_key, node_cache);
	}
	if (!node_cache || node_key(r, key, sizeof(key), &h) < 0)
		return;
	e = &node_cache[h % NODE_CACHE];
	e->hash = h;
	strcpy(e->key, key);
	e->node = *n;
}

static int set_status(struct req *r, int status, const char *fmt, ...) BL_PRINTF(3, 4);

static int set_status(struct req *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->status = status;
	return -1;
}

/* ---- responses ---- */

static enum MHD_Result queue(struct srv *s, struct MHD_Connection *c, struct req *r, int status,
                             struct MHD_Response *resp, uint64_t len)
{
	char id[32];
	enum MHD_Result ret;
	(void)s;
	if (!resp)
		return MHD_NO;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->id);
	MHD_add_response_header(resp, "X-Request-Id", id);
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	r->status = status;
	r->bytes_out = r->meth == M_HEAD ? 0 : len;
	r->answered = 1;
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer_text(struct srv *s, struct MHD_Connection *c, struct req *r,
                                   int status, const char *msg)
{
	size_t n = strlen(msg);
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(n, (void *)msg, MHD_RESPMEM_MUST_COPY);
	if (resp)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "text/plain; charset=utf-8");
	return queue(s, c, r, status, resp, n);
}

/* Answer 200 with a copy of p[0..n) and its Content-Digest (sha-256). */
static enum MHD_Result answer_bytes(struct srv *s, struct MHD_Connection *c, struct req *r,
                                    const char *ctype, const void *p, size_t n)
{
	struct bl_digest_set d = { 1u << BL_SHA256, { { 0 } } };
	struct bl_buf dv = BL_BUF_INIT;
	struct MHD_Response *resp;
	if (bl_digest(BL_SHA256, p, n, d.val[BL_SHA256]) < 0 || dbr_digest_header(&d, &dv) < 0)
		return answer_text(s, c, r, 500, "digest failure");
	resp = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
	if (resp) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
		MHD_add_response_header(resp, "Content-Digest", (const char *)dv.p);
	}
	bl_buf_free(&dv);
	return queue(s, c, r, 200, resp, n);
}

static enum MHD_Result answer_empty(struct srv *s, struct MHD_Connection *c, struct req *r,
                                    int status)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	return queue(s, c, r, status, resp, 0);
}

/* ---- request parsing ---- */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int copy_name(char *dst, const char *s, size_t n)
{
	if (n > DBR_NAME_MAX)
		return -1;
	memcpy(dst, s, n);
	dst[n] = 0;
	return 0;
}

/* Route the URL (already percent-decoded by MHD) as Drawbridge's handler does. */
static int parse_route(struct req *r, const char *url)
{
	const char *p = url, *ver, *slash, *head, *tail, *end;
	struct dbr_semver v;
	size_t hlen;

	if (!strcmp(url, "/health"))
		return r->route = R_HEALTH, 0;
	if (!strcmp(url, "/metrics"))
		return r->route = R_METRICS, 0;
	while (*p == '/')
		p++;
	if (strncmp(p, "api", 3) != 0)
		return set_status(r, 404, "Route `%.200s` not found", url);
	p += 3;
	while (*p == '/')
		p++;
	if (*p != 'v' || !(slash = strchr(p, '/')))
		return set_status(r, 404, "Route `%.200s` not found", url);
	ver = p + 1;
	if (dbr_semver_parse(ver, (size_t)(slash - ver), &v) < 0)
		return set_status(r, 400, "Failed to parse SemVer version from `%.200s`", url);
	if ((v.major > API_MAJOR || (API_MAJOR == 0 && v.minor > API_MINOR)))
		return set_status(r, 501, "Unsupported API version `%.*s`", (int)(slash - ver),
		                  ver);
	p = slash;
	while (*p == '/')
		p++;
	head = p;
	tail = strstr(p, "/_");
	hlen = tail ? (size_t)(tail - head) : strlen(head);
	if (tail)
		tail++;
	else
		tail = "";
	if (hlen == 0)
		return set_status(r, 404, "Route `%.200s` not found", url);
	/* user[/repo] */
	end = memchr(head, '/', hlen);
	if (!dbr_user_name_ok(head, end ? (size_t)(end - head) : hlen))
		return set_status(r, 400, "Failed to parse user name");
	if (copy_name(r->user, head, end ? (size_t)(end - head) : hlen) < 0)
		return set_status(r, 400, "Failed to parse user name");
	if (!end || (size_t)(end - head) + 1 == hlen) {
		if (*tail)
			return set_status(r, 404, "Route not found on user");
		return r->route = R_USER, 0;
	}
	end++;
	hlen -= (size_t)(end - head);
	if (!dbr_repo_name_ok(end, hlen) || copy_name(r->repo, end, hlen) < 0)
		return set_status(r, 400, "Failed to parse repository name");
	if (!*tail)
		return r->route = R_REPO, 0;
	if (!strcmp(tail, "_tag"))
		return r->route = R_TAGS, 0;
	if (!strcmp(tail, "_access"))
		return r->route = R_ACL, 0;
	if (!strncmp(tail, "_access/", 8)) {
		const char *m = tail + 8;
		if (!dbr_user_name_ok(m, strlen(m)) || copy_name(r->other, m, strlen(m)) < 0)
			return set_status(r, 400, "Failed to parse user name");
		return r->route = R_ACL1, 0;
	}
	if (strncmp(tail, "_tag/", 5) != 0)
		return set_status(r, 404, "Route not found on repository");
	p = tail + 5;
	end = strchr(p, '/');
	hlen = end ? (size_t)(end - p) : strlen(p);
	if (dbr_semver_parse(p, hlen, &v) < 0 || copy_name(r->tag, p, hlen) < 0)
		return set_status(r, 400, "Failed to parse tag name");
	if (!end)
		return r->route = R_TAG, 0;
	p = end + 1;
	if (strncmp(p, "tree", 4) != 0 || (p[4] != 0 && p[4] != '/'))
		return set_status(r, 404, "Route not found on repository");
	p += 4;
	if (*p == '/')
		p++;
	if (strlen(p) >= sizeof(r->node) || !dbr_tree_path_ok(p, strlen(p)))
		return set_status(r, 400, "Failed to parse tree path");
	strcpy(r->node, p);
	return r->route = R_TREE, 0;
}

/* ---- authentication and authorisation ---- */

static int authenticate(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	const char *h = header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h)
		return set_status(r, 401, "Bearer token header missing");
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return set_status(r, 401, "Authorization is not a Bearer token");
	h += 7;
	while (*h == ' ')
		h++;
	if (!s->cfg->auth)
		return set_status(r, 401, "No token issuer is configured");
	if (dbr_auth_verify(s->cfg->auth, h, strlen(h), &r->claims) < 0)
		return set_status(r, 401, "Invalid token provided: %s", bl_errmsg());
	return 0;
}

static const char *ctx_name(enum dbr_scope_ctx ctx)
{
	return ctx == DBR_SCOPE_USERS   ? "drawbridge_users"
	       : ctx == DBR_SCOPE_REPOS ? "drawbridge_repositories"
	                                : "drawbridge_tags";
}

static int need_scope(struct req *r, enum dbr_scope_ctx ctx, enum dbr_scope_lvl lvl)
{
	if (dbr_claims_allow(&r->claims, ctx, lvl))
		return 0;
	return set_status(r, 401, "Token is missing a scope for level %s, context %s",
	                  lvl == DBR_SCOPE_READ ? "read" : "write", ctx_name(ctx));
}

/* A TLS client certificate that verifies against the configured CA, for clientAuth. */
static int client_cert_trusted(struct srv *s, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t tls;
	unsigned int status = 1, n = 0;
	if (!s->tls || !s->cfg->client_ca)
		return 0;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return 0;
	tls = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(tls, &n) || n == 0)
		return 0;
	/* The chain must reach the CA and the leaf must be meant for TLS clients. */
	gnutls_typed_vdata_st purpose = { GNUTLS_DT_KEY_PURPOSE_OID,
		                          (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT, 0 };
	if (gnutls_certificate_verify_peers(tls, &purpose, 1, &status) < 0)
		return 0;
	return status == 0;
}

static int store_fail(struct req *r, int rc, const char *what)
{
	if (rc == BL_ENOENT)
		return set_status(r, 404, "%s not found", what);
	if (rc == BL_EEXIST)
		return set_status(r, 409, "Already exists");
	bl_error("request %llu: storage: %s", (unsigned long long)r->id, bl_errmsg());
	return set_status(r, 500, "Storage backend failure");
}

/* Read access to r->user/r->repo: public, trusted client certificate, owner or member. */
static int read_access(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	struct dbr_repo repo;
	enum dbr_level lvl;
	int rc = dbr_repo_get(s->store, r->user, r->repo, &repo);
	if (rc < 0)
		return store_fail(r, rc, "Repository");
	rc = r->public_repo = repo.public_;
	bl_buf_free(&repo.config);
	if (rc || client_cert_trusted(s, c))
		return 0;
	BL_TRY(authenticate(s, c, r));
	BL_TRY(need_scope(r, DBR_SCOPE_REPOS, DBR_SCOPE_READ));
	rc = dbr_access_of(s->store, r->user, r->repo, r->claims.sub, &lvl);
	if (rc < 0)
		return store_fail(r, rc, "Access");
	if (lvl < DBR_READ)
		return set_status(r, 401,
		                  "You are logged in as `%.200s`, and not authorized for "
		                  "repository `%s/%s`",
		                  r->claims.sub, r->user, r->repo);
	return 0;
}

/* Write access (owner or write member) with scope write:ctx; the repository must exist. */
static int write_access(struct srv *s, struct MHD_Connection *c, struct req *r,
                        enum dbr_scope_ctx ctx, enum dbr_level need)
{
	struct dbr_repo repo;
	enum dbr_level lvl;
	int rc;
	BL_TRY(authenticate(s, c, r));
	BL_TRY(need_scope(r, ctx, DBR_SCOPE_WRITE));
	rc = dbr_access_of(s->store, r->user, r->repo, r->claims.sub, &lvl);
	if (rc < 0)
		return store_fail(r, rc, "Access");
	if (lvl < need)
		return set_status(r, 401,
		                  "You are logged in as `%.200s`, and not authorized for "
		                  "repository `%s/%s`",
		                  r->claims.sub, r->user, r->repo);
	rc = dbr_repo_get(s->store, r->user, r->repo, &repo);
	if (rc < 0)
		return store_fail(r, rc, "Repository");
	bl_buf_free(&repo.config);
	return 0;
}

/* ---- PUT preparation ---- */

static int need_length(struct MHD_Connection *c, struct req *r, uint64_t max)
{
	const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long v;
	if (!cl)
		return set_status(r, 411, "Content-Length required");
	errno = 0;
	v = strtoull(cl, &end, 10);
	if (errno || end == cl || *end || cl[0] == '-')
		return set_status(r, 400, "Bad Content-Length");
	r->declared = v;
	if (v > max)
		return set_status(r, 413, "Body of %llu bytes is larger than the limit of %llu", v,
		                  (unsigned long long)max);
	return 0;
}

static int need_ctype(struct MHD_Connection *c, struct req *r)
{
	const char *ct = header(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct)
		return set_status(r, 400, "Content-Type required");
	if (strlen(ct) > DBR_TYPE_MAX)
		return set_status(r, 400, "Content-Type too long");
	strcpy(r->ctype, ct);
	return 0;
}

/* Joins every Content-Digest field line into one list (RFC 9110 5.3). */
struct digest_lines {
	struct bl_buf all;
	int too_long;
};

static enum MHD_Result collect_digest(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	struct digest_lines *d = cls;

	(void)kind;
	if (!value || strcasecmp(key, "Content-Digest") != 0)
		return MHD_YES;
	if ((d->all.len && bl_buf_puts(&d->all, ", ") < 0) || bl_buf_puts(&d->all, value) < 0) {
		d->too_long = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

/*
 * Content-Digest: required (tags, nodes) or optional (users, repositories).
 * Every line of the field counts, so that no algorithm a client sent goes
 * unchecked.
 */
static int read_digest(struct MHD_Connection *c, struct req *r, int required)
{
	struct digest_lines d = { BL_BUF_INIT, 0 };
	int rc = 0;

	d.all.limit = 8192;
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_digest, &d);
	if (d.too_long) {
		rc = set_status(r, 400, "Content-Digest longer than 8192 bytes");
	} else if (!d.all.len) {
		if (required)
			rc = set_status(r, 400,
			                "At least one content digest value must be specified");
	} else if (bl_content_digest_parse((const char *)d.all.p, d.all.len, &r->claimed) < 0) {
		rc = set_status(r, 400, "Bad Content-Digest: %s", bl_errmsg());
	}
	bl_buf_free(&d.all);
	return rc;
}

/*
 * Hold a body of r->declared bytes in memory: within the server-wide budget
 * (503 when it is spent: many large JSON bodies at once cannot exhaust
 * memory) and allocated once, at its exact size.
 */
static int reserve_body(struct srv *s, struct req *r, size_t max)
{
	uint64_t limit = s->cfg->body_memory ? s->cfg->body_memory : 256ull << 20;
	uint64_t used = atomic_fetch_add(&s->body_mem, r->declared) + r->declared;
	r->reserved = r->declared;
	if (used > limit)
		return set_status(r, 503, "Too many uploads in progress; retry later");
	r->body.limit = max;
	if (r->declared && bl_buf_reserve(&r->body, (size_t)r->declared) < 0)
		return set_status(r, 503, "Out of memory; retry later");
	return 0;
}

static int mem_upload(struct srv *s, struct MHD_Connection *c, struct req *r, size_t max)
{
	BL_TRY(need_length(c, r, max));
	BL_TRY(reserve_body(s, r, max));
	r->up = UP_MEM;
	return 0;
}

static int need_json_type(struct req *r)
{
	if (strncasecmp(r->ctype, "application/json", 16) != 0 ||
	    (r->ctype[16] != 0 && r->ctype[16] != ';'))
		return set_status(r, 415, "Expected request with `Content-Type: application/json`");
	return 0;
}

/*
 * The last parsed parent directory of this thread, keyed by its blob (content
 * addressed, so it never changes): uploading the children of one directory
 * parses it once, not once per child. Only directories of up to
 * DIR_CACHE_ENTRIES entries are kept, so the cache stays small.
 */
#define DIR_CACHE_ENTRIES 4096
static _Thread_local struct {
	char blob[65];
	struct dbr_dir dir;
} dir_cache;
static pthread_key_t dir_cache_key;
static pthread_once_t dir_cache_once = PTHREAD_ONCE_INIT;

static void dir_cache_free(void *p)
{
	(void)p;
	dbr_dir_free(&dir_cache.dir);
	dir_cache.blob[0] = 0;
}

static void dir_cache_key_make(void)
{
	(void)pthread_key_create(&dir_cache_key, dir_cache_free);
}

/* Keep *d (taking it over) when it is small enough. */
static void dir_cache_keep(const char *blob, struct dbr_dir *d)
{
	if (d->n > DIR_CACHE_ENTRIES)
		return;
	pthread_once(&dir_cache_once, dir_cache_key_make);
	dbr_dir_free(&dir_cache.dir);
	dir_cache.dir = *d;
	snprintf(dir_cache.blob, sizeof(dir_cache.blob), "%s", blob);
	pthread_setspecific(dir_cache_key, &dir_cache); /* non-NULL: the destructor runs */
}

/* The entry a node's parent gives it: the tag's root entry or a directory's listing. */
static int parent_entry(struct srv *s, struct req *r)
{
	struct dbr_tag tag;
	struct dbr_node parent;
	struct bl_buf body = BL_BUF_INIT;
	struct dbr_dir dir;
	struct bl_cur cur;
	const struct dbr_entry *e;
	const char *slash = strrchr(r->node, '/'), *base = slash ? slash + 1 : r->node;
	char ppath[4096];
	int rc;

	rc = dbr_tag_get(s->store, r->user, r->repo, r->tag, &tag);
	if (rc < 0)
		return store_fail(r, rc, "Tag");
	if (!r->node[0]) {
		cur = bl_cur_make(tag.entry.p, tag.entry.len);
		rc = dbr_entry_parse(&cur, &r->expected);
		dbr_tag_free(&tag);
		if (rc < 0)
			return store_fail(r, BL_EIO, "Tag entry");
		r->has_expected = 1;
		return 0;
	}
	dbr_tag_free(&tag);
	snprintf(ppath, sizeof(ppath), "%.*s", slash ? (int)(slash - r->node) : 0, r->node);
	rc = dbr_node_get(s->store, r->user, r->repo, r->tag, ppath, &parent);
	if (rc == BL_ENOENT)
		return set_status(r, 400, "Parent directory `%s` of `%s` has not been uploaded",
		                  ppath, r->node);
	if (rc < 0)
		return store_fail(r, rc, "Node");
	if (strcmp(parent.ctype, DBR_TYPE_DIRECTORY) != 0)
		return set_status(r, 400, "Parent `%s` of `%s` is not a directory", ppath, r->node);
	if (!strcmp(parent.blob, dir_cache.blob)) {
		dir = dir_cache.dir; /* borrowed from the cache */
	} else {
		rc = dbr_blob_read(s->store, parent.blob, DIR_MAX, &body);
		if (rc < 0) {
			bl_buf_free(&body);
			return store_fail(r, rc == BL_ENOENT ? BL_EIO : rc, "Parent blob");
		}
		cur = bl_cur_make(body.p, body.len);
		rc = dbr_dir_parse(&cur, DIR_ENTRIES_MAX, &dir);
		bl_buf_free(&body);
		if (rc < 0)
			return store_fail(r, BL_EIO, "Parent directory");
		dir_cache_keep(parent.blob, &dir);
	}
	e = dbr_dir_find(&dir, base, strlen(base));
	if (e) {
		r->expected = *e;
		r->has_expected = 1;
	}
	if (dir.ents != dir_cache.dir.ents)
		dbr_dir_free(&dir);
	if (!e)
		return set_status(r, 400, "Parent directory `%s` does not list `%s`", ppath, base);
	return 0;
}

static int begin_tree_put(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	struct dbr_node existing;
	int rc;
	BL_TRY(write_access(s, c, r, DBR_SCOPE_TAGS, DBR_WRITE));
	BL_TRY(read_digest(c, r, 1));
	BL_TRY(need_ctype(c, r));
	rc = dbr_node_get(s->store, r->user, r->repo, r->tag, r->node, &existing);
	if (rc == 0)
		return set_status(r, 409, "Already exists");
	if (rc != BL_ENOENT)
		return store_fail(r, rc, "Node");
	BL_TRY(parent_entry(s, r));
	BL_TRY(need_length(c, r, s->cfg->max_file));
	if (r->declared != r->expected.length)
		return set_status(r, 400, "Content length mismatch, expected: %llu, got %llu",
		                  (unsigned long long)r->expected.length,
		                  (unsigned long long)r->declared);
	if (strcmp(r->ctype, r->expected.type) != 0)
		return set_status(r, 400, "Content type `%s` differs from the parent's `%s`",
		                  r->ctype, r->expected.type);
	if (!strcmp(r->ctype, DBR_TYPE_DIRECTORY)) {
		if (r->declared > DIR_MAX)
			return set_status(r, 413, "Directory larger than %d bytes", DIR_MAX);
		BL_TRY(reserve_body(s, r, DIR_MAX));
	}
	if (dbr_blob_begin(s->store, r->claimed.mask | r->expected.digest.mask, &r->w) < 0)
		return store_fail(r, BL_EIO, "Blob");
	r->w_open = 1;
	r->up = UP_BLOB;
	return 0;
}

static int begin_put(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	enum dbr_level lvl;
	int rc;
	switch (r->route) {
	case R_USER:
		BL_TRY(authenticate(s, c, r));
		BL_TRY(need_scope(r, DBR_SCOPE_USERS, DBR_SCOPE_WRITE));
		BL_TRY(need_ctype(c, r));
		BL_TRY(need_json_type(r));
		BL_TRY(read_digest(c, r, 0));
		return mem_upload(s, c, r, SMALL_MAX);
	case R_REPO:
		BL_TRY(authenticate(s, c, r));
		BL_TRY(need_scope(r, DBR_SCOPE_REPOS, DBR_SCOPE_WRITE));
		rc = dbr_access_of(s->store, r->user, r->repo, r->claims.sub, &lvl);
		if (rc < 0)
			return store_fail(r, rc, "Access");
		if (lvl < DBR_OWNER)
			return set_status(r, 401,
			                  "You are logged in as `%.200s`, and not authorized "
			                  "for user `%s`",
			                  r->claims.sub, r->user);
		BL_TRY(need_ctype(c, r));
		BL_TRY(need_json_type(r));
		BL_TRY(read_digest(c, r, 0));
		return mem_upload(s, c, r, SMALL_MAX);
	case R_TAG: {
		struct dbr_tag t;
		BL_TRY(write_access(s, c, r, DBR_SCOPE_TAGS, DBR_WRITE));
		BL_TRY(read_digest(c, r, 1));
		BL_TRY(need_ctype(c, r));
		if (strcmp(r->ctype, DBR_TYPE_ENTRY) != 0 && strcmp(r->ctype, DBR_TYPE_JWS) != 0)
			return set_status(r, 400, "Invalid content type");
		rc = dbr_tag_get(s->store, r->user, r->repo, r->tag, &t);
		if (rc == 0) {
			dbr_tag_free(&t);
			return set_status(r, 409, "Already exists");
		}
		if (rc != BL_ENOENT)
			return store_fail(r, rc, "Tag");
		return mem_upload(s, c, r, SMALL_MAX);
	}
	case R_TREE: return begin_tree_put(s, c, r);
	case R_ACL1:
		BL_TRY(write_access(s, c, r, DBR_SCOPE_REPOS, DBR_OWNER));
		BL_TRY(need_ctype(c, r));
		BL_TRY(need_json_type(r));
		return mem_upload(s, c, r, 4096);
	default: return set_status(r, 405, "Method not allowed for this endpoint");
	}
}

/* ---- PUT completion ---- */

static int check_claimed(struct req *r, const struct bl_digest_set *actual)
{
	if (!r->claimed.mask)
		return 0;
	if (bl_dset_verify(&r->claimed, actual) < 0)
		return set_status(r, 400, "Content digest mismatch");
	return 0;
}

static int mem_digests(struct req *r, struct bl_digest_set *out)
{
	out->mask = 0;
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!bl_dset_has(&r->claimed, (enum bl_dig_alg)a))
			continue;
		if (bl_digest((enum bl_dig_alg)a, r->body.p, r->body.len, out->val[a]) < 0)
			return set_status(r, 500, "digest failure");
		out->mask |= 1u << a;
	}
	return 0;
}

static json_t *body_json(struct req *r)
{
	json_error_t jerr;
	struct bl_cur cur = bl_cur_make(r->body.p, r->body.len);
	const uint8_t *p;
	json_t *j;
	if (bl_cur_bytes(&cur, bl_cur_left(&cur), &p) < 0)
		return NULL;
	j = json_loadb((const char *)p, r->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j || !json_is_object(j)) {
		set_status(r, 400, "Failed to parse the request body as JSON: %s",
		           j ? "not an object" : jerr.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int finish_user(struct srv *s, struct req *r)
{
	json_t *j = body_json(r), *jwks;
	const char *sub, *key;
	json_t *v;
	char *jtxt = NULL;
	int rc = -1;
	if (!j)
		return -1;
	json_object_foreach(j, key, v) if (strcmp(key, "subject") && strcmp(key, "jwks"))
	{
		set_status(r, 400, "unknown field `%.64s` in user record", key);
		goto out;
	}
	sub = json_string_value(json_object_get(j, "subject"));
	if (!sub) {
		set_status(r, 400, "user record: missing field `subject`");
		goto out;
	}
	if (strcmp(sub, r->claims.sub) != 0) {
		set_status(r, 401, "OpenID Connect subject mismatch");
		goto out;
	}
	jwks = json_object_get(j, "jwks");
	if (jwks) {
		jtxt = json_dumps(jwks, JSON_COMPACT | JSON_SORT_KEYS);
		if (!jtxt || dbr_jwks_check(jtxt) < 0) {
			set_status(r, 400, "user record: bad `jwks`: %s", bl_errmsg());
			goto out;
		}
	}
	rc = dbr_user_put(s->store, r->user, sub, r->body.p, r->body.len, jtxt);
	if (rc < 0)
		rc = store_fail(r, rc, "User");
	else
		r->status = 201;
out:
	free(jtxt);
	json_decref(j);
	return rc;
}

static int finish_repo(struct srv *s, struct req *r)
{
	json_t *j = body_json(r), *pub;
	int rc = -1;
	if (!j)
		return -1;
	pub = json_object_get(j, "public");
	if (json_object_size(j) != 1 || !json_is_boolean(pub)) {
		set_status(r, 400, "repository config must be {\"public\": true|false}");
		goto out;
	}
	rc = dbr_repo_put(s->store, r->user, r->repo, json_is_true(pub), r->body.p, r->body.len);
	if (rc < 0)
		rc = store_fail(r, rc, "Repository");
	else
		r->status = 201;
out:
	json_decref(j);
	return rc;
}

static int finish_tag(struct srv *s, struct req *r)
{
	struct bl_buf payload = BL_BUF_INIT;
	struct dbr_entry e;
	struct dbr_user u;
	struct bl_cur cur;
	int rc;

	if (!strcmp(r->ctype, DBR_TYPE_JWS)) {
		rc = dbr_user_get(s->store, r->user, &u);
		if (rc < 0)
			return store_fail(r, rc, "User");
		rc = dbr_jws_verify(r->body.p, r->body.len, (const char *)u.jwks.p, &payload);
		dbr_user_free(&u);
		if (rc < 0) {
			set_status(r, 400, "Tag signature: %s", bl_errmsg());
			goto out;
		}
	} else {
		BL_TRY_GOTO(rc, bl_buf_append(&payload, r->body.p, r->body.len), out_oom);
	}
	cur = bl_cur_make(payload.p, payload.len);
	rc = dbr_entry_parse(&cur, &e);
	if (rc < 0) {
		set_status(r, 400, "Tag entry: %s", bl_errmsg());
		goto out;
	}
	rc = dbr_tag_put(s->store, r->user, r->repo, r->tag, r->ctype, r->body.p, r->body.len,
	                 payload.p, payload.len);
	if (rc < 0)
		rc = store_fail(r, rc, "Tag");
	else
		r->status = 201;
	goto out;
out_oom:
	set_status(r, 500, "out of memory");
out:
	bl_buf_free(&payload);
	return rc;
}

static int finish_tree(struct srv *s, struct req *r)
{
	struct dbr_entry actual;
	struct dbr_node n;
	struct bl_buf dv = BL_BUF_INIT;
	int rc;

	if (dbr_blob_finish(&r->w) < 0)
		return store_fail(r, BL_EIO, "Blob");
	if (r->w.len != r->declared)
		return set_status(r, 400, "Content length mismatch, expected: %llu, got %llu",
		                  (unsigned long long)r->declared, (unsigned long long)r->w.len);
	BL_TRY(check_claimed(r, &r->w.got));
	actual.digest = r->w.got;
	actual.length = r->w.len;
	strcpy(actual.type, r->ctype);
	if (dbr_entry_match(&r->expected, &actual) < 0)
		return set_status(r, 400, "Node does not match its parent's entry: %s",
		                  bl_errmsg());
	if (!strcmp(r->ctype, DBR_TYPE_DIRECTORY)) {
		struct dbr_dir d;
		struct bl_cur cur = bl_cur_make(r->body.p, r->body.len);
		if (dbr_dir_parse(&cur, DIR_ENTRIES_MAX, &d) < 0)
			return set_status(r, 400, "Bad directory: %s", bl_errmsg());
		dbr_dir_free(&d);
	}
	memset(&n, 0, sizeof(n));
	if (dbr_blob_commit(s->store, &r->w, n.blob) < 0)
		return store_fail(r, BL_EIO, "Blob");
	r->w_open = 0;
	/* Answer with the digests the uploader named (as Drawbridge) and SHA-256. */
	r->w.got.mask &= r->claimed.mask | 1u << BL_SHA256;
	if (dbr_digest_header(&r->w.got, &dv) < 0 || dv.len >= sizeof(n.digest)) {
		bl_buf_free(&dv);
		return set_status(r, 500, "digest formatting");
	}
	memcpy(n.digest, dv.p, dv.len + 1);
	bl_buf_free(&dv);
	strcpy(n.ctype, r->ctype);
	n.length = r->w.len;
	rc = dbr_node_put(s->store, r->user, r->repo, r->tag, r->node, &n);
	if (rc < 0)
		return store_fail(r, rc, "Node");
	r->status = 201;
	return 0;
}

static int finish_acl(struct srv *s, struct req *r)
{
	json_t *j = body_json(r);
	const char *lv;
	struct dbr_user u;
	enum dbr_level level;
	int rc = -1;
	if (!j)
		return -1;
	lv = json_string_value(json_object_get(j, "access"));
	if (json_object_size(j) != 1 || !lv || (strcmp(lv, "read") && strcmp(lv, "write"))) {
		set_status(r, 400, "access must be {\"access\": \"read\"|\"write\"}");
		goto out;
	}
	level = !strcmp(lv, "write") ? DBR_WRITE : DBR_READ;
	if (!strcmp(r->other, r->user)) {
		set_status(r, 400, "the owner always has access");
		goto out;
	}
	rc = dbr_user_get(s->store, r->other, &u);
	if (rc < 0) {
		rc = store_fail(r, rc, "User");
		goto out;
	}
	dbr_user_free(&u);
	rc = dbr_access_put(s->store, r->user, r->repo, r->other, level);
	if (rc < 0)
		rc = store_fail(r, rc, "Access");
	else
		r->status = rc == 1 ? 201 : 200;
out:
	json_decref(j);
	return rc;
}

static void finish_put(struct srv *s, struct req *r)
{
	struct bl_digest_set got;
	if (r->up == UP_MEM) {
		if (r->body.len != r->declared) {
			set_status(r, 400, "Content length mismatch");
			return;
		}
		if (mem_digests(r, &got) < 0 || check_claimed(r, &got) < 0)
			return;
	}
	switch (r->route) {
	case R_USER: (void)finish_user(s, r); break;
	case R_REPO: (void)finish_repo(s, r); break;
	case R_TAG: (void)finish_tag(s, r); break;
	case R_TREE: (void)finish_tree(s, r); break;
	case R_ACL1: (void)finish_acl(s, r); break;
	default: set_status(r, 500, "unexpected route");
	}
}

static void consume(struct req *r, const char *data, size_t n)
{
	/*
	 * A chunked body is not bounded by its Content-Length header: without
	 * this check it would stream past the parent's length and --max-file.
	 */
	if (r->up == UP_NONE)
		return; /* a body on GET, HEAD or DELETE is ignored */
	if (n > r->declared - r->received) {
		set_status(r, 400, "Body longer than its Content-Length of %llu bytes",
		           (unsigned long long)r->declared);
		if (r->w_open)
			dbr_blob_abort(&r->w);
		r->w_open = 0;
		return;
	}
	r->received += n;
	if (r->up == UP_MEM || (r->up == UP_BLOB && r->body.limit)) {
		if (bl_buf_append(&r->body, data, n) < 0) {
			set_status(r, 413, "Body larger than %zu bytes", r->body.limit);
			return;
		}
	}
	if (r->up == UP_BLOB && dbr_blob_write(&r->w, data, n) < 0) {
		bl_error("request %llu: %s", (unsigned long long)r->id, bl_errmsg());
		set_status(r, 500, "Storage backend failure");
	}
}

/* ---- GET, HEAD, DELETE ---- */

static enum MHD_Result serve_metrics(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf),
	                 "# TYPE drawbridge_requests_total counter\n"
	                 "drawbridge_requests_total %llu\n"
	                 "# TYPE drawbridge_responses_total counter\n"
	                 "drawbridge_responses_total{class=\"2xx\"} %llu\n"
	                 "drawbridge_responses_total{class=\"3xx\"} %llu\n"
	                 "drawbridge_responses_total{class=\"4xx\"} %llu\n"
	                 "drawbridge_responses_total{class=\"5xx\"} %llu\n"
	                 "# TYPE drawbridge_received_bytes_total counter\n"
	                 "drawbridge_received_bytes_total %llu\n"
	                 "# TYPE drawbridge_sent_bytes_total counter\n"
	                 "drawbridge_sent_bytes_total %llu\n"
	                 "# TYPE drawbridge_uploads_total counter\n"
	                 "drawbridge_uploads_total{result=\"ok\"} %llu\n"
	                 "drawbridge_uploads_total{result=\"failed\"} %llu\n"
	                 "# TYPE drawbridge_requests_in_flight gauge\n"
	                 "drawbridge_requests_in_flight %d\n",
	                 (unsigned long long)s->requests, (unsigned long long)s->status[2],
	                 (unsigned long long)s->status[3], (unsigned long long)s->status[4],
	                 (unsigned long long)s->status[5], (unsigned long long)s->bytes_in,
	                 (unsigned long long)s->bytes_out, (unsigned long long)s->uploads_ok,
	                 (unsigned long long)s->uploads_failed, (int)s->in_flight);
	return answer_bytes(s, c, r, "text/plain; version=0.0.4", buf, (size_t)n);
}

static enum MHD_Result serve_node(struct srv *s, struct MHD_Connection *c, struct req *r,
                                  const struct dbr_node *cached)
{
	struct dbr_node n;
	struct MHD_Response *resp;
	int rc = 0, fd;
	if (cached)
		n = *cached;
	else
		rc = dbr_node_get(s->store, r->user, r->repo, r->tag, r->node, &n);
	if (rc < 0) {
		store_fail(r, rc, "Node");
		return answer_text(s, c, r, r->status, r->msg);
	}
	if (!cached && r->public_repo)
		node_cache_put(r, &n);
	fd = dbr_blob_open(s->store, n.blob);
	if (fd < 0) {
		bl_error("request %llu: %s", (unsigned long long)r->id, bl_errmsg());
		return answer_text(s, c, r, 500, "Storage backend failure");
	}
	resp = MHD_create_response_from_fd64(n.length, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, n.ctype);
	MHD_add_response_header(resp, "Content-Digest", n.digest);
	return queue(s, c, r, 200, resp, n.length);
}

static enum MHD_Result serve_read(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	struct bl_buf json = BL_BUF_INIT;
	enum MHD_Result ret;
	int rc;

	switch (r->route) {
	case R_USER: {
		struct dbr_user u;
		if (authenticate(s, c, r) < 0 || need_scope(r, DBR_SCOPE_USERS, DBR_SCOPE_READ) < 0)
			break;
		rc = dbr_user_get(s->store, r->user, &u);
		if (rc == BL_ENOENT) {
			set_status(r, 401, "User `%s` not found", r->user);
			break;
		}
		if (rc < 0) {
			store_fail(r, rc, "User");
			break;
		}
		if (strcmp(u.subject, r->claims.sub) != 0) {
			dbr_user_free(&u);
			set_status(r, 401,
			           "You are logged in as `%.200s`, and not authorized for "
			           "user `%s`",
			           r->claims.sub, r->user);
			break;
		}
		ret = answer_bytes(s, c, r, "application/json", u.record.p, u.record.len);
		dbr_user_free(&u);
		return ret;
	}
	case R_REPO: {
		struct dbr_repo repo;
		enum dbr_level lvl;
		if (authenticate(s, c, r) < 0 || need_scope(r, DBR_SCOPE_REPOS, DBR_SCOPE_READ) < 0)
			break;
		rc = dbr_access_of(s->store, r->user, r->repo, r->claims.sub, &lvl);
		if (rc < 0 || lvl < DBR_READ) {
			set_status(r, 401,
			           "You are logged in as `%.200s`, and not authorized for "
			           "repository `%s/%s`",
			           r->claims.sub, r->user, r->repo);
			break;
		}
		rc = dbr_repo_get(s->store, r->user, r->repo, &repo);
		if (rc < 0) {
			store_fail(r, rc, "Repository");
			break;
		}
		ret = answer_bytes(s, c, r, "application/json", repo.config.p, repo.config.len);
		bl_buf_free(&repo.config);
		return ret;
	}
	case R_TAGS:
		if (r->meth != M_GET) {
			set_status(r, 405, "Method not allowed for repository tag query endpoint");
			break;
		}
		if (read_access(s, c, r) < 0)
			break;
		rc = dbr_tag_list(s->store, r->user, r->repo, &json);
		if (rc < 0) {
			store_fail(r, rc, "Tags");
			break;
		}
		ret = answer_bytes(s, c, r, "application/json", json.p, json.len);
		bl_buf_free(&json);
		return ret;
	case R_TAG: {
		struct dbr_tag t;
		if (read_access(s, c, r) < 0)
			break;
		rc = dbr_tag_get(s->store, r->user, r->repo, r->tag, &t);
		if (rc < 0) {
			store_fail(r, rc, "Tag");
			break;
		}
		ret = answer_bytes(s, c, r, t.ctype, t.body.p, t.body.len);
		dbr_tag_free(&t);
		return ret;
	}
	case R_TREE: {
		const struct dbr_node *hit = node_cache_get(r);
		if (!hit && read_access(s, c, r) < 0)
			break;
		return serve_node(s, c, r, hit);
	}
	case R_ACL:
		if (r->meth != M_GET) {
			set_status(r, 405, "Method not allowed");
			break;
		}
		if (write_access(s, c, r, DBR_SCOPE_REPOS, DBR_OWNER) < 0)
			break;
		rc = dbr_access_list(s->store, r->user, r->repo, &json);
		if (rc < 0) {
			store_fail(r, rc, "Access");
			break;
		}
		ret = answer_bytes(s, c, r, "application/json", json.p, json.len);
		bl_buf_free(&json);
		return ret;
	default: set_status(r, 405, "Method not allowed for this endpoint");
	}
	bl_buf_free(&json);
	return answer_text(s, c, r, r->status, r->msg);
}

static enum MHD_Result serve_delete(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	int rc;
	if (r->route != R_ACL1) {
		set_status(r, 405, "Method not allowed for this endpoint");
	} else if (write_access(s, c, r, DBR_SCOPE_REPOS, DBR_OWNER) == 0) {
		rc = dbr_access_delete(s->store, r->user, r->repo, r->other);
		if (rc == 0)
			return answer_empty(s, c, r, 204);
		store_fail(r, rc, "Access grant");
	}
	return answer_text(s, c, r, r->status, r->msg);
}

/* ---- the microhttpd callbacks ---- */

static enum meth meth_of(const char *m)
{
	if (!strcmp(m, "GET"))
		return M_GET;
	if (!strcmp(m, "HEAD"))
		return M_HEAD;
	if (!strcmp(m, "PUT"))
		return M_PUT;
	if (!strcmp(m, "DELETE"))
		return M_DELETE;
	return M_OTHER;
}

static enum MHD_Result dispatch(struct srv *s, struct MHD_Connection *c, struct req *r)
{
	if (r->status)
		return answer_text(s, c, r, r->status, r->msg);
	if (r->route == R_HEALTH)
		return r->meth == M_GET || r->meth == M_HEAD ? answer_empty(s, c, r, 200)
		                                             : answer_text(s, c, r, 405, "GET");
	if (r->route == R_METRICS)
		return serve_metrics(s, c, r);
	switch (r->meth) {
	case M_GET:
	case M_HEAD: return serve_read(s, c, r);
	case M_DELETE: return serve_delete(s, c, r);
	default: return answer_text(s, c, r, 405, "Method not allowed");
	}
}

/*
 * The path for the access log: microhttpd has percent-decoded it, so spaces,
 * control bytes and newlines are encoded again (with `%` itself) lest a
 * request forge log fields or lines. Cut at cap - 1 bytes.
 */
static void log_path(char *dst, size_t cap, const char *url)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p > 0x20 && *p < 0x7f && *p != '%' && *p != '"' && *p != '\\') {
			if (o + 1 >= cap)
				break;
			dst[o++] = (char)*p;
		} else {
			if (o + 3 >= cap)
				break;
			dst[o++] = '%';
			dst[o++] = hex[*p >> 4];
			dst[o++] = hex[*p & 15];
		}
	}
	dst[o] = 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	struct srv *s = cls;
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->w.fd = -1;
		r->id = ++s->next_id;
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		s->requests++;
		s->in_flight++;
		snprintf(r->method, sizeof(r->method), "%s", method);
		log_path(r->path, sizeof(r->path), url);
		r->meth = meth_of(method);
		/*
		 * Answer on a later call: microhttpd closes the connection after
		 * a response queued on the first call, which would cost every
		 * GET its keep-alive.
		 */
		if (parse_route(r, url) == 0 && r->meth == M_PUT && r->route != R_HEALTH &&
		    r->route != R_METRICS) {
			const char *expect = header(c, MHD_HTTP_HEADER_EXPECT);
			/* A refused PUT is answered at once when its body would be
			 * large or the client waits for 100-continue before sending it. */
			if (begin_put(s, c, r) < 0 &&
			    (r->status == 413 || r->status == 411 ||
			     r->declared > s->cfg->max_file ||
			     (expect && strcasestr(expect, "100-continue"))))
				return answer_text(s, c, r, r->status, r->msg);
		}
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (*size) {
		s->bytes_in += *size;
		if (!r->status)
			consume(r, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (r->meth != M_PUT || r->route == R_HEALTH || r->route == R_METRICS)
		return dispatch(s, c, r);
	if (!r->status)
		finish_put(s, r);
	/* The body is no longer needed: give its memory back before answering. */
	s->body_mem -= r->reserved;
	r->reserved = 0;
	bl_buf_free(&r->body);
	if (r->route == R_TREE && r->status == 201)
		s->uploads_ok++;
	else if (r->route == R_TREE)
		s->uploads_failed++;
	if (r->status == 201 || r->status == 200)
		return answer_empty(s, c, r, r->status);
	return answer_text(s, c, r, r->status, r->msg);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct srv *s = cls;
	struct req *r = *con_cls;
	struct timespec t1;
	char id[24], st[8], bytes[24], us[24];
	long long dur;
	(void)c;
	if (!r)
		return;
	if (r->w_open)
		dbr_blob_abort(&r->w); /* an upload that did not complete leaves nothing */
	s->body_mem -= r->reserved;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dur = (t1.tv_sec - r->t0.tv_sec) * 1000000LL + (t1.tv_nsec - r->t0.tv_nsec) / 1000;
	if (r->status >= 100 && r->status < 600)
		s->status[r->status / 100]++;
	s->bytes_out += r->bytes_out;
	s->in_flight--;
	if (bl_log_enabled(BL_LOG_INFO)) {
		snprintf(id, sizeof(id), "%llu", (unsigned long long)r->id);
		snprintf(st, sizeof(st), "%d",
		         toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->status : 499);
		snprintf(bytes, sizeof(bytes), "%llu",
		         (unsigned long long)(r->meth == M_PUT ? r->declared : r->bytes_out));
		snprintf(us, sizeof(us), "%lld", dur);
		bl_log_kv(BL_LOG_INFO, "access", "id", id, "method", r->method, "path", r->path,
		          "status", st, "bytes", bytes, "us", us, NULL);
	}
	bl_buf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	unsigned long port;
	char *end;
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return bl_err(BL_EINVAL, "--listen: expected ADDR:PORT, got `%s`", s);
	port = strtoul(colon + 1, &end, 10);
	if (*end || port > 65535)
		return bl_err(BL_EINVAL, "--listen: bad port in `%s`", s);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		host[strlen(host) - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return bl_err(BL_EINVAL, "--listen: bad address in `%s`", s);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return bl_err(BL_EINVAL, "--listen: bad address in `%s`", s);
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	*len = sizeof(*a4);
	return 0;
}

static int slurp(const char *path, struct bl_buf *out)
{
	int rc = bl_file_read(path, 0, out);

	return rc < 0 ? bl_err_wrap(rc, "%s: ", path) : 0;
}

int dbr_server_run(const struct dbr_server_cfg *cfg, struct dbr_store *store)
{
	struct srv s;
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct MHD_Daemon *d;
	struct bl_buf cert = BL_BUF_INIT, key = BL_BUF_INIT, ca = BL_BUF_INIT;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	unsigned threads = cfg->threads ? cfg->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	const union MHD_DaemonInfo *info;
	sigset_t set;
	int sig, rc = 0;
	struct MHD_OptionItem tlsopts[4];
	size_t ntls = 0;

	memset(&s, 0, sizeof(s));
	s.store = store;
	s.cfg = cfg;
	BL_TRY(parse_listen(cfg->listen, &ss, &sslen));
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cfg->tls_cert || cfg->tls_key) {
		if (!cfg->tls_cert || !cfg->tls_key)
			return bl_err(BL_EINVAL, "--tls-cert and --tls-key go together");
		BL_TRY_GOTO(rc, slurp(cfg->tls_cert, &cert), out_free);
		BL_TRY_GOTO(rc, slurp(cfg->tls_key, &key), out_free);
		tlsopts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert.p };
		tlsopts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key.p };
		if (cfg->client_ca) {
			BL_TRY_GOTO(rc, slurp(cfg->client_ca, &ca), out_free);
			tlsopts[ntls++] =
			    (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, ca.p };
		}
		flags |= MHD_USE_TLS;
		s.tls = 1;
	} else if (cfg->client_ca) {
		return bl_err(BL_EINVAL, "--client-ca needs --tls-cert and --tls-key");
	}
	tlsopts[ntls] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/* Signals go to sigwait below, not to the server threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, &s, MHD_OPTION_SOCK_ADDR,
	                     (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, threads,
	                     MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit ? cfg->conn_limit : 1024,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 120u, MHD_OPTION_NOTIFY_COMPLETED,
	                     completed, &s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
	                     MHD_OPTION_ARRAY, tlsopts, MHD_OPTION_END);
	if (!d) {
		rc = bl_err(BL_EIO, "cannot start the HTTP server on %s", cfg->listen);
		goto out_free;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	bl_info("bailey-drawbridge: listening on %s (port %u, %u threads%s)", cfg->listen,
	        info ? info->port : 0, threads, s.tls ? ", TLS" : "");
	if (cfg->port_file && info) {
		char tmp[4200];
		FILE *f;
		snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->port_file);
		f = fopen(tmp, "w");
		if (f) {
			fprintf(f, "%u\n", info->port);
			fclose(f);
			rename(tmp, cfg->port_file);
		}
	}
	sig = 0;
	while (sigwait(&set, &sig) != 0)
		;
	bl_info("bailey-drawbridge: signal %d, stopping", sig);
	MHD_stop_daemon(d);
out_free:
	bl_buf_free(&cert);
	bl_buf_free_secret(&key);
	bl_buf_free(&ca);
	return rc;
}
