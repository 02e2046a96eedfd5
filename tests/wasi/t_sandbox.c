/*
 * t_sandbox.c — nothing outside the preopens is reachable, and a read-only
 * preopen cannot be modified. The runner puts a file "secret" beside the
 * preopened directory and a symlink "out" -> "../secret" inside it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void refused(const char *path)
{
	int fd = open(path, O_RDONLY);

	CHECK(fd < 0, "open %s is refused (%s)", path, fd < 0 ? strerror(errno) : "OPENED");
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	struct stat st;

	refused("/data/../secret");
	refused("/data/sub/../../secret");
	refused("/data/out");
	refused("/etc/passwd");
	refused("/secret");
	CHECK(stat("/data/../secret", &st) < 0, "stat outside is refused");
	CHECK(mkdir("/data/../made", 0755) < 0, "mkdir outside is refused");
	CHECK(rename("/data/inside", "/data/../stolen") < 0, "rename out is refused");
	CHECK(symlink("/etc/passwd", "/data/abs") < 0, "an absolute symlink is refused");
	{
		/* The runner checks that the times of the directory above stay. */
		struct timespec ts[2] = { { 86400, 0 }, { 86400, 0 } };
		CHECK(utimensat(AT_FDCWD, "/data/..", ts, AT_SYMLINK_NOFOLLOW) < 0,
		      "setting the times of .. without following is refused");
		CHECK(utimensat(AT_FDCWD, "/data/..", ts, 0) < 0,
		      "setting the times of .. is refused");
	}
	CHECK(lstat("/data/out", &st) == 0 && S_ISLNK(st.st_mode), "the link itself is visible");
	CHECK(open("/ro/new", O_CREAT | O_WRONLY, 0644) < 0, "creating in a read-only dir fails");
	CHECK_ERRNO(open("/ro/inside", O_WRONLY), ENOTCAPABLE,
	            "opening to write in a read-only dir");
	{
		/*
		 * O_RDWR reaches the host exactly like O_RDONLY (wasi-libc masks the
		 * rights it asks for), so it opens read-only and the write fails.
		 */
		int fd = open("/ro/inside", O_RDWR);
		CHECK(fd < 0 || write(fd, "x", 1) < 0,
		      "writing through O_RDWR in a read-only dir fails");
		if (fd >= 0)
			close(fd);
	}
	CHECK(unlink("/ro/inside") < 0, "unlinking in a read-only dir fails");
	{
		int fd = open("/ro/inside", O_RDONLY);
		CHECK(fd >= 0, "reading in a read-only dir works");
		if (fd >= 0)
			close(fd);
	}
	return failures;
}
