#!/bin/bash
# bench/swarm/run.sh: the swarm testbed (issue 7).  Builds H hosts as
# network namespaces joined by one bridge (in a namespace of its own),
# caps each host's upload with tc tbf, checks the caps with iperf3, then
# runs one tracker, one seeder and H-2 leechers that all start at the
# same moment and keep seeding until the last one finishes.  Prints the
# last leecher's time, T_min, their ratio and how many copies of the
# file the seeder sent.  Everything it creates (namespaces, veths, the
# bridge, processes, files) is removed at the end, also on failure or
# Ctrl-C.  Run as root.  Addresses 10.77.0.0/16 exist only inside the
# namespaces; the host's own network is never touched.
#
# usage: run.sh [OPTIONS]
#   -H HOSTS    hosts, tracker and seeder included (default 8; >= 3)
#   -u MBIT     leecher upload cap, Mbit/s (default 20)
#   -s MBIT     seeder upload cap, Mbit/s (default 20)
#   -d MBIT     leecher download cap, Mbit/s (default 0: uncapped)
#   -f MIB      file size in MiB (default 64)
#   -c CLIENT   mtorrent | libtorrent (default mtorrent)
#   -m PATH     the mtorrent binary (default: mtorrent in PATH)
#   -o OPTS     extra options for every mtorrent peer (e.g. "-w 16")
#   -t SECONDS  give up after this long (default max(90, 6 * T_min))
#   -r FILE     append the result line to FILE
#   -C          skip the cap check
#   -k          keep the work directory (logs, samples) and print it
#   -v          mtorrent peers log at debug level (-v -v)
#
# The result line (stable, one line):
#   result client=C hosts=H leechers=N up=U seed_up=S down=D size_mib=F
#       time=SECONDS tmin=SECONDS ratio=R seeder_copies=X ok=K/N
#       util=PCT cpu=PCT peer_cpu=PCT
# seeder_copies is the seeder's transmitted bytes (its veth, from the
# leechers' start to the last completion) divided by the file size;
# util is the bytes all hosts sent in that time over what their caps
# allow; cpu is the machine's busy share (all cores, every process on
# the machine) over the same time, peer_cpu the CPU time of the
# processes in the hosts over that time (100 = one core).
set -u

H=8 UP=20 SUP=20 DOWN=0 SIZE=64 CLIENT=mtorrent MT=mtorrent MTOPTS=''
TIMEOUT=0 RESULTS='' CHECK=1 KEEP=0 VERB=0
PORT_TR=6880 PORT_PEER=6881 PORT_OT=6969
usage() { sed -n '/^# usage:/,/^#   -v/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts H:u:s:d:f:c:m:o:t:r:Ckvh o; do
	case $o in
	H) H=$OPTARG ;;
	u) UP=$OPTARG ;;
	s) SUP=$OPTARG ;;
	d) DOWN=$OPTARG ;;
	f) SIZE=$OPTARG ;;
	c) CLIENT=$OPTARG ;;
	m) MT=$OPTARG ;;
	o) MTOPTS=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	r) RESULTS=$OPTARG ;;
	C) CHECK=0 ;;
	k) KEEP=1 ;;
	v) VERB=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage

die() { echo "swarm: $*" >&2; exit 1; }
say() { echo "swarm: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces, tc)"
[[ $H =~ ^[0-9]+$ && $H -ge 3 && $H -le 250 ]] || die "bad -H $H"
for v in "$UP" "$SUP" "$DOWN" "$SIZE" "$TIMEOUT"; do
	[[ $v =~ ^[0-9]+$ ]] || die "bad number $v"
done
[ "$UP" -gt 0 ] && [ "$SUP" -gt 0 ] && [ "$SIZE" -gt 0 ] || die "zero rate"
case $CLIENT in
mtorrent)
	MT=$(command -v "$MT") || die "no mtorrent binary (use -m)"
	MT=$(readlink -f "$MT") ;;
libtorrent)
	LTPY=${LT_PYTHON:-/usr/bin/python3}
	"$LTPY" -c 'import libtorrent' 2>/dev/null ||
	    die "$LTPY has no libtorrent (apt-get install python3-libtorrent)"
	for c in opentracker mktorrent; do
		command -v $c >/dev/null || die "$c not installed"
	done ;;
*) die "bad client $CLIENT" ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
N=$((H - 2))
P=mtsw-$$
BR=$P-br
PIDS=()
NSS=()
FDS=()
W=

