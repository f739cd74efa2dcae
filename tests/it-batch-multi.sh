#!/bin/bash
# it-batch-multi.sh: three downloads at once in one leecher (get returns
# at once), and a second leecher that starts while the first still
# downloads.  Uses a standalone tracker when the build has one, else the
# embedded tracker.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init batch-multi

if have_tracker; then
	tracker_start t1
	TRK=${TRACKER_ADDR[t1]}
	peer_start seed -t "$TRK"
else
	peer_start seed --embedded-tracker=127.0.0.1:0
	TRK=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
fi
for f in a b c; do
	make_file "$T/$f.bin" 24
	must seed "share $T/$f.bin $f.mtorrent" 60
done

peer_start leech -t "$TRK"
for f in a b c; do
	must leech "get $T/seed/$f.mtorrent $T/leech/"
done
# All three are listed before any of them finished waiting.
must leech "show downloads"
[ "$(peer_data leech | grep -c '^\[[DS]\] [abc]\.bin ')" -eq 3 ] ||
    fail "show downloads: $(peer_data leech)"
peer_start late -t "$TRK"
must late "get $T/seed/a.mtorrent $T/late/a.bin"
must leech "wait 180" 190
[ "$LAST" = "ok wait done=3 failed=0" ] || fail "leech wait: $LAST"
must late "wait 180" 190
[ "$LAST" = "ok wait done=1 failed=0" ] || fail "late wait: $LAST"
for f in a b c; do
	cmp "$T/$f.bin" "$T/leech/$f.bin" || fail "$f.bin differs"
done
cmp "$T/a.bin" "$T/late/a.bin" || fail "late a.bin differs"

# remove: the .mtorrent goes, the data stays, the line goes.
must leech "remove $T/seed/c.mtorrent"
must leech "show downloads"
[ "$(peer_data leech | grep -c '^\[[DS]\] ')" -eq 2 ] ||
    fail "after remove: $(peer_data leech)"
[ -f "$T/leech/c.bin" ] || fail "remove deleted the data"
for p in late leech seed; do
	peer_stop "$p"
done
it_done
