#!/bin/sh
# tui-keys.sh: the dashboard as a person drives it, in tmux.
#
# One peer with an embedded tracker.  Checks the layout line by line at
# 100x30, the help overlay opening and closing, a typo's error shown on
# the message line without breaking the layout, a resize to 60x20 (and
# below the minimum, and back) redrawing a correct screen, and q quitting
# at once when nothing is transferring.
. "${top_srcdir:-$(dirname "$0")/..}/tests/tui-lib.sh"
tui_init

MTORRENT=${MTORRENT:-$(pwd)/src/mtorrent}
[ -x "$MTORRENT" ] || fail "no binary at $MTORRENT"
mkdir -p "$TUI_TMP/p" "$TUI_TMP/xdg"
cd "$TUI_TMP/p" || exit 1

W=100 H=30
tui_start p $W $H env LC_ALL=C.UTF-8 LANGUAGE= XDG_STATE_HOME="$TUI_TMP/xdg" \
    "$MTORRENT" -s "$TUI_TMP/p/state" -l 127.0.0.1:0 \
    --embedded-tracker=127.0.0.1:0 --log "$TUI_TMP/p/log"

# check_layout W H: status on row 1, the queue title on row 2, the four
# pane titles in order, the hint bar on the last row.
check_layout() {
	w=$1 h=$2
	tui_wait p '^Peer 127\.0\.0\.1:[0-9]+ ' || fail "no status line"
	tui_row p 1 | grep -Eq '^Peer 127\.0\.0\.1:[0-9]+ \| ' ||
	    fail "row 1 is not the status line"
	# (That the tracker is marked embedded: tests/tui-embedded.sh.)
	tui_row p 2 | grep -Eq '^Trackers: 127\.0\.0\.1:[0-9]+ \[' ||
	    fail "row 2 is not the tracker line"
	tui_row p 3 | grep -Eq '^─ Downloads ' || fail "row 3 is not the queue"
	q=$(tui_line p '^─ Downloads ')
	pc=$(tui_line p '^─ Pieces')
	pe=$(tui_line p '^─ Peers')
	lg=$(tui_line p '^─ Log')
	[ -n "$pc" ] && [ -n "$pe" ] && [ -n "$lg" ] || fail "a pane is missing"
	[ "$q" -lt "$pc" ] && [ "$pc" -lt "$pe" ] && [ "$pe" -lt "$lg" ] ||
	    fail "panes out of order: $q $pc $pe $lg"
	tui_row p "$h" | grep -q '? help' || fail "row $h is not the hint bar"
	n=$(tui_screen p | wc -l)
	[ "$n" -eq "$h" ] || fail "screen has $n rows, wanted $h"
	# No line wider than the terminal (capture-pane would wrap none, but
	# a miscounted wide character shows as a shifted hint bar).
	mw=$(tui_screen p | LC_ALL=C.UTF-8 wc -L)
	[ "$mw" -le "$w" ] || fail "a line is $mw cells wide, more than $w"
}

check_layout $W $H
# The empty queue explains what to do.
tui_wait p 'Nothing shared or downloading yet' || fail "no empty-queue hint"

# Help: ? opens an overlay listing keys and commands; Escape closes it.
tui_keys p '?'
tui_wait p '│ Keys' 5 || fail "help overlay did not open"
tui_wait p 'share PATH NAME\.mtorrent' 5 || fail "help lacks share"
tui_wait p 'get FILE\.mtorrent DEST' 5 || fail "help lacks get"
tui_row p $H | grep -q 'close' || fail "hint bar does not say how to close"
tui_keys p Escape
tui_wait_gone p '│ Keys' 5 || fail "help overlay did not close"
check_layout $W $H
# And ? toggles it too.
tui_keys p '?'
tui_wait p '│ Keys' 5 || fail "help did not open again"
tui_keys p '?'
tui_wait_gone p '│ Keys' 5 || fail "? did not close the help"

# A typo: the error appears on the message line (row H-1), in place.
tui_keys p ':'
tui_wait p '^:' 5 || fail "no prompt after :"
tui_type p 'gett foo'
tui_wait p '^:gett foo' 5 || fail "typed text not shown"
tui_keys p Enter
tui_wait p '^error usage: unknown command gett' 10 ||
    fail "typo error not shown"
