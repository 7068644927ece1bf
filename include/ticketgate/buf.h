/* Growable byte buffer with a hard cap. The struct is embedded by the
 * caller; data is always NUL-terminated after the last byte so it can be
 * read as a C string when it holds text. */
#ifndef TICKETGATE_BUF_H
#define TICKETGATE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/util.h"

struct tg_buf {
	char *data;     /* NULL until the first append */
	size_t len;     /* bytes used, excluding the terminating NUL */
	size_t cap;     /* bytes allocated */
	size_t max;     /* hard cap on len; appends past it fail */
	bool overflow;  /* an append was refused because of max */
};

/* max 0 means no cap beyond SIZE_MAX. */
void tg_buf_init(struct tg_buf *b, size_t initial, size_t max);
void tg_buf_deinit(struct tg_buf *b);
void tg_buf_reset(struct tg_buf *b);

/* Each returns 0, or -1 (and sets overflow, appends nothing) when the
 * result would exceed max. */
int tg_buf_append(struct tg_buf *b, const void *p, size_t n);
int tg_buf_putc(struct tg_buf *b, int c);
int tg_buf_puts(struct tg_buf *b, const char *s);
int tg_buf_appendf(struct tg_buf *b, const char *fmt, ...) TG_PRINTF(2, 3);
/* Appends the code point cp encoded as UTF-8. */
int tg_buf_put_utf8(struct tg_buf *b, unsigned cp);

/* "" when empty, else data. Borrowed. */
const char *tg_buf_cstr(const struct tg_buf *b);
/* Hands data over to the caller (free()); the buffer becomes empty. */
char *tg_buf_detach(struct tg_buf *b, size_t *len_r);

#endif
