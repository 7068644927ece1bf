/* The JSON view of a parsed message, as `ticketgate parse` prints it. */
#include "ticketgate/date.h"
#include "ticketgate/json.h"
#include "ticketgate/message.h"

#include <inttypes.h>

static void
json_addr(struct tg_buf *out, const struct tg_addr *a)
{
	tg_buf_puts(out, "{\"name\":");
	tg_json_cstring(out, a->name);
	tg_buf_puts(out, ",\"address\":");
	tg_json_cstring(out, a->address);
	tg_buf_putc(out, '}');
}

static void
json_addr_list(struct tg_buf *out, const char *key, const struct tg_addr *v,
	       size_t n)
{
	tg_buf_appendf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			tg_buf_putc(out, ',');
		json_addr(out, &v[i]);
	}
	tg_buf_putc(out, ']');
}

static void
json_str_list(struct tg_buf *out, const char *key, char **v, size_t n)
{
	tg_buf_appendf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			tg_buf_putc(out, ',');
		tg_json_cstring(out, v[i]);
	}
	tg_buf_putc(out, ']');
}

static void
json_limits(struct tg_buf *out, unsigned hit)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ TG_LIMIT_MESSAGE_BYTES, "message_bytes" },
		{ TG_LIMIT_HEADER_BYTES, "header_bytes" },
		{ TG_LIMIT_HEADER_COUNT, "header_count" },
		{ TG_LIMIT_HEADER_LINE, "header_line_bytes" },
		{ TG_LIMIT_MIME_DEPTH, "mime_depth" },
		{ TG_LIMIT_MIME_PARTS, "mime_parts" },
	};
	bool first = true;

	tg_buf_puts(out, ",\"limits_hit\":[");
	for (size_t i = 0; i < TG_N(names); i++) {
		if ((hit & names[i].bit) == 0)
			continue;
		if (!first)
			tg_buf_putc(out, ',');
		first = false;
		tg_json_cstring(out, names[i].name);
	}
	tg_buf_putc(out, ']');
}

void
tg_message_to_json(const struct tg_message *m, struct tg_buf *out)
{
	static const char hex[] = "0123456789abcdef";
	char date[32];

	tg_buf_puts(out, "{\"message_id\":");
	tg_json_cstring(out, m->message_id);
	json_str_list(out, "in_reply_to", m->in_reply_to, m->n_in_reply_to);
	json_str_list(out, "references", m->references, m->n_references);
	tg_buf_puts(out, ",\"from\":");
	if (m->from != NULL)
		json_addr(out, m->from);
	else
		tg_buf_puts(out, "null");
	json_addr_list(out, "to", m->to, m->n_to);
	json_addr_list(out, "cc", m->cc, m->n_cc);
	json_addr_list(out, "reply_to", m->reply_to, m->n_reply_to);
	tg_buf_puts(out, ",\"subject\":");
	tg_json_cstring(out, m->subject);
	tg_buf_puts(out, ",\"date\":");
	if (m->has_date) {
		tg_date_format_utc(m->date, date);
		tg_json_cstring(out, date);
	} else {
		tg_buf_puts(out, "null");
	}
	tg_buf_puts(out, ",\"text\":");
	tg_json_string(out, m->text, m->text_len);
	tg_buf_appendf(out, ",\"text_source\":\"%s\"",
		       m->text_source == TG_TEXT_PLAIN  ? "plain"
		       : m->text_source == TG_TEXT_HTML ? "html"
							: "none");
	tg_buf_puts(out, ",\"attachments\":[");
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct tg_attachment *a = &m->attachments[i];
		char sha[65];

		for (size_t k = 0; k < 32; k++) {
			sha[2 * k] = hex[a->sha256[k] >> 4];
			sha[2 * k + 1] = hex[a->sha256[k] & 15];
		}
		sha[64] = '\0';
		if (i > 0)
			tg_buf_putc(out, ',');
		tg_buf_puts(out, "{\"filename\":");
		tg_json_cstring(out, a->filename);
		tg_buf_puts(out, ",\"content_type\":");
		tg_json_cstring(out, a->content_type);
		tg_buf_appendf(out, ",\"size\":%zu,\"sha256\":\"%s\"}", a->size,
			       sha);
	}
	tg_buf_putc(out, ']');
	json_limits(out, m->limits_hit);
	tg_buf_putc(out, '}');
}
