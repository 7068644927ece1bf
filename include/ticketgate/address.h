/* RFC 5322 address lists as real mail writes them, broken forms included.
 * Parses untrusted input. */
#ifndef TICKETGATE_ADDRESS_H
#define TICKETGATE_ADDRESS_H

#include <stddef.h>
#include "ticketgate/pool.h"

struct tg_addr {
	char *name;    /* decoded display name, UTF-8, whitespace collapsed;
			  "" if none (a trailing comment is not a name) */
	char *address; /* addr-spec local@domain, needless quotes removed;
			  "" for the null path <> */
};

/* Parses the address-list in in[0..len) (an unfolded header value, raw
 * bytes). Groups are flattened; a mailbox with neither name nor address is
 * dropped. Sets *list_r to an array from pool and returns its length. */
size_t tg_address_parse_list(struct tg_pool *pool, const char *in,
			     size_t len, struct tg_addr **list_r);

#endif
