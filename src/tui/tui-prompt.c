/*
 * tui-prompt.c: the command line of the dashboard.
 *
 * Line editing over a wide-character buffer (so the cursor moves by
 * characters and the prompt scrolls by display width), a history walked
 * with Up/Down, and Tab completion: command names (from cmd_table) in
 * the first word, file paths after it, and for commands that take a
 * .mtorrent (get, remove) only directories and .mtorrent files.
 *
 * The history never holds a line of a CMD_SECRET command (login,
 * create_user): those carry passwords.
 */
#include "config.h"

#include "tui-int.h"
#include "tui-prompt.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wctype.h>

#include "cmd.h"
#include "i18n.h"
#include "xmalloc.h"

#define HISTORY_MAX	200
#define COMPLETE_MAX	512

static void	prompt_load(struct tui_view *, const char *);
static void	prompt_insert(struct tui_view *, const char *);
static void	prompt_complete(struct tui_view *);
static int	prompt_scan(const char *, char *, size_t, char *);
static void	prompt_escape(const char *, char, char *, size_t);

void
tui_history_free(struct tui_history *h)
{
	size_t	i;

	for (i = 0; i < h->n; i++)
		free(h->lines[i]);
	free(h->lines);
	memset(h, 0, sizeof *h);
}

int
tui_line_secret(const char *line, char *shown, size_t len)
{
	char			 copy[CMD_LINE_MAX + 1];
	char			*argv[CMD_ARGS_MAX + 2];
	const struct cmd_entry	*ce;
	int			 argc, used;

	snprintf(copy, sizeof copy, "%s", line);
	argc = cmd_split(copy, argv, CMD_ARGS_MAX + 2, NULL);
	if (argc <= 0 || (ce = cmd_find(argc, argv, &used)) == NULL ||
	    !(ce->flags & CMD_SECRET))
		return (0);
	if (shown != NULL)
		snprintf(shown, len, "%s%s%s ***", argv[0], argc > 1 ? " " : "",
		    argc > 1 ? argv[1] : "");
	return (1);
}

void
tui_history_add(struct tui_history *h, const char *line)
{
	if (*line == '\0' || tui_line_secret(line, NULL, 0))
		return;
	if (h->n > 0 && strcmp(h->lines[h->n - 1], line) == 0) {
		h->pos = h->n;
		return;
	}
	if (h->n == HISTORY_MAX) {
		free(h->lines[0]);
		memmove(h->lines, h->lines + 1, (h->n - 1) * sizeof *h->lines);
		h->n--;
	}
	h->lines = xreallocarray(h->lines, h->n + 1, sizeof *h->lines);
	h->lines[h->n++] = xstrdup(line);
	h->pos = h->n;
}

/* Replace the prompt with line (multibyte). */
static void
prompt_load(struct tui_view *v, const char *line)
{
	v->prompt_len = v->prompt_cur = 0;
	prompt_insert(v, line);
}

/* Insert multibyte text at the cursor; unprintable characters dropped. */
static void
prompt_insert(struct tui_view *v, const char *s)
{
	mbstate_t	ps;
	wchar_t		wc;
	size_t		r, n = strlen(s);

	memset(&ps, 0, sizeof ps);
	while (n > 0) {
		r = mbrtowc(&wc, s, n, &ps);
		if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
			memset(&ps, 0, sizeof ps);
			r = 1;
			wc = L'?';
		}
		s += r;
		n -= r;
		if (!iswprint((wint_t)wc))
			continue;
		if (v->prompt_len + 1 >= TUI_PROMPT_MAX)
			break;
		memmove(&v->prompt[v->prompt_cur + 1],
		    &v->prompt[v->prompt_cur],
		    (v->prompt_len - v->prompt_cur) * sizeof *v->prompt);
		v->prompt[v->prompt_cur++] = wc;
		v->prompt_len++;
	}
}

