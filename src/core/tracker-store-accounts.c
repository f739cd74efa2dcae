/*
 * tracker-store-accounts.c: users, sessions, groups and memberships.
 *
 * Users: salted PBKDF2 hashes (password.c); the password never reaches
 * the db, the log or the replication log.  Login answers the same error
 * code and text for an unknown user and a wrong password, and hashes a
 * dummy for an unknown user so that both take the same time.  Failed
 * logins are counted per user name and per client address (in memory,
 * not replicated): after TS_THROTTLE_FREE failures, each further attempt
 * must wait 1 s, 2 s, 4 s ... (at most 1024 s) or is refused with
 * MT_E_BUSY without hashing.
 *
 * Sessions: a token is 32 random bytes in hex, given to the client once;
 * the db keeps only its SHA-256, with the user, the user's incarnation
 * and an expiry.  Sessions replicate, so a client can fail over.
 *
 * Groups: the creator is the owner and first member.  Joining makes a
 * request that the owner accepts.  The owner cannot leave (groups are
 * never deleted, so there are no tombstones to reconcile); a member or
 * requester can.  Memberships are rows (group, group incarnation, user,
 * user incarnation) with a state, last writer wins.
 *
 * Handlers other than create_user and login run with ts->lock held.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "tracker-store-int.h"
#include "xmalloc.h"

static void	 ts_token_hash(const char *, char *);
static int	 ts_user_put(struct tracker_store *, const char *, unsigned,
		     const uint8_t *, const uint8_t *, const struct ts_stamp *,
		     struct mt_err *);
static int	 ts_group_put(struct tracker_store *, const char *,
		     const char *, const char *, const struct ts_stamp *,
		     struct mt_err *);
static int	 ts_member_put(struct tracker_store *, const char *,
		     const char *, const char *, const char *, int,
		     const struct ts_stamp *, struct mt_err *);
static int	 ts_member_local(struct tracker_store *, const struct ts_req *,
		     const char *, const char *, const char *, const char *,
		     int, struct mt_err *);
static int	 ts_session_put(struct tracker_store *, const char *,
		     const char *, const char *, uint64_t, struct mt_err *);
static int	 ts_session_revoke(struct tracker_store *, const char *,
		     uint64_t, struct mt_err *);
static struct ts_throttle *ts_throttle_find(struct ts_throttle *,
		     const char *, int);
static uint64_t	 ts_throttle_wait(struct ts_throttle *, const char *,
		     uint64_t);
static void	 ts_throttle_fail(struct ts_throttle *, const char *,
		     uint64_t);

/* The one answer to a failed login. */
#define TS_LOGIN_FAILED	N_("wrong user name or password")

/* SHA-256 of the token text, as 64 hex digits. */
static void
ts_token_hash(const char *token, char *out)
{
	uint8_t		md[32];
	unsigned int	mdlen = sizeof md;

	if (EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		fatalx("ts_token_hash: EVP_Digest failed");
	ts_hex(md, 32, out);
}

/* ---- lookups ---- */

int
ts_session_check(struct tracker_store *ts, const char *token,
    uint64_t now_ms, struct ts_user *u, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	char			 th[65];
	int			 rc;

	if (strlen(token) != 2 * TS_TOKEN_LEN ||
	    !ts_hex_valid(token, 2 * TS_TOKEN_LEN))
		goto bad;
	ts_token_hash(token, th);
	q = ts_sql(ts, "SELECT s.user, s.user_inc FROM sessions s"
	    " JOIN users u ON u.name = s.user AND u.inc = s.user_inc"
	    " WHERE s.token_hash = ? AND s.revoked = 0 AND s.expires_ms > ?");
	sqlite3_bind_text(q, 1, th, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)now_ms);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(u->name, sizeof u->name, "%s",
		    (const char *)sqlite3_column_text(q, 0));
		snprintf(u->inc, sizeof u->inc, "%s",
		    (const char *)sqlite3_column_text(q, 1));
		sqlite3_reset(q);
		return (0);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
bad:
	return (mt_err_set(err, MT_E_AUTH,
	    _("not logged in, or the session ended; log in again")));
}

