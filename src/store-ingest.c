/* The ingest pipeline's store half: one message in one transaction
 * (dedupe, sender, threading facts, follow-up rules, ticket, participants,
 * message, attachments). The decisions come from thread.h and ingest.h;
 * this file only asks the database and writes what they decided. */
#include "store-ingest-private.h"
#include "ticketgate/config.h"
#include "ticketgate/sla.h"
#include "ticketgate/thread.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What the transaction learns about the sender and the ticket. */
struct ingest_state {
	int64_t agent_id, contact_id, account_id;
	char account_status[32]; /* "" when no account */
	char account_policy[64]; /* the account's SLA policy, "" for default */
	int64_t ticket_id, ticket_number, previous_ticket_id;
	const char *new_status; /* status of a ticket to create, or NULL */
};

static const char sql_lock[] = "SELECT pg_advisory_xact_lock($1::bigint)";

/* After the lock, in one round trip: whether this exact mail is stored,
 * whether the sender is an active agent ($3 NULL: no candidate), and the
 * sender's recent mail for rule 21 ($4 NULL: no check). */
static const char sql_first_look[] =
	"SELECT EXISTS (SELECT 1 FROM message WHERE message_id = $1 "
	"AND raw_sha256 = $2), "
	"(SELECT id FROM agent WHERE email = lower($3) AND active), "
	"(SELECT count(*) FROM message WHERE from_address = $4 "
	"AND received_at > now() - make_interval(mins => $5::int)) + "
	"(SELECT count(*) FROM quarantine WHERE from_address = $4 "
	"AND kind = 'flood' "
	"AND received_at > now() - make_interval(mins => $5::int)), "
	"EXISTS (SELECT 1 FROM quarantine WHERE from_address = $4 "
	"AND kind = 'flood' AND received_at > now() - interval '1 hour')";

/* Creates the contact on first mail; fills in the name when it was
 * empty. Agents never become contacts. */
#define CONTACT_UPSERT \
	"INSERT INTO contact (email, name) SELECT lower($1), $2 " \
	"WHERE NOT EXISTS (SELECT 1 FROM agent WHERE email = lower($1)) " \
	"ON CONFLICT (email) DO UPDATE SET name = CASE " \
	"WHEN contact.name = '' THEN EXCLUDED.name ELSE contact.name END " \
	"RETURNING id, account_id"

/* The sender as a contact, and its account: the contact's own first,
 * then the one of the sender's domain ($3). */
static const char sql_customer[] =
	"WITH c AS (" CONTACT_UPSERT ") "
	"SELECT (SELECT id FROM c), a.id, a.status::text, "
	"COALESCE(a.sla_policy, '') FROM (SELECT 1) AS one "
	"LEFT JOIN account a ON a.id = COALESCE((SELECT account_id FROM c), "
	"(SELECT account_id FROM account_domain WHERE domain = lower($3)))";

/* Mailer daemons and our own loops are not customers. */
static bool
has_customer(const struct tg_ingest_mail *m)
{
	return m->from_address[0] != '\0' && m->cls.cls != TG_CLASS_BOUNCE &&
	       m->cls.cls != TG_CLASS_LOOP;
}

static void
read_customer(const PGresult *res, struct ingest_state *s)
{
	s->contact_id = store_get_id(res, 0, 0);
	s->account_id = store_get_id(res, 0, 1);
	if (s->account_id != 0) {
		snprintf(s->account_status, sizeof(s->account_status), "%s",
			 PQgetvalue(res, 0, 2));
		snprintf(s->account_policy, sizeof(s->account_policy), "%s",
			 PQgetvalue(res, 0, 3));
	}
}

static int
identify_customer(struct tg_store *st, const struct tg_ingest_mail *m,
		  struct ingest_state *s, struct tg_err *err)
{
	const char *vals[3] = {m->from_address, m->from_name, m->from_domain};
	PGresult *res = NULL;

	if (!has_customer(m))
		return 0;
	if (store_run(st, sql_customer, 3, vals, NULL, NULL, PGRES_TUPLES_OK,
		      "customer lookup", &res, err) < 0)
		return -1;
	read_customer(res, s);
	PQclear(res);
	return 0;
}

