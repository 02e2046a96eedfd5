/*
 * exec.h — the guest runtime: run a WASI command module as Enarx.toml says.
 *
 * exec_run() decodes the configuration (or the default one), opens what its
 * [[files]] name (listening and connected TCP sockets, preopened directories,
 * /dev/null and the standard streams), builds argv ("main.wasm", then the
 * config's args, then extra ones) and the environment (the config's, FD_COUNT
 * and FD_NAMES, then extra KEY=VALUE), instantiates the module with WASI
 * preview 1 and calls its `_start`.
 *
 * Result: the workload's exit code (0 when _start returns, proc_exit's code,
 * & 0xff); EXEC_EXIT_TRAP (134) after printing "trap: <kind> in <function>" on
 * stderr; EXEC_EXIT_USAGE (2) after printing one line for bad input (not
 * Wasm, invalid module, bad config, missing file or directory).
 *
 * Not yet: `prot = "tls"` sockets, which need the Keep's certificate (bailey
 * deploy); they are refused with a message saying so.
 */
#ifndef BL_EXEC_EXEC_H
#define BL_EXEC_EXEC_H

#include "exec/handoff.h"

#define EXEC_EXIT_USAGE 2
#define EXEC_EXIT_TRAP 134

int exec_run(const struct exec_handoff *h);

#endif
