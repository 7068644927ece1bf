/* Outgoing messages: every field checked first, then the header block
 * (automatic mail marked as RFC 3834 and auto-mail-rules.md F ask) and a
 * quoted-printable text body, with an HTML alternative when given. */
#include "ticketgate/compose.h"
#include "compose-private.h"
#include "ticketgate/charset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

/* Ids from other people's mail we still repeat in ours. */
#define ID_MAX 250
#define REFERENCES_MAX 20

/* Fields we write ourselves, so an extra header cannot repeat or
 * contradict them; List-Unsubscribe would make replies look like list
 * mail to other helpdesks (auto-mail-rules.md F). */
static const char *const reserved[] = {
	"date",
	"from",
	"sender",
	"reply-to",
	"to",
	"cc",
	"bcc",
	"subject",
	"message-id",
	"in-reply-to",
	"references",
	"mime-version",
	"auto-submitted",
	"precedence",
	"x-auto-response-suppress",
	"x-ticketgate-loop",
	"list-unsubscribe",
	"list-unsubscribe-post",
	"return-path",
};

static bool
printable(const char *s, bool blanks)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (!((*p > ' ' && *p < 0x7f) ||
		      (blanks && (*p == ' ' || *p == '\t'))))
			return false;
	return true;
}

static bool
id_ok(const char *id)
{
	size_t n = id != NULL ? strlen(id) : 0;

	return n > 0 && n <= ID_MAX && printable(id, false) &&
	       strpbrk(id, "<>") == NULL;
}

/* The name of "Name: value" in *name_len, or false when the line is not
 * one we may write. */
static bool
extra_ok(const char *line, size_t *name_len, const char **why)
{
	const char *colon = strchr(line, ':');
	size_t n = colon != NULL ? (size_t)(colon - line) : 0;
	char name[64];

	*why = "is not \"Name: value\" in printable ASCII";
	if (n == 0 || n >= sizeof(name) || !printable(line, true) ||
	    strcspn(line, " \t") < n)
		return false;
	*why = "is over 998 bytes";
	if (strlen(line) > COMPOSE_LINE_MAX)
		return false;
	memcpy(name, line, n);
	name[n] = '\0';
	*why = "is a header this gateway writes itself";
	if (tg_ascii_strncasecmp(name, "content-", 8) == 0)
		return false;
	for (size_t i = 0; i < TG_N(reserved); i++)
		if (tg_ascii_strcasecmp(name, reserved[i]) == 0)
			return false;
	*name_len = n;
	return true;
}

static int
check(const struct tg_compose *c, size_t msgid_size, struct tg_err *err)
{
	const char *why;
	size_t n;

	if (c->from_address == NULL || !compose_address_valid(c->from_address))
		return tg_err_set(err, "invalid From address");
	if (c->to_address == NULL || !compose_address_valid(c->to_address))
		return tg_err_set(err, "invalid To address");
	if (c->reply_to != NULL && !compose_address_valid(c->reply_to))
		return tg_err_set(err, "invalid Reply-To address");
	for (size_t i = 0; i < c->n_cc; i++)
		if (c->cc[i] == NULL || !compose_address_valid(c->cc[i]))
			return tg_err_set(err, "invalid Cc address %zu", i + 1);
	if (c->msgid_domain == NULL || !compose_domain_valid(c->msgid_domain))
		return tg_err_set(err, "invalid Message-ID domain");
	if (msgid_size < TG_COMPOSE_MSGID_SIZE)
		return tg_err_set(err, "Message-ID buffer under %d bytes",
				  TG_COMPOSE_MSGID_SIZE);
	if (c->loop_id == NULL || c->loop_id[0] == '\0' ||
	    strlen(c->loop_id) > 200 || !printable(c->loop_id, false))
		return tg_err_set(err, "invalid loop id");
	for (size_t i = 0; i < c->n_extra; i++)
		if (c->extra_headers[i] == NULL ||
		    !extra_ok(c->extra_headers[i], &n, &why))
			return tg_err_set(err, "extra header %zu %s", i + 1,
					  why);
	return 0;
}

