/*
 * bailey/wasm.h — Bailey's WebAssembly engine: the embedding API.
 *
 * What it does: decodes and validates a WebAssembly 2.0 binary module (the MVP
 * plus sign-extension, non-trapping float-to-int, multi-value, bulk memory,
 * reference types and mutable-global import/export; not SIMD), compiles each
 * function at load time into Bailey's internal threaded code, instantiates it
 * against imports supplied by the host through a resolver, and runs exported
 * functions in a fast interpreter.
 *
 * Guarantees:
 *  - A module is refused unless it is well-formed and valid (spec 5 and 3);
 *    the reason names the section, the function index and the byte offset.
 *  - Nothing a module does corrupts or crashes the host: every trap (spec
 *    4.4) comes back from wasm_call() as WASM_ETRAP with a struct wasm_trap
 *    describing it (kind, function index and name). Linear memory is a
 *    reservation of 8 GiB with guard pages, so an out-of-bounds access faults
 *    and the SIGSEGV/SIGBUS handler (on an alternate signal stack) turns it into
 *    a trap; builds with -Dwasm_bounds_checks=true check every access instead.
 *  - Limits set in struct wasm_config hold: memory pages, table elements, call
 *    depth, value-stack slots; a wasm_call made from a host function is refused
 *    (call stack exhausted) near the end of the thread's stack, so a guest
 *    recursing through the host cannot overflow it; a fault inside a host
 *    function is the host's, never a guest trap; a host can stop running code
 *    with a deadline (wasm_store_set_deadline), with wasm_store_interrupt()
 *    from any thread, or with a check budget (counted on calls and taken
 *    branches, so on every loop iteration).
 *
 * Does not: run SIMD (v128 is decoded and refused as unsupported), share
 * memories between threads, or make a store usable from two threads at once
 * (one store per thread; wasm_store_interrupt is the one thread-safe call).
 *
 * Ownership: a store owns everything created in it (instances, host functions,
 * memories, tables, globals) and frees it in wasm_store_delete(). A module is
 * owned by its caller and must outlive every store that instantiated it.
 */
#ifndef BAILEY_WASM_H
#define BAILEY_WASM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Returned by wasm_call/wasm_instantiate when the guest trapped (details in the trap). */
#define WASM_ETRAP (-64)

enum wasm_valtype {
	WASM_I32 = 0x7f,
	WASM_I64 = 0x7e,
	WASM_F32 = 0x7d,
	WASM_F64 = 0x7c,
	WASM_V128 = 0x7b, /* reserved for SIMD; refused today */
	WASM_FUNCREF = 0x70,
	WASM_EXTERNREF = 0x6f,
};

/*
 * One value. Floats travel as bit patterns (f32_bits/f64_bits) so NaN payloads
 * survive; refs are opaque pointers, NULL being the null reference. 16 bytes
 * so that v128 fits without changing the API.
 */
typedef union wasm_val {
	uint32_t i32;
	uint64_t i64;
	uint32_t f32_bits;
	uint64_t f64_bits;
	void *ref;
	uint8_t v128[16];
} wasm_val_t;

enum wasm_extern_kind {
	WASM_EXTERN_FUNC = 0,
	WASM_EXTERN_TABLE = 1,
	WASM_EXTERN_MEMORY = 2,
	WASM_EXTERN_GLOBAL = 3,
};

enum wasm_trap_kind {
	WASM_TRAP_NONE = 0,
	WASM_TRAP_UNREACHABLE,
	WASM_TRAP_MEMORY_OOB, /* out-of-bounds memory access */
	WASM_TRAP_TABLE_OOB, /* out-of-bounds table access / undefined element */
	WASM_TRAP_DIV_ZERO, /* integer divide by zero */
	WASM_TRAP_INT_OVERFLOW, /* integer overflow */
	WASM_TRAP_INVALID_CONVERSION, /* invalid conversion to integer */
	WASM_TRAP_INDIRECT_MISMATCH, /* indirect call type mismatch */
	WASM_TRAP_NULL_REF, /* uninitialized element / null function reference */
	WASM_TRAP_STACK_EXHAUSTED, /* call stack exhausted */
	WASM_TRAP_INTERRUPTED, /* deadline, budget or wasm_store_interrupt */
	WASM_TRAP_HOST, /* a host function failed */
};

