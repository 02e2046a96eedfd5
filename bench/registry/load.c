/*
 * load.c — a small HTTP/1.1 keep-alive load generator for bench/registry.
 *
 * usage: load HOST PORT PATH CONNECTIONS SECONDS
 * Each connection is a thread that sends GET PATH, reads the response
 * (headers, then Content-Length bytes, discarded) and repeats until the time
 * is up; it reconnects when the server closes. Prints
 * "requests N bytes B seconds S errors E".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in addr;
static char request[1024];
static size_t reqlen;
static double deadline;
static atomic_ullong total_req, total_bytes, total_err;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request/response; returns body bytes, -1 on error; *closing when the server closes. */
static long long one(int fd, char *buf, size_t cap, int *closing)
{
	size_t have = 0;
	char *end = NULL, *p;
	long long cl = -1, body;
	if (write(fd, request, reqlen) != (ssize_t)reqlen)
		return -1;
	while (!end) {
		ssize_t k = read(fd, buf + have, cap - have - 1);
		if (k <= 0)
			return -1;
		have += (size_t)k;
		buf[have] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end && have >= cap - 1)
			return -1;
	}
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0)
		return -1;
	*closing = 0;
	for (p = buf; p < end; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, "Content-Length:", 15))
			cl = atoll(p + 15);
		if (!strncasecmp(p, "Connection: close", 17))
			*closing = 1;
	}
	if (cl < 0)
		return -1;
	body = (long long)have - (long long)(end + 4 - buf);
	while (body < cl) {
		ssize_t k = read(fd, buf, cap);
		if (k <= 0)
			return -1;
		body += k;
	}
	return cl;
}

static void *worker(void *arg)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap);
	int fd = -1, closing = 0;
	(void)arg;
	while (buf && now() < deadline) {
		long long n;
		if (fd < 0 && (fd = dial()) < 0) {
			total_err++;
			continue;
		}
		n = one(fd, buf, cap, &closing);
		if (n < 0) {
			total_err++;
			close(fd);
			fd = -1;
			continue;
		}
		total_req++;
		total_bytes += (unsigned long long)n;
		if (closing) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	int conns;
	double secs, t0;
	pthread_t th[256];
	if (argc != 6) {
		fprintf(stderr, "usage: load HOST PORT PATH CONNECTIONS SECONDS\n");
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1)
		return 2;
	reqlen = (size_t)snprintf(request, sizeof(request),
	                          "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bailey-load\r\n\r\n",
	                          argv[3], argv[1]);
	conns = atoi(argv[4]);
	secs = atof(argv[5]);
	if (conns < 1 || conns > 256 || secs <= 0)
		return 2;
	t0 = now();
	deadline = t0 + secs;
	for (int i = 0; i < conns; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < conns; i++)
		pthread_join(th[i], NULL);
	printf("requests %llu bytes %llu seconds %.3f errors %llu\n", (unsigned long long)total_req,
	       (unsigned long long)total_bytes, now() - t0, (unsigned long long)total_err);
	return 0;
}
