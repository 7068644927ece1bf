/* Memory pool: everything derived from one message is allocated here and
 * released in one call, so error paths cannot leak. */
#ifndef TICKETGATE_POOL_H
#define TICKETGATE_POOL_H

#include <stddef.h>

struct tg_pool;

struct tg_pool *tg_pool_new(size_t block_size);
/* Frees the pool and everything allocated from it; sets *pp to NULL. */
void tg_pool_free(struct tg_pool **pp);

/* Zeroed memory aligned for any type; never NULL (aborts on OOM). */
void *tg_pool_alloc(struct tg_pool *p, size_t n);
void *tg_pool_alloc_array(struct tg_pool *p, size_t n, size_t size);
char *tg_pool_strdup(struct tg_pool *p, const char *s);
/* Copies n bytes and appends a NUL. */
char *tg_pool_strndup(struct tg_pool *p, const char *s, size_t n);
/* Takes ownership of malloc'd ptr: it is freed with the pool. Lets large
 * buffers join a pool without being copied. */
void tg_pool_adopt(struct tg_pool *p, void *ptr);
/* Bytes handed out so far (for limits and tests). */
size_t tg_pool_used(const struct tg_pool *p);

#endif
