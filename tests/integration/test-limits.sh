#!/usr/bin/env bash
# The pipeline's limits against a real PostgreSQL: a flood from one sender
# is quarantined (agents never count) and stays so, reprocess lets an entry
# through; reopens by mail per ticket per hour; mail hitting a parser limit
# is quarantined whole; an agent sending as support@ is not a loop.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

log=$PG_DIR/deliver.log
fail() { echo "FAIL: $*"; tail -5 "$log" 2>/dev/null; exit 1; }

"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null
mkdir "$PG_DIR/conf"
head -c 48 /dev/urandom | base64 | tr -d '\n' >"$PG_DIR/conf/secret"
chmod 600 "$PG_DIR/conf/secret"
# the example config with small limits: 3 messages per 10 minutes, one
# reopen per hour
sed -e "s|^\( *conninfo = \).*|\1\"$PG_CONNINFO\";|" \
	-e "s|^\( *flood_messages = \).*|\13;|" \
	-e "s|^\( *reopens_per_hour = \).*|\11;|" \
	"$(dirname "$0")/../../conf/ticketgate.conf.example" >"$PG_DIR/conf/tg.conf"
"$bin" check-config -c "$PG_DIR/conf/tg.conf" >/dev/null 2>&1 ||
	fail "config: $("$bin" check-config -c "$PG_DIR/conf/tg.conf" 2>&1)"
deliver() {
	"$bin" deliver -c "$PG_DIR/conf/tg.conf" --to support@example.com "$@" \
		2>>"$log"
}
# mail N from FROM, optionally In-Reply-To
mail() {
	printf 'From: %s\r\nTo: support@example.com\r\nSubject: %s\r\n' "$1" "$3"
	printf 'Message-ID: <%s@test.example>\r\n' "$2"
	[ -z "${4:-}" ] || printf 'In-Reply-To: <%s@test.example>\r\n' "$4"
	printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nBody %s\r\n' "$2"
}

# --- flood: the 4th mail within 10 minutes is quarantined, and so is
# every later one while the flood lasts
for i in 1 2 3 4 5; do
	mail robot@loop.example "flood-$i" "Flood $i" | deliver || fail "deliver flood-$i"
done
eq "stored before the flood" "$(q "SELECT count(*) FROM message WHERE from_address = 'robot@loop.example'")" 3
eq "flood quarantined" "$(q "SELECT count(*) || ' ' || min(kind) || ' ' || min(from_address)
	FROM quarantine WHERE kind = 'flood'")" "2 flood robot@loop.example"
grep -q "quarantined: flood: more than 3 messages from one sender in 10 minutes" "$log" ||
	fail "deliver did not say why"
# a retry of a quarantined flood mail is not added twice
mail robot@loop.example flood-5 "Flood 5" | deliver || fail "retry flood-5"
eq "flood retry" "$(q "SELECT count(*) FROM quarantine WHERE kind = 'flood'")" 2
# another sender is not affected
mail carol@other.example other-1 "Hello" | deliver || fail "deliver other-1"
eq "other sender" "$(q "SELECT count(*) FROM message WHERE from_address = 'carol@other.example'")" 1
# an admin's reprocess lets an entry through
fid=$(q "SELECT min(id) FROM quarantine WHERE kind = 'flood'")
"$bin" quarantine -c "$PG_DIR/conf/tg.conf" reprocess "$fid" >/dev/null 2>>"$log" ||
	fail "reprocess flood entry"
eq "reprocessed" "$(q "SELECT count(*) FROM message WHERE from_address = 'robot@loop.example'")" 4
# agents are never a flood
"$bin" agent --conninfo "$PG_CONNINFO" add dave@example.com --name Dave 2>>"$log" >/dev/null ||
	fail "agent add"
for i in 1 2 3 4 5; do
	mail dave@example.com "agent-$i" "Agent $i" other-1 | deliver || fail "deliver agent-$i"
done
eq "agent mail stored" "$(q "SELECT count(*) FROM message WHERE author_kind = 'agent'")" 5

# --- reopen limit: one reopen by mail per ticket per hour
mail erin@reopen.example reopen-0 "Printer" | deliver || fail "deliver reopen-0"
n=$(q "SELECT t.number FROM ticket t JOIN message m ON m.ticket_id = t.id
	WHERE m.message_id = 'reopen-0@test.example'")
"$bin" ticket set "$n" --status solved --conninfo "$PG_CONNINFO" 2>>"$log" || fail "solve"
mail erin@reopen.example reopen-1 "Re: Printer" reopen-0 | deliver || fail "deliver reopen-1"
eq "first reopen" "$(q "SELECT status FROM ticket WHERE number = $n")" open
"$bin" ticket set "$n" --status solved --conninfo "$PG_CONNINFO" 2>>"$log" || fail "solve again"
mail erin@reopen.example reopen-2 "Re: Printer" reopen-0 | deliver || fail "deliver reopen-2"
eq "second reopen held back" "$(q "SELECT status FROM ticket WHERE number = $n")" solved
eq "but recorded" "$(q "SELECT count(*) FROM message m JOIN ticket t ON t.id = m.ticket_id
	WHERE t.number = $n")" 3
grep -q "append-reopen-limit ticket=$n" "$log" || fail "deliver did not say reopen limit"

# --- a parser limit: 1,500 header fields (the limit is 1,000)
big=$PG_DIR/headers.eml
{
	printf 'From: frank@limits.example\r\nTo: support@example.com\r\n'
	printf 'Subject: many headers\r\nMessage-ID: <hdr@test.example>\r\n'
	for i in $(seq 1500); do printf 'X-Filler-%d: %d\r\n' "$i" "$i"; done
	printf '\r\nbody\r\n'
} >"$big"
deliver "$big" || fail "deliver headers.eml"
eq "limit quarantined" "$(q "SELECT kind || '|' || reason || '|' || from_address || '|' ||
	(encode(sha256(raw), 'hex') = '$(sha256sum <"$big" | cut -d' ' -f1)') FROM quarantine WHERE kind = 'limit'")" \
	"limit|parser limit: header count|frank@limits.example|true"
eq "limit not stored" "$(q "SELECT count(*) FROM message WHERE message_id = 'hdr@test.example'")" 0

# --- rule 3 spares agents: From support@ with Sender: an agent
{
	printf 'From: Support <support@example.com>\r\nSender: dave@example.com\r\n'
	printf 'To: carol@other.example\r\nSubject: Re: Hello\r\n'
	printf 'Message-ID: <as-support@test.example>\r\n'
	printf 'In-Reply-To: <other-1@test.example>\r\n\r\nAnswer.\r\n'
} | deliver || fail "deliver as support"
eq "agent as support" "$(q "SELECT class || ' ' || author_kind || ' ' || (ticket_id IS NOT NULL)
	FROM message WHERE message_id = 'as-support@test.example'")" "normal agent true"
# the same from a stranger is our own loop
{
	printf 'From: Support <support@example.com>\r\nSender: mallory@evil.example\r\n'
	printf 'To: carol@other.example\r\nSubject: Re: Hello\r\n'
	printf 'Message-ID: <forged@test.example>\r\n'
	printf 'In-Reply-To: <other-1@test.example>\r\n\r\nAnswer.\r\n'
} | deliver || fail "deliver forged"
eq "stranger as support" "$(q "SELECT class || ' ' || author_kind || ' ' || (ticket_id IS NULL)
	FROM message WHERE message_id = 'forged@test.example'")" "loop system true"
echo "limits: ok"
