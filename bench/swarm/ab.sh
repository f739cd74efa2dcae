#!/bin/bash
# bench/swarm/ab.sh: A/B runs of mtorrent builds in the same hosts.
# Each round runs every build once through run.sh, one after the other,
# so that slow drifts of a shared machine hit all of them alike.
#
# usage: ab.sh [-n ROUNDS] [-v] [-c] HOSTS/LEECHER_UP/SEEDER_UP NAME=BINARY...
#   -n ROUNDS   rounds (default 3)
#   -v          peers log at debug level; duplicates received are counted
#   -c          check the caps with iperf3 before every run (run.sh
#               skips the check otherwise: run.sh -C)
# Prints one line a run: the setting, the name, run.sh's ratio, seeder
# copies and util, and the leechers' unused upload (unused.py).  Run as
# root, like run.sh.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROUNDS=3 VERBOSE= CHECK=-C
usage() { echo "usage: ab.sh [-n ROUNDS] [-v] [-c] H/U/S NAME=BINARY..." >&2; exit 2; }
while getopts n:vc o; do
	case $o in
	n) ROUNDS=$OPTARG ;;
	v) VERBOSE=-v ;;
	c) CHECK= ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
case $ROUNDS in ''|*[!0-9]*) usage ;; esac
IFS=/ read -r H U S <<< "$1"
shift
for v in "$@"; do
	case $v in *=*) [ -x "${v#*=}" ] || { echo "ab.sh: ${v#*=}: not executable" >&2; exit 2; } ;;
	*) usage ;;
	esac
done
for r in $(seq 1 "$ROUNDS"); do
	for v in "$@"; do
		name=${v%%=*} bin=${v#*=}
		out=$("$HERE/run.sh" $CHECK -H "$H" -u "$U" -s "$S" -m "$bin" \
		    -k $VERBOSE 2>&1) || { echo "$out" >&2; exit 1; }
		# "swarm: kept DIR (N MiB of memory: ...)": the DIR only.
		d=$(echo "$out" | sed -n 's/^swarm: kept \([^ ]*\).*/\1/p' |
		    tail -1)
		res=$(echo "$out" | grep '^result' | grep -o \
		    'ratio=[^ ]*\|seeder_copies=[^ ]*\|util=[^ ]*\|ok=[^ ]*' |
		    tr '\n' ' ')
		extra=
		if [ -n "$VERBOSE" ]; then
			extra="dup=$(cat "$d"/h*/log | grep -c 'a duplicate' || true) "
		fi
		echo "$H/$U/$S $name $res$extra$(python3 "$HERE/unused.py" "$d")"
		case $d in /dev/shm/mtsw-*|/tmp/mtsw-*) rm -rf "$d" ;; esac
	done
done