struct wasm_trap {
	enum wasm_trap_kind kind;
	uint32_t func_index; /* index in its module's function space; UINT32_MAX if none */
	char func_name[64]; /* from the name section, or "" */
	char message[160]; /* "integer divide by zero in function 3 (fib)" */
};

/* Short spec wording of a trap kind ("integer divide by zero"); never NULL. */
const char *wasm_trap_kind_name(enum wasm_trap_kind kind);

typedef struct wasm_module wasm_module_t;
typedef struct wasm_store wasm_store_t;
typedef struct wasm_instance wasm_instance_t;
typedef struct wasm_func wasm_func_t;
typedef struct wasm_table wasm_table_t;
typedef struct wasm_memory wasm_memory_t;
typedef struct wasm_global wasm_global_t;

/* Limits a store enforces; zero fields take the defaults in brackets. */
struct wasm_config {
	uint32_t max_memory_pages; /* 64 KiB pages per memory [65536] */
	uint32_t max_table_elems; /* per table [10,000,000] */
	uint32_t max_call_depth; /* nested calls, host functions included [20,000] */
	uint32_t max_stack_slots; /* 8-byte value-stack slots [4 Mi] */
	uint64_t budget; /* calls + taken branches before WASM_TRAP_INTERRUPTED [none] */
};

/* ---- modules ---- */

/*
 * Decode, validate and compile `len` bytes. Returns NULL with the reason in
 * bl_errmsg() ("code section: function 4: offset 0x1a3: type mismatch …").
 * The bytes are copied; the caller keeps ownership of `bytes`.
 */
wasm_module_t *wasm_module_load(const uint8_t *bytes, size_t len);
void wasm_module_free(wasm_module_t *m);

/* Imports and exports of a module, for embedders that want to list them. */
uint32_t wasm_module_import_count(const wasm_module_t *m);
uint32_t wasm_module_export_count(const wasm_module_t *m);
/* Fill module/name/kind of import i; returns BL_ERANGE when i is out of range. */
BL_MUST_CHECK int wasm_module_import(const wasm_module_t *m, uint32_t i, const char **module,
                                     const char **name, enum wasm_extern_kind *kind);
BL_MUST_CHECK int wasm_module_export(const wasm_module_t *m, uint32_t i, const char **name,
                                     enum wasm_extern_kind *kind);

/* ---- stores ---- */

/* cfg may be NULL for defaults. */
wasm_store_t *wasm_store_new(const struct wasm_config *cfg);
void wasm_store_delete(wasm_store_t *s);
/* Ask the call running in s to stop at its next check (thread-safe, async-signal-safe). */
void wasm_store_interrupt(wasm_store_t *s);
/*
 * Arm a deadline `ms` milliseconds from now (0 disarms): once it passes, the
 * running call and every later call trap with WASM_TRAP_INTERRUPTED until the
 * deadline is disarmed or re-armed. Uses a POSIX timer. Returns 0 or BL_EIO.
 */
BL_MUST_CHECK int wasm_store_set_deadline(wasm_store_t *s, uint64_t ms);
/* Set the remaining check budget (0 = unlimited). */
void wasm_store_set_budget(wasm_store_t *s, uint64_t budget);
/* The trap of the last call or instantiation that returned WASM_ETRAP. */
const struct wasm_trap *wasm_store_last_trap(const wasm_store_t *s);

/* ---- externs and the resolver ---- */

struct wasm_extern {
	enum wasm_extern_kind kind;
	union {
		wasm_func_t *func;
		wasm_table_t *table;
		wasm_memory_t *memory;
		wasm_global_t *global;
	} u;
};

/*
 * The host resolves each import: fill *out and return 0, or return a negative
 * BL_E* (the import is then unknown and instantiation fails). The engine checks
 * that the extern's kind and type match the import (spec 4.5.4).
 */
typedef int (*wasm_resolver_fn)(void *ud, const char *module, const char *name,
                                enum wasm_extern_kind kind, struct wasm_extern *out);

/* What a host function is given about its caller. */
struct wasm_caller {
	wasm_store_t *store;
	wasm_instance_t *instance; /* the calling instance, NULL when called by the host */
};

