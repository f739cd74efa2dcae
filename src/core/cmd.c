/*
 * cmd.c: the command table, the line splitter, lookup, dispatch and the
 * reply helpers.
 *
 * One table (cmd_table[]) lists every command of the peer; the TUI prompt,
 * --batch, `help` and usage errors all read it, so a command exists once.
 * The commands themselves live in cmd-files.c, cmd-account.c and
 * cmd-group.c, one file per family, as tmux's cmd-*.c.
 *
 * cmd_run() owns the whole path from a raw line to one status line:
 * split (bounded: CMD_LINE_MAX bytes, CMD_ARGS_MAX arguments), find,
 * check the argument count, run.  Every line written to the sink is
 * a single line: control characters are replaced before it leaves, so a
 * name or a tracker's message can never forge a second status line.
 */
#include "config.h"

#include "cmd.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "error.h"
#include "i18n.h"
#include "log.h"

#define CMD_OUT_MAX	(CMD_LINE_MAX + 1024)

extern const struct cmd_entry cmd_share_entry, cmd_get_entry,
    cmd_show_downloads_entry, cmd_remove_entry, cmd_quit_entry,
    cmd_help_entry, cmd_wait_entry;
extern const struct cmd_entry cmd_create_user_entry, cmd_login_entry,
    cmd_logout_entry;
extern const struct cmd_entry cmd_create_group_entry, cmd_join_group_entry,
    cmd_leave_group_entry, cmd_list_requests_entry,
    cmd_accept_request_entry, cmd_list_groups_entry, cmd_list_files_entry,
    cmd_upload_file_entry, cmd_download_file_entry, cmd_stop_share_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_share_entry,
	&cmd_get_entry,
	&cmd_show_downloads_entry,
	&cmd_remove_entry,
	&cmd_create_user_entry,
	&cmd_login_entry,
	&cmd_logout_entry,
	&cmd_create_group_entry,
	&cmd_join_group_entry,
	&cmd_leave_group_entry,
	&cmd_list_requests_entry,
	&cmd_accept_request_entry,
	&cmd_list_groups_entry,
	&cmd_list_files_entry,
	&cmd_upload_file_entry,
	&cmd_download_file_entry,
	&cmd_stop_share_entry,
	&cmd_wait_entry,
	&cmd_help_entry,
	&cmd_quit_entry,
	NULL
};

static int	cmd_is_space(int c);
static int	cmd_match(const char *name, int argc, char **argv);
static const struct cmd_entry *cmd_first_word(const char *);
static void	cmd_emit(struct cmd_ctx *ctx, int is_error, const char *prefix,
		    const char *fmt, va_list ap)
		    __attribute__((format(printf, 4, 0)));

static int
cmd_is_space(int c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f');
}

