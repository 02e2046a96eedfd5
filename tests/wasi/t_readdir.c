/*
 * t_readdir.c — wasi-libc's readdir over a directory of 300 entries, more
 * than one fd_readdir buffer holds (wasi-libc reads 4 KiB at a time), so it
 * must resume with cookies and re-read entries cut at the end of a buffer.
 * Some names are long (up to 250 bytes) so that cuts fall inside names and
 * headers. Also telldir/seekdir (the cookie handed back) and rewinddir. The
 * transcript does not depend on the order entries come in, so it can be
 * compared with Node's WASI. Run it on an empty directory; it leaves it empty.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define N 300

static void name_of(int i, char *buf, size_t len)
{
	/* Lengths vary from 9 to 250 bytes; the name says its index. */
	int extra = (i * 37) % 242;

	snprintf(buf, len, "e%03d-", i);
	for (int k = 0; k < extra; k++)
		buf[5 + k] = (char)('a' + (i + k) % 26);
	buf[5 + extra] = '\0';
	strcat(buf, "!end");
}

/* Which entry a name is, or -1. */
static int index_of(const char *name)
{
	char want[300];
	int i;

	if (name[0] != 'e' || strlen(name) < 5)
		return -1;
	i = atoi(name + 1);
	if (i < 0 || i >= N)
		return -1;
	name_of(i, want, sizeof(want));
	return strcmp(name, want) ? -1 : i;
}

/* Read to the end: count each index seen; returns the number of entries or -1. */
static int read_rest(DIR *d, int *seen, int *bad, int *dots, int *subdir)
{
	struct dirent *e;
	int n = 0;

	errno = 0;
	while ((e = readdir(d))) {
		int i;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) {
			(*dots)++; /* Node's WASI leaves these out, wasmtime and Bailey do not */
			continue;
		}
		n++;
		if (!strcmp(e->d_name, "sub")) {
			*subdir += e->d_type == DT_DIR;
			continue;
		}
		i = index_of(e->d_name);
		if (i < 0 || e->d_type != DT_REG)
			(*bad)++;
		else
			seen[i]++;
	}
	return errno ? -1 : n;
}

static int all_once(const int *seen)
{
	for (int i = 0; i < N; i++)
		if (seen[i] != 1)
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	int unlinking = argc > 1 && !strcmp(argv[1], "unlink-while-reading");
	static int seen[N];
	char name[300], path[320];
	int made = 0, bad = 0, dots = 0, subdir = 0, n;
	DIR *d;

	CHECK(mkdir("/data/r", 0755) == 0, "mkdir /data/r");
	for (int i = 0; i < N; i++) {
		int fd;

		name_of(i, name, sizeof(name));
		snprintf(path, sizeof(path), "/data/r/%s", name);
		fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd >= 0) {
			made++;
			close(fd);
		}
	}
	CHECK(made == N, "created %d files", made);
	CHECK(mkdir("/data/r/sub", 0755) == 0, "and one subdirectory");

	d = opendir("/data/r");
	CHECK(d != NULL, "opendir");
	if (!d)
		return failures;
	n = read_rest(d, seen, &bad, &dots, &subdir);
	CHECK(n == N + 1, "readdir returns %d entries (want %d)", n, N + 1);
	CHECK(all_once(seen), "each file exactly once");
	CHECK(bad == 0, "no unknown names or wrong types (%d)", bad);
	CHECK(subdir == 1, "the subdirectory, as DT_DIR");

	/* telldir in the middle, then seekdir back: the same rest again. */
	rewinddir(d);
	memset(seen, 0, sizeof(seen));
	{
		long pos = -1;
		int before = 0, first = 0, second = 0, seen2[N];
		struct dirent *e;

		for (int k = 0; k < 150 && (e = readdir(d)); k++) {
			int i = index_of(e->d_name);
			if (i >= 0)
				seen[i]++;
			before++;
		}
		pos = telldir(d);
		first = read_rest(d, seen, &bad, &dots, &subdir);
		CHECK(before == 150 && first > 0, "rewinddir, then 150 entries and the rest");
		CHECK(all_once(seen), "together each file exactly once");
		memset(seen2, 0, sizeof(seen2));
		seekdir(d, pos);
		second = read_rest(d, seen2, &bad, &dots, &subdir);
		CHECK(second == first, "seekdir back to telldir: the same entries again");
		{
			int same = 1;
			for (int i = 0; i < N; i++)
				if (seen[i] != 1 || (seen2[i] && seen2[i] != 1))
					same = 0;
			CHECK(same && bad == 0, "and none twice");
		}
	}
	closedir(d);

	/*
	 * With argument "unlink-while-reading": remove each entry as readdir
	 * returns it, as rm -r does. The cookies must stay valid while entries
	 * before them disappear, or entries are skipped. (Node's WASI, like
	 * wasmtime's, skips them: the runner does not compare this part.)
	 */
	if (unlinking) {
		int removed = 0;

		d = opendir("/data/r");
		CHECK(d != NULL, "opendir again");
		for (struct dirent *e; d && (e = readdir(d));) {
			if (index_of(e->d_name) < 0)
				continue;
			snprintf(path, sizeof(path), "/data/r/%s", e->d_name);
			removed += unlink(path) == 0;
		}
		if (d)
			closedir(d);
		CHECK(removed == N, "unlinked %d of %d files while reading", removed, N);
	}

	/* Clean up what is left. */
	made = 0;
	for (int i = 0; i < N; i++) {
		name_of(i, name, sizeof(name));
		snprintf(path, sizeof(path), "/data/r/%s", name);
		made += unlink(path) == 0;
	}
	CHECK(made == (unlinking ? 0 : N), "%s",
	      unlinking ? "none was left behind" : "unlinked all");
	CHECK(rmdir("/data/r/sub") == 0 && rmdir("/data/r") == 0, "removed everything");
	return failures;
}
