/* Block-based memory pool: allocations are carved from large blocks and
 * released together. Large requests get a block of their own. */
#include "ticketgate/pool.h"
#include "ticketgate/util.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pool_block {
	struct pool_block *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct adopted {
	struct adopted *next;
	void *ptr;
};

struct tg_pool {
	struct pool_block *blocks;
	struct adopted *adopted;
	size_t block_size;
	size_t used;
};

#define ALIGN_UP(n) (((n) + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1))

static struct pool_block *
block_new(size_t size)
{
	struct pool_block *b;

	/* bounds: header + size must not wrap */
	if (size > SIZE_MAX - sizeof(*b))
		abort();
	b = tg_xmalloc(sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct tg_pool *
tg_pool_new(size_t block_size)
{
	struct tg_pool *p = tg_xcalloc(1, sizeof(*p));

	p->block_size = block_size < 1024 ? 1024 : block_size;
	return p;
}

void
tg_pool_free(struct tg_pool **pp)
{
	struct tg_pool *p = *pp;

	if (p == NULL)
		return;
	/* the adopted list lives in the blocks: walk it before freeing them */
	for (struct adopted *a = p->adopted; a != NULL; a = a->next)
		free(a->ptr);
	for (struct pool_block *b = p->blocks, *next; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(p);
	*pp = NULL;
}

void *
tg_pool_alloc(struct tg_pool *p, size_t n)
{
	struct pool_block *b = p->blocks;
	size_t need = ALIGN_UP(n ? n : 1);
	void *ret;

	if (need < n)
		abort();
	if (need > p->block_size / 4) {
		/* A large allocation gets its own block, kept behind the
		 * current one so the current one keeps serving small ones. */
		struct pool_block *big = block_new(need);

		if (b != NULL) {
			big->next = b->next;
			b->next = big;
		} else {
			p->blocks = big;
		}
		big->used = need;
		p->used += need;
		memset(big->data, 0, need);
		return big->data;
	}
	if (b == NULL || b->size - b->used < need) {
		b = block_new(p->block_size);
		b->next = p->blocks;
		p->blocks = b;
	}
	ret = b->data + b->used;
	b->used += need;
	p->used += need;
	memset(ret, 0, need);
	return ret;
}

void *
tg_pool_alloc_array(struct tg_pool *p, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		abort();
	return tg_pool_alloc(p, total);
}

char *
tg_pool_strndup(struct tg_pool *p, const char *s, size_t n)
{
	char *d = tg_pool_alloc(p, n + 1);

	if (n > 0)
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
tg_pool_strdup(struct tg_pool *p, const char *s)
{
	return tg_pool_strndup(p, s, strlen(s));
}

size_t
tg_pool_used(const struct tg_pool *p)
{
	return p->used;
}

void
tg_pool_adopt(struct tg_pool *p, void *ptr)
{
	struct adopted *a = tg_pool_alloc(p, sizeof(*a));

	a->ptr = ptr;
	a->next = p->adopted;
	p->adopted = a;
}
