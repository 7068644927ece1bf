/* Content-Type and Content-Disposition values: the type and parameters,
 * RFC 2231 and RFC 2047 inside values included, as Python's email package
 * (policy.default) returns them from get_param() and friends. Parses
 * untrusted input: linear time, bounded reads, valid UTF-8 out.
 *
 * Python gets there in two stages and so do we: its header registry
 * parses the value and renders it back as a string (decoding encoded
 * words and RFC 2231 on the way), then Message.get_param() re-parses that
 * string with the older, simpler parser. Quirks of either stage show in
 * the results, so both are reproduced rather than one cleaner parser.
 */
#include "ticketgate/param.h"
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Character classes of Python's _header_value_parser (WSP is ' ' and
 * '\t', SPECIALS are ()<>@,:;.\"[]). */
#define C_CFWS 0x02u       /* WSP and '(' */
#define C_PHRASE_END 0x08u /* SPECIALS but ."( */
#define C_TOKEN_END 0x10u  /* ()<>@,:;\"[]/?= and WSP */
#define C_ATTR_END 0x20u   /* TOKEN_END and *'% */
#define C_XATTR_END 0x40u  /* ATTR_END but % */
#define C_ATOM_END 0x80u   /* SPECIALS and WSP */
#define C_TSPECIAL (C_TOKEN_END | C_ATTR_END | C_XATTR_END)

static unsigned
cclass(unsigned char c)
{
	switch (c) {
	case ' ':
	case '\t':
	case '(':
		return C_CFWS | C_TSPECIAL | C_ATOM_END;
	case ')': case '<': case '>': case '@': case ',': case ':': case ';':
	case '\\': case '[': case ']':
		return C_PHRASE_END | C_TSPECIAL | C_ATOM_END;
	case '"':
		return C_TSPECIAL | C_ATOM_END;
	case '.':
		return C_ATOM_END;
	case '/': case '?': case '=':
		return C_TSPECIAL;
	case '*': case '\'':
		return C_ATTR_END | C_XATTR_END;
	case '%':
		return C_ATTR_END;
	default:
		return 0;
	}
}

