/*
 * error.h: expected failures, reported to the caller in a struct mt_err.
 *
 * Functions that can fail on input, I/O or a peer return 0 or -1 and fill
 * a caller's struct mt_err.  Tests assert err.code; err.msg is translated
 * text for people.
 */
#ifndef MT_ERROR_H
#define MT_ERROR_H

#include <stdarg.h>

enum mt_errc {
	MT_E_OK = 0,
	MT_E_NOMEM,		/* a limit on memory was reached */
	MT_E_TOOBIG,		/* a length or count is over its limit */
	MT_E_TRUNCATED,		/* input ended inside an item */
	MT_E_BADMAGIC,		/* frame start or end marker is wrong */
	MT_E_BADTYPE,		/* unknown or malformed message type */
	MT_E_BADARGS,		/* wrong number or form of arguments */
	MT_E_TRAILING,		/* bytes left after a complete item */
	MT_E_BADHEX,		/* not 40 lowercase hex digits per piece */
	MT_E_BADFIELD,		/* unknown, missing or duplicated field */
	MT_E_BADVALUE,		/* a field's value is out of range */
	MT_E_BADNAME,		/* an unsafe file name */
	MT_E_MISMATCH,		/* counts or hashes disagree */
	MT_E_IO,		/* read, write, open ... failed */
	MT_E_NET,		/* connect, send, receive failed */
	MT_E_TIMEOUT,		/* a bounded wait ran out */
	MT_E_PROTO,		/* the other side broke the protocol */
	MT_E_TLS,		/* TLS handshake or certificate failed */
	MT_E_AUTH,		/* not logged in, bad password, bad token */
	MT_E_DENIED,		/* logged in, but not allowed */
	MT_E_NOTFOUND,		/* no such user, group, file ... */
	MT_E_EXISTS,		/* already exists */
	MT_E_DB,		/* SQLite failed */
	MT_E_BUSY,		/* too many at once; try later */
	MT_E_USAGE,		/* a command was used wrongly */
	MT_E_CORRUPT,		/* data failed its hash */
	MT_E_INTERNAL,
	MT_E_CANCELLED		/* withdrawn by its sender (keep last) */
};

struct mt_err {
	enum mt_errc	 code;
	unsigned	 line;		/* 1-based input line, 0 if none */
	char		 msg[320];	/* translated, for people */
};

/* Clear err (code MT_E_OK, empty message).  err may be NULL. */
void		 mt_err_clear(struct mt_err *err);

/*
 * Set err's code and a printf-formatted message; returns -1 so callers can
 * write "return (mt_err_set(err, ...));".  err may be NULL.
 */
int		 mt_err_set(struct mt_err *err, enum mt_errc code,
		     const char *fmt, ...)
		     __attribute__((format(printf, 3, 4)));

/* As mt_err_set() but also records a line number. */
int		 mt_err_setl(struct mt_err *err, enum mt_errc code,
		     unsigned line, const char *fmt, ...)
		     __attribute__((format(printf, 4, 5)));

/* The stable English name of a code ("MT_E_BADHEX" -> "bad-hex"). */
const char	*mt_err_name(enum mt_errc code);

#endif /* MT_ERROR_H */
