/* The outbox as the sender sees it: claim a batch of rows (FOR UPDATE
 * SKIP LOCKED, so several daemons share the work), read what composing
 * them needs, keep the composed bytes, and record each outcome. The
 * claim's transaction stays open while the SMTP server is talking; the
 * rows it took are marked sent in it, committed when the batch ends. */
#include "store-private.h"
#include "ticketgate/buf.h"
#include "ticketgate/pool.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The oldest due pending rows, not yet composed ($1 true) or composed
 * and ready to send ($1 false), at most $2 of them. */
#define CLAIM_WHERE                                                         \
	"WHERE o.id IN (SELECT id FROM outbox WHERE state = 'pending' "      \
	"AND next_attempt_at <= now() AND (raw IS NULL) = $1::boolean "      \
	"ORDER BY id LIMIT $2::int FOR UPDATE SKIP LOCKED) ORDER BY o.id"

/* Everything composing needs, one row each: the ticket, its requester,
 * the message that caused the mail, what it answers (for a relayed reply
 * the customer's latest mail, which the agent's own Message-ID is not),
 * and the thread's Message-IDs for References: the first and the newest
 * 19, so that References always lead back to the customer's first mail. */
static const char sql_claim_compose[] =
	"SELECT o.id, o.kind, o.recipients, coalesce(o.address, t.address, "
	"''), "
	"o.attempts, extract(epoch FROM now() - o.created_at)::bigint, "
	"coalesce(t.number, 0), coalesce(t.subject, ''), "
	"coalesce(d.name, ''), coalesce(t.status::text, ''), "
	"coalesce(to_char(t.first_response_due AT TIME ZONE 'UTC', "
	"'YYYY-MM-DD HH24:MI \"UTC\"'), ''), "
	"coalesce(to_char(t.resolution_due AT TIME ZONE 'UTC', "
	"'YYYY-MM-DD HH24:MI \"UTC\"'), ''), "
	"coalesce(c.name, ''), coalesce(cm.reply_text, ''), "
	"coalesce(CASE WHEN o.kind = 'reply' THEN (SELECT message_id FROM "
	"message WHERE ticket_id = t.id AND direction = 'inbound' AND "
	"author_kind = 'customer' AND message_id <> '' ORDER BY id DESC "
	"LIMIT 1) ELSE cm.message_id END, ''), "
	"coalesce((SELECT array_agg(m.message_id ORDER BY m.id) FROM "
	"(SELECT id, message_id FROM message WHERE ticket_id = t.id "
	"AND message_id <> '' AND (id IN (SELECT min(id) FROM message WHERE "
	"ticket_id = t.id AND message_id <> '') OR id IN (SELECT id FROM "
	"message WHERE ticket_id = t.id AND message_id <> '' ORDER BY id DESC "
	"LIMIT 19))) m), '{}'), "
	"coalesce(o.message_id, ''), o.raw, coalesce(t.language, ''), "
	"coalesce(o.detail, '') "
	"FROM outbox o LEFT JOIN ticket t ON t.id = o.ticket_id "
	"LEFT JOIN department d ON d.id = t.department_id "
	"LEFT JOIN contact c ON c.id = t.requester_id "
	"LEFT JOIN message cm ON cm.id = o.cause_id " CLAIM_WHERE;

/* Sending needs only the envelope, the bytes and what the outcome
 * records: the same columns, the composing ones left empty. */
static const char sql_claim_send[] =
	"SELECT o.id, o.kind, o.recipients, coalesce(o.address, t.address, "
	"''), "
	"o.attempts, extract(epoch FROM now() - o.created_at)::bigint, "
	"coalesce(t.number, 0), coalesce(t.subject, ''), '', '', '', '', '', "
	"'', '', '{}', coalesce(o.message_id, ''), o.raw, '', '' "
	"FROM outbox o LEFT JOIN ticket t ON t.id = o.ticket_id " CLAIM_WHERE;

/* "{a,b,\"c d\"}" as PostgreSQL prints a text[] of addresses and
 * Message-IDs: elements are quoted only when they hold special bytes. */