/*
 * A host function: args[0..nparams) hold the arguments; it writes the results
 * to args[0..nresults) and returns 0, or returns a negative BL_E* with a
 * reason in bl_err to trap (WASM_TRAP_HOST).
 */
typedef int (*wasm_host_fn)(struct wasm_caller *caller, void *env, wasm_val_t *args);

/* Create a host function of type params -> results (types copied). */
wasm_func_t *wasm_func_new_host(wasm_store_t *s, const enum wasm_valtype *params, uint32_t nparams,
                                const enum wasm_valtype *results, uint32_t nresults,
                                wasm_host_fn fn, void *env);

/* Host-created memories, tables and globals (for the spectest module and tests). */
wasm_memory_t *wasm_memory_new(wasm_store_t *s, uint32_t min_pages, uint32_t max_pages,
                               int has_max);
wasm_table_t *wasm_table_new(wasm_store_t *s, enum wasm_valtype elem, uint32_t min, uint32_t max,
                             int has_max);
wasm_global_t *wasm_global_new(wasm_store_t *s, enum wasm_valtype type, int mutable_,
                               wasm_val_t init);

/* ---- instances ---- */

/*
 * Instantiate m in s (spec 4.5.4): resolve imports, allocate, initialise
 * tables and memories from active segments, run the start function. Returns
 * 0 and *out, a negative BL_E* when linking fails (unknown import,
 * incompatible type), or WASM_ETRAP when a segment or start traps (the
 * instance is then left half-initialised, as the spec says, and not returned).
 */
BL_MUST_CHECK int wasm_instantiate(wasm_store_t *s, const wasm_module_t *m,
                                   wasm_resolver_fn resolve, void *ud, wasm_instance_t **out);

/* Look up an export by name; returns BL_ENOENT when there is none. */
BL_MUST_CHECK int wasm_instance_export(wasm_instance_t *inst, const char *name,
                                       struct wasm_extern *out);

/* The same with an explicit length (export names may contain NUL). */
BL_MUST_CHECK int wasm_instance_export_n(wasm_instance_t *inst, const char *name, size_t len,
                                         struct wasm_extern *out);

/* ---- functions ---- */

uint32_t wasm_func_param_count(const wasm_func_t *f);
uint32_t wasm_func_result_count(const wasm_func_t *f);
enum wasm_valtype wasm_func_param_type(const wasm_func_t *f, uint32_t i);
enum wasm_valtype wasm_func_result_type(const wasm_func_t *f, uint32_t i);

/*
 * Call f with nargs arguments; results land in results[0..nresults). Returns
 * 0, BL_EINVAL when the counts do not match f's type, or WASM_ETRAP (details
 * in wasm_store_last_trap). Re-entrant from host functions.
 */
BL_MUST_CHECK int wasm_call(wasm_store_t *s, wasm_func_t *f, const wasm_val_t *args, uint32_t nargs,
                            wasm_val_t *results, uint32_t nresults);

/* ---- memories, tables, globals ---- */

/* Current size in bytes, and the base address (valid until the next grow). */
uint64_t wasm_memory_size(const wasm_memory_t *m);
uint8_t *wasm_memory_data(wasm_memory_t *m);
/* Copy between the host and guest memory; BL_ERANGE if [off, off+n) is out of bounds. */
BL_MUST_CHECK int wasm_memory_read(const wasm_memory_t *m, uint64_t off, void *dst, size_t n);
BL_MUST_CHECK int wasm_memory_write(wasm_memory_t *m, uint64_t off, const void *src, size_t n);
/* Grow by delta pages; returns the old size in pages or a negative BL_E*. */
int64_t wasm_memory_grow(wasm_memory_t *m, uint32_t delta);

uint32_t wasm_table_size(const wasm_table_t *t);
BL_MUST_CHECK int wasm_table_get(const wasm_table_t *t, uint32_t i, void **ref);

enum wasm_valtype wasm_global_type(const wasm_global_t *g);
wasm_val_t wasm_global_get(const wasm_global_t *g);
BL_MUST_CHECK int wasm_global_set(wasm_global_t *g, wasm_val_t v);

#endif
