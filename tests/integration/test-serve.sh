#!/usr/bin/env bash
# ticketgate serve against a real PostgreSQL and Dovecot: IDLE pick-up,
# polling without IDLE (and MOVE), each after-commit action, TLS verified
# and refused, a UIDVALIDITY change, Dovecot and PostgreSQL restarted under
# a running daemon, SIGHUP adding a mailbox, two daemons on one mailbox,
# and a prompt exit on SIGTERM.
set -euo pipefail
. "$(dirname "$0")/serve-lib.sh"
serve_setup "$1" "$2"
work=$PG_DIR/mail
mkdir -p "$work"
for i in $(seq 1 60); do mail "$i" >"$work/$i.eml"; done

stop() {
	local t0=$SECONDS
	kill -TERM "$daemon"
	wait "$daemon" || fail "daemon exit status $?"
	[ $((SECONDS - t0)) -le 5 ] || fail "SIGTERM took $((SECONDS - t0)) s"
	daemon=
}
messages() { q "SELECT count(*) FROM message WHERE source LIKE 'imap:%'"; }
stored_once() {
	eq "stored once" "$(q "SELECT count(*) - count(DISTINCT message_id) FROM message")" 0
}

# --- IDLE: new mail is seen at once, then moved
serve_conf
start
wait_for "SELECT count(*) FROM mailbox_state" 1 || fail "daemon did not start"
grep -q "main/INBOX: connected; waiting with IDLE" "$LOG" || fail "not in IDLE"
t0=$(date +%s%N)
put "$DV_USER" INBOX "$work/1.eml"
wait_for "SELECT count(*) FROM message" 1 5 || fail "IDLE pick-up"
echo "IDLE pick-up: $((($(date +%s%N) - t0) / 1000000)) ms"
put "$DV_USER" INBOX "$work/2.eml" "$work/3.eml"
wait_for "SELECT count(*) FROM message" 3 5 || fail "IDLE second batch"
sleep 0.5
eq "moved" "$(folder_count "$DV_USER" INBOX)/$(folder_count "$DV_USER" Processed)" "0/3"
eq "ticket" "$(q "SELECT t.address || ' ' || m.source FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'serve-1@client.example'")" \
	"support@example.com imap:main/INBOX"

# --- SIGHUP: a second mailbox starts without a restart; a bad file is
# refused and the running configuration kept
cp "$CONF" "$PG_DIR/conf/good"
echo "this is not a config" >>"$CONF"
kill -HUP "$daemon"
sleep 0.5
grep -q "reload refused" "$LOG" || fail "bad config not refused"
kill -0 "$daemon" || fail "daemon died on a bad config"
serve_conf second=1
kill -HUP "$daemon"
wait_for "SELECT count(*) FROM mailbox_state" 2 10 || fail "SIGHUP did not add the mailbox"
put "$DV_USER2" INBOX "$work/4.eml"
wait_for "SELECT count(*) FROM message" 4 5 || fail "mail to the added mailbox"
eq "second mailbox source" "$(q "SELECT source FROM message WHERE message_id = 'serve-4@client.example'")" \
	"imap:sec/INBOX"

# --- Dovecot restarted under the daemon (maybe mid-batch): it reconnects,
# nothing is lost
put "$DV_USER" INBOX "$work/5.eml" "$work/6.eml"
dv_stop
sleep 1
dv_start_again
wait_for "SELECT count(*) FROM message" 6 20 || fail "after the IMAP restart"

# --- PostgreSQL restarted under the daemon
pg_stop
put "$DV_USER" INBOX "$work/7.eml" "$work/8.eml"
sleep 2
eq "kept on the server while the database is down" "$(folder_count "$DV_USER" INBOX)" 2
pg_start_again
wait_for "SELECT count(*) FROM message" 8 30 || fail "after the database restart"
stored_once

# --- two daemons on the same mailboxes: one works, the other waits, and
# takes over when the first stops
first=$daemon
start
second=$daemon
sleep 1
grep -q "another daemon works this mailbox" "$LOG" || fail "second daemon did not wait"
put "$DV_USER" INBOX "$work/9.eml" "$work/10.eml"
wait_for "SELECT count(*) FROM message" 10 5 || fail "with two daemons"
daemon=$first
stop
daemon=$second
put "$DV_USER" INBOX "$work/11.eml"
wait_for "SELECT count(*) FROM message" 11 15 || fail "second daemon took over"
stop
stored_once
eq "mailbox position" "$(q "SELECT last_uid FROM mailbox_state WHERE mailbox = 'main/INBOX'")" 10

