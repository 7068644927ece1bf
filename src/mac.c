/* Truncated HMAC-SHA256 in base32 for the addresses we sign. */
#include "ticketgate/mac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

void
tg_mac_b32(const unsigned char *key, size_t keylen, const void *msg,
	   size_t msglen, size_t nbytes, char *out)
{
	static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned bits = 0, acc = 0;
	size_t o = 0;

	HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, md, &mdlen);
	if (nbytes > mdlen)
		nbytes = mdlen;
	for (size_t i = 0; i < nbytes; i++) {
		acc = (acc << 8) | md[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[o] = '\0';
}

int
tg_mac_equal(const char *a, const char *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
