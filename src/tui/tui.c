/*
 * tui.c: the dashboard's loop, keys and commands.
 *
 * One thread (the caller's) owns curses.  It sleeps in poll() on the
 * terminal, the engine's event fd, a self-pipe written by the signal
 * handlers (SIGWINCH, SIGINT, SIGTERM, SIGHUP) and the command thread's
 * pipe, with a one-second timer for rates and the log pane; nothing
 * spins.  An engine event or the timer takes a snapshot (at most ten a
 * second), which marks the panes dirty; tui-draw.c redraws only those.
 *
 * Commands typed at the prompt run on a short-lived command thread
 * through the shared command table (cmd_run()), so a `share` that hashes
 * a big file never freezes the screen; its output lines come back
 * through a mutex-protected list and a byte on a pipe.  One command runs
 * at a time.  Commands flagged CMD_DESTRUCTIVE ask y/n first.
 *
 * Keys: a global key -> action table, then the focused pane's keys; the
 * help overlay is generated from both tables and from cmd_table.
 */
#include "config.h"

#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wctype.h>

#include "cmd.h"
#include "engine.h"
#include "i18n.h"
#include "log.h"
#include "snapshot.h"
#include "tui-int.h"
#include "tui-prompt.h"
#include "xmalloc.h"

#define TUI_SNAP_MIN_MS		100	/* at most ten snapshots a second */
#define TUI_TICK_MS		1000
#define TUI_RATE_TAU_S		8.0	/* ETA rate smoothing */

enum confirm_kind {
	CONFIRM_NONE = 0,
	CONFIRM_QUIT,
	CONFIRM_RUN
};

/* The command thread's job; lock guards the fields marked so. */
struct tui_job {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	int		 active;	/* UI thread only: thread not joined */
	char		 line[CMD_LINE_MAX + 1];
	struct engine	*engine;
	int		 wake_fd;
	char		**out;		/* lock */
	int		*out_err;	/* lock */
	size_t		 nout;		/* lock */
	size_t		 shown;		/* UI thread: lines already taken */
	int		 done;		/* lock */
	int		 quit;		/* lock; the command was quit */
};

struct tui {
	struct tui_view		 v;
	struct engine		*e;
	struct snapshot		 snap;
	int			 have_snap;
	double			*rates;
	char			(*rate_ids)[41];
	size_t			 nrates;
	uint64_t		 last_snap_ms;
	uint64_t		 log_seq;
	size_t			 last_nq, last_np;
	struct tui_history	 hist;
	struct tui_job		 job;
	int			 job_pipe[2];
	enum confirm_kind	 confirm;
	char			 confirm_line[CMD_LINE_MAX + 1];
	int			 quit;
	int			 closing;	/* waiting for a command */
	WINDOW			*inwin;
	char			**help;
	size_t			 nhelp;
};

struct tui_key {
	int		 is_key;	/* code is a KEY_* value */
	wint_t		 code;
	const char	*label;		/* for the help overlay; NULL = same
					   action as the row above */
	const char	*help;
	void		(*fn)(struct tui *);
};

static int	sig_pipe[2] = { -1, -1 };	/* signal -> loop */
static volatile sig_atomic_t curses_up;	/* for tui_atexit() */

static void	sig_handler(int);
static uint64_t	now_ms(void);
static void	take_snapshot(struct tui *);
static void	read_log(struct tui *);
static void	job_start(struct tui *, const char *);
static void	job_collect(struct tui *);
static void	run_line(struct tui *, const char *);
static void	key_help(struct tui *);
static void	key_quit(struct tui *);
static void	key_next_pane(struct tui *);
static void	key_prev_pane(struct tui *);
static void	key_prompt(struct tui *);
static void	key_redraw(struct tui *);
static void	key_down(struct tui *);
static void	key_up(struct tui *);
static void	key_page_down(struct tui *);
static void	key_page_up(struct tui *);
static void	key_top(struct tui *);
static void	key_bottom(struct tui *);
static void	key_remove(struct tui *);

