#!/usr/bin/env bats
# Proxy auto-configuration: a PAC script, from a file or an HTTP server, evaluated in
# egress, chooses between real proxies (squid, tinyproxy, microsocks) and DIRECT; a
# dead first proxy falls through to the next; a broken, throwing, looping or
# nonsensical script is an error (status 3) naming the PAC.

load helpers/common

setup_file() {
	start_squid
	start_tinyproxy
	start_microsocks MS
	echo 'hello from the target' >"$BATS_FILE_TMPDIR/banner"
	start_target T --bind-name localhost source "$BATS_FILE_TMPDIR/banner"
	start_target T2 source "$BATS_FILE_TMPDIR/banner"
	start_target T3 source "$BATS_FILE_TMPDIR/banner"
	MS_LOG=$(ls "$BATS_FILE_TMPDIR"/microsocks-MS.*/log)
	DEAD_PORT=$(dead_port)
	export MS_LOG DEAD_PORT PACS=$BATS_FILE_TMPDIR/pacs
	mkdir -p "$PACS"
	# localhost through microsocks, 127.0.0.1:T through squid, 127.0.0.1:T2 through
	# tinyproxy (for any own address), anything else direct.
	cat >"$PACS/rules.pac" <<-EOF
		function FindProxyForURL(url, host) {
			if (dnsDomainIs(host, 'localhost'))
				return 'SOCKS5 127.0.0.1:$MS_PORT';
			if (isInNet(host, '127.0.0.0', '255.0.0.0') && shExpMatch(url, '*:$T_PORT/'))
				return 'PROXY 127.0.0.1:$SQUID_PORT';
			if (shExpMatch(url, 'https://127.0.0.1:$T2_PORT/') &&
			    isInNet(myIpAddress(), '0.0.0.0', '0.0.0.0'))
				return 'PROXY 127.0.0.1:$TINYPROXY_PORT';
			return 'DIRECT';
		}
	EOF
	start_http PACWEB "$PACS"
}

setup() {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache WPAD_NAME=wpad.corp.test
}

# pac NAME BODY: a PAC file NAME in $PACS whose FindProxyForURL body is BODY.
pac() {
	printf 'function FindProxyForURL(url, host) {\n%s\n}\n' "$2" >"$PACS/$1"
}

banner_via() {
	tunnel_says 'hello from the target' "$@"
}

tiny_saw() {
	grep -q "Request (file descriptor [0-9]*): CONNECT $1 " "$TINYPROXY_DIR/log" ||
		fail "tinyproxy did not log CONNECT $1: $(cat "$TINYPROXY_DIR/log")"
}

ms_saw() {
	grep -q "connected to .*:$1\$" "$MS_LOG" || fail "microsocks did not connect to port $1: $(cat "$MS_LOG")"
}

@test "a PAC file chooses squid, tinyproxy, microsocks or DIRECT by its rules" {
	banner_via --pac "$PACS/rules.pac" 127.0.0.1 "$T_PORT"
	squid_logged "127.0.0.1:$T_PORT"
	banner_via --pac "file://$PACS/rules.pac" 127.0.0.1 "$T2_PORT"
	tiny_saw "127.0.0.1:$T2_PORT"
	banner_via --pac "$PACS/rules.pac" localhost "$T_PORT"
	ms_saw "$T_PORT"
	banner_via --pac "$PACS/rules.pac" 127.0.0.1 "$T3_PORT"
	grep -q "^accept 127.0.0.1:" "$T3_LOG" || fail "no direct connection to T3"
	! grep -q ":$T3_PORT " "$SQUID_DIR/access.log" || fail "T3 went through squid"
	! grep -q "CONNECT 127.0.0.1:$T3_PORT " "$TINYPROXY_DIR/log" || fail "T3 went through tinyproxy"
}

