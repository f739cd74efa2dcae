/*
 * hostile-peer.c: play one hostile peer against a peer's listening port,
 * for tests/it-hostile-peer.sh.
 *
 *	hostile-peer [-w SECS] [-n COUNT] [-f FILE_ID] [-p NPIECES] MODE ADDR
 *
 * Modes (each prints one "result MODE ..." line on stdout):
 *	huge		announce a 2 GiB frame, trickle it: must be cut
 *	trickle		announce a 60000-byte frame (under the request
 *			limit), send a byte every 200 ms: must be cut
 *	silent		connect and say nothing: must be cut
 *	half		hello, then half a piece_request, stall: must be cut
 *	noread		hello, COUNT piece_requests (-f, -p), never read:
 *			must be cut
 *	flood		hello, COUNT pipelined requests (have_request and
 *			out-of-range piece_request) while reading: every
 *			one answered or the connection cut, never a crash.
 *			Notifications are not answers: `have`s are counted
 *			apart ("notes"), and have_replies beyond the
 *			have_requests (the whole bitfield that ends initial
 *			seeding) as "extra"
 *	churn		COUNT times: connect, maybe a partial hello, close
 *			(every other one with a reset)
 *	notshared	have_request and piece_request for a file id not
 *			shared: each must be refused with not-found
 *	traversal	requests naming "../" style ids and paths: each
 *			refused, never a piece
 *	badindex	out-of-range piece indexes (-f, -p): each refused,
 *			and a valid one still answered afterwards
 *	cancel		ENGINE_UPLOAD_STREAMS connections ask for COUNT
 *			pieces each (-f, -p) and never read, holding every
 *			upload turn; one more asks for a piece and
 *			withdraws it (piece_cancel):
 *			the answer must be `cancelled`, not the piece; a
 *			cancel for a piece not asked gets no answer (a ping
 *			after it is answered next)
 *	hold		open COUNT connections with a hello each and hold
 *			them for -w seconds; prints how many were cut
 *	blackhole	listen on ADDR (port 0: any; prints "listening
 *			HOST:PORT"), accept every connection and never
 *			answer, for -w seconds: a tracker that hangs
 *	withhold	an uploader that never sends: subscribe at the
 *			peer on ADDR (-f) with a listening port of our
 *			own, so that it fetches from us; show every piece
 *			(-p) and hold every request.  Must see COUNT (-n,
 *			default 1) `piece_cancel`s, each for a piece it
 *			was asked, within -w seconds (the requester
 *			withdraws what another peer delivers)
 *
 * Exit status: 0 the expectation held, 1 it did not, 2 usage or setup
 * error.  "cut within -w seconds" (default 30) is the bound checked.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>
#include <sys/time.h>

#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "engine-int.h"
#include "error.h"
#include "message.h"
#include "wire.h"

#define HP_FID_MAX	128

static double	 hp_wait_s = 30;
static long	 hp_count = 0;
static char	 hp_fid[HP_FID_MAX] =
    "0123456789abcdef0123456789abcdef01234567";
static uint64_t	 hp_npieces = 0;
static uint64_t	 hp_units = 0;	/* withhold: in the downloader's units */

struct hp_conn {
	int			 fd;
	struct wire_decoder	*dec;
	uint8_t			 rb[65536];
	size_t			 rlen, roff;
};

static double
hp_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
hp_sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
hp_connect(const char *addr, int rcvbuf)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256], *colon;
	int		 fd = -1, rc;

	strlcpy(host, addr, sizeof host);
	if ((colon = strrchr(host, ':')) == NULL)
		return (-1);
	*colon = '\0';
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		fprintf(stderr, "hostile-peer: %s: %s\n", addr,
		    gai_strerror(rc));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (rcvbuf > 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			    sizeof rcvbuf);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return (fd);
}