static const struct tui_key global_keys[] = {
	{ 0, L'?', "?", N_("show or hide this help"), key_help },
	{ 1, KEY_F(1), NULL, NULL, key_help },
	{ 0, L'q', "q", N_("quit (asks first while transfers run)"),
	    key_quit },
	{ 0, L'\t', N_("Tab, Shift-Tab"),
	    N_("move between panes"), key_next_pane },
	{ 1, KEY_BTAB, NULL, NULL, key_prev_pane },
	{ 0, L':', ":", N_("type a command (Enter runs it, Esc "
	    "cancels)"), key_prompt },
	{ 0, 0x0c, N_("Ctrl-L"), N_("redraw the screen"), key_redraw },
	{ 0, L'j', N_("j, Down"), N_("next file, or scroll down"), key_down },
	{ 1, KEY_DOWN, NULL, NULL, key_down },
	{ 0, L'k', N_("k, Up"), N_("previous file, or scroll up"), key_up },
	{ 1, KEY_UP, NULL, NULL, key_up },
	{ 1, KEY_NPAGE, N_("PgDn, PgUp"), N_("page down or up"),
	    key_page_down },
	{ 1, KEY_PPAGE, NULL, NULL, key_page_up },
	{ 0, L'g', N_("g, Home"), N_("first file, or oldest log line"),
	    key_top },
	{ 1, KEY_HOME, NULL, NULL, key_top },
	{ 0, L'G', N_("G, End"), N_("last file, or newest log line"),
	    key_bottom },
	{ 1, KEY_END, NULL, NULL, key_bottom },
	{ 0, L'd', N_("d, Delete"), N_("remove the selected file (asks "
	    "first; the data stays)"), key_remove },
	{ 1, KEY_DC, NULL, NULL, key_remove },
};

