/* Unit tests for ratings in replies to the feedback request. */
#include "ticketgate/rating.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <string.h>

int
main(void)
{
	static const struct {
		const char *text;
		int rating;
		const char *rest;
	} cases[] = {
		{"5", 5, ""},
		{"  4/5\n", 4, ""},
		{"3 stars!", 3, ""},
		{"Good", 4, ""},
		{"good.\n\nThanks, Alice\n", 4, "Thanks, Alice\n"},
		{"Muito bom!", 5, ""},
		{"\xc3\xb3timo", 5, ""},
		{"mau", 2, ""},
		{"P\xc3\xa9ssimo.", 1, ""},
		{"very bad", 1, ""},
		{"1 estrela", 1, ""},
		/* not ratings: the caller treats them as ordinary replies */
		{"6", 0, NULL},
		{"0", 0, NULL},
		{"42", 0, NULL},
		{"Good morning, the problem is back.", 0, NULL},
		{"The printer jams again", 0, NULL},
		{"", 0, NULL},
		{"\n\n", 0, NULL},
	};

	for (size_t i = 0; i < TG_N(cases); i++) {
		const char *rest;
		int r = tg_rating_parse(cases[i].text, &rest);

		TG_CHECK(r == cases[i].rating);
		if (cases[i].rest != NULL)
			TG_CHECK_STREQ_IDX(rest, cases[i].rest, (int)i);
	}
	return tg_test_done();
}
