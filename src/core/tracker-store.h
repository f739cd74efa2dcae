/*
 * tracker-store.h: a tracker's state and its rules, on SQLite (WAL).
 *
 * Files (metadata and group), seeders (with expiry), users (salted
 * PBKDF2-HMAC-SHA256 hashes), sessions, groups, memberships and join
 * requests.  Every change is also an event in a replication log:
 * (origin tracker id, seq) numbered from 1 without gaps per origin, with
 * the origin's time for last-writer-wins.  Applying an event is
 * idempotent, so replays and duplicates are harmless.  A request is
 * acknowledged only after its transaction (state + event) committed;
 * the one exception is a seeder renewing its live entry, a liveness hint
 * kept in memory and written back by tracker_store_expire().  See
 * doc/tracker.md.
 *
 * Thread-safe: one connection per store, guarded by a mutex; password
 * hashing runs outside the lock, at most TRACKER_STORE_KDF_MAX at once.
 */
#ifndef MT_TRACKER_STORE_H
#define MT_TRACKER_STORE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct mt_err;
struct msg_sync_event;
union message;

#define TRACKER_STORE_KDF_ITER		600000
#define TRACKER_STORE_KDF_MAX		2
#define TRACKER_STORE_SEEDER_TTL_MS	(180 * 1000)	/* re-announce < 60 s */
#define TRACKER_STORE_SESSION_TTL_MS	(24ULL * 3600 * 1000)
#define TRACKER_STORE_SEEDERS_MAX	200	/* entries per reply */

struct tracker_store;

/*
 * Open (creating if needed) the database at path.  On first open a random
 * 128-bit tracker id (this tracker's origin id) is made and kept in the
 * db.  Returns NULL with err set (MT_E_DB).  Free with
 * tracker_store_close(), after every other thread stopped using it.
 */
struct tracker_store *tracker_store_open(const char *path,
		     struct mt_err *err);
void		 tracker_store_close(struct tracker_store *ts);

/* This tracker's origin id (hex), stable across restarts. */
const char	*tracker_store_id(const struct tracker_store *ts);

/*
 * Handle one client request (any C message of message.def) from a client
 * whose observed address is client_ip (NULL or "" if unknown), at time
 * now_ms (wall clock, ms since the epoch), and append exactly one reply
 * frame to out (ok, error, or the request's reply type).  A change is
 * committed (state and its replication events) before the reply is
 * written.  Any thread; create_user and login block for a password hash
 * (outside the store lock).  Returns 0 if a reply was written, -1 only if
 * out overflowed.
 */
int		 tracker_store_handle(struct tracker_store *ts,
		     const union message *req, const char *client_ip,
		     uint64_t now_ms, struct buf *out);

/*
 * Apply an event from a partner (idempotent: an event at or below the
 * highest seq seen from its origin, or one of our own, is ignored).  The
 * event is also kept, to be relayed to other partners.  0, or -1 with
 * err (MT_E_BADARGS for a malformed event, MT_E_DB).
 */
int		 tracker_store_apply(struct tracker_store *ts,
		     const struct msg_sync_event *ev, struct mt_err *err);

/*
 * The highest seq seen from each origin, as "ORIGIN SEQ" lines, for
 * sync_hello: fills items (each at most 96 bytes) and returns the count.
 */
size_t		 tracker_store_seen(struct tracker_store *ts,
		     char (*items)[96], size_t max);

/*
 * Append to out, as sync_event frames, up to max events not covered by
 * the peer's seen list (origin, seq pairs parsed from sync_hello), in
 * (origin, seq) order.  seen(arg, origin, &seq) returns 0 with the
 * peer's highest seq for origin, or non-zero if the peer has none (then
 * everything from that origin is sent); it is called with the store
 * lock held and must not call into the store.  When out fills up the
 * batch stops early.  Returns the number appended (0: caught up), or -1
 * if not even one event fitted.
 */
typedef int tracker_store_seen_fn(void *arg, const char *origin,
		     uint64_t *seq);
int		 tracker_store_events_after(struct tracker_store *ts,
		     tracker_store_seen_fn *seen, void *arg, size_t max,
		     struct buf *out);

/*
 * Write back renewals kept in memory, then drop seeders not re-announced
 * for TRACKER_STORE_SEEDER_TTL_MS before now_ms, expired sessions and old
 * seeder, session and logout events.  Not replicated: each tracker
 * expires on its own clock.  Call every few seconds.
 */
void		 tracker_store_expire(struct tracker_store *ts,
		     uint64_t now_ms);

/* Bumped on every committed change; a partner link waits on it. */
uint64_t	 tracker_store_generation(struct tracker_store *ts);

/*
 * Wait until the generation differs from gen or timeout_ms passed;
 * returns the generation then.
 */
uint64_t	 tracker_store_wait(struct tracker_store *ts, uint64_t gen,
		     unsigned timeout_ms);

/*
 * The PBKDF2 iteration count used for new password hashes: 600000
 * (TRACKER_STORE_KDF_ITER), unless the environment variable
 * MTORRENT_TEST_KDF_ITER overrode it at open (tests only; a warning is
 * logged) or tracker_store_set_kdf_iter() was called (tests only).
 */
unsigned	 tracker_store_kdf_iter(struct tracker_store *ts);
void		 tracker_store_set_kdf_iter(struct tracker_store *ts,
		     unsigned iter);

#endif /* MT_TRACKER_STORE_H */
