#!/bin/bash
# bench/tracker/run.sh [BUILDDIR [SECONDS]]: measure `mtorrent --tracker`
# with tracker-bench (seeders only, then 10 % announce), and, if Debian's
# opentracker and wrk are installed, opentracker under `wrk -t2 -c256` on
# a whitelisted info hash, in the same run.  Prints the results.
B=${1:-.}
SECS=${2:-10}
M=$B/src/mtorrent
TB=$B/bench/tracker/tracker-bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tracker-bench.XXXXXX") || exit 1
pids=
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT

port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

p=$(port)
"$M" --tracker --listen 127.0.0.1:$p --state "$tmp/mt" -q \
    >"$tmp/mt.out" 2>"$tmp/mt.err" &
mpid=$!
pids="$pids $mpid"
for i in $(seq 50); do grep -q ^listening "$tmp/mt.out" && break; sleep 0.1; done
echo "== mtorrent tracker, seeders only (64 conns, pipeline 32)"
"$TB" -c 64 -t 1 -p 32 -d "$SECS" -f 1000 -s 10 -a 0 -P $mpid 127.0.0.1:$p
echo "== mtorrent tracker, 10 % announce (64 conns, pipeline 32)"
"$TB" -c 64 -t 1 -p 32 -d "$SECS" -f 1000 -s 1 -a 10 -P $mpid 127.0.0.1:$p
echo "== mtorrent tracker, seeders only, 256 conns, no pipelining"
"$TB" -c 256 -t 1 -p 1 -d "$SECS" -f 1000 -s 1 -a 0 -P $mpid 127.0.0.1:$p
kill $mpid

if command -v opentracker >/dev/null && command -v wrk >/dev/null; then
	q=$(port)
	hash=0123456789abcdef0123456789abcdef01234567
	# opentracker chroots to -d (then reads the whitelist inside it)
	# and refuses to keep root: run it as nobody in a readable dir.
	mkdir -p "$tmp/ot"
	echo $hash >"$tmp/ot/wl"
	chmod 755 "$tmp" "$tmp/ot"
	chmod 644 "$tmp/ot/wl"
	ih=$(echo $hash | sed 's/../%&/g')
	user=$(id -un)
	[ "$user" = root ] && user=nobody
	opentracker -i 127.0.0.1 -p $q -P $q -w /wl -d "$tmp/ot" \
	    -u "$user" >"$tmp/ot.out" 2>&1 &
	opid=$!
	pids="$pids $opid"
	sleep 1
	echo "== opentracker (Debian), wrk -t2 -c256, HTTP announce"
	wrk -t2 -c256 -d"${SECS}s" "http://127.0.0.1:$q/announce?info_hash=$ih&peer_id=-MT0001-000000000000&port=6881&uploaded=0&downloaded=0&left=0&compact=1" |
	    grep -E 'Requests/sec|Latency|requests in|Non-2xx'
	echo "opentracker RSS: $(awk '/VmRSS/{print $2, $3}' /proc/$opid/status)"
	kill $opid
else
	echo "== opentracker or wrk not installed: skipped"
fi
