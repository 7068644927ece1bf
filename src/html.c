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

/* Product choice the reference lacks: "text <URL>" for links whose target
 * the text does not show. Switch off to measure the word similarity. */
static const bool show_link_targets = true;

#define HREF_MAX 4096
/* Wasted start-tag scanning we tolerate before degrading (see fallback). */
#define WASTE_SLACK 65536

enum { K_NONE, K_SKIP, K_RAW, K_LINE, K_PARA, K_PRE, K_BR, K_CELL, K_LINK };
enum { BR_LINE = 1, BR_PARA = 2, BR_HARD = 3 };
enum { F_LT, F_GT, F_DQ, F_SQ, F_COUNT };
enum { CL_COMMENT, CL_MARKED2, CL_MARKED1, CL_COUNT };

/* The reference's element lists, sorted for bsearch. td/th separate cells;
 * script and style also switch the tokenizer to raw text, as Python's. */
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

/* Where to find the next occurrence of a byte: none in [lo, hi), one at
 * hi (n if none). Lets repeated searches over the same stretch, as
 * malformed tags cause, cost nothing. */
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
	struct tg_buf href, ltext;
};

struct stag {
	size_t name_end, end;
	bool self_closing;
	bool has_href;
	size_t href, href_end;
};

static bool
is_space(unsigned char ch)
{
	/* Python's \s and str.split() on one byte */
	return (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x20);
}

