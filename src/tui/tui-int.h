/*
 * tui-int.h: state shared by the dashboard's files (internal to src/tui).
 *
 * struct tui_view is everything the screen is drawn from: a borrowed
 * snapshot, selections, the log lines, the prompt and message line and an
 * optional overlay.  tui-draw.c turns a view into curses windows and does
 * nothing else (no engine, no commands), so a test can fabricate a view
 * around a fake snapshot and read the screen back.  tui.c owns the loop,
 * the engine, the key tables and the command thread.
 */
#ifndef MT_TUI_INT_H
#define MT_TUI_INT_H

#include <curses.h>
#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

#include "tui-format.h"

struct snapshot;

enum tui_pane_id {
	TUI_PANE_QUEUE = 0,
	TUI_PANE_PIECES,
	TUI_PANE_PEERS,
	TUI_PANE_LOG,
	TUI_NPANES
};

/* Screen regions, each its own curses window; bit i of view.dirty. */
enum tui_region {
	TUI_R_STATUS = 0,
	TUI_R_QUEUE,
	TUI_R_PIECES,
	TUI_R_PEERS,
	TUI_R_LOG,
	TUI_R_PROMPT,
	TUI_R_HINT,
	TUI_NREGIONS
};
#define TUI_DIRTY_ALL	((1u << TUI_NREGIONS) - 1)

enum tui_mode {
	TUI_MODE_NORMAL = 0,
	TUI_MODE_PROMPT,	/* typing a command after ':' */
	TUI_MODE_CONFIRM,	/* a y/n question on the prompt line */
	TUI_MODE_OVERLAY	/* help or command output over the panes */
};

#define TUI_LOG_KEEP	200
#define TUI_LOG_WIDTH	256
#define TUI_MSG_MAX	512
#define TUI_PROMPT_MAX	1024	/* wide characters */

/* Colour pairs (0 = terminal default). */
enum tui_color {
	TUI_C_STATUS = 1,
	TUI_C_TITLE,
	TUI_C_FOCUS,
	TUI_C_HAVE,
	TUI_C_INFLIGHT,
	TUI_C_PARTIAL,
	TUI_C_NOSOURCE,
	TUI_C_ERROR,
	TUI_C_OK,
	TUI_C_WARN,
	TUI_C_SEED,
	TUI_C_DOWN
};

struct tui_view {
	int			 utf8;		/* UTF-8 glyphs */
	int			 color;		/* colour pairs set up */
	int			 cols, rows;
	struct tui_layout	 layout;
	WINDOW			*win[TUI_NREGIONS];
	unsigned		 dirty;		/* 1 << enum tui_region */

	const struct snapshot	*snap;		/* borrowed; may be NULL */
	const double		*rates;		/* smoothed down rate per
						   snap->torrents[i]; or NULL */
	size_t			 sel;		/* selected torrent */
	size_t			 queue_top;
	size_t			 peer_top;
	enum tui_pane_id	 focus;

	char			 log[TUI_LOG_KEEP][TUI_LOG_WIDTH];
	size_t			 nlog;		/* lines held */
	size_t			 log_head;	/* index of the oldest */
	size_t			 log_back;	/* lines scrolled back */

	enum tui_mode		 mode;
	wchar_t			 prompt[TUI_PROMPT_MAX];
	size_t			 prompt_len;
	size_t			 prompt_cur;
	char			 msg[TUI_MSG_MAX];
	int			 msg_error;
	char			 question[TUI_MSG_MAX];
	int			 busy;		/* a command is running */

	const char		*overlay_title;	/* translated */
	char			**overlay;	/* lines; owned by tui.c */
	size_t			 noverlay;
	size_t			 overlay_top;
	WINDOW			*overlay_win;
};

/* Pane hint lines (translated at draw time). */
extern const char *const tui_pane_hints[TUI_NPANES];

/* Set up colour pairs if colour is wanted and available. */
void	tui_view_colors(struct tui_view *v, int want);

/*
 * (Re)create the region windows for the current LINES x COLS; marks
 * everything dirty.
 */
void	tui_view_resize(struct tui_view *v);

/* Delete the windows. */
void	tui_view_free_windows(struct tui_view *v);

/* Append one log line (already shortened) to the pane's ring. */
void	tui_view_log_add(struct tui_view *v, const char *line);

/* Keep sel and the scroll offsets inside the snapshot's bounds. */
void	tui_view_clamp(struct tui_view *v);

/*
 * Draw the dirty regions (and the overlay) with wnoutrefresh(), then
 * doupdate().  Clears v->dirty.
 */
void	tui_view_draw(struct tui_view *v);

#endif /* MT_TUI_INT_H */
