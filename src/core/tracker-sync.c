/*
 * tracker-sync.c: links between partner trackers.
 *
 * Each tracker keeps one outgoing link per configured partner (a thread
 * that connects, retries with back-off from 250 ms to 3 s, and runs the
 * session) and accepts incoming links from partners (tracker.c hands the
 * connection over after hello; each gets a thread).  Both kinds run the
 * same symmetric session, so either link carries sync both ways and a
 * tracker that comes back catches up through its own outgoing link at
 * once, without waiting for the partner's retry:
 *
 *	both:	sync_hello(my id, my seen vector)
 *	both:	the events the other lacks (tracker_store_events_after()),
 *		then sync_done(count)
 *	both:	new local events as they commit; every sync_event is
 *		answered with sync_ack; ping every 10 s of quiet, and a link
 *		silent for 30 s is dropped
 *
 * The session keeps what the other side has (origin -> seq), from its
 * sync_hello, the events we sent it, the events it sent us and its acks,
 * so nothing is echoed back; its own origin is always "has everything".
 * With both links to a partner up, only the outgoing one pushes (the
 * incoming one still receives, applies and acknowledges), so an event
 * crosses once each way; the incoming one pushes while our outgoing link
 * to that partner is down.  A duplicate is harmless anyway: applying is
 * idempotent.
 *
 * Authentication: TLS both ways with the trackers' own certificates.  An
 * outgoing link checks the partner's fingerprint against the configured
 * one, else the pin in the partners file (trust on first contact).  An
 * incoming "tracker" hello is accepted only from a certificate that is a
 * configured or pinned partner, or, on first contact, from a configured
 * partner address (its hello's listen) that has no pin yet.
 *
 * Waiting: a link sleeps in poll() on its socket, its eventfd (written by
 * tracker_sync_notify() when the store's generation moves) and the stop
 * pipe, for at most a second.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "rpc.h"
#include "tracker-int.h"
#include "tracker-store.h"
#include "wire.h"
#include "xmalloc.h"

#define SYNC_BACKOFF_MIN_MS	250
#define SYNC_BACKOFF_MAX_MS	3000
#define SYNC_CONNECT_MS		3000
#define SYNC_IO_MS		15000
#define SYNC_PING_MS		10000
#define SYNC_DEAD_MS		30000
#define SYNC_BATCH		64
#define SYNC_SEEN_MAX		256
#define SYNC_EVBUF_MAX		(8U * 1024 * 1024)

struct sync_seen {
	char		 origin[96];
	uint64_t	 seq;
};

/* What the other side of one session has. */
struct sync_peer {
	char		 id[96];
	struct sync_seen v[SYNC_SEEN_MAX];
	size_t		 n;
	int		 known;		/* its sync_hello arrived */
};

static void	*sync_link_main(void *arg);
static int	 sync_session(struct sync_link *l, struct rpc_conn *c);

static void
sync_peer_set(struct sync_peer *p, const char *origin, uint64_t seq)
{
	size_t	i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].origin, origin) == 0) {
			if (seq > p->v[i].seq)
				p->v[i].seq = seq;
			return;
		}
	if (p->n == SYNC_SEEN_MAX)
		return;
	snprintf(p->v[p->n].origin, sizeof p->v[p->n].origin, "%s", origin);
	p->v[p->n++].seq = seq;
}

/* tracker_store_seen_fn: the highest seq the other side has of origin. */
static int
sync_peer_seen(void *arg, const char *origin, uint64_t *seq)
{
	struct sync_peer	*p = arg;
	size_t			 i;

	if (strcmp(origin, p->id) == 0) {
		*seq = UINT64_MAX;	/* its own events */
		return (0);
	}
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].origin, origin) == 0) {
			*seq = p->v[i].seq;
			return (0);
		}
	*seq = 0;
	return (0);
}

/* Note the events encoded in out as had by p. */
static void
sync_peer_note_sent(struct sync_peer *p, const struct buf *out)
{
	struct wire_decoder	*dec;
	union message		 m;
	const uint8_t		*q = buf_head(out);
	size_t			 n = buf_used(out), used;

	dec = wire_decoder_create();
	while (n > 0) {
		if (wire_decode_feed(dec, q, n, &used, NULL) != WIRE_FRAME)
			break;
		q += used;
		n -= used;
		if (message_decode(wire_decoder_frame(dec), &m, NULL) == 0 &&
		    m.type == MSG_sync_event)
			sync_peer_set(p, m.sync_event.origin, m.sync_event.seq);
	}
	wire_decoder_free(dec);
}

