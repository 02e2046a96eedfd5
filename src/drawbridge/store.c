/* store.c — SQLite metadata and the content-addressed blob store (see store.h). */
#include "drawbridge/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/codec.h"
#include "common/log.h"
#include "drawbridge/tree.h"

struct dbr_store {
	char *dir;
	pthread_key_t key; /* per-thread sqlite3 * */
	int lock_fd; /* DIR/server.lock, held by dbr_store_claim; -1 otherwise */
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, subject TEXT NOT NULL,"
    " record BLOB NOT NULL, jwks TEXT);"
    "CREATE INDEX IF NOT EXISTS users_subject ON users(subject);"
    "CREATE TABLE IF NOT EXISTS repos(owner TEXT NOT NULL, name TEXT NOT NULL,"
    " public INTEGER NOT NULL, config BLOB NOT NULL, PRIMARY KEY(owner, name));"
    "CREATE TABLE IF NOT EXISTS access(owner TEXT NOT NULL, repo TEXT NOT NULL,"
    " member TEXT NOT NULL, level INTEGER NOT NULL, PRIMARY KEY(owner, repo, member));"
    "CREATE TABLE IF NOT EXISTS tags(owner TEXT NOT NULL, repo TEXT NOT NULL, tag TEXT NOT NULL,"
    " ctype TEXT NOT NULL, body BLOB NOT NULL, entry BLOB NOT NULL,"
    " PRIMARY KEY(owner, repo, tag));"
    "CREATE TABLE IF NOT EXISTS nodes(owner TEXT NOT NULL, repo TEXT NOT NULL, tag TEXT NOT NULL,"
    " path TEXT NOT NULL, ctype TEXT NOT NULL, length INTEGER NOT NULL, blob TEXT NOT NULL,"
    " digest TEXT NOT NULL, PRIMARY KEY(owner, repo, tag, path));"
    "CREATE INDEX IF NOT EXISTS nodes_blob ON nodes(blob);";

/* Per-thread connection with its cache of prepared statements (keyed by the SQL's address). */
#define STMT_CACHE 32
struct conn {
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
};

static void close_db(void *p)
{
	struct conn *c = p;
	for (int i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(c->cache[i].st);
	sqlite3_close_v2(c->db);
	free(c);
}

static struct conn *conn_of(struct dbr_store *s)
{
	struct conn *c = pthread_getspecific(s->key);
	char path[4200];
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c) {
		bl_err(BL_ENOMEM, "store: out of memory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/meta.db", s->dir);
	if (sqlite3_open_v2(path, &c->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		bl_err(BL_EIO, "%s: %s", path, c->db ? sqlite3_errmsg(c->db) : "cannot open");
		close_db(c);
		return NULL;
	}
	sqlite3_busy_timeout(c->db, 10000);
	if (sqlite3_exec(c->db, "PRAGMA synchronous=FULL;", NULL, NULL, NULL) != SQLITE_OK) {
		bl_err(BL_EIO, "%s: %s", path, sqlite3_errmsg(c->db));
		close_db(c);
		return NULL;
	}
	pthread_setspecific(s->key, c);
	return c;
}

static sqlite3 *db_of(struct dbr_store *s)
{
	struct conn *c = conn_of(s);
	return c ? c->db : NULL;
}

/* A prepared statement for `sql` (a string literal) on this thread's connection. */
static sqlite3_stmt *stmt(struct dbr_store *s, const char *sql)
{
	struct conn *c = conn_of(s);
	sqlite3_stmt *st = NULL;
	int slot = -1;
	if (!c)
		return NULL;
	for (int i = 0; i < STMT_CACHE; i++) {
		if (c->cache[i].sql == sql)
			return c->cache[i].st;
		if (slot < 0 && !c->cache[i].sql)
			slot = i;
	}
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		bl_err(BL_EIO, "SQL: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	if (slot >= 0) {
		c->cache[slot].sql = sql;
		c->cache[slot].st = st;
	}
	return st;
}

/* Return a statement to the cache (or finalize one that did not fit). */
static void stmt_done(struct dbr_store *s, sqlite3_stmt *st)
{
	struct conn *c = pthread_getspecific(s->key);
	if (!st)
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; c && i < STMT_CACHE; i++)
		if (c->cache[i].st == st)
			return;
	sqlite3_finalize(st);
}

static int sql_err(sqlite3_stmt *st, int rc)
{
	sqlite3 *db = sqlite3_db_handle(st);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return bl_err(BL_EEXIST, "already exists");
	return bl_err(BL_EIO, "SQL: %s", sqlite3_errmsg(db));
}

static int bind_texts(sqlite3_stmt *st, int n, const char *const *v)
{
	for (int i = 0; i < n; i++)
		if (sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC) != SQLITE_OK)
			return sql_err(st, SQLITE_ERROR);
	return 0;
}

static int copy_col(sqlite3_stmt *st, int col, struct bl_buf *out)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	bl_buf_reset(out);
	if (n > 0)
		return bl_buf_append(out, p, (size_t)n);
	return bl_buf_reserve(out, 1);
}

