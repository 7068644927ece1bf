#!/usr/bin/env bash
# ticketgate deliver against a real PostgreSQL: new tickets, threading by
# references and (only for participants) by subject token, follow-up rules,
# MTA retries stored once, exit 75 while the database is down, hostile
# headers stored intact, oversized mail quarantined whole.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

fail() { echo "FAIL: $*"; tail -5 "$PG_DIR/deliver.log" 2>/dev/null; exit 1; }
"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null

deliver() {
	"$bin" deliver --to support@example.com --conninfo "$PG_CONNINFO" "$@" \
		2>>"$PG_DIR/deliver.log"
}
# a fixture with @NUMBER@ replaced by a ticket number
with_number() {
	sed "s/@NUMBER@/$2/" "$data/$1" >"$PG_DIR/$1"
	echo "$PG_DIR/$1"
}

# a new mail opens a ticket
deliver "$data/new.eml" || fail "deliver new.eml"
eq "new ticket" "$(q "SELECT count(*) || ' ' || min(status::text) || ' ' ||
	min(priority::text) || ' ' || min(channel::text) FROM ticket")" \
	"1 open medium email"
n1=$(q "SELECT number FROM ticket")
[ "$n1" -ge 1000 ] || fail "ticket number $n1 < 1000"
eq "requester" "$(q "SELECT c.email || ' ' || c.name FROM ticket t
	JOIN contact c ON c.id = t.requester_id")" \
	"alice@customer.example Alice Customer"
eq "participants" "$(q "SELECT string_agg(c.email || ':' || p.role, ',' ORDER BY c.email)
	FROM participant p JOIN contact c ON c.id = p.contact_id")" \
	"alice@customer.example:requester,bob@customer.example:cc"
eq "department" "$(q "SELECT d.name FROM ticket t JOIN department d ON d.id = t.department_id")" \
	"Community"
eq "message" "$(q "SELECT direction || ' ' || author_kind || ' ' || message_id || ' ' ||
	class || ' ' || source || ' ' || (sent_at = '2026-11-22 10:00:00+00') FROM message")" \
	"inbound customer new-1@customer.example normal deliver true"

# a reply with In-Reply-To threads into it; the new text has no quote
deliver "$(with_number reply.eml "$n1")" || fail "deliver reply.eml"
eq "tickets after reply" "$(q "SELECT count(*) FROM ticket")" 1
eq "messages on ticket" "$(q "SELECT count(*) FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE t.number = $n1")" 2
eq "reply text" "$(q "SELECT reply_text FROM message WHERE message_id = 'reply-1@customer.example'")" \
	"It still jams after the update."
eq "in_reply_to" "$(q "SELECT in_reply_to[1] FROM message WHERE message_id = 'reply-1@customer.example'")" \
	"new-1@customer.example"

# a verified reply token threads whoever writes; a forged one does not
printf 'instance-secret\n' >"$PG_DIR/secret"
# the reply-address mac of thread.c: base32 of HMAC-SHA256("t<N>:<address>")
mac_for() {
	python3 -c '
import hmac, hashlib, sys
key = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
md = hmac.new(key, ("t%s:%s" % (sys.argv[2], sys.argv[3])).encode(),
	hashlib.sha256).digest()[:10]
acc = bits = 0
out = ""
for b in md:
	acc = (acc << 8) | b
	bits += 8
	while bits >= 5:
		out += "abcdefghijklmnopqrstuvwxyz234567"[(acc >> (bits - 5)) & 31]
		bits -= 5
print(out)' "$@"
}
mac=$(mac_for "$PG_DIR/secret" "$n1" support@example.com)
sed "s/@NUMBER@/$n1/; s/@MAC@/$mac/" "$data/token.eml" >"$PG_DIR/token.eml"
deliver --secret-file "$PG_DIR/secret" "$PG_DIR/token.eml" || fail "deliver token.eml"
eq "token" "$(q "SELECT t.number FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'token-1@partner.example'")" "$n1"
deliver --secret-file "$PG_DIR/secret" "$(with_number forged-token.eml "$n1")" ||
	fail "deliver forged-token.eml"
eq "forged token" "$(q "SELECT t.number <> $n1 FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'forged-1@evil.example'")" t

# the same file delivered twice (an MTA retry) is stored once
deliver "$data/new.eml" || fail "second deliver of new.eml"
eq "duplicate" "$(q "SELECT count(*) FROM message WHERE message_id = 'new-1@customer.example'")" 1

