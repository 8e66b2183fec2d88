# shellcheck shell=bash
# Test data: payload files, hashes, and egress's stdin held open.
# Sourced by common.bash, which every bats file loads.

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