struct first_look {
	bool duplicate, recent_flood;
	int64_t agent_id, sender_recent;
	bool customer_known; /* the customer lookup ran too */
};

/* Two deliveries of one mail at once: the second waits for the first's
 * commit and then sees it as a duplicate instead of hitting the UNIQUE
 * key. The lock key is the hash's first 8 bytes. The lock is a statement
 * of its own, sent in the same round trip: a statement's snapshot is
 * taken before it runs, and only one taken after the wait sees the first
 * delivery's commit.
 *
 * When the agent looked up is the sender itself, the customer lookup goes
 * along too, before its outcome is known to be needed. It is not needed
 * for an agent (who never becomes a contact: the upsert skips agents),
 * a duplicate or a flood (the sender's contact exists then, from the
 * mail stored before), so all it may write is an empty name filled in. */
static int
look_first(struct tg_store *st, const struct tg_ingest_mail *m,
	   struct first_look *f, struct ingest_state *s, struct tg_err *err)
{
	const char *lock_vals[1], *vals[5];
	const char *cust_vals[3] = {m->from_address, m->from_name,
				    m->from_domain};
	const int lens[5] = {0, 32, 0, 0, 0}, fmts[5] = {0, 1, 0, 0, 0};
	char minutes[16];
	struct store_id key;
	int64_t k = 0;
	struct store_call calls[3] = {
		{sql_lock, 1, lock_vals, NULL, NULL, PGRES_TUPLES_OK,
		 "dedupe lock", NULL},
		{sql_first_look, 5, vals, lens, fmts, PGRES_TUPLES_OK,
		 "first look", NULL},
		{sql_customer, 3, cust_vals, NULL, NULL, PGRES_TUPLES_OK,
		 "customer lookup", NULL},
	};
	size_t n_calls = 2;
	PGresult *res;

	for (int i = 0; i < 8; i++)
		k = (int64_t)((uint64_t)k << 8 | m->raw_sha256[i]);
	snprintf(key.s, sizeof(key.s), "%" PRId64, k);
	lock_vals[0] = key.s;
	snprintf(minutes, sizeof(minutes), "%u", m->flood_minutes);
	vals[0] = m->message_id;
	vals[1] = (const char *)m->raw_sha256;
	vals[2] = m->agent_address[0] != '\0' ? m->agent_address : NULL;
	vals[3] = store_flood_applies(m) ? m->from_address : NULL;
	vals[4] = minutes;
	f->customer_known = has_customer(m) &&
			    strcmp(m->agent_address, m->from_address) == 0;
	if (f->customer_known)
		n_calls = 3;
	if (store_run_calls(st, calls, n_calls, err) < 0)
		return -1;
	PQclear(calls[0].res);
	res = calls[1].res;
	f->duplicate = PQgetvalue(res, 0, 0)[0] == 't';
	f->agent_id = store_get_id(res, 0, 1);
	if (f->customer_known) {
		if (f->agent_id == 0)
			read_customer(calls[2].res, s);
		PQclear(calls[2].res);
	}
	f->sender_recent = store_get_id(res, 0, 2);
	f->recent_flood = PQgetvalue(res, 0, 3)[0] == 't';
	PQclear(res);
	return 0;
}

static const char sql_ticket_by_number[] =
	"SELECT id FROM ticket WHERE number = $1::bigint";

/* The messages named ($1, $2: a Message-ID a line) that belong to a
 * ticket. */
static const char sql_ticket_by_reference[] =
	"SELECT id, ticket_id FROM message WHERE message_id <> '' "
	"AND message_id = ANY (string_to_array($1, E'\\n') || "
	"string_to_array($2, E'\\n')) AND ticket_id IS NOT NULL";

/* *ticket_r: the ticket of the newest of those messages, 0 if none. The
 * newest is picked here and the statement planned each time: with ORDER
 * BY id DESC LIMIT 1, or with a plan cached while the table was small,
 * PostgreSQL may walk the whole table instead of the Message-ID index. */
