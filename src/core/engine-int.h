/*
 * engine-int.h: the peer engine's internal structures, shared by
 * engine.c, transfer.c and snapshot.c only.  Ownership and locks are
 * described in doc/architecture.md ("Peer engine"); each field says
 * which lock guards it.  Lock order: engine.lock -> torrent.lock ->
 * upconn.lock.
 */
#ifndef MT_ENGINE_INT_H
#define MT_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "engine.h"
#include "metainfo.h"
#include "net.h"
#include "picker.h"
#include "snapshot.h"
#include "storage.h"

union message;
struct upsched;

#define TRANSFER_DEPTH		6	/* max requests in flight/session */
#define TRANSFER_PEER_SESSIONS	4	/* at most, to one peer */
#define TRANSFER_SPREAD		8	/* sessions shared out over few
					   peers (one each when more) */
#define TRANSFER_OFFERS		2	/* initial seeding: pieces shown
					   per connection */
#define TRANSFER_TIMEOUT_MS	10000	/* a reply must progress by then */
#define TRANSFER_CONNECT_MS	3000
/*
 * Sessions of one torrent that have not yet learnt what their peer
 * holds (connect, hello, have_reply): at most TRANSFER_OPENING_MAX at a
 * time, each counted for at most TRANSFER_OPENING_MS, in the tracker's
 * order (doc/architecture.md "The piece pipeline").
 */
#define TRANSFER_OPENING_MAX	4
#define TRANSFER_OPENING_MS	250
#define TRANSFER_STRIKES_MAX	3	/* bad pieces before a ban */
#define TRANSFER_ENDGAME_DUP	2	/* requests per piece in endgame */
#define TRANSFER_SUBS_MAX	64	/* have subscriptions per upload */
#define TRANSFER_HAVE_FRAME_MAX	128	/* one encoded `have` fits */
#define TRANSFER_PEERS_MAX	512	/* sources per torrent learnt from
					   incoming connections */
#define ENGINE_ANNOUNCE_MS	30000
#define ENGINE_FLUSH_MS		1000
#define ENGINE_PROGRESS_MS	2000	/* verified pieces, batched */
#define ENGINE_ADD_BACKOFF_MAX_MS 30000	/* seeder_add retries */
#define ENGINE_IO_RETRY_MS	10000	/* after a local write error */
#define ENGINE_FLUSH_PIECES	64
#define ENGINE_SEEDERS_MS	15000	/* refresh the peer list while down */
#define ENGINE_SEEDERS_FEW_MS	1000	/* ... while it is short */
#define ENGINE_DEFAULT_DEPTH	1	/* requests in flight per session */
#define ENGINE_IDLE_MS		1000	/* session without work waits */
#define ENGINE_UPLOAD_STREAMS	4	/* pieces sent at once (upsched) */
#define ENGINE_UPLOAD_QUEUE	4	/* requests waiting for a turn
					   before a sent piece is refused */
#define ENGINE_BACKOFF_MAX_S	30
#define ENGINE_ASK_MIN_MS	1000	/* seeders queries at most 1/s */

/* Bytes per second over the last SNAPSHOT_RATE_WINDOW_S whole seconds. */
struct rate {
	uint64_t	 sec[SNAPSHOT_RATE_WINDOW_S + 1];
	uint64_t	 bytes[SNAPSHOT_RATE_WINDOW_S + 1];
};

void		 rate_add(struct rate *r, uint64_t now_ms, uint64_t n);
uint64_t	 rate_get(const struct rate *r, uint64_t now_ms);

/* A source of pieces for one torrent (an address from the tracker). */
struct eng_peer {
	char			 addr[NET_ADDR_MAX];
	uint8_t			*bits;		/* their pieces; t.lock */
	int			 known;		/* bits counted in avail */
	uint32_t		 have;
	unsigned		 sessions;	/* open sessions */
	unsigned		 strikes;
	unsigned		 fails;		/* consecutive */
	int			 banned;
	int			 busy;		/* refused: no slot */
	int			 listed;	/* in the last tracker reply */
	uint32_t		 rank;		/* its place there (first:
						   registered longest) */
	int			 incoming;	/* it connected to us for this
						   file (its hello.listen) */
	int			 stale;		/* bits may be out of date */
	int			 old_proto;	/* refused our hello's version:
						   say MSG_PROTO_CANCEL */
	uint64_t		 retry_ms;	/* not before (monotonic) */
	uint64_t		 piece_ms;	/* its usual request-to-arrival
						   time (EWMA; 0: none yet) */
	struct rate		 down;
	struct eng_peer		*next;
};

