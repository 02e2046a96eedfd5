/* http.c — HTTP/1.1 client over TCP/TLS; see http.h. */
#include "common/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 30000u
#define DEFAULT_MAX_HEADER (64u * 1024u)
#define DEFAULT_MAX_BODY (256ull * 1024 * 1024)
#define MAX_HEADERS 128
#define IO_CHUNK 65536
#define EXPECT_WAIT_MS 1000u
#define MAX_INTERIM 16 /* 1xx answers before the final one */

/* ---------------------------------------------------------------- URLs -- */

static char *dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void bl_url_free(struct bl_url *u)
{
	free(u->host);
	free(u->target);
	u->host = u->target = NULL;
}

int bl_url_parse(const char *s, struct bl_url *out)
{
	struct http_parser_url pu;
	size_t n = strlen(s);
	const char *scheme;
	size_t slen;

	memset(out, 0, sizeof(*out));
	http_parser_url_init(&pu);
	if (n > 0xffff || http_parser_parse_url(s, n, 0, &pu) != 0)
		return bl_err(BL_EINVAL, "malformed URL '%.200s'", s);
	if (!(pu.field_set & (1u << UF_SCHEMA)) || !(pu.field_set & (1u << UF_HOST)))
		return bl_err(BL_EINVAL, "URL '%.200s' is not absolute", s);
	if (pu.field_set & ((1u << UF_USERINFO) | (1u << UF_FRAGMENT)))
		return bl_err(BL_EINVAL, "URL '%.200s': user information and fragments are refused",
		              s);
	scheme = s + pu.field_data[UF_SCHEMA].off;
	slen = pu.field_data[UF_SCHEMA].len;
	if (slen == 5 && !strncasecmp(scheme, "https", 5))
		out->tls = 1;
	else if (!(slen == 4 && !strncasecmp(scheme, "http", 4)))
		return bl_err(BL_EINVAL, "URL '%.200s': only http and https are supported", s);
	if (pu.field_data[UF_HOST].len == 0)
		return bl_err(BL_EINVAL, "URL '%.200s' has an empty host", s);
	out->port = (pu.field_set & (1u << UF_PORT)) ? pu.port : (out->tls ? 443 : 80);
	if (out->port == 0)
		return bl_err(BL_EINVAL, "URL '%.200s': port 0", s);
	out->host = dup_range(s + pu.field_data[UF_HOST].off, pu.field_data[UF_HOST].len);
	if (pu.field_set & (1u << UF_PATH)) {
		/* path and query are contiguous in the string */
		size_t off = pu.field_data[UF_PATH].off;
		size_t end = off + pu.field_data[UF_PATH].len;

		if (pu.field_set & (1u << UF_QUERY))
			end = pu.field_data[UF_QUERY].off + pu.field_data[UF_QUERY].len;
		out->target = dup_range(s + off, end - off);
	} else {
		out->target = dup_range("/", 1);
	}
	if (!out->host || !out->target) {
		bl_url_free(out);
		return bl_err(BL_ENOMEM, "out of memory");
	}
	return 0;
}

