/*
 * decode.c — the binary format (WebAssembly 2.0 spec chapter 5) and
 * module-level validation (spec 3.4). Function bodies are handed to
 * compile.c, which validates and lowers them in one pass.
 *
 * Every read goes through struct bl_cur; a failure names the section, the
 * function index (for code) and the absolute byte offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

enum {
	SEC_CUSTOM = 0,
	SEC_TYPE,
	SEC_IMPORT,
	SEC_FUNC,
	SEC_TABLE,
	SEC_MEMORY,
	SEC_GLOBAL,
	SEC_EXPORT,
	SEC_START,
	SEC_ELEM,
	SEC_CODE,
	SEC_DATA,
	SEC_DATACOUNT,
};

static const char *const sec_names[] = { "custom", "type",   "import",    "function", "table",
	                                 "memory", "global", "export",    "start",    "element",
	                                 "code",   "data",   "data count" };

/* Order of the non-custom sections (spec 5.5.2): datacount sits between element and code. */
static int sec_rank(uint8_t id)
{
	static const int rank[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10 };
	return rank[id];
}

static int fail_at(const struct bl_cur *c, int code, const char *what)
{
	return bl_err(code, "offset 0x%zx: %s", bl_cur_offset(c), what);
}

static void *xcalloc(size_t n, size_t sz)
{
	return calloc(n ? n : 1, sz);
}

