/* The daemon's parts: the supervisor (serve.c) owns the configuration
 * snapshot, one worker thread per mailbox (serve-worker.c) and the LMTP
 * listener (serve-lmtp.c). */
#ifndef TICKETGATE_SERVE_PRIVATE_H
#define TICKETGATE_SERVE_PRIVATE_H

#include "ticketgate/config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* What a worker shares with the supervisor. The snapshot outlives every
 * worker started with it. */
struct serve_worker {
	const struct tg_config *cfg;
	const struct tg_config_mailbox *mb; /* NULL: the outbox sender */
	const char *name;        /* for the log: mb's name, or "outbox" */
	const char **recipients; /* mb's addresses, as the pipeline wants */
	char source[300];        /* "imap:<mailbox>" */
	int wake_fd;             /* readable: stop now (never read) */
	atomic_bool *stop;       /* set before wake_fd becomes readable */
	int nudge_fd; /* mailboxes: readable when a hint says new mail (an
			 eventfd the worker clears); -1 without hints */
	bool once;               /* drain the mailbox, then return */
	atomic_int *mailboxes_running; /* mailbox workers not yet done */
	atomic_bool done;        /* the thread has finished */
	int status;              /* once: 0 drained, 1 gave up */
	pthread_t thread;
	bool started;
};

/* The thread body: works w->mb until told to stop (or, once, until it is
 * empty), reconnecting with backoff after failures. */
void *serve_worker_main(void *arg);

/* The outbox sender's thread body (serve-outbox.c). */
void *serve_outbox_main(void *arg);

/* Waits up to ms for fd to become readable: 1 readable, 0 time out. */
int serve_wait_fd(int fd, int ms);

/* The LMTP listener (serve-lmtp.c): its socket and its connections'
 * threads, all reading cfg, which must outlive them. */
struct serve_lmtp;

/* Listens on cfg->lmtp->socket (a stale socket file there is removed)
 * and accepts connections in a thread of its own. Returns 0 and sets
 * *l_r, or -1 (logged). */
int serve_lmtp_start(const struct tg_config *cfg, struct serve_lmtp **l_r);

/* Removes the socket, stops accepting, lets each transaction in hand end
 * (a few seconds at most), joins every thread; sets *lp to NULL; accepts
 * NULL. */
void serve_lmtp_stop(struct serve_lmtp **lp);

/* The wake-up listener (serve-wake.c): a thread of its own, nudging the
 * workers (which must outlive it) that hints name. */
struct serve_wake;

/* Listens on wc's address and port. The thread ends once stop_fd becomes
 * readable. Returns 0 and sets *l_r, or -1 (logged). */
int serve_wake_start(const struct tg_config_wake *wc,
		     struct serve_worker *workers, size_t n_workers,
		     int stop_fd, struct serve_wake **l_r);

/* Joins the thread (stop_fd must be readable by now) and closes the
 * socket; sets *lp to NULL; accepts NULL. */
void serve_wake_stop(struct serve_wake **lp);

/* Tells w's worker to look for new mail now (no-op without nudge_fd). */
void serve_nudge(const struct serve_worker *w);

/* Forgets the nudges w's worker has had: it is about to look. */
void serve_nudge_clear(const struct serve_worker *w);

#endif
