/* Connection handling and error classification for the PostgreSQL store. */
#include "store-private.h"
#include "ticketgate/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SQLSTATEs after which the same work may succeed later. */
static bool
sqlstate_temporary(const char *state)
{
	static const char *const temporary[] = {
		"40001", /* serialization_failure */
		"40P01", /* deadlock_detected */
		"53300", /* too_many_connections */
		"57P01", /* admin_shutdown */
		"57P02", /* crash_shutdown */
		"57P03", /* cannot_connect_now */
	};

	if (state == NULL)
		return true; /* no server answer at all: the link failed */
	if (strncmp(state, "08", 2) == 0)
		return true;
	for (size_t i = 0; i < TG_N(temporary); i++)
		if (strcmp(state, temporary[i]) == 0)
			return true;
	return false;
}

static void
trim_newline(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

int
store_fail(struct tg_store *st, const PGresult *res, const char *what,
	   struct tg_err *err)
{
	const char *state = res != NULL
		? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	bool temp;

	if (msg == NULL || msg[0] == '\0')
		msg = PQerrorMessage(st->conn);
	temp = PQstatus(st->conn) != CONNECTION_OK || sqlstate_temporary(state);
	if (temp)
		tg_err_set_temp(err, "%s: %s", what, msg);
	else
		tg_err_set(err, "%s: %s", what, msg);
	if (err != NULL)
		trim_newline(err->msg);
	return -1;
}

int
store_exec(struct tg_store *st, const char *sql, const char *what,
	   struct tg_err *err)
{
	PGresult *res = PQexec(st->conn, sql);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = store_fail(st, res, what, err);
	PQclear(res);
	return ret;
}

/* Server notices ("relation already exists, skipping") are not errors and
 * must not reach the MTA's or journal's stderr. */
static void
ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int
tg_store_open(const char *conninfo, const char *password,
	      struct tg_store **st_r, struct tg_err *err)
{
	const char *keys[] = { "dbname", "password", "application_name",
			       "client_encoding", NULL };
	const char *vals[] = { conninfo, password, "ticketgate", "UTF8", NULL };
	struct tg_store *st;

	/* dbname may hold a whole conninfo string (expand_dbname=1); the
	 * password, when given, overrides nothing else in it */
	if (password == NULL) {
		keys[1] = "application_name";
		vals[1] = "ticketgate";
		keys[2] = "client_encoding";
		vals[2] = "UTF8";
		keys[3] = NULL;
		vals[3] = NULL;
	}
	st = tg_xcalloc(1, sizeof(*st));
	st->conn = PQconnectdbParams(keys, vals, 1);
	if (st->conn == NULL || PQstatus(st->conn) != CONNECTION_OK) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%s",
			 st->conn ? PQerrorMessage(st->conn) : "out of memory");
		trim_newline(msg);
		PQfinish(st->conn);
		free(st);
		/* a refused or failed connection is an outage until shown
		 * otherwise: the MTA and the poller retry */
		return tg_err_set_temp(err, "database connection failed: %s",
				       msg);
	}
	PQsetNoticeProcessor(st->conn, ignore_notice, NULL);
	*st_r = st;
	return 0;
}

void
tg_store_close(struct tg_store **stp)
{
	struct tg_store *st = *stp;

	if (st == NULL)
		return;
	PQfinish(st->conn);
	free(st);
	*stp = NULL;
}

const char *
store_id_param(struct store_id *t, int64_t id)
{
	if (id == 0)
		return NULL; /* SQL NULL */
	snprintf(t->s, sizeof(t->s), "%" PRId64, id);
	return t->s;
}

void
tg_store_one_shot(struct tg_store *st)
{
	st->unprepared = true;
}

/* The index of sql's prepared statement, preparing it on first use; -1
 * when it cannot be (the cache is full, or the transaction is aborted:
 * then running it unprepared reports the real error). Prepared
 * statements outlive transactions, so a ROLLBACK loses none. */
int
store_prepared(struct tg_store *st, const char *sql, int n)
{
	char name[16];
	PGresult *res;
	bool ok;

	if (st->unprepared)
		return -1;
	for (int i = 0; i < st->n_prepared; i++)
		if (st->prepared[i] == sql)
			return i;
	if (st->n_prepared >= STORE_MAX_PREPARED)
		return -1;
	snprintf(name, sizeof(name), "tg%d", st->n_prepared);
	res = PQprepare(st->conn, name, sql, n, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok)
		return -1;
	st->prepared[st->n_prepared] = sql;
	return st->n_prepared++;
}

static int
run(struct tg_store *st, const char *sql, int n, const char *const *vals,
    const int *lens, const int *fmts, bool prepare, ExecStatusType want,
    const char *what, PGresult **res_r, struct tg_err *err)
{
	int i = prepare ? store_prepared(st, sql, n) : -1;
	char name[16];
	PGresult *res;

	if (i < 0) {
		res = PQexecParams(st->conn, sql, n, NULL, vals, lens, fmts, 0);
	} else {
		snprintf(name, sizeof(name), "tg%d", i);
		res = PQexecPrepared(st->conn, name, n, vals, lens, fmts, 0);
	}
	if (PQresultStatus(res) != want) {
		int ret = store_fail(st, res, what, err);

		PQclear(res);
		return ret;
	}
	if (res_r != NULL)
		*res_r = res;
	else
		PQclear(res);
	return 0;
}

int
store_run(struct tg_store *st, const char *sql, int n,
	  const char *const *vals, const int *lens, const int *fmts,
	  ExecStatusType want, const char *what, PGresult **res_r,
	  struct tg_err *err)
{
	return run(st, sql, n, vals, lens, fmts, true, want, what, res_r, err);
}

int
store_run_unprepared(struct tg_store *st, const char *sql, int n,
		     const char *const *vals, ExecStatusType want,
		     const char *what, PGresult **res_r, struct tg_err *err)
{
	return run(st, sql, n, vals, NULL, NULL, false, want, what, res_r,
		   err);
}

int64_t
store_get_id(const PGresult *res, int row, int col)
{
	if (PQntuples(res) <= row || PQgetisnull(res, row, col))
		return 0;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int
store_query_id(struct tg_store *st, const char *sql, int n,
	       const char *const *vals, const char *what, int64_t *id_r,
	       struct tg_err *err)
{
	PGresult *res = NULL;

	if (store_run(st, sql, n, vals, NULL, NULL, PGRES_TUPLES_OK, what, &res,
		err) < 0)
		return -1;
	*id_r = store_get_id(res, 0, 0);
	PQclear(res);
	return 0;
}
