/*
 * log.h: leveled, timestamped log lines.
 *
 * One line = time, level, thread name, message, written with one write()
 * to the log fd (stderr by default).  The last LOG_RING_LINES lines are
 * also kept in a ring buffer that the TUI's log pane reads, so nothing
 * needs to reach stderr while curses owns the screen.
 *
 * The logger is the one piece of process-wide state in core: it is set up
 * once by main() before any thread starts.  All functions are thread-safe.
 */
#ifndef MT_LOG_H
#define MT_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

#define LOG_RING_LINES	256
#define LOG_LINE_MAX	512

/* Set the least important level written (default LOG_LEVEL_INFO). */
void		 log_set_level(enum log_level level);
enum log_level	 log_get_level(void);

/*
 * Send lines to path (appended, created 0600) instead of stderr; NULL goes
 * back to stderr.  Returns -1 with errno set if path cannot be opened.
 */
int		 log_open(const char *path);

/* Stop (or resume) writing to stderr; lines still reach the ring. */
void		 log_set_stderr_muted(int muted);

/* Name the calling thread in log lines (at most 15 characters). */
void		 log_set_thread_name(const char *name);

/*
 * Copy up to max ring lines newer than *seq into lines (each LOG_LINE_MAX
 * bytes, NUL-terminated), oldest first; *seq is advanced.  Returns the
 * number copied.  Used by the TUI to fill its log pane.
 */
size_t		 log_ring_read(uint64_t *seq, char (*lines)[LOG_LINE_MAX],
		     size_t max);

void		 log_debug(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_info(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_warn(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));
void		 log_error(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2)));

/* Log at error level, adding strerror(errno), and exit(1). */
void		 fatal(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2), noreturn));
/* Log at error level and exit(1). */
void		 fatalx(const char *fmt, ...)
		     __attribute__((format(printf, 1, 2), noreturn));

#endif /* MT_LOG_H */
