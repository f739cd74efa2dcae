/*
 * tracker.c: the tracker role: TLS listener and client connections.
 *
 * Design: nworkers threads (one per CPU by default), each with its own
 * epoll set holding the shared listening socket (EPOLLEXCLUSIVE, so one
 * worker takes each burst of new connections) and the connections it
 * accepted, which it owns for their whole life.  A connection goes
 * TLS handshake -> hello -> requests.  Requests are handled inline: the
 * store answers seeders from memory under its mutex, and its writes are
 * short WAL commits.  Replies are appended to the connection's output
 * buffer and written once per batch of input, so pipelined requests cost
 * one SSL_write; replies keep request order.
 *
 * The exceptions: create_user and login hash a password (about a third
 * of a second), so they run on TRACKER_KDF_THREADS threads of their own;
 * the connection stops reading until the reply comes back through the
 * worker's completion queue and its eventfd, which keeps replies in order
 * and the worker free for everyone else.  A connection with a job out is
 * never freed; it is flagged dead and reaped when the job returns.
 *
 * A hello with role "tracker" from an authorised partner hands the
 * connection to tracker-sync.c, which runs the link on its own thread.
 *
 * Limits: connections in total and per address (checked at accept,
 * closed at once when over), handshake + hello deadline, idle deadline,
 * a started frame must complete within frame_ms, the partial frames of
 * all connections together hold at most TRACKER_RECV_TOTAL_MAX, output
 * above TC_OUT_HIGH stops reading from that connection until it drains.
 * A malformed frame gets an error reply and the connection is closed
 * after the reply is flushed.  Each worker checks its deadlines every
 * TC_TICK_MS.
 *
 * Threads: workers (worker<N>), the password threads (trk-kdf), housekeeping
 * (trk-house: seeder expiry, link reaping) and the links.  Shared fields
 * are atomics or under the locks named in tracker-int.h.
 */
#include "config.h"

#include "tracker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "tracker-int.h"
#include "tracker-store.h"
#include "wire.h"
#include "xmalloc.h"

#define TC_TICK_MS		250
#define TC_READ_CHUNK		(64U * 1024)
#define TC_READS_PER_EVENT	16
#define TC_OUT_HIGH		(256U * 1024)	/* stop reading above */
#define TC_OUT_MAX		(4U * 1024 * 1024)
#define TC_CLOSE_GRACE_MS	1000
#define TC_ADDR_BUCKETS		1024
#define TC_EXPIRE_EVERY_MS	5000
#define TC_STOP_JOBS_MS		10000	/* wait for password replies */

enum tc_state {
	TC_HANDSHAKE,
	TC_HELLO,
	TC_OPEN
};

struct tconn {
	struct tconn		*prev, *next;	/* worker's list */
	struct tconn		*again;		/* worker's re-run list */
	struct tconn		*reap;		/* worker's free list */
	int			 on_again;
	int			 fd;
	SSL			*ssl;
	enum tc_state		 state;
	char			 ip[64];
	struct wire_decoder	*dec;
	struct buf		 in;		/* read, not fed yet */
	struct buf		 out;
	uint64_t		 born_ms;
	uint64_t		 active_ms;	/* last read or write */
	uint64_t		 frame_ms;	/* partial frame since, or 0 */
	uint64_t		 closing_ms;	/* flushing then close, or 0 */
	size_t			 charged;	/* in t->partial_bytes */
	size_t			 announced;	/* size of the partial frame */
	uint32_t		 ev;		/* epoll mask registered */
	int			 job;		/* a KDF job is out */
	int			 dead;		/* free when the job returns */
	int			 handed;	/* given to a sync link */
	char			 peer_id[96];	/* partner's node id */
};

struct tc_job {
	struct tracker_worker	*w;
	struct tconn		*c;
	union message		 req;
	char			*s1, *s2;	/* user, password copies */
	char			 ip[64];
	struct buf		 reply;
	struct tc_job		*next;
};

struct tracker_worker {
	struct tracker		*t;
	unsigned		 idx;
	pthread_t		 thread;
	int			 epfd;
	int			 evfd;
	struct tconn		*conns;
	struct tconn		*again;
	struct tconn		*reap;		/* closed, to free */
	uint8_t			*rbuf;
	pthread_mutex_t		 done_lock;
	struct tc_job		*done;		/* done_lock */
	uint64_t		 next_tick;
	unsigned		 nconns;
};

struct tracker_addr {
	struct tracker_addr	*next;
	char			 ip[64];
	unsigned		 n;
};

static void	*tracker_worker_main(void *arg);
static void	*tracker_house_main(void *arg);
static void	 tc_accept(struct tracker_worker *w);
static void	 tc_event(struct tracker_worker *w, struct tconn *c,
		     uint32_t events);
static void	 tc_run(struct tracker_worker *w, struct tconn *c);
static int	 tc_feed(struct tracker_worker *w, struct tconn *c,
		     const uint8_t *p, size_t n, size_t *usedp);
static int	 tc_frame(struct tracker_worker *w, struct tconn *c);
static void	 tc_write(struct tracker_worker *w, struct tconn *c);
static void	 tc_interest(struct tracker_worker *w, struct tconn *c);
static void	 tc_close(struct tracker_worker *w, struct tconn *c,
		     const char *why);
