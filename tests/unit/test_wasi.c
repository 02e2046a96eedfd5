/*
 * test_wasi.c — WASI preview 1 host functions called directly, with a byte
 * array as the guest's memory: results, errno values, rights, pointer checks
 * and every sandbox escape we know of.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "wasi/wasi.h"

#define MEM_SIZE 65536
static uint8_t mem[MEM_SIZE];
static struct wasi_mem vm = { mem, MEM_SIZE };
static char root[512], outside[256];
static struct wasi_ctx *ctx;

#define PRE 3 /* preopen, read-write */
#define PRE_RO 4 /* the same directory, read-only */

static int32_t call(const char *name, ...)
{
	const struct wasi_func *f = wasi_func_find(name);
	uint64_t args[16];
	va_list ap;

	if (!f)
		fail_msg("no WASI function %s", name);
	va_start(ap, name);
	for (size_t i = 0; i < strlen(f->params); i++)
		args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	return f->fn(ctx, &vm, args);
}
#define C(name, ...) call(name, __VA_ARGS__)
#define U(x) ((uint64_t)(x))

static uint32_t rd32(uint32_t off)
{
	return (uint32_t)mem[off] | (uint32_t)mem[off + 1] << 8 | (uint32_t)mem[off + 2] << 16 |
	       (uint32_t)mem[off + 3] << 24;
}
static uint64_t rd64(uint32_t off)
{
	return (uint64_t)rd32(off) | (uint64_t)rd32(off + 4) << 32;
}
static void wr32(uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		mem[off + i] = (uint8_t)(v >> (8 * i));
}
/* Put a string at off; returns its length. */
static uint64_t str(uint32_t off, const char *s)
{
	memcpy(mem + off, s, strlen(s));
	return strlen(s);
}

#define ALL_RIGHTS ((1ull << 30) - 1)

/* path_open relative to dir; returns errno, the fd at mem[0x100]. */
static int32_t open_path(uint32_t dir, const char *p, uint32_t oflags, uint64_t rights,
                         uint32_t fdflags)
{
	uint64_t n = str(0x200, p);
	return C("path_open", U(dir), U(1), U(0x200), n, U(oflags), rights, U(0), U(fdflags),
	         U(0x100));
}

static int setup(void **state)
{
	static const char *const argv[] = { "main.wasm", "--x", "y z" };
	static const char *const envp[] = { "A=1", "EMPTY=" };
	struct wasi_fd_spec fds[5];
	char path[600];
	int fd;

	(void)state;
	snprintf(outside, sizeof(outside), "/tmp/bailey-wasi-XXXXXX");
	if (!mkdtemp(outside))
		return -1;
	snprintf(root, sizeof(root), "%s/root", outside);
	mkdir(root, 0755);
	snprintf(path, sizeof(path), "%s/secret", outside);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || write(fd, "SECRET", 6) != 6)
		return -1;
	close(fd);
	memset(fds, 0, sizeof(fds));
	fds[0].kind = WASI_FD_NULL;
	fds[1].kind = WASI_FD_STDIO;
	fds[1].host_fd = 1;
	fds[2].kind = WASI_FD_STDIO;
	fds[2].host_fd = 2;
	fds[3].kind = WASI_FD_DIR;
	fds[3].host_path = root;
	fds[3].guest_path = "/data";
	fds[4].kind = WASI_FD_DIR;
	fds[4].host_path = root;
	fds[4].guest_path = "/ro";
	fds[4].readonly = 1;
	ctx = wasi_new(argv, 3, envp, 2, fds, 5);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	wasi_free(ctx);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", outside);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_table_complete(void **state)
{
	size_t n = 0;

	(void)state;
	for (const struct wasi_func *f = wasi_funcs; f->name; f++)
		n++;
	assert_int_equal(n, 46);
	assert_null(wasi_func_find("fd_nonexistent"));
	assert_non_null(wasi_func_find("sock_accept"));
}

static void test_args_environ(void **state)
{
	(void)state;
	assert_int_equal(C("args_sizes_get", U(0), U(4)), 0);
	assert_int_equal(rd32(0), 3);
	assert_int_equal(rd32(4), strlen("main.wasm") + 1 + 4 + 4);
	assert_int_equal(C("args_get", U(16), U(64)), 0);
	assert_string_equal((char *)mem + rd32(16), "main.wasm");
	assert_string_equal((char *)mem + rd32(24), "y z");
	assert_int_equal(C("environ_sizes_get", U(0), U(4)), 0);
	assert_int_equal(rd32(0), 2);
	assert_int_equal(C("environ_get", U(16), U(64)), 0);
	assert_string_equal((char *)mem + rd32(20), "EMPTY=");
	/* A buffer running past the end of memory is a fault, not a write. */
	assert_int_equal(C("args_get", U(16), U(MEM_SIZE - 4)), WASI_EFAULT);
	assert_int_equal(C("args_sizes_get", U(MEM_SIZE - 2), U(4)), WASI_EFAULT);
}

