/*
 * toml.c — TOML 1.0.0 (https://toml.io/en/v1.0.0); see toml.h for the contract.
 *
 * One pass over the text through the checked cursor. Section numbers below
 * refer to the TOML 1.0.0 specification. The whole text is first checked to
 * be UTF-8 ("A TOML file must be a valid UTF-8 encoded Unicode document",
 * Spec); afterwards the grammar only has to refuse control characters.
 *
 * Redefinition rules (Spec "Table", "Array of Tables", "Keys") are kept with
 * flags on each table: how it came to exist (header, implicitly by a header
 * path, by a dotted key, as an inline table) decides what may extend it.
 */
#include "common/toml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/codec.h"
#include "common/cursor.h"

/* Arrays, inline tables and key parts nested deeper than this are refused. */
#define TOML_MAX_DEPTH 128
/* Longest bare value (number, datetime, bool) in bytes. */
#define TOML_MAX_TOKEN 128

enum {
	TF_EXPLICIT = 1, /* defined by a [header] or as an element of [[header]] */
	TF_IMPLICIT = 2, /* created as a prefix of a header path; may be defined once */
	TF_DOTTED = 4, /* created by a dotted key; extended only by dotted keys */
	TF_FROZEN = 8, /* an inline table: closed when its brace closes */
	TF_STATIC = 16, /* an array written as a value; [[x]] cannot append */
};

struct toml_kv {
	char *key; /* NUL-terminated copy; klen bytes (may hold NUL) */
	size_t klen;
	unsigned line, col; /* where the key was written */
	struct bl_toml *val;
};

struct bl_toml {
	enum bl_toml_type type;
	unsigned line, col;
	unsigned flags;
	union {
		struct {
			struct toml_kv *kv;
			size_t len, cap;
			size_t *idx; /* hash index of kv (entry i+1; 0 empty), NULL when small */
			size_t icap; /* slots in idx, a power of two */
		} tab;
		struct {
			struct bl_toml **v;
			size_t len, cap;
		} arr;
		struct {
			char *p; /* NUL-terminated; len bytes */
			size_t len;
		} str;
		int64_t i;
		double f;
		int b;
	} u;
};

struct pos {
	unsigned line, col;
};

struct keypart {
	char *s;
	size_t len;
	struct pos at;
};

/* A dotted key: parts in `small` until there are more, then on the heap. */
struct keypath {
	struct keypart *part;
	size_t n, cap;
	struct keypart small[4];
};

static void keypath_init(struct keypath *kp)
{
	kp->part = kp->small;
	kp->n = 0;
	kp->cap = sizeof(kp->small) / sizeof(kp->small[0]);
}

struct parser {
	struct bl_cur cur;
	unsigned line; /* 1-based line of the next byte */
	unsigned col; /* 1-based column (in characters) of the next byte */
	struct bl_toml *root;
	struct bl_toml *table; /* the table key/value lines go into */
	unsigned table_depth; /* nesting of that table below the root */
	struct bl_buf sbuf; /* scratch for strings */
};

/* ---- values ---- */

/*
 * A key as it may appear in a message: printable ASCII and UTF-8 kept, other
 * bytes (control characters from escapes, NUL) as \xHH, at most about 60
 * bytes, so a reason cannot carry terminal escapes.
 */
struct keyshow {
	char s[80];
};

static const char *key_show(const char *k, size_t len, struct keyshow *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)k[i];
		if (o > 60 && (c & 0xc0) != 0x80) { /* stop between characters */
			memcpy(out->s + o, "...", 3);
			o += 3;
			break;
		}
		if ((c >= 0x20 && c < 0x7f) || c >= 0x80)
			out->s[o++] = (char)c;
		else
			o += (size_t)snprintf(out->s + o, sizeof(out->s) - o, "\\x%02x", c);
	}
	out->s[o] = '\0';
	return out->s;
}

static struct bl_toml *node_new(enum bl_toml_type t, struct pos at)
{
	struct bl_toml *v = calloc(1, sizeof(*v));

	if (!v) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	v->type = t;
	v->line = at.line;
	v->col = at.col;
	return v;
}

static void node_free(struct bl_toml *v)
{
	if (!v)
		return;
	switch (v->type) {
	case BL_TOML_TABLE:
		for (size_t i = 0; i < v->u.tab.len; i++) {
			free(v->u.tab.kv[i].key);
			node_free(v->u.tab.kv[i].val);
		}
		free(v->u.tab.kv);
		free(v->u.tab.idx);
		break;
	case BL_TOML_ARRAY:
		for (size_t i = 0; i < v->u.arr.len; i++)
			node_free(v->u.arr.v[i]);
		free(v->u.arr.v);
		break;
	case BL_TOML_STRING:
	case BL_TOML_DATETIME:
	case BL_TOML_DATETIME_LOCAL:
	case BL_TOML_DATE_LOCAL:
	case BL_TOML_TIME_LOCAL: free(v->u.str.p); break;
	default: break;
	}
	free(v);
}

void bl_toml_free(struct bl_toml *root)
{
	node_free(root);
}

/*
 * Tables of TOML_INDEX_MIN keys or more get a hash index, so that a document
 * with many keys in one table is not quadratic to parse. FNV-1a, linear
 * probing, load at most one half.
 */
#define TOML_INDEX_MIN 16

static size_t key_hash(const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)k[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29));
}

static void index_put(struct bl_toml *t, size_t i)
{
	size_t mask = t->u.tab.icap - 1;
	size_t h = key_hash(t->u.tab.kv[i].key, t->u.tab.kv[i].klen) & mask;

	while (t->u.tab.idx[h])
		h = (h + 1) & mask;
	t->u.tab.idx[h] = i + 1;
}

/* Make the index hold `want` keys at load one half or less. */
BL_MUST_CHECK static int index_grow(struct bl_toml *t, size_t want)
{
	size_t cap = 64, *idx;

	while (cap < want * 2)
		cap *= 2;
	if (cap <= t->u.tab.icap)
		return 0;
	idx = calloc(cap, sizeof(*idx));
	if (!idx)
		return bl_err(BL_ENOMEM, "out of memory");
	free(t->u.tab.idx);
	t->u.tab.idx = idx;
	t->u.tab.icap = cap;
	for (size_t i = 0; i < t->u.tab.len; i++)
		index_put(t, i);
	return 0;
}

