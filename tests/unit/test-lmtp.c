/* The LMTP state machine: replies and their codes, sequence errors, line
 * and size limits, the DATA decoder, and the same results however the
 * input is cut into chunks. */
#include "tg-test.h"
#include "ticketgate/lmtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool
known(const void *ctx, const char *addr)
{
	(void)ctx;
	return tg_ascii_strcasecmp(addr, "support@example.com") == 0 ||
	       tg_ascii_strcasecmp(addr, "gdpr@example.com") == 0;
}

/* Runs a whole conversation, fed in chunks of the sizes cut() gives, and
 * writes into t everything the server said, with each delivered message
 * as "[MSG rcpts|bytes|too_big|data]". Each recipient is answered 250. */
struct cutter {
	uint32_t state; /* 0: everything at once */
	size_t fixed;   /* nonzero: chunks of this size */
	size_t at;      /* nonzero: one cut there */
};

static size_t
cut(struct cutter *c, size_t left)
{
	size_t n;

	if (c->at > 0) {
		n = c->at;
		c->at = SIZE_MAX; /* then the rest */
	} else if (c->fixed > 0)
		n = c->fixed;
	else if (c->state == 0)
		n = left;
	else {
		c->state = c->state * 1103515245u + 12345u;
		n = 1 + (c->state >> 16) % 7;
	}
	return n < left ? n : left;
}

static void
flush(struct tg_lmtp *s, struct tg_buf *t)
{
	(void)tg_buf_append(t, s->out.data, s->out.len);
	tg_buf_reset(&s->out);
}

static void
converse(const char *in, size_t len, size_t max, struct cutter *c,
	 struct tg_buf *t)
{
	struct tg_lmtp s;
	size_t off = 0, chunk, used;
	enum tg_lmtp_step st = TG_LMTP_NEED_INPUT;

	tg_lmtp_init(&s, "tg.test", max, known, NULL);
	while (off < len && st != TG_LMTP_CLOSE) {
		size_t pos = 0;

		chunk = cut(c, len - off);
		while (pos < chunk) {
			st = tg_lmtp_feed(&s, in + off + pos, chunk - pos,
					  &used);
			pos += used;
			if (st == TG_LMTP_MESSAGE) {
				flush(&s, t);
				(void)tg_buf_appendf(t, "[MSG ");
				for (size_t i = 0; i < s.n_rcpts; i++)
					(void)tg_buf_appendf(t, "%s,",
							     s.rcpts[i]);
				(void)tg_buf_appendf(t, "|%s|%zu|%d|", s.sender,
						     s.data_bytes, s.too_big);
				(void)tg_buf_append(t, s.data, s.data_len);
				(void)tg_buf_puts(t, "]\n");
				for (size_t i = 0; i < s.n_rcpts; i++)
					tg_lmtp_reply(&s, "250 2.0.0 Ok");
				tg_lmtp_end_transaction(&s);
			} else if (st == TG_LMTP_CLOSE) {
				break;
			}
		}
		off += pos;
		flush(&s, t);
	}
	if (st == TG_LMTP_CLOSE)
		(void)tg_buf_puts(t, "[CLOSE]\n");
	tg_lmtp_deinit(&s);
}

static char *
talk(const char *in, size_t max)
{
	struct cutter c = {0, 0, 0};
	struct tg_buf t;

	tg_buf_init(&t, 256, 0);
	converse(in, strlen(in), max, &c, &t);
	return tg_buf_detach(&t, NULL);
}

/* A session with every kind of reply, checked line by line. */
static void
test_session(void)
{
	static const char in[] =
		"lhlo mta.example\r\n"
		"MAIL FROM:<alice@customer.example> SIZE=120 BODY=8BITMIME\r\n"
		"RCPT TO:<Support@Example.com>\r\n"
		"RCPT TO:<nobody@example.com>\r\n"
		"Rcpt To:<gdpr@example.com>\r\n"
		"DATA\r\n"
		"Subject: hi\r\n"
		"\r\n"
		"..leading dot\r\n"
		".\r\n"
		"VRFY someone\r\n"
		"NOOP\r\n"
		"QUIT\r\n"
		"NOOP\r\n";
	static const char want[] =
		"220 tg.test LMTP ready\r\n"
		"250-tg.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
		"250-8BITMIME\r\n250 SIZE 1000\r\n"
		"250 2.1.0 Sender ok\r\n"
		"250 2.1.5 Recipient ok\r\n"
		"550 5.1.1 No such support address\r\n"
		"250 2.1.5 Recipient ok\r\n"
		"354 Start mail input; end with <CRLF>.<CRLF>\r\n"
		"[MSG Support@Example.com,gdpr@example.com,|"
		"alice@customer.example|29|0|"
		"Subject: hi\r\n\r\n.leading dot\r\n]\n"
		"250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n"
		"252 2.5.0 Cannot verify; send some mail\r\n"
		"250 2.0.0 Ok\r\n"
		"221 2.0.0 Bye\r\n"
		"[CLOSE]\n";
	char *got = talk(in, 1000);

	TG_CHECK_STREQ(got, want);
	free(got);
}

