/* What a bounce tells: the Message-ID of the returned message (to find
 * the ticket), the recipients that failed, the RFC 3463 status and the
 * diagnostic. Read from RFC 3464 reports, X-Failed-Recipients and the
 * plain-text bounces of Exim, qmail, Sendmail and others. Parses
 * untrusted input: every scan is linear in the message and capped. */
#include "classify-private.h"
#include "ticketgate/charset.h"
#include "ticketgate/mime.h"
#include "ticketgate/msgid.h"
#include "ticketgate/util.h"

#include <stddef.h>
#include <string.h>

/* A returned header block is looked for in this many bytes of its part;
 * Received chains are long, but not this long. */
#define HEADER_SCAN_BYTES (256u << 10)
#define DIAG_MAX ((size_t)512) /* bytes of Diagnostic-Code kept */
#define ADDR_MAX ((size_t)320) /* RFC 5321 path limit, rounded up */
/* A returned message that is itself a delivery report (a bounce of a
 * bounce, or a gateway that wraps the report it got) is read this many
 * levels down. */
#define MAX_NESTED 2

/* Copies s[0..n) to the pool as valid UTF-8 (bytes that are not UTF-8
 * are read as Windows-1252), control characters made spaces, blank runs
 * collapsed, trimmed, and cut to at most max bytes on a character
 * boundary. */
static const char *
pool_text(struct tg_pool *pool, const char *s, size_t n, size_t max)
{
	struct tg_buf conv, out;
	const char *t = s;
	size_t tn = n, o;
	bool space = false;
	char *r;

	tg_buf_init(&conv, 0, 0);
	if (!tg_utf8_valid(s, n)) {
		tg_charset_fallback_to_utf8(s, n, &conv);
		t = tg_buf_cstr(&conv);
		tn = conv.len;
	}
	tg_buf_init(&out, tn + 1, 0);
	for (size_t i = 0; i < tn; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20 || c == 0x7f) {
			space = out.len > 0;
			continue;
		}
		if (c == ' ') {
			space = out.len > 0;
			continue;
		}
		if (space)
			tg_buf_putc(&out, ' ');
		space = false;
		tg_buf_putc(&out, c);
	}
	o = out.len;
	if (o > max) {
		o = max;
		/* bounds: o <= max < out.len, so data[o] exists */
		while (o > 0 && ((unsigned char)out.data[o] & 0xc0) == 0x80)
			o--;
	}
	r = tg_pool_strndup(pool, tg_buf_cstr(&out), o);
	tg_buf_deinit(&out);
	tg_buf_deinit(&conv);
	return r;
}

/* See classify-private.h. Deliberately strict (one '@', a dot after
 * it, no blanks or specials) because text bounces feed it guesses. */
bool
tg_classify_add_recipient(struct cls_bounce *b, struct cls_span s)
{
	struct tg_classification *out = b->out;
	const char *lt, *gt, *at;
	const char *a;
	char *lc;

	cls_trim(&s);
	lt = memchr(s.p, '<', s.n);
	if (lt != NULL) {
		gt = memchr(lt, '>', s.n - (size_t)(lt - s.p));
		if (gt == NULL)
			gt = s.p + s.n;
		s.n = (size_t)(gt - lt - 1);
		s.p = lt + 1;
		cls_trim(&s);
	}
	for (size_t i = 0; i < s.n; i++)
		if (tg_ascii_isspace((unsigned char)s.p[i]) || s.p[i] == '(') {
			s.n = i;
			break;
		}
	while (s.n > 0 && strchr("\"'", s.p[0]) != NULL) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && strchr("\"'.,;:", s.p[s.n - 1]) != NULL)
		s.n--;
	if (s.n > 7 && tg_ascii_strncasecmp(s.p, "mailto:", 7) == 0) {
		s.p += 7;
		s.n -= 7;
	}
	if (s.n < 3 || s.n > ADDR_MAX)
		return false;
	at = NULL;
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= 0x20 || c == 0x7f ||
		    strchr("<>()[],;:\\\"", c) != NULL)
			return false;
		if (c == '@') {
			if (at != NULL)
				return false;
			at = s.p + i;
		}
	}
	if (at == NULL || at == s.p || at == s.p + s.n - 1 ||
	    memchr(at, '.', (size_t)(s.p + s.n - at)) == NULL)
		return false;

	if (out->n_failed_recipients >= TG_CLASSIFY_MAX_RECIPIENTS)
		return true; /* full: nothing more is stored */
	a = pool_text(b->pool, s.p, s.n, ADDR_MAX * 2);
	lc = tg_pool_strdup(b->pool, a);
	for (char *c = lc; *c != '\0'; c++)
		*c = (char)tg_ascii_tolower((unsigned char)*c);
	for (size_t i = 0; i < out->n_failed_recipients; i++)
		if (strcmp(out->failed_recipients[i], lc) == 0)
			return true;
	if (out->failed_recipients == NULL)
		out->failed_recipients = tg_pool_alloc_array(
			b->pool, TG_CLASSIFY_MAX_RECIPIENTS,
			sizeof(*out->failed_recipients));
	out->failed_recipients[out->n_failed_recipients++] = lc;
	return true;
}

