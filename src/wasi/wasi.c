/*
 * wasi.c — WASI preview 1: the context, descriptor table, guest memory
 * access, errno mapping, args/environ, clocks, random, proc and the table of
 * all 46 functions. See wasi.h for the contract.
 */
#include "wasi/wasi_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

int32_t wasi_errno(int e)
{
	switch (e) {
	case 0: return WASI_ESUCCESS;
	case E2BIG: return 1;
	case EACCES: return 2;
	case EADDRINUSE: return 3;
	case EADDRNOTAVAIL: return 4;
	case EAFNOSUPPORT: return 5;
	case EAGAIN: return 6;
	case EALREADY: return 7;
	case EBADF: return 8;
	case EBADMSG: return 9;
	case EBUSY: return 10;
	case ECANCELED: return 11;
	case ECHILD: return 12;
	case ECONNABORTED: return 13;
	case ECONNREFUSED: return 14;
	case ECONNRESET: return 15;
	case EDEADLK: return 16;
	case EDESTADDRREQ: return 17;
	case EDOM: return 18;
	case EDQUOT: return 19;
	case EEXIST: return 20;
	case EFAULT: return 21;
	case EFBIG: return 22;
	case EHOSTUNREACH: return 23;
	case EIDRM: return 24;
	case EILSEQ: return 25;
	case EINPROGRESS: return 26;
	case EINTR: return 27;
	case EINVAL: return 28;
	case EIO: return 29;
	case EISCONN: return 30;
	case EISDIR: return 31;
	case ELOOP: return 32;
	case EMFILE: return 33;
	case EMLINK: return 34;
	case EMSGSIZE: return 35;
	case EMULTIHOP: return 36;
	case ENAMETOOLONG: return 37;
	case ENETDOWN: return 38;
	case ENETRESET: return 39;
	case ENETUNREACH: return 40;
	case ENFILE: return 41;
	case ENOBUFS: return 42;
	case ENODEV: return 43;
	case ENOENT: return 44;
	case ENOEXEC: return 45;
	case ENOLCK: return 46;
	case ENOLINK: return 47;
	case ENOMEM: return 48;
	case ENOMSG: return 49;
	case ENOPROTOOPT: return 50;
	case ENOSPC: return 51;
	case ENOSYS: return 52;
	case ENOTCONN: return 53;
	case ENOTDIR: return 54;
	case ENOTEMPTY: return 55;
	case ENOTRECOVERABLE: return 56;
	case ENOTSOCK: return 57;
	case EOPNOTSUPP: return 58;
	case ENOTTY: return 59;
	case ENXIO: return 60;
	case EOVERFLOW: return 61;
	case EOWNERDEAD: return 62;
	case EPERM: return 63;
	case EPIPE: return 64;
	case EPROTO: return 65;
	case EPROTONOSUPPORT: return 66;
	case EPROTOTYPE: return 67;
	case ERANGE: return 68;
	case EROFS: return 69;
	case ESPIPE: return 70;
	case ESRCH: return 71;
	case ESTALE: return 72;
	case ETIMEDOUT: return 73;
	case ETXTBSY: return 74;
	case EXDEV: return 75;
	default: return WASI_EIO;
	}
}

int32_t wasi_put_u8(struct wasi_mem *m, uint64_t off, uint8_t v)
{
	uint8_t *p = wasi_ptr(m, off, 1);

	if (!p)
		return WASI_EFAULT;
	*p = v;
	return 0;
}

int32_t wasi_put_u16(struct wasi_mem *m, uint64_t off, uint16_t v)
{
	uint8_t *p = wasi_ptr(m, off, 2);

	if (!p)
		return WASI_EFAULT;
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return 0;
}

int32_t wasi_put_u32(struct wasi_mem *m, uint64_t off, uint32_t v)
{
	uint8_t *p = wasi_ptr(m, off, 4);

	if (!p)
		return WASI_EFAULT;
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 0;
}

int32_t wasi_put_u64(struct wasi_mem *m, uint64_t off, uint64_t v)
{
	uint8_t *p = wasi_ptr(m, off, 8);

	if (!p)
		return WASI_EFAULT;
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 0;
}

