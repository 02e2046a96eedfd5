/* tree.c — Drawbridge names, semantic versions and the entry/directory JSON codec. */
#include "drawbridge/tree.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/codec.h"

static int is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int dbr_user_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > DBR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			return 0;
	return 1;
}

int dbr_repo_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > DBR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

int dbr_node_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > DBR_NAME_MAX)
		return 0;
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.' && s[i] != ':')
			return 0;
	return 1;
}

int dbr_tree_path_ok(const char *s, size_t n)
{
	size_t start = 0;
	if (n == 0)
		return 1;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!dbr_node_name_ok(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

/* A numeric identifier: digits, no leading zero unless it is "0". */
static int semver_num(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || (n > 1 && s[0] == '0'))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 1;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones without leading zeros if `pre`. */
static int semver_idents(const char *s, size_t n, int pre)
{
	size_t start = 0;
	if (n == 0)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			size_t len = i - start;
			uint64_t v;
			if (len == 0)
				return 0;
			if (pre && all_digits(s + start, len) && !semver_num(s + start, len, &v))
				return 0;
			start = i + 1;
		} else if (!is_alnum(s[i]) && s[i] != '-') {
			return 0;
		}
	}
	return 1;
}

int dbr_semver_parse(const char *s, size_t n, struct dbr_semver *out)
{
	uint64_t *parts[3] = { &out->major, &out->minor, &out->patch };
	size_t i = 0;
	memset(out, 0, sizeof(*out));
	for (int k = 0; k < 3; k++) {
		size_t start = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (!semver_num(s + start, i - start, parts[k]))
			goto bad;
		if (k < 2) {
			if (i >= n || s[i] != '.')
				goto bad;
			i++;
		}
	}
	if (i < n && s[i] == '-') {
		size_t start = ++i;
		while (i < n && s[i] != '+')
			i++;
		if (!semver_idents(s + start, i - start, 1))
			goto bad;
		out->pre = s + start;
		out->pre_len = i - start;
	}
	if (i < n && s[i] == '+') {
		size_t start = ++i;
		i = n;
		if (!semver_idents(s + start, n - start, 0))
			goto bad;
		out->build = s + start;
		out->build_len = n - start;
	}
	if (i != n)
		goto bad;
	return 0;
bad:
	return bl_err(BL_EINVAL, "tag \"%.*s\" is not a semantic version", (int)(n > 80 ? 80 : n),
	              s);
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	if (c)
		return c < 0 ? -1 : 1;
	return cmp_u64(an, bn);
}

/* semver §11.4: identifiers compared one by one. */
static int cmp_pre(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;
	for (;;) {
		size_t si = i, sj = j;
		if (i >= an && j >= bn)
			return 0;
		if (i >= an)
			return -1;
		if (j >= bn)
			return 1;
		while (i < an && a[i] != '.')
			i++;
		while (j < bn && b[j] != '.')
			j++;
		int na = all_digits(a + si, i - si), nb = all_digits(b + sj, j - sj);
		int c;
		if (na && nb) {
			/* No leading zeros, so the longer number is larger. */
			c = cmp_u64(i - si, j - sj);
			if (!c)
				c = cmp_bytes(a + si, i - si, b + sj, j - sj);
		} else if (na) {
			c = -1;
		} else if (nb) {
			c = 1;
		} else {
			c = cmp_bytes(a + si, i - si, b + sj, j - sj);
		}
		if (c)
			return c;
		i++;
		j++;
	}
}

int dbr_semver_cmp(const struct dbr_semver *a, const struct dbr_semver *b)
{
	int c = cmp_u64(a->major, b->major);
	if (!c)
		c = cmp_u64(a->minor, b->minor);
	if (!c)
		c = cmp_u64(a->patch, b->patch);
	if (!c && (a->pre != NULL) != (b->pre != NULL))
		c = a->pre ? -1 : 1; /* a pre-release precedes the release */
	if (!c && a->pre)
		c = cmp_pre(a->pre, a->pre_len, b->pre, b->pre_len);
	if (!c)
		c = cmp_bytes(a->build ? a->build : "", a->build_len, b->build ? b->build : "",
		              b->build_len);
	return c;
}

