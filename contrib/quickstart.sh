#!/usr/bin/env bash
# Quick start: install what ticketgate needs, build it, start a throwaway
# PostgreSQL, a private Dovecot IMAP server and an SMTP sink under
# build/quickstart, migrate, import sample accounts, run `ticketgate serve`
# on the support mailboxes, append sample mail to them as customers would
# send it, show the mail the gateway sends back (acknowledgements, an
# agent's reply, a feedback request) and print the tickets. Everything it
# starts is stopped and removed when it ends.
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
. "$top/tests/integration/smtp.sh"
pg_start
dv_start
smtp_start
# Dovecot tells the daemon of new mail at once (contrib/dovecot/)
wake_port=$(dv_free_fixed_port)
dv_enable_wake "http://127.0.0.1:$wake_port/wake"
echo "== PostgreSQL on 127.0.0.1:$PG_PORT, data in $PG_DIR"
echo "== Dovecot on 127.0.0.1:$DV_PORT_IMAPS (IMAPS), mail in $DV_DIR"
echo "== SMTP sink on 127.0.0.1:$SMTP_PORT_SMTPS (SMTPS), mail in $SMTP_SPOOL"

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
	"$PG_DIR/imap-team.password" "$SMTP_PORT_SMTPS" "$SMTP_CA" \
	"$top/conf/templates" "$wake_port" <<'PY'
import re, sys
(src, dst, conninfo, port, ca, user, pw, user2, pw2, smtp_port, smtp_ca,
 templates, wake_port) = sys.argv[1:]
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
# our mail goes to the sink; agents are trusted when "our MTA" says DKIM
# passed (the sample agent reply below carries that header)
s = s.replace('secret_file = "secret";',
              'secret_file = "secret";\n  trusted_authserv_id = "mx.example.com";')
s += ('smtp = { host = "127.0.0.1"; port = %s; security = "smtps"; ca_file = "%s"; };\n'
      'templates_dir = "%s";\n' % (smtp_port, smtp_ca, templates))
s += 'wake = { port = %s; };\n' % wake_port
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

step "ticketgate agent add sam@example.com"
"$tg" agent add -c "$conf" sam@example.com --name "Sam Agent"

step "ticketgate serve (IDLE on both mailboxes, and Dovecot's wake-up hints; its log below is prefixed <level>)"
"$tg" serve -c "$conf" 2>"$PG_DIR/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; smtp_cleanup; dv_cleanup; pg_cleanup' EXIT
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

# Waits until the sink holds n messages.
sink_wait() {
	for _ in $(seq 100); do
		[ "$(smtp_messages)" -ge "$1" ] && break
		sleep 0.1
	done
}
# Shows message number n the sink received (1, 2, ...), headers trimmed.
show_sent() {
	local f
	f=$(printf '%s/%04d.eml' "$SMTP_SPOOL" "$1")
	echo "--- $(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print("envelope <%s> -> %s" % (e["from"], ", ".join(e["rcpts"])))' "${f%.eml}.env")"
	grep -E "^(From|To|Cc|Subject|Reply-To|Auto-Submitted|In-Reply-To):" "$f" | tr -d '\r'
	echo
	/usr/bin/python3 -c 'import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
print(m.get_body(("plain",)).get_content().strip())' "$f" | sed 's/^/    /'
}

step "the whole loop: a customer writes, the gateway acknowledges"
cat >"$PG_DIR/loop.eml" <<'MAIL'
From: Maria Costa <maria@paid.example>
To: support@example.com
Subject: Invoice 2026-11 is missing
Message-ID: <loop-1@paid.example>
Date: Sun, 22 Nov 2026 10:00:00 +0000

Hello, I cannot find the November invoice in the portal.
MAIL
sent=$(smtp_messages)
send support@example.com "$PG_DIR/loop.eml"
sink_wait $((sent + 1))
show_sent $((sent + 1))
loop=$(q "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id WHERE m.message_id = 'loop-1@paid.example'")

step "an agent answers by email (authenticated by our MTA), with #status solved"
cat >"$PG_DIR/agent.eml" <<'MAIL'
Authentication-Results: mx.example.com; dkim=pass header.d=example.com
From: Sam Agent <sam@example.com>
To: support@example.com
Subject: Re: Invoice 2026-11 is missing
Message-ID: <agent-loop-1@example.com>
In-Reply-To: <loop-1@paid.example>
Date: Sun, 22 Nov 2026 10:05:00 +0000

#status solved

Hi Maria, the invoice is in the portal now, under Billing.

On Sun, 22 Nov 2026, Maria Costa wrote:
> Hello, I cannot find the November invoice in the portal.
MAIL
sent=$(smtp_messages)
send support@example.com "$PG_DIR/agent.eml"
sink_wait $((sent + 2))
echo "(the reply, relayed to the customer without the agent's quote or commands)"
show_sent $((sent + 1))
step "the ticket is solved: the feedback request"
show_sent $((sent + 2))

step "the customer answers the feedback request with a rating"
fb=$(q "SELECT message_id FROM outbox o JOIN ticket t ON t.id = o.ticket_id WHERE t.number = $loop AND o.kind = 'feedback'")
cat >"$PG_DIR/rating.eml" <<MAIL
From: Maria Costa <maria@paid.example>
To: support@example.com
Subject: Re: [#$loop] Invoice 2026-11 is missing
Message-ID: <loop-2@paid.example>
In-Reply-To: <$fb>
Date: Sun, 22 Nov 2026 10:30:00 +0000

5
MAIL
send support@example.com "$PG_DIR/rating.eml"
echo "ticket $loop: $(q "SELECT 'status ' || status || ', rating ' || feedback_rating FROM ticket WHERE number = $loop")"

kill -TERM "$serve_pid"
wait "$serve_pid" || true
cat "$PG_DIR/serve.log"
echo "(mail left in the INBOXes: $(dv_doveadm -f flow mailbox status -u "$DV_USER" messages INBOX |
	sed 's/.*=//') + $(dv_doveadm -f flow mailbox status -u "$DV_USER2" messages INBOX | sed 's/.*=//');" \
	"moved to Processed after each commit)"

step "ticketgate ticket list"
"$tg" ticket list -c "$conf"
step "ticketgate ticket show $loop"
"$tg" ticket show -c "$conf" "$loop"
