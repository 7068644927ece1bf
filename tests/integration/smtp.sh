# Sourced by integration tests: an SMTP sink (smtp-sink.py, Debian's
# python3-aiosmtpd) on loopback addresses with a throwaway CA, started as a
# child of the test and removed when it exits.
#   smtp_start     sets SMTP_DIR, SMTP_PID, SMTP_HOST (127.0.0.1),
#                  SMTP_PORT_PLAIN (plain SMTP, also offering STARTTLS),
#                  SMTP_PORT_SMTPS (TLS from the first byte),
#                  SMTP_CA (signed the server certificate: localhost,
#                  127.0.0.1), SMTP_WRONG_CA (an unrelated CA),
#                  SMTP_USER + SMTP_PASSWORD_FILE (AUTH PLAIN and LOGIN,
#                  offered, never required), SMTP_SPOOL (each accepted
#                  message as NNNN.eml, its envelope as NNNN.env JSON:
#                  from, rcpts, mail_options, helo, tls, auth, session),
#                  SMTP_FAULTS (the rules smtp_fail writes).
#                  Both ports also answer on SMTP_OTHER_HOST (127.0.0.2),
#                  an address the certificate does not name; the plain port
#                  answers on SMTP_NOTLS_HOST (127.0.0.3) without STARTTLS
#                  and with AUTH LOGIN only.
#   smtp_fail STAGE PATTERN CODE [COUNT]
#                  answer CODE (4xx, 5xx, or "hang": no answer) at STAGE
#                  (mail, rcpt or data) for addresses matching the glob
#                  PATTERN, COUNT times (default 1; 0: always). The sender
#                  is matched at mail, each recipient at rcpt, any of them
#                  at data. Rules fire in the order they were added.
#   smtp_fail_clear               removes every rule
#   smtp_messages                 prints how many messages were accepted
#   smtp_connections              prints how many connections were made
#   smtp_stop / smtp_start_again  stop, then restart with the same ports
#                  and spool (open sessions see their connection drop)
#   smtp_cleanup   stop and remove SMTP_DIR; smtp_start chains it in front of
#                  any EXIT trap already set (e.g. pg.sh's or dovecot.sh's).
# Works as root and as an ordinary user: nothing here needs privileges.
# shellcheck shell=bash disable=SC2034 # the SMTP_* are for the sourcing test
SMTP_PY=${SMTP_PY:-/usr/bin/python3} # Debian's, where aiosmtpd lives
SMTP_HOST=127.0.0.1
SMTP_OTHER_HOST=127.0.0.2
SMTP_NOTLS_HOST=127.0.0.3
SMTP_SINK=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/smtp-sink.py

