/* Several statements in one round trip: libpq's pipeline mode. On this
 * machine a round trip to PostgreSQL costs as much as a small statement's
 * own work, so statements that do not need each other's results are sent
 * together. */
#include "store-private.h"

#include <stdio.h>

/* Without prepared statements (or pipeline mode): one at a time. */
static int
one_by_one(struct tg_store *st, struct store_call *calls, size_t n,
	   struct tg_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct store_call *c = &calls[i];

		if (store_run(st, c->sql, c->n, c->vals, c->lens, c->fmts,
			      c->want, c->what, &c->res, err) < 0) {
			for (size_t k = 0; k < i; k++) {
				PQclear(calls[k].res);
				calls[k].res = NULL;
			}
			return -1;
		}
	}
	return 0;
}

/* Reads what the pipeline sent back: each statement's result, then the
 * NULL that ends it, then the sync. The first result that is not what
 * its statement wants fills err; later ones are PGRES_PIPELINE_ABORTED. */
static int
collect(struct tg_store *st, struct store_call *calls, size_t n,
	struct tg_err *err)
{
	PGresult *res;
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		res = PQgetResult(st->conn);
		if (res == NULL)
			return store_fail(st, NULL, calls[i].what, err);
		if (ret == 0 && PQresultStatus(res) != calls[i].want)
			ret = store_fail(st, res, calls[i].what, err);
		if (ret == 0)
			calls[i].res = res;
		else
			PQclear(res);
		while ((res = PQgetResult(st->conn)) != NULL) {
			PQclear(res);
			if (PQstatus(st->conn) != CONNECTION_OK)
				return store_fail(st, NULL, calls[i].what, err);
		}
	}
	res = PQgetResult(st->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && ret == 0)
		ret = store_fail(st, res, "pipeline sync", err);
	PQclear(res);
	return ret;
}

int
store_run_calls(struct tg_store *st, struct store_call *calls, size_t n,
		struct tg_err *err)
{
	char name[16];
	size_t sent = 0;
	int ret;

	for (size_t i = 0; i < n; i++)
		calls[i].res = NULL;
	for (size_t i = 0; i < n; i++)
		if (store_prepared(st, calls[i].sql, calls[i].n) < 0)
			return one_by_one(st, calls, n, err);
	if (PQenterPipelineMode(st->conn) != 1)
		return one_by_one(st, calls, n, err);
	for (; sent < n; sent++) {
		const struct store_call *c = &calls[sent];

		snprintf(name, sizeof(name), "tg%d",
			 store_prepared(st, c->sql, c->n));
		if (PQsendQueryPrepared(st->conn, name, c->n, c->vals, c->lens,
					c->fmts, 0) != 1)
			break;
	}
	if (sent < n || PQpipelineSync(st->conn) != 1) {
		/* only a lost connection refuses to queue: the session ends */
		ret = store_fail(st, NULL, calls[sent < n ? sent : 0].what,
				 err);
		if (err != NULL)
			err->temporary = true;
		return ret;
	}
	ret = collect(st, calls, n, err);
	if (PQexitPipelineMode(st->conn) != 1 && ret == 0)
		ret = store_fail(st, NULL, "pipeline end", err);
	if (ret < 0)
		for (size_t i = 0; i < n; i++) {
			PQclear(calls[i].res);
			calls[i].res = NULL;
		}
	return ret;
}
