# bash completion for egress(1)                               -*- shell-script -*-
# Installed as .../bash-completion/completions/egress; can also be sourced directly.
# Works with or without the bash-completion package (which adds known_hosts names).

# Values of KEY (proxy, pac) written in the user's config file.
_egress_config_values() {
	local file=${XDG_CONFIG_HOME:-$HOME/.config}/egress/config
	[[ -r $file ]] || return 0
	sed -nE "s/^[[:space:]]*(--)?$1([[:space:]]*=[[:space:]]*|[[:space:]]+)\"?([^\"[:space:]]+).*/\\3/p" -- "$file"
}

# Host names from ~/.ssh/known_hosts and the Host lines of ~/.ssh/config, as ssh's
# completion offers them (hashed entries and patterns left out).
_egress_hosts() {
	if [[ -r ~/.ssh/known_hosts ]]; then
		sed -nE '/^[|@#]/d; s/[[:space:]].*//; s/,/\n/g; p' ~/.ssh/known_hosts |
			sed -E 's/^\[([^]]+)\]:[0-9]+$/\1/'
	fi
	if [[ -r ~/.ssh/config ]]; then
		sed -nE 's/^[[:space:]]*[Hh][Oo][Ss][Tt][[:space:]]+//p' ~/.ssh/config | tr ' ' '\n' |
			grep -v '[*?!]' | grep -v '^$'
	fi
}

_egress() {
	local cur=${COMP_WORDS[COMP_CWORD]}
	local opts_arg='-x --proxy --noproxy -H --proxy-header -A --user-agent
		--proxy-cacert --proxy-capath --proxy-pinnedpubkey --proxy-cert --proxy-key
		-U --proxy-user --proxy-auth --proxy-auth-hosts --netrc-file --connect-timeout --idle-timeout --keepalive --eof-timeout
		--config --pac -L --listen -D --dynamic --max-conns --drain'
	local opts_flag='--proxy-insecure --half-close -F --fdpass -4 --ipv4 -6 --ipv6
		--no-config --explain --inetd -v --verbose -q --quiet -h --help -V --version'
	COMPREPLY=()

	# Look at the line split on blanks only: bash splits COMP_WORDS at ":" and "=",
	# which would cut proxy URLs and HOST:PORT into pieces.
	local line=${COMP_LINE:0:COMP_POINT} w
	read -ra w <<<"$line"
	[[ -z $line || $line == *[[:blank:]] ]] && w+=("")
	local last=$((${#w[@]} - 1))
	local word=${w[last]} prev=""
	((last > 0)) && prev=${w[last - 1]}

	case $prev in
	--proxy-cacert | --proxy-cert | --proxy-key | --netrc-file | --config)
		mapfile -t COMPREPLY < <(compgen -f -- "$word")
		return
		;;
	--pac)
		mapfile -t COMPREPLY < <(compgen -W "auto $(_egress_config_values pac)" -- "$word"
			compgen -f -- "$word")
		return
		;;
	-x | --proxy)
		mapfile -t COMPREPLY < <(compgen -W "$(_egress_config_values proxy)" -- "$word")
		return
		;;
	--proxy-auth)
		mapfile -t COMPREPLY < <(compgen -W 'any anysafe basic digest ntlm negotiate' -- "$word")
		return
		;;
	--proxy-capath)
		mapfile -t COMPREPLY < <(compgen -d -- "$word")
		return
		;;
	--noproxy | -H | --proxy-header | -A | --user-agent | \
		--proxy-pinnedpubkey | -U | --proxy-user | --proxy-auth-hosts | --connect-timeout | \
		--idle-timeout | --keepalive | --eof-timeout | -L | --listen | -D | --dynamic | \
		--max-conns | --drain)
		return # URLs, lists, headers, hashes, users, seconds, ports: free text
		;;
	esac

	# Count the HOST/PORT arguments before the word being completed.
	local i n=0 dashdash=0
	for ((i = 1; i < last; i++)); do
		if ((dashdash)); then
			((n++))
			continue
		fi
		case ${w[i]} in
		--) dashdash=1 ;;
		-x | --proxy | --noproxy | -H | --proxy-header | -A | --user-agent | \
			--proxy-cacert | --proxy-capath | --proxy-pinnedpubkey | --proxy-cert | \
			--proxy-key | -U | --proxy-user | --proxy-auth | --proxy-auth-hosts | --netrc-file | \
			--connect-timeout | --idle-timeout | --keepalive | --eof-timeout | --config | --pac | \
			-L | --listen | -D | --dynamic | --max-conns | --drain)
			((i++))
			;;
		-*) ;;
		*) ((n++)) ;;
		esac
	done

	if ((!dashdash)) && [[ $word == -* ]]; then
		[[ $word == *=* ]] && return
		mapfile -t COMPREPLY < <(compgen -W "$opts_arg $opts_flag" -- "$cur")
		return
	fi
	((n == 0)) || return # PORT: nothing to offer

	if declare -F _known_hosts_real >/dev/null 2>&1; then
		_known_hosts_real -- "$cur"
	else
		mapfile -t COMPREPLY < <(compgen -W "$(_egress_hosts)" -- "$cur")
	fi
} && complete -F _egress egress

# ex: filetype=sh