/* UTF-8 validity (spec 5.2.4: names are UTF-8 encodings of Unicode scalar values). */
static bool utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t b = p[i];
		uint32_t cp = 0;
		size_t len;
		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xe0) == 0xc0) {
			len = 2;
			cp = b & 0x1f;
		} else if ((b & 0xf0) == 0xe0) {
			len = 3;
			cp = b & 0x0f;
		} else if ((b & 0xf8) == 0xf0) {
			len = 4;
			cp = b & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static int read_name_len(struct bl_cur *c, char **out, uint32_t *len)
{
	uint32_t n = 0;
	const uint8_t *p;
	BL_TRY(bl_cur_leb_u32(c, &n));
	BL_TRY(bl_cur_bytes(c, n, &p));
	if (!utf8_valid(p, n))
		return fail_at(c, BL_EINVAL, "malformed UTF-8 encoding");
	char *s = malloc((size_t)n + 1);
	if (!s)
		return bl_err(BL_ENOMEM, "out of memory");
	memcpy(s, p, n);
	s[n] = 0;
	*out = s;
	if (len)
		*len = n;
	return 0;
}

static int read_name(struct bl_cur *c, char **out)
{
	return read_name_len(c, out, NULL);
}

int wasm_read_valtype(struct bl_cur *c, uint8_t *t)
{
	uint8_t b = 0;
	BL_TRY(bl_cur_u8(c, &b));
	switch (b) {
	case WASM_I32:
	case WASM_I64:
	case WASM_F32:
	case WASM_F64:
	case WASM_FUNCREF:
	case WASM_EXTERNREF: *t = b; return 0;
	case WASM_V128: return fail_at(c, BL_EUNSUPP, "v128 (SIMD) is not supported");
	default: c->pos--; return fail_at(c, BL_EINVAL, "malformed value type");
	}
}

static int read_reftype(struct bl_cur *c, uint8_t *t)
{
	uint8_t b = 0;
	BL_TRY(bl_cur_u8(c, &b));
	if (b != WASM_FUNCREF && b != WASM_EXTERNREF)
		return fail_at(c, BL_EINVAL, "malformed reference type");
	*t = b;
	return 0;
}

/* Block type (spec 5.4.1): 0x40, a value type, or a non-negative s33 type index. */
int wasm_read_blocktype(struct bl_cur *c, int64_t *bt)
{
	uint8_t b = 0;
	BL_TRY(bl_cur_peek(c, &b));
	if (b == 0x40) {
		c->pos++;
		*bt = -0x40;
		return 0;
	}
	if (b & 0x40) { /* a negative single-byte s33: a value type */
		uint8_t t = 0;
		BL_TRY(wasm_read_valtype(c, &t));
		*bt = -(int64_t)t;
		return 0;
	}
	int64_t v = 0;
	BL_TRY(bl_cur_leb_s33(c, &v));
	if (v < 0)
		return fail_at(c, BL_EINVAL, "malformed block type");
	*bt = v;
	return 0;
}

static int read_limits(struct bl_cur *c, struct wasm_limits *l, bool mem)
{
	uint8_t flag = 0;
	uint32_t v = 0;
	BL_TRY(bl_cur_u8(c, &flag));
	if (flag > 1)
		return fail_at(c, BL_EINVAL, "malformed limits flags");
	BL_TRY(bl_cur_leb_u32(c, &v));
	l->min = v;
	l->has_max = flag == 1;
	l->max = UINT32_MAX;
	if (l->has_max) {
		BL_TRY(bl_cur_leb_u32(c, &v));
		l->max = v;
		if (l->max < l->min)
			return fail_at(c, BL_EINVAL,
			               "size minimum must not be greater than maximum");
	}
	if (mem && (l->min > WASM_MAX_PAGES || (l->has_max && l->max > WASM_MAX_PAGES)))
		return fail_at(c, BL_EINVAL, "memory size must be at most 65536 pages (4GiB)");
	return 0;
}

static int read_tabletype(struct bl_cur *c, struct wasm_tabletype *t)
{
	BL_TRY(read_reftype(c, &t->elem));
	return read_limits(c, &t->lim, false);
}

static int read_globaltype(struct bl_cur *c, struct wasm_globaltype *g)
{
	uint8_t m = 0;
	BL_TRY(wasm_read_valtype(c, &g->type));
	BL_TRY(bl_cur_u8(c, &m));
	if (m > 1)
		return fail_at(c, BL_EINVAL, "malformed mutability");
	g->mut = m;
	return 0;
}

static uint8_t global_type_of(const struct wasm_module *m, uint32_t i)
{
	return m->globals[i].type.type;
}

/*
 * Constant expression (spec 3.3.10, 5.4.9): one constant instruction then
 * `end`. `nglobals_visible` limits global.get (imported globals only for
 * global initialisers).
 */
static int read_cexpr(struct bl_cur *c, struct wasm_module *m, uint8_t want,
                      uint32_t nglobals_visible, struct wasm_cexpr *e)
{
	uint8_t op = 0, t = 0;
	BL_TRY(bl_cur_u8(c, &op));
	switch (op) {
	case 0x41: {
		int32_t v = 0;
		BL_TRY(bl_cur_leb_s32(c, &v));
		e->kind = WASM_CEXPR_CONST;
		e->v = (uint32_t)v;
		t = WASM_I32;
		break;
	}
	case 0x42: {
		int64_t v = 0;
		BL_TRY(bl_cur_leb_s64(c, &v));
		e->kind = WASM_CEXPR_CONST;
		e->v = (uint64_t)v;
		t = WASM_I64;
		break;
	}
	case 0x43: {
		uint32_t v = 0;
		BL_TRY(bl_cur_u32le(c, &v));
		e->kind = WASM_CEXPR_CONST;
		e->v = v;
		t = WASM_F32;
		break;
	}
	case 0x44: {
		uint64_t v = 0;
		BL_TRY(bl_cur_u64le(c, &v));
		e->kind = WASM_CEXPR_CONST;
		e->v = v;
		t = WASM_F64;
		break;
	}
	case 0xd0:
		BL_TRY(read_reftype(c, &t));
		e->kind = WASM_CEXPR_NULL;
		e->v = 0;
		break;
	case 0xd2: {
		uint32_t x = 0;
		BL_TRY(bl_cur_leb_u32(c, &x));
		if (x >= m->nfuncs)
			return fail_at(c, BL_EINVAL, "unknown function");
		e->kind = WASM_CEXPR_FUNC;
		e->v = x;
		m->declared_funcs[x] = true;
		t = WASM_FUNCREF;
		break;
	}
	case 0x23: {
		uint32_t x = 0;
		BL_TRY(bl_cur_leb_u32(c, &x));
		if (x >= nglobals_visible)
			return fail_at(c, BL_EINVAL, "unknown global");
		if (m->globals[x].type.mut)
			return fail_at(c, BL_EINVAL, "constant expression required");
		e->kind = WASM_CEXPR_GLOBAL;
		e->v = x;
		t = global_type_of(m, x);
		break;
	}
	default: {
		/* A valid instruction that is not constant is invalid, not malformed. */
		if (op == 0x0b)
			return fail_at(c, BL_EINVAL, "type mismatch");
		return fail_at(c, BL_EINVAL, "constant expression required");
	}
	}
	e->type = t;
	BL_TRY(bl_cur_u8(c, &op));
	if (op != 0x0b) {
		if (op == 0x41 || op == 0x42 || op == 0x43 || op == 0x44 || op == 0x23 ||
		    op == 0xd0 || op == 0xd2)
			return fail_at(c, BL_EINVAL, "type mismatch");
		return fail_at(c, BL_EINVAL, "constant expression required");
	}
	if (t != want)
		return fail_at(c, BL_EINVAL, "type mismatch");
	return 0;
}

static int sec_type(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > WASM_MAX_TYPES)
		return fail_at(c, BL_ERANGE, "too many types");
	m->types = xcalloc(n, sizeof(*m->types));
	if (!m->types)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_functype *ft = &m->types[i];
		uint8_t form = 0;
		uint32_t np = 0, nr = 0;
		BL_TRY(bl_cur_u8(c, &form));
		if (form != 0x60)
			return fail_at(c, BL_EINVAL, "malformed function type form");
		BL_TRY(bl_cur_leb_u32(c, &np));
		if (np > WASM_MAX_PARAMS || np > bl_cur_left(c))
			return fail_at(c, BL_ERANGE, "too many parameters");
		uint8_t *types = malloc((size_t)np + WASM_MAX_PARAMS + 1);
		if (!types)
			return bl_err(BL_ENOMEM, "out of memory");
		ft->types = types;
		m->ntypes = i + 1;
		for (uint32_t k = 0; k < np; k++)
			BL_TRY(wasm_read_valtype(c, &types[k]));
		BL_TRY(bl_cur_leb_u32(c, &nr));
		if (nr > WASM_MAX_PARAMS || nr > bl_cur_left(c))
			return fail_at(c, BL_ERANGE, "too many results");
		for (uint32_t k = 0; k < nr; k++)
			BL_TRY(wasm_read_valtype(c, &types[np + k]));
		ft->nparams = np;
		ft->nresults = nr;
		BL_TRY(wasm_type_canon(types, np, nr, &ft->canon));
	}
	m->ntypes = n;
	return 0;
}

