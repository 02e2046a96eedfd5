/*
 * dbr_main.c — the bailey-drawbridge program: serve the registry, and the
 * maintenance commands (gc, fsck) and development helpers (dev-token, dev-jwks).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "drawbridge/auth.h"
#ifdef DBR_HAVE_OIDC
#include "drawbridge/oidc.h"
#endif
#include "drawbridge/server.h"
#include "drawbridge/store.h"

#define DEFAULT_SCOPE                                                                              \
	"manage:drawbridge_users manage:drawbridge_repositories manage:drawbridge_tags"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: bailey-drawbridge [serve] --store DIR [--listen ADDR:PORT] [--tls-cert F "
	    "--tls-key F]\n"
	    "                         [--client-ca F] [--oidc-issuer URL --oidc-audience A\n"
	    "                         [--jwks F | --oidc-ca F --jwks-refresh SECONDS] | --dev]\n"
	    "                         [--max-file BYTES] [--body-memory BYTES] [--threads N] "
	    "[--port-file F]\n"
	    "                         [--log-level debug|info|warn|error] [--log-format "
	    "text|json]\n"
	    "       bailey-drawbridge dev-token --store DIR SUBJECT [--scope S] [--ttl SECONDS]\n"
	    "                         [--audience A] [--issuer I]\n"
	    "       bailey-drawbridge dev-jwks --store DIR\n"
	    "       bailey-drawbridge gc --store DIR [--grace SECONDS]\n"
	    "       bailey-drawbridge fsck --store DIR\n"
	    "\n"
	    "Serves the Drawbridge registry API v0.1.0 (docs/drawbridge-api.md). Metadata is\n"
	    "kept in DIR/meta.db (SQLite), file contents in DIR/blobs (content-addressed).\n"
	    "--dev signs tokens with a key kept in DIR/dev-issuer.jwk; `dev-token` prints one\n"
	    "(default scope: all of read/write/manage for users, repositories and tags).\n"
	    "With --oidc-issuer and no --jwks, the issuer's keys come from its discovery\n"
	    "document (https; --oidc-ca names the CA bundle, default the system store) and\n"
	    "are fetched again, at most every --jwks-refresh seconds (default 60), when a\n"
	    "token is signed by a key not yet known.\n"
	    "--body-memory (default 256 MiB) bounds the JSON and directory bodies held in\n"
	    "memory at once (files always stream to disk); beyond it uploads get 503.\n"
	    "gc removes blobs no node references (older than --grace, default 3600 s);\n"
	    "fsck re-hashes every blob and exits 1 when one is damaged or missing.\n");
}

enum {
	O_STORE = 256,
	O_LISTEN,
	O_TLS_CERT,
	O_TLS_KEY,
	O_CLIENT_CA,
	O_ISSUER,
	O_AUDIENCE,
	O_JWKS,
	O_DEV,
	O_MAX_FILE,
	O_THREADS,
	O_PORT_FILE,
	O_LOG_LEVEL,
	O_LOG_FORMAT,
	O_SCOPE,
	O_TTL,
	O_GRACE,
	O_BODY_MEMORY,
	O_OIDC_CA,
	O_REFRESH,
	O_HELP
};

static const struct option opts[] = {
	{ "store", required_argument, NULL, O_STORE },
	{ "listen", required_argument, NULL, O_LISTEN },
	{ "tls-cert", required_argument, NULL, O_TLS_CERT },
	{ "tls-key", required_argument, NULL, O_TLS_KEY },
	{ "client-ca", required_argument, NULL, O_CLIENT_CA },
	{ "oidc-issuer", required_argument, NULL, O_ISSUER },
	{ "oidc-audience", required_argument, NULL, O_AUDIENCE },
	{ "audience", required_argument, NULL, O_AUDIENCE },
	{ "issuer", required_argument, NULL, O_ISSUER },
	{ "jwks", required_argument, NULL, O_JWKS },
	{ "dev", no_argument, NULL, O_DEV },
	{ "max-file", required_argument, NULL, O_MAX_FILE },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "port-file", required_argument, NULL, O_PORT_FILE },
	{ "log-level", required_argument, NULL, O_LOG_LEVEL },
	{ "log-format", required_argument, NULL, O_LOG_FORMAT },
	{ "scope", required_argument, NULL, O_SCOPE },
	{ "ttl", required_argument, NULL, O_TTL },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "body-memory", required_argument, NULL, O_BODY_MEMORY },
	{ "oidc-ca", required_argument, NULL, O_OIDC_CA },
	{ "jwks-refresh", required_argument, NULL, O_REFRESH },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *cmd, *store, *issuer, *audience, *jwks, *scope, *subject, *oidc_ca;
	unsigned refresh;
	int dev;
	long ttl, grace;
	int level, format;
	struct dbr_server_cfg cfg;
};

static int fail(const char *what)
{
	fprintf(stderr, "bailey-drawbridge: %s%s%s\n", what, bl_errmsg()[0] ? ": " : "",
	        bl_errmsg());
	return 1;
}

static int cmd_serve(struct args *a)
{
	struct dbr_store *st;
	struct dbr_auth *auth = NULL;
	int rc;
	if (a->dev) {
		if (dbr_auth_new_dev(a->store, &auth) < 0)
			return fail("development issuer");
		bl_warn("--dev: tokens from the development issuer (dev-token) are accepted");
	} else if (a->jwks) {
		if (!a->issuer || !a->audience) {
			fprintf(stderr, "bailey-drawbridge: --jwks needs --oidc-issuer and "
			                "--oidc-audience\n");
			return 2;
		}
		if (dbr_auth_new(a->issuer, a->audience, a->jwks, &auth) < 0)
			return fail("OIDC keys");
	} else if (a->issuer) {
#ifdef DBR_HAVE_OIDC
		if (!a->audience) {
			fprintf(stderr, "bailey-drawbridge: --oidc-issuer needs --oidc-audience\n");
			return 2;
		}
		if (dbr_auth_new_oidc(a->issuer, a->audience, a->oidc_ca, a->refresh, &auth) < 0)
			return fail("OIDC discovery");
#else
		fprintf(stderr, "bailey-drawbridge: built without OIDC discovery (http-parser "
		                "missing); pass the issuer's keys with --jwks FILE\n");
		return 2;
#endif
	} else {
		bl_warn("no token issuer configured: only public reads will succeed");
	}
	if (dbr_store_open(a->store, &st) < 0) {
		dbr_auth_free(auth);
		return fail("store");
	}
	if (dbr_store_claim(st) < 0) {
		dbr_store_close(st);
		dbr_auth_free(auth);
		return fail("store");
	}
	a->cfg.auth = auth;
	rc = dbr_server_run(&a->cfg, st);
	dbr_store_close(st);
	dbr_auth_free(auth);
	return rc < 0 ? fail("server") : 0;
}

static int cmd_dev_token(struct args *a)
{
	struct dbr_auth *auth;
	struct bl_buf tok = BL_BUF_INIT;
	int rc;
	if (!a->subject) {
		usage(stderr);
		return 2;
	}
	if (dbr_auth_new_dev(a->store, &auth) < 0)
		return fail("development issuer");
	rc = dbr_auth_dev_token(auth, a->subject, a->scope ? a->scope : DEFAULT_SCOPE, a->ttl,
	                        a->audience, a->issuer, &tok);
	dbr_auth_free(auth);
	if (rc < 0)
		return fail("dev-token");
	printf("%s\n", (char *)tok.p);
	bl_buf_free_secret(&tok);
	return 0;
}

static int cmd_dev_jwks(struct args *a)
{
	struct dbr_auth *auth;
	struct bl_buf out = BL_BUF_INIT;
	int rc;
	if (dbr_auth_new_dev(a->store, &auth) < 0)
		return fail("development issuer");
	rc = dbr_auth_dev_jwks(auth, &out);
	dbr_auth_free(auth);
	if (rc < 0)
		return fail("dev-jwks");
	printf("%s\n", (char *)out.p);
	bl_buf_free(&out);
	return 0;
}

static int cmd_gc(struct args *a)
{
	struct dbr_store *st;
	size_t removed, kept;
	int rc;
	if (dbr_store_open(a->store, &st) < 0)
		return fail("store");
	rc = dbr_store_gc(st, a->grace, &removed, &kept);
	dbr_store_close(st);
	if (rc < 0)
		return fail("gc");
	printf("gc: removed %zu unreferenced blobs, kept %zu\n", removed, kept);
	return 0;
}

static int cmd_fsck(struct args *a)
{
	struct dbr_store *st;
	size_t checked, bad;
	int rc;
	if (dbr_store_open(a->store, &st) < 0)
		return fail("store");
	rc = dbr_store_fsck(st, &checked, &bad);
	dbr_store_close(st);
	if (rc < 0)
		return fail("fsck");
	printf("fsck: %zu blobs checked, %zu problems\n", checked, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct args a;
	int c;
	char *end;

	memset(&a, 0, sizeof(a));
	a.cmd = "serve";
	a.ttl = 3600;
	a.grace = 3600;
	a.refresh = 60;
	a.level = BL_LOG_INFO;
	a.format = BL_LOG_TEXT;
	a.cfg.listen = "127.0.0.1:8080";
	a.cfg.max_file = 256ull << 20;
	if (argc > 1 && argv[1][0] != '-') {
		a.cmd = argv[1];
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_STORE: a.store = optarg; break;
		case O_LISTEN: a.cfg.listen = optarg; break;
		case O_TLS_CERT: a.cfg.tls_cert = optarg; break;
		case O_TLS_KEY: a.cfg.tls_key = optarg; break;
		case O_CLIENT_CA: a.cfg.client_ca = optarg; break;
		case O_ISSUER: a.issuer = optarg; break;
		case O_AUDIENCE: a.audience = optarg; break;
		case O_JWKS: a.jwks = optarg; break;
		case O_DEV: a.dev = 1; break;
		case O_MAX_FILE:
			a.cfg.max_file = strtoull(optarg, &end, 10);
			if (*end || !a.cfg.max_file)
				goto bad;
			break;
		case O_OIDC_CA: a.oidc_ca = optarg; break;
		case O_REFRESH:
			a.refresh = (unsigned)strtoul(optarg, &end, 10);
			if (*end)
				goto bad;
			break;
		case O_BODY_MEMORY:
			a.cfg.body_memory = strtoull(optarg, &end, 10);
			if (*end || !a.cfg.body_memory)
				goto bad;
			break;
		case O_THREADS:
			a.cfg.threads = (unsigned)strtoul(optarg, &end, 10);
			if (*end)
				goto bad;
			break;
		case O_PORT_FILE: a.cfg.port_file = optarg; break;
		case O_LOG_LEVEL:
			if ((a.level = bl_log_level_parse(optarg)) < 0)
				goto bad;
			break;
		case O_LOG_FORMAT:
			if ((a.format = bl_log_format_parse(optarg)) < 0)
				goto bad;
			break;
		case O_SCOPE: a.scope = optarg; break;
		case O_TTL:
			a.ttl = strtol(optarg, &end, 10);
			if (*end)
				goto bad;
			break;
		case O_GRACE:
			a.grace = strtol(optarg, &end, 10);
			if (*end || a.grace < 0)
				goto bad;
			break;
		case O_HELP:
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (!strcmp(a.cmd, "dev-token") && optind < argc)
		a.subject = argv[optind++];
	if (optind != argc || !a.store)
		goto bad;
	bl_log_setup((enum bl_log_level)a.level, (enum bl_log_format)a.format, "bailey-drawbridge");
	if (!strcmp(a.cmd, "serve"))
		return cmd_serve(&a);
	if (!strcmp(a.cmd, "dev-token"))
		return cmd_dev_token(&a);
	if (!strcmp(a.cmd, "dev-jwks"))
		return cmd_dev_jwks(&a);
	if (!strcmp(a.cmd, "gc"))
		return cmd_gc(&a);
	if (!strcmp(a.cmd, "fsck"))
		return cmd_fsck(&a);
bad:
	usage(stderr);
	return 2;
}
