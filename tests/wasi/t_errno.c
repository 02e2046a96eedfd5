/*
 * t_errno.c — errno values that the WebAssembly wasi-testsuite checks and
 * Bailey once answered differently (each case names the call it regresses).
 * Run with /data a writable, empty preopen; the expected values are Linux's
 * own for the same calls, and what wasmtime answers.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

/* sock_shutdown and sock_accept on descriptors that are no sockets: notsock. */
static void not_sockets(void)
{
	__wasi_fd_t conn;
	int fd = open("/data/plain", O_RDWR | O_CREAT, 0644);

	CHECK(fd >= 0, "create /data/plain");
	CHECK_ERRNO(shutdown(STDOUT_FILENO, SHUT_RD), ENOTSOCK, "shutdown(stdout)");
	CHECK_ERRNO(shutdown(fd, SHUT_RDWR), ENOTSOCK, "shutdown(a file)");
	CHECK(__wasi_sock_accept(fd, 0, &conn) == __WASI_ERRNO_NOTSOCK,
	      "sock_accept(a file) answers notsock");
	CHECK(__wasi_sock_accept(STDIN_FILENO, 0, &conn) == __WASI_ERRNO_NOTSOCK,
	      "sock_accept(stdin) answers notsock");
	CHECK_ERRNO(shutdown(99, SHUT_RD), EBADF, "shutdown(a closed descriptor)");
	close(fd);
	unlink("/data/plain");
}

/* path_open of a directory asking to write: isdir, never a read-only stand-in. */
static void open_dir_for_write(void)
{
	int fd;

	CHECK(mkdir("/data/sub", 0755) == 0, "mkdir /data/sub");
	CHECK_ERRNO(open("/data", O_RDWR | O_DIRECTORY), EISDIR,
	            "open(preopen, O_RDWR|O_DIRECTORY)");
	CHECK_ERRNO(open("/data/sub", O_WRONLY | O_DIRECTORY), EISDIR,
	            "open(dir, O_WRONLY|O_DIRECTORY)");
	CHECK_ERRNO(open("/data/sub", O_RDWR), EISDIR, "open(dir, O_RDWR)");
	fd = open("/data/sub", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open(dir, O_RDONLY|O_DIRECTORY) still works");
	close(fd);
	rmdir("/data/sub");
}

/*
 * path_symlink to "name/": eexist for a directory, notdir for a file (POSIX
 * symlink(), the testsuite's unix mode; Linux itself says eexist), else noent.
 */
static void symlink_trailing_slash(void)
{
	int fd;

	CHECK_ERRNO(symlink("source", "/data/target/"), ENOENT, "symlink to missing 'target/'");
	CHECK(mkdir("/data/target", 0755) == 0, "mkdir /data/target");
	CHECK_ERRNO(symlink("source", "/data/target/"), EEXIST, "symlink to directory 'target/'");
	CHECK_ERRNO(symlink("source", "/data/target"), EEXIST, "symlink to directory 'target'");
	rmdir("/data/target");
	fd = open("/data/target", O_WRONLY | O_CREAT, 0644);
	close(fd);
	CHECK_ERRNO(symlink("source", "/data/target/"), ENOTDIR, "symlink to file 'target/'");
	CHECK_ERRNO(symlink("source", "/data/target"), EEXIST, "symlink to file 'target'");
	unlink("/data/target");
}

int main(void)
{
	not_sockets();
	open_dir_for_write();
	symlink_trailing_slash();
	return failures;
}
