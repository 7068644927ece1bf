#!/usr/bin/env bash
# Wake-up hints: Dovecot's push_notification Lua driver (contrib/dovecot/)
# tells a running `ticketgate serve` of new mail, and a mailbox that polls
# only once an hour is read at once. Also: the listener's answers to good,
# foreign and bad requests, a client that sends nothing, the port taken
# at start, a SIGHUP that binds the port again, and mail delivered while the daemon is down (the
# hint is lost, the mail is not), also to a port that never answers; and
# two daemons on one mailbox, both told of new mail.
set -euo pipefail
. "$(dirname "$0")/serve-lib.sh"
serve_setup "$1" "$2"
work=$PG_DIR/mail
mkdir -p "$work"
for i in $(seq 1 8); do mail "$i" >"$work/$i.eml"; done
port=$(dv_free_fixed_port)
dv_enable_wake "http://127.0.0.1:$port/wake"

# doveadm save runs the Lua driver itself and warns on its stderr
dlog=$PG_DIR/doveadm.log
: >"$dlog"
hinted_put() { put "$@" 2>>"$dlog"; }


# The status line the listener answers a raw request with.
http() {
	local line
	exec 7<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf '%b' "$1" >&7
	IFS= read -r -t 5 line <&7 || line="no answer"
	exec 7>&- 7<&-
	printf '%s\n' "${line%$'\r'}"
}

# A listener on 127.0.0.1:$port that accepts and never answers.
mute_listener() {
	rm -f "$PG_DIR/mute.ready"
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(60)' "$port" "$PG_DIR/mute.ready" &
	mute=$!
	for _ in $(seq 100); do
		[ -e "$PG_DIR/mute.ready" ] && return 0
		sleep 0.05
	done
	fail "the listener that never answers did not start"
}

# --- the port taken: the daemon says so and exits 75 (the unit restarts it)
serve_conf idle=false poll=3600 wake="$port"
mute_listener
status=0
"$bin" serve -c "$CONF" >>"$LOG" 2>&1 || status=$?
kill "$mute" 2>/dev/null || true
wait "$mute" 2>/dev/null || true
eq "port taken: exit status" "$status" 75
grep -q "wake: 127.0.0.1 port $port: bind: Address already in use" "$LOG" ||
	fail "no reason for the port taken"

# --- an hour between polls, no IDLE: only a hint can bring mail in soon
: >"$LOG"
start
wait_log "wake: listening for hints on 127.0.0.1 port $port" || fail "no wake listener"
wait_log "main/INBOX: connected; polling" || fail "not polling"
t0=$(date +%s%N)
hinted_put "$DV_USER" INBOX "$work/1.eml"
wait_for "SELECT count(*) FROM message" 1 10 || fail "a hint did not bring the mail in"
echo "hinted pick-up while polling hourly: $((($(date +%s%N) - t0) / 1000000)) ms"
hinted_put "$DV_USER" INBOX "$work/2.eml" "$work/3.eml"
wait_for "SELECT count(*) FROM message" 3 10 || fail "second hinted pick-up"

# --- the listener's answers
u="user=support%40example.test"
eq "hint for the served folder" "$(http "POST /wake?$u&mailbox=INBOX HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")" \
	"HTTP/1.1 204 No Content"
eq "any folder of any user" "$(http "POST /wake HTTP/1.0\r\n\r\n")" "HTTP/1.1 204 No Content"
eq "a folder not served" "$(http "POST /wake?$u&mailbox=Processed HTTP/1.1\r\n\r\n")" \
	"HTTP/1.1 404 Not Found"
eq "another user" "$(http "POST /wake?user=x%40y&mailbox=INBOX HTTP/1.1\r\n\r\n")" \
	"HTTP/1.1 404 Not Found"
eq "GET" "$(http "GET /wake HTTP/1.1\r\n\r\n")" "HTTP/1.1 405 Method Not Allowed"
eq "garbage" "$(http "\x01\x02 nonsense\r\n\r\n")" "HTTP/1.1 400 Bad Request"
eq "a control character in a name" "$(http "POST /wake?user=a%0a HTTP/1.1\r\n\r\n")" \
	"HTTP/1.1 400 Bad Request"