static void	 tc_fail(struct tconn *c, enum mt_errc code,
		     const char *text);
static void	 tc_tick(struct tracker_worker *w, uint64_t now);
static void	 tc_completions(struct tracker_worker *w);
static void	 tc_reap(struct tracker_worker *w);
static void	 tc_kdf_job(struct tracker *t, struct tc_job *job);
static void	 tc_shutting_down(struct buf *);
static void	*tc_kdf_main(void *arg);
static int	 tc_addr_take(struct tracker *t, const char *ip);

uint64_t
tracker_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

void
tracker_block_signals(void)
{
	sigset_t	set;

	sigfillset(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* --- address accounting --- */

static unsigned
tc_addr_hash(const char *ip)
{
	unsigned	h = 5381;

	while (*ip != '\0')
		h = h * 33 + (unsigned char)*ip++;
	return (h % TC_ADDR_BUCKETS);
}

/* Count a new connection from ip; 0, or -1 if over a limit. */
static int
tc_addr_take(struct tracker *t, const char *ip)
{
	struct tracker_addr	*a;
	unsigned		 h = tc_addr_hash(ip);

	if (atomic_fetch_add(&t->nconns, 1) >= t->max_conns) {
		atomic_fetch_sub(&t->nconns, 1);
		return (-1);
	}
	pthread_mutex_lock(&t->addr_lock);
	for (a = t->addr_tab[h]; a != NULL; a = a->next)
		if (strcmp(a->ip, ip) == 0)
			break;
	if (a == NULL) {
		a = xcalloc(1, sizeof *a);
		snprintf(a->ip, sizeof a->ip, "%s", ip);
		a->next = t->addr_tab[h];
		t->addr_tab[h] = a;
	}
	if (a->n >= t->max_per_addr) {
		pthread_mutex_unlock(&t->addr_lock);
		atomic_fetch_sub(&t->nconns, 1);
		return (-1);
	}
	a->n++;
	pthread_mutex_unlock(&t->addr_lock);
	return (0);
}

void
tracker_conn_release(struct tracker *t, const char *ip)
{
	struct tracker_addr	*a, **pp;
	unsigned		 h = tc_addr_hash(ip);

	pthread_mutex_lock(&t->addr_lock);
	for (pp = &t->addr_tab[h]; (a = *pp) != NULL; pp = &a->next) {
		if (strcmp(a->ip, ip) != 0)
			continue;
		if (--a->n == 0) {
			*pp = a->next;
			free(a);
		}
		break;
	}
	pthread_mutex_unlock(&t->addr_lock);
	atomic_fetch_sub(&t->nconns, 1);
}

/* Wake the links if the store changed since we last looked. */
void
tracker_gen_check(struct tracker *t)
{
	uint64_t	g, old;

	g = tracker_store_generation(t->ts);
	old = atomic_load(&t->last_gen);
	if (g != old && atomic_compare_exchange_strong(&t->last_gen, &old, g))
		tracker_sync_notify(t);
}

/* --- connections --- */

static void
tc_accept(struct tracker_worker *w)
{
	struct tracker		*t = w->t;
	struct tconn		*c;
	struct epoll_event	 ev;
	struct mt_err		 err;
	char			 ip[64];
	int			 fd, i;
	SSL			*ssl;

	for (i = 0; i < 64; i++) {
		fd = accept4(t->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		if (atomic_load(&t->stopping) ||
		    net_peer_ip(fd, ip, sizeof ip) != 0) {
			close(fd);
			continue;
		}
		if (tc_addr_take(t, ip) != 0) {
			log_debug("%s: refusing %s: too many connections",
			    __func__, ip);
			close(fd);
			continue;
		}
		if ((ssl = tls_new(t->sctx, fd, 1, &err)) == NULL) {
			log_warn("%s", err.msg);
			tracker_conn_release(t, ip);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof *c);
		c->fd = fd;
		c->ssl = ssl;
		c->state = TC_HANDSHAKE;
		snprintf(c->ip, sizeof c->ip, "%s", ip);
		c->dec = wire_decoder_create();
		buf_init(&c->in, WIRE_FRAME_MAX + TC_READ_CHUNK);
		buf_init(&c->out, TC_OUT_MAX);
		c->born_ms = c->active_ms = net_now_ms();
		c->ev = EPOLLIN;
		memset(&ev, 0, sizeof ev);
		ev.events = c->ev;
		ev.data.ptr = c;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			log_warn("epoll_ctl: %s", strerror(errno));
			tls_free(ssl);
			close(fd);
			wire_decoder_free(c->dec);
			buf_done(&c->in);
			buf_done(&c->out);
			free(c);
			tracker_conn_release(t, ip);
			continue;
		}
		c->next = w->conns;
		if (w->conns != NULL)
			w->conns->prev = c;
		w->conns = c;
		w->nconns++;
	}
}

/* Queue an error reply and close once it is flushed. */
static void
tc_fail(struct tconn *c, enum mt_errc code, const char *text)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_error;
	m.error.code = code;
	m.error.text = text;
	message_encode(&m, &c->out, NULL);
	if (c->closing_ms == 0)
		c->closing_ms = net_now_ms();
}

static void
tc_uncharge(struct tracker *t, struct tconn *c)
{
	if (c->charged > 0) {
		atomic_fetch_sub(&t->partial_bytes, c->charged);
		c->charged = 0;
	}
}

static void
tc_close(struct tracker_worker *w, struct tconn *c, const char *why)
{
	struct tracker	*t = w->t;

	if (c->on_again) {
		struct tconn	**pp;

		for (pp = &w->again; *pp != NULL; pp = &(*pp)->again)
			if (*pp == c) {
				*pp = c->again;
				break;
			}
		c->on_again = 0;
	}
	if (c->fd != -1) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (!c->handed) {
			if (why != NULL)
				log_debug("%s: %s: %s", __func__, c->ip, why);
			if (c->state != TC_HANDSHAKE)
				SSL_shutdown(c->ssl);
			ERR_clear_error();
			tls_free(c->ssl);
			close(c->fd);
			wire_decoder_free(c->dec);
			tracker_conn_release(t, c->ip);
		}
		c->fd = -1;
		c->ssl = NULL;
		c->dec = NULL;
		tc_uncharge(t, c);
		if (c->prev != NULL)
			c->prev->next = c->next;
		else
			w->conns = c->next;
		if (c->next != NULL)
			c->next->prev = c->prev;
		w->nconns--;
	}
	if (c->job) {
		c->dead = 1;	/* reaped when the job returns */
		return;
	}
	/* Freed after this round of events: one may still point at it. */
	c->reap = w->reap;
	w->reap = c;
}