static void test_clocks_random(void **state)
{
	uint64_t t;

	(void)state;
	assert_int_equal(C("clock_time_get", U(0), U(1), U(8)), 0);
	t = rd64(8) / 1000000000u;
	assert_true(t >= (uint64_t)time(NULL) - 2 && t <= (uint64_t)time(NULL) + 2);
	assert_int_equal(C("clock_res_get", U(1), U(8)), 0);
	assert_true(rd64(8) > 0 && rd64(8) <= 1000000);
	assert_int_equal(C("clock_time_get", U(2), U(1), U(8)), 0);
	assert_int_equal(C("clock_time_get", U(9), U(1), U(8)), WASI_EINVAL);
	memset(mem + 0x400, 0, 64);
	assert_int_equal(C("random_get", U(0x400), U(64)), 0);
	{
		int nonzero = 0;
		for (int i = 0; i < 64; i++)
			nonzero += mem[0x400 + i] != 0;
		assert_true(nonzero > 32);
	}
	assert_int_equal(C("random_get", U(MEM_SIZE - 10), U(64)), WASI_EFAULT);
	assert_int_equal(C("sched_yield", U(0)), 0);
	assert_int_equal(C("proc_raise", U(2)), WASI_ENOSYS);
}

static void test_prestat(void **state)
{
	(void)state;
	assert_int_equal(C("fd_prestat_get", U(PRE), U(0)), 0);
	assert_int_equal(mem[0], 0);
	assert_int_equal(rd32(4), 5);
	assert_int_equal(C("fd_prestat_dir_name", U(PRE), U(0x20), U(5)), 0);
	assert_memory_equal(mem + 0x20, "/data", 5);
	assert_int_equal(C("fd_prestat_dir_name", U(PRE), U(0x20), U(4)), WASI_ENAMETOOLONG);
	assert_int_equal(C("fd_prestat_get", U(1), U(0)), WASI_EBADF);
	assert_int_equal(C("fd_prestat_get", U(99), U(0)), WASI_EBADF);
}

