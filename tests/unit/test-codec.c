/* Unit tests for the transfer-encoding decoders (codec.c), which parse
 * untrusted input. Expected bytes come from Python 3.11: base64 per the
 * project's rule, binascii.a2b_qp and email.message._decode_uu. */
#include <stdint.h>
#include <stdlib.h>

#include "tg-test.h"
#include "ticketgate/codec.h"

#define L(s) s, sizeof(s) - 1

struct b64_case {
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
	size_t junk;
};

static const struct b64_case b64_cases[] = {
	{ L(""), L(""), 0 },
	{ L("QUJD"), L("ABC"), 0 },
	{ L("QUI"), L("AB"), 0 },
	{ L("QUI="), L("AB"), 0 },
	{ L("QQ"), L("A"), 0 },
	{ L("QQ=="), L("A"), 0 },
	{ L("Q"), L(""), 0 },
	{ L("QUJDR"), L("ABC"), 0 },
	{ L("QUJD\r\nREVG\r\n"), L("ABCDEF"), 0 },
	{ L(" Q U\tJ\nD "), L("ABC"), 0 },
	{ L("QU*JD"), L("ABC"), 1 },
	{ L("QQ==QUJD"), L("A\x04\x14$"), 0 },
	{ L("QUJ=D"), L("ABC"), 0 },
	{ L("\x00\xffQUJD"), L("ABC"), 2 },
	{ L("QUJD-_."), L("ABC"), 3 },
	{ L("/+/+"), L("\xff\xef\xfe"), 0 },
	{ L("QR=="), L("A"), 0 },
	{ L("====="), L(""), 0 },
	{ L("Zm9vYmFy"), L("foobar"), 0 },
	{ L("Zm9v\nYmE=\n"), L("fooba"), 0 },
};

struct qp_case {
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
};

static const struct qp_case qp_cases[] = {
	{ L(""), L("") },
	{ L("a=3D"), L("a=") },
	{ L("a=3d"), L("a=") },
	{ L("a=3"), L("a=3") },
	{ L("a="), L("a") },
	{ L("a=\r\nb"), L("ab") },
	{ L("a=\nb"), L("ab") },
	{ L("a= \nb"), L("a= \nb") },
	{ L("a  \nb"), L("a  \nb") },
	{ L("a \t\r\nb"), L("a \t\r\nb") },
	{ L("a\rb"), L("a\rb") },
	{ L("a=\rb"), L("a") },
	{ L("a=\r\r\nb"), L("ab") },
	{ L("a=xyb"), L("a=xyb") },
	{ L("==41"), L("=41") },
	{ L("\xff=FF"), L("\xff\xff") },
	{ L("=00"), L("\x00") },
	{ L("a=\n\n"), L("a\n") },
	{ L("a_b"), L("a_b") },
	{ L("=4g"), L("=4g") },
	{ L("caf=E9 =C3=A9\r\n"), L("caf\xe9 \xc3\xa9\r\n") },
};

struct uu_case {
	const char *in;
	size_t inlen;
	const char *want;
	size_t wantlen;
	int rc;
};

static const struct uu_case uu_cases[] = {
	{ L("begin 644 a.txt\n#86)C\n`\nend\n"), L("abc"), 0 },
	{ L("no begin here\n#86)C\n"), L(""), -1 },
	{ L(""), L(""), -1 },
	{ L("begin 644 a\r\n#86)C\r\n`\r\nend\r\n"), L("abc"), 0 },
	{ L("begin 644 a\r#86)C\r`\rend\r"), L("abc"), 0 },
	{ L("begin xyz a\n#0V%D\nbegin 600 b\n#86)C\nend\n"), L("abc"), 0 },
	{ L("begin 0o6_44 a\n#86)C\n"), L("abc"), 0 },
	{ L("begin 644 a\n#86)C\n"), L("abc"), 0 },
	{ L("begin 644 a\n#86)C\n\nend\n"), L(""), -1 },
	{ L("begin 644 a\n#86\nend\n"), L("a`\x00"), 0 },
	{ L("begin 644 a\n#86)CXX\nend\n"), L("abc"), 0 },
	{ L("begin 644 a\n#86)C  ``\nend\n"), L("abc"), 0 },
	{ L("begin 644 a\n#8\x7f)C\nend\n"), L(""), -1 },
	{ L("begin 644 a\n#86)C\n  end \t\nignored\n"), L("abc"), 0 },
	{ L("begin 644 a\nend\n"), L(""), 0 },
	{ L("begin 644\n!80``\nend\n"), L("a"), 0 },
	{ L("begin  644 a\n#86)C\nend\n"), L(""), -1 },
	{ L("begin 644 a\n#86)C\nend\x0b\n#86)C\nend\n"), L(""), -1 },
	{ L("header\nbegin 644 a\n#86)C\n`\nend\n"), L("abc"), 0 },
	{ L("begin 8 a\n#86)C\nend\n"), L(""), -1 },
	{ L("Begin 644 a\n#86)C\nend\n"), L(""), -1 },
};

static void
test_base64_table(void)
{
	for (size_t i = 0; i < TG_N(b64_cases); i++) {
		const struct b64_case *c = &b64_cases[i];
		struct tg_buf b;
		size_t junk;

		tg_buf_init(&b, 0, 0);
		junk = tg_codec_base64_decode(c->in, c->inlen, &b);
		TG_CHECK_MEMEQ(b.data ? b.data : "", b.len, c->want,
			       c->wantlen);
		TG_CHECK(junk == c->junk);
		tg_buf_deinit(&b);
	}
}

