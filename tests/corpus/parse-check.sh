#!/usr/bin/env bash
# parse-check.sh BIN — runs `BIN parse FILE` on every corpus message, one
# process per message, and checks that each exits 0 and prints exactly one
# JSON object in valid UTF-8. Meant for the sanitizer build: LeakSanitizer
# is switched on, so a leak fails the message too.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$HERE/common.sh"

main() {
	local bin=${1:?usage: parse-check.sh TICKETGATE_BINARY}
	tg_require_corpus
	# Options given later win, so ours override the caller's on these keys.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:halt_on_error=1
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1
	# Debian's python: the check needs nothing but the standard library and
	# should not depend on which python3 is first on PATH. More runs than
	# CPUs: an ASan process spends most of its short life waiting (mapping
	# its shadow memory, LeakSanitizer's exit-time stop of the world).
	exec /usr/bin/python3 "$HERE/parse-check.py" --jobs "$((4 * $(nproc)))" \
		"$bin" "$CORPUS_MAIL"
}

main "$@"
