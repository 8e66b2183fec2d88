#!/usr/bin/env bats
# The data path: bytes right after the proxy's reply, every byte value, large
# transfers, who closes first, stdin EOF handling, timeouts and signals.

load helpers/common

BIG=$((64 * 1024 * 1024))

setup_file() {
	local d=$BATS_FILE_TMPDIR
	head -c "$BIG" /dev/urandom >"$d/big.bin"
	head -c $((256 * 1024)) /dev/urandom >"$d/banner256k.bin"
	"$PYTHON" -c 'import sys; b = bytes(range(256)); sys.stdout.buffer.write(b + b[::-1])' >"$d/allbytes.bin"
	printf 'SSH-2.0-egress-target\r\n' >"$d/banner.txt"
	export BIG_SHA
	BIG_SHA=$(sha "$d/big.bin")

	start_tinyproxy
	export TINY=http://127.0.0.1:$TINYPROXY_PORT
	start_target SINK sink "$BIG"
	start_target SOURCE source "$d/big.bin"
	start_target ECHON echo-n "$BIG"
	start_target SMALL source "$d/banner.txt"
	start_target ALLSINK sink 512
	start_target ALLSRC source "$d/allbytes.bin"
	start_target ALLECHO echo-n 512
}

# egress_to FILE ARGS...: run egress (bounded) with stdout into FILE.
egress_to() {
	local file=$1
	shift
	egress "$@" >"$file"
}

now_ms() {
	date +%s%3N
}

# ---------------------------------------------------------------------------
# Bytes the proxy sends with its reply.

@test "a banner coalesced with the 200 reply in one write arrives intact" {
	start_fakeproxy P --banner 'SSH-2.0-coalesced-banner\r\n' coalesce
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$(dead_port)" </dev/null
	refute_stderr
	cmp "$out" <(printf 'SSH-2.0-coalesced-banner\r\n')
}

@test "a 256 KiB banner coalesced with the 200 reply arrives intact" {
	start_fakeproxy P --banner-file "$BATS_FILE_TMPDIR/banner256k.bin" coalesce
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$(dead_port)" </dev/null
	refute_stderr
	cmp "$out" "$BATS_FILE_TMPDIR/banner256k.bin"
}

@test "a coalesced banner is followed by the target's own bytes, in order" {
	start_fakeproxy P --banner 'from-proxy\n' coalesce
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$SMALL_PORT" </dev/null
	cmp "$out" <(printf 'from-proxy\n'; cat "$BATS_FILE_TMPDIR/banner.txt")
}

@test "an HTTP/1.0 200 reply opens the tunnel" {
	start_fakeproxy P http10
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$SMALL_PORT" </dev/null
	refute_stderr
	cmp "$out" "$BATS_FILE_TMPDIR/banner.txt"
}

# ---------------------------------------------------------------------------
# Every byte value, large transfers (through tinyproxy).

@test "every byte value 0..255 goes up intact" {
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$ALLSINK_PORT" \
		<"$BATS_FILE_TMPDIR/allbytes.bin"
	assert_output "$(sha "$BATS_FILE_TMPDIR/allbytes.bin")"
}

@test "every byte value 0..255 comes down intact" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINY" 127.0.0.1 "$ALLSRC_PORT" </dev/null
	cmp "$out" "$BATS_FILE_TMPDIR/allbytes.bin"
}

@test "every byte value 0..255 both ways at once" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINY" 127.0.0.1 "$ALLECHO_PORT" \
		<"$BATS_FILE_TMPDIR/allbytes.bin"
	cmp "$out" "$BATS_FILE_TMPDIR/allbytes.bin"
}

@test "64 MiB up through tinyproxy arrive intact" {
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$SINK_PORT" \
		<"$BATS_FILE_TMPDIR/big.bin"
	assert_output "$BIG_SHA"
	refute_stderr
}

@test "64 MiB down through tinyproxy arrive intact" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINY" 127.0.0.1 "$SOURCE_PORT" </dev/null
	refute_stderr
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

@test "64 MiB both ways at once through tinyproxy arrive intact" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINY" 127.0.0.1 "$ECHON_PORT" \
		<"$BATS_FILE_TMPDIR/big.bin"
	refute_stderr
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

