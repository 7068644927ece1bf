/* The ingest pipeline's pure half: classification, sender, reply tokens,
 * recipients and new text of one parsed message, worked out before the
 * store opens a transaction. Parses untrusted input (via the parser). */
#include "ticketgate/ingest.h"
#include "ticketgate/agent-token.h"
#include "ticketgate/authres.h"
#include "ticketgate/buf.h"
#include "ticketgate/charset.h"
#include "ticketgate/reply.h"
#include "ticketgate/thread.h"
#include "ticketgate/util.h"

#include <string.h>
#include <openssl/evp.h>

void
tg_ingest_sha256(const void *raw, size_t len, unsigned char out[32])
{
	unsigned int n = 32;

	/* EVP_Digest only fails on allocation failure, like tg_xmalloc */
	if (EVP_Digest(raw, len, out, &n, EVP_sha256(), NULL) != 1)
		memset(out, 0, 32);
}

const char *
tg_ingest_department_by_status(const char *status)
{
	if (status == NULL)
		return "Community";
	if (strcmp(status, "paid") == 0)
		return "Paid Support";
	if (strcmp(status, "trial") == 0 || strcmp(status, "potential") == 0 ||
	    strcmp(status, "potential_vip") == 0)
		return "Trials";
	return "Community";
}

/* s[0..len) as a valid UTF-8 C string: invalid bytes are read as
 * Windows-1252 and a NUL (possible in a decoded body) becomes U+FFFD,
 * since PostgreSQL text can hold neither. */
static char *
text_n(struct tg_pool *pool, const char *s, size_t len)
{
	struct tg_buf b;
	const char *nul;
	char *d;

	if (memchr(s, '\0', len) == NULL && tg_utf8_valid(s, len))
		return tg_pool_strndup(pool, s, len);
	tg_buf_init(&b, len + 16, 0);
	while ((nul = memchr(s, '\0', len)) != NULL) {
		tg_charset_fallback_to_utf8(s, (size_t)(nul - s), &b);
		tg_buf_put_utf8(&b, 0xFFFD);
		len -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	tg_charset_fallback_to_utf8(s, len, &b);
	d = tg_pool_strndup(pool, tg_buf_cstr(&b), b.len);
	tg_buf_deinit(&b);
	return d;
}

/* The same for a C string; NULL stays NULL. */
static char *
text(struct tg_pool *pool, const char *s)
{
	return s != NULL ? text_n(pool, s, strlen(s)) : NULL;
}

static char *
lower_dup(struct tg_pool *pool, const char *s)
{
	char *d = text(pool, s != NULL ? s : "");

	for (char *p = d; *p != '\0'; p++)
		*p = (char)tg_ascii_tolower((unsigned char)*p);
	return d;
}

/* Compares two lowercased addresses ignoring a "+tag" in the local part,
 * so that support+t1042.k7f3q@x is the same mailbox as support@x. */
static bool
same_mailbox(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');
	size_t la, lb;

	if (at_a == NULL || at_b == NULL)
		return strcmp(a, b) == 0;
	if (strcmp(at_a, at_b) != 0)
		return false;
	la = strcspn(a, "+@");
	lb = strcspn(b, "+@");
	return la == lb && memcmp(a, b, la) == 0;
}

/* Joins items with '\n' (the store splits on it); a line break inside an
 * item cannot survive unfolding, but is made a space to be sure. */
static const char *
join(struct tg_pool *pool, char *const *items, size_t n)
{
	struct tg_buf b;
	char *s;

	tg_buf_init(&b, 64, 0);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			tg_buf_putc(&b, '\n');
		for (const char *p = items[i]; *p != '\0'; p++)
			tg_buf_putc(&b, *p == '\n' || *p == '\r' ? ' ' : *p);
	}
	s = text(pool, tg_buf_cstr(&b));
	tg_buf_deinit(&b);
	return s;
}

static const char *
join_addrs(struct tg_pool *pool, const struct tg_addr *list, size_t n)
{
	char **items = tg_pool_alloc_array(pool, n + 1, sizeof(*items));

	for (size_t i = 0; i < n; i++)
		items[i] = lower_dup(pool, list[i].address);
	return join(pool, items, n);
}