int
ts_member_state(struct tracker_store *ts, const char *grp,
    const char *grp_inc, const struct ts_user *u, int *state,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT m.state FROM members m"
	    " JOIN grps g ON g.name = m.grp AND g.inc = m.grp_inc"
	    " WHERE m.grp = ? AND m.grp_inc = ? AND m.user = ?"
	    " AND m.user_inc = ?");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, grp_inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, u->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, u->inc, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	*state = rc == SQLITE_ROW ? sqlite3_column_int(q, 0) : TS_M_NONE;
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	return (0);
}

int
ts_group_inc(struct tracker_store *ts, const char *grp, char *inc,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT inc FROM grps WHERE name = ?");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		snprintf(inc, TS_INC_MAX, "%s",
		    (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	return (mt_err_set(err, MT_E_NOTFOUND, _("no such group")));
}

/* ---- mutations (local and replicated) ---- */

/* Create a user, or replace one created later (first writer wins). */
static int
ts_user_put(struct tracker_store *ts, const char *name, unsigned iter,
    const uint8_t *salt, const uint8_t *hash, const struct ts_stamp *st,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	char			 inc[TS_INC_MAX];
	int			 rc, existed;

	q = ts_sql(ts, "SELECT t_ms, origin FROM users WHERE name = ?");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if ((rc = ts_stamp_wins(ts, q, st, TS_FIRST_WINS, &existed,
	    err)) <= 0)
		return (rc);
	if (existed)
		log_info("tracker store: user %s: the earlier creation by %s "
		    "wins", name, st->origin);
	ts_inc(inc, st->t_ms, st->origin);
	q = ts_sql(ts, "INSERT INTO users (name, inc, iter, salt, hash, t_ms,"
	    " origin) VALUES (?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET inc = excluded.inc,"
	    " iter = excluded.iter, salt = excluded.salt,"
	    " hash = excluded.hash, t_ms = excluded.t_ms,"
	    " origin = excluded.origin");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, (int)iter);
	sqlite3_bind_blob(q, 4, salt, PASSWORD_SALT_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(q, 5, hash, PASSWORD_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 7, st->origin, -1, SQLITE_STATIC);
	return (ts_step_done(ts, q, err));
}

/* Create a group (and its owner's membership); first writer wins. */
static int
ts_group_put(struct tracker_store *ts, const char *name, const char *owner,
    const char *owner_inc, const struct ts_stamp *st, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	char			 inc[TS_INC_MAX];
	int			 rc;

	q = ts_sql(ts, "SELECT t_ms, origin FROM grps WHERE name = ?");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if ((rc = ts_stamp_wins(ts, q, st, TS_FIRST_WINS, NULL, err)) <= 0)
		return (rc);
	ts_inc(inc, st->t_ms, st->origin);
	q = ts_sql(ts, "INSERT INTO grps (name, inc, owner, owner_inc, t_ms,"
	    " origin) VALUES (?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (name) DO UPDATE SET inc = excluded.inc,"
	    " owner = excluded.owner, owner_inc = excluded.owner_inc,"
	    " t_ms = excluded.t_ms, origin = excluded.origin");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, owner_inc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 6, st->origin, -1, SQLITE_STATIC);
	if (ts_step_done(ts, q, err) != 0)
		return (-1);
	/*
	 * The index needs no reload: who may see a group's files is looked
	 * up (joining on the group's current incarnation) at each request.
	 */
	return (ts_member_put(ts, name, inc, owner, owner_inc, TS_M_OWNER, st,
	    err));
}

/* Set a membership state if st is later than the row's (LWW). */
static int
ts_member_put(struct tracker_store *ts, const char *grp, const char *grp_inc,
    const char *user, const char *user_inc, int state,
    const struct ts_stamp *st, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT t_ms, origin FROM members WHERE grp = ?"
	    " AND grp_inc = ? AND user = ? AND user_inc = ?");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, grp_inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, user_inc, -1, SQLITE_STATIC);
	if ((rc = ts_stamp_wins(ts, q, st, TS_LAST_WINS, NULL, err)) <= 0)
		return (rc);
	q = ts_sql(ts, "INSERT INTO members (grp, grp_inc, user, user_inc,"
	    " state, t_ms, origin) VALUES (?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (grp, grp_inc, user, user_inc) DO UPDATE SET"
	    " state = excluded.state, t_ms = excluded.t_ms,"
	    " origin = excluded.origin");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, grp_inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, user_inc, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 5, state);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 7, st->origin, -1, SQLITE_STATIC);
	return (ts_step_done(ts, q, err));
}

