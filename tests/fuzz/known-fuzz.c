/*
 * known-fuzz.c: libFuzzer target for the known-trackers file (tls.c:
 * tls_pin_lookup, tls_pin_check's trust on first use) and
 * tls_fpr_normalize.
 *
 * Input: a first line (the tracker address looked up), a second line (a
 * fingerprint as a user may write it), then the file's contents.
 * Checks: a fingerprint found or normalised is 64 lowercase hex and
 * normalising it again changes nothing; a pin check agrees with the
 * lookup; after trust on first use records an address, looking it up
 * again finds exactly what was recorded.
 *
 * Found here and fixed: a file that did not end with a newline got the
 * record glued to its last line, losing both pins (corpus/known/tofu-*).
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "log.h"
#include "net.h"
#include "tls.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_fpr(const char *f)
{
	char	again[TLS_FPR_LEN + 1];
	size_t	i;

	if (strlen(f) != TLS_FPR_LEN)
		abort();
	for (i = 0; i < TLS_FPR_LEN; i++)
		if (!((f[i] >= '0' && f[i] <= '9') ||
		    (f[i] >= 'a' && f[i] <= 'f')))
			abort();
	if (tls_fpr_normalize(f, again) != 0 || strcmp(f, again) != 0)
		abort();
}

/* A line of data (up to a newline or the end) as a C string. */
static const uint8_t *
fuzz_line(const uint8_t *p, const uint8_t *end, char *out, size_t len)
{
	size_t	n = 0;

	while (p < end && *p != '\n') {
		if (n + 1 < len)
			out[n++] = *p == '\0' ? ' ' : (char)*p;
		p++;
	}
	out[n] = '\0';
	return (p < end ? p + 1 : p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 path[64];
	const uint8_t	*p = data, *end = data + size;
	char		 addr[NET_ADDR_MAX], user[256];
	char		 fpr[TLS_FPR_LEN + 1], found[TLS_FPR_LEN + 1];
	char		 again[TLS_FPR_LEN + 1];
	struct mt_err	 err;
	FILE		*fp;
	int		 fd, have, rc;

	if (path[0] == '\0') {
		log_set_level(LOG_LEVEL_ERROR);
		snprintf(path, sizeof path, "/tmp/known-fuzz.%ld",
		    (long)getpid());
	}
	p = fuzz_line(p, end, addr, sizeof addr);
	p = fuzz_line(p, end, user, sizeof user);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (end > p && fwrite(p, 1, (size_t)(end - p), fp) !=
	    (size_t)(end - p))
		abort();
	fclose(fp);

	if (tls_fpr_normalize(user, fpr) == 0)
		fuzz_check_fpr(fpr);
	else
		strlcpy(fpr, "00000000000000000000000000000000"
		    "0000000000000000000000000000000a", sizeof fpr);

	have = tls_pin_lookup(path, addr, found) == 0;
	if (have)
		fuzz_check_fpr(found);
	mt_err_clear(&err);
	rc = tls_pin_check(path, addr, NULL, fpr, &err);
	if (have && (rc == 0) != (strcmp(found, fpr) == 0))
		abort();	/* the check must agree with the lookup */
	if (rc != 0 && err.code != MT_E_TLS && err.code != MT_E_IO)
		abort();
	/*
	 * Recorded on first use: a lookup now finds it, for any address a
	 * caller may pass (no blank, no newline, not a comment).
	 */
	if (!have && rc == 0 && addr[0] != '\0' && addr[0] != '#' &&
	    strchr(addr, ' ') == NULL && strchr(addr, '\r') == NULL &&
	    strlen(addr) < 200) {
		if (tls_pin_lookup(path, addr, again) != 0 ||
		    strcmp(again, fpr) != 0)
			abort();
	}
	/* An expected fingerprint wins over the file. */
	if (tls_pin_check(path, addr, fpr, fpr, &err) != 0)
		abort();
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd != -1)
		close(fd);
	return (0);
}
