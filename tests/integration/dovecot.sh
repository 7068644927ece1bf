# Sourced by integration tests: a private Dovecot IMAP server on 127.0.0.1
# with a throwaway CA, started as a child of the test and removed when it
# exits. Never touches the system's /etc/dovecot or a system instance.
#   dv_start       sets DV_DIR, DV_CONF, DV_PID, DV_HOST (127.0.0.1),
#                  DV_PORT_PLAIN (plain IMAP, also offering STARTTLS),
#                  DV_PORT_STARTTLS (the same port), DV_PORT_IMAPS,
#                  DV_CA (signed the server certificate: localhost, 127.0.0.1),
#                  DV_WRONG_CA (an unrelated CA), DV_USER + DV_PASSWORD_FILE,
#                  DV_USER2 + DV_PASSWORD_FILE2 (a second mailbox).
#                  The same listeners also answer on DV_OTHER_HOST
#                  (127.0.0.2): an address the certificate does not name,
#                  where the server hides MOVE and IDLE (for the clients'
#                  fallbacks); and the plain port on DV_NOTLS_HOST
#                  (127.0.0.3), where it offers no STARTTLS.
#   dv_doveadm ARGS...          doveadm against this instance
#   dv_free_port / dv_free_fixed_port  a free TCP port on 127.0.0.1; the
#                  second below the ephemeral range (see there)
#   dv_enable_wake URL          loads contrib/dovecot/ticketgate-wake.lua
#                  (push_notification's Lua driver), which sends every
#                  user's new-mail hints to URL; reloads a running server
#   dv_disable_wake             takes it out again
#   dv_stop / dv_start_again    stop, then restart with the same ports and mail
#   dv_cleanup     stop and remove DV_DIR; dv_start chains it in front of any
#                  EXIT trap already set (e.g. pg.sh's). pg_start replaces the
#                  EXIT trap, so call it first, or set your own trap that
#                  calls both cleanups.
# Works as root (mail owned by the "mail" user, Dovecot's own users for its
# processes) and as an ordinary user (everything runs as that user).
# shellcheck shell=bash disable=SC2034 # the DV_* are for the sourcing test
DV_BIN=${DV_BIN:-/usr/sbin/dovecot}
DV_HOST=127.0.0.1
DV_OTHER_HOST=127.0.0.2
DV_NOTLS_HOST=127.0.0.3

dv_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A free port below the ephemeral range, for a listener that a test stops
# and starts again: no outgoing connection can take it in between.
dv_free_fixed_port() {
	/usr/bin/python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    port = random.randrange(10000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break'
}

# A CA, a server certificate it signs (DNS:localhost, IP:127.0.0.1 only) and
# an unrelated CA, all valid for two days.
dv_make_certs() {
	local t=$DV_DIR/tls ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	mkdir -p "$t"
	openssl req -x509 "${ec[@]}" -keyout "$t/ca.key" -out "$t/ca.crt" -days 2 \
		-subj "/CN=ticketgate test CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || return 1
	openssl req -x509 "${ec[@]}" -keyout "$t/wrong-ca.key" -out "$t/wrong-ca.crt" \
		-days 2 -subj "/CN=unrelated test CA" \
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
	DV_CA=$t/ca.crt
	DV_WRONG_CA=$t/wrong-ca.crt
}

# One passwd-file line per user (it serves as passdb and userdb, so no system
# user is added) and one password file each, holding the password without a
# newline. The passwords carry a space, quotes and a backslash so that the
# client's quoting is exercised too.
dv_make_users() {
	local uid gid n name pw
	uid=$(id -u)
	gid=$(id -g)
	if [ "$uid" = 0 ]; then
		uid=$(id -u mail)
		gid=$(id -g mail)
	fi
	mkdir -p "$DV_DIR/mail"
	: >"$DV_DIR/users"
	for n in 1 2; do
		name=$([ $n = 1 ] && echo support || echo security)
		pw="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n') \"q\" \\b"
		printf '%s' "$pw" >"$DV_DIR/$name.password"
		chmod 600 "$DV_DIR/$name.password"
		printf '%s@example.test:{PLAIN}%s:%s:%s::%s/mail/%s\n' \
			"$name" "$pw" "$uid" "$gid" "$DV_DIR" "$name" >>"$DV_DIR/users"
	done
	chmod 644 "$DV_DIR/users"
	chown "$uid:$gid" "$DV_DIR/mail"
	DV_MAIL_UID=$uid
	DV_USER=support@example.test
	DV_PASSWORD_FILE=$DV_DIR/support.password
	DV_USER2=security@example.test
	DV_PASSWORD_FILE2=$DV_DIR/security.password
}

# Settings that let an ordinary user run every Dovecot process itself.
dv_conf_unprivileged() {
	[ "$(id -u)" = 0 ] && return 0
	local user group
	user=$(id -un)
	group=$(id -gn)
	cat <<EOF
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
EOF
}

dv_write_conf() {
	local addrs="$DV_HOST, $DV_OTHER_HOST"
	local all="$addrs, $DV_NOTLS_HOST"
	cat >"$DV_CONF" <<EOF
base_dir = $DV_DIR/run
state_dir = $DV_DIR/state
instance_name = $DV_INSTANCE
log_path = $DV_DIR/dovecot.log
protocols = imap
listen = $all
ssl = yes
ssl_cert = <$DV_DIR/tls/server.crt
ssl_key = <$DV_DIR/tls/server.key
# LOGIN without TLS too: the plain path is tested
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = $DV_MAIL_UID
mail_location = maildir:~/Maildir
mail_fsync = never
# IDLE notices new mail within a second
mailbox_idle_check_interval = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DV_DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DV_DIR/users
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Processed {
    auto = create
  }
  mailbox Quarantine {
    auto = create
  }
}
service imap-login {
  inet_listener imap {
    address = $all
    port = $DV_PORT_PLAIN
  }
  inet_listener imaps {
    address = $addrs
    port = $DV_PORT_IMAPS
    ssl = yes
  }
}
# no growing delay for every login from 127.0.0.1 after a wrong password
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
# doveadm, run by the test, talks to these sockets
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
# the second address hides MOVE and IDLE, so that clients take their
# fallbacks; the third offers no TLS at all
local $DV_OTHER_HOST {
  protocol imap {
    imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE NAMESPACE UIDPLUS UNSELECT
  }
}
local $DV_NOTLS_HOST {
  ssl = no
}
$(dv_conf_unprivileged)
EOF
}

