/* libFuzzer target for the LMTP server's state machine: the input is a
 * session as a client would send it, fed in chunks whose sizes the first
 * byte picks, the way reads split a socket stream. Every reply must be
 * whole lines of "ddd" plus text, a finished message must have a sender
 * and recipients, and what is kept of it must stay within the limit.
 * Parses untrusted input. */
#include "ticketgate/buf.h"
#include "ticketgate/lmtp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BYTES 4096

static bool
every_address(const void *ctx, const char *addr)
{
	(void)ctx;
	/* some accepted, some not, so both paths run */
	return strchr(addr, 'x') == NULL;
}

static void
check_replies(const struct tg_buf *out)
{
	const char *p = out->data, *end = out->data + out->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (nl == NULL || nl - p < 4 || nl[-1] != '\r' ||
		    p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
		    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '-')) {
			fprintf(stderr, "fuzz-lmtp: bad reply: %.*s\n",
				(int)(end - p > 200 ? 200 : end - p), p);
			abort();
		}
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data + 1;
	size_t chunk, off = 0, len;
	struct tg_lmtp s;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	len = size - 1;
	tg_lmtp_init(&s, "fuzz.example", MAX_BYTES, every_address, NULL);
	while (off < len) {
		size_t n = len - off < chunk ? len - off : chunk, pos = 0, used;

		while (pos < n) {
			enum tg_lmtp_step step =
				tg_lmtp_feed(&s, in + off + pos, n - pos, &used);

			pos += used;
			if (step == TG_LMTP_MESSAGE) {
				if (s.sender == NULL || s.n_rcpts == 0 ||
				    s.n_rcpts > TG_LMTP_RCPT_MAX ||
				    s.data_len > MAX_BYTES + 1 ||
				    s.too_big != (s.data_bytes > MAX_BYTES))
					abort();
				for (size_t i = 0; i < s.n_rcpts; i++)
					tg_lmtp_reply(&s, "250 2.0.0 Ok");
				tg_lmtp_end_transaction(&s);
			} else if (step == TG_LMTP_CLOSE) {
				pos = n;
				off = len;
			} else if (used == 0) {
				abort(); /* asked for input it was given */
			}
		}
		check_replies(&s.out);
		tg_buf_reset(&s.out);
		off += n;
	}
	tg_lmtp_deinit(&s);
	return 0;
}
