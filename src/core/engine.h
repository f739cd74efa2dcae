/*
 * engine.h: the peer engine.
 *
 * An engine owns a listener serving pieces to other peers, a pool of
 * worker threads downloading pieces from many peers at once (each
 * SHA1-verified before it counts), its torrents, a tracker client and a
 * persistent state database (SQLite under state_dir) so that a restart
 * resumes every download and re-announces every shared file.
 *
 * All functions may be called from any thread (the TUI thread, the batch
 * reader); none blocks on the network for long: get returns at once.
 */
#ifndef MT_ENGINE_H
#define MT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;
struct snapshot;
struct tracker_client;
union message;

#define ENGINE_TRACKERS_MAX	8
#define ENGINE_DEFAULT_PORT	6881
#define ENGINE_DEFAULT_WORKERS	32
#define ENGINE_DEFAULT_SLOTS	64
/*
 * TCP congestion control of upload connections.  Many short uploads
 * share one uplink; loss-based AIMD (reno) shares a shallow buffer
 * without the retransmission storms BBR and CUBIC showed on the swarm
 * testbed (doc/architecture.md, "Swarms").
 */
#define ENGINE_DEFAULT_CONGESTION	"reno"

struct engine_config {
	char		 listen[64];		/* HOST:PORT; port 0 = any */
	const char	*trackers[ENGINE_TRACKERS_MAX];
	/* Each tracker's pinned fingerprint (hex or SHA256:hex), or NULL:
	 * in force before the first connection. */
	const char	*tracker_fprs[ENGINE_TRACKERS_MAX];
	size_t		 ntrackers;
	const char	*state_dir;		/* db, known trackers, logs */
	unsigned	 workers;		/* 0 = ENGINE_DEFAULT_WORKERS */
	unsigned	 upload_slots;		/* 0 = ENGINE_DEFAULT_SLOTS */
	/* Uploads' TCP congestion control: NULL = the default (falls back
	 * to the system's with a warning), "system" = the system's. */
	const char	*congestion;
	/*
	 * Tests only (leave zero): answer tracker requests in-process
	 * instead of through the tracker client.  Same contract as
	 * tracker_client_call(); calls are serialised by the engine.
	 */
	int		(*tracker_call)(void *arg, const union message *req,
			    union message *reply, struct mt_err *err);
	void		*tracker_arg;
	uint64_t	 seed;			/* picker RNG; 0 = random */
	/* The tracker running inside this process, if any (for display). */
	const char	*embedded_tracker;
};

struct engine;

/*
 * Create and start an engine: open the state db under state_dir, resume
 * every torrent it lists (re-verifying what cannot be trusted; this may
 * take a while for a large torrent after an unclean exit), listen, start
 * the worker pool and re-announce.  NULL + err (MT_E_DB, MT_E_IO,
 * MT_E_NET, MT_E_BADVALUE).
 */
struct engine	*engine_start(const struct engine_config *cfg,
		     struct mt_err *err);
/*
 * Stop: say bye to the trackers (this peer leaves every seeder list),
 * end uploads cleanly, flush state, join every thread, free.
 */
void		 engine_stop(struct engine *e);

/* The actual listening address ("127.0.0.1:6881"). */
const char	*engine_listen_addr(const struct engine *e);

/* The engine's tracker client (for account and group commands). */
struct tracker_client *engine_tracker(struct engine *e);

/* Session token and user after login ("" if none); copied in and out. */
void		 engine_set_session(struct engine *e, const char *user,
		     const char *token);
void		 engine_session(struct engine *e, char *user, size_t ulen,
		     char *token, size_t tlen);

/*
 * share: hash path, write the .mtorrent to mtorrent_out (group "" for
 * public), register with the tracker and start seeding.  Blocks while
 * hashing.  On success copies the file id (hex) to id_out[41].
 */
int		 engine_share(struct engine *e, const char *path,
		     const char *mtorrent_out, const char *group,
		     char *id_out, struct mt_err *err);

/*
 * get: start downloading the file described by the .mtorrent at
 * mtorrent_path to dest (a directory receives it under its own name).
 * Returns at once; progress shows in the snapshot.
 */
int		 engine_get(struct engine *e, const char *mtorrent_path,
		     const char *dest, struct mt_err *err);

/* download_file: as engine_get, metadata fetched from the tracker. */
int		 engine_get_by_name(struct engine *e, const char *group,
		     const char *name, const char *dest, struct mt_err *err);

/*
 * remove: stop sharing/downloading the file of mtorrent_path (or a file
 * id), drop it from the tracker and the state db and delete the
 * .mtorrent; the data file stays.
 */
int		 engine_remove(struct engine *e, const char *what,
		     struct mt_err *err);

/* stop_share: stop seeding group/name (the data and .mtorrent stay). */
int		 engine_stop_share(struct engine *e, const char *group,
		     const char *name, struct mt_err *err);

/* Copy the state for display; free with snapshot_done(). */
void		 engine_snapshot(struct engine *e, struct snapshot *s);

/* Number of downloads not yet complete. */
size_t		 engine_active_downloads(struct engine *e);

/*
 * An fd that becomes readable when the engine's state changed (for a
 * UI's poll()); drain with engine_event_drain().
 */
int		 engine_event_fd(struct engine *e);
void		 engine_event_drain(struct engine *e);

#endif /* MT_ENGINE_H */
