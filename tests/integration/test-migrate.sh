#!/usr/bin/env bash
# ticketgate migrate against a real PostgreSQL: applies the schema once,
# is a no-op the second time, and two runs at once apply each file once.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

fail() { echo "FAIL: $*"; exit 1; }

# two at once: the advisory lock serialises them
"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >"$PG_DIR/m1" &
p1=$!
"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >"$PG_DIR/m2" &
p2=$!
wait $p1 || fail "first concurrent migrate failed"
wait $p2 || fail "second concurrent migrate failed"
files=$(ls "$schema"/[0-9][0-9][0-9][0-9]_*.sql | wc -l)
total=$(cat "$PG_DIR/m1" "$PG_DIR/m2" | sed -n 's/^migrate: \([0-9]*\) .*/\1/p' | awk "{s+=\$1} END {print s}")
[ "$total" = "$files" ] || fail "concurrent runs applied $total files, expected $files"

rows=$(pg_psql -c "SELECT count(*) FROM schema_migration")
[ "$rows" = "$files" ] || fail "schema_migration has $rows rows, expected $files"
again=$("$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema")
[ "$again" = "migrate: 0 schema files applied" ] || fail "second run: $again"

# the tables the pipeline needs exist, and the change trigger works
pg_psql -c "INSERT INTO ticket (subject, channel) VALUES ('t', 'email')"
pg_psql -c "UPDATE ticket SET status = 'solved'"
ev=$(pg_psql -c "SELECT kind || ':' || old_value || '>' || new_value FROM ticket_event")
[ "$ev" = "status:open>solved" ] || fail "trigger recorded '$ev'"
solved=$(pg_psql -c "SELECT solved_at IS NOT NULL FROM ticket")
[ "$solved" = "t" ] || fail "solved_at not stamped"

# the same through the configuration file
conf=$(dirname "$0")/../../conf/ticketgate.conf.example
sed "s|^  conninfo = .*|  conninfo = \"$PG_CONNINFO\";|" "$conf" >"$PG_DIR/tg.conf"
head -c 48 /dev/urandom >"$PG_DIR/secret"
chmod 600 "$PG_DIR/secret"
again=$("$bin" migrate -c "$PG_DIR/tg.conf" --schema-dir "$schema")
[ "$again" = "migrate: 0 schema files applied" ] || fail "migrate -c: $again"
# ... which also mirrors the configured SLA policies
pol=$(pg_psql -c "SELECT first_response_minutes || '/' || resolution_minutes FROM sla_target
	WHERE policy = 'Community' AND priority = 'medium'")
[ "$pol" = "1440/7200" ] || fail "Community medium targets: '$pol'"
names=$(pg_psql -c "SELECT string_agg(name, ',' ORDER BY name) FROM sla_policy")
[ "$names" = "$(sed -n '/^sla_policies = (/,/^);/s/^ *name = "\(.*\)";/\1/p' "$conf" | sort | paste -sd,)" ] ||
	fail "mirrored policies: '$names'"

# a database that is down is a temporary failure (exit 75)
pg_stop
rc=0
"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" 2>/dev/null || rc=$?
[ "$rc" = 75 ] || fail "migrate with the database down exited $rc, expected 75"
echo "migrate: ok ($files schema files)"
