/*
 * strlcat: append src to the string in dst of size dsize, always
 * NUL-terminating when there is room; returns the length it tried to
 * make, so truncation is ret >= dsize.
 */
#include "config.h"

#include <string.h>

#include "compat.h"

size_t
strlcat(char *dst, const char *src, size_t dsize)
{
	size_t	dlen = strnlen(dst, dsize);

	if (dlen == dsize)
		return (dsize + strlen(src));
	return (dlen + strlcpy(dst + dlen, src, dsize - dlen));
}