/* Tags are config data (no line breaks, checked by the loader). */
static const char *
join_tags(struct tg_pool *pool, const struct tg_config_address *a)
{
	struct tg_buf b;
	const char *s;

	tg_buf_init(&b, 64, 0);
	for (size_t i = 0; i < a->n_tags; i++) {
		if (i > 0)
			tg_buf_putc(&b, '\n');
		tg_buf_puts(&b, a->tags[i]);
	}
	s = text(pool, tg_buf_cstr(&b));
	tg_buf_deinit(&b);
	return s;
}

static size_t
n_own(const struct tg_config *cfg)
{
	return cfg != NULL ? cfg->n_addresses : 0;
}

/* support+t1042.k7f3q@example.com -> support@example.com */
static const char *
base_address(struct tg_pool *pool, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local = strcspn(addr, "+@");
	char *d;

	if (at == NULL || addr + local >= at)
		return addr;
	d = tg_pool_alloc(pool, local + strlen(at) + 1);
	memcpy(d, addr, local);
	memcpy(d + local, at, strlen(at) + 1);
	return d;
}

static void
find_token(const struct tg_ingest_opts *o, const char *addr,
	   struct tg_ingest_mail *out)
{
	struct tg_buf base;
	int64_t number;

	if (o->key == NULL || out->token_number != 0 || addr == NULL)
		return;
	tg_buf_init(&base, 64, 1024);
	if (tg_thread_parse_address(o->key, o->keylen, addr, &number, &base) ==
	    1)
		out->token_number = number;
	tg_buf_deinit(&base);
}

/* Whether one of list[0..n) is the agent's own signed address. */
static bool
agent_token_in(const struct tg_ingest_opts *o, const struct tg_addr *list,
	       size_t n, const char *agent)
{
	for (size_t i = 0; i < n; i++)
		if (list[i].address != NULL &&
		    tg_agent_token_check(o->key, o->keylen, list[i].address,
					 agent) == 1)
			return true;
	return false;
}

/* Whether the agent's own signed address is among the recipients: the
 * envelope, the MTA's trace headers (where a Bcc shows), To or Cc. */
static bool
agent_token_seen(struct tg_pool *pool, const struct tg_ingest_opts *o,
		 const struct tg_message *msg, const char *agent)
{
	if (o->envelope_to != NULL &&
	    tg_agent_token_check(o->key, o->keylen, o->envelope_to, agent) == 1)
		return true;
	for (size_t i = 0; i < msg->n_headers; i++) {
		const struct tg_header *h = &msg->headers[i];
		struct tg_addr *list;
		int k;

		if (tg_ascii_strcasecmp(h->name, "delivered-to") != 0 &&
		    tg_ascii_strcasecmp(h->name, "x-original-to") != 0)
			continue;
		k = tg_address_parse_list(pool, h->value, h->value_len, &list);
		if (k > 0 && agent_token_in(o, list, (size_t)k, agent))
			return true;
	}
	return agent_token_in(o, msg->to, msg->n_to, agent) ||
	       agent_token_in(o, msg->cc, msg->n_cc, agent);
}

static void
add_other(struct tg_pool *pool, const struct tg_addr *a,
	  struct tg_ingest_mail *out)
{
	char *addr;

	if (a->address == NULL || strchr(a->address, '@') == NULL ||
	    out->n_others >= TG_INGEST_MAX_PARTICIPANTS)
		return;
	addr = lower_dup(pool, a->address);
	if (same_mailbox(addr, out->envelope_to) ||
	    strcmp(addr, out->from_address) == 0)
		return;
	for (size_t i = 0; i < out->n_others; i++)
		if (strcmp(out->others[i].address, addr) == 0)
			return;
	out->others[out->n_others].address = addr;
	out->others[out->n_others].name =
		text(pool, a->name != NULL ? a->name : "");
	out->n_others++;
}

static bool
is_automatic(const struct tg_classification *c)
{
	return c->cls == TG_CLASS_AUTO_REPLY || c->cls == TG_CLASS_BULK ||
	       c->cls == TG_CLASS_BOUNCE;
}

/* Rule 3 alone made the mail a loop (From or Sender is one of our
 * addresses): an agent sending as support@ with Sender: set to themselves
 * is not one. Only the store knows the agents, so the class it would get
 * from an agent is worked out here, ready. */