/* Free the connections closed during the last round of events. */
static void
tc_reap(struct tracker_worker *w)
{
	struct tconn	*c;

	while ((c = w->reap) != NULL) {
		w->reap = c->reap;
		buf_done(&c->in);
		buf_done(&c->out);
		free(c);
	}
}

/* Register the events c waits for, if they changed. */
static void
tc_interest(struct tracker_worker *w, struct tconn *c)
{
	struct epoll_event	ev;
	uint32_t		want = 0;

	if (c->fd == -1)
		return;
	if (!c->job && c->closing_ms == 0 && buf_used(&c->out) < TC_OUT_HIGH)
		want |= EPOLLIN;
	if (buf_used(&c->out) > 0 || (c->state == TC_HANDSHAKE &&
	    SSL_want_write(c->ssl)))
		want |= EPOLLOUT;
	if (want == c->ev)
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->ev = want;
}

static void
tc_write(struct tracker_worker *w, struct tconn *c)
{
	size_t	n;
	int	rc, e;

	(void)w;
	while ((n = buf_used(&c->out)) > 0) {
		ERR_clear_error();
		rc = SSL_write(c->ssl, buf_head(&c->out),
		    n > (1U << 20) ? (1 << 20) : (int)n);
		if (rc > 0) {
			buf_consume(&c->out, (size_t)rc);
			c->active_ms = net_now_ms();
			continue;
		}
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
			return;
		ERR_clear_error();
		c->dead = 1;	/* closed by the caller */
		return;
	}
	buf_reset(&c->out);
}

/* Send our hello in answer to theirs. */
static void
tc_hello_reply(struct tracker *t, struct buf *out)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_hello;
	m.hello.version = MSG_PROTO_TRACKER;
	m.hello.role = "tracker";
	m.hello.node_id = t->node_id;
	m.hello.listen = t->listen_addr;
	message_encode(&m, out, NULL);
}

/*
 * Handle the frame just decoded.  Returns 0 to go on, 1 to stop feeding
 * (a job is out, the connection is closing or was handed over).
 */
