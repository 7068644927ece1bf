/* Reply extraction, history starts: the lines that open the quoted
 * history (attributions such as "On <date>, <name> wrote:" in several
 * languages, wrapped or quoted, and Outlook header blocks), with the
 * attribution table. Parses untrusted input: the lookahead is a few lines
 * and ATTR_MAX bytes at most, every read bounded by the input length. */
#include "reply-private.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* An attribution is a sentence; longer lines are text, and skipping them
 * early keeps the lookahead cheap. */
#define ATTR_LINE_MAX 300
#define ATTR_MAX 512
#define ATTR_LINES 4
/* Lines of a header block after its "From:" line that are not known keys
 * (a wrapped To: list, Importance:, ...), and lines we look at in all. */
#define BLOCK_EXTRA_MAX 3
#define BLOCK_LINES_MAX 10

/* Attributions, one row per language and form. start is the first word,
 * case-sensitive (a lower-case "on" starts sentences, not attributions);
 * NULL means any start, for "Name <a@b> wrote:", and then the attribution
 * must fit on one line. The verb is matched without case, on a copy where
 * every run of white space is one ' '. */
#define A_END 0x1   /* the verb ends the line: "..., Name wrote:" */
#define A_DATE 0x2  /* starts with a numeric date: "2024-01-01", "2024/1/1" */
#define A_ADDR 0x4  /* needs an address: there is no verb to go by */
#define A_COLON 0x8 /* the colon may be missing if a quote follows */
static const struct {
	const char *start;
	const char *verb;
	unsigned flags;
} attributions[] = {
	/* Gmail, Thunderbird, Apple Mail, Yahoo; Android and Zoho dash it */
	{"On ", "wrote", A_END},
	{NULL, "wrote", A_END},
	/* "Em seg., 1 de jan. de 2024 às 10:00, Nome <a@b> escreveu:" */
	{"Em ", "escreveu", A_END},
	{"Às ", "escreveu", A_END},
	{"No dia ", "escreveu", A_END},
	{NULL, "escreveu", A_END},
	/* "Le lun. 1 janv. 2024 à 10:00, Nom <a@b> a écrit :" */
	{"Le ", "a écrit", A_END},
	{NULL, "a écrit", A_END},
	/* "El lun, 1 ene 2024 a las 10:00, Nombre (<a@b>) escribió:" */
	{"El ", "escribió", A_END},
	{NULL, "escribió", A_END},
	/* "Am 01.01.2024 um 10:00 schrieb Name <a@b>:", "X schrieb am ...:" */
	{"Am ", "schrieb", 0},
	{NULL, "schrieb", 0},
	/* it; nl: "Op ... schreef X:", "Op ... heeft X het volgende
	   geschreven:" */
	{"Il ", "ha scritto", A_END},
	{NULL, "ha scritto", A_END},
	{"Op ", "schreef", 0},
	{"Op ", "geschreven", A_END},
	{NULL, "schreef", 0},
	/* sv, da, no: "Den 1 jan. 2024 kl. 10:00 skrev X <a@b>:" */
	{"Den ", "skrev", 0},
	{"På ", "skrev", 0},
	{NULL, "skrev", 0},
	/* pl, ru, vi */
	{"W dniu ", "napisał", A_END},
	{NULL, "написал", A_END},
	{NULL, "написала", A_END},
	{"Vào ", "đã viết", A_END},
	/* Gmail in some locales: "2024-01-01 10:00 GMT+03:00 Name <a@b>:" */
	{NULL, NULL, A_DATE | A_ADDR | A_COLON},
};

/* Does s contain w (exactly)? For short lines only. */
static bool
contains(struct span s, const char *w)
{
	size_t n = strlen(w);

	for (; (size_t)(s.e - s.b) >= n; s.b++)
		if (memcmp(s.b, w, n) == 0)
			return true;
	return false;
}

/* An Outlook header block starting at l: a From line, then keys of at
 * least two other kinds before a blank line. A lone "From:" line is text
 * (someone quoting a sender), so one other key is not enough, unless the
 * From line has Outlook's "[mailto:...]", which people do not type. */
