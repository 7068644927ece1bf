/* Shared by the files of the classify module: classify.c (the rules),
 * classify-bounce.c (what a bounce tells: reports, X-Failed-Recipients,
 * the returned message) and classify-text.c (plain-text bounces). */
#ifndef TICKETGATE_CLASSIFY_PRIVATE_H
#define TICKETGATE_CLASSIFY_PRIVATE_H

#include <string.h>
#include "ticketgate/classify.h"
#include "ticketgate/util.h"

/* The human-readable text of a bounce is searched this far for status
 * codes and failed addresses. */
#define TG_CLASSIFY_TEXT_SCAN (64u << 10)

/* Bytes of untrusted input: never NUL-terminated at n. */
struct cls_span {
	const char *p;
	size_t n;
};

/* The bounce being read; its findings go straight into out. */
struct cls_bounce {
	struct tg_pool *pool;
	struct tg_classification *out;
	bool status_from_failed; /* status/diag came from a failed recipient */
};

static inline void
cls_trim(struct cls_span *s)
{
	while (s->n > 0 && tg_ascii_isspace((unsigned char)s->p[0])) {
		s->p++;
		s->n--;
	}
	while (s->n > 0 && tg_ascii_isspace((unsigned char)s->p[s->n - 1]))
		s->n--;
}

/* Reads the next line of s[0..n) at *pos: [*ls, *le) is its content
 * without the line break (LF or CRLF). Returns false at the end. */
static inline bool
cls_next_line(const char *s, size_t n, size_t *pos, size_t *ls, size_t *le)
{
	const char *nl;
	size_t e;

	if (*pos >= n)
		return false;
	*ls = *pos;
	nl = memchr(s + *pos, '\n', n - *pos);
	e = nl != NULL ? (size_t)(nl - s) : n;
	*pos = nl != NULL ? e + 1 : n;
	if (e > *ls && s[e - 1] == '\r')
		e--;
	*le = e;
	return true;
}

/* Whether s[ls..le) holds only whitespace. */
static inline bool
cls_blank(const char *s, size_t ls, size_t le)
{
	for (size_t i = ls; i < le; i++)
		if (!tg_ascii_isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Fills the bounce fields of out (bounced_message_id, failed_recipients,
 * bounce_status, bounce_diagnostic) from m, allocating from pool. */
void tg_classify_bounce_details(struct tg_pool *pool,
				const struct tg_message *m,
				struct tg_classification *out);

/* Whether the Content-Type header ct (may be NULL) says multipart/report
 * with the given report-type (case-insensitive). */
bool tg_classify_is_report(struct tg_pool *pool, const struct tg_header *ct,
			   const char *report_type);

/* Adds the address in s (forms seen: "a@b", "<a@b>", "Name <a@b>",
 * "a@b (comment)", "'a@b'", "mailto:a@b") to the failed recipients,
 * lowercased, unless it is there already or the list is full. Returns
 * false when s does not look like an addr-spec. */
bool tg_classify_add_recipient(struct cls_bounce *b, struct cls_span s);

/* The first RFC 3463 code ("5.1.1") in s[0..n) whose class digit is one
 * of classes, standing alone (not part of a longer dotted number), as a
 * pool string, or NULL. */
const char *tg_classify_find_status(struct tg_pool *pool, const char *s,
				    size_t n, const char *classes);

/* The Message-ID of a message copy at s[0..n): from its header block,
 * else from the first Message-ID line (copies indented or quoted).
 * NULL if none. */
const char *tg_classify_copy_msgid(struct cls_bounce *b, const char *s,
				   size_t n);

/* The id on the first "Message-ID:" line of s[0..n) that starts a line
 * (after blanks and '>' quote marks when indent is set), or NULL. */
const char *tg_classify_scan_msgid_line(struct cls_bounce *b, const char *s,
					size_t n, bool indent);

/* Reads a plain-text bounce s[0..n) (a body or a text part): the copy's
 * Message-ID, the failed recipients and the status, each only where
 * out does not have one yet. */
void tg_classify_text_bounce(struct cls_bounce *b, const char *s, size_t n);

#endif
