/* Stage one's parameters rendered back to a string, as Python's
 * MimeParameters does: RFC 2231 sections joined in numeric order and
 * charset'language'percent-encoding decoded; also the bytes-to-text
 * decoding encoded words and stage two use. Parses untrusted input. */
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/util.h"
#include "param-private.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Not qsort(): callers need a stable order, so that of equal keys the
 * first one seen wins. */
void
param_merge_sort(size_t *v, size_t n, param_cmp_fn cmp, const void *ctx)
{
	size_t *tmp = tg_xmalloc((n + 1) * sizeof(*tmp));

	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = mid + w < n ? mid + w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = cmp(ctx, v[j], v[i]) < 0 ? v[j++]
								    : v[i++];
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
	free(tmp);
}

int
param_bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/* A section number: digits compared as numbers of any length, then
 * saturated for comparing with a counter. */
unsigned long long
param_digits_value(const char *d, size_t n, const char **sig,
		   size_t *sig_len)
{
	unsigned long long v = 0;

	while (n > 0 && *d == '0') {
		d++;
		n--;
	}
	*sig = d;
	*sig_len = n;
	if (n > 18)
		return ~0ULL;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned)(d[i] - '0');
	return v;
}

static unsigned long long
section_of(const struct parser *p, const struct sparam *sp, const char **sig,
	   size_t *sig_len)
{
	return param_digits_value(p->arena.data + sp->digits.off,
				  sp->digits.len, sig, sig_len);
}

static int
sparam_cmp(const void *ctx, size_t x, size_t y)
{
	const struct parser *p = ctx;
	const struct sparam *a = &p->ps[x], *b = &p->ps[y];
	const char *da, *db;
	size_t la, lb;
	int c = param_bytes_cmp(p->arena.data + a->name.off, a->name.len,
				p->arena.data + b->name.off, b->name.len);

	if (c != 0)
		return c;
	section_of(p, a, &da, &la);
	section_of(p, b, &db, &lb);
	return la != lb ? (la < lb ? -1 : 1) : memcmp(da, db, la);
}

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

