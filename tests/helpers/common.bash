# shellcheck shell=bash
# Shared helpers for egress's bats files: `load helpers/common`.
#
# Servers started here listen on loopback only, on their own ports, with their
# state in their own directory, so bats files can run in parallel.  Every start
# function waits (bounded) until its server accepts and registers its PID; the
# teardown() and teardown_file() defined below stop whatever the test or the
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
export EGRESS

HELPERS=$BATS_TEST_DIRNAME/helpers
if [[ -z ${PYTHON:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

# The tests decide about proxies; nothing may leak in from the caller.
unset EGRESS_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY http_proxy HTTP_PROXY \
	no_proxy NO_PROXY

# egress ARGS...: run $EGRESS, killed after EGRESS_TIMEOUT (default 60) seconds so
# that a hung binary fails its test instead of hanging the suite.
egress() {
	timeout -k 5 "${EGRESS_TIMEOUT:-60}" "$EGRESS" "$@"
}

# Bounds for every wait loop: up to WAIT_STEPS polls of WAIT_STEP seconds.
WAIT_STEP=0.05
WAIT_STEPS=200

# ---------------------------------------------------------------------------
# Assertions on $stderr (bats-assert 2.1 only knows $output).

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

# ---------------------------------------------------------------------------
# Ports, waits, server registry.

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

# ---------------------------------------------------------------------------
# Python helpers: the fake proxy and the target servers.

# start_fakeproxy NAME [fakeproxy options] MODE [ARGS...]
# Sets NAME_PORT, NAME_LOG (the connection log), NAME_PID.
start_fakeproxy() {
	_start_python fakeproxy "$@"
}

# start_target NAME [target options] MODE [ARGS...]
# Sets NAME_PORT, NAME_LOG, NAME_PID.
start_target() {
	_start_python target "$@"
}

# _start_python SCRIPT NAME ARGS...: helpers/SCRIPT.py, which picks a free port
# itself and writes it to its port file once it listens.
_start_python() {
	local script=$1 name=$2 dir pid
	shift 2
	dir=$(newdir "$script-$name")
	"$PYTHON" "$HELPERS/$script.py" --port-file "$dir/port" --log "$dir/log" "$@" \
		</dev/null >"$dir/out" 2>&1 3>&- &
	pid=$!
	register "$pid"
	wait_file "$dir/port" "$pid" || _start_failed "$script $*" "$dir/out" || return
	_set "${name}_PORT" "$(cat "$dir/port")"
	_set "${name}_LOG" "$dir/log"
	_set "${name}_PID" "$pid"
}

# dead_port: a port on 127.0.0.1 where nothing listens (connection refused).
dead_port() {
	free_port
}

# ---------------------------------------------------------------------------
# Real servers.  Each tries a few ports in case another file grabbed one first.

# _serve_on_free_port NAME LAUNCHER: runs LAUNCHER PORT (which starts a server in
# the background, so that $! is its PID) on up to three free ports, until one
# accepts; sets NAME_PORT and NAME_PID.  Another bats file may grab a port first.
_serve_on_free_port() {
	# Underscored names: the launcher sees this function's locals too, and must
	# keep seeing its caller's $name, $dir...
	local _var=$1 _launcher=$2 _port _pid _try
	for ((_try = 1; _try <= 3; _try++)); do
		_port=$(free_port)
		"$_launcher" "$_port"
		_pid=$!
		register "$_pid"
		if wait_port "$_port" "$_pid"; then
			_set "${_var}_PORT" "$_port"
			_set "${_var}_PID" "$_pid"
			return 0
		fi
		stop_pid "$_pid"
	done
	return 1
}

# start_tinyproxy: sets TINYPROXY_PORT, TINYPROXY_PID, TINYPROXY_DIR.
start_tinyproxy() {
	local dir
	dir=$(newdir tinyproxy)
	if _serve_on_free_port TINYPROXY _launch_tinyproxy; then
		_set TINYPROXY_DIR "$dir"
		return 0
	fi
	_start_failed tinyproxy "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_tinyproxy() {
	local port=$1
	cat >"$dir/tinyproxy.conf" <<-EOF
		Port $port
		Listen 127.0.0.1
		Allow 127.0.0.1
		Allow ::1
		Timeout 600
		MaxClients 200
		LogLevel Info
	EOF
	# As root tinyproxy must be told whom to run as.
	((EUID != 0)) || printf 'User nobody\nGroup nogroup\n' >>"$dir/tinyproxy.conf"
	tinyproxy -d -c "$dir/tinyproxy.conf" </dev/null >"$dir/log" 2>&1 3>&- &
}

# start_microsocks NAME [USER PASS]: microsocks, a SOCKS5 server, on a free port;
# sets NAME_PORT.  With USER PASS it demands that user name and password.
start_microsocks() {
	local name=$1 dir auth=()
	[[ -n ${2:-} ]] && auth=(-u "$2" -P "$3")
	dir=$(newdir "microsocks-$name")
	_serve_on_free_port "$name" _launch_microsocks || _start_failed microsocks "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_microsocks() {
	local port=$1
	microsocks -i 127.0.0.1 -p "$port" "${auth[@]}" </dev/null >"$dir/log" 2>&1 3>&- &
}

# start_danted NAME: dante, a SOCKS4 and SOCKS5 server, on a free port, no
# authentication; it refuses connections to port 9.  Sets NAME_PORT.
start_danted() {
	local name=$1 dir
	dir=$(newdir "danted-$name")
	_serve_on_free_port "$name" _launch_danted || _start_failed danted "$dir/out"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_danted() {
	local port=$1
	{
		printf 'logoutput: %s\ninternal: 127.0.0.1 port = %s\n' "$dir/log" "$port"
		printf 'external: 127.0.0.1\nsocksmethod: none\nclientmethod: none\n'
		# Settings come before rules; as root dante must be told whom to run as.
		((EUID != 0)) || printf 'user.privileged: root\nuser.unprivileged: nobody\n'
		echo 'client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }'
		echo 'socks block { from: 0.0.0.0/0 to: 0.0.0.0/0 port = 9 log: connect }'
		echo 'socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }'
	} >"$dir/danted.conf"
	danted -f "$dir/danted.conf" -p "$dir/pid" -N 1 </dev/null >>"$dir/out" 2>&1 3>&- &
}

# start_ssh_socks NAME: OpenSSH's dynamic forwarding (ssh -D) through the test
# sshd (start_sshd first): a SOCKS4, SOCKS4a and SOCKS5 server.  Sets NAME_PORT.
start_ssh_socks() {
	local name=$1 dir
	dir=$(newdir "ssh-socks-$name")
	_serve_on_free_port "$name" _launch_ssh_socks || _start_failed "ssh -D" "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_ssh_socks() {
	local port=$1
	ssh -F /dev/null -p "$SSHD_PORT" -i "$SSH_KEY" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR \
		-o ExitOnForwardFailure=yes -N -D "127.0.0.1:$port" "$(id -un)@127.0.0.1" \
		</dev/null >"$dir/log" 2>&1 3>&- &
}

# start_squid [NAME [AUTH]]: squid on a free port; sets NAME_PORT, NAME_PID and
# NAME_DIR (NAME defaults to SQUID).  It answers 403 to a CONNECT to port
# $SQUID_DENIED_PORT or to a host under $SQUID_DENIED_DOMAIN.  AUTH basic or
# digest: only $PROXY_USER with $PROXY_PASS gets through (basic_ncsa_auth,
# digest_file_auth), others get 407; ntlm: any NTLM handshake (ntlm_fake_auth);
# negotiate: a Kerberos ticket of start_kdc's realm.
SQUID_DENIED_PORT=9
SQUID_DENIED_DOMAIN=denied.test
PROXY_USER=alice
PROXY_PASS='wonder.land-42'
PROXY_REALM=egress-test
start_squid() {
	local var=${1:-SQUID} scheme=${2:-} dir name
	# squid drops to user proxy, which cannot enter bats's private temp dirs.
	dir=$(mktemp -d "${TMPDIR:-/tmp}/egress-squid.XXXXXX")
	chmod 755 "$dir"
	name=egress${dir##*.}
	name=${name//[^a-zA-Z0-9]/x}
	register - "rm -rf '$dir' /dev/shm/$name-*"
	_squid_auth_conf "$scheme" >"$dir/auth.conf" || return
	if ((EUID == 0)); then chown -R proxy:proxy "$dir"; fi
	if _serve_on_free_port "$var" _launch_squid; then
		_set "${var}_DIR" "$dir"
		return 0
	fi
	cat "$dir/out" >>"$dir/cache.log" 2>/dev/null
	_start_failed squid "$dir/cache.log"
}

# _squid_auth_conf AUTH: squid.conf lines for AUTH ("" for none), with the
# helper's password file written to $dir.  negotiate needs helpers/kerberos.
_squid_auth_conf() {
	local helpers=/usr/lib/squid
	case $1 in
	'') return 0 ;;
	basic)
		printf '%s:%s\n' "$PROXY_USER" "$(openssl passwd -apr1 "$PROXY_PASS")" >"$dir/passwd"
		printf 'auth_param basic program %s/basic_ncsa_auth %s/passwd\n' "$helpers" "$dir"
		printf 'auth_param basic realm %s\n' "$PROXY_REALM"
		;;
	digest)
		printf '%s:%s\n' "$PROXY_USER" "$PROXY_PASS" >"$dir/passwd"
		printf 'auth_param digest program %s/digest_file_auth %s/passwd\n' "$helpers" "$dir"
		printf 'auth_param digest realm %s\n' "$PROXY_REALM"
		;;
	ntlm)
		# Any user and password pass: what is proven is the handshake.
		printf 'auth_param ntlm program %s/ntlm_fake_auth\n' "$helpers"
		printf 'auth_param ntlm keep_alive on\n'
		;;
	negotiate)
		squid_negotiate_conf || return
		;;
	*)
		echo "# start_squid: unknown auth scheme '$1'" >&2
		return 1
		;;
	esac
	printf 'auth_param %s children 2 startup=1 idle=1\n' "$1"
	printf 'acl egress_authed proxy_auth REQUIRED\n'
	printf 'http_access deny !egress_authed\n'
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_squid() {
	local port=$1
	cat >"$dir/squid.conf" <<-EOF
		http_port 127.0.0.1:$port
		pid_filename $dir/squid.pid
		cache_log $dir/cache.log
		access_log none
		cache_store_log none
		coredump_dir $dir
		cache deny all
		cache_mem 8 MB
		shutdown_lifetime 0 seconds
		pinger_enable off
		netdb_filename none
		icp_port 0
		htcp_port 0
		visible_hostname egress-test
		acl egress_denied_port port $SQUID_DENIED_PORT
		acl egress_denied_domain dstdomain .$SQUID_DENIED_DOMAIN
		include $dir/auth.conf
		http_access deny egress_denied_port
		http_access deny egress_denied_domain
		http_access allow localhost
		http_access deny all
	EOF
	squid -N -f "$dir/squid.conf" -n "$name" </dev/null >"$dir/out" 2>&1 3>&- &
}

# make_payloads LABEL: in $BATS_FILE_TMPDIR, big.bin ($SIZE random bytes) and
# banner.txt (an SSH-like line naming LABEL); exports BIG_SHA and BANNER.
make_payloads() {
	local d=$BATS_FILE_TMPDIR
	head -c "$SIZE" /dev/urandom >"$d/big.bin"
	printf 'SSH-2.0-egress-%s-target\r\n' "$1" >"$d/banner.txt"
	export BIG_SHA BANNER
	BIG_SHA=$(sha "$d/big.bin")
	BANNER=$(cat "$d/banner.txt")
}

# make_tls_cert NAME [SAN [CN]]: a self-signed certificate that is its own CA (RSA
# 2048, valid 2 days), made in one step.  SAN defaults to IP:127.0.0.1,DNS:localhost,
# CN to 127.0.0.1.  Sets NAME_CERT and NAME_KEY (PEM files).
make_tls_cert() {
	local name=$1 san=${2:-IP:127.0.0.1,DNS:localhost} cn=${3:-127.0.0.1} dir
	dir=$(newdir "cert-$name")
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$cn" \
		-addext "subjectAltName=$san" -addext basicConstraints=critical,CA:TRUE \
		-keyout "$dir/key.pem" -out "$dir/cert.pem" </dev/null >"$dir/log" 2>&1 ||
		_start_failed "openssl req" "$dir/log" || return
	_set "${name}_CERT" "$dir/cert.pem"
	_set "${name}_KEY" "$dir/key.pem"
}

# start_stunnel NAME CONNECT-PORT CERT KEY [CAFILE]: stunnel, a TLS server on a
# free port that relays to 127.0.0.1:CONNECT-PORT: an https:// proxy when a plain
# proxy listens there.  With CAFILE it demands a client certificate that CAFILE
# verifies.  Sets NAME_PORT and NAME_PID.
start_stunnel() {
	local name=$1 connect=$2 cert=$3 key=$4 cafile=${5:-} dir
	dir=$(newdir "stunnel-$name")
	_serve_on_free_port "$name" _launch_stunnel || _start_failed stunnel "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_stunnel() {
	local port=$1
	{
		printf 'foreground = yes\npid =\ndebug = notice\n\n[proxy]\n'
		printf 'accept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\n' "$port" "$connect"
		printf 'cert = %s\nkey = %s\n' "$cert" "$key"
		[[ -z $cafile ]] || printf 'verify = 2\nCAfile = %s\n' "$cafile"
	} >"$dir/stunnel.conf"
	stunnel4 "$dir/stunnel.conf" </dev/null >"$dir/log" 2>&1 3>&- &
}

# start_sshd: sets SSHD_PORT, SSHD_PID, SSHD_DIR and SSH_KEY (a key of the
# current user, who may log in).
start_sshd() {
	local dir
	dir=$(newdir sshd)
	if ((EUID == 0)); then mkdir -p /run/sshd; fi
	ssh-keygen -q -t ed25519 -N '' -C egress-test-host -f "$dir/host_key" || return
	ssh-keygen -q -t ed25519 -N '' -C egress-test-user -f "$dir/user_key" || return
	cp "$dir/user_key.pub" "$dir/authorized_keys"
	if _serve_on_free_port SSHD _launch_sshd; then
		_set SSHD_DIR "$dir"
		_set SSH_KEY "$dir/user_key"
		return 0
	fi
	_start_failed sshd "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_sshd() {
	local port=$1
	cat >"$dir/sshd_config" <<-EOF
		Port $port
		ListenAddress 127.0.0.1
		HostKey $dir/host_key
		PidFile $dir/sshd.pid
		AuthorizedKeysFile $dir/authorized_keys
		PermitRootLogin prohibit-password
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		UsePAM no
		StrictModes no
		UseDNS no
	EOF
	/usr/sbin/sshd -D -e -f "$dir/sshd_config" </dev/null >"$dir/log" 2>&1 3>&- &
}

# ssh_via PROXYCOMMAND [SSH-OPTION... --] CMD...: run CMD on the test sshd, through
# PROXYCOMMAND.
ssh_via() {
	local proxycommand=$1 opts=()
	shift
	# Extra ssh options may come first, ended by "--".
	if [[ " $* " == *" -- "* ]]; then
		while [[ $1 != -- ]]; do
			opts+=("$1")
			shift
		done
		shift
	fi
	timeout 30 ssh -F /dev/null -p "$SSHD_PORT" -i "$SSH_KEY" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10 \
		-o ProxyCommand="$proxycommand" "${opts[@]}" "$(id -un)@127.0.0.1" "$@"
}

# make_repo DIR NAME [BIG-MIB]: a bare repository DIR/NAME.git with a README and,
# with BIG-MIB, that many 1 MiB random blobs (incompressible: the pack takes a moment).
make_repo() {
	local base=$1 name=$2 big=${3:-0} work i
	work=$base/$name.work
	git init -q -b main "$work" || return
	printf 'egress test repository %s\n' "$name" >"$work/README"
	for ((i = 0; i < big; i++)); do
		head -c 1048576 /dev/urandom >"$work/blob$i.bin"
	done
	git -C "$work" add -A &&
		git -C "$work" -c user.name=egress -c user.email=egress@test.invalid \
			commit -q -m "test content" &&
		git clone -q --bare "$work" "$base/$name.git"
}

# start_git_daemon: serves $GIT_BASE/{small,big}.git; sets GIT_PORT, GIT_PID, GIT_BASE.
start_git_daemon() {
	local dir
	dir=$(newdir git)
	mkdir -p "$dir/repos"
	make_repo "$dir/repos" small || return
	make_repo "$dir/repos" big 4 || return
	if _serve_on_free_port GIT _launch_git_daemon; then
		_set GIT_BASE "$dir/repos"
		return 0
	fi
	_start_failed "git daemon" "$dir/log"
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_git_daemon() {
	local port=$1
	"$(git --exec-path)/git-daemon" --reuseaddr --export-all --base-path="$dir/repos" \
		--listen=127.0.0.1 --port="$port" "$dir/repos" \
		</dev/null >"$dir/log" 2>&1 3>&- &
}

# ---------------------------------------------------------------------------
# Feeding egress's stdin.

# hold_stdin NAME [TEXT | --file FILE]: make a fifo NAME_FIFO whose writer sends
# TEXT (or FILE) and then stays open (for up to 60 s; stopped at teardown).  As
# egress's stdin it keeps stdin open while the far side closes.
hold_stdin() {
	local name=$1 dir pid
	shift
	dir=$(newdir "stdin-$name")
	if [[ ${1:-} == --file ]]; then
		ln -s "$(realpath "$2")" "$dir/data"
	else
		printf '%s' "${1:-}" >"$dir/data"
	fi
	mkfifo "$dir/fifo"
	{ cat "$dir/data" && exec sleep 60; } >"$dir/fifo" 2>/dev/null 3>&- &
	pid=$!
	register "$pid"
	_set "${name}_FIFO" "$dir/fifo"
}

# random_file NAME BYTES: a file of random bytes in the file's temp dir; prints its path.
random_file() {
	local f=$BATS_FILE_TMPDIR/$1
	[[ -f $f ]] || head -c "$2" /dev/urandom >"$f"
	printf '%s' "$f"
}

# sha FILE: the sha256 hex of FILE (or stdin).
sha() {
	sha256sum "$@" | cut -d' ' -f1
}