static int
hp_open(struct hp_conn *c, const char *addr, int rcvbuf)
{
	memset(c, 0, sizeof *c);
	if ((c->fd = hp_connect(addr, rcvbuf)) == -1) {
		fprintf(stderr, "hostile-peer: cannot connect to %s\n", addr);
		return (-1);
	}
	c->dec = wire_decoder_create();
	return (0);
}

static void
hp_close(struct hp_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	wire_decoder_free(c->dec);
	c->dec = NULL;
}

static int
hp_send_raw(int fd, const void *p, size_t n)
{
	const uint8_t	*q = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, q, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return (-1);
		q += w;
		n -= (size_t)w;
	}
	return (0);
}

static void
hp_encode(const union message *m, struct buf *out)
{
	struct mt_err	err;

	if (message_encode(m, out, &err) != 0) {
		fprintf(stderr, "hostile-peer: encode: %s\n", err.msg);
		exit(2);
	}
}

static int
hp_send(struct hp_conn *c, const union message *m)
{
	struct buf	b;
	int		rc;

	buf_init(&b, WIRE_FRAME_MAX);
	hp_encode(m, &b);
	rc = hp_send_raw(c->fd, b.data, b.len);
	buf_done(&b);
	return (rc);
}

static void
hp_hello_msg(union message *m)
{
	memset(m, 0, sizeof *m);
	m->type = MSG_hello;
	m->hello.version = MSG_PROTO_VERSION;
	m->hello.role = "peer";
	m->hello.node_id = "hostile";
	m->hello.listen = "";
}

static void
hp_piece_msg(union message *m, const char *fid, uint64_t index)
{
	memset(m, 0, sizeof *m);
	m->type = MSG_piece_request;
	m->piece_request.file_id = fid;
	m->piece_request.index = index;
}

static void
hp_have_msg(union message *m, const char *fid)
{
	memset(m, 0, sizeof *m);
	m->type = MSG_have_request;
	m->have_request.file_id = fid;
}

/*
 * Read the next frame within timeout_s: 1 with *m (borrowing from the
 * decoder), 0 at end of stream (the other side closed), -1 on timeout or
 * error.
 */
