#!/usr/bin/env bash
# ticketgate quarantine against a real PostgreSQL: an oversized and a
# poisoned message are quarantined by deliver, listed (text and JSON),
# shown byte-exact, reprocessed into a ticket once the fault is fixed,
# deleted; unknown ids exit 1 and a stopped database exits 75.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

log=$PG_DIR/quarantine.log
fail() { echo "FAIL: $*"; tail -5 "$log" 2>/dev/null; exit 1; }
"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null

deliver() {
	"$bin" deliver --to support@example.com --conninfo "$PG_CONNINFO" "$@" \
		2>>"$log"
}
qt() { "$bin" quarantine --conninfo "$PG_CONNINFO" "$@" 2>>"$log"; }
rc_of() { local rc=0; "$@" >/dev/null || rc=$?; echo "$rc"; }

# an oversized message (over 25 MiB), quarantined whole by deliver
big=$PG_DIR/big.eml
{
	printf 'From: big@large.example\r\nTo: support@example.com\r\n'
	printf 'Subject: huge\r\nMessage-ID: <big@large.example>\r\n\r\n'
	head -c $((19 * 1024 * 1024)) /dev/urandom | base64 -w 76
} >"$big"
bigsize=$(stat -c %s "$big")
[ "$bigsize" -gt $((25 * 1024 * 1024)) ] || fail "big.eml only $bigsize bytes"
deliver <"$big" || fail "deliver big.eml"

# a message failing permanently in the store, as in test-deliver.sh
q "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS
	\$\$ BEGIN IF NEW.subject = 'poison' THEN RAISE EXCEPTION 'poisoned'
	USING ERRCODE = '23514'; END IF; RETURN NEW; END \$\$;
	CREATE TRIGGER poison BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION poison()"
deliver "$data/poison.eml" || fail "deliver poison.eml"
bigid=$(q "SELECT id FROM quarantine WHERE reason = 'over size limit'")
pid=$(q "SELECT id FROM quarantine WHERE reason LIKE 'store failed:%'")
[ -n "$bigid" ] && [ -n "$pid" ] || fail "deliver quarantined nothing"

# list: one line per open entry, tab-separated
out=$(qt list) || fail "list"
eq "list lines" "$(printf '%s\n' "$out" | wc -l)" 2
eq "list big" "$(printf '%s\n' "$out" | awk -F'\t' -v id="$bigid" '$1 == id {
	print $3 "|" $4 "|" $5 "|" $6 }')" \
	"deliver|support@example.com|$bigsize|over size limit"
printf '%s\n' "$out" | awk -F'\t' '{ print $2 }' |
	grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z' ||
	fail "received_at not UTC ISO: $out"
psize=$(stat -c %s "$data/poison.eml")
eq "list poison" "$(printf '%s\n' "$out" | awk -F'\t' -v id="$pid" '$1 == id {
	print $5 "|" ($6 ~ /^store failed: .*poisoned/) }')" "$psize|1"

# a hostile reason: control characters become '?', cut to 120 bytes
q "INSERT INTO quarantine (source, envelope_to, reason, raw, raw_sha256)
	VALUES ('test', 'x@example.com', 'a' || chr(27) || '[31m' || chr(10) ||
	repeat('b', 200), 'raw', sha256('raw'))"
hid=$(q "SELECT max(id) FROM quarantine")
hreason=$(qt list | awk -F'\t' -v id="$hid" '$1 == id { print $6 }')
eq "sanitized reason" "$hreason" "a?[31m?$(printf 'b%.0s' $(seq 113))"
eq "list is line per entry" "$(qt list | wc -l)" 3

# --json: an array with the same entries
qt list --json >"$PG_DIR/list.json" || fail "list --json"
eq "json" "$(python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
print(len(a), [e["size"] for e in a if e["id"] == int(sys.argv[2])][0],
	all(e["reprocessed_at"] is None for e in a),
	[e["reason"] for e in a if e["id"] == int(sys.argv[3])][0][:2] == "a\x1b")
