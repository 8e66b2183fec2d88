#!/usr/bin/env bats
# The completions for bash, zsh and fish, run in the real shells without a terminal
# of ours: bash through COMP_WORDS/COMP_CWORD, zsh's completion system in a
# pseudo-terminal (tests/helpers/zsh-complete), fish with `complete -C`. Each test
# checks the candidates themselves, against --help where it can.

load helpers/common

setup_file() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	export COMPLETIONS=$ROOT/completions
	# A home of known hosts and ssh config, and a config file naming a proxy and a PAC.
	export HOME=$BATS_FILE_TMPDIR/home
	mkdir -p "$HOME/.ssh" "$HOME/.config/egress" "$HOME/work"
	printf '%s\n' 'gw.lab,10.9.8.7 ssh-ed25519 AAAAC3' '|1|c2FsdA==|aGFzaA== ssh-rsa AAAAB3' \
		'[bastion.corp]:2222 ssh-ed25519 AAAAC3' '@revoked old.host ssh-rsa AAAAB3' \
		>"$HOME/.ssh/known_hosts"
	printf '%s\n' 'Host build-box *.wild' '    User me' 'host db.internal' >"$HOME/.ssh/config"
	printf '%s\n' 'host *.lab' '    proxy socks5h://gw.lab:1080' 'host *' \
		'    pac = "http://pac.corp.example/proxy.pac"' >"$HOME/.config/egress/config"
	touch "$HOME/work/corp.conf" "$HOME/work/other"
}

# The candidates SHELL offers for LINE (completed at its end), one a line, sorted;
# run from $HOME/work, with the config file of $HOME (common.bash points
# XDG_CONFIG_HOME elsewhere for every test).
offers() {
	local shell=$1 line=$2
	cd "$HOME/work" || return
	export XDG_CONFIG_HOME=$HOME/.config
	case $shell in
	bash)
		bash -c 'source "$1/egress.bash"
			COMP_LINE=$2 COMP_POINT=${#2}
			read -ra COMP_WORDS <<<"$2"
			[[ $2 == *" " ]] && COMP_WORDS+=("")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			_egress
			printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETIONS" "$line"
		;;
	zsh) timeout 30 zsh -f "$HELPERS/zsh-complete" "$COMPLETIONS" "$line" ;;
	fish)
		# shellcheck disable=SC2016 # fish's $argv, expanded by fish
		timeout 30 fish --no-config -c 'source $argv[1]/egress.fish; complete -C $argv[2]' \
			"$COMPLETIONS" "$line" | cut -f1
		;;
	esac | sort -u
}

# Every option of --help, long and short, one a line, sorted.
help_options() {
	"$EGRESS" --help | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
	"$EGRESS" --help | grep -oE -- '(^|[[:space:]])-[A-Za-z0-9], --' |
		grep -oE -- '-[A-Za-z0-9]' | sort -u
}

# assert_offers_all SHELL: SHELL offers every option of --help after "egress -".
assert_offers_all() {
	local got missing
	got=$(offers "$1" "egress -")
	missing=$(comm -23 <(help_options | sort -u) <(sort -u <<<"$got"))
	[[ -z $missing ]] || fail "$1 does not offer: ${missing//$'\n'/ }"
}

@test "bash, zsh and fish offer every option of --help" {
	assert_offers_all bash
	assert_offers_all zsh
	assert_offers_all fish
}

@test "the values of --proxy-auth, in every shell" {
	local shell
	for shell in bash zsh fish; do
		run -0 offers "$shell" "egress --proxy-auth "
		assert_output "$(printf '%s\n' any anysafe basic digest negotiate ntlm)"
		run -0 offers "$shell" "egress --proxy-auth n"
		assert_output "$(printf '%s\n' negotiate ntlm)"
	done
}

@test "file names after --config, --proxy-cacert and --netrc-file; directories after --proxy-capath" {
	local shell opt
	for shell in bash zsh fish; do
		for opt in --config --proxy-cacert --netrc-file; do
			run -0 offers "$shell" "egress $opt co"
			assert_output corp.conf
		done
		mkdir -p "$HOME/work/cadir"
		run -0 offers "$shell" "egress --proxy-capath c"
		assert_output --regexp '^cadir/?$'
	done
}

@test "-x offers the proxy URLs of the config file; --pac auto, its PAC URLs and files" {
	local shell
	for shell in bash zsh fish; do
		run -0 offers "$shell" "egress -x "
		assert_output socks5h://gw.lab:1080
		run -0 offers "$shell" "egress --pac "
		assert_line auto
		assert_line http://pac.corp.example/proxy.pac
		assert_line corp.conf
	done
}

@test "HOST from known_hosts and ssh config Host lines; nothing for PORT" {
	local shell hosts
	hosts=$(printf '%s\n' 10.9.8.7 bastion.corp build-box db.internal gw.lab)
	for shell in bash zsh fish; do
		run -0 offers "$shell" "egress -v "
		assert_output "$hosts"
		run -0 offers "$shell" "egress -x http://p:3128 gw.lab "
		assert_output ''
	done
}