static void test_file_roundtrip(void **state)
{
	uint32_t fd;

	(void)state;
	assert_int_equal(open_path(PRE, "hello.txt", 1 | 8, ALL_RIGHTS & ~(1ull << 14), 0), 0);
	fd = rd32(0x100);
	assert_true(fd >= 5);
	/* Two iovecs: "hello, " and "world" */
	str(0x300, "hello, ");
	str(0x320, "world");
	wr32(0x40, 0x300);
	wr32(0x44, 7);
	wr32(0x48, 0x320);
	wr32(0x4c, 5);
	assert_int_equal(C("fd_write", U(fd), U(0x40), U(2), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 12);
	assert_int_equal(C("fd_tell", U(fd), U(0x58)), 0);
	assert_int_equal(rd64(0x58), 12);
	assert_int_equal(C("fd_seek", U(fd), U(7), U(0), U(0x58)), 0);
	wr32(0x40, 0x500);
	wr32(0x44, 100);
	assert_int_equal(C("fd_read", U(fd), U(0x40), U(1), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 5);
	assert_memory_equal(mem + 0x500, "world", 5);
	assert_int_equal(C("fd_pread", U(fd), U(0x40), U(1), U(0), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 12);
	assert_int_equal(C("fd_filestat_get", U(fd), U(0x600)), 0);
	assert_int_equal(mem[0x600 + 16], 4); /* regular file */
	assert_int_equal(rd64(0x600 + 32), 12);
	assert_int_equal(C("fd_filestat_set_size", U(fd), U(5)), 0);
	assert_int_equal(C("fd_filestat_get", U(fd), U(0x600)), 0);
	assert_int_equal(rd64(0x600 + 32), 5);
	assert_int_equal(C("fd_fdstat_get", U(fd), U(0x600)), 0);
	assert_int_equal(mem[0x600], 4);
	/* An iovec pointing outside memory is a fault, and nothing is read. */
	wr32(0x40, MEM_SIZE - 2);
	wr32(0x44, 100);
	assert_int_equal(C("fd_read", U(fd), U(0x40), U(1), U(0x50)), WASI_EFAULT);
	assert_int_equal(C("fd_write", U(fd), U(MEM_SIZE - 4), U(1), U(0x50)), WASI_EFAULT);
	/* Dropping the write right sticks, and it cannot be regained. */
	assert_int_equal(C("fd_fdstat_set_rights", U(fd), U(1ull << 1), U(0)), 0);
	wr32(0x40, 0x300);
	wr32(0x44, 1);
	assert_int_equal(C("fd_write", U(fd), U(0x40), U(1), U(0x50)), WASI_ENOTCAPABLE);
	assert_int_equal(C("fd_fdstat_set_rights", U(fd), U((1ull << 1) | (1ull << 6)), U(0)),
	                 WASI_ENOTCAPABLE);
	assert_int_equal(C("fd_close", U(fd)), 0);
	assert_int_equal(C("fd_close", U(fd)), WASI_EBADF);
}

static void test_escapes(void **state)
{
	static const char *const escapes[] = {
		"../secret", "/etc/passwd", "sub/../../secret", "..", "./../root/../secret",
	};
	char link[600];

	(void)state;
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		int32_t e = open_path(PRE, escapes[i], 0, 1ull << 1, 0);
		if (e != WASI_ENOTCAPABLE && e != WASI_ENOENT)
			fail_msg("open '%s': errno %d", escapes[i], e);
		if (e == 0)
			fail_msg("open '%s' escaped the preopen", escapes[i]);
	}
	/* A symlink inside pointing out (made on the host side). */
	snprintf(link, sizeof(link), "%s/out", root);
	assert_int_equal(symlink("../secret", link), 0);
	{
		uint64_t n = str(0x200, "out");
		/* not following it: the link itself cannot be opened as a file */
		assert_int_equal(
		    C("path_open", U(PRE), U(0), U(0x200), n, U(0), U(2), U(0), U(0), U(0x100)),
		    WASI_ELOOP);
		/* following it: refused */
		assert_int_equal(
		    C("path_open", U(PRE), U(1), U(0x200), n, U(0), U(2), U(0), U(0), U(0x100)),
		    WASI_ENOTCAPABLE);
		assert_int_equal(C("path_filestat_get", U(PRE), U(1), U(0x200), n, U(0x600)),
		                 WASI_ENOTCAPABLE);
		/* without following: the link itself */
		assert_int_equal(C("path_filestat_get", U(PRE), U(0), U(0x200), n, U(0x600)), 0);
		assert_int_equal(mem[0x600 + 16], 7);
		/* readlink shows the target text only */
		assert_int_equal(C("path_readlink", U(PRE), U(0x200), n, U(0x700), U(64), U(0x50)),
		                 0);
		assert_int_equal(rd32(0x50), 9);
		assert_memory_equal(mem + 0x700, "../secret", 9);
	}
	/* An absolute symlink target is refused; a relative one is made. */
	{
		uint64_t t = str(0x300, "/etc/passwd"), n = str(0x200, "abs");
		assert_int_equal(C("path_symlink", U(0x300), t, U(PRE), U(0x200), n), WASI_EPERM);
	}
	/* Creating, renaming, linking and removing outside: refused. */
	{
		uint64_t n = str(0x200, "../made");
		assert_int_equal(C("path_create_directory", U(PRE), U(0x200), n), WASI_ENOTCAPABLE);
		assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), n), WASI_ENOTCAPABLE);
		assert_int_equal(open_path(PRE, "inside", 1, 1ull << 6, 0), 0);
		assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
		n = str(0x200, "inside");
		{
			uint64_t n2 = str(0x280, "../stolen");
			assert_int_equal(
			    C("path_rename", U(PRE), U(0x200), n, U(PRE), U(0x280), n2),
			    WASI_ENOTCAPABLE);
			assert_int_equal(
			    C("path_link", U(PRE), U(0), U(0x200), n, U(PRE), U(0x280), n2),
			    WASI_ENOTCAPABLE);
		}
		/* a hard link to the outside file through the escaping symlink */
		n = str(0x200, "out");
		{
			uint64_t n2 = str(0x280, "copy");
			assert_int_equal(
			    C("path_link", U(PRE), U(1), U(0x200), n, U(PRE), U(0x280), n2),
			    WASI_ENOTCAPABLE);
		}
	}
	/* NUL inside a path is invalid, not truncated. */
	memcpy(mem + 0x200, "a\0b", 3);
	assert_int_equal(
	    C("path_open", U(PRE), U(0), U(0x200), U(3), U(0), U(2), U(0), U(0), U(0x100)),
	    WASI_EINVAL);
}

/*
 * Regression: path_filestat_set_times without SYMLINK_FOLLOW acted on
 * (parent, last) with last ".." unchecked, so ".." at the preopen's root
 * changed the times of the host directory above it.
 */
static void test_set_times_dotdot_escape(void **state)
{
	static const char *const escapes[] = { "..", "../", "sub/../..", "./.." };
	struct stat before, after;
	uint64_t n;

	(void)state;
	n = str(0x200, "sub");
	assert_int_equal(C("path_create_directory", U(PRE), U(0x200), n), 0);
	for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
		assert_int_equal(stat(outside, &before), 0);
		n = str(0x200, escapes[i]);
		for (uint64_t follow = 0; follow < 2; follow++) {
			int32_t e = C("path_filestat_set_times", U(PRE), follow, U(0x200), n,
			              U(1000000000ull * 86400), U(1000000000ull * 86400), U(1 | 4));
			if (e != WASI_ENOTCAPABLE)
				fail_msg("set_times '%s' (follow %d): errno %d", escapes[i],
				         (int)follow, e);
		}
		assert_int_equal(stat(outside, &after), 0);
		assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
		assert_int_equal(after.st_atim.tv_sec, before.st_atim.tv_sec);
	}
	/* Inside, dot components still work: "sub/.." is the root itself. */
	n = str(0x200, "sub/..");
	assert_int_equal(C("path_filestat_set_times", U(PRE), U(0), U(0x200), n,
	                   U(1000000000ull * 86400), U(2000000000ull * 10), U(1 | 4)),
	                 0);
	assert_int_equal(stat(root, &after), 0);
	assert_int_equal(after.st_mtim.tv_sec, 20);
	n = str(0x200, "sub");
	assert_int_equal(C("path_remove_directory", U(PRE), U(0x200), n), 0);
}

