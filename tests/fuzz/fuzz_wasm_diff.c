/*
 * fuzz_wasm_diff — libFuzzer, differential: compile the module twice, with
 * the compiler's peepholes (pending locals and constants, fused and folded
 * instructions, retargeted results) and without, run every export on both
 * with the same arguments, and require the same outcome: same trap kind or
 * same result bits, same memory and globals afterwards. A run that hits the
 * check budget ends the comparison (the two forms take different branches).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasm/module.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			__builtin_trap();                                                          \
	} while (0)

static const struct wasm_config cfg = { .max_memory_pages = 16,
	                                .max_table_elems = 10000,
	                                .max_call_depth = 300,
	                                .max_stack_slots = 1u << 18,
	                                .budget = 20000 };

static void same_state(const struct wasm_instance *a, const struct wasm_instance *b)
{
	CHECK((a->mem == NULL) == (b->mem == NULL));
	if (a->mem) {
		CHECK(a->mem->size == b->mem->size);
		CHECK(memcmp(a->mem->base, b->mem->base, a->mem->size) == 0);
	}
	for (uint32_t i = 0; i < a->mod->nglobals; i++)
		if (a->globals[i]->type != WASM_FUNCREF && a->globals[i]->type != WASM_EXTERNREF)
			CHECK(a->globals[i]->val.i64 == b->globals[i]->val.i64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wasm_module_t *mo = wasm_module_load_ex(data, size, true);
	wasm_module_t *mn = wasm_module_load_ex(data, size, false);
	CHECK((mo == NULL) == (mn == NULL));
	if (!mo)
		return 0;
	wasm_store_t *so = wasm_store_new(&cfg), *sn = wasm_store_new(&cfg);
	wasm_instance_t *io = NULL, *in = NULL;
	int ro = wasm_instantiate(so, mo, NULL, NULL, &io);
	int rn = wasm_instantiate(sn, mn, NULL, NULL, &in);
	CHECK(ro == rn);
	if (ro < 0 || wasm_store_last_trap(so)->kind == WASM_TRAP_INTERRUPTED)
		goto out_free;
	same_state(io, in);
	for (uint32_t i = 0; i < mo->nexports; i++) {
		const struct wasm_export *e = &mo->exports[i];
		if (e->kind != WASM_EXTERN_FUNC)
			continue;
		wasm_func_t *fo = io->funcs[e->index], *fn = in->funcs[e->index];
		uint32_t np = fo->type->nparams, nr = fo->type->nresults;
		if (np > 16 || nr > 16)
			continue;
		wasm_val_t args[16], res_o[16], res_n[16];
		memset(args, 0, sizeof(args));
		for (uint32_t k = 0; k < np; k++) /* arguments from the input's tail */
			args[k].i64 = size > k ? data[size - 1 - k] * 0x01010101u : 0;
		memset(res_o, 0, sizeof(res_o));
		memset(res_n, 0, sizeof(res_n));
		wasm_store_set_budget(so, 20000);
		wasm_store_set_budget(sn, 20000);
		ro = wasm_call(so, fo, args, np, res_o, nr);
		rn = wasm_call(sn, fn, args, np, res_n, nr);
		if ((ro == WASM_ETRAP && wasm_store_last_trap(so)->kind == WASM_TRAP_INTERRUPTED) ||
		    (rn == WASM_ETRAP && wasm_store_last_trap(sn)->kind == WASM_TRAP_INTERRUPTED))
			break;
		CHECK(ro == rn);
		if (ro == WASM_ETRAP) {
			CHECK(wasm_store_last_trap(so)->kind == wasm_store_last_trap(sn)->kind);
		} else {
			for (uint32_t k = 0; k < nr; k++) {
				uint8_t t = fo->type->types[np + k];
				if (t == WASM_I32 || t == WASM_F32)
					CHECK(res_o[k].i32 == res_n[k].i32);
				else if (t == WASM_I64 || t == WASM_F64)
					CHECK(res_o[k].i64 == res_n[k].i64);
				else
					CHECK((res_o[k].ref == NULL) == (res_n[k].ref == NULL));
			}
		}
		same_state(io, in);
	}
out_free:
	wasm_store_delete(so);
	wasm_store_delete(sn);
	wasm_module_free(mo);
	wasm_module_free(mn);
	return 0;
}
