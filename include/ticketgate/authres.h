/* Whether a message's sender is authenticated, from the
 * Authentication-Results headers (RFC 8601) our own MTA added. A From
 * address is easy to forge; agent identity rests on this. Pure core;
 * parses untrusted input. */
#ifndef TICKETGATE_AUTHRES_H
#define TICKETGATE_AUTHRES_H

#include <stdbool.h>
#include "ticketgate/message.h"

/* True when an Authentication-Results header whose authserv-id is
 * trusted_id (case-insensitive) reports dkim=pass with header.d (or
 * header.i's domain), spf=pass with smtp.mailfrom's domain, or
 * dmarc=pass with header.from, aligned with from_domain: the same domain
 * or from_domain a subdomain of it. Headers with any other authserv-id
 * are ignored: anyone can write them. A NULL or empty trusted_id trusts
 * nothing. */
bool tg_authres_aligned_pass(const struct tg_message *m,
			     const char *trusted_id, const char *from_domain);

#endif