static void copy_str(sqlite3_stmt *st, int col, char *dst, size_t cap)
{
	const unsigned char *p = sqlite3_column_text(st, col);
	snprintf(dst, cap, "%s", p ? (const char *)p : "");
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;
	if (fd < 0)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	if (fsync(fd) < 0)
		rc = bl_err(BL_EIO, "fsync %s: %s", path, strerror(errno));
	close(fd);
	return rc;
}

static int mkdir_p1(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return bl_err(BL_EIO, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

/* Remove leftovers of uploads that were interrupted (crash, kill -9). */
static void clean_tmp(const char *tmpdir)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			bl_info("store: removed interrupted upload tmp/%s", de->d_name);
	}
	closedir(d);
}

int dbr_store_open(const char *dir, struct dbr_store **out)
{
	struct dbr_store *s = calloc(1, sizeof(*s));
	char path[4200];
	sqlite3 *db;
	char *msg = NULL;
	int rc;

	if (!s)
		return bl_err(BL_ENOMEM, "store: out of memory");
	s->lock_fd = -1;
	s->dir = strdup(dir);
	if (!s->dir || pthread_key_create(&s->key, close_db) != 0) {
		free(s->dir);
		free(s);
		return bl_err(BL_ENOMEM, "store: out of memory");
	}
	BL_TRY_GOTO(rc, mkdir_p1(dir), out_free);
	snprintf(path, sizeof(path), "%s/blobs", dir);
	BL_TRY_GOTO(rc, mkdir_p1(path), out_free);
	for (int i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/blobs/%02x", dir, i);
		BL_TRY_GOTO(rc, mkdir_p1(path), out_free);
	}
	snprintf(path, sizeof(path), "%s/tmp", dir);
	BL_TRY_GOTO(rc, mkdir_p1(path), out_free);
	db = db_of(s);
	if (!db) {
		rc = BL_EIO;
		goto out_free;
	}
	if (sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		rc = bl_err(BL_EIO, "store schema: %s", msg ? msg : "?");
		sqlite3_free(msg);
		goto out_free;
	}
	*out = s;
	return 0;
out_free:
	dbr_store_close(s);
	return rc;
}

int dbr_store_claim(struct dbr_store *s)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/server.lock", s->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return bl_err(BL_EPERM, "%s: another bailey-drawbridge serves this store",
			              s->dir);
		return bl_err(BL_EIO, "%s: lock: %s", path, strerror(e));
	}
	s->lock_fd = fd;
	snprintf(path, sizeof(path), "%s/tmp", s->dir);
	clean_tmp(path);
	return 0;
}

void dbr_store_close(struct dbr_store *s)
{
	struct conn *c;
	if (!s)
		return;
	c = pthread_getspecific(s->key);
	if (c) {
		pthread_setspecific(s->key, NULL);
		close_db(c);
	}
	pthread_key_delete(s->key);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s);
}

const char *dbr_store_dir(const struct dbr_store *s)
{
	return s->dir;
}

/* ---- blobs ---- */