static struct toml_kv *table_find(const struct bl_toml *t, const char *key, size_t klen)
{
	if (t->u.tab.idx) {
		size_t mask = t->u.tab.icap - 1, h = key_hash(key, klen) & mask;
		for (; t->u.tab.idx[h]; h = (h + 1) & mask) {
			struct toml_kv *kv = &t->u.tab.kv[t->u.tab.idx[h] - 1];
			if (kv->klen == klen && memcmp(kv->key, key, klen) == 0)
				return kv;
		}
		return NULL;
	}
	for (size_t i = 0; i < t->u.tab.len; i++) {
		struct toml_kv *kv = &t->u.tab.kv[i];
		if (kv->klen == klen && memcmp(kv->key, key, klen) == 0)
			return kv;
	}
	return NULL;
}

/* Append key -> val; the table takes val and a copy of the key. */
BL_MUST_CHECK static int table_add(struct bl_toml *t, const struct keypart *k, struct bl_toml *val)
{
	struct toml_kv *kv;
	char *key;

	if (t->u.tab.len == t->u.tab.cap) {
		size_t cap = t->u.tab.cap ? t->u.tab.cap * 2 : 4;
		struct toml_kv *n = realloc(t->u.tab.kv, cap * sizeof(*n));
		if (!n)
			return bl_err(BL_ENOMEM, "out of memory");
		t->u.tab.kv = n;
		t->u.tab.cap = cap;
	}
	if (t->u.tab.len + 1 >= TOML_INDEX_MIN)
		BL_TRY(index_grow(t, t->u.tab.len + 1));
	key = malloc(k->len + 1);
	if (!key)
		return bl_err(BL_ENOMEM, "out of memory");
	if (k->len)
		memcpy(key, k->s, k->len);
	key[k->len] = '\0';
	kv = &t->u.tab.kv[t->u.tab.len++];
	kv->key = key;
	kv->klen = k->len;
	kv->line = k->at.line;
	kv->col = k->at.col;
	kv->val = val;
	if (t->u.tab.idx)
		index_put(t, t->u.tab.len - 1);
	return 0;
}

BL_MUST_CHECK static int array_push(struct bl_toml *a, struct bl_toml *val)
{
	if (a->u.arr.len == a->u.arr.cap) {
		size_t cap = a->u.arr.cap ? a->u.arr.cap * 2 : 4;
		struct bl_toml **n = realloc(a->u.arr.v, cap * sizeof(*n));
		if (!n)
			return bl_err(BL_ENOMEM, "out of memory");
		a->u.arr.v = n;
		a->u.arr.cap = cap;
	}
	a->u.arr.v[a->u.arr.len++] = val;
	return 0;
}

/* ---- reading the text ---- */

/* The next byte, or -1 at the end. */
static int pk(const struct parser *p)
{
	uint8_t c;

	if (bl_cur_eof(&p->cur) || bl_cur_peek(&p->cur, &c) < 0)
		return -1;
	return c;
}

/* The byte k places ahead, or -1 past the end. */
static int pk_at(const struct parser *p, size_t k)
{
	struct bl_cur c = p->cur;
	uint8_t b;

	if (bl_cur_left(&c) <= k || bl_cur_skip(&c, k) < 0 || bl_cur_peek(&c, &b) < 0)
		return -1;
	return b;
}

/* Consume one byte, keeping the line count. */
static void adv(struct parser *p)
{
	uint8_t c = 0;

	if (bl_cur_u8(&p->cur, &c) < 0)
		return;
	if (c == '\n') {
		p->line++;
		p->col = 1;
	} else if ((c & 0xc0) != 0x80) {
		p->col++; /* continuation bytes belong to the character already counted */
	}
}

static void adv_n(struct parser *p, size_t n)
{
	while (n--)
		adv(p);
}

static struct pos here(const struct parser *p)
{
	struct pos at = { p->line, p->col };
	return at;
}

BL_PRINTF(3, 4) static int perr_at(const struct parser *p, struct pos at, const char *fmt, ...)
{
	char msg[BL_ERRMSG_MAX];
	va_list ap;

	(void)p;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bl_err(BL_EINVAL, "line %u, column %u: %s", at.line, at.col, msg);
}

#define perr(p, ...) perr_at((p), here(p), __VA_ARGS__)

/* Describe the next byte for a message. */
static const char *what_next(const struct parser *p, char buf[16])
{
	int c = pk(p);

	if (c < 0)
		return "end of input";
	if (c == '\r' && pk_at(p, 1) != '\n')
		return "a carriage return without a line feed";
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", (unsigned)c);
	return buf;
}

static int unexpected(const struct parser *p, const char *wanted)
{
	char b[16];

	return perr(p, "expected %s, found %s", wanted, what_next(p, b));
}

/* ---- UTF-8 (RFC 3629, section 4) ---- */

BL_MUST_CHECK static int check_utf8(const struct parser *p0)
{
	struct parser p = *p0;
	uint8_t b;

	while (!bl_cur_eof(&p.cur)) {
		struct pos at = here(&p);
		unsigned n, cp, min;
		uint8_t lo = 0x80, hi = 0xbf;

		if (bl_cur_peek(&p.cur, &b) < 0)
			return -1;
		if (b < 0x80) {
			adv(&p);
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			n = 1, cp = b & 0x1f, min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			n = 2, cp = b & 0x0f, min = 0x800;
			if (b == 0xe0)
				lo = 0xa0;
			if (b == 0xed)
				hi = 0x9f; /* no surrogates */
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3, cp = b & 0x07, min = 0x10000;
			if (b == 0xf0)
				lo = 0x90;
			if (b == 0xf4)
				hi = 0x8f;
		} else {
			return perr_at(&p, at, "invalid UTF-8 byte 0x%02x", b);
		}
		adv(&p);
		for (unsigned i = 0; i < n; i++) {
			int c = pk(&p);
			if (c < 0 || c < (i == 0 ? lo : 0x80) || c > (i == 0 ? hi : 0xbf))
				return perr_at(&p, at, "invalid UTF-8 sequence");
			cp = (cp << 6) | (c & 0x3f);
			adv(&p);
		}
		if (cp < min)
			return perr_at(&p, at, "overlong UTF-8 sequence");
	}
	return 0;
}

