/* wasi_poll_sock.c — WASI preview 1 poll_oneoff and sock_* functions. */
#include "wasi/wasi_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define EVT_CLOCK 0
#define EVT_FD_READ 1
#define EVT_FD_WRITE 2
#define SUBCLOCK_ABSTIME 1
#define EVENTRW_HANGUP 1
#define POLL_MAX_SUBS 4096

struct sub {
	uint64_t userdata;
	uint8_t type;
	uint32_t clock_id;
	uint64_t timeout; /* ns from now for clocks */
	uint32_t fd;
	int32_t error; /* for an fd subscription that cannot be polled */
	int pollidx; /* index in the pollfd array, -1 if none */
};

static uint64_t now_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int32_t put_event(struct wasi_mem *m, uint64_t off, const struct sub *s, int32_t err,
                         uint64_t nbytes, uint16_t flags)
{
	uint8_t *p = wasi_ptr(m, off, 32);

	if (!p)
		return WASI_EFAULT;
	memset(p, 0, 32);
	if (wasi_put_u64(m, off, s->userdata) || wasi_put_u16(m, off + 8, (uint16_t)err) ||
	    wasi_put_u8(m, off + 10, s->type))
		return WASI_EFAULT;
	if (s->type != EVT_CLOCK &&
	    (wasi_put_u64(m, off + 16, nbytes) || wasi_put_u16(m, off + 24, flags)))
		return WASI_EFAULT;
	return 0;
}

/* Bytes ready to read on a host descriptor (best effort: 0 when unknown). */
static uint64_t readable_bytes(int fd)
{
	struct stat st;
	int n = 0;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t pos = lseek(fd, 0, SEEK_CUR);
		return pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
	}
	return ioctl(fd, FIONREAD, &n) == 0 && n > 0 ? (uint64_t)n : 0;
}

static int32_t read_subs(struct wasi_ctx *c, struct wasi_mem *m, uint64_t in, uint32_t n,
                         struct sub *subs, struct pollfd *pfd, int *npfd)
{
	struct bl_cur cur;

	if (wasi_cur(m, in, (uint64_t)n * 48, &cur))
		return WASI_EFAULT;
	*npfd = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct sub *s = &subs[i];
		struct bl_cur one;
		uint8_t tag = 0xff;

		memset(s, 0, sizeof(*s));
		s->pollidx = -1;
		if (bl_cur_sub(&cur, 48, &one) || bl_cur_u64le(&one, &s->userdata) ||
		    bl_cur_u8(&one, &tag) || bl_cur_skip(&one, 7))
			return WASI_EFAULT;
		s->type = tag;
		if (tag == EVT_CLOCK) {
			uint64_t timeout, precision;
			uint16_t flags;
			clockid_t id;

			if (bl_cur_u32le(&one, &s->clock_id) || bl_cur_skip(&one, 4) ||
			    bl_cur_u64le(&one, &timeout) || bl_cur_u64le(&one, &precision) ||
			    bl_cur_u16le(&one, &flags))
				return WASI_EFAULT;
			switch (s->clock_id) {
			case 0: id = CLOCK_REALTIME; break;
			case 1: id = CLOCK_MONOTONIC; break;
			case 2: id = CLOCK_PROCESS_CPUTIME_ID; break;
			case 3: id = CLOCK_THREAD_CPUTIME_ID; break;
			default: return WASI_EINVAL;
			}
			if (flags & ~SUBCLOCK_ABSTIME)
				return WASI_EINVAL;
			if (flags & SUBCLOCK_ABSTIME) {
				uint64_t now = now_ns(id);
				timeout = timeout > now ? timeout - now : 0;
			}
			s->timeout = timeout;
		} else if (tag == EVT_FD_READ || tag == EVT_FD_WRITE) {
			struct wasi_fd *f = NULL;

			if (bl_cur_u32le(&one, &s->fd))
				return WASI_EFAULT;
			s->error = wasi_fd_get(c, s->fd, WASI_RIGHT_POLL_FD_READWRITE, &f);
			if (s->error)
				continue;
			s->pollidx = (*npfd)++;
			pfd[s->pollidx].fd = f->host;
			pfd[s->pollidx].events = tag == EVT_FD_READ ? POLLIN : POLLOUT;
			pfd[s->pollidx].revents = 0;
		} else {
			return WASI_EINVAL;
		}
	}
	return 0;
}

