/* Outgoing messages read back by our own parser: addresses, subjects and
 * names (non-ASCII too), threading headers, bodies byte for byte, the
 * HTML alternative, the automatic-mail headers, line lengths, header
 * injection, and the subject token. */
#include "tg-test.h"
#include "ticketgate/classify.h"
#include "ticketgate/codec.h"
#include "ticketgate/compose.h"
#include "ticketgate/message.h"
#include "ticketgate/mime.h"
#include "ticketgate/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DATE INT64_C(1767268800) /* 2026-01-01 12:00:00 UTC */

static const char *const refs[] = {"first@customer.example",
				   "second@example.com"};

static struct tg_compose
base(void)
{
	struct tg_compose c = {
		.kind = TG_COMPOSE_REPLY,
		.from_name = "Example Support",
		.from_address = "support@example.com",
		.to_name = "Ann Customer",
		.to_address = "ann@customer.example",
		.subject = "Re: [#1042] printer jam",
		.in_reply_to = "orig-1@customer.example",
		.references = refs,
		.n_references = TG_N(refs),
		.msgid_domain = "gw.example.com",
		.loop_id = "helpdesk1",
		.text = "Hello,\nit works now.\n",
		.date = DATE,
	};
	return c;
}

/* Every line ends in CRLF and has at most 998 bytes; header lines (up to
 * the first empty line) at most 78; every encoded word at most 75. */
static void
check_lines(const char *raw, size_t len)
{
	bool header = true;
	size_t ls = 0;

	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\r') {
			TG_CHECK(i + 1 < len && raw[i + 1] == '\n');
			continue;
		}
		if (raw[i] != '\n')
			continue;
		TG_CHECK(i > 0 && raw[i - 1] == '\r');
		TG_CHECK(i - 1 - ls <= 998);
		if (header && i - 1 == ls)
			header = false;
		if (header) {
			TG_CHECK(i - 1 - ls <= 78);
			for (size_t k = ls; k + 1 < i; k++) {
				if (raw[k] != '=' || raw[k + 1] != '?')
					continue;
				size_t e = k + 2;

				while (e + 1 < i &&
				       !(raw[e] == '?' && raw[e + 1] == '=' &&
					 e > k + 10))
					e++;
				TG_CHECK(e + 2 - k <= 75);
				k = e;
			}
		}
		ls = i + 1;
	}
}

/* Composes c, checks the lines, parses the result. */
static struct tg_message *
roundtrip(struct tg_pool *pool, const struct tg_compose *c, char *msgid,
	  struct tg_buf *raw)
{
	struct tg_limits lim;
	struct tg_message *m;
	struct tg_err err = {{0}, false};

	tg_limits_init_default(&lim);
	tg_buf_reset(raw);
	TG_CHECK(tg_compose_message(c, raw, msgid, TG_COMPOSE_MSGID_SIZE,
				    &err) == 0);
	if (err.msg[0] != '\0')
		fprintf(stderr, "compose: %s\n", err.msg);
	check_lines(tg_buf_cstr(raw), raw->len);
	tg_message_parse(pool, tg_buf_cstr(raw), raw->len, &lim, &m);
	return m;
}

static const char *
header(const struct tg_message *m, const char *name)
{
	const struct tg_header *h = tg_message_header(m, name);

	return h != NULL ? h->value : NULL;
}

/* LF line breaks as CRLF: what a decoded body must equal. */
static char *
crlf(const char *s)
{
	struct tg_buf b;

	tg_buf_init(&b, strlen(s) * 2 + 1, 0);
	for (; *s != '\0'; s++) {
		if (*s == '\n' && (b.len == 0 || b.data[b.len - 1] != '\r'))
			tg_buf_putc(&b, '\r');
		tg_buf_putc(&b, *s);
	}
	return tg_buf_detach(&b, NULL);
}