static int is_bare(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A control character TOML forbids in strings and comments (tab is allowed). */
static int is_control(int c)
{
	return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static void skip_ws(struct parser *p)
{
	while (pk(p) == ' ' || pk(p) == '\t')
		adv(p);
}

/* Consume a newline (LF or CRLF) if one is next; 1 when one was. */
static int eat_newline(struct parser *p)
{
	if (pk(p) == '\n') {
		adv(p);
		return 1;
	}
	if (pk(p) == '\r' && pk_at(p, 1) == '\n') {
		adv_n(p, 2);
		return 1;
	}
	return 0;
}

/* A comment from '#' to the end of the line (not consumed). */
BL_MUST_CHECK static int skip_comment(struct parser *p)
{
	if (pk(p) != '#')
		return 0;
	adv(p);
	for (;;) {
		int c = pk(p);
		if (c < 0 || c == '\n' || (c == '\r' && pk_at(p, 1) == '\n'))
			return 0;
		if (is_control(c))
			return perr(p, "control character 0x%02x in a comment", (unsigned)c);
		adv(p);
	}
}

/* Whitespace, newlines and comments (inside arrays). */
BL_MUST_CHECK static int skip_ws_nl(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		BL_TRY(skip_comment(p));
		if (!eat_newline(p))
			return 0;
	}
}

/* The rest of a line after a key/value pair or a header. */
BL_MUST_CHECK static int end_line(struct parser *p)
{
	skip_ws(p);
	BL_TRY(skip_comment(p));
	if (pk(p) < 0 || eat_newline(p))
		return 0;
	return unexpected(p, "end of line");
}

/* ---- strings (Spec "String") ---- */

BL_MUST_CHECK static int put_utf8(struct bl_buf *b, uint32_t cp)
{
	uint8_t o[4];
	size_t n;

	if (cp < 0x80) {
		o[0] = (uint8_t)cp, n = 1;
	} else if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6)), o[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		o[0] = (uint8_t)(0xf0 | (cp >> 18));
		o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return bl_buf_append(b, o, n);
}

