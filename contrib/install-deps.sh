#!/usr/bin/env bash
# install-deps.sh — install everything ticketgate needs to build, run and be
# tested, from Debian 12 packages. Safe to run again: when every package is
# already installed it only asks dpkg and changes nothing.
#
#   contrib/install-deps.sh            # as root, or via sudo otherwise
#
# Environment: TG_APT_UPDATE=1 forces `apt-get update` even when nothing is
# missing (e.g. to pick up security updates).
set -euo pipefail

PACKAGES=(
	# build
	build-essential cmake pkg-config
	clang libclang-rt-14-dev # libFuzzer and the sanitizer runtimes for clang
	libetpan-dev
	libsasl2-modules # SMTP AUTH PLAIN/LOGIN plugins libetpan loads at run time
	libpq-dev libconfig-dev uuid-dev libssl-dev libsystemd-dev
	# test and benchmark tools
	valgrind
	python3 # Debian's /usr/bin/python3: the one that sees python3-* packages
	hyperfine
	time # /usr/bin/time -v reports peak memory
	# services the integration tests start on 127.0.0.1
	postgresql-15 dovecot-imapd python3-aiosmtpd openssl procps
)

log() { printf '[install-deps] %s\n' "$*" >&2; }

# Prints the packages of PACKAGES that dpkg does not list as installed.
missing_packages() {
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || status=
		[[ $status == installed ]] || printf '%s\n' "$p"
	done
}

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -- "$@"
	else
		log "not root and no sudo: cannot run '$*'"
		return 1
	fi
}

apt_get() {
	# The lock timeout waits for an unattended upgrade instead of failing.
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get -y -q -o DPkg::Lock::Timeout=600 "$@"
}

main() {
	local missing
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]} == 0)) && [[ ${TG_APT_UPDATE:-0} != 1 ]]; then
		log "all ${#PACKAGES[@]} packages already installed"
		return 0
	fi
	log "missing: ${missing[*]:-none}"
	# The package lists may be absent or stale on a fresh machine; an
	# install from stale lists fails on versions the archive no longer has.
	apt_get update
	if ((${#missing[@]})); then
		apt_get install "${missing[@]}"
	fi
	mapfile -t missing < <(missing_packages)
	if ((${#missing[@]})); then
		log "still missing after install: ${missing[*]}"
		return 1
	fi
	log "done"
}

main "$@"
