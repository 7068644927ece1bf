/* The PostgreSQL store: the only module that speaks SQL. Every statement is
 * a constant with $n placeholders run through PQexecParams. */
#ifndef TICKETGATE_STORE_H
#define TICKETGATE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "ticketgate/err.h"

struct tg_store;

/* Connects with a libpq conninfo string; password (may be NULL) comes from
 * the configured file and is passed separately so it is never part of a
 * string that could be logged. Fails temporary when the server is down. */
TG_MUST_CHECK int tg_store_open(const char *conninfo, const char *password,
				struct tg_store **st_r, struct tg_err *err);
void tg_store_close(struct tg_store **stp);

/* Applies the schema files NNNN_name.sql of schema_dir that are not yet
 * applied, in order, each in its own transaction, under an advisory lock
 * so that two runs at once apply each file once. *applied_r counts them. */
TG_MUST_CHECK int tg_store_migrate(struct tg_store *st, const char *schema_dir,
				   int *applied_r, struct tg_err *err);


struct tg_ingest_mail;
struct tg_ingest_result;

/* Stores one prepared message in one transaction: dedupe, sender, thread,
 * follow-up rules, new ticket, participants, message, attachments; see
 * src/store-ingest.c. Returns 0 after COMMIT with *res_r filled (also for
 * a duplicate), or -1 after ROLLBACK with err filled (temporary when
 * retrying may succeed). m is only read. */
TG_MUST_CHECK int tg_store_ingest(struct tg_store *st,
				  const struct tg_ingest_mail *m,
				  struct tg_ingest_result *res_r,
				  struct tg_err *err);

/* Keeps raw[0..len) whole in the quarantine with reason, in its own
 * transaction; an identical open entry (same hash) is not added twice. */
TG_MUST_CHECK int tg_store_quarantine_add(struct tg_store *st,
					  const char *source,
					  const char *envelope_to,
					  const char *reason, const void *raw,
					  size_t len,
					  const unsigned char sha256[32],
					  struct tg_err *err);

struct tg_config;

/* Makes the sla_policy and sla_target tables mirror the configuration's
 * policies (upserted in one transaction; policies no longer configured
 * are kept, since accounts may still name them). */
TG_MUST_CHECK int tg_store_sync_config(struct tg_store *st,
				       const struct tg_config *cfg,
				       struct tg_err *err);

struct tg_buf;

/* Appends the tickets (newest first), only those in status when it is
 * not NULL: a JSON array, or aligned text lines. */
TG_MUST_CHECK int tg_store_ticket_list(struct tg_store *st,
				       const char *status, bool json,
				       struct tg_buf *out, struct tg_err *err);
/* Appends ticket number with its participants, messages, attachments and
 * events, as one JSON object or as text. Returns 1, 0 (no such ticket) or
 * -1. */
TG_MUST_CHECK int tg_store_ticket_show(struct tg_store *st, int64_t number,
				       bool json, struct tg_buf *out,
				       struct tg_err *err);
/* Sets field ("status", "priority" or "assignee": an agent's email, NULL
 * to clear) of ticket number. Returns 1, 0 (no such ticket or agent) or
 * -1 (an invalid value is a permanent error). */
TG_MUST_CHECK int tg_store_ticket_set(struct tg_store *st, int64_t number,
				      const char *field, const char *value,
				      struct tg_err *err);

#endif
