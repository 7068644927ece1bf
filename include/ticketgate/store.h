/* The PostgreSQL store: the only module that speaks SQL. Every statement is
 * a constant with $n placeholders run through PQexecParams. */
#ifndef TICKETGATE_STORE_H
#define TICKETGATE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "ticketgate/err.h"

struct tg_store;
struct tg_pool;

/* Connects with a libpq conninfo string; password (may be NULL) comes from
 * the configured file and is passed separately so it is never part of a
 * string that could be logged. Fails temporary when the server is down. */
TG_MUST_CHECK int tg_store_open(const char *conninfo, const char *password,
				struct tg_store **st_r, struct tg_err *err);
void tg_store_close(struct tg_store **stp);
/* For a connection that serves one message: statements are sent
 * unprepared, since preparing costs a round trip each that only later
 * uses repay. */
void tg_store_one_shot(struct tg_store *st);

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

/* A batch: one transaction around several tg_store_ingest() calls and
 * the mailbox position, committed together. After a failed commit the
 * batch is rolled back; a temporary err means repeat it.
 *
 * A guarded batch puts each message in a savepoint, so one failing for
 * good is undone alone (and quarantined). An unguarded one saves those
 * two statements a message: a message failing for good fails the batch
 * with a temporary err and tg_store_batch_spoiled() true until the next
 * begin, and the caller repeats the batch guarded. */
TG_MUST_CHECK int tg_store_batch_begin(struct tg_store *st, bool guarded,
				       struct tg_err *err);
TG_MUST_CHECK int tg_store_batch_commit(struct tg_store *st,
					struct tg_err *err);
void tg_store_batch_abort(struct tg_store *st);
bool tg_store_batch_spoiled(const struct tg_store *st);

/* The poller's position in mailbox: 1 with both set, 0 (both 0) when it
 * has none yet, -1 on error. */
TG_MUST_CHECK int tg_store_mailbox_position(struct tg_store *st,
					    const char *mailbox,
					    uint32_t *uidvalidity_r,
					    uint32_t *last_uid_r,
					    struct tg_err *err);
/* Records it, normally inside the batch that stored the messages. */
TG_MUST_CHECK int tg_store_mailbox_set_position(struct tg_store *st,
						const char *mailbox,
						uint32_t uidvalidity,
						uint32_t last_uid,
						struct tg_err *err);
/* Takes the session's lock on mailbox without waiting: 1 taken (held
 * until the connection ends), 0 another session holds it, -1 error. */
TG_MUST_CHECK int tg_store_mailbox_lock(struct tg_store *st,
					const char *mailbox,
					struct tg_err *err);

/* A claimed outbox row with what composing it needs. Strings live in the
 * pool given to tg_store_outbox_claim(); none is NULL ("" when absent). */
struct tg_outbox_item {
	int64_t id;
	const char *kind; /* "ack", "reply", "feedback", "size_notice", ... */
	char **recipients; /* To first, then Cc */
	size_t n_recipients;
	const char *address; /* the support address it is sent from */
	int attempts;
	int64_t age_seconds; /* since the row was written */
	int64_t ticket_number; /* 0: none */
	const char *subject, *department, *status, *language;
	const char *first_response_due, *resolution_due; /* "... UTC" */
	const char *customer_name;
	const char *cause_text;  /* new text of the causing message */
	const char *detail;      /* the row's own text: a relayed reply's
				    body, a command's errors */
	const char *in_reply_to; /* its Message-ID */
	char **references; /* the ticket's Message-IDs, oldest first */
	size_t n_references;
	const char *message_id; /* ours, once composed */
	char *raw;              /* the composed message, or NULL */
	size_t raw_len;
};

/* Opens a transaction and claims the oldest due pending rows, at most
 * max, skipping rows other senders hold: rows not yet composed (composed
 * false), or rows composed and ready to send, whose composing fields are
 * left "". 1 claimed (*items_r in pool; the transaction stays open until
 * tg_store_outbox_commit() or a failure ends it), 0 none (no transaction
 * left open), -1 error. */