/* A local membership change, stamped later than the row, with its event. */
static int
ts_member_local(struct tracker_store *ts, const struct ts_req *r,
    const char *grp, const char *grp_inc, const char *user,
    const char *user_inc, int state, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	struct ts_stamp		 st;
	const char		*args[5];
	char			 s[4];
	uint64_t		 row_t = 0;

	q = ts_sql(ts, "SELECT t_ms FROM members WHERE grp = ?"
	    " AND grp_inc = ? AND user = ? AND user_inc = ?");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, grp_inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, user_inc, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		row_t = (uint64_t)sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	st.t_ms = r->now_ms > row_t ? r->now_ms : row_t + 1;
	st.origin = ts->id;
	if (ts_member_put(ts, grp, grp_inc, user, user_inc, state, &st,
	    err) != 0)
		return (-1);
	snprintf(s, sizeof s, "%d", state);
	args[0] = grp;
	args[1] = grp_inc;
	args[2] = user;
	args[3] = user_inc;
	args[4] = s;
	return (ts_event(ts, st.t_ms, "member", args, 5, err));
}

static int
ts_session_put(struct tracker_store *ts, const char *th, const char *user,
    const char *user_inc, uint64_t expires_ms, struct mt_err *err)
{
	struct sqlite3_stmt	*q;

	/* OR IGNORE: a logout seen first must stay in force. */
	q = ts_sql(ts, "INSERT OR IGNORE INTO sessions (token_hash, user,"
	    " user_inc, expires_ms, revoked) VALUES (?, ?, ?, ?, 0)");
	sqlite3_bind_text(q, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, user_inc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)expires_ms);
	return (ts_step_done(ts, q, err));
}

static int
ts_session_revoke(struct tracker_store *ts, const char *th, uint64_t now_ms,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;

	/* A tombstone outliving any session it could meet later. */
	q = ts_sql(ts, "INSERT INTO sessions (token_hash, user, user_inc,"
	    " expires_ms, revoked) VALUES (?, '', '', ?, 1)"
	    " ON CONFLICT (token_hash) DO UPDATE SET revoked = 1");
	sqlite3_bind_text(q, 1, th, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)(now_ms +
	    2 * TRACKER_STORE_SESSION_TTL_MS));
	return (ts_step_done(ts, q, err));
}

/* ---- login throttle ---- */

static struct ts_throttle *
ts_throttle_find(struct ts_throttle *t, const char *key, int create)
{
	struct ts_throttle	*oldest = &t[0];
	size_t			 i;

	for (i = 0; i < TS_THROTTLE_MAX; i++) {
		if (t[i].key[0] != '\0' && strcmp(t[i].key, key) == 0)
			return (&t[i]);
		if (t[i].last_ms < oldest->last_ms)
			oldest = &t[i];
	}
	if (!create)
		return (NULL);
	/* Full: forget the least recently failed (free slots are 0). */
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	return (oldest);
}

/* Milliseconds key must still wait, or 0. */
static uint64_t
ts_throttle_wait(struct ts_throttle *t, const char *key, uint64_t now_ms)
{
	struct ts_throttle	*e;

	if (key[0] == '\0' || (e = ts_throttle_find(t, key, 0)) == NULL)
		return (0);
	return (e->until_ms > now_ms ? e->until_ms - now_ms : 0);
}

static void
ts_throttle_fail(struct ts_throttle *t, const char *key, uint64_t now_ms)
{
	struct ts_throttle	*e;
	unsigned		 shift;

	if (key[0] == '\0')
		return;
	e = ts_throttle_find(t, key, 1);
	e->fails++;
	e->last_ms = now_ms;
	if (e->fails >= TS_THROTTLE_FREE) {
		shift = e->fails - TS_THROTTLE_FREE;
		if (shift > 10)
			shift = 10;
		e->until_ms = now_ms + (1000ULL << shift);
	}
}

