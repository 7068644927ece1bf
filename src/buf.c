/* Growable byte buffer with a hard cap (see buf.h). */
#include "ticketgate/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
tg_buf_init(struct tg_buf *b, size_t initial, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX - 1;
	b->overflow = false;
	if (initial > 0) {
		b->data = tg_xmalloc(initial);
		b->cap = initial;
		b->data[0] = '\0';
	}
}

void
tg_buf_deinit(struct tg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
tg_buf_reset(struct tg_buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the NUL. */
static int
reserve(struct tg_buf *b, size_t n)
{
	size_t need;

	/* bounds: len + n + 1 must not wrap and must respect max */
	if (__builtin_add_overflow(b->len, n, &need) || need > b->max) {
		b->overflow = true;
		return -1;
	}
	need++;
	if (need > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		b->data = tg_xrealloc(b->data, cap);
		b->cap = cap;
	}
	return 0;
}

int
tg_buf_append(struct tg_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
tg_buf_putc(struct tg_buf *b, int c)
{
	char ch = (char)c;

	return tg_buf_append(b, &ch, 1);
}

int
tg_buf_puts(struct tg_buf *b, const char *s)
{
	return tg_buf_append(b, s, strlen(s));
}

int
tg_buf_appendf(struct tg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
tg_buf_put_utf8(struct tg_buf *b, unsigned cp)
{
	char s[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xC0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xE0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		s[0] = (char)(0xF0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		s[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return tg_buf_append(b, s, n);
}

const char *
tg_buf_cstr(const struct tg_buf *b)
{
	return b->data != NULL ? b->data : "";
}

char *
tg_buf_detach(struct tg_buf *b, size_t *len_r)
{
	char *p = b->data != NULL ? b->data : tg_xstrdup("");

	if (len_r != NULL)
		*len_r = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}