TG_MUST_CHECK int tg_store_outbox_claim(struct tg_store *st, bool composed,
					unsigned max, struct tg_pool *pool,
					struct tg_outbox_item **items_r,
					size_t *n_r, struct tg_err *err);
/* Ends the claim without a change. */
void tg_store_outbox_release(struct tg_store *st);
/* Ends the claim, keeping the outcomes recorded; rows claimed without an
 * outcome stay pending as they were. */
TG_MUST_CHECK int tg_store_outbox_commit(struct tg_store *st,
					 struct tg_err *err);
/* Each records one claimed row's outcome in the claim's transaction; a
 * failure rolls the whole claim back. */
/* Keeps the composed bytes, and the subject and text part the ticket's
 * history shows once the mail is sent. */
TG_MUST_CHECK int tg_store_outbox_composed(struct tg_store *st, int64_t id,
					   const char *message_id,
					   const char *raw, size_t len,
					   const char *subject,
					   const char *text,
					   struct tg_err *err);
/* Marks the rows ids sent, each recorded as an outbound message of its
 * ticket. */
TG_MUST_CHECK int tg_store_outbox_sent(struct tg_store *st, const int64_t *ids,
				       size_t n, struct tg_err *err);
TG_MUST_CHECK int tg_store_outbox_retry(struct tg_store *st, int64_t id,
					const char *why, int delay_seconds,
					struct tg_err *err);
/* Failed for good, or suppressed by the rules on automatic mail: an
 * internal event on the ticket says why. */
TG_MUST_CHECK int tg_store_outbox_give_up(struct tg_store *st, int64_t id,
					  bool suppressed, const char *why,
					  struct tg_err *err);
/* Queues a notice about no ticket (a message refused for its size) to
 * recipient from our address; detail is its subject. */
TG_MUST_CHECK int tg_store_outbox_notice(struct tg_store *st, const char *kind,
					 const char *recipient,
					 const char *address,
					 const char *detail, struct tg_err *err);
/* Automatic mail sent to recipient within the window, and how many of
 * those were acknowledgements. */
TG_MUST_CHECK int tg_store_outbox_recent(struct tg_store *st,
					 const char *recipient,
					 unsigned window_minutes,
					 unsigned *automatic_r, unsigned *acks_r,
					 struct tg_err *err);
/* Whether recipient opened another ticket than number with the same
 * subject, reply prefixes and case aside. */
TG_MUST_CHECK int tg_store_outbox_same_subject(struct tg_store *st,
					       const char *recipient,
					       int64_t number,
					       const char *subject,
					       bool *same_r,
					       struct tg_err *err);
/* LISTEN for new outbox rows; then wait up to timeout_ms for one (1), a
 * readable wake_fd or the time out (0), or a lost connection (-1). */
TG_MUST_CHECK int tg_store_listen(struct tg_store *st, struct tg_err *err);
TG_MUST_CHECK int tg_store_wait_notify(struct tg_store *st, int timeout_ms,
				       int wake_fd, struct tg_err *err);

/* One message for the quarantine; strings and raw are borrowed. */
struct tg_quarantine_item {
	const char *source, *envelope_to;
	const char *from_address; /* "" when unknown */
	const char *kind;         /* "error", "size", "limit" or "flood" */
	const char *reason;
	const void *raw;
	size_t len;
	const unsigned char *sha256; /* 32 bytes */
};

/* Keeps q->raw whole in the quarantine with its reason, in the current
 * transaction if one is open (else on its own); an identical open entry
 * (same hash) is not added twice. */
TG_MUST_CHECK int tg_store_quarantine_add(struct tg_store *st,
					  const struct tg_quarantine_item *q,
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
 * to clear) of ticket number. A new priority counts the SLA due times
 * again with cfg's policies (cfg NULL: they stay). Returns 1, 0 (no such
 * ticket or agent) or -1 (an invalid value is a permanent error). */
TG_MUST_CHECK int tg_store_ticket_set(struct tg_store *st, int64_t number,
				      const char *field, const char *value,
				      const struct tg_config *cfg,
				      struct tg_err *err);

