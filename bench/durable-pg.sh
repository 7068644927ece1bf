# durable-pg.sh — sourced by the benchmarks after tests/integration/pg.sh.
# pg.sh starts PostgreSQL without fsync for the tests; a benchmark wants
# what a production server does, so pg_launch is replaced by one with the
# server's defaults (fsync, synchronous_commit, full_page_writes on), plus
# whatever the benchmark puts in PG_EXTRA. The sourcing script defines die.
# shellcheck shell=bash
PG_EXTRA=()
pg_launch() {
	local args=(-D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR"
		-c listen_addresses=127.0.0.1 "${PG_EXTRA[@]}")
	if [[ $(id -u) == 0 ]]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- \
			"$PG_BIN/postgres" "${args[@]}" >>"$PG_DIR/server.log" 2>&1 &
	else
		"$PG_BIN/postgres" "${args[@]}" >>"$PG_DIR/server.log" 2>&1 &
	fi
	PG_PID=$!
	for _ in $(seq 300); do
		"$PG_BIN/pg_isready" -q -h "$PG_DIR" -p "$PG_PORT" && return 0
		kill -0 "$PG_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$PG_DIR/server.log" >&2
	die "PostgreSQL did not start"
}

# psql as the superuser on database DB, quiet and unaligned.
psql_on() {
	local db=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -A -t \
		-v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres "$db" "$@"
}
