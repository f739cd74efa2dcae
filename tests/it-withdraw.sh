#!/bin/bash
# it-withdraw.sh: a requester withdraws what another peer delivers.  A
# leecher takes as a source an uploader (tests/hostile-peer withhold)
# that shows every piece and never sends one, and asks it for some.
# Once a real seeder appears, the leecher gets the rest from it and the
# held pieces as endgame duplicates; as each duplicate begins to arrive,
# or as the faster seeder takes the piece over, the leecher withdraws
# its request from the withholder (`piece_cancel`, doc/protocol.md).
# The withholder must see a cancel, only for pieces it was asked, and
# the download must complete byte for byte.  (With both withdrawals
# switched off in transfer.c this fails after 60 s.)
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init withdraw

HP=${top_builddir:-.}/tests/hostile-peer
[ -x "$HP" ] || skip "no $HP"
have_tracker || skip "no tracker role in this build"

tracker_start trk
TRK=${TRACKER_ADDR[trk]}
make_file "$T/data.bin" 4
"$MTORRENT" create -q -t "$TRK" -o "$T/data.mtorrent" "$T/data.bin" ||
    fail "create failed"
FID=$("$MTORRENT" info "$T/data.mtorrent" | sed -n 's/^file id: *//p')
[ -n "$FID" ] || fail "no file id"

# No seeder yet: the leecher waits, and the withholder subscribes.
peer_start leech -t "$TRK"
must leech "get $T/data.mtorrent $T/leech/data.bin"
"$HP" -w 60 -f "$FID" -p 8 -n 1 withhold "${PEER_LISTEN[leech]}" \
    >"$T/hp.out" 2>&1 &
HPPID=$!
n=0
until grep -q '^asked ' "$T/hp.out"; do
	[ $n -lt 100 ] || fail "the withholder was never asked: $(cat "$T/hp.out")"
	sleep 0.2
	n=$((n + 1))
done
note "withholder: $(grep -c '^asked ' "$T/hp.out") requests held"

# The seeder appears; the leecher must finish, withdrawing from it.
peer_start seed -t "$TRK"
must seed "share $T/data.bin seed.mtorrent" 60
rc=0
wait "$HPPID" || rc=$?
note "$(tail -n 1 "$T/hp.out")"
[ "$rc" -eq 0 ] || fail "withhold: $(cat "$T/hp.out")"
n=0
while [ $n -lt 60 ]; do
	show_line leech data.bin
	[[ $SHOW =~ ^\[S\] ]] && break
	sleep 0.5
	n=$((n + 1))
done
[[ $SHOW =~ ^\[S\] ]] || fail "download did not complete: $SHOW"
cmp "$T/data.bin" "$T/leech/data.bin" || fail "leech data differs"
it_done