/* Python's str.isspace() on ASCII (raw 8-bit bytes are never spaces). */
static bool
py_space(unsigned char c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tg_ascii_tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string being parsed; for the main value also the sorted positions of
 * '?' and "?=", so encoded-word extents are found by binary search and
 * never by rescanning the rest of the value. */
struct view {
	const char *s;
	size_t n;
	size_t *q, nq, *qe, nqe;
};

struct span {
	size_t off, len; /* into parser.arena */
	bool raw8;       /* holds 8-bit bytes taken from the input as is */
};

/* One parameter as the first stage sees it. */
struct sparam {
	struct span name, digits, charset, value;
	bool sectioned, extended, has_charset;
	size_t order;
};

/* Charset conversions one header may spend on decoding bytes character
 * by character (see decode_bytes): a bound that keeps hostile input
 * linear. */
#define STEP_BUDGET 4096

struct parser {
	struct tg_buf arena;  /* every string a span points to */
	struct tg_buf render; /* the header as stage one renders it */
	struct sparam *ps;
	size_t nps, cap;
	struct tg_buf scratch; /* output nobody reads */
	bool mime;            /* a parameter list was started */
	size_t step_budget;   /* charset conversions left for stepping */
};

static void
view_init(struct view *v, const char *s, size_t n, bool index)
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
static bool
ew_at(const struct view *v, size_t i, size_t *tok_end, size_t *end)
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
	if (k + 3 < n && hexval((unsigned char)s[k + 2]) >= 0 &&
	    hexval((unsigned char)s[k + 3]) >= 0 && b >= k) {
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

static bool decode_bytes(struct parser *p, const char *cs, bool known,
			 const char *b, size_t n, struct tg_buf *out,
			 bool *raw8);
static bool charset_label(const char *s, size_t n, char *buf, size_t size);

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
static bool
ew_decode(struct parser *p, const struct view *v, size_t i, size_t tok_end,
	  struct tg_buf *out, bool *raw8)
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
	known = charset_label(s + i + 2, cl, cs, sizeof(cs));
	tg_buf_init(&bytes, tok_end - a + 1, 0);
	for (t = a + 3; t < tok_end; t++) {
		int hi, lo, x;

		if (s[a + 1] == 'q' || s[a + 1] == 'Q') {
			if (s[t] == '=' && tok_end - t > 2 &&
			    (hi = hexval((unsigned char)s[t + 1])) >= 0 &&
			    (lo = hexval((unsigned char)s[t + 2])) >= 0) {
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
	ok = decode_bytes(p, cs, known, bytes.data, bytes.len, out, raw8);
	if (!ok && out->len > mark) {
		out->len = mark;
		out->data[mark] = '\0';
	}
	tg_buf_deinit(&bytes);
	return ok;
}

static void
put(struct tg_buf *out, const char *p, size_t n)
{
	if (out != NULL)
		tg_buf_append(out, p, n);
}

static size_t
fws_end(const struct view *v, size_t i)
{
	while (i < v->n && py_space((unsigned char)v->s[i]))
		i++;
	return i;
}

/* _get_ptext_to_endchars: up to the next blank or unescaped endchar,
 * backslash escapes removed (a trailing lone backslash is dropped). In a
 * comment, str() puts the escapes for \ ( ) back. */
static size_t
ptext(const struct view *v, size_t i, char e1, char e2, struct tg_buf *out,
      bool *raw8, bool requote)
{
	bool esc = false;

	for (; i < v->n && v->s[i] != ' ' && v->s[i] != '\t'; i++) {
		char c = v->s[i];

		if (c == '\\' && !esc) {
			esc = true;
			continue;
		}
		if (!esc && (c == e1 || c == e2))
			break;
		esc = false;
		if (requote && (c == '\\' || c == '(' || c == ')'))
			put(out, "\\", 1);
		put(out, &c, 1);
		if ((unsigned char)c >= 0x80 && raw8 != NULL)
			*raw8 = true;
	}
	return i;
}

/* A comment, nested ones included, rendered as str() does. Iterative so
 * that deep nesting cannot exhaust the stack. */
static size_t
comment(const struct view *v, size_t i, struct tg_buf *out)
{
	size_t depth = 0;

	while (i < v->n) {
		char c = v->s[i];

		if (c == '(') {
			put(out, &c, 1);
			i++;
			depth++;
		} else if (c == ')') {
			put(out, &c, 1);
			i++;
			if (--depth == 0)
				return i;
		} else if (c == ' ' || c == '\t') {
			size_t e = fws_end(v, i);

			put(out, v->s + i, e - i);
			i = e;
		} else {
			i = ptext(v, i, '(', ')', out, NULL, true);
		}
	}
	for (; depth > 0; depth--)
		put(out, ")", 1);
	return i;
}

static size_t
cfws(const struct view *v, size_t i, struct tg_buf *out)
{
	while (i < v->n && (cclass((unsigned char)v->s[i]) & C_CFWS)) {
		if (v->s[i] == '(') {
			i = comment(v, i, out);
		} else {
			size_t e = fws_end(v, i);

			put(out, v->s + i, e - i);
			i = e;
		}
	}
	return i;
}

/* The contents of a quoted string starting at i, appended to out: escapes
 * removed, encoded words decoded, and blanks between two encoded words
 * dropped. Returns the position after it. */
static size_t
bare_quoted(struct parser *p, const struct view *v, size_t i,
	    struct tg_buf *out, bool *raw8)
{
	size_t mark = 0, dec, tok_end, end;
	int last = 0; /* 1: an encoded word, 2: blanks after one */

	for (i++; i < v->n && v->s[i] != '"'; ) {
		if (v->s[i] == ' ' || v->s[i] == '\t') {
			end = fws_end(v, i);
			mark = out->len;
			last = last == 1 ? 2 : 0;
			tg_buf_append(out, v->s + i, end - i);
			i = end;
		} else if (ew_at(v, i, &tok_end, &end) &&
			   (dec = out->len, ew_decode(p, v, i, tok_end, out,
						      raw8))) {
			if (last == 2) { /* drop the blanks before it */
				memmove(out->data + mark, out->data + dec,
					out->len - dec);
				out->len -= dec - mark;
				out->data[out->len] = '\0';
			}
			last = 1;
			i = end;
		} else {
			i = ptext(v, i, '"', '"', out, raw8, false);
			last = 0;
		}
	}
	return i < v->n ? i + 1 : v->n;
}

static void
quote_into(struct tg_buf *out, const char *s, size_t n)
{
	tg_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			tg_buf_putc(out, '\\');
		tg_buf_putc(out, s[i]);
	}
	tg_buf_putc(out, '"');
}

/* [CFWS] quoted-string [CFWS]; *content gets the unquoted contents. */
static size_t
quoted_string(struct parser *p, const struct view *v, size_t i,
	      struct tg_buf *out, struct span *content)
{
	i = cfws(v, i, out);
	content->off = p->arena.len;
	content->raw8 = false;
	i = bare_quoted(p, v, i, &p->arena, &content->raw8);
	content->len = p->arena.len - content->off;
	if (out != NULL)
		quote_into(out, p->arena.data + content->off, content->len);
	return cfws(v, i, out);
}

static size_t
run_until(const struct view *v, size_t i, unsigned stop)
{
	while (i < v->n && !(cclass((unsigned char)v->s[i]) & stop))
		i++;
	return i;
}

/* word = atom / quoted-string, each with optional CFWS around; an atom
 * may be an encoded word. False (nothing consumed) when none is here. */
static bool
word(struct parser *p, const struct view *v, size_t *pos, struct tg_buf *out)
{
	size_t mark = out != NULL ? out->len : 0;
	size_t i = cfws(v, *pos, out), tok_end, end;
	struct span content;
	bool raw8 = false;

	if (out == NULL)
		tg_buf_reset(&p->scratch);
	if (i < v->n && v->s[i] == '"') {
		*pos = quoted_string(p, v, i, out, &content);
		return true;
	}
	if (i == v->n || (cclass((unsigned char)v->s[i]) & C_ATOM_END)) {
		if (out != NULL && out->len > mark) {
			out->len = mark;
			out->data[mark] = '\0';
		}
		return false;
	}
	if (ew_at(v, i, &tok_end, &end) &&
	    ew_decode(p, v, i, tok_end, out != NULL ? out : &p->scratch,
		      &raw8)) {
		i = end;
	} else {
		end = run_until(v, i, C_ATOM_END);
		put(out, v->s + i, end - i);
		i = end;
	}
	*pos = cfws(v, i, out);
	return true;
}

/* get_phrase; it never fails and always consumes something when called
 * on a character that does not end a phrase. */
static size_t
phrase(struct parser *p, const struct view *v, size_t i, struct tg_buf *out)
{
	size_t start = i;

	while (i < v->n && !(cclass((unsigned char)v->s[i]) & C_PHRASE_END)) {
		if (v->s[i] == '.') {
			put(out, ".", 1);
			i++;
		} else if (!word(p, v, &i, out)) {
			size_t e = cfws(v, i, out);

			if (e == i) { /* not reachable by Python's grammar */
				put(out, v->s + i, 1);
				e++;
			}
			i = e;
		}
	}
	return i > start || i == v->n ? i : i + 1;
}

static struct span
span_copy(struct parser *p, const char *s, size_t n, bool strip)
{
	struct span sp;

	while (strip && n > 0 && py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (strip && n > 0 && py_space((unsigned char)s[n - 1]))
		n--;
	sp.off = p->arena.len;
	sp.len = n;
	sp.raw8 = false;
	for (size_t i = 0; i < n; i++)
		sp.raw8 |= (unsigned char)s[i] >= 0x80;
	tg_buf_append(&p->arena, s, n);
	return sp;
}

/* [CFWS] 1*(character not in stop) [CFWS]: get_token, get_attribute and
 * get_extended_attribute. The run is [*a, *b). */
static bool
cfws_run(const struct view *v, size_t *pos, unsigned stop, struct tg_buf *out,
	 size_t *a, size_t *b)
{
	size_t mark = out != NULL ? out->len : 0;
	size_t i = cfws(v, *pos, out);

	if (i == v->n || (cclass((unsigned char)v->s[i]) & stop)) {
		if (out != NULL && out->len > mark) {
			out->len = mark;
			out->data[mark] = '\0';
		}
		return false;
	}
	*a = i;
	*b = run_until(v, i, stop);
	put(out, v->s + i, *b - i);
	*pos = cfws(v, *b, out);
	return true;
}

/* get_value: a quoted string or an extended attribute; *val is its
 * stripped_value. */
static bool
get_value(struct parser *p, const struct view *v, size_t *pos,
	  struct span *val)
{
	size_t i = cfws(v, *pos, NULL), a, b;

	if (i == v->n)
		return false;
	if (v->s[i] == '"') {
		*pos = quoted_string(p, v, i, NULL, val);
		return true;
	}
	if (!cfws_run(v, &i, C_XATTR_END, NULL, &a, &b))
		return false;
	*val = span_copy(p, v->s + a, b - a, false);
	*pos = i;
	return true;
}

static bool
section_zero(const struct parser *p, const struct sparam *sp)
{
	for (size_t i = 0; sp->sectioned && i < sp->digits.len; i++)
		if (p->arena.data[sp->digits.off + i] != '0')
			return false;
	return true;
}

/* After "charset'lang'" inside a quoted extended value, Python reads the
 * rest as quoted-string content once more: blanks become one space,
 * quotes are kept, escapes are removed again. */
static struct span
rest_value(struct parser *p, const struct view *cur, size_t ci, bool raw8)
{
	struct span sp = { p->arena.len, 0, false };

	while (ci < cur->n) {
		if (cur->s[ci] == ' ' || cur->s[ci] == '\t') {
			tg_buf_putc(&p->arena, ' ');
			ci = fws_end(cur, ci);
		} else if (cur->s[ci] == '"') {
			tg_buf_putc(&p->arena, '"');
			ci++;
		} else {
			ci = ptext(cur, ci, '"', '"', &p->arena, &sp.raw8,
				   false);
		}
	}
	sp.len = p->arena.len - sp.off;
	sp.raw8 &= raw8;
	return sp;
}

/* get_parameter, including its recovery for the common invalid form of a
 * quoted RFC 2231 value (name*="utf-8''..."). */
static bool
get_parameter(struct parser *p, const struct view *v, size_t *pos,
	      struct sparam *sp)
{
	const char *s = v->s;
	size_t n = v->n, i = *pos, a, b, ci, rem = 0, qend = 0;
	const struct view *cur = v;
	struct view inner;
	char *ibuf = NULL;
	struct span q = { 0, 0, false }, tok = { 0, 0, false };
	bool ok = false, has_rem = false, quoted = false, has_tok = true;

	memset(sp, 0, sizeof(*sp));
	if (!cfws_run(v, &i, C_ATTR_END, NULL, &a, &b))
		return false;
	sp->name = span_copy(p, s + a, b - a, true);
	if (i == n || s[i] == ';') {
		sp->value = span_copy(p, "", 0, false);
		*pos = i;
		return true;
	}
	if (s[i] == '*') {
		size_t d = i + 1;

		while (d < n && s[d] >= '0' && s[d] <= '9')
			d++;
		if (d > i + 1) {
			sp->sectioned = true;
			sp->digits = span_copy(p, s + i + 1, d - i - 1, false);
			i = d;
		}
		if (i < n && s[i] == '*') {
			sp->extended = true;
			i++;
		}
	}
	if (i == n || s[i] != '=')
		return false;
	ci = i = cfws(v, i + 1, NULL);
	if (sp->extended && i < n && s[i] == '"') {
		const char *c;
		size_t e;
		bool semi, zero = section_zero(p, sp);

		qend = quoted_string(p, v, i, NULL, &q);
		quoted = true;
		c = p->arena.data + q.off;
		for (e = 0; e < q.len && !(cclass((unsigned char)c[e]) &
		     (zero ? C_ATTR_END : C_XATTR_END)); e++)
			;
		if (!zero)
			semi = e > 0 && e == q.len;
		else if (q.len > 0 && c[0] == '\'')
			semi = true;
		else if (e == 0)
			return false; /* get_attrtext raises */
		else
			semi = e < q.len && c[e] == '\'';
		if (semi) {
			ibuf = tg_xmalloc(q.len + 1);
			memcpy(ibuf, c, q.len);
			view_init(&inner, ibuf, q.len, false);
			cur = &inner;
			ci = 0;
			rem = qend;
			has_rem = true;
		}
	}
	if (ci < cur->n && cur->s[ci] == '\'') {
		has_tok = false;
	} else if (quoted && !has_rem) {
		tok = q; /* get_value would parse the same quoted string */
		ci = qend;
	} else if (!get_value(p, cur, &ci, &tok)) {
		goto out;
	}
	if ((!sp->extended || !section_zero(p, sp)) &&
	    (ci == cur->n || cur->s[ci] != '\'')) {
		sp->value = tok;
	} else if (ci == cur->n) {
		sp->value = tok; /* charset and language missing */
	} else {
		sp->charset = tok;
		sp->has_charset = has_tok;
		if (cur->s[ci++] != '\'')
			goto out;
		if (ci < cur->n && cur->s[ci] != '\'') {
			size_t e = run_until(cur, ci, C_ATTR_END);

			if (e == ci || e == cur->n || cur->s[e] != '\'')
				goto out;
			ci = e;
		}
		if (ci < cur->n)
			ci++;
		if (has_rem)
			sp->value = rest_value(p, cur, ci, q.raw8);
		else if (!get_value(p, cur, &ci, &sp->value))
			goto out;
	}
	if (has_rem)
		sp->value.raw8 &= q.raw8;
	*pos = has_rem ? rem : ci;
	ok = true;
out:
	free(ibuf);
	return ok;
}

/* get_invalid_parameter: skipped up to the next ';' outside of quoted
 * strings and encoded words. */
static size_t
invalid_param(struct parser *p, const struct view *v, size_t i)
{
	while (i < v->n && v->s[i] != ';') {
		if (cclass((unsigned char)v->s[i]) & C_PHRASE_END)
			i++;
		else
			i = phrase(p, v, i, NULL);
	}
	return i;
}

static void
mime_params(struct parser *p, const struct view *v, size_t i)
{
	p->mime = true;
	while (i < v->n) {
		struct sparam sp;
		size_t j = i;

		if (get_parameter(p, v, &j, &sp)) {
			if (p->nps == p->cap) {
				p->cap = p->cap ? p->cap * 2 : 8;
				p->ps = tg_xrealloc(p->ps,
						    p->cap * sizeof(*p->ps));
			}
			sp.order = p->nps;
			p->ps[p->nps++] = sp;
			i = j;
		} else {
			i = cfws(v, i, NULL);
		}
		if (i < v->n && v->s[i] != ';')
			i = invalid_param(p, v, i);
		if (i < v->n)
			i++;
	}
}

/* _find_mime_parameters: junk rendered as phrases up to a ';'. */
static void
find_mime_params(struct parser *p, const struct view *v, size_t i)
{
	while (i < v->n && v->s[i] != ';') {
		if (cclass((unsigned char)v->s[i]) & C_PHRASE_END)
			put(&p->render, v->s + i++, 1);
		else
			i = phrase(p, v, i, &p->render);
	}
	if (i < v->n) {
		put(&p->render, ";", 1);
		mime_params(p, v, i + 1);
	}
}

/* parse_content_type_header; it also does for Content-Disposition, whose
 * parser differs only when a '/' follows the first token. */
static void
parse_header(struct parser *p, const struct view *v)
{
	size_t i = 0, a, b;

	if (!cfws_run(v, &i, C_TOKEN_END, &p->render, &a, &b)) {
		find_mime_params(p, v, 0);
		return;
	}
	if (i == v->n || v->s[i] != '/') {
		find_mime_params(p, v, i);
		return;
	}
	put(&p->render, "/", 1);
	i++;
	if (!cfws_run(v, &i, C_TOKEN_END, &p->render, &a, &b)) {
		find_mime_params(p, v, i);
		return;
	}
	if (i < v->n && v->s[i] != ';') {
		find_mime_params(p, v, i);
	} else if (i < v->n) {
		put(&p->render, ";", 1);
		mime_params(p, v, i + 1);
	}
}

/* Sorting index arrays with a context (qsort has none): stable. */
typedef int (*cmp_fn)(const void *ctx, size_t a, size_t b);

static void
merge_sort(size_t *v, size_t n, cmp_fn cmp, const void *ctx)
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

static int
bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

/* A section number: digits compared as numbers of any length, then
 * saturated for comparing with a counter. */
static unsigned long long
digits_value(const char *d, size_t n, const char **sig, size_t *sig_len)
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
	return digits_value(p->arena.data + sp->digits.off, sp->digits.len,
			    sig, sig_len);
}

static int
sparam_cmp(const void *ctx, size_t x, size_t y)
{
	const struct parser *p = ctx;
	const struct sparam *a = &p->ps[x], *b = &p->ps[y];
	const char *da, *db;
	size_t la, lb;
	int c = bytes_cmp(p->arena.data + a->name.off, a->name.len,
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
static bool
charset_label(const char *s, size_t n, char *buf, size_t size)
{
	while (n > 0 && py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && py_space((unsigned char)s[n - 1]))
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
static bool
decode_bytes(struct parser *p, const char *cs, bool known, const char *b,
	     size_t n, struct tg_buf *out, bool *raw8)
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
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
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
	if (!decode_bytes(p, cs, known, bytes.data, bytes.len, out, &raw8)) {
		/* Python fails on the header here; keep the bytes */
		out->len = mark;
		tg_buf_append(out, bytes.data, bytes.len);
	}
	tg_buf_deinit(&bytes);
}

/* MimeParameters.params and its str(): the parameters grouped by name
 * (first appearance decides the order), sections joined in numeric
 * order, rendered as ' name="value"; ...'. */
static void
render_params(struct parser *p)
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
	merge_sort(idx, np, sparam_cmp, p);
	for (size_t g = 0; g < np; g = gend) {
		const struct sparam *first = &p->ps[idx[g]];
		size_t minord = first->order, voff = vals.len, count;
		unsigned long long k = 0;
		const char *sig;
		size_t sl;
		char cs[64] = "us-ascii";
		bool known;

		for (gend = g + 1; gend < np && bytes_cmp(
		     p->arena.data + first->name.off, first->name.len,
		     p->arena.data + p->ps[idx[gend]].name.off,
		     p->ps[idx[gend]].name.len) == 0; gend++)
			if (p->ps[idx[gend]].order < minord)
				minord = p->ps[idx[gend]].order;
		known = first->has_charset
			? charset_label(p->arena.data + first->charset.off,
					first->charset.len, cs, sizeof(cs))
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
			quote_into(&p->render, vals.data + slot[3 * i + 1],
				   slot[3 * i + 2]);
		}
	}
	tg_buf_deinit(&vals);
	free(slot);
	free(idx);
}

/* ---- Stage two: Message.get_param() over the rendered string. ---- */

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
		return py_space(u[0]);
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
static void
ustrip(const char *s, size_t *a, size_t *b)
{
	size_t k;

	while (*a < *b && (k = uspace_at(s, *a, *b)) > 0)
		*a += k;
	for (;;) {
		if (*b > *a && (unsigned char)s[*b - 1] < 0x80 &&
		    py_space((unsigned char)s[*b - 1]))
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

		e->num = digits_value(s + i + 1, d - i - 1, &sig, &sl);
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
	int c = bytes_cmp(p->arena.data + a->name.off, a->name.len,
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
				hi = hexval((unsigned char)s[i + 1]);
				lo = hexval((unsigned char)s[i + 2]);
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
			? charset_label(j.data, (size_t)(q1 - j.data), cs,
					sizeof(cs))
			: tg_charset_known(cs);

		if (!known) {
			unquote(text, tl, &p->arena);
		} else {
			size_t mark = p->arena.len;

			raw_unicode_escape(text, tl, &rb);
			if (!decode_bytes(p, cs, true, rb.data, rb.len,
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
		ustrip(r, &a, &b);
		ustrip(r, &va, &vb);
		if (b > a && (!first || eq != NULL)) {
			x = add_ent(&es, &ne, &cap);
			x->name = span_copy(p, r + a, b - a, false);
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

	return bytes_cmp(p->arena.data + es[x].name.off, es[x].name.len,
			 p->arena.data + es[y].name.off, es[y].name.len);
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

static char *
pool_text(struct tg_pool *pool, const char *s, size_t n)
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
static void
collect(struct parser *p, struct tg_pool *pool, struct tg_hvalue *hv)
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
	merge_sort(ix, nf, ent_cmp, ctx);
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
		*nm = span_copy(p, tg_buf_cstr(&t), t.len, false);
		for (size_t k = 0; k < nm->len; k++)
			p->arena.data[nm->off + k] = (char)tg_ascii_tolower(
				(unsigned char)p->arena.data[nm->off + k]);
		ix[i] = fin[i];
		es[fin[i]].order = i;
		es[fin[i]].skip = nm->len == 0;
	}
	merge_sort(ix, nout, ent_name_cmp, ctx); /* stable: first one wins */
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
		tp->value = pool_text(pool, p->arena.data + x->value.off,
				      x->value.len);
	}
	tg_buf_deinit(&t);
	free(bucket);
	free(fin);
	free(ix);
	free(es);
}

void
tg_param_parse(struct tg_pool *pool, const char *in, size_t len,
	       struct tg_hvalue *out)
{
	struct parser p;
	struct view v;
	char *copy = tg_xmalloc(len + 1);
	size_t n = 0, a = 0, b;
	const char *r, *semi;
	char *lower;

	/* Python removes every CR and LF from a header value first. */
	for (size_t i = 0; in != NULL && i < len; i++)
		if (in[i] != '\r' && in[i] != '\n')
			copy[n++] = in[i];
	memset(&p, 0, sizeof(p));
	tg_buf_init(&p.arena, n + 64, 0);
	tg_buf_init(&p.render, n + 64, 0);
	tg_buf_init(&p.scratch, 64, 0);
	p.step_budget = STEP_BUDGET;
	view_init(&v, copy, n, true);
	parse_header(&p, &v);
	if (p.mime)
		render_params(&p);

	r = tg_buf_cstr(&p.render);
	semi = memchr(r, ';', p.render.len);
	b = semi != NULL ? (size_t)(semi - r) : p.render.len;
	ustrip(r, &a, &b);
	lower = tg_xmalloc(b - a + 1);
	for (size_t i = a; i < b; i++)
		lower[i - a] = (char)tg_ascii_tolower((unsigned char)r[i]);
	out->value = pool_text(pool, lower, b - a);
	free(lower);
	collect(&p, pool, out);

	free(p.ps);
	free(v.q);
	free(v.qe);
	tg_buf_deinit(&p.arena);
	tg_buf_deinit(&p.render);
	tg_buf_deinit(&p.scratch);
	free(copy);
}

const char *
tg_param_get(const struct tg_hvalue *hv, const char *name)
{
	for (size_t i = 0; hv != NULL && name != NULL && i < hv->nparams; i++)
		if (strcmp(hv->params[i].name, name) == 0)
			return hv->params[i].value;
	return NULL;
}
