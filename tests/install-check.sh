#!/usr/bin/env bash
# What `cmake --install` lays out for a package (prefix /usr), into a
# throwaway DESTDIR: the front in /usr/bin, the full program where the
# systemd unit's ExecStart names it, the example configuration beside the
# file the unit reads (/etc, not /usr/etc), the schema, the sysusers
# entry and Dovecot's wake-up script. Configures and builds the two
# programs in a folder of its own.
#   install-check.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/tg-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() {
	echo "FAIL: $*"
	exit 1
}

cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
	-DCMAKE_INSTALL_PREFIX=/usr >"$work/configure.log" 2>&1 ||
	{ cat "$work/configure.log"; fail "configure"; }
cmake --build "$work/build" --parallel 2 --target ticketgate ticketgate-full \
	>"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; fail "build"; }
DESTDIR=$work/root cmake --install "$work/build" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "install"; }
root=$work/root

for f in usr/bin/ticketgate usr/libexec/ticketgate/ticketgate-full \
	usr/lib/systemd/system/ticketgate.service usr/lib/sysusers.d/ticketgate.conf \
	etc/ticketgate/ticketgate.conf.example usr/share/ticketgate/schema/0001_init.sql \
	usr/share/ticketgate/dovecot/ticketgate-wake.lua; do
	[ -e "$root/$f" ] || fail "/$f not installed"
done
[ ! -e "$root/usr/etc" ] || fail "something went to /usr/etc"
exec_start=$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/ticketgate.service")
read -r program _ _ conf <<<"$exec_start"
[ -x "$root$program" ] || fail "ExecStart names $program, which is not installed"
[ -e "$root$conf.example" ] || fail "ExecStart reads $conf, but no $conf.example beside it"
echo "installed: $(cd "$root" && find . -type f | wc -l) files; ExecStart=$exec_start"
