# shellcheck shell=bash
# Servers on free loopback ports: the Python fake proxy and targets, and the real
# proxies and servers.  Each real one tries a few ports in case another file grabbed
# one first.
# Sourced by common.bash, which every bats file loads.

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
	# shellcheck disable=SC2153 # HELPERS: set by common.bash, which sources this file
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

# start_http NAME DIR: a static HTTP server for DIR on a free port (Python's
# http.server; PAC files).  Sets NAME_PORT, NAME_PID and NAME_LOG, which has a line a
# request ("GET /file HTTP/1.1" 200 ...).
start_http() {
	local name=$1 dir=$2 log
	log=$(newdir "http-$name")/log
	_http_root=$dir _http_log=$log _serve_on_free_port "$name" _launch_http ||
		_start_failed "http.server" "$log" || return
	_set "${name}_LOG" "$log"
}

# shellcheck disable=SC2154 # _http_root, _http_log: set by start_http for the call
_launch_http() {
	"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$_http_root" "$1" \
		</dev/null >"$_http_log" 2>&1 3>&- &
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
# NAME_DIR (NAME defaults to SQUID); NAME_DIR/access.log has a line a CONNECT,
# written when its tunnel closes.  It answers 403 to a CONNECT to port
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
		access_log stdio:$dir/access.log
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
