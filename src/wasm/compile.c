/*
 * compile.c — validation (spec 3.3, with the algorithm of the spec's
 * appendix A.3) and lowering to the internal instruction set (ir.h) in one
 * pass over each function body.
 *
 * The validator's operand stack doubles as the register allocator: the value
 * at height h lives in slot nlocals + h. Two cheap improvements avoid most
 * copies: local.get pushes a *pending* entry that names the local's slot
 * directly (it is materialised into its own slot only when the local is
 * written, or at a control boundary), and local.set after an instruction that
 * produced the top value retargets that instruction's destination. Compare
 * followed by br_if fuses into one compare-and-branch.
 */
#include <stdlib.h>
#include <string.h>

#include "wasm/module.h"

enum { CTL_FUNC, CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_ELSE };

#define NO_PATCH UINT32_MAX
#define T_UNKNOWN 0

struct ctl {
	uint8_t kind;
	bool unreachable; /* the operand stack is polymorphic (spec A.3) */
	bool dead; /* entered from unreachable code: nothing is emitted */
	uint32_t height; /* operand height at entry (params excluded) */
	uint32_t nparams, nresults;
	const uint8_t *params, *results;
	uint32_t label; /* loop: code index of the head */
	uint32_t patch; /* chain of label cells to patch with the end */
	uint32_t else_patch; /* if: the BR_UNLESS label cell */
	uint32_t brt_stamp, brt_label; /* br_table: this target's copy block (op_br_table) */
};

struct entry {
	uint8_t type;
	bool is_const; /* a pending i32/i64 constant, not yet in its slot */
	uint32_t slot; /* nlocals + height, or a local's slot while pending */
	uint64_t cval; /* the constant when is_const */
};

struct comp {
	const struct wasm_module *m;
	struct bl_cur *c;
	const struct wasm_functype *ft;
	uint32_t nlocals; /* slots before the operand stack: Wasm locals + the zero slot */
	uint32_t nwlocals; /* Wasm locals (params included) */
	uint32_t zero_slot; /* a hidden local that is always 0 (constant addresses) */
	bool opt; /* the peepholes above; off only for differential testing */
	uint8_t *local_types;
	struct entry *stk;
	uint32_t h, cap_h, max_h;
	/*
	 * stk[0, clean) hold their values in their own slots (nothing pending):
	 * materialize_all and materialize_local start there, and push keeps at
	 * most MAX_UNCLEAN entries above it, so a long run of calls, blocks or
	 * local.sets over a deep operand stack costs linear, not quadratic, time
	 * (a module could make validation take hours). Lowered lazily when
	 * entries are popped (see push).
	 */
	uint32_t clean;
	struct ctl *ctls;
	uint32_t nctl, cap_ctl;
	union wasm_cell *code;
	uint32_t n, cap;
	uint32_t last_dst; /* cell of the destination of the last instruction, or NO_PATCH */
	uint32_t last_op; /* cell of the last instruction's opcode */
	uint32_t label_here; /* code index of the last label placed */
	uint32_t brt_stamp; /* counts br_tables (see struct ctl) */
};

static int fail(struct comp *k, const char *msg)
{
	return bl_err(BL_EINVAL, "offset 0x%zx: %s", bl_cur_offset(k->c), msg);
}

static bool dead(const struct comp *k)
{
	const struct ctl *c = &k->ctls[k->nctl - 1];
	return c->unreachable || c->dead;
}

/* ---- emission ---- */

/*
 * Internal code may be at most 64 cells per body byte (plus 1 Mi cells), and
 * 2^28 cells: ordinary code takes a few cells per byte, and the limit keeps a
 * small hostile body (branches carrying many values to many labels) from
 * making the host allocate gigabytes.
 */
static int grow_code(struct comp *k, uint32_t more)
{
	if (k->n + more <= k->cap)
		return 0;
	uint64_t limit = (uint64_t)k->c->len * 64 + (1u << 20);
	if (limit > (1u << 28))
		limit = 1u << 28;
	if ((uint64_t)k->n + more > limit)
		return bl_err(BL_ENOMEM, "function too large (%u internal cells)", k->n + more);
	uint32_t cap = k->cap ? k->cap : 256;
	while (cap < k->n + more)
		cap *= 2;
	if (cap > limit)
		cap = (uint32_t)limit;
	union wasm_cell *p = realloc(k->code, cap * sizeof(*p));
	if (!p)
		return bl_err(BL_ENOMEM, "out of memory");
	k->code = p;
	k->cap = cap;
	return 0;
}

/* Emit an instruction: op then n operands. Returns 0 or BL_ENOMEM. */
static int emit(struct comp *k, enum wasm_ir_op op, int n, const uint64_t *ops)
{
	if (dead(k))
		return 0;
	BL_TRY(grow_code(k, (uint32_t)n + 1));
	k->last_op = k->n;
	k->code[k->n++].u = op;
	for (int i = 0; i < n; i++)
		k->code[k->n++].u = ops[i];
	k->last_dst = NO_PATCH;
	return 0;
}

static int emit0(struct comp *k, enum wasm_ir_op op)
{
	return emit(k, op, 0, NULL);
}

#define EMIT(k, op, ...)                                                                           \
	emit((k), (op), (int)(sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t)),             \
	     (uint64_t[]){ __VA_ARGS__ })

/* Emit an instruction whose first operand is the destination of the top value. */
static int emit_dst(struct comp *k, enum wasm_ir_op op, int n, const uint64_t *ops)
{
	BL_TRY(emit(k, op, n, ops));
	if (!dead(k) && k->opt)
		k->last_dst = k->n - (uint32_t)n;
	return 0;
}

#define EMIT_DST(k, op, ...)                                                                       \
	emit_dst((k), (op), (int)(sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t)),         \
	         (uint64_t[]){ __VA_ARGS__ })

static void place_label(struct comp *k)
{
	k->last_dst = NO_PATCH;
	k->last_op = NO_PATCH;
	k->label_here = k->n;
}

/* ---- the operand stack ---- */

static uint32_t own_slot(const struct comp *k, uint32_t height)
{
	return k->nlocals + height;
}

static int materialize_all(struct comp *k);

/* Entries above `clean` before push materialises them all: keeps every scan short. */
#define MAX_UNCLEAN 64u

static int push(struct comp *k, uint8_t t)
{
	if (k->h == k->cap_h) {
		uint32_t cap = k->cap_h ? k->cap_h * 2 : 64;
		if (cap > WASM_MAX_FRAME_SLOTS)
			return fail(k, "operand stack too deep");
		struct entry *p = realloc(k->stk, cap * sizeof(*p));
		if (!p)
			return bl_err(BL_ENOMEM, "out of memory");
		k->stk = p;
		k->cap_h = cap;
	}
	if (k->clean > k->h) /* entries at h and above were popped; the new one may turn pending */
		k->clean = k->h;
	if (k->h - k->clean >= MAX_UNCLEAN)
		BL_TRY(materialize_all(k));
	k->stk[k->h].type = t;
	k->stk[k->h].is_const = false;
	k->stk[k->h].slot = own_slot(k, k->h);
	k->h++;
	if (k->h > k->max_h)
		k->max_h = k->h;
	return 0;
}

/* Pop a value of type `want` (T_UNKNOWN: any); *got gets its actual type. */
static int pop(struct comp *k, uint8_t want, uint8_t *got, uint32_t *slot)
{
	struct ctl *c = &k->ctls[k->nctl - 1];
	if (k->h == c->height) {
		if (c->unreachable) {
			if (got)
				*got = want;
			if (slot)
				*slot = own_slot(k, k->h);
			return 0;
		}
		return fail(k, "type mismatch");
	}
	struct entry e = k->stk[--k->h];
	if (want != T_UNKNOWN && e.type != T_UNKNOWN && e.type != want)
		return fail(k, "type mismatch");
	if (e.is_const) /* the consumer needs it in a slot */
		BL_TRY(EMIT(k, WASM_OP_CONST, e.slot, e.cval));
	if (got)
		*got = e.type == T_UNKNOWN ? want : e.type;
	if (slot)
		*slot = e.slot;
	return 0;
}