/* RFC 5322 3.3, always in UTC and in English whatever the locale. */
static int
put_date(struct tg_buf *out, int64_t t, struct tg_err *err)
{
	static const char days[][4] = {"Sun", "Mon", "Tue", "Wed",
				       "Thu", "Fri", "Sat"};
	static const char months[][4] = {"Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	/* years 1970..9999: the four digits RFC 5322 allows, and nothing a
	 * real clock gives is outside */
	if (t < 0 || t > INT64_C(253402300799) || (int64_t)tt != t ||
	    gmtime_r(&tt, &tm) == NULL)
		return tg_err_set(err, "date out of range");
	tg_buf_appendf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		       days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		       tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

static void
put_mailbox(struct tg_buf *out, const char *field, const char *name,
	    const char *address)
{
	struct compose_hdr h;
	char *clean = compose_clean(name);

	compose_hdr_start(&h, out, field);
	compose_hdr_mailbox(&h, clean, address);
	compose_hdr_end(&h);
	free(clean);
}

static void
put_ids(struct tg_buf *out, const char *field, const char *const *ids, size_t n)
{
	struct compose_hdr h;
	char tok[ID_MAX + 3];

	compose_hdr_start(&h, out, field);
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(tok, sizeof(tok), "<%s>", ids[i]);

		compose_hdr_token(&h, tok, (size_t)len);
	}
	compose_hdr_end(&h);
}

/* References: the caller's valid ids, then in_reply_to unless it is the
 * last already; past REFERENCES_MAX the first (the thread's start) and
 * the newest are kept, as RFC 5322 3.6.4 suggests trimming. */
static void
put_references(struct tg_buf *out, const struct tg_compose *c)
{
	const char **ids = tg_xcalloc(c->n_references + 1, sizeof(*ids));
	size_t n = 0;

	for (size_t i = 0; i < c->n_references; i++)
		if (id_ok(c->references[i]))
			ids[n++] = c->references[i];
	if (id_ok(c->in_reply_to) &&
	    (n == 0 || strcmp(ids[n - 1], c->in_reply_to) != 0))
		ids[n++] = c->in_reply_to;
	if (n > REFERENCES_MAX) {
		memmove(ids + 1, ids + n - (REFERENCES_MAX - 1),
			(REFERENCES_MAX - 1) * sizeof(*ids));
		n = REFERENCES_MAX;
	}
	if (n > 0)
		put_ids(out, "References", ids, n);
	free(ids);
}

static void
put_extra(struct tg_buf *out, const char *line, size_t name_len)
{
	struct compose_hdr h;
	char name[64];
	const char *v = line + name_len + 1;

	memcpy(name, line, name_len);
	name[name_len] = '\0';
	compose_hdr_start(&h, out, name);
	while (*v == ' ' || *v == '\t')
		v++;
	/* one token per blank-separated piece: the blanks come back as
	 * they were, and the field folds where they are */
	for (;;) {
		size_t n = strcspn(v, " ");

		compose_hdr_token(&h, v, n);
		if (v[n] == '\0')
			break;
		v += n + 1;
	}
	compose_hdr_end(&h);
}

static void
put_headers(struct tg_buf *out, const struct tg_compose *c, const char *msgid)
{
	static const char *const auto_submitted[] = {
		[TG_COMPOSE_AUTO_REPLY] = "auto-replied",
		[TG_COMPOSE_AUTO_GENERATED] = "auto-generated",
	};
	struct compose_hdr h;
	char *subject = compose_clean(c->subject);
	const char *why;
	size_t n;

	put_mailbox(out, "From", c->from_name, c->from_address);
	if (c->reply_to != NULL)
		put_mailbox(out, "Reply-To", NULL, c->reply_to);
	put_mailbox(out, "To", c->to_name, c->to_address);
	if (c->n_cc > 0) {
		compose_hdr_start(&h, out, "Cc");
		for (size_t i = 0; i < c->n_cc; i++) {
			struct tg_buf a;

			tg_buf_init(&a, 0, 0);
			tg_buf_puts(&a, c->cc[i]);
			if (i + 1 < c->n_cc)
				tg_buf_putc(&a, ',');
			compose_hdr_token(&h, a.data, a.len);
			tg_buf_deinit(&a);
		}
		compose_hdr_end(&h);
	}
	compose_hdr_start(&h, out, "Subject");
	compose_hdr_text(&h, subject, false);
	compose_hdr_end(&h);
	free(subject);
	tg_buf_appendf(out, "Message-ID: <%s>\r\n", msgid);
	if (id_ok(c->in_reply_to))
		put_ids(out, "In-Reply-To", &c->in_reply_to, 1);
	put_references(out, c);
	if (c->kind == TG_COMPOSE_AUTO_REPLY ||
	    c->kind == TG_COMPOSE_AUTO_GENERATED)
		tg_buf_appendf(out,
			       "Auto-Submitted: %s\r\n"
			       "Precedence: bulk\r\n"
			       "X-Auto-Response-Suppress: All\r\n",
			       auto_submitted[c->kind]);
	/* every kind: an agent's reply that comes back to us is a loop too */
	tg_buf_appendf(out, "X-Ticketgate-Loop: %s\r\n", c->loop_id);
	for (size_t i = 0; i < c->n_extra; i++)
		if (extra_ok(c->extra_headers[i], &n, &why))
			put_extra(out, c->extra_headers[i], n);
	tg_buf_puts(out, "MIME-Version: 1.0\r\n");
}

static void
put_part(struct tg_buf *out, const char *type, const char *text)
{
	tg_buf_appendf(out,
		       "Content-Type: text/%s; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
		       type);
	if (text != NULL)
		compose_qp_encode(text, strlen(text), out);
}

/* Quoted-printable output never holds "=_" ('=' is always followed by a
 * hex digit or a line break), so a boundary containing it cannot occur
 * in the parts; the random rest keeps nested forwards apart. */
static void
put_alternative(struct tg_buf *out, const char *text, const char *html)
{
	uuid_t u;
	char id[37], boundary[48];

	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	snprintf(boundary, sizeof(boundary), "=_tg_%s", id);
	tg_buf_appendf(out,
		       "Content-Type: multipart/alternative;\r\n"
		       " boundary=\"%s\"\r\n\r\n--%s\r\n",
		       boundary, boundary);
	put_part(out, "plain", text);
	tg_buf_appendf(out, "\r\n--%s\r\n", boundary);
	put_part(out, "html", html);
	tg_buf_appendf(out, "\r\n--%s--\r\n", boundary);
}

/* Each of text and html is used as UTF-8: invalid bytes are read as
 * Windows-1252, like the parser reads them. */
static char *
valid_text(const char *s, struct tg_buf *tmp)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || tg_utf8_valid(s, n))
		return NULL;
	tg_buf_init(tmp, n * 3 / 2 + 1, 0);
	tg_charset_fallback_to_utf8(s, n, tmp);
	return tmp->data;
}

