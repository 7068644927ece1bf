/* Cutting new mail into batches: by count, by bytes, a message over the
 * byte budget alone, sizes unknown, nothing to cut. */
#include "tg-test.h"
#include "ticketgate/batch-plan.h"
#include "ticketgate/util.h"

#include <stdio.h>

/* The plan as "end,end,..." */
static const char *
plan(const uint32_t *sizes, size_t n, size_t max_count, uint64_t max_bytes)
{
	static char out[256];
	size_t ends[32], k, len = 0;

	k = tg_batch_plan(sizes, n, max_count, max_bytes, ends);
	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%zu",
					i > 0 ? "," : "", ends[i]);
	return out;
}

int
main(void)
{
	static const uint32_t small[7] = {10, 10, 10, 10, 10, 10, 10};
	static const uint32_t mixed[6] = {5, 50, 5, 5, 100, 5};
	static const uint32_t huge[3] = {4000000000u, 4000000000u, 1};

	TG_CHECK_STREQ(plan(small, 7, 3, 1000), "3,6,7");
	TG_CHECK_STREQ(plan(small, 7, 100, 1000), "7");
	TG_CHECK_STREQ(plan(small, 7, 1, 1000), "1,2,3,4,5,6,7");
	/* bytes: 5+50+5 fill 60 exactly, the next 5 would not... */
	TG_CHECK_STREQ(plan(mixed, 6, 100, 60), "3,4,5,6");
	/* ... and 100 alone is over the budget: a batch of its own */
	TG_CHECK_STREQ(plan(mixed, 6, 100, 10), "1,2,4,5,6");
	/* sums beyond 32 bits do not wrap */
	TG_CHECK_STREQ(plan(huge, 3, 100, 5000000000u), "1,3");
	TG_CHECK_STREQ(plan(NULL, 5, 2, 1), "2,4,5");
	TG_CHECK_STREQ(plan(small, 0, 3, 1000), "");
	TG_CHECK_STREQ(plan(small, 1, 3, 1), "1");
	return tg_test_done();
}