static void
test_qp_table(void)
{
	for (size_t i = 0; i < TG_N(qp_cases); i++) {
		const struct qp_case *c = &qp_cases[i];
		struct tg_buf b;

		tg_buf_init(&b, 0, 0);
		tg_codec_qp_decode(c->in, c->inlen, &b);
		TG_CHECK_MEMEQ(b.data ? b.data : "", b.len, c->want,
			       c->wantlen);
		tg_buf_deinit(&b);
	}
}

/* A failed decode must leave what the buffer already held untouched. */
static void
test_uu_table(void)
{
	for (size_t i = 0; i < TG_N(uu_cases); i++) {
		const struct uu_case *c = &uu_cases[i];
		struct tg_buf b;
		int rc;

		tg_buf_init(&b, 0, 0);
		tg_buf_puts(&b, "kept:");
		rc = tg_codec_uu_decode(c->in, c->inlen, &b);
		TG_CHECK(rc == c->rc);
		TG_CHECK(b.len >= 5 && memcmp(b.data, "kept:", 5) == 0);
		TG_CHECK_MEMEQ(b.data + 5, b.len - 5, c->want, c->wantlen);
		TG_CHECK(b.data[b.len] == '\0');
		tg_buf_deinit(&b);
	}
}

static uint32_t rng = 12345;

static unsigned
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 16;
}

/* Round trips of large pseudo-random data: crosses the decoders' staging
 * chunks at every alignment the line breaks produce. */
static void
test_base64_large(void)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = 100003, enc_len = 0;
	unsigned char *data = malloc(n);
	char *enc = malloc(n / 3 * 4 + n / 57 * 2 + 8);
	struct tg_buf b;

	for (size_t i = 0; i < n; i++)
		data[i] = (unsigned char)rnd();
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;

		v |= i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0;
		v |= i + 2 < n ? data[i + 2] : 0;
		enc[enc_len++] = a[v >> 18];
		enc[enc_len++] = a[v >> 12 & 63];
		enc[enc_len++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		enc[enc_len++] = i + 2 < n ? a[v & 63] : '=';
		if (i % 57 == 54) {
			enc[enc_len++] = '\r';
			enc[enc_len++] = '\n';
		}
	}
	tg_buf_init(&b, 0, 0);
	TG_CHECK(tg_codec_base64_decode(enc, enc_len, &b) == 0);
	TG_CHECK_MEMEQ(b.data, b.len, data, n);

	/* a cap refuses what does not fit and says so */
	tg_buf_deinit(&b);
	tg_buf_init(&b, 0, 1000);
	tg_codec_base64_decode(enc, enc_len, &b);
	TG_CHECK(b.overflow && b.len <= 1000);
	TG_CHECK(b.len == 0 || memcmp(b.data, data, b.len) == 0);
	tg_buf_deinit(&b);
	free(enc);
	free(data);
}

static void
test_qp_large(void)
{
	size_t n = 50000, len = 0;
	char *in = malloc(n * 3);
	char *want = malloc(n);
	struct tg_buf b;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)rnd();

		want[i] = (char)c;
		if (c == '=' || c >= 0x80) {
			in[len++] = '=';
			in[len++] = "0123456789ABCDEF"[c >> 4];
			in[len++] = "0123456789abcdef"[c & 15];
		} else {
			in[len++] = (char)c;
		}
	}
	tg_buf_init(&b, 0, 0);
	tg_codec_qp_decode(in, len, &b);
	TG_CHECK_MEMEQ(b.data, b.len, want, n);
	tg_buf_deinit(&b);

	/* past a cap the output stays a prefix of the whole */
	tg_buf_init(&b, 0, 1000);
	tg_codec_qp_decode(in, len, &b);
	TG_CHECK(b.overflow && b.len <= 1000 && b.len > 900);
	TG_CHECK(memcmp(b.data, want, b.len) == 0);
	tg_buf_deinit(&b);
	free(want);
	free(in);
}

/* Decoders must not read past len: the byte after it would change the
 * result if they did. */
static void
test_no_overread(void)
{
	struct tg_buf b;

	tg_buf_init(&b, 0, 0);
	TG_CHECK(tg_codec_base64_decode("QUJDQQ==", 5, &b) == 0);
	TG_CHECK_MEMEQ(b.data, b.len, "ABC", 3);
	tg_buf_reset(&b);
	tg_codec_qp_decode("a=3D", 3, &b);
	TG_CHECK_MEMEQ(b.data, b.len, "a=3", 3);
	tg_buf_reset(&b);
	tg_codec_qp_decode("a=\r\nb", 3, &b);
	TG_CHECK_MEMEQ(b.data, b.len, "a", 1);
	tg_buf_reset(&b);
	/* the missing last character reads as zero bits, as in Python */
	TG_CHECK(tg_codec_uu_decode("begin 644 a\n#86)C\nend", 16, &b) == 0);
	TG_CHECK_MEMEQ(b.data, b.len, "ab@", 3);
	tg_buf_deinit(&b);

	/* an empty buffer's data is NULL: callers may pass it with len 0 */
	tg_buf_init(&b, 0, 0);
	TG_CHECK(tg_codec_base64_decode(NULL, 0, &b) == 0);
	tg_codec_qp_decode(NULL, 0, &b);
	TG_CHECK(tg_codec_uu_decode(NULL, 0, &b) == -1);
	TG_CHECK(b.len == 0);
	tg_buf_deinit(&b);
}

int
main(void)
{
	test_base64_table();
	test_qp_table();
	test_uu_table();
	test_base64_large();
	test_qp_large();
	test_no_overread();
	return tg_test_done();
}
