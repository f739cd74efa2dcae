/*
 * password.h: salted slow password hashes (PBKDF2-HMAC-SHA256, OpenSSL).
 *
 * A password is stored as (iterations, 16-byte random salt, 32-byte
 * PBKDF2-HMAC-SHA256 output), never in clear; verification recomputes
 * and compares with CRYPTO_memcmp() (constant time).  Hashing is slow on
 * purpose (about a third of a second at the default count on one core),
 * so the number computed at once is capped by a password_gate, a
 * counting semaphore with a bounded wait.
 *
 * Everything here is thread-safe; a gate is shared by its users.
 */
#ifndef MT_PASSWORD_H
#define MT_PASSWORD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct mt_err;

#define PASSWORD_SALT_LEN	16
#define PASSWORD_HASH_LEN	32
#define PASSWORD_ITER_DEFAULT	600000	/* OWASP 2023 for PBKDF2-SHA256 */
#define PASSWORD_ITER_MIN	1	/* tests only; see password_iter() */
#define PASSWORD_ITER_MAX	10000000
#define PASSWORD_LEN_MAX	1024	/* bytes */
/* Test-only override of the iteration count (never set in production). */
#define PASSWORD_ITER_ENV	"MTORRENT_TEST_KDF_ITER"

/*
 * The iteration count for new hashes: PASSWORD_ITER_DEFAULT, unless the
 * environment variable PASSWORD_ITER_ENV holds a number in
 * [PASSWORD_ITER_MIN, PASSWORD_ITER_MAX] (test suites use it to stay
 * fast; callers log a warning when it is in effect, see *overridden).
 */
unsigned	 password_iter(int *overridden);

/* Fill salt with random bytes (RAND_bytes).  0, or -1 (MT_E_INTERNAL). */
int		 password_salt(uint8_t salt[PASSWORD_SALT_LEN],
		     struct mt_err *err);

/*
 * PBKDF2-HMAC-SHA256 of the len bytes of pw with salt and iter rounds
 * into out.  Returns 0, or -1 with MT_E_BADVALUE (len over
 * PASSWORD_LEN_MAX, iter out of range) or MT_E_INTERNAL.
 */
int		 password_hash(const char *pw, size_t len,
		     const uint8_t salt[PASSWORD_SALT_LEN], unsigned iter,
		     uint8_t out[PASSWORD_HASH_LEN], struct mt_err *err);

/*
 * Recompute and compare in constant time with want.  Returns 1 on a
 * match, 0 on a mismatch, -1 with err set if hashing failed.
 */
int		 password_verify(const char *pw, size_t len,
		     const uint8_t salt[PASSWORD_SALT_LEN], unsigned iter,
		     const uint8_t want[PASSWORD_HASH_LEN], struct mt_err *err);

/*
 * A counting semaphore capping concurrent hashes.  Embed it, set it up
 * with password_gate_init(ts, max) and tear it down with
 * password_gate_done() once no thread uses it.
 */
struct password_gate {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* CLOCK_MONOTONIC */
	unsigned	 busy;		/* lock */
	unsigned	 max;		/* immutable after init */
	uint64_t	 waited;	/* lock; times a caller had to wait */
};

void		 password_gate_init(struct password_gate *g, unsigned max);
void		 password_gate_done(struct password_gate *g);

/*
 * Take a slot, waiting at most timeout_ms for one to free.  Returns 0,
 * or -1 with MT_E_BUSY if none freed in time.
 */
int		 password_gate_enter(struct password_gate *g,
		     unsigned timeout_ms, struct mt_err *err);
/* Give back a slot taken by password_gate_enter(). */
void		 password_gate_leave(struct password_gate *g);

#endif /* MT_PASSWORD_H */
