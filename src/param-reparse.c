/* Stage two: the header as stage one rendered it, re-parsed the way
 * Message.get_param() does with Python's older parser (split at ';',
 * unquoted, RFC 2231 pieces joined and decoded once more), down to the
 * name/value pairs the caller gets. Parses untrusted input. */
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/param.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "param-private.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One (name, value) of the old parser; strings in parser.arena. */
struct ent {
	struct span name, value;
	bool rfc2231, encoded, has_num;
	bool skip; /* left out: a later duplicate, or no name at all */
	unsigned long long num;
	size_t order;
};

/* Python's str.isspace() length of the character at s[i] (UTF-8). */
static size_t
uspace_at(const char *s, size_t i, size_t n)
{
	const unsigned char *u = (const unsigned char *)s + i;

	if (u[0] < 0x80)
		return param_py_space(u[0]);
	if (n - i >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
		return 2;
	if (n - i < 3)
		return 0;
	if ((u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80) ||
	    (u[0] == 0xe2 && u[1] == 0x80 &&
	     ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 ||
	      u[2] == 0xa9 || u[2] == 0xaf)) ||
	    (u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f) ||
	    (u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80))
		return 3;
	return 0;
}

/* str.strip() of s[*a..*b). */
void
param_ustrip(const char *s, size_t *a, size_t *b)
{
	size_t k;

	while (*a < *b && (k = uspace_at(s, *a, *b)) > 0)
		*a += k;
	for (;;) {
		if (*b > *a && (unsigned char)s[*b - 1] < 0x80 &&
		    param_py_space((unsigned char)s[*b - 1]))
			k = 1;
		else if (*b - *a >= 2 && uspace_at(s, *b - 2, *b) == 2)
			k = 2;
		else if (*b - *a >= 3 && uspace_at(s, *b - 3, *b) == 3)
			k = 3;
		else
			break;
		*b -= k;
	}
}

/* email.utils.unquote(): one layer of "..." (then \\ and \" unescaped,
 * in that order) or of <...> removed. */
static void
unquote(const char *s, size_t n, struct tg_buf *out)
{
	struct tg_buf t;

	if (n < 2 || !((s[0] == '"' && s[n - 1] == '"') ||
		       (s[0] == '<' && s[n - 1] == '>'))) {
		tg_buf_append(out, s, n);
		return;
	}
	if (s[0] == '<') {
		tg_buf_append(out, s + 1, n - 2);
		return;
	}
	tg_buf_init(&t, n, 0);
	for (size_t i = 1; i + 1 < n; i++) {
		tg_buf_putc(&t, s[i]);
		i += s[i] == '\\' && i + 2 < n && s[i + 1] == '\\';
	}
	for (size_t i = 0; i < t.len; i++) {
		bool pair = t.data[i] == '\\' && i + 1 < t.len &&
			    t.data[i + 1] == '"';

		tg_buf_putc(out, pair ? '"' : t.data[i]);
		i += pair;
	}
	tg_buf_deinit(&t);
}

/* unquote() applied twice, into the arena: get_param() unquotes what the
 * old parser kept quoted and collapse_rfc2231_value() unquotes again. */
static struct span
unquote2(struct parser *p, const char *s, size_t n, int times)
{
	struct tg_buf t;
	struct span sp = { p->arena.len, 0, false };

	tg_buf_init(&t, n + 1, 0);
	unquote(s, n, &t);
	if (times == 2)
		unquote(t.data, t.len, &p->arena);
	else
		tg_buf_append(&p->arena, t.data, t.len);
	tg_buf_deinit(&t);
	sp.len = p->arena.len - sp.off;
	return sp;
}

