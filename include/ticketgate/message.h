/* The parsed message: what the ingest pipeline works on and what
 * `ticketgate parse` prints. Parses untrusted input. */
#ifndef TICKETGATE_MESSAGE_H
#define TICKETGATE_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ticketgate/address.h"
#include "ticketgate/buf.h"
#include "ticketgate/pool.h"

/* Limits on untrusted input. Over a limit the parser keeps what fits and
 * sets the matching TG_LIMIT_* bit in tg_message.limits_hit. */
struct tg_limits {
	size_t message_bytes;     /* whole message */
	size_t header_bytes;      /* one header block */
	size_t header_count;      /* fields in one header block */
	size_t header_line_bytes; /* one unfolded field */
	unsigned mime_depth;      /* nesting of multiparts */
	size_t mime_parts;        /* parts in the whole message */
};

#define TG_LIMIT_MESSAGE_BYTES 0x01u
#define TG_LIMIT_HEADER_BYTES 0x02u
#define TG_LIMIT_HEADER_COUNT 0x04u
#define TG_LIMIT_HEADER_LINE 0x08u
#define TG_LIMIT_MIME_DEPTH 0x10u
#define TG_LIMIT_MIME_PARTS 0x20u

/* 25 MiB, 1 MiB, 1000, 512 KiB, 32, 1000. */
void tg_limits_init_default(struct tg_limits *lim);

/* One header field as it appears in the source, unfolded. */
struct tg_header {
	const char *name; /* pool string, as written */
	const char *value; /* pool string: raw bytes, line breaks removed */
	size_t value_len;
};

enum tg_text_source {
	TG_TEXT_NONE,
	TG_TEXT_PLAIN,
	TG_TEXT_HTML,
};

struct tg_attachment {
	const char *filename;     /* UTF-8, or NULL */
	const char *content_type; /* lowercase type/subtype */
	const char *content_id;   /* without <>, or NULL */
	bool inline_disposition;
	const unsigned char *data; /* transfer-decoded bytes (pool) */
	size_t size;
	unsigned char sha256[32];
};

struct tg_message {
	struct tg_header *headers; /* top-level header block, in order */
	size_t n_headers;

	const char *message_id; /* "" if none */
	char **in_reply_to;
	size_t n_in_reply_to;
	char **references;
	size_t n_references;
	struct tg_addr *from; /* NULL if none */
	struct tg_addr *to, *cc, *reply_to;
	size_t n_to, n_cc, n_reply_to;
	const char *subject; /* decoded, whitespace collapsed, "" if none */
	bool has_date;
	int64_t date; /* UTC seconds */

	const char *text; /* chosen body as UTF-8 */
	size_t text_len;
	enum tg_text_source text_source;

	struct tg_attachment *attachments;
	size_t n_attachments;

	unsigned limits_hit; /* TG_LIMIT_* bits */
	size_t raw_size;
};

/* Parses raw[0..len) into *msg_r, allocated from pool. Never fails: bad
 * input gives a best-effort message (limits_hit tells what was cut). The
 * raw bytes must outlive nothing: everything kept is copied to pool. */
void tg_message_parse(struct tg_pool *pool, const char *raw, size_t len,
		      const struct tg_limits *lim, struct tg_message **msg_r);

/* The value of the first header called name (case-insensitive), or NULL. */
const struct tg_header *tg_message_header(const struct tg_message *m,
					  const char *name);

/* Appends the message as one JSON object (no newline) to out. */
void tg_message_to_json(const struct tg_message *m, struct tg_buf *out);

#endif
