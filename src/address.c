/* Address lists (From, To, Cc...) read the way Python's email package
 * (policy.default) reads them, broken forms included, so both agree on
 * every mailbox: the rules below mirror its grammar functions one by one.
 * Parses untrusted input. */
#include "ticketgate/address.h"
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/rfc2047.h"
#include "ticketgate/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* What a rule returns when it does not match (where Python raises
 * HeaderParseError): the caller tries its next alternative. Otherwise
 * rules return the position just past what they consumed. */
#define FAIL SIZE_MAX

enum {
	C_WSP = 1,
	C_SPACE = 2,
	C_SPECIAL = 4,
	C_PHRASE_END = 8
};

/* Blanks start folding space, which then runs over any ASCII space (as
 * Python's lstrip() does). CR and LF cannot survive unfolding; should one
 * appear it counts as a blank. Phrase ends are the specials that end a
 * phrase: Python lets '.', '"' and '(' go on (obs-phrase). */
/* clang-format off */
static const unsigned char cls[256] = {
	[' '] = C_WSP | C_SPACE, ['\t'] = C_WSP | C_SPACE,
	['\r'] = C_WSP | C_SPACE, ['\n'] = C_WSP | C_SPACE,
	['\v'] = C_SPACE, ['\f'] = C_SPACE, [0x1c] = C_SPACE,
	[0x1d] = C_SPACE, [0x1e] = C_SPACE, [0x1f] = C_SPACE,
	['('] = C_SPECIAL, ['.'] = C_SPECIAL, ['"'] = C_SPECIAL,
	[')'] = C_SPECIAL | C_PHRASE_END, ['<'] = C_SPECIAL | C_PHRASE_END,
	['>'] = C_SPECIAL | C_PHRASE_END, ['@'] = C_SPECIAL | C_PHRASE_END,
	[','] = C_SPECIAL | C_PHRASE_END, [':'] = C_SPECIAL | C_PHRASE_END,
	[';'] = C_SPECIAL | C_PHRASE_END, ['\\'] = C_SPECIAL | C_PHRASE_END,
	['['] = C_SPECIAL | C_PHRASE_END, [']'] = C_SPECIAL | C_PHRASE_END,
};
/* clang-format on */

#define IS(c, m) ((cls[(unsigned char)(c)] & (m)) != 0)
#define IS_WSP(c) IS(c, C_WSP)
#define IS_SPECIAL(c) IS(c, C_SPECIAL)
#define IS_ATOM_END(c) IS(c, C_WSP | C_SPECIAL)
#define IS_PHRASE_END(c) IS(c, C_PHRASE_END)
#define IS_CFWS_LEAD(c) (IS_WSP(c) || (c) == '(')

/* Fields are built in tg_bufs holding raw header bytes and decoded
 * encoded words (valid UTF-8) side by side, converted once at the end
 * (UTF-8, else Windows-1252), like Python's surrogate-escaped bytes. A
 * decoded word never starts with a continuation byte, so it cannot merge
 * with raw bytes before it, while raw bytes split by quoting still join.
 * A NULL buffer means the text is not wanted. */
struct parser {
	const char *s;
	size_t n;
	/* No "?=" starts in [qe_from, qe_at); qe_at is one, or n. Spares
	 * rescanning for the end of an encoded word on every attempt. */
	size_t qe_from, qe_at;
	bool glue;         /* see local_part() */
	struct tg_buf ew;  /* the encoded word being decoded */
	struct tg_buf tmp; /* a field being finished */
	struct tg_buf name, local, domain;
	struct tg_addr *list;
	size_t count, cap;
	struct tg_pool *pool;
};

static void
put(struct tg_buf *out, const char *p, size_t n)
{
	if (out != NULL)
		tg_buf_append(out, p, n);
}

/* Where to rewind to when an alternative fails after writing. */
static size_t
mark(const struct tg_buf *out)
{
	return out != NULL ? out->len : 0;
}

