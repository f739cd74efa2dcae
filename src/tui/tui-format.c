/*
 * tui-format.c: pure text formatting for the dashboard.
 *
 * Sizes, rates, durations, the ETA, progress bars, the piece-map run
 * compression, display-width-aware truncation and the pane layout.  No
 * curses and no clock here, so that every rule a person sees on screen
 * ("stalled: 3 pieces unavailable", a name cut at its display width) is
 * tested by tests/check_tui_layout.c without a terminal.
 *
 * Display width: names come from the network, so they are decoded with
 * mbrtowc() in the current locale and measured with wcwidth(); anything
 * that is not a printable character (controls, ESC, invalid UTF-8)
 * becomes '?', which keeps hostile names from moving the cursor and keeps
 * columns aligned whatever the name holds.
 */
#include "config.h"

#include "tui-format.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "i18n.h"
#include "snapshot.h"

static const char *const size_units[] = {
	"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
};

void
tui_fmt_size(uint64_t bytes, char *buf, size_t len)
{
	double	v = (double)bytes;
	size_t	u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return;
	}
	while (v >= 1024.0 && u + 1 < sizeof size_units / sizeof *size_units) {
		v /= 1024.0;
		u++;
	}
	/* Three significant digits at most: "1.5 MiB", "20.0 MiB", "512 KiB" */
	if (v >= 99.95)
		snprintf(buf, len, "%.0f %s", v, size_units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, size_units[u]);
}

void
tui_fmt_rate(uint64_t bps, char *buf, size_t len)
{
	char	s[32];

	tui_fmt_size(bps, s, sizeof s);
	snprintf(buf, len, "%s/s", s);
}

void
tui_fmt_duration(uint64_t secs, char *buf, size_t len)
{
	if (secs < 60)
		snprintf(buf, len, "%llus", (unsigned long long)secs);
	else if (secs < 3600)
		snprintf(buf, len, "%llum%02llus",
		    (unsigned long long)(secs / 60),
		    (unsigned long long)(secs % 60));
	else if (secs < 86400)
		snprintf(buf, len, "%lluh%02llum",
		    (unsigned long long)(secs / 3600),
		    (unsigned long long)(secs / 60 % 60));
	else if (secs < 100 * 86400ULL)
		snprintf(buf, len, "%llud%02lluh",
		    (unsigned long long)(secs / 86400),
		    (unsigned long long)(secs / 3600 % 24));
	else
		snprintf(buf, len, ">99d");
}

void
tui_fmt_eta(uint64_t remaining, double rate_bps, uint32_t unavailable,
    int seeding, char *buf, size_t len)
{
	if (seeding || remaining == 0) {
		snprintf(buf, len, "%s", _("done"));
		return;
	}
	if (unavailable > 0) {
		snprintf(buf, len, ngettext("stalled: %u piece unavailable",
		    "stalled: %u pieces unavailable", unavailable),
		    unavailable);
		return;
	}
	/* Below one byte a second there is no useful estimate. */
	if (rate_bps < 1.0) {
		snprintf(buf, len, "--");
		return;
	}
	tui_fmt_duration((uint64_t)((double)remaining / rate_bps + 0.5), buf,
	    len);
}

double
tui_rate_smooth(double old, double sample, double dt_s, double tau_s)
{
	double	w;

	if (old < 0 || dt_s <= 0 || tau_s <= 0)
		return (sample);
	w = dt_s / (dt_s + tau_s);
	return (old + w * (sample - old));
}

size_t
tui_fmt_bar(double frac, int width, int utf8, char *buf, size_t len)
{
	static const char *const eighths[] = {
		"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b",
		"\u258a", "\u2589"
	};
	const char	*full = utf8 ? "\u2588" : "#";
	const char	*empty = utf8 ? "\u2591" : ".";
	size_t		 off = 0, n;
	int		 i, units, cells, rest;

	if (len == 0)
		return (0);
	buf[0] = '\0';
	if (width <= 0)
		return (0);
	if (!(frac >= 0.0))	/* also catches NaN */
		frac = 0.0;
	if (frac > 1.0)
		frac = 1.0;
	units = (int)(frac * width * 8 + 0.5);
	if (!utf8)
		units = units / 8 * 8;
	cells = units / 8;
	rest = units % 8;
	for (i = 0; i < width; i++) {
		const char *g;

		if (i < cells)
			g = full;
		else if (i == cells && rest > 0)
			g = eighths[rest];
		else
			g = empty;
		n = strlen(g);
		if (off + n + 1 > len)
			break;
		memcpy(buf + off, g, n);
		off += n;
	}
	buf[off] = '\0';
	return (off);
}