int bl_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcasecmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int host_is_ip(const char *host)
{
	unsigned char tmp[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

/* ----------------------------------------------------- response parser -- */

struct hdr_off {
	size_t name, value;
};

struct bl_http_rparser {
	http_parser p;
	http_parser_settings s;
	struct bl_http_resp *resp;
	int (*on_headers)(void *, const struct bl_http_resp *);
	int (*on_body)(void *, const void *, size_t);
	void *arg;
	size_t max_header_bytes;
	uint64_t max_body;
	size_t hbytes; /* status line and header bytes seen */
	struct hdr_off offs[MAX_HEADERS];
	size_t nhdr;
	int in_value; /* the last header callback was a value */
	int headers_done;
	int head;
	int done;
	int seen_bytes;
	int cb_rc; /* the error a callback failed with */
	int discard_body; /* a followed redirect: body is dropped */
	int follow; /* whether 3xx with Location should be discarded */
	unsigned interim; /* 1xx responses seen (100 Continue) */
	int no_reuse; /* framing that cannot be trusted: close the connection after it */
};

void bl_http_resp_free(struct bl_http_resp *resp)
{
	free(resp->names);
	free(resp->values);
	bl_buf_free(&resp->hstore);
	bl_buf_free(&resp->body);
	resp->names = resp->values = NULL;
	resp->nheaders = 0;
}

static void resp_init(struct bl_http_resp *resp, uint64_t max_body)
{
	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
	resp->body.limit = max_body > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max_body;
}

const char *bl_http_resp_header(const struct bl_http_resp *resp, const char *name)
{
	for (size_t i = 0; i < resp->nheaders; i++)
		if (!strcasecmp(resp->names[i], name))
			return resp->values[i];
	return NULL;
}

static int rp_fail(struct bl_http_rparser *rp, int code)
{
	rp->cb_rc = code;
	return -1;
}

static int rp_count(struct bl_http_rparser *rp, size_t n)
{
	if (n > rp->max_header_bytes || rp->hbytes > rp->max_header_bytes - n)
		return rp_fail(rp, bl_err(BL_ENOMEM, "response headers exceed %zu bytes",
		                          rp->max_header_bytes));
	rp->hbytes += n;
	return 0;
}

static int rp_on_status(http_parser *p, const char *at, size_t n)
{
	(void)at;
	return rp_count(p->data, n);
}

static int rp_on_field(http_parser *p, const char *at, size_t n)
{
	struct bl_http_rparser *rp = p->data;
	struct bl_buf *hs = &rp->resp->hstore;

	if (rp_count(rp, n) < 0)
		return -1;
	if (rp->headers_done)
		return 0; /* trailer fields: counted, not kept */
	if (rp->in_value || rp->nhdr == 0) {
		if (rp->nhdr == MAX_HEADERS)
			return rp_fail(rp, bl_err(BL_ENOMEM, "response has more than %d headers",
			                          MAX_HEADERS));
		if (rp->nhdr && bl_buf_putc(hs, 0) < 0)
			return rp_fail(rp, BL_ENOMEM);
		rp->offs[rp->nhdr].name = hs->len;
		rp->offs[rp->nhdr].value = SIZE_MAX;
		rp->nhdr++;
		rp->in_value = 0;
	}
	if (bl_buf_append(hs, at, n) < 0)
		return rp_fail(rp, BL_ENOMEM);
	return 0;
}

static int rp_on_value(http_parser *p, const char *at, size_t n)
{
	struct bl_http_rparser *rp = p->data;
	struct bl_buf *hs = &rp->resp->hstore;

	if (rp_count(rp, n) < 0)
		return -1;
	if (rp->headers_done)
		return 0;
	if (BL_NEVER(rp->nhdr == 0))
		return rp_fail(rp, bl_err(BL_EINVAL, "header value without a name"));
	if (!rp->in_value) {
		if (bl_buf_putc(hs, 0) < 0)
			return rp_fail(rp, BL_ENOMEM);
		rp->offs[rp->nhdr - 1].value = hs->len;
		rp->in_value = 1;
	}
	if (bl_buf_append(hs, at, n) < 0)
		return rp_fail(rp, BL_ENOMEM);
	return 0;
}

static int rp_is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static int rp_on_headers_complete(http_parser *p)
{
	struct bl_http_rparser *rp = p->data;
	struct bl_http_resp *r = rp->resp;
	struct bl_buf *hs = &r->hstore;
	int rc;

	/* a header whose value callback never came has an empty value */
	if (rp->nhdr && !rp->in_value) {
		if (bl_buf_putc(hs, 0) < 0)
			return rp_fail(rp, BL_ENOMEM);
		rp->offs[rp->nhdr - 1].value = hs->len;
	}
	if (bl_buf_putc(hs, 0) < 0)
		return rp_fail(rp, BL_ENOMEM);
	r->status = p->status_code;
	/*
	 * RFC 9112 §6.3: 1xx, 204 and 304 answers end with their head, whatever
	 * they say about a body (http-parser 2.x would read one). A 304 may
	 * carry its representation's Content-Length (RFC 9110 §8.6); a 1xx or
	 * 204 announcing a body is lying about its framing, so the connection
	 * is not used again after it.
	 */
	if ((r->status / 100 == 1 || r->status == 204) &&
	    (p->uses_transfer_encoding || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0)))
		rp->no_reuse = 1;
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* an interim response: forget it and parse the real one */
		if (++rp->interim > MAX_INTERIM)
			return rp_fail(rp, bl_err(BL_ENOMEM, "more than %d interim (1xx) answers",
			                          MAX_INTERIM));
		bl_buf_reset(hs);
		rp->nhdr = 0;
		rp->in_value = 0;
		return 1;
	}
	r->names = calloc(rp->nhdr + 1, sizeof(char *));
	r->values = calloc(rp->nhdr + 1, sizeof(char *));
	if (!r->names || !r->values)
		return rp_fail(rp, bl_err(BL_ENOMEM, "out of memory"));
	for (size_t i = 0; i < rp->nhdr; i++) {
		r->names[i] = (char *)hs->p + rp->offs[i].name;
		r->values[i] = (char *)hs->p + rp->offs[i].value;
	}
	r->nheaders = rp->nhdr;
	rp->headers_done = 1;
	if ((p->flags & F_CONTENTLENGTH) && p->content_length <= INT64_MAX)
		r->content_length = (int64_t)p->content_length;
	if (rp->follow && rp_is_redirect(r->status) && bl_http_resp_header(r, "Location"))
		rp->discard_body = 1;
	else if (rp->on_headers && (rc = rp->on_headers(rp->arg, r)) < 0)
		return rp_fail(rp, rc); /* the caller's judgement first: it is the more precise */
	if ((p->flags & F_CONTENTLENGTH) && p->content_length > rp->max_body && !rp->head &&
	    r->status / 100 != 1 && r->status != 204 && r->status != 304)
		return rp_fail(rp, bl_err(BL_ENOMEM,
		                          "response body of %llu bytes exceeds the limit of %llu",
		                          (unsigned long long)p->content_length,
		                          (unsigned long long)rp->max_body));
	return rp->head || r->status / 100 == 1 || r->status == 204 || r->status == 304;
}

