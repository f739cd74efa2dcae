# tui-lib.sh: drive the dashboard in tmux (sourced by tests/tui-*.sh).
#
# Each test gets its own tmux server (-L with a name unique to the test's
# PID) and temporary directory; tui_cleanup, run on exit, kills every
# process the test started by PID, then that server.  Screens are read
# with capture-pane; every wait has a deadline.  Tests skip (77) only when
# tmux is missing.
#
#   tui_init                       set up, or exit 77 without tmux
#   tui_start NAME W H CMD...      run CMD in a new W x H tmux session
#   tui_keys NAME KEY...           tmux key names (Enter, Escape, Up, C-c)
#   tui_type NAME TEXT             literal text
#   tui_screen NAME                print the screen
#   tui_wait NAME ERE [SECS]       wait until a line matches ERE
#   tui_wait_gone NAME ERE [SECS]  wait until no line matches ERE
#   tui_line NAME ERE              print the first line number matching
#   tui_row NAME N                 print row N (1-based)
#   tui_resize NAME W H            resize the window
#   tui_exited NAME [SECS]         wait until the program in NAME exited
#   tui_pid NAME                   the PID of the program in NAME
#   tui_status NAME                its exit status
#   tui_bg CMD...                  start a background process (killed later)
#   fail MSG                       print MSG and the screens, exit 1

TUI_TIMEOUT=${TUI_TIMEOUT:-20}

tui_init() {
	if ! command -v tmux >/dev/null 2>&1; then
		echo "SKIP: tmux is not installed"
		exit 77
	fi
	TUI_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mt-tui.XXXXXX") || exit 1
	TUI_SOCK="mt-tui-$$"
	TUI_PIDS=""
	TUI_SESSIONS=""
	# The tmux server puts its socket under TMUX_TMPDIR.
	TMUX_TMPDIR="$TUI_TMP"
	export TMUX_TMPDIR
	unset TMUX
	trap tui_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

tui_tmux() {
	tmux -L "$TUI_SOCK" -f /dev/null "$@"
}

tui_cleanup() {
	rc=$?
	for s in $TUI_SESSIONS; do
		p=$(tui_pid "$s")
		[ -n "$p" ] && TUI_PIDS="$TUI_PIDS $p"
	done
	for p in $TUI_PIDS; do
		kill "$p" 2>/dev/null
	done
	# Give them a moment to say bye to the tracker, then insist.
	i=0
	while [ $i -lt 30 ]; do
		alive=0
		for p in $TUI_PIDS; do
			kill -0 "$p" 2>/dev/null && alive=1
		done
		[ $alive -eq 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $TUI_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	tui_tmux kill-server 2>/dev/null
	if [ $rc -ne 0 ] && [ -n "$TUI_KEEP" ]; then
		echo "kept $TUI_TMP"
	else
		rm -rf "$TUI_TMP"
	fi
	exit $rc
}

# tui_quote ARG: ARG as one single-quoted shell word.
tui_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# Targets are written "=NAME:" (an exact session name): a bare "b" may
# resolve to a window or pane of another session.
#
# tui_start NAME W H CMD...: run CMD (its words kept as they are) in a new
# session, under a shell that records its exit status (tmux's own
# pane_dead_status can lag: the pane dies at EOF on the tty, before the
# child is reaped); the pane stays after CMD exits, so its last screen can
# be read.  TERM is tmux-256color (set by tmux).
tui_start() {
	name=$1 w=$2 h=$3
	shift 3
	rm -f "$TUI_TMP/$name.status"
	cmd=""
	for a in "$@"; do
		cmd="$cmd $(tui_quote "$a")"
	done
	cmd="$cmd; echo \$? >$(tui_quote "$TUI_TMP/$name.status")"
	tui_tmux start-server \; set-option -g exit-empty off \; \
	    set-option -g remain-on-exit on \; \
	    set-option -g default-terminal tmux-256color \; \
	    new-session -d -s "$name" -x "$w" -y "$h" "$cmd" ||
	    fail "tmux new-session failed"
	TUI_SESSIONS="$TUI_SESSIONS $name"
}

# The PID of the program in NAME (the child of the pane's shell).
tui_pid() {
	sh_pid=$(tui_tmux display-message -p -t "=$1:" '#{pane_pid}' \
	    2>/dev/null)
	[ -n "$sh_pid" ] && ps -o pid= --ppid "$sh_pid" | tr -d ' ' | head -n 1
}

tui_keys() {
	name=$1
	shift
	tui_tmux send-keys -t "=$name:" "$@"
}

tui_type() {
	tui_tmux send-keys -t "=$1:" -l "$2"
}

tui_screen() {
	tui_tmux capture-pane -p -t "=$1:" 2>/dev/null
}

# Wait (at most SECS, default TUI_TIMEOUT) for a screen line matching ERE.
tui_wait() {
	name=$1 ere=$2 secs=${3:-$TUI_TIMEOUT}
	end=$(($(date +%s) + secs))
	while :; do
		if tui_screen "$name" | grep -Eq -- "$ere"; then
			return 0
		fi
		[ "$(date +%s)" -ge "$end" ] && break
		sleep 0.1
	done
	echo "timeout after ${secs}s waiting for /$ere/ on $name; screen:"
	tui_screen "$name" | sed 's/^/| /'
	return 1
}

tui_wait_gone() {
	name=$1 ere=$2 secs=${3:-$TUI_TIMEOUT}
	end=$(($(date +%s) + secs))
	while :; do
		if ! tui_screen "$name" | grep -Eq -- "$ere"; then
			return 0
		fi
		[ "$(date +%s)" -ge "$end" ] && break
		sleep 0.1
	done
	echo "timeout after ${secs}s waiting for /$ere/ to go on $name:"
	tui_screen "$name" | sed 's/^/| /'
	return 1
}

tui_line() {
	tui_screen "$1" | grep -nE -- "$2" | head -n 1 | cut -d: -f1
}

tui_row() {
	tui_screen "$1" | sed -n "${2}p"
}

tui_resize() {
	tui_tmux resize-window -t "=$1:" -x "$2" -y "$3"
}

# Has the program in NAME exited?  Waits up to SECS.
tui_exited() {
	name=$1 secs=${2:-$TUI_TIMEOUT}
	end=$(($(date +%s) + secs))
	while :; do
		[ -s "$TUI_TMP/$name.status" ] && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# The exit status of the program in NAME (once tui_exited).
tui_status() {
	cat "$TUI_TMP/$1.status" 2>/dev/null
}

tui_bg() {
	"$@" &
	TUI_PIDS="$TUI_PIDS $!"
}

fail() {
	echo "FAIL: $*"
	tui_tmux list-panes -a -F \
	    '#{session_name}: pid #{pane_pid} dead #{pane_dead} status #{pane_dead_status} signal #{pane_dead_signal}' \
	    2>/dev/null | sed 's/^/# /'
	for s in $TUI_SESSIONS; do
		echo "--- screen of $s:"
		tui_screen "$s" 2>/dev/null | sed 's/^/| /'
	done
	exit 1
}
