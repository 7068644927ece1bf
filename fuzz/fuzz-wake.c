/* libFuzzer target for the wake-up hint's parser (src/wake.c): anyone who
 * reaches the listener's port writes its input. The status must be 0 or
 * one the listener answers with; a hint's head must end where the parser
 * says, its names must be NUL-terminated without control characters, its
 * body within the limit; and a prefix that is already complete must give
 * the whole input's answer, as the listener parses after every read. */
#include "ticketgate/wake.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz-wake: %s\n", what);
	abort();
}

static bool
known_status(int st)
{
	static const int ok[] = {0, 204, 400, 404, 405, 411, 413, 414, 431, 505};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (st == ok[i])
			return true;
	return false;
}

static void
check_name(const char *name)
{
	size_t n = strnlen(name, TG_WAKE_NAME_MAX);

	if (n == TG_WAKE_NAME_MAX)
		fail("a name without its NUL");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			fail("a control character in a name");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct tg_wake_req r, rp;
	int st = tg_wake_parse(in, size, &r), sp;
	size_t cut;

	if (!known_status(st) || !strcmp(tg_wake_reason(st), ""))
		fail("an unknown status");
	if (st == 204) {
		if (r.head_len < 4 || r.head_len > size ||
		    r.head_len > TG_WAKE_HEAD_MAX ||
		    memcmp(in + r.head_len - 4, "\r\n\r\n", 4) != 0)
			fail("the head does not end at head_len");
		if (r.content_length > TG_WAKE_BODY_MAX)
			fail("a body over the limit");
		check_name(r.user);
		check_name(r.mailbox);
		(void)tg_wake_matches(&r, "support@example.com", "INBOX");
	}
	if (size == 0)
		return 0;
	cut = (size_t)data[0] % size;
	sp = tg_wake_parse(in, cut, &rp);
	if (sp != 0 && sp != st)
		fail("a complete prefix answered otherwise than the whole");
	return 0;
}
