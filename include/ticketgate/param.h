/* Parameterized MIME headers: Content-Type and Content-Disposition, with
 * RFC 2231 (continuations, charset'language'percent-encoding) and RFC 2047
 * words inside values. Parses untrusted input. */
#ifndef TICKETGATE_PARAM_H
#define TICKETGATE_PARAM_H

#include <stddef.h>
#include "ticketgate/pool.h"

struct tg_param {
	char *name;  /* lowercased, without any RFC 2231 '*' or '*N' suffix */
	char *value; /* unquoted, continuations joined, decoded to UTF-8 */
};

struct tg_hvalue {
	char *value; /* the part before the first ';', trimmed, lowercased */
	struct tg_param *params;
	size_t nparams;
};

/* Parses in[0..len) (an unfolded header value) into out; all strings come
 * from pool. A parameter that appears twice keeps its first value. */
void tg_param_parse(struct tg_pool *pool, const char *in, size_t len,
		    struct tg_hvalue *out);

/* The value of parameter name (lowercase), or NULL. Borrowed from hv. */
const char *tg_param_get(const struct tg_hvalue *hv, const char *name);

#endif