static void
classify_as_agent(struct tg_pool *pool, const struct tg_message *msg,
		  struct tg_classify_ctx *ctx, struct tg_ingest_mail *out)
{
	const struct tg_header *h = tg_message_header(msg, "sender");
	const char *agents[2];
	struct tg_addr *list;

	out->cls_as_agent = out->cls;
	out->automatic_as_agent = out->automatic;
	out->agent_address = out->from_address;
	if ((out->cls.rules & TG_RULES_LOOP) != TG_RULE_OWN_SENDER)
		return;
	ctx->n_agents = 0;
	if (h != NULL &&
	    tg_address_parse_list(pool, h->value, h->value_len, &list) > 0 &&
	    list[0].address != NULL && strchr(list[0].address, '@') != NULL)
		out->agent_address = lower_dup(pool, list[0].address);
	agents[ctx->n_agents++] = out->agent_address;
	agents[ctx->n_agents++] = out->from_address;
	ctx->agent_addresses = agents;
	tg_classify(pool, msg, ctx, &out->cls_as_agent);
	out->automatic_as_agent = is_automatic(&out->cls_as_agent);
	ctx->agent_addresses = NULL;
	ctx->n_agents = 0;
}

static void
set_rates(const struct tg_ingest_opts *opts, struct tg_ingest_mail *out)
{
	const struct tg_config *cfg = opts->cfg;

	out->reopens_per_hour = cfg != NULL ? cfg->rates.reopens_per_hour
					    : TG_INGEST_REOPENS_PER_HOUR;
	if (!opts->flood_check)
		return;
	out->flood_messages = cfg != NULL ? cfg->rates.flood_messages
					  : TG_INGEST_FLOOD_MESSAGES;
	out->flood_minutes = cfg != NULL ? cfg->rates.flood_minutes
					 : TG_INGEST_FLOOD_MINUTES;
}

