#!/usr/bin/env bats
# Proxy choice: -x, the environment (EGRESS_PROXY, https_proxy, HTTPS_PROXY,
# all_proxy, ALL_PROXY), no-proxy rules, and failover along a proxy list.
# Five fake relay proxies P1..P5; the one whose log shows the connection is the
# one egress used.  An empty log everywhere plus the target's banner on stdout
# means a direct connection.

load helpers/common

setup_file() {
	printf 'SSH-2.0-egress-env-target\r\n' >"$BATS_FILE_TMPDIR/banner.txt"
	start_target T source "$BATS_FILE_TMPDIR/banner.txt"
	local i
	for i in 1 2 3 4 5; do
		start_fakeproxy "P$i" relay
	done
	start_fakeproxy P403 status 403 Forbidden
	start_fakeproxy P407 status 407 Proxy Authentication Required
	export U1=http://127.0.0.1:$P1_PORT U2=http://127.0.0.1:$P2_PORT U3=http://127.0.0.1:$P3_PORT
	export U4=http://127.0.0.1:$P4_PORT U5=http://127.0.0.1:$P5_PORT
	export U403=http://127.0.0.1:$P403_PORT U407=http://127.0.0.1:$P407_PORT
	export BANNER_LINE
	BANNER_LINE=$(cat "$BATS_FILE_TMPDIR/banner.txt")
}

setup() {
	local log
	for log in "$P1_LOG" "$P2_LOG" "$P3_LOG" "$P4_LOG" "$P5_LOG" "$P403_LOG" "$P407_LOG"; do
		: >"$log"
	done
}

# used: print the names of the proxies that saw a connection ("" = none).
used() {
	local n log list=()
	for n in 1 2 3 4 5 403 407; do
		log=P${n}_LOG
		grep -q '^accept' "${!log}" && list+=("P$n")
	done
	printf '%s' "${list[*]}"
}

# egress_env VAR=VALUE... -- EGRESS-ARGS...: run egress (bounded) with exactly
# these proxy variables set, stdin at EOF.
egress_env() {
	local vars=()
	while [[ $1 != -- ]]; do
		vars+=("$1")
		shift
	done
	shift
	run --separate-stderr env "${vars[@]}" timeout -k 5 60 "$EGRESS" "$@" </dev/null
}

# assert_direct: the target was reached and no proxy saw a connection.
assert_direct() {
	assert_success
	assert_output "$BANNER_LINE"
	assert_equal "$(used)" ''
}

# assert_via NAME: the target was reached through proxy NAME only.
assert_via() {
	assert_success
	assert_output "$BANNER_LINE"
	assert_equal "$(used)" "$1"
}

# ---------------------------------------------------------------------------
# Which variable wins.

@test "EGRESS_PROXY wins over all other variables" {
	egress_env EGRESS_PROXY="$U1" https_proxy="$U2" HTTPS_PROXY="$U3" all_proxy="$U4" ALL_PROXY="$U5" \
		-- 127.0.0.1 "$T_PORT"
	assert_via P1
}

@test "https_proxy wins over HTTPS_PROXY, all_proxy, ALL_PROXY" {
	egress_env https_proxy="$U2" HTTPS_PROXY="$U3" all_proxy="$U4" ALL_PROXY="$U5" -- 127.0.0.1 "$T_PORT"
	assert_via P2
}

@test "HTTPS_PROXY wins over all_proxy, ALL_PROXY" {
	egress_env HTTPS_PROXY="$U3" all_proxy="$U4" ALL_PROXY="$U5" -- 127.0.0.1 "$T_PORT"
	assert_via P3
}

@test "all_proxy wins over ALL_PROXY" {
	egress_env all_proxy="$U4" ALL_PROXY="$U5" -- 127.0.0.1 "$T_PORT"
	assert_via P4
}

@test "ALL_PROXY alone is used" {
	egress_env ALL_PROXY="$U5" -- 127.0.0.1 "$T_PORT"
	assert_via P5
}

