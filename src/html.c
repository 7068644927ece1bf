/* HTML to readable plain text for HTML-only mail (see html.h). Parses
 * untrusted input: one forward pass that tokenizes the way Python's
 * html.parser does (the text is scored against it), in linear time, with
 * no recursion and every read bounded by the input length. */
#include "ticketgate/html.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "html-entities.h"

/* Product choice the reference lacks: "text <URL>" for links whose text
 * does not show their target. Switch off to measure the word similarity. */
static const bool show_link_targets = true;

#define HREF_MAX 4096
/* Rescanning we tolerate from malformed start tags (see fallback). */
#define WASTE_SLACK 65536

enum { K_NONE, K_SKIP, K_RAW, K_LINE, K_PARA, K_PRE, K_BR, K_CELL, K_LINK };
enum { BR_LINE = 1, BR_PARA = 2, BR_HARD = 3 };
enum { F_LT, F_GT, F_DQ, F_SQ, F_COUNT };
enum { CL_COMMENT, CL_MARKED2, CL_MARKED1, CL_COUNT };

/* The reference's element lists. Paragraph-like blocks get a blank line
 * around them, others a line break, td/th a space; script and style also
 * switch the tokenizer to raw text, as in Python. <head> needs no rule:
 * of what it holds only title, style and script have text, and a browser
 * moves any other text into the body and shows it. */
static const struct {
	const char *name;
	int kind;
} tags[] = {
	{"a", K_LINK}, {"address", K_LINE}, {"article", K_LINE},
	{"blockquote", K_PARA}, {"body", K_LINE}, {"br", K_BR},
	{"center", K_LINE}, {"dd", K_LINE}, {"div", K_LINE}, {"dl", K_PARA},
	{"dt", K_LINE}, {"footer", K_LINE}, {"form", K_LINE}, {"h1", K_PARA},
	{"h2", K_PARA}, {"h3", K_PARA}, {"h4", K_PARA}, {"h5", K_PARA},
	{"h6", K_PARA}, {"header", K_LINE}, {"hr", K_PARA}, {"html", K_LINE},
	{"li", K_LINE}, {"ol", K_PARA}, {"p", K_PARA}, {"pre", K_PRE},
	{"script", K_RAW}, {"section", K_LINE}, {"style", K_RAW},
	{"table", K_PARA}, {"td", K_CELL}, {"th", K_CELL}, {"title", K_SKIP},
	{"tr", K_LINE}, {"ul", K_PARA},
};

/* Next occurrence of a byte: none in [lo, hi), one at hi (n if none), so
 * searches that malformed tags repeat over the same stretch are free. */
struct finder {
	bool valid;
	size_t lo, hi;
};

struct conv {
	const char *s;
	size_t n;
	struct tg_buf *out;
	bool wrote;		/* visible text written by this call */
	bool full;		/* out refused an append: write nothing more */
	bool space;		/* whitespace pending */
	int nl;			/* newlines pending, 0..2 */
	size_t skip;		/* open script/style/title */
	size_t pre;		/* open pre */
	const char *raw;	/* "script"/"style" while its raw text runs */
	struct finder find[F_COUNT];
	size_t no_close[CL_COUNT];	/* searches from here on fail */
	size_t reach;		/* how far a failed start-tag scan read */
	size_t waste;
	bool degraded;
	bool link;		/* inside <a> whose target we may show */
	struct tg_buf href, ltext, cp;
};

struct stag {
	size_t name_end, end;
	bool self_closing, has_href;
	size_t href, href_end;
};

static const struct stag end_stag;	/* what an end tag passes */

static bool
is_space(unsigned char ch)
{
	/* Python's \s and str.split() on one byte */
	return (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x20);
}

