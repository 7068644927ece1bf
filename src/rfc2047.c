/* RFC 2047 encoded words in unstructured header text. Tokenizes the way
 * Python's email package (policy.default) does, so results match it field
 * by field. Parses untrusted input: linear time and bounded reads on any
 * input, output always valid UTF-8.
 */
#include "ticketgate/rfc2047.h"
#include "ticketgate/charset.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Python's str.isspace() on ASCII; bytes >= 0x80 reach Python as escaped
 * bytes, which are never whitespace. */
static bool
py_space(unsigned char c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum pattern {
	PAT_QMARK,    /* '?' */
	PAT_QMARK_EQ, /* "?=" */
	PAT_WSP,      /* ' ' or '\t' */
};

/* "First occurrence at or after x" with the last answer cached. Python
 * finds these with fresh scans (split('?=') on the rest of the value),
 * which is quadratic on hostile input; the queries each finder gets only
 * move forward, so a cached answer makes the total scanning linear. */
struct finder {
	const char *s;
	size_t n;
	enum pattern pat;
	bool cached;
	size_t from, at; /* at == n: none at or after from */
};

static void
finder_init(struct finder *f, const char *s, size_t n, enum pattern pat)
{
	f->s = s;
	f->n = n;
	f->pat = pat;
	f->cached = false;
	f->from = f->at = 0;
}

static bool
pat_at(const struct finder *f, size_t i)
{
	switch (f->pat) {
	case PAT_QMARK:
		return f->s[i] == '?';
	case PAT_QMARK_EQ:
		return f->s[i] == '?' && i + 1 < f->n && f->s[i + 1] == '=';
	case PAT_WSP:
		return is_wsp(f->s[i]);
	}
	return false;
}

/* Index of the first match at or after x, or n when there is none. */
static size_t
finder_next(struct finder *f, size_t x)
{
	size_t i;

	if (x >= f->n)
		return f->n;
	if (f->cached && x >= f->from && f->at >= x)
		return f->at;
	for (i = x; i < f->n && !pat_at(f, i); i++)
		;
	f->cached = true;
	f->from = x;
	f->at = i;
	return i;
}

struct dec {
	const char *s;
	size_t n;
	struct finder qe, qe2, q1, q2, q3, wsp;
	/* The chunk (run without ' '/'\t') whose "contains an encoded
	 * word" answer is cached: last_good is the last start of a match
	 * of Python's rfc2047_matcher in it. */
	size_t chunk_end;
	bool chunk_known, has_good;
	size_t last_good;
	size_t step_budget; /* charset conversions left for stepping */
};

/* Charset conversions one header may spend on decoding words
 * character by character (see decode_stepwise). */
#define STEP_BUDGET 4096

enum ew_result {
	EW_OK,
	EW_NOT_FOUND, /* no "?=" after "=?": Python's HeaderParseError */
	EW_INVALID,   /* not charset?q|b?text: Python's _InvalidEwError */
};

struct ew {
	size_t end;                  /* first byte after the word */
	size_t cs, cs_len;           /* charset, without "*lang" */
	char cte;                    /* 'q' or 'b' */
	size_t text, text_len;
};

static bool
has_8bit(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] >= 0x80)
			return true;
	return false;
}

/* Finds the extent of the encoded word at i (s[i..] starts "=?") the way
 * Python's get_encoded_word does: up to the first "?=", except that when
 * that "?=" is followed by two hex digits and the word has fewer than two
 * '?' so far, the "?=" was really "?" + "=XX" and the word runs to the
 * next "?=" (or the end of the value). The word must then be exactly
 * charset?cte?text with cte one of q/Q/b/B. */
static enum ew_result
parse_ew(struct dec *d, size_t i, struct ew *ew)
{
	const char *s = d->s;
	size_t n = d->n;
	size_t k, tok_end, a, b, c;

	k = finder_next(&d->qe, i + 2);
	if (k >= n)
		return EW_NOT_FOUND;
	tok_end = k;
	ew->end = k + 2;
	a = finder_next(&d->q1, i + 2);
	b = a < n ? finder_next(&d->q2, a + 1) : n;
	if (k + 3 < n && hexval(s[k + 2]) >= 0 && hexval(s[k + 3]) >= 0 &&
	    b >= k) {
		size_t k2 = finder_next(&d->qe2, k + 2);

		tok_end = k2;
		ew->end = k2 < n ? k2 + 2 : n;
	}
	if (a >= tok_end || b >= tok_end)
		return EW_INVALID;
	c = finder_next(&d->q3, b + 1);
	if (c < tok_end || b != a + 2)
		return EW_INVALID;
	switch (s[a + 1]) {
	case 'q':
	case 'Q':
		ew->cte = 'q';
		break;
	case 'b':
	case 'B':
		ew->cte = 'b';
		break;
	default:
		return EW_INVALID;
	}
	ew->cs = i + 2;
	ew->cs_len = 0;
	while (ew->cs + ew->cs_len < a && s[ew->cs + ew->cs_len] != '*')
		ew->cs_len++;
	/* Python raises ValueError (the word is kept) on a NUL in the
	 * charset name, unless 8-bit bytes in it fail first (unknown). */
	if (memchr(s + ew->cs, '\0', ew->cs_len) != NULL &&
	    !has_8bit(s + ew->cs, ew->cs_len))
		return EW_INVALID;
	ew->text = b + 1;
	ew->text_len = tok_end - (b + 1);
	return EW_OK;
}

