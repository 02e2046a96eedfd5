/*
 * main.c — bailey-exec, the guest runtime. One static binary: the nil
 * backend runs it as a child process, the kvm backend loads it into the shim.
 *
 * It reads the handoff (exec/handoff.h) from the descriptor named by
 * --handoff-fd (the nil backend passes a sealed memfd) and runs the workload
 * (exec/exec.h); its exit code is the workload's.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec/exec.h"
#include "exec/handoff.h"

#define HANDOFF_MAX (1024ull * 1024 * 1024)

static void usage(FILE *f)
{
	fprintf(f, "usage: bailey-exec --handoff-fd N\n\n"
	           "The guest runtime of Bailey. It is started by `bailey run` and `bailey\n"
	           "deploy` (the nil backend) with the workload on descriptor N; it is not\n"
	           "meant to be run by hand.\n");
}

int main(int argc, char **argv)
{
	struct exec_handoff h;
	struct stat st;
	void *map;
	int fd = -1, status;

	/*
	 * A write to a closed pipe or socket returns `pipe` to the workload, as
	 * in other WASI runtimes, instead of killing the Keep.
	 */
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "--handoff-fd") != 0) {
		usage(stderr);
		return EXEC_EXIT_USAGE;
	}
	fd = atoi(argv[2]);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > HANDOFF_MAX) {
		fprintf(stderr, "bailey-exec: descriptor %s is not a handoff\n", argv[2]);
		return EXEC_EXIT_USAGE;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "bailey-exec: mmap handoff: %s\n", strerror(errno));
		return EXEC_EXIT_USAGE;
	}
	close(fd);
	if (exec_handoff_decode(map, (size_t)st.st_size, &h) < 0) {
		fprintf(stderr, "bailey-exec: %s\n", bl_errmsg());
		return EXEC_EXIT_USAGE;
	}
	status = exec_run(&h);
	munmap(map, (size_t)st.st_size);
	return status;
}
