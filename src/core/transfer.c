/*
 * transfer.c: the peer wire (doc/architecture.md, "The wire exchange"):
 * download sessions run by the worker pool, and the upload side (one
 * accept thread, one thread per incoming connection).
 *
 * Frames are read in exact pieces, never ahead: the head (magic, type,
 * payload length) first; a piece_reply's small arguments next; then its
 * data goes straight from the socket into the worker's piece buffer.
 * Every other frame is gathered whole (bounded by WIRE_FRAME_MAX, or a
 * small limit on upload connections, which only receive requests) and
 * checked by wire_decode_feed() and message_decode().
 *
 * Uploads write the piece_reply head, then sendfile() the verified piece
 * range from the data file at its offset, then magic_end: no copy
 * through user space and no use of the file position.
 */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "engine-int.h"
#include "error.h"
#include "hash.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "picker.h"
#include "pool.h"
#include "upsched.h"
#include "wire.h"
#include "xmalloc.h"

#define XFER_TYPE_PIECE_REPLY	"piece_reply"
#define XFER_TYPE_PIECE_CANCEL	"piece_cancel"
#define XFER_UP_FRAME_MAX	(64U * 1024U)	/* requests are small */
#define XFER_UP_IDLE_MS		120000
/*
 * A connection must send its first request within this time, and one
 * remote address may hold at most half of the upload slots: idle
 * connections (slowloris) cannot starve everyone else.
 */
#define XFER_UP_FIRST_MS	10000
/*
 * Upload turns (upsched.h): a request waits for its turn at most
 * XFER_TURN_MAX_MS (then `busy`, well inside the requester's
 * TRANSFER_TIMEOUT_MS), flushing `have`s as they come and reading a
 * `piece_cancel` for it (poll() on the socket and the connection's
 * eventfd, which upsched_enter_fd() also signals when the turn comes).
 * A piece we already sent k times queues as if it came k (at most 4)
 * times XFER_SENT_PENALTY_MS later: fresh pieces go first, so they are
 * relayed on at once, and old ones still go within 2 s.
 */
#define XFER_TURN_MAX_MS	8000
#define XFER_BUSY_RETRY_MS	100	/* after a `busy` reply */
#define XFER_TURN_POLL_MS	1000
#define XFER_SENT_PENALTY_MS	500
/*
 * A frame that starts while a request waits for its turn must be whole
 * within this time: the turn may come meanwhile, and a stream must not
 * wait on a requester that dribbles bytes.
 */
#define XFER_WATCH_MS		2000
/*
 * Unsent bytes an upload socket may hold.  Without a bound the kernel
 * grows the send buffer to megabytes: sendfile() returns (and the turn
 * ends) seconds before the piece is on the wire, so the scheduler's
 * order means nothing and a fresh piece waits behind old ones.  This
 * bounds only what waits to be sent, not what is in flight, so long
 * round trips still fill the link.  One piece: 128 KiB starved a
 * 100 Mbit/s link on a busy machine (bench/swarm/results.md).
 */
#define XFER_NOTSENT_LOWAT	(512 * 1024)
/*
 * Initial seeding wants each fresh piece to reach one peer quickly so
 * that it can relay it on.  But an upload turn that ends when the last
 * byte enters the kernel lets every connection's piece out at once
 * (socket buffers, the qdisc and the window hold a megabyte or more per
 * connection): the link shares itself among them, each copy arrives
 * only when all do, and the scheduler's order means nothing.  So while
 * initial seeding is narrow the turn holds until the piece is nearly
 * delivered: at most XFER_DRAIN_BYTES, or what the link sends in
 * XFER_DRAIN_SLACK_MS, unacknowledged (SIOCOUTQ), for at most
 * XFER_DRAIN_MAX_MS, sleeping for the time the rest should take at the
 * rate seen (XFER_DRAIN_POLL_MS before a rate is known, at most
 * XFER_DRAIN_SLEEP_MAX_MS).  On a fast uplink a piece is a short, fresh
 * flow that two at a time do not fill (a 100 Mbit/s seeder moved 76):
 * once the kernel's delivery rate of a drained connection (TCP_INFO)
 * is a whole piece in XFER_DRAIN_FAST_MS, the torrent stops holding
 * turns (torrent.fast_up).
 */
#define XFER_DRAIN_BYTES	(64 * 1024)
#define XFER_DRAIN_SLACK_MS	20
#define XFER_DRAIN_MAX_MS	5000
#define XFER_DRAIN_POLL_MS	5
#define XFER_DRAIN_SLEEP_MAX_MS	50
#define XFER_DRAIN_FAST_MS	150
/*
 * Pipelining.  One request in flight per session (e->depth) keeps a
 * piece from waiting in a slow uploader's queue while other holders
 * idle.  But when a piece comes within XFER_FAST_MS of being asked
 * (a fast, idle link: loopback, a LAN), the turnaround between pieces
 * (wake-ups, hashing) is a large part of the time, and the session
 * keeps XFER_FAST_DEPTH requests in flight until a piece comes slower.
 */
#define XFER_FAST_MS		20
#define XFER_FAST_DEPTH		2
#define XFER_RCVLOWAT		(128 * 1024)
/*
 * Small reads (frame heads, `have`s, requests) take whatever the socket
 * holds, up to this much, in one recv(): a burst of `have`s costs one
 * system call, not three per frame.  A piece's data past what was read
 * ahead goes straight from the socket into the piece buffer.
 */
#define XFER_AHEAD		4096

/* One framed connection, read by exactly one thread. */
struct xfer_conn {
	int			 fd;
	int			 cancel;	/* engine stop pipe */
	struct buf		 rb;		/* one whole frame */
	struct wire_decoder	*dec;
	char			 type[WIRE_TYPE_MAX + 1];
	uint32_t		 plen;
	uint8_t			 head[4 + 1 + WIRE_TYPE_MAX + 4];
	size_t			 headlen;
	int			 lowat;		/* SO_RCVLOWAT now set */
	int			 held;		/* head read, frame not: the
						   next xfer_read_head() is it */
	/* The last recv() emptied the socket: wait before the next. */
	int			 drained;
	uint32_t		 aoff, alen;	/* unread: ahead[aoff, alen) */
	uint8_t			 ahead[XFER_AHEAD];
};

/* A download session: one torrent, one peer, one connection. */
struct session {
	struct engine		*e;
	struct torrent		*t;
	struct eng_peer		*p;
	struct xfer_conn	 c;
	uint32_t		 q[TRANSFER_DEPTH];	/* in flight, FIFO;
							   t->lock */
	uint64_t		 qt[TRANSFER_DEPTH];	/* when asked */
	uint8_t			 qc[TRANSFER_DEPTH];	/* cancel sent */
	uint8_t			 qx[TRANSFER_DEPTH];	/* t->lock: moved to
							   a faster peer */
	size_t			 qhead, qn;		/* t->lock */
	int			 arriving;	/* the oldest reply is
						   being read (t->lock) */
	struct session		*snext;		/* t->slist, t->lock */
	int			 wake;		/* eventfd: a piece in q
						   came from elsewhere */
	int			 cancel_ok;	/* the peer reads
						   piece_cancel */
	unsigned		 depth;		/* requests to keep in flight */
	uint8_t			*piece;
	int			 failed;	/* count a failure */
	int			 busy;
	int			 downgrade;	/* refused our version: the
						   next session says less */
	int			 yielded;	/* ended for other peers */
	int			 opening;	/* t->lock: the peer's bits
						   not learnt yet */
	uint64_t		 open_ms;	/* when it began */
	uint64_t		 busy_ms;	/* its queue was full: wait */
	uint64_t		 late_ms;	/* endgame: a duplicate becomes
						   due then (0: none) */
};

static int	xfer_recv(struct xfer_conn *, void *, size_t, uint64_t,
		    struct mt_err *);
static int	xfer_send(int, int, const void *, size_t, uint64_t,
		    struct mt_err *);
static int	xfer_read_head(struct xfer_conn *, uint64_t, uint32_t,
		    struct mt_err *);
static int	xfer_read_msg(struct xfer_conn *, union message *, uint64_t,
		    struct mt_err *);
static int	session_pick(struct engine *, struct session *);
static unsigned	session_opening(const struct torrent *, uint64_t);
static void	worker_nudge(struct engine *);
static unsigned	session_cap(const struct torrent *);
static uint32_t	session_useful(const struct torrent *,
		    const struct eng_peer *);
static void	session_run(struct session *);
static void	*upconn_main(void *);
static uint64_t	 xfer_now(void);
static int	 xfer_send_error(int, enum mt_errc, const char *);
static void	 xfer_conn_init(struct xfer_conn *, int, int, size_t);
static void	 xfer_conn_done(struct xfer_conn *);
static void	 session_set_bits(struct session *, const uint8_t *);
static void	 session_have(struct session *, uint64_t);
static int	 session_flush(struct session *, struct buf *, int,
		    struct mt_err *);
static int	 session_fill(struct session *, struct mt_err *);
static uint32_t	 session_pop(struct session *, int);
static void	 session_settle(struct torrent *, uint32_t);
static void	 session_signal(struct session *, uint32_t, int);
static int	 session_cancel(struct session *, struct mt_err *);
static int	 session_await(struct session *, uint64_t, struct mt_err *);
static int	 session_piece(struct session *, struct mt_err *);
static int	 session_msg(struct session *, const union message *,
		    struct mt_err *);
static int	 upconn_flush_haves(struct upconn *, struct mt_err *);
static int	 upconn_send_piece(struct upconn *, struct torrent *, uint32_t,
		    uint32_t, struct mt_err *);
static struct torrent *upconn_torrent(struct upconn *, const char *, int *,
		     uint32_t *);
static int	 upconn_encode_have(struct upconn *, unsigned, uint32_t,
		     struct buf *, struct mt_err *);
static int	 geo_has(const struct torrent *, uint32_t, uint32_t);
static void	 geo_bits(const struct torrent *, uint32_t, uint8_t *);
static int	 upconn_handle(struct upconn *, const union message *,
		    struct mt_err *);
static int	 upconn_turn(struct upconn *, struct torrent *, uint32_t,
		    uint32_t, uint64_t *, struct mt_err *);
static void	 upconn_learn(struct upconn *, struct torrent *);
static void	 upconn_set_listen(struct upconn *, const char *);
static void	 upconn_view(struct torrent *, struct upconn *, unsigned,
		    uint8_t *);
static int	 upconn_encode_bits(struct upconn *, unsigned, struct buf *,
		    struct mt_err *);
static void	 upconn_narrow(struct engine *, struct torrent *);
static void	 upconn_reveal(struct engine *, struct torrent *);
static void	 upconn_sent(struct upconn *, struct torrent *, uint32_t,
		    int);
static int	 upconn_out(const struct torrent *, uint32_t);
static void	 upconn_wake(struct upconn *);
static void	 upconn_park(struct upconn *);
static int	 upconn_unpark(struct upconn *, struct mt_err *);
static void	 upconn_drain(struct upconn *);
static int	 upconn_watch(struct upconn *, struct torrent *, uint32_t,
		    struct mt_err *);
static uint32_t	 offer_pick(struct torrent *, const uint32_t *, unsigned);
static void	 offer_fill(struct torrent *, struct upconn *, unsigned,
		    int);
static void	 offer_drop(struct torrent *, struct upconn *, unsigned);

static uint64_t
xfer_now(void)
{
	return (net_now_ms());
}

/* Bytes read ahead and not yet taken: the next frame may be whole. */
static int
xfer_buffered(const struct xfer_conn *c)
{
	return (c->alen > c->aoff);
}

/*
 * Receive exactly n bytes by the deadline (or until the engine stops):
 * first what was read ahead; a small rest through the read-ahead
 * buffer, a large one straight into p.  A large read wakes only when
 * XFER_RCVLOWAT bytes (or the rest) are there, not for every segment: a
 * piece arriving at a few Mbit/s would otherwise cost hundreds of
 * wake-ups.
 */
