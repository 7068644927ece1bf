/* Small helpers every module uses: allocation that never returns NULL,
 * array length, attributes. */
#ifndef TICKETGATE_UTIL_H
#define TICKETGATE_UTIL_H

#include <stddef.h>

#define TG_N(a) (sizeof(a) / sizeof((a)[0]))
#define TG_MUST_CHECK __attribute__((warn_unused_result))
#define TG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocation failures abort: input limits keep them a bug, not something a
 * sender can trigger. */
void *tg_xmalloc(size_t n);
void *tg_xcalloc(size_t n, size_t size);
void *tg_xrealloc(void *p, size_t n);
char *tg_xstrdup(const char *s);
char *tg_xstrndup(const char *s, size_t n);

/* ASCII-only case helpers: locale-independent, safe on 8-bit bytes. */
int tg_ascii_tolower(int c);
int tg_ascii_strcasecmp(const char *a, const char *b);
int tg_ascii_strncasecmp(const char *a, const char *b, size_t n);
int tg_ascii_isspace(int c);

/* Milliseconds of the monotonic clock: for timeouts and durations. */
long long tg_now_ms(void);

#endif
