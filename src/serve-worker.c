/* One mailbox's worker: its own database connection and IMAP session.
 * A session takes the mailbox's lock, reads the position, finishes the
 * after-commit actions a crash may have left, then fetches new mail in
 * batches, each stored in one transaction with the new position, and
 * waits (IDLE or polling) for more. Any failure ends the session; the
 * worker starts another after a backoff. Nothing on the server changes
 * before the batch that covers it is committed. */
#include "serve-private.h"
#include "ticketgate/imap.h"
#include "ticketgate/log.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Servers end IDLE after 30 minutes of silence (RFC 2177 asks clients to
 * renew before 29); waking earlier costs one search. */
#define IDLE_MS (25 * 60 * 1000)
/* How often a worker waiting for another daemon's lock tries again. */
#define LOCK_RETRY_MS 5000
/* Backoff caps: outages pass by themselves, a refused certificate or
 * password needs an admin (and a SIGHUP), so it is retried less often. */
#define BACKOFF_TEMP_MAX_MS (60 * 1000)
#define BACKOFF_PERM_MAX_MS (300 * 1000)
/* --once gives up on a mailbox after this many failed sessions. */
#define ONCE_ATTEMPTS 3

struct session {
	struct serve_worker *w;
	struct tg_store *st;
	struct tg_imap *im;
	uint32_t uidvalidity, last_uid;
	bool progressed; /* a batch was committed or a wait completed */
	/* the batch in hand */
	unsigned stored, duplicates, quarantined;
	bool cb_failed;
	struct tg_err cb_err;
};

static bool
stopping(const struct serve_worker *w)
{
	return atomic_load(w->stop);
}

static const char *
name(const struct session *s)
{
	return s->w->mb->name;
}

static int
open_imap(struct session *s, struct tg_err *err)
{
	const struct tg_config_imap_account *a = s->w->mb->account;
	char port[8];
	struct tg_imap_opts o = {
		.host = a->host,
		.port = port,
		.security = a->security == TG_SECURITY_IMAPS ? TG_IMAP_IMAPS
			    : a->security == TG_SECURITY_STARTTLS
				    ? TG_IMAP_STARTTLS
				    : TG_IMAP_PLAIN,
		.ca_file = a->ca_file,
		.verify = a->verify,
		.user = a->user,
		.password = a->password,
		.auth = a->auth == TG_AUTH_PLAIN ? TG_IMAP_AUTH_PLAIN
						 : TG_IMAP_AUTH_LOGIN,
		.timeout_sec = (int)a->timeout_seconds,
	};

	snprintf(port, sizeof(port), "%u", a->port);
	return tg_imap_open(&o, &s->im, err);
}

/* 1 when the lock is ours, 0 when told to stop (or, once, when another
 * daemon has the mailbox: it drains it), -1 on error. */
static int
take_lock(struct session *s, struct tg_err *err)
{
	bool told = false;

	for (;;) {
		int got = tg_store_mailbox_lock(s->st, name(s), err);

		if (got != 0)
			return got;
		if (!told)
			tg_log(TG_LOG_NOTICE,
			       "%s: another daemon works this mailbox; "
			       "waiting for it",
			       name(s));
		told = true;
		if (s->w->once ||
		    serve_wait_fd(s->w->wake_fd, LOCK_RETRY_MS) == 1)
			return 0;
	}
}

/* A new UIDVALIDITY means the UIDs we kept name other messages now: the
 * folder is read again from the start and the repeats are recognised by
 * the message table (Message-ID and content hash). */
static int
load_position(struct session *s, struct tg_err *err)
{
	uint32_t v, last;
	int found = tg_store_mailbox_position(s->st, name(s), &v, &last, err);

	if (found < 0)
		return -1;
	if (found && v == s->uidvalidity) {
		s->last_uid = last;
		return 0;
	}
	if (found)
		tg_log(TG_LOG_NOTICE,
		       "%s: UIDVALIDITY changed from %" PRIu32 " to %" PRIu32
		       ": reading the folder again",
		       name(s), v, s->uidvalidity);
	s->last_uid = 0;
	return tg_store_mailbox_set_position(s->st, name(s), s->uidvalidity, 0,
					     err);
}