/*
 * Regression: trailing slashes. path_link dropped a slash after the new name
 * and made a file "new" for "new/" (POSIX and Linux: ENOENT, or EEXIST when
 * it exists), and said EPERM for "file/" (ENOTDIR: a file is not a
 * directory). path_readlink read the link for "link/", where the slash
 * resolves through it (EINVAL).
 */
static void test_trailing_slashes(void **state)
{
	struct stat st;
	char p[600];
	uint64_t a, b;

	(void)state;
	assert_int_equal(open_path(PRE, "ts.txt", 1, 1ull << 6, 0), 0);
	assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
	a = str(0x200, "ts.txt");
	b = str(0x280, "ts-new/");
	assert_int_equal(C("path_link", U(PRE), U(0), U(0x200), a, U(PRE), U(0x280), b),
	                 WASI_ENOENT);
	snprintf(p, sizeof(p), "%s/ts-new", root);
	assert_int_equal(stat(p, &st), -1);
	b = str(0x280, "ts.txt/");
	assert_int_equal(C("path_link", U(PRE), U(0), U(0x200), a, U(PRE), U(0x280), b),
	                 WASI_EEXIST);
	a = str(0x200, "ts.txt/");
	b = str(0x280, "ts-new");
	assert_int_equal(C("path_link", U(PRE), U(0), U(0x200), a, U(PRE), U(0x280), b),
	                 WASI_ENOTDIR);
	a = str(0x200, ".");
	assert_int_equal(C("path_link", U(PRE), U(0), U(0x200), a, U(PRE), U(0x280), b),
	                 WASI_EPERM);
	/* symlink to "name/": eexist for a directory (regression, wasi-testsuite
	 * path_symlink_trailing_slashes), notdir for a file, noent when absent. */
	a = str(0x200, "x");
	snprintf(p, sizeof(p), "%s/ts-dir", root);
	assert_int_equal(mkdir(p, 0755), 0);
	b = str(0x280, "ts-dir/");
	assert_int_equal(C("path_symlink", U(0x200), a, U(PRE), U(0x280), b), WASI_EEXIST);
	assert_int_equal(rmdir(p), 0);
	snprintf(p, sizeof(p), "%s/ts-link", root);
	assert_int_equal(symlink("nowhere", p), 0);
	b = str(0x280, "ts-link/");
	assert_int_equal(C("path_symlink", U(0x200), a, U(PRE), U(0x280), b), WASI_EEXIST);
	assert_int_equal(unlink(p), 0);
	b = str(0x280, "ts.txt/");
	assert_int_equal(C("path_symlink", U(0x200), a, U(PRE), U(0x280), b), WASI_ENOTDIR);
	b = str(0x280, "ts-none/");
	assert_int_equal(C("path_symlink", U(0x200), a, U(PRE), U(0x280), b), WASI_ENOENT);
	/* readlink through a trailing slash */
	snprintf(p, sizeof(p), "%s/ts-link", root);
	assert_int_equal(symlink(".", p), 0);
	a = str(0x200, "ts-link/");
	assert_int_equal(C("path_readlink", U(PRE), U(0x200), a, U(0x700), U(64), U(0x50)),
	                 WASI_EINVAL);
	a = str(0x200, "ts-link");
	assert_int_equal(C("path_readlink", U(PRE), U(0x200), a, U(0x700), U(64), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 1);
	assert_int_equal(unlink(p), 0);
	a = str(0x200, "ts.txt");
	assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), a), 0);
}

static void test_readonly_preopen(void **state)
{
	uint64_t n;

	(void)state;
	assert_int_equal(open_path(PRE_RO, "ro.txt", 1, 1ull << 6, 0), WASI_ENOTCAPABLE);
	n = str(0x200, "newdir");
	assert_int_equal(C("path_create_directory", U(PRE_RO), U(0x200), n), WASI_ENOTCAPABLE);
	/* Reading through it works. */
	assert_int_equal(open_path(PRE, "r.txt", 1, (1ull << 6) | (1ull << 1), 0), 0);
	assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
	assert_int_equal(open_path(PRE_RO, "r.txt", 0, 1ull << 1, 0), 0);
	assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
}

/*
 * Regression: opening a file to read in a read-only preopen was refused
 * (notcapable) whenever the rights asked for included any modifying right.
 * Rust's std asks for the PATH_* rights (create, rename, unlink, ...) on
 * every open, and Go for FD_FILESTAT_SET_SIZE and an inheriting set with
 * FD_WRITE, so neither could read a file there. Rights beyond what the
 * directory passes on are narrowed (witx path_open); only FD_WRITE, an
 * explicit request to write, is refused.
 */