static void
sig_handler(int sig)
{
	unsigned char	b = (unsigned char)sig;
	int		saved = errno;

	if (sig_pipe[1] != -1)
		(void)write(sig_pipe[1], &b, 1);
	errno = saved;
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Mark the panes that show engine state. */
static void
dirty_engine(struct tui *t)
{
	t->v.dirty |= 1u << TUI_R_STATUS | 1u << TUI_R_QUEUE |
	    1u << TUI_R_PIECES | 1u << TUI_R_PEERS;
}

/*
 * Replace the snapshot, keep the selection on the same file, and update
 * the smoothed rates the ETA uses.
 */
static void
take_snapshot(struct tui *t)
{
	struct snapshot	 s;
	char		 sel_id[41] = "";
	double		*rates;
	char		(*ids)[41];
	uint64_t	 now = now_ms();
	double		 dt;
	size_t		 i, k, np = 0;
	int		 same;

	if (t->have_snap && t->v.sel < t->snap.ntorrents)
		memcpy(sel_id, t->snap.torrents[t->v.sel].file_id, 41);
	memset(&s, 0, sizeof s);
	engine_snapshot(t->e, &s);
	dt = t->last_snap_ms > 0 ? (double)(now - t->last_snap_ms) / 1000.0 :
	    0.0;
	t->last_snap_ms = now;

	rates = xcalloc(s.ntorrents > 0 ? s.ntorrents : 1, sizeof *rates);
	ids = xcalloc(s.ntorrents > 0 ? s.ntorrents : 1, sizeof *ids);
	for (i = 0; i < s.ntorrents; i++) {
		double old = -1;

		for (k = 0; k < t->nrates; k++)
			if (strcmp(t->rate_ids[k], s.torrents[i].file_id) == 0)
				old = t->rates[k];
		/*
		 * The average starts with the first byte: the seconds before
		 * it (finding peers) would drag the ETA far past what the
		 * rate beside it says.
		 */
		if (old < 0 && s.torrents[i].down_bps == 0)
			rates[i] = -1;
		else
			rates[i] = tui_rate_smooth(old,
			    (double)s.torrents[i].down_bps, dt,
			    TUI_RATE_TAU_S);
		memcpy(ids[i], s.torrents[i].file_id, 41);
		if (sel_id[0] != '\0' &&
		    strcmp(sel_id, s.torrents[i].file_id) == 0)
			t->v.sel = i;
	}
	free(t->rates);
	free(t->rate_ids);
	t->rates = rates;
	t->rate_ids = ids;
	t->nrates = s.ntorrents;

	/* Unchanged and nothing moving: leave the panes alone. */
	same = t->have_snap && s.gen != 0 && s.gen == t->snap.gen &&
	    s.down_bps == 0 && s.up_bps == 0 && t->snap.down_bps == 0 &&
	    t->snap.up_bps == 0;
	if (t->have_snap)
		snapshot_done(&t->snap);
	t->snap = s;
	t->have_snap = 1;
	t->v.snap = &t->snap;
	t->v.rates = t->rates;
	tui_view_clamp(&t->v);
	if (!same)
		dirty_engine(t);
	/* The layout depends on how many files and peers there are. */
	if (t->v.sel < s.ntorrents)
		np = s.torrents[t->v.sel].npeers;
	if (s.ntorrents != t->last_nq || np != t->last_np) {
		t->last_nq = s.ntorrents;
		t->last_np = np;
		tui_view_resize(&t->v);
	}
}

/* Move new log ring lines into the log pane. */
static void
read_log(struct tui *t)
{
	char		lines[32][LOG_LINE_MAX];
	char		shortline[TUI_LOG_WIDTH];
	size_t		n, i;

	do {
		n = log_ring_read(&t->log_seq, lines, 32);
		for (i = 0; i < n; i++) {
			tui_log_shorten(lines[i], shortline, sizeof shortline);
			tui_view_log_add(&t->v, shortline);
		}
	} while (n == 32);
}

/* The command thread's sink: queue the line, wake the UI. */
static void
job_sink(struct cmd_sink *sink, int is_error, const char *line)
{
	struct tui_job	*j = sink->arg;
	char		 b = 'l';

	pthread_mutex_lock(&j->lock);
	j->out = xreallocarray(j->out, j->nout + 1, sizeof *j->out);
	j->out_err = xreallocarray(j->out_err, j->nout + 1,
	    sizeof *j->out_err);
	j->out[j->nout] = xstrdup(line);
	j->out_err[j->nout] = is_error;
	j->nout++;
	pthread_mutex_unlock(&j->lock);
	(void)write(j->wake_fd, &b, 1);
}

static void *
job_main(void *arg)
{
	struct tui_job	*j = arg;
	struct cmd_sink	 sink = { job_sink, j };
	struct cmd_ctx	 ctx;
	char		 b = 'd';

	log_set_thread_name("tui-cmd");
	memset(&ctx, 0, sizeof ctx);
	ctx.engine = j->engine;
	ctx.sink = &sink;
	cmd_run(&ctx, j->line);
	pthread_mutex_lock(&j->lock);
	j->done = 1;
	j->quit = ctx.quit;
	pthread_mutex_unlock(&j->lock);
	(void)write(j->wake_fd, &b, 1);
	return (NULL);
}

static void
job_start(struct tui *t, const char *line)
{
	struct tui_job	*j = &t->job;
	char		 echo[TUI_LOG_WIDTH], shown[TUI_LOG_WIDTH - 2];
	int		 rc;

	snprintf(j->line, sizeof j->line, "%s", line);
	j->engine = t->e;
	j->wake_fd = t->job_pipe[1];
	j->nout = 0;
	j->shown = 0;
	j->done = 0;
	j->quit = 0;
	/* Never a password in the log pane. */
	if (tui_line_secret(line, shown, sizeof shown))
		snprintf(echo, sizeof echo, "> %s", shown);
	else
		snprintf(echo, sizeof echo, "> %s", line);
	tui_view_log_add(&t->v, echo);
	rc = pthread_create(&j->thread, NULL, job_main, j);
	if (rc != 0) {
		snprintf(t->v.msg, sizeof t->v.msg, _("Cannot run the "
		    "command: %s"), strerror(rc));
		t->v.msg_error = 1;
		t->v.dirty |= 1u << TUI_R_PROMPT;
		return;
	}
	j->active = 1;
	t->v.busy = 1;
	t->v.msg[0] = '\0';
	t->v.dirty |= 1u << TUI_R_PROMPT;
}

/* Free the help/output overlay lines unless they are the help's. */
static void
overlay_clear(struct tui *t)
{
	size_t	i;

	if (t->v.overlay != NULL && t->v.overlay != t->help) {
		for (i = 0; i < t->v.noverlay; i++)
			free(t->v.overlay[i]);
		free(t->v.overlay);
	}
	t->v.overlay = NULL;
	t->v.noverlay = 0;
	t->v.overlay_top = 0;
}

/*
 * Take the command's new output: every line goes to the log pane, the
 * newest to the message line; when it finishes with data lines they open
 * in an overlay, and the status line stays on the message line.
 */
static void
job_collect(struct tui *t)
{
	struct tui_job	*j = &t->job;
	size_t		 i, n;
	int		 done, quit, last_err = 0;
	char		 last[TUI_MSG_MAX] = "";

	if (!j->active)
		return;
	pthread_mutex_lock(&j->lock);
	n = j->nout;
	done = j->done;
	quit = j->quit;
	for (i = j->shown; i < n; i++) {
		tui_view_log_add(&t->v, j->out[i]);
		snprintf(last, sizeof last, "%s", j->out[i]);
		last_err = j->out_err[i];
	}
	pthread_mutex_unlock(&j->lock);
	j->shown = n;
	if (last[0] != '\0') {
		snprintf(t->v.msg, sizeof t->v.msg, "%s", last);
		t->v.msg_error = last_err || strncmp(last, "error ", 6) == 0;
		t->v.dirty |= 1u << TUI_R_PROMPT;
	}
	if (!done)
		return;
	pthread_join(j->thread, NULL);
	j->active = 0;
	t->v.busy = 0;
	t->v.dirty |= 1u << TUI_R_PROMPT;
	if (n > 1 && !t->closing) {
		/* Data lines (all but the status line) in an overlay. */
		overlay_clear(t);
		t->v.overlay = xcalloc(n - 1, sizeof *t->v.overlay);
		for (i = 0; i + 1 < n; i++)
			t->v.overlay[i] = j->out[i];
		free(j->out[n - 1]);
		t->v.noverlay = n - 1;
		t->v.overlay_title = _("Command output");
		t->v.mode = TUI_MODE_OVERLAY;
		t->v.dirty = TUI_DIRTY_ALL;
	} else {
		for (i = 0; i < n; i++)
			free(j->out[i]);
	}
	free(j->out);
	free(j->out_err);
	j->out = NULL;
	j->out_err = NULL;
	j->nout = 0;
	if (quit)
		t->quit = 1;
	/* Show what the command changed at once. */
	take_snapshot(t);
}

/* Are transfers running (downloads unfinished, or uploads moving)? */
static int
transfers_running(struct tui *t)
{
	size_t	i;

	if (engine_active_downloads(t->e) > 0)
		return (1);
	for (i = 0; t->have_snap && i < t->snap.ntorrents; i++)
		if (t->snap.torrents[i].up_bps > 0)
			return (1);
	return (0);
}

static void
ask(struct tui *t, enum confirm_kind kind, const char *line,
    const char *question)
{
	t->confirm = kind;
	snprintf(t->confirm_line, sizeof t->confirm_line, "%s",
	    line != NULL ? line : "");
	snprintf(t->v.question, sizeof t->v.question, "%s", question);
	t->v.mode = TUI_MODE_CONFIRM;
	t->v.dirty |= 1u << TUI_R_PROMPT | 1u << TUI_R_HINT;
}

/* Run a typed line: destructive commands ask first. */
static void
run_line(struct tui *t, const char *line)
{
	char			 copy[CMD_LINE_MAX + 1], q[TUI_MSG_MAX];
	char			*argv[CMD_ARGS_MAX + 2];
	const struct cmd_entry	*ce = NULL;
	int			 argc, used;

	snprintf(copy, sizeof copy, "%s", line);
	argc = cmd_split(copy, argv, CMD_ARGS_MAX + 2, NULL);
	if (argc == 0)
		return;
	if (t->job.active) {
		snprintf(t->v.msg, sizeof t->v.msg, "%s", _("Wait: a command "
		    "is still running."));
		t->v.msg_error = 1;
		t->v.dirty |= 1u << TUI_R_PROMPT;
		return;
	}
	if (argc > 0)
		ce = cmd_find(argc, argv, &used);
	if (ce != NULL && (ce->flags & CMD_DESTRUCTIVE)) {
		if (strcmp(ce->name, "quit") == 0) {
			ask(t, CONFIRM_RUN, line, transfers_running(t) ?
			    _("Transfers are running; quitting stops them. "
			    "Quit?") : _("Quit mtorrent?"));
			return;
		}
		snprintf(q, sizeof q, _("Really run \"%s\"? This cannot be "
		    "undone."), line);
		ask(t, CONFIRM_RUN, line, q);
		return;
	}
	job_start(t, line);
}

/* Build the help overlay from the key table and the command table. */
static void
help_build(struct tui *t)
{
	const struct cmd_entry	*const *cep;
	char			 col[256], line[1024], desc[512], *p;
	size_t			 i, n = 0, max = 64;

	t->help = xcalloc(max, sizeof *t->help);
#define HELP_ADD(s) do {						\
	if (n == max) {							\
		max *= 2;						\
		t->help = xreallocarray(t->help, max, sizeof *t->help);	\
	}								\
	t->help[n++] = xstrdup(s);					\
} while (0)
	HELP_ADD(_("Keys"));
	for (i = 0; i < sizeof global_keys / sizeof *global_keys; i++) {
		if (global_keys[i].label == NULL)
			continue;
		tui_text_fit(_(global_keys[i].label), 16, 1, t->v.utf8, col,
		    sizeof col);
		snprintf(line, sizeof line, "  %s %s", col,
		    _(global_keys[i].help));
		HELP_ADD(line);
	}
	HELP_ADD("");
	HELP_ADD(_("Commands (press : first)"));
	for (cep = cmd_table; *cep != NULL; cep++) {
		if ((*cep)->flags & CMD_BATCH_ONLY)
			continue;
		snprintf(desc, sizeof desc, "%s%s", _((*cep)->help),
		    (*cep)->flags & CMD_DESTRUCTIVE ? _(" (asks first)") : "");
		/* A long entry takes two lines rather than being cut. */
		if (tui_text_width(_((*cep)->usage)) > 36 ||
		    39 + tui_text_width(desc) > 72) {
			snprintf(line, sizeof line, "  %s", _((*cep)->usage));
			HELP_ADD(line);
			/* The description in lines that fit 80 columns. */
			for (p = desc; *p != '\0';) {
				size_t	len = 0, fit = 0;

				while (p[len] != '\0') {
					size_t	 w = len;
					char	 save;
					int	 cw;

					while (p[w] != '\0' && p[w] != ' ')
						w++;
					save = p[w];
					p[w] = '\0';
					cw = tui_text_width(p);
					p[w] = save;
					if (cw > 66 && fit > 0)
						break;
					fit = len = w;
					if (p[len] == ' ')
						len++;
				}
				snprintf(line, sizeof line, "      %.*s", (int)fit,
				    p);
				HELP_ADD(line);
				p += fit;
				while (*p == ' ')
					p++;
			}
			continue;
		}
		tui_text_fit(_((*cep)->usage), 36, 1, t->v.utf8, col,
		    sizeof col);
		snprintf(line, sizeof line, "  %s %s", col, desc);
		HELP_ADD(line);
	}
	HELP_ADD("");
	HELP_ADD(_("Piece map: one cell per piece, or per run of pieces."));
	HELP_ADD(_("A digit is a missing piece and how many peers hold it."));
	HELP_ADD(_("ETA uses the averaged rate; \"stalled\" means no "
	    "reachable peer has some missing pieces."));
#undef HELP_ADD
	t->nhelp = n;
}