@test "64 MiB both ways at once on a direct connection arrive intact" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x '' 127.0.0.1 "$ECHON_PORT" <"$BATS_FILE_TMPDIR/big.bin"
	refute_stderr
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

# ---------------------------------------------------------------------------
# Who closes first.

@test "far side closes first while stdin stays open: exit 0 promptly" {
	hold_stdin IN
	local t0
	t0=$(now_ms)
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$SMALL_PORT" <"$IN_FIFO"
	assert_output "$(cat "$BATS_FILE_TMPDIR/banner.txt")"
	refute_stderr
	(($(now_ms) - t0 < 3000)) || fail "took $(($(now_ms) - t0)) ms"
}

@test "far side closes first on a direct connection while stdin stays open: exit 0" {
	hold_stdin IN
	run -0 --separate-stderr egress -x '' 127.0.0.1 "$SMALL_PORT" <"$IN_FIFO"
	assert_output "$(cat "$BATS_FILE_TMPDIR/banner.txt")"
	refute_stderr
}

@test "stdout's reader goes away while stdin is open: exit 1 promptly, nothing on stderr" {
	local err=$BATS_TEST_TMPDIR/err
	# sleep keeps stdin open (bash does not wait for it); the 64 MiB download is far
	# from done when head leaves.
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 timeout 10 bash -c '"$1" -x "$2" 127.0.0.1 "$3" 2>"$4" < <(exec sleep 20) | head -c 10 >/dev/null
		echo "${PIPESTATUS[0]}"' _ "$EGRESS" "$TINY" "$SOURCE_PORT" "$err"
	assert_output 1
	assert_equal "$(cat "$err")" ''
}

@test "stdout's reader goes away after stdin ended: exit 0 (git closes both pipes)" {
	local err=$BATS_TEST_TMPDIR/err
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 timeout 10 bash -c '"$1" -x "$2" 127.0.0.1 "$3" </dev/null 2>"$4" | head -c 10 >/dev/null
		echo "${PIPESTATUS[0]}"' _ "$EGRESS" "$TINY" "$SOURCE_PORT" "$err"
	assert_output 0
	assert_equal "$(cat "$err")" ''
}

# ---------------------------------------------------------------------------
# stdin EOF.

@test "default: stdin EOF through tinyproxy keeps the tunnel, the late answer arrives" {
	start_target LATE late 'pong\n' 0.5
	run -0 --separate-stderr egress -x "$TINY" 127.0.0.1 "$LATE_PORT" < <(printf 'ping\n')
	assert_output pong
	refute_stderr
}

@test "--half-close through tinyproxy loses the late answer (why it is not the default)" {
	start_target LATE late 'pong\n' 0.5
	# The ping crossed the tunnel; tinyproxy then tore it down at the half-close:
	# egress ends normally, with nothing to show.
	run -0 --separate-stderr egress --half-close -x "$TINY" 127.0.0.1 "$LATE_PORT" \
		< <(printf 'ping\n')
	assert_output ''
	refute_stderr
	assert_connections "$LATE_LOG" 1
}

# held_tunnel_eof ARGS...: egress ARGS... through a fake proxy that relays a
# half-close, to the hold target, stdin at EOF from the start.  Once the tunnel is
# open, watches the target for 2.5 s (or until it sees an EOF); prints "eof" if it
# saw one, "none" if not, and then egress must still be running.
held_tunnel_eof() {
	start_target HOLD hold
	start_fakeproxy P --half-close relay
	"$EGRESS" "$@" -x "http://127.0.0.1:$P_PORT" 127.0.0.1 "$HOLD_PORT" </dev/null >/dev/null \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$! i seen=none
	register "$pid"
	wait_log "$HOLD_LOG" '^accept' || fail "the tunnel did not open: $(cat "$BATS_TEST_TMPDIR/err")"
	for ((i = 0; i < 50; i++)); do
		if grep -q '^client-eof' "$HOLD_LOG"; then
			seen=eof
			break
		fi
		sleep "$WAIT_STEP"
	done
	# Once the EOF is through, the target closes and egress may end.
	[[ $seen == eof ]] || alive "$pid" || fail "egress exited: $(cat "$BATS_TEST_TMPDIR/err")"
	echo "$seen"
}