smtp_free_port() {
	"$SMTP_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A CA, a server certificate it signs (DNS:localhost, IP:127.0.0.1 only) and
# an unrelated CA, all valid for two days.
smtp_make_certs() {
	local t=$SMTP_DIR/tls ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	mkdir -p "$t"
	openssl req -x509 "${ec[@]}" -keyout "$t/ca.key" -out "$t/ca.crt" -days 2 \
		-subj "/CN=ticketgate SMTP test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	openssl req -x509 "${ec[@]}" -keyout "$t/wrong-ca.key" -out "$t/wrong-ca.crt" \
		-days 2 -subj "/CN=unrelated SMTP test CA" \
		-addext basicConstraints=critical,CA:TRUE 2>/dev/null || return 1
	openssl req "${ec[@]}" -keyout "$t/server.key" -out "$t/server.csr" \
		-subj "/CN=localhost" 2>/dev/null || return 1
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		"basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=serverAuth" >"$t/server.ext"
	openssl x509 -req -in "$t/server.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" \
		-CAcreateserial -days 2 -extfile "$t/server.ext" \
		-out "$t/server.crt" 2>/dev/null || return 1
	chmod 644 "$t"/*.crt
	chmod 600 "$t"/*.key
	SMTP_CA=$t/ca.crt
	SMTP_WRONG_CA=$t/wrong-ca.crt
}

# The password carries a space, quotes and a backslash; the file holds it
# without a newline, as the daemon's password files do.
smtp_make_user() {
	SMTP_USER=gateway@example.test
	SMTP_PASSWORD_FILE=$SMTP_DIR/smtp.password
	printf '%s' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n') \"q\" \\b" \
		>"$SMTP_PASSWORD_FILE"
	chmod 600 "$SMTP_PASSWORD_FILE"
}

smtp_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

smtp_launch() {
	rm -f "$SMTP_DIR/ready"
	"$SMTP_PY" "$SMTP_SINK" --dir "$SMTP_DIR" --host "$SMTP_HOST" \
		--other-host "$SMTP_OTHER_HOST" --notls-host "$SMTP_NOTLS_HOST" \
		--port "$SMTP_PORT_PLAIN" --smtps-port "$SMTP_PORT_SMTPS" \
		--cert "$SMTP_DIR/tls/server.crt" --key "$SMTP_DIR/tls/server.key" \
		--user "$SMTP_USER" --password-file "$SMTP_PASSWORD_FILE" \
		--ready "$SMTP_DIR/ready" >>"$SMTP_DIR/sink.log" 2>&1 &
	SMTP_PID=$!
	for _ in $(seq 300); do
		[ -e "$SMTP_DIR/ready" ] && return 0
		smtp_alive "$SMTP_PID" || break
		sleep 0.05
	done
	echo "the SMTP sink did not start; its log:" >&2
	cat "$SMTP_DIR/sink.log" >&2
	return 1
}

# Prepends smtp_cleanup to whatever EXIT trap is set now.
# shellcheck disable=SC2120 # $3 comes from set --, not from a caller
smtp_chain_exit_trap() {
	local prev=
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && prev=$3
	case $prev in
	*smtp_cleanup*) return 0 ;;
	esac
	# shellcheck disable=SC2064 # expand the previous trap now
	trap "smtp_cleanup; ${prev:-:}" EXIT
}

smtp_start() {
	SMTP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tg-smtp.XXXXXX")
	SMTP_SPOOL=$SMTP_DIR/spool
	SMTP_FAULTS=$SMTP_DIR/faults
	mkdir -p "$SMTP_SPOOL" "$SMTP_FAULTS"
	smtp_chain_exit_trap
	SMTP_PORT_PLAIN=$(smtp_free_port)
	SMTP_PORT_SMTPS=$(smtp_free_port)
	smtp_make_certs || { echo "smtp_start: cannot make certificates" >&2; return 1; }
	smtp_make_user
	smtp_launch
}

smtp_fail() {
	local stage=$1 pattern=$2 code=$3 count=${4:-1}
	case $stage in
	mail | rcpt | data) ;;
	*) echo "smtp_fail: stage is mail, rcpt or data, not '$stage'" >&2; return 1 ;;
	esac
	case $code in
	[45][0-9][0-9] | hang) ;;
	*) echo "smtp_fail: code is 4xx, 5xx or hang, not '$code'" >&2; return 1 ;;
	esac
	# named by time so that rules fire in the order they were added;
	# renamed into place so that the sink never reads half a rule
	printf '%s %s %s %s\n' "$stage" "$pattern" "$code" "$count" \
		>"$SMTP_FAULTS/new.tmp"
	mv "$SMTP_FAULTS/new.tmp" "$SMTP_FAULTS/rule-$(date +%s%N)"
}

smtp_fail_clear() {
	find "$SMTP_FAULTS" -type f -delete
}

smtp_messages() {
	find "$SMTP_SPOOL" -name '*.eml' | wc -l
}

smtp_connections() {
	if [ -e "$SMTP_DIR/connections" ]; then
		wc -l <"$SMTP_DIR/connections"
	else
		echo 0
	fi
}

smtp_stop() {
	if [ -n "${SMTP_PID:-}" ]; then
		kill -TERM "$SMTP_PID" 2>/dev/null || true
		for _ in $(seq 150); do
			smtp_alive "$SMTP_PID" || break
			sleep 0.05
		done
		kill -KILL "$SMTP_PID" 2>/dev/null || true
		wait "$SMTP_PID" 2>/dev/null || true
	fi
	SMTP_PID=
}

smtp_start_again() {
	smtp_launch
}

smtp_cleanup() {
	smtp_stop
	if [ -n "${SMTP_DIR:-}" ] && [ "${KEEP_TEST_DIR:-0}" != 1 ]; then
		rm -rf "$SMTP_DIR"
	fi
	SMTP_DIR=
}
