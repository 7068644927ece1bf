/* `ticketgate parse FILE...`: prints each message as one JSON object per
 * line. The same parser the ingest pipeline uses. */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/classify.h"
#include "ticketgate/json.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"
#include "ticketgate/reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads at most max + 1 bytes, so that an oversized message is seen as
 * such without reading all of it. */
static int
read_message(const char *path, size_t max, struct tg_buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return -1;
	while (out->len <= max &&
	       (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (n > max + 1 - out->len)
			n = max + 1 - out->len;
		tg_buf_append(out, chunk, n);
	}
	if (ferror(f)) {
		int e = errno;

		if (f != stdin)
			fclose(f);
		errno = e;
		return -1;
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/* The pipeline's view beyond the message itself: the new text of a reply,
 * the class and, for a bounce, what it bounced. Spliced in before the
 * object's closing brace. */
static void
append_pipeline(struct tg_buf *json, const struct tg_message *m,
		const struct tg_classification *c)
{
	struct tg_buf reply;

	tg_buf_init(&reply, m->text_len + 1, 0);
	tg_reply_extract(m->text, m->text_len, &reply);
	json->len--; /* the closing '}' */
	tg_buf_puts(json, ",\"reply_text\":");
	tg_json_string(json, tg_buf_cstr(&reply), reply.len);
	tg_buf_deinit(&reply);
	tg_buf_puts(json, ",\"class\":");
	tg_json_cstring(json, tg_mail_class_name(c->cls));
	tg_buf_puts(json, ",\"class_reason\":");
	tg_json_cstring(json, c->reason);
	if (c->cls == TG_CLASS_BOUNCE) {
		tg_buf_puts(json, ",\"bounce\":{\"message_id\":");
		tg_json_cstring(json, c->bounced_message_id);
		tg_buf_puts(json, ",\"recipients\":[");
		for (size_t i = 0; i < c->n_failed_recipients; i++) {
			if (i > 0)
				tg_buf_putc(json, ',');
			tg_json_cstring(json, c->failed_recipients[i]);
		}
		tg_buf_puts(json, "],\"status\":");
		tg_json_cstring(json, c->bounce_status);
		tg_buf_puts(json, ",\"diagnostic\":");
		tg_json_cstring(json, c->bounce_diagnostic);
		tg_buf_putc(json, '}');
	}
	tg_buf_putc(json, '}');
}

int
tg_cmd_parse(int argc, char **argv)
{
	struct tg_limits lim;
	struct tg_buf raw, json;
	int status = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ticketgate parse FILE... (- for stdin)\n");
		return 2;
	}
	tg_limits_init_default(&lim);
	tg_buf_init(&json, 4096, 0);
	for (int i = 1; i < argc; i++) {
		struct tg_pool *pool;
		struct tg_message *msg;
		struct tg_classification cls;

		tg_buf_init(&raw, 0, 0);
		if (read_message(argv[i], lim.message_bytes, &raw) < 0) {
			fprintf(stderr, "ticketgate parse: %s: %s\n", argv[i],
				strerror(errno));
			status = 1;
			tg_buf_deinit(&raw);
			continue;
		}
		pool = tg_pool_new(64 * 1024);
		tg_message_parse(pool, tg_buf_cstr(&raw), raw.len, &lim, &msg);
		tg_classify(pool, msg, NULL, &cls);
		tg_buf_reset(&json);
		tg_message_to_json(msg, &json);
		append_pipeline(&json, msg, &cls);
		tg_buf_putc(&json, '\n');
		fwrite(json.data, 1, json.len, stdout);
		tg_pool_free(&pool);
		tg_buf_deinit(&raw);
	}
	tg_buf_deinit(&json);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}
