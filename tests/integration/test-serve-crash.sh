#!/usr/bin/env bash
# ticketgate serve killed with SIGKILL at random moments (and at the ends of
# batches) while it works through 2,000 messages (new tickets, replies,
# large attachments, mail the parser quarantines), restarted each time,
# then finished with --once. Every message must end up stored once or
# quarantined once, none lost, none twice, and the folder moved in full.
#   test-serve-crash.sh BIN SCHEMA
# CRASH_SEED=N repeats a run's kill delays (the timing itself still varies).
set -euo pipefail
. "$(dirname "$0")/serve-lib.sh"
serve_setup "$1" "$2"

TOTAL=2000
# kill cycles end at whichever comes first; --once does what is left
MAX_CYCLES=60
MAX_SECONDS=75
seed=${CRASH_SEED:-$RANDOM}
RANDOM=$seed
cycle_log=$PG_DIR/cycle.log

# Message i (see the generator): every tenth from 10 on answers message
# i-7, from its sender; every 250th from 5 carries a 100 KB attachment; the
# ones listed here carry 1,500 header fields (the limit is 1,000), so the
# parser quarantines them.
QUARANTINED="777 1555"

# Talks IMAP over the plain port; imaplib quotes the password, which holds
# a space, quotes and a backslash.
imap() {
	/usr/bin/python3 - "$DV_HOST" "$DV_PORT_PLAIN" "$DV_USER" "$DV_PASSWORD_FILE" "$@"
}

# APPEND costs a round trip, a doveadm save per message a process: 2,000
# of those would take minutes.
imap "$TOTAL" "$QUARANTINED" <<'PY' || fail "appending the messages"
import base64, imaplib, os, sys
host, port, user, pwfile, total, quarantined = sys.argv[1:]
total, quarantined = int(total), {int(x) for x in quarantined.split()}
pw = open(pwfile).read()

def sender(i):
    return "cust%d@client%d.example" % (i, i % 37)

def message(i):
    to = "suporte@example.com" if i % 13 == 0 else "support@example.com"
    h = ["To: " + to, "Message-ID: <crash-%d@client.example>" % i,
         "Date: Sun, 22 Nov 2026 10:00:00 +0000"]
    if i >= 10 and i % 10 == 0:
        p = i - 7
        h += ["From: " + sender(p), "Subject: Re: Case %d" % p,
              "In-Reply-To: <crash-%d@client.example>" % p,
              "References: <crash-%d@client.example>" % p]
    else:
        h += ["From: " + sender(i), "Subject: Case %d" % i]
    if i in quarantined:
        h += ["X-Filler-%d: %d" % (k, k) for k in range(1500)]
    body = "Body of message %d.\r\n" % i
    if i % 250 == 5:
        data = base64.encodebytes(os.urandom(75000)).decode().replace("\n", "\r\n")
        h += ["MIME-Version: 1.0",
              'Content-Type: multipart/mixed; boundary="b%d"' % i]
        body = ("--b{0}\r\nContent-Type: text/plain\r\n\r\n{1}"
                "--b{0}\r\nContent-Type: application/octet-stream\r\n"
                "Content-Transfer-Encoding: base64\r\n"
                'Content-Disposition: attachment; filename="dump{0}.bin"\r\n'
                "\r\n{2}--b{0}--\r\n").format(i, body, data)
    return ("\r\n".join(h) + "\r\n\r\n" + body).encode()

m = imaplib.IMAP4(host, int(port))
m.login(user, pw)
for i in range(1, total + 1):
    typ, _ = m.append("INBOX", None, None, message(i))
    if typ != "OK":
        sys.exit("APPEND %d: %s" % (i, typ))
m.logout()
PY

# Message-IDs of a folder, one a line.
folder_ids() {
	imap "$1" <<'PY'
import imaplib, re, sys
host, port, user, pwfile, folder = sys.argv[1:]
m = imaplib.IMAP4(host, int(port))
m.login(user, open(pwfile).read())
m.select(folder, readonly=True)
typ, data = m.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
for part in data:
    if isinstance(part, tuple):
        f = re.search(rb"<([^>]*)>", part[1])
        print(f.group(1).decode() if f else "?")
m.logout()
PY
}

