/* Agents' own signed addresses: made, verified, and refused when forged,
 * truncated, for another agent or under another secret. */
#include "tg-test.h"
#include "ticketgate/agent-token.h"

#include <string.h>

static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key[] = "fedcba9876543210fedcba9876543210";

static const char *
address(struct tg_buf *b, const unsigned char *k, const char *support,
	const char *agent)
{
	tg_buf_reset(b);
	tg_agent_token_address(k, 32, support, agent, b);
	return tg_buf_cstr(b);
}

static void
test_round_trip(void)
{
	struct tg_buf b, c;
	const char *a;

	tg_buf_init(&b, 128, 0);
	tg_buf_init(&c, 128, 0);
	a = address(&b, key, "Support@Example.com", "Sam@Example.com");
	TG_CHECK(strncmp(a, "support+a.", 10) == 0);
	TG_CHECK_STREQ(a + 10 + TG_AGENT_TOKEN_CHARS, "@example.com");
	TG_CHECK(strspn(a + 10, "abcdefghijklmnopqrstuvwxyz234567") ==
		 TG_AGENT_TOKEN_CHARS);
	/* the agent's address is compared case aside */
	TG_CHECK(tg_agent_token_check(key, 32, a, "sam@example.com") == 1);
	TG_CHECK(tg_agent_token_check(key, 32, a, "SAM@example.COM") == 1);
	/* the same token at another support address, and a folded case */
	TG_CHECK_STREQ(address(&c, key, "suporte@example.com",
			       "sam@example.com") + 10,
		       a + 10);
	memcpy(c.data, a, b.len + 1);
	for (char *p = c.data; *p != '\0'; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	TG_CHECK(tg_agent_token_check(key, 32, c.data, "sam@example.com") ==
		 1);
	/* an existing +tag on the support address is replaced */
	TG_CHECK_STREQ(address(&c, key, "support+x@example.com",
			       "sam@example.com"),
		       a);
	tg_buf_deinit(&b);
	tg_buf_deinit(&c);
}

static void
test_refused(void)
{
	struct tg_buf b;
	char forged[128];
	const char *a;

	tg_buf_init(&b, 128, 0);
	a = address(&b, key, "support@example.com", "sam@example.com");
	/* another agent, another secret */
	TG_CHECK(tg_agent_token_check(key, 32, a, "kim@example.com") == -1);
	TG_CHECK(tg_agent_token_check(other_key, 32, a, "sam@example.com") ==
		 -1);
	TG_CHECK(tg_agent_token_check(key, 32, a, "") == -1);
	/* one character changed, one missing, one too many */
	snprintf(forged, sizeof(forged), "%s", a);
	forged[12] = forged[12] == 'a' ? 'b' : 'a';
	TG_CHECK(tg_agent_token_check(key, 32, forged, "sam@example.com") ==
		 -1);
	snprintf(forged, sizeof(forged), "support+a.%.*s@example.com",
		 TG_AGENT_TOKEN_CHARS - 1, a + 10);
	TG_CHECK(tg_agent_token_check(key, 32, forged, "sam@example.com") ==
		 -1);
	snprintf(forged, sizeof(forged), "support+a.%.*sa@example.com",
		 TG_AGENT_TOKEN_CHARS, a + 10);
	TG_CHECK(tg_agent_token_check(key, 32, forged, "sam@example.com") ==
		 -1);
	/* no agent token at all: plain, a ticket token, no domain */
	TG_CHECK(tg_agent_token_check(key, 32, "support@example.com",
				      "sam@example.com") == 0);
	TG_CHECK(tg_agent_token_check(key, 32,
				      "support+t1042.abcdefghijklmnop@example.com",
				      "sam@example.com") == 0);
	TG_CHECK(tg_agent_token_check(key, 32, "support+a.x", "sam@example.com") ==
		 0);
	TG_CHECK(tg_agent_token_check(key, 32, "support+a@example.com",
				      "sam@example.com") == 0);
	tg_buf_deinit(&b);
}

int
main(void)
{
	test_round_trip();
	test_refused();
	return tg_test_done();
}
