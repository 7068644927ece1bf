/* Plain-text bounces (Exim, qmail, Sendmail, Exchange, Domino and the
 * many that imitate them): where the returned copy starts, the failed
 * recipients the text names, the status code it quotes. Heuristics over
 * untrusted text, used only on mail the rules already call a bounce;
 * every scan is linear and bounded. Parses untrusted input. */
#include "classify-private.h"

#include <string.h>

/* Lines that introduce the returned copy in text bounces: Exim ("This is
 * a copy of the message, including all the headers"), qmail ("Below
 * this line is a copy of the message"), Sendmail ("Unsent message
 * follows", "Message header follows"), Exchange and Domino ("Original
 * message headers", "Returned message") and their kin. */
static const char *const copy_markers[] = {
	"copy of the message", "copy of your message", "original message",
	"unsent message", "returned message", "message header follows",
	"rejected message",
};

/* Whether line [s, s+n) opens a header field: a field name and a colon
 * (indented: some MTAs indent the copy). */
static bool
header_like(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	s += i;
	n -= i;
	i = 0;

	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') ||
			 (s[i] >= 'A' && s[i] <= 'Z') ||
			 (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
		i++;
	return i > 0 && i < n && s[i] == ':';
}

/* Whether line [s, s+n) is only decoration ("-----", "=====", blanks). */
static bool
rule_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!tg_ascii_isspace((unsigned char)s[i]) &&
		    strchr("-=_*", s[i]) == NULL)
			return false;
	return true;
}

/* Offset of the copy in s[0..n): the line after the first marker line
 * that a header block follows (rules and blank lines between them are
 * fine), or n. The header check keeps "The original message was
 * received at ..." (Sendmail's first line) from counting. */
static size_t
find_marker(const char *s, size_t n)
{
	size_t pos = 0, ls, le;

	while (cls_next_line(s, n, &pos, &ls, &le)) {
		bool marker = false;

		for (size_t k = 0; k < TG_N(copy_markers) && !marker; k++) {
			size_t kl = strlen(copy_markers[k]);

			for (size_t i = ls; i + kl <= le && !marker; i++)
				marker = tg_ascii_strncasecmp(s + i,
							      copy_markers[k],
							      kl) == 0;
		}
		if (marker) {
			size_t p2 = pos, ls2 = 0, le2 = 0;
			bool more;

			while ((more = cls_next_line(s, n, &p2, &ls2, &le2)) &&
			       rule_line(s + ls2, le2 - ls2))
				;
			if (more && header_like(s + ls2, le2 - ls2))
				return pos;
		}
	}
	return n;
}

/* Phrases that text bounces put before the failed addresses: "The
 * following addresses had permanent fatal errors" (Sendmail), "The
 * following address(es) failed" (Exim), "did not reach the following
 * recipient(s)" (Exchange), "was not delivered to" (Domino), "Delivery has
 * failed to these recipients" (Office 365) and their kin. */
static const char *const rcpt_announcers[] = {
	"following address", "following recipient", "list of recipients",
	"these recipients", "address(es) failed", "addresses failed",
	"not delivered to", "not be delivered to", "deliver message to",
	"delivering your mail to", "failure reasons",
};

/* Where the first announcer phrase in line [s, s+n) ends, or NULL. */
static const char *
announcer(const char *s, size_t n)
{
	for (size_t k = 0; k < TG_N(rcpt_announcers); k++) {
		size_t kl = strlen(rcpt_announcers[k]);

		for (size_t i = 0; i + kl <= n; i++)
			if (tg_ascii_strncasecmp(s + i, rcpt_announcers[k],
						 kl) == 0)
				return s + i + kl;
	}
	return NULL;
}

/* The next blank-separated word of *l, consumed. */
static struct cls_span
next_word(struct cls_span *l)
{
	struct cls_span w;

	while (l->n > 0 && tg_ascii_isspace((unsigned char)l->p[0])) {
		l->p++;
		l->n--;
	}
	w.p = l->p;
	w.n = 0;
	while (w.n < l->n && !tg_ascii_isspace((unsigned char)w.p[w.n]))
		w.n++;
	l->p += w.n;
	l->n -= w.n;
	return w;
}

/* Whether the line starts (after list marks such as ">>>", "*", "--")
 * with an address; adds it. "To:<a@b>" does not count: a header line
 * names the sender's recipients, not the failed ones. */
static bool
leading_address(struct cls_bounce *b, struct cls_span l)
{
	struct cls_span w;
	const char *lt;

	while (l.n > 0 && (tg_ascii_isspace((unsigned char)l.p[0]) ||
			   strchr(">*-", l.p[0]) != NULL)) {
		l.p++;
		l.n--;
	}
	w = next_word(&l);
	lt = memchr(w.p, '<', w.n);
	if (lt != NULL && lt != w.p)
		w.n = (size_t)(lt - w.p);
	return w.n > 0 && tg_classify_add_recipient(b, w);
}

