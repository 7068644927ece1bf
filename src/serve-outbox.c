/* The outbox sender: a thread of `ticketgate serve` with its own database
 * connection (LISTEN ticketgate_outbox wakes it) and one SMTP session
 * reused across messages. Each row is first composed (template, headers,
 * a fresh Message-ID) and the bytes kept, so retries send the same mail;
 * then sent in a transaction that holds a batch of rows, and those the
 * server took are marked sent in it. A crash between DATA's answer and
 * the batch's commit (at most SEND_BATCH_MS later) sends the mail again
 * on restart, under the same Message-ID: the one window. */
#include "serve-private.h"
#include "ticketgate/buf.h"
#include "ticketgate/compose.h"
#include "ticketgate/log.h"
#include "ticketgate/outbound.h"
#include "ticketgate/pool.h"
#include "ticketgate/smtp.h"
#include "ticketgate/store.h"
#include "ticketgate/template.h"
#include "ticketgate/thread.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Waits between looks at the outbox when nothing wakes the sender, so
 * that rows waiting for their retry time are seen. */
#define IDLE_LOOK_MS 5000

struct sender {
	struct serve_worker *w;
	const struct tg_config_smtp *smtp;
	struct tg_store *st;
	struct tg_smtp *s;
	struct tg_templates *templates; /* read once, at the first session */
	unsigned seed;
};

/* The template for each kind of row. */
static const char *
template_name(const char *kind)
{
	if (strcmp(kind, "size_notice") == 0)
		return "size-notice";
	if (strcmp(kind, "command_error") == 0)
		return "command-error";
	return kind; /* ack, feedback, reply */
}

static bool
automatic(const char *kind)
{
	return strcmp(kind, "reply") != 0;
}

/* Rules 17-19 for automatic mail: a refused recipient or too many
 * automatic mails to it lately suppress the row. */
static int
policy(struct sender *sd, const struct tg_outbox_item *it, const char **why_r,
       struct tg_err *err)
{
	const struct tg_config_rates *r = &sd->w->cfg->rates;
	unsigned recent, acks;

	*why_r = NULL;
	if (!automatic(it->kind))
		return 0;
	for (size_t i = 0; i < it->n_recipients; i++) {
		*why_r = tg_outbound_refused(it->recipients[i], sd->w->cfg);
		if (*why_r != NULL)
			return 0;
		if (tg_store_outbox_recent(sd->st, it->recipients[i],
					   r->autoreply_window_minutes, &recent,
					   &acks, err) < 0)
			return -1;
		if (recent >= r->autoreply_per_recipient) {
			*why_r = "rate limit: too many automatic mails to "
				 "this address lately";
			return 0;
		}
		/* rule 20: a sender who keeps writing the same thing anew
		 * (often an auto-responder that escaped detection) gets two
		 * acknowledgements at most */
		if (strcmp(it->kind, "ack") == 0 && acks >= 2) {
			bool same;

			if (tg_store_outbox_same_subject(
				    sd->st, it->recipients[i], it->ticket_number,
				    it->subject, &same, err) < 0)
				return -1;
			if (same) {
				*why_r = "rate limit: acknowledged the same "
					 "subject twice already";
				return 0;
			}
		}
	}
	return 0;
}

static int
render(struct sender *sd, struct tg_pool *pool, const struct tg_outbox_item *it,
       struct tg_template_out *out, struct tg_err *err)
{
	char number[24], limit[32];
	const struct tg_config *cfg = sd->w->cfg;
	/* templates have no conditionals: absent values get plain words */
	const struct tg_template_var vars[] = {
		{"ticket_number", number},
		{"subject", it->subject[0] != '\0' ? it->subject : it->detail},
		{"customer_name", it->customer_name[0] != '\0'
					  ? it->customer_name
					  : it->recipients[0]},
		{"customer_address", it->recipients[0]},
		{"support_address", it->address},
		{"department", it->department[0] != '\0' ? it->department
							 : "support"},
		{"first_response_due", it->first_response_due[0] != '\0'
					       ? it->first_response_due
					       : "as soon as we can"},
		{"resolution_due", it->resolution_due[0] != '\0'
					   ? it->resolution_due
					   : "as soon as we can"},
		{"size_limit", limit},
		{"agent_text", it->detail[0] != '\0' ? it->detail
						       : it->cause_text},
		{"error_text", it->detail},
		{"agent_name", it->recipients[0]},
	};