/* Each input after LHLO gets the reply named. */
static void
test_replies(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		/* sequence */
		{"DATA\r\n", "503 5.5.1 Send MAIL and RCPT first\r\n"},
		{"RCPT TO:<support@example.com>\r\n",
		 "503 5.5.1 Send MAIL first\r\n"},
		{"MAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n",
		 "250 2.1.0 Sender ok\r\n503 5.5.1 Nested MAIL command\r\n"},
		{"MAIL FROM:<a@b>\r\nDATA\r\n",
		 "250 2.1.0 Sender ok\r\n503 5.5.1 No valid recipients\r\n"},
		{"MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n",
		 "250 2.1.0 Sender ok\r\n550 5.1.1 No such support address\r\n"
		 "503 5.5.1 No valid recipients\r\n"},
		{"MAIL FROM:<a@b>\r\nRSET\r\nRCPT TO:<support@example.com>\r\n",
		 "250 2.1.0 Sender ok\r\n250 2.0.0 Ok\r\n"
		 "503 5.5.1 Send MAIL first\r\n"},
		/* syntax */
		{"MAIL FROM:<>\r\n", "250 2.1.0 Sender ok\r\n"},
		{"MAIL FROM: <a@b>\r\n", "250 2.1.0 Sender ok\r\n"},
		{"MAIL FROM:<@relay.example:a@b>\r\n",
		 "250 2.1.0 Sender ok\r\n"},
		{"MAIL FROM:a@b\r\n",
		 "501 5.1.7 Bad sender address syntax\r\n"},
		{"MAIL FROM:<a@b\r\n",
		 "501 5.1.7 Bad sender address syntax\r\n"},
		{"MAIL TO:<a@b>\r\n",
		 "501 5.5.2 Syntax: MAIL FROM:<address>\r\n"},
		{"MAIL FROM:<a@b> SIZE=12x\r\n",
		 "501 5.5.4 Bad SIZE parameter\r\n"},
		{"MAIL FROM:<a@b> SIZE=1001\r\n",
		 "552 5.3.4 Message too big to keep\r\n"},
		{"MAIL FROM:<a@b> SIZE=99999999999999999999\r\n",
		 "552 5.3.4 Message too big to keep\r\n"},
		{"MAIL FROM:<a@b> BODY=BINARYMIME\r\n",
		 "501 5.5.4 Bad BODY parameter\r\n"},
		{"MAIL FROM:<a@b> body=7bit size=0\r\n",
		 "250 2.1.0 Sender ok\r\n"},
		{"MAIL FROM:<a@b> SMTPUTF8\r\n",
		 "555 5.5.4 Unsupported parameter\r\n"},
		{"MAIL FROM:<a@b>\r\nRCPT TO:<>\r\n",
		 "250 2.1.0 Sender ok\r\n501 5.1.3 Bad recipient address "
		 "syntax\r\n"},
		{"MAIL FROM:<a@b>\r\nRCPT TO:<support@example.com> "
		 "NOTIFY=NEVER\r\n",
		 "250 2.1.0 Sender ok\r\n555 5.5.4 Unsupported parameter\r\n"},
		{"MAIL FROM:<a@b>\r\nRCPT TO:support@example.com\r\n",
		 "250 2.1.0 Sender ok\r\n501 5.1.3 Bad recipient address "
		 "syntax\r\n"},
		{"DATA now\r\n", "501 5.5.4 DATA takes no argument\r\n"},
		{"RSET all\r\n", "501 5.5.4 RSET takes no argument\r\n"},
		{"LHLO\r\n", "501 5.5.4 LHLO needs a host name\r\n"},
		/* verbs */
		{"HELO x\r\n", "500 5.5.1 This is LMTP: use LHLO\r\n"},
		{"EHLO x\r\n", "500 5.5.1 This is LMTP: use LHLO\r\n"},
		{"EXPN list\r\n", "502 5.5.1 Command not implemented\r\n"},
		{"STARTTLS\r\n", "502 5.5.1 Command not implemented\r\n"},
		{"FROB\r\n", "500 5.5.2 Command unrecognized\r\n"},
		{"\r\n", "500 5.5.2 Command unrecognized\r\n"},
		{"VERYLONGVERBINDEED\r\n",
		 "500 5.5.2 Command unrecognized\r\n"},
		{"vrfy x\n", "252 2.5.0 Cannot verify; send some mail\r\n"},
		{"noop\n", "250 2.0.0 Ok\r\n"},
		{"NO\0OP\r\n", "500 5.5.2 Syntax error: NUL byte\r\n"},
	};
	static const char head[] =
		"220 tg.test LMTP ready\r\n"
		"250-tg.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
		"250-8BITMIME\r\n250 SIZE 1000\r\n";

	for (size_t i = 0; i < TG_N(cases); i++) {
		char in[600], want[600];
		size_t n = strlen(cases[i].in);
		struct cutter c = {0, 0, 0};
		struct tg_buf t;

		if (strcmp(cases[i].in, "NO") == 0)
			n = 7; /* the NUL case */
		memcpy(in, "LHLO x\r\n", 8);
		memcpy(in + 8, cases[i].in, n);
		snprintf(want, sizeof(want), "%s%s", head, cases[i].want);
		tg_buf_init(&t, 256, 0);
		converse(in, 8 + n, 1000, &c, &t);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&t), want, i);
		tg_buf_deinit(&t);
	}
	/* before LHLO */
	{
		char *got = talk("MAIL FROM:<a@b>\r\nRSET\r\nQUIT\r\n", 100);

		TG_CHECK_STREQ(got, "220 tg.test LMTP ready\r\n"
				    "503 5.5.1 Send LHLO first\r\n"
				    "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n"
				    "[CLOSE]\n");
		free(got);
	}
}

