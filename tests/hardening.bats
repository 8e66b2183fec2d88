#!/usr/bin/env bats
# The binary is built hardened (meson.build): read back from its ELF headers, dynamic
# section, imports and DWARF, not taken on trust from the build flags.

load helpers/common

setup() {
	[[ -x $EGRESS ]] || fail "no egress binary at $EGRESS (build first, or set EGRESS)"
}

@test "position-independent executable" {
	run -0 readelf -hW "$EGRESS"
	assert_line --regexp '^ +Type: +DYN '
	run -0 readelf -dW "$EGRESS"
	assert_line --regexp '\(FLAGS_1\) +Flags:.* PIE'
}

@test "full RELRO: a read-only segment after relocation, and every symbol bound at start" {
	run -0 readelf -lW "$EGRESS"
	assert_line --regexp '^ +GNU_RELRO '
	run -0 readelf -dW "$EGRESS"
	assert_line --regexp '\(FLAGS\) +BIND_NOW|\(FLAGS_1\) +Flags:.* NOW'
	refute_line --partial '(TEXTREL)'
}

@test "the stack is not executable" {
	run -0 readelf -lW "$EGRESS"
	assert_line --regexp '^ +GNU_STACK( +0x[0-9a-f]+){5} RW +0x'
}

@test "every source file of egress compiled with stack canaries, stack-clash probes and CET" {
	local sources units flags name missing=() weak=()
	sources=$(cd "$BATS_TEST_DIRNAME/../src" && ls -- *.c)
	# One compile-unit DIE per object: its producer (the compiler's switches) comes
	# before its name.
	units=$(readelf --debug-dump=info --dwarf-depth=1 "$EGRESS" 2>/dev/null |
		sed -nE 's/.*DW_AT_producer +:( \([^)]*\):)? (.*)$/P \2/p; s/.*DW_AT_name +:( \([^)]*\):)? (.*)$/N \2/p')
	# Every build this suite runs on has -g (meson's debugoptimized, Debian's flags);
	# without it there is nothing to read the switches from.
	[[ -n $units ]] || fail "no debug information in $EGRESS: build with -g to check it"
	while read -r name; do
		flags=$(awk -v want="$name" '
			$1 == "P" { sub(/^P /, ""); producer = $0; next }
			$1 == "N" { n = $2; sub(/.*\//, "", n); if (n == want) { print producer; exit } }' <<<"$units")
		if [[ -z $flags ]]; then
			missing+=("$name")
		elif [[ " $flags " != *" -fstack-protector-strong "* ||
			" $flags " != *" -fstack-clash-protection "* ||
			" $flags " != *" -fcf-protection=full "* ]]; then
			weak+=("$name: $flags")
		fi
	done <<<"$sources"
	((${#missing[@]} == 0)) || fail "not in the binary's debug information: ${missing[*]}"
	((${#weak[@]} == 0)) || fail "$(printf 'compiled without hardening: %s\n' "${weak[@]}")"
}

@test "libc calls fortified (_FORTIFY_SOURCE): checked copies and reads, no plain printf family" {
	run -0 nm -D --undefined-only "$EGRESS"
	if [[ ${EGRESS_FORTIFY:-true} != true ]]; then
		# meson.build leaves it off only where the sanitizers check bounds
		# themselves (and at -O0, which scripts/test never builds): say so.
		assert_line --regexp ' U __(asan|ubsan)_'
		return
	fi
	# With _FORTIFY_SOURCE > 1, glibc turns every printf-family call into its
	# checking variant, whatever is known of the buffers; an unhardened egress
	# imports fprintf and asprintf from its own objects.
	refute_line --regexp ' U (printf|fprintf|vfprintf|dprintf|vdprintf|asprintf|vasprintf)(@|$)'
	# Calls whose buffer size the compiler sees become the checking variants.
	assert_line --regexp ' U __snprintf_chk(@|$)'
	assert_line --regexp ' U __memcpy_chk(@|$)'
	assert_line --regexp ' U __read_chk(@|$)'
	assert_line --regexp ' U __stack_chk_fail(@|$)'
}
