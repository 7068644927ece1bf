/* One mailbox worker's session, shared by serve-worker.c (connecting,
 * waiting, backoff) and serve-drain.c (fetching and storing batches). */
#ifndef TICKETGATE_SERVE_SESSION_H
#define TICKETGATE_SERVE_SESSION_H

#include "serve-private.h"
#include "ticketgate/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tg_imap;
struct tg_store;

struct session {
	struct serve_worker *w;
	struct tg_store *st;
	struct tg_imap *im;
	uint32_t uidvalidity, last_uid;
	bool progressed; /* a batch was committed or a wait completed */
};

static inline bool
serve_stopping(const struct serve_worker *w)
{
	return atomic_load(w->stop);
}

/* Runs the account's after-commit action (move, \Seen, delete) on
 * uids[0..n). */
int serve_after_commit(struct session *s, const uint32_t *uids, size_t n,
		       struct tg_err *err);

/* Fetches and stores what came after s->last_uid, in batches of the
 * account's size (and 32 MiB), each in one transaction with the new
 * position and acted on only after its commit; at most 100 batches a
 * call. With more than one batch, the next batch is fetched (and the
 * last one moved) while one is stored. *n_r says how many new messages
 * there were: more than were taken when a backlog was cut. */
int serve_drain(struct session *s, size_t *n_r, struct tg_err *err);

#endif
