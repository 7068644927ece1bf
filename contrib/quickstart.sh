#!/usr/bin/env bash
# Quick start: install what ticketgate needs, build it, start a throwaway
# PostgreSQL and a private Dovecot IMAP server under build/quickstart,
# migrate, import sample accounts, run `ticketgate serve` on the support
# mailboxes, append sample mail to them as customers would send it, and
# print the tickets the daemon made. Everything it starts is stopped and
# removed when it ends.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"

"$top/contrib/install-deps.sh"
cmake -S "$top" -B "$top/build/quickstart" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build/quickstart" -j"$(nproc)" >/dev/null
tg=$top/build/quickstart/ticketgate
mail=$top/tests/data/deliver

# The cluster lives under build/quickstart when the postgres user can
# reach it (a checkout under /root usually is not), else in /tmp.
mkdir -p "$top/build/quickstart/run"
TMPDIR=$top/build/quickstart/run
if [ "$(id -u)" = 0 ] &&
	! setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$TMPDIR"; then
	TMPDIR=/tmp
fi
export TMPDIR
. "$top/tests/integration/pg.sh"
. "$top/tests/integration/dovecot.sh"
pg_start
dv_start
echo "== PostgreSQL on 127.0.0.1:$PG_PORT, data in $PG_DIR"
echo "== Dovecot on 127.0.0.1:$DV_PORT_IMAPS (IMAPS), mail in $DV_DIR"

# The example configuration with this database, and two IMAP accounts on
# the private Dovecot: support@, suporte@, cloud@ and omni@ share one
# INBOX (the address is read from the message), security@ and gdpr@
# another. TLS is verified against the throwaway CA.
conf=$PG_DIR/ticketgate.conf
head -c 48 /dev/urandom >"$PG_DIR/secret"
chmod 600 "$PG_DIR/secret"
# our copies of the IMAP passwords, readable by us alone
install -m 600 "$DV_PASSWORD_FILE" "$PG_DIR/imap-main.password"
install -m 600 "$DV_PASSWORD_FILE2" "$PG_DIR/imap-team.password"
/usr/bin/python3 - "$top/conf/ticketgate.conf.example" "$conf" "$PG_CONNINFO" \
	"$DV_PORT_IMAPS" "$DV_CA" "$DV_USER" "$PG_DIR/imap-main.password" "$DV_USER2" \
	"$PG_DIR/imap-team.password" <<'PY'
import re, sys
src, dst, conninfo, port, ca, user, pw, user2, pw2 = sys.argv[1:]
s = open(src).read()
s = re.sub(r'(?m)^( *conninfo = ).*$', lambda m: m.group(1) + '"%s";' % conninfo, s)
for account, addresses in (("main", ("support", "suporte", "cloud", "omni")),
                           ("team", ("security", "gdpr"))):
    for a in addresses:
        s = s.replace('address = "%s@example.com";' % a,
                      'address = "%s@example.com";\n    imap_account = "%s";' % (a, account))
acc = ('{ name = "%s"; host = "127.0.0.1"; port = %s; security = "imaps"; '
       'ca_file = "%s"; user = "%s"; password_file = "%s"; after_commit = "move"; }')
s += "\nimap_accounts = (\n  %s,\n  %s\n);\n" % (acc % ("main", port, ca, user, pw),
                                               acc % ("team", port, ca, user2, pw2))
open(dst, "w").write(s)
PY

step() { echo; echo "== $*"; }
q() { "$PG_BIN/psql" -qtAX -h "$PG_DIR" -p "$PG_PORT" -U postgres -c "$1" ticketgate_test; }
stored=0
# Appends a message to the mailbox its address is served from, as the
# mail system would, and waits for the daemon to commit it.
send() { # ADDRESS FILE
	local user=$DV_USER
	case $1 in security@* | gdpr@*) user=$DV_USER2 ;; esac
	printf '%-22s -> %-22s ' "$(basename "$2")" "$1"
	dv_doveadm save -u "$user" -m INBOX <"$2"
	for _ in $(seq 100); do
		[ "$(q "SELECT count(*) + (SELECT count(*) FROM quarantine) FROM message")" -gt "$stored" ] && break
		sleep 0.1
	done
	stored=$(q "SELECT count(*) + (SELECT count(*) FROM quarantine) FROM message")
	q "SELECT coalesce('ticket ' || t.number || ' (' || t.status || ')', 'no ticket') || ', ' || m.class
		FROM message m LEFT JOIN ticket t ON t.id = m.ticket_id ORDER BY m.id DESC LIMIT 1"
}

step "ticketgate check-config"
"$tg" check-config -c "$conf"
step "ticketgate migrate"
"$tg" migrate -c "$conf" --schema-dir "$top/schema"
step "ticketgate accounts import contrib/quickstart/accounts.csv"
"$tg" accounts import -c "$conf" "$top/contrib/quickstart/accounts.csv"

step "ticketgate serve (IDLE on both mailboxes; its log below is prefixed <level>)"
"$tg" serve -c "$conf" 2>"$PG_DIR/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; dv_cleanup; pg_cleanup' EXIT
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM mailbox_state")" = 2 ] && break
	sleep 0.1
done

step "customers write (each message appended to its IMAP mailbox)"
send support@example.com "$mail/new.eml"
first=$(q "SELECT min(number) FROM ticket")
sed "s/@NUMBER@/$first/g" "$mail/reply.eml" >"$PG_DIR/reply.eml"
send support@example.com "$PG_DIR/reply.eml"
send support@example.com "$mail/solve-start.eml"
send support@example.com "$mail/auto-reply.eml"    # recorded, acknowledged by no one
send suporte@example.com "$mail/suporte.eml"       # Portuguese address
send security@example.com "$mail/security.eml"     # fixed department
send gdpr@example.com "$mail/gdpr.eml"             # default tags
send support@example.com "$mail/trial.eml"         # routed by a trial account
"$tg" ticket set -c "$conf" "$first" --status closed
send support@example.com "$mail/after-close.eml"   # closed: a new, linked ticket
send support@example.com "$mail/bounce.eml"        # a bounce opens nothing

kill -TERM "$serve_pid"
wait "$serve_pid" || true
cat "$PG_DIR/serve.log"
echo "(mail left in the INBOXes: $(dv_doveadm -f flow mailbox status -u "$DV_USER" messages INBOX |
	sed 's/.*=//') + $(dv_doveadm -f flow mailbox status -u "$DV_USER2" messages INBOX | sed 's/.*=//');" \
	"moved to Processed after each commit)"

step "ticketgate ticket list"
"$tg" ticket list -c "$conf"
step "ticketgate ticket show $first"
"$tg" ticket show -c "$conf" "$first"
