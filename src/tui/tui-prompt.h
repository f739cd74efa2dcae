/*
 * tui-prompt.h: the dashboard's command line (editing, history, Tab).
 * UI thread only.
 */
#ifndef MT_TUI_PROMPT_H
#define MT_TUI_PROMPT_H

#include <stddef.h>
#include <wchar.h>

struct tui_view;

struct tui_history {
	char	**lines;	/* oldest first; owned */
	size_t	  n;
	size_t	  pos;		/* n = the new, empty line */
};

/* Enter prompt mode with an empty line. */
void	tui_prompt_open(struct tui_view *v, struct tui_history *h);

/*
 * Handle one key in prompt mode (is_key: c is a KEY_* code, else a
 * character).  Returns 0 to stay in the prompt, -1 when the user
 * cancelled (Esc, Backspace on an empty line), 1 when Enter submitted the
 * line, copied (multibyte) to out and added to the history.
 */
int	tui_prompt_key(struct tui_view *v, struct tui_history *h, int is_key,
	    wint_t c, char *out, size_t outlen);

/* The first upto characters of the prompt as a multibyte string. */
void	tui_prompt_text(const struct tui_view *v, size_t upto, char *out,
	    size_t outlen);

/* Add a line (not a CMD_SECRET command's, not a repeat) to h. */
void	tui_history_add(struct tui_history *h, const char *line);
/*
 * 1 if line is a command whose arguments hold a password (CMD_SECRET);
 * then, if shown is not NULL, what may be shown of it: the command and
 * the user name, the rest as "***".
 */
int	tui_line_secret(const char *line, char *shown, size_t len);
void	tui_history_free(struct tui_history *h);

#endif /* MT_TUI_PROMPT_H */