int dbr_blob_begin(struct dbr_store *s, unsigned mask, struct dbr_blob_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	snprintf(w->tmp, sizeof(w->tmp), "%s/tmp/upload-XXXXXX", s->dir);
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		w->tmp[0] = 0;
		return bl_err(BL_EIO, "store: temporary file: %s", strerror(errno));
	}
	w->dg = bl_digester_new(mask | 1u << BL_SHA256);
	if (!w->dg) {
		dbr_blob_abort(w);
		return BL_ENOMEM;
	}
	return 0;
}

int dbr_blob_write(struct dbr_blob_writer *w, const void *p, size_t n)
{
	const uint8_t *b = p;
	BL_TRY(bl_digester_update(w->dg, p, n));
	w->len += n;
	while (n > 0) {
		ssize_t k = write(w->fd, b, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return bl_err(BL_EIO, "store: write: %s", strerror(errno));
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int dbr_blob_finish(struct dbr_blob_writer *w)
{
	BL_TRY(bl_digester_final(w->dg, &w->got));
	if (fsync(w->fd) < 0)
		return bl_err(BL_EIO, "store: fsync: %s", strerror(errno));
	return 0;
}

int dbr_blob_commit(struct dbr_store *s, struct dbr_blob_writer *w, char hex[65])
{
	struct bl_buf h = BL_BUF_INIT;
	char dst[4400], sub[4200];
	int rc;

	BL_TRY(bl_hex_encode(&h, w->got.val[BL_SHA256], 32));
	memcpy(hex, h.p, 65);
	bl_buf_free(&h);
	snprintf(sub, sizeof(sub), "%s/blobs/%.2s", s->dir, hex);
	snprintf(dst, sizeof(dst), "%s/%s", sub, hex);
	/*
	 * Identical content has one path, so it is stored once. The verified
	 * new copy replaces an existing one (rename is atomic; readers keep
	 * the file they opened), which also repairs a blob damaged on disk.
	 */
	if (fchmod(w->fd, 0400) < 0 || rename(w->tmp, dst) < 0) {
		rc = bl_err(BL_EIO, "store: rename %s: %s", dst, strerror(errno));
		dbr_blob_abort(w);
		return rc;
	}
	w->tmp[0] = 0;
	rc = fsync_dir(sub);
	dbr_blob_abort(w);
	return rc;
}

void dbr_blob_abort(struct dbr_blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0])
		unlink(w->tmp);
	w->tmp[0] = 0;
	bl_digester_free(w->dg);
	w->dg = NULL;
}

static int hex_ok(const char *hex)
{
	size_t n = strlen(hex);
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return 0;
	return 1;
}

int dbr_blob_open(struct dbr_store *s, const char *hex)
{
	char path[4200];
	int fd;
	if (!hex_ok(hex))
		return bl_err(BL_EINTERNAL, "store: bad blob name");
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", s->dir, hex, hex);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bl_err(errno == ENOENT ? BL_ENOENT : BL_EIO, "store: blob %s: %s", hex,
		              strerror(errno));
	return fd;
}

int dbr_blob_read(struct dbr_store *s, const char *hex, size_t max, struct bl_buf *out)
{
	int fd = dbr_blob_open(s, hex), rc = 0;
	uint8_t buf[65536];
	if (fd < 0)
		return fd;
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = bl_err(BL_EIO, "store: read blob: %s", strerror(errno));
			break;
		}
		if (k == 0)
			break;
		if (out->len + (size_t)k > max) {
			rc = bl_err(BL_ERANGE, "store: blob larger than %zu bytes", max);
			break;
		}
		BL_TRY_GOTO(rc, bl_buf_append(out, buf, (size_t)k), out_close);
	}
out_close:
	close(fd);
	return rc;
}

/* ---- metadata ---- */

/* Run a prepared statement expecting one row (0), none (BL_ENOENT). */
static int step_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return BL_ENOENT;
	return sql_err(st, rc);
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	return sql_err(st, rc);
}

