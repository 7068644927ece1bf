/* libFuzzer target for the message parser: every input is parsed twice
 * (default limits, then tight ones so the over-limit paths run too) and
 * printed as JSON; the JSON must be one well-formed object in valid UTF-8.
 * Parses untrusted input. */
#include "ticketgate/buf.h"
#include "ticketgate/classify.h"
#include "ticketgate/message.h"
#include "ticketgate/reply.h"
#include "ticketgate/pool.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deep enough for any output the parser can produce; deeper means a bug. */
#define JSON_MAX_DEPTH 64

struct json_in {
	const unsigned char *p, *end;
};

static void
fail(const char *why, const struct tg_buf *json)
{
	fprintf(stderr, "fuzz-parse: %s\nJSON (%zu bytes): %.*s\n", why,
		json->len, json->len > 4096 ? 4096 : (int)json->len,
		tg_buf_cstr(json));
	abort();
}

/* Length of the UTF-8 sequence at s (1-4), or 0 when it is not valid
 * UTF-8: overlong forms, surrogates and code points past U+10FFFF count as
 * invalid, as RFC 3629 says. */
static size_t
utf8_seq_len(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0) {
		n = 2, cp = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, cp = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static bool
utf8_valid(const unsigned char *s, size_t len)
{
	const unsigned char *end = s + len;
	size_t n;

	while (s < end) {
		n = utf8_seq_len(s, end);
		if (n == 0)
			return false;
		s += n;
	}
	return true;
}

static int
hex4(const unsigned char *p, const unsigned char *end, unsigned *v_r)
{
	unsigned v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		unsigned c = p[i];

		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (c - 'A' + 10);
		else
			return -1;
	}
	*v_r = v;
	return 0;
}

static void
skip_ws(struct json_in *in)
{
	while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' ||
				   *in->p == '\n' || *in->p == '\r'))
		in->p++;
}

/* A string starting at the opening quote. \u escapes must not leave a
 * lone surrogate: such a string cannot become valid UTF-8 on decoding. */
static bool
json_string(struct json_in *in)
{
	unsigned u, lo;

	in->p++;
	while (in->p < in->end) {
		unsigned char c = *in->p;

		if (c == '"') {
			in->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			in->p++;
			continue;
		}
		if (in->end - in->p < 2)
			return false;
		c = in->p[1];
		in->p += 2;
		if (c != 'u') {
			if (!strchr("\"\\/bfnrt", c) || c == '\0')
				return false;
			continue;
		}
		if (hex4(in->p, in->end, &u) < 0)
			return false;
		in->p += 4;
		if (u >= 0xDC00 && u <= 0xDFFF)
			return false;
		if (u >= 0xD800 && u <= 0xDBFF) {
			if (in->end - in->p < 6 || in->p[0] != '\\' ||
			    in->p[1] != 'u' || hex4(in->p + 2, in->end, &lo) < 0 ||
			    lo < 0xDC00 || lo > 0xDFFF)
				return false;
			in->p += 6;
		}
	}
	return false;
}

static bool
json_number(struct json_in *in)
{
	const unsigned char *start;

	if (in->p < in->end && *in->p == '-')
		in->p++;
	if (in->p >= in->end)
		return false;
	if (*in->p == '0') {
		in->p++;
	} else if (*in->p >= '1' && *in->p <= '9') {
		while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
			in->p++;
	} else {
		return false;
	}
	if (in->p < in->end && *in->p == '.') {
		start = ++in->p;
		while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
			in->p++;
		if (in->p == start)
			return false;
	}
	if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
		in->p++;
		if (in->p < in->end && (*in->p == '+' || *in->p == '-'))
			in->p++;
		start = in->p;
		while (in->p < in->end && *in->p >= '0' && *in->p <= '9')
			in->p++;
		if (in->p == start)
			return false;
	}
	return true;
}

static bool
json_literal(struct json_in *in, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(in->end - in->p) < n || memcmp(in->p, word, n) != 0)
		return false;
	in->p += n;
	return true;
}

/* One value of the JSON grammar (RFC 8259), iteratively: a stack of open
 * containers stands in for recursion so that nesting is bounded here, not
 * by the C stack. */
