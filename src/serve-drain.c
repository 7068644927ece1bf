/* A mailbox's new mail in batches: each fetched into memory, stored in
 * one transaction together with the position after it, and acted on
 * (moved, flagged, deleted) only after its commit.
 *
 * When there is more than one batch, a store thread takes each fetched
 * batch while the session's thread fetches the next one and acts on the
 * committed ones: Dovecot, the daemon and PostgreSQL then work at the
 * same time instead of in turn. The fetching thread also parses the
 * messages, so the store thread only talks to PostgreSQL. At most two
 * batches are in memory, each at most the account's batch size and
 * TG_BATCH_BYTES_MAX of mail (batch-plan.h). */
#include "serve-session.h"
#include "ticketgate/batch-plan.h"
#include "ticketgate/imap.h"
#include "ticketgate/log.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"
#include "ticketgate/util.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A drain takes at most this many batches, so that the sizes of a big
 * backlog are asked for (and held) a piece at a time; the caller drains
 * again at once while there is more. */
#define DRAIN_BATCHES_MAX 100

struct fetched {
	uint32_t uid;
	char *raw;
	size_t len;
};

struct batch {
	const uint32_t *uids; /* the UIDs asked for, borrowed */
	size_t n;
	struct fetched *msgs; /* those the server still had */
	size_t n_msgs, cap;
	struct tg_pipeline_in in;
	struct tg_pipeline_job *jobs; /* msgs parsed, by the fetching thread */
};

struct tally {
	unsigned stored, duplicates, quarantined;
};

static const char *
name(const struct session *s)
{
	return s->w->mb->name;
}