/* See classify-private.h. "192.0.2.5" and "5.1.1.2" are not codes. */
const char *
tg_classify_find_status(struct tg_pool *pool, const char *s, size_t n,
			const char *classes)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		size_t j = i + 1, d;
		unsigned char prev = i > 0 ? (unsigned char)s[i - 1] : ' ';

		if (strchr(classes, s[i]) == NULL || s[i] == '\0' ||
		    (prev >= '0' && prev <= '9') || prev == '.')
			continue;
		for (int part = 0; part < 2; part++) {
			if (j >= n || s[j] != '.')
				goto next;
			j++;
			d = 0;
			while (j < n && d < 4 && s[j] >= '0' && s[j] <= '9') {
				j++;
				d++;
			}
			if (d == 0 || d > 3)
				goto next;
		}
		if (j < n && ((s[j] >= '0' && s[j] <= '9') ||
			      (s[j] == '.' && j + 1 < n && s[j + 1] >= '0' &&
			       s[j + 1] <= '9')))
			goto next;
		return tg_pool_strndup(pool, s + i, j - i);
next:;
	}
	return NULL;
}

/* One per-recipient block of a delivery-status part. */
struct rcpt_block {
	struct cls_span orig, final, action, status, diag;
};

/* The part of "rfc822; a@b" after the address type. */
static struct cls_span
after_type(struct cls_span v)
{
	const char *semi = memchr(v.p, ';', v.n);

	if (semi != NULL) {
		v.n -= (size_t)(semi + 1 - v.p);
		v.p = semi + 1;
	}
	return v;
}

static void
set_status(struct cls_bounce *b, const struct rcpt_block *blk)
{
	struct cls_span d = blk->diag;
	size_t k = 0;

	b->out->bounce_status = NULL;
	if (blk->status.p != NULL)
		b->out->bounce_status = tg_classify_find_status(
			b->pool, blk->status.p, blk->status.n, "245");
	b->out->bounce_diagnostic = NULL;
	if (d.p == NULL)
		return;
	/* "smtp; 550 5.1.1 ...": the type says nothing to an agent */
	cls_trim(&d);
	while (k < d.n && k < 32 &&
	       ((d.p[k] >= 'a' && d.p[k] <= 'z') ||
		(d.p[k] >= 'A' && d.p[k] <= 'Z') ||
		(d.p[k] >= '0' && d.p[k] <= '9') || d.p[k] == '-'))
		k++;
	while (k < d.n && (d.p[k] == ' ' || d.p[k] == '\t'))
		k++;
	if (k > 0 && k < d.n && d.p[k] == ';') {
		d.p += k + 1;
		d.n -= k + 1;
	}
	cls_trim(&d);
	if (d.n > 0)
		b->out->bounce_diagnostic = pool_text(b->pool, d.p, d.n,
						      DIAG_MAX);
}

static void
commit_block(struct cls_bounce *b, struct rcpt_block *blk)
{
	struct cls_span addr = blk->orig;
	bool failed;

	if (blk->orig.p == NULL && blk->final.p == NULL)
		goto out;
	/* Original-Recipient is the address we sent to; Final-Recipient
	 * may be an alias it expanded to. Some MTAs leave the former
	 * empty or "<>", hence the fallback. */
	if (addr.p == NULL || memchr(addr.p, '@', addr.n) == NULL)
		addr = blk->final;
	if (blk->action.p != NULL) {
		struct cls_span a = blk->action;

		cls_trim(&a);
		/* "failed", and "failure" from a few MTAs */
		failed = a.n >= 4 && tg_ascii_strncasecmp(a.p, "fail", 4) == 0;
	} else if (blk->status.p != NULL) {
		struct cls_span st = blk->status;

		cls_trim(&st);
		failed = st.n > 0 && st.p[0] == '5';
	} else {
		failed = true; /* a report on a recipient that says no more */
	}
	if (failed && addr.p != NULL)
		tg_classify_add_recipient(b, after_type(addr));
	/* the status of the first failed recipient that has one */
	if (failed && !b->status_from_failed &&
	    (blk->status.p != NULL || blk->diag.p != NULL)) {
		set_status(b, blk);
		b->status_from_failed = true;
	} else if (!b->status_from_failed && b->out->bounce_status == NULL &&
		   blk->status.p != NULL) {
		set_status(b, blk);
	}
out:
	memset(blk, 0, sizeof(*blk));
}