static int rp_on_body(http_parser *p, const char *at, size_t n)
{
	struct bl_http_rparser *rp = p->data;
	struct bl_http_resp *r = rp->resp;
	int rc;

	if (n > rp->max_body || r->body_bytes > rp->max_body - n)
		return rp_fail(rp,
		               bl_err(BL_ENOMEM, "response body exceeds the limit of %llu bytes",
		                      (unsigned long long)rp->max_body));
	r->body_bytes += n;
	if (rp->discard_body)
		return 0;
	if (rp->on_body) {
		rc = rp->on_body(rp->arg, at, n);
		if (rc < 0)
			return rp_fail(rp, rc);
		return 0;
	}
	if (bl_buf_append(&r->body, at, n) < 0)
		return rp_fail(rp, BL_ENOMEM);
	return 0;
}

static int rp_on_message_complete(http_parser *p)
{
	struct bl_http_rparser *rp = p->data;

	if (!rp->headers_done)
		return 0; /* end of an interim 1xx response */
	rp->done = 1;
	http_parser_pause(p, 1);
	return 0;
}

static void rp_setup(struct bl_http_rparser *rp, const struct bl_http_opts *o, int head,
                     struct bl_http_resp *resp)
{
	memset(rp, 0, sizeof(*rp));
	http_parser_init(&rp->p, HTTP_RESPONSE);
	http_parser_settings_init(&rp->s);
	rp->p.data = rp;
	rp->s.on_status = rp_on_status;
	rp->s.on_header_field = rp_on_field;
	rp->s.on_header_value = rp_on_value;
	rp->s.on_headers_complete = rp_on_headers_complete;
	rp->s.on_body = rp_on_body;
	rp->s.on_message_complete = rp_on_message_complete;
	rp->max_header_bytes = o && o->max_header_bytes ? o->max_header_bytes : DEFAULT_MAX_HEADER;
	rp->max_body = o && o->max_body ? o->max_body : DEFAULT_MAX_BODY;
	rp->head = head;
	rp->resp = resp;
	resp_init(resp, rp->max_body);
	resp->hstore.limit = rp->max_header_bytes + MAX_HEADERS * 2 + 2;
}

/* Feed bytes; *used gets how many the parser consumed (the rest follow the message). */
static int rp_feed(struct bl_http_rparser *rp, const void *data, size_t n, size_t *used)
{
	size_t got;
	enum http_errno e;

	*used = 0;
	if (rp->done)
		return 1;
	if (n)
		rp->seen_bytes = 1;
	got = http_parser_execute(&rp->p, &rp->s, data, n);
	*used = got;
	e = HTTP_PARSER_ERRNO(&rp->p);
	if (e == HPE_PAUSED && rp->done)
		return 1;
	if (e != HPE_OK) {
		if (rp->cb_rc < 0)
			return rp->cb_rc;
		return bl_err(BL_EINVAL, "malformed HTTP response at byte %zu: %s", got,
		              http_errno_description(e));
	}
	if (got != n)
		return bl_err(BL_EINVAL, "malformed HTTP response: parser stopped at byte %zu",
		              got);
	return 0;
}

static int rp_eof(struct bl_http_rparser *rp)
{
	size_t used;
	int rc;

	if (rp->done)
		return 0;
	if (!rp->seen_bytes)
		return bl_err(BL_ETRUNC, "connection closed before a response arrived");
	rc = rp_feed(rp, NULL, 0, &used);
	if (rc < 0 && rc != BL_EINVAL)
		return rc;
	if (rc == 1 || rp->done)
		return 0;
	if (!rp->headers_done)
		return bl_err(BL_ETRUNC, "response truncated in its headers");
	return bl_err(BL_ETRUNC, "response body truncated after %llu bytes",
	              (unsigned long long)rp->resp->body_bytes);
}

struct bl_http_rparser *bl_http_rparser_new(const struct bl_http_opts *opts, int head,
                                            struct bl_http_resp *resp,
                                            int (*on_body)(void *, const void *, size_t), void *arg)
{
	struct bl_http_rparser *rp = malloc(sizeof(*rp));

	if (!rp) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	rp_setup(rp, opts, head, resp);
	rp->on_body = on_body;
	rp->arg = arg;
	return rp;
}

