/* The wake-up listener: one thread that accepts the IMAP server's hints
 * (wake.h) on a TCP port and nudges the workers of the folders they name.
 * Connections are served one after another, each within WAKE_DEADLINE_MS:
 * a hint is a few hundred bytes sent at once, and a client that dawdles
 * only delays other hints, never mail, which IDLE or polling still
 * finds. */
#include "serve-private.h"
#include "ticketgate/log.h"
#include "ticketgate/util.h"
#include "ticketgate/wake.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAKE_DEADLINE_MS 1000

struct serve_wake {
	int fd;      /* the listening socket */
	int stop_fd; /* readable: stop (the workers' pipe, never read) */
	struct serve_worker *workers;
	size_t n_workers;
	pthread_t thread;
	char where[80]; /* "address port", for the log */
};

void
serve_nudge(const struct serve_worker *w)
{
	uint64_t one = 1;

	/* EAGAIN only when the counter is full: a wake-up is pending then */
	if (w->nudge_fd >= 0 && write(w->nudge_fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		tg_log(TG_LOG_WARNING, "%s: cannot nudge the worker: %s",
		       w->name, strerror(errno));
}

void
serve_nudge_clear(const struct serve_worker *w)
{
	uint64_t count;

	/* non-blocking: EAGAIN when no nudge came */
	if (w->nudge_fd >= 0)
		(void)!read(w->nudge_fd, &count, sizeof(count));
}

/* Waits until fd is readable within the deadline: 1, or 0 on time out
 * or stop. */
static int
wait_readable(const struct serve_wake *l, int fd, long long deadline)
{
	struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
			      {.fd = l->stop_fd, .events = POLLIN}};

	for (;;) {
		long long left = deadline - tg_now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(p, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		return r > 0 && p[1].revents == 0 ? 1 : 0;
	}
}

/* Reads and drops n bytes of body; false when they did not come. */
static bool
skip_body(const struct serve_wake *l, int fd, size_t n, long long deadline)
{
	char sink[4096];

	while (n > 0) {
		ssize_t got;

		if (!wait_readable(l, fd, deadline))
			return false;
		got = recv(fd, sink, n < sizeof(sink) ? n : sizeof(sink), 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return false;
		n -= (size_t)got;
	}
	return true;
}

/* Nudges the workers the hint names; how many. */
static size_t
nudge_matching(const struct serve_wake *l, const struct tg_wake_req *r)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n_workers; i++) {
		const struct serve_worker *w = &l->workers[i];

		if (w->mb == NULL ||
		    !tg_wake_matches(r, w->mb->account->user, w->mb->folder))
			continue;
		serve_nudge(w);
		n++;
	}
	return n;
}

static void
answer(int fd, int status)
{
	char out[160];
	int n = snprintf(out, sizeof(out),
			 "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n",
			 status, tg_wake_reason(status));

	/* a fresh socket's buffer takes it whole; a client gone is fine */
	(void)send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
serve_one(const struct serve_wake *l, int fd)
{
	char head[TG_WAKE_HEAD_MAX];
	long long deadline = tg_now_ms() + WAKE_DEADLINE_MS;
	struct tg_wake_req r;
	size_t len = 0, nudged;
	int status = 0;

	while (status == 0) {
		ssize_t got;

		if (!wait_readable(l, fd, deadline)) {
			answer(fd, 408);
			return;
		}
		got = recv(fd, head + len, sizeof(head) - len, 0);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return; /* gone before the head ended */
		len += (size_t)got;
		status = tg_wake_parse(head, len, &r);
	}
	if (status != 204) {
		tg_log(TG_LOG_DEBUG, "wake: refused a request: %d %s", status,
		       tg_wake_reason(status));
		answer(fd, status);
		return;
	}
	nudged = nudge_matching(l, &r);
	tg_log(TG_LOG_DEBUG, "wake: user \"%s\" folder \"%s\": %zu mailboxes",
	       r.has_user ? r.user : "*", r.has_mailbox ? r.mailbox : "*",
	       nudged);
	/* the body is read so that closing does not reset the answer */
	if (len - r.head_len < r.content_length &&
	    !skip_body(l, fd, r.content_length - (len - r.head_len), deadline))
		return;
	answer(fd, nudged > 0 ? 204 : 404);
}

static void *
listen_main(void *arg)
{
	struct serve_wake *l = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = l->fd, .events = POLLIN},
				      {.fd = l->stop_fd, .events = POLLIN}};
		int fd;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			tg_log(TG_LOG_ERR, "wake: poll: %s", strerror(errno));
			return NULL;
		}
		if (p[1].revents != 0)
			return NULL;
		fd = accept(l->fd, NULL, NULL);
		if (fd < 0) {
			/* out of descriptors: let some come back */
			if (errno == EMFILE || errno == ENFILE) {
				tg_log(TG_LOG_WARNING, "wake: accept: %s",
				       strerror(errno));
				(void)serve_wait_fd(l->stop_fd, 100);
			}
			continue;
		}
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* we never exec */
		(void)fcntl(fd, F_SETFL, O_NONBLOCK);
		serve_one(l, fd);
		close(fd);
	}
}

/* Logs why it fails. */
static int
listen_on(struct serve_wake *l, const struct tg_config_wake *wc)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char port[8];
	const char *step = "address";
	int one = 1, e;

	snprintf(port, sizeof(port), "%u", wc->port);
	e = getaddrinfo(wc->address, port, &hints, &ai);
	if (e != 0) {
		tg_log(TG_LOG_ERR, "wake: %s: %s", l->where, gai_strerror(e));
		return -1;
	}
	step = "socket";
	l->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	/* a restart must not wait for the last connections' TIME_WAIT */
	step = "setsockopt";
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	step = "bind";
	if (bind(l->fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto fail;
	step = "listen";
	if (listen(l->fd, 64) < 0)
		goto fail;
	freeaddrinfo(ai);
	return 0;
fail:
	tg_log(TG_LOG_ERR, "wake: %s: %s: %s", l->where, step, strerror(errno));
	freeaddrinfo(ai);
	return -1;
}

int
serve_wake_start(const struct tg_config_wake *wc,
		 struct serve_worker *workers, size_t n_workers, int stop_fd,
		 struct serve_wake **l_r)
{
	struct serve_wake *l = tg_xcalloc(1, sizeof(*l));
	int e;

	*l_r = NULL;
	l->fd = -1;
	l->stop_fd = stop_fd;
	l->workers = workers;
	l->n_workers = n_workers;
	snprintf(l->where, sizeof(l->where), "%s port %u", wc->address,
		 wc->port);
	if (listen_on(l, wc) < 0)
		goto fail;
	e = pthread_create(&l->thread, NULL, listen_main, l);
	if (e != 0) {
		tg_log(TG_LOG_ERR, "wake: cannot start a thread: %s",
		       strerror(e));
		goto fail;
	}
	tg_log(TG_LOG_INFO, "wake: listening for hints on %s", l->where);
	*l_r = l;
	return 0;
fail:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return -1;
}

void
serve_wake_stop(struct serve_wake **lp)
{
	struct serve_wake *l = *lp;

	if (l == NULL)
		return;
	pthread_join(l->thread, NULL);
	close(l->fd);
	free(l);
	*lp = NULL;
}
