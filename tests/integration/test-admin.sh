#!/usr/bin/env bash
# The admin commands against a real PostgreSQL: `accounts import` of a CRM
# export (counts, idempotent re-import, every bad line reported and nothing
# kept, imported domains routing delivered mail) and `agent add|list|remove`,
# with SQL metacharacters stored as typed.
set -euo pipefail
. "$(dirname "$0")/preamble.sh" "$@"

log=$PG_DIR/admin.log
fail() { echo "FAIL: $*"; tail -20 "$log" 2>/dev/null; exit 1; }
tg() { "$bin" "$@" --conninfo "$PG_CONNINFO" 2>>"$log"; }

"$bin" migrate --conninfo "$PG_CONNINFO" --schema-dir "$schema" >/dev/null
# the sample's one named policy; the others take the default
q "INSERT INTO sla_policy (name, calendar) VALUES ('Enterprise', '24x7')"

# the sample: BOM, CRLF, quotes, a newline inside a name
out=$(tg accounts import "$data/accounts.csv") || fail "import sample"
eq "import" "$out" "5 accounts imported (5 new, 0 updated), 6 domains, 3 contacts"
eq "accounts" "$(q "SELECT string_agg(crm_id || ':' || status || ':' ||
	coalesce(sla_policy, '-'), ',' ORDER BY crm_id) FROM account")" \
	"ACME-001:paid:Enterprise,COMMUNITY-005:community:-,GLOBEX-002:trial:-,HOOLI-004:potential_vip:-,INITECH-003:potential:-"
eq "quoted names" "$(q "SELECT name FROM account WHERE crm_id IN ('GLOBEX-002', 'INITECH-003')
	ORDER BY crm_id")" "Globex, Inc.
Initech \"TPS\" Reports"
eq "metachar name" "$(q "SELECT name FROM account WHERE crm_id = 'HOOLI-004'")" \
	"O'Hooli'; DROP TABLE account; --"
eq "multiline name" "$(q "SELECT name = E'Multi\\r\\nLine Co' FROM account
	WHERE crm_id = 'COMMUNITY-005'")" t
eq "domains" "$(q "SELECT string_agg(d.domain || '=' || a.crm_id, ',' ORDER BY d.domain)
	FROM account_domain d JOIN account a ON a.id = d.account_id")" \
	"acme-labs.example=ACME-001,acme-rockets.example=ACME-001,globex.example=GLOBEX-002,hooli.example=HOOLI-004,initech.example=INITECH-003,other.initech.example=INITECH-003"
eq "contacts" "$(q "SELECT string_agg(c.email || '=' || a.crm_id, ',' ORDER BY c.email)
	FROM contact c JOIN account a ON a.id = c.account_id")" \
	"bill@initech.example=INITECH-003,peter@initech.example=INITECH-003,wile@acme-rockets.example=ACME-001"

# importing the same file again changes nothing but the counts
before=$(q "SELECT string_agg(id || crm_id || name || status, ',' ORDER BY id) FROM account")
out=$(tg accounts import "$data/accounts.csv") || fail "re-import sample"
eq "re-import" "$out" "5 accounts imported (0 new, 5 updated), 6 domains, 3 contacts"
eq "re-import rows" "$(q "SELECT string_agg(id || crm_id || name || status, ',' ORDER BY id) FROM account")" "$before"
eq "re-import domains" "$(q "SELECT count(*) FROM account_domain")" 6

# an update: status and domains replaced, a domain moves between accounts
cat >"$PG_DIR/update.csv" <<'CSV'
crm_id,name,status,domains
GLOBEX-002,Globex,paid,globex.example hooli.example
HOOLI-004,Hooli,potential_vip,hooli-new.example
CSV
out=$(tg accounts import "$PG_DIR/update.csv") || fail "import update"
eq "update" "$out" "2 accounts imported (0 new, 2 updated), 3 domains, 0 contacts"
eq "moved domain" "$(q "SELECT a.crm_id || ':' || a.status FROM account_domain d
	JOIN account a ON a.id = d.account_id WHERE d.domain = 'hooli.example'")" "GLOBEX-002:paid"

# three bad lines: all reported with their line numbers, nothing imported
cat >"$PG_DIR/bad.csv" <<'CSV'
crm_id,name,status,domains
NEW-1,New One,paid,new-one.example
NEW-2,Bad Status,gold,new-two.example
NEW-3,Too,many,columns,here
NEW-1,Duplicate,trial,dup.example
NEW-4,Bad Domain,trial,not_a domain..example
CSV
snap=$(q "SELECT count(*) || '/' || (SELECT count(*) FROM account_domain) FROM account")
rc=0
"$bin" accounts import --conninfo "$PG_CONNINFO" "$PG_DIR/bad.csv" 2>"$PG_DIR/bad.err" || rc=$?
eq "bad exit" "$rc" 1
grep -q "bad.csv:3: unknown status \"gold\"" "$PG_DIR/bad.err" || fail "line 3: $(cat "$PG_DIR/bad.err")"
grep -q "bad.csv:4: 5 columns, the header has 4" "$PG_DIR/bad.err" || fail "line 4: $(cat "$PG_DIR/bad.err")"
grep -q "bad.csv:5: crm_id \"NEW-1\" already on line 2" "$PG_DIR/bad.err" || fail "line 5: $(cat "$PG_DIR/bad.err")"
grep -q "bad.csv:6: bad domain \"not_a\"" "$PG_DIR/bad.err" || fail "line 6: $(cat "$PG_DIR/bad.err")"
eq "bad imports nothing" "$(q "SELECT count(*) || '/' || (SELECT count(*) FROM account_domain) FROM account")" "$snap"

