/*
 * net.c: TCP sockets with deadlines.
 *
 * Sockets are non-blocking from birth (SOCK_NONBLOCK | SOCK_CLOEXEC); the
 * helpers that look blocking wait in poll() against an absolute deadline
 * on CLOCK_MONOTONIC, so no call here can hang past what its caller
 * allowed.  send() uses MSG_NOSIGNAL: a peer that goes away costs an
 * error, never a SIGPIPE.
 */
#include "config.h"

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "i18n.h"

static int	net_resolve(const char *addr, int passive, int allow_zero,
		    struct addrinfo **res, struct mt_err *err);

uint64_t
net_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

int
net_parse_addr(const char *addr, char *host, size_t hostlen, uint16_t *port,
    int allow_zero, struct mt_err *err)
{
	const char	*colon, *h, *p;
	size_t		 hlen, i;
	unsigned long	 v;
	char		*end;

	if (addr == NULL || *addr == '\0')
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("empty address (expected HOST:PORT)")));
	if ((colon = strrchr(addr, ':')) == NULL)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("address \"%.64s\" has no port (expected HOST:PORT)"),
		    addr));
	h = addr;
	hlen = (size_t)(colon - addr);
	if (*addr == '[') {
		if (hlen < 3 || addr[hlen - 1] != ']')
			return (mt_err_set(err, MT_E_BADVALUE,
			    _("bad IPv6 address in \"%.64s\""), addr));
		h = addr + 1;
		hlen -= 2;
		for (i = 0; i < hlen; i++)
			if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL)
				return (mt_err_set(err, MT_E_BADVALUE,
				    _("bad IPv6 address in \"%.64s\""), addr));
	} else {
		if (hlen == 0 || hlen >= NET_HOST_MAX)
			return (mt_err_set(err, MT_E_BADVALUE,
			    _("bad host in \"%.64s\""), addr));
		for (i = 0; i < hlen; i++) {
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-",
			    h[i]) == NULL || h[i] == '\0')
				return (mt_err_set(err, MT_E_BADVALUE,
				    _("bad host in \"%.64s\""), addr));
		}
	}
	if (hlen + 1 > hostlen)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("host too long in \"%.64s\""), addr));
	p = colon + 1;
	if (*p < '0' || *p > '9' || strlen(p) > 5)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad port in \"%.64s\""), addr));
	errno = 0;
	v = strtoul(p, &end, 10);
	if (*end != '\0' || errno != 0 || v > 65535 || (v == 0 && !allow_zero))
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad port in \"%.64s\""), addr));
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)v;
	return (0);
}

/* Resolve addr for bind (passive) or connect; free *res with freeaddrinfo. */
static int
net_resolve(const char *addr, int passive, int allow_zero,
    struct addrinfo **res, struct mt_err *err)
{
	struct addrinfo	 hints;
	char		 host[NET_HOST_MAX], port[8];
	uint16_t	 p;
	int		 rc;

	if (net_parse_addr(addr, host, sizeof host, &p, allow_zero, err) != 0)
		return (-1);
	snprintf(port, sizeof port, "%u", (unsigned)p);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	if ((rc = getaddrinfo(host, port, &hints, res)) != 0)
		return (mt_err_set(err, MT_E_NET,
		    _("cannot resolve \"%.64s\": %s"), host, gai_strerror(rc)));
	return (0);
}

int
net_set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return (-1);
	return (fcntl(fd, F_SETFL, fl | O_NONBLOCK));
}

int
net_congestion_name_ok(const char *name)
{
	size_t	i, n = strlen(name);

	/* Kernel names are short (TCP_CA_NAME_MAX 16) lower-case words. */
	if (n == 0 || n >= NET_CC_NAME_MAX)
		return (0);
	for (i = 0; i < n; i++) {
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return (0);
	}
	return (1);
}

int
net_set_congestion(int fd, const char *name, struct mt_err *err)
{
	if (!net_congestion_name_ok(name))
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad congestion control name \"%.64s\""), name));
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name,
	    (socklen_t)strlen(name)) != 0)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("congestion control \"%s\" not available: %s "
		    "(see /proc/sys/net/ipv4/tcp_allowed_congestion_control)"),
		    name, strerror(errno)));
	return (0);
}