static int
hp_recv(struct hp_conn *c, union message *m, double timeout_s)
{
	struct pollfd	 pfd;
	struct mt_err	 err;
	double		 end = hp_now() + timeout_s;
	size_t		 used;
	ssize_t		 r;
	int		 st;

	for (;;) {
		if (c->roff < c->rlen) {
			st = wire_decode_feed(c->dec, c->rb + c->roff,
			    c->rlen - c->roff, &used, &err);
			c->roff += used;
			if (st == WIRE_ERROR) {
				fprintf(stderr, "hostile-peer: bad frame: %s\n",
				    err.msg);
				return (-1);
			}
			if (st == WIRE_FRAME) {
				if (message_decode(wire_decoder_frame(c->dec),
				    m, &err) != 0)
					return (-1);
				return (1);
			}
			continue;
		}
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (hp_now() >= end)
			return (-1);
		if (poll(&pfd, 1, (int)((end - hp_now()) * 1000) + 1) <= 0)
			continue;
		r = recv(c->fd, c->rb, sizeof c->rb, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return (0);
		c->rlen = (size_t)r;
		c->roff = 0;
	}
}

/* Send hello and read the answer. */
static int
hp_hello(struct hp_conn *c)
{
	union message	m;

	hp_hello_msg(&m);
	if (hp_send(c, &m) != 0 || hp_recv(c, &m, 10) != 1 ||
	    m.type != MSG_hello) {
		fprintf(stderr, "hostile-peer: no hello back\n");
		return (-1);
	}
	return (0);
}

/*
 * Wait until the other side closes (reading and dropping what comes,
 * unless noread; with noread, poke with a ping now and then so a reset
 * shows).  Returns the seconds waited, or -1 if still open after
 * hp_wait_s.  trickle: bytes to send one every 200 ms (may be NULL).
 */
static double
hp_wait_cut(struct hp_conn *c, int noread, const uint8_t *trickle,
    size_t ntrickle)
{
	struct pollfd	 pfd;
	uint8_t		 sink[65536], ping[64];
	union message	 m;
	struct buf	 b;
	double		 start = hp_now(), next = start;
	size_t		 pinglen, ti = 0;
	ssize_t		 r;

	memset(&m, 0, sizeof m);
	m.type = MSG_ping;
	buf_init(&b, sizeof ping);
	hp_encode(&m, &b);
	pinglen = b.len;
	memcpy(ping, b.data, pinglen);
	buf_done(&b);

	while (hp_now() - start < hp_wait_s) {
		pfd.fd = c->fd;
		pfd.events = (noread ? 0 : POLLIN) | POLLRDHUP;
		if (poll(&pfd, 1, 100) > 0) {
			if (pfd.revents & (POLLERR | POLLHUP | POLLRDHUP))
				return (hp_now() - start);
			if (pfd.revents & POLLIN) {
				r = recv(c->fd, sink, sizeof sink, 0);
				if (r == 0 || (r == -1 && errno != EINTR &&
				    errno != EAGAIN))
					return (hp_now() - start);
			}
		}
		if (hp_now() >= next) {
			next = hp_now() + 0.2;
			if (trickle != NULL && ti < ntrickle) {
				if (send(c->fd, trickle + ti++, 1,
				    MSG_NOSIGNAL) == -1 && errno != EAGAIN)
					return (hp_now() - start);
			} else if (noread) {
				if (send(c->fd, ping, pinglen,
				    MSG_NOSIGNAL | MSG_DONTWAIT) == -1 &&
				    errno != EAGAIN && errno != EWOULDBLOCK)
					return (hp_now() - start);
			}
		}
	}
	return (-1);
}

static int
hp_report_cut(const char *mode, double t)
{
	if (t < 0) {
		printf("result %s open after %.1f s\n", mode, hp_wait_s);
		return (1);
	}
	printf("result %s cut after %.1f s\n", mode, t);
	return (0);
}

/* A frame head announcing len payload bytes of type piece_request. */
static size_t
hp_head(uint8_t *h, uint32_t len)
{
	const char	*type = "piece_request";
	size_t		 tl = strlen(type);

	buf_put_u32be(h, WIRE_MAGIC_START);
	h[4] = (uint8_t)tl;
	memcpy(h + 5, type, tl);
	buf_put_u32be(h + 5 + tl, len);
	return (5 + tl + 4);
}

static int
mode_announce(const char *addr, const char *mode, uint32_t len)
{
	struct hp_conn	c;
	uint8_t		h[64], body[4096];
	size_t		hl;
	double		t;

	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	hl = hp_head(h, len);
	if (hp_send_raw(c.fd, h, hl) != 0) {
		printf("result %s cut after 0.0 s (at the header)\n", mode);
		hp_close(&c);
		return (0);
	}
	memset(body, 0, sizeof body);
	buf_put_u32be(body, 40);	/* a plausible first argument */
	t = hp_wait_cut(&c, 0, body, sizeof body);
	hp_close(&c);
	return (hp_report_cut(mode, t));
}

static int
mode_silent(const char *addr)
{
	struct hp_conn	c;
	double		t;

	if (hp_open(&c, addr, 0) != 0)
		return (2);
	t = hp_wait_cut(&c, 0, NULL, 0);
	hp_close(&c);
	return (hp_report_cut("silent", t));
}

static int
mode_half(const char *addr)
{
	struct hp_conn	c;
	union message	m;
	struct buf	b;
	double		t;

	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	hp_piece_msg(&m, hp_fid, 0);
	buf_init(&b, WIRE_FRAME_MAX);
	hp_encode(&m, &b);
	if (hp_send_raw(c.fd, b.data, b.len / 2) != 0) {
		buf_done(&b);
		hp_close(&c);
		return (2);
	}
	buf_done(&b);
	t = hp_wait_cut(&c, 0, NULL, 0);
	hp_close(&c);
	return (hp_report_cut("half", t));
}

static int
mode_noread(const char *addr)
{
	struct hp_conn	c;
	union message	m;
	struct buf	b;
	long		i, n = hp_count > 0 ? hp_count : 64;
	double		t;

	if (hp_npieces == 0) {
		fprintf(stderr, "hostile-peer: noread needs -f and -p\n");
		return (2);
	}
	if (hp_open(&c, addr, 4096) != 0 || hp_hello(&c) != 0)
		return (2);
	buf_init(&b, (size_t)n * 128);
	for (i = 0; i < n; i++) {
		hp_piece_msg(&m, hp_fid, (uint64_t)i % hp_npieces);
		hp_encode(&m, &b);
	}
	/* The seeder may stop reading too: send without blocking. */
	(void)send(c.fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_done(&b);
	t = hp_wait_cut(&c, 1, NULL, 0);
	hp_close(&c);
	return (hp_report_cut("noread", t));
}

static int
mode_cancel(const char *addr)
{
	struct hp_conn	blk[ENGINE_UPLOAD_STREAMS], c;
	union message	m;
	struct buf	b;
	long		i, n = hp_count > 0 ? hp_count : 64;
	uint64_t	last;
	int		k, got, rc = 1;

	if (hp_npieces == 0) {
		fprintf(stderr, "hostile-peer: cancel needs -f and -p\n");
		return (2);
	}
	last = hp_npieces - 1;
	for (k = 0; k < ENGINE_UPLOAD_STREAMS; k++) {
		if (hp_open(&blk[k], addr, 4096) != 0 ||
		    hp_hello(&blk[k]) != 0)
			return (2);
		buf_init(&b, (size_t)n * 128);
		for (i = 0; i < n; i++) {
			hp_piece_msg(&m, hp_fid, (uint64_t)i % hp_npieces);
			hp_encode(&m, &b);
		}
		(void)send(blk[k].fd, b.data, b.len,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		buf_done(&b);
	}
	/* Let every turn fill its socket buffer and block. */
	(void)poll(NULL, 0, 1000);
	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	buf_init(&b, 1024);
	hp_piece_msg(&m, hp_fid, last);
	hp_encode(&m, &b);
	memset(&m, 0, sizeof m);
	m.type = MSG_piece_cancel;
	m.piece_cancel.file_id = hp_fid;
	m.piece_cancel.index = last;
	hp_encode(&m, &b);
	m.piece_cancel.index = 0;	/* never asked here: no answer */
	hp_encode(&m, &b);
	memset(&m, 0, sizeof m);
	m.type = MSG_ping;
	hp_encode(&m, &b);
	if (hp_send_raw(c.fd, b.data, b.len) != 0) {
		buf_done(&b);
		return (2);
	}
	buf_done(&b);
	got = hp_recv(&c, &m, 5);
	if (got != 1)
		printf("result cancel no answer\n");
	else if (m.type != MSG_error)
		printf("result cancel got %s, not cancelled\n",
		    message_name(m.type));
	else if (m.error.code != MT_E_CANCELLED)
		printf("result cancel got error %s (%s)\n",
		    mt_err_name((enum mt_errc)m.error.code), m.error.text);
	else if (hp_recv(&c, &m, 5) != 1 || m.type != MSG_ok)
		printf("result cancel the ping after it got no ok\n");
	else {
		printf("result cancel cancelled, ping answered\n");
		rc = 0;
	}
	hp_close(&c);
	for (k = 0; k < ENGINE_UPLOAD_STREAMS; k++)
		hp_close(&blk[k]);
	return (rc);
}

static int
mode_flood(const char *addr)
{
	struct hp_conn	 c;
	union message	 m;
	struct buf	 b;
	struct pollfd	 pfd;
	long		 n = hp_count > 0 ? hp_count : 20000, sent = 0;
	long		 got = 0, errors = 0, bits = 0, notes = 0;
	size_t		 off = 0;
	ssize_t		 w;
	double		 start = hp_now();
	int		 rc;

	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	buf_init(&b, (size_t)n * 128);
	for (sent = 0; sent < n; sent++) {
		if (sent % 2 == 0)
			hp_have_msg(&m, hp_fid);
		else
			hp_piece_msg(&m, hp_fid, UINT64_MAX - (uint64_t)sent);
		hp_encode(&m, &b);
	}
	/* Half the requests are have_requests (even), half piece. */
	while ((errors < n / 2 || bits < n - n / 2) &&
	    hp_now() - start < hp_wait_s) {
		pfd.fd = c.fd;
		pfd.events = POLLIN | (off < b.len ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if ((pfd.revents & POLLOUT) && off < b.len) {
			w = send(c.fd, b.data + off, b.len - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0)
				off += (size_t)w;
			else if (w == -1 && errno != EAGAIN && errno != EINTR)
				break;
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			do {
				rc = hp_recv(&c, &m, 0.001);
				if (rc == 1) {
					errors += m.type == MSG_error;
					bits += m.type == MSG_have_reply;
					notes += m.type == MSG_have;
				}
			} while (rc == 1 && c.roff < c.rlen);
			if (rc == 0)
				break;
		}
	}
	buf_done(&b);
	hp_close(&c);
	got = errors + (bits < n - n / 2 ? bits : n - n / 2);
	printf("result flood sent=%ld answered=%ld errors=%ld extra=%ld "
	    "notes=%ld in %.1f s\n", n, got, errors,
	    bits > n - n / 2 ? bits - (n - n / 2) : 0, notes,
	    hp_now() - start);
	return (0);
}

static int
mode_churn(const char *addr)
{
	struct linger	lg = { 1, 0 };
	uint8_t		h[64];
	long		i, n = hp_count > 0 ? hp_count : 500, ok = 0;
	size_t		hl;
	int		fd;

	hl = hp_head(h, 100);
	for (i = 0; i < n; i++) {
		if ((fd = hp_connect(addr, 0)) == -1)
			continue;
		ok++;
		if (i % 3 == 1)
			(void)send(fd, h, hl, MSG_NOSIGNAL);
		if (i % 2 == 1)
			(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof lg);
		close(fd);
	}
	printf("result churn connections=%ld of %ld\n", ok, n);
	return (ok > 0 ? 0 : 1);
}

/* Send m, expect an error reply with code want (0: any error). */
static int
hp_expect_error(struct hp_conn *c, const union message *m, const char *what,
    int want)
{
	union message	r;
	int		rc;

	if (hp_send(c, m) != 0) {
		printf("result %s: cut (send failed)\n", what);
		return (0);
	}
	rc = hp_recv(c, &r, 10);
	if (rc == 0) {
		printf("result %s: cut\n", what);
		return (0);
	}
	if (rc < 0) {
		printf("result %s: no answer\n", what);
		return (-1);
	}
	if (r.type != MSG_error) {
		printf("result %s: got %s, wanted error\n", what,
		    message_name(r.type));
		return (-1);
	}
	printf("result %s: error %s\n", what,
	    mt_err_name((enum mt_errc)r.error.code));
	if (want != 0 && r.error.code != (uint64_t)want)
		return (-1);
	return (0);
}

static int
mode_notshared(const char *addr)
{
	struct hp_conn	c;
	union message	m;
	int		bad = 0;

	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	hp_have_msg(&m, hp_fid);
	bad |= hp_expect_error(&c, &m, "have_request not shared",
	    MT_E_NOTFOUND);
	hp_piece_msg(&m, hp_fid, 0);
	bad |= hp_expect_error(&c, &m, "piece_request not shared",
	    MT_E_NOTFOUND);
	hp_close(&c);
	return (bad ? 1 : 0);
}

static int
mode_traversal(const char *addr)
{
	static const char *const ids[] = {
		"../../../../../../etc/passwd",
		"/etc/passwd",
		"..",
		"../x",
		"a/../../x",
		"data.bin",
		"../../../../../../../../../../../etc/hosts",	/* 40+ */
		"%2e%2e%2fetc%2fpasswd",
		"..\\..\\x",
		""
	};
	struct hp_conn	c;
	union message	m;
	size_t		i;
	int		bad = 0;

	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		hp_piece_msg(&m, ids[i], 0);
		bad |= hp_expect_error(&c, &m, "piece_request traversal",
		    0);
		if (c.fd == -1)
			break;
		hp_have_msg(&m, ids[i]);
		bad |= hp_expect_error(&c, &m, "have_request traversal", 0);
	}
	hp_close(&c);
	return (bad ? 1 : 0);
}

static int
mode_badindex(const char *addr)
{
	const uint64_t	 idx[] = { hp_npieces, hp_npieces + 1,
			    (uint64_t)1 << 31, (uint64_t)1 << 32,
			    ((uint64_t)1 << 32) + 0, UINT64_MAX,
			    (uint64_t)INT64_MAX + 1 };
	struct hp_conn	 c;
	union message	 m, r;
	size_t		 i;
	int		 bad = 0;

	if (hp_npieces == 0) {
		fprintf(stderr, "hostile-peer: badindex needs -f and -p\n");
		return (2);
	}
	if (hp_open(&c, addr, 0) != 0 || hp_hello(&c) != 0)
		return (2);
	for (i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		hp_piece_msg(&m, hp_fid, idx[i]);
		bad |= hp_expect_error(&c, &m, "piece_request bad index",
		    MT_E_BADVALUE);
	}
	/* The connection still works for an honest request. */
	hp_piece_msg(&m, hp_fid, hp_npieces - 1);
	if (hp_send(&c, &m) != 0 || hp_recv(&c, &r, 10) != 1 ||
	    r.type != MSG_piece_reply ||
	    r.piece_reply.index != hp_npieces - 1) {
		printf("result badindex: valid request after bad ones "
		    "failed\n");
		bad = 1;
	} else
		printf("result badindex: valid piece %" PRIu64 " served, "
		    "%u bytes\n", hp_npieces - 1, r.piece_reply.data.len);
	hp_close(&c);
	return (bad ? 1 : 0);
}

static int
mode_hold(const char *addr)
{
	struct hp_conn	*cs;
	struct pollfd	 pfd;
	uint8_t		 sink[4096];
	long		 n = hp_count > 0 ? hp_count : 32, i, opened = 0;
	long		 busy = 0, cut = 0;
	double		 start;
	union message	 m;

	cs = calloc((size_t)n, sizeof *cs);
	if (cs == NULL)
		return (2);
	for (i = 0; i < n; i++) {
		if (hp_open(&cs[i], addr, 0) != 0) {
			cs[i].fd = -1;
			continue;
		}
		opened++;
		hp_hello_msg(&m);
		(void)hp_send(&cs[i], &m);
	}
	start = hp_now();
	while (hp_now() - start < hp_wait_s)
		hp_sleep_ms(200);
	for (i = 0; i < n; i++) {
		if (cs[i].fd == -1)
			continue;
		pfd.fd = cs[i].fd;
		pfd.events = POLLIN | POLLRDHUP;
		if (poll(&pfd, 1, 0) > 0 &&
		    (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			/* A busy refusal is a closed connection too. */
			if (recv(cs[i].fd, sink, sizeof sink, MSG_PEEK) > 0)
				busy++;
			cut++;
		}
		hp_close(&cs[i]);
	}
	free(cs);
	printf("result hold opened=%ld cut=%ld (of them refused with data "
	    "first=%ld) after %.1f s\n", opened, cut, busy, hp_wait_s);
	return (0);
}

/*
 * Listen on HOST:PORT (port 0: any); the address bound into at.  -1 on
 * error (said on stderr).
 */
static int
hp_listen(const char *addr, char *at, size_t atlen)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof sin;
	char			 host[40], *colon;	/* an IPv4 address */
	int			 lfd, one = 1;

	strlcpy(host, addr, sizeof host);
	if ((colon = strrchr(host, ':')) == NULL) {
		fprintf(stderr, "hostile-peer: %s: no port\n", addr);
		return (-1);
	}
	*colon = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "hostile-peer: %s: not an address\n", addr);
		return (-1);
	}
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		perror("hostile-peer: socket");
		return (-1);
	}
	(void)setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(lfd, 64) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) != 0) {
		perror("hostile-peer: listen");
		close(lfd);
		return (-1);
	}
	snprintf(at, atlen, "%s:%u", host, (unsigned)ntohs(sin.sin_port));
	return (lfd);
}

