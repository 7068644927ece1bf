/* Content-Transfer-Encoding decoders (base64, quoted-printable, uuencode)
 * that reproduce what Python 3.11's email package decodes, byte for byte.
 * Every function here parses untrusted input: it never reads past len and
 * never fails on garbage. */
#include "ticketgate/codec.h"

#include <stdint.h>
#include <string.h>

/* Output is staged in a stack chunk and appended in bulk: buf.h has no way
 * to reserve room and write in place, and one append per chunk keeps the
 * inner loops free of function calls. Once the buffer's cap refuses an
 * append nothing more is appended, so the output stays a prefix. */
#define CHUNK 16384

static void
append(struct tg_buf *out, const void *p, size_t n, bool *full)
{
	if (!*full && n > 0 && tg_buf_append(out, p, n) < 0)
		*full = true;
}

enum { B64_SKIP = 64, B64_JUNK = 65 };

/* Sextet value of each byte; B64_SKIP for whitespace and '=', which
 * Python's decoder drops silently; B64_JUNK for everything else it drops. */
static const unsigned char b64_val[256] = {
	65, 65, 65, 65, 65, 65, 65, 65, 65, 64, 64, 64, 64, 64, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	64, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 62, 65, 65, 65, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 65, 65, 65, 64, 65, 65,
	65,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 65, 65, 65, 65, 65,
	65, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
	65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65, 65,
};