static int add_func(struct wasm_module *m, uint32_t type, struct bl_cur *c)
{
	if (type >= m->ntypes)
		return fail_at(c, BL_EINVAL, "unknown type");
	if (m->nfuncs >= WASM_MAX_FUNCS)
		return fail_at(c, BL_ERANGE, "too many functions");
	uint32_t *p = realloc(m->func_types, ((size_t)m->nfuncs + 1) * sizeof(*p));
	if (!p)
		return bl_err(BL_ENOMEM, "out of memory");
	m->func_types = p;
	p[m->nfuncs++] = type;
	return 0;
}

static int add_table(struct wasm_module *m, const struct wasm_tabletype *t, struct bl_cur *c)
{
	if (m->ntables >= WASM_MAX_TABLES)
		return fail_at(c, BL_ERANGE, "too many tables");
	struct wasm_tabletype *p = realloc(m->tables, ((size_t)m->ntables + 1) * sizeof(*p));
	if (!p)
		return bl_err(BL_ENOMEM, "out of memory");
	m->tables = p;
	p[m->ntables++] = *t;
	return 0;
}

static int add_mem(struct wasm_module *m, const struct wasm_limits *l, struct bl_cur *c)
{
	if (m->nmems >= 1)
		return fail_at(c, BL_EINVAL, "multiple memories");
	m->mems = malloc(sizeof(*m->mems));
	if (!m->mems)
		return bl_err(BL_ENOMEM, "out of memory");
	m->mems[0] = *l;
	m->nmems = 1;
	return 0;
}

static int add_global(struct wasm_module *m, const struct wasm_global_def *g, struct bl_cur *c)
{
	if (m->nglobals >= WASM_MAX_GLOBALS)
		return fail_at(c, BL_ERANGE, "too many globals");
	struct wasm_global_def *p = realloc(m->globals, ((size_t)m->nglobals + 1) * sizeof(*p));
	if (!p)
		return bl_err(BL_ENOMEM, "out of memory");
	m->globals = p;
	p[m->nglobals++] = *g;
	return 0;
}

