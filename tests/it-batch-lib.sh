# it-batch-lib.sh: helpers for the tests/it-batch-*.sh integration tests
# (sourced, not run).  bash.
#
# Each peer runs `mtorrent --batch` in its own directory under a temporary
# directory, with its own --state-dir, reading commands from a FIFO held
# open on a file descriptor of this shell and writing to an `out` file
# that the helpers read line by line.  Trackers are `mtorrent --tracker`
# processes on ports picked here.  Every wait is bounded; every process is
# stopped by its PID in the EXIT trap; the temporary directory goes too.
#
#	it_init NAME		make $T, install the trap
#	peer_start P ARGS...	start peer P (ARGS: -t ADDR, ...); waits for
#				"ok ready" and sets PEER_LISTEN[P]
#	peer_cmd P LINE [SECS]	send LINE, wait for its status line; sets
#				LAST; returns 0 for "ok ...", 1 otherwise
#	peer_data P		the data lines of the last command
#	peer_kill9 P / peer_stop P
#	tracker_start N [PARTNER] sets TRACKER_ADDR[N]
#	tracker_kill9 N
#	check_ok / check_err CODE / fail MSG

MTORRENT=${MTORRENT:-$(pwd)/src/mtorrent}
declare -A PEER_PID PEER_FD PEER_POS PEER_LISTEN PEER_ARGS PEER_DATA_FROM
declare -A TRACKER_PID TRACKER_ADDR TRACKER_PORT
LAST=
IT_NAME=it
IT_FAILED=0

fail() {
	echo "FAIL($IT_NAME): $*" >&2
	it_dump
	exit 1
}

skip() {
	echo "SKIP($IT_NAME): $*"
	exit 77
}

note() {
	echo "# $IT_NAME: $*"
}

it_dump() {
	local f
	for f in "$T"/*/out "$T"/*/err "$T"/*/log; do
		[ -f "$f" ] || continue
		echo "---- ${f#$T/} (last 30 lines)" >&2
		tail -n 30 "$f" >&2
	done
}

it_cleanup() {
	local p pid
	for p in "${!PEER_PID[@]}"; do
		pid=${PEER_PID[$p]}
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	for p in "${!TRACKER_PID[@]}"; do
		pid=${TRACKER_PID[$p]}
		[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$T" ] && [ -d "$T" ] && [ -z "$IT_KEEP" ]; then
		rm -rf "$T"
	fi
}

it_init() {
	IT_NAME=$1
	[ -x "$MTORRENT" ] || skip "no binary at $MTORRENT"
	T=$(mktemp -d "${TMPDIR:-/tmp}/mt-$1.XXXXXX") || exit 99
	trap it_cleanup EXIT
	trap 'exit 1' INT TERM
	# Do not let a developer's own state leak in.
	export XDG_STATE_HOME="$T/xdg"
	export LC_ALL=C LANGUAGE=
	unset NO_COLOR
}

# A random port in 20000..31999 that nothing listens on right now:
# below the kernel's ephemeral range (32768-60999), where the outgoing
# connections of tests running beside this one take their ports.
pick_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if ! (exec 9<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Wait (at most $2 seconds, default 10) until something listens on port $1.
wait_port() {
	local port=$1 n=$(( ${2:-10} * 10 ))
	while [ $n -gt 0 ]; do
		(exec 9<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Wait until a line after position PEER_POS[$1] matches regex $2 (at most
# $3 seconds, default 20).  Sets LAST to the line and advances the
# position past it.
wait_line() {
	local p=$1 re=$2 n=$(( ${3:-20} * 20 )) hit
	while [ $n -gt 0 ]; do
		hit=$(awk -v from="${PEER_POS[$p]}" -v re="$re" \
		    'NR > from && $0 ~ re { print NR ":" $0; exit }' \
		    "$T/$p/out" 2>/dev/null)
		if [ -n "$hit" ]; then
			PEER_POS[$p]=${hit%%:*}
			LAST=${hit#*:}
			return 0
		fi
		if ! kill -0 "${PEER_PID[$p]}" 2>/dev/null; then
			LAST="(peer $p exited)"
			return 1
		fi
		sleep 0.05
		n=$((n - 1))
	done
	LAST="(timeout waiting for /$re/ from $p)"
	return 1
}

# peer_start NAME ARGS...: start a --batch peer in $T/NAME.
peer_start() {
	local p=$1 fd
	shift
	mkdir -p "$T/$p"
	rm -f "$T/$p/in"
	mkfifo "$T/$p/in"
	PEER_ARGS[$p]="$*"
	(cd "$T/$p" && exec "$MTORRENT" --batch -s "$T/$p/state" \
	    -l 127.0.0.1:0 "$@" <"$T/$p/in" >>"$T/$p/out" 2>>"$T/$p/err") &
	PEER_PID[$p]=$!
	exec {fd}>"$T/$p/in"
	PEER_FD[$p]=$fd
	[ -f "$T/$p/out" ] || : >"$T/$p/out"
	PEER_POS[$p]=${PEER_POS[$p]:-0}
	wait_line "$p" '^ok ready ' 30 || fail "peer $p did not start: $LAST"
	PEER_LISTEN[$p]=$(echo "$LAST" | sed -n 's/.*listen=\([^ ]*\).*/\1/p')
}

