#!/usr/bin/env bats
# The hostile-proxy matrix: replies no honest proxy sends, each scripted by the fake
# proxy. Every case ends in a status of the man page's table and one stderr line
# naming proxy and target, puts no byte of the proxy's reply on stdout (only the
# tunnel's bytes, when a tunnel opens), and ends in bounded time. Ordinary refusals
# and their statuses are in errors.bats.

load helpers/common

setup_file() {
	start_target T hold
	start_target ECHO echo-n 6
	export T_HOSTPORT=127.0.0.1:$T_PORT ECHO_HOSTPORT=127.0.0.1:$ECHO_PORT
	# A hang fails its test well before the suite's limit.
	export EGRESS_TIMEOUT=30
}

# _capture INPUT ARGS...: egress ARGS... with INPUT on stdin. Sets status, output and
# stderr as `run --separate-stderr` does, keeps the bytes themselves in $OUT and $ERR,
# and in ms how long egress ran.
_capture() {
	local input=$1 t0
	shift
	OUT=$BATS_TEST_TMPDIR/stdout ERR=$BATS_TEST_TMPDIR/stderr
	t0=${EPOCHREALTIME/./}
	status=0
	egress "$@" < <(printf '%s' "$input") >"$OUT" 2>"$ERR" || status=$?
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	# NULs dropped here; assert_clean_stderr looks for them in $ERR.
	output=$(tr -d '\0' <"$OUT")
	stderr=$(tr -d '\0' <"$ERR")
}

# via NAME [OPTIONS...]: egress through the fake proxy NAME to the hold target (which
# never speaks), stdin empty.
via() {
	local port_var=${1}_PORT
	shift
	_capture '' -x "http://127.0.0.1:${!port_var}" "$@" 127.0.0.1 "$T_PORT"
}

# tunnel NAME [OPTIONS...]: egress through the fake proxy NAME to the echo target,
# with "hello\n" on stdin, which comes back if the tunnel carries bytes both ways.
tunnel() {
	local port_var=${1}_PORT
	shift
	_capture $'hello\n' -x "http://127.0.0.1:${!port_var}" "$@" 127.0.0.1 "$ECHO_PORT"
}

# assert_stdout_bytes TEXT: stdout was TEXT, byte for byte.
assert_stdout_bytes() {
	cmp -s "$OUT" <(printf '%s' "$1") && return 0
	batslib_print_kv_single_or_multi 8 expected "$(printf '%s' "$1" | od -An -c)" \
		stdout "$(od -An -c "$OUT")" | batslib_decorate "stdout is not as expected" | fail
}