@test "a PAC over HTTP, from --pac, EGRESS_PAC or the config file" {
	banner_via --pac "http://127.0.0.1:$PACWEB_PORT/rules.pac" 127.0.0.1 "$T_PORT"
	squid_logged "127.0.0.1:$T_PORT"
	EGRESS_PAC=http://127.0.0.1:$PACWEB_PORT/rules.pac banner_via localhost "$T_PORT"
	ms_saw "$T_PORT"
	printf 'host localhost\n  pac http://127.0.0.1:%s/rules.pac\n' "$PACWEB_PORT" >"$BATS_TEST_TMPDIR/config"
	banner_via --config "$BATS_TEST_TMPDIR/config" localhost "$T_PORT"
	run -0 egress --explain --config "$BATS_TEST_TMPDIR/config" localhost "$T_PORT"
	assert_line --regexp "^PAC http://127.0.0.1:$PACWEB_PORT/rules.pac \\(from $BATS_TEST_TMPDIR/config:2\\): cached copy, fresh for 3[0-9]{3} s more\$"
	assert_line "PAC answer for localhost: \"SOCKS5 127.0.0.1:$MS_PORT\""
	assert_line "way 1: socks5h://127.0.0.1:$MS_PORT (from PAC http://127.0.0.1:$PACWEB_PORT/rules.pac)"
}

@test "-x beats --pac; EGRESS_PROXY beats EGRESS_PAC, which beats https_proxy" {
	pac dead.pac "return 'PROXY 127.0.0.1:$DEAD_PORT';"
	banner_via --pac "$PACS/dead.pac" -x "http://127.0.0.1:$SQUID_PORT" 127.0.0.1 "$T2_PORT"
	EGRESS_PAC=$PACS/dead.pac EGRESS_PROXY=http://127.0.0.1:$SQUID_PORT banner_via 127.0.0.1 "$T2_PORT"
	EGRESS_PAC=$PACS/rules.pac https_proxy=http://127.0.0.1:$DEAD_PORT banner_via 127.0.0.1 "$T2_PORT"
	# In a config file, the first applying "proxy" or "pac" line wins.
	printf 'pac %s\nproxy http://127.0.0.1:%s\n' "$PACS/dead.pac" "$SQUID_PORT" >"$BATS_TEST_TMPDIR/config"
	run -0 egress --explain --config "$BATS_TEST_TMPDIR/config" 127.0.0.1 22
	assert_line "$BATS_TEST_TMPDIR/config:2: proxy not used: set at $BATS_TEST_TMPDIR/config:1"
	# no_proxy is asked first: a target on it never runs the PAC.
	pac throws.pac "throw new Error('must not run');"
	no_proxy=127.0.0.1 banner_via --pac "$PACS/throws.pac" 127.0.0.1 "$T3_PORT"
}

@test "a dead first PROXY falls through to the next, and to DIRECT" {
	pac chain.pac "return 'PROXY 127.0.0.1:$DEAD_PORT; PROXY 127.0.0.1:$SQUID_PORT; DIRECT';"
	run -0 --separate-stderr egress -v --pac "$PACS/chain.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	assert_stderr --partial "egress: proxy 127.0.0.1:$DEAD_PORT failed: cannot reach proxy 127.0.0.1:$DEAD_PORT for 127.0.0.1:$T_PORT: Connection refused; trying the next one"
	assert_stderr --partial "egress: using proxy 127.0.0.1:$SQUID_PORT (from PAC $PACS/chain.pac)"
	squid_logged "127.0.0.1:$T_PORT"
	pac direct.pac "return 'PROXY 127.0.0.1:$DEAD_PORT; DIRECT';"
	run -0 --separate-stderr egress --pac "$PACS/direct.pac" 127.0.0.1 "$T3_PORT" </dev/null
	assert_output 'hello from the target'
}