static int type_ok(const char *s, size_t n)
{
	if (n == 0 || n > DBR_TYPE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			if (s[i] != ' ')
				return 0;
	return 1;
}

static int entry_from_json(json_t *obj, struct dbr_entry *out)
{
	json_t *dig = json_object_get(obj, "digest");
	json_t *len = json_object_get(obj, "length");
	json_t *type = json_object_get(obj, "type");
	const char *alg;
	json_t *val;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return bl_err(BL_EINVAL, "entry: not a JSON object");
	if (!json_is_object(dig) || !json_is_integer(len) || !json_is_string(type))
		return bl_err(BL_EINVAL, "entry: needs \"digest\" object, \"length\" integer and "
		                         "\"type\" string");
	json_object_foreach(dig, alg, val)
	{
		int a = bl_dig_parse_name(alg, strlen(alg));
		size_t got;
		if (a < 0)
			return bl_err(BL_EINVAL, "entry: unsupported digest algorithm \"%.32s\"",
			              alg);
		if (!json_is_string(val))
			return bl_err(BL_EINVAL, "entry: digest %s is not a string", alg);
		/* names are case-insensitive: "sha-256" and "SHA-256" are one algorithm */
		if (bl_dset_has(&out->digest, (enum bl_dig_alg)a))
			return bl_err(BL_EINVAL, "entry: digest %s given twice", alg);
		if (bl_b64_decode(json_string_value(val), json_string_length(val),
		                  out->digest.val[a], BL_DIG_MAX, &got, 0) < 0 ||
		    got != bl_dig_size((enum bl_dig_alg)a))
			return bl_err(BL_EINVAL, "entry: digest %s is not base64 of %zu bytes", alg,
			              bl_dig_size((enum bl_dig_alg)a));
		out->digest.mask |= 1u << a;
	}
	if (!out->digest.mask)
		return bl_err(BL_EINVAL, "entry: empty digest");
	if (json_integer_value(len) < 0 || (uint64_t)json_integer_value(len) > DBR_LENGTH_MAX)
		return bl_err(BL_EINVAL, "entry: length out of range");
	out->length = (uint64_t)json_integer_value(len);
	if (!type_ok(json_string_value(type), json_string_length(type)))
		return bl_err(BL_EINVAL, "entry: bad media type");
	memcpy(out->type, json_string_value(type), json_string_length(type));
	out->type[json_string_length(type)] = 0;
	return 0;
}

/* Load the rest of the cursor as one JSON value (no duplicate keys). */
static json_t *load_json(struct bl_cur *in, const char *what)
{
	const uint8_t *p;
	json_error_t jerr;
	size_t n = bl_cur_left(in);
	json_t *j;
	if (bl_cur_bytes(in, n, &p) < 0)
		return NULL;
	j = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		bl_err(BL_EINVAL, "%s: bad JSON at byte %d: %s", what, jerr.position, jerr.text);
	return j;
}

int dbr_entry_parse(struct bl_cur *in, struct dbr_entry *out)
{
	json_t *j = load_json(in, "entry");
	int rc;
	if (!j)
		return BL_EINVAL;
	rc = entry_from_json(j, out);
	json_decref(j);
	return rc;
}

static json_t *entry_to_json(const struct dbr_entry *e)
{
	json_t *obj = json_object(), *dig = json_object();
	struct bl_buf b = BL_BUF_INIT;
	if (!obj || !dig)
		goto out_fail;
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!bl_dset_has(&e->digest, (enum bl_dig_alg)a))
			continue;
		bl_buf_reset(&b);
		if (bl_b64_encode(&b, e->digest.val[a], bl_dig_size((enum bl_dig_alg)a), 0) < 0 ||
		    json_object_set_new(dig, bl_dig_name((enum bl_dig_alg)a),
		                        json_stringn((const char *)b.p, b.len)) < 0)
			goto out_fail;
	}
	if (json_object_set_new(obj, "digest", dig) < 0) {
		dig = NULL;
		goto out_fail;
	}
	dig = NULL;
	if (json_object_set_new(obj, "length", json_integer((json_int_t)e->length)) < 0 ||
	    json_object_set_new(obj, "type", json_string(e->type)) < 0)
		goto out_fail;
	bl_buf_free(&b);
	return obj;
out_fail:
	bl_buf_free(&b);
	json_decref(dig);
	json_decref(obj);
	bl_err(BL_ENOMEM, "entry: out of memory");
	return NULL;
}

static int dump_json(json_t *j, struct bl_buf *out)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;
	if (!s)
		return bl_err(BL_ENOMEM, "JSON: out of memory");
	rc = bl_buf_puts(out, s);
	free(s);
	return rc;
}

int dbr_entry_format(const struct dbr_entry *e, struct bl_buf *out)
{
	json_t *j = entry_to_json(e);
	int rc;
	if (!j)
		return BL_ENOMEM;
	rc = dump_json(j, out);
	json_decref(j);
	return rc;
}

int dbr_entry_of_bytes(const void *p, size_t n, const char *type, unsigned mask,
                       struct dbr_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (!type_ok(type, strlen(type)))
		return bl_err(BL_EINVAL, "entry: bad media type");
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!((mask >> a) & 1))
			continue;
		BL_TRY(bl_digest((enum bl_dig_alg)a, p, n, out->digest.val[a]));
		out->digest.mask |= 1u << a;
	}
	if (!out->digest.mask)
		return bl_err(BL_EINVAL, "entry: empty digest mask");
	out->length = n;
	strcpy(out->type, type);
	return 0;
}

