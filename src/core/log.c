/*
 * log.c: the logger.
 *
 * Each line is formatted into a stack buffer and written with a single
 * write(), so lines from different threads never interleave.  A mutex
 * guards the ring buffer and the output fd; the level is an atomic int so
 * that log_debug() costs one load when debug is off.
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int	 log_level = LOG_LEVEL_INFO;
static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 log_fd = -1;		/* lock; -1 = stderr */
static int		 log_muted;		/* lock */
static char		 log_ring[LOG_RING_LINES][LOG_LINE_MAX]; /* lock */
static uint64_t		 log_ring_seq;		/* lock; lines ever added */
static _Thread_local char log_thread[16] = "main";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

enum log_level
log_get_level(void)
{
	return ((enum log_level)atomic_load(&log_level));
}

int
log_open(const char *path)
{
	int	fd = -1, old;

	if (path != NULL) {
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0600);
		if (fd == -1)
			return (-1);
	}
	pthread_mutex_lock(&log_lock);
	old = log_fd;
	log_fd = fd;
	pthread_mutex_unlock(&log_lock);
	if (old != -1)
		close(old);
	return (0);
}

void
log_set_stderr_muted(int muted)
{
	pthread_mutex_lock(&log_lock);
	log_muted = muted;
	pthread_mutex_unlock(&log_lock);
}

void
log_set_thread_name(const char *name)
{
	snprintf(log_thread, sizeof log_thread, "%s", name);
}

size_t
log_ring_read(uint64_t *seq, char (*lines)[LOG_LINE_MAX], size_t max)
{
	size_t		n = 0;
	uint64_t	first;

	pthread_mutex_lock(&log_lock);
	first = *seq;
	if (log_ring_seq > LOG_RING_LINES &&
	    first < log_ring_seq - LOG_RING_LINES)
		first = log_ring_seq - LOG_RING_LINES;
	while (first < log_ring_seq && n < max) {
		memcpy(lines[n], log_ring[first % LOG_RING_LINES],
		    LOG_LINE_MAX);
		n++;
		first++;
	}
	*seq = first;
	pthread_mutex_unlock(&log_lock);
	return (n);
}

static void
log_vwrite(enum log_level level, const char *errstr, const char *fmt,
    va_list ap)
{
	char		 line[LOG_LINE_MAX + 64];
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 off;
	int		 n, fd;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	off = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S", &tm);
	n = snprintf(line + off, sizeof line - off, ".%03ld %-5s [%s] ",
	    ts.tv_nsec / 1000000, level_names[level], log_thread);
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n :
		    sizeof line - off - 1;
	n = vsnprintf(line + off, sizeof line - off, fmt, ap);
	if (n > 0)
		off += (size_t)n < sizeof line - off ? (size_t)n :
		    sizeof line - off - 1;
	if (errstr != NULL && off < sizeof line - 1) {
		n = snprintf(line + off, sizeof line - off, ": %s", errstr);
		if (n > 0)
			off += (size_t)n < sizeof line - off ? (size_t)n :
			    sizeof line - off - 1;
	}
	/* Control characters from peers must not reach a terminal. */
	for (size_t i = 0; i < off; i++)
		if ((unsigned char)line[i] < 0x20)
			line[i] = '?';
	if (off > sizeof line - 2)
		off = sizeof line - 2;
	line[off++] = '\n';

	pthread_mutex_lock(&log_lock);
	memcpy(log_ring[log_ring_seq % LOG_RING_LINES], line,
	    off - 1 < LOG_LINE_MAX - 1 ? off - 1 : LOG_LINE_MAX - 1);
	log_ring[log_ring_seq % LOG_RING_LINES]
	    [off - 1 < LOG_LINE_MAX - 1 ? off - 1 : LOG_LINE_MAX - 1] = '\0';
	log_ring_seq++;
	fd = log_fd != -1 ? log_fd : (log_muted ? -1 : STDERR_FILENO);
	if (fd != -1)
		(void)!write(fd, line, off);
	pthread_mutex_unlock(&log_lock);
}

#define LOG_FUNC(name, lvl)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list	ap;							\
									\
	if (atomic_load(&log_level) < (lvl))				\
		return;							\
	va_start(ap, fmt);						\
	log_vwrite((lvl), NULL, fmt, ap);				\
	va_end(ap);							\
}

LOG_FUNC(log_debug, LOG_LEVEL_DEBUG)
LOG_FUNC(log_info, LOG_LEVEL_INFO)
LOG_FUNC(log_warn, LOG_LEVEL_WARN)
LOG_FUNC(log_error, LOG_LEVEL_ERROR)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 buf[128];

	snprintf(buf, sizeof buf, "%s", strerror(errno));
	va_start(ap, fmt);
	log_set_stderr_muted(0);
	log_vwrite(LOG_LEVEL_ERROR, buf, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_set_stderr_muted(0);
	log_vwrite(LOG_LEVEL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
