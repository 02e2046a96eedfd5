/*
 * cmd_registry.c — the Drawbridge registry commands of `bailey`: user, repo,
 * package, tag and login (drawbridge/client.h does the work).
 *
 * The registry host comes from the slug (`[host[:port]/]user/repo:tag`) or
 * $BAILEY_REGISTRY; the connection is HTTPS unless --insecure-http, which is
 * refused for hosts other than loopback. The bearer token comes from
 * --token-file, else $BAILEY_TOKEN, else the file `bailey login` stored
 * ($XDG_CONFIG_HOME/bailey/token or ~/.config/bailey/token, mode 0600): its
 * first line is the token, its second the registry (HOST[:PORT]) it is for,
 * and it is sent to no other. The token is never printed and is wiped from
 * memory after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/http.h"
#include "drawbridge/client.h"

struct ropts {
	const char *token_file;
	const char *ca_bundle;
	const char *cert, *key;
	const char *subject;
	const char *jwks_file; /* user register: public keys for signed tags */
	const char *sign_key; /* package publish: sign the tag */
	const char *tag_key; /* package fetch/info: the tag must be signed by one of these */
	int insecure_http;
	int json;
	int private_;
	int write;
	int help;
	int progress; /* a progress bar on stderr (a TTY) */
	unsigned timeout_ms;
};

enum {
	O_TOKEN_FILE = 256,
	O_CA,
	O_CERT,
	O_KEY,
	O_INSECURE,
	O_JSON,
	O_PRIVATE,
	O_WRITE,
	O_SUBJECT,
	O_TIMEOUT,
	O_JWKS,
	O_SIGN_KEY,
	O_TAG_KEY
};

