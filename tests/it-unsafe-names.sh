#!/bin/bash
# it-unsafe-names.sh: hostile .mtorrent files (unsafe names, absurd
# numbers, bad hex) are refused by `mtorrent info` and by `get` in batch
# mode with the documented error code, and nothing is ever written outside
# the destination.  A symlink planted in the destination directory must
# not be followed by a download.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init unsafe-names

W=$T/w			# everything the peer may touch is under here
DEST=$W/d1/dest
OUT=$T/outside		# must stay exactly as it is
mkdir -p "$DEST" "$OUT" "$T/bad"
echo "precious" >"$OUT/target"
cp "$OUT/target" "$T/target.orig"

make_file "$T/data.bin" 2
"$MTORRENT" create "$T/data.bin" -o "$T/good.mtorrent" -t 127.0.0.1:9 \
    >/dev/null || fail "create"
GOOD=$T/good.mtorrent
PIECES=$(sed -n 's/^pieces //p' "$GOOD")

# mk NAME FIELD VALUE: a copy of the good file with FIELD's value replaced
# (VALUE may hold any byte but NUL and newline: printf %b escapes).
mk() {
	local f=$T/bad/$1 key=$2 val
	val=$(printf '%b' "$3")
	KEY=$key VAL=$val awk 'BEGIN { key = ENVIRON["KEY"]; val = ENVIRON["VAL"] }
	    $1 == key { print key " " val; next } { print }' "$GOOD" >"$f"
}
# mkgroup NAME VALUE: the good file with a group line added.
mkgroup() {
	local val
	val=$(printf '%b' "$2")
	VAL=$val awk '{ print } /^pieces/ { print "group " ENVIRON["VAL"] }' \
	    "$GOOD" >"$T/bad/$1"
}
# mkraw NAME TEXT: the whole file (printf %b escapes).
mkraw() {
	printf '%b' "$2" >"$T/bad/$1"
}

declare -A WANT
case_() { WANT[$1]=$2; }

long=$(printf 'a%.0s' $(seq 1 256))
mk name-dotdot-x name '../x';			case_ name-dotdot-x bad-name
mk name-abs name "$OUT/abs-x";			case_ name-abs bad-name
mk name-etc name '/etc/x';			case_ name-etc bad-name
mk name-a-dotdot name 'a/../../x';		case_ name-a-dotdot bad-name
mk name-dotdot name '..';			case_ name-dotdot bad-name
mk name-dot name '.';				case_ name-dot bad-name
mk name-ctrl name 'a\001b';			case_ name-ctrl bad-name
mk name-esc name '\033[2Jx';			case_ name-esc bad-name
mk name-del name 'a\177';			case_ name-del bad-name
mk name-c1 name 'a\302\205b';			case_ name-c1 bad-name
mk name-overlong-utf8 name 'a\300\257x';	case_ name-overlong-utf8 bad-name
mk name-bad-utf8 name 'a\377x';			case_ name-bad-utf8 bad-name
mk name-256 name "$long";			case_ name-256 bad-name
mk name-backslash-dotdot name '..\\x'
mkgroup group-dotdot '../g'
mkgroup group-ctrl 'g\001'
mk size-2p63m1 size 9223372036854775807;	case_ size-2p63m1 too-big
mk size-2p63 size 9223372036854775808;		case_ size-2p63 too-big
mk size-2p64 size 18446744073709551616;		case_ size-2p64 too-big
mk size-huge size 99999999999999999999999999;	case_ size-huge too-big
mk size-negative size -1;			case_ size-negative bad-value
mk size-minus-zero size -0;			case_ size-minus-zero bad-value
mk size-leading-zero size 02097152;		case_ size-leading-zero bad-value
mk size-plus size +2097152;			case_ size-plus bad-value
mk size-text size two;				case_ size-text bad-value
mk size-zero size 0;				case_ size-zero mismatch
mk size-bigger size 2621440;			case_ size-bigger mismatch
mk size-smaller size 524288;			case_ size-smaller mismatch
mk psize-zero piece-size 0;			case_ psize-zero bad-value
mk psize-negative piece-size -524288;		case_ psize-negative bad-value
mk psize-not-pow2 piece-size 500000;		case_ psize-not-pow2 bad-value
mk psize-small piece-size 1;			case_ psize-small bad-value
mk psize-2p32 piece-size 4294967296;		case_ psize-2p32 bad-value
mk pieces-one-less pieces "${PIECES:40}";	case_ pieces-one-less mismatch
mk pieces-one-more pieces "${PIECES}${PIECES:0:40}"
case_ pieces-one-more mismatch
mk hex-short pieces "${PIECES:1}";		case_ hex-short bad-hex
mk hex-long pieces "${PIECES}a";		case_ hex-long bad-hex
mk hex-upper pieces "$(echo "$PIECES" | tr a-f A-F)"
case_ hex-upper bad-hex
mk hex-nonhex pieces "g${PIECES:1}";		case_ hex-nonhex bad-hex
mk version-2 mtorrent-version 2;		case_ version-2 bad-value
mkraw empty ''
mkraw no-newline 'mtorrent-version 1'
mkraw garbage '\377\376\000\001garbage\n'
case_ group-dotdot bad-name
case_ group-ctrl bad-name
case_ name-backslash-dotdot ok	# a backslash is an ordinary byte

