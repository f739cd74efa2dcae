/*
 * cmd.h: one command table for the TUI prompt, --batch, help and usage.
 *
 * A command line is split into words (double quotes group words with
 * spaces; backslash escapes), looked up in the table, its argument count
 * checked against the entry, then exec runs and writes its result to a
 * sink: the TUI shows the lines in place, batch prints them as stable
 * lines ("ok ...", "error CODE ...", or data lines) a script can parse.
 */
#ifndef MT_CMD_H
#define MT_CMD_H

#include <stddef.h>

struct engine;
struct mt_err;

#define CMD_ARGS_MAX	8
#define CMD_LINE_MAX	4096

struct cmd_sink;
typedef void cmd_sink_fn(struct cmd_sink *sink, int is_error,
		     const char *line);

struct cmd_sink {
	cmd_sink_fn	*write;		/* called once per output line */
	void		*arg;
};

struct cmd_ctx {
	struct engine	*engine;
	struct cmd_sink	*sink;
	int		 quit;		/* set by `quit` */
};

#define CMD_NEEDS_ENGINE	0x1
#define CMD_DESTRUCTIVE		0x2	/* the TUI asks before running */

struct cmd_entry {
	const char	*name;
	const char	*alias;		/* e.g. "show_downloads"; or NULL */
	const char	*usage;		/* N_("get FILE.mtorrent DEST") */
	const char	*help;		/* N_("one-line description") */
	int		 min_args;
	int		 max_args;
	int		 flags;
	int		(*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/* The table, NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

/*
 * Split line into at most CMD_ARGS_MAX+2 words in place (quotes, escapes).
 * Returns the word count, or -1 with MT_E_USAGE (unterminated quote, too
 * many words, line too long).
 */
int		 cmd_split(char *line, char **argv, int max,
		     struct mt_err *err);

/* Find a command by name or alias ("show downloads" is two words). */
const struct cmd_entry *cmd_find(int argc, char **argv, int *consumed);

/*
 * Parse and run one line.  Unknown command or wrong arguments: one usage
 * line to the sink, return -1.  Returns exec's result otherwise.
 */
int		 cmd_run(struct cmd_ctx *ctx, const char *line);

/* Output helpers (printf-style) for exec functions. */
void		 cmd_reply(struct cmd_ctx *ctx, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
void		 cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));

#endif /* MT_CMD_H */
