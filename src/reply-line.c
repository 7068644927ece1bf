/* Reply extraction, single lines: what one line of a mail body is (blank,
 * quoted, a signature separator, a phone footer, a reply or forward
 * separator, a header key), with the per-language tables behind it.
 * Parses untrusted input: every read is bounded by the line's end. */
#include "reply-private.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <string.h>

#define FOOTER_MAX 100
/* Words after a footer's prefix: "Sent from my iPhone, please excuse
 * typos" is a footer, "Sent from my desk, which is easier than my phone
 * at the airport." a sentence. */
#define FOOTER_WORDS 6
/* A "-Name" sign-off line */
#define SIGN_OFF_MAX 40
/* Where the colon after a header key can be: the longest key ("Enviada
 * em", "Onderwerp") with bold marks and spaces around it. */
#define HEADER_KEY_MAX 24
#define RULE_MIN 8

/* Lines of dashes around a phrase. A reply's separator starts the history;
 * a forward's is content the sender chose to send, so it is kept. */
static const struct {
	const char *phrase;
	bool forward;
} dash_lines[] = {
	/* Outlook, AOL, Yahoo; pt, de, fr, es, it, nl */
	{"Original Message", false},
	{"Mensagem original", false},
	{"Ursprüngliche Nachricht", false},
	{"Message d'origine", false},
	{"Message original", false},
	{"Mensaje original", false},
	{"Messaggio originale", false},
	{"Oorspronkelijk bericht", false},
	/* Gmail, Thunderbird, Yahoo; pt, de, fr, es, it, nl */
	{"Forwarded message", true},
	{"Mensagem encaminhada", true},
	{"Mensagem reencaminhada", true},
	{"Weitergeleitete Nachricht", true},
	{"Message transféré", true},
	{"Mensaje reenviado", true},
	{"Messaggio inoltrato", true},
	{"Doorgestuurd bericht", true},
};

/* Apple Mail's and others' forward lines: the phrase, then ':' alone. */
static const char *const forward_lines[] = {
	"Begin forwarded message",
	"Início da mensagem reencaminhada",
	"Início da mensagem encaminhada",
	"Anfang der weitergeleiteten Nachricht",
	"Début du message réexpédié",
	"Début du message transféré",
	"Inicio del mensaje reenviado",
	"Inizio messaggio inoltrato",
};

/* Keys of the header block Outlook puts above the quoted message
 * ("From: / Sent: / To: / Subject:"), by what they name. A block is a
 * From-key line followed by keys of two other kinds. */
static const struct {
	const char *key; /* matched without case */
	unsigned char kind;
} header_keys[] = {
	{"From", HK_FROM},
	{"De", HK_FROM},
	{"Von", HK_FROM},
	{"Van", HK_FROM},
	{"Da", HK_FROM},
	{"Från", HK_FROM},
	{"Fra", HK_FROM},

	{"Sent", HK_DATE},
	{"Date", HK_DATE},
	{"Enviado", HK_DATE},
	{"Enviada", HK_DATE},
	{"Enviado em", HK_DATE},
	{"Enviada em", HK_DATE},
	{"Enviado el", HK_DATE},
	{"Data", HK_DATE},
	{"Gesendet", HK_DATE},
	{"Datum", HK_DATE},
	{"Envoyé", HK_DATE},
	{"Envoyé le", HK_DATE},
	{"Fecha", HK_DATE},
	{"Inviato", HK_DATE},
	{"Verzonden", HK_DATE},
	{"Skickat", HK_DATE},
	{"Sendt", HK_DATE},

	{"To", HK_TO},
	{"Para", HK_TO},
	{"An", HK_TO},
	{"À", HK_TO},
	{"A", HK_TO},
	{"Aan", HK_TO},
	{"Till", HK_TO},
	{"Til", HK_TO},

	{"Cc", HK_CC},
	{"Bcc", HK_CC},
	{"Kopie", HK_CC},
	{"Cópia", HK_CC},
	{"Copie", HK_CC},
	{"CCO", HK_CC},

	{"Subject", HK_SUBJECT},
	{"Assunto", HK_SUBJECT},
	{"Betreff", HK_SUBJECT},
	{"Objet", HK_SUBJECT},
	{"Asunto", HK_SUBJECT},
	{"Oggetto", HK_SUBJECT},
	{"Onderwerp", HK_SUBJECT},
	{"Ämne", HK_SUBJECT},
	{"Emne", HK_SUBJECT},
};

