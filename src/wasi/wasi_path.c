/*
 * wasi_path.c — WASI preview 1 path_* functions, confined to preopens.
 *
 * Every lookup starts at a descriptor the guest holds and goes through
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS): the kernel refuses `..`
 * above the start, absolute paths and symlinks leading out (EXDEV, reported
 * as `notcapable`). Operations on a final component first open its parent
 * that way, then act on (parent, name) with a single-component name, so
 * nothing a path contains — and no rename racing the lookup — can reach
 * outside the preopen. Where a call must follow a final symlink, the target
 * is opened beneath the root and used through its descriptor.
 */
#include "wasi/wasi_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LOOKUP_SYMLINK_FOLLOW 1
#define OFLAG_CREAT 1
#define OFLAG_DIRECTORY 2
#define OFLAG_EXCL 4
#define OFLAG_TRUNC 8

static int32_t resolve_errno(int e)
{
	/* RESOLVE_BENEATH says EXDEV for an escape; WASI calls that notcapable. */
	return e == EXDEV ? WASI_ENOTCAPABLE : wasi_errno(e);
}

/* Open `path` beneath `dir` (a host directory descriptor). -1 with errno set. */
static int open_beneath(int dir, const char *path, int flags, mode_t mode)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)flags | O_CLOEXEC;
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
	return (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
}

/* Copy a guest path into buf (NUL-terminated). */
static int32_t guest_path(struct wasi_mem *m, uint64_t ptr, uint64_t len, char *buf)
{
	uint8_t *p = wasi_ptr(m, ptr, len);

	if (!p)
		return WASI_EFAULT;
	if (len > WASI_PATH_MAX)
		return WASI_ENAMETOOLONG;
	if (memchr(p, '\0', len))
		return WASI_EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

/*
 * Split `path` into an opened parent (O_PATH, beneath dir) and its last
 * component. *slash tells whether the path ended in '/' (the object must be a
 * directory). "." and ".." as last components are returned as such; callers
 * decide what they mean for their operation.
 */
static int32_t open_parent(int dir, char *path, int *parent, const char **last, int *slash)
{
	size_t n = strlen(path);
	char *cut;

	*slash = 0;
	if (n == 0)
		return WASI_ENOENT;
	while (n > 1 && path[n - 1] == '/') {
		path[--n] = '\0';
		*slash = 1;
	}
	cut = strrchr(path, '/');
	if (!cut) {
		*last = path;
		*parent = open_beneath(dir, ".", O_PATH | O_DIRECTORY, 0);
	} else if (cut == path) {
		return WASI_ENOTCAPABLE; /* absolute */
	} else {
		*cut = '\0';
		*last = cut + 1;
		*parent = open_beneath(dir, path, O_PATH | O_DIRECTORY, 0);
	}
	if (*parent < 0)
		return resolve_errno(errno);
	return 0;
}

static int is_dot(const char *s)
{
	return !strcmp(s, ".") || !strcmp(s, "..");
}

/*
 * Whether the final component of `path` must be resolved as a whole path
 * rather than as (parent, name): it is "." or ".." (which name directories,
 * possibly above the parent, never symlinks) or is followed by a slash (which
 * follows a symlink).
 */
static int last_needs_resolve(const char *path)
{
	size_t n = strlen(path), s;

	if (n > 1 && path[n - 1] == '/')
		return 1;
	for (s = n; s > 0 && path[s - 1] != '/'; s--)
		;
	return is_dot(path + s);
}

/* Common prologue: descriptor with right, guest path copied. */
static int32_t path_arg(struct wasi_ctx *c, struct wasi_mem *m, uint64_t fd, uint64_t right,
                        uint64_t ptr, uint64_t len, struct wasi_fd **f, char *buf)
{
	int32_t e = wasi_fd_get(c, (uint32_t)fd, right, f);

	if (e)
		return e;
	if ((*f)->filetype != WASI_FT_DIR)
		return WASI_ENOTDIR;
	return guest_path(m, ptr, (uint32_t)len, buf);
}

WASI_HANDLER(path_create_directory)
{
	char path[WASI_PATH_MAX + 1];
	const char *last;
	struct wasi_fd *f;
	int parent, slash;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_CREATE_DIRECTORY, a[1], a[2], &f, path);

	if (e)
		return e;
	e = open_parent(f->host, path, &parent, &last, &slash);
	if (e)
		return e;
	if (is_dot(last))
		e = WASI_EEXIST;
	else if (mkdirat(parent, last, 0777) < 0)
		e = wasi_errno(errno);
	close(parent);
	return e;
}