static void
rewind_to(struct tg_buf *out, size_t m)
{
	/* tg_buf has no truncate; shortening len keeps its invariants */
	if (out != NULL && m < out->len) {
		out->len = m;
		out->data[m] = '\0';
	}
}

static size_t
skip_fws(const struct parser *ps, size_t p)
{
	while (p < ps->n && IS(ps->s[p], C_SPACE))
		p++;
	return p;
}

static size_t
skip_comment(const struct parser *ps, size_t p)
{
	size_t depth = 0;

	/* Iterative, as nesting depth is up to the sender. A backslash
	 * quotes the next character unless that is a blank (Python). */
	do {
		char c = ps->s[p++];

		if (c == '\\' && p < ps->n && !IS_WSP(ps->s[p]))
			p++;
		else if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
	} while (depth > 0 && p < ps->n);
	return p;
}

static size_t
skip_cfws(const struct parser *ps, size_t p)
{
	while (p < ps->n && IS_CFWS_LEAD(ps->s[p]))
		p = IS_WSP(ps->s[p]) ? skip_fws(ps, p) : skip_comment(ps, p);
	return p;
}

static size_t
scan_qe(const struct parser *ps, size_t from, size_t limit)
{
	const char *q;

	while (from < limit &&
	       (q = memchr(ps->s + from, '?', limit - from)) != NULL) {
		from = (size_t)(q - ps->s) + 1;
		if (from < ps->n && ps->s[from] == '=')
			return from - 1;
	}
	return ps->n;
}

/* First "?=" at or after from, else n. */
static size_t
find_qe(struct parser *ps, size_t from)
{
	size_t at;

	if (from >= ps->qe_from && from <= ps->qe_at)
		return ps->qe_at;
	if (from < ps->qe_from) {
		at = scan_qe(ps, from, ps->qe_from);
		if (at == ps->n)
			at = ps->qe_at;
	} else {
		at = scan_qe(ps, from, ps->n);
	}
	ps->qe_from = from;
	ps->qe_at = at;
	return at;
}

/* '?' in s[from..to), counted up to 3 only: a word with more is invalid
 * anyway, and stopping early keeps repeated attempts linear. */
static size_t
count_qmarks(const struct parser *ps, size_t from, size_t to, size_t *first)
{
	size_t count = 0;
	const char *q;

	while (from < to && count < 3 &&
	       (q = memchr(ps->s + from, '?', to - from)) != NULL) {
		if (count++ == 0)
			*first = (size_t)(q - ps->s);
		from = (size_t)(q - ps->s) + 1;
	}
	return count;
}

static bool
is_end(char c, const char *ends)
{
	return c != '\0' && strchr(ends, c) != NULL;
}

/* An encoded word at p ("=?" there), delimited as Python does it: up to
 * the first "?=", across blanks and specials, unless that '?' ends the
 * encoding and "=XX" follows. Leaves "=?charset?x?text?=" in ps->ew and
 * returns the end, or FAIL where Python reads plain text. */
static size_t
ew_scan(struct parser *ps, size_t p)
{
	const char *s = ps->s;
	size_t tok = p + 2, tok_end, end, q = 0, nq;

	tok_end = find_qe(ps, tok);
	if (tok_end >= ps->n)
		return FAIL;
	end = tok_end + 2;
	nq = count_qmarks(ps, tok, tok_end, &q);
	if (ps->n - end > 1 && isxdigit((unsigned char)s[end]) &&
	    isxdigit((unsigned char)s[end + 1]) && nq < 2) {
		tok_end = find_qe(ps, end);
		end = tok_end < ps->n ? tok_end + 2 : ps->n;
		nq = count_qmarks(ps, tok, tok_end, &q);
	}
	/* charset?cte?text, cte one of q/b */
	if (nq != 2 || s[q + 2] != '?' || !is_end(s[q + 1], "qQbB"))
		return FAIL;
	tg_buf_reset(&ps->ew);
	tg_buf_append(&ps->ew, "=?", 2);
	tg_buf_append(&ps->ew, s + tok, tok_end - tok);
	tg_buf_append(&ps->ew, "?=", 2);
	return end;
}