WASI_HANDLER(poll_oneoff)
{
	uint64_t in = a[0], out = a[1], min_timeout = UINT64_MAX, start, elapsed;
	uint32_t n = (uint32_t)a[2], nev = 0;
	struct sub *subs = NULL;
	struct pollfd *pfd = NULL;
	int npfd = 0, ready = 0;
	int32_t e;

	if (n == 0)
		return WASI_EINVAL;
	if (n > POLL_MAX_SUBS)
		return WASI_ENOTSUP;
	if (!wasi_ptr(m, out, (uint64_t)n * 32) || !wasi_ptr(m, a[3], 4))
		return WASI_EFAULT;
	subs = calloc(n, sizeof(*subs));
	pfd = calloc(n, sizeof(*pfd));
	if (!subs || !pfd) {
		e = WASI_ENOMEM;
		goto out_free;
	}
	e = read_subs(c, m, in, n, subs, pfd, &npfd);
	if (e)
		goto out_free;
	for (uint32_t i = 0; i < n; i++) {
		if (subs[i].type == EVT_CLOCK && subs[i].timeout < min_timeout)
			min_timeout = subs[i].timeout;
		if (subs[i].type != EVT_CLOCK && subs[i].error)
			ready = 1; /* report the error at once */
	}
	start = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		struct timespec ts, *tsp = NULL;
		int r;

		if (ready) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
			tsp = &ts;
		} else if (min_timeout != UINT64_MAX) {
			uint64_t left = now_ns(CLOCK_MONOTONIC) - start;
			left = left >= min_timeout ? 0 : min_timeout - left;
			ts.tv_sec = (time_t)(left / 1000000000u);
			ts.tv_nsec = (long)(left % 1000000000u);
			tsp = &ts;
		}
		r = ppoll(pfd, (nfds_t)npfd, tsp, NULL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = wasi_errno(errno);
			goto out_free;
		}
		break;
	}
	elapsed = now_ns(CLOCK_MONOTONIC) - start;
	for (uint32_t i = 0; i < n; i++) {
		struct sub *s = &subs[i];
		uint64_t off = out + (uint64_t)nev * 32;

		if (s->type == EVT_CLOCK) {
			if (s->timeout > elapsed)
				continue;
			e = put_event(m, off, s, 0, 0, 0);
		} else if (s->error) {
			e = put_event(m, off, s, s->error, 0, 0);
		} else {
			short rev = pfd[s->pollidx].revents;
			uint64_t nbytes = 0;

			if (!rev)
				continue;
			if (rev & POLLNVAL) {
				e = put_event(m, off, s, WASI_EBADF, 0, 0);
			} else {
				if (s->type == EVT_FD_READ)
					nbytes = readable_bytes(pfd[s->pollidx].fd);
				e = put_event(m, off, s, 0, nbytes,
				              rev & POLLHUP ? EVENTRW_HANGUP : 0);
			}
		}
		if (e)
			goto out_free;
		nev++;
	}
	e = wasi_put_u32(m, a[3], nev);
out_free:
	free(subs);
	free(pfd);
	return e;
}

/*
 * A socket descriptor with the right `need`. What is no socket answers
 * notsock before its rights are looked at: files and standard streams never
 * carry the sock_* rights, and notsock is what the caller needs to hear (as
 * Linux, wasmtime and the wasi-testsuite have it).
 */
static int32_t sock_get(struct wasi_ctx *c, uint32_t fd, uint64_t need, struct wasi_fd **out)
{
	struct wasi_fd *f;
	int32_t e = wasi_fd_get(c, fd, 0, &f);

	if (e)
		return e;
	if (f->filetype != WASI_FT_SOCK_STREAM)
		return WASI_ENOTSOCK;
	return wasi_fd_get(c, fd, need, out);
}

