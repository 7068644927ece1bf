# shellcheck shell=bash
# Sourced by the corpus checks: finds the mail corpus, which lives outside
# the repository (a clone alone does not have it).
#
# The corpus directory holds mail/*.eml; its parent holds tools/ with the
# scorer. $TG_CORPUS names it; otherwise ../shared/corpus next to the
# repository is used.

# Exit status that tells ctest a check was skipped (SKIP_RETURN_CODE).
TG_SKIP=77

TG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Prints the corpus directory (the one holding mail/), or returns 1.
tg_corpus_dir() {
	local dir=${TG_CORPUS:-$TG_REPO/../shared/corpus}
	[[ -d $dir/mail ]] || return 1
	(cd "$dir" && pwd)
}

# Sets CORPUS and CORPUS_MAIL, or prints the skip notice and exits with
# TG_SKIP so that a clone without the corpus still passes its test run.
tg_require_corpus() {
	if ! CORPUS=$(tg_corpus_dir); then
		echo "SKIPPED: corpus not found at ${TG_CORPUS:-$TG_REPO/../shared/corpus} (set TG_CORPUS)"
		exit "$TG_SKIP"
	fi
	CORPUS_MAIL=$CORPUS/mail
}

# Prints the corpus messages, NUL-terminated, in a stable order.
tg_corpus_files() {
	find "$CORPUS_MAIL" -type f -name '*.eml' -print0 | LC_ALL=C sort -z
}
