#!/bin/bash
# bench/swarm/table.sh: run the settings of issue 7 with both clients
# through run.sh, one run at a time, and print the table.
#
# usage: table.sh [-m MTORRENT] [-o MTOPTS] [-r RESULTS] [-n RUNS]
#            [-c CLIENTS] [SETTING]...
#   SETTING is HOSTS/LEECHER_UP/SEEDER_UP in Mbit/s (default: the issue's
#   8/20/20 16/20/20 16/20/100 32/20/100); CLIENTS is a comma list
#   (default mtorrent,libtorrent); each run's full output goes to
#   RESULTS.d/ and its result line to RESULTS (default ./swarm-results);
#   MTOPTS go to every mtorrent peer (run.sh -o).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
MT=mtorrent MTOPTS='' RESULTS=./swarm-results RUNS=1 CLIENTS=mtorrent,libtorrent
while getopts m:o:r:n:c: o; do
	case $o in
	m) MT=$OPTARG ;;
	o) MTOPTS=$OPTARG ;;
	r) RESULTS=$OPTARG ;;
	n) RUNS=$OPTARG ;;
	c) CLIENTS=$OPTARG ;;
	*) sed -n '/^# usage:/,/^#   MTOPTS/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- 8/20/20 16/20/20 16/20/100 32/20/100
mkdir -p "$RESULTS.d"
for s in "$@"; do
	IFS=/ read -r h u su <<< "$s"
	for n in $(seq 1 "$RUNS"); do
		for c in ${CLIENTS//,/ }; do
			log=$RESULTS.d/$c-$h-$u-$su-$(date -u +%H%M%S).txt
			echo "== $c $s run $n: $HERE/run.sh -H $h -u $u -s $su -c $c" \
			    "-m $MT ${MTOPTS:+-o \"$MTOPTS\" }-r $RESULTS" >&2
			"$HERE/run.sh" -H "$h" -u "$u" -s "$su" -c "$c" -m "$MT" \
			    ${MTOPTS:+-o "$MTOPTS"} -r "$RESULTS" > "$log" 2>&1
			tail -1 "$log" >&2
		done
	done
done
# The table: the median run per (setting, client).
python3 - "$RESULTS" <<'EOF'
import collections
import sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    if "client" not in f:
        continue
    key = (int(f["hosts"]), int(f["up"]), int(f["seed_up"]))
    runs[key, f["client"]].append(f)
print("| hosts | leecher up | seeder up | T_min s | mtorrent s (ratio) | "
      "copies | libtorrent s (ratio) | copies |")
print("|---|---|---|---|---|---|---|---|")
for key in sorted({k for k, _ in runs}):
    cells = []
    tmin = ""
    for c in ("mtorrent", "libtorrent"):
        v = sorted(runs.get((key, c), []), key=lambda f: float(f["ratio"]))
        if not v:
            cells += ["-", "-"]
            continue
        m = v[len(v) // 2]
        tmin = m["tmin"]
        bad = "" if m["ok"].split("/")[0] == m["ok"].split("/")[1] else \
            " ok=" + m["ok"]
        cells.append("%s (%s)%s%s" % (m["time"], m["ratio"], bad,
                     "" if len(v) == 1 else " [%d runs: %s]" % (
                         len(v), ", ".join(f["ratio"] for f in v))))
        cells.append(m["seeder_copies"])
    print("| %d | %d Mbit/s | %d Mbit/s | %s | %s |" % (
        key[0], key[1], key[2], tmin, " | ".join(cells)))
EOF