/* Mark l's session up (with the other side's id) or down. */
static void
sync_link_set_up(struct sync_link *l, const char *peer_id, int up)
{
	pthread_mutex_lock(&l->t->link_lock);
	if (peer_id != NULL)
		snprintf(l->peer_id, sizeof l->peer_id, "%s", peer_id);
	l->up = up;
	pthread_mutex_unlock(&l->t->link_lock);
}

/* Is our outgoing link to the tracker peer_id up? */
static int
sync_outgoing_up(struct tracker *t, const char *peer_id)
{
	struct sync_link	*l;
	int			 up = 0;

	pthread_mutex_lock(&t->link_lock);
	for (l = t->links; l != NULL; l = l->next)
		if (l->outgoing && l->up && strcmp(l->peer_id, peer_id) == 0) {
			up = 1;
			break;
		}
	pthread_mutex_unlock(&t->link_lock);
	return (up);
}

void
tracker_sync_notify(struct tracker *t)
{
	struct sync_link	*l;
	uint64_t		 one = 1;

	pthread_mutex_lock(&t->link_lock);
	for (l = t->links; l != NULL; l = l->next)
		if (!atomic_exchange(&l->notified, 1) &&
		    write(l->notify_fd, &one, sizeof one) == -1)
			log_debug("%s: eventfd: %s", __func__,
			    strerror(errno));
	pthread_mutex_unlock(&t->link_lock);
}

int
tracker_sync_authorise(struct tracker *t, const char *fpr,
    const char *listen)
{
	char	pinned[TLS_FPR_LEN + 1];
	size_t	i;

	for (i = 0; i < t->npartners; i++) {
		if (t->partners[i].fpr[0] != '\0') {
			if (strcmp(t->partners[i].fpr, fpr) == 0)
				return (1);
			continue;
		}
		if (tls_pin_lookup(t->pins_path, t->partners[i].addr,
		    pinned) == 0 && strcmp(pinned, fpr) == 0)
			return (1);
	}
	/* First contact from a configured partner address without a pin. */
	for (i = 0; i < t->npartners; i++) {
		if (t->partners[i].fpr[0] != '\0' ||
		    strcmp(t->partners[i].addr, listen) != 0 ||
		    tls_pin_lookup(t->pins_path, t->partners[i].addr,
		    pinned) == 0)
			continue;
		if (tls_pin_check(t->pins_path, t->partners[i].addr, NULL, fpr,
		    NULL) == 0) {
			log_info(_("partner %s pinned on first contact: "
			    "SHA256:%s"), t->partners[i].addr, fpr);
			return (1);
		}
	}
	return (0);
}

static struct sync_link *
sync_link_new(struct tracker *t, int outgoing)
{
	struct sync_link	*l;

	l = xcalloc(1, sizeof *l);
	l->t = t;
	l->outgoing = outgoing;
	l->notify_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->notify_fd == -1)
		fatal("eventfd");
	return (l);
}

static void
sync_link_free(struct sync_link *l)
{
	rpc_free(l->conn);
	close(l->notify_fd);
	free(l);
}

int
tracker_sync_accept(struct tracker *t, int fd, struct ssl_st *ssl,
    struct wire_decoder *dec, const uint8_t *pending, size_t len,
    const char *ip, const char *peer_id)
{
	struct sync_link	*l;

	l = sync_link_new(t, 0);
	l->conn = rpc_wrap(fd, ssl, dec, pending, len);
	rpc_set_cancel_fd(l->conn, t->stop_pipe[0]);
	snprintf(l->peer_ip, sizeof l->peer_ip, "%s", ip);
	snprintf(l->peer_id, sizeof l->peer_id, "%s", peer_id);
	pthread_mutex_lock(&t->link_lock);
	if (t->nlinks_in >= TRACKER_LINKS_MAX || atomic_load(&t->stopping)) {
		pthread_mutex_unlock(&t->link_lock);
		log_warn("too many partner links; closing %s", ip);
		sync_link_free(l);
		tracker_conn_release(t, ip);
		return (-1);
	}
	t->nlinks_in++;
	l->next = t->links;
	t->links = l;
	if (pthread_create(&l->thread, NULL, sync_link_main, l) != 0)
		fatalx("pthread_create failed");
	pthread_mutex_unlock(&t->link_lock);
	return (0);
}

