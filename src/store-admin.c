/* Admin writes to the store: the CRM account import (one transaction,
 * every problem reported, nothing kept unless all rows are good) and the
 * agent list. Values arrive as C strings and travel as $n parameters. */
#include "store-private.h"
#include "ticketgate/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs sql with text parameters and checks for the status expected; on
 * success *res_r holds the result for the caller to PQclear. */
static int
run(struct tg_store *st, const char *sql, int n, const char *const *vals,
    ExecStatusType want, const char *what, PGresult **res_r, struct tg_err *err)
{
	PGresult *res =
		PQexecParams(st->conn, sql, n, NULL, vals, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		store_fail(st, res, what, err);
		PQclear(res);
		*res_r = NULL;
		return -1;
	}
	*res_r = res;
	return 0;
}

static void
rollback(struct tg_store *st)
{
	struct tg_err ignored;

	/* the caller reports the first failure; a failed ROLLBACK on a
	 * lost connection adds nothing to it */
	(void)store_exec(st, "ROLLBACK", "rollback", &ignored);
}

static const char sql_policy_exists[] =
	"SELECT 1 FROM sla_policy WHERE name = $1";

static const char sql_account_upsert[] =
	"INSERT INTO account (crm_id, name, status, sla_policy) "
	"VALUES ($1, $2, $3::account_status, $4) "
	"ON CONFLICT (crm_id) DO UPDATE SET name = EXCLUDED.name, "
	"status = EXCLUDED.status, sla_policy = EXCLUDED.sla_policy, "
	"updated_at = now() "
	"RETURNING id, (xmax = 0)";

static const char sql_domains_clear[] =
	"DELETE FROM account_domain WHERE account_id = $1";

static const char sql_domain_insert[] =
	"INSERT INTO account_domain (domain, account_id) VALUES ($1, $2) "
	"ON CONFLICT (domain) DO NOTHING RETURNING 1";

static const char sql_domain_owner[] =
	"SELECT a.crm_id FROM account_domain d "
	"JOIN account a ON a.id = d.account_id WHERE d.domain = $1";

static const char sql_contact_upsert[] =
	"INSERT INTO contact (email, account_id) VALUES ($1, $2) "
	"ON CONFLICT (email) DO UPDATE SET account_id = EXCLUDED.account_id";

/* Pass 1 for one row: the policy must exist, then the account is upserted
 * and its old domains dropped, so that a domain moving between two
 * accounts of the same file is free whichever comes first. Returns 1 when
 * the row has a problem (reported), 0 or -1. */
static int
import_account(struct tg_store *st, const struct tg_account_row *row,
	       void (*problem)(void *, unsigned, const char *), void *arg,
	       char *id_r, size_t id_size, struct tg_account_import_counts *c,
	       struct tg_err *err)
{
	const char *vals[4];
	PGresult *res = NULL;
	char msg[300];
	int ret = 0;

	if (row->sla_policy != NULL) {
		vals[0] = row->sla_policy;
		if (run(st, sql_policy_exists, 1, vals, PGRES_TUPLES_OK,
			"sla_policy lookup", &res, err) < 0)
			return -1;
		if (PQntuples(res) == 0) {
			snprintf(msg, sizeof(msg), "unknown SLA policy \"%s\"",
				 row->sla_policy);
			problem(arg, row->line, msg);
			ret = 1;
			goto out;
		}
		PQclear(res);
		res = NULL;
	}
	vals[0] = row->crm_id;
	vals[1] = row->name;
	vals[2] = row->status;
	vals[3] = row->sla_policy;
	if (run(st, sql_account_upsert, 4, vals, PGRES_TUPLES_OK,
		"account upsert", &res, err) < 0)
		return -1;
	snprintf(id_r, id_size, "%s", PQgetvalue(res, 0, 0));
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		c->created++;
	else
		c->updated++;
	c->accounts++;
	PQclear(res);
	res = NULL;
	vals[0] = id_r;
	if (run(st, sql_domains_clear, 1, vals, PGRES_COMMAND_OK,
		"account_domain delete", &res, err) < 0)
		return -1;
out:
	PQclear(res);
	return ret;
}

