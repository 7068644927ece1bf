/* Whole-buffer writes (see fdio.h). */
#include "ticketgate/fdio.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int
tg_fd_write_all(int fd, const void *p, size_t n)
{
	const char *at = p;

	while (n > 0) {
		ssize_t w = write(fd, at, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		at += w;
		n -= (size_t)w;
	}
	return 0;
}

int
tg_fd_send_all(int fd, const void *p, size_t n, int timeout_ms)
{
	const char *at = p;

	while (n > 0) {
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		ssize_t w;

		if (poll(&pf, 1, timeout_ms) <= 0)
			return -1;
		w = send(fd, at, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return -1;
		at += w;
		n -= (size_t)w;
	}
	return 0;
}