static int
ticket_by_reference(struct tg_store *st, const char *in_reply_to,
		    const char *references, int64_t *ticket_r,
		    struct tg_err *err)
{
	const char *vals[2] = {in_reply_to, references};
	PGresult *res = NULL;
	int64_t newest = 0;

	*ticket_r = 0;
	if (store_run_unprepared(st, sql_ticket_by_reference, 2, vals,
				 PGRES_TUPLES_OK, "reference lookup", &res,
				 err) < 0)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t id = store_get_id(res, i, 0);

		if (id > newest) {
			newest = id;
			*ticket_r = store_get_id(res, i, 1);
		}
	}
	PQclear(res);
	return 0;
}

static const char sql_ticket_subject[] =
	"SELECT t.id, EXISTS (SELECT 1 FROM participant p "
	"WHERE p.ticket_id = t.id AND p.contact_id = $2::bigint) "
	"FROM ticket t WHERE t.number = $1::bigint";

static int
gather_facts(struct tg_store *st, const struct tg_ingest_mail *m,
	     const struct ingest_state *s, struct tg_thread_facts *f,
	     struct tg_err *err)
{
	const char *vals[2];
	struct store_id num, who;
	PGresult *res = NULL;

	memset(f, 0, sizeof(*f));
	if (m->token_number != 0) {
		vals[0] = store_id_param(&num, m->token_number);
		if (store_query_id(st, sql_ticket_by_number, 1, vals, "token lookup",
			     &f->token_ticket, err) < 0)
			return -1;
	}
	if (m->in_reply_to[0] != '\0' || m->references[0] != '\0') {
		if (ticket_by_reference(st, m->in_reply_to, m->references,
					&f->reference_ticket, err) < 0)
			return -1;
	}
	if (m->subject_number != 0) {
		vals[0] = store_id_param(&num, m->subject_number);
		vals[1] = store_id_param(&who, s->contact_id);
		if (store_run(st, sql_ticket_subject, 2, vals, NULL, NULL,
			PGRES_TUPLES_OK, "subject lookup", &res, err) < 0)
			return -1;
		f->subject_ticket = store_get_id(res, 0, 0);
		/* agents answer from their own mailbox; they may thread by
		 * number, strangers may not */
		f->sender_in_subject_ticket =
			PQntuples(res) > 0 &&
			(s->agent_id != 0 || PQgetvalue(res, 0, 1)[0] == 't');
		PQclear(res);
	}
	return 0;
}

static const char sql_ticket_lock[] =
	"SELECT status::text, number FROM ticket WHERE id = $1::bigint "
	"FOR UPDATE";

static const char sql_ticket_reopen[] =
	"UPDATE ticket SET status = 'open' WHERE id = $1::bigint";

/* Applies the follow-up rules to an existing ticket; may turn it into a
 * new linked ticket (s->new_status set). *action_r says what happened. */
static int
follow_up(struct tg_store *st, const struct tg_ingest_mail *m,
	  struct ingest_state *s, const char **action_r, struct tg_err *err)
{
	const char *vals[1];
	struct store_id id;
	PGresult *res = NULL;
	bool allowed, rating_only = false;
	int status;

	vals[0] = store_id_param(&id, s->ticket_id);
	if (store_run(st, sql_ticket_lock, 1, vals, NULL, NULL, PGRES_TUPLES_OK,
		"ticket lock", &res, err) < 0)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return tg_err_set(err, "ticket %" PRId64 " vanished",
				  s->ticket_id);
	}
	status = tg_ticket_status_parse(PQgetvalue(res, 0, 0));
	s->ticket_number = store_get_id(res, 0, 1);
	PQclear(res);

	*action_r = "append";
	if (s->agent_id != 0)
		return 0; /* store_agent_mail() once the message is in */
	if (status < 0)
		return 0; /* a status this build does not know: just record */
	switch (tg_thread_customer_followup((enum tg_ticket_status)status,
					    m->automatic)) {
	case TG_FOLLOWUP_APPEND:
		return 0;
	case TG_FOLLOWUP_REOPEN:
		if (status == TG_STATUS_SOLVED &&
		    store_feedback_answer(st, m, s->ticket_id, &rating_only,
					  err) < 0)
			return -1;
		if (rating_only) {
			*action_r = "feedback";
			return 0;
		}
		if (store_reopen_allowed(st, m, s->ticket_id, &allowed, err) < 0)
			return -1;
		if (!allowed) {
			*action_r = "append-reopen-limit";
			return 0;
		}
		*action_r = "reopen";
		return store_run(st, sql_ticket_reopen, 1, vals, NULL, NULL,
			   PGRES_COMMAND_OK, "ticket reopen", NULL, err);
	case TG_FOLLOWUP_NEW_LINKED:
		*action_r = "new-linked";
		s->previous_ticket_id = s->ticket_id;
		s->ticket_id = 0;
		s->ticket_number = 0;
		s->new_status = "open";
		return 0;
	}
	return 0;
}

