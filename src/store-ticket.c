/* Reading and changing tickets for the admin commands. Reads build their
 * JSON inside PostgreSQL (json_build_object), so the shape is one query
 * and every value is escaped by the server. */
#include "store-private.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* One row per ticket, newest first; $1 NULL means every status. */
static const char sql_ticket_list[] =
	"SELECT coalesce(json_agg(json_build_object("
	" 'number', t.number, 'status', t.status, 'priority', t.priority,"
	" 'department', d.name, 'requester', c.email, 'subject', t.subject,"
	" 'created_at', t.created_at, 'first_response_due',"
	" t.first_response_due) ORDER BY t.number DESC), '[]')::text "
	"FROM ticket t LEFT JOIN department d ON d.id = t.department_id "
	"LEFT JOIN contact c ON c.id = t.requester_id "
	"WHERE $1::ticket_status IS NULL OR t.status = $1::ticket_status";

/* The same as aligned text lines for people. */
static const char sql_ticket_list_text[] =
	"SELECT coalesce(string_agg(format('%7s  %-8s %-7s %-14s %-28s %s',"
	" t.number, t.status, t.priority, coalesce(d.name, '-'),"
	" coalesce(c.email, '-'), t.subject), E'\\n' ORDER BY t.number DESC),"
	" '(no tickets)') "
	"FROM ticket t LEFT JOIN department d ON d.id = t.department_id "
	"LEFT JOIN contact c ON c.id = t.requester_id "
	"WHERE $1::ticket_status IS NULL OR t.status = $1::ticket_status";

static const char sql_ticket_show_text[] =
	"SELECT format(E'#%s %s\\nstatus %s, priority %s, channel %s, "
	"department %s, account %s\\nrequester %s, assignee %s, tags {%s}, "
	"address %s\\ncreated %s, first response due %s, resolution due %s, "
	"first response %s, solved %s%s\\n', t.number, t.subject, t.status, "
	"t.priority, t.channel, coalesce(d.name, '-'), coalesce(a.name, '-'), "
	"coalesce(c.email, '-'), coalesce(g.email, '-'), "
	"array_to_string(t.tags, ', '), coalesce(t.address, '-'), t.created_at, "
	"coalesce(t.first_response_due::text, '-'), "
	"coalesce(t.resolution_due::text, '-'), "
	"coalesce(t.first_response_at::text, '-'), "
	"coalesce(t.solved_at::text, '-'), "
	"coalesce(E'\\nfollows ticket #' || (SELECT number FROM ticket p "
	"WHERE p.id = t.previous_ticket_id), '')) "
	"|| coalesce((SELECT string_agg(format(E'\\n--- %s %s %s <%s> %s%s\\n%s',"
	" m.received_at, m.direction, m.author_kind, m.from_address, m.class,"
	" coalesce((SELECT E'\\n    attachments: ' || string_agg(format("
	"  '%s (%s, %s bytes)', coalesce(at.filename, '-'), at.content_type,"
	"  b.size), ', ' ORDER BY at.position) FROM attachment at"
	"  JOIN blob b ON b.sha256 = at.sha256 WHERE at.message_id = m.id), ''),"
	" m.reply_text), E'\\n' ORDER BY m.received_at, m.id) FROM message m"
	" WHERE m.ticket_id = t.id), '') "
	"|| coalesce((SELECT E'\\n\\nevents:\\n' || string_agg(format("
	"'  %s %s %s -> %s', e.at, e.kind, coalesce(e.old_value, '-'),"
	" coalesce(e.new_value, '-')), E'\\n' ORDER BY e.at, e.id)"
	" FROM ticket_event e WHERE e.ticket_id = t.id), '') "
	"FROM ticket t "
	"LEFT JOIN department d ON d.id = t.department_id "
	"LEFT JOIN account a ON a.id = t.account_id "
	"LEFT JOIN contact c ON c.id = t.requester_id "
	"LEFT JOIN agent g ON g.id = t.assignee_id "
	"WHERE t.number = $1::bigint";