@test "default: stdin EOF is not forwarded through a proxy that could relay it" {
	run -0 held_tunnel_eof
	assert_output none
}

@test "--half-close: the same watch sees the EOF reach the target" {
	# The control for the test above: its watch would have seen a forwarded EOF.
	run -0 held_tunnel_eof --half-close
	assert_output eof
}

@test "direct connection: stdin EOF becomes a half-close, the echo comes back" {
	start_target ECHO echo
	run -0 --separate-stderr egress -x '' 127.0.0.1 "$ECHO_PORT" < <(printf 'hello half-close')
	assert_output 'hello half-close'
	refute_stderr
	grep -qx 'client-eof 16' "$ECHO_LOG"
}

@test "--half-close forwards stdin EOF through a proxy that relays it" {
	start_target ECHO echo
	start_fakeproxy P --half-close relay
	run -0 --separate-stderr egress --half-close -x "http://127.0.0.1:$P_PORT" \
		127.0.0.1 "$ECHO_PORT" < <(printf 'hello half-close')
	assert_output 'hello half-close'
	refute_stderr
	grep -qx 'client-eof 16' "$ECHO_LOG"
}

@test "--half-close forwards all of a large upload before the EOF" {
	start_target ECHO echo
	start_fakeproxy P --half-close relay
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" --half-close -x "http://127.0.0.1:$P_PORT" \
		127.0.0.1 "$ECHO_PORT" <"$BATS_FILE_TMPDIR/big.bin"
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

@test "--eof-timeout 1: exit 0 about 1 s after stdin EOF when the far side stays open" {
	start_target HOLD hold
	local t0 dt
	t0=$(now_ms)
	run -0 --separate-stderr egress --eof-timeout 1 -x "$TINY" 127.0.0.1 "$HOLD_PORT" </dev/null
	dt=$(($(now_ms) - t0))
	assert_output ''
	((dt >= 900 && dt < 4000)) || fail "took $dt ms"
}

@test "--eof-timeout does not cut a far side that closes in time" {
	start_target LATE late 'pong\n' 0.3
	run -0 --separate-stderr egress --eof-timeout 3 -x "$TINY" 127.0.0.1 "$LATE_PORT" \
		< <(printf 'ping\n')
	assert_output pong
}

# ---------------------------------------------------------------------------
# Idle timeout, keepalive.

@test "--idle-timeout 1: exit 6 after 1 s without a byte" {
	start_target HOLD hold
	hold_stdin IN
	local t0 dt
	t0=$(now_ms)
	run -6 --separate-stderr egress --idle-timeout 1 -x "$TINY" 127.0.0.1 "$HOLD_PORT" <"$IN_FIFO"
	dt=$(($(now_ms) - t0))
	assert_output ''
	assert_stderr "egress: tunnel to 127.0.0.1:$HOLD_PORT via proxy 127.0.0.1:$TINYPROXY_PORT idle for 1 s; closing"
	((dt >= 900 && dt < 4000)) || fail "took $dt ms"
}

@test "--idle-timeout is not hit while bytes flow" {
	# Ten lines 0.3 s apart: the tunnel lives three times the timeout, never idle
	# for as long as it.
	start_target ECHO echo-n 70
	local t0 dt
	t0=$(now_ms)
	run -0 --separate-stderr egress --idle-timeout 1 -x "$TINY" 127.0.0.1 "$ECHO_PORT" \
		< <(for i in 0 1 2 3 4 5 6 7 8 9; do printf 'line %d\n' "$i"; sleep 0.3; done)
	dt=$(($(now_ms) - t0))
	assert_output "$(printf 'line %d\n' 0 1 2 3 4 5 6 7 8 9)"
	refute_stderr
	((dt >= 2500)) || fail "over in $dt ms: not longer than the timeout"
}

# keepalive_timer ARGS...: egress ARGS... in a held tunnel through tinyproxy; prints
# the timer ss shows on egress's socket to the proxy ("" if none). Fails when ss
# does not show that socket at all, so that "no timer" cannot pass by not looking.
keepalive_timer() {
	local pid line
	start_target HOLD hold
	hold_stdin IN
	"$EGRESS" "$@" -x "$TINY" 127.0.0.1 "$HOLD_PORT" <"$IN_FIFO" >/dev/null 2>&1 3>&- &
	pid=$!
	register "$pid"
	wait_log "$HOLD_LOG" '^accept' || fail "egress never reached the target"
	line=$(ss -tnoHp state established "dport = :$TINYPROXY_PORT" | grep -F "pid=$pid,")
	stop_pid "$pid"
	[[ -n $line ]] || { echo "ss shows no socket of egress to the proxy"; return 1; }
	grep -oE 'timer:\([^)]*\)' <<<"$line" || true
}

@test "--keepalive 5: the socket to the proxy has a keepalive timer of at most 5 s" {
	run -0 keepalive_timer --keepalive 5
	# ss shows the time left as e.g. 4.9sec, 4.956ms (sic) or 4sec; never minutes.
	[[ $output =~ ^timer:\(keepalive,([0-9.]+)(ms|sec)?,[0-9]+\)$ ]] ||
		fail "no keepalive timer: '$output'"
	[[ ${BASH_REMATCH[1]%%.*} -le 5 ]] || fail "timer longer than 5 s: $output"
}

@test "without --keepalive the socket to the proxy has no keepalive timer" {
	run -0 keepalive_timer
	refute_output --partial keepalive
}

# ---------------------------------------------------------------------------
# Signals: a running egress ends promptly, killed by the signal.

# signal_test SIGNAL STATUS: egress in a held tunnel gets SIGNAL, exits with STATUS.
signal_test() {
	start_target HOLD hold
	hold_stdin IN
	env --default-signal=INT "$EGRESS" -x "$TINY" 127.0.0.1 "$HOLD_PORT" <"$IN_FIFO" >/dev/null \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$! st=0
	register "$pid"
	wait_log "$HOLD_LOG" '^accept' || fail "egress never reached the target"
	sleep 0.2
	kill "-$1" "$pid"
	wait_gone "$pid" 40 || fail "egress still running 2 s after SIG$1"
	wait "$pid" || st=$?
	assert_equal "$st" "$2"
}

@test "SIGTERM ends a running tunnel promptly" {
	signal_test TERM 143
}

@test "SIGHUP ends a running tunnel promptly" {
	signal_test HUP 129
}

@test "SIGINT ends a running tunnel promptly" {
	signal_test INT 130
}

@test "a tunnel quiet for over a second (memory handed back) still relays both ways" {
	start_target ECHO echo
	# egress drops the pages libcurl used after 1 s of quiet; the second line
	# crosses the tunnel after that.
	run -0 --separate-stderr egress --eof-timeout 1 -x "$TINY" 127.0.0.1 "$ECHO_PORT" \
		< <(printf 'before\n'; sleep 1.6; printf 'after\n'; sleep 0.3)
	assert_output $'before\nafter'
	refute_stderr
}

# nonblocking FD: whether the open file of this shell's FD has O_NONBLOCK set.
nonblocking() {
	"$PYTHON" -c 'import fcntl, os, sys
sys.exit(0 if fcntl.fcntl(int(sys.argv[1]), fcntl.F_GETFL) & os.O_NONBLOCK else 1)' "$1"
}

@test "killed by SIGTERM, SIGINT or SIGHUP: stdin and stdout get their modes back" {
	local sig pid
	start_target HOLDS hold
	for sig in TERM INT HUP; do
		# A pipe that the shell keeps using after egress: stdin and stdout both.
		exec 7< <(sleep 30) 8> >(cat >/dev/null)
		"$EGRESS" -x "$TINY" 127.0.0.1 "$HOLDS_PORT" <&7 >&8 2>/dev/null &
		pid=$!
		# The relay runs once the tunnel is open and the modes are set.
		wait_until nonblocking 7
		kill -"$sig" "$pid"
		wait_gone "$pid"
		run wait "$pid"
		assert_equal "$status" $((128 + $(kill -l "$sig")))
		run ! nonblocking 7
		run ! nonblocking 8
		exec 7<&- 8>&-
	done
}
