/* Internals shared by compose.c (the message), compose-header.c (header
 * fields: encoded words, folding, addresses) and compose-body.c
 * (quoted-printable bodies). Not for other modules (see compose.h). */
#ifndef TICKETGATE_COMPOSE_PRIVATE_H
#define TICKETGATE_COMPOSE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/buf.h"

/* RFC 5322 2.1.1: the line length folding aims for, and the hard limit. */
#define COMPOSE_FOLD 78
#define COMPOSE_LINE_MAX 998
/* RFC 5321 4.5.3.1.3: the longest path, so the longest address. */
#define COMPOSE_ADDRESS_MAX 254

/* A header field being written to out; col is the length of its current
 * line. */
struct compose_hdr {
	struct tg_buf *out;
	size_t col;
	bool has_token; /* something follows "Name:" already */
};

/* A malloc'd copy of text from a sender (a subject, a name) that is safe
 * in a header: valid UTF-8 (invalid bytes read as Windows-1252), every
 * control character (CR and LF among them) and whitespace run turned into
 * one space, trimmed. */
char *compose_clean(const char *s);

/* Starts "Name:"; ends the field with CRLF. */
void compose_hdr_start(struct compose_hdr *h, struct tg_buf *out,
		       const char *name);
void compose_hdr_end(struct compose_hdr *h);
/* Appends " tok", folding before it when the line would pass 78. */
void compose_hdr_token(struct compose_hdr *h, const char *tok, size_t len);
/* Appends cleaned text (compose_clean) word by word: ASCII words as they
 * are, runs of other words as RFC 2047 encoded words (UTF-8, B or Q,
 * whichever is shorter, at most 75 bytes each, split between characters).
 * A phrase (a display name) is written as atoms, as one quoted string, or
 * encoded, whichever it needs. */
void compose_hdr_text(struct compose_hdr *h, const char *clean, bool phrase);

/* Appends " name <address>", or " address" when name is empty; name is
 * cleaned text. */
void compose_hdr_mailbox(struct compose_hdr *h, const char *name,
			 const char *address);

/* Whether a is a plain addr-spec we can write without quoting: ASCII
 * local@domain, no blanks, controls or specials, at most 254 bytes. */
bool compose_address_valid(const char *a);
/* Whether d is a DNS name: dot-separated labels of letters, digits and
 * inner hyphens. */
bool compose_domain_valid(const char *d);

/* Appends text as a quoted-printable body: line breaks (LF or CRLF)
 * become CRLF, lines stay within 76 bytes, '=', trailing blanks and 8-bit
 * bytes are encoded, and so are a '.' or "From " at the start of a line,
 * which some transports would alter. The last line ends in a soft break
 * when the text does not end in a line break, so decoding gives back
 * exactly the text (with CRLF). */
void compose_qp_encode(const char *text, size_t len, struct tg_buf *out);

#endif
