#!/usr/bin/env bash
# ticketgate ticket list|show|set against a real PostgreSQL, on a ticket
# made by deliver.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

fail() { echo "FAIL: $*"; exit 1; }
tg() { "$bin" "$@" --conninfo "$PG_CONNINFO"; }

"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null
"$bin" deliver --conninfo "$PG_CONNINFO" --to support@example.com "$data/new.eml" ||
	fail "deliver"
n=$(pg_psql -c "SELECT number FROM ticket")
subject=$(pg_psql -c "SELECT subject FROM ticket")

# list: text and JSON, filtered by status
tg ticket list | grep -q "^ *$n  open " || fail "list does not show #$n open"
eq "list json" "$(tg ticket list --json | /usr/bin/python3 -c \
	'import json,sys; print(json.load(sys.stdin)[0]["number"])')" "$n"
eq "list solved" "$(tg ticket list --status solved)" "(no tickets)"

# show: the message, its text and participants
tg ticket show "$n" | grep -qF "#$n $subject" || fail "show: no header line"
eq "show json" "$(tg ticket show "$n" --json | /usr/bin/python3 -c '
import json, sys
t = json.load(sys.stdin)
print(t["status"], t["priority"], t["channel"], len(t["messages"]),
      t["participants"][0]["role"])')" "open medium email 1 requester"

# set: each change is recorded as an event by the trigger
tg ticket set "$n" --status solved >/dev/null
tg ticket set "$n" --priority high >/dev/null
pg_psql -c "INSERT INTO agent (email, name) VALUES ('ana@example.com', 'Ana')"
tg ticket set "$n" --assignee Ana@Example.com >/dev/null
eq "events" "$(pg_psql -c "SELECT string_agg(kind || ':' || coalesce(new_value, '-'), ',' ORDER BY id) FROM ticket_event" | sed 's/assignee:[0-9]*/assignee:N/')" \
	"status:solved,priority:high,assignee:N"
tg ticket show "$n" | grep -q "events:" || fail "show: no events"
tg ticket set "$n" --assignee none >/dev/null
eq "unassigned" "$(pg_psql -c "SELECT assignee_id IS NULL FROM ticket")" "t"

# errors: unknown ticket or agent exit 1, bad values exit 2
rc=0; tg ticket show 999999 2>/dev/null || rc=$?
eq "unknown ticket" "$rc" 1
rc=0; tg ticket set "$n" --assignee nobody@example.com 2>/dev/null || rc=$?
eq "unknown agent" "$rc" 1
rc=0; tg ticket set "$n" --status reopened 2>/dev/null || rc=$?
eq "bad status" "$rc" 2
rc=0; tg ticket set "$n" --priority "high'; DROP TABLE ticket; --" 2>/dev/null || rc=$?
eq "bad priority" "$rc" 2
pg_psql -c "SELECT count(*) FROM ticket" >/dev/null || fail "ticket table gone"

# a new priority counts the SLA due times again, from creation, under
# the ticket's policy: Premium is 24x7, urgent 60/240 minutes, low 480/2880
mkdir "$PG_DIR/conf"
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$PG_DIR/conf/secret"
chmod 600 "$PG_DIR/conf/secret"
sed "s|^\( *conninfo = \).*|\1\"$PG_CONNINFO\";|" \
	"$(dirname "$0")/../../conf/ticketgate.conf.example" >"$PG_DIR/conf/tg.conf"
"$bin" migrate -c "$PG_DIR/conf/tg.conf" --schema-dir "$schema" >/dev/null
pg_psql -c "INSERT INTO account (crm_id, name, status, sla_policy) VALUES ('p1', 'Premium Co', 'paid', 'Premium');
	INSERT INTO account_domain (domain, account_id) SELECT 'premium.example', id FROM account" >/dev/null
sed 's/alice@customer.example/ann@premium.example/I; s/new-1@/premium-1@/' "$data/new.eml" |
	"$bin" deliver -c "$PG_DIR/conf/tg.conf" --to support@example.com 2>/dev/null || fail "deliver premium"
np=$(pg_psql -c "SELECT max(number) FROM ticket")
due() {
	pg_psql -c "SELECT sla_policy || ' ' || priority || ' ' ||
		extract(epoch FROM first_response_due - created_at)::int / 60 || ' ' ||
		extract(epoch FROM resolution_due - created_at)::int / 60 FROM ticket WHERE number = $np"
}
eq "premium medium" "$(due)" "Premium medium 240 1440"
"$bin" ticket set "$np" --priority urgent -c "$PG_DIR/conf/tg.conf" >/dev/null || fail "set urgent"
eq "premium urgent" "$(due)" "Premium urgent 60 240"
# without the config the policies are unknown: the due times stay
tg ticket set "$np" --priority low >/dev/null || fail "set low"
eq "low without config" "$(due)" "Premium low 60 240"
"$bin" ticket set "$np" --priority low -c "$PG_DIR/conf/tg.conf" >/dev/null || fail "set low -c"
eq "premium low" "$(due)" "Premium low 480 2880"
eq "priority events" "$(pg_psql -c "SELECT string_agg(e.new_value, ',' ORDER BY e.id) FROM ticket_event e
	JOIN ticket t ON t.id = e.ticket_id WHERE t.number = $np AND kind = 'priority'")" "urgent,low"

# database down: temporary
pg_stop
rc=0; tg ticket list 2>/dev/null || rc=$?
eq "database down" "$rc" 75
echo "ticket: ok"