void
ts_throttle_expire(struct tracker_store *ts, uint64_t now_ms)
{
	size_t	i;

	for (i = 0; i < TS_THROTTLE_MAX; i++) {
		if (ts->fail_user[i].key[0] != '\0' &&
		    ts->fail_user[i].last_ms + TS_THROTTLE_FORGET_MS < now_ms)
			memset(&ts->fail_user[i], 0, sizeof ts->fail_user[i]);
		if (ts->fail_addr[i].key[0] != '\0' &&
		    ts->fail_addr[i].last_ms + TS_THROTTLE_FORGET_MS < now_ms)
			memset(&ts->fail_addr[i], 0, sizeof ts->fail_addr[i]);
	}
}

/* ---- create_user and login (take the lock themselves) ---- */

static int
ts_user_exists(struct tracker_store *ts, const char *name)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT 1 FROM users WHERE name = ?");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_reset(q);
	return (rc);
}

int
ts_handle_create_user(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_create_user	*c = &m->create_user;
	struct mt_err			 err;
	struct ts_stamp			 st;
	uint8_t				 salt[PASSWORD_SALT_LEN];
	uint8_t				 hash[PASSWORD_HASH_LEN];
	char				 salt_hex[2 * PASSWORD_SALT_LEN + 1];
	char				 hash_hex[2 * PASSWORD_HASH_LEN + 1];
	char				 iter_s[16];
	const char			*args[4];
	unsigned			 iter;
	size_t				 pwlen = strlen(c->password);
	int				 rc;

	if (!ts_name_valid(c->user)) {
		mt_err_set(&err, MT_E_BADNAME, _("a user name is 1 to 64 "
		    "letters, digits, '.', '_' or '-'"));
		return (ts_reply_error(out, &err));
	}
	if (pwlen == 0 || pwlen > PASSWORD_LEN_MAX) {
		mt_err_set(&err, MT_E_BADVALUE,
		    _("a password is 1 to %d bytes"), PASSWORD_LEN_MAX);
		return (ts_reply_error(out, &err));
	}
	pthread_mutex_lock(&ts->lock);
	rc = ts_user_exists(ts, c->user);
	iter = ts->kdf_iter;
	pthread_mutex_unlock(&ts->lock);
	if (rc) {
		mt_err_set(&err, MT_E_EXISTS, _("this user name is taken"));
		return (ts_reply_error(out, &err));
	}

	if (password_salt(salt, &err) != 0 ||
	    password_gate_enter(&ts->gate, TS_KDF_WAIT_MS, &err) != 0)
		return (ts_reply_error(out, &err));
	rc = password_hash(c->password, pwlen, salt, iter, hash, &err);
	password_gate_leave(&ts->gate);
	if (rc != 0)
		return (ts_reply_error(out, &err));

	ts_hex(salt, sizeof salt, salt_hex);
	ts_hex(hash, sizeof hash, hash_hex);
	snprintf(iter_s, sizeof iter_s, "%u", iter);
	args[0] = c->user;
	args[1] = iter_s;
	args[2] = salt_hex;
	args[3] = hash_hex;
	st.t_ms = r->now_ms;
	pthread_mutex_lock(&ts->lock);
	st.origin = ts->id;
	if (ts_user_exists(ts, c->user)) {
		pthread_mutex_unlock(&ts->lock);
		mt_err_set(&err, MT_E_EXISTS, _("this user name is taken"));
		return (ts_reply_error(out, &err));
	}
	rc = ts_begin(ts, &err);
	if (rc == 0)
		rc = ts_user_put(ts, c->user, iter, salt, hash, &st, &err);
	if (rc == 0)
		rc = ts_event(ts, r->now_ms, "user", args, 4, &err);
	if (rc == 0)
		rc = ts_commit(ts, &err);
	ts_rollback(ts);
	pthread_mutex_unlock(&ts->lock);
	OPENSSL_cleanse(hash, sizeof hash);
	if (rc != 0)
		return (ts_reply_error(out, &err));
	log_info(_("tracker: user %s created"), c->user);
	return (ts_reply_ok(out, ""));
}

