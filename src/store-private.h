/* Internals shared by the store's files. */
#ifndef TICKETGATE_STORE_PRIVATE_H
#define TICKETGATE_STORE_PRIVATE_H

#include <libpq-fe.h>
#include "ticketgate/store.h"

struct tg_store {
	PGconn *conn;
};

/* Fills err from a failed result (or the connection when res is NULL),
 * marking connection loss, shutdowns, deadlocks and serialization
 * failures temporary. Returns -1. */
int store_fail(struct tg_store *st, const PGresult *res, const char *what,
	       struct tg_err *err);

/* Runs a statement without parameters that returns no rows. */
int store_exec(struct tg_store *st, const char *sql, const char *what,
	       struct tg_err *err);

#endif