static size_t
parse_array(struct tg_pool *pool, const char *s, char ***v_r)
{
	size_t n = 0, cap = 1;
	char **v;

	for (const char *p = s; *p != '\0'; p++)
		cap += *p == ',';
	v = tg_pool_alloc(pool, cap * sizeof(*v));
	if (*s == '{')
		s++;
	while (*s != '\0' && *s != '}') {
		char *e = tg_pool_alloc(pool, strlen(s) + 1), *d = e;

		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"'; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				*d++ = *s;
			}
			if (*s == '"')
				s++;
		} else {
			while (*s != '\0' && *s != ',' && *s != '}')
				*d++ = *s++;
		}
		*d = '\0';
		if (n < cap && strcmp(e, "NULL") != 0)
			v[n++] = e;
		if (*s == ',')
			s++;
	}
	*v_r = v;
	return n;
}

static char *
text(struct tg_pool *pool, const PGresult *res, int row, int col)
{
	return tg_pool_strdup(pool, PQgetvalue(res, row, col));
}

static void
fill(struct tg_pool *pool, const PGresult *res, int row,
     struct tg_outbox_item *it)
{
	size_t len;
	unsigned char *raw;

	memset(it, 0, sizeof(*it));
	it->id = store_get_id(res, row, 0);
	it->kind = text(pool, res, row, 1);
	it->n_recipients =
		parse_array(pool, PQgetvalue(res, row, 2), &it->recipients);
	it->address = text(pool, res, row, 3);
	it->attempts = (int)store_get_id(res, row, 4);
	it->age_seconds = store_get_id(res, row, 5);
	it->ticket_number = store_get_id(res, row, 6);
	it->subject = text(pool, res, row, 7);
	it->department = text(pool, res, row, 8);
	it->status = text(pool, res, row, 9);
	it->first_response_due = text(pool, res, row, 10);
	it->resolution_due = text(pool, res, row, 11);
	it->customer_name = text(pool, res, row, 12);
	it->cause_text = text(pool, res, row, 13);
	it->in_reply_to = text(pool, res, row, 14);
	it->n_references =
		parse_array(pool, PQgetvalue(res, row, 15), &it->references);
	it->message_id = text(pool, res, row, 16);
	it->language = text(pool, res, row, 18);
	it->detail = text(pool, res, row, 19);
	if (PQgetisnull(res, row, 17))
		return;
	raw = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, 17),
			      &len);
	if (raw == NULL)
		return;
	it->raw = tg_pool_alloc(pool, len + 1);
	memcpy(it->raw, raw, len);
	it->raw[len] = '\0';
	it->raw_len = len;
	PQfreemem(raw);
}

int
tg_store_outbox_claim(struct tg_store *st, bool composed, unsigned max,
		      struct tg_pool *pool, struct tg_outbox_item **items_r,
		      size_t *n_r, struct tg_err *err)
{
	char limit[16];
	const char *vals[2] = {composed ? "false" : "true", limit};
	PGresult *res = NULL;
	int n;

	*items_r = NULL;
	*n_r = 0;
	snprintf(limit, sizeof(limit), "%u", max > 0 ? max : 1);
	if (store_exec(st, "BEGIN", "outbox begin", err) < 0)
		return -1;
	if (store_run(st, composed ? sql_claim_send : sql_claim_compose, 2,
		      vals, NULL, NULL, PGRES_TUPLES_OK, "outbox claim", &res,
		      err) < 0) {
		tg_store_outbox_release(st);
		return -1;
	}
	n = PQntuples(res);
	if (n > 0) {
		*items_r = tg_pool_alloc(pool, (size_t)n * sizeof(**items_r));
		for (int i = 0; i < n; i++)
			fill(pool, res, i, &(*items_r)[i]);
	}
	PQclear(res);
	*n_r = (size_t)n;
	if (n == 0)
		tg_store_outbox_release(st);
	return n > 0;
}

void
tg_store_outbox_release(struct tg_store *st)
{
	struct tg_err ignored;

	(void)store_exec(st, "ROLLBACK", "outbox rollback", &ignored);
}

int
tg_store_outbox_commit(struct tg_store *st, struct tg_err *err)
{
	if (store_exec(st, "COMMIT", "outbox commit", err) < 0) {
		tg_store_outbox_release(st);
		return -1;
	}
	return 0;
}