static int materialize_at(struct comp *k, uint32_t i)
{
	struct entry *e = &k->stk[i];
	uint32_t own = own_slot(k, i);
	if (e->is_const) {
		e->is_const = false;
		return EMIT(k, WASM_OP_CONST, own, e->cval);
	}
	if (e->slot == own)
		return 0;
	uint32_t from = e->slot;
	e->slot = own;
	return EMIT(k, WASM_OP_COPY, own, from);
}

static int materialize_all(struct comp *k)
{
	for (uint32_t i = k->clean < k->h ? k->clean : k->h; i < k->h; i++)
		BL_TRY(materialize_at(k, i));
	k->clean = k->h;
	return 0;
}

static int materialize_local(struct comp *k, uint32_t local)
{
	for (uint32_t i = k->clean < k->h ? k->clean : k->h; i < k->h; i++)
		if (k->stk[i].slot == local)
			BL_TRY(materialize_at(k, i));
	return 0;
}

static bool is_num(uint8_t t)
{
	return t == WASM_I32 || t == WASM_I64 || t == WASM_F32 || t == WASM_F64;
}

static bool is_ref(uint8_t t)
{
	return t == WASM_FUNCREF || t == WASM_EXTERNREF;
}

/* ---- control frames ---- */

static int push_ctl(struct comp *k, uint8_t kind, uint32_t np, const uint8_t *p, uint32_t nr,
                    const uint8_t *r)
{
	if (k->nctl == k->cap_ctl) {
		uint32_t cap = k->cap_ctl ? k->cap_ctl * 2 : 16;
		struct ctl *q = realloc(k->ctls, cap * sizeof(*q));
		if (!q)
			return bl_err(BL_ENOMEM, "out of memory");
		k->ctls = q;
		k->cap_ctl = cap;
	}
	struct ctl *c = &k->ctls[k->nctl++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->height = k->h - np;
	c->nparams = np;
	c->params = p;
	c->nresults = nr;
	c->results = r;
	c->patch = NO_PATCH;
	c->else_patch = NO_PATCH;
	c->dead = k->nctl > 1 && (k->ctls[k->nctl - 2].unreachable || k->ctls[k->nctl - 2].dead);
	return 0;
}

static void set_unreachable(struct comp *k)
{
	struct ctl *c = &k->ctls[k->nctl - 1];
	k->h = c->height;
	c->unreachable = true;
	k->last_dst = NO_PATCH;
}

static const uint8_t valtype_bytes[256] = {
	[WASM_I32] = WASM_I32, [WASM_I64] = WASM_I64,         [WASM_F32] = WASM_F32,
	[WASM_F64] = WASM_F64, [WASM_FUNCREF] = WASM_FUNCREF, [WASM_EXTERNREF] = WASM_EXTERNREF,
};

/* Resolve a block type into params/results. */
static int block_sig(struct comp *k, int64_t bt, struct ctl *tmp)
{
	if (bt == -0x40) {
		tmp->nparams = tmp->nresults = 0;
		return 0;
	}
	if (bt < 0) {
		/* One result: point into a static table so the pointer outlives the frame. */
		tmp->nparams = 0;
		tmp->nresults = 1;
		tmp->results = &valtype_bytes[(uint8_t)-bt];
		return 0;
	}
	if ((uint64_t)bt >= k->m->ntypes)
		return fail(k, "unknown type");
	const struct wasm_functype *t = &k->m->types[bt];
	tmp->nparams = t->nparams;
	tmp->params = t->types;
	tmp->nresults = t->nresults;
	tmp->results = t->types + t->nparams;
	return 0;
}

static uint32_t label_arity(const struct ctl *c)
{
	return c->kind == CTL_LOOP ? c->nparams : c->nresults;
}

static const uint8_t *label_types(const struct ctl *c)
{
	return c->kind == CTL_LOOP ? c->params : c->results;
}

/* Slot where values branching to c land. */
static uint32_t label_base(const struct comp *k, const struct ctl *c)
{
	return c->kind == CTL_FUNC ? 0 : own_slot(k, c->height);
}

/* Check the label's values are on the stack (without popping). */
static int check_label_values(struct comp *k, const struct ctl *target)
{
	uint32_t n = label_arity(target);
	const uint8_t *t = label_types(target);
	struct ctl *cur = &k->ctls[k->nctl - 1];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t pos = n - 1 - i; /* from the top */
		if (k->h < cur->height + 1 + pos) {
			if (!cur->unreachable)
				return fail(k, "type mismatch");
			continue;
		}
		uint8_t have = k->stk[k->h - 1 - pos].type;
		if (have != T_UNKNOWN && have != t[i])
			return fail(k, "type mismatch");
	}
	return 0;
}

/* Unreachable code: pop the label's types and push them back (spec A.3, br_if). */
static int retype_top(struct comp *k, const struct ctl *target)
{
	uint32_t n = label_arity(target);
	const uint8_t *t = label_types(target);
	for (uint32_t i = n; i-- > 0;)
		BL_TRY(pop(k, t[i], NULL, NULL));
	for (uint32_t i = 0; i < n; i++)
		BL_TRY(push(k, t[i]));
	return 0;
}

/* Emit copies of the top arity values to the label's slots. */
static int emit_branch_copies(struct comp *k, const struct ctl *target)
{
	if (dead(k))
		return 0;
	uint32_t n = label_arity(target);
	uint32_t dst = label_base(k, target);
	if (target->kind == CTL_FUNC && n == 1 && k->last_dst != NO_PATCH &&
	    k->stk[k->h - 1].slot == own_slot(k, k->h - 1) && !k->stk[k->h - 1].is_const &&
	    k->code[k->last_dst].u == own_slot(k, k->h - 1)) {
		/* The result was just computed: compute it into slot 0 instead. */
		k->code[k->last_dst].u = 0;
		k->stk[k->h - 1].slot = 0;
		if (k->clean > k->h - 1)
			k->clean = k->h - 1;
		k->last_dst = NO_PATCH;
	}
	/*
	 * The copies run in order 0..n-1, so a source in [dst, dst + i) would be
	 * overwritten before copy i reads it. That happens only for the function's
	 * label (dst 0: the results land on the params and locals) with pending
	 * local.gets, e.g. "local.get 1 local.get 0 return": move such a source
	 * to its own stack slot first. Own slots are safe (own slot of value i >=
	 * dst + i), and the stack entries are left alone: this code may sit on a
	 * branch path only (br_if), where the fall-through still reads the locals.
	 */
	for (uint32_t i = 0; i < n; i++) {
		const struct entry *e = &k->stk[k->h - n + i];
		if (!e->is_const && e->slot >= dst && e->slot < dst + i)
			BL_TRY(EMIT(k, WASM_OP_COPY, own_slot(k, k->h - n + i), e->slot));
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct entry *e = &k->stk[k->h - n + i];
		uint32_t src = e->slot;
		if (!e->is_const && src >= dst && src < dst + i)
			src = own_slot(k, k->h - n + i);
		if (e->is_const)
			BL_TRY(EMIT(k, WASM_OP_CONST, dst + i, e->cval));
		else if (src != dst + i)
			BL_TRY(EMIT(k, WASM_OP_COPY, dst + i, src));
	}
	return 0;
}

/* Emit a jump to target: the cell at `cell` receives the label. */
static void link_label(struct comp *k, struct ctl *target, uint32_t cell)
{
	if (target->kind == CTL_LOOP) {
		k->code[cell].u = target->label;
	} else {
		k->code[cell].u = target->patch;
		target->patch = cell;
	}
}

static int emit_br(struct comp *k, struct ctl *target)
{
	if (dead(k))
		return 0;
	BL_TRY(emit_branch_copies(k, target));
	if (target->kind == CTL_FUNC) /* results are in place: return right here */
		return emit0(k, WASM_OP_RETURN);
	BL_TRY(EMIT(k, WASM_OP_BR, 0));
	link_label(k, target, k->n - 1);
	return 0;
}

static void patch_chain(struct comp *k, uint32_t head, uint32_t at)
{
	while (head != NO_PATCH) {
		uint32_t next = (uint32_t)k->code[head].u;
		k->code[head].u = at;
		head = next;
	}
}

static int get_depth(struct comp *k, struct ctl **target)
{
	uint32_t d = 0;
	BL_TRY(bl_cur_leb_u32(k->c, &d));
	if (d >= k->nctl)
		return fail(k, "unknown label");
	*target = &k->ctls[k->nctl - 1 - d];
	return 0;
}

