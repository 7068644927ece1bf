/* The wake-up hint's parser: statuses for good and bad heads, decoding
 * of the names, an incomplete head asking for more at every cut, and
 * matching names to mailboxes. */
#include "tg-test.h"
#include "ticketgate/util.h"
#include "ticketgate/wake.h"

#include <stdlib.h>
#include <string.h>

#define H "Host: 127.0.0.1:8119\r\n"

static const struct {
	const char *in;
	int status;
	const char *user, *mailbox; /* NULL: absent */
	size_t length;
} cases[] = {
	{"POST /wake?user=support%40example.test&mailbox=INBOX HTTP/1.1\r\n" H
	 "Content-Length: 0\r\nConnection: Keep-Alive\r\n\r\n",
	 204, "support@example.test", "INBOX", 0},
	{"POST /wake HTTP/1.0\r\n\r\n", 204, NULL, NULL, 0},
	{"POST /wake?mailbox=Support+Desk/%C3%A9t%c3%a9 HTTP/1.1\r\n\r\n", 204,
	 NULL, "Support Desk/\xc3\xa9t\xc3\xa9", 0},
	{"POST /wake?user=a&x=1&&mailbox= HTTP/1.1\r\n" H
	 "content-length:  12 \r\n\r\n",
	 204, "a", "", 12},
	{"POST /wake?user HTTP/1.1\r\n\r\n", 204, "", NULL, 0},
	/* refusals */
	{"GET /wake HTTP/1.1\r\n\r\n", 405, NULL, NULL, 0},
	{"POST /other HTTP/1.1\r\n\r\n", 404, NULL, NULL, 0},
	{"POST /wakeup HTTP/1.1\r\n\r\n", 404, NULL, NULL, 0},
	{"POST /wake HTTP/2.0\r\n\r\n", 505, NULL, NULL, 0},
	{"POST /wake FTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake?user=a%0d%0aX: HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake?user=a%00b HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake?user=a%4 HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake?user=a%zz HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake?user=a&user=b HTTP/1.1\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake HTTP/1.1\r\nno colon\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake HTTP/1.1\r\nBare: lf\n\r\n\r\n", 400, NULL, NULL, 0},
	{"POST /wake HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
	 400, NULL, NULL, 0},
	{"POST /wake HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, NULL, NULL,
	 0},
	{"POST /wake HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413, NULL,
	 NULL, 0},
	{"POST /wake HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n"
	 "\r\n",
	 413, NULL, NULL, 0},
	{"POST /wake HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411, NULL,
	 NULL, 0},
};

static void
check_case(size_t i)
{
	struct tg_wake_req r;
	const char *in = cases[i].in;
	size_t len = strlen(in);
	int st = tg_wake_parse(in, len, &r);

	tg_test_checks++;
	if (st != cases[i].status) {
		tg_test_failures++;
		fprintf(stderr, "case %zu: status %d, want %d\n", i, st,
			cases[i].status);
		return;
	}
	if (st != 204)
		return;
	TG_CHECK(r.head_len == len);
	TG_CHECK(r.content_length == cases[i].length);
	TG_CHECK(r.has_user == (cases[i].user != NULL));
	TG_CHECK(r.has_mailbox == (cases[i].mailbox != NULL));
	TG_CHECK_STREQ_IDX(r.has_user ? r.user : NULL, cases[i].user, i);
	TG_CHECK_STREQ_IDX(r.has_mailbox ? r.mailbox : NULL, cases[i].mailbox,
			   i);
	/* every shorter prefix is incomplete, not wrong */
	for (size_t n = 0; n < len; n++)
		if (tg_wake_parse(in, n, &r) != 0) {
			TG_CHECK(!"a prefix was not incomplete");
			break;
		}
}

/* The head is read up to its end only: a body after it is not parsed. */
static void
check_body_follows(void)
{
	const char *in = "POST /wake?user=u HTTP/1.1\r\nContent-Length: 5\r\n"
			 "\r\nhello";
	struct tg_wake_req r;

	TG_CHECK(tg_wake_parse(in, strlen(in), &r) == 204);
	TG_CHECK(r.head_len == strlen(in) - 5);
	TG_CHECK(r.content_length == 5);
}

static void
check_limits(void)
{
	struct tg_wake_req r;
	size_t n = TG_WAKE_HEAD_MAX + 10;
	char *big = tg_xmalloc(n + 1);
	char name[TG_WAKE_NAME_MAX + 64];

	/* a head that never ends */
	memset(big, 'a', n);
	memcpy(big, "POST /wake HTTP/1.1\r\nX: ", 24);
	TG_CHECK(tg_wake_parse(big, TG_WAKE_HEAD_MAX - 1, &r) == 0);
	TG_CHECK(tg_wake_parse(big, TG_WAKE_HEAD_MAX, &r) == 431);
	/* one that ends past the limit */
	memcpy(big + n - 4, "\r\n\r\n", 4);
	TG_CHECK(tg_wake_parse(big, n, &r) == 431);
	free(big);

	/* the longest name fits, one more byte does not */
	memset(name, 0, sizeof(name));
	strcpy(name, "POST /wake?user=");
	memset(name + 16, 'u', TG_WAKE_NAME_MAX - 1);
	strcat(name, " HTTP/1.1\r\n\r\n");
	TG_CHECK(tg_wake_parse(name, strlen(name), &r) == 204);
	TG_CHECK(strlen(r.user) == TG_WAKE_NAME_MAX - 1);
	memset(name, 0, sizeof(name));
	strcpy(name, "POST /wake?user=");
	memset(name + 16, 'u', TG_WAKE_NAME_MAX);
	strcat(name, " HTTP/1.1\r\n\r\n");
	TG_CHECK(tg_wake_parse(name, strlen(name), &r) == 414);
}

static void
check_matching(void)
{
	struct tg_wake_req r;
	const char *in = "POST /wake?user=Support%40Example.test&mailbox=inbox"
			 " HTTP/1.1\r\n\r\n";

	TG_CHECK(tg_wake_parse(in, strlen(in), &r) == 204);
	TG_CHECK(tg_wake_matches(&r, "support@example.test", "INBOX"));
	TG_CHECK(!tg_wake_matches(&r, "support@example.test", "Sales"));
	TG_CHECK(!tg_wake_matches(&r, "sales@example.test", "INBOX"));

	in = "POST /wake?mailbox=Sales HTTP/1.1\r\n\r\n";
	TG_CHECK(tg_wake_parse(in, strlen(in), &r) == 204);
	TG_CHECK(tg_wake_matches(&r, "anyone", "Sales"));
	TG_CHECK(!tg_wake_matches(&r, "anyone", "sales"));
	TG_CHECK(!tg_wake_matches(&r, "anyone", "INBOX"));

	in = "POST /wake HTTP/1.1\r\n\r\n";
	TG_CHECK(tg_wake_parse(in, strlen(in), &r) == 204);
	TG_CHECK(tg_wake_matches(&r, "anyone", "Anything"));

	TG_CHECK_STREQ(tg_wake_reason(204), "No Content");
	TG_CHECK_STREQ(tg_wake_reason(431), "Request Header Fields Too Large");
}

int
main(void)
{
	for (size_t i = 0; i < TG_N(cases); i++)
		check_case(i);
	check_body_follows();
	check_limits();
	check_matching();
	return tg_test_done();
}
