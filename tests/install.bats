#!/usr/bin/env bats
# `meson install` into a DESTDIR leaves exactly what a user gets: the binary, its man
# page, the completions for bash, zsh and fish, the SOCKS front's systemd user units
# and the example config, each under the directory its reader looks in. The installed
# binary runs: --version, a tunnel through tinyproxy, the installed example config.
# The suite's builds (scripts/test) enable the man page and every install option.

load helpers/common

setup_file() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export ROOT
	: "${EGRESS_BUILD_ROOT:=$ROOT/build}"
	export EGRESS_BUILD_ROOT DEST=$BATS_FILE_TMPDIR/dest
	meson install -C "$EGRESS_BUILD_ROOT" --destdir "$DEST" --no-rebuild \
		>"$BATS_FILE_TMPDIR/install.log" 2>&1 ||
		{ cat "$BATS_FILE_TMPDIR/install.log" >&2 && return 1; }
	# The build's install directories, absolute: PREFIX BINDIR MANDIR DATADIR ZSHDIR.
	local dirs
	dirs=$(meson introspect --buildoptions "$EGRESS_BUILD_ROOT" | "$PYTHON" -c '
import json, os, sys
opts = {o["name"]: o["value"] for o in json.load(sys.stdin)}
prefix = opts["prefix"]
absolute = lambda d: os.path.join(prefix, d)
print(prefix, absolute(opts["bindir"]), absolute(opts["mandir"]), absolute(opts["datadir"]),
      opts["zsh-completions-dir"] or os.path.join(absolute(opts["datadir"]), "zsh/site-functions"))')
	read -r PREFIX BINDIR MANDIR DATADIR ZSHDIR <<<"$dirs"
	export PREFIX BINDIR MANDIR DATADIR ZSHDIR
	start_tinyproxy
	start_target ECHO echo-n 6
}

@test "meson install puts exactly the binary, man page, completions, units and example config" {
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 bash -c 'cd "$DEST" && find . ! -type d | sed "s/^\.//" | sort'
	assert_output "$(sort <<-EOF
		$BINDIR/egress
		$MANDIR/man1/egress.1
		$DATADIR/bash-completion/completions/egress
		$ZSHDIR/_egress
		$DATADIR/fish/vendor_completions.d/egress.fish
		$PREFIX/lib/systemd/user/egress-socks.socket
		$PREFIX/lib/systemd/user/egress-socks.service
		$DATADIR/doc/egress/examples/config
	EOF
	)"
}

@test "the installed binary runs: --version and a tunnel through tinyproxy" {
	run -0 "$DEST$BINDIR/egress" --version
	assert_line --index 0 --regexp '^egress [0-9]+\.[0-9]+\.[0-9]+'
	assert_line --partial 'libcurl'
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 bash -c 'printf "hello\n" |
		timeout 30 "$1" -x "http://127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$ECHO_PORT"' \
		_ "$DEST$BINDIR/egress"
	assert_output "hello"
}

@test "the installed completions and man page are the project's" {
	cmp "$ROOT/completions/egress.bash" "$DEST$DATADIR/bash-completion/completions/egress"
	cmp "$ROOT/completions/_egress" "$DEST$ZSHDIR/_egress"
	cmp "$ROOT/completions/egress.fish" "$DEST$DATADIR/fish/vendor_completions.d/egress.fish"
	cmp "$EGRESS_BUILD_ROOT/egress.1" "$DEST$MANDIR/man1/egress.1"
	grep -q '^\.SH EXAMPLES' "$DEST$MANDIR/man1/egress.1"
}

@test "the installed units start the installed binary and are the project's otherwise" {
	local unit
	for unit in egress-socks.socket egress-socks.service; do
		run -0 diff <(sed "s|@bindir@|$BINDIR|g" "$ROOT/contrib/systemd/$unit.in") \
			"$DEST$PREFIX/lib/systemd/user/$unit"
	done
	run -0 grep '^ExecStart=' "$DEST$PREFIX/lib/systemd/user/egress-socks.service"
	assert_output "ExecStart=$BINDIR/egress -D 1080"
	run -0 grep '^ListenStream=' "$DEST$PREFIX/lib/systemd/user/egress-socks.socket"
	assert_output "ListenStream=127.0.0.1:1080"
}

@test "the installed example config is one the installed binary reads" {
	local example=$DEST$DATADIR/doc/egress/examples/config
	# Its https:// proxy would take its CA from these, and a machine without
	# ca-certificates may name a file that is not there: not what is tested here.
	unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
	cmp "$ROOT/contrib/config.example" "$example"
	run -0 "$DEST$BINDIR/egress" --explain --config "$example" db.lab 22
	assert_line --regexp "^way 1: socks5h://gw\.lab:1080 \(from .*config:[0-9]+\)$"
	run -0 "$DEST$BINDIR/egress" --explain --config "$example" wiki.intranet.example.com 22
	assert_line --regexp '^way 1: direct '
	run -0 "$DEST$BINDIR/egress" --explain --config "$example" db.prod.example.com 22
	assert_line --regexp '^way 1: https://secure-proxy\.example\.com:443 '
	# The rest goes by the company's PAC script: here a local copy of one.
	printf 'function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:%s"; }\n' \
		"$TINYPROXY_PORT" >"$BATS_TEST_TMPDIR/wpad.dat"
	sed "s|http://wpad.example.com/wpad.dat|$BATS_TEST_TMPDIR/wpad.dat|" "$example" \
		>"$BATS_TEST_TMPDIR/config"
	run -0 "$DEST$BINDIR/egress" --explain --config "$BATS_TEST_TMPDIR/config" gw.lab 22
	assert_line "way 1: http://127.0.0.1:$TINYPROXY_PORT (from PAC $BATS_TEST_TMPDIR/wpad.dat)"
	assert_line "  no password goes to it: a PAC named it, and no --proxy-auth-hosts pattern matches; Kerberos if it asks"
	# shellcheck disable=SC2016 # expanded by the inner shell
	run -0 bash -c 'printf "hello\n" | timeout 30 "$1" --config "$2" 127.0.0.1 "$ECHO_PORT"' \
		_ "$DEST$BINDIR/egress" "$BATS_TEST_TMPDIR/config"
	assert_output "hello"
	run -0 grep -c '^host ' "$example"
	assert_output 4
}
