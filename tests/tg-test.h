/* Minimal unit-test harness: each check prints a line on failure and the
 * program's exit status says whether all passed. A test binary that ran
 * no check fails, so a suite cannot silently assert nothing. */
#ifndef TG_TEST_H
#define TG_TEST_H

#include <stdio.h>
#include <string.h>

static int tg_test_checks;
static int tg_test_failures;

#define TG_CHECK(cond)                                                        \
	do {                                                                  \
		tg_test_checks++;                                             \
		if (!(cond)) {                                                \
			tg_test_failures++;                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n",          \
				__FILE__, __LINE__, #cond);                   \
		}                                                             \
	} while (0)

/* Compares two C strings (either may be NULL); idx names the table row. */
#define TG_CHECK_STREQ_IDX(got, want, idx)                                    \
	do {                                                                  \
		const char *g_ = (got), *w_ = (want);                         \
		tg_test_checks++;                                             \
		if ((g_ == NULL) != (w_ == NULL) ||                           \
		    (g_ != NULL && strcmp(g_, w_) != 0)) {                    \
			tg_test_failures++;                                   \
			fprintf(stderr,                                       \
				"%s:%d: case %d: got \"%s\", want \"%s\"\n",  \
				__FILE__, __LINE__, (int)(idx),               \
				g_ ? g_ : "(null)", w_ ? w_ : "(null)");      \
		}                                                             \
	} while (0)

#define TG_CHECK_STREQ(got, want) TG_CHECK_STREQ_IDX(got, want, -1)

#define TG_CHECK_MEMEQ(got, glen, want, wlen)                                 \
	do {                                                                  \
		tg_test_checks++;                                             \
		if ((glen) != (wlen) || memcmp((got), (want), (wlen)) != 0) { \
			tg_test_failures++;                                   \
			fprintf(stderr, "%s:%d: bytes differ (%zu vs %zu)\n", \
				__FILE__, __LINE__, (size_t)(glen),           \
				(size_t)(wlen));                              \
		}                                                             \
	} while (0)

static inline int
tg_test_done(void)
{
	if (tg_test_checks == 0) {
		fprintf(stderr, "no checks ran\n");
		return 1;
	}
	printf("%d checks, %d failed\n", tg_test_checks, tg_test_failures);
	return tg_test_failures == 0 ? 0 : 1;
}

#endif
