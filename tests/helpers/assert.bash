# shellcheck shell=bash
# Assertions on $stderr and on connection logs (bats-assert 2.1 only knows $output).
# Sourced by common.bash, which every bats file loads.

# assert_stderr [--partial|--regexp] EXPECTED: $stderr equals / contains / matches.
assert_stderr() {
	local mode=equals
	case ${1:-} in
	--partial) mode=contains; shift ;;
	--regexp) mode=matches; shift ;;
	esac
	local expected=$1 ok=0
	case $mode in
	equals) [[ $stderr == "$expected" ]] && ok=1 ;;
	contains) [[ $stderr == *"$expected"* ]] && ok=1 ;;
	matches) [[ $stderr =~ $expected ]] && ok=1 ;;
	esac
	if ((!ok)); then
		batslib_print_kv_single_or_multi 8 "$mode" "$expected" stderr "$stderr" |
			batslib_decorate "stderr is not as expected" | fail
	fi
}

# refute_stderr [--partial STR]: $stderr is empty / does not contain STR.
# shellcheck disable=SC2120 # the bats files pass --partial STR
refute_stderr() {
	if [[ ${1:-} == --partial ]]; then
		[[ $stderr != *"$2"* ]] && return 0
		batslib_print_kv_single_or_multi 8 "unexpected" "$2" stderr "$stderr" |
			batslib_decorate "stderr contains what it must not" | fail
		return
	fi
	[[ -z $stderr ]] && return 0
	batslib_print_kv_single_or_multi 8 stderr "$stderr" |
		batslib_decorate "stderr should be empty" | fail
}

# assert_stderr_lines N: $stderr has exactly N lines.
assert_stderr_lines() {
	local n=0
	[[ -n $stderr ]] && n=$(printf '%s\n' "$stderr" | wc -l)
	((n == $1)) && return 0
	batslib_print_kv_single_or_multi 8 expected "$1 line(s)" stderr "$stderr" |
		batslib_decorate "wrong number of stderr lines" | fail
}

# assert_no_connection LOG: the fake proxy / target behind LOG saw no connection.
assert_no_connection() {
	if grep -q '^accept' "$1"; then
		batslib_print_kv_single_or_multi 8 log "$(cat "$1")" |
			batslib_decorate "a connection was made" | fail
	fi
}

# assert_connections LOG N: exactly N connections were accepted.
assert_connections() {
	local n
	n=$(grep -c '^accept' "$1")
	((n == $2)) && return 0
	batslib_print_kv_single_or_multi 8 expected "$2 connection(s)" log "$(cat "$1")" |
		batslib_decorate "wrong number of connections" | fail
}

# tunnel_says TEXT ARGS...: egress ARGS... (stdin empty) exits 0, prints exactly TEXT
# and nothing on stderr.
tunnel_says() {
	local text=$1
	shift
	run -0 --separate-stderr egress "$@" </dev/null
	assert_output "$text"
	# shellcheck disable=SC2119 # no argument: nothing on stderr at all
	refute_stderr
}

# squid_logged HOST:PORT: squid's access log (start_squid's $SQUID_DIR) has a CONNECT
# to HOST:PORT; it is written when the tunnel closes, so it is waited for (bounded).
squid_logged() {
	wait_log "$SQUID_DIR/access.log" " CONNECT $1 " ||
		fail "squid did not log CONNECT $1: $(cat "$SQUID_DIR/access.log" 2>&1)"
}