static const struct option ropt_table[] = {
	{ "token-file", required_argument, NULL, O_TOKEN_FILE },
	{ "ca-bundle", required_argument, NULL, O_CA },
	{ "client-cert", required_argument, NULL, O_CERT },
	{ "client-key", required_argument, NULL, O_KEY },
	{ "insecure-http", no_argument, NULL, O_INSECURE },
	{ "json", no_argument, NULL, O_JSON },
	{ "private", no_argument, NULL, O_PRIVATE },
	{ "write", no_argument, NULL, O_WRITE },
	{ "subject", required_argument, NULL, O_SUBJECT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "jwks", required_argument, NULL, O_JWKS },
	{ "sign-key", required_argument, NULL, O_SIGN_KEY },
	{ "tag-key", required_argument, NULL, O_TAG_KEY },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char common_help[] =
    "\nCommon options:\n"
    "  --token-file F     read the bearer token from F (else $BAILEY_TOKEN, else the\n"
    "                     token stored by 'bailey login')\n"
    "  --ca-bundle F      trust the CAs in PEM file F (default: the system store)\n"
    "  --client-cert F    present this TLS client certificate (with --client-key F)\n"
    "  --insecure-http    plain HTTP, allowed only for loopback hosts (tests)\n"
    "  --timeout SECONDS  per network operation (default 30)\n"
    "  -h, --help         this text\n"
    "The registry host is the slug's HOST[:PORT], else $BAILEY_REGISTRY (HOST[:PORT]\n"
    "or an https:// URL).\n";

/* Parse options after argv[0] (the sub-subcommand); positional args stay in argv[optind..]. */
static int ropts_parse(int argc, char **argv, struct ropts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 0;
	opterr = 1;
	while ((ch = getopt_long(argc, argv, "h", ropt_table, NULL)) != -1) {
		switch (ch) {
		case O_TOKEN_FILE: o->token_file = optarg; break;
		case O_CA: o->ca_bundle = optarg; break;
		case O_CERT: o->cert = optarg; break;
		case O_KEY: o->key = optarg; break;
		case O_INSECURE: o->insecure_http = 1; break;
		case O_JSON: o->json = 1; break;
		case O_PRIVATE: o->private_ = 1; break;
		case O_WRITE: o->write = 1; break;
		case O_SUBJECT: o->subject = optarg; break;
		case O_JWKS: o->jwks_file = optarg; break;
		case O_SIGN_KEY: o->sign_key = optarg; break;
		case O_TAG_KEY: o->tag_key = optarg; break;
		case O_TIMEOUT: {
			char *end;
			unsigned long s = strtoul(optarg, &end, 10);
			if (*end || s == 0 || s > 3600) {
				fprintf(stderr, "bailey: --timeout wants 1..3600 seconds\n");
				return -1;
			}
			o->timeout_ms = (unsigned)s * 1000;
			break;
		}
		case 'h': o->help = 1; break;
		default: return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------- the token -- */

static int config_path(const char *leaf, struct bl_buf *out)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

	if (x && x[0] == '/')
		return bl_buf_printf(out, "%s/bailey%s%s", x, leaf ? "/" : "", leaf ? leaf : "");
	if (!home || home[0] != '/')
		return bl_err(BL_ENOENT, "neither $XDG_CONFIG_HOME nor $HOME is set");
	return bl_buf_printf(out, "%s/.config/bailey%s%s", home, leaf ? "/" : "", leaf ? leaf : "");
}

/*
 * The registry a host or URL names, as the stored token is bound to it:
 * "host[:port]" without scheme and path, lower case. Appended to out.
 */
static int registry_key(const char *s, struct bl_buf *out)
{
	if (!strncmp(s, "https://", 8))
		s += 8;
	else if (!strncmp(s, "http://", 7))
		s += 7;
	for (size_t i = 0; s[i] && s[i] != '/'; i++)
		BL_TRY(bl_buf_putc(out, (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i])));
	if (!out->len)
		return bl_err(BL_EINVAL, "no registry host");
	return 0;
}

/*
 * Read a token file: its first line, without trailing white space. When
 * `second` is not NULL, the second line (trimmed the same way) is appended
 * to it.
 */
static int read_token_file(const char *path, struct bl_buf *tok, struct bl_buf *second)
{
	char buf[16384];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = bl_err(BL_EIO, "%s: %s", path, strerror(errno));
		goto out_close;
	}
	buf[n] = 0;
	if (second) {
		char *l2 = buf + strcspn(buf, "\r\n");
		size_t k;

		l2 += strspn(l2, "\r\n");
		k = strcspn(l2, "\r\n");
		while (k > 0 && (l2[k - 1] == ' ' || l2[k - 1] == '\t'))
			k--;
		if ((rc = bl_buf_append(second, l2, k)) < 0)
			goto out_close;
	}
	buf[strcspn(buf, "\r\n")] = 0;
	n = (ssize_t)strlen(buf);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = 0;
	if (n == 0) {
		rc = bl_err(BL_EINVAL, "%s: no token in the file", path);
		goto out_close;
	}
	rc = bl_buf_append(tok, buf, (size_t)n);
out_close:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/*
 * The token to use for registry `key` (registry_key), or an empty buffer
 * when there is none. The stored token only goes to the registry it was
 * stored for: a slug naming another host must not receive it.
 */
static int find_token(const struct ropts *o, const char *key, struct bl_buf *tok)
{
	struct bl_buf p = BL_BUF_INIT, bound = BL_BUF_INIT;
	const char *env = getenv("BAILEY_TOKEN");
	int rc = 0;

	if (o->token_file)
		return read_token_file(o->token_file, tok, NULL);
	if (env && *env)
		return bl_buf_puts(tok, env);
	if (config_path("token", &p) == 0 && access((char *)p.p, F_OK) == 0) {
		rc = read_token_file((char *)p.p, tok, &bound);
		if (rc == 0 && (!bound.len || bl_buf_putc(&bound, 0) < 0 ||
		                strcasecmp((char *)bound.p, key) != 0))
			bl_buf_reset(tok); /* stored for another registry (or none) */
	}
	if (tok->len == 0 && tok->p)
		OPENSSL_cleanse(tok->p, tok->cap);
	bl_buf_free(&bound);
	bl_buf_free(&p);
	return rc;
}

/* The token for the registry `host` names (HOST[:PORT] or a URL; "": $BAILEY_REGISTRY). */
static int token_for(const struct ropts *o, const char *host, struct bl_buf *tok)
{
	struct bl_buf key = BL_BUF_INIT;
	const char *reg = getenv("BAILEY_REGISTRY");
	int rc;

	if (!host[0])
		host = reg ? reg : "";
	rc = registry_key(host, &key);
	if (rc == 0)
		rc = bl_buf_putc(&key, 0);
	if (rc == 0)
		rc = find_token(o, (char *)key.p, tok);
	bl_buf_free(&key);
	return rc;
}

/* ------------------------------------------------------------ progress -- */

struct bar {
	int last; /* last permille (or MiB) drawn */
	int drawn;
	const char *verb;
};

static void bar_draw(void *arg, uint64_t done, uint64_t total)
{
	struct bar *b = arg;
	int width = 30, fill, mark;
	double mib = (double)done / (1024.0 * 1024.0);

	if (total) {
		mark = (int)(done * 1000 / total);
		if (b->drawn && mark == b->last)
			return;
		fill = (int)(done * (uint64_t)width / total);
		fprintf(stderr, "\r%s [%.*s%*s] %5.1f%% %.1f/%.1f MiB", b->verb, fill,
		        "##############################", width - fill, "", mark / 10.0, mib,
		        (double)total / (1024.0 * 1024.0));
	} else {
		mark = (int)(done >> 16);
		if (b->drawn && mark == b->last)
			return;
		fprintf(stderr, "\r%s %.1f MiB", b->verb, mib);
	}
	b->last = mark;
	b->drawn = 1;
}

static void bar_end(struct bar *b)
{
	if (b->drawn)
		fputc('\n', stderr);
}

/* A small text file (a JWK set), at most 64 KiB, appended to out. */
static int read_text_file(const char *path, struct bl_buf *out)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	out->limit = 64 * 1024;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if ((rc = bl_buf_append(out, buf, (size_t)n)) < 0)
			break;
	if (n < 0)
		rc = bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	if (rc < 0)
		rc = bl_err_wrap(rc, "%s: ", path);
	close(fd);
	return rc;
}

/* -------------------------------------------------------------- client -- */

static struct dbr_client *connect_to(const struct ropts *o, const char *host, struct bar *bar)
{
	struct dbr_client_opts co = { 0 };
	struct bl_buf url = BL_BUF_INIT, tok = BL_BUF_INIT, jwks = BL_BUF_INIT;
	struct bl_url u;
	struct dbr_client *c = NULL;
	const char *reg = getenv("BAILEY_REGISTRY");

	if (!host[0])
		host = reg && *reg ? reg : "";
	if (!host[0]) {
		bl_err(BL_EINVAL, "no registry host: give HOST[:PORT]/ in the slug or set "
		                  "$BAILEY_REGISTRY");
		return NULL;
	}
	/* $BAILEY_REGISTRY may be a URL; its scheme then counts like the option */
	if (!strncmp(host, "https://", 8)) {
		host += 8;
	} else if (!strncmp(host, "http://", 7)) {
		host += 7;
		if (!o->insecure_http) {
			bl_err(BL_EPERM, "plain HTTP to %s needs --insecure-http", host);
			return NULL;
		}
	}
	if (bl_buf_printf(&url, "%s://%.*s", o->insecure_http ? "http" : "https",
	                  (int)strcspn(host, "/"), host) < 0)
		goto out_free;
	if (bl_url_parse((char *)url.p, &u) < 0)
		goto out_free;
	if (o->insecure_http && !bl_host_is_loopback(u.host)) {
		bl_err(BL_EPERM, "--insecure-http is allowed only for loopback hosts, not '%s'",
		       u.host);
		bl_url_free(&u);
		goto out_free;
	}
	bl_url_free(&u);
	if (token_for(o, host, &tok) < 0)
		goto out_free;
	co.url = (char *)url.p;
	co.token = tok.len ? (char *)tok.p : NULL;
	co.ca_file = o->ca_bundle;
	co.cert_file = o->cert;
	co.key_file = o->key;
	co.timeout_ms = o->timeout_ms;
	co.sign_key = o->sign_key;
	if (o->tag_key) {
		if (read_text_file(o->tag_key, &jwks) < 0)
			goto out_free;
		co.tag_jwks = (char *)jwks.p;
	}
	if (bar && isatty(STDERR_FILENO)) {
		co.progress = bar_draw;
		co.progress_arg = bar;
	}
	c = dbr_client_new(&co);
out_free:
	bl_buf_free_secret(&tok);
	bl_buf_free(&jwks);
	bl_buf_free(&url);
	return c;
}

/* Exit code for a failed operation: 1 for refusals and failed checks. */
static int fail(const char *what)
{
	cli_errorf("%s", what);
	return CLI_FAIL;
}

/* A client that cannot be set up (no registry, plain HTTP refused, bad CA file): usage. */
static int connect_fail(const char *what)
{
	cli_errorf("%s", what);
	return CLI_USAGE;
}

static int usage_error(const char *msg, const char *usage)
{
	fprintf(stderr, "bailey: %s\n%s", msg, usage);
	return CLI_USAGE;
}

static void print_json_or(const struct ropts *o, const struct bl_buf *json)
{
	json_t *j = o->json ? NULL : json_loadb((const char *)json->p, json->len, 0, NULL);
	char *pretty = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;

	/* --json: the server's bytes as they are; else indented for people */
	if (pretty)
		printf("%s\n", pretty);
	else
		printf("%.*s\n", (int)json->len, json->p ? (char *)json->p : "");
	free(pretty);
	json_decref(j);
}

/* ---------------------------------------------------------------- user -- */

static const char user_usage[] =
    "usage: bailey user register [HOST[:PORT]/]USER [--subject SUB] [--jwks F]\n"
    "       bailey user info [HOST[:PORT]/]USER [--json]\n\n"
    "register creates the user record on the registry, owned by the token's subject\n"
    "(its \"sub\" claim, or --subject); --jwks F registers the public JWK set in F\n"
    "that signed tags of this user must verify under. info prints the record (JSON).\n";

int cmd_user(int argc, char **argv)
{
	struct ropts o;
	struct dbr_slug s;
	struct dbr_client *c;
	struct bl_buf out = BL_BUF_INIT, tok = BL_BUF_INIT, sub = BL_BUF_INIT, jwks = BL_BUF_INIT;
	int rc = CLI_OK, reg;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s%s", user_usage, common_help);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	reg = !strcmp(argv[1], "register");
	if (!reg && strcmp(argv[1], "info"))
		return usage_error("unknown 'user' command", user_usage);
	if (ropts_parse(argc - 1, argv + 1, &o) < 0)
		return CLI_USAGE;
	if (o.help) {
		printf("%s%s", user_usage, common_help);
		return CLI_OK;
	}
	if (optind + 1 != argc - 1)
		return usage_error("give one USER", user_usage);
	if (dbr_slug_parse(argv[1 + optind], DBR_SLUG_USER, &s) < 0) {
		cli_errorf("user");
		return CLI_USAGE;
	}
	c = connect_to(&o, s.host, NULL);
	if (!c)
		return connect_fail("user");
	if (reg) {
		if (!o.subject) {
			if (token_for(&o, s.host, &tok) < 0 || !tok.len ||
			    dbr_token_subject((char *)tok.p, &sub) < 0) {
				if (!tok.len)
					bl_err(BL_EPERM, "no token (give --token-file or set "
					                 "$BAILEY_TOKEN)");
				rc = fail("user register");
				goto out_free;
			}
		} else if (bl_buf_puts(&sub, o.subject) < 0) {
			rc = fail("user register");
			goto out_free;
		}
		if (o.jwks_file && read_text_file(o.jwks_file, &jwks) < 0) {
			rc = fail("user register");
			goto out_free;
		}
		if (dbr_user_register(c, s.user, (char *)sub.p,
		                      o.jwks_file ? (char *)jwks.p : NULL) < 0) {
			rc = fail("user register");
			goto out_free;
		}
		printf("registered user %s (subject %s)\n", s.user, (char *)sub.p);
	} else {
		if (dbr_user_info(c, s.user, &out) < 0) {
			rc = fail("user info");
			goto out_free;
		}
		print_json_or(&o, &out);
	}
out_free:
	bl_buf_free_secret(&tok);
	bl_buf_free(&jwks);
	bl_buf_free(&sub);
	bl_buf_free(&out);
	dbr_client_free(c);
	return rc;
}

/* ---------------------------------------------------------------- repo -- */

static const char repo_usage[] =
    "usage: bailey repo register [HOST[:PORT]/]USER/REPO [--private]\n"
    "       bailey repo info [HOST[:PORT]/]USER/REPO [--json]\n"
    "       bailey repo share [HOST[:PORT]/]USER/REPO MEMBER [--write]\n"
    "       bailey repo unshare [HOST[:PORT]/]USER/REPO MEMBER\n"
    "       bailey repo members [HOST[:PORT]/]USER/REPO [--json]\n\n"
    "register creates a repository, public unless --private. share lets registry user\n"
    "MEMBER read the repository (and publish to it with --write); unshare revokes\n"
    "that; members lists who has access.\n";

int cmd_repo(int argc, char **argv)
{
	struct ropts o;
	struct dbr_slug s;
	struct dbr_client *c;
	struct bl_buf out = BL_BUF_INIT;
	const char *sub;
	int rc = CLI_OK, nargs, want;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s%s", repo_usage, common_help);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "register") || !strcmp(sub, "info") || !strcmp(sub, "members"))
		want = 1;
	else if (!strcmp(sub, "share") || !strcmp(sub, "unshare"))
		want = 2;
	else
		return usage_error("unknown 'repo' command", repo_usage);
	if (ropts_parse(argc - 1, argv + 1, &o) < 0)
		return CLI_USAGE;
	if (o.help) {
		printf("%s%s", repo_usage, common_help);
		return CLI_OK;
	}
	nargs = argc - 1 - optind;
	if (nargs != want)
		return usage_error(want == 1 ? "give USER/REPO" : "give USER/REPO MEMBER",
		                   repo_usage);
	if (dbr_slug_parse(argv[1 + optind], DBR_SLUG_REPO, &s) < 0) {
		cli_errorf("repo");
		return CLI_USAGE;
	}
	c = connect_to(&o, s.host, NULL);
	if (!c)
		return connect_fail("repo");
	if (!strcmp(sub, "register")) {
		if (dbr_repo_register(c, s.user, s.repo, !o.private_) < 0)
			rc = fail("repo register");
		else
			printf("registered %s repository %s/%s\n",
			       o.private_ ? "private" : "public", s.user, s.repo);
	} else if (!strcmp(sub, "info")) {
		if (dbr_repo_info(c, s.user, s.repo, &out) < 0)
			rc = fail("repo info");
		else
			print_json_or(&o, &out);
	} else if (!strcmp(sub, "members")) {
		if (dbr_access_list(c, s.user, s.repo, &out) < 0)
			rc = fail("repo members");
		else
			print_json_or(&o, &out);
	} else if (!strcmp(sub, "share")) {
		const char *m = argv[2 + optind];
		if (dbr_access_grant(c, s.user, s.repo, m, o.write ? "write" : "read") < 0)
			rc = fail("repo share");
		else
			printf("%s may now %s %s/%s\n", m, o.write ? "read and publish" : "read",
			       s.user, s.repo);
	} else {
		const char *m = argv[2 + optind];
		if (dbr_access_revoke(c, s.user, s.repo, m) < 0)
			rc = fail("repo unshare");
		else
			printf("%s no longer has access to %s/%s\n", m, s.user, s.repo);
	}
	bl_buf_free(&out);
	dbr_client_free(c);
	return rc;
}

/* ------------------------------------------------------------- package -- */

static const char package_usage[] =
    "usage: bailey package publish [HOST[:PORT]/]USER/REPO:TAG DIR [--sign-key KEY.pem]\n"
    "       bailey package fetch [HOST[:PORT]/]USER/REPO:TAG DIR [--tag-key JWKS]\n"
    "       bailey package info [HOST[:PORT]/]USER/REPO:TAG [--tag-key JWKS] [--json]\n\n"
    "publish uploads the whole tree under DIR (any depth; regular files and\n"
    "directories only) under the tag, which is immutable; every node carries its\n"
    "Content-Digest. Publishing the identical tree again resumes an interrupted\n"
    "publish. fetch downloads the tag into DIR (which must not exist, or be empty),\n"
    "checking every node against its parent's entry and the tag; on any mismatch it\n"
    "exits 1 and leaves nothing behind. info prints the tag's root entry and the\n"
    "top-level listing.\n\n"
    "  --sign-key KEY.pem  sign the tag (a JWS, ES256 for EC P-256 keys, RS256 for RSA)\n"
    "  --tag-key JWKS      accept only a tag signed by a key of this JWK set file\n";

static void print_digests(const struct dbr_entry *e)
{
	struct bl_buf b = BL_BUF_INIT;

	if (bl_content_digest_format(&e->digest, &b) == 0)
		printf("%s", (char *)b.p);
	bl_buf_free(&b);
}

static int package_info(struct dbr_client *c, const struct dbr_slug *s, const struct ropts *o)
{
	struct dbr_entry root;
	struct dbr_dir dir;
	struct bl_buf j = BL_BUF_INIT;
	int signed_tag, rc;

	if (dbr_package_info(c, s->user, s->repo, s->tag, &root, &signed_tag, &dir) < 0)
		return fail("package info");
	if (o->json) {
		rc = bl_buf_puts(&j, "{\"entries\":");
		if (rc == 0)
			rc = dir.n ? dbr_dir_format(&dir, &j) : bl_buf_puts(&j, "{}");
		if (rc == 0)
			rc = bl_buf_puts(&j, ",\"root\":");
		if (rc == 0)
			rc = dbr_entry_format(&root, &j);
		if (rc == 0)
			rc = bl_buf_printf(&j, ",\"signature_checked\":%s,\"signed\":%s}",
			                   signed_tag == 2 ? "true" : "false",
			                   signed_tag ? "true" : "false");
		if (rc == 0)
			printf("%s\n", (char *)j.p);
	} else {
		printf("%s/%s:%s%s\n  root: %s, %llu bytes\n  digest: ", s->user, s->repo, s->tag,
		       signed_tag == 2   ? " (signed; signature verified)"
		       : signed_tag == 1 ? " (signed; signature not checked: give --tag-key)"
		                         : "",
		       root.type, (unsigned long long)root.length);
		print_digests(&root);
		printf("\n");
		for (size_t i = 0; i < dir.n; i++)
			printf("  %-24s %10llu  %s\n", dir.ents[i].name,
			       (unsigned long long)dir.ents[i].entry.length,
			       dir.ents[i].entry.type);
		rc = 0;
	}
	bl_buf_free(&j);
	dbr_dir_free(&dir);
	return rc < 0 ? fail("package info") : CLI_OK;
}

int cmd_package(int argc, char **argv)
{
	struct ropts o;
	struct dbr_slug s;
	struct dbr_client *c;
	struct bar bar = { 0 };
	const char *sub;
	int rc = CLI_OK, want;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s%s", package_usage, common_help);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "publish") || !strcmp(sub, "fetch"))
		want = 2;
	else if (!strcmp(sub, "info"))
		want = 1;
	else
		return usage_error("unknown 'package' command", package_usage);
	if (ropts_parse(argc - 1, argv + 1, &o) < 0)
		return CLI_USAGE;
	if (o.help) {
		printf("%s%s", package_usage, common_help);
		return CLI_OK;
	}
	if (argc - 1 - optind != want)
		return usage_error(want == 2 ? "give SLUG DIR" : "give SLUG", package_usage);
	if (dbr_slug_parse(argv[1 + optind], DBR_SLUG_TAG, &s) < 0) {
		cli_errorf("package");
		return CLI_USAGE;
	}
	bar.verb = !strcmp(sub, "publish") ? "uploading" : "downloading";
	c = connect_to(&o, s.host, &bar);
	if (!c)
		return connect_fail("package");
	if (!strcmp(sub, "publish")) {
		struct dbr_publish_stats st;
		int r = dbr_publish(c, s.user, s.repo, s.tag, argv[2 + optind], &st);
		bar_end(&bar);
		if (r < 0) {
			rc = fail("package publish");
		} else {
			printf("published %s%s/%s:%s: %u files, %u directories, %llu bytes (%u "
			       "uploaded, %u already present)\n  root digest: ",
			       st.signed_tag ? "signed " : "", s.user, s.repo, s.tag, st.files,
			       st.dirs, (unsigned long long)st.bytes, st.created, st.present);
			print_digests(&st.root);
			printf("\n");
		}
	} else if (!strcmp(sub, "fetch")) {
		struct dbr_fetch_stats st;
		int r = dbr_fetch(c, s.user, s.repo, s.tag, argv[2 + optind], &st);
		bar_end(&bar);
		if (r < 0) {
			rc = fail("package fetch");
		} else {
			printf("fetched %s/%s:%s into %s: %u files, %u directories, %llu bytes, "
			       "all digests verified%s\n",
			       s.user, s.repo, s.tag, argv[2 + optind], st.files, st.dirs,
			       (unsigned long long)st.bytes,
			       st.signature_checked ? "; tag signature verified"
			       : st.signed_tag      ? " (signed tag; signature not checked: give "
			                              "--tag-key)"
			                            : "");
		}
	} else {
		rc = package_info(c, &s, &o);
	}
	dbr_client_free(c);
	return rc;
}

/* ----------------------------------------------------------------- tag -- */

static const char tag_usage[] = "usage: bailey tag list [HOST[:PORT]/]USER/REPO [--json]\n\n"
                                "Lists the repository's tags, oldest semantic version first.\n";

int cmd_tag(int argc, char **argv)
{
	struct ropts o;
	struct dbr_slug s;
	struct dbr_client *c;
	char **tags;
	size_t n;
	int rc = CLI_OK;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "%s%s", tag_usage, common_help);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (strcmp(argv[1], "list"))
		return usage_error("unknown 'tag' command", tag_usage);
	if (ropts_parse(argc - 1, argv + 1, &o) < 0)
		return CLI_USAGE;
	if (o.help) {
		printf("%s%s", tag_usage, common_help);
		return CLI_OK;
	}
	if (argc - 1 - optind != 1)
		return usage_error("give USER/REPO", tag_usage);
	if (dbr_slug_parse(argv[1 + optind], DBR_SLUG_REPO, &s) < 0) {
		cli_errorf("tag list");
		return CLI_USAGE;
	}
	c = connect_to(&o, s.host, NULL);
	if (!c)
		return connect_fail("tag list");
	if (dbr_tag_list(c, s.user, s.repo, &tags, &n) < 0) {
		rc = fail("tag list");
	} else {
		if (o.json) {
			/* tags are semantic versions: no character needs escaping */
			printf("[");
			for (size_t i = 0; i < n; i++)
				printf("%s\"%s\"", i ? "," : "", tags[i]);
			printf("]\n");
		} else {
			for (size_t i = 0; i < n; i++)
				printf("%s\n", tags[i]);
		}
		dbr_tag_list_free(tags, n);
	}
	dbr_client_free(c);
	return rc;
}

