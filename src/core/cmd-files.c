/*
 * cmd-files.c: the assignment's file commands and the generic ones:
 * share, get, show downloads, remove, wait, help, quit.
 *
 * Each is a thin layer over engine.h: check and shape the arguments, call
 * the engine, write one status line (doc/commands.md).  Nothing here
 * blocks on the network; `share` blocks while hashing (the engine's
 * contract) and `wait` blocks by design, which is why the TUI refuses it
 * (CMD_BATCH_ONLY).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "compat.h"
#include "engine.h"
#include "error.h"
#include "i18n.h"
#include "snapshot.h"
#include "xmalloc.h"

#define CMD_WAIT_POLL_MS	200

static int	cmd_share_exec(struct cmd_ctx *, int, char **);
static int	cmd_get_exec(struct cmd_ctx *, int, char **);
static int	cmd_show_downloads_exec(struct cmd_ctx *, int, char **);
static int	cmd_remove_exec(struct cmd_ctx *, int, char **);
static int	cmd_wait_exec(struct cmd_ctx *, int, char **);
static int	cmd_help_exec(struct cmd_ctx *, int, char **);
static int	cmd_quit_exec(struct cmd_ctx *, int, char **);
static void	cmd_show_torrent(struct cmd_ctx *,
		    const struct snapshot_torrent *);
static uint64_t	cmd_now_ms(void);

const struct cmd_entry cmd_share_entry = {
	.name = "share",
	.usage = N_("share PATH NAME.mtorrent"),
	.help = N_("share a local file: write NAME.mtorrent, tell the "
	    "tracker, seed it"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_share_exec,
};

const struct cmd_entry cmd_get_entry = {
	.name = "get",
	.usage = N_("get FILE.mtorrent DEST"),
	.help = N_("start downloading FILE.mtorrent to DEST (a file or a "
	    "directory); returns at once"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_get_exec,
};

const struct cmd_entry cmd_show_downloads_entry = {
	.name = "show downloads",
	.alias = "show_downloads",
	.usage = N_("show downloads"),
	.help = N_("list files: [D] downloading, [S] seeding, with progress"),
	.min_args = 0, .max_args = 0,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_show_downloads_exec,
};

const struct cmd_entry cmd_remove_entry = {
	.name = "remove",
	.usage = N_("remove FILE.mtorrent"),
	.help = N_("stop sharing or downloading a file and delete its "
	    ".mtorrent (the data stays)"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE | CMD_DESTRUCTIVE,
	.exec = cmd_remove_exec,
};

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = N_("wait [SECONDS]"),
	.help = N_("block until every download has finished or failed "
	    "(batch mode only)"),
	.min_args = 0, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE | CMD_BATCH_ONLY,
	.exec = cmd_wait_exec,
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = N_("help [COMMAND]"),
	.help = N_("list the commands, or describe one"),
	.min_args = 0, .max_args = 2,
	.flags = 0,
	.exec = cmd_help_exec,
};

const struct cmd_entry cmd_quit_entry = {
	.name = "quit",
	.alias = "exit",
	.usage = N_("quit"),
	.help = N_("leave every seeder list and stop"),
	.min_args = 0, .max_args = 0,
	.flags = CMD_DESTRUCTIVE,
	.exec = cmd_quit_exec,
};

static uint64_t
cmd_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static int
cmd_share_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	 err;
	char		 id[41], q[CMD_LINE_MAX];
	char		*out = NULL;
	const char	*suffix = ".mtorrent";
	size_t		 len, slen = strlen(suffix);
	int		 rc;

	(void)argc;
	/* The assignment writes NAME.mtorrent; add the suffix if missing. */
	len = strlen(argv[1]);
	if (len == 0)
		return (cmd_usage(ctx, &cmd_share_entry));
	if (len < slen || strcmp(argv[1] + len - slen, suffix) != 0) {
		xasprintf(&out, "%s%s", argv[1], suffix);
	}
	mt_err_clear(&err);
	id[0] = '\0';
	rc = engine_share(ctx->engine, argv[0], out != NULL ? out : argv[1],
	    "", id, &err);
	if (rc == 0)
		cmd_ok(ctx, "share %s id=%s", cmd_quote(out != NULL ? out :
		    argv[1], q, sizeof q), id);
	else
		cmd_fail(ctx, &err);
	free(out);
	return (rc == 0 ? 0 : -1);
}

