#!/usr/bin/env bash
# serve.sh — IMAP poller benchmark: how fast `ticketgate serve --once`
# drains a mailbox of TG_BENCH_MESSAGES mixed messages into tickets, next
# to a bare IMAP fetch and a bare batched INSERT of the same messages in
# the same run (its ceilings); how long a message takes from APPEND to
# committed ticket while the daemon waits in IDLE; and the daemon's peak
# RSS. See README.md.
#
#   bash bench/serve.sh [BUILD_DIR]   # default: build/release, built if needed
#
# A private PostgreSQL (production durability: fsync, synchronous_commit
# and full-page writes on) and a private Dovecot (maildir, IMAPS with a
# throwaway CA), both from tests/integration/. Knobs: TG_BENCH_RUNS (3;
# fresh database and mailbox each), TG_BENCH_MESSAGES (10000),
# TG_BENCH_BATCHES ("100"; e.g. "100 500"), TG_BENCH_LATENCY (200
# messages), TG_BENCH_INTERVAL_MS (50), TG_BENCH_LONE (10 messages a second
# apart), TG_BENCH_IDLE (20 IDLE wake-ups), TG_BENCH_PROFILE (1: one more
# drain with pg_stat_statements), TG_BENCH_PROFILE_MESSAGES (2000),
# TG_BENCH_SEED (1), TG_BENCH_OUT (bench/out), PG_BIN. Other load on the
# machine stretches every wall time: each drain's load average and the CPU
# time of the daemon, its database backend and its Dovecot process are
# kept in the results.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TG_BENCH_OUT:-$REPO/bench/out}/serve
RUNS=${TG_BENCH_RUNS:-3}
COUNT=${TG_BENCH_MESSAGES:-10000}
BATCHES=${TG_BENCH_BATCHES:-100}
LATENCY=${TG_BENCH_LATENCY:-200}
INTERVAL=${TG_BENCH_INTERVAL_MS:-50}
LONE=${TG_BENCH_LONE:-10}
IDLE_ROUNDS=${TG_BENCH_IDLE:-20}
PROFILE=${TG_BENCH_PROFILE:-1}
PROFILE_COUNT=${TG_BENCH_PROFILE_MESSAGES:-2000}
SEED=${TG_BENCH_SEED:-1}
PY=$(command -v /usr/bin/python3 || command -v python3)
RESULTS=$OUT/results.md

