/* The transport under libetpan's IMAP code: a TCP connection with a
 * timeout, then every read and write through poll() (never select(), so
 * any descriptor number works) over the plain socket or, once imap-tls.c
 * has run the handshake, the OpenSSL session. */
#include "imap-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>

/* libetpan reads through a buffer of this size; one TLS record fits. */
#define STREAM_BUFFER_BYTES 16384

int
tg_imap_net_fail(struct tg_imap_net *net, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(net->error, sizeof(net->error), fmt, ap);
	va_end(ap);
	net->failed = true;
	return -1;
}

int
tg_imap_net_wait(struct tg_imap_net *net, short events)
{
	long long deadline = tg_now_ms() + net->timeout_ms;
	struct pollfd p = {.fd = net->fd, .events = events};

	for (;;) {
		long long left = deadline - tg_now_ms();
		int r = poll(&p, 1, left > 0 ? (int)left : 0);

		/* errors and hang-ups show in the next read or write */
		if (r > 0)
			return 0;
		if (r == 0)
			return tg_imap_net_fail(net, "no answer within %d ms",
						net->timeout_ms);
		if (errno != EINTR)
			return tg_imap_net_fail(net, "poll: %s",
						strerror(errno));
	}
}

static ssize_t
plain_read(struct tg_imap_net *net, void *buf, size_t count)
{
	for (;;) {
		ssize_t r = recv(net->fd, buf, count, 0);

		if (r > 0)
			return r;
		if (r == 0)
			return tg_imap_net_fail(
				net, "connection closed by the server");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return tg_imap_net_fail(net, "recv: %s",
						strerror(errno));
		if (tg_imap_net_wait(net, POLLIN) < 0)
			return -1;
	}
}

static ssize_t
plain_write(struct tg_imap_net *net, const void *buf, size_t count)
{
	for (;;) {
		ssize_t r = send(net->fd, buf, count, MSG_NOSIGNAL);

		if (r >= 0)
			return r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return tg_imap_net_fail(net, "send: %s",
						strerror(errno));
		if (tg_imap_net_wait(net, POLLOUT) < 0)
			return -1;
	}
}

static ssize_t
tls_read(struct tg_imap_net *net, void *buf, size_t count)
{
	int n = count > INT_MAX ? INT_MAX : (int)count;

	for (;;) {
		int r;

		ERR_clear_error();
		errno = 0;
		r = SSL_read(net->ssl, buf, n);
		if (r > 0)
			return r;
		if (tg_imap_tls_retry(net, r, "TLS read") < 0)
			return -1;
	}
}

static ssize_t
tls_write(struct tg_imap_net *net, const void *buf, size_t count)
{
	int n = count > INT_MAX ? INT_MAX : (int)count;

	for (;;) {
		int r;

		ERR_clear_error();
		errno = 0;
		r = SSL_write(net->ssl, buf, n);
		if (r > 0)
			return r;
		if (tg_imap_tls_retry(net, r, "TLS write") < 0)
			return -1;
	}
}

/* The mailstream_low driver: libetpan calls these for all its I/O. */

static ssize_t
drv_read(mailstream_low *low, void *buf, size_t count)
{
	struct tg_imap_net *net = low->data;

	if (net->failed)
		return -1;
	if (net->ssl != NULL)
		return tls_read(net, buf, count);
	return plain_read(net, buf, count);
}

static ssize_t
drv_write(mailstream_low *low, const void *buf, size_t count)
{
	struct tg_imap_net *net = low->data;

	if (net->failed)
		return -1;
	if (net->ssl != NULL)
		return tls_write(net, buf, count);
	return plain_write(net, buf, count);
}

static int
drv_close(mailstream_low *low)
{
	struct tg_imap_net *net = low->data;

	/* no TLS close_notify: LOGOUT has ended the session already, and a
	 * write to a socket the server has closed would only raise SIGPIPE */
	if (net->fd >= 0)
		close(net->fd);
	net->fd = -1;
	return 0;
}

static int
drv_get_fd(mailstream_low *low)
{
	struct tg_imap_net *net = low->data;

	return net->fd;
}

