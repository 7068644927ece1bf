/* Threading: which ticket a message belongs to, decided in the order of
 * DESIGN.md: a signed reply-address token, then In-Reply-To/References,
 * then a subject token but only from a participant. Pure functions. */
#ifndef TICKETGATE_THREAD_H
#define TICKETGATE_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ticketgate/buf.h"

/* Finds "[#1042]" in a subject. Returns 1 and sets *number_r, or 0. */
int tg_thread_subject_token(const char *subject, int64_t *number_r);

/* Appends the reply address of ticket number for the support address
 * ("support@example.com" -> "support+t1042.<mac>@example.com"); the mac
 * is an HMAC-SHA256 of the number and the address under key. */
void tg_thread_reply_address(const unsigned char *key, size_t keylen,
			     const char *address, int64_t number,
			     struct tg_buf *out);

/* Reads a recipient address. Returns 1 with *number_r and the plain
 * support address in base (lowercased) when it carries a token whose mac
 * verifies, 0 when it carries no token (base is then the address), -1
 * when it carries a token that does not verify (forged or stale). */
int tg_thread_parse_address(const unsigned char *key, size_t keylen,
			    const char *address, int64_t *number_r,
			    struct tg_buf *base);

/* What the store found for a message; ticket ids are 0 when none. */
struct tg_thread_facts {
	int64_t token_ticket;       /* ticket of a verified reply token */
	int64_t reference_ticket;   /* ticket of the newest referenced message */
	int64_t subject_ticket;     /* ticket named by the subject token */
	bool sender_in_subject_ticket; /* sender is a participant of it */
};

enum tg_thread_via {
	TG_THREAD_NEW,
	TG_THREAD_TOKEN,
	TG_THREAD_REFERENCES,
	TG_THREAD_SUBJECT,
};

/* Picks the ticket (or a new one). A subject token from someone who is
 * not a participant opens a new ticket: guessing a number is not enough. */
enum tg_thread_via tg_thread_decide(const struct tg_thread_facts *f,
				    int64_t *ticket_r);
const char *tg_thread_via_name(enum tg_thread_via via);

enum tg_ticket_status {
	TG_STATUS_OPEN,
	TG_STATUS_PENDING,
	TG_STATUS_ON_HOLD,
	TG_STATUS_SOLVED,
	TG_STATUS_CLOSED,
	TG_STATUS_SPAM,
};

/* What a customer's mail does to the ticket it threads into. */
enum tg_followup {
	TG_FOLLOWUP_APPEND,     /* recorded, status unchanged */
	TG_FOLLOWUP_REOPEN,     /* recorded, status back to open */
	TG_FOLLOWUP_NEW_LINKED, /* a new ticket linked to this one */
};

/* automatic: the mail is an auto-reply, bulk or bounce (recorded without
 * reopening anything). */
enum tg_followup tg_thread_customer_followup(enum tg_ticket_status s,
					     bool automatic);

/* "open", "pending", ... and back; -1 for an unknown name. */
const char *tg_ticket_status_name(enum tg_ticket_status s);
int tg_ticket_status_parse(const char *name);

#endif
