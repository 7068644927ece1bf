/* Classification of inbound mail: our own loops, bounces, upstream spam
 * verdicts, auto-replies and list/bulk mail, by the rules of
 * notes/auto-mail-rules.md (A, B, C). Header checks only; what a bounce
 * says is read in classify-bounce.c. Parses untrusted input. */
#include "classify-private.h"
#include "ticketgate/address.h"
#include "ticketgate/param.h"
#include "ticketgate/util.h"

#include <string.h>

const char *
tg_mail_class_name(enum tg_mail_class c)
{
	switch (c) {
	case TG_CLASS_NORMAL:
		return "normal";
	case TG_CLASS_AUTO_REPLY:
		return "auto_reply";
	case TG_CLASS_BOUNCE:
		return "bounce";
	case TG_CLASS_BULK:
		return "bulk";
	case TG_CLASS_SPAM:
		return "spam";
	case TG_CLASS_LOOP:
		return "loop";
	}
	return "unknown";
}

static const struct tg_header *
hdr(const struct tg_message *m, const char *name)
{
	return tg_message_header(m, name);
}

/* The first word of a header value, lowercased into buf: it ends at
 * whitespace, ',', ';' or '('. A word that does not fit is cut, and then
 * matches none of the short keywords the rules look for. */
static const char *
first_word(const struct tg_header *h, char *buf, size_t size)
{
	const char *v = h->value;
	size_t n = h->value_len, i = 0, o = 0;

	while (i < n && tg_ascii_isspace((unsigned char)v[i]))
		i++;
	for (; i < n && o + 1 < size; i++) {
		unsigned char c = (unsigned char)v[i];

		if (tg_ascii_isspace(c) || c == ',' || c == ';' || c == '(')
			break;
		buf[o++] = (char)tg_ascii_tolower(c);
	}
	buf[o] = '\0';
	return buf;
}

static bool
word_is(const struct tg_header *h, const char *word)
{
	char buf[32];

	return h != NULL && strcmp(first_word(h, buf, sizeof(buf)), word) == 0;
}

/* Case-insensitive substring search in v[0..n). */
static bool
contains(const char *v, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (tg_ascii_strncasecmp(v + i, needle, k) == 0)
			return true;
	return false;
}

/* Whether word is one item of a list such as "DR, RN, OOF, AutoReply"
 * (items split at commas, semicolons and whitespace). */
static bool
has_item(const struct tg_header *h, const char *word)
{
	const char *v = h->value;
	size_t n = h->value_len, k = strlen(word), i = 0;

	while (i < n) {
		size_t s;

		while (i < n && (tg_ascii_isspace((unsigned char)v[i]) ||
				 v[i] == ',' || v[i] == ';'))
			i++;
		s = i;
		while (i < n && !tg_ascii_isspace((unsigned char)v[i]) &&
		       v[i] != ',' && v[i] != ';')
			i++;
		if (i - s == k && tg_ascii_strncasecmp(v + s, word, k) == 0)
			return true;
	}
	return false;
}

/* a (from the message) is cfg (from the config), case-insensitively; a
 * "+tag" in a's local part is ignored, because our reply addresses are
 * the configured ones plus a ticket token. */
static bool
addr_match(const char *a, const char *cfg)
{
	const char *a_at, *c_at, *plus;
	size_t local;

	if (cfg == NULL || cfg[0] == '\0' || a[0] == '\0')
		return false;
	if (tg_ascii_strcasecmp(a, cfg) == 0)
		return true;
	a_at = strrchr(a, '@');
	c_at = strrchr(cfg, '@');
	if (a_at == NULL || c_at == NULL)
		return false;
	plus = memchr(a, '+', (size_t)(a_at - a));
	if (plus == NULL)
		return false;
	local = (size_t)(plus - a);
	return (size_t)(c_at - cfg) == local &&
	       tg_ascii_strncasecmp(a, cfg, local) == 0 &&
	       tg_ascii_strcasecmp(a_at, c_at) == 0;
}