static int
after_commit(struct session *s, const uint32_t *uids, size_t n,
	     struct tg_err *err)
{
	const struct tg_config_imap_account *a = s->w->mb->account;

	if (n == 0)
		return 0;
	switch (a->after) {
	case TG_AFTER_MOVE:
		return tg_imap_move(s->im, uids, n, a->move_to, err);
	case TG_AFTER_SEEN:
		return tg_imap_mark_seen(s->im, uids, n, err);
	case TG_AFTER_DELETE:
		return tg_imap_delete(s->im, uids, n, err);
	}
	return 0;
}

/* Messages already committed but still in the folder: a crash came
 * between the commit and the action. The folder mail is moved to is
 * made first, so a fresh account works without setup. */
static int
finish_pending(struct session *s, struct tg_err *err)
{
	const struct tg_config_imap_account *a = s->w->mb->account;
	uint32_t *uids = NULL;
	size_t n = 0, k = 0;
	int ret;

	if (a->after == TG_AFTER_MOVE &&
	    tg_imap_create(s->im, a->move_to, err) < 0)
		return -1;
	if (s->last_uid == 0)
		return 0;
	if (tg_imap_search_from(s->im, 1, &uids, &n, err) < 0)
		return -1;
	while (k < n && uids[k] <= s->last_uid)
		k++;
	ret = after_commit(s, uids, k, err);
	free(uids);
	return ret;
}

static int
on_message(void *ctx, uint32_t uid, const char *raw, size_t len)
{
	struct session *s = ctx;
	struct tg_pipeline_in in = {
		.source = s->w->source,
		.recipients = s->w->recipients,
		.n_recipients = s->w->mb->n_addresses,
		.cfg = s->w->cfg,
	};
	struct tg_pipeline_result r;

	if (tg_pipeline_run(s->st, raw, len, &in, &r, &s->cb_err) < 0) {
		s->cb_failed = true;
		return -1;
	}
	switch (r.outcome) {
	case TG_PIPELINE_STORED:
		s->stored++;
		tg_log(TG_LOG_DEBUG, "%s: uid %" PRIu32 ": %s ticket %lld",
		       name(s), uid, r.ingest.action,
		       (long long)r.ingest.ticket_number);
		break;
	case TG_PIPELINE_DUPLICATE:
		s->duplicates++;
		break;
	case TG_PIPELINE_QUARANTINED:
		s->quarantined++;
		tg_log(TG_LOG_NOTICE, "%s: uid %" PRIu32 " quarantined: %s",
		       name(s), uid, r.reason);
		break;
	}
	return 0;
}

/* One transaction for the batch and the position after it. */
static int
store_batch(struct session *s, const uint32_t *uids, size_t n, bool guarded,
	    struct tg_err *err)
{
	s->stored = s->duplicates = s->quarantined = 0;
	s->cb_failed = false;
	if (tg_store_batch_begin(s->st, guarded, err) < 0)
		return -1;
	if (tg_imap_fetch(s->im, uids, n, on_message, s, err) < 0) {
		tg_store_batch_abort(s->st);
		if (s->cb_failed)
			*err = s->cb_err;
		return -1;
	}
	if (tg_store_mailbox_set_position(s->st, name(s), s->uidvalidity,
					  uids[n - 1], err) < 0) {
		tg_store_batch_abort(s->st);
		return -1;
	}
	return tg_store_batch_commit(s->st, err);
}

/* Stores a batch, first without a savepoint per message (two statements
 * a message fewer); when one message fails for good, the batch is
 * fetched and stored again with them, so that one alone is quarantined.
 * The server is told only after the commit. */
static int
run_batch(struct session *s, const uint32_t *uids, size_t n, struct tg_err *err)
{
	if (store_batch(s, uids, n, false, err) < 0) {
		if (!tg_store_batch_spoiled(s->st))
			return -1;
		tg_log(TG_LOG_INFO,
		       "%s: %s; storing the batch again message by message",
		       name(s), err->msg);
		if (store_batch(s, uids, n, true, err) < 0)
			return -1;
	}
	s->last_uid = uids[n - 1];
	s->progressed = true;
	tg_log(TG_LOG_INFO,
	       "%s: %zu messages: %u stored, %u duplicates, %u quarantined",
	       name(s), n, s->stored, s->duplicates, s->quarantined);
	return after_commit(s, uids, n, err);
}