eq "a client that sends nothing" "$(http "")" "HTTP/1.1 408 Request Timeout"
kill -0 "$daemon" || fail "the daemon died on bad requests"

# --- SIGHUP: the listener binds its port again
kill -HUP "$daemon"
for _ in $(seq 50); do
	[ "$(grep -c "wake: listening for hints" "$LOG")" = 2 ] && break
	sleep 0.1
done
[ "$(grep -c "wake: listening for hints" "$LOG")" = 2 ] || fail "no listener after SIGHUP"
hinted_put "$DV_USER" INBOX "$work/4.eml"
wait_for "SELECT count(*) FROM message" 4 10 || fail "hinted pick-up after SIGHUP"

# --- the daemon down: Dovecot's hint fails, the delivery does not, and
# the mail is read when the daemon comes back
kill -TERM "$daemon"
wait "$daemon" || fail "daemon exit status $?"
daemon=
hinted_put "$DV_USER" INBOX "$work/5.eml"
eq "delivered while down" "$(folder_count "$DV_USER" INBOX)" 1
grep -q "ticketgate wake-up hint to http://127.0.0.1:$port/wake failed" "$dlog" ||
	fail "Dovecot did not report the failed hint"
# a listener that never answers holds a delivery for the script's
# timeout (500 ms), not Dovecot's default of a minute
mute_listener
t0=$(date +%s%N)
hinted_put "$DV_USER" INBOX "$work/6.eml"
ms=$((($(date +%s%N) - t0) / 1000000))
kill "$mute" 2>/dev/null || true
wait "$mute" 2>/dev/null || true
echo "delivery with a listener that never answers: $ms ms"
[ "$ms" -lt 5000 ] || fail "a hung listener held the delivery $ms ms"
eq "failed hints while down" "$(grep -c "wake-up hint .* failed" "$dlog")" 2
: >"$LOG"
start
wait_log "wake: listening for hints" || fail "no wake listener after a restart"
wait_for "SELECT count(*) FROM message" 6 10 || fail "mail delivered while down"
hinted_put "$DV_USER" INBOX "$work/7.eml"
wait_for "SELECT count(*) FROM message" 7 10 || fail "hinted pick-up after a restart"
kill -TERM "$daemon"
wait "$daemon" || fail "daemon exit status $?"
daemon=

# --- two daemons on the mailbox, both named in ticketgate_wake_url: the
# one at the second URL started first and works it, the other waits for
# the lock; the hint reaches the one that works
port2=$(dv_free_fixed_port)
dv_disable_wake
dv_enable_wake "http://127.0.0.1:$port/wake http://127.0.0.1:$port2/wake"
cp "$CONF" "$PG_DIR/conf/first-url.conf"
serve_conf idle=false poll=3600 wake="$port2"
: >"$LOG"
start
working=$daemon
wait_log "main/INBOX: connected; polling" || fail "the first daemon did not start"
"$bin" serve -c "$PG_DIR/conf/first-url.conf" >>"$LOG" 2>&1 &
waiting=$!
fail_both() {
	kill -9 "$waiting" 2>/dev/null || true
	fail "$@"
}
wait_log "another daemon works this mailbox" || fail_both "the second daemon did not wait"
hinted_put "$DV_USER" INBOX "$work/8.eml"
wait_for "SELECT count(*) FROM message" 8 10 || fail_both "the working daemon got no hint"
kill -TERM "$waiting" "$working"
wait "$waiting" || fail_both "waiting daemon exit status $?"
wait "$working" || fail "working daemon exit status $?"
daemon=

eq "stored once" "$(q "SELECT count(*) - count(DISTINCT message_id) FROM message")" 0
# the daemon's own moves into Processed were answered 404, never warned of
eq "failed hints" "$(cat "$DV_DIR/dovecot.log" "$dlog" | grep -c "wake-up hint .* failed")" 2
echo "ok"