eq "appended" "$(folder_count "$DV_USER" INBOX)" "$TOTAL"
# the folder is new, so the UIDs are 1..TOTAL
max_uid=$TOTAL
pending() {
	dv_doveadm -f flow search -u "$DV_USER" mailbox INBOX uid "1:$1" | wc -l
}
position() {
	q "SELECT coalesce(max(last_uid), 0) FROM mailbox_state WHERE mailbox = 'main/INBOX'"
}

# Kills PID the moment LOG shows the last message of its K-th batch
# stored (batches end at multiples of BATCH: each starts after the last
# committed one), or after 1.5 s. What is
# left of the batch then is the position update and the COMMIT, and after
# them the MOVE: windows too narrow for random delays to hit often.
kill_at_batch_end() {
	/usr/bin/python3 - "$@" <<'PY'
import os, re, signal, sys, time
pid, log, k, batch = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
end, text, seen = time.monotonic() + 1.5, b"", 0
with open(log, "rb") as f:
    while time.monotonic() < end and seen < k:
        chunk = f.read()
        if not chunk:
            time.sleep(0.0001)
            continue
        text += chunk
        lines = text.split(b"\n")
        text = lines.pop()
        for line in lines:
            m = re.match(rb"<\d>main/INBOX: uid (\d+)", line)
            if m and int(m.group(1)) % batch == 0:
                seen += 1
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass  # gone already: the caller sees its exit status
PY
}

# Small batches: a kill then lands inside a batch, in its commit, or
# between the commit and the MOVE more often than not.
BATCH=50
serve_conf batch=$BATCH

kills=0 mid_batch=0 at_commit=0 before_move=0 cycles=0
t0=$SECONDS
while [ "$cycles" -lt "$MAX_CYCLES" ] && [ $((SECONDS - t0)) -lt "$MAX_SECONDS" ]; do
	pos=$(position)
	[ "$pos" = "$max_uid" ] && [ "$(pending "$max_uid")" = 0 ] && break
	cycles=$((cycles + 1))
	# The killed daemon's database session ends when PostgreSQL notices
	# the closed socket; a daemon started before that finds the mailbox
	# lock taken and waits 5 s, which would waste the cycle.
	wait_for "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'" 0 10 ||
		fail "the killed daemon's session still holds the mailbox lock"
	"$bin" serve -c "$CONF" --log-level debug >"$cycle_log" 2>&1 &
	daemon=$!
	# two kills in three at a random moment, every third at the end of
	# a batch
	if [ $((cycles % 3)) = 0 ]; then
		k=$((1 + RANDOM % 3))
		how="at the end of batch $k"
		kill_at_batch_end "$daemon" "$cycle_log" "$k" "$BATCH"
	else
		ms=$((50 + RANDOM % 1451))
		how="after $ms ms"
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -9 "$daemon" 2>/dev/null || true
	fi
	rc=0
	wait "$daemon" 2>/dev/null || rc=$? # (quiet: no "Killed" notice)
	daemon=
	cat "$cycle_log" >>"$LOG"
	# 137: our SIGKILL; anything else is the daemon's own doing
	[ "$rc" = 137 ] || fail "cycle $cycles: the daemon exited by itself, status $rc"
	kills=$((kills + 1))
	# where it landed: the log's last stored message against the committed
	# position, and committed mail still in INBOX
	pos=$(position)
	last=$(sed -n 's/^<[0-9]>main\/INBOX: uid \([0-9]*\)[: ].*/\1/p' "$cycle_log" | tail -1)
	if [ -n "$last" ] && [ "$last" -gt "$pos" ]; then
		if [ $((last % BATCH)) = 0 ]; then
			at="at the end of a batch, before its commit took effect"
			at_commit=$((at_commit + 1))
		else
			at="mid-batch"
			mid_batch=$((mid_batch + 1))
		fi
	elif [ "$pos" -gt 0 ] && [ "$(pending "$pos")" -gt 0 ]; then
		at="between the commit and the MOVE"
		before_move=$((before_move + 1))
	else
		at="outside a batch"
	fi
	echo "--- SIGKILL $kills, $how: $at" >>"$LOG"
done
echo "crash: seed $seed, $kills kills in $((SECONDS - t0)) s: $mid_batch mid-batch," \
	"$at_commit in a commit, $before_move between commit and MOVE;" \
	"position $(position) of $max_uid"

