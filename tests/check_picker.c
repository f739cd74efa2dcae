/*
 * check_picker.c: piece selection policy.  Rarest first, ties spread
 * randomly but reproducibly for a seed, requests never duplicated before
 * the endgame, and the endgame cap.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "picker.h"

#define N	64

static uint8_t	all[PICKER_BITFIELD_LEN(N)];

static void
setup(void)
{
	memset(all, 0xff, sizeof all);
}

START_TEST(test_rarest_first)
{
	struct picker	p;
	uint8_t		other[PICKER_BITFIELD_LEN(N)];
	uint32_t	i;

	picker_init(&p, N, 1);
	/* Three peers hold everything but piece 17, held by one. */
	picker_avail_bitfield(&p, all, 1);
	picker_avail_bitfield(&p, all, 1);
	memset(other, 0xff, sizeof other);
	other[17 / 8] &= (uint8_t)~(0x80 >> (17 % 8));
	picker_avail_bitfield(&p, other, 1);
	ck_assert_uint_eq(p.avail[17], 2);
	ck_assert_uint_eq(p.avail[3], 3);
	i = picker_pick(&p, all, NULL, 0, 2, NULL);
	ck_assert_uint_eq(i, 17);
	/* A peer without 17 gets something else. */
	i = picker_pick(&p, other, NULL, 0, 2, NULL);
	ck_assert_uint_ne(i, 17);
	ck_assert_uint_lt(i, N);
	picker_done(&p);
}
END_TEST

START_TEST(test_only_peer_pieces)
{
	struct picker	p;
	uint8_t		bits[PICKER_BITFIELD_LEN(N)];

	picker_init(&p, N, 7);
	memset(bits, 0, sizeof bits);
	picker_bit_set(bits, 40);
	picker_avail_bitfield(&p, bits, 1);
	ck_assert_uint_eq(picker_pick(&p, bits, NULL, 0, 2, NULL), 40);
	picker_request(&p, 40, 1);
	/* In flight, not endgame (other pieces free): nothing else. */
	ck_assert_uint_eq(picker_pick(&p, bits, NULL, 0, 2, NULL),
	    PICKER_NONE);
	picker_done(&p);
}
END_TEST

START_TEST(test_ties_random_deterministic)
{
	struct picker	a, b;
	uint32_t	seq_a[N], seq_b[N], i, n, counts[N];
	int		in_order = 1;

	picker_init(&a, N, 42);
	picker_init(&b, N, 42);
	memset(counts, 0, sizeof counts);
	for (n = 0; n < N; n++) {
		seq_a[n] = picker_pick(&a, all, NULL, 0, 2, NULL);
		seq_b[n] = picker_pick(&b, all, NULL, 0, 2, NULL);
		ck_assert_uint_lt(seq_a[n], N);
		picker_request(&a, seq_a[n], n);
		picker_request(&b, seq_b[n], n);
		counts[seq_a[n]]++;
		if (seq_a[n] != n)
			in_order = 0;
	}
	/* Same seed, same sequence; every piece exactly once; shuffled. */
	ck_assert_mem_eq(seq_a, seq_b, sizeof seq_a);
	for (i = 0; i < N; i++)
		ck_assert_uint_eq(counts[i], 1);
	ck_assert_int_eq(in_order, 0);
	picker_done(&a);
	picker_done(&b);

	/* Another seed gives another order. */
	picker_init(&a, N, 43);
	for (n = 0; n < N; n++) {
		seq_b[n] = picker_pick(&a, all, NULL, 0, 2, NULL);
		picker_request(&a, seq_b[n], n);
	}
	ck_assert_int_ne(memcmp(seq_a, seq_b, sizeof seq_a), 0);
	picker_done(&a);
}
END_TEST

START_TEST(test_endgame)
{
	struct picker	p;
	uint32_t	i, ex[1];
	int		eg;

	picker_init(&p, 4, 3);
	picker_avail_bitfield(&p, all, 1);
	picker_set_have(&p, 0);
	picker_set_have(&p, 1);
	picker_request(&p, 2, 10);
	i = picker_pick(&p, all, NULL, 0, 2, &eg);
	ck_assert_uint_eq(i, 3);
	ck_assert_int_eq(eg, 0);
	picker_request(&p, 3, 20);
	/* All missing pieces in flight: endgame duplicates. */
	ex[0] = 3;
	i = picker_pick(&p, all, ex, 1, 2, &eg);
	ck_assert_uint_eq(i, 2);
	ck_assert_int_eq(eg, 1);
	picker_request(&p, 2, 30);
	/* 2 is at the cap now; 3 has one request. */
	i = picker_pick(&p, all, NULL, 0, 2, &eg);
	ck_assert_uint_eq(i, 3);
	picker_request(&p, 3, 40);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg),
	    PICKER_NONE);
	/* No endgame allowed: nothing. */
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 0, &eg),
	    PICKER_NONE);
	/* First copy wins; a release after have keeps counts sane. */
	ck_assert_int_eq(picker_set_have(&p, 2), 1);
	ck_assert_int_eq(picker_set_have(&p, 2), 0);
	picker_release(&p, 2);
	picker_release(&p, 2);
	ck_assert_uint_eq(p.nmissing_free, 0);
	picker_release(&p, 3);
	picker_release(&p, 3);
	ck_assert_uint_eq(p.nmissing_free, 1);
	picker_set_have(&p, 3);
	ck_assert_int_eq(picker_complete(&p), 1);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), PICKER_NONE);
	picker_done(&p);
}
END_TEST

