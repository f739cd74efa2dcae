#!/bin/bash
# it-tracker-replication.sh: two partner trackers started in the
# positional form of the assignment.  share on A, seeders from B; remove
# on B, gone from A; kill -9 A, changes on B, restart A: A catches up by
# itself; both sides take writes while apart and converge; a tracker that
# is not a partner is refused, and so is a partner whose certificate does
# not match the configured fingerprint; clients fail over from a tracker
# that does not answer to the next within 2 s.
. "${top_srcdir:-.}/tests/it-tracker-lib.sh"
it_init tracker-replication

# Positional: LISTEN PARTNER SEEDERLIST_FILE LOG_FILE.
pstart() {
	local n=$1 p=$2 i
	mkdir -p "$T/$n"
	"$MTORRENT" --tracker "${ADDR[$n]}" "${ADDR[$p]}" "$T/$n/seeders.db" \
	    "$T/$n/log" >"$T/$n/out" 2>"$T/$n/err" &
	TPID[$n]=$!
	for i in $(seq 100); do
		grep -q '^listening ' "$T/$n/out" && return 0
		sleep 0.1
	done
	fail "tracker $n did not start"
}

trk_ports a b
pstart a b
pstart b a
[ -f "$T/a/seeders.db.key" ] || fail "no key beside the seeder list file"

mkfile one 2
F1=$FID
req a share "" "$F1" one.bin 2000 1024 "$PIECES" "" 127.0.0.1:6001 0 "" ||
    fail "share on a"
wait_for 10 seeders_has b "$F1" 127.0.0.1:6001 || fail "b lacks a's share"
req b seeder_remove "" "$F1" 127.0.0.1:6001 || fail "remove on b"
wait_for 10 seeders_lacks a "$F1" 127.0.0.1:6001 ||
    fail "removal on b not seen on a"

# A is down while B changes; A catches up when it returns.
trk_kill9 a
req b seeder_add "" "$F1" 127.0.0.1:6002 || fail "seeder_add on b"
req b create_user carol pw-carol || fail "create_user on b"
pstart a b
wait_for 10 seeders_has a "$F1" 127.0.0.1:6002 || fail "a did not catch up"
wait_for 10 req a login carol pw-carol || fail "carol unknown on a"

# Both take writes while apart: a alone, then b alone.
trk_kill9 b
mkfile two 2
F2=$FID
req a share "" "$F2" two.bin 2000 1024 "$PIECES" "" 127.0.0.1:6003 0 "" ||
    fail "share on a alone"
req a seeder_remove "" "$F1" 127.0.0.1:6002 || fail "remove on a alone"
trk_kill9 a
pstart b a
mkfile three 2
F3=$FID
req b share "" "$F3" three.bin 2000 1024 "$PIECES" "" 127.0.0.1:6004 0 "" ||
    fail "share on b alone"
req b seeder_add "" "$F1" 127.0.0.1:6005 || fail "seeder_add on b alone"
pstart a b
for n in a b; do
	wait_for 10 seeders_has $n "$F2" 127.0.0.1:6003 || fail "$n lacks F2"
	wait_for 10 seeders_has $n "$F3" 127.0.0.1:6004 || fail "$n lacks F3"
	wait_for 10 seeders_has $n "$F1" 127.0.0.1:6005 ||
	    fail "$n lacks F1 6005"
	wait_for 10 seeders_lacks $n "$F1" 127.0.0.1:6002 ||
	    fail "$n still lists F1 6002"
done

# Failover: a stops answering (SIGSTOP); a client listing a then b gets
# its answer from b within about 2 s.
kill -STOP "${TPID[a]}"
t0=$(date +%s%N)
OUT=$("$CLIENT" -k "$T/known" -a "${ADDR[b]}" "${ADDR[a]}" seeders "" "$F3")
rc=$?
t1=$(date +%s%N)
kill -CONT "${TPID[a]}"
[ $rc -eq 0 ] || fail "no failover"
check_out '^seeders 127.0.0.1:6004$'
ms=$(( (t1 - t0) / 1000000 ))
note "failover answered in $ms ms"
[ $ms -lt 4000 ] || fail "failover took $ms ms"

# A tracker that is not a partner of a is refused (its link and a raw
# tracker hello with its certificate).
trk_start c --partner "${ADDR[a]}"
wait_for 10 grep -q 'refused the link' "$T/c/log" ||
    fail "c's link to a was not refused"
grep -q 'refused sync link' "$T/a/log" || fail "a did not log the refusal"
OUT=$("$CLIENT" -c "$T/c/state/tracker.key" "$T/c/state/tracker.crt" \
    -r tracker-hello "${ADDR[a]}")
check_out '^error denied '
check_out '^closed after '

# A partner configured with the wrong fingerprint is refused.
trk_ports d
trk_start d --partner "${ADDR[b]}" --partner-fingerprint \
    "SHA256:$(printf '%064d' 7)"
wait_for 10 grep -q 'does not match the pinned' "$T/d/log" ||
    fail "d accepted b with the wrong fingerprint"
req a ping || fail "a stopped serving"
req b ping || fail "b stopped serving"
# Clean stops with links up (SIGTERM: exit 0).
for n in d c b a; do
	trk_stop $n
done
exit 0
