/* Message-ID, In-Reply-To and References values. Parses untrusted input. */
#ifndef TICKETGATE_MSGID_H
#define TICKETGATE_MSGID_H

#include <stddef.h>
#include "ticketgate/pool.h"

/* The ids in in[0..len): the contents of every <...> in order, whitespace
 * inside removed, empty ones skipped; when there is no <...> at all, the
 * whitespace-separated tokens that contain '@' (stripped of <>,;"').
 * Sets *ids_r to an array of pool strings and returns its length. */
size_t tg_msgid_parse_list(struct tg_pool *pool, const char *in, size_t len,
			   char ***ids_r);

#endif
