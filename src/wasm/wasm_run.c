/*
 * wasm-run — a small test hook around the embedding API: load a module with
 * no imports, instantiate it, call one export with i32 arguments, print its
 * first result (as unsigned i32) and the seconds the call took:
 *     wasm-run FILE.wasm EXPORT [ARG...]  ->  "RESULT SECONDS"
 * Used by bench/wasm/run.sh until WASI lands. Exit 0 ok, 1 trap, 2 bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bailey/wasm.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wasm-run FILE.wasm EXPORT [I32-ARG...]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		fprintf(stderr, "wasm-run: cannot open %s\n", argv[1]);
		return 2;
	}
	static uint8_t buf[64 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	wasm_module_t *m = wasm_module_load(buf, n);
	if (!m) {
		fprintf(stderr, "wasm-run: %s: %s\n", argv[1], bl_errmsg());
		return 2;
	}
	int rc = 2;
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	struct wasm_extern e;
	if (!s || wasm_instantiate(s, m, NULL, NULL, &inst) < 0 ||
	    wasm_instance_export(inst, argv[2], &e) < 0 || e.kind != WASM_EXTERN_FUNC) {
		fprintf(stderr, "wasm-run: %s\n", bl_errmsg());
		goto out_free;
	}
	wasm_val_t args[16], res[16];
	uint32_t na = (uint32_t)(argc - 3), nr = wasm_func_result_count(e.u.func);
	if (na > 16 || nr > 16) {
		fprintf(stderr, "wasm-run: too many arguments or results\n");
		goto out_free;
	}
	memset(args, 0, sizeof(args));
	memset(res, 0, sizeof(res));
	for (uint32_t i = 0; i < na; i++)
		args[i].i32 = (uint32_t)strtoul(argv[3 + i], NULL, 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int crc = wasm_call(s, e.u.func, args, na, res, nr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (crc < 0) {
		fprintf(stderr, "wasm-run: %s\n", bl_errmsg());
		rc = 1;
		goto out_free;
	}
	printf("%u %.4f\n", nr ? res[0].i32 : 0,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	rc = 0;
out_free:
	wasm_store_delete(s);
	wasm_module_free(m);
	return rc;
}
