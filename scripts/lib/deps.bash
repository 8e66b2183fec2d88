# shellcheck shell=bash
# Debian 12 packages that building, testing and demonstrating egress need, and
# deps_ensure, which installs the missing ones. Sourced by scripts/test, scripts/demo
# and the other scripts.

EGRESS_DEPS=(
	build-essential meson ninja-build pkg-config libcurl4-openssl-dev scdoc
	duktape-dev # the JavaScript engine that runs PAC scripts
	bats bats-support bats-assert python3
	tinyproxy squid microsocks dante-server openssh-server openssh-client git openssl socat
	netcat-openbsd stunnel4 iproute2 # ss(8): the keepalive tests read socket timers
	curl   # a SOCKS and HTTP CONNECT client of listen mode's -D
	zsh fish # the completions are tested in the shells themselves
	systemd # systemd-socket-activate: listen mode under socket activation
	krb5-kdc krb5-admin-server krb5-user # a Kerberos realm for Negotiate proxy auth
	# The static archives behind meson's static-libcurl (start-up; see meson.build).
	libnghttp2-dev libidn2-dev librtmp-dev libssh2-1-dev libpsl-dev libssl-dev
	libldap-dev libzstd-dev libbrotli-dev zlib1g-dev libunistring-dev libgnutls28-dev
	nettle-dev libgmp-dev libtasn1-6-dev libsasl2-dev libkrb5-dev libp11-kit-dev
)

# scripts/package: building the Debian package (debian/control's Build-Depends and
# the tools around dpkg-buildpackage; Rules-Requires-Root: no, so no fakeroot) ...
# shellcheck disable=SC2034 # used by scripts/package, which sources this file
EGRESS_PACKAGE_DEPS=(
	build-essential debhelper dpkg-dev lintian git
	meson ninja-build pkg-config libcurl4-openssl-dev duktape-dev scdoc
)
# ... and scripts/package --check-install: a fresh Debian 12 root, a proxy and a
# target to tunnel to through it.
# shellcheck disable=SC2034 # used by scripts/package
EGRESS_PACKAGE_CHECK_DEPS=(debootstrap tinyproxy python3)

# Print the packages among "$@" that are not installed, one a line.
deps_missing() {
	local pkg
	for pkg in "$@"; do
		if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) != ii* ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

# Whether we may install: root on a dpkg system. Says what to run otherwise.
_deps_can_install() {
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "$0: no dpkg-query here; install by hand the equivalents of: $*" >&2
		return 1
	fi
	if ((EUID != 0)); then
		echo "$0: missing packages: $*" >&2
		echo "Run as root, or install them with:" >&2
		echo "  sudo apt-get install -y --no-install-recommends $*" >&2
		return 1
	fi
	# Package scripts must not start system proxies and sshd on their default ports.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	if [[ -z ${_DEPS_UPDATED:-} ]]; then
		apt-get update </dev/null >/dev/null || return
		_DEPS_UPDATED=1
	fi
}

# deps_ensure [PKG...]: install the missing ones of PKG... (default: EGRESS_DEPS).
# Returns 0 when all are there (without running apt at all if nothing is missing),
# 2 when not root or not on a dpkg system (after saying what to run), apt-get's
# status when it fails.
deps_ensure() {
	local missing=()
	(($#)) || set -- "${EGRESS_DEPS[@]}"
	if command -v dpkg-query >/dev/null 2>&1; then
		mapfile -t missing < <(deps_missing "$@")
		((${#missing[@]})) || return 0
	else
		missing=("$@")
	fi
	_deps_can_install "${missing[@]}" || return 2
	echo "==> installing: ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}" </dev/null
}

# deps_try PKG...: install what it can of PKG..., one at a time, never failing;
# for optional packages (the benchmark's peers).
deps_try() {
	local missing pkg
	command -v dpkg-query >/dev/null 2>&1 || return 0
	mapfile -t missing < <(deps_missing "$@")
	((${#missing[@]})) || return 0
	_deps_can_install "${missing[@]}" 2>/dev/null || {
		echo "$0: not root: skipping optional packages ${missing[*]}" >&2
		return 0
	}
	for pkg in "${missing[@]}"; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
			"$pkg" </dev/null >/dev/null 2>&1 ||
			echo "$0: could not install $pkg" >&2
	done
}
