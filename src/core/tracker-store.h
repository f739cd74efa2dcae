/*
 * tracker-store.h: a tracker's state and its rules, on SQLite (WAL).
 *
 * Files (metadata and group), seeders (with expiry), users (salted
 * PBKDF2-HMAC-SHA256 hashes), sessions, groups, memberships and join
 * requests.  Every change is also an event in a replication log:
 * (origin tracker id, seq) numbered from 1 without gaps per origin, with
 * the origin's time for last-writer-wins.  Applying an event is
 * idempotent, so replays and duplicates are harmless.  A request is
 * acknowledged only after its transaction (state + event) committed.
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
 * Open (creating if needed) the database at path; tracker_id is this
 * tracker's stable origin id (kept in the db on first open if NULL).
 * Returns NULL with err set.
 */
struct tracker_store *tracker_store_open(const char *path,
		     struct mt_err *err);
void		 tracker_store_close(struct tracker_store *ts);

/* This tracker's origin id (hex), stable across restarts. */
const char	*tracker_store_id(const struct tracker_store *ts);

/*
 * Handle one client request (any C message of message.def) from a client
 * whose observed address is client_ip, at time now_ms, and append exactly
 * one reply frame to out (ok, error, or the request's reply type).
 * Returns 0 if a reply was written, -1 only if out overflowed.
 */
int		 tracker_store_handle(struct tracker_store *ts,
		     const union message *req, const char *client_ip,
		     uint64_t now_ms, struct buf *out);

/* Apply an event from a partner (idempotent).  0, or -1 with err. */
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
 * the peer's seen list (origin, seq pairs parsed from sync_hello).
 * Returns the number appended (0: caught up), or -1 on error.
 */
typedef int tracker_store_seen_fn(void *arg, const char *origin,
		     uint64_t *seq);
int		 tracker_store_events_after(struct tracker_store *ts,
		     tracker_store_seen_fn *seen, void *arg, size_t max,
		     struct buf *out);

/* Drop seeders not re-announced for TRACKER_STORE_SEEDER_TTL_MS. */
void		 tracker_store_expire(struct tracker_store *ts,
		     uint64_t now_ms);

/* Bumped on every committed change; a partner link waits on it. */
uint64_t	 tracker_store_generation(struct tracker_store *ts);

#endif /* MT_TRACKER_STORE_H */