void
tg_ingest_prepare(struct tg_pool *pool, const struct tg_message *msg,
		  const char *raw, size_t len,
		  const struct tg_ingest_opts *opts, struct tg_ingest_mail *out)
{
	const char **own;
	struct tg_classify_ctx ctx;
	struct tg_buf reply;
	const char *at;

	memset(out, 0, sizeof(*out));
	out->msg = msg;
	out->raw = raw;
	out->raw_len = len;
	tg_ingest_sha256(raw, len, out->raw_sha256);
	out->source = opts->source;
	out->envelope_to = lower_dup(pool, opts->envelope_to);
	out->department = opts->department;

	out->cfg = opts->cfg;
	if (opts->cfg != NULL)
		out->address = tg_config_address(
			opts->cfg, base_address(pool, out->envelope_to));
	out->tags = "";
	if (out->address != NULL)
		out->tags = join_tags(pool, out->address);

	memset(&ctx, 0, sizeof(ctx));
	own = tg_pool_alloc_array(pool, n_own(opts->cfg) + 1, sizeof(*own));
	own[ctx.n_own++] = out->envelope_to;
	if (opts->cfg != NULL) {
		ctx.loop_id = opts->cfg->instance.id;
		ctx.msgid_domain = opts->cfg->instance.domain;
		for (size_t i = 0; i < opts->cfg->n_addresses; i++)
			own[ctx.n_own++] = opts->cfg->addresses[i].address;
	}
	ctx.own_addresses = own;
	tg_classify(pool, msg, &ctx, &out->cls);
	out->automatic = is_automatic(&out->cls);

	if (msg->from != NULL && strchr(msg->from->address, '@') != NULL) {
		out->from_address = lower_dup(pool, msg->from->address);
		out->from_name = text(pool, msg->from->name);
	} else {
		out->from_address = "";
		out->from_name =
			msg->from != NULL ? text(pool, msg->from->name) : "";
	}
	if (out->from_name == NULL)
		out->from_name = "";
	at = strrchr(out->from_address, '@');
	out->from_domain = at != NULL ? at + 1 : "";
	classify_as_agent(pool, msg, &ctx, out);
	out->authenticated =
		opts->cfg != NULL &&
		tg_authres_aligned_pass(msg,
					opts->cfg->instance.trusted_authserv_id,
					out->from_domain);
	if (!out->authenticated && opts->cfg != NULL &&
	    opts->cfg->instance.agent_tokens && opts->key != NULL &&
	    out->agent_address[0] != '\0')
		out->authenticated =
			agent_token_seen(pool, opts, msg, out->agent_address);
	set_rates(opts, out);

	/* a reply token may sit in the envelope recipient (what the MTA
	 * saw) or in any header recipient (forwarded, aliased mail) */
	find_token(opts, opts->envelope_to, out);
	for (size_t i = 0; i < msg->n_to; i++)
		find_token(opts, msg->to[i].address, out);
	for (size_t i = 0; i < msg->n_cc; i++)
		find_token(opts, msg->cc[i].address, out);
	if (tg_thread_subject_token(msg->subject, &out->subject_number) != 1)
		out->subject_number = 0;

	out->others = tg_pool_alloc_array(pool, TG_INGEST_MAX_PARTICIPANTS,
					  sizeof(*out->others));
	for (size_t i = 0; i < msg->n_to; i++)
		add_other(pool, &msg->to[i], out);
	for (size_t i = 0; i < msg->n_cc; i++)
		add_other(pool, &msg->cc[i], out);

	out->in_reply_to = join(pool, msg->in_reply_to, msg->n_in_reply_to);
	out->references = join(pool, msg->references, msg->n_references);
	out->to_list = join_addrs(pool, msg->to, msg->n_to);
	out->cc_list = join_addrs(pool, msg->cc, msg->n_cc);

	out->message_id =
		text(pool, msg->message_id != NULL ? msg->message_id : "");
	out->subject = text(pool, msg->subject != NULL ? msg->subject : "");
	out->text =
		msg->text != NULL ? text_n(pool, msg->text, msg->text_len) : "";
	out->bounced_message_id = text(pool, out->cls.bounced_message_id);

	/* the extractor carries invalid bytes through; text() mends them */
	tg_buf_init(&reply, 1024, msg->text_len + 1);
	if (msg->text != NULL)
		tg_reply_extract(msg->text, msg->text_len, &reply);
	out->reply_text = text_n(pool, tg_buf_cstr(&reply), reply.len);
	tg_buf_deinit(&reply);

	out->n_attachments = msg->n_attachments;
	out->attachments = tg_pool_alloc_array(pool, msg->n_attachments + 1,
					       sizeof(*out->attachments));
	for (size_t i = 0; i < msg->n_attachments; i++) {
		struct tg_attachment *a = &out->attachments[i];

		*a = msg->attachments[i];
		a->filename = text(pool, a->filename);
		a->content_type =
			text(pool, a->content_type != NULL
					   ? a->content_type
					   : "application/octet-stream");
		a->content_id = text(pool, a->content_id);
	}
}

/* The first address of a header list that is one of addresses[0..n), or
 * NULL. */
static const char *
match_list(struct tg_pool *pool, const struct tg_addr *list, size_t n_list,
	   const char *const *addresses, size_t n)
{
	for (size_t i = 0; i < n_list; i++) {
		const char *a;

		if (list[i].address == NULL)
			continue;
		a = lower_dup(pool, list[i].address);
		for (size_t j = 0; j < n; j++)
			if (same_mailbox(a, addresses[j]))
				return a;
	}
	return NULL;
}

const char *
tg_ingest_recipient(struct tg_pool *pool, const struct tg_message *msg,
		    const char *const *addresses, size_t n)
{
	/* what the MTA wrote first: a sender can put anything in To */
	static const char *const trace[] = {"delivered-to", "x-original-to"};
	const char *found;

	for (size_t t = 0; t < sizeof(trace) / sizeof(trace[0]); t++)
		for (size_t i = 0; i < msg->n_headers; i++) {
			const struct tg_header *h = &msg->headers[i];
			struct tg_addr *list;
			int k;

			if (tg_ascii_strcasecmp(h->name, trace[t]) != 0)
				continue;
			k = tg_address_parse_list(pool, h->value, h->value_len,
						  &list);
			if (k > 0 && (found = match_list(pool, list, (size_t)k,
							 addresses, n)) != NULL)
				return found;
		}
	if ((found = match_list(pool, msg->to, msg->n_to, addresses, n)) !=
	    NULL)
		return found;
	return match_list(pool, msg->cc, msg->n_cc, addresses, n);
}
