/* Unit tests for the ingest pipeline's pure half: which support address a
 * message in a shared folder was sent to, and the class an agent gets
 * when rule 3 alone called the mail a loop. */
#include "ticketgate/ingest.h"
#include "ticketgate/agent-token.h"
#include "ticketgate/config.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const folder[] = {"support@example.com",
				     "security@example.com"};

static const char *
recipient(struct tg_pool *pool, const char *raw)
{
	struct tg_limits lim;
	struct tg_message *m;

	tg_limits_init_default(&lim);
	tg_message_parse(pool, raw, strlen(raw), &lim, &m);
	return tg_ingest_recipient(pool, m, folder, TG_N(folder));
}

static void
test_recipient(void)
{
	static const struct {
		const char *raw, *want; /* want NULL: no match */
	} cases[] = {
		/* the MTA's trace beats what the sender wrote */
		{"Delivered-To: security@example.com\nTo: support@example.com\n"
		 "\nx\n", "security@example.com"},
		{"X-Original-To: Security@Example.com\nTo: support@example.com\n"
		 "\nx\n", "security@example.com"},
		/* the first Delivered-To that is ours; later ones too */
		{"Delivered-To: relay@isp.example\n"
		 "Delivered-To: support@example.com\n\nx\n",
		 "support@example.com"},
		/* a +tag is kept: it may carry a reply token */
		{"To: Support <support+t1042.abcd@example.com>\n\nx\n",
		 "support+t1042.abcd@example.com"},
		{"To: someone@else.example\nCc: security@example.com\n\nx\n",
		 "security@example.com"},
		{"To: someone@else.example\n\nx\n", NULL},
		{"To: support@example.com.evil.example\n\nx\n", NULL},
		{"\nno headers at all\n", NULL},
	};

	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(4096);
		const char *got = recipient(pool, cases[i].raw);

		if (cases[i].want == NULL)
			TG_CHECK(got == NULL);
		else
			TG_CHECK_STREQ_IDX(got, cases[i].want, (int)i);
		tg_pool_free(&pool);
	}
}

/* Rule 3: mail from support@ is our own loop unless its Sender is an
 * agent; the class for that case is worked out in advance. */
static void
test_as_agent(void)
{
	static const char raw[] =
		"From: Support <support@example.com>\n"
		"Sender: Ana <Ana@Example.com>\n"
		"To: customer@client.example\nSubject: Re: help\n\nDone.\n";
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_ingest_opts o = {.source = "test",
				   .envelope_to = "support@example.com"};
	struct tg_ingest_mail m;
	struct tg_limits lim;
	struct tg_message *msg;

	tg_limits_init_default(&lim);
	tg_message_parse(pool, raw, sizeof(raw) - 1, &lim, &msg);
	tg_ingest_prepare(pool, msg, raw, sizeof(raw) - 1, &o, &m);
	TG_CHECK(m.cls.cls == TG_CLASS_LOOP);
	TG_CHECK(m.cls_as_agent.cls == TG_CLASS_NORMAL);
	TG_CHECK_STREQ(m.agent_address, "ana@example.com");
	TG_CHECK_STREQ(m.from_address, "support@example.com");
	/* no flood check unless asked for; reopen limit always set */
	TG_CHECK(m.flood_messages == 0);
	TG_CHECK(m.reopens_per_hour == TG_INGEST_REOPENS_PER_HOUR);
	tg_pool_free(&pool);

	/* an ordinary customer: nothing to redo, the agent is the From */
	pool = tg_pool_new(4096);
	o.flood_check = true;
	tg_message_parse(pool, "From: c@client.example\n\nhi\n", 27, &lim,
			 &msg);
	tg_ingest_prepare(pool, msg, "From: c@client.example\n\nhi\n", 27, &o,
			  &m);
	TG_CHECK(m.cls.cls == TG_CLASS_NORMAL);
	TG_CHECK(m.cls_as_agent.cls == TG_CLASS_NORMAL);
	TG_CHECK_STREQ(m.agent_address, "c@client.example");
	TG_CHECK(m.flood_messages == TG_INGEST_FLOOD_MESSAGES);
	TG_CHECK(m.flood_minutes == TG_INGEST_FLOOD_MINUTES);
	tg_pool_free(&pool);
}

/* An agent's own signed address among the recipients vouches for the
 * agent, where the configuration allows it, for that agent only. */
static void
test_agent_token(void)
{
	static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
	struct tg_config cfg;
	struct tg_ingest_opts o = {.source = "test",
				   .envelope_to = "support@example.com",
				   .key = key,
				   .keylen = 32,
				   .cfg = &cfg};
	struct tg_buf token, raw;
	struct tg_limits lim;
	static const struct {
		const char *from, *where;
		bool tokens_on, want;
	} cases[] = {
		{"Sam@example.com", "To", true, true},
		{"sam@example.com", "Cc", true, true},
		{"sam@example.com", "Delivered-To", true, true},
		{"sam@example.com", "X-Original-To", true, true},
		{"sam@example.com", "envelope", true, true},
		{"sam@example.com", "To", false, false},
		{"kim@example.com", "To", true, false},
		{"sam@example.com", "Reply-To", true, false},
	};

	memset(&cfg, 0, sizeof(cfg));
	tg_limits_init_default(&lim);
	tg_buf_init(&token, 128, 0);
	tg_buf_init(&raw, 512, 0);
	tg_agent_token_address(key, 32, "support@example.com",
			       "sam@example.com", &token);
	for (size_t i = 0; i < TG_N(cases); i++) {
		struct tg_pool *pool = tg_pool_new(4096);
		struct tg_ingest_mail m;
		struct tg_message *msg;
		bool env = strcmp(cases[i].where, "envelope") == 0;

		cfg.instance.agent_tokens = cases[i].tokens_on;
		o.envelope_to = env ? tg_buf_cstr(&token)
				    : "support@example.com";
		tg_buf_reset(&raw);
		(void)tg_buf_appendf(&raw, "From: %s\n", cases[i].from);
		if (!env)
			(void)tg_buf_appendf(&raw, "%s: %s\n", cases[i].where,
					     tg_buf_cstr(&token));
		(void)tg_buf_puts(&raw, "Subject: Re: help\n\nDone.\n");
		tg_message_parse(pool, raw.data, raw.len, &lim, &msg);
		tg_ingest_prepare(pool, msg, raw.data, raw.len, &o, &m);
		TG_CHECK(m.authenticated == cases[i].want);
		if (m.authenticated != cases[i].want)
			fprintf(stderr, "  case %zu: %s in %s\n", i,
				cases[i].from, cases[i].where);
		tg_pool_free(&pool);
	}
	tg_buf_deinit(&token);
	tg_buf_deinit(&raw);
}

int
main(void)
{
	test_recipient();
	test_agent_token();
	test_as_agent();
	return tg_test_done();
}
