/* Unit tests for tg_rfc2047_decode: a table whose expected values come
 * from python3's email package (policy.default), plus hostile-input checks
 * (1 MiB values, random bytes). The decoder parses untrusted input.
 */
#include "ticketgate/rfc2047.h"
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct case2047 {
	const char *in;
	const char *want;
};

/* Expected: str(msg['subject']) from python3, except where noted: Python
 * turns bytes that are not UTF-8 into U+FFFD, we read them as
 * Windows-1252, and we drop NUL. */
static const struct case2047 cases[] = {
	/* plain text */
	{ "Hello world", "Hello world" },
	/* q word */
	{ "=\?utf-8\?q\?hello_world\?=", "hello world" },
	/* upper Q and charset */
	{ "=\?UTF-8\?Q\?hello_world\?=", "hello world" },
	/* b word */
	{ "=\?utf-8\?b\?aGVsbG8=\?=", "hello" },
	/* upper B */
	{ "=\?utf-8\?B\?aGVsbG8=\?=", "hello" },
	/* b missing padding */
	{ "=\?utf-8\?b\?aGVsbA\?=", "hell" },
	/* b one dangling sextet: text kept */
	{ "=\?utf-8\?b\?aGVsb\?=", "aGVsb" },
	/* b single char */
	{ "=\?utf-8\?b\?a\?=", "a" },
	/* b junk skipped */
	{ "=\?utf-8\?b\?aGV$sbG8=\?=", "hello" },
	/* b stops at complete padding */
	{ "=\?utf-8\?b\?aGk=aGVsbG8=\?=", "hi" },
	/* b empty */
	{ "=\?utf-8\?b\?\?=", "" },
	/* b with spaces */
	{ "=\?utf-8\?b\?aGVs bG8=\?=", "hello" },
	/* rfc2231 language */
	{ "=\?utf-8*en\?Q\?hello\?=", "hello" },
	/* latin1 upper hex */
	{ "=\?iso-8859-1\?q\?caf=E9\?=", "caf\xc3\xa9" },
	/* latin1 lower hex */
	{ "=\?iso-8859-1\?q\?caf=e9\?=", "caf\xc3\xa9" },
	/* adjacent words joined */
	{ "=\?utf-8\?q\?a\?= =\?utf-8\?q\?b\?=", "ab" },
	/* adjacent, tabs and spaces */
	{ "=\?utf-8\?q\?a\?=   \t =\?utf-8\?q\?b\?=", "ab" },
	/* three adjacent */
	{ "=\?utf-8\?q\?a\?= =\?utf-8\?q\?b\?= =\?utf-8\?q\?c\?=", "abc" },
	/* text between words kept */
	{ "=\?utf-8\?q\?a\?= x =\?utf-8\?q\?b\?=", "a x b" },
	/* glued before */
	{ "foo=\?utf-8\?q\?bar\?=", "foobar" },
	/* glued both sides */
	{ "foo=\?utf-8\?q\?bar\?=baz", "foobarbaz" },
	/* glued after */
	{ "foo =\?utf-8\?q\?bar\?=baz qux", "foo barbaz qux" },
	/* two glued words */
	{ "=\?utf-8\?q\?bar\?==\?utf-8\?q\?baz\?=", "barbaz" },
	/* glued chain */
	{ "a=\?utf-8\?q\?b\?=c=\?utf-8\?q\?d\?=e", "abcde" },
	/* space inside word decodes */
	{ "=\?utf-8\?q\?a b\?=", "a b" },
	/* space inside glued word: literal */
	{ "x=\?utf-8\?q\?a b\?=", "x=\?utf-8\?q\?a b\?=" },
	/* extra ? invalid */
	{ "=\?utf-8\?q\?a\?b\?=", "=\?utf-8\?q\?a\?b\?=" },
	/* empty q */
	{ "=\?utf-8\?q\?\?=", "" },
	/* unknown encoding letter */
	{ "=\?utf-8\?x\?abc\?=", "=\?utf-8\?x\?abc\?=" },
	/* two-letter encoding */
	{ "=\?utf-8\?qq\?abc\?=", "=\?utf-8\?qq\?abc\?=" },
	/* unknown charset ascii */
	{ "=\?bogus\?q\?abc\?=", "abc" },
	/* unknown charset utf8 bytes */
	{ "=\?bogus\?q\?caf=C3=A9\?=", "caf\xc3\xa9" },
	/* unknown charset latin1 byte (Python: 'caf\ufffd') */
	{ "=\?bogus\?q\?caf=E9\?=", "caf\xc3\xa9" },
	/* empty charset */
	{ "=\?\?q\?abc\?=", "abc" },
	/* empty encoding */
	{ "=\?utf-8\?\?abc\?=", "=\?utf-8\?\?abc\?=" },
	/* invalid utf-8 in word (Python: 'caf\ufffd') */
	{ "=\?utf-8\?q\?caf=E9\?=", "caf\xc3\xa9" },
	/* us-ascii with utf-8 bytes */
	{ "=\?us-ascii\?q\?caf=C3=A9\?=", "caf\xc3\xa9" },
	/* split utf-8 across words q */
	{ "=\?utf-8\?q\?=C3\?= =\?utf-8\?q\?=A9\?=", "\xc3\xa9" },
	/* split euro across words q */
	{ "=\?utf-8\?q\?=E2=82\?= =\?utf-8\?q\?=AC\?=", "\xe2\x82\xac" },
	/* split euro across words b */
	{ "=\?utf-8\?b\?4oI=\?= =\?utf-8\?b\?rA==\?=", "\xe2\x82\xac" },
	/* split then raw byte */
	{ "=\?utf-8\?q\?=C3\?=\xa9", "\xc3\xa9" },
	/* raw utf-8 kept */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	/* raw latin1 byte (Python: 'caf\ufffd') */
	{ "caf\xe9", "caf\xc3\xa9" },
	/* raw utf-8 inside word */
	{ "=\?utf-8\?q\?\xc3\xa9\?=", "\xc3\xa9" },
	/* word then raw */
	{ "=\?utf-8\?q\?a\?=\xc3\xa9", "a\xc3\xa9" },
	/* lone = */
	{ "=\?utf-8\?q\?=\?=", "=\?utf-8\?q\?=\?=" },
	/* = then one hex */
	{ "=\?utf-8\?q\?=3\?=", "=\?utf-8\?q\?=3\?=" },
	/* =3D right after ? */
	{ "=\?utf-8\?q\?=3D\?=", "=" },
	/* =3D=3D */
	{ "=\?utf-8\?q\?=3D=3D\?=", "==" },
	/* =3D unterminated runs to end */
	{ "=\?utf-8\?q\?=3Dabc", "=abc" },
	/* =3D then text after */
	{ "=\?utf-8\?q\?a=3D\?=b", "a=b" },
	/* =5F is underscore */
	{ "=\?utf-8\?Q\?a=5Fb\?=", "a_b" },
	/* =20 spaces */
	{ "=\?utf-8\?q\?a=20=20b\?=", "a  b" },
	/* trailing =2 */
	{ "=\?utf-8\?q\?a=2\?=", "a=2" },
	/* ==41 */
	{ "=\?utf-8\?q\?==41\?=", "=\?utf-8\?q\?==41\?=" },
	/* tab escape */
	{ "=\?utf-8\?q\?tab=09x\?=", "tab\tx" },
	/* nul dropped (Python: 'nul\x00x') */
	{ "=\?utf-8\?q\?nul=00x\?=", "nulx" },
	/* unterminated */
	{ "=\?utf-8\?q\?abc", "=\?utf-8\?q\?abc" },
	/* unterminated ? */
	{ "=\?utf-8\?q\?abc\?", "=\?utf-8\?q\?abc\?" },
	/* just =? */
	{ "=\?", "=\?" },
	/* trailing space */
	{ "=\?utf-8\?q\?abc\?= ", "abc " },
	/* leading space (Python strips it: whitespace only) */
	{ "  leading", "  leading" },
	/* mixed charsets */
	{ "=\?utf-8\?q\?x\?=\t=\?iso-8859-1\?q\?=E9\?=", "x\xc3\xa9" },
	/* windows-1252 euro */
	{ "=\?windows-1252\?q\?=80\?=", "\xe2\x82\xac" },
	/* gb2312 */
	{ "=\?gb2312\?b\?xOO6ww==\?=", "\xe4\xbd\xa0\xe5\xa5\xbd" },
	/* ks_c_5601-1987 alias */
	{ "=\?ks_c_5601-1987\?b\?vsiz58fPvLy/5A==\?=", "\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94" },
	/* iso-2022-jp */
	{ "=\?iso-2022-jp\?b\?GyRCJEgkJBsoQg==\?=", "\xe3\x81\xa8\xe3\x81\x84" },
	/* shift_jis */
	{ "=\?shift_jis\?b\?grGC8YLJgr+CzQ==\?=", "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf" },
	/* invalid word after valid keeps space */
	{ "=\?utf-8\?q\?a\?= =\?utf-8\?x\?b\?=", "a =\?utf-8\?x\?b\?=" },
	/* invalid between valid */
	{ "=\?utf-8\?q\?a\?= =\?utf-8\?x\?b\?= =\?utf-8\?q\?c\?=", "a =\?utf-8\?x\?b\?= c" },
	/* word in text with 2 words */
	{ "Re: =\?utf-8\?q\?Bestellung_Nr=2E_1\?= =\?utf-8\?q\?_erhalten\?= ok", "Re: Bestellung Nr. 1 erhalten ok" },
	/* invalid glued word first */
	{ "=\?utf-8\?x\?abc\?==\?utf-8\?q\?b\?=", "=\?utf-8\?x\?abc\?==\?utf-8\?q\?b\?=" },
	/* question marks around */
	{ "what\? =\?utf-8\?q\?yes\?= no\?", "what\? yes no\?" },
	/* vertical tab after word */
	{ "=\?utf-8\?q\?a\?=\x0b =\?utf-8\?q\?b\?=", "a\x0b b" },
	/* blank then vt */
	{ "=\?utf-8\?q\?a\?= \x0b=\?utf-8\?q\?b\?=", "ab" },
	/* crlf removed */
	{ "=\?utf-8\?q\?a\?=\x0d\x0a =\?utf-8\?q\?b\?=", "ab" },
	/* utf-8 4-byte */
	{ "=\?utf-8\?b\?8J+YgA==\?=", "\xf0\x9f\x98\x80" },
	/* Q lower hex utf-8 */
	{ "=\?utf-8\?q\?=c3=a9t=c3=a9\?=", "\xc3\xa9t\xc3\xa9" },
	/* b invalid char only */
	{ "=\?utf-8\?b\?====\?=", "=\?utf-8\?b\?====\?=" },
	/* b lone pad after one char */
	{ "=\?utf-8\?b\?a=\?=", "a=" },
	/* iso-2022-jp with utf-8 bytes in ascii mode */
	{ "=\?iso-2022-jp\?q\?caf=C3=A9\?=", "caf\xc3\xa9" },
	/* iso-2022-jp 8-bit byte in 2-byte mode: literal */
	{ "=\?iso-2022-jp\?q\?=1B$B$3=85s=1B(B\?=", "=\?iso-2022-jp\?q\?=1B$B$3=85s=1B(B\?=" },
	/* iso-2022-jp truncated escape: literal */
	{ "=\?iso-2022-jp\?q\?ab=1B$\?=", "=\?iso-2022-jp\?q\?ab=1B$\?=" },
	/* shift_jis with a bad byte in the middle (Python: '\u3053\ufffd\u3093') */
	{ "=\?shift_jis\?q\?=82=B1=FF=82=F1\?=", "\xe3\x81\x93\xc3\xbf\xe3\x82\x93" },
	/* gb2312 with a bad lead byte (Python: '\u4f60\ufffd\u597d') */
	{ "=\?gb2312\?b\?xOP/usM=\?=", "\xe4\xbd\xa0\xc3\xbf\xe5\xa5\xbd" },
	/* failed word takes glued words with it */
	{ "=\?iso-2022-jp\?q\?ab=1B$\?==\?utf-8\?q\?x\?= y", "=\?iso-2022-jp\?q\?ab=1B$\?==\?utf-8\?q\?x\?= y" },
	/* koi8-r */
	{ "=\?koi8-r\?b\?8NLJ18XU\?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82" },
	/* charset label normalised */
	{ "=\?UTF8\?Q\?caf=C3=A9\?= =\?Latin-1\?Q\?caf=E9\?=", "caf\xc3\xa9""caf\xc3\xa9" },
};