/* One outcome inside the claim's transaction; a failure ends it. */
static int
finish(struct tg_store *st, const char *sql, int n, const char *const *vals,
       const int *lens, const int *fmts, const char *what, struct tg_err *err)
{
	if (store_run(st, sql, n, vals, lens, fmts, PGRES_COMMAND_OK, what,
		      NULL, err) < 0) {
		tg_store_outbox_release(st);
		return -1;
	}
	return 0;
}

static const char sql_composed[] =
	"UPDATE outbox SET message_id = $2, raw = $3, subject = $4, "
	"body_text = $5 WHERE id = $1::bigint";

int
tg_store_outbox_composed(struct tg_store *st, int64_t id,
			 const char *message_id, const char *raw, size_t len,
			 const char *subject, const char *text,
			 struct tg_err *err)
{
	struct store_id i;
	const char *vals[5] = {store_id_param(&i, id), message_id, raw,
			       subject, text};
	int lens[5] = {0, 0, (int)len, 0, 0};
	const int fmts[5] = {0, 0, 1, 0, 0};

	return finish(st, sql_composed, 5, vals, lens, fmts, "outbox composed",
		      err);
}

/* Sent: the rows, and each mail as an outbound message of its ticket, so
 * the customer's answer and a bounce of it thread by Message-ID. */
static const char sql_sent[] =
	"WITH o AS (UPDATE outbox SET state = 'sent', "
	"sent_at = clock_timestamp(), attempts = attempts + 1, "
	"last_error = NULL WHERE id = ANY ($1::bigint[]) "
	"RETURNING id, ticket_id, message_id, raw, recipients, address, "
	"subject, body_text) "
	"INSERT INTO message (ticket_id, direction, author_kind, message_id, "
	"from_address, to_addresses, raw, raw_sha256, source, subject, "
	"body_text, reply_text) SELECT o.ticket_id, 'outbound', 'system', "
	"o.message_id, coalesce(o.address, ''), o.recipients, o.raw, "
	"sha256(o.raw), 'outbox', coalesce(o.subject, t.subject), "
	"coalesce(o.body_text, ''), coalesce(o.body_text, '') "
	"FROM o JOIN ticket t ON t.id = o.ticket_id "
	"ORDER BY o.id ON CONFLICT (message_id, raw_sha256) DO NOTHING";

int
tg_store_outbox_sent(struct tg_store *st, const int64_t *ids, size_t n,
		     struct tg_err *err)
{
	struct tg_buf list;
	const char *vals[1];
	int r;

	if (n == 0)
		return 0;
	tg_buf_init(&list, 16 * n + 2, 0);
	(void)tg_buf_putc(&list, '{');
	for (size_t i = 0; i < n; i++)
		(void)tg_buf_appendf(&list, "%s%lld", i > 0 ? "," : "",
			      (long long)ids[i]);
	(void)tg_buf_putc(&list, '}');
	vals[0] = tg_buf_cstr(&list);
	r = finish(st, sql_sent, 1, vals, NULL, NULL, "outbox sent", err);
	tg_buf_deinit(&list);
	return r;
}

static const char sql_retry[] =
	"UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
	"next_attempt_at = now() + make_interval(secs => $3::int) "
	"WHERE id = $1::bigint";

int
tg_store_outbox_retry(struct tg_store *st, int64_t id, const char *why,
		      int delay_seconds, struct tg_err *err)
{
	struct store_id i;
	char delay[16];
	const char *vals[3] = {store_id_param(&i, id), why, delay};

	snprintf(delay, sizeof(delay), "%d", delay_seconds);
	return finish(st, sql_retry, 3, vals, NULL, NULL, "outbox retry", err);
}

/* Given up or suppressed: kept, and recorded on the ticket as an
 * internal event with the reason (the server's reply). */
static const char sql_give_up[] =
	"WITH o AS (UPDATE outbox SET state = $2, last_error = $3, "
	"attempts = attempts + ($2 = 'failed')::int WHERE id = $1::bigint "
	"RETURNING ticket_id, kind, recipients) "
	"INSERT INTO ticket_event (ticket_id, kind, new_value, detail) "
	"SELECT ticket_id, CASE WHEN $2 = 'failed' THEN 'delivery_failed' "
	"ELSE 'mail_suppressed' END, kind, "
	"array_to_string(recipients, ', ') || ': ' || $3 FROM o "
	"WHERE ticket_id IS NOT NULL";

