/*
 * error.c: filling struct mt_err.
 *
 * Messages are formatted into a fixed buffer inside the struct, so the
 * error path never allocates.
 */
#include "config.h"

#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *const names[] = {
	[MT_E_OK] = "ok",
	[MT_E_NOMEM] = "no-memory",
	[MT_E_TOOBIG] = "too-big",
	[MT_E_TRUNCATED] = "truncated",
	[MT_E_BADMAGIC] = "bad-magic",
	[MT_E_BADTYPE] = "bad-type",
	[MT_E_BADARGS] = "bad-args",
	[MT_E_TRAILING] = "trailing",
	[MT_E_BADHEX] = "bad-hex",
	[MT_E_BADFIELD] = "bad-field",
	[MT_E_BADVALUE] = "bad-value",
	[MT_E_BADNAME] = "bad-name",
	[MT_E_MISMATCH] = "mismatch",
	[MT_E_IO] = "io",
	[MT_E_NET] = "network",
	[MT_E_TIMEOUT] = "timeout",
	[MT_E_PROTO] = "protocol",
	[MT_E_TLS] = "tls",
	[MT_E_AUTH] = "auth",
	[MT_E_DENIED] = "denied",
	[MT_E_NOTFOUND] = "not-found",
	[MT_E_EXISTS] = "exists",
	[MT_E_DB] = "database",
	[MT_E_BUSY] = "busy",
	[MT_E_USAGE] = "usage",
	[MT_E_CORRUPT] = "corrupt",
	[MT_E_INTERNAL] = "internal",
	[MT_E_CANCELLED] = "cancelled",
};

void
mt_err_clear(struct mt_err *err)
{
	if (err == NULL)
		return;
	err->code = MT_E_OK;
	err->line = 0;
	err->msg[0] = '\0';
}

static void
err_vset(struct mt_err *err, enum mt_errc code, unsigned line,
    const char *fmt, va_list ap)
{
	err->code = code;
	err->line = line;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int
mt_err_set(struct mt_err *err, enum mt_errc code, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return (-1);
	va_start(ap, fmt);
	err_vset(err, code, 0, fmt, ap);
	va_end(ap);
	return (-1);
}

int
mt_err_setl(struct mt_err *err, enum mt_errc code, unsigned line,
    const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL)
		return (-1);
	va_start(ap, fmt);
	err_vset(err, code, line, fmt, ap);
	va_end(ap);
	return (-1);
}

const char *
mt_err_name(enum mt_errc code)
{
	if ((size_t)code >= sizeof names / sizeof names[0] ||
	    names[code] == NULL)
		return ("unknown");
	return (names[code]);
}
