#!/usr/bin/env bats
# Config files: per-host sections sending targets through squid, microsocks or
# direct (seen in the proxies' logs); which value wins (command line, file, first
# section, environment); every error with its FILE:LINE before any traffic; a
# password only in a private file; --no-config; --explain; ssh with a ProxyCommand
# of just "egress %h %p".

load helpers/common

setup_file() {
	start_squid
	start_microsocks MS
	start_sshd
	echo 'hello from the target' >"$BATS_FILE_TMPDIR/banner"
	# One target on every address of localhost (the proxies resolve it), one on ::1.
	start_target T --bind-name localhost source "$BATS_FILE_TMPDIR/banner"
	start_target T6 --bind ::1 source "$BATS_FILE_TMPDIR/banner"
	export SQUID=http://127.0.0.1:$SQUID_PORT MS=socks5h://127.0.0.1:$MS_PORT
	MS_LOG=$(ls "$BATS_FILE_TMPDIR"/microsocks-MS.*/log)
	export MS_LOG
}

setup() {
	CONF=$BATS_TEST_TMPDIR/config
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg
	DEAD=http://127.0.0.1:$(dead_port)
}

# conf LINE...: the config file $CONF, one argument a line, private.
conf() {
	printf '%s\n' "$@" >"$CONF"
	chmod 600 "$CONF"
}

# banner_via ARGS...: the banner of the target through egress ARGS..., stderr clean.
banner_via() {
	tunnel_says 'hello from the target' "$@"
}

# squid_saw HOST: squid's access log has a CONNECT to HOST and the target's port
# (written when the tunnel closes, so waited for).
squid_saw() {
	squid_logged "$1:$T_PORT"
}

refute_squid_saw() {
	! grep -q " CONNECT $1:$T_PORT " "$SQUID_DIR/access.log" 2>/dev/null ||
		fail "squid logged CONNECT $1:$T_PORT"
}

# ms_saw PORT: microsocks logged a connection to the target's port.
ms_connections() {
	grep -c "connected to .*:$T_PORT\$" "$MS_LOG" || true
}

@test "one file: 127.0.0.1 through squid, localhost through microsocks, ::1 direct" {
	conf "# three ways, one file" \
		"host 127.0.0.1" \
		"  proxy $SQUID" \
		"host localhost" \
		"  proxy = $MS" \
		"host ::1" \
		"  proxy direct"
	local ms_before
	ms_before=$(ms_connections)
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
	(($(ms_connections) == ms_before)) || fail "127.0.0.1 went through microsocks"
	banner_via --config "$CONF" localhost "$T_PORT"
	(($(ms_connections) == ms_before + 1)) || fail "localhost did not go through microsocks: $(cat "$MS_LOG")"
	refute_squid_saw localhost
	banner_via --config "$CONF" ::1 "$T6_PORT"
	grep -q "^accept ::1:" "$T6_LOG" || fail "the target saw no connection from ::1: $(cat "$T6_LOG")"
	! grep -q "connected to .*:$T6_PORT\$" "$MS_LOG" || fail "::1 went through microsocks"
	! grep -q ":$T6_PORT " "$SQUID_DIR/access.log" || fail "::1 went through squid"
}

@test "-v names the file read, the section that applied and where the proxy came from" {
	conf "host other" "  proxy $DEAD" "host 127.0.0.1" "  proxy $SQUID"
	run -0 --separate-stderr egress -v --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	assert_stderr --partial "egress: config file $CONF"$'\n'"egress: section $CONF:3 applies: host 127.0.0.1"$'\n'
	assert_stderr --partial "egress: using proxy 127.0.0.1:$SQUID_PORT (from $CONF:4)"
	refute_stderr --partial "other"
}

@test "for each setting the first value in an applying part wins" {
	conf "host 127.0.0.1" "  proxy $SQUID" "host *" "  proxy $DEAD"
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
	# Lines before the first section apply to every target, and come first.
	conf "proxy $SQUID" "host 127.0.0.1" "  proxy $DEAD"
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	run -0 egress --explain --config "$CONF" 127.0.0.1 "$T_PORT"
	assert_line "$CONF:3: proxy not used: set at $CONF:1"
	assert_line "way 1: $SQUID (from $CONF:1)"
}