log() { printf '[serve %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

mkdir -p "$OUT"

# The binary (bench-lib.sh) and the libraries the probe links.
find_probe_build() {
	find_build "$@"
	for f in "$BUILD/libtgshell.a" "$BUILD/libtgcore.a"; do
		[[ -e $f ]] || die "no $f"
	done
}

# The probe uses the daemon's own IMAP client, so the fetch ceiling runs
# the same transport code; rebuilt whenever it or the libraries change.
build_probe() {
	PROBE=$OUT/serve-probe
	if [[ -x $PROBE && $PROBE -nt $REPO/bench/serve-probe.c &&
		$PROBE -nt $BUILD/libtgshell.a && $PROBE -nt $BUILD/libtgcore.a ]]; then
		return 0
	fi
	# shellcheck disable=SC2046 # pkg-config's words are separate flags
	cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall \
		-I"$REPO/include" $(pkg-config --cflags libpq) \
		"$REPO/bench/serve-probe.c" "$BUILD/libtgshell.a" "$BUILD/libtgcore.a" \
		-letpan $(pkg-config --libs libpq libconfig libsystemd openssl) \
		-lpthread -o "$PROBE" || die "cannot build the probe"
}

# Generates the messages unless $OUT/data holds the ones of these
# parameters and this generator.
generate() {
	local stamp=$OUT/data/.stamp want
	want="seed=$SEED count=$COUNT latency=$LATENCY lone=$LONE $(cat "$REPO/bench/serve-gen.py" \
		"$REPO/bench/gen-messages.py" | sha256sum)"
	if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
		return 0
	fi
	log "generating $COUNT + $LATENCY + $LONE messages in $OUT/data"
	rm -rf "$OUT/data"
	"$PY" "$REPO/bench/serve-gen.py" "$OUT/data" --seed "$SEED" \
		--count "$COUNT" --latency "$LATENCY" --lone "$LONE"
	echo "$want" >"$stamp"
}

# --- the servers ------------------------------------------------------------

# shellcheck source=../tests/integration/serve-lib.sh
. "$REPO/tests/integration/serve-lib.sh"

# shellcheck source=bench-lib.sh
. "$REPO/bench/bench-lib.sh"
# pg_stat_statements is loaded only for the profile (PG_EXTRA)

servers_up() {
	serve_setup "$TG" "$REPO/schema"
	[[ $(q 'SHOW fsync') == on && $(q 'SHOW synchronous_commit') == on &&
		$(q 'SHOW full_page_writes') == on ]] || die "PostgreSQL is not durable"
	psql_on postgres -c 'CREATE DATABASE bench_ceiling'
	CEILING_CONNINFO="host=$PG_DIR port=$PG_PORT dbname=bench_ceiling user=postgres"
	MAILDIR=$DV_DIR/mail/support/Maildir
	folder_count "$DV_USER" INBOX >/dev/null # Dovecot makes new/ on first use
	[[ -d $MAILDIR/new ]] || die "no maildir at $MAILDIR"
	export TGB_HOST=$DV_HOST TGB_PORT=$DV_PORT_IMAPS TGB_CA=$DV_CA \
		TGB_USER=$DV_USER TGB_PASSWORD_FILE=$DV_PASSWORD_FILE
}

# A fresh, migrated database for each run.
fresh_database() {
	psql_on postgres -c 'DROP DATABASE IF EXISTS ticketgate_test WITH (FORCE)' \
		-c 'CREATE DATABASE ticketgate_test'
	"$TG" migrate --conninfo "$PG_CONNINFO" --schema-dir "$REPO/schema" >/dev/null
}

# Empties INBOX and Processed, then writes the messages into INBOX as a
# delivery agent would (maildir new/), much faster than an APPEND each.
# The names follow Dovecot's own (time.MusecPpid.host,S=size,W=vsize):
# Dovecot gives new mail its UIDs in the order of the times, so every reply
# comes after the message it answers; and the size at the end varies the
# name's tail, on which Dovecot's hash of maildir names mostly depends (with
# one fixed tail for all, every MOVE took seconds).
fill_inbox() {
	local f n=${1:-$COUNT}
	for f in INBOX Processed; do
		dv_doveadm expunge -u "$DV_USER" mailbox "$f" all
	done
	"$PY" - "$OUT/data/inbox" "$MAILDIR" "$n" <<-'PY'
		import os, shutil, sys
		src, maildir, n = sys.argv[1:]
		st = os.stat(maildir)
		for i, name in enumerate(sorted(os.listdir(src))[:int(n)]):
		    tmp = os.path.join(maildir, 'tmp', 'b%d' % i)
		    shutil.copyfile(os.path.join(src, name), tmp)
		    os.chown(tmp, st.st_uid, st.st_gid)
		    size = os.path.getsize(tmp)  # CRLF already: vsize = size
		    os.rename(tmp, os.path.join(maildir, 'new', '%d.M%dP%d.bench,S=%d,W=%d' % (
		        1000000000 + i, i * 7919 % 1000000, 1000 + i % 997, size, size)))
	PY
	[[ $(folder_count "$DV_USER" INBOX) == "$n" ]] ||
		die "INBOX holds $(folder_count "$DV_USER" INBOX) messages, not $n"
}

# --- measuring --------------------------------------------------------------

# Writes out what earlier steps left dirty (the database's checkpoint, the
# page cache), so that no timed step pays for the one before it.
settle() {
	psql_on postgres -c CHECKPOINT
	sync
}

# "messages bytes seconds" -> messages per second
rate() { awk '{ printf "%.0f", $1 / $3 }' <<<"$1"; }

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Nearest-rank percentile P of the numbers on stdin.
percentile() {
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print v[i] }'
}

