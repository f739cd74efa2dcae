#!/bin/sh
# it-create.sh: `mtorrent create` and `mtorrent info` as a user runs them.
#
# The piece digests of a multi-piece file must equal what split(1) and
# sha1sum(1) give for its 512 KiB pieces, the whole-file sha1 what
# sha1sum gives, and the file id the SHA1 of the raw digests.  Also: the
# boundary sizes, the no-clobber rule, exit statuses and line-numbered
# errors.  Needs MTORRENT (the built binary); cleans up its directory.
# shellcheck disable=SC2086 # $T holds two options, split on purpose
set -u

MTORRENT=${MTORRENT:-$(dirname "$0")/../src/mtorrent}
LC_ALL=C
export LC_ALL

tmp=$(mktemp -d "${TMPDIR:-/tmp}/it-create.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp" || exit 1

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "ok: $1"
}
not_ok() {
	fail=$((fail + 1))
	echo "FAIL: $1"
}
check() {	# check DESCRIPTION COMMAND...
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
field() {	# field FILE.mtorrent KEY: the value of a line of the file
	sed -n "s/^$2 //p" "$1"
}
info_field() {	# info_field FILE.mtorrent LABEL: a value from mtorrent info
	"$MTORRENT" info "$1" | sed -n "s/^$2: *//p"
}
status() {	# status WANT COMMAND...: exit status is WANT
	want=$1
	shift
	"$@" >out.txt 2>err.txt
	got=$?
	[ "$got" -eq "$want" ] || { echo "  exit $got, want $want"; cat err.txt; return 1; }
}

T="-t 127.0.0.1:6880 -t 127.0.0.1:6881"

# A multi-piece file with a short last piece, against split | sha1sum.
head -c $((5 * 524288 + 4321)) /dev/urandom >multi.bin
check "create multi-piece" status 0 "$MTORRENT" create $T --sha1 multi.bin
split -b 524288 multi.bin piece.
want=$(for p in piece.*; do sha1sum <"$p" | cut -c1-40; done | tr -d '\n')
check "piece digests = split -b 524288 | sha1sum" \
    test "$(field multi.bin.mtorrent pieces)" = "$want"
check "6 pieces" test "$(info_field multi.bin.mtorrent pieces)" = 6
check "whole-file sha1 = sha1sum" test "$(field multi.bin.mtorrent sha1)" = \
    "$(sha1sum <multi.bin | cut -c1-40)"
id=$(perl -e 'print pack("H*", $ARGV[0])' "$want" | sha1sum | cut -c1-40)
check "file id = sha1 of raw digests" \
    test "$(info_field multi.bin.mtorrent 'file id')" = "$id"
check "size in bytes" sh -c "'$MTORRENT' info multi.bin.mtorrent |
    grep -q '^size: .*($((5 * 524288 + 4321)) bytes)'"
check "trackers in order" sh -c "'$MTORRENT' info multi.bin.mtorrent |
    sed -n 's/^tracker: *//p' | tr '\n' ' ' |
    grep -qx '127.0.0.1:6880 127.0.0.1:6881 '"

# Boundary sizes: piece counts.
: >empty.bin
head -c 1 /dev/urandom >one.bin
head -c 524288 /dev/urandom >exact.bin
head -c 524289 /dev/urandom >plus1.bin
for f in empty:0 one:1 exact:1 plus1:2; do
	name=${f%:*}
	n=${f#*:}
	check "create $name.bin" status 0 "$MTORRENT" create -q $T "$name.bin"
	check "$name.bin has $n pieces" \
	    test "$(info_field "$name.bin.mtorrent" pieces)" = "$n"
done
check "empty file: no digests" test "$(sed -n '/^pieces/p' empty.bin.mtorrent)" = pieces
check "one.bin digest = sha1sum" test "$(field one.bin.mtorrent pieces)" = \
    "$(sha1sum <one.bin | cut -c1-40)"

# -o, no clobber, -f, identical re-run.
check "-o OUT" status 0 "$MTORRENT" create $T -o out.mtorrent one.bin
check "same content again is fine" status 0 "$MTORRENT" create $T -o out.mtorrent one.bin
check "different content refused" status 1 "$MTORRENT" create -t 127.0.0.1:7000 -o out.mtorrent one.bin
check "...and the file is untouched" test "$(field out.mtorrent tracker | head -1)" = 127.0.0.1:6880
check "-f replaces" status 0 "$MTORRENT" create -f -t 127.0.0.1:7000 -o out.mtorrent one.bin
check "...with the new tracker" test "$(field out.mtorrent tracker)" = 127.0.0.1:7000
check "no temporary files left" test -z "$(find . -name '*tmp*')"
check "group and fingerprint" status 0 "$MTORRENT" create -q -g team \
    -t "[::1]:6880#$(printf '%064d' 0 | tr 0 a)" -o g.mtorrent one.bin
check "...shown by info" sh -c "'$MTORRENT' info g.mtorrent | grep -q '^group: *team$'"

# Usage errors exit 2, failures 1.
check "no tracker: usage" status 2 "$MTORRENT" create one.bin
check "no file: usage" status 2 "$MTORRENT" create $T
check "bad option: usage" status 2 "$MTORRENT" create --bogus $T one.bin
check "bad tracker: usage" status 2 "$MTORRENT" create -t 127.0.0.1:99999 one.bin
check "bad -j: usage" status 2 "$MTORRENT" create -j x $T one.bin
check "missing file: failure" status 1 "$MTORRENT" create $T nosuch.bin
check "directory: failure" status 1 "$MTORRENT" create $T -o d.mtorrent .
check "create --help" status 0 "$MTORRENT" create --help
check "info --help" status 0 "$MTORRENT" info --help
check "info no file: usage" status 2 "$MTORRENT" info

# A file that shrinks while it is hashed: a clean failure (exit 1 and a
# message), never a crash by SIGBUS.  Racy by nature: if hashing wins
# the race the run succeeds, and that is reported, not failed.
truncate -s 4G sparse.bin
"$MTORRENT" create -q $T sparse.bin >out.txt 2>err.txt &
pid=$!
sleep 0.2
truncate -s 1M sparse.bin
wait $pid
rc=$?
case $rc in
0)	echo "skip: shrinking file (hashing finished first)" ;;
1)	check "shrinking file: message" grep -q 'shr\|changed' err.txt ;;
*)	not_ok "shrinking file: exit $rc (want 1)"; cat err.txt ;;
esac
rm -f sparse.bin sparse.bin.mtorrent

# A broken .mtorrent: exit 1, message naming FILE:LINE.
sed 's/^size .*/size 3/' multi.bin.mtorrent >bad.mtorrent
check "bad piece count: failure" status 1 "$MTORRENT" info bad.mtorrent
check "...names line 7" grep -q 'bad.mtorrent:7:' err.txt
printf 'mtorrent-version 1\ntracker 127.0.0.1:1\nname ../etc\n' >bad2.mtorrent
check "unsafe name: failure" status 1 "$MTORRENT" info bad2.mtorrent
check "...names line 3" grep -q 'bad2.mtorrent:3:' err.txt

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