/* The label, trimmed, as a C string in buf; false for an unknown one. */
bool
param_charset_label(const char *s, size_t n, char *buf, size_t size)
{
	while (n > 0 && param_py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && param_py_space((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= size || memchr(s, '\0', n) != NULL)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return tg_charset_known(buf);
}

/* bytes.decode(charset, 'surrogateescape'): undecodable bytes (or all of
 * them, for an unknown charset) stay raw. A known charset that fails is
 * retried a character at a time within the parser's budget, like
 * rfc2047.c does for encoded words. */
bool
param_decode_bytes(struct parser *p, const char *cs, bool known,
		   const char *b, size_t n, struct tg_buf *out, bool *raw8)
{
	size_t pos = 0;
	bool any8 = false;

	if (n == 0 || (known && tg_charset_to_utf8(cs, b, n, out) == 0))
		return true;
	for (size_t i = 0; i < n && !any8; i++)
		any8 = (unsigned char)b[i] >= 0x80;
	if (known && stateful_charset(cs) && !any8)
		return false; /* the error is on 7-bit bytes */
	while (known && !stateful_charset(cs) && pos < n &&
	       p->step_budget > 0) {
		size_t l, maxl = n - pos < 4 ? n - pos : 4;
		bool ok = false;

		for (l = 1; l <= maxl && p->step_budget > 0 && !ok; l++) {
			p->step_budget--;
			ok = tg_charset_to_utf8(cs, b + pos, l, out) == 0;
		}
		if (ok)
			pos += l - 1;
		else if (l <= maxl)
			break;
		else if ((unsigned char)b[pos] < 0x80)
			return false;
		else
			*raw8 = true, tg_buf_putc(out, b[pos++]);
	}
	for (size_t i = pos; i < n; i++)
		*raw8 |= (unsigned char)b[i] >= 0x80;
	tg_buf_append(out, b + pos, n - pos);
	return true;
}

/* One RFC 2231 segment marked '*': percent-decoded, then read in the
 * charset. When the value holds raw 8-bit bytes Python cannot make bytes
 * of it and reads each %XX as a Latin-1 character instead. */
static void
pct_decode(struct parser *p, const struct span *v, const char *cs, bool known,
	   struct tg_buf *out)
{
	const char *s = p->arena.data + v->off;
	struct tg_buf bytes;
	size_t mark;
	bool raw8 = false;

	tg_buf_init(&bytes, v->len + 1, 0);
	for (size_t i = 0; i < v->len; i++) {
		int hi = -1, lo = -1;

		if (s[i] == '%' && v->len - i > 2) {
			hi = param_hexval((unsigned char)s[i + 1]);
			lo = param_hexval((unsigned char)s[i + 2]);
		}
		if (hi < 0 || lo < 0)
			tg_buf_putc(v->raw8 ? out : &bytes, s[i]);
		else if (v->raw8)
			tg_buf_put_utf8(out, (unsigned)(hi << 4 | lo));
		else
			tg_buf_putc(&bytes, hi << 4 | lo);
		if (hi >= 0 && lo >= 0)
			i += 2;
	}
	mark = out->len;
	if (!param_decode_bytes(p, cs, known, bytes.data, bytes.len, out,
				&raw8)) {
		/* Python fails on the header here; keep the bytes */
		out->len = mark;
		tg_buf_append(out, bytes.data, bytes.len);
	}
	tg_buf_deinit(&bytes);
}

/* MimeParameters.params and its str(): the parameters grouped by name
 * (first appearance decides the order), sections joined in numeric
 * order, rendered as ' name="value"; ...'. */
void
param_render_params(struct parser *p)
{
	size_t np = p->nps, gend;
	size_t *idx = tg_xmalloc((np + 1) * sizeof(*idx));
	size_t *slot = tg_xmalloc((np + 1) * 3 * sizeof(*slot));
	struct tg_buf vals;
	bool any = false;

	tg_buf_init(&vals, 64, 0);
	for (size_t i = 0; i < np; i++) {
		idx[i] = i;
		slot[3 * i] = SIZE_MAX;
	}
	param_merge_sort(idx, np, sparam_cmp, p);
	for (size_t g = 0; g < np; g = gend) {
		const struct sparam *first = &p->ps[idx[g]];
		size_t minord = first->order, voff = vals.len, count;
		unsigned long long k = 0;
		const char *sig;
		size_t sl;
		char cs[64] = "us-ascii";
		bool known;

		for (gend = g + 1; gend < np && param_bytes_cmp(
		     p->arena.data + first->name.off, first->name.len,
		     p->arena.data + p->ps[idx[gend]].name.off,
		     p->ps[idx[gend]].name.len) == 0; gend++)
			if (p->ps[idx[gend]].order < minord)
				minord = p->ps[idx[gend]].order;
		known = first->has_charset
			? param_charset_label(p->arena.data +
					      first->charset.off,
					      first->charset.len, cs,
					      sizeof(cs))
			: tg_charset_known(cs);
		count = gend - g;
		/* a plain duplicate of a plain parameter is ignored */
		if (!first->extended && count > 1 &&
		    section_of(p, &p->ps[idx[g + 1]], &sig, &sl) == 0)
			count = 1;
		for (size_t m = g; m < g + count; m++) {
			const struct sparam *sp = &p->ps[idx[m]];

			if (section_of(p, sp, &sig, &sl) != k && !sp->extended)
				continue;
			k++;
			if (sp->extended)
				pct_decode(p, &sp->value, cs, known, &vals);
			else
				tg_buf_append(&vals, p->arena.data +
					      sp->value.off, sp->value.len);
		}
		slot[3 * minord] = idx[g];
		slot[3 * minord + 1] = voff;
		slot[3 * minord + 2] = vals.len - voff;
	}
	for (size_t i = 0; i < np; i++) {
		const struct sparam *sp;

		if (slot[3 * i] == SIZE_MAX)
			continue;
		sp = &p->ps[slot[3 * i]];
		tg_buf_puts(&p->render, any ? "; " : " ");
		any = true;
		tg_buf_append(&p->render, p->arena.data + sp->name.off,
			      sp->name.len);
		if (slot[3 * i + 2] > 0) {
			tg_buf_putc(&p->render, '=');
			param_quote_into(&p->render,
					 vals.data + slot[3 * i + 1],
					 slot[3 * i + 2]);
		}
	}
	tg_buf_deinit(&vals);
	free(slot);
	free(idx);
}