/* An escape sequence after '\' in a basic string. */
BL_MUST_CHECK static int escape(struct parser *p)
{
	struct pos at = here(p);
	int c;
	unsigned n = 0;
	uint32_t cp = 0;

	adv(p); /* '\' */
	c = pk(p);
	switch (c) {
	case 'b': adv(p); return bl_buf_putc(&p->sbuf, '\b');
	case 't': adv(p); return bl_buf_putc(&p->sbuf, '\t');
	case 'n': adv(p); return bl_buf_putc(&p->sbuf, '\n');
	case 'f': adv(p); return bl_buf_putc(&p->sbuf, '\f');
	case 'r': adv(p); return bl_buf_putc(&p->sbuf, '\r');
	case '"': adv(p); return bl_buf_putc(&p->sbuf, '"');
	case '\\': adv(p); return bl_buf_putc(&p->sbuf, '\\');
	case 'u': n = 4; break;
	case 'U': n = 8; break;
	default: return perr_at(p, at, "invalid escape sequence in a string");
	}
	adv(p);
	for (unsigned i = 0; i < n; i++) {
		int h = bl_hex_digit(pk(p));
		if (h < 0)
			return perr_at(p, at, "\\%c needs %u hex digits", c, n);
		cp = (cp << 4) | (uint32_t)h;
		adv(p);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return perr_at(p, at, "\\%c escape U+%X is not a Unicode scalar value", c, cp);
	return put_utf8(&p->sbuf, cp);
}

/* Take the scratch buffer as a new string (NUL-terminated). */
BL_MUST_CHECK static int take_str(struct parser *p, char **out, size_t *len)
{
	char *s = malloc(p->sbuf.len + 1);

	if (!s)
		return bl_err(BL_ENOMEM, "out of memory");
	if (p->sbuf.len)
		memcpy(s, p->sbuf.p, p->sbuf.len);
	s[p->sbuf.len] = '\0';
	*out = s;
	*len = p->sbuf.len;
	return 0;
}

/* "basic" or 'literal' on one line, into sbuf. */
BL_MUST_CHECK static int str_line(struct parser *p)
{
	struct pos at = here(p);
	int q = pk(p);

	adv(p);
	for (;;) {
		int c = pk(p);
		if (c < 0 || c == '\n' || (c == '\r' && pk_at(p, 1) == '\n'))
			return perr_at(p, at, "unterminated string");
		if (c == q) {
			adv(p);
			return 0;
		}
		if (c == '\\' && q == '"') {
			BL_TRY(escape(p));
			continue;
		}
		if (is_control(c))
			return perr(p, "control character 0x%02x in a string", (unsigned)c);
		BL_TRY(bl_buf_putc(&p->sbuf, (uint8_t)c));
		adv(p);
	}
}

/* After '\' in a multi-line basic string: a line-ending backslash? */
static int line_ending_backslash(const struct parser *p)
{
	size_t k = 1;

	while (pk_at(p, k) == ' ' || pk_at(p, k) == '\t')
		k++;
	return pk_at(p, k) == '\n' || (pk_at(p, k) == '\r' && pk_at(p, k + 1) == '\n');
}

/* """multi-line basic""" or '''multi-line literal''', into sbuf. */
BL_MUST_CHECK static int str_multi(struct parser *p)
{
	struct pos at = here(p);
	int q = pk(p);

	adv_n(p, 3);
	eat_newline(
	    p); /* "A newline immediately following the opening delimiter will be trimmed." */
	for (;;) {
		int c = pk(p);
		if (c < 0)
			return perr_at(p, at, "unterminated multi-line string");
		if (c == q) {
			size_t n = 1;
			while (pk_at(p, n) == q)
				n++;
			if (n >= 3) {
				if (n > 5)
					return perr(p,
					            "too many quotes closing a multi-line string");
				for (size_t i = 0; i < n - 3; i++)
					BL_TRY(bl_buf_putc(&p->sbuf, (uint8_t)q));
				adv_n(p, n);
				return 0;
			}
			for (size_t i = 0; i < n; i++)
				BL_TRY(bl_buf_putc(&p->sbuf, (uint8_t)q));
			adv_n(p, n);
			continue;
		}
		if (c == '\\' && q == '"') {
			if (line_ending_backslash(p)) {
				adv(p);
				for (;;) {
					skip_ws(p);
					if (!eat_newline(p))
						break;
				}
				continue;
			}
			BL_TRY(escape(p));
			continue;
		}
		if (eat_newline(p)) {
			BL_TRY(bl_buf_putc(&p->sbuf, '\n'));
			continue;
		}
		if (is_control(c))
			return perr(p, "control character 0x%02x in a string", (unsigned)c);
		BL_TRY(bl_buf_putc(&p->sbuf, (uint8_t)c));
		adv(p);
	}
}

BL_MUST_CHECK static int parse_string(struct parser *p)
{
	int q = pk(p);

	bl_buf_reset(&p->sbuf);
	if (pk_at(p, 1) == q && pk_at(p, 2) == q)
		return str_multi(p);
	return str_line(p);
}

/* ---- keys (Spec "Keys") ---- */

static void keypath_free(struct keypath *kp)
{
	for (size_t i = 0; i < kp->n; i++)
		free(kp->part[i].s);
	if (kp->part != kp->small)
		free(kp->part);
	keypath_init(kp);
}

/* key = simple-key *( ws '.' ws simple-key ); leaves trailing whitespace eaten. */
BL_MUST_CHECK static int parse_key(struct parser *p, struct keypath *kp)
{
	for (;;) {
		struct keypart *k;
		int c = pk(p);

		if (kp->n == TOML_MAX_DEPTH)
			return perr(p, "key has more than %d parts", TOML_MAX_DEPTH);
		if (kp->n == kp->cap) {
			size_t cap = kp->cap * 2;
			struct keypart *n = malloc(cap * sizeof(*n));
			if (!n)
				return bl_err(BL_ENOMEM, "out of memory");
			memcpy(n, kp->part, kp->n * sizeof(*n));
			if (kp->part != kp->small)
				free(kp->part);
			kp->part = n;
			kp->cap = cap;
		}
		k = &kp->part[kp->n];
		k->at = here(p);
		bl_buf_reset(&p->sbuf);
		if (c == '"' || c == '\'') {
			BL_TRY(str_line(p));
		} else if (is_bare(c)) {
			while (is_bare(pk(p))) {
				BL_TRY(bl_buf_putc(&p->sbuf, (uint8_t)pk(p)));
				adv(p);
			}
		} else {
			return unexpected(p, "a key");
		}
		BL_TRY(take_str(p, &k->s, &k->len));
		kp->n++;
		skip_ws(p);
		if (pk(p) != '.')
			return 0;
		adv(p);
		skip_ws(p);
	}
}

/* ---- numbers, booleans, datetimes ---- */

/*
 * Digits of `base` with single underscores between them, from tok[*i].
 * Returns the number of digits, or -1 on a misplaced underscore.
 */
static int scan_digits(const char *tok, size_t *i, int base)
{
	int n = 0, prev_us = 0;

	for (;; (*i)++) {
		int c = tok[*i], d = bl_hex_digit(c);
		if (c == '_') {
			if (n == 0 || prev_us)
				return -1;
			prev_us = 1;
			continue;
		}
		if (d < 0 || d >= base)
			break;
		n++;
		prev_us = 0;
	}
	return prev_us ? -1 : n;
}

BL_MUST_CHECK static int parse_int(struct parser *p, struct pos at, const char *tok,
                                   struct bl_toml **out)
{
	size_t i = 0;
	int base = 10, neg = 0;
	uint64_t mag = 0, lim;
	struct bl_toml *v;

	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'o' || tok[1] == 'b')) {
		base = tok[1] == 'x' ? 16 : tok[1] == 'o' ? 8 : 2;
		i = 2;
	} else if (tok[0] == '+' || tok[0] == '-') {
		neg = tok[0] == '-';
		i = 1;
		if (tok[1] == '0' && (tok[2] == 'x' || tok[2] == 'o' || tok[2] == 'b'))
			return perr_at(p, at, "integer '%s': a base prefix takes no sign", tok);
	}
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (size_t j = i, n = 0;; j++, n++) {
		int c = tok[j], d = bl_hex_digit(c);
		if (c == '\0') {
			if (n == 0 || tok[j - 1] == '_')
				return perr_at(p, at, "invalid integer '%s'", tok);
			break;
		}
		if (c == '_') {
			if (n == 0 || tok[j - 1] == '_')
				return perr_at(p, at, "misplaced underscore in '%s'", tok);
			continue;
		}
		if (d < 0 || d >= base)
			return perr_at(p, at, "invalid integer '%s'", tok);
		if (mag > (lim - (uint64_t)d) / (uint64_t)base)
			return perr_at(p, at, "integer '%s' is out of the 64-bit range", tok);
		mag = mag * (uint64_t)base + (uint64_t)d;
	}
	if (base == 10 && tok[i] == '0' && tok[i + 1] != '\0')
		return perr_at(p, at, "leading zero in integer '%s'", tok);
	v = node_new(BL_TOML_INTEGER, at);
	if (!v)
		return BL_ENOMEM;
	if (neg)
		v->u.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v->u.i = (int64_t)mag;
	*out = v;
	return 0;
}

/* Decimal integer part, fraction and exponent (Spec "Float"). */
BL_MUST_CHECK static int parse_float(struct parser *p, struct pos at, const char *tok,
                                     struct bl_toml **out)
{
	char clean[TOML_MAX_TOKEN + 1];
	size_t i = 0, o = 0;
	int n;
	double d;
	char *end;
	struct bl_toml *v;