	snprintf(number, sizeof(number), "%lld", (long long)it->ticket_number);
	snprintf(limit, sizeof(limit), "%zu MB",
		 cfg->limits.message_bytes / (1024 * 1024));
	return tg_template_render(sd->templates, it->address,
				  it->language[0] != '\0' ? it->language : NULL,
				  template_name(it->kind), vars, TG_N(vars),
				  pool, out, err);
}

/* From the support address (with its display name), Reply-To with the
 * ticket's signed token where the address wants one, threaded under the
 * message that caused it. *subject_r and *text_r (in pool) say what it
 * says, for the ticket's history. */
static int
compose(struct sender *sd, struct tg_pool *pool,
	const struct tg_outbox_item *it, struct tg_buf *raw, char *msgid,
	size_t msgid_size, const char **subject_r, const char **text_r,
	struct tg_err *err)
{
	const struct tg_config *cfg = sd->w->cfg;
	const struct tg_config_address *a = tg_config_address(cfg, it->address);
	struct tg_template_out t;
	struct tg_buf reply_to;
	struct tg_compose c;
	int ret;

	if (render(sd, pool, it, &t, err) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.kind = strcmp(it->kind, "ack") == 0 ? TG_COMPOSE_AUTO_REPLY
		 : automatic(it->kind)        ? TG_COMPOSE_AUTO_GENERATED
					      : TG_COMPOSE_REPLY;
	c.from_name = a != NULL ? a->display_name : NULL;
	c.from_address = it->address;
	c.to_address = it->recipients[0];
	c.to_name = it->customer_name;
	c.cc = (const char *const *)it->recipients + 1;
	c.n_cc = it->n_recipients - 1;
	c.subject =
		it->ticket_number != 0
			? tg_compose_subject(pool, it->ticket_number, t.subject)
			: t.subject;
	c.in_reply_to = it->in_reply_to[0] != '\0' ? it->in_reply_to : NULL;
	c.references = (const char *const *)it->references;
	c.n_references = it->n_references;
	c.msgid_domain = cfg->instance.domain;
	c.loop_id = cfg->instance.id;
	c.text = t.text;
	c.html = t.html;
	c.date = (int64_t)time(NULL);
	tg_buf_init(&reply_to, 128, 1024);
	if (it->ticket_number != 0 && cfg->instance.secret != NULL &&
	    (a == NULL || a->reply_token)) {
		tg_thread_reply_address(
			(const unsigned char *)cfg->instance.secret,
			cfg->instance.secret_len, it->address,
			it->ticket_number, &reply_to);
		c.reply_to = tg_buf_cstr(&reply_to);
	}
	ret = tg_compose_message(&c, raw, msgid, msgid_size, err);
	tg_buf_deinit(&reply_to);
	*subject_r = c.subject;
	*text_r = t.text;
	return ret;
}

/* Composes one claimed row, or suppresses it, recording the outcome in
 * the claim's transaction. 0 done, -1 failure (database: the claim is
 * rolled back). */
static int
compose_one(struct sender *sd, struct tg_pool *pool,
	    const struct tg_outbox_item *it, struct tg_err *err)
{
	struct tg_buf raw;
	char msgid[160];
	const char *why, *subject = "", *text = "";
	struct tg_err cerr;
	int r;

	if (it->n_recipients == 0 || it->address[0] == '\0')
		return tg_store_outbox_give_up(sd->st, it->id, true,
					       "no recipient or sender address",
					       err);
	/* within the claim, rows composed earlier in the batch count */
	if (policy(sd, it, &why, err) < 0) {
		tg_store_outbox_release(sd->st);
		return -1;
	}
	if (why != NULL) {
		tg_log(TG_LOG_INFO, "outbox %lld (%s): suppressed: %s",
		       (long long)it->id, it->kind, why);
		return tg_store_outbox_give_up(sd->st, it->id, true, why, err);
	}
	tg_buf_init(&raw, 4096, 0);
	if (compose(sd, pool, it, &raw, msgid, sizeof(msgid), &subject, &text,
		    &cerr) < 0) {
		/* a broken template is the admin's to fix: say it, keep
		 * the row, look again later */
		tg_log(TG_LOG_ERR, "outbox %lld (%s): cannot compose: %s",
		       (long long)it->id, it->kind, cerr.msg);
		r = tg_store_outbox_retry(sd->st, it->id, cerr.msg, 300, err);
	} else {
		r = tg_store_outbox_composed(sd->st, it->id, msgid, raw.data,
					     raw.len, subject, text, err);
	}
	tg_buf_deinit(&raw);
	return r;
}

/* Composes the oldest uncomposed rows, a batch in one transaction:
 * nothing leaves the machine here, so a batch risks nothing. 1 done
 * some, 0 none left, -1 failure (database). */
static int
compose_batch(struct sender *sd, struct tg_err *err)
{
	struct tg_pool *pool = tg_pool_new(64 * 1024);
	struct tg_outbox_item *items;
	size_t n;
	int r = tg_store_outbox_claim(sd->st, false, sd->smtp->batch, pool,
				      &items, &n, err);

	for (size_t i = 0; r == 1 && i < n; i++)
		if (compose_one(sd, pool, &items[i], err) < 0)
			r = -1;
	if (r == 1 && tg_store_outbox_commit(sd->st, err) < 0)
		r = -1;
	tg_pool_free(&pool);
	return r;
}

static int
smtp_open(struct sender *sd, struct tg_err *err)
{
	const struct tg_config_smtp *c = sd->smtp;
	char port[8];
	struct tg_smtp_opts o = {
		.host = c->host,
		.port = port,
		.security = c->security == TG_SMTP_SEC_SMTPS ? TG_SMTP_SMTPS
			    : c->security == TG_SMTP_SEC_STARTTLS
				    ? TG_SMTP_STARTTLS
				    : TG_SMTP_PLAIN,
		.ca_file = c->ca_file,
		.verify = c->verify,
		.user = c->user,
		.password = c->password,
		.helo_name = c->helo_name,
		.timeout_sec = (int)c->timeout_seconds,
	};

	if (sd->s != NULL && tg_smtp_usable(sd->s))
		return 0;
	tg_smtp_close(&sd->s);
	snprintf(port, sizeof(port), "%u", c->port);
	return tg_smtp_open(&o, &sd->s, err);
}

/* The envelope sender: the support address, so bounces come back to a
 * mailbox we read; the null sender for notices about mail we refused
 * (rule F), which must never bounce back and forth. */
static const char *
envelope_from(const struct tg_outbox_item *it)
{
	return strcmp(it->kind, "size_notice") == 0 ? "" : it->address;
}

/* How long a batch of sends may keep its marks uncommitted: what a crash
 * of the daemon or the database may send twice. */
#define SEND_BATCH_MS 250

/* Sends one claimed row: *sent_r true when the server took it (the
 * caller marks it), else the outcome is recorded in the claim's
 * transaction. 1 done, 0 done and the server is away (send no more for
 * now), -1 failure (database: the claim is rolled back). */
static int
send_one(struct sender *sd, const struct tg_outbox_item *it, bool *sent_r,
	 struct tg_err *err)
{
	struct tg_smtp_reply reply;
	struct tg_err serr;
	char why[600];