static int
xfer_recv(struct xfer_conn *c, void *p, size_t n, uint64_t deadline,
    struct mt_err *err)
{
	uint8_t	*b = p;
	size_t	 k;
	ssize_t	 r;
	int	 want, small;

	while (n > 0) {
		if (c->alen > c->aoff) {
			k = c->alen - c->aoff;
			k = k < n ? k : n;
			memcpy(b, c->ahead + c->aoff, k);
			c->aoff += (uint32_t)k;
			b += k;
			n -= k;
			continue;
		}
		want = n > XFER_RCVLOWAT ? XFER_RCVLOWAT : (int)n;
		if (n < 4096)
			want = 1;
		if (want != c->lowat && setsockopt(c->fd, SOL_SOCKET,
		    SO_RCVLOWAT, &want, sizeof want) == 0)
			c->lowat = want;
		/* The socket was empty a moment ago: wait, then read. */
		if (c->drained) {
			c->drained = 0;
			if (net_wait(c->fd, POLLIN, deadline, c->cancel,
			    err) != 0)
				return (-1);
		}
		small = n < XFER_AHEAD / 2;
		if (small) {
			c->aoff = c->alen = 0;
			r = recv(c->fd, c->ahead, sizeof c->ahead,
			    MSG_DONTWAIT);
		} else
			r = recv(c->fd, b, n, MSG_DONTWAIT);
		if (r > 0) {
			if (small) {
				c->alen = (uint32_t)r;
				c->drained = (size_t)r < sizeof c->ahead;
			} else {
				b += r;
				n -= (size_t)r;
			}
			continue;
		}
		if (r == 0)
			return (mt_err_set(err, MT_E_NET, "connection closed"));
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (mt_err_set(err, MT_E_NET, "recv: %s",
			    strerror(errno)));
		if (net_wait(c->fd, POLLIN, deadline, c->cancel, err) != 0)
			return (-1);
	}
	return (0);
}

/* Send all n bytes by the deadline; flags add MSG_MORE. */
static int
xfer_send(int fd, int cancel, const void *p, size_t n, uint64_t deadline,
    struct mt_err *err)
{
	const uint8_t	*b = p;
	ssize_t		 r;

	while (n > 0) {
		r = send(fd, b, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r > 0) {
			b += r;
			n -= (size_t)r;
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return (mt_err_set(err, MT_E_NET, "send: %s",
			    strerror(errno)));
		if (net_wait(fd, POLLOUT, deadline, cancel, err) != 0)
			return (-1);
	}
	return (0);
}

int
transfer_send_msg(int fd, const union message *m, uint64_t deadline_ms,
    struct mt_err *err)
{
	struct buf	b;
	int		rc;

	buf_init(&b, WIRE_FRAME_MAX);
	if (message_encode(m, &b, err) != 0) {
		buf_done(&b);
		return (-1);
	}
	rc = xfer_send(fd, -1, buf_head(&b), buf_used(&b), deadline_ms, err);
	buf_done(&b);
	return (rc);
}

static int
xfer_send_error(int fd, enum mt_errc code, const char *text)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_error;
	m.error.code = (uint64_t)code;
	m.error.text = text;
	return (transfer_send_msg(fd, &m, xfer_now() + 2000, NULL));
}

static void
xfer_conn_init(struct xfer_conn *c, int fd, int cancel, size_t max)
{
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->lowat = 1;
	c->cancel = cancel;
	buf_init(&c->rb, max);
	c->dec = wire_decoder_create();
}

static void
xfer_conn_done(struct xfer_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_done(&c->rb);
	wire_decoder_free(c->dec);
	c->dec = NULL;
}

/* Read a frame head: magic, type, payload length (at most max). */
static int
xfer_read_head(struct xfer_conn *c, uint64_t deadline, uint32_t max,
    struct mt_err *err)
{
	uint8_t	*h = c->head;
	size_t	 tl;

	if (c->held) {
		c->held = 0;
		return (0);
	}
	if (xfer_recv(c, h, 5, deadline, err) != 0)
		return (-1);
	if (buf_get_u32be(h) != WIRE_MAGIC_START)
		return (mt_err_set(err, MT_E_BADMAGIC, "bad frame magic"));
	tl = h[4];
	if (tl == 0 || tl > WIRE_TYPE_MAX)
		return (mt_err_set(err, MT_E_BADTYPE, "bad type length"));
	if (xfer_recv(c, h + 5, tl + 4, deadline, err) != 0)
		return (-1);
	if (!wire_type_valid((const char *)h + 5, tl))
		return (mt_err_set(err, MT_E_BADTYPE, "bad type"));
	memcpy(c->type, h + 5, tl);
	c->type[tl] = '\0';
	c->plen = buf_get_u32be(h + 5 + tl);
	c->headlen = 5 + tl + 4;
	if (c->plen > max)
		return (mt_err_set(err, MT_E_TOOBIG, "frame too big"));
	return (0);
}

/*
 * After xfer_read_head(): read the payload and magic_end and decode.  m
 * borrows from c until the next read.
 */
static int
xfer_read_msg(struct xfer_conn *c, union message *m, uint64_t deadline,
    struct mt_err *err)
{
	uint8_t		*p;
	size_t		 total, used;

	buf_reset(&c->rb);
	total = c->headlen + c->plen + 4;
	if ((p = buf_reserve(&c->rb, total, err)) == NULL)
		return (-1);
	memcpy(p, c->head, c->headlen);
	if (xfer_recv(c, p + c->headlen, c->plen + 4, deadline, err) != 0)
		return (-1);
	buf_commit(&c->rb, total);
	if (wire_decode_feed(c->dec, p, total, &used, err) != WIRE_FRAME ||
	    used != total) {
		if (err != NULL && err->code == MT_E_OK)
			mt_err_set(err, MT_E_PROTO, "bad frame");
		return (-1);
	}
	return (message_decode(wire_decoder_frame(c->dec), m, err));
}

/*
 * Sessions one peer of t may hold: TRANSFER_SPREAD shared evenly over
 * the usable peers, at least one, at most TRANSFER_PEER_SESSIONS.  A
 * session asks for one piece at a time, so a lone seeder still gets
 * several requests in flight, and in a swarm every peer gets one.
 * t->lock held.
 */
static unsigned
session_cap(const struct torrent *t)
{
	struct eng_peer	*p;
	unsigned	 usable = 0, cap;

	for (p = t->peers; p != NULL; p = p->next) {
		if (!p->banned && (p->listed || p->known || p->incoming))
			usable++;
	}
	cap = usable ? (TRANSFER_SPREAD + usable - 1) / usable : 1;
	return (cap < TRANSFER_PEER_SESSIONS ? cap : TRANSFER_PEER_SESSIONS);
}

/*
 * Endgame: a piece is asked again only once its request has waited
 * PICKER_ENDGAME_LATE usual piece times (picker_endgame_before()).  When
 * the uploaders' links are what limits the swarm, every duplicate that
 * arrives second took a piece's worth of upload from someone who needed
 * it (bench/swarm: 580 duplicates, 4.5 copies of the file, in one
 * 32-host run); a request that is merely queued behind others will be
 * answered in about the usual time.  But a peer whose own pieces come
 * in half the usual time or less (a fast seeder, idle near the end), or
 * within XFER_FAST_MS, duplicates at once: its copy is likely to win
 * and costs a link that has room.  t->lock held.
 */
static uint64_t
endgame_late(const struct torrent *t, const struct eng_peer *p, uint64_t now)
{
	return (picker_endgame_before(now, t->piece_ms, p->piece_ms,
	    XFER_FAST_MS));
}

/*
 * How much p could give t now: 0 if none of its pieces is missing here
 * and free to ask (or an endgame duplicate), else the number of pieces
 * it holds, so the fullest peers come first; UINT32_MAX while its bits
 * are unknown or stale, so that a session learns them first and every
 * peer is seen, the seeder included.  t->lock held.
 */
static uint32_t
session_useful(const struct torrent *t, const struct eng_peer *p)
{
	uint64_t	before;
	uint32_t	i;

	if (!p->known || p->bits == NULL || p->stale)
		return (UINT32_MAX);
	before = endgame_late(t, p, xfer_now());
	for (i = 0; i < t->pk.npieces; i++) {
		if (!picker_bit(t->pk.have, i) && picker_bit(p->bits, i) &&
		    (t->pk.inflight[i] == 0 || (t->pk.nmissing_free == 0 &&
		    t->pk.inflight[i] < TRANSFER_ENDGAME_DUP &&
		    picker_asked(&t->pk, i) <= before)))
			return (p->have + 1);
	}
	return (0);
}

/*
 * Sessions of t still learning what their peer holds, begun within
 * TRANSFER_OPENING_MS (a peer slow to answer stops holding the others
 * back).  t->lock held.
 */
static unsigned
session_opening(const struct torrent *t, uint64_t now)
{
	const struct session	*o;
	unsigned		 n = 0;

	for (o = t->slist; o != NULL; o = o->snext)
		n += o->opening && now < o->open_ms + TRANSFER_OPENING_MS;
	return (n);
}

/*
 * Choose a (torrent, peer) pair for a new session s: a downloading
 * torrent and one of its peers that is not banned or backing off, has
 * (or may have) a piece we need, with the fewest sessions (at most
 * session_cap()), then the most to give (session_useful()), ties at
 * random.  Peers whose pieces are unknown are tried in the tracker's
 * order, TRANSFER_OPENING_MAX at a time.  Counts the session on both and
 * links s into the torrent's sessions.
 */
static int
session_pick(struct engine *e, struct session *s)
{
	struct torrent	*t, *bt = NULL;
	struct eng_peer	*p, *bp = NULL;
	uint64_t	 now = xfer_now();
	unsigned	 cap, best = UINT32_MAX;
	uint32_t	 useful, most = 0, ties = 0, rank;
	int		 opening;

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		pthread_mutex_lock(&t->lock);
		if (t->state != TORRENT_DOWNLOADING || t->committing) {
			pthread_mutex_unlock(&t->lock);
			continue;
		}
		cap = session_cap(t);
		opening = session_opening(t, now) < TRANSFER_OPENING_MAX;
		for (p = t->peers; p != NULL; p = p->next) {
			if (p->banned || p->retry_ms > now ||
			    p->sessions >= cap || p->sessions > best ||
			    (!p->listed && !p->known && !p->incoming) ||
			    t->sessions + (bt == t) >= e->workers)
				continue;
			if ((useful = session_useful(t, p)) == 0 ||
			    (useful == UINT32_MAX && !opening))
				continue;
			/*
			 * Fewest sessions, then the most to give, ties at
			 * random: peers that all read the same tracker
			 * list must not all pick the same few.  But whom
			 * we know nothing of yet we try in the tracker's
			 * order: the peers registered longest (a swarm's
			 * first seeder) first, those that came just now
			 * (likely empty) last.
			 */
			if (p->sessions < best || (p->sessions == best &&
			    useful > most))
				ties = 0;
			else if (p->sessions > best || useful < most)
				continue;
			rank = p->listed ? p->rank : UINT32_MAX;
			if (ties > 0 && useful == UINT32_MAX && bt == t) {
				uint32_t brank = bp->listed ? bp->rank :
				    UINT32_MAX;

				if (rank > brank)
					continue;
				if (rank < brank)
					ties = 0;
			}
			if (picker_random(&t->pk) % ++ties == 0) {
				best = p->sessions;
				most = useful;
				bt = t;
				bp = p;
			}
		}
		pthread_mutex_unlock(&t->lock);
	}
	if (bt != NULL) {
		torrent_ref(bt);
		pthread_mutex_lock(&bt->lock);
		bp->sessions++;
		bt->sessions++;
		s->t = bt;
		s->p = bp;
		s->opening = most == UINT32_MAX;
		s->open_ms = now;
		s->snext = bt->slist;
		bt->slist = s;
		pthread_mutex_unlock(&bt->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return (bt != NULL);
}

/* Let one idle worker look for a session. */
static void
worker_nudge(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	pthread_cond_signal(&e->wcond);
	pthread_mutex_unlock(&e->lock);
}

/* The pool job: run sessions until the engine stops. */
void
transfer_worker(void *arg)
{
	struct engine	*e = arg;
	struct session	 s;
	struct timespec	 ts;
	uint8_t		*piece;
	uint64_t	 v;
	int		 wake;

	piece = NULL;	/* allocated with the first session */
	/* Without it sessions still work; they only never cancel. */
	wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	while (!atomic_load(&e->stopping)) {
		memset(&s, 0, sizeof s);
		s.e = e;
		s.depth = e->depth;
		s.wake = wake;
		if (!session_pick(e, &s)) {
			pthread_mutex_lock(&e->lock);
			if (!atomic_load(&e->stopping)) {
				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_nsec += 200 * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&e->wcond, &e->lock,
				    &ts);
			}
			pthread_mutex_unlock(&e->lock);
			continue;
		}
		worker_nudge(e);	/* there may be more */
		if (wake != -1)
			(void)read(wake, &v, sizeof v);
		if (piece == NULL)
			piece = xmalloc(WIRE_PIECE_SIZE);
		s.piece = piece;
		session_run(&s);
		torrent_unref(e, s.t);
	}
	if (wake != -1)
		close(wake);
	free(piece);
}