static bool branch_needs_copies(struct comp *k, const struct ctl *t)
{
	uint32_t n = label_arity(t);
	uint32_t dst = label_base(k, t);
	for (uint32_t i = 0; i < n; i++)
		if (k->stk[k->h - n + i].is_const || k->stk[k->h - n + i].slot != dst + i)
			return true;
	return false;
}

/* The branch form of an i32 comparison: when it is true, or (negate) false. */
static enum wasm_ir_op branch_form(enum wasm_ir_op op, bool negate)
{
	switch (op) {
	case WASM_OP_I32_EQZ: return negate ? WASM_OP_BR_IF_I32_NEZ : WASM_OP_BR_IF_I32_EQZ;
#define BF(c, n)                                                                                   \
	case WASM_OP_I32_##c: return negate ? WASM_OP_BR_IF_I32_##n : WASM_OP_BR_IF_I32_##c;       \
	case WASM_OP_I32_##c##_I:                                                                  \
		return negate ? WASM_OP_BR_IF_I32_##n##_I : WASM_OP_BR_IF_I32_##c##_I;
		BF(EQ, NE)
		BF(NE, EQ)
		BF(LT_S, GE_S)
		BF(LT_U, GE_U)
		BF(GT_S, LE_S)
		BF(GT_U, LE_U)
		BF(LE_S, GT_S)
		BF(LE_U, GT_U)
		BF(GE_S, LT_S)
		BF(GE_U, LT_U)
#undef BF
	default: return WASM_OP_COUNT_;
	}
}

/*
 * If the last instruction emitted is an i32 comparison whose result is `cond`
 * (and nothing was emitted since), rewrite it in place into a
 * compare-and-branch; the label cell is then the last cell. Sets *fused.
 */
static int fuse_branch(struct comp *k, uint32_t cond, bool negate, bool *fused)
{
	*fused = false;
	uint32_t at = k->last_op;
	if (dead(k) || at == NO_PATCH || k->last_dst != at + 1 || k->code[at + 1].u != cond)
		return 0;
	enum wasm_ir_op f = branch_form((enum wasm_ir_op)k->code[at].u, negate);
	if (f == WASM_OP_COUNT_)
		return 0;
	uint32_t nops = wasm_ir_ncells[k->code[at].u]; /* dst + operands */
	k->code[at].u = f;
	for (uint32_t i = 1; i < nops; i++)
		k->code[at + i].u = k->code[at + i + 1].u;
	k->n = at + nops;
	BL_TRY(grow_code(k, 1));
	k->code[k->n++].u = 0;
	k->last_dst = NO_PATCH;
	k->last_op = NO_PATCH;
	*fused = true;
	return 0;
}

static int op_br_if(struct comp *k)
{
	struct ctl *t;
	uint32_t cond = 0;
	BL_TRY(get_depth(k, &t));
	BL_TRY(pop(k, WASM_I32, NULL, &cond));
	BL_TRY(check_label_values(k, t));
	if (dead(k))
		return retype_top(k, t);
	/* Keep the values; types of the label replace the stack's (spec). */
	if (!branch_needs_copies(k, t)) {
		bool fused;
		BL_TRY(fuse_branch(k, cond, false, &fused));
		if (fused) {
			link_label(k, t, k->n - 1);
			return 0;
		}
		BL_TRY(EMIT(k, WASM_OP_BR_IF, cond, 0));
		link_label(k, t, k->n - 1);
		return 0;
	}
	BL_TRY(EMIT(k, WASM_OP_BR_UNLESS, cond, 0));
	uint32_t skip = k->n - 1;
	BL_TRY(emit_br(k, t));
	place_label(k);
	k->code[skip].u = k->n;
	return 0;
}

static int op_br_table(struct comp *k)
{
	uint32_t n, idx;
	BL_TRY(bl_cur_leb_u32(k->c, &n));
	if (n > bl_cur_left(k->c))
		return fail(k, "unexpected end");
	struct ctl **targets = malloc(((size_t)n + 1) * sizeof(*targets));
	if (!targets)
		return bl_err(BL_ENOMEM, "out of memory");
	int rc = 0;
	for (uint32_t i = 0; i <= n && rc == 0; i++)
		rc = get_depth(k, &targets[i]);
	if (rc < 0)
		goto out_free_targets;
	BL_TRY_GOTO(rc, pop(k, WASM_I32, NULL, &idx), out_free_targets);
	uint32_t arity = label_arity(targets[n]);
	for (uint32_t i = 0; i <= n; i++) {
		if (label_arity(targets[i]) != arity) {
			rc = fail(k, "type mismatch");
			goto out_free_targets;
		}
		BL_TRY_GOTO(rc, check_label_values(k, targets[i]), out_free_targets);
	}
	if (!dead(k)) {
		BL_TRY_GOTO(rc, EMIT(k, WASM_OP_BR_TABLE, idx, n), out_free_targets);
		BL_TRY_GOTO(rc, grow_code(k, n + 1), out_free_targets);
		uint32_t first = k->n;
		k->n += n + 1;
		k->brt_stamp++;
		for (uint32_t i = 0; i <= n; i++) {
			struct ctl *t = targets[i];
			if (!branch_needs_copies(k, t)) {
				link_label(k, t, first + i);
				continue;
			}
			/* One block of copies per distinct target, shared by all its entries. */
			if (t->brt_stamp == k->brt_stamp) {
				k->code[first + i].u = t->brt_label;
				continue;
			}
			place_label(k);
			t->brt_stamp = k->brt_stamp;
			t->brt_label = k->n;
			k->code[first + i].u = k->n;
			BL_TRY_GOTO(rc, emit_br(k, t), out_free_targets);
		}
	}
	set_unreachable(k);
out_free_targets:
	free(targets);
	return rc;
}

static int op_return(struct comp *k)
{
	BL_TRY(check_label_values(k, &k->ctls[0]));
	BL_TRY(emit_br(k, &k->ctls[0]));
	set_unreachable(k);
	return 0;
}

static int op_block(struct comp *k, uint8_t kind)
{
	int64_t bt = 0;
	struct ctl sig = { 0 };
	BL_TRY(wasm_read_blocktype(k->c, &bt));
	BL_TRY(block_sig(k, bt, &sig));
	uint32_t cond = 0;
	if (kind == CTL_IF)
		BL_TRY(pop(k, WASM_I32, NULL, &cond));
	/* Values enter a block in their own slots; then check and retype the params. */
	uint32_t before = k->last_op;
	BL_TRY(materialize_all(k));
	for (uint32_t i = sig.nparams; i-- > 0;)
		BL_TRY(pop(k, sig.params[i], NULL, NULL));
	for (uint32_t i = 0; i < sig.nparams; i++)
		BL_TRY(push(k, sig.params[i]));
	if (kind == CTL_IF && !dead(k)) {
		bool fused = false;
		/* Fuse "compare; if" only when materialising emitted nothing after the compare. */
		if (k->last_op == before)
			BL_TRY(fuse_branch(k, cond, true, &fused));
		if (!fused)
			BL_TRY(EMIT(k, WASM_OP_BR_UNLESS, cond, 0));
	}
	uint32_t else_cell = k->n - 1;
	bool was_dead = dead(k);
	BL_TRY(push_ctl(k, kind, sig.nparams, sig.params, sig.nresults, sig.results));
	struct ctl *c = &k->ctls[k->nctl - 1];
	if (kind == CTL_IF && !was_dead)
		c->else_patch = else_cell;
	if (kind == CTL_LOOP) {
		place_label(k);
		c->label = k->n;
	}
	return 0;
}

/* Pop the block's results and check the stack is back at its entry height. */
static int check_block_end(struct comp *k, struct ctl *c)
{
	for (uint32_t i = c->nresults; i-- > 0;)
		BL_TRY(pop(k, c->results[i], NULL, NULL));
	if (k->h != c->height)
		return fail(k, "type mismatch");
	return 0;
}

