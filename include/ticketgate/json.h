/* Just enough JSON writing for the message view and the CLI. */
#ifndef TICKETGATE_JSON_H
#define TICKETGATE_JSON_H

#include <stddef.h>
#include "ticketgate/buf.h"

/* Appends s[0..len) as a quoted JSON string. Control characters are
 * escaped; bytes that are not valid UTF-8 are repaired (read as
 * Windows-1252), so the output is always valid JSON in UTF-8. */
void tg_json_string(struct tg_buf *out, const char *s, size_t len);
/* The same for a C string; NULL writes null. */
void tg_json_cstring(struct tg_buf *out, const char *s);

#endif
