/*
 * wasi_impl.h — internals shared by the WASI preview 1 implementation files:
 * the descriptor table, checked guest-memory access and errno mapping.
 */
#ifndef BL_WASI_IMPL_H
#define BL_WASI_IMPL_H

#include <stdint.h>
#include <sys/types.h>

#include "common/cursor.h"
#include "wasi/wasi.h"

/* Guest file types (typenames.witx `filetype`). */
enum {
	WASI_FT_UNKNOWN = 0,
	WASI_FT_BLOCK = 1,
	WASI_FT_CHAR = 2,
	WASI_FT_DIR = 3,
	WASI_FT_FILE = 4,
	WASI_FT_SOCK_DGRAM = 5,
	WASI_FT_SOCK_STREAM = 6,
	WASI_FT_SYMLINK = 7,
};

#define WASI_FDFLAG_APPEND 1
#define WASI_FDFLAG_DSYNC 2
#define WASI_FDFLAG_NONBLOCK 4
#define WASI_FDFLAG_RSYNC 8
#define WASI_FDFLAG_SYNC 16

/*
 * fd_prestat_get's tag for a startup descriptor that is not a directory
 * (outside preview 1's `preopentype`, which has only `dir` = 0).
 */
#define WASI_PREOPEN_NOT_DIR 1

#define WASI_MAX_FDS 1024
#define WASI_PATH_MAX 4096

struct wasi_fd {
	int used;
	int host; /* host descriptor (owned) */
	uint8_t filetype; /* WASI_FT_* */
	uint64_t rights; /* base rights */
	uint64_t inherit; /* inheriting rights */
	char *preopen; /* guest name of a preopened directory, else NULL */
	int listening; /* a listening socket: only sock_accept reads from it */
	uint64_t *dirpos; /* fd_readdir: host position (d_off) where entry i starts */
	uint64_t ndirpos; /* entries of dirpos that are valid (i < ndirpos) */
	int restore; /* a standard stream: put host_fl back on release */
	int host_fl; /* its O_APPEND | O_NONBLOCK when the context got it */
	int initial; /* given at start (Enarx.toml [[files]]), not opened by the guest */
};

struct wasi_ctx {
	char *argbuf; /* argv strings, NUL-separated */
	size_t argbuf_len, argc;
	char *envbuf; /* KEY=VALUE strings, NUL-separated */
	size_t envbuf_len, envc;
	struct wasi_fd fds[WASI_MAX_FDS];
	int exited;
	uint32_t exit_code;
};

/* Linux errno → WASI errno. */
int32_t wasi_errno(int host_errno);

/*
 * Guest memory: a pointer to [off, off+len) of the view, or NULL when any
 * part of it lies outside (callers answer WASI_EFAULT).
 */
static inline uint8_t *wasi_ptr(const struct wasi_mem *m, uint64_t off, uint64_t len)
{
	if (off > m->size || len > m->size - off)
		return NULL;
	return m->base + off;
}

BL_MUST_CHECK int32_t wasi_put_u8(struct wasi_mem *m, uint64_t off, uint8_t v);
BL_MUST_CHECK int32_t wasi_put_u16(struct wasi_mem *m, uint64_t off, uint16_t v);
BL_MUST_CHECK int32_t wasi_put_u32(struct wasi_mem *m, uint64_t off, uint32_t v);
BL_MUST_CHECK int32_t wasi_put_u64(struct wasi_mem *m, uint64_t off, uint64_t v);

/* A cursor over guest memory [off, off+len); WASI_EFAULT when out of range. */
BL_MUST_CHECK int32_t wasi_cur(const struct wasi_mem *m, uint64_t off, uint64_t len,
                               struct bl_cur *out);

/*
 * Gather a guest iovec array into host iovecs (pointing into guest memory):
 * WASI_EFAULT for any buffer outside memory, WASI_EINVAL for too many.
 */
struct iovec;
#define WASI_IOV_MAX 1024
BL_MUST_CHECK int32_t wasi_iovs(const struct wasi_mem *m, uint32_t iovs, uint32_t n,
                                struct iovec *out);

/* The descriptor fd if it exists and has every right in `need`. */
BL_MUST_CHECK int32_t wasi_fd_get(struct wasi_ctx *c, uint32_t fd, uint64_t need,
                                  struct wasi_fd **out);

/*
 * Close a descriptor and free its slot. A standard stream shares its open
 * file description with the host, so the flags the guest may have changed
 * (fd_fdstat_set_flags) are put back first.
 */
void wasi_fd_release(struct wasi_fd *f);

/* A free slot (lowest), or -1. */
int wasi_fd_alloc(struct wasi_ctx *c);

uint8_t wasi_filetype_of_mode(mode_t mode);

/* Handlers implemented in the part files. */
#define WASI_HANDLER(name)                                                                         \
	int32_t wasi_##name(struct wasi_ctx *c, struct wasi_mem *m, const uint64_t *a)
WASI_HANDLER(fd_advise);
WASI_HANDLER(fd_allocate);
WASI_HANDLER(fd_close);
WASI_HANDLER(fd_datasync);
WASI_HANDLER(fd_fdstat_get);
WASI_HANDLER(fd_fdstat_set_flags);
WASI_HANDLER(fd_fdstat_set_rights);
WASI_HANDLER(fd_filestat_get);
WASI_HANDLER(fd_filestat_set_size);
WASI_HANDLER(fd_filestat_set_times);
WASI_HANDLER(fd_pread);
WASI_HANDLER(fd_prestat_get);
WASI_HANDLER(fd_prestat_dir_name);
WASI_HANDLER(fd_pwrite);
WASI_HANDLER(fd_read);
WASI_HANDLER(fd_readdir);
WASI_HANDLER(fd_renumber);
WASI_HANDLER(fd_seek);
WASI_HANDLER(fd_sync);
WASI_HANDLER(fd_tell);
WASI_HANDLER(fd_write);
WASI_HANDLER(path_create_directory);
WASI_HANDLER(path_filestat_get);
WASI_HANDLER(path_filestat_set_times);
WASI_HANDLER(path_link);
WASI_HANDLER(path_open);
WASI_HANDLER(path_readlink);
WASI_HANDLER(path_remove_directory);
WASI_HANDLER(path_rename);
WASI_HANDLER(path_symlink);
WASI_HANDLER(path_unlink_file);
WASI_HANDLER(poll_oneoff);
WASI_HANDLER(sock_accept);
WASI_HANDLER(sock_recv);
WASI_HANDLER(sock_send);
WASI_HANDLER(sock_shutdown);

/* Write a filestat (64 bytes, typenames.witx) for st at guest offset off. */
struct stat;
BL_MUST_CHECK int32_t wasi_put_filestat(struct wasi_mem *m, uint64_t off, const struct stat *st);

/* Compute timespecs for utimensat from WASI (atim, mtim, fstflags). */
struct timespec;
BL_MUST_CHECK int32_t wasi_times(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

#endif
