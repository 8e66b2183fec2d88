# shellcheck shell=bash
# Kerberos (SPNEGO / Negotiate) helpers: `load helpers/kerberos` after
# `load helpers/common`, whose functions it uses.
#
# start_kdc makes a throwaway realm with its own MIT KDC on a loopback port, and
# points the Kerberos library of every later command at it through the
# environment: the system's /etc/krb5.conf, credential cache and keytab play no
# part.  Nothing here uses DNS: the KDC is 127.0.0.1:PORT, names are never
# canonicalized, and "localhost" maps to the realm by [domain_realm].
#
# Debian 12 packages: krb5-kdc (krb5kdc, kdb5_util), krb5-admin-server
# (kadmin.local), krb5-user (kinit, klist, kdestroy), and squid for its
# negotiate_kerberos_auth helper.  With DEBIAN_FRONTEND=noninteractive,
# krb5-config's debconf questions take their defaults (a sample /etc/krb5.conf,
# which is ignored here); with a policy-rc.d that exits 101, the packages'
# system KDC and kadmind are not started.
#
# The service is addressed as "localhost": the client asks for HTTP@HOST, where
# HOST is the name it connects to, so a proxy given as 127.0.0.1 wants a ticket
# for HTTP/127.0.0.1, which this realm does not have.

KRB_REALM=EGRESS.TEST
KRB_USER=alice
KRB_PASS='looking-glass.7'
# The proxy's service principal: curl and libcurl ask for HTTP@<proxy host>.
KRB_SPN=HTTP/localhost@$KRB_REALM

# start_kdc: a realm $KRB_REALM with $KRB_USER (password $KRB_PASS) and $KRB_SPN,
# whose key is in $KRB_KEYTAB; krb5kdc on a free port.  Sets KDC_PORT, KDC_PID,
# KDC_DIR, KRB_KEYTAB, and exports KRB5_CONFIG, KRB5_KDC_PROFILE, KRB5_KTNAME
# (the keytab, for any acceptor) and KRB5CCNAME (a private cache, empty until
# krb_kinit; from setup_file, the file's tests share it).
start_kdc() {
	local dir pub
	# The tests decide about Kerberos; nothing may leak in from the caller.  Not
	# at load time: tests load this file again, after setup_file's start_kdc.
	unset KRB5_CLIENT_KTNAME KRB5RCACHETYPE KRB5RCACHEDIR
	dir=$(newdir kdc)
	# krb5.conf and the keytab must be readable by squid's helper, which runs as
	# user proxy and cannot enter bats's private temp dirs.
	pub=$(mktemp -d "${TMPDIR:-/tmp}/egress-krb.XXXXXX") || return
	chmod 755 "$pub"
	register - "rm -rf '$pub'"
	_set KRB5_CONFIG "$pub/krb5.conf"
	_set KRB5_KDC_PROFILE "$dir/kdc.conf"
	_set KRB5CCNAME "FILE:$dir/ccache"
	_set KRB_KEYTAB "$pub/http.keytab"
	_set KRB5_KTNAME "FILE:$KRB_KEYTAB"
	# kdb5_util and kadmin.local need no port; the launcher writes them again.
	_kdc_conf >"$dir/kdc.conf"
	_krb5_conf >"$KRB5_CONFIG"
	_kdc_admin kdb5_util -r "$KRB_REALM" create -s -P "$(openssl rand -hex 16)" &&
		_kdc_admin kadmin.local -r "$KRB_REALM" \
			-q "addprinc -pw $KRB_PASS $KRB_USER@$KRB_REALM" &&
		_kdc_admin kadmin.local -r "$KRB_REALM" -q "addprinc -randkey $KRB_SPN" &&
		_kdc_admin kadmin.local -r "$KRB_REALM" -q "ktadd -k $KRB_KEYTAB $KRB_SPN" &&
		[[ -s $KRB_KEYTAB ]] || _start_failed "the realm $KRB_REALM" "$dir/admin.log" || return
	if ((EUID == 0)); then chown proxy:proxy "$KRB_KEYTAB"; fi
	if _serve_on_free_port KDC _launch_kdc; then
		_set KDC_DIR "$dir"
		return 0
	fi
	cat "$dir/out" >>"$dir/kdc.log" 2>/dev/null
	_start_failed krb5kdc "$dir/kdc.log"
}

