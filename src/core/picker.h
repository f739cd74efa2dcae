/*
 * picker.h: piece selection policy (pure: no I/O, locks, clock or logging).
 *
 * Tracks, for one torrent, which pieces we have, how many requests are in
 * flight for each, and how many peers hold each (availability).  Picks:
 * rarest first among the missing pieces a peer holds that are not in
 * flight, ties broken by a seeded RNG (deterministic for tests); when every
 * missing piece is in flight, endgame: a piece in flight elsewhere, fewest
 * requests first, then the one asked longest ago, up to a cap of
 * duplicates, never one whose reply is already arriving.  Times are the
 * caller's (any monotonic clock); the picker
 * only compares them.
 *
 * Not thread-safe: the caller (a torrent) holds its lock.
 */
#ifndef MT_PICKER_H
#define MT_PICKER_H

#include <stddef.h>
#include <stdint.h>

#define PICKER_NONE	UINT32_MAX

struct picker {
	uint32_t	 npieces;
	uint32_t	 nhave;
	uint32_t	 nmissing_free;	/* missing and not in flight */
	uint8_t		*have;		/* bitfield, MSB first */
	uint8_t		*inflight;	/* requests in flight per piece */
	uint16_t	*avail;		/* peers holding each piece */
	uint64_t	*asked;		/* when its first request went out */
	uint8_t		*arriving;	/* replies being received */
	uint64_t	 rng;		/* xorshift64 state, never 0 */
};

/* Bit i of a MSB-first bitfield. */
static inline int
picker_bit(const uint8_t *bits, uint32_t i)
{
	return ((bits[i >> 3] >> (7 - (i & 7))) & 1);
}

static inline void
picker_bit_set(uint8_t *bits, uint32_t i)
{
	bits[i >> 3] |= (uint8_t)(0x80 >> (i & 7));
}

/* Bytes of a bitfield of n bits. */
#define PICKER_BITFIELD_LEN(n)	(((size_t)(n) + 7) / 8)

/* Set up for npieces (may be 0) with an RNG seed; picker_done() frees. */
void		 picker_init(struct picker *p, uint32_t npieces, uint64_t seed);
void		 picker_done(struct picker *p);

/* Mark piece i verified (idempotent).  Returns 1 if it was new. */
int		 picker_set_have(struct picker *p, uint32_t i);
int		 picker_has(const struct picker *p, uint32_t i);
/* True once every piece is had. */
int		 picker_complete(const struct picker *p);

/*
 * Availability: add (delta +1) or remove (-1) a peer's bitfield
 * (PICKER_BITFIELD_LEN(npieces) bytes), or one piece.
 */
void		 picker_avail_bitfield(struct picker *p, const uint8_t *bits,
		     int delta);
void		 picker_avail_piece(struct picker *p, uint32_t i, int delta);

/*
 * Choose a piece for a peer holding peer_bits.  exclude[0..nexclude) are
 * pieces this requester already has in flight (never chosen twice).
 * Normal mode: rarest missing piece not in flight; endgame (no such piece
 * left anywhere): missing piece in flight with fewer than endgame_max
 * requests, fewest first, then the one asked longest ago (so a caller
 * that duplicates only late requests can stop at the first that is not;
 * picker_asked()).  Returns the index or PICKER_NONE.  Does not mark it:
 * call picker_request().  *endgame is set to 1 if the choice is an
 * endgame duplicate (may be NULL).
 */
uint32_t	 picker_pick(struct picker *p, const uint8_t *peer_bits,
		     const uint32_t *exclude, size_t nexclude,
		     unsigned endgame_max, int *endgame);

/*
 * Count a request in flight for i, sent at time now / drop it (the reply
 * came or failed).  The first request's time is kept while any is in
 * flight: picker_asked().
 */
void		 picker_request(struct picker *p, uint32_t i, uint64_t now);
uint64_t	 picker_asked(const struct picker *p, uint32_t i);
void		 picker_release(struct picker *p, uint32_t i);
/*
 * A reply for i began to arrive (delta +1) or ended (-1).  Endgame never
 * duplicates a piece that is arriving: the copy asked elsewhere would
 * come second (the receiver's progress timeout bounds a stalled one).
 */
void		 picker_arriving(struct picker *p, uint32_t i, int delta);
/*
 * Endgame: the piece was moved to a faster peer (its other requests are
 * being withdrawn): it counts as asked at now, so that it is late again
 * only from now on.
 */
void		 picker_reasked(struct picker *p, uint32_t i, uint64_t now);

/*
 * Endgame: a missing piece is asked of a second peer only once its first
 * request is late, that is when picker_asked() <= the value returned:
 * now minus PICKER_ENDGAME_LATE times `usual` (the torrent's usual time
 * from request to arrival; 0 while unknown).  A peer whose own usual
 * time `peer` (0: unknown) is at most half of `usual`, or under `fast`,
 * may duplicate at once (returns now).  Never below 0.
 */
#define PICKER_ENDGAME_LATE	2
uint64_t	 picker_endgame_before(uint64_t now, uint64_t usual,
		     uint64_t peer, uint64_t fast);

/* The next value of the picker's seeded RNG (xorshift64). */
uint64_t	 picker_random(struct picker *p);

/*
 * Missing pieces no peer holds (for "unavailable" in the snapshot).
 */
uint32_t	 picker_unavailable(const struct picker *p);

#endif /* MT_PICKER_H */
