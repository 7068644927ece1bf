#!/usr/bin/env bash
# The LMTP listener of `ticketgate serve` against a real PostgreSQL, driven
# by Python's smtplib.LMTP: stored and threaded, one reply per recipient,
# unknown recipients refused, quarantine, PIPELINING, oversize, a database
# outage (451, then the retry stored once), `deliver` handing over through
# the socket or storing directly when nobody listens, reload and SIGTERM.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

LOG=$PG_DIR/serve.log
: >"$LOG"
daemon=
fail() {
	echo "FAIL: $*"
	tail -15 "$LOG"
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null
	exit 1
}
client() { /usr/bin/python3 "$data/lmtp/client.py" "$@"; }

"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null
mkdir -p "$PG_DIR/conf"
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$PG_DIR/conf/secret"
chmod 600 "$PG_DIR/conf/secret"
CONF=$PG_DIR/conf/tg.conf
SOCK=$PG_DIR/lmtp.sock
# the example, with this database, small limits and the listener
/usr/bin/python3 - "$(dirname "$0")/../../conf/ticketgate.conf.example" \
	"$CONF" "$PG_CONNINFO" "$SOCK" <<'PY'
import re, sys
src, dst, conninfo, sock = sys.argv[1:]
s = open(src).read()
s = re.sub(r'(?m)^( *conninfo = ).*$', lambda m: m.group(1) + '"%s";' % conninfo, s)
s = re.sub(r'(?m)^( *message_bytes = )\d+;', r'\g<1>200000;', s)
s = re.sub(r'(?m)^( *header_bytes = )\d+;', r'\g<1>100000;', s)
s = re.sub(r'(?m)^( *header_line_bytes = )\d+;', r'\g<1>50000;', s)
s += '\nlmtp = {\n  socket = "%s";\n  socket_mode = "0600";\n  max_connections = 4;\n};\n' % sock
open(dst, "w").write(s)
PY
"$bin" check-config -c "$CONF" >/dev/null || fail "check-config"

# waits until the log says the listener started for the nth time
wait_listening() {
	for _ in $(seq 100); do
		[ "$(grep -c 'lmtp: listening on' "$LOG")" -ge "$1" ] && [ -S "$SOCK" ] &&
			return 0
		sleep 0.05
	done
	fail "not listening after 5 s"
}
start_daemon() {
	"$bin" serve -c "$CONF" --log-level info 2>>"$LOG" &
	daemon=$!
	wait_listening 1
}
# a small message from a sender of its own (no flood)
mail() {
	printf 'From: cust%s@client.example\r\nTo: %s\r\nSubject: Case %s\r\n' "$1" "${2:-support@example.com}" "$1"
	printf 'Message-ID: <lmtp-%s@client.example>\r\n' "$1"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nBody of message %s.\r\n' "$1"
}
msg_count() { q "SELECT count(*) FROM message WHERE message_id = 'lmtp-$1@client.example'"; }

# a stale socket file is replaced; anything else at that path is not
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || fail "no stale socket made"
start_daemon
eq "socket mode" "$(stat -c %a "$SOCK")" 600
grep -q 'lmtp: .*: removed a stale socket' "$LOG" || fail "stale socket not noted"
# a second daemon leaves a live socket alone
st=0
timeout 10 "$bin" serve -c "$CONF" 2>>"$LOG" || st=$?
eq "second daemon: exit" "$st" 75
grep -q 'another daemon listens there' "$LOG" || fail "second daemon: no log line"
[ -S "$SOCK" ] || fail "second daemon removed the socket"

# one message, stored as a new ticket; its reply threads into it
out=$(client send "$SOCK" alice@customer.example support@example.com "$data/deliver/new.eml")
eq "new: replies" "$out" "MAIL 250
RCPT support@example.com 250
DATA 250 2.0.0 Stored in ticket $(q "SELECT min(number) FROM ticket")"
eq "new: stored" "$(q "SELECT count(*) || ' ' || min(source) || ' ' || min(author_kind::text)
	FROM message")" "1 lmtp customer"
n1=$(q "SELECT number FROM ticket")
sed "s/@NUMBER@/$n1/" "$data/deliver/reply.eml" >"$PG_DIR/reply.eml"
out=$(client send "$SOCK" "" support@example.com "$PG_DIR/reply.eml")
eq "reply: last" "$(echo "$out" | tail -1)" "DATA 250 2.0.0 Stored in ticket $n1"
eq "reply threaded" "$(q "SELECT count(*) FROM message m JOIN ticket t ON t.id = m.ticket_id
	WHERE t.number = $n1")" 2

