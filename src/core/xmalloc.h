/*
 * xmalloc.h: allocation that never returns NULL.
 *
 * Out of memory is fatal (fatal() in log.c).  Sizes that come from the
 * network or a file must be checked against a limit before calling these.
 */
#ifndef MT_XMALLOC_H
#define MT_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t maxlen);
int	 xasprintf(char **ret, const char *fmt, ...)
	     __attribute__((format(printf, 2, 3)));

#endif /* MT_XMALLOC_H */