/* Replace the peer's bitfield with bits (n bytes), fixing availability. */
static void
session_set_bits(struct session *s, const uint8_t *bits)
{
	struct torrent	*t = s->t;
	struct eng_peer	*p = s->p;
	size_t		 len = PICKER_BITFIELD_LEN(t->pk.npieces);
	uint32_t	 i;

	pthread_mutex_lock(&t->lock);
	if (p->bits == NULL)
		p->bits = xcalloc(len + 1, 1);
	if (p->known)
		picker_avail_bitfield(&t->pk, p->bits, -1);
	memcpy(p->bits, bits, len);
	/* Bits past npieces are ignored. */
	if (t->pk.npieces % 8 != 0)
		p->bits[len - 1] &= (uint8_t)(0xff << (8 - t->pk.npieces % 8));
	picker_avail_bitfield(&t->pk, p->bits, 1);
	p->known = 1;
	p->have = 0;
	for (i = 0; i < t->pk.npieces; i++)
		p->have += (uint32_t)picker_bit(p->bits, i);
	pthread_mutex_unlock(&t->lock);
	engine_changed(s->e);
}

/* A `have` notification from the peer. */
static void
session_have(struct session *s, uint64_t index)
{
	struct torrent	*t = s->t;
	struct eng_peer	*p = s->p;

	pthread_mutex_lock(&t->lock);
	if (index < t->pk.npieces && p->bits != NULL &&
	    !picker_bit(p->bits, (uint32_t)index)) {
		picker_bit_set(p->bits, (uint32_t)index);
		p->have++;
		if (p->known)
			picker_avail_piece(&t->pk, (uint32_t)index, 1);
	}
	pthread_mutex_unlock(&t->lock);
}

/* Send what out holds to s's peer unless rc already failed; free out. */
static int
session_flush(struct session *s, struct buf *out, int rc, struct mt_err *err)
{
	if (rc == 0 && buf_used(out) > 0)
		rc = xfer_send(s->c.fd, s->c.cancel, buf_head(out),
		    buf_used(out), xfer_now() + TRANSFER_TIMEOUT_MS, err);
	buf_done(out);
	return (rc);
}

/* Queue more requests up to TRANSFER_DEPTH and send them. */
static int
session_fill(struct session *s, struct mt_err *err)
{
	struct torrent	*t = s->t;
	union message	 m;
	struct buf	 out;
	uint32_t	 ex[TRANSFER_DEPTH], i;
	uint64_t	 now = xfer_now(), before;
	size_t		 k;
	int		 rc = 0, eg;

	s->late_ms = 0;
	if (now < s->busy_ms)
		return (0);
	buf_init(&out, 64 * 1024);
	pthread_mutex_lock(&t->lock);
	before = endgame_late(t, s->p, now);
	while (s->qn < s->depth && t->state == TORRENT_DOWNLOADING) {
		for (k = 0; k < s->qn; k++)
			ex[k] = s->q[(s->qhead + k) % TRANSFER_DEPTH];
		i = picker_pick(&t->pk, s->p->bits, ex, s->qn,
		    TRANSFER_ENDGAME_DUP, &eg);
		if (i == PICKER_NONE)
			break;
		/* The oldest request is not late yet: none is. */
		if (eg && picker_asked(&t->pk, i) > before) {
			s->late_ms = now + picker_asked(&t->pk, i) - before;
			break;
		}
		/* Normal mode never picks a piece in flight; endgame may. */
		picker_request(&t->pk, i, now);
		s->q[(s->qhead + s->qn) % TRANSFER_DEPTH] = i;
		s->qt[(s->qhead + s->qn) % TRANSFER_DEPTH] = now;
		s->qc[(s->qhead + s->qn) % TRANSFER_DEPTH] = 0;
		s->qx[(s->qhead + s->qn) % TRANSFER_DEPTH] = 0;
		s->qn++;
		/*
		 * A peer fast enough to duplicate at once takes the piece
		 * over: its requests queued at peers at least twice as
		 * slow are withdrawn, so their uplinks serve pieces nobody
		 * else is fetching.
		 */
		if (eg && before >= now && t->piece_ms != 0 &&
		    s->p->piece_ms != 0) {
			picker_reasked(&t->pk, i, now);
			session_signal(s, i, 0);
		}
		memset(&m, 0, sizeof m);
		m.type = MSG_piece_request;
		m.piece_request.file_id = t->wire_id;
		m.piece_request.index = i;
		if (message_encode(&m, &out, err) != 0) {
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return (session_flush(s, &out, rc, err));
}

/*
 * Drop the oldest request: refused (release: give the piece back), or
 * received (not: it stays in flight and arriving until session_settle()
 * once verified, so that no endgame duplicate is asked meanwhile).
 */
static uint32_t
session_pop(struct session *s, int release)
{
	uint32_t	i;

	pthread_mutex_lock(&s->t->lock);
	i = s->q[s->qhead];
	if (s->arriving && release)
		picker_arriving(&s->t->pk, i, -1);
	s->arriving = 0;
	s->qhead = (s->qhead + 1) % TRANSFER_DEPTH;
	s->qn--;
	if (release)
		picker_release(&s->t->pk, i);
	pthread_mutex_unlock(&s->t->lock);
	return (i);
}

/*
 * Endgame: piece index is also asked of other peers, and its reply to s
 * began to arrive (all: withdraw it from every other peer) or s took it
 * over (from peers at least twice as slow): wake the other sessions
 * waiting for it, so that they cancel it (session_cancel()) and its
 * uploader serves someone who needs it.  No request for it can start
 * after its reply began: endgame never duplicates a piece arriving,
 * and it counts as arriving until it is had (session_settle()).
 * t->lock held.
 */
static void
session_signal(struct session *s, uint32_t index, int all)
{
	struct session	*o;
	size_t		 k, slot;

	for (o = s->t->slist; o != NULL; o = o->snext) {
		if (o == s || o->wake == -1 || !o->cancel_ok)
			continue;
		if (!all && o->p->piece_ms != 0 &&
		    o->p->piece_ms < 2 * s->p->piece_ms)
			continue;
		for (k = 0; k < o->qn; k++) {
			slot = (o->qhead + k) % TRANSFER_DEPTH;
			if (o->q[slot] != index)
				continue;
			o->qx[slot] = 1;
			(void)write(o->wake, &(uint64_t){ 1 },
			    sizeof(uint64_t));
			break;
		}
	}
}

/*
 * Withdraw the requests in flight on s that session_signal() marked, or
 * for pieces we now have (`piece_cancel`, once each).  The uploader answers `cancelled` if the
 * piece had not started; if it had, the piece comes and is dropped.
 */
static int
session_cancel(struct session *s, struct mt_err *err)
{
	struct torrent	*t = s->t;
	union message	 m;
	struct buf	 out;
	uint32_t	 i;
	size_t		 k, slot;
	int		 rc = 0;

	buf_init(&out, 4096);
	pthread_mutex_lock(&t->lock);
	for (k = 0; k < s->qn && rc == 0; k++) {
		slot = (s->qhead + k) % TRANSFER_DEPTH;
		i = s->q[slot];
		if (s->qc[slot] || (!s->qx[slot] && !picker_has(&t->pk, i)))
			continue;
		/* Its reply is arriving: too late to withdraw. */
		if (k == 0 && s->arriving)
			continue;
		s->qc[slot] = 1;
		memset(&m, 0, sizeof m);
		m.type = MSG_piece_cancel;
		m.piece_cancel.file_id = t->wire_id;
		m.piece_cancel.index = i;
		rc = message_encode(&m, &out, err);
		log_debug("%s: piece %u from %s: cancelled", t->mi.name, i,
		    s->p->addr);
	}
	pthread_mutex_unlock(&t->lock);
	return (session_flush(s, &out, rc, err));
}

/*
 * Wait for the next frame of s's peer until deadline, cancelling
 * requests whose pieces came from elsewhere meanwhile.
 */
static int
session_await(struct session *s, uint64_t deadline, struct mt_err *err)
{
	struct pollfd	pfd[3];
	uint64_t	now, v;

	for (;;) {
		if (xfer_buffered(&s->c))
			return (0);
		if ((now = xfer_now()) >= deadline)
			return (mt_err_set(err, MT_E_TIMEOUT,
			    "timed out waiting for the network"));
		pfd[0].fd = s->c.fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = s->c.cancel;
		pfd[1].events = POLLIN;
		pfd[2].fd = s->wake;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, (int)(deadline - now)) < 0) {
			if (errno == EINTR)
				continue;
			return (mt_err_set(err, MT_E_NET, "poll: %s",
			    strerror(errno)));
		}
		if (pfd[1].revents != 0)
			return (mt_err_set(err, MT_E_NET, "stopping"));
		if (pfd[0].revents != 0) {
			s->c.drained = 0;
			return (0);
		}
		if (pfd[2].revents & POLLIN) {
			(void)read(s->wake, &v, sizeof v);
			if (session_cancel(s, err) != 0)
				return (-1);
		}
	}
}

/*
 * A received piece is verified (or failed): no longer arriving or in
 * flight here.  t->lock held.
 */
static void
session_settle(struct torrent *t, uint32_t index)
{
	picker_arriving(&t->pk, index, -1);
	picker_release(&t->pk, index);
}

/*
 * Receive the rest of a piece_reply for the oldest request: arguments,
 * data into s->piece, magic_end; then verify and store.  -1 ends the
 * session (err says why; s->failed is set when the peer is to blame).
 */