# what is left, and the after-commit actions a kill interrupted
"$bin" serve -c "$CONF" --once --log-level debug >>"$LOG" 2>&1 || fail "serve --once"
# position and messages commit together, so a restart never fetches
# anything already stored
dups=$(sed -n 's/^<[0-9]>main\/INBOX: [0-9]* messages: [0-9]* stored, \([0-9]*\) duplicates.*/\1/p' "$LOG" |
	awk '{ s += $1 } END { print s + 0 }')
eq "duplicates met after restarts" "$dups" 0
if grep -Eq 'AddressSanitizer|runtime error:|LeakSanitizer' "$LOG"; then
	grep -E -m5 'AddressSanitizer|runtime error:|LeakSanitizer' "$LOG"
	fail "sanitizer report"
fi

# --- the database: each message once, on its ticket, or in the quarantine
eq "position" "$(position)" "$max_uid"
qids=$(for i in $QUARANTINED; do printf "'crash-%s@client.example'," "$i"; done)
qids="ARRAY[${qids%,}]"
n_q=$(wc -w <<<"$QUARANTINED")
n_stored=$((TOTAL - n_q))
eq "messages (all, distinct Message-ID, distinct content)" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT message_id) || ' ' ||
		count(DISTINCT raw_sha256) FROM message")" "$n_stored $n_stored $n_stored"
eq "missing" "$(q "SELECT string_agg(g::text, ' ') FROM generate_series(1, $TOTAL) g
	WHERE 'crash-' || g || '@client.example' <> ALL ($qids) AND NOT EXISTS
	(SELECT 1 FROM message WHERE message_id = 'crash-' || g || '@client.example')")" ""
eq "quarantined mail stored" "$(q "SELECT count(*) FROM message WHERE message_id = ANY ($qids)")" 0
eq "a ticket with a message twice" "$(q "SELECT count(*) FROM (SELECT 1 FROM message
	GROUP BY ticket_id, message_id HAVING count(*) > 1) d")" 0
# replies: every tenth from 10 on, quarantined ones excepted
n_replies=$(q "SELECT count(*) FROM generate_series(10, $TOTAL, 10) g
	WHERE 'crash-' || g || '@client.example' <> ALL ($qids)")
eq "tickets" "$(q "SELECT count(*) FROM ticket")" "$((n_stored - n_replies))"
eq "ticket without mail" "$(q "SELECT count(*) FROM ticket t
	WHERE NOT EXISTS (SELECT 1 FROM message m WHERE m.ticket_id = t.id)")" 0
eq "replies on their first message's ticket" "$(q "SELECT count(*) FROM message r
	JOIN message p ON p.message_id = r.in_reply_to[1] AND p.ticket_id = r.ticket_id")" \
	"$n_replies"
n_att=$(q "SELECT count(*) FROM generate_series(5, $TOTAL, 250) g
	WHERE 'crash-' || g || '@client.example' <> ALL ($qids)")
eq "attachments" "$(q "SELECT count(*) || ' ' || count(DISTINCT a.sha256) || ' ' ||
	min(b.size) FROM attachment a JOIN blob b ON b.sha256 = a.sha256")" "$n_att $n_att 75000"
eq "quarantine" "$(q "SELECT count(*) FROM quarantine")" "$n_q"
for i in $QUARANTINED; do
	eq "quarantined $i" "$(q "SELECT count(*) || ' ' || min(reason) FROM quarantine
		WHERE position('<crash-$i@client.example>'::bytea IN raw) > 0")" \
		"1 parser limit: header count"
done

# --- the server: everything moved once. UID MOVE (offered on DV_HOST) takes
# a message out of INBOX in the same step that puts it in Processed, so a
# kill leaves it in one of the two and the restart moves what is left. On a
# server without MOVE the fallback is COPY, then STORE \Deleted and UID
# EXPUNGE: a kill between the COPY and the EXPUNGE leaves the message in
# both folders, and the restart copies it again, so there Processed could
# hold a message twice (the database still holds it once).
eq "INBOX after" "$(folder_count "$DV_USER" INBOX)" 0
ids=$(folder_ids Processed)
eq "Processed" "$(wc -l <<<"$ids")" "$TOTAL"
eq "Processed, distinct" "$(sort -u <<<"$ids" | wc -l)" "$TOTAL"
eq "Processed, the messages" "$(sort <<<"$ids" | md5sum)" \
	"$(seq -f 'crash-%g@client.example' 1 "$TOTAL" | sort | md5sum)"
echo "serve-crash: ok"
