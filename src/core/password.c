/*
 * password.c: PBKDF2-HMAC-SHA256 password hashes and the gate that caps
 * how many are computed at once.
 *
 * PKCS5_PBKDF2_HMAC() is in every OpenSSL from 1.0 on and is not
 * deprecated in 3.x; it runs the KDF of the default provider.  The
 * comparison is CRYPTO_memcmp(), whose time does not depend on where the
 * first difference is.  Nothing here logs a password or keeps a copy.
 */
#include "config.h"

#include "password.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "error.h"
#include "i18n.h"
#include "log.h"

unsigned
password_iter(int *overridden)
{
	const char		*s;
	char			*end;
	unsigned long long	 v;

	if (overridden != NULL)
		*overridden = 0;
	if ((s = getenv(PASSWORD_ITER_ENV)) == NULL || *s == '\0')
		return (PASSWORD_ITER_DEFAULT);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < PASSWORD_ITER_MIN ||
	    v > PASSWORD_ITER_MAX)
		return (PASSWORD_ITER_DEFAULT);
	if (overridden != NULL)
		*overridden = 1;
	return ((unsigned)v);
}

int
password_salt(uint8_t salt[PASSWORD_SALT_LEN], struct mt_err *err)
{
	if (RAND_bytes(salt, PASSWORD_SALT_LEN) != 1)
		return (mt_err_set(err, MT_E_INTERNAL,
		    _("cannot get random bytes")));
	return (0);
}

int
password_hash(const char *pw, size_t len,
    const uint8_t salt[PASSWORD_SALT_LEN], unsigned iter,
    uint8_t out[PASSWORD_HASH_LEN], struct mt_err *err)
{
	if (len > PASSWORD_LEN_MAX)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("password longer than %d bytes"), PASSWORD_LEN_MAX));
	if (iter < PASSWORD_ITER_MIN || iter > PASSWORD_ITER_MAX)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad password hash iteration count")));
	if (PKCS5_PBKDF2_HMAC(pw, (int)len, salt, PASSWORD_SALT_LEN,
	    (int)iter, EVP_sha256(), PASSWORD_HASH_LEN, out) != 1)
		return (mt_err_set(err, MT_E_INTERNAL,
		    _("password hashing failed")));
	return (0);
}

int
password_verify(const char *pw, size_t len,
    const uint8_t salt[PASSWORD_SALT_LEN], unsigned iter,
    const uint8_t want[PASSWORD_HASH_LEN], struct mt_err *err)
{
	uint8_t	got[PASSWORD_HASH_LEN];
	int	match;

	if (password_hash(pw, len, salt, iter, got, err) != 0)
		return (-1);
	match = CRYPTO_memcmp(got, want, PASSWORD_HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof got);
	return (match);
}

void
password_gate_init(struct password_gate *g, unsigned max)
{
	pthread_condattr_t	ca;

	memset(g, 0, sizeof *g);
	g->max = max > 0 ? max : 1;
	if (pthread_mutex_init(&g->lock, NULL) != 0)
		fatalx("password_gate_init: pthread_mutex_init failed");
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&g->cond, &ca) != 0)
		fatalx("password_gate_init: pthread_cond_init failed");
	pthread_condattr_destroy(&ca);
}

void
password_gate_done(struct password_gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
}

int
password_gate_enter(struct password_gate *g, unsigned timeout_ms,
    struct mt_err *err)
{
	struct timespec	deadline;
	int		rc = 0;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		fatal("clock_gettime");
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&g->lock);
	if (g->busy >= g->max)
		g->waited++;
	while (g->busy >= g->max && rc == 0)
		rc = pthread_cond_timedwait(&g->cond, &g->lock, &deadline);
	if (g->busy >= g->max) {
		pthread_mutex_unlock(&g->lock);
		return (mt_err_set(err, MT_E_BUSY,
		    _("too many logins at once; try again")));
	}
	g->busy++;
	pthread_mutex_unlock(&g->lock);
	return (0);
}

void
password_gate_leave(struct password_gate *g)
{
	pthread_mutex_lock(&g->lock);
	if (g->busy > 0)
		g->busy--;
	pthread_cond_signal(&g->cond);
	pthread_mutex_unlock(&g->lock);
}