static void
drv_free(mailstream_low *low)
{
	struct tg_imap_net *net = low->data;

	drv_close(low);
	SSL_free(net->ssl);
	SSL_CTX_free(net->ctx);
	free(net);
	free(low);
}

/* libetpan's cancel and idle hooks serve its own select() loops, which
 * this module does not use: IDLE waits in imap-msg.c with poll(). */
static void
drv_cancel(mailstream_low *low)
{
	(void)low;
}

static struct mailstream_cancel *
drv_get_cancel(mailstream_low *low)
{
	(void)low;
	return NULL;
}

static carray *
drv_certificate_chain(mailstream_low *low)
{
	(void)low;
	return NULL;
}

static int
drv_idle_hook(mailstream_low *low)
{
	(void)low;
	return 0;
}

static mailstream_low_driver net_driver = {
	.mailstream_read = drv_read,
	.mailstream_write = drv_write,
	.mailstream_close = drv_close,
	.mailstream_get_fd = drv_get_fd,
	.mailstream_free = drv_free,
	.mailstream_cancel = drv_cancel,
	.mailstream_get_cancel = drv_get_cancel,
	.mailstream_get_certificate_chain = drv_certificate_chain,
	.mailstream_setup_idle = drv_idle_hook,
	.mailstream_unsetup_idle = drv_idle_hook,
	.mailstream_interrupt_idle = drv_idle_hook,
};

/* Waits for a non-blocking connect(); 0, or -1 with *errno_r set. */
static int
connect_wait(int fd, int timeout_ms, int *errno_r)
{
	long long deadline = tg_now_ms() + timeout_ms;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	for (;;) {
		long long left = deadline - tg_now_ms();
		int r = poll(&p, 1, left > 0 ? (int)left : 0);

		if (r > 0)
			break;
		if (r == 0 || errno != EINTR) {
			*errno_r = r == 0 ? ETIMEDOUT : errno;
			return -1;
		}
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	*errno_r = soerr;
	return soerr == 0 ? 0 : -1;
}

static int
connect_one(const struct addrinfo *ai, int timeout_ms, int *errno_r)
{
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);

	if (fd < 0) {
		*errno_r = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	*errno_r = errno;
	if (errno == EINPROGRESS && connect_wait(fd, timeout_ms, errno_r) == 0)
		return fd;
	close(fd);
	return -1;
}

/* Tries each address of host in turn. */
static int
tcp_connect(const char *host, const char *port, int timeout_ms, int *fd_r,
	    struct tg_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int last_errno = EHOSTUNREACH;
	int r = getaddrinfo(host, port, &hints, &res);

	if (r == EAI_NONAME || r == EAI_SERVICE || r == EAI_FAMILY)
		return tg_err_set(err, "cannot resolve %s port %s: %s", host,
				  port, gai_strerror(r));
	if (r != 0)
		return tg_err_set_temp(err, "cannot resolve %s: %s", host,
				       gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		*fd_r = connect_one(ai, timeout_ms, &last_errno);
		if (*fd_r >= 0)
			break;
	}
	freeaddrinfo(res);
	if (ai == NULL)
		return tg_err_set_temp(err, "cannot connect to %s port %s: %s",
				       host, port, strerror(last_errno));
	return 0;
}

int
tg_imap_net_open(const char *host, const char *port, int timeout_ms,
		 mailstream **stream_r, struct tg_imap_net **net_r,
		 struct tg_err *err)
{
	struct tg_imap_net *net;
	mailstream_low *low;
	int fd;

	if (tcp_connect(host, port, timeout_ms, &fd, err) < 0)
		return -1;
	net = tg_xcalloc(1, sizeof(*net));
	net->fd = fd;
	net->timeout_ms = timeout_ms;
	low = tg_imap_need(mailstream_low_new(net, &net_driver));
	*stream_r = tg_imap_need(mailstream_new(low, STREAM_BUFFER_BYTES));
	*net_r = net;
	return 0;
}

int
tg_imap_net_fd(const struct tg_imap_net *net)
{
	return net->fd;
}

const char *
tg_imap_net_error(const struct tg_imap_net *net)
{
	return net->error;
}

void
tg_imap_net_set_timeout(struct tg_imap_net *net, int timeout_ms)
{
	net->timeout_ms = timeout_ms;
}