static bool
is_alpha(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
is_digit(unsigned char ch)
{
	return ch >= '0' && ch <= '9';
}

static int
hex_val(unsigned char ch)
{
	if (is_digit(ch))
		return ch - '0';
	ch = (unsigned char)tg_ascii_tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* Code points str.split() treats as whitespace. */
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
	unsigned c = p[0], min;
	size_t need;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need + 1;
}

/* Length of the character Python's \s matches at s[p] (Unicode
 * whitespace: NBSP in a tag counts), or 0. */
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

/* The same for the character that ends just before s[p], not before lo. */
static size_t
space_before(const struct conv *c, size_t lo, size_t p)
{
	for (size_t k = 1; k <= 3 && k <= p - lo; k++)
		if (space_at(c, p - k) == k)
			return k;
	return 0;
}

static const struct entity *
entity_find(const char *name, size_t len)
{
	size_t lo = 0, hi = TG_N(entities);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		size_t elen = strlen(entities[mid].name);
		int r = memcmp(entities[mid].name, name, elen < len ? elen : len);

		if (r == 0)
			r = (elen > len) - (elen < len);
		if (r == 0)
			return &entities[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* What html.unescape makes of &#num;: C1 controls are read as
 * Windows-1252, the way broken senders meant them. */
static int
numeric_ref(unsigned long v, unsigned cp[2])
{
	static const unsigned short cp1252[32] = {
		0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F,
		0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
	};

	if (v >= 0x80 && v <= 0x9F) {
		cp[0] = cp1252[v - 0x80];
		return 1;
	}
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		cp[0] = 0xFFFD;
		return 1;
	}
	/* Python drops these; 0x0D is its one exception */
	if ((v >= 1 && v <= 8) || v == 0x0B || (v >= 0x0E && v <= 0x1F) ||
	    v == 0x7F || (v >= 0xFDD0 && v <= 0xFDEF) ||
	    (v & 0xFFFE) == 0xFFFE)
		return 0;
	cp[0] = (unsigned)v;
	return 1;
}

/* Decodes the character reference at p[0] == '&' the way html.unescape
 * does (names of up to 32 characters, legacy names without ';' even as a
 * prefix: "&copy2024"). In attributes, a browser leaves "&copy=" alone,
 * which keeps query strings intact. Returns the bytes consumed and sets
 * *ncp (0..2) code points, or returns 0 when this is no reference. */
static size_t
char_ref(const char *p, size_t len, bool attr, unsigned cp[2], int *ncp)
{
	const struct entity *e = NULL;
	size_t r = 1, x;

	*ncp = 0;
	if (len > 1 && p[1] == '#') {
		unsigned long v = 0;
		bool hex = false;
		size_t d;

		if (len > 3 && (p[2] == 'x' || p[2] == 'X') && hex_val((unsigned char)p[3]) >= 0)
			hex = true, r = 3;
		else
			r = 2;
		for (d = r; r < len; r++) {
			int dv = hex ? hex_val((unsigned char)p[r]) :
				 is_digit((unsigned char)p[r]) ? p[r] - '0' : -1;

			if (dv < 0)
				break;
			/* saturate: anything past U+10FFFF is U+FFFD anyway */
			v = v > 0x10FFFF ? v : v * (hex ? 16 : 10) + (unsigned)dv;
		}
		if (r == d)
			return 0;
		if (r < len && p[r] == ';')
			r++;
		*ncp = numeric_ref(v, cp);
		return r;
	}
	while (r < len && r <= 33 && !strchr("\t\n\f <&#;", p[r]) && p[r] != '\0')
		r++;
	x = r - 1;		/* name length, at most 33 */
	if (x <= 31 && r < len && p[r] == ';')
		e = entity_find(p + 1, x + 1);
	if (e != NULL) {
		x++;
	} else {
		/* the longest legacy name (at most 6 long) it starts with */
		for (x = x < 6 ? x : 6; x >= 2; x--) {
			e = entity_find(p + 1, x);
			if (e != NULL)
				break;
		}
		if (e == NULL)
			return 0;
	}
	if (attr && p[x] != ';' && 1 + x < len &&
	    (is_alpha((unsigned char)p[1 + x]) || is_digit((unsigned char)p[1 + x]) ||
	     p[1 + x] == '='))
		return 0;
	cp[0] = e->cp;
	cp[1] = e->cp2;
	*ncp = e->cp2 != 0 ? 2 : 1;
	return 1 + x;
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

static size_t
back_space(const struct conv *c, size_t lo, size_t k)
{
	size_t w;

	while ((w = space_before(c, lo, k)) > 0)
		k -= w;
	return k;
}

/* End of the first "--\s*>" (comment), "]\s*]\s*>" or "]\s*>" (marked
 * sections) starting at or after from, or 0. Every match ends in '>', so
 * look back from each '>'. A failed search is remembered: many unclosed
 * "<!--" must not rescan the rest of the input each. */
static size_t
find_close(struct conv *c, size_t from, int kind)
{
	const char *s = c->s;

	if (from >= c->no_close[kind])
		return 0;
	for (size_t g = find_byte(c, F_GT, '>', from); g < c->n;
	     g = find_byte(c, F_GT, '>', g + 1)) {
		size_t k = back_space(c, from, g);

		if (kind == CL_COMMENT) {
			if (k >= from + 2 && s[k - 1] == '-' && s[k - 2] == '-')
				return g + 1;
			continue;
		}
		if (k <= from || s[k - 1] != ']')
			continue;
		if (kind == CL_MARKED2) {
			k = back_space(c, from, k - 1);
			if (k <= from || s[k - 1] != ']')
				continue;
		}
		return g + 1;
	}
	c->no_close[kind] = from;
	return 0;
}

static void
emit(struct conv *c, const char *p, size_t len)
{
	if (!c->full && tg_buf_append(c->out, p, len) < 0)
		c->full = true;
}

/* Writes the pending separator before a visible character; false when
 * nothing may be written. Leading and trailing whitespace never is. */
static bool
separate(struct conv *c)
{
	if (c->full)
		return false;
	if (c->wrote) {
		if (c->nl > 0)
			emit(c, "\n\n", (size_t)c->nl);
		else if (c->space)
			emit(c, " ", 1);
	}
	c->wrote = true;
	c->nl = 0;
	c->space = false;
	return !c->full;
}

static void
put(struct conv *c, const char *p, size_t len)
{
	if (!separate(c))
		return;
	emit(c, p, len);
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
	if (is_space_cp(cp)) {
		if (cp == '\n' && c->pre > 0)
			brk(c, BR_HARD);
		else
			c->space = true;
		return;
	}
	if (!separate(c))
		return;
	if (tg_buf_put_utf8(c->out, cp) < 0)
		c->full = true;
	if (c->link && c->ltext.len <= c->href.len)
		tg_buf_put_utf8(&c->ltext, cp);
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
			if (k == 0) {
				put(c, p, 1);
				k = 1;
			}
			for (int j = 0; j < ncp; j++)
				put_cp(c, cp[j]);
		} else if (ch == 0) {
			put_cp(c, 0xFFFD);
			k = 1;
		} else if ((k = utf8_len((const unsigned char *)p, len, cp)) > 0) {
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

/* Strips what link text usually leaves out of the target it shows. */
static void
target_core(const char **p, size_t *len)
{
	static const char *const schemes[] = { "mailto:", "http://", "https://" };

	for (size_t i = 0; i < TG_N(schemes); i++) {
		size_t l = strlen(schemes[i]);

		if (*len >= l && tg_ascii_strncasecmp(*p, schemes[i], l) == 0) {
			*p += l;
			*len -= l;
			break;
		}
	}
	if (*len > 0 && (*p)[*len - 1] == '/')
		(*len)--;
}

static void
link_close(struct conv *c)
{
	const char *a = c->href.data, *b = c->ltext.data;
	size_t la = c->href.len, lb = c->ltext.len;

	if (!c->link)
		return;
	c->link = false;
	/* an image-only link has no text to follow: skip the noise */
	if (lb == 0 || c->skip > 0)
		return;
	target_core(&a, &la);
	target_core(&b, &lb);
	if (la == lb && tg_ascii_strncasecmp(a, b, la) == 0)
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
	size_t len = t->href_end - t->href, a = 0, b;

	link_close(c);
	if (!show_link_targets || !t->has_href || c->skip > 0)
		return;
	tg_buf_reset(h);
	while (len > 0 && !h->overflow) {
		unsigned cp[2];
		int ncp;
		size_t k = *p == '&' ? char_ref(p, len, true, cp, &ncp) : 0;

		if (k == 0) {
			/* a browser drops tabs and newlines inside URLs */
			if (*p != '\t' && *p != '\n' && *p != '\r')
				tg_buf_append(h, p, 1);
			k = 1;
		}
		for (int j = 0; k > 1 && j < ncp; j++)
			tg_buf_put_utf8(h, cp[j]);
		p += k;
		len -= k;
	}
	b = h->len;
	while (a < b && (unsigned char)h->data[a] <= 0x20)
		a++;
	while (b > a && (unsigned char)h->data[b - 1] <= 0x20)
		b--;
	if (h->overflow || a == b)
		return;
	/* it must stay one word that cannot be mistaken for markup */
	for (size_t i = a; i < b; i++) {
		unsigned char ch = (unsigned char)h->data[i];

		if (ch <= 0x20 || ch == 0x7F || ch == '<' || ch == '>')
			return;
	}
	memmove(h->data, h->data + a, b - a);
	h->len = b - a;
	h->data[h->len] = '\0';
	if (tg_ascii_strncasecmp(h->data, "http://", 7) != 0 &&
	    tg_ascii_strncasecmp(h->data, "https://", 8) != 0 &&
	    tg_ascii_strncasecmp(h->data, "mailto:", 7) != 0)
		return;
	tg_buf_reset(&c->ltext);
	c->link = true;
}

static int
tag_kind(const char *name, size_t len)
{
	char low[12];
	size_t lo = 0, hi = TG_N(tags);

	if (len >= sizeof(low))
		return K_NONE;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tg_ascii_tolower((unsigned char)name[i]);
	low[len] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(tags[mid].name, low);

		if (r == 0)
			return tags[mid].kind;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return K_NONE;
}

/* Python calls start and end for <x/>: equivalent to this. */
static void
start_tag(struct conv *c, const char *name, size_t len, const struct stag *t)
{
	bool sc = t->self_closing;

	switch (tag_kind(name, len)) {
	case K_RAW:
		if (!sc)
			c->raw = tg_ascii_tolower((unsigned char)*name) == 's' &&
				 tg_ascii_tolower((unsigned char)name[1]) == 'c' ?
				 "script" : "style";
		/* fall through */
	case K_SKIP:
		if (!sc)
			c->skip++;
		break;
	case K_PRE:
		if (!sc)
			c->pre++;
		brk(c, BR_PARA);
		break;
	case K_PARA:
		brk(c, BR_PARA);
		break;
	case K_LINE:
		brk(c, BR_LINE);
		break;
	case K_BR:
		brk(c, BR_HARD);
		break;
	case K_CELL:
		c->space = true;
		break;
	case K_LINK:
		if (!sc)
			link_open(c, t);
		break;
	default:
		break;
	}
}

static void
end_tag(struct conv *c, const char *name, size_t len)
{
	switch (tag_kind(name, len)) {
	case K_RAW:
	case K_SKIP:
		if (c->skip > 0)
			c->skip--;
		break;
	case K_PRE:
		if (c->pre > 0)
			c->pre--;
		brk(c, BR_PARA);
		break;
	case K_PARA:
		brk(c, BR_PARA);
		break;
	case K_LINE:
		brk(c, BR_LINE);
		break;
	case K_BR:
		brk(c, BR_HARD);	/* a browser reads </br> as <br> */
		break;
	case K_CELL:
		c->space = true;
		break;
	case K_LINK:
		link_close(c);
		break;
	default:
		break;
	}
}

static bool
tag_name_char(unsigned char ch)
{
	return ch != '\t' && ch != '\n' && ch != '\r' && ch != '\f' &&
	       ch != ' ' && ch != '/' && ch != '>' && ch != '\0';
}

static size_t
bare_value_end(const struct conv *c, size_t p)
{
	while (p < c->n && c->s[p] != '>' && space_at(c, p) == 0)
		p++;
	return p;
}

/* Past (?:\s|/(?!>))* at p. */
static size_t
skip_gap(const struct conv *c, size_t p)
{
	for (;;) {
		size_t w = space_at(c, p);

		if (w == 0 && p < c->n && c->s[p] == '/' &&
		    (p + 1 >= c->n || c->s[p + 1] != '>'))
			w = 1;
		if (w == 0)
			return p;
		p += w;
	}
}

static size_t
skip_space(const struct conv *c, size_t p)
{
	size_t w;

	while ((w = space_at(c, p)) > 0)
		p += w;
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
	while (p < n && tag_name_char((unsigned char)s[p]))
		p++;
	t->name_end = p;
	for (;;) {
		size_t a, ae, q, e, v, vs = 0, ve = 0;
		bool val = true;
		unsigned char prev;

		p = skip_gap(c, p);
		if (p >= n) {
			c->reach = n;
			return -1;
		}
		if (s[p] == '>' || s[p] == '/') {
			t->self_closing = s[p] == '/';
			t->end = p + (t->self_closing ? 2 : 1);
			return 1;
		}
		prev = (unsigned char)s[p - 1];
		if (prev != '"' && prev != '\'' && prev != '/' &&
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
start_tag_at(struct conv *c, size_t i)
{
	struct stag t;
	int r = scan_start_tag(c, i, &t);

	if (r < 0)
		return 0;
	if (r == 0)
		text(c, c->s + i, t.end - i, false);
	else
		start_tag(c, c->s + i + 1, t.name_end - i - 1, &t);
	return t.end;
}

static size_t
end_tag_at(struct conv *c, size_t i)
{
	const char *s = c->s;
	size_t g = find_byte(c, F_GT, '>', i + 1), p = i + 2, a;

	if (g >= c->n)
		return 0;
	/* endtagfind: </\s*name\s*> with name [a-zA-Z][-.a-zA-Z0-9:_]* */
	p = skip_space(c, p);
	a = p;
	if (p < g && is_alpha((unsigned char)s[p])) {
		size_t e;

		while (p < g && (is_alpha((unsigned char)s[p]) || is_digit((unsigned char)s[p]) ||
				 s[p] == '-' || s[p] == '.' || s[p] == ':' || s[p] == '_'))
			p++;
		e = p;
		if (skip_space(c, p) == g) {
			end_tag(c, s + a, e - a);
			return g + 1;
		}
	}
	/* else the tolerant name up to the next '>'; "</>" and "</ x" vanish */
	if (is_alpha((unsigned char)s[i + 2])) {
		for (p = i + 2; p < g && tag_name_char((unsigned char)s[p]); p++)
			;
		end_tag(c, s + i + 2, p - i - 2);
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
	static const char *const cdata_like[] = {
		"temp", "cdata", "ignore", "include", "rcdata",
	};
	static const char *const ms_like[] = { "if", "else", "endif" };
	const char *s = c->s;
	size_t n = c->n, p = i + 3, q;

	if (at(c, i, "<![")) {
		if (p < n && is_alpha((unsigned char)s[p])) {
			while (p < n && (is_alpha((unsigned char)s[p]) ||
					 is_digit((unsigned char)s[p]) ||
					 s[p] == '-' || s[p] == '_' || s[p] == '.'))
				p++;
			q = skip_space(c, p);
			if (q >= n)
				return 0;
			for (size_t k = 0; k < TG_N(cdata_like); k++)
				if (p - i - 3 == strlen(cdata_like[k]) &&
				    tg_ascii_strncasecmp(s + i + 3, cdata_like[k], p - i - 3) == 0)
					return find_close(c, i + 3, CL_MARKED2);
			for (size_t k = 0; k < TG_N(ms_like); k++)
				if (p - i - 3 == strlen(ms_like[k]) &&
				    tg_ascii_strncasecmp(s + i + 3, ms_like[k], p - i - 3) == 0)
					return find_close(c, i + 3, CL_MARKED1);
		} else if (p >= n) {
			return 0;
		}
	} else if (n - i >= 9 && tg_ascii_strncasecmp(s + i + 2, "doctype", 7) == 0) {
		return gt_end(c, i + 9);
	}
	return gt_end(c, i + 2);
}

/* End of the markup at s[i] == '<', or 0 when Python finds it incomplete. */
static size_t
markup(struct conv *c, size_t i)
{
	unsigned char ch;

	if (i + 1 >= c->n) {
		text(c, "<", 1, false);
		return c->n;
	}
	ch = (unsigned char)c->s[i + 1];
	if (is_alpha(ch))
		return start_tag_at(c, i);
	if (ch == '/')
		return end_tag_at(c, i);
	if (at(c, i, "<!--")) {
		/* empty comments to a browser; Python would hide the text up
		 * to the next "-->" */
		if (at(c, i, "<!-->"))
			return i + 5;
		if (at(c, i, "<!--->"))
			return i + 6;
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
	const char *s = c->s;
	size_t n = c->n, l = strlen(c->raw);

	for (const char *lt; from < n &&
	     (lt = memchr(s + from, '<', n - from)) != NULL; ) {
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
	while (i < c.n && !c.full) {
		size_t k;

		if (c.raw != NULL) {
			/* unclosed: Python drops the rest, as a browser does */
			k = raw_end(&c, i);
			if (k == 0)
				break;
			end_tag(&c, c.raw, strlen(c.raw));
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
}