int dbr_user_get(struct dbr_store *s, const char *name, struct dbr_user *out)
{
	sqlite3_stmt *st = stmt(s, "SELECT subject, record, jwks FROM users WHERE name = ?");
	const char *v[] = { name };
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 1, v), out);
	BL_TRY_GOTO(rc, step_row(st), out);
	copy_str(st, 0, out->subject, sizeof(out->subject));
	BL_TRY_GOTO(rc, copy_col(st, 1, &out->record), out);
	BL_TRY_GOTO(rc, copy_col(st, 2, &out->jwks), out);
out:
	stmt_done(s, st);
	if (rc == BL_ENOENT)
		bl_err(BL_ENOENT, "user %s not found", name);
	return rc;
}

void dbr_user_free(struct dbr_user *u)
{
	bl_buf_free(&u->record);
	bl_buf_free(&u->jwks);
}

int dbr_user_put(struct dbr_store *s, const char *name, const char *subject, const void *record,
                 size_t rlen, const char *jwks)
{
	sqlite3_stmt *st =
	    stmt(s, "INSERT INTO users(name, subject, record, jwks) VALUES(?,?,?,?)");
	const char *v[] = { name, subject };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 2, v), out);
	sqlite3_bind_blob(st, 3, record, (int)rlen, SQLITE_STATIC);
	if (jwks)
		sqlite3_bind_text(st, 4, jwks, -1, SQLITE_STATIC);
	rc = step_done(st);
out:
	stmt_done(s, st);
	return rc;
}

int dbr_repo_get(struct dbr_store *s, const char *owner, const char *name, struct dbr_repo *out)
{
	sqlite3_stmt *st = stmt(s, "SELECT public, config FROM repos WHERE owner = ? AND name = ?");
	const char *v[] = { owner, name };
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 2, v), out);
	BL_TRY_GOTO(rc, step_row(st), out);
	out->public_ = sqlite3_column_int(st, 0);
	rc = copy_col(st, 1, &out->config);
out:
	stmt_done(s, st);
	if (rc == BL_ENOENT)
		bl_err(BL_ENOENT, "repository %s/%s not found", owner, name);
	return rc;
}

int dbr_repo_put(struct dbr_store *s, const char *owner, const char *name, int public_,
                 const void *config, size_t clen)
{
	sqlite3_stmt *st =
	    stmt(s, "INSERT INTO repos(owner, name, public, config) VALUES(?,?,?,?)");
	const char *v[] = { owner, name };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 2, v), out);
	sqlite3_bind_int(st, 3, public_ ? 1 : 0);
	sqlite3_bind_blob(st, 4, config, (int)clen, SQLITE_STATIC);
	rc = step_done(st);
out:
	stmt_done(s, st);
	return rc;
}

int dbr_access_of(struct dbr_store *s, const char *owner, const char *repo, const char *subject,
                  enum dbr_level *out)
{
	sqlite3_stmt *st;
	const char *v[] = { owner, repo, subject, owner, subject };
	int rc;
	*out = DBR_NONE;
	/* The owner first: the user record's subject is the token's sub. */
	st = stmt(s,
	          "SELECT 3 FROM users WHERE name = ?4 AND subject = ?5 UNION ALL "
	          "SELECT a.level FROM access a JOIN users u ON u.name = a.member "
	          "WHERE a.owner = ?1 AND a.repo = ?2 AND u.subject = ?3 ORDER BY 1 DESC LIMIT 1");
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 5, v), out);
	rc = step_row(st);
	if (rc == 0)
		*out = (enum dbr_level)sqlite3_column_int(st, 0);
	else if (rc == BL_ENOENT)
		rc = 0;
out:
	stmt_done(s, st);
	return rc;
}

int dbr_access_put(struct dbr_store *s, const char *owner, const char *repo, const char *member,
                   enum dbr_level level)
{
	sqlite3_stmt *st =
	    stmt(s, "INSERT INTO access(owner, repo, member, level) VALUES(?,?,?,?) "
	            "ON CONFLICT(owner, repo, member) DO UPDATE SET level = excluded.level");
	sqlite3_stmt *q =
	    stmt(s, "SELECT 1 FROM access WHERE owner = ? AND repo = ? AND member = ?");
	const char *v[] = { owner, repo, member };
	int rc, existed = 0;
	if (!st || !q) {
		rc = BL_EIO;
		goto out;
	}
	BL_TRY_GOTO(rc, bind_texts(q, 3, v), out);
	rc = step_row(q);
	if (rc < 0 && rc != BL_ENOENT)
		goto out;
	existed = rc == 0;
	BL_TRY_GOTO(rc, bind_texts(st, 3, v), out);
	sqlite3_bind_int(st, 4, (int)level);
	BL_TRY_GOTO(rc, step_done(st), out);
	rc = !existed;
out:
	stmt_done(s, q);
	stmt_done(s, st);
	return rc;
}

