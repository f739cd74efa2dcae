/*
 * net.h: TCP sockets for the framed connections.
 *
 * HOST:PORT parsing (IPv4, [IPv6] or a name), a listener, a connect with
 * a timeout, and send/receive with absolute deadlines on the monotonic
 * clock.  Every socket made here is non-blocking and close-on-exec; the
 * blocking-style helpers wait in poll(), never longer than the deadline.
 * Stateless and thread-safe.
 */
#ifndef MT_NET_H
#define MT_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mt_err;
struct sockaddr;

#define NET_ADDR_MAX	264	/* "HOST:PORT" with NUL, HOST <= 255 */
#define NET_HOST_MAX	256

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t	 net_now_ms(void);

/*
 * Split "HOST:PORT" (or "[V6]:PORT") into host (brackets removed) and
 * port.  HOST must be 1..255 characters of [A-Za-z0-9.-] or an IPv6
 * literal in brackets; PORT decimal 0..65535 (0 only if allow_zero).
 * Returns 0, or -1 with MT_E_BADVALUE.
 */
int		 net_parse_addr(const char *addr, char *host, size_t hostlen,
		     uint16_t *port, int allow_zero, struct mt_err *err);

/*
 * Listen on addr (port 0 picks a free one); returns a non-blocking fd,
 * or -1 with MT_E_BADVALUE or MT_E_NET.
 */
int		 net_listen(const char *addr, int backlog, struct mt_err *err);

/*
 * Connect to addr within timeout_ms (name resolution included); returns a
 * non-blocking fd with TCP_NODELAY, or -1 with MT_E_NET, MT_E_TIMEOUT or
 * MT_E_BADVALUE.
 */
int		 net_connect(const char *addr, int timeout_ms,
		     struct mt_err *err);

/* Format sa as "HOST:PORT" ("[V6]:PORT"); returns out. */
char		*net_format(const struct sockaddr *sa, char *out, size_t len);
/* The local (bound) address of fd as HOST:PORT; -1 on error. */
int		 net_local_addr(int fd, char *out, size_t len);
/* The remote IP of fd (no port); -1 on error. */
int		 net_peer_ip(int fd, char *out, size_t len);

int		 net_set_nonblock(int fd);

/* Longest congestion control name plus its NUL (the kernel's limit). */
#define NET_CC_NAME_MAX	16
/* 1 if name looks like a congestion control name: [a-z0-9_]{1,15}. */
int		 net_congestion_name_ok(const char *name);
/*
 * Use TCP congestion control algorithm name (such as "reno") on fd;
 * sockets accepted from a listening fd inherit it.  Returns 0, or -1
 * with MT_E_BADVALUE when the name is malformed or the kernel does not
 * offer it to this process (see tcp_allowed_congestion_control).
 */
int		 net_set_congestion(int fd, const char *name,
		     struct mt_err *err);

/*
 * The rate at which the kernel saw fd's data delivered lately (its last
 * delivery rate sample, bytes per second; TCP_INFO).  0, or -1 when
 * the kernel does not say (net-rate.c).
 */
int		 net_delivery_rate(int fd, uint64_t *bytes_per_s);

/*
 * Wait until fd is ready for events (POLLIN/POLLOUT) or deadline_ms
 * passes, or cancel_fd (if >= 0) becomes readable.  0 when ready, -1 with
 * MT_E_TIMEOUT (deadline or cancelled) or MT_E_NET.
 */
int		 net_wait(int fd, short events, uint64_t deadline_ms,
		     int cancel_fd, struct mt_err *err);

/* Send all of p, or -1 with MT_E_NET / MT_E_TIMEOUT.  Never SIGPIPE. */
int		 net_send_all(int fd, const void *p, size_t n,
		     uint64_t deadline_ms, struct mt_err *err);
/*
 * Receive at most n bytes, waiting until the deadline for some; returns
 * the count (> 0), or -1 with MT_E_NET (also on EOF) or MT_E_TIMEOUT.
 */
ssize_t		 net_recv(int fd, void *p, size_t n, uint64_t deadline_ms,
		     struct mt_err *err);

#endif /* MT_NET_H */
