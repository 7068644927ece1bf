/* Unit tests for tg_classify: one table row per rule of auto-mail-rules.md
 * (A, B, C), its pitfalls and the precedence between classes; then the
 * bounce details (RFC 3464 report, Exim, qmail and Sendmail text bounces,
 * X-Failed-Recipients) and a mutation run over them. The classifier
 * parses untrusted input. */
#include "ticketgate/classify.h"
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const own[] = { "support@example.com",
				   "suporte@example.com" };
static const char *const agents[] = { "agent@example.com" };
static const struct tg_classify_ctx ctx = {
	.loop_id = "tg-test-1",
	.msgid_domain = "tg.example.com",
	.own_addresses = own,
	.n_own = TG_N(own),
	.agent_addresses = agents,
	.n_agents = TG_N(agents),
};

/* Parses raw (a C string) and classifies it with ctx into *c. */
static void
classify(struct tg_pool *pool, const char *raw,
	 const struct tg_classify_ctx *cx, struct tg_classification *c)
{
	struct tg_limits lim;
	struct tg_message *m;

	tg_limits_init_default(&lim);
	tg_message_parse(pool, raw, strlen(raw), &lim, &m);
	tg_classify(pool, m, cx, c);
}

#define R(n) (1u << (n))
#define FROM "From: Ana Silva <ana@example.org>\n"
#define TO "To: support@example.com\n"
#define MID "Message-ID: <m1@example.org>\n"
#define BASE FROM TO MID "Subject: Printer jam\n"
#define MDN_TYPE                                                              \
	"Content-Type: multipart/report; "                                    \
	"report-type=disposition-notification; boundary=b\n"

struct rule_case {
	const char *name;
	const char *headers; /* the whole header block, "\n" line ends */
	enum tg_mail_class cls;
	unsigned rules;
	bool oof;
	const char *reason;
};

