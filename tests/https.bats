#!/usr/bin/env bats
# HTTPS proxies: TLS to the proxy, then CONNECT inside it.  stunnel puts TLS in
# front of tinyproxy, squid and the fake proxy.  Verification by CA file or
# directory, --proxy-insecure, the host name check, public key pinning, client
# certificates, a plain proxy mistaken for an https:// one, the options refused
# with https://; the raw relay, exit codes and the stdin-EOF rule as for http://
# proxies, and no busy loop while the tunnel idles.

load helpers/common

# Only the options given here decide what egress trusts.
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE

SIZE=$((16 * 1024 * 1024))

setup_file() {
	local d=$BATS_FILE_TMPDIR
	make_payloads https

	make_tls_cert CA                      # the proxies' certificate, for 127.0.0.1
	make_tls_cert WRONG DNS:other.example # valid, but for another name
	make_tls_cert CLIENT                  # egress's client certificate
	make_tls_cert OTHER DNS:ca.example 'Unrelated CA' # a system CA, no proxy's
	start_tinyproxy
	start_stunnel TLS "$TINYPROXY_PORT" "$CA_CERT" "$CA_KEY"
	start_stunnel MISMATCH "$TINYPROXY_PORT" "$WRONG_CERT" "$WRONG_KEY"
	start_stunnel MTLS "$TINYPROXY_PORT" "$CA_CERT" "$CA_KEY" "$CLIENT_CERT"
	start_squid
	start_stunnel SQTLS "$SQUID_PORT" "$CA_CERT" "$CA_KEY"
	start_squid SQBASIC basic
	start_stunnel SQBTLS "$SQBASIC_PORT" "$CA_CERT" "$CA_KEY"
	start_sshd
	start_target BANNER source "$d/banner.txt"
	start_target SINK sink "$SIZE"
	start_target SOURCE source "$d/big.bin"
	start_target ECHON echo-n "$SIZE"
	export TINYS=https://127.0.0.1:$TLS_PORT SQUIDS=https://127.0.0.1:$SQTLS_PORT
	export SQBS=127.0.0.1:$SQBTLS_PORT # squid with Basic auth behind TLS, no scheme
}

# through ARGS...: the target's banner through egress ARGS..., exit 0, stderr clean.
through() {
	run -0 --separate-stderr egress "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	refute_stderr
}

# tls_failed PROXY-PORT ARGS...: egress ARGS... to the banner target exits 7 with
# the one line about the TLS failure; $stderr is left for more checks.
tls_failed() {
	local port=$1
	shift
	run -7 --separate-stderr egress "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr --regexp "^egress: TLS with proxy 127\\.0\\.0\\.1:$port failed for 127\\.0\\.0\\.1:$BANNER_PORT: ."
	assert_stderr_lines 1
}

# pin CERT: the sha256// pin of CERT's public key.
pin() {
	printf 'sha256//%s' "$(openssl x509 -in "$1" -pubkey -noout |
		openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)"
}

# egress_to FILE ARGS...: run egress (bounded) with stdout into FILE.
egress_to() {
	local file=$1
	shift
	egress "$@" >"$file"
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	local stat f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# Fields 14 and 15 (utime, stime); the split starts at field 3, after "(comm) ".
	read -ra f <<<"${stat##*) }"
	printf '%s' $((f[11] + f[12]))
}

# assert_idle_cpu PID: PID stays alive and uses under 0.1 s of CPU in 3 s.
assert_idle_cpu() {
	local t0 t1 limit
	limit=$(($(getconf CLK_TCK) / 10))
	t0=$(cpu_ticks "$1") || fail "egress exited early"
	sleep 3
	alive "$1" || fail "egress exited while idle"
	t1=$(cpu_ticks "$1") || fail "egress exited while idle"
	((t1 - t0 < limit)) ||
		fail "egress used $((t1 - t0)) clock ticks of CPU in 3 idle seconds (limit $limit)"
}

# hide_system_cas: sets HIDE_CAS to the command that runs another in a private
# mount namespace, so that system_cas can swap the system's trust store without the
# rest of the machine seeing it. Skips (call it outside `run`) where none can be made.
hide_system_cas() {
	local -a try=(unshare --mount --propagation private)
	((EUID == 0)) || try=(unshare --map-root-user --mount --propagation private)
	if "${try[@]}" true 2>/dev/null; then
		HIDE_CAS=("${try[@]}")
	elif ((EUID == 0)) && ! grep -q ' shared:' /proc/self/mountinfo &&
		unshare --mount --propagation unchanged true 2>/dev/null; then
		# In a chroot "/" is no mount point, so it cannot be made private; with no
		# shared mount anywhere, nothing mounted inside can propagate out anyway.
		HIDE_CAS=(unshare --mount --propagation unchanged)
	else
		skip "needs a private mount namespace (root or user namespaces) to swap the system's CA certificates"
	fi
}

