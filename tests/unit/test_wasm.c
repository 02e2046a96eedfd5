/*
 * test_wasm.c — the embedding API of the WebAssembly engine (bailey/wasm.h):
 * load, call, traps as typed errors (including out-of-bounds accesses caught
 * by the guard-page signal handler), host functions, limits (memory pages,
 * call depth, check budget, interruption from another thread), memory access,
 * and refusal of malformed and invalid modules with a located reason.
 * Modules are assembled here byte by byte (spec chapter 5).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <cmocka.h>

#include "bailey/wasm.h"

/* ---- a tiny module assembler ---- */

struct mb {
	uint8_t b[4096];
	size_t n;
};

static void put(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}
static void u8(struct mb *m, uint8_t v)
{
	put(m, &v, 1);
}
static void leb(struct mb *m, uint32_t v)
{
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		u8(m, (uint8_t)(b | (v ? 0x80 : 0)));
	} while (v);
}
static void bytes(struct mb *m, const char *s, size_t n)
{
	put(m, s, n);
}
static void name(struct mb *m, const char *s)
{
	leb(m, (uint32_t)strlen(s));
	bytes(m, s, strlen(s));
}
static void section(struct mb *m, uint8_t id, const struct mb *c)
{
	u8(m, id);
	leb(m, (uint32_t)c->n);
	put(m, c->b, c->n);
}
static void header(struct mb *m)
{
	m->n = 0;
	bytes(m, "\0asm\1\0\0\0", 8);
}

/* A function body: locals none, then code. */
static void body(struct mb *code, const uint8_t *ops, size_t n)
{
	leb(code, (uint32_t)(n + 1));
	u8(code, 0); /* no local groups */
	put(code, ops, n);
}

/*
 * Module "core": types 0 (i32 i32)->i32, 1 (i32)->i32, 2 ()->();
 * functions add, divide, load, rec, spin, grow; memory 1 page; exports;
 * a name section naming function 1 "divide".
 */
static void build_core(struct mb *m)
{
	struct mb s = { .n = 0 };
	header(m);
	/* type */
	s.n = 0;
	leb(&s, 3);
	put(&s, (uint8_t[]){ 0x60, 2, 0x7f, 0x7f, 1, 0x7f }, 6);
	put(&s, (uint8_t[]){ 0x60, 1, 0x7f, 1, 0x7f }, 5);
	put(&s, (uint8_t[]){ 0x60, 0, 0 }, 3);
	section(m, 1, &s);
	/* function */
	s.n = 0;
	put(&s, (uint8_t[]){ 7, 0, 0, 1, 2, 2, 1, 1 }, 8);
	section(m, 3, &s);
	/* memory: 1 page, no maximum */
	s.n = 0;
	put(&s, (uint8_t[]){ 1, 0, 1 }, 3);
	section(m, 5, &s);
	/* export */
	s.n = 0;
	leb(&s, 8);
	static const char *const names[] = {
		"add", "divide", "load", "rec", "spin", "grow", "far"
	};
	for (uint8_t i = 0; i < 7; i++) {
		name(&s, names[i]);
		u8(&s, 0);
		u8(&s, i);
	}
	name(&s, "mem");
	u8(&s, 2);
	u8(&s, 0);
	section(m, 7, &s);
	/* code */
	s.n = 0;
	leb(&s, 7);
	body(&s, (uint8_t[]){ 0x20, 0, 0x20, 1, 0x6a, 0x0b }, 6); /* add */
	body(&s, (uint8_t[]){ 0x20, 0, 0x20, 1, 0x6d, 0x0b }, 6); /* i32.div_s */
	body(&s, (uint8_t[]){ 0x20, 0, 0x28, 2, 0, 0x0b }, 6); /* i32.load */
	body(&s, (uint8_t[]){ 0x10, 3, 0x0b }, 3); /* call self */
	body(&s, (uint8_t[]){ 0x03, 0x40, 0x0c, 0, 0x0b, 0x0b }, 6); /* loop br 0 */
	body(&s, (uint8_t[]){ 0x20, 0, 0x40, 0, 0x0b }, 5); /* memory.grow */
	/* far: i64.load offset=0xffffffff, wrapped: the farthest access there is */
	body(&s, (uint8_t[]){ 0x20, 0, 0x29, 3, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xa7, 0x0b }, 11);
	section(m, 10, &s);
	/* custom "name": function names subsection */
	struct mb sub = { .n = 0 };
	leb(&sub, 1);
	leb(&sub, 1);
	name(&sub, "divide");
	s.n = 0;
	name(&s, "name");
	u8(&s, 1);
	leb(&s, (uint32_t)sub.n);
	put(&s, sub.b, sub.n);
	section(m, 0, &s);
}

struct fixture {
	struct mb bin;
	wasm_module_t *mod;
	wasm_store_t *store;
	wasm_instance_t *inst;
};

static wasm_func_t *export_func(wasm_instance_t *inst, const char *n)
{
	struct wasm_extern e;
	assert_int_equal(wasm_instance_export(inst, n, &e), 0);
	assert_int_equal(e.kind, WASM_EXTERN_FUNC);
	return e.u.func;
}

static void setup_core(struct fixture *f, const struct wasm_config *cfg)
{
	build_core(&f->bin);
	f->mod = wasm_module_load(f->bin.b, f->bin.n);
	assert_non_null(f->mod);
	f->store = wasm_store_new(cfg);
	assert_non_null(f->store);
	assert_int_equal(wasm_instantiate(f->store, f->mod, NULL, NULL, &f->inst), 0);
}

static void teardown_core(struct fixture *f)
{
	wasm_store_delete(f->store);
	wasm_module_free(f->mod);
}

static int call2(struct fixture *f, const char *fn, uint32_t a, uint32_t b, uint32_t *r)
{
	wasm_val_t args[2], res[1];
	memset(args, 0, sizeof(args));
	args[0].i32 = a;
	args[1].i32 = b;
	int rc = wasm_call(f->store, export_func(f->inst, fn), args, 2, res, 1);
	if (rc == 0)
		*r = res[0].i32;
	return rc;
}

static int call1(struct fixture *f, const char *fn, uint32_t a, uint32_t *r)
{
	wasm_val_t args[1], res[1];
	memset(args, 0, sizeof(args));
	args[0].i32 = a;
	int rc = wasm_call(f->store, export_func(f->inst, fn), args, 1, res, 1);
	if (rc == 0)
		*r = res[0].i32;
	return rc;
}