/* 510 bytes before CRLF is the longest line; one more is refused, and the
 * session goes on. */
static void
test_line_limit(void)
{
	char in[3000], *got;
	size_t n = 0;

	n += (size_t)snprintf(in + n, sizeof(in) - n, "NOOP ");
	memset(in + n, 'x', 505);
	n += 505;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nNOOP ");
	memset(in + n, 'y', 506);
	n += 506;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nNOOP ");
	memset(in + n, 'z', 1200);
	n += 1200;
	snprintf(in + n, sizeof(in) - n, "\nNOOP\r\n");
	got = talk(in, 100);
	TG_CHECK_STREQ(got, "220 tg.test LMTP ready\r\n"
			    "250 2.0.0 Ok\r\n"
			    "500 5.5.2 Line too long\r\n"
			    "500 5.5.2 Line too long\r\n"
			    "250 2.0.0 Ok\r\n");
	free(got);
}

static const char envelope[] = "LHLO x\r\nMAIL FROM:<a@b>\r\n"
			       "RCPT TO:<support@example.com>\r\nDATA\r\n";

/* The DATA decoder: what is on the wire, and the message it makes. */
static void
test_data(void)
{
	static const struct {
		const char *wire, *msg;
	} cases[] = {
		{".\r\n", ""},
		{"a\r\n.\r\n", "a\r\n"},
		{"a\n.\n", "a\n"}, /* bare LF */
		{"a\r\n.\n", "a\r\n"},
		{"..x\r\n.\r\n", ".x\r\n"}, /* unstuffed */
		{"...\r\n.\r\n", "..\r\n"},
		{"x.\r\n.y\r\n.\r\n", "x.\r\ny\r\n"},
		{".\rx\r\n.\r\n", "\rx\r\n"},  /* ".\r" not at a line end */
		{"a\rb\r\n.\r\n", "a\rb\r\n"}, /* a bare CR is text */
		{"\r\n\r\n.\r\n", "\r\n\r\n"},
		{"a\r\n. \r\n.\r\n", "a\r\n \r\n"},
	};

	for (size_t i = 0; i < TG_N(cases); i++) {
		char in[300], want[600];
		char *got;

		snprintf(in, sizeof(in), "%s%sQUIT\r\n", envelope,
			 cases[i].wire);
		snprintf(want, sizeof(want),
			 "[MSG support@example.com,|a@b|%zu|0|%s]\n"
			 "250 2.0.0 Ok\r\n221 2.0.0 Bye\r\n[CLOSE]\n",
			 strlen(cases[i].msg), cases[i].msg);
		got = talk(in, 1000);
		TG_CHECK_STREQ_IDX(strstr(got, "[MSG"), want, i);
		free(got);
	}
}

/* Over the limit the message is read to its end, counted, and only
 * max + 1 bytes kept; at the limit it is whole. */