static bool
header_block(const char *t, size_t len, const struct line *l,
	     struct line *last_r)
{
	struct line m;
	unsigned kinds = 0, nkinds = 0, extra = 0, need = 2;
	size_t pos = l->next;
	struct span s = reply_line_span(t, l);
	int k;

	if (reply_header_key(t, l) != HK_FROM)
		return false;
	if (s.e - s.b <= ATTR_LINE_MAX && contains(s, "[mailto:"))
		need = 1;
	for (int i = 0; i < BLOCK_LINES_MAX && reply_line_at(t, len, pos, &m);
	     i++) {
		pos = m.next;
		if (reply_blank(t, &m))
			break;
		k = reply_header_key(t, &m);
		if (k == HK_FROM)
			break;
		if (k < 0) {
			if (++extra > BLOCK_EXTRA_MAX)
				break;
			continue;
		}
		if (!(kinds & (1u << k))) {
			kinds |= 1u << k;
			nkinds++;
		}
		*last_r = m;
	}
	return nkinds >= need;
}

/* Copies l's text without quote marks into the window w (ATTR_MAX bytes)
 * after *n bytes, each run of white space as one ' '. false if it does
 * not fit. */
static bool
window_add(char *w, size_t *n, const char *t, const struct line *l)
{
	struct span s = reply_unquote(reply_line_span(t, l));
	size_t sp;

	if (s.e - s.b > ATTR_LINE_MAX)
		return false;
	/* bounds: at most ATTR_LINE_MAX + 1 bytes are added */
	if (*n + (size_t)(s.e - s.b) + 1 > ATTR_MAX)
		return false;
	if (*n > 0)
		w[(*n)++] = ' ';
	while (s.b < s.e) {
		if ((sp = reply_space_at(s.b, s.e)) > 0) {
			if (*n > 0 && w[*n - 1] != ' ')
				w[(*n)++] = ' ';
			s.b += sp;
		} else {
			w[(*n)++] = (char)*s.b++;
		}
	}
	return true;
}

/* The next non-blank line after pos (within two blank lines) is quoted:
 * what follows a colon is then a quote, not a list or a log. */
static bool
quote_follows(const char *t, size_t len, size_t pos)
{
	struct line m;

	for (int i = 0; i < 3 && reply_line_at(t, len, pos, &m); i++) {
		pos = m.next;
		if (!reply_blank(t, &m))
			return reply_quoted(t, &m);
	}
	return false;
}

static bool
has_verb(struct span w, const char *verb, bool at_end)
{
	size_t n = strlen(verb);

	if (at_end) {
		if (!reply_ends_with(w, verb) || (size_t)(w.e - w.b) == n)
			return false;
		/* a word of its own: "Name wrote", "<a@b>wrote", "(<a@b>)" */
		unsigned char c = w.e[-(ptrdiff_t)n - 1];
		return c == ' ' || c == '>' || c == ')' || c == ']' || c == '"';
	}
	for (const unsigned char *p = w.b; w.e - p > (ptrdiff_t)n; p++) {
		if (*p != ' ')
			continue;
		struct span s = {p + 1, w.e};

		if (reply_prefix_len(s, verb) == n &&
		    (s.b + n == w.e || s.b[n] == ' '))
			return true;
	}
	return false;
}

/* "2024-01-01" or "2024/1/1" at p: Gmail's date-first attribution. */
static bool
numeric_date(struct span s)
{
	if (s.e - s.b < 6)
		return false;
	for (int i = 0; i < 4; i++)
		if (s.b[i] < '0' || s.b[i] > '9')
			return false;
	return (s.b[4] == '-' || s.b[4] == '/') && s.b[5] >= '0' &&
	       s.b[5] <= '9';
}

/* Does s begin with the start of attribution kind i? */
static bool
has_start(struct span s, size_t i)
{
	const char *st = attributions[i].start;
	size_t sl;

	if (attributions[i].flags & A_DATE)
		return numeric_date(s);
	if (st == NULL)
		return false;
	sl = strlen(st);
	return (size_t)(s.e - s.b) > sl && memcmp(s.b, st, sl) == 0;
}

/* Does the window w[0..n) read as an attribution of kind i? lines is how
 * many lines it spans. 0: no; 1: yes; 2: only if a quote follows. */