@test "an unknown entry is skipped with a warning; none left is status 3" {
	pac odd.pac "return 'QUIC 127.0.0.1:1; PROXY 127.0.0.1:$SQUID_PORT';"
	run -0 --separate-stderr egress --pac "$PACS/odd.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	assert_stderr "egress: PAC $PACS/odd.pac returned \"QUIC 127.0.0.1:1\", which egress does not know; skipped"
	pac garbage.pac "return 'nonsense';"
	run -3 --separate-stderr egress --pac "$PACS/garbage.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_output ''
	assert_stderr_lines 2
	assert_stderr --partial "egress: PAC $PACS/garbage.pac gave no way egress knows for this target: \"nonsense\""
	pac empty.pac "return '';"
	run -3 --separate-stderr egress --pac "$PACS/empty.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: PAC $PACS/empty.pac gave no way egress knows for this target: \"\""
}

@test "a PAC that does not parse, throws, loops or answers no string: status 3, with the line" {
	printf 'function FindProxyForURL(url, host) {\n  var = 1;\n}\n' >"$PACS/syntax.pac"
	run -3 --separate-stderr egress --pac "$PACS/syntax.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_output ''
	assert_stderr --regexp "^egress: the PAC $PACS/syntax.pac failed: $PACS/syntax.pac: SyntaxError: .*\\(line 2"
	pac throw.pac "
	throw new Error('no rule for ' + host);"
	run -3 --separate-stderr egress --pac "$PACS/throw.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: the PAC $PACS/throw.pac failed: $PACS/throw.pac: Error: no rule for 127.0.0.1 (line 3)"
	pac loop.pac "for (;;) {}"
	run -3 --separate-stderr egress --pac "$PACS/loop.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: the PAC $PACS/loop.pac failed: $PACS/loop.pac: stopped after 2 s of CPU time (an endless loop?)"
	pac number.pac "return 42;"
	run -3 --separate-stderr egress --pac "$PACS/number.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: the PAC $PACS/number.pac failed: $PACS/number.pac: FindProxyForURL returned 42, not a string"
	printf 'var nothing = 1;\n' >"$PACS/nofunc.pac"
	run -3 --separate-stderr egress --pac "$PACS/nofunc.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: the PAC $PACS/nofunc.pac failed: $PACS/nofunc.pac: defines no function FindProxyForURL"
}

@test "a PAC that cannot be had: status 3 naming it; a bad --pac is status 2" {
	run -3 --separate-stderr egress --pac "http://127.0.0.1:$PACWEB_PORT/missing.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr "egress: cannot fetch the PAC http://127.0.0.1:$PACWEB_PORT/missing.pac: HTTP status 404"
	run -3 --separate-stderr egress --pac "http://127.0.0.1:$DEAD_PORT/x.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: cannot fetch the PAC http://127.0.0.1:$DEAD_PORT/x.pac: "
	run -2 --separate-stderr egress --pac "$PACS/none.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: --pac: cannot read \"$PACS/none.pac\": No such file or directory"
	run -2 --separate-stderr egress --pac "ftp://x/y.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial 'egress: --pac: http://, https://, file:// or a path, not "ftp://x/y.pac"'
	run -2 --separate-stderr egress --pac "file://relative.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial 'egress: --pac: a file:// URL needs an absolute path'
}

@test "-v and --explain show the PAC, its answer and the ways; alert() goes to -v" {
	pac alert.pac "alert('asked about ' + host + ' as ' + url); return 'PROXY 127.0.0.1:$SQUID_PORT; DIRECT';"
	run -0 --separate-stderr egress -v --pac "$PACS/alert.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: PAC alert: asked about 127.0.0.1 as https://127.0.0.1:$T_PORT/"
	assert_stderr --partial "egress: PAC $PACS/alert.pac says \"PROXY 127.0.0.1:$SQUID_PORT; DIRECT\" for 127.0.0.1"
	run -0 --separate-stderr egress --pac "$PACS/alert.pac" 127.0.0.1 "$T_PORT" </dev/null
	refute_stderr
	run -0 --separate-stderr egress --explain --pac "$PACS/alert.pac" 127.0.0.1 "$T_PORT"
	assert_line "PAC $PACS/alert.pac (from --pac): read from the file"
	assert_line "PAC answer for 127.0.0.1: \"PROXY 127.0.0.1:$SQUID_PORT; DIRECT\""
	assert_line "way 1: http://127.0.0.1:$SQUID_PORT (from PAC $PACS/alert.pac)"
	assert_line "way 2: direct (PAC $PACS/alert.pac says DIRECT)"
}