@test "\"!\" patterns exclude hosts from a section" {
	conf "host * !127.0.0.1" "  proxy $DEAD" "host *" "  proxy $SQUID"
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
	run -3 --separate-stderr egress --config "$CONF" localhost "$T_PORT" </dev/null
	assert_stderr "egress: cannot reach proxy ${DEAD#http://} for localhost:$T_PORT: Connection refused"
	# An upper-case pattern matches too.
	conf "host LOCALHOST" "  proxy $DEAD"
	run -3 --separate-stderr egress --config "$CONF" localhost "$T_PORT" </dev/null
}

@test "the command line beats the file, which beats the environment" {
	conf "proxy $SQUID"
	https_proxy=$DEAD banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
	banner_via --config "$CONF" -x "$MS" localhost "$T_PORT"
	refute_squid_saw localhost
	# The file says nothing of a proxy: the environment's is used.
	conf "connect-timeout 5"
	https_proxy=$SQUID banner_via --config "$CONF" localhost "$T_PORT"
	squid_saw localhost
	# A section's "direct" beats the environment too.
	conf 'host ::1' '  proxy ""'
	https_proxy=$DEAD banner_via --config "$CONF" ::1 "$T6_PORT"
	# The file's noproxy beats no_proxy.
	conf "noproxy localhost"
	https_proxy=$DEAD no_proxy='*' run -3 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
}

@test "proxy-header lines add up, the file's before the command line's" {
	conf 'proxy-header "X-From-File: one"' 'host 127.0.0.1' '  proxy-header "X-Section: two"'
	run -0 --separate-stderr egress -v --config "$CONF" -H 'X-Argv: three' -x "$SQUID" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	# shellcheck disable=SC2154 # $stderr: set by bats' run --separate-stderr
	[[ $stderr == *"X-From-File: one"*"X-Section: two"*"X-Argv: three"* ]] ||
		fail "headers missing or out of order: $stderr"
}

