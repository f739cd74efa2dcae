#!/bin/bash
# it-capture.sh: a capture of the loopback traffic while a user is
# created and logs in must not contain the password (tracker connections
# are TLS).  As a control, the same capture must contain the plain bytes
# of a file sent peer to peer, so the capture demonstrably worked.  Needs
# root and tcpdump; skipped (77) otherwise.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init capture

[ "$(id -u)" -eq 0 ] || skip "not root (capturing needs it)"
command -v tcpdump >/dev/null 2>&1 || skip "tcpdump is not installed"

PW="Pw-$RANDOM-$RANDOM-correct-horse"
MARK="MARK-$RANDOM-$RANDOM-plain-peer-bytes"

tracker_start trk
peer_start a -t "${TRACKER_ADDR[trk]}"
peer_start b -t "${TRACKER_ADDR[trk]}"
# The mark throughout the file: a capture that drops a few packets on a
# loaded machine still holds it.
for i in $(seq 1 100); do
	printf '%s\n' "$MARK"
	head -c 1000 /dev/urandom
done >"$T/m.bin"

tcpdump -i lo -U -B 8192 -s 0 -w "$T/cap.pcap" tcp >"$T/tcpdump.log" 2>&1 &
DUMP=$!
n=0
while [ $n -lt 50 ] && ! grep -q "listening on" "$T/tcpdump.log"; do
	sleep 0.1
	n=$((n + 1))
done
grep -q "listening on" "$T/tcpdump.log" ||
    { kill "$DUMP"; fail "tcpdump did not start: $(cat "$T/tcpdump.log")"; }

must a "create_user alice $PW"
must a "login alice $PW"
must b "login alice $PW"
must a "share $T/m.bin m.mtorrent" 60
mkdir -p "$T/dl"
must b "get $T/a/m.mtorrent $T/dl/"
must b "wait 30" 40
cmp "$T/m.bin" "$T/dl/m.bin" || fail "copy differs"
# tcpdump writes each packet as it reads it (-U), but on a loaded
# machine it reads late: give it up to 10 s to write the whole piece
# (the file alone is over 100 000 bytes).
n=0
while [ $n -lt 100 ] && { ! grep -aq -- "$MARK" "$T/cap.pcap" ||
    [ "$(stat -c %s "$T/cap.pcap")" -le 100000 ]; }; do
	sleep 0.1
	n=$((n + 1))
done
sleep 0.5
kill "$DUMP"
wait "$DUMP" 2>/dev/null

size=$(stat -c %s "$T/cap.pcap")
[ "$size" -gt 100000 ] || fail "capture too small ($size bytes)"
grep -aq -- "$MARK" "$T/cap.pcap" ||
    fail "control failed: plain peer bytes not in the capture"
if grep -aq -- "$PW" "$T/cap.pcap"; then
	fail "the password crossed loopback in clear"
fi
for f in "$T"/*/out "$T"/*/err "$T"/*/log; do
	[ -f "$f" ] || continue
	if grep -q -- "$PW" "$f"; then
		fail "the password is in ${f#$T/}"
	fi
done
note "capture of $size bytes: peer bytes seen, password not"
peer_stop a
peer_stop b
it_done