@test "passwords go to a PAC's proxy only when --proxy-auth-hosts matches it" {
	start_squid SQB basic
	pac auth.pac "return 'PROXY 127.0.0.1:$SQB_PORT';"
	export EGRESS_PROXY_PASSWORD=$PROXY_PASS
	run -4 --separate-stderr egress -U "$PROXY_USER" --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$SQB_PORT requires authentication for CONNECT 127.0.0.1:$T_PORT: 407 Proxy Authentication Required; it offers Basic; it came from PAC $PACS/auth.pac, and egress sends passwords only to proxies you name or that --proxy-auth-hosts matches"
	run -0 egress --explain -U "$PROXY_USER" --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT"
	assert_line "  no password goes to it: a PAC named it, and no --proxy-auth-hosts pattern matches; Kerberos if it asks"
	# A pattern that does not match, or excludes it, changes nothing.
	run -4 --separate-stderr egress -U "$PROXY_USER" --proxy-auth-hosts 'proxy.example.com, 10.*' --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT" </dev/null
	run -4 --separate-stderr egress -U "$PROXY_USER" --proxy-auth-hosts '127.* !127.0.0.1' --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT" </dev/null
	banner_via -U "$PROXY_USER" --proxy-auth-hosts '127.0.0.*' --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT"
	# In a config file, as several values; the user's own -x needs no pattern.
	printf 'proxy-auth-hosts proxy.example.com 127.0.0.1\n' >"$BATS_TEST_TMPDIR/config"
	banner_via --config "$BATS_TEST_TMPDIR/config" -U "$PROXY_USER" --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT"
	banner_via -U "$PROXY_USER" -x "http://127.0.0.1:$SQB_PORT" 127.0.0.1 "$T_PORT"
	run -2 --separate-stderr egress --proxy-auth-hosts 'a/b' --pac "$PACS/auth.pac" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial 'egress: --proxy-auth-hosts: bad host pattern "a/b"'
}

@test "a fetched PAC is cached: fresh, it is not fetched again; stale, it stands in for a dead server" {
	mkdir -p "$BATS_TEST_TMPDIR/web"
	cp "$PACS/rules.pac" "$BATS_TEST_TMPDIR/web/proxy.pac"
	start_http PACTMP "$BATS_TEST_TMPDIR/web"
	local url=http://127.0.0.1:$PACTMP_PORT/proxy.pac
	banner_via --pac "$url" 127.0.0.1 "$T_PORT"
	local copy
	copy=$(ls "$XDG_CACHE_HOME"/egress/pac-*)
	[[ $(stat -c %a "$copy") == 600 && $(stat -c %a "$XDG_CACHE_HOME/egress") == 700 ]] ||
		fail "cache modes: $(stat -c '%a %n' "$copy" "$XDG_CACHE_HOME/egress")"
	run -0 egress --explain --pac "$url" 127.0.0.1 "$T_PORT"
	assert_line --regexp "^PAC $url \(from --pac\): cached copy, fresh for 3[0-9]{3} s more\$"
	(($(grep -c 'GET /proxy.pac' "$PACTMP_LOG") == 1)) || fail "fetched again: $(cat "$PACTMP_LOG")"
	# The server goes away: the fresh copy serves without a word.
	stop_pid "$PACTMP_PID"
	banner_via --pac "$url" 127.0.0.1 "$T_PORT"
	# Stale: used, with a warning, since the server cannot be reached.
	sed -i '3s/ .*/ 0/' "$copy"
	run -0 --separate-stderr egress --pac "$url" 127.0.0.1 "$T_PORT" </dev/null
	assert_output 'hello from the target'
	assert_stderr --regexp "^egress: cannot fetch the PAC $url: .*; using the copy of $url cached at [0-9-]+ [0-9:]+\$"
	# A copy that is not private is not trusted.
	chmod 644 "$copy"
	run -3 --separate-stderr egress --pac "$url" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: cannot fetch the PAC $url: "
}