# MTA retries racing each other still store once
for i in 1 2 3 4; do deliver "$data/shared-msgid-a.eml" & done
for i in 1 2 3 4; do wait -n || fail "parallel deliver"; done
eq "parallel duplicate" "$(q "SELECT count(*) FROM message WHERE message_id = 'shared@broken-client.example'")" 1

# two different mails sharing a Message-ID are both kept
deliver "$data/shared-msgid-b.eml" || fail "deliver shared-msgid-b.eml"
eq "shared Message-ID" "$(q "SELECT count(*) FROM message WHERE message_id = 'shared@broken-client.example'")" 2

# a stranger using another ticket's subject token gets a new ticket
deliver "$(with_number stranger-subject.eml "$n1")" || fail "deliver stranger"
eq "stranger" "$(q "SELECT t.number <> $n1 FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'guess-1@evil.example'")" t
eq "stranger not a participant" "$(q "SELECT count(*) FROM participant p
	JOIN contact c ON c.id = p.contact_id JOIN ticket t ON t.id = p.ticket_id
	WHERE c.email = 'mallory@evil.example' AND t.number = $n1")" 0

# a participant's subject token threads
deliver "$(with_number participant-subject.eml "$n1")" || fail "deliver participant"
eq "participant" "$(q "SELECT t.number FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'bob-1@customer.example'")" "$n1"

# a reply on a closed ticket opens a new ticket linked to it
q "UPDATE ticket SET status = 'closed' WHERE number = $n1"
deliver "$data/after-close.eml" || fail "deliver after-close.eml"
eq "after close" "$(q "SELECT t.number <> $n1, t.status, p.number FROM message m
	JOIN ticket t ON t.id = m.ticket_id JOIN ticket p ON p.id = t.previous_ticket_id
	WHERE m.message_id = 'after-close-1@customer.example'")" "t|open|$n1"
eq "closed stays closed" "$(q "SELECT status FROM ticket WHERE number = $n1")" closed

