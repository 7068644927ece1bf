/* The wake-up listener's group ("wake"): the address and TCP port where
 * the IMAP server's hints arrive (wake.h). Only checked here;
 * serve-wake.c listens. */
#include "config-private.h"

#include <arpa/inet.h>
#include <string.h>

/* A numeric address: no name lookup at start, and the warning below can
 * tell loopback from the rest. */
static const char *
check_address(const char *v)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1)
		return "want a numeric IPv4 or IPv6 address";
	return NULL;
}

static bool
is_loopback(const char *v)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, v, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, v, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

enum {
	W_ADDRESS,
	W_PORT,
	W_COUNT
};

/* clang-format off */
static const struct cfg_key wake_keys[W_COUNT] = {
	[W_ADDRESS] = CFG_ROW_STR("address", 2, 45, "127.0.0.1",
				  struct tg_config_wake, address,
				  check_address),
	[W_PORT] = CFG_ROW_INT("port", 1, 65535, NULL,
			       struct tg_config_wake, port),
};
/* clang-format on */

void
cfg_load_wake(struct cfg_ctx *c, const config_setting_t *g)
{
	const config_setting_t *found[W_COUNT];
	struct tg_config_wake *w;

	if (g == NULL)
		return;
	w = tg_pool_alloc(c->pool, sizeof(*w));
	memset(w, 0, sizeof(*w));
	cfg_apply_keys(c, g, "wake", wake_keys, W_COUNT, w, found);
	w->line = cfg_line(g);
	if (w->address != NULL && check_address(w->address) == NULL &&
	    !is_loopback(w->address))
		cfg_warn(c, found[W_ADDRESS] != NULL ? found[W_ADDRESS] : g,
			 "wake.address \"%s\" is not loopback: whoever can "
			 "reach it can make the daemon search its mailboxes; "
			 "let a firewall admit only the IMAP server",
			 w->address);
	c->impl->pub.wake = w;
}