/* An encoded word at p, decoded into out; FAIL if there is none. */
static size_t
ew_try(struct parser *ps, size_t p, struct tg_buf *out)
{
	size_t e = FAIL;

	if (p + 1 < ps->n && ps->s[p] == '=' && ps->s[p + 1] == '?')
		e = ew_scan(ps, p);
	if (e != FAIL && out != NULL)
		tg_rfc2047_decode(ps->ew.data, ps->ew.len, out);
	return e;
}

/* Text up to a blank or an unquoted stop character, quoted pairs undone:
 * a backslash before a blank or the end just vanishes (Python's rule). */
static size_t
ptext(const struct parser *ps, size_t p, const char *stop, struct tg_buf *out)
{
	const char *s = ps->s;
	size_t start;

	while (p < ps->n && !IS_WSP(s[p]) && !is_end(s[p], stop)) {
		if (s[p] == '\\') {
			if (++p < ps->n && !IS_WSP(s[p]))
				put(out, s + p++, 1);
			continue;
		}
		for (start = p; p < ps->n && !IS_WSP(s[p]) && s[p] != '\\' &&
				!is_end(s[p], stop);
		     p++)
			;
		put(out, s + start, p - start);
	}
	return p;
}

/* bare-quoted-string at p (a '"'): writes the content. Python decodes
 * encoded words even in here, dropping the space between two of them. */
static size_t
bare_quoted(struct parser *ps, size_t p, struct tg_buf *out)
{
	enum {
		T_NONE,
		T_TEXT,
		T_FWS,
		T_EW
	} last = T_NONE, before = T_NONE;
	size_t ws = 0, ws_len = 0, e;

	if (++p < ps->n && ps->s[p] == '"')
		return p + 1;
	while (p < ps->n && ps->s[p] != '"') {
		if (IS_WSP(ps->s[p])) {
			ws = p;
			p = skip_fws(ps, p);
			ws_len = p - ws;
			before = last;
			last = T_FWS;
			continue;
		}
		e = FAIL;
		if (p + 1 < ps->n && ps->s[p] == '=' && ps->s[p + 1] == '?')
			e = ew_scan(ps, p);
		if (e == FAIL || last != T_FWS || before != T_EW)
			put(out, ps->s + ws, ws_len);
		if (e != FAIL && out != NULL)
			tg_rfc2047_decode(ps->ew.data, ps->ew.len, out);
		ws_len = 0;
		before = last;
		last = e != FAIL ? T_EW : T_TEXT;
		p = e != FAIL ? e : ptext(ps, p, "\"", out);
	}
	put(out, ps->s + ws, ws_len);
	return p < ps->n ? p + 1 : p;
}

/* An atom's text without CFWS: an encoded word, else atext. */
static size_t
atom_text(struct parser *ps, size_t p, struct tg_buf *out)
{
	size_t start = p, e;

	if (p >= ps->n || IS_ATOM_END(ps->s[p]))
		return FAIL;
	e = ew_try(ps, p, out);
	if (e != FAIL) {
		if (!ps->glue)
			return e;
		start = p = e;
	}
	ps->glue = false;
	while (p < ps->n && !IS_ATOM_END(ps->s[p]))
		p++;
	put(out, ps->s + start, p - start);
	return p;
}

/* atom = [CFWS] atext [CFWS]; the CFWS is not written. */
static size_t
atom(struct parser *ps, size_t p, struct tg_buf *out)
{
	p = atom_text(ps, skip_cfws(ps, p), out);
	return p == FAIL ? FAIL : skip_cfws(ps, p);
}

/* word = [CFWS] (atom / quoted-string) [CFWS]. space asks for a ' ' in
 * place of leading CFWS; *trail_r tells whether there was trailing CFWS,
 * for the caller to count or not. */
