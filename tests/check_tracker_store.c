/*
 * check_tracker_store.c: the tracker's state and rules (tracker-store*.c).
 *
 * Every test drives tracker_store_handle() with typed messages and
 * decodes the reply frame, as the network side does.  Replication tests
 * open two stores and move events between them through
 * tracker_store_events_after(), the frame decoder and
 * tracker_store_apply(), then compare their answers to the same queries.
 * Password hashing runs at a low iteration count (set per store) so the
 * suite stays fast; one test checks that the default is >= 600000.
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "error.h"
#include "message.h"
#include "tracker-store.h"
#include "wire.h"
#include "xmalloc.h"

#define TEST_ITER	1000
#define TTL		TRACKER_STORE_SEEDER_TTL_MS

static char			 dir[64];
static struct tracker_store	*A, *B;
static uint64_t			 T0;

/* The last reply, decoded; its strings live in dec's frame. */
static struct wire_decoder	*dec;
static union message		 last;
static struct buf		 outb;
static char			 last_text[256];

static uint64_t
wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

static struct tracker_store *
open_store(const char *name)
{
	struct tracker_store	*ts;
	struct mt_err		 err;
	char			 path[128];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ts = tracker_store_open(path, &err);
	ck_assert_msg(ts != NULL, "open %s: %s", path, err.msg);
	tracker_store_set_kdf_iter(ts, TEST_ITER);
	return (ts);
}

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_ts.XXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	A = open_store("a.db");
	B = NULL;
	T0 = wall_ms();
	dec = NULL;
	buf_init(&outb, 4 * WIRE_FRAME_MAX);
}

static void
teardown(void)
{
	char	cmd[128];

	tracker_store_close(A);
	tracker_store_close(B);
	wire_decoder_free(dec);
	buf_done(&outb);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/*
 * Send m to ts from ip at now; decode the one reply into `last'.
 * Returns MT_E_OK for a non-error reply, else the error's code.
 */
static int
call_at(struct tracker_store *ts, const union message *m, const char *ip,
    uint64_t now)
{
	struct mt_err	err;
	size_t		used;

	buf_reset(&outb);
	ck_assert_int_eq(tracker_store_handle(ts, m, ip, now, &outb), 0);
	wire_decoder_free(dec);
	dec = wire_decoder_create();
	ck_assert_int_eq(wire_decode_feed(dec, buf_head(&outb),
	    buf_used(&outb), &used, &err), WIRE_FRAME);
	ck_assert_uint_eq(used, buf_used(&outb));	/* exactly one */
	ck_assert_int_eq(message_decode(wire_decoder_frame(dec), &last, &err),
	    0);
	if (last.type == MSG_error) {
		snprintf(last_text, sizeof last_text, "%s", last.error.text);
		return ((int)last.error.code);
	}
	last_text[0] = '\0';
	return (MT_E_OK);
}

static int
call(struct tracker_store *ts, const union message *m)
{
	return (call_at(ts, m, "127.0.0.1", T0));
}

/* ---- request builders ---- */

static int
create_user(struct tracker_store *ts, const char *u, const char *pw)
{
	union message	m = { .create_user = { MSG_create_user, u, pw } };

	return (call(ts, &m));
}

static int
login_at(struct tracker_store *ts, const char *u, const char *pw,
    const char *ip, uint64_t now, char *token)
{
	union message	m = { .login = { MSG_login, u, pw } };
	int		rc;

	rc = call_at(ts, &m, ip, now);
	if (rc == MT_E_OK) {
		ck_assert_int_eq(last.type, MSG_login_reply);
		ck_assert_uint_eq(strlen(last.login_reply.token), 64);
		if (token != NULL)
			snprintf(token, 65, "%s", last.login_reply.token);
	}
	return (rc);
}

static int
login(struct tracker_store *ts, const char *u, const char *pw, char *token)
{
	return (login_at(ts, u, pw, "127.0.0.1", T0, token));
}

/* Create user u (password "pw-" u) and log in; token into tok. */
static void
user(struct tracker_store *ts, const char *u, char *tok)
{
	char	pw[80];

	snprintf(pw, sizeof pw, "pw-%s", u);
	ck_assert_int_eq(create_user(ts, u, pw), MT_E_OK);
	ck_assert_int_eq(login(ts, u, pw, tok), MT_E_OK);
}

static int
group_req(struct tracker_store *ts, enum message_type t, const char *tok,
    const char *g)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = t;
	switch (t) {
	case MSG_create_group:
		m.create_group.token = tok;
		m.create_group.group = g;
		break;
	case MSG_join_group:
		m.join_group.token = tok;
		m.join_group.group = g;
		break;
	case MSG_leave_group:
		m.leave_group.token = tok;
		m.leave_group.group = g;
		break;
	case MSG_list_requests:
		m.list_requests.token = tok;
		m.list_requests.group = g;
		break;
	case MSG_list_files:
		m.list_files.token = tok;
		m.list_files.group = g;
		break;
	case MSG_list_groups:
		m.list_groups.token = tok;
		break;
	case MSG_logout:
		m.logout.token = tok;
		break;
	default:
		ck_abort_msg("group_req: type %d", t);
	}
	return (call(ts, &m));
}

static int
accept_req(struct tracker_store *ts, const char *tok, const char *g,
    const char *u)
{
	union message	m = { .accept_request = { MSG_accept_request, tok, g,
			    u } };

	return (call(ts, &m));
}

/* A test file: npieces deterministic piece hashes from seed. */
struct tfile {
	uint8_t		pieces[20 * 512];
	uint32_t	npieces;
	uint64_t	size;
	char		id[41];
};

static void
tfile_make(struct tfile *f, unsigned seed, uint32_t npieces)
{
	uint8_t		md[20];
	unsigned	i;

	f->npieces = npieces;
	f->size = npieces == 0 ? 0 : (uint64_t)(npieces - 1) * 524288 + 1000;
	for (i = 0; i < 20 * npieces; i++)
		f->pieces[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 3));
	if (npieces > 0) {
		/* Distinct seeds, distinct files. */
		f->pieces[0] = (uint8_t)(seed >> 8);
		f->pieces[1] = (uint8_t)seed;
	}
	EVP_Digest(f->pieces, 20 * npieces, md, NULL, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		snprintf(f->id + 2 * i, 3, "%02x", md[i]);
}

/* A share of f into m. */
static void
share_msg(union message *m, const char *tok, const struct tfile *f,
    const char *name, const char *g, const char *seeder)
{
	memset(m, 0, sizeof *m);
	m->type = MSG_share;
	m->share.token = tok;
	m->share.file_id = f->id;
	m->share.name = name;
	m->share.size = f->size;
	m->share.piece_size = 524288;
	m->share.pieces.p = f->pieces;
	m->share.pieces.len = 20 * f->npieces;
	m->share.group = g;
	m->share.seeder = seeder;
}

static int
share_at(struct tracker_store *ts, const char *tok, const struct tfile *f,
    const char *name, const char *g, const char *seeder, const char *ip,
    uint64_t now)
{
	union message	m;

	share_msg(&m, tok, f, name, g, seeder);
	return (call_at(ts, &m, ip, now));
}

static int
share(struct tracker_store *ts, const char *tok, const struct tfile *f,
    const char *name, const char *g, const char *seeder)
{
	return (share_at(ts, tok, f, name, g, seeder, "127.0.0.1", T0));
}

/* Ask for seeders; the addresses, sorted, joined by ' ', into out. */
static int
seeders_at(struct tracker_store *ts, const char *tok, const char *id,
    uint64_t now, char *out, size_t outlen)
{
	union message	 m = { .seeders = { MSG_seeders, tok, id } };
	const char	*v[TRACKER_STORE_SEEDERS_MAX + 1];
	uint32_t	 i, j, n;
	int		 rc;

	if ((rc = call_at(ts, &m, "127.0.0.1", now)) != MT_E_OK)
		return (rc);
	ck_assert_int_eq(last.type, MSG_seeders_reply);
	ck_assert_str_eq(last.seeders_reply.file_id, id);
	n = last.seeders_reply.seeders.n;
	ck_assert_uint_le(n, TRACKER_STORE_SEEDERS_MAX);
	for (i = 0; i < n; i++)
		v[i] = last.seeders_reply.seeders.v[i].p;
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			const char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	}
	if (out != NULL) {
		out[0] = '\0';
		for (i = 0; i < n; i++) {
			if (i > 0)
				strncat(out, " ", outlen - strlen(out) - 1);
			strncat(out, v[i], outlen - strlen(out) - 1);
		}
	}
	return (MT_E_OK);
}

static int
seeders(struct tracker_store *ts, const char *tok, const char *id,
    char *out, size_t outlen)
{
	return (seeders_at(ts, tok, id, T0, out, outlen));
}

/* An announce of the one file id (id keeps it) by seeder, into m. */
static void
announce_one(union message *m, struct wire_arg *id, const char *fid,
    const char *tok, const char *seeder)
{
	id->p = fid;
	id->len = 40;
	memset(m, 0, sizeof *m);
	m->type = MSG_announce;
	m->announce.token = tok;
	m->announce.seeder = seeder;
	m->announce.file_ids.n = 1;
	m->announce.file_ids.v = id;
}

static int
seeder_op(struct tracker_store *ts, enum message_type t, const char *tok,
    const char *id, const char *seeder)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = t;
	if (t == MSG_seeder_add) {
		m.seeder_add.token = tok;
		m.seeder_add.file_id = id;
		m.seeder_add.seeder = seeder;
	} else {
		m.seeder_remove.token = tok;
		m.seeder_remove.file_id = id;
		m.seeder_remove.seeder = seeder;
	}
	return (call(ts, &m));
}

