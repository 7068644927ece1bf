/* How a mailbox's new mail is cut into batches: at most max_count
 * messages and, as far as the server's sizes tell, max_bytes each, so
 * that the two batches a drain holds at once stay small whatever the
 * mail is. A message bigger than max_bytes is a batch of its own. */
#ifndef TICKETGATE_BATCH_PLAN_H
#define TICKETGATE_BATCH_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* What a batch may hold of raw mail, as the server counts it. */
#define TG_BATCH_BYTES_MAX (32u * 1024 * 1024)

/* Writes into ends[] the index after each batch of sizes[0..n) (NULL:
 * sizes unknown, count alone) and returns how many batches: 0 when n is
 * 0. ends must have room for n entries; max_count is at least 1. */
size_t tg_batch_plan(const uint32_t *sizes, size_t n, size_t max_count,
		     uint64_t max_bytes, size_t *ends);

#endif
