/* Shared by the ingest transaction's files. */
#ifndef TICKETGATE_STORE_INGEST_PRIVATE_H
#define TICKETGATE_STORE_INGEST_PRIVATE_H

#include "store-private.h"
#include "ticketgate/ingest.h"

#include <stdbool.h>
#include <stdint.h>

/* Rule 21 applies: m has a sender and a flood limit. */
bool store_flood_applies(const struct tg_ingest_mail *m);

/* Rule 21, given the sender's mail within the window (stored and
 * quarantined as a flood; counted with the dedupe lookup) and whether a
 * flood from it was quarantined within the hour, since a flood stays
 * quarantined until it has been quiet for an hour. *flood_r is true when
 * m's sender is flooding; m is then already in the quarantine (same
 * transaction) and must not be stored. */
int store_flood_check(struct tg_store *st, const struct tg_ingest_mail *m,
		      int64_t recent, bool flooded_lately, bool *flood_r,
		      struct tg_err *err);

/* Rule 22: whether mail may reopen ticket_id once more this hour. */
int store_reopen_allowed(struct tg_store *st, const struct tg_ingest_mail *m,
			 int64_t ticket_id, bool *allowed_r,
			 struct tg_err *err);

/* Whether m, opening a ticket, is acknowledged (the message INSERT
 * queues the acknowledgement with it). */
bool store_ack_due(const struct tg_ingest_mail *m);

/* Records on ticket_id the failed recipients and reason of bounce m. */
int store_record_bounce(struct tg_store *st, const struct tg_ingest_mail *m,
			int64_t ticket_id, struct tg_err *err);

/* When m answers ticket_id's feedback request with a rating, stores the
 * rating; *rating_only_r is then true if the reply holds nothing else
 * (it must not reopen the ticket). */
int store_feedback_answer(struct tg_store *st, const struct tg_ingest_mail *m,
			  int64_t ticket_id, bool *rating_only_r,
			  struct tg_err *err);

/* An agent's mail on ticket, stored as message: see
 * store-ingest-agent.c. *action_r says what was done. */
int store_agent_mail(struct tg_store *st, const struct tg_ingest_mail *m,
		     int64_t ticket, int64_t message, const char **action_r,
		     struct tg_err *err);

#endif