/* Due times of a new medium-priority ticket: the account's policy (the
 * default when it has none, or one the configuration does not know),
 * counted in the policy's calendar from now. Without a configuration
 * there is no policy and the due times stay empty. */
struct sla_times {
	const char *policy;
	char created[24], first_due[24], resolution_due[24];
};

static void
sla_for_new_ticket(const struct tg_ingest_mail *m,
		   const struct ingest_state *s, struct sla_times *t)
{
	const struct tg_config_sla_policy *p = NULL;
	int64_t now = (int64_t)time(NULL), first, resolution;

	snprintf(t->created, sizeof(t->created), "%" PRId64, now);
	t->policy = NULL;
	if (m->cfg == NULL)
		return;
	if (s->account_policy[0] != '\0')
		p = tg_config_sla_policy(m->cfg, s->account_policy);
	if (p == NULL)
		p = tg_config_sla_policy(m->cfg, NULL);
	if (p == NULL || !tg_config_sla_due(p, TG_PRIORITY_MEDIUM, now, &first,
					    &resolution))
		return;
	t->policy = p->name;
	snprintf(t->first_due, sizeof(t->first_due), "%" PRId64, first);
	snprintf(t->resolution_due, sizeof(t->resolution_due), "%" PRId64,
		 resolution);
}

/* The department: --department, else the config's mapping of the
 * address, else the built-in routing by account status. */
static const char *
department_for(const struct tg_ingest_mail *m, const struct ingest_state *s)
{
	const char *status =
		s->account_status[0] != '\0' ? s->account_status : NULL;

	if (m->department != NULL)
		return m->department;
	if (m->cfg != NULL && m->address != NULL)
		return tg_config_department_for(m->cfg, m->address, status);
	return tg_ingest_department_by_status(status);
}

/* A new ticket's 13 parameters, with the buffers they point into. */
struct ticket_params {
	struct store_id acc, req, prev;
	struct sla_times sla;
	const char *vals[13];
};

static void
ticket_params(const struct tg_ingest_mail *m, const struct ingest_state *s,
	      struct ticket_params *p)
{
	p->vals[0] = m->subject;
	p->vals[1] = s->new_status;
	p->vals[2] = department_for(m, s);
	p->vals[3] = store_id_param(&p->acc, s->account_id);
	p->vals[4] = store_id_param(&p->req, s->contact_id);
	p->vals[5] = m->envelope_to;
	p->vals[6] = store_id_param(&p->prev, s->previous_ticket_id);
	p->vals[7] = m->tags;
	p->vals[8] = m->address != NULL ? m->address->language : NULL;
	sla_for_new_ticket(m, s, &p->sla);
	p->vals[9] = p->sla.policy;
	p->vals[10] = p->sla.created;
	p->vals[11] = p->sla.policy != NULL ? p->sla.first_due : NULL;
	p->vals[12] = p->sla.policy != NULL ? p->sla.resolution_due : NULL;
}

static const char sql_participant_add[] =
	"INSERT INTO participant (ticket_id, contact_id, role) "
	"VALUES ($1::bigint, $2::bigint, 'cc') ON CONFLICT DO NOTHING";

