/*
 * strhash.h: a 64-bit FNV-1a hash of a NUL-terminated string, for
 * in-memory tables and comparisons made without copying (never stored,
 * never sent: only this process compares the values).
 */
#ifndef MT_STRHASH_H
#define MT_STRHASH_H

#include <stdint.h>

static inline uint64_t
str_hash(const char *s)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (h);
}

#endif /* MT_STRHASH_H */