enum torrent_state {
	TORRENT_DOWNLOADING,
	TORRENT_SEEDING,
	TORRENT_ERROR
};

struct torrent {
	pthread_mutex_t		 lock;
	unsigned		 refs;		/* engine.lock */
	int			 dead;		/* engine.lock; removed */
	struct metainfo		 mi;		/* immutable */
	/* The .mtorrent's own trackers when they are not the engine's;
	 * NULL uses the engine's client.  Immutable; calls under tlock. */
	struct tracker_client	*tc;
	/* file_id on the wire: "HEX", or "HEX/UNIT" for units smaller
	 * than pieces (doc/protocol.md).  Immutable. */
	char			 wire_id[64];
	char			*meta;		/* metainfo text, immutable */
	size_t			 metalen;
	char			 mtorrent[4096]; /* immutable */
	char			 dir[4096];	/* "" for a share */
	struct storage		 st;		/* fd immutable; path: lock */
	enum torrent_state	 state;		/* lock */
	char			 errmsg[160];	/* lock */
	uint64_t		 io_retry_ms;	/* lock: retry a local write
						   error then; 0 none */
	struct picker		 pk;		/* lock */
	struct eng_peer		*peers;		/* lock */
	unsigned		 sessions;	/* lock */
	struct session		*slist;		/* lock: sessions running */
	unsigned		 dirty;		/* lock: verified, not flushed */
	int			 committing;	/* lock */
	int			 seeder_added;	/* lock: tracker knows us */
	int			 want_peers;	/* lock: ask the tracker now */
	uint64_t		 peers_ms;	/* house: next seeders query */
	uint64_t		 asked_ms;	/* house: last seeders query */
	uint64_t		 add_retry_ms;	/* house: seeder_add not before */
	unsigned		 add_backoff_ms; /* house */
	uint32_t		 logged_have;	/* house: pieces in the last
						   progress line */
	uint32_t		 logged_unit;	/* house: units then */
	uint64_t		 logged_ms;	/* house: when */
	unsigned		 backoff_s;	/* house */
	uint64_t		 downloaded;	/* lock: bytes this session */
	uint64_t		 uploaded;	/* lock */
	struct rate		 down;		/* lock */
	struct rate		 up;		/* lock */
	uint32_t		 pieces_resumed;	/* lock */
	uint32_t		 pieces_rechecked;	/* lock */
	uint32_t		 pieces_recovered;	/* lock */
	uint32_t		 pieces_fetched;	/* lock */
	uint32_t		 pieces_bad;		/* lock */
	uint32_t		 pieces_dup;		/* lock: endgame losers */
	uint64_t		 piece_ms;	/* lock: a piece's usual time from
						   request to arrival (EWMA) */
	/*
	 * Uploads.  sent[i]: copies of piece i we sent (saturating).
	 * Initial seeding (superseed: a file we shared, while some piece
	 * was never sent): each upload connection is shown only
	 * TRANSFER_OFFERS pieces, never sent before and shown to as few
	 * others as possible (offered[i] connections show piece i), so
	 * that every piece leaves once before any leaves twice.  That
	 * only pays while two or more peers download from us (narrow):
	 * a lone downloader has no one to relay to and sees everything.
	 */
	uint16_t		*sent;		/* lock */
	uint8_t			*offered;	/* lock */
	uint8_t			*sending;	/* lock: turns granted, not
						   yet sent (initial seeding) */
	uint32_t		 nunsent;	/* lock: pieces with sent 0 */
	uint32_t		 offer_next;	/* lock: next search start */
	int			 superseed;	/* lock */
	int			 narrow;	/* lock, changed under
						   engine.lock too */
	int			 fast_up;	/* lock: a piece went out
						   fast: no drain */
	struct torrent		*next;		/* engine.lock */
};

