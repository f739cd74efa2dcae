#!/bin/bash
# it-batch-basic.sh: the peer's command line and --batch front end with
# the embedded tracker: share in one peer, get in another, cmp; usage
# errors as one "error usage:" line; help; --exit-when-done; quit.
. "${top_srcdir:-$(dirname "$0")/..}/tests/it-batch-lib.sh"
it_init batch-basic

# Options: --help is 0, a bad option or value is 2 (usage on stderr).
"$MTORRENT" --batch --help >"$T/help.out" 2>&1 || fail "--help status $?"
grep -q -- '--state-dir' "$T/help.out" || fail "--help lacks --state-dir"
for bad in "--bogus" "--workers=0" "--workers=x" "-l nocolon" \
    "-t 127.0.0.1:99999" "--exit-when-done" "a:1 b:2 c:3 log extra" \
    "--congestion=Reno" "--congestion=" "--congestion=a/b"; do
	# shellcheck disable=SC2086
	"$MTORRENT" $bad </dev/null >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	[ $rc -eq 2 ] || fail "'$bad' exited $rc, wanted 2"
	[ -s "$T/bad.err" ] || fail "'$bad' printed no usage"
	[ -s "$T/bad.out" ] && fail "'$bad' wrote to stdout"
done

# A congestion control the kernel does not offer: the peer does not
# start (status 1) and says which one and where to look.
timeout 30 "$MTORRENT" --batch --congestion=nosuchcc -s "$T/cc" \
    -l 127.0.0.1:0 --embedded-tracker=127.0.0.1:0 </dev/null \
    >"$T/cc.out" 2>"$T/cc.err"
rc=$?
[ $rc -eq 1 ] || fail "--congestion=nosuchcc exited $rc"
grep -q 'congestion control "nosuchcc" not available' "$T/cc.err" ||
    fail "--congestion=nosuchcc: $(cat "$T/cc.err")"

# No downloads and --exit-when-done: prints ready and exits 0 at EOF.
out=$(timeout 30 "$MTORRENT" --batch --exit-when-done -s "$T/empty" \
    -l 127.0.0.1:0 --embedded-tracker=127.0.0.1:0 </dev/null 2>"$T/e.err")
rc=$?
[ $rc -eq 0 ] || fail "empty --exit-when-done exited $rc: $(cat "$T/e.err")"
case $out in
"ok ready listen=127.0.0.1:"*" embedded_tracker=127.0.0.1:"*) ;;
*) fail "ready line: $out" ;;
esac

# Malformed input: one usage line each, the next line still runs; quit
# stops reading.
mkdir -p "$T/lines"
{ head -c 5000 /dev/zero | tr '\0' a
  printf '\nshow downloads\nget "x\nget a\\\n\n  quit  \nhelp\n'
} | (cd "$T/lines" && timeout 30 "$MTORRENT" --batch -s "$T/lines/st" \
    -l 127.0.0.1:0 --embedded-tracker=127.0.0.1:0 >"$T/lines/out" \
    2>"$T/lines.err")
rc=$?
[ $rc -eq 0 ] || fail "malformed input: exit status $rc"
# Only the stable words: status and code (or command name).
sed 1d "$T/lines/out" | awk '{ print $1, $2 }' >"$T/lines/got"
printf '%s\n' "error usage:" "ok show_downloads" "error usage:" \
    "error usage:" "ok quit" >"$T/lines/want"
cmp "$T/lines/want" "$T/lines/got" || fail "malformed input: $(cat "$T/lines/got")"

make_file "$T/data.bin" 6
printf 'small text\n' >"$T/small name.txt"

# The seeder runs the embedded tracker (no -t given at all).
peer_start seed --embedded-tracker=127.0.0.1:0
TRK=$(echo "$LAST" | sed -n 's/.*embedded_tracker=\([^ ]*\).*/\1/p')
[ -n "$TRK" ] || fail "no embedded tracker address in: $LAST"
note "embedded tracker at $TRK"

must seed "share $T/data.bin data.mtorrent" 60
[[ $LAST =~ ^ok\ share\ data\.mtorrent\ id=[0-9a-f]{40}$ ]] ||
    fail "share line: $LAST"