static void
test_size(void)
{
	char in[3000], want[300];
	char *got;
	size_t n;

	n = (size_t)snprintf(in, sizeof(in), "%s", envelope);
	memset(in + n, 'm', 1000);
	n += 1000;
	snprintf(in + n, sizeof(in) - n, "\r\n.\r\nNOOP\r\n");
	got = talk(in, 100);
	snprintf(want, sizeof(want),
		 "[MSG support@example.com,|a@b|1002|1|%.101s]\n"
		 "250 2.0.0 Ok\r\n250 2.0.0 Ok\r\n",
		 in + strlen(envelope));
	TG_CHECK_STREQ(strstr(got, "[MSG"), want);
	free(got);

	got = talk("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<support@example.com>"
		   "\r\nDATA\r\n12345678\r\n.\r\n",
		   10);
	TG_CHECK_STREQ(strstr(got, "[MSG"),
		       "[MSG support@example.com,|a@b|10|0|12345678\r\n]\n"
		       "250 2.0.0 Ok\r\n");
	free(got);
	got = talk("LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<support@example.com>"
		   "\r\nDATA\r\n123456789\r\n.\r\n",
		   10);
	TG_CHECK_STREQ(strstr(got, "[MSG"),
		       "[MSG support@example.com,|a@b|11|1|123456789\r\n]\n"
		       "250 2.0.0 Ok\r\n");
	free(got);
}

static void
test_too_many_recipients(void)
{
	struct tg_buf in;
	char *got;

	tg_buf_init(&in, 4096, 0);
	(void)tg_buf_puts(&in, "LHLO x\r\nMAIL FROM:<a@b>\r\n");
	for (int i = 0; i <= TG_LMTP_RCPT_MAX; i++)
		(void)tg_buf_puts(&in, "RCPT TO:<support@example.com>\r\n");
	got = talk(tg_buf_cstr(&in), 100);
	TG_CHECK(strstr(got, "250 2.1.5 Recipient ok\r\n452 4.5.3 Too many "
			     "recipients\r\n") != NULL);
	TG_CHECK(strstr(strstr(got, "452") + 1, "452") == NULL);
	free(got);
	tg_buf_deinit(&in);
}

/* Two pipelined transactions with every hard case, cut once at every
 * point, fed in chunks of every size, and in random chunks:
 * the transcript is always that of the input in one piece. */
static void
test_split_chunks(void)
{
	static const char in[] = "LHLO mta\r\nMAIL FROM:<a@b>\r\nRCPT "
				 "TO:<support@example.com>\r\n"
				 "DATA\r\nx\r\n..y\r\n.\rz\r\n.z\n"
				 "a\r\n.\r\nMAIL FROM:<> SIZE=5\r\nRCPT "
				 "TO:<gdpr@example.com>\r\n"
				 "RCPT TO:<no@example.com>\r\nDATA\r\n"
				 "0123456789012345678901234567890123456789\n.\n"
				 "NOOP\r\nQUIT\r\n";
	size_t len = strlen(in);
	char *whole = talk(in, 20);
	int mismatches = 0;

	TG_CHECK(strstr(whole, "|a@b|16|0|x\r\n.y\r\n\rz\r\nz\na\r\n]") !=
		 NULL);
	TG_CHECK(strstr(whole, "[MSG gdpr@example.com,||41|1|") != NULL);
	TG_CHECK(strstr(whole, "[CLOSE]") != NULL);
	for (size_t fixed = 1; fixed <= len; fixed++) {
		struct cutter c = {0, fixed, 0};
		struct tg_buf t;

		tg_buf_init(&t, 256, 0);
		converse(in, len, 20, &c, &t);
		mismatches += strcmp(tg_buf_cstr(&t), whole) != 0;
		tg_buf_deinit(&t);
	}
	for (uint32_t seed = 1; seed <= 500; seed++) {
		struct cutter c = {seed, 0, 0};
		struct tg_buf t;

		tg_buf_init(&t, 256, 0);
		converse(in, len, 20, &c, &t);
		mismatches += strcmp(tg_buf_cstr(&t), whole) != 0;
		tg_buf_deinit(&t);
	}
	for (size_t at = 1; at < len; at++) {
		struct tg_buf t;
		struct cutter c = {0, 0, at};

		tg_buf_init(&t, 256, 0);
		converse(in, len, 20, &c, &t);
		mismatches += strcmp(tg_buf_cstr(&t), whole) != 0;
		tg_buf_deinit(&t);
	}
	TG_CHECK(mismatches == 0);
	free(whole);
}

int
main(void)
{
	test_session();
	test_replies();
	test_line_limit();
	test_data();
	test_size();
	test_too_many_recipients();
	test_split_chunks();
	return tg_test_done();
}
