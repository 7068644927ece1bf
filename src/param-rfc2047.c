/* RFC 2047 encoded words inside Content-Type and Content-Disposition
 * values, found and decoded as Python's header parser does it, for the
 * grammar in param.c. Parses untrusted input: word extents come from an
 * index of the value's '?' (no rescanning), undecodable bytes stay raw. */
#include "ticketgate/buf.h"
#include "ticketgate/util.h"
#include "param-private.h"

#include <stdbool.h>
#include <string.h>

/* With index, also the '?' positions param_ew_at() searches; without,
 * it finds no encoded word in v at all. */
void
param_view_init(struct view *v, const char *s, size_t n, bool index)
{
	size_t nq = 0, nqe = 0;

	memset(v, 0, sizeof(*v));
	v->s = s;
	v->n = n;
	if (!index)
		return;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '?') {
			nq++;
			nqe += i + 1 < n && s[i + 1] == '=';
		}
	v->q = tg_xmalloc((nq + 1) * sizeof(*v->q));
	v->qe = tg_xmalloc((nqe + 1) * sizeof(*v->qe));
	for (size_t i = 0; i < n; i++)
		if (s[i] == '?') {
			v->q[v->nq++] = i;
			if (i + 1 < n && s[i + 1] == '=')
				v->qe[v->nqe++] = i;
		}
}

/* First element >= x of a sorted array, or n. */
static size_t
next_pos(const size_t *a, size_t na, size_t x, size_t n)
{
	size_t lo = 0, hi = na;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < na ? a[lo] : n;
}

/* Python's get_encoded_word at i ("=?" there): true when a decodable
 * word starts there; *tok_end ends charset?cte?text, *end the word. The
 * extent rule is the one rfc2047.c documents. */
bool
param_ew_at(const struct view *v, size_t i, size_t *tok_end, size_t *end)
{
	const char *s = v->s;
	size_t n = v->n, k, a, b;
	unsigned bad = 0;

	if (v->q == NULL || n - i < 2 || s[i] != '=' || s[i + 1] != '?')
		return false;
	k = next_pos(v->qe, v->nqe, i + 2, n);
	if (k >= n)
		return false;
	*tok_end = k;
	*end = k + 2;
	a = next_pos(v->q, v->nq, i + 2, n);
	b = a < n ? next_pos(v->q, v->nq, a + 1, n) : n;
	if (k + 3 < n && param_hexval((unsigned char)s[k + 2]) >= 0 &&
	    param_hexval((unsigned char)s[k + 3]) >= 0 && b >= k) {
		size_t k2 = next_pos(v->qe, v->nqe, k + 2, n);

		*tok_end = k2;
		*end = k2 < n ? k2 + 2 : n;
	}
	if (b >= *tok_end || b != a + 2 ||
	    next_pos(v->q, v->nq, b + 1, n) < *tok_end)
		return false;
	/* Python raises ValueError (no word) on a NUL in the charset name,
	 * unless 8-bit bytes in it fail first (an unknown charset). */
	for (k = i + 2; k < a && s[k] != '*'; k++)
		bad |= s[k] == '\0' ? 1 : (unsigned char)s[k] >= 0x80 ? 2 : 0;
	if (bad == 1)
		return false;
	return s[a + 1] == 'q' || s[a + 1] == 'Q' || s[a + 1] == 'b' ||
	       s[a + 1] == 'B';
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
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decodes the word s[i..tok_end) ("=?charset?cte?text") into out. The
 * q and b decoders are those of rfc2047.c (see there for Python's
 * rules); they are repeated here because bytes the charset cannot decode
 * must stay raw, as Python keeps them, and rfc2047.h offers only the
 * finished UTF-8. False (out unchanged) when Python's decoding raises
 * and the word is not one after all. */
bool
param_ew_decode(struct parser *p, const struct view *v, size_t i,
		size_t tok_end, struct tg_buf *out, bool *raw8)
{
	const char *s = v->s;
	size_t a = i + 2, cl, t;
	unsigned quad = 0, pads = 0, left = 0;
	struct tg_buf bytes;
	char cs[64];
	size_t mark;
	bool known, ok;

	while (s[a] != '?')
		a++;
	for (cl = 0; i + 2 + cl < a && s[i + 2 + cl] != '*'; cl++)
		;
	known = param_charset_label(s + i + 2, cl, cs, sizeof(cs));
	tg_buf_init(&bytes, tok_end - a + 1, 0);
	for (t = a + 3; t < tok_end; t++) {
		int hi, lo, x;

		if (s[a + 1] == 'q' || s[a + 1] == 'Q') {
			if (s[t] == '=' && tok_end - t > 2 &&
			    (hi = param_hexval((unsigned char)s[t + 1])) >= 0 &&
			    (lo = param_hexval((unsigned char)s[t + 2])) >= 0) {
				tg_buf_putc(&bytes, hi << 4 | lo);
				t += 2;
			} else {
				tg_buf_putc(&bytes, s[t] == '_' ? ' ' : s[t]);
			}
			continue;
		}
		if (s[t] == '=') {
			if (quad >= 2 && quad + ++pads >= 4)
				break;
			continue;
		}
		if ((x = b64val((unsigned char)s[t])) < 0)
			continue;
		pads = 0;
		if (quad > 0)
			tg_buf_putc(&bytes, (int)(left << (2 * quad) |
						  (unsigned)x >> (6 - 2 * quad)));
		left = (unsigned)x & (0x3fu >> (2 * quad));
		quad = (quad + 1) & 3;
	}
	if (quad == 1) { /* a lone sextet: Python keeps the text itself */
		tg_buf_reset(&bytes);
		tg_buf_append(&bytes, s + a + 3, tok_end - (a + 3));
	}
	mark = out->len;
	ok = param_decode_bytes(p, cs, known, bytes.data, bytes.len, out,
				raw8);
	if (!ok && out->len > mark) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	tg_buf_deinit(&bytes);
	return ok;
}

