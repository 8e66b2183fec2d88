#!/usr/bin/env bats
# Real clients end to end: OpenSSH with egress as ProxyCommand, git clone over
# git:// with egress as GIT_PROXY_COMMAND, through tinyproxy and squid.

load helpers/common

setup_file() {
	start_tinyproxy
	start_squid
	start_sshd
	start_git_daemon
	export TINY=http://127.0.0.1:$TINYPROXY_PORT SQUID=http://127.0.0.1:$SQUID_PORT
}

# proxy_command [EGRESS-OPTIONS]: an ssh ProxyCommand running egress.
proxy_command() {
	local arg
	printf '%q' "$EGRESS"
	for arg in "$@"; do
		printf ' %q' "$arg"
	done
	printf ' %%h %%p'
}

# git_wrapper NAME PROXY-URL [EGRESS-OPTIONS]: write a GIT_PROXY_COMMAND script
# that runs egress with EGRESS_PROXY=PROXY-URL; print its path.
git_wrapper() {
	local file=$BATS_TEST_TMPDIR/$1 proxy=$2 arg
	shift 2
	{
		echo '#!/bin/sh'
		printf 'EGRESS_PROXY=%q exec %q' "$proxy" "$EGRESS"
		for arg in "$@"; do
			printf ' %q' "$arg"
		done
		# shellcheck disable=SC2016 # expanded by the script this writes
		echo ' "$1" "$2"'
	} >"$file"
	chmod +x "$file"
	printf '%s' "$file"
}

# clone REPO WRAPPER: git clone git://…/REPO.git into $BATS_TEST_TMPDIR/clone.
clone() {
	echo "# GIT_PROXY_COMMAND: $(tail -n 1 "$2")"
	run --separate-stderr env GIT_PROXY_COMMAND="$2" timeout 60 \
		git clone -q "git://127.0.0.1:$GIT_PORT/$1.git" "$BATS_TEST_TMPDIR/clone"
	# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
	echo "# git's stderr: $stderr"
}

# assert_clone_of REPO: the clone has exactly the files of the test repository.
assert_clone_of() {
	local f
	for f in "$GIT_BASE/$1.work"/*; do
		cmp "$f" "$BATS_TEST_TMPDIR/clone/${f##*/}"
	done
}

@test "ssh through squid with egress as ProxyCommand runs a command" {
	run -0 --separate-stderr ssh_via "$(proxy_command -x "$SQUID")" echo hello from sshd
	assert_output 'hello from sshd'
}

@test "ssh through tinyproxy: the remote command's exit status comes back" {
	run -3 --separate-stderr ssh_via "$(proxy_command -x "$TINY")" 'exit 3'
}

@test "ssh through tinyproxy: 4 MiB up arrive intact" {
	local data
	data=$(random_file ssh.bin 4194304)
	run -0 --separate-stderr ssh_via "$(proxy_command -x "$TINY")" sha256sum <"$data"
	assert_output "$(sha "$data")  -"
}

@test "ssh through tinyproxy: 4 MiB down arrive intact" {
	local data out=$BATS_TEST_TMPDIR/out
	data=$(random_file ssh.bin 4194304)
	ssh_via "$(proxy_command -x "$TINY")" cat "$data" </dev/null >"$out"
	cmp "$out" "$data"
}

@test "ssh through tinyproxy with egress -v: diagnostics stay on stderr, the session works" {
	run -0 --separate-stderr ssh_via "$(proxy_command -v -x "$TINY")" echo quiet stdout
	assert_output 'quiet stdout'
	# The diagnostics were there, on ssh's stderr, which egress shares.
	assert_stderr --partial "egress: > CONNECT 127.0.0.1:$SSHD_PORT HTTP/1.1"
	assert_stderr --partial "egress: tunnel to 127.0.0.1:$SSHD_PORT open; relaying"
}

@test "ssh through a denied squid port fails and egress says why" {
	local pc
	pc="$(printf '%q' "$EGRESS") -x $SQUID 127.0.0.1 $SQUID_DENIED_PORT"
	run --separate-stderr ssh_via "$pc" true
	assert_failure 255
	assert_stderr --partial "refused CONNECT 127.0.0.1:$SQUID_DENIED_PORT: 403"
}

@test "git clone of a few MiB through tinyproxy" {
	clone big "$(git_wrapper gp "$TINY")"
	assert_success
	assert_clone_of big
}

@test "git clone of a few MiB through squid" {
	clone big "$(git_wrapper gp "$SQUID")"
	assert_success
	assert_clone_of big
}

@test "git clone through tinyproxy FAILS with --half-close (why stdin EOF is not forwarded by default)" {
	clone big "$(git_wrapper gp "$TINY" --half-close)"
	assert_failure 128
	assert_stderr --regexp 'unexpected disconnect|early EOF|remote end hung up'
	[[ ! -e $BATS_TEST_TMPDIR/clone/README ]]
}

@test "ssh with ProxyUseFdpass: egress -F hands over the socket and is gone before the session runs" {
	local dir=$BATS_TEST_TMPDIR wrapper=$BATS_TEST_TMPDIR/fdpass.sh
	# The wrapper records egress's status once egress has exited; the remote
	# command (run on this same machine) reads it during the session.
	{
		echo '#!/bin/sh'
		# shellcheck disable=SC2016 # expanded by the script this writes
		printf '%q -F -x %q "$1" "$2"\n' "$EGRESS" "$TINY"
		printf 'echo "exited $?" >%q\n' "$dir/status"
	} >"$wrapper"
	chmod +x "$wrapper"
	run -0 --separate-stderr ssh_via "$wrapper %h %p" -o ProxyUseFdpass=yes -- \
		cat "$dir/status"
	assert_output 'exited 0'
}

@test "ssh with ProxyUseFdpass through squid carries 4 MiB intact" {
	local data
	data=$(random_file fdpass.bin 4194304)
	run -0 --separate-stderr ssh_via "$(proxy_command -F -x "$SQUID")" \
		-o ProxyUseFdpass=yes -- sha256sum <"$data"
	assert_output "$(sha "$data")  -"
}
