#!/usr/bin/env bash
# score-check.sh BIN — scores `BIN parse FILE` against the mail oracle over
# the corpus (tools/mail_score.py beside the corpus directory), twice: with
# the oracle as shipped, and with its one known defect corrected
# (oracle-fixed-score.py says which; docs/parser.md lists the messages).
# Both figures are printed; it fails when fewer than 97% of the scored
# messages pass against the corrected oracle, or when any run at all,
# scored or not, crashed, timed out, exited non-zero or printed no JSON.
#
# The per-message report goes to $TG_SCORE_REPORT (default
# ./score-report.json): it has the expected and actual value of every
# mismatching field.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

MIN_PASS_PERCENT=97

# Prints "status file" for every run that did not end with a JSON object,
# including the oracle-unsure messages the score leaves out.
bad_runs() {
	/usr/bin/python3 - "$1" <<'EOF'
import json, sys
with open(sys.argv[1], encoding='utf-8') as f:
    report = json.load(f)
for m in report['messages']:
    if m['status'] != 'ok':
        print(m['status'], m['file'])
EOF
}

main() {
	local bin=${1:?usage: score-check.sh TICKETGATE_BINARY}
	local tool report log last passed failed bad rc=0
	tg_require_corpus
	tool=$CORPUS/../tools/mail_score.py
	if [[ ! -f $tool ]]; then
		echo "SKIPPED: scorer not found at $tool"
		exit "$TG_SKIP"
	fi
	report=${TG_SCORE_REPORT:-$PWD/score-report.json}
	log=$(mktemp "${TMPDIR:-/tmp}/tg-score.XXXXXX")
	# shellcheck disable=SC2064 # expand now: log is local
	trap "rm -f '$log'" EXIT

	# python3 from PATH: the oracle is defined by the project machines'
	# Python (3.11.7), which is the first python3 there.
	echo "== oracle as shipped"
	python3 "$tool" "$CORPUS_MAIL" -- "$bin" parse '{}' | tail -n 1
	echo "== oracle with its payload defect corrected"
	python3 "$HERE/oracle-fixed-score.py" "$(dirname "$tool")" \
		"$CORPUS_MAIL" --report "$report" --show 10 \
		-- "$bin" parse '{}' | tee "$log"

	last=$(tail -n 1 "$log")
	if ! [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		echo "score: cannot read the scorer's last line: '$last'"
		return 1
	fi
	passed=${BASH_REMATCH[1]} failed=${BASH_REMATCH[2]}
	echo "report: $report"

	bad=$(bad_runs "$report")
	if [[ -n $bad ]]; then
		echo "score: $(wc -l <<<"$bad") runs did not produce a JSON object:"
		head -n 20 <<<"$bad"
		rc=1
	fi
	if ((passed + failed == 0)); then
		echo "score: no message was scored"
		return 1
	fi
	# Integer form of passed / (passed + failed) >= MIN_PASS_PERCENT %.
	if ((passed * 100 < MIN_PASS_PERCENT * (passed + failed))); then
		rc=1
	fi
	printf 'score: %d of %d scored messages pass (%d.%d%%, needed %d%%): %s\n' \
		"$passed" "$((passed + failed))" \
		"$((passed * 100 / (passed + failed)))" \
		"$((passed * 1000 / (passed + failed) % 10))" \
		"$MIN_PASS_PERCENT" "$([[ $rc == 0 ]] && echo ok || echo FAILED)"
	return "$rc"
}

main "$@"
