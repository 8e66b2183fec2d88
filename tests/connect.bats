#!/usr/bin/env bats
# Tunnels through real proxies (tinyproxy, squid) and through the fake relay
# proxy, whose log shows the CONNECT request egress sent.

load helpers/common

BANNER='SSH-2.0-egress-test-target'

setup_file() {
	start_tinyproxy
	start_squid
	printf '%s\r\n' "$BANNER" >"$BATS_FILE_TMPDIR/banner"
	start_target SRC source "$BATS_FILE_TMPDIR/banner"
	# Without an IPv6 loopback the IPv6 tests skip.
	start_target SRC6 --bind ::1 source "$BATS_FILE_TMPDIR/banner" 2>/dev/null || export SRC6_PORT=
	start_target ECHO echo-n 6
	start_fakeproxy R relay
	export TINY=http://127.0.0.1:$TINYPROXY_PORT SQUID=http://127.0.0.1:$SQUID_PORT
}

setup() {
	: >"$R_LOG"
}

@test "tinyproxy: the target's banner is read back, exit 0" {
	# shellcheck disable=SC2153 # SRC_PORT: set by start_target SRC
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "tinyproxy: HOST:PORT form" {
	run -0 --separate-stderr egress -x "$TINY" "127.0.0.1:$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "tinyproxy: stdin reaches the target and its answer comes back" {
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$ECHO_PORT" < <(printf 'hello\n')
	assert_output hello
	refute_stderr
}

@test "squid: the target's banner is read back, exit 0" {
	run -0 --separate-stderr egress -x "$SQUID" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "squid: stdin reaches the target and its answer comes back" {
	run -0 --separate-stderr egress -x "$SQUID" 127.0.0.1 "$ECHO_PORT" < <(printf 'hello\n')
	assert_output hello
	refute_stderr
}

@test "tinyproxy: IPv6 target as [::1]:PORT" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	run -0 --separate-stderr egress -x "$TINY" "[::1]:$SRC6_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "tinyproxy: IPv6 target in the two-argument form ::1 PORT" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	run -0 --separate-stderr egress -x "$TINY" ::1 "$SRC6_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "IPv6 target is sent to the proxy as CONNECT [::1]:PORT" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	run -0 --separate-stderr egress -x "http://127.0.0.1:$R_PORT" ::1 "$SRC6_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	grep -qFx "> CONNECT [::1]:$SRC6_PORT HTTP/1.1" "$R_LOG"
}

@test "squid: CONNECT to a denied port gives exit 5 and the 403 line" {
	run -5 --separate-stderr egress -x "$SQUID" 127.0.0.1 "$SQUID_DENIED_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$SQUID_PORT refused CONNECT 127.0.0.1:$SQUID_DENIED_PORT: 403 Forbidden"
}

@test "squid: CONNECT to a denied domain gives exit 5 and the 403 line" {
	run -5 --separate-stderr egress -x "$SQUID" "www.$SQUID_DENIED_DOMAIN" 22 </dev/null
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$SQUID_PORT refused CONNECT www.$SQUID_DENIED_DOMAIN:22: 403 Forbidden"
}

@test "-v through tinyproxy: CONNECT and HTTP/1.0 200 on stderr, stdout clean" {
	run -0 --separate-stderr egress -v -x "$TINY" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	assert_stderr --partial "egress: > CONNECT 127.0.0.1:$SRC_PORT HTTP/1.1"
	assert_stderr --regexp $'(^|\n)egress: < HTTP/1\\.0 200 Connection established\r?(\n|$)'
}

@test "-v through squid: CONNECT and HTTP/1.1 200 on stderr, stdout clean" {
	run -0 --separate-stderr egress --verbose -x "$SQUID" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	assert_stderr --partial "egress: > CONNECT 127.0.0.1:$SRC_PORT HTTP/1.1"
	assert_stderr --regexp $'(^|\n)egress: < HTTP/1\\.1 200 Connection established\r?(\n|$)'
}

@test "-v names the proxy in use" {
	run -0 --separate-stderr egress -v -x "$TINY" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_stderr --partial "using proxy 127.0.0.1:$TINYPROXY_PORT"
}

@test "-v prefixes every stderr line with 'egress: '" {
	run -0 --separate-stderr egress -v -x "$SQUID" 127.0.0.1 "$SRC_PORT" </dev/null
	# There are lines to check: the steps and the dialogue, at least.
	assert_stderr --partial "egress: using proxy 127.0.0.1:$SQUID_PORT"
	assert_stderr --partial "egress: > CONNECT 127.0.0.1:$SRC_PORT HTTP/1.1"
	# shellcheck disable=SC2154 # $stderr_lines: set by bats' run --separate-stderr
	((${#stderr_lines[@]} >= 5)) || fail "only ${#stderr_lines[@]} stderr line(s)"
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line == "egress: "* ]] || fail "line without prefix: $line"
	done
}

@test "the CONNECT request carries the target as request line and Host" {
	run -0 --separate-stderr egress -x "http://127.0.0.1:$R_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	grep -qFx "> CONNECT 127.0.0.1:$SRC_PORT HTTP/1.1" "$R_LOG"
	grep -qFx "> Host: 127.0.0.1:$SRC_PORT" "$R_LOG"
}

@test "-H adds a header to the CONNECT request" {
	run -0 --separate-stderr egress -x "http://127.0.0.1:$R_PORT" \
		-H 'X-Egress-Test: hello world' 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	grep -qFx "> X-Egress-Test: hello world" "$R_LOG"
}

@test "-H is repeatable" {
	run -0 --separate-stderr egress -x "http://127.0.0.1:$R_PORT" \
		-H 'X-One: 1' --proxy-header 'X-Two: 2' 127.0.0.1 "$SRC_PORT" </dev/null
	grep -qFx "> X-One: 1" "$R_LOG"
	grep -qFx "> X-Two: 2" "$R_LOG"
}

@test "-A sets the User-Agent of the CONNECT request" {
	run -0 --separate-stderr egress -x "http://127.0.0.1:$R_PORT" \
		-A 'egress-test/1.0 (bats)' 127.0.0.1 "$SRC_PORT" </dev/null
	grep -qFx "> User-Agent: egress-test/1.0 (bats)" "$R_LOG"
	assert_equal "$(grep -c '^> User-Agent:' "$R_LOG")" 1
}

@test "-H and -A reach a real proxy too (tinyproxy tunnel still works)" {
	run -0 --separate-stderr egress -v -x "$TINY" -H 'X-Egress-Test: 1' \
		-A 'egress-test/1.0' 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	# tinyproxy logs no request headers: -v shows what was sent to it.
	assert_stderr --partial $'\negress: > X-Egress-Test: 1\n'
	assert_stderr --partial $'\negress: > User-Agent: egress-test/1.0\n'
}

@test "a proxy reply head split over several writes is understood" {
	start_fakeproxy S split
	run -0 --separate-stderr egress -x "http://127.0.0.1:$S_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

@test "-v never shows the proxy credentials" {
	# A proxy that asks for them (407), so that they are sent and -v sees them go.
	start_fakeproxy A --auth user:s3cr3tpw relay
	run -0 --separate-stderr egress -v -x "http://user:s3cr3tpw@127.0.0.1:$A_PORT" \
		127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	grep -qFx "> Proxy-Authorization: Basic $(printf 'user:s3cr3tpw' | base64)" "$A_LOG"
	assert_stderr --partial 'egress: > Proxy-Authorization: Basic <hidden>'
	refute_stderr --partial s3cr3tpw
	refute_stderr --partial "$(printf 'user:s3cr3tpw' | base64)"
}

@test "a proxy without a port means port 8080" {
	start_fakeproxy D8080 --port 8080 relay || skip "port 8080 is taken on this machine"
	run -0 --separate-stderr egress -x 127.0.0.1 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	assert_connections "$D8080_LOG" 1
}

@test "direct connection to an IPv6 target [::1]:PORT" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	run -0 --separate-stderr egress -x '' "[::1]:$SRC6_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	refute_stderr
}

# libcurl resolves localhost to 127.0.0.1 and ::1 by itself, whatever /etc/hosts
# says: a proxy listening on one of them shows which family egress used.

@test "-4 with a proxy given by name (localhost) uses its IPv4 address" {
	run -0 --separate-stderr egress -4 -x "http://localhost:$TINYPROXY_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
}

@test "-4 with a proxy given by name: its IPv6 address is not tried, exit 3" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	start_fakeproxy V6 --bind ::1 relay
	# Without -4 the name leads to this IPv6-only proxy.
	run -0 --separate-stderr egress -x "http://localhost:$V6_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output "$BANNER"$'\r'
	assert_connections "$V6_LOG" 1
	run -3 --separate-stderr egress -4 -x "http://localhost:$V6_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: cannot reach proxy localhost:$V6_PORT for 127.0.0.1:$SRC_PORT: Connection refused"
	assert_connections "$V6_LOG" 1
}

@test "-6 with a proxy given by name: its IPv4 address is not tried, exit 3" {
	[[ -n $SRC6_PORT ]] || skip "no IPv6 loopback"
	run -3 --separate-stderr egress -6 -x "http://localhost:$TINYPROXY_PORT" 127.0.0.1 "$SRC_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: cannot reach proxy localhost:$TINYPROXY_PORT for 127.0.0.1:$SRC_PORT: Connection refused"
}