static int
session_piece(struct session *s, struct mt_err *err)
{
	struct engine	*e = s->e;
	struct torrent	*t = s->t;
	struct eng_peer	*p = s->p;
	uint8_t		 a[4 + 40 + 4 + 8 + 4], end[4];
	uint64_t	 deadline = xfer_now() + TRANSFER_TIMEOUT_MS, now;
	uint64_t	 took;
	uint32_t	 index, len, dlen;
	unsigned	 strikes;
	int		 have, banned = 0;

	if (s->qn == 0)
		return (mt_err_set(err, MT_E_PROTO, "unrequested piece"));
	index = s->q[s->qhead];
	len = metainfo_unit_len(&t->mi, index);
	if (s->c.plen != sizeof a + len)
		return (mt_err_set(err, MT_E_PROTO, "bad piece length"));
	if (xfer_recv(&s->c, a, sizeof a, deadline, err) != 0)
		return (-1);
	dlen = buf_get_u32be(a + 56);
	if (buf_get_u32be(a) != 40 || memcmp(a + 4, t->mi.file_id_hex, 40) ||
	    buf_get_u32be(a + 44) != 8 || buf_get_u64be(a + 48) != index ||
	    dlen != len)
		return (mt_err_set(err, MT_E_PROTO, "reply out of order"));
	/* Straight from the socket into the piece buffer. */
	if (xfer_recv(&s->c, s->piece, len, deadline, err) != 0 ||
	    xfer_recv(&s->c, end, 4, deadline, err) != 0)
		return (-1);
	if (buf_get_u32be(end) != WIRE_MAGIC_END)
		return (mt_err_set(err, MT_E_BADMAGIC, "bad frame end"));
	/* Came fast: a second request hides the turnaround. */
	took = xfer_now() - s->qt[s->qhead];
	s->depth = took < XFER_FAST_MS ? XFER_FAST_DEPTH : e->depth;
	session_pop(s, 0);
	now = xfer_now();
	if (!metainfo_unit_check(&t->mi, index, s->piece, len)) {
		pthread_mutex_lock(&t->lock);
		session_settle(t, index);
		t->pieces_bad++;
		if (p->banned) {
			/* Another session of ours banned it already. */
			pthread_mutex_unlock(&t->lock);
			return (mt_err_set(err, MT_E_CORRUPT, "banned"));
		}
		strikes = ++p->strikes;
		if (strikes >= TRANSFER_STRIKES_MAX) {
			p->banned = 1;
			banned = 1;
			if (p->known)
				picker_avail_bitfield(&t->pk, p->bits, -1);
			p->known = 0;
		}
		pthread_mutex_unlock(&t->lock);
		if (banned)
			log_warn(_("%s: piece %u from %s failed its hash "
			    "(strike %u), banned"), t->mi.name, index, p->addr,
			    strikes);
		else
			log_warn(_("%s: piece %u from %s failed its hash "
			    "(strike %u)"), t->mi.name, index, p->addr,
			    strikes);
		engine_changed(e);
		if (banned)
			return (mt_err_set(err, MT_E_CORRUPT, "banned"));
		return (0);
	}
	pthread_mutex_lock(&t->lock);
	have = picker_has(&t->pk, index);
	t->downloaded += len;
	rate_add(&t->down, now, len);
	rate_add(&p->down, now, len);
	if (have)
		t->pieces_dup++;
	else {
		t->piece_ms = t->piece_ms == 0 ? took :
		    (7 * t->piece_ms + took) / 8;
		p->piece_ms = p->piece_ms == 0 ? took :
		    (3 * p->piece_ms + took) / 4;
	}
	pthread_mutex_unlock(&t->lock);
	if (!have && storage_write(&t->st, (uint64_t)index * t->mi.unit_size,
	    s->piece, len, err) != 0) {
		/* Our disk, not the peer's fault: no strike. */
		log_warn("%s: %s", t->mi.name, err->msg);
		pthread_mutex_lock(&t->lock);
		t->state = TORRENT_ERROR;
		strlcpy(t->errmsg, err->msg, sizeof t->errmsg);
		/* Disk full and friends pass: try again later. */
		t->io_retry_ms = now + ENGINE_IO_RETRY_MS;
		session_settle(t, index);
		pthread_mutex_unlock(&t->lock);
		return (-1);
	}
	if (!have)
		engine_piece_verified(e, t, index);
	/* Had before it is given back: never free in between. */
	pthread_mutex_lock(&t->lock);
	session_settle(t, index);
	pthread_mutex_unlock(&t->lock);
	log_debug("%s: piece %u from %s in %llu ms%s", t->mi.name, index,
	    p->addr, (unsigned long long)took, have ? " (a duplicate)" : "");
	return (0);
}

/* Handle any other message on a session. */
static int
session_msg(struct session *s, const union message *m, struct mt_err *err)
{
	struct torrent	*t = s->t;
	uint32_t	 i;

	switch (m->type) {
	case MSG_have:
		/* "": brief, of our only have_request's file. */
		if (m->have.file_id[0] == '\0' ||
		    strcmp(m->have.file_id, t->mi.file_id_hex) == 0)
			session_have(s, m->have.index);
		return (0);
	case MSG_have_reply:
		/* A new whole bitfield (initial seeding ended). */
		if (strcmp(m->have_reply.file_id, t->mi.file_id_hex) != 0 ||
		    m->have_reply.npieces != t->pk.npieces ||
		    m->have_reply.bitfield.len !=
		    PICKER_BITFIELD_LEN(t->pk.npieces)) {
			s->failed = 1;
			return (mt_err_set(err, MT_E_PROTO,
			    "bad have_reply"));
		}
		session_set_bits(s, m->have_reply.bitfield.p);
		return (0);
	case MSG_error:
		if (s->qn == 0)
			return (mt_err_set(err, MT_E_PROTO, "unexpected error"));
		i = session_pop(s, 1);
		if (m->error.code == MT_E_CANCELLED)
			return (0);	/* we asked: it came from elsewhere */
		if (m->error.code == MT_E_BUSY) {
			/*
			 * Its queue is full: the piece goes back (another
			 * peer may serve it at once); ask here again soon.
			 */
			s->busy_ms = xfer_now() + XFER_BUSY_RETRY_MS;
			return (0);
		}
		if (m->error.code == MT_E_NOTFOUND && t->pk.npieces > i) {
			/* They no longer have it (or never had). */
			pthread_mutex_lock(&t->lock);
			if (s->p->bits != NULL && picker_bit(s->p->bits, i)) {
				s->p->bits[i >> 3] &=
				    (uint8_t)~(0x80 >> (i & 7));
				if (s->p->known)
					picker_avail_piece(&t->pk, i, -1);
			}
			pthread_mutex_unlock(&t->lock);
			return (0);
		}
		s->failed = 1;
		return (mt_err_set(err, MT_E_PROTO, "peer error %llu",
		    (unsigned long long)m->error.code));
	case MSG_ping:
	case MSG_ok:
		return (0);
	default:
		s->failed = 1;
		return (mt_err_set(err, MT_E_PROTO, "unexpected %s",
		    message_name(m->type)));
	}
}

/* Connect, learn the peer's pieces, then pipeline requests. */
static void
session_run(struct session *s)
{
	struct engine	*e = s->e;
	struct torrent	*t = s->t;
	struct eng_peer	*p = s->p;
	struct mt_err	 err;
	union message	 m;
	struct buf	 out;
	uint64_t	 deadline, now;
	struct session	**sp;
	size_t		 blen = PICKER_BITFIELD_LEN(t->pk.npieces);
	int		 fd, idle_ok = 0, done, busy, late, was_opening;
	uint64_t	 version;

	mt_err_clear(&err);
	pthread_mutex_lock(&t->lock);
	version = p->old_proto ? MSG_PROTO_CANCEL : MSG_PROTO_VERSION;
	pthread_mutex_unlock(&t->lock);
	fd = net_connect(p->addr, TRANSFER_CONNECT_MS, &err);
	xfer_conn_init(&s->c, fd, e->stop_pipe[0], WIRE_FRAME_MAX);
	if (fd == -1) {
		s->failed = 1;
		goto out;
	}
	deadline = xfer_now() + TRANSFER_TIMEOUT_MS;
	buf_init(&out, 4096);
	memset(&m, 0, sizeof m);
	m.type = MSG_hello;
	m.hello.version = version;
	m.hello.role = "peer";
	m.hello.node_id = e->node_id;
	m.hello.listen = e->listen;
	(void)message_encode(&m, &out, &err);
	memset(&m, 0, sizeof m);
	m.type = MSG_have_request;
	m.have_request.file_id = t->wire_id;
	(void)message_encode(&m, &out, &err);
	if (xfer_send(fd, s->c.cancel, buf_head(&out), buf_used(&out),
	    deadline, &err) != 0) {
		buf_done(&out);
		s->failed = 1;
		goto out;
	}
	buf_done(&out);

	/* hello, then have_reply (or an error: busy, not shared). */
	if (xfer_read_head(&s->c, deadline, WIRE_PAYLOAD_MAX, &err) != 0 ||
	    xfer_read_msg(&s->c, &m, deadline, &err) != 0) {
		s->failed = 1;
		goto out;
	}
	if (m.type == MSG_hello && !MSG_PROTO_OK(m.hello.version)) {
		mt_err_set(&err, MT_E_PROTO, "protocol version %llu not "
		    "supported", (unsigned long long)m.hello.version);
		s->failed = 1;
		goto out;
	}
	if (m.type != MSG_hello && m.type != MSG_error) {
		mt_err_set(&err, MT_E_PROTO, "%s instead of hello",
		    message_name(m.type));
		s->failed = 1;
		goto out;
	}
	if (m.type == MSG_hello)
		s->cancel_ok = m.hello.version >= MSG_PROTO_CANCEL;
	if (m.type == MSG_hello &&
	    (xfer_read_head(&s->c, deadline, WIRE_PAYLOAD_MAX, &err) != 0 ||
	    xfer_read_msg(&s->c, &m, deadline, &err) != 0)) {
		s->failed = 1;
		goto out;
	}
	if (m.type == MSG_error) {
		if (m.error.code == MT_E_BUSY)
			s->busy = 1;
		else if (m.error.code == MT_E_PROTO &&
		    version > MSG_PROTO_CANCEL)
			s->downgrade = 1;	/* an older peer */
		else
			s->failed = 1;
		mt_err_set(&err, (enum mt_errc)m.error.code, "refused: %s",
		    m.error.text);
		goto out;
	}
	if (m.type != MSG_have_reply ||
	    strcmp(m.have_reply.file_id, t->mi.file_id_hex) != 0 ||
	    m.have_reply.npieces != t->pk.npieces ||
	    m.have_reply.bitfield.len != blen) {
		s->failed = 1;
		mt_err_set(&err, MT_E_PROTO, "bad have_reply");
		goto out;
	}
	session_set_bits(s, m.have_reply.bitfield.p);
	pthread_mutex_lock(&t->lock);
	p->stale = 0;
	p->fails = 0;
	p->busy = 0;
	was_opening = s->opening;
	s->opening = 0;
	pthread_mutex_unlock(&t->lock);
	if (was_opening)
		worker_nudge(e);	/* the next may open */

	while (!atomic_load(&e->stopping)) {
		pthread_mutex_lock(&e->lock);
		done = t->dead;
		pthread_mutex_unlock(&e->lock);
		pthread_mutex_lock(&t->lock);
		done |= p->banned;
		/*
		 * More peers became known since this session began:
		 * give the worker back so that every peer gets its share.
		 */
		if (!done && s->qn == 0 && p->sessions > 1 &&
		    p->sessions > session_cap(t)) {
			/* Counted off now, so that only the extra ones go. */
			p->sessions--;
			t->sessions--;
			s->yielded = 1;
			done = idle_ok = 1;
		}
		pthread_mutex_unlock(&t->lock);
		if (done)
			break;
		if (session_fill(s, &err) != 0) {
			s->failed = 1;
			break;
		}
		now = xfer_now();
		if (s->qn == 0) {
			pthread_mutex_lock(&t->lock);
			idle_ok = t->state != TORRENT_DOWNLOADING;
			pthread_mutex_unlock(&t->lock);
			if (idle_ok)
				break;	/* complete (or failed): done here */
			/*
			 * Nothing to ask (or the peer is busy): listen for
			 * `have` a while.
			 */
			busy = now < s->busy_ms;
			late = s->late_ms != 0 && s->late_ms < now + e->idle_ms;
			if (!xfer_buffered(&s->c) && net_wait(fd, POLLIN,
			    busy ? s->busy_ms : late ? s->late_ms + 1 :
			    now + e->idle_ms, s->c.cancel, &err) != 0) {
				/* Busy over, or a request became late. */
				if ((busy || late) && err.code == MT_E_TIMEOUT) {
					mt_err_clear(&err);
					continue;
				}
				idle_ok = 1;
				break;
			}
			s->c.drained = 0;
		}
		deadline = now + TRANSFER_TIMEOUT_MS;
		/* A piece asked here may come from elsewhere meanwhile. */
		if (s->qn > 0 && s->cancel_ok && s->wake != -1 &&
		    session_await(s, deadline, &err) != 0) {
			s->failed = !atomic_load(&e->stopping);
			break;
		}
		if (xfer_read_head(&s->c, deadline, WIRE_PAYLOAD_MAX,
		    &err) != 0) {
			s->failed = 1;
			break;
		}
		if (strcmp(s->c.type, XFER_TYPE_PIECE_REPLY) == 0) {
			pthread_mutex_lock(&t->lock);
			if (s->qn > 0) {
				picker_arriving(&t->pk, s->q[s->qhead], 1);
				s->arriving = 1;
				/* Asked elsewhere too: this copy wins. */
				if (t->pk.inflight[s->q[s->qhead]] > 1)
					session_signal(s, s->q[s->qhead], 1);
			}
			pthread_mutex_unlock(&t->lock);
			if (session_piece(s, &err) != 0) {
				s->failed = err.code != MT_E_IO;
				break;
			}
			continue;
		}
		if (xfer_read_msg(&s->c, &m, deadline, &err) != 0 ||
		    session_msg(s, &m, &err) != 0) {
			s->failed = !s->busy;
			break;
		}
	}
out:
	if (!idle_ok && err.code != MT_E_OK && !atomic_load(&e->stopping))
		log_debug("%s: %s: %s: %s", __func__, t->mi.name, p->addr,
		    err.msg);
	xfer_conn_done(&s->c);
	now = xfer_now();
	pthread_mutex_lock(&t->lock);
	for (sp = &t->slist; *sp != s; sp = &(*sp)->snext)
		;
	*sp = s->snext;
	if (s->arriving && s->qn > 0)
		picker_arriving(&t->pk, s->q[s->qhead], -1);
	s->arriving = 0;
	while (s->qn > 0) {
		picker_release(&t->pk, s->q[s->qhead]);
		s->qhead = (s->qhead + 1) % TRANSFER_DEPTH;
		s->qn--;
	}
	if (!s->yielded) {
		p->sessions--;
		t->sessions--;
	}
	if (s->downgrade) {
		p->old_proto = 1;
		p->retry_ms = now;
	} else if (s->busy) {
		p->busy = 1;
		p->retry_ms = now + 1000;
	} else if (s->failed) {
		p->fails++;
		/* Once per failure spell: the log pane shows it. */
		if (p->fails == 1 && !atomic_load(&e->stopping))
			log_info(_("%s: peer %s failed: %s"), t->mi.name, p->addr,
			    err.code != MT_E_OK ? err.msg : "closed");
		p->retry_ms = now + (1000ULL << (p->fails < 5 ? p->fails : 5));
		if (p->sessions == 0 && p->known) {
			picker_avail_bitfield(&t->pk, p->bits, -1);
			p->known = 0;
		}
		if (p->fails >= 2)
			t->want_peers = 1;
	} else if (idle_ok && p->sessions == 0) {
		/*
		 * Nothing to ask it for now; it may get new pieces (a peer
		 * still downloading), so look again shortly.
		 */
		p->stale = 1;
		p->retry_ms = now + 300;
	}
	pthread_mutex_unlock(&t->lock);
	engine_wake(e);
	engine_changed(e);
}