static void
test_basic(void)
{
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_compose c = base();
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE], first[TG_COMPOSE_MSGID_SIZE];
	struct tg_message *m;

	tg_buf_init(&raw, 0, 0);
	m = roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(m->from != NULL);
	if (m->from != NULL) {
		TG_CHECK_STREQ(m->from->name, "Example Support");
		TG_CHECK_STREQ(m->from->address, "support@example.com");
	}
	TG_CHECK(m->n_to == 1);
	if (m->n_to == 1) {
		TG_CHECK_STREQ(m->to[0].name, "Ann Customer");
		TG_CHECK_STREQ(m->to[0].address, "ann@customer.example");
	}
	TG_CHECK(m->n_reply_to == 0 && m->n_cc == 0);
	TG_CHECK_STREQ(m->subject, "Re: [#1042] printer jam");
	TG_CHECK_STREQ(m->message_id, msgid);
	TG_CHECK(strlen(msgid) == 36 + strlen("@gw.example.com"));
	TG_CHECK(strcmp(msgid + 36, "@gw.example.com") == 0);
	TG_CHECK(m->has_date && m->date == DATE);
	TG_CHECK_STREQ(header(m, "date"), "Thu, 01 Jan 2026 12:00:00 +0000");
	TG_CHECK(m->n_in_reply_to == 1);
	if (m->n_in_reply_to == 1)
		TG_CHECK_STREQ(m->in_reply_to[0], "orig-1@customer.example");
	/* the references, then the message answered */
	TG_CHECK(m->n_references == 3);
	if (m->n_references == 3) {
		TG_CHECK_STREQ(m->references[0], "first@customer.example");
		TG_CHECK_STREQ(m->references[2], "orig-1@customer.example");
	}
	TG_CHECK_STREQ(header(m, "x-ticketgate-loop"), "helpdesk1");
	TG_CHECK_STREQ(header(m, "mime-version"), "1.0");
	TG_CHECK(header(m, "auto-submitted") == NULL);
	TG_CHECK(header(m, "precedence") == NULL);
	TG_CHECK(m->text_source == TG_TEXT_PLAIN);
	TG_CHECK_STREQ(m->text, "Hello,\r\nit works now.\r\n");

	/* a second message gets another id */
	snprintf(first, sizeof(first), "%s", msgid);
	roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(strcmp(first, msgid) != 0);

	/* Reply-To and Cc */
	static const char *const cc[] = {"b@x.example", "c.d@y.example"};
	c.reply_to = "support+t1042.abcdefghijklmnop@example.com";
	c.cc = cc;
	c.n_cc = TG_N(cc);
	c.from_name = NULL;
	c.to_name = "";
	m = roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(m->n_reply_to == 1 && m->n_cc == 2);
	if (m->n_reply_to == 1)
		TG_CHECK_STREQ(m->reply_to[0].address, c.reply_to);
	if (m->n_cc == 2)
		TG_CHECK_STREQ(m->cc[1].address, "c.d@y.example");
	TG_CHECK(m->from != NULL && m->from->name[0] == '\0');
	TG_CHECK(m->n_to == 1 && m->to[0].name[0] == '\0');
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_non_ascii_headers(void)
{
	static const struct {
		const char *name, *subject;
	} cases[] = {
		{"Suporte Example", "Re: [#1042] Olá, não consigo entrar"},
		{"José Müller, Jr.", "Grüße 😀 aus Köln"},
		{"Zoë \"the\" O'Brien", "=?utf-8?q?looks_encoded?= but is not"},
		{"日本語のサポート窓口",
		 "【重要】アカウントのパスワードをリセットできません。"
		 "至急ご確認ください。よろしくお願いいたします。"},
		{"A very long display name that will not fit on one line "
		 "of a header at all, really",
		 "An ASCII subject that is long enough to need folding "
		 "across more than one line of the header block, twice "
		 "over, to be sure that folding works"},
		{"Ação", "x"},
		{"Müller", "https://example.com/a/very/long/path/without/any/"
			   "spaces/that/cannot/be/folded/anywhere/at/all/ok"},
		{"plain", "ü"},
		{"Mixed ÄÖÜ äöü ß and ASCII words",
		 "Émoji 👍🏽 in the "
		 "middle of a sentence that goes on and on ✔ done"},
	};
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];

	tg_buf_init(&raw, 0, 0);
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_compose c = base();
		struct tg_message *m;

		c.from_name = cases[i].name;
		c.to_name = cases[i].name;
		c.subject = cases[i].subject;
		m = roundtrip(pool, &c, msgid, &raw);
		TG_CHECK_STREQ_IDX(m->subject, cases[i].subject, i);
		TG_CHECK(m->from != NULL);
		if (m->from != NULL)
			TG_CHECK_STREQ_IDX(m->from->name, cases[i].name, i);
		TG_CHECK(m->n_to == 1);
		if (m->n_to == 1) {
			TG_CHECK_STREQ_IDX(m->to[0].name, cases[i].name, i);
			TG_CHECK_STREQ_IDX(m->to[0].address,
					   "ann@customer.example", i);
		}
		/* 7-bit headers */
		for (size_t k = 0; k < raw.len; k++)
			if ((unsigned char)raw.data[k] >= 0x80) {
				TG_CHECK_STREQ_IDX("8-bit byte", "", i);
				break;
			}
	}
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_bodies(void)
{
	static const char *const texts[] = {
		"",
		"no newline at the end",
		"one line\n",
		"a = b, 50% =3D off, ==\n",
		"trailing blanks   \nand a tab\t\nand\t \n",
		"From the start of a line\nFrom another\n"
		"From\n>From quoted\n",
		".\n.. two dots\n.hidden\nend\n",
		"Olá, não há problema. Ação! Grüße, 日本語 "
		"😀👍🏽\n",
		/* long lines: plain, with blanks, with 8-bit, at the limits */
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"\n",
		"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed "
		"do "
		"eiusmod tempor incididunt ut labore et dolore magna aliqua. "
		"Ut "
		"enim ad minim veniam, quis nostrud exercitation ullamco "
		"laboris "
		"nisi ut aliquip ex ea commodo consequat. \n",
		"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé"
		"ééééééééééééééééééééééééééééééééééééééééééééé===========\n",
		/* 75, 76 and 77 bytes, a '.' and "From " right after where a
		 * soft break falls */
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345\n"
		"123456789012345678901234567890123456789012345678901234567890"
		"1234567890123456\n"
		"123456789012345678901234567890123456789012345678901234567890"
		"12345678901234567\n"
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345.after\n"
		"123456789012345678901234567890123456789012345678901234567890"
		"123456789012345From here\n"
		"123456789012345678901234567890123456789012345678901234567890"
		"12345678901234 \n",
		"windows\r\nline\r\nbreaks\r\n",
		"lone\rcarriage return and \x01 control\n",
		"\n\n\nblank lines\n\n",
	};
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];

	tg_buf_init(&raw, 0, 0);
	for (size_t i = 0; i < TG_N(texts); i++) {
		struct tg_compose c = base();
		struct tg_message *m;
		char *want = crlf(texts[i]);
		const char *body;

		c.text = texts[i];
		m = roundtrip(pool, &c, msgid, &raw);
		TG_CHECK_STREQ_IDX(m->text, want, i);
		/* nothing a transport could change: 7-bit, no line starting
		 * with '.' or "From " */
		body = strstr(tg_buf_cstr(&raw), "\r\n\r\n");
		TG_CHECK(body != NULL);
		for (const char *p = body; p != NULL && *p != '\0'; p++) {
			TG_CHECK((unsigned char)*p < 0x80);
			if (p[0] == '\n' &&
			    (p[1] == '.' || strncmp(p + 1, "From ", 5) == 0))
				TG_CHECK_STREQ_IDX(p + 1, "", i);
		}
		free(want);
	}
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_html(void)
{
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_compose c = base();
	struct tg_buf raw, html;
	char msgid[TG_COMPOSE_MSGID_SIZE];
	struct tg_message *m;
	struct tg_limits lim;
	struct tg_part *root;
	unsigned hit = 0;
	const char *want_html =
		"<p>Ol&aacute; <b>Ann</b>, voil&agrave; — ação 😀</p>\n"
		"<p style=\"margin:0\">a=b</p>\n";

	c.text = "Olá Ann, voilà — ação 😀\n";
	c.html = want_html;
	tg_buf_init(&raw, 0, 0);
	tg_buf_init(&html, 0, 0);
	m = roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(m->text_source == TG_TEXT_PLAIN);
	TG_CHECK_STREQ(m->text, "Olá Ann, voilà — ação 😀\r\n");
	TG_CHECK(m->n_attachments == 0);

	tg_limits_init_default(&lim);
	root = tg_mime_parse(pool, raw.data, raw.len, &lim, &hit);
	TG_CHECK(hit == 0);
	TG_CHECK_STREQ(root->content_type, "multipart/alternative");
	TG_CHECK(root->children != NULL && root->children->next != NULL);
	if (root->children != NULL && root->children->next != NULL) {
		const struct tg_part *h = root->children->next;
		char *want = crlf(want_html);

		TG_CHECK_STREQ(root->children->content_type, "text/plain");
		TG_CHECK_STREQ(h->content_type, "text/html");
		TG_CHECK_STREQ(h->cte, "quoted-printable");
		TG_CHECK_STREQ(tg_param_get(&h->ctype, "charset"), "utf-8");
		tg_codec_qp_decode(h->body, h->body_len, &html);
		TG_CHECK_STREQ(tg_buf_cstr(&html), want);
		TG_CHECK(h->next == NULL);
		free(want);
	}
	tg_buf_deinit(&html);
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

/* No value from a sender can start a header of its own. */
static void
test_injection(void)
{
	static const char *const evil[] = {
		"x\r\nBcc: evil@x.example",      "x\nBcc: evil@x.example",
		"x\rBcc: evil@x.example",        "x\r\n\r\nbody injected",
		"Ol\xe1\r\nBcc: evil@x.example", /* Latin-1, not UTF-8 */
		"é\r\nBcc: é@x.example",
	};
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];

	tg_buf_init(&raw, 0, 0);
	for (size_t i = 0; i < TG_N(evil); i++) {
		struct tg_compose c = base();
		struct tg_message *m;

		c.subject = evil[i];
		c.from_name = evil[i];
		c.to_name = evil[i];
		m = roundtrip(pool, &c, msgid, &raw);
		TG_CHECK(header(m, "bcc") == NULL);
		TG_CHECK(m->n_to == 1);
		TG_CHECK(strstr(raw.data, "\nBcc") == NULL);
		TG_CHECK(strstr(m->text, "injected") == NULL);
		TG_CHECK(strchr(m->subject, '\r') == NULL &&
			 strchr(m->subject, '\n') == NULL);
	}
	/* a cleaned subject keeps its words */
	{
		struct tg_compose c = base();
		struct tg_message *m;

		c.subject = "x\r\nBcc: evil@x.example";
		m = roundtrip(pool, &c, msgid, &raw);
		TG_CHECK_STREQ(m->subject, "x Bcc: evil@x.example");
	}
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_auto(void)
{
	static const struct {
		enum tg_compose_kind kind;
		const char *value; /* Auto-Submitted, or NULL */
	} cases[] = {
		{TG_COMPOSE_REPLY, NULL},
		{TG_COMPOSE_AUTO_REPLY, "auto-replied"},
		{TG_COMPOSE_AUTO_GENERATED, "auto-generated"},
	};
	static const char *const extra[] = {"X-Ticket: 1042",
					    "X-Long: "
					    "aaaaaaaaaa bbbbbbbbbb "
					    "cccccccccc dddddddddd eeeeeeeeee "
					    "ffffffffff gggggggggg hhhhhhhhhh"};
	struct tg_classify_ctx ctx = {.loop_id = "helpdesk1"};
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];

	tg_buf_init(&raw, 0, 0);
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_compose c = base();
		struct tg_classification cl;
		struct tg_message *m;

		c.kind = cases[i].kind;
		c.extra_headers = extra;
		c.n_extra = TG_N(extra);
		m = roundtrip(pool, &c, msgid, &raw);
		TG_CHECK_STREQ_IDX(header(m, "auto-submitted"), cases[i].value,
				   i);
		TG_CHECK_STREQ_IDX(header(m, "precedence"),
				   cases[i].value ? "bulk" : NULL, i);
		TG_CHECK_STREQ_IDX(header(m, "x-auto-response-suppress"),
				   cases[i].value ? "All" : NULL, i);
		TG_CHECK_STREQ_IDX(header(m, "x-ticketgate-loop"), "helpdesk1",
				   i);
		TG_CHECK(header(m, "list-unsubscribe") == NULL);
		TG_CHECK_STREQ_IDX(header(m, "x-ticket"), "1042", i);
		TG_CHECK_STREQ_IDX(header(m, "x-long"), extra[1] + 8, i);
		/* what our own classifier makes of it if it comes back */
		tg_classify(pool, m, &ctx, &cl);
		TG_CHECK(cl.cls == TG_CLASS_LOOP);
		TG_CHECK((cl.rules & TG_RULE_LIST) == 0);
		if (cases[i].value != NULL)
			TG_CHECK((cl.rules & (TG_RULE_AUTO_SUBMITTED |
					      TG_RULE_PRECEDENCE)) ==
				 (TG_RULE_AUTO_SUBMITTED | TG_RULE_PRECEDENCE));
	}
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_errors(void)
{
	static const char *const bad_addresses[] = {
		"",
		"noat",
		"@example.com",
		"a b@example.com",
		"<a@example.com>",
		"a@example.com\r\nBcc: evil@x.example",
		"a@-example.com",
		"a@example..com",
		"a@exa_mple.com",
		"a\"b@example.com",
		"josé@example.com",
		"a@example.com>",
		"a,b@example.com",
	};
	static const char *const bad_extra[] = {
		"X-Foo: a\r\nBcc: evil@x.example",
		"X-Foo: a\nb",
		"No colon here",
		"X Foo: a",
		": empty name",
		"X-Foo: é",
		"List-Unsubscribe: <mailto:x@example.com>",
		"bcc: a@b.example",
		"Content-Type: text/html",
		"Subject: again",
	};
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];
	struct tg_err err;

	tg_buf_init(&raw, 0, 0);
	tg_buf_puts(&raw, "kept");
	for (size_t i = 0; i < TG_N(bad_addresses); i++) {
		for (int field = 0; field < 4; field++) {
			struct tg_compose c = base();
			const char *cc[1] = {bad_addresses[i]};

			if (field == 0)
				c.from_address = bad_addresses[i];
			else if (field == 1)
				c.to_address = bad_addresses[i];
			else if (field == 2)
				c.reply_to = bad_addresses[i];
			else {
				c.cc = cc;
				c.n_cc = 1;
			}
			memset(&err, 0, sizeof(err));
			TG_CHECK(tg_compose_message(&c, &raw, msgid,
						    sizeof(msgid), &err) == -1);
			TG_CHECK(strstr(err.msg, "address") != NULL);
			TG_CHECK_STREQ_IDX(tg_buf_cstr(&raw), "kept", i);
		}
	}
	for (size_t i = 0; i < TG_N(bad_extra); i++) {
		struct tg_compose c = base();

		c.extra_headers = &bad_extra[i];
		c.n_extra = 1;
		memset(&err, 0, sizeof(err));
		TG_CHECK(tg_compose_message(&c, &raw, msgid, sizeof(msgid),
					    &err) == -1);
		TG_CHECK(strstr(err.msg, "extra header 1") != NULL);
		TG_CHECK_STREQ_IDX(tg_buf_cstr(&raw), "kept", i);
	}
	{
		struct tg_compose c = base();

		c.msgid_domain = "bad domain";
		TG_CHECK(tg_compose_message(&c, &raw, msgid, sizeof(msgid),
					    &err) == -1);
		c = base();
		c.loop_id = NULL;
		TG_CHECK(tg_compose_message(&c, &raw, msgid, sizeof(msgid),
					    &err) == -1);
		c = base();
		c.loop_id = "two words";
		TG_CHECK(tg_compose_message(&c, &raw, msgid, sizeof(msgid),
					    &err) == -1);
		c = base();
		c.date = -1;
		TG_CHECK(tg_compose_message(&c, &raw, msgid, sizeof(msgid),
					    &err) == -1);
		c = base();
		TG_CHECK(tg_compose_message(&c, &raw, msgid, 64, &err) == -1);
		TG_CHECK_STREQ(tg_buf_cstr(&raw), "kept");
	}
	tg_buf_deinit(&raw);

	/* the buffer's cap: refused whole, nothing half-written */
	{
		struct tg_compose c = base();
		struct tg_buf small;

		tg_buf_init(&small, 0, 300);
		tg_buf_puts(&small, "kept");
		memset(&err, 0, sizeof(err));
		TG_CHECK(tg_compose_message(&c, &small, msgid, sizeof(msgid),
					    &err) == -1);
		TG_CHECK(strstr(err.msg, "over 300 bytes") != NULL);
		TG_CHECK_STREQ(tg_buf_cstr(&small), "kept");
		TG_CHECK(!small.overflow);
		tg_buf_deinit(&small);
	}
}