static void test_call_and_results(void **state)
{
	(void)state;
	struct fixture f;
	uint32_t r = 0;
	setup_core(&f, NULL);
	assert_int_equal(call2(&f, "add", 40, 2, &r), 0);
	assert_int_equal(r, 42);
	assert_int_equal(call2(&f, "add", 0xffffffffu, 2, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(call2(&f, "divide", (uint32_t)-9, 2, &r), 0);
	assert_int_equal(r, (uint32_t)-4);
	/* Wrong argument count is refused, not run. */
	wasm_val_t a[1];
	memset(a, 0, sizeof(a));
	assert_int_equal(wasm_call(f.store, export_func(f.inst, "add"), a, 1, a, 1), BL_EINVAL);
	teardown_core(&f);
}

static void test_trap_kinds_and_names(void **state)
{
	(void)state;
	struct fixture f;
	uint32_t r = 0;
	setup_core(&f, NULL);
	assert_int_equal(call2(&f, "divide", 1, 0, &r), WASM_ETRAP);
	const struct wasm_trap *t = wasm_store_last_trap(f.store);
	assert_int_equal(t->kind, WASM_TRAP_DIV_ZERO);
	assert_int_equal(t->func_index, 1);
	assert_string_equal(t->func_name, "divide");
	assert_non_null(strstr(t->message, "integer divide by zero"));
	assert_int_equal(call2(&f, "divide", 0x80000000u, 0xffffffffu, &r), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_INT_OVERFLOW);
	/* The store still works after traps. */
	assert_int_equal(call2(&f, "add", 1, 2, &r), 0);
	assert_int_equal(r, 3);
	teardown_core(&f);
}

/* An out-of-bounds load faults in the guard region and comes back as a trap. */
static void test_memory_oob_trap(void **state)
{
	(void)state;
	struct fixture f;
	uint32_t r = 0;
	setup_core(&f, NULL);
	struct wasm_extern e;
	assert_int_equal(wasm_instance_export(f.inst, "mem", &e), 0);
	uint32_t v = 0xdeadbeef;
	assert_int_equal(wasm_memory_write(e.u.memory, 65532, &v, 4), 0);
	assert_int_equal(call1(&f, "load", 65532, &r), 0);
	assert_int_equal(r, 0xdeadbeef);
	assert_int_equal(call1(&f, "load", 65533, &r), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_MEMORY_OOB);
	assert_int_equal(call1(&f, "load", 0xfffffffcu, &r), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_MEMORY_OOB);
	/* The largest address + offset + width still lands in the reservation. */
	assert_int_equal(call1(&f, "far", 0xffffffffu, &r), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_MEMORY_OOB);
	assert_int_equal(call1(&f, "far", 0, &r), WASM_ETRAP);
	/* Host accessors check bounds too. */
	assert_int_equal(wasm_memory_write(e.u.memory, 65533, &v, 4), BL_ERANGE);
	assert_int_equal(wasm_memory_read(e.u.memory, UINT64_MAX - 1, &v, 4), BL_ERANGE);
	/* After growing, the same address is valid. */
	assert_int_equal(call1(&f, "grow", 1, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(call1(&f, "load", 65533, &r), 0);
	assert_int_equal(wasm_memory_size(e.u.memory), 2 * 65536);
	teardown_core(&f);
}

static void test_limits(void **state)
{
	(void)state;
	struct fixture f;
	uint32_t r = 0;
	struct wasm_config cfg = { .max_memory_pages = 2, .max_call_depth = 100 };
	setup_core(&f, &cfg);
	assert_int_equal(call1(&f, "grow", 1, &r), 0);
	assert_int_equal(r, 1);
	assert_int_equal(call1(&f, "grow", 1, &r), 0);
	assert_int_equal(r, 0xffffffffu); /* refused: over the store's limit */
	wasm_func_t *rec = export_func(f.inst, "rec");
	assert_int_equal(wasm_call(f.store, rec, NULL, 0, NULL, 0), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_STACK_EXHAUSTED);
	wasm_func_t *spin = export_func(f.inst, "spin");
	wasm_store_set_budget(f.store, 100000);
	assert_int_equal(wasm_call(f.store, spin, NULL, 0, NULL, 0), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_INTERRUPTED);
	teardown_core(&f);
}

static void *interrupter(void *arg)
{
	usleep(20000);
	wasm_store_interrupt(arg);
	return NULL;
}

static void test_interrupt_from_thread(void **state)
{
	(void)state;
	struct fixture f;
	pthread_t th;
	setup_core(&f, NULL);
	assert_int_equal(pthread_create(&th, NULL, interrupter, f.store), 0);
	/* The call spins until the other thread interrupts it. */
	assert_int_equal(wasm_call(f.store, export_func(f.inst, "spin"), NULL, 0, NULL, 0),
	                 WASM_ETRAP);
	pthread_join(th, NULL);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_INTERRUPTED);
	teardown_core(&f);
}

static void test_deadline(void **state)
{
	(void)state;
	struct fixture f;
	uint32_t r = 0;
	setup_core(&f, NULL);
	wasm_func_t *spin = export_func(f.inst, "spin");
	assert_int_equal(wasm_store_set_deadline(f.store, 20), 0);
	assert_int_equal(wasm_call(f.store, spin, NULL, 0, NULL, 0), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(f.store)->kind, WASM_TRAP_INTERRUPTED);
	/* Past the deadline, calls that branch or call trap too... */
	assert_int_equal(wasm_call(f.store, spin, NULL, 0, NULL, 0), WASM_ETRAP);
	/* ...until it is disarmed. */
	assert_int_equal(wasm_store_set_deadline(f.store, 0), 0);
	assert_int_equal(call2(&f, "add", 2, 3, &r), 0);
	assert_int_equal(r, 5);
	teardown_core(&f);
}

/* Stores on several threads trap independently (thread-local jump buffers and signal stacks). */
static void *trap_worker(void *arg)
{
	wasm_module_t *mod = arg;
	wasm_store_t *st = wasm_store_new(NULL);
	wasm_instance_t *inst;
	intptr_t ok = st && wasm_instantiate(st, mod, NULL, NULL, &inst) == 0;
	for (int i = 0; ok && i < 200; i++) {
		wasm_val_t a[2], r[1];
		memset(a, 0, sizeof(a));
		a[0].i32 = 70000u + (uint32_t)i;
		struct wasm_extern e;
		ok = wasm_instance_export(inst, "load", &e) == 0 &&
		     wasm_call(st, e.u.func, a, 1, r, 1) == WASM_ETRAP &&
		     wasm_store_last_trap(st)->kind == WASM_TRAP_MEMORY_OOB;
		a[0].i32 = (uint32_t)i * 4;
		ok = ok && wasm_call(st, e.u.func, a, 1, r, 1) == 0 && r[0].i32 == 0;
	}
	wasm_store_delete(st);
	return (void *)ok;
}

static void test_threads_trap_independently(void **state)
{
	(void)state;
	struct mb m;
	pthread_t th[4];
	build_core(&m);
	wasm_module_t *mod = wasm_module_load(m.b, m.n);
	assert_non_null(mod);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, trap_worker, mod), 0);
	for (int i = 0; i < 4; i++) {
		void *ok;
		pthread_join(th[i], &ok);
		assert_true(ok != NULL);
	}
	wasm_module_free(mod);
}

/* ---- host functions ---- */

static int host_mul(struct wasm_caller *c, void *env, wasm_val_t *args)
{
	int *calls = env;
	(*calls)++;
	assert_non_null(c->instance);
	if (args[1].i32 == 0)
		return bl_err(BL_EINVAL, "host refuses zero");
	args[0].i32 = args[0].i32 * args[1].i32;
	return 0;
}

struct host_env {
	wasm_func_t *mul;
};

static int resolve_env(void *ud, const char *module, const char *nm, enum wasm_extern_kind kind,
                       struct wasm_extern *out)
{
	struct host_env *h = ud;
	if (strcmp(module, "env") != 0 || strcmp(nm, "mul") != 0 || kind != WASM_EXTERN_FUNC)
		return BL_ENOENT;
	out->kind = WASM_EXTERN_FUNC;
	out->u.func = h->mul;
	return 0;
}

/* Module importing env.mul (i32 i32)->i32 and exporting "twice" = mul(mul(a,b), 2). */
static void build_importer(struct mb *m)
{
	struct mb s = { .n = 0 };
	header(m);
	put(&s, (uint8_t[]){ 1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f }, 7);
	section(m, 1, &s);
	s.n = 0;
	leb(&s, 1);
	name(&s, "env");
	name(&s, "mul");
	put(&s, (uint8_t[]){ 0, 0 }, 2);
	section(m, 2, &s);
	s.n = 0;
	put(&s, (uint8_t[]){ 1, 0 }, 2);
	section(m, 3, &s);
	s.n = 0;
	leb(&s, 1);
	name(&s, "twice");
	put(&s, (uint8_t[]){ 0, 1 }, 2);
	section(m, 7, &s);
	s.n = 0;
	leb(&s, 1);
	body(&s, (uint8_t[]){ 0x20, 0, 0x20, 1, 0x10, 0, 0x41, 2, 0x10, 0, 0x0b }, 11);
	section(m, 10, &s);
}

static void test_host_functions(void **state)
{
	(void)state;
	struct mb bin;
	int calls = 0;
	build_importer(&bin);
	wasm_module_t *m = wasm_module_load(bin.b, bin.n);
	assert_non_null(m);
	const char *mod, *nm;
	enum wasm_extern_kind kind;
	assert_int_equal(wasm_module_import_count(m), 1);
	assert_int_equal(wasm_module_import(m, 0, &mod, &nm, &kind), 0);
	assert_string_equal(mod, "env");
	assert_string_equal(nm, "mul");
	assert_int_equal(wasm_module_import(m, 1, &mod, &nm, &kind), BL_ERANGE);
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	/* Unresolved import: linking fails, nothing runs. */
	assert_true(wasm_instantiate(s, m, NULL, NULL, &inst) < 0);
	/* Wrong type: (i32)->i32 does not match (i32 i32)->i32. */
	static const enum wasm_valtype i32x2[] = { WASM_I32, WASM_I32 };
	struct host_env h;
	h.mul = wasm_func_new_host(s, i32x2, 1, i32x2, 1, host_mul, &calls);
	assert_int_equal(wasm_instantiate(s, m, resolve_env, &h, &inst), BL_ENOENT);
	h.mul = wasm_func_new_host(s, i32x2, 2, i32x2, 1, host_mul, &calls);
	assert_int_equal(wasm_instantiate(s, m, resolve_env, &h, &inst), 0);
	wasm_val_t args[2], res[1];
	memset(args, 0, sizeof(args));
	args[0].i32 = 6;
	args[1].i32 = 7;
	assert_int_equal(wasm_call(s, export_func(inst, "twice"), args, 2, res, 1), 0);
	assert_int_equal(res[0].i32, 84);
	assert_int_equal(calls, 2);
	args[1].i32 = 0;
	assert_int_equal(wasm_call(s, export_func(inst, "twice"), args, 2, res, 1), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(s)->kind, WASM_TRAP_HOST);
	assert_non_null(strstr(wasm_store_last_trap(s)->message, "host refuses zero"));
	wasm_store_delete(s);
	wasm_module_free(m);
}

/*
 * Re-entrancy: "outer"(x) calls the host, which calls back into the guest's
 * "inner"(x) = 100 / x; a trap in the nested call reaches the outer caller.
 */
static int host_reenter(struct wasm_caller *c, void *env, wasm_val_t *args)
{
	(void)env;
	struct wasm_extern e;
	BL_TRY(wasm_instance_export(c->instance, "inner", &e));
	wasm_val_t r[1];
	BL_TRY(wasm_call(c->store, e.u.func, args, 1, r, 1));
	args[0].i32 = r[0].i32 + 1;
	return 0;
}

static int resolve_cb(void *ud, const char *module, const char *nm, enum wasm_extern_kind kind,
                      struct wasm_extern *out)
{
	(void)module;
	(void)nm;
	(void)kind;
	out->kind = WASM_EXTERN_FUNC;
	out->u.func = ud;
	return 0;
}

static void test_reentrant_host_calls(void **state)
{
	(void)state;
	struct mb m, s;
	header(&m);
	s.n = 0;
	put(&s, (uint8_t[]){ 1, 0x60, 1, 0x7f, 1, 0x7f }, 6);
	section(&m, 1, &s);
	s.n = 0;
	leb(&s, 1);
	name(&s, "env");
	name(&s, "cb");
	put(&s, (uint8_t[]){ 0, 0 }, 2);
	section(&m, 2, &s);
	s.n = 0;
	put(&s, (uint8_t[]){ 2, 0, 0 }, 3);
	section(&m, 3, &s);
	s.n = 0;
	leb(&s, 2);
	name(&s, "outer");
	put(&s, (uint8_t[]){ 0, 1 }, 2);
	name(&s, "inner");
	put(&s, (uint8_t[]){ 0, 2 }, 2);
	section(&m, 7, &s);
	s.n = 0;
	leb(&s, 2);
	/* outer: cb(x) * 2 */
	body(&s, (uint8_t[]){ 0x20, 0, 0x10, 0, 0x41, 2, 0x6c, 0x0b }, 8);
	/* inner: 100 / x (traps on 0) */
	body(&s, (uint8_t[]){ 0x41, 0xe4, 0x00, 0x20, 0, 0x6e, 0x0b }, 7);
	section(&m, 10, &s);

	wasm_module_t *mod = wasm_module_load(m.b, m.n);
	assert_non_null(mod);
	wasm_store_t *st = wasm_store_new(NULL);
	static const enum wasm_valtype i32[] = { WASM_I32 };
	wasm_func_t *cb = wasm_func_new_host(st, i32, 1, i32, 1, host_reenter, NULL);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(st, mod, resolve_cb, cb, &inst), 0);
	wasm_val_t a[1], r[1];
	memset(a, 0, sizeof(a));
	a[0].i32 = 20;
	assert_int_equal(wasm_call(st, export_func(inst, "outer"), a, 1, r, 1), 0);
	assert_int_equal(r[0].i32, (100 / 20 + 1) * 2);
	a[0].i32 = 0;
	assert_int_equal(wasm_call(st, export_func(inst, "outer"), a, 1, r, 1), WASM_ETRAP);
	const struct wasm_trap *t = wasm_store_last_trap(st);
	assert_int_equal(t->kind, WASM_TRAP_DIV_ZERO);
	assert_int_equal(t->func_index, 2);
	/* And the store is usable again. */
	a[0].i32 = 50;
	assert_int_equal(wasm_call(st, export_func(inst, "outer"), a, 1, r, 1), 0);
	assert_int_equal(r[0].i32, 6);
	wasm_store_delete(st);
	wasm_module_free(mod);
}

