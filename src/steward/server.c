/* server.c — libmicrohttpd front end; see server.h for the contract. */
#include "steward/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"

struct stw_server {
	struct MHD_Daemon *d;
	struct stw_service *s;
	size_t max_body;
	uint16_t port;
};

/* Per-request state, kept in MHD's con_cls between calls. */
struct req {
	struct bl_buf body;
	int too_large;
	size_t dropped; /* body bytes discarded past the limit */
	struct timespec start;
};

int stw_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	char host[64];
	const char *colon, *port_s;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		port_s = rb + 2;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			goto bad;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
		port_s = colon + 1;
	}
	if (!*port_s)
		goto bad;
	port = strtoul(port_s, &end, 10);
	if (*end || port > 65535)
		goto bad;
	if (s[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &a4->sin_addr) != 1)
			goto bad;
	}
	return 0;
bad:
	return bl_err(BL_EINVAL, "listen address \"%.64s\": expected ADDR:PORT or [ADDR6]:PORT", s);
}

static uint64_t elapsed_ns(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (uint64_t)(t1.tv_sec - t0->tv_sec) * 1000000000u + (uint64_t)t1.tv_nsec -
	       (uint64_t)t0->tv_nsec;
}

static enum MHD_Result answer(struct MHD_Connection *c, struct stw_server *srv, struct req *rq,
                              const char *method, const char *url, unsigned status,
                              const char *ctype, const void *p, size_t n, enum att_kind kind)
{
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(n, (void *)(uintptr_t)p, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	uint64_t ns = elapsed_ns(&rq->start);
	char st[8], us[24];

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, POST");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	if (strcmp(url, "/metrics") != 0)
		stw_metrics_observe(&srv->s->metrics, status, kind, ns);
	snprintf(st, sizeof(st), "%u", status);
	snprintf(us, sizeof(us), "%llu", (unsigned long long)(ns / 1000));
	bl_log_kv(status >= 500 ? BL_LOG_ERROR : BL_LOG_INFO, "request", "method", method, "path",
	          url, "status", st, "kind", att_kind_name(kind), "us", us, NULL);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, struct stw_server *srv, struct req *rq,
                                 const char *method, const char *url, unsigned status,
                                 const char *text)
{
	return answer(c, srv, rq, method, url, status, "text/plain; charset=utf-8", text,
	              strlen(text), ATT_KIND_NONE);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	struct stw_server *srv = cls;
	struct req *rq = *con_cls;
	(void)version;

	if (!rq) {
		const char *cl;
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &rq->start);
		rq->body.limit = srv->max_body;
		*con_cls = rq;
		if (strcmp(method, "POST") != 0)
			goto respond;
		/* Refuse an announced oversized body before reading any of it. */
		cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
			rq->too_large = 1;
			goto respond;
		}
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (!rq->too_large) {
			if (bl_buf_append(&rq->body, upload, n) == 0)
				return MHD_YES;
			rq->too_large = 1;
			bl_buf_free(&rq->body);
		}
		/*
		 * Past the limit the body is read and dropped, so that the client, still
		 * sending, gets the 413 rather than a reset; a body that goes on past
		 * 4x the limit is answered at once (and the connection closed).
		 */
		rq->dropped += n;
		if (rq->dropped <= 4 * srv->max_body)
			return MHD_YES;
		goto respond;
	}

respond:
	if (strcmp(url, "/") != 0 && strcmp(url, "/metrics") != 0)
		return send_text(c, srv, rq, method, url, 404, "not found\n");
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
		if (!strcmp(url, "/"))
			return send_text(c, srv, rq, method, url, 200, "ok\n");
		struct bl_buf m = BL_BUF_INIT;
		enum MHD_Result r;
		if (stw_metrics_render(&srv->s->metrics, &m) < 0) {
			bl_buf_free(&m);
			return send_text(c, srv, rq, method, url, 503, "out of memory\n");
		}
		r = answer(c, srv, rq, method, url, 200, "text/plain; version=0.0.4", m.p, m.len,
		           ATT_KIND_NONE);
		bl_buf_free(&m);
		return r;
	}
	if (strcmp(method, "POST") != 0 || strcmp(url, "/") != 0)
		return send_text(c, srv, rq, method, url, 405, "method not allowed\n");
	if (rq->too_large) {
		char msg[96];
		snprintf(msg, sizeof(msg), "request body larger than %zu bytes\n", srv->max_body);
		return send_text(c, srv, rq, method, url, 413, msg);
	}
	struct stw_reply reply;
	enum MHD_Result r;
	const char *ct =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	stw_service_post(srv->s, ct, rq->body.p, rq->body.len, &reply);
	r = answer(c, srv, rq, method, url, reply.status, reply.content_type, reply.body.p,
	           reply.body.len, reply.kind);
	stw_reply_free(&reply);
	return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;

	if (rq) {
		bl_buf_free(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

int stw_server_start(struct stw_service *s, const struct stw_server_opts *o,
                     struct stw_server **out)
{
	struct sockaddr_storage ss;
	struct stw_server *srv;
	unsigned threads = o->threads;
	const union MHD_DaemonInfo *info;

	BL_TRY(stw_parse_listen(o->listen, &ss));
	if (!threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 && n < 64 ? (unsigned)n : 1;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return bl_err(BL_ENOMEM, "server: out of memory");
	srv->s = s;
	srv->max_body = o->max_body;
	srv->d = MHD_start_daemon(
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	        (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, NULL, MHD_OPTION_END);
	if (!srv->d) {
		free(srv);
		return bl_err(BL_EIO, "server: cannot listen on %s", o->listen);
	}
	info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : 0;
	*out = srv;
	return 0;
}

uint16_t stw_server_port(const struct stw_server *srv)
{
	return srv->port;
}

void stw_server_stop(struct stw_server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->d);
	free(srv);
}
