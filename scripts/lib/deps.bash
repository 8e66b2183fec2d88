# shellcheck shell=bash
# Debian 12 packages that building, testing and demonstrating egress need, and
# deps_ensure, which installs the missing ones. Sourced by scripts/test and scripts/demo.

EGRESS_DEPS=(
	build-essential meson ninja-build pkg-config libcurl4-openssl-dev scdoc
	bats bats-support bats-assert python3
	tinyproxy squid openssh-server openssh-client git openssl socat netcat-openbsd
)

# Print the packages of EGRESS_DEPS that are not installed, one a line.
deps_missing() {
	local pkg
	for pkg in "${EGRESS_DEPS[@]}"; do
		if [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null) != ii* ]]; then
			printf '%s\n' "$pkg"
		fi
	done
}

# Install the missing packages. Returns 0 when all are there (without running apt at
# all if nothing is missing), 2 when not root or not on a dpkg system (after saying
# what to run), apt-get's status when it fails.
deps_ensure() {
	local missing
	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "$0: no dpkg-query here; install by hand the equivalents of: ${EGRESS_DEPS[*]}" >&2
		return 2
	fi
	mapfile -t missing < <(deps_missing)
	((${#missing[@]} == 0)) && return 0

	if ((EUID != 0)); then
		echo "$0: missing packages: ${missing[*]}" >&2
		echo "Run as root, or install them with:" >&2
		echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
		return 2
	fi

	echo "==> installing: ${missing[*]}"
	# Package scripts must not start system proxies and sshd on their default ports.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	apt-get update </dev/null || return
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}" </dev/null
}