@test "a stale cached PAC is fetched again; Cache-Control max-age and no-store are obeyed" {
	mkdir -p "$BATS_TEST_TMPDIR/web"
	cp "$PACS/rules.pac" "$BATS_TEST_TMPDIR/web/proxy.pac"
	start_http PACTMP "$BATS_TEST_TMPDIR/web"
	local url=http://127.0.0.1:$PACTMP_PORT/proxy.pac
	banner_via --pac "$url" 127.0.0.1 "$T_PORT"
	sed -i '3s/ .*/ 0/' "$XDG_CACHE_HOME"/egress/pac-*
	banner_via --pac "$url" 127.0.0.1 "$T_PORT"
	(($(grep -c 'GET /proxy.pac' "$PACTMP_LOG") == 2)) || fail "not fetched again: $(cat "$PACTMP_LOG")"
	start_fakeproxy CC --header 'Cache-Control: max-age=120' --banner-file "$PACS/rules.pac" status 200 OK
	run -0 egress --explain --pac "http://127.0.0.1:$CC_PORT/x.pac" 127.0.0.1 "$T_PORT"
	run -0 egress --explain --pac "http://127.0.0.1:$CC_PORT/x.pac" 127.0.0.1 "$T_PORT"
	assert_line --regexp "^PAC http://127.0.0.1:$CC_PORT/x.pac \(from --pac\): cached copy, fresh for 1[0-9]{2} s more\$"
	start_fakeproxy NS --header 'Cache-Control: no-store' --banner-file "$PACS/rules.pac" status 200 OK
	run -0 egress --explain --pac "http://127.0.0.1:$NS_PORT/x.pac" 127.0.0.1 "$T_PORT"
	assert_line "PAC http://127.0.0.1:$NS_PORT/x.pac (from --pac): fetched"
	run -0 egress --explain --pac "http://127.0.0.1:$NS_PORT/x.pac" 127.0.0.1 "$T_PORT"
	assert_line "PAC http://127.0.0.1:$NS_PORT/x.pac (from --pac): fetched"
}

@test "a Cache-Control longer than egress reads is no-store, not cut short" {
	local long
	long=$(printf 'x%.0s' {1..300})
	start_fakeproxy LC --header "Cache-Control: x-long=$long, no-store" \
		--banner-file "$PACS/rules.pac" status 200 OK
	run -0 egress --explain --pac "http://127.0.0.1:$LC_PORT/x.pac" 127.0.0.1 "$T_PORT"
	assert_line "PAC http://127.0.0.1:$LC_PORT/x.pac (from --pac): fetched"
	run -0 egress --explain --pac "http://127.0.0.1:$LC_PORT/x.pac" 127.0.0.1 "$T_PORT"
	assert_line "PAC http://127.0.0.1:$LC_PORT/x.pac (from --pac): fetched"
}