static int sec_import(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > WASM_MAX_IMPORTS || n > bl_cur_left(c))
		return fail_at(c, BL_ERANGE, "too many imports");
	m->imports = xcalloc(n, sizeof(*m->imports));
	if (!m->imports)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_import *im = &m->imports[i];
		m->nimports = i + 1;
		BL_TRY(read_name(c, &im->module));
		BL_TRY(read_name(c, &im->name));
		BL_TRY(bl_cur_u8(c, &im->kind));
		switch (im->kind) {
		case WASM_EXTERN_FUNC:
			BL_TRY(bl_cur_leb_u32(c, &im->d.type));
			im->index = m->nfuncs;
			BL_TRY(add_func(m, im->d.type, c));
			m->nfunc_imports++;
			break;
		case WASM_EXTERN_TABLE:
			BL_TRY(read_tabletype(c, &im->d.table));
			im->index = m->ntables;
			BL_TRY(add_table(m, &im->d.table, c));
			m->ntable_imports++;
			break;
		case WASM_EXTERN_MEMORY:
			BL_TRY(read_limits(c, &im->d.mem, true));
			im->index = m->nmems;
			BL_TRY(add_mem(m, &im->d.mem, c));
			m->nmem_imports++;
			break;
		case WASM_EXTERN_GLOBAL: {
			struct wasm_global_def g = { 0 };
			BL_TRY(read_globaltype(c, &im->d.global));
			g.type = im->d.global;
			im->index = m->nglobals;
			BL_TRY(add_global(m, &g, c));
			m->nglobal_imports++;
			break;
		}
		default: c->pos--; return fail_at(c, BL_EINVAL, "malformed import kind");
		}
	}
	return 0;
}

static int sec_func(struct bl_cur *c, struct wasm_module *m, uint32_t *ndefined)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > WASM_MAX_FUNCS || n > bl_cur_left(c))
		return fail_at(c, BL_ERANGE, "too many functions");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t t = 0;
		BL_TRY(bl_cur_leb_u32(c, &t));
		BL_TRY(add_func(m, t, c));
	}
	*ndefined = n;
	return 0;
}

static int sec_table(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_tabletype t;
		BL_TRY(read_tabletype(c, &t));
		BL_TRY(add_table(m, &t, c));
	}
	return 0;
}

static int sec_memory(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_limits l;
		BL_TRY(read_limits(c, &l, true));
		BL_TRY(add_mem(m, &l, c));
	}
	return 0;
}

static int sec_global(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > bl_cur_left(c))
		return fail_at(c, BL_ETRUNC, "unexpected end");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_global_def g;
		BL_TRY(read_globaltype(c, &g.type));
		BL_TRY(read_cexpr(c, m, g.type.type, m->nglobal_imports, &g.init));
		BL_TRY(add_global(m, &g, c));
	}
	return 0;
}

static int sec_export(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > WASM_MAX_EXPORTS || n > bl_cur_left(c))
		return fail_at(c, BL_ERANGE, "too many exports");
	m->exports = xcalloc(n, sizeof(*m->exports));
	if (!m->exports)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_export *e = &m->exports[i];
		m->nexports = i + 1;
		BL_TRY(read_name_len(c, &e->name, &e->name_len));
		BL_TRY(bl_cur_u8(c, &e->kind));
		BL_TRY(bl_cur_leb_u32(c, &e->index));
		uint32_t lim = 0;
		switch (e->kind) {
		case WASM_EXTERN_FUNC: lim = m->nfuncs; break;
		case WASM_EXTERN_TABLE: lim = m->ntables; break;
		case WASM_EXTERN_MEMORY: lim = m->nmems; break;
		case WASM_EXTERN_GLOBAL: lim = m->nglobals; break;
		default: return fail_at(c, BL_EINVAL, "malformed export kind");
		}
		if (e->index >= lim) {
			static const char *const unk[] = { "unknown function", "unknown table",
				                           "unknown memory", "unknown global" };
			return fail_at(c, BL_EINVAL, unk[e->kind]);
		}
		if (e->kind == WASM_EXTERN_FUNC)
			m->declared_funcs[e->index] = true;
		for (uint32_t k = 0; k < i; k++)
			if (m->exports[k].name_len == e->name_len &&
			    memcmp(m->exports[k].name, e->name, e->name_len) == 0)
				return fail_at(c, BL_EINVAL, "duplicate export name");
	}
	return 0;
}

