/*
 * test_http.c — the HTTP/1.1 client against a tiny HTTP server on loopback
 * (a thread in this program), plain and TLS: framing, streaming, keep-alive,
 * limits, malformed and truncated responses, timeouts, redirects, certificate
 * checks and client certificates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/http.h"

/* ------------------------------------------------------ the test server -- */

struct tconn {
	int fd;
	SSL *ssl;
};

struct treq {
	char head[16384];
	uint8_t *body;
	size_t blen;
	int chunked;
};

struct tsrv;
/* Answer one request; return 1 to keep the connection, 0 to close it. */
typedef int (*thandler)(struct tsrv *s, struct tconn *c, struct treq *rq);

struct tsrv {
	int lfd;
	uint16_t port;
	pthread_t th;
	SSL_CTX *ctx;
	thandler handle;
	int skip_body; /* answer before reading the request body */
	int conn_nreq; /* requests on the current connection */
	size_t drained; /* bytes the client still sent after the server stopped reading */
	volatile int conns_done; /* connections served to the end */
	volatile int stop;
	int accepted;
	int nreq;
	struct treq last;
	char peer_subject[256];
	char sni[256]; /* the server name the TLS client sent, "" for none */
	void *arg;
};

static int tc_write(struct tconn *c, const void *p, size_t n)
{
	const char *b = p;
	while (n) {
		ssize_t w = c->ssl ? SSL_write(c->ssl, b, (int)n) : send(c->fd, b, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int tc_puts(struct tconn *c, const char *s)
{
	return tc_write(c, s, strlen(s));
}

static ssize_t tc_read(struct tconn *c, void *p, size_t n)
{
	if (c->ssl) {
		int r = SSL_read(c->ssl, p, (int)n);
		return r < 0 ? 0 : r;
	}
	return recv(c->fd, p, n, 0);
}

static int tc_getc(struct tconn *c)
{
	unsigned char ch;
	return tc_read(c, &ch, 1) == 1 ? ch : -1;
}

static int tc_line(struct tconn *c, char *buf, size_t cap)
{
	size_t n = 0;
	int ch;
	while ((ch = tc_getc(c)) >= 0) {
		if (n + 1 < cap)
			buf[n++] = (char)ch;
		if (ch == '\n')
			break;
	}
	buf[n] = 0;
	return ch < 0 ? -1 : 0;
}

static int tc_exact(struct tconn *c, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = tc_read(c, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static const char *head_value(const char *head, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n"))
		if (!strncasecmp(l + 2, name, n) && l[2 + n] == ':')
			return l + 3 + n + strspn(l + 3 + n, " ");
	return NULL;
}

static int read_request(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	size_t n = 0;
	const char *cl;

	memset(rq, 0, sizeof(*rq));
	for (;;) {
		int ch = tc_getc(c);
		if (ch < 0)
			return -1;
		if (n + 1 >= sizeof(rq->head))
			return -1;
		rq->head[n++] = (char)ch;
		if (n >= 4 && !memcmp(rq->head + n - 4, "\r\n\r\n", 4))
			break;
	}
	rq->head[n] = 0;
	if (s->skip_body)
		return 0;
	cl = head_value(rq->head, "Content-Length");
	if (cl) {
		rq->blen = strtoull(cl, NULL, 10);
		rq->body = malloc(rq->blen + 1);
		return tc_exact(c, rq->body, rq->blen);
	}
	cl = head_value(rq->head, "Transfer-Encoding");
	if (cl && !strncasecmp(cl, "chunked", 7)) {
		char line[64];
		rq->chunked = 1;
		for (;;) {
			size_t k;
			if (tc_line(c, line, sizeof(line)) < 0)
				return -1;
			k = strtoull(line, NULL, 16);
			if (k == 0)
				return tc_line(c, line, sizeof(line));
			rq->body = realloc(rq->body, rq->blen + k + 1);
			if (tc_exact(c, rq->body + rq->blen, k) < 0)
				return -1;
			rq->blen += k;
			if (tc_line(c, line, sizeof(line)) < 0)
				return -1;
		}
	}
	return 0;
}

static void serve_conn(struct tsrv *s, int fd)
{
	struct tconn c = { fd, NULL };

	s->conn_nreq = 0;
	if (s->ctx) {
		c.ssl = SSL_new(s->ctx);
		SSL_set_fd(c.ssl, fd);
		if (SSL_accept(c.ssl) != 1)
			goto out;
		{
			const char *sn = SSL_get_servername(c.ssl, TLSEXT_NAMETYPE_host_name);
			snprintf(s->sni, sizeof(s->sni), "%s", sn ? sn : "");
		}
		X509 *peer = SSL_get1_peer_certificate(c.ssl);
		if (peer) {
			X509_NAME_oneline(X509_get_subject_name(peer), s->peer_subject,
			                  sizeof(s->peer_subject));
			X509_free(peer);
		}
	}
	for (;;) {
		struct treq rq;
		int keep;
		if (read_request(s, &c, &rq) < 0) {
			free(rq.body);
			break;
		}
		/* recorded before answering: the client may look as soon as it has the answer */
		free(s->last.body);
		s->last = rq;
		s->nreq++;
		s->conn_nreq++;
		keep = s->handle(s, &c, &s->last);
		if (!keep)
			break;
	}
out:
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	/* polite close: stop sending, drain what the client still sends */
	shutdown(fd, SHUT_WR);
	{
		char sink[4096];
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k;
		while (poll(&p, 1, 200) > 0 && (k = recv(fd, sink, sizeof(sink), 0)) > 0)
			s->drained += (size_t)k;
	}
	close(fd);
	s->conns_done++;
}

static void *srv_main(void *arg)
{
	struct tsrv *s = arg;
	while (!s->stop) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 50) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		s->accepted++;
		serve_conn(s, fd);
	}
	return NULL;
}

static struct tsrv *srv_start(thandler h, SSL_CTX *ctx)
{
	struct tsrv *s = calloc(1, sizeof(*s));
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	int one = 1;

	s->handle = h;
	s->ctx = ctx;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	getsockname(s->lfd, (struct sockaddr *)&a, &alen);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return s;
}

static void srv_stop(struct tsrv *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	free(s->last.body);
	free(s);
}

static char *url_of(struct tsrv *s, const char *scheme, const char *host)
{
	static char u[128];
	snprintf(u, sizeof(u), "%s://%s:%u", scheme, host, s->port);
	return u;
}

static struct bl_http *client(struct tsrv *s, const struct bl_http_opts *o)
{
	struct bl_http *h = bl_http_new(url_of(s, "http", "127.0.0.1"), o);
	assert_non_null(h);
	return h;
}

static int get(struct bl_http *h, const char *target, struct bl_http_resp *r)
{
	struct bl_http_req rq = { .method = "GET", .target = target };
	return bl_http_do(h, &rq, r);
}

/* ------------------------------------------------------------ handlers -- */

/* 200 with a body naming the target and a counter header */
static int h_hello(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	char body[256], resp[512];
	const char *sp = strchr(rq->head, ' ');
	int n = snprintf(body, sizeof(body), "hello %.*s", (int)strcspn(sp + 1, " "), sp + 1);
	snprintf(resp, sizeof(resp),
	         "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nX-Count: %d\r\n"
	         "Content-Type: text/plain\r\n\r\n%s",
	         n, s->nreq, body);
	tc_puts(c, resp);
	return 1;
}

static int h_chunked(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_puts(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	           "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n");
	return 1;
}

static int h_close(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_puts(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
	return 0;
}

/* echoes the request body's length and first/last bytes; remembers it */
static int h_echo_len(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	char resp[256];
	(void)s;
	snprintf(resp, sizeof(resp),
	         "HTTP/1.1 201 Created\r\nContent-Length: 0\r\nX-Len: %zu\r\n\r\n", rq->blen);
	tc_puts(c, resp);
	return 1;
}

static const char *canned; /* the raw response h_raw sends, then closes */
static size_t canned_len;

static int h_raw(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_write(c, canned, canned_len ? canned_len : strlen(canned));
	return 0;
}

static void set_canned(const char *r)
{
	canned = r;
	canned_len = 0;
}

/* ------------------------------------------------------------- tests -- */

static void test_url_parse(void **state)
{
	struct bl_url u;
	(void)state;

	assert_int_equal(bl_url_parse("https://reg.example:8443/api?x=1", &u), 0);
	assert_int_equal(u.tls, 1);
	assert_string_equal(u.host, "reg.example");
	assert_int_equal(u.port, 8443);
	assert_string_equal(u.target, "/api?x=1");
	bl_url_free(&u);
	assert_int_equal(bl_url_parse("http://[::1]", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.target, "/");
	bl_url_free(&u);
	assert_int_equal(bl_url_parse("HTTPS://h", &u), 0);
	assert_int_equal(u.port, 443);
	bl_url_free(&u);

	assert_int_equal(bl_url_parse("ftp://h/x", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("/relative", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("http://user:pw@h/", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("http://h:99999/", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("http://h/#frag", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("http://h h/", &u), BL_EINVAL);
	assert_int_equal(bl_url_parse("", &u), BL_EINVAL);

	assert_true(bl_host_is_loopback("127.0.0.1"));
	assert_true(bl_host_is_loopback("127.8.9.1"));
	assert_true(bl_host_is_loopback("::1"));
	assert_true(bl_host_is_loopback("LocalHost"));
	assert_false(bl_host_is_loopback("128.0.0.1"));
	assert_false(bl_host_is_loopback("example.com"));
	assert_false(bl_host_is_loopback("localhost.example.com"));
}

static void test_get_and_keepalive(void **state)
{
	struct tsrv *s = srv_start(h_hello, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	(void)state;

	assert_int_equal(get(h, "/a/b?q=1", &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.content_length, 14);
	assert_string_equal((char *)r.body.p, "hello /a/b?q=1");
	assert_string_equal(bl_http_resp_header(&r, "content-type"), "text/plain");
	assert_string_equal(bl_http_resp_header(&r, "X-COUNT"), "1");
	assert_null(bl_http_resp_header(&r, "X-Missing"));
	bl_http_resp_free(&r);
	for (int i = 2; i <= 4; i++) {
		char want[8];
		assert_int_equal(get(h, "/again", &r), 0);
		snprintf(want, sizeof(want), "%d", i);
		assert_string_equal(bl_http_resp_header(&r, "X-Count"), want);
		bl_http_resp_free(&r);
	}
	/* four requests, one connection */
	assert_int_equal(bl_http_connections(h), 1);
	assert_int_equal(s->accepted, 1);
	assert_non_null(strstr(s->last.head, "GET /again HTTP/1.1\r\n"));
	assert_non_null(strstr(s->last.head, "\r\nHost: 127.0.0.1:"));
	bl_http_free(h);
	srv_stop(s);
}

static void test_reconnect_after_close(void **state)
{
	struct tsrv *s = srv_start(h_close, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	(void)state;

	for (int i = 0; i < 3; i++) {
		assert_int_equal(get(h, "/", &r), 0);
		assert_string_equal((char *)r.body.p, "ok");
		bl_http_resp_free(&r);
	}
	assert_int_equal(bl_http_connections(h), 3);
	bl_http_free(h);
	srv_stop(s);
}

static void test_chunked_response(void **state)
{
	struct tsrv *s = srv_start(h_chunked, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	(void)state;

	assert_int_equal(get(h, "/", &r), 0);
	assert_int_equal(r.content_length, -1);
	assert_int_equal(r.body.len, 11);
	assert_memory_equal(r.body.p, "hello world", 11);
	assert_null(bl_http_resp_header(&r, "X-Trailer")); /* trailers are not headers */
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
}

struct sink {
	uint64_t n;
	uint32_t sum;
	int calls;
	int headers_seen;
	int status_at_headers;
};

static int sink_body(void *arg, const void *p, size_t n)
{
	struct sink *k = arg;
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		k->sum = k->sum * 31 + b[i];
	k->n += n;
	k->calls++;
	return 0;
}

static int sink_headers(void *arg, const struct bl_http_resp *r)
{
	struct sink *k = arg;
	k->headers_seen++;
	k->status_at_headers = r->status;
	return 0;
}

#define BIG (3u * 1024 * 1024 + 17)

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 11));
}

static int h_big(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	char head[128];
	uint8_t *b = malloc(BIG);
	(void)s;
	(void)rq;
	for (size_t i = 0; i < BIG; i++)
		b[i] = pattern(i);
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n", BIG);
	tc_puts(c, head);
	tc_write(c, b, BIG);
	free(b);
	return 1;
}

static void test_streamed_body(void **state)
{
	struct tsrv *s = srv_start(h_big, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	struct sink k = { 0 };
	struct bl_http_req rq = { .method = "GET",
		                  .target = "/big",
		                  .on_body = sink_body,
		                  .on_headers = sink_headers,
		                  .arg = &k };
	uint32_t want = 0;
	(void)state;

	for (size_t i = 0; i < BIG; i++)
		want = want * 31 + pattern(i);
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(k.headers_seen, 1);
	assert_int_equal(k.status_at_headers, 200);
	assert_int_equal(k.n, BIG);
	assert_int_equal(k.sum, want);
	assert_true(k.calls > 1);
	assert_int_equal(r.body.len, 0); /* streamed, not collected */
	assert_int_equal(r.body_bytes, BIG);
	bl_http_resp_free(&r);
	bl_http_free(h); /* the server serves one connection at a time */

	/* the same body over a collecting request with a smaller limit fails */
	{
		struct bl_http_opts o = { .max_body = 1024 * 1024 };
		struct bl_http *h2 = client(s, &o);
		assert_int_equal(get(h2, "/big", &r), BL_ENOMEM);
		assert_non_null(strstr(bl_errmsg(), "exceeds the limit"));
		bl_http_resp_free(&r);
		bl_http_free(h2);
	}
	srv_stop(s);
}

static int abort_headers(void *arg, const struct bl_http_resp *r)
{
	(void)arg;
	(void)r;
	return bl_err(BL_EPERM, "not wanted");
}

static void test_callback_abort(void **state)
{
	struct tsrv *s = srv_start(h_hello, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	struct bl_http_req rq = { .method = "GET", .target = "/", .on_headers = abort_headers };
	(void)state;

	assert_int_equal(bl_http_do(h, &rq, &r), BL_EPERM);
	assert_string_equal(bl_errmsg(), "not wanted");
	bl_http_resp_free(&r);
	/* the client recovers on a new connection */
	assert_int_equal(get(h, "/", &r), 0);
	assert_int_equal(r.status, 200);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
}

static void test_put_bodies(void **state)
{
	struct tsrv *s = srv_start(h_echo_len, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	const char *hdrs[] = { "Content-Type: application/octet-stream", "X-A: b", NULL };
	char path[] = "/tmp/bl-http-XXXXXX";
	size_t flen = 1024 * 1024 + 3;
	uint8_t *fdata = malloc(flen);
	int fd;
	(void)state;

	/* memory body */
	{
		struct bl_http_body b = { .data = "abc\0def", .fd = -1, .len = 7 };
		struct bl_http_req rq = {
			.method = "PUT", .target = "/m", .headers = hdrs, .body = &b
		};
		assert_int_equal(bl_http_do(h, &rq, &r), 0);
		assert_int_equal(r.status, 201);
		assert_string_equal(bl_http_resp_header(&r, "X-Len"), "7");
		assert_int_equal(s->last.blen, 7);
		assert_memory_equal(s->last.body, "abc\0def", 7);
		assert_non_null(strstr(s->last.head, "\r\nX-A: b\r\n"));
		assert_non_null(strstr(s->last.head, "\r\nContent-Length: 7\r\n"));
		bl_http_resp_free(&r);
	}
	/* file descriptor body */
	for (size_t i = 0; i < flen; i++)
		fdata[i] = pattern(i);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fdata, flen), (ssize_t)flen);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		struct bl_http_body b = { .fd = fd, .len = (int64_t)flen };
		struct bl_http_req rq = { .method = "PUT", .target = "/f", .body = &b };
		assert_int_equal(bl_http_do(h, &rq, &r), 0);
		assert_int_equal(r.status, 201);
		assert_int_equal(s->last.blen, flen);
		assert_memory_equal(s->last.body, fdata, flen);
		assert_int_equal(s->last.chunked, 0);
		bl_http_resp_free(&r);
	}
	/* fd shorter than the stated length: an error, not a short upload */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		struct bl_http_body b = { .fd = fd, .len = (int64_t)flen + 10 };
		struct bl_http_req rq = { .method = "PUT", .target = "/f", .body = &b };
		assert_int_equal(bl_http_do(h, &rq, &r), BL_EIO);
		assert_non_null(strstr(bl_errmsg(), "request body ended"));
		bl_http_resp_free(&r);
	}
	/* unknown length from an fd: chunked */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	{
		struct bl_http_body b = { .fd = fd, .len = -1 };
		struct bl_http_req rq = { .method = "PUT", .target = "/c", .body = &b };
		assert_int_equal(bl_http_do(h, &rq, &r), 0);
		assert_int_equal(r.status, 201);
		assert_int_equal(s->last.chunked, 1);
		assert_int_equal(s->last.blen, flen);
		assert_memory_equal(s->last.body, fdata, flen);
		bl_http_resp_free(&r);
	}
	close(fd);
	unlink(path);
	free(fdata);
	bl_http_free(h);
	srv_stop(s);
}

struct gen {
	size_t left;
	size_t i;
};

static ssize_t gen_read(void *arg, void *buf, size_t cap)
{
	struct gen *g = arg;
	size_t n = g->left < cap ? g->left : cap;
	if (n > 1000)
		n = 1000; /* odd-sized pieces */
	for (size_t k = 0; k < n; k++)
		((uint8_t *)buf)[k] = pattern(g->i++);
	g->left -= n;
	return (ssize_t)n;
}

static ssize_t fail_read(void *arg, void *buf, size_t cap)
{
	(void)arg;
	(void)buf;
	(void)cap;
	return bl_err(BL_EIO, "source broke");
}

/*
 * Answers the first request of each connection; drops the connection at the
 * second (after reading it) without a word, as a server closing an idle
 * kept-alive connection does. The client must send it again on a new one.
 */
static int h_drop_second(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	if (s->conn_nreq > 1)
		return 0;
	return h_echo_len(s, c, rq);
}

static void test_stale_connection_retry(void **state)
{
	struct tsrv *s = srv_start(h_drop_second, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	char path[] = "/tmp/bl-http-XXXXXX";
	int fd = mkstemp(path);
	struct bl_http_body b = { .fd = fd, .len = 5000 };
	struct bl_http_req rq = { .method = "PUT", .target = "/f", .body = &b };
	uint8_t data[5000];
	(void)state;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	for (int i = 0; i < 3; i++) {
		/* a seekable file body is rewound and sent again in full */
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		assert_int_equal(bl_http_do(h, &rq, &r), 0);
		assert_int_equal(r.status, 201);
		assert_int_equal(s->last.blen, sizeof(data));
		assert_memory_equal(s->last.body, data, sizeof(data));
		bl_http_resp_free(&r);
	}
	assert_int_equal(bl_http_connections(h), 3);
	/* a body from a callback cannot be replayed: the failure is reported */
	{
		struct gen g = { 100, 0 };
		struct bl_http_body cb = { .fd = -1, .read = gen_read, .arg = &g, .len = 100 };
		struct bl_http_req rq2 = { .method = "PUT", .target = "/g", .body = &cb };
		assert_true(bl_http_do(h, &rq2, &r) < 0);
		assert_non_null(strstr(bl_errmsg(), "closed before a response"));
		bl_http_resp_free(&r);
	}
	close(fd);
	unlink(path);
	bl_http_free(h);
	srv_stop(s);
}

/* Honours Expect: 100-continue: says 100, then reads the body, then answers. */
static int h_continue(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	const char *cl = head_value(rq->head, "Content-Length");
	if (!head_value(rq->head, "Expect"))
		return 0;
	tc_puts(c, "HTTP/1.1 100 Continue\r\n\r\n");
	rq->blen = strtoull(cl, NULL, 10);
	rq->body = malloc(rq->blen + 1);
	if (tc_exact(c, rq->body, rq->blen) < 0)
		return 0;
	return h_echo_len(s, c, rq);
}

static int h_refuse(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_puts(c, "HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n\r\ntoo big!");
	return 0;
}

static void test_expect_continue(void **state)
{
	size_t n = 2 * 1024 * 1024;
	uint8_t *big = malloc(n);
	struct bl_http_body b = { .data = big, .fd = -1, .len = (int64_t)n };
	struct bl_http_req rq = {
		.method = "PUT", .target = "/e", .body = &b, .expect_continue = 1
	};
	struct bl_http_resp r;
	struct tsrv *s;
	struct bl_http *h;
	(void)state;

	for (size_t i = 0; i < n; i++)
		big[i] = pattern(i);
	/* a server that says 100: the body follows, all of it */
	s = srv_start(h_continue, NULL);
	s->skip_body = 1;
	h = client(s, NULL);
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(r.status, 201);
	assert_int_equal(s->last.blen, n);
	assert_memory_equal(s->last.body, big, n);
	assert_non_null(strstr(s->last.head, "\r\nExpect: 100-continue\r\n"));
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);

	/* a server that refuses at once: the answer, and no body byte sent */
	s = srv_start(h_refuse, NULL);
	s->skip_body = 1;
	h = client(s, NULL);
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(r.status, 413);
	assert_string_equal((char *)r.body.p, "too big!");
	bl_http_resp_free(&r);
	bl_http_free(h);
	while (!s->conns_done) /* the server drains until the client has gone */
		usleep(1000);
	assert_int_equal(s->drained, 0);
	srv_stop(s);
	free(big);
}

static void test_put_callback(void **state)
{
	struct tsrv *s = srv_start(h_echo_len, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	struct gen g = { 100000, 0 };
	struct bl_http_body b = { .fd = -1, .read = gen_read, .arg = &g, .len = -1 };
	struct bl_http_req rq = { .method = "PUT", .target = "/g", .body = &b };
	(void)state;

	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(s->last.chunked, 1);
	assert_int_equal(s->last.blen, 100000);
	for (size_t i = 0; i < 100000; i++)
		if (s->last.body[i] != pattern(i))
			fail_msg("byte %zu differs", i);
	bl_http_resp_free(&r);

	/* the same with a known length */
	g.left = 5000;
	g.i = 0;
	b.len = 5000;
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(s->last.chunked, 0);
	assert_int_equal(s->last.blen, 5000);
	bl_http_resp_free(&r);

	/* a failing source fails the request with its reason */
	b.read = fail_read;
	b.len = -1;
	assert_int_equal(bl_http_do(h, &rq, &r), BL_EIO);
	assert_string_equal(bl_errmsg(), "source broke");
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
}

static void expect_raw(const char *raw, int want_rc, const char *want_msg)
{
	struct tsrv *s;
	struct bl_http *h;
	struct bl_http_resp r;
	int rc;

	set_canned(raw);
	s = srv_start(h_raw, NULL);
	h = client(s, NULL);
	rc = get(h, "/", &r);
	if (rc != want_rc)
		fail_msg("response %.60s: rc %d (%s), want %d", raw, rc, bl_errmsg(), want_rc);
	if (want_msg && !strstr(bl_errmsg(), want_msg))
		fail_msg("reason '%s' lacks '%s'", bl_errmsg(), want_msg);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_raw("HTTP/1.1 abc OK\r\n\r\n", BL_EINVAL, "malformed");
	expect_raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
	           BL_EINVAL, "malformed");
	expect_raw("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", BL_EINVAL, "malformed");
	expect_raw("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", BL_EINVAL, "malformed");
	expect_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", BL_EINVAL,
	           "malformed");
	expect_raw("SMTP ready\r\n", BL_EINVAL, "malformed");
	expect_raw("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", BL_EINVAL, "malformed");
	/* a good one through the same path, for contrast */
	expect_raw("HTTP/1.1 204 No Content\r\n\r\n", 0, NULL);
	/* body until close (no length, no chunking) is complete at EOF */
	expect_raw("HTTP/1.1 200 OK\r\n\r\nuntil-eof", 0, NULL);
}

static void test_truncated(void **state)
{
	(void)state;
	expect_raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", BL_ETRUNC,
	           "truncated after 9 bytes");
	expect_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", BL_ETRUNC,
	           "truncated");
	expect_raw("HTTP/1.1 200 OK\r\nContent-Le", BL_ETRUNC, "in its headers");
	expect_raw("", BL_ETRUNC, "before a response");
}

static void test_huge_headers(void **state)
{
	struct bl_buf b = BL_BUF_INIT;
	(void)state;

	/* one 100 KiB header value */
	assert_int_equal(bl_buf_puts(&b, "HTTP/1.1 200 OK\r\nX-Big: "), 0);
	for (int i = 0; i < 100 * 1024; i++)
		assert_int_equal(bl_buf_putc(&b, 'a'), 0);
	assert_int_equal(bl_buf_puts(&b, "\r\nContent-Length: 0\r\n\r\n"), 0);
	expect_raw((char *)b.p, BL_ENOMEM, "headers exceed");
	bl_buf_reset(&b);
	/* many small headers */
	assert_int_equal(bl_buf_puts(&b, "HTTP/1.1 200 OK\r\n"), 0);
	for (int i = 0; i < 500; i++)
		assert_int_equal(bl_buf_printf(&b, "X-%d: v\r\n", i), 0);
	assert_int_equal(bl_buf_puts(&b, "Content-Length: 0\r\n\r\n"), 0);
	expect_raw((char *)b.p, BL_ENOMEM, "more than");
	bl_buf_reset(&b);
	/* a body announced beyond the limit is refused before reading it */
	expect_raw("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", BL_ENOMEM,
	           "exceeds the limit");
	/* a chunk size that overflows */
	expect_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	           "ffffffffffffffffffff\r\n",
	           BL_EINVAL, "malformed");
	bl_buf_free(&b);
}

static int h_interim(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_puts(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-Real: 1\r\n"
	           "Content-Length: 3\r\n\r\nyes");
	return 1;
}

static void test_interim_and_head(void **state)
{
	struct tsrv *s = srv_start(h_interim, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	(void)state;

	assert_int_equal(get(h, "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(bl_http_resp_header(&r, "X-Real"), "1");
	assert_string_equal((char *)r.body.p, "yes");
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);

	/* HEAD: Content-Length is announced, no body follows */
	set_canned("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	s = srv_start(h_raw, NULL);
	h = client(s, NULL);
	{
		struct bl_http_req rq = { .method = "HEAD", .target = "/" };
		assert_int_equal(bl_http_do(h, &rq, &r), 0);
		assert_int_equal(r.status, 200);
		assert_int_equal(r.content_length, 1000);
		assert_int_equal(r.body_bytes, 0);
		bl_http_resp_free(&r);
	}
	bl_http_free(h);
	srv_stop(s);
}

static int h_silent(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)c;
	(void)rq;
	while (!s->stop)
		usleep(10000);
	return 0;
}

static void test_timeout_and_refused(void **state)
{
	struct tsrv *s = srv_start(h_silent, NULL);
	struct bl_http_opts o = { .timeout_ms = 200 };
	struct bl_http *h = client(s, &o);
	struct bl_http_resp r;
	uint16_t port;
	(void)state;

	assert_int_equal(get(h, "/", &r), BL_ETIMEOUT);
	bl_http_resp_free(&r);
	bl_http_free(h);
	s->stop = 1;
	port = s->port;
	srv_stop(s);

	/* nobody listens on the port any more */
	{
		char u[64];
		snprintf(u, sizeof(u), "http://127.0.0.1:%u", port);
		h = bl_http_new(u, NULL);
		assert_non_null(h);
		assert_int_equal(get(h, "/", &r), BL_EIO);
		assert_non_null(strstr(bl_errmsg(), "connect"));
		bl_http_resp_free(&r);
		bl_http_free(h);
	}
}

static void test_bad_request_lines(void **state)
{
	struct tsrv *s = srv_start(h_hello, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	const char *inject[] = { "X-A: b\r\nX-Evil: 1", NULL };
	const char *nocolon[] = { "NoColon", NULL };
	struct bl_http_req rq = { .method = "GET", .target = "/", .headers = inject };
	(void)state;

	assert_int_equal(bl_http_do(h, &rq, &r), BL_EINVAL);
	bl_http_resp_free(&r);
	rq.headers = nocolon;
	assert_int_equal(bl_http_do(h, &rq, &r), BL_EINVAL);
	bl_http_resp_free(&r);
	rq.headers = NULL;
	rq.target = "/a b";
	assert_int_equal(bl_http_do(h, &rq, &r), BL_EINVAL);
	bl_http_resp_free(&r);
	rq.target = "relative";
	assert_int_equal(bl_http_do(h, &rq, &r), BL_EINVAL);
	bl_http_resp_free(&r);
	assert_int_equal(s->nreq, 0); /* nothing reached the server */
	bl_http_free(h);
	srv_stop(s);
}

/* Redirects: to /b on the same server, or to another server (arg). */
static int h_redirect(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	char resp[256];
	if (!strncmp(rq->head, "GET /b ", 7))
		return h_hello(s, c, rq);
	if (!strncmp(rq->head, "GET /loop ", 10)) {
		tc_puts(c, "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n");
		return 1;
	}
	if (!strncmp(rq->head, "GET /away ", 10)) {
		snprintf(resp, sizeof(resp),
		         "HTTP/1.1 307 Temporary\r\nLocation: http://127.0.0.1:%u/x\r\n"
		         "Content-Length: 4\r\n\r\nmove",
		         ((struct tsrv *)s->arg)->port);
		tc_puts(c, resp);
		return 1;
	}
	tc_puts(c, "HTTP/1.1 302 Found\r\nLocation: /b\r\nContent-Length: 5\r\n\r\nmoved");
	return 1;
}

static void test_redirects(void **state)
{
	struct tsrv *other = srv_start(h_hello, NULL);
	struct tsrv *s = srv_start(h_redirect, NULL);
	struct bl_http_opts follow = { .max_redirects = 3 };
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	const char *auth[] = { "Authorization: Bearer secret", NULL };
	struct bl_http_req rq = { .method = "GET", .target = "/away", .headers = auth };
	(void)state;
	s->arg = other;

	/* by default, a redirect is the answer */
	assert_int_equal(get(h, "/a", &r), 0);
	assert_int_equal(r.status, 302);
	assert_string_equal(bl_http_resp_header(&r, "Location"), "/b");
	assert_string_equal((char *)r.body.p, "moved");
	bl_http_resp_free(&r);
	bl_http_free(h);

	h = client(s, &follow);
	assert_int_equal(get(h, "/a", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body.p, "hello /b");
	bl_http_resp_free(&r);
	assert_int_equal(get(h, "/loop", &r), BL_ERANGE);
	bl_http_resp_free(&r);
	/* to another origin: followed, without the Authorization header */
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_string_equal((char *)r.body.p, "hello /x");
	assert_null(strstr(other->last.head, "Authorization"));
	assert_non_null(strstr(s->last.head, "Authorization: Bearer secret"));
	bl_http_resp_free(&r);
	/* and the client is back on its own origin */
	assert_int_equal(get(h, "/b", &r), 0);
	assert_int_equal(r.status, 200);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
	srv_stop(other);
}

/* answers 401 at once, without reading the (large) request body */
static int h_early_401(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)s;
	(void)rq;
	tc_puts(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 7\r\nConnection: close\r\n\r\n"
	           "no auth");
	return 0;
}

static void test_early_response(void **state)
{
	struct tsrv *s = srv_start(h_early_401, NULL);
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	size_t n = 8 * 1024 * 1024;
	uint8_t *big = calloc(1, n);
	struct bl_http_body b = { .data = big, .fd = -1, .len = (int64_t)n };
	struct bl_http_req rq = { .method = "PUT", .target = "/", .body = &b };
	(void)state;

	s->skip_body = 1;
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal((char *)r.body.p, "no auth");
	bl_http_resp_free(&r);
	free(big);
	bl_http_free(h);
	srv_stop(s);
}

/* ------------------------------------------------------------------ TLS -- */

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static X509 *new_cert(const char *cn, const char *san, int ca, EVP_PKEY *key, X509 *issuer,
                      EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;
	static long serial = 1;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	                        ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (san) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	return x;
}

struct pki {
	char dir[64];
	char ca[96], srv_cert[96], srv_key[96], other_cert[96], cli_cert[96], cli_key[96],
	    bogus_ca[96];
	X509 *ca_x, *srv_x, *other_x;
	EVP_PKEY *ca_k, *srv_k;
};

static void write_pem(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (x)
		PEM_write_X509(f, x);
	if (k)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static void pki_make(struct pki *p)
{
	EVP_PKEY *cli_k = new_key(), *bogus_k = new_key();
	X509 *cli_x, *bogus_x;

	strcpy(p->dir, "/tmp/bl-http-pki-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->ca, sizeof(p->ca), "%s/ca.pem", p->dir);
	snprintf(p->bogus_ca, sizeof(p->bogus_ca), "%s/bogus.pem", p->dir);
	snprintf(p->srv_cert, sizeof(p->srv_cert), "%s/srv.pem", p->dir);
	snprintf(p->srv_key, sizeof(p->srv_key), "%s/srv.key", p->dir);
	snprintf(p->other_cert, sizeof(p->other_cert), "%s/other.pem", p->dir);
	snprintf(p->cli_cert, sizeof(p->cli_cert), "%s/cli.pem", p->dir);
	snprintf(p->cli_key, sizeof(p->cli_key), "%s/cli.key", p->dir);
	p->ca_k = new_key();
	p->srv_k = new_key();
	p->ca_x = new_cert("Test CA", NULL, 1, p->ca_k, NULL, NULL);
	p->srv_x = new_cert("server", "DNS:localhost,IP:127.0.0.1", 0, p->srv_k, p->ca_x, p->ca_k);
	p->other_x = new_cert("other", "DNS:other.example", 0, p->srv_k, p->ca_x, p->ca_k);
	cli_x = new_cert("keep-client", NULL, 0, cli_k, p->ca_x, p->ca_k);
	bogus_x = new_cert("Bogus CA", NULL, 1, bogus_k, NULL, NULL);
	write_pem(p->ca, p->ca_x, NULL);
	write_pem(p->bogus_ca, bogus_x, NULL);
	write_pem(p->srv_cert, p->srv_x, NULL);
	write_pem(p->srv_key, NULL, p->srv_k);
	write_pem(p->other_cert, p->other_x, NULL);
	write_pem(p->cli_cert, cli_x, NULL);
	write_pem(p->cli_key, NULL, cli_k);
	X509_free(cli_x);
	X509_free(bogus_x);
	EVP_PKEY_free(cli_k);
	EVP_PKEY_free(bogus_k);
}

static void pki_free(struct pki *p)
{
	const char *files[] = { p->ca,         p->bogus_ca, p->srv_cert, p->srv_key,
		                p->other_cert, p->cli_cert, p->cli_key };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(p->dir);
	X509_free(p->ca_x);
	X509_free(p->srv_x);
	X509_free(p->other_x);
	EVP_PKEY_free(p->ca_k);
	EVP_PKEY_free(p->srv_k);
}

static SSL_CTX *srv_ctx(struct pki *p, X509 *cert, int want_client_cert)
{
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	assert_int_equal(SSL_CTX_use_certificate(c, cert), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(c, p->srv_k), 1);
	if (want_client_cert) {
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
		assert_int_equal(SSL_CTX_load_verify_locations(c, p->ca, NULL), 1);
	}
	return c;
}

static void test_tls(void **state)
{
	struct pki p;
	SSL_CTX *ctx;
	struct tsrv *s;
	struct bl_http *h;
	struct bl_http_resp r;
	(void)state;

	pki_make(&p);
	ctx = srv_ctx(&p, p.srv_x, 0);
	s = srv_start(h_hello, ctx);
	{
		struct bl_http_opts o = { .ca_file = p.ca };
		/* by IP address and by name; two requests share one TLS connection */
		h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
		assert_non_null(h);
		assert_int_equal(get(h, "/t", &r), 0);
		assert_string_equal((char *)r.body.p, "hello /t");
		bl_http_resp_free(&r);
		assert_int_equal(get(h, "/u", &r), 0);
		assert_string_equal((char *)r.body.p, "hello /u");
		bl_http_resp_free(&r);
		assert_int_equal(bl_http_connections(h), 1);
		bl_http_free(h);
		h = bl_http_new(url_of(s, "https", "localhost"), &o);
		assert_non_null(h);
		assert_int_equal(get(h, "/n", &r), 0);
		assert_int_equal(r.status, 200);
		bl_http_resp_free(&r);
		bl_http_free(h);
	}
	{
		/* a CA that did not issue the server's certificate */
		struct bl_http_opts o = { .ca_file = p.bogus_ca };
		h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
		assert_int_equal(get(h, "/", &r), BL_EVERIFY);
		assert_non_null(strstr(bl_errmsg(), "not accepted"));
		bl_http_resp_free(&r);
		bl_http_free(h);
	}
	{
		/* a missing CA file fails at once */
		struct bl_http_opts o = { .ca_file = "/nonexistent/ca.pem" };
		assert_null(bl_http_new(url_of(s, "https", "127.0.0.1"), &o));
		assert_non_null(strstr(bl_errmsg(), "/nonexistent/ca.pem"));
	}
	{
		/* plain HTTP to a TLS port is a malformed response, not a hang */
		struct bl_http_opts o = { .timeout_ms = 2000 };
		h = bl_http_new(url_of(s, "http", "127.0.0.1"), &o);
		assert_true(get(h, "/", &r) < 0);
		bl_http_resp_free(&r);
		bl_http_free(h);
	}
	srv_stop(s);

	/* a redirect from https down to http is refused even when following */
	s = srv_start(h_redirect, ctx);
	{
		struct tsrv *plain = srv_start(h_hello, NULL);
		struct bl_http_opts o = { .ca_file = p.ca, .max_redirects = 2 };
		s->arg = plain;
		h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
		assert_int_equal(get(h, "/a", &r), 0); /* same origin: followed */
		assert_string_equal((char *)r.body.p, "hello /b");
		bl_http_resp_free(&r);
		assert_int_equal(get(h, "/away", &r), BL_EPERM);
		assert_non_null(strstr(bl_errmsg(), "https to http"));
		assert_int_equal(plain->nreq, 0);
		bl_http_resp_free(&r);
		bl_http_free(h);
		srv_stop(plain);
	}
	srv_stop(s);

	SSL_CTX_free(ctx);

	/* a certificate for another name */
	ctx = srv_ctx(&p, p.other_x, 0);
	s = srv_start(h_hello, ctx);
	{
		struct bl_http_opts o = { .ca_file = p.ca };
		h = bl_http_new(url_of(s, "https", "localhost"), &o);
		assert_int_equal(get(h, "/", &r), BL_EVERIFY);
		assert_non_null(strstr(bl_errmsg(), "mismatch"));
		bl_http_resp_free(&r);
		bl_http_free(h);
	}
	srv_stop(s);
	SSL_CTX_free(ctx);

	/* a server that requires a client certificate */
	ctx = srv_ctx(&p, p.srv_x, 1);
	s = srv_start(h_hello, ctx);
	{
		struct bl_http_opts o = { .ca_file = p.ca };
		h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
		assert_true(get(h, "/", &r) < 0);
		bl_http_resp_free(&r);
		bl_http_free(h);
		o.cert_file = p.cli_cert;
		o.key_file = p.cli_key;
		h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
		assert_non_null(h);
		assert_int_equal(get(h, "/c", &r), 0);
		assert_int_equal(r.status, 200);
		assert_non_null(strstr(s->peer_subject, "keep-client"));
		bl_http_resp_free(&r);
		bl_http_free(h);
		/* a key that does not belong to the certificate */
		o.key_file = p.srv_key;
		assert_null(bl_http_new(url_of(s, "https", "127.0.0.1"), &o));
	}
	srv_stop(s);
	SSL_CTX_free(ctx);
	pki_free(&p);
}

/* The standalone parser: every split of one response gives the same result. */
static void test_rparser_splits(void **state)
{
	const char *msg = "HTTP/1.1 200 OK\r\nA: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
	                  "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
	size_t n = strlen(msg);
	(void)state;

	for (size_t cut = 0; cut <= n; cut++) {
		struct bl_http_resp r;
		struct bl_http_rparser *rp = bl_http_rparser_new(NULL, 0, &r, NULL, NULL);
		int rc = bl_http_rparser_feed(rp, msg, cut);
		assert_true(rc == 0 || (rc == 1 && cut == n));
		rc = bl_http_rparser_feed(rp, msg + cut, n - cut);
		assert_int_equal(rc, 1);
		assert_int_equal(bl_http_rparser_eof(rp), 0);
		assert_int_equal(r.body.len, 5);
		assert_memory_equal(r.body.p, "abcde", 5);
		assert_string_equal(bl_http_resp_header(&r, "a"), "1");
		bl_http_rparser_free(rp);
		bl_http_resp_free(&r);
	}
	/* trailing bytes after a complete response are an error */
	{
		struct bl_http_resp r;
		struct bl_http_rparser *rp = bl_http_rparser_new(NULL, 0, &r, NULL, NULL);
		const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1";
		assert_int_equal(bl_http_rparser_feed(rp, two, strlen(two)), BL_EINVAL);
		bl_http_rparser_free(rp);
		bl_http_resp_free(&r);
	}
}

/*
 * Regression: 1xx, 204 and 304 answers never have a body (RFC 9112 §6.3),
 * whatever Content-Length or Transfer-Encoding they carry. http-parser 2.x
 * read one anyway: a 304 with its representation's Content-Length (which
 * RFC 9110 §8.6 allows) hung the client, and a 1xx "body" became part of
 * the final answer's body.
 */
static int feed_all(const char *msg, struct bl_http_resp *r)
{
	struct bl_http_rparser *rp = bl_http_rparser_new(NULL, 0, r, NULL, NULL);
	int rc = bl_http_rparser_feed(rp, msg, strlen(msg));
	bl_http_rparser_free(rp);
	return rc;
}

static void test_no_body_statuses(void **state)
{
	struct bl_http_resp r;
	(void)state;

	assert_int_equal(feed_all("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", &r), 1);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.body_bytes, 0);
	bl_http_resp_free(&r);
	assert_int_equal(feed_all("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", &r), 1);
	assert_int_equal(r.body_bytes, 0);
	bl_http_resp_free(&r);
	/* what a lying 204 sends after its head is not its body */
	assert_int_equal(feed_all("HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n"
	                          "5\r\nabcde\r\n0\r\n\r\n",
	                          &r),
	                 BL_EINVAL);
	bl_http_resp_free(&r);
	/* nor is a 1xx "body" part of the final answer */
	assert_true(feed_all("HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\nabcde"
	                     "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	                     &r) < 0);
	assert_int_equal(r.body.len, 0);
	bl_http_resp_free(&r);
}

/* GET /nm: 304 with Content-Length and no body; GET /lie: 204 whose "body" comes late */
static int h_nobody(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	if (!strncmp(rq->head, "GET /nm ", 8)) {
		tc_puts(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n");
		return 1;
	}
	if (!strncmp(rq->head, "GET /lie ", 9)) {
		tc_puts(c, "HTTP/1.1 204 No Content\r\nContent-Length: 38\r\n\r\n");
		usleep(100 * 1000);
		/* to a client that reused the connection, this is the next answer */
		tc_puts(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nX");
		return 1;
	}
	return h_hello(s, c, rq);
}

static void test_no_body_keepalive(void **state)
{
	struct bl_http_opts o = { .timeout_ms = 3000 };
	struct tsrv *s = srv_start(h_nobody, NULL);
	struct bl_http *h = client(s, &o);
	struct bl_http_resp r;
	(void)state;

	assert_int_equal(get(h, "/nm", &r), 0);
	assert_int_equal(r.status, 304);
	assert_int_equal(r.content_length, 5);
	bl_http_resp_free(&r);
	assert_int_equal(get(h, "/next", &r), 0);
	assert_string_equal((char *)r.body.p, "hello /next");
	bl_http_resp_free(&r);
	assert_int_equal(bl_http_connections(h), 1); /* a 304 leaves the connection usable */

	/* a 204 that announced a body: the connection is not trusted again */
	assert_int_equal(get(h, "/lie", &r), 0);
	assert_int_equal(r.status, 204);
	bl_http_resp_free(&r);
	assert_int_equal(get(h, "/after", &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal((char *)r.body.p, "hello /after");
	bl_http_resp_free(&r);
	assert_int_equal(bl_http_connections(h), 2);
	bl_http_free(h);
	srv_stop(s);
}

/*
 * Regression: endless 1xx answers kept a client reading forever (each was
 * forgotten, none counted). A chunk extension without end, or a chunk size
 * of endless zeros, http-parser bounds itself (HTTP_MAX_HEADER_SIZE).
 */
static void expect_endless(const char *start, const char *unit, int want_rc, const char *want)
{
	struct bl_http_resp r;
	struct bl_http_rparser *rp = bl_http_rparser_new(NULL, 0, &r, NULL, NULL);
	struct bl_buf b = BL_BUF_INIT;
	int rc;

	assert_int_equal(bl_http_rparser_feed(rp, start, strlen(start)), 0);
	while (b.len < 256 * 1024)
		assert_int_equal(bl_buf_puts(&b, unit), 0);
	/* 16 MiB in all: far more than any limit allows for framing */
	for (int i = 0; i < 64; i++) {
		rc = bl_http_rparser_feed(rp, b.p, b.len);
		if (rc != 0)
			break;
	}
	if (rc != want_rc || !strstr(bl_errmsg(), want))
		fail_msg("endless '%s': rc %d (%s)", unit, rc, bl_errmsg());
	bl_http_rparser_free(rp);
	bl_http_resp_free(&r);
	bl_buf_free(&b);
}

static void test_endless_framing(void **state)
{
	(void)state;
	expect_endless("", "HTTP/1.1 100\r\n\r\n", BL_ENOMEM, "interim");
	expect_endless("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "00000000",
	               BL_EINVAL, "header bytes");
	expect_endless("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;x=", "aaaaaaaa",
	               BL_EINVAL, "header bytes");
	/* many small chunks with extensions are fine */
	{
		struct bl_http_resp r;
		struct bl_http_rparser *rp = bl_http_rparser_new(NULL, 0, &r, NULL, NULL);
		const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
		assert_int_equal(bl_http_rparser_feed(rp, head, strlen(head)), 0);
		for (int i = 0; i < 100000; i++)
			assert_int_equal(bl_http_rparser_feed(rp, "1;e=v\r\nx\r\n", 10), 0);
		assert_int_equal(bl_http_rparser_feed(rp, "0\r\n\r\n", 5), 1);
		assert_int_equal(r.body.len, 100000);
		bl_http_rparser_free(rp);
		bl_http_resp_free(&r);
	}
}

/* Regression: a server trickling its head a byte at a time was never timed out. */
static int h_trickle(struct tsrv *s, struct tconn *c, struct treq *rq)
{
	(void)rq;
	tc_puts(c, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 40 && !s->stop; i++) {
		if (tc_puts(c, "X") < 0)
			return 0;
		usleep(100 * 1000);
	}
	tc_puts(c, ": 1\r\nContent-Length: 0\r\n\r\n");
	return 0;
}

static void test_slow_head(void **state)
{
	struct bl_http_opts o = { .timeout_ms = 400 };
	struct tsrv *s = srv_start(h_trickle, NULL);
	struct bl_http *h = client(s, &o);
	struct bl_http_resp r;
	(void)state;

	/* each byte comes within the timeout, the whole head does not */
	assert_int_equal(get(h, "/", &r), BL_ETIMEOUT);
	bl_http_resp_free(&r);
	bl_http_free(h);
	s->stop = 1;
	srv_stop(s);

	/* nor while the client waits for "100 Continue" before sending a body */
	s = srv_start(h_trickle, NULL);
	s->skip_body = 1;
	h = client(s, &o);
	{
		struct bl_http_body b = { .data = "body", .fd = -1, .len = 4 };
		struct bl_http_req rq = {
			.method = "PUT", .target = "/", .body = &b, .expect_continue = 1
		};
		assert_int_equal(bl_http_do(h, &rq, &r), BL_ETIMEOUT);
		bl_http_resp_free(&r);
	}
	bl_http_free(h);
	s->stop = 1;
	srv_stop(s);
}

/*
 * A request's own body limit (below the client's): a larger Content-Length
 * is refused at the head, a chunked body cut off. A HEAD answer announces a
 * length without a body: no limit applies (it was refused before).
 */
static void test_request_body_limit(void **state)
{
	struct tsrv *s = srv_start(h_chunked, NULL);
	struct bl_http_opts small = { .max_body = 100 };
	struct bl_http *h = client(s, NULL);
	struct bl_http_resp r;
	struct bl_http_req rq = { .method = "GET", .target = "/", .max_body = 4 };
	(void)state;

	assert_int_equal(bl_http_do(h, &rq, &r), BL_ENOMEM);
	assert_non_null(strstr(bl_errmsg(), "limit of 4"));
	bl_http_resp_free(&r);
	rq.max_body = 11;
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(r.body.len, 11);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);

	s = srv_start(h_hello, NULL);
	h = client(s, NULL);
	rq.max_body = 5; /* "hello /" is longer */
	assert_int_equal(bl_http_do(h, &rq, &r), BL_ENOMEM);
	assert_non_null(strstr(bl_errmsg(), "response body of 7 bytes exceeds the limit of 5"));
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);

	set_canned("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	s = srv_start(h_raw, NULL);
	h = client(s, &small);
	rq.method = "HEAD";
	rq.max_body = 0;
	assert_int_equal(bl_http_do(h, &rq, &r), 0);
	assert_int_equal(r.content_length, 1000);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
}

/*
 * Regression: the TLS handshake had only the per-read timeout, so a server
 * trickling its handshake (here: a record header announcing 16 KiB, then a
 * byte every 100 ms) held the client as long as it liked.
 */
struct trickler {
	int lfd;
	uint16_t port;
	pthread_t th;
	volatile int stop;
};

static void *trickle_main(void *arg)
{
	struct trickler *t = arg;
	struct pollfd p = { t->lfd, POLLIN, 0 };
	int fd;

	if (poll(&p, 1, 5000) <= 0 || (fd = accept(t->lfd, NULL, NULL)) < 0)
		return NULL;
	send(fd, "\x16\x03\x03\x40\x00", 5, MSG_NOSIGNAL);
	for (int i = 0; i < 40 && !t->stop; i++) {
		if (send(fd, "\x02", 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(100 * 1000);
	}
	close(fd);
	return NULL;
}

static void test_slow_tls_handshake(void **state)
{
	struct trickler t = { 0 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct bl_http_opts o = { .timeout_ms = 400 };
	struct bl_http *h;
	struct bl_http_resp r;
	char u[64];
	(void)state;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(t.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(t.lfd, 1), 0);
	getsockname(t.lfd, (struct sockaddr *)&a, &alen);
	t.port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&t.th, NULL, trickle_main, &t), 0);
	snprintf(u, sizeof(u), "https://127.0.0.1:%u", t.port);
	h = bl_http_new(u, &o);
	assert_non_null(h);
	assert_int_equal(get(h, "/", &r), BL_ETIMEOUT);
	assert_non_null(strstr(bl_errmsg(), "handshake"));
	bl_http_resp_free(&r);
	bl_http_free(h);
	t.stop = 1;
	pthread_join(t.th, NULL);
	close(t.lfd);
}

/*
 * TLS identity (RFC 6125 §6): by IP address only an iPAddress entry counts
 * (not a DNS entry or a common name spelling the address), and no SNI is
 * sent (RFC 6066 §3 forbids literals); by name, SNI carries the name.
 */
static void test_tls_identity(void **state)
{
	struct pki p;
	SSL_CTX *ctx;
	struct tsrv *s;
	struct bl_http *h;
	struct bl_http_resp r;
	struct bl_http_opts o;
	X509 *ipdns;
	(void)state;

	pki_make(&p);
	o = (struct bl_http_opts){ .ca_file = p.ca };
	/* an address written as a DNS name and a CN: not an IP identity */
	ipdns = new_cert("127.0.0.1", "DNS:127.0.0.1", 0, p.srv_k, p.ca_x, p.ca_k);
	ctx = srv_ctx(&p, ipdns, 0);
	s = srv_start(h_hello, ctx);
	h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
	assert_non_null(h);
	assert_int_equal(get(h, "/", &r), BL_EVERIFY);
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
	SSL_CTX_free(ctx);
	X509_free(ipdns);

	ctx = srv_ctx(&p, p.srv_x, 0);
	s = srv_start(h_hello, ctx);
	h = bl_http_new(url_of(s, "https", "127.0.0.1"), &o);
	assert_int_equal(get(h, "/", &r), 0);
	assert_string_equal(s->sni, "");
	bl_http_resp_free(&r);
	bl_http_free(h);
	h = bl_http_new(url_of(s, "https", "localhost"), &o);
	assert_int_equal(get(h, "/", &r), 0);
	assert_string_equal(s->sni, "localhost");
	bl_http_resp_free(&r);
	bl_http_free(h);
	srv_stop(s);
	SSL_CTX_free(ctx);
	pki_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_get_and_keepalive),
		cmocka_unit_test(test_reconnect_after_close),
		cmocka_unit_test(test_chunked_response),
		cmocka_unit_test(test_streamed_body),
		cmocka_unit_test(test_callback_abort),
		cmocka_unit_test(test_put_bodies),
		cmocka_unit_test(test_put_callback),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_stale_connection_retry),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_interim_and_head),
		cmocka_unit_test(test_timeout_and_refused),
		cmocka_unit_test(test_bad_request_lines),
		cmocka_unit_test(test_redirects),
		cmocka_unit_test(test_early_response),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_rparser_splits),
		cmocka_unit_test(test_no_body_statuses),
		cmocka_unit_test(test_no_body_keepalive),
		cmocka_unit_test(test_endless_framing),
		cmocka_unit_test(test_slow_head),
		cmocka_unit_test(test_request_body_limit),
		cmocka_unit_test(test_slow_tls_handshake),
		cmocka_unit_test(test_tls_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