/* --------------------------------------------------------------- login -- */

static const char login_usage[] =
    "usage: bailey login [HOST[:PORT]] --token-file F\n\n"
    "Stores the bearer token in F (an OpenID Connect access token for the registry\n"
    "HOST[:PORT], by default $BAILEY_REGISTRY) as $XDG_CONFIG_HOME/bailey/token (or\n"
    "~/.config/bailey/token), mode 0600, where the registry commands find it when\n"
    "neither --token-file nor $BAILEY_TOKEN is given. It is sent to that registry\n"
    "only, never to another host a slug names.\n";

static int store_token(const struct bl_buf *tok, const struct bl_buf *key, struct bl_buf *where)
{
	struct bl_buf dir = BL_BUF_INIT, tmp = BL_BUF_INIT;
	int fd = -1, rc;

	BL_TRY_GOTO(rc, config_path(NULL, &dir), out_free);
	BL_TRY_GOTO(rc, config_path("token", where), out_free);
	BL_TRY_GOTO(rc, config_path(".token.tmp", &tmp), out_free);
	/* the parent (~/.config) may be missing too */
	{
		char *slash = strrchr((char *)dir.p, '/');
		*slash = 0;
		(void)mkdir((char *)dir.p, 0700);
		*slash = '/';
	}
	if (mkdir((char *)dir.p, 0700) < 0 && errno != EEXIST) {
		rc = bl_err(BL_EIO, "%s: %s", (char *)dir.p, strerror(errno));
		goto out_free;
	}
	fd = open((char *)tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || write(fd, tok->p, tok->len) != (ssize_t)tok->len ||
	    write(fd, "\n", 1) != 1 || write(fd, key->p, key->len) != (ssize_t)key->len ||
	    write(fd, "\n", 1) != 1 || fsync(fd) < 0) {
		rc = bl_err(BL_EIO, "%s: %s", (char *)tmp.p, strerror(errno));
		goto out_close;
	}
	if (rename((char *)tmp.p, (char *)where->p) < 0) {
		rc = bl_err(BL_EIO, "%s: %s", (char *)where->p, strerror(errno));
		goto out_close;
	}
	rc = 0;
out_close:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink((char *)tmp.p);
out_free:
	bl_buf_free(&tmp);
	bl_buf_free(&dir);
	return rc;
}