# Until killed, writes the CPU time (in clock ticks) used so far by the
# daemon's database backend and by the Dovecot process serving it to
# $OUT/cpu.txt; $1 lists the Dovecot imap processes that were there before
# the daemon started. Once both are found, each sample is shell builtins
# and a sleep: with a fork of awk per sample, the sampler took a fifth of
# this 2-core machine from the drain it measured.
cpu_sampler() {
	local before=$1 be= im= f b i
	while [[ -z $be || -z $im ]]; do
		[[ -n $be ]] || be=$(q "SELECT pid FROM pg_stat_activity
			WHERE application_name = 'ticketgate' LIMIT 1" 2>/dev/null || true)
		[[ -n $im ]] || im=$(comm -13 <(echo "$before") \
			<(pgrep -P "$DV_PID" -x imap | sort) | head -1)
		sleep 0.05
	done
	while :; do
		# fields 14 and 15: user and system time (neither name has a space)
		if read -r -a f 2>/dev/null <"/proc/$be/stat"; then
			b=$((f[13] + f[14]))
			if read -r -a f 2>/dev/null <"/proc/$im/stat"; then
				i=$((f[13] + f[14]))
				echo "$b $i" >"$OUT/cpu.txt"
			fi
		fi
		sleep 0.1
	done
}

# One drain: sets DRAIN_S (wall seconds), DRAIN_RSS (KiB), DRAIN_CPU (CPU
# seconds of the daemon, of its database backend, and of the Dovecot
# process serving it: other load on the machine stretches the wall time,
# much less the CPU time).
drain() {
	local t0 t1 res sampler
	serve_conf batch="$1"
	: >"$LOG"
	: >"$OUT/cpu.txt"
	cpu_sampler "$(pgrep -P "$DV_PID" -x imap | sort)" &
	sampler=$!
	t0=$(date +%s.%N)
	/usr/bin/time -f '%M %U %S' -o "$OUT/time.txt" \
		"$TG" serve -c "$CONF" --once >>"$LOG" 2>&1 ||
		{ tail -20 "$LOG" >&2; die "serve --once failed"; }
	t1=$(date +%s.%N)
	kill "$sampler"
	wait "$sampler" 2>/dev/null || true
	DRAIN_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	read -r DRAIN_RSS res < <(tail -1 "$OUT/time.txt")
	res=$(awk '{ printf "%.2f", $1 + $2 }' <<<"$res")
	if [[ -s $OUT/cpu.txt ]]; then
		DRAIN_CPU="$res $(awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f %.2f", $1 / t, $2 / t }' "$OUT/cpu.txt")"
	else
		DRAIN_CPU="$res - -"
	fi
}

# The drain must have done the whole job, or its rate means nothing.
check_drain() {
	local res n=${1:-$COUNT}
	res=$(q "SELECT count(*) FROM message WHERE source = 'imap:main/INBOX'")
	[[ $res == "$n" ]] || die "$res messages stored, not $n"
	res=$(q "SELECT count(*) FROM quarantine")
	[[ $res == 0 ]] || die "$res messages quarantined"
	res=$(folder_count "$DV_USER" INBOX)/$(folder_count "$DV_USER" Processed)
	[[ $res == "0/$n" ]] || die "INBOX/Processed hold $res after the drain"
}

