#!/usr/bin/env bash
# outbound.sh — outbox sender benchmark: how fast `ticketgate serve --once`
# drains an outbox of TG_BENCH_OUTBOX rows into Postfix's smtp-sink over
# one reused SMTP session, and what Postfix's own smtp-source reaches
# against the same sink with messages of the same bytes, in the same run.
# See README.md.
#
#   bash bench/outbound.sh [BUILD_DIR]   # default: build/release, built if needed
#
# Each run drains fresh outboxes (a fresh database each) of the kinds in
# TG_BENCH_KINDS:
#   ack        acknowledgements of new tickets, composed by the sender from
#              the shipped template (policy check, template, compose, send)
#   send-only  rows already composed (raw and Message-ID set), of about
#              TG_BENCH_SIZE bytes: claim, send, mark sent
#   reply      (not by default, to keep a run near 10 minutes) agents'
#              replies relayed to the customer, about TG_BENCH_SIZE bytes
#              once composed (template, compose, send)
# then smtp-source sends TG_BENCH_OUTBOX messages of the ack's and of the
# send-only rows' exact bytes over 1 session, and over 4.
#
# PostgreSQL is private and durable as in production (fsync,
# synchronous_commit, full_page_writes on). Every measurement first waits
# until the 1-minute load average is below TG_BENCH_LOAD_MAX (1.5), polling
# every 10 s, for at most TG_BENCH_LOAD_WAIT seconds (1800) over the whole
# benchmark, and records the load it started at.
# Knobs: TG_BENCH_RUNS (3), TG_BENCH_OUTBOX (10000), TG_BENCH_SIZE (4096),
# TG_BENCH_KINDS ("ack send-only"), TG_BENCH_BATCH (smtp.batch; default
# the configuration's), TG_BENCH_OUT (bench/out), PG_BIN.
# Installs Debian's postfix package (for smtp-sink and smtp-source) when
# missing, configured as "No configuration" so that no MTA runs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TG_BENCH_OUT:-$REPO/bench/out}/outbound
RUNS=${TG_BENCH_RUNS:-3}
COUNT=${TG_BENCH_OUTBOX:-10000}
SIZE=${TG_BENCH_SIZE:-4096}
KINDS=${TG_BENCH_KINDS:-ack send-only}
BATCH=${TG_BENCH_BATCH:-}
LOAD_MAX=${TG_BENCH_LOAD_MAX:-1.5}
LOAD_WAIT=${TG_BENCH_LOAD_WAIT:-1800}
RESULTS=$OUT/results.md
SINK=/usr/sbin/smtp-sink
SOURCE=/usr/sbin/smtp-source

