#!/usr/bin/env bash
# Outbound mail end to end through Dovecot, PostgreSQL and an SMTP sink:
# the acknowledgement and its headers (English and Portuguese), none for
# automatic mail or a flood, none to a no-reply address; the feedback
# request on solved only; a 4xx retried and delivered once; a 5xx given up
# and recorded on the ticket; one batch with mixed outcomes; a crash
# between claim and send not sending twice.
set -euo pipefail
. "$(dirname "$0")/serve-lib.sh"
. "$(dirname "$0")/smtp.sh"
serve_setup "$1" "$2"
data=$3
smtp_start
serve_conf smtp=1
# a small flood limit for the flood case; agents' mail is trusted when our
# MTA (authserv-id mx.example.com) says DKIM passed for the From domain
sed -i -e 's|^\( *flood_messages = \).*|\13;|' \
	-e 's|^\( *message_bytes = \).*|\11048576;|' \
	-e 's|^\( *secret_file = "secret";\)|\1\n  trusted_authserv_id = "mx.example.com";\n  agent_tokens = true;|' "$CONF"
grep -q 'trusted_authserv_id = "mx.example.com"' "$CONF" || { echo "FAIL: conf"; exit 1; }
"$bin" agent add sam@example.com --name "Sam Agent" --conninfo "$PG_CONNINFO" >/dev/null
"$bin" agent add kim@example.com --name "Kim Agent" --conninfo "$PG_CONNINFO" >/dev/null
work=$PG_DIR/out
mkdir -p "$work"

