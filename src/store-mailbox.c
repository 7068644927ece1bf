/* What the IMAP poller keeps in the database: its position in each
 * mailbox, the batch transaction that writes messages and position
 * together, and the lock that lets one daemon at a time work a mailbox. */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

int
tg_store_batch_begin(struct tg_store *st, bool guarded, struct tg_err *err)
{
	st->spoiled = false;
	if (store_exec(st, "BEGIN", "batch begin", err) < 0)
		return -1;
	st->in_batch = true;
	st->guarded = guarded;
	return 0;
}

bool
tg_store_batch_spoiled(const struct tg_store *st)
{
	return st->spoiled;
}

int
tg_store_batch_commit(struct tg_store *st, struct tg_err *err)
{
	st->in_batch = false;
	if (store_exec(st, "COMMIT", "batch commit", err) < 0) {
		tg_store_batch_abort(st);
		/* the outcome of a COMMIT that got no answer is unknown;
		 * the batch is repeated and the repeats are absorbed */
		if (PQstatus(st->conn) != CONNECTION_OK)
			err->temporary = true;
		return -1;
	}
	return 0;
}

void
tg_store_batch_abort(struct tg_store *st)
{
	struct tg_err ignored;

	st->in_batch = false;
	(void)store_exec(st, "ROLLBACK", "batch rollback", &ignored);
}

static const char sql_position_get[] =
	"SELECT uidvalidity, last_uid FROM mailbox_state WHERE mailbox = $1";

int
tg_store_mailbox_position(struct tg_store *st, const char *mailbox,
			  uint32_t *uidvalidity_r, uint32_t *last_uid_r,
			  struct tg_err *err)
{
	const char *vals[1] = {mailbox};
	PGresult *res = NULL;
	int found;

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	if (store_run(st, sql_position_get, 1, vals, NULL, NULL,
		      PGRES_TUPLES_OK, "mailbox position", &res, err) < 0)
		return -1;
	found = PQntuples(res) > 0;
	if (found) {
		*uidvalidity_r = (uint32_t)store_get_id(res, 0, 0);
		*last_uid_r = (uint32_t)store_get_id(res, 0, 1);
	}
	PQclear(res);
	return found;
}

static const char sql_position_set[] =
	"INSERT INTO mailbox_state (mailbox, uidvalidity, last_uid) "
	"VALUES ($1, $2::bigint, $3::bigint) ON CONFLICT (mailbox) DO UPDATE "
	"SET uidvalidity = EXCLUDED.uidvalidity, "
	"last_uid = EXCLUDED.last_uid, updated_at = now()";

int
tg_store_mailbox_set_position(struct tg_store *st, const char *mailbox,
			      uint32_t uidvalidity, uint32_t last_uid,
			      struct tg_err *err)
{
	char v[16], u[16];
	const char *vals[3] = {mailbox, v, u};

	snprintf(v, sizeof(v), "%" PRIu32, uidvalidity);
	snprintf(u, sizeof(u), "%" PRIu32, last_uid);
	return store_run(st, sql_position_set, 3, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "mailbox position update", NULL,
			 err);
}

/* Session locks in their own class (the first key), so they never meet
 * the migration lock; two names with the same hash only take turns. */
static const char sql_mailbox_lock[] =
	"SELECT pg_try_advisory_lock(7451, hashtext($1))";

int
tg_store_mailbox_lock(struct tg_store *st, const char *mailbox,
		      struct tg_err *err)
{
	const char *vals[1] = {mailbox};
	PGresult *res = NULL;
	int got;

	if (store_run(st, sql_mailbox_lock, 1, vals, NULL, NULL,
		      PGRES_TUPLES_OK, "mailbox lock", &res, err) < 0)
		return -1;
	got = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return got;
}
