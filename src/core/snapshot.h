/*
 * snapshot.h: a consistent copy of the engine's state for the UI.
 *
 * The UI thread never reads engine structures directly: it calls
 * engine_snapshot() (engine.h), which copies everything a dashboard shows
 * into a struct snapshot under the engine's locks, and draws from the
 * copy.  Rates are bytes per second averaged over SNAPSHOT_RATE_WINDOW_S.
 */
#ifndef MT_SNAPSHOT_H
#define MT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_RATE_WINDOW_S	5

/* Per-piece states in snapshot_torrent.pieces[]. */
enum snapshot_piece {
	SNAP_PIECE_MISSING = 0,
	SNAP_PIECE_INFLIGHT,
	SNAP_PIECE_HAVE
};

enum snapshot_peer_state {
	SNAP_PEER_CONNECTING = 0,
	SNAP_PEER_CONNECTED,
	SNAP_PEER_CHOKED,	/* out of upload slots on their side */
	SNAP_PEER_FAILED,
	SNAP_PEER_BANNED,
	SNAP_PEER_IDLE		/* known, nothing to fetch from it now */
};

struct snapshot_peer {
	char			 addr[64];
	uint32_t		 have;		/* pieces they have */
	int			 have_known;	/* have is what they told us */
	uint64_t		 down_bps;	/* from them */
	uint64_t		 up_bps;	/* to them */
	enum snapshot_peer_state state;
	unsigned		 strikes;	/* bad pieces sent */
	int			 incoming;	/* 1: they download from us */
};

struct snapshot_torrent {
	char			 file_id[41];
	char			 name[256];
	char			 path[4096];	/* data file */
	char			 group[256];
	uint64_t		 size;
	uint32_t		 npieces;
	uint32_t		 have;		/* verified pieces */
	int			 seeding;	/* 1 = [S], 0 = [D] */
	int			 error;		/* 1 if stopped by an error */
	char			 errmsg[160];
	uint64_t		 down_bps;
	uint64_t		 up_bps;
	uint64_t		 downloaded;	/* bytes this session */
	uint64_t		 uploaded;
	uint32_t		 unavailable;	/* missing pieces no peer has */
	uint8_t			*pieces;	/* npieces enum snapshot_piece */
	uint16_t		*avail;		/* npieces: peers holding it */
	struct snapshot_peer	*peers;
	size_t			 npeers;
	/*
	 * Piece counters for tests and the log (since engine start):
	 * resumed = trusted from the state db without reading; rechecked =
	 * read and hashed at start (recovered = those that were good);
	 * fetched = downloaded and verified; bad = failed their hash; dup =
	 * endgame copies that arrived after the piece was had.
	 */
	uint32_t		 pieces_resumed;
	uint32_t		 pieces_rechecked;
	uint32_t		 pieces_recovered;
	uint32_t		 pieces_fetched;
	uint32_t		 pieces_bad;
	uint32_t		 pieces_dup;
	char			 mtorrent[4096]; /* .mtorrent path or "" */
	uint32_t		 sessions;	/* download connections open */
};

struct snapshot_tracker {
	char	addr[264];
	int	up;		/* answered the last request; -1 not asked */
	int	in_use;
	int	embedded;	/* runs inside this process */
};

struct snapshot {
	uint64_t		 gen;		/* bumped on any change */
	char			 listen[64];
	char			 user[65];	/* "" if not logged in */
	struct snapshot_tracker	*trackers;
	size_t			 ntrackers;
	struct snapshot_torrent	*torrents;
	size_t			 ntorrents;
	uint64_t		 down_bps;
	uint64_t		 up_bps;
};

/* Free what s owns and zero it (s itself is the caller's). */
void	snapshot_done(struct snapshot *s);

#endif /* MT_SNAPSHOT_H */
