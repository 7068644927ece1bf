/* Buffer caps, pool ownership and JSON escaping. */
#include "tg-test.h"
#include "ticketgate/buf.h"
#include "ticketgate/json.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"

#include <stdlib.h>

static void
test_buf(void)
{
	struct tg_buf b;

	tg_buf_init(&b, 0, 8);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "");
	TG_CHECK(tg_buf_puts(&b, "12345") == 0);
	TG_CHECK(tg_buf_appendf(&b, "%d", 678) == 0);
	TG_CHECK(tg_buf_puts(&b, "9") == -1); /* over the cap: refused whole */
	TG_CHECK(b.overflow);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "12345678");
	tg_buf_reset(&b);
	TG_CHECK(tg_buf_put_utf8(&b, 0x20AC) == 0);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "\xe2\x82\xac");
	tg_buf_reset(&b);
	TG_CHECK(tg_buf_put_utf8(&b, 0xD800) == 0); /* surrogate -> U+FFFD */
	TG_CHECK_STREQ(tg_buf_cstr(&b), "\xef\xbf\xbd");
	tg_buf_deinit(&b);
}

static void
test_pool(void)
{
	struct tg_pool *p = tg_pool_new(1024);
	char *big;

	for (int i = 0; i < 1000; i++)
		TG_CHECK_STREQ_IDX(tg_pool_strdup(p, "abc"), "abc", i);
	big = tg_pool_alloc(p, 100000); /* own block */
	big[99999] = 'x';
	tg_pool_adopt(p, tg_xstrdup("adopted")); /* freed with the pool */
	TG_CHECK(tg_pool_used(p) >= 100000);
	tg_pool_free(&p);
	TG_CHECK(p == NULL);
	tg_pool_free(&p); /* NULL is fine */
}

static const struct {
	const char *in, *want;
} json_cases[] = {
	{ "plain", "\"plain\"" },
	{ "q\"b\\s/", "\"q\\\"b\\\\s/\"" },
	{ "a\nb\tc\r\x01", "\"a\\nb\\tc\\r\\u0001\"" },
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
	/* invalid UTF-8 is repaired, never passed through */
	{ "caf\xe9", "\"caf\xc3\xa9\"" },
	{ "\x80", "\"\xe2\x82\xac\"" },
};

static void
test_json(void)
{
	for (size_t i = 0; i < TG_N(json_cases); i++) {
		struct tg_buf b;

		tg_buf_init(&b, 0, 0);
		tg_json_cstring(&b, json_cases[i].in);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&b), json_cases[i].want, i);
		tg_buf_deinit(&b);
	}
}

int
main(void)
{
	test_buf();
	test_pool();
	test_json();
	return tg_test_done();
}