/* Pass 2 for one row: its domains (each must be free) and contacts. */
static int
import_links(struct tg_store *st, const struct tg_account_row *row,
	     const char *id, void (*problem)(void *, unsigned, const char *),
	     void *arg, struct tg_account_import_counts *c, struct tg_err *err)
{
	const char *vals[2] = {NULL, id};
	PGresult *res = NULL;
	char msg[400];
	int ret = 0;

	for (size_t i = 0; i < row->n_domains; i++) {
		vals[0] = row->domains[i];
		if (run(st, sql_domain_insert, 2, vals, PGRES_TUPLES_OK,
			"account_domain insert", &res, err) < 0)
			return -1;
		if (PQntuples(res) == 1) {
			c->domains++;
			PQclear(res);
			continue;
		}
		PQclear(res);
		if (run(st, sql_domain_owner, 1, vals, PGRES_TUPLES_OK,
			"account_domain lookup", &res, err) < 0)
			return -1;
		snprintf(msg, sizeof(msg),
			 "domain %s already belongs to account %s",
			 row->domains[i],
			 PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "?");
		PQclear(res);
		problem(arg, row->line, msg);
		ret = 1;
	}
	for (size_t i = 0; i < row->n_contacts; i++) {
		vals[0] = row->contacts[i];
		if (run(st, sql_contact_upsert, 2, vals, PGRES_COMMAND_OK,
			"contact upsert", &res, err) < 0)
			return -1;
		PQclear(res);
		c->contacts++;
	}
	return ret;
}

int
tg_store_accounts_import(
	struct tg_store *st, const struct tg_account_row *rows, size_t n,
	void (*problem)(void *arg, unsigned line, const char *msg), void *arg,
	struct tg_account_import_counts *c_r, struct tg_err *err)
{
	char(*ids)[24] = tg_xcalloc(n ? n : 1, sizeof(*ids));
	int bad = 0, r;
	size_t i;

	memset(c_r, 0, sizeof(*c_r));
	if (store_exec(st, "BEGIN", "begin", err) < 0) {
		free(ids);
		return -1;
	}
	for (i = 0; i < n; i++) {
		r = import_account(st, &rows[i], problem, arg, ids[i],
				   sizeof(ids[i]), c_r, err);
		if (r < 0)
			goto fail;
		bad |= r;
	}
	for (i = 0; i < n; i++) {
		if (ids[i][0] == '\0')
			continue; /* the account itself had a problem */
		r = import_links(st, &rows[i], ids[i], problem, arg, c_r, err);
		if (r < 0)
			goto fail;
		bad |= r;
	}
	free(ids);
	if (bad) {
		rollback(st);
		return 1;
	}
	return store_exec(st, "COMMIT", "commit", err);
fail:
	free(ids);
	rollback(st);
	return -1;
}

static const char sql_agent_upsert[] =
	"WITH d AS (INSERT INTO department (name) "
	"SELECT $3::text WHERE $3::text IS NOT NULL "
	"ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id) "
	"INSERT INTO agent (email, name, department_id) "
	"VALUES ($1, coalesce($2::text, ''), (SELECT id FROM d)) "
	"ON CONFLICT (email) DO UPDATE SET "
	"name = coalesce($2::text, agent.name), "
	"department_id = coalesce(EXCLUDED.department_id, "
	"agent.department_id), "
	"active = true RETURNING (xmax = 0)";

int
tg_store_agent_add(struct tg_store *st, const char *email, const char *name,
		   const char *department, int *created_r, struct tg_err *err)
{
	const char *vals[3] = {email, name, department};
	PGresult *res;

	if (run(st, sql_agent_upsert, 3, vals, PGRES_TUPLES_OK, "agent upsert",
		&res, err) < 0)
		return -1;
	*created_r = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return 0;
}

static const char sql_agent_list[] =
	"SELECT a.email, a.name, coalesce(d.name, ''), a.active "
	"FROM agent a LEFT JOIN department d ON d.id = a.department_id "
	"ORDER BY a.email";

int
tg_store_agent_list(struct tg_store *st,
		    void (*fn)(void *arg, const struct tg_agent_info *a),
		    void *arg, struct tg_err *err)
{
	PGresult *res;

	if (run(st, sql_agent_list, 0, NULL, PGRES_TUPLES_OK, "agent list",
		&res, err) < 0)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		struct tg_agent_info a = {
			.email = PQgetvalue(res, i, 0),
			.name = PQgetvalue(res, i, 1),
			.department = PQgetvalue(res, i, 2),
			.active = strcmp(PQgetvalue(res, i, 3), "t") == 0,
		};

		fn(arg, &a);
	}
	PQclear(res);
	return 0;
}

static const char sql_agent_delete[] = "DELETE FROM agent WHERE email = $1";

int
tg_store_agent_remove(struct tg_store *st, const char *email,
		      struct tg_err *err)
{
	const char *vals[1] = {email};
	PGresult *res;
	int found;

	/* messages keep their text; their agent_id becomes NULL (FK) */
	if (run(st, sql_agent_delete, 1, vals, PGRES_COMMAND_OK, "agent delete",
		&res, err) < 0)
		return -1;
	found = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return found;
}
