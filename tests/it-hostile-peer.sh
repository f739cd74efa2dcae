#!/bin/bash
# it-hostile-peer.sh: hostile peers (tests/hostile-peer) against a real
# `mtorrent --batch` seeder while an honest leecher downloads.  Each
# hostile connection must be cut within its bound, the seeder's memory
# must stay bounded, bad requests must be refused with the documented
# error, and the honest transfer must complete byte for byte.  Then a
# seeder list poisoned through the tracker (hundreds of closed ports, the
# leecher itself, the tracker, a listener that never answers): the reply
# stays capped, the leecher's connections stay bounded, it downloads.
#
# With HOSTILE_LONG=1 (make check-long) it also checks the idle bound of
# a connection that says nothing (120 s, XFER_UP_IDLE_MS) and probes the
# upload slots with a crowd of idle connections.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init hostile-peer

HP=${top_builddir:-.}/tests/hostile-peer
[ -x "$HP" ] || skip "no $HP"
MC=${top_builddir:-.}/tests/mt-client
# A request must progress within TRANSFER_TIMEOUT_MS (10 s); allow slack
# for a loaded machine or a sanitizer build.
CUT_S=25
RSS_SLACK_KB=$((48 * 1024))

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

make_file "$T/data.bin" 32
peer_start seed --embedded-tracker=127.0.0.1:0
TRK=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
FPR=$(echo "$LAST" | sed -n 's/.*fpr=\([0-9a-f]*\).*/\1/p')
must seed "share $T/data.bin data.mtorrent" 60
FID=$(echo "$LAST" | sed -n 's/.*id=\([0-9a-f]\{40\}\).*/\1/p')
[ -n "$FID" ] || fail "no file id in: $LAST"
NP=64
SEED=${PEER_LISTEN[seed]}
SPID=${PEER_PID[seed]}
rss0=$(rss_kb "$SPID")
fd0=$(ls "/proc/$SPID/fd" | wc -l)
note "seeder $SEED pid $SPID rss ${rss0} kB fds $fd0"

# A request withdrawn while it waits for an upload turn is answered
# `cancelled` (connections that never read hold every turn).  First,
# on the fresh seeder: its last piece was never sent, so a request for
# it always waits (a piece already sent may be refused `busy` when the
# queue is full, as it can be once the attacks below run).
"$HP" -f "$FID" -p $NP -n 64 cancel "$SEED" >"$T/hp-cancel.out" 2>&1 ||
    fail "cancel: $(cat "$T/hp-cancel.out")"

# Connection-level attacks, all at once, in the background.
declare -A HPID
for m in huge trickle half noread; do
	"$HP" -w $CUT_S -f "$FID" -p $NP -n 256 $m "$SEED" \
	    >"$T/hp-$m.out" 2>&1 &
	HPID[$m]=$!
done

# The honest leecher downloads meanwhile.
peer_start leech -t "$TRK"
must leech "get $T/seed/data.mtorrent $T/leech/data.bin"

# Request-level attacks on their own connections.
"$HP" notshared "$SEED" >"$T/hp-notshared.out" 2>&1 ||
    fail "notshared: $(cat "$T/hp-notshared.out")"
"$HP" traversal "$SEED" >"$T/hp-traversal.out" 2>&1 ||
    fail "traversal: $(cat "$T/hp-traversal.out")"
"$HP" -f "$FID" -p $NP badindex "$SEED" >"$T/hp-badindex.out" 2>&1 ||
    fail "badindex: $(cat "$T/hp-badindex.out")"
"$HP" -w 20 -f "$FID" -n 20000 flood "$SEED" >"$T/hp-flood.out" 2>&1 ||
    fail "flood: $(cat "$T/hp-flood.out")"
grep -q 'answered=20000 ' "$T/hp-flood.out" ||
    fail "flood not fully answered: $(cat "$T/hp-flood.out")"
# At most one unrequested have_reply: the one that ends initial seeding.
grep -Eq ' extra=[01] ' "$T/hp-flood.out" ||
    fail "flood: unrequested have_replies: $(cat "$T/hp-flood.out")"
"$HP" -n 400 churn "$SEED" >"$T/hp-churn.out" 2>&1 ||
    fail "churn: $(cat "$T/hp-churn.out")"
for f in notshared traversal badindex cancel flood churn; do
	note "$(tail -n 1 "$T/hp-$f.out")"
done
# No request ever named a path that was served.
grep -q 'got piece_reply\|got have_reply' "$T"/hp-traversal.out &&
    fail "a traversal id was served"

must leech "wait 60" 70
[ "$LAST" = "ok wait done=1 failed=0" ] || fail "honest leecher: $LAST"
cmp "$T/data.bin" "$T/leech/data.bin" || fail "honest download differs"

for m in huge trickle half noread; do
	wait "${HPID[$m]}"
	rc=$?
	note "$m: $(cat "$T/hp-$m.out")"
	[ $rc -eq 0 ] || fail "$m: not cut within $CUT_S s (rc $rc)"
