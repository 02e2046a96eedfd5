/*
 * cli.h — the `bailey` command's subcommand table.
 *
 * Each subcommand is a function taking the arguments after its own name
 * (argv[0] is the subcommand name) and returning the process exit code:
 * 0 success, 1 a check failed (verification refused), 2 bad usage or input.
 * Subcommands print their own errors (bl_errmsg()) as one line on stderr.
 */
#ifndef BL_CLI_CLI_H
#define BL_CLI_CLI_H

struct cli_cmd {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* Exit codes shared by every subcommand. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* Print "bailey: <context>: <reason>" for the current error. */
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cmd_attest(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_digest(int argc, char **argv);
int cmd_wasm(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_repo(int argc, char **argv);
int cmd_package(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_login(int argc, char **argv);

#endif
