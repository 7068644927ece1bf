/* An agent's mail on a ticket. Who is an agent is a security decision: a
 * From address is easy to forge, so only mail our MTA authenticated
 * (tg_ingest_mail.authenticated) acts as the agent's. Unauthenticated, it
 * is kept as an internal note, an event says so, and nothing else
 * changes. Authenticated: its commands are applied all or none, the
 * ticket waits on the customer, the first answer is stamped (met or
 * missed), and the reply is relayed to the customer side unless it is a
 * note. */
#include "store-ingest-private.h"
#include "ticketgate/command.h"
#include "ticketgate/pool.h"

#include <stdio.h>
#include <string.h>

static const char sql_internal[] =
	"WITH m AS (UPDATE message SET internal = true WHERE id = $2::bigint) "
	"INSERT INTO ticket_event (ticket_id, kind, detail) "
	"VALUES ($1::bigint, $3, $4)";

static int
keep_internal(struct tg_store *st, int64_t ticket, int64_t message,
	      const char *kind, const char *detail, struct tg_err *err)
{
	struct store_id t, m;
	const char *vals[4] = {store_id_param(&t, ticket),
			       store_id_param(&m, message), kind, detail};

	return store_run(st, sql_internal, 4, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "internal note", NULL, err);
}

/* The agent hears what was wrong; the customer hears nothing. */
static const char sql_command_error[] =
	"INSERT INTO outbox (kind, ticket_id, cause_id, recipients, address, "
	"detail) SELECT 'command_error', id, $2::bigint, ARRAY[lower($3)], "
	"address, $4 FROM ticket WHERE id = $1::bigint";

static const char sql_agent_exists[] =
	"SELECT id FROM agent WHERE email = lower($1) AND active";

/* Status (by command, else waiting on the customer unless it is a note),
 * priority, assignee and tags in one statement, so the trigger records
 * each change once; the first answer is stamped when it is one. */
static const char sql_apply[] =
	"UPDATE ticket SET status = coalesce($2::ticket_status, CASE WHEN "
	"NOT $6::boolean AND status IN ('open', 'on_hold') THEN "
	"'pending'::ticket_status ELSE status END), "
	"priority = coalesce($3::ticket_priority, priority), "
	"assignee_id = coalesce((SELECT id FROM agent WHERE email = $4), "
	"assignee_id), "
	"tags = ARRAY(SELECT DISTINCT unnest(tags || "
	"coalesce(string_to_array($5, E'\\n'), '{}'))), "
	"first_response_at = CASE WHEN $6::boolean THEN first_response_at "
	"ELSE coalesce(first_response_at, now()) END "
	"WHERE id = $1::bigint RETURNING "
	"(first_response_at = now() AND NOT $6::boolean), "
	"first_response_at <= first_response_due";

static const char sql_first_response[] =
	"INSERT INTO ticket_event (ticket_id, kind, new_value) "
	"VALUES ($1::bigint, 'first_response', $2)";

/* To the requester, then the other customer participants. */
static const char sql_relay[] =
	"INSERT INTO outbox (kind, ticket_id, cause_id, recipients, address, "
	"detail) SELECT 'reply', t.id, $2::bigint, r.list, t.address, $3 "
	"FROM ticket t, LATERAL (SELECT array_agg(c.email ORDER BY "
	"p.role = 'requester' DESC, c.email) AS list FROM participant p "
	"JOIN contact c ON c.id = p.contact_id WHERE p.ticket_id = t.id) r "
	"WHERE t.id = $1::bigint AND r.list IS NOT NULL";

static int
check_assignee(struct tg_store *st, struct tg_pool *pool,
	       struct tg_commands *c, struct tg_err *err)
{
	const char *vals[1] = {c->assign};
	int64_t id;
	char msg[200];

