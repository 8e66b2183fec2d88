#!/usr/bin/env bats
# Proxy authentication against real squids: Basic (basic_ncsa_auth), Digest
# (digest_file_auth), NTLM (ntlm_fake_auth) and Negotiate (negotiate_kerberos_auth
# with a real MIT KDC); every place a password may come from (the URL, -U,
# EGRESS_PROXY_PASSWORD, netrc, askpass programs, the terminal); the messages of
# exit 4; and that no password shows on stdout, stderr, /proc/PID/cmdline,
# /proc/PID/environ or in a core file.

load helpers/common
load helpers/kerberos

setup_file() {
	local d=$BATS_FILE_TMPDIR
	printf 'SSH-2.0-egress-auth-target\r\n' >"$d/banner.txt"
	export BANNER
	BANNER=$(cat "$d/banner.txt")
	start_target BANNER source "$d/banner.txt"
	# Answers only once a line of the tunnel's stdin has come through; reads all it
	# is sent before it closes, so that the proxy has no reason to reset.
	start_target REPLY late 'got your line\n' 0
	start_squid BASIC basic
	start_squid DIGEST digest
	start_squid NTLM ntlm
	start_kdc
	start_squid KRB negotiate
	start_microsocks SOCKS "$PROXY_USER" "$PROXY_PASS"
	start_sshd
	export BASIC=127.0.0.1:$BASIC_PORT DIGEST=127.0.0.1:$DIGEST_PORT NTLM=127.0.0.1:$NTLM_PORT
	# The Kerberos service is HTTP/localhost: the proxy must be called localhost.
	export KRB=localhost:$KRB_PORT
	export USERPASS=$PROXY_USER:$PROXY_PASS
}

setup() {
	# Each test decides where credentials come from: none from the caller, no
	# ~/.netrc but the test's own, no terminal unless pty_run gives one.
	unset EGRESS_PROXY_PASSWORD EGRESS_ASKPASS SSH_ASKPASS
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	kdestroy -q 2>/dev/null || true
}

# through ARGS...: egress ARGS... to the banner target without a terminal; the
# banner arrives, exit 0.  $stderr is left for more checks.
through() {
	run -0 --separate-stderr setsid -w "$EGRESS" "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
}

# auth_fails ARGS...: egress ARGS... to the banner target exits 4 with one line
# and no output.
auth_fails() {
	run -4 --separate-stderr setsid -w "$EGRESS" "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr_lines 1
}

# askpass NAME ANSWER [STATUS]: a program that prints ANSWER and exits STATUS, and
# records its arguments and what it read on stdin in NAME.log; sets ASKPASS.
askpass() {
	ASKPASS=$BATS_TEST_TMPDIR/$1
	cat >"$ASKPASS" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >"$ASKPASS.log"
		printf 'stdin:%s\n' "\$(cat)" >>"$ASKPASS.log"
		printf '%s\n' '$2'
		exit ${3:-0}
	EOF
	chmod +x "$ASKPASS"
}

# netrc FILE MODE LINE: FILE with LINE, mode MODE.
netrc() {
	printf '%s\n' "$3" >"$1"
	chmod "$2" "$1"
}

# ---------------------------------------------------------------------------
# Basic

@test "Basic: the user and password in the proxy URL get through" {
	through -x "http://$USERPASS@$BASIC"
}

@test "Basic: -U USER:PASS gets through, with a warning that ps shows it" {
	through -U "$USERPASS" -x "$BASIC"
	assert_stderr "egress: a password on the command line can be seen by other users (ps); EGRESS_PROXY_PASSWORD, ~/.netrc or the prompt keep it off"
}

@test "Basic: -q silences the warning about a password on the command line" {
	through -q -U "$USERPASS" -x "$BASIC"
	refute_stderr
}

@test "Basic: a wrong password exits 4 naming the user and the scheme" {
	auth_fails -q -x "http://$PROXY_USER:wrong@$BASIC"
	assert_stderr --partial "egress: proxy $BASIC rejected the credentials for $PROXY_USER (Basic) to CONNECT 127.0.0.1:$BANNER_PORT"
	refute_stderr --partial wrong
}

