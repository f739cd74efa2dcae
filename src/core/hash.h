/*
 * hash.h: SHA1 of memory and of files' pieces, and the chaining values
 * that check parts of a piece, through OpenSSL.
 *
 * hash_file_pieces() hashes a whole file in pieces using every core (one
 * thread per core plus one, each with its own SHA1 context) and reports
 * progress through a callback.  All functions are thread-safe.
 */
#ifndef MT_HASH_H
#define MT_HASH_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;

#define HASH_SHA1_LEN	20
#define HASH_THREADS_MAX 64	/* cap on hash_file_pieces() workers */

/* SHA1 of len bytes at p into out.  Returns 0, or -1 (MT_E_INTERNAL). */
int	 hash_sha1(const void *p, size_t len, uint8_t out[HASH_SHA1_LEN],
	     struct mt_err *err);

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void	 hash_hex(const uint8_t *p, size_t n, char *out);

/*
 * Parse 2n lowercase hex digits at s into n bytes; 0, or -1 if not hex
 * (uppercase digits are not hex here).  s need not be NUL-terminated.
 */
int	 hash_unhex(const char *s, size_t n, uint8_t *out);

/*
 * Called from the thread that called hash_file_pieces() (never two at
 * once), about ten times a second and once more at the end with
 * done == total.
 */
typedef void hash_progress_fn(void *arg, uint64_t done, uint64_t total);

/*
 * Chaining values (the .mtorrent's units field, man/mtorrent.5): SHA1
 * works through its input 64 bytes at a time, and its 20-byte state
 * after the first k * unit_size bytes of a piece is that piece's k-th
 * chaining value.  With the values before and after a unit, that unit
 * alone can be checked (finding other bytes that lead from one state to
 * the next is a second preimage of SHA1), and the last unit of a piece
 * is checked against the piece's own digest; so a piece can be taken
 * and passed on in units while every byte is still checked by SHA1, and
 * the values cost nothing but keeping states the piece's hashing goes
 * through anyway.
 */

/* Chaining values inside a piece of len bytes: ceil(len / unit) - 1. */
uint32_t hash_chain_count(uint32_t len, uint32_t unit_size);

/*
 * SHA1 of the piece of len bytes at p into digest and its
 * hash_chain_count(len, unit_size) chaining values into chain (20 bytes
 * each).  0, or -1 if unit_size is not a multiple of 64.
 */
int	 hash_piece_chain(const void *p, size_t len, uint32_t unit_size,
	     uint8_t *chain, uint8_t digest[HASH_SHA1_LEN]);

/*
 * Check the len bytes at p, found off bytes into their piece (a
 * multiple of 64): starting from chaining value cv (ignored when off is
 * 0), they must lead to want, which is the next chaining value, or the
 * piece's digest when last.  1 if they do, else 0.
 */
int	 hash_unit_check(const uint8_t *cv, uint64_t off, const void *p,
	     size_t len, int last, const uint8_t want[HASH_SHA1_LEN]);

/*
 * Hash the regular file at path in pieces of piece_size bytes (1 to
 * METAINFO_PIECE_SIZE) with up to nthreads threads (0 = one per online
 * core plus one, to cover disk waits; at most HASH_THREADS_MAX).  Workers take batches of pieces from a
 * shared counter and read them with pread(), so a file that shrinks while
 * it is hashed is an error, never a SIGBUS.
 *
 * On success *digests is a new array of npieces * 20 bytes (free with
 * free(); NULL for an empty file), *size the file size and *npieces the
 * piece count (0 for an empty file).  If chain is not NULL, *chain is a
 * new array of the pieces' chaining values for units of unit_size
 * (metainfo_unit_size_ok()), hash_chain_count() per piece, in order
 * (NULL for an empty file, a file of one unit, or one that needs more
 * than METAINFO_CHAIN_MAX).  progress may be NULL.  Returns 0,
 * or -1 with MT_E_IO (cannot open or read, not a regular file, the file
 * changed size while hashed), MT_E_BADVALUE (bad piece_size) or
 * MT_E_TOOBIG (piece count over METAINFO_PIECES_MAX); nothing is
 * allocated then.
 */
int	 hash_file_pieces(const char *path, uint32_t piece_size,
	     uint32_t unit_size, unsigned nthreads, uint8_t **digests,
	     uint8_t **chain, uint64_t *size, uint32_t *npieces,
	     hash_progress_fn *progress, void *arg, struct mt_err *err);

/*
 * SHA1 of the whole regular file at path (one thread, sequential reads)
 * into out; *size is set to the bytes hashed.  progress as above, may be
 * NULL.  Returns 0, or -1 with MT_E_IO.
 */
int	 hash_file_sha1(const char *path, uint8_t out[HASH_SHA1_LEN],
	     uint64_t *size, hash_progress_fn *progress, void *arg,
	     struct mt_err *err);

#endif /* MT_HASH_H */
