#!/usr/bin/env bash
# Quick start: install what ticketgate needs, build it, start a throwaway
# PostgreSQL under build/quickstart, migrate, import sample accounts,
# deliver sample mail the way an MTA would, and print the tickets.
# Everything it starts is stopped and removed when it ends.
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
pg_start
echo "== PostgreSQL on 127.0.0.1:$PG_PORT, data in $PG_DIR"

conf=$PG_DIR/ticketgate.conf
sed "s|^  conninfo = .*|  conninfo = \"$PG_CONNINFO\";|" \
	"$top/conf/ticketgate.conf.example" >"$conf"
head -c 48 /dev/urandom >"$PG_DIR/secret"
chmod 600 "$PG_DIR/secret"

step() { echo; echo "== $*"; }
deliver() { # ADDRESS FILE
	printf '%-26s %-22s ' "$1" "$(basename "$2")"
	"$tg" deliver -c "$conf" --to "$1" "$2" 2>&1
}

step "ticketgate check-config"
"$tg" check-config -c "$conf"
step "ticketgate migrate"
"$tg" migrate -c "$conf" --schema-dir "$top/schema"
step "ticketgate accounts import contrib/quickstart/accounts.csv"
"$tg" accounts import -c "$conf" "$top/contrib/quickstart/accounts.csv"

step "ticketgate deliver (as an MTA runs it, one message each)"
deliver support@example.com "$mail/new.eml"
first=$("$tg" ticket list -c "$conf" --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["number"])')
sed "s/@NUMBER@/$first/g" "$mail/reply.eml" >"$PG_DIR/reply.eml"
deliver support@example.com "$PG_DIR/reply.eml"
deliver support@example.com "$mail/new.eml"            # an MTA retry: stored once
deliver support@example.com "$mail/solve-start.eml"
deliver support@example.com "$mail/auto-reply.eml"     # recorded, acknowledged by no one
deliver suporte@example.com "$mail/suporte.eml"        # Portuguese address
deliver security@example.com "$mail/security.eml"      # fixed department
deliver gdpr@example.com "$mail/gdpr.eml"              # default tags
deliver support@example.com "$mail/trial.eml"          # routed by a trial account
"$tg" ticket set -c "$conf" "$first" --status closed
deliver support@example.com "$mail/after-close.eml"    # closed: a new, linked ticket
deliver support@example.com "$mail/bounce.eml"         # a bounce opens nothing

step "ticketgate ticket list"
"$tg" ticket list -c "$conf"
step "ticketgate ticket show $first"
"$tg" ticket show -c "$conf" "$first"