/* An incoming (upload) connection, one thread each. */
struct upconn {
	struct engine		*e;
	int			 fd;		/* owner thread */
	int			 evfd;		/* wakes the owner */
	pthread_t		 thread;
	atomic_int		 done;		/* thread finished */
	int			 hello;		/* owner: hello received */
	int			 brief;		/* lock: takes brief `have`s
						   (hello said 3 or more) */
	char			 addr[NET_ADDR_MAX]; /* immutable */
	char			 listen[NET_ADDR_MAX]; /* lock: its address
						   and hello.listen's port */
	pthread_mutex_t		 lock;
	struct torrent		*subs[TRANSFER_SUBS_MAX]; /* owner; refs */
	unsigned		 nsubs;		/* lock */
	/* Initial seeding: the pieces shown on each subscription. */
	uint32_t		 offer[TRANSFER_SUBS_MAX][TRANSFER_OFFERS];
	uint8_t			 noffer[TRANSFER_SUBS_MAX];	/* lock */
	/* The unit each subscription asks in (bytes). */
	uint32_t		 unit[TRANSFER_SUBS_MAX];	/* lock */
	uint8_t			 reveal[TRANSFER_SUBS_MAX];	/* lock: send
						   what we show anew */
	uint64_t		*haves;		/* lock: (sub << 32) | index */
	size_t			 nhaves, haves_cap; /* lock */
	/*
	 * The owner sleeps in poll() and writes nothing until it takes
	 * u->lock to clear this: meanwhile another thread holding u->lock
	 * may write a `have` to fd itself (transfer_send_have()).
	 */
	int			 parked;	/* lock */
	/* lock: the rest of a frame another thread wrote in part */
	uint8_t			 pend[TRANSFER_HAVE_FRAME_MAX];
	size_t			 npend;		/* lock */
	uint64_t		 sent;		/* lock */
	struct xfer_conn	*conn;		/* owner thread: its reader */
	struct rate		 up;		/* lock */
	struct upconn		*next;		/* engine.lock */
};

typedef int engine_tracker_fn(void *arg, const union message *req,
    union message *reply, struct mt_err *err);

struct engine {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* house */
	pthread_cond_t		 wcond;		/* idle workers */
	atomic_int		 stopping;
	char			 listen[64];	/* immutable */
	char			 embedded[264];	/* immutable; "" if none */
	char			 congestion[NET_CC_NAME_MAX]; /* immutable:
					 * uploads' TCP congestion control */
	char			 node_id[41];	/* immutable */
	char			 state_dir[4096];
	unsigned		 workers;
	unsigned		 slots;
	unsigned		 depth;		/* requests in flight/session */
	unsigned		 idle_ms;	/* session without work waits */
	unsigned		 queue_max;	/* upload requests waiting */
	struct upsched		*us;		/* upload turns */
	int			 lfd;		/* accept thread */
	int			 lockfd;	/* flock on state_dir/lock */
	int			 stop_pipe[2];	/* readable once stopping */
	int			 ev_pipe[2];	/* engine_event_fd() */
	atomic_uint_fast64_t	 gen;		/* bumped on change */
	uint64_t		 ev_gen;	/* house */
	struct torrent		*torrents;	/* lock */
	struct upconn		*ups;		/* lock */
	unsigned		 nups;		/* lock */
	pthread_t		 house;
	pthread_t		 accept;
	struct pool		*pool;
	struct peerdb		*db;
	int			 was_clean;
	struct tracker_client	*tc;
	engine_tracker_fn	*tcall;		/* test override */
	void			*targ;
	uint64_t		 seed;		/* picker RNG, 0 = clock */
	pthread_mutex_t		 tlock;		/* serialises tracker calls */
	char			 user[65];	/* lock */
	char			 token[256];	/* lock */
	int			 wake;		/* lock: house should run */
	uint64_t		 announce_ms;	/* house */
	uint64_t		 flush_ms;	/* house */
	char			 trackers[ENGINE_TRACKERS_MAX][264];
	size_t			 ntrackers;
};

/* engine.c */
void		 torrent_ref(struct torrent *t);	/* engine.lock */
void		 torrent_unref(struct engine *e, struct torrent *t);
/* Whole pieces we have (units counted per piece); t->lock held. */
uint32_t	 torrent_pieces_have(const struct torrent *t);
struct torrent	*engine_find_ref(struct engine *e, const char *file_id);
void		 engine_changed(struct engine *e);
void		 engine_piece_verified(struct engine *e, struct torrent *t,
		     uint32_t index);
void		 engine_wake(struct engine *e);

/* transfer.c */
void		 transfer_worker(void *arg);
void		*transfer_accept_main(void *arg);
void		 transfer_reap(struct engine *e, int all);
void		 transfer_queue_have(struct upconn *u, unsigned k,
		     uint32_t index);
int		 transfer_send_have(struct upconn *u, unsigned k,
		    const uint8_t *frame, size_t len);
/*
 * Does subscription k of u take brief `have`s (file_id "")?  u->lock
 * held, or u's owner thread.
 */
int		 transfer_have_brief(const struct upconn *u, unsigned k);
/* Initial seeding: replace sent offers on every connection of t. */
void		 transfer_offer_refill(struct engine *e, struct torrent *t);
int		 transfer_send_msg(int fd, const union message *m,
		     uint64_t deadline_ms, struct mt_err *err);

#endif /* MT_ENGINE_INT_H */