/* Another customer the sender wrote to ($1, $2) on ticket $3. */
static const char sql_cc_add[] =
	"WITH c AS (" CONTACT_UPSERT ") "
	"INSERT INTO participant (ticket_id, contact_id, role) "
	"SELECT $3::bigint, id, 'cc' FROM c ON CONFLICT DO NOTHING";

/* The sender of a follow-up (a new ticket has its requester already) and
 * the customers it wrote to. */
static int
participants_add(struct tg_store *st, const struct tg_ingest_mail *m,
		 const struct ingest_state *s, bool created, struct tg_err *err)
{
	struct store_id t, c;
	const char *vals[3];

	if (s->ticket_id == 0)
		return 0;
	vals[0] = store_id_param(&t, s->ticket_id);
	vals[1] = store_id_param(&c, s->contact_id);
	if (!created && vals[1] != NULL &&
	    store_run(st, sql_participant_add, 2, vals, NULL, NULL,
		      PGRES_COMMAND_OK, "participant insert", NULL, err) < 0)
		return -1;
	/* whoever a spammer wrote to is not a customer of ours yet */
	if (m->cls.cls == TG_CLASS_SPAM)
		return 0;
	vals[2] = vals[0];
	for (size_t i = 0; i < m->n_others; i++) {
		vals[0] = m->others[i].address;
		vals[1] = m->others[i].name;
		if (store_run(st, sql_cc_add, 3, vals, NULL, NULL,
			      PGRES_COMMAND_OK, "participant insert", NULL,
			      err) < 0)
			return -1;
	}
	return 0;
}

/* The columns every inbound message is inserted with. */
#define MESSAGE_COLUMNS                                                       \
	"message (ticket_id, direction, author_kind, contact_id, agent_id, "  \
	"message_id, in_reply_to, refs, from_address, from_name, "            \
	"to_addresses, cc_addresses, subject, sent_at, class, body_text, "    \
	"reply_text, raw, raw_sha256, source)"

/* A message on an existing ticket, or on none: message_params()' $1-$19
 * (an acknowledgement goes only with a new ticket, see below). */
static const char sql_message_insert[] =
	"INSERT INTO " MESSAGE_COLUMNS " VALUES ($1::bigint, 'inbound', "
	"$2::author_kind, $3::bigint, $4::bigint, $5, "
	"string_to_array($6, E'\\n'), string_to_array($7, E'\\n'), $8, $9, "
	"string_to_array($10, E'\\n'), string_to_array($11, E'\\n'), $12, "
	"to_timestamp($13::double precision), $14, $15, $16, $17, $18, $19) "
	"RETURNING id";

/* A message's 20 parameters ($1 the ticket's id, $20 the customer to
 * acknowledge or NULL), with the buffers they point into. */
struct message_params {
	struct store_id t, c, a, d;
	const char *vals[20];
	int lens[20], fmts[20];
};

static void
message_params(const struct tg_ingest_mail *m, const struct ingest_state *s,
	       bool ack, struct message_params *p)
{
	const struct tg_message *msg = m->msg;

	memset(p->lens, 0, sizeof(p->lens));
	memset(p->fmts, 0, sizeof(p->fmts));
	p->vals[0] = store_id_param(&p->t, s->ticket_id);
	p->vals[1] = s->agent_id != 0     ? "agent"
		     : s->contact_id != 0 ? "customer"
					  : "system";
	p->vals[2] = store_id_param(&p->c, s->contact_id);
	p->vals[3] = store_id_param(&p->a, s->agent_id);
	p->vals[4] = m->message_id;
	p->vals[5] = m->in_reply_to;
	p->vals[6] = m->references;
	p->vals[7] = m->from_address;
	p->vals[8] = m->from_name;
	p->vals[9] = m->to_list;
	p->vals[10] = m->cc_list;
	p->vals[11] = m->subject;
	if (msg->has_date) {
		snprintf(p->d.s, sizeof(p->d.s), "%" PRId64, msg->date);
		p->vals[12] = p->d.s;
	} else {
		p->vals[12] = NULL;
	}
	p->vals[13] = tg_mail_class_name(m->cls.cls);
	p->vals[14] = m->text;
	p->vals[15] = m->reply_text;
	p->vals[16] = m->raw;
	p->vals[17] = (const char *)m->raw_sha256;
	p->vals[18] = m->source;
	p->vals[19] = ack ? m->from_address : NULL;
	/* bounds: raw is capped at TG_INGEST_MAX_BYTES, far below INT_MAX */
	p->lens[16] = (int)m->raw_len;
	p->fmts[16] = 1;
	p->lens[17] = 32;
	p->fmts[17] = 1;
}

