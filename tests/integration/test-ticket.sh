#!/usr/bin/env bash
# ticketgate ticket list|show|set against a real PostgreSQL, on a ticket
# made by deliver.
set -euo pipefail
bin=$1
schema=$2
data=$3
. "$(dirname "$0")/pg.sh"
pg_start

fail() { echo "FAIL: $*"; exit 1; }
eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }
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

# database down: temporary
pg_stop
rc=0; tg ticket list 2>/dev/null || rc=$?
eq "database down" "$rc" 75
echo "ticket: ok"