WASI_HANDLER(sock_accept)
{
	struct wasi_fd *f, *nf;
	uint32_t flags = (uint32_t)a[1];
	int h, slot;
	int32_t e = sock_get(c, (uint32_t)a[0], WASI_RIGHT_SOCK_ACCEPT, &f);

	if (e)
		return e;
	if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK)
		return WASI_EINVAL;
	if (!wasi_ptr(m, a[2], 4))
		return WASI_EFAULT;
	slot = wasi_fd_alloc(c);
	if (slot < 0)
		return 33; /* mfile */
	do {
		h = accept4(f->host, NULL, NULL,
		            SOCK_CLOEXEC | (flags & WASI_FDFLAG_NONBLOCK ? SOCK_NONBLOCK : 0));
	} while (h < 0 && errno == EINTR);
	if (h < 0)
		return wasi_errno(errno);
	nf = &c->fds[slot];
	memset(nf, 0, sizeof(*nf));
	nf->used = 1;
	nf->host = h;
	nf->filetype = WASI_FT_SOCK_STREAM;
	nf->rights = f->inherit;
	nf->inherit = 0;
	return wasi_put_u32(m, a[2], (uint32_t)slot);
}

#define RIFLAG_PEEK 1
#define RIFLAG_WAITALL 2
#define ROFLAG_TRUNCATED 1

WASI_HANDLER(sock_recv)
{
	struct iovec iov[WASI_IOV_MAX];
	struct msghdr msg;
	struct wasi_fd *f;
	uint32_t riflags = (uint32_t)a[3];
	ssize_t n;
	int32_t e = wasi_fd_get(c, (uint32_t)a[0], WASI_RIGHT_FD_READ, &f);

	if (e)
		return e;
	if (f->filetype != WASI_FT_SOCK_STREAM)
		return WASI_ENOTSOCK;
	if (riflags & ~3u)
		return WASI_EINVAL;
	if (!wasi_ptr(m, a[4], 4) || !wasi_ptr(m, a[5], 2))
		return WASI_EFAULT;
	e = wasi_iovs(m, (uint32_t)a[1], (uint32_t)a[2], iov);
	if (e)
		return e;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)(uint32_t)a[2];
	do {
		n = recvmsg(f->host, &msg,
		            (riflags & RIFLAG_PEEK ? MSG_PEEK : 0) |
		                (riflags & RIFLAG_WAITALL ? MSG_WAITALL : 0));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return wasi_errno(errno);
	if (wasi_put_u32(m, a[4], (uint32_t)n) ||
	    wasi_put_u16(m, a[5], msg.msg_flags & MSG_TRUNC ? ROFLAG_TRUNCATED : 0))
		return WASI_EFAULT;
	return 0;
}

WASI_HANDLER(sock_send)
{
	struct iovec iov[WASI_IOV_MAX];
	struct msghdr msg;
	struct wasi_fd *f;
	ssize_t n;
	int32_t e = wasi_fd_get(c, (uint32_t)a[0], WASI_RIGHT_FD_WRITE, &f);

	if (e)
		return e;
	if (f->filetype != WASI_FT_SOCK_STREAM)
		return WASI_ENOTSOCK;
	if ((uint32_t)a[3] != 0)
		return WASI_EINVAL;
	if (!wasi_ptr(m, a[4], 4))
		return WASI_EFAULT;
	e = wasi_iovs(m, (uint32_t)a[1], (uint32_t)a[2], iov);
	if (e)
		return e;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)(uint32_t)a[2];
	do {
		n = sendmsg(f->host, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return wasi_errno(errno);
	return wasi_put_u32(m, a[4], (uint32_t)n);
}

WASI_HANDLER(sock_shutdown)
{
	static const int how[] = { -1, SHUT_RD, SHUT_WR, SHUT_RDWR };
	struct wasi_fd *f;
	uint32_t sd = (uint32_t)a[1];
	int32_t e = sock_get(c, (uint32_t)a[0], WASI_RIGHT_SOCK_SHUTDOWN, &f);

	(void)m;
	if (e)
		return e;
	if (sd == 0 || sd > 3)
		return WASI_EINVAL;
	return shutdown(f->host, how[sd]) < 0 ? wasi_errno(errno) : 0;
}
