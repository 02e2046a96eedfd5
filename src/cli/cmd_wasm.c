/*
 * cmd_wasm.c — `bailey wasm`: check a WebAssembly module, or run one export
 * of a module that has no imports (a test and demonstration tool for the
 * engine; workloads run through `bailey run` with WASI).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bailey/wasm.h"
#include "cli/cli.h"
#include "common/buf.h"

static void wasm_usage(FILE *f)
{
	fprintf(f, "usage: bailey wasm validate FILE...\n"
	           "       bailey wasm run [--timeout MS] FILE EXPORT [ARG...]\n\n"
	           "validate  decodes and validates each module (WebAssembly 2.0, no SIMD);\n"
	           "          an invalid one is reported with its section, function and offset,\n"
	           "          and the exit code is 1.\n"
	           "run       instantiates a module without imports and calls EXPORT with ARGs\n"
	           "          (parsed by the export's parameter types: integers, or floats for\n"
	           "          f32/f64); prints the results one per line. A trap prints its kind\n"
	           "          and function and exits 1.\n\n"
	           "  -t, --timeout MS  stop the call after MS milliseconds (run)\n"
	           "  -h, --help        this text\n");
}

static int read_file(const char *path, struct bl_buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	int rc = 0;
	uint8_t chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		rc = bl_buf_append(b, chunk, n);
		if (rc < 0)
			break;
	}
	if (rc == 0 && ferror(f))
		rc = bl_err(BL_EIO, "%s: read error", path);
	fclose(f);
	return rc;
}

static wasm_module_t *load(const char *path)
{
	struct bl_buf b = BL_BUF_INIT;
	wasm_module_t *m = NULL;
	b.limit = 256u << 20;
	if (read_file(path, &b) == 0) {
		m = wasm_module_load(b.p, b.len);
	}
	bl_buf_free(&b);
	return m;
}

static int validate(int argc, char **argv)
{
	int rc = CLI_OK;
	for (int i = 0; i < argc; i++) {
		wasm_module_t *m = load(argv[i]);
		if (!m) {
			cli_errorf("%s", argv[i]);
			rc = CLI_FAIL;
			continue;
		}
		printf("%s: valid (%u imports, %u exports)\n", argv[i], wasm_module_import_count(m),
		       wasm_module_export_count(m));
		wasm_module_free(m);
	}
	return rc;
}

static int parse_arg(const char *s, enum wasm_valtype t, wasm_val_t *v)
{
	char *end;
	errno = 0;
	memset(v, 0, sizeof(*v));
	if (t == WASM_I32 || t == WASM_I64) {
		if (*s == '-')
			v->i64 = (uint64_t)strtoll(s, &end, 0);
		else
			v->i64 = strtoull(s, &end, 0);
	} else if (t == WASM_F32) {
		float x = strtof(s, &end);
		memcpy(&v->f32_bits, &x, 4);
	} else if (t == WASM_F64) {
		double x = strtod(s, &end);
		memcpy(&v->f64_bits, &x, 8);
	} else {
		return bl_err(BL_EUNSUPP, "reference arguments are not supported");
	}
	if (errno || *end || end == s)
		return bl_err(BL_EINVAL, "bad argument '%s'", s);
	return 0;
}

static void print_val(enum wasm_valtype t, const wasm_val_t *v)
{
	switch (t) {
	case WASM_I32: printf("%d\n", (int32_t)v->i32); break;
	case WASM_I64: printf("%lld\n", (long long)v->i64); break;
	case WASM_F32: {
		float x;
		memcpy(&x, &v->f32_bits, 4);
		printf("%.9g\n", (double)x);
		break;
	}
	case WASM_F64: {
		double x;
		memcpy(&x, &v->f64_bits, 8);
		printf("%.17g\n", x);
		break;
	}
	default: printf("%s\n", v->ref ? "ref" : "null"); break;
	}
}

static int run(int argc, char **argv, unsigned long timeout_ms)
{
	if (argc < 2) {
		wasm_usage(stderr);
		return CLI_USAGE;
	}
	int rc = CLI_USAGE;
	wasm_module_t *m = load(argv[0]);
	if (!m) {
		cli_errorf("%s", argv[0]);
		return CLI_USAGE;
	}
	wasm_store_t *s = wasm_store_new(NULL);
	wasm_instance_t *inst;
	struct wasm_extern e;
	if (!s || wasm_instantiate(s, m, NULL, NULL, &inst) < 0 ||
	    wasm_instance_export(inst, argv[1], &e) < 0) {
		cli_errorf("%s", argv[0]);
		rc = CLI_FAIL;
		goto out_free;
	}
	if (e.kind != WASM_EXTERN_FUNC) {
		bl_err(BL_EINVAL, "export %s is not a function", argv[1]);
		cli_errorf("%s", argv[0]);
		goto out_free;
	}
	uint32_t np = wasm_func_param_count(e.u.func), nr = wasm_func_result_count(e.u.func);
	if ((uint32_t)(argc - 2) != np || np > 64 || nr > 64) {
		bl_err(BL_EINVAL, "takes %u arguments", np);
		cli_errorf("%s", argv[1]);
		goto out_free;
	}
	wasm_val_t args[64], res[64];
	for (uint32_t i = 0; i < np; i++) {
		if (parse_arg(argv[2 + i], wasm_func_param_type(e.u.func, i), &args[i]) < 0) {
			cli_errorf("%s", argv[1]);
			goto out_free;
		}
	}
	if (timeout_ms && wasm_store_set_deadline(s, timeout_ms) < 0) {
		cli_errorf("--timeout");
		goto out_free;
	}
	if (wasm_call(s, e.u.func, args, np, res, nr) < 0) {
		cli_errorf("%s", argv[1]);
		rc = CLI_FAIL;
		goto out_free;
	}
	for (uint32_t i = 0; i < nr; i++)
		print_val(wasm_func_result_type(e.u.func, i), &res[i]);
	rc = CLI_OK;
out_free:
	wasm_store_delete(s);
	wasm_module_free(m);
	return rc;
}

int cmd_wasm(int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
		                              { "help", no_argument, NULL, 'h' },
		                              { NULL, 0, NULL, 0 } };
	unsigned long timeout_ms = 0;
	int c;
	if (argc < 2) {
		wasm_usage(stderr);
		return CLI_USAGE;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "-h") == 0 || strcmp(sub, "--help") == 0) {
		wasm_usage(stdout);
		return CLI_OK;
	}
	argc--;
	argv++;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': timeout_ms = strtoul(optarg, NULL, 10); break;
		case 'h': wasm_usage(stdout); return CLI_OK;
		default: wasm_usage(stderr); return CLI_USAGE;
		}
	}
	if (strcmp(sub, "validate") == 0 && optind < argc)
		return validate(argc - optind, argv + optind);
	if (strcmp(sub, "run") == 0)
		return run(argc - optind, argv + optind, timeout_ms);
	wasm_usage(stderr);
	return CLI_USAGE;
}
