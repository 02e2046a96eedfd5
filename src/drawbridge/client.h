/*
 * client.h — the Drawbridge registry client (API v0.1.0, DESIGN.md "Wire
 * formats"), on the common HTTP client (common/http.h), for `bailey` and for
 * the guest (`bailey-exec`).
 *
 * What it does: registers and reads users and repositories, lists a
 * repository's tags (sorted by semantic version), manages the sharing
 * extension (`_access`), publishes a local directory tree of any depth under
 * an immutable tag, and fetches a tagged tree into a local directory.
 *
 * Publish order: the whole tree is hashed first, bottom-up (each directory's
 * canonical JSON, dbr_dir_format, covers its children's entries); then the
 * tag is PUT with the root entry and the nodes are PUT parents first, because
 * the server checks each node against its parent's entry (the tag for the
 * root). Every PUT carries Content-Digest (sha-256 and sha-384, in Drawbridge's
 * spelling without spaces, dbr_digest_header). A 409 on the
 * tag is accepted only when the stored tag carries the same root entry as
 * ours (then the publish resumes); a 409 on a node only when HEAD shows the same
 * Content-Digest and length.
 *
 * Fetch guarantees: the tag's root entry, and then each node's bytes, are
 * checked against the entry its parent gives it (every digest, the length
 * and the type) and against the response's Content-Digest (every algorithm
 * of every Content-Digest field line). Tag bodies and listings are refused
 * at the head when they announce more than their limit. All directory
 * listings are fetched and verified first (so the tree's shape and size are
 * known before any file byte), then the files stream to disk (never whole in
 * memory) and are cut off past their stated length. The
 * tree is written into a temporary directory beside the destination and
 * renamed into place only when every node verified; on any failure nothing
 * is left behind.
 *
 * Signed tags are verified only when the caller gives the publisher's keys
 * (opts.tag_jwks); otherwise a signed tag's payload is used after checking
 * the tag body's Content-Digest, and dbr_fetch reports the tag as signed but
 * unchecked.
 *
 * Does not: follow redirects, or retry failed requests (beyond the HTTP
 * client's one resend on a stale kept-alive connection).
 */
#ifndef BL_DRAWBRIDGE_CLIENT_H
#define BL_DRAWBRIDGE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "drawbridge/tree.h"

#define DBR_API_PREFIX "/api/v0.1.0"

/* A parsed slug `[host[:port]/]user[/repo[:tag]]`. */
struct dbr_slug {
	char host[262]; /* "host" or "host:port"; "" when absent */
	char user[DBR_NAME_MAX + 1];
	char repo[DBR_NAME_MAX + 1]; /* "" when absent */
	char tag[DBR_NAME_MAX + 1]; /* "" when absent */
};

enum dbr_slug_kind { DBR_SLUG_USER, DBR_SLUG_REPO, DBR_SLUG_TAG };

/*
 * Parse a slug that must name exactly a user, a repository or a tag (kind).
 * Names follow tree.h (user `[A-Za-z0-9]+`, repo `[A-Za-z0-9-]+`, tag a
 * semantic version); the host is a DNS name, IPv4 address or [IPv6] with an
 * optional port. BL_EINVAL with the reason otherwise.
 */
BL_MUST_CHECK int dbr_slug_parse(const char *s, enum dbr_slug_kind kind, struct dbr_slug *out);

/*
 * The root entry a tag body of Content-Type ctype carries: the body itself
 * (application/vnd.drawbridge.entry.v1+json) or the payload of a JWS in JSON
 * serialization (application/jose+json; *signed_tag = 1). The signature is
 * NOT verified here (the server verified it against the publisher's keys).
 */
BL_MUST_CHECK int dbr_tag_entry_parse(const char *ctype, const void *body, size_t n,
                                      struct dbr_entry *e, int *signed_tag);

/* Progress of an upload or a download: bytes done of total over the whole operation. */
typedef void (*dbr_progress_fn)(void *arg, uint64_t done, uint64_t total);

struct dbr_client_opts {
	const char *url; /* "https://host[:port]" (or http://, which callers restrict) */
	const char *token; /* bearer token, or NULL; copied, wiped on free */
	const char *ca_file; /* NULL: system CA store */
	const char *cert_file, *key_file; /* TLS client certificate (Keeps), or NULL */
	unsigned timeout_ms; /* 0: 30 s */
	uint64_t max_file; /* largest file published or fetched; 0: 256 MiB */
	/*
	 * Signed tags. sign_key: a PEM private key (EC P-256 for ES256, or RSA
	 * for RS256); dbr_publish then puts the tag as a flattened JWS
	 * (RFC 7515 §7.2.2) over the root entry. tag_jwks: a JWK set (RFC 7517
	 * §5, text); dbr_fetch and dbr_package_info then accept only a tag
	 * signed by one of its keys (BL_EVERIFY otherwise; BL_EUNSUPP when
	 * built without cjose).
	 */
	const char *sign_key;
	const char *tag_jwks;
	dbr_progress_fn progress;
	void *progress_arg;
};

