/*
 * module.h — internal structures of the engine: the decoded module, runtime
 * objects (function, table, memory, global instances, instances, stores) and
 * the interfaces between decode.c, compile.c, interp.c and runtime.c.
 *
 * Not a public header: embedders use include/bailey/wasm.h.
 */
#ifndef BL_WASM_MODULE_H
#define BL_WASM_MODULE_H

#include <setjmp.h>
#include <time.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bailey/wasm.h"
#include "common/cursor.h"
#include "wasm/ir.h"

/* Implementation limits (beyond the spec's); exceeding one refuses the module. */
#define WASM_MAX_TYPES 100000u
#define WASM_MAX_FUNCS 1000000u
#define WASM_MAX_IMPORTS 100000u
#define WASM_MAX_EXPORTS 100000u
#define WASM_MAX_GLOBALS 1000000u
#define WASM_MAX_TABLES 100000u
#define WASM_MAX_SEGMENTS 100000u
#define WASM_MAX_PARAMS 1000u
#define WASM_MAX_LOCALS 50000u
#define WASM_MAX_FRAME_SLOTS 200000u
#define WASM_PAGE 65536u
#define WASM_MAX_PAGES 65536u
/* 8 GiB covers every u32 address + u32 offset; the extra page covers the access width. */
#define WASM_RESERVE ((8ull << 30) + 65536)

/* One slot of a frame (see ir.h). */
typedef union wasm_slot {
	uint32_t i32;
	uint64_t i64;
	float f32;
	double f64;
	void *ref;
} wasm_slot_t;

struct wasm_functype {
	uint32_t nparams, nresults;
	uint8_t *types; /* params then results (owned) */
	uint32_t canon; /* process-wide id: equal ids <=> equal types */
};

struct wasm_limits {
	uint64_t min, max;
	bool has_max;
};

struct wasm_tabletype {
	uint8_t elem; /* WASM_FUNCREF or WASM_EXTERNREF */
	struct wasm_limits lim;
};

struct wasm_globaltype {
	uint8_t type;
	bool mut;
};

/* A constant expression (spec 3.3.10): one instruction in Wasm 2.0. */
enum wasm_cexpr_kind { WASM_CEXPR_CONST, WASM_CEXPR_GLOBAL, WASM_CEXPR_FUNC, WASM_CEXPR_NULL };
struct wasm_cexpr {
	uint8_t kind;
	uint8_t type;
	uint64_t v; /* value bits, global index or function index */
};

struct wasm_import {
	char *module, *name; /* owned, NUL-terminated, valid UTF-8 */
	uint8_t kind; /* enum wasm_extern_kind */
	uint32_t index; /* index within its space (func/table/memory/global) */
	union {
		uint32_t type; /* function: type index */
		struct wasm_tabletype table;
		struct wasm_limits mem;
		struct wasm_globaltype global;
	} d;
};

struct wasm_export {
	char *name;
	uint32_t name_len; /* names may hold NUL */
	uint8_t kind;
	uint32_t index;
};

struct wasm_global_def {
	struct wasm_globaltype type;
	struct wasm_cexpr init;
};

enum wasm_seg_mode { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE };

struct wasm_elem {
	uint8_t mode;
	uint8_t type; /* element reference type */
	uint32_t table;
	struct wasm_cexpr offset;
	uint32_t count;
	struct wasm_cexpr *items; /* owned */
};

struct wasm_data {
	uint8_t mode;
	uint32_t mem;
	struct wasm_cexpr offset;
	uint32_t len;
	const uint8_t *bytes; /* into the module's copy of the binary */
};

/* A defined function after compilation. */
struct wasm_code {
	uint32_t type; /* type index */
	uint32_t nparams; /* slots the caller fills */
	uint32_t nlocals; /* params + declared locals (slots) */
	uint32_t frame_slots; /* nlocals + max operand height */
	uint32_t ncells;
	union wasm_cell *cells; /* owned; threaded lazily (see threaded) */
	bool threaded;
	size_t body_offset; /* of the body in the binary, for messages */
};

struct wasm_module {
	bool noopt; /* compile without peepholes (differential testing only) */
	uint8_t *bin; /* owned copy of the binary */
	size_t bin_len;
	uint32_t ntypes;
	struct wasm_functype *types;
	uint32_t nimports;
	struct wasm_import *imports;
	/* Index spaces: imports first, then definitions. */
	uint32_t nfuncs, nfunc_imports;
	uint32_t *func_types; /* type index of every function */
	uint32_t ntables, ntable_imports;
	struct wasm_tabletype *tables;
	uint32_t nmems, nmem_imports;
	struct wasm_limits *mems;
	uint32_t nglobals, nglobal_imports;
	struct wasm_global_def *globals; /* all globals; init unused for imports */
	uint32_t nexports;
	struct wasm_export *exports;
	bool has_start;
	uint32_t start;
	uint32_t nelems;
	struct wasm_elem *elems;
	uint32_t ndatas;
	bool has_datacount;
	uint32_t datacount;
	struct wasm_data *datas;
	struct wasm_code *codes; /* nfuncs - nfunc_imports */
	bool *declared_funcs; /* C.refs: functions ref.func may name */
	char **func_names; /* from the name section; entries may be NULL */
};

/* ---- runtime objects ---- */