static int
message_insert(struct tg_store *st, const struct tg_ingest_mail *m,
	       const struct ingest_state *s, int64_t *id_r, struct tg_err *err)
{
	struct message_params p;
	PGresult *res = NULL;

	message_params(m, s, false, &p);
	if (store_run(st, sql_message_insert, 19, p.vals, p.lens, p.fmts,
		      PGRES_TUPLES_OK, "message insert", &res, err) < 0)
		return -1;
	*id_r = store_get_id(res, 0, 0);
	PQclear(res);
	return 0;
}

/* A new ticket, its requester ($5) as participant, and its first message
 * in one statement: one round trip fewer on the path every new ticket
 * takes. $1-$13 are ticket_params(), $14-$32 message_params()' $2-$20.
 * Departments ($3, by name) are created on first use; when the CTE
 * inserts nothing, its snapshot cannot see the row it found, so the
 * lookup runs again outside it. */
static const char sql_ticket_message_insert[] =
	"WITH d AS (INSERT INTO department (name) SELECT $3::text "
	"WHERE NOT EXISTS (SELECT 1 FROM department WHERE name = $3::text) "
	"ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name "
	"RETURNING id), t AS (INSERT INTO ticket (subject, status, "
	"priority, channel, department_id, account_id, requester_id, address, "
	"previous_ticket_id, tags, language, sla_policy, created_at, "
	"first_response_due, resolution_due) VALUES ($1, $2::ticket_status, "
	"'medium', 'email', COALESCE((SELECT id FROM d), "
	"(SELECT id FROM department WHERE name = $3::text)), $4::bigint, "
	"$5::bigint, $6, $7::bigint, string_to_array($8, E'\\n'), $9, $10, "
	"to_timestamp($11::bigint), to_timestamp($12::bigint), "
	"to_timestamp($13::bigint)) RETURNING id, number, address), "
	"p AS (INSERT INTO participant (ticket_id, contact_id, role) "
	"SELECT id, $5::bigint, 'requester' FROM t "
	"WHERE $5::bigint IS NOT NULL), "
	"msg AS (INSERT INTO " MESSAGE_COLUMNS " SELECT t.id, "
	"'inbound', $14::author_kind, $15::bigint, $16::bigint, $17, "
	"string_to_array($18, E'\\n'), string_to_array($19, E'\\n'), $20, "
	"$21, string_to_array($22, E'\\n'), string_to_array($23, E'\\n'), "
	"$24, to_timestamp($25::double precision), $26, $27, $28, $29, $30, "
	"$31 FROM t RETURNING id), "
	"ack AS (INSERT INTO outbox (kind, ticket_id, cause_id, recipients, "
	"address) SELECT 'ack', t.id, msg.id, ARRAY[lower($32)], t.address "
	"FROM msg, t WHERE $32 IS NOT NULL) "
	"SELECT t.id, t.number, msg.id FROM t, msg";

static int
ticket_message_insert(struct tg_store *st, const struct tg_ingest_mail *m,
		      struct ingest_state *s, bool ack, int64_t *id_r,
		      struct tg_err *err)
{
	struct ticket_params tp;
	struct message_params mp;
	const char *vals[32];
	int lens[32] = {0}, fmts[32] = {0};
	PGresult *res = NULL;