static int sec_start(struct bl_cur *c, struct wasm_module *m)
{
	BL_TRY(bl_cur_leb_u32(c, &m->start));
	if (m->start >= m->nfuncs)
		return fail_at(c, BL_EINVAL, "unknown function");
	const struct wasm_functype *t = &m->types[m->func_types[m->start]];
	if (t->nparams || t->nresults)
		return fail_at(c, BL_EINVAL, "start function");
	m->has_start = true;
	return 0;
}

static int read_elem_items(struct bl_cur *c, struct wasm_module *m, struct wasm_elem *e, bool exprs)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > bl_cur_left(c))
		return fail_at(c, BL_ETRUNC, "unexpected end");
	e->items = xcalloc(n, sizeof(*e->items));
	if (!e->items)
		return bl_err(BL_ENOMEM, "out of memory");
	e->count = n;
	for (uint32_t i = 0; i < n; i++) {
		if (exprs) {
			BL_TRY(read_cexpr(c, m, e->type, m->nglobal_imports, &e->items[i]));
		} else {
			uint32_t x = 0;
			BL_TRY(bl_cur_leb_u32(c, &x));
			if (x >= m->nfuncs)
				return fail_at(c, BL_EINVAL, "unknown function");
			m->declared_funcs[x] = true;
			e->items[i].kind = WASM_CEXPR_FUNC;
			e->items[i].type = WASM_FUNCREF;
			e->items[i].v = x;
		}
	}
	return 0;
}

static int sec_elem(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n > WASM_MAX_SEGMENTS || n > bl_cur_left(c))
		return fail_at(c, BL_ERANGE, "too many element segments");
	m->elems = xcalloc(n, sizeof(*m->elems));
	if (!m->elems)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_elem *e = &m->elems[i];
		uint32_t flags = 0;
		m->nelems = i + 1;
		BL_TRY(bl_cur_leb_u32(c, &flags));
		if (flags > 7)
			return fail_at(c, BL_EINVAL, "malformed elements segment kind");
		bool exprs = flags & 4;
		e->type = WASM_FUNCREF;
		if (flags & 1)
			e->mode = (flags & 2) ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
		else
			e->mode = WASM_SEG_ACTIVE;
		if (e->mode == WASM_SEG_ACTIVE) {
			if (flags & 2)
				BL_TRY(bl_cur_leb_u32(c, &e->table));
			if (e->table >= m->ntables)
				return fail_at(c, BL_EINVAL, "unknown table");
			BL_TRY(read_cexpr(c, m, WASM_I32, m->nglobal_imports, &e->offset));
		}
		if (flags & 3) { /* elemkind or reftype present */
			if (exprs) {
				BL_TRY(read_reftype(c, &e->type));
			} else {
				uint8_t k = 0;
				BL_TRY(bl_cur_u8(c, &k));
				if (k != 0)
					return fail_at(c, BL_EINVAL, "malformed element kind");
			}
		}
		BL_TRY(read_elem_items(c, m, e, exprs));
		if (e->mode == WASM_SEG_ACTIVE && m->tables[e->table].elem != e->type)
			return fail_at(c, BL_EINVAL, "type mismatch");
	}
	return 0;
}

static int sec_datacount(struct bl_cur *c, struct wasm_module *m)
{
	BL_TRY(bl_cur_leb_u32(c, &m->datacount));
	m->has_datacount = true;
	return 0;
}

