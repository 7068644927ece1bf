/* Builds the parsed message from the MIME tree: header fields, the body
 * text agents read, and the attachments. Parses untrusted input. */
#include "ticketgate/message.h"
#include "ticketgate/charset.h"
#include "ticketgate/codec.h"
#include "ticketgate/date.h"
#include "ticketgate/html.h"
#include "ticketgate/mime.h"
#include "ticketgate/msgid.h"
#include "ticketgate/rfc2047.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

void
tg_limits_init_default(struct tg_limits *lim)
{
	lim->message_bytes = 25u << 20;
	lim->header_bytes = 1u << 20;
	lim->header_count = 1000;
	lim->header_line_bytes = 512u << 10;
	lim->mime_depth = 32;
	lim->mime_parts = 1000;
}

const struct tg_header *
tg_message_header(const struct tg_message *m, const char *name)
{
	return tg_mime_header(m->headers, m->n_headers, name);
}

/* Decoded text with whitespace runs collapsed to one space and trimmed. */
static const char *
collapse_ws(struct tg_pool *pool, const char *s, size_t n)
{
	char *out = tg_pool_alloc(pool, n + 1);
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < n; i++) {
		if (tg_ascii_isspace((unsigned char)s[i])) {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = false;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static void
parse_fields(struct tg_pool *pool, struct tg_message *m)
{
	const struct tg_header *h;
	char **ids;
	struct tg_buf b;

	m->message_id = "";
	if ((h = tg_message_header(m, "message-id")) != NULL &&
	    tg_msgid_parse_list(pool, h->value, h->value_len, &ids) > 0)
		m->message_id = ids[0];
	if ((h = tg_message_header(m, "in-reply-to")) != NULL)
		m->n_in_reply_to = tg_msgid_parse_list(pool, h->value,
				h->value_len, &m->in_reply_to);
	if ((h = tg_message_header(m, "references")) != NULL)
		m->n_references = tg_msgid_parse_list(pool, h->value,
				h->value_len, &m->references);

	if ((h = tg_message_header(m, "from")) != NULL) {
		struct tg_addr *list;

		if (tg_address_parse_list(pool, h->value, h->value_len,
					  &list) > 0)
			m->from = &list[0];
	}
	if ((h = tg_message_header(m, "to")) != NULL)
		m->n_to = tg_address_parse_list(pool, h->value, h->value_len,
						&m->to);
	if ((h = tg_message_header(m, "cc")) != NULL)
		m->n_cc = tg_address_parse_list(pool, h->value, h->value_len,
						&m->cc);
	if ((h = tg_message_header(m, "reply-to")) != NULL)
		m->n_reply_to = tg_address_parse_list(pool, h->value,
				h->value_len, &m->reply_to);

	m->subject = "";
	if ((h = tg_message_header(m, "subject")) != NULL) {
		tg_buf_init(&b, h->value_len + 16, 0);
		tg_rfc2047_decode(h->value, h->value_len, &b);
		m->subject = collapse_ws(pool, tg_buf_cstr(&b), b.len);
		tg_buf_deinit(&b);
	}
	if ((h = tg_message_header(m, "date")) != NULL)
		m->has_date = tg_date_parse(h->value, h->value_len,
					    &m->date) == 0;
}

/* Transfer-decodes a leaf body into out. */
static void
decode_body(const struct tg_part *part, struct tg_buf *out)
{
	const char *cte = part->cte;

	if (strcmp(cte, "base64") == 0) {
		tg_codec_base64_decode(part->body, part->body_len, out);
	} else if (strcmp(cte, "quoted-printable") == 0) {
		tg_codec_qp_decode(part->body, part->body_len, out);
	} else if (strcmp(cte, "x-uuencode") == 0 ||
		   strcmp(cte, "uuencode") == 0 || strcmp(cte, "uue") == 0 ||
		   strcmp(cte, "x-uue") == 0) {
		if (tg_codec_uu_decode(part->body, part->body_len, out) < 0)
			tg_buf_append(out, part->body, part->body_len);
	} else {
		tg_buf_append(out, part->body, part->body_len);
	}
}

static bool
is_type(const struct tg_part *p, const char *ct)
{
	return strcmp(p->content_type, ct) == 0;
}

/* Depth-first search for the first text/<want> part that is not an
 * attachment; inside multipart/related only the root part counts. */
static const struct tg_part *
find_body(const struct tg_part *part, const char *want)
{
	const char *ct = part->content_type;

	if (tg_mime_is_attachment(part))
		return NULL;
	if (strncmp(ct, "text/", 5) == 0)
		return strcmp(ct + 5, want) == 0 ? part : NULL;
	if (!part->multipart)
		return NULL;
	if (is_type(part, "multipart/related")) {
		const char *start = tg_param_get(&part->ctype, "start");
		const struct tg_part *root = part->children;

		if (start != NULL && start[0] != '\0') {
			for (const struct tg_part *c = part->children; c;
			     c = c->next) {
				const struct tg_header *h = tg_mime_header(
					c->headers, c->n_headers, "content-id");

				if (h != NULL && strcmp(h->value, start) == 0) {
					root = c;
					break;
				}
			}
		}
		return root != NULL ? find_body(root, want) : NULL;
	}
	for (const struct tg_part *c = part->children; c; c = c->next) {
		const struct tg_part *found = find_body(c, want);

		if (found != NULL)
			return found;
	}
	return NULL;
}

static void
set_text(struct tg_pool *pool, struct tg_message *m,
	 const struct tg_part *body, bool html)
{
	struct tg_buf raw, text;

	tg_buf_init(&raw, body->body_len + 1, 0);
	decode_body(body, &raw);
	tg_buf_init(&text, raw.len + 1, 0);
	tg_charset_decode_text(tg_param_get(&body->ctype, "charset"),
			       tg_buf_cstr(&raw), raw.len, &text);
	tg_buf_deinit(&raw);
	if (html) {
		struct tg_buf plain;

		tg_buf_init(&plain, text.len + 1, 0);
		tg_html_to_text(tg_buf_cstr(&text), text.len, &plain);
		tg_buf_deinit(&text);
		text = plain;
	}
	m->text_len = text.len;
	m->text = tg_buf_detach(&text, NULL);
	tg_pool_adopt(pool, (void *)m->text);
}

/* HTML alternatives of a chosen text/plain body are not attachments. */
static bool
is_excluded_html(const struct tg_part *leaf, const struct tg_part *top_alt)
{
	if (top_alt == NULL || !is_type(leaf, "text/html") ||
	    tg_mime_is_attachment(leaf))
		return false;
	for (const struct tg_part *p = leaf->parent; p != NULL; p = p->parent)
		if (p == top_alt)
			return true;
	return false;
}

static void
add_attachment(struct tg_pool *pool, struct tg_message *m,
	       const struct tg_part *leaf, size_t *cap)
{
	struct tg_attachment *a;
	const struct tg_header *h;
	const char *fn;
	struct tg_buf data;

	if (m->n_attachments == *cap) {
		struct tg_attachment *bigger;

		*cap = *cap ? *cap * 2 : 8;
		bigger = tg_pool_alloc_array(pool, *cap, sizeof(*bigger));
		if (m->n_attachments > 0)
			memcpy(bigger, m->attachments,
			       m->n_attachments * sizeof(*bigger));
		m->attachments = bigger;
	}
	a = &m->attachments[m->n_attachments++];
	fn = tg_param_get(&leaf->disp, "filename");
	if (fn == NULL)
		fn = tg_param_get(&leaf->ctype, "name");
	if (fn != NULL) {
		size_t n = strlen(fn);

		while (n > 0 && tg_ascii_isspace((unsigned char)fn[n - 1]))
			n--;
		while (n > 0 && tg_ascii_isspace((unsigned char)*fn)) {
			fn++;
			n--;
		}
		a->filename = tg_pool_strndup(pool, fn, n);
	}
	a->content_type = leaf->content_type;
	a->inline_disposition = strncmp(leaf->disp.value, "inline", 6) == 0;
	h = tg_mime_header(leaf->headers, leaf->n_headers, "content-id");
	if (h != NULL) {
		char **ids;

		if (tg_msgid_parse_list(pool, h->value, h->value_len, &ids) > 0)
			a->content_id = ids[0];
	}
	tg_buf_init(&data, leaf->body_len + 1, 0);
	decode_body(leaf, &data);
	a->size = data.len;
	EVP_Digest(tg_buf_cstr(&data), data.len, a->sha256, NULL, EVP_sha256(),
		   NULL);
	a->data = (const unsigned char *)tg_buf_detach(&data, NULL);
	tg_pool_adopt(pool, (void *)a->data);
}

static void
collect_leaves(struct tg_pool *pool, struct tg_message *m,
	       const struct tg_part *part, const struct tg_part *body,
	       const struct tg_part *top_alt, size_t *cap)
{
	/* iterative walk: depth is bounded, but keep the stack flat */
	const struct tg_part *p = part;

	while (p != NULL) {
		if (p->multipart && p->children != NULL) {
			p = p->children;
			continue;
		}
		if (!p->multipart && p != body && !is_excluded_html(p, top_alt))
			add_attachment(pool, m, p, cap);
		while (p != part && p->next == NULL)
			p = p->parent;
		if (p == part)
			break;
		p = p->next;
	}
}

void
tg_message_parse(struct tg_pool *pool, const char *raw, size_t len,
		 const struct tg_limits *lim, struct tg_message **msg_r)
{
	struct tg_message *m = tg_pool_alloc(pool, sizeof(*m));
	struct tg_part *root;
	const struct tg_part *body, *top_alt = NULL;
	size_t cap = 0;

	m->raw_size = len;
	root = tg_mime_parse(pool, raw, len, lim, &m->limits_hit);
	m->headers = root->headers;
	m->n_headers = root->n_headers;
	parse_fields(pool, m);

	m->text = "";
	body = find_body(root, "plain");
	if (body != NULL) {
		m->text_source = TG_TEXT_PLAIN;
		for (const struct tg_part *p = body->parent; p != NULL &&
		     (is_type(p, "multipart/alternative") ||
		      is_type(p, "multipart/related")); p = p->parent)
			if (is_type(p, "multipart/alternative"))
				top_alt = p;
	} else if ((body = find_body(root, "html")) != NULL) {
		m->text_source = TG_TEXT_HTML;
	}
	if (body != NULL)
		set_text(pool, m, body, m->text_source == TG_TEXT_HTML);
	collect_leaves(pool, m, root, body, top_alt, &cap);
	*msg_r = m;
}