/* Upload side. */

/* Join finished upload threads (all: every thread, at shutdown). */
void
transfer_reap(struct engine *e, int all)
{
	struct upconn	**pp, *u, *dead = NULL;

	pthread_mutex_lock(&e->lock);
	pp = &e->ups;
	while ((u = *pp) != NULL) {
		if (all || atomic_load(&u->done)) {
			*pp = u->next;
			u->next = dead;
			dead = u;
			e->nups--;
		} else
			pp = &u->next;
	}
	pthread_mutex_unlock(&e->lock);
	while ((u = dead) != NULL) {
		dead = u->next;
		pthread_join(u->thread, NULL);
		close(u->evfd);
		pthread_mutex_destroy(&u->lock);
		free(u->haves);
		free(u);
	}
}

void *
transfer_accept_main(void *arg)
{
	struct engine	*e = arg;
	struct upconn	*u;
	struct pollfd	 pfd[2];
	unsigned	 live, same;
	char		 ip[NET_ADDR_MAX];
	int		 fd;

	log_set_thread_name("eng-accept");
	while (!atomic_load(&e->stopping)) {
		pfd[0].fd = e->lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = e->stop_pipe[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) <= 0 || (pfd[1].revents & POLLIN))
			continue;
		fd = accept4(e->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT,
		    &(int){ XFER_NOTSENT_LOWAT }, sizeof(int));
		transfer_reap(e, 0);
		if (net_peer_ip(fd, ip, sizeof ip) != 0)
			strlcpy(ip, "?", sizeof ip);
		pthread_mutex_lock(&e->lock);
		live = same = 0;
		for (u = e->ups; u != NULL; u = u->next) {
			if (atomic_load(&u->done))
				continue;
			live++;
			same += strcmp(u->addr, ip) == 0;
		}
		pthread_mutex_unlock(&e->lock);
		/* Loopback is one host: the cap is for remote addresses. */
		if (live >= e->slots || (same >= (e->slots + 1) / 2 &&
		    strncmp(ip, "127.", 4) != 0 && strcmp(ip, "::1") != 0)) {
			/* Out of upload slots: say so, the peer retries. */
			(void)xfer_send_error(fd, MT_E_BUSY, "busy");
			close(fd);
			continue;
		}
		u = xcalloc(1, sizeof *u);
		u->e = e;
		u->fd = fd;
		pthread_mutex_init(&u->lock, NULL);
		strlcpy(u->addr, ip, sizeof u->addr);
		u->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (u->evfd == -1) {
			close(fd);
			pthread_mutex_destroy(&u->lock);
			free(u);
			continue;
		}
		pthread_mutex_lock(&e->lock);
		u->next = e->ups;
		e->ups = u;
		e->nups++;
		if (pthread_create(&u->thread, NULL, upconn_main, u) != 0)
			fatal("pthread_create");
		pthread_mutex_unlock(&e->lock);
	}
	return (NULL);
}

/*
 * Queue a `have` of piece index on subscription k and wake the owner
 * (u->lock held).
 */
void
transfer_queue_have(struct upconn *u, unsigned k, uint32_t index)
{
	size_t	n;

	if (u->nhaves == u->haves_cap) {
		n = u->haves_cap ? u->haves_cap * 2 : 64;
		u->haves = xreallocarray(u->haves, n, sizeof *u->haves);
		u->haves_cap = n;
	}
	u->haves[u->nhaves++] = ((uint64_t)k << 32) | index;
	upconn_wake(u);
}

int
transfer_have_brief(const struct upconn *u, unsigned k)
{
	/* Only the first: "" names the first have_request's file. */
	return (u->brief && k == 0);
}

/*
 * Write the encoded `have` frame (our unit, subscription k) to u
 * ourselves when its owner is parked in poll() with nothing queued
 * before it: no wake-up of the owner.  A frame the socket takes only in
 * part is finished by the owner before it writes anything else.
 * 0: written (or left to the owner); -1: the caller queues it.  u->lock
 * held.
 */
int
transfer_send_have(struct upconn *u, unsigned k, const uint8_t *frame,
    size_t len)
{
	ssize_t		r;
	unsigned	i;

	if (!u->parked || u->nhaves > 0 || u->npend > 0 || u->fd == -1 ||
	    len > sizeof u->pend || u->unit[k] != u->subs[k]->mi.unit_size)
		return (-1);
	for (i = 0; i < u->nsubs; i++)
		if (u->reveal[i])
			return (-1);	/* a bitfield goes first */
	do
		r = send(u->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return (-1);
	if ((size_t)r < len) {
		memcpy(u->pend, frame + r, len - (size_t)r);
		u->npend = len - (size_t)r;
		upconn_wake(u);
	}
	return (0);
}

/*
 * The owner of u leaves poll(): from now on it writes, so others stop,
 * and it first finishes a frame they wrote in part.
 */
static int
upconn_unpark(struct upconn *u, struct mt_err *err)
{
	uint8_t	pend[TRANSFER_HAVE_FRAME_MAX];
	size_t	n;

	pthread_mutex_lock(&u->lock);
	u->parked = 0;
	n = u->npend;
	memcpy(pend, u->pend, n);
	u->npend = 0;
	pthread_mutex_unlock(&u->lock);
	if (n == 0)
		return (0);
	return (xfer_send(u->fd, u->e->stop_pipe[0], pend, n,
	    xfer_now() + TRANSFER_TIMEOUT_MS, err));
}

/* The owner of u is about to sleep in poll(), writing nothing. */
static void
upconn_park(struct upconn *u)
{
	pthread_mutex_lock(&u->lock);
	u->parked = 1;
	pthread_mutex_unlock(&u->lock);
}

/* Wake u's thread, in poll(), also while it waits for its upload turn. */
static void
upconn_wake(struct upconn *u)
{
	(void)write(u->evfd, &(uint64_t){ 1 }, sizeof(uint64_t));
}

/*
 * What subscription k of u is shown of t, into bits (zeroed, whole
 * bytes): during narrow initial seeding its offers (filled up now),
 * otherwise every piece we have.  t->lock and u->lock held.
 */
static void
upconn_view(struct torrent *t, struct upconn *u, unsigned k, uint8_t *bits)
{
	unsigned	i;

	if (u->unit[k] != t->mi.unit_size)
		geo_bits(t, u->unit[k], bits);	/* never narrowed */
	else if (t->superseed && t->narrow) {
		offer_fill(t, u, k, 0);
		for (i = 0; i < u->noffer[k]; i++)
			picker_bit_set(bits, u->offer[k][i]);
	} else
		memcpy(bits, t->pk.have, PICKER_BITFIELD_LEN(t->pk.npieces));
}

/* Encode a have_reply with what subscription k is shown into out. */
static int
upconn_encode_bits(struct upconn *u, unsigned k, struct buf *out,
    struct mt_err *err)
{
	struct torrent	*t = u->subs[k];
	union message	 r;
	uint8_t		*bits;
	uint32_t	 n = metainfo_span_count(&t->mi, u->unit[k]);
	size_t		 blen = PICKER_BITFIELD_LEN(n);
	int		 rc;

	bits = xcalloc(blen + 1, 1);
	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&u->lock);
	upconn_view(t, u, k, bits);
	pthread_mutex_unlock(&u->lock);
	pthread_mutex_unlock(&t->lock);
	memset(&r, 0, sizeof r);
	r.type = MSG_have_reply;
	r.have_reply.file_id = t->mi.file_id_hex;
	r.have_reply.npieces = n;
	r.have_reply.bitfield.p = bits;
	r.have_reply.bitfield.len = (uint32_t)blen;
	rc = message_encode(&r, out, err);
	free(bits);
	return (rc);
}

/*
 * Encode the `have`s our unit index of subscription k makes, in its
 * units: the same one, each smaller unit inside it, or the larger one
 * around it once that is whole.
 */
static int
upconn_encode_have(struct upconn *u, unsigned k, uint32_t index,
    struct buf *out, struct mt_err *err)
{
	struct torrent	*t = u->subs[k];
	union message	 m;
	uint32_t	 unit = u->unit[k], first, last, i;
	uint64_t	 off = (uint64_t)index * t->mi.unit_size, end;
	int		 has = 1;