# peer_restart NAME: start again with the same arguments and state.
peer_restart() {
	local p=$1
	# shellcheck disable=SC2086
	peer_start "$p" ${PEER_ARGS[$p]}
}

# peer_send NAME LINE: write one line, do not wait.
peer_send() {
	printf '%s\n' "$2" >&"${PEER_FD[$1]}" ||
	    fail "cannot write to peer $1"
}

# peer_cmd NAME LINE [SECS]: run one command; 0 if it printed "ok ...".
peer_cmd() {
	local p=$1
	PEER_DATA_FROM[$p]=${PEER_POS[$p]}
	peer_send "$p" "$2"
	wait_line "$p" '^(ok|error) ' "${3:-30}" || return 2
	case $LAST in
	ok\ *) return 0 ;;
	*) return 1 ;;
	esac
}

# The data lines printed by the last peer_cmd on NAME.
peer_data() {
	local p=$1
	awk -v from="${PEER_DATA_FROM[$p]}" -v to="${PEER_POS[$p]}" \
	    'NR > from && NR < to' "$T/$p/out"
}

# must P LINE [SECS]: peer_cmd that has to succeed.
must() {
	peer_cmd "$@" || fail "peer $1: '$2' -> $LAST"
}

# must_fail P LINE CODE [SECS]: peer_cmd that has to fail with CODE.
must_fail() {
	local p=$1 line=$2 code=$3
	peer_cmd "$p" "$line" "${4:-30}"
	case $LAST in
	"error $code: "*) return 0 ;;
	*) fail "peer $p: '$line' -> '$LAST', wanted error $code" ;;
	esac
}

peer_close_input() {
	local fd=${PEER_FD[$1]}
	[ -n "$fd" ] && exec {fd}>&-
	PEER_FD[$1]=
}

peer_kill9() {
	local p=$1
	kill -9 "${PEER_PID[$p]}" 2>/dev/null
	wait "${PEER_PID[$p]}" 2>/dev/null
	peer_close_input "$p"
	PEER_PID[$p]=
}

# peer_stop NAME: SIGTERM, then at most 15 s for a clean exit.
peer_stop() {
	local p=$1 pid=${PEER_PID[$1]} n=150 rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while [ $n -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		peer_close_input "$p"
		PEER_PID[$p]=
		fail "peer $p did not stop within 15 s of SIGTERM"
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	peer_close_input "$p"
	PEER_PID[$p]=
	[ $rc -eq 0 ] || fail "peer $p exited with status $rc after SIGTERM"
}

# it_done: fail on any sanitizer report in a log, else exit 0.
it_done() {
	local f
	for f in "$T"/*/err "$T"/*/log "$T"/*.err; do
		[ -f "$f" ] || continue
		if grep -q -E 'Sanitizer|runtime error:' "$f"; then
			fail "sanitizer report in ${f#$T/}"
		fi
	done
	exit 0
}

# tracker_start NAME [PARTNER_ADDR]: a standalone tracker on a free port.
tracker_start() {
	local n=$1 partner=$2 port try
	mkdir -p "$T/$n"
	for try in 1 2 3 4 5; do
		port=${TRACKER_PORT[$n]:-$(pick_port)} || fail "no free port"
		(cd "$T/$n" && XDG_STATE_HOME="$T/$n/xdg" exec "$MTORRENT" \
		    --tracker "127.0.0.1:$port" ${partner:+"$partner"} \
		    >>"$T/$n/out" 2>>"$T/$n/log") &
		TRACKER_PID[$n]=$!
		if wait_port "$port" 10; then
			TRACKER_PORT[$n]=$port
			TRACKER_ADDR[$n]=127.0.0.1:$port
			return 0
		fi
		kill -9 "${TRACKER_PID[$n]}" 2>/dev/null
		wait "${TRACKER_PID[$n]}" 2>/dev/null
		# A restart must keep its port; a first start may move.
		[ -n "${TRACKER_ADDR[$n]}" ] && break
	done
	fail "tracker $n did not start"
}

tracker_kill9() {
	kill -9 "${TRACKER_PID[$1]}" 2>/dev/null
	wait "${TRACKER_PID[$1]}" 2>/dev/null
	TRACKER_PID[$1]=
}

# make_file PATH MIB: random contents.
make_file() {
	head -c "$(($2 * 1048576))" /dev/urandom >"$1" || fail "make_file $1"
}

# show_line P NAME: run show downloads on P; SHOW gets the [D]/[S] line
# of NAME (not in a $(...) subshell: the read position must advance).
show_line() {
	must "$1" "show downloads"
	SHOW=$(peer_data "$1" | grep -E "^\[[DS]\] \"?$2\"? " | head -n 1)
}

# Does the tracker role work in this build?
have_tracker() {
	"$MTORRENT" --tracker --help >/dev/null 2>&1
}