static int op_else(struct comp *k)
{
	struct ctl *c = &k->ctls[k->nctl - 1];
	if (c->kind != CTL_IF)
		return fail(k, "else without if");
	BL_TRY(materialize_all(k));
	uint32_t h = k->h;
	BL_TRY(check_block_end(k, c));
	k->h = h;
	/* Then-branch falls through to the end. */
	BL_TRY(emit_br(k, c));
	k->h = c->height;
	c->kind = CTL_ELSE;
	c->unreachable = false;
	place_label(k);
	if (c->else_patch != NO_PATCH)
		k->code[c->else_patch].u = k->n;
	c->else_patch = NO_PATCH;
	for (uint32_t i = 0; i < c->nparams; i++)
		BL_TRY(push(k, c->params[i]));
	return 0;
}

static int op_end(struct comp *k, bool *done)
{
	struct ctl *c = &k->ctls[k->nctl - 1];
	BL_TRY(materialize_all(k));
	if (c->kind == CTL_FUNC) {
		BL_TRY(check_label_values(k, c));
		BL_TRY(emit_branch_copies(k, c));
		BL_TRY(check_block_end(k, c));
		c->unreachable = false;
		place_label(k);
		patch_chain(k, c->patch, k->n);
		BL_TRY(emit0(k, WASM_OP_RETURN));
		*done = true;
		return 0;
	}
	BL_TRY(check_block_end(k, c));
	if (c->kind == CTL_IF) {
		/* No else: the implicit else passes the params through as results. */
		if (c->nparams != c->nresults ||
		    (c->nparams && memcmp(c->params, c->results, c->nparams) != 0))
			return fail(k, "type mismatch");
	}
	uint32_t else_patch = c->else_patch;
	uint32_t patch = c->patch;
	uint32_t nres = c->nresults;
	const uint8_t *res = c->results;
	k->nctl--;
	place_label(k);
	if (else_patch != NO_PATCH)
		k->code[else_patch].u = k->n;
	patch_chain(k, patch, k->n);
	for (uint32_t i = 0; i < nres; i++)
		BL_TRY(push(k, res[i]));
	return 0;
}

/* ---- numeric opcode table ---- */

struct numop {
	uint16_t ir;
	uint8_t a, b, r; /* operand types (b = 0: unary) and result type */
};

#define I32 WASM_I32
#define I64 WASM_I64
#define F32 WASM_F32
#define F64 WASM_F64
#define NOP_(ir, a, b, r)                                                                          \
	{                                                                                          \
		WASM_OP_##ir, a, b, r                                                              \
	}

static const struct numop numops[0xc5 - 0x45] = {
	NOP_(I32_EQZ, I32, 0, I32),           NOP_(I32_EQ, I32, I32, I32),
	NOP_(I32_NE, I32, I32, I32),          NOP_(I32_LT_S, I32, I32, I32),
	NOP_(I32_LT_U, I32, I32, I32),        NOP_(I32_GT_S, I32, I32, I32),
	NOP_(I32_GT_U, I32, I32, I32),        NOP_(I32_LE_S, I32, I32, I32),
	NOP_(I32_LE_U, I32, I32, I32),        NOP_(I32_GE_S, I32, I32, I32),
	NOP_(I32_GE_U, I32, I32, I32),        NOP_(I64_EQZ, I64, 0, I32),
	NOP_(I64_EQ, I64, I64, I32),          NOP_(I64_NE, I64, I64, I32),
	NOP_(I64_LT_S, I64, I64, I32),        NOP_(I64_LT_U, I64, I64, I32),
	NOP_(I64_GT_S, I64, I64, I32),        NOP_(I64_GT_U, I64, I64, I32),
	NOP_(I64_LE_S, I64, I64, I32),        NOP_(I64_LE_U, I64, I64, I32),
	NOP_(I64_GE_S, I64, I64, I32),        NOP_(I64_GE_U, I64, I64, I32),
	NOP_(F32_EQ, F32, F32, I32),          NOP_(F32_NE, F32, F32, I32),
	NOP_(F32_LT, F32, F32, I32),          NOP_(F32_GT, F32, F32, I32),
	NOP_(F32_LE, F32, F32, I32),          NOP_(F32_GE, F32, F32, I32),
	NOP_(F64_EQ, F64, F64, I32),          NOP_(F64_NE, F64, F64, I32),
	NOP_(F64_LT, F64, F64, I32),          NOP_(F64_GT, F64, F64, I32),
	NOP_(F64_LE, F64, F64, I32),          NOP_(F64_GE, F64, F64, I32),
	NOP_(I32_CLZ, I32, 0, I32),           NOP_(I32_CTZ, I32, 0, I32),
	NOP_(I32_POPCNT, I32, 0, I32),        NOP_(I32_ADD, I32, I32, I32),
	NOP_(I32_SUB, I32, I32, I32),         NOP_(I32_MUL, I32, I32, I32),
	NOP_(I32_DIV_S, I32, I32, I32),       NOP_(I32_DIV_U, I32, I32, I32),
	NOP_(I32_REM_S, I32, I32, I32),       NOP_(I32_REM_U, I32, I32, I32),
	NOP_(I32_AND, I32, I32, I32),         NOP_(I32_OR, I32, I32, I32),
	NOP_(I32_XOR, I32, I32, I32),         NOP_(I32_SHL, I32, I32, I32),
	NOP_(I32_SHR_S, I32, I32, I32),       NOP_(I32_SHR_U, I32, I32, I32),
	NOP_(I32_ROTL, I32, I32, I32),        NOP_(I32_ROTR, I32, I32, I32),
	NOP_(I64_CLZ, I64, 0, I64),           NOP_(I64_CTZ, I64, 0, I64),
	NOP_(I64_POPCNT, I64, 0, I64),        NOP_(I64_ADD, I64, I64, I64),
	NOP_(I64_SUB, I64, I64, I64),         NOP_(I64_MUL, I64, I64, I64),
	NOP_(I64_DIV_S, I64, I64, I64),       NOP_(I64_DIV_U, I64, I64, I64),
	NOP_(I64_REM_S, I64, I64, I64),       NOP_(I64_REM_U, I64, I64, I64),
	NOP_(I64_AND, I64, I64, I64),         NOP_(I64_OR, I64, I64, I64),
	NOP_(I64_XOR, I64, I64, I64),         NOP_(I64_SHL, I64, I64, I64),
	NOP_(I64_SHR_S, I64, I64, I64),       NOP_(I64_SHR_U, I64, I64, I64),
	NOP_(I64_ROTL, I64, I64, I64),        NOP_(I64_ROTR, I64, I64, I64),
	NOP_(F32_ABS, F32, 0, F32),           NOP_(F32_NEG, F32, 0, F32),
	NOP_(F32_CEIL, F32, 0, F32),          NOP_(F32_FLOOR, F32, 0, F32),
	NOP_(F32_TRUNC, F32, 0, F32),         NOP_(F32_NEAREST, F32, 0, F32),
	NOP_(F32_SQRT, F32, 0, F32),          NOP_(F32_ADD, F32, F32, F32),
	NOP_(F32_SUB, F32, F32, F32),         NOP_(F32_MUL, F32, F32, F32),
	NOP_(F32_DIV, F32, F32, F32),         NOP_(F32_MIN, F32, F32, F32),
	NOP_(F32_MAX, F32, F32, F32),         NOP_(F32_COPYSIGN, F32, F32, F32),
	NOP_(F64_ABS, F64, 0, F64),           NOP_(F64_NEG, F64, 0, F64),
	NOP_(F64_CEIL, F64, 0, F64),          NOP_(F64_FLOOR, F64, 0, F64),
	NOP_(F64_TRUNC, F64, 0, F64),         NOP_(F64_NEAREST, F64, 0, F64),
	NOP_(F64_SQRT, F64, 0, F64),          NOP_(F64_ADD, F64, F64, F64),
	NOP_(F64_SUB, F64, F64, F64),         NOP_(F64_MUL, F64, F64, F64),
	NOP_(F64_DIV, F64, F64, F64),         NOP_(F64_MIN, F64, F64, F64),
	NOP_(F64_MAX, F64, F64, F64),         NOP_(F64_COPYSIGN, F64, F64, F64),
	NOP_(I32_WRAP_I64, I64, 0, I32),      NOP_(I32_TRUNC_F32_S, F32, 0, I32),
	NOP_(I32_TRUNC_F32_U, F32, 0, I32),   NOP_(I32_TRUNC_F64_S, F64, 0, I32),
	NOP_(I32_TRUNC_F64_U, F64, 0, I32),   NOP_(I64_EXTEND_I32_S, I32, 0, I64),
	NOP_(I64_EXTEND_I32_U, I32, 0, I64),  NOP_(I64_TRUNC_F32_S, F32, 0, I64),
	NOP_(I64_TRUNC_F32_U, F32, 0, I64),   NOP_(I64_TRUNC_F64_S, F64, 0, I64),
	NOP_(I64_TRUNC_F64_U, F64, 0, I64),   NOP_(F32_CONVERT_I32_S, I32, 0, F32),
	NOP_(F32_CONVERT_I32_U, I32, 0, F32), NOP_(F32_CONVERT_I64_S, I64, 0, F32),
	NOP_(F32_CONVERT_I64_U, I64, 0, F32), NOP_(F32_DEMOTE_F64, F64, 0, F32),
	NOP_(F64_CONVERT_I32_S, I32, 0, F64), NOP_(F64_CONVERT_I32_U, I32, 0, F64),
	NOP_(F64_CONVERT_I64_S, I64, 0, F64), NOP_(F64_CONVERT_I64_U, I64, 0, F64),
	NOP_(F64_PROMOTE_F32, F32, 0, F64),   { WASM_OP_COUNT_, F32, 0, I32 },
	{ WASM_OP_COUNT_, F64, 0, I64 },      { WASM_OP_COUNT_, I32, 0, F32 },
	{ WASM_OP_COUNT_, I64, 0, F64 },      NOP_(I32_EXTEND8_S, I32, 0, I32),
	NOP_(I32_EXTEND16_S, I32, 0, I32),    NOP_(I64_EXTEND8_S, I64, 0, I64),
	NOP_(I64_EXTEND16_S, I64, 0, I64),    NOP_(I64_EXTEND32_S, I64, 0, I64),
};

