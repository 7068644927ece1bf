/* Internals shared by the store's files. */
#ifndef TICKETGATE_STORE_PRIVATE_H
#define TICKETGATE_STORE_PRIVATE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include "ticketgate/store.h"

/* More distinct statements than this run unprepared. */
#define STORE_MAX_PREPARED 96

struct tg_store {
	PGconn *conn;
	/* inside tg_store_batch_begin(): each ingest is a savepoint when
	 * guarded; in an unguarded batch a failing one spoils the batch */
	bool in_batch, guarded, spoiled;
	/* store_run()'s statements prepared on this connection, by the
	 * address of their (static) text; statement i is named "tg<i>" */
	const char *prepared[STORE_MAX_PREPARED];
	int n_prepared;
	bool unprepared; /* tg_store_one_shot(): prepare nothing */
};

/* Fills err from a failed result (or the connection when res is NULL),
 * marking connection loss, shutdowns, deadlocks and serialization
 * failures temporary. Returns -1. */
int store_fail(struct tg_store *st, const PGresult *res, const char *what,
	       struct tg_err *err);

/* Runs a statement without parameters that returns no rows. */
int store_exec(struct tg_store *st, const char *sql, const char *what,
	       struct tg_err *err);

/* Ids and numbers travel as text parameters; 21 bytes hold any int64. */
struct store_id {
	char s[24];
};

/* id as a text parameter in t, or NULL (SQL NULL) for 0. */
const char *store_id_param(struct store_id *t, int64_t id);

/* Runs sql, which must be a string constant (it is prepared once per
 * connection, keyed by its address: parsing and planning were a quarter
 * of the database's work per message), with lens/fmts NULL for text
 * parameters, and checks for status want. On success *res_r (when not
 * NULL) holds the result for the caller to PQclear; on failure nothing
 * is left to clear and err is filled. */
int store_run(struct tg_store *st, const char *sql, int n,
	      const char *const *vals, const int *lens, const int *fmts,
	      ExecStatusType want, const char *what, PGresult **res_r,
	      struct tg_err *err);

/* The same with text parameters, planned each time for the table sizes
 * of the moment: for a statement whose best plan changes as a table
 * grows, where a plan cached while it was small would later read all of
 * it. */
int store_run_unprepared(struct tg_store *st, const char *sql, int n,
			 const char *const *vals, ExecStatusType want,
			 const char *what, PGresult **res_r,
			 struct tg_err *err);

/* The index i of sql's prepared statement ("tg<i>"), preparing it on
 * first use; -1 when it cannot be (then run it unprepared). */
int store_prepared(struct tg_store *st, const char *sql, int n);

/* One statement of store_run_calls(), with store_run()'s arguments. */
struct store_call {
	const char *sql;
	int n;
	const char *const *vals;
	const int *lens, *fmts;
	ExecStatusType want;
	const char *what;
	PGresult *res; /* out: the result, for the caller to PQclear */
};

/* Runs calls[0..n) in order in one round trip (libpq's pipeline mode),
 * for statements whose parameters do not depend on each other's
 * results. Each still runs alone, with a snapshot taken after the one
 * before it finished. Returns 0 when each gave its want, the results in
 * calls[i].res; -1 with err from the first that did not, and nothing
 * left to clear. */
int store_run_calls(struct tg_store *st, struct store_call *calls, size_t n,
		    struct tg_err *err);

/* The int64 in row, col; 0 for no such row or NULL. */
int64_t store_get_id(const PGresult *res, int row, int col);

/* Runs a query whose first column of the first row is an id (0: no row or
 * NULL). */
int store_query_id(struct tg_store *st, const char *sql, int n,
		   const char *const *vals, const char *what, int64_t *id_r,
		   struct tg_err *err);

/* Counts the ticket's SLA due times again for its current priority, from
 * its creation, under the policy it was created with (a changed priority
 * has other targets). Nothing changes without cfg or a policy. */
struct tg_config;
int store_recount_due(struct tg_store *st, int64_t ticket_id,
		      const struct tg_config *cfg, struct tg_err *err);

#endif