int
ts_handle_login(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_login	*l = &m->login;
	struct sqlite3_stmt	*q;
	struct mt_err		 err;
	union message		 reply;
	uint8_t			 salt[PASSWORD_SALT_LEN];
	uint8_t			 want[PASSWORD_HASH_LEN];
	uint8_t			 raw[TS_TOKEN_LEN];
	char			 token[2 * TS_TOKEN_LEN + 1], th[65];
	char			 inc[TS_INC_MAX], exp_s[24];
	const char		*args[4];
	uint64_t		 wait_ms, w;
	unsigned		 iter;
	size_t			 pwlen = strlen(l->password);
	int			 exists, match, rc;

	if (!ts_name_valid(l->user)) {
		mt_err_set(&err, MT_E_BADNAME, _("a user name is 1 to 64 "
		    "letters, digits, '.', '_' or '-'"));
		return (ts_reply_error(out, &err));
	}
	if (pwlen > PASSWORD_LEN_MAX) {
		mt_err_set(&err, MT_E_BADVALUE,
		    _("a password is 1 to %d bytes"), PASSWORD_LEN_MAX);
		return (ts_reply_error(out, &err));
	}

	pthread_mutex_lock(&ts->lock);
	wait_ms = ts_throttle_wait(ts->fail_user, l->user, r->now_ms);
	w = ts_throttle_wait(ts->fail_addr, r->client_ip, r->now_ms);
	if (w > wait_ms)
		wait_ms = w;
	if (wait_ms > 0) {
		pthread_mutex_unlock(&ts->lock);
		mt_err_set(&err, MT_E_BUSY, _("too many failed logins; try "
		    "again in %" PRIu64 " s"), (wait_ms + 999) / 1000);
		return (ts_reply_error(out, &err));
	}
	q = ts_sql(ts, "SELECT iter, salt, hash, inc FROM users"
	    " WHERE name = ?");
	sqlite3_bind_text(q, 1, l->user, -1, SQLITE_STATIC);
	exists = sqlite3_step(q) == SQLITE_ROW &&
	    sqlite3_column_bytes(q, 1) == PASSWORD_SALT_LEN &&
	    sqlite3_column_bytes(q, 2) == PASSWORD_HASH_LEN;
	if (exists) {
		iter = (unsigned)sqlite3_column_int(q, 0);
		memcpy(salt, sqlite3_column_blob(q, 1), sizeof salt);
		memcpy(want, sqlite3_column_blob(q, 2), sizeof want);
		snprintf(inc, sizeof inc, "%s",
		    (const char *)sqlite3_column_text(q, 3));
	} else {
		/* Same work for a user that does not exist. */
		iter = ts->kdf_iter;
		memcpy(salt, ts->dummy_salt, sizeof salt);
		memset(want, 0, sizeof want);
		inc[0] = '\0';
	}
	sqlite3_reset(q);
	pthread_mutex_unlock(&ts->lock);

	if (password_gate_enter(&ts->gate, TS_KDF_WAIT_MS, &err) != 0)
		return (ts_reply_error(out, &err));
	match = password_verify(l->password, pwlen, salt, iter, want, &err);
	password_gate_leave(&ts->gate);
	if (match < 0)
		return (ts_reply_error(out, &err));
	match = match == 1 && exists;

	pthread_mutex_lock(&ts->lock);
	if (!match) {
		ts_throttle_fail(ts->fail_user, l->user, r->now_ms);
		ts_throttle_fail(ts->fail_addr, r->client_ip, r->now_ms);
		pthread_mutex_unlock(&ts->lock);
		log_info(_("tracker: failed login for %s from %s"), l->user,
		    r->client_ip[0] ? r->client_ip : "?");
		mt_err_set(&err, MT_E_AUTH, "%s", _(TS_LOGIN_FAILED));
		return (ts_reply_error(out, &err));
	}
	{
		struct ts_throttle *e = ts_throttle_find(ts->fail_user,
		    l->user, 0);
		if (e != NULL)
			memset(e, 0, sizeof *e);
	}
	if (RAND_bytes(raw, sizeof raw) != 1) {
		pthread_mutex_unlock(&ts->lock);
		mt_err_set(&err, MT_E_INTERNAL, _("cannot get random bytes"));
		return (ts_reply_error(out, &err));
	}
	ts_hex(raw, sizeof raw, token);
	OPENSSL_cleanse(raw, sizeof raw);
	ts_token_hash(token, th);
	snprintf(exp_s, sizeof exp_s, "%" PRIu64,
	    (uint64_t)(r->now_ms + TRACKER_STORE_SESSION_TTL_MS));
	args[0] = th;
	args[1] = l->user;
	args[2] = inc;
	args[3] = exp_s;
	rc = ts_begin(ts, &err);
	if (rc == 0)
		rc = ts_session_put(ts, th, l->user, inc,
		    r->now_ms + TRACKER_STORE_SESSION_TTL_MS, &err);
	if (rc == 0)
		rc = ts_event(ts, r->now_ms, "session", args, 4, &err);
	if (rc == 0)
		rc = ts_commit(ts, &err);
	ts_rollback(ts);
	pthread_mutex_unlock(&ts->lock);
	if (rc != 0)
		return (ts_reply_error(out, &err));
	log_info(_("tracker: %s logged in from %s"), l->user,
	    r->client_ip[0] ? r->client_ip : "?");
	memset(&reply, 0, sizeof reply);
	reply.type = MSG_login_reply;
	reply.login_reply.token = token;
	rc = message_encode(&reply, out, NULL);
	OPENSSL_cleanse(token, sizeof token);
	return (rc);
}