int32_t wasi_cur(const struct wasi_mem *m, uint64_t off, uint64_t len, struct bl_cur *out)
{
	uint8_t *p = wasi_ptr(m, off, len);

	if (!p)
		return WASI_EFAULT;
	*out = bl_cur_make(p, (size_t)len);
	out->origin = (size_t)off;
	return 0;
}

int32_t wasi_iovs(const struct wasi_mem *m, uint32_t iovs, uint32_t n, struct iovec *out)
{
	struct bl_cur c;

	if (n > WASI_IOV_MAX)
		return WASI_EINVAL;
	if (wasi_cur(m, iovs, (uint64_t)n * 8, &c))
		return WASI_EFAULT;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t buf, len;
		uint8_t *p;

		if (bl_cur_u32le(&c, &buf) || bl_cur_u32le(&c, &len))
			return WASI_EFAULT;
		p = wasi_ptr(m, buf, len);
		if (!p)
			return WASI_EFAULT;
		out[i].iov_base = p;
		out[i].iov_len = len;
	}
	return 0;
}

int32_t wasi_fd_get(struct wasi_ctx *c, uint32_t fd, uint64_t need, struct wasi_fd **out)
{
	struct wasi_fd *f;

	if (fd >= WASI_MAX_FDS || !c->fds[fd].used)
		return WASI_EBADF;
	f = &c->fds[fd];
	if ((f->rights & need) != need)
		return WASI_ENOTCAPABLE;
	*out = f;
	return 0;
}

void wasi_fd_release(struct wasi_fd *f)
{
	int fl;

	if (f->restore && (fl = fcntl(f->host, F_GETFL)) >= 0)
		(void)fcntl(f->host, F_SETFL, (fl & ~(O_APPEND | O_NONBLOCK)) | f->host_fl);
	close(f->host);
	free(f->preopen);
	free(f->dirpos);
	memset(f, 0, sizeof(*f));
}

int wasi_fd_alloc(struct wasi_ctx *c)
{
	for (int i = 0; i < WASI_MAX_FDS; i++)
		if (!c->fds[i].used)
			return i;
	return -1;
}

uint8_t wasi_filetype_of_mode(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return WASI_FT_FILE;
	case S_IFDIR: return WASI_FT_DIR;
	case S_IFCHR: return WASI_FT_CHAR;
	case S_IFBLK: return WASI_FT_BLOCK;
	case S_IFLNK: return WASI_FT_SYMLINK;
	case S_IFSOCK: return WASI_FT_SOCK_STREAM;
	default: return WASI_FT_UNKNOWN;
	}
}

/* Rights a descriptor of each type can meaningfully hold. */
#define RIGHTS_FILE                                                                                \
	(WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_READ | WASI_RIGHT_FD_SEEK |                        \
	 WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_TELL |                \
	 WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ADVISE | WASI_RIGHT_FD_ALLOCATE |                     \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_SIZE |                            \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_POLL_FD_READWRITE)