/* ---- review: hostile modules and hosts (issue 3) ---- */

/*
 * A "name" custom section may come anywhere, also before the sections that
 * declare the functions it names (here first of all); it was read then, into
 * an array sized for zero functions, and traps and wasm_module_free read past it.
 * Module: name section naming function 3 "late"; four ()->() functions
 * that are `unreachable`; export "f" = function 3.
 */
static const uint8_t name_first_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0e, 0x04, 0x6e, 0x61,
	0x6d, 0x65, 0x01, 0x07, 0x01, 0x03, 0x04, 0x6c, 0x61, 0x74, 0x65, 0x01, 0x04,
	0x01, 0x60, 0x00, 0x00, 0x03, 0x05, 0x04, 0x00, 0x00, 0x00, 0x00, 0x07, 0x05,
	0x01, 0x01, 0x66, 0x00, 0x03, 0x0a, 0x11, 0x04, 0x03, 0x00, 0x00, 0x0b, 0x03,
	0x00, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b,
};

static void test_name_section_before_functions(void **state)
{
	(void)state;
	wasm_module_t *m = wasm_module_load(name_first_wasm, sizeof(name_first_wasm));
	assert_non_null(m);
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), 0);
	assert_int_equal(wasm_call(s, export_func(inst, "f"), NULL, 0, NULL, 0), WASM_ETRAP);
	const struct wasm_trap *t = wasm_store_last_trap(s);
	assert_int_equal(t->kind, WASM_TRAP_UNREACHABLE);
	assert_int_equal(t->func_index, 3);
	assert_string_equal(t->func_name, "late");
	wasm_store_delete(s);
	wasm_module_free(m);
}

