#!/usr/bin/env bash
# deliver.sh — MTA-pipe benchmark: messages per second of `ticketgate
# deliver` run as an MTA runs it, one process per message, sequentially and
# TG_BENCH_PARALLEL at a time, beside what PostgreSQL itself allows in the
# same run (pgbench -C: a fresh connection per transaction). See README.md.
#
#   bash bench/deliver.sh [BUILD_DIR]   # default: build/release, built if needed
#
# PostgreSQL runs with its production defaults (fsync and synchronous_commit
# on) in a throwaway cluster under /tmp, reached over its Unix socket (trust)
# and over TCP on 127.0.0.1 (SCRAM-SHA-256, no TLS). Results go to
# bench/out/deliver/results.md. Knobs: TG_BENCH_RUNS (3 timed rounds over
# the socket), TG_BENCH_TCP_RUNS (1; TG_BENCH_TCP=0 skips TCP),
# TG_BENCH_LMTP_RUNS (3: deliver handing over to a running `serve` through
# its LMTP socket; 0 skips it),
# TG_BENCH_MESSAGES (1000), TG_BENCH_PARALLEL (4), TG_BENCH_SEED (1),
# TG_BENCH_STEP_PROCESSES (200: processes of the warm-up run and of each
# start-up measurement), TG_BENCH_PROFILE=0 (no statement logging in the
# warm-up), TG_BENCH_QUIET (20: before each round, wait until CPU pressure
# is under 20%; 0 does not wait), TG_BENCH_QUIET_MAX (600 s), TG_BENCH_OUT
# (bench/out), PG_BIN.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TG_BENCH_OUT:-$REPO/bench/out}/deliver
RUNS=${TG_BENCH_RUNS:-3}
TCP_RUNS=${TG_BENCH_TCP_RUNS:-1}
MESSAGES=${TG_BENCH_MESSAGES:-1000}
PAR=${TG_BENCH_PARALLEL:-4}
SEED=${TG_BENCH_SEED:-1}
TCP=${TG_BENCH_TCP:-1}
LMTP_RUNS=${TG_BENCH_LMTP_RUNS:-3}
PROFILE=${TG_BENCH_PROFILE:-1}
STEP_PROCESSES=${TG_BENCH_STEP_PROCESSES:-200}
QUIET=${TG_BENCH_QUIET:-20}
QUIET_MAX=${TG_BENCH_QUIET_MAX:-600}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PY=$(command -v /usr/bin/python3 || command -v python3)
RESULTS=$OUT/results.md
DB=tgbench

