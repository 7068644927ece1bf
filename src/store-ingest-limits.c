/* The rate limits the ingest transaction applies (rules 21 and 22 of the
 * merged auto-mail rules): a flood from one sender is quarantined, not
 * stored, and a ticket is reopened by mail only so often per hour. Both
 * stop an auto-responder loop that slipped past classification. */
#include "store-ingest-private.h"

#include <stdio.h>

/* Counts the window's stored and flood-quarantined mail from the sender,
 * and whether a flood from it was quarantined within the hour: a flood
 * stays quarantined until it has been quiet for an hour. */
static const char sql_flood[] =
	"SELECT (SELECT count(*) FROM message WHERE from_address = $1 "
	"AND received_at > now() - make_interval(mins => $2::int)) + "
	"(SELECT count(*) FROM quarantine WHERE from_address = $1 "
	"AND kind = 'flood' "
	"AND received_at > now() - make_interval(mins => $2::int)), "
	"EXISTS (SELECT 1 FROM quarantine WHERE from_address = $1 "
	"AND kind = 'flood' AND received_at > now() - interval '1 hour')";

int
store_flood_check(struct tg_store *st, const struct tg_ingest_mail *m,
		  bool *flood_r, struct tg_err *err)
{
	char minutes[16];
	const char *vals[2] = {m->from_address, minutes};
	PGresult *res = NULL;
	struct tg_quarantine_item q;
	bool flood;

	*flood_r = false;
	if (m->flood_messages == 0 || m->from_address[0] == '\0')
		return 0;
	snprintf(minutes, sizeof(minutes), "%u", m->flood_minutes);
	if (store_run(st, sql_flood, 2, vals, NULL, NULL, PGRES_TUPLES_OK,
		      "flood check", &res, err) < 0)
		return -1;
	flood = store_get_id(res, 0, 0) >= (int64_t)m->flood_messages ||
		PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (!flood)
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
