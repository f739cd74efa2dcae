/*
 * tracker-store-int.h: what the tracker-store*.c files share; not for
 * other modules.  See tracker-store.c for the design and doc/tracker.md
 * for the rules.
 */
#ifndef MT_TRACKER_STORE_INT_H
#define MT_TRACKER_STORE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "password.h"
#include "tracker-store.h"

struct buf;
struct msg_list;
struct mt_err;
union message;
struct sqlite3;
struct sqlite3_stmt;

#define TS_SCHEMA_VERSION	2	/* 2: files.unit_size, files.chain */
#define TS_ID_LEN		32		/* hex chars of a tracker id */
#define TS_ORIGIN_MAX		64		/* accepted from partners */
#define TS_NAME_MAX		64		/* user and group names */
#define TS_INC_MAX		(20 + 1 + TS_ORIGIN_MAX + 1)
#define TS_ADDR_MAX		262		/* HOST:PORT */
#define TS_FILE_NAME_MAX	255
#define TS_FILE_PIECES_MAX	13000		/* fits one sync_event */
#define TS_HEX_CHUNK_PIECES	102		/* 4080 hex chars per item */
#define TS_TOKEN_LEN		32		/* random bytes */
#define TS_RENEW_EVENT_MS	(TRACKER_STORE_SEEDER_TTL_MS / 4)
#define TS_STMT_MAX		96
#define TS_THROTTLE_MAX		4096		/* entries per table */
#define TS_THROTTLE_FREE	5		/* failures before delays */
#define TS_THROTTLE_FORGET_MS	(15 * 60 * 1000)
#define TS_KDF_WAIT_MS		10000
#define TS_LIST_BYTES_MAX	(400 * 1024)	/* text in one list_reply */

/* Membership states (members.state). */
#define TS_M_NONE		0
#define TS_M_REQUESTED		1
#define TS_M_MEMBER		2
#define TS_M_OWNER		3

/* When and where an entity was written: the LWW stamp. */
struct ts_stamp {
	uint64_t	 t_ms;
	const char	*origin;
};

struct ts_seeder {
	char		 addr[TS_ADDR_MAX + 1];
	uint64_t	 last_seen;	/* may be ahead of the db: dirty */
	uint64_t	 t_ms;		/* the row's LWW stamp time */
	uint64_t	 since;		/* its stamp when it came in:
					   renewals keep it */
	int		 dirty;		/* last_seen not yet in the db */
};

/* One file of the in-memory seeders index. */
struct ts_file {
	struct ts_file		*next;		/* hash chain */
	char			 id[41];
	char			 grp[TS_NAME_MAX + 1];
	char			 grp_inc[TS_INC_MAX];
	struct ts_seeder	*v;		/* live seeders */
	size_t			 n;
	size_t			 cap;
	uint32_t		 rot;		/* rotating start of replies */
};

/* A seeder change made in the open transaction, for the index. */
struct ts_pend {
	char		 id[41];
	char		 addr[TS_ADDR_MAX + 1];
	int		 live;
	uint64_t	 last_seen;
	uint64_t	 t_ms;
};

struct ts_throttle {
	char		 key[TS_ADDR_MAX + 1];
	unsigned	 fails;
	uint64_t	 until_ms;
	uint64_t	 last_ms;
};

/* A caller once its token is checked. */
struct ts_user {
	char	 name[TS_NAME_MAX + 1];
	char	 inc[TS_INC_MAX];
};

/* The context of one request. */
struct ts_req {
	const char	*client_ip;	/* "" if unknown */
	uint64_t	 now_ms;
};

struct ts_cached_stmt {
	const char		*sql;	/* identity: the literal's address */
	struct sqlite3_stmt	*stmt;
};

struct tracker_store {
	pthread_mutex_t		 lock;		/* everything below */
	pthread_cond_t		 changed;	/* gen moved; MONOTONIC */
	struct sqlite3		*db;
	char			 id[TS_ID_LEN + 1];
	uint64_t		 seq;		/* last committed own event */
	uint64_t		 seq_pending;	/* inside a transaction */
	uint64_t		 gen;
	int			 in_txn;
	unsigned		 kdf_iter;	/* for new hashes */

	struct ts_cached_stmt	 stmts[TS_STMT_MAX];
	size_t			 nstmts;

	struct ts_file		**buckets;
	size_t			 nbuckets;
	size_t			 nfiles;
	char			(*touched)[41];	/* files to reload */
	size_t			 ntouched;
	size_t			 touched_cap;
	int			 touched_all;
	struct ts_pend		*pend;		/* seeder changes to apply */
	size_t			 npend;
	size_t			 pend_cap;

	struct ts_throttle	*fail_user;	/* TS_THROTTLE_MAX each */
	struct ts_throttle	*fail_addr;

	uint8_t			 dummy_salt[PASSWORD_SALT_LEN];
	struct password_gate	 gate;		/* own lock; not ts->lock */
};

