/* Unit tests for the rules on automatic mail's recipients (section D)
 * and the retry schedule. */
#include "ticketgate/outbound.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stddef.h>

static void
test_refused(void)
{
	static const struct {
		const char *address;
		bool refused;
	} cases[] = {
		{"alice@customer.example", false},
		{"MAILER-DAEMON@mx.example", true},
		{"postmaster@example.org", true},
		{"abuse@example.org", true},
		{"root@host.example", true},
		{"noreply@shop.example", true},
		{"no-reply-orders@shop.example", true},
		{"bounces+123@list.example", true},
		{"rooted@example.org", false},     /* only the whole word */
		{"postmasters@example.org", false},
		{"reply@shop.example", false},
		{"not-an-address", true},
		{"@example.org", true},
		{"alice@", true},
	};

	for (size_t i = 0; i < TG_N(cases); i++)
		TG_CHECK((tg_outbound_refused(cases[i].address, NULL) !=
			  NULL) == cases[i].refused);
}

static void
test_retry_delay(void)
{
	TG_CHECK(tg_outbound_retry_delay(1, 0) == 60);
	TG_CHECK(tg_outbound_retry_delay(2, 0) == 120);
	TG_CHECK(tg_outbound_retry_delay(7, 0) == 3600);
	TG_CHECK(tg_outbound_retry_delay(100, 0) == 3600);
	/* jitter takes off at most a fifth */
	TG_CHECK(tg_outbound_retry_delay(1, 999) >= 48);
	TG_CHECK(tg_outbound_retry_delay(1, 999) < 60);
	TG_CHECK(tg_outbound_retry_delay(0, 0) == 60);
}

int
main(void)
{
	test_refused();
	test_retry_delay();
	return tg_test_done();
}
