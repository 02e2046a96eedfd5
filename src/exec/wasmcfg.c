/* wasmcfg.c — Enarx.toml; see wasmcfg.h for the format and guarantees. */
#include "exec/wasmcfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/toml.h"

static const char *const kind_names[] = { "null",   "stdin",   "stdout", "stderr",
	                                  "listen", "connect", "dir" };

const char *exec_file_kind_name(enum exec_file_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : "?";
}

/* Everything a reader needs to name the place of an error. */
struct ctx {
	const char *source;
	char where[64]; /* "files[2]" or "" at top level */
};

static int fail(const struct ctx *c, const struct bl_toml *v, const char *key, const char *fmt,
                const char *detail)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, detail ? detail : "");
	return bl_err(BL_EINVAL, "%s:%u: %s%s%s: %s", c->source, v ? bl_toml_line(v) : 0, c->where,
	              c->where[0] ? "." : "", key, msg);
}

static char *dup_str(const struct bl_toml *v, size_t *len)
{
	size_t n;
	const char *s = bl_toml_str(v, &n);
	char *p;

	if (memchr(s, '\0', n))
		return NULL;
	p = malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	if (len)
		*len = n;
	return p;
}

/* Read a string value; BL_EINVAL for another type or an embedded NUL. */
static int get_string(const struct ctx *c, const struct bl_toml *v, const char *key, char **out)
{
	if (bl_toml_type(v) != BL_TOML_STRING)
		return fail(c, v, key, "expected a string, got %s",
		            bl_toml_type_name(bl_toml_type(v)));
	*out = dup_str(v, NULL);
	if (!*out)
		return fail(c, v, key, "contains a NUL byte or memory ran out%s", NULL);
	return 0;
}

static int get_port(const struct ctx *c, const struct bl_toml *v, const char *key, int min,
                    uint16_t *out)
{
	int64_t n;

	if (bl_toml_type(v) != BL_TOML_INTEGER)
		return fail(c, v, key, "expected an integer port, got %s",
		            bl_toml_type_name(bl_toml_type(v)));
	n = bl_toml_int(v);
	if (n < min || n > 65535)
		return fail(c, v, key, min ? "port must be 1-65535%s" : "port must be 0-65535%s",
		            NULL);
	*out = (uint16_t)n;
	return 0;
}

static int check_name(const struct ctx *c, const struct bl_toml *v, const char *name)
{
	if (!name[0])
		return fail(c, v, "name", "must not be empty%s", NULL);
	if (strchr(name, ':'))
		return fail(c, v, "name", "'%s' contains ':' (FD_NAMES joins names with ':')",
		            name);
	return 0;
}

/* Keys each kind accepts besides `kind`. */
static const char *const keys_std[] = { "name", NULL };
static const char *const keys_listen[] = { "name", "addr", "port", "prot", NULL };
static const char *const keys_connect[] = { "name", "host", "port", "prot", NULL };
static const char *const keys_dir[] = { "name", "path", "guest", "readonly", NULL };

static int key_allowed(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return 1;
	return 0;
}