int
serve_after_commit(struct session *s, const uint32_t *uids, size_t n,
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

static int
keep_message(void *ctx, uint32_t uid, const char *raw, size_t len)
{
	struct batch *b = ctx;
	struct fetched *f;

	if (b->n_msgs == b->cap) {
		b->cap = b->cap == 0 ? 16 : b->cap * 2;
		b->msgs = tg_xrealloc(b->msgs, b->cap * sizeof(*b->msgs));
	}
	f = &b->msgs[b->n_msgs++];
	f->uid = uid;
	f->len = len;
	f->raw = tg_xmalloc(len > 0 ? len : 1);
	memcpy(f->raw, raw, len);
	return 0;
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; b->jobs != NULL && i < b->n_msgs; i++)
		tg_pipeline_job_free(&b->jobs[i]);
	free(b->jobs);
	for (size_t i = 0; i < b->n_msgs; i++)
		free(b->msgs[i].raw);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

/* Fetches the batch and parses its messages: b must not move after. */
static int
batch_fetch(struct session *s, const uint32_t *uids, size_t n,
	    struct batch *b, struct tg_err *err)
{
	memset(b, 0, sizeof(*b));
	b->uids = uids;
	b->n = n;
	if (tg_imap_fetch(s->im, uids, n, keep_message, b, err) < 0) {
		batch_free(b);
		return -1;
	}
	b->in = (struct tg_pipeline_in){
		.source = s->w->source,
		.recipients = s->w->recipients,
		.n_recipients = s->w->mb->n_addresses,
		.cfg = s->w->cfg,
	};
	b->jobs = tg_xcalloc(b->n_msgs > 0 ? b->n_msgs : 1, sizeof(*b->jobs));
	for (size_t i = 0; i < b->n_msgs; i++)
		tg_pipeline_prepare(&b->jobs[i], b->msgs[i].raw,
				    b->msgs[i].len, &b->in);
	return 0;
}

/* One message's store half; -1 only when the batch must stop. */
static int
store_message(struct session *s, const struct batch *b, size_t i,
	      struct tally *t, struct tg_err *err)
{
	const struct fetched *f = &b->msgs[i];
	struct tg_pipeline_result r;

	if (tg_pipeline_store(s->st, &b->jobs[i], &r, err) < 0)
		return -1;
	switch (r.outcome) {
	case TG_PIPELINE_STORED:
		t->stored++;
		tg_log(TG_LOG_DEBUG, "%s: uid %" PRIu32 ": %s ticket %lld",
		       name(s), f->uid, r.ingest.action,
		       (long long)r.ingest.ticket_number);
		break;
	case TG_PIPELINE_DUPLICATE:
		t->duplicates++;
		break;
	case TG_PIPELINE_QUARANTINED:
		t->quarantined++;
		tg_log(TG_LOG_NOTICE, "%s: uid %" PRIu32 " quarantined: %s",
		       name(s), f->uid, r.reason);
		break;
	}
	return 0;
}

static int
store_batch(struct session *s, const struct batch *b, bool guarded,
	    struct tally *t, struct tg_err *err)
{
	memset(t, 0, sizeof(*t));
	if (tg_store_batch_begin(s->st, guarded, err) < 0)
		return -1;
	for (size_t i = 0; i < b->n_msgs; i++)
		if (store_message(s, b, i, t, err) < 0) {
			tg_store_batch_abort(s->st);
			return -1;
		}
	if (tg_store_mailbox_set_position(s->st, name(s), s->uidvalidity,
					  b->uids[b->n - 1], err) < 0) {
		tg_store_batch_abort(s->st);
		return -1;
	}
	return tg_store_batch_commit(s->st, err);
}

/* Stores b first without a savepoint per message (two statements a
 * message fewer); when one message fails for good, stores it again with
 * them, so that one alone is quarantined. */
static int
store_fetched(struct session *s, const struct batch *b, struct tg_err *err)
{
	struct tally t;

	if (store_batch(s, b, false, &t, err) < 0) {
		if (!tg_store_batch_spoiled(s->st))
			return -1;
		tg_log(TG_LOG_INFO,
		       "%s: %s; storing the batch again message by message",
		       name(s), err->msg);
		if (store_batch(s, b, true, &t, err) < 0)
			return -1;
	}
	tg_log(TG_LOG_INFO,
	       "%s: %zu messages: %u stored, %u duplicates, %u quarantined",
	       name(s), b->n, t.stored, t.duplicates, t.quarantined);
	return 0;
}

/* One batch, all steps in turn: the way of a drain with one batch. */
static int
run_batch(struct session *s, const uint32_t *uids, size_t n,
	  struct tg_err *err)
{
	struct batch b;
	int ret;

	if (batch_fetch(s, uids, n, &b, err) < 0)
		return -1;
	ret = store_fetched(s, &b, err);
	batch_free(&b);
	if (ret < 0)
		return -1;
	s->last_uid = uids[n - 1];
	s->progressed = true;
	return serve_after_commit(s, uids, n, err);
}

/* What the session's thread and the store thread share. */
struct overlap {
	struct session *s;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct batch *next; /* fetched, not yet taken for storing */
	size_t committed;   /* batches committed, in order */
	bool no_more;       /* the session's thread fetches no more */
	bool ended;         /* the store thread stopped early */
	bool failed;        /* ... on err */
	struct tg_err err;
};

static void *
store_thread(void *arg)
{
	struct overlap *o = arg;
	bool go_on = true;

	while (go_on) {
		struct tg_err err = {0};
		struct batch *b;
		int r = 1;

		pthread_mutex_lock(&o->lock);
		while (o->next == NULL && !o->no_more)
			pthread_cond_wait(&o->cond, &o->lock);
		b = o->next;
		o->next = NULL;
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
		if (b == NULL)
			break;
		/* told to stop: the batch in hand is abandoned */
		if (!serve_stopping(o->s->w))
			r = store_fetched(o->s, b, &err);

		pthread_mutex_lock(&o->lock);
		if (r == 0) {
			o->committed++;
			o->s->last_uid = b->uids[b->n - 1];
			o->s->progressed = true;
		} else {
			o->ended = true;
			o->failed = r < 0;
			o->err = err;
			go_on = false;
		}
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
		batch_free(b);
		free(b);
	}
	return NULL;
}

/* Acts on the batches committed since the last call, in one command:
 * they are one run of uids. ends[k] is the index after batch k. */
static int
act_on_committed(struct session *s, const uint32_t *uids, const size_t *ends,
		 size_t committed, size_t *acted, struct tg_err *err)
{
	size_t from = *acted > 0 ? ends[*acted - 1] : 0;
	size_t to = committed > 0 ? ends[committed - 1] : 0;

	if (to <= from)
		return 0;
	if (serve_after_commit(s, uids + from, to - from, err) < 0)
		return -1;
	*acted = committed;
	return 0;
}

/* The session's thread: acts on batch k-1 and fetches batch k+1 while
 * the store thread stores batch k. */
static int
drain_overlapped(struct session *s, const uint32_t *uids, const size_t *ends,
		 size_t n_batches, pthread_t thread, struct overlap *o,
		 struct tg_err *err)
{
	size_t acted = 0;
	int ret = 0;

	for (size_t k = 0; k < n_batches && ret == 0 && !serve_stopping(s->w);
	     k++) {
		size_t from = k > 0 ? ends[k - 1] : 0;
		struct batch *b;
		size_t committed;
		bool ended;

		pthread_mutex_lock(&o->lock);
		while (o->next != NULL && !o->ended)
			pthread_cond_wait(&o->cond, &o->lock);
		ended = o->ended;
		committed = o->committed;
		pthread_mutex_unlock(&o->lock);
		if (ended)
			break;
		ret = act_on_committed(s, uids, ends, committed, &acted, err);
		if (ret < 0)
			break;
		b = tg_xcalloc(1, sizeof(*b));
		ret = batch_fetch(s, uids + from, ends[k] - from, b, err);
		if (ret < 0) {
			free(b);
			break;
		}
		pthread_mutex_lock(&o->lock);
		o->next = b;
		pthread_cond_broadcast(&o->cond);
		pthread_mutex_unlock(&o->lock);
	}

	pthread_mutex_lock(&o->lock);
	o->no_more = true;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	pthread_join(thread, NULL);
	if (o->next != NULL) { /* the store thread ended before taking it */
		batch_free(o->next);
		free(o->next);
	}
	if (ret == 0 && o->failed) {
		*err = o->err;
		ret = -1;
	}
	/* after a failure, the next session acts on what was committed
	 * (finish_pending) */
	if (ret == 0)
		ret = act_on_committed(s, uids, ends, o->committed, &acted,
				       err);
	return ret;
}

/* Cuts uids[0..n) into batches (ends[], returned count) by the account's
 * batch size and TG_BATCH_BYTES_MAX; one message needs no sizes. */
static int
plan_batches(struct session *s, const uint32_t *uids, size_t n, size_t *ends,
	     size_t *n_batches_r, struct tg_err *err)
{
	uint32_t *sizes = NULL;

	if (n > 1) {
		sizes = tg_xcalloc(n, sizeof(*sizes));
		if (tg_imap_sizes(s->im, uids, n, sizes, err) < 0) {
			free(sizes);
			return -1;
		}
	}
	*n_batches_r = tg_batch_plan(sizes, n, s->w->mb->account->batch,
				     TG_BATCH_BYTES_MAX, ends);
	free(sizes);
	return 0;
}

int
serve_drain(struct session *s, size_t *n_r, struct tg_err *err)
{
	size_t n = 0, n_batches = 0, *ends = NULL;
	uint32_t *uids = NULL;
	struct overlap o = {.s = s};
	pthread_t thread;
	int ret = 0;

	*n_r = 0;
	if (tg_imap_search_from(s->im, s->last_uid + 1, &uids, &n, err) < 0)
		return -1;
	*n_r = n;
	if (n == 0)
		return 0;
	if (n > DRAIN_BATCHES_MAX * s->w->mb->account->batch) {
		n = DRAIN_BATCHES_MAX * s->w->mb->account->batch;
		tg_log(TG_LOG_INFO, "%s: %zu new messages; taking %zu now",
		       name(s), *n_r, n);
	}
	ends = tg_xcalloc(n, sizeof(*ends));
	ret = plan_batches(s, uids, n, ends, &n_batches, err);
	if (ret == 0 && n_batches > 1) {
		pthread_mutex_init(&o.lock, NULL);
		pthread_cond_init(&o.cond, NULL);
		if (pthread_create(&thread, NULL, store_thread, &o) == 0) {
			ret = drain_overlapped(s, uids, ends, n_batches,
					       thread, &o, err);
			n_batches = 0; /* done */
		}
		pthread_cond_destroy(&o.cond);
		pthread_mutex_destroy(&o.lock);
	}
	/* one batch, or no thread to be had: in turn */
	for (size_t k = 0; k < n_batches && ret == 0 && !serve_stopping(s->w);
	     k++) {
		size_t from = k > 0 ? ends[k - 1] : 0;

		ret = run_batch(s, uids + from, ends[k] - from, err);
	}
	free(ends);
	free(uids);
	return ret;
}