static int
tc_frame(struct tracker_worker *w, struct tconn *c)
{
	struct tracker	*t = w->t;
	union message	 m;
	struct mt_err	 err;
	struct tc_job	*job;
	char		 fpr[TLS_FPR_LEN + 1];

	if (message_decode(wire_decoder_frame(c->dec), &m, &err) != 0) {
		tc_fail(c, err.code, err.msg);
		return (1);
	}
	if (c->state == TC_HELLO) {
		if (m.type != MSG_hello) {
			tc_fail(c, MT_E_PROTO, _("the first frame must be "
			    "hello"));
			return (1);
		}
		if (!MSG_PROTO_OK(m.hello.version)) {
			tc_fail(c, MT_E_PROTO, _("unsupported protocol "
			    "version"));
			return (1);
		}
		if (strcmp(m.hello.role, "tracker") == 0) {
			if (tls_peer_fingerprint(c->ssl, fpr) != 0 ||
			    !tracker_sync_authorise(t, fpr, m.hello.listen)) {
				log_warn("refused sync link from %s (not a "
				    "partner)", c->ip);
				tc_fail(c, MT_E_DENIED, _("not a partner of "
				    "this tracker"));
				return (1);
			}
			tc_hello_reply(t, &c->out);
			tc_write(w, c);
			if (c->dead || buf_used(&c->out) > 0) {
				c->dead = 1;
				return (1);
			}
			/* tc_handover() gives the link fd, ssl and decoder. */
			snprintf(c->peer_id, sizeof c->peer_id, "%s",
			    m.hello.node_id);
			c->handed = 1;
			return (1);
		}
		if (strcmp(m.hello.role, "client") != 0 &&
		    strcmp(m.hello.role, "peer") != 0) {
			tc_fail(c, MT_E_BADARGS, _("unknown role in hello"));
			return (1);
		}
		tc_hello_reply(t, &c->out);
		c->state = TC_OPEN;
		return (0);
	}
	switch (m.type) {
	case MSG_hello:
		tc_fail(c, MT_E_PROTO, _("hello sent twice"));
		return (1);
	case MSG_sync_hello:
	case MSG_sync_event:
	case MSG_sync_ack:
	case MSG_sync_done:
		log_warn("refused %s from client %s", message_name(m.type),
		    c->ip);
		tc_fail(c, MT_E_DENIED, _("sync messages are only accepted "
		    "from partner trackers"));
		return (1);
	case MSG_ping:
		memset(&m, 0, sizeof m);
		m.type = MSG_ok;
		m.ok.text = "";
		message_encode(&m, &c->out, NULL);
		return (0);
	case MSG_create_user:
	case MSG_login:
		if (atomic_load(&t->stopping)) {
			/* The password threads may be gone: refuse now. */
			tc_shutting_down(&c->out);
			return (0);
		}
		job = xcalloc(1, sizeof *job);
		job->w = w;
		job->c = c;
		job->req = m;
		job->s1 = xstrdup(m.login.user);
		job->s2 = xstrdup(m.login.password);
		/* create_user and login have the same two fields. */
		job->req.login.user = job->s1;
		job->req.login.password = job->s2;
		snprintf(job->ip, sizeof job->ip, "%s", c->ip);
		buf_init(&job->reply, TC_OUT_MAX);
		c->job = 1;
		pthread_mutex_lock(&t->kdf_lock);
		if (t->kdf_tail != NULL)
			t->kdf_tail->next = job;
		else
			t->kdf_head = job;
		t->kdf_tail = job;
		pthread_cond_signal(&t->kdf_cond);
		pthread_mutex_unlock(&t->kdf_lock);
		return (1);
	default:
		if (tracker_store_handle(t->ts, &m, c->ip, tracker_wall_ms(),
		    &c->out) != 0) {
			c->dead = 1;
			return (1);
		}
		return (0);
	}
}

/*
 * The size a frame starting at p announces in its header, or 0 if the
 * header is not all there.  The decoder allocates the payload as soon as
 * it has the header, so the memory limit counts announced sizes.
 */
static size_t
tc_peek_size(const uint8_t *p, size_t n)
{
	size_t	tlen;

	if (n < 5)
		return (0);
	tlen = p[4];
	if (n < 5 + tlen + 4)
		return (0);
	return (WIRE_OVERHEAD + tlen + buf_get_u32be(p + 5 + tlen));
}

/*
 * Feed n bytes to c's decoder, handling each frame.  *usedp: bytes taken.
 * Returns 1 if feeding must stop (see tc_frame()), -1 if c is broken.
 */
static int
tc_feed(struct tracker_worker *w, struct tconn *c, const uint8_t *p,
    size_t n, size_t *usedp)
{
	enum wire_status	st;
	struct mt_err		err;
	size_t			used, off = 0;
	int			rc = 0;

	while (off < n) {
		if (wire_decoder_pending(c->dec) == 0)
			c->announced = tc_peek_size(p + off, n - off);
		st = wire_decode_feed(c->dec, p + off, n - off, &used, &err);
		off += used;
		if (st == WIRE_ERROR) {
			tc_fail(c, err.code, err.msg);
			rc = 1;
			break;
		}
		if (st == WIRE_FRAME && (rc = tc_frame(w, c)) != 0)
			break;
	}
	*usedp = off;
	return (rc);
}

/* Give c, with the n unread bytes at p, to a new sync link; free c. */
static void
tc_handover(struct tracker_worker *w, struct tconn *c, const uint8_t *p,
    size_t n)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	tracker_sync_accept(w->t, c->fd, c->ssl, c->dec, p, n, c->ip,
	    c->peer_id);
	tc_close(w, c, NULL);
}

/*
 * Account for c's partial frame (its announced size once the header is
 * in); -1 if the total over all connections would pass the limit.
 */
static int
tc_account(struct tracker *t, struct tconn *c, uint64_t now)
{
	size_t	pend;

	if (c->dec == NULL)
		return (0);
	pend = wire_decoder_pending(c->dec);
	if (pend == 0) {
		c->frame_ms = 0;
		c->announced = 0;
		tc_uncharge(t, c);
		return (0);
	}
	if (c->frame_ms == 0)
		c->frame_ms = now;
	if (c->announced > pend && c->announced <= WIRE_FRAME_MAX)
		pend = c->announced;
	if (pend > c->charged) {
		if (atomic_fetch_add(&t->partial_bytes, pend - c->charged) +
		    (pend - c->charged) > TRACKER_RECV_TOTAL_MAX) {
			atomic_fetch_sub(&t->partial_bytes, pend - c->charged);
			return (-1);
		}
	} else
		atomic_fetch_sub(&t->partial_bytes, c->charged - pend);
	c->charged = pend;
	return (0);
}