int
cmd_split(char *line, char **argv, int max, struct mt_err *err)
{
	char	*p, *w;
	int	 argc = 0;
	char	 quote;

	if (strlen(line) > CMD_LINE_MAX)
		return (mt_err_set(err, MT_E_USAGE,
		    _("line too long (more than %d bytes)"), CMD_LINE_MAX));

	p = line;
	for (;;) {
		while (cmd_is_space((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (argc == max)
			return (mt_err_set(err, MT_E_USAGE,
			    _("too many words (at most %d)"), max));
		/* Words shrink as they are unquoted, so w never passes p. */
		argv[argc] = w = p;
		quote = '\0';
		while (*p != '\0') {
			if (quote == '\0' && cmd_is_space((unsigned char)*p))
				break;
			if (quote == '\0' && (*p == '"' || *p == '\'')) {
				quote = *p++;
				continue;
			}
			if (quote != '\0' && *p == quote) {
				quote = '\0';
				p++;
				continue;
			}
			if (*p == '\\' && quote != '\'') {
				if (p[1] == '\0')
					return (mt_err_set(err, MT_E_USAGE,
					    _("backslash at end of line")));
				p++;
			}
			*w++ = *p++;
		}
		if (quote != '\0')
			return (mt_err_set(err, MT_E_USAGE,
			    _("unterminated quote")));
		if (*p != '\0')
			p++;
		*w = '\0';
		argc++;
	}
	return (argc);
}

/* Does name (one or more words) equal the first words of argv? */
static int
cmd_match(const char *name, int argc, char **argv)
{
	const char	*p = name, *sp;
	size_t		 len;
	int		 i = 0;

	if (name == NULL)
		return (0);
	while (*p != '\0') {
		if (i == argc)
			return (0);
		sp = strchr(p, ' ');
		len = sp != NULL ? (size_t)(sp - p) : strlen(p);
		if (strlen(argv[i]) != len || strncmp(argv[i], p, len) != 0)
			return (0);
		i++;
		p += len;
		if (*p == ' ')
			p++;
	}
	return (i);
}

const struct cmd_entry *
cmd_find(int argc, char **argv, int *consumed)
{
	const struct cmd_entry	*const *cep, *best = NULL;
	int			 n, bestn = 0;

	for (cep = cmd_table; *cep != NULL; cep++) {
		n = cmd_match((*cep)->name, argc, argv);
		if (n == 0)
			n = cmd_match((*cep)->alias, argc, argv);
		if (n > bestn) {
			best = *cep;
			bestn = n;
		}
	}
	if (consumed != NULL)
		*consumed = bestn;
	return (best);
}

/* The command of several words whose first word is word, or NULL. */
static const struct cmd_entry *
cmd_first_word(const char *word)
{
	const struct cmd_entry	*const *cep;
	size_t			 n = strlen(word);

	for (cep = cmd_table; *cep != NULL; cep++) {
		if (strncmp((*cep)->name, word, n) == 0 &&
		    (*cep)->name[n] == ' ')
			return (*cep);
	}
	return (NULL);
}

const struct cmd_entry *
cmd_lookup(const char *name)
{
	const struct cmd_entry	*const *cep;

	for (cep = cmd_table; *cep != NULL; cep++) {
		if (strcmp((*cep)->name, name) == 0 ||
		    ((*cep)->alias != NULL && strcmp((*cep)->alias, name) == 0))
			return (*cep);
	}
	return (NULL);
}

int
cmd_run(struct cmd_ctx *ctx, const char *line)
{
	char			 copy[CMD_LINE_MAX + 1];
	char			*argv[CMD_ARGS_MAX + 2];
	const struct cmd_entry	*ce;
	struct mt_err		 err;
	size_t			 len;
	int			 argc, used, nargs;

	len = strlen(line);
	if (len > CMD_LINE_MAX) {
		mt_err_set(&err, MT_E_USAGE, _("line too long (more than %d "
		    "bytes)"), CMD_LINE_MAX);
		return (cmd_fail(ctx, &err));
	}
	memcpy(copy, line, len + 1);
	argc = cmd_split(copy, argv, CMD_ARGS_MAX + 2, &err);
	if (argc < 0)
		return (cmd_fail(ctx, &err));
	if (argc == 0)
		return (0);

	ce = cmd_find(argc, argv, &used);
	if (ce == NULL && (ce = cmd_first_word(argv[0])) != NULL)
		return (cmd_usage(ctx, ce));	/* "show": show downloads */
	if (ce == NULL) {
		char	q[128];

		cmd_error(ctx, "%s: %s %s (%s)", mt_err_name(MT_E_USAGE),
		    _("unknown command"), cmd_quote(argv[0], q, sizeof q),
		    _("try help"));
		return (-1);
	}
	nargs = argc - used;
	if (nargs < ce->min_args || nargs > ce->max_args)
		return (cmd_usage(ctx, ce));
	if ((ce->flags & CMD_NEEDS_ENGINE) && ctx->engine == NULL) {
		mt_err_set(&err, MT_E_INTERNAL, _("no engine is running"));
		return (cmd_fail(ctx, &err));
	}
	if ((ce->flags & CMD_BATCH_ONLY) && !ctx->batch) {
		mt_err_set(&err, MT_E_USAGE, _("%s is only available with "
		    "--batch"), ce->name);
		return (cmd_fail(ctx, &err));
	}
	if (ce->flags & CMD_SECRET)
		log_debug("%s: %s (arguments hidden)", __func__, ce->name);
	else
		log_debug("%s: %s (%d arguments)", __func__, ce->name, nargs);
	return (ce->exec(ctx, nargs, argv + used));
}

/* Format one line, make it a single line, hand it to the sink. */
static void
cmd_emit(struct cmd_ctx *ctx, int is_error, const char *prefix,
    const char *fmt, va_list ap)
{
	char	 out[CMD_OUT_MAX];
	size_t	 off;
	char	*p;

	off = strlcpy(out, prefix, sizeof out);
	if (off >= sizeof out)
		off = sizeof out - 1;
	vsnprintf(out + off, sizeof out - off, fmt, ap);
	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	if (ctx->sink != NULL && ctx->sink->write != NULL)
		ctx->sink->write(ctx->sink, is_error, out);
}

void
cmd_reply(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_emit(ctx, 0, "", fmt, ap);
	va_end(ap);
}

void
cmd_ok(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_emit(ctx, 0, "ok ", fmt, ap);
	va_end(ap);
}

void
cmd_error(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cmd_emit(ctx, 1, "error ", fmt, ap);
	va_end(ap);
}

int
cmd_fail(struct cmd_ctx *ctx, const struct mt_err *err)
{
	enum mt_errc	code = err->code;

	if (code == MT_E_OK)
		code = MT_E_INTERNAL;
	cmd_error(ctx, "%s: %s", mt_err_name(code), err->msg);
	return (-1);
}

int
cmd_usage(struct cmd_ctx *ctx, const struct cmd_entry *ce)
{
	cmd_error(ctx, "%s: %s", mt_err_name(MT_E_USAGE), _(ce->usage));
	return (-1);
}

const char *
cmd_quote(const char *s, char *out, size_t len)
{
	const char	*p;
	size_t		 o = 0;
	int		 plain = *s != '\0';

	if (len == 0)
		return (out);
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\'' || *p == '\\')
			plain = 0;
	}
	if (plain) {
		strlcpy(out, s, len);
		return (out);
	}
	/* Room for the closing quote and NUL is kept at every step. */
	if (len < 3) {
		out[0] = '\0';
		return (out);
	}
	out[o++] = '"';
	for (p = s; *p != '\0'; p++) {
		int	esc = *p == '"' || *p == '\\';

		if (o + (esc ? 2 : 1) + 2 > len)
			break;
		if (esc)
			out[o++] = '\\';
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			out[o++] = '?';
		else
			out[o++] = *p;
	}
	out[o++] = '"';
	out[o] = '\0';
	return (out);
}
