#!/bin/sh
# layering.sh: the core never touches the terminal UI.
#
# src/core (libmtcore.a) must not include <curses.h> (or any ncurses
# header) nor a src/tui header, and must not call curses; and outside
# src/tui no front-end file includes curses either: the dashboard is the
# only code that draws.  Fails the suite, listing each offending line.
top_srcdir=${top_srcdir:-$(dirname "$0")/..}
src="$top_srcdir/src"
fail=0

if [ ! -d "$src/core" ]; then
	echo "layering: $src/core not found"
	exit 1
fi

report() {
	# $1 = what is wrong, $2 = the offending lines (none: nothing wrong)
	[ -n "$2" ] || return 0
	printf '%s\n' "$2" | sed "s|^|layering: $1: |"
	fail=1
}

curses_h='#[[:space:]]*include[[:space:]]*[<"]([a-z]*/)?(n?cursesw?|term|panel|menu|form|termcap|unctrl)\.h[>"]'
tui_h='#[[:space:]]*include[[:space:]]*"([./]*|.*/)?(tui/)?tui[-a-z]*\.h"'
curses_calls='(^|[^a-z_])(initscr|newterm|endwin|delscreen|wrefresh|wnoutrefresh|doupdate|wgetch|wget_wch|mvwaddstr|waddstr|start_color|keypad|cbreak|resizeterm)[[:space:]]*\('

# Core: no curses header, no tui header, no curses call.
out=$(grep -rnE "$curses_h" "$src/core" 2>/dev/null)
report "core includes curses" "$out"
out=$(grep -rnE "$tui_h" "$src/core" 2>/dev/null)
report "core includes a tui header" "$out"
out=$(grep -rnE "$curses_calls" "$src/core" --include='*.c' \
    --include='*.h' 2>/dev/null | grep -vE ':[[:space:]]*(/?\*|//)')
report "core calls curses" "$out"

# Front ends outside src/tui: no curses header either (they call tui_run()).
for f in "$src"/*.c "$src"/*.h; do
	[ -f "$f" ] || continue
	out=$(grep -nE "$curses_h" "$f" | sed "s|^|$f:|")
	report "only src/tui may include curses" "$out"
done

# The rule must be able to fail: check the patterns on known lines.
printf '#include <curses.h>\n#include <ncursesw/curses.h>\n' |
    grep -cE "$curses_h" | grep -qx 2 || {
	echo "layering: the curses pattern is broken"; fail=1; }
printf '#include "tui/tui.h"\n#include "tui-int.h"\n' |
    grep -cE "$tui_h" | grep -qx 2 || {
	echo "layering: the tui pattern is broken"; fail=1; }

[ "$fail" -eq 0 ] && echo "layering: ok"
exit "$fail"