@test "Basic: no credentials exit 4 naming the scheme offered and how to give a user" {
	auth_fails -x "$BASIC"
	assert_stderr "egress: proxy $BASIC requires authentication for CONNECT 127.0.0.1:$BANNER_PORT: 407 Proxy Authentication Required; it offers Basic; give a user with -U or in the proxy URL"
}

@test "Basic: a user with no password from anywhere exits 4 saying where it looks" {
	auth_fails -U "$PROXY_USER" -x "$BASIC"
	assert_stderr --partial "it offers Basic; no password for $PROXY_USER: EGRESS_PROXY_PASSWORD, ~/.netrc, EGRESS_ASKPASS or a terminal to ask on"
}

@test "Basic through ssh: a real session with egress as ProxyCommand" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	run -0 --separate-stderr ssh_via "$(printf '%q ' "$EGRESS" -U "$PROXY_USER" -x "$BASIC")%h %p" \
		echo hello through Basic
	assert_output 'hello through Basic'
}

# ---------------------------------------------------------------------------
# Digest: libcurl's default would be preemptive Basic, which squid refuses here.

@test "Digest: the right password gets through, the scheme shows in -v, not its value" {
	through -v -x "http://$USERPASS@$DIGEST"
	assert_stderr --partial '> Proxy-Authorization: Digest <hidden>'
	refute_stderr --partial "$PROXY_PASS"
}

@test "Digest: a wrong password exits 4 naming the user and Digest" {
	auth_fails -U "$PROXY_USER:wrong" -q -x "$DIGEST"
	assert_stderr "egress: proxy $DIGEST rejected the credentials for $PROXY_USER (Digest) to CONNECT 127.0.0.1:$BANNER_PORT"
}

@test "Digest: no credentials exit 4 naming Digest" {
	auth_fails -x "$DIGEST"
	assert_stderr --partial "; it offers Digest; give a user"
}

@test "Digest: --proxy-auth basic sends Basic, which is refused: exit 4, naming what the proxy offers" {
	auth_fails --proxy-auth basic -q -U "$USERPASS" -x "$DIGEST"
	assert_stderr "egress: proxy $DIGEST rejected the credentials for $PROXY_USER (Basic) to CONNECT 127.0.0.1:$BANNER_PORT; it offers Digest"
}

@test "Basic: --proxy-auth anysafe never sends the password in clear: exit 4, saying so" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	run -4 --separate-stderr setsid -w "$EGRESS" --proxy-auth anysafe -v -U "$PROXY_USER" \
		-x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
	assert_equal "$(tail -n 1 <<<"$stderr")" "egress: proxy $BASIC requires authentication for CONNECT 127.0.0.1:$BANNER_PORT: 407 Proxy Authentication Required; it offers Basic; --proxy-auth allows none of them"
	refute_stderr --partial 'Proxy-Authorization'
}

@test "Digest: --proxy-auth digest gets through" {
	through --proxy-auth digest -q -U "$USERPASS" -x "$DIGEST"
}

@test "Digest through ssh: a real session with egress as ProxyCommand" {
	run -0 --separate-stderr ssh_via "$(printf '%q ' "$EGRESS" -x "http://$USERPASS@$DIGEST")%h %p" \
		echo hello through Digest
	assert_output 'hello through Digest'
}

# ---------------------------------------------------------------------------
# NTLM: a three-step handshake that must stay on one connection.

@test "NTLM: the handshake runs on one connection and the tunnel opens" {
	through -v -x "http://$USERPASS@$NTLM"
	# Type 1, then type 3 after the proxy's challenge, on the one connection.
	[[ $(grep -c '> Proxy-Authorization: NTLM <hidden>' <<<"$stderr") == 2 ]] ||
		fail "expected two NTLM messages: $stderr"
	[[ $(grep -c 'Connected to' <<<"$stderr") == 1 ]] || fail "more than one connection: $stderr"
	refute_stderr --partial "$PROXY_PASS"
}

@test "NTLM through ssh: a real session with egress as ProxyCommand" {
	run -0 --separate-stderr ssh_via "$(printf '%q ' "$EGRESS" -x "http://$USERPASS@$NTLM")%h %p" \
		echo hello through NTLM
	assert_output 'hello through NTLM'
}