/* Answer one frame of a downloader's session for mode_withhold(). */
static int
withhold_frame(struct hp_conn *c, const union message *m, uint8_t *asked,
    long *nasked, long *ncancel, long *nbogus)
{
	union message	 r;
	uint8_t		*bits;
	const char	*p;
	size_t		 blen;
	uint64_t	 i;
	int		 rc;

	switch (m->type) {
	case MSG_hello:
		hp_hello_msg(&r);
		return (hp_send(c, &r));
	case MSG_have_request:
		/* In the units it asks in ("ID/UNIT"): -p counts pieces. */
		if ((p = strchr(m->have_request.file_id, '/')) != NULL &&
		    atol(p + 1) > 0 && 524288 % atol(p + 1) == 0)
			hp_units = hp_npieces * (uint64_t)(524288 /
			    atol(p + 1));
		blen = (size_t)(hp_units + 7) / 8;
		bits = calloc(blen + 1, 1);
		if (bits == NULL)
			return (-1);
		for (i = 0; i < hp_units; i++)
			bits[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		memset(&r, 0, sizeof r);
		r.type = MSG_have_reply;
		r.have_reply.file_id = hp_fid;
		r.have_reply.npieces = hp_units;
		r.have_reply.bitfield.p = bits;
		r.have_reply.bitfield.len = (uint32_t)blen;
		rc = hp_send(c, &r);
		free(bits);
		return (rc);
	case MSG_piece_request:
		i = m->piece_request.index;
		if (i < hp_units) {
			/* Asked again after a cancel: may be cancelled again. */
			if (asked[i] == 0)
				(*nasked)++;
			asked[i] = 1;
		}
		printf("asked %" PRIu64 "\n", i);
		return (0);
	case MSG_piece_cancel:
		i = m->piece_cancel.index;
		if (i < hp_units && asked[i] == 1) {
			asked[i] = 2;
			(*ncancel)++;
		} else
			(*nbogus)++;
		printf("cancel %" PRIu64 "\n", i);
		return (0);
	default:
		return (0);
	}
}

static int
mode_withhold(const char *addr)
{
	struct pollfd		 pfd[9];
	struct hp_conn		 sub, dl[8];
	union message		 m;
	uint8_t			*asked;
	char			 listen_at[64];
	long			 want = hp_count > 0 ? hp_count : 1;
	long			 nasked = 0, ncancel = 0, nbogus = 0;
	double			 start = hp_now();
	int			 lfd, fd, n = 0, k, got;

	if (hp_npieces == 0 || hp_npieces > 1000000) {
		fprintf(stderr, "hostile-peer: withhold needs -f and -p\n");
		return (2);
	}
	hp_units = hp_npieces;
	/* Room for units down to 16 KiB. */
	if ((asked = calloc((size_t)hp_npieces * 32, 1)) == NULL)
		return (2);
	if ((lfd = hp_listen("127.0.0.1:0", listen_at,
	    sizeof listen_at)) == -1)
		return (2);
	/* Subscribe, naming our port: the peer takes us as a source. */
	if (hp_open(&sub, addr, 0) != 0)
		return (2);
	hp_hello_msg(&m);
	m.hello.listen = listen_at;
	if (hp_send(&sub, &m) != 0)
		return (2);
	hp_have_msg(&m, hp_fid);
	if (hp_send(&sub, &m) != 0)
		return (2);
	printf("listening %s\n", listen_at);
	while (ncancel < want && hp_now() - start < hp_wait_s) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (k = 0; k < n; k++) {
			pfd[k + 1].fd = dl[k].fd;
			pfd[k + 1].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n + 1, 200) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) && n < 8 &&
		    (fd = accept(lfd, NULL, NULL)) != -1) {
			memset(&dl[n], 0, sizeof dl[n]);
			dl[n].fd = fd;
			dl[n].dec = wire_decoder_create();
			n++;
		}
		for (k = 0; k < n; k++) {
			if (dl[k].fd == -1 || pfd[k + 1].revents == 0)
				continue;
			/* Every frame already here, then back to poll(). */
			while ((got = hp_recv(&dl[k], &m, 0.01)) == 1) {
				if (withhold_frame(&dl[k], &m, asked, &nasked,
				    &ncancel, &nbogus) != 0)
					break;
			}
			if (got == 0)
				hp_close(&dl[k]);
		}
	}
	printf("result withhold asked=%ld cancelled=%ld unasked=%ld\n",
	    nasked, ncancel, nbogus);
	for (k = 0; k < n; k++)
		hp_close(&dl[k]);
	hp_close(&sub);
	close(lfd);
	free(asked);
	return (ncancel >= want && nbogus == 0 ? 0 : 1);
}

