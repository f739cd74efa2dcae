/*
 * check_tui_layout.c: the dashboard's formatting and drawing.
 *
 * The pure functions of tui-format.c are tested directly (sizes, ETA,
 * progress bars, display-width truncation, piece-map runs, the layout at
 * every size).  The drawing code of tui-draw.c is tested on a real
 * curses screen written to /dev/null: a fabricated snapshot is drawn and
 * the cells are read back with mvwin_wch(), so the tests see columns as
 * the terminal would.  No engine is involved.
 *
 * Strings compared here are the untranslated msgids (no text domain is
 * bound), so the tests do not depend on a translation.
 */
#include "config.h"

#include <check.h>
#include <locale.h>
#include <math.h>		/* NAN */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "snapshot.h"
#include "tui/tui-format.h"
#include "tui/tui-int.h"

static int	utf8_ok;

static double
absd(double d)
{
	return (d < 0 ? -d : d);
}

static void
setup_locale(void)
{
	utf8_ok = setlocale(LC_ALL, "C.UTF-8") != NULL;
}

/* ---- sizes, durations, ETA ---------------------------------------------- */

static const struct {
	uint64_t	 in;
	const char	*out;
} size_rows[] = {
	{ 0, "0 B" },
	{ 1023, "1023 B" },
	{ 1024, "1.0 KiB" },
	{ 1536, "1.5 KiB" },
	{ 20ULL << 20, "20.0 MiB" },
	{ 100ULL << 20, "100 MiB" },
	{ 1023ULL << 20, "1023 MiB" },
	{ 3ULL << 30, "3.0 GiB" },
};

START_TEST(test_size)
{
	char	buf[32];

	tui_fmt_size(size_rows[_i].in, buf, sizeof buf);
	ck_assert_str_eq(buf, size_rows[_i].out);
	ck_assert_int_le(strlen(buf), 8);	/* the column is 8 wide */
}
END_TEST

START_TEST(test_rate_width)
{
	char		buf[32];
	uint64_t	v;

	/* Every rate fits the 10-cell rate column. */
	for (v = 1; v < (1ULL << 50); v = v * 3 + 1) {
		tui_fmt_rate(v, buf, sizeof buf);
		ck_assert_int_le(strlen(buf), 10);
	}
	tui_fmt_rate(1536, buf, sizeof buf);
	ck_assert_str_eq(buf, "1.5 KiB/s");
}
END_TEST

START_TEST(test_duration)
{
	char	buf[32];

	tui_fmt_duration(45, buf, sizeof buf);
	ck_assert_str_eq(buf, "45s");
	tui_fmt_duration(185, buf, sizeof buf);
	ck_assert_str_eq(buf, "3m05s");
	tui_fmt_duration(3720, buf, sizeof buf);
	ck_assert_str_eq(buf, "1h02m");
	tui_fmt_duration(2 * 86400 + 3 * 3600 + 59, buf, sizeof buf);
	ck_assert_str_eq(buf, "2d03h");
	tui_fmt_duration(1000 * 86400ULL, buf, sizeof buf);
	ck_assert_str_eq(buf, ">99d");
}
END_TEST

START_TEST(test_eta)
{
	char	buf[64];

	/* 1 MiB left at 64 KiB/s: 16 s. */
	tui_fmt_eta(1 << 20, 65536.0, 0, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "16s");
	/* Pieces nobody has: no time is promised, whatever the rate. */
	tui_fmt_eta(1 << 20, 1e9, 3, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "stalled: 3 pieces unavailable");
	tui_fmt_eta(1 << 20, 1e9, 1, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "stalled: 1 piece unavailable");
	/* No rate yet. */
	tui_fmt_eta(1 << 20, 0.0, 0, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "--");
	tui_fmt_eta(0, 0.0, 0, 1, buf, sizeof buf);
	ck_assert_str_eq(buf, "done");
}
END_TEST