# two recipients: two replies, and what two `deliver` runs make of it:
# the second copy is an exact repeat (same Message-ID and bytes), which
# the store recognises, so one ticket in the first address's department
mail 2 'support@example.com, gdpr@example.com' >"$PG_DIR/m2.eml"
out=$(client send "$SOCK" x@client.example support@example.com,gdpr@example.com "$PG_DIR/m2.eml")
eq "two: reply count" "$(echo "$out" | grep -c '^DATA 250 2.0.0 ')" 2
mail 3 'support@example.com, gdpr@example.com' >"$PG_DIR/m3.eml"
"$bin" deliver -c "$CONF" --direct --to support@example.com "$PG_DIR/m3.eml" 2>>"$LOG" ||
	fail "direct m3 support"
"$bin" deliver -c "$CONF" --direct --to gdpr@example.com "$PG_DIR/m3.eml" 2>>"$LOG" ||
	fail "direct m3 gdpr"
copies() {
	q "SELECT count(*) || ' ' || count(DISTINCT ticket_id) || ' ' ||
		coalesce(string_agg(DISTINCT d.name, ',' ORDER BY d.name), '')
		FROM message m JOIN ticket t ON t.id = m.ticket_id
		JOIN department d ON d.id = t.department_id
		WHERE message_id = 'lmtp-$1@client.example'"
}
eq "two: as deliver makes them" "$(copies 2)" "$(copies 3)"
eq "two: stored" "$(copies 2)" "1 1 Community"
eq "two: replies" "$(echo "$out" | grep '^DATA' | cut -d' ' -f1-5)" \
	"DATA 250 2.0.0 Stored in
DATA 250 2.0.0 Stored before"

# an unknown recipient is refused; a +tag of a known one is not
mail 4 >"$PG_DIR/m4.eml"
out=$(client send "$SOCK" x@client.example nobody@example.com,support+extra@example.com "$PG_DIR/m4.eml")
eq "unknown: replies" "$(echo "$out" | cut -d' ' -f1-3)" "MAIL 250
RCPT nobody@example.com 550
RCPT support+extra@example.com 250
DATA 250 2.0.0"
eq "unknown: one copy" "$(msg_count 4)" 1

# a message over a parser limit is quarantined, and that is a 250
{
	printf 'From: many@client.example\r\nTo: support@example.com\r\nSubject: many\r\n'
	for i in $(seq 1100); do printf 'X-Field-%s: %s\r\n' "$i" "$i"; done
	printf '\r\nbody\r\n'
} >"$PG_DIR/many.eml"
out=$(client send "$SOCK" many@client.example support@example.com "$PG_DIR/many.eml")
eq "malformed: reply" "$(echo "$out" | tail -1)" "DATA 250 2.0.0 Kept in quarantine"
eq "malformed: quarantined" "$(q "SELECT source || ' ' || envelope_to || ' ' || reason
	FROM quarantine")" "lmtp support@example.com parser limit: header count"

# PIPELINING: the commands at once, the replies in order
mail 5 >"$PG_DIR/m5.eml"
out=$(client pipeline "$SOCK" support@example.com "$PG_DIR/m5.eml")
eq "pipelining" "$(echo "$out" | grep -v '^250-' | cut -c1-9 | sed 's/ *$//')" "220 examp
250 SIZE
250 2.1.0
250 2.1.5
354 Start
250 2.0.0
221 2.0.0"
eq "pipelined stored" "$(msg_count 5)" 1

# over the size limit: quarantined whole, the sender told, and a 250
{
	mail 6
	for i in $(seq 4000); do printf '%075d\r\n' "$i"; done
} >"$PG_DIR/big.eml"
out=$(client send "$SOCK" cust6@client.example support@example.com "$PG_DIR/big.eml")
eq "big: reply" "$(echo "$out" | tail -1)" "DATA 250 2.0.0 Kept in quarantine"
eq "big: quarantined" "$(q "SELECT source || ' ' || length(raw) || ' ' || (raw_sha256 = sha256(raw))
	FROM quarantine WHERE reason = 'over size limit'")" "lmtp $(stat -c %s "$PG_DIR/big.eml") true"
