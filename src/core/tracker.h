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

struct tracker_config {
	char		 listen[264];		/* HOST:PORT */
	const char	*partners[TRACKER_PARTNERS_MAX];
	const char	*partner_fprs[TRACKER_PARTNERS_MAX]; /* or NULL */
	size_t		 npartners;
	const char	*state_dir;		/* db, key, cert live here */
	unsigned	 max_conns;		/* 0 = default */
};

struct tracker;

/* Start a tracker; returns NULL with err set on failure. */
struct tracker	*tracker_start(const struct tracker_config *cfg,
		     struct mt_err *err);
/* SHA-256 fingerprint (hex) of this tracker's certificate. */
const char	*tracker_fingerprint(const struct tracker *t);
/* Actual listening address (useful with port 0). */
const char	*tracker_address(const struct tracker *t);
/* Stop: refuse new work, answer open requests, flush, join threads. */
void		 tracker_stop(struct tracker *t);

#endif /* MT_TRACKER_H */