/* Code points str.split() treats as whitespace: NBSP separates words. */
static bool
is_space_cp(unsigned cp)
{
	if (cp < 0x80)
		return is_space((unsigned char)cp);
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	       cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Length of the valid UTF-8 sequence at p, or 0. */
static size_t
utf8_len(const unsigned char *p, size_t len, unsigned *cp)
{
	size_t need = p[0] < 0x80 ? 0 : p[0] >= 0xC2 && p[0] <= 0xDF ? 1 :
		      p[0] >= 0xE0 && p[0] <= 0xEF ? 2 :
		      p[0] >= 0xF0 && p[0] <= 0xF4 ? 3 : 4;
	static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
	unsigned c = p[0] & (0x7F >> (need + (need > 0)));

	if (need > 3 || len <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min[need] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need + 1;
}

/* Length of the character Python's \s matches at s[p] (Unicode
 * whitespace: NBSP inside a tag counts), or 0. */
static size_t
space_at(const struct conv *c, size_t p)
{
	unsigned cp;
	size_t k;

	if (p >= c->n)
		return 0;
	if ((unsigned char)c->s[p] < 0x80)
		return is_space((unsigned char)c->s[p]);
	k = utf8_len((const unsigned char *)c->s + p, c->n - p, &cp);
	return k > 0 && is_space_cp(cp) ? k : 0;
}

/* The same for the character ending just before s[p], not before lo. */
static size_t
space_before(const struct conv *c, size_t lo, size_t p)
{
	for (size_t k = 1; k <= 3 && k <= p - lo; k++)
		if (space_at(c, p - k) == k)
			return k;
	return 0;
}

static size_t
skip_space(const struct conv *c, size_t p)
{
	size_t w;

	while ((w = space_at(c, p)) > 0)
		p += w;
	return p;
}

static size_t
find_byte(struct conv *c, int which, char ch, size_t from)
{
	struct finder *f = &c->find[which];
	size_t end = c->n, hi = c->n;
	const char *p;

	if (from >= c->n)
		return c->n;
	if (f->valid && from >= f->lo && from <= f->hi)
		return f->hi;
	if (f->valid && from < f->lo) {
		/* only the stretch before the known one is new */
		end = f->lo;
		hi = f->hi;
	}
	p = memchr(c->s + from, ch, end - from);
	f->valid = true;
	f->lo = from;
	f->hi = p != NULL ? (size_t)(p - c->s) : hi;
	return f->hi;
}

/* End of the first "--\s*>" (comment), "]\s*]\s*>" or "]\s*>" (marked
 * sections) starting at or after from, or 0. Every match ends in '>', so
 * look back from each '>'. A failed search is remembered: many unclosed
 * "<!--" must not each rescan the rest of the input. */
static size_t
find_close(struct conv *c, size_t from, int kind)
{
	const char *s = c->s;

	if (from >= c->no_close[kind])
		return 0;
	for (size_t g = find_byte(c, F_GT, '>', from); g < c->n;
	     g = find_byte(c, F_GT, '>', g + 1)) {
		size_t k = g, w;
		int brackets = kind == CL_MARKED2 ? 2 : 1;

		while ((w = space_before(c, from, k)) > 0)
			k -= w;
		if (kind == CL_COMMENT) {
			if (k >= from + 2 && s[k - 1] == '-' && s[k - 2] == '-')
				return g + 1;
			continue;
		}
		for (; brackets > 0 && k > from && s[k - 1] == ']'; brackets--)
			for (k--; (w = space_before(c, from, k)) > 0; )
				k -= w;
		if (brackets == 0)
			return g + 1;
	}
	c->no_close[kind] = from;
	return 0;
}

/* Appends a visible character (or run) after the pending separator.
 * Leading and trailing whitespace is never written; if the cap refuses
 * the character, its separator goes too. */
static void
put(struct conv *c, const char *p, size_t len)
{
	struct tg_buf *o = c->out;
	size_t mark = o->len;

	if (c->full)
		return;
	if (c->wrote && c->nl > 0)
		c->full = tg_buf_append(o, "\n\n", (size_t)c->nl) < 0;
	else if (c->wrote && c->space)
		c->full = tg_buf_append(o, " ", 1) < 0;
	if (!c->full)
		c->full = tg_buf_append(o, p, len) < 0;
	if (c->full && o->len > mark) {
		o->len = mark;
		o->data[mark] = '\0';
	}
	c->wrote = true;
	c->nl = 0;
	c->space = false;
	if (c->link && c->ltext.len <= c->href.len)
		tg_buf_append(&c->ltext, p, len);
}

static void
brk(struct conv *c, int level)
{
	if (level == BR_HARD)
		c->nl = c->nl < 2 ? c->nl + 1 : 2;
	else if (c->nl < level)
		c->nl = level;
}

static void
put_cp(struct conv *c, unsigned cp)
{
	if (cp == '\n' && c->pre > 0) {
		brk(c, BR_HARD);
	} else if (is_space_cp(cp)) {
		c->space = true;
	} else {
		tg_buf_reset(&c->cp);
		tg_buf_put_utf8(&c->cp, cp);
		put(c, c->cp.data, c->cp.len);
	}
}

/* Character data: references decoded when refs, whitespace folded, bytes
 * that are not UTF-8 (and NUL, which would cut a C string) made U+FFFD. */
static void
text(struct conv *c, const char *p, size_t len, bool refs)
{
	if (c->skip > 0)
		return;
	while (len > 0 && !c->full) {
		unsigned char ch = (unsigned char)*p;
		unsigned cp[2];
		size_t k;
		int ncp;

		if (ch > 0x20 && ch < 0x7F && (ch != '&' || !refs)) {
			for (k = 1; k < len; k++) {
				ch = (unsigned char)p[k];
				if (ch <= 0x20 || ch >= 0x7F || (ch == '&' && refs))
					break;
			}
			put(c, p, k);
		} else if (ch == '&') {
			k = char_ref(p, len, false, cp, &ncp);
			if (k == 0)
				put(c, p, k = 1);
			for (int j = 0; j < ncp; j++)
				put_cp(c, cp[j]);
		} else if (ch != 0 && (k = utf8_len((const unsigned char *)p, len, cp)) > 0) {
			if (k == 1 || is_space_cp(cp[0]))
				put_cp(c, cp[0]);
			else
				put(c, p, k);
		} else {
			put_cp(c, 0xFFFD);
			k = 1;
		}
		p += k;
		len -= k;
	}
}

/* Length of the scheme a shown link target starts with, or 0. */
static size_t
scheme_len(const char *p, size_t len)
{
	static const char *const schemes[] = { "mailto:", "http://", "https://" };

	for (size_t i = 0; i < TG_N(schemes); i++) {
		size_t l = strlen(schemes[i]);

		if (len >= l && tg_ascii_strncasecmp(p, schemes[i], l) == 0)
			return l;
	}
	return 0;
}

/* Text and target compare without scheme, trailing '/' and case. */
static bool
same_target(const char *a, size_t la, const char *b, size_t lb)
{
	size_t sa = scheme_len(a, la), sb = scheme_len(b, lb);

	a += sa, la -= sa, b += sb, lb -= sb;
	la -= la > 0 && a[la - 1] == '/';
	lb -= lb > 0 && b[lb - 1] == '/';
	return la == lb && tg_ascii_strncasecmp(a, b, la) == 0;
}

static void
link_close(struct conv *c)
{
	if (!c->link)
		return;
	c->link = false;
	/* an image-only link has no text to follow: skip the noise */
	if (c->ltext.len == 0 || c->skip > 0 ||
	    same_target(c->href.data, c->href.len, c->ltext.data, c->ltext.len))
		return;
	c->space = true;
	put(c, "<", 1);
	text(c, c->href.data, c->href.len, false);
	put(c, ">", 1);
}

static void
link_open(struct conv *c, const struct stag *t)
{
	struct tg_buf *h = &c->href;
	const char *p = c->s + t->href;
	size_t len = t->href_end - t->href;

	link_close(c);
	if (!show_link_targets || !t->has_href || c->skip > 0)
		return;
	tg_buf_reset(h);
	while (len > 0) {
		unsigned cp[2];
		int ncp = 0;
		size_t k = *p == '&' ? char_ref(p, len, true, cp, &ncp) : 0;

		/* a browser drops tabs and newlines anywhere in a URL and
		 * spaces around it */
		if (k == 0 && !(*p == '\t' || *p == '\n' || *p == '\r' ||
				(*p == ' ' && h->len == 0)))
			tg_buf_append(h, p, 1);
		for (int j = 0; j < ncp; j++)
			tg_buf_put_utf8(h, cp[j]);
		k += k == 0;
		p += k;
		len -= k;
	}
	while (h->len > 0 && h->data[h->len - 1] == ' ')
		h->data[--h->len] = '\0';
	if (h->overflow || scheme_len(h->data, h->len) == 0)
		return;
	/* it must stay one word that cannot be mistaken for markup */
	for (size_t i = 0; i < h->len; i++)
		if ((unsigned char)h->data[i] <= 0x20 || h->data[i] == 0x7F ||
		    h->data[i] == '<' || h->data[i] == '>')
			return;
	tg_buf_reset(&c->ltext);
	c->link = true;
}

/* Python calls start and end handlers for <x/>: the same as this. */
static void
tag(struct conv *c, const char *name, size_t len, bool end,
    const struct stag *t)
{
	bool open = !end && !t->self_closing;
	int kind = K_NONE, c0 = tg_ascii_tolower((unsigned char)name[0]);

	for (size_t i = 0; i < TG_N(tags) && kind == K_NONE; i++)
		if (tags[i].name[0] == c0 && strlen(tags[i].name) == len &&
		    tg_ascii_strncasecmp(tags[i].name, name, len) == 0)
			kind = tags[i].kind;
	switch (kind) {
	case K_RAW:
	case K_SKIP:
		if (open) {
			c->skip++;
			if (kind == K_RAW)
				c->raw = tg_ascii_tolower((unsigned char)name[1]) == 'c' ?
					 "script" : "style";
		} else if (end && c->skip > 0) {
			c->skip--;
		}
		break;
	case K_PRE:
		if (open)
			c->pre++;
		else if (end && c->pre > 0)
			c->pre--;
		brk(c, BR_PARA);
		break;
	case K_PARA:
	case K_LINE:
	case K_BR:		/* a browser reads </br> as <br> too */
		brk(c, kind == K_PARA ? BR_PARA : kind == K_LINE ? BR_LINE : BR_HARD);
		break;
	case K_CELL:
		c->space = true;
		break;
	case K_LINK:
		if (open)
			link_open(c, t);
		else if (end)
			link_close(c);
		break;
	}
}

static bool
tag_name_char(char ch)
{
	return strchr("\t\n\r\f />", ch) == NULL;	/* finds NUL too */
}

static size_t
bare_value_end(const struct conv *c, size_t p)
{
	while (p < c->n && c->s[p] != '>' && space_at(c, p) == 0)
		p++;
	return p;
}

/* The start tag at s[i] == '<' as Python's locatestarttagend_tolerant and
 * attrfind_tolerant read it, backtracking included. Returns 1 for a tag, 0
 * for text Python prints raw up to t->end, -1 when incomplete (c->reach
 * says how far it read). A quoted value runs to its closing quote, even
 * past '>'. */
static int
scan_start_tag(struct conv *c, size_t i, struct stag *t)
{
	const char *s = c->s;
	size_t n = c->n, p = i + 1;

	memset(t, 0, sizeof(*t));
	while (p < n && tag_name_char(s[p]))
		p++;
	t->name_end = p;
	for (;;) {
		size_t a, ae, q, e, v, vs = 0, ve = 0, w;
		bool val = true;

		/* (?:\s|/(?!>))* */
		while ((w = space_at(c, p)) > 0 ||
		       (p < n && s[p] == '/' && (p + 1 >= n || s[p + 1] != '>')))
			p += w > 0 ? w : 1;
		if (p >= n) {
			c->reach = n;
			return -1;
		}
		if (s[p] == '>' || s[p] == '/') {
			t->self_closing = s[p] == '/';
			t->end = p + (t->self_closing ? 2 : 1);
			return 1;
		}
		if (s[p - 1] != '"' && s[p - 1] != '\'' && s[p - 1] != '/' &&
		    space_before(c, i, p) == 0)
			break;
		a = p++;
		while (p < n && s[p] != '/' && s[p] != '=' && s[p] != '>' &&
		       space_at(c, p) == 0)
			p++;
		ae = p;
		q = skip_space(c, p);
		if (q >= n || s[q] != '=')
			continue;
		for (e = q; e < n && s[e] == '='; e++)
			;
		v = skip_space(c, e);
		if (v < n && (s[v] == '"' || s[v] == '\'')) {
			size_t r = find_byte(c, s[v] == '"' ? F_DQ : F_SQ, s[v], v + 1);

			if (r < n)
				vs = v + 1, ve = r, p = r + 1;
			else if (v > e)		/* \s* gives one back: empty value */
				vs = ve = p = v - space_before(c, e, v);
			else if (e - q > 1)	/* =+ gives one back: bare "=..." */
				vs = e - 1, ve = p = bare_value_end(c, e - 1);
			else
				val = false;
		} else {
			vs = v;
			ve = p = bare_value_end(c, v);
		}
		if (val && !t->has_href && ae - a == 4 &&
		    tg_ascii_strncasecmp(s + a, "href", 4) == 0) {
			t->has_href = true;
			t->href = vs;
			t->href_end = ve;
		}
	}
	c->reach = p;
	if (s[p] == '=' || s[p] == '/' || is_alpha((unsigned char)s[p]))
		return -1;
	t->end = p;
	return 0;
}

static size_t
end_tag_at(struct conv *c, size_t i)
{
	const char *s = c->s;
	size_t g = find_byte(c, F_GT, '>', i + 1), p, a;

	if (g >= c->n)
		return 0;
	/* endtagfind: </\s*name\s*> with name [a-zA-Z][-.a-zA-Z0-9:_]* */
	p = a = skip_space(c, i + 2);
	if (p < g && is_alpha((unsigned char)s[p])) {
		while (p < g && (is_alpha((unsigned char)s[p]) ||
				 is_digit((unsigned char)s[p]) || s[p] == '-' ||
				 s[p] == '.' || s[p] == ':' || s[p] == '_'))
			p++;
		if (skip_space(c, p) == g) {
			tag(c, s + a, p - a, true, &end_stag);
			return g + 1;
		}
	}
	/* else the tolerant name up to '>'; "</>" and "</ x>" vanish */
	if (is_alpha((unsigned char)s[i + 2])) {
		for (p = i + 2; p < g && tag_name_char(s[p]); p++)
			;
		tag(c, s + i + 2, p - i - 2, true, &end_stag);
	}
	return g + 1;
}

static bool
at(const struct conv *c, size_t i, const char *lit)
{
	size_t l = strlen(lit);

	return c->n - i >= l && memcmp(c->s + i, lit, l) == 0;
}

static size_t
gt_end(struct conv *c, size_t from)
{
	size_t g = find_byte(c, F_GT, '>', from);

	return g < c->n ? g + 1 : 0;
}

/* "<!": marked sections as _markupbase parses them (conditional comments
 * <![if !mso]> included), doctype, else a bogus comment to '>', which is
 * also what we do where Python would raise. */
static size_t
declaration(struct conv *c, size_t i)
{
	static const char *const words[] = {
		"temp", "cdata", "ignore", "include", "rcdata", "if", "else", "endif",
	};
	const char *s = c->s;
	size_t n = c->n, p = i + 3;

	if (at(c, i, "<![") && p < n && is_alpha((unsigned char)s[p])) {
		while (p < n && (is_alpha((unsigned char)s[p]) ||
				 is_digit((unsigned char)s[p]) ||
				 s[p] == '-' || s[p] == '_' || s[p] == '.'))
			p++;
		if (skip_space(c, p) >= n)
			return 0;
		for (size_t k = 0; k < TG_N(words); k++)
			if (p - i - 3 == strlen(words[k]) &&
			    tg_ascii_strncasecmp(s + i + 3, words[k], p - i - 3) == 0)
				return find_close(c, i + 3, k < 5 ? CL_MARKED2 : CL_MARKED1);
	} else if (at(c, i, "<![") && p >= n) {
		return 0;
	} else if (n - i >= 9 && tg_ascii_strncasecmp(s + i + 2, "doctype", 7) == 0) {
		return gt_end(c, i + 9);
	}
	return gt_end(c, i + 2);
}

/* End of the markup at s[i] == '<', or 0 when Python finds it incomplete. */
static size_t
markup(struct conv *c, size_t i)
{
	struct stag t;
	unsigned char ch;
	int r;

	if (i + 1 >= c->n) {
		text(c, "<", 1, false);
		return c->n;
	}
	ch = (unsigned char)c->s[i + 1];
	if (is_alpha(ch)) {
		r = scan_start_tag(c, i, &t);
		if (r == 0)
			text(c, c->s + i, t.end - i, false);
		else if (r > 0)
			tag(c, c->s + i + 1, t.name_end - i - 1, false, &t);
		return r < 0 ? 0 : t.end;
	}
	if (ch == '/')
		return end_tag_at(c, i);
	if (at(c, i, "<!--")) {
		/* empty comments to a browser; Python would hide the text up
		 * to the next "-->" */
		if (at(c, i, "<!-->") || at(c, i, "<!--->"))
			return i + (c->s[i + 4] == '>' ? 5 : 6);
		return find_close(c, i + 4, CL_COMMENT);
	}
	if (ch == '?')
		return gt_end(c, i + 2);
	if (ch == '!')
		return declaration(c, i);
	text(c, "<", 1, false);
	return i + 1;
}

/* Python prints incomplete markup as text up to the next '>' (else up to
 * the next '<') and goes on after it. A start tag whose quoted value ran
 * far past that point may be scanned again from each later '<'; once such
 * rescanning exceeds the input size, the scanned text is skipped as a
 * whole instead, which keeps hostile input linear. */
static size_t
fallback(struct conv *c, size_t i, size_t reach)
{
	size_t k = find_byte(c, F_GT, '>', i + 1);

	if (k < c->n) {
		k++;
	} else {
		k = find_byte(c, F_LT, '<', i + 1);
		if (k >= c->n)
			k = i + 1;
	}
	if (reach > k) {
		if (c->degraded)
			k = reach;
		else if ((c->waste += reach - k) > c->n + WASTE_SLACK)
			c->degraded = true;
	}
	text(c, c->s + i, k - i, true);
	return k;
}

/* Past "</name\s*>" ending script or style raw text, or 0. */
static size_t
raw_end(struct conv *c, size_t from)
{
	const char *s = c->s, *lt;
	size_t n = c->n, l = strlen(c->raw);

	while (from < n && (lt = memchr(s + from, '<', n - from)) != NULL) {
		size_t p = (size_t)(lt - s) + 1;

		from = p;
		if (p >= n || s[p] != '/')
			continue;
		p = skip_space(c, p + 1);
		if (n - p < l || tg_ascii_strncasecmp(s + p, c->raw, l) != 0)
			continue;
		p = skip_space(c, p + l);
		if (p < n && s[p] == '>')
			return p + 1;
	}
	return 0;
}

void
tg_html_to_text(const char *html, size_t len, struct tg_buf *out)
{
	struct conv c;
	size_t i = 0;

	memset(&c, 0, sizeof(c));
	c.s = html;
	c.n = html != NULL ? len : 0;
	c.out = out;
	for (int k = 0; k < CL_COUNT; k++)
		c.no_close[k] = SIZE_MAX;
	tg_buf_init(&c.href, 0, HREF_MAX);
	tg_buf_init(&c.ltext, 0, 0);
	tg_buf_init(&c.cp, 0, 0);
	while (i < c.n && !c.full) {
		size_t k;

		if (c.raw != NULL) {
			/* unclosed: Python drops the rest, as a browser does */
			k = raw_end(&c, i);
			if (k == 0)
				break;
			tag(&c, c.raw, strlen(c.raw), true, &end_stag);
			c.raw = NULL;
			i = k;
			continue;
		}
		k = find_byte(&c, F_LT, '<', i);
		text(&c, html + i, k - i, true);
		if (k >= c.n)
			break;
		c.reach = 0;
		i = markup(&c, k);
		if (i == 0)
			i = fallback(&c, k, c.reach);
	}
	link_close(&c);
	tg_buf_deinit(&c.href);
	tg_buf_deinit(&c.ltext);
	tg_buf_deinit(&c.cp);
}
