/*
 * upsched.h: the upload scheduler, a priority gate in front of the
 * peer's uplink.
 *
 * Every upload connection has a thread of its own, but the uplink is
 * one: if k connections send at once, each piece leaves at 1/k of the
 * link's rate and reaches its receiver k times later, so a fresh piece
 * is relayed late and the swarm idles.  The scheduler lets at most
 * `streams` pieces be sent at a time; the others wait their turn in
 * order of a key the caller gives (lower first, ties in arrival order).
 * transfer.c uses the arrival time plus a penalty for pieces it has
 * already sent often, so fresh pieces go out first and old requests
 * still get served (doc/architecture.md, "Swarms").
 *
 * Thread-safe; every wait is bounded by the caller's timeout.
 */
#ifndef MT_UPSCHED_H
#define MT_UPSCHED_H

#include <stdint.h>

struct upsched;

/* A gate letting `streams` (>= 1) turns run at once; upsched_free(). */
struct upsched	*upsched_create(unsigned streams);
/* Free; every ticket must have left.  NULL is a no-op. */
void		 upsched_free(struct upsched *us);

/* Queue for a turn with priority key; returns a ticket (never 0). */
uint64_t	 upsched_enter(struct upsched *us, uint64_t key);
/*
 * The same, and when the turn is granted write an eventfd count of 1 to
 * wakefd (if >= 0), so that its owner can wait in poll() for the turn
 * and for its socket at once.
 */
uint64_t	 upsched_enter_fd(struct upsched *us, uint64_t key, int wakefd);
/*
 * Wait at most timeout_ms for ticket's turn (0 only checks).  Returns 1
 * once it is granted (it stays granted until upsched_leave()), 0 if not
 * yet: the ticket keeps its place.
 */
int		 upsched_wait(struct upsched *us, uint64_t ticket,
		     unsigned timeout_ms);
/* Leave the queue, or end a granted turn. */
void		 upsched_leave(struct upsched *us, uint64_t ticket);
/* Turns running now and tickets waiting (for tests and the snapshot). */
void		 upsched_counts(struct upsched *us, unsigned *active,
		     unsigned *waiting);

#endif /* MT_UPSCHED_H */
