#!/usr/bin/env bash
# fuzz-smoke.sh FUZZER — runs a libFuzzer target for TG_FUZZ_SECONDS
# (default 60), seeded with tests/data, fuzz/crashes and, when present, the
# mail corpus; fails on any finding (crash, sanitizer report, leak, timeout,
# out of memory).
#
# New inputs go to a temporary directory, or to $TG_FUZZ_WORKDIR when set
# (kept, so a later run starts from what this one found). Findings are
# written to $TG_FUZZ_ARTIFACTS (default ./fuzz-artifacts/).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

main() {
	local bin=${1:?usage: fuzz-smoke.sh FUZZER_BINARY}
	local seconds=${TG_FUZZ_SECONDS:-60} work art rc=0
	local seeds=("$TG_REPO/tests/data") opts
	art=${TG_FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}
	mkdir -p "$art"
	if [[ -n ${TG_FUZZ_WORKDIR:-} ]]; then
		work=$TG_FUZZ_WORKDIR
		mkdir -p "$work"
	else
		work=$(mktemp -d "${TMPDIR:-/tmp}/tg-fuzz.XXXXXX")
		# shellcheck disable=SC2064 # expand now: work is local
		trap "rm -rf '$work'" EXIT
	fi
	# Inputs that once crashed the parser: a crash that comes back fails.
	if [[ -d $TG_REPO/fuzz/crashes ]]; then
		seeds+=("$TG_REPO/fuzz/crashes")
	fi
	if CORPUS=$(tg_corpus_dir); then
		seeds+=("$CORPUS/mail")
	else
		echo "note: corpus not found at ${TG_CORPUS:-$TG_REPO/../shared/corpus}; seeding with tests/data only"
	fi

	opts=(-max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048
		-timeout=30 -print_final_stats=1 -artifact_prefix="$art/"
		-dict="$TG_REPO/fuzz/mime.dict")
	# The sanitizers must abort on the first report so libFuzzer saves
	# the input that caused it.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1:abort_on_error=1

	echo "fuzzing $seconds s: $bin ${opts[*]} $work ${seeds[*]}"
	"$bin" "${opts[@]}" "$work" "${seeds[@]}" || rc=$?
	if ((rc != 0)); then
		echo "fuzz: FAILED (exit status $rc); inputs saved in $art:"
		ls -l "$art"
		echo "reproduce: $bin $art/<file>"
		# Not libFuzzer's own status: 77 would read as "skipped".
		return 1
	fi
	echo "fuzz: no finding in $seconds s"
}

main "$@"