	end = off + t->mi.unit_size < t->mi.size ? off + t->mi.unit_size :
	    t->mi.size;
	first = (uint32_t)(off / unit);
	last = (uint32_t)((end - 1) / unit);
	if (unit > t->mi.unit_size) {
		pthread_mutex_lock(&t->lock);
		has = geo_has(t, unit, first);
		pthread_mutex_unlock(&t->lock);
	}
	for (i = first; i <= last && has; i++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_have;
		m.have.file_id = transfer_have_brief(u, k) ? "" :
		    t->mi.file_id_hex;
		m.have.index = i;
		if (message_encode(&m, out, err) != 0)
			return (-1);
	}
	return (0);
}

/* Write queued `have` notifications and whole bitfields. */
static int
upconn_flush_haves(struct upconn *u, struct mt_err *err)
{
	struct buf	 out;
	uint64_t	*v = NULL;
	uint8_t		 reveal[TRANSFER_SUBS_MAX];
	size_t		 n, i;
	unsigned	 k, nsubs;
	int		 rc = 0, any = 0;

	pthread_mutex_lock(&u->lock);
	n = u->nhaves;
	if (n > 0) {
		v = xreallocarray(NULL, n, sizeof *v);
		memcpy(v, u->haves, n * sizeof *v);
		u->nhaves = 0;
	}
	nsubs = u->nsubs;
	for (k = 0; k < nsubs; k++) {
		reveal[k] = u->reveal[k];
		any |= reveal[k];
		u->reveal[k] = 0;
	}
	pthread_mutex_unlock(&u->lock);
	if (n == 0 && !any)
		return (0);
	buf_init(&out, WIRE_FRAME_MAX);
	for (k = 0; k < nsubs && rc == 0; k++) {
		if (reveal[k])
			rc = upconn_encode_bits(u, k, &out, err);
	}
	for (i = 0; i < n && rc == 0; i++)
		rc = upconn_encode_have(u, (unsigned)(v[i] >> 32),
		    (uint32_t)v[i], &out, err);
	if (rc == 0)
		rc = xfer_send(u->fd, u->e->stop_pipe[0], buf_head(&out),
		    buf_used(&out), xfer_now() + TRANSFER_TIMEOUT_MS, err);
	buf_done(&out);
	free(v);
	return (rc);
}

/* Send piece index of t: head, sendfile of the range, magic_end. */
static int
upconn_send_piece(struct upconn *u, struct torrent *t, uint32_t unit,
    uint32_t index, struct mt_err *err)
{
	uint8_t		 h[4 + 1 + 11 + 4 + 4 + 40 + 4 + 8 + 4], end[4];
	uint32_t	 len = metainfo_span_len(&t->mi, unit, index);
	uint64_t	 start = xfer_now(), deadline = start + TRANSFER_TIMEOUT_MS;
	uint64_t	 took, rate;
	off_t		 off = (off_t)index * unit;
	size_t		 left = len;
	ssize_t		 r;
	int		 cancel = u->e->stop_pipe[0], drain, fast;

	buf_put_u32be(h, WIRE_MAGIC_START);
	h[4] = 11;
	memcpy(h + 5, XFER_TYPE_PIECE_REPLY, 11);
	buf_put_u32be(h + 16, 4 + 40 + 4 + 8 + 4 + len);
	buf_put_u32be(h + 20, 40);
	memcpy(h + 24, t->mi.file_id_hex, 40);
	buf_put_u32be(h + 64, 8);
	buf_put_u64be(h + 68, index);
	buf_put_u32be(h + 76, len);
	if (xfer_send(u->fd, cancel, h, sizeof h, deadline, err) != 0)
		return (-1);
	while (left > 0) {
		r = sendfile(u->fd, t->st.fd, &off, left);
		if (r > 0) {
			left -= (size_t)r;
			/* A slow reader still has to progress. */
			deadline = xfer_now() + TRANSFER_TIMEOUT_MS;
			continue;
		}
		if (r == 0)
			return (mt_err_set(err, MT_E_IO, "data file short"));
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (net_wait(u->fd, POLLOUT, deadline, cancel,
			    err) != 0)
				return (-1);
			continue;
		}
		if (errno == EINVAL || errno == ENOSYS) {
			/* No sendfile here: read and send. */
			uint8_t	*b = xmalloc(left);
			int	 rc;

			rc = storage_read(&t->st, (uint64_t)off, b, left,
			    err);
			if (rc == 0)
				rc = xfer_send(u->fd, cancel, b, left,
				    deadline, err);
			free(b);
			if (rc != 0)
				return (-1);
			break;
		}
		return (mt_err_set(err, MT_E_NET, "sendfile: %s",
		    strerror(errno)));
	}
	buf_put_u32be(end, WIRE_MAGIC_END);
	if (xfer_send(u->fd, cancel, end, 4, deadline, err) != 0)
		return (-1);
	pthread_mutex_lock(&t->lock);
	drain = t->superseed && t->narrow && !t->fast_up;
	pthread_mutex_unlock(&t->lock);
	if (drain) {
		upconn_drain(u);
		/*
		 * As fast as a whole piece in XFER_DRAIN_FAST_MS, by the
		 * kernel's delivery rate: the time the turn took says less
		 * (the drain ends with XFER_DRAIN_BYTES still out, half a
		 * unit, and late wake-ups on a busy machine lengthen it),
		 * but it is all a kernel without the rate leaves us.
		 */
		took = xfer_now() - start;
		if (net_delivery_rate(u->fd, &rate) != 0)	/* by time */
			rate = took > 0 ? (uint64_t)len * 1000 / took :
			    UINT64_MAX / XFER_DRAIN_FAST_MS;
		if (rate * XFER_DRAIN_FAST_MS / 1000 >= t->mi.piece_size) {
			pthread_mutex_lock(&t->lock);
			fast = !t->fast_up;
			t->fast_up = 1;
			pthread_mutex_unlock(&t->lock);
			if (fast)
				log_debug("%s: initial seeding: uplink fast (a"
				    " unit in %llu ms, %llu kB/s delivered):"
				    " turns end when written", t->mi.name,
				    (unsigned long long)took,
				    (unsigned long long)(rate / 1000));
		}
	}
	return (0);
}

/*
 * Wait (bounded) until what we sent on u is nearly all acknowledged:
 * XFER_DRAIN_BYTES, or what XFER_DRAIN_SLACK_MS take at the rate seen
 * (so that a late wake-up on a busy machine does not leave a fast link
 * idle), sleeping for about the time the rest takes.
 */
static void
upconn_drain(struct upconn *u)
{
	struct pollfd	pfd;
	uint64_t	now = xfer_now(), end = now + XFER_DRAIN_MAX_MS, t0;
	uint64_t	left, rate = 0;		/* bytes per second */
	int		q, q0, ms = XFER_DRAIN_POLL_MS;

	pfd.fd = u->e->stop_pipe[0];
	pfd.events = POLLIN;
	if (ioctl(u->fd, SIOCOUTQ, &q0) != 0)
		return;
	t0 = now;
	while (q0 > XFER_DRAIN_BYTES &&
	    (uint64_t)q0 > rate * XFER_DRAIN_SLACK_MS / 1000 && now < end) {
		/* The engine's stop pipe cuts the wait short. */
		if (poll(&pfd, 1, ms) != 0 ||
		    ioctl(u->fd, SIOCOUTQ, &q) != 0)
			break;
		now = xfer_now();
		ms = XFER_DRAIN_POLL_MS;
		if (q < q0 && now > t0) {
			rate = (uint64_t)(q0 - q) * 1000 / (now - t0);
			left = (uint64_t)q > rate * XFER_DRAIN_SLACK_MS /
			    1000 ? (uint64_t)q - rate * XFER_DRAIN_SLACK_MS /
			    1000 : 0;
			ms = (int)(left * 1000 / (rate + 1));
			ms = ms < 1 ? 1 : ms > XFER_DRAIN_SLEEP_MAX_MS ?
			    XFER_DRAIN_SLEEP_MAX_MS : ms;
			t0 = now;
		}
		q0 = q;
	}
}


/* Find a torrent this connection may be served: subscribed or listed. */
static struct torrent *
upconn_torrent(struct upconn *u, const char *file_id, int *sub,
    uint32_t *unit)
{
	struct torrent	*t;
	const char	*slash;
	char		 id[41], *end;
	unsigned long	 v;
	unsigned	 k;

	*sub = 0;
	*unit = 0;
	if ((slash = strchr(file_id, '/')) == NULL) {
		if (strlen(file_id) != 40)
			return (NULL);
	} else {
		if (slash - file_id != 40 || slash[1] < '1' ||
		    slash[1] > '9')
			return (NULL);
		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno != 0 || *end != '\0' || v > UINT32_MAX)
			return (NULL);
		*unit = (uint32_t)v;
	}
	memcpy(id, file_id, 40);
	id[40] = '\0';
	for (k = 0; k < u->nsubs; k++) {
		if (strcmp(u->subs[k]->mi.file_id_hex, id) == 0) {
			*sub = 1;
			t = u->subs[k];
			goto found;
		}
	}
	if ((t = engine_find_ref(u->e, id)) == NULL)
		return (NULL);
found:
	/* Any unit that splits our pieces: ranges of the same file. */
	if (*unit == 0)
		*unit = t->mi.piece_size;
	else if (!metainfo_unit_size_ok(t->mi.piece_size, *unit)) {
		if (!*sub)
			torrent_unref(u->e, t);
		*sub = 0;
		*unit = 0;
		return (NULL);
	}
	return (t);
}

/*
 * 1 if we have unit i of unit bytes: every unit of ours it overlaps.
 * t->lock held.
 */
static int
geo_has(const struct torrent *t, uint32_t unit, uint32_t i)
{
	uint64_t	off = (uint64_t)i * unit, end;
	uint32_t	j;

	if (i >= metainfo_span_count(&t->mi, unit))
		return (0);
	if (unit == t->mi.unit_size)
		return (picker_has(&t->pk, i));
	end = off + unit < t->mi.size ? off + unit : t->mi.size;
	for (j = (uint32_t)(off / t->mi.unit_size);
	    (uint64_t)j * t->mi.unit_size < end; j++)
		if (!picker_has(&t->pk, j))
			return (0);
	return (1);
}

/* Our bitfield in units of unit bytes into bits (zeroed).  t->lock. */
static void
geo_bits(const struct torrent *t, uint32_t unit, uint8_t *bits)
{
	uint32_t	i, n = metainfo_span_count(&t->mi, unit);

	for (i = 0; i < n; i++)
		if (geo_has(t, unit, i))
			picker_bit_set(bits, i);
}