int bl_http_rparser_feed(struct bl_http_rparser *rp, const void *p, size_t n)
{
	size_t used;
	int rc = rp_feed(rp, p, n, &used);

	if (rc == 1 && used < n)
		return bl_err(BL_EINVAL, "%zu bytes follow the end of the response", n - used);
	return rc;
}

int bl_http_rparser_eof(struct bl_http_rparser *rp)
{
	return rp_eof(rp);
}

void bl_http_rparser_free(struct bl_http_rparser *rp)
{
	free(rp);
}

/* ---------------------------------------------------------- connection -- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

struct bl_http {
	struct bl_http_opts o;
	char *ca_file, *cert_file, *key_file;
	struct bl_url origin;
	SSL_CTX *ctx; /* made on the first TLS connection */
	int fd;
	SSL *ssl;
	unsigned nconn;
	int reused; /* the open connection already carried a request */
};

static void conn_close(struct bl_http *h)
{
	if (h->ssl) {
		SSL_free(h->ssl);
		h->ssl = NULL;
	}
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
	h->reused = 0;
}

static int tls_errf(int code, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (!e)
		return bl_err(code, "%s", what);
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return bl_err(code, "%s: %s", what, buf);
}

static int ctx_make(struct bl_http *h)
{
	SSL_CTX *ctx;
	int rc = 0;

	if (h->ctx)
		return 0;
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return tls_errf(BL_ENOMEM, "TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_AUTO_RETRY);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (h->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, h->ca_file, NULL) != 1) {
			rc = tls_errf(BL_EIO, "cannot load CA bundle");
			rc = bl_err_wrap(rc, "%s: ", h->ca_file);
			goto out_free_ctx;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		rc = tls_errf(BL_EIO, "cannot load the system CA store");
		goto out_free_ctx;
	}
	if (h->cert_file) {
		if (SSL_CTX_use_certificate_chain_file(ctx, h->cert_file) != 1) {
			rc = tls_errf(BL_EIO, "cannot load client certificate");
			rc = bl_err_wrap(rc, "%s: ", h->cert_file);
			goto out_free_ctx;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, h->key_file ? h->key_file : h->cert_file,
		                                SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			rc = tls_errf(BL_EIO, "cannot load the client key");
			goto out_free_ctx;
		}
	}
	h->ctx = ctx;
	return 0;
out_free_ctx:
	SSL_CTX_free(ctx);
	return rc;
}

static int wait_fd(int fd, short events, unsigned timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, (int)timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bl_err(BL_EIO, "poll: %s", strerror(errno));
	if (n == 0)
		return bl_err(BL_ETIMEOUT, "timed out after %u ms", timeout_ms);
	return 0;
}

static int tcp_connect_one(const struct addrinfo *ai, unsigned timeout_ms, int *out)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	int fd, err = 0, one = 1, rc, flags;
	socklen_t elen = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return bl_err(BL_EIO, "socket: %s", strerror(errno));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (errno != EINPROGRESS) {
			rc = bl_err(BL_EIO, "connect: %s", strerror(errno));
			goto out_close;
		}
		BL_TRY_GOTO(rc, wait_fd(fd, POLLOUT, timeout_ms), out_close);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err) {
			rc = bl_err(BL_EIO, "connect: %s", strerror(err ? err : errno));
			goto out_close;
		}
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		rc = bl_err(BL_EIO, "socket options: %s", strerror(errno));
		goto out_close;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = fd;
	return 0;
out_close:
	close(fd);
	return rc;
}