@test "http_proxy and HTTP_PROXY are ignored: direct connection" {
	egress_env http_proxy="$U1" HTTP_PROXY="$U2" -- 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "no proxy anywhere: direct connection, -v says so" {
	egress_env -- -v 127.0.0.1 "$T_PORT"
	assert_direct
	assert_stderr --partial "egress: connecting directly to 127.0.0.1:$T_PORT (no proxy"
}

@test "empty variables are skipped" {
	egress_env EGRESS_PROXY= https_proxy= HTTPS_PROXY="$U3" all_proxy="$U4" -- 127.0.0.1 "$T_PORT"
	assert_via P3
}

@test "-v names the variable the proxy came from" {
	egress_env https_proxy="$U2" ALL_PROXY="$U5" -- -v 127.0.0.1 "$T_PORT"
	assert_via P2
	assert_stderr --partial "egress: using proxy 127.0.0.1:$P2_PORT (from https_proxy)"
}

@test "a proxy list in a variable is used in order" {
	egress_env EGRESS_PROXY="$U2,$U3" -- 127.0.0.1 "$T_PORT"
	assert_via P2
}

@test "-x overrides the environment" {
	egress_env EGRESS_PROXY="$U1" https_proxy="$U2" -- -x "$U4" 127.0.0.1 "$T_PORT"
	assert_via P4
}

@test "-x '' disables proxies from the environment" {
	egress_env EGRESS_PROXY="$U1" https_proxy="$U2" ALL_PROXY="$U5" -- -x '' 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "a bad URL in EGRESS_PROXY: exit 2 naming the variable" {
	egress_env EGRESS_PROXY="ftp://127.0.0.1:$P1_PORT" -- 127.0.0.1 "$T_PORT"
	assert_failure 2
	assert_output ''
	assert_stderr --partial EGRESS_PROXY
	assert_stderr --partial 'ftp://'
	assert_equal "$(used)" ''
}

@test "a bad URL in https_proxy: exit 2 naming the variable" {
	egress_env https_proxy="http://127.0.0.1:99999" -- 127.0.0.1 "$T_PORT"
	assert_failure 2
	assert_stderr --partial https_proxy
}

@test "a bad URL in ALL_PROXY: exit 2 naming the variable" {
	egress_env ALL_PROXY="http://:$P5_PORT" -- 127.0.0.1 "$T_PORT"
	assert_failure 2
	assert_stderr --partial ALL_PROXY
	assert_equal "$(used)" ''
}

# ---------------------------------------------------------------------------
# No-proxy rules.  Name targets are under .localhost, which libcurl resolves to
# loopback itself: no test sends a DNS query.  "direct" shows as the target's
# banner with no proxy contacted; "via proxy" as the 403 proxy's exit 5 and log.

@test "no_proxy match: -v says the connection is direct" {
	egress_env EGRESS_PROXY="$U1" no_proxy=127.0.0.1 -- -v 127.0.0.1 "$T_PORT"
	assert_direct
	assert_stderr --partial "egress: connecting directly to 127.0.0.1:$T_PORT"
}

@test "NO_PROXY with the exact IP: direct" {
	egress_env EGRESS_PROXY="$U1" NO_PROXY=127.0.0.1 -- 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "no_proxy with a CIDR block 127.0.0.0/8: direct" {
	egress_env EGRESS_PROXY="$U1" no_proxy=127.0.0.0/8 -- 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "no_proxy '*': direct" {
	egress_env https_proxy="$U2" no_proxy='*' -- 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "no_proxy list with spaces: direct" {
	egress_env EGRESS_PROXY="$U1" no_proxy='example.test, 127.0.0.1' -- 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "no_proxy with an exact host name: direct" {
	egress_env EGRESS_PROXY="$U1" no_proxy=localhost -- -4 localhost "$T_PORT"
	assert_direct
}

@test "no_proxy with another IP: via the proxy" {
	egress_env EGRESS_PROXY="$U1" no_proxy=127.0.0.2 -- 127.0.0.1 "$T_PORT"
	assert_via P1
}

@test "no_proxy with a CIDR block that does not contain the target: via the proxy" {
	egress_env EGRESS_PROXY="$U1" no_proxy=10.0.0.0/8 -- 127.0.0.1 "$T_PORT"
	assert_via P1
}

@test "--noproxy: direct" {
	egress_env EGRESS_PROXY="$U1" -- --noproxy 127.0.0.1 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "--noproxy with -x: direct" {
	egress_env -- -x "$U1" --noproxy 127.0.0.0/8 127.0.0.1 "$T_PORT"
	assert_direct
}

@test "--noproxy wins over no_proxy" {
	egress_env EGRESS_PROXY="$U1" no_proxy=127.0.0.1 -- --noproxy other.test 127.0.0.1 "$T_PORT"
	assert_via P1
}

@test "no_proxy wins over NO_PROXY" {
	egress_env EGRESS_PROXY="$U1" no_proxy=other.test NO_PROXY=127.0.0.1 -- 127.0.0.1 "$T_PORT"
	assert_via P1
}

@test "no_proxy domain suffix matches a subdomain: direct" {
	egress_env EGRESS_PROXY="$U403" no_proxy=example.localhost -- -4 host.example.localhost "$T_PORT"
	assert_direct
}

@test "no_proxy domain suffix with a leading dot matches a subdomain: direct" {
	egress_env EGRESS_PROXY="$U403" no_proxy=.example.localhost -- -4 host.example.localhost "$T_PORT"
	assert_direct
}

@test "no_proxy domain matches the domain itself: direct" {
	egress_env EGRESS_PROXY="$U403" no_proxy=example.localhost -- -4 example.localhost "$T_PORT"
	assert_direct
}

@test "no_proxy domain does not match a mere string suffix: via the proxy" {
	egress_env EGRESS_PROXY="$U403" no_proxy=example.localhost -- -4 notexample.localhost "$T_PORT"
	assert_failure 5
	assert_stderr "egress: proxy 127.0.0.1:$P403_PORT refused CONNECT notexample.localhost:$T_PORT: 403 Forbidden"
	assert_equal "$(used)" P403
}

# ---------------------------------------------------------------------------
# Failover along a proxy list.

@test "failover: -v says the first proxy failed and the next is tried" {
	local dead
	dead=$(dead_port)
	egress_env -- -v -x "http://127.0.0.1:$dead,$U2" 127.0.0.1 "$T_PORT"
	assert_via P2
	assert_stderr --regexp "(^|"$'\n'")egress: proxy 127\\.0\\.0\\.1:$dead failed: [^"$'\n'"]+; trying the next one"
}

@test "failover: a proxy that refuses the CONNECT, the next one works" {
	egress_env -- -x "$U403,$U3" 127.0.0.1 "$T_PORT"
	assert_via 'P3 P403'
}

@test "failover: a dead proxy in an environment list, the next one works" {
	local dead
	dead=$(dead_port)
	egress_env https_proxy="http://127.0.0.1:$dead,$U4" -- 127.0.0.1 "$T_PORT"
	assert_via P4
}

@test "all proxies fail: the last one's status (refused connection: 3)" {
	local dead
	dead=$(dead_port)
	egress_env -- -x "$U403,http://127.0.0.1:$dead" 127.0.0.1 "$T_PORT"
	assert_failure 3
	assert_output ''
	assert_stderr --partial "egress: cannot reach proxy 127.0.0.1:$dead for 127.0.0.1:$T_PORT: Connection refused"
}

@test "all proxies fail: the last one's status (403: 5)" {
	local dead
	dead=$(dead_port)
	egress_env -- -x "http://127.0.0.1:$dead,$U403" 127.0.0.1 "$T_PORT"
	assert_failure 5
	assert_stderr --partial "egress: proxy 127.0.0.1:$P403_PORT refused CONNECT 127.0.0.1:$T_PORT: 403 Forbidden"
}

@test "all proxies fail: the last one's status (407: 4)" {
	egress_env -- -x "$U403,$U407" 127.0.0.1 "$T_PORT"
	assert_failure 4
	assert_stderr --partial "requires authentication for CONNECT 127.0.0.1:$T_PORT: 407"
	assert_equal "$(used)" 'P403 P407'
}