static int sec_data(struct bl_cur *c, struct wasm_module *m)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (m->has_datacount && n != m->datacount)
		return fail_at(c, BL_EINVAL,
		               "data count and data section have inconsistent lengths");
	if (n > WASM_MAX_SEGMENTS || n > bl_cur_left(c))
		return fail_at(c, BL_ERANGE, "too many data segments");
	m->datas = xcalloc(n, sizeof(*m->datas));
	if (!m->datas)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		struct wasm_data *d = &m->datas[i];
		uint32_t flags = 0;
		m->ndatas = i + 1;
		BL_TRY(bl_cur_leb_u32(c, &flags));
		if (flags > 2)
			return fail_at(c, BL_EINVAL, "malformed data segment kind");
		d->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
		if (flags == 2)
			BL_TRY(bl_cur_leb_u32(c, &d->mem));
		if (d->mode == WASM_SEG_ACTIVE) {
			if (d->mem >= m->nmems)
				return fail_at(c, BL_EINVAL, "unknown memory");
			BL_TRY(read_cexpr(c, m, WASM_I32, m->nglobal_imports, &d->offset));
		}
		BL_TRY(bl_cur_leb_u32(c, &d->len));
		BL_TRY(bl_cur_bytes(c, d->len, &d->bytes));
	}
	return 0;
}

static int sec_code(struct bl_cur *c, struct wasm_module *m, uint32_t ndefined)
{
	uint32_t n = 0;
	BL_TRY(bl_cur_leb_u32(c, &n));
	if (n != ndefined)
		return fail_at(c, BL_EINVAL, "function and code section have inconsistent lengths");
	m->codes = xcalloc(n, sizeof(*m->codes));
	if (!m->codes)
		return bl_err(BL_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < n; i++) {
		uint32_t size = 0;
		struct bl_cur body;
		BL_TRY(bl_cur_leb_u32(c, &size));
		BL_TRY(bl_cur_sub(c, size, &body));
		m->codes[i].body_offset = bl_cur_offset(&body);
		int rc = wasm_compile_body(m, i, &body, &m->codes[i]);
		if (rc < 0)
			return bl_err_wrap(rc, "function %u: ", m->nfunc_imports + i);
	}
	return 0;
}

/* The name section (spec 7.4.1): function names only; errors in it are ignored. */
static void sec_name_custom(struct bl_cur c, struct wasm_module *m)
{
	while (!bl_cur_eof(&c)) {
		uint8_t id = 0;
		uint32_t size = 0, n = 0;
		struct bl_cur sub;
		if (bl_cur_u8(&c, &id) < 0 || bl_cur_leb_u32(&c, &size) < 0 ||
		    bl_cur_sub(&c, size, &sub) < 0)
			return;
		if (id != 1)
			continue;
		if (bl_cur_leb_u32(&sub, &n) < 0)
			return;
		if (!m->func_names)
			m->func_names = xcalloc(m->nfuncs, sizeof(char *));
		if (!m->func_names)
			return;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t idx = 0;
			char *name;
			if (bl_cur_leb_u32(&sub, &idx) < 0 || read_name(&sub, &name) < 0)
				return;
			if (idx < m->nfuncs && !m->func_names[idx])
				m->func_names[idx] = name;
			else
				free(name);
		}
	}
}

