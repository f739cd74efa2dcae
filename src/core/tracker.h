/*
 * tracker.h: the tracker role (standalone with --tracker, or embedded in a
 * peer).  An instance owns its listener, its worker threads, its store and
 * its links to partner trackers; several may run in one process.
 */
#ifndef MT_TRACKER_H
#define MT_TRACKER_H

#include <stddef.h>

struct mt_err;

#define TRACKER_DEFAULT_PORT	6880
#define TRACKER_PARTNERS_MAX	8

/* Defaults of the limits below (doc/protocol.md, "Limits"). */
#define TRACKER_MAX_CONNS	4096	/* clamped to RLIMIT_NOFILE - 64 */
#define TRACKER_MAX_PER_ADDR	256	/* NATs put many peers on one IP */
#define TRACKER_HANDSHAKE_MS	10000	/* TLS handshake + hello */
#define TRACKER_IDLE_MS		300000	/* clients re-announce < 60 s */
#define TRACKER_FRAME_MS	30000	/* a started frame must complete */
#define TRACKER_RECV_TOTAL_MAX	(256U * 1024 * 1024) /* partial frames */

/*
 * Files: with db_path NULL, state_dir/tracker.db, state_dir/tracker.key,
 * state_dir/tracker.crt and state_dir/partners (pinned partner
 * fingerprints, "ADDR FPR" lines); with db_path set (the positional
 * SEEDERLIST_FILE), that file and DB.key, DB.crt, DB.partners beside it.
 * Zero limits take the defaults above.
 */
struct tracker_config {
	char		 listen[264];		/* HOST:PORT, port 0: any */
	const char	*partners[TRACKER_PARTNERS_MAX];
	const char	*partner_fprs[TRACKER_PARTNERS_MAX]; /* or NULL */
	size_t		 npartners;
	const char	*state_dir;		/* db, key, cert live here */
	unsigned	 max_conns;		/* 0 = default */
	const char	*db_path;		/* NULL: state_dir/tracker.db */
	unsigned	 max_per_addr;		/* 0 = default */
	unsigned	 handshake_ms;		/* 0 = default */
	unsigned	 idle_ms;		/* 0 = default */
	unsigned	 frame_ms;		/* 0 = default */
	unsigned	 nworkers;		/* 0 = one per CPU, 1..16 */
};

struct tracker;

/*
 * Start a tracker: open the store, load or make the TLS identity, listen,
 * start the worker threads and one link per partner.  Returns a new
 * tracker (stop and free with tracker_stop()), or NULL with err set
 * (MT_E_NET: cannot listen; MT_E_IO, MT_E_TLS, MT_E_DB: state files).
 * The threads it starts block all signals.
 */
struct tracker	*tracker_start(const struct tracker_config *cfg,
		     struct mt_err *err);
/* SHA-256 fingerprint (hex) of this tracker's certificate. */
const char	*tracker_fingerprint(const struct tracker *t);
/* Actual listening address (useful with port 0). */
const char	*tracker_address(const struct tracker *t);
/*
 * Stop: refuse new work, answer requests already read, flush, join
 * every thread, close the store and free t.  Call from the thread that
 * started it.
 */
void		 tracker_stop(struct tracker *t);

#endif /* MT_TRACKER_H */