WASI_HANDLER(path_filestat_get)
{
	char path[WASI_PATH_MAX + 1];
	struct wasi_fd *f;
	struct stat st;
	int o;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_FILESTAT_GET, a[2], a[3], &f, path);

	if (e)
		return e;
	o = open_beneath(f->host, path,
	                 O_PATH | ((uint32_t)a[1] & LOOKUP_SYMLINK_FOLLOW ? 0 : O_NOFOLLOW), 0);
	if (o < 0)
		return resolve_errno(errno);
	if (fstat(o, &st) < 0)
		e = wasi_errno(errno);
	else
		e = wasi_put_filestat(m, a[4], &st);
	close(o);
	return e;
}

WASI_HANDLER(path_filestat_set_times)
{
	char path[WASI_PATH_MAX + 1], proc[64];
	struct timespec ts[2];
	struct wasi_fd *f;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_FILESTAT_SET_TIMES, a[2], a[3], &f, path);
	int o;

	if (e)
		return e;
	e = wasi_times(a[4], a[5], (uint32_t)a[6], ts);
	if (e)
		return e;
	if (((uint32_t)a[1] & LOOKUP_SYMLINK_FOLLOW) || last_needs_resolve(path)) {
		/* The target, opened beneath the root, through its descriptor. */
		o = open_beneath(f->host, path, O_PATH, 0);
		if (o < 0)
			return resolve_errno(errno);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
		if (utimensat(AT_FDCWD, proc, ts, 0) < 0)
			e = wasi_errno(errno);
		close(o);
		return e;
	} else {
		const char *last;
		int parent, slash;

		e = open_parent(f->host, path, &parent, &last, &slash);
		if (e)
			return e;
		if (utimensat(parent, last, ts, AT_SYMLINK_NOFOLLOW) < 0)
			e = wasi_errno(errno);
		close(parent);
		return e;
	}
}

WASI_HANDLER(path_link)
{
	char opath[WASI_PATH_MAX + 1], npath[WASI_PATH_MAX + 1], proc[64];
	struct wasi_fd *of, *nf;
	const char *olast, *nlast;
	int oparent = -1, nparent = -1, slash, o = -1;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_LINK_SOURCE, a[2], a[3], &of, opath);

	if (e)
		return e;
	e = path_arg(c, m, a[4], WASI_RIGHT_PATH_LINK_TARGET, a[5], a[6], &nf, npath);
	if (e)
		return e;
	e = open_parent(nf->host, npath, &nparent, &nlast, &slash);
	if (e)
		return e;
	if (is_dot(nlast)) {
		e = WASI_EEXIST;
		goto out;
	}
	if (slash) {
		/* "new/" names a directory, which a hard link cannot make. */
		struct stat st;

		e = fstatat(nparent, nlast, &st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_EEXIST
		                                                           : WASI_ENOENT;
		goto out;
	}
	if (((uint32_t)a[1] & LOOKUP_SYMLINK_FOLLOW) || last_needs_resolve(opath)) {
		o = open_beneath(of->host, opath, O_PATH, 0);
		if (o < 0) {
			e = resolve_errno(errno);
			goto out;
		}
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
		if (linkat(AT_FDCWD, proc, nparent, nlast, AT_SYMLINK_FOLLOW) < 0)
			e = wasi_errno(errno);
	} else {
		e = open_parent(of->host, opath, &oparent, &olast, &slash);
		if (e)
			goto out;
		if (linkat(oparent, olast, nparent, nlast, 0) < 0)
			e = wasi_errno(errno);
	}
out:
	if (o >= 0)
		close(o);
	if (oparent >= 0)
		close(oparent);
	close(nparent);
	return e;
}

