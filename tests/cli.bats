#!/usr/bin/env bats
# Command line: --help, --version, and every usage error (exit 2) refused before
# any network traffic.  The fake proxy answers 403 to whatever reaches it, and
# its log proves whether egress connected at all.

load helpers/common

setup_file() {
	start_fakeproxy P status 403 Forbidden
	export PROXY=http://127.0.0.1:$P_PORT
}

setup() {
	: >"$P_LOG"
}

# usage_error ARGS...: run egress, expect exit 2, a first line starting
# "egress: ", the "Try 'egress --help'." hint last, nothing on stdout and no
# connection to the fake proxy.
usage_error() {
	run -2 --separate-stderr egress "$@"
	assert_output ''
	# shellcheck disable=SC2154 # $stderr_lines: set by bats' run --separate-stderr
	[[ ${stderr_lines[0]} == "egress: "* ]] || fail "first stderr line: ${stderr_lines[0]}"
	assert_equal "${stderr_lines[-1]}" "Try 'egress --help'."
	assert_no_connection "$P_LOG"
}

# usage_error_says LINE ARGS...: usage_error ARGS..., and LINE is the whole error:
# stderr is LINE, then the hint.
usage_error_says() {
	local line=$1
	shift
	usage_error "$@"
	assert_stderr "$line"$'\n'"Try 'egress --help'."
}

# bad_host HOST [REASON]: HOST (two-argument form) is refused as a target host.
bad_host() {
	usage_error -x "$PROXY" "$1" 22
	assert_stderr --regexp '^egress: invalid (target )?host'
	[[ -z ${2:-} ]] || assert_stderr --partial "$2"
}

@test "--help prints usage on stdout and exits 0" {
	run -0 --separate-stderr egress --help
	refute_stderr
	assert_line --index 0 --regexp '^Usage: egress '
	local opt
	for opt in --proxy --noproxy --proxy-header --user-agent --connect-timeout \
		--idle-timeout --keepalive --half-close --eof-timeout --ipv4 --ipv6 \
		--verbose --quiet --help --version; do
		assert_output --partial -- "$opt"
	done
	for opt in -x -H -A -4 -6 -v -q -h -V; do
		assert_output --regexp "(^|[[:space:]])$opt,"
	done
}

@test "-h is --help" {
	run -0 --separate-stderr egress --help
	local long=$output
	run -0 --separate-stderr egress -h
	assert_output "$long"
}

@test "--version names egress and libcurl on stdout and exits 0" {
	run -0 --separate-stderr egress --version
	refute_stderr
	assert_output --regexp '(^|[[:space:]])egress [0-9]'
	assert_output --partial 'libcurl/'
}

@test "-V is --version" {
	run -0 --separate-stderr egress --version
	local long=$output
	run -0 --separate-stderr egress -V
	assert_output "$long"
	refute_stderr
}

@test "--help and --version that cannot be written: exit 1, saying so" {
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -1 --separate-stderr bash -c '"$1" --help >/dev/full' _ "$EGRESS"
	assert_stderr "egress: cannot write to standard output: No space left on device"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -1 --separate-stderr bash -c '"$1" --version >/dev/full' _ "$EGRESS"
	assert_stderr "egress: cannot write to standard output: No space left on device"
}

@test "--help and --version make no connection" {
	run -0 egress --help -x "$PROXY" 127.0.0.1 22
	run -0 egress --version -x "$PROXY" 127.0.0.1 22
	assert_no_connection "$P_LOG"
}

@test "host with CR is refused" {
	bad_host $'ex\rample.com'
}

@test "host with LF is refused" {
	bad_host $'ex\nample.com'
}

@test "host with a space is refused" {
	bad_host 'a b' 'space not allowed'
}

@test "host with a control byte 0x01 is refused" {
	bad_host $'ex\x01ample.com'
}

@test "host with DEL 0x7f is refused" {
	bad_host $'ex\x7fample.com'
}

@test "host with a byte >= 0x80 is refused" {
	bad_host $'ex\xc3\xa9ample.com'
}

@test "host with a slash is refused" {
	bad_host 'example.com/x'
}

@test "host with an @ is refused" {
	bad_host 'user@example.com'
}

@test "empty host is refused" {
	bad_host ''
}

@test "host of 256 bytes is refused" {
	bad_host "$(printf 'a%.0s' {1..256})"
}