int dbr_access_delete(struct dbr_store *s, const char *owner, const char *repo, const char *member)
{
	sqlite3_stmt *st =
	    stmt(s, "DELETE FROM access WHERE owner = ? AND repo = ? AND member = ?");
	const char *v[] = { owner, repo, member };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 3, v), out);
	BL_TRY_GOTO(rc, step_done(st), out);
	if (sqlite3_changes(sqlite3_db_handle(st)) == 0)
		rc = bl_err(BL_ENOENT, "%s has no access to %s/%s", member, owner, repo);
out:
	stmt_done(s, st);
	return rc;
}

int dbr_access_list(struct dbr_store *s, const char *owner, const char *repo, struct bl_buf *json)
{
	sqlite3_stmt *st = stmt(s, "SELECT member, level FROM access WHERE owner = ? AND repo = ?");
	const char *v[] = { owner, repo };
	json_t *obj = json_object();
	char *txt = NULL;
	int rc;
	if (!st || !obj) {
		rc = bl_err(BL_ENOMEM, "access list: out of memory");
		goto out;
	}
	BL_TRY_GOTO(rc, bind_texts(st, 2, v), out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(
		    obj, (const char *)sqlite3_column_text(st, 0),
		    json_string(sqlite3_column_int(st, 1) >= DBR_WRITE ? "write" : "read"));
	if (rc != SQLITE_DONE) {
		rc = sql_err(st, rc);
		goto out;
	}
	txt = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	rc = txt ? bl_buf_puts(json, txt) : bl_err(BL_ENOMEM, "access list: out of memory");
out:
	free(txt);
	json_decref(obj);
	stmt_done(s, st);
	return rc;
}

int dbr_tag_get(struct dbr_store *s, const char *owner, const char *repo, const char *tag,
                struct dbr_tag *out)
{
	sqlite3_stmt *st =
	    stmt(s, "SELECT ctype, body, entry FROM tags WHERE owner = ? AND repo = ? "
	            "AND tag = ?");
	const char *v[] = { owner, repo, tag };
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 3, v), out);
	BL_TRY_GOTO(rc, step_row(st), out);
	copy_str(st, 0, out->ctype, sizeof(out->ctype));
	BL_TRY_GOTO(rc, copy_col(st, 1, &out->body), out);
	BL_TRY_GOTO(rc, copy_col(st, 2, &out->entry), out);
out:
	stmt_done(s, st);
	if (rc == BL_ENOENT)
		bl_err(BL_ENOENT, "tag %s/%s:%s not found", owner, repo, tag);
	return rc;
}

void dbr_tag_free(struct dbr_tag *t)
{
	bl_buf_free(&t->body);
	bl_buf_free(&t->entry);
}

int dbr_tag_put(struct dbr_store *s, const char *owner, const char *repo, const char *tag,
                const char *ctype, const void *body, size_t blen, const void *entry, size_t elen)
{
	sqlite3_stmt *st = stmt(s, "INSERT INTO tags(owner, repo, tag, ctype, body, entry) "
	                           "VALUES(?,?,?,?,?,?)");
	const char *v[] = { owner, repo, tag, ctype };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 4, v), out);
	sqlite3_bind_blob(st, 5, body, (int)blen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, entry, (int)elen, SQLITE_STATIC);
	rc = step_done(st);
out:
	stmt_done(s, st);
	return rc;
}

struct tagname {
	char *s;
	struct dbr_semver v;
};

static int tagname_cmp(const void *a, const void *b)
{
	return dbr_semver_cmp(&((const struct tagname *)a)->v, &((const struct tagname *)b)->v);
}

