/*
 * runner.c — runs the WebAssembly core spec testsuite as converted by wabt's
 * wast2json: one JSON script per invocation (plus the .wasm files beside it).
 *
 * Commands: module, register, action, assert_return (NaN canonical and
 * arithmetic), assert_trap, assert_exhaustion, assert_invalid,
 * assert_malformed (binary; text-format ones are skipped), assert_unlinkable,
 * assert_uninstantiable. Each assertion counts as passed, failed or skipped;
 * a module or action that should work but does not counts as failed. Prints
 * the failures, then one line "FILE: N passed, N failed, N skipped".
 *
 * Uses only the embedding API (bailey/wasm.h) and provides the `spectest`
 * host module (print functions, global_i32/i64/f32/f64, table, memory).
 */
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bailey/wasm.h"

#define MAX_NAMED 512

struct named {
	char *name;
	wasm_instance_t *inst;
	wasm_module_t *mod;
};

struct runner {
	const char *dir;
	const char *file;
	wasm_store_t *store;
	struct named reg[MAX_NAMED]; /* registered ("as") names */
	int nreg;
	struct named mods[MAX_NAMED]; /* $names and every module, to free */
	int nmods;
	wasm_instance_t *current;
	struct {
		wasm_func_t *print[7];
		wasm_global_t *g_i32, *g_i64, *g_f32, *g_f64;
		wasm_table_t *table;
		wasm_memory_t *memory;
	} spectest;
	int passed, failed, skipped;
	int verbose;
};

static int host_print(struct wasm_caller *c, void *env, wasm_val_t *args)
{
	(void)c;
	(void)env;
	(void)args;
	return 0;
}

static void setup_spectest(struct runner *r)
{
	static const enum wasm_valtype p_i32[] = { WASM_I32 }, p_i64[] = { WASM_I64 },
	                               p_f32[] = { WASM_F32 }, p_f64[] = { WASM_F64 },
	                               p_i32_f32[] = { WASM_I32, WASM_F32 },
	                               p_f64_f64[] = { WASM_F64, WASM_F64 };
	wasm_store_t *s = r->store;
	r->spectest.print[0] = wasm_func_new_host(s, NULL, 0, NULL, 0, host_print, NULL);
	r->spectest.print[1] = wasm_func_new_host(s, p_i32, 1, NULL, 0, host_print, NULL);
	r->spectest.print[2] = wasm_func_new_host(s, p_i64, 1, NULL, 0, host_print, NULL);
	r->spectest.print[3] = wasm_func_new_host(s, p_f32, 1, NULL, 0, host_print, NULL);
	r->spectest.print[4] = wasm_func_new_host(s, p_f64, 1, NULL, 0, host_print, NULL);
	r->spectest.print[5] = wasm_func_new_host(s, p_i32_f32, 2, NULL, 0, host_print, NULL);
	r->spectest.print[6] = wasm_func_new_host(s, p_f64_f64, 2, NULL, 0, host_print, NULL);
	wasm_val_t v;
	memset(&v, 0, sizeof(v));
	v.i32 = 666;
	r->spectest.g_i32 = wasm_global_new(s, WASM_I32, 0, v);
	v.i64 = 666;
	r->spectest.g_i64 = wasm_global_new(s, WASM_I64, 0, v);
	v.i64 = 0;
	v.f32_bits = 0x4426a666; /* 666.6f */
	r->spectest.g_f32 = wasm_global_new(s, WASM_F32, 0, v);
	v.f64_bits = 0x4084d4cccccccccdull; /* 666.6 */
	r->spectest.g_f64 = wasm_global_new(s, WASM_F64, 0, v);
	r->spectest.table = wasm_table_new(s, WASM_FUNCREF, 10, 20, 1);
	r->spectest.memory = wasm_memory_new(s, 1, 2, 1);
}

