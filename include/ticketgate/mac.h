/* Short signatures for addresses we hand out (reply tokens, agents' own
 * addresses): a truncated HMAC-SHA256 written in lowercase base32, which
 * survives mail systems that fold the case of local parts. */
#ifndef TICKETGATE_MAC_H
#define TICKETGATE_MAC_H

#include <stddef.h>

/* Writes the first nbytes (at most 32, a multiple of 5 for whole
 * characters) of HMAC-SHA256(key, msg) as nbytes * 8 / 5 base32
 * characters and a NUL into out. */
void tg_mac_b32(const unsigned char *key, size_t keylen, const void *msg,
		size_t msglen, size_t nbytes, char *out);

/* Whether the first n characters of a and b are equal, in time that does
 * not depend on where they differ. */
int tg_mac_equal(const char *a, const char *b, size_t n);

#endif