tui_row p $((H - 1)) | grep -q '^error usage: unknown command gett' ||
    fail "the error is not on row $((H - 1))"
check_layout $W $H
# A wrong argument count shows the command's usage.
tui_keys p ':'
tui_type p 'get onlyone.mtorrent'
tui_keys p Enter
tui_wait p '^error usage: get FILE\.mtorrent DEST' 10 ||
    fail "usage error not shown"
# A password is never shown: masked while typed, hidden in the log.
tui_keys p ':'
tui_type p 'login alice s3cretpw'
tui_wait p '^:login alice \*{8}' 5 || fail "password not masked in the prompt"
tui_screen p | grep -q 's3cretpw' && fail "password shown while typed"
tui_keys p Enter
tui_wait p '> login alice \*\*\*' 10 || fail "login not echoed masked"
# (No such user on this tracker: wait for that answer.)
tui_wait p '^error auth' 15 || fail "login got no answer"
tui_screen p | grep -q 's3cretpw' && fail "password shown in the log pane"
grep -q 's3cretpw' "$TUI_TMP/p/log" && fail "password in the log file"
# Typing a command without ':' says how.
tui_keys p x
tui_wait p '^Press : to type a command' 5 || fail "no hint for a stray key"
# History: Up brings the last line back.
tui_keys p ':' Up
tui_wait p '^:get onlyone\.mtorrent' 5 || fail "history Up"
tui_keys p Escape
tui_wait_gone p '^:get' 5 || fail "Escape did not leave the prompt"

# Resize to 60x20: a complete, correct screen at the new size.
tui_resize p 60 20
tui_wait p '^Peer 127' 5 || fail "no redraw at 60x20"
sleep 0.3
check_layout 60 20
# Below the minimum: it says so instead of drawing garbage.
tui_resize p 50 10
tui_wait p 'Terminal too small: 50x10' 5 || fail "no too-small message"
# And back to the original size.
tui_resize p $W $H
tui_wait_gone p 'Terminal too small' 5 || fail "too-small message stuck"
sleep 0.3
check_layout $W $H

# Tab moves the focus: the hint bar changes with the pane.
tui_keys p Tab
tui_wait p 'j/k select file' 5 || fail "Tab did not focus the piece map"
tui_keys p Tab Tab
tui_wait p 'G newest' 5 || fail "Tab did not reach the log pane"
tui_keys p Tab
tui_wait p 'd remove' 5 || fail "Tab did not cycle back to the queue"

# At idle the dashboard sleeps: under 0.1 s of CPU in 3 s (Linux /proc).
pid=$(tui_pid p)
if [ -r "/proc/$pid/stat" ]; then
	cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
	sleep 1
	c0=$(cpu)
	sleep 3
	c1=$(cpu)
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	[ $(( (c1 - c0) * 100 / hz )) -le 10 ] ||
	    fail "idle dashboard used $((c1 - c0)) ticks in 3 s"
fi

# Colours: there are some now; none with NO_COLOR, where a C locale also
# gets ASCII rules instead of box drawing.
sgr_colour='\[([0-9;]*;)?(3[0-7]|4[0-7]|38|48|9[0-7])(;[0-9;]*)?m'
tui_tmux capture-pane -e -p -t '=p:' | grep -Eq "$sgr_colour" ||
    fail "no colour on a colour terminal"
tui_start mono 80 24 env LC_ALL=C LANGUAGE= NO_COLOR=1 \
    XDG_STATE_HOME="$TUI_TMP/xdg" "$MTORRENT" -s "$TUI_TMP/p/state2" \
    -l 127.0.0.1:0 --embedded-tracker=127.0.0.1:0 --log "$TUI_TMP/p/log2"
tui_wait mono '^- Downloads -' 20 || fail "no ASCII rules in the C locale"
tui_screen mono | LC_ALL=C grep -q '[^ -~]' &&
    fail "non-ASCII output in the C locale"
tui_tmux capture-pane -e -p -t '=mono:' | grep -Eq "$sgr_colour" &&
    fail "colour despite NO_COLOR"
tui_keys mono q
tui_exited mono 15 || fail "q did not quit the second peer"

# Nothing transfers: q quits at once, without asking.
tui_keys p q
tui_exited p 15 || fail "q did not quit"
[ "$(tui_status p)" = 0 ] || fail "exit status $(tui_status p)"
echo "tui-keys: ok"