[ -f "$T/seed/data.mtorrent" ] || fail "no .mtorrent written"
# A name with a blank, and the suffix added for us.
must seed "share \"$T/small name.txt\" small"
[[ $LAST =~ ^ok\ share\ small\.mtorrent\ id= ]] || fail "share: $LAST"
# Sharing the same file again keeps its .mtorrent; another file may not
# take it over.
must seed "share $T/data.bin data.mtorrent" 60
cp "$T/seed/data.mtorrent" "$T/data.mtorrent.before"
must_fail seed "share \"$T/small name.txt\" data.mtorrent" exists
cmp "$T/seed/data.mtorrent" "$T/data.mtorrent.before" ||
    fail "share replaced another file's .mtorrent"

# Usage errors: exactly one line each, the stable code first.
must_fail seed "frobnicate" usage
must_fail seed "get onlyone.mtorrent" usage
[ "$LAST" = "error usage: get FILE.mtorrent DEST" ] || fail "usage: $LAST"
must_fail seed "share \"unterminated" usage
must_fail seed "show" usage
peer_cmd seed "get $T/nonexistent.mtorrent $T"
[[ $LAST =~ ^error\ (not-found|io):\  ]] || fail "missing .mtorrent: $LAST"
must seed "help"
n=$(peer_data seed | wc -l)
[ "$n" -ge 19 ] || fail "help printed $n lines"
[ "$LAST" = "ok help count=$n" ] || fail "help status: $LAST"
must seed "help show downloads"

# The seeder lists both files as [S].
show_line seed data.bin
line=$SHOW
[[ $line =~ ^\[S\]\ data\.bin\ 100%\ ([0-9]+)/([0-9]+)\ pieces ]] ||
    fail "seeder line: $line"
[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "seeder: $line"
peer_data seed | grep -q '^\[S\] "small name.txt" 100% ' ||
    fail "no quoted name line"

# The leecher names the tracker; get returns at once, wait waits.
peer_start leech -t "$TRK"
must leech "get $T/seed/data.mtorrent $T/leech/data.bin"
[ "$LAST" = "ok get $T/seed/data.mtorrent dest=$T/leech/data.bin" ] ||
    fail "get line: $LAST"
must leech "get $T/seed/small.mtorrent $T/leech"
must leech "wait 120" 130
[ "$LAST" = "ok wait done=2 failed=0" ] || fail "wait: $LAST"
# The same file again, elsewhere: refused, and nothing left behind.
mkdir "$T/leech2"
must_fail leech "get $T/seed/data.mtorrent $T/leech2" exists
[ -z "$(ls -A "$T/leech2")" ] || fail "refused get left: $(ls -A "$T/leech2")"
cmp "$T/data.bin" "$T/leech/data.bin" || fail "data.bin differs"
cmp "$T/small name.txt" "$T/leech/small name.txt" ||
    fail "a directory DEST did not receive the file under its name"
show_line leech data.bin
line=$SHOW
[[ $line =~ ^\[S\]\ data\.bin\ 100%\  ]] || fail "leecher line: $line"

# A script-style leecher: commands on a pipe, exits when done.
mkdir -p "$T/pipe"
printf 'get %s %s\nshow downloads\n' "$T/seed/data.mtorrent" \
    "$T/pipe/" | (cd "$T/pipe" && timeout 120 "$MTORRENT" --batch \
    --exit-when-done -s "$T/pipe/state" -l 127.0.0.1:0 -t "$TRK" \
    >"$T/pipe/out" 2>"$T/pipe/err")
rc=$?
[ $rc -eq 0 ] || fail "--exit-when-done leecher exited $rc"
cmp "$T/data.bin" "$T/pipe/data.bin" || fail "pipe leecher: data differs"
grep -q '^ok get ' "$T/pipe/out" || fail "pipe leecher: no ok get"

# quit ends the process with 0; SIGTERM ends a seeder cleanly.
pid=${PEER_PID[leech]}
must leech "quit"
n=100
while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do
	sleep 0.1
	n=$((n - 1))
done
kill -0 "$pid" 2>/dev/null && fail "quit did not end the peer"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "quit: exit status $rc"
PEER_PID[leech]=

# remove deletes the .mtorrent it is given (here a second one of the
# same file), not the one the file was first shared as.
must seed "share $T/data.bin again.mtorrent" 60
must seed "remove again.mtorrent"
[ -e "$T/seed/again.mtorrent" ] && fail "remove kept the .mtorrent it named"
[ -e "$T/seed/data.mtorrent" ] || fail "remove deleted another .mtorrent"
peer_stop seed
it_done