eq "big: not a message" "$(msg_count 6)" 0
eq "big: sender told" "$(q "SELECT count(*) FROM outbox WHERE kind = 'size_notice'
	AND recipients = ARRAY['cust6@client.example']")" 1
grep -q 'lmtp: quarantined: over size limit bytes=3[0-9]*$' "$LOG" ||
	fail "big: no log line"

# the database goes away under an open connection: 451 and nothing
# stored; back, the same connection's retry stores it once
mail 7 >"$PG_DIR/m7.eml"
mail 13 >"$PG_DIR/m13.eml"
client retry "$SOCK" support@example.com "$PG_DIR/m13.eml" "$PG_DIR/m7.eml" "$PG_DIR" \
	>"$PG_DIR/retry.out" &
retry=$!
wait_lines() {
	for _ in $(seq 100); do
		[ "$(grep -c '^DATA' "$PG_DIR/retry.out")" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "retry client: $(cat "$PG_DIR/retry.out")"
}
wait_lines 1
pg_stop
touch "$PG_DIR/go1"
wait_lines 2
eq "outage: 451" "$(grep '^DATA' "$PG_DIR/retry.out" | sed -n 2p)" \
	"DATA 451 4.3.0 Temporary failure, try again later"
pg_start_again
eq "outage: nothing stored" "$(msg_count 7)" 0
touch "$PG_DIR/go2"
wait "$retry" || fail "retry client"
eq "outage: replies" "$(grep '^DATA' "$PG_DIR/retry.out" | cut -d' ' -f1-4)" \
	"DATA 250 2.0.0 Stored
DATA 451 4.3.0 Temporary
DATA 250 2.0.0 Stored"
eq "outage: stored once" "$(msg_count 7)" 1

# deliver hands over through the socket while the daemon runs; the
# database restarted meanwhile, so the idle database connection it is
# given is dead, and is replaced without a 451
mail 8 >"$PG_DIR/m8.eml"
pg_stop
pg_start_again
replaced=$(grep -c 'lmtp: a kept database connection failed' "$LOG" || true)
# (from a pipe, as an MTA gives it)
cat "$PG_DIR/m8.eml" | "$bin" deliver -c "$CONF" --to support@example.com 2>"$PG_DIR/d8.err" ||
	fail "deliver m8: $(cat "$PG_DIR/d8.err")"
grep -q 'handed over by lmtp: 250 2.0.0 Stored in ticket' "$PG_DIR/d8.err" ||
	fail "deliver m8 not through lmtp: $(cat "$PG_DIR/d8.err")"
eq "deliver by lmtp" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-8@client.example'")" lmtp
[ "$(grep -c 'lmtp: a kept database connection failed' "$LOG")" -gt "$replaced" ] ||
	fail "no kept connection was replaced"
# the MTA's user need not read the secrets: with a configuration whose
# secret file cannot be opened, deliver still hands over
sed 's|^\( *secret_file = \).*|\1"no-such-secret";|' "$CONF" >"$PG_DIR/conf/mta.conf"
grep -q 'no-such-secret' "$PG_DIR/conf/mta.conf" || fail "mta.conf: secret_file not replaced"
mail 19 >"$PG_DIR/m19.eml"
"$bin" deliver -c "$PG_DIR/conf/mta.conf" --to support@example.com "$PG_DIR/m19.eml" \
	2>"$PG_DIR/d19.err" || fail "deliver m19: $(cat "$PG_DIR/d19.err")"
eq "no secrets: by lmtp" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-19@client.example'")" lmtp
# what the daemon cannot take as deliver would store stays with deliver:
# an oversized message (quarantined whole, though the front read only
# the first limit's worth of the pipe before passing it on) and an
# address not configured
{ cat "$PG_DIR/big.eml"; printf 'one more line\r\n'; } >"$PG_DIR/big2.eml"
st=0
cat "$PG_DIR/big2.eml" | "$bin" deliver -c "$CONF" --to support@example.com 2>>"$LOG" || st=$?
eq "deliver big: exit" "$st" 0
eq "deliver big: whole" "$(q "SELECT length(raw) FROM quarantine WHERE source = 'deliver'")" \
	"$(stat -c %s "$PG_DIR/big2.eml")"
mail 15 other@example.com >"$PG_DIR/m15.eml"
"$bin" deliver -c "$CONF" --to other@example.com "$PG_DIR/m15.eml" 2>>"$LOG" ||
	fail "deliver to an unconfigured address"
eq "unconfigured address" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-15@client.example'")" deliver
# every connection taken (max_connections = 4): deliver is not greeted,
# and soon stores the message itself; a connection freed, the next waiting
# client is served
client hold "$SOCK" 4 "$PG_DIR" >"$PG_DIR/hold.out" &
hold=$!
for _ in $(seq 100); do
	grep -q held "$PG_DIR/hold.out" && break
	sleep 0.05
done
grep -q held "$PG_DIR/hold.out" || fail "hold: not held"
mail 16 >"$PG_DIR/m16.eml"
"$bin" deliver -c "$CONF" --to support@example.com "$PG_DIR/m16.eml" 2>"$PG_DIR/d16.err" ||
	fail "deliver m16: $(cat "$PG_DIR/d16.err")"
grep -q 'no reply from the daemon; storing the message directly' "$PG_DIR/d16.err" ||
	fail "m16: $(cat "$PG_DIR/d16.err")"
eq "all connections taken" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-16@client.example'")" deliver
mail 17 >"$PG_DIR/m17.eml"
client send "$SOCK" x@client.example support@example.com "$PG_DIR/m17.eml" >"$PG_DIR/m17.out" &
waiting=$!
sleep 0.5
eq "waiting for a connection" "$(msg_count 17)" 0
touch "$PG_DIR/release"
wait "$hold" || fail "hold client"
wait "$waiting" || fail "the waiting client"
eq "served once one was free" "$(msg_count 17)" 1
# --direct does not
mail 9 >"$PG_DIR/m9.eml"
"$bin" deliver -c "$CONF" --direct --to support@example.com "$PG_DIR/m9.eml" 2>>"$LOG" ||
	fail "deliver --direct m9"
eq "deliver --direct" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-9@client.example'")" deliver
# the database down while deliver hands over: 75, nothing lost later
mail 10 >"$PG_DIR/m10.eml"
pg_stop
st=0
"$bin" deliver -c "$CONF" --to support@example.com "$PG_DIR/m10.eml" 2>>"$LOG" || st=$?
pg_start_again
eq "deliver while the database is down" "$st" 75
eq "nothing stored" "$(msg_count 10)" 0

# SIGHUP: the listener comes back on the new snapshot (here with a
# 1 s idle timeout, which then closes a silent connection)
sed -i 's/^  max_connections = 4;$/  max_connections = 4;\n  timeout_seconds = 1;/' "$CONF"
kill -HUP "$daemon"
wait_listening 2
mail 11 >"$PG_DIR/m11.eml"
out=$(client send "$SOCK" x@client.example support@example.com "$PG_DIR/m11.eml")
eq "after reload" "$(msg_count 11)" 1
eq "idle timeout" "$(client idle "$SOCK" 2)" "220 example.com LMTP ready
421 4.4.2 Idle too long, closing"

# SIGTERM during a transaction: the socket goes at once, the transaction
# in hand still ends with its commit, then the daemon exits 0
sed -i '/^  timeout_seconds = 1;$/d' "$CONF"
kill -HUP "$daemon"
wait_listening 3
mail 14 >"$PG_DIR/m14.eml"
client slow "$SOCK" support@example.com "$PG_DIR/m14.eml" "$PG_DIR" >"$PG_DIR/slow.out" &
slow=$!
for _ in $(seq 100); do
	grep -q ready "$PG_DIR/slow.out" && break
	sleep 0.05
done
kill -TERM "$daemon"
for _ in $(seq 100); do
	[ -e "$SOCK" ] || break
	sleep 0.05
done
[ ! -e "$SOCK" ] || fail "socket left after SIGTERM"
touch "$PG_DIR/go"
wait "$slow" || fail "slow client"
eq "in-flight after SIGTERM" "$(grep '^DATA' "$PG_DIR/slow.out" | cut -d' ' -f1-4)" \
	"DATA 250 2.0.0 Stored"
eq "in-flight stored" "$(msg_count 14)" 1
st=0
wait "$daemon" || st=$?
daemon=
eq "SIGTERM exit" "$st" 0
grep -q 'lmtp: stopped listening' "$LOG" || fail "no stop log line"

# nobody listens: deliver stores the message itself
mail 12 >"$PG_DIR/m12.eml"
"$bin" deliver -c "$CONF" --to support@example.com "$PG_DIR/m12.eml" 2>"$PG_DIR/d12.err" ||
	fail "deliver m12: $(cat "$PG_DIR/d12.err")"
grep -q 'storing the message directly' "$PG_DIR/d12.err" || fail "no fallback note"
eq "fallback" "$(q "SELECT source FROM message WHERE message_id = 'lmtp-12@client.example'")" deliver
# storing directly needs the secrets: without them the mail waits (75)
mail 20 >"$PG_DIR/m20.eml"
st=0
"$bin" deliver -c "$PG_DIR/conf/mta.conf" --to support@example.com "$PG_DIR/m20.eml" \
	2>"$PG_DIR/d20.err" || st=$?
eq "no secrets, no daemon: exit" "$st" 75
grep -q 'no-such-secret.*cannot open' "$PG_DIR/d20.err" || fail "m20: $(cat "$PG_DIR/d20.err")"
eq "no secrets, no daemon: nothing stored" "$(msg_count 20)" 0
# the same from a pipe: the bytes the front read reach the direct path
mail 18 >"$PG_DIR/m18.eml"
cat "$PG_DIR/m18.eml" | "$bin" deliver -c "$CONF" --to support@example.com 2>"$PG_DIR/d18.err" ||
	fail "deliver m18: $(cat "$PG_DIR/d18.err")"
grep -q 'storing the message directly' "$PG_DIR/d18.err" || fail "m18: no fallback note"
eq "fallback from a pipe" "$(q "SELECT octet_length(raw) FROM message WHERE message_id = 'lmtp-18@client.example'")" \
	"$(stat -c %s "$PG_DIR/m18.eml")"
# a server without PIPELINING gets one command at a time; a refused
# recipient is 67 (EX_NOUSER), with the refusal's words, not DATA's
serve_script() {
	/usr/bin/python3 "$data/lmtp/server.py" "$SOCK" "$1" "$PG_DIR/server-$1.log" \
		>"$PG_DIR/server-$1.out" &
	script=$!
	for _ in $(seq 100); do
		grep -q listening "$PG_DIR/server-$1.out" && return 0
		sleep 0.05
	done
	fail "test server $1 did not start"
}
serve_script plain
"$bin" deliver -c "$CONF" --to support@example.com --from a@client.example "$PG_DIR/m18.eml" \
	2>"$PG_DIR/plain.err" || fail "plain server: $(cat "$PG_DIR/plain.err")"
wait "$script" || fail "test server plain"
eq "plain server: conversation" "$(cat "$PG_DIR/server-plain.log")" "LHLO deliver
MAIL FROM:<a@client.example>
RCPT TO:<support@example.com>
DATA
<message $(stat -c %s "$PG_DIR/m18.eml") bytes>
QUIT"
serve_script refuse
st=0
"$bin" deliver -c "$CONF" --to support@example.com "$PG_DIR/m18.eml" 2>"$PG_DIR/refuse.err" || st=$?
wait "$script" || fail "test server refuse"
eq "refused recipient: exit" "$st" 67
grep -q 'refused by lmtp: 550 5.1.1 No such mailbox here' "$PG_DIR/refuse.err" ||
	fail "refused recipient: $(cat "$PG_DIR/refuse.err")"
rm -f "$SOCK"

# the front without the full program beside it or installed: the MTA
# keeps the mail (75); another command says it cannot run (127)
mkdir -p "$PG_DIR/alone"
cp "$bin" "$PG_DIR/alone/ticketgate"
st=0
"$PG_DIR/alone/ticketgate" deliver -c "$CONF" --direct --to support@example.com "$PG_DIR/m18.eml" \
	2>"$PG_DIR/alone.err" || st=$?
if grep -q 'cannot run .*ticketgate-full' "$PG_DIR/alone.err"; then
	eq "front alone: deliver" "$st" 75
	st=0
	"$PG_DIR/alone/ticketgate" help 2>/dev/null || st=$?
	eq "front alone: another command" "$st" 127
else
	# it found one where `cmake --install` puts it
	eq "front alone, an installed full program: deliver" "$st" 0
	echo "front alone: skipped, a full program is installed on this machine"
fi

# a file that is not a socket is never removed
: >"$SOCK"
st=0
timeout 10 "$bin" serve -c "$CONF" 2>>"$LOG" || st=$?
eq "not a socket: exit" "$st" 75
[ -f "$SOCK" ] || fail "a plain file was removed"
grep -q "exists and is not a socket" "$LOG" || fail "no log for the plain file"

echo "lmtp: all checks passed"
