/* Agents' own signed addresses. The token signs the agent's address
 * only, so one address works on every support address; it changes when
 * the instance secret does. */
#include "ticketgate/agent-token.h"
#include "ticketgate/mac.h"
#include "ticketgate/util.h"

#include <string.h>

#define TOKEN_BYTES 20 /* 160 bits: a credential, not just a thread id */

/* The mac over "a:<agent>", the agent's address lowercased. */
static void
agent_mac(const unsigned char *key, size_t keylen, const char *agent,
	  char out[TG_AGENT_TOKEN_CHARS + 1])
{
	struct tg_buf msg;

	tg_buf_init(&msg, 64, 0);
	(void)tg_buf_puts(&msg, "a:");
	for (const char *p = agent; *p != '\0'; p++)
		(void)tg_buf_putc(&msg, tg_ascii_tolower((unsigned char)*p));
	tg_mac_b32(key, keylen, msg.data, msg.len, TOKEN_BYTES, out);
	tg_buf_deinit(&msg);
}

void
tg_agent_token_address(const unsigned char *key, size_t keylen,
		       const char *support_address, const char *agent,
		       struct tg_buf *out)
{
	const char *at = strrchr(support_address, '@');
	size_t local = strcspn(support_address, "+@");
	char mac[TG_AGENT_TOKEN_CHARS + 1];

	agent_mac(key, keylen, agent, mac);
	if (at == NULL)
		at = support_address + strlen(support_address);
	for (size_t i = 0; i < local && support_address + i < at; i++)
		(void)tg_buf_putc(out, tg_ascii_tolower(
					       (unsigned char)support_address[i]));
	(void)tg_buf_appendf(out, "+a.%s", mac);
	for (const char *p = at; *p != '\0'; p++)
		(void)tg_buf_putc(out, tg_ascii_tolower((unsigned char)*p));
}

int
tg_agent_token_check(const unsigned char *key, size_t keylen,
		     const char *address, const char *agent)
{
	const char *at = strrchr(address, '@');
	const char *plus;
	char mac[TG_AGENT_TOKEN_CHARS + 1], given[TG_AGENT_TOKEN_CHARS];

	if (at == NULL)
		return 0;
	plus = memchr(address, '+', (size_t)(at - address));
	if (plus == NULL || tg_ascii_tolower((unsigned char)plus[1]) != 'a' ||
	    plus[2] != '.')
		return 0;
	if ((size_t)(at - plus - 3) != TG_AGENT_TOKEN_CHARS || *agent == '\0')
		return -1;
	/* some mail systems fold the case of local parts */
	for (size_t i = 0; i < TG_AGENT_TOKEN_CHARS; i++)
		given[i] = (char)tg_ascii_tolower((unsigned char)plus[3 + i]);
	agent_mac(key, keylen, agent, mac);
	return tg_mac_equal(mac, given, TG_AGENT_TOKEN_CHARS) ? 1 : -1;
}