static void
apply_field(struct cls_bounce *b, struct rcpt_block *blk, struct cls_span name,
	    struct cls_span value)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "action", offsetof(struct rcpt_block, action) },
		{ "status", offsetof(struct rcpt_block, status) },
		{ "diagnostic-code", offsetof(struct rcpt_block, diag) },
	};

	cls_trim(&name);
	if (name.n == 18 &&
	    tg_ascii_strncasecmp(name.p, "original-recipient", 18) == 0) {
		/* blocks are not always separated by blank lines; Postfix
		 * writes Final- before Original-Recipient, others after */
		if (blk->orig.p != NULL)
			commit_block(b, blk);
		blk->orig = value;
		return;
	}
	if (name.n == 15 &&
	    tg_ascii_strncasecmp(name.p, "final-recipient", 15) == 0) {
		if (blk->final.p != NULL)
			commit_block(b, blk);
		blk->final = value;
		return;
	}
	for (size_t i = 0; i < TG_N(fields); i++) {
		struct cls_span *f =
			(struct cls_span *)((char *)blk + fields[i].off);
		size_t k = strlen(fields[i].name);

		if (name.n == k &&
		    tg_ascii_strncasecmp(name.p, fields[i].name, k) == 0 &&
		    f->p == NULL)
			*f = value;
	}
}

/* Reads a message/delivery-status body (RFC 3464 section 2): header-like
 * fields in blocks, the first about the message, one per recipient
 * after it. Folded lines are taken with their field. */
static void
parse_dsn(struct cls_bounce *b, const char *s, size_t n)
{
	struct rcpt_block blk;
	struct cls_span name = { NULL, 0 }, value = { NULL, 0 };
	size_t pos = 0, ls, le;

	memset(&blk, 0, sizeof(blk));
	while (cls_next_line(s, n, &pos, &ls, &le)) {
		const char *colon;

		if (le > ls && (s[ls] == ' ' || s[ls] == '\t') &&
		    name.p != NULL && !cls_blank(s, ls, le)) {
			value.n = le - (size_t)(value.p - s);
			continue;
		}
		if (name.p != NULL)
			apply_field(b, &blk, name, value);
		name.p = NULL;
		if (cls_blank(s, ls, le)) {
			commit_block(b, &blk);
			continue;
		}
		colon = memchr(s + ls, ':', le - ls);
		if (colon == NULL)
			continue;
		name.p = s + ls;
		name.n = (size_t)(colon - name.p);
		value.p = colon + 1;
		value.n = le - (size_t)(value.p - s);
	}
	if (name.p != NULL)
		apply_field(b, &blk, name, value);
	commit_block(b, &blk);
}

/* Recipients of X-Failed-Recipients (Exim, Gmail): comma-separated. */
static void
failed_recipients_header(struct cls_bounce *b, const struct tg_message *m)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		const struct tg_header *h = &m->headers[i];
		struct cls_span item = { h->value, 0 };

		if (tg_ascii_strcasecmp(h->name, "x-failed-recipients") != 0)
			continue;
		for (size_t k = 0; k <= h->value_len; k++) {
			if (k < h->value_len && h->value[k] != ',')
				continue;
			item.n = (size_t)(h->value + k - item.p);
			tg_classify_add_recipient(b, item);
			item.p = h->value + k + 1;
		}
	}
}

static const char *
first_msgid(struct cls_bounce *b, const char *v, size_t n, bool need_at)
{
	char **ids;

	if (tg_msgid_parse_list(b->pool, v, n, &ids) == 0)
		return NULL;
	if (need_at && strchr(ids[0], '@') == NULL)
		return NULL;
	return pool_text(b->pool, ids[0], strlen(ids[0]), ADDR_MAX * 4);
}

/* The header block at the start of s[0..n), parsed by the MIME parser
 * without looking at the body. */
static const struct tg_part *
header_block(struct cls_bounce *b, const char *s, size_t n)
{
	struct tg_limits lim;
	unsigned limits_hit = 0;

	tg_limits_init_default(&lim);
	lim.mime_depth = 0; /* the header block only: no part tree */
	if (n > HEADER_SCAN_BYTES)
		n = HEADER_SCAN_BYTES;
	return tg_mime_parse(b->pool, s, n, &lim, &limits_hit);
}

/* See classify-private.h; an id folded onto the next line is read
 * there. Only ids with an '@' count: this is a guess in free text. */