' "$PG_DIR/list.json" "$bigid" "$hid")" "3 $bigsize True True"
eq "delete hostile" "$(rc_of qt delete "$hid")" 0

# show --raw is byte-exact, for both entries
qt show --raw "$bigid" >"$PG_DIR/big.out" || fail "show --raw big"
eq "big raw" "$(sha256sum <"$PG_DIR/big.out")" "$(sha256sum <"$big")"
qt show --raw "$pid" >"$PG_DIR/poison.out" || fail "show --raw poison"
eq "poison raw" "$(sha256sum <"$PG_DIR/poison.out")" "$(sha256sum <"$data/poison.eml")"
# show without --raw: metadata and the parsed summary
out=$(qt show "$pid") || fail "show"
printf '%s\n' "$out" | grep -qx "id: $pid" || fail "show id: $out"
printf '%s\n' "$out" | grep -qx "subject: poison" || fail "show subject: $out"
printf '%s\n' "$out" | grep -qx "from: grace@poison.example" || fail "show from: $out"
bigshow=$(qt show "$bigid") || fail "show big"
printf "%s\n" "$bigshow" | grep -qx "size: $bigsize" || fail "show big size: $bigshow"

# reprocess while the fault is still there: stays quarantined, exit 1
eq "still poisoned" "$(rc_of qt reprocess "$pid")" 1
eq "still open" "$(q "SELECT reprocessed_at IS NULL FROM quarantine WHERE id = $pid")" t
eq "poison no ticket" "$(q "SELECT count(*) FROM ticket")" 0
# the oversized one stays quarantined with its reason
eq "big stays" "$(rc_of qt reprocess "$bigid")" 1
eq "big reason" "$(q "SELECT reason || ' ' || (reprocessed_at IS NULL) FROM quarantine
	WHERE id = $bigid")" "over size limit true"

# with the fault fixed, reprocess makes a ticket and marks the entry
q "DROP TRIGGER poison ON message"
number=$(qt reprocess "$pid") || fail "reprocess"
eq "ticket" "$(q "SELECT t.number || ' ' || t.subject FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.raw_sha256 = sha256(m.raw)
	AND encode(m.raw_sha256, 'hex') = '$(sha256sum "$data/poison.eml" | cut -d' ' -f1)'")" \
	"$number poison"
eq "envelope_to kept" "$(q "SELECT address FROM ticket WHERE number = $number")" \
	support@example.com
eq "marked" "$(q "SELECT reprocessed_at IS NOT NULL FROM quarantine WHERE id = $pid")" t
eq "open list" "$(qt list | cut -f1)" "$bigid"
eq "all list" "$(qt list --all | cut -f1 | sort -n | tr '\n' ' ')" "$bigid $pid "
eq "again" "$(rc_of qt reprocess "$pid")" 1

# delete removes it; unknown ids exit 1
eq "delete" "$(rc_of qt delete "$pid")" 0
eq "deleted" "$(q "SELECT count(*) FROM quarantine WHERE id = $pid")" 0
eq "delete again" "$(rc_of qt delete "$pid")" 1
eq "show unknown" "$(rc_of qt show 999999)" 1
eq "reprocess unknown" "$(rc_of qt reprocess 999999)" 1
eq "bad id" "$(rc_of qt show 12abc)" 64
eq "usage" "$(rc_of qt frobnicate)" 64

# the database stopped: every action exits 75
pg_stop
eq "list down" "$(rc_of qt list)" 75
eq "show down" "$(rc_of qt show "$bigid")" 75
eq "reprocess down" "$(rc_of qt reprocess "$bigid")" 75
eq "delete down" "$(rc_of qt delete "$bigid")" 75
pg_start_again
eq "still there" "$(q "SELECT count(*) FROM quarantine WHERE id = $bigid")" 1
echo "quarantine: ok"
