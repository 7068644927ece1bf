/* Threading rules: tokens, signed reply addresses, the decision. */
#include "tg-test.h"
#include "ticketgate/thread.h"
#include "ticketgate/util.h"

#include <stdint.h>

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";

static void
test_subject_token(void)
{
	static const struct {
		const char *in;
		int64_t want; /* 0: none */
	} cases[] = {
		{ "Re: [#1042] printer jam", 1042 },
		{ "[#7]", 7 },
		{ "Fwd: RE: [#1042] x [#9]", 1042 },
		{ "[# 1042] spaced", 0 },
		{ "[#] empty", 0 },
		{ "[#12a] junk", 0 },
		{ "[#abc] then [#55]", 55 },
		{ "[#0] zero", 0 },
		{ "[#1234567890123456789] too long", 0 },
		{ "no token", 0 },
		{ "", 0 },
	};

	for (size_t i = 0; i < TG_N(cases); i++) {
		int64_t n = 0;
		int found = tg_thread_subject_token(cases[i].in, &n);

		TG_CHECK(found == (cases[i].want != 0));
		TG_CHECK(n == cases[i].want);
	}
}

static void
test_reply_address(void)
{
	struct tg_buf a, base;
	int64_t n = 0;
	char forged[128];

	tg_buf_init(&a, 0, 0);
	tg_buf_init(&base, 0, 0);
	tg_thread_reply_address(key, sizeof(key) - 1, "Support@Example.com",
				1042, &a);
	TG_CHECK(strncmp(a.data, "support+t1042.", 14) == 0);
	TG_CHECK(strlen(a.data) == strlen("support+t1042.@example.com") + 16);
	TG_CHECK(tg_thread_parse_address(key, sizeof(key) - 1, a.data, &n,
					 &base) == 1);
	TG_CHECK(n == 1042);
	TG_CHECK_STREQ(tg_buf_cstr(&base), "support@example.com");

	/* the same token under another number does not verify */
	snprintf(forged, sizeof(forged), "%s", a.data);
	forged[11] = '3'; /* t1042 -> t1043 */
	tg_buf_reset(&base);
	n = 0;
	TG_CHECK(tg_thread_parse_address(key, sizeof(key) - 1, forged, &n,
					 &base) == -1);
	TG_CHECK(n == 0);
	TG_CHECK_STREQ(tg_buf_cstr(&base), "support@example.com");

	/* nor under another key, nor moved to another address */
	tg_buf_reset(&base);
	TG_CHECK(tg_thread_parse_address((const unsigned char *)"other", 5,
					 a.data, &n, &base) == -1);
	snprintf(forged, sizeof(forged), "cloud%s", a.data + 7);
	tg_buf_reset(&base);
	TG_CHECK(tg_thread_parse_address(key, sizeof(key) - 1, forged, &n,
					 &base) == -1);

	/* plain addresses and sub-addresses that are not tokens */
	static const struct {
		const char *in, *base;
		int want;
	} plain[] = {
		{ "Support@Example.com", "support@example.com", 0 },
		{ "support+sales@example.com", "support+sales@example.com", 0 },
		{ "support+t@example.com", "support@example.com", -1 },
		{ "support+t12.short@example.com", "support@example.com", -1 },
		{ "support+t12@example.com", "support@example.com", -1 },
		{ "nodomain", "nodomain", 0 },
	};
	for (size_t i = 0; i < TG_N(plain); i++) {
		tg_buf_reset(&base);
		TG_CHECK(tg_thread_parse_address(key, sizeof(key) - 1,
						 plain[i].in, &n, &base) ==
			 plain[i].want);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&base), plain[i].base, i);
	}
	tg_buf_deinit(&a);
	tg_buf_deinit(&base);
}

static void
test_decide(void)
{
	static const struct {
		struct tg_thread_facts f;
		enum tg_thread_via via;
		int64_t ticket;
	} cases[] = {
		{ { 0, 0, 0, false }, TG_THREAD_NEW, 0 },
		{ { 5, 6, 7, true }, TG_THREAD_TOKEN, 5 },
		{ { 0, 6, 7, true }, TG_THREAD_REFERENCES, 6 },
		{ { 0, 0, 7, true }, TG_THREAD_SUBJECT, 7 },
		/* a stranger quoting someone else's ticket number */
		{ { 0, 0, 7, false }, TG_THREAD_NEW, 0 },
	};

	for (size_t i = 0; i < TG_N(cases); i++) {
		int64_t t = -1;

		TG_CHECK(tg_thread_decide(&cases[i].f, &t) == cases[i].via);
		TG_CHECK(t == cases[i].ticket);
	}
	TG_CHECK_STREQ(tg_thread_via_name(TG_THREAD_SUBJECT), "subject-token");
}

static void
test_followup(void)
{
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_OPEN, false) == TG_FOLLOWUP_APPEND);
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_ON_HOLD, false) == TG_FOLLOWUP_APPEND);
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_PENDING, false) == TG_FOLLOWUP_REOPEN);
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_SOLVED, false) == TG_FOLLOWUP_REOPEN);
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_CLOSED, false) == TG_FOLLOWUP_NEW_LINKED);
	/* an out-of-office reply reopens nothing */
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_SOLVED, true) == TG_FOLLOWUP_APPEND);
	TG_CHECK(tg_thread_customer_followup(TG_STATUS_CLOSED, true) == TG_FOLLOWUP_APPEND);
	for (int s = TG_STATUS_OPEN; s <= TG_STATUS_SPAM; s++)
		TG_CHECK(tg_ticket_status_parse(tg_ticket_status_name(s)) == s);
	TG_CHECK(tg_ticket_status_parse("reopened") == -1);
}

int
main(void)
{
	test_subject_token();
	test_reply_address();
	test_decide();
	test_followup();
	return tg_test_done();
}