/* ---- the other account requests (ts->lock held) ---- */

static int
ts_list_groups(struct tracker_store *ts, struct buf *out)
{
	struct sqlite3_stmt	*q;
	char			**items = NULL;
	size_t			 n = 0, cap = 0, i;
	int			 rc;

	q = ts_sql(ts, "SELECT g.name, g.owner, (SELECT count(*)"
	    " FROM members m JOIN users u ON u.name = m.user"
	    " AND u.inc = m.user_inc WHERE m.grp = g.name"
	    " AND m.grp_inc = g.inc AND m.state >= 2)"
	    " FROM grps g ORDER BY g.name");
	while (n < MSG_LIST_MAX && sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			items = xreallocarray(items, cap, sizeof *items);
		}
		xasprintf(&items[n++], "%s %s %" PRId64,
		    (const char *)sqlite3_column_text(q, 0),
		    (const char *)sqlite3_column_text(q, 1),
		    (int64_t)sqlite3_column_int64(q, 2));
	}
	sqlite3_reset(q);
	rc = ts_reply_list(out, items, n);
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return (rc);
}

static int
ts_list_requests(struct tracker_store *ts, const char *grp, const char *inc,
    struct buf *out)
{
	struct sqlite3_stmt	*q;
	char			**items = NULL;
	size_t			 n = 0, cap = 0, i;
	int			 rc;

	q = ts_sql(ts, "SELECT m.user FROM members m JOIN users u"
	    " ON u.name = m.user AND u.inc = m.user_inc"
	    " WHERE m.grp = ? AND m.grp_inc = ? AND m.state = 1"
	    " ORDER BY m.user");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_STATIC);
	while (n < MSG_LIST_MAX && sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			items = xreallocarray(items, cap, sizeof *items);
		}
		items[n++] = xstrdup((const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_reset(q);
	rc = ts_reply_list(out, items, n);
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return (rc);
}

/* Find the valid incarnation of user's pending request to join grp. */
static int
ts_pending(struct tracker_store *ts, const char *grp, const char *inc,
    const char *user, char *user_inc)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT m.user_inc FROM members m JOIN users u"
	    " ON u.name = m.user AND u.inc = m.user_inc"
	    " WHERE m.grp = ? AND m.grp_inc = ? AND m.user = ?"
	    " AND m.state = 1");
	sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, user, -1, SQLITE_STATIC);
	rc = sqlite3_step(q) == SQLITE_ROW;
	if (rc)
		snprintf(user_inc, TS_INC_MAX, "%s",
		    (const char *)sqlite3_column_text(q, 0));
	sqlite3_reset(q);
	return (rc);
}