/* Read, handle and answer what c has to say; close it if it is done. */
static void
tc_run(struct tracker_worker *w, struct tconn *c)
{
	struct tracker	*t = w->t;
	size_t		 used;
	int		 i = 0, rc, e, stop = 0, more;
	uint64_t	 now;

	if (c->state == TC_HANDSHAKE) {
		ERR_clear_error();
		rc = SSL_do_handshake(c->ssl);
		if (rc != 1) {
			e = SSL_get_error(c->ssl, rc);
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE) {
				ERR_clear_error();
				tc_close(w, c, "TLS handshake failed");
				return;
			}
			tc_interest(w, c);
			return;
		}
		c->state = TC_HELLO;
		c->active_ms = net_now_ms();
	}

	/* Input held back while a job was out goes first. */
	if (!c->job && c->closing_ms == 0 && buf_used(&c->in) > 0) {
		rc = tc_feed(w, c, buf_head(&c->in), buf_used(&c->in), &used);
		if (c->handed) {
			tc_handover(w, c, buf_head(&c->in) + used,
			    buf_used(&c->in) - used);
			return;
		}
		buf_consume(&c->in, used);
		if (rc != 0)
			stop = 1;
	}
	for (i = 0; !stop && !c->job && c->closing_ms == 0 &&
	    i < TC_READS_PER_EVENT && buf_used(&c->out) < TC_OUT_HIGH; i++) {
		ERR_clear_error();
		rc = SSL_read(c->ssl, w->rbuf, TC_READ_CHUNK);
		if (rc <= 0) {
			e = SSL_get_error(c->ssl, rc);
			if (e == SSL_ERROR_WANT_READ ||
			    e == SSL_ERROR_WANT_WRITE)
				break;
			ERR_clear_error();
			tc_close(w, c, "closed by client");
			return;
		}
		c->active_ms = net_now_ms();
		if (tc_feed(w, c, w->rbuf, (size_t)rc, &used) != 0) {
			if (c->handed) {
				/* The rest of this read belongs to the link. */
				tc_handover(w, c, w->rbuf + used,
				    (size_t)rc - used);
				return;
			}
			if (c->job && used < (size_t)rc &&
			    buf_add(&c->in, w->rbuf + used, (size_t)rc - used,
			    NULL) != 0)
				c->dead = 1;
			break;
		}
	}
	/* Stopped early (not on WANT_READ): TLS may hold more input. */
	more = i == TC_READS_PER_EVENT || (!stop && !c->job &&
	    c->closing_ms == 0 && buf_used(&c->out) >= TC_OUT_HIGH);
	now = net_now_ms();
	if (!c->dead && tc_account(t, c, now) != 0) {
		log_warn("receive memory limit reached; dropping %s", c->ip);
		tc_fail(c, MT_E_BUSY, _("tracker busy"));
	}
	if (!c->dead)
		tc_write(w, c);
	if (c->dead || (c->closing_ms != 0 && buf_used(&c->out) == 0)) {
		tc_close(w, c, c->dead ? "write failed" : "closing");
		return;
	}
	if (more && !c->on_again && buf_used(&c->out) < TC_OUT_HIGH) {
		/* Come back after the others have had their turn. */
		c->again = w->again;
		w->again = c;
		c->on_again = 1;
	}
	tc_interest(w, c);
}

static void
tc_event(struct tracker_worker *w, struct tconn *c, uint32_t events)
{
	if (c->fd == -1)
		return;		/* closed earlier in this round */
	if ((events & (EPOLLERR | EPOLLHUP)) != 0 && (events & EPOLLIN) == 0) {
		tc_close(w, c, "hang-up");
		return;
	}
	tc_run(w, c);
}

/* Check every connection's deadlines. */
static void
tc_tick(struct tracker_worker *w, uint64_t now)
{
	struct tracker	*t = w->t;
	struct tconn	*c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (c->job)
			continue;
		if (c->closing_ms != 0) {
			if (now - c->closing_ms > TC_CLOSE_GRACE_MS)
				tc_close(w, c, "close grace over");
			continue;
		}
		if (c->state != TC_OPEN && now - c->born_ms > t->hs_ms) {
			if (c->state == TC_HELLO) {
				tc_fail(c, MT_E_TIMEOUT, _("no hello in time"));
				tc_run(w, c);
			} else
				tc_close(w, c, "handshake timeout");
			continue;
		}
		if (c->frame_ms != 0 && now - c->frame_ms > t->frame_ms) {
			tc_fail(c, MT_E_TIMEOUT, _("frame not completed in "
			    "time"));
			tc_uncharge(t, c);
			tc_write(w, c);
			tc_close(w, c, "frame timeout");
			continue;
		}
		if (now - c->active_ms > t->idle_ms)
			tc_close(w, c, "idle timeout");
	}
}

/* --- password jobs --- */

/* The refusal of a request that comes while the tracker stops. */
static void
tc_shutting_down(struct buf *out)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_error;
	m.error.code = MT_E_BUSY;
	m.error.text = _("tracker shutting down");
	message_encode(&m, out, NULL);
}

/* Run a password job and post its reply to the worker. */
static void
tc_kdf_job(struct tracker *t, struct tc_job *job)
{
	struct tracker_worker	*w = job->w;

	if (atomic_load(&t->stopping))
		tc_shutting_down(&job->reply);
	else if (tracker_store_handle(t->ts, &job->req, job->ip,
	    tracker_wall_ms(), &job->reply) != 0)
		buf_reset(&job->reply);
	explicit_bzero(job->s2, strlen(job->s2));
	job->next = NULL;
	pthread_mutex_lock(&w->done_lock);
	job->next = w->done;
	w->done = job;
	pthread_mutex_unlock(&w->done_lock);
	if (write(w->evfd, &(uint64_t){ 1 }, sizeof(uint64_t)) == -1)
		log_warn("eventfd write: %s", strerror(errno));
}