static size_t
word(struct parser *ps, size_t p, struct tg_buf *out, bool space, bool *trail_r)
{
	bool lead = p < ps->n && IS_CFWS_LEAD(ps->s[p]);

	p = skip_cfws(ps, p);
	/* past this check neither alternative can fail */
	if (p >= ps->n || (ps->s[p] != '"' && IS_SPECIAL(ps->s[p])))
		return FAIL;
	if (lead && space)
		put(out, " ", 1);
	if (ps->s[p] == '"')
		p = bare_quoted(ps, p, out);
	else
		p = atom_text(ps, p, out);
	*trail_r = p < ps->n && IS_CFWS_LEAD(ps->s[p]);
	return skip_cfws(ps, p);
}

/* phrase = word *(word / "." / CFWS); CFWS is written as one space. */
static size_t
phrase(struct parser *ps, size_t p, struct tg_buf *out)
{
	size_t e;
	bool trail = false;

	e = word(ps, p, out, true, &trail);
	p = e != FAIL ? e : p;
	for (;;) {
		if (trail)
			put(out, " ", 1);
		trail = false;
		if (p >= ps->n || IS_PHRASE_END(ps->s[p]))
			return p;
		if (ps->s[p] == '.') {
			put(out, ".", 1);
			p++;
			continue;
		}
		e = word(ps, p, out, true, &trail);
		if (e == FAIL && !IS_CFWS_LEAD(ps->s[p]))
			return FAIL;
		if (e == FAIL) {
			/* CFWS before a special */
			e = skip_cfws(ps, p);
			trail = true;
		}
		p = e;
	}
}

/* dot-atom = [CFWS] (encoded-word / atext *("." atext)) [CFWS];
 * *ew_r tells whether it was an encoded word. */
static size_t
dot_atom(struct parser *ps, size_t p, struct tg_buf *out, bool *ew_r)
{
	const char *s = ps->s;
	size_t e, start;

	p = skip_cfws(ps, p);
	e = ew_try(ps, p, out);
	*ew_r = e != FAIL;
	if (e != FAIL)
		return skip_cfws(ps, e);
	if (p >= ps->n || IS_ATOM_END(s[p]))
		return FAIL;
	for (;;) {
		for (start = p; p < ps->n && !IS_ATOM_END(s[p]); p++)
			;
		put(out, s + start, p - start);
		if (p >= ps->n || s[p] != '.')
			return skip_cfws(ps, p);
		put(out, ".", 1);
		/* a dot must be followed by more atext */
		if (++p >= ps->n || IS_ATOM_END(s[p]))
			return FAIL;
	}
}

/* obs-local-part = word *("." word), read loosely as Python does: CFWS
 * next to a dot (or either end) vanishes, elsewhere it is one space. */
static size_t
obs_local_part(struct parser *ps, size_t p, struct tg_buf *out)
{
	bool after_dot = true, trail = false, t;
	size_t m, e;

	while (p < ps->n && (ps->s[p] == '\\' || !IS_PHRASE_END(ps->s[p]))) {
		if (ps->s[p] == '.' || ps->s[p] == '\\') {
			after_dot = ps->s[p] == '.';
			if (trail && !after_dot)
				put(out, " ", 1);
			put(out, ps->s + p++, 1);
			trail = false;
			continue;
		}
		m = mark(out);
		if (trail)
			put(out, " ", 1);
		e = word(ps, p, out, !after_dot, &t);
		if (e == FAIL) {
			/* CFWS before a special: as if absent */
			rewind_to(out, m);
			if (!IS_CFWS_LEAD(ps->s[p]))
				return FAIL;
			p = skip_cfws(ps, p);
			continue;
		}
		p = e;
		after_dot = false;
		trail = t;
	}
	return p;
}

/* local-part = dot-atom / quoted-string / obs-local-part. When anything
 * but a phrase end follows the first form, Python re-reads the lot as
 * obs-local-part from its decoded text: a leading encoded word becomes
 * atext there and glues to atext right after it (so a second encoded
 * word is no longer one). That is mimicked; a word that decodes to
 * specials or blanks is re-read from the original instead (rare). */
