/* The quarantine: mail that could not be parsed or stored, kept whole with
 * its raw bytes and the reason, so nothing is ever dropped. */
#include "store-private.h"

#include <stdint.h>

static const char sql_quarantine_add[] =
	"INSERT INTO quarantine (source, envelope_to, reason, raw, raw_sha256, "
	"from_address, kind) "
	"SELECT $1, $2, $3, $4, $5, lower($6), $7 WHERE NOT EXISTS "
	"(SELECT 1 FROM quarantine WHERE raw_sha256 = $5 "
	"AND reprocessed_at IS NULL)";

int
tg_store_quarantine_add(struct tg_store *st, const struct tg_quarantine_item *q,
			struct tg_err *err)
{
	const char *vals[7] = {q->source, q->envelope_to, q->reason, q->raw,
			       (const char *)q->sha256, q->from_address,
			       q->kind};
	int lens[7] = {0, 0, 0, 0, 32, 0, 0};
	const int fmts[7] = {0, 0, 0, 1, 1, 0, 0};
	PGresult *res;
	int ret = 0;

	/* bounds: libpq takes an int length; the caller caps messages far
	 * below INT_MAX (25 MiB + 1) */
	if (q->len > INT32_MAX)
		return tg_err_set(err, "quarantine: message of %zu bytes",
				  q->len);
	lens[3] = (int)q->len;
	res = PQexecParams(st->conn, sql_quarantine_add, 7, NULL, vals, lens,
			   fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_fail(st, res, "quarantine", err);
	PQclear(res);
	return ret;
}