int
net_listen(const char *addr, int backlog, struct mt_err *err)
{
	struct addrinfo	*res, *ai;
	int		 fd = -1, one = 1, saved = 0;

	if (net_resolve(addr, 1, 1, &res, err) != 0)
		return (-1);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		return (mt_err_set(err, MT_E_NET,
		    _("cannot listen on %.64s: %s"), addr, strerror(saved)));
	return (fd);
}

int
net_connect(const char *addr, int timeout_ms, struct mt_err *err)
{
	struct addrinfo	*res, *ai;
	uint64_t	 deadline;
	socklen_t	 sl;
	int		 fd = -1, one = 1, soerr;
	struct mt_err	 e;

	deadline = net_now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
	if (net_resolve(addr, 0, 0, &res, err) != 0)
		return (-1);
	mt_err_set(&e, MT_E_NET, _("cannot connect to %.64s"), addr);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			if (net_wait(fd, POLLOUT, deadline, -1, &e) == 0) {
				sl = sizeof soerr;
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
				    &soerr, &sl) == 0 && soerr == 0)
					break;
				mt_err_set(&e, MT_E_NET,
				    _("cannot connect to %.64s: %s"), addr,
				    strerror(soerr));
			}
		} else
			mt_err_set(&e, MT_E_NET,
			    _("cannot connect to %.64s: %s"), addr,
			    strerror(errno));
		close(fd);
		fd = -1;
		if (e.code == MT_E_TIMEOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd == -1 && err != NULL)
		*err = e;
	return (fd);
}

char *
net_format(const struct sockaddr *sa, char *out, size_t len)
{
	char	ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(out, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
		snprintf(out, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else
		snprintf(out, len, "?:0");
	return (out);
}

int
net_local_addr(int fd, char *out, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return (-1);
	net_format((struct sockaddr *)&ss, out, len);
	return (0);
}

int
net_peer_ip(int fd, char *out, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sl = sizeof ss;
	const void		*a;

	if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return (-1);
	if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	if (inet_ntop(ss.ss_family, a, out, (socklen_t)len) == NULL)
		return (-1);
	return (0);
}

int
net_wait(int fd, short events, uint64_t deadline_ms, int cancel_fd,
    struct mt_err *err)
{
	struct pollfd	pfd[2];
	uint64_t	now;
	int		n, nfds;

	for (;;) {
		now = net_now_ms();
		if (now >= deadline_ms)
			return (mt_err_set(err, MT_E_TIMEOUT,
			    _("timed out waiting for the network")));
		pfd[0].fd = fd;
		pfd[0].events = events;
		pfd[0].revents = 0;
		nfds = 1;
		if (cancel_fd >= 0) {
			pfd[1].fd = cancel_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			nfds = 2;
		}
		n = poll(pfd, (nfds_t)nfds, (int)(deadline_ms - now));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (mt_err_set(err, MT_E_NET, "poll: %s",
			    strerror(errno)));
		}
		if (nfds == 2 && pfd[1].revents != 0)
			return (mt_err_set(err, MT_E_TIMEOUT,
			    _("cancelled")));
		if (pfd[0].revents != 0)
			return (0);
	}
}

int
net_send_all(int fd, const void *p, size_t n, uint64_t deadline_ms,
    struct mt_err *err)
{
	const uint8_t	*b = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, b, n, MSG_NOSIGNAL);
		if (w > 0) {
			b += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (net_wait(fd, POLLOUT, deadline_ms, -1, err) != 0)
				return (-1);
			continue;
		}
		return (mt_err_set(err, MT_E_NET, _("send failed: %s"),
		    strerror(errno)));
	}
	return (0);
}

ssize_t
net_recv(int fd, void *p, size_t n, uint64_t deadline_ms, struct mt_err *err)
{
	ssize_t	r;

	for (;;) {
		r = recv(fd, p, n, 0);
		if (r > 0)
			return (r);
		if (r == 0)
			return (mt_err_set(err, MT_E_NET,
			    _("connection closed by the other side")));
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (mt_err_set(err, MT_E_NET,
			    _("receive failed: %s"), strerror(errno)));
		if (net_wait(fd, POLLIN, deadline_ms, -1, err) != 0)
			return (-1);
	}
}