throughput() {
	local b r fetch ins load
	for b in $BATCHES; do
		for r in $(seq "$RUNS"); do
			fresh_database
			fill_inbox
			settle
			load=$(cut -d' ' -f1 /proc/loadavg)
			fetch=$("$PROBE" fetch "$b")
			[[ ${fetch%% *} == "$COUNT" ]] || die "bare fetch got $fetch"
			if [[ $r == 1 ]]; then
				# the IMAP half of the daemon's work: fetch, then MOVE
				"$PROBE" fetch "$b" Processed >"$OUT/fetch-move-$b.txt"
				fill_inbox
			fi
			settle
			drain "$b"
			check_drain
			settle
			ins=$("$PROBE" insert "$CEILING_CONNINFO" "$b" "$OUT/data/inbox")
			echo "$b $r $DRAIN_S $DRAIN_RSS $fetch $ins $load $DRAIN_CPU" >>"$OUT/runs.txt"
			log "batch $b run $r: serve $(rate "$COUNT 0 $DRAIN_S") msg/s" \
				"(${DRAIN_S} s, peak RSS ${DRAIN_RSS} KiB)," \
				"fetch $(rate "$fetch") msg/s, insert $(rate "$ins") msg/s, load $load"
		done
	done
	TICKETS=$(q "SELECT count(*) FROM ticket")
	REPLIES=$(q "SELECT count(*) FROM message m WHERE m.id <> (SELECT min(id) FROM message WHERE ticket_id = m.ticket_id)")
}

# How long Dovecot takes to wake an IDLE session after another session's
# APPEND (the second mailbox, which no daemon reads).
idle_wake() {
	TGB_USER=$DV_USER2 TGB_PASSWORD_FILE=$DV_PASSWORD_FILE2 \
		"$PROBE" idle "$IDLE_ROUNDS" >"$OUT/idle.txt"
	! grep -q timeout "$OUT/idle.txt" || die "an IDLE session was not woken"
}

# The daemon waits in IDLE (batch 100) on the database of the last run;
# messages arrive one at a time and each commit is heard through NOTIFY:
# first LATENCY of them INTERVAL ms apart, then LONE a second apart, each
# alone in the mailbox. Two rounds: IDLE alone (the time Dovecot takes to
# wake IDLE plus the daemon's own time), then with wake-up hints from
# Dovecot's push_notification Lua driver (contrib/dovecot/), other
# messages of the same kinds. Sets LAT_RSS and HINT_RSS.
latency_round() { # suffix, latency folder, lone folder, wake port or ""
	local pid
	serve_conf batch=100 ${4:+wake=$4}
	: >"$LOG"
	"$TG" serve -c "$CONF" >>"$LOG" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q 'waiting with IDLE' "$LOG" && break
		sleep 0.1
	done
	grep -q 'waiting with IDLE' "$LOG" || die "the daemon is not in IDLE"
	[[ -z $4 ]] || grep -q 'wake: listening' "$LOG" || die "no wake listener"
	TGB_USER=$DV_USER TGB_PASSWORD_FILE=$DV_PASSWORD_FILE \
		"$PROBE" latency "$PG_CONNINFO" "$INTERVAL" "$OUT/data/$2" \
		>"$OUT/latency$1.txt" || die "not every message was committed"
	TGB_USER=$DV_USER TGB_PASSWORD_FILE=$DV_PASSWORD_FILE \
		"$PROBE" latency "$PG_CONNINFO" 1000 "$OUT/data/$3" \
		>"$OUT/lone$1.txt" || die "not every lone message was committed"
	ROUND_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || die "the daemon exited with $?"
}

latency() {
	local got port
	psql_on ticketgate_test <<-'EOF'
		CREATE FUNCTION bench_notify() RETURNS trigger LANGUAGE plpgsql AS
		$$ BEGIN PERFORM pg_notify('tg_bench_commit', NEW.message_id); RETURN NULL; END $$;
		CREATE TRIGGER bench_notify AFTER INSERT ON message
		FOR EACH ROW EXECUTE FUNCTION bench_notify();
	EOF
	latency_round "" latency lone ""
	LAT_RSS=$ROUND_RSS
	port=$(dv_free_fixed_port)
	dv_enable_wake "http://127.0.0.1:$port/wake"
	latency_round -hinted hinted hinted-lone "$port"
	HINT_RSS=$ROUND_RSS
	dv_disable_wake
	got=$(q "SELECT count(*) FROM message")
	[[ $got == $((COUNT + 2 * (LATENCY + LONE))) ]] || die "$got messages after the latency runs"
}

