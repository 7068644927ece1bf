# Sourced by integration tests: a throwaway PostgreSQL 15 on 127.0.0.1 and
# a Unix socket in a temporary folder, started as a child of the test and
# removed when it exits. Never touches a system cluster.
#   pg_start            sets PG_DIR, PG_PORT, PG_SOCKET, PG_CONNINFO, PG_PID
#   pg_psql ARGS...     psql as the superuser on the test database
#   pg_stop / pg_start_again   stop (fast) and restart the same cluster
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the cluster owner: postgres when we are root (initdb
# refuses root), ourselves otherwise.
pg_as_owner() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
	else
		"$@"
	fi
}

# Tests run without durability, which they do not need; PG_DURABLE=1 (the
# benchmarks) keeps the server's defaults. PG_EXTRA: more server options.
pg_launch() {
	local args=(-D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR"
		-c listen_addresses=127.0.0.1 "${PG_EXTRA[@]}")
	[ "${PG_DURABLE:-0}" = 1 ] || args+=(-c fsync=off
		-c full_page_writes=off -c synchronous_commit=off)
	# started directly (not through a function) so that $! is the
	# postmaster itself and a signal to it stops the server
	if [ "$(id -u)" = 0 ]; then
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
	echo "PostgreSQL did not start; its log:" >&2
	cat "$PG_DIR/server.log" >&2
	return 1
}

pg_start() {
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tg-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
	PG_PORT=$(pg_free_port)
	PG_SOCKET=$PG_DIR
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 \
		--locale=C.UTF-8 --auth-local=trust --auth-host=trust >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; return 1; }
	pg_launch || return 1
	"$PG_BIN/psql" -q -h "$PG_DIR" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 \
		-c "CREATE DATABASE ticketgate_test" postgres >/dev/null || return 1
	PG_CONNINFO="host=$PG_DIR port=$PG_PORT dbname=ticketgate_test user=postgres"
	trap pg_cleanup EXIT
}

pg_psql() {
	"$PG_BIN/psql" -X -q -A -t -h "$PG_DIR" -p "$PG_PORT" -U postgres \
		-v ON_ERROR_STOP=1 ticketgate_test "$@"
}

pg_stop() {
	if [ -n "${PG_PID:-}" ] && kill -0 "$PG_PID" 2>/dev/null; then
		kill -INT "$PG_PID"
		wait "$PG_PID" 2>/dev/null || true
	fi
	PG_PID=
}

pg_start_again() {
	pg_launch
}

pg_cleanup() {
	pg_stop
	[ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
}