static void
key_help(struct tui *t)
{
	overlay_clear(t);
	t->v.overlay = t->help;
	t->v.noverlay = t->nhelp;
	t->v.overlay_title = _("Help");
	t->v.mode = TUI_MODE_OVERLAY;
	t->v.dirty = TUI_DIRTY_ALL;
}

static void
key_quit(struct tui *t)
{
	if (transfers_running(t)) {
		ask(t, CONFIRM_QUIT, NULL, _("Transfers are running; quitting "
		    "stops them. Quit?"));
		return;
	}
	t->quit = 1;
}

static void
focus_to(struct tui *t, int delta)
{
	t->v.focus = (enum tui_pane_id)(((int)t->v.focus + delta +
	    TUI_NPANES) % TUI_NPANES);
	t->v.dirty = TUI_DIRTY_ALL & ~(1u << TUI_R_STATUS);
}

static void
key_next_pane(struct tui *t)
{
	focus_to(t, 1);
}

static void
key_prev_pane(struct tui *t)
{
	focus_to(t, -1);
}

static void
key_prompt(struct tui *t)
{
	tui_prompt_open(&t->v, &t->hist);
}

static void
key_redraw(struct tui *t)
{
	clearok(curscr, TRUE);
	t->v.dirty = TUI_DIRTY_ALL;
}