# pg_stat_statements over one more drain (of the first PROFILE_COUNT
# messages): statements per message and where the database's time goes.
# The extension is loaded only here, after a restart, so the measured runs
# have no such hook.
profile() {
	pg_stop
	PG_EXTRA=(-c shared_preload_libraries=pg_stat_statements
		-c pg_stat_statements.track_planning=on)
	pg_launch
	fresh_database
	psql_on ticketgate_test -c 'CREATE EXTENSION pg_stat_statements' \
		-c 'SELECT pg_stat_statements_reset()' >/dev/null
	fill_inbox "$PROFILE_COUNT"
	settle
	drain 100
	PROFILE_S=$DRAIN_S
	PROFILE_CPU=$DRAIN_CPU
	psql_on ticketgate_test -F $'\t' >"$OUT/statements.tsv" <<-EOF
		SELECT calls, round(total_exec_time::numeric, 1),
		       round((total_exec_time / calls * 1000)::numeric, 1),
		       round(total_plan_time::numeric, 1),
		       regexp_replace(left(query, 70), '\s+', ' ', 'g')
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = 'ticketgate_test' AND query !~* 'pg_stat_(statements|activity)'
		ORDER BY total_exec_time + total_plan_time DESC
	EOF
	check_drain "$PROFILE_COUNT"
}

# --- report -----------------------------------------------------------------

one_decimal() { awk '{ printf "%.1f", $1 }'; }

# Column $2 of runs.txt for batch $1; the columns are: batch run drain_s
# rss_kib fetch_msgs fetch_bytes fetch_s insert_msgs insert_bytes insert_s
# load daemon_cpu_s backend_cpu_s imap_cpu_s
column_of() { awk -v b="$1" -v c="$2" '$1 == b { print $c }' "$OUT/runs.txt"; }

# msg/s from a message count and a median of seconds
per_s() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

max() { sort -g | tail -1; }

# One row of the latency table: label, file stem, column, statistic
# (median, "percentile N", max), bold marker; a column for each round.
lat_row() {
	local a b
	# shellcheck disable=SC2086 # $4 is the statistic and its argument
	a=$(awk -v c="$3" '$c != "never" { print $c }' "$OUT/$2.txt" | $4 | one_decimal)
	# shellcheck disable=SC2086
	b=$(awk -v c="$3" '$c != "never" { print $c }' "$OUT/$2-hinted.txt" | $4 | one_decimal)
	local m=${5:-}
	echo "| $1 | $m$a$m | $m$b$m |"
}