static int decode_sections(struct bl_cur *c, struct wasm_module *m)
{
	int last_rank = 0;
	uint32_t ndefined = 0;
	bool have_code = false;
	/* The name section is read last: it may come before the sections that declare functions. */
	struct bl_cur names = { 0 };
	bool have_names = false;
	while (!bl_cur_eof(c)) {
		uint8_t id = 0;
		uint32_t size = 0;
		struct bl_cur s;
		size_t at = bl_cur_offset(c);
		BL_TRY(bl_cur_u8(c, &id));
		if (id > SEC_DATACOUNT)
			return bl_err(BL_EINVAL, "offset 0x%zx: malformed section id %u", at, id);
		int rc = bl_cur_leb_u32(c, &size);
		if (rc == 0)
			rc = bl_cur_sub(c, size, &s);
		if (rc < 0)
			return bl_err_wrap(rc, "%s section: unexpected end: ", sec_names[id]);
		if (id != SEC_CUSTOM) {
			if (sec_rank(id) <= last_rank)
				return bl_err(BL_EINVAL,
				              "offset 0x%zx: unexpected content after "
				              "last section (%s section out of order)",
				              at, sec_names[id]);
			last_rank = sec_rank(id);
		}
		/* Functions are declared only in the import and function sections, which
		 * precede every section that names them: size C.refs once they are done. */
		if (id > SEC_MEMORY && id != SEC_CUSTOM && !m->declared_funcs) {
			m->declared_funcs = xcalloc(m->nfuncs, sizeof(bool));
			if (!m->declared_funcs)
				return bl_err(BL_ENOMEM, "out of memory");
		}
		switch (id) {
		case SEC_CUSTOM: {
			char *name = NULL;
			rc = read_name(&s, &name);
			if (rc == 0 && strcmp(name, "name") == 0 && !have_names) {
				names = s;
				have_names = true;
			}
			free(name);
			s.pos = s.len;
			break;
		}
		case SEC_TYPE: rc = sec_type(&s, m); break;
		case SEC_IMPORT: rc = sec_import(&s, m); break;
		case SEC_FUNC: rc = sec_func(&s, m, &ndefined); break;
		case SEC_TABLE: rc = sec_table(&s, m); break;
		case SEC_MEMORY: rc = sec_memory(&s, m); break;
		case SEC_GLOBAL: rc = sec_global(&s, m); break;
		case SEC_EXPORT: rc = sec_export(&s, m); break;
		case SEC_START: rc = sec_start(&s, m); break;
		case SEC_ELEM: rc = sec_elem(&s, m); break;
		case SEC_DATACOUNT: rc = sec_datacount(&s, m); break;
		case SEC_CODE:
			rc = sec_code(&s, m, ndefined);
			have_code = true;
			break;
		case SEC_DATA: rc = sec_data(&s, m); break;
		}
		if (rc == 0 && !bl_cur_eof(&s))
			rc = fail_at(&s, BL_EINVAL, "section size mismatch");
		if (rc < 0)
			return bl_err_wrap(rc, "%s section: ", sec_names[id]);
	}
	if (!have_code && ndefined)
		return bl_err(BL_EINVAL, "function and code section have inconsistent lengths");
	if (m->has_datacount && m->ndatas != m->datacount)
		return bl_err(BL_EINVAL, "data count and data section have inconsistent lengths");
	if (have_names)
		sec_name_custom(names, m);
	return 0;
}

struct wasm_module *wasm_decode(const uint8_t *bytes, size_t len, bool optimize)
{
	struct wasm_module *m = calloc(1, sizeof(*m));
	if (!m) {
		bl_err(BL_ENOMEM, "out of memory");
		return NULL;
	}
	m->noopt = !optimize;
	m->bin = malloc(len ? len : 1);
	if (!m->bin) {
		bl_err(BL_ENOMEM, "out of memory");
		goto out_free_module;
	}
	memcpy(m->bin, bytes, len);
	m->bin_len = len;
	struct bl_cur c = bl_cur_make(m->bin, len);
	uint32_t magic = 0, version = 0;
	if (bl_cur_u32le(&c, &magic) < 0 || magic != 0x6d736100) {
		bl_err(BL_EINVAL, "offset 0x0: magic header not detected");
		goto out_free_module;
	}
	if (bl_cur_u32le(&c, &version) < 0 || version != 1) {
		bl_err(BL_EINVAL, "offset 0x4: unknown binary version");
		goto out_free_module;
	}
	if (decode_sections(&c, m) < 0)
		goto out_free_module;
	return m;

out_free_module:
	wasm_module_destroy(m);
	return NULL;
}

void wasm_module_destroy(struct wasm_module *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->ntypes; i++)
		free(m->types[i].types);
	free(m->types);
	for (uint32_t i = 0; i < m->nimports; i++) {
		free(m->imports[i].module);
		free(m->imports[i].name);
	}
	free(m->imports);
	free(m->func_types);
	free(m->tables);
	free(m->mems);
	free(m->globals);
	for (uint32_t i = 0; i < m->nexports; i++)
		free(m->exports[i].name);
	free(m->exports);
	for (uint32_t i = 0; i < m->nelems; i++)
		free(m->elems[i].items);
	free(m->elems);
	free(m->datas);
	if (m->codes)
		for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
			free(m->codes[i].cells);
	free(m->codes);
	free(m->declared_funcs);
	if (m->func_names)
		for (uint32_t i = 0; i < m->nfuncs; i++)
			free(m->func_names[i]);
	free(m->func_names);
	free(m->bin);
	free(m);
}
