/* Date header parsing: RFC 5322 and the variants real clients send.
 * Parses untrusted input. */
#ifndef TICKETGATE_DATE_H
#define TICKETGATE_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Parses in[0..len) and stores seconds since the epoch (UTC) in *t_r.
 * Obsolete zone names (EST, PDT, GMT, UT, Z...) are understood; -0000 and
 * unknown zones mean UTC; two-digit years 00-68 are 20xx, 69-99 19xx.
 * Returns 0, or -1 when no date can be read. */
int tg_date_parse(const char *in, size_t len, int64_t *t_r);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ". */
void tg_date_format_utc(int64_t t, char out[32]);

#endif