static bool
json_value(struct json_in *in)
{
	char stack[JSON_MAX_DEPTH];
	int depth = 0;

	for (;;) {
		/* expecting a value */
		skip_ws(in);
		if (in->p >= in->end)
			return false;
		switch (*in->p) {
		case '{':
		case '[':
			if (depth == JSON_MAX_DEPTH)
				return false;
			stack[depth++] = (char)*in->p++;
			skip_ws(in);
			if (in->p < in->end &&
			    *in->p == (stack[depth - 1] == '{' ? '}' : ']')) {
				in->p++;
				depth--;
				break;
			}
			if (stack[depth - 1] == '{') {
				if (in->p >= in->end || *in->p != '"' ||
				    !json_string(in))
					return false;
				skip_ws(in);
				if (in->p >= in->end || *in->p++ != ':')
					return false;
			}
			continue;
		case '"':
			if (!json_string(in))
				return false;
			break;
		case 't':
			if (!json_literal(in, "true"))
				return false;
			break;
		case 'f':
			if (!json_literal(in, "false"))
				return false;
			break;
		case 'n':
			if (!json_literal(in, "null"))
				return false;
			break;
		default:
			if (!json_number(in))
				return false;
			break;
		}
		/* a value ended: close containers or go on to the next member */
		for (;;) {
			if (depth == 0)
				return true;
			skip_ws(in);
			if (in->p >= in->end)
				return false;
			if (*in->p == (stack[depth - 1] == '{' ? '}' : ']')) {
				in->p++;
				depth--;
				continue;
			}
			if (*in->p++ != ',')
				return false;
			if (stack[depth - 1] == '{') {
				skip_ws(in);
				if (in->p >= in->end || *in->p != '"' ||
				    !json_string(in))
					return false;
				skip_ws(in);
				if (in->p >= in->end || *in->p++ != ':')
					return false;
			}
			break;
		}
	}
}

/* The whole buffer is exactly one JSON object, nothing before or after
 * (the caller prints a newline after it, so none may be inside). */
static void
check_json(const struct tg_buf *json)
{
	struct json_in in;

	if (json->overflow)
		fail("JSON buffer overflowed", json);
	if (json->len == 0 || json->data == NULL)
		fail("empty JSON", json);
	if (strlen(json->data) != json->len)
		fail("NUL byte in JSON", json);
	if (!utf8_valid((const unsigned char *)json->data, json->len))
		fail("JSON is not valid UTF-8", json);
	if (json->data[0] != '{')
		fail("JSON does not start with an object", json);
	in.p = (const unsigned char *)json->data;
	in.end = in.p + json->len;
	if (!json_value(&in))
		fail("malformed JSON", json);
	if (in.p != in.end)
		fail("bytes after the JSON object", json);
}

static void
parse_and_check(const uint8_t *data, size_t size, const struct tg_limits *lim)
{
	struct tg_pool *pool = tg_pool_new(64 * 1024);
	struct tg_message *msg = NULL;
	struct tg_buf json;

	tg_message_parse(pool, (const char *)data, size, lim, &msg);
	if (msg == NULL)
		abort();
	tg_buf_init(&json, 4096, 0);
	tg_message_to_json(msg, &json);
	check_json(&json);
	tg_buf_deinit(&json);

	/* what `ticketgate parse` and the pipeline run next on the same
	 * message: classification (bounce reports parse embedded parts) and
	 * reply extraction */
	struct tg_classification cls;
	struct tg_buf reply;

	tg_classify(pool, msg, NULL, &cls);
	if (cls.n_failed_recipients > 0 && cls.failed_recipients == NULL)
		abort();
	tg_buf_init(&reply, 0, 0);
	tg_reply_extract(msg->text, msg->text_len, &reply);
	if (reply.len > msg->text_len)
		abort(); /* the reply is a selection of the text's lines */
	tg_buf_deinit(&reply);
	tg_pool_free(&pool);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_limits lim;

	tg_limits_init_default(&lim);
	parse_and_check(data, size, &lim);

	/* Small enough that typical inputs cross every limit. */
	lim.message_bytes = 16 * 1024;
	lim.header_bytes = 2048;
	lim.header_count = 8;
	lim.header_line_bytes = 256;
	lim.mime_depth = 3;
	lim.mime_parts = 8;
	parse_and_check(data, size, &lim);
	return 0;
}
