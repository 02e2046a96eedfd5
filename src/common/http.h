/*
 * http.h — Bailey's small HTTP/1.1 client (RFC 9112) over TCP or TLS (OpenSSL).
 *
 * What it does: one client object talks to one origin at a time
 * (http://host:port or https://host:port) over one connection that it keeps
 * alive between requests and re-opens when the server closed it. A request
 * carries a method, a target, extra header lines and an optional body taken
 * from memory, a file descriptor or a read callback (sent with Content-Length
 * when the length is known, chunked otherwise). The response's status and
 * headers are collected; its body is handed to a callback piece by piece, or
 * collected into a buffer up to a limit, so a large file never has to sit in
 * memory.
 *
 * Guarantees:
 *  - Every response byte goes through http-parser (libhttp-parser); this file
 *    never interprets response framing itself. Header names and values are
 *    copied out under a total size limit (opts.max_header_bytes) and a count
 *    limit; the body is cut off with BL_ENOMEM past opts.max_body bytes.
 *  - A body that ends before its Content-Length or last chunk is an error
 *    (BL_ETRUNC), never a short success.
 *  - TLS: certificates are verified against opts.ca_file (or the system store
 *    when NULL) and the host name or IP address of the URL (RFC 6125); TLS 1.2
 *    is the minimum. An optional client certificate and key are presented.
 *  - Every socket read, write, the connect and the whole TLS handshake
 *    observe opts.timeout_ms;
 *    the whole response head (with any 1xx before it) must also arrive
 *    within opts.timeout_ms of the request's end, so a server trickling its
 *    head byte by byte is cut off. At most 16 interim (1xx) answers.
 *  - 1xx, 204 and 304 answers and answers to HEAD end with their head
 *    (RFC 9112 §6.3), whatever framing headers they carry; a 1xx or 204
 *    that announces a body closes the connection after it.
 *  - Redirects are returned to the caller as they are (3xx) unless
 *    opts.max_redirects > 0; then GET and HEAD follow Location up to that many
 *    times, to http or https URLs only, never from https down to http.
 *
 * Does not: support HTTP/2, proxies, cookies, authentication schemes
 * (callers add an Authorization header line), compression, or pipelining.
 * It never logs header values (callers put bearer tokens in them).
 *
 * Retries: a request that fails on a kept-alive connection before any byte
 * of the answer arrived (the server had closed it) is sent once more on a new
 * connection when its body can be replayed (none, memory, or a seekable fd).
 *
 * Process state: OpenSSL writes with write(2), so bl_http_new sets SIGPIPE to
 * "ignore" when it is at its default (a peer's reset then is an EPIPE error,
 * not the end of the process).
 *
 * Threading: a client object is used by one thread at a time; distinct
 * objects are independent.
 */
#ifndef BL_COMMON_HTTP_H
#define BL_COMMON_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

/* A parsed http/https URL. Strings are owned; free with bl_url_free. */
struct bl_url {
	int tls; /* 1 for https */
	char *host; /* without brackets for IPv6 literals */
	uint16_t port; /* explicit or the scheme's default */
	char *target; /* path and query, at least "/" */
};

/*
 * Parse an absolute http:// or https:// URL (through http_parser_parse_url).
 * User information ("user@") and fragments are refused. BL_EINVAL with a
 * reason when the URL is malformed or of another scheme.
 */
BL_MUST_CHECK int bl_url_parse(const char *s, struct bl_url *out);
void bl_url_free(struct bl_url *u);

/* 1 when the host is a loopback address or "localhost". */
int bl_host_is_loopback(const char *host);

struct bl_http_opts {
	const char *ca_file; /* PEM CA bundle; NULL: the system default store */
	const char *cert_file; /* PEM client certificate chain, or NULL */
	const char *key_file; /* PEM private key for cert_file, or NULL */
	unsigned timeout_ms; /* per connect/read/write; 0: 30000 */
	size_t max_header_bytes; /* status line + headers; 0: 64 KiB */
	uint64_t max_body; /* collected or streamed body bytes; 0: 256 MiB */
	unsigned max_redirects; /* 0: redirects are returned, not followed */
};