static const struct numop satops[8] = {
	NOP_(I32_TRUNC_SAT_F32_S, F32, 0, I32), NOP_(I32_TRUNC_SAT_F32_U, F32, 0, I32),
	NOP_(I32_TRUNC_SAT_F64_S, F64, 0, I32), NOP_(I32_TRUNC_SAT_F64_U, F64, 0, I32),
	NOP_(I64_TRUNC_SAT_F32_S, F32, 0, I64), NOP_(I64_TRUNC_SAT_F32_U, F32, 0, I64),
	NOP_(I64_TRUNC_SAT_F64_S, F64, 0, I64), NOP_(I64_TRUNC_SAT_F64_U, F64, 0, I64),
};

static enum wasm_ir_op imm_form(enum wasm_ir_op op)
{
	switch (op) {
#define IMMF(b)                                                                                    \
	case WASM_OP_##b: return WASM_OP_##b##_I;
		WASM_IR_IMM_BASES(IMMF)
#undef IMMF
	default: return WASM_OP_COUNT_;
	}
}

static bool commutes(enum wasm_ir_op op)
{
	switch (op) {
	case WASM_OP_I32_ADD:
	case WASM_OP_I32_MUL:
	case WASM_OP_I32_AND:
	case WASM_OP_I32_OR:
	case WASM_OP_I32_XOR:
	case WASM_OP_I32_EQ:
	case WASM_OP_I32_NE:
	case WASM_OP_I64_ADD:
	case WASM_OP_I64_MUL:
	case WASM_OP_I64_AND:
	case WASM_OP_I64_OR:
	case WASM_OP_I64_XOR: return true;
	default: return false;
	}
}

/* Binary operator with a pending constant operand: emit its *_I form. Sets *done. */
static int op_numeric_imm(struct comp *k, const struct numop *o, bool *done)
{
	*done = false;
	enum wasm_ir_op f = imm_form((enum wasm_ir_op)o->ir);
	struct ctl *c = &k->ctls[k->nctl - 1];
	if (f == WASM_OP_COUNT_ || dead(k) || k->h < c->height + 2)
		return 0;
	struct entry *eb = &k->stk[k->h - 1], *ea = &k->stk[k->h - 2];
	if (ea->type != o->a || eb->type != o->b)
		return 0; /* let pop() report the mismatch */
	struct entry cst, var;
	if (eb->is_const) {
		cst = *eb;
		var = *ea;
	} else if (ea->is_const && commutes((enum wasm_ir_op)o->ir)) {
		cst = *ea;
		var = *eb;
	} else if (ea->is_const && (o->ir == WASM_OP_I32_SUB || o->ir == WASM_OP_I64_SUB)) {
		cst = *ea;
		var = *eb;
		f = o->ir == WASM_OP_I32_SUB ? WASM_OP_I32_RSUB_I : WASM_OP_I64_RSUB_I;
	} else {
		return 0;
	}
	k->h -= 2;
	if (var.is_const) { /* both constant: materialise the left one */
		BL_TRY(EMIT(k, WASM_OP_CONST, own_slot(k, k->h), var.cval));
		var.slot = own_slot(k, k->h);
	}
	uint32_t dst = own_slot(k, k->h);
	BL_TRY(push(k, o->r));
	uint64_t imm = o->a == WASM_I32 ? (uint32_t)cst.cval : cst.cval;
	*done = true;
	return EMIT_DST(k, f, dst, var.slot, imm);
}

static int op_numeric(struct comp *k, const struct numop *o)
{
	uint32_t a, b = 0;
	if (o->b) {
		bool done;
		BL_TRY(op_numeric_imm(k, o, &done));
		if (done)
			return 0;
	}
	if (o->b)
		BL_TRY(pop(k, o->b, NULL, &b));
	BL_TRY(pop(k, o->a, NULL, &a));
	uint32_t dst = own_slot(k, k->h);
	BL_TRY(push(k, o->r));
	if (o->ir == WASM_OP_COUNT_) { /* reinterpret: same bits, new type */
		if (!dead(k))
			k->stk[k->h - 1].slot = a;
		return 0;
	}
	if (o->b)
		return EMIT_DST(k, (enum wasm_ir_op)o->ir, dst, a, b);
	return EMIT_DST(k, (enum wasm_ir_op)o->ir, dst, a);
}

/* ---- memory ---- */

struct memop {
	uint16_t ir;
	uint8_t t; /* value type */
	uint8_t align; /* natural alignment, log2 */
	bool store;
};

static const struct memop memops[0x3f - 0x28] = {
	{ WASM_OP_I32_LOAD, I32, 2, 0 },     { WASM_OP_I64_LOAD, I64, 3, 0 },
	{ WASM_OP_F32_LOAD, F32, 2, 0 },     { WASM_OP_F64_LOAD, F64, 3, 0 },
	{ WASM_OP_I32_LOAD8_S, I32, 0, 0 },  { WASM_OP_I32_LOAD8_U, I32, 0, 0 },
	{ WASM_OP_I32_LOAD16_S, I32, 1, 0 }, { WASM_OP_I32_LOAD16_U, I32, 1, 0 },
	{ WASM_OP_I64_LOAD8_S, I64, 0, 0 },  { WASM_OP_I64_LOAD8_U, I64, 0, 0 },
	{ WASM_OP_I64_LOAD16_S, I64, 1, 0 }, { WASM_OP_I64_LOAD16_U, I64, 1, 0 },
	{ WASM_OP_I64_LOAD32_S, I64, 2, 0 }, { WASM_OP_I64_LOAD32_U, I64, 2, 0 },
	{ WASM_OP_I32_STORE, I32, 2, 1 },    { WASM_OP_I64_STORE, I64, 3, 1 },
	{ WASM_OP_F32_STORE, F32, 2, 1 },    { WASM_OP_F64_STORE, F64, 3, 1 },
	{ WASM_OP_I32_STORE8, I32, 0, 1 },   { WASM_OP_I32_STORE16, I32, 1, 1 },
	{ WASM_OP_I64_STORE8, I64, 0, 1 },   { WASM_OP_I64_STORE16, I64, 1, 1 },
	{ WASM_OP_I64_STORE32, I64, 2, 1 },
};

static int need_mem(struct comp *k)
{
	if (k->m->nmems == 0)
		return fail(k, "unknown memory 0");
	return 0;
}

