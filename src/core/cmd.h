/*
 * cmd.h: one command table for the TUI prompt, --batch, help and usage.
 *
 * A command line is split into words (double quotes group words with
 * spaces; backslash escapes), looked up in the table, its argument count
 * checked against the entry, then exec runs and writes its result to a
 * sink: the TUI shows the lines in place, batch prints them as stable
 * lines ("ok ...", "error CODE: ...", or data lines) a script can parse.
 * The grammar of those lines is doc/commands.md; keep the two in step.
 *
 * Every command writes zero or more data lines followed by exactly one
 * status line, which starts with "ok " or "error ".
 */
#ifndef MT_CMD_H
#define MT_CMD_H

#include <signal.h>
#include <stddef.h>

struct engine;
struct mt_err;

#define CMD_ARGS_MAX	8
#define CMD_LINE_MAX	4096
#define CMD_WAIT_MAX_S	86400	/* longest `wait SECONDS` */

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
	/*
	 * Optional: a flag a signal handler sets (SIGINT, SIGTERM); blocking
	 * commands (`wait`) return early when it becomes non-zero.
	 */
	volatile sig_atomic_t *stop;
	int		 batch;		/* 1 when run by --batch */
};

#define CMD_NEEDS_ENGINE	0x1
#define CMD_DESTRUCTIVE		0x2	/* the TUI asks before running */
#define CMD_BATCH_ONLY		0x4	/* blocks (wait): refused in the TUI */
#define CMD_SECRET		0x8	/* arguments hold a password: */
					/* keep out of history and logs */

struct cmd_entry {
	const char	*name;		/* "get", or "show downloads" */
	const char	*alias;		/* e.g. "show_downloads"; or NULL */
	const char	*usage;		/* N_("get FILE.mtorrent DEST") */
	const char	*help;		/* N_("one-line description") */
	int		 min_args;
	int		 max_args;
	int		 flags;
	int		(*exec)(struct cmd_ctx *ctx, int argc, char **argv);
};

/*
 * The table, NULL-terminated.  exec gets argv[0] = the first argument
 * (the command's own words are stripped) and returns 0 on success, -1
 * after writing an error line.
 */
extern const struct cmd_entry *const cmd_table[];

/*
 * Split line into at most max words in place (quotes, escapes); argv
 * points into line.  Returns the word count (0 for a blank line), or -1
 * with MT_E_USAGE (unterminated quote, trailing backslash, more than max
 * words, line longer than CMD_LINE_MAX).
 */
int		 cmd_split(char *line, char **argv, int max,
		     struct mt_err *err);

/*
 * Find a command by name or alias ("show downloads" is two words); sets
 * *consumed to the number of words the name took.  NULL if none.
 */
const struct cmd_entry *cmd_find(int argc, char **argv, int *consumed);

/* Find an entry by its exact name or alias ("show downloads"). */
const struct cmd_entry *cmd_lookup(const char *name);

/*
 * Parse and run one line.  A blank line does nothing and returns 0.
 * Unknown command or wrong arguments: one "error usage: ..." line to the
 * sink, return -1.  Returns exec's result otherwise.
 */
int		 cmd_run(struct cmd_ctx *ctx, const char *line);

/* Output helpers (printf-style) for exec functions. */
/* A data line, written as given. */
void		 cmd_reply(struct cmd_ctx *ctx, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* The status line "ok " + text. */
void		 cmd_ok(struct cmd_ctx *ctx, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* The status line "error " + text; text starts with the code name. */
void		 cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* "error CODE: MESSAGE" from err; returns -1. */
int		 cmd_fail(struct cmd_ctx *ctx, const struct mt_err *err);
/* "error usage: USAGE" for entry; returns -1. */
int		 cmd_usage(struct cmd_ctx *ctx, const struct cmd_entry *ce);

/*
 * Quote s for an output line so cmd_split() reads it back as one word:
 * unchanged if it has no space, quote, backslash or control character,
 * else in double quotes with \" \\ escaped and control characters as
 * '?'.  Writes at most len bytes (NUL-terminated, truncated) to out.
 */
const char	*cmd_quote(const char *s, char *out, size_t len);

/*
 * For the cmd-*.c files only.
 */
union message;

/*
 * Copy the session token to token[len]; if not logged in, write
 * "error auth: ..." and return -1.
 */
int		 cmd_session(struct cmd_ctx *ctx, char *token, size_t len);

/*
 * Send req to the trackers and check that the reply has type want;
 * otherwise write the error line and return -1.  The reply borrows from
 * the tracker client until its next call.
 */
int		 cmd_tracker_call(struct cmd_ctx *ctx, const union message *req,
		     union message *reply, int want);

#endif /* MT_CMD_H */