/* A password thread: run jobs until stopping and the queue is empty. */
static void *
tc_kdf_main(void *arg)
{
	struct tracker	*t = arg;
	struct tc_job	*job;
	struct timespec	 ts;

	log_set_thread_name("trk-kdf");
	pthread_mutex_lock(&t->kdf_lock);
	for (;;) {
		if ((job = t->kdf_head) != NULL) {
			if ((t->kdf_head = job->next) == NULL)
				t->kdf_tail = NULL;
			pthread_mutex_unlock(&t->kdf_lock);
			tc_kdf_job(t, job);
			pthread_mutex_lock(&t->kdf_lock);
			continue;
		}
		if (t->kdf_stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&t->kdf_cond, &t->kdf_lock, &ts);
	}
	pthread_mutex_unlock(&t->kdf_lock);
	return (NULL);
}

static void
tc_completions(struct tracker_worker *w)
{
	struct tc_job	*job, *next, *rev = NULL;
	struct tconn	*c;
	uint64_t	 v;

	if (read(w->evfd, &v, sizeof v) == -1 && errno != EAGAIN)
		log_warn("eventfd read: %s", strerror(errno));
	pthread_mutex_lock(&w->done_lock);
	job = w->done;
	w->done = NULL;
	pthread_mutex_unlock(&w->done_lock);
	for (; job != NULL; job = next) {	/* oldest first */
		next = job->next;
		job->next = rev;
		rev = job;
	}
	for (job = rev; job != NULL; job = next) {
		next = job->next;
		c = job->c;
		c->job = 0;
		if (c->dead && c->fd == -1) {
			c->reap = w->reap;
			w->reap = c;
		} else if (buf_used(&job->reply) == 0 ||
		    buf_add(&c->out, buf_head(&job->reply),
		    buf_used(&job->reply), NULL) != 0)
			tc_close(w, c, "reply lost");
		else {
			tracker_gen_check(w->t);
			tc_run(w, c);
		}
		free(job->s1);
		free(job->s2);
		buf_done(&job->reply);
		free(job);
	}
}

/* --- threads --- */

static void *
tracker_worker_main(void *arg)
{
	struct tracker_worker	*w = arg;
	struct tracker		*t = w->t;
	struct epoll_event	 evs[128];
	struct tconn		*c, *again;
	char			 name[16];
	uint64_t		 now, gen_seen;
	int			 n, i, timeout;

	snprintf(name, sizeof name, "worker%u", w->idx);
	log_set_thread_name(name);
	w->next_tick = net_now_ms() + TC_TICK_MS;
	while (!atomic_load(&t->stopping)) {
		now = net_now_ms();
		timeout = w->again != NULL ? 0 : (int)(w->next_tick > now ?
		    w->next_tick - now : 0);
		n = epoll_wait(w->epfd, evs, 128, timeout);
		if (n == -1 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		gen_seen = 0;
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				tc_accept(w);
			else if (evs[i].data.ptr == w)
				tc_completions(w);
			else {
				tc_event(w, evs[i].data.ptr, evs[i].events);
				gen_seen = 1;
			}
		}
		again = w->again;
		w->again = NULL;
		while ((c = again) != NULL) {
			again = c->again;
			c->on_again = 0;
			tc_run(w, c);
			gen_seen = 1;
		}
		if (gen_seen && t->npartners > 0)
			tracker_gen_check(t);
		now = net_now_ms();
		if (now >= w->next_tick) {
			tc_tick(w, now);
			w->next_tick = now + TC_TICK_MS;
		}
		tc_reap(w);
	}
	/*
	 * Stopping: a password job still out is finished (or refused) by
	 * its thread, which tracker_stop() joins; wait for its reply so
	 * that no request goes unanswered (bounded), then flush what was
	 * answered and close everyone.
	 */
	now = net_now_ms();
	for (;;) {
		struct pollfd	pfd;

		for (c = w->conns; c != NULL && !c->job; c = c->next)
			;
		if (c == NULL || net_now_ms() - now > TC_STOP_JOBS_MS)
			break;
		pfd.fd = w->evfd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 100);
		tc_completions(w);
	}
	while (w->conns != NULL) {
		c = w->conns;
		if (!c->job && c->state != TC_HANDSHAKE)
			tc_write(w, c);
		tc_close(w, c, NULL);
	}
	tc_reap(w);
	return (NULL);
}

static void *
tracker_house_main(void *arg)
{
	struct tracker	*t = arg;
	struct pollfd	 pfd;
	uint64_t	 next_expire = 0, now;

	log_set_thread_name("trk-house");
	pfd.fd = t->stop_pipe[0];
	pfd.events = POLLIN;
	while (!atomic_load(&t->stopping)) {
		now = net_now_ms();
		if (now >= next_expire) {
			tracker_store_expire(t->ts, tracker_wall_ms());
			next_expire = now + TC_EXPIRE_EVERY_MS;
		}
		tracker_gen_check(t);
		tracker_sync_reap(t);
		poll(&pfd, 1, 500);
	}
	return (NULL);
}

