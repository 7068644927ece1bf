/* Agents' own signed addresses: where no trusted Authentication-Results
 * header vouches for an agent's mail, mail from the agent addressed to
 * "support+a.<mac>@example.com" does, the mac being an HMAC of the
 * agent's address under the instance secret. Knowing the address is the
 * credential, so agents send to it by Bcc. Pure functions. */
#ifndef TICKETGATE_AGENT_TOKEN_H
#define TICKETGATE_AGENT_TOKEN_H

#include <stddef.h>
#include "ticketgate/buf.h"

#define TG_AGENT_TOKEN_CHARS 32 /* base32 of 160 bits */

/* Appends the signed address of agent (an email address) at the support
 * address: "support@example.com" -> "support+a.<mac>@example.com". */
void tg_agent_token_address(const unsigned char *key, size_t keylen,
			    const char *support_address, const char *agent,
			    struct tg_buf *out);

/* 1 when address carries a token ("+a." and the mac, any local part
 * before the '+', case aside) that verifies for agent, 0 when it carries
 * none, -1 when it carries one that does not verify. */
int tg_agent_token_check(const unsigned char *key, size_t keylen,
			 const char *address, const char *agent);

#endif
