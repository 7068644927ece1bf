#!/usr/bin/env bash
# test.sh — the whole test run of ticketgate, from any directory:
#
#   1. installs the Debian packages it needs (contrib/install-deps.sh);
#   2. builds build/release (RelWithDebInfo) and build/asan (ASan + UBSan,
#      Debug), both with -Werror, and runs ctest in each;
#   3. runs the checks over the mail corpus (skipped when it is absent):
#      every message under ASan + LeakSanitizer, the release binary under
#      valgrind, and the score against the oracle (at least 97% must pass);
#   4. builds the libFuzzer targets with clang (build/fuzz) and fuzzes the
#      parser for TG_FUZZ_SECONDS (default 60), the LMTP state machine for
#      TG_FUZZ_LMTP_SECONDS (20) and the wake-up hint's parser for
#      TG_FUZZ_WAKE_SECONDS (10);
#   5. prints one line per stage and the total time.
#
# Every stage runs even when an earlier one failed (except those that need
# a build that failed), so one run shows everything that is wrong; the exit
# status is 1 when anything failed. Re-running reuses the build folders.
#
# Environment: TG_CORPUS (corpus folder, default ../shared/corpus beside
# the repository), TG_FUZZ_SECONDS, TG_SKIP_DEPS=1 (do not install
# packages), TG_JOBS (parallel build and test jobs, default: CPUs).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${TG_JOBS:-$(nproc)}
SKIP=77 # a check's "skipped" exit status (no corpus), as ctest knows it

STAGES=()       # "name|result|seconds" per stage, in order
SERVICE_PIDS=() # "name:pid:signal" of every service this run started

log() { printf '\n==> [%s] %s\n' "$(date +%T)" "$*"; }

# ---------------------------------------------------------------- services
# The integration tests will need PostgreSQL, Dovecot and an SMTP sink on
# 127.0.0.1. Start each here as a child of this shell (no daemonizing) and
# append "name:pid:signal" to SERVICE_PIDS: the EXIT trap then stops it by
# PID whatever happens, Ctrl-C and failed stages included.
start_services() {
	: # none yet
}

