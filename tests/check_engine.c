/*
 * check_engine.c: peer engines in one process on loopback, with an
 * in-process fake tracker (engine_config.tracker_call).
 *
 * Partial seeders are made by writing a part file and a state db row, so
 * the engine resumes them holding exactly the chosen pieces.  Every wait
 * polls the snapshot with a deadline.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <signal.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "engine.h"
#include "error.h"
#include "hash.h"
#include "log.h"
#include "message.h"
#include "metainfo.h"
#include "net.h"
#include "peerdb.h"
#include "picker.h"
#include "snapshot.h"
#include "wire.h"

#define PIECE		(512U * 1024U)
#define WAIT_MS		30000
#define FAKE_FILES	8
#define FAKE_SEEDERS	16

/* The fake tracker: file id -> seeder addresses. */
struct fake_file {
	char	id[41];
	char	seeders[FAKE_SEEDERS][64];
	int	n;
};

struct fake {
	pthread_mutex_t		lock;
	struct fake_file	files[FAKE_FILES];
	int			nfiles;
	int			byes;
};

/* One per engine: the reply buffers live until its next call. */
struct fake_client {
	struct fake	*f;
	char		 id[41];
	char		 addrs[FAKE_SEEDERS][64];
	struct wire_arg	 v[FAKE_SEEDERS];
};

static struct fake	fake;
static char		root[256];
static char		srcfile[512];
static struct metainfo	srcmi;
static char		mtorrent[512];

static struct fake_file *
fake_file(struct fake *f, const char *id)
{
	int	i;

	for (i = 0; i < f->nfiles; i++) {
		if (strcmp(f->files[i].id, id) == 0)
			return (&f->files[i]);
	}
	if (f->nfiles == FAKE_FILES)
		return (NULL);
	memset(&f->files[f->nfiles], 0, sizeof f->files[0]);
	snprintf(f->files[f->nfiles].id, 41, "%s", id);
	return (&f->files[f->nfiles++]);
}

static void
fake_add(struct fake *f, const char *id, const char *addr)
{
	struct fake_file	*ff = fake_file(f, id);
	int			 i;

	if (ff == NULL)
		return;
	for (i = 0; i < ff->n; i++) {
		if (strcmp(ff->seeders[i], addr) == 0)
			return;
	}
	if (ff->n < FAKE_SEEDERS)
		snprintf(ff->seeders[ff->n++], 64, "%s", addr);
}

static void
fake_del(struct fake *f, const char *id, const char *addr)
{
	int	i, j;

	for (i = 0; i < f->nfiles; i++) {
		if (id != NULL && strcmp(f->files[i].id, id) != 0)
			continue;
		for (j = 0; j < f->files[i].n; j++) {
			if (strcmp(f->files[i].seeders[j], addr) == 0) {
				f->files[i].n--;
				memmove(f->files[i].seeders[j],
				    f->files[i].seeders[j + 1],
				    (size_t)(f->files[i].n - j) * 64);
				j--;
			}
		}
	}
}

static int
fake_call(void *arg, const union message *req, union message *reply,
    struct mt_err *err)
{
	struct fake_client	*c = arg;
	struct fake		*f = c->f;
	struct fake_file	*ff;
	uint32_t		 i;
	int			 n;

	memset(reply, 0, sizeof *reply);
	reply->type = MSG_ok;
	reply->ok.text = "";
	pthread_mutex_lock(&f->lock);
	switch (req->type) {
	case MSG_share:
		fake_add(f, req->share.file_id, req->share.seeder);
		break;
	case MSG_seeder_add:
		fake_add(f, req->seeder_add.file_id, req->seeder_add.seeder);
		break;
	case MSG_seeder_remove:
		fake_del(f, req->seeder_remove.file_id,
		    req->seeder_remove.seeder);
		break;
	case MSG_announce:
		for (i = 0; i < req->announce.file_ids.n; i++)
			fake_add(f, req->announce.file_ids.v[i].p,
			    req->announce.seeder);
		break;
	case MSG_bye:
		fake_del(f, NULL, req->bye.seeder);
		f->byes++;
		break;
	case MSG_seeders:
		ff = fake_file(f, req->seeders.file_id);
		n = ff != NULL ? ff->n : 0;
		snprintf(c->id, sizeof c->id, "%s", req->seeders.file_id);
		for (i = 0; i < (uint32_t)n; i++) {
			snprintf(c->addrs[i], 64, "%s", ff->seeders[i]);
			c->v[i].p = c->addrs[i];
			c->v[i].len = (uint32_t)strlen(c->addrs[i]);
		}
		reply->type = MSG_seeders_reply;
		reply->seeders_reply.file_id = c->id;
		reply->seeders_reply.seeders.n = (uint32_t)n;
		reply->seeders_reply.seeders.v = c->v;
		break;
	default:
		pthread_mutex_unlock(&f->lock);
		reply->type = MSG_error;
		reply->error.code = MT_E_NOTFOUND;
		reply->error.text = "fake";
		return (mt_err_set(err, MT_E_NOTFOUND, "fake: unsupported"));
	}
	pthread_mutex_unlock(&f->lock);
	return (0);
}

/* An engine with its own state dir root/NAME and a fake tracker link. */
struct node {
	struct engine		*e;
	struct fake_client	 fc;
	char			 dir[512];
};

static void
node_start_workers(struct node *n, const char *name, unsigned workers)
{
	struct engine_config	cfg;
	struct mt_err		err;

	memset(&cfg, 0, sizeof cfg);
	snprintf(n->dir, sizeof n->dir, "%s/%s", root, name);
	mkdir(n->dir, 0700);
	snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
	cfg.trackers[0] = "127.0.0.1:1";
	cfg.ntrackers = 1;
	cfg.state_dir = n->dir;
	cfg.workers = workers;
	cfg.seed = 12345;
	n->fc.f = &fake;
	cfg.tracker_call = fake_call;
	cfg.tracker_arg = &n->fc;
	n->e = engine_start(&cfg, &err);
	ck_assert_msg(n->e != NULL, "engine_start: %s", err.msg);
}

static void
node_start(struct node *n, const char *name)
{
	node_start_workers(n, name, 4);
}

static void
node_stop(struct node *n)
{
	engine_stop(n->e);
	n->e = NULL;
}

/* Copy of the first torrent's snapshot fields the tests look at. */
struct view {
	int		found;
	int		seeding;
	int		error;
	uint32_t	have, npieces, fetched, resumed, recovered, bad;
	uint32_t	rechecked;
	int		banned;
	unsigned	strikes;
};

static struct view
node_view(struct node *n)
{
	struct snapshot	s;
	struct view	v;
	size_t		i;

	memset(&v, 0, sizeof v);
	engine_snapshot(n->e, &s);
	if (s.ntorrents > 0) {
		struct snapshot_torrent *t = &s.torrents[0];

		v.found = 1;
		v.seeding = t->seeding;
		v.error = t->error;
		v.have = t->have;
		v.npieces = t->npieces;
		v.fetched = t->pieces_fetched;
		v.resumed = t->pieces_resumed;
		v.recovered = t->pieces_recovered;
		v.rechecked = t->pieces_rechecked;
		v.bad = t->pieces_bad;
		for (i = 0; i < t->npeers; i++) {
			if (t->peers[i].state == SNAP_PEER_BANNED)
				v.banned++;
			if (t->peers[i].strikes > v.strikes)
				v.strikes = t->peers[i].strikes;
		}
	}
	snapshot_done(&s);
	return (v);
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Wait until the node's torrent has at least want pieces (or seeds). */
static struct view
wait_have(struct node *n, uint32_t want, int seeding)
{
	uint64_t	deadline = now_ms() + WAIT_MS;
	struct view	v;

	for (;;) {
		v = node_view(n);
		if (v.found && v.have >= want && (!seeding || v.seeding))
			return (v);
		if (now_ms() > deadline)
			return (v);
		poll(NULL, 0, 20);
	}
}

static void
write_random(const char *path, size_t size)
{
	uint8_t	*b = malloc(size);
	size_t	 i;
	int	 fd;
	uint64_t x = 88172645463325252ULL;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (uint8_t)x;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, b, size), (ssize_t)size);
	close(fd);
	free(b);
}

