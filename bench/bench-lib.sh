# bench-lib.sh — sourced by the benchmarks (serve.sh, outbound.sh) after
# tests/integration/pg.sh. The sourcing script defines REPO, OUT and die.
# shellcheck shell=bash

# pg.sh starts PostgreSQL without fsync for the tests; a benchmark wants
# what a production server does (fsync, synchronous_commit and
# full_page_writes on), plus whatever it puts in PG_EXTRA.
PG_DURABLE=1
PG_EXTRA=()

# psql as the superuser on database DB, quiet and unaligned.
psql_on() {
	local db=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' "$PG_BIN/psql" -X -q -A -t \
		-v ON_ERROR_STOP=1 -h "$PG_DIR" -p "$PG_PORT" -U postgres "$db" "$@"
}

# find_build [BUILD_DIR] — sets BUILD, TG and BUILD_TYPE: BUILD_DIR's
# binary when given, else build/release (RelWithDebInfo), built if needed.
find_build() {
	BUILD=${1:-}
	if [[ -z $BUILD ]]; then
		BUILD=$REPO/build/release
		{
			[[ -f $BUILD/CMakeCache.txt ]] ||
				cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo
			cmake --build "$BUILD" --parallel "$(nproc)" --target ticketgate
		} >"$OUT/build.log" 2>&1 || {
			cat "$OUT/build.log" >&2
			die "build failed"
		}
	fi
	BUILD=$(cd "$BUILD" && pwd)
	TG=$BUILD/ticketgate
	[[ -x $TG ]] || die "no $TG"
	BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt" 2>/dev/null || true)
}
