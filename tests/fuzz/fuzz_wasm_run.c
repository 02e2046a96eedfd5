/*
 * fuzz_wasm_run — libFuzzer: load a module, instantiate it (no imports), and
 * call each exported function with zero arguments under tight limits (check
 * budget, call depth, memory pages). Any outcome but a crash is fine: traps
 * are expected; the engine must never corrupt the process.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bailey/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wasm_module_t *m = wasm_module_load(data, size);
	if (!m)
		return 0;
	struct wasm_config cfg = { .max_memory_pages = 16,
		                   .max_table_elems = 10000,
		                   .max_call_depth = 500,
		                   .max_stack_slots = 1u << 18,
		                   .budget = 20000 };
	wasm_store_t *s = wasm_store_new(&cfg);
	wasm_instance_t *inst = NULL;
	if (s && wasm_instantiate(s, m, NULL, NULL, &inst) == 0) {
		for (uint32_t i = 0; i < wasm_module_export_count(m); i++) {
			const char *name;
			enum wasm_extern_kind kind;
			struct wasm_extern e;
			if (wasm_module_export(m, i, &name, &kind) < 0 ||
			    kind != WASM_EXTERN_FUNC || wasm_instance_export(inst, name, &e) < 0)
				continue;
			uint32_t np = wasm_func_param_count(e.u.func);
			uint32_t nr = wasm_func_result_count(e.u.func);
			wasm_val_t args[16], res[16];
			if (np > 16 || nr > 16)
				continue;
			memset(args, 0, sizeof(args));
			wasm_store_set_budget(s, 20000);
			(void)wasm_call(s, e.u.func, args, np, res, nr);
		}
	}
	wasm_store_delete(s);
	wasm_module_free(m);
	return 0;
}
