/*
 * cmd_config.c — `bailey config init|check`: write a commented Enarx.toml
 * template, or check one and show what the workload would get.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "common/file.h"
#include "exec/wasmcfg.h"

#define CONFIG_MAX_BYTES (1024 * 1024)

static void config_usage(FILE *f)
{
	fprintf(f, "usage: bailey config init [--force] [FILE]\n"
	           "       bailey config check [FILE]\n\n"
	           "init   writes a commented Enarx.toml template to FILE (default Enarx.toml;\n"
	           "       '-' for standard output). It refuses to overwrite an existing file\n"
	           "       unless --force is given.\n"
	           "check  parses FILE (default Enarx.toml) as Bailey and Enarx do, refuses\n"
	           "       unknown keys and bad values naming the line, and prints the argv,\n"
	           "       environment and descriptors the workload would get.\n");
}

static int config_init(int argc, char **argv)
{
	const char *path = "Enarx.toml", *t = exec_config_template();
	int force = 0, fd;
	size_t len = strlen(t);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = 1;
		else if (argv[i][0] == '-' && argv[i][1])
			return config_usage(stderr), CLI_USAGE;
		else
			path = argv[i];
	}
	if (!strcmp(path, "-"))
		return fwrite(t, 1, len, stdout) == len ? CLI_OK : CLI_FAIL;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0644);
	if (fd < 0) {
		bl_err(BL_EIO, "%s%s", strerror(errno),
		       errno == EEXIST ? " (use --force to overwrite)" : "");
		cli_errorf("config init: %s", path);
		return CLI_USAGE;
	}
	if (write(fd, t, len) != (ssize_t)len || close(fd) < 0) {
		bl_err(BL_EIO, "%s", strerror(errno));
		cli_errorf("config init: %s", path);
		return CLI_FAIL;
	}
	printf("wrote %s\n", path);
	return CLI_OK;
}

static int config_check(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "Enarx.toml";
	struct bl_buf text = BL_BUF_INIT, names = BL_BUF_INIT;
	struct exec_config cfg;
	int status = CLI_OK;

	if (argc > 2 || (argc > 1 && argv[1][0] == '-'))
		return config_usage(stderr), CLI_USAGE;
	if (bl_file_read(path, CONFIG_MAX_BYTES, &text) < 0) {
		cli_errorf("config check: %s", path);
		bl_buf_free(&text);
		return CLI_USAGE;
	}
	if (exec_config_parse((const char *)text.p, text.len, path, &cfg) < 0) {
		cli_errorf("config check");
		bl_buf_free(&text);
		return CLI_FAIL;
	}
	printf("%s: OK\n", path);
	if (cfg.steward)
		printf("steward:  %s\n", cfg.steward);
	printf("argv:     main.wasm");
	for (size_t i = 0; i < cfg.nargs; i++)
		printf(" '%s'", cfg.args[i]);
	printf("\n");
	for (size_t i = 0; i < cfg.nenv; i++)
		printf("env:      %s\n", cfg.env[i]);
	for (size_t i = 0; i < cfg.nfiles; i++) {
		const struct exec_file *f = &cfg.files[i];

		printf("fd %-3zu    %-8s %s", i, exec_file_kind_name(f->kind), f->name);
		if (f->kind == EXEC_FILE_LISTEN)
			printf(" (%s [%s]:%u)", f->prot == EXEC_PROT_TLS ? "tls" : "tcp", f->addr,
			       f->port);
		else if (f->kind == EXEC_FILE_CONNECT)
			printf(" (%s %s:%u)", f->prot == EXEC_PROT_TLS ? "tls" : "tcp", f->host,
			       f->port);
		else if (f->kind == EXEC_FILE_DIR)
			printf(" (%s -> %s%s)", f->path, f->guest,
			       f->readonly ? ", read-only" : "");
		printf("\n");
	}
	if (exec_config_fd_names(&cfg, &names) < 0)
		status = CLI_FAIL;
	else
		printf("FD_COUNT=%zu FD_NAMES=%s\n", cfg.nfiles, (char *)names.p);
	bl_buf_free(&names);
	exec_config_free(&cfg);
	bl_buf_free(&text);
	return status;
}

int cmd_config(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		config_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (!strcmp(argv[1], "init"))
		return config_init(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return config_check(argc - 1, argv + 1);
	fprintf(stderr, "bailey: config: unknown subcommand '%s'\n", argv[1]);
	return CLI_USAGE;
}