static int
metainfo_req(struct tracker_store *ts, const char *tok, const char *id,
    const char *g, const char *name)
{
	union message	m = { .metainfo = { MSG_metainfo, tok, id, g, name } };

	return (call(ts, &m));
}

/* The last list_reply's items joined by '|'. */
static void
list_join(char *out, size_t outlen)
{
	uint32_t	i;

	ck_assert_int_eq(last.type, MSG_list_reply);
	out[0] = '\0';
	for (i = 0; i < last.list_reply.items.n; i++) {
		if (i > 0)
			strncat(out, "|", outlen - strlen(out) - 1);
		strncat(out, last.list_reply.items.v[i].p,
		    outlen - strlen(out) - 1);
	}
}

/* ---- replication helpers ---- */

struct seen_list {
	char	items[64][96];
	size_t	n;
};

static int
seen_lookup(void *arg, const char *origin, uint64_t *seq)
{
	struct seen_list	*s = arg;
	size_t			 i, l = strlen(origin);

	for (i = 0; i < s->n; i++) {
		if (strncmp(s->items[i], origin, l) == 0 &&
		    s->items[i][l] == ' ') {
			*seq = strtoull(s->items[i] + l + 1, NULL, 10);
			return (0);
		}
	}
	return (-1);
}

/* Move every event `from' has and `to' lacks; returns how many. */
static size_t
sync_one_way(struct tracker_store *from, struct tracker_store *to,
    size_t batch)
{
	struct seen_list	 seen;
	struct wire_decoder	*d;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	size_t			 total = 0, off, used;
	int			 n;

	buf_init(&b, 4 * WIRE_FRAME_MAX);
	for (;;) {
		seen.n = tracker_store_seen(to, seen.items, 64);
		buf_reset(&b);
		n = tracker_store_events_after(from, seen_lookup, &seen, batch,
		    &b);
		ck_assert_int_ge(n, 0);
		if (n == 0)
			break;
		ck_assert_uint_le((size_t)n, batch);
		d = wire_decoder_create();
		for (off = 0; off < buf_used(&b); off += used) {
			ck_assert_int_eq(wire_decode_feed(d, buf_head(&b) + off,
			    buf_used(&b) - off, &used, &err), WIRE_FRAME);
			ck_assert_int_eq(message_decode(wire_decoder_frame(d),
			    &m, &err), 0);
			ck_assert_int_eq(m.type, MSG_sync_event);
			ck_assert_msg(tracker_store_apply(to, &m.sync_event,
			    &err) == 0, "apply %s: %s", m.sync_event.op,
			    err.msg);
			total++;
		}
		wire_decoder_free(d);
	}
	buf_done(&b);
	return (total);
}

static void
sync_both(void)
{
	/* Twice: B may relay nothing new, but be thorough. */
	sync_one_way(A, B, 1000);
	sync_one_way(B, A, 1000);
	ck_assert_uint_eq(sync_one_way(A, B, 1000), 0);
	ck_assert_uint_eq(sync_one_way(B, A, 1000), 0);
}

/* ---- tests: accounts ---- */

START_TEST(test_kdf_default)
{
	struct tracker_store	*ts;
	struct mt_err		 err;
	char			 path[128];

	unsetenv("MTORRENT_TEST_KDF_ITER");
	snprintf(path, sizeof path, "%s/default.db", dir);
	ts = tracker_store_open(path, &err);
	ck_assert_ptr_nonnull(ts);
	ck_assert_uint_ge(tracker_store_kdf_iter(ts), 600000);
	ck_assert_uint_ge(TRACKER_STORE_KDF_ITER, 600000);
	tracker_store_close(ts);
}
END_TEST

START_TEST(test_create_user)
{
	char	big[1100];

	ck_assert_int_eq(create_user(A, "alice", "secret"), MT_E_OK);
	ck_assert_int_eq(create_user(A, "alice", "other"), MT_E_EXISTS);
	ck_assert_int_eq(create_user(A, "", "x"), MT_E_BADNAME);
	ck_assert_int_eq(create_user(A, "a b", "x"), MT_E_BADNAME);
	ck_assert_int_eq(create_user(A, "a/b", "x"), MT_E_BADNAME);
	ck_assert_int_eq(create_user(A, "\xc3\xa9t\xc3\xa9", "x"),
	    MT_E_BADNAME);
	memset(big, 'a', 65);
	big[65] = '\0';
	ck_assert_int_eq(create_user(A, big, "x"), MT_E_BADNAME);
	big[64] = '\0';
	ck_assert_int_eq(create_user(A, big, "x"), MT_E_OK);
	ck_assert_int_eq(create_user(A, "bob", ""), MT_E_BADVALUE);
	memset(big, 'p', 1025);
	big[1025] = '\0';
	ck_assert_int_eq(create_user(A, "bob", big), MT_E_BADVALUE);
	big[1024] = '\0';
	ck_assert_int_eq(create_user(A, "bob", big), MT_E_OK);
	ck_assert_int_eq(create_user(A, "Bob.x_y-z", "p"), MT_E_OK);
}
END_TEST

START_TEST(test_login)
{
	char	tok[65], tok2[65], t1[256];

	ck_assert_int_eq(create_user(A, "alice", "secret"), MT_E_OK);
	ck_assert_int_eq(login(A, "alice", "secret", tok), MT_E_OK);
	ck_assert_int_eq(login(A, "alice", "secret", tok2), MT_E_OK);
	ck_assert_str_ne(tok, tok2);
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok, NULL), MT_E_OK);

	/* Wrong password and unknown user: same code, same text. */
	ck_assert_int_eq(login(A, "alice", "Secret", NULL), MT_E_AUTH);
	snprintf(t1, sizeof t1, "%s", last_text);
	ck_assert_int_eq(login(A, "nobody", "secret", NULL), MT_E_AUTH);
	ck_assert_str_eq(t1, last_text);
	ck_assert_int_eq(login(A, "alice", "", NULL), MT_E_AUTH);
	ck_assert_int_eq(login(A, "bad name", "x", NULL), MT_E_BADNAME);

	/* Tokens that are not ours. */
	ck_assert_int_eq(group_req(A, MSG_list_groups, "", NULL), MT_E_AUTH);
	ck_assert_int_eq(group_req(A, MSG_list_groups, "zz", NULL),
	    MT_E_AUTH);
	memset(tok2, 'a', 64);
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok2, NULL),
	    MT_E_AUTH);
}
END_TEST

/* Unknown user and wrong password take about the same time. */
static double
login_ns(const char *u)
{
	struct timespec	a, b;

	/* CPU time: a loaded machine's scheduling does not count. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	ck_assert_int_eq(login_at(A, u, "nope", "", T0, NULL), MT_E_AUTH);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	return ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a.tv_nsec));
}

START_TEST(test_login_timing)
{
	double	t, t_wrong = 1e18, t_unknown = 1e18;
	int	i;

	tracker_store_set_kdf_iter(A, 20000);
	ck_assert_int_eq(create_user(A, "alice", "secret"), MT_E_OK);
	/* The fastest of a few runs: scheduling noise only adds. */
	for (i = 0; i < 4; i++) {
		if ((t = login_ns("alice")) < t_wrong)
			t_wrong = t;
		if ((t = login_ns("nobody")) < t_unknown)
			t_unknown = t;
	}
	printf("login: wrong password %.2f ms, unknown user %.2f ms\n",
	    t_wrong / 1e6, t_unknown / 1e6);
	/* Both hash: neither is a small fraction of the other. */
	ck_assert(t_unknown > t_wrong / 2 && t_wrong > t_unknown / 2);
}
END_TEST

START_TEST(test_throttle)
{
	char		tok[65];
	uint64_t	now = T0;
	int		i;

	ck_assert_int_eq(create_user(A, "alice", "secret"), MT_E_OK);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(login_at(A, "alice", "bad", "10.0.0.1", now,
		    NULL), MT_E_AUTH);
	/* Sixth try at once: refused without checking, even if right. */
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.0.0.2", now,
	    NULL), MT_E_BUSY);
	/* After the delay it is checked again. */
	now += 1001;
	ck_assert_int_eq(login_at(A, "alice", "bad", "10.0.0.2", now, NULL),
	    MT_E_AUTH);
	/* The delay doubled: 2 s. */
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.0.0.2",
	    now + 1500, NULL), MT_E_BUSY);
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.0.0.2",
	    now + 2001, tok), MT_E_OK);
	/* Success clears the account's count. */
	now += 2001;
	ck_assert_int_eq(login_at(A, "alice", "bad", "10.0.0.3", now + 1,
	    NULL), MT_E_AUTH);
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.0.0.3",
	    now + 2, NULL), MT_E_OK);

	/* Per address: many user names from one address. */
	now += 10000;
	for (i = 0; i < 5; i++) {
		char	u[16];

		snprintf(u, sizeof u, "ghost%d", i);
		ck_assert_int_eq(login_at(A, u, "x", "10.9.9.9", now, NULL),
		    MT_E_AUTH);
	}
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.9.9.9", now,
	    NULL), MT_E_BUSY);
	ck_assert_int_eq(login_at(A, "alice", "secret", "10.9.9.8", now,
	    NULL), MT_E_OK);
}
END_TEST

START_TEST(test_logout)
{
	char	tok[65], tok2[65];

	user(A, "alice", tok);
	ck_assert_int_eq(login(A, "alice", "pw-alice", tok2), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_logout, tok, NULL), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok, NULL), MT_E_AUTH);
	ck_assert_int_eq(group_req(A, MSG_create_group, tok, "g"), MT_E_AUTH);
	ck_assert_int_eq(group_req(A, MSG_logout, tok, NULL), MT_E_AUTH);
	/* The other session is untouched. */
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok2, NULL), MT_E_OK);
}
END_TEST

