/*
 * batch.c: the --batch front end.
 *
 * Reads standard input one command per line, runs each through cmd_run()
 * (the same table and code the TUI prompt uses) and prints what the
 * command writes to its sink on standard output, one line each, flushed
 * at once, so a script can drive the peer through a pipe.  The grammar is
 * doc/commands.md.
 *
 * The main thread is the only one here: it polls stdin, a self-pipe the
 * signal handlers write to, and (after end of input with
 * --exit-when-done) the engine's event fd; every poll is bounded so the
 * exit conditions are re-checked at least once a second.  Lines longer
 * than CMD_LINE_MAX are refused with one usage error and skipped up to
 * their newline; nothing is buffered beyond one line.
 */
#include "config.h"

#include "batch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "engine.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "snapshot.h"

#define BATCH_POLL_MS	1000

/* Set by the signal handlers; the only file-scope state (signals). */
static volatile sig_atomic_t	batch_stop;
static int			batch_sigfd = -1;

static void	batch_on_signal(int);
static void	batch_write(struct cmd_sink *, int, const char *);
static int	batch_line(struct cmd_ctx *, char *, size_t);
static int	batch_finished(struct engine *, size_t *);

static void
batch_on_signal(int sig)
{
	int	saved = errno;
	char	c = 's';

	(void)sig;
	batch_stop = 1;
	if (batch_sigfd != -1)
		(void)!write(batch_sigfd, &c, 1);
	errno = saved;
}

static void
batch_write(struct cmd_sink *sink, int is_error, const char *line)
{
	(void)sink;
	(void)is_error;
	/* A closed stdout must not stop the peer: errors are ignored. */
	fputs(line, stdout);
	putc('\n', stdout);
	fflush(stdout);
}

/* Run one line (without its newline); returns 1 when `quit` ran. */
static int
batch_line(struct cmd_ctx *ctx, char *line, size_t len)
{
	struct mt_err	err;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (memchr(line, '\0', len) != NULL) {
		mt_err_set(&err, MT_E_USAGE, _("NUL byte in the line"));
		cmd_fail(ctx, &err);
		return (0);
	}
	line[len] = '\0';
	cmd_run(ctx, line);
	return (ctx->quit);
}

/*
 * Are all downloads over (complete or failed)?  *failed gets the number
 * that failed.
 */
static int
batch_finished(struct engine *e, size_t *failed)
{
	struct snapshot	s;
	size_t		i, running = 0;

	memset(&s, 0, sizeof s);
	engine_snapshot(e, &s);
	*failed = 0;
	for (i = 0; i < s.ntorrents; i++) {
		if (s.torrents[i].error)
			(*failed)++;
		else if (!s.torrents[i].seeding)
			running++;
	}
	snapshot_done(&s);
	return (running == 0);
}

int
batch_run(struct engine *e, const struct batch_options *o)
{
	struct cmd_sink		 sink = { batch_write, NULL };
	struct cmd_ctx		 ctx;
	struct sigaction	 sa;
	struct pollfd		 pfd[3];
	char			 buf[CMD_LINE_MAX + 2];
	char			*nl;
	size_t			 len = 0, failed = 0, off;
	ssize_t			 n;
	int			 sp[2], eof = 0, skipping = 0, nfds, status = 0;
	int			 i;

	memset(&ctx, 0, sizeof ctx);
	ctx.engine = e;
	ctx.sink = &sink;
	ctx.stop = &batch_stop;
	ctx.batch = 1;

	if (pipe(sp) != 0)
		fatal("pipe");
	for (i = 0; i < 2; i++) {
		fcntl(sp[i], F_SETFL, fcntl(sp[i], F_GETFL) | O_NONBLOCK);
		fcntl(sp[i], F_SETFD, FD_CLOEXEC);
	}
	batch_sigfd = sp[1];
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = batch_on_signal;
	sigemptyset(&sa.sa_mask);
	/* A second signal kills: a stuck shutdown can still be ended. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (o->embedded != NULL)
		printf("ok ready listen=%s embedded_tracker=%s%s%s\n",
		    engine_listen_addr(e), o->embedded,
		    o->embedded_fpr != NULL ? " fpr=" : "",
		    o->embedded_fpr != NULL ? o->embedded_fpr : "");
	else
		printf("ok ready listen=%s\n", engine_listen_addr(e));
	fflush(stdout);
	log_info(_("batch: ready on %s"), engine_listen_addr(e));

	while (!batch_stop && !ctx.quit) {
		if (eof && o->exit_when_done && batch_finished(e, &failed)) {
			log_info(_("batch: downloads finished (%zu failed)"),
			    failed);
			status = failed > 0 ? 1 : 0;
			break;
		}
		nfds = 0;
		pfd[nfds].fd = sp[0];
		pfd[nfds++].events = POLLIN;
		if (!eof) {
			pfd[nfds].fd = STDIN_FILENO;
			pfd[nfds++].events = POLLIN;
		} else if (o->exit_when_done && engine_event_fd(e) >= 0) {
			pfd[nfds].fd = engine_event_fd(e);
			pfd[nfds++].events = POLLIN;
		}
		if (poll(pfd, nfds, BATCH_POLL_MS) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN) {
			char	drain[16];

			while (read(sp[0], drain, sizeof drain) > 0)
				;
		}
		if (eof) {
			if (nfds > 1 && (pfd[1].revents & POLLIN))
				engine_event_drain(e);
			continue;
		}
		if ((pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;

		n = read(STDIN_FILENO, buf + len, sizeof buf - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			if (n < 0)
				log_warn("batch: read stdin: %s",
				    strerror(errno));
			eof = 1;
			if (len > 0 && !skipping)
				batch_line(&ctx, buf, len);
			len = 0;
			if (o->exit_when_done)
				log_info(_("batch: end of input; exiting when "
				    "downloads finish"));
			else
				log_info(_("batch: end of input; seeding until "
				    "SIGINT or SIGTERM"));
			continue;
		}
		len += (size_t)n;
		off = 0;
		while (!ctx.quit &&
		    (nl = memchr(buf + off, '\n', len - off)) != NULL) {
			size_t	llen = (size_t)(nl - (buf + off));

			if (skipping)
				skipping = 0;
			else
				batch_line(&ctx, buf + off, llen);
			off += llen + 1;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
		if (len == sizeof buf - 1) {
			/* No newline within CMD_LINE_MAX + 1 bytes. */
			if (!skipping) {
				struct mt_err	err;

				mt_err_set(&err, MT_E_USAGE, _("line too long "
				    "(more than %d bytes)"), CMD_LINE_MAX);
				cmd_fail(&ctx, &err);
			}
			skipping = 1;
			len = 0;
		}
	}
	if (batch_stop)
		log_info(_("batch: stopping on a signal"));

	batch_sigfd = -1;
	close(sp[0]);
	close(sp[1]);
	return (status);
}
