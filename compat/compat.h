/* compat.h: prototypes for functions the C library may lack. */
#ifndef MT_COMPAT_H
#define MT_COMPAT_H

#include <stddef.h>

#ifndef HAVE_STRLCPY
size_t	strlcpy(char *dst, const char *src, size_t dsize);
#endif
#ifndef HAVE_STRLCAT
size_t	strlcat(char *dst, const char *src, size_t dsize);
#endif

#endif /* MT_COMPAT_H */