int
tg_compose_message(const struct tg_compose *c, struct tg_buf *out,
		   char *msgid_r, size_t msgid_size, struct tg_err *err)
{
	size_t start = out->len;
	bool overflow = out->overflow;
	struct tg_buf tt = {0}, th = {0};
	const char *text, *html;
	char id[37];
	uuid_t u;

	/* the cap is watched for this message alone */
	out->overflow = false;
	if (check(c, msgid_size, err) < 0 || put_date(out, c->date, err) < 0)
		goto fail;
	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	snprintf(msgid_r, msgid_size, "%s@%s", id, c->msgid_domain);
	put_headers(out, c, msgid_r);
	text = valid_text(c->text, &tt) != NULL ? tt.data : c->text;
	html = valid_text(c->html, &th) != NULL ? th.data : c->html;
	if (html != NULL)
		put_alternative(out, text, html);
	else
		put_part(out, "plain", text);
	tg_buf_deinit(&tt);
	tg_buf_deinit(&th);
	if (!out->overflow) {
		out->overflow = overflow;
		return 0;
	}
	tg_err_set(err, "message over %zu bytes", out->max);
fail:
	out->len = start;
	out->overflow = overflow;
	if (out->data != NULL)
		out->data[start] = '\0';
	if (msgid_size > 0)
		msgid_r[0] = '\0';
	return -1;
}