/* Footers phones and webmail add under the text ("Sent from my iPhone"):
 * a signature the sender did not write. A line matches when it starts
 * with prefix and, if suffix is set, ends with it; both without case. */
static const struct {
	const char *prefix;
	const char *suffix;
} footers[] = {
	{"Sent from my ", NULL},
	{"Sent from Mail for ", NULL},
	{"Sent from Outlook", NULL},
	{"Sent from Yahoo Mail", NULL},
	{"Sent from Samsung", NULL},
	{"Sent from BlackBerry", NULL},
	{"Sent via BlackBerry", NULL},
	{"Sent from ProtonMail", NULL},
	{"Sent from Proton Mail", NULL},
	{"Sent with Proton Mail", NULL},
	{"Get Outlook for ", NULL},
	/* pt */
	{"Enviado do meu ", NULL},
	{"Enviado de meu ", NULL},
	{"Enviado do Yahoo Mail", NULL},
	{"Enviado do Outlook", NULL},
	{"Enviado do Email para ", NULL},
	{"Enviado a partir do ", NULL},
	{"Obter o Outlook para ", NULL},
	/* de */
	{"Von meinem ", "gesendet"},
	{"Gesendet von meinem ", NULL},
	{"Gesendet von Mail für ", NULL},
	/* fr */
	{"Envoyé de mon ", NULL},
	{"Envoyé depuis mon ", NULL},
	{"Obtenir Outlook pour ", NULL},
	/* es */
	{"Enviado desde mi ", NULL},
	{"Obtener Outlook para ", NULL},
	/* it, nl */
	{"Inviato da iPhone", NULL},
	{"Inviato dal mio ", NULL},
	{"Verzonden vanaf mijn ", NULL},
	{"Verstuurd vanaf mijn ", NULL},
};

bool
reply_line_at(const char *t, size_t len, size_t pos, struct line *l)
{
	const char *nl;
	size_t end;

	if (pos >= len)
		return false;
	nl = memchr(t + pos, '\n', len - pos);
	end = nl != NULL ? (size_t)(nl - t) : len;
	l->start = pos;
	l->next = nl != NULL ? end + 1 : len;
	if (end > pos && t[end - 1] == '\r')
		end--;
	l->end = end;
	return true;
}

struct span
reply_line_span(const char *t, const struct line *l)
{
	struct span s = {(const unsigned char *)t + l->start,
			 (const unsigned char *)t + l->end};

	return s;
}

/* Length of the white space at p, or 0. Besides ASCII blanks, clients put
 * no-break and zero-width spaces in attributions and "blank" lines, and a
 * byte order mark at the top of a body. */