void
tui_prompt_text(const struct tui_view *v, size_t upto, char *out,
    size_t outlen)
{
	mbstate_t	ps;
	char		mb[MB_LEN_MAX];
	size_t		i, off = 0, r;

	memset(&ps, 0, sizeof ps);
	for (i = 0; i < upto && i < v->prompt_len; i++) {
		r = wcrtomb(mb, v->prompt[i], &ps);
		if (r == (size_t)-1) {
			memset(&ps, 0, sizeof ps);
			mb[0] = '?';
			r = 1;
		}
		if (off + r + 1 > outlen)
			break;
		memcpy(out + off, mb, r);
		off += r;
	}
	if (outlen > 0)
		out[off] = '\0';
}

/* Does name end in suffix? */
static int
ends_with(const char *name, const char *suffix)
{
	size_t	n = strlen(name), s = strlen(suffix);

	return (n >= s && strcmp(name + n - s, suffix) == 0);
}

static int
cand_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * Read line as cmd_split() does (quotes open and close anywhere in a
 * word; a backslash takes the next character as it is, except inside
 * single quotes) up to its end.  out gets the last word, unquoted (empty
 * if the line ends with a space); *quote the quote still open there, or
 * 0; returns that word's index (0: the command).
 */
static int
prompt_scan(const char *line, char *out, size_t outlen, char *quote)
{
	const char	*p;
	size_t		 n = 0;
	int		 words = 0, in_word = 0;
	char		 q = '\0';

	for (p = line; *p != '\0'; p++) {
		if (q == '\0' && *p == ' ') {
			in_word = 0;
			continue;
		}
		if (!in_word) {
			in_word = 1;
			words++;
			n = 0;
		}
		if (q == '\0' && (*p == '"' || *p == '\'')) {
			q = *p;
			continue;
		}
		if (q != '\0' && *p == q) {
			q = '\0';
			continue;
		}
		if (*p == '\\' && q != '\'' && p[1] != '\0')
			p++;
		if (n + 1 < outlen)
			out[n++] = *p;
	}
	if (!in_word) {
		n = 0;
		words++;
	}
	if (outlen > 0)
		out[n] = '\0';
	*quote = q;
	return (words - 1);
}

/*
 * s as typed inside a word with quote open (0: none): unquoted, a
 * backslash before space, quotes and backslash; in double quotes before
 * '"' and backslash; in single quotes as it is.
 */
