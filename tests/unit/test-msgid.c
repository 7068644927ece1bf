/* Unit tests for tg_msgid_parse_list: table rows generated from the
 * reference rule in msgid.h run by python3, plus size/linearity checks.
 * The parser under test parses untrusted input.
 */
#include "ticketgate/msgid.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_IDS 4

struct msgid_case {
	const char *in;
	size_t n;
	const char *ids[MAX_IDS];
};

/* Expected values from python3 (ID_RE.findall / split fallback). */
static const struct msgid_case cases[] = {
	{ "<a@b>", 1, { "a@b" } },
	{ "  <a@b>  ", 1, { "a@b" } },
	{ "<a@b> <c@d>", 2, { "a@b", "c@d" } },
	{ "<a@b><c@d>", 2, { "a@b", "c@d" } },
	{ "<a@b>,<c@d>", 2, { "a@b", "c@d" } },
	{ "<a @ b>", 1, { "a@b" } },
	{ "<a\t@\x0b""b\x1c>", 1, { "a@b" } },
	{ "<>", 0, { NULL } },
	{ "<> a@b", 0, { NULL } },
	{ "< >", 0, { NULL } },
	{ "<<a@b>", 1, { "a@b" } },
	{ "<a<b@c>", 1, { "b@c" } },
	{ "<a@b", 1, { "a@b" } },
	{ "a@b>", 1, { "a@b" } },
	{ "a@b", 1, { "a@b" } },
	{ "a@b c@d", 2, { "a@b", "c@d" } },
	{ "<a@b>>", 1, { "a@b" } },
	{ ">a@b<", 1, { "a@b" } },
	{ "\"a@b\"", 1, { "a@b" } },
	{ "'a@b',", 1, { "a@b" } },
	{ "<<a@b>>,;", 1, { "a@b" } },
	{ "a@b,c@d", 1, { "a@b,c@d" } },
	{ "foo bar", 0, { NULL } },
	{ "", 0, { NULL } },
	{ "   ", 0, { NULL } },
	{ "@", 1, { "@" } },
	{ "<@>", 1, { "@" } },
	{ "x <a@b> (comment <c@d>)", 2, { "a@b", "c@d" } },
	{ "a@b (c@d)", 2, { "a@b", "(c@d)" } },
	{ "<a@b> junk <", 1, { "a@b" } },
	{ "<a\xc3\xa9@b>", 1, { "a\xc3\xa9@b" } },
	{ "\xff@\xfe", 1, { "\xff@\xfe" } },
	{ "<a\x85""b>", 1, { "a\x85""b" } },
	{ "a\x1c""b@c", 1, { "b@c" } },
	{ ";,a@b,;", 1, { "a@b" } },
	{ "<a@b>\x0d\x0a <c@d>", 2, { "a@b", "c@d" } },
	{ "<\"quoted id\"@host>", 1, { "\"quotedid\"@host" } },
	{ "<a>b<c>", 2, { "a", "c" } },
	{ "noat <> x@y", 0, { NULL } },
	{ "\"<a@b>\"", 1, { "a@b" } },
	{ "< a@b >", 1, { "a@b" } },
	{ "abc", 0, { NULL } },
	{ "<abc>", 1, { "abc" } },
};

static void
test_table(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(0);
		char **ids = NULL;
		size_t n = tg_msgid_parse_list(pool, cases[i].in,
					       strlen(cases[i].in), &ids);

		TG_CHECK(n == cases[i].n);
		if (n == 0)
			TG_CHECK(ids == NULL);
		for (size_t k = 0; k < n && k < MAX_IDS; k++)
			TG_CHECK_STREQ_IDX(ids[k], cases[i].ids[k], i);
		tg_pool_free(&pool);
	}
}

/* Embedded NUL bytes are dropped instead of truncating the id, and the
 * length argument is honoured (no reading past it). */
static void
test_binary(void)
{
	static const char in[] = "<a\0b@c> <d@e>";
	struct tg_pool *pool = tg_pool_new(0);
	char **ids;
	size_t n;

	n = tg_msgid_parse_list(pool, in, sizeof(in) - 1, &ids);
	TG_CHECK(n == 2);
	if (n == 2) {
		TG_CHECK_STREQ(ids[0], "ab@c");
		TG_CHECK_STREQ(ids[1], "d@e");
	}
	/* Only the first 5 bytes: "<a\0b@" has no '>', so the fallback
	 * takes it as one token with '@'. */
	n = tg_msgid_parse_list(pool, in, 5, &ids);
	TG_CHECK(n == 1);
	if (n == 1)
		TG_CHECK_STREQ(ids[0], "ab@");
	n = tg_msgid_parse_list(pool, NULL, 0, &ids);
	TG_CHECK(n == 0 && ids == NULL);
	tg_pool_free(&pool);
}

static double
cpu_seconds(const char *in, size_t len, size_t *n)
{
	struct tg_pool *pool = tg_pool_new(0);
	clock_t t0 = clock();
	char **ids;

	*n = tg_msgid_parse_list(pool, in, len, &ids);
	tg_pool_free(&pool);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* A 1 MiB header of each pathological shape must take about as long as
 * a plain one of the same size (timed together, so that slow builds slow
 * both alike); a quadratic scan would be thousands of times over. */
static void
test_large(void)
{
	static const char *const units[] = { "<", "<a", "a@b ", "<a@b>", "@",
					     " ", "<a b" };
	size_t len = 1 << 20, n;
	char *big = tg_xmalloc(len);
	double base;

	memset(big, 'x', len);
	base = cpu_seconds(big, len, &n);
	TG_CHECK(n == 0);
	for (size_t u = 0; u < TG_N(units); u++) {
		size_t ul = strlen(units[u]);

		for (size_t i = 0; i < len; i++)
			big[i] = units[u][i % ul];
		TG_CHECK(cpu_seconds(big, len, &n) < 50 * base + 0.5);
		if (u == 3)
			TG_CHECK(n == len / ul);
		if (u == 0 || u == 5)
			TG_CHECK(n == 0);
	}
	free(big);
}

int
main(void)
{
	test_table();
	test_binary();
	test_large();
	return tg_test_done();
}
