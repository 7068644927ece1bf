/* The PostgreSQL store: the only module that speaks SQL. Every statement is
 * a constant with $n placeholders run through PQexecParams. */
#ifndef TICKETGATE_STORE_H
#define TICKETGATE_STORE_H

#include "ticketgate/err.h"

struct tg_store;

/* Connects with a libpq conninfo string; password (may be NULL) comes from
 * the configured file and is passed separately so it is never part of a
 * string that could be logged. Fails temporary when the server is down. */
TG_MUST_CHECK int tg_store_open(const char *conninfo, const char *password,
				struct tg_store **st_r, struct tg_err *err);
void tg_store_close(struct tg_store **stp);

/* Applies the schema files NNNN_name.sql of schema_dir that are not yet
 * applied, in order, each in its own transaction, under an advisory lock
 * so that two runs at once apply each file once. *applied_r counts them. */
TG_MUST_CHECK int tg_store_migrate(struct tg_store *st, const char *schema_dir,
				   int *applied_r, struct tg_err *err);

#endif