# 1. `mtorrent info` refuses each (exit 1, a message naming the file).
n=0
for f in "$T"/bad/*; do
	c=${f##*/}
	if [ "${WANT[$c]}" = ok ]; then
		"$MTORRENT" info "$f" >/dev/null 2>"$T/info.err" ||
		    fail "info refused the safe $c: $(cat "$T/info.err")"
		continue
	fi
	if "$MTORRENT" info "$f" >"$T/info.out" 2>"$T/info.err"; then
		fail "info accepted $c"
	fi
	grep -q "$c" "$T/info.err" || fail "info $c: no file name in error"
	grep -q '^name:' "$T/info.out" && fail "info $c printed fields"
	n=$((n + 1))
done
note "info refused $n files"

# 2. `get` in batch refuses each with the documented code.
peer_start p
for f in "$T"/bad/*; do
	c=${f##*/}
	want=${WANT[$c]}
	[ "$want" = ok ] && continue
	peer_cmd p "get $f $DEST"
	if [ -n "$want" ]; then
		case $LAST in
		"error $want: "*) ;;
		*) fail "get $c -> '$LAST', wanted error $want" ;;
		esac
	else
		case $LAST in
		error\ *) ;;
		*) fail "get $c -> '$LAST', wanted an error" ;;
		esac
	fi
done
must p "show downloads"
[ "$LAST" = "ok show_downloads count=0" ] ||
    fail "a refused .mtorrent became a download: $LAST"
# An unsafe DEST name given on the command line is the user's own
# choice; a name from the metadata never is.
peer_stop p

# 3. Nothing was written outside the destination (and nothing in it).
extra=$(find "$W" -mindepth 1 ! -path "$W/d1" ! -path "$DEST" -print)
[ -z "$extra" ] || fail "written outside the destination: $extra"
[ -z "$(ls -A "$DEST")" ] || fail "written into DEST: $(ls -A "$DEST")"
[ ! -e "$OUT/abs-x" ] || fail "absolute name was written"
[ "$(ls -A "$OUT")" = target ] || fail "outside dir changed: $(ls -A "$OUT")"

# 4. A symlink planted in the destination is not followed.
peer_start seed --embedded-tracker=127.0.0.1:0
TRK=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
must seed "share $T/data.bin data.mtorrent" 60
for planted in data.bin .data.bin.mtorrent-part; do
	D2=$W/sym-${planted#.}
	mkdir -p "$D2"
	ln -s "$OUT/target" "$D2/$planted"
	peer_start "l-${planted#.}" -t "$TRK"
	p=l-${planted#.}
	peer_cmd "$p" "get $T/seed/data.mtorrent $D2"
	note "symlink $planted: get -> $LAST"
	if [ "${LAST#ok }" != "$LAST" ]; then
		peer_cmd "$p" "wait 30" 40
		note "symlink $planted: wait -> $LAST"
	fi
	cmp -s "$OUT/target" "$T/target.orig" ||
	    fail "the download wrote through the planted symlink $planted"
	[ -L "$D2/$planted" ] || note "symlink $planted was replaced"
	peer_stop "$p"
done
[ "$(ls -A "$OUT")" = target ] || fail "outside dir changed: $(ls -A "$OUT")"
peer_stop seed
it_done