log() { printf '[deliver %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# find_build: the binary, BUILD_DIR's or build/release built if needed
# shellcheck source=bench-lib.sh
. "$REPO/bench/bench-lib.sh"

# Generates the messages unless $OUT/data holds the ones of these
# parameters and this generator.
generate() {
	local stamp=$OUT/data/.stamp want
	want="seed=$SEED messages=$MESSAGES $(sha256sum <"$REPO/bench/gen-deliver.py")"
	if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
		return 0
	fi
	log "generating $MESSAGES messages in $OUT/data"
	rm -rf "$OUT/data"
	"$PY" "$REPO/bench/gen-deliver.py" "$OUT/data" --seed "$SEED" \
		--messages "$MESSAGES"
	echo "$want" >"$stamp"
}

# --- PostgreSQL -----------------------------------------------------------

# As the cluster owner: postgres when we are root (initdb refuses root).
as_owner() {
	if [[ $(id -u) == 0 ]]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		"$@"
	fi
}

# psql as the superuser, quiet ("does not exist, skipping" is no news)
psql_admin() {
	PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -A -t \
		-v ON_ERROR_STOP=1 -h "$PGDIR" -p "$PGPORT" -U postgres "$@"
}

# A cluster with the defaults a package installs (fsync, synchronous
# commit and full-page writes on); only where it listens is set here. The
# directory is under /tmp because the postgres user must reach it.
pg_up() {
	PGDIR=$(mktemp -d /tmp/tg-bench-pg.XXXXXX)
	chmod 755 "$PGDIR"
	[[ $(id -u) == 0 ]] && chown postgres:postgres "$PGDIR"
	PGPORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$PG_BIN/initdb" -D "$PGDIR/data" -U postgres -E UTF8 \
		--locale=C.UTF-8 --auth-local=trust --auth-host=reject \
		>"$PGDIR/initdb.log" 2>&1 || {
		cat "$PGDIR/initdb.log" >&2
		die "initdb failed"
	}
	# trust on the socket (as peer would be for a local service), and
	# SCRAM over TCP: the two set-ups the figures compare
	as_owner tee "$PGDIR/data/pg_hba.conf" >/dev/null <<-EOF
		local all all trust
		host all all 127.0.0.1/32 scram-sha-256
	EOF
	# started directly so that $! is the postmaster
	if [[ $(id -u) == 0 ]]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- \
			"$PG_BIN/postgres" -D "$PGDIR/data" -p "$PGPORT" -k "$PGDIR" \
			-c listen_addresses=127.0.0.1 >"$PGDIR/server.log" 2>&1 &
	else
		"$PG_BIN/postgres" -D "$PGDIR/data" -p "$PGPORT" -k "$PGDIR" \
			-c listen_addresses=127.0.0.1 >"$PGDIR/server.log" 2>&1 &
	fi
	PGPID=$!
	for _ in $(seq 200); do
		"$PG_BIN/pg_isready" -q -h "$PGDIR" -p "$PGPORT" && break
		kill -0 "$PGPID" 2>/dev/null || break
		sleep 0.05
	done
	"$PG_BIN/pg_isready" -q -h "$PGDIR" -p "$PGPORT" || {
		cat "$PGDIR/server.log" >&2
		die "PostgreSQL did not start"
	}
	[[ $(psql_admin -c 'SHOW fsync' postgres) == on &&
		$(psql_admin -c 'SHOW synchronous_commit' postgres) == on ]] ||
		die "fsync or synchronous_commit is not on"

	# the gateway's own role, with a SCRAM verifier for the TCP runs
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PGDIR/db-password"
	chmod 600 "$PGDIR/db-password"
	psql_admin -v pw="$(<"$PGDIR/db-password")" postgres <<-'EOF'
		SET password_encryption = 'scram-sha-256';
		CREATE ROLE ticketgate LOGIN PASSWORD :'pw';
	EOF
	head -c 48 /dev/urandom >"$PGDIR/secret"
	chmod 600 "$PGDIR/secret"
	make_conf unix "host=$PGDIR port=$PGPORT dbname=$DB user=ticketgate"
	make_conf tcp "host=127.0.0.1 port=$PGPORT dbname=$DB user=ticketgate"
	# the same, and a running `serve` with an LMTP socket that deliver
	# hands the message to
	make_conf lmtp "host=$PGDIR port=$PGPORT dbname=$DB user=ticketgate"
	printf 'lmtp = { socket = "%s/lmtp.sock"; };\n' "$PGDIR" >>"$PGDIR/lmtp.conf"
	sed -i 's|^  # password_file = .*|  password_file = "db-password";|' \
		"$PGDIR/tcp.conf"
	grep -q '^  password_file' "$PGDIR/tcp.conf" ||
		die "could not set password_file in tcp.conf"
}

# daemon_up CONF / daemon_down — for the lmtp set-up, `ticketgate serve`
# on the fresh database (it keeps connections to it, so it is stopped
# before the next fresh_db).
DAEMON=
daemon_up() {
	[[ $1 == lmtp ]] || return 0
	"$TG" serve -c "$PGDIR/lmtp.conf" >>"$OUT/serve.log" 2>&1 &
	DAEMON=$!
	for _ in $(seq 100); do
		[[ -S $PGDIR/lmtp.sock ]] && return 0
		kill -0 "$DAEMON" 2>/dev/null || break
		sleep 0.05
	done
	tail -5 "$OUT/serve.log" >&2
	die "serve did not open its LMTP socket"
}
daemon_down() {
	[[ -n $DAEMON ]] || return 0
	kill -TERM "$DAEMON" 2>/dev/null || true
	wait "$DAEMON" 2>/dev/null || true
	DAEMON=
}

pg_down() {
	daemon_down
	if [[ -n ${PGPID:-} ]] && kill -0 "$PGPID" 2>/dev/null; then
		kill -INT "$PGPID"
		wait "$PGPID" 2>/dev/null || true
	fi
	[[ -n ${PGDIR:-} ]] && rm -rf "$PGDIR"
	return 0
}

