#!/usr/bin/env bash
# valgrind-check.sh BIN — runs `BIN parse` over the whole corpus under
# valgrind (memcheck, full leak check) and fails on any memory error, any
# definite or indirect leak, a non-zero exit, or a missing output line.
#
# Valgrind's start-up costs about a second, so the files go in a few large
# batches (one process each), TG_VALGRIND_JOBS of them at a time (default:
# the number of CPUs). Meant for the release build: valgrind and ASan do not
# mix.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

# Splits the corpus into $1 lists $2/batch-N.list (NUL-separated), dealing
# the files out largest first so the batches take about equally long.
make_batches() {
	local n=$1 dir=$2 i=0 path
	for ((i = 0; i < n; i++)); do : >"$dir/batch-$i.list"; done
	i=0
	while IFS= read -r -d '' path; do
		printf '%s\0' "$path" >>"$dir/batch-$((i % n)).list"
		i=$((i + 1))
	done < <(tg_corpus_files | xargs -0 stat -c '%s %n' | sort -rn |
		cut -d' ' -f2- | tr '\n' '\0')
}

# Runs one batch; writes its valgrind log, output and exit status.
run_batch() {
	local bin=$1 list=$2 base=${2%.list} files
	mapfile -d '' -t files <"$list"
	local rc=0
	valgrind --quiet --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--suppressions="$HERE/valgrind.supp" \
		--log-file="$base.vg.log" "$bin" parse "${files[@]}" \
		>"$base.out" 2>"$base.err" || rc=$?
	echo "$rc" >"$base.rc"
	echo "${#files[@]}" >"$base.count"
}

# Prints "ok" or what went wrong with one finished batch.
judge_batch() {
	local base=$1 rc count lines
	rc=$(<"$base.rc") count=$(<"$base.count")
	lines=$(wc -l <"$base.out")
	if ((rc == 99)); then
		echo "valgrind found errors or leaks"
	elif ((rc != 0)); then
		echo "exit status $rc"
	elif ((lines != count)); then
		echo "$lines output lines for $count messages"
	else
		echo ok
	fi
}

main() {
	local bin=${1:?usage: valgrind-check.sh TICKETGATE_BINARY}
	local jobs=${TG_VALGRIND_JOBS:-$(nproc)} tmp i verdict failed=0 t0
	tg_require_corpus
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tg-valgrind.XXXXXX")
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	t0=$SECONDS

	make_batches "$jobs" "$tmp"
	for ((i = 0; i < jobs; i++)); do
		run_batch "$bin" "$tmp/batch-$i.list" &
	done
	wait

	for ((i = 0; i < jobs; i++)); do
		verdict=$(judge_batch "$tmp/batch-$i")
		echo "batch $i: $(<"$tmp/batch-$i.count") messages: $verdict"
		if [[ $verdict != ok ]]; then
			failed=1
			sed -n '1,200p' "$tmp/batch-$i.vg.log"
			tail -n 20 "$tmp/batch-$i.err"
			# The log cannot say which message of the batch was
			# being parsed; the per-message ASan check usually
			# names it, or one run per file does.
			echo "to find the message: for f in $CORPUS_MAIL/*.eml; do valgrind -q --error-exitcode=99 --leak-check=full --suppressions=$HERE/valgrind.supp $bin parse \"\$f\" >/dev/null || echo \"\$f\"; done"
		fi
	done
	echo "valgrind: $((SECONDS - t0)) s, $([[ $failed == 0 ]] && echo clean || echo FAILED)"
	return "$failed"
}

main "$@"