static int parse_file(struct ctx *c, const struct bl_toml *t, struct exec_file *f)
{
	const struct bl_toml *kind = bl_toml_get(t, "kind");
	const char *const *keys;
	size_t klen;
	const char *ks;
	int k;

	f->line = bl_toml_line(t);
	f->prot = EXEC_PROT_TLS;
	f->port = 443;
	if (bl_toml_type(t) != BL_TOML_TABLE)
		return fail(c, t, "", "expected a table ([[files]])%s", NULL);
	if (!kind)
		return fail(c, t, "kind",
		            "missing (one of null, stdin, stdout, stderr, listen, "
		            "connect, dir)%s",
		            NULL);
	if (bl_toml_type(kind) != BL_TOML_STRING)
		return fail(c, kind, "kind", "expected a string%s", NULL);
	ks = bl_toml_str(kind, &klen);
	for (k = 0; k < (int)(sizeof(kind_names) / sizeof(kind_names[0])); k++)
		if (strlen(kind_names[k]) == klen && !memcmp(ks, kind_names[k], klen))
			break;
	if (k == (int)(sizeof(kind_names) / sizeof(kind_names[0])))
		return fail(c, kind, "kind",
		            "unknown kind '%s' (null, stdin, stdout, stderr, listen, connect, dir)",
		            strnlen(ks, klen) == klen ? ks : "?");
	f->kind = (enum exec_file_kind)k;
	keys = f->kind == EXEC_FILE_LISTEN    ? keys_listen
	       : f->kind == EXEC_FILE_CONNECT ? keys_connect
	       : f->kind == EXEC_FILE_DIR     ? keys_dir
	                                      : keys_std;

	for (size_t i = 0; i < bl_toml_table_len(t); i++) {
		const char *key = bl_toml_table_key(t, i);
		const struct bl_toml *v = bl_toml_table_value(t, i);

		if (!strcmp(key, "kind"))
			continue;
		if (!key_allowed(keys, key))
			return fail(c, v, key, "unknown key for kind '%s'", kind_names[k]);
		if (!strcmp(key, "name")) {
			BL_TRY(get_string(c, v, key, &f->name));
			BL_TRY(check_name(c, v, f->name));
		} else if (!strcmp(key, "addr")) {
			BL_TRY(get_string(c, v, key, &f->addr));
		} else if (!strcmp(key, "host")) {
			BL_TRY(get_string(c, v, key, &f->host));
		} else if (!strcmp(key, "port")) {
			BL_TRY(get_port(c, v, key, f->kind == EXEC_FILE_LISTEN ? 0 : 1, &f->port));
		} else if (!strcmp(key, "prot")) {
			char *p;

			BL_TRY(get_string(c, v, key, &p));
			if (!strcmp(p, "tls")) {
				f->prot = EXEC_PROT_TLS;
			} else if (!strcmp(p, "tcp")) {
				f->prot = EXEC_PROT_TCP;
			} else {
				int rc = fail(c, v, key, "'%s' is not tls or tcp", p);
				free(p);
				return rc;
			}
			free(p);
		} else if (!strcmp(key, "path")) {
			BL_TRY(get_string(c, v, key, &f->path));
		} else if (!strcmp(key, "guest")) {
			BL_TRY(get_string(c, v, key, &f->guest));
		} else if (!strcmp(key, "readonly")) {
			if (bl_toml_type(v) != BL_TOML_BOOL)
				return fail(c, v, key, "expected true or false%s", NULL);
			f->readonly = bl_toml_bool(v);
		}
	}

	/* Required keys and defaults. */
	switch (f->kind) {
	case EXEC_FILE_LISTEN:
		if (!f->name)
			return fail(c, t, "name", "required for kind 'listen'%s", NULL);
		if (!f->addr && !(f->addr = strdup("::")))
			return bl_err(BL_ENOMEM, "out of memory");
		break;
	case EXEC_FILE_CONNECT:
		if (!f->host || !f->host[0])
			return fail(c, t, "host", "required for kind 'connect'%s", NULL);
		if (!f->name) {
			if (strchr(f->host, ':'))
				return fail(c, t, "name",
				            "required when host '%s' contains ':' (IPv6)", f->host);
			if (!(f->name = strdup(f->host)))
				return bl_err(BL_ENOMEM, "out of memory");
		}
		break;
	case EXEC_FILE_DIR:
		if (!f->path || !f->path[0])
			return fail(c, t, "path", "required for kind 'dir'%s", NULL);
		if (!f->guest && !(f->guest = strdup(f->path)))
			return bl_err(BL_ENOMEM, "out of memory");
		if (!f->name) {
			if (!(f->name = strdup(f->guest)))
				return bl_err(BL_ENOMEM, "out of memory");
			if (strchr(f->name, ':'))
				return fail(c, t, "name",
				            "required when the guest path contains "
				            "':'%s",
				            NULL);
		}
		break;
	default:
		if (!f->name && !(f->name = strdup(kind_names[k])))
			return bl_err(BL_ENOMEM, "out of memory");
		break;
	}
	return 0;
}

