/*
 * tracker-client.h: a peer's connection to its trackers.
 *
 * Holds the ordered tracker list, one persistent TLS connection to the
 * tracker in use, certificate pinning (fingerprint from the .mtorrent or
 * the command line, else trust on first use recorded in a known-trackers
 * file, as ssh does), the session token, and failover: a tracker that
 * does not answer within TRACKER_CLIENT_TIMEOUT_MS is skipped and the next
 * one tried; the first is retried after a back-off.
 *
 * Thread-safe: calls are serialised by an internal mutex.
 */
#ifndef MT_TRACKER_CLIENT_H
#define MT_TRACKER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;
union message;

#define TRACKER_CLIENT_TIMEOUT_MS	1500
/* create_user and login hash a password (and may queue for it). */
#define TRACKER_CLIENT_SLOW_TIMEOUT_MS	12000

struct tracker_client;

/*
 * Returns a new client for trackers addrs[0..n) ("HOST:PORT"), using
 * known_path ("" or NULL: no TOFU store) to remember fingerprints; node_id
 * and listen are sent in hello.  Free with tracker_client_free().
 */
struct tracker_client *tracker_client_create(const char *const *addrs,
		     size_t n, const char *known_path, const char *node_id,
		     const char *listen);
void		 tracker_client_free(struct tracker_client *tc);

/* Add a tracker (if new); fpr is a SHA-256 hex pin or "" / NULL. */
void		 tracker_client_add(struct tracker_client *tc,
		     const char *addr, const char *fpr);

/*
 * Send req and wait for its reply (TRACKER_CLIENT_TIMEOUT_MS, or
 * TRACKER_CLIENT_SLOW_TIMEOUT_MS for create_user and login, per
 * tracker), failing over between trackers.  The
 * reply (m->type MSG_error for a refusal, with err filled from it) is
 * decoded into *reply; its strings are valid until the next call on tc
 * from any thread, so callers copy what they keep.  Returns 0 on a
 * non-error reply, -1 otherwise (MT_E_NET/MT_E_TIMEOUT when no tracker
 * answered, MT_E_TLS on a pin mismatch, or the tracker's error code).
 */
int		 tracker_client_call(struct tracker_client *tc,
		     const union message *req, union message *reply,
		     struct mt_err *err);

/*
 * The pinned fingerprint of addr (given, trusted on first use by an
 * earlier connection, or recorded in the known-trackers file by an
 * earlier run) into out; 0, or -1 if none is known yet.
 */
int		 tracker_client_fingerprint(struct tracker_client *tc,
		     const char *addr, char *out, size_t outlen);

/*
 * Status for display: address of tracker i, whether it answered last
 * (*up: 1 yes, 0 no, -1 not asked yet in this run).
 */
size_t		 tracker_client_count(struct tracker_client *tc);
int		 tracker_client_status(struct tracker_client *tc, size_t i,
		     char *addr, size_t addrlen, int *up, int *in_use);

#endif /* MT_TRACKER_CLIENT_H */
