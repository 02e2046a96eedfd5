/*
 * t_stdio.c — standard streams and readiness: poll() (poll_oneoff) says
 * stdin is readable, the bytes piped in come back upper-cased on stdout, and
 * a line goes to stderr. fd_fdstat_get reports what each stream is.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[256];
	ssize_t n, total = 0;
	int r = poll(&p, 1, 5000);

	if (r != 1 || !(p.revents & POLLIN)) {
		fprintf(stderr, "poll: %d revents %x\n", r, p.revents);
		return 1;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if (write(1, buf, (size_t)n) != n)
			return 2;
		total += n;
	}
	fprintf(stderr, "read %zd bytes\n", total);
	return n < 0 ? 3 : 0;
}