static int resolve(void *ud, const char *module, const char *name, enum wasm_extern_kind kind,
                   struct wasm_extern *out)
{
	struct runner *r = ud;
	if (strcmp(module, "spectest") == 0) {
		static const char *const prints[] = { "print",        "print_i32", "print_i64",
			                              "print_f32",    "print_f64", "print_i32_f32",
			                              "print_f64_f64" };
		for (int i = 0; i < 7; i++)
			if (strcmp(name, prints[i]) == 0) {
				out->kind = WASM_EXTERN_FUNC;
				out->u.func = r->spectest.print[i];
				return 0;
			}
		out->kind = WASM_EXTERN_GLOBAL;
		if (strcmp(name, "global_i32") == 0)
			out->u.global = r->spectest.g_i32;
		else if (strcmp(name, "global_i64") == 0)
			out->u.global = r->spectest.g_i64;
		else if (strcmp(name, "global_f32") == 0)
			out->u.global = r->spectest.g_f32;
		else if (strcmp(name, "global_f64") == 0)
			out->u.global = r->spectest.g_f64;
		else if (strcmp(name, "table") == 0) {
			out->kind = WASM_EXTERN_TABLE;
			out->u.table = r->spectest.table;
		} else if (strcmp(name, "memory") == 0) {
			out->kind = WASM_EXTERN_MEMORY;
			out->u.memory = r->spectest.memory;
		} else
			return BL_ENOENT;
		return 0;
	}
	(void)kind;
	for (int i = r->nreg - 1; i >= 0; i--)
		if (strcmp(r->reg[i].name, module) == 0)
			return wasm_instance_export(r->reg[i].inst, name, out);
	return BL_ENOENT;
}

static wasm_module_t *load_file(struct runner *r, const char *filename)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", r->dir, filename);
	FILE *f = fopen(path, "rb");
	if (!f) {
		bl_err(BL_EIO, "cannot open %s", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		bl_err(BL_EIO, "cannot read %s", path);
		return NULL;
	}
	fclose(f);
	wasm_module_t *m = wasm_module_load(buf, (size_t)n);
	free(buf);
	return m;
}

static wasm_instance_t *find_instance(struct runner *r, json_t *cmd)
{
	const char *name = json_string_value(json_object_get(cmd, "module"));
	if (!name)
		return r->current;
	for (int i = r->nmods - 1; i >= 0; i--)
		if (r->mods[i].name && strcmp(r->mods[i].name, name) == 0)
			return r->mods[i].inst;
	return NULL;
}

static int parse_val(json_t *j, wasm_val_t *v, const char **type)
{
	const char *t = json_string_value(json_object_get(j, "type"));
	const char *s = json_string_value(json_object_get(j, "value"));
	memset(v, 0, sizeof(*v));
	*type = t ? t : "";
	if (!t)
		return -1;
	if (strcmp(t, "externref") == 0 || strcmp(t, "funcref") == 0) {
		if (!s || strcmp(s, "null") == 0)
			v->ref = NULL;
		else
			v->ref = (void *)(uintptr_t)(strtoull(s, NULL, 10) + 1);
		return 0;
	}
	if (!s)
		return -1;
	if (strncmp(s, "nan:", 4) == 0)
		return 0;
	if (strcmp(t, "i32") == 0 || strcmp(t, "f32") == 0)
		v->i32 = (uint32_t)strtoull(s, NULL, 10);
	else if (strcmp(t, "i64") == 0 || strcmp(t, "f64") == 0)
		v->i64 = strtoull(s, NULL, 10);
	else
		return -1; /* v128 and others: unsupported */
	return 0;
}

/* Run an action; returns 0, WASM_ETRAP, or another negative code. */
static int do_action(struct runner *r, json_t *act, wasm_val_t *res, uint32_t *nres)
{
	const char *type = json_string_value(json_object_get(act, "type"));
	json_t *jfield = json_object_get(act, "field");
	const char *field = json_string_value(jfield);
	wasm_instance_t *inst = find_instance(r, act);
	struct wasm_extern e;
	if (!inst || !field || !type)
		return bl_err(BL_ENOENT, "no module for action");
	BL_TRY(wasm_instance_export_n(inst, field, json_string_length(jfield), &e));
	if (strcmp(type, "get") == 0) {
		if (e.kind != WASM_EXTERN_GLOBAL)
			return bl_err(BL_EINVAL, "%s is not a global", field);
		res[0] = wasm_global_get(e.u.global);
		*nres = 1;
		return 0;
	}
	if (e.kind != WASM_EXTERN_FUNC)
		return bl_err(BL_EINVAL, "%s is not a function", field);
	json_t *args = json_object_get(act, "args");
	wasm_val_t av[64];
	size_t na = json_array_size(args);
	if (na > 64)
		return bl_err(BL_EUNSUPP, "too many args");
	for (size_t i = 0; i < na; i++) {
		const char *t;
		if (parse_val(json_array_get(args, i), &av[i], &t) < 0)
			return bl_err(BL_EUNSUPP, "unsupported argument type %s", t);
	}
	*nres = wasm_func_result_count(e.u.func);
	if (*nres > 64)
		return bl_err(BL_EUNSUPP, "too many results");
	return wasm_call(r->store, e.u.func, av, (uint32_t)na, res, *nres);
}