int
ts_handle_account(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	struct ts_user	 u;
	struct ts_stamp	 st;
	struct mt_err	 err;
	const char	*token, *grp = NULL, *args[3];
	char		 inc[TS_INC_MAX], uinc[TS_INC_MAX], th[65];
	int		 state = TS_M_NONE;

	switch (m->type) {
	case MSG_logout:
		token = m->logout.token;
		break;
	case MSG_create_group:
		token = m->create_group.token;
		grp = m->create_group.group;
		break;
	case MSG_join_group:
		token = m->join_group.token;
		grp = m->join_group.group;
		break;
	case MSG_leave_group:
		token = m->leave_group.token;
		grp = m->leave_group.group;
		break;
	case MSG_list_requests:
		token = m->list_requests.token;
		grp = m->list_requests.group;
		break;
	case MSG_accept_request:
		token = m->accept_request.token;
		grp = m->accept_request.group;
		break;
	case MSG_list_groups:
		token = m->list_groups.token;
		break;
	default:
		mt_err_set(&err, MT_E_BADTYPE, _("not an account request"));
		return (ts_reply_error(out, &err));
	}
	if (ts_session_check(ts, token, r->now_ms, &u, &err) != 0)
		return (ts_reply_error(out, &err));
	if (grp != NULL && !ts_name_valid(grp)) {
		mt_err_set(&err, MT_E_BADNAME, _("a group name is 1 to 64 "
		    "letters, digits, '.', '_' or '-'"));
		return (ts_reply_error(out, &err));
	}
	if (grp != NULL && m->type != MSG_create_group &&
	    (ts_group_inc(ts, grp, inc, &err) != 0 ||
	    ts_member_state(ts, grp, inc, &u, &state, &err) != 0))
		return (ts_reply_error(out, &err));

	switch (m->type) {
	case MSG_logout:
		ts_token_hash(token, th);
		args[0] = th;
		if (ts_begin(ts, &err) != 0 ||
		    ts_session_revoke(ts, th, r->now_ms, &err) != 0 ||
		    ts_event(ts, r->now_ms, "logout", args, 1, &err) != 0 ||
		    ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		log_info(_("tracker: %s logged out"), u.name);
		return (ts_reply_ok(out, ""));
	case MSG_create_group:
		if (ts_group_inc(ts, grp, inc, &err) == 0) {
			mt_err_set(&err, MT_E_EXISTS,
			    _("this group name is taken"));
			return (ts_reply_error(out, &err));
		}
		if (err.code != MT_E_NOTFOUND)
			return (ts_reply_error(out, &err));
		st.t_ms = r->now_ms;
		st.origin = ts->id;
		args[0] = grp;
		args[1] = u.name;
		args[2] = u.inc;
		if (ts_begin(ts, &err) != 0 ||
		    ts_group_put(ts, grp, u.name, u.inc, &st, &err) != 0 ||
		    ts_event(ts, r->now_ms, "group", args, 3, &err) != 0 ||
		    ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		log_info(_("tracker: group %s created by %s"), grp, u.name);
		return (ts_reply_ok(out, ""));
	case MSG_join_group:
		if (state == TS_M_OWNER)
			mt_err_set(&err, MT_E_EXISTS,
			    _("you own this group"));
		else if (state == TS_M_MEMBER)
			mt_err_set(&err, MT_E_EXISTS,
			    _("you are already a member"));
		else if (state == TS_M_REQUESTED)
			mt_err_set(&err, MT_E_EXISTS,
			    _("your request is already pending"));
		if (state != TS_M_NONE)
			return (ts_reply_error(out, &err));
		if (ts_begin(ts, &err) != 0 ||
		    ts_member_local(ts, r, grp, inc, u.name, u.inc,
		    TS_M_REQUESTED, &err) != 0 || ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		return (ts_reply_ok(out, ""));
	case MSG_leave_group:
		if (state == TS_M_OWNER) {
			mt_err_set(&err, MT_E_DENIED,
			    _("the owner cannot leave the group"));
			return (ts_reply_error(out, &err));
		}
		if (state == TS_M_NONE) {
			mt_err_set(&err, MT_E_NOTFOUND,
			    _("you are not a member of this group"));
			return (ts_reply_error(out, &err));
		}
		if (ts_begin(ts, &err) != 0 ||
		    ts_member_local(ts, r, grp, inc, u.name, u.inc,
		    TS_M_NONE, &err) != 0 || ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		return (ts_reply_ok(out, ""));
	case MSG_list_requests:
	case MSG_accept_request:
		if (state != TS_M_OWNER) {
			mt_err_set(&err, MT_E_DENIED,
			    _("only the group's owner may do this"));
			return (ts_reply_error(out, &err));
		}
		if (m->type == MSG_list_requests)
			return (ts_list_requests(ts, grp, inc, out));
		if (!ts_name_valid(m->accept_request.user) ||
		    !ts_pending(ts, grp, inc, m->accept_request.user, uinc)) {
			mt_err_set(&err, MT_E_NOTFOUND,
			    _("no pending request from this user"));
			return (ts_reply_error(out, &err));
		}
		if (ts_begin(ts, &err) != 0 ||
		    ts_member_local(ts, r, grp, inc, m->accept_request.user,
		    uinc, TS_M_MEMBER, &err) != 0 || ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		return (ts_reply_ok(out, ""));
	case MSG_list_groups:
		return (ts_list_groups(ts, out));
	default:
		break;
	}
	mt_err_set(&err, MT_E_INTERNAL, "unreachable");
	return (ts_reply_error(out, &err));
}

/* ---- replicated account events ---- */

static int
ts_dec(const struct wire_arg *a, uint64_t max, uint64_t *v)
{
	char	*end;

	if (a->len == 0 || a->len > 20 || a->p[0] < '0' || a->p[0] > '9')
		return (-1);
	*v = strtoull(a->p, &end, 10);
	return (*end != '\0' || *v > max ? -1 : 0);
}

int
ts_apply_account(struct tracker_store *ts, const char *op,
    const struct ts_stamp *st, const struct msg_list *a, struct mt_err *err)
{
	const struct wire_arg	*v = a->v;
	uint8_t			 salt[PASSWORD_SALT_LEN];
	uint8_t			 hash[PASSWORD_HASH_LEN];
	uint64_t		 x;

	if (strcmp(op, "user") == 0) {
		if (a->n != 4 || !ts_name_valid(v[0].p) ||
		    ts_dec(&v[1], PASSWORD_ITER_MAX, &x) != 0 ||
		    x < PASSWORD_ITER_MIN ||
		    v[2].len != 2 * PASSWORD_SALT_LEN ||
		    v[3].len != 2 * PASSWORD_HASH_LEN ||
		    ts_unhex(v[2].p, PASSWORD_SALT_LEN, salt) != 0 ||
		    ts_unhex(v[3].p, PASSWORD_HASH_LEN, hash) != 0)
			goto bad;
		return (ts_user_put(ts, v[0].p, (unsigned)x, salt, hash, st,
		    err));
	}
	if (strcmp(op, "session") == 0) {
		if (a->n != 4 || v[0].len != 64 || !ts_hex_valid(v[0].p, 64) ||
		    !ts_name_valid(v[1].p) || v[2].len >= TS_INC_MAX ||
		    ts_dec(&v[3], INT64_MAX, &x) != 0)
			goto bad;
		return (ts_session_put(ts, v[0].p, v[1].p, v[2].p, x, err));
	}
	if (strcmp(op, "logout") == 0) {
		if (a->n != 1 || v[0].len != 64 || !ts_hex_valid(v[0].p, 64))
			goto bad;
		return (ts_session_revoke(ts, v[0].p, ts_realtime_ms(), err));
	}
	if (strcmp(op, "group") == 0) {
		if (a->n != 3 || !ts_name_valid(v[0].p) ||
		    !ts_name_valid(v[1].p) || v[2].len >= TS_INC_MAX)
			goto bad;
		return (ts_group_put(ts, v[0].p, v[1].p, v[2].p, st, err));
	}
	if (strcmp(op, "member") == 0) {
		if (a->n != 5 || !ts_name_valid(v[0].p) ||
		    v[1].len >= TS_INC_MAX || !ts_name_valid(v[2].p) ||
		    v[3].len >= TS_INC_MAX ||
		    ts_dec(&v[4], TS_M_OWNER, &x) != 0)
			goto bad;
		return (ts_member_put(ts, v[0].p, v[1].p, v[2].p, v[3].p,
		    (int)x, st, err));
	}
bad:
	return (mt_err_set(err, MT_E_BADARGS, _("malformed %s event"), op));
}