/* Python's "q" decoder: '_' is a space, then every =XX (either case) is
 * one byte; any other '=' stays. */
static void
decode_q(const char *in, size_t len, struct tg_buf *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (in[i] == '_') {
			tg_buf_putc(out, ' ');
		} else if (in[i] == '=' && len - i > 2 &&
			   (hi = hexval(in[i + 1])) >= 0 &&
			   (lo = hexval(in[i + 2])) >= 0) {
			tg_buf_putc(out, hi << 4 | lo);
			i += 2;
		} else {
			tg_buf_putc(out, in[i]);
		}
	}
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Python's "b" decoder, which retries binascii with more and more
 * leniency: in effect junk bytes are skipped, a complete '=' padding ends
 * the data, missing padding is fine, and only a lone dangling sextet
 * fails, in which case the encoded text itself is the result. */
static void
decode_b(const char *in, size_t len, struct tg_buf *out)
{
	size_t start = out->len;
	unsigned quad = 0, pads = 0, left = 0;

	for (size_t i = 0; i < len; i++) {
		int v;

		if (in[i] == '=') {
			if (quad >= 2 && quad + ++pads >= 4)
				return;
			continue;
		}
		v = b64val((unsigned char)in[i]);
		if (v < 0)
			continue;
		pads = 0;
		switch (quad) {
		case 0:
			left = (unsigned)v;
			break;
		case 1:
			tg_buf_putc(out, (int)(left << 2 | (unsigned)v >> 4));
			left = (unsigned)v & 0x0f;
			break;
		case 2:
			tg_buf_putc(out, (int)(left << 4 | (unsigned)v >> 2));
			left = (unsigned)v & 0x03;
			break;
		default:
			tg_buf_putc(out, (int)(left << 6 | (unsigned)v));
			break;
		}
		quad = (quad + 1) & 3;
	}
	if (quad == 1) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		tg_buf_append(out, in, len);
	}
}


/* Charsets where a piece of the bytes cannot be decoded on its own: shift
 * state (ISO-2022, UTF-7, HZ) or a byte order mark (UTF-16/32). */