static const char sql_ticket_show[] =
	"SELECT json_build_object("
	" 'number', t.number, 'subject', t.subject, 'status', t.status,"
	" 'priority', t.priority, 'channel', t.channel,"
	" 'department', d.name, 'account', a.name, 'requester', c.email,"
	" 'assignee', g.email, 'tags', t.tags, 'address', t.address,"
	" 'language', t.language, 'sla_policy', t.sla_policy,"
	" 'created_at', t.created_at, 'updated_at', t.updated_at,"
	" 'first_response_due', t.first_response_due,"
	" 'resolution_due', t.resolution_due,"
	" 'first_response_at', t.first_response_at,"
	" 'solved_at', t.solved_at,"
	" 'previous_ticket', (SELECT number FROM ticket p"
	"   WHERE p.id = t.previous_ticket_id),"
	" 'participants', (SELECT coalesce(json_agg(json_build_object("
	"   'email', pc.email, 'name', pc.name, 'role', pp.role)"
	"   ORDER BY pp.role DESC, pc.email), '[]') FROM participant pp"
	"   JOIN contact pc ON pc.id = pp.contact_id"
	"   WHERE pp.ticket_id = t.id),"
	" 'messages', (SELECT coalesce(json_agg(json_build_object("
	"   'id', m.id, 'direction', m.direction, 'author', m.author_kind,"
	"   'from', m.from_address, 'subject', m.subject,"
	"   'message_id', m.message_id, 'sent_at', m.sent_at,"
	"   'received_at', m.received_at, 'class', m.class,"
	"   'internal', m.internal, 'reply_text', m.reply_text,"
	"   'attachments', (SELECT coalesce(json_agg(json_build_object("
	"     'filename', at.filename, 'content_type', at.content_type,"
	"     'size', b.size, 'sha256', encode(at.sha256, 'hex'))"
	"     ORDER BY at.position), '[]') FROM attachment at"
	"     JOIN blob b ON b.sha256 = at.sha256"
	"     WHERE at.message_id = m.id))"
	"   ORDER BY m.received_at, m.id), '[]') FROM message m"
	"   WHERE m.ticket_id = t.id),"
	" 'events', (SELECT coalesce(json_agg(json_build_object("
	"   'at', e.at, 'kind', e.kind, 'old', e.old_value,"
	"   'new', e.new_value, 'detail', e.detail) ORDER BY e.at, e.id),"
	"   '[]') FROM ticket_event e WHERE e.ticket_id = t.id)"
	")::text FROM ticket t "
	"LEFT JOIN department d ON d.id = t.department_id "
	"LEFT JOIN account a ON a.id = t.account_id "
	"LEFT JOIN contact c ON c.id = t.requester_id "
	"LEFT JOIN agent g ON g.id = t.assignee_id "
	"WHERE t.number = $1::bigint";

static int
query_text(struct tg_store *st, const char *sql, const char *param,
	   struct tg_buf *out, const char *what, struct tg_err *err)
{
	const char *vals[1] = { param };
	PGresult *res = PQexecParams(st->conn, sql, 1, NULL, vals, NULL,
				     NULL, 0);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = store_fail(st, res, what, err);
	} else if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		tg_buf_append(out, PQgetvalue(res, 0, 0),
			      (size_t)PQgetlength(res, 0, 0));
		ret = 1;
	}
	PQclear(res);
	return ret;
}

int
tg_store_ticket_list(struct tg_store *st, const char *status, bool json,
		     struct tg_buf *out, struct tg_err *err)
{
	return query_text(st, json ? sql_ticket_list : sql_ticket_list_text,
			  status, out, "ticket list", err) < 0 ? -1 : 0;
}

int
tg_store_ticket_show(struct tg_store *st, int64_t number, bool json,
		     struct tg_buf *out, struct tg_err *err)
{
	char n[24];

	snprintf(n, sizeof(n), "%" PRId64, number);
	return query_text(st, json ? sql_ticket_show : sql_ticket_show_text,
			  n, out, "ticket show", err);
}

