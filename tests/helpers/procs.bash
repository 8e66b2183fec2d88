# shellcheck shell=bash
# Ports, bounded waits, and the registry of started processes that teardown()
# and teardown_file() stop.
# Sourced by common.bash, which every bats file loads.

# free_port: print a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
	"$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# port_accepts PORT [HOST]: a TCP connection to HOST:PORT succeeds now.
port_accepts() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	timeout 2 bash -c 'exec 5<>"/dev/tcp/$1/$2"' _ "${2:-127.0.0.1}" "$1" 2>/dev/null
}

# alive PID: the process exists and is not a zombie.
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# wait_until CMD...: poll CMD every WAIT_STEP s, at most WAIT_STEPS times.
wait_until() {
	local i
	for ((i = 0; i < WAIT_STEPS; i++)); do
		"$@" && return 0
		sleep "$WAIT_STEP"
	done
	return 1
}

# wait_gone PID [STEPS]: poll until PID has exited (bounded); 1 if still alive.
wait_gone() {
	local i steps=${2:-$WAIT_STEPS}
	for ((i = 0; i < steps; i++)); do
		alive "$1" || return 0
		sleep "$WAIT_STEP"
	done
	return 1
}

# wait_port PORT PID: until PORT accepts; fail early if PID died.
wait_port() {
	local i
	for ((i = 0; i < WAIT_STEPS; i++)); do
		port_accepts "$1" && return 0
		alive "$2" || return 1
		sleep "$WAIT_STEP"
	done
	return 1
}

# wait_file FILE PID: until FILE is non-empty; fail early if PID died.
wait_file() {
	local i
	for ((i = 0; i < WAIT_STEPS; i++)); do
		[[ -s $1 ]] && return 0
		alive "$2" || return 1
		sleep "$WAIT_STEP"
	done
	return 1
}

# wait_log LOG PATTERN: until a line of LOG matches the grep -E PATTERN.
wait_log() {
	wait_until grep -qE -- "$2" "$1"
}

_registry() {
	if [[ -n ${BATS_TEST_TMPDIR:-} ]]; then
		printf '%s/servers' "$BATS_TEST_TMPDIR"
	else
		printf '%s/servers' "$BATS_FILE_TMPDIR"
	fi
}

# register PID|- [CLEANUP-COMMAND]: stop PID (and run the command) at teardown.
# A guard process also stops PID if this shell dies without a teardown (bats
# killed): it polls once a second for as long as both processes exist.
register() {
	printf '%s\t%s\n' "${1:--}" "${2:-}" >>"$(_registry)"
	[[ ${1:--} == - ]] && return
	local owner=$BASHPID
	(
		while kill -0 "$owner" 2>/dev/null && alive "$1"; do
			sleep 1
		done
		alive "$1" && kill -TERM "$1" 2>/dev/null
	) </dev/null >/dev/null 2>&1 3>&- &
}

# stop_pid PID: SIGTERM, wait up to 3 s, then SIGKILL.
stop_pid() {
	alive "$1" || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	wait_gone "$1" 60 && return 0
	kill -KILL "$1" 2>/dev/null
	wait_gone "$1" 60
}

# stop_servers: stop everything registered by this test (or by setup_file when
# called from teardown_file), newest first.
stop_servers() {
	local reg pid cleanup
	reg=$(_registry)
	[[ -f $reg ]] || return 0
	while IFS=$'\t' read -r pid cleanup; do
		[[ $pid == - ]] || stop_pid "$pid"
		[[ -n $cleanup ]] && eval "$cleanup"
	done < <(tac "$reg")
	rm -f "$reg"
}

teardown() {
	stop_servers
}

teardown_file() {
	stop_servers
}

# newdir NAME: a fresh directory under the file's temp dir.
newdir() {
	mktemp -d "$BATS_FILE_TMPDIR/$1.XXXXXX"
}

_set() {
	printf -v "$1" '%s' "$2"
	export "${1?}"
}

_start_failed() {
	echo "# could not start $1; its log:" >&2
	sed 's/^/#   /' "$2" >&2 2>/dev/null
	return 1
}