const char *
tg_classify_scan_msgid_line(struct cls_bounce *b, const char *s, size_t n,
			    bool indent)
{
	size_t pos = 0, ls, le;

	while (cls_next_line(s, n, &pos, &ls, &le)) {
		size_t i = ls;
		const char *id;

		while (indent && i < le &&
		       (s[i] == ' ' || s[i] == '\t' || s[i] == '>'))
			i++;
		if (le - i < 11 ||
		    tg_ascii_strncasecmp(s + i, "message-id", 10) != 0)
			continue;
		i += 10;
		while (i < le && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == le || s[i] != ':')
			continue;
		i++;
		id = first_msgid(b, s + i, le - i, true);
		if (id == NULL && cls_blank(s, i, le)) {
			size_t ls2, le2;

			if (cls_next_line(s, n, &pos, &ls2, &le2))
				id = first_msgid(b, s + ls2, le2 - ls2, true);
		}
		if (id != NULL)
			return id;
	}
	return NULL;
}

/* See classify-private.h. */
const char *
tg_classify_copy_msgid(struct cls_bounce *b, const char *s, size_t n)
{
	const struct tg_part *root;
	const struct tg_header *h;
	size_t pos = 0, ls, le, start = 0;
	const char *id;

	while (cls_next_line(s, n, &pos, &ls, &le) && cls_blank(s, ls, le))
		start = pos;
	root = header_block(b, s + start, n - start);
	h = tg_mime_header(root->headers, root->n_headers, "message-id");
	if (h != NULL && (id = first_msgid(b, h->value, h->value_len,
					   false)) != NULL)
		return id;
	if (n > HEADER_SCAN_BYTES)
		n = HEADER_SCAN_BYTES;
	return tg_classify_scan_msgid_line(b, s, n, true);
}

static bool
is_type(const struct tg_attachment *a, const char *const *types, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->content_type, types[i]) == 0)
			return true;
	return false;
}

/* Reads m's report parts and X-Failed-Recipients, its returned message,
 * then its text for what is still missing. depth counts reports found
 * inside returned messages. */
static void
extract(struct cls_bounce *b, const struct tg_message *m, unsigned depth)
{
	static const char *const dsn_types[] = {
		"message/delivery-status", "message/global-delivery-status",
	};
	static const char *const copy_types[] = {
		"message/rfc822", "text/rfc822-headers", "message/global",
		"message/global-headers", "message/rfc822-headers",
		"message/partial", /* a first fragment opens with headers */
	};
	struct tg_classification *out = b->out;

	failed_recipients_header(b, m);
	for (size_t i = 0; i < m->n_attachments; i++)
		if (is_type(&m->attachments[i], dsn_types, TG_N(dsn_types)))
			parse_dsn(b, (const char *)m->attachments[i].data,
				  m->attachments[i].size);

	/* The returned message (or its headers) names the ticket. */
	for (size_t i = 0;
	     i < m->n_attachments && out->bounced_message_id == NULL; i++) {
		const struct tg_attachment *a = &m->attachments[i];
		const char *s = (const char *)a->data;
		const struct tg_part *root;

		if (!is_type(a, copy_types, TG_N(copy_types)))
			continue;
		root = header_block(b, s, a->size);
		if (depth < MAX_NESTED &&
		    tg_classify_is_report(b->pool,
					  tg_mime_header(root->headers,
							 root->n_headers,
							 "content-type"),
					  "delivery-status")) {
			struct tg_message *inner;
			struct tg_limits lim;

			tg_limits_init_default(&lim);
			tg_message_parse(b->pool, s, a->size, &lim, &inner);
			/* its own Message-ID is a bounce's, not ours */
			extract(b, inner, depth + 1);
			continue;
		}
		out->bounced_message_id = tg_classify_copy_msgid(b, s, a->size);
	}

	/* Text bounces: the body, then text attachments (some MTAs put the
	 * copy in a text/plain part of a multipart/mixed). */
	if (out->bounced_message_id == NULL || out->n_failed_recipients == 0 ||
	    out->bounce_status == NULL) {
		tg_classify_text_bounce(b, m->text, m->text_len);
		for (size_t i = 0; i < m->n_attachments; i++) {
			const struct tg_attachment *a = &m->attachments[i];

			if (strcmp(a->content_type, "text/plain") == 0)
				tg_classify_text_bounce(
					b, (const char *)a->data, a->size);
		}
	}
}

void
tg_classify_bounce_details(struct tg_pool *pool, const struct tg_message *m,
			   struct tg_classification *out)
{
	struct cls_bounce b = { .pool = pool, .out = out };

	extract(&b, m, 0);
}