/* Move the focused pane's cursor or scroll position by delta rows. */
static void
move_by(struct tui *t, long delta)
{
	struct tui_view	*v = &t->v;
	size_t		 n;

	switch (v->focus) {
	case TUI_PANE_QUEUE:
	case TUI_PANE_PIECES:
		n = v->snap != NULL ? v->snap->ntorrents : 0;
		if (n == 0)
			return;
		if (delta < 0)
			v->sel = (size_t)-delta > v->sel ? 0 :
			    v->sel - (size_t)-delta;
		else
			v->sel = v->sel + (size_t)delta >= n ? n - 1 :
			    v->sel + (size_t)delta;
		v->peer_top = 0;
		if (t->have_snap) {
			size_t np = t->snap.torrents[v->sel].npeers;

			if (np != t->last_np) {
				t->last_np = np;
				tui_view_resize(v);
			}
		}
		dirty_engine(t);
		break;
	case TUI_PANE_PEERS:
		if (delta < 0)
			v->peer_top = (size_t)-delta > v->peer_top ? 0 :
			    v->peer_top - (size_t)-delta;
		else
			v->peer_top += (size_t)delta;	/* drawing clamps */
		v->dirty |= 1u << TUI_R_PEERS;
		break;
	case TUI_PANE_LOG:
		/* Down goes towards the newest line. */
		if (delta > 0)
			v->log_back = (size_t)delta > v->log_back ? 0 :
			    v->log_back - (size_t)delta;
		else
			v->log_back += (size_t)-delta;
		tui_view_clamp(v);
		v->dirty |= 1u << TUI_R_LOG;
		break;
	case TUI_NPANES:
		break;
	}
}