size_t
reply_space_at(const unsigned char *p, const unsigned char *e)
{
	if (p >= e)
		return 0;
	if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\v' || *p == '\f')
		return 1;
	if (e - p >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
		return 2; /* U+00A0 */
	if (e - p >= 3 && p[0] == 0xe2 && p[1] == 0x80 &&
	    ((p[2] >= 0x80 && p[2] <= 0x8b) || p[2] == 0xaf))
		return 3; /* U+2000..U+200B, U+202F */
	if (e - p >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
		return 3; /* U+FEFF */
	return 0;
}

/* Length of the white space that ends just before e, or 0. */
static size_t
space_before(const unsigned char *b, const unsigned char *e)
{
	if (e - b >= 1 && reply_space_at(e - 1, e) == 1)
		return 1;
	if (e - b >= 2 && reply_space_at(e - 2, e) == 2)
		return 2;
	if (e - b >= 3 && reply_space_at(e - 3, e) == 3)
		return 3;
	return 0;
}

struct span
reply_trim(struct span s)
{
	size_t n;

	while ((n = reply_space_at(s.b, s.e)) > 0)
		s.b += n;
	while ((n = space_before(s.b, s.e)) > 0)
		s.e -= n;
	return s;
}

/* s without its quote marks ("> > ") and surrounding white space. */
struct span
reply_unquote(struct span s)
{
	s = reply_trim(s);
	while (s.b < s.e && *s.b == '>') {
		s.b++;
		s = reply_trim(s);
	}
	return s;
}

bool
reply_blank(const char *t, const struct line *l)
{
	struct span s = reply_trim(reply_line_span(t, l));

	return s.b == s.e;
}

/* Quoted: '>' first, after optional indentation. */
bool
reply_quoted(const char *t, const struct line *l)
{
	struct span s = reply_trim(reply_line_span(t, l));

	return s.b < s.e && *s.b == '>';
}

/* ASCII only, inline: called for every byte of every pattern tried. */
static inline int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* If s starts with w (ASCII letters without case, other bytes exactly),
 * returns w's length; else 0. */
size_t
reply_prefix_len(struct span s, const char *w)
{
	size_t i;

	/* No strlen first: most lines differ at the first byte. */
	for (i = 0; w[i] != '\0'; i++)
		if (s.b + i >= s.e ||
		    lower(s.b[i]) != lower((unsigned char)w[i]))
			return 0;
	return i;
}

bool
reply_ends_with(struct span s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s.e - s.b) < n)
		return false;
	s.b = s.e - n;
	return reply_prefix_len(s, w) == n;
}

/* "-- " or "--" alone: the signature separator (RFC 3676 4.3, and the
 * form that loses its space on the way). */
bool
reply_sig_delim(const char *t, const struct line *l)
{
	struct span s = reply_line_span(t, l);

	if (s.e - s.b < 2 || s.b[0] != '-' || s.b[1] != '-')
		return false;
	for (s.b += 2; s.b < s.e; s.b++)
		if (*s.b != ' ' && *s.b != '\t')
			return false;
	return true;
}

/* A line of RULE_MIN or more of one of the bytes in set, alone. */
static bool
rule_of(const char *t, const struct line *l, const char *set)
{
	struct span s = reply_trim(reply_line_span(t, l));

	if (s.e - s.b < RULE_MIN || strchr(set, *s.b) == NULL)
		return false;
	for (const unsigned char *p = s.b; p < s.e; p++)
		if (*p != *s.b)
			return false;
	return true;
}

/* Outlook's "________________________________" above its header block;
 * mailing lists draw the same above their footer. */
bool
reply_rule_line(const char *t, const struct line *l)
{
	return rule_of(t, l, "_");
}

/* Any rule a client draws above the history: "_____", "-----", "=====".
 * Dashes and equals signs also underline text, so they only count right
 * above a cut. */
bool
reply_any_rule_line(const char *t, const struct line *l)
{
	return rule_of(t, l, "_-=");
}

static size_t
count_words(struct span s)
{
	size_t n = 0, sp;
	bool in_word = false;

	while (s.b < s.e) {
		if ((sp = reply_space_at(s.b, s.e)) > 0) {
			in_word = false;
			s.b += sp;
			continue;
		}
		if (!in_word)
			n++;
		in_word = true;
		s.b++;
	}
	return n;
}

bool
reply_footer_line(const char *t, const struct line *l)
{
	struct span s = reply_trim(reply_line_span(t, l));
	size_t n;

	if (s.e - s.b > FOOTER_MAX)
		return false;
	for (size_t i = 0; i < TG_N(footers); i++) {
		if ((n = reply_prefix_len(s, footers[i].prefix)) == 0)
			continue;
		struct span rest = {s.b + n, s.e};

		if (count_words(rest) <= FOOTER_WORDS &&
		    (footers[i].suffix == NULL ||
		     reply_ends_with(s, footers[i].suffix)))
			return true;
	}
	return false;
}

