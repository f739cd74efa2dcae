#!/bin/bash
# it-tracker-crash.sh: kill -9 a tracker in the middle of a burst of
# writes, restart it: every write it acknowledged is there.  Three rounds.
. "${top_srcdir:-.}/tests/it-tracker-lib.sh"
it_init tracker-crash

trk_start a
for round in 1 2 3; do
	"$CLIENT" -k "$T/known" -w 100000 -p "r$round" "${ADDR[a]}" \
	    >"$T/acked$round" 2>/dev/null &
	wpid=$!
	wait_for 10 eval '[ $(grep -c ^acked "$T/acked$round") -ge 50 ]' ||
	    fail "round $round: writes not acknowledged"
	sleep 0.$((RANDOM % 5))
	trk_kill9 a
	wait $wpid
	n=$(grep -c ^acked "$T/acked$round")
	trk_start a
	OUT=$("$CLIENT" -k "$T/known" -V "$T/acked$round" "${ADDR[a]}")
	[ $? -eq 0 ] || fail "round $round: acknowledged writes lost"
	check_out "^verified $n\$"
	note "round $round: $n acknowledged writes survived kill -9"
done
trk_stop a
exit 0