int cmd_login(int argc, char **argv)
{
	struct ropts o;
	struct bl_buf tok = BL_BUF_INIT, where = BL_BUF_INIT, key = BL_BUF_INIT;
	const char *reg = getenv("BAILEY_REGISTRY");
	struct dbr_slug sl;
	int rc = CLI_OK;

	if (ropts_parse(argc, argv, &o) < 0)
		return CLI_USAGE;
	if (o.help) {
		printf("%s", login_usage);
		return CLI_OK;
	}
	if (!o.token_file || optind + 1 < argc)
		return usage_error("give --token-file F", login_usage);
	/* the registry the token is for: it goes nowhere else */
	if (optind < argc)
		reg = argv[optind];
	if (!reg || !*reg)
		return usage_error("give the registry HOST[:PORT] the token is for (or set "
		                   "$BAILEY_REGISTRY)",
		                   login_usage);
	if (registry_key(reg, &key) < 0 || bl_buf_puts(&key, "/u") < 0 ||
	    dbr_slug_parse((char *)key.p, DBR_SLUG_USER, &sl) < 0) {
		bl_buf_free(&key);
		return usage_error("bad registry HOST[:PORT]", login_usage);
	}
	bl_buf_reset(&key);
	if (bl_buf_puts(&key, sl.host) < 0) {
		rc = fail("login");
		goto out_free;
	}
	if (read_token_file(o.token_file, &tok, NULL) < 0) {
		rc = fail("login");
		goto out_free;
	}
	for (size_t i = 0; i < tok.len; i++)
		if (tok.p[i] <= 0x20 || tok.p[i] >= 0x7f) {
			bl_err(BL_EINVAL,
			       "%s: the token has a character that is not printable ASCII",
			       o.token_file);
			rc = CLI_USAGE;
			cli_errorf("login");
			goto out_free;
		}
	if (store_token(&tok, &key, &where) < 0) {
		rc = fail("login");
		goto out_free;
	}
	printf("token stored in %s for %s\n", (char *)where.p, (char *)key.p);
out_free:
	bl_buf_free_secret(&tok);
	bl_buf_free(&key);
	bl_buf_free(&where);
	return rc;
}