struct dbr_client;

/* NULL with a reason on failure. Free with dbr_client_free. */
struct dbr_client *dbr_client_new(const struct dbr_client_opts *o);
void dbr_client_free(struct dbr_client *c);

/*
 * The "sub" claim of a JWT (read without verifying it: it is the caller's own
 * token and only names the subject to register). Appended to out.
 */
BL_MUST_CHECK int dbr_token_subject(const char *jwt, struct bl_buf *out);

/*
 * Errors from the server map to codes: 400 BL_EINVAL, 401/403 BL_EPERM, 404
 * BL_ENOENT, 409 BL_EEXIST, 413 BL_ERANGE, others BL_EIO; the reason names
 * the request and quotes the server's one-line message.
 */

/* jwks: the user's public JWK set (text) for signed tags, or NULL. */
BL_MUST_CHECK int dbr_user_register(struct dbr_client *c, const char *user, const char *subject,
                                    const char *jwks);
/* The user record JSON, appended to out. */
BL_MUST_CHECK int dbr_user_info(struct dbr_client *c, const char *user, struct bl_buf *out);
BL_MUST_CHECK int dbr_repo_register(struct dbr_client *c, const char *user, const char *repo,
                                    int public_);
BL_MUST_CHECK int dbr_repo_info(struct dbr_client *c, const char *user, const char *repo,
                                struct bl_buf *out);

/* Tags, sorted by semver precedence (§11). *tags is an array of owned strings. */
BL_MUST_CHECK int dbr_tag_list(struct dbr_client *c, const char *user, const char *repo,
                               char ***tags, size_t *n);
void dbr_tag_list_free(char **tags, size_t n);

/* Sharing: access is "read" or "write". */
BL_MUST_CHECK int dbr_access_grant(struct dbr_client *c, const char *user, const char *repo,
                                   const char *member, const char *access);
BL_MUST_CHECK int dbr_access_revoke(struct dbr_client *c, const char *user, const char *repo,
                                    const char *member);
/* The member list JSON, appended to out. */
BL_MUST_CHECK int dbr_access_list(struct dbr_client *c, const char *user, const char *repo,
                                  struct bl_buf *out);

struct dbr_publish_stats {
	unsigned files, dirs; /* nodes in the tree */
	unsigned created, present; /* PUT answered 201, or 409 with the same node */
	uint64_t bytes; /* file bytes in the tree */
	int tag_existed; /* a tag with the same root entry was there (a resumed publish) */
	int signed_tag; /* the tag was put as a JWS (opts.sign_key) */
	struct dbr_entry root;
};

/*
 * Publish directory `dir` as user/repo:tag. Refuses symbolic links, special
 * files, names that are not node names, trees deeper than 64 and files above
 * max_file, before anything is sent. A file is uploaded only when the path
 * still leads to the file that was hashed (same device and inode): a
 * directory swapped for a link in between cannot send a file from outside.
 */
BL_MUST_CHECK int dbr_publish(struct dbr_client *c, const char *user, const char *repo,
                              const char *tag, const char *dir, struct dbr_publish_stats *st);

struct dbr_fetch_stats {
	unsigned files, dirs;
	uint64_t bytes;
	int signed_tag; /* the tag is a JWS */
	int signature_checked; /* … and it verified under opts.tag_jwks */
	struct dbr_entry root;
};

/*
 * Fetch user/repo:tag into `dest`, which must not exist (an empty directory
 * is replaced). Verifies every node as described above.
 */
BL_MUST_CHECK int dbr_fetch(struct dbr_client *c, const char *user, const char *repo,
                            const char *tag, const char *dest, struct dbr_fetch_stats *st);

/*
 * The tag's root entry and, when the root is a directory, its verified
 * listing (out_dir, free with dbr_dir_free; n == 0 otherwise). *signed_tag:
 * 0 unsigned, 1 signed but not checked, 2 signed and verified (tag_jwks).
 */
BL_MUST_CHECK int dbr_package_info(struct dbr_client *c, const char *user, const char *repo,
                                   const char *tag, struct dbr_entry *root, int *signed_tag,
                                   struct dbr_dir *out_dir);

#endif
