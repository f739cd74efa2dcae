/*
 * check_hash.c: SHA1 helpers and the parallel piece hasher (hash.c).
 *
 * Files of the sizes that matter (empty, 1 byte, exactly one piece, one
 * piece + 1, several pieces with a short tail) are written to a private
 * directory and hashed with 1, 2, 7 and "all" threads, with and without
 * chaining values (which must be what hash_piece_chain() finds); every
 * digest must
 * equal hash_sha1() of the same bytes, which is itself checked against
 * the FIPS 180 test vectors.  tests/it-create.sh checks the same against
 * split(1) and sha1sum(1).
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "hash.h"
#include "metainfo.h"
#include "xmalloc.h"

static char	tmpdir[64];

static void
setup(void)
{
	strcpy(tmpdir, "/tmp/check_hash.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write size pseudo-random bytes to a new file; returns them (free). */
static uint8_t *
make_file(const char *path, size_t size, unsigned seed)
{
	uint8_t		*data;
	uint32_t	 x = seed * 2654435761U + 1;
	size_t		 i;
	FILE		*fp;

	data = xmalloc(size);
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		data[i] = (uint8_t)x;
	}
	ck_assert_ptr_nonnull(fp = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(data, 1, size, fp), size);
	ck_assert_int_eq(fclose(fp), 0);
	return (data);
}