# ---------------------------------------------------------------------------
# Negotiate (Kerberos): the ticket from kinit, no password anywhere.

@test "Negotiate: after kinit, --proxy-auth negotiate gets through with no user" {
	krb_kinit
	through --proxy-auth negotiate -v -x "$KRB"
	assert_stderr --partial '> Proxy-Authorization: Negotiate <hidden>'
}

@test "Negotiate: after kinit, the default (any) answers Negotiate by itself" {
	krb_kinit
	through -x "$KRB"
	refute_stderr
}

@test "Negotiate: without a ticket, exit 4 naming Negotiate and kinit" {
	auth_fails -x "$KRB"
	assert_stderr --partial "; it offers Negotiate; give a user with -U or in the proxy URL, or kinit for Negotiate"
}

@test "Negotiate: a user and password do not stand in for a missing ticket: exit 4" {
	auth_fails -q -U "$KRB_USER:$KRB_PASS" -x "$KRB"
	assert_stderr "egress: proxy $KRB requires authentication for CONNECT 127.0.0.1:$BANNER_PORT: 407 Proxy Authentication Required; it offers Negotiate; no Kerberos ticket for Negotiate (kinit), which libcurl tries first; --proxy-auth can pick another scheme it offers"
}

@test "Negotiate through ssh: a real session with egress as ProxyCommand" {
	krb_kinit
	run -0 --separate-stderr ssh_via "$(printf '%q ' "$EGRESS" -x "$KRB")%h %p" \
		echo hello through Negotiate
	assert_output 'hello through Negotiate'
}

# ---------------------------------------------------------------------------
# Where the password comes from.

@test "EGRESS_PROXY_PASSWORD gives -U's user its password" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	through -v -U "$PROXY_USER" -x "$BASIC"
	assert_stderr --partial "proxy user $PROXY_USER, password from EGRESS_PROXY_PASSWORD"
}

@test "EGRESS_PROXY_PASSWORD gives the URL's user its password" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	through -x "http://$PROXY_USER@$DIGEST"
}

@test "~/.netrc gives user and password for the proxy host when none are given" {
	netrc "$HOME/.netrc" 600 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	through -v -x "$BASIC"
	assert_stderr --partial "proxy user $PROXY_USER, password from netrc"
}

@test "~/.netrc gives -U's user its password; another login's entry is not used" {
	netrc "$HOME/.netrc" 600 "machine 127.0.0.1 login bob password b0b
machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	through -U "$PROXY_USER" -x "$DIGEST"
}

@test "~/.netrc open to others is not used, with a warning: exit 4" {
	netrc "$HOME/.netrc" 644 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	run -4 --separate-stderr setsid -w "$EGRESS" -x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial "egress: not using $HOME/.netrc: $HOME/.netrc is open to group or others (mode 0644; chmod 600 it)"
	assert_stderr --partial 'give a user'
}

