/*
 * wasmcfg.h — Enarx.toml, the workload's deployment configuration.
 *
 * Compatible with Enarx's enarx-config: optional `steward` (URL), `args`
 * (array of strings), `env` (table of strings) and an ordered `[[files]]`
 * array whose index is the WASI descriptor number. File kinds: `null`,
 * `stdin`, `stdout`, `stderr` (optional `name`), `listen` (`name` required,
 * `addr` default "::", `port` default 443, `prot` "tls" (default) or "tcp"),
 * `connect` (`host` required, `port` default 443, `prot`, `name` default the
 * host). Beyond Enarx: `dir` (`path` on the host, `guest` path inside,
 * default the same, `readonly` default false; `name` default the guest path)
 * preopens a host directory. Names may not contain ':' since FD_NAMES joins
 * them with it. Without `[[files]]` the descriptors are stdin, stdout, stderr.
 *
 * Guarantees: anything else — an unknown key anywhere, a value of the wrong
 * type or out of range — is refused with a reason naming the line and the
 * key ("Enarx.toml:7: files[1].port: …"). The parsed config owns its strings.
 */
#ifndef BL_EXEC_WASMCFG_H
#define BL_EXEC_WASMCFG_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum exec_file_kind {
	EXEC_FILE_NULL,
	EXEC_FILE_STDIN,
	EXEC_FILE_STDOUT,
	EXEC_FILE_STDERR,
	EXEC_FILE_LISTEN,
	EXEC_FILE_CONNECT,
	EXEC_FILE_DIR,
};

enum exec_prot { EXEC_PROT_TLS, EXEC_PROT_TCP };

struct exec_file {
	enum exec_file_kind kind;
	char *name; /* never NULL after parsing: defaults applied */
	char *addr; /* listen */
	char *host; /* connect */
	uint16_t port; /* listen, connect */
	enum exec_prot prot; /* listen, connect */
	char *path; /* dir: host path */
	char *guest; /* dir: path the workload sees */
	int readonly; /* dir */
	unsigned line; /* where the entry starts, for messages */
};

struct exec_config {
	char *steward; /* NULL when not set */
	char **args;
	size_t nargs;
	char **env; /* "KEY=VALUE" strings, in document order */
	size_t nenv;
	struct exec_file *files;
	size_t nfiles;
};

/* The kind's name as written in Enarx.toml ("listen"). */
const char *exec_file_kind_name(enum exec_file_kind k);

/*
 * Parse Enarx.toml text (len bytes; `source` names it in messages). On
 * success *out owns everything (free with exec_config_free); on failure *out
 * is empty and the reason names the line and key.
 */
BL_MUST_CHECK int exec_config_parse(const char *text, size_t len, const char *source,
                                    struct exec_config *out);

/* The configuration used when there is no Enarx.toml: stdin, stdout, stderr. */
BL_MUST_CHECK int exec_config_default(struct exec_config *out);

void exec_config_free(struct exec_config *cfg);

/* FD_NAMES: every file's name joined by ':' (appended to out). */
BL_MUST_CHECK int exec_config_fd_names(const struct exec_config *cfg, struct bl_buf *out);

/* A commented Enarx.toml template (`bailey config init`). */
const char *exec_config_template(void);

#endif
