/*
 * rpc.c: a framed message connection with deadlines.
 *
 * Input is read in large chunks (SSL_read or recv into a 64 KiB buffer)
 * and fed to a wire decoder; rpc_recv() returns one decoded message at a
 * time and keeps the rest for the next call.  Output is appended to a
 * bounded buffer and written in as few calls as possible, so a caller
 * that pipelines requests (rpc_queue() several, one rpc_flush()) pays
 * one TLS record and one syscall for the batch.
 */
#include "config.h"

#include "rpc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "message.h"
#include "net.h"
#include "tls.h"
#include "wire.h"
#include "xmalloc.h"

#define RPC_IN_SIZE	(64U * 1024)

struct rpc_conn {
	int			 fd;
	SSL			*ssl;		/* NULL: plain TCP */
	int			 cancel_fd;
	struct wire_decoder	*dec;
	uint8_t			*in;		/* RPC_IN_SIZE */
	size_t			 in_off;
	size_t			 in_len;
	struct buf		 out;
};

static int	rpc_read_some(struct rpc_conn *c, uint64_t deadline_ms,
		    struct mt_err *err);

struct rpc_conn *
rpc_wrap(int fd, struct ssl_st *ssl, struct wire_decoder *dec,
    const uint8_t *pending, size_t len)
{
	struct rpc_conn	*c;

	c = xcalloc(1, sizeof *c);
	c->fd = fd;
	c->ssl = ssl;
	c->cancel_fd = -1;
	c->dec = dec != NULL ? dec : wire_decoder_create();
	c->in = xmalloc(RPC_IN_SIZE > len ? RPC_IN_SIZE : len);
	if (len > 0)
		memcpy(c->in, pending, len);
	c->in_len = len;
	buf_init(&c->out, RPC_OUT_MAX);
	return (c);
}

struct rpc_conn *
rpc_open(const char *addr, struct ssl_ctx_st *ctx, int timeout_ms,
    int cancel_fd, struct mt_err *err)
{
	uint64_t	 deadline = net_now_ms() + (uint64_t)timeout_ms;
	SSL		*ssl = NULL;
	int		 fd;
	struct rpc_conn	*c;

	if ((fd = net_connect(addr, timeout_ms, err)) == -1)
		return (NULL);
	if (ctx != NULL) {
		if ((ssl = tls_new(ctx, fd, 0, err)) == NULL) {
			close(fd);
			return (NULL);
		}
		if (tls_handshake(ssl, fd, deadline, cancel_fd, err) != 0) {
			tls_free(ssl);
			close(fd);
			return (NULL);
		}
	}
	c = rpc_wrap(fd, ssl, NULL, NULL, 0);
	c->cancel_fd = cancel_fd;
	return (c);
}

void
rpc_free(struct rpc_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		/* Best effort close_notify: the socket is non-blocking. */
		SSL_shutdown(c->ssl);
		ERR_clear_error();
		tls_free(c->ssl);
	}
	if (c->fd != -1)
		close(c->fd);
	wire_decoder_free(c->dec);
	free(c->in);
	buf_done(&c->out);
	free(c);
}

int
rpc_fd(const struct rpc_conn *c)
{
	return (c->fd);
}

struct ssl_st *
rpc_ssl(const struct rpc_conn *c)
{
	return (c->ssl);
}

void
rpc_set_cancel_fd(struct rpc_conn *c, int fd)
{
	c->cancel_fd = fd;
}

int
rpc_peer_fingerprint(struct rpc_conn *c, char *out65)
{
	if (c->ssl == NULL) {
		out65[0] = '\0';
		return (-1);
	}
	return (tls_peer_fingerprint(c->ssl, out65));
}

int
rpc_queue(struct rpc_conn *c, const union message *m, struct mt_err *err)
{
	return (message_encode(m, &c->out, err));
}

int
rpc_queue_raw(struct rpc_conn *c, const void *p, size_t n,
    struct mt_err *err)
{
	return (buf_add(&c->out, p, n, err));
}

size_t
rpc_queued(const struct rpc_conn *c)
{
	return (buf_used(&c->out));
}

int
rpc_flush(struct rpc_conn *c, uint64_t deadline_ms, struct mt_err *err)
{
	size_t	n;
	ssize_t	w;
	int	rc, e;

	while ((n = buf_used(&c->out)) > 0) {
		if (c->ssl == NULL) {
			w = send(c->fd, buf_head(&c->out), n, MSG_NOSIGNAL);
			if (w > 0) {
				buf_consume(&c->out, (size_t)w);
				continue;
			}
			if (w == -1 && errno == EINTR)
				continue;
			if (w == -1 && (errno == EAGAIN ||
			    errno == EWOULDBLOCK)) {
				if (net_wait(c->fd, POLLOUT, deadline_ms,
				    c->cancel_fd, err) != 0)
					return (-1);
				continue;
			}
			return (mt_err_set(err, MT_E_NET, _("send failed: %s"),
			    strerror(errno)));
		}
		ERR_clear_error();
		rc = SSL_write(c->ssl, buf_head(&c->out),
		    n > 1U << 30 ? 1 << 30 : (int)n);
		if (rc > 0) {
			buf_consume(&c->out, (size_t)rc);
			continue;
		}
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			if (net_wait(c->fd, e == SSL_ERROR_WANT_WRITE ?
			    POLLOUT : POLLIN, deadline_ms, c->cancel_fd,
			    err) != 0)
				return (-1);
			continue;
		}
		ERR_clear_error();
		return (mt_err_set(err, MT_E_NET,
		    _("connection lost while sending")));
	}
	buf_reset(&c->out);
	return (0);
}