# problems only the database sees: a domain another account owns, an
# unknown policy; reported together, and the good line is rolled back
cat >"$PG_DIR/conflict.csv" <<'CSV'
crm_id,name,status,sla_policy,domains
NEW-5,Fine,trial,,fine.example
NEW-6,Thief,trial,,acme-rockets.example
NEW-7,Policy,paid,Platinum,platinum.example
CSV
rc=0
"$bin" accounts import --conninfo "$PG_CONNINFO" "$PG_DIR/conflict.csv" 2>"$PG_DIR/conflict.err" || rc=$?
eq "conflict exit" "$rc" 1
grep -q "conflict.csv:3: domain acme-rockets.example already belongs to account ACME-001" \
	"$PG_DIR/conflict.err" || fail "conflict: $(cat "$PG_DIR/conflict.err")"
grep -q "conflict.csv:4: unknown SLA policy \"Platinum\"" "$PG_DIR/conflict.err" ||
	fail "policy: $(cat "$PG_DIR/conflict.err")"
eq "conflict imports nothing" "$(q "SELECT count(*) FROM account WHERE crm_id LIKE 'NEW-%'")" 0

# invalid UTF-8 names its line
printf 'crm_id,name,status,domains\nU-1,Caf\xe9,paid,u.example\n' >"$PG_DIR/latin1.csv"
rc=0
"$bin" accounts import --conninfo "$PG_CONNINFO" "$PG_DIR/latin1.csv" 2>"$PG_DIR/latin1.err" || rc=$?
eq "latin1 exit" "$rc" 1
grep -q "latin1.csv:2: invalid UTF-8" "$PG_DIR/latin1.err" || fail "utf-8: $(cat "$PG_DIR/latin1.err")"

# an imported domain routes mail to its account: paid -> Paid Support
printf 'From: Wile <coyote@acme-labs.example>\r\nTo: support@example.com\r\nSubject: Rocket skates\r\nMessage-ID: <skates-1@acme-labs.example>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nThey do not stop.\r\n' \
	>"$PG_DIR/acme.eml"
"$bin" deliver --conninfo "$PG_CONNINFO" --to support@example.com "$PG_DIR/acme.eml" 2>>"$log" ||
	fail "deliver acme.eml"
eq "routing" "$(q "SELECT a.crm_id || ' ' || d.name FROM message m JOIN ticket t ON t.id = m.ticket_id
	JOIN account a ON a.id = t.account_id JOIN department d ON d.id = t.department_id
	WHERE m.message_id = 'skates-1@acme-labs.example'")" "ACME-001 Paid Support"

# agents: add (department created on demand), update, list, remove
eq "agent add" "$(tg agent add Sam@Example.com --name "Sam O'Brien\"; DELETE FROM agent; --" \
	--department "Tier 2')--")" "agent sam@example.com added"
eq "agent stored" "$(q "SELECT a.name || '|' || d.name FROM agent a JOIN department d
	ON d.id = a.department_id WHERE a.email = 'sam@example.com'")" \
	"Sam O'Brien\"; DELETE FROM agent; --|Tier 2')--"
eq "agent add 2" "$(tg agent add kim@example.com)" "agent kim@example.com added"
eq "agent update" "$(tg agent add kim@example.com --department 'Paid Support')" \
	"agent kim@example.com updated"
eq "agent list" "$(tg agent list)" "kim@example.com		Paid Support	active
sam@example.com	Sam O'Brien\"; DELETE FROM agent; --	Tier 2')--	active"
json=$(tg agent list --json)
python3 -c 'import json, sys
v = json.loads(sys.argv[1])
assert [a["email"] for a in v] == ["kim@example.com", "sam@example.com"], v
assert v[1]["name"] == "Sam O'"'"'Brien\"; DELETE FROM agent; --", v
assert v[0]["department"] == "Paid Support" and v[0]["active"] is True, v' "$json" ||
	fail "agent list --json: $json"
# an agent's message keeps its text when the agent goes
q "INSERT INTO message (direction, author_kind, agent_id, raw, raw_sha256, source)
	SELECT 'outbound', 'agent', id, '\\x00', '\\x00', 'test' FROM agent WHERE email = 'kim@example.com'"
eq "agent remove" "$(tg agent remove KIM@example.com)" "agent kim@example.com removed"
eq "agent gone" "$(q "SELECT count(*) FROM agent WHERE email = 'kim@example.com'")" 0
eq "message kept" "$(q "SELECT count(*) FROM message WHERE source = 'test' AND agent_id IS NULL")" 1
rc=0
tg agent remove kim@example.com >/dev/null || rc=$?
eq "remove missing" "$rc" 1
eq "empty json" "$(q "DELETE FROM agent"; tg agent list --json)" "[]"

# usage errors
rc=0
"$bin" agent add not-an-address --conninfo "$PG_CONNINFO" 2>/dev/null || rc=$?
eq "bad address" "$rc" 64
rc=0
"$bin" accounts import 2>/dev/null || rc=$?
eq "usage" "$rc" 64
echo "admin: ok"