static int
cmd_get_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	err;
	char		q1[CMD_LINE_MAX], q2[CMD_LINE_MAX];

	(void)argc;
	mt_err_clear(&err);
	if (engine_get(ctx->engine, argv[0], argv[1], &err) != 0)
		return (cmd_fail(ctx, &err));
	cmd_ok(ctx, "get %s dest=%s", cmd_quote(argv[0], q1, sizeof q1),
	    cmd_quote(argv[1], q2, sizeof q2));
	return (0);
}

/* One "[D] NAME 42% 12/28 pieces key=value..." line. */
static void
cmd_show_torrent(struct cmd_ctx *ctx, const struct snapshot_torrent *t)
{
	char		 name[600], group[600], emsg[400], extra[1400];
	unsigned	 pct;
	size_t		 i, npeers = 0;

	if (t->npieces == 0)
		pct = 100;
	else
		pct = (unsigned)((uint64_t)t->have * 100 / t->npieces);
	/* Peers, not connections: one both ways counts once. */
	for (i = 0; i < t->npeers; i++) {
		size_t	k;

		if (t->peers[i].state != SNAP_PEER_CONNECTED &&
		    t->peers[i].state != SNAP_PEER_CHOKED)
			continue;
		for (k = 0; k < i; k++)
			if ((t->peers[k].state == SNAP_PEER_CONNECTED ||
			    t->peers[k].state == SNAP_PEER_CHOKED) &&
			    strcmp(t->peers[k].addr, t->peers[i].addr) == 0)
				break;
		npeers += k == i;
	}
	extra[0] = '\0';
	if (t->group[0] != '\0') {
		strlcat(extra, " group=", sizeof extra);
		strlcat(extra, cmd_quote(t->group, group, sizeof group),
		    sizeof extra);
	}
	if (!t->seeding && t->unavailable > 0) {
		char	n[32];

		snprintf(n, sizeof n, " unavailable=%u", t->unavailable);
		strlcat(extra, n, sizeof extra);
	}
	{
		char	n[96];

		/* Piece counters since start: resume tests count them. */
		snprintf(n, sizeof n, " fetched=%u resumed=%u rechecked=%u "
		    "bad=%u", t->pieces_fetched, t->pieces_resumed,
		    t->pieces_rechecked, t->pieces_bad);
		strlcat(extra, n, sizeof extra);
	}
	if (t->error) {
		strlcat(extra, " error=", sizeof extra);
		strlcat(extra, cmd_quote(t->errmsg[0] != '\0' ? t->errmsg :
		    "error", emsg, sizeof emsg), sizeof extra);
	}
	cmd_reply(ctx, "[%c] %s %u%% %u/%u pieces size=%llu down=%llu "
	    "up=%llu peers=%zu id=%s%s", t->seeding ? 'S' : 'D',
	    cmd_quote(t->name, name, sizeof name), pct, t->have, t->npieces,
	    (unsigned long long)t->size, (unsigned long long)t->down_bps,
	    (unsigned long long)t->up_bps, npeers, t->file_id, extra);
}

static int
cmd_show_downloads_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct snapshot	s;
	size_t		i;

	(void)argc;
	(void)argv;
	memset(&s, 0, sizeof s);
	engine_snapshot(ctx->engine, &s);
	for (i = 0; i < s.ntorrents; i++)
		cmd_show_torrent(ctx, &s.torrents[i]);
	cmd_ok(ctx, "show_downloads count=%zu", s.ntorrents);
	snapshot_done(&s);
	return (0);
}