static bool top_is_const(const struct comp *k, uint8_t t)
{
	return !dead(k) && k->h > k->ctls[k->nctl - 1].height && k->stk[k->h - 1].is_const &&
	       k->stk[k->h - 1].type == t;
}

static int op_mem(struct comp *k, const struct memop *o)
{
	uint32_t align, off, a, v = 0;
	BL_TRY(bl_cur_leb_u32(k->c, &align));
	BL_TRY(bl_cur_leb_u32(k->c, &off));
	BL_TRY(need_mem(k));
	if (align > o->align)
		return fail(k, "alignment must not be larger than natural");
	if (o->store) {
		if (top_is_const(k, o->t) && k->stk[k->h - 1].cval == 0) {
			k->h--; /* storing zero: read it from the zero slot */
			v = k->zero_slot;
		} else {
			BL_TRY(pop(k, o->t, NULL, &v));
		}
		if (top_is_const(k, WASM_I32)) { /* constant address c: zero slot + immediate c */
			uint64_t c = (uint32_t)k->stk[--k->h].cval;
			return EMIT(k, (enum wasm_ir_op)o->ir, k->zero_slot, v, off, c);
		}
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		uint32_t at = k->last_op;
		if (!dead(k) && at != NO_PATCH && k->code[at].u == WASM_OP_I32_ADD_I &&
		    k->last_dst == at + 1 && k->code[at + 1].u == a && a == own_slot(k, k->h) &&
		    v != a) {
			/* "i32.add (x, c); store" -> store with x and c, as for loads. */
			uint64_t base = k->code[at + 2].u, imm = k->code[at + 3].u;
			k->code[at].u = o->ir;
			k->code[at + 1].u = base;
			k->code[at + 2].u = v;
			k->code[at + 3].u = off;
			BL_TRY(grow_code(k, 1));
			k->code[k->n++].u = imm;
			k->last_dst = NO_PATCH;
			k->last_op = NO_PATCH;
			return 0;
		}
		return EMIT(k, (enum wasm_ir_op)o->ir, a, v, off, 0);
	}
	if (top_is_const(k, WASM_I32)) { /* constant address c: zero slot + immediate c */
		uint64_t c = (uint32_t)k->stk[--k->h].cval;
		uint32_t d = own_slot(k, k->h);
		BL_TRY(push(k, o->t));
		return EMIT_DST(k, (enum wasm_ir_op)o->ir, d, k->zero_slot, c, off);
	}
	BL_TRY(pop(k, WASM_I32, NULL, &a));
	uint32_t dst = own_slot(k, k->h);
	BL_TRY(push(k, o->t));
	uint32_t at = k->last_op;
	if (!dead(k) && at != NO_PATCH && k->code[at].u == WASM_OP_I32_ADD_I &&
	    k->last_dst == at + 1 && k->code[at + 1].u == a && a == dst) {
		/* "i32.add (x, c); load" -> load with x and c: the sum was only the address. */
		k->code[at].u = o->ir;
		BL_TRY(grow_code(k, 1));
		k->code[k->n++].u = off;
		k->last_dst = at + 1;
		return 0;
	}
	return EMIT_DST(k, (enum wasm_ir_op)o->ir, dst, a, 0, off);
}

static int zero_byte(struct comp *k)
{
	uint8_t b = 0;
	BL_TRY(bl_cur_u8(k->c, &b));
	if (b != 0)
		return fail(k, "zero byte expected");
	return 0;
}

static int read_idx(struct comp *k, uint32_t lim, const char *what, uint32_t *x)
{
	BL_TRY(bl_cur_leb_u32(k->c, x));
	if (*x >= lim)
		return fail(k, what);
	return 0;
}

/* ---- calls ---- */

static int emit_call_sig(struct comp *k, const struct wasm_functype *t, uint32_t *base)
{
	for (uint32_t i = t->nparams; i-- > 0;)
		BL_TRY(pop(k, t->types[i], NULL, NULL));
	*base = own_slot(k, k->h);
	return 0;
}

static int push_results(struct comp *k, const struct wasm_functype *t)
{
	for (uint32_t i = 0; i < t->nresults; i++)
		BL_TRY(push(k, t->types[t->nparams + i]));
	return 0;
}

static int op_call(struct comp *k)
{
	uint32_t f, base;
	BL_TRY(read_idx(k, k->m->nfuncs, "unknown function", &f));
	const struct wasm_functype *t = &k->m->types[k->m->func_types[f]];
	BL_TRY(materialize_all(k));
	BL_TRY(emit_call_sig(k, t, &base));
	BL_TRY(EMIT(k, WASM_OP_CALL, f, base));
	return push_results(k, t);
}

static int op_call_indirect(struct comp *k)
{
	uint32_t ti, tab, base, idx;
	BL_TRY(read_idx(k, k->m->ntypes, "unknown type", &ti));
	BL_TRY(read_idx(k, k->m->ntables, "unknown table", &tab));
	if (k->m->tables[tab].elem != WASM_FUNCREF)
		return fail(k, "type mismatch");
	const struct wasm_functype *t = &k->m->types[ti];
	BL_TRY(materialize_all(k));
	BL_TRY(pop(k, WASM_I32, NULL, &idx));
	BL_TRY(emit_call_sig(k, t, &base));
	BL_TRY(EMIT(k, WASM_OP_CALL_INDIRECT, t->canon, tab, base, idx));
	return push_results(k, t);
}

/* ---- the 0xFC prefix ---- */

static int op_fc(struct comp *k)
{
	uint32_t sub, x = 0, y = 0, a = 0, b = 0, c = 0, dst;
	const struct wasm_module *m = k->m;
	uint8_t t = 0;
	BL_TRY(bl_cur_leb_u32(k->c, &sub));
	if (sub < 8)
		return op_numeric(k, &satops[sub]);
	switch (sub) {
	case 8: /* memory.init */
		BL_TRY(bl_cur_leb_u32(k->c, &x));
		BL_TRY(zero_byte(k));
		BL_TRY(need_mem(k));
		if (!m->has_datacount)
			return fail(k, "data count section required");
		if (x >= m->datacount)
			return fail(k, "unknown data segment");
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_MEMORY_INIT, x, a, b, c);
	case 9: /* data.drop */
		BL_TRY(bl_cur_leb_u32(k->c, &x));
		if (!m->has_datacount)
			return fail(k, "data count section required");
		if (x >= m->datacount)
			return fail(k, "unknown data segment");
		return EMIT(k, WASM_OP_DATA_DROP, x);
	case 10: /* memory.copy */
		BL_TRY(zero_byte(k));
		BL_TRY(zero_byte(k));
		BL_TRY(need_mem(k));
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_MEMORY_COPY, a, b, c);
	case 11: /* memory.fill */
		BL_TRY(zero_byte(k));
		BL_TRY(need_mem(k));
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_MEMORY_FILL, a, b, c);
	case 12: /* table.init elem table */
		BL_TRY(read_idx(k, m->nelems, "unknown elem segment", &y));
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		if (m->tables[x].elem != m->elems[y].type)
			return fail(k, "type mismatch");
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_TABLE_INIT, x, y, a, b, c);
	case 13:
		BL_TRY(read_idx(k, m->nelems, "unknown elem segment", &x));
		return EMIT(k, WASM_OP_ELEM_DROP, x);
	case 14: /* table.copy dst src */
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		BL_TRY(read_idx(k, m->ntables, "unknown table", &y));
		if (m->tables[x].elem != m->tables[y].elem)
			return fail(k, "type mismatch");
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_TABLE_COPY, x, y, a, b, c);
	case 15: /* table.grow */
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		t = m->tables[x].elem;
		BL_TRY(pop(k, WASM_I32, NULL, &b));
		BL_TRY(pop(k, t, NULL, &a));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_I32));
		return EMIT_DST(k, WASM_OP_TABLE_GROW, dst, x, a, b);
	case 16: /* table.size */
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_I32));
		return EMIT_DST(k, WASM_OP_TABLE_SIZE, dst, x);
	case 17: /* table.fill */
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		t = m->tables[x].elem;
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, t, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_TABLE_FILL, x, a, b, c);
	default: return fail(k, "illegal opcode");
	}
}

/* ---- locals ---- */

