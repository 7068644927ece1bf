/* HTML to readable plain text, for HTML-only mail. Parses untrusted input. */
#ifndef TICKETGATE_HTML_H
#define TICKETGATE_HTML_H

#include <stddef.h>
#include "ticketgate/buf.h"

/* Appends the text of the UTF-8 HTML in html[0..len) to out: script,
 * style, title, head and comments dropped; block elements (p, div, br, tr,
 * li, h1-h6, table, blockquote...) become line breaks; td/th a space;
 * character references decoded; link targets kept after the link text
 * when they differ from it. Whitespace runs inside a line collapse to one
 * space, more than one blank line collapses to one, and the result is
 * trimmed. Output is valid UTF-8. */
void tg_html_to_text(const char *html, size_t len, struct tg_buf *out);

#endif