static void
test_table(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_buf b;

		tg_buf_init(&b, 0, 0);
		tg_rfc2047_decode(cases[i].in, strlen(cases[i].in), &b);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&b), cases[i].want, i);
		TG_CHECK(tg_utf8_valid(tg_buf_cstr(&b), b.len));
		tg_buf_deinit(&b);
	}
}

/* The result is appended; the length argument is honoured. */
static void
test_append_and_length(void)
{
	static const char in[] = "=?utf-8?q?caf=C3=A9?= tail";
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	tg_buf_puts(&b, "x:");
	tg_rfc2047_decode(in, 21, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "x:café");
	tg_rfc2047_decode(in, 12, &b); /* "=?utf-8?q?ca": not a word */
	TG_CHECK_STREQ(tg_buf_cstr(&b), "x:café=?utf-8?q?ca");
	tg_rfc2047_decode(NULL, 0, &b);
	tg_rfc2047_decode(in, 0, &b);
	TG_CHECK(b.len == strlen("x:café=?utf-8?q?ca"));
	tg_buf_deinit(&b);
}

/* Embedded NUL: dropped, and the text after it is kept. */
static void
test_nul(void)
{
	static const char in[] = "a\0b =?utf-8?b?YQBi?=";
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	tg_rfc2047_decode(in, sizeof(in) - 1, &b);
	TG_CHECK_STREQ(tg_buf_cstr(&b), "ab ab");
	TG_CHECK(b.len == 5);
	tg_buf_deinit(&b);
}

