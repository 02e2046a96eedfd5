/* bind.c — WASI preview 1 on Bailey's engine; see bind.h. */
#include "wasi/bind.h"

#include <stdlib.h>
#include <string.h>

#define NFUNCS 46

struct wasi_bind_fn {
	struct wasi_bind *bind;
	const struct wasi_func *def;
	wasm_func_t *func;
};

struct wasi_bind {
	struct wasi_ctx *ctx;
	wasm_memory_t *memory; /* the instance's exported memory, once attached */
	struct wasi_bind_fn fns[NFUNCS];
	size_t n;
};

static int host_call(struct wasm_caller *caller, void *env, wasm_val_t *args)
{
	struct wasi_bind_fn *fn = env;
	struct wasi_bind *b = fn->bind;
	struct wasi_mem mem = { NULL, 0 };
	uint64_t a[16];
	size_t np = strlen(fn->def->params);
	int32_t r;

	(void)caller;
	for (size_t i = 0; i < np; i++)
		a[i] = fn->def->params[i] == 'I' ? args[i].i64 : (uint64_t)args[i].i32;
	if (b->memory) {
		mem.base = wasm_memory_data(b->memory);
		mem.size = wasm_memory_size(b->memory);
	}
	r = fn->def->fn(b->ctx, &mem, a);
	if (r == WASI_PROC_EXIT)
		return bl_err(BL_EPERM, "proc_exit");
	if (fn->def->result)
		args[0].i32 = (uint32_t)r;
	return 0;
}

void wasi_bind_free(struct wasi_bind *b)
{
	free(b); /* the functions belong to the store */
}

struct wasi_bind *wasi_bind_new(wasm_store_t *s, struct wasi_ctx *ctx)
{
	struct wasi_bind *b = calloc(1, sizeof(*b));

	if (!b) {
		bl_err(BL_ENOMEM, "wasi: out of memory");
		return NULL;
	}
	b->ctx = ctx;
	for (const struct wasi_func *f = wasi_funcs; f->name; f++) {
		enum wasm_valtype params[16], result = WASM_I32;
		size_t np = strlen(f->params);
		struct wasi_bind_fn *fn;

		if (BL_NEVER(b->n == NFUNCS || np > 16)) {
			bl_err(BL_EINTERNAL, "wasi: function table larger than expected");
			goto out_free;
		}
		for (size_t i = 0; i < np; i++)
			params[i] = f->params[i] == 'I' ? WASM_I64 : WASM_I32;
		fn = &b->fns[b->n++];
		fn->bind = b;
		fn->def = f;
		fn->func = wasm_func_new_host(s, params, (uint32_t)np, &result, f->result ? 1 : 0,
		                              host_call, fn);
		if (!fn->func)
			goto out_free;
	}
	return b;
out_free:
	free(b);
	return NULL;
}

int wasi_bind_resolve(void *ud, const char *module, const char *name, enum wasm_extern_kind kind,
                      struct wasm_extern *out)
{
	struct wasi_bind *b = ud;

	if (strcmp(module, "wasi_snapshot_preview1") != 0)
		return bl_err(BL_ENOENT,
		              "unknown import module '%s' (Bailey provides "
		              "wasi_snapshot_preview1)",
		              module);
	if (kind != WASM_EXTERN_FUNC)
		return bl_err(BL_ENOENT, "wasi_snapshot_preview1 exports only functions, not '%s'",
		              name);
	for (size_t i = 0; i < b->n; i++) {
		if (!strcmp(b->fns[i].def->name, name)) {
			out->kind = WASM_EXTERN_FUNC;
			out->u.func = b->fns[i].func;
			return 0;
		}
	}
	return bl_err(BL_ENOENT, "wasi_snapshot_preview1 has no function '%s'", name);
}

int wasi_bind_attach(struct wasi_bind *b, wasm_instance_t *inst)
{
	struct wasm_extern ext;

	if (wasm_instance_export(inst, "memory", &ext) < 0 || ext.kind != WASM_EXTERN_MEMORY)
		return bl_err(BL_ENOENT, "the module exports no memory named 'memory', which WASI "
		                         "needs");
	b->memory = ext.u.memory;
	return 0;
}
