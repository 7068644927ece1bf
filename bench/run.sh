#!/usr/bin/env bash
# run.sh — parse benchmark: messages per second of `ticketgate parse` and of
# Python's email package (bench/py_parse.py) on the same files in the same
# run, and the peak memory of parsing one 25 MB message. See README.md.
#
#   bench/run.sh            # from any directory
#
# Sets: the mail corpus (when present), TG_BENCH_TYPICAL typical messages
# (default 2000), TG_BENCH_BIG messages with a 10 MB attachment (default 4).
# Each command runs once over a whole set (one process, so start-up does not
# dominate), TG_BENCH_RUNS times (default 5); the median counts. Generated
# messages and results go to TG_BENCH_OUT (default bench/out/).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${TG_BENCH_OUT:-$REPO/bench/out}
RUNS=${TG_BENCH_RUNS:-5}
TYPICAL=${TG_BENCH_TYPICAL:-2000}
BIG=${TG_BENCH_BIG:-4}
SEED=${TG_BENCH_SEED:-1}
BIN=$REPO/build/release/ticketgate
# Debian's python3 when there (what a fresh machine has); any 3.9+ works.
PY=${TG_BENCH_PYTHON:-$(command -v /usr/bin/python3 || command -v python3)}
RESULTS=$OUT/results.md

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# Builds the release binary (a no-op when it is up to date); the build's
# output is shown only when it fails.
build() {
	local log=$OUT/build.log
	{
		if [[ ! -f $REPO/build/release/CMakeCache.txt ]]; then
			cmake -S "$REPO" -B "$REPO/build/release" \
				-DCMAKE_BUILD_TYPE=RelWithDebInfo
		fi
		cmake --build "$REPO/build/release" --parallel "$(nproc)" \
			--target ticketgate
	} >"$log" 2>&1 || {
		cat "$log" >&2
		log "build failed"
		return 1
	}
}

# Generates the message sets unless the ones in $OUT/data were made with
# the same parameters and generator.
generate() {
	local stamp want
	stamp=$OUT/data/.stamp
	want="seed=$SEED typical=$TYPICAL big=$BIG $(sha256sum <"$REPO/bench/gen-messages.py")"
	if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
		return 0
	fi
	log "generating messages in $OUT/data"
	rm -rf "$OUT/data"
	"$PY" "$REPO/bench/gen-messages.py" "$OUT/data" --seed "$SEED" \
		--typical "$TYPICAL" --big "$BIG"
	echo "$want" >"$stamp"
}

# median_seconds DIR COMMAND... — median wall time of running COMMAND over
# every .eml file of DIR (appended as arguments), RUNS times after one
# warm-up run (which also fills the page cache).
median_seconds() {
	local dir=$1
	shift
	if command -v hyperfine >/dev/null; then
		median_hyperfine "$dir" "$@"
	else
		median_loop "$dir" "$@"
	fi
}

median_hyperfine() {
	local dir=$1 json cmd
	shift
	json=$(mktemp)
	# The shell expands the glob, so the command line stays short however
	# many files there are; hyperfine subtracts the shell's own start-up.
	printf -v cmd '%q ' "$@"
	hyperfine --runs "$RUNS" --warmup 1 --ignore-failure --style none \
		--export-json "$json" "cd $(printf '%q' "$dir") && $cmd*.eml >/dev/null" >&2
	"$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$json"
	rm -f "$json"
}

median_loop() {
	local dir=$1 i t0 times=()
	shift
	(cd "$dir" && "$@" ./*.eml >/dev/null) || true
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		(cd "$dir" && "$@" ./*.eml >/dev/null) || true
		times+=($(($(date +%s%N) - t0)))
	done
	printf '%s\n' "${times[@]}" | sort -n |
		awk -v n="$RUNS" 'NR == int((n + 1) / 2) { printf "%.6f\n", $1 / 1e9 }'
}

# bench_set NAME DIR — one table row: both parsers over the same files.
bench_set() {
	local name=$1 dir=$2 n bytes tg py rc=0
	n=$(find "$dir" -maxdepth 1 -name '*.eml' | wc -l)
	bytes=$(find "$dir" -maxdepth 1 -name '*.eml' -printf '%s\n' | awk '{ s += $1 } END { print s }')
	(cd "$dir" && "$BIN" parse ./*.eml >/dev/null 2>&1) || rc=$?
	((rc == 0)) || log "warning: ticketgate parse exits $rc on $name (timed anyway)"
	log "$name: $n messages, $((bytes / 1000000)) MB: ticketgate"
	tg=$(median_seconds "$dir" "$BIN" parse)
	log "$name: python"
	py=$(median_seconds "$dir" "$PY" "$REPO/bench/py_parse.py")
	awk -v name="$name" -v n="$n" -v b="$bytes" -v tg="$tg" -v py="$py" '
		function rate(x) { return sprintf(x >= 100 ? "%.0f" : "%.2f", x) }
		BEGIN {
		printf "| %s | %d | %.1f | %.3f | %s | %.1f | %.3f | %s | %.1f | **%.1fx** |\n",
			name, n, b / 1e6, tg, rate(n / tg), b / 1e6 / tg,
			py, rate(n / py), b / 1e6 / py, py / tg }' >>"$RESULTS"
}

# peak_rss_kb FILE COMMAND... — the peak resident set size in KiB.
peak_rss_kb() {
	local file=$1 log
	shift
	log=$(mktemp)
	/usr/bin/time -v -o "$log" "$@" "$file" >/dev/null 2>&1 || true
	awk -F': ' '/Maximum resident set size/ { print $2 }' "$log"
	rm -f "$log"
}

memory() {
	local file=$OUT/data/huge/huge.eml size tg py base
	size=$(stat -c %s "$file")
	base=$(peak_rss_kb "$OUT/data/typical/00000.eml" "$BIN" parse)
	tg=$(peak_rss_kb "$file" "$BIN" parse)
	py=$(peak_rss_kb "$file" "$PY" "$REPO/bench/py_parse.py")
	{
		echo
		echo "| peak RSS, one $((size / 1000)) kB message | KiB | x message size |"
		echo "| --- | ---: | ---: |"
		awk -v s="$size" -v tg="$tg" -v py="$py" -v base="$base" 'BEGIN {
			printf "| ticketgate parse | %d | **%.2fx** |\n", tg, tg * 1024 / s
			printf "| ticketgate parse, a 5 kB message (baseline) | %d | |\n", base
			printf "| python email | %d | %.2fx |\n", py, py * 1024 / s }'
	} >>"$RESULTS"
}

machine() {
	printf '%s; %s CPUs (%s); %s; %s\n' "$(date -u +%Y-%m-%d)" "$(nproc)" \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
		"$("$PY" --version)" \
		"$(command -v hyperfine >/dev/null && hyperfine --version || echo 'own timing loop')"
}

main() {
	local corpus=${TG_CORPUS:-$REPO/../shared/corpus}
	mkdir -p "$OUT"
	build
	generate
	{
		echo "$(machine); median of $RUNS runs"
		echo
		echo "| set | messages | MB | ticketgate s | msg/s | MB/s | python s | msg/s | MB/s | speed-up |"
		echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	} >"$RESULTS"
	if [[ -d $corpus/mail ]]; then
		bench_set corpus "$corpus/mail"
	else
		log "SKIPPED: corpus not found at $corpus (set TG_CORPUS)"
	fi
	bench_set typical "$OUT/data/typical"
	bench_set "10 MB attachments" "$OUT/data/big"
	bench_set "25 MB message" "$OUT/data/huge"
	memory
	cat "$RESULTS"
}

main "$@"
