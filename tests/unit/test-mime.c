/* MIME structure: boundaries, nesting, defaults and limits. */
#include "tg-test.h"
#include "ticketgate/mime.h"
#include "ticketgate/util.h"

#include <stdlib.h>

/* Describes the tree as "type[body]" leaves and "type(...)" multiparts. */
static void
describe(const struct tg_part *p, struct tg_buf *out)
{
	if (p->multipart) {
		tg_buf_appendf(out, "%s(", p->content_type);
		for (const struct tg_part *c = p->children; c; c = c->next) {
			describe(c, out);
			if (c->next)
				tg_buf_putc(out, ',');
		}
		tg_buf_putc(out, ')');
		return;
	}
	tg_buf_appendf(out, "%s[", p->content_type);
	for (size_t i = 0; i < p->body_len; i++) {
		char c = p->body[i];

		if (c == '\r')
			tg_buf_puts(out, "\\r");
		else if (c == '\n')
			tg_buf_puts(out, "\\n");
		else
			tg_buf_putc(out, c);
	}
	tg_buf_putc(out, ']');
}

static const struct {
	const char *in, *want;
} cases[] = {
	/* plain message, body kept byte for byte */
	{ "Subject: x\n\nhello\n", "text/plain[hello\\n]" },
	{ "Subject: x\r\n\r\nhello\r\n", "text/plain[hello\\r\\n]" },
	/* the line break before a boundary belongs to the boundary */
	{ "Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b\nContent-Type: text/html\n\n<p>two</p>\n\n--b--\nepilogue\n",
	  "multipart/mixed(text/plain[one],text/html[<p>two</p>\\n])" },
	/* missing close boundary: the last part runs to the end */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n",
	  "multipart/mixed(text/plain[one],text/plain[two])" },
	/* a boundary with trailing blanks still matches; longer lines do not */
	{ "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b  \n\n--bx\n--b--\n",
	  "multipart/mixed(text/plain[--bx])" },
	/* nested: an outer boundary ends an inner part whose close is missing */
	{ "Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n\ninner\n--o\n\nouter\n--o--\n",
	  "multipart/mixed(multipart/alternative(text/plain[inner]),text/plain[outer])" },
	/* a part without headers: the first line is body */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nno headers here\n--b--\n",
	  "multipart/mixed(text/plain[no headers here])" },
	/* multipart/digest parts default to message/rfc822 */
	{ "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nbody\n--d--\n",
	  "multipart/digest(message/rfc822[Subject: a\\n\\nbody])" },
	/* invalid Content-Type means text/plain; missing boundary means leaf */
	{ "Content-Type: garbage\n\nx", "text/plain[x]" },
	{ "Content-Type: multipart/mixed\n\nx\n", "multipart/mixed[x\\n]" },
	/* an unquoted boundary with '=' in it, as Outlook writes it quoted */
	{ "Content-Type: multipart/mixed; boundary=----=_Part_1\n\n------=_Part_1\n\nhello\n------=_Part_1--\n",
	  "multipart/mixed(text/plain[hello])" },
	/* boundary missing or wrong: the one the body uses is found */
	{ "Content-Type: multipart/mixed\n\n--abc\n\nhello\n--abc\nContent-Type: text/html\n\n<b>x</b>\n--abc--\n",
	  "multipart/mixed(text/plain[hello],text/html[<b>x</b>])" },
	{ "Content-Type: multipart/mixed; boundary=\"wrong\"\n\npreamble\n--right\n\nhello\n--right--\n",
	  "multipart/mixed(text/plain[hello])" },
	/* boundary never found: the multipart stays a leaf */
	{ "Content-Type: multipart/mixed; boundary=zz\n\nx\n", "multipart/mixed[x\\n]" },
	/* repeated boundary lines make no empty parts */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",
	  "multipart/mixed(text/plain[x])" },
	/* a lone CR is a line break */
	{ "Content-Type: multipart/mixed; boundary=b\r\r--b\r\rx\r--b--\r",
	  "multipart/mixed(text/plain[x])" },
	/* mbox From line skipped, header continuation unfolded */
	{ "From someone Mon Jan 1 00:00:00 2024\nContent-Type: text/html;\n charset=utf-8\n\n<b>x</b>",
	  "text/html[<b>x</b>]" },
	/* a non-header line ends the header block and starts the body */
	{ "Subject: x\nthis is body\n", "text/plain[this is body\\n]" },
	/* message/rfc822 is a leaf whose body is the embedded message */
	{ "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=c\n\n--c\n\ninner\n--c--\n--b--\n",
	  "multipart/mixed(message/rfc822[Content-Type: multipart/mixed; boundary=c\\n\\n--c\\n\\ninner\\n--c--])" },
};

static void
test_limits(void)
{
	struct tg_limits lim;
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf msg, d;
	unsigned hit = 0;
	struct tg_part *root;

	/* 100 levels of nesting against a depth limit of 32 */
	tg_limits_init_default(&lim);
	tg_buf_init(&msg, 0, 0);
	for (int i = 0; i < 100; i++)
		tg_buf_appendf(&msg, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	tg_buf_puts(&msg, "\ndeep\n");
	root = tg_mime_parse(pool, msg.data, msg.len, &lim, &hit);
	TG_CHECK(root != NULL);
	TG_CHECK((hit & TG_LIMIT_MIME_DEPTH) != 0);

	/* 5000 parts against a limit of 1000 */
	tg_buf_reset(&msg);
	hit = 0;
	tg_buf_puts(&msg, "Content-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 5000; i++)
		tg_buf_appendf(&msg, "--p\n\npart %d\n", i);
	tg_buf_puts(&msg, "--p--\n");
	root = tg_mime_parse(pool, msg.data, msg.len, &lim, &hit);
	TG_CHECK((hit & TG_LIMIT_MIME_PARTS) != 0);
	size_t n = 0;
	for (const struct tg_part *c = root->children; c; c = c->next)
		n++;
	TG_CHECK(n == 999);

	/* header count */
	tg_buf_reset(&msg);
	hit = 0;
	for (int i = 0; i < 3000; i++)
		tg_buf_appendf(&msg, "X-H%d: v\n", i);
	tg_buf_puts(&msg, "\nbody");
	root = tg_mime_parse(pool, msg.data, msg.len, &lim, &hit);
	TG_CHECK(root->n_headers == 1000);
	TG_CHECK((hit & TG_LIMIT_HEADER_COUNT) != 0);
	tg_buf_init(&d, 0, 0);
	describe(root, &d);
	TG_CHECK_STREQ(tg_buf_cstr(&d), "text/plain[body]");

	tg_buf_deinit(&d);
	tg_buf_deinit(&msg);
	tg_pool_free(&pool);
}

int
main(void)
{
	struct tg_limits lim;

	tg_limits_init_default(&lim);
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(4096);
		struct tg_buf out;
		unsigned hit = 0;
		struct tg_part *root = tg_mime_parse(pool, cases[i].in,
				strlen(cases[i].in), &lim, &hit);

		tg_buf_init(&out, 0, 0);
		describe(root, &out);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&out), cases[i].want, i);
		tg_buf_deinit(&out);
		tg_pool_free(&pool);
	}
	test_limits();
	return tg_test_done();
}
