#!/usr/bin/env bash
# The SMTP client (src/smtp*.c) against the test sink (smtp.sh): TLS
# verification, AUTH, the stored bytes and envelopes, refusals, session
# reuse (smtp-check main), a session whose sink stops (broken) and the
# restart (up). SMTP_CHECK_WRAPPER, e.g. "valgrind --leak-check=full
# --error-exitcode=99", runs smtp-check under a tool.
set -euo pipefail
check=$1
. "$(dirname "$0")/smtp.sh"
smtp_start
export SMTP_DIR SMTP_HOST SMTP_OTHER_HOST SMTP_NOTLS_HOST SMTP_PORT_PLAIN \
	SMTP_PORT_SMTPS SMTP_CA SMTP_WRONG_CA SMTP_USER SMTP_PASSWORD_FILE \
	SMTP_SPOOL SMTP_FAULTS

fail() {
	echo "FAIL: $*"
	tail -20 "$SMTP_DIR/sink.log" >&2
	exit 1
}
# shellcheck disable=SC2086 # the wrapper is a command line
run() { ${SMTP_CHECK_WRAPPER:-} "$check" "$@"; }

run main || fail "smtp-check main"

# the shell side of the fault rules: a 451 once, then delivery
smtp_fail_clear
smtp_fail rcpt 'shell@*' 451 1
n=$(smtp_messages)
/usr/bin/python3 - "$SMTP_PORT_PLAIN" <<'PY' || fail "smtp_fail from the shell"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
try:
    s.sendmail("a@example.test", ["shell@example.org"], b"Subject: x\r\n\r\nx\r\n")
    sys.exit("the first try was not refused")
except smtplib.SMTPRecipientsRefused as e:
    assert e.recipients["shell@example.org"][0] == 451, e
s.sendmail("a@example.test", ["shell@example.org"], b"Subject: x\r\n\r\nx\r\n")
s.quit()
PY
[ "$(smtp_messages)" = $((n + 1)) ] || fail "smtp_messages after the retry"
[ "$(smtp_connections)" -gt 0 ] || fail "smtp_connections"

# a session whose sink stops fails as a network failure; so does connecting
coproc BROKEN { run broken; }
broken_pid=$BROKEN_PID
exec {from_check}<&"${BROKEN[0]}" {to_check}>&"${BROKEN[1]}"
read -r -t 60 line <&"$from_check" || fail "smtp-check broken never got ready"
[ "$line" = ready ] || fail "smtp-check broken said '$line'"
smtp_stop
echo go >&"$to_check"
cat <&"$from_check"
wait "$broken_pid" || fail "smtp-check broken"

smtp_start_again
run up || fail "smtp-check up"
echo "smtp: ok"
