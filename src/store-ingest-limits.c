/* The rate limits the ingest transaction applies (rules 21 and 22 of the
 * merged auto-mail rules): a flood from one sender is quarantined, not
 * stored, and a ticket is reopened by mail only so often per hour. Both
 * stop an auto-responder loop that slipped past classification. */
#include "store-ingest-private.h"

#include <stdio.h>

bool
store_flood_applies(const struct tg_ingest_mail *m)
{
	return m->flood_messages != 0 && m->from_address[0] != '\0';
}

int
store_flood_check(struct tg_store *st, const struct tg_ingest_mail *m,
		  int64_t recent, bool flooded_lately, bool *flood_r,
		  struct tg_err *err)
{
	struct tg_quarantine_item q;

	*flood_r = false;
	if (recent < (int64_t)m->flood_messages && !flooded_lately)
		return 0;
	q = (struct tg_quarantine_item){
		.source = m->source,
		.envelope_to = m->envelope_to,
		.from_address = m->from_address,
		.kind = "flood",
		.reason = "flood",
		.raw = m->raw,
		.len = m->raw_len,
		.sha256 = m->raw_sha256,
	};
	if (tg_store_quarantine_add(st, &q, err) < 0)
		return -1;
	*flood_r = true;
	return 0;
}

/* Reopens recorded by the status trigger within the hour. */
static const char sql_reopens[] =
	"SELECT count(*) FROM ticket_event WHERE ticket_id = $1::bigint "
	"AND kind = 'status' AND new_value = 'open' "
	"AND old_value IN ('pending', 'solved') "
	"AND at > now() - interval '1 hour'";

int
store_reopen_allowed(struct tg_store *st, const struct tg_ingest_mail *m,
		     int64_t ticket_id, bool *allowed_r, struct tg_err *err)
{
	struct store_id id;
	const char *vals[1] = {store_id_param(&id, ticket_id)};
	int64_t n;

	if (store_query_id(st, sql_reopens, 1, vals, "reopen count", &n,
			   err) < 0)
		return -1;
	*allowed_r = m->reopens_per_hour == 0 ||
		     n < (int64_t)m->reopens_per_hour;
	return 0;
}