size_t
tg_codec_base64_decode(const char *in, size_t len, struct tg_buf *out)
{
	const unsigned char *p = (const unsigned char *)in, *end;
	unsigned char chunk[CHUNK];
	size_t n = 0, junk = 0;
	uint32_t acc = 0;
	unsigned nsext = 0, v;
	bool full = false;

	if (len == 0) /* in may be NULL then: no arithmetic on it */
		return 0;
	end = p + len;
	while (p < end) {
		/* fast path: whole quads of alphabet bytes, the common case
		 * between the line breaks of well-formed input */
		while (nsext == 0 && end - p >= 4 && n <= CHUNK - 3) {
			uint32_t a = b64_val[p[0]], b = b64_val[p[1]];
			uint32_t c = b64_val[p[2]], d = b64_val[p[3]];

			if ((a | b | c | d) >= 64)
				break;
			acc = a << 18 | b << 12 | c << 6 | d;
			chunk[n] = (unsigned char)(acc >> 16);
			chunk[n + 1] = (unsigned char)(acc >> 8);
			chunk[n + 2] = (unsigned char)acc;
			n += 3;
			p += 4;
		}
		/* flushing here leaves room for the 3 bytes the slow path
		 * below and the 2 of the tail may add */
		if (n > CHUNK - 3) {
			append(out, chunk, n, &full);
			n = 0;
			continue;
		}
		if (p == end)
			break;
		/* slow path: one byte, skipping what is not in the alphabet */
		v = b64_val[*p++];
		if (v >= 64) {
			junk += v == B64_JUNK;
			continue;
		}
		acc = (nsext == 0 ? 0 : acc << 6) | v;
		if (++nsext == 4) {
			chunk[n] = (unsigned char)(acc >> 16);
			chunk[n + 1] = (unsigned char)(acc >> 8);
			chunk[n + 2] = (unsigned char)acc;
			n += 3;
			nsext = 0;
		}
	}
	/* a partial quad: 2 sextets carry one byte, 3 carry two; a single
	 * one carries none and is dropped; leftover bits are ignored */
	if (nsext == 2) {
		chunk[n++] = (unsigned char)(acc >> 4);
	} else if (nsext == 3) {
		chunk[n++] = (unsigned char)(acc >> 10);
		chunk[n++] = (unsigned char)(acc >> 2);
	}
	append(out, chunk, n, &full);
	return junk;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Mirrors binascii.a2b_qp(header=False), which quopri.decodestring uses:
 * trailing whitespace is kept, "==" yields one '=', "=\r" swallows
 * everything up to and including the next '\n', '=' at the end vanishes. */
void
tg_codec_qp_decode(const char *in, size_t len, struct tg_buf *out)
{
	const char *p = in, *end;

	if (len == 0)
		return;
	end = in + len;
	while (p < end) {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		int hi, lo;

		if (eq == NULL) {
			tg_buf_append(out, p, (size_t)(end - p));
			break;
		}
		if (eq > p && tg_buf_append(out, p, (size_t)(eq - p)) < 0)
			return;
		p = eq + 1;
		if (p == end)
			break;
		if (*p == '\n' || *p == '\r') {
			while (p < end && *p != '\n')
				p++;
			if (p < end)
				p++;
		} else if (end - p >= 2 &&
			   (hi = hexval((unsigned char)p[0])) >= 0 &&
			   (lo = hexval((unsigned char)p[1])) >= 0) {
			if (tg_buf_putc(out, hi << 4 | lo) < 0)
				return;
			p += 2;
		} else {
			/* "==" gives one '='; otherwise the byte after '=' is
			 * decoded normally next round */
			if (tg_buf_putc(out, '=') < 0)
				return;
			p += *p == '=';
		}
	}
}

/* Like bytes.splitlines(): lines end at "\r\n", "\r" or "\n"; a last line
 * without terminator counts, an empty tail does not. */
static int
next_line(const char *in, size_t len, size_t *pos, const char **line,
	  size_t *llen)
{
	size_t i = *pos;

	if (i >= len)
		return 0;
	*line = in + i;
	while (i < len && in[i] != '\n' && in[i] != '\r')
		i++;
	*llen = (size_t)(i - *pos);
	if (i < len && in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
		i++;
	*pos = i < len ? i + 1 : i;
	return 1;
}

static int
is_pyspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Python's int(s, 8) on bytes: blanks around, a sign, an optional 0o
 * prefix, octal digits with single underscores between them. */
static int
valid_octal(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	while (n > 0 && is_pyspace((unsigned char)s[n - 1]))
		n--;
	while (i < n && is_pyspace((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) {
		i += 2;
		if (i < n && s[i] == '_')
			i++;
	}
	for (; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '7')
			digits++;
		else if (s[i] != '_' || digits == 0 || i + 1 >= n ||
			 s[i + 1] < '0' || s[i + 1] > '7')
			return 0;
	}
	return digits > 0;
}

static int
is_begin_line(const char *s, size_t n)
{
	const char *sp;

	if (n < 6 || memcmp(s, "begin ", 6) != 0)
		return 0;
	s += 6;
	n -= 6;
	sp = memchr(s, ' ', n);
	return valid_octal(s, sp != NULL ? (size_t)(sp - s) : n);
}

/* The set _decode_uu strips before comparing with "end": no '\v'. */
static int
is_end_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

static int
is_end_line(const char *s, size_t n)
{
	while (n > 0 && is_end_blank(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_end_blank(s[n - 1]))
		n--;
	return n == 3 && memcmp(s, "end", 3) == 0;
}

/* binascii.a2b_uu on one line (n >= 1): returns the byte count written to
 * dst (at most 63), or -1 on "Illegal char" / "Trailing garbage". */
static int
uu_line(const unsigned char *s, size_t n, unsigned char *dst)
{
	int want = (s[0] - ' ') & 63, got = 0;
	unsigned acc = 0, bits = 0;
	size_t i = 1;

	for (; got < want; i++) {
		unsigned v = 0;

		/* missing characters read as zero: some encoders strip
		 * trailing blanks */
		if (i < n) {
			if (s[i] < ' ' || s[i] > ' ' + 64)
				return -1;
			v = (s[i] - ' ') & 63;
		}
		acc = (acc << 6 | v) & 0xFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[got++] = (unsigned char)(acc >> bits);
		}
	}
	for (; i < n; i++)
		if (s[i] != ' ' && s[i] != ' ' + 64)
			return -1;
	return got;
}

/* Mirrors email.message._decode_uu in Python 3.11: the first "begin MODE"
 * line with an octal MODE starts the data, "end" or the end of input stops
 * it. An empty line before "end", or a line that stays invalid after
 * Python's cut to its declared length, makes Python return the payload
 * undecoded: that is -1 here too. */
int
tg_codec_uu_decode(const char *in, size_t len, struct tg_buf *out)
{
	size_t pos = 0, llen, saved_len = out->len;
	bool saved_overflow = out->overflow, full = false;
	unsigned char dst[64];
	const char *line;
	int found = 0, n;

	if (len == 0)
		return -1;
	while (!found && next_line(in, len, &pos, &line, &llen))
		found = is_begin_line(line, llen);
	if (!found)
		return -1;
	while (next_line(in, len, &pos, &line, &llen)) {
		const unsigned char *s = (const unsigned char *)line;

		if (llen == 0)
			goto fail;
		if (is_end_line(line, llen))
			break;
		n = uu_line(s, llen, dst);
		if (n < 0) {
			/* "workaround for broken uuencoders": keep only as
			 * many characters as the length byte announces */
			size_t cut = (((s[0] - 32) & 63) * 4 + 5) / 3;

			n = uu_line(s, cut < llen ? cut : llen, dst);
			if (n < 0)
				goto fail;
		}
		/* past the cap, go on: a later line may still fail */
		append(out, dst, (size_t)n, &full);
	}
	return 0;
fail:
	out->len = saved_len;
	out->overflow = saved_overflow;
	if (out->data != NULL)
		out->data[saved_len] = '\0';
	return -1;
}