static size_t
local_part(struct parser *ps, size_t p, struct tg_buf *out)
{
	size_t start = p, m = mark(out), e;
	bool trail, ew;

	p = skip_cfws(ps, p);
	if (p >= ps->n)
		return FAIL;
	e = dot_atom(ps, p, out, &ew);
	if (e == FAIL) {
		rewind_to(out, m);
		e = word(ps, p, out, false, &trail);
		if (e == FAIL && ps->s[p] != '\\' && IS_PHRASE_END(ps->s[p]))
			return FAIL;
		e = e == FAIL ? p : e;
	}
	if (e < ps->n && (ps->s[e] == '\\' || !IS_PHRASE_END(ps->s[e]))) {
		rewind_to(out, m);
		ps->glue = ew;
		e = obs_local_part(ps, start, out);
		ps->glue = false;
	}
	return e;
}

/* domain-literal = "[" [FWS] dtext [FWS] "]" [CFWS]. Python crashes on
 * one left open; here that is no domain (and no mailbox) at all. */
static size_t
domain_literal(const struct parser *ps, size_t p, struct tg_buf *out)
{
	put(out, "[", 1);
	p = skip_fws(ps, ptext(ps, skip_fws(ps, p + 1), "[]", out));
	put(out, "]", 1);
	return p < ps->n && ps->s[p] == ']' ? skip_cfws(ps, p + 1) : FAIL;
}

/* domain = dot-atom / domain-literal / obs-domain */
static size_t
domain(struct parser *ps, size_t p, struct tg_buf *out)
{
	size_t m = mark(out), e;
	bool ew;

	p = skip_cfws(ps, p);
	if (p >= ps->n)
		return FAIL;
	if (ps->s[p] == '[')
		return domain_literal(ps, p, out);
	e = dot_atom(ps, p, out, &ew);
	if (e == FAIL) {
		rewind_to(out, m);
		e = atom(ps, p, out);
	}
	if (e == FAIL || (e < ps->n && ps->s[e] == '@'))
		return FAIL;
	while (e != FAIL && e < ps->n && ps->s[e] == '.') {
		put(out, ".", 1);
		e = atom(ps, e + 1, out);
	}
	return e;
}

static size_t
addr_spec(struct parser *ps, size_t p)
{
	p = local_part(ps, p, &ps->local);
	if (p == FAIL || p >= ps->n || ps->s[p] != '@')
		return p;
	return domain(ps, p + 1, &ps->domain);
}

/* obs-route = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":" */
static size_t
obs_route(struct parser *ps, size_t p)
{
	while (p < ps->n && (ps->s[p] == ',' || IS_CFWS_LEAD(ps->s[p])))
		p = ps->s[p] == ',' ? p + 1 : skip_cfws(ps, p);
	if (p >= ps->n || ps->s[p] != '@')
		return FAIL;
	p = domain(ps, p + 1, NULL);
	while (p != FAIL && p < ps->n && ps->s[p] == ',') {
		p = skip_cfws(ps, p + 1);
		if (p < ps->n && ps->s[p] == '@')
			p = domain(ps, p + 1, NULL);
	}
	if (p == FAIL || p >= ps->n || ps->s[p] != ':')
		return FAIL;
	return p + 1;
}

/* angle-addr = [CFWS] "<" [obs-route] addr-spec ">" [CFWS], with the
 * '>' optional and "<>" allowed */
static size_t
angle_addr(struct parser *ps, size_t p)
{
	size_t e;

	p = skip_cfws(ps, p);
	if (p >= ps->n || ps->s[p] != '<')
		return FAIL;
	/* a '<' ending the value (Python: IndexError) reads as "<>" */
	if (++p >= ps->n || ps->s[p] == '>')
		return p < ps->n ? p + 1 : p;
	e = addr_spec(ps, p);
	if (e == FAIL) {
		rewind_to(&ps->local, 0);
		rewind_to(&ps->domain, 0);
		e = obs_route(ps, p);
		e = e == FAIL ? FAIL : addr_spec(ps, e);
		if (e == FAIL)
			return FAIL;
	}
	if (e < ps->n && ps->s[e] == '>')
		e++;
	return skip_cfws(ps, e);
}

