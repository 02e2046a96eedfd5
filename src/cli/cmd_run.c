/*
 * cmd_run.c — `bailey run`: run a WASI module locally in a Keep, with flags
 * shaped like wasmtime's so scripts carry over.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/file.h"
#include "exec/handoff.h"
#include "exec/wasmcfg.h"
#include "keep/keep.h"

#define MODULE_MAX_BYTES (512u * 1024 * 1024)
#define CONFIG_MAX_BYTES (1024u * 1024)

static void run_usage(FILE *f)
{
	fprintf(f,
	        "usage: bailey run [OPTIONS] MODULE.wasm [ARGS...]\n\n"
	        "Runs a WASI (preview 1) command module in a Keep on this host and exits with\n"
	        "its exit code. ARGS follow the Enarx.toml args; argv[0] is \"main.wasm\".\n\n"
	        "  --wasmcfgfile FILE   Enarx.toml: args, env, and [[files]] (descriptors in\n"
	        "                       order: stdin/stdout/stderr/null, listen and connect\n"
	        "                       sockets, dir preopens). Default: stdin, stdout, stderr.\n"
	        "  --dir HOST[::GUEST]  preopen a host directory (after the configured files),\n"
	        "                       seen by the workload as GUEST (default HOST)\n"
	        "  --env KEY=VALUE      set an environment variable (repeatable)\n"
	        "  --backend nil        the Keep backend (nil: a plain process, for development)\n"
	        "  -h, --help           this text\n\n"
	        "Exit status: the workload's; 134 after a trap (\"trap: <kind> in <function>\"\n"
	        "on stderr); 2 for bad input (not Wasm, invalid module, bad config, missing\n"
	        "file).\n");
}

static int check_dir(const char *spec)
{
	const char *sep = strstr(spec, "::");
	size_t n = sep ? (size_t)(sep - spec) : strlen(spec);
	char host[4096];
	struct stat st;

	if (n == 0 || n >= sizeof(host) || (sep && !sep[2]))
		return bl_err(BL_EINVAL, "'%s' is not HOST or HOST::GUEST", spec);
	memcpy(host, spec, n);
	host[n] = '\0';
	if (stat(host, &st) < 0)
		return bl_err(BL_ENOENT, "%s: %s", host, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return bl_err(BL_EINVAL, "%s: not a directory", host);
	return 0;
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wasmcfgfile", required_argument, NULL, 'c' },
		{ "dir", required_argument, NULL, 'd' },
		{ "env", required_argument, NULL, 'e' },
		{ "backend", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bl_buf module = BL_BUF_INIT, config = BL_BUF_INIT, ho = BL_BUF_INIT;
	const char *cfgpath = NULL, *exec_path, *dirs[256], *envs[256];
	size_t ndirs = 0, nenvs = 0;
	int c, status = CLI_USAGE, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'd':
			if (ndirs == 256 || check_dir(optarg) < 0) {
				cli_errorf("run: --dir %s", optarg);
				return CLI_USAGE;
			}
			dirs[ndirs++] = optarg;
			break;
		case 'e':
			if (nenvs == 256 || !strchr(optarg, '=') || optarg[0] == '=') {
				bl_err(BL_EINVAL, "expected KEY=VALUE");
				cli_errorf("run: --env %s", optarg);
				return CLI_USAGE;
			}
			envs[nenvs++] = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "nil") != 0) {
				bl_err(BL_EUNSUPP, "available: nil");
				cli_errorf("run: backend '%s'", optarg);
				return CLI_USAGE;
			}
			break;
		case 'h': run_usage(stdout); return CLI_OK;
		default: run_usage(stderr); return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		run_usage(stderr);
		return CLI_USAGE;
	}
	if (bl_file_read(argv[optind], MODULE_MAX_BYTES, &module) < 0) {
		cli_errorf("run: %s", argv[optind]);
		goto out;
	}
	if (module.len < 8 || memcmp(module.p, "\0asm", 4) != 0) {
		bl_err(BL_EINVAL, "not a WebAssembly binary module (no \\0asm header)");
		cli_errorf("run: %s", argv[optind]);
		goto out;
	}
	if (cfgpath) {
		struct exec_config cfg;

		if (bl_file_read(cfgpath, CONFIG_MAX_BYTES, &config) < 0) {
			cli_errorf("run: %s", cfgpath);
			goto out;
		}
		/* Check here too, so a bad config fails before anything starts. */
		if (exec_config_parse((const char *)config.p, config.len, cfgpath, &cfg) < 0) {
			cli_errorf("run");
			goto out;
		}
		exec_config_free(&cfg);
	}
	exec_path = keep_find_exec();
	if (!exec_path) {
		cli_errorf("run");
		goto out;
	}
	rc = exec_handoff_start(&ho);
	if (rc == 0)
		rc = exec_handoff_put(&ho, EXEC_HO_MODULE, module.p, module.len);
	if (rc == 0 && cfgpath)
		rc = exec_handoff_put(&ho, EXEC_HO_CONFIG, config.p, config.len);
	for (int i = optind + 1; rc == 0 && i < argc; i++)
		rc = exec_handoff_put(&ho, EXEC_HO_ARG, argv[i], strlen(argv[i]));
	for (size_t i = 0; rc == 0 && i < nenvs; i++)
		rc = exec_handoff_put(&ho, EXEC_HO_ENV, envs[i], strlen(envs[i]));
	for (size_t i = 0; rc == 0 && i < ndirs; i++)
		rc = exec_handoff_put(&ho, EXEC_HO_DIR, dirs[i], strlen(dirs[i]));
	if (rc < 0) {
		cli_errorf("run");
		goto out;
	}
	bl_buf_free(&module); /* the handoff holds a copy */
	fflush(stdout);
	rc = keep_nil_run(exec_path, ho.p, ho.len);
	if (rc < 0) {
		cli_errorf("run: nil backend");
		goto out;
	}
	status = rc;
out:
	bl_buf_free(&module);
	bl_buf_free(&config);
	bl_buf_free(&ho);
	return status;
}