	ticket_params(m, s, &tp);
	message_params(m, s, ack, &mp);
	memcpy(vals, tp.vals, sizeof(tp.vals));
	memcpy(vals + 13, mp.vals + 1, 19 * sizeof(*vals));
	memcpy(lens + 13, mp.lens + 1, 19 * sizeof(*lens));
	memcpy(fmts + 13, mp.fmts + 1, 19 * sizeof(*fmts));
	if (store_run(st, sql_ticket_message_insert, 32, vals, lens, fmts,
		      PGRES_TUPLES_OK, "ticket and message insert", &res,
		      err) < 0)
		return -1;
	s->ticket_id = store_get_id(res, 0, 0);
	s->ticket_number = store_get_id(res, 0, 1);
	*id_r = store_get_id(res, 0, 2);
	PQclear(res);
	return 0;
}

/* Attachment contents are stored once, however often they are sent. */
static const char sql_blob_add[] =
	"INSERT INTO blob (sha256, size, data) VALUES ($1, $2::bigint, $3) "
	"ON CONFLICT DO NOTHING";

static const char sql_attachment_add[] =
	"INSERT INTO attachment (message_id, position, filename, "
	"content_type, content_id, sha256) VALUES ($1::bigint, $2::integer, "
	"$3, $4, $5, $6)";

static int
attachments_add(struct tg_store *st, const struct tg_ingest_mail *m,
		int64_t message, struct tg_err *err)
{
	for (size_t i = 0; i < m->n_attachments; i++) {
		const struct tg_attachment *a = &m->attachments[i];
		struct store_id mid, pos, size;
		const char *vals[6];
		int lens[6] = {0}, fmts[6] = {0};

		vals[0] = (const char *)a->sha256;
		lens[0] = 32;
		fmts[0] = 1;
		vals[1] = store_id_param(&size, (int64_t)a->size);
		if (vals[1] == NULL)
			vals[1] = "0";
		vals[2] = (const char *)a->data;
		vals[2] = vals[2] != NULL ? vals[2] : "";
		/* bounds: a part is smaller than its message (25 MiB) */
		lens[2] = (int)a->size;
		fmts[2] = 1;
		if (store_run(st, sql_blob_add, 3, vals, lens, fmts, PGRES_COMMAND_OK,
			"blob insert", NULL, err) < 0)
			return -1;

		snprintf(pos.s, sizeof(pos.s), "%zu", i);
		vals[0] = store_id_param(&mid, message);
		vals[1] = pos.s;
		vals[2] = a->filename; /* NULL stays NULL */
		vals[3] = a->content_type;
		vals[4] = a->content_id;
		vals[5] = (const char *)a->sha256;
		memset(lens, 0, sizeof(lens));
		memset(fmts, 0, sizeof(fmts));
		lens[5] = 32;
		fmts[5] = 1;
		if (store_run(st, sql_attachment_add, 6, vals, lens, fmts,
			PGRES_COMMAND_OK, "attachment insert", NULL, err) < 0)
			return -1;
	}
	return 0;
}

/* Chooses the ticket: loops are kept unattached, bounces go to the ticket
 * of the message they return (never a new one), spam opens a spam ticket,
 * everything else threads per thread.h and the follow-up rules. */
static int
choose_ticket(struct tg_store *st, const struct tg_ingest_mail *m,
	      struct ingest_state *s, const char **action_r, struct tg_err *err)
{
	struct tg_thread_facts f;

	switch (m->cls.cls) {
	case TG_CLASS_LOOP:
		*action_r = "unattached";
		return 0;
	case TG_CLASS_BOUNCE:
		*action_r = "unattached";
		if (m->bounced_message_id == NULL)
			return 0;
		if (ticket_by_reference(st, m->bounced_message_id, "",
					&s->ticket_id, err) < 0)
			return -1;
		if (s->ticket_id == 0)
			return 0;
		break;
	case TG_CLASS_SPAM:
		*action_r = "new";
		s->new_status = "spam";
		return 0;
	default:
		if (gather_facts(st, m, s, &f, err) < 0)
			return -1;
		if (tg_thread_decide(&f, &s->ticket_id) == TG_THREAD_NEW) {
			s->ticket_id = 0;
			*action_r = "new";
			s->new_status = "open";
			return 0;
		}
		break;
	}
	return follow_up(st, m, s, action_r, err);
}

