/*
 * store.h — the registry's storage: metadata in SQLite (WAL) and file
 * contents in a content-addressed blob store keyed by SHA-256.
 *
 * Layout under the store directory:
 *   meta.db          SQLite database (WAL mode, synchronous=FULL)
 *   blobs/XX/HEX     one file per distinct content, HEX = lower-case SHA-256
 *   tmp/             uploads in progress; emptied by dbr_store_claim
 *   server.lock      held (flock) by the one server process of the store
 *
 * Guarantees: a blob is written to tmp/, fsynced, renamed into blobs/ and
 * the directory fsynced before any metadata row names it, so after a crash
 * (or kill -9) at any moment every row names a complete blob; identical
 * contents are stored once. Rows are inserted in one statement each (a
 * transaction), so a node, tag, user or repository either exists whole or
 * not at all. A failed upload removes its temporary file. Connections are
 * per thread (SQLite WAL allows readers beside one writer).
 * Does not: check authorisation, parse bodies (the server does), or delete
 * anything but unreferenced blobs (dbr_store_gc).
 */
#ifndef BL_DRAWBRIDGE_STORE_H
#define BL_DRAWBRIDGE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/err.h"

struct dbr_store;

/* Open (creating when absent) the store in `dir`. */
BL_MUST_CHECK int dbr_store_open(const char *dir, struct dbr_store **out);
/*
 * Take the store for the one server process that may use it: an exclusive
 * lock on DIR/server.lock, held until dbr_store_close (BL_EPERM when another
 * process holds it), then remove the leftovers of interrupted uploads from
 * tmp/. gc and fsck open the store without claiming it, so they run beside
 * a live server without touching its uploads in flight.
 */
BL_MUST_CHECK int dbr_store_claim(struct dbr_store *s);
void dbr_store_close(struct dbr_store *s);
const char *dbr_store_dir(const struct dbr_store *s);

/* ---- blobs ---- */
struct dbr_blob_writer {
	int fd;
	char tmp[4096];
	struct bl_digester *dg;
	uint64_t len;
	struct bl_digest_set got; /* filled by dbr_blob_finish */
};

/* Start a blob; the digester computes `mask` plus SHA-256. */
BL_MUST_CHECK int dbr_blob_begin(struct dbr_store *s, unsigned mask, struct dbr_blob_writer *w);
BL_MUST_CHECK int dbr_blob_write(struct dbr_blob_writer *w, const void *p, size_t n);
/* Finish hashing and fsync the temporary file; w->got holds the digests. */
BL_MUST_CHECK int dbr_blob_finish(struct dbr_blob_writer *w);
/* Move the finished blob into place (or drop it when the content is already stored). */
BL_MUST_CHECK int dbr_blob_commit(struct dbr_store *s, struct dbr_blob_writer *w, char hex[65]);
/* Remove the temporary file (safe after commit and more than once). */
void dbr_blob_abort(struct dbr_blob_writer *w);
/* Open the blob named by hex for reading; returns an fd or a negative code. */
BL_MUST_CHECK int dbr_blob_open(struct dbr_store *s, const char *hex);
/* Read a whole blob of at most `max` bytes into out. */
BL_MUST_CHECK int dbr_blob_read(struct dbr_store *s, const char *hex, size_t max,
                                struct bl_buf *out);

/* ---- metadata (strings are NUL-terminated; bodies are bl_bufs the caller frees) ---- */
struct dbr_user {
	char subject[512];
	struct bl_buf record; /* the JSON body as PUT */
	struct bl_buf jwks; /* {"keys":[...]} or empty */
};
BL_MUST_CHECK int dbr_user_get(struct dbr_store *s, const char *name, struct dbr_user *out);
void dbr_user_free(struct dbr_user *u);
/* BL_EEXIST when the user exists. */
BL_MUST_CHECK int dbr_user_put(struct dbr_store *s, const char *name, const char *subject,
                               const void *record, size_t rlen, const char *jwks);

struct dbr_repo {
	int public_;
	struct bl_buf config;
};
BL_MUST_CHECK int dbr_repo_get(struct dbr_store *s, const char *owner, const char *name,
                               struct dbr_repo *out);
BL_MUST_CHECK int dbr_repo_put(struct dbr_store *s, const char *owner, const char *name,
                               int public_, const void *config, size_t clen);

/* Access level a user whose token subject is `subject` has on a repository. */
enum dbr_level { DBR_NONE = 0, DBR_READ = 1, DBR_WRITE = 2, DBR_OWNER = 3 };
BL_MUST_CHECK int dbr_access_of(struct dbr_store *s, const char *owner, const char *repo,
                                const char *subject, enum dbr_level *out);
/* Returns 1 when created, 0 when changed. */
BL_MUST_CHECK int dbr_access_put(struct dbr_store *s, const char *owner, const char *repo,
                                 const char *member, enum dbr_level level);
BL_MUST_CHECK int dbr_access_delete(struct dbr_store *s, const char *owner, const char *repo,
                                    const char *member);
/* {"member":"read"|"write",...}, compact, sorted. */
BL_MUST_CHECK int dbr_access_list(struct dbr_store *s, const char *owner, const char *repo,
                                  struct bl_buf *json);

struct dbr_tag {
	char ctype[64];
	struct bl_buf body; /* the tag body as PUT */
	struct bl_buf entry; /* the root entry JSON (the JWS payload for signed tags) */
};
BL_MUST_CHECK int dbr_tag_get(struct dbr_store *s, const char *owner, const char *repo,
                              const char *tag, struct dbr_tag *out);
void dbr_tag_free(struct dbr_tag *t);
BL_MUST_CHECK int dbr_tag_put(struct dbr_store *s, const char *owner, const char *repo,
                              const char *tag, const char *ctype, const void *body, size_t blen,
                              const void *entry, size_t elen);
/* JSON array of tag names sorted by semantic version. */
BL_MUST_CHECK int dbr_tag_list(struct dbr_store *s, const char *owner, const char *repo,
                               struct bl_buf *json);

struct dbr_node {
	char ctype[256];
	uint64_t length;
	char blob[65];
	char digest[600]; /* Content-Digest value to answer with */
};
BL_MUST_CHECK int dbr_node_get(struct dbr_store *s, const char *owner, const char *repo,
                               const char *tag, const char *path, struct dbr_node *out);
BL_MUST_CHECK int dbr_node_put(struct dbr_store *s, const char *owner, const char *repo,
                               const char *tag, const char *path, const struct dbr_node *n);

/*
 * Remove blobs no row references and older than `grace_s` seconds (younger
 * ones may belong to an upload that has not inserted its row yet).
 * *removed and *kept count blobs.
 */
BL_MUST_CHECK int dbr_store_gc(struct dbr_store *s, long grace_s, size_t *removed, size_t *kept);
/* Re-hash every blob and check every node's blob exists; *bad counts problems (logged). */
BL_MUST_CHECK int dbr_store_fsck(struct dbr_store *s, size_t *checked, size_t *bad);

#endif