START_TEST(test_smooth)
{
	double	r;
	int	i;

	ck_assert(tui_rate_smooth(-1, 500, 1, 8) == 500);
	/* A one-second spike moves the average by 1/9 of the jump. */
	r = tui_rate_smooth(900, 0, 1, 8);
	ck_assert(absd(r - 800) < 1e-9);
	/* Converges to a steady rate. */
	for (r = 0, i = 0; i < 100; i++)
		r = tui_rate_smooth(r, 1000, 1, 8);
	ck_assert(absd(r - 1000) < 1);
}
END_TEST

/* ---- progress bar ------------------------------------------------------- */

START_TEST(test_bar)
{
	char	buf[256];
	double	f;
	int	w;

	if (!utf8_ok)
		return;
	tui_fmt_bar(0.5, 10, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "#####.....");
	tui_fmt_bar(1.0, 4, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "####");
	tui_fmt_bar(NAN, 4, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "....");
	tui_fmt_bar(0.5, 4, 1, buf, sizeof buf);
	ck_assert_str_eq(buf, "\u2588\u2588\u2591\u2591");
	tui_fmt_bar(0.125 / 2, 2, 1, buf, sizeof buf);	/* one eighth */
	ck_assert_str_eq(buf, "\u258f\u2591");
	for (w = 1; w <= 40; w++)
		for (f = -0.5; f <= 1.5; f += 0.01) {
			tui_fmt_bar(f, w, 1, buf, sizeof buf);
			ck_assert_int_eq(tui_text_width(buf), w);
			tui_fmt_bar(f, w, 0, buf, sizeof buf);
			ck_assert_int_eq((int)strlen(buf), w);
		}
}
END_TEST

/* ---- display width ------------------------------------------------------ */

static const char *const names[] = {
	"plain.iso",
	"\u65e5\u672c\u8a9e\u306e\u30d5\u30a1\u30a4\u30eb.iso", /* wide */
	"cafe\u0301 re\u0301sume\u0301.txt",		/* combining */
	"\x1b[31mred\x1b[0m\r\n.bin",			/* escapes */
	"bad\xff\xfeutf8.bin",				/* invalid */
	"\u0301leading-combining",
	"mixed \u4e2d\u6587 and e\u0301 and \U0001f600 emoji",
	"",
};

START_TEST(test_fit_width)
{
	char	out[256];
	int	w, got;

	if (!utf8_ok)
		return;
	for (w = 0; w <= 40; w++) {
		got = tui_text_fit(names[_i], w, 1, 1, out, sizeof out);
		ck_assert_int_eq(got, w);
		ck_assert_int_eq(tui_text_width(out), w);
		ck_assert_ptr_null(strchr(out, '\x1b'));
		ck_assert_ptr_null(strchr(out, '\r'));
		ck_assert_ptr_null(strchr(out, '\n'));
		/* Unpadded: never wider than asked. */
		got = tui_text_fit(names[_i], w, 0, 1, out, sizeof out);
		ck_assert_int_le(got, w);
		ck_assert_int_eq(tui_text_width(out), got);
	}
}
END_TEST

START_TEST(test_fit_cases)
{
	char	out[256];

	if (!utf8_ok)
		return;
	tui_text_fit("abcdefghij", 5, 0, 0, out, sizeof out);
	ck_assert_str_eq(out, "abcd~");
	tui_text_fit("abcdefghij", 5, 0, 1, out, sizeof out);
	ck_assert_str_eq(out, "abcd\u2026");
	tui_text_fit("abc", 5, 1, 1, out, sizeof out);
	ck_assert_str_eq(out, "abc  ");
	/* A long message loses its middle: the reason stays in view. */
	ck_assert_int_eq(tui_text_fit_middle("error io: /tmp/aaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: No such file or directory", 40, 1,
	    out, sizeof out), 40);
	ck_assert_str_eq(out, "error io: /tm\u2026 No such file or directory");
	ck_assert_int_eq(tui_text_fit_middle("short", 40, 1, out, sizeof out),
	    5);
	ck_assert_str_eq(out, "short");
	/* Wide characters: two cells each, never split. */
	ck_assert_int_eq(tui_text_width("\u65e5\u672c\u8a9e"), 6);
	tui_text_fit("\u65e5\u672c\u8a9e", 4, 1, 1, out, sizeof out);
	ck_assert_str_eq(out, "\u65e5\u2026 ");
	/* Combining marks take no cell and stay with their letter. */
	ck_assert_int_eq(tui_text_width("e\u0301"), 1);
	tui_text_fit("e\u0301e\u0301", 2, 0, 1, out, sizeof out);
	ck_assert_str_eq(out, "e\u0301e\u0301");
	/* Escape sequences and bad bytes are shown as '?'. */
	tui_text_fit("\x1b[1mX", 10, 0, 1, out, sizeof out);
	ck_assert_str_eq(out, "?[1mX");
	tui_text_fit("a\xffz", 10, 0, 1, out, sizeof out);
	ck_assert_str_eq(out, "a?z");
	/* A tiny buffer is respected. */
	tui_text_fit("abcdefgh", 8, 0, 0, out, 4);
	ck_assert_str_eq(out, "abc");
}
END_TEST

