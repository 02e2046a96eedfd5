/*
 * wasi.h — WASI preview 1 (wasi_snapshot_preview1) host functions.
 *
 * What it does: implements all 46 functions of wasi_snapshot_preview1 with
 * the specification's semantics and errno values (WASI witx, snapshot 01:
 * typenames.witx for layouts, wasi_snapshot_preview1.witx for functions),
 * independent of any particular Wasm engine: each function is a C handler
 * taking its arguments as 64-bit values and a view of the guest's linear
 * memory. An engine binding (see wasi_funcs[]) registers them as imports of
 * module "wasi_snapshot_preview1".
 *
 * Guarantees:
 *  - Every guest pointer and length is checked against the memory view
 *    before use (EFAULT otherwise, WASI errno `fault`); guest structures are
 *    read through the checked cursor. Nothing a guest passes can make the
 *    host read or write outside the view.
 *  - A preopened directory is the only way into the host file system. Paths
 *    are resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
 *    relative to a descriptor the guest holds, so `..`, absolute paths and
 *    symlinks pointing out are refused (`notcapable` / `perm`), and
 *    operations on a final component act on a parent opened beneath the root,
 *    so a rename racing a lookup cannot reach outside either.
 *  - Rights are enforced: an operation needs its right on the descriptor
 *    (`notcapable` otherwise), and a descriptor opened from a directory gets
 *    at most the directory's inheriting rights.
 *
 * What it does not do: TLS on sockets (the exec layer wraps those), signals
 * (proc_raise answers `nosys`), or blocking the whole engine: calls block the
 * calling thread only.
 */
#ifndef BL_WASI_WASI_H
#define BL_WASI_WASI_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* WASI errno values (typenames.witx `errno`), those used by name here. */
enum {
	WASI_ESUCCESS = 0,
	WASI_E2BIG = 1,
	WASI_EACCES = 2,
	WASI_EAGAIN = 6,
	WASI_EBADF = 8,
	WASI_EEXIST = 20,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_EIO = 29,
	WASI_EISDIR = 31,
	WASI_ELOOP = 32,
	WASI_ENAMETOOLONG = 37,
	WASI_ENOENT = 44,
	WASI_ENOMEM = 48,
	WASI_ENOSYS = 52,
	WASI_ENOTDIR = 54,
	WASI_ENOTEMPTY = 55,
	WASI_ENOTSOCK = 57,
	WASI_ENOTSUP = 58,
	WASI_EOVERFLOW = 61,
	WASI_EPERM = 63,
	WASI_ESPIPE = 70,
	WASI_ENOTCAPABLE = 76,
};

/* Rights (typenames.witx `rights`). */
#define WASI_RIGHT_FD_DATASYNC (1ull << 0)
#define WASI_RIGHT_FD_READ (1ull << 1)
#define WASI_RIGHT_FD_SEEK (1ull << 2)
#define WASI_RIGHT_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define WASI_RIGHT_FD_SYNC (1ull << 4)
#define WASI_RIGHT_FD_TELL (1ull << 5)
#define WASI_RIGHT_FD_WRITE (1ull << 6)
#define WASI_RIGHT_FD_ADVISE (1ull << 7)
#define WASI_RIGHT_FD_ALLOCATE (1ull << 8)
#define WASI_RIGHT_PATH_CREATE_DIRECTORY (1ull << 9)
#define WASI_RIGHT_PATH_CREATE_FILE (1ull << 10)
#define WASI_RIGHT_PATH_LINK_SOURCE (1ull << 11)
#define WASI_RIGHT_PATH_LINK_TARGET (1ull << 12)
#define WASI_RIGHT_PATH_OPEN (1ull << 13)
#define WASI_RIGHT_FD_READDIR (1ull << 14)
#define WASI_RIGHT_PATH_READLINK (1ull << 15)
#define WASI_RIGHT_PATH_RENAME_SOURCE (1ull << 16)
#define WASI_RIGHT_PATH_RENAME_TARGET (1ull << 17)
#define WASI_RIGHT_PATH_FILESTAT_GET (1ull << 18)
#define WASI_RIGHT_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define WASI_RIGHT_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define WASI_RIGHT_FD_FILESTAT_GET (1ull << 21)
#define WASI_RIGHT_FD_FILESTAT_SET_SIZE (1ull << 22)
#define WASI_RIGHT_FD_FILESTAT_SET_TIMES (1ull << 23)
#define WASI_RIGHT_PATH_SYMLINK (1ull << 24)
#define WASI_RIGHT_PATH_REMOVE_DIRECTORY (1ull << 25)
#define WASI_RIGHT_PATH_UNLINK_FILE (1ull << 26)
#define WASI_RIGHT_POLL_FD_READWRITE (1ull << 27)
#define WASI_RIGHT_SOCK_SHUTDOWN (1ull << 28)
#define WASI_RIGHT_SOCK_ACCEPT (1ull << 29)
#define WASI_RIGHTS_ALL ((1ull << 30) - 1)

/* The guest's linear memory as seen during one call. */
struct wasi_mem {
	uint8_t *base;
	uint64_t size;
};

/* What a context starts with: argv, environment and descriptors. */
enum wasi_fd_kind {
	WASI_FD_NULL, /* /dev/null */
	WASI_FD_STDIO, /* host descriptor 0, 1 or 2 (host_fd) */
	WASI_FD_DIR, /* a preopened host directory (host_path, guest_path) */
	WASI_FD_LISTEN, /* a bound, listening socket (host_fd) */
	WASI_FD_STREAM, /* a connected stream socket (host_fd) */
};

struct wasi_fd_spec {
	enum wasi_fd_kind kind;
	int host_fd; /* STDIO, LISTEN, STREAM: the context takes a dup */
	const char *host_path; /* DIR */
	const char *guest_path; /* DIR: the name the guest sees (fd_prestat_dir_name) */
	int readonly; /* DIR: no rights that modify */
};

struct wasi_ctx;

/*
 * A new context. Descriptor i of the guest is fds[i]. Strings are copied.
 * NULL (with a reason, e.g. a preopen that cannot be opened) on failure.
 */
struct wasi_ctx *wasi_new(const char *const *argv, size_t argc, const char *const *envp,
                          size_t envc, const struct wasi_fd_spec *fds, size_t nfds);
void wasi_free(struct wasi_ctx *ctx);

/* After proc_exit: whether it was called, and with which code. */
int wasi_exited(const struct wasi_ctx *ctx, uint32_t *code);

/*
 * One host function. args holds the call's parameters in order, each widened
 * to 64 bits (i32 zero-extended). The result is a WASI errno, except for
 * proc_exit, which records the code (wasi_exited) and returns
 * WASI_PROC_EXIT: the binding must then stop the instance.
 */
#define WASI_PROC_EXIT (-1)
typedef int32_t (*wasi_fn)(struct wasi_ctx *ctx, struct wasi_mem *mem, const uint64_t *args);

struct wasi_func {
	const char *name; /* export name in wasi_snapshot_preview1 */
	const char *params; /* one char per parameter: 'i' i32, 'I' i64 */
	char result; /* 'i' (errno) or 0 (none) */
	wasi_fn fn;
};

/* All 46 functions, ended by a zeroed entry. */
extern const struct wasi_func wasi_funcs[];

/* Find one by name; NULL when unknown. */
const struct wasi_func *wasi_func_find(const char *name);

#endif