/*
 * Decode one character of s (at most n bytes).  Returns bytes used (>= 1)
 * and sets *wc and *w (display width); unprintable or invalid input is
 * reported as '?' of width 1, consuming one byte.
 */
static size_t
text_next(const char *s, size_t n, mbstate_t *ps, wchar_t *wc, int *w)
{
	size_t	r;

	r = mbrtowc(wc, s, n, ps);
	if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
		memset(ps, 0, sizeof *ps);
		*wc = L'?';
		*w = 1;
		return (1);
	}
	*w = wcwidth(*wc);
	if (*w < 0 || (*wc >= 0x80 && *wc < 0xa0)) {
		*wc = L'?';
		*w = 1;
	}
	return (r);
}

int
tui_text_width(const char *s)
{
	mbstate_t	ps;
	size_t		n = strlen(s), r;
	wchar_t		wc;
	int		w, total = 0;

	memset(&ps, 0, sizeof ps);
	while (n > 0) {
		r = text_next(s, n, &ps, &wc, &w);
		/* A combining mark with nothing before it is dropped. */
		if (w > 0 || total > 0)
			total += w;
		s += r;
		n -= r;
	}
	return (total);
}

int
tui_text_fit(const char *s, int width, int pad, int utf8, char *out,
    size_t outlen)
{
	const char	*ell = utf8 ? "\u2026" : "~";
	mbstate_t	 ps;
	size_t		 n = strlen(s), r, off = 0, ellen = strlen(ell);
	wchar_t		 wc;
	int		 w, used = 0, fits;

	if (outlen == 0)
		return (0);
	if (width < 0)
		width = 0;
	fits = tui_text_width(s) <= width;
	memset(&ps, 0, sizeof ps);
	while (n > 0) {
		r = text_next(s, n, &ps, &wc, &w);
		if (w == 0 && used == 0) {
			s += r;
			n -= r;
			continue;
		}
		/* Keep one cell for the ellipsis when the text is cut. */
		if (used + w > width - (fits ? 0 : 1))
			break;
		if (wc == L'?' && (r != 1 || *s != '?')) {
			if (off + 2 > outlen)
				break;
			out[off++] = '?';
		} else {
			if (off + r + 1 > outlen)
				break;
			memcpy(out + off, s, r);
			off += r;
		}
		used += w;
		s += r;
		n -= r;
	}
	if (!fits && width > 0 && off + ellen + 1 <= outlen) {
		memcpy(out + off, ell, ellen);
		off += ellen;
		used++;
	}
	while (pad && used < width && off + 2 <= outlen) {
		out[off++] = ' ';
		used++;
	}
	out[off] = '\0';
	return (used);
}

int
tui_text_fit_middle(const char *s, int width, int utf8, char *out,
    size_t outlen)
{
	mbstate_t	 ps;
	size_t		 n = strlen(s), r, off;
	wchar_t		 wc;
	int		 w, total, used = 0, headw, tailw;
	const char	*p = s, *tail = s + n;

	total = tui_text_width(s);
	if (total <= width || width < 8)
		return (tui_text_fit(s, width, 0, utf8, out, outlen));
	headw = (width - 1) / 3;
	tailw = width - 1 - headw;
	/* The tail: from the first character after which tailw cells fit. */
	memset(&ps, 0, sizeof ps);
	while (n > 0) {
		if (total - used <= tailw) {
			tail = p;
			break;
		}
		r = text_next(p, n, &ps, &wc, &w);
		used += w;
		p += r;
		n -= r;
	}
	/* The head with its ellipsis, then the tail (which fits). */
	used = tui_text_fit(s, headw + 1, 0, utf8, out, outlen);
	off = strlen(out);
	if (off < outlen)
		used += tui_text_fit(tail, tailw, 0, utf8, out + off,
		    outlen - off);
	return (used);
}

uint32_t
tui_piece_cells(const uint8_t *pieces, const uint16_t *avail,
    uint32_t npieces, uint32_t ncells, struct tui_cell *out,
    uint32_t *per_cell)
{
	uint32_t	k, c, i, first, last, have, infl, nmiss;
	uint16_t	minav;

	*per_cell = 0;
	if (npieces == 0 || ncells == 0)
		return (0);
	k = npieces / ncells + (npieces % ncells != 0);
	*per_cell = k;
	for (c = 0, first = 0; first < npieces; c++, first += k) {
		last = first + k < npieces ? first + k : npieces;
		have = infl = nmiss = 0;
		minav = UINT16_MAX;
		for (i = first; i < last; i++) {
			switch (pieces[i]) {
			case SNAP_PIECE_HAVE:
				have++;
				break;
			case SNAP_PIECE_INFLIGHT:
				infl++;
				break;
			default:
				nmiss++;
				if (avail != NULL && avail[i] < minav)
					minav = avail[i];
				break;
			}
		}
		if (have == last - first)
			out[c].kind = TUI_CELL_HAVE;
		else if (infl > 0)
			out[c].kind = TUI_CELL_INFLIGHT;
		else if (have > 0)
			out[c].kind = TUI_CELL_PARTIAL;
		else
			out[c].kind = TUI_CELL_MISSING;
		out[c].avail = nmiss > 0 && avail != NULL ? minav : 0;
	}
	return (c);
}

