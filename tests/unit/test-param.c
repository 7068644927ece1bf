/* Unit tests for tg_param_parse / tg_param_get: a table whose expected
 * values come from python3's email package (policy.default: get_param()
 * through collapse_rfc2231_value), plus hostile-input checks. The parser
 * under test parses untrusted input.
 */
#include "ticketgate/param.h"
#include "ticketgate/charset.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PARAMS 4

struct param_case {
	const char *in;
	const char *value;
	size_t n;
	const char *kv[2 * MAX_PARAMS];
};

/* Expected from python3, with our conventions: bytes that are not UTF-8
 * read as Windows-1252 (Python: U+FFFD), NUL dropped, a parameter that
 * is there twice listed once, and where Python raises, the broken
 * parameter dropped. */
static const struct param_case cases[] = {
	/* simple */
	{ "text/plain; charset=utf-8", "text/plain", 1, { "charset", "utf-8" } },
	/* case and blanks */
	{ "TEXT/Plain ; Charset=\"UTF-8\"", "text/plain", 1, { "charset", "UTF-8" } },
	/* comment after type is part of it */
	{ "text/plain (comment); charset=x", "text/plain (comment)", 1, { "charset", "x" } },
	/* blanks around slash kept */
	{ "text / plain", "text / plain", 0, { NULL } },
	/* no parameters */
	{ "text/html", "text/html", 0, { NULL } },
	/* empty */
	{ "", "", 0, { NULL } },
	/* trailing semicolon */
	{ "text/plain;", "text/plain", 0, { NULL } },
	/* multipart boundary quoted */
	{ "multipart/mixed; boundary=\"----=_Part_1234_5678.1700000000000\"", "multipart/mixed", 1, { "boundary", "----=_Part_1234_5678.1700000000000" } },
	/* unquoted boundary stops at = */
	{ "multipart/mixed; boundary=----=_Part_1", "multipart/mixed", 1, { "boundary", "----" } },
	/* boundary trailing blank kept (caller rstrips) */
	{ "multipart/alternative; boundary=\"abc \"", "multipart/alternative", 1, { "boundary", "abc " } },
	/* boundary leading blank kept */
	{ "multipart/alternative; boundary=\" abc\"", "multipart/alternative", 1, { "boundary", " abc" } },
	/* rfc2047 in quoted filename */
	{ "attachment; filename=\"=\?UTF-8\?Q\?Rechnung_M=C3=A4rz.txt\?=\"", "attachment", 1, { "filename", "Rechnung M\xc3\xa4rz.txt" } },
	/* rfc2047 b in quoted name */
	{ "application/pdf; name=\"=\?utf-8\?B\?UmVjaG51bmcucGRm\?=\"", "application/pdf", 1, { "name", "Rechnung.pdf" } },
	/* two encoded words in quotes, blank dropped */
	{ "attachment; filename=\"=\?utf-8\?q\?a\?= =\?utf-8\?q\?b\?=\"", "attachment", 1, { "filename", "ab" } },
	/* utf-8 char split over two words */
	{ "attachment; filename=\"=\?utf-8\?q\?=C3\?= =\?utf-8\?q\?=A9\?=\"", "attachment", 1, { "filename", "\xc3\xa9" } },
	/* encoded word glued to text stays */
	{ "attachment; filename=\"x=\?utf-8\?q\?a\?=\"", "attachment", 1, { "filename", "x=\?utf-8\?q\?a\?=" } },
	/* encoded word runs past the quote */
	{ "attachment; filename=\"=\?utf-8\?q\?a\" b\?=\"", "attachment", 1, { "filename", "a\" b" } },
	/* unquoted value starting with = drops the parameter */
	{ "attachment; filename==\?utf-8\?q\?a\?=", "attachment", 0, { NULL } },
	/* rfc2231 simple */
	{ "attachment; filename*=utf-8''caf%C3%A9.txt", "attachment", 1, { "filename", "caf\xc3\xa9.txt" } },
	/* rfc2231 latin1 with language */
	{ "attachment; filename*=iso-8859-1'en'caf%E9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* rfc2231 unknown charset */
	{ "attachment; filename*=bogus''caf%C3%A9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* rfc2231 unknown charset, latin1 byte */
	{ "attachment; filename*=bogus''caf%E9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* rfc2231 no charset delimiters */
	{ "attachment; filename*=%C3%A9", "attachment", 1, { "filename", "\xc3\xa9" } },
	/* rfc2231 empty charset */
	{ "attachment; filename*=''abc%20d", "attachment", 1, { "filename", "abc d" } },
	/* rfc2231 continuations mixed */
	{ "attachment; filename*0=\"a\"; filename*1*=%C3%A9; filename*2=\"b c\"", "attachment", 1, { "filename", "a\xc3\xa9""b c" } },
	/* rfc2231 continuations out of order */
	{ "attachment; filename*1=b; filename*0=a", "attachment", 1, { "filename", "ab" } },
	/* rfc2231 missing segment */
	{ "attachment; filename*0=a; filename*2=c", "attachment", 1, { "filename", "a" } },
	/* rfc2231 char split over segments */
	{ "attachment; filename*0*=utf-8''a%C3; filename*1*=%A9b", "attachment", 1, { "filename", "a\xc3\xa9""b" } },
	/* rfc2231 beats later plain */
	{ "attachment; filename*=utf-8''caf%C3%A9.txt; filename=x", "attachment", 1, { "filename", "caf\xc3\xa9.txt" } },
	/* plain beats later rfc2231 */
	{ "attachment; filename=x; filename*=utf-8''y", "attachment", 1, { "filename", "x" } },
	/* rfc2231 quoted (invalid) value accepted */
	{ "attachment; filename*=\"utf-8''caf%C3%A9\"", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* rfc2231 quoted segments */
	{ "attachment; filename*0*=\"utf-8''caf\"; filename*1*=\"%C3%A9 x\"", "attachment", 1, { "filename", "caf\xc3\xa9 x" } },
	/* rfc2231 quoted plain segment */
	{ "attachment; filename*0*=\"plain text\"", "attachment", 1, { "filename", "plain text" } },
	/* rfc2231 duplicate section 0 */
	{ "attachment; filename*0*=utf-8''a; filename*0*=x", "attachment", 1, { "filename", "ax" } },
	/* rfc2231 raw 8-bit makes %XX latin-1 */
	{ "attachment; filename*=utf-8''%C3%A9\xe9", "attachment", 1, { "filename", "\xc3\x83\xc2\xa9\xc3\xa9" } },
	/* rfc2231 raw utf-8 in iso-8859-1 value */
	{ "attachment; filename*=iso-8859-1''caf\xc3\xa9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* rfc2231 blanks around charset */
	{ "attachment; filename*=  utf-8 ''x%41", "attachment", 1, { "filename", "xA" } },
	/* rfc2231 long section number */
	{ "attachment; filename*0=a; filename*00000000000000000000001=b", "attachment", 1, { "filename", "ab" } },
	/* unquoted value with blanks: first word */
	{ "attachment; filename=a b c.txt", "attachment", 1, { "filename", "a" } },
	/* semicolon inside quotes */
	{ "attachment; filename=\"a;b.txt\"", "attachment", 1, { "filename", "a;b.txt" } },
	/* backslash escapes */
	{ "attachment; filename=\"a\\\"b\\\\c\"", "attachment", 1, { "filename", "a\"b\\c" } },
	/* missing closing quote */
	{ "attachment; filename=\"abc", "attachment", 1, { "filename", "abc" } },
	/* duplicate: first wins */
	{ "attachment; filename=a; filename=b", "attachment", 1, { "filename", "a" } },
	/* name in capitals */
	{ "attachment; FILENAME=a", "attachment", 1, { "filename", "a" } },
	/* empty entries and blanks around = */
	{ "attachment; ; ; filename = a.txt", "attachment", 1, { "filename", "a.txt" } },
	/* name without value */
	{ "attachment; filename", "attachment", 1, { "filename", "" } },
	/* name with empty value is dropped */
	{ "attachment; filename=", "attachment", 0, { NULL } },
	/* angle brackets stripped */
	{ "attachment; filename=\"<abc>\"", "attachment", 1, { "filename", "abc" } },
	/* double quotes inside stripped */
	{ "attachment; filename=\"\\\"abc\\\"\"", "attachment", 1, { "filename", "abc" } },
	/* trailing backslash swallows next parameter */
	{ "attachment; filename=\"a\\\\\"; name=b", "attachment", 1, { "filename", "a\"; name=\"b" } },
	/* raw utf-8 value */
	{ "attachment; filename=caf\xc3\xa9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* raw latin1 value */
	{ "attachment; filename=caf\xe9", "attachment", 1, { "filename", "caf\xc3\xa9" } },
	/* blanks kept in quotes */
	{ "attachment; filename=\" a b \"", "attachment", 1, { "filename", " a b " } },
	/* no blanks */
	{ "attachment;filename=x;name=y", "attachment", 2, { "filename", "x", "name", "y" } },
	/* comments everywhere */
	{ "attachment; (c) filename (d) = (e) \"x\" (f)", "attachment", 1, { "filename", "x" } },
	/* junk after value ignored */
	{ "attachment; filename=\"a\" junk; name=z", "attachment", 2, { "filename", "a", "name", "z" } },
	/* star in token value */
	{ "attachment; filename=a*b", "attachment", 1, { "filename", "a" } },
	/* apparent charset in plain value */
	{ "attachment; filename=utf-8'en'abc", "attachment", 1, { "filename", "abc" } },
	/* missing semicolon: the type part holds an = */
	{ "text/plain charset=utf-8", "text/plain charset=utf-8", 1, { "text/plain charset", "utf-8" } },
	/* type in quotes */
	{ "\"text/plain\"; charset=utf-8", "\"text/plain\"", 1, { "charset", "utf-8" } },
	/* only parameters */
	{ "; charset=utf-8", "", 1, { "charset", "utf-8" } },
	/* name=value as the type */
	{ "charset=utf-8", "charset=utf-8", 1, { "charset", "utf-8" } },
	/* encoded word in type */
	{ "text/=\?utf-8\?q\?plain\?=; charset=utf-8", "text/plain", 1, { "charset", "utf-8" } },
	/* comment with semicolon in type */
	{ "text/plain (a;b); charset=x", "text/plain (a", 2, { "b)", "", "charset", "x" } },
	/* nbsp inside quotes kept */
	{ "attachment; filename=\"\xc2\xa0x\xc2\xa0\"", "attachment", 1, { "filename", "\xc2\xa0x\xc2\xa0" } },
	/* folded header */
	{ "multipart/mixed;\x0d\x0a\tboundary=\"b1\"", "multipart/mixed", 1, { "boundary", "b1" } },
	/* outlook style */
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document;\x0d\x0a name=\"=\?iso-8859-1\?Q\?Angebot_f=FCr_Kunde.docx\?=\"", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", 1, { "name", "Angebot f\xc3\xbcr Kunde.docx" } },
	/* thunderbird long name */
	{ "attachment;\x0d\x0a filename*0*=UTF-8''%D0%94%D0%BE%D0%BA%D1%83%D0%BC%D0%B5%D0%BD%D1%82;\x0d\x0a filename*1*=%2E%70%64%66", "attachment", 1, { "filename", "\xd0\x94\xd0\xbe\xd0\xba\xd1\x83\xd0\xbc\xd0\xb5\xd0\xbd\xd1\x82.pdf" } },
	/* gb2312 encoded word */
	{ "attachment; filename=\"=\?gb2312\?B\?xOO6ww==\?=.txt\"", "attachment", 1, { "filename", "\xe4\xbd\xa0\xe5\xa5\xbd.txt" } },
	/* start parameter */
	{ "multipart/related; type=\"text/html\"; start=\"<root@x>\"; boundary=b", "multipart/related", 3, { "type", "text/html", "start", "root@x", "boundary", "b" } },
	/* charset with quotes and case */
	{ "text/plain; charset=\"ISO-8859-1\"", "text/plain", 1, { "charset", "ISO-8859-1" } },
	/* nbsp around unquoted value: inside the rendered quotes, kept */
	{ "attachment; filename=\xc2\xa0x.txt\xc2\xa0", "attachment", 1, { "filename", "\xc2\xa0x.txt\xc2\xa0" } },
	/* python crashes here (IndexError): dropped */
	{ "attachment; filename*", "attachment", 0, { NULL } },
	/* python crashes here too: dropped */
	{ "attachment; filename*0*", "attachment", 0, { NULL } },
};

static void
test_table(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(0);
		struct tg_hvalue hv;

		tg_param_parse(pool, cases[i].in, strlen(cases[i].in), &hv);
		TG_CHECK_STREQ_IDX(hv.value, cases[i].value, i);
		TG_CHECK(hv.nparams == cases[i].n);
		for (size_t k = 0; k < hv.nparams && k < cases[i].n; k++) {
			TG_CHECK_STREQ_IDX(hv.params[k].name,
					   cases[i].kv[2 * k], i);
			TG_CHECK_STREQ_IDX(hv.params[k].value,
					   cases[i].kv[2 * k + 1], i);
			TG_CHECK_STREQ_IDX(tg_param_get(&hv,
					   cases[i].kv[2 * k]),
					   cases[i].kv[2 * k + 1], i);
		}
		tg_pool_free(&pool);
	}
}

static void
test_get(void)
{
	static const char in[] = "text/plain; a=1; B=2; a=3";
	struct tg_pool *pool = tg_pool_new(0);
	struct tg_hvalue hv;

	tg_param_parse(pool, in, sizeof(in) - 1, &hv);
	TG_CHECK_STREQ(tg_param_get(&hv, "a"), "1");
	TG_CHECK_STREQ(tg_param_get(&hv, "b"), "2");
	TG_CHECK(tg_param_get(&hv, "B") == NULL); /* names are lowercase */
	TG_CHECK(tg_param_get(&hv, "c") == NULL);
	TG_CHECK(hv.nparams == 2);
	/* the length is honoured: no reading past it */
	tg_param_parse(pool, in, 15, &hv);
	TG_CHECK_STREQ(hv.value, "text/plain");
	TG_CHECK_STREQ(tg_param_get(&hv, "a"), "1");
	TG_CHECK(hv.nparams == 1);
	tg_param_parse(pool, in, 14, &hv); /* "a=" with no value: dropped */
	TG_CHECK(hv.nparams == 0);
	/* NUL bytes are dropped, not a reason to cut the value short */
	tg_param_parse(pool, "attachment; filename=\"a\0b\"", 27, &hv);
	TG_CHECK_STREQ(tg_param_get(&hv, "filename"), "ab");
	tg_param_parse(pool, NULL, 0, &hv);
	TG_CHECK_STREQ(hv.value, "");
	TG_CHECK(hv.nparams == 0);
	tg_pool_free(&pool);
}

static double
cpu_seconds(const char *in, size_t len)
{
	struct tg_pool *pool = tg_pool_new(0);
	struct tg_hvalue hv;
	clock_t t0 = clock();

	tg_param_parse(pool, in, len, &hv);
	TG_CHECK(tg_utf8_valid(hv.value, strlen(hv.value)));
	for (size_t k = 0; k < hv.nparams; k++)
		TG_CHECK(tg_utf8_valid(hv.params[k].value,
				       strlen(hv.params[k].value)));
	tg_pool_free(&pool);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

static void
fill(char *big, size_t len, const char *prefix, const char *unit)
{
	size_t pl = strlen(prefix), ul = strlen(unit);

	memcpy(big, prefix, pl);
	for (size_t i = pl; i < len; i++)
		big[i] = unit[(i - pl) % ul];
}

/* 1 MiB values of shapes that are quadratic for a naive parser (Python's
 * own is, for several). Each is timed against a plain value of the same
 * size, so that slow builds (sanitizers, valgrind) slow both alike;
 * quadratic work on 1 MiB would be thousands of times over. */
static void
test_large(void)
{
	static const char *const units[] = {
		"(", "a;", ";", "\"", "\"=?", "a=?x?q?", "a*=\"=?x =?y\"; ",
		"x*0*=\"utf-8''a\"; ", "a*1*=%41;", "=?utf-8?q?a?= ",
		"\"=?utf-8?q?a?= ", "\\", "a=b;", "(a;b*=1;", "*=''",
		"\xe9", "\"=?gb2312?q?=FF=FF", "x*0*=gb2312''%FF%FF;",
		"x*1=\"\\\\\"; ",
	};
	size_t len = 1 << 20;
	char *big = tg_xmalloc(len);
	double base, t;

	fill(big, len, "text/plain; name=\"", "x y ");
	base = cpu_seconds(big, len);
	for (int prefixed = 0; prefixed < 2; prefixed++) {
		for (size_t u = 0; u < TG_N(units); u++) {
			fill(big, len, prefixed ? "text/plain; " : "",
			     units[u]);
			t = cpu_seconds(big, len);
			TG_CHECK(t < 50 * base + 0.5);
			if (t >= 50 * base + 0.5)
				fprintf(stderr, "unit %zu: %.2fs (plain "
					"%.2fs)\n", u, t, base);
		}
	}
	free(big);
}

/* Random soup over the grammar's alphabet: no crash (the sanitizers
 * watch), valid UTF-8 out, names lowercase and unique. */
static void
test_random(void)
{
	static const char *const alph[] = {
		"(", ")", ";", "\"", "\\", "name", "filename", "*", "*0", "*1*",
		"=", "'", "utf-8''", "%41", "%C3", "%A9", "<", ">", " ", "\t",
		"\r\n ", "\xc2\xa0", "\xe9", "text/plain", "/", "=?utf-8?q?x?=",
		"=?utf-8?b?w6k?=", "?=", "=?", "x", "gb2312", "'en'",
	};
	unsigned seed = 4242;
	char in[512];

	for (int iter = 0; iter < 20000; iter++) {
		struct tg_pool *pool = tg_pool_new(0);
		struct tg_hvalue hv;
		size_t n = 0;
		bool ok = true;

		seed = seed * 1103515245u + 12345u;
		for (unsigned k = (seed >> 16) % 50; k > 0; k--) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = alph[(seed >> 16) % TG_N(alph)];
			if (n + strlen(p) >= sizeof(in))
				break;
			memcpy(in + n, p, strlen(p));
			n += strlen(p);
		}
		tg_param_parse(pool, in, n, &hv);
		ok &= tg_utf8_valid(hv.value, strlen(hv.value));
		for (size_t k = 0; k < hv.nparams; k++) {
			const char *nm = hv.params[k].name;

			ok &= tg_utf8_valid(hv.params[k].value,
					    strlen(hv.params[k].value));
			ok &= *nm != '\0';
			for (const char *c = nm; *c != '\0'; c++)
				ok &= !(*c >= 'A' && *c <= 'Z');
			for (size_t j = 0; j < k; j++)
				ok &= strcmp(hv.params[j].name, nm) != 0;
		}
		tg_pool_free(&pool);
		if (!ok) {
			TG_CHECK(!"random input: valid, unique, lowercase");
			return;
		}
	}
	TG_CHECK(1);
}

int
main(void)
{
	test_table();
	test_get();
	test_large();
	test_random();
	return tg_test_done();
}
