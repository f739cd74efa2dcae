/*
 * hash.h: SHA1 of memory and of files' pieces, through OpenSSL EVP.
 *
 * hash_pieces() hashes a whole file in 512 KiB pieces using one thread
 * per core (each with its own EVP_MD_CTX) and reports progress through a
 * callback.  All functions are thread-safe.
 */
#ifndef MT_HASH_H
#define MT_HASH_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;

#define HASH_SHA1_LEN	20

/* SHA1 of len bytes at p into out.  Returns 0, or -1 (MT_E_INTERNAL). */
int	 hash_sha1(const void *p, size_t len, uint8_t out[HASH_SHA1_LEN],
	     struct mt_err *err);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void	 hash_hex(const uint8_t *p, size_t n, char *out);

/* Parse 2n lowercase hex digits into n bytes; 0, or -1 if not hex. */
int	 hash_unhex(const char *s, size_t n, uint8_t *out);

/* Called from one thread at a time with bytes hashed so far. */
typedef void hash_progress_fn(void *arg, uint64_t done, uint64_t total);

/*
 * Hash the file at path in pieces of piece_size bytes with up to nthreads
 * threads (0 = one per online core).  On success *digests is a new array
 * of npieces * 20 bytes (free with free()), *size the file size and
 * *npieces the piece count (0 for an empty file).  Returns 0, or -1 with
 * MT_E_IO or MT_E_TOOBIG (piece count over METAINFO_PIECES_MAX).
 */
int	 hash_file_pieces(const char *path, uint32_t piece_size,
	     unsigned nthreads, uint8_t **digests, uint64_t *size,
	     uint32_t *npieces, hash_progress_fn *progress, void *arg,
	     struct mt_err *err);

#endif /* MT_HASH_H */