/* --- start and stop --- */

static void
tracker_paths(struct tracker *t, const struct tracker_config *cfg)
{
	const char	*d = cfg->state_dir;

	if (cfg->db_path != NULL && *cfg->db_path != '\0') {
		t->db_path = xstrdup(cfg->db_path);
		xasprintf(&t->key_path, "%s.key", cfg->db_path);
		xasprintf(&t->cert_path, "%s.crt", cfg->db_path);
		xasprintf(&t->pins_path, "%s.partners", cfg->db_path);
	} else {
		xasprintf(&t->db_path, "%s/tracker.db", d);
		xasprintf(&t->key_path, "%s/tracker.key", d);
		xasprintf(&t->cert_path, "%s/tracker.crt", d);
		xasprintf(&t->pins_path, "%s/partners", d);
	}
}

/* mkdir -p with mode 0700 for the directories we create. */
static int
tracker_mkdirs(const char *dir, struct mt_err *err)
{
	char	*p, *s;

	if (dir == NULL || *dir == '\0')
		return (0);
	s = xstrdup(dir);
	for (p = s + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char	c = *p;

			*p = '\0';
			if (mkdir(s, 0700) != 0 && errno != EEXIST) {
				mt_err_set(err, MT_E_IO, _("cannot create "
				    "%s: %s"), s, strerror(errno));
				free(s);
				return (-1);
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(s);
	return (0);
}

static void
tracker_free(struct tracker *t)
{
	unsigned		 i;
	struct tracker_addr	*a, *next;

	if (t->workers != NULL) {
		for (i = 0; i < t->nworkers; i++) {
			if (t->workers[i].epfd != -1)
				close(t->workers[i].epfd);
			if (t->workers[i].evfd != -1)
				close(t->workers[i].evfd);
			free(t->workers[i].rbuf);
			pthread_mutex_destroy(&t->workers[i].done_lock);
		}
		free(t->workers);
	}
	if (t->addr_tab != NULL) {
		for (i = 0; i < TC_ADDR_BUCKETS; i++)
			for (a = t->addr_tab[i]; a != NULL; a = next) {
				next = a->next;
				free(a);
			}
		free(t->addr_tab);
	}
	if (t->listen_fd != -1)
		close(t->listen_fd);
	if (t->ts != NULL)
		tracker_store_close(t->ts);
	tls_ctx_free(t->sctx);
	tls_ctx_free(t->cctx);
	tls_identity_free(t->id);
	if (t->stop_pipe[0] != -1) {
		close(t->stop_pipe[0]);
		close(t->stop_pipe[1]);
	}
	pthread_mutex_destroy(&t->addr_lock);
	pthread_mutex_destroy(&t->link_lock);
	pthread_mutex_destroy(&t->kdf_lock);
	pthread_cond_destroy(&t->kdf_cond);
	free(t->db_path);
	free(t->key_path);
	free(t->cert_path);
	free(t->pins_path);
	free(t);
}

struct tracker *
tracker_start(const struct tracker_config *cfg, struct mt_err *err)
{
	struct tracker		*t;
	struct tracker_worker	*w;
	struct epoll_event	 ev;
	struct rlimit		 rl;
	sigset_t		 all, old;
	pthread_condattr_t	 ca;
	unsigned		 i, started = 0;
	long			 ncpu;
	size_t			 j;

	t = xcalloc(1, sizeof *t);
	t->listen_fd = -1;
	t->stop_pipe[0] = t->stop_pipe[1] = -1;
	pthread_mutex_init(&t->addr_lock, NULL);
	pthread_mutex_init(&t->link_lock, NULL);
	pthread_mutex_init(&t->kdf_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->kdf_cond, &ca);
	pthread_condattr_destroy(&ca);
	t->addr_tab = xcalloc(TC_ADDR_BUCKETS, sizeof *t->addr_tab);

	t->max_conns = cfg->max_conns ? cfg->max_conns : TRACKER_MAX_CONNS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max && rl.rlim_cur < 65536) {
			rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur > 128 && t->max_conns > rl.rlim_cur - 64)
			t->max_conns = (unsigned)(rl.rlim_cur - 64);
	}
	t->max_per_addr = cfg->max_per_addr ? cfg->max_per_addr :
	    TRACKER_MAX_PER_ADDR;
	t->hs_ms = cfg->handshake_ms ? cfg->handshake_ms :
	    TRACKER_HANDSHAKE_MS;
	t->idle_ms = cfg->idle_ms ? cfg->idle_ms : TRACKER_IDLE_MS;
	t->frame_ms = cfg->frame_ms ? cfg->frame_ms : TRACKER_FRAME_MS;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	t->nworkers = cfg->nworkers ? cfg->nworkers :
	    (unsigned)(ncpu > 0 ? ncpu : 1);
	if (t->nworkers > 16)
		t->nworkers = 16;

	if (cfg->npartners > TRACKER_PARTNERS_MAX) {
		mt_err_set(err, MT_E_USAGE, _("at most %d partners"),
		    TRACKER_PARTNERS_MAX);
		goto fail;
	}
	for (j = 0; j < cfg->npartners; j++) {
		char		host[NET_HOST_MAX];
		uint16_t	port;

		if (net_parse_addr(cfg->partners[j], host, sizeof host, &port,
		    0, err) != 0)
			goto fail;
		snprintf(t->partners[j].addr, sizeof t->partners[j].addr,
		    "%s", cfg->partners[j]);
		if (cfg->partner_fprs[j] != NULL &&
		    *cfg->partner_fprs[j] != '\0' &&
		    tls_fpr_normalize(cfg->partner_fprs[j],
		    t->partners[j].fpr) != 0) {
			mt_err_set(err, MT_E_BADVALUE, _("bad fingerprint "
			    "for partner %s"), cfg->partners[j]);
			goto fail;
		}
	}
	t->npartners = cfg->npartners;

	if (cfg->db_path == NULL || *cfg->db_path == '\0') {
		if (cfg->state_dir == NULL || *cfg->state_dir == '\0') {
			mt_err_set(err, MT_E_USAGE, _("no state directory"));
			goto fail;
		}
		if (tracker_mkdirs(cfg->state_dir, err) != 0)
			goto fail;
	}
	tracker_paths(t, cfg);
	if (pipe2(t->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		mt_err_set(err, MT_E_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	if ((t->id = tls_identity_load(t->key_path, t->cert_path, err)) ==
	    NULL)
		goto fail;
	if ((t->sctx = tls_ctx_server(t->id, err)) == NULL ||
	    (t->cctx = tls_ctx_client(t->id, err)) == NULL)
		goto fail;
	if ((t->ts = tracker_store_open(t->db_path, err)) == NULL)
		goto fail;
	snprintf(t->node_id, sizeof t->node_id, "%s", tracker_store_id(t->ts));
	atomic_store(&t->last_gen, tracker_store_generation(t->ts));
	if ((t->listen_fd = net_listen(cfg->listen, 1024, err)) == -1)
		goto fail;
	if (net_local_addr(t->listen_fd, t->listen_addr,
	    sizeof t->listen_addr) != 0)
		snprintf(t->listen_addr, sizeof t->listen_addr, "%s",
		    cfg->listen);

	t->workers = xcalloc(t->nworkers, sizeof *t->workers);
	for (i = 0; i < t->nworkers; i++) {
		w = &t->workers[i];
		w->t = t;
		w->idx = i;
		w->rbuf = xmalloc(TC_READ_CHUNK);
		pthread_mutex_init(&w->done_lock, NULL);
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->epfd == -1 || w->evfd == -1) {
			mt_err_set(err, MT_E_IO, "epoll: %s", strerror(errno));
			goto fail;
		}
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.ptr = NULL;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, t->listen_fd, &ev) != 0)
			goto fail_epoll;
		ev.events = EPOLLIN;
		ev.data.ptr = w;
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) != 0)
			goto fail_epoll;
	}

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < TRACKER_KDF_THREADS; i++)
		if (pthread_create(&t->kdf[i], NULL, tc_kdf_main, t) != 0)
			fatalx("pthread_create failed");
	for (i = 0; i < t->nworkers; i++) {
		if (pthread_create(&t->workers[i].thread, NULL,
		    tracker_worker_main, &t->workers[i]) != 0)
			fatalx("pthread_create failed");
		started++;
	}
	if (pthread_create(&t->house, NULL, tracker_house_main, t) != 0)
		fatalx("pthread_create failed");
	if (tracker_sync_start(t, err) != 0)
		fatalx("cannot start partner links");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_info(_("tracker %s listening on %s, fingerprint SHA256:%s, "
	    "%u workers, %zu partners"), t->node_id, t->listen_addr,
	    tls_identity_fingerprint(t->id), t->nworkers, t->npartners);
	return (t);

