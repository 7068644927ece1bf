/* RFC 2047 encoded words in unstructured header text (Subject, display
 * names, parameter values). Parses untrusted input. */
#ifndef TICKETGATE_RFC2047_H
#define TICKETGATE_RFC2047_H

#include <stddef.h>
#include "ticketgate/buf.h"

/* Appends the decoded form of in[0..len) (an unfolded header value, raw
 * bytes) to out as valid UTF-8. Encoded words (B and Q, any charset iconv
 * knows, RFC 2231 language suffix allowed) are decoded; whitespace between
 * two adjacent encoded words is dropped; a word that does not decode is
 * kept as it was; raw 8-bit bytes are read as UTF-8, else Windows-1252. */
void tg_rfc2047_decode(const char *in, size_t len, struct tg_buf *out);

#endif