static void
key_down(struct tui *t)
{
	move_by(t, 1);
}

static void
key_up(struct tui *t)
{
	move_by(t, -1);
}

/* Rows of the focused pane's window less its title. */
static long
page_rows(struct tui *t)
{
	static const enum tui_region r[TUI_NPANES] = {
		TUI_R_QUEUE, TUI_R_PIECES, TUI_R_PEERS, TUI_R_LOG
	};
	WINDOW	*w = t->v.win[r[t->v.focus]];
	long	 n = w != NULL ? getmaxy(w) - 2 : 1;

	return (n > 1 ? n : 1);
}

static void
key_page_down(struct tui *t)
{
	move_by(t, page_rows(t));
}

static void
key_page_up(struct tui *t)
{
	move_by(t, -page_rows(t));
}

static void
key_top(struct tui *t)
{
	move_by(t, -1000000);
}

static void
key_bottom(struct tui *t)
{
	move_by(t, 1000000);
}

static void
key_remove(struct tui *t)
{
	const struct snapshot_torrent	*st;
	char				 line[CMD_LINE_MAX + 1];
	char				 q[TUI_MSG_MAX];
	char				 quoted[CMD_LINE_MAX - 16];

	if (t->v.focus != TUI_PANE_QUEUE || !t->have_snap ||
	    t->v.sel >= t->snap.ntorrents)
		return;
	if (t->job.active) {
		snprintf(t->v.msg, sizeof t->v.msg, "%s", _("Wait: a command "
		    "is still running."));
		t->v.msg_error = 1;
		t->v.dirty |= 1u << TUI_R_PROMPT;
		return;
	}
	st = &t->snap.torrents[t->v.sel];
	/* The file id names it whatever the .mtorrent's path or our cwd. */
	cmd_quote(st->file_id, quoted, sizeof quoted);
	snprintf(line, sizeof line, "remove %s", quoted);
	snprintf(q, sizeof q, _("Remove %s? (the data file stays)"),
	    st->name);
	ask(t, CONFIRM_RUN, line, q);
}

/* One key in a y/n question. */
static void
confirm_key(struct tui *t, int is_key, wint_t c)
{
	enum confirm_kind	kind = t->confirm;

	if (is_key || (c != L'y' && c != L'Y' && c != L'n' && c != L'N' &&
	    c != 0x1b && c != L'q'))
		return;
	t->confirm = CONFIRM_NONE;
	t->v.mode = TUI_MODE_NORMAL;
	t->v.dirty |= 1u << TUI_R_PROMPT | 1u << TUI_R_HINT;
	if (c != L'y' && c != L'Y') {
		snprintf(t->v.msg, sizeof t->v.msg, "%s", _("Cancelled."));
		t->v.msg_error = 0;
		return;
	}
	if (kind == CONFIRM_QUIT)
		t->quit = 1;
	else if (kind == CONFIRM_RUN)
		job_start(t, t->confirm_line);
}

static void
overlay_key(struct tui *t, int is_key, wint_t c)
{
	struct tui_view	*v = &t->v;

	if (is_key) {
		if (c == KEY_DOWN)
			v->overlay_top++;
		else if (c == KEY_UP && v->overlay_top > 0)
			v->overlay_top--;
		else if (c == KEY_NPAGE)
			v->overlay_top += 10;
		else if (c == KEY_PPAGE)
			v->overlay_top = v->overlay_top > 10 ?
			    v->overlay_top - 10 : 0;
		else if (c == KEY_F(1))
			goto close;
		v->dirty = TUI_DIRTY_ALL;
		return;
	}
	switch (c) {
	case L'j':
		v->overlay_top++;
		break;
	case L'k':
		if (v->overlay_top > 0)
			v->overlay_top--;
		break;
	case L'?':
	case L'q':
	case 0x1b:
	case L'\r':
	case L'\n':
		goto close;
	case L':':
		overlay_clear(t);
		v->mode = TUI_MODE_NORMAL;
		key_prompt(t);
		break;
	default:
		return;
	}
	v->dirty = TUI_DIRTY_ALL;
	return;
close:
	overlay_clear(t);
	v->mode = TUI_MODE_NORMAL;
	v->dirty = TUI_DIRTY_ALL;
}