static void test_readonly_preopen_std_rights(void **state)
{
	/* Rust std OpenOptions::rights_base() with read(true) only. */
	const uint64_t rust =
	    (1ull << 1) | (1ull << 14) | (1ull << 7) | (1ull << 3) | (1ull << 21) | (1ull << 23) |
	    (1ull << 2) | (1ull << 4) | (1ull << 5) | (1ull << 9) | (1ull << 10) | (1ull << 18) |
	    (1ull << 11) | (1ull << 12) | (1ull << 13) | (1ull << 15) | (1ull << 25) |
	    (1ull << 16) | (1ull << 17) | (1ull << 24) | (1ull << 26) | (1ull << 27);
	/* Go syscall.Open O_RDONLY: fileRights without its writeRights. */
	const uint64_t go_file = (1ull << 28) - 1; /* all but the socket rights */
	const uint64_t go_write = (1ull << 0) | (1ull << 6) | (1ull << 8) | (1ull << 19);
	const uint64_t go = go_file & ~go_write;
	uint64_t n = str(0x200, "std.txt");
	uint32_t fd;

	(void)state;
	assert_int_equal(
	    C("path_open", U(PRE), U(1), U(0x200), n, U(1), U((1ull << 6)), U(0), U(0), U(0x100)),
	    0);
	assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
	for (int i = 0; i < 2; i++) {
		uint64_t base = i ? go : rust, inherit = i ? go_file : rust;

		assert_int_equal(C("path_open", U(PRE_RO), U(1), U(0x200), n, U(0), base, inherit,
		                   U(0), U(0x100)),
		                 0);
		fd = rd32(0x100);
		wr32(0x40, 0x300);
		wr32(0x44, 4);
		assert_int_equal(C("fd_read", U(fd), U(0x40), U(1), U(0x50)), 0);
		/* and it still cannot modify anything */
		assert_int_equal(C("fd_write", U(fd), U(0x40), U(1), U(0x50)), WASI_ENOTCAPABLE);
		assert_int_equal(C("fd_filestat_set_size", U(fd), U(0)), WASI_ENOTCAPABLE);
		assert_int_equal(C("fd_fdstat_get", U(fd), U(0x600)), 0);
		assert_int_equal(rd64(0x600 + 8) & ((1ull << 6) | (1ull << 22) | (1ull << 23)), 0);
		assert_int_equal(rd64(0x600 + 16) & ((1ull << 6) | (1ull << 10) | (1ull << 26)), 0);
		assert_int_equal(C("fd_close", U(fd)), 0);
	}
	/* Asking to write is still refused at open. */
	assert_int_equal(C("path_open", U(PRE_RO), U(1), U(0x200), n, U(0),
	                   U((1ull << 1) | (1ull << 6)), U(0), U(0), U(0x100)),
	                 WASI_ENOTCAPABLE);
	assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), n), 0);
}

