/*
 * keep.h — host side of the Keep backends.
 *
 * A backend starts the guest runtime (bailey-exec) and hands it a handoff
 * (exec/handoff.h). Today: `nil`, which runs bailey-exec as a child process of
 * the host, with no isolation beyond the WASI sandbox — for development. The
 * kvm backend will load the very same bailey-exec into a virtual machine.
 */
#ifndef BL_KEEP_KEEP_H
#define BL_KEEP_KEEP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/*
 * Where bailey-exec is: $BAILEY_EXEC, else beside the running program, else
 * the build tree's src/exec/, else the installed libexec directory. Returns a
 * static buffer, or NULL with a reason.
 */
const char *keep_find_exec(void);

/*
 * Run bailey-exec at `exec_path` with the handoff bytes, wait for it, and
 * return its exit status (0..255), or 128+signal if it died of a signal; a
 * negative BL_E* when it could not be started. stdin/stdout/stderr are
 * inherited.
 */
BL_MUST_CHECK int keep_nil_run(const char *exec_path, const uint8_t *handoff, size_t len);

#endif