/* ---- piece map ---------------------------------------------------------- */

START_TEST(test_cells_one_per_piece)
{
	uint8_t		p[5] = { SNAP_PIECE_HAVE, SNAP_PIECE_INFLIGHT,
			    SNAP_PIECE_MISSING, SNAP_PIECE_MISSING,
			    SNAP_PIECE_HAVE };
	uint16_t	av[5] = { 4, 3, 2, 0, 1 };
	struct tui_cell	c[20];
	uint32_t	per, n;

	n = tui_piece_cells(p, av, 5, 20, c, &per);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(per, 1);
	ck_assert_int_eq(c[0].kind, TUI_CELL_HAVE);
	ck_assert_int_eq(c[1].kind, TUI_CELL_INFLIGHT);
	ck_assert_int_eq(c[2].kind, TUI_CELL_MISSING);
	ck_assert_uint_eq(c[2].avail, 2);
	ck_assert_uint_eq(c[3].avail, 0);
	ck_assert_str_eq(tui_cell_glyph(&c[2], 0), "2");
	ck_assert_str_eq(tui_cell_glyph(&c[3], 0), "x");
	ck_assert_str_eq(tui_cell_glyph(&c[0], 0), "#");
	ck_assert_str_eq(tui_cell_glyph(&c[1], 0), "+");
}
END_TEST

START_TEST(test_cells_runs)
{
	uint8_t		*p;
	uint16_t	*av;
	struct tui_cell	 c[10];
	uint32_t	 per, n, i;

	p = calloc(1000, 1);
	av = calloc(1000, sizeof *av);
	for (i = 0; i < 1000; i++) {
		av[i] = 5;
		if (i < 300)
			p[i] = SNAP_PIECE_HAVE;
		else if (i == 350)
			p[i] = SNAP_PIECE_INFLIGHT;
		else if (i >= 400 && i < 450)
			p[i] = SNAP_PIECE_HAVE;
	}
	av[777] = 1;
	n = tui_piece_cells(p, av, 1000, 10, c, &per);
	ck_assert_uint_eq(per, 100);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(c[0].kind, TUI_CELL_HAVE);
	ck_assert_int_eq(c[2].kind, TUI_CELL_HAVE);
	ck_assert_int_eq(c[3].kind, TUI_CELL_INFLIGHT);
	ck_assert_int_eq(c[4].kind, TUI_CELL_PARTIAL);
	ck_assert_int_eq(c[5].kind, TUI_CELL_MISSING);
	ck_assert_uint_eq(c[5].avail, 5);
	ck_assert_uint_eq(c[7].avail, 1);	/* the rarest piece shows */
	/* 1001 pieces in 10 cells: runs of 101, 10 cells. */
	n = tui_piece_cells(p, NULL, 1000, 9, c, &per);
	ck_assert_uint_eq(per, 112);
	ck_assert_uint_eq(n, 9);
	n = tui_piece_cells(p, av, 0, 10, c, &per);
	ck_assert_uint_eq(n, 0);
	free(p);
	free(av);
}
END_TEST

/* ---- log lines ---------------------------------------------------------- */