@test "host of 255 bytes is accepted (reaches the proxy)" {
	local host
	host=$(printf 'a%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'c%.0s' {1..63}).$(printf 'd%.0s' {1..63})
	assert_equal "${#host}" 255
	run -5 --separate-stderr egress -x "$PROXY" "$host" 22
	assert_connections "$P_LOG" 1
	grep -qF "> CONNECT $host:22 HTTP/1.1" "$P_LOG"
}

@test "malformed bare IPv6 host is refused" {
	bad_host '1::2::3'
}

@test "unterminated [IPv6]:PORT is refused" {
	usage_error_says "egress: invalid address \"[::1:22\": missing ']'" -x "$PROXY" '[::1:22'
}

@test "[NAME]:PORT is refused: brackets hold an IPv6 address, target and proxy alike" {
	usage_error_says "egress: invalid address \"[example.com]:22\": brackets hold an IPv6 address" \
		-x "$PROXY" '[example.com]:22'
	usage_error -x "$PROXY" '[127.0.0.1]:22'
	usage_error -x 'http://[proxy.example]:3128' 127.0.0.1 22
	assert_stderr --partial "brackets hold an IPv6 address"
}

@test "--keepalive above the kernel's 32767 s is refused, not silently ignored" {
	usage_error_says "egress: --keepalive: invalid \"32768\" (whole seconds, 1 to 32767)" \
		--keepalive 32768 -x "$PROXY" 127.0.0.1 22
	usage_error --keepalive 99999999 -x "$PROXY" 127.0.0.1 22
}

@test "a password where the scheme goes is never printed (-x and https_proxy)" {
	local u
	for u in 'alice:S3cr3t://x@proxy:3128' 'alice:S3cr3t@x://proxy:3128' 'alice:S3cr3t://proxy:3128'; do
		usage_error -x "$u" 127.0.0.1 22
		refute_stderr --partial S3cr3t
		assert_stderr --partial 'is not a scheme'
		https_proxy=$u run -2 --separate-stderr egress 127.0.0.1 22 </dev/null
		refute_stderr --partial S3cr3t
	done
}

@test "port 0 is refused" {
	usage_error -x "$PROXY" 127.0.0.1 0
	assert_stderr --partial 'invalid port "0"'
}

@test "port 65536 is refused" {
	usage_error -x "$PROXY" 127.0.0.1 65536
	assert_stderr --partial 'invalid port "65536"'
}

@test "port 65535 is accepted (reaches the proxy)" {
	run -5 --separate-stderr egress -x "$PROXY" 127.0.0.1 65535
	assert_connections "$P_LOG" 1
}

@test "port abc is refused" {
	usage_error -x "$PROXY" 127.0.0.1 abc
	assert_stderr --partial 'invalid port "abc"'
}

@test "port -1 is refused" {
	usage_error -x "$PROXY" -- 127.0.0.1 -1
	assert_stderr --partial 'invalid port "-1"'
}

@test "port 22x is refused" {
	usage_error -x "$PROXY" 127.0.0.1 22x
	assert_stderr --partial 'invalid port "22x"'
}

@test "empty port is refused" {
	usage_error -x "$PROXY" 127.0.0.1 ''
	assert_stderr --partial 'invalid port'
}

@test "HOST:PORT with port 70000 is refused" {
	usage_error -x "$PROXY" 127.0.0.1:70000
	assert_stderr --partial 'invalid port "70000" (must be 1..65535)'
}

@test "HOST: with an empty port is refused" {
	usage_error_says 'egress: invalid port "" (must be 1..65535)' -x "$PROXY" 127.0.0.1:
}

@test "HOST alone without a port is refused" {
	usage_error_says 'egress: missing port in "127.0.0.1" (use HOST PORT or HOST:PORT)' \
		-x "$PROXY" 127.0.0.1
}

@test "-H with CR/LF is refused" {
	usage_error -x "$PROXY" -H $'X-A: b\r\nX-Injected: c' 127.0.0.1 22
	assert_stderr --regexp '^egress: invalid header .*CR/LF not allowed'
}

@test "-H with a bare LF is refused" {
	usage_error -x "$PROXY" -H $'X-A: b\nX-Injected: c' 127.0.0.1 22
	assert_stderr --partial 'CR/LF'
}

@test "-H with a bare CR is refused" {
	usage_error -x "$PROXY" --proxy-header $'X-A: b\rc' 127.0.0.1 22
	assert_stderr --partial 'CR/LF'
}

@test "-H without a 'Name:' is refused" {
	usage_error -x "$PROXY" -H 'NoColonHere' 127.0.0.1 22
	assert_stderr --partial 'invalid header'
}

@test "-A with CR/LF is refused" {
	usage_error -x "$PROXY" -A $'agent\r\nX-Injected: c' 127.0.0.1 22
	assert_stderr --partial 'CR/LF'
}

@test "--user-agent with a bare LF is refused" {
	usage_error -x "$PROXY" --user-agent $'agent\nX-Injected: c' 127.0.0.1 22
	assert_stderr --partial 'CR/LF'
}

@test "proxy URL with an unknown scheme is refused" {
	usage_error -x "ftp://127.0.0.1:$P_PORT" 127.0.0.1 22
	assert_stderr --partial "invalid proxy URL \"ftp://127.0.0.1:$P_PORT\": unsupported scheme \"ftp\""
}

@test "proxy URL with port 0 is refused" {
	usage_error -x "http://127.0.0.1:0" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "proxy URL with port 65536 is refused" {
	usage_error -x "http://127.0.0.1:65536" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "proxy URL with a non-numeric port is refused" {
	usage_error -x "http://127.0.0.1:${P_PORT}x" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "proxy URL with an empty host is refused" {
	usage_error -x "http://:$P_PORT" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "proxy URL with a path is refused" {
	usage_error -x "http://127.0.0.1:$P_PORT/some/path" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "a bad URL anywhere in a proxy list is refused" {
	usage_error -x "$PROXY,gopher://127.0.0.1:$P_PORT" 127.0.0.1 22
	assert_stderr --partial 'invalid proxy URL'
}

@test "proxy URL with a trailing slash is accepted" {
	run -5 --separate-stderr egress -x "$PROXY/" 127.0.0.1 22
	assert_connections "$P_LOG" 1
}

@test "proxy without a scheme is accepted" {
	run -5 --separate-stderr egress -x "127.0.0.1:$P_PORT" 127.0.0.1 22
	assert_connections "$P_LOG" 1
}

@test "unknown long option is refused" {
	usage_error_says 'egress: unknown option "--bogus"' -x "$PROXY" --bogus 127.0.0.1 22
}

@test "unknown short option is refused" {
	usage_error_says 'egress: unknown option "-Z"' -x "$PROXY" -Z 127.0.0.1 22
}

@test "option missing its argument is refused" {
	usage_error_says 'egress: option "-x" needs a value' 127.0.0.1 22 -x
}

@test "no arguments is refused" {
	usage_error_says 'egress: missing HOST PORT'
}

@test "extra argument is refused" {
	usage_error_says 'egress: too many arguments' -x "$PROXY" 127.0.0.1 22 extra
}

@test "HOST:PORT plus an extra argument is refused" {
	# Two arguments are HOST PORT, and "127.0.0.1:22" is no host.
	usage_error_says 'egress: invalid host "127.0.0.1:22": not an IPv6 address' \
		-x "$PROXY" 127.0.0.1:22 extra
}

@test "-q with -v is refused" {
	usage_error_says 'egress: -v and -q contradict each other' -x "$PROXY" -q -v 127.0.0.1 22
}

@test "--connect-timeout abc is refused" {
	usage_error_says 'egress: --connect-timeout: invalid duration "abc" (seconds, > 0, e.g. 30 or 0.5)' \
		-x "$PROXY" --connect-timeout abc 127.0.0.1 22
}

@test "--idle-timeout -1 is refused" {
	usage_error_says 'egress: --idle-timeout: invalid duration "-1" (seconds, > 0, e.g. 30 or 0.5)' \
		-x "$PROXY" --idle-timeout=-1 127.0.0.1 22
}

@test "--eof-timeout with trailing junk is refused" {
	usage_error_says 'egress: --eof-timeout: invalid duration "1s" (seconds, > 0, e.g. 30 or 0.5)' \
		-x "$PROXY" --eof-timeout 1s 127.0.0.1 22
}

@test "decimal SECS are accepted" {
	run -5 --separate-stderr egress -x "$PROXY" --connect-timeout 0.5 --idle-timeout 2.5 \
		--eof-timeout 0.25 127.0.0.1 22
	assert_connections "$P_LOG" 1
}

@test "-q keeps errors on stderr" {
	run -5 --separate-stderr egress -q -x "$PROXY" 127.0.0.1 22
	assert_output ''
	assert_stderr --partial 'refused CONNECT 127.0.0.1:22: 403'
}

@test "--fdpass with stdout not a Unix socket is refused before any traffic" {
	run -2 --separate-stderr egress -F -x "$PROXY" 127.0.0.1 22 </dev/null
	assert_stderr --partial '--fdpass needs stdout to be a Unix socket'
	assert_no_connection "$P_LOG"
}

@test "--fdpass with --half-close is refused" {
	run -2 --separate-stderr egress -F --half-close -x "$PROXY" 127.0.0.1 22 </dev/null
	assert_stderr --partial '--fdpass leaves no relay behind'
	assert_no_connection "$P_LOG"
}

# ---------------------------------------------------------------------------
# Proxy credentials on the command line.

@test "-U with an empty user name is refused" {
	usage_error -U ':pw' -x "$PROXY" 127.0.0.1 22
	assert_stderr --partial '--proxy-user: empty user name'
	refute_stderr --partial pw
}

@test "-U with CR or LF is refused" {
	usage_error -U $'alice\r\nX-Injected: 1' -x "$PROXY" 127.0.0.1 22
	assert_stderr --partial '--proxy-user: control characters (CR/LF...) not allowed'
}

@test "--proxy-auth with an unknown method is refused, naming the known ones" {
	usage_error --proxy-auth kerberos -x "$PROXY" 127.0.0.1 22
	assert_stderr --partial '--proxy-auth: unknown method "kerberos" (any, anysafe, basic, digest, ntlm, negotiate)'
}

@test "--proxy-auth takes its methods in any case" {
	run -5 --separate-stderr egress --proxy-auth NTLM -x "$PROXY" 127.0.0.1 22
	assert_stderr --partial '403 Forbidden'
}