alive() { # running and not a zombie
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

stop_services() {
	local i name pid sig
	for ((i = ${#SERVICE_PIDS[@]} - 1; i >= 0; i--)); do
		IFS=: read -r name pid sig <<<"${SERVICE_PIDS[i]}"
		if alive "$pid"; then
			echo "stopping $name (pid $pid)"
			kill -"${sig:-TERM}" "$pid" 2>/dev/null || true
			for _ in $(seq 150); do
				alive "$pid" || break
				sleep 0.05
			done
			alive "$pid" && kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null || true
	done
	SERVICE_PIDS=()
}

on_exit() {
	local rc=$?
	trap - EXIT
	stop_services
	exit "$rc"
}

# ---------------------------------------------------------------- stages
# Stage functions are called in an `||` context, where bash ignores
# `set -e`: so each chains its commands with && and returns its status.

deps() {
	if [[ ${TG_SKIP_DEPS:-0} == 1 ]]; then
		echo "TG_SKIP_DEPS=1: not installing packages"
		return 0
	fi
	"$REPO/contrib/install-deps.sh"
}

# configure_build DIR CMAKE_ARGS... — configure (again: cheap and picks up
# changed options) and build everything in DIR.
configure_build() {
	local dir=$1
	shift
	cmake -S "$REPO" -B "$dir" "$@" &&
		cmake --build "$dir" --parallel "$JOBS"
}

build_release() {
	configure_build "$REPO/build/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DTG_WERROR=ON -DTG_SANITIZE=OFF -DTG_FUZZ=OFF
}

build_asan() {
	configure_build "$REPO/build/asan" -DCMAKE_BUILD_TYPE=Debug \
		-DTG_WERROR=ON -DTG_SANITIZE=ON -DTG_FUZZ=OFF
}

# The corpus checks are ctest tests too (label corpus); here they run as
# stages of their own so that their summaries are always shown.
run_ctest() {
	ctest --test-dir "$1" --output-on-failure --no-tests=error \
		--parallel "$JOBS" --label-exclude corpus
}

corpus_parse() {
	"$REPO/tests/corpus/parse-check.sh" "$REPO/build/asan/ticketgate"
}

corpus_valgrind() {
	"$REPO/tests/corpus/valgrind-check.sh" "$REPO/build/release/ticketgate-full"
}

corpus_score() {
	TG_SCORE_REPORT=$REPO/build/release/score-report.json \
		"$REPO/tests/corpus/score-check.sh" "$REPO/build/release/ticketgate"
}

# Only the fuzz targets are built: the rest of the project is covered by the
# gcc builds, and -Werror stays with them (clang warns about other things).
build_fuzz() {
	cmake -S "$REPO" -B "$REPO/build/fuzz" -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=Debug -DTG_FUZZ=ON -DTG_SANITIZE=ON \
		-DTG_WERROR=OFF &&
		cmake --build "$REPO/build/fuzz" --parallel "$JOBS" \
			--target fuzz-parse fuzz-lmtp fuzz-wake
}

fuzz_smoke() {
	TG_FUZZ_ARTIFACTS=$REPO/build/fuzz/artifacts \
		"$REPO/tests/corpus/fuzz-smoke.sh" "$REPO/build/fuzz/fuzz/fuzz-parse"
}

# A byte-stream target from its seeds in fuzz/NAME-seeds (copied: libFuzzer
# adds what it finds to its first corpus directory): NAME SECONDS MAX_LEN.
fuzz_seeded() {
	local corpus=$REPO/build/fuzz/$1-corpus
	mkdir -p "$corpus" "$REPO/build/fuzz/artifacts"
	cp "$REPO"/fuzz/"$1"-seeds/* "$corpus/"
	"$REPO/build/fuzz/fuzz/fuzz-$1" -max_total_time="$2" \
		-max_len="$3" -artifact_prefix="$REPO/build/fuzz/artifacts/$1-" \
		"$corpus" 2>&1 | tail -3
	return "${PIPESTATUS[0]}"
}

# The LMTP state machine and the wake-up hint's parser.
fuzz_lmtp() { fuzz_seeded lmtp "${TG_FUZZ_LMTP_SECONDS:-20}" 8192; }
fuzz_wake() { fuzz_seeded wake "${TG_FUZZ_WAKE_SECONDS:-10}" 10000; }

# stage NAME NEEDS COMMAND... — runs COMMAND unless the stage named NEEDS
# (when not empty) did not pass, and records its result and time.
stage() {
	local name=$1 needs=$2 t0=$SECONDS rc=0 result
	shift 2
	if [[ -n $needs ]] && ! stage_passed "$needs"; then
		STAGES+=("$name|not run ($needs failed)|0")
		return 0
	fi
	log "$name"
	"$@" || rc=$?
	case $rc in
	0) result=passed ;;
	"$SKIP") result=skipped ;;
	*) result="FAILED (exit $rc)" ;;
	esac
	STAGES+=("$name|$result|$((SECONDS - t0))")
}

stage_passed() {
	local s
	for s in "${STAGES[@]}"; do
		[[ $s == "$1|passed|"* ]] && return 0
	done
	return 1
}

# Prints the table of stages; returns 1 when any did not pass or skip.
summary() {
	local s name result secs passed=0 failed=0 skipped=0
	log "summary"
	for s in "${STAGES[@]}"; do
		IFS='|' read -r name result secs <<<"$s"
		printf '  %-28s %-26s %5s s\n' "$name" "$result" "$secs"
		case $result in
		passed) passed=$((passed + 1)) ;;
		skipped) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
	printf '  total wall time: %d min %02d s\n' $((SECONDS / 60)) $((SECONDS % 60))
	echo "stages: $passed passed, $failed failed, $skipped skipped"
	((failed == 0))
}

main() {
	cd "$REPO"
	trap on_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	local deps="install dependencies"
	stage "$deps" "" deps
	stage "release: build" "$deps" build_release
	stage "release: ctest" "release: build" run_ctest "$REPO/build/release"
	stage "asan: build" "$deps" build_asan
	stage "asan: ctest" "asan: build" run_ctest "$REPO/build/asan"
	start_services
	stage "corpus: parse (asan+lsan)" "asan: build" corpus_parse
	stage "corpus: valgrind" "release: build" corpus_valgrind
	stage "corpus: score" "release: build" corpus_score
	stage "fuzz: build (clang)" "$deps" build_fuzz
	stage "fuzz: ${TG_FUZZ_SECONDS:-60} s run" "fuzz: build (clang)" fuzz_smoke
	stage "fuzz: LMTP ${TG_FUZZ_LMTP_SECONDS:-20} s run" "fuzz: build (clang)" fuzz_lmtp
	stage "fuzz: wake ${TG_FUZZ_WAKE_SECONDS:-10} s run" "fuzz: build (clang)" fuzz_wake
	stop_services
	summary
}

main "$@"