/* Answer one request; -1 closes the connection. */
static int
upconn_handle(struct upconn *u, const union message *m, struct mt_err *err)
{
	struct engine	*e = u->e;
	struct torrent	*t;
	union message	 r;
	uint8_t		*bits;
	uint32_t	 n, unit, index, own;
	uint64_t	 ticket;
	size_t		 blen;
	unsigned	 k;
	int		 sub, has, dead, rc;

	/* The first frame is hello, of a version we speak. */
	if (!u->hello && m->type != MSG_hello) {
		(void)xfer_send_error(u->fd, MT_E_PROTO, "hello first");
		return (mt_err_set(err, MT_E_PROTO, "%s before hello",
		    message_name(m->type)));
	}
	switch (m->type) {
	case MSG_hello:
		if (u->hello || !MSG_PROTO_OK(m->hello.version)) {
			(void)xfer_send_error(u->fd, MT_E_PROTO, u->hello ?
			    "hello twice" : "protocol version not supported");
			return (mt_err_set(err, MT_E_PROTO, "bad hello "
			    "(version %llu)", (unsigned long long)
			    m->hello.version));
		}
		u->hello = 1;
		upconn_set_listen(u, m->hello.listen);
		pthread_mutex_lock(&u->lock);
		u->brief = m->hello.version >= MSG_PROTO_BRIEF;
		pthread_mutex_unlock(&u->lock);
		memset(&r, 0, sizeof r);
		r.type = MSG_hello;
		/* The lower of the two: an older peer refuses ours. */
		r.hello.version = m->hello.version < MSG_PROTO_VERSION ?
		    m->hello.version : MSG_PROTO_VERSION;
		r.hello.role = "peer";
		r.hello.node_id = e->node_id;
		r.hello.listen = e->listen;
		return (transfer_send_msg(u->fd, &r,
		    xfer_now() + TRANSFER_TIMEOUT_MS, err));
	case MSG_ping:
		memset(&r, 0, sizeof r);
		r.type = MSG_ok;
		r.ok.text = "";
		return (transfer_send_msg(u->fd, &r,
		    xfer_now() + TRANSFER_TIMEOUT_MS, err));
	case MSG_have_request:
		/* Only files we share or download; never a path. */
		if ((t = upconn_torrent(u, m->have_request.file_id,
		    &sub, &unit)) == NULL)
			return (xfer_send_error(u->fd, MT_E_NOTFOUND,
			    "not shared"));
		pthread_mutex_lock(&e->lock);
		dead = t->dead;
		pthread_mutex_unlock(&e->lock);
		/* One unit per file and connection. */
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs && u->subs[k] != t; k++)
			;
		has = k == u->nsubs || u->unit[k] == unit;
		pthread_mutex_unlock(&u->lock);
		if (!has)
			return (xfer_send_error(u->fd, MT_E_BADVALUE,
			    "another unit"));
		if (dead) {
			/* Removed: no longer shared (we keep the ref). */
			if (!sub)
				torrent_unref(e, t);
			return (xfer_send_error(u->fd, MT_E_NOTFOUND,
			    "not shared"));
		}
		upconn_learn(u, t);
		/* Under e->lock: offers change only under it (refill). */
		pthread_mutex_lock(&e->lock);
		if (!sub) {
			pthread_mutex_lock(&u->lock);
			if (u->nsubs < TRANSFER_SUBS_MAX) {
				u->subs[u->nsubs] = t;	/* keeps ref */
				u->unit[u->nsubs] = unit;
				u->noffer[u->nsubs] = 0;
				u->reveal[u->nsubs] = 0;
				u->nsubs++;
				sub = 1;
			}
			pthread_mutex_unlock(&u->lock);
		}
		upconn_narrow(e, t);
		pthread_mutex_lock(&t->lock);
		n = metainfo_span_count(&t->mi, unit);
		blen = PICKER_BITFIELD_LEN(n);
		bits = xcalloc(blen + 1, 1);
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs && u->subs[k] != t; k++)
			;
		if (k < u->nsubs) {
			upconn_view(t, u, k, bits);
			u->reveal[k] = 0;	/* this reply is the news */
		} else
			geo_bits(t, unit, bits);
		pthread_mutex_unlock(&u->lock);
		pthread_mutex_unlock(&t->lock);
		pthread_mutex_unlock(&e->lock);
		memset(&r, 0, sizeof r);
		r.type = MSG_have_reply;
		r.have_reply.file_id = t->mi.file_id_hex;
		r.have_reply.npieces = n;
		r.have_reply.bitfield.p = bits;
		r.have_reply.bitfield.len = (uint32_t)blen;
		rc = transfer_send_msg(u->fd, &r,
		    xfer_now() + TRANSFER_TIMEOUT_MS, err);
		free(bits);
		if (!sub)
			torrent_unref(e, t);
		return (rc);
	case MSG_piece_cancel:
		/* Its request was answered already: nothing to do. */
		return (0);
	case MSG_piece_request:
		if ((t = upconn_torrent(u, m->piece_request.file_id,
		    &sub, &unit)) == NULL)
			return (xfer_send_error(u->fd, MT_E_NOTFOUND,
			    "not shared"));
		pthread_mutex_lock(&e->lock);
		dead = t->dead;
		pthread_mutex_unlock(&e->lock);
		/*
		 * In the requester's units; our own unit where it starts
		 * counts for turns and initial seeding.
		 */
		index = m->piece_request.index < metainfo_span_count(&t->mi,
		    unit) ? (uint32_t)m->piece_request.index : UINT32_MAX;
		own = index != UINT32_MAX ? (uint32_t)((uint64_t)index *
		    unit / t->mi.unit_size) : 0;
		pthread_mutex_lock(&t->lock);
		has = index != UINT32_MAX && geo_has(t, unit, index);
		pthread_mutex_unlock(&t->lock);
		if (dead)
			rc = xfer_send_error(u->fd, MT_E_NOTFOUND,
			    "not shared");
		else if (index == UINT32_MAX)
			rc = xfer_send_error(u->fd, MT_E_BADVALUE,
			    "no such piece");
		else if (!has)
			rc = xfer_send_error(u->fd, MT_E_NOTFOUND,
			    "piece not verified");
		else if ((rc = upconn_turn(u, t, own, index, &ticket,
		    err)) != 0) {
			if (rc == 2)	/* went out once: ask its holder */
				rc = xfer_send_error(u->fd, MT_E_NOTFOUND,
				    "sent once already; initial seeding");
			else if (rc == 3) { /* they have it from elsewhere */
				log_debug("%s: piece %u to %s: cancelled",
				    t->mi.name,
				    (unsigned)m->piece_request.index,
				    u->listen[0] != '\0' ? u->listen : u->addr);
				rc = xfer_send_error(u->fd, MT_E_CANCELLED,
				    "cancelled");
			}
			else if (rc > 0) /* waited too long: ask elsewhere */
				rc = xfer_send_error(u->fd, MT_E_BUSY, "busy");
		} else {
			n = metainfo_span_len(&t->mi, unit, index);
			rc = upconn_send_piece(u, t, unit, index, err);
			upsched_leave(e->us, ticket);
			upconn_sent(u, t, own, rc == 0);
			if (rc == 0)
				log_debug("%s: piece %u to %s", t->mi.name,
				    (unsigned)m->piece_request.index,
				    u->listen[0] != '\0' ? u->listen :
				    u->addr);
			if (rc == 0) {
				uint64_t now = xfer_now();

				pthread_mutex_lock(&t->lock);
				t->uploaded += n;
				rate_add(&t->up, now, n);
				pthread_mutex_unlock(&t->lock);
				pthread_mutex_lock(&u->lock);
				u->sent += n;
				rate_add(&u->up, now, n);
				pthread_mutex_unlock(&u->lock);
			}
		}
		if (!sub)
			torrent_unref(e, t);
		return (rc);
	default:
		(void)xfer_send_error(u->fd, MT_E_BADTYPE, "unexpected");
		return (mt_err_set(err, MT_E_PROTO, "unexpected %s",
		    message_name(m->type)));
	}
}

/*
 * Remember where the peer on u listens: the address it connected from
 * and the port of its hello.listen (never a host it names, so a peer
 * cannot point us at a third party).
 */
static void
upconn_set_listen(struct upconn *u, const char *listen)
{
	char		host[NET_ADDR_MAX], l[NET_ADDR_MAX];
	uint16_t	port;

	l[0] = '\0';
	if (listen != NULL && net_parse_addr(listen, host, sizeof host,
	    &port, 0, NULL) == 0 && strcmp(u->addr, "?") != 0 &&
	    (size_t)snprintf(l, sizeof l, strchr(u->addr, ':') != NULL ?
	    "[%s]:%u" : "%s:%u", u->addr, port) >= sizeof l)
		l[0] = '\0';
	/* Written under the lock: upconn_narrow() reads it. */
	pthread_mutex_lock(&u->lock);
	strlcpy(u->listen, l, sizeof u->listen);
	pthread_mutex_unlock(&u->lock);
}

/*
 * A peer asked about t: while we download t, it is a source too (it
 * may hold pieces we lack, or get them soon), even before the tracker
 * lists it.
 */
static void
upconn_learn(struct upconn *u, struct torrent *t)
{
	struct engine	*e = u->e;
	struct eng_peer	*p;
	unsigned	 n = 0;
	int		 added = 0;

	if (u->listen[0] == '\0' || strcmp(u->listen, e->listen) == 0)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->state == TORRENT_DOWNLOADING) {
		for (p = t->peers; p != NULL; p = p->next, n++) {
			if (strcmp(p->addr, u->listen) == 0)
				break;
		}
		/* Ports are the peer's to choose: bound what it can add. */
		if (p == NULL && n >= TRANSFER_PEERS_MAX) {
			pthread_mutex_unlock(&t->lock);
			return;
		}
		if (p == NULL) {
			p = xcalloc(1, sizeof *p);
			strlcpy(p->addr, u->listen, sizeof p->addr);
			p->next = t->peers;
			t->peers = p;
			added = 1;
		}
		if (!p->incoming)
			added = 1;
		p->incoming = 1;
	}
	pthread_mutex_unlock(&t->lock);
	if (added) {
		engine_wake(e);
		engine_changed(e);
	}
}

/*
 * While a request of u waits for its turn, its requester may withdraw
 * it: read one frame.  1: a `piece_cancel` for piece index of t; 0: a
 * cancel for anything else (too late: ignored), or another frame, whose
 * head is kept for the main loop (c->held); -1: connection error.
 */
static int
upconn_watch(struct upconn *u, struct torrent *t, uint32_t index,
    struct mt_err *err)
{
	struct xfer_conn	*c = u->conn;
	union message		 m;
	uint64_t		 deadline = xfer_now() + XFER_WATCH_MS;

	if (xfer_read_head(c, deadline, XFER_UP_FRAME_MAX, err) != 0)
		return (-1);
	if (strcmp(c->type, XFER_TYPE_PIECE_CANCEL) != 0) {
		c->held = 1;
		return (0);
	}
	if (xfer_read_msg(c, &m, deadline, err) != 0)
		return (-1);
	return (m.piece_cancel.index == index &&
	    strncmp(m.piece_cancel.file_id, t->mi.file_id_hex, 40) == 0);
}

/*
 * Wait for an upload turn for our unit index of t (upsched.h), flushing
 * `have`s meanwhile; asked is the index the request named, which a
 * piece_cancel names too.  0: granted (*ticket must leave); 1: waited too
 * long; 2: sent once already (initial seeding); 3: cancelled by the
 * requester; -1: connection error or stopping.
 */