static int
files_equal(const char *a, const char *b)
{
	char	cmd[2200];

	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return (system(cmd) == 0);
}

/* The shared source file: 20 pieces and a short last one. */
static void
setup(void)
{
	struct mt_err	err;
	uint8_t		*dig;
	uint64_t	 size;
	uint32_t	 n;

	log_set_level(LOG_LEVEL_WARN);
	memset(&fake, 0, sizeof fake);
	pthread_mutex_init(&fake.lock, NULL);
	snprintf(root, sizeof root, "/tmp/check_engine.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(srcfile, sizeof srcfile, "%s/data.bin", root);
	write_random(srcfile, 20 * PIECE + 12345);
	ck_assert_int_eq(hash_file_pieces(srcfile, PIECE, 0, 0, &dig, NULL, &size, &n,
	    NULL, NULL, &err), 0);
	metainfo_init(&srcmi);
	snprintf(srcmi.name, sizeof srcmi.name, "data.bin");
	srcmi.size = size;
	srcmi.piece_size = PIECE;
	srcmi.npieces = n;
	srcmi.pieces = dig;
	ck_assert_int_eq(metainfo_tracker_set(&srcmi.trackers[0],
	    "127.0.0.1:1", NULL, &err), 0);
	srcmi.ntrackers = 1;
	ck_assert_int_eq(metainfo_finish(&srcmi, &err), 0);
	snprintf(mtorrent, sizeof mtorrent, "%s/data.mtorrent", root);
	ck_assert_int_eq(metainfo_save(&srcmi, mtorrent, &err), 0);
}

static void
teardown(void)
{
	char	cmd[512];

	metainfo_done(&srcmi);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * Make node directory NAME a partial seeder of srcmi holding the pieces
 * for which keep(i, arg) is true: a part file with those pieces and a
 * state db row recording them (with the file's size and mtime).
 */
static void
make_partial(const char *name, int (*keep)(uint32_t, int), int arg)
{
	char			 dir[600], data[700], part[700];
	struct peerdb		*db;
	struct peerdb_row	 r;
	struct mt_err		 err;
	struct buf		 text;
	struct stat		 sb;
	uint8_t			*bits, *b;
	uint32_t		 i, len;
	int			 in, out, clean;

	snprintf(dir, sizeof dir, "%s/%s", root, name);
	mkdir(dir, 0700);
	snprintf(data, sizeof data, "%s/data.bin", dir);
	snprintf(part, sizeof part, "%s/.data.bin.mtorrent-part", dir);
	bits = calloc(PICKER_BITFIELD_LEN(srcmi.npieces) + 1, 1);
	b = malloc(PIECE);
	in = open(srcfile, O_RDONLY);
	out = open(part, O_RDWR | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(in, 0);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(ftruncate(out, (off_t)srcmi.size), 0);
	for (i = 0; i < srcmi.npieces; i++) {
		if (!keep(i, arg))
			continue;
		len = metainfo_piece_len(&srcmi, i);
		ck_assert_int_eq(pread(in, b, len, (off_t)i * PIECE), len);
		ck_assert_int_eq(pwrite(out, b, len, (off_t)i * PIECE), len);
		picker_bit_set(bits, i);
	}
	close(in);
	fsync(out);
	ck_assert_int_eq(fstat(out, &sb), 0);
	close(out);
	buf_init(&text, METAINFO_TEXT_MAX);
	ck_assert_int_eq(metainfo_write(&srcmi, &text, &err), 0);
	db = peerdb_open(dir, &clean, &err);
	ck_assert_ptr_nonnull(db);
	memset(&r, 0, sizeof r);
	r.file_id = srcmi.file_id_hex;
	r.mtorrent = "";
	r.meta = (const char *)buf_head(&text);
	r.metalen = buf_used(&text);
	r.dir = dir;
	r.data_path = data;
	r.role = PEERDB_ROLE_DOWNLOAD;
	r.bits = bits;
	r.bitslen = PICKER_BITFIELD_LEN(srcmi.npieces);
	r.size = (uint64_t)sb.st_size;
	r.mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	ck_assert_int_eq(peerdb_put(db, &r, &err), 0);
	peerdb_close(db, 1);
	buf_done(&text);
	free(bits);
	free(b);
}

static int
keep_mod(uint32_t i, int k)
{
	return (i % 4 == (uint32_t)k);
}

static int
keep_below(uint32_t i, int k)
{
	return (i < (uint32_t)k);
}

/* Four seeders, each a different quarter of the pieces, one leecher. */
START_TEST(test_four_partial_seeders)
{
	struct node	s[4], l;
	struct mt_err	err;
	struct view	v;
	char		name[16], dest[600], out[700];
	int		i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "s%d", i);
		make_partial(name, keep_mod, i);
		node_start(&s[i], name);
		v = node_view(&s[i]);
		ck_assert_int_eq(v.resumed, (srcmi.npieces + 3 - i) / 4);
	}
	/* Let the seeders register (seeder_add after resume). */
	for (i = 0; i < 4; i++)
		(void)wait_have(&s[i], 1, 0);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_uint_eq(v.have, srcmi.npieces);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_eq(v.bad, 0);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	ck_assert_uint_eq(engine_active_downloads(l.e), 0);
	node_stop(&l);
	for (i = 0; i < 4; i++)
		node_stop(&s[i]);
	ck_assert_int_ge(fake.byes, 5);
}
END_TEST

/* A seeder serving corrupt data is banned; the download completes. */
START_TEST(test_corrupt_seeder_banned)
{
	struct node	good, bad, l;
	struct mt_err	err;
	struct view	v;
	char		copy[600], dest[600], out[700], id[41], mt2[600];
	char		cmd[1400];
	int		fd;

	node_start(&good, "good");
	ck_assert_int_eq(engine_share(good.e, srcfile, NULL, "", id, &err), 0);
	ck_assert_str_eq(id, srcmi.file_id_hex);
	snprintf(copy, sizeof copy, "%s/bad/data.bin", root);
	node_start(&bad, "bad");
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", srcfile, copy);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(mt2, sizeof mt2, "%s/bad/data.mtorrent", root);
	ck_assert_int_eq(engine_share(bad.e, copy, mt2, "", id, &err), 0);
	/* Now corrupt every piece behind the engine's back. */
	fd = open(copy, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	for (uint32_t i = 0; i < srcmi.npieces; i++)
		ck_assert_int_eq(pwrite(fd, "XXXX", 4, (off_t)i * PIECE + 7),
		    4);
	close(fd);

	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	/* Bad pieces were seen only if the bad seeder was asked. */
	if (v.bad > 0) {
		ck_assert_uint_le(v.strikes, 3);
		if (v.bad >= 3)
			ck_assert_int_eq(v.banned, 1);
	}
	node_stop(&l);
	node_stop(&bad);
	node_stop(&good);
}
END_TEST

/* Only the bad seeder has the first pieces: it must be struck out. */
START_TEST(test_corrupt_only_source)
{
	struct node	bad, good, l;
	struct mt_err	err;
	struct view	v;
	char		copy[600], dest[600], cmd[1400], id[41];
	uint64_t	deadline;
	int		fd;

	node_start(&bad, "bad");
	snprintf(copy, sizeof copy, "%s/bad/data.bin", root);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", srcfile, copy);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(engine_share(bad.e, copy, NULL, "", id, &err), 0);
	fd = open(copy, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	for (uint32_t i = 0; i < srcmi.npieces; i++)
		ck_assert_int_eq(pwrite(fd, "XXXX", 4, (off_t)i * PIECE), 4);
	close(fd);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	deadline = now_ms() + WAIT_MS;
	do {
		v = node_view(&l);
		poll(NULL, 0, 20);
	} while (v.banned == 0 && now_ms() < deadline);
	ck_assert_int_eq(v.banned, 1);
	ck_assert_uint_eq(v.strikes, 3);
	ck_assert_uint_eq(v.have, 0);
	/* A good seeder appears: completes from it. */
	node_start(&good, "good");
	ck_assert_int_eq(engine_share(good.e, srcfile, NULL, "", id, &err), 0);
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	node_stop(&l);
	node_stop(&good);
	node_stop(&bad);
}
END_TEST

/*
 * A crash of the node whose state is in dir, after its last flush
 * recorded pieces 0..nrec-1 (of the shared test file): the database is
 * left marked unclean.
 */
static void
record_crash(const char *dir, uint32_t nrec)
{
	struct peerdb		*db;
	struct peerdb_row	 r;
	struct mt_err		 err;
	uint8_t			 bits[PICKER_BITFIELD_LEN(64)];
	uint32_t		 i;
	int			 clean;

	ck_assert_uint_le(PICKER_BITFIELD_LEN(srcmi.npieces), sizeof bits);
	db = peerdb_open(dir, &clean, &err);
	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(clean, 1);
	memset(bits, 0, sizeof bits);
	for (i = 0; i < nrec; i++)
		picker_bit_set(bits, i);
	memset(&r, 0, sizeof r);
	r.file_id = srcmi.file_id_hex;
	r.bits = bits;
	r.bitslen = PICKER_BITFIELD_LEN(srcmi.npieces);
	r.data_path = "";
	r.role = PEERDB_ROLE_DOWNLOAD;
	ck_assert_int_eq(peerdb_update(db, &r, &err), 0);
	peerdb_close(db, 0);
}

/*
 * Leecher gets half, stops, restarts: resumes the verified half without
 * fetching it again.  Then a simulated crash: the db loses its last
 * flush; the pieces on disk are rechecked, not fetched.
 */
START_TEST(test_resume)
{
	struct node	half, full, l;
	struct mt_err	err;
	struct view	v;
	char		dest[600], out[700], id[41];

	make_partial("half", keep_below, 10);
	node_start(&half, "half");
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	v = wait_have(&l, 10, 0);
	ck_assert_uint_eq(v.have, 10);
	ck_assert_uint_eq(v.fetched, 10);
	node_stop(&l);
	node_stop(&half);

	/* Clean restart: 10 trusted, none fetched again. */
	node_start(&l, "l");
	v = node_view(&l);
	ck_assert_uint_eq(v.resumed, 10);
	ck_assert_uint_eq(v.have, 10);
	node_stop(&l);

	/*
	 * Crash after pieces 5..9 were written but before their flush: the
	 * db records 0..4 and is marked unclean.  On restart the part file
	 * is newer than its record, so 0..4 are verified again rather than
	 * trusted (it might have been replaced meanwhile); 5..9 are found
	 * holding data, rechecked and kept; nothing else is read.
	 */
	record_crash(l.dir, 5);
	node_start(&l, "l");
	v = node_view(&l);
	ck_assert_uint_eq(v.have, 10);
	ck_assert_uint_eq(v.resumed, 0);
	ck_assert_uint_eq(v.recovered, 10);
	ck_assert_uint_eq(v.rechecked, 10);
	node_stop(&l);

	/*
	 * Crash again, and piece 0 of the part file is damaged before the
	 * restart: it is found bad, not trusted from the record.
	 */
	record_crash(l.dir, 10);
	snprintf(out, sizeof out, "%s/.data.bin.mtorrent-part", dest);
	{
		FILE	*fp = fopen(out, "r+");

		ck_assert_ptr_nonnull(fp);
		ck_assert_int_eq(fputs("damage", fp) >= 0, 1);
		ck_assert_int_eq(fclose(fp), 0);
	}
	node_start(&l, "l");
	v = node_view(&l);
	ck_assert_uint_eq(v.have, 9);
	ck_assert_uint_eq(v.resumed, 0);
	ck_assert_uint_eq(v.rechecked, 10);
	ck_assert_uint_eq(v.recovered, 9);
	node_stop(&l);

	node_start(&full, "full");
	ck_assert_int_eq(engine_share(full.e, srcfile, NULL, "", id, &err), 0);
	node_start(&l, "l");
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_eq(v.resumed, 9);
	ck_assert_uint_eq(v.fetched, srcmi.npieces - 9);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	node_stop(&l);
	node_stop(&full);
}
END_TEST

/* A leecher serves a second leecher the pieces it has so far. */
/* srcmi's file in units of 128 KiB: a .mtorrent at path. */
static void
save_units_mtorrent(const char *path)
{
	struct metainfo	 mi;
	struct mt_err	 err;
	uint64_t	 size;
	uint32_t	 n;

	metainfo_init(&mi);
	ck_assert_int_eq(hash_file_pieces(srcfile, PIECE, 131072, 0,
	    &mi.pieces, &mi.chain, &size, &n, NULL, NULL, &err), 0);
	ck_assert_ptr_nonnull(mi.chain);
	strcpy(mi.name, srcmi.name);
	mi.trackers[0] = srcmi.trackers[0];
	mi.ntrackers = 1;
	mi.size = size;
	mi.piece_size = PIECE;
	mi.npieces = n;
	mi.has_units = 1;
	mi.unit_size = 131072;
	ck_assert_int_eq(metainfo_finish(&mi, &err), 0);
	ck_assert_str_eq(mi.file_id_hex, srcmi.file_id_hex);
	ck_assert_uint_eq(mi.nunits, 4 * 20 + 1);
	ck_assert_int_eq(metainfo_save(&mi, path, &err), 0);
	metainfo_done(&mi);
}

/*
 * Units: a sharer that moves 128 KiB units, one downloader that asks
 * in units and one that asks in whole pieces (a .mtorrent without the
 * units field) get the file from it and from each other; then a
 * downloader in units gets it from the one in pieces alone.
 */
START_TEST(test_units_mixed)
{
	struct node	 s, u, p, u2;
	struct mt_err	 err;
	struct view	 v;
	char		 du[600], dp[600], du2[600], out[700], id[41];
	char		 umt[600];

	snprintf(umt, sizeof umt, "%s/units.mtorrent", root);
	save_units_mtorrent(umt);
	node_start(&s, "s");
	ck_assert_int_eq(engine_share(s.e, srcfile, NULL, "", id, &err), 0);
	ck_assert_str_eq(id, srcmi.file_id_hex);
	snprintf(du, sizeof du, "%s/lu", root);
	snprintf(dp, sizeof dp, "%s/lp", root);
	snprintf(du2, sizeof du2, "%s/lu2", root);
	mkdir(du, 0700);
	mkdir(dp, 0700);
	mkdir(du2, 0700);
	node_start(&u, "u");
	node_start(&p, "p");
	ck_assert_int_eq(engine_get(u.e, umt, du, &err), 0);
	ck_assert_int_eq(engine_get(p.e, mtorrent, dp, &err), 0);
	v = wait_have(&u, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_eq(v.have, srcmi.npieces);
	ck_assert_uint_eq(v.npieces, srcmi.npieces);
	ck_assert_uint_eq(v.bad, 0);
	/* Counted in pieces, as the user sees them. */
	ck_assert_uint_eq(v.fetched, srcmi.npieces);
	v = wait_have(&p, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_eq(v.bad, 0);
	snprintf(out, sizeof out, "%s/data.bin", du);
	ck_assert(files_equal(srcfile, out));
	snprintf(out, sizeof out, "%s/data.bin", dp);
	ck_assert(files_equal(srcfile, out));
	node_stop(&s);
	node_stop(&u);

	/* Only the one in whole pieces is left: units from its pieces. */
	node_start(&u2, "u2");
	ck_assert_int_eq(engine_get(u2.e, umt, du2, &err), 0);
	v = wait_have(&u2, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_eq(v.bad, 0);
	snprintf(out, sizeof out, "%s/data.bin", du2);
	ck_assert(files_equal(srcfile, out));
	node_stop(&u2);
	node_stop(&p);
}
END_TEST

START_TEST(test_relay_partial)
{
	struct node	half, a, b, full;
	struct mt_err	err;
	struct view	v;
	char		da[600], db[600], out[700], id[41];

	make_partial("half", keep_below, 8);
	node_start(&half, "half");
	snprintf(da, sizeof da, "%s/la", root);
	snprintf(db, sizeof db, "%s/lb", root);
	mkdir(da, 0700);
	mkdir(db, 0700);
	node_start(&a, "a");
	ck_assert_int_eq(engine_get(a.e, mtorrent, da, &err), 0);
	v = wait_have(&a, 8, 0);
	ck_assert_uint_eq(v.have, 8);
	node_stop(&half);	/* bye: only A has pieces now */

	node_start(&b, "b");
	ck_assert_int_eq(engine_get(b.e, mtorrent, db, &err), 0);
	v = wait_have(&b, 8, 0);
	ck_assert_uint_eq(v.have, 8);
	ck_assert_int_eq(node_view(&a).seeding, 0);

	/* A full seeder appears: both finish (after a back-off). */
	node_start(&full, "full");
	ck_assert_int_eq(engine_share(full.e, srcfile, NULL, "", id, &err), 0);
	v = wait_have(&a, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	v = wait_have(&b, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	snprintf(out, sizeof out, "%s/data.bin", db);
	ck_assert(files_equal(srcfile, out));
	node_stop(&b);
	node_stop(&a);
	node_stop(&full);
}
END_TEST

/*
 * A peer that answers hello and have_request (all pieces) and then sends
 * half of the first piece asked for and stalls, until told to stop; or,
 * with full set, serves every piece asked for from srcfile, each
 * connection on a thread of its own.
 */
#define STALLER_CONNS	16
struct staller {
	int		 lfd;
	char		 addr[64];
	int		 full;
	pthread_t	 thread;
	atomic_int	 stop;
	atomic_int	 conns;
	pthread_t	 served[STALLER_CONNS];
};

/* The head of a piece_reply to m with len bytes of data. */
static void
staller_head(uint8_t head[80], const union message *m, uint32_t len)
{
	memset(head, 0, 80);
	buf_put_u32be(head, WIRE_MAGIC_START);
	head[4] = 11;
	memcpy(head + 5, "piece_reply", 11);
	buf_put_u32be(head + 16, 4 + 40 + 4 + 8 + 4 + len);
	buf_put_u32be(head + 20, 40);
	memcpy(head + 24, m->piece_request.file_id, 40);
	buf_put_u32be(head + 64, 8);
	buf_put_u64be(head + 68, m->piece_request.index);
	buf_put_u32be(head + 76, len);
}

/* Append a piece_reply for the piece m asks, read from srcfile. */
static void
staller_put_piece(struct buf *out, const union message *m)
{
	struct mt_err	err;
	uint8_t		head[80];
	uint64_t	off = m->piece_request.index * (uint64_t)PIECE;
	uint32_t	len;
	int		fd;

	ck_assert_uint_lt(m->piece_request.index, srcmi.npieces);
	len = off + PIECE <= srcmi.size ? PIECE : (uint32_t)(srcmi.size - off);
	staller_head(head, m, len);
	ck_assert_int_eq(buf_add(out, head, sizeof head, &err), 0);
	ck_assert_ptr_nonnull(buf_reserve(out, len + 4, &err));
	fd = open(srcfile, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, out->data + out->len, len, (off_t)off),
	    (ssize_t)len);
	close(fd);
	buf_put_u32be(out->data + out->len + len, WIRE_MAGIC_END);
	buf_commit(out, len + 4);
}

static void
staller_serve(struct staller *st, int fd)
{
	struct wire_decoder	*dec = wire_decoder_create();
	struct mt_err		 err;
	union message		 m, r;
	struct buf		 out;
	uint8_t			 in[4096], bits[PICKER_BITFIELD_LEN(64)];
	uint8_t			 head[80];
	size_t			 off = 0, used;
	ssize_t			 n = 0;
	enum wire_status	 ws;
	int			 stalled = 0;

	memset(bits, 0xff, sizeof bits);
	while (!st->stop) {
		if (off == (size_t)n) {
			n = net_recv(fd, in, sizeof in, net_now_ms() + 200,
			    &err);
			off = 0;
			if (n <= 0) {
				if (err.code == MT_E_TIMEOUT) {
					n = 0;
					continue;
				}
				break;
			}
		}
		ws = wire_decode_feed(dec, in + off, (size_t)n - off, &used,
		    &err);
		off += used;
		if (ws == WIRE_ERROR)
			break;
		if (ws != WIRE_FRAME || stalled)
			continue;
		if (message_decode(wire_decoder_frame(dec), &m, &err) != 0)
			break;
		buf_init(&out, 1 << 20);
		memset(&r, 0, sizeof r);
		if (m.type == MSG_hello) {
			r.type = MSG_hello;
			r.hello.version = MSG_PROTO_VERSION;
			r.hello.role = "peer";
			r.hello.node_id = "";
			r.hello.listen = st->addr;
			message_encode(&r, &out, &err);
		} else if (m.type == MSG_have_request) {
			r.type = MSG_have_reply;
			r.have_reply.file_id = srcmi.file_id_hex;
			r.have_reply.npieces = srcmi.npieces;
			r.have_reply.bitfield.p = bits;
			r.have_reply.bitfield.len =
			    PICKER_BITFIELD_LEN(srcmi.npieces);
			message_encode(&r, &out, &err);
		} else if (m.type == MSG_piece_request && st->full) {
			staller_put_piece(&out, &m);
		} else if (m.type == MSG_piece_request) {
			/* Head and half the data, then nothing. */
			staller_head(head, &m, PIECE);
			buf_add(&out, head, sizeof head, &err);
			buf_reserve(&out, PIECE / 2, &err);
			memset(out.data + out.len, 'z', PIECE / 2);
			buf_commit(&out, PIECE / 2);
			stalled = 1;
		}
		net_send_all(fd, buf_head(&out), buf_used(&out),
		    net_now_ms() + 2000, &err);
		buf_done(&out);
	}
	wire_decoder_free(dec);
	close(fd);
}

struct staller_conn {
	struct staller	*st;
	int		 fd;
};

static void *
staller_conn_main(void *arg)
{
	struct staller_conn	*sc = arg;

	staller_serve(sc->st, sc->fd);
	free(sc);
	return (NULL);
}

static void *
staller_main(void *arg)
{
	struct staller		*st = arg;
	struct staller_conn	*sc;
	struct mt_err		 err;
	int			 fd, i, n = 0;

	while (!st->stop) {
		if (net_wait(st->lfd, POLLIN, net_now_ms() + 100, -1,
		    &err) != 0)
			continue;
		fd = accept(st->lfd, NULL, NULL);
		if (fd == -1)
			continue;
		net_set_nonblock(fd);
		st->conns++;
		if (!st->full) {
			/* One connection at a time stalls a session. */
			staller_serve(st, fd);
			continue;
		}
		if (n == STALLER_CONNS) {
			close(fd);
			continue;
		}
		sc = malloc(sizeof *sc);
		ck_assert_ptr_nonnull(sc);
		sc->st = st;
		sc->fd = fd;
		ck_assert_int_eq(pthread_create(&st->served[n++], NULL,
		    staller_conn_main, sc), 0);
	}
	for (i = 0; i < n; i++)
		pthread_join(st->served[i], NULL);
	return (NULL);
}

/* Listen on a port of loopback and serve there (full: every piece). */
static void
staller_start(struct staller *st, int full)
{
	struct mt_err	err;

	memset(st, 0, sizeof *st);
	st->full = full;
	st->lfd = net_listen("127.0.0.1:0", 16, &err);
	ck_assert_int_ge(st->lfd, 0);
	ck_assert_int_eq(net_local_addr(st->lfd, st->addr, sizeof st->addr),
	    0);
	ck_assert_int_eq(pthread_create(&st->thread, NULL, staller_main, st),
	    0);
}

static void
staller_stop(struct staller *st)
{
	st->stop = 1;
	pthread_join(st->thread, NULL);
	close(st->lfd);
}

/* A peer that stalls mid-piece: its pieces go to the good seeder. */
START_TEST(test_stalled_seeder)
{
	struct staller	st;
	struct node	good, l;
	struct mt_err	err;
	struct view	v;
	char		dest[600], out[700], id[41];
	uint64_t	t0;

	staller_start(&st, 0);
	fake_add(&fake, srcmi.file_id_hex, st.addr);

	node_start(&good, "good");
	ck_assert_int_eq(engine_share(good.e, srcfile, NULL, "", id, &err), 0);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	t0 = now_ms();
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	ck_assert_uint_lt(now_ms() - t0, 25000);
	ck_assert_int_ge(st.conns, 1);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	node_stop(&l);
	node_stop(&good);
	staller_stop(&st);
}
END_TEST

/*
 * A peer that takes connections and never says a word: it records when
 * its first one came and in which place among all mute peers.
 */
#define MUTE_CONNS	8
struct mute {
	int		 lfd;
	char		 addr[64];
	pthread_t	 thread;
	atomic_int	 stop;
	atomic_int	 place;		/* 1: the first mute peer reached */
	uint64_t	 first_ms;
	int		 fds[MUTE_CONNS];
	int		 nfds;
};
static atomic_int	mute_places;

static void *
mute_main(void *arg)
{
	struct mute	*m = arg;
	struct mt_err	 err;
	int		 fd;

	while (!m->stop) {
		if (net_wait(m->lfd, POLLIN, net_now_ms() + 50, -1,
		    &err) != 0)
			continue;
		if ((fd = accept(m->lfd, NULL, NULL)) == -1)
			continue;
		if (m->nfds == 0) {
			m->first_ms = now_ms();
			m->place = ++mute_places;
		}
		if (m->nfds < MUTE_CONNS)
			m->fds[m->nfds++] = fd;
		else
			close(fd);
	}
	while (m->nfds > 0)
		close(m->fds[--m->nfds]);
	return (NULL);
}

static void
mute_start(struct mute *m)
{
	struct mt_err	err;

	memset(m, 0, sizeof *m);
	m->lfd = net_listen("127.0.0.1:0", 16, &err);
	ck_assert_int_ge(m->lfd, 0);
	ck_assert_int_eq(net_local_addr(m->lfd, m->addr, sizeof m->addr), 0);
	ck_assert_int_eq(pthread_create(&m->thread, NULL, mute_main, m), 0);
}

static void
mute_stop(struct mute *m)
{
	m->stop = 1;
	pthread_join(m->thread, NULL);
	close(m->lfd);
}

/*
 * Peers we know nothing of are tried in the tracker's order,
 * TRANSFER_OPENING_MAX at a time, and one that never answers holds the
 * others back for TRANSFER_OPENING_MS only: six mute peers are listed
 * before the seeder, and the download goes on long before they time out.
 */
#define MUTES		6
#define OPENING_MAX	4	/* TRANSFER_OPENING_MAX, engine-int.h */
#define SESSION_TIMEOUT_MS 10000 /* TRANSFER_TIMEOUT_MS */
START_TEST(test_opening_order)
{
	struct mute	mutes[MUTES];
	struct node	good, l;
	struct mt_err	err;
	struct view	v;
	char		dest[600], out[700], id[41];
	uint64_t	lo, hi;
	int		i;

	ck_assert_int_gt(MUTES, OPENING_MAX);
	mute_places = 0;
	for (i = 0; i < MUTES; i++) {
		mute_start(&mutes[i]);
		fake_add(&fake, srcmi.file_id_hex, mutes[i].addr);
	}
	node_start(&good, "good");
	ck_assert_int_eq(engine_share(good.e, srcfile, NULL, "", id, &err), 0);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start_workers(&l, "l", 2 * MUTES);
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	v = wait_have(&l, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	/* The first ones first, and the rest too, before any timed out. */
	lo = hi = mutes[0].first_ms;
	for (i = 0; i < MUTES; i++) {
		ck_assert_int_ne(mutes[i].place, 0);
		if (i < OPENING_MAX)
			ck_assert_int_le(mutes[i].place, OPENING_MAX);
		else
			ck_assert_int_gt(mutes[i].place, OPENING_MAX);
		lo = mutes[i].first_ms < lo ? mutes[i].first_ms : lo;
		hi = mutes[i].first_ms > hi ? mutes[i].first_ms : hi;
	}
	ck_assert_uint_lt(hi - lo, SESSION_TIMEOUT_MS / 2);
	node_stop(&l);
	node_stop(&good);
	for (i = 0; i < MUTES; i++) {
		fake_del(&fake, srcmi.file_id_hex, mutes[i].addr);
		mute_stop(&mutes[i]);
	}
}
END_TEST

/* A raw peer connection that reads ahead (frames may arrive unasked). */
struct rawc {
	int			 fd;
	struct wire_decoder	*dec;
	uint8_t			 in[65536];
	size_t			 off, n;
};

static void
rawc_send(struct rawc *c, const union message *m)
{
	struct buf	b;
	struct mt_err	err;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(message_encode(m, &b, &err), 0);
	ck_assert_int_eq(net_send_all(c->fd, buf_head(&b), buf_used(&b),
	    net_now_ms() + 5000, &err), 0);
	buf_done(&b);
}

/*
 * Read the next frame into *r (borrowing from c until the next read)
 * within ms of silence: 1, or 0 if none came.
 */
static int
rawc_next(struct rawc *c, union message *r, uint64_t ms)
{
	struct mt_err		 err;
	enum wire_status	 st = WIRE_MORE;
	size_t			 used;
	ssize_t			 got;

	while (st == WIRE_MORE) {
		if (c->off == c->n) {
			got = net_recv(c->fd, c->in, sizeof c->in,
			    net_now_ms() + ms, &err);
			if (got <= 0)
				return (0);
			c->off = 0;
			c->n = (size_t)got;
		}
		st = wire_decode_feed(c->dec, c->in + c->off, c->n - c->off,
		    &used, &err);
		c->off += used;
	}
	ck_assert_int_eq(st, WIRE_FRAME);
	ck_assert_int_eq(message_decode(wire_decoder_frame(c->dec), r, &err),
	    0);
	return (1);
}

/* Read the next frame into *r: one must come within 5 s. */
static void
rawc_read(struct rawc *c, union message *r)
{
	ck_assert_int_eq(rawc_next(c, r, 5000), 1);
}

/* Connect to n's listening socket, nothing sent yet. */
static void
rawc_bare(struct rawc *c, struct node *n)
{
	struct mt_err	err;

	memset(c, 0, sizeof *c);
	c->fd = net_connect(engine_listen_addr(n->e), 3000, &err);
	ck_assert_int_ge(c->fd, 0);
	c->dec = wire_decoder_create();
}

/* Connect to n and exchange hellos of version v, listening on listen. */
static void
rawc_connect_v(struct rawc *c, struct node *n, const char *listen,
    uint64_t v)
{
	union message	m, r;

	rawc_bare(c, n);
	memset(&m, 0, sizeof m);
	m.type = MSG_hello;
	m.hello.version = v;
	m.hello.role = "peer";
	m.hello.node_id = "";
	m.hello.listen = listen;
	rawc_send(c, &m);
	rawc_read(c, &r);
	ck_assert_int_eq(r.type, MSG_hello);
	/* It answers in our version, which an older peer would require. */
	ck_assert_uint_eq(r.hello.version, v);
}

/* Connect to n and exchange hellos, saying we listen on listen. */
static void
rawc_connect_as(struct rawc *c, struct node *n, const char *listen)
{
	rawc_connect_v(c, n, listen, MSG_PROTO_VERSION);
}

/* The same, listening nowhere (each such connection counts apart). */
static void
rawc_connect(struct rawc *c, struct node *n)
{
	rawc_connect_as(c, n, "");
}

/* Send m and read the next frame into *r. */
static void
rawc_call(struct rawc *c, const union message *m, union message *r)
{
	rawc_send(c, m);
	rawc_read(c, r);
}

/* rawc_connect_v(), then subscribe; fills bits from the have_reply. */
static void
rawc_open_v(struct rawc *c, struct node *n, const char *listen,
    uint64_t v, uint8_t *bits, size_t blen)
{
	union message	m, r;

	rawc_connect_v(c, n, listen, v);
	memset(&m, 0, sizeof m);
	m.type = MSG_have_request;
	m.have_request.file_id = srcmi.file_id_hex;
	rawc_call(c, &m, &r);
	ck_assert_int_eq(r.type, MSG_have_reply);
	ck_assert_uint_eq(r.have_reply.bitfield.len, blen);
	memcpy(bits, r.have_reply.bitfield.p, blen);
}

static void
rawc_open_as(struct rawc *c, struct node *n, const char *listen,
    uint8_t *bits, size_t blen)
{
	rawc_open_v(c, n, listen, MSG_PROTO_VERSION, bits, blen);
}

static void
rawc_open(struct rawc *c, struct node *n, uint8_t *bits, size_t blen)
{
	rawc_open_as(c, n, "", bits, blen);
}

/* Read frames until a have_reply; its bitfield into bits. */
static void
rawc_await_bits(struct rawc *c, uint8_t *bits, size_t blen)
{
	union message	r;

	rawc_read(c, &r);
	ck_assert_int_eq(r.type, MSG_have_reply);
	ck_assert_uint_eq(r.have_reply.bitfield.len, blen);
	memcpy(bits, r.have_reply.bitfield.p, blen);
}

static void
rawc_close(struct rawc *c)
{
	wire_decoder_free(c->dec);
	close(c->fd);
}

/*
 * The `have` frames that come on c until ms pass without a byte, split
 * by how each names the file: "" (brief) into *brief, the file's id
 * into *full; anything else fails.
 */
static void
rawc_count_named(struct rawc *c, uint64_t ms, unsigned *brief,
    unsigned *full)
{
	union message	r;

	*brief = *full = 0;
	while (rawc_next(c, &r, ms)) {
		if (r.type != MSG_have)
			continue;
		if (r.have.file_id[0] == '\0')
			(*brief)++;
		else {
			ck_assert_str_eq(r.have.file_id, srcmi.file_id_hex);
			(*full)++;
		}
	}
}

/* The `have` frames that come on c until ms pass without a byte. */
static unsigned
rawc_count_haves(struct rawc *c, uint64_t ms)
{
	unsigned	brief, full;

	rawc_count_named(c, ms, &brief, &full);
	return (brief + full);
}

/* m, as the first frame of a connection, is refused: error protocol. */
static void
rawc_refused(struct node *n, const union message *m)
{
	struct rawc	c;
	union message	r;

	rawc_bare(&c, n);
	rawc_call(&c, m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	ck_assert_uint_eq(r.error.code, MT_E_PROTO);
	rawc_close(&c);
}

/* Requests for files not shared are refused, never served. */
START_TEST(test_refuse_unknown)
{
	struct node	 s;
	struct mt_err	 err;
	struct rawc	 c;
	union message	 m, r;
	char		 id[41];

	node_start(&s, "s");
	ck_assert_int_eq(engine_share(s.e, srcfile, NULL, "", id, &err), 0);
	rawc_connect(&c, &s);

	memset(&m, 0, sizeof m);
	m.type = MSG_have_request;
	m.have_request.file_id = "0123456789012345678901234567890123456789";
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	ck_assert_uint_eq(r.error.code, MT_E_NOTFOUND);

	memset(&m, 0, sizeof m);
	m.type = MSG_piece_request;
	m.piece_request.file_id = "../../../etc/passwd";
	m.piece_request.index = 0;
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	ck_assert_uint_eq(r.error.code, MT_E_NOTFOUND);

	m.piece_request.file_id = srcmi.file_id_hex;
	m.piece_request.index = srcmi.npieces;
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	ck_assert_uint_eq(r.error.code, MT_E_BADVALUE);

	/* A real piece comes back whole and correct. */
	m.piece_request.index = 3;
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_piece_reply);
	ck_assert_uint_eq(r.piece_reply.index, 3);
	ck_assert_uint_eq(r.piece_reply.data.len, PIECE);
	{
		uint8_t	md[20];

		ck_assert_int_eq(hash_sha1(r.piece_reply.data.p, PIECE, md,
		    &err), 0);
		ck_assert_mem_eq(md, srcmi.pieces + 3 * 20, 20);
	}
	rawc_close(&c);
	node_stop(&s);
}
END_TEST

static unsigned
bits_count(const uint8_t *bits, uint32_t n)
{
	uint32_t	i;
	unsigned	k = 0;

	for (i = 0; i < n; i++)
		k += (unsigned)picker_bit(bits, i);
	return (k);
}

/*
 * Initial seeding: while one peer downloads from the sharer, that peer
 * sees every piece (from each of its connections); while two or more
 * do, the sharer shows each connection two pieces never sent,
 * different ones to different connections, a new one by `have` each
 * time one goes out, and its whole bitfield once every piece went out
 * once; until then no piece is sent twice (asked again, it is refused).
 */
START_TEST(test_initial_seeding)
{
	struct node	 s;
	struct mt_err	 err;
	struct rawc	 a, a2, b;
	union message	 m, r;
	uint8_t		 abits[8], a2bits[8], bbits[8], sent[8];
	size_t		 blen = PICKER_BITFIELD_LEN(srcmi.npieces);
	uint32_t	 i, nsent = 0;
	char		 id[41];
	int		 revealed = 0;

	ck_assert_uint_le(blen, sizeof abits);
	node_start(&s, "s");
	/* Shared in whole pieces, the units these raw clients ask in. */
	setenv("MTORRENT_UNIT_SIZE", "524288", 1);
	ck_assert_int_eq(engine_share(s.e, srcfile, NULL, "", id, &err), 0);
	unsetenv("MTORRENT_UNIT_SIZE");
	/* One peer (two connections, one listening port): everything. */
	rawc_open_as(&a, &s, "127.0.0.1:40000", abits, blen);
	ck_assert_uint_eq(bits_count(abits, srcmi.npieces), srcmi.npieces);
	rawc_open_as(&a2, &s, "127.0.0.1:40000", a2bits, blen);
	ck_assert_uint_eq(bits_count(a2bits, srcmi.npieces), srcmi.npieces);
	/* A second peer: every connection is narrowed to its offers. */
	rawc_open_as(&b, &s, "127.0.0.1:40001", bbits, blen);
	ck_assert_uint_eq(bits_count(bbits, srcmi.npieces), 2);
	rawc_await_bits(&a, abits, blen);
	rawc_await_bits(&a2, a2bits, blen);
	ck_assert_uint_eq(bits_count(abits, srcmi.npieces), 2);
	ck_assert_uint_eq(bits_count(a2bits, srcmi.npieces), 2);
	for (i = 0; i < blen; i++) {
		ck_assert_uint_eq(abits[i] & bbits[i], 0);
		ck_assert_uint_eq(a2bits[i] & bbits[i], 0);
		ck_assert_uint_eq(abits[i] & a2bits[i], 0);
	}
	/* It leaves: the first peer sees everything again ... */
	rawc_close(&b);
	rawc_await_bits(&a, abits, blen);
	ck_assert_uint_eq(bits_count(abits, srcmi.npieces), srcmi.npieces);
	rawc_await_bits(&a2, a2bits, blen);
	ck_assert_uint_eq(bits_count(a2bits, srcmi.npieces), srcmi.npieces);
	/* ... until another comes (listening nowhere counts apart). */
	rawc_open(&b, &s, bbits, blen);
	rawc_await_bits(&a, abits, blen);
	rawc_await_bits(&a2, a2bits, blen);
	rawc_close(&a2);
	ck_assert_uint_eq(bits_count(abits, srcmi.npieces), 2);
	ck_assert_uint_eq(bits_count(bbits, srcmi.npieces), 2);
	for (i = 0; i < blen; i++)
		ck_assert_uint_eq(abits[i] & bbits[i], 0);

	/* Fetch on a whatever it shows until the whole bitfield comes. */
	memset(sent, 0, sizeof sent);
	while (!revealed) {
		for (i = 0; i < srcmi.npieces; i++) {
			if (picker_bit(abits, i) && !picker_bit(sent, i))
				break;
		}
		ck_assert_uint_lt(i, srcmi.npieces);
		memset(&m, 0, sizeof m);
		m.type = MSG_piece_request;
		m.piece_request.file_id = srcmi.file_id_hex;
		m.piece_request.index = i;
		rawc_send(&a, &m);
		for (;;) {
			rawc_read(&a, &r);
			if (r.type == MSG_piece_reply)
				break;
			ck_assert_int_eq(r.type, MSG_have);
			ck_assert_uint_lt(r.have.index, srcmi.npieces);
			/* Only pieces never sent are shown. */
			ck_assert_int_eq(picker_bit(sent,
			    (uint32_t)r.have.index), 0);
			picker_bit_set(abits, (uint32_t)r.have.index);
		}
		ck_assert_uint_eq(r.piece_reply.index, i);
		picker_bit_set(sent, i);
		nsent++;
		if (nsent == 1) {
			/* Sent once: not again, to b, before the rest. */
			m.piece_request.index = i;
			rawc_send(&b, &m);
			do
				rawc_read(&b, &r);
			while (r.type == MSG_have);
			ck_assert_int_eq(r.type, MSG_error);
			ck_assert_uint_eq(r.error.code, MT_E_NOTFOUND);
		}
		/* The next frames: new offers, or the whole bitfield. */
		while (bits_count(abits, srcmi.npieces) -
		    bits_count(sent, srcmi.npieces) < 1 ||
		    nsent == srcmi.npieces) {
			rawc_read(&a, &r);
			if (r.type == MSG_have_reply) {
				ck_assert_uint_eq(bits_count(
				    r.have_reply.bitfield.p, srcmi.npieces),
				    srcmi.npieces);
				revealed = 1;
				break;
			}
			ck_assert_int_eq(r.type, MSG_have);
			ck_assert_int_eq(picker_bit(sent,
			    (uint32_t)r.have.index), 0);
			picker_bit_set(abits, (uint32_t)r.have.index);
		}
		ck_assert_uint_le(nsent, srcmi.npieces);
	}
	/* Every piece went out exactly once, all on a. */
	ck_assert_uint_eq(nsent, srcmi.npieces);
	/* b is told too: a whole bitfield, after any offers it had. */
	for (;;) {
		rawc_read(&b, &r);
		if (r.type == MSG_have_reply)
			break;
		ck_assert_int_eq(r.type, MSG_have);
	}
	ck_assert_uint_eq(bits_count(r.have_reply.bitfield.p,
	    srcmi.npieces), srcmi.npieces);
	rawc_close(&a);
	rawc_close(&b);
	node_stop(&s);
}
END_TEST

/* remove: the tracker, the state db and the .mtorrent go; data stays. */
START_TEST(test_remove)
{
	struct node		 s;
	struct mt_err		 err;
	struct rawc		 c;
	struct snapshot		 snap;
	union message		 m, r;
	struct stat		 sb;
	char			 id[41], mt[600];

	node_start(&s, "s");
	snprintf(mt, sizeof mt, "%s/s/share.mtorrent", root);
	ck_assert_int_eq(engine_share(s.e, srcfile, mt, "", id, &err), 0);
	ck_assert_int_eq(stat(mt, &sb), 0);
	ck_assert_int_eq(fake_file(&fake, id)->n, 1);
	/* A hello of a version we do not speak is refused (protocol) ... */
	memset(&m, 0, sizeof m);
	m.type = MSG_hello;
	m.hello.version = MSG_PROTO_VERSION + 1;
	m.hello.role = "peer";
	m.hello.node_id = "x";
	m.hello.listen = "";
	rawc_refused(&s, &m);
	/* ... and so is a request without hello ... */
	memset(&m, 0, sizeof m);
	m.type = MSG_have_request;
	m.have_request.file_id = id;
	rawc_refused(&s, &m);
	/* ... which after hello is answered. */
	rawc_connect(&c, &s);
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_have_reply);

	ck_assert_int_eq(engine_remove(s.e, mt, &err), 0);
	ck_assert_int_eq(engine_remove(s.e, mt, &err), -1);
	ck_assert_int_eq(err.code, MT_E_NOTFOUND);
	ck_assert_int_ne(stat(mt, &sb), 0);
	ck_assert_int_eq(stat(srcfile, &sb), 0);
	ck_assert_int_eq(fake_file(&fake, id)->n, 0);
	/* The open connection is refused from now on. */
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	ck_assert_uint_eq(r.error.code, MT_E_NOTFOUND);
	memset(&m, 0, sizeof m);
	m.type = MSG_piece_request;
	m.piece_request.file_id = id;
	m.piece_request.index = 0;
	rawc_call(&c, &m, &r);
	ck_assert_int_eq(r.type, MSG_error);
	rawc_close(&c);
	node_stop(&s);
	/* Not resumed after a restart. */
	node_start(&s, "s");
	engine_snapshot(s.e, &snap);
	ck_assert_uint_eq(snap.ntorrents, 0);
	snapshot_done(&snap);
	node_stop(&s);
}
END_TEST

/* get refuses to replace an existing file at the destination. */
START_TEST(test_get_existing)
{
	struct node	l;
	struct mt_err	err;
	char		dest[600], path[700];
	int		fd;

	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	snprintf(path, sizeof path, "%s/data.bin", dest);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), -1);
	ck_assert_int_eq(err.code, MT_E_EXISTS);
	node_stop(&l);
}
END_TEST

/*
 * A `have` goes only where the piece may be lacking: a downloader fed
 * by one source that showed it every piece tells that source of none
 * of them (written or queued), while a subscriber that listens nowhere
 * hears of each.
 */
START_TEST(test_have_only_to_lackers)
{
	struct staller	st;
	struct node	d;
	struct rawc	holder, other;
	struct mt_err	err;
	struct view	v;
	uint8_t		bits[8];
	size_t		blen = PICKER_BITFIELD_LEN(srcmi.npieces);
	char		dest[600], out[700];

	ck_assert_uint_le(blen, sizeof bits);
	staller_start(&st, 1);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&d, "d");
	/* No source known yet: nothing arrives before both subscribe. */
	ck_assert_int_eq(engine_get(d.e, mtorrent, dest, &err), 0);
	rawc_open(&other, &d, bits, blen);
	ck_assert_uint_eq(bits_count(bits, srcmi.npieces), 0);
	/* The source subscribes: d learns it from its hello.listen. */
	rawc_open_as(&holder, &d, st.addr, bits, blen);
	ck_assert_uint_eq(bits_count(bits, srcmi.npieces), 0);
	v = wait_have(&d, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	snprintf(out, sizeof out, "%s/data.bin", dest);
	ck_assert(files_equal(srcfile, out));
	ck_assert_uint_eq(rawc_count_haves(&other, 300), srcmi.npieces);
	ck_assert_uint_eq(rawc_count_haves(&holder, 300), 0);
	rawc_close(&holder);
	rawc_close(&other);
	node_stop(&d);
	staller_stop(&st);
}
END_TEST

/*
 * `have`s are brief ("" for the file) only to a peer whose hello said
 * MSG_PROTO_BRIEF or more; a version 2 peer hears the file's id.
 */
START_TEST(test_have_brief)
{
	struct staller	st;
	struct node	d;
	struct rawc	v3, v2, holder;
	struct mt_err	err;
	struct view	v;
	uint8_t		bits[8];
	size_t		blen = PICKER_BITFIELD_LEN(srcmi.npieces);
	char		dest[600];
	unsigned	brief, full;

	ck_assert_uint_le(blen, sizeof bits);
	ck_assert_uint_ge(MSG_PROTO_VERSION, MSG_PROTO_BRIEF);
	staller_start(&st, 1);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&d, "d");
	ck_assert_int_eq(engine_get(d.e, mtorrent, dest, &err), 0);
	rawc_open_v(&v3, &d, "", MSG_PROTO_BRIEF, bits, blen);
	rawc_open_v(&v2, &d, "", MSG_PROTO_CANCEL, bits, blen);
	/* The source subscribes: d learns it from its hello.listen. */
	rawc_open_as(&holder, &d, st.addr, bits, blen);
	v = wait_have(&d, srcmi.npieces, 1);
	ck_assert_int_eq(v.seeding, 1);
	rawc_count_named(&v3, 300, &brief, &full);
	ck_assert_uint_eq(brief, srcmi.npieces);
	ck_assert_uint_eq(full, 0);
	rawc_count_named(&v2, 300, &brief, &full);
	ck_assert_uint_eq(brief, 0);
	ck_assert_uint_eq(full, srcmi.npieces);
	rawc_close(&v3);
	rawc_close(&v2);
	rawc_close(&holder);
	node_stop(&d);
	staller_stop(&st);
}
END_TEST

/*
 * An older peer, which refuses every hello above version 2: it records
 * the version of the hellos it gets (until one says 2), refuses those
 * above 2, and closes.
 */
#define OLDPEER_HELLOS	8
struct oldpeer {
	int		lfd;
	char		addr[64];
	pthread_t	thread;
	atomic_int	stop;
	uint64_t	ver[OLDPEER_HELLOS];	/* hellos seen, in order */
	uint64_t	at[OLDPEER_HELLOS];	/* when (ms) */
	atomic_int	n;
	atomic_int	downgraded;		/* one said 2 */
};

static void *
oldpeer_main(void *arg)
{
	struct oldpeer	*o = arg;
	struct mt_err	 err;
	struct rawc	 c;
	union message	 r, m;

	while (!o->stop && !o->downgraded && o->n < OLDPEER_HELLOS) {
		if (net_wait(o->lfd, POLLIN, net_now_ms() + 50, -1,
		    &err) != 0)
			continue;
		memset(&c, 0, sizeof c);
		if ((c.fd = accept(o->lfd, NULL, NULL)) == -1)
			continue;
		c.dec = wire_decoder_create();
		if (rawc_next(&c, &r, 5000) && r.type == MSG_hello) {
			o->ver[o->n] = r.hello.version;
			o->at[o->n] = now_ms();
			if (r.hello.version > MSG_PROTO_CANCEL) {
				memset(&m, 0, sizeof m);
				m.type = MSG_error;
				m.error.code = MT_E_PROTO;
				m.error.text = "protocol version not supported";
				rawc_send(&c, &m);
			} else
				o->downgraded = 1;
			o->n++;
		}
		rawc_close(&c);
	}
	return (NULL);
}

/*
 * A peer that refuses our version (an older one) is asked again at
 * once, saying version 2.
 */
START_TEST(test_old_peer_downgrade)
{
	struct oldpeer	o;
	struct node	l;
	struct mt_err	err;
	char		dest[600];
	uint64_t	t0;

	memset(&o, 0, sizeof o);
	o.lfd = net_listen("127.0.0.1:0", 16, &err);
	ck_assert_int_ge(o.lfd, 0);
	ck_assert_int_eq(net_local_addr(o.lfd, o.addr, sizeof o.addr), 0);
	ck_assert_int_eq(pthread_create(&o.thread, NULL, oldpeer_main, &o),
	    0);
	fake_add(&fake, srcmi.file_id_hex, o.addr);
	snprintf(dest, sizeof dest, "%s/leech", root);
	mkdir(dest, 0700);
	node_start(&l, "l");
	ck_assert_int_eq(engine_get(l.e, mtorrent, dest, &err), 0);
	/*
	 * Refused at version 3, it was asked again saying 2, within
	 * seconds of the first refusal (the sessions that had started
	 * before it may say 3 too).
	 */
	for (t0 = now_ms(); !o.downgraded && now_ms() - t0 < 5000; )
		usleep(10000);
	ck_assert_int_eq(o.downgraded, 1);
	ck_assert_int_ge(o.n, 2);
	ck_assert_uint_eq(o.ver[0], MSG_PROTO_VERSION);
	ck_assert_uint_eq(o.ver[o.n - 1], MSG_PROTO_CANCEL);
	ck_assert_uint_lt(o.at[o.n - 1] - o.at[0], 3000);
	node_stop(&l);
	fake_del(&fake, srcmi.file_id_hex, o.addr);
	o.stop = 1;
	pthread_join(o.thread, NULL);
	close(o.lfd);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite	*s = suite_create("engine");
	TCase	*tc;

	tc = tcase_create("swarm");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_four_partial_seeders);
	tcase_add_test(tc, test_relay_partial);
	tcase_add_test(tc, test_units_mixed);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_corrupt_seeder_banned);
	tcase_add_test(tc, test_corrupt_only_source);
	tcase_add_test(tc, test_resume);
	tcase_add_test(tc, test_stalled_seeder);
	tcase_add_test(tc, test_have_only_to_lackers);
	tcase_add_test(tc, test_have_brief);
	tcase_add_test(tc, test_old_peer_downgrade);
	suite_add_tcase(s, tc);
	tc = tcase_create("safety");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_refuse_unknown);
	tcase_add_test(tc, test_initial_seeding);
	tcase_add_test(tc, test_opening_order);
	tcase_add_test(tc, test_get_existing);
	tcase_add_test(tc, test_remove);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;

	/* As the front ends do: sendfile() to a closed peer is EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(engine_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