static int read_locals(struct comp *k, struct bl_cur *c)
{
	uint32_t ngroups = 0;
	uint64_t total = k->ft->nparams;
	BL_TRY(bl_cur_leb_u32(c, &ngroups));
	size_t save = c->pos;
	for (uint32_t i = 0; i < ngroups; i++) {
		uint32_t cnt = 0;
		uint8_t t = 0;
		BL_TRY(bl_cur_leb_u32(c, &cnt));
		BL_TRY(wasm_read_valtype(c, &t));
		total += cnt;
		if (total > UINT32_MAX)
			return fail(k, "too many locals");
	}
	if (total > WASM_MAX_LOCALS)
		return bl_err(BL_ERANGE, "too many locals (%llu > %u)", (unsigned long long)total,
		              WASM_MAX_LOCALS);
	k->local_types = malloc(total + 1);
	if (!k->local_types)
		return bl_err(BL_ENOMEM, "out of memory");
	memcpy(k->local_types, k->ft->types, k->ft->nparams);
	c->pos = save;
	uint32_t at = k->ft->nparams;
	for (uint32_t i = 0; i < ngroups; i++) {
		uint32_t cnt = 0;
		uint8_t t = 0;
		BL_TRY(bl_cur_leb_u32(c, &cnt));
		BL_TRY(wasm_read_valtype(c, &t));
		memset(k->local_types + at, t, cnt);
		at += cnt;
	}
	k->nwlocals = (uint32_t)total;
	k->zero_slot = (uint32_t)total;
	k->nlocals = (uint32_t)total + 1;
	return 0;
}

/* ---- the main loop ---- */

/* i32/i64 constants stay pending until used (see op_numeric_imm). */
static int push_const(struct comp *k, uint8_t t, uint64_t v)
{
	if (!k->opt) {
		uint32_t dst = own_slot(k, k->h);
		BL_TRY(push(k, t));
		return EMIT(k, WASM_OP_CONST, dst, v);
	}
	BL_TRY(push(k, t));
	if (!dead(k)) {
		k->stk[k->h - 1].is_const = true;
		k->stk[k->h - 1].cval = v;
	}
	return 0;
}

static int compile_op(struct comp *k, uint8_t op, bool *done)
{
	const struct wasm_module *m = k->m;
	uint32_t x = 0, a = 0, b = 0, c = 0, dst;
	uint8_t t1, t2;
	switch (op) {
	case 0x00:
		BL_TRY(emit0(k, WASM_OP_UNREACHABLE));
		set_unreachable(k);
		return 0;
	case 0x01: return 0;
	case 0x02: return op_block(k, CTL_BLOCK);
	case 0x03: return op_block(k, CTL_LOOP);
	case 0x04: return op_block(k, CTL_IF);
	case 0x05: return op_else(k);
	case 0x0b: return op_end(k, done);
	case 0x0c: {
		struct ctl *t;
		BL_TRY(get_depth(k, &t));
		BL_TRY(check_label_values(k, t));
		BL_TRY(emit_br(k, t));
		set_unreachable(k);
		return 0;
	}
	case 0x0d: return op_br_if(k);
	case 0x0e: return op_br_table(k);
	case 0x0f: return op_return(k);
	case 0x10: return op_call(k);
	case 0x11: return op_call_indirect(k);
	case 0x1a: /* drop: a pending constant simply disappears */
		if (k->h > k->ctls[k->nctl - 1].height && k->stk[k->h - 1].is_const) {
			k->h--;
			return 0;
		}
		return pop(k, T_UNKNOWN, NULL, NULL);
	case 0x1b:
	case 0x1c: {
		uint8_t want = T_UNKNOWN;
		if (op == 0x1c) {
			uint32_t n = 0;
			BL_TRY(bl_cur_leb_u32(k->c, &n));
			if (n != 1)
				return fail(k, "invalid result arity");
			BL_TRY(wasm_read_valtype(k->c, &want));
		}
		BL_TRY(pop(k, WASM_I32, NULL, &c));
		BL_TRY(pop(k, want, &t2, &b));
		BL_TRY(pop(k, want == T_UNKNOWN ? t2 : want, &t1, &a));
		if (op == 0x1b) {
			uint8_t t = t1 != T_UNKNOWN ? t1 : t2;
			if (t != T_UNKNOWN && !is_num(t))
				return fail(k, "type mismatch");
			if (t1 != T_UNKNOWN && t2 != T_UNKNOWN && t1 != t2)
				return fail(k, "type mismatch");
			want = t;
		}
		dst = own_slot(k, k->h);
		BL_TRY(push(k, want));
		return EMIT_DST(k, WASM_OP_SELECT, dst, a, b, c);
	}
	case 0x20: /* local.get: pending entry, no code */
		BL_TRY(read_idx(k, k->nwlocals, "unknown local", &x));
		if (!k->opt) {
			dst = own_slot(k, k->h);
			BL_TRY(push(k, k->local_types[x]));
			return EMIT(k, WASM_OP_COPY, dst, x);
		}
		BL_TRY(push(k, k->local_types[x]));
		if (!dead(k))
			k->stk[k->h - 1].slot = x;
		k->last_dst = NO_PATCH;
		return 0;
	case 0x21:
	case 0x22: {
		BL_TRY(read_idx(k, k->nwlocals, "unknown local", &x));
		if (!dead(k) && k->h > k->ctls[k->nctl - 1].height && k->stk[k->h - 1].is_const &&
		    k->stk[k->h - 1].type == k->local_types[x]) {
			struct entry e = k->stk[--k->h];
			BL_TRY(materialize_local(k, x));
			BL_TRY(EMIT(k, WASM_OP_CONST, x, e.cval));
			if (op == 0x22)
				BL_TRY(push_const(k, e.type, e.cval));
			return 0;
		}
		uint32_t lastdst = k->last_dst;
		uint32_t top = own_slot(k, k->h - 1);
		BL_TRY(pop(k, k->local_types[x], NULL, &a));
		if (dead(k))
			goto push_tee;
		BL_TRY(materialize_local(k, x));
		if (k->last_dst == lastdst && lastdst != NO_PATCH && a == top &&
		    k->code[lastdst].u == top) {
			/* The last instruction produced the value: write the local directly. */
			k->code[lastdst].u = x;
			k->last_dst = NO_PATCH;
			if (op == 0x22) {
				BL_TRY(push(k, k->local_types[x]));
				k->stk[k->h - 1].slot = x;
			}
			return 0;
		}
		if (a != x)
			BL_TRY(EMIT(k, WASM_OP_COPY, x, a));
	push_tee:
		if (op == 0x22) {
			BL_TRY(push(k, k->local_types[x]));
			if (!dead(k))
				k->stk[k->h - 1].slot = x;
		}
		return 0;
	}
	case 0x23:
		BL_TRY(read_idx(k, m->nglobals, "unknown global", &x));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, m->globals[x].type.type));
		return EMIT_DST(k, WASM_OP_GLOBAL_GET, dst, x);
	case 0x24:
		BL_TRY(read_idx(k, m->nglobals, "unknown global", &x));
		if (!m->globals[x].type.mut)
			return fail(k, "global is immutable");
		BL_TRY(pop(k, m->globals[x].type.type, NULL, &a));
		return EMIT(k, WASM_OP_GLOBAL_SET, x, a);
	case 0x25:
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, m->tables[x].elem));
		return EMIT_DST(k, WASM_OP_TABLE_GET, dst, x, a);
	case 0x26:
		BL_TRY(read_idx(k, m->ntables, "unknown table", &x));
		BL_TRY(pop(k, m->tables[x].elem, NULL, &b));
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		return EMIT(k, WASM_OP_TABLE_SET, x, a, b);
	case 0x3f:
	case 0x40:
		BL_TRY(zero_byte(k));
		BL_TRY(need_mem(k));
		if (op == 0x3f) {
			dst = own_slot(k, k->h);
			BL_TRY(push(k, WASM_I32));
			return EMIT_DST(k, WASM_OP_MEMORY_SIZE, dst);
		}
		BL_TRY(pop(k, WASM_I32, NULL, &a));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_I32));
		return EMIT_DST(k, WASM_OP_MEMORY_GROW, dst, a);
	case 0x41: {
		int32_t v = 0;
		BL_TRY(bl_cur_leb_s32(k->c, &v));
		return push_const(k, WASM_I32, (uint32_t)v);
	}
	case 0x42: {
		int64_t v = 0;
		BL_TRY(bl_cur_leb_s64(k->c, &v));
		return push_const(k, WASM_I64, (uint64_t)v);
	}
	case 0x43: {
		uint32_t v = 0;
		BL_TRY(bl_cur_u32le(k->c, &v));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_F32));
		return EMIT_DST(k, WASM_OP_CONST, dst, v);
	}
	case 0x44: {
		uint64_t v = 0;
		BL_TRY(bl_cur_u64le(k->c, &v));
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_F64));
		return EMIT_DST(k, WASM_OP_CONST, dst, v);
	}
	case 0xd0: {
		uint8_t t = 0;
		uint8_t b0 = 0;
		BL_TRY(bl_cur_u8(k->c, &b0));
		if (b0 != WASM_FUNCREF && b0 != WASM_EXTERNREF)
			return fail(k, "malformed reference type");
		t = b0;
		dst = own_slot(k, k->h);
		BL_TRY(push(k, t));
		return EMIT_DST(k, WASM_OP_CONST, dst, 0);
	}
	case 0xd1: {
		uint8_t t = 0;
		BL_TRY(pop(k, T_UNKNOWN, &t, &a));
		if (t != T_UNKNOWN && !is_ref(t))
			return fail(k, "type mismatch");
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_I32));
		return EMIT_DST(k, WASM_OP_REF_IS_NULL, dst, a);
	}
	case 0xd2:
		BL_TRY(read_idx(k, m->nfuncs, "unknown function", &x));
		if (!m->declared_funcs[x])
			return fail(k, "undeclared function reference");
		dst = own_slot(k, k->h);
		BL_TRY(push(k, WASM_FUNCREF));
		return EMIT_DST(k, WASM_OP_REF_FUNC, dst, x);
	case 0xfc: return op_fc(k);
	default: break;
	}
	if (op >= 0x28 && op <= 0x3e)
		return op_mem(k, &memops[op - 0x28]);
	if (op >= 0x45 && op <= 0xc4)
		return op_numeric(k, &numops[op - 0x45]);
	return fail(k, "illegal opcode");
}

