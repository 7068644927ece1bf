/* RFC 4180 CSV reader for admin imports; see csv.h. Parses untrusted
 * input (a CRM export): sizes are capped and bad records are skipped
 * whole so that the caller can report every problem in one run. */
#include "ticketgate/csv.h"
#include "ticketgate/charset.h"

#include <stdlib.h>
#include <string.h>

void
tg_csv_init(struct tg_csv *c, const char *data, size_t len)
{
	c->data = data;
	c->len = len;
	c->pos = 0;
	c->line = 1;
	/* spreadsheet programs write a BOM that is no part of the header */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		c->pos = 3;
}

void
tg_csv_record_init(struct tg_csv_record *r)
{
	memset(r, 0, sizeof(*r));
	tg_buf_init(&r->text, 256, TG_CSV_MAX_RECORD);
}

void
tg_csv_record_deinit(struct tg_csv_record *r)
{
	tg_buf_deinit(&r->text);
	free(r->field);
	free(r->off);
	memset(r, 0, sizeof(*r));
}

static int
start_field(struct tg_csv_record *r)
{
	if (r->n == TG_CSV_MAX_FIELDS)
		return -1;
	if (r->n == r->cap) {
		/* bounds: cap <= TG_CSV_MAX_FIELDS, no overflow */
		r->cap = r->cap == 0 ? 16 : r->cap * 2;
		r->off = tg_xrealloc(r->off, r->cap * sizeof(*r->off));
		r->field = tg_xrealloc(r->field, r->cap * sizeof(*r->field));
	}
	r->off[r->n++] = r->text.len;
	return 0;
}

/* Consumes a line end at pos (LF or CRLF); returns 1 if there was one. */
static int
eat_eol(struct tg_csv *c)
{
	if (c->pos < c->len && c->data[c->pos] == '\n') {
		c->pos++;
		c->line++;
		return 1;
	}
	if (c->pos + 1 < c->len && c->data[c->pos] == '\r' &&
	    c->data[c->pos + 1] == '\n') {
		c->pos += 2;
		c->line++;
		return 1;
	}
	return 0;
}

/* After an error outside quotes: drop the rest of the physical line. */
static void
skip_line(struct tg_csv *c)
{
	while (c->pos < c->len && !eat_eol(c))
		c->pos++;
}

int
tg_csv_next(struct tg_csv *c, struct tg_csv_record *r, struct tg_err *err)
{
	const char *why = NULL;

	tg_buf_reset(&r->text);
	r->n = 0;
	r->line = c->line;
	if (c->pos >= c->len)
		return 0;
	for (;;) {
		if (start_field(r) < 0) {
			why = "too many fields";
			goto bad;
		}
		if (c->pos < c->len && c->data[c->pos] == '"') {
			c->pos++;
			for (;;) {
				char ch;

				if (c->pos >= c->len) {
					/* nothing left to resynchronise on */
					tg_err_set(err,
						   "unterminated quoted field");
					return -1;
				}
				ch = c->data[c->pos++];
				if (ch == '"') {
					if (c->pos < c->len &&
					    c->data[c->pos] == '"')
						c->pos++;
					else
						break;
				} else if (ch == '\n') {
					c->line++;
				}
				if (tg_buf_putc(&r->text, ch) < 0) {
					why = "record too long";
					goto bad;
				}
			}
		} else {
			while (c->pos < c->len && c->data[c->pos] != ',' &&
			       c->data[c->pos] != '\n' &&
			       !(c->data[c->pos] == '\r' &&
				 c->pos + 1 < c->len &&
				 c->data[c->pos + 1] == '\n')) {
				if (c->data[c->pos] == '"') {
					why = "quote inside an unquoted field";
					goto bad;
				}
				if (tg_buf_putc(&r->text, c->data[c->pos++]) <
				    0) {
					why = "record too long";
					goto bad;
				}
			}
		}
		/* the field's terminating NUL separates it from the next */
		if (tg_buf_putc(&r->text, '\0') < 0) {
			why = "record too long";
			goto bad;
		}
		if (c->pos >= c->len || eat_eol(c))
			break;
		if (c->data[c->pos] != ',') {
			why = "text after a closing quote";
			goto bad;
		}
		c->pos++;
	}
	for (size_t i = 0; i < r->n; i++) {
		const char *f = r->text.data + r->off[i];
		size_t flen =
			(i + 1 < r->n ? r->off[i + 1] - 1 : r->text.len - 1) -
			r->off[i];

		/* a NUL would silently cut the field short */
		if (strlen(f) != flen || !tg_utf8_valid(f, flen)) {
			tg_err_set(err, "invalid UTF-8 in field %zu", i + 1);
			return -1;
		}
		r->field[i] = r->text.data + r->off[i];
	}
	return 1;
bad:
	tg_err_set(err, "%s", why);
	skip_line(c);
	return -1;
}