static void
handle_key(struct tui *t, int is_key, wint_t c)
{
	char	line[CMD_LINE_MAX + 1];
	size_t	i;
	int	r;

	if (is_key && c == KEY_RESIZE) {
		tui_view_resize(&t->v);
		return;
	}
	if (t->v.layout.too_small && t->v.mode != TUI_MODE_CONFIRM) {
		/* Only quitting makes sense on a screen this small. */
		if (!is_key && c == L'q')
			key_quit(t);
		t->v.dirty = TUI_DIRTY_ALL;
		return;
	}
	switch (t->v.mode) {
	case TUI_MODE_PROMPT:
		r = tui_prompt_key(&t->v, &t->hist, is_key, c, line,
		    sizeof line);
		if (r != 0)
			t->v.mode = TUI_MODE_NORMAL;
		if (r == 1)
			run_line(t, line);
		return;
	case TUI_MODE_CONFIRM:
		confirm_key(t, is_key, c);
		return;
	case TUI_MODE_OVERLAY:
		overlay_key(t, is_key, c);
		return;
	case TUI_MODE_NORMAL:
		break;
	}
	/* Any key clears an old message. */
	if (t->v.msg[0] != '\0' && !t->v.busy) {
		t->v.msg[0] = '\0';
		t->v.dirty |= 1u << TUI_R_PROMPT;
	}
	for (i = 0; i < sizeof global_keys / sizeof *global_keys; i++) {
		if (global_keys[i].is_key == is_key &&
		    global_keys[i].code == c) {
			global_keys[i].fn(t);
			return;
		}
	}
	/* Someone typing a command without the ':' first: say how. */
	if (!is_key && iswprint(c)) {
		snprintf(t->v.msg, sizeof t->v.msg, "%s", _("Press : to type "
		    "a command, ? for help."));
		t->v.msg_error = 0;
		t->v.dirty |= 1u << TUI_R_PROMPT;
	}
}

/* Read every pending key. */
static void
read_keys(struct tui *t)
{
	wint_t	c;
	int	r;

	while ((r = wget_wch(t->inwin, &c)) != ERR)
		handle_key(t, r == KEY_CODE_YES, c);
}

/* Apply the terminal's new size (after SIGWINCH). */
static void
apply_winsize(struct tui *t)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	tui_view_resize(&t->v);
	clearok(curscr, TRUE);
}

