/*
 * strlcpy: copy src into dst of size dsize, always NUL-terminating when
 * dsize > 0; returns strlen(src), so truncation is ret >= dsize.
 */
#include "config.h"

#include <string.h>

#include "compat.h"

size_t
strlcpy(char *dst, const char *src, size_t dsize)
{
	size_t	len = strlen(src);

	if (dsize > 0) {
		size_t n = len < dsize - 1 ? len : dsize - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}