int dbr_entry_match(const struct dbr_entry *expected, const struct dbr_entry *actual)
{
	if (expected->length != actual->length)
		return bl_err(BL_EVERIFY, "length %llu, parent says %llu",
		              (unsigned long long)actual->length,
		              (unsigned long long)expected->length);
	if (strcmp(expected->type, actual->type) != 0)
		return bl_err(BL_EVERIFY, "type \"%s\", parent says \"%s\"", actual->type,
		              expected->type);
	if (bl_dset_verify(&expected->digest, &actual->digest) < 0)
		return bl_err_wrap(BL_EVERIFY, "digest differs from the parent's entry: ");
	return 0;
}

static int dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dbr_dirent *)a)->name, ((const struct dbr_dirent *)b)->name);
}

int dbr_dir_parse(struct bl_cur *in, size_t max_entries, struct dbr_dir *out)
{
	json_t *j = load_json(in, "directory"), *val;
	const char *name;
	int rc = 0;

	out->n = 0;
	out->ents = NULL;
	if (!j)
		return BL_EINVAL;
	if (!json_is_object(j)) {
		rc = bl_err(BL_EINVAL, "directory: not a JSON object");
		goto out_free_json;
	}
	if (json_object_size(j) > max_entries) {
		rc = bl_err(BL_ERANGE, "directory: more than %zu entries", max_entries);
		goto out_free_json;
	}
	out->ents = calloc(json_object_size(j) ? json_object_size(j) : 1, sizeof(*out->ents));
	if (!out->ents) {
		rc = bl_err(BL_ENOMEM, "directory: out of memory");
		goto out_free_json;
	}
	json_object_foreach(j, name, val)
	{
		size_t nlen = strlen(name);
		struct dbr_dirent *d = &out->ents[out->n];
		if (!dbr_node_name_ok(name, nlen)) {
			rc = bl_err(BL_EINVAL, "directory: bad entry name \"%.64s\"", name);
			goto out_free_dir;
		}
		memcpy(d->name, name, nlen + 1);
		rc = entry_from_json(val, &d->entry);
		if (rc < 0) {
			bl_err_wrap(rc, "directory entry \"%s\": ", name);
			goto out_free_dir;
		}
		out->n++;
	}
	qsort(out->ents, out->n, sizeof(*out->ents), dirent_cmp);
	goto out_free_json;
out_free_dir:
	dbr_dir_free(out);
out_free_json:
	json_decref(j);
	return rc;
}

const struct dbr_entry *dbr_dir_find(const struct dbr_dir *d, const char *s, size_t n)
{
	size_t lo = 0, hi = d->n;
	char key[DBR_NAME_MAX + 1];
	if (n > DBR_NAME_MAX)
		return NULL;
	memcpy(key, s, n);
	key[n] = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, d->ents[mid].name);
		if (c == 0)
			return &d->ents[mid].entry;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

int dbr_dir_format(const struct dbr_dir *d, struct bl_buf *out)
{
	json_t *j = json_object();
	int rc = 0;
	if (!j)
		return bl_err(BL_ENOMEM, "directory: out of memory");
	for (size_t i = 0; i < d->n; i++) {
		json_t *e = entry_to_json(&d->ents[i].entry);
		if (!e || json_object_set_new(j, d->ents[i].name, e) < 0) {
			rc = bl_err(BL_ENOMEM, "directory: out of memory");
			goto out_free_json;
		}
	}
	rc = dump_json(j, out);
out_free_json:
	json_decref(j);
	return rc;
}

int dbr_dir_add(struct dbr_dir *d, const char *name, const struct dbr_entry *e)
{
	size_t nlen = strlen(name), pos = 0;
	struct dbr_dirent *ents;
	if (!dbr_node_name_ok(name, nlen))
		return bl_err(BL_EINVAL, "directory: bad entry name \"%.64s\"", name);
	if (dbr_dir_find(d, name, nlen))
		return bl_err(BL_EEXIST, "directory: \"%s\" listed twice", name);
	ents = realloc(d->ents, (d->n + 1) * sizeof(*ents));
	if (!ents)
		return bl_err(BL_ENOMEM, "directory: out of memory");
	d->ents = ents;
	while (pos < d->n && strcmp(ents[pos].name, name) < 0)
		pos++;
	memmove(&ents[pos + 1], &ents[pos], (d->n - pos) * sizeof(*ents));
	memcpy(ents[pos].name, name, nlen + 1);
	ents[pos].entry = *e;
	d->n++;
	return 0;
}

void dbr_dir_free(struct dbr_dir *d)
{
	free(d->ents);
	d->ents = NULL;
	d->n = 0;
}

int dbr_digest_header(const struct bl_digest_set *d, struct bl_buf *out)
{
	int first = 1;
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!bl_dset_has(d, (enum bl_dig_alg)a))
			continue;
		BL_TRY(bl_buf_printf(out, "%s%s=:", first ? "" : ",",
		                     bl_dig_name((enum bl_dig_alg)a)));
		BL_TRY(bl_b64_encode(out, d->val[a], bl_dig_size((enum bl_dig_alg)a), 0));
		BL_TRY(bl_buf_putc(out, ':'));
		first = 0;
	}
	return 0;
}
