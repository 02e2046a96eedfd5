/*
 * server.h — Steward's HTTP/1.1 front end on libmicrohttpd.
 *
 *   GET  /          200 "ok" (health)
 *   GET  /metrics   200 Prometheus text (metrics.h)
 *   POST /          stw_service_post() (service.h)
 *   other paths 404, other methods 405 (with Allow).
 *
 * Guarantees: a request body is buffered up to max_body bytes and no
 * further (a larger Content-Length is answered 413 before the body is read;
 * a body that grows past the limit is discarded and answered 413 at its end,
 * or at once past 4x the limit); MHD's
 * per-connection memory is capped; at most max_connections connections at
 * once and 16 per client address; idle connections close after 30 s. Each
 * request is logged in one line (method, path, status, kind, microseconds).
 * TLS is left to a reverse proxy or to a later change: the CSR and its
 * answer are public data signed end to end.
 */
#ifndef BL_STEWARD_SERVER_H
#define BL_STEWARD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "steward/service.h"

struct stw_server;

struct stw_server_opts {
	const char *listen; /* "ADDR:PORT" or "[ADDR6]:PORT"; port 0 picks one */
	unsigned max_connections;
	unsigned threads; /* 0: one per CPU */
	size_t max_body;
};

/* Start serving s (borrowed; must outlive the server). */
BL_MUST_CHECK int stw_server_start(struct stw_service *s, const struct stw_server_opts *o,
                                   struct stw_server **out);

/* The port actually bound. */
uint16_t stw_server_port(const struct stw_server *srv);

/* Stop accepting, finish, free. */
void stw_server_stop(struct stw_server *srv);

/* Parse "ADDR:PORT" / "[ADDR6]:PORT" into a sockaddr_storage (exposed for tests). */
struct sockaddr_storage;
BL_MUST_CHECK int stw_parse_listen(const char *s, struct sockaddr_storage *ss);

#endif