/* tracker-store.c: database helpers. */
struct sqlite3_stmt *ts_sql(struct tracker_store *ts, const char *sql);
int		 ts_step_done(struct tracker_store *ts,
		     struct sqlite3_stmt *st, struct mt_err *err);
int		 ts_db_error(struct tracker_store *ts, struct mt_err *err);
int		 ts_begin(struct tracker_store *ts, struct mt_err *err);
int		 ts_commit(struct tracker_store *ts, struct mt_err *err);
void		 ts_rollback(struct tracker_store *ts);
int		 ts_event(struct tracker_store *ts, uint64_t now_ms,
		     const char *op, const char *const *args, size_t nargs,
		     struct mt_err *err);
void		 ts_inc(char *inc, uint64_t t_ms, const char *origin);
int		 ts_stamp_less(uint64_t t1, const char *o1, uint64_t t2,
		     const char *o2);
/*
 * Step q, a prepared "SELECT t_ms, origin ..." with its keys bound, and
 * say whether a write stamped st goes ahead: TS_FIRST_WINS (entities:
 * users, groups, files) only if no row exists or st is earlier;
 * TS_LAST_WINS (memberships, seeders) only if none exists or st is
 * later.  Returns 1 (write it; *existed, if not NULL, says whether a
 * row was there), 0 (keep the row), or -1 with MT_E_DB.  Resets q.
 */
#define TS_FIRST_WINS	1
#define TS_LAST_WINS	2
int		 ts_stamp_wins(struct tracker_store *ts,
		     struct sqlite3_stmt *q, const struct ts_stamp *st,
		     int rule, int *existed, struct mt_err *err);
void		 ts_touch(struct tracker_store *ts, const char *file_id);
void		 ts_pend_seeder(struct tracker_store *ts, const char *id,
		     const char *addr, int live, uint64_t last_seen,
		     uint64_t t_ms);
uint64_t	 ts_realtime_ms(void);

/* tracker-store.c: replies (each returns 0, or -1 if out overflowed). */
int		 ts_reply_ok(struct buf *out, const char *text);
int		 ts_reply_error(struct buf *out, const struct mt_err *err);
int		 ts_reply_list(struct buf *out, char **items, size_t n);

/* Validation shared by the handlers. */
int		 ts_name_valid(const char *s);
int		 ts_hex_valid(const char *s, size_t n);
void		 ts_hex(const uint8_t *p, size_t n, char *out);
int		 ts_unhex(const char *s, size_t n, uint8_t *out);

/* tracker-store-files.c: files, seeders and the index. */
int		 ts_index_load(struct tracker_store *ts, struct mt_err *err);
void		 ts_index_reload(struct tracker_store *ts, const char *id);
void		 ts_index_seeder(struct tracker_store *ts,
		     const struct ts_pend *p);
int		 ts_index_flush(struct tracker_store *ts, struct ts_file *f,
		     struct mt_err *err);
void		 ts_index_free(struct tracker_store *ts);
void		 ts_index_expire(struct tracker_store *ts, uint64_t now_ms);
int		 ts_file_put(struct tracker_store *ts, const char *id,
		     const char *name, uint64_t size, uint64_t piece_size,
		     const uint8_t *pieces, size_t pieces_len,
		     const char *grp, const char *grp_inc,
		     const struct ts_stamp *st, struct mt_err *err);
int		 ts_seeder_put(struct tracker_store *ts, const char *id,
		     const char *addr, int live, uint64_t last_seen,
		     const struct ts_stamp *st, struct mt_err *err);
int		 ts_handle_share(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_seeder(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_seeders(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_announce(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_bye(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_metainfo(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_list_files(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_stop_share(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_apply_file(struct tracker_store *ts,
		     const struct ts_stamp *st, const struct msg_list *a,
		     struct mt_err *err);
int		 ts_apply_units(struct tracker_store *ts,
		     const struct ts_stamp *st, const struct msg_list *a,
		     struct mt_err *err);
int		 ts_apply_seeder(struct tracker_store *ts,
		     const struct ts_stamp *st, const struct msg_list *a,
		     struct mt_err *err);

/* tracker-store-accounts.c: users, sessions, groups, memberships. */
int		 ts_session_check(struct tracker_store *ts, const char *token,
		     uint64_t now_ms, struct ts_user *u, struct mt_err *err);
int		 ts_member_state(struct tracker_store *ts, const char *grp,
		     const char *grp_inc, const struct ts_user *u, int *state,
		     struct mt_err *err);
int		 ts_group_inc(struct tracker_store *ts, const char *grp,
		     char *inc, struct mt_err *err);
int		 ts_handle_create_user(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_login(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_handle_account(struct tracker_store *ts,
		     const union message *m, const struct ts_req *r,
		     struct buf *out);
int		 ts_apply_account(struct tracker_store *ts, const char *op,
		     const struct ts_stamp *st, const struct msg_list *a,
		     struct mt_err *err);
void		 ts_throttle_expire(struct tracker_store *ts,
		     uint64_t now_ms);

#endif /* MT_TRACKER_STORE_INT_H */