int dbr_tag_list(struct dbr_store *s, const char *owner, const char *repo, struct bl_buf *json)
{
	sqlite3_stmt *st = stmt(s, "SELECT tag FROM tags WHERE owner = ? AND repo = ?");
	const char *v[] = { owner, repo };
	struct tagname *t = NULL;
	size_t n = 0, cap = 0;
	json_t *arr = json_array();
	char *txt = NULL;
	int rc;
	if (!st || !arr) {
		rc = bl_err(BL_ENOMEM, "tag list: out of memory");
		goto out;
	}
	BL_TRY_GOTO(rc, bind_texts(st, 2, v), out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		if (n == cap) {
			struct tagname *nt = realloc(t, (cap = cap ? cap * 2 : 16) * sizeof(*t));
			if (!nt) {
				rc = bl_err(BL_ENOMEM, "tag list: out of memory");
				goto out;
			}
			t = nt;
		}
		t[n].s = strdup(name ? name : "");
		if (!t[n].s) {
			rc = bl_err(BL_ENOMEM, "tag list: out of memory");
			goto out;
		}
		if (dbr_semver_parse(t[n].s, strlen(t[n].s), &t[n].v) < 0) {
			free(t[n].s);
			continue; /* never stored: the server checks names first */
		}
		n++;
	}
	if (rc != SQLITE_DONE) {
		rc = sql_err(st, rc);
		goto out;
	}
	qsort(t, n, sizeof(*t), tagname_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(t[i].s));
	txt = json_dumps(arr, JSON_COMPACT);
	rc = txt ? bl_buf_puts(json, txt) : bl_err(BL_ENOMEM, "tag list: out of memory");
out:
	for (size_t i = 0; i < n; i++)
		free(t[i].s);
	free(t);
	free(txt);
	json_decref(arr);
	stmt_done(s, st);
	return rc;
}

int dbr_node_get(struct dbr_store *s, const char *owner, const char *repo, const char *tag,
                 const char *path, struct dbr_node *out)
{
	sqlite3_stmt *st = stmt(s, "SELECT ctype, length, blob, digest FROM nodes WHERE owner = ? "
	                           "AND repo = ? AND tag = ? AND path = ?");
	const char *v[] = { owner, repo, tag, path };
	int rc;
	memset(out, 0, sizeof(*out));
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 4, v), out);
	BL_TRY_GOTO(rc, step_row(st), out);
	copy_str(st, 0, out->ctype, sizeof(out->ctype));
	out->length = (uint64_t)sqlite3_column_int64(st, 1);
	copy_str(st, 2, out->blob, sizeof(out->blob));
	copy_str(st, 3, out->digest, sizeof(out->digest));
out:
	stmt_done(s, st);
	if (rc == BL_ENOENT)
		bl_err(BL_ENOENT, "node %s/%s:%s/%s not found", owner, repo, tag, path);
	return rc;
}

int dbr_node_put(struct dbr_store *s, const char *owner, const char *repo, const char *tag,
                 const char *path, const struct dbr_node *n)
{
	sqlite3_stmt *st = stmt(s, "INSERT INTO nodes(owner, repo, tag, path, ctype, length, blob, "
	                           "digest) VALUES(?,?,?,?,?,?,?,?)");
	const char *v[] = { owner, repo, tag, path, n->ctype };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 5, v), out);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)n->length);
	sqlite3_bind_text(st, 7, n->blob, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, n->digest, -1, SQLITE_STATIC);
	rc = step_done(st);
out:
	stmt_done(s, st);
	return rc;
}

/* ---- maintenance ---- */

static int blob_referenced(struct dbr_store *s, const char *hex, int *yes)
{
	sqlite3_stmt *st = stmt(s, "SELECT 1 FROM nodes WHERE blob = ? LIMIT 1");
	const char *v[] = { hex };
	int rc;
	if (!st)
		return BL_EIO;
	BL_TRY_GOTO(rc, bind_texts(st, 1, v), out);
	rc = step_row(st);
	*yes = rc == 0;
	if (rc == BL_ENOENT)
		rc = 0;
out:
	stmt_done(s, st);
	return rc;
}