# a reply on a solved ticket reopens it
deliver "$data/solve-start.eml" || fail "deliver solve-start.eml"
ns=$(q "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id
	WHERE m.message_id = 'solve-start@solved.example'")
q "UPDATE ticket SET status = 'solved' WHERE number = $ns"
deliver "$data/after-solve.eml" || fail "deliver after-solve.eml"
eq "reopened" "$(q "SELECT status FROM ticket WHERE number = $ns")" open
eq "reopen event" "$(q "SELECT string_agg(old_value || '>' || new_value, ',' ORDER BY e.id)
	FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id WHERE t.number = $ns")" \
	"open>solved,solved>open"

# an auto-reply is recorded on the ticket without reopening it
q "UPDATE ticket SET status = 'solved' WHERE number = $ns"
deliver "$data/auto-reply.eml" || fail "deliver auto-reply.eml"
eq "auto-reply" "$(q "SELECT m.class || ' ' || t.status FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'ooo-1@solved.example'")" "auto_reply solved"

# mail from an agent's address that our MTA did not authenticate (here:
# no configuration trusts any authserv-id): kept on the ticket as an
# internal note with an event saying why, nothing changed, nothing relayed
# (tests/integration/test-outbound.sh has the authenticated reply); the
# agent never becomes a contact
q "INSERT INTO agent (email, name) VALUES ('sam@example.com', 'Sam Agent')"
q "UPDATE ticket SET status = 'open' WHERE number = $ns"
deliver "$data/agent-reply.eml" || fail "deliver agent-reply.eml"
eq "agent reply" "$(q "SELECT m.author_kind || ' ' || (m.agent_id IS NOT NULL) || ' ' ||
	m.internal || ' ' || t.status || ' ' || (t.first_response_at IS NOT NULL) FROM message m
	JOIN ticket t ON t.id = m.ticket_id WHERE m.message_id = 'agent-1@example.com'")" \
	"agent true true open false"
eq "unverified event" "$(q "SELECT count(*) FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
	WHERE t.number = $ns AND e.kind = 'unverified_agent_mail'")" 1
eq "nothing relayed" "$(q "SELECT count(*) FROM outbox WHERE kind = 'reply'")" 0
eq "agent not a contact" "$(q "SELECT count(*) FROM contact WHERE email = 'sam@example.com'")" 0

# a bounce is linked to the ticket of the message it returns and opens
# nothing
tickets=$(q "SELECT count(*) FROM ticket")
deliver "$data/bounce.eml" || fail "deliver bounce.eml"
eq "bounce" "$(q "SELECT m.class || ' ' || m.author_kind || ' ' || t.number FROM message m
	JOIN ticket t ON t.id = m.ticket_id WHERE m.message_id = 'bounce-1@mx.customer.example'")" \
	"bounce system $n1"
eq "bounce opens nothing" "$(q "SELECT count(*) FROM ticket")" "$tickets"
eq "bounce leaves status" "$(q "SELECT status FROM ticket WHERE number = $n1")" closed

# spam gets a ticket of its own with status spam
deliver "$data/spam.eml" || fail "deliver spam.eml"
eq "spam" "$(q "SELECT m.class || ' ' || t.status FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'spam-1@lottery.example'")" "spam spam"

# attachments: blobs stored once however often they are sent
deliver "$data/../typical-attachment.eml" || fail "deliver typical-attachment.eml"
natt=$(q "SELECT count(*) FROM attachment")
[ "$natt" -ge 1 ] || fail "no attachment stored"
eq "blob hashes" "$(q "SELECT bool_and(sha256(b.data) = b.sha256 AND length(b.data) = b.size)
	FROM blob b")" t

# hostile headers and invalid UTF-8 are stored, raw bytes intact
deliver "$data/metachar.eml" || fail "deliver metachar.eml"
want=$(sha256sum "$data/metachar.eml" | cut -d' ' -f1)
eq "metachar raw" "$(q "SELECT encode(sha256(raw), 'hex') FROM message
	WHERE raw_sha256 = decode('$want', 'hex')")" "$want"
eq "metachar in ticket" "$(q "SELECT count(*) FROM message WHERE
	raw_sha256 = decode('$want', 'hex') AND ticket_id IS NOT NULL")" 1
eq "NUL in body" "$(q "SELECT body_text LIKE '%a NUL byte here:' || chr(65533) || ' end%'
	FROM message WHERE raw_sha256 = decode('$want', 'hex')")" t
eq "tables intact" "$(q "SELECT count(*) > 0 FROM ticket")" t
eq "nothing quarantined yet" "$(q "SELECT count(*) FROM quarantine")" 0

# a permanent failure to store quarantines the raw mail (exit 0) and
# leaves nothing half-written
q "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS
	\$\$ BEGIN IF NEW.subject = 'poison' THEN RAISE EXCEPTION 'poisoned'
	USING ERRCODE = '23514'; END IF; RETURN NEW; END \$\$;
	CREATE TRIGGER poison BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION poison()"
tickets=$(q "SELECT count(*) FROM ticket")
deliver "$data/poison.eml" || fail "deliver poison.eml"
want=$(sha256sum "$data/poison.eml" | cut -d' ' -f1)
eq "poison quarantined" "$(q "SELECT (reason LIKE 'store failed: %poisoned%') || ' ' ||
	encode(sha256(raw), 'hex') FROM quarantine")" "true $want"
eq "poison rolled back" "$(q "SELECT count(*) FROM ticket")" "$tickets"
eq "poison contact rolled back" "$(q "SELECT count(*) FROM contact WHERE email = 'grace@poison.example'")" 0
deliver "$data/poison.eml" || fail "deliver poison.eml again"
eq "poison quarantined once" "$(q "SELECT count(*) FROM quarantine")" 1
q "DROP TRIGGER poison ON message"
q "DELETE FROM quarantine"

# the database stopped: exit 75, nothing written; the retry stores once
pg_stop
rc=0
deliver "$data/tempfail.eml" || rc=$?
eq "exit while the database is down" "$rc" 75
pg_start_again
deliver "$data/tempfail.eml" || fail "retry after restart"
deliver "$data/tempfail.eml" || fail "second retry after restart"
eq "retry stored once" "$(q "SELECT count(*) FROM message WHERE message_id = 'retry-1@retry.example'")" 1
eq "retry one ticket" "$(q "SELECT count(*) FROM ticket WHERE subject = 'Delivered while the database was down'")" 1

# an oversized message is quarantined whole, never truncated
big=$PG_DIR/big.eml
{
	printf 'From: big@large.example\r\nTo: support@example.com\r\n'
	printf 'Subject: huge\r\nMessage-ID: <big@large.example>\r\n\r\n'
	head -c $((19 * 1024 * 1024)) /dev/zero | base64 -w 76
} >"$big"
size=$(stat -c %s "$big")
[ "$size" -gt $((25 * 1024 * 1024)) ] || fail "big.eml only $size bytes"
deliver <"$big" || fail "deliver big.eml"
want=$(sha256sum "$big" | cut -d' ' -f1)
eq "quarantined" "$(q "SELECT reason || ' ' || source || ' ' || envelope_to || ' ' ||
	length(raw) || ' ' || encode(sha256(raw), 'hex') || ' ' ||
	(raw_sha256 = sha256(raw)) FROM quarantine")" \
	"over size limit deliver support@example.com $size $want true"
eq "big not a message" "$(q "SELECT count(*) FROM message WHERE message_id = 'big@large.example'")" 0

# routing: by account status without a config, and by the config's
# address mapping (fixed departments, default tags, language) with one
q "INSERT INTO account (crm_id, name, status) VALUES ('c1', 'Paid Co', 'paid'), ('c2', 'Trial Co', 'trial');
	INSERT INTO account_domain (domain, account_id) SELECT 'paid.example', id FROM account WHERE crm_id = 'c1';
	INSERT INTO account_domain (domain, account_id) SELECT 'trial.example', id FROM account WHERE crm_id = 'c2'"
deliver "$data/trial.eml" || fail "deliver trial.eml"
eq "trial routing" "$(q "SELECT d.name || ' ' || a.crm_id FROM message m JOIN ticket t ON t.id = m.ticket_id
	JOIN department d ON d.id = t.department_id JOIN account a ON a.id = t.account_id
	WHERE m.message_id = 'trial-1@trial.example'")" "Trials c2"
mkdir "$PG_DIR/conf"
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$PG_DIR/conf/secret"
chmod 600 "$PG_DIR/conf/secret"
sed "s|^\( *conninfo = \).*|\1\"$PG_CONNINFO\";|" \
	"$(dirname "$0")/../../conf/ticketgate.conf.example" >"$PG_DIR/conf/tg.conf"
cdeliver() {
	"$bin" deliver -c "$PG_DIR/conf/tg.conf" "$@" 2>>"$PG_DIR/deliver.log"
}
cdeliver --to security@example.com "$data/security.eml" || fail "deliver security.eml"
cdeliver --to gdpr@example.com "$data/gdpr.eml" || fail "deliver gdpr.eml"
cdeliver --to suporte@example.com "$data/suporte.eml" || fail "deliver suporte.eml"
row() {
	q "SELECT d.name || '|' || array_to_string(t.tags, ',') || '|' || coalesce(t.language, '-') ||
		'|' || t.address || '|' || t.subject FROM message m JOIN ticket t ON t.id = m.ticket_id
		JOIN department d ON d.id = t.department_id WHERE m.message_id = '$1'"
}
eq "security" "$(row sec-1@infosec.example)" "Security||en|security@example.com|XSS in the login page"
eq "gdpr" "$(row gdpr-1@private.example)" \
	"Privacy|Privacy,Compliance|en|gdpr@example.com|Please delete my data"
eq "suporte" "$(row pt-1@paid.example)" "Paid Support||pt|suporte@example.com|Não consigo entrar"

# SLA: no account policy, so the default ("Community": first response in
# 1440 open minutes of Mon-Fri 09:00-18:00 Lisbon). The due time falls in
# opening hours on a weekday, at least 24 wall-clock hours later, and the
# resolution target comes after it.
sla=$(q "SELECT t.sla_policy || '|' ||
	(extract(isodow FROM t.first_response_due AT TIME ZONE 'Europe/Lisbon') BETWEEN 1 AND 5) || '|' ||
	((t.first_response_due AT TIME ZONE 'Europe/Lisbon')::time BETWEEN '09:00' AND '18:00') || '|' ||
	(t.first_response_due >= t.created_at + interval '24 hours') || '|' ||
	(t.resolution_due > t.first_response_due)
	FROM message m JOIN ticket t ON t.id = m.ticket_id WHERE m.message_id = 'sec-1@infosec.example'")
eq "sla due times" "$sla" "Community|true|true|true|true"

# with a config, the instance secret verifies reply tokens
nsec=$(q "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id
	WHERE m.message_id = 'sec-1@infosec.example'")
mac=$(mac_for "$PG_DIR/conf/secret" "$nsec" security@example.com)
sed "s/@NUMBER@/$nsec/; s/@MAC@/$mac/; s/support+/security+/; s/token-1@/token-2@/" \
	"$data/token.eml" >"$PG_DIR/token2.eml"
cdeliver --to "security+t$nsec.$mac@example.com" "$PG_DIR/token2.eml" || fail "deliver token2"
eq "config token" "$(q "SELECT t.number FROM message m JOIN ticket t
	ON t.id = m.ticket_id WHERE m.message_id = 'token-2@partner.example'")" "$nsec"

# usage errors
rc=0
"$bin" deliver "$data/new.eml" 2>/dev/null || rc=$?
eq "usage" "$rc" 64
echo "deliver: ok"