/* Sleep ms or until stopping; 1 if stopping. */
static int
sync_sleep(struct tracker *t, unsigned ms)
{
	struct pollfd	pfd;

	pfd.fd = t->stop_pipe[0];
	pfd.events = POLLIN;
	poll(&pfd, 1, (int)ms);
	return (atomic_load(&t->stopping));
}

static void *
sync_link_main(void *arg)
{
	struct sync_link	*l = arg;
	struct tracker		*t = l->t;
	struct tracker_partner	*p;
	struct rpc_conn		*c;
	struct msg_hello	 h;
	struct mt_err		 err;
	char			 fpr[TLS_FPR_LEN + 1], name[16];
	unsigned		 backoff = SYNC_BACKOFF_MIN_MS;
	int			 logged = 0;

	tracker_block_signals();
	if (!l->outgoing) {
		log_set_thread_name("sync-in");
		log_info(_("partner link from %s (%s) up"), l->peer_ip,
		    l->peer_id);
		c = l->conn;
		l->conn = NULL;
		sync_session(l, c);
		rpc_free(c);
		tracker_conn_release(t, l->peer_ip);
		log_info(_("partner link from %s down"), l->peer_ip);
		atomic_store(&l->done, 1);
		return (NULL);
	}
	snprintf(name, sizeof name, "sync-out%zu", l->partner);
	log_set_thread_name(name);
	p = &t->partners[l->partner];
	while (!atomic_load(&t->stopping)) {
		c = rpc_open(p->addr, t->cctx, SYNC_CONNECT_MS,
		    t->stop_pipe[0], &err);
		if (c != NULL && (rpc_peer_fingerprint(c, fpr) != 0 ||
		    tls_pin_check(t->pins_path, p->addr, p->fpr, fpr,
		    &err) != 0)) {
			log_error("partner %s: %s", p->addr, err.msg);
			rpc_free(c);
			c = NULL;
			backoff = SYNC_BACKOFF_MAX_MS;
			logged = 1;
		} else if (c != NULL && rpc_hello(c, "tracker", t->node_id,
		    t->listen_addr, net_now_ms() + SYNC_IO_MS, &h,
		    &err) != 0) {
			log_warn("partner %s refused the link: %s", p->addr,
			    err.msg);
			rpc_free(c);
			c = NULL;
			logged = 1;
		} else if (c == NULL && !logged) {
			log_info(_("partner %s unreachable (%s); retrying"),
			    p->addr, err.msg);
			logged = 1;
		}
		if (c != NULL) {
			sync_link_set_up(l, h.node_id, 1);
			log_info(_("partner link to %s (%s) up"), p->addr,
			    h.node_id);
			backoff = SYNC_BACKOFF_MIN_MS;
			logged = 0;
			sync_session(l, c);
			sync_link_set_up(l, NULL, 0);
			rpc_free(c);
			log_info(_("partner link to %s down"), p->addr);
		}
		if (sync_sleep(t, backoff))
			break;
		backoff = backoff * 2 > SYNC_BACKOFF_MAX_MS ?
		    SYNC_BACKOFF_MAX_MS : backoff * 2;
	}
	atomic_store(&l->done, 1);
	return (NULL);
}

/* Fill the other side's seen vector from its sync_hello. */
static void
sync_peer_hello(struct sync_peer *p, const struct msg_sync_hello *h)
{
	char		 origin[96];
	uint64_t	 seq;
	uint32_t	 i;

	snprintf(p->id, sizeof p->id, "%s", h->tracker_id);
	for (i = 0; i < h->seen.n; i++)
		if (sscanf(h->seen.v[i].p, "%95s %" SCNu64, origin,
		    &seq) == 2)
			sync_peer_set(p, origin, seq);
	p->known = 1;
}

