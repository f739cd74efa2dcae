/*
 * picker.c: piece selection policy.
 *
 * Rarest first: each pick scans the pieces once (O(npieces); 2048 for a
 * GiB, cheap beside a 512 KiB transfer) and keeps the rarest candidate;
 * ties are broken by reservoir sampling with a xorshift64 RNG so equal
 * pieces are spread uniformly across requesters, yet a seed reproduces a
 * run.  Endgame starts when no missing piece is free: duplicates of
 * in-flight pieces, fewest requests first, then the oldest request,
 * capped by endgame_max.
 *
 * Invariant: nmissing_free == number of i with !have[i] && inflight[i]==0.
 */
#include "config.h"

#include "picker.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"


void
picker_init(struct picker *p, uint32_t npieces, uint64_t seed)
{
	memset(p, 0, sizeof *p);
	p->npieces = npieces;
	p->have = xcalloc(PICKER_BITFIELD_LEN(npieces) + 1, 1);
	p->inflight = xcalloc((size_t)npieces + 1, 1);
	p->avail = xcalloc((size_t)npieces + 1, sizeof *p->avail);
	p->asked = xcalloc((size_t)npieces + 1, sizeof *p->asked);
	p->arriving = xcalloc((size_t)npieces + 1, 1);
	p->nmissing_free = npieces;
	p->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ULL;
}

void
picker_done(struct picker *p)
{
	free(p->have);
	free(p->inflight);
	free(p->avail);
	free(p->asked);
	free(p->arriving);
	memset(p, 0, sizeof *p);
}

uint64_t
picker_random(struct picker *p)
{
	uint64_t	x = p->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	p->rng = x;
	return (x);
}

int
picker_set_have(struct picker *p, uint32_t i)
{
	if (i >= p->npieces || picker_bit(p->have, i))
		return (0);
	picker_bit_set(p->have, i);
	p->nhave++;
	if (p->inflight[i] == 0)
		p->nmissing_free--;
	return (1);
}

int
picker_has(const struct picker *p, uint32_t i)
{
	return (i < p->npieces && picker_bit(p->have, i));
}

int
picker_complete(const struct picker *p)
{
	return (p->nhave == p->npieces);
}

void
picker_avail_bitfield(struct picker *p, const uint8_t *bits, int delta)
{
	uint32_t	i;

	for (i = 0; i < p->npieces; i++) {
		if (picker_bit(bits, i))
			picker_avail_piece(p, i, delta);
	}
}

void
picker_avail_piece(struct picker *p, uint32_t i, int delta)
{
	if (i >= p->npieces)
		return;
	if (delta > 0 && p->avail[i] < UINT16_MAX)
		p->avail[i]++;
	else if (delta < 0 && p->avail[i] > 0)
		p->avail[i]--;
}

uint32_t
picker_pick(struct picker *p, const uint8_t *peer_bits,
    const uint32_t *exclude, size_t nexclude, unsigned endgame_max,
    int *endgame)
{
	uint32_t	i, best = PICKER_NONE, ties = 0;
	uint64_t	best_key = UINT64_MAX, key;
	size_t		k;
	int		eg;

	if (endgame != NULL)
		*endgame = 0;
	eg = (p->nmissing_free == 0);
	if (eg && endgame_max == 0)
		return (PICKER_NONE);
	for (i = 0; i < p->npieces; i++) {
		if (picker_bit(p->have, i) || !picker_bit(peer_bits, i))
			continue;
		if (!eg) {
			if (p->inflight[i] != 0)
				continue;
			key = p->avail[i];
		} else {
			if (p->inflight[i] >= endgame_max ||
			    p->arriving[i] > 0)
				continue;
			for (k = 0; k < nexclude; k++) {
				if (exclude[k] == i)
					break;
			}
			if (k != nexclude)
				continue;
			/* Fewest requests first, then the oldest. */
			key = ((uint64_t)p->inflight[i] << 56) |
			    (p->asked[i] & ((UINT64_C(1) << 56) - 1));
		}
		if (key < best_key) {
			best_key = key;
			best = i;
			ties = 1;
		} else if (key == best_key) {
			ties++;
			if (picker_random(p) % ties == 0)
				best = i;
		}
	}
	if (best != PICKER_NONE && endgame != NULL)
		*endgame = eg;
	return (best);
}

void
picker_request(struct picker *p, uint32_t i, uint64_t now)
{
	if (i >= p->npieces)
		return;
	if (p->inflight[i] == 0) {
		p->asked[i] = now;
		if (!picker_bit(p->have, i))
			p->nmissing_free--;
	}
	if (p->inflight[i] < UINT8_MAX)
		p->inflight[i]++;
}

uint64_t
picker_asked(const struct picker *p, uint32_t i)
{
	return (i < p->npieces ? p->asked[i] : 0);
}

uint64_t
picker_endgame_before(uint64_t now, uint64_t usual, uint64_t peer,
    uint64_t fast)
{
	uint64_t	wait = PICKER_ENDGAME_LATE * usual;

	if (peer != 0 && (2 * peer <= usual || peer < fast))
		wait = 0;
	return (now > wait ? now - wait : 0);
}

void
picker_release(struct picker *p, uint32_t i)
{
	if (i >= p->npieces || p->inflight[i] == 0)
		return;
	p->inflight[i]--;
	if (p->inflight[i] == 0 && !picker_bit(p->have, i))
		p->nmissing_free++;
}

void
picker_arriving(struct picker *p, uint32_t i, int delta)
{
	if (i >= p->npieces)
		return;
	if (delta > 0 && p->arriving[i] < UINT8_MAX)
		p->arriving[i]++;
	else if (delta < 0 && p->arriving[i] > 0)
		p->arriving[i]--;
}

void
picker_reasked(struct picker *p, uint32_t i, uint64_t now)
{
	if (i < p->npieces && p->inflight[i] > 0)
		p->asked[i] = now;
}

uint32_t
picker_unavailable(const struct picker *p)
{
	uint32_t	i, n = 0;

	for (i = 0; i < p->npieces; i++) {
		if (!picker_bit(p->have, i) && p->avail[i] == 0)
			n++;
	}
	return (n);
}
