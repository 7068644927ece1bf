/* The quarantine: mail that could not be parsed or stored, kept whole with
 * its raw bytes and the reason, so nothing is ever dropped. */
#include "store-private.h"

#include <stdint.h>

static const char sql_quarantine_add[] =
	"INSERT INTO quarantine (source, envelope_to, reason, raw, raw_sha256) "
	"SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS "
	"(SELECT 1 FROM quarantine WHERE raw_sha256 = $5 "
	"AND reprocessed_at IS NULL)";

int
tg_store_quarantine_add(struct tg_store *st, const char *source,
			const char *envelope_to, const char *reason,
			const void *raw, size_t len,
			const unsigned char sha256[32], struct tg_err *err)
{
	const char *vals[5] = {source, envelope_to, reason, raw,
			       (const char *)sha256};
	int lens[5] = {0, 0, 0, 0, 32};
	const int fmts[5] = {0, 0, 0, 1, 1};
	PGresult *res;
	int ret = 0;

	/* bounds: libpq takes an int length; the caller caps messages far
	 * below INT_MAX (25 MiB + 1) */
	if (len > INT32_MAX)
		return tg_err_set(err, "quarantine: message of %zu bytes", len);
	lens[3] = (int)len;
	res = PQexecParams(st->conn, sql_quarantine_add, 5, NULL, vals, lens,
			   fmts, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_fail(st, res, "quarantine", err);
	PQclear(res);
	return ret;
}