dv_alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ $st != Z* ]]
}

dv_wait_greeting() {
	local line
	for _ in $(seq 300); do
		dv_alive "$DV_PID" || break
		if { exec 8<>"/dev/tcp/$DV_HOST/$DV_PORT_PLAIN"; } 2>/dev/null; then
			if IFS= read -r -t 2 line <&8 && [[ $line == "* OK"* ]]; then
				exec 8>&- 8<&-
				return 0
			fi
			exec 8>&- 8<&-
		fi
		sleep 0.05
	done
	echo "Dovecot did not start; its log:" >&2
	cat "$DV_DIR/dovecot.log" "$DV_DIR/stdout.log" >&2 2>/dev/null
	return 1
}

dv_launch() {
	# started directly so that $! is the master; -F keeps it our child
	"$DV_BIN" -c "$DV_CONF" -F >>"$DV_DIR/stdout.log" 2>&1 &
	DV_PID=$!
	dv_wait_greeting
}

# Prepends dv_cleanup to whatever EXIT trap is set now.
# shellcheck disable=SC2120 # $3 comes from set --, not from a caller
dv_chain_exit_trap() {
	local prev=
	eval "set -- $(trap -p EXIT)"
	[ $# -ge 3 ] && prev=$3
	case $prev in
	*dv_cleanup*) return 0 ;;
	esac
	# shellcheck disable=SC2064 # expand the previous trap now
	trap "dv_cleanup; ${prev:-:}" EXIT
}

dv_start() {
	DV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tg-dovecot.XXXXXX")
	chmod 755 "$DV_DIR" # the mail user must traverse it
	DV_CONF=$DV_DIR/dovecot.conf
	DV_INSTANCE=tg-imap-$$-${DV_DIR##*.}
	mkdir -p "$DV_DIR/run" "$DV_DIR/state"
	dv_chain_exit_trap
	DV_PORT_PLAIN=$(dv_free_port)
	DV_PORT_STARTTLS=$DV_PORT_PLAIN
	DV_PORT_IMAPS=$(dv_free_port)
	dv_make_certs || { echo "dv_start: cannot make certificates" >&2; return 1; }
	dv_make_users
	dv_write_conf
	dv_launch
}

dv_doveadm() {
	doveadm -c "$DV_CONF" "$@"
}

# Dovecot's processes read the script from DV_DIR, which they can traverse
# whoever owns the clone.
dv_enable_wake() {
	local lua
	lua=$(dirname "${BASH_SOURCE[0]}")/../../contrib/dovecot/ticketgate-wake.lua
	install -m 644 "$lua" "$DV_DIR/ticketgate-wake.lua"
	cat >>"$DV_CONF" <<EOF
# wake hints {
mail_plugins = \$mail_plugins notify push_notification mail_lua push_notification_lua
plugin {
  push_notification_driver = lua:file=$DV_DIR/ticketgate-wake.lua
  ticketgate_wake_url = $1
}
# } wake hints
EOF
	if [ -n "${DV_PID:-}" ]; then
		dv_doveadm reload
	fi
}

dv_disable_wake() {
	sed -i '/^# wake hints {$/,/^# } wake hints$/d' "$DV_CONF"
	if [ -n "${DV_PID:-}" ]; then
		dv_doveadm reload
	fi
}

# Stops pid within 7.5 s, with KILL if TERM did not do it.
dv_kill() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 150); do
		dv_alive "$1" || return 0
		sleep 0.05
	done
	kill -KILL "$1" 2>/dev/null || true
}

# The master leaves the processes that serve open connections (and their
# log process) running, so those are stopped too: by the PIDs it started,
# each only while it still carries this instance's name.
dv_stop() {
	local kids pid
	if [ -n "${DV_PID:-}" ]; then
		kids=$(ps -o pid= --ppid "$DV_PID" 2>/dev/null || true)
		dv_kill "$DV_PID"
		wait "$DV_PID" 2>/dev/null || true
		for pid in $kids; do
			case $(ps -o args= -p "$pid" 2>/dev/null) in
			*"$DV_INSTANCE"/*) dv_kill "$pid" ;;
			esac
		done
	fi
	DV_PID=
}

dv_start_again() {
	dv_launch
}

dv_cleanup() {
	dv_stop
	if [ -n "${DV_DIR:-}" ] && [ "${KEEP_TEST_DIR:-0}" != 1 ]; then
		rm -rf "$DV_DIR"
	fi
	DV_DIR=
}