static const struct rule_case cases[] = {
	{ "plain mail", BASE, TG_CLASS_NORMAL, 0, false, "no rule matched" },

	/* A. Own loop. */
	{ "1 loop header", BASE "X-Ticketgate-Loop: tg-test-1\n",
	  TG_CLASS_LOOP, R(1), false, "x-ticketgate-loop: this instance" },
	{ "1 loop header, blanks", BASE "X-Ticketgate-Loop:  tg-test-1 \n",
	  TG_CLASS_LOOP, R(1), false, "x-ticketgate-loop: this instance" },
	{ "1 second loop header is ours",
	  BASE "X-Ticketgate-Loop: tg-prod-9\nX-TICKETGATE-LOOP: tg-test-1\n",
	  TG_CLASS_LOOP, R(1), false, "x-ticketgate-loop: this instance" },
	{ "1 other instance", BASE "X-Ticketgate-Loop: tg-prod-9\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "2 our msgid",
	  FROM TO "Message-ID: <3f0c2a1e-7b9d-4c2e-9a51-0d6e8f7a1b2c@TG.Example.com>\n"
	  "Subject: x\n",
	  TG_CLASS_LOOP, R(2), false, "message-id: ours" },
	{ "2 our domain, not our form (an agent's own mail server)",
	  FROM TO "Message-ID: <4f1c-9a@TG.Example.com>\nSubject: x\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "2 subdomain is not ours",
	  FROM TO "Message-ID: <4f1c@mx.tg.example.com>\nSubject: x\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "3 from our address",
	  "From: Support <Support@Example.com>\n" TO MID "Subject: x\n",
	  TG_CLASS_LOOP, R(3), false, "from: our own address" },
	{ "3 our reply address with token",
	  "From: support+t1042.k7f3q@example.com\n" TO MID "Subject: x\n",
	  TG_CLASS_LOOP, R(3), false, "from: our own address" },
	{ "3 sender is ours", FROM "Sender: suporte@example.com\n" TO MID,
	  TG_CLASS_LOOP, R(3), false, "from: our own address" },
	{ "3 agent sending as support",
	  "From: support@example.com\nSender: Agent <agent@example.com>\n"
	  TO MID,
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "3 similar address is not ours",
	  "From: support@example.com.evil.test\n" TO MID,
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },

	/* B. Bounces. */
	{ "4 multipart/report delivery-status",
	  BASE "Content-Type: multipart/report;\n"
	  " report-type=\"Delivery-Status\"; boundary=b\n",
	  TG_CLASS_BOUNCE, R(4), false, "content-type: delivery-status report" },
	{ "4 read receipt is not a bounce",
	  BASE MDN_TYPE,
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "5 null return path", "Return-Path: <>\n" BASE,
	  TG_CLASS_BOUNCE, R(5), false, "return-path: <>" },
	{ "5 null return path with blanks", "Return-Path: < >\n" BASE,
	  TG_CLASS_BOUNCE, R(5), false, "return-path: <>" },
	{ "5 ordinary return path", "Return-Path: <ana@example.org>\n" BASE,
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "5 alone yields to an auto-reply",
	  "Return-Path: <>\n" BASE "Auto-Submitted: auto-replied\n",
	  TG_CLASS_AUTO_REPLY, R(5) | R(9), false,
	  "auto-submitted: auto-replied" },
	{ "5 alone yields to a read receipt",
	  "Return-Path: <>\n" BASE MDN_TYPE,
	  TG_CLASS_NORMAL, R(5), false, "no rule matched" },
	{ "6 mailer-daemon",
	  "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n" TO MID,
	  TG_CLASS_BOUNCE, R(6), false, "from: mailer-daemon" },
	{ "6 postmaster", "From: postmaster@mx.example.net\n" TO MID,
	  TG_CLASS_BOUNCE, R(6), false, "from: postmaster" },
	{ "6 bare MAILER-DAEMON", "From: MAILER-DAEMON\n" TO MID,
	  TG_CLASS_BOUNCE, R(6), false, "from: mailer-daemon" },
	{ "6 only the local part counts",
	  "From: postmaster-team@example.org\n" TO MID,
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "7 x-failed-recipients", BASE "X-Failed-Recipients: bob@example.net\n",
	  TG_CLASS_BOUNCE, R(7), false, "x-failed-recipients" },
	{ "8 Undeliverable:", FROM TO MID "Subject: Undeliverable: Printer jam\n",
	  TG_CLASS_BOUNCE, R(8), false, "subject: delivery failure" },
	{ "8 Postfix", FROM TO MID "Subject: Undelivered Mail Returned to Sender\n",
	  TG_CLASS_BOUNCE, R(8), false, "subject: delivery failure" },
	{ "8 Delivery Status",
	  FROM TO MID "Subject: Delivery Status Notification (Failure)\n",
	  TG_CLASS_BOUNCE, R(8), false, "subject: delivery failure" },
	{ "8 Delivery Failure", FROM TO MID "Subject: delivery failure: x\n",
	  TG_CLASS_BOUNCE, R(8), false, "subject: delivery failure" },
	{ "8 Exim",
	  FROM TO MID
	  "Subject: Mail delivery failed: returning message to sender\n",
	  TG_CLASS_BOUNCE, R(8), false, "subject: delivery failure" },
	{ "8 only at the start", FROM TO MID "Subject: Fwd: Undeliverable: x\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },

	/* C. Automatic mail. */
	{ "9 auto-replied", BASE "Auto-Submitted: auto-replied\n",
	  TG_CLASS_AUTO_REPLY, R(9), false, "auto-submitted: auto-replied" },
	{ "9 auto-generated", BASE "Auto-Submitted: Auto-Generated (ticket)\n",
	  TG_CLASS_AUTO_REPLY, R(9), false, "auto-submitted: auto-generated" },
	{ "9 unknown value", BASE "Auto-Submitted: yes\n",
	  TG_CLASS_AUTO_REPLY, R(9), false, "auto-submitted" },
	{ "9 pitfall: no", BASE "Auto-Submitted: no\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "9 pitfall: No (comment)", BASE "Auto-Submitted:  No (a person)\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "10 bulk", BASE "Precedence: bulk\n",
	  TG_CLASS_BULK, R(10), false, "precedence: bulk" },
	{ "10 junk", BASE "Precedence: JUNK\n",
	  TG_CLASS_BULK, R(10), false, "precedence: junk" },
	{ "10 list", BASE "Precedence: list\n",
	  TG_CLASS_BULK, R(10), false, "precedence: list" },
	{ "10 auto_reply", BASE "Precedence: auto_reply\n",
	  TG_CLASS_AUTO_REPLY, R(10), false, "precedence: auto_reply" },
	{ "10 X-Precedence", BASE "X-Precedence: bulk\n",
	  TG_CLASS_BULK, R(10), false, "precedence: bulk" },
	{ "10 pitfall: first-class", BASE "Precedence: first-class\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "10 pitfall: normal", BASE "Precedence: normal\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "11 X-Autoreply", BASE "X-Autoreply: yes\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "11 X-Autorespond", BASE "X-Autorespond: vacation\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "11 X-Autoresponse", BASE "X-Autoresponse: 1\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "11 X-AutoReply-From", BASE "X-AutoReply-From: ana@example.org\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "11 X-Mail-Autoreply", BASE "X-Mail-Autoreply: yes\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "11 X-Autogenerated: Reply", BASE "X-Autogenerated: Reply\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autogenerated: reply" },
	{ "11 X-Autogenerated: Forward", BASE "X-Autogenerated: Forward\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "12 X-Loop", BASE "X-Loop: helpdesk@example.org\n",
	  TG_CLASS_AUTO_REPLY, R(12), false, "x-loop" },
	{ "12 X-No-Loop", BASE "X-No-Loop: yes\n",
	  TG_CLASS_AUTO_REPLY, R(12), false, "x-no-loop" },
	{ "13 List-Id", BASE "List-Id: Users <users.lists.example.org>\n",
	  TG_CLASS_BULK, R(13), false, "list-id" },
	{ "13 List-Unsubscribe", BASE "List-Unsubscribe: <mailto:u@example.org>\n",
	  TG_CLASS_BULK, R(13), false, "list-unsubscribe" },
	{ "13 Mailing-List", BASE "Mailing-List: contact users-help@example.org\n",
	  TG_CLASS_BULK, R(13), false, "mailing-list" },
	{ "14 pitfall: suppress alone", BASE "X-Auto-Response-Suppress: All\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "14 with auto-submitted",
	  BASE "X-Auto-Response-Suppress: DR, RN\nAuto-Submitted: auto-generated\n",
	  TG_CLASS_AUTO_REPLY, R(9) | R(14), false,
	  "auto-submitted: auto-generated" },
	{ "14 OOF is not one of its values",
	  BASE "X-Auto-Response-Suppress: OOF, NRN\nX-Autoreply: yes\n",
	  TG_CLASS_AUTO_REPLY, R(11), false, "x-autoreply header" },
	{ "15 Exchange inbox rule",
	  FROM TO MID "Subject: Automatic reply: Printer jam\n"
	  "X-MS-Exchange-Inbox-Rules-Loop: ana@example.org\n"
	  "X-Auto-Response-Suppress: All\n",
	  TG_CLASS_AUTO_REPLY, R(14) | R(15), true,
	  "x-ms-exchange-inbox-rules-loop" },
	{ "15 Sieve vacation",
	  BASE "Auto-Submitted: auto-replied (vacation)\n",
	  TG_CLASS_AUTO_REPLY, R(9) | R(15), true,
	  "auto-submitted: auto-replied" },
	{ "15 owner-email",
	  BASE "Auto-Submitted: auto-replied; owner-email=\"ana@example.org\"\n",
	  TG_CLASS_AUTO_REPLY, R(9) | R(15), true,
	  "auto-submitted: auto-replied" },
	{ "16 X-FC-Machinegenerated", BASE "X-FC-Machinegenerated: true\n",
	  TG_CLASS_AUTO_REPLY, R(16), false, "x-fc-machinegenerated: true" },
	{ "16 X-FC-Machinegenerated false", BASE "X-FC-Machinegenerated: false\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "16 Amazon notification",
	  BASE "X-AMAZON-MAIL-RELAY-TYPE: NOTIFICATION\n",
	  TG_CLASS_AUTO_REPLY, R(16), false,
	  "x-amazon-mail-relay-type: notification" },

	/* Spam verdicts from upstream filters. */
	{ "spam flag", BASE "X-Spam-Flag: YES\n",
	  TG_CLASS_SPAM, R(17), false, "x-spam-flag: yes" },
	{ "spam flag no", BASE "X-Spam-Flag: NO\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "spam status", BASE "X-Spam-Status: Yes, score=7.2 required=5.0\n",
	  TG_CLASS_SPAM, R(17), false, "x-spam-status: yes" },
	{ "spam status no", BASE "X-Spam-Status: No, score=-0.1 required=5.0\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "rspamd", BASE "X-Spam: yes\n",
	  TG_CLASS_SPAM, R(17), false, "x-spam: yes" },
	{ "rspamd no", BASE "X-Spam: No\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },

	/* Out-of-office subjects: only on mail a rule found automatic. */
	{ "oof subject alone is a person's mail",
	  FROM TO MID "Subject: Out of office printer is broken\n",
	  TG_CLASS_NORMAL, 0, false, "no rule matched" },
	{ "oof subject, German",
	  FROM TO MID "Subject: Abwesenheitsnotiz: Printer jam\nX-Autoreply: yes\n",
	  TG_CLASS_AUTO_REPLY, R(11), true, "x-autoreply header" },
	{ "oof subject, Portuguese encoded",
	  FROM TO MID "Subject: =?UTF-8?Q?Resposta_autom=C3=A1tica:_Impressora?=\n"
	  "Auto-Submitted: auto-generated\n",
	  TG_CLASS_AUTO_REPLY, R(9), true, "auto-submitted: auto-generated" },
	{ "oof subject, Fora do escritorio",
	  FROM TO MID "Subject: =?ISO-8859-1?Q?Fora_do_escrit=F3rio?=\n"
	  "Precedence: auto_reply\n",
	  TG_CLASS_AUTO_REPLY, R(10), true, "precedence: auto_reply" },

	/* Precedence between classes. */
	{ "loop beats bounce",
	  "Return-Path: <>\nFrom: support@example.com\n" TO MID,
	  TG_CLASS_LOOP, R(3) | R(5), false, "from: our own address" },
	{ "bounce beats spam",
	  "From: MAILER-DAEMON@mx.example.net\n" TO MID "X-Spam-Flag: YES\n",
	  TG_CLASS_BOUNCE, R(6) | R(17), false, "from: mailer-daemon" },
	{ "spam beats auto-reply",
	  BASE "X-Spam-Flag: YES\nAuto-Submitted: auto-replied\n",
	  TG_CLASS_SPAM, R(9) | R(17), false, "x-spam-flag: yes" },
	{ "auto-reply beats bulk",
	  BASE "Precedence: bulk\nList-Id: <l.example.org>\n"
	  "Auto-Submitted: auto-generated\n",
	  TG_CLASS_AUTO_REPLY, R(9) | R(10) | R(13), false,
	  "auto-submitted: auto-generated" },
	{ "Exim bounce: first bounce rule is the reason",
	  "Return-Path: <>\nFrom: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	  TO MID "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: bob@example.net\nAuto-Submitted: auto-replied\n",
	  TG_CLASS_BOUNCE, R(5) | R(6) | R(7) | R(8) | R(9), false,
	  "return-path: <>" },
	{ "bounce with an auto-reply header stays a bounce",
	  "Return-Path: <>\n" BASE
	  "X-Failed-Recipients: bob@example.net\nX-Autoreply: yes\n",
	  TG_CLASS_BOUNCE, R(5) | R(7) | R(11), false, "return-path: <>" },
};

static void
test_rules(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(0);
		struct tg_classification c;
		struct tg_buf raw;

		tg_buf_init(&raw, 256, 0);
		tg_buf_puts(&raw, cases[i].headers);
		tg_buf_puts(&raw, "\nHello.\n");
		classify(pool, tg_buf_cstr(&raw), &ctx, &c);
		TG_CHECK_STREQ_IDX(tg_mail_class_name(c.cls),
				   tg_mail_class_name(cases[i].cls), i);
		TG_CHECK_STREQ_IDX(c.reason, cases[i].reason, i);
		if (c.rules != cases[i].rules)
			fprintf(stderr, "case %zu (%s): rules %05x, want %05x\n",
				i, cases[i].name, c.rules, cases[i].rules);
		TG_CHECK(c.rules == cases[i].rules);
		if (c.out_of_office != cases[i].oof)
			fprintf(stderr, "case %zu (%s): out_of_office %d\n", i,
				cases[i].name, c.out_of_office);
		TG_CHECK(c.out_of_office == cases[i].oof);
		/* header-only bounces name nothing */
		TG_CHECK(c.bounced_message_id == NULL);
		tg_buf_deinit(&raw);
		tg_pool_free(&pool);
	}
}

static void
test_names_and_ctx(void)
{
	static const char *const names[] = {
		"normal", "auto_reply", "bounce", "bulk", "spam", "loop",
	};
	struct tg_pool *pool = tg_pool_new(0);
	struct tg_classification c;
	static const struct tg_classify_ctx empty = { 0 };

	for (int i = 0; i < (int)TG_N(names); i++)
		TG_CHECK_STREQ_IDX(tg_mail_class_name((enum tg_mail_class)i),
				   names[i], i);
	TG_CHECK_STREQ(tg_mail_class_name((enum tg_mail_class)99), "unknown");

	/* without a context the loop rules are off */
	classify(pool, "From: support@example.com\nX-Ticketgate-Loop: tg-test-1\n"
		 "Message-ID: <a@tg.example.com>\n\nx\n", NULL, &c);
	TG_CHECK(c.cls == TG_CLASS_NORMAL && c.rules == 0);
	classify(pool, "From: support@example.com\nX-Ticketgate-Loop: \n"
		 "Message-ID: <a@tg.example.com>\n\nx\n", &empty, &c);
	TG_CHECK(c.cls == TG_CLASS_NORMAL && c.rules == 0);
	/* a message with nothing in it */
	classify(pool, "", &ctx, &c);
	TG_CHECK(c.cls == TG_CLASS_NORMAL && c.n_failed_recipients == 0);
	tg_pool_free(&pool);
}

/* A Postfix DSN: Final- before Original-Recipient, a folded diagnostic,
 * a second (delayed) recipient, the returned message. */
static const char dsn_postfix[] =
	"Return-Path: <>\n"
	"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
	"To: support@example.com\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Message-Id: <20240301101500.1A2B3C@mx.example.net>\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"B1\"\n"
	"\n"
	"--B1\n"
	"Content-Type: text/plain; charset=us-ascii\n"
	"\n"
	"I'm sorry to have to inform you that your message could not\n"
	"be delivered to one or more recipients.\n"
	"\n"
	"--B1\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.example.net\n"
	"Arrival-Date: Fri,  1 Mar 2024 10:15:00 +0000 (UTC)\n"
	"\n"
	"Final-Recipient: rfc822; ana.silva@mail.example.org\n"
	"Original-Recipient: rfc822;Ana@Example.org\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 <ana.silva@mail.example.org>:\n"
	"    Recipient address rejected: User unknown\n"
	"\n"
	"Final-Recipient: rfc822; bob@example.net\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"\n"
	"--B1\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"Return-Path: <support@example.com>\n"
	"From: Support <support@example.com>\n"
	"To: ana@example.org\n"
	"Subject: [#1042] We got your message\n"
	"Message-ID: <ack-1042@support.example.com>\n"
	"\n"
	"Thank you.\n"
	"--B1--\n";

/* Headers only, blocks not separated by blank lines, odd address forms. */
static const char dsn_headers_only[] =
	"From: postmaster@mx.example.net\n"
	"Subject: Delivery Status Notification (Failure)\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n"
	"\n"
	"--x\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mx.example.net\n"
	"Final-Recipient: RFC822; <Carla@Example.NET>\n"
	"Action: failed\n"
	"Status: 5.2.2 (mailbox full)\n"
	"Final-Recipient: rfc822;dave@example.net (Dave)\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"--x\n"
	"Content-Type: text/rfc822-headers\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	/* "Message-ID:\n <t-77@support.example.com>\nSubject: hi\n" */
	"TWVzc2FnZS1JRDoKIDx0LTc3QHN1cHBvcnQuZXhhbXBsZS5jb20+ClN1YmplY3Q6IGhpCg==\n"
	"--x--\n";

static const char exim_bounce[] =
	"Return-path: <>\n"
	"From: Mail Delivery System <Mailer-Daemon@mx.example.net>\n"
	"To: support@example.com\n"
	"Subject: Mail delivery failed: returning message to sender\n"
	"X-Failed-Recipients: ana@example.org\n"
	"Auto-Submitted: auto-replied\n"
	"\n"
	"This message was created automatically by mail delivery software.\n"
	"\n"
	"A message that you sent could not be delivered to one or more of its\n"
	"recipients. This is a permanent error. The following address(es) failed:\n"
	"\n"
	"  ana@example.org\n"
	"    host mx.example.org [192.0.2.1]\n"
	"    SMTP error from remote mail server after RCPT TO:<ana@example.org>:\n"
	"    550 5.1.1 User unknown\n"
	"\n"
	"------ This is a copy of the message, including all the headers. ------\n"
	"\n"
	"Return-path: <support@example.com>\n"
	"Message-Id: <ack-7@support.example.com>\n"
	"From: support@example.com\n"
	"\n"
	"Quoted further down:\n"
	"Message-Id: <not-this-one@example.net>\n";

static const char qmail_bounce[] =
	"Return-Path: <>\n"
	"From: MAILER-DAEMON@mx.example.net\n"
	"Subject: failure notice\n"
	"\n"
	"Hi. This is the qmail-send program at mx.example.net.\n"
	"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
	"This is a permanent error; I've given up. Sorry it didn't work out.\n"
	"\n"
	"<Erin@Example.org>:\n"
	"192.0.2.7 does not like recipient.\n"
	"Remote host said: 550 no such mailbox (#5.1.1)\n"
	"Giving up on 192.0.2.7.\n"
	"\n"
	"--- Below this line is a copy of the message.\n"
	"\n"
	"Return-Path: <support@example.com>\n"
	"Received: (qmail 1 invoked by uid 1); 1 Mar 2024 10:00:00 -0000\n"
	"    (folded)\n"
	"Message-ID: <ack-8@support.example.com>\n"
	"Subject: hi\n"
	"\n"
	"body\n";

static const char sendmail_bounce[] =
	"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\n"
	"Subject: Returned mail: see transcript for details\n"
	"\n"
	"The original message was received at Fri, 1 Mar 2024 10:00:00 GMT\n"
	"from localhost [127.0.0.1]\n"
	"\n"
	"   ----- The following addresses had permanent fatal errors -----\n"
	"<frank@example.org>\n"
	"    (reason: 550 5.1.1 User unknown)\n"
	"\n"
	"   ----- Transcript of session follows -----\n"
	"... while talking to mx.example.org.:\n"
	">>> RCPT To:<gina@example.org>\n"
	"<<< 550 5.1.1 User unknown\n"
	"550 5.1.1 <hank@example.org>... User unknown\n"
	"\n"
	"   ----- Original message follows -----\n"
	"\n"
	"   Message-ID: <ack-9@support.example.com>\n"
	"   Subject: indented copy\n";

/* A gateway that wraps the report it got in a message/rfc822. */
static const char wrapped_dsn[] =
	"From: postmaster@gw.example.net\n"
	"Subject: Returned mail\n"
	"Content-Type: multipart/mixed; boundary=outer\n"
	"\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"See attached.\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"\n"
	"From: MAILER-DAEMON@mx.example.net\n"
	"Message-ID: <inner-report@mx.example.net>\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Final-Recipient: rfc822; ivy@example.org\n"
	"Action: failed\n"
	"Status: 5.7.1\n"
	"\n"
	"--inner\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"Message-ID: <ack-10@support.example.com>\n"
	"--inner--\n"
	"--outer--\n";

struct bounce_case {
	const char *name;
	const char *raw;
	const char *msgid;
	const char *rcpts[4];
	const char *status;
	const char *diag;
};

static const struct bounce_case bounces[] = {
	{ "Postfix DSN", dsn_postfix, "ack-1042@support.example.com",
	  { "ana@example.org" }, "5.1.1",
	  "550 5.1.1 <ana.silva@mail.example.org>: Recipient address "
	  "rejected: User unknown" },
	{ "headers-only DSN", dsn_headers_only, "t-77@support.example.com",
	  { "carla@example.net", "dave@example.net" }, "5.2.2", NULL },
	{ "Exim", exim_bounce, "ack-7@support.example.com",
	  { "ana@example.org" }, "5.1.1", NULL },
	{ "qmail", qmail_bounce, "ack-8@support.example.com",
	  { "erin@example.org" }, "5.1.1", NULL },
	{ "Sendmail text", sendmail_bounce, "ack-9@support.example.com",
	  { "frank@example.org", "gina@example.org", "hank@example.org" },
	  "5.1.1", NULL },
	{ "wrapped report", wrapped_dsn, "ack-10@support.example.com",
	  { "ivy@example.org" }, "5.7.1", NULL },
	{ "X-Failed-Recipients only",
	  "From: mailer-daemon@googlemail.com\n"
	  "X-Failed-Recipients: Jo@Example.org, jo@example.org,not an address,\n"
	  "  kim@example.net\n"
	  "X-Failed-Recipients: <lee@example.com>\n\nNo copy here.\n",
	  NULL, { "jo@example.org", "kim@example.net", "lee@example.com" },
	  NULL, NULL },
};

static void
test_bounces(void)
{
	for (size_t i = 0; i < TG_N(bounces); i++) {
		const struct bounce_case *bc = &bounces[i];
		struct tg_pool *pool = tg_pool_new(0);
		struct tg_classification c;
		size_t n = 0;

		classify(pool, bc->raw, &ctx, &c);
		TG_CHECK_STREQ_IDX(tg_mail_class_name(c.cls), "bounce", i);
		TG_CHECK_STREQ_IDX(c.bounced_message_id, bc->msgid, i);
		while (n < TG_N(bc->rcpts) && bc->rcpts[n] != NULL)
			n++;
		if (c.n_failed_recipients != n)
			fprintf(stderr, "case %zu (%s): %zu recipients\n", i,
				bc->name, c.n_failed_recipients);
		TG_CHECK(c.n_failed_recipients == n);
		for (size_t k = 0; k < n && k < c.n_failed_recipients; k++)
			TG_CHECK_STREQ_IDX(c.failed_recipients[k],
					   bc->rcpts[k], i);
		TG_CHECK_STREQ_IDX(c.bounce_status, bc->status, i);
		TG_CHECK_STREQ_IDX(c.bounce_diagnostic, bc->diag, i);
		tg_pool_free(&pool);
	}
}

/* Bounce details stay empty where there is no bounce to read. */
static void
test_no_details(void)
{
	struct tg_pool *pool = tg_pool_new(0);
	struct tg_classification c;

	/* an autoresponder with the null sender quoting the message */
	classify(pool,
		 "Return-Path: <>\nFrom: ana@example.org\n"
		 "Subject: Automatic reply: hi\nAuto-Submitted: auto-replied\n\n"
		 "I am away.\n\n--- Original message ---\n"
		 "Message-ID: <ack-1@support.example.com>\n",
		 &ctx, &c);
	TG_CHECK(c.cls == TG_CLASS_AUTO_REPLY && c.out_of_office);
	TG_CHECK(c.bounced_message_id == NULL && c.n_failed_recipients == 0 &&
		 c.bounce_status == NULL && c.bounce_diagnostic == NULL);
	tg_pool_free(&pool);
}

static bool
utf8(const char *s)
{
	return s == NULL || tg_utf8_valid(s, strlen(s));
}

static void
check_sane(const struct tg_classification *c)
{
	TG_CHECK(c->reason != NULL);
	TG_CHECK(c->n_failed_recipients <= TG_CLASSIFY_MAX_RECIPIENTS);
	TG_CHECK(utf8(c->bounced_message_id));
	TG_CHECK(utf8(c->bounce_status));
	TG_CHECK(utf8(c->bounce_diagnostic));
	for (size_t k = 0; k < c->n_failed_recipients; k++)
		TG_CHECK(utf8(c->failed_recipients[k]) &&
			 strchr(c->failed_recipients[k], '@') != NULL);
}

/* Hostile details: 8-bit junk, overlong addresses, many recipients. */
static void
test_hostile(void)
{
	struct tg_pool *pool = tg_pool_new(0);
	struct tg_classification c;
	struct tg_buf b;
	char longaddr[400];

	tg_buf_init(&b, 4096, 0);
	tg_buf_puts(&b, "From: MAILER-DAEMON@x.example\n"
		    "Content-Type: multipart/report; "
		    "report-type=delivery-status; boundary=z\n\n"
		    "--z\nContent-Type: message/delivery-status\n\n");
	memset(longaddr, 'a', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	longaddr[200] = '@';
	tg_buf_appendf(&b, "Final-Recipient: rfc822; %s.example\nAction: failed\n\n",
		       longaddr);
	tg_buf_puts(&b, "Final-Recipient: rfc822; caf\xe9@exa\xffmple.org\n"
		    "Action: failed\nStatus: 5.1.1\n"
		    "Diagnostic-Code: smtp; 550 caf\xe9 \x01\x02 unknown\xc3\n\n");
	for (int i = 0; i < 100; i++)
		tg_buf_appendf(&b, "Final-Recipient: rfc822; u%d@example.org\n"
			       "Action: failed\n\n", i);
	tg_buf_puts(&b, "--z\nContent-Type: message/rfc822\n\n"
		    "Message-ID: <\xff\xfe@x>\n--z--\n");
	classify(pool, tg_buf_cstr(&b), &ctx, &c);
	TG_CHECK(c.cls == TG_CLASS_BOUNCE);
	TG_CHECK(c.n_failed_recipients == TG_CLASSIFY_MAX_RECIPIENTS);
	TG_CHECK_STREQ(c.failed_recipients[0], "caf\xc3\xa9@exa\xc3\xbfmple.org");
	TG_CHECK_STREQ(c.bounce_status, "5.1.1");
	TG_CHECK_STREQ(c.bounce_diagnostic, "550 caf\xc3\xa9 unknown\xc3\x83");
	TG_CHECK_STREQ(c.bounced_message_id, "\xc3\xbf\xc3\xbe@x");
	check_sane(&c);
	tg_buf_deinit(&b);
	tg_pool_free(&pool);
}

/* Deterministic mutations of the bounce samples (bytes flipped, cut,
 * lines duplicated): the classifier must stay in bounds and keep its
 * output well-formed. ASan and valgrind make this test meaningful. */
static void
test_mutations(void)
{
	uint32_t seed = 12345;

	for (size_t i = 0; i < TG_N(bounces); i++) {
		const char *src = bounces[i].raw;
		size_t len = strlen(src);

		for (int round = 0; round < 200; round++) {
			struct tg_pool *pool = tg_pool_new(0);
			struct tg_classification c;
			struct tg_limits lim;
			struct tg_message *m;
			char *raw = malloc(len * 2 + 1);
			size_t n = len;

			memcpy(raw, src, len);
			for (int k = 0; k < 1 + round % 8; k++) {
				seed = seed * 1103515245u + 12345u;
				size_t at = (seed >> 8) % n;

				switch ((seed >> 4) % 4) {
				case 0:
					raw[at] = (char)(seed >> 24);
					break;
				case 1:
					n = at + 1; /* cut */
					break;
				case 2:
					raw[at] = (seed & 1) ? '\n' : ':';
					break;
				default:
					if (n + (n - at) <= len * 2) {
						memmove(raw + n, raw + at,
							n - at);
						n += n - at;
					}
					break;
				}
			}
			tg_limits_init_default(&lim);
			tg_message_parse(pool, raw, n, &lim, &m);
			tg_classify(pool, m, &ctx, &c);
			check_sane(&c);
			free(raw);
			tg_pool_free(&pool);
		}
	}
}

/* The realistic fixtures in tests/data, found next to this file. */
static const struct {
	const char *file;
	enum tg_mail_class cls;
	unsigned rules;
	bool oof;
	const char *msgid, *rcpt, *status;
} fixtures[] = {
	{ "class-outlook-oof.eml", TG_CLASS_AUTO_REPLY,
	  R(5) | R(9) | R(14) | R(15), true, NULL, NULL, NULL },
	{ "class-gmail-vacation.eml", TG_CLASS_AUTO_REPLY, R(9), true,
	  NULL, NULL, NULL },
	{ "class-postfix-dsn.eml", TG_CLASS_BOUNCE,
	  R(4) | R(5) | R(6) | R(8) | R(9), false,
	  "ack-1042@support.example.com", "r.costa@cliente.example.org",
	  "5.1.1" },
	{ "class-exim-bounce.eml", TG_CLASS_BOUNCE,
	  R(5) | R(6) | R(7) | R(8) | R(9), false,
	  "ack-2081@support.example.com", "ana.silva@loja.example.pt",
	  "5.2.2" },
	{ "class-mailing-list.eml", TG_CLASS_BULK, R(10) | R(13), false,
	  NULL, NULL, NULL },
	{ "class-spam-flagged.eml", TG_CLASS_SPAM, R(17), false,
	  NULL, NULL, NULL },
};

static void
test_fixtures(void)
{
	const char *slash = strrchr(__FILE__, '/');
	int dirlen = slash != NULL ? (int)(slash - __FILE__) : 1;
	const char *dir = slash != NULL ? __FILE__ : ".";

	for (size_t i = 0; i < TG_N(fixtures); i++) {
		struct tg_pool *pool = tg_pool_new(0);
		struct tg_classification c;
		struct tg_buf raw, path;
		char chunk[4096];
		size_t n;
		FILE *fp;

		tg_buf_init(&path, 256, 0);
		tg_buf_appendf(&path, "%.*s/../data/%s", dirlen, dir,
			       fixtures[i].file);
		fp = fopen(tg_buf_cstr(&path), "rb");
		TG_CHECK(fp != NULL);
		if (fp == NULL) {
			fprintf(stderr, "cannot open %s\n", tg_buf_cstr(&path));
			tg_buf_deinit(&path);
			tg_pool_free(&pool);
			continue;
		}
		tg_buf_init(&raw, 8192, 0);
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			tg_buf_append(&raw, chunk, n);
		fclose(fp);
		classify(pool, tg_buf_cstr(&raw), &ctx, &c);
		TG_CHECK_STREQ_IDX(tg_mail_class_name(c.cls),
				   tg_mail_class_name(fixtures[i].cls), i);
		if (c.rules != fixtures[i].rules)
			fprintf(stderr, "%s: rules %05x\n", fixtures[i].file,
				c.rules);
		TG_CHECK(c.rules == fixtures[i].rules);
		TG_CHECK(c.out_of_office == fixtures[i].oof);
		TG_CHECK_STREQ_IDX(c.bounced_message_id, fixtures[i].msgid, i);
		TG_CHECK_STREQ_IDX(c.n_failed_recipients > 0
					   ? c.failed_recipients[0] : NULL,
				   fixtures[i].rcpt, i);
		TG_CHECK(c.n_failed_recipients <= 1);
		TG_CHECK_STREQ_IDX(c.bounce_status, fixtures[i].status, i);
		tg_buf_deinit(&raw);
		tg_buf_deinit(&path);
		tg_pool_free(&pool);
	}
}

int
main(void)
{
	test_rules();
	test_names_and_ctx();
	test_bounces();
	test_no_details();
	test_hostile();
	test_mutations();
	test_fixtures();
	return tg_test_done();
}
