/*
 * interp.c — the interpreter for the internal instruction set (ir.h).
 *
 * Threaded code: every instruction's opcode cell holds the address of its
 * handler (GCC/clang computed goto), so dispatch is `goto *pc->h` at the end
 * of each handler. Operands are pre-decoded slot indices and immediates; no
 * Wasm byte is read here. Calls push a small frame record (return pc, frame
 * pointer, function) on the store's frame stack; the callee's frame begins at
 * the caller's argument slots. Taken branches and calls check the store's
 * stop flag (interrupt or budget), so a runaway loop can always be stopped.
 *
 * Memory accesses: with guard pages (default) an effective address is
 * base + u32 address + u32 offset, always inside the 8 GiB reservation, so
 * no check is needed and a fault becomes a trap in runtime.c. With
 * WASM_BOUNDS_CHECKS every access is compared with the memory size.
 */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "wasm/module.h"

#define X_NCELLS(name, n, m) n,
#define X_LABELS(name, n, m) m,
#define X_NAMES(name, n, m) #name,
const uint8_t wasm_ir_ncells[WASM_OP_COUNT_] = { WASM_IR_ALL(X_NCELLS) };
const uint8_t wasm_ir_labels[WASM_OP_COUNT_] = { WASM_IR_ALL(X_LABELS) };
const char *const wasm_ir_names[WASM_OP_COUNT_] = { WASM_IR_ALL(X_NAMES) };

static int run(struct wasm_store *s, struct wasm_func *entry, wasm_slot_t *fp0,
               const void *const **table);

void wasm_ir_thread(struct wasm_code *code)
{
	const void *const *tbl;
	(void)run(NULL, NULL, NULL, &tbl);
	union wasm_cell *c = code->cells;
	uint32_t i = 0;
	while (i < code->ncells) {
		uint32_t op = (uint32_t)c[i].u;
		uint32_t n = wasm_ir_ncells[op];
		uint8_t lm = wasm_ir_labels[op];
		c[i].h = tbl[op];
		for (uint32_t k = 0; k < n; k++)
			if (lm & (1u << k))
				c[i + 1 + k].l = code->cells + c[i + 1 + k].u;
		if (op == WASM_OP_BR_TABLE) {
			uint32_t cnt = (uint32_t)c[i + 2].u + 1;
			for (uint32_t k = 0; k < cnt; k++)
				c[i + 3 + k].l = code->cells + c[i + 3 + k].u;
			n += cnt;
		}
		i += 1 + n;
	}
	code->threaded = true;
}

void wasm_ir_dump(const struct wasm_code *code, uint32_t index, FILE *out)
{
	const union wasm_cell *c = code->cells;
	uint32_t i = 0;
	fprintf(out, "func %u: %u locals, %u slots\n", index, code->nlocals, code->frame_slots);
	while (i < code->ncells) {
		uint32_t op = (uint32_t)c[i].u;
		uint32_t n = wasm_ir_ncells[op];
		if (op == WASM_OP_BR_TABLE)
			n += (uint32_t)c[i + 2].u + 1;
		fprintf(out, "  %5u %s", i, wasm_ir_names[op]);
		for (uint32_t k = 0; k < n; k++)
			fprintf(out, " %lld", (long long)c[i + 1 + k].i);
		fputc('\n', out);
		i += 1 + n;
	}
}

/* ---- float helpers (spec 4.3.3) ---- */

static inline uint32_t f32_bits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}
static inline uint64_t f64_bits(double f)
{
	uint64_t u;
	memcpy(&u, &f, 8);
	return u;
}

static inline float f32_min(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return (f32_bits(a) | f32_bits(b)) & 0x80000000u ? -0.0f : 0.0f;
	return a < b ? a : b;
}
static inline float f32_max(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return (f32_bits(a) & f32_bits(b)) & 0x80000000u ? -0.0f : 0.0f;
	return a > b ? a : b;
}
static inline double f64_min(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return (f64_bits(a) | f64_bits(b)) & (1ull << 63) ? -0.0 : 0.0;
	return a < b ? a : b;
}
static inline double f64_max(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == 0 && b == 0)
		return (f64_bits(a) & f64_bits(b)) & (1ull << 63) ? -0.0 : 0.0;
	return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t x, uint32_t n)
{
	n &= 31;
	return n ? (x << n) | (x >> (32 - n)) : x;
}
static inline uint32_t rotr32(uint32_t x, uint32_t n)
{
	n &= 31;
	return n ? (x >> n) | (x << (32 - n)) : x;
}
static inline uint64_t rotl64(uint64_t x, uint64_t n)
{
	n &= 63;
	return n ? (x << n) | (x >> (64 - n)) : x;
}
static inline uint64_t rotr64(uint64_t x, uint64_t n)
{
	n &= 63;
	return n ? (x >> n) | (x << (64 - n)) : x;
}

