/* config.c — the Steward configuration file; see config.h for the contract. */
#include "steward/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/toml.h"

int stw_config_init(struct stw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->lifetime = STW_DEFAULT_LIFETIME;
	c->max_connections = STW_DEFAULT_MAX_CONNECTIONS;
	c->threads = 0;
	c->max_body = STW_DEFAULT_MAX_BODY;
	c->policy = att_policy_new();
	return c->policy ? 0 : BL_ENOMEM;
}

void stw_config_free(struct stw_config *c)
{
	free(c->ca_key);
	free(c->ca_cert);
	for (size_t i = 0; i < c->n_crl_paths; i++)
		free(c->crl_paths[i]);
	free(c->crl_paths);
	free(c->listen);
	att_policy_free(c->policy);
	memset(c, 0, sizeof(*c));
}

int stw_parse_duration(const char *s, size_t len, long *out)
{
	long mult = 1, v = 0;

	if (len == 0)
		return bl_err(BL_EINVAL, "empty duration");
	switch (s[len - 1]) {
	case 'd':
		mult = 86400;
		len--;
		break;
	case 'h':
		mult = 3600;
		len--;
		break;
	case 'm':
		mult = 60;
		len--;
		break;
	case 's': len--; break;
	default: break;
	}
	if (len == 0 || len > 9)
		return bl_err(BL_EINVAL, "duration: expected digits and one of d, h, m, s");
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return bl_err(BL_EINVAL, "duration: expected digits and one of d, h, m, s");
		v = v * 10 + (s[i] - '0');
	}
	if (v == 0 || v > 3650L * 86400 / mult)
		return bl_err(BL_ERANGE, "duration: must be between 1 second and 10 years");
	*out = v * mult;
	return 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int stw_parse_rfc3339(const char *s, time_t *out)
{
	const char *p = s;
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' ') || !*p++ ||
	    digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		goto bad;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			goto bad;
	} else {
		goto bad;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	return bl_err(BL_EINVAL, "\"%.40s\" is not an RFC 3339 date-time", s);
}

static int str_value(const struct bl_toml *v, const char *sect, const char *key, char **out)
{
	size_t len;
	const char *s;

	if (bl_toml_type(v) != BL_TOML_STRING)
		return bl_err(BL_EINVAL, "line %u: [%s] %s: expected string", bl_toml_line(v), sect,
		              key);
	s = bl_toml_str(v, &len);
	if (len == 0 || memchr(s, 0, len))
		return bl_err(BL_EINVAL, "line %u: [%s] %s: empty or contains NUL", bl_toml_line(v),
		              sect, key);
	free(*out);
	*out = strndup(s, len);
	return *out ? 0 : bl_err(BL_ENOMEM, "config: out of memory");
}

static int path_value(const struct bl_toml *v, const char *key, const char *base, char **out)
{
	char *s = NULL;

	BL_TRY(str_value(v, "ca", key, &s));
	if (s[0] != '/' && base && base[0]) {
		size_t n = strlen(base) + strlen(s) + 2;
		char *joined = malloc(n);
		if (!joined) {
			free(s);
			return bl_err(BL_ENOMEM, "config: out of memory");
		}
		snprintf(joined, n, "%s/%s", base, s);
		free(s);
		s = joined;
	}
	free(*out);
	*out = s;
	return 0;
}

/* crls = ["file", …]: paths relative to the configuration, like key and cert. */
static int crl_paths(struct stw_config *c, const struct bl_toml *v, const char *base)
{
	size_t n;

	if (bl_toml_type(v) != BL_TOML_ARRAY)
		return bl_err(BL_EINVAL, "line %u: [ca] crls: expected an array of paths",
		              bl_toml_line(v));
	n = bl_toml_array_len(v);
	if (n > STW_MAX_CRL_FILES)
		return bl_err(BL_ERANGE, "line %u: [ca] crls: more than %d files", bl_toml_line(v),
		              STW_MAX_CRL_FILES);
	for (size_t i = 0; i < c->n_crl_paths; i++)
		free(c->crl_paths[i]);
	free(c->crl_paths);
	c->n_crl_paths = 0;
	c->crl_paths = calloc(n + 1, sizeof(char *));
	if (!c->crl_paths)
		return bl_err(BL_ENOMEM, "config: out of memory");
	for (size_t i = 0; i < n; i++) {
		BL_TRY(path_value(bl_toml_array_at(v, i), "crls", base, &c->crl_paths[i]));
		c->n_crl_paths = i + 1;
	}
	return 0;
}

static int uint_value(const struct bl_toml *v, const char *sect, const char *key, long long lo,
                      long long hi, long long *out)
{
	if (bl_toml_type(v) != BL_TOML_INTEGER)
		return bl_err(BL_EINVAL, "line %u: [%s] %s: expected integer", bl_toml_line(v),
		              sect, key);
	*out = bl_toml_int(v);
	if (*out < lo || *out > hi)
		return bl_err(BL_ERANGE, "line %u: [%s] %s: must be %lld..%lld", bl_toml_line(v),
		              sect, key, lo, hi);
	return 0;
}