static int
mode_blackhole(const char *addr)
{
	struct pollfd		 pfd;
	char			 at[64];
	int			 lfd, fd;
	long			 accepted = 0;
	double			 start = hp_now();

	if ((lfd = hp_listen(addr, at, sizeof at)) == -1)
		return (2);
	printf("listening %s\n", at);
	/* Accepted sockets stay open (never read, never written). */
	while (hp_now() - start < hp_wait_s) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) > 0 &&
		    (fd = accept(lfd, NULL, NULL)) != -1)
			accepted++;
	}
	printf("result blackhole accepted=%ld\n", accepted);
	return (0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: hostile-peer [-w SECS] [-n COUNT] "
	    "[-f FILE_ID] [-p NPIECES] MODE HOST:PORT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*mode, *addr;
	int		 ch;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "f:n:p:w:")) != -1) {
		switch (ch) {
		case 'f':
			strlcpy(hp_fid, optarg, sizeof hp_fid);
			break;
		case 'n':
			hp_count = strtol(optarg, NULL, 10);
			break;
		case 'p':
			hp_npieces = strtoull(optarg, NULL, 10);
			break;
		case 'w':
			hp_wait_s = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();
	mode = argv[0];
	addr = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(mode, "withhold") == 0)
		return (mode_withhold(addr));
	if (strcmp(mode, "huge") == 0)
		return (mode_announce(addr, mode, 0x7fffffffU));
	if (strcmp(mode, "trickle") == 0)
		return (mode_announce(addr, mode, 60000));
	if (strcmp(mode, "silent") == 0)
		return (mode_silent(addr));
	if (strcmp(mode, "half") == 0)
		return (mode_half(addr));
	if (strcmp(mode, "noread") == 0)
		return (mode_noread(addr));
	if (strcmp(mode, "flood") == 0)
		return (mode_flood(addr));
	if (strcmp(mode, "cancel") == 0)
		return (mode_cancel(addr));
	if (strcmp(mode, "churn") == 0)
		return (mode_churn(addr));
	if (strcmp(mode, "notshared") == 0)
		return (mode_notshared(addr));
	if (strcmp(mode, "traversal") == 0)
		return (mode_traversal(addr));
	if (strcmp(mode, "badindex") == 0)
		return (mode_badindex(addr));
	if (strcmp(mode, "hold") == 0)
		return (mode_hold(addr));
	if (strcmp(mode, "blackhole") == 0)
		return (mode_blackhole(addr));
	usage();
	return (2);
}
