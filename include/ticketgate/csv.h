/* A small RFC 4180 CSV reader for admin imports (CRM exports): quoted
 * fields with "" escapes, commas and newlines inside quotes, CRLF or LF
 * line ends, a leading UTF-8 BOM. Every field must be valid UTF-8. */
#ifndef TICKETGATE_CSV_H
#define TICKETGATE_CSV_H

#include <stddef.h>
#include "ticketgate/buf.h"
#include "ticketgate/err.h"

/* Limits that keep a hostile file from exhausting memory. */
#define TG_CSV_MAX_FIELDS 256
#define TG_CSV_MAX_RECORD (1024 * 1024)

/* Reads records from data[0..len), which the caller owns and keeps alive
 * while the reader is used. */
struct tg_csv {
	const char *data;
	size_t len;
	size_t pos;    /* next byte to read */
	unsigned line; /* physical line of data[pos], from 1 */
};

/* One record; its fields are NUL-terminated and owned by the record. */
struct tg_csv_record {
	char **field; /* field[0..n) point into text */
	size_t n;
	unsigned line; /* physical line the record starts on */
	struct tg_buf text;
	size_t *off; /* field offsets in text while parsing */
	size_t cap;
};

void tg_csv_init(struct tg_csv *c, const char *data, size_t len);
void tg_csv_record_init(struct tg_csv_record *r);
void tg_csv_record_deinit(struct tg_csv_record *r);

/* Reads the next record into r (replacing what it held). Returns 1 with r
 * filled, 0 at the end of the data, or -1 with err naming the problem and
 * r->line set; after -1 the reader has skipped the bad record, so calling
 * again continues with the next one and every problem can be reported. */
TG_MUST_CHECK int tg_csv_next(struct tg_csv *c, struct tg_csv_record *r,
			      struct tg_err *err);

#endif
