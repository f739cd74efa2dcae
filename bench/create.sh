#!/bin/sh
# bench/create.sh: how fast `mtorrent create` hashes, against sha1sum(1)
# and mktorrent(1) -l 19 (512 KiB pieces, one thread per core).
#
# Makes a random file in /dev/shm (so the disk is out of the picture),
# times each tool RUNS times after one warm-up round, and prints the
# median wall time of each, its throughput and its time relative to
# mtorrent (above 1.00x: slower than mtorrent).
# Cleans up after itself.
#
#   MTORRENT=path/to/mtorrent SIZE_MIB=1024 RUNS=5 sh bench/create.sh
set -u

SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-5}
DIR=${BENCH_DIR:-/dev/shm}
THREADS=${THREADS:-$(nproc)}
if [ -z "${MTORRENT:-}" ]; then
	for m in ./src/mtorrent "$(dirname "$0")/../src/mtorrent"; do
		[ -x "$m" ] && { MTORRENT=$m; break; }
	done
	MTORRENT=${MTORRENT:-mtorrent}
fi
command -v "$MTORRENT" >/dev/null 2>&1 || {
	echo "bench: no mtorrent binary (set MTORRENT)" >&2
	exit 1
}

avail_kib=$(df -Pk "$DIR" | awk 'NR == 2 { print $4 }')
if [ "$avail_kib" -lt $((SIZE_MIB * 1024 + 65536)) ]; then
	echo "bench: not enough room in $DIR for $SIZE_MIB MiB" >&2
	exit 1
fi
work=$(mktemp -d "$DIR/mtorrent-bench.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
file=$work/random.bin
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$file" || exit 1

# now: nanoseconds since the epoch (GNU date).
now() {
	date +%s%N
}

# The tools, as "NAME|COMMAND" (word-split; paths have no spaces).
tools="mtorrent-create|$MTORRENT create -q -f -t 127.0.0.1:6880 -o $work/out.mtorrent $file
sha1sum|sha1sum $file"
if command -v mktorrent >/dev/null 2>&1; then
	tools="$tools
mktorrent-l19-t$THREADS|mktorrent -l 19 -t $THREADS -a http://127.0.0.1:6880/announce -o $work/out.torrent $file"
else
	echo "bench: mktorrent not installed (apt-get install mktorrent);" \
	    "skipped" >&2
fi
case $work in *" "*)
	echo "bench: $work has a space" >&2
	exit 1
esac

# CPU time (user + system) too, where GNU time is installed: on a busy
# machine it shows the work done better than wall time does.
timecmd=
if [ -x /usr/bin/time ]; then
	timecmd="/usr/bin/time -f %U,%S -o $work/cpu"
fi

# Runs are interleaved (each round runs every tool once) so that a
# busy machine slows every tool alike; one warm-up round first.
round=0
while [ $round -le "$RUNS" ]; do
	printf '%s\n' "$tools" | while IFS='|' read -r name cmd; do
		rm -f "$work/out.mtorrent" "$work/out.torrent"
		t0=$(now)
		# shellcheck disable=SC2086
		if ! $timecmd $cmd >/dev/null 2>&1; then
			echo "bench: $name failed: $cmd" >&2
			: >"$work/failed"
		fi
		t1=$(now)
		[ $round -gt 0 ] || continue
		echo $((t1 - t0)) >>"$work/times.$name"
		[ -n "$timecmd" ] && awk -F, '{ print ($1 + $2) * 1e9 }' \
		    "$work/cpu" >>"$work/cpu.$name"
	done
	[ -e "$work/failed" ] && exit 1
	round=$((round + 1))
done

results=$work/results
: >"$results"
# median FILE: the median of the numbers in FILE, in seconds ("-" if none).
median() {
	[ -s "$1" ] || { echo -; return; }
	sort -n "$1" | awk '{ a[NR] = $1 }
	    END { if (NR % 2) m = a[(NR + 1) / 2];
		  else m = (a[NR / 2] + a[NR / 2 + 1]) / 2;
		  printf "%.3f\n", m / 1e9 }'
}
printf '%s\n' "$tools" | while IFS='|' read -r name cmd; do
	echo "$name $(median "$work/times.$name") $(median "$work/cpu.$name")"
done >"$results"

echo "file: $SIZE_MIB MiB of random data in $DIR; $RUNS runs each," \
    "median; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v mib="$SIZE_MIB" '
	NR == 1 { base = $2 }
	{ name[NR] = $1; t[NR] = $2; cpu[NR] = $3 }
	END {
		printf "%-22s %9s %8s %10s %12s\n", "tool", "median s",
		    "cpu s", "MiB/s", "vs mtorrent"
		for (i = 1; i <= NR; i++)
			printf "%-22s %9.3f %8s %10.0f %11.2fx\n", name[i],
			    t[i], cpu[i], mib / t[i], t[i] / base
	}' "$results"