/* One quarantine entry. From tg_store_quarantine_list() every field is
 * borrowed for the callback's duration and raw is NULL; from
 * tg_store_quarantine_get() everything is owned: release it with
 * tg_quarantine_entry_free(). Times are UTC ISO 8601, reprocessed_at ""
 * while the entry is open. */
struct tg_quarantine_entry {
	int64_t id;
	const char *received_at, *source, *envelope_to, *reason;
	const char *reprocessed_at;
	size_t size; /* bytes of the raw message */
	char *raw;   /* size bytes plus a NUL, or NULL */
};

/* Calls fn for each open entry (all of them when all), oldest first; fn
 * returning -1 stops the walk with an error. */
TG_MUST_CHECK int tg_store_quarantine_list(struct tg_store *st, bool all,
	int (*fn)(const struct tg_quarantine_entry *e, void *arg), void *arg,
	struct tg_err *err);
/* Fetches entry id with its raw bytes: 1 found, 0 none, -1 error. */
TG_MUST_CHECK int tg_store_quarantine_get(struct tg_store *st, int64_t id,
					  struct tg_quarantine_entry *e_r,
					  struct tg_err *err);
void tg_quarantine_entry_free(struct tg_quarantine_entry *e);
/* Each returns 1 when entry id was changed, 0 when there is none (or,
 * for mark, it was already reprocessed), -1 on error. Each is its own
 * transaction. */
TG_MUST_CHECK int tg_store_quarantine_mark_reprocessed(struct tg_store *st,
						       int64_t id,
						       struct tg_err *err);
TG_MUST_CHECK int tg_store_quarantine_set_reason(struct tg_store *st,
						 int64_t id,
						 const char *reason,
						 struct tg_err *err);
TG_MUST_CHECK int tg_store_quarantine_delete(struct tg_store *st, int64_t id,
					     struct tg_err *err);

/* One account of a CRM import (src/store-admin.c); strings are borrowed. */
struct tg_account_row {
	unsigned line;              /* in the import file, for messages */
	const char *crm_id, *name;
	const char *status;         /* an account_status value */
	const char *sla_policy;     /* NULL: the default policy */
	const char *const *domains; /* lowercase */
	size_t n_domains;
	const char *const *contacts; /* lowercase addresses */
	size_t n_contacts;
};

struct tg_account_import_counts {
	size_t accounts, created, updated, domains, contacts;
};

/* Upserts rows by crm_id (replacing each account's domains, setting its
 * contacts' account) in one transaction. A row the database refuses
 * (unknown SLA policy, a domain owned by another account) is reported
 * through problem(arg, line, msg) and the import goes on checking. Returns
 * 0 after COMMIT with *c_r filled, 1 after ROLLBACK when any row had a
 * problem, or -1 after ROLLBACK with err filled. */
TG_MUST_CHECK int tg_store_accounts_import(
	struct tg_store *st, const struct tg_account_row *rows, size_t n,
	void (*problem)(void *arg, unsigned line, const char *msg), void *arg,
	struct tg_account_import_counts *c_r, struct tg_err *err);

/* An agent as listed; strings live until fn returns. */
struct tg_agent_info {
	const char *email, *name, *department; /* department "" when none */
	bool active;
};

/* Adds the agent or updates it (name or department NULL: keep), creating
 * the department on demand. *created_r is 1 for a new agent. */
TG_MUST_CHECK int tg_store_agent_add(struct tg_store *st, const char *email,
				     const char *name, const char *department,
				     int *created_r, struct tg_err *err);
/* Calls fn for each agent, ordered by email. */
TG_MUST_CHECK int tg_store_agent_list(
	struct tg_store *st,
	void (*fn)(void *arg, const struct tg_agent_info *a), void *arg,
	struct tg_err *err);
/* Deletes the agent: 1 when it existed, 0 when not, -1 with err. Messages
 * it wrote keep their text and lose the link (ON DELETE SET NULL). */
TG_MUST_CHECK int tg_store_agent_remove(struct tg_store *st,
					const char *email, struct tg_err *err);

#endif