START_TEST(test_session_expiry)
{
	union message	m;
	char		tok[65];

	user(A, "alice", tok);
	memset(&m, 0, sizeof m);
	m.type = MSG_list_groups;
	m.list_groups.token = tok;
	ck_assert_int_eq(call_at(A, &m, "", T0 +
	    TRACKER_STORE_SESSION_TTL_MS - 1), MT_E_OK);
	ck_assert_int_eq(call_at(A, &m, "", T0 +
	    TRACKER_STORE_SESSION_TTL_MS + 1), MT_E_AUTH);
}
END_TEST

START_TEST(test_groups)
{
	char	ta[65], tb[65], tc[65], s[512];

	user(A, "alice", ta);
	user(A, "bob", tb);
	user(A, "carol", tc);
	ck_assert_int_eq(group_req(A, MSG_create_group, ta, "g1"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_create_group, tb, "g1"),
	    MT_E_EXISTS);
	ck_assert_int_eq(group_req(A, MSG_create_group, tb, "bad name"),
	    MT_E_BADNAME);
	ck_assert_int_eq(group_req(A, MSG_create_group, "", "g2"), MT_E_AUTH);

	/* join: a request; the owner and members cannot. */
	ck_assert_int_eq(group_req(A, MSG_join_group, ta, "g1"), MT_E_EXISTS);
	ck_assert_int_eq(group_req(A, MSG_join_group, tb, "nope"),
	    MT_E_NOTFOUND);
	ck_assert_int_eq(group_req(A, MSG_join_group, tb, "g1"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_join_group, tb, "g1"), MT_E_EXISTS);
	ck_assert_int_eq(group_req(A, MSG_join_group, tc, "g1"), MT_E_OK);

	ck_assert_int_eq(group_req(A, MSG_list_requests, ta, "g1"), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "bob|carol");
	ck_assert_int_eq(group_req(A, MSG_list_requests, tb, "g1"),
	    MT_E_DENIED);
	ck_assert_int_eq(group_req(A, MSG_list_requests, ta, "nope"),
	    MT_E_NOTFOUND);

	ck_assert_int_eq(accept_req(A, tb, "g1", "carol"), MT_E_DENIED);
	ck_assert_int_eq(accept_req(A, ta, "g1", "dave"), MT_E_NOTFOUND);
	ck_assert_int_eq(accept_req(A, ta, "g1", "bob"), MT_E_OK);
	ck_assert_int_eq(accept_req(A, ta, "g1", "bob"), MT_E_NOTFOUND);
	ck_assert_int_eq(group_req(A, MSG_join_group, tb, "g1"), MT_E_EXISTS);
	ck_assert_int_eq(group_req(A, MSG_list_requests, ta, "g1"), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "carol");

	ck_assert_int_eq(group_req(A, MSG_create_group, tb, "g0"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_list_groups, tc, NULL), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "g0 bob 1|g1 alice 2");

	/* leave: the owner cannot; a member and a requester can. */
	ck_assert_int_eq(group_req(A, MSG_leave_group, ta, "g1"),
	    MT_E_DENIED);
	ck_assert_int_eq(group_req(A, MSG_leave_group, tb, "g1"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_leave_group, tb, "g1"),
	    MT_E_NOTFOUND);
	ck_assert_int_eq(group_req(A, MSG_leave_group, tc, "g1"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_list_requests, ta, "g1"), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(group_req(A, MSG_list_groups, tc, NULL), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "g0 bob 1|g1 alice 1");
	/* Rejoin after leaving: a new request. */
	ck_assert_int_eq(group_req(A, MSG_join_group, tb, "g1"), MT_E_OK);
	ck_assert_int_eq(accept_req(A, ta, "g1", "bob"), MT_E_OK);
}
END_TEST

/* ---- tests: the access matrix ---- */

enum who { ANON, MEMBER, NONMEMBER, OWNER, LOGGEDOUT, NWHO };
enum what { LIST_FILES, SEEDERS, METAINFO, METAINFO_NAME, ACCEPT,
	LIST_REQUESTS, SEEDER_ADD, SHARE_G, NWHAT };

#define AU	MT_E_AUTH
#define DE	MT_E_DENIED
#define OK	MT_E_OK

/* Expected code for (what, who); rows as in doc/tracker.md. */
static const int matrix[NWHAT][NWHO] = {
	/*		   ANON	MEMBER	NONMEM	OWNER	LOGGEDOUT */
	[LIST_FILES] =	 { AU,	OK,	DE,	OK,	AU },
	[SEEDERS] =	 { DE,	OK,	DE,	OK,	AU },
	[METAINFO] =	 { DE,	OK,	DE,	OK,	AU },
	[METAINFO_NAME] = { DE,	OK,	DE,	OK,	AU },
	[ACCEPT] =	 { AU,	DE,	DE,	OK,	AU },
	[LIST_REQUESTS] = { AU,	DE,	DE,	OK,	AU },
	[SEEDER_ADD] =	 { DE,	OK,	DE,	OK,	AU },
	[SHARE_G] =	 { AU,	OK,	DE,	OK,	AU },
};

START_TEST(test_matrix)
{
	char		 tok[NWHO][65], tx[65], s[512], denied_text[256];
	struct tfile	 f, f2, unknown;
	enum what	 what = (enum what)_i;
	int		 w, rc = 0;

	user(A, "owner", tok[OWNER]);
	user(A, "member", tok[MEMBER]);
	user(A, "outsider", tok[NONMEMBER]);
	user(A, "gone", tok[LOGGEDOUT]);
	user(A, "joiner", tx);
	tok[ANON][0] = '\0';
	ck_assert_int_eq(group_req(A, MSG_create_group, tok[OWNER], "g"),
	    MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_join_group, tok[MEMBER], "g"),
	    MT_E_OK);
	ck_assert_int_eq(accept_req(A, tok[OWNER], "g", "member"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_join_group, tok[LOGGEDOUT], "g"),
	    MT_E_OK);
	ck_assert_int_eq(accept_req(A, tok[OWNER], "g", "gone"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_logout, tok[LOGGEDOUT], NULL),
	    MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_join_group, tx, "g"), MT_E_OK);
	tfile_make(&f, 1, 3);
	tfile_make(&unknown, 99, 2);
	ck_assert_int_eq(share(A, tok[OWNER], &f, "secret.bin", "g",
	    "127.0.0.1:7001"), MT_E_OK);

	for (w = 0; w < NWHO; w++) {
		switch (what) {
		case LIST_FILES:
			rc = group_req(A, MSG_list_files, tok[w], "g");
			if (rc == MT_E_OK) {
				char	want[128];

				list_join(s, sizeof s);
				snprintf(want, sizeof want, "%s %" PRIu64
				    " 1 secret.bin", f.id, f.size);
				ck_assert_str_eq(s, want);
			}
			break;
		case SEEDERS:
			rc = seeders(A, tok[w], f.id, s, sizeof s);
			if (rc == MT_E_OK)
				ck_assert_str_eq(s, "127.0.0.1:7001");
			break;
		case METAINFO:
			rc = metainfo_req(A, tok[w], f.id, "", "");
			break;
		case METAINFO_NAME:
			rc = metainfo_req(A, tok[w], "", "g", "secret.bin");
			break;
		case ACCEPT:
			rc = accept_req(A, tok[w], "g", "joiner");
			break;
		case LIST_REQUESTS:
			rc = group_req(A, MSG_list_requests, tok[w], "g");
			break;
		case SEEDER_ADD:
			rc = seeder_op(A, MSG_seeder_add, tok[w], f.id,
			    "127.0.0.1:7002");
			break;
		case SHARE_G:
			tfile_make(&f2, 10 + (unsigned)w, 1);
			snprintf(s, sizeof s, "other%d.bin", w);
			rc = share(A, tok[w], &f2, s, "g", "127.0.0.1:7003");
			break;
		default:
			ck_abort();
		}
		ck_assert_msg(rc == matrix[what][w],
		    "what %d who %d: got %d want %d", what, w, rc,
		    matrix[what][w]);
		if (rc == MT_E_DENIED && what != ACCEPT &&
		    what != LIST_REQUESTS && what != LIST_FILES &&
		    what != SHARE_G) {
			/* Unknown file: the very same answer. */
			snprintf(denied_text, sizeof denied_text, "%s",
			    last_text);
			if (what == METAINFO_NAME)
				rc = metainfo_req(A, tok[w], "", "g",
				    "nosuch.bin");
			else if (what == SEEDER_ADD)
				rc = seeder_op(A, MSG_seeder_add, tok[w],
				    unknown.id, "127.0.0.1:7002");
			else
				rc = metainfo_req(A, tok[w], unknown.id, "",
				    "");
			ck_assert_int_eq(rc, MT_E_DENIED);
			ck_assert_str_eq(last_text, denied_text);
			rc = seeders(A, tok[w], unknown.id, NULL, 0);
			ck_assert_int_eq(rc, MT_E_DENIED);
			ck_assert_str_eq(last_text, denied_text);
		}
	}
}
END_TEST

/* ---- tests: files and seeders ---- */