log() { printf '[outbound %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

mkdir -p "$OUT"
rm -f "$OUT/runs.txt"

# --- tools ------------------------------------------------------------------

as_root() {
	if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# smtp-sink and smtp-source ship only in the postfix package. Installed
# with "No configuration" and checked afterwards: the benchmark must not
# leave a system MTA listening on port 25.
ensure_postfix() {
	[[ -x $SINK && -x $SOURCE ]] && return 0
	log "installing postfix for smtp-sink and smtp-source"
	echo "postfix postfix/main_mailer_type select No configuration" |
		as_root debconf-set-selections
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		-o DPkg::Lock::Timeout=600 postfix >"$OUT/apt.log" 2>&1 || {
		as_root apt-get update >>"$OUT/apt.log" 2>&1
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
			-o DPkg::Lock::Timeout=600 postfix >>"$OUT/apt.log" 2>&1
	} || {
		tail -20 "$OUT/apt.log" >&2
		die "cannot install postfix"
	}
	if as_root /usr/sbin/postfix status >/dev/null 2>&1; then
		log "the package started Postfix: stopping it"
		as_root /usr/sbin/postfix stop >/dev/null 2>&1 || true
	fi
	[[ -x $SINK && -x $SOURCE ]] || die "postfix has no $SINK or $SOURCE"
}


# --- the servers ------------------------------------------------------------

# shellcheck source=../tests/integration/pg.sh
. "$REPO/tests/integration/pg.sh"

# shellcheck source=bench-lib.sh
. "$REPO/bench/bench-lib.sh"
q() { psql_on ticketgate_test -c "$1"; }

SINK_PID=
cleanup() {
	if [[ -n $SINK_PID ]]; then
		kill "$SINK_PID" 2>/dev/null || true
		wait "$SINK_PID" 2>/dev/null || true
	fi
	pg_cleanup
}

servers_up() {
	pg_start
	trap cleanup EXIT
	[[ $(q 'SHOW fsync') == on && $(q 'SHOW synchronous_commit') == on &&
		$(q 'SHOW full_page_writes') == on ]] || die "PostgreSQL is not durable"
	SINK_PORT=$(pg_free_port)
	# -c: counters of sessions and messages, updated as they end, so the
	# drains can be checked; as root smtp-sink must drop to a user (-u)
	local user=()
	[[ $(id -u) == 0 ]] && user=(-u nobody)
	"$SINK" -c "${user[@]}" "127.0.0.1:$SINK_PORT" 1000 >"$OUT/sink.out" 2>&1 &
	SINK_PID=$!
	for _ in $(seq 100); do
		(: <>"/dev/tcp/127.0.0.1/$SINK_PORT") 2>/dev/null && break
		sleep 0.05
	done
	kill -0 "$SINK_PID" 2>/dev/null || die "smtp-sink did not start: $(cat "$OUT/sink.out")"
	# that probe was one session
	wait_sink 1 0
}

# The sink's latest "sess=S quit=Q mesg=M" as "S M". Records end in CR.
sink_counts() {
	tr '\r' '\n' <"$OUT/sink.out" | awk -F'[ =]' '/^sess=/ { s = $2; m = $6 } END { print s + 0, m + 0 }'
}

# Until the sink has counted SESS sessions and MESG messages in all (it
# writes a record when a session ends, shortly after the client's QUIT).
wait_sink() {
	local got
	for _ in $(seq 100); do
		got=$(sink_counts)
		[[ $got == "$1 $2" ]] && return 0
		sleep 0.05
	done
	die "smtp-sink counted '$got' (sessions messages), expected '$1 $2'"
}

# --- the database -----------------------------------------------------------

fresh_database() {
	psql_on postgres -c 'DROP DATABASE IF EXISTS ticketgate_test WITH (FORCE)' \
		-c 'CREATE DATABASE ticketgate_test'
	"$TG" migrate --conninfo "$PG_CONNINFO" --schema-dir "$REPO/schema" >/dev/null
}

# The shipped reference configuration, pointed at the private servers; the
# per-recipient limit on automatic mail raised to its maximum (every row has
# its own recipient anyway), so that no row is suppressed.
write_conf() {
	CONF_DIR=$OUT/conf
	mkdir -p "$CONF_DIR"
	[[ -s $CONF_DIR/secret ]] || head -c 48 /dev/urandom | base64 | tr -d '\n' >"$CONF_DIR/secret"
	chmod 600 "$CONF_DIR/secret"
	CONF=$CONF_DIR/ticketgate.conf
	sed -e "s|^\( *conninfo = \).*|\1\"$PG_CONNINFO\";|" \
		-e 's|^\( *autoreply_per_recipient = \)[0-9]*;|\110000;|' \
		"$REPO/conf/ticketgate.conf.example" >"$CONF"
	cat >>"$CONF" <<-EOF
		smtp = { host = "127.0.0.1"; port = $SINK_PORT; security = "plain";${BATCH:+ batch = $BATCH;} };
		templates_dir = "$REPO/conf/templates";
	EOF
	grep -q "autoreply_per_recipient = 10000;" "$CONF" || die "cannot set the rate limit in $CONF"
	"$TG" check-config -c "$CONF" >"$OUT/check-config.txt" 2>&1 ||
		{ cat "$OUT/check-config.txt" >&2; die "configuration refused"; }
}

# COUNT new tickets, each from its own customer with the mail that opened
# it, as ingest leaves them; then the outbox rows of KIND for them:
#   ack        what ingest writes: composed by the sender
#   reply      an agent's answer (detail) to relay, about SIZE bytes composed
#   send-only  an acknowledgement already composed: Message-ID and SIZE bytes
# ANALYZE, as autovacuum would have done on a table this size.
fill() {
	psql_on ticketgate_test -v n="$COUNT" -v kind="$1" -v size="$SIZE" >/dev/null <<-'SQL'
		BEGIN;
		INSERT INTO department (name) VALUES ('Community');
		INSERT INTO contact (email, name)
		SELECT format('customer%s@client%s.example', g, g % 97), format('Customer %s', g)
		FROM generate_series(1, :n) g;
		INSERT INTO ticket (subject, channel, department_id, requester_id, address,
		                    language, first_response_due, resolution_due)
		SELECT format('Invoice %s was charged twice', c.id), 'email',
		       (SELECT id FROM department), c.id, 'support@example.com', 'en',
		       now() + interval '8 hours', now() + interval '5 days'
		FROM contact c ORDER BY c.id;
		INSERT INTO participant (ticket_id, contact_id, role)
		SELECT id, requester_id, 'requester' FROM ticket;
		INSERT INTO message (ticket_id, direction, author_kind, contact_id, message_id,
		                     from_address, from_name, to_addresses, subject,
		                     body_text, reply_text, raw, raw_sha256, source)
		SELECT t.id, 'inbound', 'customer', c.id, format('case-%s@client.example', t.id),
		       c.email, c.name, ARRAY['support@example.com'], t.subject, b.text, b.text,
		       convert_to(b.raw, 'UTF8'), sha256(convert_to(b.raw, 'UTF8')), 'deliver'
		FROM ticket t JOIN contact c ON c.id = t.requester_id,
		LATERAL (SELECT 'Hello, my invoice was charged twice this month.' AS text,
		         format(E'From: %s <%s>\r\nTo: support@example.com\r\nSubject: %s\r\n'
		                || E'Message-ID: <case-%s@client.example>\r\n\r\n'
		                || E'Hello, my invoice was charged twice this month.\r\n',
		                c.name, c.email, t.subject, t.id) AS raw) b;
		-- ~74-byte lines of text, enough of them for about :size bytes
		CREATE TEMP TABLE filler AS
		SELECT string_agg(format('Line %s of the text: the quick brown fox jumps over the lazy dog %s.',
		                         lpad(g::text, 3, '0'), lpad((g * 7 % 1000)::text, 3, '0')),
		                  E'\r\n' ORDER BY g) AS body
		FROM generate_series(1, greatest(1, (:size - 700) / 74)) g;
		INSERT INTO outbox (kind, ticket_id, cause_id, recipients, address, detail,
		                    message_id, raw)
		SELECT CASE WHEN :'kind' = 'reply' THEN 'reply' ELSE 'ack' END, m.ticket_id,
		       m.id, ARRAY[m.from_address], 'support@example.com',
		       CASE WHEN :'kind' = 'reply' THEN (SELECT body FROM filler) END,
		       CASE WHEN :'kind' = 'send-only' THEN format('bench-%s@example.com', m.ticket_id) END,
		       CASE WHEN :'kind' = 'send-only' THEN convert_to(format(
		         E'From: Example Support <support@example.com>\r\n'
		         || E'To: %s <%s>\r\n'
		         || E'Subject: [#%s] Re: %s\r\n'
		         || E'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n'
		         || E'Message-ID: <bench-%s@example.com>\r\n'
		         || E'In-Reply-To: <case-%s@client.example>\r\n'
		         || E'References: <case-%s@client.example>\r\n'
		         || E'Reply-To: support+t%s.abcdefghijklmnop@example.com\r\n'
		         || E'Auto-Submitted: auto-replied\r\n'
		         || E'Precedence: bulk\r\n'
		         || E'X-Auto-Response-Suppress: All\r\n'
		         || E'X-Ticketgate-Loop: helpdesk1\r\n'
		         || E'MIME-Version: 1.0\r\n'
		         || E'Content-Type: text/plain; charset=utf-8\r\n'
		         || E'Content-Transfer-Encoding: 7bit\r\n'
		         || E'\r\n%s\r\n',
		         m.from_name, m.from_address, t.number, t.subject, m.ticket_id,
		         m.ticket_id, m.ticket_id, t.number, (SELECT body FROM filler)), 'UTF8') END
		FROM message m JOIN ticket t ON t.id = m.ticket_id ORDER BY m.id;
		COMMIT;
		VACUUM ANALYZE;
	SQL
	[[ $(q "SELECT count(*) FROM outbox WHERE state = 'pending'") == "$COUNT" ]] ||
		die "the outbox holds $(q 'SELECT count(*) FROM outbox') rows, not $COUNT"
}

# --- measuring --------------------------------------------------------------

# Waits until the machine is quiet enough to measure (other jobs stretch
# every wall time), within one budget for the whole benchmark so that a
# busy machine cannot hold it for hours; LOAD is the 1-minute load average
# at the measurement's start.
WAITED=0
wait_quiet() {
	local n=0
	while :; do
		LOAD=$(cut -d' ' -f1 /proc/loadavg)
		awk -v l="$LOAD" -v m="$LOAD_MAX" 'BEGIN { exit !(l < m) }' && return 0
		if ((WAITED >= LOAD_WAIT)); then
			log "load $LOAD >= $LOAD_MAX and $LOAD_WAIT s waited in all: measuring anyway"
			return 0
		fi
		((n++ % 6 == 0)) && log "load $LOAD: waiting until it is below $LOAD_MAX"
		sleep 10
		WAITED=$((WAITED + 10))
	done
}

# Writes out what the fill left dirty, so that the drain does not pay for it.
settle() {
	psql_on postgres -c CHECKPOINT
	sync
}

# CPU seconds used so far by PostgreSQL: the postmaster, its live children
# (backends, WAL writer, checkpointer) and the children it has reaped.
pg_cpu() {
	local tck p t=0
	tck=$(getconf CLK_TCK)
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_PID/stat")
	for p in $(pgrep -P "$PG_PID"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}
sink_cpu() { awk -v k="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / k }' "/proc/$SINK_PID/stat"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# One drain of the outbox by `serve --once`. Prints "seconds serve_cpu
# pg_cpu sink_cpu sessions send_seconds bytes wal_syncs_per_message"
# (WAL flushes: what a durable commit waits for) after checking that every
# row was sent, recorded as a message of its ticket, and counted by the
# sink, over one SMTP session.
drain() {
	local kind=$1 s0 m0 t0 t1 p0 p1 k0 k1 w0 w1 sess res send bytes
	read -r s0 m0 < <(sink_counts)
	w0=$(q 'SELECT wal_sync FROM pg_stat_wal')
	p0=$(pg_cpu)
	k0=$(sink_cpu)
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$OUT/time.txt" \
		"$TG" serve -c "$CONF" --once >"$OUT/serve-$kind.log" 2>&1 ||
		{ tail -20 "$OUT/serve-$kind.log" >&2; die "serve --once failed"; }
	t1=$(date +%s.%N)
	p1=$(pg_cpu)
	k1=$(sink_cpu)
	w1=$(q 'SELECT wal_sync FROM pg_stat_wal')
	wait_sink "$((s0 + 1))" "$((m0 + COUNT))"
	read -r sess _ < <(sink_counts)
	res=$(q "SELECT count(*) FILTER (WHERE state = 'sent') || ' ' || count(*) FROM outbox")
	[[ $res == "$COUNT $COUNT" ]] || die "$kind: outbox sent/all: $res, expected $COUNT"
	res=$(q "SELECT count(*) FROM message WHERE direction = 'outbound' AND source = 'outbox'")
	[[ $res == "$COUNT" ]] || die "$kind: $res outbound messages recorded, expected $COUNT"
	# the send phase alone: sent_at is the time each row was claimed
	send=$(q "SELECT round(extract(epoch FROM max(sent_at) - min(sent_at))::numeric
		* $COUNT / greatest($COUNT - 1, 1), 3) FROM outbox")
	bytes=$(q "SELECT round(avg(length(raw))) FROM outbox")
	echo "$(elapsed "$t0" "$t1") $(awk '{ printf "%.2f", $1 + $2 }' "$OUT/time.txt")" \
		"$(sub "$p0" "$p1") $(sub "$k0" "$k1") $((sess - s0)) $send $bytes" \
		"$(awk -v a="$w0" -v b="$w1" -v n="$COUNT" 'BEGIN { printf "%.2f", (b - a) / n }')"
}

# smtp-source over SESSIONS sessions with the bytes of FILE (LF lines: it
# adds the CRLF); prints "seconds source_cpu sink_cpu sessions".
source_run() {
	local sessions=$1 file=$2 s0 m0 t0 t1 k0 k1 sess
	read -r s0 m0 < <(sink_counts)
	k0=$(sink_cpu)
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$OUT/time.txt" \
		"$SOURCE" -d -s "$sessions" -m "$COUNT" -F "$file" \
		-f support@example.com -t customer@client.example "127.0.0.1:$SINK_PORT" ||
		die "smtp-source failed"
	t1=$(date +%s.%N)
	k1=$(sink_cpu)
	wait_sink "$((s0 + sessions))" "$((m0 + COUNT))"
	read -r sess _ < <(sink_counts)
	echo "$(elapsed "$t0" "$t1") $(awk '{ printf "%.2f", $1 + $2 }' "$OUT/time.txt")" \
		"$(sub "$k0" "$k1") $((sess - s0))"
}

# One composed message of the last drain, for smtp-source: CRLF made LF.
sample_message() {
	q "SELECT encode(raw, 'base64') FROM outbox ORDER BY id LIMIT 1" |
		base64 -d | tr -d '\r' >"$OUT/sample-$1.eml"
}

rate() { awk -v n="$COUNT" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# runs.txt, one line per measurement:
#   run what load seconds cpu_client pg_cpu sink_cpu sessions send_s bytes
#   wal_syncs_per_message
measure() {
	local r kind res s
	for r in $(seq "$RUNS"); do
		for kind in $KINDS; do
			fresh_database
			fill "$kind"
			settle
			wait_quiet
			log "run $r $kind: draining $COUNT rows (load $LOAD)"
			res=$(drain "$kind")
			echo "$r $kind $LOAD $res" >>"$OUT/runs.txt"
			log "run $r $kind: $(rate "${res%% *}") msg/s ($res)"
			[[ -s $OUT/sample-$kind.eml ]] || sample_message "$kind"
		done
		for kind in $KINDS; do
			[[ $kind == reply ]] && continue # same size as send-only
			for s in 1 4; do
				[[ $s == 4 && $kind != send-only ]] && continue
				wait_quiet
				res=$(source_run "$s" "$OUT/sample-$kind.eml")
				echo "$r source-$s-$kind $LOAD $res - - - -" >>"$OUT/runs.txt"
				log "run $r smtp-source -s $s ($kind bytes): $(rate "${res%% *}") msg/s ($res, load $LOAD)"
			done
		done
	done
}

# --- the report -------------------------------------------------------------

# Median of column COL over the runs of WHAT.
med() { awk -v w="$1" -v c="$2" '$2 == w { print $c }' "$OUT/runs.txt" | median; }
loads() { awk -v w="$1" '$2 == w { printf "%s%s", sep, $3; sep = ", " }' "$OUT/runs.txt"; }
bytes_of() { wc -c <"$OUT/sample-$1.eml" | awk -v n="$(wc -l <"$OUT/sample-$1.eml")" '{ print $1 + n }'; }

report() {
	local kind s what ref refkind=send-only
	# the send-only rows' bytes, or the first kind's when they were not run
	grep -q ' source-1-send-only ' "$OUT/runs.txt" ||
		refkind=$(awk '$2 ~ /^source-1-/ { sub(/^source-1-/, "", $2); print $2; exit }' "$OUT/runs.txt")
	ref=$(rate "$(med "source-1-$refkind" 4)")
	{
		echo "# Outbound benchmark"
		echo
		echo "$(date -u +%F), $(nproc) cores, $(uname -m), ticketgate ${BUILD_TYPE:-?} build," \
			"PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') (fsync," \
			"synchronous_commit, full_page_writes on), Postfix smtp-sink/smtp-source" \
			"$(dpkg-query -W -f '${Version}' postfix 2>/dev/null || echo '?'); $COUNT messages per" \
			"measurement, medians of $RUNS runs; load = 1-minute load average at each start."
		echo
		echo "| sender | bytes | msg/s | s | send phase msg/s | client CPU s | PostgreSQL CPU s | sink CPU s | SMTP sessions | WAL flushes/msg | loads |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
		for kind in $KINDS; do
			echo "| serve --once, $kind | $(med "$kind" 10) | **$(rate "$(med "$kind" 4)")** |" \
				"$(med "$kind" 4) | $(rate "$(med "$kind" 9)") | $(med "$kind" 5) |" \
				"$(med "$kind" 6) | $(med "$kind" 7) | $(med "$kind" 8) | $(med "$kind" 11) |" \
				"$(loads "$kind") |"
		done
		# shellcheck disable=SC2013 # one word a line
		for what in $(awk '$2 ~ /^source-/ { print $2 }' "$OUT/runs.txt" | sort -u); do
			s=${what#source-}
			kind=${s#*-}
			s=${s%%-*}
			echo "| smtp-source -d -s $s, $kind bytes | $(bytes_of "$kind") |" \
				"**$(rate "$(med "$what" 4)")** | $(med "$what" 4) | - | $(med "$what" 5) | - |" \
				"$(med "$what" 6) | $(med "$what" 7) | - | $(loads "$what") |"
		done
		echo
		echo "Target: at least 500 msg/s and at least half of smtp-source's rate over one" \
			"session with the same bytes ($ref msg/s, half: $((ref / 2)))."
		echo
		echo "Runs (seconds; CPU seconds of ticketgate or smtp-source, of PostgreSQL, of smtp-sink):"
		echo
		echo '```'
		echo "run what load seconds client_cpu pg_cpu sink_cpu sessions send_s bytes wal_syncs_per_msg"
		cat "$OUT/runs.txt"
		echo '```'
	} >"$RESULTS"
}

ensure_postfix
find_build "${1:-}"
servers_up
write_conf
measure
report
cat "$RESULTS"
