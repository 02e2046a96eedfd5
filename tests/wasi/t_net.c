/*
 * t_net.c — TCP through Enarx.toml [[files]]: descriptor 3 is a listening
 * socket (kind = "listen"), descriptor 4 a connected one (kind = "connect").
 * It sends "hello" on 4 and expects the runner's echo, then accepts one
 * connection on 3 and answers its line in upper case.
 */
#include <ctype.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <wasi/api.h>

#include "check.h"

int main(void)
{
	char buf[64];
	__wasi_fd_t conn;
	ssize_t n;

	CHECK(!strcmp(getenv("FD_NAMES") ? getenv("FD_NAMES") : "",
	              "stdin:stdout:stderr:LISTEN:PEER"),
	      "FD_NAMES names the sockets");
	CHECK(write(4, "hello\n", 6) == 6, "send on the connect socket");
	n = read(4, buf, sizeof(buf));
	CHECK(n == 6 && !memcmp(buf, "echo:\n", 6), "the peer answered");
	CHECK(__wasi_sock_accept(3, 0, &conn) == 0, "sock_accept on the listen socket");
	n = recv((int)conn, buf, sizeof(buf), 0);
	CHECK(n > 0, "received %zd bytes", n);
	for (ssize_t i = 0; i < n; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
	CHECK(send((int)conn, buf, (size_t)n, 0) == n, "replied");
	CHECK(shutdown((int)conn, SHUT_RDWR) == 0, "shutdown");
	close((int)conn);
	return failures;
}