# _kdc_admin CMD...: run a database command (bounded), its output to admin.log
# in $dir.  kadmin.local may answer 0 after a failure: callers check the result.
_kdc_admin() {
	timeout -k 5 30 "$@" </dev/null >>"$dir/admin.log" 2>&1
}

# _kdc_conf [PORT]: kdc.conf for the realm in $dir; the KDC listens on
# 127.0.0.1:PORT, UDP and TCP, when PORT is given.
_kdc_conf() {
	if [[ -n ${1:-} ]]; then
		printf '[kdcdefaults]\n'
		printf '\tkdc_listen = 127.0.0.1:%s\n\tkdc_tcp_listen = 127.0.0.1:%s\n' "$1" "$1"
	fi
	cat <<-EOF
		[realms]
		$KRB_REALM = {
			database_name = $dir/principal
			key_stash_file = $dir/stash
			acl_file = $dir/kadm5.acl
		}
		[logging]
		kdc = FILE:$dir/kdc.log
		admin_server = FILE:$dir/kadmin.log
		default = FILE:$dir/kdc.log
	EOF
}

# _krb5_conf [PORT]: krb5.conf for clients of the KDC on 127.0.0.1:PORT.
_krb5_conf() {
	# No DNS at all: no KDC or realm lookups, no canonicalization, and no
	# qualify_shortname, which would append resolv.conf's search domain to a
	# dotless name like localhost.  TCP only (udp_preference_limit 1): its
	# port is the one that the start waits for.
	cat <<-EOF
		[libdefaults]
		default_realm = $KRB_REALM
		dns_lookup_kdc = false
		dns_lookup_realm = false
		dns_canonicalize_hostname = false
		rdns = false
		qualify_shortname = ""
		udp_preference_limit = 1
		[realms]
		$KRB_REALM = {
	EOF
	[[ -z ${1:-} ]] || printf '\tkdc = 127.0.0.1:%s\n' "$1"
	cat <<-EOF
		}
		[domain_realm]
		localhost = $KRB_REALM
	EOF
}

# Starts it on port $1 (the caller's locals, e.g. $dir, are in scope).
_launch_kdc() {
	local port=$1
	_kdc_conf "$port" >"$dir/kdc.conf"
	_krb5_conf "$port" >"$KRB5_CONFIG"
	krb5kdc -n -r "$KRB_REALM" </dev/null >"$dir/out" 2>&1 3>&- &
}

# krb_kinit [USER [PASS]]: a ticket for USER (default $KRB_USER, password
# $KRB_PASS) in $KRB5CCNAME; kinit's output goes to stderr.
krb_kinit() {
	# kinit reads the password from stdin when that is not a terminal.
	timeout -k 5 20 kinit "${1:-$KRB_USER}@$KRB_REALM" <<<"${2:-$KRB_PASS}" >&2
}

# squid_negotiate_conf: the squid.conf lines of Negotiate (Kerberos) for
# $KRB_SPN (start_kdc first); `start_squid NAME negotiate` uses them.
squid_negotiate_conf() {
	# The helper needs only its keytab (-k); it also inherits squid's
	# environment, KRB5_CONFIG included.  -t none: no replay cache, which would
	# be a file of user proxy's under /var/tmp.  Its cache.log lines
	# "krb5_pac_get_buffer: No such file or directory" are harmless: an MIT
	# ticket has no Windows group list.
	printf 'auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -s %s -k %s -t none\n' \
		"$KRB_SPN" "$KRB_KEYTAB"
	printf 'auth_param negotiate keep_alive on\n'
}