/* Each change is one statement; the ticket_change trigger records it. */
static const char sql_set_status[] =
	"UPDATE ticket SET status = $2::ticket_status "
	"WHERE number = $1::bigint";
static const char sql_set_assignee[] =
	"UPDATE ticket SET assignee_id = (SELECT id FROM agent "
	"WHERE email = lower($2::text)) WHERE number = $1::bigint "
	"AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM agent "
	"WHERE email = lower($2::text)))";

static const char sql_set_priority[] =
	"UPDATE ticket SET priority = $2::ticket_priority "
	"WHERE number = $1::bigint RETURNING id";
static const char sql_due_basis[] =
	"SELECT sla_policy, extract(epoch FROM created_at)::bigint, "
	"priority::text FROM ticket WHERE id = $1::bigint";
static const char sql_set_due[] =
	"UPDATE ticket SET first_response_due = to_timestamp($2::bigint), "
	"resolution_due = to_timestamp($3::bigint) WHERE id = $1::bigint";

int
store_recount_due(struct tg_store *st, int64_t ticket_id,
		  const struct tg_config *cfg, struct tg_err *err)
{
	const struct tg_config_sla_policy *p = NULL;
	struct store_id id;
	char first[24], resolution[24];
	const char *vals[3] = {store_id_param(&id, ticket_id), first,
			       resolution};
	enum tg_priority pr;
	PGresult *res = NULL;
	int64_t f, r;
	bool counted = false;

	if (cfg == NULL)
		return 0;
	if (store_run(st, sql_due_basis, 1, vals, NULL, NULL,
		      PGRES_TUPLES_OK, "ticket due basis", &res, err) < 0)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) &&
	    tg_priority_parse(PQgetvalue(res, 0, 2), &pr)) {
		p = tg_config_sla_policy(cfg, PQgetvalue(res, 0, 0));
		counted = tg_config_sla_due(p, pr, store_get_id(res, 0, 1), &f,
					    &r);
	}
	PQclear(res);
	if (!counted)
		return 0; /* no policy to count with: the due times stay */
	snprintf(first, sizeof(first), "%" PRId64, f);
	snprintf(resolution, sizeof(resolution), "%" PRId64, r);
	return store_run(st, sql_set_due, 3, vals, NULL, NULL,
			 PGRES_COMMAND_OK, "ticket due times", NULL, err);
}

static int
set_priority(struct tg_store *st, const char *number, const char *value,
	     const struct tg_config *cfg, struct tg_err *err)
{
	const char *vals[2] = {number, value};
	enum tg_priority pr;
	int64_t id;

	if (!tg_priority_parse(value, &pr))
		return tg_err_set(err, "unknown priority");
	if (store_exec(st, "BEGIN", "begin", err) < 0)
		return -1;
	if (store_query_id(st, sql_set_priority, 2, vals, "ticket update", &id,
			   err) < 0 ||
	    (id != 0 && store_recount_due(st, id, cfg, err) < 0)) {
		(void)store_exec(st, "ROLLBACK", "rollback",
				 &(struct tg_err){0});
		return -1;
	}
	if (store_exec(st, "COMMIT", "commit", err) < 0)
		return -1;
	return id != 0 ? 1 : 0;
}

int
tg_store_ticket_set(struct tg_store *st, int64_t number, const char *field,
		    const char *value, const struct tg_config *cfg,
		    struct tg_err *err)
{
	const char *sql = strcmp(field, "status") == 0     ? sql_set_status
			  : strcmp(field, "assignee") == 0 ? sql_set_assignee
							   : NULL;
	char n[24];
	const char *vals[2] = { n, value };
	PGresult *res;
	int ret;

	snprintf(n, sizeof(n), "%" PRId64, number);
	if (strcmp(field, "priority") == 0)
		return set_priority(st, n, value, cfg, err);
	if (sql == NULL)
		return tg_err_set(err, "unknown ticket field %s", field);
	res = PQexecParams(st->conn, sql, 2, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = store_fail(st, res, "ticket update", err);
	else
		ret = strcmp(PQcmdTuples(res), "0") == 0 ? 0 : 1;
	PQclear(res);
	return ret;
}