/* Fetches everything after last_uid. *n_r says how many there were. */
static int
drain(struct session *s, size_t *n_r, struct tg_err *err)
{
	size_t batch = s->w->mb->account->batch, n = 0;
	uint32_t *uids = NULL;
	int ret = 0;

	if (tg_imap_search_from(s->im, s->last_uid + 1, &uids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n && ret == 0 && !stopping(s->w); i += batch)
		ret = run_batch(s, uids + i, n - i < batch ? n - i : batch,
				err);
	free(uids);
	*n_r = n;
	return ret;
}

/* Waits for new mail: IDLE where the account and the server allow it,
 * else the polling interval. Returns 1 when told to stop. */
static int
wait_for_mail(struct session *s, struct tg_err *err)
{
	const struct tg_config_imap_account *a = s->w->mb->account;
	bool activity;

	if (a->idle && tg_imap_has_idle(s->im)) {
		if (tg_imap_idle(s->im, IDLE_MS, s->w->wake_fd, &activity,
				 err) < 0)
			return -1;
	} else {
		(void)serve_wait_fd(s->w->wake_fd, (int)a->poll_seconds * 1000);
	}
	s->progressed = true;
	return stopping(s->w) ? 1 : 0;
}

/* 0: stopped or (once) drained; -1: failed, err says why. */
static int
session_run(struct session *s, struct tg_err *err)
{
	const struct tg_config *cfg = s->w->cfg;
	uint32_t uidnext;
	size_t n;
	int r;

	if (tg_store_open(cfg->database.conninfo, cfg->database.password,
			  &s->st, err) < 0)
		return -1;
	r = take_lock(s, err);
	if (r <= 0)
		return r;
	if (open_imap(s, err) < 0 ||
	    tg_imap_select(s->im, s->w->mb->folder, &s->uidvalidity, &uidnext,
			   err) < 0 ||
	    load_position(s, err) < 0 || finish_pending(s, err) < 0)
		return -1;
	tg_log(TG_LOG_INFO, "%s: connected; %s, next uid after %" PRIu32,
	       name(s),
	       s->w->mb->account->idle && tg_imap_has_idle(s->im)
		       ? "waiting with IDLE"
		       : "polling",
	       s->last_uid);
	while (!stopping(s->w)) {
		if (drain(s, &n, err) < 0)
			return -1;
		if (n > 0)
			continue; /* more may have come meanwhile */
		if (s->w->once)
			return 0;
		r = wait_for_mail(s, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	return 0;
}

static void
session_close(struct session *s)
{
	tg_imap_close(&s->im);
	/* closing the connection releases the mailbox lock */
	tg_store_close(&s->st);
}

/* Exponential, capped, with jitter so that daemons and mailboxes that
 * failed together do not all come back at the same instant. */
static int
backoff_ms(unsigned failures, bool temporary, unsigned *seed)
{
	long cap = temporary ? BACKOFF_TEMP_MAX_MS : BACKOFF_PERM_MAX_MS;
	long base = 1000;

	for (unsigned i = 1; i < failures && base < cap; i++)
		base *= 2;
	if (base > cap)
		base = cap;
	return (int)(base / 2 + rand_r(seed) % (base / 2 + 1));
}

void *
serve_worker_main(void *arg)
{
	struct serve_worker *w = arg;
	unsigned failures = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)w;

	while (!stopping(w)) {
		struct session s = {.w = w};
		struct tg_err err = {0};
		int r = session_run(&s, &err);
		int delay;

		session_close(&s);
		if (r == 0)
			break;
		failures = s.progressed ? 1 : failures + 1;
		delay = backoff_ms(failures, err.temporary, &seed);
		tg_log(err.temporary ? TG_LOG_WARNING : TG_LOG_ERR,
		       "%s: %s; trying again in %d.%d s", w->mb->name, err.msg,
		       delay / 1000, delay % 1000 / 100);
		if (w->once && failures >= ONCE_ATTEMPTS) {
			w->status = 1;
			break;
		}
		if (serve_wait_fd(w->wake_fd, delay) == 1)
			break;
	}
	atomic_fetch_sub(w->mailboxes_running, 1);
	atomic_store(&w->done, true);
	return NULL;
}
