/*
 * peerdb.c: the peer's SQLite state (see peerdb.h).
 *
 * WAL with synchronous=NORMAL: a committed transaction survives a crash
 * of the process (not necessarily of the machine before the next
 * checkpoint), which is the failure the resume logic is built for.  The
 * engine syncs data before it records bits here, so a recorded piece is
 * always on disk.
 */
#include "config.h"

#include "peerdb.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "xmalloc.h"

struct peerdb {
	pthread_mutex_t	 lock;
	sqlite3		*db;		/* lock */
};

static const char peerdb_schema[] =
	/* One process per state directory (the engine's lock): exclusive
	 * locking keeps the WAL index in memory, with no -shm file mapped
	 * (a -shm that became unwritable was a SIGBUS). */
	"PRAGMA locking_mode=EXCLUSIVE;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS torrents ("
	" file_id TEXT PRIMARY KEY, mtorrent TEXT NOT NULL,"
	" meta BLOB NOT NULL, dir TEXT NOT NULL, data_path TEXT NOT NULL,"
	" role INTEGER NOT NULL, bits BLOB, size INTEGER NOT NULL,"
	" mtime_ns INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS state ("
	" key TEXT PRIMARY KEY, value TEXT NOT NULL);";

static int	peerdb_fail(struct peerdb *, struct mt_err *, const char *);
static int	peerdb_exec(struct peerdb *, const char *, const char *,
		    const char *, const char *, struct mt_err *);

static int
peerdb_fail(struct peerdb *db, struct mt_err *err, const char *what)
{
	log_warn("peerdb: %s: %s", what, sqlite3_errmsg(db->db));
	return (mt_err_set(err, MT_E_DB, _("state database: %s: %s"), what,
	    sqlite3_errmsg(db->db)));
}

struct peerdb *
peerdb_open(const char *state_dir, int *was_clean, struct mt_err *err)
{
	struct peerdb	*db;
	char		*path, flag[8];
	int		 fd;

	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), state_dir,
		    strerror(errno));
		return (NULL);
	}
	db = xcalloc(1, sizeof *db);
	pthread_mutex_init(&db->lock, NULL);
	xasprintf(&path, "%s/peer.db", state_dir);
	/* It holds the session token: private, whatever the umask. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		mt_err_set(err, MT_E_DB, _("%s: %s"), path,
		    db->db != NULL ? sqlite3_errmsg(db->db) : "open");
		free(path);
		goto fail;
	}
	free(path);
	sqlite3_busy_timeout(db->db, 5000);
	if (sqlite3_exec(db->db, peerdb_schema, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		peerdb_fail(db, err, "schema");
		goto fail;
	}
	*was_clean = 1;
	if (peerdb_state_get(db, "clean", flag, sizeof flag) == 0)
		*was_clean = (strcmp(flag, "1") == 0);
	if (peerdb_state_set(db, "clean", "0", err) != 0)
		goto fail;
	return (db);
fail:
	if (db->db != NULL)
		sqlite3_close(db->db);
	pthread_mutex_destroy(&db->lock);
	free(db);
	return (NULL);
}

void
peerdb_close(struct peerdb *db, int clean)
{
	if (db == NULL)
		return;
	if (clean)
		(void)peerdb_state_set(db, "clean", "1", NULL);
	sqlite3_close(db->db);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

int
peerdb_put(struct peerdb *db, const struct peerdb_row *r, struct mt_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->db, "INSERT OR REPLACE INTO torrents"
	    " (file_id, mtorrent, meta, dir, data_path, role, bits, size,"
	    " mtime_ns) VALUES (?,?,?,?,?,?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, r->file_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, r->mtorrent, -1, SQLITE_TRANSIENT);
	sqlite3_bind_blob(st, 3, r->meta, (int)r->metalen, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, r->dir, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, r->data_path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, r->role);
	sqlite3_bind_blob(st, 7, r->bits, (int)r->bitslen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)r->size);
	sqlite3_bind_int64(st, 9, r->mtime_ns);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (0);
fail:
	rc = peerdb_fail(db, err, "put");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (rc);
}

int
peerdb_update(struct peerdb *db, const struct peerdb_row *r,
    struct mt_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->db, "UPDATE torrents SET bits = ?,"
	    " size = ?, mtime_ns = ?, role = ?, data_path = ?"
	    " WHERE file_id = ?", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_blob(st, 1, r->bits, (int)r->bitslen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->size);
	sqlite3_bind_int64(st, 3, r->mtime_ns);
	sqlite3_bind_int(st, 4, r->role);
	sqlite3_bind_text(st, 5, r->data_path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, r->file_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (0);
fail:
	rc = peerdb_fail(db, err, "update");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (rc);
}

/*
 * Run one statement that binds up to two text parameters (NULL: none)
 * and returns no rows, under the lock.  0, or -1 with MT_E_DB.
 */
static int
peerdb_exec(struct peerdb *db, const char *sql, const char *what,
    const char *a, const char *b, struct mt_err *err)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (a != NULL)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (0);
fail:
	rc = peerdb_fail(db, err, what);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (rc);
}

int
peerdb_delete(struct peerdb *db, const char *file_id, struct mt_err *err)
{
	return (peerdb_exec(db, "DELETE FROM torrents WHERE file_id = ?",
	    "delete", file_id, NULL, err));
}

int
peerdb_load(struct peerdb *db, peerdb_row_fn *fn, void *arg,
    struct mt_err *err)
{
	sqlite3_stmt		*st = NULL;
	struct peerdb_row	 r;
	int			 rc;

	/*
	 * Rows are handed out under the lock; fn must not call back into
	 * the database (the engine only builds torrents here).
	 */
	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->db, "SELECT file_id, mtorrent, meta, dir,"
	    " data_path, role, bits, size, mtime_ns FROM torrents", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.file_id = (const char *)sqlite3_column_text(st, 0);
		r.mtorrent = (const char *)sqlite3_column_text(st, 1);
		r.meta = sqlite3_column_blob(st, 2);
		r.metalen = (size_t)sqlite3_column_bytes(st, 2);
		r.dir = (const char *)sqlite3_column_text(st, 3);
		r.data_path = (const char *)sqlite3_column_text(st, 4);
		r.role = sqlite3_column_int(st, 5);
		r.bits = sqlite3_column_blob(st, 6);
		r.bitslen = (size_t)sqlite3_column_bytes(st, 6);
		r.size = (uint64_t)sqlite3_column_int64(st, 7);
		r.mtime_ns = sqlite3_column_int64(st, 8);
		if (r.file_id == NULL || r.mtorrent == NULL ||
		    r.meta == NULL || r.dir == NULL || r.data_path == NULL)
			continue;
		fn(arg, &r);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (0);
fail:
	rc = peerdb_fail(db, err, "load");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (rc);
}

int
peerdb_state_get(struct peerdb *db, const char *key, char *out,
    size_t outlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*v;
	int		 rc = -1;

	pthread_mutex_lock(&db->lock);
	if (sqlite3_prepare_v2(db->db, "SELECT value FROM state WHERE"
	    " key = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW &&
		    (v = (const char *)sqlite3_column_text(st, 0)) != NULL) {
			strlcpy(out, v, outlen);
			rc = 0;
		}
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&db->lock);
	return (rc);
}

int
peerdb_state_set(struct peerdb *db, const char *key, const char *value,
    struct mt_err *err)
{
	return (peerdb_exec(db, "INSERT OR REPLACE INTO state (key, value)"
	    " VALUES (?, ?)", "state", key, value, err));
}