START_TEST(test_log_shorten)
{
	char	out[256];

	tui_log_shorten("2026-01-02 10:11:12.345 info  [main] piece 3 ok",
	    out, sizeof out);
	ck_assert_str_eq(out, "10:11:12 piece 3 ok");
	tui_log_shorten("2026-01-02 10:11:12.345 warn  [w1] peer gone", out,
	    sizeof out);
	ck_assert_str_eq(out, "10:11:12 warn: peer gone");
	tui_log_shorten("odd line", out, sizeof out);
	ck_assert_str_eq(out, "odd line");
}
END_TEST

/* ---- layout ------------------------------------------------------------- */

static void
check_rect(const struct tui_rect *r, int cols, int rows)
{
	ck_assert_int_ge(r->y, 0);
	ck_assert_int_ge(r->x, 0);
	ck_assert_int_ge(r->h, 1);
	ck_assert_int_ge(r->w, 1);
	ck_assert_int_le(r->y + r->h, rows);
	ck_assert_int_le(r->x + r->w, cols);
}

START_TEST(test_layout_all_sizes)
{
	struct tui_layout	l;
	int			cols, rows, cells, overlap, y, x;
	size_t			nq, np;
	unsigned char		*seen;

	for (cols = TUI_MIN_COLS; cols <= 200; cols += 7)
		for (rows = TUI_MIN_ROWS; rows <= 70; rows += 3)
			for (nq = 0; nq < 30; nq += 7)
				for (np = 0; np < 30; np += 9) {
	const struct tui_rect *r[7];
	int i;

	tui_layout_compute(cols, rows, nq, np, &l);
	ck_assert_int_eq(l.too_small, 0);
	r[0] = &l.status; r[1] = &l.queue; r[2] = &l.pieces; r[3] = &l.peers;
	r[4] = &l.log; r[5] = &l.prompt; r[6] = &l.hint;
	seen = calloc((size_t)cols * (size_t)rows, 1);
	cells = overlap = 0;
	for (i = 0; i < 7; i++) {
		check_rect(r[i], cols, rows);
		for (y = r[i]->y; y < r[i]->y + r[i]->h; y++)
			for (x = r[i]->x; x < r[i]->x + r[i]->w; x++) {
				overlap += seen[y * cols + x];
				seen[y * cols + x] = 1;
				cells++;
			}
	}
	/* No two panes overlap; together they cover the screen. */
	ck_assert_int_eq(overlap, 0);
	ck_assert_int_eq(cells, cols * rows);
	free(seen);
	ck_assert_int_eq(l.status.h, 2);
	/* Every pane has its title and at least one row. */
	ck_assert_int_ge(l.queue.h, 3);
	ck_assert_int_ge(l.pieces.h, 3);
	ck_assert_int_ge(l.peers.h, 2);
	ck_assert_int_ge(l.log.h, 2);
	ck_assert_int_eq(l.hint.y, rows - 1);
	ck_assert_int_eq(l.status.y, 0);
				}
}
END_TEST

START_TEST(test_layout_too_small)
{
	struct tui_layout	l;

	tui_layout_compute(TUI_MIN_COLS - 1, 40, 1, 1, &l);
	ck_assert_int_eq(l.too_small, 1);
	tui_layout_compute(100, TUI_MIN_ROWS - 1, 1, 1, &l);
	ck_assert_int_eq(l.too_small, 1);
	tui_layout_compute(TUI_MIN_COLS, TUI_MIN_ROWS, 1, 1, &l);
	ck_assert_int_eq(l.too_small, 0);
}
END_TEST

/* ---- drawing on a virtual screen ---------------------------------------- */

static SCREEN		*scr;
static FILE		*scr_out, *scr_in;
static struct snapshot	 snap;
static struct tui_view	*view;

static void
fake_torrent(struct snapshot_torrent *t, const char *name, uint32_t npieces,
    uint32_t have, int seeding, uint32_t unavailable)
{
	uint32_t	i;

	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->file_id, sizeof t->file_id, "%040u", npieces);
	t->size = (uint64_t)npieces * 524288;
	t->npieces = npieces;
	t->have = have;
	t->seeding = seeding;
	t->unavailable = unavailable;
	t->down_bps = seeding ? 0 : 1536 * 1024;
	t->pieces = calloc(npieces, 1);
	t->avail = calloc(npieces, sizeof *t->avail);
	for (i = 0; i < npieces; i++) {
		t->pieces[i] = i < have ? SNAP_PIECE_HAVE : SNAP_PIECE_MISSING;
		t->avail[i] = i < npieces - unavailable ? 2 : 0;
	}
	if (have < npieces)
		t->pieces[have] = SNAP_PIECE_INFLIGHT;
}