once() { "$bin" serve -c "$CONF" --once >>"$LOG" 2>&1 || fail "serve --once: $(tail -3 "$LOG")"; }
# the spooled message sent to rcpt (exactly one expected)
sent_to() {
	local env
	env=$(grep -l "\"$1\"" "$SMTP_SPOOL"/*.env 2>/dev/null || true)
	[ "$(printf '%s\n' "$env" | grep -c .)" = 1 ] ||
		fail "expected one message to $1, found: $(printf '%s' "$env" | grep -c .)"
	echo "${env%.env}.eml"
}
count_to() { { grep -l "\"$1\"" "$SMTP_SPOOL"/*.env 2>/dev/null || true; } | grep -c . || true; }
header() { sed -n "s/^$1: //Ip" "$2" | head -1 | tr -d '\r'; }
ticket_of() { q "SELECT t.number FROM message m JOIN ticket t ON t.id = m.ticket_id WHERE m.message_id = '$1'"; }
state_of() { q "SELECT string_agg(o.state, ',' ORDER BY o.id) FROM outbox o JOIN ticket t ON t.id = o.ticket_id WHERE t.number = $1 AND o.kind = '$2'"; }

# --- the acknowledgement of a new ticket
put "$DV_USER" INBOX "$data/new.eml"
once
n=$(ticket_of new-1@customer.example)
ack=$(sent_to alice@customer.example)
eq "ack state" "$(state_of "$n" ack)" sent
eq "ack envelope" "$(/usr/bin/python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["from"], e["rcpts"])' "${ack%.eml}.env")" \
	"support@example.com ['alice@customer.example']"
eq "ack Auto-Submitted" "$(header Auto-Submitted "$ack")" auto-replied
eq "ack Precedence" "$(header Precedence "$ack")" bulk
eq "ack X-Auto-Response-Suppress" "$(header X-Auto-Response-Suppress "$ack")" All
[ -n "$(header X-Ticketgate-Loop "$ack")" ] || fail "ack without loop header"
eq "ack In-Reply-To" "$(header In-Reply-To "$ack")" "<new-1@customer.example>"
header Subject "$ack" | grep -q "\[#$n\]" || fail "ack subject: $(header Subject "$ack")"
eq "ack From" "$(header From "$ack")" "Example Support <support@example.com>"
header Reply-To "$ack" | grep -q "^support+t$n\.[a-z2-7]*@example.com$" ||
	fail "ack Reply-To: $(header Reply-To "$ack")"
grep -q "ticket #$n" "$ack" || fail "ack body"
grep -qi "^List-Unsubscribe" "$ack" && fail "ack has List-Unsubscribe"
# recorded on the ticket as our outbound message, so a reply to it threads
eq "ack recorded" "$(q "SELECT direction || ' ' || author_kind FROM message
	WHERE message_id = '$(header Message-ID "$ack" | tr -d '<>')'")" "outbound system"
# with what it says, for the ticket's history
eq "ack recorded with its text" "$(q "SELECT (subject LIKE '%[#$n]%') || ' ' ||
	(body_text LIKE '%ticket #$n%') || ' ' || (reply_text = body_text) FROM message
	WHERE message_id = '$(header Message-ID "$ack" | tr -d '<>')'")" "true true true"
# our own mail coming back (a forwarding loop adds a Received line) is a
# loop: kept, on no ticket, answered by nothing
{ printf 'Received: from loop.example by mx.example.com; Sun, 22 Nov 2026 10:00:00 +0000\r\n'; cat "$ack"; } >"$work/loop.eml"
put "$DV_USER" INBOX "$work/loop.eml"
once
eq "loop" "$(q "SELECT class || ' ' || (ticket_id IS NULL) FROM message WHERE direction = 'inbound'
	AND message_id = '$(header Message-ID "$ack" | tr -d '<>')'")" "loop true"
eq "nothing answers a loop" "$(smtp_messages)" 1

# --- Portuguese address: the acknowledgement in Portuguese
put "$DV_USER" INBOX "$data/suporte.eml"
once
pt=$(sent_to ana.silva@paid.example)
grep -q "Obrigado por nos contactar" "$pt" || fail "Portuguese ack: $(cat "$pt")"
eq "pt From" "$(header From "$pt")" "Suporte Example <suporte@example.com>"

# --- no acknowledgement to automatic mail, lists, bounces, a flood, or a
# no-reply address
before=$(smtp_messages)
put "$DV_USER" INBOX "$data/auto-reply.eml" "$data/bounce.eml" \
	"$(dirname "$0")/../data/class-mailing-list.eml"
for i in 1 2 3 4 5; do mail "flood-$i" robot@flood.example >"$work/f$i.eml"; done
put "$DV_USER" INBOX "$work"/f?.eml
mail noreply-1 noreply@shop.example >"$work/nr.eml"
put "$DV_USER" INBOX "$work/nr.eml"
once
eq "flood quarantined" "$(q "SELECT count(*) FROM quarantine WHERE kind = 'flood'")" 2
eq "acks to the flood" "$(count_to robot@flood.example)" 3
eq "no other mail" "$(smtp_messages)" $((before + 3))
nr=$(ticket_of serve-noreply-1@client.example)
eq "no-reply suppressed" "$(state_of "$nr" ack)" suppressed
eq "suppression recorded" "$(q "SELECT detail FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
	WHERE t.number = $nr AND e.kind = 'mail_suppressed'")" \
	"noreply@shop.example: a no-reply or bounce mailbox"

# rule 20: the same subject from one sender is acknowledged twice at most
for i in 1 2 3; do
	{
		printf 'From: Rita <rita@repeat.example>\r\nTo: support@example.com\r\n'
		printf 'Subject: Re: Printer broken\r\nMessage-ID: <repeat-%s@repeat.example>\r\n\r\nIt is broken.\r\n' "$i"
	} >"$work/repeat-$i.eml"
done
put "$DV_USER" INBOX "$work"/repeat-?.eml
once
eq "same subject acknowledged twice" "$(count_to rita@repeat.example)" 2
eq "third suppressed" "$(q "SELECT last_error FROM outbox WHERE state = 'suppressed'
	AND 'rita@repeat.example' = ANY (recipients)")" "rate limit: acknowledged the same subject twice already"

# --- feedback request: on solved only, once per solving
"$bin" ticket set "$n" --status solved -c "$CONF" >/dev/null 2>&1 || fail "solve"
once
fb=$(ls -t "$SMTP_SPOOL"/*.eml | head -1)
eq "feedback to" "$(count_to alice@customer.example)" 2
eq "feedback Auto-Submitted" "$(header Auto-Submitted "$fb")" auto-generated
eq "feedback state" "$(state_of "$n" feedback)" sent
"$bin" ticket set "$n" --status closed -c "$CONF" >/dev/null 2>&1 || fail "close"
pt_ticket=$(ticket_of pt-1@paid.example 2>/dev/null || true)
once
eq "closed sends nothing" "$(count_to alice@customer.example)" 2

# --- an agent's reply by email: authenticated, relayed to the requester
# and the Cc'd customer, threaded back to the customer's first mail; the
# ticket waits on the customer and the first answer is stamped
agent_mail() { # ID IN-REPLY-TO AUTH BODY...
	local id=$1 irt=$2 auth=$3
	shift 3
	{
		[ "$auth" = pass ] && printf 'Authentication-Results: mx.example.com; dkim=pass header.d=example.com\r\n'
		[ "$auth" = forged ] && printf 'Authentication-Results: mx.evil.example; dkim=pass header.d=example.com\r\n'
		# an agent's own address Bcc'd: the MTA shows it in Delivered-To
		case $auth in token:*) printf 'Delivered-To: %s\r\n' "${auth#token:}" ;; esac
		printf 'From: Sam Agent <sam@example.com>\r\nTo: support@example.com\r\n'
		printf 'Subject: Re: Case case-1\r\nMessage-ID: <%s@example.com>\r\n' "$id"
		printf 'In-Reply-To: <%s>\r\nDate: Sun, 22 Nov 2026 11:00:00 +0000\r\n\r\n' "$irt"
		printf '%s\r\n' "$@"
	} >"$work/$id.eml"
	put "$DV_USER" INBOX "$work/$id.eml"
}
{
	printf 'From: Carol <carol@case.example>\r\nTo: support@example.com\r\n'
	printf 'Cc: Dan <dan@case.example>\r\nSubject: Case case-1\r\n'
	printf 'Message-ID: <case-1@case.example>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHelp.\r\n'
} >"$work/case.eml"
put "$DV_USER" INBOX "$work/case.eml"
once
cn=$(ticket_of case-1@case.example)
agent_mail a1 case-1@case.example pass "Try turning it off and on again." "" "> Help."
once
relay=$(sent_to dan@case.example)
eq "relay rcpts" "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rcpts"])' "${relay%.eml}.env")" \
	"['carol@case.example', 'dan@case.example']"
grep -q "Try turning it off and on again." "$relay" || fail "relay body"
grep -q "^> Help" "$relay" && fail "relay kept the agent's quoted history"
header Auto-Submitted "$relay" | grep -q . && fail "a relayed reply is not automatic"
eq "relay In-Reply-To" "$(header In-Reply-To "$relay")" "<case-1@case.example>"
header References "$relay" | grep -q "^<case-1@case.example>" || fail "References: $(header References "$relay")"
eq "relay threads" "$(q "SELECT status || ' ' || (first_response_at IS NOT NULL) FROM ticket WHERE number = $cn")" \
	"pending true"
eq "first response event" "$(q "SELECT new_value FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
	WHERE t.number = $cn AND e.kind = 'first_response'")" met

# commands, all or none: one unknown command applies nothing, relays
# nothing, and the agent is told
agent_mail a2 case-1@case.example pass "#priority high" "#stauts solved" "" "Done."
once
eq "nothing applied" "$(q "SELECT priority FROM ticket WHERE number = $cn")" medium
err=$(sent_to sam@example.com)
grep -q "line 2: unknown command #stauts" "$err" || fail "command error mail: $(cat "$err")"
eq "not relayed" "$(count_to dan@case.example)" 1
# a note is relayed to no one; then every command at once
agent_mail a3 case-1@case.example pass "#note" "Customer is on the old plan."
due() { q "SELECT sla_policy IS NOT NULL, first_response_due, resolution_due FROM ticket WHERE number = $cn"; }
due_medium=$(due)
case $due_medium in t\|*) ;; *) fail "no SLA policy to count with: $due_medium" ;; esac
agent_mail a4 case-1@case.example pass "#priority urgent" "#assign kim@example.com" \
	"#tag billing" "#status solved" "" "Fixed in 2.1."
once
# urgent has shorter targets: #priority counts the due times again
eq "due times counted again" "$(q "SELECT first_response_due < '$(echo "$due_medium" | cut -d'|' -f2)'
	AND resolution_due < '$(echo "$due_medium" | cut -d'|' -f3)' FROM ticket WHERE number = $cn")" t
eq "note not relayed, reply relayed" "$(count_to dan@case.example)" 2
eq "commands applied" "$(q "SELECT t.priority || ' ' || a.email || ' ' || array_to_string(t.tags, ',') ||
	' ' || t.status FROM ticket t JOIN agent a ON a.id = t.assignee_id WHERE t.number = $cn")" \
	"urgent kim@example.com billing solved"
eq "feedback after #status solved" "$(state_of "$cn" feedback)" sent
grep -q "^#" "$(ls -t $(grep -l '"dan@case.example"' "$SMTP_SPOOL"/*.env | sed 's/env$/eml/') | head -1)" &&
	fail "command lines relayed"
# forged or missing authentication: an internal note, nothing else
agent_mail a5 case-1@case.example forged "#status open" "Hi, give me your password."
once
eq "forged: kept internal" "$(q "SELECT internal FROM message WHERE message_id = 'a5@example.com'")" t
eq "forged: nothing changed" "$(q "SELECT status FROM ticket WHERE number = $cn")" solved
eq "forged: relayed to no one" "$(count_to dan@case.example)" 2

# --- answers to the feedback request: a rating alone is stored and does
# not reopen; a rating with more to say is stored and reopens
fbid=$(q "SELECT o.message_id FROM outbox o JOIN ticket t ON t.id = o.ticket_id
	WHERE t.number = $cn AND o.kind = 'feedback'")
customer_reply() { # ID BODY...
	local id=$1
	shift
	{
		printf 'From: Carol <carol@case.example>\r\nTo: support@example.com\r\n'
		printf 'Subject: Re: [#%s] Case case-1\r\nMessage-ID: <%s@case.example>\r\n' "$cn" "$id"
		printf 'In-Reply-To: <%s>\r\nReferences: <case-1@case.example> <%s>\r\n\r\n' "$fbid" "$fbid"
		printf '%s\r\n' "$@"
	} >"$work/$id.eml"
	put "$DV_USER" INBOX "$work/$id.eml"
}
customer_reply r1 "Muito bom!" "" "> How did we do?"
once
eq "rating alone" "$(q "SELECT feedback_rating || ' ' || status FROM ticket WHERE number = $cn")" "5 solved"
customer_reply r2 "4" "" "But the printer jams again since this morning."
once
eq "rating and more" "$(q "SELECT feedback_rating || ' ' || status FROM ticket WHERE number = $cn")" "4 open"

# --- a bounce of our acknowledgement is recorded on its ticket and opens
# nothing
ackid=$(header Message-ID "$ack" | tr -d '<>')
tickets=$(q "SELECT count(*) FROM ticket")
sed "s/@ACK@/$ackid/" >"$work/dsn.eml" <<'DSN'
From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.customer.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

Your message could not be delivered.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; alice@customer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--b1
Content-Type: text/rfc822-headers

Message-ID: <@ACK@>
From: support@example.com
To: alice@customer.example

--b1--
DSN
put "$DV_USER" INBOX "$work/dsn.eml"
before=$(smtp_messages)
once
eq "bounce recorded" "$(q "SELECT e.new_value || ' ' || e.detail FROM ticket_event e JOIN ticket t
	ON t.id = e.ticket_id WHERE t.number = $n AND e.kind = 'bounce' ORDER BY e.id DESC LIMIT 1")" \
	"5.1.1 alice@customer.example: 550 5.1.1 User unknown"
eq "bounce opens nothing" "$(q "SELECT count(*) FROM ticket")" "$tickets"
eq "bounce answered by nothing" "$(smtp_messages)" "$before"

# --- a message over the size limit: quarantined whole, and its sender
# told once, from the null sender
{
	printf 'From: Big <big@large.example>\r\nTo: support@example.com\r\nSubject: huge\r\n'
	printf 'Message-ID: <big-1@large.example>\r\n\r\n'
	head -c 1200000 /dev/urandom | base64 -w 76
} >"$work/big.eml"
put "$DV_USER" INBOX "$work/big.eml"
once
eq "size quarantined" "$(q "SELECT count(*) FROM quarantine WHERE kind = 'size'")" 1
notice=$(sent_to big@large.example)
grep -q "larger than our limit of 1 MB" "$notice" || fail "size notice: $(cat "$notice")"
eq "notice envelope" "$(/usr/bin/python3 -c 'import json,sys; print(repr(json.load(open(sys.argv[1]))["from"]))' "${notice%.eml}.env")" "''"
eq "notice subject" "$(header Subject "$notice")" "Re: huge"

# --- 4xx: retried, delivered once
smtp_fail rcpt 'retry@*' 451 2
mail retry-1 retry@later.example >"$work/retry.eml"
put "$DV_USER" INBOX "$work/retry.eml"
once
rn=$(ticket_of serve-retry-1@client.example)
eq "after one 451" "$(q "SELECT o.state || ' ' || o.attempts || ' ' || (o.last_error LIKE '%451%')
	FROM outbox o JOIN ticket t ON t.id = o.ticket_id WHERE t.number = $rn")" "pending 1 true"
retry() { q "UPDATE outbox SET next_attempt_at = now() WHERE state = 'pending'" >/dev/null; once; }
retry
eq "after two 451" "$(state_of "$rn" ack)" pending
retry
eq "delivered" "$(state_of "$rn" ack)" sent
eq "delivered once" "$(count_to retry@later.example)" 1

# --- 5xx: given up at once, recorded with the server's reply
smtp_fail rcpt 'reject@*' 550 0
mail reject-1 reject@never.example >"$work/reject.eml"
put "$DV_USER" INBOX "$work/reject.eml"
once
jn=$(ticket_of serve-reject-1@client.example)
eq "given up" "$(state_of "$jn" ack)" failed
q "SELECT detail FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id
	WHERE t.number = $jn AND e.kind = 'delivery_failed'" | grep -q "550" ||
	fail "give-up not recorded with the reply"
eq "nothing delivered" "$(count_to reject@never.example)" 0

# --- one batch, mixed outcomes: a 451 and a 550 among accepted mail in
# the same SMTP session and transaction; each row gets its own outcome
smtp_fail rcpt 'mixdefer@*' 451 1
smtp_fail rcpt 'mixreject@*' 550 1
for who in mixa mixdefer mixb mixreject mixc; do
	mail "$who" "$who@mixed.example" >"$work/$who.eml"
	put "$DV_USER" INBOX "$work/$who.eml"
done
conns=$(smtp_connections)
once
mixed() { q "SELECT string_agg(split_part(recipients[1], '@', 1) || '=' || state, ' ' ORDER BY id)
	FROM outbox WHERE recipients[1] LIKE '%@mixed.example'"; }
eq "mixed batch" "$(mixed)" "mixa=sent mixdefer=pending mixb=sent mixreject=failed mixc=sent"
eq "one session for the batch" "$(($(smtp_connections) - conns))" 1
for who in mixa mixb mixc; do
	eq "$who delivered once" "$(count_to "$who@mixed.example")" 1
done
eq "mixed: sent rows recorded" "$(q "SELECT count(*) FROM message WHERE direction = 'outbound'
	AND to_addresses[1] IN ('mixa@mixed.example', 'mixb@mixed.example', 'mixc@mixed.example')")" 3
retry
eq "mixed: deferred row sent on retry" "$(mixed)" "mixa=sent mixdefer=sent mixb=sent mixreject=failed mixc=sent"
eq "mixed: nothing sent twice" "$(count_to mixa@mixed.example) $(count_to mixdefer@mixed.example)" "1 1"

# --- an agent's own signed address (instance.agent_tokens) vouches for
# the agent without Authentication-Results; another agent's does not
sam_token=$("$bin" agent -c "$CONF" token sam@example.com --address support@example.com)
kim_token=$("$bin" agent -c "$CONF" token kim@example.com)
case $sam_token in support+a.*@example.com) ;; *) fail "agent token: $sam_token" ;; esac
{
	printf 'From: Tom <tom@tok.example>\r\nTo: support@example.com\r\nSubject: Token case\r\n'
	printf 'Message-ID: <tok-1@tok.example>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHelp.\r\n'
} >"$work/tok.eml"
put "$DV_USER" INBOX "$work/tok.eml"
once
tn=$(ticket_of tok-1@tok.example)
agent_mail t1 tok-1@tok.example "token:$kim_token" "#priority high" "" "Sam's From, Kim's token."
once
eq "another agent's token: internal" "$(q "SELECT internal FROM message WHERE message_id = 't1@example.com'")" t
eq "another agent's token: nothing applied" "$(q "SELECT priority FROM ticket WHERE number = $tn")" medium
eq "another agent's token: relayed to no one" "$(count_to tom@tok.example)" 1
agent_mail t2 tok-1@tok.example "token:$sam_token" "#priority high" "" "Looking into it."
once
eq "own token: applied" "$(q "SELECT priority || ' ' || status FROM ticket WHERE number = $tn")" "high pending"
eq "own token: relayed" "$(count_to tom@tok.example)" 2
grep -l '"tom@tok.example"' "$SMTP_SPOOL"/*.env | sed 's/env$/eml/' | xargs grep -l "${sam_token%@*}" &&
	fail "the agent's token reached the customer"

# --- a crash while the row is claimed and the server has not answered
# DATA: nothing was accepted, and after the restart it is sent once
smtp_fail data 'crash@*' hang 1
mail crash-1 crash@kill.example >"$work/crash.eml"
put "$DV_USER" INBOX "$work/crash.eml"
"$bin" serve -c "$CONF" >>"$LOG" 2>&1 &
daemon=$!
for _ in $(seq 100); do
	[ "$(q "SELECT count(*) FROM outbox WHERE 'crash@kill.example' = ANY (recipients) AND raw IS NOT NULL")" = 1 ] && break
	sleep 0.1
done
sleep 1
kill -9 "$daemon"
wait "$daemon" 2>/dev/null || true
daemon=
eq "nothing accepted before the crash" "$(count_to crash@kill.example)" 0
smtp_fail_clear
once
eq "sent once after the crash" "$(count_to crash@kill.example)" 1
eq "crash row" "$(q "SELECT state FROM outbox WHERE 'crash@kill.example' = ANY (recipients)")" sent
echo "outbound: ok"