/* name-addr = [display-name] angle-addr. The name is only decoded once
 * the angle-addr matched: most failed attempts are plain addr-specs. */
static size_t
name_addr(struct parser *ps, size_t p)
{
	size_t e;

	p = skip_cfws(ps, p);
	if (p >= ps->n)
		return FAIL;
	if (ps->s[p] == '<')
		return angle_addr(ps, p);
	if (IS_PHRASE_END(ps->s[p]))
		return FAIL;
	e = phrase(ps, p, NULL);
	if (e == FAIL || e >= ps->n)
		return FAIL;
	e = angle_addr(ps, e);
	if (e != FAIL)
		phrase(ps, p, &ps->name);
	return e;
}

/* Length of the whitespace character at p (per Python's str.isspace()),
 * else 0. p holds valid UTF-8. */
static size_t
space_len(const unsigned char *p, size_t n)
{
	if (IS(p[0], C_SPACE))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n >= 3 &&
	    ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||
	     (p[0] == 0xe2 && p[1] == 0x80 &&
	      (p[2] <= 0x8a || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf)) ||
	     (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
	     (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)))
		return 3;
	return 0;
}

enum {
	KEEP_WS,
	COLLAPSE_WS,
	DROP_WS
};

/* Converts a field to UTF-8 in the pool. Names get whitespace runs
 * collapsed (and trimmed); domains lose ASCII spaces, as with Python's
 * ''.join(domain.split()), which sees 8-bit bytes as surrogates, never
 * as spaces. NULs are dropped: they would cut the C string. */
static char *
finish(struct parser *ps, struct tg_buf *field, int ws)
{
	const unsigned char *p;
	size_t i = 0, o = 0, sp;
	bool gap = false;
	char *d;

	tg_buf_reset(&ps->tmp);
	tg_charset_fallback_to_utf8(tg_buf_cstr(field), field->len, &ps->tmp);
	p = (const unsigned char *)tg_buf_cstr(&ps->tmp);
	d = tg_pool_alloc(ps->pool, ps->tmp.len + 1);
	while (i < ps->tmp.len) {
		sp = ws == KEEP_WS   ? 0
		     : ws == DROP_WS ? IS(p[i], C_SPACE)
				     : space_len(p + i, ps->tmp.len - i);
		if (sp > 0) {
			gap = true;
			i += sp;
			continue;
		}
		if (gap && ws == COLLAPSE_WS && o > 0)
			d[o++] = ' ';
		gap = false;
		if (p[i] != '\0')
			d[o++] = (char)p[i];
		i++;
	}
	d[o] = '\0';
	return d;
}

/* Records the mailbox as Python's headerregistry.Address shows it: a
 * local part that needs quotes gets them; no local part and no domain is
 * the null path "<>", given as ""; with no name either, it is dropped. */
static void
record(struct parser *ps)
{
	char *name = finish(ps, &ps->name, COLLAPSE_WS);
	char *local = finish(ps, &ps->local, KEEP_WS);
	char *dom = finish(ps, &ps->domain, DROP_WS);
	bool quote = false;

	if (*name == '\0' && *local == '\0' && *dom == '\0')
		return;
	for (const char *c = local; *c != '\0'; c++)
		quote |= IS_ATOM_END(*c) && *c != '.';
	tg_buf_reset(&ps->tmp);
	if (quote)
		tg_buf_putc(&ps->tmp, '"');
	for (const char *c = local; *c != '\0'; c++) {
		if (quote && (*c == '"' || *c == '\\'))
			tg_buf_putc(&ps->tmp, '\\');
		tg_buf_putc(&ps->tmp, *c);
	}
	if (quote)
		tg_buf_putc(&ps->tmp, '"');
	if (*dom != '\0')
		tg_buf_appendf(&ps->tmp, "@%s", dom);
	if (ps->count == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 16;
		ps->list = tg_xrealloc(ps->list, ps->cap * sizeof(*ps->list));
	}
	ps->list[ps->count].name = name;
	ps->list[ps->count].address =
		tg_pool_strndup(ps->pool, tg_buf_cstr(&ps->tmp), ps->tmp.len);
	ps->count++;
}