fail_epoll:
	mt_err_set(err, MT_E_IO, "epoll_ctl: %s", strerror(errno));
fail:
	tracker_free(t);
	return (NULL);
}

const char *
tracker_fingerprint(const struct tracker *t)
{
	return (tls_identity_fingerprint(t->id));
}

const char *
tracker_address(const struct tracker *t)
{
	return (t->listen_addr);
}

void
tracker_stop(struct tracker *t)
{
	unsigned	i;

	if (t == NULL)
		return;
	log_info(_("tracker stopping"));
	atomic_store(&t->stopping, 1);
	if (write(t->stop_pipe[1], "x", 1) == -1)
		log_warn("stop pipe: %s", strerror(errno));
	/* Password jobs finish (or are refused) and post their replies. */
	pthread_mutex_lock(&t->kdf_lock);
	t->kdf_stop = 1;
	pthread_cond_broadcast(&t->kdf_cond);
	pthread_mutex_unlock(&t->kdf_lock);
	for (i = 0; i < TRACKER_KDF_THREADS; i++)
		pthread_join(t->kdf[i], NULL);
	for (i = 0; i < t->nworkers; i++)
		if (write(t->workers[i].evfd, &(uint64_t){ 1 },
		    sizeof(uint64_t)) == -1)
			log_warn("eventfd: %s", strerror(errno));
	for (i = 0; i < t->nworkers; i++) {
		pthread_join(t->workers[i].thread, NULL);
		tc_completions(&t->workers[i]);
		tc_reap(&t->workers[i]);
	}
	pthread_join(t->house, NULL);
	tracker_sync_stop(t);
	log_info(_("tracker stopped"));
	tracker_free(t);
}