static void
draw_setup(void)
{
	static struct snapshot_tracker	tr[2];
	static struct snapshot_peer	peers[2];

	setup_locale();
	setenv("TERM", "xterm-256color", 1);
	setenv("COLUMNS", "100", 1);
	setenv("LINES", "30", 1);
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(scr_out);
	ck_assert_ptr_nonnull(scr_in);
	scr = newterm("xterm-256color", scr_out, scr_in);
	ck_assert_ptr_nonnull(scr);

	memset(&snap, 0, sizeof snap);
	snprintf(snap.listen, sizeof snap.listen, "127.0.0.1:6881");
	snprintf(snap.user, sizeof snap.user, "alice");
	snprintf(tr[0].addr, sizeof tr[0].addr, "127.0.0.1:7000");
	tr[0].up = 1;
	tr[0].in_use = 1;
	tr[0].embedded = 1;
	snprintf(tr[1].addr, sizeof tr[1].addr, "127.0.0.1:7001");
	snap.trackers = tr;
	snap.ntrackers = 2;
	snap.ntorrents = 5;
	snap.torrents = calloc(snap.ntorrents, sizeof *snap.torrents);
	fake_torrent(&snap.torrents[0], "plain.iso", 40, 40, 1, 0);
	fake_torrent(&snap.torrents[1], names[1], 100, 50, 0, 0);
	fake_torrent(&snap.torrents[2], names[2], 300, 10, 0, 12);
	fake_torrent(&snap.torrents[3], names[3], 7, 0, 0, 0);
	fake_torrent(&snap.torrents[4], names[6], 2000, 1999, 0, 0);
	snprintf(peers[0].addr, sizeof peers[0].addr, "127.0.0.1:6882");
	peers[0].have = 100;
	peers[0].have_known = 1;
	peers[0].state = SNAP_PEER_CONNECTED;
	snprintf(peers[1].addr, sizeof peers[1].addr, "127.0.0.1:6883");
	peers[1].state = SNAP_PEER_BANNED;
	peers[1].strikes = 3;
	snap.torrents[1].peers = peers;
	snap.torrents[1].npeers = 2;

	view = calloc(1, sizeof *view);
	view->utf8 = utf8_ok;
	view->snap = &snap;
	tui_view_resize(view);
}

static void
draw_teardown(void)
{
	size_t	i;

	tui_view_free_windows(view);
	free(view);
	endwin();
	delscreen(scr);
	fclose(scr_out);
	fclose(scr_in);
	for (i = 0; i < snap.ntorrents; i++) {
		free(snap.torrents[i].pieces);
		free(snap.torrents[i].avail);
	}
	free(snap.torrents);
}

/* Cell x of row y of w as a wide char (0 for a wide char's right half). */
static wchar_t
cell_at(WINDOW *w, int y, int x)
{
	cchar_t	cc;
	wchar_t	wch[CCHARW_MAX + 1];
	attr_t	a;
	short	pair;

	if (mvwin_wch(w, y, x, &cc) == ERR)
		return (0);
	if (getcchar(&cc, wch, &a, &pair, NULL) == ERR)
		return (0);
	return (wch[0]);
}

/* Row y of w as UTF-8, one entry per character (wide halves skipped). */
static void
row_text(WINDOW *w, int y, char *out, size_t len)
{
	wchar_t	wbuf[512];
	int	n;

	n = mvwinnwstr(w, y, 0, wbuf, 511);
	if (n == ERR)
		n = 0;
	wbuf[n] = 0;
	wcstombs(out, wbuf, len);
}

