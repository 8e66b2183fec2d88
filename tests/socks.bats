#!/usr/bin/env bats
# SOCKS proxies: socks5 and socks5h through microsocks (with and without a user
# name and password), socks4 and socks5 through dante, socks4a through OpenSSH's
# dynamic forwarding (dante does not speak 4a); the raw relay, exit codes and the
# stdin-EOF rule apply to them as to HTTP proxies.

load helpers/common

SIZE=$((16 * 1024 * 1024))

setup_file() {
	local d=$BATS_FILE_TMPDIR
	make_payloads socks
	start_microsocks MS
	start_microsocks MSAUTH alice 's3cret-Pw'
	start_danted DANTE
	start_sshd
	start_ssh_socks SSHD4A
	start_target BANNER source "$d/banner.txt"
	# For a name the proxy resolves: wherever "localhost" leads it, ::1 or 127.0.0.1.
	start_target NAMED --bind-name localhost source "$d/banner.txt"
	start_target SINK sink "$SIZE"
	start_target SOURCE source "$d/big.bin"
	export MS5=socks5://127.0.0.1:$MS_PORT MS5H=socks5h://127.0.0.1:$MS_PORT
	export D4=socks4://127.0.0.1:$DANTE_PORT D5=socks5://127.0.0.1:$DANTE_PORT
}

# through URL [ARGS...]: the banner through egress -x URL ARGS..., stderr clean.
through() {
	run -0 --separate-stderr egress -x "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	refute_stderr
}

@test "socks5:// through microsocks" {
	through "$MS5"
}

@test "socks5h:// through microsocks (the proxy resolves the name)" {
	run -0 --separate-stderr egress -v -x "$MS5H" localhost "$NAMED_PORT" </dev/null
	assert_output "$BANNER"
	assert_stderr --partial "egress: * SOCKS5 connect to localhost:$NAMED_PORT (remotely resolved)"
}

@test "socks5:// through microsocks: egress resolves the name and sends an address" {
	run -0 --separate-stderr egress -v -x "$MS5" localhost "$NAMED_PORT" </dev/null
	assert_output "$BANNER"
	assert_stderr --regexp "egress: \* SOCKS5 connect to IPv[46] [^ ]+:$NAMED_PORT \(locally resolved\)"
}

@test "socks4:// through dante" {
	through "$D4"
}

@test "socks5:// through dante" {
	through "$D5"
}

@test "socks4a:// through ssh -D (the proxy resolves the name)" {
	run -0 --separate-stderr egress -v -x "socks4a://127.0.0.1:$SSHD4A_PORT" localhost "$NAMED_PORT" </dev/null
	assert_output "$BANNER"
	assert_stderr --partial "egress: * SOCKS4a request granted."
}

@test "SOCKS5 with the right user name and password" {
	through "socks5h://alice:s3cret-Pw@127.0.0.1:$MSAUTH_PORT" -q
}

@test "SOCKS5 with a wrong password: exit 4, the password nowhere" {
	run -4 --separate-stderr egress -v -x "socks5h://alice:wrong-Pw@127.0.0.1:$MSAUTH_PORT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr --partial "egress: SOCKS proxy 127.0.0.1:$MSAUTH_PORT refused 127.0.0.1:$BANNER_PORT: rejected the user name or password"
	refute_stderr --partial 'wrong-Pw'
}

@test "SOCKS5 proxy that demands a password, none given: exit 4" {
	run -4 --separate-stderr egress -x "socks5h://127.0.0.1:$MSAUTH_PORT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial "accepts none of the offered authentication methods"
}

# down_intact URL / up_intact URL: 16 MiB each way through URL, by sha256.
down_intact() {
	local out=$BATS_TEST_TMPDIR/out
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 --separate-stderr bash -c '"$1" -x "$2" 127.0.0.1 "$3" </dev/null >"$4"' \
		_ "$EGRESS" "$1" "$SOURCE_PORT" "$out"
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

up_intact() {
	run -0 --separate-stderr egress -x "$1" 127.0.0.1 "$SINK_PORT" <"$BATS_FILE_TMPDIR/big.bin"
	assert_output "$BIG_SHA"
}

@test "16 MiB down through socks5h:// arrive intact" {
	down_intact "$MS5H"
}

@test "16 MiB up through socks5h:// arrive intact" {
	up_intact "$MS5H"
}

@test "16 MiB down through socks5:// arrive intact" {
	down_intact "$D5"
}

@test "16 MiB up through socks5:// arrive intact" {
	up_intact "$D5"
}

@test "16 MiB down through socks4:// arrive intact" {
	down_intact "$D4"
}

@test "16 MiB up through socks4:// arrive intact" {
	up_intact "$D4"
}

@test "16 MiB down through socks4a:// arrive intact" {
	down_intact "socks4a://127.0.0.1:$SSHD4A_PORT"
}

@test "16 MiB up through socks4a:// arrive intact" {
	up_intact "socks4a://127.0.0.1:$SSHD4A_PORT"
}

@test "target refuses the connection: exit 5 with the SOCKS reason" {
	local dead
	dead=$(dead_port)
	run -5 --separate-stderr egress -x "$MS5" 127.0.0.1 "$dead" </dev/null
	assert_stderr "egress: SOCKS proxy 127.0.0.1:$MS_PORT refused 127.0.0.1:$dead: target refused the connection"
}

@test "the proxy's rules forbid the target: exit 5" {
	run -5 --separate-stderr egress -x "$D5" 127.0.0.1 9 </dev/null
	assert_stderr "egress: SOCKS proxy 127.0.0.1:$DANTE_PORT refused 127.0.0.1:9: not allowed by the proxy's rules"
}

@test "socks4:// to a SOCKS5-only server: exit 5, malformed reply" {
	run -5 --separate-stderr egress -x "socks4://127.0.0.1:$MS_PORT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial 'malformed or missing SOCKS reply'
}

@test "nobody listens on the SOCKS proxy's port: exit 3" {
	local dead
	dead=$(dead_port)
	run -3 --separate-stderr egress -x "socks5h://127.0.0.1:$dead" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr "egress: cannot reach proxy 127.0.0.1:$dead for 127.0.0.1:$BANNER_PORT: Connection refused"
}

@test "stdin EOF is not forwarded through microsocks: a late answer still arrives" {
	start_target LATE late 'pong\n' 0.5
	run -0 --separate-stderr egress -x "$MS5H" 127.0.0.1 "$LATE_PORT" < <(printf 'ping\n')
	assert_output pong
}

@test "ssh through socks5h:// with egress as ProxyCommand runs a command" {
	run -0 --separate-stderr ssh_via "$(printf '%q' "$EGRESS") -x $MS5H %h %p" echo hello over socks
	assert_output 'hello over socks'
}

@test "ssh through socks4:// (dante) with egress as ProxyCommand runs a command" {
	run -0 --separate-stderr ssh_via "$(printf '%q' "$EGRESS") -x $D4 %h %p" echo hello over socks4
	assert_output 'hello over socks4'
}
