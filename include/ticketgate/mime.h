/* MIME structure: splits a message into its header blocks and parts the
 * way common mail software does (RFC 2045/2046 plus the tolerance real
 * mail needs). Parses untrusted input. */
#ifndef TICKETGATE_MIME_H
#define TICKETGATE_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/message.h"
#include "ticketgate/param.h"
#include "ticketgate/pool.h"

struct tg_part {
	struct tg_header *headers;
	size_t n_headers;
	const char *content_type;  /* lowercase type/subtype, defaults applied */
	struct tg_hvalue ctype;    /* Content-Type with its parameters */
	struct tg_hvalue disp;     /* Content-Disposition; value "" if absent */
	const char *cte;           /* lowercase transfer encoding, "7bit" if absent */
	const char *body;          /* raw body, pointing into the source */
	size_t body_len;
	bool multipart;            /* children were found (boundary seen) */
	unsigned depth;            /* 0 for the message itself */
	struct tg_part *parent, *children, *next;
};

/* Parses the header block and part tree of raw[0..len). Part bodies point
 * into raw, which must outlive the tree; everything else is in pool.
 * Limits that were hit are ORed into *limits_hit. */
struct tg_part *tg_mime_parse(struct tg_pool *pool, const char *raw,
			      size_t len, const struct tg_limits *lim,
			      unsigned *limits_hit);

/* The first header called name (case-insensitive) in headers, or NULL. */
const struct tg_header *tg_mime_header(const struct tg_header *headers,
				       size_t n, const char *name);

/* Whether the part is marked Content-Disposition: attachment. */
bool tg_mime_is_attachment(const struct tg_part *part);

#endif
