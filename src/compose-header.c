/* Header fields of outgoing mail: text from senders cleaned so it cannot
 * start a field of its own, RFC 2047 encoded words for what is not plain
 * ASCII, folding at 78 columns, and the addresses we are willing to
 * write. */
#include "compose-private.h"
#include "ticketgate/charset.h"
#include "ticketgate/util.h"

#include <stdlib.h>
#include <string.h>

/* "=?utf-8?q?" + "?=": the cost of one encoded word beyond its text. */
#define EW_OVERHEAD 12
/* RFC 2047 2: an encoded word is at most 75 bytes long. */
#define EW_MAX 75
/* Worst encoded size of one character: 4 bytes as Q "=XX". */
#define EW_CHAR_MAX 12

char *
compose_clean(const char *s)
{
	struct tg_buf utf8, out;
	const char *p;
	size_t n = s != NULL ? strlen(s) : 0;
	bool space = false;

	tg_buf_init(&utf8, 0, 0);
	if (n > 0 && !tg_utf8_valid(s, n)) {
		tg_charset_fallback_to_utf8(s, n, &utf8);
		s = tg_buf_cstr(&utf8);
		n = utf8.len;
	}
	tg_buf_init(&out, n + 1, 0);
	for (p = s; p < s + n; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f) {
			space = out.len > 0;
			continue;
		}
		if (space)
			tg_buf_putc(&out, ' ');
		space = false;
		tg_buf_putc(&out, c);
	}
	tg_buf_deinit(&utf8);
	return tg_buf_detach(&out, NULL);
}

void
compose_hdr_start(struct compose_hdr *h, struct tg_buf *out, const char *name)
{
	h->out = out;
	tg_buf_puts(out, name);
	tg_buf_putc(out, ':');
	h->col = strlen(name) + 1;
	h->has_token = false;
}

void
compose_hdr_end(struct compose_hdr *h)
{
	tg_buf_append(h->out, "\r\n", 2);
}

void
compose_hdr_token(struct compose_hdr *h, const char *tok, size_t len)
{
	/* never fold before the first token: that would leave "Name:" on a
	 * line of its own, which some parsers read as an empty value */
	if (h->has_token && h->col + 1 + len > COMPOSE_FOLD) {
		tg_buf_append(h->out, "\r\n", 2);
		h->col = 0;
	}
	tg_buf_putc(h->out, ' ');
	tg_buf_append(h->out, tok, len);
	h->col += 1 + len;
	h->has_token = true;
}

/* RFC 5322 atext: what an atom (and a dot-atom between dots) is made of. */
static bool
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 2047 5(3): the characters a Q-encoded word may carry as they are in
 * a phrase, the strictest context; used everywhere for simplicity. */
static bool
q_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static size_t
q_len(unsigned char c)
{
	return q_plain(c) || c == ' ' ? 1 : 3;
}

/* Bytes of the UTF-8 character starting with lead byte c (the text is
 * valid UTF-8: compose_clean made sure). */
static size_t
utf8_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xe0)
		return 2;
	if (c < 0xf0)
		return 3;
	return 4;
}

static void
put_q(struct tg_buf *b, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ') {
			tg_buf_putc(b, '_');
		} else if (q_plain(s[i])) {
			tg_buf_putc(b, s[i]);
		} else {
			tg_buf_putc(b, '=');
			tg_buf_putc(b, hex[s[i] >> 4]);
			tg_buf_putc(b, hex[s[i] & 15]);
		}
	}
}

static void
put_b(struct tg_buf *b, const unsigned char *s, size_t n)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				    "qrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		tg_buf_putc(b, alpha[v >> 18 & 63]);
		tg_buf_putc(b, alpha[v >> 12 & 63]);
		tg_buf_putc(b, i + 1 < n ? alpha[v >> 6 & 63] : '=');
		tg_buf_putc(b, i + 2 < n ? alpha[v & 63] : '=');
	}
}

/* Writes s[0..n) (whole UTF-8 characters) as encoded words, each as long
 * as the current line allows, so a long run fills its lines. In a phrase
 * a word ends after an encoded space where it can: decoders that follow
 * Python keep a space between two encoded words of a display name, and
 * one more space there is harmless where a split inside a word is not. */
static void
put_encoded(struct compose_hdr *h, const unsigned char *s, size_t n,
	    bool phrase)
{
	size_t qn = 0, i = 0;
	bool q;
	struct tg_buf w;

	for (size_t k = 0; k < n; k++)
		qn += q_len(s[k]);
	q = qn <= (n + 2) / 3 * 4;
	tg_buf_init(&w, EW_MAX + 1, 0);
	while (i < n) {
		size_t room = h->col + 1 < COMPOSE_FOLD
				      ? COMPOSE_FOLD - h->col - 1
				      : 0;
		size_t max = EW_MAX, j = i, text = 0;

		/* start on this line when a useful piece still fits on it,
		 * else compose_hdr_token folds first */
		if (room >= EW_OVERHEAD + 2 * EW_CHAR_MAX && room < max)
			max = room;
		else if (!h->has_token && room < max)
			max = room > EW_OVERHEAD + EW_CHAR_MAX
				      ? room
				      : EW_OVERHEAD + EW_CHAR_MAX;
		while (j < n) {
			size_t cl = utf8_len(s[j]), t = 0;

			if (cl > n - j)
				cl = n - j;
			if (q)
				for (size_t k = j; k < j + cl; k++)
					t = t + q_len(s[k]);
			else
				t = (j - i + cl + 2) / 3 * 4 - text;
			if (j > i && EW_OVERHEAD + text + t > max)
				break;
			text += t;
			j += cl;
		}
		if (phrase && j < n) {
			size_t b = j;

			while (b > i + 1 && s[b - 1] != ' ')
				b--;
			if (s[b - 1] == ' ')
				j = b;
		}
		tg_buf_reset(&w);
		tg_buf_puts(&w, q ? "=?utf-8?q?" : "=?utf-8?b?");
		if (q)
			put_q(&w, s + i, j - i);
		else
			put_b(&w, s + i, j - i);
		tg_buf_append(&w, "?=", 2);
		compose_hdr_token(h, w.data, w.len);
		i = j;
	}
	tg_buf_deinit(&w);
}