/* mailbox = name-addr / addr-spec; recorded when it matches, even with
 * junk after it (Python keeps such a mailbox too). */
static size_t
mailbox(struct parser *ps, size_t p)
{
	size_t e;

	for (int try = 0; try < 2; try++) {
		rewind_to(&ps->name, 0);
		rewind_to(&ps->local, 0);
		rewind_to(&ps->domain, 0);
		e = try == 0 ? name_addr(ps, p) : addr_spec(ps, p);
		if (e != FAIL)
			break;
	}
	if (e != FAIL)
		record(ps);
	return e;
}

/* Skips junk up to an end character (Python's get_invalid_mailbox,
 * whose result has neither name nor address). */
static size_t
skip_junk(struct parser *ps, size_t p, const char *ends)
{
	size_t e;

	while (p < ps->n && !is_end(ps->s[p], ends)) {
		e = IS_PHRASE_END(ps->s[p]) ? FAIL : phrase(ps, p, NULL);
		p = e == FAIL ? p + 1 : e;
	}
	return p;
}

/* After an entry that matched nothing: bare CFWS is an empty entry. */
static size_t
skip_entry(struct parser *ps, size_t p, const char *ends)
{
	p = skip_cfws(ps, p);
	return p < ps->n && ps->s[p] != ',' ? skip_junk(ps, p, ends) : p;
}

/* Python's mailbox-list inside a group, which ends only at ';'. */
static size_t
mailbox_list(struct parser *ps, size_t p)
{
	size_t e;

	while (p < ps->n && ps->s[p] != ';') {
		e = mailbox(ps, p);
		p = e != FAIL ? e : skip_entry(ps, p, ",;");
		p = skip_junk(ps, p, ",;");
		if (p < ps->n && ps->s[p] == ',')
			p++;
	}
	return p;
}

/* group = display-name ":" [group-list] ";" [CFWS]; the name is not
 * wanted, members are recorded. Fails only before any member. */
static size_t
group(struct parser *ps, size_t p)
{
	p = phrase(ps, p, NULL);
	if (p == FAIL || p >= ps->n || ps->s[p] != ':')
		return FAIL;
	if (++p < ps->n && ps->s[p] == ';')
		return p + 1;
	p = mailbox_list(ps, skip_cfws(ps, p));
	/* past the ';' mailbox_list stopped at, if any */
	return skip_cfws(ps, p < ps->n ? p + 1 : p);
}

size_t
tg_address_parse_list(struct tg_pool *pool, const char *in, size_t len,
		      struct tg_addr **list_r)
{
	struct parser ps = {.s = in, .n = in != NULL ? len : 0};
	struct tg_buf *bufs[] = {&ps.ew, &ps.tmp, &ps.name, &ps.local,
				 &ps.domain};
	size_t p = 0, e;

	ps.qe_from = ps.qe_at = ps.n;
	ps.pool = pool;
	for (size_t i = 0; i < TG_N(bufs); i++)
		tg_buf_init(bufs[i], 0, 0);
	/* Python strips leading blanks off a header value */
	while (p < ps.n && (in[p] == ' ' || in[p] == '\t'))
		p++;
	while (p < ps.n) {
		/* address = group / mailbox */
		e = group(&ps, p);
		e = e != FAIL ? e : mailbox(&ps, p);
		p = e != FAIL ? e : skip_entry(&ps, p, ",");
		/* Junk after an address is skipped. (After a group Python
		 * raises AttributeError; the members are kept here.) */
		p = skip_junk(&ps, p, ",");
		if (p < ps.n)
			p++;
	}
	*list_r = tg_pool_alloc_array(pool, ps.count, sizeof(**list_r));
	if (ps.count > 0)
		memcpy(*list_r, ps.list, ps.count * sizeof(**list_r));
	free(ps.list);
	for (size_t i = 0; i < TG_N(bufs); i++)
		tg_buf_deinit(bufs[i]);
	return ps.count;
}