@test "every error in a file names FILE:LINE and exits 2 before any traffic" {
	start_fakeproxy P relay
	local -a cases=(
		'bogus 1|unknown option "bogus"'
		'help|"help" belongs on the command line, not in a config file'
		'explain|"explain" belongs on the command line, not in a config file'
		'half-close yes|option "half-close" takes no value'
		'proxy|option "proxy" needs a value'
		'proxy-header X-A: b|option "proxy-header" takes one value: a value with spaces goes in double quotes'
		'connect-timeout soon|--connect-timeout: invalid duration "soon" (seconds, > 0, e.g. 30 or 0.5)'
		'proxy ftp://x|invalid proxy URL "ftp://x": unsupported scheme "ftp"'
		'proxy-auth magic|--proxy-auth: unknown method "magic" (any, anysafe, basic, digest, ntlm, negotiate)'
		'proxy-cacert /no/such/ca.pem|--proxy-cacert: cannot read "/no/such/ca.pem": No such file or directory'
		'host|"host" needs at least one pattern'
		'host a/b|bad host pattern "a/b": a pattern holds letters, digits, . - _ : % and the wildcards * ?'
		'host !|empty host pattern "!"'
		'user-agent "open|unbalanced quote'
		'user-agent "a"b|text right after a closing quote'
	)
	local c line msg
	for c in "${cases[@]}"; do
		line=${c%%|*} msg=${c#*|}
		# The bad line is the third, in a section that does not apply to the target.
		conf "proxy http://127.0.0.1:$P_PORT" "host elsewhere" "$line"
		run -2 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
		assert_output ''
		assert_stderr "egress: $CONF:3: $msg"
		run -2 --separate-stderr egress --explain --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
		assert_output ''
		assert_stderr "egress: $CONF:3: $msg"
	done
	assert_no_connection "$P_LOG"
}

@test "a file that is no text, a directory, missing or unreadable" {
	printf 'proxy x\nhalf\0close\n' >"$CONF"
	run -2 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $CONF:2: a NUL byte: not a text file"
	run -2 --separate-stderr egress --config "$BATS_TEST_TMPDIR" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $BATS_TEST_TMPDIR: is a directory, not a config file"
	run -2 --separate-stderr egress --config "$BATS_TEST_TMPDIR/none" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: --config: cannot read \"$BATS_TEST_TMPDIR/none\": No such file or directory"
	# The default file may be missing; when it is there it must be readable.
	mkdir -p "$XDG_CONFIG_HOME/egress"
	banner_via 127.0.0.1 "$T_PORT"
	mkdir "$XDG_CONFIG_HOME/egress/config"
	run -2 --separate-stderr egress 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $XDG_CONFIG_HOME/egress/config: is a directory, not a config file"
	# CRLF line ends are fine.
	printf 'host 127.0.0.1\r\n  proxy "%s"\r\n' "$SQUID" >"$CONF"
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
}

@test "a password in a file others can read is refused, naming the file" {
	start_squid SQB basic
	local url=http://$PROXY_USER:$PROXY_PASS@127.0.0.1:$SQB_PORT
	conf "host 127.0.0.1" "  proxy $url"
	chmod 640 "$CONF"
	run -2 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $CONF:2: holds a password, but the file is open to group or others (mode 0640; chmod 600 it)"
	# Even in a section that does not apply, and for proxy-user too.
	conf "host elsewhere" "  proxy-user $PROXY_USER:$PROXY_PASS"
	chmod 604 "$CONF"
	run -2 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $CONF:2: holds a password, but the file is open to group or others (mode 0604; chmod 600 it)"
	# A user name alone is no secret.
	conf "proxy-user $PROXY_USER"
	chmod 644 "$CONF"
	run -0 egress --explain --config "$CONF" -x "$SQUID" 127.0.0.1 "$T_PORT"
	# Private: it works against squid's Basic auth, and -v and --explain never show it.
	conf "host 127.0.0.1" "  proxy $url"
	run -0 --separate-stderr egress -v --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	refute_stderr --partial "$PROXY_PASS"
	assert_stderr --partial "Proxy-Authorization: Basic <hidden>"
	run -0 --separate-stderr egress --explain --config "$CONF" 127.0.0.1 "$T_PORT"
	refute_output --partial "$PROXY_PASS"
	assert_line "way 1: http://127.0.0.1:$SQB_PORT (from $CONF:2)"
	assert_line "  user $PROXY_USER (in the proxy URL), password in the URL"
	conf "proxy-user $PROXY_USER:$PROXY_PASS" "proxy http://127.0.0.1:$SQB_PORT"
	banner_via --config "$CONF" 127.0.0.1 "$T_PORT"
	run -0 egress --explain --config "$CONF" 127.0.0.1 "$T_PORT"
	assert_line "  user $PROXY_USER (from $CONF:1), password given there"
	refute_output --partial "$PROXY_PASS"
}

@test "a file that is not the user's own may not hold a password" {
	((EUID == 0)) || skip "needs root to give the file to another user"
	conf "proxy-user $PROXY_USER:$PROXY_PASS"
	chown nobody "$CONF"
	run -2 --separate-stderr egress --config "$CONF" -x "$SQUID" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: $CONF:1: holds a password, but the file belongs to another user"
}

@test "the user's file, then the system's; --config replaces both, --no-config reads none" {
	mkdir -p "$XDG_CONFIG_HOME/egress"
	local sys=$BATS_TEST_TMPDIR/system
	printf '%s\n' "host 127.0.0.1" "  proxy $SQUID" >"$XDG_CONFIG_HOME/egress/config"
	printf '%s\n' "proxy $DEAD" "connect-timeout 7" >"$sys"
	EGRESS_SYSTEM_CONFIG=$sys banner_via 127.0.0.1 "$T_PORT"
	squid_saw 127.0.0.1
	EGRESS_SYSTEM_CONFIG=$sys run -0 egress --explain 127.0.0.1 "$T_PORT"
	assert_line --index 1 "config file $XDG_CONFIG_HOME/egress/config"
	assert_line --index 3 "config file $sys"
	assert_line "$sys:1: proxy not used: set at $XDG_CONFIG_HOME/egress/config:2"
	EGRESS_SYSTEM_CONFIG=$sys run -3 --separate-stderr egress localhost "$T_PORT" </dev/null
	# ~/.config/egress/config without XDG_CONFIG_HOME; /etc/egress/config by default.
	unset XDG_CONFIG_HOME EGRESS_SYSTEM_CONFIG
	HOME=$BATS_TEST_TMPDIR/home run -0 egress --explain 127.0.0.1 "$T_PORT"
	assert_line "config file $BATS_TEST_TMPDIR/home/.config/egress/config: none"
	[[ -e /etc/egress/config ]] || assert_line "config file /etc/egress/config: none"
	export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg
	conf "proxy $DEAD"
	banner_via --config "$CONF" -x "$SQUID" 127.0.0.1 "$T_PORT"
	run -3 --separate-stderr egress --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	printf '%s\n' "proxy $DEAD" >"$XDG_CONFIG_HOME/egress/config"
	run -3 --separate-stderr egress 127.0.0.1 "$T_PORT" </dev/null
	banner_via --no-config 127.0.0.1 "$T_PORT"
	run -0 egress --no-config --explain 127.0.0.1 "$T_PORT"
	assert_line "config file: none read (--no-config)"
	assert_line "way 1: direct (no proxy configured)"
	run -2 --separate-stderr egress --no-config --config "$CONF" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: --config and --no-config contradict each other"
}

@test "--explain says every way and where it came from, and connects to nothing" {
	start_fakeproxy P relay
	local p=http://127.0.0.1:$P_PORT
	conf "host *.corp" "  proxy direct" "host db" "  proxy $p,socks5h://127.0.0.1:1" \
		"  proxy-user alice" "host *" "  noproxy .internal"
	run -0 --separate-stderr egress --explain --config "$CONF" db 22
	assert_output "target db:22
config file $CONF
section $CONF:1 does not apply: host *.corp
section $CONF:3 applies: host db
section $CONF:6 applies: host *
way 1: $p (from $CONF:4)
  user alice (from $CONF:5), no password given: netrc, EGRESS_ASKPASS or the terminal if the proxy asks
way 2: socks5h://127.0.0.1:1 (from $CONF:4)
  user alice (from $CONF:5), no password given: netrc, EGRESS_ASKPASS or the terminal if the proxy asks"
	refute_stderr
	run -0 egress --explain --config "$CONF" a.corp 22
	assert_line "way 1: direct ($CONF:2 says direct)"
	run -0 egress --explain --config "$CONF" -x "$p" db.internal 22
	assert_line "way 1: direct (noproxy entry \".internal\" at $CONF:7 matches)"
	run -0 egress --explain --no-config -x "$p" -U bob 10.1.2.3 22
	assert_line "way 1: $p (from -x)"
	assert_line "  user bob (from -U), no password given: netrc, EGRESS_ASKPASS or the terminal if the proxy asks"
	EGRESS_PROXY_PASSWORD=pw run -0 egress --explain --no-config -x "$p" -U bob 10.1.2.3 22
	assert_line "  user bob (from -U), password from EGRESS_PROXY_PASSWORD"
	https_proxy=$p no_proxy=.lan run -0 egress --explain --no-config host.lan 22
	assert_line "way 1: direct (no_proxy entry \".lan\" matches)"
	https_proxy=socks5://127.0.0.1:1 run -0 egress --explain --no-config h 22
	assert_line "way 1: socks5://127.0.0.1:1 (from https_proxy)"
	assert_line "  no user given: a netrc entry for 127.0.0.1, or a Kerberos ticket, if the proxy asks"
	https_proxy=$p run -0 egress --explain --config "$CONF" db 22
	assert_line "https_proxy not used: the proxy is set at $CONF:4"
	run -0 egress --explain --no-config --noproxy '*' -x "$p" h 22
	assert_line "way 1: direct (--noproxy entry \"*\" matches)"
	run -0 egress --explain --no-config -x socks4://127.0.0.1:1 h 22
	assert_line "  credentials: none (SOCKS4 has no passwords)"
	# A bad -x is the error a real run gives.
	run -2 --separate-stderr egress --explain --no-config -x 'ftp://x' h 22
	assert_stderr --partial 'egress: invalid proxy URL "ftp://x": unsupported scheme "ftp"'
	assert_no_connection "$P_LOG"
}

@test "ssh with ProxyCommand 'egress %h %p' and everything else in the file" {
	mkdir -p "$XDG_CONFIG_HOME/egress"
	printf '%s\n' "host 127.0.0.1" "  proxy $SQUID" "  connect-timeout 10" \
		>"$XDG_CONFIG_HOME/egress/config"
	run -0 --separate-stderr ssh_via "$(printf '%q' "$EGRESS") %h %p" echo hello over ssh
	assert_output 'hello over ssh'
	wait_log "$SQUID_DIR/access.log" " CONNECT 127.0.0.1:$SSHD_PORT " ||
		fail "squid did not carry the ssh session: $(cat "$SQUID_DIR/access.log")"
}