/* One word of cleaned text: [start, end). */
struct word {
	size_t start, end;
	bool encode;
};

static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

static bool
has_ew_start(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '=' && s[i + 1] == '?')
			return true;
	return false;
}

static bool
all_atext(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_atext((unsigned char)s[i]))
			return false;
	return true;
}

static bool
needs_quoting(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && !is_atext((unsigned char)s[i]))
			return true;
	return false;
}

/* The phrase as one quoted string when it is ASCII and fits on the line;
 * false when it must be encoded instead. */
static bool
put_quoted(struct compose_hdr *h, const char *s, size_t n)
{
	struct tg_buf q;
	bool ok;

	tg_buf_init(&q, n + 3, 0);
	tg_buf_putc(&q, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			tg_buf_putc(&q, '\\');
		tg_buf_putc(&q, s[i]);
	}
	tg_buf_putc(&q, '"');
	ok = q.len + 1 <= COMPOSE_FOLD - (h->has_token ? 0 : h->col);
	if (ok)
		compose_hdr_token(h, q.data, q.len);
	tg_buf_deinit(&q);
	return ok;
}

void
compose_hdr_text(struct compose_hdr *h, const char *clean, bool phrase)
{
	size_t len = strlen(clean), nw = 0, i = 0;
	struct word *w;
	bool any_encoded = false;

	if (len == 0)
		return;
	/* bounds: cleaned text has at most (len + 1) / 2 words */
	w = tg_xcalloc((len + 1) / 2 + 1, sizeof(*w));
	while (i < len) {
		size_t e = i;

		while (e < len && clean[e] != ' ')
			e++;
		/* a word too long for any line can only be split encoded;
		 * "=?" in plain text would be decoded by the reader */
		w[nw].start = i;
		w[nw].end = e;
		w[nw].encode =
			has_8bit(clean + i, e - i) ||
			has_ew_start(clean + i, e - i) ||
			e - i > COMPOSE_FOLD - 1 -
					(nw == 0 && !h->has_token ? h->col : 0);
		any_encoded |= w[nw].encode;
		nw++;
		i = e + 1;
	}
	if (phrase && needs_quoting(clean, len)) {
		/* specials in a display name: quoted when the name is plain
		 * ASCII, else every word that is no atom joins the encoded
		 * runs */
		if (!any_encoded && put_quoted(h, clean, len)) {
			free(w);
			return;
		}
		for (size_t k = 0; k < nw; k++)
			if (!all_atext(clean + w[k].start,
				       w[k].end - w[k].start))
				w[k].encode = true;
		if (!any_encoded)
			for (size_t k = 0; k < nw; k++)
				w[k].encode = true;
	}
	for (size_t k = 0; k < nw;) {
		size_t e = k + 1;

		if (!w[k].encode) {
			compose_hdr_token(h, clean + w[k].start,
					  w[k].end - w[k].start);
			k++;
			continue;
		}
		/* the spaces between adjacent encoded words vanish when
		 * decoded, so a run carries its inner spaces encoded */
		while (e < nw && w[e].encode)
			e++;
		put_encoded(h, (const unsigned char *)clean + w[k].start,
			    w[e - 1].end - w[k].start, phrase);
		k = e;
	}
	free(w);
}

void
compose_hdr_mailbox(struct compose_hdr *h, const char *name,
		    const char *address)
{
	struct tg_buf a;

	if (name == NULL || name[0] == '\0') {
		compose_hdr_token(h, address, strlen(address));
		return;
	}
	compose_hdr_text(h, name, true);
	tg_buf_init(&a, strlen(address) + 3, 0);
	tg_buf_putc(&a, '<');
	tg_buf_puts(&a, address);
	tg_buf_putc(&a, '>');
	compose_hdr_token(h, a.data, a.len);
	tg_buf_deinit(&a);
}

bool
compose_domain_valid(const char *d)
{
	size_t label = 0, total = 0;
	char prev = '.';

	for (const char *p = d; *p != '\0'; p++, total++) {
		char c = *p;

		if (c == '.') {
			if (label == 0 || prev == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
		prev = c;
	}
	return total > 0 && total <= 253 && label > 0 && prev != '-';
}

bool
compose_address_valid(const char *a)
{
	const char *at = strrchr(a, '@');

	if (at == NULL || at == a || strlen(a) > COMPOSE_ADDRESS_MAX)
		return false;
	/* dots are not checked for position: "john..doe@" is not a
	 * dot-atom, yet such mailboxes exist and are answered */
	for (const char *p = a; p < at; p++)
		if (*p != '.' && !is_atext((unsigned char)*p))
			return false;
	return at - a <= 64 && compose_domain_valid(at + 1);
}
