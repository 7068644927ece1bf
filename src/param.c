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
 *
 * This file has the entry points and stage one's grammar; stage one's
 * rendering with its RFC 2231 decoding is in param-rfc2231.c, encoded
 * words in param-rfc2047.c, stage two in param-reparse.c.
 */
#include "ticketgate/param.h"
#include "ticketgate/buf.h"
#include "ticketgate/util.h"
#include "param-private.h"

#include <stdbool.h>
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

static void
put(struct tg_buf *out, const char *p, size_t n)
{
	if (out != NULL)
		tg_buf_append(out, p, n);
}

static size_t
fws_end(const struct view *v, size_t i)
{
	while (i < v->n && param_py_space((unsigned char)v->s[i]))
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
		} else if (param_ew_at(v, i, &tok_end, &end) &&
			   (dec = out->len, param_ew_decode(p, v, i, tok_end,
							    out, raw8))) {
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

void
param_quote_into(struct tg_buf *out, const char *s, size_t n)
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
		param_quote_into(out, p->arena.data + content->off,
				 content->len);
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
	if (param_ew_at(v, i, &tok_end, &end) &&
	    param_ew_decode(p, v, i, tok_end, out != NULL ? out : &p->scratch,
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

struct span
param_span_copy(struct parser *p, const char *s, size_t n, bool strip)
{
	struct span sp;

	while (strip && n > 0 && param_py_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (strip && n > 0 && param_py_space((unsigned char)s[n - 1]))
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
	*val = param_span_copy(p, v->s + a, b - a, false);
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
	sp->name = param_span_copy(p, s + a, b - a, true);
	if (i == n || s[i] == ';') {
		sp->value = param_span_copy(p, "", 0, false);
		*pos = i;
		return true;
	}
	if (s[i] == '*') {
		size_t d = i + 1;

		while (d < n && s[d] >= '0' && s[d] <= '9')
			d++;
		if (d > i + 1) {
			sp->sectioned = true;
			sp->digits = param_span_copy(p, s + i + 1, d - i - 1,
						     false);
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
			param_view_init(&inner, ibuf, q.len, false);
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
	param_view_init(&v, copy, n, true);
	parse_header(&p, &v);
	if (p.mime)
		param_render_params(&p);

	r = tg_buf_cstr(&p.render);
	semi = memchr(r, ';', p.render.len);
	b = semi != NULL ? (size_t)(semi - r) : p.render.len;
	param_ustrip(r, &a, &b);
	lower = tg_xmalloc(b - a + 1);
	for (size_t i = a; i < b; i++)
		lower[i - a] = (char)tg_ascii_tolower((unsigned char)r[i]);
	out->value = param_pool_text(pool, lower, b - a);
	free(lower);
	param_collect(&p, pool, out);

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
