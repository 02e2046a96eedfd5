/* nil.c — the nil backend: bailey-exec as a child process; see keep.h. */
#include "keep/keep.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef BAILEY_LIBEXECDIR
#define BAILEY_LIBEXECDIR "/usr/local/libexec/bailey"
#endif

extern char **environ;

const char *keep_find_exec(void)
{
	static char path[PATH_MAX + 64];
	char self[PATH_MAX], *slash;
	const char *env = getenv("BAILEY_EXEC");
	ssize_t n;
	static const char *const rel[] = { "/bailey-exec", "/../exec/bailey-exec" };

	if (env && *env) {
		if (access(env, X_OK) == 0)
			return env;
		bl_err(BL_ENOENT, "BAILEY_EXEC=%s is not executable", env);
		return NULL;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(path, sizeof(path), "%s%s", self, rel[i]);
				if (access(path, X_OK) == 0)
					return path;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/bailey-exec", BAILEY_LIBEXECDIR);
	if (access(path, X_OK) == 0)
		return path;
	bl_err(BL_ENOENT, "cannot find bailey-exec (beside bailey, in %s, or $BAILEY_EXEC)",
	       BAILEY_LIBEXECDIR);
	return NULL;
}

int keep_nil_run(const char *exec_path, const uint8_t *handoff, size_t len)
{
	posix_spawn_file_actions_t fa;
	char fdarg[16], *argv[4];
	size_t off = 0;
	pid_t pid;
	int fd, rc, status;

	fd = memfd_create("bailey-handoff", MFD_ALLOW_SEALING);
	if (fd < 0)
		return bl_err(BL_EIO, "memfd_create: %s", strerror(errno));
	while (off < len) {
		ssize_t n = write(fd, handoff + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bl_err(BL_EIO, "write handoff: %s", strerror(errno));
			goto out_close;
		}
		off += (size_t)n;
	}
	/* The guest gets an immutable copy. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		rc = bl_err(BL_EIO, "seal handoff: %s", strerror(errno));
		goto out_close;
	}
	snprintf(fdarg, sizeof(fdarg), "%d", fd);
	argv[0] = (char *)"bailey-exec";
	argv[1] = (char *)"--handoff-fd";
	argv[2] = fdarg;
	argv[3] = NULL;
	posix_spawn_file_actions_init(&fa);
	rc = posix_spawn(&pid, exec_path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		rc = bl_err(BL_EIO, "start %s: %s", exec_path, strerror(rc));
		goto out_close;
	}
	close(fd);
	fd = -1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return bl_err(BL_EIO, "waitpid: %s", strerror(errno));
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
out_close:
	if (fd >= 0)
		close(fd);
	return rc;
}
