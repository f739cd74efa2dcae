#!/bin/sh
# tui-transfer.sh: two dashboards and a tracker, in tmux.
#
# Peer A shares a file from its dashboard and quits; peer B gets it: its
# queue shows a [D] line that cannot progress (no seeder: the ETA says
# "stalled" instead of a time), and q asks before quitting while that
# download runs.  A comes back (same state: it re-announces its file) and
# B's line goes to [S] at 100% with a piece map with every piece verified.
. "${top_srcdir:-$(dirname "$0")/..}/tests/tui-lib.sh"
tui_init

MTORRENT=${MTORRENT:-$(pwd)/src/mtorrent}
[ -x "$MTORRENT" ] || fail "no binary at $MTORRENT"
T=$TUI_TMP
mkdir -p "$T/a" "$T/b" "$T/trk" "$T/xdg"
export XDG_STATE_HOME="$T/xdg"

# A free port in 20000..31999, below the kernel's ephemeral range
# (32768-60999), where the outgoing connections of tests running beside
# this one take theirs (bash and dash: no $RANDOM in dash).
pick_port() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$(( ($(od -An -N2 -tu2 /dev/urandom) % 12000) + 20000 ))
		if ! port_open "$p"; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

port_open() {
	# ss is in iproute2; fall back to bash's /dev/tcp.
	if command -v ss >/dev/null 2>&1; then
		ss -ltnH "sport = :$1" 2>/dev/null | grep -q .
	else
		bash -c "exec 9<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
	fi
}

