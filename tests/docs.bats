#!/usr/bin/env bats
# The documentation matches the binary: every option that --help prints is in the man
# page, the bash completion and the README; the man page documents no option that
# --help lacks; the man page's EXIT STATUS lists every exit code.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	EGRESS=${EGRESS:-$ROOT/build/src/egress}
	MAN=$ROOT/man/egress.1.scd
	COMPLETION=$ROOT/completions/egress.bash
	README=$ROOT/README.md
	[[ -x $EGRESS ]] || fail "no egress binary at $EGRESS (build first, or set EGRESS)"
	# The example's https:// proxy would take its CA from these, and a machine without
	# ca-certificates may name a file that is not there: not what is tested here.
	unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
}

# Long options (--name) in the text on stdin, one a line, sorted.
long_options() {
	grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# Short options of --help ("-x," before its long name), one a line, sorted.
short_options() {
	"$EGRESS" --help | grep -oE -- '(^|[[:space:]])-[A-Za-z0-9], --' |
		grep -oE -- '-[A-Za-z0-9]' | sort -u
}

# Print the options of stdin (one a line) that do not appear in FILE as a whole word.
missing_in() {
	local file=$1 opt
	while read -r opt; do
		grep -qE -- "(^|[^A-Za-z0-9-])${opt}([^A-Za-z0-9-]|$)" "$file" || echo "$opt"
	done
}

# The words the completion offers for "egress -".
completion_offers() {
	bash -c '
		source "$1"
		COMP_LINE="egress -"; COMP_POINT=${#COMP_LINE}
		COMP_WORDS=(egress -); COMP_CWORD=1
		_egress
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION"
}

@test "--help prints the long options on stdout" {
	run "$EGRESS" --help
	assert_success
	assert_output --partial --proxy
	[[ $("$EGRESS" --help | long_options | wc -l) -ge 10 ]]
}

@test "--help is one screen: 23 lines at most, 79 columns, pointing at the man page" {
	run -0 "$EGRESS" --help
	((${#lines[@]} <= 23)) || fail "--help has ${#lines[@]} lines"
	# shellcheck disable=SC2016 # awk's $0
	run -0 awk 'length > 79 { print NR ": " $0 }' <<<"$output"
	assert_output ""
	run -0 "$EGRESS" --help
	assert_line --regexp 'man egress$'
}

@test "every long option of --help is in the man page" {
	run missing_in "$MAN" < <("$EGRESS" --help | long_options)
	assert_success
	assert_output ""
}

@test "every short option of --help is in the man page" {
	run missing_in "$MAN" < <(short_options)
	assert_success
	assert_output ""
}

# The man page's text, without the lines of its examples that run other programs
# (systemctl --user, curl -x...).
man_about_egress() {
	awk '/^```/ { block = !block; next } !block || /(^|[^a-z-])egress( |$)/' "$MAN"
}

@test "every long option of the man page is in --help" {
	local help
	help=$(mktemp)
	"$EGRESS" --help >"$help"
	run missing_in "$help" < <(man_about_egress | long_options)
	rm -f "$help"
	assert_success
	assert_output ""
}

@test "every long option of --help is in the bash completion" {
	run missing_in "$COMPLETION" < <("$EGRESS" --help | long_options)
	assert_success
	assert_output ""
}

@test "the bash completion offers every option of --help" {
	local offers
	offers=$(mktemp)
	completion_offers >"$offers"
	run missing_in "$offers" < <("$EGRESS" --help | long_options; short_options)
	rm -f "$offers"
	assert_success
	assert_output ""
}

@test "the bash completion completes file names after --config" {
	local dir
	dir=$(mktemp -d)
	touch "$dir/corp.conf" "$dir/other"
	run bash -c '
		source "$1"
		COMP_LINE="egress --config $2/co"; COMP_POINT=${#COMP_LINE}
		COMP_WORDS=(egress --config "$2/co"); COMP_CWORD=2
		_egress
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$dir"
	rm -rf "$dir"
	assert_success
	assert_output "$dir/corp.conf"
}

@test "the bash completion offers auto and file names after --pac" {
	local dir
	dir=$(mktemp -d)
	touch "$dir/au.pac"
	run bash -c '
		source "$1"; cd "$2"
		COMP_LINE="egress --pac au"; COMP_POINT=${#COMP_LINE}
		COMP_WORDS=(egress --pac au); COMP_CWORD=2
		_egress
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$dir"
	rm -rf "$dir"
	assert_success
	assert_output "auto
au.pac"
}

@test "the man page's config file example is one egress reads" {
	local example
	example=$(mktemp)
	awk '/^# FILES/ { f = 1 } f && /^```/ { n++; next } f && n == 1' "$MAN" >"$example"
	grep -q '^host \*\.lab !gw\.lab$' "$example" || fail "no example found: $(cat "$example")"
	run "$EGRESS" --explain --config "$example" db.lab 22
	assert_success
	assert_line "section $example:2 applies: host *.lab !gw.lab"
	assert_line "way 1: socks5h://gw.lab:1080 (from $example:3)"
	run "$EGRESS" --explain --config "$example" gw.lab 22
	assert_line "way 1: http://proxy.example.com:3128 (from $example:10)"
	assert_line "  user alice (from $example:11), no password given: netrc, EGRESS_ASKPASS or the terminal if the proxy asks"
	run "$EGRESS" --explain --config "$example" wiki.intranet.example.com 22
	assert_line "way 1: direct ($example:5 says direct)"
	run "$EGRESS" --explain --config "$example" db.prod.example.com 22
	assert_line "way 1: https://secure-proxy.example.com:443 (from $example:7)"
	rm -f "$example"
}

@test "every long option of --help is in README.md" {
	run missing_in "$README" < <("$EGRESS" --help | long_options)
	assert_success
	assert_output ""
}

@test "the man page's EXIT STATUS lists every exit code 0-7" {
	local section n missing=""
	section=$(awk '/^# EXIT STATUS/ { in_section = 1; next } /^# / { in_section = 0 } in_section' "$MAN")
	[[ -n $section ]] || fail "no EXIT STATUS section in $MAN"
	for n in 0 1 2 3 4 5 6 7; do
		grep -qE "^[|[]. +\*?${n}\*? *$" <<<"$section" || missing+="$n "
	done
	assert_equal "$missing" ""
}

@test "the man page renders with scdoc, with every section" {
	command -v scdoc >/dev/null || skip "scdoc not installed"
	local roff section missing=""
	roff=$(scdoc <"$MAN") || fail "scdoc failed on $MAN"
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT FILES "STDIN EOF" \
		"EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "\.SH $section" <<<"$roff" || missing+="$section; "
	done
	assert_equal "$missing" ""
}