static int val_matches(json_t *exp, const wasm_val_t *got)
{
	const char *t = json_string_value(json_object_get(exp, "type"));
	const char *s = json_string_value(json_object_get(exp, "value"));
	wasm_val_t want;
	const char *tt;
	if (!t)
		return 0;
	if (strcmp(t, "funcref") == 0 && !s)
		return got->ref != NULL;
	if (strcmp(t, "externref") == 0 && !s)
		return got->ref != NULL;
	if (s && strncmp(s, "nan:", 4) == 0) {
		int canon = strcmp(s, "nan:canonical") == 0;
		if (strcmp(t, "f32") == 0) {
			uint32_t b = got->f32_bits & 0x7fffffffu;
			return canon ? b == 0x7fc00000u : (b & 0x7fc00000u) == 0x7fc00000u;
		}
		uint64_t b = got->f64_bits & 0x7fffffffffffffffull;
		return canon ? b == 0x7ff8000000000000ull
		             : (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
	}
	if (parse_val(exp, &want, &tt) < 0)
		return -1;
	if (strcmp(t, "i32") == 0 || strcmp(t, "f32") == 0)
		return got->i32 == want.i32;
	if (strcmp(t, "i64") == 0 || strcmp(t, "f64") == 0)
		return got->i64 == want.i64;
	return got->ref == want.ref;
}

static void fail(struct runner *r, json_t *cmd, const char *fmt, const char *detail)
{
	r->failed++;
	printf("  %s:%lld: ", r->file, (long long)json_integer_value(json_object_get(cmd, "line")));
	printf(fmt, detail);
	printf("\n");
}

static void add_module(struct runner *r, const char *name, wasm_module_t *m, wasm_instance_t *inst)
{
	if (r->nmods < MAX_NAMED) {
		r->mods[r->nmods].name = name ? strdup(name) : NULL;
		r->mods[r->nmods].mod = m;
		r->mods[r->nmods].inst = inst;
		r->nmods++;
	}
}

static void cmd_module(struct runner *r, json_t *cmd)
{
	const char *fn = json_string_value(json_object_get(cmd, "filename"));
	const char *name = json_string_value(json_object_get(cmd, "name"));
	wasm_module_t *m = load_file(r, fn);
	r->current = NULL;
	if (!m) {
		fail(r, cmd, "module failed to load: %s", bl_errmsg());
		return;
	}
	wasm_instance_t *inst = NULL;
	if (wasm_instantiate(r->store, m, resolve, r, &inst) < 0) {
		fail(r, cmd, "module failed to instantiate: %s", bl_errmsg());
		add_module(r, name, m, NULL);
		return;
	}
	r->current = inst;
	add_module(r, name, m, inst);
}

static void cmd_assert_return(struct runner *r, json_t *cmd)
{
	wasm_val_t res[64];
	uint32_t n = 0;
	json_t *exp = json_object_get(cmd, "expected");
	int rc = do_action(r, json_object_get(cmd, "action"), res, &n);
	if (rc == BL_EUNSUPP) {
		r->skipped++;
		return;
	}
	if (rc < 0) {
		fail(r, cmd, "assert_return: %s", bl_errmsg());
		return;
	}
	if (json_array_size(exp) != n) {
		fail(r, cmd, "assert_return: %s", "result count differs");
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		int ok = val_matches(json_array_get(exp, i), &res[i]);
		if (ok < 0) {
			r->skipped++;
			return;
		}
		if (!ok) {
			char buf[128];
			snprintf(buf, sizeof(buf), "result %u: got 0x%llx", i,
			         (unsigned long long)res[i].i64);
			fail(r, cmd, "assert_return: %s", buf);
			return;
		}
	}
	r->passed++;
}

static void cmd_assert_trap(struct runner *r, json_t *cmd, int exhaustion)
{
	wasm_val_t res[64];
	uint32_t n = 0;
	int rc = do_action(r, json_object_get(cmd, "action"), res, &n);
	if (rc == BL_EUNSUPP) {
		r->skipped++;
		return;
	}
	if (rc != WASM_ETRAP) {
		fail(r, cmd, "expected a trap: %s", rc < 0 ? bl_errmsg() : "returned normally");
		return;
	}
	const struct wasm_trap *t = wasm_store_last_trap(r->store);
	if (exhaustion && t->kind != WASM_TRAP_STACK_EXHAUSTED) {
		fail(r, cmd, "expected exhaustion, got %s", t->message);
		return;
	}
	r->passed++;
}

static void cmd_assert_bad_module(struct runner *r, json_t *cmd)
{
	const char *mt = json_string_value(json_object_get(cmd, "module_type"));
	if (mt && strcmp(mt, "binary") != 0) {
		r->skipped++;
		return;
	}
	wasm_module_t *m = load_file(r, json_string_value(json_object_get(cmd, "filename")));
	if (m) {
		fail(r, cmd, "module should have been refused (%s)",
		     json_string_value(json_object_get(cmd, "text")));
		wasm_module_free(m);
		return;
	}
	if (r->verbose)
		printf("  ok %s: %s\n", json_string_value(json_object_get(cmd, "text")),
		       bl_errmsg());
	r->passed++;
}

static void cmd_assert_instantiate(struct runner *r, json_t *cmd, int want_trap)
{
	wasm_module_t *m = load_file(r, json_string_value(json_object_get(cmd, "filename")));
	if (!m) {
		fail(r, cmd, "module failed to load: %s", bl_errmsg());
		return;
	}
	wasm_instance_t *inst = NULL;
	int rc = wasm_instantiate(r->store, m, resolve, r, &inst);
	/* Keep the module: a trapping instance may already be referenced by tables. */
	add_module(r, NULL, m, NULL);
	if (rc == 0) {
		fail(r, cmd, "instantiation should have failed%s", "");
		return;
	}
	if (want_trap != (rc == WASM_ETRAP)) {
		fail(r, cmd, "instantiation failed the wrong way: %s", bl_errmsg());
		return;
	}
	r->passed++;
}

static void run_command(struct runner *r, json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));
	if (!type)
		return;
	if (strcmp(type, "module") == 0) {
		cmd_module(r, cmd);
	} else if (strcmp(type, "register") == 0) {
		const char *as = json_string_value(json_object_get(cmd, "as"));
		wasm_instance_t *inst = find_instance(r, cmd);
		if (!inst || !as) {
			fail(r, cmd, "register: no module%s", "");
			return;
		}
		if (r->nreg < MAX_NAMED) {
			r->reg[r->nreg].name = strdup(as);
			r->reg[r->nreg].inst = inst;
			r->nreg++;
		}
	} else if (strcmp(type, "action") == 0) {
		wasm_val_t res[64];
		uint32_t n;
		if (do_action(r, json_object_get(cmd, "action"), res, &n) < 0)
			fail(r, cmd, "action failed: %s", bl_errmsg());
	} else if (strcmp(type, "assert_return") == 0) {
		cmd_assert_return(r, cmd);
	} else if (strcmp(type, "assert_trap") == 0) {
		if (json_object_get(cmd, "filename"))
			cmd_assert_instantiate(r, cmd, 1);
		else
			cmd_assert_trap(r, cmd, 0);
	} else if (strcmp(type, "assert_exhaustion") == 0) {
		cmd_assert_trap(r, cmd, 1);
	} else if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0) {
		cmd_assert_bad_module(r, cmd);
	} else if (strcmp(type, "assert_unlinkable") == 0) {
		cmd_assert_instantiate(r, cmd, 0);
	} else if (strcmp(type, "assert_uninstantiable") == 0) {
		cmd_assert_instantiate(r, cmd, 1);
	} else {
		r->skipped++;
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: spec-runner [-v] FILE.json\n");
		return 2;
	}
	struct runner r;
	memset(&r, 0, sizeof(r));
	int ai = 1;
	if (strcmp(argv[ai], "-v") == 0) {
		r.verbose = 1;
		ai++;
	}
	json_error_t jerr;
	json_t *root = json_load_file(argv[ai], JSON_ALLOW_NUL, &jerr);
	if (!root) {
		fprintf(stderr, "%s: %s\n", argv[ai], jerr.text);
		return 2;
	}
	char *pathcopy = strdup(argv[ai]);
	char *pathcopy2 = strdup(argv[ai]);
	r.dir = dirname(pathcopy);
	r.file = basename(pathcopy2);
	r.store = wasm_store_new(NULL);
	if (!r.store) {
		fprintf(stderr, "%s\n", bl_errmsg());
		return 2;
	}
	setup_spectest(&r);
	json_t *cmds = json_object_get(root, "commands");
	for (size_t i = 0; i < json_array_size(cmds); i++)
		run_command(&r, json_array_get(cmds, i));
	printf("%s: %d passed, %d failed, %d skipped\n", r.file, r.passed, r.failed, r.skipped);
	wasm_store_delete(r.store);
	for (int i = 0; i < r.nmods; i++) {
		free(r.mods[i].name);
		wasm_module_free(r.mods[i].mod);
	}
	for (int i = 0; i < r.nreg; i++)
		free(r.reg[i].name);
	json_decref(root);
	free(pathcopy);
	free(pathcopy2);
	return r.failed ? 1 : 0;
}
