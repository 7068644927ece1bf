#!/usr/bin/env bash
# The IMAP client (src/imap*.c) against a private Dovecot (dovecot.sh):
# TLS verification, login, the message operations and IDLE (imap-check
# main), a session whose server stops (broken) and the restart (up).
# IMAP_CHECK_WRAPPER, e.g. "valgrind --leak-check=full --error-exitcode=99",
# runs imap-check under a tool.
set -euo pipefail
check=$1
. "$(dirname "$0")/dovecot.sh"
dv_start
export DV_CONF DV_HOST DV_OTHER_HOST DV_NOTLS_HOST DV_PORT_PLAIN DV_PORT_STARTTLS \
	DV_PORT_IMAPS DV_CA DV_WRONG_CA DV_USER DV_PASSWORD_FILE

fail() {
	echo "FAIL: $*"
	tail -20 "$DV_DIR/dovecot.log" >&2
	exit 1
}
# shellcheck disable=SC2086 # the wrapper is a command line
run() { ${IMAP_CHECK_WRAPPER:-} "$check" "$@"; }

run main || fail "imap-check main"

# a session whose server stops fails temporarily; so does connecting
coproc BROKEN { run broken; }
broken_pid=$BROKEN_PID
exec {from_check}<&"${BROKEN[0]}" {to_check}>&"${BROKEN[1]}"
read -r -t 60 line <&"$from_check" || fail "imap-check broken never got ready"
[ "$line" = ready ] || fail "imap-check broken said '$line'"
dv_stop
echo go >&"$to_check"
cat <&"$from_check"
wait "$broken_pid" || fail "imap-check broken"

dv_start_again
run up || fail "imap-check up"
echo "imap: ok"