/* rfc2231_continuation: ^(\w+)\*((\d+)\*?)?$ in ASCII. */
static bool
rfc2231_name(const char *s, size_t n, struct ent *e)
{
	size_t i = 0, d;

	while (i < n && (s[i] == '_' || (s[i] >= '0' && s[i] <= '9') ||
			 (tg_ascii_tolower((unsigned char)s[i]) >= 'a' &&
			  tg_ascii_tolower((unsigned char)s[i]) <= 'z')))
		i++;
	if (i == 0 || i == n || s[i] != '*')
		return false;
	for (d = i + 1; d < n && s[d] >= '0' && s[d] <= '9'; d++)
		;
	if (d < n && !(d > i + 1 && d + 1 == n && s[d] == '*'))
		return false;
	e->name.len -= n - i;
	e->has_num = d > i + 1;
	if (e->has_num) {
		const char *sig;
		size_t sl;

		e->num = param_digits_value(s + i + 1, d - i - 1, &sig, &sl);
	}
	e->encoded = s[n - 1] == '*';
	return e->rfc2231 = true;
}

static int
ent_cmp(const void *ctx, size_t x, size_t y)
{
	const struct parser *p = ((const void *const *)ctx)[0];
	const struct ent *es = ((const void *const *)ctx)[1];
	const struct ent *a = &es[x], *b = &es[y];
	int c = param_bytes_cmp(p->arena.data + a->name.off, a->name.len,
				p->arena.data + b->name.off, b->name.len);

	if (c != 0 || a->has_num != b->has_num)
		return c != 0 ? c : a->has_num ? 1 : -1;
	return a->num < b->num ? -1 : a->num > b->num;
}

/* raw-unicode-escape of UTF-8 text: code points up to U+00FF as bytes,
 * others as \uXXXX; invalid bytes were U+FFFD by then in Python. */
static void
raw_unicode_escape(const char *s, size_t n, struct tg_buf *out)
{
	for (size_t i = 0; i < n; ) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		unsigned cp = 0xfffd;

		if (l > n - i || !tg_utf8_valid(s + i, l))
			l = 1;
		else if (l == 1)
			cp = c;
		else
			for (size_t k = 0; k < l; k++)
				cp = k == 0 ? c & (0x7f >> l)
					    : cp << 6 | ((unsigned char)s[i + k] & 0x3f);
		if (cp <= 0xff)
			tg_buf_putc(out, (int)cp);
		else
			tg_buf_appendf(out, cp > 0xffff ? "\\U%08x" : "\\u%04x",
				       cp);
		i += l;
	}
}

/* decode_params() for one name's RFC 2231 pieces es[ix[0..n)], then
 * collapse_rfc2231_value(); the value goes into e->value. */
static void
join_2231(struct parser *p, struct ent *es, const size_t *ix, size_t n,
	  struct ent *e)
{
	struct tg_buf j, rb;
	bool ext = false;
	const char *q1, *q2;
	char cs[64] = "us-ascii";
	bool raw8 = false;

	tg_buf_init(&j, 64, 0);
	tg_buf_init(&rb, 64, 0);
	for (size_t k = 0; k < n; k++) {
		const struct ent *x = &es[ix[k]];
		const char *s = p->arena.data + x->value.off;

		for (size_t i = 0; i < x->value.len; i++) {
			int hi = -1, lo = -1;

			if (x->encoded && s[i] == '%' && x->value.len - i > 2) {
				hi = param_hexval((unsigned char)s[i + 1]);
				lo = param_hexval((unsigned char)s[i + 2]);
			}
			if (hi >= 0 && lo >= 0) {
				tg_buf_put_utf8(&j, (unsigned)(hi << 4 | lo));
				i += 2;
			} else {
				tg_buf_putc(&j, s[i]);
			}
		}
		ext |= x->encoded;
	}
	q1 = j.len > 0 ? memchr(j.data, '\'', j.len) : NULL;
	q2 = q1 != NULL ? memchr(q1 + 1, '\'', j.len - (size_t)(q1 - j.data) - 1)
			: NULL;
	e->value.off = p->arena.len;
	if (!ext) {
		unquote(tg_buf_cstr(&j), j.len, &p->arena);
	} else {
		const char *text = q2 != NULL ? q2 + 1 : tg_buf_cstr(&j);
		size_t tl = j.len - (size_t)(text - tg_buf_cstr(&j));
		bool known = q2 != NULL
			? param_charset_label(j.data, (size_t)(q1 - j.data),
					      cs, sizeof(cs))
			: tg_charset_known(cs);

		if (!known) {
			unquote(text, tl, &p->arena);
		} else {
			size_t mark = p->arena.len;

			raw_unicode_escape(text, tl, &rb);
			if (!param_decode_bytes(p, cs, true, rb.data, rb.len,
						&p->arena, &raw8)) {
				p->arena.len = mark;
				tg_buf_append(&p->arena, rb.data, rb.len);
			}
		}
	}
	e->value.len = p->arena.len - e->value.off;
	tg_buf_deinit(&j);
	tg_buf_deinit(&rb);
}