/* Display column of the first cell holding wc on row y, or -1. */
static int
col_of(WINDOW *w, int y, wchar_t wc)
{
	int	x;

	for (x = 0; x < getmaxx(w); x++)
		if (cell_at(w, y, x) == wc)
			return (x);
	return (-1);
}

START_TEST(test_draw_queue_aligned)
{
	WINDOW	*q;
	int	 y, pct, first = -1;
	char	 row[2048];

	if (!utf8_ok)
		return;
	view->dirty = TUI_DIRTY_ALL;
	tui_view_draw(view);
	q = view->win[TUI_R_QUEUE];
	ck_assert_ptr_nonnull(q);
	/* Rows 2..6 are the five files; the '%' column lines up. */
	for (y = 2; y < 2 + 5 && y < getmaxy(q); y++) {
		pct = col_of(q, y, L'%');
		ck_assert_int_ge(pct, 0);
		if (first == -1)
			first = pct;
		ck_assert_int_eq(pct, first);
	}
	row_text(q, 2, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "[S]"));
	ck_assert_ptr_nonnull(strstr(row, "plain.iso"));
	ck_assert_ptr_nonnull(strstr(row, "100%"));
	row_text(q, 3, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "[D]"));
	ck_assert_ptr_nonnull(strstr(row, "50%"));
	ck_assert_ptr_nonnull(strstr(row, "1.5 MiB/s"));
	/* The stalled one says so instead of a time. */
	row_text(q, 4, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "stalled: 12 pieces unavailable"));
	/* The hostile name reached the screen without its ESC. */
	row_text(q, 5, row, sizeof row);
	ck_assert_ptr_null(strchr(row, '\x1b'));
	ck_assert_ptr_nonnull(strstr(row, "?[31mred"));
}
END_TEST

START_TEST(test_draw_status_and_peers)
{
	char	row[2048];
	WINDOW	*p;

	view->sel = 1;
	view->dirty = TUI_DIRTY_ALL;
	tui_view_draw(view);
	row_text(view->win[TUI_R_STATUS], 0, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "Peer 127.0.0.1:6881 | user alice"));
	ck_assert_ptr_nonnull(strstr(row, "\u2193 0 B/s"));
	row_text(view->win[TUI_R_STATUS], 1, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "Trackers: 127.0.0.1:7000 "
	    "[embedded, in use] 127.0.0.1:7001 [no answer]"));
	p = view->win[TUI_R_PEERS];
	row_text(p, 1, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "127.0.0.1:6882"));
	ck_assert_ptr_nonnull(strstr(row, "100.0%"));
	ck_assert_ptr_nonnull(strstr(row, "connected"));
	if (getmaxy(p) > 2) {
		row_text(p, 2, row, sizeof row);
		ck_assert_ptr_nonnull(strstr(row, "banned, 3 bad pieces"));
		/* It never told us what it has: not "0.0%". */
		ck_assert_ptr_null(strstr(row, "0.0%"));
		ck_assert_ptr_nonnull(strstr(row, " ? "));
	}
}
END_TEST

START_TEST(test_draw_piece_map)
{
	WINDOW		*w;
	int		 x, have = 0, inflight = 0, cols;
	const wchar_t	 full = utf8_ok ? 0x2588 : L'#';
	const wchar_t	 infl = utf8_ok ? 0x2592 : L'+';
	char		 row[2048];

	view->sel = 1;		/* 100 pieces, 50 verified, 1 in flight */
	view->dirty = TUI_DIRTY_ALL;
	tui_view_draw(view);
	w = view->win[TUI_R_PIECES];
	cols = getmaxx(w);
	ck_assert_int_ge(cols, 100);	/* one cell per piece on one row */
	for (x = 0; x < cols; x++) {
		if (cell_at(w, 1, x) == full)
			have++;
		else if (cell_at(w, 1, x) == infl)
			inflight++;
	}
	ck_assert_int_eq(have, 50);
	ck_assert_int_eq(inflight, 1);
	ck_assert_int_eq(cell_at(w, 1, 51), L'2');	/* held by 2 peers */
	row_text(w, 0, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "50/100 verified"));
	/* The legend is on the last row. */
	row_text(w, getmaxy(w) - 1, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "verified"));
	ck_assert_ptr_nonnull(strstr(row, "in flight"));

	/* 2000 pieces do not fit: runs, and the title says how long. */
	view->sel = 4;
	view->dirty = TUI_DIRTY_ALL;
	tui_view_draw(view);
	row_text(view->win[TUI_R_PIECES], 0, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "one cell = "));
}
END_TEST

