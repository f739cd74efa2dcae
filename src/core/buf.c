/*
 * buf.c: growable byte buffers with a hard maximum.
 *
 * Invariant: off <= len <= cap <= max.  Growth doubles the capacity but
 * never passes max; a request that would is refused with MT_E_TOOBIG
 * before anything is allocated.
 */
#include "config.h"

#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "xmalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void
buf_done(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

size_t
buf_used(const struct buf *b)
{
	return (b->len - b->off);
}

const uint8_t *
buf_head(const struct buf *b)
{
	return (b->data + b->off);
}

uint8_t *
buf_reserve(struct buf *b, size_t n, struct mt_err *err)
{
	size_t	need, ncap;

	if (b->cap - b->len >= n)
		return (b->data + b->len);
	/* Reclaim consumed space first: cheaper than growing. */
	if (b->off > 0) {
		buf_compact(b);
		if (b->cap - b->len >= n)
			return (b->data + b->len);
	}
	if (n > b->max || b->len > b->max - n) {
		mt_err_set(err, MT_E_TOOBIG,
		    "buffer limit of %zu bytes reached", b->max);
		return (NULL);
	}
	need = b->len + n;
	ncap = b->cap < 256 ? 256 : b->cap;
	while (ncap < need)
		ncap = ncap > b->max / 2 ? b->max : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
	return (b->data + b->len);
}

int
buf_add(struct buf *b, const void *p, size_t n, struct mt_err *err)
{
	uint8_t	*dst;

	if (n == 0)
		return (0);
	if ((dst = buf_reserve(b, n, err)) == NULL)
		return (-1);
	memcpy(dst, p, n);
	b->len += n;
	return (0);
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

void
buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void
buf_compact(struct buf *b)
{
	if (b->off == 0)
		return;
	memmove(b->data, b->data + b->off, b->len - b->off);
	b->len -= b->off;
	b->off = 0;
}

void
buf_put_u32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void
buf_put_u64be(uint8_t *p, uint64_t v)
{
	buf_put_u32be(p, (uint32_t)(v >> 32));
	buf_put_u32be(p + 4, (uint32_t)v);
}

uint32_t
buf_get_u32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

uint64_t
buf_get_u64be(const uint8_t *p)
{
	return ((uint64_t)buf_get_u32be(p) << 32 | buf_get_u32be(p + 4));
}
