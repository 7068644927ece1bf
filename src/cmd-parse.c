/* `ticketgate parse FILE...`: prints each message as one JSON object per
 * line. The same parser the ingest pipeline uses. */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"

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
		tg_buf_reset(&json);
		tg_message_to_json(msg, &json);
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
