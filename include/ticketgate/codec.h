/* Content-Transfer-Encoding decoders. They parse untrusted input, never
 * fail on garbage, and append what they decode to out. */
#ifndef TICKETGATE_CODEC_H
#define TICKETGATE_CODEC_H

#include <stddef.h>
#include "ticketgate/buf.h"

/* base64: every byte outside the alphabet (whitespace, '=', junk) is
 * skipped; a missing '=' padding is tolerated; a single dangling sextet is
 * dropped. Returns the number of junk bytes seen that were neither
 * whitespace nor '=' padding (0 for clean input). */
size_t tg_codec_base64_decode(const char *in, size_t len, struct tg_buf *out);

/* quoted-printable body decoding: "=XX" (either case) decoded, "=" at end
 * of line is a soft break, a "=" not followed by two hex digits is kept
 * literally. Line endings are kept as they are. */
void tg_codec_qp_decode(const char *in, size_t len, struct tg_buf *out);

/* uuencode ("begin MODE NAME" ... "end"). Returns 0 on success, -1 when no
 * begin line is found (out unchanged). */
int tg_codec_uu_decode(const char *in, size_t len, struct tg_buf *out);

#endif