report() {
	local b s rss fs is cd cb ci ms mem
	mem=$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
	{
		echo "# serve benchmark"
		echo
		echo "$(date +%F), $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), ${mem} GiB;" \
			"ticketgate $BUILD_TYPE; PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }')" \
			"(fsync, synchronous_commit, full_page_writes on); Dovecot $(dovecot --version | cut -d' ' -f1)" \
			"(maildir), IMAPS on 127.0.0.1. $COUNT messages, $(du -sm --apparent-size "$OUT/data/inbox" | cut -f1) MB;" \
			"medians of $RUNS runs, a fresh database and mailbox each; 1-minute load average at the drains' start" \
			"$(column_of "${BATCHES%% *}" 11 | sort -g | head -1) to $(awk '{ print $11 }' "$OUT/runs.txt" | sort -g | tail -1)."
		echo
		echo "| batch | serve --once s | msg/s | bare IMAP fetch msg/s | bare INSERT msg/s | IMAP fetch + MOVE msg/s | CPU s: daemon | its backend | its Dovecot | CPU ms per message | peak RSS MiB |"
		echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		for b in $BATCHES; do
			s=$(column_of "$b" 3 | median)
			rss=$(column_of "$b" 4 | sort -n | tail -1)
			fs=$(column_of "$b" 7 | median)
			is=$(column_of "$b" 10 | median)
			echo "| $b | $s | **$(per_s "$COUNT" "$s")** | $(per_s "$COUNT" "$fs") |" \
				"$(per_s "$COUNT" "$is") | $(rate "$(<"$OUT/fetch-move-$b.txt")") |" \
				"$(column_of "$b" 12 | median) | $(column_of "$b" 13 | median) |" \
				"$(column_of "$b" 14 | median) |" \
				"$(awk -v b="$b" -v n="$COUNT" '$1 == b { print ($12 + $13 + $14) * 1000 / n }' "$OUT/runs.txt" | median | awk '{ printf "%.2f", $1 }') |" \
				"$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }') |"
		done
		echo
		echo "Every drain stored all $COUNT messages ($TICKETS new tickets, $REPLIES" \
			"replies threaded into them) and moved them to Processed."
		echo
		echo "| latency, ms: APPEND sent to ticket committed | IDLE alone | IDLE + wake-up hints |"
		echo "| --- | ---: | ---: |"
		lat_row "$LATENCY messages ${INTERVAL} ms apart: median" latency 3 median '**'
		lat_row "90th percentile" latency 3 "percentile 90"
		lat_row "99th percentile" latency 3 "percentile 99" '**'
		lat_row "max" latency 3 max
		lat_row "the same from the APPEND's OK: median" latency 2 median
		lat_row "$LONE messages a second apart (each alone): median" lone 3 median
		lat_row "max" lone 3 max
		lat_row "APPEND round trip: median" latency 1 median
		echo
		echo "Dovecot waking an IDLE session after another session's APPEND" \
			"($IDLE_ROUNDS times): median $(median <"$OUT/idle.txt" | one_decimal) ms," \
			"max $(sort -g "$OUT/idle.txt" | tail -1 | one_decimal) ms."
		echo
		echo "Peak RSS of the daemon through the latency rounds (started on the last" \
			"run's database, waiting in IDLE): $(awk -v k="$LAT_RSS" 'BEGIN { printf "%.1f", k / 1024 }') MiB;" \
			"with hints $(awk -v k="$HINT_RSS" 'BEGIN { printf "%.1f", k / 1024 }') MiB."
		if [[ $PROFILE == 1 ]]; then
			read -r cd cb ci <<<"$PROFILE_CPU"
			echo
			echo "Profile drain ($PROFILE_COUNT messages, batch 100, pg_stat_statements with planning times):" \
				"${PROFILE_S} s; CPU: daemon $cd s, its backend $cb s, its Dovecot $ci s;" \
				"$(awk -F'\t' -v n="$PROFILE_COUNT" '{ c += $1 } END { printf "%.1f", c / n }' "$OUT/statements.tsv") statements," \
				"$(awk -F'\t' -v n="$PROFILE_COUNT" '{ t += $2 } END { printf "%.2f", t / n }' "$OUT/statements.tsv") ms of execution and" \
				"$(awk -F'\t' -v n="$PROFILE_COUNT" '{ t += $4 } END { printf "%.2f", t / n }' "$OUT/statements.tsv") ms of planning per message."
			echo
			echo "| calls | execution ms | µs/call | planning ms | statement |"
			echo "| ---: | ---: | ---: | ---: | --- |"
			head -16 "$OUT/statements.tsv" | awk -F'\t' '{ gsub(/\|/, "\\|", $5); printf "| %s | %s | %s | %s | `%s` |\n", $1, $2, $3, $4, $5 }'
		fi
	} >"$RESULTS"
	cat "$RESULTS"
}

main() {
	find_probe_build "${1:-}"
	build_probe
	generate
	log "starting PostgreSQL and Dovecot"
	servers_up
	: >"$OUT/runs.txt"
	throughput
	log "IDLE wake-up"
	idle_wake
	log "latency: $LATENCY messages $INTERVAL ms apart, $LONE a second apart"
	latency
	if [[ $PROFILE == 1 ]]; then
		log "profile drain"
		profile
	fi
	report
}

main "$@"
