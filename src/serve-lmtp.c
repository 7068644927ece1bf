/* The LMTP listener of `ticketgate serve`: a Unix socket, one thread per
 * connection (at most lmtp.max_connections), each with a database
 * connection taken at its first message and kept for its life. A
 * connection that ends leaves its database connection to the next one
 * (`deliver` makes one LMTP connection per message; a fresh PostgreSQL
 * session and its prepared statements would cost it most of what the
 * handover saves). Every
 * accepted recipient gets its own copy through the pipeline and its own
 * reply, sent only after that copy is committed. Reads untrusted input
 * (through lmtp.c). */
#include "serve-private.h"
#include "ticketgate/fdio.h"
#include "ticketgate/lmtp.h"
#include "ticketgate/log.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* How long a transaction in hand may still take once we are told to
 * stop; past it the connection is closed and the MTA tries again. */
#define DRAIN_SECONDS 5

struct lmtp_conn {
	struct serve_lmtp *l;
	int fd;
	pthread_t thread;
	atomic_bool done;
	struct lmtp_conn *next;
};

struct serve_lmtp {
	const struct tg_config *cfg;
	const char *path;
	int fd;
	ino_t ino;   /* the socket we made, so we unlink no other */
	int wake[2]; /* written once: stop */
	atomic_bool stop;
	pthread_t acceptor;
	pthread_mutex_t mu;
	pthread_cond_t freed;    /* a connection ended */
	unsigned active;         /* under mu */
	struct lmtp_conn *conns; /* the acceptor's, and stop's after it */
	struct tg_store **idle;  /* under mu: database connections that no
				    LMTP connection holds now */
	size_t n_idle;
};

/* --- one connection ------------------------------------------------------ */

static bool
stopping(const struct serve_lmtp *l)
{
	return atomic_load(&l->stop);
}

static int
flush(int fd, struct tg_lmtp *s, int timeout_s)
{
	int ret = 0;

	if (s->out.overflow)
		return -1; /* replies were lost: the client cannot follow */
	if (s->out.len > 0)
		ret = tg_fd_send_all(fd, s->out.data, s->out.len,
				     timeout_s * 1000);
	tg_buf_reset(&s->out);
	return ret;
}

/* Waits for input: 1 readable, 0 idle too long, -1 stop now. Once the
 * daemon stops, a session without a transaction ends at once and one
 * with a transaction gets until *deadline (set here). */
static int
wait_input(struct serve_lmtp *l, int fd, const struct tg_lmtp *s,
	   int64_t *deadline)
{
	int64_t idle_end =
		tg_now_ms() + (int64_t)l->cfg->lmtp->timeout_seconds * 1000;

	for (;;) {
		struct pollfd pf[2] = {{.fd = fd, .events = POLLIN},
				       {.fd = l->wake[0], .events = POLLIN}};
		int64_t end = idle_end, left;
		int n = 2, r;

		if (stopping(l)) {
			if (s->state != TG_LMTP_MAIL &&
			    s->state != TG_LMTP_DATA)
				return -1;
			if (*deadline == 0)
				*deadline = tg_now_ms() + DRAIN_SECONDS * 1000;
			if (*deadline < end)
				end = *deadline;
			n = 1; /* the wake pipe stays readable */
		}
		left = end - tg_now_ms();
		if (left <= 0)
			return stopping(l) ? -1 : 0;
		r = poll(pf, (nfds_t)n, (int)left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0 && pf[0].revents != 0)
			return 1;
	}
}

/* A database connection for a session's first message: one another
 * session left, else a new one. *reused_r says which. */
static int
store_take(struct serve_lmtp *l, struct tg_store **st, bool *reused_r,
	   struct tg_err *err)
{
	const struct tg_config *cfg = l->cfg;

	pthread_mutex_lock(&l->mu);
	*st = l->n_idle > 0 ? l->idle[--l->n_idle] : NULL;
	pthread_mutex_unlock(&l->mu);
	*reused_r = *st != NULL;
	if (*st != NULL)
		return 0;
	return tg_store_open(cfg->database.conninfo, cfg->database.password, st,
			     err);
}

