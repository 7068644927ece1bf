/* Internals shared by the parameter parser's files (param.c and
 * param-*.c), not part of the API: the parser's state and the helpers
 * more than one of its stages uses. See param.c for the overall design.
 */
#ifndef TICKETGATE_PARAM_PRIVATE_H
#define TICKETGATE_PARAM_PRIVATE_H

#include "ticketgate/buf.h"
#include "ticketgate/param.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stddef.h>

/* Python's str.isspace() on ASCII (raw 8-bit bytes are never spaces). */
static inline bool
param_py_space(unsigned char c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static inline int
param_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tg_ascii_tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A string being parsed; for the main value also the sorted positions of
 * '?' and "?=", so encoded-word extents are found by binary search and
 * never by rescanning the rest of the value. */
struct view {
	const char *s;
	size_t n;
	size_t *q, nq, *qe, nqe;
};

struct span {
	size_t off, len; /* into parser.arena */
	bool raw8;       /* holds 8-bit bytes taken from the input as is */
};

/* One parameter as the first stage sees it. */
struct sparam {
	struct span name, digits, charset, value;
	bool sectioned, extended, has_charset;
	size_t order;
};

/* Charset conversions one header may spend on decoding bytes character
 * by character (see param_decode_bytes): a bound that keeps hostile input
 * linear. */
#define STEP_BUDGET 4096

struct parser {
	struct tg_buf arena;  /* every string a span points to */
	struct tg_buf render; /* the header as stage one renders it */
	struct sparam *ps;
	size_t nps, cap;
	struct tg_buf scratch; /* output nobody reads */
	bool mime;            /* a parameter list was started */
	size_t step_budget;   /* charset conversions left for stepping */
};

/* Sorting index arrays with a context (qsort has none): stable. */
typedef int (*param_cmp_fn)(const void *ctx, size_t a, size_t b);

/* param.c: stage one's grammar, helpers the rendering and stage two use */
void param_quote_into(struct tg_buf *out, const char *s, size_t n);
struct span param_span_copy(struct parser *p, const char *s, size_t n,
			    bool strip);

/* param-rfc2047.c: encoded words inside values */
void param_view_init(struct view *v, const char *s, size_t n, bool index);
bool param_ew_at(const struct view *v, size_t i, size_t *tok_end, size_t *end);
bool param_ew_decode(struct parser *p, const struct view *v, size_t i,
		     size_t tok_end, struct tg_buf *out, bool *raw8);

/* param-rfc2231.c: charset decoding, sections joined, stage one's string */
void param_merge_sort(size_t *v, size_t n, param_cmp_fn cmp, const void *ctx);
int param_bytes_cmp(const char *a, size_t al, const char *b, size_t bl);
unsigned long long param_digits_value(const char *d, size_t n, const char **sig,
				      size_t *sig_len);
bool param_charset_label(const char *s, size_t n, char *buf, size_t size);
bool param_decode_bytes(struct parser *p, const char *cs, bool known,
			const char *b, size_t n, struct tg_buf *out,
			bool *raw8);
void param_render_params(struct parser *p);

/* param-reparse.c: stage two, Message.get_param() */
void param_ustrip(const char *s, size_t *a, size_t *b);
char *param_pool_text(struct tg_pool *pool, const char *s, size_t n);
void param_collect(struct parser *p, struct tg_pool *pool,
		   struct tg_hvalue *hv);

#endif
