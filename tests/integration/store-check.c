/* Checks the store's statements sent in one round trip (store-calls.c,
 * libpq's pipeline mode) against the PostgreSQL that test-store.sh
 * starts; argv[1] is its conninfo. Exits 0 only if every check passed. */
#include "store-private.h"
#include "tg-test.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char sql_divide[] = "SELECT 6 / $1::int";
static const char sql_plus_one[] = "SELECT $1::int + 1";
static const char sql_insert[] = "INSERT INTO calls_check VALUES ($1::int)";

static int64_t
value(PGresult *res)
{
	int64_t v = store_get_id(res, 0, 0);

	PQclear(res);
	return v;
}

static int64_t
count_rows(struct tg_store *st)
{
	static const char sql[] = "SELECT count(*) FROM calls_check";
	int64_t n = -1;
	struct tg_err err = {0};

	TG_CHECK(store_query_id(st, sql, 0, NULL, "count", &n, &err) == 0);
	return n;
}

/* calls[0] divides 6 by its parameter: with "2" all three run, each with
 * its result, and one row is added; with "0" the first fails with its
 * own error, not temporary, the others do not run, and nothing is left
 * to clear. */
static void
check_calls(struct tg_store *st, struct store_call *calls, bool fail,
	    int64_t rows_after)
{
	static const char *const two[1] = {"2"}, *const zero[1] = {"0"};
	struct tg_err err = {0};

	calls[0].vals = fail ? zero : two;
	if (!fail) {
		TG_CHECK(store_run_calls(st, calls, 3, &err) == 0);
		TG_CHECK(value(calls[0].res) == 3);
		TG_CHECK(value(calls[1].res) == 8);
		PQclear(calls[2].res);
	} else {
		TG_CHECK(store_run_calls(st, calls, 3, &err) == -1);
		TG_CHECK(strstr(err.msg, "divide: ERROR:  division by zero") ==
			 err.msg);
		TG_CHECK(!err.temporary);
		TG_CHECK(calls[0].res == NULL && calls[1].res == NULL &&
			 calls[2].res == NULL);
	}
	if (rows_after >= 0)
		TG_CHECK(count_rows(st) == rows_after);
}

int
main(int argc, char **argv)
{
	struct tg_store *st = NULL;
	struct tg_err err = {0};
	const char *seven[1] = {"7"};
	struct store_call calls[3] = {
		{sql_divide, 1, NULL, NULL, NULL, PGRES_TUPLES_OK, "divide", NULL},
		{sql_plus_one, 1, seven, NULL, NULL, PGRES_TUPLES_OK, "plus one",
		 NULL},
		{sql_insert, 1, seven, NULL, NULL, PGRES_COMMAND_OK, "insert",
		 NULL},
	};

	if (argc != 2 || tg_store_open(argv[1], NULL, &st, &err) < 0) {
		fprintf(stderr, "store-check CONNINFO: %s\n", err.msg);
		return 1;
	}
	TG_CHECK(store_exec(st, "CREATE TABLE calls_check (v int)", "create",
			    &err) == 0);

	/* in one round trip; a failure leaves the connection usable */
	check_calls(st, calls, false, 1);
	check_calls(st, calls, true, 1);

	/* inside a transaction: the failure aborts it, as one statement
	 * failing would; the rollback leaves the connection usable */
	TG_CHECK(store_exec(st, "BEGIN", "begin", &err) == 0);
	check_calls(st, calls, false, -1);
	check_calls(st, calls, true, -1);
	TG_CHECK(store_exec(st, "SELECT 1", "in aborted", &err) == -1);
	TG_CHECK(store_exec(st, "ROLLBACK", "rollback", &err) == 0);
	TG_CHECK(count_rows(st) == 1);

	/* with nothing prepared (one-shot connections): one at a time */
	tg_store_close(&st);
	TG_CHECK(tg_store_open(argv[1], NULL, &st, &err) == 0);
	if (st != NULL) {
		tg_store_one_shot(st);
		check_calls(st, calls, false, 2);
		check_calls(st, calls, true, 2);
		tg_store_close(&st);
	}
	return tg_test_done();
}