static void
store_give(struct serve_lmtp *l, struct tg_store **st)
{
	if (*st == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	if (l->n_idle < l->cfg->lmtp->max_connections) {
		l->idle[l->n_idle++] = *st;
		*st = NULL;
	}
	pthread_mutex_unlock(&l->mu);
	tg_store_close(st); /* NULL when kept */
}

/* One recipient's copy: committed (250), or nothing written (451, and a
 * fresh database connection next time). A connection left idle may have
 * died meanwhile (the server restarted): its failure earns one more try
 * on a new one, which is safe because nothing was written. */
static void
deliver_one(struct serve_lmtp *l, struct tg_store **st, bool *reused,
	    struct tg_lmtp *s, const char *rcpt)
{
	struct tg_pipeline_in in = {
		.source = "lmtp",
		.envelope_to = rcpt,
		.cfg = l->cfg,
	};
	struct tg_pipeline_result r;
	struct tg_err err;
	char reply[160];

	if (s->too_big) {
		/* nothing keeps a truncated copy: the MTA returns it */
		tg_log(TG_LOG_NOTICE, "lmtp: refused: %zu bytes or more, over "
				      "what even the quarantine keeps",
		       s->data_bytes);
		tg_lmtp_reply(s, "552 5.3.4 Message too big to keep");
		return;
	}
	for (;;) {
		if ((*st != NULL || store_take(l, st, reused, &err) == 0) &&
		    tg_pipeline_run(*st, s->data, s->data_len, &in, &r, &err) ==
			    0)
			break;
		tg_store_close(st);
		if (*reused) {
			tg_log(TG_LOG_INFO,
			       "lmtp: a kept database connection failed (%s); "
			       "trying a new one",
			       err.msg);
			*reused = false;
			if (tg_store_open(l->cfg->database.conninfo,
					  l->cfg->database.password, st,
					  &err) == 0)
				continue;
		}
		/* never lost: the MTA keeps the mail and tries again */
		tg_log(TG_LOG_WARNING, "lmtp: temporary failure: %s", err.msg);
		tg_lmtp_reply(s,
			      "451 4.3.0 Temporary failure, try again later");
		return;
	}
	switch (r.outcome) {
	case TG_PIPELINE_STORED:
		tg_log(TG_LOG_INFO, "lmtp: %s ticket=%lld class=%s bytes=%zu",
		       r.ingest.action, (long long)r.ingest.ticket_number,
		       tg_mail_class_name(r.cls), s->data_len);
		snprintf(reply, sizeof(reply),
			 "250 2.0.0 Stored in ticket %lld",
			 (long long)r.ingest.ticket_number);
		break;
	case TG_PIPELINE_DUPLICATE:
		tg_log(TG_LOG_INFO, "lmtp: duplicate bytes=%zu", s->data_len);
		snprintf(reply, sizeof(reply), "250 2.0.0 Stored before");
		break;
	case TG_PIPELINE_QUARANTINED:
	default:
		tg_log(TG_LOG_NOTICE, "lmtp: quarantined: %s bytes=%zu",
		       r.reason, s->data_len);
		snprintf(reply, sizeof(reply), "250 2.0.0 Kept in quarantine");
		break;
	}
	tg_lmtp_reply(s, reply);
}

static void *
conn_main(void *arg)
{
	struct lmtp_conn *c = arg;
	struct serve_lmtp *l = c->l;
	const struct tg_config *cfg = l->cfg;
	int timeout_s = (int)cfg->lmtp->timeout_seconds;
	struct tg_store *st = NULL;
	bool reused = false;
	struct tg_lmtp s;
	char in[16384];
	size_t have = 0, off = 0, used;
	int64_t deadline = 0;

	/* kept whole up to what the quarantine takes, as deliver does: the
	 * pipeline quarantines what is over the size limit */
	tg_lmtp_init(&s, cfg->instance.domain, TG_PIPELINE_KEEP_MAX,
		     tg_lmtp_recipient_known, cfg);
	for (;;) {
		enum tg_lmtp_step step;
		ssize_t n;
		int w;

		if (off == have) {
			/* pipelined replies go out before we wait */
			if (flush(c->fd, &s, timeout_s) < 0)
				break;
			w = wait_input(l, c->fd, &s, &deadline);
			if (w <= 0) {
				tg_lmtp_reply(&s, w == 0 ? "421 4.4.2 Idle too "
							   "long, closing"
							 : "421 4.3.2 Shutting "
							   "down");
				(void)flush(c->fd, &s, 1); /* closing anyway */
				break;
			}
			n = recv(c->fd, in, sizeof(in), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			have = (size_t)n;
			off = 0;
		}
		step = tg_lmtp_feed(&s, in + off, have - off, &used);
		off += used;
		if (step == TG_LMTP_CLOSE) {
			(void)flush(c->fd, &s, timeout_s); /* closing anyway */
			break;
		}
		if (step != TG_LMTP_MESSAGE)
			continue;
		if (flush(c->fd, &s, timeout_s) < 0)
			break;
		for (size_t i = 0; i < s.n_rcpts; i++) {
			deliver_one(l, &st, &reused, &s, s.rcpts[i]);
			if (flush(c->fd, &s, timeout_s) < 0)
				break;
		}
		tg_lmtp_end_transaction(&s);
	}
	tg_lmtp_deinit(&s);
	store_give(l, &st);
	close(c->fd);
	pthread_mutex_lock(&l->mu);
	l->active--;
	pthread_cond_signal(&l->freed);
	pthread_mutex_unlock(&l->mu);
	atomic_store(&c->done, true);
	return NULL;
}

/* --- accepting ----------------------------------------------------------- */

/* Joins the connections that have ended. */
static void
reap(struct serve_lmtp *l, bool all)
{
	struct lmtp_conn **pp = &l->conns;

	while (*pp != NULL) {
		struct lmtp_conn *c = *pp;

		if (!all && !atomic_load(&c->done)) {
			pp = &c->next;
			continue;
		}
		pthread_join(c->thread, NULL);
		*pp = c->next;
		free(c);
	}
}

/* Waits until a connection may start; false when stopping. */
static bool
wait_slot(struct serve_lmtp *l)
{
	bool ok;

	pthread_mutex_lock(&l->mu);
	while (l->active >= l->cfg->lmtp->max_connections && !stopping(l))
		pthread_cond_wait(&l->freed, &l->mu);
	ok = !stopping(l);
	if (ok)
		l->active++;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

static void
release_slot(struct serve_lmtp *l)
{
	pthread_mutex_lock(&l->mu);
	l->active--;
	pthread_mutex_unlock(&l->mu);
}

static void *
accept_main(void *arg)
{
	struct serve_lmtp *l = arg;

	while (wait_slot(l)) {
		struct pollfd pf[2] = {{.fd = l->fd, .events = POLLIN},
				       {.fd = l->wake[0], .events = POLLIN}};
		struct lmtp_conn *c;
		int fd, e;

		reap(l, false);
		if (poll(pf, 2, -1) < 0 || pf[1].revents != 0 ||
		    (fd = accept(l->fd, NULL, NULL)) < 0) {
			/* EINTR, a client gone before accept, or stop */
			release_slot(l);
			continue;
		}
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC); /* we never exec */
		c = tg_xcalloc(1, sizeof(*c));
		c->l = l;
		c->fd = fd;
		atomic_init(&c->done, false);
		e = pthread_create(&c->thread, NULL, conn_main, c);
		if (e != 0) {
			tg_log(TG_LOG_ERR, "lmtp: cannot start a thread: %s",
			       strerror(e));
			close(fd);
			free(c);
			release_slot(l);
			continue;
		}
		c->next = l->conns;
		l->conns = c;
	}
	return NULL;
}

/* --- start and stop ------------------------------------------------------ */

/* A socket file left by a daemon that died is removed; a live one (it
 * answers) or anything that is not a socket is not ours to touch. Logs
 * why it fails. */
static int
clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat sb;
	int fd, r;

	if (lstat(path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;
		tg_log(TG_LOG_ERR, "lmtp: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		tg_log(TG_LOG_ERR, "lmtp: %s exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = fd >= 0 ? connect(fd, (const struct sockaddr *)sa, sizeof(*sa))
		    : -1;
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		tg_log(TG_LOG_ERR, "lmtp: %s: another daemon listens there",
		       path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		tg_log(TG_LOG_ERR,
		       "lmtp: %s: cannot remove the stale socket: %s", path,
		       strerror(errno));
		return -1;
	}
	tg_log(TG_LOG_NOTICE, "lmtp: %s: removed a stale socket", path);
	return 0;
}

/* Logs why it fails. */
static int
listen_on(struct serve_lmtp *l)
{
	const struct tg_config_lmtp *lc = l->cfg->lmtp;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat sb;
	const char *step;

	/* bounds: the config loader refused longer paths */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", lc->socket);
	if (clear_stale(lc->socket, &sa) < 0)
		return -1;
	step = "socket";
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		goto fail;
	step = "bind";
	if (bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	/* nobody can connect before listen(): the mode is set in time */
	step = "chmod";
	if (chmod(lc->socket, lc->socket_mode) < 0 ||
	    lstat(lc->socket, &sb) < 0)
		goto fail_unlink;
	step = "listen";
	if (listen(l->fd, (int)lc->max_connections * 2 + 8) < 0)
		goto fail_unlink;
	l->ino = sb.st_ino;
	return 0;
fail_unlink:
	tg_log(TG_LOG_ERR, "lmtp: %s: %s: %s", lc->socket, step,
	       strerror(errno));
	unlink(lc->socket);
	return -1;
fail:
	tg_log(TG_LOG_ERR, "lmtp: %s: %s: %s", lc->socket, step,
	       strerror(errno));
	return -1;
}

int
serve_lmtp_start(const struct tg_config *cfg, struct serve_lmtp **l_r)
{
	struct serve_lmtp *l = tg_xcalloc(1, sizeof(*l));
	int e;

	*l_r = NULL;
	l->cfg = cfg;
	l->path = cfg->lmtp->socket;
	l->fd = l->wake[0] = l->wake[1] = -1;
	atomic_init(&l->stop, false);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->freed, NULL);
	l->idle = tg_xcalloc(cfg->lmtp->max_connections, sizeof(*l->idle));
	if (listen_on(l) < 0)
		goto fail;
	if (pipe(l->wake) < 0 || fcntl(l->wake[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(l->wake[1], F_SETFD, FD_CLOEXEC) < 0) {
		tg_log(TG_LOG_ERR, "lmtp: pipe: %s", strerror(errno));
		unlink(l->path);
		goto fail;
	}
	e = pthread_create(&l->acceptor, NULL, accept_main, l);
	if (e != 0) {
		tg_log(TG_LOG_ERR, "lmtp: cannot start a thread: %s",
		       strerror(e));
		unlink(l->path);
		goto fail;
	}
	tg_log(TG_LOG_INFO, "lmtp: listening on %s (mode %04o, %u connections)",
	       l->path, cfg->lmtp->socket_mode, cfg->lmtp->max_connections);
	*l_r = l;
	return 0;
fail:
	if (l->fd >= 0)
		close(l->fd);
	if (l->wake[0] >= 0) {
		close(l->wake[0]);
		close(l->wake[1]);
	}
	pthread_cond_destroy(&l->freed);
	pthread_mutex_destroy(&l->mu);
	free(l->idle);
	free(l);
	return -1;
}

void
serve_lmtp_stop(struct serve_lmtp **lp)
{
	struct serve_lmtp *l = *lp;
	struct stat sb;

	if (l == NULL)
		return;
	/* no new connection from here on: the socket goes first */
	if (lstat(l->path, &sb) == 0 && sb.st_ino == l->ino)
		unlink(l->path);
	atomic_store(&l->stop, true);
	while (write(l->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&l->mu);
	pthread_cond_broadcast(&l->freed);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->acceptor, NULL);
	close(l->fd);
	/* each ends at once, or after its transaction (DRAIN_SECONDS) */
	reap(l, true);
	for (size_t i = 0; i < l->n_idle; i++)
		tg_store_close(&l->idle[i]);
	free(l->idle);
	close(l->wake[0]);
	close(l->wake[1]);
	pthread_cond_destroy(&l->freed);
	pthread_mutex_destroy(&l->mu);
	tg_log(TG_LOG_INFO, "lmtp: stopped listening on %s", l->path);
	free(l);
	*lp = NULL;
}