/*
 * Multi-value results land on the params and locals (slot 0 up); with
 * pending local.gets the copies overwrote a source before reading it:
 *   swap(a, b) = local.get 1 local.get 0 return          -> (b, a)
 *   mix(a)     = (i32.add a 1) (local.get 0) return      -> (a + 1, a)
 *   brif(a, b) = local.get 1 local.get 0 (br_if 0 a) drop drop
 *                local.get 0 local.get 1                 -> (b, a) if a else (a, b)
 */
static const uint8_t multivalue_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0e, 0x02, 0x60, 0x02, 0x7f,
	0x7f, 0x02, 0x7f, 0x7f, 0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7f, 0x03, 0x04, 0x03, 0x00,
	0x01, 0x00, 0x07, 0x15, 0x03, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00, 0x00, 0x03, 0x6d,
	0x69, 0x78, 0x00, 0x01, 0x04, 0x62, 0x72, 0x69, 0x66, 0x00, 0x02, 0x0a, 0x25, 0x03,
	0x07, 0x00, 0x20, 0x01, 0x20, 0x00, 0x0f, 0x0b, 0x0a, 0x00, 0x20, 0x00, 0x41, 0x01,
	0x6a, 0x20, 0x00, 0x0f, 0x0b, 0x10, 0x00, 0x20, 0x01, 0x20, 0x00, 0x20, 0x00, 0x0d,
	0x00, 0x1a, 0x1a, 0x20, 0x00, 0x20, 0x01, 0x0b,
};

static void call_pair(wasm_store_t *s, wasm_instance_t *inst, const char *fn, uint32_t nargs,
                      uint32_t a, uint32_t b, uint32_t want0, uint32_t want1)
{
	wasm_val_t args[2], res[2];
	memset(args, 0, sizeof(args));
	args[0].i32 = a;
	args[1].i32 = b;
	assert_int_equal(wasm_call(s, export_func(inst, fn), args, nargs, res, 2), 0);
	assert_int_equal(res[0].i32, want0);
	assert_int_equal(res[1].i32, want1);
}

static void test_multivalue_results_from_locals(void **state)
{
	(void)state;
	wasm_module_t *m = wasm_module_load(multivalue_wasm, sizeof(multivalue_wasm));
	assert_non_null(m);
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), 0);
	call_pair(s, inst, "swap", 2, 1, 2, 2, 1);
	call_pair(s, inst, "mix", 1, 5, 0, 6, 5);
	call_pair(s, inst, "brif", 2, 1, 2, 2, 1);
	call_pair(s, inst, "brif", 2, 0, 2, 0, 2);
	wasm_store_delete(s);
	wasm_module_free(m);
	/* The same without the compiler's peepholes. */
	setenv("BAILEY_WASM_NOOPT", "1", 1);
	m = wasm_module_load(multivalue_wasm, sizeof(multivalue_wasm));
	unsetenv("BAILEY_WASM_NOOPT");
	assert_non_null(m);
	s = wasm_store_new(NULL);
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), 0);
	call_pair(s, inst, "swap", 2, 1, 2, 2, 1);
	call_pair(s, inst, "mix", 1, 5, 0, 6, 5);
	wasm_store_delete(s);
	wasm_module_free(m);
}

