/* fuzz_wasm_decode — libFuzzer: decode, validate and compile arbitrary bytes as a module. */
#include <stddef.h>
#include <stdint.h>

#include "bailey/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	wasm_module_t *m = wasm_module_load(data, size);
	if (m) {
		const char *mod, *name;
		enum wasm_extern_kind kind;
		for (uint32_t i = 0; i < wasm_module_import_count(m); i++)
			if (wasm_module_import(m, i, &mod, &name, &kind) < 0)
				__builtin_trap();
		wasm_module_free(m);
	}
	return 0;
}