	if (c->assign == NULL)
		return 0;
	if (store_query_id(st, sql_agent_exists, 1, vals, "agent lookup", &id,
			   err) < 0)
		return -1;
	if (id == 0) {
		snprintf(msg, sizeof(msg), "%s#assign: no active agent %.100s\n",
			 c->errors != NULL ? c->errors : "", c->assign);
		c->errors = tg_pool_strdup(pool, msg);
	}
	return 0;
}

static int
apply(struct tg_store *st, const struct tg_commands *c, int64_t ticket,
      const struct tg_config *cfg, struct tg_err *err)
{
	struct store_id t;
	char tags[TG_COMMAND_MAX * 101 + 1] = "";
	const char *vals[6] = {store_id_param(&t, ticket), c->status,
			       c->priority, c->assign, NULL,
			       c->note ? "true" : "false"};
	PGresult *res = NULL;
	bool first, met;

	for (size_t i = 0; i < c->n_tags; i++) {
		if (i > 0)
			strcat(tags, "\n");
		strcat(tags, c->tags[i]);
	}
	vals[4] = c->n_tags > 0 ? tags : NULL;
	if (store_run(st, sql_apply, 6, vals, NULL, NULL, PGRES_TUPLES_OK,
		      "agent commands", &res, err) < 0)
		return -1;
	first = PQntuples(res) > 0 && PQgetvalue(res, 0, 0)[0] == 't';
	met = PQntuples(res) > 0 && PQgetvalue(res, 0, 1)[0] == 't';
	PQclear(res);
	if (c->priority != NULL && store_recount_due(st, ticket, cfg, err) < 0)
		return -1;
	if (!first)
		return 0;
	vals[1] = met ? "met" : "missed";
	return store_run(st, sql_first_response, 2, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "first response", NULL, err);
}

int
store_agent_mail(struct tg_store *st, const struct tg_ingest_mail *m,
		 int64_t ticket, int64_t message, const char **action_r,
		 struct tg_err *err)
{
	struct tg_pool *pool;
	struct tg_commands c;
	struct store_id t, msg;
	const char *vals[4];
	char detail[400];
	int ret = -1;

	if (!m->authenticated) {
		*action_r = "agent-unverified";
		snprintf(detail, sizeof(detail),
			 "%.300s: no trusted Authentication-Results pass; "
			 "kept as an internal note, relayed to no one",
			 m->agent_address);
		return keep_internal(st, ticket, message,
				     "unverified_agent_mail", detail, err);
	}
	pool = tg_pool_new(4096);
	tg_commands_parse(pool, m->reply_text, &c);
	if (check_assignee(st, pool, &c, err) < 0)
		goto out;
	vals[0] = store_id_param(&t, ticket);
	vals[1] = store_id_param(&msg, message);
	if (c.errors != NULL) {
		/* never applied halfway: none of it, and no relay */
		*action_r = "agent-command-error";
		vals[2] = m->agent_address;
		vals[3] = c.errors;
		if (keep_internal(st, ticket, message, "command_error",
				  c.errors, err) < 0 ||
		    store_run(st, sql_command_error, 4, vals, NULL, NULL,
			      PGRES_COMMAND_OK, "command error", NULL,
			      err) < 0)
			goto out;
		ret = 0;
		goto out;
	}
	if (c.note) {
		*action_r = "agent-note";
		ret = apply(st, &c, ticket, m->cfg, err) < 0
			      ? -1
			      : keep_internal(st, ticket, message, "note",
					      NULL, err);
		goto out;
	}
	/* the reply is queued before the commands, so that it goes out
	 * before the feedback request a #status solved queues */
	*action_r = "agent-reply";
	vals[2] = c.rest;
	if (store_run(st, sql_relay, 3, vals, NULL, NULL, PGRES_COMMAND_OK,
		      "relay", NULL, err) < 0)
		goto out;
	ret = apply(st, &c, ticket, m->cfg, err);
out:
	tg_pool_free(&pool);
	return ret;
}