# --- polling: a host where Dovecot offers neither IDLE nor MOVE (so the
# COPY + EXPUNGE fallback moves); plain IMAP, as said in the config
serve_conf host="$DV_OTHER_HOST" port="$DV_PORT_PLAIN" security=plain idle=true poll=1
grep -q 'security = "plain"' "$CONF" || fail "conf"
start
wait_for "SELECT count(*) FROM mailbox_state WHERE updated_at > now() - interval '1 minute' AND mailbox = 'main/INBOX'" 1 10 || true
put "$DV_USER" INBOX "$work/12.eml"
wait_for "SELECT count(*) FROM message" 12 10 || fail "polling pick-up"
grep -q "main/INBOX: connected; polling" "$LOG" || fail "not polling"
sleep 0.5
eq "moved without MOVE" "$(folder_count "$DV_USER" INBOX)" 0
stop

# --- after_commit seen, then delete (one run each with --once)
serve_conf after=seen
put "$DV_USER" INBOX "$work/13.eml"
"$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "once (seen)"
eq "seen: stored" "$(messages)" 13
eq "seen: left in place" "$(folder_count "$DV_USER" INBOX)" 1
eq "seen: flagged" "$(dv_doveadm -f flow search -u "$DV_USER" mailbox INBOX SEEN | wc -l)" 1
# a UIDVALIDITY change: read again, nothing duplicated
dv_doveadm mailbox update -u "$DV_USER" --uid-validity 12345 INBOX
put "$DV_USER" INBOX "$work/14.eml"
"$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "once (uidvalidity)"
grep -q "UIDVALIDITY changed" "$LOG" || fail "UIDVALIDITY change not noticed"
eq "uidvalidity: stored" "$(messages)" 14
eq "uidvalidity: position" "$(q "SELECT uidvalidity FROM mailbox_state WHERE mailbox = 'main/INBOX'")" 12345
stored_once
serve_conf after=delete
put "$DV_USER" INBOX "$work/15.eml"
"$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "once (delete)"
eq "delete: stored" "$(messages)" 15
eq "delete: gone" "$(folder_count "$DV_USER" INBOX)/$(folder_count "$DV_USER" Processed)" "0/11"

# --- TLS: the wrong CA, or a host name the certificate does not carry, is
# refused before the password is sent; nothing is stored or changed
put "$DV_USER" INBOX "$work/16.eml"
serve_conf ca="$DV_WRONG_CA"
rc=0; "$bin" serve -c "$CONF" --once >"$PG_DIR/tls.log" 2>&1 || rc=$?
eq "wrong CA exit" "$rc" 75
grep -q "certificate of 127.0.0.1 refused" "$PG_DIR/tls.log" || fail "wrong CA: $(cat "$PG_DIR/tls.log")"
serve_conf host="$DV_OTHER_HOST"
rc=0; "$bin" serve -c "$CONF" --once >"$PG_DIR/tls2.log" 2>&1 || rc=$?
eq "host mismatch exit" "$rc" 75
grep -q "certificate of 127.0.0.2 refused" "$PG_DIR/tls2.log" || fail "host mismatch: $(cat "$PG_DIR/tls2.log")"
eq "TLS refused: nothing stored" "$(messages)" 15
eq "TLS refused: mail kept" "$(folder_count "$DV_USER" INBOX)" 1
# the right CA
serve_conf
"$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "once (right CA)"
eq "right CA" "$(messages)" 16
stored_once

# --- a message the database refuses for good, between two good ones in
# one batch: the batch is stored again message by message, the bad one
# quarantined with the reason, the others stored once
pg_psql -c "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS
	\$\$BEGIN IF NEW.subject = 'Case poison' THEN
	RAISE EXCEPTION 'poison refused'; END IF; RETURN NEW; END\$\$" \
	-c "CREATE TRIGGER refuse_poison BEFORE INSERT ON message
	FOR EACH ROW EXECUTE FUNCTION refuse_poison()" >/dev/null
mail poison >"$work/poison.eml"
put "$DV_USER" INBOX "$work/17.eml" "$work/poison.eml" "$work/18.eml"
"$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "once (poison)"
grep -q "poison refused.*; storing the batch again message by message" "$LOG" ||
	fail "spoiled batch not stored again"