static struct ent *
add_ent(struct ent **es, size_t *ne, size_t *cap)
{
	if (*ne == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		*es = tg_xrealloc(*es, *cap * sizeof(**es));
	}
	memset(&(*es)[*ne], 0, sizeof(**es));
	return &(*es)[(*ne)++];
}

/* _parseparam() and _get_params_preserve(): split at ';' outside of what
 * looks quoted (it counts '"' that are not after a backslash), then each
 * piece at its first '=' into a stripped name and value. */
static size_t
split_params(struct parser *p, struct ent **es_r)
{
	const char *r = tg_buf_cstr(&p->render);
	size_t n = p->render.len, pos = 0, ne = 0, cap = 0;
	struct ent *es = NULL;

	for (bool first = true;; first = false) {
		size_t start = pos, e = pos, scan = pos, dq = 0, bq = 0;
		size_t a = start, b, va, vb;
		const char *eq;
		struct ent *x;

		for (;;) {
			const char *semi = memchr(r + e, ';', n - e);

			e = semi != NULL ? (size_t)(semi - r) : n;
			if (e == n || e == start)
				break;
			for (; scan < e; scan++)
				if (r[scan] == '"') {
					dq++;
					bq += scan > start && r[scan - 1] == '\\';
				}
			if ((dq - bq) % 2 == 0)
				break;
			e++;
		}
		eq = memchr(r + start, '=', e - start);
		b = eq != NULL ? (size_t)(eq - r) : e;
		va = vb = b + (eq != NULL);
		if (eq != NULL)
			vb = e;
		param_ustrip(r, &a, &b);
		param_ustrip(r, &va, &vb);
		if (b > a && (!first || eq != NULL)) {
			x = add_ent(&es, &ne, &cap);
			x->name = param_span_copy(p, r + a, b - a, false);
			for (size_t i = 0; eq != NULL && i < b - a; i++)
				p->arena.data[x->name.off + i] = (char)
				tg_ascii_tolower((unsigned char)r[a + i]);
			if (!first && rfc2231_name(r + a, b - a, x))
				x->value = unquote2(p, r + va, vb - va, 1);
			else
				x->value = unquote2(p, r + va, vb - va, 2);
		}
		if (e >= n)
			break;
		pos = e + 1;
	}
	*es_r = es;
	return ne;
}

static int
ent_name_cmp(const void *ctx, size_t x, size_t y)
{
	const struct parser *p = ((const void *const *)ctx)[0];
	const struct ent *es = ((const void *const *)ctx)[1];

	return param_bytes_cmp(p->arena.data + es[x].name.off,
			       es[x].name.len, p->arena.data + es[y].name.off,
			       es[y].name.len);
}

/* Valid UTF-8 (invalid bytes read as Windows-1252) without NUL bytes,
 * since the results are C strings. */
static void
to_text(const char *s, size_t n, struct tg_buf *out)
{
	for (size_t i = 0, k; i < n; i = k + 1) {
		const char *z = memchr(s + i, '\0', n - i);

		k = z != NULL ? (size_t)(z - s) : n;
		tg_charset_fallback_to_utf8(s + i, k - i, out);
	}
}

