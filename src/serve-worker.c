/* One mailbox's worker: its own database connection and IMAP session.
 * A session takes the mailbox's lock, reads the position, finishes the
 * after-commit actions a crash may have left, then fetches new mail in
 * batches, each stored in one transaction with the new position
 * (serve-drain.c), and waits (IDLE or polling) for more. Any failure
 * ends the session; the worker starts another after a backoff. Nothing
 * on the server changes before the batch that covers it is committed. */
#include "serve-session.h"
#include "ticketgate/imap.h"
#include "ticketgate/log.h"
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
	ret = serve_after_commit(s, uids, k, err);
	free(uids);
	return ret;
}

/* Waits for new mail: IDLE where the account and the server allow it,
 * else the polling interval; a wake-up hint cuts either short. Returns 1
 * when told to stop. */
static int
wait_for_mail(struct session *s, struct tg_err *err)
{
	const struct tg_config_imap_account *a = s->w->mb->account;
	bool activity;

	if (a->idle && tg_imap_has_idle(s->im)) {
		if (tg_imap_idle(s->im, IDLE_MS, s->w->wake_fd, s->w->nudge_fd,
				 &activity, err) < 0)
			return -1;
	} else if (tg_imap_poll(s->im, (int)a->poll_seconds * 1000,
				s->w->wake_fd, s->w->nudge_fd, &activity,
				err) < 0) {
		return -1;
	}
	/* before the search: a hint arriving during it is kept for the
	 * next wait, which then ends at once */
	serve_nudge_clear(s->w);
	s->progressed = true;
	return serve_stopping(s->w) ? 1 : 0;
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
	while (!serve_stopping(s->w)) {
		if (serve_drain(s, &n, err) < 0)
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

	while (!serve_stopping(w)) {
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