	if (tok[0] == '+' || tok[0] == '-')
		i = 1;
	if (tok[i] == '0' && is_digit(tok[i + 1]))
		return perr_at(p, at, "leading zero in float '%s'", tok);
	n = scan_digits(tok, &i, 10);
	if (n <= 0)
		goto bad;
	if (tok[i] == '.') {
		i++;
		if (scan_digits(tok, &i, 10) <= 0)
			goto bad;
	}
	if (tok[i] == 'e' || tok[i] == 'E') {
		i++;
		if (tok[i] == '+' || tok[i] == '-')
			i++;
		if (scan_digits(tok, &i, 10) <= 0)
			goto bad;
	}
	if (tok[i] != '\0')
		goto bad;
	for (i = 0; tok[i]; i++)
		if (tok[i] != '_')
			clean[o++] = tok[i];
	clean[o] = '\0';
	errno = 0;
	d = strtod(clean, &end);
	if (*end != '\0')
		goto bad;
	if (isinf(d))
		return perr_at(p, at, "float '%s' is out of range", tok);
	v = node_new(BL_TOML_FLOAT, at);
	if (!v)
		return BL_ENOMEM;
	v->u.f = d;
	*out = v;
	return 0;
bad:
	return perr_at(p, at, "invalid number '%s'", tok);
}