# make_conf NAME CONNINFO — the example configuration with our database.
make_conf() {
	sed "s|^  conninfo = .*|  conninfo = \"$2\";|" \
		"$REPO/conf/ticketgate.conf.example" >"$PGDIR/$1.conf"
}

# A fresh database, migrated, with the accounts imported, and a checkpoint
# so that none falls inside the timed run.
fresh_db() {
	local conf=$PGDIR/unix.conf
	psql_admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB OWNER ticketgate" postgres
	"$TG" migrate -c "$conf" --schema-dir "$REPO/schema" >/dev/null
	"$TG" accounts import -c "$conf" "$OUT/data/accounts.csv" >/dev/null
	psql_admin -c 'CREATE TABLE floor (id int, at timestamptz DEFAULT now())' \
		-c 'ALTER TABLE floor OWNER TO ticketgate' -c CHECKPOINT "$DB"
}

# --- measurements ---------------------------------------------------------

now_ns() { date +%s%N; }

# Microseconds some task waited for a CPU since boot (0 without PSI): over a
# sequential run, a share well above 0 means other work on the machine.
cpu_stall_us() {
	if [[ -r /proc/pressure/cpu ]]; then
		awk -F'total=' '/^some/ { print $2 }' /proc/pressure/cpu
	else
		echo 0
	fi
}

# feed LIST P COMMAND... — runs COMMAND with each line of LIST (two words)
# appended, P at a time, one process each, as an MTA does. Prints the wall
# time in seconds and the share of it some task waited for a CPU.
feed() {
	local list=$1 p=$2 t0 s0 rc=0
	shift 2
	s0=$(cpu_stall_us)
	t0=$(now_ns)
	xargs -a "$list" -n 2 -P "$p" "$@" >/dev/null 2>>"$OUT/deliver.log" || rc=$?
	awk -v t="$(($(now_ns) - t0))" -v s="$(($(cpu_stall_us) - s0))" \
		'BEGIN { printf "%.3f %.0f\n", t / 1e9, 100 * s * 1000 / t }'
	((rc == 0)) || die "a process failed (xargs exit $rc); see $OUT/deliver.log"
}

# quiet — on a shared machine, waits (at most QUIET_MAX seconds) until tasks
# waited for a CPU less than QUIET percent of the last 10 s, so that other
# work does not make the figures. QUIET=0 measures at once.
quiet() {
	local waited=0
	[[ $QUIET == 0 || ! -r /proc/pressure/cpu ]] && return 0
	while awk -v q="$QUIET" '/^some/ { split($2, a, "="); exit !(a[2] >= q) }' \
		/proc/pressure/cpu; do
		if ((waited >= QUIET_MAX)); then
			log "CPU still busy after ${waited} s; measuring anyway"
			return 0
		fi
		((waited > 0)) || log "waiting for the CPU wait to fall under $QUIET%"
		sleep 5
		waited=$((waited + 5))
	done
}

# record KEY COMMAND... — appends what COMMAND prints (one measurement of
# one run) to the values of KEY; a failing COMMAND stops the benchmark.
record() {
	local key=$1 v
	shift
	v=$("$@")
	echo "$v" >>"$OUT/m/$key"
}

