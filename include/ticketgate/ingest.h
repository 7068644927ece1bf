/* The ingest pipeline's pure half: everything the store needs to know
 * about one parsed message (class, sender, tokens, new text, hash), worked
 * out without I/O, plus the routing rule from account status to
 * department. The store half is tg_store_ingest() in store.h. */
#ifndef TICKETGATE_INGEST_H
#define TICKETGATE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ticketgate/address.h"
#include "ticketgate/classify.h"
#include "ticketgate/config.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"

/* Largest message taken whole (25 MiB); larger ones are quarantined. */
#define TG_INGEST_MAX_BYTES ((size_t)25 * 1024 * 1024)
/* Most To/Cc recipients that become participants of one ticket: a mail
 * to a thousand addresses must not create a thousand contacts. */
#define TG_INGEST_MAX_PARTICIPANTS 50

struct tg_ingest_opts {
	const char *source;       /* "deliver", "imap:<mailbox>" */
	const char *envelope_to;  /* the support address it came to */
	const char *department;   /* fixed department, or NULL: by account */
	const unsigned char *key; /* reply-token secret, or NULL: no tokens */
	size_t keylen;
	const struct tg_config *cfg; /* or NULL: built-in routing only */
	bool flood_check; /* quarantine a sender's flood (off: reprocess) */
};

/* Built-in rates when there is no config (the config's defaults). */
#define TG_INGEST_FLOOD_MESSAGES 20
#define TG_INGEST_FLOOD_MINUTES 10
#define TG_INGEST_REOPENS_PER_HOUR 3

/* One message ready for the store. Strings live in the pool given to
 * tg_ingest_prepare(); none is NULL unless said so. Every string is valid
 * UTF-8 (the parser passes some header bytes through as they are; those
 * are read as Windows-1252 here), so PostgreSQL never rejects one. */
struct tg_ingest_mail {
	const struct tg_message *msg;
	const char *raw; /* borrowed from the caller */
	size_t raw_len;
	unsigned char raw_sha256[32];
	const char *source;
	const char *envelope_to;     /* lowercased */
	const char *department;      /* NULL: by account */
	const struct tg_config *cfg; /* or NULL */
	/* the config's entry for envelope_to (without a +tag), or NULL */
	const struct tg_config_address *address;
	const char *tags; /* the address's default tags joined with '\n' */

	struct tg_classification cls;
	bool automatic; /* auto-reply, bulk or bounce: never reopens */
	/* The class should the sender turn out to be an agent: rule 3 (mail
	 * from one of our own addresses) spares agents, and only the store
	 * knows who they are. Equal to cls when rule 3 did not decide. */
	struct tg_classification cls_as_agent;
	bool automatic_as_agent;
	/* who to look up in the agents table: the Sender when rule 3
	 * decided (an agent sending as support@), else from_address */
	const char *agent_address;

	/* More than flood_messages from this sender in flood_minutes is a
	 * flood (0: no check); at most reopens_per_hour customer reopens. */
	unsigned flood_messages, flood_minutes, reopens_per_hour;

	const char *from_address; /* lowercased addr-spec, "" when none */
	const char *from_domain;  /* lowercased, "" when none */
	const char *from_name;
	/* our MTA's Authentication-Results show an aligned pass for the
	 * From domain (see authres.h), or, where instance.agent_tokens is
	 * set, the agent's own signed address is among the recipients (see
	 * agent-token.h); agents act only when true */
	bool authenticated;

	int64_t token_number;   /* ticket named by a verified token, or 0 */
	int64_t subject_number; /* ticket named by [#N] in the subject, or 0 */

	/* To/Cc addresses that may become participants: lowercased, not
	 * ours, not the sender, without duplicates, at most
	 * TG_INGEST_MAX_PARTICIPANTS. Agents are filtered by the store. */
	struct tg_addr *others;
	size_t n_others;

	/* Lists joined with '\n' for string_to_array() in the store. */
	const char *in_reply_to;
	const char *references;
	const char *to_list;
	const char *cc_list;

	const char *message_id; /* without <>, "" when none */
	const char *subject;
	const char *text;               /* the whole body text */
	const char *reply_text;         /* the new text of the reply */
	const char *bounced_message_id; /* of a bounce, or NULL */

	/* The message's attachments with cleaned names; data is shared. */
	struct tg_attachment *attachments;
	size_t n_attachments;
};

/* What the store did with a message. */
struct tg_ingest_result {
	bool duplicate;        /* already stored: nothing new was written */
	bool new_ticket;       /* a ticket was created */
	int64_t ticket_number; /* the ticket it went to, or 0 (unattached) */
	const char *action;    /* static: "new", "append", "reopen", ... */
	bool flooded; /* quarantined as part of a flood, not stored */
};

/* Which of addresses[0..n) (lowercased) a message in a folder shared by
 * several support addresses was sent to: the first match among
 * Delivered-To, X-Original-To (written by the MTA), To, then Cc, with a
 * "+tag" kept (it may carry a reply token). NULL when none matches. */
const char *tg_ingest_recipient(struct tg_pool *pool,
				const struct tg_message *msg,
				const char *const *addresses, size_t n);

/* SHA-256 of raw[0..len) into out. */
void tg_ingest_sha256(const void *raw, size_t len, unsigned char out[32]);

/* Fills *out for msg (parsed from raw[0..len), which must outlive out),
 * allocating from pool. opts' strings must outlive out too. Never fails. */
void tg_ingest_prepare(struct tg_pool *pool, const struct tg_message *msg,
		       const char *raw, size_t len,
		       const struct tg_ingest_opts *opts,
		       struct tg_ingest_mail *out);

/* The department for a ticket whose account has status (an account_status
 * name, or NULL when there is no account): paid -> "Paid Support"; trial,
 * potential, potential_vip -> "Trials"; else "Community". Static. */
const char *tg_ingest_department_by_status(const char *status);

#endif
