/* The new text of a reply: what the sender wrote in this message, without
 * the quoted history, the signature and the phone footer, so a ticket's
 * thread shows each message once. Parses untrusted input. */
#ifndef TICKETGATE_REPLY_H
#define TICKETGATE_REPLY_H

#include <stddef.h>
#include "ticketgate/buf.h"

/* Appends to out the part of text[0..len) (a UTF-8 mail body, CRLF or LF
 * line endings) that the sender wrote in this message.
 *
 * The body is cut at the first line that starts the quoted history: an
 * attribution ("On <date>, <name> wrote:", in English, Portuguese, French,
 * German, Spanish, Italian, Dutch, Scandinavian, Polish, Russian and
 * Vietnamese forms, Gmail's "2024-01-01 10:00 Name <a@b>:"; wrapped over
 * up to four lines, dashed, or quoted with '>'), a reply separator
 * ("-----Original Message-----" and its translations), or an Outlook
 * header block ("From:/Sent:/To:/Subject:" and translations, with any
 * header lines and rule just above it). Above the cut, the signature ("-- "
 * or "--" below some text, a "Sent from my iPhone" style footer, a "-Name"
 * sign-off) and trailing '>' blocks are dropped; a '>' block inside the
 * text stays. Below it, in a '>'-quoted history, the unquoted lines the
 * sender wrote between or under the quotes (interleaved or bottom-posted
 * answers) are kept too, up to a signature or a list footer. A forward
 * ("---------- Forwarded message ---------", "Begin forwarded message:")
 * is content: it and everything below it are kept as they are.
 *
 * If that leaves nothing, the text above the cut is kept with only blank
 * lines trimmed; if that is empty too (a mail that is only a quote), the
 * whole body is.
 *
 * The output is a sub-sequence of the input's lines, byte for byte with
 * their own line endings, without leading or trailing blank lines and
 * without a final line ending; runs that were apart in the input are
 * joined by one of the blank lines that separated them, when there was
 * one. Bytes that are not valid UTF-8 are carried through as they are.
 * Never fails and runs in time linear in len. If out reaches its cap,
 * out->overflow is set and out holds a prefix of the result. text may be
 * NULL when len is 0. */
void tg_reply_extract(const char *text, size_t len, struct tg_buf *out);

#endif