# wait_port PORT [SECONDS [PID]]: until something listens on PORT (not
# longer than PID lives, if given).
wait_port() {
	n=$(( ${2:-10} * 10 ))
	while [ "$n" -gt 0 ]; do
		port_open "$1" && return 0
		[ -n "$3" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# The tracker (headless) on loopback; a port taken between the pick and
# the bind (by a test running beside this one) costs a new pick.
TPORT=
for try in 1 2 3 4 5; do
	p=$(pick_port) || fail "no free port"
	(cd "$T/trk" && exec "$MTORRENT" --tracker "127.0.0.1:$p" \
	    >>"$T/trk/out" 2>>"$T/trk/log") &
	tpid=$!
	if wait_port "$p" 15 "$tpid"; then
		TPORT=$p
		TUI_PIDS="$TUI_PIDS $tpid"
		break
	fi
	# Reaped here, so its pid is never in TUI_PIDS to be reused.
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
done
[ -n "$TPORT" ] || fail "tracker did not listen: $(tail -3 "$T/trk/log")"
TRK=127.0.0.1:$TPORT

# A ~6 MiB file of random bytes: several pieces, fast on loopback.
head -c 6291456 /dev/urandom >"$T/a/data.bin" || fail "no data file"

peer() {	# peer NAME: the dashboard of peer NAME, in $T/NAME
	tui_tmux kill-session -t "=$1" 2>/dev/null
	tui_start "$1" 100 30 env LC_ALL=C.UTF-8 LANGUAGE= \
	    XDG_STATE_HOME="$T/xdg" sh -c "cd '$T/$1' && exec '$MTORRENT' \
	    -s '$T/$1/state' -l 127.0.0.1:0 -t '$TRK' --log '$T/$1/log'"
	tui_wait "$1" '^Peer 127\.0\.0\.1:[0-9]+ ' 20 ||
	    fail "peer $1 did not start"
}

# The queue line of a file: "[D] data.bin ..." or "[S] data.bin ...".
qline() {
	tui_screen "$1" | grep -E '^\[[DS]\] data\.bin ' | head -n 1
}

# A shares.
peer a
tui_keys a ':'
tui_type a "share $T/a/data.bin data.mtorrent"
tui_keys a Enter
tui_wait a '^ok share data\.mtorrent id=[0-9a-f]{40}' 60 ||
    fail "share did not succeed on A"
tui_wait a '^\[S\] data\.bin .* 100% ' 10 || fail "A has no [S] line"
[ -f "$T/a/data.mtorrent" ] || fail "no .mtorrent written"
# Nothing transfers: q quits A without asking.
tui_keys a q
tui_exited a 20 || fail "A did not quit"
[ "$(tui_status a)" = 0 ] || fail "A exited with $(tui_status a)"

# B gets while no one seeds.
peer b
tui_keys b ':'
tui_type b "get $T/a/data.mtorrent $T/b/data.bin"
tui_keys b Enter
tui_wait b '^ok get ' 20 || fail "get did not start on B"
tui_wait b '^\[D\] data\.bin ' 10 || fail "B has no [D] line"
# The status line names the tracker, says it answers and is in use.
tui_wait b "^Trackers: $TRK \\[answers, in use\\]" 10 ||
    fail "row 2 does not show the tracker in use"
line=$(qline b)
echo "$line" | grep -Eq '^\[D\] data\.bin .* 0% ' ||
    fail "the [D] line is not at 0%: $line"
# Honest ETA: no one holds the pieces, so no time is promised.
tui_wait b '^\[D\] data\.bin .*stalled: [0-9]+ pieces? unavailable' 30 ||
    fail "the ETA does not say the download is stalled"
# The piece map of the selected file shows missing pieces, none verified.
tui_wait b '^─ Pieces: data\.bin, 0/[0-9]+ verified' 5 ||
    fail "piece map title"

# q while a download runs: it asks; n keeps the dashboard.
tui_keys b q
tui_wait b 'Transfers are running.*\(y/n\)' 5 || fail "q did not ask first"
tui_row b 29 | grep -q '(y/n)' || fail "the question is not on row 29"
tui_keys b n
tui_wait b '^Cancelled\.' 5 || fail "n did not cancel"
tui_exited b 1 && fail "B quit although the answer was n"

# A comes back with its state: it seeds again, B completes.
peer a
tui_wait a '^\[S\] data\.bin .* 100% ' 30 || fail "A did not resume seeding"
tui_wait b '^\[S\] data\.bin .* 100% ' 120 ||
    fail "B did not reach [S] 100%"
line=$(qline b)
echo "$line" | grep -q 'done' || fail "finished line has no 'done': $line"
cmp "$T/a/data.bin" "$T/b/data.bin" || fail "the downloaded file differs"
# The piece map is full: N/N verified, and no cell is missing or in flight.
title=$(tui_screen b | grep -E '^─ Pieces: data\.bin, ')
n=$(echo "$title" | sed -n 's/.* \([0-9]*\)\/\([0-9]*\) verified.*/\1 \2/p')
# shellcheck disable=SC2086
set -- $n
[ -n "$1" ] && [ "$1" = "$2" ] || fail "piece map title: $title"
top=$(tui_line b '^─ Pieces: data\.bin')
peers=$(tui_line b '^─ Peers')
# Rows between the title and the legend hold only verified cells.
tui_screen b | sed -n "$((top + 1)),$((peers - 2))p" >"$T/map"
grep -q '█' "$T/map" || fail "no verified cell in the piece map"
if LC_ALL=C.UTF-8 grep -q '[^█ ]' "$T/map"; then
	fail "the piece map has cells that are not verified: $(cat "$T/map")"
fi

# d removes the selected file, after asking; the data file stays.
tui_keys b d
tui_wait b '^Remove data\.bin\? .*\(y/n\)' 5 || fail "d did not ask first"
tui_keys b n
tui_wait b '^Cancelled\.' 5 || fail "n did not cancel the removal"
tui_wait b '^\[S\] data\.bin ' 5 || fail "cancelled removal removed"
tui_keys b d
tui_wait b '^Remove data\.bin\? ' 5 || fail "d did not ask again"
tui_keys b y
tui_wait b '^ok remove ' 20 || fail "remove did not succeed"
tui_wait b 'Nothing shared or downloading yet' 10 ||
    fail "the queue still lists the removed file"
[ -f "$T/b/data.bin" ] || fail "remove deleted the data file"

# Now nothing transfers: q quits B at once.
tui_keys b q
tui_exited b 20 || fail "B did not quit"
[ "$(tui_status b)" = 0 ] || fail "B exited with $(tui_status b)"
echo "tui-transfer: ok"