# assert_clean_stderr: stderr holds printable ASCII and newlines only (egress escapes
# what a proxy sent before printing it).
assert_clean_stderr() {
	local raw
	raw=$(LC_ALL=C tr -d '\n\040-\176' <"$ERR" | od -An -c)
	[[ -z ${raw//[[:space:]]/} ]] && return 0
	batslib_print_kv_single_or_multi 8 "raw bytes" "$raw" stderr "$stderr" |
		batslib_decorate "stderr holds control bytes" | fail
}

# assert_within MS: egress ran at most MS milliseconds.
assert_within() {
	((ms <= $1)) || fail "egress ran $ms ms, more than $1"
}

# whole_and_split FAKEPROXY-ARGS...: the same fake proxy twice, its reply whole (W)
# and one byte per write 5 ms apart (S); a tunnel to the echo target through each.
# Both must end alike: status, stdout byte for byte, stderr but for the proxy's port.
# The split run's results stay in status, output, stderr, $OUT.
whole_and_split() {
	local w_status w_err w_out
	start_fakeproxy W "$@"
	start_fakeproxy S --bytewise 5 "$@"
	tunnel W
	w_status=$status w_err=${stderr//"proxy 127.0.0.1:$W_PORT"/proxy P}
	w_out=$(od -An -c "$OUT")
	tunnel S
	assert_equal "$status" "$w_status"
	assert_equal "${stderr//"proxy 127.0.0.1:$S_PORT"/proxy P}" "$w_err"
	assert_equal "$(od -An -c "$OUT")" "$w_out"
}

# --- Replies split at every byte: each behaves as when it comes whole.

@test "split at every byte: a 200 and the bytes after it open a tunnel that carries data both ways" {
	whole_and_split --banner 'SSH-2.0-after-the-200\r\n' relay
	assert_equal "$status" 0
	assert_stdout_bytes $'SSH-2.0-after-the-200\r\nhello\n'
	refute_stderr
}

@test "split at every byte: a 403 is refused as when whole, exit 5" {
	whole_and_split status 403 Forbidden
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$S_PORT refused CONNECT $ECHO_HOSTPORT: 403 Forbidden"
}

@test "split at every byte: a 407 asks for authentication as when whole, exit 4" {
	whole_and_split status 407 Proxy Authentication Required
	assert_equal "$status" 4
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$S_PORT requires authentication for CONNECT $ECHO_HOSTPORT: 407 Proxy Authentication Required; it offers Basic; give a user with -U or in the proxy URL"
}

@test "split at every byte: an SSH banner is a malformed reply as when whole, exit 5" {
	whole_and_split garbage 'SSH-2.0-OpenSSH_9.2\r\n'
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$S_PORT sent a malformed reply to CONNECT $ECHO_HOSTPORT: \"SSH-2.0-OpenSSH_9.2\""
}

# --- What comes before, in and after a 200's head.

@test "1xx before the 200: exit 5, egress says it does not support an interim reply" {
	# RFC 9110 15.2 lets a proxy send 1xx before its final reply; libcurl takes the
	# first reply to CONNECT as the final one, so egress cannot use the tunnel.
	start_fakeproxy P --then relay raw \
		'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\n\r\n'
	tunnel P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT answered CONNECT $ECHO_HOSTPORT with an interim reply, which egress does not support: 100 Continue"
}

@test "a chunked 200: what follows its head is tunnel bytes, passed on as they are" {
	# RFC 9110 9.3.6: a client ignores Transfer-Encoding in a 2xx reply to CONNECT.
	start_fakeproxy P --then relay raw \
		'HTTP/1.1 200 Connection established\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'
	tunnel P
	assert_equal "$status" 0
	assert_stdout_bytes $'5\r\nhello\r\n0\r\n\r\nhello\n'
	refute_stderr
}

@test "a 200 with Content-Length: every byte after its head is the tunnel's, in order" {
	# RFC 9110 9.3.6: a client ignores Content-Length in a 2xx reply to CONNECT.
	start_fakeproxy P --then relay raw \
		'HTTP/1.1 200 Connection established\r\nContent-Length: 3\r\n\r\nabcdef'
	tunnel P
	assert_equal "$status" 0
	assert_stdout_bytes $'abcdefhello\n'
	refute_stderr
}

@test "a 200 claiming a 10 GB body opens the tunnel at once" {
	start_fakeproxy P --then relay raw \
		'HTTP/1.1 200 Connection established\r\nContent-Length: 10000000000\r\n\r\nabc'
	tunnel P
	assert_equal "$status" 0
	assert_stdout_bytes $'abchello\n'
	refute_stderr
	assert_within 5000
}

# --- Replies too large.

@test "a 64 KiB status line: exit 5, libcurl's reason, not 'closed without answering'" {
	start_fakeproxy P status 200 "$(head -c 65536 /dev/zero | tr '\0' x)"
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $T_HOSTPORT: CONNECT response too large"
}

@test "1 MiB of header lines after a 200: exit 5" {
	start_fakeproxy P flood
	via P --connect-timeout 10
	assert_equal "$status" 5
	assert_output ''
	# libcurl's limit (300 KiB in 7.88) and where it stops depend on its version.
	assert_stderr --regexp "^egress: proxy 127\.0\.0\.1:$P_PORT sent a malformed reply to CONNECT 127\.0\.0\.1:$T_PORT: Too large response headers: [0-9]+ > [0-9]+\$"
}

@test "header lines of 200 KB each: exit 5" {
	start_fakeproxy P flood 1048576 200000
	via P --connect-timeout 10
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $T_HOSTPORT: CONNECT response too large"
}

@test "10,000 headers on a 200 (190 KB, within libcurl's limit): the tunnel opens" {
	start_fakeproxy P --filler-headers 10000 relay
	tunnel P
	assert_equal "$status" 0
	assert_stdout_bytes $'hello\n'
	refute_stderr
}

@test "10,000 headers on a 407, the scheme offered after them: exit 4, it offers Basic" {
	start_fakeproxy P --filler-headers 10000 status 407 Proxy Authentication Required
	via P
	assert_equal "$status" 4
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT requires authentication for CONNECT $T_HOSTPORT: 407 Proxy Authentication Required; it offers Basic; give a user with -U or in the proxy URL"
}

# --- Bytes that are no HTTP.

@test "non-HTTP garbage: exit 5, the first line escaped" {
	start_fakeproxy P garbage
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $T_HOSTPORT: \"<00><01><02> this is not HTTP <FF><FE>\""
	assert_clean_stderr
}

@test "an SSH banner instead of HTTP, then close: exit 5" {
	start_fakeproxy P garbage 'SSH-2.0-OpenSSH_9.2\r\n'
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $T_HOSTPORT: \"SSH-2.0-OpenSSH_9.2\""
}

@test "an SSH banner instead of HTTP, connection held open: exit 5 at once, not at the timeout" {
	# An SSH server waits for the client's banner after sending its own.
	start_fakeproxy P --then stall raw 'SSH-2.0-OpenSSH_9.2\r\n'
	via P --connect-timeout 10
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $T_HOSTPORT: \"SSH-2.0-OpenSSH_9.2\""
	assert_within 3000
}

@test "a NUL in a header of a 200: exit 5, the line named and escaped" {
	# RFC 9110 5.5: reject the message (or replace the NUL, which libcurl does not).
	start_fakeproxy P --then relay raw \
		'HTTP/1.1 200 Connection established\r\nX-Bad: a\x00b\r\n\r\nafter'
	tunnel P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT sent a malformed reply to CONNECT $ECHO_HOSTPORT: a NUL byte in the header \"X-Bad: a<00>b\""
	assert_clean_stderr
}

@test "a NUL in a header of a 403: exit 5, the refusal is what counts" {
	start_fakeproxy P raw 'HTTP/1.1 403 Forbidden\r\nX-Bad: a\x00b\r\nContent-Length: 0\r\n\r\n'
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 403 Forbidden"
}

@test "a NUL in the reason phrase of a 200: the tunnel opens (a client ignores the reason)" {
	start_fakeproxy P --then relay raw 'HTTP/1.1 200 Conn\x00ection established\r\n\r\n'
	tunnel P
	assert_equal "$status" 0
	assert_stdout_bytes $'hello\n'
	refute_stderr
}

@test "a NUL in the reason phrase of a 200, with -v: the status line is shown escaped" {
	start_fakeproxy P --then relay raw 'HTTP/1.1 200 Conn\x00ection established\r\n\r\n'
	tunnel P -v
	assert_equal "$status" 0
	assert_stdout_bytes $'hello\n'
	assert_stderr --partial $'\negress: < HTTP/1.1 200 Conn<00>ection established\n'
	assert_clean_stderr
}

@test "a NUL in the reason phrase of a 403: exit 5, the reason escaped" {
	start_fakeproxy P raw 'HTTP/1.1 403 Forbid\x00den\r\nContent-Length: 0\r\n\r\n'
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT refused CONNECT $T_HOSTPORT: 403 Forbid<00>den"
	assert_clean_stderr
}

@test "a NUL in the reason phrase of a 407: exit 4, the reason escaped" {
	start_fakeproxy P raw \
		'HTTP/1.1 407 Proxy Auth\x00entication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'
	via P
	assert_equal "$status" 4
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT requires authentication for CONNECT $T_HOSTPORT: 407 Proxy Auth<00>entication Required; it offers Basic; give a user with -U or in the proxy URL"
	assert_clean_stderr
}

# --- Slow replies: --connect-timeout bounds the whole reply.

# trickled LINE FAKEPROXY-ARGS...: egress under --connect-timeout 2 through a fake
# proxy that trickles its reply: exit 6 with LINE (%P for the proxy, %T the target)
# and nothing on stdout, within 4 s, and the proxy saw egress go.
trickled() {
	local line=$1
	shift
	start_fakeproxy P "$@"
	via P --connect-timeout 2
	assert_equal "$status" 6
	assert_output ''
	line=${line//%P/127.0.0.1:$P_PORT}
	assert_stderr "${line//%T/$T_HOSTPORT}"
	assert_within 4000
	wait_log "$P_LOG" '^trickle-stopped ' || fail "the proxy still sends: $(cat "$P_LOG")"
}

@test "trickle: a status line a byte every 50 ms, forever, is stopped by --connect-timeout 2, exit 6" {
	trickled "egress: proxy %P did not answer CONNECT %T within 2 s" \
		trickle 50 'HTTP/1.1 200 ' x
}

@test "trickle: header lines a byte every 20 ms after a 200 status line, exit 6, the status named" {
	trickled "egress: proxy %P began its reply to CONNECT %T (200 OK) but did not finish it within 2 s" \
		trickle 20 'HTTP/1.1 200 OK\r\n' 'X-Slow: a\r\n'
}

# --- Connections that end badly.

@test "RST right after the 200: exit 1, the tunnel was reset" {
	start_fakeproxy P --then rst raw 'HTTP/1.1 200 Connection established\r\n\r\n'
	via P
	assert_equal "$status" 1
	assert_output ''
	assert_stderr "egress: tunnel to $T_HOSTPORT via proxy 127.0.0.1:$P_PORT: read: Connection reset by peer"
}

@test "RST right after the 200 and tunnel bytes: the bytes reach stdout, then exit 1" {
	start_fakeproxy P --then rst raw 'HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-x\r\n'
	via P
	assert_equal "$status" 1
	assert_stdout_bytes $'SSH-2.0-x\r\n'
	assert_stderr "egress: tunnel to $T_HOSTPORT via proxy 127.0.0.1:$P_PORT: read: Connection reset by peer"
}

@test "RST in the middle of a 200's head: exit 5, the reset named" {
	start_fakeproxy P --then rst raw 'HTTP/1.1 200 Connection established\r\nX-Half: '
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT reset the connection before the end of its reply to CONNECT $T_HOSTPORT (200 Connection established)"
}

@test "close in the middle of a 200's head: exit 5, the close named" {
	start_fakeproxy P raw 'HTTP/1.1 200 Connection established\r\nX-Half: '
	via P
	assert_equal "$status" 5
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT closed the connection before the end of its reply to CONNECT $T_HOSTPORT (200 Connection established)"
}

# --- A 407 claiming a huge body.

# A 407 whose Content-Length claims 10 GB, followed by ten bytes of body.
HUGE_407='HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 10000000000\r\n\r\nsmall body'

# huge_407_without_user [fakeproxy options]: with no user to answer with, egress
# gives up at the end of HUGE_407's head, exit 4, whatever follows it.
huge_407_without_user() {
	start_fakeproxy P "$@" raw "$HUGE_407"
	via P --connect-timeout 10
	assert_equal "$status" 4
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT requires authentication for CONNECT $T_HOSTPORT: 407 Proxy Authentication Required; it offers Basic; give a user with -U or in the proxy URL"
	assert_within 3000
}

@test "a 407 claiming a 10 GB body, then silence: exit 4 at once, its body is not waited for" {
	huge_407_without_user --then stall
}

@test "a 407 claiming a 10 GB body, then a small body and close: exit 4" {
	huge_407_without_user
}

@test "a 407 claiming a 10 GB body to egress with a password: its body bounded by --connect-timeout 2, exit 6" {
	# Answering needs the same connection, so libcurl reads the body first.
	start_fakeproxy P --then stall raw "$HUGE_407"
	EGRESS_PROXY_PASSWORD=pw via P -U alice --connect-timeout 2
	assert_equal "$status" 6
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$P_PORT began its reply to CONNECT $T_HOSTPORT (407 Proxy Authentication Required) but did not finish it within 2 s"
	assert_within 4000
}