@test "a cached copy naming a time no clock shows is not used" {
	mkdir -p "$BATS_TEST_TMPDIR/web"
	cp "$PACS/rules.pac" "$BATS_TEST_TMPDIR/web/proxy.pac"
	start_http PACTMP "$BATS_TEST_TMPDIR/web"
	local url=http://127.0.0.1:$PACTMP_PORT/proxy.pac
	banner_via --pac "$url" 127.0.0.1 "$T_PORT"
	stop_pid "$PACTMP_PID"
	# Stale, fetched in a year localtime() cannot show: egress crashed saying when.
	sed -i '3s/.*/99999999999999999 0/' "$XDG_CACHE_HOME"/egress/pac-*
	run -3 --separate-stderr egress --pac "$url" 127.0.0.1 "$T_PORT" </dev/null
	assert_stderr --partial "egress: cannot fetch the PAC $url: "
}

# in_private_net CMD...: CMD as root in private mount, UTS and network namespaces
# (its own loopback, host name, /etc/hosts and /etc/resolv.conf). Skips elsewhere.
in_private_net() {
	((EUID == 0)) || skip "WPAD over DNS needs root: a private network namespace with a server on port 80"
	local -a try=(unshare --mount --uts --net --propagation private)
	if ! "${try[@]}" true 2>/dev/null; then
		if ! grep -q ' shared:' /proc/self/mountinfo && unshare --mount --uts --net --propagation unchanged true 2>/dev/null; then
			try=(unshare --mount --uts --net --propagation unchanged)
		else
			skip "needs private mount, UTS and network namespaces"
		fi
	fi
	"${try[@]}" "$@"
}

@test "--pac auto finds the PAC by WPAD over DNS: the host's domain, its parents, the search domains" {
	local d=$BATS_TEST_TMPDIR
	mkdir -p "$d/web"
	printf "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:3128; DIRECT'; }\n" >"$d/web/wpad.dat"
	printf '127.0.0.1 localhost\n127.0.0.1 box.branch.corp.test box\n127.0.0.1 %s\n' "$WPAD_NAME" >"$d/hosts"
	printf 'nameserver 127.0.0.1\nsearch lab.corp.test\noptions timeout:1 attempts:1\n' >"$d/resolv.conf"
	cat >"$d/inside" <<-EOF
		set -e
		ip link set lo up
		hostname box.branch.corp.test
		mount --bind '$d/hosts' /etc/hosts
		mount --bind '$d/resolv.conf' /etc/resolv.conf
		'$PYTHON' -m http.server --bind 127.0.0.1 --directory '$d/web' 80 >'$d/http.log' 2>&1 &
		for i in \$(seq 100); do ss -ltn | grep -q '127.0.0.1:80 ' && break; sleep 0.05; done
		'$EGRESS' -v --pac auto --explain db 22 2>'$d/stderr'
		'$EGRESS' --pac auto --explain db 22
		kill %1
	EOF
	in_private_net bash "$d/inside" >"$d/out" 2>&1 || fail "$(cat "$d/out" "$d/stderr" 2>&1)"
	run cat "$d/out"
	assert_line "PAC http://wpad.corp.test/wpad.dat (from --pac): WPAD over DNS; fetched, cached"
	assert_line "way 1: http://127.0.0.1:3128 (from PAC http://wpad.corp.test/wpad.dat)"
	assert_line "way 2: direct (PAC http://wpad.corp.test/wpad.dat says DIRECT)"
	assert_line --regexp "^PAC http://wpad.corp.test/wpad.dat \(from --pac\): WPAD over DNS; cached copy, fresh for 3[0-9]{3} s more\$"
	run cat "$d/stderr"
	assert_line "egress: WPAD: 3 candidates (this machine: box.branch.corp.test)"
	assert_line --index 1 "egress: WPAD: trying http://wpad.branch.corp.test/wpad.dat"
	assert_line --index 2 "egress: WPAD: trying http://wpad.corp.test/wpad.dat"
}