/* ---- the accumulator pass (ir.h, WASM_IR_ACCOPS) ---- */

static enum wasm_ir_op acc_form(uint64_t op)
{
	switch (op) {
#define ACCF(b)                                                                                    \
	case WASM_OP_##b: return WASM_OP_##b##_A;
		WASM_IR_ACC_BASES(ACCF)
		WASM_IR_ACC64_BASES(ACCF)
		WASM_IR_ACCF_BASES(ACCF)
#undef ACCF
	default: return WASM_OP_COUNT_;
	}
}

/* Which accumulator an instruction reads (as a twin) or writes: 1 i32, 2 i64, 3 f64, 0 none. */
static int acc_class(uint64_t op)
{
	switch (op) {
#define ACCW(b)                                                                                    \
	case WASM_OP_##b:                                                                          \
	case WASM_OP_##b##_A:
		WASM_IR_ACC_BASES(ACCW)
	case WASM_OP_I32_LOAD:
	case WASM_OP_I32_LOAD8_S:
	case WASM_OP_I32_LOAD8_U:
	case WASM_OP_I32_LOAD16_S:
	case WASM_OP_I32_LOAD16_U: return 1; WASM_IR_ACC64_BASES(ACCW)
	case WASM_OP_I64_LOAD: return 2; WASM_IR_ACCF_BASES(ACCW)
	case WASM_OP_F64_LOAD: return 3;
#undef ACCW
	default: return 0;
	}
}

/*
 * Operands may swap: integer two-slot forms only (not *_I, whose b is an
 * immediate; not floats, where swapping would change which NaN propagates).
 */
static bool acc_commutes(uint64_t op)
{
	switch (op) {
	case WASM_OP_I32_ADD:
	case WASM_OP_I32_MUL:
	case WASM_OP_I32_AND:
	case WASM_OP_I32_OR:
	case WASM_OP_I32_XOR:
	case WASM_OP_I64_ADD:
	case WASM_OP_I64_MUL:
	case WASM_OP_I64_AND:
	case WASM_OP_I64_OR:
	case WASM_OP_I64_XOR: return true;
	default: return false;
	}
}

/*
 * After all other rewriting: an accumulator operator whose operand a was
 * written by the instruction just before it (and no branch lands between
 * them) takes a from the accumulator. Branch targets are found from the
 * label operands; a call's return lands after CALL, which writes no
 * accumulator, so it needs no mark.
 */
static void acc_pass(union wasm_cell *c, uint32_t n)
{
	bool *target = calloc((size_t)n + 1, sizeof(bool));
	if (!target)
		return; /* an optimisation only */
	for (uint32_t i = 0; i < n;) {
		uint32_t op = (uint32_t)c[i].u, nc = wasm_ir_ncells[op];
		for (uint32_t k = 0; k < nc; k++)
			if (wasm_ir_labels[op] & (1u << k))
				target[c[i + 1 + k].u] = true;
		if (op == WASM_OP_BR_TABLE) {
			uint32_t cnt = (uint32_t)c[i + 2].u + 1;
			for (uint32_t k = 0; k < cnt; k++)
				target[c[i + 3 + k].u] = true;
			nc += cnt;
		}
		i += 1 + nc;
	}
	uint32_t prev = NO_PATCH;
	for (uint32_t i = 0; i < n;) {
		uint32_t op = (uint32_t)c[i].u, nc = wasm_ir_ncells[op];
		if (target[i])
			prev = NO_PATCH;
		enum wasm_ir_op a = acc_form(op);
		if (a != WASM_OP_COUNT_ && prev != NO_PATCH &&
		    acc_class(c[prev].u) == acc_class(op)) {
			if (c[prev + 1].u == c[i + 2].u) {
				c[i].u = a;
			} else if (c[prev + 1].u == c[i + 3].u && acc_commutes(op)) {
				c[i + 3].u = c[i + 2].u; /* b op a: a from the accumulator */
				c[i + 2].u = c[prev + 1].u;
				c[i].u = a;
			}
		}
		if (op == WASM_OP_BR_TABLE)
			nc += (uint32_t)c[i + 2].u + 1;
		prev = i;
		i += 1 + nc;
	}
	free(target);
}

int wasm_compile_body(const struct wasm_module *m, uint32_t defined_index, struct bl_cur *body,
                      struct wasm_code *out)
{
	struct comp k = { 0 };
	int rc;
	k.m = m;
	k.c = body;
	out->type = m->func_types[m->nfunc_imports + defined_index];
	k.ft = &m->types[out->type];
	k.last_dst = NO_PATCH;
	k.last_op = NO_PATCH;
	k.opt = !m->noopt;
	BL_TRY_GOTO(rc, read_locals(&k, body), out_free);
	BL_TRY_GOTO(rc,
	            push_ctl(&k, CTL_FUNC, 0, NULL, k.ft->nresults, k.ft->types + k.ft->nparams),
	            out_free);
	bool done = false;
	while (!done) {
		uint8_t op = 0;
		if (bl_cur_eof(body)) {
			rc = fail(&k, "unexpected end of section or function");
			goto out_free;
		}
		BL_TRY_GOTO(rc, bl_cur_u8(body, &op), out_free);
		BL_TRY_GOTO(rc, compile_op(&k, op, &done), out_free);
		if (!done && k.nctl == 0) {
			rc = fail(&k, "internal: control stack empty");
			goto out_free;
		}
	}
	if (!bl_cur_eof(body)) {
		rc = fail(&k, "section size mismatch: operators after the final end");
		goto out_free;
	}
	out->nparams = k.ft->nparams;
	out->nlocals = k.nlocals;
	out->frame_slots = k.nlocals + k.max_h;
	if (out->frame_slots < k.ft->nresults)
		out->frame_slots = k.ft->nresults;
	if (out->frame_slots > WASM_MAX_FRAME_SLOTS) {
		rc = bl_err(BL_ERANGE, "function frame too large");
		goto out_free;
	}
	if (k.opt)
		acc_pass(k.code, k.n);
	out->cells = k.code;
	out->ncells = k.n;
	k.code = NULL;
	rc = 0;
out_free:
	free(k.code);
	free(k.stk);
	free(k.ctls);
	free(k.local_types);
	return rc;
}
