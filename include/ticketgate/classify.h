/* Classification of inbound mail: loops, bounces, spam verdicts,
 * auto-replies and list/bulk mail, following the merged rule list in
 * notes/auto-mail-rules.md (sections A, B and C). Pure core: no I/O.
 * Parses untrusted input. */
#ifndef TICKETGATE_CLASSIFY_H
#define TICKETGATE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/message.h"
#include "ticketgate/pool.h"

/* The class a message gets is the strongest one it matches, in the order
 * loop > bounce > spam > auto_reply > bulk > normal (not enum order). */
enum tg_mail_class {
	TG_CLASS_NORMAL,
	TG_CLASS_AUTO_REPLY,
	TG_CLASS_BOUNCE,
	TG_CLASS_BULK,
	TG_CLASS_SPAM,
	TG_CLASS_LOOP,
};

/* "normal", "auto_reply", "bounce", "bulk", "spam", "loop"; "unknown" for
 * a value outside the enum. Static storage. */
const char *tg_mail_class_name(enum tg_mail_class c);

/* What the classifier needs from the config. Every field may be NULL or
 * empty (n 0), which turns the rules that use it off. Addresses compare
 * case-insensitively; a "+tag" in the message's local part is ignored, so
 * support+t1042.k7f3q@example.com counts as support@example.com. */
struct tg_classify_ctx {
	const char *loop_id;      /* our instance id, X-Ticketgate-Loop */
	const char *msgid_domain; /* right-hand side of our Message-IDs */
	const char *const *own_addresses; /* monitored and sending */
	size_t n_own;
	const char *const *agent_addresses; /* rule 3 exception */
	size_t n_agents;
};

/* One bit per rule of auto-mail-rules.md: bit n is rule n, bit 17 the
 * spam verdict. tg_classification.rules holds every rule that matched,
 * not only the decisive one. */
#define TG_RULE_LOOP_HEADER (1u << 1)    /* 1: X-Ticketgate-Loop is ours */
#define TG_RULE_OWN_MSGID (1u << 2)      /* 2: Message-ID in our domain */
#define TG_RULE_OWN_SENDER (1u << 3)     /* 3: From/Sender is ours, no agent */
#define TG_RULE_DSN (1u << 4)            /* 4: delivery-status report */
#define TG_RULE_NULL_SENDER (1u << 5)    /* 5: Return-Path: <> */
#define TG_RULE_DAEMON_SENDER (1u << 6)  /* 6: From mailer-daemon/postmaster */
#define TG_RULE_FAILED_RCPT (1u << 7)    /* 7: X-Failed-Recipients */
#define TG_RULE_BOUNCE_SUBJECT (1u << 8) /* 8: "Undeliverable:" etc. */
#define TG_RULE_AUTO_SUBMITTED (1u << 9) /* 9: Auto-Submitted other than no */
#define TG_RULE_PRECEDENCE (1u << 10)    /* 10: Precedence: bulk etc. */
#define TG_RULE_AUTOREPLY_HDR (1u << 11) /* 11: X-Autoreply and friends */
#define TG_RULE_X_LOOP (1u << 12)        /* 12: X-Loop / X-No-Loop */
#define TG_RULE_LIST (1u << 13)          /* 13: List-Id, List-Unsubscribe... */
#define TG_RULE_SUPPRESS (1u << 14)      /* 14: X-Auto-Response-Suppress,
					    set only when 9-11 or 15 matched */
#define TG_RULE_OUT_OF_OFFICE (1u << 15) /* 15: Exchange rule loop, vacation */
#define TG_RULE_MACHINE (1u << 16)       /* 16: X-FC-Machinegenerated etc. */
#define TG_RULE_SPAM (1u << 17)          /* upstream spam verdict */

#define TG_RULES_LOOP (TG_RULE_LOOP_HEADER | TG_RULE_OWN_MSGID | \
		       TG_RULE_OWN_SENDER)
#define TG_RULES_BOUNCE (TG_RULE_DSN | TG_RULE_NULL_SENDER | \
			 TG_RULE_DAEMON_SENDER | TG_RULE_FAILED_RCPT | \
			 TG_RULE_BOUNCE_SUBJECT)

/* Most failed recipients kept from one bounce; more are dropped. */
#define TG_CLASSIFY_MAX_RECIPIENTS 64

struct tg_classification {
	enum tg_mail_class cls; /* the decisive class */
	unsigned rules;         /* TG_RULE_* bits of every rule that matched */
	bool out_of_office;     /* rule 15, or an auto-reply with an
				   out-of-office subject ("Automatic reply:") */
	const char *reason;     /* static text naming the first matched rule
				   of the decisive class, e.g. "auto-submitted:
				   auto-replied"; "no rule matched" if normal */

	/* Filled when the class is bounce, or a bounce rule other than 5
	 * matched under a stronger class (loop); else NULL/0. Read from
	 * RFC 3464 reports and X-Failed-Recipients, and as a best effort
	 * from the text of non-standard bounces (Exim, qmail, Sendmail...).
	 * Strings are valid UTF-8 in the caller's pool. */
	const char *bounced_message_id; /* Message-ID of the returned message,
					   without <>, or NULL */
	char **failed_recipients;       /* lowercase addr-specs, no repeats */
	size_t n_failed_recipients;
	const char *bounce_status;      /* RFC 3463 code ("5.1.1") or NULL */
	const char *bounce_diagnostic;  /* Diagnostic-Code text without its
					   "smtp;" type, or NULL */
};

/* Classifies m and fills *out (every field is set). ctx may be NULL (no
 * loop rules); m and ctx are only read, and nothing in out points into
 * them. Results are allocated from pool (normally the message's own),
 * which must outlive out. Never fails: odd input gives a best effort.
 * Work is linear in the size of m.
 *
 * Departures from the rule list, each commented in classify.c:
 * - rule 2 checks only that the Message-ID's right-hand side is
 *   msgid_domain; the signed-token check on its local part comes later,
 *   with the code that holds the signing key;
 * - rule 5 (Return-Path: <>) alone does not make a bounce when an
 *   auto-reply rule (9, 10 auto_reply, 11, 12, 15, 16) matched or the
 *   message is a read receipt, since RFC 3834 and RFC 8098 give those
 *   the null sender too (the bit is still set);
 * - rule 14 never decides: its bit is set only next to 9-11 or 15;
 * - an out-of-office subject ("Automatic reply:", "Abwesenheitsnotiz:")
 *   sets out_of_office only on mail a rule already found automatic. */
void tg_classify(struct tg_pool *pool, const struct tg_message *m,
		 const struct tg_classify_ctx *ctx,
		 struct tg_classification *out);

#endif