START_TEST(test_draw_resize_small)
{
	wchar_t	wbuf[256];
	char	row[1024];
	int	y, found = 0;

	resizeterm(10, 50);
	tui_view_resize(view);
	ck_assert_int_eq(view->layout.too_small, 1);
	tui_view_draw(view);
	for (y = 0; y < LINES; y++) {
		if (mvwinnwstr(stdscr, y, 0, wbuf, 255) == ERR)
			continue;
		wcstombs(row, wbuf, sizeof row);
		if (strstr(row, "Terminal too small: 50x10") != NULL)
			found = 1;
	}
	ck_assert_int_eq(found, 1);
	/* And back: every pane is there again. */
	resizeterm(30, 100);
	tui_view_resize(view);
	ck_assert_int_eq(view->layout.too_small, 0);
	tui_view_draw(view);
	ck_assert_ptr_nonnull(view->win[TUI_R_QUEUE]);
	ck_assert_int_eq(getmaxx(view->win[TUI_R_QUEUE]), 100);
	/* The narrowest allowed screen still shows state and percent. */
	resizeterm(TUI_MIN_ROWS, TUI_MIN_COLS);
	tui_view_resize(view);
	view->sel = 0;
	tui_view_draw(view);
	row_text(view->win[TUI_R_QUEUE], 2, row, sizeof row);
	ck_assert_ptr_nonnull(strstr(row, "[S]"));
	ck_assert_ptr_nonnull(strstr(row, "100%"));
	ck_assert_int_le(tui_text_width(row), TUI_MIN_COLS);
}
END_TEST

START_TEST(test_draw_ascii)
{
	WINDOW	*w;
	int	 x, y;
	wchar_t	 c;

	view->utf8 = 0;
	view->sel = 1;
	view->dirty = TUI_DIRTY_ALL;
	tui_view_draw(view);
	/* Nothing outside ASCII is drawn but the file names themselves. */
	w = view->win[TUI_R_PIECES];
	for (y = 0; y < getmaxy(w); y++)
		for (x = 0; x < getmaxx(w); x++) {
			c = cell_at(w, y, x);
			if (y == 0 && c > 0x7f)
				continue;	/* the title holds the name */
			ck_assert_int_le(c, 0x7f);
		}
	view->utf8 = utf8_ok;
}
END_TEST

static Suite *
tui_suite(void)
{
	Suite	*s = suite_create("tui");
	TCase	*tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, setup_locale, NULL);
	tcase_add_loop_test(tc, test_size, 0,
	    sizeof size_rows / sizeof *size_rows);
	tcase_add_test(tc, test_rate_width);
	tcase_add_test(tc, test_duration);
	tcase_add_test(tc, test_eta);
	tcase_add_test(tc, test_smooth);
	tcase_add_test(tc, test_bar);
	tcase_add_test(tc, test_log_shorten);
	suite_add_tcase(s, tc);

	tc = tcase_create("width");
	tcase_add_checked_fixture(tc, setup_locale, NULL);
	tcase_add_loop_test(tc, test_fit_width, 0,
	    sizeof names / sizeof *names);
	tcase_add_test(tc, test_fit_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("pieces");
	tcase_add_test(tc, test_cells_one_per_piece);
	tcase_add_test(tc, test_cells_runs);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_add_test(tc, test_layout_all_sizes);
	tcase_add_test(tc, test_layout_too_small);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("draw");
	tcase_add_checked_fixture(tc, draw_setup, draw_teardown);
	tcase_add_test(tc, test_draw_queue_aligned);
	tcase_add_test(tc, test_draw_status_and_peers);
	tcase_add_test(tc, test_draw_piece_map);
	tcase_add_test(tc, test_draw_resize_small);
	tcase_add_test(tc, test_draw_ascii);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(tui_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
