/*
 * tracker-store.c: the tracker's state on SQLite, its request dispatch
 * and its replication log.
 *
 * Design (doc/tracker.md has the full rules):
 *
 * - One SQLite connection per store in WAL mode with synchronous=NORMAL:
 *   a committed transaction survives kill -9 of the process (the WAL is
 *   in the OS page cache and replayed on open); only a power loss may
 *   drop the last commits.  The schema version is PRAGMA user_version.
 * - One mutex guards the connection, the statement cache, the seeders
 *   index and the login throttles.  Password hashing (create_user, login)
 *   runs with the mutex released, at most TRACKER_STORE_KDF_MAX at once
 *   (password_gate).
 * - A request that changes state runs in one BEGIN IMMEDIATE transaction
 *   holding the change and its replication events; the reply is written
 *   only after COMMIT succeeded.
 * - Events: (origin, seq, time_ms, op, args).  Our own are numbered from 1
 *   without gaps; events applied from partners are stored too, so a
 *   tracker relays what it learnt to its other partners.  seen(origin)
 *   is the highest seq applied per origin; an event at or below it is a
 *   no-op, which makes replays and duplicates harmless.
 * - Conflicts: users, groups and files are created once: if two trackers
 *   created the same name while apart, the creation with the smaller
 *   (time_ms, origin) wins on both.  What referred to the losing one
 *   (sessions, memberships, files of a group) carries its incarnation
 *   ("TIME.ORIGIN") and so stops matching.  Seeder entries and
 *   memberships are last-writer-wins per key by (time_ms, origin);
 *   logouts are permanent (a revoked flag that only goes up).
 * - seeders is served from an in-memory hash table file_id -> live
 *   seeders, updated after each commit with the changes the transaction
 *   made (files whose metadata changed are reloaded from the db).  A
 *   renewal of a live entry (no event due) only moves last_seen in the
 *   index; tracker_store_expire() and close write those back.  That is
 *   the one change not committed before its reply: a liveness hint.
 */
#include "config.h"

#include "tracker-store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "tracker-store-int.h"
#include "xmalloc.h"

#define TS_BUSY_TIMEOUT_MS	2000

static const char *const ts_schema[] = {
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
	"CREATE TABLE users (name TEXT PRIMARY KEY, inc TEXT NOT NULL,"
	" iter INTEGER NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,"
	" t_ms INTEGER NOT NULL, origin TEXT NOT NULL)",
	"CREATE TABLE sessions (token_hash TEXT PRIMARY KEY,"
	" user TEXT NOT NULL, user_inc TEXT NOT NULL,"
	" expires_ms INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)",
	"CREATE INDEX sessions_expiry ON sessions (expires_ms)",
	"CREATE TABLE grps (name TEXT PRIMARY KEY, inc TEXT NOT NULL,"
	" owner TEXT NOT NULL, owner_inc TEXT NOT NULL,"
	" t_ms INTEGER NOT NULL, origin TEXT NOT NULL)",
	"CREATE TABLE members (grp TEXT NOT NULL, grp_inc TEXT NOT NULL,"
	" user TEXT NOT NULL, user_inc TEXT NOT NULL,"
	" state INTEGER NOT NULL, t_ms INTEGER NOT NULL,"
	" origin TEXT NOT NULL, PRIMARY KEY (grp, grp_inc, user, user_inc))",
	"CREATE TABLE files (file_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" size INTEGER NOT NULL, piece_size INTEGER NOT NULL,"
	" pieces BLOB NOT NULL, grp TEXT NOT NULL, grp_inc TEXT NOT NULL,"
	" t_ms INTEGER NOT NULL, origin TEXT NOT NULL)",
	"CREATE INDEX files_grp ON files (grp, name)",
	"CREATE TABLE seeders (file_id TEXT NOT NULL, addr TEXT NOT NULL,"
	" live INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" t_ms INTEGER NOT NULL, origin TEXT NOT NULL,"
	" PRIMARY KEY (file_id, addr)) WITHOUT ROWID",
	"CREATE INDEX seeders_addr ON seeders (addr)",
	"CREATE INDEX seeders_seen ON seeders (last_seen)",
	"CREATE TABLE events (origin TEXT NOT NULL, seq INTEGER NOT NULL,"
	" time_ms INTEGER NOT NULL, op TEXT NOT NULL, args BLOB NOT NULL,"
	" PRIMARY KEY (origin, seq)) WITHOUT ROWID",
	"CREATE INDEX events_op ON events (op, time_ms)",
	"CREATE TABLE seen (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL)",
};