/* Ids from others' mail that are not fit to repeat are left out; long
 * chains keep their start and their newest ids. */
static void
test_references(void)
{
	const char *ids[30];
	char store[30][32];
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_buf raw;
	char msgid[TG_COMPOSE_MSGID_SIZE];
	struct tg_compose c = base();
	struct tg_message *m;

	for (size_t i = 0; i < TG_N(ids); i++) {
		snprintf(store[i], sizeof(store[i]), "id%zu@x.example", i);
		ids[i] = store[i];
	}
	ids[3] = "with space@x.example";
	ids[4] = "with<angle@x.example";
	c.references = ids;
	c.n_references = TG_N(ids);
	c.in_reply_to = "bad\r\nX-Evil: 1";
	tg_buf_init(&raw, 0, 0);
	m = roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(m->n_in_reply_to == 0);
	TG_CHECK(header(m, "x-evil") == NULL);
	TG_CHECK(m->n_references == 20);
	if (m->n_references == 20) {
		TG_CHECK_STREQ(m->references[0], "id0@x.example");
		TG_CHECK_STREQ(m->references[1], "id11@x.example");
		TG_CHECK_STREQ(m->references[19], "id29@x.example");
	}
	/* in_reply_to already last: not repeated */
	c.references = refs;
	c.n_references = TG_N(refs);
	c.in_reply_to = refs[1];
	m = roundtrip(pool, &c, msgid, &raw);
	TG_CHECK(m->n_references == 2);
	tg_buf_deinit(&raw);
	tg_pool_free(&pool);
}