static int
pipe_nb(int fds[2])
{
	int	i;

	if (pipe(fds) == -1)
		return (-1);
	for (i = 0; i < 2; i++) {
		fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	return (0);
}

static void
drain(int fd)
{
	char	buf[256];

	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* Handle the signals the self-pipe carried. */
static void
read_signals(struct tui *t)
{
	unsigned char	buf[64];
	ssize_t		n, i;

	while ((n = read(sig_pipe[0], buf, sizeof buf)) > 0) {
		for (i = 0; i < n; i++) {
			switch (buf[i]) {
			case SIGWINCH:
				apply_winsize(t);
				break;
			case SIGINT:
				if (t->v.mode != TUI_MODE_CONFIRM)
					key_quit(t);
				break;
			default:	/* SIGTERM, SIGHUP */
				t->quit = 1;
				break;
			}
		}
	}
}

static void
loop(struct tui *t)
{
	struct pollfd	pfd[4];
	uint64_t	now, last_tick = 0;
	int		efd = engine_event_fd(t->e), pending = 1, timeout;
	nfds_t		nfd;

	while (!t->quit || t->job.active) {
		if (t->quit && t->job.active && !t->closing) {
			t->closing = 1;
			snprintf(t->v.msg, sizeof t->v.msg, "%s",
			    _("Waiting for the running command to finish..."));
			t->v.msg_error = 0;
			t->v.dirty |= 1u << TUI_R_PROMPT;
		}
		now = now_ms();
		if (now - last_tick >= TUI_TICK_MS) {
			pending = 1;
			last_tick = now;
		}
		if (pending && now - t->last_snap_ms >= TUI_SNAP_MIN_MS) {
			take_snapshot(t);
			read_log(t);
			pending = 0;
		}
		if (t->v.dirty)
			tui_view_draw(&t->v);

		timeout = (int)(last_tick + TUI_TICK_MS - now);
		if (pending) {
			int left = (int)(t->last_snap_ms + TUI_SNAP_MIN_MS -
			    now);

			if (left < timeout)
				timeout = left;
		}
		if (timeout < 0)
			timeout = 0;
		nfd = 0;
		pfd[nfd++] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		pfd[nfd++] = (struct pollfd){ sig_pipe[0], POLLIN, 0 };
		pfd[nfd++] = (struct pollfd){ t->job_pipe[0], POLLIN, 0 };
		/* While a snapshot is pending, more events change nothing. */
		if (efd != -1 && !pending)
			pfd[nfd++] = (struct pollfd){ efd, POLLIN, 0 };
		if (poll(pfd, nfd, timeout) == -1 && errno != EINTR) {
			log_warn("%s: poll: %s", __func__, strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN)
			read_signals(t);
		if (pfd[2].revents & POLLIN) {
			drain(t->job_pipe[0]);
			job_collect(t);
		}
		if (nfd > 3 && (pfd[3].revents & POLLIN)) {
			engine_event_drain(t->e);
			pending = 1;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (pfd[0].revents & (POLLHUP | POLLERR)) {
				/* The terminal went away. */
				t->quit = 1;
			} else
				read_keys(t);
		}
	}
}

/*
 * Restore the terminal if the process exits with curses up (fatal() on
 * any thread), and show on stderr the error lines the muted log kept
 * from the person: otherwise the dashboard would vanish without a word.
 */
static void
tui_atexit(void)
{
	static char	lines[LOG_RING_LINES][LOG_LINE_MAX];
	uint64_t	seq = 0;
	size_t		i, n, shown = 0;

	if (!curses_up)
		return;
	curses_up = 0;
	endwin();
	log_set_stderr_muted(0);
	/* The last few error lines of the ring (the screen showing them is
	 * gone). */
	n = log_ring_read(&seq, lines, LOG_RING_LINES);
	for (i = n; i > 0 && shown < 5; i--)
		if (strstr(lines[i - 1], " error ") != NULL)
			shown++;
	for (; i < n; i++)
		if (strstr(lines[i], " error ") != NULL)
			fprintf(stderr, "%s\n", lines[i]);
}

int
tui_run(struct engine *e, const struct tui_options *o)
{
	static int		 atexit_done;
	struct tui		*t;
	struct sigaction	 sa, old[4];
	static const int	 sigs[4] = {
		SIGWINCH, SIGINT, SIGTERM, SIGHUP
	};
	SCREEN			*scr;
	const char		*nc;
	size_t			 i;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		log_warn("%s: stdin or stdout is not a terminal", __func__);
		return (1);
	}
	t = xcalloc(1, sizeof *t);
	t->e = e;
	t->v.utf8 = !o->ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	t->v.focus = TUI_PANE_QUEUE;
	if (pipe_nb(sig_pipe) == -1 || pipe_nb(t->job_pipe) == -1) {
		log_warn("%s: pipe: %s", __func__, strerror(errno));
		if (sig_pipe[0] != -1) {
			close(sig_pipe[0]);
			close(sig_pipe[1]);
			sig_pipe[0] = sig_pipe[1] = -1;
		}
		free(t);
		return (1);
	}
	pthread_mutex_init(&t->job.lock, NULL);

	/* Our SIGWINCH handler: ncurses then installs none of its own. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);

	scr = newterm(NULL, stdout, stdin);
	if (scr == NULL) {
		log_warn("%s: newterm failed (TERM=%s)", __func__,
		    getenv("TERM") != NULL ? getenv("TERM") : "(unset)");
		for (i = 0; i < 4; i++)
			sigaction(sigs[i], &old[i], NULL);
		close(sig_pipe[0]);
		close(sig_pipe[1]);
		sig_pipe[0] = sig_pipe[1] = -1;
		close(t->job_pipe[0]);
		close(t->job_pipe[1]);
		pthread_mutex_destroy(&t->job.lock);
		free(t);
		return (1);
	}
	curses_up = 1;
	if (!atexit_done) {
		atexit(tui_atexit);
		atexit_done = 1;
	}
	log_set_stderr_muted(1);
	cbreak();
	noecho();
	nonl();
	set_escdelay(25);
	curs_set(0);
	nc = getenv("NO_COLOR");
	tui_view_colors(&t->v, !o->no_color && (nc == NULL || *nc == '\0'));
	/* Read keys from a 1x1 window that never changes, so that
	 * wget_wch() never repaints anything (stdscr would). */
	t->inwin = newwin(1, 1, 0, 0);
	keypad(t->inwin, TRUE);
	nodelay(t->inwin, TRUE);
	wnoutrefresh(t->inwin);
	help_build(t);
	read_log(t);
	take_snapshot(t);
	tui_view_resize(&t->v);

	loop(t);

	curses_up = 0;
	tui_view_free_windows(&t->v);
	delwin(t->inwin);
	endwin();
	delscreen(scr);
	log_set_stderr_muted(0);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	close(t->job_pipe[0]);
	close(t->job_pipe[1]);

	overlay_clear(t);
	for (i = 0; i < t->nhelp; i++)
		free(t->help[i]);
	free(t->help);
	tui_history_free(&t->hist);
	if (t->have_snap)
		snapshot_done(&t->snap);
	free(t->rates);
	free(t->rate_ids);
	pthread_mutex_destroy(&t->job.lock);
	free(t);
	return (0);
}