#define RIGHTS_DIR                                                                                 \
	(WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_SYNC | WASI_RIGHT_FD_DATASYNC |            \
	 WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                          \
	 WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET | WASI_RIGHT_PATH_OPEN |        \
	 WASI_RIGHT_FD_READDIR | WASI_RIGHT_PATH_READLINK | WASI_RIGHT_PATH_RENAME_SOURCE |        \
	 WASI_RIGHT_PATH_RENAME_TARGET | WASI_RIGHT_PATH_FILESTAT_GET |                            \
	 WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                  \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK | \
	 WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
#define RIGHTS_DIR_MODIFY                                                                          \
	(WASI_RIGHT_PATH_CREATE_DIRECTORY | WASI_RIGHT_PATH_CREATE_FILE |                          \
	 WASI_RIGHT_PATH_LINK_SOURCE | WASI_RIGHT_PATH_LINK_TARGET |                               \
	 WASI_RIGHT_PATH_RENAME_SOURCE | WASI_RIGHT_PATH_RENAME_TARGET |                           \
	 WASI_RIGHT_PATH_FILESTAT_SET_SIZE | WASI_RIGHT_PATH_FILESTAT_SET_TIMES |                  \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_PATH_SYMLINK |                              \
	 WASI_RIGHT_PATH_REMOVE_DIRECTORY | WASI_RIGHT_PATH_UNLINK_FILE)
#define RIGHTS_FILE_MODIFY                                                                         \
	(WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_ALLOCATE | WASI_RIGHT_FD_FILESTAT_SET_SIZE |          \
	 WASI_RIGHT_FD_FILESTAT_SET_TIMES | WASI_RIGHT_FD_DATASYNC | WASI_RIGHT_FD_SYNC)
#define RIGHTS_SOCK                                                                                \
	(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_FDSTAT_SET_FLAGS |               \
	 WASI_RIGHT_FD_FILESTAT_GET | WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_SHUTDOWN)
#define RIGHTS_LISTEN                                                                              \
	(WASI_RIGHT_FD_FDSTAT_SET_FLAGS | WASI_RIGHT_FD_FILESTAT_GET |                             \
	 WASI_RIGHT_POLL_FD_READWRITE | WASI_RIGHT_SOCK_ACCEPT)

uint64_t wasi_rights_for(uint8_t filetype);
uint64_t wasi_rights_for(uint8_t filetype)
{
	switch (filetype) {
	case WASI_FT_DIR: return RIGHTS_DIR;
	case WASI_FT_SOCK_STREAM: return RIGHTS_SOCK;
	default: return RIGHTS_FILE;
	}
}

/* Join strings into one NUL-separated buffer. */
static int pack_strings(const char *const *v, size_t n, char **buf, size_t *len)
{
	size_t total = 0, o = 0;

	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	*buf = malloc(total ? total : 1);
	if (!*buf)
		return bl_err(BL_ENOMEM, "wasi: out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]) + 1;
		memcpy(*buf + o, v[i], l);
		o += l;
	}
	*len = total;
	return 0;
}

static int setup_fd(struct wasi_ctx *c, size_t i, const struct wasi_fd_spec *s)
{
	struct wasi_fd *f = &c->fds[i];
	struct stat st;

	switch (s->kind) {
	case WASI_FD_NULL:
		f->host = open("/dev/null", O_RDWR | O_CLOEXEC);
		f->filetype = WASI_FT_CHAR;
		break;
	case WASI_FD_STDIO:
		f->host_fl = fcntl(s->host_fd, F_GETFL);
		f->restore = f->host_fl >= 0;
		f->host_fl &= O_APPEND | O_NONBLOCK;
		f->host = fcntl(s->host_fd, F_DUPFD_CLOEXEC, 3);
		break;
	case WASI_FD_STREAM:
	case WASI_FD_LISTEN: f->host = fcntl(s->host_fd, F_DUPFD_CLOEXEC, 3); break;
	case WASI_FD_DIR:
		f->host = open(s->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->host < 0)
			return bl_err(BL_EIO, "preopen %s: %s", s->host_path, strerror(errno));
		f->preopen = strdup(s->guest_path ? s->guest_path : s->host_path);
		if (!f->preopen)
			return bl_err(BL_ENOMEM, "wasi: out of memory");
		break;
	}
	if (f->host < 0)
		return bl_err(BL_EIO, "descriptor %zu: %s", i, strerror(errno));
	f->used = 1;
	f->initial = 1;
	if (s->kind != WASI_FD_NULL && s->kind != WASI_FD_DIR) {
		if (fstat(f->host, &st) < 0)
			return bl_err(BL_EIO, "descriptor %zu: %s", i, strerror(errno));
		f->filetype = wasi_filetype_of_mode(st.st_mode);
	} else if (s->kind == WASI_FD_DIR) {
		f->filetype = WASI_FT_DIR;
	}
	f->rights = wasi_rights_for(f->filetype);
	f->inherit = 0;
	if (s->kind == WASI_FD_DIR) {
		f->inherit = RIGHTS_DIR | RIGHTS_FILE;
		if (s->readonly) {
			f->rights &= ~RIGHTS_DIR_MODIFY;
			f->inherit &= ~(RIGHTS_DIR_MODIFY | RIGHTS_FILE_MODIFY);
		}
	} else if (s->kind == WASI_FD_LISTEN) {
		f->listening = 1;
		f->rights = RIGHTS_LISTEN;
		f->inherit = RIGHTS_SOCK;
	} else if (f->filetype == WASI_FT_CHAR || f->filetype == WASI_FT_UNKNOWN) {
		/* A terminal or pipe: no seeking. */
		f->rights &= ~(WASI_RIGHT_FD_SEEK | WASI_RIGHT_FD_TELL);
	}
	return 0;
}

struct wasi_ctx *wasi_new(const char *const *argv, size_t argc, const char *const *envp,
                          size_t envc, const struct wasi_fd_spec *fds, size_t nfds)
{
	struct wasi_ctx *c;

	if (nfds > WASI_MAX_FDS) {
		bl_err(BL_ERANGE, "wasi: %zu descriptors, at most %d", nfds, WASI_MAX_FDS);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		bl_err(BL_ENOMEM, "wasi: out of memory");
		return NULL;
	}
	if (pack_strings(argv, argc, &c->argbuf, &c->argbuf_len) < 0 ||
	    pack_strings(envp, envc, &c->envbuf, &c->envbuf_len) < 0)
		goto out_free;
	c->argc = argc;
	c->envc = envc;
	for (size_t i = 0; i < nfds; i++)
		if (setup_fd(c, i, &fds[i]) < 0)
			goto out_free;
	return c;
out_free:
	wasi_free(c);
	return NULL;
}

void wasi_free(struct wasi_ctx *c)
{
	if (!c)
		return;
	for (int i = 0; i < WASI_MAX_FDS; i++)
		if (c->fds[i].used)
			wasi_fd_release(&c->fds[i]);
	free(c->argbuf);
	free(c->envbuf);
	free(c);
}

int wasi_exited(const struct wasi_ctx *c, uint32_t *code)
{
	if (c->exited && code)
		*code = c->exit_code;
	return c->exited;
}

/* args_get / environ_get: pointers into the guest buffer, then the strings. */
static int32_t strings_get(struct wasi_mem *m, const char *buf, size_t len, size_t n, uint32_t ptrs,
                           uint32_t out)
{
	uint8_t *dst = wasi_ptr(m, out, len);
	size_t o = 0;

	if (!dst || !wasi_ptr(m, ptrs, (uint64_t)n * 4))
		return WASI_EFAULT;
	memcpy(dst, buf, len);
	for (size_t i = 0; i < n; i++) {
		if (wasi_put_u32(m, ptrs + 4 * (uint64_t)i, (uint32_t)(out + o)))
			return WASI_EFAULT;
		o += strlen(buf + o) + 1;
	}
	return 0;
}

static WASI_HANDLER(args_get)
{
	return strings_get(m, c->argbuf, c->argbuf_len, c->argc, (uint32_t)a[0], (uint32_t)a[1]);
}

static WASI_HANDLER(args_sizes_get)
{
	if (wasi_put_u32(m, a[0], (uint32_t)c->argc) ||
	    wasi_put_u32(m, a[1], (uint32_t)c->argbuf_len))
		return WASI_EFAULT;
	return 0;
}

static WASI_HANDLER(environ_get)
{
	return strings_get(m, c->envbuf, c->envbuf_len, c->envc, (uint32_t)a[0], (uint32_t)a[1]);
}

static WASI_HANDLER(environ_sizes_get)
{
	if (wasi_put_u32(m, a[0], (uint32_t)c->envc) ||
	    wasi_put_u32(m, a[1], (uint32_t)c->envbuf_len))
		return WASI_EFAULT;
	return 0;
}

static int clock_of(uint64_t id, clockid_t *out)
{
	switch (id) {
	case 0: *out = CLOCK_REALTIME; return 0;
	case 1: *out = CLOCK_MONOTONIC; return 0;
	case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
	case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
	default: return -1;
	}
}

static WASI_HANDLER(clock_res_get)
{
	struct timespec ts;
	clockid_t id;

	(void)c;
	if (clock_of(a[0] & 0xffffffff, &id) < 0)
		return WASI_EINVAL;
	if (clock_getres(id, &ts) < 0)
		return wasi_errno(errno);
	return wasi_put_u64(m, a[1], (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static WASI_HANDLER(clock_time_get)
{
	struct timespec ts;
	clockid_t id;

	(void)c;
	if (clock_of(a[0] & 0xffffffff, &id) < 0)
		return WASI_EINVAL;
	if (clock_gettime(id, &ts) < 0)
		return wasi_errno(errno);
	return wasi_put_u64(m, a[2], (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

static WASI_HANDLER(random_get)
{
	uint8_t *p = wasi_ptr(m, a[0], (uint32_t)a[1]);
	size_t len = (uint32_t)a[1], o = 0;

	(void)c;
	if (!p)
		return WASI_EFAULT;
	while (o < len) {
		ssize_t n = getrandom(p + o, len - o, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return wasi_errno(errno);
		o += (size_t)n;
	}
	return 0;
}

static WASI_HANDLER(proc_exit)
{
	(void)m;
	c->exited = 1;
	c->exit_code = (uint32_t)a[0];
	return WASI_PROC_EXIT;
}

static WASI_HANDLER(proc_raise)
{
	(void)c;
	(void)m;
	(void)a;
	return WASI_ENOSYS;
}

static WASI_HANDLER(sched_yield)
{
	(void)c;
	(void)m;
	(void)a;
	sched_yield();
	return 0;
}

#define F(name, params)                                                                            \
	{                                                                                          \
#name, params, 'i', wasi_##name                                                    \
	}
const struct wasi_func wasi_funcs[] = {
	F(args_get, "ii"),
	F(args_sizes_get, "ii"),
	F(environ_get, "ii"),
	F(environ_sizes_get, "ii"),
	F(clock_res_get, "ii"),
	F(clock_time_get, "iIi"),
	F(fd_advise, "iIIi"),
	F(fd_allocate, "iII"),
	F(fd_close, "i"),
	F(fd_datasync, "i"),
	F(fd_fdstat_get, "ii"),
	F(fd_fdstat_set_flags, "ii"),
	F(fd_fdstat_set_rights, "iII"),
	F(fd_filestat_get, "ii"),
	F(fd_filestat_set_size, "iI"),
	F(fd_filestat_set_times, "iIIi"),
	F(fd_pread, "iiiIi"),
	F(fd_prestat_get, "ii"),
	F(fd_prestat_dir_name, "iii"),
	F(fd_pwrite, "iiiIi"),
	F(fd_read, "iiii"),
	F(fd_readdir, "iiiIi"),
	F(fd_renumber, "ii"),
	F(fd_seek, "iIii"),
	F(fd_sync, "i"),
	F(fd_tell, "ii"),
	F(fd_write, "iiii"),
	F(path_create_directory, "iii"),
	F(path_filestat_get, "iiiii"),
	F(path_filestat_set_times, "iiiiIIi"),
	F(path_link, "iiiiiii"),
	F(path_open, "iiiiiIIii"),
	F(path_readlink, "iiiiii"),
	F(path_remove_directory, "iii"),
	F(path_rename, "iiiiii"),
	F(path_symlink, "iiiii"),
	F(path_unlink_file, "iii"),
	F(poll_oneoff, "iiii"),
	{ "proc_exit", "i", 0, wasi_proc_exit },
	F(proc_raise, "i"),
	F(sched_yield, ""),
	F(random_get, "ii"),
	F(sock_accept, "iii"),
	F(sock_recv, "iiiiii"),
	F(sock_send, "iiiii"),
	F(sock_shutdown, "ii"),
	{ NULL, NULL, 0, NULL },
};
#undef F

const struct wasi_func *wasi_func_find(const char *name)
{
	for (const struct wasi_func *f = wasi_funcs; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}