static int
sync_send_hello(struct tracker *t, struct rpc_conn *c, struct mt_err *err)
{
	union message	 m;
	char		 (*items)[96];
	struct wire_arg	*v;
	size_t		 n, i;
	int		 rc;

	items = xcalloc(SYNC_SEEN_MAX, sizeof *items);
	v = xcalloc(SYNC_SEEN_MAX, sizeof *v);
	n = tracker_store_seen(t->ts, items, SYNC_SEEN_MAX);
	for (i = 0; i < n; i++) {
		v[i].p = items[i];
		v[i].len = (uint32_t)strlen(items[i]);
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_sync_hello;
	m.sync_hello.tracker_id = t->node_id;
	m.sync_hello.seen.n = (uint32_t)n;
	m.sync_hello.seen.v = v;
	rc = rpc_queue(c, &m, err);
	free(items);
	free(v);
	return (rc);
}

/* Run one link until it fails or the tracker stops. */
static int
sync_session(struct sync_link *l, struct rpc_conn *c)
{
	struct tracker		*t = l->t;
	struct sync_peer	*peer;
	struct buf		 ev;
	struct pollfd		 pfd[3];
	union message		 m, r;
	struct mt_err		 err;
	uint64_t		 now, last_rx, last_tx, v;
	uint64_t		 sent = 0, applied = 0;
	int			 n, done_sent = 0, push = 1, held = 0;
	int			 rc = -1;

	peer = xcalloc(1, sizeof *peer);
	pthread_mutex_lock(&t->link_lock);
	snprintf(peer->id, sizeof peer->id, "%s", l->peer_id);
	pthread_mutex_unlock(&t->link_lock);
	buf_init(&ev, SYNC_EVBUF_MAX);
	rpc_set_cancel_fd(c, t->stop_pipe[0]);
	if (sync_send_hello(t, c, &err) != 0 ||
	    rpc_flush(c, net_now_ms() + SYNC_IO_MS, &err) != 0)
		goto out;
	last_rx = last_tx = net_now_ms();
	while (!atomic_load(&t->stopping)) {
		/* Everything the other side sent so far. */
		while (rpc_buffered(c) || poll(&(struct pollfd){ .fd =
		    rpc_fd(c), .events = POLLIN }, 1, 0) == 1) {
			if (rpc_recv(c, &m, net_now_ms() + SYNC_IO_MS,
			    &err) != 0)
				goto out;
			last_rx = net_now_ms();
			memset(&r, 0, sizeof r);
			switch (m.type) {
			case MSG_sync_hello:
				sync_peer_hello(peer, &m.sync_hello);
				push = 1;
				break;
			case MSG_sync_event:
				if (tracker_store_apply(t->ts, &m.sync_event,
				    &err) != 0) {
					log_warn("partner %s: event %s/%" PRIu64
					    " not applied: %s", peer->id,
					    m.sync_event.origin,
					    m.sync_event.seq, err.msg);
					if (err.code == MT_E_DB ||
					    err.code == MT_E_IO ||
					    err.code == MT_E_BUSY)
						goto out;
				}
				applied++;
				sync_peer_set(peer, m.sync_event.origin,
				    m.sync_event.seq);
				r.type = MSG_sync_ack;
				r.sync_ack.origin = m.sync_event.origin;
				r.sync_ack.seq = m.sync_event.seq;
				if (rpc_queue(c, &r, &err) != 0)
					goto out;
				break;
			case MSG_sync_ack:
				sync_peer_set(peer, m.sync_ack.origin,
				    m.sync_ack.seq);
				break;
			case MSG_sync_done:
				log_info("partner %s: caught up (%" PRIu64
				    " events sent by it)", peer->id,
				    m.sync_done.count);
				break;
			case MSG_ping:
				r.type = MSG_ok;
				r.ok.text = "";
				if (rpc_queue(c, &r, &err) != 0)
					goto out;
				break;
			case MSG_ok:
				break;
			case MSG_error:
				rpc_error_to_err(&m.error, &err);
				log_warn("partner %s: error: %s", peer->id,
				    err.msg);
				goto out;
			default:
				log_warn("partner %s: unexpected %s", peer->id,
				    message_name(m.type));
				goto out;
			}
			if (rpc_queued(c) > 64 * 1024 &&
			    rpc_flush(c, net_now_ms() + SYNC_IO_MS, &err) != 0)
				goto out;
		}
		if (applied > 0) {
			tracker_gen_check(t);
			applied = 0;
		}
		/* What it lacks, in batches. */
		if (atomic_exchange(&l->notified, 0)) {
			if (read(l->notify_fd, &v, sizeof v) == -1)
				log_debug("%s: eventfd read", __func__);
			push = 1;
		}
		/*
		 * One batch per turn, then back to reading: when both sides
		 * have much to send, neither may stop reading for long, or
		 * both could block on full socket buffers.
		 */
		if (held && !sync_outgoing_up(t, peer->id)) {
			held = 0;
			push = 1;
		}
		if (peer->known && push && !l->outgoing &&
		    sync_outgoing_up(t, peer->id)) {
			held = 1;	/* the outgoing link pushes */
			push = 0;
		}
		if (peer->known && push) {
			push = 0;
			buf_reset(&ev);
			n = tracker_store_events_after(t->ts, sync_peer_seen,
			    peer, SYNC_BATCH, &ev);
			if (n < 0) {
				log_warn("partner %s: cannot read events",
				    peer->id);
				goto out;
			}
			if (n > 0) {
				sync_peer_note_sent(peer, &ev);
				sent += (uint64_t)n;
				if (rpc_queue_raw(c, buf_head(&ev),
				    buf_used(&ev), &err) != 0 ||
				    rpc_flush(c, net_now_ms() + SYNC_IO_MS,
				    &err) != 0)
					goto out;
				last_tx = net_now_ms();
				if (n == SYNC_BATCH)
					push = 1;	/* more next turn */
			}
			if (!push && !done_sent) {
				memset(&r, 0, sizeof r);
				r.type = MSG_sync_done;
				r.sync_done.count = sent;
				if (rpc_queue(c, &r, &err) != 0)
					goto out;
				done_sent = 1;
				log_info("partner %s: sent %" PRIu64 " events "
				    "to catch up", peer->id, sent);
			}
		}
		now = net_now_ms();
		if (now - last_tx >= SYNC_PING_MS) {
			memset(&r, 0, sizeof r);
			r.type = MSG_ping;
			if (rpc_queue(c, &r, &err) != 0)
				goto out;
		}
		if (rpc_queued(c) > 0) {
			if (rpc_flush(c, now + SYNC_IO_MS, &err) != 0)
				goto out;
			last_tx = net_now_ms();
		}
		if (now - last_rx > SYNC_DEAD_MS) {
			mt_err_set(&err, MT_E_TIMEOUT, "partner silent");
			goto out;
		}
		pfd[0].fd = rpc_fd(c);
		pfd[0].events = POLLIN;
		pfd[1].fd = l->notify_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = t->stop_pipe[0];
		pfd[2].events = POLLIN;
		poll(pfd, 3, push ? 0 : 1000);
	}
	rc = 0;
out:
	if (rc != 0 && !atomic_load(&t->stopping))
		log_info(_("partner %s: link ended: %s"), peer->id, err.msg);
	buf_done(&ev);
	free(peer);
	return (rc);
}

int
tracker_sync_start(struct tracker *t, struct mt_err *err)
{
	struct sync_link	*l;
	size_t			 i;

	(void)err;
	pthread_mutex_lock(&t->link_lock);
	for (i = 0; i < t->npartners; i++) {
		l = sync_link_new(t, 1);
		l->partner = i;
		l->next = t->links;
		t->links = l;
		if (pthread_create(&l->thread, NULL, sync_link_main, l) != 0)
			fatalx("pthread_create failed");
	}
	pthread_mutex_unlock(&t->link_lock);
	return (0);
}

/* Join and free incoming links whose thread has finished. */
void
tracker_sync_reap(struct tracker *t)
{
	struct sync_link	*l, **pp, *dead = NULL;

	pthread_mutex_lock(&t->link_lock);
	for (pp = &t->links; (l = *pp) != NULL; ) {
		if (!l->outgoing && atomic_load(&l->done)) {
			*pp = l->next;
			l->next = dead;
			dead = l;
			t->nlinks_in--;
		} else
			pp = &l->next;
	}
	pthread_mutex_unlock(&t->link_lock);
	while ((l = dead) != NULL) {
		dead = l->next;
		pthread_join(l->thread, NULL);
		sync_link_free(l);
	}
}

void
tracker_sync_stop(struct tracker *t)
{
	struct sync_link	*l;

	pthread_mutex_lock(&t->link_lock);
	l = t->links;
	t->links = NULL;
	pthread_mutex_unlock(&t->link_lock);
	while (l != NULL) {
		struct sync_link	*next = l->next;

		pthread_join(l->thread, NULL);
		sync_link_free(l);
		l = next;
	}
}