static int tls_handshake(struct bl_http *h)
{
	const char *host = h->origin.host;
	uint64_t deadline;
	long vr;
	int rc, flags;

	BL_TRY(ctx_make(h));
	h->ssl = SSL_new(h->ctx);
	if (!h->ssl)
		return tls_errf(BL_ENOMEM, "TLS session");
	if (SSL_set_fd(h->ssl, h->fd) != 1)
		return tls_errf(BL_EIO, "TLS session");
	if (host_is_ip(host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h->ssl), host) != 1)
			return tls_errf(BL_EINVAL, "TLS: IP address check");
	} else {
		if (SSL_set_tlsext_host_name(h->ssl, host) != 1 || SSL_set1_host(h->ssl, host) != 1)
			return tls_errf(BL_EINVAL, "TLS: host name check");
	}
	/*
	 * Non-blocking, against one deadline: with blocking reads only each
	 * read is timed, and a server trickling its handshake never times out.
	 */
	flags = fcntl(h->fd, F_GETFL);
	if (flags < 0 || fcntl(h->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return bl_err(BL_EIO, "socket options: %s", strerror(errno));
	deadline = now_ms() + h->o.timeout_ms;
	for (;;) {
		struct pollfd pfd = { .fd = h->fd };
		uint64_t now;
		int e, n;

		ERR_clear_error();
		rc = SSL_connect(h->ssl);
		if (rc == 1)
			break;
		e = SSL_get_error(h->ssl, rc);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			vr = SSL_get_verify_result(h->ssl);
			if (vr != X509_V_OK)
				return bl_err(BL_EVERIFY,
				              "TLS: server certificate of %s not accepted: %s",
				              host, X509_verify_cert_error_string(vr));
			return tls_errf(BL_EIO, "TLS handshake failed");
		}
		pfd.events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		do {
			now = now_ms();
			n = now >= deadline ? 0 : poll(&pfd, 1, (int)(deadline - now));
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return bl_err(BL_EIO, "poll: %s", strerror(errno));
		if (n == 0)
			return bl_err(BL_ETIMEOUT, "TLS handshake with %s timed out after %u ms",
			              host, h->o.timeout_ms);
	}
	if (fcntl(h->fd, F_SETFL, flags) < 0)
		return bl_err(BL_EIO, "socket options: %s", strerror(errno));
	return 0;
}

static int conn_open(struct bl_http *h)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char port[8];
	int rc, gai;

	conn_close(h);
	snprintf(port, sizeof(port), "%u", h->origin.port);
	gai = getaddrinfo(h->origin.host, port, &hints, &res);
	if (gai)
		return bl_err(BL_EIO, "%s: %s", h->origin.host, gai_strerror(gai));
	rc = bl_err(BL_EIO, "%s: no address", h->origin.host);
	for (ai = res; ai; ai = ai->ai_next) {
		rc = tcp_connect_one(ai, h->o.timeout_ms, &h->fd);
		if (rc == 0)
			break;
	}
	freeaddrinfo(res);
	if (rc < 0)
		return bl_err_wrap(rc, "%s:%u: ", h->origin.host, h->origin.port);
	h->nconn++;
	if (h->origin.tls) {
		rc = tls_handshake(h);
		if (rc < 0) {
			conn_close(h);
			return rc;
		}
	}
	return 0;
}