done

kill -0 "$SPID" 2>/dev/null || fail "the seeder died"
rss1=$(rss_kb "$SPID")
note "seeder rss after: ${rss1} kB (before ${rss0} kB)"
[ "$rss1" -le $((rss0 + RSS_SLACK_KB)) ] ||
    fail "seeder RSS grew from $rss0 to $rss1 kB"
# Connections of the attacks are all gone (let upload threads be reaped).
"$HP" -n 1 churn "$SEED" >/dev/null 2>&1
sleep 1
fd1=$(ls "/proc/$SPID/fd" | wc -l)
note "seeder fds after: $fd1 (before $fd0)"
[ "$fd1" -le $((fd0 + 8)) ] || fail "seeder fds grew from $fd0 to $fd1"

# The seeder still serves after all that.
peer_start leech2 -t "$TRK"
must leech2 "get $T/seed/data.mtorrent $T/leech2/data.bin"
must leech2 "wait 60" 70
cmp "$T/data.bin" "$T/leech2/data.bin" || fail "second download differs"

peer_stop leech
peer_stop leech2

# A poisoned seeder list: 400 entries added by an anonymous client (closed
# ports, the leecher itself, the tracker, a listener that never answers)
# next to the one honest seeder.  The reply stays capped, the leecher does
# not run away with connections, and it still downloads.
if [ -x "$MC" ] && [ -n "$FPR" ]; then
	"$HP" -w 60 blackhole 127.0.0.1:0 >"$T/bh.out" 2>&1 &
	bh=$!
	n=0
	while ! grep -q '^listening ' "$T/bh.out" && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	DEAD=$(sed -n 's/^listening //p' "$T/bh.out")
	peer_start leech4 -t "$TRK"
	for i in $(seq 1 400); do
		case $((i % 6)) in
		1) a=$DEAD ;;
		2) a=${PEER_LISTEN[leech4]} ;;
		3) a=$TRK ;;
		*) a=127.0.0.1:$((1 + i)) ;;
		esac
		"$MC" -f "$FPR" "$TRK" seeder_add "" "$FID" "$a" >/dev/null 2>&1
	done
	"$MC" -f "$FPR" "$TRK" seeders "" "$FID" >"$T/list.out" 2>&1 ||
	    fail "seeders: $(cat "$T/list.out")"
	nlist=$(grep -c '^seeders ' "$T/list.out")
	note "poisoned list: $nlist entries in the reply"
	[ "$nlist" -le 200 ] || fail "seeder reply not capped: $nlist"
	must leech4 "get $T/seed/data.mtorrent $T/leech4/data.bin"
	# The tracker rotates a list over its 200-entry cap, and the
	# leecher asks again every 15 s while stalled: allow two rounds.
	peak=0
	n=0
	while [ $n -lt 80 ]; do
		fds=$(ls "/proc/${PEER_PID[leech4]}/fd" | wc -l)
		[ "$fds" -gt "$peak" ] && peak=$fds
		show_line leech4 data.bin
		[[ $SHOW =~ ^\[S\] ]] && break
		sleep 0.5
		n=$((n + 1))
	done
	note "poisoned list: leecher peak fds $peak: ${SHOW%% down=*}"
	[[ $SHOW =~ ^\[S\] ]] || fail "no download with a poisoned list"
	cmp "$T/data.bin" "$T/leech4/data.bin" || fail "leech4 data differs"
	[ "$peak" -le 128 ] || fail "leecher ran away: $peak fds"
	kill "$bh" 2>/dev/null
	wait "$bh" 2>/dev/null
	peer_stop leech4
fi

if [ -n "$HOSTILE_LONG" ]; then
	# Only the seeder has the file from here on.
	# Idle connection: cut by the first-request limit (10 s).
	"$HP" -w 150 silent "$SEED" >"$T/hp-silent.out" 2>&1 ||
	    fail "silent: $(cat "$T/hp-silent.out")"
	note "$(cat "$T/hp-silent.out")"
	# A crowd of idle connections (more than the 16 upload slots)
	# while a third leecher downloads from the only seeder: is it
	# still served?
	"$HP" -w 40 -n 40 hold "$SEED" >"$T/hp-hold.out" 2>&1 &
	hold=$!
	sleep 2
	peer_start leech3 -t "$TRK"
	must leech3 "get $T/seed/data.mtorrent $T/leech3/data.bin"
	if peer_cmd leech3 "wait 30" 40 &&
	    [ "$LAST" = "ok wait done=1 failed=0" ]; then
		note "slots: leecher served while 40 idle connections held"
	else
		note "slots: leecher NOT served while 40 idle connections" \
		    "were held ($LAST)"
		SLOTS_STARVED=1
	fi
	wait $hold
	note "$(cat "$T/hp-hold.out")"
	[ -z "$SLOTS_STARVED" ] ||
	    fail "idle connections starved the upload slots"
fi

peer_stop seed
it_done
