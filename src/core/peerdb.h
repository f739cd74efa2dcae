/*
 * peerdb.h: the peer's persistent state (SQLite, WAL, STATE_DIR/peer.db).
 *
 * One row per torrent: file id, .mtorrent path, metainfo text (so a
 * download started from the tracker resumes without its .mtorrent), the
 * destination directory and data path, role, the verified-piece bitfield
 * and the data file's size and mtime when the bitfield was written.  A
 * state table holds the clean-shutdown flag and the node id.
 *
 * Thread-safe (one internal mutex); each call is one short transaction.
 */
#ifndef MT_PEERDB_H
#define MT_PEERDB_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;

#define PEERDB_ROLE_DOWNLOAD	0
#define PEERDB_ROLE_SEED	1

struct peerdb_row {
	const char	*file_id;	/* 40 hex */
	const char	*mtorrent;	/* .mtorrent path or "" */
	const char	*meta;		/* metainfo text */
	size_t		 metalen;
	const char	*dir;		/* destination dir, "" for a share */
	const char	*data_path;	/* final data path */
	int		 role;		/* PEERDB_ROLE_* */
	const uint8_t	*bits;		/* verified pieces, MSB first */
	size_t		 bitslen;
	uint64_t	 size;		/* data file at the last flush */
	int64_t		 mtime_ns;
};

struct peerdb;

/*
 * Open or create STATE_DIR/peer.db (state_dir created 0700 if missing).
 * *was_clean is 1 if the last run ended with peerdb_close(db, 1) (or the
 * database is new), 0 after a crash; the flag is then cleared until the
 * next clean close.  NULL with MT_E_DB / MT_E_IO.
 */
struct peerdb	*peerdb_open(const char *state_dir, int *was_clean,
		     struct mt_err *err);
/* Close; clean = 1 records a clean shutdown.  NULL ok. */
void		 peerdb_close(struct peerdb *db, int clean);

/* Insert or replace a whole row. */
int		 peerdb_put(struct peerdb *db, const struct peerdb_row *r,
		     struct mt_err *err);
/* Update the bitfield, size, mtime, role and data path of file_id. */
int		 peerdb_update(struct peerdb *db, const struct peerdb_row *r,
		     struct mt_err *err);
int		 peerdb_delete(struct peerdb *db, const char *file_id,
		     struct mt_err *err);

/* Called once per row; the row's pointers are valid during the call. */
typedef void peerdb_row_fn(void *arg, const struct peerdb_row *r);
int		 peerdb_load(struct peerdb *db, peerdb_row_fn *fn, void *arg,
		     struct mt_err *err);

/* Key/value state ("node_id"); get copies into out, -1 if absent. */
int		 peerdb_state_get(struct peerdb *db, const char *key,
		     char *out, size_t outlen);
int		 peerdb_state_set(struct peerdb *db, const char *key,
		     const char *value, struct mt_err *err);

#endif /* MT_PEERDB_H */