static int
upconn_turn(struct upconn *u, struct torrent *t, uint32_t index,
    uint32_t asked,
    uint64_t *ticket, struct mt_err *err)
{
	struct engine	*e = u->e;
	struct pollfd	 pfd[3];
	uint64_t	 now = xfer_now(), key, v;
	unsigned	 sent, active, waiting;
	int		 out, claimed, rc, nfds, ahead, prc, perr;

	/*
	 * A full queue turns away a piece we already sent: the requester
	 * may get it from a peer with a shorter queue.  A piece never
	 * sent only we can give, so it always waits its turn.
	 */
	upsched_counts(e->us, &active, &waiting);
	pthread_mutex_lock(&t->lock);
	sent = t->sent[index];
	out = upconn_out(t, index);
	pthread_mutex_unlock(&t->lock);
	if (out)
		return (2);
	if (sent > 0 && waiting >= e->queue_max)
		return (1);
	key = now + (uint64_t)(sent < 4 ? sent : 4) * XFER_SENT_PENALTY_MS;
	*ticket = upsched_enter_fd(e->us, key, u->evfd);
	rc = 0;
	while (rc == 0 && !upsched_wait(e->us, *ticket, 0)) {
		if (xfer_now() - now > XFER_TURN_MAX_MS) {
			rc = 1;
			break;
		}
		pfd[0].fd = u->evfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = e->stop_pipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = u->fd;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		/*
		 * A held frame is the next request: no more to read now.
		 * A frame read ahead needs no wait.
		 */
		nfds = u->conn->held ? 2 : 3;
		ahead = nfds == 3 && xfer_buffered(u->conn);
		upconn_park(u);
		prc = poll(pfd, (nfds_t)nfds, ahead ? 0 : XFER_TURN_POLL_MS);
		perr = errno;
		if (upconn_unpark(u, err) != 0)
			rc = -1;
		else if (prc < 0 && perr != EINTR)
			rc = mt_err_set(err, MT_E_NET, "poll: %s",
			    strerror(perr));
		else if (atomic_load(&e->stopping) || pfd[1].revents != 0)
			rc = mt_err_set(err, MT_E_NET, "stopping");
		else {
			if (pfd[0].revents & POLLIN)
				(void)read(u->evfd, &v, sizeof v);
			if (nfds == 3 && (pfd[2].revents & POLLIN))
				u->conn->drained = 0;
			if (upconn_flush_haves(u, err) != 0)
				rc = -1;
			else if (nfds == 3 && (ahead || pfd[2].revents != 0) &&
			    (rc = upconn_watch(u, t, asked, err)) > 0)
				rc = 3;
		}
	}
	if (rc != 0) {
		upsched_leave(e->us, *ticket);
		return (rc);
	}
	/*
	 * Initial seeding: claim the piece now, so that it is offered
	 * nowhere else and the others are shown new offers while it goes
	 * out, not after.  It may have gone out while we waited.
	 */
	pthread_mutex_lock(&t->lock);
	out = upconn_out(t, index);
	if (!out && t->superseed && t->sending[index] < UINT8_MAX)
		t->sending[index]++;
	claimed = !out && t->superseed;
	pthread_mutex_unlock(&t->lock);
	if (out) {
		upsched_leave(e->us, *ticket);
		return (2);
	}
	if (claimed)
		transfer_offer_refill(e, t);
	return (0);
}

/*
 * While initial seeding is narrow, a piece goes out once before any
 * piece goes out twice: one already sent, or being sent, is refused
 * (`not-found`: the requester forgets it and asks for its other
 * offers, or gets it from the peer it went to).  t->lock held.
 */
static int
upconn_out(const struct torrent *t, uint32_t index)
{
	return (t->superseed && t->narrow &&
	    (t->sent[index] > 0 || t->sending[index] > 0));
}

/*
 * Piece index of t went out on u (ok) or failed to: count it, move
 * initial seeding on.
 */
static void
upconn_sent(struct upconn *u, struct torrent *t, uint32_t index, int ok)
{
	int	superseed;

	pthread_mutex_lock(&t->lock);
	if (t->sending[index] > 0)
		t->sending[index]--;
	if (ok && t->sent[index] == 0 && t->nunsent > 0)
		t->nunsent--;
	if (ok && t->sent[index] < UINT16_MAX)
		t->sent[index]++;
	superseed = t->superseed;
	pthread_mutex_unlock(&t->lock);
	if (superseed)
		transfer_offer_refill(u->e, t);
}

/*
 * Initial seeding: a piece to show on one more connection: never sent,
 * shown by the fewest connections, not in not[0..n), searching on from
 * where the last search stopped so offers spread over the file.
 * PICKER_NONE if every piece was sent.  t->lock held.
 */
static uint32_t
offer_pick(struct torrent *t, const uint32_t *not, unsigned n)
{
	uint32_t	i, k, np = t->pk.npieces, best = PICKER_NONE;
	unsigned	j;

	for (k = 0; k < np; k++) {
		i = (t->offer_next + k) % np;
		if (t->sent[i] != 0 || t->sending[i] != 0 ||
		    !picker_has(&t->pk, i))
			continue;
		for (j = 0; j < n && not[j] != i; j++)
			;
		if (j < n)
			continue;
		if (best == PICKER_NONE || t->offered[i] < t->offered[best]) {
			best = i;
			if (t->offered[i] == 0)
				break;
		}
	}
	if (best != PICKER_NONE)
		t->offer_next = (best + 1) % np;
	return (best);
}

/*
 * Drop subscription k's offers that were sent (by any connection) and
 * show new pieces up to TRANSFER_OFFERS; with queue, tell the peer of
 * the new ones with `have`.  t->lock and u->lock held.
 */
static void
offer_fill(struct torrent *t, struct upconn *u, unsigned k, int queue)
{
	uint32_t	i;
	unsigned	j;

	for (j = 0; j < u->noffer[k];) {
		i = u->offer[k][j];
		if (t->sent[i] != 0 || t->sending[i] != 0) {
			if (t->offered[i] > 0)
				t->offered[i]--;
			u->offer[k][j] = u->offer[k][--u->noffer[k]];
		} else
			j++;
	}
	while (u->noffer[k] < TRANSFER_OFFERS) {
		i = offer_pick(t, u->offer[k], u->noffer[k]);
		if (i == PICKER_NONE)
			break;
		if (t->offered[i] < UINT8_MAX)
			t->offered[i]++;
		u->offer[k][u->noffer[k]++] = i;
		if (queue)
			transfer_queue_have(u, k, i);
	}
}

/* Give back subscription k's offers.  t->lock and u->lock held. */
static void
offer_drop(struct torrent *t, struct upconn *u, unsigned k)
{
	unsigned	j;

	for (j = 0; j < u->noffer[k]; j++) {
		if (t->offered[u->offer[k][j]] > 0)
			t->offered[u->offer[k][j]]--;
	}
	u->noffer[k] = 0;
}

/*
 * Initial seeding narrows what each connection is shown only while two
 * or more peers (told apart by address and listening port) subscribe to
 * t: one downloader alone gets everything at once, as it has no one to
 * relay to.  On a change every subscription is sent its new view.
 * e->lock held.
 */
static void
upconn_narrow(struct engine *e, struct torrent *t)
{
	struct upconn	*u;
	char		 first[NET_ADDR_MAX];
	unsigned	 k, n = 0;
	int		 narrow = 0;

	pthread_mutex_lock(&t->lock);
	if (!t->superseed) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	for (u = e->ups; u != NULL && !narrow; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs && u->subs[k] != t; k++)
			;
		if (k < u->nsubs && n++ == 0)
			strlcpy(first, u->listen, sizeof first);
		else if (k < u->nsubs && (first[0] == '\0' ||
		    strcmp(first, u->listen) != 0))
			narrow = 1;	/* no port said: apart */
		pthread_mutex_unlock(&u->lock);
	}
	if (narrow != t->narrow) {
		t->narrow = narrow;
		log_debug("%s: initial seeding %s", t->mi.name,
		    narrow ? "narrows (several downloaders)" :
		    "shows everything (one downloader)");
		upconn_reveal(e, t);
	}
	pthread_mutex_unlock(&t->lock);
}

/*
 * What every connection subscribed to t is shown changed: give back
 * its offers and send it its new view (upconn_view()) at once.
 * e->lock and t->lock held.
 */
static void
upconn_reveal(struct engine *e, struct torrent *t)
{
	struct upconn	*u;
	unsigned	 k;

	for (u = e->ups; u != NULL; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs; k++) {
			if (u->subs[k] != t)
				continue;
			offer_drop(t, u, k);
			u->reveal[k] = 1;
			upconn_wake(u);
		}
		pthread_mutex_unlock(&u->lock);
	}
}

void
transfer_offer_refill(struct engine *e, struct torrent *t)
{
	struct upconn	*u;
	unsigned	 k;
	int		 done;

	pthread_mutex_lock(&e->lock);
	pthread_mutex_lock(&t->lock);
	if (!t->superseed) {
		pthread_mutex_unlock(&t->lock);
		pthread_mutex_unlock(&e->lock);
		return;
	}
	/* Every piece went out once: from now on show everything. */
	done = t->nunsent == 0;
	if (done) {
		t->superseed = 0;
		log_info(_("%s: every piece sent once; initial seeding done"),
		    t->mi.name);
	}
	if (done)
		upconn_reveal(e, t);
	for (u = e->ups; u != NULL && !done && t->narrow; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs; k++) {
			if (u->subs[k] == t)
				offer_fill(t, u, k, 1);
		}
		pthread_mutex_unlock(&u->lock);
	}
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_unlock(&e->lock);
}

static void *
upconn_main(void *arg)
{
	struct upconn		*u = arg;
	struct engine		*e = u->e;
	struct xfer_conn	 c;
	struct pollfd		 pfd[3];
	struct mt_err		 err;
	union message		 m;
	uint64_t		 v, last = xfer_now();
	unsigned		 k, i;
	int			 heard = 0, ahead, prc, perr;

	log_set_thread_name("eng-up");
	xfer_conn_init(&c, u->fd, e->stop_pipe[0], XFER_UP_FRAME_MAX);
	u->conn = &c;
	mt_err_clear(&err);
	while (!atomic_load(&e->stopping)) {
		if (upconn_flush_haves(u, &err) != 0)
			break;
		pfd[0].fd = u->fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = u->evfd;
		pfd[1].events = POLLIN;
		pfd[2].fd = e->stop_pipe[0];
		pfd[2].events = POLLIN;
		/*
		 * A frame whose head was read while a request waited its
		 * turn (c.held) is next: only look, do not wait.
		 */
		ahead = xfer_buffered(&c);
		upconn_park(u);
		prc = poll(pfd, 3, c.held || ahead ? 0 : 1000);
		perr = errno;
		if (upconn_unpark(u, &err) != 0 || (prc < 0 && perr != EINTR))
			break;
		if (pfd[2].revents & POLLIN)
			break;
		if (pfd[1].revents & POLLIN)
			(void)read(u->evfd, &v, sizeof v);
		if (pfd[0].revents & POLLIN)
			c.drained = 0;
		if (!c.held && !ahead &&
		    !(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (xfer_now() - last > (heard ? XFER_UP_IDLE_MS :
			    XFER_UP_FIRST_MS))
				break;
			continue;
		}
		last = xfer_now();
		if (xfer_read_head(&c, last + TRANSFER_TIMEOUT_MS,
		    XFER_UP_FRAME_MAX, &err) != 0 ||
		    xfer_read_msg(&c, &m, last + TRANSFER_TIMEOUT_MS,
		    &err) != 0)
			break;
		/* Only a real request earns the long idle time. */
		if (m.type != MSG_hello && m.type != MSG_ping)
			heard = 1;
		if (upconn_handle(u, &m, &err) != 0)
			break;
	}
	if (err.code != MT_E_OK && err.code != MT_E_NET)
		log_debug("%s: %s: %s", __func__, u->addr, err.msg);
	/* Unsubscribe (and give back offers) before the references go. */
	pthread_mutex_lock(&e->lock);
	for (k = 0; k < u->nsubs; k++) {
		pthread_mutex_lock(&u->subs[k]->lock);
		pthread_mutex_lock(&u->lock);
		offer_drop(u->subs[k], u, k);
		pthread_mutex_unlock(&u->lock);
		pthread_mutex_unlock(&u->subs[k]->lock);
	}
	pthread_mutex_lock(&u->lock);
	u->nhaves = 0;
	k = u->nsubs;
	u->nsubs = 0;
	pthread_mutex_unlock(&u->lock);
	/* One downloader fewer: a lone one left sees everything again. */
	for (i = 0; i < k; i++)
		upconn_narrow(e, u->subs[i]);
	pthread_mutex_unlock(&e->lock);
	while (k > 0)
		torrent_unref(e, u->subs[--k]);
	xfer_conn_done(&c);
	u->fd = -1;
	atomic_store(&u->done, 1);
	engine_changed(e);
	return (NULL);
}