/* Module: import env.cb ()->(); export "f" = call cb. (t_peek: the same with memory "mem".) */
static const uint8_t callback_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02,
	0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x02, 0x63, 0x62, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
	0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
};
static const uint8_t callback_mem_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x02, 0x0a, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x02, 0x63, 0x62, 0x00, 0x00, 0x03, 0x02,
	0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0b, 0x02, 0x03, 0x6d, 0x65, 0x6d,
	0x02, 0x00, 0x01, 0x66, 0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b,
};

/* A host function that calls the guest's "f" again: the guest recurses through the host. */
static int host_call_f(struct wasm_caller *c, void *env, wasm_val_t *args)
{
	(void)args;
	int *levels = env;
	(*levels)++;
	struct wasm_extern e;
	BL_TRY(wasm_instance_export(c->instance, "f", &e));
	return wasm_call(c->store, e.u.func, NULL, 0, NULL, 0);
}

static void run_recursion_through_host(const struct wasm_config *cfg, int *levels)
{
	wasm_module_t *m = wasm_module_load(callback_wasm, sizeof(callback_wasm));
	assert_non_null(m);
	wasm_store_t *s = wasm_store_new(cfg);
	wasm_func_t *cb = wasm_func_new_host(s, NULL, 0, NULL, 0, host_call_f, levels);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(s, m, resolve_cb, cb, &inst), 0);
	*levels = 0;
	/* Each level used the host stack: this overflowed it and crashed the process. */
	assert_int_equal(wasm_call(s, export_func(inst, "f"), NULL, 0, NULL, 0), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(s)->kind, WASM_TRAP_STACK_EXHAUSTED);
	/* Depth and stacks were restored: the same again. */
	int first = *levels;
	*levels = 0;
	assert_int_equal(wasm_call(s, export_func(inst, "f"), NULL, 0, NULL, 0), WASM_ETRAP);
	assert_int_equal(wasm_store_last_trap(s)->kind, WASM_TRAP_STACK_EXHAUSTED);
	assert_int_equal(*levels, first);
	wasm_store_delete(s);
	wasm_module_free(m);
}

static void test_recursion_through_host_is_bounded(void **state)
{
	(void)state;
	int levels = 0;
	/* Default limits: the host stack margin stops it. */
	run_recursion_through_host(NULL, &levels);
	assert_true(levels > 10);
	/* A small call depth: each host frame counts as a call. */
	struct wasm_config cfg = { .max_call_depth = 10 };
	run_recursion_through_host(&cfg, &levels);
	assert_int_equal(levels, 10);
}

/*
 * On a stack that is not the thread's (a coroutine's), the host-stack margin
 * cannot be measured: nested calls are bounded by the call depth only, not
 * refused at once (they were, since the stack lay below the thread's).
 */
static ucontext_t co_main, co_ctx;
static int co_levels;

static void co_body(void)
{
	struct wasm_config cfg = { .max_call_depth = 10 };
	run_recursion_through_host(&cfg, &co_levels);
}

static void test_reentry_on_a_coroutine_stack(void **state)
{
	(void)state;
	size_t size = 1u << 20;
	void *stack = malloc(size);
	assert_non_null(stack);
	assert_int_equal(getcontext(&co_ctx), 0);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &co_main;
	makecontext(&co_ctx, co_body, 0);
	assert_int_equal(swapcontext(&co_main, &co_ctx), 0);
	assert_int_equal(co_levels, 10);
	free(stack);
}

/*
 * A fault in a host function called from Wasm is the host's, even at an
 * address inside the guest memory's reservation: it must not be turned into a
 * guest trap (and a siglongjmp out of host code). The child process must die
 * of it, not report a trap.
 */
static int host_bad_peek(struct wasm_caller *c, void *env, wasm_val_t *args)
{
	(void)env;
	(void)args;
	struct wasm_extern e;
	BL_TRY(wasm_instance_export(c->instance, "mem", &e));
	volatile uint8_t *p = wasm_memory_data(e.u.memory);
	return p[(size_t)2 << 30]; /* 2 GiB past the 64 KiB memory: a host bug */
}

static void test_host_fault_is_not_a_trap(void **state)
{
	(void)state;
	wasm_module_t *m = wasm_module_load(callback_mem_wasm, sizeof(callback_mem_wasm));
	assert_non_null(m);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2); /* a sanitizer's SEGV report is expected here */
		signal(SIGSEGV, SIG_DFL); /* not cmocka's handler, which would go on testing */
		signal(SIGBUS, SIG_DFL);
		wasm_store_t *s = wasm_store_new(NULL);
		wasm_func_t *cb = wasm_func_new_host(s, NULL, 0, NULL, 0, host_bad_peek, NULL);
		wasm_instance_t *inst;
		struct wasm_extern e;
		if (wasm_instantiate(s, m, resolve_cb, cb, &inst) < 0 ||
		    wasm_instance_export(inst, "f", &e) < 0)
			_exit(4);
		int rc = wasm_call(s, e.u.func, NULL, 0, NULL, 0);
		_exit(rc == WASM_ETRAP ? 3 : 0);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 3); /* turned into a trap */
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 4);
	wasm_module_free(m);
}

/*
 * wasm_store_delete right when a deadline fires: the timer's callback runs on
 * a thread of its own and wrote to the freed store (ASan: heap-use-after-free
 * in the callback). Many stores are deleted around their deadline's expiry.
 */
static void test_deadline_racing_store_delete(void **state)
{
	(void)state;
	for (int i = 0; i < 300; i++) {
		wasm_store_t *s = wasm_store_new(NULL);
		assert_non_null(s);
		assert_int_equal(wasm_store_set_deadline(s, 1), 0);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		long wait_ns = 900000 + (i % 30) * 10000; /* 0.9 .. 1.19 ms */
		do
			clock_gettime(CLOCK_MONOTONIC, &t1);
		while ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) < wait_ns);
		wasm_store_delete(s);
	}
	usleep(20000); /* let late callbacks run */
}