static void
prompt_escape(const char *s, char quote, char *out, size_t outlen)
{
	size_t	n = 0;

	for (; *s != '\0' && n + 2 < outlen; s++) {
		if ((quote == '\0' && strchr(" \"'\\", *s) != NULL) ||
		    (quote == '"' && (*s == '"' || *s == '\\')))
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
}

/*
 * Complete the word before the cursor.  One match is inserted whole
 * (with a space after a file or command); several insert their common
 * prefix and are listed on the message line.
 */
static void
prompt_complete(struct tui_view *v)
{
	char			 before[CMD_LINE_MAX + 1], dir[CMD_LINE_MAX];
	char			 uword[CMD_LINE_MAX + 1], quote;
	int			 windex;
	char			*cand[COMPLETE_MAX], *word, *slash, *base;
	char			 path[CMD_LINE_MAX + 256];
	const struct cmd_entry	*const *cep;
	const char		*first_end;
	size_t			 ncand = 0, i, wlen, common, off;
	int			 first_word, mtorrent_only = 0, isdir = 0;
	DIR			*d;
	struct dirent		*de;
	struct stat		 st;

	tui_prompt_text(v, v->prompt_cur, before, sizeof before);
	/* The word before the cursor, as cmd_split() will read it. */
	windex = prompt_scan(before, uword, sizeof uword, &quote);
	first_word = windex == 0;
	word = uword;
	wlen = strlen(word);

	if (first_word) {
		for (cep = cmd_table; *cep != NULL && ncand < COMPLETE_MAX;
		    cep++) {
			const char *names[2] = { (*cep)->name, (*cep)->alias };

			if ((*cep)->flags & CMD_BATCH_ONLY)
				continue;
			for (i = 0; i < 2; i++) {
				/* "show downloads": complete "show". */
				if (names[i] == NULL ||
				    strchr(names[i], ' ') != NULL ||
				    strncmp(names[i], word, wlen) != 0)
					continue;
				cand[ncand++] = xstrdup(names[i]);
			}
		}
	} else {
		first_end = strchr(before, ' ');
		if (first_end != NULL && ((first_end - before == 3 &&
		    strncmp(before, "get", 3) == 0) ||
		    (first_end - before == 6 &&
		    strncmp(before, "remove", 6) == 0)))
			mtorrent_only = windex == 1;
		slash = strrchr(word, '/');
		if (slash != NULL) {
			snprintf(dir, sizeof dir, "%.*s",
			    (int)(slash - word + 1), word);
			base = slash + 1;
		} else {
			dir[0] = '\0';
			base = word;
		}
		d = opendir(dir[0] != '\0' ? dir : ".");
		while (d != NULL && (de = readdir(d)) != NULL &&
		    ncand < COMPLETE_MAX) {
			if (strncmp(de->d_name, base, strlen(base)) != 0)
				continue;
			if (de->d_name[0] == '.' && base[0] != '.')
				continue;
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			/* A name this locale cannot spell cannot be typed. */
			if (mbstowcs(NULL, de->d_name, 0) == (size_t)-1)
				continue;
			snprintf(path, sizeof path, "%s%s", dir, de->d_name);
			isdir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
			if (mtorrent_only && !isdir &&
			    !ends_with(de->d_name, ".mtorrent"))
				continue;
			snprintf(path, sizeof path, "%s%s%s", dir, de->d_name,
			    isdir ? "/" : "");
			cand[ncand++] = xstrdup(path);
		}
		if (d != NULL)
			closedir(d);
	}
	if (ncand == 0) {
		snprintf(v->msg, sizeof v->msg, "%s", _("No completion."));
		v->msg_error = 0;
		v->dirty |= 1u << TUI_R_PROMPT;
		return;
	}
	qsort(cand, ncand, sizeof *cand, cand_cmp);
	common = strlen(cand[0]);
	for (i = 1; i < ncand; i++) {
		size_t k = 0;

		while (k < common && cand[i][k] == cand[0][k])
			k++;
		common = k;
	}
	if (common > wlen) {
		char add[CMD_LINE_MAX], esc[2 * CMD_LINE_MAX];

		snprintf(add, sizeof add, "%.*s", (int)(common - wlen),
		    cand[0] + wlen);
		prompt_escape(add, quote, esc, sizeof esc);
		prompt_insert(v, esc);
	}
	if (ncand == 1) {
		if (cand[0][strlen(cand[0]) - 1] != '/') {
			/* Close what the word opened, then the space. */
			char	end[3] = { quote, ' ', '\0' };

			prompt_insert(v, quote != '\0' ? end : " ");
		}
		v->msg[0] = '\0';
	} else {
		/* List the choices (their last path component). */
		off = 0;
		v->msg[0] = '\0';
		for (i = 0; i < ncand && off + 2 < sizeof v->msg; i++) {
			const char *c = cand[i], *s = strrchr(c, '/');

			if (s != NULL && s[1] != '\0')
				c = s + 1;
			else if (s != NULL && s != c) {
				/* "dir/": show "dir/" after the parent. */
				const char *p = s - 1;

				while (p > cand[i] && p[-1] != '/')
					p--;
				c = p;
			}
			off += (size_t)snprintf(v->msg + off,
			    sizeof v->msg - off, "%s%s", i > 0 ? "  " : "", c);
		}
		v->msg_error = 0;
	}
	for (i = 0; i < ncand; i++)
		free(cand[i]);
	v->dirty |= 1u << TUI_R_PROMPT;
}

int
tui_prompt_key(struct tui_view *v, struct tui_history *h, int is_key,
    wint_t c, char *out, size_t outlen)
{
	char	line[CMD_LINE_MAX + 1];
	size_t	k;

	v->dirty |= 1u << TUI_R_PROMPT | 1u << TUI_R_HINT;
	/* Completion choices stay up until the next key. */
	if (!(c == L'\t' && !is_key))
		v->msg[0] = '\0';
	if (is_key) {
		switch (c) {
		case KEY_ENTER:
			goto submit;
		case KEY_LEFT:
			if (v->prompt_cur > 0)
				v->prompt_cur--;
			return (0);
		case KEY_RIGHT:
			if (v->prompt_cur < v->prompt_len)
				v->prompt_cur++;
			return (0);
		case KEY_HOME:
			v->prompt_cur = 0;
			return (0);
		case KEY_END:
			v->prompt_cur = v->prompt_len;
			return (0);
		case KEY_BACKSPACE:
			goto backspace;
		case KEY_DC:
			goto delete;
		case KEY_UP:
			if (h->pos > 0) {
				h->pos--;
				prompt_load(v, h->lines[h->pos]);
			}
			return (0);
		case KEY_DOWN:
			if (h->pos < h->n) {
				h->pos++;
				prompt_load(v, h->pos < h->n ?
				    h->lines[h->pos] : "");
			}
			return (0);
		default:
			return (0);
		}
	}
	switch (c) {
	case L'\r':
	case L'\n':
		goto submit;
	case 0x1b:	/* Esc */
		return (-1);
	case 0x7f:
	case 0x08:
		goto backspace;
	case 0x04:	/* ^D */
		goto delete;
	case 0x01:	/* ^A */
		v->prompt_cur = 0;
		return (0);
	case 0x05:	/* ^E */
		v->prompt_cur = v->prompt_len;
		return (0);
	case 0x02:	/* ^B */
		if (v->prompt_cur > 0)
			v->prompt_cur--;
		return (0);
	case 0x06:	/* ^F */
		if (v->prompt_cur < v->prompt_len)
			v->prompt_cur++;
		return (0);
	case 0x15:	/* ^U: kill to the start */
		memmove(v->prompt, v->prompt + v->prompt_cur,
		    (v->prompt_len - v->prompt_cur) * sizeof *v->prompt);
		v->prompt_len -= v->prompt_cur;
		v->prompt_cur = 0;
		return (0);
	case 0x0b:	/* ^K: kill to the end */
		v->prompt_len = v->prompt_cur;
		return (0);
	case 0x17:	/* ^W: kill the word before the cursor */
		k = v->prompt_cur;
		while (k > 0 && v->prompt[k - 1] == L' ')
			k--;
		while (k > 0 && v->prompt[k - 1] != L' ')
			k--;
		memmove(v->prompt + k, v->prompt + v->prompt_cur,
		    (v->prompt_len - v->prompt_cur) * sizeof *v->prompt);
		v->prompt_len -= v->prompt_cur - k;
		v->prompt_cur = k;
		return (0);
	case L'\t':
		prompt_complete(v);
		return (0);
	default:
		if (iswprint(c) && v->prompt_len + 1 < TUI_PROMPT_MAX) {
			memmove(&v->prompt[v->prompt_cur + 1],
			    &v->prompt[v->prompt_cur],
			    (v->prompt_len - v->prompt_cur) *
			    sizeof *v->prompt);
			v->prompt[v->prompt_cur++] = (wchar_t)c;
			v->prompt_len++;
		}
		return (0);
	}

backspace:
	/* Backspace on an empty line leaves the prompt, as in vi. */
	if (v->prompt_len == 0)
		return (-1);
	if (v->prompt_cur == 0)
		return (0);
	v->prompt_cur--;
	/* FALLTHROUGH */
delete:
	if (v->prompt_cur < v->prompt_len) {
		memmove(&v->prompt[v->prompt_cur],
		    &v->prompt[v->prompt_cur + 1],
		    (v->prompt_len - v->prompt_cur - 1) * sizeof *v->prompt);
		v->prompt_len--;
	}
	return (0);

submit:
	tui_prompt_text(v, v->prompt_len, line, sizeof line);
	tui_history_add(h, line);
	h->pos = h->n;
	snprintf(out, outlen, "%s", line);
	return (1);
}

void
tui_prompt_open(struct tui_view *v, struct tui_history *h)
{
	v->mode = TUI_MODE_PROMPT;
	v->prompt_len = v->prompt_cur = 0;
	v->msg[0] = '\0';
	h->pos = h->n;
	v->dirty |= 1u << TUI_R_PROMPT | 1u << TUI_R_HINT;
}
