/*
 * tui-draw.c: draw a struct tui_view into curses windows.
 *
 * Each screen region (status line, download queue, piece map, peer list,
 * log, prompt, hint bar) is its own window; only regions marked dirty are
 * erased and drawn, each with wnoutrefresh(), and one doupdate() sends
 * the difference to the terminal.  Every piece of text goes through
 * tui_text_fit(), so nothing drawn is wider than its column and a name
 * from the network can not carry escape sequences to the terminal.
 *
 * This file reads the view and nothing else: no engine, no commands, no
 * clock.  tests/check_tui_layout.c draws fabricated views with it.
 */
#include "config.h"

#include "tui-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "cmd.h"
#include "i18n.h"
#include "snapshot.h"
#include "xmalloc.h"

#define FIT_MAX(w)	((size_t)(w) * 4 + 8)

const char *const tui_pane_hints[TUI_NPANES] = {
	N_("j/k select  d remove  Tab next pane  : command  ? help  q quit"),
	N_("j/k select file  Tab next pane  : command  ? help  q quit"),
	N_("j/k scroll  Tab next pane  : command  ? help  q quit"),
	N_("j/k scroll  G newest  Tab next pane  : command  ? help  q quit")
};

static const char *const pane_titles[TUI_NPANES] = {
	N_("Downloads"), N_("Pieces"), N_("Peers"), N_("Log")
};

static attr_t	view_attr(const struct tui_view *, enum tui_color, attr_t);
static void	put_fit(WINDOW *, int, int, const char *, int, int, int,
		    attr_t);
static void	draw_title(struct tui_view *, WINDOW *, enum tui_pane_id,
		    const char *);
static void	draw_status(struct tui_view *);
static void	draw_queue(struct tui_view *);
static void	draw_pieces(struct tui_view *);
static void	draw_peers(struct tui_view *);
static void	draw_log(struct tui_view *);
static void	draw_prompt(struct tui_view *);
static size_t	prompt_secret_at(const struct tui_view *);
static void	draw_hint(struct tui_view *);
static void	draw_overlay(struct tui_view *);
static void	draw_too_small(struct tui_view *);

