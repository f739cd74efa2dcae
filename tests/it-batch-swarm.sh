#!/bin/bash
# it-batch-swarm.sh: two replicated trackers, four seeders, one leecher.
# Tracker 1 is killed before `get`: the download goes through tracker 2.
# One seeder is killed (kill -9) while the transfer runs: the others
# finish it.  The result is byte-identical.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init batch-swarm
have_tracker || skip "mtorrent --tracker is not available in this build"

TRACKER_PORT[t2]=$(pick_port) || fail "no port"
tracker_start t1 "127.0.0.1:${TRACKER_PORT[t2]}"
tracker_start t2 "${TRACKER_ADDR[t1]}"
T1=${TRACKER_ADDR[t1]}
T2=${TRACKER_ADDR[t2]}
note "trackers $T1 $T2"

make_file "$T/data.bin" 192
ids=
for s in s1 s2 s3 s4; do
	mkdir -p "$T/$s"
	cp "$T/data.bin" "$T/$s/data.bin"
	peer_start "$s" -t "$T1" -t "$T2"
	must "$s" "share $T/$s/data.bin data.mtorrent" 120
	ids="$ids ${LAST##*id=}"
done
[ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" -eq 1 ] ||
    fail "the seeders disagree on the file id: $ids"

# Give replication a moment to carry the seeders to tracker 2, then
# take tracker 1 away.
n=0
while [ $n -lt 50 ] && ! grep -q 'sync\|replicat' "$T/t2/log" 2>/dev/null
do
	sleep 0.1
	n=$((n + 1))
done
sleep 1
tracker_kill9 t1

peer_start leech -t "$T1" -t "$T2"
must leech "get $T/s1/data.mtorrent $T/leech/data.bin"
# Kill one seeder while the transfer runs: once some pieces are in.
have=0
n=0
while [ $n -lt 400 ]; do
	show_line leech data.bin
	[[ $SHOW =~ ^\[S\] ]] && break
	if [[ $SHOW =~ ^\[D\]\ data\.bin\ [0-9]+%\ ([0-9]+)/ ]]; then
		have=${BASH_REMATCH[1]}
		[ "$have" -gt 0 ] && break
	fi
	sleep 0.02
	n=$((n + 1))
done
peer_kill9 s4
note "seeder s4 killed with the leecher at: $SHOW"
must leech "wait 180" 190
[ "$LAST" = "ok wait done=1 failed=0" ] || fail "wait: $LAST"
cmp "$T/data.bin" "$T/leech/data.bin" || fail "data differs"
show_line leech data.bin
line=$SHOW
note "leecher: $line"
[[ $line =~ ^\[S\]\ data\.bin\ 100% ]] || fail "leecher line: $line"

for s in s1 s2 s3 leech; do
	peer_stop "$s"
done
it_done
