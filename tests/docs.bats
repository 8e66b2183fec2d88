#!/usr/bin/env bats
# The documentation matches the binary: every option that --help prints is in the man
# page, the bash completion and the README; the man page documents no option that
# --help lacks; the man page's EXIT STATUS lists every exit code.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	EGRESS=${EGRESS:-$ROOT/build/src/egress}
	MAN=$ROOT/man/egress.1.scd
	COMPLETION=$ROOT/completions/egress.bash
	README=$ROOT/README.md
	[[ -x $EGRESS ]] || fail "no egress binary at $EGRESS (build first, or set EGRESS)"
}

# Long options (--name) in the text on stdin, one a line, sorted.
long_options() {
	grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u
}

# Short options (-x) that start an option line of --help, one a line, sorted.
short_options() {
	"$EGRESS" --help | grep -oE -- '^[[:space:]]+-[A-Za-z0-9]([,[:space:]]|$)' |
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

@test "every long option of the man page is in --help" {
	local help
	help=$(mktemp)
	"$EGRESS" --help >"$help"
	run missing_in "$help" < <(long_options <"$MAN")
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
	for section in NAME SYNOPSIS DESCRIPTION OPTIONS ENVIRONMENT "STDIN EOF" \
		"EXIT STATUS" EXAMPLES "SEE ALSO"; do
		grep -qx "\.SH $section" <<<"$roff" || missing+="$section; "
	done
	assert_equal "$missing" ""
}