@test "a HOME too long for a path: no ~/.netrc, rather than the file its first 4095 bytes name" {
	local dir=$BATS_TEST_TMPDIR pad
	netrc "$dir/.netrc" 600 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	# "$HOME/.netrc" cut to 4095 bytes is "$dir//...//.netrc", which is $dir/.netrc.
	pad=$(printf '/%.0s' $(seq $((4095 - ${#dir} - 7))))
	HOME=$dir$pad/.netrc/x XDG_CONFIG_HOME=$dir/config \
		run -4 --separate-stderr setsid -w "$EGRESS" -x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial "egress: not reading ~/.netrc: HOME is too long for a path"
}

@test "--netrc-file names the file to use" {
	netrc "$BATS_TEST_TMPDIR/creds" 600 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	through --netrc-file "$BATS_TEST_TMPDIR/creds" -x "$BASIC"
}

# netrc_refused FILE WHY: --netrc-file FILE exits 2 saying WHY; no connection.
netrc_refused() {
	start_fakeproxy P relay
	run -2 --separate-stderr egress --netrc-file "$1" -x "127.0.0.1:$P_PORT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial "--netrc-file: $2"
	assert_no_connection "$P_LOG"
}

@test "--netrc-file open to others: exit 2 before any traffic" {
	netrc "$BATS_TEST_TMPDIR/creds" 640 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	netrc_refused "$BATS_TEST_TMPDIR/creds" \
		"$BATS_TEST_TMPDIR/creds is open to group or others (mode 0640; chmod 600 it)"
}

@test "--netrc-file of another user: exit 2 before any traffic" {
	netrc "$BATS_TEST_TMPDIR/creds" 600 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	((EUID == 0)) || skip "only root can give the file to another user"
	chown nobody "$BATS_TEST_TMPDIR/creds"
	netrc_refused "$BATS_TEST_TMPDIR/creds" "$BATS_TEST_TMPDIR/creds belongs to another user"
}

@test "--netrc-file that does not exist: exit 2 before any traffic" {
	netrc_refused "$BATS_TEST_TMPDIR/none" "cannot read $BATS_TEST_TMPDIR/none"
}

@test "EGRESS_ASKPASS is asked, with a prompt naming user and proxy, never with the tunnel's stdin" {
	askpass ask "$PROXY_PASS"
	export EGRESS_ASKPASS=$ASKPASS
	# The target answers only after reading stdin's line: it went into the tunnel,
	# and the askpass program was given none of it.
	run -0 --separate-stderr setsid -w "$EGRESS" -U "$PROXY_USER" -x "$BASIC" \
		127.0.0.1 "$REPLY_PORT" < <(printf 'tunnel bytes\n')
	assert_output "got your line"
	assert_equal "$(cat "$ASKPASS.log")" "egress: password for $PROXY_USER at proxy $BASIC: 
stdin:"
}

@test "EGRESS_ASKPASS that fails (cancelled): exit 4, no connection attempt" {
	askpass ask '' 1
	export EGRESS_ASKPASS=$ASKPASS
	start_fakeproxy P relay
	run -4 --separate-stderr setsid -w "$EGRESS" -U "$PROXY_USER" -x "127.0.0.1:$P_PORT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr "egress: the askpass program $ASKPASS gave no password"
	assert_no_connection "$P_LOG"
}

@test "SSH_ASKPASS is asked when there is no terminal" {
	askpass sshask "$PROXY_PASS"
	export SSH_ASKPASS=$ASKPASS
	through -v -U "$PROXY_USER" -x "$DIGEST"
	assert_stderr --partial "password from SSH_ASKPASS"
}

@test "the terminal: the prompt is on /dev/tty, the password is not echoed, the tunnel works" {
	local t=$BATS_TEST_TMPDIR/tty
	run -0 --separate-stderr "$PYTHON" "$HELPERS/pty_run.py" --transcript "$t" \
		--expect 'password for' --answer "$PROXY_PASS" -- \
		"$EGRESS" -U "$PROXY_USER" -x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	grep -q "egress: password for $PROXY_USER at proxy $BASIC: " "$t" || fail "no prompt: $(cat "$t")"
	! grep -qF "$PROXY_PASS" "$t" || fail "the password was echoed: $(cat "$t")"
	assert_equal "$(tail -n 1 "$t")" "echo on"
}

@test "the terminal comes before SSH_ASKPASS" {
	askpass sshask wrong
	export SSH_ASKPASS=$ASKPASS
	run -0 --separate-stderr "$PYTHON" "$HELPERS/pty_run.py" --transcript "$BATS_TEST_TMPDIR/tty" \
		--expect 'password for' --answer "$PROXY_PASS" -- \
		"$EGRESS" -U "$PROXY_USER" -x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	[[ ! -e $ASKPASS.log ]] || fail "SSH_ASKPASS was run"
}

@test "Ctrl-C at the prompt ends egress and gives the terminal its echo back" {
	local t=$BATS_TEST_TMPDIR/tty
	run --separate-stderr "$PYTHON" "$HELPERS/pty_run.py" --transcript "$t" \
		--expect 'password for' --interrupt -- \
		"$EGRESS" -U "$PROXY_USER" -x "$BASIC" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_equal "$status" $((128 + 2))
	assert_output ''
	assert_equal "$(tail -n 1 "$t")" "echo on"
}

@test "SOCKS5: -U's user with EGRESS_PROXY_PASSWORD is the username/password method" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	through -U "$PROXY_USER" -x "socks5h://127.0.0.1:$SOCKS_PORT"
}

# ---------------------------------------------------------------------------
# Nothing leaks.

# hold_egress ARGS...: egress ARGS... to the hold target, alive, stdin open; sets
# PID once the tunnel is open.  The hold target logs one accept a connection, so
# each test that uses it starts its own.
hold_egress() {
	start_target HOLD hold
	hold_stdin IN
	"$EGRESS" "$@" 127.0.0.1 "$HOLD_PORT" <"$IN_FIFO" >"$BATS_TEST_TMPDIR/out" \
		2>"$BATS_TEST_TMPDIR/err" 3>&- &
	PID=$!
	register "$PID"
	wait_log "$HOLD_LOG" "^accept" || fail "the tunnel did not open: $(cat "$BATS_TEST_TMPDIR/err")"
}

@test "/proc/PID/cmdline of a running egress shows no password, from -x or -U" {
	not_under_valgrind /proc/PID/cmdline
	hold_egress -q -U "$PROXY_USER:$PROXY_PASS" -x "http://$PROXY_USER:$PROXY_PASS@$BASIC"
	local cmdline
	cmdline=$(tr '\0' ' ' <"/proc/$PID/cmdline")
	[[ $cmdline != *"$PROXY_PASS"* ]] || fail "password in cmdline: $cmdline"
	local stars=${PROXY_PASS//?/*}
	[[ $cmdline == *"-U $PROXY_USER:$stars -x http://$PROXY_USER:$stars@$BASIC "* ]] ||
		fail "unexpected cmdline: $cmdline"
	stop_pid "$PID"
}

@test "/proc/PID/environ of a running egress shows no EGRESS_PROXY_PASSWORD" {
	not_under_valgrind /proc/PID/environ
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	unset USERPASS # holds the password too
	hold_egress -U "$PROXY_USER" -x "$BASIC"
	# egress is not dumpable once it holds a password: only a reader with
	# CAP_SYS_PTRACE (root, here) gets the file.  An unread file, or the empty one
	# of a process that has exited, proves nothing.
	local environ
	environ=$(tr '\0' '\n' <"/proc/$PID/environ") ||
		fail "cannot read /proc/$PID/environ (needs root with CAP_SYS_PTRACE)"
	[[ $environ == *"HOME=$HOME"* ]] || fail "environ without HOME: $environ"
	[[ $environ != *"$PROXY_PASS"* ]] || fail "password in environ"
	stop_pid "$PID"
}

# verbose_hides [-t] ARGS...: egress -v ARGS... to the banner target (without a
# terminal, or with -t on one that answers the prompt) gets through; -v shows the
# Basic header as <hidden>, and neither the password nor user:password in base64.
verbose_hides() {
	if [[ $1 == -t ]]; then
		shift
		run -0 --separate-stderr "$PYTHON" "$HELPERS/pty_run.py" --transcript "$BATS_TEST_TMPDIR/tty" \
			--expect 'password for' --answer "$PROXY_PASS" -- \
			"$EGRESS" -v "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
		assert_output "$BANNER"
	else
		through -v "$@"
	fi
	assert_stderr --partial 'egress: > Proxy-Authorization: Basic <hidden>'
	refute_stderr --partial "$PROXY_PASS"
	refute_stderr --partial "$(printf '%s' "$USERPASS" | base64)"
}

@test "-v shows no password and no Authorization value: the proxy URL" {
	verbose_hides -x "http://$USERPASS@$BASIC"
}

@test "-v shows no password and no Authorization value: -U USER:PASS" {
	verbose_hides -U "$USERPASS" -x "$BASIC"
}

@test "-v shows no password and no Authorization value: EGRESS_PROXY_PASSWORD" {
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	verbose_hides -U "$PROXY_USER" -x "$BASIC"
}

@test "-v shows no password and no Authorization value: ~/.netrc" {
	netrc "$HOME/.netrc" 600 "machine 127.0.0.1 login $PROXY_USER password $PROXY_PASS"
	verbose_hides -x "$BASIC"
}

@test "-v shows no password and no Authorization value: EGRESS_ASKPASS" {
	askpass ask "$PROXY_PASS"
	export EGRESS_ASKPASS=$ASKPASS
	verbose_hides -U "$PROXY_USER" -x "$BASIC"
}

@test "-v shows no password and no Authorization value: SSH_ASKPASS" {
	askpass sshask "$PROXY_PASS"
	export SSH_ASKPASS=$ASKPASS
	verbose_hides -U "$PROXY_USER" -x "$BASIC"
}

@test "-v shows no password and no Authorization value: the terminal" {
	verbose_hides -t -U "$PROXY_USER" -x "$BASIC"
}

# core_of ARGS...: egress ARGS..., its tunnel open, in a directory of its own with
# core files allowed, is killed with SIGSEGV; fails unless the tunnel opened and
# the signal killed it; prints what is in that directory.  Run it with run: it
# changes directory and the core limit.
core_of() {
	local dir=$BATS_TEST_TMPDIR/core.$RANDOM st=0
	mkdir "$dir"
	# Under AddressSanitizer: let the signal kill it, and let a core be written.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-}:handle_segv=0:disable_coredump=0
	cd "$dir" || return
	ulimit -c unlimited || return
	hold_egress "$@" || return
	kill -SEGV "$PID"
	wait_gone "$PID" 100 || fail "egress still runs 5 s after SIGSEGV"
	wait "$PID" || st=$?
	((st == 128 + 11)) ||
		fail "egress exited with $st, not killed by SIGSEGV: $(cat "$BATS_TEST_TMPDIR/err")"
	ls "$dir"
}

@test "a password in memory means no core file; without one, there is one" {
	not_under_valgrind the core file
	[[ $(cat /proc/sys/kernel/core_pattern) == core* ]] ||
		skip "core files go to $(cat /proc/sys/kernel/core_pattern), not the directory"
	# Without a password a core is written: the check below can fail.
	run -0 core_of -x ""
	[[ $output == core* ]] || fail "no core file even without a password: '$output'"
	run -0 core_of -q -x "http://$USERPASS@$BASIC"
	assert_output ''
}

# ---------------------------------------------------------------------------
# One rule for a user name and a password from anywhere: no control characters, so
# that none can write a header line of its own ("X-Injected: yes"); exit 2 before
# the proxy hears of it.

@test "CR/LF in a proxy URL's user name (%0D%0A) is refused before any traffic" {
	start_fakeproxy FP status 407 Auth
	run -2 --separate-stderr egress --proxy-auth digest \
		-x "http://bob%0d%0aX-Injected:%20yes@127.0.0.1:$FP_PORT" 127.0.0.1 22 </dev/null
	assert_stderr --partial "bad user name or password"
	refute_stderr --partial "X-Injected"
	assert_no_connection "$FP_LOG"
	run -2 --separate-stderr egress -x "http://bob:pw%0a@127.0.0.1:$FP_PORT" 127.0.0.1 22 </dev/null
	assert_no_connection "$FP_LOG"
}

@test "CR/LF in a netrc login, EGRESS_PROXY_PASSWORD or -U: refused, never printed raw" {
	start_fakeproxy FP status 407 Auth
	netrc "$BATS_TEST_TMPDIR/netrc" 600 "machine 127.0.0.1 login \"bob
X-Injected: yes\" password pw"
	run -2 --separate-stderr egress --netrc-file "$BATS_TEST_TMPDIR/netrc" \
		-x "http://127.0.0.1:$FP_PORT" 127.0.0.1 22 </dev/null
	assert_stderr --partial "holds a control character (CR/LF...): refused"
	refute_stderr --partial "X-Injected"
	assert_no_connection "$FP_LOG"
	EGRESS_PROXY_PASSWORD=$'pw\r\nX-Injected: yes' run -2 --separate-stderr egress -U bob \
		-x "http://127.0.0.1:$FP_PORT" 127.0.0.1 22 </dev/null
	assert_stderr --partial "EGRESS_PROXY_PASSWORD: control characters"
	run -2 --separate-stderr egress -U $'bob\x01' -x "http://127.0.0.1:$FP_PORT" 127.0.0.1 22 </dev/null
	assert_no_connection "$FP_LOG"
}
