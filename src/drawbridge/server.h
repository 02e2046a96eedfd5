/*
 * server.h — the Drawbridge registry HTTP server (libmicrohttpd).
 *
 * Serves Drawbridge API v0.1.0 under /api/v{semver}/ (a newer major, or a
 * newer minor while at 0.x, answers 501), plus GET /health and GET /metrics,
 * and the sharing extension /{user}/{repo}/_access[/{member}]; see
 * docs/drawbridge-api.md for every route and status code.
 *
 * Guarantees: bodies are streamed — files go straight to the blob store
 * while their digests are computed, only JSON bodies (users, repositories,
 * tags: 64 KiB; directories: 4 MiB) are held in memory — so memory per
 * connection is bounded; a file above `max_file` is refused with 413 before
 * its body is read; JSON bodies held at once share a budget (`body_memory`,
 * 503 beyond it). Every node is checked against its parent's entry
 * (digest, length, type) and its Content-Digest. Access log lines carry the
 * request id, method, path, status, bytes and duration, never headers or tokens.
 * Plain-HTTP downloads use sendfile (MHD_create_response_from_fd).
 * Does not: fetch OIDC discovery documents (the JWKS comes from a file).
 */
#ifndef BL_DRAWBRIDGE_SERVER_H
#define BL_DRAWBRIDGE_SERVER_H

#include <stdint.h>

#include "common/err.h"
#include "drawbridge/auth.h"
#include "drawbridge/store.h"

struct dbr_server_cfg {
	const char *listen; /* "ADDR:PORT"; port 0 picks a free one */
	const char *tls_cert, *tls_key; /* PEM files, both or neither */
	const char *client_ca; /* PEM: client certificates it issued may read private repos */
	const char *port_file; /* when set, the bound port is written there */
	struct dbr_auth *auth; /* NULL: every authenticated route answers 401 */
	uint64_t max_file; /* largest file node accepted */
	unsigned threads; /* 0: one per CPU */
	unsigned conn_limit; /* 0: 1024 */
	uint64_t body_memory; /* bytes of JSON/directory bodies held at once; 0: 256 MiB */
};

/* Serve until SIGINT or SIGTERM. */
BL_MUST_CHECK int dbr_server_run(const struct dbr_server_cfg *cfg, struct dbr_store *store);

#endif