START_TEST(test_sha1_vectors)
{
	static const char	*million_a =
	    "34aa973cd4c4daa4f61eeb2bdbad27316534016f";
	uint8_t			 d[HASH_SHA1_LEN], *a;
	char			 hex[41];

	ck_assert_int_eq(hash_sha1("", 0, d, NULL), 0);
	hash_hex(d, sizeof d, hex);
	ck_assert_str_eq(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	ck_assert_int_eq(hash_sha1("abc", 3, d, NULL), 0);
	hash_hex(d, sizeof d, hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	ck_assert_int_eq(hash_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklm"
	    "klmnlmnomnopnopq", 56, d, NULL), 0);
	hash_hex(d, sizeof d, hex);
	ck_assert_str_eq(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	a = xmalloc(1000000);
	memset(a, 'a', 1000000);
	ck_assert_int_eq(hash_sha1(a, 1000000, d, NULL), 0);
	hash_hex(d, sizeof d, hex);
	ck_assert_str_eq(hex, million_a);
	free(a);
}
END_TEST

START_TEST(test_hex)
{
	uint8_t	raw[4] = { 0x00, 0x9f, 0xa0, 0xff }, back[4];
	char	hex[9];

	hash_hex(raw, 4, hex);
	ck_assert_str_eq(hex, "009fa0ff");
	ck_assert_int_eq(hash_unhex(hex, 4, back), 0);
	ck_assert_mem_eq(raw, back, 4);
	ck_assert_int_eq(hash_unhex("009FA0FF", 4, back), -1);
	ck_assert_int_eq(hash_unhex("009fa0fg", 4, back), -1);
	ck_assert_int_eq(hash_unhex("009f a0f", 4, back), -1);
	ck_assert_int_eq(hash_unhex("", 0, back), 0);
}
END_TEST

/* Sizes and piece sizes: the boundary cases of issue 2. */
static const struct {
	size_t		size;
	uint32_t	piece_size;
	uint32_t	npieces;
} file_rows[] = {
	{ 0, 524288, 0 },
	{ 1, 524288, 1 },
	{ 524288, 524288, 1 },
	{ 524289, 524288, 2 },
	{ 5 * 524288 + 12345, 524288, 6 },
	{ 100 * 16384 + 1, 16384, 101 },
	{ 1000, 7, 143 },
};

/* Progress as seen by the callback: never backwards, ends at total. */
struct seen {
	uint64_t	last;
	uint64_t	total;
	unsigned	calls;
	int		backwards;
};

static void
record(void *arg, uint64_t done, uint64_t total)
{
	struct seen	*s = arg;

	if (done < s->last)
		s->backwards = 1;
	s->last = done;
	s->total = total;
	s->calls++;
}

START_TEST(test_file_pieces)
{
	static const unsigned	 threads[] = { 1, 2, 0, 7 };
	struct mt_err		 err;
	struct seen		 seen;
	uint8_t			*data, *digests, *chain, d[HASH_SHA1_LEN];
	uint64_t		 size;
	uint32_t		 n, i, ps = file_rows[_i].piece_size;
	size_t			 off, len;
	unsigned		 t;
	char			*path;

	xasprintf(&path, "%s/f%d", tmpdir, _i);
	data = make_file(path, file_rows[_i].size, (unsigned)_i);
	/* Odd t: with the chaining values of half pieces, where allowed. */
	for (t = 0; t < 2 * sizeof threads / sizeof threads[0]; t++) {
		int	 units = t % 2 && metainfo_unit_size_ok(ps, ps / 2);

		memset(&seen, 0, sizeof seen);
		chain = NULL;
		ck_assert_msg(hash_file_pieces(path, ps, units ? ps / 2 : 0,
		    threads[t / 2], &digests, units ? &chain : NULL, &size,
		    &n, record, &seen, &err) == 0, "%s", err.msg);
		ck_assert_uint_eq(size, file_rows[_i].size);
		ck_assert_uint_eq(n, file_rows[_i].npieces);
		ck_assert_int_eq(seen.backwards, 0);
		ck_assert_uint_ge(seen.calls, 1);
		ck_assert_uint_eq(seen.last, size);
		ck_assert_uint_eq(seen.total, size);
		for (i = 0; i < n; i++) {
			off = (size_t)i * ps;
			len = size - off < ps ? size - off : ps;
			ck_assert_int_eq(hash_sha1(data + off, len, d, NULL),
			    0);
			ck_assert_msg(memcmp(d, digests + (size_t)i * 20,
			    20) == 0, "piece %u of %zu bytes, %u threads%s",
			    i, file_rows[_i].size, threads[t / 2],
			    units ? ", chained" : "");
			if (units && n > 0 && size > ps / 2) {
				uint8_t	cv[HASH_SHA1_LEN];

				ck_assert_ptr_nonnull(chain);
				ck_assert_int_eq(hash_piece_chain(data + off,
				    len, ps / 2, cv, d), 0);
				if (hash_chain_count((uint32_t)len, ps / 2))
					ck_assert_mem_eq(cv, chain + (size_t)i *
					    HASH_SHA1_LEN, HASH_SHA1_LEN);
			}
		}
		if (n == 0)
			ck_assert_ptr_null(digests);
		free(digests);
		free(chain);
	}
	free(data);
	free(path);
}
END_TEST

/*
 * Chaining values: a file of two pieces and a short third hashed with
 * units of 128 KiB; every unit checks alone against its neighbours'
 * values (the last of a piece against the piece digest), a changed byte
 * or a wrong starting value fails, and the values match what
 * hash_piece_chain() finds in memory.
 */
START_TEST(test_unit_chain)
{
	const uint32_t	 ps = 524288, us = 131072;
	const uint64_t	 size = 2 * 524288 + 200000;
	uint8_t		*data, *digests, *chain, d[HASH_SHA1_LEN];
	uint8_t		 mchain[3 * HASH_SHA1_LEN];
	uint64_t	 got;
	uint32_t	 n, p, k, per = ps / us, len, ulen, nk;
	const uint8_t	*cv, *want;
	struct mt_err	 err;
	char		*path;

	xasprintf(&path, "%s/chain", tmpdir);
	data = make_file(path, size, 7);
	ck_assert_int_eq(hash_file_pieces(path, ps, us, 0, &digests, &chain,
	    &got, &n, NULL, NULL, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_ptr_nonnull(chain);
	ck_assert_uint_eq(hash_chain_count(ps, us), 3);
	ck_assert_uint_eq(hash_chain_count(200000, us), 1);
	ck_assert_uint_eq(hash_chain_count(us, us), 0);
	for (p = 0; p < n; p++) {
		len = size - (uint64_t)p * ps < ps ?
		    (uint32_t)(size - (uint64_t)p * ps) : ps;
		nk = hash_chain_count(len, us);
		ck_assert_int_eq(hash_piece_chain(data + (size_t)p * ps, len,
		    us, mchain, d), 0);
		ck_assert_mem_eq(d, digests + p * HASH_SHA1_LEN,
		    HASH_SHA1_LEN);
		ck_assert_int_eq(hash_sha1(data + (size_t)p * ps, len, d,
		    NULL), 0);
		ck_assert_mem_eq(d, digests + p * HASH_SHA1_LEN,
		    HASH_SHA1_LEN);
		ck_assert_mem_eq(mchain, chain + p * (per - 1) *
		    HASH_SHA1_LEN, nk * HASH_SHA1_LEN);
		for (k = 0; k <= nk; k++) {
			uint8_t	*u = data + (size_t)p * ps + (size_t)k * us;

			ulen = len - k * us < us ? len - k * us : us;
			cv = k > 0 ? mchain + (k - 1) * HASH_SHA1_LEN : NULL;
			want = k < nk ? mchain + k * HASH_SHA1_LEN :
			    digests + p * HASH_SHA1_LEN;
			ck_assert_int_eq(hash_unit_check(cv,
			    (uint64_t)k * us, u, ulen, k == nk, want), 1);
			u[ulen / 2] ^= 1;
			ck_assert_int_eq(hash_unit_check(cv,
			    (uint64_t)k * us, u, ulen, k == nk, want), 0);
			u[ulen / 2] ^= 1;
			/* The right bytes from the wrong state fail too. */
			if (k > 1)
				ck_assert_int_eq(hash_unit_check(mchain,
				    (uint64_t)k * us, u, ulen, k == nk,
				    want), 0);
		}
	}
	/* An offset that is not a whole number of SHA1 blocks: no. */
	ck_assert_int_eq(hash_unit_check(mchain, 100, data, 64, 0, mchain),
	    0);
	/* A unit size SHA1 cannot stop at: refused. */
	ck_assert_int_eq(hash_piece_chain(data, 1000, 100, mchain, d), -1);
	free(digests);
	free(chain);
	free(data);
	free(path);
}
END_TEST

START_TEST(test_file_sha1)
{
	struct mt_err	 err;
	uint8_t		*data, d[HASH_SHA1_LEN], want[HASH_SHA1_LEN];
	uint64_t	 size;
	char		*path;

	xasprintf(&path, "%s/whole", tmpdir);
	data = make_file(path, 3 * 1024 * 1024 + 7, 9);
	ck_assert_int_eq(hash_file_sha1(path, d, &size, NULL, NULL, &err), 0);
	ck_assert_uint_eq(size, 3 * 1024 * 1024 + 7);
	ck_assert_int_eq(hash_sha1(data, (size_t)size, want, NULL), 0);
	ck_assert_mem_eq(d, want, 20);
	free(data);
	free(path);
}
END_TEST

START_TEST(test_file_errors)
{
	struct mt_err	 err;
	uint8_t		*digests, d[HASH_SHA1_LEN];
	uint64_t	 size;
	uint32_t	 n;
	char		*path;
	int		 fd;

	xasprintf(&path, "%s/missing", tmpdir);
	ck_assert_int_eq(hash_file_pieces(path, 524288, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	ck_assert_int_eq(hash_file_sha1(path, d, &size, NULL, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_IO);

	/* A directory is not a regular file. */
	ck_assert_int_eq(hash_file_pieces(tmpdir, 524288, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);

	/* Nor is a FIFO, and opening it must not hang. */
	free(path);
	xasprintf(&path, "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(hash_file_pieces(path, 524288, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	ck_assert_int_eq(hash_file_sha1(path, d, &size, NULL, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	free(path);
	xasprintf(&path, "%s/missing", tmpdir);

	/* Bad piece sizes. */
	ck_assert_int_eq(hash_file_pieces(tmpdir, 0, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_int_eq(hash_file_pieces(tmpdir, METAINFO_PIECE_SIZE + 1, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);

	/* One byte past METAINFO_PIECES_MAX pieces: refused unread. */
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	ck_assert_int_eq(ftruncate(fd, (off_t)METAINFO_PIECES_MAX * 16384 +
	    1), 0);
	close(fd);
	ck_assert_int_eq(hash_file_pieces(path, 16384, 0, 0,
	    &digests, NULL, &size, &n, NULL, NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_ptr_null(digests);
	free(path);
}
END_TEST

static Suite *
hash_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("hash");

	tc = tcase_create("sha1");
	tcase_add_test(tc, test_sha1_vectors);
	tcase_add_test(tc, test_hex);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_file_pieces, 0,
	    sizeof file_rows / sizeof file_rows[0]);
	tcase_add_test(tc, test_file_sha1);
	tcase_add_test(tc, test_unit_chain);
	tcase_add_test(tc, test_file_errors);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(hash_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