/*
 * Validation time is linear in the body: each call, block and local.set
 * scanned the whole operand stack for pending values, so a deep stack
 * followed by many such instructions took time H x N (measured: 11 s with
 * H = 50,000 and N = 300,000; this module is 6.7 times that, beyond meson's
 * test timeout; a 10 MB module, hours). Module: global g = 0;
 * f(p) = 100,000 x global.get g, local.get p, 10^6 x local.tee 1,
 * 100,001 x drop, local.get 1  (returns p);
 * h() = 100,000 x i32.const 0, 10^6 x call nop, 100,000 x drop.
 */
static size_t put_leb(uint8_t *p, uint32_t v)
{
	size_t n = 0;
	do {
		uint8_t b = v & 0x7f;
		v >>= 7;
		p[n++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return n;
}

static size_t put_rep(uint8_t *p, const uint8_t *ops, size_t n, uint32_t times)
{
	for (uint32_t i = 0; i < times; i++)
		memcpy(p + (size_t)i * n, ops, n);
	return (size_t)times * n;
}

static void test_deep_stack_validates_in_linear_time(void **state)
{
	(void)state;
	const uint32_t H = 100000, N = 1000000;
	size_t cap = 4u << 20, n = 0;
	uint8_t *f = malloc(cap), *h = malloc(cap), *m = malloc(3 * cap);
	assert_non_null(f);
	assert_non_null(h);
	assert_non_null(m);
	size_t nf = 0, nh = 0;
	nf += put_leb(f + nf, 1); /* one local group: 1 x i32 */
	f[nf++] = 1;
	f[nf++] = 0x7f;
	nf += put_rep(f + nf, (const uint8_t[]){ 0x23, 0 }, 2, H);
	nf += put_rep(f + nf, (const uint8_t[]){ 0x20, 0 }, 2, 1);
	nf += put_rep(f + nf, (const uint8_t[]){ 0x22, 1 }, 2, N);
	nf += put_rep(f + nf, (const uint8_t[]){ 0x1a }, 1, H + 1);
	nf += put_rep(f + nf, (const uint8_t[]){ 0x20, 1, 0x0b }, 3, 1);
	h[nh++] = 0; /* no locals */
	nh += put_rep(h + nh, (const uint8_t[]){ 0x41, 0 }, 2, H);
	nh += put_rep(h + nh, (const uint8_t[]){ 0x10, 0 }, 2, N);
	nh += put_rep(h + nh, (const uint8_t[]){ 0x1a }, 1, H);
	h[nh++] = 0x0b;
	static const uint8_t head[] = {
		0x00,
		0x61,
		0x73,
		0x6d,
		0x01,
		0x00,
		0x00,
		0x00,
		/* types: ()->(), (i32)->i32 */
		0x01,
		0x09,
		0x02,
		0x60,
		0x00,
		0x00,
		0x60,
		0x01,
		0x7f,
		0x01,
		0x7f,
		/* functions: nop, f, h */
		0x03,
		0x04,
		0x03,
		0x00,
		0x01,
		0x00,
		/* global i32 immutable = 0 */
		0x06,
		0x06,
		0x01,
		0x7f,
		0x00,
		0x41,
		0x00,
		0x0b,
		/* exports f = 1, h = 2 */
		0x07,
		0x09,
		0x02,
		0x01,
		'f',
		0x00,
		0x01,
		0x01,
		'h',
		0x00,
		0x02,
	};
	memcpy(m, head, sizeof(head));
	n = sizeof(head);
	uint8_t tmp[16];
	size_t lf = put_leb(tmp, (uint32_t)nf), lh = put_leb(tmp, (uint32_t)nh);
	uint32_t code_len = (uint32_t)(1 + 3 + lf + nf + lh + nh);
	m[n++] = 10;
	n += put_leb(m + n, code_len);
	m[n++] = 3;
	m[n++] = 2; /* nop: size 2, no locals, end */
	m[n++] = 0;
	m[n++] = 0x0b;
	n += put_leb(m + n, (uint32_t)nf);
	memcpy(m + n, f, nf);
	n += nf;
	n += put_leb(m + n, (uint32_t)nh);
	memcpy(m + n, h, nh);
	n += nh;
	wasm_module_t *mod = wasm_module_load(m, n);
	if (!mod)
		fail_msg("%s", bl_errmsg());
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(s, mod, NULL, NULL, &inst), 0);
	wasm_val_t a[1], r[1];
	memset(a, 0, sizeof(a));
	a[0].i32 = 77;
	assert_int_equal(wasm_call(s, export_func(inst, "f"), a, 1, r, 1), 0);
	assert_int_equal(r[0].i32, 77);
	assert_int_equal(wasm_call(s, export_func(inst, "h"), NULL, 0, NULL, 0), 0);
	wasm_store_delete(s);
	wasm_module_free(mod);
	free(f);
	free(h);
	free(m);
}

/*
 * Memory import matching (spec 4.5.2) uses the exporter's declared limits, not
 * the store's clamp: a memory declared with max 65536 satisfies an import
 * (memory 1 65536), and one without a max does not satisfy (memory 1 200)
 * even when the store limits it to 100 pages.
 */
static const uint8_t import_mem_max64k_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0f, 0x01, 0x03, 0x65,
	0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x01, 0x01, 0x80, 0x80, 0x04,
};
static const uint8_t import_mem_max200_wasm[] = {
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x02, 0x0e, 0x01, 0x03,
	0x65, 0x6e, 0x76, 0x03, 0x6d, 0x65, 0x6d, 0x02, 0x01, 0x01, 0xc8, 0x01,
};

static int resolve_mem(void *ud, const char *module, const char *nm, enum wasm_extern_kind kind,
                       struct wasm_extern *out)
{
	(void)module;
	(void)nm;
	(void)kind;
	out->kind = WASM_EXTERN_MEMORY;
	out->u.memory = ud;
	return 0;
}