START_TEST(test_share_public)
{
	struct tfile	f, g, z;
	char		s[1024];

	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, "", &f, "a.bin", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
	/* Same share again from another seeder: added. */
	ck_assert_int_eq(share(A, "", &f, "a.bin", "", "127.0.0.1:7002"),
	    MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001 127.0.0.1:7002");
	/* The same file under another name, another file under this name. */
	ck_assert_int_eq(share(A, "", &f, "b.bin", "", "127.0.0.1:7001"),
	    MT_E_EXISTS);
	tfile_make(&g, 2, 2);
	ck_assert_int_eq(share(A, "", &g, "a.bin", "", "127.0.0.1:7001"),
	    MT_E_EXISTS);
	/* An empty file is fine. */
	tfile_make(&z, 3, 0);
	ck_assert_int_eq(share(A, "", &z, "empty", "", "127.0.0.1:7001"),
	    MT_E_OK);

	ck_assert_int_eq(metainfo_req(A, "", f.id, "", ""), MT_E_OK);
	ck_assert_int_eq(last.type, MSG_metainfo_reply);
	ck_assert_str_eq(last.metainfo_reply.name, "a.bin");
	ck_assert_uint_eq(last.metainfo_reply.size, f.size);
	ck_assert_uint_eq(last.metainfo_reply.piece_size, 524288);
	ck_assert_uint_eq(last.metainfo_reply.pieces.len, 60);
	ck_assert_mem_eq(last.metainfo_reply.pieces.p, f.pieces, 60);
	ck_assert_str_eq(last.metainfo_reply.group, "");
	ck_assert_int_eq(metainfo_req(A, "", "", "", "a.bin"), MT_E_OK);
	ck_assert_str_eq(last.metainfo_reply.file_id, f.id);

	ck_assert_int_eq(group_req(A, MSG_list_files, "", ""), MT_E_OK);
	list_join(s, sizeof s);
	{
		char	want[1024];

		snprintf(want, sizeof want, "%s %" PRIu64 " 2 a.bin|%s 0 1 "
		    "empty", f.id, f.size, z.id);
		ck_assert_str_eq(s, want);
	}
}
END_TEST

struct bad_share {
	const char	*what;
	const char	*id;		/* NULL: the right one */
	const char	*name;
	const char	*seeder;
	uint64_t	 size;		/* 0: the right one */
	uint64_t	 piece_size;
	int		 drop;		/* bytes dropped from pieces */
	int		 want;
};

static const struct bad_share bad_shares[] = {
	{ "short id", "abc", "a", "127.0.0.1:1", 0, 524288, 0, MT_E_BADHEX },
	{ "upper hex", "ABCDEF0123456789ABCDEF0123456789ABCDEF01", "a",
	    "127.0.0.1:1", 0, 524288, 0, MT_E_BADHEX },
	{ "wrong id", "0123456789abcdef0123456789abcdef01234567", "a",
	    "127.0.0.1:1", 0, 524288, 0, MT_E_MISMATCH },
	{ "pieces short", NULL, "a", "127.0.0.1:1", 0, 524288, 20,
	    MT_E_MISMATCH },
	{ "size too big", NULL, "a", "127.0.0.1:1", 10ULL * 524288,
	    524288, 0, MT_E_MISMATCH },
	{ "too many pieces", NULL, "a", "127.0.0.1:1", 1ULL << 40, 524288,
	    0, MT_E_TOOBIG },
	{ "piece size 0", NULL, "a", "127.0.0.1:1", 0, 0, 0, MT_E_BADVALUE },
	{ "name ..", NULL, "..", "127.0.0.1:1", 0, 524288, 0, MT_E_BADNAME },
	{ "name slash", NULL, "a/b", "127.0.0.1:1", 0, 524288, 0,
	    MT_E_BADNAME },
	{ "name empty", NULL, "", "127.0.0.1:1", 0, 524288, 0, MT_E_BADNAME },
	{ "name ctl", NULL, "a\tb", "127.0.0.1:1", 0, 524288, 0,
	    MT_E_BADNAME },
	{ "seeder no port", NULL, "a", "127.0.0.1", 0, 524288, 0,
	    MT_E_BADVALUE },
	{ "seeder port 0", NULL, "a", "127.0.0.1:0", 0, 524288, 0,
	    MT_E_BADVALUE },
	{ "seeder port big", NULL, "a", "127.0.0.1:65536", 0, 524288, 0,
	    MT_E_BADVALUE },
	{ "seeder junk", NULL, "a", "a b:1", 0, 524288, 0, MT_E_BADVALUE },
	{ "seeder empty host", NULL, "a", ":1", 0, 524288, 0,
	    MT_E_BADVALUE },
};

START_TEST(test_share_bad)
{
	const struct bad_share	*b = &bad_shares[_i];
	struct tfile		 f;
	union message		 m;
	int			 rc;

	tfile_make(&f, 5, 3);
	memset(&m, 0, sizeof m);
	m.type = MSG_share;
	m.share.token = "";
	m.share.file_id = b->id ? b->id : f.id;
	m.share.name = b->name;
	m.share.size = b->size ? b->size : f.size;
	m.share.piece_size = b->piece_size;
	m.share.pieces.p = f.pieces;
	m.share.pieces.len = 60 - (uint32_t)b->drop;
	m.share.group = "";
	m.share.seeder = b->seeder;
	rc = call(A, &m);
	ck_assert_msg(rc == b->want, "%s: got %d want %d", b->what, rc,
	    b->want);
	ck_assert_int_eq(seeders(A, "", f.id, NULL, 0), MT_E_DENIED);
}
END_TEST

START_TEST(test_seeders_ops)
{
	struct tfile	f, g;
	union message	m;
	const char	*ids2[2];
	struct wire_arg	 ids[2];
	char		s[1024];

	tfile_make(&f, 1, 3);
	tfile_make(&g, 2, 3);
	ck_assert_int_eq(share(A, "", &f, "f", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(share(A, "", &g, "g", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "", f.id,
	    "127.0.0.1:7002"), MT_E_OK);
	ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "", f.id, "bad"),
	    MT_E_BADVALUE);
	ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "", "xyz",
	    "127.0.0.1:1"), MT_E_BADHEX);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001 127.0.0.1:7002");
	ck_assert_int_eq(seeder_op(A, MSG_seeder_remove, "", f.id,
	    "127.0.0.1:7001"), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7002");
	/* Removing what is not there is fine. */
	ck_assert_int_eq(seeder_op(A, MSG_seeder_remove, "", f.id,
	    "127.0.0.1:7001"), MT_E_OK);

	/* announce: renews known files, adds the seeder, skips unknown. */
	ids2[0] = g.id;
	ids2[1] = "0000000000000000000000000000000000000000";
	ids[0].p = ids2[0];
	ids[0].len = 40;
	ids[1].p = ids2[1];
	ids[1].len = 40;
	memset(&m, 0, sizeof m);
	m.type = MSG_announce;
	m.announce.token = "";
	m.announce.seeder = "127.0.0.1:7002";
	m.announce.file_ids.n = 2;
	m.announce.file_ids.v = ids;
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_str_eq(last.ok.text, "1");
	ck_assert_int_eq(seeders(A, "", g.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001 127.0.0.1:7002");

	/* stop_share by group and name. */
	memset(&m, 0, sizeof m);
	m.type = MSG_stop_share;
	m.stop_share.token = "";
	m.stop_share.group = "";
	m.stop_share.name = "g";
	m.stop_share.seeder = "127.0.0.1:7001";
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_int_eq(call(A, &m), MT_E_NOTFOUND);
	ck_assert_int_eq(seeders(A, "", g.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7002");

	/* bye: gone from every list. */
	memset(&m, 0, sizeof m);
	m.type = MSG_bye;
	m.bye.token = "";
	m.bye.seeder = "127.0.0.1:7002";
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(seeders(A, "", g.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "");
}
END_TEST

/* announce and stop_share on a group file: members only. */
START_TEST(test_announce_group)
{
	struct tfile	f;
	union message	m;
	struct wire_arg	id;
	char		ta[65], tc[65], s[256];

	user(A, "alice", ta);
	user(A, "carol", tc);
	ck_assert_int_eq(group_req(A, MSG_create_group, ta, "g"), MT_E_OK);
	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, ta, &f, "f", "g", "127.0.0.1:7001"),
	    MT_E_OK);
	id.p = f.id;
	id.len = 40;
	memset(&m, 0, sizeof m);
	m.type = MSG_announce;
	m.announce.seeder = "127.0.0.1:7009";
	m.announce.file_ids.n = 1;
	m.announce.file_ids.v = &id;
	m.announce.token = "";
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_str_eq(last.ok.text, "0");
	m.announce.token = tc;
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_str_eq(last.ok.text, "0");
	m.announce.token = "0123";
	ck_assert_int_eq(call(A, &m), MT_E_AUTH);
	m.announce.token = ta;
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_str_eq(last.ok.text, "1");
	ck_assert_int_eq(seeders(A, ta, f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001 127.0.0.1:7009");

	memset(&m, 0, sizeof m);
	m.type = MSG_stop_share;
	m.stop_share.group = "g";
	m.stop_share.name = "f";
	m.stop_share.seeder = "127.0.0.1:7009";
	m.stop_share.token = tc;
	ck_assert_int_eq(call(A, &m), MT_E_DENIED);
	m.stop_share.token = "";
	ck_assert_int_eq(call(A, &m), MT_E_DENIED);
	m.stop_share.token = ta;
	ck_assert_int_eq(call(A, &m), MT_E_OK);
	ck_assert_int_eq(seeders(A, ta, f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
}
END_TEST

/* After many changes the in-memory index equals a fresh load of the db. */
START_TEST(test_index_matches_db)
{
	struct tfile	f[5];
	union message	m;
	char		before[5][2048], after[2048], addr[32];
	unsigned	x = 12345;
	int		i, op, k;

	for (i = 0; i < 5; i++) {
		tfile_make(&f[i], 500 + (unsigned)i, 1);
		snprintf(addr, sizeof addr, "f%d", i);
		ck_assert_int_eq(share(A, "", &f[i], addr, "",
		    "127.0.0.1:9000"), MT_E_OK);
	}
	for (i = 0; i < 600; i++) {
		x = x * 1103515245 + 12345;
		op = (int)((x >> 16) % 10);
		k = (int)((x >> 8) % 5);
		snprintf(addr, sizeof addr, "127.0.0.1:%u", 9000 + (x >> 20) %
		    20);
		if (op < 6)
			ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "",
			    f[k].id, addr), MT_E_OK);
		else if (op < 9)
			ck_assert_int_eq(seeder_op(A, MSG_seeder_remove, "",
			    f[k].id, addr), MT_E_OK);
		else {
			memset(&m, 0, sizeof m);
			m.type = MSG_bye;
			m.bye.token = "";
			m.bye.seeder = addr;
			ck_assert_int_eq(call(A, &m), MT_E_OK);
		}
	}
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(seeders(A, "", f[i].id, before[i],
		    sizeof before[i]), MT_E_OK);
	tracker_store_close(A);
	A = open_store("a.db");
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(seeders(A, "", f[i].id, after, sizeof after),
		    MT_E_OK);
		ck_assert_str_eq(before[i], after);
	}
}
END_TEST

START_TEST(test_observed_address)
{
	struct tfile	f;
	union message	m;
	char		s[1024];

	tfile_make(&f, 1, 3);
	/* A remote client cannot name someone else's address. */
	ck_assert_int_eq(share_at(A, "", &f, "f", "", "192.0.2.7:7001",
	    "10.1.2.3", T0), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "10.1.2.3:7001");
	memset(&m, 0, sizeof m);
	m.type = MSG_bye;
	m.bye.token = "";
	m.bye.seeder = "10.1.2.3:7001";
	ck_assert_int_eq(call_at(A, &m, "10.6.6.6", T0), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "10.1.2.3:7001");
	ck_assert_int_eq(call_at(A, &m, "10.1.2.3", T0), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(share_at(A, "", &f, "f", "", "h.example:7001",
	    "2001:db8::1", T0), MT_E_OK);
	ck_assert_int_eq(seeders(A, "", f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "[2001:db8::1]:7001");
}
END_TEST

/* The tracker cannot be used to aim peers at a third party. */
START_TEST(test_seeder_addr_rules)
{
	struct tfile	f;

	tfile_make(&f, 7, 2);
	/* A loopback client may not name another host. */
	ck_assert_int_eq(share(A, "", &f, "f", "", "10.9.9.9:6881"),
	    MT_E_DENIED);
	/* Nobody may name a privileged port. */
	ck_assert_int_eq(share(A, "", &f, "f", "", "127.0.0.1:80"),
	    MT_E_BADVALUE);
	ck_assert_int_eq(share_at(A, "", &f, "f", "", "10.9.9.9:80",
	    "10.1.2.3", T0), MT_E_BADVALUE);
	/* A remote client is recorded at its observed address. */
	ck_assert_int_eq(share_at(A, "", &f, "f", "", "10.9.9.9:7000",
	    "10.1.2.3", T0), MT_E_OK);
	ck_assert_int_eq(share(A, "", &f, "f", "", "127.0.0.2:7001"),
	    MT_E_OK);
}
END_TEST

START_TEST(test_seeders_cap)
{
	struct tfile	f;
	char		addr[32], first[64];
	int		i;

	tfile_make(&f, 1, 3);
	for (i = 0; i < 250; i++) {
		snprintf(addr, sizeof addr, "127.0.0.1:%d", 2000 + i);
		ck_assert_int_eq(share(A, "", &f, "f", "", addr), MT_E_OK);
	}
	ck_assert_int_eq(seeders(A, "", f.id, NULL, 0), MT_E_OK);
	ck_assert_uint_eq(last.seeders_reply.seeders.n,
	    TRACKER_STORE_SEEDERS_MAX);
	snprintf(first, sizeof first, "%s", last.seeders_reply.seeders.v[0].p);
	ck_assert_int_eq(seeders(A, "", f.id, NULL, 0), MT_E_OK);
	/* The start rotates. */
	ck_assert_str_ne(first, last.seeders_reply.seeders.v[0].p);
}
END_TEST

/*
 * Seeders come in the order they joined the list, whatever their
 * addresses, however often they renew and whoever left: a swarm's first
 * seeder comes before the peers that registered just now.
 */
START_TEST(test_seeders_order)
{
	static const char *const addrs[] = {
		"127.0.0.1:7005", "127.0.0.1:7002", "127.0.0.1:7003",
		"127.0.0.1:7001"
	};
	struct tfile	f;
	union message	m;
	struct wire_arg	id;
	uint64_t	now;
	uint32_t	i;

	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, "", &f, "f", "", addrs[0]), MT_E_OK);
	memset(&m, 0, sizeof m);
	m.type = MSG_seeder_add;
	m.seeder_add.token = "";
	m.seeder_add.file_id = f.id;
	for (i = 1; i < 4; i++) {
		m.seeder_add.seeder = addrs[i];
		ck_assert_int_eq(call_at(A, &m, "127.0.0.1", T0 + i * 1000),
		    MT_E_OK);
	}
	/* One leaves; the first renews late enough to be stamped anew. */
	ck_assert_int_eq(seeder_op(A, MSG_seeder_remove, "", f.id, addrs[1]),
	    MT_E_OK);
	announce_one(&m, &id, f.id, "", addrs[0]);
	now = T0 + TTL / 2;
	ck_assert_int_eq(call_at(A, &m, "127.0.0.1", now), MT_E_OK);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(seeders_at(A, "", f.id, now, NULL, 0),
		    MT_E_OK);
		ck_assert_uint_eq(last.seeders_reply.seeders.n, 3);
		ck_assert_str_eq(last.seeders_reply.seeders.v[0].p, addrs[0]);
		ck_assert_str_eq(last.seeders_reply.seeders.v[1].p, addrs[2]);
		ck_assert_str_eq(last.seeders_reply.seeders.v[2].p, addrs[3]);
	}
}
END_TEST

START_TEST(test_expire)
{
	struct tfile	f;
	union message	m;
	struct wire_arg	id;
	char		s[256];

	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, "", &f, "f", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "", f.id,
	    "127.0.0.1:7002"), MT_E_OK);
	/* 7002 re-announces at T0 + TTL/2; 7001 stays silent. */
	announce_one(&m, &id, f.id, "", "127.0.0.1:7002");
	ck_assert_int_eq(call_at(A, &m, "127.0.0.1", T0 + TTL / 2), MT_E_OK);
	/* Stale entries are not served even before expire() runs. */
	ck_assert_int_eq(seeders_at(A, "", f.id, T0 + TTL + 1, s, sizeof s),
	    MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7002");
	tracker_store_expire(A, T0 + TTL + 1);
	ck_assert_int_eq(seeders_at(A, "", f.id, T0 + TTL + 1, s, sizeof s),
	    MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7002");
	tracker_store_expire(A, T0 + 2 * TTL);
	ck_assert_int_eq(seeders_at(A, "", f.id, T0 + 2 * TTL, s, sizeof s),
	    MT_E_OK);
	ck_assert_str_eq(s, "");
	/* The file itself stays. */
	ck_assert_int_eq(metainfo_req(A, "", f.id, "", ""), MT_E_OK);

	/* Old seeder events are pruned, the file's and the last stay. */
	tracker_store_expire(A, T0 + 3 * TTL);
	{
		struct seen_list	none = { .n = 0 };
		struct buf		b;

		buf_init(&b, 4 * WIRE_FRAME_MAX);
		ck_assert_int_eq(tracker_store_events_after(A, seen_lookup,
		    &none, 100, &b), 2);
		buf_done(&b);
	}
}
END_TEST

/* Renewals inside TTL/4 stay in memory, yet count and persist. */
START_TEST(test_renew_memory)
{
	struct seen_list	 none = { .n = 0 };
	struct tfile		 f;
	union message		 m;
	struct wire_arg		 id;
	struct buf		 b;
	char			 s[256];
	uint64_t		 now = T0 + 30 * 1000;

	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, "", &f, "f", "", "127.0.0.1:7001"),
	    MT_E_OK);
	buf_init(&b, 4 * WIRE_FRAME_MAX);
	ck_assert_int_eq(tracker_store_events_after(A, seen_lookup, &none,
	    100, &b), 2);
	announce_one(&m, &id, f.id, "", "127.0.0.1:7001");
	ck_assert_int_eq(call_at(A, &m, "127.0.0.1", now), MT_E_OK);
	ck_assert_str_eq(last.ok.text, "1");
	/* No event for it. */
	buf_reset(&b);
	ck_assert_int_eq(tracker_store_events_after(A, seen_lookup, &none,
	    100, &b), 2);
	buf_done(&b);
	/* Alive past the first announce's TTL, through expire and restart. */
	now = T0 + TTL + 10 * 1000;
	tracker_store_expire(A, now);
	ck_assert_int_eq(seeders_at(A, "", f.id, now, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
	ck_assert_int_eq(call_at(A, &m, "127.0.0.1", T0 + 40 * 1000),
	    MT_E_OK);
	tracker_store_close(A);
	A = open_store("a.db");
	now = T0 + TTL + 35 * 1000;
	tracker_store_expire(A, now);
	ck_assert_int_eq(seeders_at(A, "", f.id, now, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
	now = T0 + TTL + 41 * 1000;
	tracker_store_expire(A, now);
	ck_assert_int_eq(seeders_at(A, "", f.id, now, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "");
}
END_TEST

START_TEST(test_badtype)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_ping;
	ck_assert_int_eq(call(A, &m), MT_E_BADTYPE);
	m.type = MSG_sync_ack;
	m.sync_ack.origin = "00";
	ck_assert_int_eq(call(A, &m), MT_E_BADTYPE);
	m.type = MSG_ok;
	m.ok.text = "";
	ck_assert_int_eq(call(A, &m), MT_E_BADTYPE);
}
END_TEST

/* ---- tests: persistence and replication ---- */

START_TEST(test_restart)
{
	struct tfile	f;
	char		tok[65], id[64], s[512];

	user(A, "alice", tok);
	ck_assert_int_eq(group_req(A, MSG_create_group, tok, "g"), MT_E_OK);
	tfile_make(&f, 1, 3);
	ck_assert_int_eq(share(A, tok, &f, "f", "g", "127.0.0.1:7001"),
	    MT_E_OK);
	snprintf(id, sizeof id, "%s", tracker_store_id(A));
	tracker_store_close(A);
	A = open_store("a.db");
	ck_assert_str_eq(tracker_store_id(A), id);
	/* The session survived, and so did the rest. */
	ck_assert_int_eq(seeders(A, tok, f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok, NULL), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "g alice 1");
	ck_assert_int_eq(login(A, "alice", "pw-alice", NULL), MT_E_OK);
	/* Own event numbering continues. */
	{
		char	items[8][96];
		size_t	n = tracker_store_seen(A, items, 8);

		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(strncmp(items[0], id, 32), 0);
		ck_assert_str_eq(items[0] + 33, "6");	/* 5 + login */
	}
}
END_TEST

/*
 * kill -9 in the middle of a burst of writes: every write whose reply
 * was produced is there after reopening.
 */
START_TEST(test_kill9)
{
	struct tracker_store	*ts;
	struct tfile		 f;
	char			 path[128], name[32];
	int			 fds[2], status, acked = -1, i, v;
	pid_t			 pid;

	ck_assert_int_eq(pipe(fds), 0);
	snprintf(path, sizeof path, "%s/k.db", dir);
	if ((pid = fork()) == 0) {
		struct mt_err	err;

		close(fds[0]);
		ts = tracker_store_open(path, &err);
		if (ts == NULL)
			_exit(2);
		A = ts;
		for (i = 0;; i++) {
			tfile_make(&f, (unsigned)i, 2);
			snprintf(name, sizeof name, "k%d", i);
			if (share(ts, "", &f, name, "", "127.0.0.1:7001") !=
			    MT_E_OK)
				_exit(3);
			if (write(fds[1], &i, sizeof i) != sizeof i)
				_exit(4);
		}
	}
	ck_assert_int_gt(pid, 0);
	close(fds[1]);
	while (acked < 40 && read(fds[0], &v, sizeof v) == sizeof v)
		acked = v;
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	while (read(fds[0], &v, sizeof v) == sizeof v)
		acked = v;
	close(fds[0]);

	tracker_store_close(A);
	A = open_store("k.db");
	for (i = 0; i <= acked; i++) {
		tfile_make(&f, (unsigned)i, 2);
		ck_assert_msg(seeders(A, "", f.id, NULL, 0) == MT_E_OK,
		    "acknowledged share %d of %d lost", i, acked);
	}
	printf("kill9: %d acknowledged shares, all present\n", acked + 1);
}
END_TEST

/* One tracker per state: a second open of the same db is refused. */
START_TEST(test_exclusive)
{
	struct mt_err	err;
	char		path[128];

	snprintf(path, sizeof path, "%s/a.db", dir);
	ck_assert_ptr_null(tracker_store_open(path, &err));
	ck_assert_int_eq(err.code, MT_E_BUSY);
}
END_TEST

START_TEST(test_replicate)
{
	struct tfile	f;
	char		tok[65], tb[65], s[512], s2[512];
	uint64_t	gen;

	B = open_store("b.db");
	ck_assert_str_ne(tracker_store_id(A), tracker_store_id(B));
	user(A, "alice", tok);
	ck_assert_int_eq(group_req(A, MSG_create_group, tok, "g"), MT_E_OK);
	tfile_make(&f, 1, 300);		/* pieces span several hex items */
	ck_assert_int_eq(share(A, tok, &f, "f", "g", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_uint_eq(sync_one_way(A, B, 2), 5);

	/* The session works on B: fail-over without a new login. */
	ck_assert_int_eq(seeders(B, tok, f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001");
	ck_assert_int_eq(metainfo_req(B, tok, "", "g", "f"), MT_E_OK);
	ck_assert_uint_eq(last.metainfo_reply.pieces.len, 6000);
	ck_assert_mem_eq(last.metainfo_reply.pieces.p, f.pieces, 6000);
	ck_assert_int_eq(login(B, "alice", "pw-alice", tb), MT_E_OK);
	ck_assert_int_eq(login(B, "alice", "wrong", NULL), MT_E_AUTH);

	/* Replaying everything is a no-op. */
	gen = tracker_store_generation(B);
	{
		struct seen_list	 none = { .n = 0 };
		struct wire_decoder	*d = wire_decoder_create();
		struct buf		 b;
		struct mt_err		 err;
		union message		 m;
		size_t			 off, used;
		int			 n;

		buf_init(&b, 4 * WIRE_FRAME_MAX);
		n = tracker_store_events_after(A, seen_lookup, &none, 100,
		    &b);
		ck_assert_int_eq(n, 5);
		for (off = 0; off < buf_used(&b); off += used) {
			ck_assert_int_eq(wire_decode_feed(d, buf_head(&b) +
			    off, buf_used(&b) - off, &used, &err),
			    WIRE_FRAME);
			ck_assert_int_eq(message_decode(wire_decoder_frame(d),
			    &m, &err), 0);
			ck_assert_int_eq(tracker_store_apply(B, &m.sync_event,
			    &err), 0);
			ck_assert_int_eq(tracker_store_apply(B, &m.sync_event,
			    &err), 0);
		}
		wire_decoder_free(d);
		buf_done(&b);
	}
	ck_assert_uint_eq(tracker_store_generation(B), gen);

	/* Logout on B reaches A; seeder removal on B reaches A. */
	ck_assert_int_eq(group_req(B, MSG_logout, tok, NULL), MT_E_OK);
	ck_assert_int_eq(seeder_op(B, MSG_seeder_remove, tb, f.id,
	    "127.0.0.1:7001"), MT_E_OK);
	sync_both();
	ck_assert_int_eq(group_req(A, MSG_list_groups, tok, NULL), MT_E_AUTH);
	ck_assert_int_eq(seeders(A, tb, f.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "");
	ck_assert_int_eq(group_req(A, MSG_list_files, tb, "g"), MT_E_OK);
	list_join(s, sizeof s);
	ck_assert_int_eq(group_req(B, MSG_list_files, tb, "g"), MT_E_OK);
	list_join(s2, sizeof s2);
	ck_assert_str_eq(s, s2);
}
END_TEST

/* Share f with units of unit bytes and chain (clen bytes) on ts. */
static int
share_units(struct tracker_store *ts, const struct tfile *f,
    const char *name, uint64_t unit, const uint8_t *chain, uint32_t clen)
{
	union message	m;

	share_msg(&m, "", f, name, "", "127.0.0.1:7001");
	m.share.unit_size = unit;
	m.share.chain.p = chain;
	m.share.chain.len = clen;
	return (call(ts, &m));
}

/*
 * Units (mtorrent.5): a share's unit size and chaining values are kept
 * with the file, answered by metainfo and replicated; units that do
 * not fit the file are refused.
 */
START_TEST(test_units)
{
	struct tfile	 f, g;
	uint8_t		*chain;
	uint32_t	 n, i;

	B = open_store("b.db");
	/* 300 pieces, the last of 1000 bytes: 299 * 3 values. */
	tfile_make(&f, 7, 300);
	n = 299 * 3;
	chain = xmalloc(n * 20);
	for (i = 0; i < n * 20; i++)
		chain[i] = (uint8_t)(i * 13 + 5);
	ck_assert_int_eq(share_units(A, &f, "u.bin", 131072, chain,
	    (n - 1) * 20), MT_E_BADVALUE);
	ck_assert_int_eq(share_units(A, &f, "u.bin", 100000, chain, n * 20),
	    MT_E_BADVALUE);
	ck_assert_int_eq(share_units(A, &f, "u.bin", 524288, chain, 0),
	    MT_E_BADVALUE);
	ck_assert_int_eq(share_units(A, &f, "u.bin", 0, chain, 20),
	    MT_E_BADVALUE);
	ck_assert_int_eq(share_units(A, &f, "u.bin", 131072, chain, n * 20),
	    MT_E_OK);
	ck_assert_int_eq(metainfo_req(A, "", f.id, "", ""), MT_E_OK);
	ck_assert_uint_eq(last.metainfo_reply.unit_size, 131072);
	ck_assert_uint_eq(last.metainfo_reply.chain.len, n * 20);
	ck_assert_mem_eq(last.metainfo_reply.chain.p, chain, n * 20);
	/* A file without units answers none. */
	tfile_make(&g, 8, 2);
	ck_assert_int_eq(share(A, "", &g, "p.bin", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(metainfo_req(A, "", g.id, "", ""), MT_E_OK);
	ck_assert_uint_eq(last.metainfo_reply.unit_size, 0);
	ck_assert_uint_eq(last.metainfo_reply.chain.len, 0);

	(void)sync_one_way(A, B, 2);
	ck_assert_int_eq(metainfo_req(B, "", f.id, "", ""), MT_E_OK);
	ck_assert_uint_eq(last.metainfo_reply.unit_size, 131072);
	ck_assert_uint_eq(last.metainfo_reply.chain.len, n * 20);
	ck_assert_mem_eq(last.metainfo_reply.chain.p, chain, n * 20);
	ck_assert_int_eq(metainfo_req(B, "", g.id, "", ""), MT_E_OK);
	ck_assert_uint_eq(last.metainfo_reply.unit_size, 0);
	free(chain);
}
END_TEST

/* Compare A's and B's answers to the same query. */
static void
same_answer(const union message *m)
{
	char	a[2048], b[2048];
	int	ra, rb;

	ra = call(A, m);
	if (last.type == MSG_list_reply)
		list_join(a, sizeof a);
	else if (last.type == MSG_seeders_reply)
		seeders(A, m->seeders.token, m->seeders.file_id, a, sizeof a);
	else
		snprintf(a, sizeof a, "%s", last_text);
	rb = call(B, m);
	if (last.type == MSG_list_reply)
		list_join(b, sizeof b);
	else if (last.type == MSG_seeders_reply)
		seeders(B, m->seeders.token, m->seeders.file_id, b, sizeof b);
	else
		snprintf(b, sizeof b, "%s", last_text);
	ck_assert_int_eq(ra, rb);
	ck_assert_str_eq(a, b);
}

START_TEST(test_converge)
{
	struct tfile	fa, fb, pub;
	char		ta[65], tb[65], tbob[65], s[512];
	union message	m;

	B = open_store("b.db");
	/*
	 * Apart: "alice" is created on both (A earlier), both make group
	 * "g" and share into it; a public file gets different seeders and
	 * a remove on each side.
	 */
	ck_assert_int_eq(create_user(A, "alice", "on-a"), MT_E_OK);
	ck_assert_int_eq(login(A, "alice", "on-a", ta), MT_E_OK);
	T0 += 5;
	ck_assert_int_eq(create_user(B, "alice", "on-b"), MT_E_OK);
	ck_assert_int_eq(login(B, "alice", "on-b", tb), MT_E_OK);
	user(B, "bob", tbob);
	ck_assert_int_eq(group_req(B, MSG_create_group, tb, "g"), MT_E_OK);
	T0 += 5;
	ck_assert_int_eq(group_req(A, MSG_create_group, ta, "g"), MT_E_OK);
	ck_assert_int_eq(group_req(B, MSG_join_group, tbob, "g"), MT_E_OK);
	ck_assert_int_eq(accept_req(B, tb, "g", "bob"), MT_E_OK);
	tfile_make(&fa, 1, 2);
	tfile_make(&fb, 2, 2);
	tfile_make(&pub, 3, 2);
	ck_assert_int_eq(share(A, ta, &fa, "fa", "g", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(share(B, tb, &fb, "fb", "g", "127.0.0.1:7002"),
	    MT_E_OK);
	ck_assert_int_eq(share(A, "", &pub, "p", "", "127.0.0.1:7001"),
	    MT_E_OK);
	ck_assert_int_eq(share(B, "", &pub, "p", "", "127.0.0.1:7002"),
	    MT_E_OK);
	ck_assert_int_eq(share(B, "", &pub, "p", "", "127.0.0.1:7003"),
	    MT_E_OK);
	T0 += 5;
	ck_assert_int_eq(seeder_op(A, MSG_seeder_add, "", pub.id,
	    "127.0.0.1:7003"), MT_E_OK);
	T0 += 5;
	ck_assert_int_eq(seeder_op(B, MSG_seeder_remove, "", pub.id,
	    "127.0.0.1:7003"), MT_E_OK);

	sync_both();

	/* A's alice (created first) wins on both: A's password works. */
	ck_assert_int_eq(login(A, "alice", "on-a", NULL), MT_E_OK);
	ck_assert_int_eq(login(B, "alice", "on-a", NULL), MT_E_OK);
	ck_assert_int_eq(login(A, "alice", "on-b", NULL), MT_E_AUTH);
	ck_assert_int_eq(login(B, "alice", "on-b", NULL), MT_E_AUTH);
	/* The losing account's session is void on both. */
	ck_assert_int_eq(group_req(A, MSG_list_groups, tb, NULL), MT_E_AUTH);
	ck_assert_int_eq(group_req(B, MSG_list_groups, tb, NULL), MT_E_AUTH);
	ck_assert_int_eq(group_req(B, MSG_list_groups, ta, NULL), MT_E_OK);

	/*
	 * Group "g": B's was created first, but by the losing alice; the
	 * group still wins by its own stamp, owned by a void account.
	 */
	memset(&m, 0, sizeof m);
	m.type = MSG_list_groups;
	m.list_groups.token = ta;
	same_answer(&m);
	m.list_groups.token = tbob;
	same_answer(&m);
	m.type = MSG_list_files;
	m.list_files.token = tbob;
	m.list_files.group = "g";
	same_answer(&m);
	m.list_files.token = ta;
	same_answer(&m);
	m.type = MSG_list_requests;
	m.list_requests.token = ta;
	m.list_requests.group = "g";
	same_answer(&m);
	memset(&m, 0, sizeof m);
	m.type = MSG_seeders;
	m.seeders.token = "";
	m.seeders.file_id = pub.id;
	same_answer(&m);
	ck_assert_int_eq(seeders(A, "", pub.id, s, sizeof s), MT_E_OK);
	ck_assert_str_eq(s, "127.0.0.1:7001 127.0.0.1:7002");
	m.seeders.token = tbob;
	m.seeders.file_id = fa.id;
	same_answer(&m);
	m.seeders.file_id = fb.id;
	same_answer(&m);
	m.seeders.token = ta;
	same_answer(&m);
	memset(&m, 0, sizeof m);
	m.type = MSG_metainfo;
	m.metainfo.token = tbob;
	m.metainfo.file_id = "";
	m.metainfo.group = "g";
	m.metainfo.name = "fb";
	same_answer(&m);
	memset(&m, 0, sizeof m);
	m.type = MSG_list_files;
	m.list_files.token = "";
	m.list_files.group = "";
	same_answer(&m);

	/* After convergence both sides go on taking writes. */
	T0 += 5;
	ck_assert_int_eq(group_req(A, MSG_create_group, ta, "h"), MT_E_OK);
	sync_both();
	memset(&m, 0, sizeof m);
	m.type = MSG_list_groups;
	m.list_groups.token = ta;
	same_answer(&m);
	list_join(s, sizeof s);
	ck_assert_ptr_nonnull(strstr(s, "h alice 1"));
}
END_TEST

/* Memberships: the later change wins on both sides. */
START_TEST(test_converge_members)
{
	char		ta[65], tc[65], s[512];
	union message	m;

	B = open_store("b.db");
	user(A, "alice", ta);
	user(A, "carol", tc);
	ck_assert_int_eq(group_req(A, MSG_create_group, ta, "g"), MT_E_OK);
	ck_assert_int_eq(group_req(A, MSG_join_group, tc, "g"), MT_E_OK);
	sync_both();
	/* Apart: A accepts carol; later, carol withdraws on B. */
	T0 += 10;
	ck_assert_int_eq(accept_req(A, ta, "g", "carol"), MT_E_OK);
	T0 += 10;
	ck_assert_int_eq(group_req(B, MSG_leave_group, tc, "g"), MT_E_OK);
	sync_both();
	ck_assert_int_eq(group_req(A, MSG_list_files, tc, "g"), MT_E_DENIED);
	ck_assert_int_eq(group_req(B, MSG_list_files, tc, "g"), MT_E_DENIED);
	memset(&m, 0, sizeof m);
	m.type = MSG_list_groups;
	m.list_groups.token = ta;
	same_answer(&m);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "g alice 1");

	/* Apart again: withdrawn on B, accepted later on A: accepted. */
	T0 += 10;
	ck_assert_int_eq(group_req(B, MSG_join_group, tc, "g"), MT_E_OK);
	sync_both();
	T0 += 10;
	ck_assert_int_eq(group_req(B, MSG_leave_group, tc, "g"), MT_E_OK);
	T0 += 10;
	ck_assert_int_eq(accept_req(A, ta, "g", "carol"), MT_E_OK);
	sync_both();
	ck_assert_int_eq(group_req(A, MSG_list_files, tc, "g"), MT_E_OK);
	ck_assert_int_eq(group_req(B, MSG_list_files, tc, "g"), MT_E_OK);
	same_answer(&m);
	list_join(s, sizeof s);
	ck_assert_str_eq(s, "g alice 2");
}
END_TEST

START_TEST(test_events_order)
{
	struct seen_list	 none = { .n = 0 };
	struct wire_decoder	*d;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	struct tfile		 f;
	size_t			 used;
	uint64_t		 want = 1;
	char			 addr[32];
	int			 i, n;

	tfile_make(&f, 1, 1);
	for (i = 0; i < 5; i++) {
		snprintf(addr, sizeof addr, "127.0.0.1:%d", 2000 + i);
		ck_assert_int_eq(share(A, "", &f, "f", "", addr), MT_E_OK);
	}
	buf_init(&b, 4 * WIRE_FRAME_MAX);
	/* max 1: one at a time, in seq order, when the peer acks each. */
	for (;;) {
		char	line[96];

		snprintf(line, sizeof line, "%s %" PRIu64,
		    tracker_store_id(A), want - 1);
		snprintf(none.items[0], 96, "%s", line);
		none.n = 1;
		buf_reset(&b);
		n = tracker_store_events_after(A, seen_lookup, &none, 1, &b);
		if (n == 0)
			break;
		ck_assert_int_eq(n, 1);
		d = wire_decoder_create();
		ck_assert_int_eq(wire_decode_feed(d, buf_head(&b),
		    buf_used(&b), &used, &err), WIRE_FRAME);
		ck_assert_int_eq(message_decode(wire_decoder_frame(d), &m,
		    &err), 0);
		ck_assert_uint_eq(m.sync_event.seq, want);
		ck_assert_str_eq(m.sync_event.origin, tracker_store_id(A));
		ck_assert_str_eq(m.sync_event.op, want == 1 ? "file" :
		    "seeder");
		wire_decoder_free(d);
		want++;
	}
	ck_assert_uint_eq(want, 7);
	buf_done(&b);
}
END_TEST

START_TEST(test_apply_bad)
{
	struct msg_sync_event	ev;
	struct wire_arg		v[3];
	struct mt_err		err;

	memset(&ev, 0, sizeof ev);
	ev.type = MSG_sync_event;
	ev.origin = "00ff";
	ev.seq = 1;
	ev.time_ms = T0;
	ev.op = "seeder";
	v[0].p = "nothex";
	v[0].len = 6;
	v[1].p = "127.0.0.1:1";
	v[1].len = 11;
	v[2].p = "1";
	v[2].len = 1;
	ev.args.n = 3;
	ev.args.v = v;
	ck_assert_int_eq(tracker_store_apply(A, &ev, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADARGS);
	ev.origin = "not hex";
	ck_assert_int_eq(tracker_store_apply(A, &ev, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADARGS);
	ev.origin = "00ff";
	ev.seq = 0;
	ck_assert_int_eq(tracker_store_apply(A, &ev, &err), -1);
	/* A bad event is not recorded as seen. */
	{
		char	items[4][96];

		ck_assert_uint_eq(tracker_store_seen(A, items, 4), 0);
	}
}
END_TEST

/* ---- threads ---- */

struct worker {
	pthread_t	 tid;
	int		 n;
	int		 failures;
};

/* One request from a worker thread; returns the reply's code. */
static int
wcall(const union message *m, char *keep, size_t keeplen)
{
	struct wire_decoder	*d = wire_decoder_create();
	struct buf		 b;
	struct mt_err		 err;
	union message		 r;
	size_t			 used;
	int			 rc = -1;

	buf_init(&b, 4 * WIRE_FRAME_MAX);
	if (tracker_store_handle(A, m, "127.0.0.1", T0, &b) == 0 &&
	    wire_decode_feed(d, buf_head(&b), buf_used(&b), &used, &err) ==
	    WIRE_FRAME && message_decode(wire_decoder_frame(d), &r,
	    &err) == 0) {
		rc = r.type == MSG_error ? (int)r.error.code : MT_E_OK;
		if (keep != NULL && r.type == MSG_login_reply)
			snprintf(keep, keeplen, "%s", r.login_reply.token);
		if (keep != NULL && r.type == MSG_list_reply)
			snprintf(keep, keeplen, "%u", r.list_reply.items.n);
		if (keep != NULL && r.type == MSG_seeders_reply)
			snprintf(keep, keeplen, "%u",
			    r.seeders_reply.seeders.n);
	}
	wire_decoder_free(d);
	buf_done(&b);
	return (rc);
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	union message	 m;
	struct tfile	 f;
	char		 u[16], g[16], tok[65], name[16], addr[32], k[16];
	int		 i, rc;

	snprintf(u, sizeof u, "user%d", w->n);
	snprintf(g, sizeof g, "grp%d", w->n);
	memset(&m, 0, sizeof m);
	m.type = MSG_create_user;
	m.create_user.user = u;
	m.create_user.password = "pw";
	w->failures += wcall(&m, NULL, 0) != MT_E_OK;
	m.type = MSG_login;
	m.login.user = u;
	m.login.password = "pw";
	w->failures += wcall(&m, tok, sizeof tok) != MT_E_OK;
	memset(&m, 0, sizeof m);
	m.type = MSG_create_group;
	m.create_group.token = tok;
	m.create_group.group = g;
	w->failures += wcall(&m, NULL, 0) != MT_E_OK;
	for (i = 0; i < 20; i++) {
		tfile_make(&f, (unsigned)(w->n * 100 + i), 2);
		snprintf(name, sizeof name, "w%d-f%d", w->n, i);
		snprintf(addr, sizeof addr, "127.0.0.1:%d", 2000 + w->n);
		memset(&m, 0, sizeof m);
		m.type = MSG_share;
		m.share.token = tok;
		m.share.file_id = f.id;
		m.share.name = name;
		m.share.size = f.size;
		m.share.piece_size = 524288;
		m.share.pieces.p = f.pieces;
		m.share.pieces.len = 20 * f.npieces;
		m.share.group = i % 2 ? g : "";
		m.share.seeder = addr;
		if ((rc = wcall(&m, NULL, 0)) != MT_E_OK) {
			fprintf(stderr, "worker %d share %d: %d\n", w->n, i,
			    rc);
			w->failures++;
		}
		memset(&m, 0, sizeof m);
		m.type = MSG_seeders;
		m.seeders.token = tok;
		m.seeders.file_id = f.id;
		w->failures += wcall(&m, k, sizeof k) != MT_E_OK ||
		    strcmp(k, "1") != 0;
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_list_files;
	m.list_files.token = tok;
	m.list_files.group = g;
	w->failures += wcall(&m, k, sizeof k) != MT_E_OK ||
	    strcmp(k, "10") != 0;
	return (NULL);
}

/* Several threads at once, more logins than hash slots. */
START_TEST(test_threads)
{
	struct worker	w[6];
	union message	m;
	char		k[16];
	int		i;

	for (i = 0; i < 6; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].n = i;
		ck_assert_int_eq(pthread_create(&w[i].tid, NULL, worker_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(pthread_join(w[i].tid, NULL), 0);
		ck_assert_int_eq(w[i].failures, 0);
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_list_files;
	m.list_files.token = "";
	m.list_files.group = "";
	ck_assert_int_eq(wcall(&m, k, sizeof k), MT_E_OK);
	ck_assert_str_eq(k, "60");
}
END_TEST

/* ---- micro-benchmark ---- */

START_TEST(test_bench_seeders)
{
	struct tfile	 f[64];
	struct timespec	 a, b;
	union message	 m;
	struct buf	 out;
	char		 addr[48], ip[32], tok[65];
	double		 ns;
	int		 i, j, n = 200000;

	user(A, "alice", tok);
	ck_assert_int_eq(group_req(A, MSG_create_group, tok, "g"), MT_E_OK);
	for (i = 0; i < 64; i++) {
		tfile_make(&f[i], 100 + (unsigned)i, 4);
		for (j = 0; j < 50; j++) {
			char	name[16];

			snprintf(name, sizeof name, "f%d", i);
			snprintf(ip, sizeof ip, "10.0.%d.%d", i, j);
			snprintf(addr, sizeof addr, "%s:6881", ip);
			ck_assert_int_eq(share_at(A, i % 2 ? tok : "", &f[i],
			    name, i % 2 ? "g" : "", addr, ip, T0), MT_E_OK);
		}
	}
	buf_init(&out, 1 << 20);
	memset(&m, 0, sizeof m);
	m.type = MSG_seeders;
	for (int kind = 0; kind < 2; kind++) {
		/* CPU time, so that a loaded machine does not skew it. */
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		for (i = 0; i < n; i++) {
			m.seeders.token = kind ? tok : "";
			m.seeders.file_id = f[(i % 32) * 2 + kind].id;
			buf_reset(&out);
			tracker_store_handle(A, &m, "127.0.0.1", T0, &out);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		    (double)(b.tv_nsec - a.tv_nsec)) / n;
		printf("bench: seeders (%s file, 50 seeders): %.0f ns CPU "
		    "per call, %.0f calls/s per core\n",
		    kind ? "group" : "public", ns, 1e9 / ns);
	}
	/* Writes: a new seeder each (one commit with its event). */
	{
		struct timespec	wa, wb;
		int		nw = 5000;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
		clock_gettime(CLOCK_MONOTONIC, &wa);
		for (i = 0; i < nw; i++) {
			snprintf(addr, sizeof addr, "10.1.%d.%d:6881",
			    i / 250, i % 250);
			memset(&m, 0, sizeof m);
			m.type = MSG_seeder_add;
			m.seeder_add.token = "";
			m.seeder_add.file_id = f[0].id;
			m.seeder_add.seeder = addr;
			buf_reset(&out);
			tracker_store_handle(A, &m, "127.0.0.1", T0, &out);
		}
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		clock_gettime(CLOCK_MONOTONIC, &wb);
		printf("bench: seeder_add (commit + event): %.1f us CPU, "
		    "%.1f us wall per call\n",
		    ((double)(b.tv_sec - a.tv_sec) * 1e9 +
		    (double)(b.tv_nsec - a.tv_nsec)) / nw / 1e3,
		    ((double)(wb.tv_sec - wa.tv_sec) * 1e9 +
		    (double)(wb.tv_nsec - wa.tv_nsec)) / nw / 1e3);
	}
	buf_done(&out);
}
END_TEST

static Suite *
tracker_store_suite(void)
{
	Suite	*s = suite_create("tracker_store");
	TCase	*tc;

	setenv("MTORRENT_TEST_KDF_ITER", "1000", 1);

	tc = tcase_create("accounts");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_kdf_default);
	tcase_add_test(tc, test_create_user);
	tcase_add_test(tc, test_login);
	tcase_add_test(tc, test_login_timing);
	tcase_add_test(tc, test_throttle);
	tcase_add_test(tc, test_logout);
	tcase_add_test(tc, test_session_expiry);
	tcase_add_test(tc, test_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_matrix, 0, NWHAT);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_share_public);
	tcase_add_loop_test(tc, test_share_bad, 0,
	    sizeof bad_shares / sizeof bad_shares[0]);
	tcase_add_test(tc, test_seeders_ops);
	tcase_add_test(tc, test_announce_group);
	tcase_add_test(tc, test_index_matches_db);
	tcase_add_test(tc, test_observed_address);
	tcase_add_test(tc, test_seeders_cap);
	tcase_add_test(tc, test_seeders_order);
	tcase_add_test(tc, test_seeder_addr_rules);
	tcase_add_test(tc, test_expire);
	tcase_add_test(tc, test_renew_memory);
	tcase_add_test(tc, test_badtype);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("replication");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_restart);
	tcase_add_test(tc, test_exclusive);
	tcase_add_test(tc, test_kill9);
	tcase_add_test(tc, test_replicate);
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_converge);
	tcase_add_test(tc, test_converge_members);
	tcase_add_test(tc, test_events_order);
	tcase_add_test(tc, test_apply_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("bench");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bench_seeders);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(tracker_store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
