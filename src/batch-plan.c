/* Cutting new mail into batches by count and bytes (batch-plan.h). */
#include "ticketgate/batch-plan.h"

size_t
tg_batch_plan(const uint32_t *sizes, size_t n, size_t max_count,
	      uint64_t max_bytes, size_t *ends)
{
	size_t n_batches = 0, count = 0;
	uint64_t bytes = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t size = sizes != NULL ? sizes[i] : 0;

		if (count > 0 &&
		    (count >= max_count || bytes + size > max_bytes)) {
			ends[n_batches++] = i;
			count = 0;
			bytes = 0;
		}
		count++;
		bytes += size;
	}
	if (count > 0)
		ends[n_batches++] = n;
	return n_batches;
}