static bool
stateful_charset(const char *cs)
{
	static const char *const prefixes[] = {
		"iso-2022", "iso2022", "csiso2022", "utf-7", "utf7",
		"unicode-1-1-utf-7", "hz", "utf-16", "utf16", "utf-32",
		"utf32", "ucs-2", "ucs2", "ucs-4", "ucs4", "unicode",
	};

	for (size_t i = 0; i < TG_N(prefixes); i++)
		if (tg_ascii_strncasecmp(cs, prefixes[i],
					 strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* Python decodes a word whose bytes are invalid in its charset character
 * by character, keeping the bad bytes escaped. We do the same one
 * character (at most 4 bytes) at a time; every attempt is a charset
 * conversion, so a budget per header keeps hostile input linear, and
 * whatever is left over goes in raw. Python cannot escape a bad byte
 * below 0x80 and then keeps the whole word as it was: false. */
static bool
decode_stepwise(const char *cs, const char *b, size_t n, struct tg_buf *raw,
		size_t *budget)
{
	size_t pos = 0;

	while (pos < n && *budget > 0) {
		size_t l, maxl = n - pos < 4 ? n - pos : 4;
		bool ok = false;

		for (l = 1; l <= maxl && *budget > 0 && !ok; l++) {
			(*budget)--;
			ok = tg_charset_to_utf8(cs, b + pos, l, raw) == 0;
		}
		if (ok)
			pos += l - 1;
		else if (l <= maxl)
			break; /* out of budget in the middle of a character */
		else if ((unsigned char)b[pos] < 0x80)
			return false;
		else
			tg_buf_putc(raw, b[pos++]);
	}
	tg_buf_append(raw, b + pos, n - pos);
	return true;
}

/* ISO-2022 bytes that failed as a whole because of 8-bit bytes: Python
 * escapes one met in a single-byte mode but raises on one in a two-byte
 * mode, where the error takes a 7-bit byte with it. The 7-bit runs in
 * between are decoded on their own. */
static bool
decode_iso2022(const char *cs, const char *b, size_t n, struct tg_buf *raw)
{
	bool kr = strstr(cs, "kr") != NULL || strstr(cs, "KR") != NULL;
	bool two = false;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && (unsigned char)b[i] < 0x80) {
			if (kr && (b[i] == 0x0e || b[i] == 0x0f))
				two = b[i] == 0x0e;
			else if (!kr && b[i] == 0x1b && i + 1 < n &&
				 (b[i + 1] == '$' || b[i + 1] == '('))
				two = b[i + 1] == '$';
			continue;
		}
		if (i < n && two)
			return false;
		if (i > start &&
		    tg_charset_to_utf8(cs, b + start, i - start, raw) < 0)
			return false;
		if (i < n)
			tg_buf_putc(raw, b[i]);
		start = i + 1;
	}
	return true;
}

/* Appends the word's decoded text to raw; false (raw unchanged) when
 * Python would keep the word as it is. Bytes the charset cannot decode
 * (or an unknown charset) go in as they are: Python keeps them as escaped
 * bytes and finally reads the whole value as UTF-8, so a character split
 * across two words still comes out whole. */
static bool
decode_word(struct dec *d, const struct ew *ew, struct tg_buf *raw)
{
	char cs[64];
	struct tg_buf bytes;
	size_t mark = raw->len;
	bool ok = true, known = ew->cs_len > 0 && ew->cs_len < sizeof(cs) &&
				memchr(d->s + ew->cs, '\0', ew->cs_len) == NULL;

	tg_buf_init(&bytes, ew->text_len + 1, 0);
	if (ew->cte == 'q')
		decode_q(d->s + ew->text, ew->text_len, &bytes);
	else
		decode_b(d->s + ew->text, ew->text_len, &bytes);
	if (known) {
		memcpy(cs, d->s + ew->cs, ew->cs_len);
		cs[ew->cs_len] = '\0';
		known = tg_charset_known(cs);
	}
	if (bytes.len == 0) {
		/* nothing to convert */
	} else if (!known) {
		tg_buf_append(raw, bytes.data, bytes.len);
	} else if (tg_charset_to_utf8(cs, bytes.data, bytes.len, raw) < 0) {
		if (!stateful_charset(cs))
			ok = decode_stepwise(cs, bytes.data, bytes.len, raw,
					     &d->step_budget);
		else if (!has_8bit(bytes.data, bytes.len))
			ok = false; /* the error is on 7-bit bytes */
		else if (tg_ascii_strncasecmp(cs, "iso", 3) == 0 ||
			 tg_ascii_strncasecmp(cs, "csiso", 5) == 0)
			ok = decode_iso2022(cs, bytes.data, bytes.len, raw);
		else
			tg_buf_append(raw, bytes.data, bytes.len);
	}
	tg_buf_deinit(&bytes);
	if (!ok) {
		raw->len = mark;
		if (raw->data != NULL)
			raw->data[mark] = '\0';
	}
	return ok;
}

/* Whether chunk s[i..chunk end) contains a match of Python's
 * rfc2047_matcher: "=?" [^?]* "?" [qQbB] "?" .*? "?=". Computed once per
 * chunk as the last start of a match, so later queries in the same chunk
 * (i only grows) cost nothing. */
static bool
chunk_has_ew(struct dec *d, size_t i, size_t w)
{
	const char *s = d->s;

	if (!d->chunk_known || d->chunk_end != w) {
		size_t last_qe = 0, p = i;
		bool have_qe = false;

		d->chunk_known = true;
		d->chunk_end = w;
		d->has_good = false;
		for (size_t k = w; k >= i + 2; k--) {
			if (s[k - 2] == '?' && s[k - 1] == '=') {
				last_qe = k - 2;
				have_qe = true;
				break;
			}
		}
		while (have_qe && p + 1 < w) {
			size_t j;

			if (s[p] != '=' || s[p + 1] != '?') {
				p++;
				continue;
			}
			for (j = p + 2; j < w && s[j] != '?'; j++)
				;
			if (j >= w)
				break;
			if (j + 2 < w && strchr("qQbB", s[j + 1]) != NULL &&
			    s[j + 2] == '?' && last_qe >= j + 3) {
				d->has_good = true;
				d->last_good = p;
			}
			/* The next "=?" cannot start before j - 1: there
			 * is no '?' between p + 1 and j. */
			p = j - 1 > p ? j - 1 : p + 1;
		}
	}
	return d->has_good && d->last_good >= i;
}

/* Appends the stream as UTF-8, reading invalid bytes as Windows-1252.
 * NUL bytes are dropped: they would cut the C string the caller keeps. */
static void
finish(const struct tg_buf *raw, struct tg_buf *out)
{
	for (size_t i = 0, k; i < raw->len; i = k + 1) {
		const char *z = memchr(raw->data + i, '\0', raw->len - i);

		k = z != NULL ? (size_t)(z - raw->data) : raw->len;
		tg_charset_fallback_to_utf8(raw->data + i, k - i, out);
	}
}

enum tok {
	TOK_NONE,
	TOK_TEXT,
	TOK_FWS,
	TOK_EW,
};

/* Python removes every CR and LF from a header value before parsing. */
static char *
strip_crlf(const char *in, size_t *len)
{
	char *c = tg_xmalloc(*len);
	size_t o = 0;

	for (size_t i = 0; i < *len; i++)
		if (in[i] != '\r' && in[i] != '\n')
			c[o++] = in[i];
	*len = o;
	return c;
}

void
tg_rfc2047_decode(const char *in, size_t len, struct tg_buf *out)
{
	struct dec d;
	struct tg_buf raw;
	char *copy = NULL;
	enum tok last = TOK_NONE, before_last = TOK_NONE;
	size_t fws_at = 0; /* raw->len before the last whitespace token */
	size_t i = 0;

	if (in == NULL || len == 0)
		return;
	if (memchr(in, '\r', len) != NULL || memchr(in, '\n', len) != NULL) {
		copy = strip_crlf(in, &len);
		in = copy;
	}
	memset(&d, 0, sizeof(d));
	d.s = in;
	d.n = len;
	finder_init(&d.qe, in, len, PAT_QMARK_EQ);
	finder_init(&d.qe2, in, len, PAT_QMARK_EQ);
	finder_init(&d.q1, in, len, PAT_QMARK);
	finder_init(&d.q2, in, len, PAT_QMARK);
	finder_init(&d.q3, in, len, PAT_QMARK);
	finder_init(&d.wsp, in, len, PAT_WSP);
	d.step_budget = STEP_BUDGET;
	tg_buf_init(&raw, len + 16, 0);

	while (i < len) {
		bool valid_ew = true;
		size_t w, end;

		if (is_wsp(in[i])) {
			/* Python's get_fws: the run goes on over any
			 * whitespace once it started with a blank. */
			end = i;
			while (end < len && py_space((unsigned char)in[end]))
				end++;
			fws_at = raw.len;
			tg_buf_append(&raw, in + i, end - i);
			before_last = last;
			last = TOK_FWS;
			i = end;
			continue;
		}
		if (len - i >= 2 && in[i] == '=' && in[i + 1] == '?') {
			struct ew ew;
			enum ew_result r = parse_ew(&d, i, &ew);

			size_t mark = raw.len;

			if (r == EW_OK && !decode_word(&d, &ew, &raw))
				r = EW_INVALID;
			if (r == EW_OK) {
				/* Whitespace between two encoded words is
				 * not part of the text (RFC 2047 6.2). */
				if (last == TOK_FWS && before_last == TOK_EW) {
					memmove(raw.data + fws_at,
						raw.data + mark, raw.len - mark);
					raw.len -= mark - fws_at;
					raw.data[raw.len] = '\0';
				}
				before_last = last;
				last = TOK_EW;
				i = ew.end;
				continue;
			}
			valid_ew = r != EW_INVALID;
		}
		/* Text up to the next blank; Python splits it before an
		 * encoded word glued to it ("foo=?utf-8?q?bar?="), unless
		 * the word at the start just failed to decode. */
		w = finder_next(&d.wsp, i);
		end = w;
		if (valid_ew && chunk_has_ew(&d, i, w)) {
			size_t f = i + 1;

			while (f + 1 < w && !(in[f] == '=' && in[f + 1] == '?'))
				f++;
			if (f + 1 < w)
				end = f;
		}
		tg_buf_append(&raw, in + i, end - i);
		before_last = last;
		last = TOK_TEXT;
		i = end;
	}
	finish(&raw, out);
	tg_buf_deinit(&raw);
	free(copy);
}