static void test_memory_import_uses_declared_limits(void **state)
{
	(void)state;
	struct wasm_config cfg = { .max_memory_pages = 100 };
	wasm_store_t *s = wasm_store_new(&cfg);
	wasm_instance_t *inst;
	wasm_memory_t *max64k = wasm_memory_new(s, 1, 65536, 1);
	wasm_memory_t *nomax = wasm_memory_new(s, 1, 0, 0);
	assert_non_null(max64k);
	assert_non_null(nomax);
	wasm_module_t *a = wasm_module_load(import_mem_max64k_wasm, sizeof(import_mem_max64k_wasm));
	wasm_module_t *b = wasm_module_load(import_mem_max200_wasm, sizeof(import_mem_max200_wasm));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(wasm_instantiate(s, a, resolve_mem, max64k, &inst), 0);
	assert_int_equal(wasm_instantiate(s, b, resolve_mem, nomax, &inst), BL_ENOENT);
	assert_int_equal(wasm_instantiate(s, b, resolve_mem, max64k, &inst), BL_ENOENT);
	/* The store's limit still bounds growth of the max-65536 memory. */
	assert_int_equal(wasm_memory_grow(max64k, 99), 1);
	assert_true(wasm_memory_grow(max64k, 1) < 0);
	wasm_store_delete(s);
	wasm_module_free(a);
	wasm_module_free(b);
}

/*
 * The fault handler belongs to guard-page mode only. With explicit bounds
 * checks (test_wasm_bc.c) no guest access can fault, and a handler that
 * turned faults within 8 GiB of a calloc'ed memory into guest traps would
 * hide host and engine bugs: creating a store leaves the SIGSEGV action alone.
 */
static void dummy_segv(int sig)
{
	(void)sig;
	_exit(9);
}

static void test_fault_handler_only_with_guard_pages(void **state)
{
	(void)state;
	struct sigaction mine, saved, now;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = dummy_segv;
	sigemptyset(&mine.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &mine, &saved), 0);
	wasm_store_t *s = wasm_store_new(NULL);
	assert_non_null(s);
	assert_int_equal(sigaction(SIGSEGV, NULL, &now), 0);
#ifdef TEST_WASM_BOUNDS_CHECKS
	assert_true(now.sa_handler == dummy_segv);
#else
	assert_true(now.sa_handler != dummy_segv); /* the guard-page handler */
#endif
	wasm_store_delete(s);
	assert_int_equal(sigaction(SIGSEGV, &saved, NULL), 0);
}

/*
 * Code size. br_table emitted a block of copies for every entry whose label
 * needs its values moved: 300,000 entries to one label carrying 1,000 values
 * made a 300 KB body take hundreds of MB of internal code. Entries to the same
 * label now share one block, and internal code is limited to 64 cells per body
 * byte (plus 1 Mi), so a small body cannot make the host allocate gigabytes.
 *   brt(x, i) = block (result i32 x 1000) (i32.const 1 .. 1000)
 *               (br_table 0 0 ... 0 (local.get i)) end, then 999 x i32.add
 *   -> 500,500 for any i.
 * A body of many br_ifs that each move 1,000 values (brifs: the block's
 * values sit one above its label) needs 3,000 cells per 4 bytes: refused
 * rather than grown (without the limit, 11 KB here took 48 MB; 200 KB would
 * take gigabytes).
 *   brifs(x, i) = block (result i32 x 1000) (i32.const 7) (i32.const 1 .. 1000)
 *                 2,000 x (br_if 0 (local.get 0)) unreachable end ...
 */
static uint8_t *build_brtable_module(uint32_t brifs, uint32_t arity, uint32_t entries, size_t *len)
{
	size_t cap = 16u << 20, nb = 0, n = 0;
	uint8_t *b = malloc(cap), *m = malloc(cap);
	assert_non_null(b);
	assert_non_null(m);
	b[nb++] = 0; /* no locals */
	b[nb++] = 0x02; /* block (type 1) */
	b[nb++] = 0x01;
	if (brifs) {
		b[nb++] = 0x41;
		b[nb++] = 7;
	}
	for (uint32_t i = 1; i <= arity; i++) {
		b[nb++] = 0x41; /* i32.const i: signed LEB, 0 < i < 2^13 */
		if (i < 64) {
			b[nb++] = (uint8_t)i;
		} else {
			b[nb++] = (uint8_t)(0x80 | (i & 0x7f));
			b[nb++] = (uint8_t)(i >> 7);
		}
	}
	if (brifs) {
		nb += put_rep(b + nb, (const uint8_t[]){ 0x20, 0, 0x0d, 0 }, 4, brifs);
		b[nb++] = 0x00; /* unreachable */
	} else {
		b[nb++] = 0x20; /* local.get 1 */
		b[nb++] = 1;
		b[nb++] = 0x0e;
		nb += put_leb(b + nb, entries);
		nb += put_rep(b + nb, (const uint8_t[]){ 0 }, 1, entries + 1);
	}
	b[nb++] = 0x0b;
	nb += put_rep(b + nb, (const uint8_t[]){ 0x6a }, 1, arity - 1);
	b[nb++] = 0x0b;
	static const uint8_t head[] = { 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00 };
	memcpy(m, head, sizeof(head));
	n = sizeof(head);
	/* types: (i32 i32)->i32, ()->(i32 x arity) */
	uint8_t t[8];
	size_t la = put_leb(t, arity);
	m[n++] = 1;
	n += put_leb(m + n, (uint32_t)(1 + 6 + 2 + la + arity));
	m[n++] = 2;
	memcpy(m + n, (const uint8_t[]){ 0x60, 2, 0x7f, 0x7f, 1, 0x7f, 0x60, 0 }, 8);
	n += 8;
	n += put_leb(m + n, arity);
	memset(m + n, 0x7f, arity);
	n += arity;
	memcpy(m + n, (const uint8_t[]){ 3, 2, 1, 0, 7, 7, 1, 3, 'b', 'r', 't', 0, 0 }, 13);
	n += 13;
	size_t lb = put_leb(t, (uint32_t)nb);
	m[n++] = 10;
	n += put_leb(m + n, (uint32_t)(1 + lb + nb));
	m[n++] = 1;
	n += put_leb(m + n, (uint32_t)nb);
	memcpy(m + n, b, nb);
	n += nb;
	free(b);
	*len = n;
	return m;
}

