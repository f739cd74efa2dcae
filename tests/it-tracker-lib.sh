# it-tracker-lib.sh: helpers for tests/it-tracker-*.sh (sourced).  bash.
#
# Trackers are real `mtorrent --tracker` processes on 127.0.0.1, on ports
# picked here (kept across restarts, so partners find them again), each
# with its files under $T/NAME.  Requests go through tests/mt-client.
# Every wait is bounded; every process is killed by PID in the EXIT trap;
# the temporary directory is removed.
#
#	it_init NAME
#	trk_start N [ARGS...]	start tracker N (listen on PORT[N], picked
#				on first start) with extra ARGS; waits for
#				its "listening" line; sets ADDR[N], FPR[N]
#	trk_kill9 N / trk_stop N (SIGTERM, checks exit 0)
#	req N TYPE ARGS...	one request to tracker N; output in OUT,
#				status in RC (0 reply, 1 error, 3 no answer)
#	wait_for SECS CMD...	retry CMD every 0.1 s until it succeeds
#	fail MSG / check_out REGEX / expect_err CODE-NAME

MTORRENT=${MTORRENT:-$(pwd)/src/mtorrent}
CLIENT=${MT_CLIENT:-${top_builddir:-.}/tests/mt-client}
declare -A TPID PORT ADDR FPR
OUT=
RC=0
IT_NAME=it

fail() {
	local f
	echo "FAIL($IT_NAME): $*" >&2
	echo "last output: $OUT" >&2
	for f in "$T"/*/err "$T"/*/log; do
		[ -f "$f" ] || continue
		echo "---- ${f#"$T"/} (last 25 lines)" >&2
		tail -n 25 "$f" >&2
	done
	exit 1
}

skip() {
	echo "SKIP($IT_NAME): $*"
	exit 77
}

note() {
	echo "# $IT_NAME: $*"
}

it_cleanup() {
	local n
	for n in "${!TPID[@]}"; do
		[ -n "${TPID[$n]}" ] && kill -9 "${TPID[$n]}" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$T" ] && [ -d "$T" ] && [ -z "$IT_KEEP" ]; then
		rm -rf "$T"
	fi
}

it_init() {
	IT_NAME=$1
	[ -x "$MTORRENT" ] || skip "no binary at $MTORRENT"
	[ -x "$CLIENT" ] || skip "no test client at $CLIENT"
	T=$(mktemp -d "${TMPDIR:-/tmp}/mt-$1.XXXXXX") || exit 99
	trap it_cleanup EXIT
	trap 'exit 1' INT TERM
	export XDG_STATE_HOME="$T/xdg"
	export LC_ALL=C LANGUAGE=
}

pick_port() {
	local p i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		# Below the kernel's ephemeral range (32768-60999).
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		if ! (exec 9<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# Reserve ports for trackers named in "$@" before any starts, so that
# each can be given the others as partners.
trk_ports() {
	local n
	for n in "$@"; do
		PORT[$n]=$(pick_port) || fail "no free port"
		ADDR[$n]=127.0.0.1:${PORT[$n]}
	done
}

trk_start() {
	local n=$1 i
	shift
	[ -n "${PORT[$n]}" ] || trk_ports "$n"
	mkdir -p "$T/$n"
	: >"$T/$n/out"
	"$MTORRENT" --tracker --listen "${ADDR[$n]}" --state "$T/$n/state" \
	    --log "$T/$n/log" -v "$@" >"$T/$n/out" 2>"$T/$n/err" &
	TPID[$n]=$!
	for i in $(seq 100); do
		grep -q '^listening ' "$T/$n/out" && break
		kill -0 "${TPID[$n]}" 2>/dev/null ||
		    fail "tracker $n exited at start"
		sleep 0.1
	done
	grep -q '^listening ' "$T/$n/out" || fail "tracker $n did not start"
	FPR[$n]=$(sed -n 's/^fingerprint SHA256:\([0-9a-f]*\)$/\1/p' \
	    "$T/$n/out")
	[ ${#FPR[$n]} -eq 64 ] || fail "tracker $n: bad fingerprint line"
}

trk_kill9() {
	kill -9 "${TPID[$1]}" 2>/dev/null
	wait "${TPID[$1]}" 2>/dev/null
	TPID[$1]=
}

trk_stop() {
	local pid=${TPID[$1]} i rc
	kill -TERM "$pid" || fail "tracker $1 not running"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && fail "tracker $1 did not stop in 10 s"
	wait "$pid"
	rc=$?
	TPID[$1]=
	[ $rc -eq 0 ] || fail "tracker $1 exited with $rc after SIGTERM"
}

req() {
	local n=$1
	shift
	OUT=$("$CLIENT" -k "$T/known" "${ADDR[$n]}" "$@" 2>&1)
	RC=$?
	return $RC
}

# expect_err CODE-NAME: the last req got an error reply with that code.
expect_err() {
	[ "$RC" -eq 1 ] || fail "expected an error reply ($1), status $RC"
	check_out "^error $1 "
}

check_out() {
	printf '%s\n' "$OUT" | grep -Eq "$1" || fail "expected /$1/"
}

wait_for() {
	local secs=$1 i
	shift
	for i in $(seq $((secs * 10))); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# A made-up file: sets FID and PIECES (hex) for NPIECES pieces of seed $1.
mkfile() {
	read -r FID PIECES < <("$CLIENT" fileid "$1" "${2:-2}")
}

# seeders_has N FID ADDR: tracker N lists seeder ADDR for FID (asked
# with the token in $TOKEN, anonymous if unset).
seeders_has() {
	req "$1" seeders "${TOKEN:-}" "$2" && printf '%s\n' "$OUT" |
	    grep -qx "seeders $3"
}

seeders_lacks() {
	req "$1" seeders "${TOKEN:-}" "$2" && ! printf '%s\n' "$OUT" |
	    grep -qx "seeders $3"
}