eq "poison: stored" "$(messages)" 18
eq "poison: quarantined" "$(q "SELECT kind, reason LIKE 'store failed: ticket and message insert: %poison refused%'
	FROM quarantine WHERE position('Case poison'::bytea IN raw) > 0")" "error|t"
eq "poison: moved" "$(folder_count "$DV_USER" INBOX)" 0
stored_once
pg_psql -c "DROP TRIGGER refuse_poison ON message" >/dev/null

# --- big mail: batches are cut by bytes too (32 MiB), not only by count:
# five messages of 9 MiB with batch 100 go as three, then two
for i in 1 2 3 4 5; do
	/usr/bin/python3 - "$i" >"$work/big$i.eml" <<'PY'
import base64, os, sys
i = sys.argv[1]
sys.stdout.write("From: big%s@client.example\r\nTo: support@example.com\r\n"
                 "Subject: Big %s\r\nMessage-ID: <big-%s@client.example>\r\n"
                 "Date: Sun, 22 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                 "Content-Type: application/octet-stream\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n" % (i, i, i))
b = base64.b64encode(os.urandom(9 * 1024 * 1024 * 3 // 4)).decode()
sys.stdout.write("\r\n".join(b[k:k + 76] for k in range(0, len(b), 76)) + "\r\n")
PY
done
put "$DV_USER" INBOX "$work"/big?.eml
: >"$PG_DIR/big.log"
"$bin" serve -c "$CONF" --once >>"$PG_DIR/big.log" 2>&1 || fail "once (big mail)"
cat "$PG_DIR/big.log" >>"$LOG"
eq "big mail: batches" "$(grep -o '[0-9]* messages: [0-9]* stored' "$PG_DIR/big.log" | tr '\n' ';')" \
	"3 messages: 3 stored;2 messages: 2 stored;"
eq "big mail: stored" "$(messages)" 23
eq "big mail: moved" "$(folder_count "$DV_USER" INBOX)" 0
stored_once

# --- a backlog: a drain takes at most 100 batches, then drains again;
# 150 messages with batch 1 go as a drain of 100 and one of 50
backlog=$PG_DIR/backlog
mkdir -p "$backlog"
for i in $(seq 101 250); do mail "$i" >"$backlog/$i.eml"; done
# as a delivery agent leaves them (doveadm would take a process each)
/usr/bin/python3 - "$backlog" "$DV_DIR/mail/support/Maildir" <<'PY'
import os, shutil, sys
src, maildir = sys.argv[1:]
st = os.stat(maildir)
for i, name in enumerate(sorted(os.listdir(src))):
    tmp = os.path.join(maildir, "tmp", "backlog%d" % i)
    shutil.copyfile(os.path.join(src, name), tmp)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, os.path.join(maildir, "new", "%d.backlog%d.test" % (1700000000 + i, i)))
PY
serve_conf batch=1
: >"$PG_DIR/backlog.log"
"$bin" serve -c "$CONF" --once >>"$PG_DIR/backlog.log" 2>&1 || fail "once (backlog)"
cat "$PG_DIR/backlog.log" >>"$LOG"
grep -q "main/INBOX: 150 new messages; taking 100 now" "$PG_DIR/backlog.log" ||
	fail "the backlog was not cut"
eq "backlog: stored" "$(messages)" 173
eq "backlog: moved" "$(folder_count "$DV_USER" INBOX)" 0
stored_once
serve_conf

# --- systemd: READY, WATCHDOG and STOPPING reach the notify socket
/usr/bin/python3 - "$PG_DIR/notify.sock" >"$PG_DIR/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
seen = []
while "STOPPING=1" not in seen:
    for line in s.recv(4096).decode().splitlines():
        if line.split("=")[0] in ("READY", "WATCHDOG", "STOPPING") and line not in seen:
            seen.append(line)
print(" ".join(seen))
PY
listener=$!
for _ in $(seq 50); do [ -S "$PG_DIR/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$PG_DIR/notify.sock WATCHDOG_USEC=400000 start
sleep 1
stop
wait "$listener" || fail "no STOPPING=1 on the notify socket"
eq "notify" "$(cat "$PG_DIR/notify.out")" "READY=1 WATCHDOG=1 STOPPING=1"
echo "serve: ok"
