/*
 * check_password.c: PBKDF2-HMAC-SHA256 hashes (password.c) and the gate
 * that caps concurrent hashing.
 *
 * The known answers were computed independently (Python's
 * hashlib.pbkdf2_hmac) with the salt 00 01 .. 0f.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "password.h"

static const uint8_t	salt0[PASSWORD_SALT_LEN] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
};

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t		i;
	unsigned	v;

	for (i = 0; i < n; i++) {
		ck_assert(sscanf(s + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
}

START_TEST(test_known_answer)
{
	struct mt_err	err;
	uint8_t		out[PASSWORD_HASH_LEN], want[PASSWORD_HASH_LEN];

	unhex("c914cc4f06cc6e8f46d157e3a1b5aa7abceebb17bb0444cd4c4ac16ca2ae"
	    "9864", want, sizeof want);
	ck_assert_int_eq(password_hash("correct horse", 13, salt0, 1000, out,
	    &err), 0);
	ck_assert_mem_eq(out, want, sizeof want);

	unhex("c6b7413bebb763bda962e5d94e24327e07d4daa9e97c14ea4126ba4b7ccb"
	    "0d16", want, sizeof want);
	ck_assert_int_eq(password_hash("", 0, salt0, 1, out, &err), 0);
	ck_assert_mem_eq(out, want, sizeof want);
}
END_TEST

START_TEST(test_verify)
{
	struct mt_err	err;
	uint8_t		salt[PASSWORD_SALT_LEN], salt2[PASSWORD_SALT_LEN];
	uint8_t		h[PASSWORD_HASH_LEN];

	ck_assert_int_eq(password_salt(salt, &err), 0);
	ck_assert_int_eq(password_salt(salt2, &err), 0);
	ck_assert(memcmp(salt, salt2, sizeof salt) != 0);
	ck_assert_int_eq(password_hash("secret", 6, salt, 10, h, &err), 0);
	ck_assert_int_eq(password_verify("secret", 6, salt, 10, h, &err), 1);
	ck_assert_int_eq(password_verify("Secret", 6, salt, 10, h, &err), 0);
	ck_assert_int_eq(password_verify("secret", 6, salt2, 10, h, &err), 0);
	ck_assert_int_eq(password_verify("secret", 6, salt, 11, h, &err), 0);
}
END_TEST

START_TEST(test_limits)
{
	struct mt_err	 err;
	uint8_t		 h[PASSWORD_HASH_LEN];
	char		*big;

	big = calloc(1, PASSWORD_LEN_MAX + 2);
	memset(big, 'x', PASSWORD_LEN_MAX + 1);
	ck_assert_int_eq(password_hash(big, PASSWORD_LEN_MAX, salt0, 1, h,
	    &err), 0);
	ck_assert_int_eq(password_hash(big, PASSWORD_LEN_MAX + 1, salt0, 1, h,
	    &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_int_eq(password_hash("x", 1, salt0, 0, h, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	free(big);
}
END_TEST

START_TEST(test_iter_default)
{
	int	over;

	unsetenv(PASSWORD_ITER_ENV);
	ck_assert_uint_ge(password_iter(&over), 600000);
	ck_assert_int_eq(over, 0);
	ck_assert_uint_eq(PASSWORD_ITER_DEFAULT, 600000);
	setenv(PASSWORD_ITER_ENV, "1000", 1);
	ck_assert_uint_eq(password_iter(&over), 1000);
	ck_assert_int_eq(over, 1);
	/* Garbage or out of range: the safe default. */
	setenv(PASSWORD_ITER_ENV, "12x", 1);
	ck_assert_uint_eq(password_iter(&over), PASSWORD_ITER_DEFAULT);
	setenv(PASSWORD_ITER_ENV, "0", 1);
	ck_assert_uint_eq(password_iter(&over), PASSWORD_ITER_DEFAULT);
	unsetenv(PASSWORD_ITER_ENV);
}
END_TEST

/* One hash at the default count: report its cost. */
START_TEST(test_default_cost)
{
	struct timespec	a, b;
	struct mt_err	err;
	uint8_t		h[PASSWORD_HASH_LEN];
	double		ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(password_hash("pw", 2, salt0, PASSWORD_ITER_DEFAULT,
	    h, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	printf("password: one PBKDF2-HMAC-SHA256 at %d iterations: %.0f ms\n",
	    PASSWORD_ITER_DEFAULT, ms);
}
END_TEST

START_TEST(test_gate)
{
	struct password_gate	g;
	struct mt_err		err;

	password_gate_init(&g, 2);
	ck_assert_int_eq(password_gate_enter(&g, 10, &err), 0);
	ck_assert_int_eq(password_gate_enter(&g, 10, &err), 0);
	ck_assert_int_eq(password_gate_enter(&g, 50, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BUSY);
	password_gate_leave(&g);
	ck_assert_int_eq(password_gate_enter(&g, 10, &err), 0);
	password_gate_leave(&g);
	password_gate_leave(&g);
	password_gate_done(&g);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite	*s = suite_create("password");
	TCase	*tc;

	tc = tcase_create("hash");
	tcase_add_test(tc, test_known_answer);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_iter_default);
	suite_add_tcase(s, tc);

	tc = tcase_create("cost");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_default_cost);
	suite_add_tcase(s, tc);

	tc = tcase_create("gate");
	tcase_add_test(tc, test_gate);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(password_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