int
rpc_send(struct rpc_conn *c, const union message *m, uint64_t deadline_ms,
    struct mt_err *err)
{
	if (rpc_queue(c, m, err) != 0)
		return (-1);
	return (rpc_flush(c, deadline_ms, err));
}

/* Read at least one byte into the (empty) input buffer by the deadline. */
static int
rpc_read_some(struct rpc_conn *c, uint64_t deadline_ms, struct mt_err *err)
{
	ssize_t	r;
	int	rc, e;

	c->in_off = c->in_len = 0;
	for (;;) {
		if (c->ssl == NULL) {
			r = recv(c->fd, c->in, RPC_IN_SIZE, 0);
			if (r > 0) {
				c->in_len = (size_t)r;
				return (0);
			}
			if (r == 0)
				return (mt_err_set(err, MT_E_NET,
				    _("connection closed by the other side")));
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (mt_err_set(err, MT_E_NET,
				    _("receive failed: %s"), strerror(errno)));
			if (net_wait(c->fd, POLLIN, deadline_ms, c->cancel_fd,
			    err) != 0)
				return (-1);
			continue;
		}
		ERR_clear_error();
		rc = SSL_read(c->ssl, c->in, RPC_IN_SIZE);
		if (rc > 0) {
			c->in_len = (size_t)rc;
			return (0);
		}
		e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (net_wait(c->fd, e == SSL_ERROR_WANT_READ ?
			    POLLIN : POLLOUT, deadline_ms, c->cancel_fd,
			    err) != 0)
				return (-1);
			continue;
		}
		ERR_clear_error();
		if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL)
			return (mt_err_set(err, MT_E_NET,
			    _("connection closed by the other side")));
		return (mt_err_set(err, MT_E_TLS, _("TLS error while "
		    "receiving")));
	}
}

int
rpc_recv(struct rpc_conn *c, union message *m, uint64_t deadline_ms,
    struct mt_err *err)
{
	enum wire_status	st;
	size_t			used;

	for (;;) {
		while (c->in_off < c->in_len) {
			st = wire_decode_feed(c->dec, c->in + c->in_off,
			    c->in_len - c->in_off, &used, err);
			c->in_off += used;
			if (st == WIRE_ERROR)
				return (-1);
			if (st == WIRE_FRAME)
				return (message_decode(
				    wire_decoder_frame(c->dec), m, err));
		}
		if (rpc_read_some(c, deadline_ms, err) != 0)
			return (-1);
	}
}

int
rpc_buffered(const struct rpc_conn *c)
{
	return (c->in_off < c->in_len ||
	    (c->ssl != NULL && SSL_pending(c->ssl) > 0));
}

int
rpc_error_to_err(const struct msg_error *e, struct mt_err *err)
{
	enum mt_errc	code;

	code = e->code > 0 && e->code <= MT_E_CANCELLED ?
	    (enum mt_errc)e->code : MT_E_PROTO;
	return (mt_err_set(err, code, "%s", e->text));
}

int
rpc_hello(struct rpc_conn *c, const char *role, const char *node_id,
    const char *listen, uint64_t deadline_ms, struct msg_hello *their,
    struct mt_err *err)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_hello;
	m.hello.version = MSG_PROTO_TRACKER;
	m.hello.role = role;
	m.hello.node_id = node_id != NULL ? node_id : "";
	m.hello.listen = listen != NULL ? listen : "";
	if (rpc_send(c, &m, deadline_ms, err) != 0)
		return (-1);
	if (rpc_recv(c, &m, deadline_ms, err) != 0)
		return (-1);
	if (m.type == MSG_error)
		return (rpc_error_to_err(&m.error, err));
	if (m.type != MSG_hello)
		return (mt_err_set(err, MT_E_PROTO,
		    _("expected hello, got %s"), message_name(m.type)));
	if (!MSG_PROTO_OK(m.hello.version))
		return (mt_err_set(err, MT_E_PROTO,
		    _("protocol version %llu is not supported (want %d)"),
		    (unsigned long long)m.hello.version, MSG_PROTO_VERSION));
	if (their != NULL)
		*their = m.hello;
	return (0);
}
