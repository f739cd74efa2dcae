/*
 * buf.h: a growable byte buffer with a hard maximum.
 *
 * Data lives in [off, len) of a heap array; buf_consume() advances off and
 * buf_compact() moves the live bytes to the front.  Growing past max fails
 * with MT_E_TOOBIG instead of allocating, so a peer can never make a buffer
 * grow without bound.
 */
#ifndef MT_BUF_H
#define MT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;

struct buf {
	uint8_t	*data;
	size_t	 off;		/* first unread byte */
	size_t	 len;		/* end of written bytes */
	size_t	 cap;		/* allocated size */
	size_t	 max;		/* cap may never exceed this */
};

/* Initialise an empty buffer that may grow to max bytes. */
void	 buf_init(struct buf *b, size_t max);
/* Release the memory; b may be reused after buf_init(). */
void	 buf_done(struct buf *b);
/* Drop all data, keep the allocation. */
void	 buf_reset(struct buf *b);
/* Bytes readable. */
size_t	 buf_used(const struct buf *b);
/* Pointer to the first readable byte (valid until the next write). */
const uint8_t *buf_head(const struct buf *b);
/*
 * Make room for n more bytes after len; returns a pointer to them, or NULL
 * with err set to MT_E_TOOBIG if that would pass max.
 */
uint8_t	*buf_reserve(struct buf *b, size_t n, struct mt_err *err);
/* Append n bytes; 0, or -1 with MT_E_TOOBIG. */
int	 buf_add(struct buf *b, const void *p, size_t n, struct mt_err *err);
/* Mark n reserved bytes as written. */
void	 buf_commit(struct buf *b, size_t n);
/* Discard n readable bytes from the front. */
void	 buf_consume(struct buf *b, size_t n);
/* Move unread bytes to the front of the allocation. */
void	 buf_compact(struct buf *b);

/* Big-endian integer helpers used by the codecs. */
void	 buf_put_u32be(uint8_t *p, uint32_t v);
void	 buf_put_u64be(uint8_t *p, uint64_t v);
uint32_t buf_get_u32be(const uint8_t *p);
uint64_t buf_get_u64be(const uint8_t *p);

#endif /* MT_BUF_H */