/* Whether an idle kept-alive connection still looks usable. */
static int conn_alive(struct bl_http *h)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	char c;
	int flags, n, alive;

	if (poll(&pfd, 1, 0) == 0)
		return 1;
	if (!h->ssl)
		return 0; /* EOF or unexpected bytes */
	/* TLS 1.3 session tickets arrive unasked: read them without blocking */
	flags = fcntl(h->fd, F_GETFL);
	if (flags < 0 || fcntl(h->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return 0;
	n = SSL_peek(h->ssl, &c, 1);
	alive = n <= 0 && SSL_get_error(h->ssl, n) == SSL_ERROR_WANT_READ;
	ERR_clear_error();
	if (fcntl(h->fd, F_SETFL, flags) < 0)
		return 0;
	return alive;
}

static int io_errno(const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return bl_err(BL_ETIMEOUT, "%s timed out", what);
	return bl_err(BL_EIO, "%s: %s", what, strerror(errno));
}

static int conn_write(struct bl_http *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t w;

		if (h->ssl) {
			int k = n > INT32_MAX ? INT32_MAX : (int)n;

			ERR_clear_error();
			w = SSL_write(h->ssl, b, k);
			if (w <= 0) {
				if (SSL_get_error(h->ssl, (int)w) == SSL_ERROR_SYSCALL && errno)
					return io_errno("send");
				return tls_errf(BL_EIO, "TLS send");
			}
		} else {
			w = send(h->fd, b, n, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return io_errno("send");
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Returns bytes read, 0 at the end of the stream, < 0 on error. */
static ssize_t conn_read(struct bl_http *h, void *buf, size_t cap)
{
	ssize_t n;

	if (h->ssl) {
		int k = cap > INT32_MAX ? INT32_MAX : (int)cap, e;

		ERR_clear_error();
		errno = 0;
		n = SSL_read(h->ssl, buf, k);
		if (n > 0)
			return n;
		e = SSL_get_error(h->ssl, (int)n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_SYSCALL && errno == 0)
			return 0; /* closed without close_notify: the parser judges */
		if (e == SSL_ERROR_SYSCALL)
			return io_errno("receive");
		return tls_errf(BL_EIO, "TLS receive");
	}
	do
		n = recv(h->fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return io_errno("receive");
	return n;
}

/* ------------------------------------------------------------ requests -- */

/*
 * Before a read of the response head: the whole head must arrive by
 * `deadline`, not just each byte within the read timeout (a server sending
 * one byte a second would otherwise hold the client for hours).
 */
static int wait_head(struct bl_http *h, uint64_t deadline)
{
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	uint64_t now;
	int n;

	if (h->ssl && SSL_pending(h->ssl))
		return 0;
	do {
		now = now_ms();
		n = now >= deadline ? 0 : poll(&pfd, 1, (int)(deadline - now));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return bl_err(BL_EIO, "poll: %s", strerror(errno));
	if (n == 0)
		return bl_err(BL_ETIMEOUT, "the response head did not arrive within %u ms",
		              h->o.timeout_ms);
	return 0;
}

struct bl_http *bl_http_new(const char *base_url, const struct bl_http_opts *opts)
{
	struct bl_http *h = calloc(1, sizeof(*h));
	struct sigaction sa;

	if (!h) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	h->fd = -1;
	if (opts)
		h->o = *opts;
	if (!h->o.timeout_ms)
		h->o.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (!h->o.max_header_bytes)
		h->o.max_header_bytes = DEFAULT_MAX_HEADER;
	if (!h->o.max_body)
		h->o.max_body = DEFAULT_MAX_BODY;
	if ((h->o.ca_file && !(h->ca_file = strdup(h->o.ca_file))) ||
	    (h->o.cert_file && !(h->cert_file = strdup(h->o.cert_file))) ||
	    (h->o.key_file && !(h->key_file = strdup(h->o.key_file)))) {
		bl_err(BL_ENOMEM, "out of memory");
		goto out_free;
	}
	h->o.ca_file = h->o.cert_file = h->o.key_file = NULL;
	if (bl_url_parse(base_url, &h->origin) < 0)
		goto out_free;
	/* TLS writes go through write(2): a peer's reset must not kill the process */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if (h->origin.tls && ctx_make(h) < 0)
		goto out_free;
	return h;
out_free:
	bl_http_free(h);
	return NULL;
}

void bl_http_free(struct bl_http *h)
{
	if (!h)
		return;
	conn_close(h);
	SSL_CTX_free(h->ctx);
	bl_url_free(&h->origin);
	free(h->ca_file);
	free(h->cert_file);
	free(h->key_file);
	free(h);
}

unsigned bl_http_connections(const struct bl_http *h)
{
	return h->nconn;
}

static int check_line(const char *s, const char *what)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return bl_err(BL_EINVAL, "%s contains a control character", what);
	return 0;
}

static int is_auth_header(const char *line)
{
	return !strncasecmp(line, "Authorization:", 14);
}

static int build_head(struct bl_http *h, const struct bl_http_req *req, int cross_origin,
                      struct bl_buf *out)
{
	const struct bl_http_body *b = req->body;
	int v6 = strchr(h->origin.host, ':') != NULL;
	int dflt = h->origin.port == (h->origin.tls ? 443 : 80);

	if (!req->method[0] || strpbrk(req->method, " \r\n") || req->target[0] != '/' ||
	    strpbrk(req->target, " \t"))
		return bl_err(BL_EINVAL, "bad request line '%.40s %.200s'", req->method,
		              req->target);
	BL_TRY(check_line(req->target, "request target"));
	BL_TRY(bl_buf_printf(out, "%s %s HTTP/1.1\r\nHost: %s%s%s", req->method, req->target,
	                     v6 ? "[" : "", h->origin.host, v6 ? "]" : ""));
	if (!dflt)
		BL_TRY(bl_buf_printf(out, ":%u", h->origin.port));
	BL_TRY(bl_buf_puts(out, "\r\nUser-Agent: bailey\r\n"));
	for (const char *const *l = req->headers; l && *l; l++) {
		if (!strchr(*l, ':'))
			return bl_err(BL_EINVAL, "header line without a colon");
		BL_TRY(check_line(*l, "header line"));
		if (cross_origin && is_auth_header(*l))
			continue;
		BL_TRY(bl_buf_printf(out, "%s\r\n", *l));
	}
	if (b && req->expect_continue)
		BL_TRY(bl_buf_puts(out, "Expect: 100-continue\r\n"));
	if (b && b->len >= 0)
		BL_TRY(bl_buf_printf(out, "Content-Length: %lld\r\n", (long long)b->len));
	else if (b)
		BL_TRY(bl_buf_puts(out, "Transfer-Encoding: chunked\r\n"));
	else if (!strcmp(req->method, "PUT") || !strcmp(req->method, "POST"))
		BL_TRY(bl_buf_puts(out, "Content-Length: 0\r\n"));
	return bl_buf_puts(out, "\r\n");
}

static ssize_t body_read(const struct bl_http_body *b, void *buf, size_t cap)
{
	ssize_t n;

	if (b->read) {
		n = b->read(b->arg, buf, cap);
		if (n < 0)
			return n;
		return n;
	}
	do
		n = read(b->fd, buf, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return bl_err(BL_EIO, "reading the request body: %s", strerror(errno));
	return n;
}

/* *local is set when the failure is the body source's, not the connection's. */
static int send_body(struct bl_http *h, const struct bl_http_req *req, uint8_t *chunk, int *local)
{
	const struct bl_http_body *b = req->body;
	uint64_t sent = 0;
	char line[32];

	*local = 1;
	if (b->data && b->len < 0)
		return bl_err(BL_EINVAL, "a memory body needs its length");
	*local = 0;
	if (b->data) {
		BL_TRY(conn_write(h, b->data, (size_t)b->len));
		if (req->on_upload)
			req->on_upload(req->arg, (uint64_t)b->len, b->len);
		return 0;
	}
	for (;;) {
		size_t want = IO_CHUNK;
		ssize_t n;

		if (b->len >= 0 && (uint64_t)b->len - sent < want)
			want = (size_t)((uint64_t)b->len - sent);
		if (b->len >= 0 && want == 0)
			break;
		n = body_read(b, chunk, want);
		*local = n < 0 || (n == 0 && b->len >= 0);
		if (n < 0)
			return (int)n;
		if (n == 0 && b->len >= 0)
			return bl_err(BL_EIO, "request body ended after %llu of %lld bytes",
			              (unsigned long long)sent, (long long)b->len);
		if (n == 0)
			break;
		if (b->len < 0) {
			int k = snprintf(line, sizeof(line), "%zx\r\n", (size_t)n);
			BL_TRY(conn_write(h, line, (size_t)k));
		}
		BL_TRY(conn_write(h, chunk, (size_t)n));
		if (b->len < 0)
			BL_TRY(conn_write(h, "\r\n", 2));
		sent += (uint64_t)n;
		if (req->on_upload)
			req->on_upload(req->arg, sent, b->len);
	}
	if (b->len < 0)
		BL_TRY(conn_write(h, "0\r\n\r\n", 5));
	return 0;
}

/*
 * After a head with "Expect: 100-continue" (RFC 9110 §10.1.1): wait for the
 * server's 100, or for its final answer (a refusal: then the body is not
 * sent, *send = 0), or — for servers that ignore Expect — a short while.
 */
static int await_continue(struct bl_http *h, struct bl_http_rparser *rp, uint8_t *io, int *send)
{
	unsigned wait_ms = h->o.timeout_ms < EXPECT_WAIT_MS ? h->o.timeout_ms : EXPECT_WAIT_MS;
	uint64_t deadline = now_ms() + h->o.timeout_ms;

	*send = 1;
	for (;;) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		size_t used;
		ssize_t n;
		int rc;

		/* an answer trickling in a byte at a time must not hold us forever */
		if (rp->seen_bytes && now_ms() >= deadline)
			return bl_err(BL_ETIMEOUT, "the response head did not arrive within %u ms",
			              h->o.timeout_ms);
		if (!(h->ssl && SSL_pending(h->ssl)) && poll(&pfd, 1, (int)wait_ms) == 0)
			return 0; /* no word: send the body */
		n = conn_read(h, io, IO_CHUNK);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			BL_TRY(rp_eof(rp));
			*send = 0;
			return 0;
		}
		rc = rp_feed(rp, io, (size_t)n, &used);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*send = 0; /* answered before the body: a refusal, usually */
			return 0;
		}
		if (rp->interim)
			return 0;
	}
}

/*
 * One exchange on the current origin. *retry is set when the failure came
 * from a reused connection before any response byte, so that a replayable
 * request may be sent again on a fresh connection.
 */
static int do_once(struct bl_http *h, const struct bl_http_req *req, int follow, int cross_origin,
                   struct bl_http_resp *resp, int *retry)
{
	struct bl_http_rparser rp;
	struct bl_buf head = BL_BUF_INIT;
	uint8_t *io;
	uint64_t deadline;
	int rc, wrc = 0, was_reused, local = 0, send = 1;

	*retry = 0;
	rp_setup(&rp, &h->o, !strcmp(req->method, "HEAD"), resp);
	rp.on_headers = req->on_headers;
	rp.on_body = req->on_body;
	rp.arg = req->arg;
	rp.follow = follow;
	if (req->max_body && req->max_body < rp.max_body) {
		rp.max_body = req->max_body;
		resp->body.limit =
		    (size_t)(rp.max_body > SIZE_MAX / 2 ? SIZE_MAX / 2 : rp.max_body);
	}
	io = malloc(IO_CHUNK);
	if (!io)
		return bl_err(BL_ENOMEM, "out of memory");
	BL_TRY_GOTO(rc, build_head(h, req, cross_origin, &head), out_free);
	if (h->fd >= 0 && !conn_alive(h))
		conn_close(h);
	if (h->fd < 0)
		BL_TRY_GOTO(rc, conn_open(h), out_free);
	was_reused = h->reused;
	h->reused = 1;
	wrc = conn_write(h, head.p, head.len);
	if (wrc == 0 && req->body && req->expect_continue) {
		rc = await_continue(h, &rp, io, &send);
		if (rc < 0) {
			conn_close(h);
			goto out_free;
		}
	}
	if (wrc == 0 && req->body && send)
		wrc = send_body(h, req, io, &local);
	if (!send) {
		/* the body stays unsent, so the connection cannot carry another request */
		rc = rp.done ? 0 : bl_err(BL_EINTERNAL, "no answer after declining the body");
		conn_close(h);
		goto out_free;
	}
	if (local) {
		/* the request cannot be completed: the connection is unusable */
		rc = wrc;
		conn_close(h);
		goto out_free;
	}
	/*
	 * A server may answer (401, 413…) and close before reading the whole
	 * body; try to read that answer before reporting the write failure.
	 */
	deadline = now_ms() + h->o.timeout_ms;
	for (;;) {
		size_t used;
		ssize_t n;

		if (!rp.headers_done && (rc = wait_head(h, deadline)) < 0)
			break;
		n = conn_read(h, io, IO_CHUNK);
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			rc = rp_eof(&rp);
			if (rc == 0)
				conn_close(h);
			break;
		}
		rc = rp_feed(&rp, io, (size_t)n, &used);
		if (rc < 0)
			break;
		if (rc == 1) {
			rc = 0;
			if (used != (size_t)n || !http_should_keep_alive(&rp.p) || wrc < 0 ||
			    rp.no_reuse)
				conn_close(h);
			break;
		}
	}
	if (rc < 0) {
		if (was_reused && !rp.seen_bytes)
			*retry = 1;
		if (wrc < 0 && !rp.seen_bytes)
			rc = wrc;
		conn_close(h);
		goto out_free;
	}
out_free:
	bl_buf_free_secret(&head); /* it may carry an Authorization header */
	free(io);
	return rc;
}

/*
 * Whether a request can be sent again: no body, a memory body, or a file
 * descriptor that can be put back where it started (start >= 0).
 */
static int replayable(const struct bl_http_req *req, off_t start)
{
	const struct bl_http_body *b = req->body;

	if (!b || b->data)
		return 1;
	if (b->read || b->fd < 0 || start < 0)
		return 0;
	return lseek(b->fd, start, SEEK_SET) == start;
}

static int same_origin(const struct bl_url *a, const struct bl_url *b)
{
	return a->tls == b->tls && a->port == b->port && !strcasecmp(a->host, b->host);
}

/* Point the client at the redirect target; req->target is replaced by *target. */
static int redirect_to(struct bl_http *h, const char *loc, char **target, int *cross)
{
	struct bl_url u;

	if (loc[0] == '/' && loc[1] != '/') {
		char *t = strdup(loc);

		if (!t)
			return bl_err(BL_ENOMEM, "out of memory");
		BL_TRY(check_line(t, "redirect location"));
		free(*target);
		*target = t;
		return 0;
	}
	BL_TRY(bl_url_parse(loc, &u));
	if (h->origin.tls && !u.tls) {
		bl_url_free(&u);
		return bl_err(BL_EPERM, "refusing a redirect from https to http (%.200s)", loc);
	}
	if (!same_origin(&u, &h->origin)) {
		conn_close(h);
		*cross = 1;
	}
	free(*target);
	*target = u.target;
	u.target = NULL;
	free(h->origin.host);
	h->origin.host = u.host;
	h->origin.tls = u.tls;
	h->origin.port = u.port;
	return 0;
}

int bl_http_do(struct bl_http *h, const struct bl_http_req *req, struct bl_http_resp *resp)
{
	struct bl_http_req r = *req;
	struct bl_url saved = { 0 };
	char *target = NULL;
	unsigned hops = 0;
	int follow, cross = 0, rc, retry;
	off_t start = -1;

	if (req->body && !req->body->data && !req->body->read && req->body->fd >= 0)
		start = lseek(req->body->fd, 0, SEEK_CUR); /* -1 for pipes: not replayable */

	follow =
	    h->o.max_redirects > 0 && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"));
	if (follow) {
		saved.tls = h->origin.tls;
		saved.port = h->origin.port;
		saved.host = strdup(h->origin.host);
		if (!saved.host) {
			resp_init(resp, 0);
			return bl_err(BL_ENOMEM, "out of memory");
		}
	}
	for (;;) {
		rc = do_once(h, &r, follow, cross, resp, &retry);
		if (rc < 0 && retry && replayable(&r, start)) {
			bl_http_resp_free(resp);
			rc = do_once(h, &r, follow, cross, resp, &retry);
		}
		if (rc < 0 || !follow || !rp_is_redirect(resp->status) ||
		    !bl_http_resp_header(resp, "Location"))
			break;
		if (hops++ == h->o.max_redirects) {
			rc = bl_err(BL_ERANGE, "more than %u redirects", h->o.max_redirects);
			break;
		}
		rc = redirect_to(h, bl_http_resp_header(resp, "Location"), &target, &cross);
		if (rc < 0)
			break;
		r.target = target;
		bl_http_resp_free(resp);
	}
	if (follow) {
		if (!same_origin(&saved, &h->origin))
			conn_close(h);
		free(h->origin.host);
		h->origin.host = saved.host;
		h->origin.tls = saved.tls;
		h->origin.port = saved.port;
	}
	free(target);
	return rc;
}