static void test_dirs_and_readdir(void **state)
{
	uint64_t n;
	uint32_t dfd, used, seen = 0;
	uint64_t cookie = 0;
	int found[3] = { 0, 0, 0 };
	static const char *const names[] = { "alpha", "beta-long-name-to-split-buffers", "gamma" };

	(void)state;
	n = str(0x200, "d");
	assert_int_equal(C("path_create_directory", U(PRE), U(0x200), n), 0);
	assert_int_equal(C("path_create_directory", U(PRE), U(0x200), n), WASI_EEXIST);
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof(p), "d/%s", names[i]);
		assert_int_equal(open_path(PRE, p, 1, 1ull << 6, 0), 0);
		assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
	}
	/* A directory asked for with FD_WRITE: isdir (regression, wasi-testsuite path_open_preopen). */
	assert_int_equal(open_path(PRE, "d", 2, 1ull << 1 | 1ull << 6, 0), WASI_EISDIR);
	assert_int_equal(open_path(PRE, ".", 0, 1ull << 6, 0), WASI_EISDIR);
	assert_int_equal(open_path(PRE, "d", 2, 1ull << 14, 0), 0);
	dfd = rd32(0x100);
	/* Read with a 40-byte buffer: entries arrive one at a time, cut when too long. */
	for (int round = 0; round < 20; round++) {
		uint32_t off = 0;
		assert_int_equal(C("fd_readdir", U(dfd), U(0x800), U(40), cookie, U(0x50)), 0);
		used = rd32(0x50);
		if (used == 0)
			break;
		/* One whole entry, or a cut one (used == 40) that we re-read bigger. */
		if (used == 40 && 24 + rd32(0x800 + 16) > 40) {
			assert_int_equal(C("fd_readdir", U(dfd), U(0x800), U(200), cookie, U(0x50)),
			                 0);
		}
		{
			uint32_t nl = rd32(0x800 + off + 16);
			for (int i = 0; i < 3; i++)
				if (nl == strlen(names[i]) &&
				    !memcmp(mem + 0x800 + off + 24, names[i], nl))
					found[i]++;
			cookie = rd64(0x800 + off);
			seen++;
		}
	}
	assert_int_equal(found[0], 1);
	assert_int_equal(found[1], 1);
	assert_int_equal(found[2], 1);
	assert_int_equal(seen, 5); /* with . and .. */
	assert_int_equal(C("fd_close", U(dfd)), 0);
	/* Non-empty directory cannot be removed; a file is not a directory. */
	assert_int_equal(C("path_remove_directory", U(PRE), U(0x200), n), WASI_ENOTEMPTY);
	n = str(0x200, "d/alpha/");
	assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), n), WASI_ENOTDIR);
	n = str(0x200, "d/alpha");
	assert_int_equal(C("path_remove_directory", U(PRE), U(0x200), n), WASI_ENOTDIR);
	assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), n), 0);
	assert_int_equal(C("path_unlink_file", U(PRE), U(0x200), n), WASI_ENOENT);
	/* rename within the sandbox, then link, then set times */
	{
		uint64_t a = str(0x200, "d/gamma"), b = str(0x280, "d/delta");
		assert_int_equal(C("path_rename", U(PRE), U(0x200), a, U(PRE), U(0x280), b), 0);
		a = str(0x200, "d/delta");
		b = str(0x280, "d/epsilon");
		assert_int_equal(C("path_link", U(PRE), U(0), U(0x200), a, U(PRE), U(0x280), b), 0);
		assert_int_equal(C("path_filestat_get", U(PRE), U(0), U(0x280), b, U(0x600)), 0);
		assert_int_equal(rd64(0x600 + 24), 2); /* nlink */
		assert_int_equal(C("path_filestat_set_times", U(PRE), U(0), U(0x280), b,
		                   U(1000000000ull * 86400), U(2000000000ull * 10), U(1 | 4)),
		                 0);
		assert_int_equal(C("path_filestat_get", U(PRE), U(0), U(0x280), b, U(0x600)), 0);
		assert_int_equal(rd64(0x600 + 40), 1000000000ull * 86400);
		assert_int_equal(rd64(0x600 + 48), 2000000000ull * 10);
		assert_int_equal(
		    C("path_filestat_set_times", U(PRE), U(0), U(0x280), b, U(0), U(0), U(1 | 2)),
		    WASI_EINVAL);
	}
}

/*
 * Regression: the fd_readdir cookie was the count of entries to skip, so a
 * guest removing the entries it had read (rm -r) made the next call skip as
 * many entries that were still there. Read 5 whole entries at a time, unlink
 * them, go on from the cookie: every file must come by once.
 */
static void test_readdir_unlink_while_reading(void **state)
{
	char p[600];
	uint64_t n, cookie = 0;
	uint32_t dfd, removed = 0;

	(void)state;
	n = str(0x200, "del");
	assert_int_equal(C("path_create_directory", U(PRE), U(0x200), n), 0);
	for (int i = 0; i < 60; i++) {
		snprintf(p, sizeof(p), "del/f%02d", i);
		assert_int_equal(open_path(PRE, p, 1, 1ull << 6, 0), 0);
		assert_int_equal(C("fd_close", U(rd32(0x100))), 0);
	}
	assert_int_equal(open_path(PRE, "del", 2, 1ull << 14, 0), 0);
	dfd = rd32(0x100);
	for (int round = 0; round < 100; round++) {
		uint32_t off = 0, used, whole = 0;

		/* 5 entries of 24 + 3 bytes, and a cut one */
		assert_int_equal(C("fd_readdir", U(dfd), U(0x800), U(5 * 27 + 10), cookie, U(0x50)),
		                 0);
		used = rd32(0x50);
		while (off + 24 <= used && off + 24 + rd32(0x800 + off + 16) <= used) {
			uint32_t nl = rd32(0x800 + off + 16);

			cookie = rd64(0x800 + off);
			if (nl == 3 && mem[0x800 + off + 24] == 'f') {
				snprintf(p, sizeof(p), "%s/del/%.3s", root,
				         (char *)mem + 0x800 + off + 24);
				assert_int_equal(unlink(p), 0);
				removed++;
			}
			off += 24 + nl;
			whole++;
		}
		if (used < 5 * 27 + 10 && off == used)
			break;
		assert_true(whole > 0);
	}
	assert_int_equal(removed, 60);
	assert_int_equal(C("fd_close", U(dfd)), 0);
	assert_int_equal(C("path_remove_directory", U(PRE), U(0x200), n), 0);
}

