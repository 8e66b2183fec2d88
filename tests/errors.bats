#!/usr/bin/env bats
# Failures and their exit status: each test pins the status and the stderr line.
# Statuses 0, 1 and 3..6 are produced here (2, usage, in cli.bats; 7, TLS, in https.bats).
# Replies that no honest proxy sends are in hostile.bats.

load helpers/common

setup_file() {
	start_target T hold
	start_target ECHO echo-n 6
	export T_HOSTPORT=127.0.0.1:$T_PORT
}

# egress_via PROXY-NAME [OPTIONS]: run egress through the fake proxy PROXY-NAME
# to the hold target, bounded by a timeout.
egress_via() {
	local port_var=${1}_PORT
	shift
	run --separate-stderr egress -x "http://127.0.0.1:${!port_var}" "$@" \
		127.0.0.1 "$T_PORT" </dev/null
}

@test "exit 0: a tunnel that closes normally" {
	start_fakeproxy P relay
	run -0 --separate-stderr egress -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$ECHO_PORT" \
		< <(printf 'hello\n')
	assert_output hello
	refute_stderr
}

@test "exit 5: proxy answers 403 Forbidden" {
	start_fakeproxy P status 403 Forbidden
	egress_via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 403 Forbidden"
	assert_connections "$P_LOG" 1
}

@test "exit 4: proxy answers 407 Proxy Authentication Required" {
	start_fakeproxy P status 407 Proxy Authentication Required
	egress_via P
	assert_equal "$status" 4
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT requires authentication for CONNECT $T_HOSTPORT: 407 Proxy Authentication Required; it offers Basic; give a user with -U or in the proxy URL"
}

@test "exit 5: proxy answers 502 Bad Gateway" {
	start_fakeproxy P status 502 Bad Gateway
	egress_via P
	assert_equal "$status" 5
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 502 Bad Gateway"
}

@test "exit 5: proxy answers 301 (a redirect is a refusal)" {
	start_fakeproxy P status 301 Moved Permanently
	egress_via P
	assert_equal "$status" 5
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 301 Moved Permanently"
}

@test "exit 5: proxy closes the connection without answering" {
	start_fakeproxy P close
	egress_via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT closed the connection without answering CONNECT $T_HOSTPORT"
}

@test "exit 6: proxy never answers the CONNECT (--connect-timeout 1)" {
	start_fakeproxy P silent
	local t0=$SECONDS
	egress_via P --connect-timeout 1
	assert_equal "$status" 6
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT did not answer CONNECT $T_HOSTPORT within 1 s"
	((SECONDS - t0 <= 4)) || fail "took $((SECONDS - t0)) s"
	assert_connections "$P_LOG" 1
}

@test "exit 6: proxy never accepts the connection (--connect-timeout 1)" {
	start_fakeproxy P noaccept
	local t0=$SECONDS
	egress_via P --connect-timeout 1
	assert_equal "$status" 6
	assert_output ''
	assert_stderr "egress: timed out connecting to proxy 127.0.0.1:$P_PORT for $T_HOSTPORT after 1 s"
	((SECONDS - t0 <= 4)) || fail "took $((SECONDS - t0)) s"
}

@test "exit 6: --connect-timeout accepts decimals (0.5)" {
	start_fakeproxy P silent
	local t0=$SECONDS
	egress_via P --connect-timeout 0.5
	assert_equal "$status" 6
	assert_stderr --partial "did not answer CONNECT $T_HOSTPORT"
	((SECONDS - t0 <= 3)) || fail "took $((SECONDS - t0)) s"
}

@test "exit 3: nobody listens on the proxy port" {
	local dead
	dead=$(dead_port)
	run -3 --separate-stderr egress -x "http://127.0.0.1:$dead" 127.0.0.1 "$T_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: cannot reach proxy 127.0.0.1:$dead for $T_HOSTPORT: Connection refused"
}

@test "exit 3: direct connection refused" {
	local dead
	dead=$(dead_port)
	run -3 --separate-stderr egress -x '' 127.0.0.1 "$dead" </dev/null
	assert_output ''
	assert_stderr "egress: cannot connect to 127.0.0.1:$dead (direct): Connection refused"
}

@test "exit 1: the target resets the tunnel (through a proxy)" {
	start_target RST reset
	start_fakeproxy P relay
	hold_stdin IN $'hello\n'
	run --separate-stderr egress -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$RST_PORT" <"$IN_FIFO"
	assert_equal "$status" 1
	assert_output ''
	assert_stderr "egress: tunnel to 127.0.0.1:$RST_PORT via proxy 127.0.0.1:$P_PORT: read: Connection reset by peer"
}

@test "exit 1: the target resets a direct connection" {
	start_target RST reset
	hold_stdin IN $'hello\n'
	run --separate-stderr egress -x '' 127.0.0.1 "$RST_PORT" <"$IN_FIFO"
	assert_equal "$status" 1
	assert_output ''
	assert_stderr --partial 'Connection reset by peer'
	assert_stderr_lines 1
}

@test "error lines never show proxy credentials" {
	start_fakeproxy P status 403 Forbidden
	run -5 --separate-stderr egress -x "http://user:s3cr3tpw@127.0.0.1:$P_PORT" \
		127.0.0.1 "$T_PORT" </dev/null
	# The warning that a password on the command line shows in ps, then the error.
	assert_stderr "egress: a password on the command line can be seen by other users (ps); EGRESS_PROXY_PASSWORD, ~/.netrc or the prompt keep it off
egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 403 Forbidden"
}

@test "a 255-byte proxy host with a 5-digit port: libcurl is given the whole port" {
	local port host i
	# Five digits are what did not fit: a free port from the ephemeral range has them,
	# but ask again should one not (bounded).
	for ((i = 0; i < 20; i++)); do
		port=$(dead_port)
		((port >= 10000)) && break
	done
	((port >= 10000)) || fail "no free 5-digit port in 20 tries"
	host=$(printf 'a%.0s' {1..245}).localhost
	run -3 --separate-stderr egress -v -x "socks5h://$host:$port" 127.0.0.1 22 </dev/null
	assert_stderr --regexp "Trying (127\.0\.0\.1|\[::1\]):$port\.\.\."
	refute_stderr --partial ":${port:0:4}..."
}

@test "out of descriptors at socket(): exit 1, a local failure, not an unreachable proxy" {
	local n dead saw=0
	dead=$(dead_port)
	# Where socket() meets the limit depends on what libcurl opens first: try a few.
	for n in 4 5 6 7 8 9 10; do
		# Only stdin, stdout and stderr open, whatever bats holds.
		run --separate-stderr bash -c "for f in \$(seq 3 30); do eval \"exec \$f>&-\"; done
			ulimit -n $n; exec \"$EGRESS\" -x http://127.0.0.1:$dead 127.0.0.1 22" </dev/null
		refute_stderr --partial "Couldn't connect to server"
		# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
		if [[ $stderr == *"Too many open files"* ]]; then
			assert_equal "$status" 1
			assert_stderr "egress: cannot open a socket to proxy 127.0.0.1:$dead for 127.0.0.1:22: Too many open files (ulimit -n)"
			saw=1
		fi
	done
	((saw)) || fail "no limit from 4 to 10 made socket() fail"
}