static int parse_ca(struct stw_config *c, const struct bl_toml *t, const char *base)
{
	for (size_t i = 0; i < bl_toml_table_len(t); i++) {
		const char *k = bl_toml_table_key(t, i);
		const struct bl_toml *v = bl_toml_table_value(t, i);

		if (!strcmp(k, "key")) {
			BL_TRY(path_value(v, k, base, &c->ca_key));
		} else if (!strcmp(k, "cert")) {
			BL_TRY(path_value(v, k, base, &c->ca_cert));
		} else if (!strcmp(k, "crls")) {
			BL_TRY(crl_paths(c, v, base));
		} else if (!strcmp(k, "lifetime")) {
			if (bl_toml_type(v) == BL_TOML_INTEGER) {
				long long s;
				BL_TRY(uint_value(v, "ca", k, 1, 3650LL * 86400, &s));
				c->lifetime = (long)s;
			} else if (bl_toml_type(v) == BL_TOML_STRING) {
				size_t len;
				const char *s = bl_toml_str(v, &len);
				if (stw_parse_duration(s, len, &c->lifetime) < 0)
					return bl_err_wrap(
					    BL_EINVAL, "line %u: [ca] lifetime: ", bl_toml_line(v));
			} else {
				return bl_err(BL_EINVAL,
				              "line %u: [ca] lifetime: expected seconds "
				              "or a duration string",
				              bl_toml_line(v));
			}
		} else {
			return bl_err(BL_EINVAL, "line %u: [ca] unknown key '%s'", bl_toml_line(v),
			              k);
		}
	}
	return 0;
}

static int parse_server(struct stw_config *c, const struct bl_toml *t)
{
	long long n;

	for (size_t i = 0; i < bl_toml_table_len(t); i++) {
		const char *k = bl_toml_table_key(t, i);
		const struct bl_toml *v = bl_toml_table_value(t, i);

		if (!strcmp(k, "listen")) {
			BL_TRY(str_value(v, "server", k, &c->listen));
		} else if (!strcmp(k, "max_connections")) {
			BL_TRY(uint_value(v, "server", k, 1, 65536, &n));
			c->max_connections = (unsigned)n;
		} else if (!strcmp(k, "threads")) {
			BL_TRY(uint_value(v, "server", k, 1, 256, &n));
			c->threads = (unsigned)n;
		} else if (!strcmp(k, "max_body")) {
			BL_TRY(uint_value(v, "server", k, 1024, 64LL << 20, &n));
			c->max_body = (size_t)n;
		} else {
			return bl_err(BL_EINVAL, "line %u: [server] unknown key '%s'",
			              bl_toml_line(v), k);
		}
	}
	return 0;
}

int stw_config_parse(struct stw_config *c, const char *text, size_t len, const char *base_dir)
{
	struct bl_toml *root = bl_toml_parse(text, len);
	int rc = 0;

	if (!root)
		return BL_EINVAL;
	for (size_t i = 0; i < bl_toml_table_len(root) && rc == 0; i++) {
		const char *k = bl_toml_table_key(root, i);
		const struct bl_toml *v = bl_toml_table_value(root, i);
		int kind = att_kind_parse(k);

		if (bl_toml_type(v) != BL_TOML_TABLE)
			rc = bl_err(BL_EINVAL, "line %u: '%s' must be a table", bl_toml_line(v), k);
		else if (!strcmp(k, "ca"))
			rc = parse_ca(c, v, base_dir);
		else if (!strcmp(k, "server"))
			rc = parse_server(c, v);
		else if (kind >= ATT_KIND_KVM && kind <= ATT_KIND_TDX)
			rc = att_policy_set(c->policy, (enum att_kind)kind, v);
		else
			rc = bl_err(BL_EINVAL, "line %u: unknown table [%s]", bl_toml_line(v), k);
	}
	bl_toml_free(root);
	return rc;
}

int stw_config_load(struct stw_config *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL, *slash, *base = NULL;
	size_t len;
	int rc;

	if (!f)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	text = malloc((1u << 20) + 1);
	if (!text) {
		fclose(f);
		return bl_err(BL_ENOMEM, "%s: out of memory", path);
	}
	len = fread(text, 1, (1u << 20) + 1, f);
	fclose(f);
	if (len > (1u << 20)) {
		rc = bl_err(BL_ERANGE, "%s: larger than 1 MiB", path);
		goto out_free;
	}
	base = strdup(path);
	if (!base) {
		rc = bl_err(BL_ENOMEM, "%s: out of memory", path);
		goto out_free;
	}
	slash = strrchr(base, '/');
	if (slash)
		*slash = 0;
	else
		strcpy(base, ".");
	rc = stw_config_parse(c, text, len, base);
	if (rc < 0)
		bl_err_wrap(rc, "%s: ", path);
out_free:
	free(base);
	free(text);
	return rc;
}