static void
test_subject(void)
{
	static const struct {
		int64_t n;
		const char *in, *want;
	} cases[] = {
		{1042, "printer jam", "[#1042] printer jam"},
		{1042, "Re: printer jam", "Re: [#1042] printer jam"},
		{1042, "Re: [#1042] printer jam", "Re: [#1042] printer jam"},
		{1042, "RE: Re: AW: printer jam", "Re: [#1042] printer jam"},
		{1042, "Re: [#1042] Re: printer", "Re: [#1042] printer"},
		{1042, "printer jam [#1042]", "[#1042] printer jam"},
		{1042, "[#1042] [#1042] x [#1042]", "[#1042] x"},
		{1042, "Fwd: x", "Fwd: [#1042] x"},
		{1042, "Fwd: Re: x", "Re: [#1042] x"},
		{1042, "RES: ENC: Pedido", "Re: [#1042] Pedido"},
		{1042, "Re[2]: x", "Re: [#1042] x"},
		{1042, "Re : x", "Re: [#1042] x"},
		{1042, "Rex: x", "[#1042] Rex: x"},
		{1042, "Regarding: x", "[#1042] Regarding: x"},
		{1042, "[#77] other ticket", "[#1042] [#77] other ticket"},
		{1042, "", "[#1042]"},
		{1042, NULL, "[#1042]"},
		{1042, "Re:", "Re: [#1042]"},
		{1042, "  a \r\n b\t", "[#1042] a b"},
		{1042, "Olá [#01042]", "[#1042] Olá"},
		{7, "[#1042] x", "[#7] [#1042] x"},
		{0, " a  b ", "a b"},
	};
	struct tg_pool *pool = tg_pool_new(1024);

	for (size_t i = 0; i < TG_N(cases); i++)
		TG_CHECK_STREQ_IDX(
			tg_compose_subject(pool, cases[i].n, cases[i].in),
			cases[i].want, i);
	tg_pool_free(&pool);
}

int
main(void)
{
	test_basic();
	test_non_ascii_headers();
	test_bodies();
	test_html();
	test_injection();
	test_auto();
	test_errors();
	test_references();
	test_subject();
	return tg_test_done();
}