WASI_HANDLER(path_open)
{
	char path[WASI_PATH_MAX + 1];
	uint32_t dirflags = (uint32_t)a[1], oflags = (uint32_t)a[4], fdflags = (uint32_t)a[7];
	uint64_t base = a[5], inherit = a[6], need = WASI_RIGHT_PATH_OPEN;
	struct wasi_fd *dir, *nf;
	struct stat st;
	int flags = 0, h, slot, write_intent = 0;
	int32_t e;

	if (oflags & ~0xfu || fdflags & ~0x1fu)
		return WASI_EINVAL;
	if (oflags & OFLAG_CREAT)
		need |= WASI_RIGHT_PATH_CREATE_FILE;
	if (oflags & OFLAG_TRUNC)
		need |= WASI_RIGHT_PATH_FILESTAT_SET_SIZE;
	e = path_arg(c, m, a[0], need, a[2], a[3], &dir, path);
	if (e)
		return e;
	if (!wasi_ptr(m, a[8], 4))
		return WASI_EFAULT;
	/*
	 * The new descriptor gets at most what the directory passes on. Asking
	 * to write through a directory that may not is refused at once (so a
	 * write to a read-only preopen fails at open, where users look); other
	 * rights are narrowed to what is inheritable. Only FD_WRITE counts as
	 * asking to write: Rust's std asks for the PATH_* rights and Go for
	 * FD_FILESTAT_SET_SIZE on every open, also to read.
	 */
	if (base & ~dir->inherit & WASI_RIGHT_FD_WRITE)
		return WASI_ENOTCAPABLE;
	/*
	 * wasi-libc masks what it asks for by the directory's inheriting rights,
	 * so O_WRONLY under a read-only preopen arrives asking for neither read
	 * nor write. Such an open of a file can only have meant to write: refuse
	 * it here rather than hand out a descriptor that can do nothing.
	 */
	if (!(dir->inherit & WASI_RIGHT_FD_WRITE) &&
	    !(base & (WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE)) && !(oflags & OFLAG_DIRECTORY))
		write_intent = 1;
	base &= dir->inherit;
	inherit &= dir->inherit;
	/*
	 * Only FD_WRITE asks for a writable host descriptor (as wasmtime does):
	 * Go's os.Open asks for FD_FILESTAT_SET_SIZE too, and must still be able
	 * to open a read-only file.
	 */
	if ((base & WASI_RIGHT_FD_WRITE) && (base & WASI_RIGHT_FD_READ))
		flags = O_RDWR;
	else if (base & WASI_RIGHT_FD_WRITE)
		flags = O_WRONLY;
	else
		flags = O_RDONLY;
	if (oflags & OFLAG_CREAT)
		flags |= O_CREAT;
	if (oflags & OFLAG_DIRECTORY)
		flags |= O_DIRECTORY;
	if (oflags & OFLAG_EXCL)
		flags |= O_EXCL;
	if (oflags & OFLAG_TRUNC)
		flags |= O_TRUNC;
	if (!(dirflags & LOOKUP_SYMLINK_FOLLOW))
		flags |= O_NOFOLLOW;
	if (fdflags & WASI_FDFLAG_APPEND)
		flags |= O_APPEND;
	if (fdflags & WASI_FDFLAG_NONBLOCK)
		flags |= O_NONBLOCK;
	if (fdflags & WASI_FDFLAG_SYNC)
		flags |= O_SYNC;
	else if (fdflags & WASI_FDFLAG_RSYNC)
		flags |= O_RSYNC;
	else if (fdflags & WASI_FDFLAG_DSYNC)
		flags |= O_DSYNC;
	slot = wasi_fd_alloc(c);
	if (slot < 0)
		return 33; /* mfile */
	/*
	 * A directory asked for with FD_WRITE fails with isdir (Linux's answer,
	 * and wasmtime's and Node's): it is not quietly opened read-only.
	 */
	h = open_beneath(dir->host, path, flags, 0666);
	if (h < 0)
		return errno == ELOOP && (flags & O_NOFOLLOW) ? WASI_ELOOP : resolve_errno(errno);
	if (fstat(h, &st) < 0) {
		e = wasi_errno(errno);
		close(h);
		return e;
	}
	if (write_intent && !S_ISDIR(st.st_mode)) {
		close(h);
		return WASI_ENOTCAPABLE;
	}
	nf = &c->fds[slot];
	memset(nf, 0, sizeof(*nf));
	nf->used = 1;
	nf->host = h;
	nf->filetype = wasi_filetype_of_mode(st.st_mode);
	nf->rights = base;
	nf->inherit = inherit;
	if (nf->filetype == WASI_FT_DIR) {
		/* File-only rights make no sense on a directory. */
		nf->rights &= ~(WASI_RIGHT_FD_READ | WASI_RIGHT_FD_WRITE | WASI_RIGHT_FD_SEEK |
		                WASI_RIGHT_FD_TELL | WASI_RIGHT_FD_ALLOCATE |
		                WASI_RIGHT_FD_FILESTAT_SET_SIZE);
	}
	return wasi_put_u32(m, a[8], (uint32_t)slot);
}

WASI_HANDLER(path_readlink)
{
	char path[WASI_PATH_MAX + 1], target[WASI_PATH_MAX + 1];
	const char *last;
	struct wasi_fd *f;
	int parent, slash;
	uint8_t *out;
	ssize_t n;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_READLINK, a[1], a[2], &f, path);

	if (e)
		return e;
	out = wasi_ptr(m, a[3], (uint32_t)a[4]);
	if (!out || !wasi_ptr(m, a[5], 4))
		return WASI_EFAULT;
	if (last_needs_resolve(path)) {
		/* "link/", "." or "..": resolved through, never a symlink itself. */
		int o = open_beneath(f->host, path, O_PATH, 0);

		if (o < 0)
			return resolve_errno(errno);
		close(o);
		return WASI_EINVAL;
	}
	e = open_parent(f->host, path, &parent, &last, &slash);
	if (e)
		return e;
	n = readlinkat(parent, last, target, sizeof(target));
	if (n < 0) {
		e = wasi_errno(errno);
	} else {
		size_t take = (size_t)n < (uint32_t)a[4] ? (size_t)n : (uint32_t)a[4];

		memcpy(out, target, take);
		e = wasi_put_u32(m, a[5], (uint32_t)take);
	}
	close(parent);
	return e;
}

