# Sourced by the serve tests: a throwaway PostgreSQL and Dovecot, a
# configuration pointing at them, and helpers to put mail in and wait for
# what the daemon did.
#   serve_setup BIN SCHEMA      starts both, migrates; sets CONF, LOG
#   serve_conf KEY=VALUE...     (re)writes CONF: support@ and suporte@ on
#                               account "main" (user 1); options below
#   put USER FOLDER FILE...     appends with doveadm
#   mail N [FROM] [TO]          prints a small message numbered N
#   wait_for SQL WANT [SECS]    polls until the query prints WANT
#   start [ARGS...]             runs `serve -c CONF ARGS` in the background
#                               ($daemon), logging to LOG
#   wait_log PATTERN            waits up to 10 s for a line of LOG
#   fail MSG / eq WHAT GOT WANT  report and stop (killing $daemon if set)
. "$(dirname "${BASH_SOURCE[0]}")/pg.sh"
. "$(dirname "${BASH_SOURCE[0]}")/dovecot.sh"

# A test that stops on an unexpected error (set -e) must not leave its
# daemon behind, retrying against servers that are gone: the EXIT trap
# kills it before the servers' cleanups run.
serve_chain_exit_trap() {
	local prev=
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && prev=$3
	# shellcheck disable=SC2064 # expand the previous trap now
	trap "[ -z \"\${daemon:-}\" ] || kill -9 \"\$daemon\" 2>/dev/null || true; ${prev:-:}" EXIT
}

serve_setup() {
	bin=$1
	schema=$2
	pg_start
	dv_start
	serve_chain_exit_trap
	"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null
	mkdir -p "$PG_DIR/conf"
	head -c 48 /dev/urandom | base64 | tr -d '\n' >"$PG_DIR/conf/secret"
	chmod 600 "$PG_DIR/conf/secret"
	# the daemon's own copies, readable by it alone
	install -m 600 "$DV_PASSWORD_FILE" "$PG_DIR/conf/pw1"
	install -m 600 "$DV_PASSWORD_FILE2" "$PG_DIR/conf/pw2"
	CONF=$PG_DIR/conf/tg.conf
	LOG=${SERVE_LOG:-$PG_DIR/serve.log}
	: >"$LOG"
}

# Options: host= port= security= ca= after= idle= poll= batch= second=1
# (adds security@ on account "sec", user 2, folder INBOX), smtp=1 (our mail
# goes to the sink of smtp.sh over SMTPS, with the shipped templates),
# wake=PORT (hints heard on 127.0.0.1:PORT)
serve_conf() {
	local host=$DV_HOST port=$DV_PORT_IMAPS security=imaps ca=$DV_CA
	local after=move idle=true poll=1 batch=100 second=0 smtp=0 wake= kv
	for kv in "$@"; do
		case $kv in
		host=*) host=${kv#*=} ;;
		port=*) port=${kv#*=} ;;
		security=*) security=${kv#*=} ;;
		ca=*) ca=${kv#*=} ;;
		after=*) after=${kv#*=} ;;
		idle=*) idle=${kv#*=} ;;
		poll=*) poll=${kv#*=} ;;
		batch=*) batch=${kv#*=} ;;
		second=*) second=${kv#*=} ;;
		smtp=*) smtp=${kv#*=} ;;
		wake=*) wake=${kv#*=} ;;
		esac
	done
	/usr/bin/python3 - "$(dirname "${BASH_SOURCE[0]}")/../../conf/ticketgate.conf.example" \
		"$CONF" "$PG_CONNINFO" "$host" "$port" "$security" "$ca" "$after" "$idle" \
		"$poll" "$batch" "$second" "$DV_USER" "$PG_DIR/conf/pw1" "$DV_USER2" \
		"$PG_DIR/conf/pw2" "$smtp" "${SMTP_PORT_SMTPS:-}" "${SMTP_CA:-}" \
		"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/conf/templates" <<'PY'
import re, sys
(src, dst, conninfo, host, port, security, ca, after, idle, poll, batch,
 second, user, pw, user2, pw2, smtp, smtp_port, smtp_ca, templates) = sys.argv[1:]
s = open(src).read()
s = re.sub(r'(?m)^( *conninfo = ).*$', lambda m: m.group(1) + '"%s";' % conninfo, s)
for a in ("support@example.com", "suporte@example.com"):
    s = s.replace('address = "%s";' % a, 'address = "%s";\n    imap_account = "main";' % a)
if second == "1":
    s = s.replace('address = "security@example.com";',
                  'address = "security@example.com";\n    imap_account = "sec";')
def account(name, u, p):
    return ('{ name = "%s"; host = "%s"; port = %s; security = "%s"; ca_file = "%s"; '
            'user = "%s"; password_file = "%s"; after_commit = "%s"; idle = %s; '
            'poll_seconds = %s; batch = %s; timeout_seconds = 5; }'
            % (name, host, port, security, ca, u, p, after, idle, poll, batch))
accounts = [account("main", user, pw)]
if second == "1":
    accounts.append(account("sec", user2, pw2))
s += "\nimap_accounts = (\n  " + ",\n  ".join(accounts) + "\n);\n"
if smtp == "1":
    s += ('smtp = { host = "127.0.0.1"; port = %s; security = "smtps"; '
          'ca_file = "%s"; timeout_seconds = 5; };\ntemplates_dir = "%s";\n'
          % (smtp_port, smtp_ca, templates))
open(dst, "w").write(s)
PY
	if [ -n "$wake" ]; then
		printf 'wake = { port = %s; };\n' "$wake" >>"$CONF"
	fi
}

put() {
	local user=$1 folder=$2 f
	shift 2
	for f in "$@"; do
		dv_doveadm save -u "$user" -m "$folder" <"$f"
	done
}

mail() {
	printf 'From: %s\r\nTo: %s\r\nSubject: Case %s\r\n' "${2:-cust$1@client.example}" \
		"${3:-support@example.com}" "$1"
	printf 'Message-ID: <serve-%s@client.example>\r\n' "$1"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nBody of message %s.\r\n' "$1"
}

q() { pg_psql -c "$1"; }

wait_for() {
	local got i
	for i in $(seq $((${3:-20} * 10))); do
		got=$(q "$1" 2>/dev/null || true)
		[ "$got" = "$2" ] && return 0
		sleep 0.1
	done
	echo "waited ${3:-20} s for '$1' = '$2'; last '$got'" >&2
	return 1
}

folder_count() {
	dv_doveadm -f flow mailbox status -u "$1" messages "$2" | sed 's/.*messages=//'
}

start() {
	"$bin" serve -c "$CONF" "$@" >>"$LOG" 2>&1 &
	daemon=$!
}

wait_log() {
	for _ in $(seq 100); do
		grep -q "$1" "$LOG" && return 0
		sleep 0.1
	done
	return 1
}

# A test keeps the PID of a daemon it started in daemon, so that a failure
# does not leave it running.
daemon=
fail() {
	echo "FAIL: $*"
	tail -15 "$LOG"
	[ -z "$daemon" ] || kill -9 "$daemon" 2>/dev/null || true
	exit 1
}
eq() { [ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"; }