	memset(&reply, 0, sizeof(reply));
	if (smtp_open(sd, &serr) == 0 &&
	    tg_smtp_send(sd->s, envelope_from(it),
			 (const char *const *)it->recipients, it->n_recipients,
			 it->raw, it->raw_len, &reply, &serr) == 0) {
		*sent_r = true;
		tg_log(TG_LOG_INFO, "outbox %lld (%s) sent: ticket %lld",
		       (long long)it->id, it->kind,
		       (long long)it->ticket_number);
		return 1;
	}
	snprintf(why, sizeof(why), "%s", serr.msg);
	if (!serr.temporary ||
	    it->age_seconds > (int64_t)sd->smtp->retry_max_hours * 3600) {
		tg_log(TG_LOG_WARNING, "outbox %lld (%s): given up: %s",
		       (long long)it->id, it->kind, why);
		return tg_store_outbox_give_up(sd->st, it->id, false, why,
					       err) < 0
			       ? -1
			       : 1;
	}
	tg_log(TG_LOG_NOTICE, "outbox %lld (%s): will retry: %s",
	       (long long)it->id, it->kind, why);
	if (tg_store_outbox_retry(
		    sd->st, it->id, why,
		    tg_outbound_retry_delay(it->attempts + 1,
					    (unsigned)rand_r(&sd->seed)),
		    err) < 0)
		return -1;
	if (reply.code == 0) {
		/* the server is away: wait before the next row too */
		tg_smtp_close(&sd->s);
		return 0;
	}
	return 1;
}

/* Sends the oldest composed rows over the reused session and marks
 * those the server took sent, all in one transaction committed once the
 * batch is done or SEND_BATCH_MS old: the marks only last from the
 * commit on, so marking each row apart would narrow nothing. Rows claimed
 * but not reached stay pending. 1 sent some, 0 none left or the server
 * is away, -1 failure (database). */
static int
send_batch(struct sender *sd, struct tg_err *err)
{
	struct tg_pool *pool = tg_pool_new(64 * 1024);
	struct tg_outbox_item *items;
	int64_t *sent;
	size_t n, n_sent = 0;
	int64_t start = tg_now_ms();
	int r = tg_store_outbox_claim(sd->st, true, sd->smtp->batch, pool,
				      &items, &n, err);

	sent = tg_pool_alloc(pool, (n > 0 ? n : 1) * sizeof(*sent));
	for (size_t i = 0; r == 1 && i < n; i++) {
		bool ok = false;

		r = send_one(sd, &items[i], &ok, err);
		if (ok)
			sent[n_sent++] = items[i].id;
		if (atomic_load(sd->w->stop) ||
		    tg_now_ms() - start >= SEND_BATCH_MS)
			break;
	}
	if (r >= 0 && n > 0 &&
	    (tg_store_outbox_sent(sd->st, sent, n_sent, err) < 0 ||
	     tg_store_outbox_commit(sd->st, err) < 0))
		r = -1;
	tg_pool_free(&pool);
	return r;
}

static int
session(struct sender *sd, struct tg_err *err)
{
	const struct tg_config *cfg = sd->w->cfg;
	bool last_look = false;
	int r;

	/* a reload starts a new sender, which reads the templates again */
	if ((sd->templates == NULL &&
	     tg_templates_load(cfg->templates_dir, &sd->templates, err) < 0) ||
	    tg_store_open(cfg->database.conninfo, cfg->database.password,
			  &sd->st, err) < 0 ||
	    tg_store_listen(sd->st, err) < 0)
		return -1;
	while (!atomic_load(sd->w->stop)) {
		while ((r = compose_batch(sd, err)) == 1)
			;
		if (r < 0)
			return -1;
		while (!atomic_load(sd->w->stop) &&
		       (r = send_batch(sd, err)) == 1)
			;
		if (r < 0)
			return -1;
		/* once: what the mailboxes store may cause mail, so the
		 * last look comes after they are all done */
		if (sd->w->once && last_look)
			return 0;
		if (sd->w->once &&
		    atomic_load(sd->w->mailboxes_running) == 0) {
			last_look = true;
			continue;
		}
		if (tg_store_wait_notify(sd->st, sd->w->once ? 100 : IDLE_LOOK_MS,
					 sd->w->wake_fd, err) < 0)
			return -1;
	}
	return 0;
}

void *
serve_outbox_main(void *arg)
{
	struct serve_worker *w = arg;
	struct sender sd = {.w = w, .smtp = w->cfg->smtp};
	unsigned failures = 0;

	sd.seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)w;
	while (!atomic_load(w->stop)) {
		struct tg_err err = {0};
		int r = session(&sd, &err), delay;

		tg_smtp_close(&sd.s);
		tg_store_close(&sd.st);
		if (r == 0)
			break;
		failures++;
		delay = failures > 6 ? 60000 : 1000 << (failures - 1);
		tg_log(TG_LOG_WARNING, "outbox: %s; trying again in %d s",
		       err.msg, delay / 1000);
		if (w->once && failures >= 3) {
			w->status = 1;
			break;
		}
		if (serve_wait_fd(w->wake_fd, delay) == 1)
			break;
	}
	tg_templates_free(&sd.templates);
	atomic_store(&w->done, true);
	return NULL;
}