/* Exactly n decimal digits at s (a NUL-terminated string); their value, or -1. */
static int fixed_digits(const char *s, int n)
{
	int v = 0;

	/* Stops at the first non-digit, so never reads past the NUL. */
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * RFC 3339 section 5.6 as TOML restricts it (Spec "Offset Date-Time" …
 * "Local Time"). The normalised text uses 'T' and 'Z', and at least three
 * fraction digits (milliseconds), as toml-test expects.
 */
BL_MUST_CHECK static int parse_datetime(struct parser *p, struct pos at, const char *tok,
                                        struct bl_toml **out)
{
	struct bl_buf b = BL_BUF_INIT;
	enum bl_toml_type type;
	const char *s = tok;
	int has_date = 0, has_time = 0, rc = 0;
	struct bl_toml *v;

	if (fixed_digits(s, 4) >= 0 && s[4] == '-') {
		int y = fixed_digits(s, 4), m = fixed_digits(s + 5, 2), d;
		if (m < 1 || m > 12 || s[7] != '-')
			goto bad;
		d = fixed_digits(s + 8, 2);
		if (d < 1 || d > days_in_month(y, m))
			goto bad;
		BL_TRY_GOTO(rc, bl_buf_append(&b, s, 10), out_free_buf);
		s += 10;
		has_date = 1;
		if (*s == 'T' || *s == 't' || *s == ' ') {
			s++;
			BL_TRY_GOTO(rc, bl_buf_putc(&b, 'T'), out_free_buf);
			if (*s == '\0')
				goto bad;
		}
	}
	if (*s && (!has_date || s[-1] == 'T' || s[-1] == 't' || s[-1] == ' ')) {
		int h = fixed_digits(s, 2), mi, se;
		if (h < 0 || h > 23 || s[2] != ':')
			goto bad;
		mi = fixed_digits(s + 3, 2);
		if (mi < 0 || mi > 59 || s[5] != ':')
			goto bad;
		se = fixed_digits(s + 6, 2);
		if (se < 0 || se > 60)
			goto bad;
		BL_TRY_GOTO(rc, bl_buf_append(&b, s, 8), out_free_buf);
		s += 8;
		has_time = 1;
		if (*s == '.') {
			size_t n = 0;
			s++;
			while (is_digit(s[n]))
				n++;
			if (n == 0)
				goto bad;
			BL_TRY_GOTO(rc, bl_buf_putc(&b, '.'), out_free_buf);
			BL_TRY_GOTO(rc, bl_buf_append(&b, s, n), out_free_buf);
			for (; n < 3; n++)
				BL_TRY_GOTO(rc, bl_buf_putc(&b, '0'), out_free_buf);
			while (is_digit(*s))
				s++;
		}
	}
	if (has_date && has_time) {
		type = BL_TOML_DATETIME_LOCAL;
		if (*s == 'Z' || *s == 'z') {
			s++;
			type = BL_TOML_DATETIME;
			BL_TRY_GOTO(rc, bl_buf_putc(&b, 'Z'), out_free_buf);
		} else if (*s == '+' || *s == '-') {
			int oh = fixed_digits(s + 1, 2), om;
			if (oh < 0 || oh > 23 || s[3] != ':')
				goto bad;
			om = fixed_digits(s + 4, 2);
			if (om < 0 || om > 59)
				goto bad;
			BL_TRY_GOTO(rc, bl_buf_append(&b, s, 6), out_free_buf);
			s += 6;
			type = BL_TOML_DATETIME;
		}
	} else {
		type = has_date ? BL_TOML_DATE_LOCAL : BL_TOML_TIME_LOCAL;
	}
	if ((!has_date && !has_time) || *s != '\0')
		goto bad;
	v = node_new(type, at);
	if (!v) {
		rc = BL_ENOMEM;
		goto out_free_buf;
	}
	v->u.str.p = (char *)bl_buf_steal(&b, &v->u.str.len);
	if (!v->u.str.p) {
		node_free(v);
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_buf;
	}
	*out = v;
	return 0;
bad:
	rc = perr_at(p, at, "invalid date or time '%s'", tok);
out_free_buf:
	bl_buf_free(&b);
	return rc;
}

static int is_token(int c)
{
	return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* A bare value: boolean, number, inf/nan or datetime. */
BL_MUST_CHECK static int parse_token(struct parser *p, struct bl_toml **out)
{
	struct pos at = here(p);
	char tok[TOML_MAX_TOKEN + 1];
	size_t n = 0;
	struct bl_toml *v;
	const char *t;

	for (;;) {
		int c = pk(p);
		if (is_token(c)) {
			if (n == TOML_MAX_TOKEN)
				return perr_at(p, at, "value longer than %d bytes", TOML_MAX_TOKEN);
			tok[n++] = (char)c;
			adv(p);
			continue;
		}
		/* "1979-05-27 07:32:00": a space may separate date and time. */
		if (c == ' ' && n == 10 && tok[4] == '-' && tok[7] == '-' &&
		    is_digit(pk_at(p, 1)) && is_digit(pk_at(p, 2)) && pk_at(p, 3) == ':') {
			tok[n++] = ' ';
			adv(p);
			continue;
		}
		break;
	}
	tok[n] = '\0';
	if (n == 0)
		return unexpected(p, "a value");
	if (!strcmp(tok, "true") || !strcmp(tok, "false")) {
		v = node_new(BL_TOML_BOOL, at);
		if (!v)
			return BL_ENOMEM;
		v->u.b = tok[0] == 't';
		*out = v;
		return 0;
	}
	t = tok + (tok[0] == '+' || tok[0] == '-');
	if (!strcmp(t, "inf") || !strcmp(t, "nan")) {
		v = node_new(BL_TOML_FLOAT, at);
		if (!v)
			return BL_ENOMEM;
		v->u.f = t[0] == 'i' ? INFINITY : NAN;
		if (tok[0] == '-')
			v->u.f = -v->u.f;
		*out = v;
		return 0;
	}
	if ((tok[0] >= 'a' && tok[0] <= 'z') || (tok[0] >= 'A' && tok[0] <= 'Z'))
		return perr_at(p, at, "invalid value '%s' (strings need quotes)", tok);
	if ((n >= 5 && fixed_digits(tok, 4) >= 0 && tok[4] == '-') ||
	    (n >= 3 && fixed_digits(tok, 2) >= 0 && tok[2] == ':'))
		return parse_datetime(p, at, tok, out);
	if (tok[0] != '0' || (tok[1] != 'x' && tok[1] != 'o' && tok[1] != 'b'))
		if (strpbrk(tok, ".eE"))
			return parse_float(p, at, tok, out);
	return parse_int(p, at, tok, out);
}

/* ---- values, arrays, inline tables ---- */

BL_MUST_CHECK static int parse_value(struct parser *p, unsigned depth, struct bl_toml **out);
BL_MUST_CHECK static int keyval(struct parser *p, struct bl_toml *table, unsigned depth);

BL_MUST_CHECK static int parse_array(struct parser *p, unsigned depth, struct bl_toml **out)
{
	struct bl_toml *a = node_new(BL_TOML_ARRAY, here(p)), *item = NULL;
	int rc;

	if (!a)
		return BL_ENOMEM;
	a->flags = TF_STATIC;
	adv(p); /* '[' */
	for (;;) {
		BL_TRY_GOTO(rc, skip_ws_nl(p), out_free_array);
		if (pk(p) == ']')
			break;
		BL_TRY_GOTO(rc, parse_value(p, depth + 1, &item), out_free_array);
		rc = array_push(a, item);
		if (rc < 0) {
			node_free(item);
			goto out_free_array;
		}
		BL_TRY_GOTO(rc, skip_ws_nl(p), out_free_array);
		if (pk(p) == ',') {
			adv(p);
			continue;
		}
		if (pk(p) == ']')
			break;
		rc = unexpected(p, "',' or ']' in an array");
		goto out_free_array;
	}
	adv(p); /* ']' */
	*out = a;
	return 0;
out_free_array:
	node_free(a);
	return rc;
}

BL_MUST_CHECK static int parse_inline(struct parser *p, unsigned depth, struct bl_toml **out)
{
	struct bl_toml *t = node_new(BL_TOML_TABLE, here(p));
	int rc;

	if (!t)
		return BL_ENOMEM;
	adv(p); /* '{' */
	skip_ws(p);
	if (pk(p) != '}') {
		for (;;) {
			skip_ws(p);
			BL_TRY_GOTO(rc, keyval(p, t, depth), out_free_table);
			skip_ws(p);
			if (pk(p) == ',') {
				adv(p);
				continue;
			}
			if (pk(p) == '}')
				break;
			rc = unexpected(p, "',' or '}' in an inline table");
			goto out_free_table;
		}
	}
	adv(p); /* '}' */
	t->flags = TF_FROZEN;
	*out = t;
	return 0;
out_free_table:
	node_free(t);
	return rc;
}

BL_MUST_CHECK static int parse_value(struct parser *p, unsigned depth, struct bl_toml **out)
{
	struct pos at = here(p);
	struct bl_toml *v;
	int c = pk(p);

	if (depth > TOML_MAX_DEPTH)
		return perr(p, "values nested deeper than %d", TOML_MAX_DEPTH);
	if (c == '"' || c == '\'') {
		BL_TRY(parse_string(p));
		v = node_new(BL_TOML_STRING, at);
		if (!v)
			return BL_ENOMEM;
		if (take_str(p, &v->u.str.p, &v->u.str.len) < 0) {
			free(v);
			return BL_ENOMEM;
		}
		*out = v;
		return 0;
	}
	if (c == '[')
		return parse_array(p, depth, out);
	if (c == '{')
		return parse_inline(p, depth, out);
	return parse_token(p, out);
}

static const char *kind_of(const struct bl_toml *v)
{
	if (v->type == BL_TOML_TABLE)
		return v->flags & TF_FROZEN ? "an inline table" : "a table";
	if (v->type == BL_TOML_ARRAY)
		return v->flags & TF_STATIC ? "an array" : "an array of tables";
	return "a value";
}

/*
 * key = value into `table`: the dotted prefix walks (or creates) tables that
 * dotted keys made; the last key must be new (Spec "Keys": "Defining a key
 * multiple times is invalid").
 */
BL_MUST_CHECK static int keyval(struct parser *p, struct bl_toml *table, unsigned depth)
{
	struct keypath key, *kp = &key;
	struct bl_toml *t = table, *val = NULL;
	struct keyshow ks;
	struct keypart *last;
	int rc = 0;

	keypath_init(kp);
	BL_TRY_GOTO(rc, parse_key(p, kp), out_free_key);
	if (pk(p) != '=') {
		rc = unexpected(p, "'=' after a key");
		goto out_free_key;
	}
	adv(p);
	skip_ws(p);
	for (size_t i = 0; i + 1 < kp->n; i++) {
		struct keypart *k = &kp->part[i];
		struct toml_kv *kv = table_find(t, k->s, k->len);
		struct bl_toml *nt;

		if (kv) {
			/*
			 * A dotted key may go on in a table that dotted keys made, or
			 * in one a header path only implied (toml-lang/toml#771: the
			 * order of table blocks does not matter); that defines it, so
			 * no header may define it again.
			 */
			if (kv->val->type != BL_TOML_TABLE ||
			    !(kv->val->flags & (TF_DOTTED | TF_IMPLICIT)) ||
			    (kv->val->flags & TF_FROZEN)) {
				rc = perr_at(
				    p, k->at, "key '%s' is already defined as %s (line %u)",
				    key_show(k->s, k->len, &ks), kind_of(kv->val), kv->line);
				goto out_free_key;
			}
			t = kv->val;
			t->flags = TF_DOTTED;
			continue;
		}
		nt = node_new(BL_TOML_TABLE, k->at);
		if (!nt) {
			rc = BL_ENOMEM;
			goto out_free_key;
		}
		nt->flags = TF_DOTTED;
		rc = table_add(t, k, nt);
		if (rc < 0) {
			node_free(nt);
			goto out_free_key;
		}
		t = nt;
	}
	last = &kp->part[kp->n - 1];
	{
		struct toml_kv *kv = table_find(t, last->s, last->len);
		if (kv) {
			rc = perr_at(p, last->at, "key '%s' is already defined (line %u)",
			             key_show(last->s, last->len, &ks), kv->line);
			goto out_free_key;
		}
	}
	BL_TRY_GOTO(rc, parse_value(p, depth + (unsigned)kp->n, &val), out_free_key);
	rc = table_add(t, last, val);
	if (rc < 0)
		node_free(val);
out_free_key:
	keypath_free(kp);
	return rc;
}

/* ---- tables (Spec "Table", "Array of Tables") ---- */

BL_MUST_CHECK static int new_table(struct bl_toml *parent, const struct keypart *k, struct pos at,
                                   unsigned flags, struct bl_toml **out)
{
	struct bl_toml *t = node_new(BL_TOML_TABLE, at);

	if (!t)
		return BL_ENOMEM;
	t->flags = flags;
	if (parent->type == BL_TOML_ARRAY) {
		if (array_push(parent, t) < 0) {
			node_free(t);
			return BL_ENOMEM;
		}
	} else if (table_add(parent, k, t) < 0) {
		node_free(t);
		return BL_ENOMEM;
	}
	*out = t;
	return 0;
}

BL_MUST_CHECK static int header_walk(struct parser *p, const struct keypath *kp, int aot,
                                     struct pos at)
{
	struct bl_toml *t = p->root;
	struct keyshow ks;

	for (size_t i = 0; i < kp->n; i++) {
		const struct keypart *k = &kp->part[i];
		struct toml_kv *kv = table_find(t, k->s, k->len);
		int last = i + 1 == kp->n;
		struct bl_toml *v;

		if (!kv) {
			if (last && aot) {
				struct bl_toml *a = node_new(BL_TOML_ARRAY, at);
				if (!a)
					return BL_ENOMEM;
				if (table_add(t, k, a) < 0) {
					node_free(a);
					return BL_ENOMEM;
				}
				BL_TRY(new_table(a, k, at, TF_EXPLICIT, &t));
			} else {
				BL_TRY(new_table(t, k, at, last ? TF_EXPLICIT : TF_IMPLICIT, &t));
			}
			continue;
		}
		v = kv->val;
		if (!last) {
			if (v->type == BL_TOML_TABLE && !(v->flags & TF_FROZEN)) {
				t = v;
				continue;
			}
			if (v->type == BL_TOML_ARRAY && !(v->flags & TF_STATIC) && v->u.arr.len) {
				t = v->u.arr.v[v->u.arr.len - 1];
				continue;
			}
			return perr_at(p, k->at, "key '%s' is already defined as %s (line %u)",
			               key_show(k->s, k->len, &ks), kind_of(v), kv->line);
		}
		if (aot) {
			if (v->type == BL_TOML_ARRAY && !(v->flags & TF_STATIC)) {
				BL_TRY(new_table(v, k, at, TF_EXPLICIT, &t));
				continue;
			}
			return perr_at(p, k->at, "'%s' is already defined as %s (line %u)",
			               key_show(k->s, k->len, &ks), kind_of(v), kv->line);
		}
		if (v->type == BL_TOML_TABLE && (v->flags & TF_IMPLICIT)) {
			v->flags = TF_EXPLICIT;
			t = v;
			continue;
		}
		return perr_at(p, k->at, "'%s' is already defined as %s (line %u)",
		               key_show(k->s, k->len, &ks), kind_of(v), kv->line);
	}
	p->table = t;
	p->table_depth = (unsigned)kp->n;
	return 0;
}

/* [table] or [[array of tables]] */
BL_MUST_CHECK static int header(struct parser *p)
{
	struct pos at = here(p);
	struct keypath key, *kp = &key;
	int aot = 0, rc;

	keypath_init(kp);
	adv(p);
	if (pk(p) == '[') {
		aot = 1;
		adv(p);
	}
	skip_ws(p);
	BL_TRY_GOTO(rc, parse_key(p, kp), out_free_key);
	if (pk(p) != ']' || (aot && pk_at(p, 1) != ']')) {
		rc = unexpected(p,
		                aot ? "']]' closing a table header" : "']' closing a table header");
		goto out_free_key;
	}
	adv_n(p, aot ? 2 : 1);
	BL_TRY_GOTO(rc, end_line(p), out_free_key);
	rc = header_walk(p, kp, aot, at);
out_free_key:
	keypath_free(kp);
	return rc;
}

struct bl_toml *bl_toml_parse(const char *text, size_t len)
{
	struct parser p = { 0 };
	struct pos start = { 1, 1 };
	int rc;

	if (!text && len) {
		bl_err(BL_EINVAL, "toml: no text");
		return NULL;
	}
	p.cur = bl_cur_make(text, len);
	p.line = 1;
	p.col = 1;
	p.root = node_new(BL_TOML_TABLE, start);
	if (!p.root)
		return NULL;
	p.root->flags = TF_EXPLICIT;
	p.table = p.root;
	/* A byte order mark may open the document (toml-test valid/utf8-bom-*). */
	if (pk(&p) == 0xef && pk_at(&p, 1) == 0xbb && pk_at(&p, 2) == 0xbf) {
		adv_n(&p, 3);
		p.col = 1;
	}
	BL_TRY_GOTO(rc, check_utf8(&p), out_free_root);
	while (pk(&p) >= 0) {
		skip_ws(&p);
		if (pk(&p) == '[')
			BL_TRY_GOTO(rc, header(&p), out_free_root);
		else if (pk(&p) == '#' || pk(&p) == '\n' || pk(&p) == '\r' || pk(&p) < 0)
			BL_TRY_GOTO(rc, end_line(&p), out_free_root);
		else {
			BL_TRY_GOTO(rc, keyval(&p, p.table, p.table_depth), out_free_root);
			BL_TRY_GOTO(rc, end_line(&p), out_free_root);
		}
	}
	bl_buf_free(&p.sbuf);
	return p.root;
out_free_root:
	bl_buf_free(&p.sbuf);
	node_free(p.root);
	return NULL;
}

/* ---- accessors ---- */

enum bl_toml_type bl_toml_type(const struct bl_toml *v)
{
	return v->type;
}

const char *bl_toml_type_name(enum bl_toml_type t)
{
	switch (t) {
	case BL_TOML_TABLE: return "table";
	case BL_TOML_ARRAY: return "array";
	case BL_TOML_STRING: return "string";
	case BL_TOML_INTEGER: return "integer";
	case BL_TOML_FLOAT: return "float";
	case BL_TOML_BOOL: return "bool";
	case BL_TOML_DATETIME: return "datetime";
	case BL_TOML_DATETIME_LOCAL: return "datetime-local";
	case BL_TOML_DATE_LOCAL: return "date-local";
	case BL_TOML_TIME_LOCAL: return "time-local";
	}
	return "unknown";
}

unsigned bl_toml_line(const struct bl_toml *v)
{
	return v ? v->line : 0;
}

unsigned bl_toml_column(const struct bl_toml *v)
{
	return v ? v->col : 0;
}

size_t bl_toml_table_len(const struct bl_toml *v)
{
	return v && v->type == BL_TOML_TABLE ? v->u.tab.len : 0;
}

const char *bl_toml_table_key(const struct bl_toml *v, size_t i)
{
	return bl_toml_table_keyn(v, i, NULL);
}

const char *bl_toml_table_keyn(const struct bl_toml *v, size_t i, size_t *len)
{
	if (!v || v->type != BL_TOML_TABLE || i >= v->u.tab.len)
		return NULL;
	if (len)
		*len = v->u.tab.kv[i].klen;
	return v->u.tab.kv[i].key;
}

struct bl_toml *bl_toml_table_value(const struct bl_toml *v, size_t i)
{
	if (!v || v->type != BL_TOML_TABLE || i >= v->u.tab.len)
		return NULL;
	return v->u.tab.kv[i].val;
}

struct bl_toml *bl_toml_get(const struct bl_toml *table, const char *key)
{
	struct toml_kv *kv;

	if (!table || !key || table->type != BL_TOML_TABLE)
		return NULL;
	kv = table_find(table, key, strlen(key));
	return kv ? kv->val : NULL;
}

size_t bl_toml_array_len(const struct bl_toml *v)
{
	return v && v->type == BL_TOML_ARRAY ? v->u.arr.len : 0;
}

struct bl_toml *bl_toml_array_at(const struct bl_toml *v, size_t i)
{
	if (!v || v->type != BL_TOML_ARRAY || i >= v->u.arr.len)
		return NULL;
	return v->u.arr.v[i];
}

const char *bl_toml_str(const struct bl_toml *v, size_t *len)
{
	if (!v || (v->type != BL_TOML_STRING && v->type != BL_TOML_DATETIME &&
	           v->type != BL_TOML_DATETIME_LOCAL && v->type != BL_TOML_DATE_LOCAL &&
	           v->type != BL_TOML_TIME_LOCAL))
		return NULL;
	if (len)
		*len = v->u.str.len;
	return v->u.str.p;
}

int64_t bl_toml_int(const struct bl_toml *v)
{
	return v && v->type == BL_TOML_INTEGER ? v->u.i : 0;
}

double bl_toml_float(const struct bl_toml *v)
{
	return v && v->type == BL_TOML_FLOAT ? v->u.f : 0.0;
}

int bl_toml_bool(const struct bl_toml *v)
{
	return v && v->type == BL_TOML_BOOL ? v->u.b : 0;
}

int bl_toml_check_keys(const struct bl_toml *table, const char *const *allowed, const char *what)
{
	struct keyshow ks;

	if (!table || table->type != BL_TOML_TABLE)
		return bl_err(BL_EINVAL, "%s: not a table", what);
	for (size_t i = 0; i < table->u.tab.len; i++) {
		const struct toml_kv *kv = &table->u.tab.kv[i];
		size_t j = 0;

		while (allowed && allowed[j] &&
		       (strlen(allowed[j]) != kv->klen || memcmp(allowed[j], kv->key, kv->klen)))
			j++;
		if (!allowed || !allowed[j])
			return bl_err(BL_EINVAL, "line %u, column %u: unknown key '%s' in %s",
			              kv->line, kv->col, key_show(kv->key, kv->klen, &ks), what);
	}
	return 0;
}

int bl_toml_expect_type(const struct bl_toml *v, enum bl_toml_type t, const char *what)
{
	if (!v)
		return bl_err(BL_ENOENT, "%s is missing", what);
	if (v->type != t)
		return bl_err(BL_EINVAL, "line %u, column %u: %s must be %s %s, not %s %s", v->line,
		              v->col, what, t == BL_TOML_INTEGER || t == BL_TOML_ARRAY ? "an" : "a",
		              bl_toml_type_name(t),
		              v->type == BL_TOML_INTEGER || v->type == BL_TOML_ARRAY ? "an" : "a",
		              bl_toml_type_name(v->type));
	return 0;
}