static int	ts_exec(struct tracker_store *, const char *, struct mt_err *);
/* From schema version i + 1 to i + 2, in order. */
static const char *const ts_upgrade[] = {
	/* 2: transfer units (mtorrent.5), 0 and empty for none. */
	"ALTER TABLE files ADD COLUMN unit_size INTEGER NOT NULL DEFAULT 0;"
	" ALTER TABLE files ADD COLUMN chain BLOB NOT NULL DEFAULT x''",
};

static int	ts_schema_init(struct tracker_store *, struct mt_err *);
static int	ts_load_id(struct tracker_store *, struct mt_err *);
static void	ts_bump(struct tracker_store *);
static int	ts_touched(const struct tracker_store *, const char *);
static int	ts_args_pack(const char *const *, size_t, struct buf *);
static int	ts_args_unpack(const uint8_t *, size_t, struct wire_arg *,
		    size_t, size_t *);

uint64_t
ts_realtime_ms(void)
{
	struct timespec	ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		fatal("clock_gettime");
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* ---- validation and hex ---- */

int
ts_name_valid(const char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= TS_NAME_MAX)
			return (0);
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return (0);
	}
	return (i > 0);
}

int
ts_hex_valid(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	}
	return (s[n] == '\0');
}

void
ts_hex(const uint8_t *p, size_t n, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
ts_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
ts_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if ((hi = ts_hexval(s[2 * i])) < 0 ||
		    (lo = ts_hexval(s[2 * i + 1])) < 0)
			return (-1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

void
ts_inc(char *inc, uint64_t t_ms, const char *origin)
{
	snprintf(inc, TS_INC_MAX, "%" PRIu64 ".%s", t_ms, origin);
}

/* True if stamp 1 comes before stamp 2: earlier time, then smaller origin. */
int
ts_stamp_less(uint64_t t1, const char *o1, uint64_t t2, const char *o2)
{
	if (t1 != t2)
		return (t1 < t2);
	return (strcmp(o1, o2) < 0);
}

int
ts_stamp_wins(struct tracker_store *ts, struct sqlite3_stmt *q,
    const struct ts_stamp *st, int rule, int *existed, struct mt_err *err)
{
	int	rc, wins = 1;

	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		uint64_t	 t = (uint64_t)sqlite3_column_int64(q, 0);
		const char	*o = (const char *)sqlite3_column_text(q, 1);

		wins = rule == TS_FIRST_WINS ?
		    ts_stamp_less(st->t_ms, st->origin, t, o) :
		    ts_stamp_less(t, o, st->t_ms, st->origin);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	if (existed != NULL)
		*existed = rc == SQLITE_ROW;
	return (wins);
}

/* ---- database helpers ---- */

int
ts_db_error(struct tracker_store *ts, struct mt_err *err)
{
	log_error("tracker store: sqlite: %s", sqlite3_errmsg(ts->db));
	return (mt_err_set(err, MT_E_DB, _("tracker database error")));
}

/*
 * A prepared statement for sql, cached by the literal's address; reset and
 * with bindings cleared.  Statement text is always a literal.
 */
struct sqlite3_stmt *
ts_sql(struct tracker_store *ts, const char *sql)
{
	struct ts_cached_stmt	*c;
	size_t			 i;

	for (i = 0; i < ts->nstmts; i++) {
		c = &ts->stmts[i];
		if (c->sql == sql) {
			sqlite3_reset(c->stmt);
			sqlite3_clear_bindings(c->stmt);
			return (c->stmt);
		}
	}
	if (ts->nstmts == TS_STMT_MAX)
		fatalx("ts_sql: statement cache full");
	c = &ts->stmts[ts->nstmts];
	if (sqlite3_prepare_v3(ts->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &c->stmt, NULL) != SQLITE_OK)
		fatalx("ts_sql: cannot prepare \"%s\": %s", sql,
		    sqlite3_errmsg(ts->db));
	c->sql = sql;
	ts->nstmts++;
	return (c->stmt);
}

/* Step a statement that returns no rows. */
int
ts_step_done(struct tracker_store *ts, struct sqlite3_stmt *st,
    struct mt_err *err)
{
	int	rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	return (0);
}

static int
ts_exec(struct tracker_store *ts, const char *sql, struct mt_err *err)
{
	char	*msg = NULL;

	if (sqlite3_exec(ts->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("tracker store: %s: %s", sql,
		    msg != NULL ? msg : "?");
		sqlite3_free(msg);
		if ((sqlite3_errcode(ts->db) & 0xff) == SQLITE_BUSY)
			return (mt_err_set(err, MT_E_BUSY, _("the tracker "
			    "database is in use by another process")));
		return (mt_err_set(err, MT_E_DB,
		    _("tracker database error")));
	}
	return (0);
}

int
ts_begin(struct tracker_store *ts, struct mt_err *err)
{
	if (ts_step_done(ts, ts_sql(ts, "BEGIN IMMEDIATE"), err) != 0)
		return (-1);
	ts->in_txn = 1;
	ts->seq_pending = ts->seq;
	ts->ntouched = 0;
	ts->touched_all = 0;
	ts->npend = 0;
	return (0);
}

/* Commit; then the own seq, generation and index follow the db. */
int
ts_commit(struct tracker_store *ts, struct mt_err *err)
{
	size_t	i;

	if (ts_step_done(ts, ts_sql(ts, "COMMIT"), err) != 0) {
		ts_rollback(ts);
		return (-1);
	}
	ts->in_txn = 0;
	ts->seq = ts->seq_pending;
	if (ts->touched_all) {
		ts_index_free(ts);
		if (ts_index_load(ts, err) != 0)
			log_error("tracker store: cannot reload index");
	} else {
		/* Files whose metadata changed are reloaded whole ... */
		for (i = 0; i < ts->ntouched; i++)
			ts_index_reload(ts, ts->touched[i]);
		/* ... the others get just their seeder changes. */
		for (i = 0; i < ts->npend; i++) {
			if (!ts_touched(ts, ts->pend[i].id))
				ts_index_seeder(ts, &ts->pend[i]);
		}
	}
	ts->ntouched = 0;
	ts->touched_all = 0;
	ts->npend = 0;
	ts_bump(ts);
	return (0);
}

void
ts_rollback(struct tracker_store *ts)
{
	char	*msg = NULL;

	if (!ts->in_txn)
		return;
	if (sqlite3_exec(ts->db, "ROLLBACK", NULL, NULL, &msg) != SQLITE_OK) {
		log_error("tracker store: rollback: %s", msg ? msg : "?");
		sqlite3_free(msg);
	}
	ts->in_txn = 0;
	ts->seq_pending = ts->seq;
	ts->ntouched = 0;
	ts->touched_all = 0;
	ts->npend = 0;
}

static int
ts_touched(const struct tracker_store *ts, const char *file_id)
{
	size_t	i;

	for (i = 0; i < ts->ntouched; i++) {
		if (strcmp(ts->touched[i], file_id) == 0)
			return (1);
	}
	return (0);
}

/* Remember a seeder change, applied to the index after commit. */
void
ts_pend_seeder(struct tracker_store *ts, const char *id, const char *addr,
    int live, uint64_t last_seen, uint64_t t_ms)
{
	struct ts_pend	*p;

	if (ts->npend == ts->pend_cap) {
		ts->pend_cap = ts->pend_cap ? ts->pend_cap * 2 : 16;
		ts->pend = xreallocarray(ts->pend, ts->pend_cap,
		    sizeof *ts->pend);
	}
	p = &ts->pend[ts->npend++];
	snprintf(p->id, sizeof p->id, "%s", id);
	snprintf(p->addr, sizeof p->addr, "%s", addr);
	p->live = live;
	p->last_seen = last_seen;
	p->t_ms = t_ms;
}

/* Remember that file_id's metadata changed in this transaction. */
void
ts_touch(struct tracker_store *ts, const char *file_id)
{
	if (ts_touched(ts, file_id))
		return;
	if (ts->ntouched == 1024) {
		ts->touched_all = 1;
		return;
	}
	if (ts->ntouched == ts->touched_cap) {
		ts->touched_cap = ts->touched_cap ? ts->touched_cap * 2 : 16;
		ts->touched = xreallocarray(ts->touched, ts->touched_cap,
		    sizeof *ts->touched);
	}
	snprintf(ts->touched[ts->ntouched++], 41, "%s", file_id);
}

static void
ts_bump(struct tracker_store *ts)
{
	ts->gen++;
	pthread_cond_broadcast(&ts->changed);
}

/* Pack event arguments as (u32 length, bytes) each. */
static int
ts_args_pack(const char *const *args, size_t n, struct buf *b)
{
	uint8_t	len[4];
	size_t	i, l;

	for (i = 0; i < n; i++) {
		l = strlen(args[i]);
		buf_put_u32be(len, (uint32_t)l);
		if (buf_add(b, len, 4, NULL) != 0 ||
		    buf_add(b, args[i], l, NULL) != 0)
			return (-1);
	}
	return (0);
}

/* Unpack into v (at most max), pointing into p.  0, or -1 if malformed. */
static int
ts_args_unpack(const uint8_t *p, size_t len, struct wire_arg *v, size_t max,
    size_t *n)
{
	size_t		off = 0;
	uint32_t	l;

	*n = 0;
	while (off < len) {
		if (len - off < 4 || *n == max)
			return (-1);
		l = buf_get_u32be(p + off);
		off += 4;
		if (l > len - off)
			return (-1);
		v[*n].p = (const char *)p + off;
		v[*n].len = l;
		(*n)++;
		off += l;
	}
	return (0);
}

/*
 * Record an own event in the current transaction: the next seq, now_ms,
 * op and its text arguments.
 */
int
ts_event(struct tracker_store *ts, uint64_t now_ms, const char *op,
    const char *const *args, size_t nargs, struct mt_err *err)
{
	struct sqlite3_stmt	*st;
	struct buf		 b;
	uint64_t		 seq = ts->seq_pending + 1;
	int			 rc;

	buf_init(&b, WIRE_PAYLOAD_MAX);
	if (ts_args_pack(args, nargs, &b) != 0) {
		buf_done(&b);
		return (mt_err_set(err, MT_E_TOOBIG,
		    _("change too large to replicate")));
	}
	st = ts_sql(ts, "INSERT INTO events (origin, seq, time_ms, op, args)"
	    " VALUES (?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, ts->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now_ms);
	sqlite3_bind_text(st, 4, op, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, buf_used(&b) ? buf_head(&b) : (const void *)"",
	    (int)buf_used(&b), SQLITE_TRANSIENT);
	rc = ts_step_done(ts, st, err);
	buf_done(&b);
	if (rc != 0)
		return (-1);
	st = ts_sql(ts, "INSERT INTO seen (origin, seq) VALUES (?, ?)"
	    " ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq");
	sqlite3_bind_text(st, 1, ts->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	if (ts_step_done(ts, st, err) != 0)
		return (-1);
	ts->seq_pending = seq;
	return (0);
}

/* ---- replies ---- */

int
ts_reply_ok(struct buf *out, const char *text)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_ok;
	m.ok.text = text;
	return (message_encode(&m, out, NULL));
}

int
ts_reply_error(struct buf *out, const struct mt_err *err)
{
	union message	m;

	memset(&m, 0, sizeof m);
	m.type = MSG_error;
	m.error.code = err->code;
	m.error.text = err->msg;
	return (message_encode(&m, out, NULL));
}

int
ts_reply_list(struct buf *out, char **items, size_t n)
{
	union message	 m;
	struct wire_arg	*v;
	size_t		 i;
	int		 rc;

	v = xcalloc(n ? n : 1, sizeof *v);
	for (i = 0; i < n; i++) {
		v[i].p = items[i];
		v[i].len = (uint32_t)strlen(items[i]);
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_list_reply;
	m.list_reply.items.n = (uint32_t)n;
	m.list_reply.items.v = v;
	rc = message_encode(&m, out, NULL);
	free(v);
	return (rc);
}

/* ---- open and close ---- */

static int
ts_schema_init(struct tracker_store *ts, struct mt_err *err)
{
	struct sqlite3_stmt	*st;
	int			 version;
	size_t			 i;

	if (sqlite3_prepare_v2(ts->db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if ((sqlite3_errcode(ts->db) & 0xff) == SQLITE_BUSY)
			return (mt_err_set(err, MT_E_BUSY, _("the tracker "
			    "database is in use by another process")));
		return (ts_db_error(ts, err));
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version == TS_SCHEMA_VERSION)
		return (0);
	if (version < 0 || version > TS_SCHEMA_VERSION)
		return (mt_err_set(err, MT_E_DB,
		    _("tracker database has schema version %d, expected %d"),
		    version, TS_SCHEMA_VERSION));
	if (ts_exec(ts, "BEGIN IMMEDIATE", err) != 0)
		return (-1);
	/* A new database is version 1, then upgraded like an old one. */
	for (i = 0; version == 0 && i < sizeof ts_schema /
	    sizeof ts_schema[0]; i++) {
		if (ts_exec(ts, ts_schema[i], err) != 0)
			goto fail;
	}
	for (i = version == 0 ? 0 : (size_t)version - 1;
	    i < sizeof ts_upgrade / sizeof ts_upgrade[0]; i++) {
		if (ts_exec(ts, ts_upgrade[i], err) != 0)
			goto fail;
	}
	/* user_version cannot be bound; the number is a constant. */
	if (ts_exec(ts, "PRAGMA user_version = 2", err) != 0)
		goto fail;
	return (ts_exec(ts, "COMMIT", err));
fail:
	sqlite3_exec(ts->db, "ROLLBACK", NULL, NULL, NULL);
	return (-1);
}

/* Read this tracker's id from meta, or make and keep one. */
static int
ts_load_id(struct tracker_store *ts, struct mt_err *err)
{
	struct sqlite3_stmt	*st;
	uint8_t			 raw[TS_ID_LEN / 2];
	const unsigned char	*v;
	int			 rc;

	st = ts_sql(ts, "SELECT value FROM meta WHERE key = 'tracker_id'");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		v = sqlite3_column_text(st, 0);
		if (v != NULL && strlen((const char *)v) == TS_ID_LEN &&
		    ts_hex_valid((const char *)v, TS_ID_LEN)) {
			memcpy(ts->id, v, TS_ID_LEN + 1);
			sqlite3_reset(st);
			goto seq;
		}
		sqlite3_reset(st);
		return (mt_err_set(err, MT_E_DB,
		    _("tracker database has a bad tracker id")));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	if (RAND_bytes(raw, sizeof raw) != 1)
		return (mt_err_set(err, MT_E_INTERNAL,
		    _("cannot get random bytes")));
	ts_hex(raw, sizeof raw, ts->id);
	st = ts_sql(ts, "INSERT INTO meta (key, value)"
	    " VALUES ('tracker_id', ?)");
	sqlite3_bind_text(st, 1, ts->id, -1, SQLITE_STATIC);
	if (ts_step_done(ts, st, err) != 0)
		return (-1);
	log_info("tracker store: new tracker id %s", ts->id);
seq:
	st = ts_sql(ts, "SELECT seq FROM seen WHERE origin = ?");
	sqlite3_bind_text(st, 1, ts->id, -1, SQLITE_STATIC);
	ts->seq = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		ts->seq = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	ts->seq_pending = ts->seq;
	return (0);
}

struct tracker_store *
tracker_store_open(const char *path, struct mt_err *err)
{
	struct tracker_store	*ts;
	pthread_condattr_t	 ca;
	int			 overridden, fd;

	ts = xcalloc(1, sizeof *ts);
	/*
	 * It holds password hashes: a new database (and so its -wal and
	 * -shm, which take its mode) is private, whatever the umask.
	 */
	if (strcmp(path, ":memory:") != 0 && (fd = open(path, O_RDWR |
	    O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	if (sqlite3_open_v2(path, &ts->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		mt_err_set(err, MT_E_DB, _("cannot open %s: %s"), path,
		    ts->db ? sqlite3_errmsg(ts->db) : "?");
		sqlite3_close(ts->db);
		free(ts);
		return (NULL);
	}
	sqlite3_busy_timeout(ts->db, TS_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(ts->db, 1);
	/*
	 * WAL + NORMAL: a commit is durable against a process crash (kill
	 * -9); a power failure may lose the last transactions, never corrupt.
	 */
	/*
	 * EXCLUSIVE: this process keeps the file lock (no fcntl() per
	 * statement, a large part of a lookup's cost) and a second tracker
	 * on the same state cannot start.  Set before WAL so the WAL index
	 * lives in heap memory.
	 */
	if (ts_exec(ts, "PRAGMA locking_mode = EXCLUSIVE", err) != 0 ||
	    ts_exec(ts, "PRAGMA journal_mode = WAL", err) != 0 ||
	    ts_exec(ts, "PRAGMA synchronous = NORMAL", err) != 0 ||
	    ts_exec(ts, "PRAGMA foreign_keys = OFF", err) != 0 ||
	    ts_schema_init(ts, err) != 0 || ts_load_id(ts, err) != 0)
		goto fail;

	ts->kdf_iter = password_iter(&overridden);
	if (overridden)
		log_warn("tracker store: %s=%u in effect: password hashes are "
		    "WEAK (tests only)", PASSWORD_ITER_ENV, ts->kdf_iter);
	if (RAND_bytes(ts->dummy_salt, sizeof ts->dummy_salt) != 1) {
		mt_err_set(err, MT_E_INTERNAL, _("cannot get random bytes"));
		goto fail;
	}
	ts->fail_user = xcalloc(TS_THROTTLE_MAX, sizeof *ts->fail_user);
	ts->fail_addr = xcalloc(TS_THROTTLE_MAX, sizeof *ts->fail_addr);
	if (ts_index_load(ts, err) != 0)
		goto fail;

	if (pthread_mutex_init(&ts->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&ts->changed, &ca) != 0)
		fatalx("tracker_store_open: pthread init failed");
	pthread_condattr_destroy(&ca);
	password_gate_init(&ts->gate, TRACKER_STORE_KDF_MAX);
	log_info("tracker store: %s open, id %s, own seq %" PRIu64, path,
	    ts->id, ts->seq);
	return (ts);
fail:
	ts_index_free(ts);
	free(ts->fail_user);
	free(ts->fail_addr);
	for (size_t i = 0; i < ts->nstmts; i++)
		sqlite3_finalize(ts->stmts[i].stmt);
	sqlite3_close(ts->db);
	free(ts);
	return (NULL);
}

void
tracker_store_close(struct tracker_store *ts)
{
	struct mt_err	err;
	size_t		i;

	if (ts == NULL)
		return;
	if (ts_index_flush(ts, NULL, &err) != 0)
		log_warn("tracker store: last renewals not saved: %s", err.msg);
	for (i = 0; i < ts->nstmts; i++)
		sqlite3_finalize(ts->stmts[i].stmt);
	if (sqlite3_close(ts->db) != SQLITE_OK)
		log_error("tracker store: close: %s", sqlite3_errmsg(ts->db));
	ts_index_free(ts);
	free(ts->touched);
	free(ts->pend);
	free(ts->fail_user);
	free(ts->fail_addr);
	password_gate_done(&ts->gate);
	pthread_cond_destroy(&ts->changed);
	pthread_mutex_destroy(&ts->lock);
	free(ts);
}

const char *
tracker_store_id(const struct tracker_store *ts)
{
	return (ts->id);
}

void
tracker_store_set_kdf_iter(struct tracker_store *ts, unsigned iter)
{
	pthread_mutex_lock(&ts->lock);
	if (iter >= PASSWORD_ITER_MIN && iter <= PASSWORD_ITER_MAX)
		ts->kdf_iter = iter;
	pthread_mutex_unlock(&ts->lock);
}

unsigned
tracker_store_kdf_iter(struct tracker_store *ts)
{
	unsigned	iter;

	pthread_mutex_lock(&ts->lock);
	iter = ts->kdf_iter;
	pthread_mutex_unlock(&ts->lock);
	return (iter);
}

/* ---- requests ---- */

int
tracker_store_handle(struct tracker_store *ts, const union message *req,
    const char *client_ip, uint64_t now_ms, struct buf *out)
{
	struct ts_req	r;
	struct mt_err	err;
	int		rc;

	r.client_ip = client_ip != NULL ? client_ip : "";
	r.now_ms = now_ms;

	/* These hash a password, so they take the lock themselves. */
	switch (req->type) {
	case MSG_create_user:
		return (ts_handle_create_user(ts, req, &r, out));
	case MSG_login:
		return (ts_handle_login(ts, req, &r, out));
	default:
		break;
	}

	pthread_mutex_lock(&ts->lock);
	switch (req->type) {
	case MSG_share:
		rc = ts_handle_share(ts, req, &r, out);
		break;
	case MSG_seeder_add:
	case MSG_seeder_remove:
		rc = ts_handle_seeder(ts, req, &r, out);
		break;
	case MSG_seeders:
		rc = ts_handle_seeders(ts, req, &r, out);
		break;
	case MSG_announce:
		rc = ts_handle_announce(ts, req, &r, out);
		break;
	case MSG_bye:
		rc = ts_handle_bye(ts, req, &r, out);
		break;
	case MSG_metainfo:
		rc = ts_handle_metainfo(ts, req, &r, out);
		break;
	case MSG_list_files:
		rc = ts_handle_list_files(ts, req, &r, out);
		break;
	case MSG_stop_share:
		rc = ts_handle_stop_share(ts, req, &r, out);
		break;
	case MSG_logout:
	case MSG_create_group:
	case MSG_join_group:
	case MSG_leave_group:
	case MSG_list_requests:
	case MSG_accept_request:
	case MSG_list_groups:
		rc = ts_handle_account(ts, req, &r, out);
		break;
	default:
		mt_err_set(&err, MT_E_BADTYPE,
		    _("a tracker does not answer this message"));
		rc = ts_reply_error(out, &err);
		break;
	}
	ts_rollback(ts);	/* no-op unless a handler left one open */
	pthread_mutex_unlock(&ts->lock);
	return (rc);
}

/* ---- replication ---- */

int
tracker_store_apply(struct tracker_store *ts, const struct msg_sync_event *ev,
    struct mt_err *err)
{
	struct sqlite3_stmt	*st;
	struct ts_stamp		 stamp;
	struct buf		 b;
	const char		*const *args;
	const char		**argv = NULL;
	uint64_t		 seen = 0;
	uint32_t		 i;
	int			 rc;

	if (strlen(ev->origin) == 0 || strlen(ev->origin) > TS_ORIGIN_MAX ||
	    !ts_hex_valid(ev->origin, strlen(ev->origin)) || ev->seq == 0 ||
	    ev->seq > INT64_MAX || ev->time_ms > INT64_MAX ||
	    !wire_type_valid(ev->op, strlen(ev->op)))
		return (mt_err_set(err, MT_E_BADARGS,
		    _("malformed replication event")));

	pthread_mutex_lock(&ts->lock);
	if (strcmp(ev->origin, ts->id) == 0) {
		pthread_mutex_unlock(&ts->lock);
		return (0);	/* our own event coming back */
	}
	st = ts_sql(ts, "SELECT seq FROM seen WHERE origin = ?");
	sqlite3_bind_text(st, 1, ev->origin, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		seen = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (ev->seq <= seen) {
		pthread_mutex_unlock(&ts->lock);
		return (0);
	}

	stamp.t_ms = ev->time_ms;
	stamp.origin = ev->origin;

	if (ts_begin(ts, err) != 0) {
		pthread_mutex_unlock(&ts->lock);
		return (-1);
	}
	if (strcmp(ev->op, "file") == 0)
		rc = ts_apply_file(ts, &stamp, &ev->args, err);
	else if (strcmp(ev->op, "units") == 0)
		rc = ts_apply_units(ts, &stamp, &ev->args, err);
	else if (strcmp(ev->op, "seeder") == 0)
		rc = ts_apply_seeder(ts, &stamp, &ev->args, err);
	else if (strcmp(ev->op, "user") == 0 ||
	    strcmp(ev->op, "session") == 0 ||
	    strcmp(ev->op, "logout") == 0 ||
	    strcmp(ev->op, "group") == 0 ||
	    strcmp(ev->op, "member") == 0)
		rc = ts_apply_account(ts, ev->op, &stamp, &ev->args, err);
	else {
		/* A newer partner's op: keep and relay it, skip applying. */
		log_warn("tracker store: unknown event op \"%s\" from %s",
		    ev->op, ev->origin);
		rc = 0;
	}
	if (rc != 0)
		goto fail;

	/* Keep it for relaying to our other partners. */
	argv = xcalloc(ev->args.n ? ev->args.n : 1, sizeof *argv);
	for (i = 0; i < ev->args.n; i++)
		argv[i] = ev->args.v[i].p;
	args = argv;
	buf_init(&b, 2 * WIRE_PAYLOAD_MAX);
	if (ts_args_pack(args, ev->args.n, &b) != 0) {
		buf_done(&b);
		mt_err_set(err, MT_E_TOOBIG, _("replication event too large"));
		goto fail;
	}
	st = ts_sql(ts, "INSERT OR IGNORE INTO events"
	    " (origin, seq, time_ms, op, args) VALUES (?, ?, ?, ?, ?)");
	sqlite3_bind_text(st, 1, ev->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)ev->time_ms);
	sqlite3_bind_text(st, 4, ev->op, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 5, buf_used(&b) ? buf_head(&b) : (const void *)"",
	    (int)buf_used(&b), SQLITE_TRANSIENT);
	rc = ts_step_done(ts, st, err);
	buf_done(&b);
	if (rc != 0)
		goto fail;
	st = ts_sql(ts, "INSERT INTO seen (origin, seq) VALUES (?, ?)"
	    " ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq");
	sqlite3_bind_text(st, 1, ev->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)ev->seq);
	if (ts_step_done(ts, st, err) != 0 || ts_commit(ts, err) != 0)
		goto fail;
	free(argv);
	pthread_mutex_unlock(&ts->lock);
	return (0);
fail:
	free(argv);
	ts_rollback(ts);
	pthread_mutex_unlock(&ts->lock);
	return (-1);
}

size_t
tracker_store_seen(struct tracker_store *ts, char (*items)[96], size_t max)
{
	struct sqlite3_stmt	*st;
	size_t			 n = 0;

	pthread_mutex_lock(&ts->lock);
	st = ts_sql(ts, "SELECT origin, seq FROM seen ORDER BY origin");
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		snprintf(items[n++], 96, "%s %" PRId64,
		    (const char *)sqlite3_column_text(st, 0),
		    (int64_t)sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	pthread_mutex_unlock(&ts->lock);
	return (n);
}

/* Encode one stored event as a sync_event frame.  0, or -1 (too big). */
static int
ts_event_encode(const char *origin, struct sqlite3_stmt *st, struct buf *out)
{
	union message	 m;
	struct wire_arg	 v[MSG_LIST_MAX];
	const uint8_t	*blob;
	uint8_t		*copy;
	size_t		 len, n;
	int		 rc;

	blob = sqlite3_column_blob(st, 3);
	len = (size_t)sqlite3_column_bytes(st, 3);
	/* message_encode() uses the lengths; no NULs are needed. */
	copy = xmalloc(len + 1);
	if (len > 0)
		memcpy(copy, blob, len);
	if (ts_args_unpack(copy, len, v, MSG_LIST_MAX, &n) != 0) {
		free(copy);
		return (-1);
	}
	memset(&m, 0, sizeof m);
	m.type = MSG_sync_event;
	m.sync_event.origin = origin;
	m.sync_event.seq = (uint64_t)sqlite3_column_int64(st, 0);
	m.sync_event.time_ms = (uint64_t)sqlite3_column_int64(st, 1);
	m.sync_event.op = (const char *)sqlite3_column_text(st, 2);
	m.sync_event.args.n = (uint32_t)n;
	m.sync_event.args.v = v;
	rc = message_encode(&m, out, NULL);
	free(copy);
	return (rc);
}

int
tracker_store_events_after(struct tracker_store *ts,
    tracker_store_seen_fn *seen, void *arg, size_t max, struct buf *out)
{
	struct sqlite3_stmt	*so, *se;
	char			 origin[TS_ORIGIN_MAX + 1];
	uint64_t		 have, peer;
	size_t			 count = 0;
	int			 rc = 0;

	pthread_mutex_lock(&ts->lock);
	so = ts_sql(ts, "SELECT origin, seq FROM seen ORDER BY origin");
	while (count < max && rc == 0 && sqlite3_step(so) == SQLITE_ROW) {
		snprintf(origin, sizeof origin, "%s",
		    (const char *)sqlite3_column_text(so, 0));
		have = (uint64_t)sqlite3_column_int64(so, 1);
		peer = 0;
		if (seen != NULL && seen(arg, origin, &peer) != 0)
			peer = 0;
		if (have <= peer)
			continue;
		se = ts_sql(ts, "SELECT seq, time_ms, op, args FROM events"
		    " WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?");
		sqlite3_bind_text(se, 1, origin, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(se, 2, (sqlite3_int64)peer);
		sqlite3_bind_int64(se, 3, (sqlite3_int64)(max - count));
		while (sqlite3_step(se) == SQLITE_ROW) {
			if (ts_event_encode(origin, se, out) != 0) {
				rc = -1;
				break;
			}
			count++;
		}
		sqlite3_reset(se);
	}
	sqlite3_reset(so);
	pthread_mutex_unlock(&ts->lock);
	/* A full out buffer ends the batch; the rest comes next call. */
	if (rc != 0 && count == 0)
		return (-1);
	return ((int)count);
}

void
tracker_store_expire(struct tracker_store *ts, uint64_t now_ms)
{
	struct sqlite3_stmt	*st;
	struct mt_err		 err;
	uint64_t		 cut;

	cut = now_ms > TRACKER_STORE_SEEDER_TTL_MS ?
	    now_ms - TRACKER_STORE_SEEDER_TTL_MS : 0;
	pthread_mutex_lock(&ts->lock);
	if (ts_begin(ts, &err) != 0)
		goto out;
	/* Renewals kept in memory reach the db first. */
	if (ts_index_flush(ts, NULL, &err) != 0)
		goto out;
	/* Local clock, no event: each tracker expires on its own. */
	st = ts_sql(ts, "DELETE FROM seeders WHERE last_seen < ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)cut);
	if (ts_step_done(ts, st, &err) != 0)
		goto out;
	st = ts_sql(ts, "DELETE FROM sessions WHERE expires_ms < ?");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now_ms);
	if (ts_step_done(ts, st, &err) != 0)
		goto out;
	/*
	 * Seeder events older than two TTLs, and session and logout events
	 * older than two session lives, describe what expired everywhere;
	 * drop them so the log does not grow with announces and logins.
	 * The newest event of each origin stays, so the log always shows
	 * how far each origin got.
	 */
	cut = now_ms > 2 * TRACKER_STORE_SEEDER_TTL_MS ?
	    now_ms - 2 * TRACKER_STORE_SEEDER_TTL_MS : 0;
	st = ts_sql(ts, "DELETE FROM events WHERE ((op = 'seeder'"
	    " AND time_ms < ?) OR (op IN ('session', 'logout')"
	    " AND time_ms < ?)) AND seq < (SELECT max(e.seq) FROM events e"
	    " WHERE e.origin = events.origin)");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)cut);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(now_ms >
	    2 * TRACKER_STORE_SESSION_TTL_MS ?
	    now_ms - 2 * TRACKER_STORE_SESSION_TTL_MS : 0));
	if (ts_step_done(ts, st, &err) != 0)
		goto out;
	/* Not ts_commit(): no generation bump, the index is pruned below. */
	if (ts_step_done(ts, ts_sql(ts, "COMMIT"), &err) != 0)
		goto out;
	ts->in_txn = 0;
	ts_index_expire(ts, now_ms);
	ts_throttle_expire(ts, now_ms);
out:
	ts_rollback(ts);
	pthread_mutex_unlock(&ts->lock);
}

uint64_t
tracker_store_generation(struct tracker_store *ts)
{
	uint64_t	gen;

	pthread_mutex_lock(&ts->lock);
	gen = ts->gen;
	pthread_mutex_unlock(&ts->lock);
	return (gen);
}

uint64_t
tracker_store_wait(struct tracker_store *ts, uint64_t gen,
    unsigned timeout_ms)
{
	struct timespec	deadline;
	uint64_t	now_gen;
	int		rc = 0;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0)
		fatal("clock_gettime");
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ts->lock);
	while (ts->gen == gen && rc == 0)
		rc = pthread_cond_timedwait(&ts->changed, &ts->lock, &deadline);
	now_gen = ts->gen;
	pthread_mutex_unlock(&ts->lock);
	return (now_gen);
}
