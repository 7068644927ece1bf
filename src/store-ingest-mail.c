/* The mail an ingested message causes, written to the outbox in the same
 * transaction (so it is sent exactly when the change is committed). The
 * sender applies the rules on automatic mail (never to mailer daemons or
 * our own addresses, rate limits) when it takes the row. */
#include "store-ingest-private.h"
#include "ticketgate/rating.h"

#include <stdio.h>
#include <string.h>

bool
store_ack_due(const struct tg_ingest_mail *m)
{
	/* only a person's ordinary mail is acknowledged (rule C: never an
	 * auto-reply, a list, a bounce; spam and loops open nothing) */
	return m->cls.cls == TG_CLASS_NORMAL && !m->automatic &&
	       m->from_address[0] != '\0';
}

/* A bounce of our mail, on the ticket it belongs to: who failed, why. */
static const char sql_bounce[] =
	"INSERT INTO ticket_event (ticket_id, kind, new_value, detail) "
	"VALUES ($1::bigint, 'bounce', $2, $3)";

int
store_record_bounce(struct tg_store *st, const struct tg_ingest_mail *m,
		    int64_t ticket_id, struct tg_err *err)
{
	struct store_id t;
	char detail[1024] = "";
	const char *vals[3] = {store_id_param(&t, ticket_id),
			       m->cls.bounce_status, detail};
	size_t len = 0;

	for (size_t i = 0; i < m->cls.n_failed_recipients && len < 700; i++)
		len += (size_t)snprintf(detail + len, sizeof(detail) - len,
					"%s%s", i > 0 ? ", " : "",
					m->cls.failed_recipients[i]);
	if (m->cls.bounce_diagnostic != NULL && len < sizeof(detail) - 4)
		snprintf(detail + len, sizeof(detail) - len, "%s%.250s",
			 len > 0 ? ": " : "", m->cls.bounce_diagnostic);
	return store_run(st, sql_bounce, 3, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "bounce event", NULL, err);
}

/* Does m answer the ticket's feedback request (by In-Reply-To or
 * References naming it)? */
static const char sql_answers_feedback[] =
	"SELECT 1 FROM outbox WHERE ticket_id = $1::bigint "
	"AND kind = 'feedback' AND message_id IS NOT NULL "
	"AND message_id = ANY (string_to_array($2, E'\\n') || "
	"string_to_array($3, E'\\n'))";

static const char sql_rating[] =
	"WITH e AS (INSERT INTO ticket_event (ticket_id, kind, new_value) "
	"VALUES ($1::bigint, 'feedback', $2)) "
	"UPDATE ticket SET feedback_rating = $2::smallint, "
	"feedback_at = now() WHERE id = $1::bigint";

int
store_feedback_answer(struct tg_store *st, const struct tg_ingest_mail *m,
		      int64_t ticket_id, bool *rating_only_r,
		      struct tg_err *err)
{
	struct store_id t;
	const char *vals[3] = {store_id_param(&t, ticket_id), m->in_reply_to,
			       m->references};
	const char *rest;
	char rating[4];
	int64_t found;
	int r;

	*rating_only_r = false;
	r = tg_rating_parse(m->reply_text, &rest);
	if (r == 0)
		return 0;
	if (store_query_id(st, sql_answers_feedback, 3, vals,
			   "feedback lookup", &found, err) < 0)
		return -1;
	if (found == 0)
		return 0;
	snprintf(rating, sizeof(rating), "%d", r);
	vals[1] = rating;
	if (store_run(st, sql_rating, 2, vals, NULL, NULL, PGRES_COMMAND_OK,
		      "feedback", NULL, err) < 0)
		return -1;
	/* a rating alone does not reopen; more text is a reply as usual */
	*rating_only_r = rest[0] == '\0';
	return 0;
}