static int
attribution_match(const char *w, size_t n, size_t i, int lines)
{
	struct span s = {(const unsigned char *)w,
			 (const unsigned char *)w + n};
	unsigned flags = attributions[i].flags;
	bool dashed = false, digit = false, at = false, need_quote = false;

	/* Android, Zoho: "---- On ... wrote ----" instead of a colon */
	if (s.e - s.b > 4 && s.b[0] == '-' && s.b[1] == '-' && s.e[-1] == '-' &&
	    s.e[-2] == '-') {
		while (s.b < s.e && (*s.b == '-' || *s.b == ' '))
			s.b++;
		while (s.e > s.b && (s.e[-1] == '-' || s.e[-1] == ' '))
			s.e--;
		dashed = true;
	}
	if (!dashed) {
		if (s.e > s.b && s.e[-1] == ' ')
			s.e--;
		if (s.e > s.b && s.e[-1] == ':')
			s.e--;
		else if (flags & A_COLON)
			need_quote = true;
		else
			return 0;
		if (s.e > s.b && s.e[-1] == ' ')
			s.e--;
	}
	if (attributions[i].start != NULL || (flags & A_DATE)) {
		if (!has_start(s, i))
			return 0;
	} else if (lines > 1) {
		return 0;
	}
	if (attributions[i].verb != NULL &&
	    !has_verb(s, attributions[i].verb, flags & A_END))
		return 0;
	/* without a verb, the line must end with the address: "Name <a@b>" */
	if (attributions[i].verb == NULL && (s.e == s.b || s.e[-1] != '>'))
		return 0;
	/* a date or an address, which sentences rarely end with a colon on;
	 * or else a quote right below it */
	for (const unsigned char *p = s.b; p < s.e; p++) {
		digit = digit || (*p >= '0' && *p <= '9');
		at = at || *p == '@';
	}
	if ((flags & A_ADDR) && !at)
		return 0;
	return (digit || at) && !need_quote ? 1 : 2;
}

/* An attribution starting at l, over one to ATTR_LINES lines (clients
 * wrap long ones, even inside the address). Sets *last_r to its last line. */
static bool
attribution(const char *t, size_t len, const struct line *l,
	    struct line *last_r)
{
	char w[ATTR_MAX];
	size_t n = 0;
	struct line m = *l;
	struct span s = reply_unquote(reply_line_span(t, l)), d = s;
	bool q = reply_quoted(t, l), starts = false;

	if (s.b == s.e || s.e - s.b > ATTR_LINE_MAX)
		return false;
	/* Only a start word lets the window grow past the first line. */
	while (d.b < d.e && (*d.b == '-' || *d.b == ' '))
		d.b++;
	for (size_t i = 0; i < TG_N(attributions) && !starts; i++)
		starts = has_start(d, i);
	/* Neither a start word nor the end of one: the common case, cheap. */
	if (!starts && s.e[-1] != ':' && s.e[-1] != '-')
		return false;
	if (!window_add(w, &n, t, &m))
		return false;
	for (int lines = 1;; lines++) {
		bool yes = false, if_quote = false;

		for (size_t i = 0; i < TG_N(attributions) && !yes; i++) {
			int r = attribution_match(w, n, i, lines);

			yes = r == 1;
			if_quote = if_quote || r == 2;
		}
		if (yes || (if_quote && quote_follows(t, len, m.next))) {
			*last_r = m;
			return true;
		}
		if (!starts || lines == ATTR_LINES ||
		    !reply_line_at(t, len, m.next, &m) || reply_blank(t, &m) ||
		    reply_quoted(t, &m) != q || !window_add(w, &n, t, &m))
			return false;
	}
}

/* Does l start the quoted history? H_LINE for a reply separator or an
 * attribution, H_BLOCK for an Outlook header block; *last_r is set to
 * the last line of either. */
int
reply_history_start(const char *t, size_t len, const struct line *l,
		    struct line *last_r)
{
	*last_r = *l;
	if (reply_dash_line(t, l) == 1)
		return H_LINE;
	if (header_block(t, len, l, last_r))
		return H_BLOCK;
	return attribution(t, len, l, last_r) ? H_LINE : H_NONE;
}