static void test_poll_clock_and_fd(void **state)
{
	uint8_t *s = mem + 0x900;

	(void)state;
	/* one relative monotonic clock subscription of 1 ms */
	memset(s, 0, 96);
	s[0] = 0x42; /* userdata */
	s[8] = 0; /* clock */
	s[16] = 1; /* monotonic */
	s[24 + 2] = 0x0f; /* timeout 0x0f0000 ns ~ 1 ms */
	assert_int_equal(C("poll_oneoff", U(0x900), U(0xa00), U(1), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 1);
	assert_int_equal(mem[0xa00], 0x42);
	assert_int_equal(mem[0xa00 + 10], 0);
	/* an fd_write subscription on /dev/null (fd 0, our null) is ready at once */
	memset(s, 0, 96);
	s[0] = 7;
	s[8] = 2; /* fd_write */
	s[16] = 0;
	s[48] = 8; /* second: clock, 10 s, must not fire */
	s[56] = 0;
	s[64] = 1;
	s[72 + 4] = 0x02;
	assert_int_equal(C("poll_oneoff", U(0x900), U(0xa00), U(2), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 1);
	assert_int_equal(mem[0xa00], 7);
	assert_int_equal(mem[0xa00 + 10], 2);
	/* a bad descriptor is reported in the event, not as the call's error */
	s[16] = 200;
	assert_int_equal(C("poll_oneoff", U(0x900), U(0xa00), U(1), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 1);
	assert_int_equal(mem[0xa00 + 8], WASI_EBADF);
	assert_int_equal(C("poll_oneoff", U(0x900), U(0xa00), U(0), U(0x50)), WASI_EINVAL);
	assert_int_equal(C("poll_oneoff", U(MEM_SIZE - 40), U(0xa00), U(1), U(0x50)), WASI_EFAULT);
}

static void test_sockets(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd, cfd, slot;
	struct wasi_fd_spec spec = { WASI_FD_LISTEN, -1, NULL, NULL, 0 };
	struct wasi_ctx *saved = ctx;
	char buf[16];

	(void)state;
	/* No socket: notsock, before rights (regression, wasi-testsuite sock_shutdown-not_sock). */
	assert_int_equal(C("sock_shutdown", U(1), U(1)), WASI_ENOTSOCK);
	assert_int_equal(C("sock_accept", U(PRE), U(0), U(0x60)), WASI_ENOTSOCK);
	assert_int_equal(C("sock_shutdown", U(77), U(1)), WASI_EBADF);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	spec.host_fd = lfd;
	ctx = wasi_new(NULL, 0, NULL, 0, &spec, 1);
	assert_non_null(ctx);
	close(lfd);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* A listening socket cannot be read. */
	wr32(0x40, 0x300);
	wr32(0x44, 8);
	assert_int_equal(C("fd_read", U(0), U(0x40), U(1), U(0x50)), WASI_ENOTCAPABLE);
	assert_int_equal(C("sock_accept", U(0), U(0), U(0x60)), 0);
	slot = (int)rd32(0x60);
	assert_int_equal(slot, 1);
	assert_int_equal(write(cfd, "ping", 4), 4);
	assert_int_equal(C("sock_recv", U(slot), U(0x40), U(1), U(0), U(0x50), U(0x54)), 0);
	assert_int_equal(rd32(0x50), 4);
	assert_memory_equal(mem + 0x300, "ping", 4);
	str(0x300, "pong!");
	wr32(0x44, 5);
	assert_int_equal(C("sock_send", U(slot), U(0x40), U(1), U(0), U(0x50)), 0);
	assert_int_equal(rd32(0x50), 5);
	assert_int_equal(read(cfd, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "pong!", 5);
	assert_int_equal(C("sock_shutdown", U(slot), U(3)), 0);
	assert_int_equal(read(cfd, buf, sizeof(buf)), 0);
	assert_int_equal(C("sock_shutdown", U(slot), U(9)), WASI_EINVAL);
	assert_int_equal(C("sock_recv", U(0), U(0x40), U(1), U(0), U(0x50), U(0x54)),
	                 WASI_ENOTCAPABLE);
	close(cfd);
	wasi_free(ctx);
	ctx = saved;
}

/*
 * Regression: fd_write on a connected socket whose peer has gone used
 * writev, so the kernel raised SIGPIPE and killed the whole runtime instead
 * of answering `pipe` (as sock_send, Node and wasmtime do).
 */
static void test_fd_write_socket_epipe(void **state)
{
	struct wasi_fd_spec spec = { WASI_FD_STREAM, -1, NULL, NULL, 0 };
	struct wasi_ctx *saved = ctx;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	spec.host_fd = sv[0];
	ctx = wasi_new(NULL, 0, NULL, 0, &spec, 1);
	assert_non_null(ctx);
	close(sv[0]);
	close(sv[1]);
	str(0x300, "data");
	wr32(0x40, 0x300);
	wr32(0x44, 4);
	assert_int_equal(C("fd_write", U(0), U(0x40), U(1), U(0x50)), 64 /* pipe */);
	assert_int_equal(C("sock_send", U(0), U(0x40), U(1), U(0), U(0x50)), 64);
	wasi_free(ctx);
	ctx = saved;
}

/*
 * Regression: a standard stream is a dup of the host's descriptor and shares
 * its open file description, so fd_fdstat_set_flags(NONBLOCK) — which Go's
 * runtime does on 0, 1 and 2 at start — left the user's terminal or pipe
 * non-blocking after the workload was done with it. The context restores
 * the flags when it lets go of the descriptor (fd_close, fd_renumber, free).
 */
static void test_stdio_flags_restored(void **state)
{
	struct wasi_fd_spec spec[2] = { { WASI_FD_STDIO, -1, NULL, NULL, 0 },
		                        { WASI_FD_STDIO, -1, NULL, NULL, 0 } };
	struct wasi_ctx *saved = ctx;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	spec[0].host_fd = p[0];
	spec[1].host_fd = p[1];
	for (int how = 0; how < 3; how++) {
		ctx = wasi_new(NULL, 0, NULL, 0, spec, 2);
		assert_non_null(ctx);
		assert_int_equal(C("fd_fdstat_set_flags", U(0), U(4)), 0);
		assert_int_equal(C("fd_fdstat_set_flags", U(1), U(4)), 0);
		assert_true(fcntl(p[0], F_GETFL) & O_NONBLOCK); /* shared, as expected */
		if (how == 0) {
			assert_int_equal(C("fd_close", U(0)), 0);
			assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
		} else if (how == 1) {
			assert_int_equal(C("fd_renumber", U(1), U(0)), 0);
			assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
		}
		wasi_free(ctx);
		assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
		assert_false(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	}
	close(p[0]);
	close(p[1]);
	ctx = saved;
}

static void test_renumber_and_exit(void **state)
{
	uint32_t code = 0;

	(void)state;
	assert_int_equal(open_path(PRE, "ren.txt", 1, 1ull << 6, 0), 0);
	assert_int_equal(C("fd_renumber", U(rd32(0x100)), U(0)), 0);
	assert_int_equal(C("fd_fdstat_get", U(0), U(0x600)), 0);
	assert_int_equal(mem[0x600], 4); /* fd 0 is now the file */
	assert_int_equal(C("fd_renumber", U(77), U(0)), WASI_EBADF);
	assert_false(wasi_exited(ctx, &code));
	assert_int_equal(C("proc_exit", U(3)), WASI_PROC_EXIT);
	assert_true(wasi_exited(ctx, &code));
	assert_int_equal(code, 3);
}

/* A socket or null among the preopens must not hide the directories after it. */
static void test_prestat_skips_non_dirs(void **state)
{
	struct wasi_fd_spec fds[5];
	struct wasi_ctx *saved = ctx;

	(void)state;
	memset(fds, 0, sizeof(fds));
	fds[0].kind = WASI_FD_NULL;
	fds[1].kind = WASI_FD_NULL;
	fds[2].kind = WASI_FD_NULL;
	fds[3].kind = WASI_FD_NULL;
	fds[4].kind = WASI_FD_DIR;
	fds[4].host_path = root;
	fds[4].guest_path = "/data";
	ctx = wasi_new(NULL, 0, NULL, 0, fds, 5);
	assert_non_null(ctx);
	memset(mem, 0xff, 8);
	assert_int_equal(C("fd_prestat_get", U(3), U(0)), 0);
	assert_int_equal(mem[0], 1); /* not a directory: scanners skip it */
	assert_int_equal(C("fd_prestat_dir_name", U(3), U(0x20), U(16)), WASI_EBADF);
	assert_int_equal(C("fd_prestat_get", U(4), U(0)), 0);
	assert_int_equal(mem[0], 0);
	assert_int_equal(rd32(4), 5);
	assert_int_equal(C("fd_prestat_get", U(2), U(0)), WASI_EBADF);
	/* A descriptor the guest opens is no preopen of any kind. */
	assert_int_equal(open_path(4, "pp.txt", 1, 1ull << 6, 0), 0);
	assert_int_equal(C("fd_prestat_get", U(rd32(0x100)), U(0)), WASI_EBADF);
	assert_int_equal(C("fd_prestat_get", U(5 + 1), U(0)), WASI_EBADF);
	wasi_free(ctx);
	ctx = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_args_environ),
		cmocka_unit_test(test_clocks_random),
		cmocka_unit_test(test_prestat),
		cmocka_unit_test(test_prestat_skips_non_dirs),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_set_times_dotdot_escape),
		cmocka_unit_test(test_trailing_slashes),
		cmocka_unit_test(test_readonly_preopen),
		cmocka_unit_test(test_readonly_preopen_std_rights),
		cmocka_unit_test(test_dirs_and_readdir),
		cmocka_unit_test(test_readdir_unlink_while_reading),
		cmocka_unit_test(test_poll_clock_and_fd),
		cmocka_unit_test(test_sockets),
		cmocka_unit_test(test_fd_write_socket_epipe),
		cmocka_unit_test(test_stdio_flags_restored),
		cmocka_unit_test(test_renumber_and_exit),
	};
	return cmocka_run_group_tests_name("wasi", tests, setup, teardown);
}