static int parse_strings(struct ctx *c, const struct bl_toml *v, const char *key, char ***out,
                         size_t *n)
{
	size_t len;

	if (bl_toml_type(v) != BL_TOML_ARRAY)
		return fail(c, v, key, "expected an array of strings, got %s",
		            bl_toml_type_name(bl_toml_type(v)));
	len = bl_toml_array_len(v);
	*out = calloc(len + 1, sizeof(char *));
	if (!*out)
		return bl_err(BL_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		char k[32];

		snprintf(k, sizeof(k), "%s[%zu]", key, i);
		BL_TRY(get_string(c, bl_toml_array_at(v, i), k, &(*out)[i]));
		*n = i + 1;
	}
	return 0;
}

static int parse_env(struct ctx *c, const struct bl_toml *v, struct exec_config *cfg)
{
	size_t len;

	if (bl_toml_type(v) != BL_TOML_TABLE)
		return fail(c, v, "env", "expected a table of strings, got %s",
		            bl_toml_type_name(bl_toml_type(v)));
	len = bl_toml_table_len(v);
	cfg->env = calloc(len + 1, sizeof(char *));
	if (!cfg->env)
		return bl_err(BL_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *key = bl_toml_table_key(v, i);
		const struct bl_toml *val = bl_toml_table_value(v, i);
		char k[80], *s;
		size_t klen = strlen(key);

		snprintf(k, sizeof(k), "env.%s", key);
		if (!klen || strchr(key, '='))
			return fail(c, val, k,
			            "a variable name must be non-empty and without "
			            "'='%s",
			            NULL);
		BL_TRY(get_string(c, val, k, &s));
		cfg->env[i] = malloc(klen + strlen(s) + 2);
		if (!cfg->env[i]) {
			free(s);
			return bl_err(BL_ENOMEM, "out of memory");
		}
		sprintf(cfg->env[i], "%s=%s", key, s);
		free(s);
		cfg->nenv = i + 1;
	}
	return 0;
}

