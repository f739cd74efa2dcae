/*
 * net-rate.c: the kernel's measure of a TCP connection's delivery rate.
 *
 * Apart from net.c because struct tcp_info with tcpi_delivery_rate
 * (Linux 4.9) comes from <linux/tcp.h>, which cannot be included with
 * the C library's <netinet/tcp.h>.
 */
#include "config.h"

#include "net.h"

#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/tcp.h>

int
net_delivery_rate(int fd, uint64_t *bytes_per_s)
{
	struct tcp_info	ti;
	socklen_t	len = sizeof ti;

	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
		return (-1);
	/* A kernel older than the field returns a shorter struct. */
	if (len < offsetof(struct tcp_info, tcpi_delivery_rate) +
	    sizeof ti.tcpi_delivery_rate)
		return (-1);
	*bytes_per_s = ti.tcpi_delivery_rate;
	return (0);
}