const char *
tui_cell_glyph(const struct tui_cell *c, int utf8)
{
	static const char *const digits[] = {
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"
	};

	switch (c->kind) {
	case TUI_CELL_HAVE:
		return (utf8 ? "\u2588" : "#");
	case TUI_CELL_INFLIGHT:
		return (utf8 ? "\u2592" : "+");
	case TUI_CELL_PARTIAL:
		return (utf8 ? "\u2584" : ":");
	case TUI_CELL_MISSING:
		break;
	}
	/* Missing: how many peers hold it; nobody is the alarming case. */
	if (c->avail == 0)
		return (utf8 ? "\u00d7" : "x");
	if (c->avail > 9)
		return ("9");
	return (digits[c->avail]);
}

void
tui_log_shorten(const char *line, char *out, size_t outlen)
{
	const char	*time, *level, *text;
	size_t		 llen;

	/* "YYYY-MM-DD HH:MM:SS.mmm level [thread] text" */
	if (strlen(line) < 26 || line[4] != '-' || line[10] != ' ' ||
	    line[13] != ':' || line[19] != '.') {
		snprintf(out, outlen, "%s", line);
		return;
	}
	time = line + 11;
	level = line + 24;
	llen = strcspn(level, " ");
	text = strstr(level, "] ");
	if (text == NULL) {
		snprintf(out, outlen, "%s", line);
		return;
	}
	text += 2;
	if (strncmp(level, "warn", llen) == 0 ||
	    strncmp(level, "error", llen) == 0)
		snprintf(out, outlen, "%.8s %.*s: %s", time, (int)llen, level,
		    text);
	else
		snprintf(out, outlen, "%.8s %s", time, text);
}

/* Clamp v into [lo, hi] (hi wins when hi < lo). */
static int
clampi(int v, int lo, int hi)
{
	if (v < lo)
		v = lo;
	if (v > hi)
		v = hi;
	return (v);
}

void
tui_layout_compute(int cols, int rows, size_t nqueue, size_t npeers,
    struct tui_layout *l)
{
	int	avail, qh, mid, ph, peh, lh, y;
	int	nq = nqueue > 1000 ? 1000 : (int)nqueue;
	int	np = npeers > 1000 ? 1000 : (int)npeers;

	memset(l, 0, sizeof *l);
	if (cols < TUI_MIN_COLS || rows < TUI_MIN_ROWS) {
		l->too_small = 1;
		return;
	}
	l->status = (struct tui_rect){ 0, 0, 2, cols };
	l->prompt = (struct tui_rect){ rows - 2, 0, 1, cols };
	l->hint = (struct tui_rect){ rows - 1, 0, 1, cols };
	avail = rows - 4;

	/* Queue: title, column header, one row per file (at least one). */
	qh = clampi(2 + (nq > 0 ? nq : 1), 3, avail * 2 / 5);
	if (qh < 3)
		qh = 3;
	l->queue = (struct tui_rect){ 2, 0, qh, cols };
	y = 2 + qh;
	avail -= qh;

	if (cols >= 160) {
		mid = clampi(avail * 3 / 5, 3, avail - 2);
		lh = avail - mid;
		ph = cols / 2;
		l->pieces = (struct tui_rect){ y, 0, mid, ph };
		l->peers = (struct tui_rect){ y, ph, mid, cols - ph };
		l->log = (struct tui_rect){ y + mid, 0, lh, cols };
		return;
	}
	ph = avail * 2 / 5 < 3 ? 3 : avail * 2 / 5;
	peh = clampi(2 + np, 2, avail * 3 / 10 < 2 ? 2 : avail * 3 / 10);
	lh = avail - ph - peh;
	while (lh < 2 && ph > 3) {
		ph--;
		lh++;
	}
	while (lh < 2 && peh > 2) {
		peh--;
		lh++;
	}
	l->pieces = (struct tui_rect){ y, 0, ph, cols };
	l->peers = (struct tui_rect){ y + ph, 0, peh, cols };
	l->log = (struct tui_rect){ y + ph + peh, 0, lh, cols };
}
