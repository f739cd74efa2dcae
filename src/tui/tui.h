/*
 * tui.h: the full-screen dashboard of a peer.
 *
 * The only front-end code that uses curses.  It sees the engine through
 * engine_snapshot() and engine_event_fd() only, and runs every command
 * through the shared command table (cmd.h), so the dashboard and --batch
 * can not drift apart.
 */
#ifndef MT_TUI_H
#define MT_TUI_H

struct engine;

struct tui_options {
	int	ascii;		/* ASCII glyphs even in a UTF-8 locale */
	int	no_color;	/* no colours (NO_COLOR in the environment
				   has the same effect) */
};

/*
 * Run the dashboard on the controlling terminal (stdin/stdout) until the
 * user quits (q, or the quit command) or SIGTERM/SIGHUP arrives; SIGINT
 * asks like q.  While it runs, log lines are kept off stderr
 * (log_set_stderr_muted()) and shown in the log pane.  Does not stop the
 * engine: the caller does.  Call from the main thread, once the engine is
 * started; the caller's handlers for SIGINT, SIGTERM, SIGHUP and SIGWINCH
 * are restored on return.  Returns 0 after a normal quit, 1 if stdin or
 * stdout is not a terminal or curses cannot start (logged at warn level;
 * the caller tells the person).
 */
int	tui_run(struct engine *e, const struct tui_options *o);

#endif /* MT_TUI_H */