/* Saturating truncations (spec 4.3.3, trunc_sat). */
static inline uint32_t sat_i32_s(double x)
{
	if (x != x)
		return 0;
	if (x <= -2147483648.0)
		return 0x80000000u;
	if (x >= 2147483647.0)
		return 0x7fffffffu;
	return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_i32_u(double x)
{
	if (x != x || x <= 0)
		return 0;
	if (x >= 4294967295.0)
		return 0xffffffffu;
	return (uint32_t)x;
}
static inline uint64_t sat_i64_s(double x)
{
	if (x != x)
		return 0;
	if (x < -9223372036854775808.0)
		return 0x8000000000000000ull;
	if (x >= 9223372036854775808.0)
		return 0x7fffffffffffffffull;
	return (uint64_t)(int64_t)x;
}
static inline uint64_t sat_i64_u(double x)
{
	if (x != x || x <= 0)
		return 0;
	if (x >= 18446744073709551616.0)
		return UINT64_MAX;
	return (uint64_t)x;
}

/* libm's rounding functions return a signalling NaN unchanged; Wasm wants it quietened. */
#define QNAN(fn, x) ((x) != (x) ? (x) + (x) : fn(x))

int wasm_interp_call(struct wasm_store *s, struct wasm_func *f, wasm_slot_t *args)
{
	return run(s, f, args, NULL);
}

#define OPND(n) (pc[(n)].u)
#define SL(n) fp[pc[(n)].u]
#define NEXT(ncells)                                                                               \
	do {                                                                                       \
		pc += (ncells) + 1;                                                                \
		goto * pc->h;                                                                      \
	} while (0)
/*
 * Every taken branch (so every loop iteration) and every call looks at one
 * flag, s->stop, set when an interrupt is pending or a budget is counting.
 */
#define JUMP(target)                                                                               \
	do {                                                                                       \
		pc = (target);                                                                     \
		if (BL_NEVER(s->stop))                                                             \
			goto stop_check;                                                           \
		goto * pc->h;                                                                      \
	} while (0)
#define TRAP(kind)                                                                                 \
	do {                                                                                       \
		trap_kind = (kind);                                                                \
		goto trap;                                                                         \
	} while (0)

#ifdef WASM_BOUNDS_CHECKS
#define EA(n, size)                                                                                \
	({                                                                                         \
		uint64_t ea_ = (uint64_t)(uint32_t)(SL(2).i32 + (uint32_t)OPND(3)) + OPND(4);      \
		if (BL_NEVER(ea_ + (size) > memsize))                                              \
			TRAP(WASM_TRAP_MEMORY_OOB);                                                \
		mem + ea_;                                                                         \
	})
#else
#define EA(n, size) (mem + (uint64_t)(uint32_t)(SL(2).i32 + (uint32_t)OPND(3)) + OPND(4))
#endif

#define LOAD(name, ctype, field, conv)                                                             \
	L_##name:                                                                                  \
	{                                                                                          \
		ctype v_;                                                                          \
		memcpy(&v_, EA(2, sizeof(ctype)), sizeof(ctype));                                  \
		SL(1).field = conv v_;                                                             \
		NEXT(4);                                                                           \
	}
/* i32 loads also leave the value in the accumulator (see ir.h). */
#define LOAD_ACC(name, ctype, field, conv)                                                         \
	L_##name:                                                                                  \
	{                                                                                          \
		ctype v_;                                                                          \
		memcpy(&v_, EA(2, sizeof(ctype)), sizeof(ctype));                                  \
		SL(1).field = acc = conv v_;                                                       \
		NEXT(4);                                                                           \
	}
#define LOAD_ACC64(name, ctype, field, conv)                                                       \
	L_##name:                                                                                  \
	{                                                                                          \
		ctype v_;                                                                          \
		memcpy(&v_, EA(2, sizeof(ctype)), sizeof(ctype));                                  \
		SL(1).field = acc64 = conv v_;                                                     \
		NEXT(4);                                                                           \
	}
/* Stores: addr val offset imm — the address is operand 1. */
#ifdef WASM_BOUNDS_CHECKS
#define SEA(size)                                                                                  \
	({                                                                                         \
		uint64_t ea_ = (uint64_t)(uint32_t)(SL(1).i32 + (uint32_t)OPND(4)) + OPND(3);      \
		if (BL_NEVER(ea_ + (size) > memsize))                                              \
			TRAP(WASM_TRAP_MEMORY_OOB);                                                \
		mem + ea_;                                                                         \
	})
#else
#define SEA(size) (mem + (uint64_t)(uint32_t)(SL(1).i32 + (uint32_t)OPND(4)) + OPND(3))
#endif
#define STORE(name, ctype, field)                                                                  \
	L_##name:                                                                                  \
	{                                                                                          \
		ctype v_ = (ctype)SL(2).field;                                                     \
		memcpy(SEA(sizeof(ctype)), &v_, sizeof(ctype));                                    \
		NEXT(4);                                                                           \
	}

#define UN(name, expr)                                                                             \
	L_##name:                                                                                  \
	{                                                                                          \
		wasm_slot_t a_ = SL(2);                                                            \
		(void)a_;                                                                          \
		expr;                                                                              \
		NEXT(2);                                                                           \
	}
#define BIN(name, expr)                                                                            \
	L_##name:                                                                                  \
	{                                                                                          \
		wasm_slot_t a_ = SL(2), b_ = SL(3);                                                \
		expr;                                                                              \
		NEXT(3);                                                                           \
	}
#define D SL(1)
/* i32 operators with an accumulator twin (ir.h, WASM_IR_ACCOPS). */
#define ACC_BIN(name, expr)                                                                        \
	L_##name:                                                                                  \
	{                                                                                          \
		uint32_t a_ = SL(2).i32, b_ = SL(3).i32;                                           \
		SL(1).i32 = acc = (expr);                                                          \
		NEXT(3);                                                                           \
	}                                                                                          \
	L_##name##_A:                                                                              \
	{                                                                                          \
		uint32_t a_ = acc, b_ = SL(3).i32;                                                 \
		SL(1).i32 = acc = (expr);                                                          \
		NEXT(3);                                                                           \
	}
#define ACC64_BIN(name, expr)                                                                      \
	L_##name:                                                                                  \
	{                                                                                          \
		uint64_t a_ = SL(2).i64, b_ = SL(3).i64;                                           \
		SL(1).i64 = acc64 = (expr);                                                        \
		NEXT(3);                                                                           \
	}                                                                                          \
	L_##name##_A:                                                                              \
	{                                                                                          \
		uint64_t a_ = acc64, b_ = SL(3).i64;                                               \
		SL(1).i64 = acc64 = (expr);                                                        \
		NEXT(3);                                                                           \
	}
#define ACC64_IMM(name, expr)                                                                      \
	L_##name:                                                                                  \
	{                                                                                          \
		uint64_t a_ = SL(2).i64, b_ = OPND(3);                                             \
		SL(1).i64 = acc64 = (expr);                                                        \
		NEXT(3);                                                                           \
	}                                                                                          \
	L_##name##_A:                                                                              \
	{                                                                                          \
		uint64_t a_ = acc64, b_ = OPND(3);                                                 \
		SL(1).i64 = acc64 = (expr);                                                        \
		NEXT(3);                                                                           \
	}
#define ACCF_BIN(name, expr)                                                                       \
	L_##name:                                                                                  \
	{                                                                                          \
		double a_ = SL(2).f64, b_ = SL(3).f64;                                             \
		SL(1).f64 = facc = (expr);                                                         \
		NEXT(3);                                                                           \
	}                                                                                          \
	L_##name##_A:                                                                              \
	{                                                                                          \
		double a_ = facc, b_ = SL(3).f64;                                                  \
		SL(1).f64 = facc = (expr);                                                         \
		NEXT(3);                                                                           \
	}
#define ACC_IMM(name, expr)                                                                        \
	L_##name:                                                                                  \
	{                                                                                          \
		uint32_t a_ = SL(2).i32, b_ = (uint32_t)OPND(3);                                   \
		SL(1).i32 = acc = (expr);                                                          \
		NEXT(3);                                                                           \
	}                                                                                          \
	L_##name##_A:                                                                              \
	{                                                                                          \
		uint32_t a_ = acc, b_ = (uint32_t)OPND(3);                                         \
		SL(1).i32 = acc = (expr);                                                          \
		NEXT(3);                                                                           \
	}
#define BIN_I32(name, op) BIN(name, D.i32 = a_.i32 op b_.i32)
#define BIN_I64(name, op) BIN(name, D.i64 = a_.i64 op b_.i64)
#define CMP_I32(name, op, t) BIN(name, D.i32 = (t)a_.i32 op(t) b_.i32)
#define CMP_I64(name, op, t) BIN(name, D.i32 = (t)a_.i64 op(t) b_.i64)
#define CMP_F32(name, op) BIN(name, D.i32 = a_.f32 op b_.f32)
#define CMP_F64(name, op) BIN(name, D.i32 = a_.f64 op b_.f64)
#define BR_CMP(name, op, t)                                                                        \
	L_##name : if ((t)SL(1).i32 op(t) SL(2).i32)                                               \
	{                                                                                          \
		JUMP(pc[3].l);                                                                     \
	}                                                                                          \
	NEXT(3);

static int run(struct wasm_store *s, struct wasm_func *entry, wasm_slot_t *fp0,
               const void *const **table)
{
#define X_ADDR(name, n, m) &&L_##name,
	static const void *const handlers[WASM_OP_COUNT_] = { WASM_IR_ALL(X_ADDR) };
#undef X_ADDR
	if (table) {
		*table = handlers;
		return 0;
	}
	enum wasm_trap_kind trap_kind = WASM_TRAP_NONE;
	struct wasm_func *cur = entry;
	struct wasm_instance *inst = entry->inst;
	wasm_slot_t *fp = fp0;
	wasm_slot_t *stack_end = s->stack + s->cfg.max_stack_slots;
	struct wasm_frame *frames = s->frames;
	const uint32_t depth0 = s->depth;
	uint32_t depth = depth0;
	const uint32_t max_depth = s->cfg.max_call_depth;
	uint8_t *mem;
	uint64_t memsize;
	const union wasm_cell *pc;
	struct wasm_func *callee;
	wasm_slot_t *nfp;
	uint32_t acc = 0; /* the accumulators (ir.h) */
	uint64_t acc64 = 0;
	double facc = 0;

#define RELOAD_MEM()                                                                               \
	do {                                                                                       \
		mem = inst->mem ? inst->mem->base : NULL;                                          \
		memsize = inst->mem ? inst->mem->size : 0;                                         \
		(void)memsize;                                                                     \
	} while (0)

	RELOAD_MEM();
	callee = entry;
	nfp = fp0;
	goto enter;

L_UNREACHABLE:
	TRAP(WASM_TRAP_UNREACHABLE);
L_BR:
	JUMP(pc[1].l);
L_BR_IF:
	if (SL(1).i32) {
		JUMP(pc[2].l);
	}
	NEXT(2);
L_BR_UNLESS:
	if (!SL(1).i32) {
		JUMP(pc[2].l);
	}
	NEXT(2);
L_BR_TABLE : {
	uint32_t i = SL(1).i32, n = (uint32_t)OPND(2);
	if (i > n)
		i = n;
	JUMP(pc[3 + i].l);
}
stop_check: /* a taken branch or a call found s->stop set */
	if (s->interrupt || s->expired)
		TRAP(WASM_TRAP_INTERRUPTED);
	if (s->budget_on && s->budget-- == 0)
		TRAP(WASM_TRAP_INTERRUPTED);
	goto * pc->h;
L_RETURN:
	if (depth == depth0) {
		s->cur = NULL;
		return 0;
	}
	depth--;
	pc = frames[depth].pc;
	fp = frames[depth].fp;
	cur = frames[depth].func;
	s->cur = cur;
	if (inst != cur->inst) {
		inst = cur->inst;
		RELOAD_MEM();
	}
	goto * pc->h;
L_CALL:
	callee = inst->funcs[OPND(1)];
	nfp = fp + OPND(2);
	pc += 3;
	goto call;
L_CALL_INDIRECT : {
	struct wasm_table *t = inst->tables[OPND(2)];
	uint32_t i = SL(4).i32;
	if (BL_NEVER(i >= t->size))
		TRAP(WASM_TRAP_TABLE_OOB);
	callee = t->elems[i];
	if (BL_NEVER(!callee))
		TRAP(WASM_TRAP_NULL_REF);
	if (BL_NEVER(callee->type->canon != OPND(1)))
		TRAP(WASM_TRAP_INDIRECT_MISMATCH);
	nfp = fp + OPND(3);
	pc += 5;
	goto call;
}
call:
	if (BL_NEVER(s->stop)) {
		if (s->interrupt || s->expired)
			TRAP(WASM_TRAP_INTERRUPTED);
		if (s->budget_on && s->budget-- == 0)
			TRAP(WASM_TRAP_INTERRUPTED);
	}
	if (BL_NEVER(depth >= max_depth))
		TRAP(WASM_TRAP_STACK_EXHAUSTED);
	if (callee->host) {
		s->depth = depth + 1; /* the host frame: a call back into Wasm nests below it */
		s->sp_top = nfp + callee->type->nparams + callee->type->nresults;
		int rc = wasm_call_host(s, callee, inst, nfp);
		s->cur = cur;
		if (rc < 0)
			return rc; /* the trap is recorded */
		RELOAD_MEM();
		goto * pc->h;
	}
	frames[depth].pc = pc;
	frames[depth].fp = fp;
	frames[depth].func = cur;
	depth++;
enter : {
	const struct wasm_code *code = callee->code;
	if (BL_NEVER(nfp + code->frame_slots > stack_end)) {
		cur = callee;
		TRAP(WASM_TRAP_STACK_EXHAUSTED);
	}
	for (uint32_t i = code->nparams; i < code->nlocals; i++)
		nfp[i].i64 = 0;
	fp = nfp;
	cur = callee;
	s->cur = cur;
	if (inst != cur->inst) {
		inst = cur->inst;
		RELOAD_MEM();
	}
	pc = code->cells;
	goto * pc->h;
}
L_COPY:
	SL(1) = SL(2);
	NEXT(2);
L_CONST:
	SL(1).i64 = OPND(2);
	NEXT(2);
L_SELECT:
	SL(1) = SL(4).i32 ? SL(2) : SL(3);
	NEXT(4);
L_GLOBAL_GET:
	SL(1) = inst->globals[OPND(2)]->val;
	NEXT(2);
L_GLOBAL_SET:
	inst->globals[OPND(1)]->val = SL(2);
	NEXT(2);
L_REF_FUNC:
	SL(1).ref = inst->funcs[OPND(2)];
	NEXT(2);
L_MEMORY_SIZE:
	SL(1).i32 = inst->mem->pages;
	NEXT(1);
L_MEMORY_GROW:
	SL(1).i32 = (uint32_t)wasm_mem_grow(inst->mem, SL(2).i32);
	RELOAD_MEM();
	NEXT(2);
L_MEMORY_FILL : {
	uint64_t d = SL(1).i32, n = SL(3).i32;
	if (BL_NEVER(d + n > inst->mem->size))
		TRAP(WASM_TRAP_MEMORY_OOB);
	memset(mem + d, (int)(SL(2).i32 & 0xff), n);
	NEXT(3);
}
L_MEMORY_COPY : {
	uint64_t d = SL(1).i32, src = SL(2).i32, n = SL(3).i32;
	if (BL_NEVER(d + n > inst->mem->size || src + n > inst->mem->size))
		TRAP(WASM_TRAP_MEMORY_OOB);
	memmove(mem + d, mem + src, n);
	NEXT(3);
}
L_MEMORY_INIT : {
	uint32_t x = (uint32_t)OPND(1);
	uint64_t d = SL(2).i32, src = SL(3).i32, n = SL(4).i32;
	if (BL_NEVER(d + n > inst->mem->size || src + n > inst->data_len[x]))
		TRAP(WASM_TRAP_MEMORY_OOB);
	if (n)
		memcpy(mem + d, inst->mod->datas[x].bytes + src, n);
	NEXT(4);
}
L_DATA_DROP:
	inst->data_len[OPND(1)] = 0;
	NEXT(1);
L_TABLE_GET : {
	struct wasm_table *t = inst->tables[OPND(2)];
	uint32_t i = SL(3).i32;
	if (BL_NEVER(i >= t->size))
		TRAP(WASM_TRAP_TABLE_OOB);
	SL(1).ref = t->elems[i];
	NEXT(3);
}
L_TABLE_SET : {
	struct wasm_table *t = inst->tables[OPND(1)];
	uint32_t i = SL(2).i32;
	if (BL_NEVER(i >= t->size))
		TRAP(WASM_TRAP_TABLE_OOB);
	t->elems[i] = SL(3).ref;
	NEXT(3);
}
L_TABLE_SIZE:
	SL(1).i32 = inst->tables[OPND(2)]->size;
	NEXT(2);
L_TABLE_GROW:
	SL(1).i32 = (uint32_t)wasm_table_grow_(inst->tables[OPND(2)], SL(4).i32, SL(3).ref);
	NEXT(4);
L_TABLE_FILL : {
	struct wasm_table *t = inst->tables[OPND(1)];
	uint64_t i = SL(2).i32, n = SL(4).i32;
	void *v = SL(3).ref;
	if (BL_NEVER(i + n > t->size))
		TRAP(WASM_TRAP_TABLE_OOB);
	for (uint64_t k = 0; k < n; k++)
		t->elems[i + k] = v;
	NEXT(4);
}
L_TABLE_COPY : {
	struct wasm_table *td = inst->tables[OPND(1)], *ts = inst->tables[OPND(2)];
	uint64_t d = SL(3).i32, src = SL(4).i32, n = SL(5).i32;
	if (BL_NEVER(d + n > td->size || src + n > ts->size))
		TRAP(WASM_TRAP_TABLE_OOB);
	memmove(td->elems + d, ts->elems + src, n * sizeof(void *));
	NEXT(5);
}
L_TABLE_INIT : {
	struct wasm_table *t = inst->tables[OPND(1)];
	uint32_t x = (uint32_t)OPND(2);
	uint64_t d = SL(3).i32, src = SL(4).i32, n = SL(5).i32;
	if (BL_NEVER(d + n > t->size || src + n > inst->elem_len[x]))
		TRAP(WASM_TRAP_TABLE_OOB);
	if (n)
		memcpy(t->elems + d, inst->elem_refs[x] + src, n * sizeof(void *));
	NEXT(5);
}
L_ELEM_DROP:
	inst->elem_len[OPND(1)] = 0;
	NEXT(1);

	/* ---- memory ---- */
	LOAD_ACC(I32_LOAD, uint32_t, i32, )
	LOAD_ACC64(I64_LOAD, uint64_t, i64, )
	LOAD(F32_LOAD, uint32_t, i32, )
L_F64_LOAD : {
	double v_;
	memcpy(&v_, EA(2, 8), 8);
	SL(1).f64 = facc = v_;
	NEXT(4);
}
	LOAD_ACC(I32_LOAD8_S, int8_t, i32, (uint32_t)(int32_t))
	LOAD_ACC(I32_LOAD8_U, uint8_t, i32, (uint32_t))
	LOAD_ACC(I32_LOAD16_S, int16_t, i32, (uint32_t)(int32_t))
	LOAD_ACC(I32_LOAD16_U, uint16_t, i32, (uint32_t))
	LOAD(I64_LOAD8_S, int8_t, i64, (uint64_t)(int64_t))
	LOAD(I64_LOAD8_U, uint8_t, i64, (uint64_t))
	LOAD(I64_LOAD16_S, int16_t, i64, (uint64_t)(int64_t))
	LOAD(I64_LOAD16_U, uint16_t, i64, (uint64_t))
	LOAD(I64_LOAD32_S, int32_t, i64, (uint64_t)(int64_t))
	LOAD(I64_LOAD32_U, uint32_t, i64, (uint64_t))
	STORE(I32_STORE, uint32_t, i32)
	STORE(I64_STORE, uint64_t, i64)
	STORE(F32_STORE, uint32_t, i32)
	STORE(F64_STORE, uint64_t, i64)
	STORE(I32_STORE8, uint8_t, i32)
	STORE(I32_STORE16, uint16_t, i32)
	STORE(I64_STORE8, uint8_t, i64)
	STORE(I64_STORE16, uint16_t, i64)
	STORE(I64_STORE32, uint32_t, i64)

	/* ---- unary ---- */
	UN(I32_EQZ, D.i32 = a_.i32 == 0)
	UN(I64_EQZ, D.i32 = a_.i64 == 0)
	UN(I32_CLZ, D.i32 = a_.i32 ? (uint32_t)__builtin_clz(a_.i32) : 32)
	UN(I32_CTZ, D.i32 = a_.i32 ? (uint32_t)__builtin_ctz(a_.i32) : 32)
	UN(I32_POPCNT, D.i32 = (uint32_t)__builtin_popcount(a_.i32))
	UN(I64_CLZ, D.i64 = a_.i64 ? (uint64_t)__builtin_clzll(a_.i64) : 64)
	UN(I64_CTZ, D.i64 = a_.i64 ? (uint64_t)__builtin_ctzll(a_.i64) : 64)
	UN(I64_POPCNT, D.i64 = (uint64_t)__builtin_popcountll(a_.i64))
	UN(F32_ABS, D.i32 = a_.i32 & 0x7fffffffu)
	UN(F32_NEG, D.i32 = a_.i32 ^ 0x80000000u)
	UN(F32_CEIL, D.f32 = QNAN(ceilf, a_.f32))
	UN(F32_FLOOR, D.f32 = QNAN(floorf, a_.f32))
	UN(F32_TRUNC, D.f32 = QNAN(truncf, a_.f32))
	UN(F32_NEAREST, D.f32 = QNAN(nearbyintf, a_.f32))
	UN(F32_SQRT, D.f32 = sqrtf(a_.f32))
	UN(F64_ABS, D.i64 = a_.i64 & 0x7fffffffffffffffull)
	UN(F64_NEG, D.i64 = a_.i64 ^ 0x8000000000000000ull)
	UN(F64_CEIL, D.f64 = QNAN(ceil, a_.f64))
	UN(F64_FLOOR, D.f64 = QNAN(floor, a_.f64))
	UN(F64_TRUNC, D.f64 = QNAN(trunc, a_.f64))
	UN(F64_NEAREST, D.f64 = QNAN(nearbyint, a_.f64))
	UN(F64_SQRT, D.f64 = sqrt(a_.f64))
	UN(I32_WRAP_I64, D.i32 = (uint32_t)a_.i64)
	UN(I32_TRUNC_F32_S, {
		float x = a_.f32;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x >= -2147483648.0f && x < 2147483648.0f))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i32 = (uint32_t)(int32_t)x;
	})
	UN(I32_TRUNC_F32_U, {
		float x = a_.f32;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x > -1.0f && x < 4294967296.0f))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i32 = (uint32_t)x;
	})
	UN(I32_TRUNC_F64_S, {
		double x = a_.f64;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x > -2147483649.0 && x < 2147483648.0))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i32 = (uint32_t)(int32_t)x;
	})
	UN(I32_TRUNC_F64_U, {
		double x = a_.f64;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x > -1.0 && x < 4294967296.0))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i32 = (uint32_t)x;
	})
	UN(I64_EXTEND_I32_S, D.i64 = (uint64_t)(int64_t)(int32_t)a_.i32)
	UN(I64_EXTEND_I32_U, D.i64 = (uint64_t)a_.i32)
	UN(I64_TRUNC_F32_S, {
		float x = a_.f32;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x >= -9223372036854775808.0f && x < 9223372036854775808.0f))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i64 = (uint64_t)(int64_t)x;
	})
	UN(I64_TRUNC_F32_U, {
		float x = a_.f32;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x > -1.0f && x < 18446744073709551616.0f))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i64 = (uint64_t)x;
	})
	UN(I64_TRUNC_F64_S, {
		double x = a_.f64;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x >= -9223372036854775808.0 && x < 9223372036854775808.0))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i64 = (uint64_t)(int64_t)x;
	})
	UN(I64_TRUNC_F64_U, {
		double x = a_.f64;
		if (x != x)
			TRAP(WASM_TRAP_INVALID_CONVERSION);
		if (!(x > -1.0 && x < 18446744073709551616.0))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i64 = (uint64_t)x;
	})
	UN(F32_CONVERT_I32_S, D.f32 = (float)(int32_t)a_.i32)
	UN(F32_CONVERT_I32_U, D.f32 = (float)a_.i32)
	UN(F32_CONVERT_I64_S, D.f32 = (float)(int64_t)a_.i64)
	UN(F32_CONVERT_I64_U, D.f32 = (float)a_.i64)
	UN(F32_DEMOTE_F64, D.f32 = (float)a_.f64)
	UN(F64_CONVERT_I32_S, D.f64 = (double)(int32_t)a_.i32)
	UN(F64_CONVERT_I32_U, D.f64 = (double)a_.i32)
	UN(F64_CONVERT_I64_S, D.f64 = (double)(int64_t)a_.i64)
	UN(F64_CONVERT_I64_U, D.f64 = (double)a_.i64)
	UN(F64_PROMOTE_F32, D.f64 = (double)a_.f32)
	UN(I32_EXTEND8_S, D.i32 = (uint32_t)(int32_t)(int8_t)a_.i32)
	UN(I32_EXTEND16_S, D.i32 = (uint32_t)(int32_t)(int16_t)a_.i32)
	UN(I64_EXTEND8_S, D.i64 = (uint64_t)(int64_t)(int8_t)a_.i64)
	UN(I64_EXTEND16_S, D.i64 = (uint64_t)(int64_t)(int16_t)a_.i64)
	UN(I64_EXTEND32_S, D.i64 = (uint64_t)(int64_t)(int32_t)a_.i64)
	UN(I32_TRUNC_SAT_F32_S, D.i32 = sat_i32_s(a_.f32))
	UN(I32_TRUNC_SAT_F32_U, D.i32 = sat_i32_u(a_.f32))
	UN(I32_TRUNC_SAT_F64_S, D.i32 = sat_i32_s(a_.f64))
	UN(I32_TRUNC_SAT_F64_U, D.i32 = sat_i32_u(a_.f64))
	UN(I64_TRUNC_SAT_F32_S, D.i64 = sat_i64_s(a_.f32))
	UN(I64_TRUNC_SAT_F32_U, D.i64 = sat_i64_u(a_.f32))
	UN(I64_TRUNC_SAT_F64_S, D.i64 = sat_i64_s(a_.f64))
	UN(I64_TRUNC_SAT_F64_U, D.i64 = sat_i64_u(a_.f64))
	UN(REF_IS_NULL, D.i32 = a_.ref == NULL)

	/* ---- binary ---- */
	CMP_I32(I32_EQ, ==, uint32_t)
	CMP_I32(I32_NE, !=, uint32_t)
	CMP_I32(I32_LT_S, <, int32_t)
	CMP_I32(I32_LT_U, <, uint32_t)
	CMP_I32(I32_GT_S, >, int32_t)
	CMP_I32(I32_GT_U, >, uint32_t)
	CMP_I32(I32_LE_S, <=, int32_t)
	CMP_I32(I32_LE_U, <=, uint32_t)
	CMP_I32(I32_GE_S, >=, int32_t)
	CMP_I32(I32_GE_U, >=, uint32_t)
	CMP_I64(I64_EQ, ==, uint64_t)
	CMP_I64(I64_NE, !=, uint64_t)
	CMP_I64(I64_LT_S, <, int64_t)
	CMP_I64(I64_LT_U, <, uint64_t)
	CMP_I64(I64_GT_S, >, int64_t)
	CMP_I64(I64_GT_U, >, uint64_t)
	CMP_I64(I64_LE_S, <=, int64_t)
	CMP_I64(I64_LE_U, <=, uint64_t)
	CMP_I64(I64_GE_S, >=, int64_t)
	CMP_I64(I64_GE_U, >=, uint64_t)
	CMP_F32(F32_EQ, ==)
	CMP_F32(F32_NE, !=)
	CMP_F32(F32_LT, <)
	CMP_F32(F32_GT, >)
	CMP_F32(F32_LE, <=)
	CMP_F32(F32_GE, >=)
	CMP_F64(F64_EQ, ==)
	CMP_F64(F64_NE, !=)
	CMP_F64(F64_LT, <)
	CMP_F64(F64_GT, >)
	CMP_F64(F64_LE, <=)
	CMP_F64(F64_GE, >=)
	ACC_BIN(I32_ADD, a_ + b_)
	ACC_BIN(I32_SUB, a_ - b_)
	ACC_BIN(I32_MUL, a_ * b_)
	BIN(I32_DIV_S, {
		if (BL_NEVER(b_.i32 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		if (BL_NEVER(a_.i32 == 0x80000000u && b_.i32 == 0xffffffffu))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i32 = (uint32_t)((int32_t)a_.i32 / (int32_t)b_.i32);
	})
	BIN(I32_DIV_U, {
		if (BL_NEVER(b_.i32 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i32 = a_.i32 / b_.i32;
	})
	BIN(I32_REM_S, {
		if (BL_NEVER(b_.i32 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i32 = b_.i32 == 0xffffffffu ? 0 : (uint32_t)((int32_t)a_.i32 % (int32_t)b_.i32);
	})
	BIN(I32_REM_U, {
		if (BL_NEVER(b_.i32 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i32 = a_.i32 % b_.i32;
	})
	ACC_BIN(I32_AND, a_ & b_)
	ACC_BIN(I32_OR, a_ | b_)
	ACC_BIN(I32_XOR, a_ ^ b_)
	ACC_BIN(I32_SHL, a_ << (b_ & 31))
	ACC_BIN(I32_SHR_S, (uint32_t)((int32_t)a_ >> (b_ & 31)))
	ACC_BIN(I32_SHR_U, a_ >> (b_ & 31))
	BIN(I32_ROTL, D.i32 = rotl32(a_.i32, b_.i32))
	BIN(I32_ROTR, D.i32 = rotr32(a_.i32, b_.i32))
	ACC64_BIN(I64_ADD, a_ + b_)
	ACC64_BIN(I64_SUB, a_ - b_)
	ACC64_BIN(I64_MUL, a_ * b_)
	BIN(I64_DIV_S, {
		if (BL_NEVER(b_.i64 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		if (BL_NEVER(a_.i64 == 0x8000000000000000ull && b_.i64 == UINT64_MAX))
			TRAP(WASM_TRAP_INT_OVERFLOW);
		D.i64 = (uint64_t)((int64_t)a_.i64 / (int64_t)b_.i64);
	})
	BIN(I64_DIV_U, {
		if (BL_NEVER(b_.i64 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i64 = a_.i64 / b_.i64;
	})
	BIN(I64_REM_S, {
		if (BL_NEVER(b_.i64 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i64 = b_.i64 == UINT64_MAX ? 0 : (uint64_t)((int64_t)a_.i64 % (int64_t)b_.i64);
	})
	BIN(I64_REM_U, {
		if (BL_NEVER(b_.i64 == 0))
			TRAP(WASM_TRAP_DIV_ZERO);
		D.i64 = a_.i64 % b_.i64;
	})
	ACC64_BIN(I64_AND, a_ & b_)
	ACC64_BIN(I64_OR, a_ | b_)
	ACC64_BIN(I64_XOR, a_ ^ b_)
	ACC64_BIN(I64_SHL, a_ << (b_ & 63))
	ACC64_BIN(I64_SHR_S, (uint64_t)((int64_t)a_ >> (b_ & 63)))
	ACC64_BIN(I64_SHR_U, a_ >> (b_ & 63))
	BIN(I64_ROTL, D.i64 = rotl64(a_.i64, b_.i64))
	BIN(I64_ROTR, D.i64 = rotr64(a_.i64, b_.i64))
	BIN(F32_ADD, D.f32 = a_.f32 + b_.f32)
	BIN(F32_SUB, D.f32 = a_.f32 - b_.f32)
	BIN(F32_MUL, D.f32 = a_.f32 * b_.f32)
	BIN(F32_DIV, D.f32 = a_.f32 / b_.f32)
	BIN(F32_MIN, D.f32 = f32_min(a_.f32, b_.f32))
	BIN(F32_MAX, D.f32 = f32_max(a_.f32, b_.f32))
	BIN(F32_COPYSIGN, D.i32 = (a_.i32 & 0x7fffffffu) | (b_.i32 & 0x80000000u))
	ACCF_BIN(F64_ADD, a_ + b_)
	ACCF_BIN(F64_SUB, a_ - b_)
	ACCF_BIN(F64_MUL, a_ * b_)
	ACCF_BIN(F64_DIV, a_ / b_)
	BIN(F64_MIN, D.f64 = f64_min(a_.f64, b_.f64))
	BIN(F64_MAX, D.f64 = f64_max(a_.f64, b_.f64))
	BIN(F64_COPYSIGN,
	    D.i64 = (a_.i64 & 0x7fffffffffffffffull) | (b_.i64 & 0x8000000000000000ull))

	/* ---- fused ---- */
#define IMM32(name, expr)                                                                          \
	L_##name:                                                                                  \
	{                                                                                          \
		uint32_t a_ = SL(2).i32, b_ = (uint32_t)OPND(3);                                   \
		SL(1).i32 = (expr);                                                                \
		NEXT(3);                                                                           \
	}
#define IMM64(name, expr)                                                                          \
	L_##name:                                                                                  \
	{                                                                                          \
		uint64_t a_ = SL(2).i64, b_ = OPND(3);                                             \
		SL(1).i64 = (expr);                                                                \
		NEXT(3);                                                                           \
	}
	ACC_IMM(I32_ADD_I, a_ + b_)
	ACC_IMM(I32_SUB_I, a_ - b_)
	ACC_IMM(I32_MUL_I, a_ * b_)
	ACC_IMM(I32_AND_I, a_ & b_)
	ACC_IMM(I32_OR_I, a_ | b_)
	ACC_IMM(I32_XOR_I, a_ ^ b_)
	ACC_IMM(I32_SHL_I, a_ << (b_ & 31))
	ACC_IMM(I32_SHR_S_I, (uint32_t)((int32_t)a_ >> (b_ & 31)))
	ACC_IMM(I32_SHR_U_I, a_ >> (b_ & 31))
	IMM32(I32_EQ_I, a_ == b_)
	IMM32(I32_NE_I, a_ != b_)
	IMM32(I32_LT_S_I, (int32_t)a_ < (int32_t)b_)
	IMM32(I32_LT_U_I, a_ < b_)
	IMM32(I32_GT_S_I, (int32_t)a_ > (int32_t)b_)
	IMM32(I32_GT_U_I, a_ > b_)
	IMM32(I32_LE_S_I, (int32_t)a_ <= (int32_t)b_)
	IMM32(I32_LE_U_I, a_ <= b_)
	IMM32(I32_GE_S_I, (int32_t)a_ >= (int32_t)b_)
	IMM32(I32_GE_U_I, a_ >= b_)
	ACC64_IMM(I64_ADD_I, a_ + b_)
	ACC64_IMM(I64_SUB_I, a_ - b_)
	ACC64_IMM(I64_MUL_I, a_ * b_)
	ACC64_IMM(I64_AND_I, a_ & b_)
	ACC64_IMM(I64_OR_I, a_ | b_)
	ACC64_IMM(I64_XOR_I, a_ ^ b_)
	ACC64_IMM(I64_SHL_I, a_ << (b_ & 63))
	ACC64_IMM(I64_SHR_S_I, (uint64_t)((int64_t)a_ >> (b_ & 63)))
	ACC64_IMM(I64_SHR_U_I, a_ >> (b_ & 63))
	ACC_IMM(I32_RSUB_I, b_ - a_)
	ACC64_IMM(I64_RSUB_I, b_ - a_)
L_BR_IF_I32_EQZ:
	if (SL(1).i32 == 0) {
		JUMP(pc[2].l);
	}
	NEXT(2);
L_BR_IF_I32_NEZ:
	if (SL(1).i32 != 0) {
		JUMP(pc[2].l);
	}
	NEXT(2);
#define BR_CMP_I(name, op, t)                                                                      \
	L_##name : if ((t)SL(1).i32 op(t)(uint32_t) OPND(2))                                       \
	{                                                                                          \
		JUMP(pc[3].l);                                                                     \
	}                                                                                          \
	NEXT(3);
	BR_CMP(BR_IF_I32_EQ, ==, uint32_t)
	BR_CMP(BR_IF_I32_NE, !=, uint32_t)
	BR_CMP(BR_IF_I32_LT_S, <, int32_t)
	BR_CMP(BR_IF_I32_LT_U, <, uint32_t)
	BR_CMP(BR_IF_I32_GT_S, >, int32_t)
	BR_CMP(BR_IF_I32_GT_U, >, uint32_t)
	BR_CMP(BR_IF_I32_LE_S, <=, int32_t)
	BR_CMP(BR_IF_I32_LE_U, <=, uint32_t)
	BR_CMP(BR_IF_I32_GE_S, >=, int32_t)
	BR_CMP(BR_IF_I32_GE_U, >=, uint32_t)
	BR_CMP_I(BR_IF_I32_EQ_I, ==, uint32_t)
	BR_CMP_I(BR_IF_I32_NE_I, !=, uint32_t)
	BR_CMP_I(BR_IF_I32_LT_S_I, <, int32_t)
	BR_CMP_I(BR_IF_I32_LT_U_I, <, uint32_t)
	BR_CMP_I(BR_IF_I32_GT_S_I, >, int32_t)
	BR_CMP_I(BR_IF_I32_GT_U_I, >, uint32_t)
	BR_CMP_I(BR_IF_I32_LE_S_I, <=, int32_t)
	BR_CMP_I(BR_IF_I32_LE_U_I, <=, uint32_t)
	BR_CMP_I(BR_IF_I32_GE_S_I, >=, int32_t)
	BR_CMP_I(BR_IF_I32_GE_U_I, >=, uint32_t)

trap:
	s->depth = depth0;
	s->cur = NULL;
	return wasm_trap_set(s, trap_kind, cur);
}