static double
cpu_seconds(const char *in, size_t len)
{
	clock_t t0 = clock();
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	tg_rfc2047_decode(in, len, &b);
	TG_CHECK(tg_utf8_valid(tg_buf_cstr(&b), b.len));
	tg_buf_deinit(&b);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

static void
fill(char *big, size_t len, const char *unit)
{
	size_t ul = strlen(unit);

	for (size_t i = 0; i < len; i++)
		big[i] = unit[i % ul];
}

/* 1 MiB values built from shapes that make a naive implementation
 * quadratic (rescanning for "?=" or for the next blank). Each is timed
 * against plain text of the same size, so that slow builds (sanitizers,
 * valgrind) slow both alike; quadratic work on 1 MiB would be thousands
 * of times over. */
static void
test_large(void)
{
	static const char *const units[] = {
		"=?", "=?a", "a=?", "=?x?q?", "=?x?q?=3D", "=?utf-8?q?a?= ",
		"=?utf-8?q?a?=", "x=?utf-8?q?a?=", "?=", "=?=?", "=?gb2312?q?",
		"=?utf-8?b?", "=?a?q?b c?= ", "\t", "=?utf-8?q?=C3?=",
		"=?iso-2022-jp?q?=1B$B=80?= ",
	};
	size_t len = 1 << 20;
	char *big = tg_xmalloc(len);
	double base, t;

	fill(big, len, "Hello =?utf-8?q?w=C3=B6rld?= ");
	base = cpu_seconds(big, len);
	for (size_t u = 0; u < TG_N(units); u++) {
		fill(big, len, units[u]);
		t = cpu_seconds(big, len);
		TG_CHECK(t < 50 * base + 0.5);
		if (t >= 50 * base + 0.5)
			fprintf(stderr, "unit %zu: %.2fs (plain %.2fs)\n", u,
				t, base);
	}
	/* One huge word in a multi-byte charset, full of invalid bytes:
	 * the character-by-character retry must stay within its budget. */
	memcpy(big, "=?gb2312?q?", 11);
	for (size_t i = 11; i + 3 < len; i += 3)
		memcpy(big + i, "=FF", 3);
	memcpy(big + len - 3, "?= ", 3);
	TG_CHECK(cpu_seconds(big, len) < 50 * base + 0.5);
	free(big);
}

/* Random byte soup over an alphabet rich in encoded-word syntax: no
 * crash (the sanitizers watch), output always valid UTF-8. */
static void
test_random(void)
{
	static const char *const alph[] = {
		"=?", "?=", "?", "=", "q", "B", "utf-8", "gb2312", "*en", " ",
		"\t", "_", "=C3", "=A9", "=E9", "=3D", "aGk", "w6k", "\xc3",
		"\xa9", "\xe9", "\xff", "x", "\r", "\n", "\v",
	};
	unsigned seed = 12345;
	char in[256];

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		struct tg_buf b;

		seed = seed * 1103515245u + 12345u;
		for (unsigned k = (seed >> 16) % 40; k > 0; k--) {
			const char *p;

			seed = seed * 1103515245u + 12345u;
			p = alph[(seed >> 16) % TG_N(alph)];
			if (n + strlen(p) >= sizeof(in))
				break;
			memcpy(in + n, p, strlen(p));
			n += strlen(p);
		}
		tg_buf_init(&b, 0, 0);
		tg_rfc2047_decode(in, n, &b);
		if (!tg_utf8_valid(tg_buf_cstr(&b), b.len)) {
			TG_CHECK(!"output is valid UTF-8");
			break;
		}
		tg_buf_deinit(&b);
	}
	TG_CHECK(1);
}

int
main(void)
{
	test_table();
	test_append_and_length();
	test_nul();
	test_large();
	test_random();
	return tg_test_done();
}