median() { sort -n "$OUT/m/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# check_db [N] — the run stored N (MESSAGES) messages and quarantined
# none; prints the number of tickets.
check_db() {
	local want=${1:-$MESSAGES} got m q t
	got=$(psql_admin -c "SELECT (SELECT count(*) FROM message) || ' ' ||
		(SELECT count(*) FROM quarantine) || ' ' ||
		(SELECT count(*) FROM ticket)" "$DB")
	read -r m q t <<<"$got"
	[[ $m == "$want" && $q == 0 ]] ||
		die "database holds $m messages and $q quarantined, expected $want and 0"
	echo "$t"
}

# deliver_run CONF P — one timed run into a fresh database.
deliver_run() {
	local conf=$1 p=$2 out secs stall tickets
	fresh_db
	daemon_up "$conf"
	: >"$OUT/deliver.log"
	out=$(feed "$OUT/list" "$p" "$TG" deliver -c "$PGDIR/$conf.conf" --to)
	read -r secs stall <<<"$out"
	daemon_down
	tickets=$(check_db)
	if [[ $conf == lmtp ]]; then
		[[ $(psql_admin -c "SELECT count(*) FROM message WHERE source = 'lmtp'" "$DB") == "$MESSAGES" ]] ||
			die "lmtp: not every message was handed over to the daemon"
	fi
	# in arrival order every reply finds its ticket; in parallel a reply
	# may come before its parent is committed and open a ticket instead
	((p > 1 || tickets == NEW)) ||
		die "$tickets tickets after a sequential run, expected $NEW"
	record "$conf-$p-secs" echo "$secs"
	record "$conf-$p-stall" echo "$stall"
	record "$conf-$p-tickets" echo "$tickets"
	log "$conf, $p at a time: $secs s, $tickets tickets, CPU wait $stall%"
}

# pgbench_floor CONF P SCRIPT — transactions per second of pgbench with a
# new connection for each, MESSAGES in all.
pgbench_floor() {
	local conf=$1 p=$2 script=$3 host=$PGDIR
	[[ $conf == tcp ]] && host=127.0.0.1
	PGPASSWORD=$(<"$PGDIR/db-password") "$PG_BIN/pgbench" -n -C -c "$p" \
		-j "$p" -t $((MESSAGES / p)) -f "$script" -h "$host" \
		-p "$PGPORT" -U ticketgate "$DB" 2>&1 |
		awk '/^tps = / { print $3 }'
}

# lmtp_run P — the MTA's own LMTP client instead of deliver: the messages
# over P connections to the daemon's socket, kept open (bench/lmtp-feed.py),
# into a fresh database.
lmtp_run() {
	local p=$1 secs tickets
	fresh_db
	daemon_up lmtp
	secs=$("$PY" "$REPO/bench/lmtp-feed.py" "$PGDIR/lmtp.sock" "$OUT/list" "$p") ||
		die "lmtp-feed failed"
	daemon_down
	tickets=$(check_db)
	((p > 1 || tickets == NEW)) ||
		die "$tickets tickets after a sequential LMTP run, expected $NEW"
	record "mta-lmtp-$p-secs" echo "$secs"
	record "mta-lmtp-$p-tickets" echo "$tickets"
	log "MTA over LMTP, $p connections: $secs s, $tickets tickets"
}

# process_rate LIST COMMAND... — processes per second, one at a time,
# one per line of LIST.
process_rate() {
	local out secs stall
	out=$(feed "$1" 1 "${@:2}")
	read -r secs stall <<<"$out"
	awk -v n="$(wc -l <"$1")" -v s="$secs" 'BEGIN { printf "%.1f\n", n / s }'
}

# warmup CONF — an untimed run of the first STEP_PROCESSES messages that
# warms the page cache and the server and records each process's peak RSS
# in KiB (/usr/bin/time costs a process of its own, hence untimed). Over
# the socket, the server also logs every connection and statement, for
# pglog-phases.py.
warmup() {
	local conf=$1 from
	log "$conf: untimed run for peak memory"
	fresh_db
	daemon_up "$conf"
	if [[ $conf == unix && $PROFILE == 1 ]]; then
		server_logging on
		from=$(($(wc -l <"$PGDIR/server.log") + 1))
	fi
	: >"$OUT/deliver.log"
	rm -f "$OUT/$conf.rss"
	feed "$OUT/list-short" 1 /usr/bin/time -a -o "$OUT/$conf.rss" -f %M \
		"$TG" deliver -c "$PGDIR/$conf.conf" --to >/dev/null
	daemon_down
	check_db "$(wc -l <"$OUT/list-short")" >/dev/null
	if [[ -n ${from:-} ]]; then
		server_logging off
		tail -n +"$from" "$PGDIR/server.log" >"$OUT/profile.log"
	fi
}

# server_logging on|off — every statement and connection with its time.
server_logging() {
	if [[ $1 == on ]]; then
		psql_admin postgres >/dev/null <<-'EOF'
			ALTER SYSTEM SET log_min_duration_statement = 0;
			ALTER SYSTEM SET log_connections = on;
			ALTER SYSTEM SET log_disconnections = on;
			ALTER SYSTEM SET log_line_prefix = '%m [%p] ';
			SELECT pg_reload_conf();
		EOF
	else
		psql_admin -c 'ALTER SYSTEM RESET ALL' -c 'SELECT pg_reload_conf()' \
			postgres >/dev/null
	fi
	# the postmaster passes the reload on to new backends at once, but
	# give it a moment to read the file
	sleep 0.2
}

# measure CONF RUNS — the deliveries of one connection set-up and, in the
# same rounds, the floors, so that whatever else loads the machine at one
# moment weighs on both.
measure() {
	local conf=$1 runs=$2 i p
	warmup "$conf"
	for ((i = 0; i < runs; i++)); do
		for p in 1 "$PAR"; do
			quiet
			deliver_run "$conf" "$p"
			record "$conf-$p-select" pgbench_floor "$conf" "$p" "$OUT/select1.sql"
			record "$conf-$p-insert" pgbench_floor "$conf" "$p" "$OUT/insert.sql"
			if [[ $conf == lmtp ]]; then
				quiet
				lmtp_run "$p"
			fi
		done
		if [[ $conf == unix ]]; then
			quiet
			record spawn process_rate "$OUT/list-short" /bin/true
			record version process_rate "$OUT/list-short" "$TG" --version
			record full process_rate "$OUT/list-short" "$TG-full" --version
			record config process_rate "$OUT/list-conf" "$TG" check-config
		fi
	done
}

throughput_rows() {
	local conf=$1 p label
	for p in 1 "$PAR"; do
		label=sequential
		((p > 1)) && label="$p in parallel"
		awk -v c="$conf" -v l="$label" -v n="$MESSAGES" \
			-v s="$(median "$conf-$p-secs")" -v w="$(median "$conf-$p-stall")" \
			-v sel="$(median "$conf-$p-select")" -v ins="$(median "$conf-$p-insert")" \
			-v t="$(sort -n "$OUT/m/$conf-$p-tickets" | uniq | paste -sd/)" 'BEGIN {
			r = n / s
			# waiting for a CPU says something only when one process
			# at a time runs
			w = l == "sequential" ? sprintf("%.0f%%", w) : "-"
			printf "| %s | %s | %.2f | **%.1f** | %.1f | %s | %s | %.1f | %.1f | %.0f%% |\n",
				c, l, s, r, 1000 / r, t, w, sel, ins, 100 * r / sel }' >>"$RESULTS"
	done
}

# The MTA's LMTP client: no process and no connection per message.
mta_lmtp_rows() {
	local p label
	for p in 1 "$PAR"; do
		label="sequential, one connection"
		((p > 1)) && label="$p connections"
		awk -v l="$label" -v n="$MESSAGES" -v s="$(median "mta-lmtp-$p-secs")" \
			-v t="$(sort -n "$OUT/m/mta-lmtp-$p-tickets" | uniq | paste -sd/)" 'BEGIN {
			r = n / s
			printf "| MTA over LMTP (no deliver process) | %s | %.2f | **%.1f** | %.1f | %s | - | - | - | - |\n",
				l, s, r, 1000 / r, t }' >>"$RESULTS"
	done
}

