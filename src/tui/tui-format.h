/*
 * tui-format.h: pure text formatting for the dashboard.
 *
 * Everything here is a function of its arguments (and of the current
 * LC_CTYPE for the display-width functions): no curses, no clock, no
 * engine.  The drawing code builds each cell of the screen from these,
 * and tests/check_tui_layout.c tests them directly.
 */
#ifndef MT_TUI_FORMAT_H
#define MT_TUI_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Below this size the dashboard says "terminal too small". */
#define TUI_MIN_COLS	60
#define TUI_MIN_ROWS	15

/*
 * Human sizes with binary prefixes: "0 B", "512 B", "1.5 KiB", "20.0 MiB",
 * "3.2 GiB".  A rate appends "/s".  Always NUL-terminated.
 */
void	tui_fmt_size(uint64_t bytes, char *buf, size_t len);
void	tui_fmt_rate(uint64_t bps, char *buf, size_t len);

/*
 * Duration in at most two units: "45s", "3m05s", "1h02m", "2d03h".
 */
void	tui_fmt_duration(uint64_t secs, char *buf, size_t len);

/*
 * The ETA column.  An honest estimate: seeding shows "done"; when
 * unavailable > 0 (missing pieces no reachable peer holds) it says
 * "stalled: N pieces unavailable" instead of a time; with no rate it
 * shows "--"; otherwise remaining / rate_bps as a duration.  rate_bps is
 * an averaged rate (see tui_rate_smooth()).  Translated.
 */
void	tui_fmt_eta(uint64_t remaining, double rate_bps, uint32_t unavailable,
	    int seeding, char *buf, size_t len);

/*
 * Exponentially weighted average of a rate: the new sample counts for
 * dt_s / (dt_s + tau_s).  old < 0 means "no history": returns sample.
 */
double	tui_rate_smooth(double old, double sample, double dt_s, double tau_s);

/*
 * A progress bar exactly width display cells wide for frac in [0, 1].
 * With utf8, full blocks and eighth blocks over light shade; otherwise
 * '#' over '.'.  Returns the number of bytes written (excluding NUL).
 */
size_t	tui_fmt_bar(double frac, int width, int utf8, char *buf, size_t len);

/* Display cells of s after sanitising as tui_text_fit() does. */
int	tui_text_width(const char *s);

/*
 * Copy s into out so that it takes at most width display cells (exactly
 * width when pad is set, filling with spaces).  Control characters,
 * escape sequences and invalid multibyte sequences become '?', so a
 * hostile name can neither move the cursor nor misalign a column; wide
 * characters count two cells and combining characters none.  When s does
 * not fit, it is cut at a character boundary and ends with an ellipsis
 * ("…" with utf8, "~" otherwise).  Returns the display width written.
 * out is always NUL-terminated; outlen of 4 * width + 8 always suffices.
 */
int	tui_text_fit(const char *s, int width, int pad, int utf8, char *out,
	    size_t outlen);

/*
 * As tui_text_fit() without padding, but a text that does not fit loses
 * its middle, not its end: about a third of width from its start, the
 * ellipsis, then its end ("error io: /very/lo…: No such file or
 * directory"), so that the reason after a long path stays readable.
 */
int	tui_text_fit_middle(const char *s, int width, int utf8, char *out,
	    size_t outlen);

/*
 * The piece map: cells summarise runs of per_cell consecutive pieces.
 */
enum tui_cell_kind {
	TUI_CELL_HAVE = 0,	/* every piece of the run verified */
	TUI_CELL_INFLIGHT,	/* some piece of the run being fetched */
	TUI_CELL_PARTIAL,	/* some verified, the rest missing */
	TUI_CELL_MISSING	/* none verified nor in flight */
};

struct tui_cell {
	enum tui_cell_kind	 kind;
	uint16_t		 avail;	/* fewest peers holding a missing
					   piece of the run (rarity) */
};

/*
 * Fill at most ncells cells for npieces pieces (pieces[] holds enum
 * snapshot_piece values, avail[] peers per piece, may be NULL).  One cell
 * per piece when they fit, else one per run of ceil(npieces / ncells).
 * Returns the number of cells used; *per_cell gets the run length.
 */
uint32_t tui_piece_cells(const uint8_t *pieces, const uint16_t *avail,
	    uint32_t npieces, uint32_t ncells, struct tui_cell *out,
	    uint32_t *per_cell);

/* The glyph (UTF-8 or ASCII) drawn for a cell. */
const char *tui_cell_glyph(const struct tui_cell *c, int utf8);

/*
 * Shorten a log ring line ("2026-01-02 10:11:12.345 info  [main] text")
 * to "10:11:12 text", keeping "warn"/"error" as a prefix of the text.
 * Lines of another shape are copied unchanged.
 */
void	tui_log_shorten(const char *line, char *out, size_t outlen);

/*
 * Screen layout: where each pane goes for a terminal of cols x rows.
 */
struct tui_rect {
	int	y, x, h, w;
};

struct tui_layout {
	int		too_small;	/* below TUI_MIN_COLS x TUI_MIN_ROWS */
	struct tui_rect	status;		/* two lines at the top: peer and
					   rates, then the trackers */
	struct tui_rect	queue;		/* download queue (title + rows) */
	struct tui_rect	pieces;		/* piece map of the selection */
	struct tui_rect	peers;		/* peers of the selection */
	struct tui_rect	log;		/* recent events */
	struct tui_rect	prompt;		/* command line / messages */
	struct tui_rect	hint;		/* key hints, bottom line */
};

/*
 * Compute the layout.  nqueue and npeers are the rows the queue and peer
 * panes would like; every pane keeps at least a title and one row, and
 * the log takes what is left.  At 160 columns and more the piece map and
 * the peer list sit side by side.
 */
void	tui_layout_compute(int cols, int rows, size_t nqueue, size_t npeers,
	    struct tui_layout *l);

#endif /* MT_TUI_FORMAT_H */
