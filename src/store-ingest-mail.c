/* The mail an ingested message causes, written to the outbox in the same
 * transaction (so it is sent exactly when the change is committed). The
 * sender applies the rules on automatic mail (never to mailer daemons or
 * our own addresses, rate limits) when it takes the row. */
#include "store-ingest-private.h"

/* An acknowledgement goes from the support address the ticket was opened
 * at, to the customer who opened it. */
static const char sql_ack[] =
	"INSERT INTO outbox (kind, ticket_id, cause_id, recipients, address) "
	"SELECT 'ack', id, $2::bigint, ARRAY[lower($3)], address "
	"FROM ticket WHERE id = $1::bigint";

int
store_enqueue_ack(struct tg_store *st, const struct tg_ingest_mail *m,
		  int64_t ticket_id, int64_t message_id, struct tg_err *err)
{
	struct store_id t, msg;
	const char *vals[3] = {store_id_param(&t, ticket_id),
			       store_id_param(&msg, message_id),
			       m->from_address};

	/* only a person's ordinary mail is acknowledged (rule C: never an
	 * auto-reply, a list, a bounce; spam and loops open nothing) */
	if (m->cls.cls != TG_CLASS_NORMAL || m->automatic ||
	    m->from_address[0] == '\0')
		return 0;
	return store_run(st, sql_ack, 3, vals, NULL, NULL, PGRES_COMMAND_OK,
			 "acknowledgement", NULL, err);
}