@test "--pac auto: a search domain's wpad, and no PAC anywhere is status 3 naming the tries" {
	local d=$BATS_TEST_TMPDIR
	mkdir -p "$d/web"
	printf "function FindProxyForURL(u, h) { return 'DIRECT'; }\n" >"$d/web/wpad.dat"
	printf '127.0.0.1 localhost\n127.0.0.1 box\n127.0.0.1 wpad.lab.example\n' >"$d/hosts"
	printf 'nameserver 127.0.0.1\nsearch lab.example\noptions timeout:1 attempts:1\n' >"$d/resolv.conf"
	cat >"$d/inside" <<-EOF
		ip link set lo up
		hostname box
		mount --bind '$d/hosts' /etc/hosts
		mount --bind '$d/resolv.conf' /etc/resolv.conf
		'$EGRESS' --pac auto --explain db 22
		echo "status \$?"
		'$PYTHON' -m http.server --bind 127.0.0.1 --directory '$d/web' 80 >'$d/http.log' 2>&1 &
		for i in \$(seq 100); do ss -ltn | grep -q '127.0.0.1:80 ' && break; sleep 0.05; done
		EGRESS_PAC=auto '$EGRESS' --explain db 22
		kill %1
	EOF
	in_private_net bash "$d/inside" >"$d/out" 2>&1 || fail "$(cat "$d/out")"
	run cat "$d/out"
	assert_line --index 0 --partial "egress: --pac auto: WPAD found no PAC at http://wpad.lab.example/wpad.dat; last: cannot fetch the PAC http://wpad.lab.example/wpad.dat: "
	assert_line "status 3"
	assert_line "PAC http://wpad.lab.example/wpad.dat (from EGRESS_PAC): WPAD over DNS; fetched, cached"
	assert_line "way 1: direct (PAC http://wpad.lab.example/wpad.dat says DIRECT)"
}

@test "--pac auto takes GNOME's autoconfig-url first" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/gsettings" <<-EOF
		#!/bin/sh
		case "\$*" in
		"get org.gnome.system.proxy mode") echo "'auto'" ;;
		"get org.gnome.system.proxy autoconfig-url") echo "'http://127.0.0.1:$PACWEB_PORT/rules.pac'" ;;
		*) exit 1 ;;
		esac
	EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/gsettings"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH banner_via --pac auto 127.0.0.1 "$T_PORT"
	squid_logged "127.0.0.1:$T_PORT"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -0 egress --explain --pac auto 127.0.0.1 "$T_PORT"
	assert_line --regexp "^PAC http://127.0.0.1:$PACWEB_PORT/rules.pac \(from --pac\): GNOME's proxy settings; cached copy, fresh for"
	# A file:// URL there is read, not fetched.
	sed -i "s|'http://127.0.0.1:$PACWEB_PORT/rules.pac'|'file://$PACS/rules.pac'|" "$BATS_TEST_TMPDIR/bin/gsettings"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -0 egress --explain --pac auto 127.0.0.1 "$T_PORT"
	assert_line "PAC file://$PACS/rules.pac (from --pac): GNOME's proxy settings; read from the file"
	assert_line "way 1: http://127.0.0.1:$SQUID_PORT (from PAC file://$PACS/rules.pac)"
}

@test "--pac auto: a GNOME autoconfig-url too long to keep is not used, nor cut short" {
	local url
	url="http://127.0.0.1:$PACWEB_PORT/rules.pac?$(printf 'q%.0s' {1..300})"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/gsettings" <<-EOF
		#!/bin/sh
		case "\$*" in
		"get org.gnome.system.proxy mode") echo "'auto'" ;;
		"get org.gnome.system.proxy autoconfig-url") echo "'$url'" ;;
		*) exit 1 ;;
		esac
	EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/gsettings"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run --separate-stderr \
		egress --explain --connect-timeout 1 --pac auto 127.0.0.1 "$T_PORT"
	assert_stderr --partial "egress: GNOME's autoconfig-url is longer than 299 bytes; not used"
	# Its first 299 bytes were fetched as if they were the URL.
	run grep -c 'rules.pac?q' "$PACWEB_LOG"
	assert_output 0
}