# system_cas none|other CMD...: runs CMD (bounded, like egress()) where
# /etc/ssl/certs, the system's trust store, is empty (none) or holds only a bundle
# of one CA unrelated to the proxies (other), so that what egress trusts does not
# depend on whether this machine has ca-certificates. hide_system_cas first.
system_cas() {
	local bundle=
	[[ $1 == other ]] && bundle=$OTHER_CERT
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	"${HIDE_CAS[@]}" sh -c 'mount -t tmpfs tmpfs /etc/ssl/certs || exit 90
		if [ -n "$1" ]; then cp "$1" /etc/ssl/certs/ca-certificates.crt || exit 90; fi
		shift
		exec timeout -k 5 "${EGRESS_TIMEOUT:-60}" "$@"' sh "$bundle" "$@"
}

# ---------------------------------------------------------------------------
# Through real proxies behind TLS.

@test "https:// through tinyproxy with --proxy-cacert: the banner arrives" {
	through -x "$TINYS" --proxy-cacert "$CA_CERT"
}

@test "https:// through squid with --proxy-cacert: the banner arrives" {
	through -x "$SQUIDS" --proxy-cacert "$CA_CERT"
}

# ca_dir: a hashed directory ($BATS_TEST_TMPDIR/ca) holding the proxies' CA.
ca_dir() {
	mkdir "$BATS_TEST_TMPDIR/ca"
	cp "$CA_CERT" "$BATS_TEST_TMPDIR/ca/ca.pem"
	openssl rehash "$BATS_TEST_TMPDIR/ca"
}

# through_cas none|other ARGS...: the banner through egress ARGS... with the
# system's CA store swapped (see system_cas), exit 0, stderr clean.
through_cas() {
	local state=$1
	shift
	hide_system_cas
	run -0 --separate-stderr system_cas "$state" "$EGRESS" "$@" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	refute_stderr
}

@test "--proxy-capath: a hashed directory with the CA verifies the proxy" {
	ca_dir
	through_cas other -x "$TINYS" --proxy-capath "$BATS_TEST_TMPDIR/ca"
}

@test "--proxy-capath works on a system without a CA bundle file" {
	ca_dir
	through_cas none -x "$TINYS" --proxy-capath "$BATS_TEST_TMPDIR/ca"
}

@test "--proxy-insecure: no CA needed" {
	through -x "$TINYS" --proxy-insecure
}

