/*
 * check_storage.c: piece file I/O.  Temporary part file beside the
 * destination, renamed when committed; a symlink in the way is refused;
 * an existing file at the destination is never replaced.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "picker.h"
#include "storage.h"

static char	dir[256];

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_storage.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char	cmd[512];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
exists(const char *name)
{
	char		path[512];
	struct stat	sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return (lstat(path, &sb) == 0);
}

START_TEST(test_part_and_commit)
{
	struct storage	st, rd;
	struct mt_err	err;
	uint8_t		buf[1000], back[1000];
	int		created;

	memset(buf, 'x', sizeof buf);
	ck_assert_int_eq(storage_open_part(&st, dir, "file.bin", 3000,
	    &created, &err), 0);
	ck_assert_int_eq(created, 1);
	ck_assert(exists(".file.bin.mtorrent-part"));
	ck_assert(!exists("file.bin"));
	ck_assert_int_eq(storage_write(&st, 2000, buf, sizeof buf, &err), 0);
	ck_assert_int_eq(storage_read(&st, 2000, back, sizeof back, &err), 0);
	ck_assert_mem_eq(buf, back, sizeof buf);
	ck_assert_int_eq(storage_commit(&st, &err), 0);
	storage_set_committed(&st);
	ck_assert(exists("file.bin"));
	ck_assert(!exists(".file.bin.mtorrent-part"));
	/* The descriptor still works after the rename. */
	ck_assert_int_eq(storage_read(&st, 2000, back, sizeof back, &err), 0);
	ck_assert_mem_eq(buf, back, sizeof buf);
	storage_close(&st);
	ck_assert_int_eq(storage_open_final(&rd, dir, "file.bin", 3000, &err),
	    0);
	storage_close(&rd);
	ck_assert_int_eq(storage_open_final(&rd, dir, "file.bin", 3001, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_MISMATCH);
}
END_TEST

/*
 * A name of up to 255 bytes (the limit of .mtorrent names) leaves no room
 * for the part file's dot and suffix: its part name is shortened, stays
 * the same across opens (resume), and the commit still gives the file its
 * whole name.  Two long names with the same head get two part files.
 */
START_TEST(test_long_name)
{
	struct storage	st, st2;
	struct mt_err	err;
	char		name[256], name2[256];
	uint8_t		b = 'z';
	int		created;

	memset(name, 'n', 250);
	name[250] = '\0';
	memcpy(name2, name, sizeof name);
	name2[249] = 'm';
	ck_assert_int_eq(storage_open_part(&st, dir, name, 100, &created,
	    &err), 0);
	ck_assert_int_eq(created, 1);
	ck_assert_int_eq(storage_write(&st, 10, &b, 1, &err), 0);
	storage_close(&st);
	ck_assert_int_eq(storage_open_part(&st, dir, name, 100, &created,
	    &err), 0);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(storage_open_part(&st2, dir, name2, 100, &created,
	    &err), 0);
	ck_assert_int_eq(created, 1);
	storage_close(&st2);
	ck_assert_int_eq(storage_commit(&st, &err), 0);
	storage_set_committed(&st);
	ck_assert(exists(name));
	storage_close(&st);
}
END_TEST

/* A part file cut behind our back is not committed as the file. */
START_TEST(test_cut_part_refused)
{
	struct storage	st;
	struct mt_err	err;
	char		path[512];

	ck_assert_int_eq(storage_open_part(&st, dir, "cut.bin", 3000, NULL,
	    &err), 0);
	snprintf(path, sizeof path, "%s/.cut.bin.mtorrent-part", dir);
	ck_assert_int_eq(truncate(path, 1000), 0);
	ck_assert_int_eq(storage_commit(&st, &err), -1);
	ck_assert_int_eq(err.code, MT_E_CORRUPT);
	ck_assert(!exists("cut.bin"));
	storage_close(&st);
}
END_TEST

START_TEST(test_reopen_part)
{
	struct storage	st;
	struct mt_err	err;
	uint8_t		b = 'q', bits[1] = { 0 };
	int		created;

	ck_assert_int_eq(storage_open_part(&st, dir, "f", 4 * 65536,
	    &created, &err), 0);
	ck_assert_int_eq(storage_write(&st, 2 * 65536 + 5, &b, 1, &err), 0);
	ck_assert_int_eq(storage_sync(&st, &err), 0);
	storage_close(&st);
	ck_assert_int_eq(storage_open_part(&st, dir, "f", 4 * 65536,
	    &created, &err), 0);
	ck_assert_int_eq(created, 0);
	ck_assert_int_eq(storage_data_pieces(&st, 65536, 4, bits, &err), 0);
	/* Piece 2 holds data; on a filesystem with holes, only it. */
	ck_assert(picker_bit(bits, 2));
	storage_close(&st);
}
END_TEST

START_TEST(test_existing_refused)
{
	struct storage	st;
	struct mt_err	err;
	char		path[512];
	int		fd;

	snprintf(path, sizeof path, "%s/taken", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "old", 3), 3);
	close(fd);
	ck_assert_int_eq(storage_open_part(&st, dir, "taken", 100, NULL,
	    &err), -1);
	ck_assert_int_eq(err.code, MT_E_EXISTS);

	/* A file appearing before the commit is not replaced either. */
	ck_assert_int_eq(storage_open_part(&st, dir, "late", 10, NULL, &err),
	    0);
	snprintf(path, sizeof path, "%s/late", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(storage_commit(&st, &err), -1);
	ck_assert_int_eq(err.code, MT_E_EXISTS);
	storage_close(&st);
	ck_assert(exists(".late.mtorrent-part"));
}
END_TEST

START_TEST(test_symlink_refused)
{
	struct storage	st;
	struct mt_err	err;
	char		link[512], target[512];

	/* The part file name is a symlink pointing out: refused. */
	snprintf(target, sizeof target, "%s/outside", dir);
	snprintf(link, sizeof link, "%s/.evil.mtorrent-part", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(storage_open_part(&st, dir, "evil", 10, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	ck_assert(!exists("outside"));
	/* Unsafe names never reach the filesystem. */
	ck_assert_int_eq(storage_open_part(&st, dir, "../x", 10, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_BADNAME);
	ck_assert_int_eq(storage_open_part(&st, dir, "..", 10, NULL, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_BADNAME);
	/* A final name that is a dangling symlink counts as existing. */
	snprintf(link, sizeof link, "%s/dangling", dir);
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(storage_open_part(&st, dir, "dangling", 10, NULL,
	    &err), -1);
	ck_assert_int_eq(err.code, MT_E_EXISTS);
}
END_TEST

static Suite *
storage_suite(void)
{
	Suite	*s = suite_create("storage");
	TCase	*tc;

	tc = tcase_create("part");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_part_and_commit);
	tcase_add_test(tc, test_reopen_part);
	tcase_add_test(tc, test_long_name);
	tcase_add_test(tc, test_cut_part_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("safety");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_existing_refused);
	tcase_add_test(tc, test_symlink_refused);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(storage_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