typedef int (*blob_fn)(struct dbr_store *s, const char *sub, const char *hex, void *arg);

static int each_blob(struct dbr_store *s, blob_fn fn, void *arg)
{
	char sub[4200];
	for (int i = 0; i < 256; i++) {
		DIR *d;
		struct dirent *de;
		snprintf(sub, sizeof(sub), "%s/blobs/%02x", s->dir, i);
		d = opendir(sub);
		if (!d)
			continue;
		while ((de = readdir(d)) != NULL) {
			int rc;
			if (de->d_name[0] == '.')
				continue;
			rc = fn(s, sub, de->d_name, arg);
			if (rc < 0) {
				closedir(d);
				return rc;
			}
		}
		closedir(d);
	}
	return 0;
}

struct gc_state {
	time_t cutoff;
	size_t removed, kept;
};

static int gc_one(struct dbr_store *s, const char *sub, const char *hex, void *arg)
{
	struct gc_state *g = arg;
	char path[4400];
	struct stat st;
	int used = 1;
	snprintf(path, sizeof(path), "%s/%s", sub, hex);
	BL_TRY(blob_referenced(s, hex, &used));
	if (used || stat(path, &st) < 0 || st.st_mtime > g->cutoff) {
		g->kept++;
		return 0;
	}
	if (unlink(path) < 0)
		return bl_err(BL_EIO, "gc: unlink %s: %s", path, strerror(errno));
	bl_info("gc: removed unreferenced blob %s", hex);
	g->removed++;
	return 0;
}

int dbr_store_gc(struct dbr_store *s, long grace_s, size_t *removed, size_t *kept)
{
	struct gc_state g = { time(NULL) - grace_s, 0, 0 };
	int rc = each_blob(s, gc_one, &g);
	*removed = g.removed;
	*kept = g.kept;
	return rc;
}

struct fsck_state {
	size_t checked, bad;
};

static int fsck_one(struct dbr_store *s, const char *sub, const char *hex, void *arg)
{
	struct fsck_state *f = arg;
	char path[4400];
	uint8_t buf[65536];
	struct bl_digester *dg;
	struct bl_digest_set got;
	struct bl_buf h = BL_BUF_INIT;
	int fd, rc = 0;

	(void)s;
	f->checked++;
	snprintf(path, sizeof(path), "%s/%s", sub, hex);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		bl_error("fsck: %s: %s", path, strerror(errno));
		f->bad++;
		return 0;
	}
	dg = bl_digester_new(1u << BL_SHA256);
	if (!dg) {
		close(fd);
		return BL_ENOMEM;
	}
	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		BL_TRY_GOTO(rc, bl_digester_update(dg, buf, (size_t)k), out);
	}
	BL_TRY_GOTO(rc, bl_digester_final(dg, &got), out);
	BL_TRY_GOTO(rc, bl_hex_encode(&h, got.val[BL_SHA256], 32), out);
	if (strcmp((const char *)h.p, hex) != 0) {
		bl_error("fsck: blob %s is damaged: its content hashes to %s", hex, (char *)h.p);
		f->bad++;
	}
out:
	bl_buf_free(&h);
	bl_digester_free(dg);
	close(fd);
	return rc;
}

int dbr_store_fsck(struct dbr_store *s, size_t *checked, size_t *bad)
{
	struct fsck_state f = { 0, 0 };
	sqlite3_stmt *st;
	int rc = each_blob(s, fsck_one, &f);
	if (rc < 0)
		return rc;
	st = stmt(s, "SELECT DISTINCT blob FROM nodes");
	if (!st)
		return BL_EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		int fd = dbr_blob_open(s, hex ? hex : "");
		if (fd < 0) {
			bl_error("fsck: a node names blob %s, which is missing", hex ? hex : "?");
			f.bad++;
		} else {
			close(fd);
		}
	}
	rc = rc == SQLITE_DONE ? 0 : sql_err(st, rc);
	stmt_done(s, st);
	*checked = f.checked;
	*bad = f.bad;
	return rc;
}