/* Body source of a request: at most one of data, fd or read is used. */
struct bl_http_body {
	const void *data; /* whole body in memory (borrowed) */
	int fd; /* or read from here (from its current offset); -1 when unused */
	/* or a callback: returns bytes written to buf (0 at the end) or < 0 */
	ssize_t (*read)(void *arg, void *buf, size_t cap);
	void *arg;
	/*
	 * Length of the body. -1 sends a callback or fd body chunked (until
	 * it reports its end). For data, the length of data.
	 */
	int64_t len;
};

/* A response. Header storage is owned; free with bl_http_resp_free. */
struct bl_http_resp {
	int status; /* e.g. 200 */
	size_t nheaders;
	char **names; /* header names as received */
	char **values; /* their values */
	int64_t content_length; /* -1 when the response had none */
	uint64_t body_bytes; /* body bytes received */
	struct bl_buf body; /* the body, when no on_body callback was given */
	struct bl_buf hstore; /* internal storage for names and values */
};

struct bl_http_req {
	const char *method; /* "GET", "PUT", … */
	const char *target; /* origin-form: "/path?query" */
	const char *const *headers; /* "Name: value" lines, NULL-terminated, or NULL */
	const struct bl_http_body *body; /* NULL: no body */
	/*
	 * Called once the status and headers are known, before any body byte:
	 * returning < 0 aborts the request with that code (the connection is
	 * closed). May be NULL.
	 */
	int (*on_headers)(void *arg, const struct bl_http_resp *resp);
	/* Called with each piece of the body; < 0 aborts. NULL: collect in resp->body. */
	int (*on_body)(void *arg, const void *p, size_t n);
	void *arg;
	/* Progress of the upload: bytes sent so far of total (-1 unknown). May be NULL. */
	void (*on_upload)(void *arg, uint64_t sent, int64_t total);
	/*
	 * Send "Expect: 100-continue" (RFC 9110 §10.1.1) and the body only
	 * after the server's 100 — or after a second without an answer, for
	 * servers that ignore it. A final answer before that (401, 413…) is
	 * returned without the body ever being sent. For large uploads.
	 */
	int expect_continue;
	/*
	 * This request's body limit when below opts.max_body (0: that one): a
	 * larger announced Content-Length is refused at the head, a longer
	 * body cut off, so a small answer is never collected up to the
	 * client-wide limit first.
	 */
	uint64_t max_body;
};

struct bl_http;

/*
 * A client for the origin of base_url (its path is ignored). opts may be NULL.
 * Returns NULL with a reason when the URL is bad or TLS cannot be set up (CA
 * file or client key unreadable). Free with bl_http_free.
 */
struct bl_http *bl_http_new(const char *base_url, const struct bl_http_opts *opts);
void bl_http_free(struct bl_http *h);

/*
 * Perform one request and read its whole response. On success resp holds the
 * status and headers (any status, including 4xx/5xx) and, without on_body,
 * the body. On failure (connection, TLS, timeout, malformed or truncated
 * response, a limit, a callback's error) returns < 0 with a reason; resp is
 * still initialised and must be freed. The connection is kept for the next
 * request when the server allows it.
 */
BL_MUST_CHECK int bl_http_do(struct bl_http *h, const struct bl_http_req *req,
                             struct bl_http_resp *resp);

/* Release a response's storage. Safe on a zeroed or already freed response. */
void bl_http_resp_free(struct bl_http_resp *resp);

/* The value of the first header called name (case-insensitive), or NULL. */
const char *bl_http_resp_header(const struct bl_http_resp *resp, const char *name);

/* Number of TCP connections this client has opened (for keep-alive tests). */
unsigned bl_http_connections(const struct bl_http *h);

/*
 * The response parser on its own, for the fuzz harness and tests: feed the
 * bytes of one response (in any split) and finish. Uses the same code path
 * as bl_http_do. head selects HEAD semantics (no body).
 */
struct bl_http_rparser;
struct bl_http_rparser *bl_http_rparser_new(const struct bl_http_opts *opts, int head,
                                            struct bl_http_resp *resp,
                                            int (*on_body)(void *, const void *, size_t),
                                            void *arg);
/* Returns 1 when the message is complete, 0 when more bytes are needed, < 0 on error. */
BL_MUST_CHECK int bl_http_rparser_feed(struct bl_http_rparser *rp, const void *p, size_t n);
/* The peer closed the stream: 0 when the message is complete, BL_ETRUNC otherwise. */
BL_MUST_CHECK int bl_http_rparser_eof(struct bl_http_rparser *rp);
void bl_http_rparser_free(struct bl_http_rparser *rp);

#endif
