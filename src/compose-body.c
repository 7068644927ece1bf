/* Quoted-printable bodies for outgoing mail (RFC 2045 6.7): 7-bit lines of
 * at most 76 bytes that no transport rewrites, so the customer reads
 * exactly what was written. */
#include "compose-private.h"

#include <string.h>

/* Content bytes on a line that ends in a soft break ("=" makes 76). */
#define QP_SOFT 75
#define QP_LINE 76

static const char hex[] = "0123456789ABCDEF";

/* The encoded form of the byte at s[0] (n bytes left on the input line):
 * escaped when it is not printable ASCII, is '=', is a blank ending the
 * line, or starts a line with '.' (SMTP's end of data, which some
 * transports mishandle) or "From " (mbox writers prefix it with '>'). */
static size_t
qp_token(const char *s, size_t n, bool line_start, bool last, char tok[3])
{
	unsigned char c = (unsigned char)s[0];
	bool escape = c > 126 || c == '=' || (c < 33 && c != ' ' && c != '\t');

	escape |= last && (c == ' ' || c == '\t');
	escape |= line_start &&
		  (c == '.' || (n >= 5 && memcmp(s, "From ", 5) == 0));
	if (!escape) {
		tok[0] = (char)c;
		return 1;
	}
	tok[0] = '=';
	tok[1] = hex[c >> 4];
	tok[2] = hex[c & 15];
	return 3;
}

/* One input line s[0..n) without its break; hard: a line break follows. */
static void
qp_line(const char *s, size_t n, bool hard, struct tg_buf *out)
{
	size_t col = 0;
	char tok[3];

	for (size_t k = 0; k < n; k++) {
		bool last = k + 1 == n;
		size_t tl = qp_token(s + k, n - k, col == 0, last, tok);

		/* the last token of a hard line may use the column the soft
		 * break's '=' would take */
		if (col + tl > QP_SOFT &&
		    !(hard && last && col + tl <= QP_LINE)) {
			tg_buf_append(out, "=\r\n", 3);
			col = 0;
			tl = qp_token(s + k, n - k, true, last, tok);
		}
		tg_buf_append(out, tok, tl);
		col += tl;
	}
	if (hard)
		tg_buf_append(out, "\r\n", 2);
	else if (n > 0)
		tg_buf_append(out, "=\r\n", 3);
}

void
compose_qp_encode(const char *text, size_t len, struct tg_buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl != NULL ? (size_t)(nl - text) : len, n = e - i;

		if (nl != NULL && n > 0 && text[e - 1] == '\r')
			n--;
		qp_line(text + i, n, nl != NULL, out);
		i = nl != NULL ? e + 1 : len;
	}
}