@test "16 MiB down through https:// arrive intact" {
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINYS" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$SOURCE_PORT" </dev/null
	refute_stderr
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

@test "16 MiB up through https:// arrive intact" {
	run -0 --separate-stderr egress -x "$TINYS" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$SINK_PORT" <"$BATS_FILE_TMPDIR/big.bin"
	assert_output "$BIG_SHA"
	refute_stderr
}

@test "16 MiB both ways at once through https:// to an echo arrive intact" {
	# The echo sends before it reads on: a relay that stopped reading the tunnel
	# while its own write waits would deadlock here.
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "$TINYS" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$ECHON_PORT" <"$BATS_FILE_TMPDIR/big.bin"
	refute_stderr
	assert_equal "$(sha "$out")" "$BIG_SHA"
}

# coalesced_through TARGET-PORT EXPECTED: the fake proxy behind TLS sends the
# banner 'from-proxy' in the same write as its 200; egress's output is EXPECTED.
coalesced_through() {
	start_fakeproxy P --banner 'from-proxy\r\n' coalesce
	start_stunnel PTLS "$P_PORT" "$CA_CERT" "$CA_KEY"
	local out=$BATS_TEST_TMPDIR/out
	run -0 --separate-stderr egress_to "$out" -x "https://127.0.0.1:$PTLS_PORT" \
		--proxy-cacert "$CA_CERT" 127.0.0.1 "$1" </dev/null
	refute_stderr
	cmp "$out" <(printf '%s' "$2")
}

@test "a banner coalesced with the 200 reply inside TLS arrives intact" {
	coalesced_through "$(dead_port)" $'from-proxy\r\n'
}

@test "a banner coalesced with the 200 reply inside TLS is followed by the target's bytes" {
	coalesced_through "$BANNER_PORT" $'from-proxy\r\n'"$BANNER"$'\n' # BANNER keeps its \r
}

@test "a banner coalesced with the 200 inside TLS arrives while stdin stays open and the target is silent" {
	# Nothing else wakes poll(): the banner sits decrypted inside OpenSSL.
	start_fakeproxy P --banner 'SSH-2.0-held-open\r\n' coalesce
	start_stunnel PTLS "$P_PORT" "$CA_CERT" "$CA_KEY"
	start_target HOLD hold
	hold_stdin IN
	local out=$BATS_TEST_TMPDIR/out
	"$EGRESS" -x "https://127.0.0.1:$PTLS_PORT" --proxy-cacert "$CA_CERT" 127.0.0.1 "$HOLD_PORT" \
		<"$IN_FIFO" >"$out" 2>"$BATS_TEST_TMPDIR/err" 3>&- &
	local pid=$!
	register "$pid"
	wait_file "$out" "$pid" || fail "no banner: $(cat "$BATS_TEST_TMPDIR/err")"
	cmp "$out" <(printf 'SSH-2.0-held-open\r\n')
	alive "$pid" || fail "egress exited"
	stop_pid "$pid"
}

@test "ssh through https:// with egress as ProxyCommand runs a command" {
	run -0 --separate-stderr ssh_via "$(printf '%q ' "$EGRESS" -x "$TINYS" \
		--proxy-cacert "$CA_CERT")%h %p" echo hello over https
	assert_output 'hello over https'
}

@test "stdin EOF is not forwarded through https://: a late answer still arrives" {
	start_target LATE late 'pong\n' 0.5
	run -0 --separate-stderr egress -x "$TINYS" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$LATE_PORT" < <(printf 'ping\n')
	assert_output pong
	refute_stderr
}

@test "squid behind TLS refuses port 9: exit 5 with its 403" {
	run -5 --separate-stderr egress -x "$SQUIDS" --proxy-cacert "$CA_CERT" 127.0.0.1 9 </dev/null
	assert_output ''
	assert_stderr "egress: proxy 127.0.0.1:$SQTLS_PORT refused CONNECT 127.0.0.1:9: 403 Forbidden"
}

@test "squid with Basic auth behind TLS: the password stays out of -v" {
	run -0 --separate-stderr egress -v -x "https://$PROXY_USER:$PROXY_PASS@$SQBS" \
		--proxy-cacert "$CA_CERT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output "$BANNER"
	assert_stderr --partial 'Proxy-Authorization: Basic <hidden>'
	refute_stderr --partial "$PROXY_PASS"
	refute_stderr --partial "$(printf '%s:%s' "$PROXY_USER" "$PROXY_PASS" | base64)"
}

@test "squid with Basic auth behind TLS: a wrong password exits 4" {
	run -4 --separate-stderr egress -q -x "https://$PROXY_USER:wrong@$SQBS" \
		--proxy-cacert "$CA_CERT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: proxy $SQBS rejected the credentials for $PROXY_USER (Basic) to CONNECT 127.0.0.1:$BANNER_PORT"
	refute_stderr --partial wrong
}

@test "squid with Basic auth behind TLS: no credentials exit 4" {
	run -4 --separate-stderr egress -x "https://$SQBS" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr --regexp "^egress: proxy $SQBS .*407"
}

@test "nobody listens on the https:// proxy's port: exit 3" {
	local dead
	dead=$(dead_port)
	run -3 --separate-stderr egress -x "https://127.0.0.1:$dead" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr "egress: cannot reach proxy 127.0.0.1:$dead for 127.0.0.1:$BANNER_PORT: Connection refused"
}

# ---------------------------------------------------------------------------
# Verifying the proxy.

@test "no --proxy-cacert: the self-signed proxy is not trusted, exit 7" {
	hide_system_cas
	run -7 --separate-stderr system_cas other "$EGRESS" -x "$TINYS" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: TLS with proxy 127.0.0.1:$TLS_PORT failed for 127.0.0.1:$BANNER_PORT: SSL certificate problem: self-signed certificate (--proxy-cacert FILE trusts it)"
}

@test "no CA option and no system CA bundle: exit 7 saying what to install or give" {
	hide_system_cas
	run -7 --separate-stderr system_cas none "$EGRESS" -x "$TINYS" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr "egress: TLS with proxy 127.0.0.1:$TLS_PORT failed for 127.0.0.1:$BANNER_PORT: this system has no CA certificates at /etc/ssl/certs/ca-certificates.crt; install ca-certificates, or give --proxy-cacert or --proxy-capath"
}

@test "a certificate for another name: exit 7, the name does not match" {
	tls_failed "$MISMATCH_PORT" -x "https://127.0.0.1:$MISMATCH_PORT" --proxy-cacert "$WRONG_CERT"
	assert_stderr --partial 'no alternative certificate subject name matches'
}

@test "--proxy-pinnedpubkey with the proxy's key: the banner arrives" {
	through -x "$TINYS" --proxy-cacert "$CA_CERT" --proxy-pinnedpubkey "$(pin "$CA_CERT")"
}

@test "--proxy-pinnedpubkey with another key: exit 7" {
	tls_failed "$TLS_PORT" -x "$TINYS" --proxy-cacert "$CA_CERT" \
		--proxy-pinnedpubkey "$(pin "$WRONG_CERT")"
	assert_stderr --partial 'pinned'
}

# ---------------------------------------------------------------------------
# CA certificates from the environment, as curl's own tool reads them.

@test "SSL_CERT_FILE names the CA when no option does" {
	export SSL_CERT_FILE=$CA_CERT
	through -x "$TINYS"
}

@test "SSL_CERT_DIR names a hashed CA directory when no option does" {
	ca_dir
	export SSL_CERT_DIR=$BATS_TEST_TMPDIR/ca
	through_cas none -x "$TINYS"
}

@test "CURL_CA_BUNDLE comes before SSL_CERT_FILE" {
	export CURL_CA_BUNDLE=$CA_CERT SSL_CERT_FILE=$WRONG_CERT
	through -x "$TINYS"
}

@test "--proxy-cacert comes before the environment" {
	export CURL_CA_BUNDLE=$WRONG_CERT
	through -x "$TINYS" --proxy-cacert "$CA_CERT"
}

@test "an SSL_CERT_FILE that does not exist: exit 2 naming it, no connection" {
	export SSL_CERT_FILE=$BATS_TEST_TMPDIR/missing.pem
	start_fakeproxy P relay
	run -2 --separate-stderr egress -x "https://127.0.0.1:$P_PORT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial "SSL_CERT_FILE: cannot read \"$BATS_TEST_TMPDIR/missing.pem\""
	assert_no_connection "$P_LOG"
}

@test "a broken SSL_CERT_FILE does not matter to an http:// proxy" {
	export SSL_CERT_FILE=$BATS_TEST_TMPDIR/missing.pem
	through -x "http://127.0.0.1:$TINYPROXY_PORT"
}

# ---------------------------------------------------------------------------
# Client certificates (the MTLS stunnel trusts only CLIENT's certificate).

@test "--proxy-cert and --proxy-key: a proxy that demands a client certificate lets us in" {
	through -x "https://127.0.0.1:$MTLS_PORT" --proxy-cacert "$CA_CERT" \
		--proxy-cert "$CLIENT_CERT" --proxy-key "$CLIENT_KEY"
}

@test "--proxy-cert alone: a file with the certificate and its key lets us in" {
	local both=$BATS_TEST_TMPDIR/both.pem
	cat "$CLIENT_CERT" "$CLIENT_KEY" >"$both"
	through -x "https://127.0.0.1:$MTLS_PORT" --proxy-cacert "$CA_CERT" --proxy-cert "$both"
}

@test "no client certificate for a proxy that demands one: exit 7, saying so" {
	tls_failed "$MTLS_PORT" -x "https://127.0.0.1:$MTLS_PORT" --proxy-cacert "$CA_CERT"
	assert_stderr --partial 'client certificate'
}

@test "a client certificate the proxy does not trust: exit 7, saying so" {
	tls_failed "$MTLS_PORT" -x "https://127.0.0.1:$MTLS_PORT" --proxy-cacert "$CA_CERT" \
		--proxy-cert "$CA_CERT" --proxy-key "$CA_KEY"
	assert_stderr --partial 'client certificate'
}

# ---------------------------------------------------------------------------
# A plain proxy given as https://.

@test "https:// to a plain squid: exit 7 with the plain-proxy hint" {
	run -7 --separate-stderr egress -x "https://127.0.0.1:$SQUID_PORT" --proxy-cacert "$CA_CERT" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr --regexp "^egress: TLS with proxy 127\\.0\\.0\\.1:$SQUID_PORT failed for 127\\.0\\.0\\.1:$BANNER_PORT: .*\\(is it a plain http:// proxy\\?\\)\$"
}

@test "https:// to a plain tinyproxy (it never answers TLS): exit 6 or 7 with the hint" {
	run --separate-stderr egress --connect-timeout 3 -x "https://127.0.0.1:$TINYPROXY_PORT" \
		--proxy-cacert "$CA_CERT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_stderr --regexp '^egress: .*\(is it a plain http:// proxy\?\)$'
	assert_stderr_lines 1
	((status == 6 || status == 7)) || fail "exit status $status, expected 6 or 7"
}

# ---------------------------------------------------------------------------
# Refused before any traffic.

# refused_early ARGS...: egress with an https:// URL to the fake proxy and ARGS...
# exits 2; the fake proxy sees no connection.
refused_early() {
	start_fakeproxy P relay
	run -2 --separate-stderr egress -x "https://127.0.0.1:$P_PORT" "$@" \
		127.0.0.1 "$BANNER_PORT" </dev/null
	assert_output ''
	assert_no_connection "$P_LOG"
}

@test "a --proxy-cacert file that does not exist: exit 2, no connection" {
	refused_early --proxy-cacert "$BATS_TEST_TMPDIR/missing.pem"
	assert_stderr --partial "$BATS_TEST_TMPDIR/missing.pem"
}

@test "a --proxy-capath directory that does not exist: exit 2, no connection" {
	refused_early --proxy-capath "$BATS_TEST_TMPDIR/missing.d"
	assert_stderr --partial "$BATS_TEST_TMPDIR/missing.d"
}

@test "a --proxy-cert file that does not exist: exit 2, no connection" {
	refused_early --proxy-cacert "$CA_CERT" --proxy-cert "$BATS_TEST_TMPDIR/missing.pem" \
		--proxy-key "$CLIENT_KEY"
	assert_stderr --partial "$BATS_TEST_TMPDIR/missing.pem"
}

@test "a --proxy-key file that does not exist: exit 2, no connection" {
	refused_early --proxy-cacert "$CA_CERT" --proxy-cert "$CLIENT_CERT" \
		--proxy-key "$BATS_TEST_TMPDIR/missing.key"
	assert_stderr --partial "$BATS_TEST_TMPDIR/missing.key"
}

@test "--half-close with an https:// proxy: exit 2, no connection" {
	refused_early --proxy-cacert "$CA_CERT" --half-close
	assert_stderr --partial '--half-close'
	assert_stderr --partial 'https://'
}

@test "--half-close with an https:// proxy later in the list: exit 2, no connection" {
	start_fakeproxy Q relay
	run -2 --separate-stderr egress --half-close --proxy-cacert "$CA_CERT" \
		-x "http://127.0.0.1:$Q_PORT,https://127.0.0.1:$Q_PORT" 127.0.0.1 "$BANNER_PORT" </dev/null
	assert_stderr --partial '--half-close'
	assert_stderr --partial 'https://'
	assert_no_connection "$Q_LOG"
}

@test "--fdpass with an https:// proxy: exit 2, no connection" {
	refused_early --proxy-cacert "$CA_CERT" -F
	assert_stderr --partial 'https'
}

# ---------------------------------------------------------------------------
# No busy loop: an idle TLS tunnel sleeps.

# idle_tunnel_sleeps STDIN: a tunnel through https:// to a silent target, with
# egress's stdin from STDIN, uses no CPU once open.
idle_tunnel_sleeps() {
	start_target HOLD hold
	"$EGRESS" -x "$TINYS" --proxy-cacert "$CA_CERT" 127.0.0.1 "$HOLD_PORT" \
		<"$1" >/dev/null 2>&1 3>&- &
	local pid=$!
	register "$pid"
	wait_log "$HOLD_LOG" '^accept' || fail "the tunnel did not open"
	sleep 0.5
	assert_idle_cpu "$pid"
	stop_pid "$pid"
}

@test "an idle tunnel through https:// with stdin open uses no CPU" {
	hold_stdin IN
	idle_tunnel_sleeps "$IN_FIFO"
}

@test "an idle tunnel through https:// after stdin EOF uses no CPU" {
	idle_tunnel_sleeps /dev/null
}
