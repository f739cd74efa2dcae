/*
 * check_upsched.c: the upload scheduler.  At most `streams` turns run
 * at once; a free turn goes to the lowest key, ties to the oldest
 * ticket; a waiter that times out keeps its place; leaving a queue
 * frees nothing it did not hold; a turn ended on one thread wakes a
 * waiter blocked on another; and a ticket entered with a wake fd is
 * told on that eventfd when its turn comes.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "upsched.h"

START_TEST(test_streams_cap)
{
	struct upsched	*us = upsched_create(2);
	uint64_t	 a, b, c;
	unsigned	 act, wait;

	a = upsched_enter(us, 10);
	b = upsched_enter(us, 10);
	c = upsched_enter(us, 10);
	ck_assert_int_eq(upsched_wait(us, a, 0), 1);
	ck_assert_int_eq(upsched_wait(us, b, 0), 1);
	ck_assert_int_eq(upsched_wait(us, c, 0), 0);
	upsched_counts(us, &act, &wait);
	ck_assert_uint_eq(act, 2);
	ck_assert_uint_eq(wait, 1);
	upsched_leave(us, a);
	ck_assert_int_eq(upsched_wait(us, c, 0), 1);
	upsched_leave(us, b);
	upsched_leave(us, c);
	upsched_counts(us, &act, &wait);
	ck_assert_uint_eq(act, 0);
	ck_assert_uint_eq(wait, 0);
	upsched_free(us);
}
END_TEST

START_TEST(test_lowest_key_first)
{
	struct upsched	*us = upsched_create(1);
	uint64_t	 run, late, early, tie;

	run = upsched_enter(us, 0);
	ck_assert_int_eq(upsched_wait(us, run, 0), 1);
	/* Queued in this order; keys decide, then arrival. */
	late = upsched_enter(us, 900);
	early = upsched_enter(us, 100);
	tie = upsched_enter(us, 100);
	ck_assert_int_eq(upsched_wait(us, late, 5), 0);
	upsched_leave(us, run);
	ck_assert_int_eq(upsched_wait(us, late, 0), 0);
	ck_assert_int_eq(upsched_wait(us, tie, 0), 0);
	ck_assert_int_eq(upsched_wait(us, early, 0), 1);
	upsched_leave(us, early);
	ck_assert_int_eq(upsched_wait(us, late, 0), 0);
	ck_assert_int_eq(upsched_wait(us, tie, 0), 1);
	upsched_leave(us, tie);
	ck_assert_int_eq(upsched_wait(us, late, 0), 1);
	upsched_leave(us, late);
	upsched_free(us);
}
END_TEST

START_TEST(test_leave_waiting)
{
	struct upsched	*us = upsched_create(1);
	uint64_t	 a, b, c;
	unsigned	 act, wait;

	a = upsched_enter(us, 1);
	b = upsched_enter(us, 2);
	c = upsched_enter(us, 3);
	ck_assert_int_eq(upsched_wait(us, a, 0), 1);
	/* b gives up its place: the turn still belongs to a. */
	upsched_leave(us, b);
	upsched_counts(us, &act, &wait);
	ck_assert_uint_eq(act, 1);
	ck_assert_uint_eq(wait, 1);
	ck_assert_int_eq(upsched_wait(us, c, 0), 0);
	upsched_leave(us, a);
	ck_assert_int_eq(upsched_wait(us, c, 0), 1);
	/* Unknown and repeated tickets are ignored. */
	upsched_leave(us, a);
	upsched_leave(us, 12345);
	ck_assert_int_eq(upsched_wait(us, 12345, 0), 0);
	upsched_counts(us, &act, &wait);
	ck_assert_uint_eq(act, 1);
	upsched_leave(us, c);
	upsched_free(us);
}
END_TEST

struct waiter {
	struct upsched	*us;
	uint64_t	 ticket;
	int		 granted;
};

static void *
waiter_main(void *arg)
{
	struct waiter	*w = arg;

	w->granted = upsched_wait(w->us, w->ticket, 5000);
	return (NULL);
}

START_TEST(test_wakes_blocked_waiter)
{
	struct upsched	*us = upsched_create(1);
	struct waiter	 w;
	pthread_t	 th;
	uint64_t	 a;

	a = upsched_enter(us, 1);
	ck_assert_int_eq(upsched_wait(us, a, 0), 1);
	w.us = us;
	w.ticket = upsched_enter(us, 2);
	w.granted = -1;
	ck_assert_int_eq(pthread_create(&th, NULL, waiter_main, &w), 0);
	upsched_leave(us, a);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(w.granted, 1);
	upsched_leave(us, w.ticket);
	upsched_free(us);
}
END_TEST

START_TEST(test_wake_fd)
{
	struct upsched	*us = upsched_create(1);
	uint64_t	 a, b, v = 0;
	int		 fa, fb;

	fa = eventfd(0, EFD_NONBLOCK);
	fb = eventfd(0, EFD_NONBLOCK);
	ck_assert_int_ge(fa, 0);
	ck_assert_int_ge(fb, 0);
	/* A free turn is granted at once, and said so on the fd. */
	a = upsched_enter_fd(us, 1, fa);
	ck_assert_int_eq(read(fa, &v, sizeof v), (int)sizeof v);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(upsched_wait(us, a, 0), 1);
	/* A waiting one hears nothing until the turn is free. */
	b = upsched_enter_fd(us, 2, fb);
	ck_assert_int_eq(read(fb, &v, sizeof v), -1);
	ck_assert_int_eq(upsched_wait(us, b, 0), 0);
	upsched_leave(us, a);
	ck_assert_int_eq(read(fb, &v, sizeof v), (int)sizeof v);
	ck_assert_int_eq(upsched_wait(us, b, 0), 1);
	/* Leaving wakes nobody else's fd. */
	upsched_leave(us, b);
	ck_assert_int_eq(read(fa, &v, sizeof v), -1);
	close(fa);
	close(fb);
	upsched_free(us);
}
END_TEST

static Suite *
upsched_suite(void)
{
	Suite	*s = suite_create("upsched");
	TCase	*tc;

	tc = tcase_create("turns");
	tcase_add_test(tc, test_streams_cap);
	tcase_add_test(tc, test_lowest_key_first);
	tcase_add_test(tc, test_leave_waiting);
	tcase_add_test(tc, test_wakes_blocked_waiter);
	tcase_add_test(tc, test_wake_fd);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(upsched_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
