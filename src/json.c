/* JSON string writer: escapes and repairs so that whatever bytes a sender
 * put in a message, the output stays valid UTF-8 JSON. */
#include "ticketgate/json.h"
#include "ticketgate/charset.h"

#include <string.h>

static void
escape_valid(struct tg_buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		tg_buf_append(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			memcpy(u, "\\u00", 4);
			u[4] = hex[c >> 4];
			u[5] = hex[c & 15];
			u[6] = '\0';
			esc = u;
		}
		tg_buf_puts(out, esc);
	}
	tg_buf_append(out, s + run, len - run);
}

void
tg_json_string(struct tg_buf *out, const char *s, size_t len)
{
	tg_buf_putc(out, '"');
	if (tg_utf8_valid(s, len)) {
		escape_valid(out, s, len);
	} else {
		struct tg_buf fixed;

		tg_buf_init(&fixed, len + 16, 0);
		tg_charset_fallback_to_utf8(s, len, &fixed);
		escape_valid(out, tg_buf_cstr(&fixed), fixed.len);
		tg_buf_deinit(&fixed);
	}
	tg_buf_putc(out, '"');
}

void
tg_json_cstring(struct tg_buf *out, const char *s)
{
	if (s == NULL)
		tg_buf_puts(out, "null");
	else
		tg_json_string(out, s, strlen(s));
}