static void test_br_table_code_size_is_bounded(void **state)
{
	(void)state;
	size_t len;
	uint8_t *bin = build_brtable_module(0, 1000, 300000, &len);
	wasm_module_t *m = wasm_module_load(bin, len);
	if (!m)
		fail_msg("%s", bl_errmsg());
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	assert_int_equal(wasm_instantiate(s, m, NULL, NULL, &inst), 0);
	wasm_val_t a[2], r[1];
	memset(a, 0, sizeof(a));
	for (uint32_t i = 0; i < 3; i++) {
		a[1].i32 = i == 2 ? 0xffffffffu : i * 1000;
		assert_int_equal(wasm_call(s, export_func(inst, "brt"), a, 2, r, 1), 0);
		assert_int_equal(r[0].i32, 500500);
	}
	wasm_store_delete(s);
	wasm_module_free(m);
	free(bin);
	/* Many branches each moving 1,000 values: refused, not grown without bound. */
	bin = build_brtable_module(2000, 1000, 0, &len);
	assert_null(wasm_module_load(bin, len));
	assert_non_null(strstr(bl_errmsg(), "function too large"));
	free(bin);
}

/*
 * A fault that is not a guest access goes to the handler installed before
 * ours, and ours stays installed: it used to put the previous handler back
 * for good, so every later guest out-of-bounds access went to that handler
 * instead of becoming a trap.
 */
static sigjmp_buf prev_jb;
static volatile int prev_hits;

static void prev_segv_handler(int sig)
{
	(void)sig;
	prev_hits++;
	siglongjmp(prev_jb, 1);
}

static void guest_oob_is_a_trap(struct fixture *f)
{
	uint32_t r = 0;
	if (sigsetjmp(prev_jb, 1) == 0) {
		assert_int_equal(call1(f, "load", 70000, &r), WASM_ETRAP);
		assert_int_equal(wasm_store_last_trap(f->store)->kind, WASM_TRAP_MEMORY_OOB);
	} else {
		fail_msg("a guest fault reached the previous handler");
	}
}

static void test_previous_handler_gets_host_faults(void **state)
{
	(void)state;
	struct sigaction mine, saved;
	memset(&mine, 0, sizeof(mine));
	mine.sa_handler = prev_segv_handler;
	mine.sa_flags = SA_NODEFER;
	sigemptyset(&mine.sa_mask);
	assert_int_equal(sigaction(SIGSEGV, &mine, &saved), 0);
	struct fixture f;
	setup_core(&f, NULL); /* installs the engine's handler over ours (guard pages) */
	prev_hits = 0;
	if (sigsetjmp(prev_jb, 1) == 0) {
		volatile uintptr_t addr = 16;
		volatile int *bad = (volatile int *)addr;
		(void)*bad; /* a host fault, outside any call */
		fail_msg("no fault");
	}
	assert_int_equal(prev_hits, 1);
	/* Twice: guest faults are still traps afterwards. */
	guest_oob_is_a_trap(&f);
	guest_oob_is_a_trap(&f);
	assert_int_equal(prev_hits, 1);
	teardown_core(&f);
	assert_int_equal(sigaction(SIGSEGV, &saved, NULL), 0);
}

/* ---- refusals ---- */

static void test_malformed_modules(void **state)
{
	(void)state;
	static const uint8_t bad_magic[] = { 0, 'a', 's', 'n', 1, 0, 0, 0 };
	assert_null(wasm_module_load(bad_magic, sizeof(bad_magic)));
	assert_non_null(strstr(bl_errmsg(), "magic"));
	static const uint8_t bad_version[] = { 0, 'a', 's', 'm', 2, 0, 0, 0 };
	assert_null(wasm_module_load(bad_version, sizeof(bad_version)));
	assert_non_null(strstr(bl_errmsg(), "version"));
	/* Every prefix of a valid module that cuts a section is refused. */
	struct mb m;
	bool boundary[sizeof(m.b) + 1] = { false };
	build_core(&m);
	for (size_t at = 8; at < m.n;) { /* walk the sections: id, LEB128 size, contents */
		size_t size = 0, shift = 0;
		boundary[at] = true;
		at++;
		while (m.b[at] & 0x80) {
			size |= (size_t)(m.b[at++] & 0x7f) << shift;
			shift += 7;
		}
		size |= (size_t)m.b[at++] << shift;
		at += size;
	}
	for (size_t n = 0; n < m.n; n++) {
		wasm_module_t *p = wasm_module_load(m.b, n);
		if (!boundary[n])
			assert_null(p);
		wasm_module_free(p);
	}
	/* Sections out of order. */
	static const uint8_t order[] = { 0, 'a', 's', 'm', 1, 0, 0, 0, 3, 1, 0, 1, 1, 0 };
	assert_null(wasm_module_load(order, sizeof(order)));
	assert_non_null(strstr(bl_errmsg(), "offset 0xb"));
}

static void test_invalid_body_is_located(void **state)
{
	(void)state;
	struct mb m;
	build_core(&m);
	/* Replace the first body's i32.add by i64.add: a type mismatch in function 0. */
	size_t i;
	for (i = 0; i + 5 < m.n; i++)
		if (memcmp(m.b + i, (uint8_t[]){ 0x20, 0, 0x20, 1, 0x6a, 0x0b }, 6) == 0)
			break;
	assert_true(i + 5 < m.n);
	m.b[i + 4] = 0x7c;
	assert_null(wasm_module_load(m.b, m.n));
	const char *msg = bl_errmsg();
	assert_non_null(strstr(msg, "code section"));
	assert_non_null(strstr(msg, "function 0"));
	assert_non_null(strstr(msg, "type mismatch"));
	char at[32];
	snprintf(at, sizeof(at), "offset 0x%zx", i + 5);
	assert_non_null(strstr(msg, at));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_and_results),
		cmocka_unit_test(test_trap_kinds_and_names),
		cmocka_unit_test(test_memory_oob_trap),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_interrupt_from_thread),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_threads_trap_independently),
		cmocka_unit_test(test_host_functions),
		cmocka_unit_test(test_reentrant_host_calls),
		cmocka_unit_test(test_name_section_before_functions),
		cmocka_unit_test(test_multivalue_results_from_locals),
		cmocka_unit_test(test_recursion_through_host_is_bounded),
		cmocka_unit_test(test_reentry_on_a_coroutine_stack),
		cmocka_unit_test(test_host_fault_is_not_a_trap),
		cmocka_unit_test(test_deadline_racing_store_delete),
		cmocka_unit_test(test_deep_stack_validates_in_linear_time),
		cmocka_unit_test(test_memory_import_uses_declared_limits),
		cmocka_unit_test(test_fault_handler_only_with_guard_pages),
		cmocka_unit_test(test_br_table_code_size_is_bounded),
		cmocka_unit_test(test_previous_handler_gets_host_faults),
		cmocka_unit_test(test_malformed_modules),
		cmocka_unit_test(test_invalid_body_is_located),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