static int
ingest(struct tg_store *st, const struct tg_ingest_mail *orig,
       struct tg_ingest_result *r, struct tg_err *err)
{
	struct tg_ingest_mail mail = *orig; /* with the class that applies */
	const struct tg_ingest_mail *m = &mail;
	struct ingest_state s;
	struct first_look first;
	bool created, ack;
	int64_t message;

	memset(&s, 0, sizeof(s));
	if (look_first(st, m, &first, &s, err) < 0)
		return -1;
	if (first.duplicate) {
		r->duplicate = true;
		r->action = "duplicate";
		return 0;
	}
	/* agents first: their mail is never counted as a flood, and rule 3
	 * of the classifier spares them (see tg_ingest_mail.cls_as_agent) */
	s.agent_id = first.agent_id;
	if (s.agent_id != 0) {
		mail.cls = orig->cls_as_agent;
		mail.automatic = orig->automatic_as_agent;
	} else if (m->cls.cls != TG_CLASS_BOUNCE &&
		   m->cls.cls != TG_CLASS_LOOP && store_flood_applies(m)) {
		if (store_flood_check(st, m, first.sender_recent,
				      first.recent_flood, &r->flooded,
				      err) < 0)
			return -1;
		if (r->flooded) {
			r->action = "flood";
			return 0;
		}
	}
	if (s.agent_id == 0 && !first.customer_known &&
	    identify_customer(st, m, &s, err) < 0)
		return -1;
	if (choose_ticket(st, m, &s, &r->action, err) < 0)
		return -1;
	created = s.new_status != NULL;
	ack = created && s.contact_id != 0 &&
	      strcmp(s.new_status, "open") == 0 && store_ack_due(m);
	if (created) {
		if (ticket_message_insert(st, m, &s, ack, &message, err) < 0)
			return -1;
	} else if (message_insert(st, m, &s, &message, err) < 0) {
		return -1;
	}
	if (m->cls.cls != TG_CLASS_BOUNCE && m->cls.cls != TG_CLASS_LOOP &&
	    participants_add(st, m, &s, created, err) < 0)
		return -1;
	if (attachments_add(st, m, message, err) < 0)
		return -1;
	if (m->cls.cls == TG_CLASS_BOUNCE && s.ticket_id != 0 &&
	    store_record_bounce(st, m, s.ticket_id, err) < 0)
		return -1;
	if (!created && s.agent_id != 0 && s.ticket_id != 0 &&
	    store_agent_mail(st, m, s.ticket_id, message, &r->action, err) < 0)
		return -1;
	r->new_ticket = created;
	r->ticket_number = s.ticket_number;
	return 0;
}

/* Alone, one message is one transaction; inside a guarded batch it is a
 * savepoint, so a message failing for good is undone without the batch's
 * others; inside an unguarded one it spoils the batch (see store.h). */
int
tg_store_ingest(struct tg_store *st, const struct tg_ingest_mail *m,
		struct tg_ingest_result *res_r, struct tg_err *err)
{
	const char *begin = st->in_batch ? "SAVEPOINT ingest" : "BEGIN";
	const char *end = st->in_batch ? "RELEASE SAVEPOINT ingest" : "COMMIT";
	const char *undo =
		st->in_batch ? "ROLLBACK TO SAVEPOINT ingest" : "ROLLBACK";
	struct tg_err ignored;

	memset(res_r, 0, sizeof(*res_r));
	if (st->in_batch && !st->guarded) {
		if (ingest(st, m, res_r, err) == 0)
			return 0;
		if (err == NULL || !err->temporary)
			st->spoiled = true;
		if (err != NULL)
			err->temporary = true; /* the batch, not the mail */
		return -1;
	}
	if (store_exec(st, begin, "begin", err) < 0)
		return -1;
	if (ingest(st, m, res_r, err) < 0 ||
	    store_exec(st, end, "commit", err) < 0) {
		/* nothing half-written; a failed ROLLBACK on a lost
		 * connection changes nothing the server keeps */
		if (store_exec(st, undo, "rollback", &ignored) < 0 &&
		    err != NULL && !err->temporary)
			err->temporary = PQstatus(st->conn) != CONNECTION_OK;
		return -1;
	}
	return 0;
}