# The cost of each step, one process or connection at a time.
steps_table() {
	local deliver
	deliver=$(awk -v n="$MESSAGES" -v s="$(median unix-1-secs)" 'BEGIN { print n / s }')
	{
		echo
		echo "| one at a time, Unix socket | per second | ms each |"
		echo "| --- | ---: | ---: |"
		awk -v a="$(median spawn)" -v b="$(median version)" -v g="$(median full)" -v c="$(median config)" \
			-v d="$(median unix-1-select)" -v e="$(median unix-1-insert)" -v f="$deliver" 'BEGIN {
			printf "| start a process (`/bin/true`) | %.0f | %.1f |\n", a, 1000 / a
			printf "| start the front, `ticketgate` (`--version`: static, libc and libconfig) | %.0f | %.1f |\n", b, 1000 / b
			printf "| start the full program, `ticketgate-full` (`--version`: loading it and its shared libraries) | %.0f | %.1f |\n", g, 1000 / g
			printf "| start both and load the configuration (`ticketgate check-config -c`) | %.0f | %.1f |\n", c, 1000 / c
			printf "| new connection + `SELECT 1` (`pgbench -C`, one process) | %.0f | %.1f |\n", d, 1000 / d
			printf "| new connection + `INSERT` + `COMMIT` (`pgbench -C`) | %.0f | %.1f |\n", e, 1000 / e
			printf "| `ticketgate deliver` | %.1f | **%.1f** |\n", f, 1000 / f }'
	} >>"$RESULTS"
}

