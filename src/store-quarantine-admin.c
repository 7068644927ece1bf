/* The quarantine's admin side: list, fetch, mark, re-reason and delete
 * entries for `ticketgate quarantine`. Adding entries is in
 * store-quarantine.c, next to the pipeline that needs it. */
#include "store-private.h"
#include "ticketgate/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* received_at as UTC ISO 8601 in SQL, so the output never depends on the
 * session's TimeZone setting. */
#define SQL_RECEIVED_AT \
	"to_char(received_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define SQL_REPROCESSED_AT \
	"coalesce(to_char(reprocessed_at AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

/* Column order shared by list and get: see entry_from_row(). */
static const char sql_quarantine_list[] =
	"SELECT id, " SQL_RECEIVED_AT ", source, coalesce(envelope_to, ''), "
	"reason, octet_length(raw), " SQL_REPROCESSED_AT " FROM quarantine "
	"WHERE $1 OR reprocessed_at IS NULL ORDER BY id";

static const char sql_quarantine_get[] =
	"SELECT id, " SQL_RECEIVED_AT ", source, coalesce(envelope_to, ''), "
	"reason, octet_length(raw), " SQL_REPROCESSED_AT ", raw "
	"FROM quarantine WHERE id = $1";

/* Points e's fields into row of a text-format result of
 * sql_quarantine_list; they live as long as res. */
static void
entry_from_row(const PGresult *res, int row, struct tg_quarantine_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
	e->received_at = PQgetvalue(res, row, 1);
	e->source = PQgetvalue(res, row, 2);
	e->envelope_to = PQgetvalue(res, row, 3);
	e->reason = PQgetvalue(res, row, 4);
	e->size = (size_t)strtoull(PQgetvalue(res, row, 5), NULL, 10);
	e->reprocessed_at = PQgetvalue(res, row, 6);
}

int
tg_store_quarantine_list(struct tg_store *st, bool all,
			 int (*fn)(const struct tg_quarantine_entry *e,
				   void *arg),
			 void *arg, struct tg_err *err)
{
	const char *vals[1] = { all ? "true" : "false" };
	struct tg_quarantine_entry e;
	PGresult *res;
	int ret = 0;

	res = PQexecParams(st->conn, sql_quarantine_list, 1, NULL, vals, NULL,
			   NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = store_fail(st, res, "quarantine list", err);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		entry_from_row(res, i, &e);
		if (fn(&e, arg) < 0) {
			ret = tg_err_set(err, "quarantine list: output failed");
			goto out;
		}
	}
out:
	PQclear(res);
	return ret;
}

int
tg_store_quarantine_get(struct tg_store *st, int64_t id,
			struct tg_quarantine_entry *e_r, struct tg_err *err)
{
	char idbuf[24];
	const char *vals[1] = { idbuf };
	struct tg_quarantine_entry e;
	PGresult *res;
	size_t raw_len;
	int ret;

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	/* binary results: the raw column arrives byte-exact without a hex
	 * round trip; text columns look the same in both formats */
	res = PQexecParams(st->conn, sql_quarantine_get, 1, NULL, vals, NULL,
			   NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = store_fail(st, res, "quarantine get", err);
		goto out;
	}
	if (PQntuples(res) == 0) {
		ret = 0;
		goto out;
	}
	/* in binary format id is an int8 and octet_length an int4, both in
	 * network byte order; decode them rather than parse text */
	memset(&e, 0, sizeof(e));
	{
		const unsigned char *p =
			(const unsigned char *)PQgetvalue(res, 0, 0);
		uint64_t v = 0;

		for (int i = 0; i < 8; i++)
			v = v << 8 | p[i];
		e.id = (int64_t)v;
	}
	e.received_at = tg_xstrdup(PQgetvalue(res, 0, 1));
	e.source = tg_xstrdup(PQgetvalue(res, 0, 2));
	e.envelope_to = tg_xstrdup(PQgetvalue(res, 0, 3));
	e.reason = tg_xstrdup(PQgetvalue(res, 0, 4));
	e.reprocessed_at = tg_xstrdup(PQgetvalue(res, 0, 6));
	raw_len = (size_t)PQgetlength(res, 0, 7);
	/* one spare byte: callers hand raw to the parser as a C string */
	e.raw = tg_xmalloc(raw_len + 1);
	memcpy(e.raw, PQgetvalue(res, 0, 7), raw_len);
	e.raw[raw_len] = '\0';
	e.size = raw_len;
	*e_r = e;
	ret = 1;
out:
	PQclear(res);
	return ret;
}

void
tg_quarantine_entry_free(struct tg_quarantine_entry *e)
{
	/* the const fields were allocated by tg_store_quarantine_get() */
	free((char *)e->received_at);
	free((char *)e->source);
	free((char *)e->envelope_to);
	free((char *)e->reason);
	free((char *)e->reprocessed_at);
	free(e->raw);
	memset(e, 0, sizeof(*e));
}

static const char sql_quarantine_mark[] =
	"UPDATE quarantine SET reprocessed_at = now() "
	"WHERE id = $1 AND reprocessed_at IS NULL";

static const char sql_quarantine_reason[] =
	"UPDATE quarantine SET reason = $2 WHERE id = $1";

static const char sql_quarantine_delete[] =
	"DELETE FROM quarantine WHERE id = $1";

/* Runs one of the single-row statements above; 1 when a row changed. */
static int
run_by_id(struct tg_store *st, const char *sql, const char *what,
	  int64_t id, const char *text, struct tg_err *err)
{
	char idbuf[24];
	const char *vals[2] = { idbuf, text };
	PGresult *res;
	int ret;

	snprintf(idbuf, sizeof(idbuf), "%" PRId64, id);
	res = PQexecParams(st->conn, sql, text != NULL ? 2 : 1, NULL, vals,
			   NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_fail(st, res, what, err);
	else
		ret = strcmp(PQcmdTuples(res), "0") != 0 ? 1 : 0;
	PQclear(res);
	return ret;
}

int
tg_store_quarantine_mark_reprocessed(struct tg_store *st, int64_t id,
				     struct tg_err *err)
{
	return run_by_id(st, sql_quarantine_mark, "quarantine mark", id, NULL,
			 err);
}

int
tg_store_quarantine_set_reason(struct tg_store *st, int64_t id,
			       const char *reason, struct tg_err *err)
{
	return run_by_id(st, sql_quarantine_reason, "quarantine reason", id,
			 reason, err);
}

int
tg_store_quarantine_delete(struct tg_store *st, int64_t id,
			   struct tg_err *err)
{
	return run_by_id(st, sql_quarantine_delete, "quarantine delete", id,
			 NULL, err);
}