void
tui_view_colors(struct tui_view *v, int want)
{
	v->color = 0;
	if (!want || !has_colors() || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(TUI_C_STATUS, COLOR_BLACK, COLOR_CYAN);
	init_pair(TUI_C_TITLE, COLOR_CYAN, -1);
	init_pair(TUI_C_FOCUS, COLOR_BLACK, COLOR_YELLOW);
	init_pair(TUI_C_HAVE, COLOR_GREEN, -1);
	init_pair(TUI_C_INFLIGHT, COLOR_YELLOW, -1);
	init_pair(TUI_C_PARTIAL, COLOR_CYAN, -1);
	init_pair(TUI_C_NOSOURCE, COLOR_RED, -1);
	init_pair(TUI_C_ERROR, COLOR_RED, -1);
	init_pair(TUI_C_OK, COLOR_GREEN, -1);
	init_pair(TUI_C_WARN, COLOR_YELLOW, -1);
	init_pair(TUI_C_SEED, COLOR_GREEN, -1);
	init_pair(TUI_C_DOWN, COLOR_CYAN, -1);
	v->color = 1;
}

/* The colour pair c, or mono when colour is off. */
static attr_t
view_attr(const struct tui_view *v, enum tui_color c, attr_t mono)
{
	if (v->color)
		return (COLOR_PAIR(c) | (mono & A_BOLD));
	return (mono);
}

void
tui_view_free_windows(struct tui_view *v)
{
	int	i;

	for (i = 0; i < TUI_NREGIONS; i++) {
		if (v->win[i] != NULL)
			delwin(v->win[i]);
		v->win[i] = NULL;
	}
	if (v->overlay_win != NULL)
		delwin(v->overlay_win);
	v->overlay_win = NULL;
}

void
tui_view_resize(struct tui_view *v)
{
	const struct tui_rect	*r[TUI_NREGIONS];
	size_t			 nq = 0, np = 0;
	int			 i;

	tui_view_free_windows(v);
	v->cols = COLS;
	v->rows = LINES;
	if (v->snap != NULL) {
		nq = v->snap->ntorrents;
		if (v->sel < v->snap->ntorrents)
			np = v->snap->torrents[v->sel].npeers;
	}
	tui_layout_compute(v->cols, v->rows, nq, np, &v->layout);
	v->dirty = TUI_DIRTY_ALL;
	if (v->layout.too_small)
		return;
	r[TUI_R_STATUS] = &v->layout.status;
	r[TUI_R_QUEUE] = &v->layout.queue;
	r[TUI_R_PIECES] = &v->layout.pieces;
	r[TUI_R_PEERS] = &v->layout.peers;
	r[TUI_R_LOG] = &v->layout.log;
	r[TUI_R_PROMPT] = &v->layout.prompt;
	r[TUI_R_HINT] = &v->layout.hint;
	for (i = 0; i < TUI_NREGIONS; i++) {
		v->win[i] = newwin(r[i]->h, r[i]->w, r[i]->y, r[i]->x);
		if (v->win[i] == NULL) {
			/* Out of curses memory: say "too small", not crash. */
			tui_view_free_windows(v);
			v->layout.too_small = 1;
			return;
		}
		leaveok(v->win[i], i != TUI_R_PROMPT);
	}
}

void
tui_view_log_add(struct tui_view *v, const char *line)
{
	size_t	i;

	if (v->nlog < TUI_LOG_KEEP)
		i = (v->log_head + v->nlog++) % TUI_LOG_KEEP;
	else {
		i = v->log_head;
		v->log_head = (v->log_head + 1) % TUI_LOG_KEEP;
	}
	snprintf(v->log[i], sizeof v->log[i], "%s", line);
	/* Keep the lines a reader scrolled back to where they are. */
	if (v->log_back > 0 && v->log_back + 1 < v->nlog)
		v->log_back++;
	v->dirty |= 1u << TUI_R_LOG;
}

void
tui_view_clamp(struct tui_view *v)
{
	size_t	n = v->snap != NULL ? v->snap->ntorrents : 0, shown;

	if (n == 0)
		v->sel = 0;
	else if (v->sel >= n)
		v->sel = n - 1;
	if (v->queue_top > v->sel)
		v->queue_top = v->sel;
	/* Scrolled back at most until the oldest line is at the top. */
	shown = v->layout.log.h > 1 ? (size_t)v->layout.log.h - 1 : 1;
	if (v->log_back + shown > v->nlog)
		v->log_back = v->nlog > shown ? v->nlog - shown : 0;
}

/* Write s at y, x fitted into width cells, padded, with attribute a. */
static void
put_fit(WINDOW *w, int y, int x, const char *s, int width, int utf8,
    int pad, attr_t a)
{
	char	*buf;
	size_t	 len = FIT_MAX(width);

	if (width <= 0)
		return;
	buf = xmalloc(len);
	tui_text_fit(s, width, pad, utf8, buf, len);
	wattron(w, a);
	mvwaddstr(w, y, x, buf);
	wattroff(w, a);
	free(buf);
}

/* Right-align s in width cells at y, x. */
static void
put_right(WINDOW *w, int y, int x, const char *s, int width, int utf8,
    attr_t a)
{
	int	tw = tui_text_width(s);

	if (tw > width)
		tw = width;
	put_fit(w, y, x, "", width - tw, utf8, 1, A_NORMAL);
	put_fit(w, y, x + width - tw, s, tw, utf8, 0, a);
}

/* A pane's title line: a rule with the pane name (and detail). */
static void
draw_title(struct tui_view *v, WINDOW *w, enum tui_pane_id id,
    const char *detail)
{
	char	title[512];
	int	x, cols = getmaxx(w), focus = v->focus == id &&
		    v->mode != TUI_MODE_OVERLAY;
	attr_t	a;

	wattron(w, view_attr(v, TUI_C_TITLE, A_NORMAL));
	for (x = 0; x < cols; x++)
		mvwaddstr(w, 0, x, v->utf8 ? "\u2500" : "-");
	wattroff(w, view_attr(v, TUI_C_TITLE, A_NORMAL));
	if (detail != NULL && *detail != '\0')
		snprintf(title, sizeof title, " %s: %s ", _(pane_titles[id]),
		    detail);
	else
		snprintf(title, sizeof title, " %s ", _(pane_titles[id]));
	a = focus ? view_attr(v, TUI_C_FOCUS, A_REVERSE | A_BOLD) :
	    view_attr(v, TUI_C_TITLE, A_BOLD);
	put_fit(w, 0, 1, title, cols - 2, v->utf8, 0, a);
}

static void
draw_status(struct tui_view *v)
{
	WINDOW				*w = v->win[TUI_R_STATUS];
	const struct snapshot		*s = v->snap;
	char				 left[1024], trk[2048], right[128];
	char				 d[32], u[32];
	size_t				 i, off;
	int				 rw, cols = getmaxx(w);
	attr_t				 a;

	a = view_attr(v, TUI_C_STATUS, A_REVERSE);
	wbkgdset(w, ' ' | a);
	werase(w);
	if (s == NULL) {
		put_fit(w, 0, 0, _("Starting..."), cols, v->utf8, 1, a);
		return;
	}
	/* Row 1: who and where we are, and the total rates. */
	if (s->user[0] != '\0')
		snprintf(left, sizeof left, _("Peer %s | user %s"), s->listen,
		    s->user);
	else
		snprintf(left, sizeof left, _("Peer %s | not logged in"),
		    s->listen);
	tui_fmt_rate(s->down_bps, d, sizeof d);
	tui_fmt_rate(s->up_bps, u, sizeof u);
	snprintf(right, sizeof right, v->utf8 ? " \u2193 %s \u2191 %s " :
	    " down %s  up %s ", d, u);
	rw = tui_text_width(right);
	if (rw > cols)
		rw = cols;
	put_fit(w, 0, 0, left, cols - rw, v->utf8, 1, a);
	put_fit(w, 0, cols - rw, right, rw, v->utf8, 1, a | A_BOLD);
	if (getmaxy(w) < 2)
		return;

	/* Row 2: each tracker, whether it answers, which one is in use. */
	off = (size_t)snprintf(trk, sizeof trk, "%s", _("Trackers:"));
	for (i = 0; i < s->ntrackers && off < sizeof trk; i++) {
		const struct snapshot_tracker *t = &s->trackers[i];
		const char *st;

		if (t->embedded)
			st = t->in_use ? _("embedded, in use") : _("embedded");
		else if (t->up < 0)
			st = _("not asked yet");
		else if (!t->up)
			st = _("no answer");
		else
			st = t->in_use ? _("answers, in use") : _("answers");
		off += (size_t)snprintf(trk + off, sizeof trk - off,
		    " %s [%s]", t->addr, st);
	}
	if (s->ntrackers == 0 && off < sizeof trk)
		snprintf(trk + off, sizeof trk - off, " %s", _("none"));
	put_fit(w, 1, 0, trk, cols, v->utf8, 1, a);
}

/* Queue columns, in screen order. */
enum qcol {
	QC_STATE, QC_NAME, QC_SIZE, QC_BAR, QC_PCT, QC_DOWN, QC_UP, QC_PEERS,
	QC_ETA, QC_N
};

struct qcol_def {
	const char	*title;
	int		 width;		/* fixed, or the least if flexible */
	int		 drop;		/* order of dropping; 0 = never */
};

static const struct qcol_def qcols[QC_N] = {
	[QC_STATE] = { "", 3, 0 },
	[QC_NAME] = { N_("Name"), 12, 0 },
	[QC_SIZE] = { N_("Size"), 8, 3 },
	[QC_BAR] = { N_("Progress"), 6, 5 },
	[QC_PCT] = { "%", 4, 0 },
	[QC_DOWN] = { N_("Down"), 10, 4 },
	[QC_UP] = { N_("Up"), 10, 2 },
	[QC_PEERS] = { N_("Peers"), 5, 1 },
	[QC_ETA] = { N_("ETA"), 8, 0 }
};

/* Remaining bytes of t, from its verified piece count. */
static uint64_t
torrent_remaining(const struct snapshot_torrent *t)
{
	if (t->seeding || t->npieces == 0 || t->have >= t->npieces)
		return (0);
	return (t->size - (uint64_t)((double)t->size * t->have / t->npieces));
}

/* The ETA (or error) text of torrent i. */
static void
torrent_eta(const struct tui_view *v, size_t i, char *buf, size_t len)
{
	const struct snapshot_torrent	*t = &v->snap->torrents[i];
	double				 rate;

	if (t->error) {
		snprintf(buf, len, _("error: %s"), t->errmsg);
		return;
	}
	rate = v->rates != NULL ? v->rates[i] : (double)t->down_bps;
	tui_fmt_eta(torrent_remaining(t), rate, t->unavailable,
	    t->seeding || t->have >= t->npieces, buf, len);
}

static void
draw_queue(struct tui_view *v)
{
	WINDOW				*w = v->win[TUI_R_QUEUE];
	const struct snapshot		*s = v->snap;
	int				 width[QC_N], on[QC_N], x[QC_N];
	int				 cols = getmaxx(w), rows = getmaxy(w);
	int				 i, c, need, spare, eta_want = 8, add;
	size_t				 n = s != NULL ? s->ntorrents : 0, k;
	char				 detail[64], buf[512];

	werase(w);
	snprintf(detail, sizeof detail, "%zu", n);
	draw_title(v, w, TUI_PANE_QUEUE, n > 0 ? detail : NULL);

	for (k = 0; k < n; k++) {
		torrent_eta(v, k, buf, sizeof buf);
		c = tui_text_width(buf);
		if (c > eta_want)
			eta_want = c > 30 ? 30 : c;
	}
	/* Drop the least useful columns until the minimum widths fit. */
	for (c = 0; c < QC_N; c++) {
		on[c] = 1;
		width[c] = qcols[c].width;
	}
	width[QC_ETA] = eta_want;
	for (;;) {
		need = -1;
		for (c = 0; c < QC_N; c++)
			if (on[c])
				need += width[c] + 1;
		if (need <= cols)
			break;
		add = 0;
		for (i = 1; i <= 5 && !add; i++)
			for (c = 0; c < QC_N; c++)
				if (on[c] && qcols[c].drop == i) {
					on[c] = 0;
					add = 1;
				}
		if (!add) {
			if (width[QC_ETA] > 8) {
				width[QC_ETA] = 8;
				continue;
			}
			break;
		}
	}
	spare = cols - need;
	if (spare > 0 && on[QC_BAR]) {
		add = spare / 3 > 14 ? 14 : spare / 3;
		width[QC_BAR] += add;
		spare -= add;
	}
	if (spare > 0)
		width[QC_NAME] += spare;
	for (c = 0, i = 0; c < QC_N; c++) {
		x[c] = i;
		if (on[c])
			i += width[c] + 1;
	}

	if (rows < 2)
		return;
	wattron(w, A_BOLD);
	for (c = 0; c < QC_N; c++) {
		if (!on[c])
			continue;
		if (c == QC_SIZE || c == QC_PCT || c == QC_DOWN ||
		    c == QC_UP || c == QC_PEERS)
			put_right(w, 1, x[c], _(qcols[c].title), width[c],
			    v->utf8, A_BOLD);
		else if (*qcols[c].title != '\0')
			put_fit(w, 1, x[c], _(qcols[c].title), width[c],
			    v->utf8, 1, A_BOLD);
	}
	wattroff(w, A_BOLD);
	if (n == 0) {
		if (rows > 2)
			put_fit(w, 2, 1, _("Nothing shared or downloading yet: "
			    "press : and type share FILE NAME.mtorrent or get "
			    "NAME.mtorrent DEST."), cols - 1, v->utf8, 0,
			    A_NORMAL);
		return;
	}
	/* Scroll so the selection stays visible. */
	if (v->sel < v->queue_top)
		v->queue_top = v->sel;
	if (rows > 2 && v->sel >= v->queue_top + (size_t)(rows - 2))
		v->queue_top = v->sel - (size_t)(rows - 2) + 1;
	for (k = v->queue_top, i = 2; k < n && i < rows; k++, i++) {
		const struct snapshot_torrent *t = &s->torrents[k];
		int seeding = t->seeding || (t->npieces > 0 &&
		    t->have >= t->npieces);
		double frac = t->npieces > 0 ? (double)t->have / t->npieces :
		    (seeding ? 1.0 : 0.0);
		attr_t rowa = A_NORMAL;

		if (k == v->sel)
			rowa = v->focus == TUI_PANE_QUEUE ? A_REVERSE : A_BOLD;
		wattron(w, rowa);
		put_fit(w, i, 0, "", cols, v->utf8, 1, rowa);
		put_fit(w, i, x[QC_STATE], seeding ? "[S]" : "[D]", 3, v->utf8,
		    0, rowa | view_attr(v, seeding ? TUI_C_SEED : TUI_C_DOWN,
		    A_BOLD));
		put_fit(w, i, x[QC_NAME], t->name, width[QC_NAME], v->utf8, 1,
		    rowa);
		if (on[QC_SIZE]) {
			tui_fmt_size(t->size, buf, sizeof buf);
			put_right(w, i, x[QC_SIZE], buf, width[QC_SIZE],
			    v->utf8, rowa);
		}
		if (on[QC_BAR]) {
			char bar[256];

			tui_fmt_bar(frac, width[QC_BAR] > 60 ? 60 :
			    width[QC_BAR], v->utf8, bar, sizeof bar);
			put_fit(w, i, x[QC_BAR], bar, width[QC_BAR], v->utf8,
			    1, rowa | view_attr(v, seeding ? TUI_C_HAVE :
			    TUI_C_INFLIGHT, A_NORMAL));
		}
		snprintf(buf, sizeof buf, "%d%%", (int)(frac * 100.0));
		put_right(w, i, x[QC_PCT], buf, width[QC_PCT], v->utf8, rowa);
		if (on[QC_DOWN]) {
			tui_fmt_rate(t->down_bps, buf, sizeof buf);
			put_right(w, i, x[QC_DOWN], buf, width[QC_DOWN],
			    v->utf8, rowa);
		}
		if (on[QC_UP]) {
			tui_fmt_rate(t->up_bps, buf, sizeof buf);
			put_right(w, i, x[QC_UP], buf, width[QC_UP], v->utf8,
			    rowa);
		}
		if (on[QC_PEERS]) {
			snprintf(buf, sizeof buf, "%zu", t->npeers);
			put_right(w, i, x[QC_PEERS], buf, width[QC_PEERS],
			    v->utf8, rowa);
		}
		torrent_eta(v, k, buf, sizeof buf);
		put_fit(w, i, x[QC_ETA], buf, cols - x[QC_ETA], v->utf8, 1,
		    rowa | ((t->error || t->unavailable > 0) && !seeding ?
		    view_attr(v, TUI_C_ERROR, A_BOLD) : A_NORMAL));
		wattroff(w, rowa);
	}
}

/* Colour of a piece-map cell. */
static attr_t
cell_attr(const struct tui_view *v, const struct tui_cell *c)
{
	switch (c->kind) {
	case TUI_CELL_HAVE:
		return (view_attr(v, TUI_C_HAVE, A_NORMAL));
	case TUI_CELL_INFLIGHT:
		return (view_attr(v, TUI_C_INFLIGHT, A_BOLD));
	case TUI_CELL_PARTIAL:
		return (view_attr(v, TUI_C_PARTIAL, A_NORMAL));
	case TUI_CELL_MISSING:
		break;
	}
	return (c->avail == 0 ? view_attr(v, TUI_C_NOSOURCE, A_BOLD) :
	    A_DIM);
}

static void
draw_pieces(struct tui_view *v)
{
	WINDOW				*w = v->win[TUI_R_PIECES];
	const struct snapshot_torrent	*t = NULL;
	struct tui_cell			*cells;
	struct tui_cell			 lc;
	char				 detail[512], legend[512], eta[128];
	int				 cols = getmaxx(w), rows = getmaxy(w);
	int				 maprows, y, x, lx;
	uint32_t			 n, per, i;

	werase(w);
	if (v->snap != NULL && v->sel < v->snap->ntorrents)
		t = &v->snap->torrents[v->sel];
	if (t == NULL) {
		draw_title(v, w, TUI_PANE_PIECES, NULL);
		if (rows > 1)
			put_fit(w, 1, 1, _("No file selected."), cols - 1,
			    v->utf8, 0, A_NORMAL);
		return;
	}
	maprows = rows - 2;	/* title and legend */
	if (maprows < 1)
		maprows = 1;
	cells = xcalloc((size_t)maprows * (size_t)cols, sizeof *cells);
	n = tui_piece_cells(t->pieces, t->avail, t->pieces != NULL ?
	    t->npieces : 0, (uint32_t)maprows * (uint32_t)cols, cells, &per);
	if (t->unavailable > 0 && !t->seeding)
		snprintf(eta, sizeof eta, ngettext(", stalled: %u piece "
		    "unavailable", ", stalled: %u pieces unavailable",
		    t->unavailable), t->unavailable);
	else
		eta[0] = '\0';
	if (per > 1)
		snprintf(detail, sizeof detail, _("%s, %u/%u verified, one "
		    "cell = %u pieces%s"), t->name, t->have, t->npieces, per,
		    eta);
	else
		snprintf(detail, sizeof detail, _("%s, %u/%u verified%s"),
		    t->name, t->have, t->npieces, eta);
	draw_title(v, w, TUI_PANE_PIECES, detail);
	for (i = 0; i < n; i++) {
		y = 1 + (int)(i / (uint32_t)cols);
		x = (int)(i % (uint32_t)cols);
		if (y > maprows)
			break;
		wattron(w, cell_attr(v, &cells[i]));
		mvwaddstr(w, y, x, tui_cell_glyph(&cells[i], v->utf8));
		wattroff(w, cell_attr(v, &cells[i]));
	}
	free(cells);
	if (rows < 3)
		return;
	/* Legend: each glyph in its colour, then its meaning. */
	lx = 0;
	{
		static const struct {
			enum tui_cell_kind kind;
			uint16_t avail;
			const char *label;
		} items[] = {
			{ TUI_CELL_HAVE, 0, N_("verified") },
			{ TUI_CELL_INFLIGHT, 0, N_("in flight") },
			{ TUI_CELL_MISSING, 3, N_("missing, digit = peers "
			    "with it") },
			{ TUI_CELL_MISSING, 0, N_("missing, no peer has it") },
			{ TUI_CELL_PARTIAL, 0, N_("partly verified") }
		};
		size_t k;

		for (k = 0; k < sizeof items / sizeof *items; k++) {
			lc.kind = items[k].kind;
			lc.avail = items[k].avail;
			snprintf(legend, sizeof legend, " %s  ",
			    _(items[k].label));
			if (lx + 1 + tui_text_width(legend) > cols)
				break;
			wattron(w, cell_attr(v, &lc));
			mvwaddstr(w, rows - 1, lx, tui_cell_glyph(&lc,
			    v->utf8));
			wattroff(w, cell_attr(v, &lc));
			put_fit(w, rows - 1, lx + 1, legend, cols - lx - 1,
			    v->utf8, 0, A_NORMAL);
			lx += 1 + tui_text_width(legend);
		}
	}
}

static const char *
peer_state_name(enum snapshot_peer_state st)
{
	switch (st) {
	case SNAP_PEER_CONNECTING:
		return (_("connecting"));
	case SNAP_PEER_CONNECTED:
		return (_("connected"));
	case SNAP_PEER_CHOKED:
		return (_("choked"));
	case SNAP_PEER_FAILED:
		return (_("failed"));
	case SNAP_PEER_BANNED:
		return (_("banned"));
	case SNAP_PEER_IDLE:
		return (_("idle"));
	}
	return ("?");
}

static void
draw_peers(struct tui_view *v)
{
	WINDOW				*w = v->win[TUI_R_PEERS];
	const struct snapshot_torrent	*t = NULL;
	char				 detail[64], d[32], u[32], buf[128];
	int				 cols = getmaxx(w), rows = getmaxy(w);
	int				 y, aw, x, show_up;
	size_t				 k;

	werase(w);
	if (v->snap != NULL && v->sel < v->snap->ntorrents)
		t = &v->snap->torrents[v->sel];
	if (t != NULL)
		snprintf(detail, sizeof detail, "%zu", t->npeers);
	draw_title(v, w, TUI_PANE_PEERS, t != NULL ? detail : NULL);
	if (t == NULL || t->npeers == 0) {
		if (rows > 1)
			put_fit(w, 1, 1, t == NULL ? _("No file selected.") :
			    _("No peers yet."), cols - 1, v->utf8, 0,
			    A_NORMAL);
		return;
	}
	if (v->peer_top >= t->npeers)
		v->peer_top = t->npeers - 1;
	/* address | have% | down | up | state; "up" goes first when narrow */
	show_up = cols >= 1 + 22 + 8 + 13 + 13 + 21;
	aw = cols - (1 + 1 + 8 + 13 + (show_up ? 13 : 0) + 21);
	if (aw < 21)
		aw = 21;
	for (k = v->peer_top, y = 1; k < t->npeers && y < rows; k++, y++) {
		const struct snapshot_peer *p = &t->peers[k];
		attr_t sa = A_NORMAL;

		x = 1;
		put_fit(w, y, x, p->addr, aw, v->utf8, 1, A_NORMAL);
		x += aw + 1;
		if (p->have_known)
			snprintf(buf, sizeof buf, "%.1f%%", t->npieces > 0 ?
			    100.0 * p->have / t->npieces : 100.0);
		else
			snprintf(buf, sizeof buf, "?");	/* not told yet */
		put_right(w, y, x, buf, 7, v->utf8, A_NORMAL);
		x += 8;
		tui_fmt_rate(p->down_bps, d, sizeof d);
		tui_fmt_rate(p->up_bps, u, sizeof u);
		snprintf(buf, sizeof buf, v->utf8 ? "\u2193%s" : "D %s", d);
		put_right(w, y, x, buf, 12, v->utf8, A_NORMAL);
		x += 13;
		if (show_up) {
			snprintf(buf, sizeof buf, v->utf8 ? "\u2191%s" :
			    "U %s", u);
			put_right(w, y, x, buf, 12, v->utf8, A_NORMAL);
			x += 13;
		}
		if (p->state == SNAP_PEER_FAILED ||
		    p->state == SNAP_PEER_BANNED)
			sa = view_attr(v, TUI_C_ERROR, A_BOLD);
		else if (p->state == SNAP_PEER_CONNECTED)
			sa = view_attr(v, TUI_C_OK, A_NORMAL);
		if (p->strikes > 0)
			snprintf(buf, sizeof buf, ngettext("%s, %u bad piece",
			    "%s, %u bad pieces", p->strikes),
			    peer_state_name(p->state), p->strikes);
		else
			snprintf(buf, sizeof buf, "%s",
			    peer_state_name(p->state));
		if (x < cols)
			put_fit(w, y, x, buf, cols - x, v->utf8, 1, sa);
	}
}

static void
draw_log(struct tui_view *v)
{
	WINDOW	*w = v->win[TUI_R_LOG];
	int	 cols = getmaxx(w), rows = getmaxy(w), y;
	size_t	 shown, first, k;
	char	 detail[64];

	werase(w);
	if (v->log_back > 0) {
		snprintf(detail, sizeof detail, _("%zu lines back"),
		    v->log_back);
		draw_title(v, w, TUI_PANE_LOG, detail);
	} else
		draw_title(v, w, TUI_PANE_LOG, NULL);
	if (rows < 2 || v->nlog == 0)
		return;
	shown = (size_t)(rows - 1);
	/* The newest line shown is log_back lines above the newest. */
	if (v->nlog - v->log_back < shown)
		first = 0;
	else
		first = v->nlog - v->log_back - shown;
	for (k = first, y = 1; k < v->nlog - v->log_back && y < rows;
	    k++, y++) {
		const char *line = v->log[(v->log_head + k) % TUI_LOG_KEEP];
		attr_t a = A_NORMAL;

		if (strstr(line, " error: ") != NULL)
			a = view_attr(v, TUI_C_ERROR, A_BOLD);
		else if (strstr(line, " warn: ") != NULL)
			a = view_attr(v, TUI_C_WARN, A_NORMAL);
		put_fit(w, y, 0, line, cols, v->utf8, 1, a);
	}
}

/*
 * Where the password starts in the line being typed (its third word, for
 * a CMD_SECRET command such as login), or SIZE_MAX: it is drawn as '*'.
 */
static size_t
prompt_secret_at(const struct tui_view *v)
{
	const struct cmd_entry	*ce;
	char			 name[32];
	size_t			 k = 0, n = 0, word;

	for (word = 0; word < 2; word++) {
		while (k < v->prompt_len && iswspace((wint_t)v->prompt[k]))
			k++;
		for (n = 0; k < v->prompt_len && !iswspace((wint_t)v->prompt[k]);
		    k++) {
			if (word == 0 && n + 1 < sizeof name)
				name[n++] = v->prompt[k] < 0x80 ?
				    (char)v->prompt[k] : '?';
		}
		if (word == 0) {
			name[n] = '\0';
			if ((ce = cmd_lookup(name)) == NULL ||
			    !(ce->flags & CMD_SECRET))
				return (SIZE_MAX);
		}
	}
	return (k);
}

static void
draw_prompt(struct tui_view *v)
{
	WINDOW	*w = v->win[TUI_R_PROMPT];
	int	 cols = getmaxx(w), x, cw, cur_x;
	size_t	 start, k, secret;
	char	 q[TUI_MSG_MAX + 64];

	werase(w);
	switch (v->mode) {
	case TUI_MODE_PROMPT:
		mvwaddstr(w, 0, 0, ":");
		secret = prompt_secret_at(v);
		/* Scroll horizontally so the cursor stays on screen. */
		start = 0;
		for (;;) {
			cw = 0;
			for (k = start; k < v->prompt_cur; k++)
				cw += wcwidth(v->prompt[k]) > 0 ?
				    wcwidth(v->prompt[k]) : 0;
			if (cw < cols - 2 || start >= v->prompt_cur)
				break;
			start++;
		}
		x = 1;
		cur_x = 1;
		for (k = start; k < v->prompt_len; k++) {
			int ww = wcwidth(v->prompt[k]);

			if (ww < 0)
				ww = 1;
			if (x + ww > cols)
				break;
			if (k == v->prompt_cur)
				cur_x = x;
			if (k >= secret && !iswspace((wint_t)v->prompt[k]))
				mvwaddnwstr(w, 0, x, L"*", 1);
			else
				mvwaddnwstr(w, 0, x, &v->prompt[k], 1);
			x += ww;
		}
		if (v->prompt_cur >= v->prompt_len)
			cur_x = x < cols ? x : cols - 1;
		wmove(w, 0, cur_x);
		return;
	case TUI_MODE_CONFIRM:
		/* The question may be cut, never the "(y/n)". */
		snprintf(q, sizeof q, " %s", _("(y/n)"));
		x = tui_text_width(q);
		if (x > cols)
			x = cols;
		cw = tui_text_width(v->question);
		if (cw > cols - x)
			cw = cols - x;
		put_fit(w, 0, 0, v->question, cw, v->utf8, 1,
		    view_attr(v, TUI_C_WARN, A_BOLD | A_REVERSE));
		put_fit(w, 0, cw, q, x, v->utf8, 1,
		    view_attr(v, TUI_C_WARN, A_BOLD | A_REVERSE));
		return;
	default:
		break;
	}
	if (v->busy && v->msg[0] == '\0')
		put_fit(w, 0, 0, _("Running the command..."), cols, v->utf8, 1,
		    A_DIM);
	else if (v->msg[0] != '\0') {
		/* A long message keeps its end (the reason) in view. */
		char	fit[TUI_MSG_MAX * 2];

		tui_text_fit_middle(v->msg, cols, v->utf8, fit, sizeof fit);
		put_fit(w, 0, 0, fit, cols, v->utf8, 1, v->msg_error ?
		    view_attr(v, TUI_C_ERROR, A_BOLD) :
		    view_attr(v, TUI_C_OK, A_NORMAL));
	}
}

static void
draw_hint(struct tui_view *v)
{
	WINDOW		*w = v->win[TUI_R_HINT];
	const char	*h;

	werase(w);
	switch (v->mode) {
	case TUI_MODE_PROMPT:
		/* Completion choices show here while typing. */
		h = v->msg[0] != '\0' ? v->msg : _("Enter run  Esc cancel  "
		    "Up/Down history  Tab complete");
		break;
	case TUI_MODE_CONFIRM:
		h = _("y yes  n no");
		break;
	case TUI_MODE_OVERLAY:
		h = _("j/k scroll  Esc, q or ? close");
		break;
	default:
		h = _(tui_pane_hints[v->focus]);
		break;
	}
	put_fit(w, 0, 0, h, getmaxx(w), v->utf8, 1, A_REVERSE);
}

static void
draw_overlay(struct tui_view *v)
{
	WINDOW	*w;
	int	 h, wd, y, rows;
	size_t	 k, maxw = 0;

	for (k = 0; k < v->noverlay; k++)
		if ((size_t)tui_text_width(v->overlay[k]) > maxw)
			maxw = (size_t)tui_text_width(v->overlay[k]);
	wd = (int)maxw + 4;
	if (wd > v->cols - 2)
		wd = v->cols - 2;
	if (wd < 30 && v->cols - 2 >= 30)
		wd = 30;
	h = (int)v->noverlay + 2;
	if (h > v->rows - 3)
		h = v->rows - 3;
	if (v->overlay_win != NULL)
		delwin(v->overlay_win);
	v->overlay_win = w = newwin(h, wd, (v->rows - 1 - h) / 2,
	    (v->cols - wd) / 2);
	if (w == NULL)
		return;
	leaveok(w, TRUE);
	werase(w);
	if (v->utf8)
		box(w, 0, 0);
	else
		wborder(w, '|', '|', '-', '-', '+', '+', '+', '+');
	rows = h - 2;
	if (v->noverlay > (size_t)rows &&
	    v->overlay_top > v->noverlay - (size_t)rows)
		v->overlay_top = v->noverlay - (size_t)rows;
	if (v->noverlay <= (size_t)rows)
		v->overlay_top = 0;
	if (v->overlay_title != NULL) {
		char t[256];

		snprintf(t, sizeof t, " %s ", v->overlay_title);
		put_fit(w, 0, 2, t, wd - 4, v->utf8, 0, A_BOLD);
	}
	for (k = v->overlay_top, y = 1; k < v->noverlay && y <= rows;
	    k++, y++)
		put_fit(w, y, 2, v->overlay[k], wd - 4, v->utf8, 1, A_NORMAL);
	if (v->noverlay > (size_t)rows) {
		char more[64];

		snprintf(more, sizeof more, " %zu-%zu/%zu ",
		    v->overlay_top + 1, v->overlay_top + (size_t)rows,
		    v->noverlay);
		put_fit(w, h - 1, wd - 2 - tui_text_width(more), more,
		    tui_text_width(more), v->utf8, 0, A_NORMAL);
	}
	wnoutrefresh(w);
}

static void
draw_too_small(struct tui_view *v)
{
	char	msg[256];
	int	y = LINES / 2 > 0 ? LINES / 2 - 1 : 0;

	werase(stdscr);
	snprintf(msg, sizeof msg, _("Terminal too small: %dx%d"), COLS, LINES);
	put_fit(stdscr, y, 0, msg, COLS, v->utf8, 0, A_BOLD);
	snprintf(msg, sizeof msg, _("Need at least %dx%d; q quits."),
	    TUI_MIN_COLS, TUI_MIN_ROWS);
	if (y + 1 < LINES)
		put_fit(stdscr, y + 1, 0, msg, COLS, v->utf8, 0, A_NORMAL);
	leaveok(stdscr, TRUE);
	wnoutrefresh(stdscr);
}

void
tui_view_draw(struct tui_view *v)
{
	static void (*const fns[TUI_NREGIONS])(struct tui_view *) = {
		draw_status, draw_queue, draw_pieces, draw_peers, draw_log,
		draw_prompt, draw_hint
	};
	int	i, any = v->dirty != 0;

	if (v->layout.too_small || v->win[0] == NULL) {
		if (v->dirty)
			draw_too_small(v);
		v->dirty = 0;
		curs_set(0);
		doupdate();
		return;
	}
	tui_view_clamp(v);
	for (i = 0; i < TUI_NREGIONS; i++) {
		if (i == TUI_R_PROMPT || !(v->dirty & (1u << i)))
			continue;
		fns[i](v);
		wnoutrefresh(v->win[i]);
	}
	if (v->mode == TUI_MODE_OVERLAY) {
		if (any)
			draw_overlay(v);
	} else if (v->overlay_win != NULL) {
		delwin(v->overlay_win);
		v->overlay_win = NULL;
	}
	/* The prompt goes last so that the cursor ends up on it. */
	if (v->dirty & (1u << TUI_R_PROMPT) || v->mode == TUI_MODE_PROMPT) {
		draw_prompt(v);
		wnoutrefresh(v->win[TUI_R_PROMPT]);
	}
	curs_set(v->mode == TUI_MODE_PROMPT ? 1 : 0);
	v->dirty = 0;
	doupdate();
}