rss_rows() {
	local conf
	for conf in "$@"; do
		sort -n "$OUT/$conf.rss" | awk -v c="$conf" '{ v[NR] = $1 }
			END { printf "| %s | %d | %d | %d |\n", c, NR, v[int((NR + 1) / 2)], v[NR] }'
	done
}

machine() {
	printf '%s; %s CPUs (%s); %s; PostgreSQL %s; ticketgate %s (%s); load average at start %s' \
		"$(date -u +%Y-%m-%d)" "$(nproc)" \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
		"$(awk -F'"' '/^PRETTY_NAME=/ { print $2 }' /etc/os-release)" \
		"$("$PG_BIN/postgres" --version | awk '{ print $3 }')" \
		"$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo '?')" \
		"$(grep -m1 '^CMAKE_BUILD_TYPE' "$(dirname "$TG")/CMakeCache.txt" 2>/dev/null | cut -d= -f2)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	echo
}

main() {
	local confs=(unix)
	mkdir -p "$OUT"
	rm -rf "$OUT/m"
	mkdir "$OUT/m"
	find_build "${1:-}"
	generate
	# the messages that open a ticket: those not answering another
	NEW=$(awk 'FNR == 1 { n++ } /^In-Reply-To:/ { r[FILENAME] = 1 }
		END { print n - length(r) }' "$OUT"/data/mail/*.eml)
	# one line per message: the envelope recipient, then the file
	awk -v d="$OUT/data/mail" '{ print $1, d "/" $2 }' "$OUT/data/envelope" >"$OUT/list"
	echo 'SELECT 1;' >"$OUT/select1.sql"
	printf '%s\n' 'BEGIN;' 'INSERT INTO floor (id) VALUES (:client_id);' 'COMMIT;' >"$OUT/insert.sql"
	trap pg_down EXIT
	pg_up
	log "PostgreSQL on $PGDIR and 127.0.0.1:$PGPORT"
	# the steps before the database need fewer processes to show their
	# rate; their arguments only have to be two words a line
	head -n "$STEP_PROCESSES" "$OUT/list" >"$OUT/list-short"
	awk -v n="$STEP_PROCESSES" -v c="$PGDIR/unix.conf" \
		'BEGIN { for (i = 0; i < n; i++) print "-c", c }' >"$OUT/list-conf"
	# the TCP set-up must really ask for the password
	if PGPASSWORD=wrong "$PG_BIN/psql" -X -w -h 127.0.0.1 -p "$PGPORT" \
		-U ticketgate -c 'SELECT 1' postgres >/dev/null 2>&1; then
		die "TCP login succeeded with a wrong password"
	fi
	[[ $TCP == 1 ]] && confs+=(tcp)
	((LMTP_RUNS > 0)) && confs+=(lmtp)
	{
		machine
		echo
		echo "| connection | delivery | s | msg/s | ms per message | tickets | CPU wait | pgbench -C SELECT 1/s | pgbench -C INSERT+COMMIT/s | share of the SELECT 1 floor |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	} >"$RESULTS"
	measure unix "$RUNS"
	[[ $TCP == 1 ]] && measure tcp "$TCP_RUNS"
	((LMTP_RUNS > 0)) && measure lmtp "$LMTP_RUNS"
	for c in "${confs[@]}"; do throughput_rows "$c"; done
	((LMTP_RUNS > 0)) && mta_lmtp_rows
	steps_table
	if [[ $PROFILE == 1 ]]; then
		echo >>"$RESULTS"
		"$PY" "$REPO/bench/pglog-phases.py" "$OUT/profile.log" >>"$RESULTS"
	fi
	{
		echo
		echo "| peak RSS of one deliver process | processes | median KiB | max KiB |"
		echo "| --- | ---: | ---: | ---: |"
		rss_rows "${confs[@]}"
	} >>"$RESULTS"
	cat "$RESULTS"
}

main "$@"