/* Whether the line is an SMTP reply with a 5xx code ("550 ...",
 * "<<< 550-5.1.1 ...", "Received >>> 550 ..."): the first number on it,
 * within its first few words. */
static bool
permanent_reply(struct cls_span l)
{
	size_t i = 0;

	while (i < l.n && i < 24 && !(l.p[i] >= '0' && l.p[i] <= '9'))
		i++;
	if (i > 0 && i < l.n && !tg_ascii_isspace((unsigned char)l.p[i - 1]))
		return false;
	return i + 4 <= l.n && l.p[i] == '5' && l.p[i + 1] >= '0' &&
	       l.p[i + 1] <= '9' && l.p[i + 2] >= '0' && l.p[i + 2] <= '9' &&
	       (l.p[i + 3] == ' ' || l.p[i + 3] == '-');
}

/* Sendmail's transcript names the recipient in its reply line: "550
 * 5.1.1 <a@b>... User unknown" (the status code is optional). */
static void
sendmail_reply(struct cls_bounce *b, struct cls_span l)
{
	for (int k = 0; k < 3; k++) {
		struct cls_span w = next_word(&l);

		if (w.n > 5 && w.p[0] == '<' &&
		    memcmp(w.p + w.n - 4, ">...", 4) == 0) {
			tg_classify_add_recipient(b, w);
			return;
		}
	}
}

/* The failed recipients a text bounce names in its text before the copy:
 * addresses on the lines after (or at the end of) an announcer phrase,
 * qmail's "<a@b>:" paragraphs, and in a session transcript "RCPT
 * TO:<a@b>" answered by a 5xx reply or Sendmail's "550 <a@b>... reason". */
static void
text_recipients(struct cls_bounce *b, const char *s, size_t n)
{
	size_t pos = 0, ls, le, window = 0;
	bool found = false;
	struct cls_span rcpt = { NULL, 0 };

	while (cls_next_line(s, n, &pos, &ls, &le)) {
		struct cls_span l = { s + ls, le - ls };
		const char *end;

		if (rcpt.p != NULL && !cls_blank(s, ls, le)) {
			if (permanent_reply(l))
				tg_classify_add_recipient(b, rcpt);
			rcpt.p = NULL;
		}
		if (permanent_reply(l))
			sendmail_reply(b, l);
		if (l.n > 2 && l.p[0] == '<' && l.p[l.n - 1] == ':' &&
		    l.p[l.n - 2] == '>') {
			tg_classify_add_recipient(b, l);
			continue;
		}
		for (size_t i = 0; i + 8 <= l.n; i++)
			if (tg_ascii_strncasecmp(l.p + i, "rcpt to:", 8) == 0) {
				rcpt.p = l.p + i + 8;
				rcpt.n = l.n - i - 8;
				break;
			}
		if ((end = announcer(l.p, l.n)) != NULL) {
			struct cls_span rest = { end,
						 (size_t)(l.p + l.n - end) };

			/* "... delivering your mail to <a@b>." */
			while (rest.n > 0 &&
			       !tg_classify_add_recipient(b, next_word(&rest)))
				;
			window = 20; /* lines an address list may span */
			found = false;
			continue;
		}
		if (window == 0)
			continue;
		window--;
		if (cls_blank(s, ls, le)) {
			if (found)
				window = 0;
			continue;
		}
		if (leading_address(b, l))
			found = true;
	}
}

/* A text bounce: the copy after a marker line (or, with none, the first
 * header-like Message-ID line anywhere), and the status and recipients
 * the text before it names. */
void
tg_classify_text_bounce(struct cls_bounce *b, const char *s, size_t n)
{
	size_t copy = find_marker(s, n);
	size_t head = copy < TG_CLASSIFY_TEXT_SCAN ? copy
						   : TG_CLASSIFY_TEXT_SCAN;

	if (b->out->bounced_message_id == NULL)
		b->out->bounced_message_id = copy < n
			? tg_classify_copy_msgid(b, s + copy, n - copy)
			: tg_classify_scan_msgid_line(b, s, n, false);
	if (b->out->n_failed_recipients == 0)
		text_recipients(b, s, head);
	/* a transcript shows 2.x.x codes of the steps that worked */
	if (b->out->bounce_status == NULL)
		b->out->bounce_status =
			tg_classify_find_status(b->pool, s, head, "5");
	if (b->out->bounce_status == NULL)
		b->out->bounce_status =
			tg_classify_find_status(b->pool, s, head, "4");
}