cleanup() {
	local p ns fd i
	trap '' INT TERM
	[ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null
	for fd in "${FDS[@]}"; do
		eval "exec $fd>&-" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for i in $(seq 30); do
		p=
		for p in "${PIDS[@]}"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -z "$p" ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	# Anything still inside our namespaces was started by us.
	for ns in "${NSS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${NSS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$W" ]; then
		if [ "$KEEP" = 1 ]; then
			say "kept $W ($(du -sm "$W" | cut -f1) MiB of memory:" \
			    "remove it when done)"
		else
			rm -rf "$W"
		fi
	fi
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'say terminated; exit 143' TERM

ip_of() { echo "10.77.$(($1 / 200)).$(($1 % 200 + 1))"; }
ns_of() { if [ "$1" = br ]; then echo "$BR"; else echo "$P-h$1"; fi; }
cap_of() {
	if [ "$1" = 1 ]; then echo "$SUP"; else echo "$UP"; fi
}

# bg HOST DIR OUT ERR CMD...: run CMD in HOST's namespace, cwd DIR,
# stdin /dev/null unless IN is set; remember its PID.
bg() {
	local h=$1 d=$2 o=$3 e=$4
	shift 4
	(cd "$d" && exec ip netns exec "$(ns_of "$h")" "$@" \
	    < "${IN:-/dev/null}" > "$o" 2> "$e") &
	PIDS+=($!)
}

# wait_for FILE REGEX SECONDS [PID]
wait_for() {
	local n=0 max=$(($3 * 10))
	while ! grep -Eq "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -gt $max ] && die "timeout waiting for '$2' in $1"
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null &&
		    die "process died; $(tail -3 "${1%/*}/err" 2>/dev/null)"
		sleep 0.1
	done
}

# Prefix every line with the wall clock (bash 5 $EPOCHREALTIME).
ts_lines() {
	local l
	while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "$l"
	done
}

# Transmitted bytes of every host (the bridge ports' rx), one line.
port_bytes() {
	ip netns exec "$BR" sh -c 'cd /sys/class/net && for i in v*; do
	    printf "%s:%s " "$i" "$(cat "$i/statistics/rx_bytes")"; done'
}

# CPU ticks used so far by every process inside our host namespaces.
peer_ticks() {
	local i p t=0
	for i in $(seq 0 $((H - 1))); do
		for p in $(ip netns pids "$(ns_of $i)" 2>/dev/null); do
			t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" \
			    2>/dev/null || echo 0)))
		done
	done
	echo $t
}

cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8, $5+$6}' /proc/stat; }

# ---- network ----
# Every host's copy lives in /dev/shm, that is in memory: H - 1 copies
# and the source, plus room to breathe.  Runs kept with -k stay there
# until removed (a 32-host run keeps 2.2 GB); eleven of them once filled
# the machine's memory in the middle of a table, and its 32-host runs
# timed out.
need=$(( (H + 1) * SIZE + 1024 ))
have=$(df -Pm /dev/shm | awk 'NR == 2 { print $4 }')
[ "${have:-0}" -ge "$need" ] || die "/dev/shm has ${have:-0} MiB free," \
    "a run needs $need MiB (runs kept with -k: /dev/shm/mtsw-*)"
W=$(mktemp -d "/dev/shm/$P.XXXXXX") || die "mktemp"
chmod 755 "$W"
ip netns add "$BR" || die "ip netns add"
NSS+=("$BR")
ip -n "$BR" link set lo up
ip -n "$BR" link add br0 type bridge || die "no bridge support"
ip -n "$BR" link set br0 up
# No netfilter on bridged frames (per namespace; saves CPU).
for k in iptables ip6tables arptables; do
	ip netns exec "$BR" sysctl -qw "net.bridge.bridge-nf-call-$k=0" \
	    2>/dev/null
done
for i in $(seq 0 $((H - 1))); do
	ns=$(ns_of $i)
	ip netns add "$ns" || die "ip netns add $ns"
	NSS+=("$ns")
	ip -n "$BR" link add "v$i" type veth peer name eth0 netns "$ns" ||
	    die "veth $i"
	ip -n "$BR" link set "v$i" master br0
	ip -n "$BR" link set "v$i" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$(ip_of $i)/16" dev eth0
	ip -n "$ns" link set eth0 up
	tc -n "$ns" qdisc add dev eth0 root tbf rate "$(cap_of $i)mbit" \
	    burst 64kb latency 50ms || die "tc tbf on host $i"
	if [ "$DOWN" -gt 0 ] && [ $i -ge 2 ]; then
		tc -n "$BR" qdisc add dev "v$i" root tbf rate "${DOWN}mbit" \
		    burst 64kb latency 50ms || die "tc tbf down $i"
	fi
done
say "$H hosts up: tracker $(ip_of 0), seeder $(ip_of 1) (${SUP} Mbit/s)," \
    "$N leechers (${UP} Mbit/s up, down $([ "$DOWN" -gt 0 ] &&
    echo "${DOWN} Mbit/s" || echo uncapped))"

# ---- cap check: host i sends to host i+1 (iperf3, 3 s, the first one
# not counted), in batches of at most 300 Mbit/s; a host outside
# 80..108 % of its cap is measured again alone before the check fails.
# measure_caps HOST...: append "HOST CAP GOT" lines to $W/caps/summary.
measure_caps() {
	local s r got cps=()
	for s in "$@"; do
		r=$(((s + 1) % H))
		bg $r "$W/caps" "$W/caps/srv$r" "$W/caps/srv$r.err" \
		    iperf3 -s -1 -B "$(ip_of $r)" -p 5201
	done
	sleep 0.5
	for s in "$@"; do
		r=$(((s + 1) % H))
		ip netns exec "$(ns_of $s)" iperf3 -c "$(ip_of $r)" \
		    -p 5201 -t 3 -O 1 -J > "$W/caps/c$s.json" 2>&1 &
		cps+=($!)
	done
	wait "${cps[@]}" 2>/dev/null
	for s in "$@"; do
		got=$(python3 -c 'import json,sys
try:
    j = json.load(open(sys.argv[1]))
    print("%.2f" % (j["end"]["sum_received"]["bits_per_second"] / 1e6))
except Exception:
    print("0")' "$W/caps/c$s.json")
		echo "$s $(cap_of $s) $got" >> "$W/caps/summary"
	done
}
cap_ok() {
	awk -v g="$2" -v c="$1" 'BEGIN { exit !(g >= 0.80 * c && g <= 1.08 * c) }'
}
if [ "$CHECK" = 1 ]; then
	command -v iperf3 >/dev/null ||
	    die "iperf3 not installed (apt-get install -y iperf3) or use -C"
	mkdir -p "$W/caps"
	: > "$W/caps/summary"
	i=1
	while [ $i -lt $H ]; do
		batch=() sum=0
		while [ $i -lt $H ] &&
		    { [ ${#batch[@]} -eq 0 ] || [ $((sum + $(cap_of $i))) -le 300 ]; }; do
			batch+=("$i")
			sum=$((sum + $(cap_of $i)))
			i=$((i + 1))
		done
		measure_caps "${batch[@]}"
	done
	mv "$W/caps/summary" "$W/caps/first"
	: > "$W/caps/summary"
	while read -r s cap got; do
		if cap_ok "$cap" "$got"; then
			echo "$s $cap $got" >> "$W/caps/summary"
		else
			say "host $s: measured $got Mbit/s, cap $cap; again alone"
			measure_caps "$s"
		fi
	done < "$W/caps/first"
	bad=0
	while read -r s cap got; do
		if ! cap_ok "$cap" "$got"; then
			say "host $s: measured $got Mbit/s, cap $cap"
			bad=1
		fi
	done < "$W/caps/summary"
	awk '{ k = ($1 == 1) ? "seeder" : "leechers";
	    r = $3 / $2; if (!(k in lo) || r < lo[k]) lo[k] = r;
	    if (!(k in hi) || r > hi[k]) hi[k] = r; cap[k] = $2 }
	    END { for (k in lo) printf "swarm: caps %s %d Mbit/s: TCP goodput %.1f%%..%.1f%% of the cap\n",
	    k, cap[k], 100 * lo[k], 100 * hi[k] }' "$W/caps/summary" >&2
	[ $bad = 0 ] || die "cap check failed (see above)"
fi

# ---- the file ----
head -c $((SIZE * 1024 * 1024)) /dev/urandom > "$W/data.bin" || die "data"
F=$((SIZE * 1024 * 1024))
TMIN=$(awk -v F=$F -v n=$N -v u=$UP -v s=$SUP -v d=$DOWN 'BEGIN {
	b = F * 8 / 1e6; t = b / s; x = n * b / (s + n * u);
	if (x > t) t = x; if (d > 0 && b / d > t) t = b / d; printf "%.3f", t }')
[ "$TIMEOUT" = 0 ] && TIMEOUT=$(awk -v t=$TMIN 'BEGIN {
	x = 6 * t; if (x < 90) x = 90; printf "%d", x }')
say "file $SIZE MiB; T_min $TMIN s; timeout $TIMEOUT s; client $CLIENT"

# ---- tracker and seeder ----
for i in $(seq 0 $((H - 1))); do
	mkdir -p "$W/h$i"
done
TR=$(ip_of 0)
if [ $CLIENT = mtorrent ]; then
	LOGV=
	[ "$VERB" = 1 ] && LOGV="-v -v"
	bg 0 "$W/h0" "$W/h0/out" "$W/h0/err" "$MT" --tracker \
	    --listen "$TR:$PORT_TR" --state "$W/h0/state" -q
	wait_for "$W/h0/out" '^listening' 10 "${PIDS[-1]}"
	printf 'share %s data.mtorrent\n' "$W/data.bin" > "$W/h1/cmds"
	IN=$W/h1/cmds bg 1 "$W/h1" "$W/h1/out" "$W/h1/err" "$MT" --batch \
	    -l "$(ip_of 1):$PORT_PEER" -t "$TR:$PORT_TR" -s "$W/h1/state" \
	    --log "$W/h1/log" $LOGV $MTOPTS
	wait_for "$W/h1/out" '^(ok share|error)' 60 "${PIDS[-1]}"
	grep -q '^ok share' "$W/h1/out" || die "share: $(cat "$W/h1/out")"
	META=$W/h1/data.mtorrent
else
	mktorrent -l 19 -p -a "http://$TR:$PORT_OT/announce" \
	    -o "$W/data.torrent" "$W/data.bin" > "$W/mktorrent.log" 2>&1 ||
	    die "mktorrent failed"
	META=$W/data.torrent
	# opentracker chroots to -d, reads the whitelist there, and
	# drops root: run it as nobody in a readable directory.
	mkdir -p "$W/h0/ot"
	chmod 755 "$W/h0" "$W/h0/ot"
	"$LTPY" "$HERE/lt-peer.py" infohash "$META" > "$W/h0/ot/wl" ||
	    die "infohash"
	chmod 644 "$W/h0/ot/wl"
	bg 0 "$W/h0" "$W/h0/out" "$W/h0/err" opentracker -i "$TR" \
	    -p $PORT_OT -P $PORT_OT -w /wl -d "$W/h0/ot" -u nobody
	for t in $(seq 50); do
		ip netns exec "$(ns_of 0)" bash -c \
		    "exec 3<>/dev/tcp/$TR/$PORT_OT" 2>/dev/null && break
		sleep 0.1
	done
	bg 1 "$W/h1" "$W/h1/out" "$W/h1/err" "$LTPY" "$HERE/lt-peer.py" \
	    seed "$(ip_of 1)" "$META" "$W"
	wait_for "$W/h1/out" '^ready' 60 "${PIDS[-1]}"
fi

# ---- leechers: started, ready, then all told to go at once ----
for i in $(seq 2 $((H - 1))); do
	d=$W/h$i
	mkdir -p "$d/dest" "$d/state"
	cp "$META" "$d/"
	mkfifo "$d/in"
	if [ $CLIENT = mtorrent ]; then
		mkfifo "$d/pipe"
		IN=$d/in bg $i "$d" "$d/pipe" "$d/err" "$MT" --batch \
		    -l "$(ip_of $i):$PORT_PEER" -t "$TR:$PORT_TR" -s "$d/state" \
		    --log "$d/log" $LOGV $MTOPTS
		ts_lines < "$d/pipe" > "$d/out" &
		PIDS+=($!)
	else
		IN=$d/in bg $i "$d" "$d/out" "$d/err" "$LTPY" \
		    "$HERE/lt-peer.py" leech "$(ip_of $i)" "$d/${META##*/}" \
		    "$d/dest"
	fi
	exec {fd}> "$d/in"
	FDS+=("$fd")
	LFD[$i]=$fd
done
# One process samples the counters: a shell loop forking cat for every
# port twice a second took about a fifth of the machine at 32 hosts.
# It starts before the peers (its start-up takes seconds on a loaded
# machine); the analysis keeps the samples from T0 on.
ip netns exec "$BR" python3 -u -c '
import glob, os, time
ports = sorted(glob.glob("/sys/class/net/v*"))
while True:
    row = []
    for p in ports:
        with open(p + "/statistics/rx_bytes") as f:
            row.append("%s:%s" % (os.path.basename(p), f.read().strip()))
    print("%.6f %s" % (time.time(), " ".join(row)))
    time.sleep(0.5)
' > "$W/samples" 2>/dev/null &
SAMPLER=$!
for i in $(seq 2 $((H - 1))); do
	wait_for "$W/h$i/out" 'ready' 30
done
sleep 1
read -r C0 I0 < <(cpu_ticks)
P0=$(peer_ticks)
B0=$(port_bytes)
T0=$EPOCHREALTIME
for i in $(seq 2 $((H - 1))); do
	if [ $CLIENT = mtorrent ]; then
		printf 'get %s %s\nwait\n' "$W/h$i/${META##*/}" "$W/h$i/dest" \
		    >&"${LFD[$i]}"
	else
		echo go >&"${LFD[$i]}"
	fi
done
say "leechers started at $T0"

# ---- wait for every leecher ----
if [ $CLIENT = mtorrent ]; then
	DONE_RE=' ok wait done=1 '
	FAIL_RE=' (ok wait done=0|error )'
else
	DONE_RE='^done '
	FAIL_RE='^ZZnomatch'
fi
deadline=$(awk -v t=$T0 -v x=$TIMEOUT 'BEGIN { printf "%d", t + x }')
# Polled with shell builtins only (no process per check): the testbed
# must not take CPU from the peers it measures.
declare -A FIN=()
while :; do
	for ((i = 2; i < H; i++)); do
		[ -n "${FIN[$i]:-}" ] && continue
		mapfile -t lines < "$W/h$i/out" 2>/dev/null || continue
		for l in "${lines[@]}"; do
			if [[ $l =~ $DONE_RE || $l =~ $FAIL_RE ]]; then
				FIN[$i]=1
				break
			fi
		done
	done
	nd=${#FIN[@]}
	[ "$nd" -ge $N ] && break
	if [ "${EPOCHSECONDS}" -ge "$deadline" ]; then
		say "timeout: $nd of $N leechers done"
		break
	fi
	sleep 0.1
done
TEND=$EPOCHREALTIME
B1=$(port_bytes)
# TCP segments sent and retransmitted by each host so far (its own
# namespace's counters): retransmissions take upload from the swarm.
for ((i = 1; i < H; i++)); do
	ip netns exec "$(ns_of $i)" awk '/^Tcp:/ { n++; if (n == 1)
	    for (k = 2; k <= NF; k++) f[$k] = k; else
	    print $f["OutSegs"], $f["RetransSegs"] }' /proc/net/snmp
done > "$W/retrans" 2>/dev/null
read -r C1 I1 < <(cpu_ticks)
P1=$(peer_ticks)
kill "$SAMPLER" 2>/dev/null
SAMPLER=
if [ $CLIENT = mtorrent ]; then
	for i in $(seq 2 $((H - 1))); do
		{ echo "show downloads" 1>&"${LFD[$i]}"; } 2>/dev/null
	done
	sleep 0.5
fi

# ---- results ----
: > "$W/times"
ok=0
for i in $(seq 2 $((H - 1))); do
	d=$W/h$i
	if [ $CLIENT = mtorrent ]; then
		t=$(grep -E "$DONE_RE" "$d/out" | head -1 | awk '{print $1}')
	else
		t=$(awk '/^done / {print $2; exit}' "$d/out")
	fi
	if [ -n "$t" ] && cmp -s "$W/data.bin" "$d/dest/data.bin"; then
		ok=$((ok + 1))
		echo "$i $(awk -v a=$t -v b=$T0 'BEGIN { printf "%.3f", a - b }')" \
		    >> "$W/times"
	elif [ -n "$t" ]; then
		say "host $i: copy differs from the original"
	else
		say "host $i: did not finish: $(tail -2 "$d/out" | tr '\n' ' ')"
	fi
done
if [ $ok -gt 0 ]; then
	TIME=$(sort -k2 -n "$W/times" | tail -1 | awk '{print $2}')
else
	TIME=$(awk -v a=$TEND -v b=$T0 'BEGIN { printf "%.3f", a - b }')
fi
# Bytes each host sent between T0 and TEND.
python3 - "$F" "$H" "$UP" "$SUP" "$T0" "$TEND" "$W/samples" \
    "$B0" "$B1" "$W/retrans" > "$W/analysis" <<'EOF'
import sys
F, H, up, sup = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
t0, t1 = float(sys.argv[5]), float(sys.argv[6])
def parse(s):
    d = {}
    for kv in s.split():
        k, v = kv.split(":")
        d[int(k[1:])] = int(v)
    return d
b0, b1 = parse(sys.argv[8]), parse(sys.argv[9])
sent = {i: b1[i] - b0[i] for i in b0}
caps = {i: (sup if i == 1 else up) for i in range(1, H)}
dur = t1 - t0
tot = sum(sent[i] for i in range(1, H))
allow = sum(caps.values()) * 1e6 / 8 * dur
print("seeder_copies %.3f" % (sent[1] / F))
print("util %.1f" % (100.0 * tot / allow))
lee = sorted(sent[i] / F for i in range(2, H))
print("leecher_sent_copies min %.2f median %.2f max %.2f sum %.2f" %
      (lee[0], lee[len(lee) // 2], lee[-1], sum(lee)))
# Timeline: aggregate and seeder rate per second, Mbit/s.
rows = []
for line in open(sys.argv[7]):
    p = line.split(None, 1)
    if len(p) == 2:
        try:
            rows.append((float(p[0]), parse(p[1])))
        except ValueError:
            pass
out = []
idle = 0
slots = 0
for (ta, a), (tb, b) in zip(rows, rows[1:]):
    if ta < t0 - 0.25 or tb > t1 + 0.5 or tb <= ta:
        continue
    dt = tb - ta
    rate = {i: (b.get(i, 0) - a.get(i, 0)) * 8 / 1e6 / dt for i in range(1, H)}
    for i in range(2, H):
        slots += 1
        idle += rate[i] < 0.25 * up
    out.append("%5.1f %6.1f %6.1f" % (tb - t0, sum(rate.values()), rate[1]))
print("leecher_idle_pct %.1f" % (100.0 * idle / max(slots, 1)))
try:
    rt = [tuple(map(int, l.split())) for l in open(sys.argv[10])]
    lo = sum(o for o, r in rt[1:])
    print("retrans_pct seeder %.1f leechers %.1f" % (
        100.0 * rt[0][1] / max(rt[0][0], 1),
        100.0 * sum(r for o, r in rt[1:]) / max(lo, 1)))
except (OSError, ValueError, IndexError):
    pass
print("timeline (s, all hosts Mbit/s, seeder Mbit/s):")
for l in out:
    print("  " + l)
EOF
COPIES=$(awk '/^seeder_copies/ {print $2}' "$W/analysis")
UTIL=$(awk '/^util/ {print $2}' "$W/analysis")
CPU=$(awk -v c0=$C0 -v i0=$I0 -v c1=$C1 -v i1=$I1 \
    'BEGIN { printf "%.0f", 100 * (c1 - c0) / ((c1 - c0) + (i1 - i0)) }')
PCPU=$(awk -v a=$P0 -v b=$P1 -v hz="$(getconf CLK_TCK)" -v t0=$T0 \
    -v t1=$TEND 'BEGIN { printf "%.0f", 100 * (b - a) / hz / (t1 - t0) }')
RATIO=$(awk -v a=$TIME -v b=$TMIN 'BEGIN { printf "%.3f", a / b }')

echo "leecher completion times (s from start):"
sort -k2 -n "$W/times" | awk '{ printf "  host %-3s %8.3f\n", $1, $2 }'
grep -v '^timeline\|^  ' "$W/analysis" | sed 's/^/  /'
if [ $CLIENT = mtorrent ]; then
	echo "leecher show downloads at the end:"
	for i in $(seq 2 $((H - 1))); do
		grep -m1 ' \[[DS]\] ' "$W/h$i/out" | cut -d' ' -f2- |
		    sed "s/^/  h$i /" | awk '{ printf "  %s", $1;
		    for (k = 2; k <= NF; k++) if ($k ~ /^(fetched|bad|peers)=/)
		    printf " %s", $k; printf "\n" }'
	done
fi
awk '/^timeline/ { p = 1 } p' "$W/analysis"
line="result client=$CLIENT hosts=$H leechers=$N up=$UP seed_up=$SUP"
line="$line down=$DOWN size_mib=$SIZE time=$TIME tmin=$TMIN ratio=$RATIO"
line="$line seeder_copies=$COPIES ok=$ok/$N util=$UTIL cpu=$CPU peer_cpu=$PCPU"
echo "$line"
[ -n "$RESULTS" ] && echo "$(date -u +%FT%TZ) $line" >> "$RESULTS"
[ $ok = $N ] || exit 1
exit 0