int
tg_store_outbox_give_up(struct tg_store *st, int64_t id, bool suppressed,
			const char *why, struct tg_err *err)
{
	struct store_id i;
	const char *vals[3] = {store_id_param(&i, id),
			       suppressed ? "suppressed" : "failed", why};

	return finish(st, sql_give_up, 3, vals, NULL, NULL, "outbox give up",
		      err);
}

/* Automatic mail sent, or composed and on its way, to one address within
 * the window (rule 19 of the auto-mail rules), and acknowledgements among
 * them (rule 20). */
static const char sql_recent[] =
	"SELECT count(*), count(*) FILTER (WHERE kind = 'ack') FROM outbox "
	"WHERE recipients @> ARRAY[lower($1)] AND kind <> 'reply' "
	"AND (state = 'sent' OR (state = 'pending' AND raw IS NOT NULL)) "
	"AND coalesce(sent_at, created_at) > "
	"now() - make_interval(mins => $2::int)";

int
tg_store_outbox_recent(struct tg_store *st, const char *recipient,
		       unsigned window_minutes, unsigned *automatic_r,
		       unsigned *acks_r, struct tg_err *err)
{
	char minutes[16];
	const char *vals[2] = {recipient, minutes};
	PGresult *res = NULL;

	snprintf(minutes, sizeof(minutes), "%u", window_minutes);
	if (store_run(st, sql_recent, 2, vals, NULL, NULL, PGRES_TUPLES_OK,
		      "outbox recent", &res, err) < 0)
		return -1;
	*automatic_r = (unsigned)store_get_id(res, 0, 0);
	*acks_r = (unsigned)store_get_id(res, 0, 1);
	PQclear(res);
	return 0;
}

int
tg_store_listen(struct tg_store *st, struct tg_err *err)
{
	return store_exec(st, "LISTEN ticketgate_outbox", "listen", err);
}

int
tg_store_wait_notify(struct tg_store *st, int timeout_ms, int wake_fd,
		     struct tg_err *err)
{
	struct pollfd p[2] = {
		{.fd = PQsocket(st->conn), .events = POLLIN},
		{.fd = wake_fd, .events = POLLIN},
	};
	PGnotify *n;
	int got = 0, r;

	/* notifications that arrived with earlier results */
	if (PQconsumeInput(st->conn) == 0)
		return store_fail(st, NULL, "notify", err);
	while ((n = PQnotifies(st->conn)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		return 1;
	do
		r = poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		if (PQconsumeInput(st->conn) == 0)
			return store_fail(st, NULL, "notify", err);
		while ((n = PQnotifies(st->conn)) != NULL) {
			got = 1;
			PQfreemem(n);
		}
	}
	return got;
}

static const char sql_notice[] =
	"INSERT INTO outbox (kind, recipients, address, detail) "
	"VALUES ($1, ARRAY[lower($2)], $3, $4)";

int
tg_store_outbox_notice(struct tg_store *st, const char *kind,
		       const char *recipient, const char *address,
		       const char *detail, struct tg_err *err)
{
	const char *vals[4] = {kind, recipient, address, detail};

	return store_run(st, sql_notice, 4, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "outbox notice", NULL, err);
}

/* Another ticket of the same requester with the same subject once reply
 * prefixes and case are set aside (rule 20). */
static const char sql_same_subject[] =
	"SELECT count(*) FROM ticket t JOIN contact c ON c.id = t.requester_id "
	"WHERE c.email = lower($1) AND t.number <> $2::bigint "
	"AND lower(regexp_replace(t.subject, '^(\\s*(re|fwd?|aw|sv|wg)\\s*:)+\\s*', "
	"'', 'i')) = lower(regexp_replace($3, "
	"'^(\\s*(re|fwd?|aw|sv|wg)\\s*:)+\\s*', '', 'i'))";

int
tg_store_outbox_same_subject(struct tg_store *st, const char *recipient,
			     int64_t number, const char *subject,
			     bool *same_r, struct tg_err *err)
{
	char n[24];
	const char *vals[3] = {recipient, n, subject};
	int64_t count;

	snprintf(n, sizeof(n), "%lld", (long long)number);
	if (store_query_id(st, sql_same_subject, 3, vals, "same subject",
			   &count, err) < 0)
		return -1;
	*same_r = count > 0;
	return 0;
}
