/* Unit tests for the Authentication-Results check that agent identity
 * rests on: only our MTA's results count, and only aligned passes. */
#include "ticketgate/authres.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <string.h>

static bool
check(const char *headers, const char *from_domain)
{
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_limits lim;
	struct tg_message *m;
	char raw[2048];
	bool ok;

	snprintf(raw, sizeof(raw), "%sFrom: a@%s\n\nbody\n", headers,
		 from_domain);
	tg_limits_init_default(&lim);
	tg_message_parse(pool, raw, strlen(raw), &lim, &m);
	ok = tg_authres_aligned_pass(m, "mx.example.com", from_domain);
	tg_pool_free(&pool);
	return ok;
}

int
main(void)
{
	static const struct {
		const char *headers, *from;
		bool pass;
	} cases[] = {
		{"Authentication-Results: mx.example.com; dkim=pass "
		 "header.d=example.com header.s=s1\n", "example.com", true},
		{"Authentication-Results: mx.example.com;\n spf=pass "
		 "smtp.mailfrom=ana@example.com\n", "example.com", true},
		{"Authentication-Results: mx.example.com; dmarc=pass "
		 "(p=reject) header.from=example.com\n", "example.com", true},
		/* relaxed alignment: a subdomain of the signing domain */
		{"Authentication-Results: mx.example.com; dkim=pass "
		 "header.d=example.com\n", "eu.example.com", true},
		{"Authentication-Results: MX.Example.COM 1; DKIM=Pass "
		 "header.i=@example.com\n", "example.com", true},
		/* another authserv-id: anyone can write that */
		{"Authentication-Results: mx.evil.example; dkim=pass "
		 "header.d=example.com\n", "example.com", false},
		/* not aligned */
		{"Authentication-Results: mx.example.com; dkim=pass "
		 "header.d=evil.example\n", "example.com", false},
		{"Authentication-Results: mx.example.com; dkim=pass "
		 "header.d=notexample.com\n", "example.com", false},
		{"Authentication-Results: mx.example.com; dkim=pass "
		 "header.d=eu.example.com\n", "example.com", false},
		/* not a pass */
		{"Authentication-Results: mx.example.com; dkim=fail "
		 "header.d=example.com; spf=softfail "
		 "smtp.mailfrom=example.com\n", "example.com", false},
		{"Authentication-Results: mx.example.com; dkim=passed "
		 "header.d=example.com\n", "example.com", false},
		/* a pass hidden in a comment is no pass */
		{"Authentication-Results: mx.example.com; dkim=fail "
		 "(dkim=pass header.d=example.com) header.d=example.com\n",
		 "example.com", false},
		{"Authentication-Results: mx.example.com; none\n",
		 "example.com", false},
		{"", "example.com", false},
		/* one trusted pass among others is enough */
		{"Authentication-Results: mx.evil.example; dkim=fail\n"
		 "Authentication-Results: mx.example.com; spf=pass "
		 "smtp.mailfrom=example.com\n", "example.com", true},
	};

	for (size_t i = 0; i < TG_N(cases); i++)
		if (check(cases[i].headers, cases[i].from) != cases[i].pass) {
			fprintf(stderr, "case %zu\n", i);
			TG_CHECK(false);
		} else {
			TG_CHECK(true);
		}
	return tg_test_done();
}
