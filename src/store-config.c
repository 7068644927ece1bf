/* Mirrors parts of the configuration into the database, so that other
 * tools reading it (and foreign keys) see the same SLA policies. */
#include "store-private.h"
#include "ticketgate/config.h"

#include <stdio.h>

static const char sql_policy_upsert[] =
	"INSERT INTO sla_policy (name, calendar) VALUES ($1, $2) "
	"ON CONFLICT (name) DO UPDATE SET calendar = EXCLUDED.calendar";

static const char sql_target_upsert[] =
	"INSERT INTO sla_target (policy, priority, first_response_minutes, "
	"resolution_minutes) VALUES ($1, $2::ticket_priority, $3::integer, "
	"$4::integer) ON CONFLICT (policy, priority) DO UPDATE SET "
	"first_response_minutes = EXCLUDED.first_response_minutes, "
	"resolution_minutes = EXCLUDED.resolution_minutes";

static int
run(struct tg_store *st, const char *sql, int n, const char *const *vals,
    const char *what, struct tg_err *err)
{
	PGresult *res = PQexecParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_fail(st, res, what, err);
	PQclear(res);
	return ret;
}

static int
sync_policy(struct tg_store *st, const struct tg_config_sla_policy *p,
	    struct tg_err *err)
{
	const char *vals[4] = { p->name, p->calendar->name, NULL, NULL };
	char first[16], resolution[16];

	if (run(st, sql_policy_upsert, 2, vals, "sla_policy upsert", err) < 0)
		return -1;
	for (int pr = 0; pr < TG_PRIORITY_COUNT; pr++) {
		snprintf(first, sizeof(first), "%d",
			 (int)p->first_response_min[pr]);
		snprintf(resolution, sizeof(resolution), "%d",
			 (int)p->resolution_min[pr]);
		vals[1] = tg_priority_name((enum tg_priority)pr);
		vals[2] = first;
		vals[3] = resolution;
		if (run(st, sql_target_upsert, 4, vals, "sla_target upsert",
			err) < 0)
			return -1;
	}
	return 0;
}

int
tg_store_sync_config(struct tg_store *st, const struct tg_config *cfg,
		     struct tg_err *err)
{
	if (store_exec(st, "BEGIN", "config sync", err) < 0)
		return -1;
	for (size_t i = 0; i < cfg->n_sla_policies; i++) {
		if (sync_policy(st, &cfg->sla_policies[i], err) < 0) {
			store_exec(st, "ROLLBACK", "config sync", NULL);
			return -1;
		}
	}
	return store_exec(st, "COMMIT", "config sync", err);
}