char *
param_pool_text(struct tg_pool *pool, const char *s, size_t n)
{
	struct tg_buf b;
	char *r;

	tg_buf_init(&b, n + 1, 0);
	to_text(s, n, &b);
	r = tg_pool_strndup(pool, tg_buf_cstr(&b), b.len);
	tg_buf_deinit(&b);
	return r;
}

/* decode_params() and get_param(): plain parameters in order, then one
 * joined value per RFC 2231 name; the first of each name wins. */
void
param_collect(struct parser *p, struct tg_pool *pool, struct tg_hvalue *hv)
{
	struct ent *es;
	size_t ne = split_params(p, &es), base = ne, nf = 0, ng = 0, nout = 0;
	size_t *ix = tg_xmalloc((ne + 1) * sizeof(*ix));
	size_t *fin = tg_xmalloc((ne + 1) * sizeof(*fin));
	size_t *bucket = tg_xmalloc((ne + 1) * sizeof(*bucket));
	const void *ctx[2] = { p, NULL };
	struct tg_buf t;

	for (size_t i = 0; i < ne; i++) {
		es[i].order = i;
		bucket[i] = SIZE_MAX;
		if (es[i].rfc2231)
			ix[nf++] = i;
		else
			fin[nout++] = i;
	}
	ctx[1] = es;
	param_merge_sort(ix, nf, ent_cmp, ctx);
	for (size_t g = 0; g < nf; g++)
		ng += g == 0 || ent_name_cmp(ctx, ix[g - 1], ix[g]) != 0;
	es = tg_xrealloc(es, (ne + ng + 1) * sizeof(*es));
	ctx[1] = es;
	for (size_t g = 0, gend; g < nf; g = gend) {
		struct ent *x = &es[ne++];
		size_t minord = es[ix[g]].order;

		for (gend = g + 1; gend < nf &&
		     ent_name_cmp(ctx, ix[g], ix[gend]) == 0; gend++)
			if (es[ix[gend]].order < minord)
				minord = es[ix[gend]].order;
		memset(x, 0, sizeof(*x));
		x->name = es[ix[g]].name;
		join_2231(p, es, ix + g, gend - g, x);
		bucket[minord] = (size_t)(x - es);
	}
	tg_buf_init(&t, 64, 0);
	for (size_t i = 0; i < base; i++) /* groups by first appearance */
		if (bucket[i] != SIZE_MAX)
			fin[nout++] = bucket[i];
	for (size_t i = 0; i < nout; i++) {
		/* names as they will be output, so that duplicates are
		 * judged on what the caller sees */
		struct span *nm = &es[fin[i]].name;

		tg_buf_reset(&t);
		to_text(p->arena.data + nm->off, nm->len, &t);
		*nm = param_span_copy(p, tg_buf_cstr(&t), t.len, false);
		for (size_t k = 0; k < nm->len; k++)
			p->arena.data[nm->off + k] = (char)tg_ascii_tolower(
				(unsigned char)p->arena.data[nm->off + k]);
		ix[i] = fin[i];
		es[fin[i]].order = i;
		es[fin[i]].skip = nm->len == 0;
	}
	/* stable: first one wins */
	param_merge_sort(ix, nout, ent_name_cmp, ctx);
	for (size_t i = 1; i < nout; i++)
		if (ent_name_cmp(ctx, ix[i - 1], ix[i]) == 0)
			es[ix[i]].skip = true;
	hv->params = tg_pool_alloc_array(pool, nout + 1, sizeof(*hv->params));
	hv->nparams = 0;
	for (size_t i = 0; i < nout; i++) {
		const struct ent *x = &es[fin[i]];
		struct tg_param *tp;

		if (x->skip)
			continue;
		tp = &hv->params[hv->nparams++];
		tp->name = tg_pool_strndup(pool, p->arena.data + x->name.off,
					   x->name.len);
		tp->value = param_pool_text(pool,
					    p->arena.data + x->value.off,
					    x->value.len);
	}
	tg_buf_deinit(&t);
	free(bucket);
	free(fin);
	free(ix);
	free(es);
}