/* "-Ann", "-John Smith": a sign-off that works as a signature. A dash
 * followed by a space is a list item, and "-v" an option, so a letter
 * must follow the dash and the rest must look like a name. */
bool
reply_sign_off(const char *t, const struct line *l)
{
	struct span s = reply_trim(reply_line_span(t, l));
	size_t letters = 0;

	if (s.e - s.b > SIGN_OFF_MAX || s.e - s.b < 3 || s.b[0] != '-')
		return false;
	for (const unsigned char *p = s.b + 1; p < s.e; p++) {
		bool letter = (*p >= 'a' && *p <= 'z') ||
			      (*p >= 'A' && *p <= 'Z') || *p >= 0x80;

		if (p == s.b + 1 && !letter)
			return false;
		if (letter)
			letters++;
		else if (*p != ' ' && *p != '.' && *p != '\'' && *p != '-')
			return false;
	}
	return letters >= 2;
}

/* "-----Original Message-----", "---------- Forwarded message ---------":
 * 0 if l is no such line, 1 for a reply's, 2 for a forward's. */
int
reply_dash_line(const char *t, const struct line *l)
{
	struct span s = reply_unquote(reply_line_span(t, l));
	const unsigned char *p = s.b;
	size_t n;

	while (p < s.e && *p == '-')
		p++;
	if (p - s.b < 2)
		return 0;
	s.b = p;
	s = reply_trim(s);
	for (size_t i = 0; i < TG_N(dash_lines); i++) {
		if ((n = reply_prefix_len(s, dash_lines[i].phrase)) == 0)
			continue;
		struct span rest = {s.b + n, s.e};

		rest = reply_trim(rest);
		while (rest.b < rest.e && *rest.b == '-')
			rest.b++;
		if (rest.b == rest.e)
			return dash_lines[i].forward ? 2 : 1;
	}
	return 0;
}

bool
reply_forward_line(const char *t, const struct line *l)
{
	struct span s = reply_unquote(reply_line_span(t, l));
	size_t n;

	if (reply_dash_line(t, l) == 2)
		return true;
	if (s.b == s.e || s.e[-1] != ':')
		return false;
	for (size_t i = 0; i < TG_N(forward_lines); i++) {
		if ((n = reply_prefix_len(s, forward_lines[i])) == 0)
			continue;
		struct span rest = {s.b + n, s.e};

		rest = reply_trim(rest);
		if (rest.e - rest.b == 1 && *rest.b == ':')
			return true;
	}
	return false;
}

/* The kind (HK_*) of the header key l starts with, or -1. Accepts the
 * "*From:*" that HTML-to-text conversion makes of Outlook's bold keys, and
 * French's space before the colon. */
int
reply_header_key(const char *t, const struct line *l)
{
	struct span s = reply_unquote(reply_line_span(t, l));
	size_t n, head;

	if (s.b < s.e && *s.b == '*')
		s.b++;
	/* Most lines have no colon near their start: skip the table. */
	head = (size_t)(s.e - s.b);
	if (head > HEADER_KEY_MAX)
		head = HEADER_KEY_MAX;
	if (memchr(s.b, ':', head) == NULL)
		return -1;
	for (size_t i = 0; i < TG_N(header_keys); i++) {
		if ((n = reply_prefix_len(s, header_keys[i].key)) == 0)
			continue;
		struct span rest = {s.b + n, s.e};

		if (rest.b < rest.e && *rest.b == '*')
			rest.b++;
		rest = reply_trim(rest);
		if (rest.b < rest.e && *rest.b == ':')
			return header_keys[i].kind;
	}
	return -1;
}
