/* The CSV reader: each case is an input and the records it yields, written
 * as "line:field|field" per record, or "line:!" for a rejected record. */
#include "tg-test.h"
#include "ticketgate/buf.h"
#include "ticketgate/csv.h"

static const struct {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *want;
} cases[] = {
	{"", 0, ""},
	{"a,b,c\n", 0, "1:a|b|c;"},
	{"a,b,c", 0, "1:a|b|c;"},
	{"a,b\r\nc,d\r\n", 0, "1:a|b;2:c|d;"},
	{"\xEF\xBB\xBFid,name\n", 0, "1:id|name;"},
	{"\"x,y\",\"say \"\"hi\"\"\"\n", 0, "1:x,y|say \"hi\";"},
	{"\"two\nlines\",z\nnext\n", 0, "1:two\nlines|z;3:next;"},
	{"\"crlf\r\ninside\"\r\nq\r\n", 0, "1:crlf\r\ninside;3:q;"},
	{",,\n", 0, "1:||;"},
	{"\"\"\n", 0, "1:;"},
	{"a\n\nb\n", 0, "1:a;2:;3:b;"},
	{"lone\rcr\n", 0, "1:lone\rcr;"},
	{"ok\nbad\"quote\nok2\n", 0, "1:ok;2:!;3:ok2;"},
	{"\"x\"y,z\nok\n", 0, "1:!;2:ok;"},
	{"a\n\"open\nnever closed\n", 0, "1:a;2:!;"},
	{"caf\xC3\xA9\n\xFF\xFE,x\nok\n", 0, "1:caf\xC3\xA9;2:!;3:ok;"},
	{"nul\0byte\nok\n", 12, "1:!;2:ok;"},
	{"'; DROP TABLE account; --,x\n", 0, "1:'; DROP TABLE account; --|x;"},
};

static void
dump(const char *in, size_t len, struct tg_buf *out)
{
	struct tg_csv_record r;
	struct tg_err err;
	struct tg_csv c;
	int ret;

	/* out's cap is far above any case's dump, so the (void) appends
	 * cannot fail; a truncated dump would show as a mismatch anyway */
	tg_csv_init(&c, in, len);
	tg_csv_record_init(&r);
	while ((ret = tg_csv_next(&c, &r, &err)) != 0) {
		if (tg_buf_appendf(out, "%u:", r.line) < 0)
			break;
		if (ret < 0) {
			(void)tg_buf_puts(out, "!;");
			continue;
		}
		for (size_t i = 0; i < r.n; i++)
			(void)tg_buf_appendf(out, "%s%s", i ? "|" : "",
					     r.field[i]);
		(void)tg_buf_puts(out, ";");
	}
	tg_csv_record_deinit(&r);
}

int
main(void)
{
	struct tg_buf out;

	for (size_t i = 0; i < TG_N(cases); i++) {
		size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);

		tg_buf_init(&out, 64, 4096);
		dump(cases[i].in, len, &out);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&out), cases[i].want, i);
		tg_buf_deinit(&out);
	}

	/* too many fields: rejected, and the next line still reads */
	tg_buf_init(&out, 64, 4096);
	{
		struct tg_buf in;

		tg_buf_init(&in, 1024, 0);
		for (int i = 0; i <= TG_CSV_MAX_FIELDS; i++)
			(void)tg_buf_puts(&in, "x,");
		(void)tg_buf_puts(&in, "\nok\n");
		dump(in.data, in.len, &out);
		TG_CHECK_STREQ(tg_buf_cstr(&out), "1:!;2:ok;");
		tg_buf_deinit(&in);
	}
	tg_buf_deinit(&out);
	return tg_test_done();
}
