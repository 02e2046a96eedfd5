/*
 * t_fs.c — files and directories in the preopened /data: create, write,
 * read, seek, stat, truncate, rename, link, symlink, readlink, readdir,
 * mkdir, rmdir, unlink, times, and the errno values of the failure cases.
 * Run it on an empty directory; it leaves it empty.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

static int count_entries(const char *dir, const char *want, int *found)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	*found = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (!strcmp(e->d_name, want))
			*found = 1;
	}
	closedir(d);
	return n;
}

int main(void)
{
	char buf[64];
	struct stat st;
	int fd, found;
	ssize_t n;

	fd = open("/data/a.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
	CHECK(fd >= 0, "create /data/a.txt");
	CHECK(write(fd, "hello world", 11) == 11, "write 11 bytes");
	CHECK(lseek(fd, 6, SEEK_SET) == 6, "seek to 6");
	n = read(fd, buf, sizeof(buf));
	CHECK(n == 5 && !memcmp(buf, "world", 5), "read back 'world'");
	CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5), "pread at 0");
	CHECK(pwrite(fd, "HELLO", 5, 0) == 5, "pwrite at 0");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 11 && S_ISREG(st.st_mode),
	      "fstat: 11-byte file");
	CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate to 5");
	CHECK(close(fd) == 0, "close");
	CHECK_ERRNO(open("/data/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST,
	            "O_EXCL on existing");
	CHECK_ERRNO(open("/data/missing", O_RDONLY), ENOENT, "open missing");

	CHECK(mkdir("/data/d", 0755) == 0, "mkdir /data/d");
	CHECK_ERRNO(mkdir("/data/d", 0755), EEXIST, "mkdir existing");
	CHECK(rename("/data/a.txt", "/data/d/b.txt") == 0, "rename into d");
	CHECK(stat("/data/d/b.txt", &st) == 0 && st.st_size == 5, "stat renamed file");
	CHECK(link("/data/d/b.txt", "/data/d/c.txt") == 0, "hard link");
	CHECK(stat("/data/d/c.txt", &st) == 0 && st.st_nlink == 2, "link count 2");
	CHECK(symlink("b.txt", "/data/d/s") == 0, "symlink");
	n = readlink("/data/d/s", buf, sizeof(buf));
	CHECK(n == 5 && !memcmp(buf, "b.txt", 5), "readlink");
	CHECK(lstat("/data/d/s", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees the link");
	CHECK(stat("/data/d/s", &st) == 0 && S_ISREG(st.st_mode), "stat follows the link");
	fd = open("/data/d/s", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	CHECK(n == 5 && !memcmp(buf, "HELLO", 5), "read through the symlink");
	if (fd >= 0)
		close(fd);
	CHECK(count_entries("/data/d", "c.txt", &found) == 3 && found, "readdir lists 3 entries");
	{
		struct timeval tv[2] = { { 1000000, 0 }, { 2000000, 0 } };
		CHECK(utimes("/data/d/b.txt", tv) == 0 && stat("/data/d/b.txt", &st) == 0 &&
		          st.st_mtime == 2000000,
		      "utimes sets mtime");
	}
	CHECK_ERRNO(rmdir("/data/d"), ENOTEMPTY, "rmdir non-empty");
	CHECK_ERRNO(unlink("/data/d"), EISDIR, "unlink a directory");
	CHECK_ERRNO(rmdir("/data/d/b.txt"), ENOTDIR, "rmdir a file");
	CHECK_ERRNO(open("/data/d/b.txt/x", O_RDONLY), ENOTDIR, "a file as a directory");
	CHECK(unlink("/data/d/s") == 0 && unlink("/data/d/c.txt") == 0 &&
	          unlink("/data/d/b.txt") == 0,
	      "unlink all");
	CHECK_ERRNO(unlink("/data/d/b.txt"), ENOENT, "unlink missing");
	CHECK(rmdir("/data/d") == 0, "rmdir empty");
	CHECK(count_entries("/data", "", &found) == 0, "/data is empty again");
	return failures;
}
