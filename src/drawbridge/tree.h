/*
 * tree.h — Drawbridge names, tags and the directory/entry JSON codec, shared by
 * the registry server and its client.
 *
 * Formats (Drawbridge API v0.1.0, DESIGN.md "Wire formats"):
 *   - user names `[A-Za-z0-9]+`, repository names `[A-Za-z0-9-]+`, tree node
 *     names `[A-Za-z0-9._:-]+`, each at most DBR_NAME_MAX bytes (our limit; the
 *     original has none). A tree path is node names joined by '/', "" is the root;
 *     "." and ".." are refused as names so a path can never climb.
 *   - tags are Semantic Versions 2.0.0 (semver.org §2–§11), compared by §11
 *     precedence; build metadata breaks ties bytewise so the order is total.
 *   - an entry (`application/vnd.drawbridge.entry.v1+json`) is
 *     {"digest":{ALG:BASE64},"length":N,"type":MIME}; ALG is an RFC 9530 name
 *     (sha-224/256/384/512), BASE64 the standard padded alphabet. Other members
 *     are accepted and ignored by the parser (Drawbridge keeps them as "custom").
 *   - a directory (`application/vnd.drawbridge.directory.v1+json`) is a JSON
 *     object from node name to entry. Its digest covers the exact bytes sent;
 *     dbr_dir_format() writes the canonical form (compact, keys sorted) that
 *     our client publishes.
 *
 * Guarantees: parsers read untrusted bytes only through struct bl_cur and
 * jansson, reject duplicate keys, invalid names, unknown digest algorithms,
 * digests of the wrong size, empty digest sets, negative or non-integer
 * lengths and lengths above 2^53 (the JSON-safe integer range), and record a
 * reason with bl_err(). They never read outside the input.
 * Does not: check that a directory's entries match any content (callers do),
 * or interpret MIME types beyond requiring printable ASCII.
 */
#ifndef BL_DRAWBRIDGE_TREE_H
#define BL_DRAWBRIDGE_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/digest.h"
#include "common/err.h"

#define DBR_NAME_MAX 255
#define DBR_TYPE_MAX 255
#define DBR_LENGTH_MAX ((uint64_t)1 << 53)

#define DBR_TYPE_DIRECTORY "application/vnd.drawbridge.directory.v1+json"
#define DBR_TYPE_ENTRY "application/vnd.drawbridge.entry.v1+json"
#define DBR_TYPE_JWS "application/jose+json"

/* Name checks: 1 when s[0..n) is a valid name of that kind, else 0. */
int dbr_user_name_ok(const char *s, size_t n);
int dbr_repo_name_ok(const char *s, size_t n);
int dbr_node_name_ok(const char *s, size_t n);
/* A tree path: "" or node names separated by single '/'. */
int dbr_tree_path_ok(const char *s, size_t n);

/* A parsed semantic version; pre and build borrow from the parsed string. */
struct dbr_semver {
	uint64_t major, minor, patch;
	const char *pre; /* pre-release identifiers without '-', or NULL */
	size_t pre_len;
	const char *build; /* build metadata without '+', or NULL */
	size_t build_len;
};

/* Parse s[0..n) strictly (no leading zeros, no 'v' prefix, no spaces). */
BL_MUST_CHECK int dbr_semver_parse(const char *s, size_t n, struct dbr_semver *out);
/* <0, 0, >0 as a precedes, equals or follows b (semver §11, then build bytes). */
int dbr_semver_cmp(const struct dbr_semver *a, const struct dbr_semver *b);

/* An entry: what a parent (directory or tag) says about one node. */
struct dbr_entry {
	struct bl_digest_set digest;
	uint64_t length;
	char type[DBR_TYPE_MAX + 1];
};

/* Parse one entry object from JSON bytes. */
BL_MUST_CHECK int dbr_entry_parse(struct bl_cur *in, struct dbr_entry *out);
/* Append the canonical JSON of e to out. */
BL_MUST_CHECK int dbr_entry_format(const struct dbr_entry *e, struct bl_buf *out);
/* Describe bytes p[0..n) of MIME type `type` with the digests in `mask`. */
BL_MUST_CHECK int dbr_entry_of_bytes(const void *p, size_t n, const char *type, unsigned mask,
                                     struct dbr_entry *out);
/*
 * Does `actual` (computed over a node) satisfy `expected` (its parent's
 * entry)? Every digest of expected must be present in actual and equal,
 * lengths and types must be equal. BL_EVERIFY naming the difference otherwise.
 */
BL_MUST_CHECK int dbr_entry_match(const struct dbr_entry *expected, const struct dbr_entry *actual);

struct dbr_dirent {
	char name[DBR_NAME_MAX + 1];
	struct dbr_entry entry;
};

/* A directory: entries sorted by name (bytewise), names unique. */
struct dbr_dir {
	size_t n;
	struct dbr_dirent *ents; /* owned; free with dbr_dir_free */
};

/* Parse a directory of at most `max_entries` entries; out is freed on failure. */
BL_MUST_CHECK int dbr_dir_parse(struct bl_cur *in, size_t max_entries, struct dbr_dir *out);
/* The entry named s[0..n), or NULL. */
const struct dbr_entry *dbr_dir_find(const struct dbr_dir *d, const char *s, size_t n);
/* Append the canonical JSON of d (compact, keys sorted) to out. */
BL_MUST_CHECK int dbr_dir_format(const struct dbr_dir *d, struct bl_buf *out);
/* Add an entry (keeps the order); BL_EEXIST when the name is taken. */
BL_MUST_CHECK int dbr_dir_add(struct dbr_dir *d, const char *name, const struct dbr_entry *e);
void dbr_dir_free(struct dbr_dir *d);

/*
 * Append a Content-Digest value in Drawbridge's spelling,
 * "sha-256=:B64:,sha-384=:B64:" (algorithm order, no spaces: Drawbridge's
 * own parser splits on ',' and does not trim, so it cannot read ", ").
 */
BL_MUST_CHECK int dbr_digest_header(const struct bl_digest_set *d, struct bl_buf *out);

#endif