START_TEST(test_endgame_oldest_first)
{
	struct picker	p;
	int		eg;

	picker_init(&p, 4, 9);
	picker_avail_bitfield(&p, all, 1);
	picker_request(&p, 0, 300);
	picker_request(&p, 1, 100);
	picker_request(&p, 2, 200);
	picker_request(&p, 3, 400);
	/* Every piece has one request: the one asked longest ago first. */
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), 1);
	ck_assert_int_eq(eg, 1);
	ck_assert_uint_eq(picker_asked(&p, 1), 100);
	/* A duplicate keeps the first request's time ... */
	picker_request(&p, 1, 500);
	ck_assert_uint_eq(picker_asked(&p, 1), 100);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), 2);
	/* ... until every request for it is gone. */
	picker_release(&p, 1);
	picker_release(&p, 1);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), 1);
	ck_assert_int_eq(eg, 0);
	picker_request(&p, 1, 600);
	ck_assert_uint_eq(picker_asked(&p, 1), 600);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), 2);
	ck_assert_uint_eq(picker_asked(&p, PICKER_NONE), 0);
	picker_done(&p);
}
END_TEST

START_TEST(test_endgame_arriving)
{
	struct picker	p;
	int		eg;

	picker_init(&p, 3, 5);
	picker_avail_bitfield(&p, all, 1);
	picker_request(&p, 0, 100);
	picker_request(&p, 1, 200);
	picker_request(&p, 2, 300);
	/* 0 is oldest, but its reply is arriving: never duplicated. */
	picker_arriving(&p, 0, 1);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 2, &eg), 1);
	ck_assert_int_eq(eg, 1);
	/* Taken over by a faster peer: late again only from now on. */
	picker_request(&p, 1, 400);
	picker_reasked(&p, 1, 400);
	ck_assert_uint_eq(picker_asked(&p, 1), 400);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 3, &eg), 2);
	/* Its reply failed: 0 may be asked again (oldest first). */
	picker_arriving(&p, 0, -1);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 3, &eg), 0);
	/* Counts saturate at 0; a piece not in flight keeps no time. */
	picker_arriving(&p, 0, -1);
	ck_assert_uint_eq(picker_pick(&p, all, NULL, 0, 3, &eg), 0);
	picker_release(&p, 2);
	picker_reasked(&p, 2, 999);
	ck_assert_uint_eq(picker_asked(&p, 2), 300);
	picker_arriving(&p, PICKER_NONE, 1);	/* out of range: ignored */
	picker_done(&p);
}
END_TEST

START_TEST(test_endgame_late)
{
	/* Usual time unknown: nothing to wait for. */
	ck_assert_uint_eq(picker_endgame_before(5000, 0, 0, 20), 5000);
	/* A request is late after PICKER_ENDGAME_LATE usual times. */
	ck_assert_uint_eq(picker_endgame_before(5000, 1000, 0, 20),
	    5000 - PICKER_ENDGAME_LATE * 1000);
	ck_assert_uint_eq(picker_endgame_before(5000, 1000, 600, 20),
	    5000 - PICKER_ENDGAME_LATE * 1000);
	/* A peer twice as fast as usual, or on a fast link, asks now. */
	ck_assert_uint_eq(picker_endgame_before(5000, 1000, 500, 20), 5000);
	ck_assert_uint_eq(picker_endgame_before(5000, 30, 19, 20), 5000);
	ck_assert_uint_eq(picker_endgame_before(5000, 30, 20, 20),
	    5000 - PICKER_ENDGAME_LATE * 30);
	/* Early in a clock's life: never below 0. */
	ck_assert_uint_eq(picker_endgame_before(1500, 1000, 0, 20), 0);
}
END_TEST

START_TEST(test_unavailable)
{
	struct picker	p;
	uint8_t		bits[PICKER_BITFIELD_LEN(N)];

	picker_init(&p, N, 5);
	memset(bits, 0, sizeof bits);
	picker_bit_set(bits, 0);
	picker_bit_set(bits, 63);
	picker_avail_bitfield(&p, bits, 1);
	ck_assert_uint_eq(picker_unavailable(&p), N - 2);
	picker_avail_piece(&p, 5, 1);
	ck_assert_uint_eq(picker_unavailable(&p), N - 3);
	picker_avail_bitfield(&p, bits, -1);
	ck_assert_uint_eq(picker_unavailable(&p), N - 1);
	picker_done(&p);
}
END_TEST

static Suite *
picker_suite(void)
{
	Suite	*s = suite_create("picker");
	TCase	*tc;

	tc = tcase_create("rarest");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_rarest_first);
	tcase_add_test(tc, test_only_peer_pieces);
	tcase_add_test(tc, test_unavailable);
	suite_add_tcase(s, tc);
	tc = tcase_create("random");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_ties_random_deterministic);
	suite_add_tcase(s, tc);
	tc = tcase_create("endgame");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_endgame);
	tcase_add_test(tc, test_endgame_oldest_first);
	tcase_add_test(tc, test_endgame_arriving);
	tcase_add_test(tc, test_endgame_late);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(picker_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
