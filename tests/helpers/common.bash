# shellcheck shell=bash
# Shared helpers for egress's bats files: `load helpers/common`.
#
# Servers started here listen on loopback only, on their own ports, with their
# state in their own directory, so bats files can run in parallel.  Every start
# function waits (bounded) until its server accepts and registers its PID; the
# teardown() and teardown_file() in procs.bash stop whatever the test or the
# file started.  A file that needs its own teardown must call stop_servers.
#
# Start functions take a NAME and set ${NAME}_PORT (and more, see each one); the
# variables are exported so servers started in setup_file() are visible in tests.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${EGRESS:=$BATS_TEST_DIRNAME/../build/src/egress}"
if [[ $EGRESS == */* ]]; then
	EGRESS=$(realpath -m -- "$EGRESS")
else
	EGRESS=$(command -v -- "$EGRESS" || printf '%s' "$EGRESS")
fi
HELPERS=$BATS_TEST_DIRNAME/helpers
# scripts/test --valgrind: every egress of the suite runs under memcheck, through a
# script that needs no environment (see tests/helpers/valgrind-egress).
# Written once a run; every test of the run then finds $EGRESS pointing at it.
if [[ -n ${EGRESS_VALGRIND_LOGS:-} && $EGRESS != "$BATS_RUN_TMPDIR/valgrind-egress" ]]; then
	if [[ ! -x $BATS_RUN_TMPDIR/valgrind-egress ]]; then
		printf '#!/bin/sh\nexec %q %q %q "$@"\n' "$HELPERS/valgrind-egress" \
			"$EGRESS_VALGRIND_LOGS" "$EGRESS" >"$BATS_RUN_TMPDIR/valgrind-egress"
		chmod +x "$BATS_RUN_TMPDIR/valgrind-egress"
	fi
	EGRESS=$BATS_RUN_TMPDIR/valgrind-egress
fi
export EGRESS

# not_under_valgrind WHAT: skip a test that looks at what only the real process shows
# (valgrind keeps the first argv, environment and core dump to itself).
not_under_valgrind() {
	[[ -z ${EGRESS_VALGRIND_LOGS:-} ]] ||
		skip "under valgrind, $1 is valgrind's own (the plain and sanitizer runs check it)"
}

if [[ -z ${PYTHON:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# The tests decide about proxies; nothing may leak in from the caller, and no config
# file of the user's or the machine's either (config.bats writes its own).
unset EGRESS_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY http_proxy HTTP_PROXY \
	no_proxy NO_PROXY
export XDG_CONFIG_HOME=$BATS_RUN_TMPDIR/no-config EGRESS_SYSTEM_CONFIG=
# Nor may a cached PAC of the user's leak in, or one of ours out.
export XDG_CACHE_HOME=$BATS_RUN_TMPDIR/cache

# egress ARGS...: run $EGRESS, killed after EGRESS_TIMEOUT (default 60) seconds so
# that a hung binary fails its test instead of hanging the suite.
egress() {
	timeout -k 5 "${EGRESS_TIMEOUT:-60}" "$EGRESS" "$@"
}

# Bounds for every wait loop: up to WAIT_STEPS polls of WAIT_STEP seconds.
WAIT_STEP=0.05
WAIT_STEPS=200

# shellcheck source=tests/helpers/assert.bash
source "$HELPERS/assert.bash"
# shellcheck source=tests/helpers/procs.bash
source "$HELPERS/procs.bash"
# shellcheck source=tests/helpers/servers.bash
source "$HELPERS/servers.bash"
# shellcheck source=tests/helpers/data.bash
source "$HELPERS/data.bash"