static bool
addr_in(const char *a, const char *const *list, size_t n)
{
	if (a == NULL || list == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		if (addr_match(a, list[i]))
			return true;
	return false;
}

bool
tg_classify_is_report(struct tg_pool *pool, const struct tg_header *ct,
		      const char *report_type)
{
	struct tg_hvalue hv;
	const char *rt;

	if (ct == NULL)
		return false;
	tg_param_parse(pool, ct->value, ct->value_len, &hv);
	if (strcmp(hv.value, "multipart/report") != 0)
		return false;
	rt = tg_param_get(&hv, "report-type");
	return rt != NULL && tg_ascii_strcasecmp(rt, report_type) == 0;
}

static bool
has_part(const struct tg_message *m, const char *const *types, size_t n)
{
	for (size_t i = 0; i < m->n_attachments; i++) {
		const char *ct = m->attachments[i].content_type;

		for (size_t k = 0; k < n; k++)
			if (strcmp(ct, types[k]) == 0)
				return true;
	}
	return false;
}

/* 8-4-4-4-12 lowercase hex digits: how our Message-IDs begin. */
static bool
uuid_form(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-'
			 : !((s[i] >= '0' && s[i] <= '9') ||
			     (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return true;
}

/* The rules' findings before the class is decided. reason[r] is the
 * static text for rule r when it matched. */
struct findings {
	unsigned rules;
	const char *reason[18];
	const char *prec_bulk;  /* rule 10 with bulk, junk or list */
	const char *prec_auto;  /* rule 10 with auto_reply */
	bool mdn;               /* a read receipt (RFC 8098) */
};

static void
hit(struct findings *f, unsigned rule, const char *reason)
{
	if (f->rules & (1u << rule))
		return; /* keep the first reason */
	f->rules |= 1u << rule;
	f->reason[rule] = reason;
}

/* A. Our own mail coming back. */
static void
check_loop(struct tg_pool *pool, const struct tg_message *m,
	   const struct tg_classify_ctx *ctx, struct findings *f)
{
	const char *from = m->from != NULL ? m->from->address : NULL;
	const char *sender = NULL;
	const struct tg_header *h;

	if (ctx == NULL)
		return;
	/* Rule 1: every occurrence counts, since mail that passed through
	 * another instance carries that instance's header too. */
	if (ctx->loop_id != NULL && ctx->loop_id[0] != '\0') {
		size_t idl = strlen(ctx->loop_id);

		for (size_t i = 0; i < m->n_headers; i++) {
			const char *v = m->headers[i].value;
			size_t n = m->headers[i].value_len;

			if (tg_ascii_strcasecmp(m->headers[i].name,
						"x-ticketgate-loop") != 0)
				continue;
			while (n > 0 &&
			       tg_ascii_isspace((unsigned char)v[n - 1]))
				n--;
			while (n > 0 && tg_ascii_isspace((unsigned char)*v)) {
				v++;
				n--;
			}
			if (n == idl && memcmp(v, ctx->loop_id, n) == 0)
				hit(f, 1, "x-ticketgate-loop: this instance");
		}
	}
	/* Rule 2: a Message-ID of the form we write (a random UUID, see
	 * compose.c) on our domain. The domain alone is not enough: agents'
	 * own mail servers write Message-IDs on the company's domain, which
	 * is often ours too. */
	if (ctx->msgid_domain != NULL && ctx->msgid_domain[0] != '\0') {
		const char *dom = ctx->msgid_domain;
		const char *at = strrchr(m->message_id, '@');

		if (dom[0] == '@')
			dom++;
		if (at != NULL && tg_ascii_strcasecmp(at + 1, dom) == 0 &&
		    uuid_form(m->message_id, (size_t)(at - m->message_id)))
			hit(f, 2, "message-id: ours");
	}
	/* Rule 3: From or Sender is ours and neither is a known agent (an
	 * agent may send as support@ with Sender: set to themselves). */
	if ((h = hdr(m, "sender")) != NULL) {
		struct tg_addr *list;

		if (tg_address_parse_list(pool, h->value, h->value_len,
					  &list) > 0)
			sender = list[0].address;
	}
	if ((addr_in(from, ctx->own_addresses, ctx->n_own) ||
	     addr_in(sender, ctx->own_addresses, ctx->n_own)) &&
	    !addr_in(from, ctx->agent_addresses, ctx->n_agents) &&
	    !addr_in(sender, ctx->agent_addresses, ctx->n_agents))
		hit(f, 3, "from: our own address");
}

static bool
starts_with(const char *s, const char *prefix)
{
	return tg_ascii_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Whether Return-Path is the null path "<>" (blanks allowed inside). */
static bool
null_return_path(const struct tg_header *h)
{
	const char *v = h->value;
	size_t n = h->value_len, i = 0;

	while (i < n && tg_ascii_isspace((unsigned char)v[i]))
		i++;
	if (i == n || v[i++] != '<')
		return false;
	while (i < n && tg_ascii_isspace((unsigned char)v[i]))
		i++;
	if (i == n || v[i++] != '>')
		return false;
	while (i < n && tg_ascii_isspace((unsigned char)v[i]))
		i++;
	return i == n || v[i] == '(';
}

/* B. Bounces and delivery status notifications. */
static void
check_bounce(struct tg_pool *pool, const struct tg_message *m,
	     struct findings *f)
{
	static const char *const dsn_types[] = {
		"message/delivery-status", "message/global-delivery-status",
	};
	static const char *const mdn_types[] = {
		"message/disposition-notification",
		"message/global-disposition-notification",
	};
	static const char *const subjects[] = {
		"Undeliverable:", "Undelivered Mail Returned",
		"Delivery Status", "Delivery Failure", "Mail delivery failed",
	};
	const struct tg_header *h, *ct = hdr(m, "content-type");

	if (tg_classify_is_report(pool, ct, "delivery-status"))
		hit(f, 4, "content-type: delivery-status report");
	else if (has_part(m, dsn_types, TG_N(dsn_types)))
		hit(f, 4, "message/delivery-status part");
	f->mdn = tg_classify_is_report(pool, ct, "disposition-notification") ||
		 has_part(m, mdn_types, TG_N(mdn_types));

	if ((h = hdr(m, "return-path")) != NULL && null_return_path(h))
		hit(f, 5, "return-path: <>");

	if (m->from != NULL) {
		const char *a = m->from->address;
		const char *at = strrchr(a, '@');
		size_t local = at != NULL ? (size_t)(at - a) : strlen(a);

		if (local == 13 && tg_ascii_strncasecmp(a, "mailer-daemon",
							13) == 0)
			hit(f, 6, "from: mailer-daemon");
		else if (local == 10 && tg_ascii_strncasecmp(a, "postmaster",
							     10) == 0)
			hit(f, 6, "from: postmaster");
	}

	if (hdr(m, "x-failed-recipients") != NULL)
		hit(f, 7, "x-failed-recipients");

	for (size_t i = 0; i < TG_N(subjects); i++)
		if (starts_with(m->subject, subjects[i]))
			hit(f, 8, "subject: delivery failure");
}

/* Upstream spam verdicts (SpamAssassin, rspamd and the like). Only the
 * first header of each name counts: the topmost is the one our own
 * filter added. */
static void
check_spam(const struct tg_message *m, struct findings *f)
{
	static const struct {
		const char *name, *reason;
	} verdicts[] = {
		{ "x-spam-flag", "x-spam-flag: yes" },
		{ "x-spam-status", "x-spam-status: yes" },
		{ "x-spam", "x-spam: yes" },
	};

	for (size_t i = 0; i < TG_N(verdicts); i++) {
		const struct tg_header *h = hdr(m, verdicts[i].name);

		if (word_is(h, "yes") || word_is(h, "true"))
			hit(f, 17, verdicts[i].reason);
	}
}

/* Subjects that autoresponders write, in the languages of the reference
 * setup and its neighbours. Matched at the start, ASCII case folded. */
static const char *const oof_subjects[] = {
	"Out of Office", "Out of the Office", "Automatic reply",
	"Auto-reply", "Autoreply", "Auto reply", "Abwesenheitsnotiz",
	"Automatische Antwort", "Resposta automática", "Fora do escritório",
	"Ausência temporária", "Respuesta automática", "Réponse automatique",
	"Risposta automatica", "Automatisch antwoord",
};

static const char *
precedence_reason(const struct tg_header *h, bool *bulk_r)
{
	static const struct {
		const char *word, *reason;
		bool bulk;
	} values[] = {
		{ "bulk", "precedence: bulk", true },
		{ "junk", "precedence: junk", true },
		{ "list", "precedence: list", true },
		{ "auto_reply", "precedence: auto_reply", false },
	};

	for (size_t i = 0; i < TG_N(values); i++)
		if (word_is(h, values[i].word)) {
			*bulk_r = values[i].bulk;
			return values[i].reason;
		}
	return NULL;
}

/* C. Auto-generated and auto-replied mail, lists and bulk. */
static void
check_auto(const struct tg_message *m, struct findings *f)
{
	static const char *const autoreply_hdrs[] = {
		"x-autoreply", "x-autorespond", "x-autoresponse",
		"x-autoreply-from", "x-mail-autoreply",
	};
	static const char *const list_hdrs[] = {
		"list-id", "list-unsubscribe", "mailing-list",
	};
	static const char *const prec_hdrs[] = { "precedence", "x-precedence" };
	const struct tg_header *h;
	char word[32];

	/* Rule 9: "no" is what RFC 3834 says a person's mail carries. */
	if ((h = hdr(m, "auto-submitted")) != NULL) {
		const char *w = first_word(h, word, sizeof(word));

		if (strcmp(w, "auto-replied") == 0)
			hit(f, 9, "auto-submitted: auto-replied");
		else if (strcmp(w, "auto-generated") == 0)
			hit(f, 9, "auto-submitted: auto-generated");
		else if (strcmp(w, "auto-notified") == 0)
			hit(f, 9, "auto-submitted: auto-notified");
		else if (strcmp(w, "no") != 0)
			hit(f, 9, "auto-submitted");
		/* Rule 15: Sieve vacation and RFC 3834 owner-email forms. */
		if (contains(h->value, h->value_len, "vacation"))
			hit(f, 15, "auto-submitted: vacation");
		else if (contains(h->value, h->value_len, "owner-email="))
			hit(f, 15, "auto-submitted: owner-email");
	}

	/* Rule 10: only these four values; "first-class", "normal" and the
	 * like are what ordinary clients write. */
	for (size_t i = 0; i < TG_N(prec_hdrs); i++) {
		bool bulk = false;
		const char *r;

		if ((h = hdr(m, prec_hdrs[i])) == NULL ||
		    (r = precedence_reason(h, &bulk)) == NULL)
			continue;
		hit(f, 10, r);
		if (bulk && f->prec_bulk == NULL)
			f->prec_bulk = r;
		if (!bulk && f->prec_auto == NULL)
			f->prec_auto = r;
	}

	/* Rule 11. */
	for (size_t i = 0; i < TG_N(autoreply_hdrs); i++)
		if (hdr(m, autoreply_hdrs[i]) != NULL)
			hit(f, 11, "x-autoreply header");
	if (word_is(hdr(m, "x-autogenerated"), "reply"))
		hit(f, 11, "x-autogenerated: reply");

	/* Rule 12. */
	if (hdr(m, "x-loop") != NULL)
		hit(f, 12, "x-loop");
	else if (hdr(m, "x-no-loop") != NULL)
		hit(f, 12, "x-no-loop");

	/* Rule 13: the header name is the reason. */
	for (size_t i = 0; i < TG_N(list_hdrs); i++)
		if (hdr(m, list_hdrs[i]) != NULL)
			hit(f, 13, list_hdrs[i]);

	/* Rule 15: Exchange marks mail its inbox rules (the Out of Office
	 * assistant among them) generate. The "X-Auto-Response-Suppress:
	 * All together with it" form is covered by the header alone. */
	if (hdr(m, "x-ms-exchange-inbox-rules-loop") != NULL)
		hit(f, 15, "x-ms-exchange-inbox-rules-loop");

	/* Rule 16. */
	if (word_is(hdr(m, "x-fc-machinegenerated"), "true"))
		hit(f, 16, "x-fc-machinegenerated: true");
	if (word_is(hdr(m, "x-amazon-mail-relay-type"), "notification"))
		hit(f, 16, "x-amazon-mail-relay-type: notification");

	/* Rule 14: Outlook and Exchange put this on plenty of mail people
	 * write (meeting requests, replies), so it never decides anything;
	 * it only adds weight to 9-11 and 15. */
	if ((h = hdr(m, "x-auto-response-suppress")) != NULL &&
	    (has_item(h, "all") || has_item(h, "autoreply") ||
	     has_item(h, "dr")) &&
	    (f->rules & (TG_RULE_AUTO_SUBMITTED | TG_RULE_PRECEDENCE |
			 TG_RULE_AUTOREPLY_HDR | TG_RULE_OUT_OF_OFFICE)))
		hit(f, 14, "x-auto-response-suppress");
}

static bool
oof_subject(const char *subject)
{
	for (size_t i = 0; i < TG_N(oof_subjects); i++)
		if (starts_with(subject, oof_subjects[i]))
			return true;
	return false;
}

/* The first matched rule among rules[] in the order given. */
static const char *
first_reason(const struct findings *f, const unsigned *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (f->rules & (1u << rules[i]))
			return f->reason[rules[i]];
	return NULL;
}

void
tg_classify(struct tg_pool *pool, const struct tg_message *m,
	    const struct tg_classify_ctx *ctx, struct tg_classification *out)
{
	static const unsigned loop_rules[] = { 1, 2, 3 };
	static const unsigned bounce_rules[] = { 4, 5, 6, 7, 8 };
	static const unsigned auto_rules[] = { 9, 11, 12, 15, 16 };
	struct findings f;
	bool autoish, bounce_strong, bounce;
	const char *r;

	memset(&f, 0, sizeof(f));
	memset(out, 0, sizeof(*out));
	check_loop(pool, m, ctx, &f);
	check_bounce(pool, m, &f);
	check_spam(m, &f);
	check_auto(m, &f);

	autoish = f.prec_auto != NULL ||
		  (f.rules & (TG_RULE_AUTO_SUBMITTED | TG_RULE_AUTOREPLY_HDR |
			      TG_RULE_X_LOOP | TG_RULE_OUT_OF_OFFICE |
			      TG_RULE_MACHINE));
	bounce_strong = f.rules & (TG_RULES_BOUNCE & ~TG_RULE_NULL_SENDER);
	/* Rule 5 on its own is weak: RFC 3834 asks autoresponders, and RFC
	 * 8098 read receipts, to use the null sender as well, and filing an
	 * out-of-office as a delivery failure would tell agents that the
	 * customer's address is dead. So the null sender alone yields to
	 * any auto-reply rule; real bounces nearly always match 4, 6, 7 or
	 * 8 too (3 of the 142 in the sisimai bounce set do not). */
	bounce = bounce_strong ||
		 ((f.rules & TG_RULE_NULL_SENDER) && !autoish && !f.mdn);

	out->rules = f.rules;
	out->out_of_office = (f.rules & TG_RULE_OUT_OF_OFFICE) ||
			     (autoish && oof_subject(m->subject));
	out->cls = TG_CLASS_NORMAL;
	out->reason = "no rule matched";
	if ((r = first_reason(&f, loop_rules, TG_N(loop_rules))) != NULL) {
		out->cls = TG_CLASS_LOOP;
		out->reason = r;
	} else if (bounce) {
		out->cls = TG_CLASS_BOUNCE;
		out->reason = first_reason(&f, bounce_rules,
					   TG_N(bounce_rules));
	} else if (f.rules & TG_RULE_SPAM) {
		out->cls = TG_CLASS_SPAM;
		out->reason = f.reason[17];
	} else if (autoish) {
		out->cls = TG_CLASS_AUTO_REPLY;
		if (f.rules & TG_RULE_AUTO_SUBMITTED)
			out->reason = f.reason[9];
		else if (f.prec_auto != NULL)
			out->reason = f.prec_auto;
		else
			out->reason = first_reason(&f, auto_rules,
						   TG_N(auto_rules));
	} else if (f.prec_bulk != NULL || (f.rules & TG_RULE_LIST)) {
		out->cls = TG_CLASS_BULK;
		out->reason = f.prec_bulk != NULL ? f.prec_bulk : f.reason[13];
	}

	/* Not for an auto-reply that only has the null sender: there is no
	 * returned message to find in it. */
	if (out->cls == TG_CLASS_BOUNCE || bounce_strong)
		tg_classify_bounce_details(pool, m, out);
}
