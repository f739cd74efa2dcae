/*
 * rpc.h: a framed message connection, over TLS or plain TCP, driven in a
 * blocking style with deadlines.
 *
 * One side of a connection: send typed messages (message.h), receive and
 * decode one at a time.  Every wait is bounded by an absolute deadline on
 * the monotonic clock (net_now_ms()) and can be cut short by a cancel fd
 * becoming readable.  Used by the tracker's partner links, the tracker
 * client, the test and bench tools, and later by peers.
 *
 * A connection belongs to one thread at a time; nothing here locks.
 */
#ifndef MT_RPC_H
#define MT_RPC_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;
struct msg_error;
struct msg_hello;
struct ssl_ctx_st;
struct ssl_st;
struct wire_decoder;
union message;

#define RPC_OUT_MAX	(8U * 1024 * 1024)	/* queued output limit */

struct rpc_conn;

/*
 * Connect to addr within timeout_ms; with ctx, also do the TLS handshake
 * within the same time.  Returns a new connection (free with rpc_free()),
 * or NULL with MT_E_NET, MT_E_TIMEOUT, MT_E_TLS or MT_E_BADVALUE.
 */
struct rpc_conn	*rpc_open(const char *addr, struct ssl_ctx_st *ctx,
		     int timeout_ms, int cancel_fd, struct mt_err *err);

/*
 * Wrap an established connection: fd, its TLS session (or NULL), a
 * decoder holding a partial frame (or NULL for a new one) and bytes read
 * but not yet fed to it.  Takes ownership of fd, ssl and dec.
 */
struct rpc_conn	*rpc_wrap(int fd, struct ssl_st *ssl,
		     struct wire_decoder *dec, const uint8_t *pending,
		     size_t len);

/* Close (with a TLS close_notify if it can be sent at once) and free. */
void		 rpc_free(struct rpc_conn *c);

int		 rpc_fd(const struct rpc_conn *c);
struct ssl_st	*rpc_ssl(const struct rpc_conn *c);
/* Waits also end (MT_E_TIMEOUT) when fd becomes readable; -1: none. */
void		 rpc_set_cancel_fd(struct rpc_conn *c, int fd);

/* The other side's certificate fingerprint; -1 if none or plain TCP. */
int		 rpc_peer_fingerprint(struct rpc_conn *c, char *out65);

/* Append m (or raw frame bytes) to the output; -1 with MT_E_TOOBIG. */
int		 rpc_queue(struct rpc_conn *c, const union message *m,
		     struct mt_err *err);
int		 rpc_queue_raw(struct rpc_conn *c, const void *p, size_t n,
		     struct mt_err *err);
/* Bytes queued and not yet sent. */
size_t		 rpc_queued(const struct rpc_conn *c);
/* Send everything queued by the deadline; -1 with MT_E_NET/TIMEOUT. */
int		 rpc_flush(struct rpc_conn *c, uint64_t deadline_ms,
		     struct mt_err *err);
/* rpc_queue() and rpc_flush(). */
int		 rpc_send(struct rpc_conn *c, const union message *m,
		     uint64_t deadline_ms, struct mt_err *err);

/*
 * Receive and decode the next message by the deadline.  m's strings and
 * blobs borrow from the connection: valid until the next rpc_recv() or
 * rpc_free().  Returns 0 (an error message is a message: check m->type),
 * or -1 with MT_E_TIMEOUT, MT_E_NET (closed), MT_E_TLS, or the decoder's
 * code (a broken stream: close it).
 */
int		 rpc_recv(struct rpc_conn *c, union message *m,
		     uint64_t deadline_ms, struct mt_err *err);

/* 1 if bytes are buffered, so rpc_recv() may not need to wait. */
int		 rpc_buffered(const struct rpc_conn *c);

/*
 * Send hello (MSG_PROTO_VERSION, role, node_id, listen) and wait for the
 * other side's; *their (may be NULL) borrows as rpc_recv().  An error
 * reply becomes -1 with its code; a wrong version MT_E_PROTO.
 */
int		 rpc_hello(struct rpc_conn *c, const char *role,
		     const char *node_id, const char *listen,
		     uint64_t deadline_ms, struct msg_hello *their,
		     struct mt_err *err);

/* Fill err from an error message received from the other side. */
int		 rpc_error_to_err(const struct msg_error *e,
		     struct mt_err *err);

#endif /* MT_RPC_H */