static int
cmd_remove_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	err;
	char		q[CMD_LINE_MAX];

	(void)argc;
	mt_err_clear(&err);
	if (engine_remove(ctx->engine, argv[0], &err) != 0)
		return (cmd_fail(ctx, &err));
	cmd_ok(ctx, "remove %s", cmd_quote(argv[0], q, sizeof q));
	return (0);
}

/*
 * Wait until no download is running (finished or failed), the timeout
 * passes or ctx->stop is set.  Polls the engine's event fd so it sleeps
 * between changes; the poll is bounded so a signal is noticed quickly.
 */
static int
cmd_wait_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct snapshot	 s;
	struct mt_err	 err;
	struct pollfd	 pfd;
	uint64_t	 deadline = 0, now;
	unsigned long	 secs = 0;
	size_t		 i, running, done, failed;
	char		*end;
	int		 timeout;

	if (argc == 1) {
		errno = 0;
		secs = strtoul(argv[0], &end, 10);
		if (argv[0][0] < '0' || argv[0][0] > '9' || *end != '\0' ||
		    errno != 0 || secs > CMD_WAIT_MAX_S)
			return (cmd_usage(ctx, &cmd_wait_entry));
		deadline = cmd_now_ms() + (uint64_t)secs * 1000;
	}
	for (;;) {
		memset(&s, 0, sizeof s);
		engine_snapshot(ctx->engine, &s);
		running = done = failed = 0;
		for (i = 0; i < s.ntorrents; i++) {
			if (s.torrents[i].error)
				failed++;
			else if (s.torrents[i].seeding)
				done++;
			else
				running++;
		}
		snapshot_done(&s);
		if (running == 0) {
			cmd_ok(ctx, "wait done=%zu failed=%zu", done, failed);
			return (0);
		}
		if (ctx->stop != NULL && *ctx->stop) {
			mt_err_set(&err, MT_E_TIMEOUT, _("interrupted; %zu "
			    "download(s) still running"), running);
			return (cmd_fail(ctx, &err));
		}
		now = cmd_now_ms();
		if (argc == 1 && now >= deadline) {
			mt_err_set(&err, MT_E_TIMEOUT, _("%zu download(s) "
			    "still running after %lu s"), running, secs);
			return (cmd_fail(ctx, &err));
		}
		timeout = CMD_WAIT_POLL_MS;
		if (argc == 1 && deadline - now < (uint64_t)timeout)
			timeout = (int)(deadline - now);
		pfd.fd = engine_event_fd(ctx->engine);
		pfd.events = POLLIN;
		if (pfd.fd >= 0) {
			if (poll(&pfd, 1, timeout) > 0)
				engine_event_drain(ctx->engine);
		} else
			poll(NULL, 0, timeout);
	}
}

static int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry	*const *cep, *ce;
	struct mt_err		 err;
	char			 q[128];
	int			 used, n = 0;

	if (argc > 0) {
		ce = cmd_find(argc, argv, &used);
		if (ce == NULL || used != argc) {
			mt_err_set(&err, MT_E_NOTFOUND, _("no such command: %s"),
			    cmd_quote(argv[0], q, sizeof q));
			return (cmd_fail(ctx, &err));
		}
		cmd_reply(ctx, "  %-40s %s", _(ce->usage), _(ce->help));
		if (ce->alias != NULL)
			cmd_reply(ctx, "  %-40s %s %s", "", _("alias:"),
			    ce->alias);
		cmd_ok(ctx, "help count=1");
		return (0);
	}
	for (cep = cmd_table; *cep != NULL; cep++) {
		if (((*cep)->flags & CMD_BATCH_ONLY) && !ctx->batch)
			continue;
		cmd_reply(ctx, "  %-40s %s", _((*cep)->usage),
		    _((*cep)->help));
		n++;
	}
	cmd_ok(ctx, "help count=%d", n);
	return (0);
}

static int
cmd_quit_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	ctx->quit = 1;
	cmd_ok(ctx, "quit");
	return (0);
}