static int32_t remove_at(struct wasi_ctx *c, struct wasi_mem *m, const uint64_t *a, uint64_t right,
                         int dir)
{
	char path[WASI_PATH_MAX + 1];
	const char *last;
	struct wasi_fd *f;
	int parent, slash;
	int32_t e = path_arg(c, m, a[0], right, a[1], a[2], &f, path);

	if (e)
		return e;
	e = open_parent(f->host, path, &parent, &last, &slash);
	if (e)
		return e;
	if (is_dot(last)) {
		e = dir ? (strcmp(last, ".") ? WASI_ENOTEMPTY : WASI_EINVAL) : WASI_EISDIR;
	} else if (!dir && slash) {
		struct stat st;

		e = fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) < 0 ? wasi_errno(errno)
		    : S_ISDIR(st.st_mode)                               ? WASI_EISDIR
		                                                        : WASI_ENOTDIR;
	} else if (unlinkat(parent, last, dir ? AT_REMOVEDIR : 0) < 0) {
		e = wasi_errno(errno);
	}
	close(parent);
	return e;
}

WASI_HANDLER(path_remove_directory)
{
	return remove_at(c, m, a, WASI_RIGHT_PATH_REMOVE_DIRECTORY, 1);
}

WASI_HANDLER(path_unlink_file)
{
	return remove_at(c, m, a, WASI_RIGHT_PATH_UNLINK_FILE, 0);
}

WASI_HANDLER(path_rename)
{
	char opath[WASI_PATH_MAX + 1], npath[WASI_PATH_MAX + 1];
	struct wasi_fd *of, *nf;
	const char *olast, *nlast;
	int oparent = -1, nparent = -1, oslash, nslash;
	int32_t e = path_arg(c, m, a[0], WASI_RIGHT_PATH_RENAME_SOURCE, a[1], a[2], &of, opath);

	if (e)
		return e;
	e = path_arg(c, m, a[3], WASI_RIGHT_PATH_RENAME_TARGET, a[4], a[5], &nf, npath);
	if (e)
		return e;
	e = open_parent(of->host, opath, &oparent, &olast, &oslash);
	if (e)
		return e;
	e = open_parent(nf->host, npath, &nparent, &nlast, &nslash);
	if (e)
		goto out;
	if (is_dot(olast) || is_dot(nlast)) {
		e = WASI_EINVAL;
		goto out;
	}
	if (oslash || nslash) {
		struct stat st;

		/* A trailing slash names a directory: the source must be one. */
		if (fstatat(oparent, olast, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			e = wasi_errno(errno);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			e = WASI_ENOTDIR;
			goto out;
		}
	}
	if (renameat(oparent, olast, nparent, nlast) < 0)
		e = wasi_errno(errno);
out:
	close(oparent);
	if (nparent >= 0)
		close(nparent);
	return e;
}

WASI_HANDLER(path_symlink)
{
	char target[WASI_PATH_MAX + 1], path[WASI_PATH_MAX + 1];
	const char *last;
	struct wasi_fd *f;
	int parent, slash;
	int32_t e = guest_path(m, a[0], (uint32_t)a[1], target);

	if (e)
		return e;
	e = path_arg(c, m, a[2], WASI_RIGHT_PATH_SYMLINK, a[3], a[4], &f, path);
	if (e)
		return e;
	/* An absolute target could only ever point at the host's root: refuse it. */
	if (target[0] == '/')
		return WASI_EPERM;
	e = open_parent(f->host, path, &parent, &last, &slash);
	if (e)
		return e;
	if (is_dot(last)) {
		e = WASI_EEXIST;
	} else if (slash) {
		/*
		 * "new/" cannot be made a symlink. If it names a file that is no
		 * directory (nor a symlink), POSIX symlink() lists notdir for it
		 * and the wasi-testsuite's unix mode wants that; else eexist if it
		 * is there (Linux's answer), noent if not.
		 */
		struct stat st;

		if (fstatat(parent, last, &st, AT_SYMLINK_NOFOLLOW) < 0)
			e = WASI_ENOENT;
		else if (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode))
			e = WASI_EEXIST;
		else
			e = WASI_ENOTDIR;
	} else if (symlinkat(target, parent, last) < 0) {
		e = wasi_errno(errno);
	}
	close(parent);
	return e;
}