/* stdin, stdout, stderr: what a workload gets without [[files]]. */
static int exec_config_default_files(struct exec_config *cfg)
{
	static const enum exec_file_kind std[] = { EXEC_FILE_STDIN, EXEC_FILE_STDOUT,
		                                   EXEC_FILE_STDERR };

	cfg->files = calloc(3, sizeof(*cfg->files));
	if (!cfg->files)
		return bl_err(BL_ENOMEM, "out of memory");
	for (size_t i = 0; i < 3; i++) {
		cfg->nfiles = i + 1;
		cfg->files[i].kind = std[i];
		cfg->files[i].name = strdup(kind_names[std[i]]);
		if (!cfg->files[i].name)
			return bl_err(BL_ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_root(struct ctx *c, const struct bl_toml *root, struct exec_config *cfg)
{
	int have_files = 0;

	for (size_t i = 0; i < bl_toml_table_len(root); i++) {
		const char *key = bl_toml_table_key(root, i);
		const struct bl_toml *v = bl_toml_table_value(root, i);

		if (!strcmp(key, "steward")) {
			BL_TRY(get_string(c, v, key, &cfg->steward));
			if (strncmp(cfg->steward, "https://", 8) &&
			    strncmp(cfg->steward, "http://", 7))
				return fail(c, v, key, "'%s' is not an http(s) URL", cfg->steward);
		} else if (!strcmp(key, "args")) {
			BL_TRY(parse_strings(c, v, key, &cfg->args, &cfg->nargs));
		} else if (!strcmp(key, "env")) {
			BL_TRY(parse_env(c, v, cfg));
		} else if (!strcmp(key, "files")) {
			size_t n;

			if (bl_toml_type(v) != BL_TOML_ARRAY)
				return fail(c, v, key,
				            "expected an array of tables "
				            "([[files]])%s",
				            NULL);
			n = bl_toml_array_len(v);
			cfg->files = calloc(n ? n : 1, sizeof(*cfg->files));
			if (!cfg->files)
				return bl_err(BL_ENOMEM, "out of memory");
			for (size_t j = 0; j < n; j++) {
				cfg->nfiles = j + 1;
				snprintf(c->where, sizeof(c->where), "files[%zu]", j);
				BL_TRY(parse_file(c, bl_toml_array_at(v, j), &cfg->files[j]));
			}
			c->where[0] = '\0';
			have_files = 1;
		} else {
			return fail(c, v, key,
			            "unknown key (Enarx.toml has steward, args, env, files)%s",
			            NULL);
		}
	}
	if (!have_files)
		return exec_config_default_files(cfg);
	return 0;
}

void exec_config_free(struct exec_config *cfg)
{
	free(cfg->steward);
	for (size_t i = 0; i < cfg->nargs; i++)
		free(cfg->args[i]);
	free(cfg->args);
	for (size_t i = 0; i < cfg->nenv; i++)
		free(cfg->env[i]);
	free(cfg->env);
	for (size_t i = 0; i < cfg->nfiles; i++) {
		struct exec_file *f = &cfg->files[i];

		free(f->name);
		free(f->addr);
		free(f->host);
		free(f->path);
		free(f->guest);
	}
	free(cfg->files);
	memset(cfg, 0, sizeof(*cfg));
}

int exec_config_parse(const char *text, size_t len, const char *source, struct exec_config *out)
{
	struct ctx c = { source ? source : "Enarx.toml", "" };
	struct bl_toml *root;
	int rc;

	memset(out, 0, sizeof(*out));
	root = bl_toml_parse(text, len);
	if (!root)
		return bl_err_wrap(BL_EINVAL, "%s: ", c.source);
	rc = parse_root(&c, root, out);
	bl_toml_free(root);
	if (rc < 0)
		exec_config_free(out);
	return rc;
}

int exec_config_default(struct exec_config *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = exec_config_default_files(out);
	if (rc < 0)
		exec_config_free(out);
	return rc;
}

int exec_config_fd_names(const struct exec_config *cfg, struct bl_buf *out)
{
	for (size_t i = 0; i < cfg->nfiles; i++) {
		if (i)
			BL_TRY(bl_buf_putc(out, ':'));
		BL_TRY(bl_buf_puts(out, cfg->files[i].name));
	}
	return 0;
}

const char *exec_config_template(void)
{
	return "# Enarx.toml: how Bailey runs this workload (compatible with Enarx).\n"
	       "# Every setting is optional; delete what you do not need.\n"
	       "\n"
	       "# The attestation server that issues this workload's certificate.\n"
	       "# steward = \"https://steward.example.com\"\n"
	       "\n"
	       "# Arguments after argv[0] (which is always \"main.wasm\").\n"
	       "# args = [\"--verbose\", \"--port=8443\"]\n"
	       "\n"
	       "# Environment variables.\n"
	       "# [env]\n"
	       "# RUST_LOG = \"info\"\n"
	       "\n"
	       "# Preopened descriptors, in order: the first is fd 0, the next fd 1, ...\n"
	       "# The workload finds them by name in FD_NAMES (names joined by ':') and\n"
	       "# their count in FD_COUNT. Without [[files]]: stdin, stdout, stderr.\n"
	       "[[files]]\n"
	       "kind = \"stdin\"\n"
	       "\n"
	       "[[files]]\n"
	       "kind = \"stdout\"\n"
	       "\n"
	       "[[files]]\n"
	       "kind = \"stderr\"\n"
	       "\n"
	       "# A listening socket; prot \"tls\" serves with the Keep's certificate.\n"
	       "# [[files]]\n"
	       "# kind = \"listen\"\n"
	       "# name = \"LISTEN\"\n"
	       "# prot = \"tls\"      # or \"tcp\"\n"
	       "# addr = \"::\"       # default\n"
	       "# port = 8443       # default 443\n"
	       "\n"
	       "# An outgoing connection, opened before the workload starts.\n"
	       "# [[files]]\n"
	       "# kind = \"connect\"\n"
	       "# host = \"db.example.com\"\n"
	       "# port = 5432\n"
	       "# prot = \"tls\"\n"
	       "# name = \"DB\"        # default: the host\n"
	       "\n"
	       "# A host directory, preopened for WASI file access (Bailey extension).\n"
	       "# [[files]]\n"
	       "# kind = \"dir\"\n"
	       "# path = \"/srv/data\"  # on the host\n"
	       "# guest = \"/data\"     # as the workload sees it (default: path)\n"
	       "# readonly = true\n";
}
