/* Rules for the mail we send on our own. */
#include "ticketgate/outbound.h"
#include "ticketgate/config.h"
#include "ticketgate/util.h"

#include <string.h>

static bool
prefix(const char *s, size_t n, const char *p)
{
	size_t k = strlen(p);

	return n >= k && tg_ascii_strncasecmp(s, p, k) == 0;
}

static bool
exactly(const char *s, size_t n, const char *w)
{
	return n == strlen(w) && tg_ascii_strncasecmp(s, w, n) == 0;
}

/* a@b and a+x@b are one mailbox */
static bool
same_mailbox(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');
	size_t la = strcspn(a, "+@"), lb = strcspn(b, "+@");

	if (at_a == NULL || at_b == NULL)
		return tg_ascii_strcasecmp(a, b) == 0;
	return la == lb && tg_ascii_strncasecmp(a, b, la) == 0 &&
	       tg_ascii_strcasecmp(at_a, at_b) == 0;
}

const char *
tg_outbound_refused(const char *address, const struct tg_config *cfg)
{
	const char *at = strrchr(address, '@');
	size_t local = at != NULL ? (size_t)(at - address) : strlen(address);

	if (at == NULL || local == 0 || at[1] == '\0')
		return "not an address";
	if (exactly(address, local, "mailer-daemon") ||
	    exactly(address, local, "postmaster") ||
	    exactly(address, local, "abuse") || exactly(address, local, "root"))
		return "a system mailbox";
	if (prefix(address, local, "noreply") ||
	    prefix(address, local, "no-reply") ||
	    prefix(address, local, "bounce"))
		return "a no-reply or bounce mailbox";
	for (size_t i = 0; cfg != NULL && i < cfg->n_addresses; i++)
		if (same_mailbox(address, cfg->addresses[i].address))
			return "one of our own addresses";
	return NULL;
}

int
tg_outbound_retry_delay(int attempts, unsigned jitter)
{
	int delay = 60;

	for (int i = 1; i < attempts && delay < 3600; i++)
		delay *= 2;
	if (delay > 3600)
		delay = 3600;
	return delay - (int)((long)delay * (jitter % 1000) / 5000);
}