struct wasm_func {
	struct wasm_functype *type; /* borrowed from module or owned (host) */
	struct wasm_instance *inst; /* NULL for host functions */
	struct wasm_code *code; /* NULL for host functions */
	uint32_t index; /* in its module's function space */
	wasm_host_fn host;
	void *env;
	struct wasm_functype host_type; /* storage for host functions */
	struct wasm_func *next_owned;
};

struct wasm_table {
	uint8_t elem;
	uint32_t size, max; /* max already includes the store limit */
	bool has_max; /* declared type (for import matching, spec 4.5.2) */
	uint32_t decl_max;
	void **elems;
	struct wasm_table *next_owned;
};

struct wasm_memory {
	uint8_t *base; /* reservation (guard mode) or allocation (bounds-check mode) */
	uint64_t size; /* bytes accessible */
	uint32_t pages, max_pages; /* max_pages already includes the store limit */
	bool has_max; /* declared type (for import matching) */
	uint32_t decl_max;
	struct wasm_memory *next_owned;
};

struct wasm_global {
	wasm_slot_t val; /* first: the interpreter reads it through a pointer */
	uint8_t type;
	bool mut;
	struct wasm_global *next_owned;
};

struct wasm_instance {
	const struct wasm_module *mod;
	struct wasm_store *store;
	struct wasm_func **funcs;
	struct wasm_table **tables;
	struct wasm_memory *mem; /* memory 0 or NULL */
	struct wasm_global **globals;
	void ***elem_refs; /* evaluated element segments (spec 4.5.3.9) */
	uint32_t *elem_len; /* 0 once dropped */
	uint32_t *data_len; /* 0 once dropped */
	uint32_t *type_canon; /* canonical id per module type index */
	struct wasm_func *own_funcs; /* array of nfuncs - nfunc_imports */
	struct wasm_instance *next_owned;
};

/* A call frame the interpreter saves on calls (return address). */
struct wasm_frame {
	const union wasm_cell *pc;
	wasm_slot_t *fp;
	struct wasm_func *func;
};

struct wasm_store {
	struct wasm_config cfg;
	volatile int interrupt;
	volatile int stop; /* interrupt || expired || budget_on: the flag the interpreter polls */
	volatile int expired; /* the deadline passed */
	bool timer_armed;
	timer_t timer;
	/* Deadline bookkeeping, under runtime.c's timer_lock (see deadline_fired). */
	uint64_t timer_id; /* what the timer's callback is given instead of the store */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC of the armed deadline, 0 when disarmed */
	struct wasm_store *timer_next; /* list of stores that have a timer */
	uint64_t budget; /* 0 = unlimited */
	wasm_slot_t *stack; /* value stack, cfg.max_stack_slots */
	struct wasm_frame *frames; /* cfg.max_call_depth */
	/* Current extent of nested calls (re-entrant host calls share the stacks). */
	wasm_slot_t *sp_top;
	uint32_t depth;
	struct wasm_func *cur; /* function running (for trap reports) */
	int budget_on;
	struct wasm_trap trap;
	struct wasm_instance *instances;
	struct wasm_func *funcs;
	struct wasm_table *tables;
	struct wasm_memory *mems;
	struct wasm_global *globals;
};

/* ---- interfaces between the files ---- */

/* decode.c: parse, validate (via compile.c) and build a module. */
struct wasm_module *wasm_decode(const uint8_t *bytes, size_t len, bool optimize);
/* wasm_module_load with the compiler's peepholes on or off (tests compare the two). */
struct wasm_module *wasm_module_load_ex(const uint8_t *bytes, size_t len, bool optimize);
void wasm_module_destroy(struct wasm_module *m);
/* Read a value type; BL_EINVAL for unknown ones (v128 is BL_EUNSUPP). */
BL_MUST_CHECK int wasm_read_valtype(struct bl_cur *c, uint8_t *t);
BL_MUST_CHECK int wasm_read_blocktype(struct bl_cur *c, int64_t *bt);

/* compile.c: validate one function body and lower it to IR. */
BL_MUST_CHECK int wasm_compile_body(const struct wasm_module *m, uint32_t defined_index,
                                    struct bl_cur *body, struct wasm_code *out);

/* runtime.c: canonical type ids. */
BL_MUST_CHECK int wasm_type_canon(const uint8_t *types, uint32_t np, uint32_t nr, uint32_t *id);

/* interp.c: run f with args in the store's stack. */
int wasm_interp_call(struct wasm_store *s, struct wasm_func *f, wasm_slot_t *args);
/* Print code (before threading) for debugging: BAILEY_WASM_DUMP=1. */
void wasm_ir_dump(const struct wasm_code *code, uint32_t index, FILE *out);
/* Replace opcodes and labels by handler addresses and pointers. */
void wasm_ir_thread(struct wasm_code *code);

/* runtime.c helpers the interpreter uses. */
int64_t wasm_mem_grow(struct wasm_memory *m, uint32_t delta);
int64_t wasm_table_grow_(struct wasm_table *t, uint32_t delta, void *init);
int wasm_trap_set(struct wasm_store *s, enum wasm_trap_kind kind, struct wasm_func *f);
int wasm_call_host(struct wasm_store *s, struct wasm_func *f, struct wasm_instance *caller,
                   wasm_slot_t *args);

#endif
