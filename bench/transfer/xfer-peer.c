/*
 * xfer-peer.c: a minimal headless peer for bench/transfer/run: one
 * engine per process, driven by arguments instead of the command layer,
 * so the bench measures the engine alone.
 *
 *	xfer-peer seed STATE LISTEN TRACKER FILE OUT.mtorrent
 *		share FILE, print "ready", seed until SIGTERM
 *	xfer-peer get STATE LISTEN TRACKER IN.mtorrent DEST
 *		download, print "done SECONDS", exit
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "error.h"
#include "log.h"
#include "snapshot.h"

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

int
main(int argc, char **argv)
{
	struct engine_config	 cfg;
	struct engine		*e;
	struct mt_err		 err;
	struct snapshot		 s;
	char			 id[41];
	double			 t0;
	int			 done = 0;

	if (argc != 7 || (strcmp(argv[1], "seed") != 0 &&
	    strcmp(argv[1], "get") != 0)) {
		fprintf(stderr, "usage: xfer-peer seed|get STATE LISTEN "
		    "TRACKER FILE MTORRENT\n");
		return (2);
	}
	log_set_level(getenv("XFER_DEBUG") ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_WARN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	memset(&cfg, 0, sizeof cfg);
	snprintf(cfg.listen, sizeof cfg.listen, "%s", argv[3]);
	cfg.trackers[0] = argv[4];
	cfg.ntrackers = 1;
	cfg.state_dir = argv[2];
	if (getenv("XFER_WORKERS") != NULL)
		cfg.workers = (unsigned)atoi(getenv("XFER_WORKERS"));
	if ((e = engine_start(&cfg, &err)) == NULL) {
		fprintf(stderr, "engine_start: %s\n", err.msg);
		return (1);
	}
	if (strcmp(argv[1], "seed") == 0) {
		if (engine_share(e, argv[5], argv[6], "", id, &err) != 0) {
			fprintf(stderr, "share: %s\n", err.msg);
			engine_stop(e);
			return (1);
		}
		printf("ready %s\n", id);
		fflush(stdout);
		while (!stop)
			pause();
		engine_stop(e);
		return (0);
	}
	t0 = now_s();
	if (engine_get(e, argv[5], argv[6], &err) != 0) {
		fprintf(stderr, "get: %s\n", err.msg);
		engine_stop(e);
		return (1);
	}
	while (!stop && !done) {
		usleep(2000);
		engine_snapshot(e, &s);
		done = s.ntorrents == 1 && s.torrents[0].seeding;
		if (s.ntorrents == 1 && s.torrents[0].error) {
			fprintf(stderr, "error: %s\n", s.torrents[0].errmsg);
			snapshot_done(&s);
			break;
		}
		snapshot_done(&s);
	}
	printf("done %.3f\n", now_s() - t0);
	fflush(stdout);
	engine_stop(e);
	return (done ? 0 : 1);
}
