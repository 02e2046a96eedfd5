/* main.c — `bailey`, the host command: dispatches to subcommands (cli.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

static const struct cli_cmd commands[] = {
	{ "run", "run a WASI module in a Keep on this host (nil backend)", cmd_run },
	{ "config", "write or check an Enarx.toml workload configuration", cmd_config },
	{ "package", "publish, fetch (verified) or describe a tagged package", cmd_package },
	{ "repo", "register, show or share a registry repository", cmd_repo },
	{ "user", "register or show a user on a Drawbridge registry", cmd_user },
	{ "tag", "list a repository's tags", cmd_tag },
	{ "login", "store a registry bearer token", cmd_login },
	{ "attest", "verify SEV-SNP, SGX or TDX attestation evidence offline", cmd_attest },
	{ "digest", "print or check the RFC 9530 Content-Digest of files", cmd_digest },
	{ "wasm", "validate a WebAssembly module or run one of its exports", cmd_wasm },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

void cli_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("bailey: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (bl_errmsg()[0])
		fprintf(stderr, ": %s", bl_errmsg());
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bailey COMMAND [ARGS...]\n\n"
	           "Bailey runs WebAssembly workloads in Keeps, proves what runs there, and\n"
	           "checks such proofs. Commands:\n\n");
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'bailey COMMAND --help' for a command's options.\n"
	           "  --version  print the version\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bailey %s\n", BAILEY_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "bailey: unknown command '%s' (see 'bailey --help')\n", argv[1]);
	return CLI_USAGE;
}
