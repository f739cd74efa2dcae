/*
 * tracker-store-files.c: files, seeders and the in-memory seeders index.
 *
 * The index is a chained hash table file_id -> (group, live seeders).
 * It is only a cache of the files and seeders tables: the seeder
 * changes of a transaction are applied to it after the commit (a file
 * whose metadata changed is reloaded whole), so it never holds what was
 * rolled back.  `seeders` reads it without touching SQLite for
 * public files; group files add a session and a membership lookup.
 *
 * Access: a file with group "" is public.  Any file the caller may not
 * see (unknown, or in a group the caller is not a member of) gets one
 * and the same MT_E_DENIED answer, so its existence does not leak; a
 * token that is given but not valid gets MT_E_AUTH.
 *
 * Seeder addresses: the tracker keeps the observed client address with
 * the announced port, unless the client is on loopback (then the
 * announced HOST:PORT is kept, so an embedded tracker works, but it must
 * be a loopback address), so nobody can list or remove a third party's
 * address; ports below 1024 are refused.
 *
 * Called with ts->lock held (tracker-store.c takes it).
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "metainfo.h"
#include "strhash.h"
#include "tracker-store-int.h"
#include "xmalloc.h"

static size_t	 ts_bucket(const struct tracker_store *, const char *);
static struct ts_file *ts_index_find(struct tracker_store *, const char *);
static struct ts_file *ts_index_add(struct tracker_store *, const char *);
static void	 ts_index_remove(struct tracker_store *, const char *);
static void	 ts_file_free(struct ts_file *);
static int	 ts_deny(struct mt_err *);
static int	 ts_access(struct tracker_store *, const struct ts_req *,
		     const char *, int, const char *, const char *,
		     struct mt_err *);
static int	 ts_addr(const struct ts_req *, const char *, char *,
		     struct mt_err *);
static int	 ts_seeder_local(struct tracker_store *, const struct ts_req *,
		     const char *, const char *, int, int *, struct mt_err *);
static int	 ts_file_name_valid(const char *);
static int	 ts_renew_fast(struct tracker_store *, const struct ts_req *,
		     const char *, const char *);
static size_t	 ts_live_count(const struct ts_file *, uint64_t);

/* ---- the index ---- */

static size_t
ts_bucket(const struct tracker_store *ts, const char *id)
{
	return ((size_t)str_hash(id) & (ts->nbuckets - 1));
}

static struct ts_file *
ts_index_find(struct tracker_store *ts, const char *id)
{
	struct ts_file	*f;

	if (ts->nbuckets == 0)
		return (NULL);
	for (f = ts->buckets[ts_bucket(ts, id)]; f != NULL; f = f->next) {
		if (strcmp(f->id, id) == 0)
			return (f);
	}
	return (NULL);
}

static void
ts_index_grow(struct tracker_store *ts)
{
	struct ts_file	**old = ts->buckets, *f, *next;
	size_t		  oldn = ts->nbuckets, i, b;

	ts->nbuckets = oldn ? oldn * 2 : 1024;
	ts->buckets = xcalloc(ts->nbuckets, sizeof *ts->buckets);
	for (i = 0; i < oldn; i++) {
		for (f = old[i]; f != NULL; f = next) {
			next = f->next;
			b = ts_bucket(ts, f->id);
			f->next = ts->buckets[b];
			ts->buckets[b] = f;
		}
	}
	free(old);
}

static struct ts_file *
ts_index_add(struct tracker_store *ts, const char *id)
{
	struct ts_file	*f;
	size_t		 b;

	if ((f = ts_index_find(ts, id)) != NULL)
		return (f);
	if (ts->nfiles >= ts->nbuckets)
		ts_index_grow(ts);
	f = xcalloc(1, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	b = ts_bucket(ts, id);
	f->next = ts->buckets[b];
	ts->buckets[b] = f;
	ts->nfiles++;
	return (f);
}

static void
ts_file_free(struct ts_file *f)
{
	free(f->v);
	free(f);
}

static void
ts_index_remove(struct tracker_store *ts, const char *id)
{
	struct ts_file	**fp, *f;

	if (ts->nbuckets == 0)
		return;
	for (fp = &ts->buckets[ts_bucket(ts, id)]; *fp != NULL;
	    fp = &(*fp)->next) {
		if (strcmp((*fp)->id, id) == 0) {
			f = *fp;
			*fp = f->next;
			ts_file_free(f);
			ts->nfiles--;
			return;
		}
	}
}

static void
ts_file_push(struct ts_file *f, const char *addr, uint64_t last_seen,
    uint64_t t_ms)
{
	struct ts_seeder	*e;

	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->v = xreallocarray(f->v, f->cap, sizeof *f->v);
	}
	e = &f->v[f->n++];
	snprintf(e->addr, sizeof e->addr, "%s", addr);
	e->last_seen = last_seen;
	e->t_ms = t_ms;
	e->since = t_ms;
	e->dirty = 0;
}

static struct ts_seeder *
ts_file_seeder(struct ts_file *f, const char *addr)
{
	size_t	i;

	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].addr, addr) == 0)
			return (&f->v[i]);
	}
	return (NULL);
}

int
ts_index_load(struct tracker_store *ts, struct mt_err *err)
{
	struct sqlite3_stmt	*st;
	struct ts_file		*f;
	int			 rc;

	if (ts->nbuckets == 0)
		ts_index_grow(ts);
	st = ts_sql(ts, "SELECT file_id, grp, grp_inc FROM files");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = ts_index_add(ts, (const char *)sqlite3_column_text(st, 0));
		snprintf(f->grp, sizeof f->grp, "%s",
		    (const char *)sqlite3_column_text(st, 1));
		snprintf(f->grp_inc, sizeof f->grp_inc, "%s",
		    (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	st = ts_sql(ts, "SELECT file_id, addr, last_seen, t_ms FROM seeders"
	    " WHERE live = 1");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f = ts_index_find(ts, (const char *)sqlite3_column_text(st, 0));
		if (f != NULL)
			ts_file_push(f,
			    (const char *)sqlite3_column_text(st, 1),
			    (uint64_t)sqlite3_column_int64(st, 2),
			    (uint64_t)sqlite3_column_int64(st, 3));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return (ts_db_error(ts, err));
	return (0);
}

/* Make the index entry of file id match the db. */
void
ts_index_reload(struct tracker_store *ts, const char *id)
{
	struct sqlite3_stmt	*st;
	struct ts_file		*f;

	/* Keep renewals made in memory (we are outside a transaction). */
	if ((f = ts_index_find(ts, id)) != NULL &&
	    ts_index_flush(ts, f, NULL) != 0)
		log_warn("tracker store: renewals of %s lost", id);
	st = ts_sql(ts, "SELECT grp, grp_inc FROM files WHERE file_id = ?");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		ts_index_remove(ts, id);
		return;
	}
	f = ts_index_add(ts, id);
	snprintf(f->grp, sizeof f->grp, "%s",
	    (const char *)sqlite3_column_text(st, 0));
	snprintf(f->grp_inc, sizeof f->grp_inc, "%s",
	    (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	f->n = 0;
	st = ts_sql(ts, "SELECT addr, last_seen, t_ms FROM seeders"
	    " WHERE file_id = ? AND live = 1");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW)
		ts_file_push(f, (const char *)sqlite3_column_text(st, 0),
		    (uint64_t)sqlite3_column_int64(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
}

/* Apply one committed seeder change to the index. */
void
ts_index_seeder(struct tracker_store *ts, const struct ts_pend *p)
{
	struct ts_file	*f;
	size_t		 i;

	/* Seeders of a file not known yet are loaded with the file. */
	if ((f = ts_index_find(ts, p->id)) == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		if (strcmp(f->v[i].addr, p->addr) == 0)
			break;
	}
	if (p->live) {
		if (i == f->n)
			ts_file_push(f, p->addr, p->last_seen, p->t_ms);
		else {
			if (p->last_seen > f->v[i].last_seen)
				f->v[i].last_seen = p->last_seen;
			f->v[i].t_ms = p->t_ms;
		}
	} else if (i < f->n)
		f->v[i] = f->v[--f->n];
}

/* Write one entry's in-memory last_seen to the db. */
static int
ts_flush_one(struct tracker_store *ts, const char *id, struct ts_seeder *e,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;

	q = ts_sql(ts, "UPDATE seeders SET last_seen = ? WHERE file_id = ?"
	    " AND addr = ? AND live = 1 AND last_seen < ?");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)e->last_seen);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, e->addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)e->last_seen);
	if (ts_step_done(ts, q, err) != 0)
		return (-1);
	e->dirty = 0;
	return (0);
}

/*
 * Write the renewals kept in memory (of file f, or of all files if f is
 * NULL) to the db; in the caller's transaction if one is open.
 */
int
ts_index_flush(struct tracker_store *ts, struct ts_file *f,
    struct mt_err *err)
{
	size_t	b, i;

	if (f != NULL) {
		for (i = 0; i < f->n; i++) {
			if (f->v[i].dirty &&
			    ts_flush_one(ts, f->id, &f->v[i], err) != 0)
				return (-1);
		}
		return (0);
	}
	for (b = 0; b < ts->nbuckets; b++) {
		for (f = ts->buckets[b]; f != NULL; f = f->next) {
			if (ts_index_flush(ts, f, err) != 0)
				return (-1);
		}
	}
	return (0);
}

/*
 * Renew a live entry in memory only, if no event is due (the db catches
 * up at the next flush, every expire period).  Returns 1 if done.
 */
static int
ts_renew_fast(struct tracker_store *ts, const struct ts_req *r,
    const char *id, const char *addr)
{
	struct ts_file		*f;
	struct ts_seeder	*e;

	if ((f = ts_index_find(ts, id)) == NULL ||
	    (e = ts_file_seeder(f, addr)) == NULL ||
	    r->now_ms >= e->t_ms + TS_RENEW_EVENT_MS)
		return (0);
	if (r->now_ms > e->last_seen) {
		e->last_seen = r->now_ms;
		e->dirty = 1;
	}
	return (1);
}

void
ts_index_free(struct tracker_store *ts)
{
	struct ts_file	*f, *next;
	size_t		 i;

	for (i = 0; i < ts->nbuckets; i++) {
		for (f = ts->buckets[i]; f != NULL; f = next) {
			next = f->next;
			ts_file_free(f);
		}
	}
	free(ts->buckets);
	ts->buckets = NULL;
	ts->nbuckets = 0;
	ts->nfiles = 0;
}

void
ts_index_expire(struct tracker_store *ts, uint64_t now_ms)
{
	struct ts_file	*f;
	uint64_t	 cut;
	size_t		 i, j, k;

	cut = now_ms > TRACKER_STORE_SEEDER_TTL_MS ?
	    now_ms - TRACKER_STORE_SEEDER_TTL_MS : 0;
	for (i = 0; i < ts->nbuckets; i++) {
		for (f = ts->buckets[i]; f != NULL; f = f->next) {
			for (j = k = 0; j < f->n; j++) {
				if (f->v[j].last_seen >= cut)
					f->v[k++] = f->v[j];
			}
			f->n = k;
		}
	}
}

static size_t
ts_live_count(const struct ts_file *f, uint64_t now_ms)
{
	uint64_t	cut;
	size_t		i, n = 0;

	if (f == NULL)
		return (0);
	cut = now_ms > TRACKER_STORE_SEEDER_TTL_MS ?
	    now_ms - TRACKER_STORE_SEEDER_TTL_MS : 0;
	for (i = 0; i < f->n; i++) {
		if (f->v[i].last_seen >= cut)
			n++;
	}
	return (n);
}

/* ---- checks ---- */

/* The one answer for a file the caller may not see. */
static int
ts_deny(struct mt_err *err)
{
	return (mt_err_set(err, MT_E_DENIED,
	    _("no such file, or you are not a member of its group")));
}

/*
 * May the caller (token) see a file of group grp/grp_inc?  known is 0 for
 * an unknown file.  0, or -1 with MT_E_AUTH or MT_E_DENIED.
 */
static int
ts_access(struct tracker_store *ts, const struct ts_req *r, const char *token,
    int known, const char *grp, const char *grp_inc, struct mt_err *err)
{
	struct ts_user	u;
	int		state;

	if (known && grp[0] == '\0')
		return (0);
	if (token[0] == '\0')
		return (ts_deny(err));
	if (ts_session_check(ts, token, r->now_ms, &u, err) != 0)
		return (-1);
	if (!known)
		return (ts_deny(err));
	if (ts_member_state(ts, grp, grp_inc, &u, &state, err) != 0)
		return (-1);
	if (state < TS_M_MEMBER)
		return (ts_deny(err));
	return (0);
}

static int
ts_is_loopback(const char *ip)
{
	return (strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	    strncmp(ip, "::ffff:127.", 11) == 0);
}

/*
 * Check an announced "HOST:PORT" and write the address to keep into out:
 * the observed client_ip with the announced port, or the announced text
 * as is for a loopback (or unknown) client.
 */
static int
ts_addr(const struct ts_req *r, const char *announced, char *out,
    struct mt_err *err)
{
	const char	*colon, *p;
	size_t		 hostlen;
	unsigned long	 port = 0;

	if ((colon = strrchr(announced, ':')) == NULL)
		goto bad;
	hostlen = (size_t)(colon - announced);
	if (hostlen == 0 || hostlen > 255 || colon[1] == '\0' ||
	    strlen(colon + 1) > 5)
		goto bad;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		goto bad;
	if (announced[0] == '[') {
		if (announced[hostlen - 1] != ']' || hostlen < 4)
			goto bad;
		for (p = announced + 1; p < colon - 1; p++) {
			if (!((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'f') ||
			    (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
				goto bad;
		}
	} else {
		for (p = announced; p < colon; p++) {
			if (!((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') || *p == '.' ||
			    *p == '-'))
				goto bad;
		}
	}
	/*
	 * Nobody may point downloaders at a privileged port (a service that
	 * is not a peer), and a loopback client may only name loopback
	 * addresses: the tracker is never a way to aim traffic at a victim.
	 */
	if (port < 1024)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("seeder port must be 1024 or above")));
	if (r->client_ip[0] != '\0' && ts_is_loopback(r->client_ip) &&
	    strncmp(announced, "127.", 4) != 0 &&
	    strncmp(announced, "[::1]:", 6) != 0 &&
	    strncmp(announced, "localhost:", 10) != 0)
		return (mt_err_set(err, MT_E_DENIED,
		    _("a loopback client may only announce a loopback "
		    "address")));
	if (r->client_ip[0] == '\0' || ts_is_loopback(r->client_ip) ||
	    strlen(r->client_ip) > 250)
		snprintf(out, TS_ADDR_MAX + 1, "%s", announced);
	else if (strchr(r->client_ip, ':') != NULL)
		snprintf(out, TS_ADDR_MAX + 1, "[%s]:%lu", r->client_ip, port);
	else
		snprintf(out, TS_ADDR_MAX + 1, "%s:%lu", r->client_ip, port);
	return (0);
bad:
	return (mt_err_set(err, MT_E_BADVALUE,
	    _("seeder address must be HOST:PORT")));
}

/* A safe single file name (as metainfo_name_check(), ASCII-level). */
static int
ts_file_name_valid(const char *s)
{
	size_t	i;

	if (s[0] == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= TS_FILE_NAME_MAX || s[i] == '/' ||
		    (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return (0);
	}
	return (1);
}

/* ---- mutations (local and replicated) ---- */

/*
 * Chaining values a file of size bytes in pieces of psize needs in
 * units of unit bytes (mtorrent.5 "units"), or -1 if unit does not
 * split the pieces or the count is over MSG_CHAIN_MAX.
 */
static int64_t
ts_chain_count(uint64_t size, uint64_t psize, uint64_t unit)
{
	uint64_t	n;

	if (psize > UINT32_MAX || unit > UINT32_MAX ||
	    !metainfo_unit_size_ok((uint32_t)psize, (uint32_t)unit))
		return (-1);
	n = metainfo_chain_count(size, (uint32_t)psize, (uint32_t)unit);
	return (n > MSG_CHAIN_MAX ? -1 : (int64_t)n);
}

/* Record a file's units, if st is the stamp of its stored record. */
static int
ts_file_units(struct tracker_store *ts, const char *id, uint64_t unit,
    const uint8_t *chain, size_t chain_len, const struct ts_stamp *st,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;

	q = ts_sql(ts, "UPDATE files SET unit_size = ?, chain = ?"
	    " WHERE file_id = ? AND t_ms = ? AND origin = ?");
	sqlite3_bind_int64(q, 1, (sqlite3_int64)unit);
	sqlite3_bind_blob(q, 2, chain_len ? (const void *)chain : "",
	    (int)chain_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 5, st->origin, -1, SQLITE_STATIC);
	return (ts_step_done(ts, q, err));
}

/*
 * Append n 20-byte digests at p to args[*nargs...] as hex,
 * TS_HEX_CHUNK_PIECES an item; returns the text to free.
 */
static char *
ts_hex_items(const uint8_t *p, size_t n, const char **args, size_t *nargs)
{
	size_t	nchunks, i;
	char	*hex;

	nchunks = (n + TS_HEX_CHUNK_PIECES - 1) / TS_HEX_CHUNK_PIECES;
	hex = xmalloc(n * 40 + nchunks + 1);
	for (i = 0; i < nchunks; i++) {
		size_t	first = i * TS_HEX_CHUNK_PIECES;
		size_t	k = n - first < TS_HEX_CHUNK_PIECES ?
		    n - first : TS_HEX_CHUNK_PIECES;
		char	*h = hex + first * 40 + i;

		ts_hex(p + first * 20, k * 20, h);
		args[(*nargs)++] = h;
	}
	return (hex);
}

/*
 * The "units" event of a file: id, unit size, then the chaining values
 * as hex, TS_HEX_CHUNK_PIECES a line.
 */
static int
ts_units_event(struct tracker_store *ts, uint64_t now_ms, const char *id,
    uint64_t unit, const uint8_t *chain, size_t chain_len,
    struct mt_err *err)
{
	const char	*args[2 + MSG_CHAIN_MAX / TS_HEX_CHUNK_PIECES + 1];
	char		 usz[24], *hex;
	size_t		 nargs = 2;
	int		 rc;

	snprintf(usz, sizeof usz, "%" PRIu64, unit);
	args[0] = id;
	args[1] = usz;
	hex = ts_hex_items(chain, chain_len / 20, args, &nargs);
	rc = ts_event(ts, now_ms, "units", args, nargs, err);
	free(hex);
	return (rc);
}

/*
 * Create or, if st is earlier than the stored creation, replace a file's
 * metadata (first writer wins).
 */
int
ts_file_put(struct tracker_store *ts, const char *id, const char *name,
    uint64_t size, uint64_t piece_size, const uint8_t *pieces,
    size_t pieces_len, const char *grp, const char *grp_inc,
    const struct ts_stamp *st, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT t_ms, origin FROM files WHERE file_id = ?");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	if ((rc = ts_stamp_wins(ts, q, st, TS_FIRST_WINS, NULL, err)) <= 0)
		return (rc);
	q = ts_sql(ts, "INSERT INTO files (file_id, name, size, piece_size,"
	    " pieces, grp, grp_inc, t_ms, origin)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (file_id) DO UPDATE SET name = excluded.name,"
	    " size = excluded.size, piece_size = excluded.piece_size,"
	    " pieces = excluded.pieces, grp = excluded.grp,"
	    " grp_inc = excluded.grp_inc, t_ms = excluded.t_ms,"
	    " origin = excluded.origin");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)size);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)piece_size);
	sqlite3_bind_blob(q, 5, pieces_len ? (const void *)pieces : "",
	    (int)pieces_len, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, grp, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, grp_inc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 9, st->origin, -1, SQLITE_STATIC);
	if (ts_step_done(ts, q, err) != 0)
		return (-1);
	ts_touch(ts, id);
	return (0);
}

/*
 * Set (file, addr) live or not if st is later than the stored stamp
 * (last writer wins); a removal leaves a tombstone so that an older add
 * arriving later cannot revive the entry.
 */
int
ts_seeder_put(struct tracker_store *ts, const char *id, const char *addr,
    int live, uint64_t last_seen, const struct ts_stamp *st,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	q = ts_sql(ts, "SELECT t_ms, origin FROM seeders"
	    " WHERE file_id = ? AND addr = ?");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, addr, -1, SQLITE_STATIC);
	if ((rc = ts_stamp_wins(ts, q, st, TS_LAST_WINS, NULL, err)) <= 0)
		return (rc);
	q = ts_sql(ts, "INSERT INTO seeders (file_id, addr, live, last_seen,"
	    " t_ms, origin) VALUES (?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (file_id, addr) DO UPDATE SET live = excluded.live,"
	    " last_seen = excluded.last_seen, t_ms = excluded.t_ms,"
	    " origin = excluded.origin");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 3, live ? 1 : 0);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)last_seen);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)st->t_ms);
	sqlite3_bind_text(q, 6, st->origin, -1, SQLITE_STATIC);
	if (ts_step_done(ts, q, err) != 0)
		return (-1);
	ts_pend_seeder(ts, id, addr, live, last_seen, st->t_ms);
	return (0);
}

/*
 * A client adds (live) or removes itself as a seeder of file id.  A
 * renewal of a live entry only moves last_seen, and is replicated at
 * most every TS_RENEW_EVENT_MS so that announces do not flood the log.
 * *changed is set if an entry was added or removed.
 */
static int
ts_seeder_local(struct tracker_store *ts, const struct ts_req *r,
    const char *id, const char *addr, int live, int *changed,
    struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	struct ts_stamp		 st;
	const char		*args[3];
	uint64_t		 row_t = 0;
	int			 rc, row_live = 0;

	*changed = 0;
	if (live && ts_renew_fast(ts, r, id, addr))
		return (0);
	q = ts_sql(ts, "SELECT live, t_ms FROM seeders"
	    " WHERE file_id = ? AND addr = ?");
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, addr, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		row_live = sqlite3_column_int(q, 0);
		row_t = (uint64_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return (ts_db_error(ts, err));

	if (!live && !row_live)
		return (0);
	if (live && row_live && r->now_ms < row_t + TS_RENEW_EVENT_MS) {
		q = ts_sql(ts, "UPDATE seeders SET last_seen = ?"
		    " WHERE file_id = ? AND addr = ?");
		sqlite3_bind_int64(q, 1, (sqlite3_int64)r->now_ms);
		sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, addr, -1, SQLITE_STATIC);
		if (ts_step_done(ts, q, err) != 0)
			return (-1);
		ts_pend_seeder(ts, id, addr, 1, r->now_ms, row_t);
		return (0);
	}
	/* Our stamp must be later than the row's, even if clocks differ. */
	st.t_ms = r->now_ms > row_t ? r->now_ms : row_t + 1;
	st.origin = ts->id;
	if (ts_seeder_put(ts, id, addr, live, st.t_ms, &st, err) != 0)
		return (-1);
	args[0] = id;
	args[1] = addr;
	args[2] = live ? "1" : "0";
	if (ts_event(ts, st.t_ms, "seeder", args, 3, err) != 0)
		return (-1);
	*changed = live != row_live;
	return (0);
}

/* ---- requests ---- */

int
ts_handle_share(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_share	*s = &m->share;
	struct mt_err		 err;
	struct ts_user		 u;
	struct ts_stamp		 st;
	struct ts_file		*f;
	struct sqlite3_stmt	*q;
	char			 addr[TS_ADDR_MAX + 1], inc[TS_INC_MAX] = "";
	char			 sz[24], psz[24], *hex = NULL;
	const char		*args[6 + TS_FILE_PIECES_MAX /
				    TS_HEX_CHUNK_PIECES + 1];
	uint8_t			 digest[20], want[20];
	uint64_t		 npieces;
	size_t			 nargs;
	int			 state, changed, rc;

	if (strlen(s->file_id) != 40 || !ts_hex_valid(s->file_id, 40)) {
		mt_err_set(&err, MT_E_BADHEX,
		    _("file id must be 40 lowercase hex digits"));
		return (ts_reply_error(out, &err));
	}
	if (!ts_file_name_valid(s->name)) {
		mt_err_set(&err, MT_E_BADNAME, _("unsafe file name"));
		return (ts_reply_error(out, &err));
	}
	if (s->piece_size == 0 || s->piece_size > WIRE_PIECE_SIZE ||
	    s->size > INT64_MAX) {
		mt_err_set(&err, MT_E_BADVALUE, _("bad size or piece size"));
		return (ts_reply_error(out, &err));
	}
	npieces = s->size / s->piece_size + (s->size % s->piece_size != 0);
	if (npieces > TS_FILE_PIECES_MAX) {
		mt_err_set(&err, MT_E_TOOBIG,
		    _("file has more than %d pieces"), TS_FILE_PIECES_MAX);
		return (ts_reply_error(out, &err));
	}
	if (s->pieces.len != npieces * 20) {
		mt_err_set(&err, MT_E_MISMATCH,
		    _("piece hashes do not match the file size"));
		return (ts_reply_error(out, &err));
	}
	ts_unhex(s->file_id, 20, want);
	if (EVP_Digest(s->pieces.len ? s->pieces.p : (const uint8_t *)"",
	    s->pieces.len, digest, NULL, EVP_sha1(), NULL) != 1 ||
	    memcmp(digest, want, 20) != 0) {
		mt_err_set(&err, MT_E_MISMATCH,
		    _("file id is not the SHA1 of the piece hashes"));
		return (ts_reply_error(out, &err));
	}
	if (s->group[0] != '\0' && !ts_name_valid(s->group)) {
		mt_err_set(&err, MT_E_BADNAME, _("bad group name"));
		return (ts_reply_error(out, &err));
	}
	if (s->unit_size == 0 ? s->chain.len != 0 :
	    ts_chain_count(s->size, s->piece_size, s->unit_size) < 0 ||
	    s->chain.len != (uint64_t)ts_chain_count(s->size, s->piece_size,
	    s->unit_size) * 20) {
		mt_err_set(&err, MT_E_BADVALUE,
		    _("units do not fit the file"));
		return (ts_reply_error(out, &err));
	}
	if (ts_addr(r, s->seeder, addr, &err) != 0)
		return (ts_reply_error(out, &err));

	if (s->group[0] != '\0') {
		if (s->token[0] == '\0') {
			mt_err_set(&err, MT_E_AUTH,
			    _("log in to share into a group"));
			return (ts_reply_error(out, &err));
		}
		if (ts_session_check(ts, s->token, r->now_ms, &u, &err) != 0 ||
		    ts_group_inc(ts, s->group, inc, &err) != 0 ||
		    ts_member_state(ts, s->group, inc, &u, &state, &err) != 0)
			return (ts_reply_error(out, &err));
		if (state < TS_M_MEMBER) {
			mt_err_set(&err, MT_E_DENIED,
			    _("you are not a member of this group"));
			return (ts_reply_error(out, &err));
		}
	}

	if ((f = ts_index_find(ts, s->file_id)) != NULL) {
		/* Known: the same share again only adds the seeder. */
		if (ts_access(ts, r, s->token, 1, f->grp, f->grp_inc,
		    &err) != 0)
			return (ts_reply_error(out, &err));
		q = ts_sql(ts, "SELECT name, grp FROM files WHERE file_id = ?");
		sqlite3_bind_text(q, 1, s->file_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(q, 0),
		    s->name) == 0 &&
		    strcmp((const char *)sqlite3_column_text(q, 1),
		    s->group) == 0;
		sqlite3_reset(q);
		if (!rc) {
			mt_err_set(&err, MT_E_EXISTS, _("this file is "
			    "already shared under another name or group"));
			return (ts_reply_error(out, &err));
		}
		if (ts_renew_fast(ts, r, s->file_id, addr))
			return (ts_reply_ok(out, ""));
		if (ts_begin(ts, &err) != 0 ||
		    ts_seeder_local(ts, r, s->file_id, addr, 1, &changed,
		    &err) != 0 || ts_commit(ts, &err) != 0)
			return (ts_reply_error(out, &err));
		return (ts_reply_ok(out, ""));
	}

	q = ts_sql(ts, "SELECT 1 FROM files WHERE grp = ? AND grp_inc = ?"
	    " AND name = ?");
	sqlite3_bind_text(q, 1, s->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, s->name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW) {
		mt_err_set(&err, MT_E_EXISTS,
		    _("another file with this name is shared here"));
		return (ts_reply_error(out, &err));
	}

	/* The event carries the pieces as hex, TS_HEX_CHUNK_PIECES a line. */
	snprintf(sz, sizeof sz, "%" PRIu64, s->size);
	snprintf(psz, sizeof psz, "%" PRIu64, s->piece_size);
	args[0] = s->file_id;
	args[1] = s->name;
	args[2] = sz;
	args[3] = psz;
	args[4] = s->group;
	args[5] = inc;
	nargs = 6;
	hex = ts_hex_items(s->pieces.p, npieces, args, &nargs);

	st.t_ms = r->now_ms;
	st.origin = ts->id;
	rc = ts_begin(ts, &err);
	if (rc == 0)
		rc = ts_file_put(ts, s->file_id, s->name, s->size,
		    s->piece_size, s->pieces.p, s->pieces.len, s->group, inc,
		    &st, &err);
	if (rc == 0)
		rc = ts_event(ts, r->now_ms, "file", args, nargs, &err);
	if (rc == 0 && s->unit_size != 0)
		rc = ts_file_units(ts, s->file_id, s->unit_size, s->chain.p,
		    s->chain.len, &st, &err);
	if (rc == 0 && s->unit_size != 0)
		rc = ts_units_event(ts, r->now_ms, s->file_id, s->unit_size,
		    s->chain.p, s->chain.len, &err);
	if (rc == 0)
		rc = ts_seeder_local(ts, r, s->file_id, addr, 1, &changed,
		    &err);
	if (rc == 0)
		rc = ts_commit(ts, &err);
	free(hex);
	if (rc != 0)
		return (ts_reply_error(out, &err));
	log_debug("%s: shared %s (%s) in \"%s\" by %s", __func__, s->file_id,
	    s->name, s->group, addr);
	return (ts_reply_ok(out, ""));
}

/* seeder_add and seeder_remove. */
int
ts_handle_seeder(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const char	*token, *id, *seeder;
	struct ts_file	*f;
	struct mt_err	 err;
	char		 addr[TS_ADDR_MAX + 1];
	int		 live, changed;

	live = m->type == MSG_seeder_add;
	token = live ? m->seeder_add.token : m->seeder_remove.token;
	id = live ? m->seeder_add.file_id : m->seeder_remove.file_id;
	seeder = live ? m->seeder_add.seeder : m->seeder_remove.seeder;
	if (strlen(id) != 40 || !ts_hex_valid(id, 40)) {
		mt_err_set(&err, MT_E_BADHEX,
		    _("file id must be 40 lowercase hex digits"));
		return (ts_reply_error(out, &err));
	}
	if (ts_addr(r, seeder, addr, &err) != 0)
		return (ts_reply_error(out, &err));
	f = ts_index_find(ts, id);
	if (ts_access(ts, r, token, f != NULL, f ? f->grp : "",
	    f ? f->grp_inc : "", &err) != 0)
		return (ts_reply_error(out, &err));
	if (live && ts_renew_fast(ts, r, id, addr))
		return (ts_reply_ok(out, ""));
	if (ts_begin(ts, &err) != 0 ||
	    ts_seeder_local(ts, r, id, addr, live, &changed, &err) != 0 ||
	    ts_commit(ts, &err) != 0)
		return (ts_reply_error(out, &err));
	return (ts_reply_ok(out, ""));
}

/* qsort: the entry in the list longest (then by address) goes first. */
static int
ts_seeder_older(const void *a, const void *b)
{
	const struct ts_seeder	*x = *(const struct ts_seeder *const *)a;
	const struct ts_seeder	*y = *(const struct ts_seeder *const *)b;

	if (x->since != y->since)
		return (x->since < y->since ? -1 : 1);
	return (strcmp(x->addr, y->addr));
}

int
ts_handle_seeders(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_seeders	*s = &m->seeders;
	union message			 reply;
	struct wire_arg			 v[TRACKER_STORE_SEEDERS_MAX];
	const struct ts_seeder		*o[TRACKER_STORE_SEEDERS_MAX];
	struct ts_file			*f;
	struct mt_err			 err;
	uint64_t			 cut;
	size_t				 i, j, n = 0;
	int				 all;

	if (strlen(s->file_id) != 40 || !ts_hex_valid(s->file_id, 40)) {
		mt_err_set(&err, MT_E_BADHEX,
		    _("file id must be 40 lowercase hex digits"));
		return (ts_reply_error(out, &err));
	}
	f = ts_index_find(ts, s->file_id);
	if ((f == NULL || f->grp[0] != '\0') &&
	    ts_access(ts, r, s->token, f != NULL, f ? f->grp : "",
	    f ? f->grp_inc : "", &err) != 0)
		return (ts_reply_error(out, &err));

	/*
	 * All of them, those listed longest first (a peer that registered
	 * just now likely holds little: doc/protocol.md); when they do
	 * not all fit, rotate the start so that every seeder gets its turn.
	 */
	cut = r->now_ms > TRACKER_STORE_SEEDER_TTL_MS ?
	    r->now_ms - TRACKER_STORE_SEEDER_TTL_MS : 0;
	if (f->n > 0) {
		all = f->n <= TRACKER_STORE_SEEDERS_MAX;
		j = all ? 0 : f->rot++ % f->n;
		for (i = 0; i < f->n && n < TRACKER_STORE_SEEDERS_MAX; i++) {
			const struct ts_seeder *e = &f->v[(j + i) % f->n];

			if (e->last_seen < cut)
				continue;
			o[n++] = e;
		}
		if (all)
			qsort(o, n, sizeof *o, ts_seeder_older);
		for (i = 0; i < n; i++) {
			v[i].p = o[i]->addr;
			v[i].len = (uint32_t)strlen(o[i]->addr);
		}
	}
	memset(&reply, 0, sizeof reply);
	reply.type = MSG_seeders_reply;
	reply.seeders_reply.file_id = f->id;
	reply.seeders_reply.seeders.n = (uint32_t)n;
	reply.seeders_reply.seeders.v = v;
	return (message_encode(&reply, out, NULL));
}

int
ts_handle_announce(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_announce	*a = &m->announce;
	struct ts_user			 u;
	struct ts_file			*f;
	struct mt_err			 err;
	struct ts_file			**slow = NULL;
	char				 addr[TS_ADDR_MAX + 1], text[64];
	unsigned			 renewed = 0;
	size_t				 nslow = 0, k;
	uint32_t			 i;
	int				 have_user = 0, state, changed;

	if (ts_addr(r, a->seeder, addr, &err) != 0)
		return (ts_reply_error(out, &err));
	for (i = 0; i < a->file_ids.n; i++) {
		if (a->file_ids.v[i].len != 40 ||
		    !ts_hex_valid(a->file_ids.v[i].p, 40)) {
			mt_err_set(&err, MT_E_BADHEX,
			    _("file id must be 40 lowercase hex digits"));
			return (ts_reply_error(out, &err));
		}
	}
	if (a->token[0] != '\0') {
		if (ts_session_check(ts, a->token, r->now_ms, &u, &err) != 0)
			return (ts_reply_error(out, &err));
		have_user = 1;
	}
	/*
	 * Most announces only renew live entries: that is done in memory.
	 * The rest (new entries, renewals due for replication) go through
	 * one transaction.
	 */
	for (i = 0; i < a->file_ids.n; i++) {
		/* Unknown files and groups the caller is not in: skipped. */
		if ((f = ts_index_find(ts, a->file_ids.v[i].p)) == NULL)
			continue;
		if (f->grp[0] != '\0') {
			if (!have_user)
				continue;
			if (ts_member_state(ts, f->grp, f->grp_inc, &u, &state,
			    &err) != 0)
				goto fail;
			if (state < TS_M_MEMBER)
				continue;
		}
		renewed++;
		if (ts_renew_fast(ts, r, f->id, addr))
			continue;
		if (slow == NULL)
			slow = xcalloc(a->file_ids.n, sizeof *slow);
		slow[nslow++] = f;
	}
	if (nslow > 0) {
		if (ts_begin(ts, &err) != 0)
			goto fail;
		for (k = 0; k < nslow; k++) {
			if (ts_seeder_local(ts, r, slow[k]->id, addr, 1,
			    &changed, &err) != 0)
				goto fail;
		}
		if (ts_commit(ts, &err) != 0)
			goto fail;
	}
	free(slow);
	snprintf(text, sizeof text, "%u", renewed);
	return (ts_reply_ok(out, text));
fail:
	free(slow);
	ts_rollback(ts);
	return (ts_reply_error(out, &err));
}

int
ts_handle_bye(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	struct sqlite3_stmt	*q;
	struct mt_err		 err;
	char			 addr[TS_ADDR_MAX + 1], (*ids)[41] = NULL;
	size_t			 n = 0, cap = 0, i;
	int			 changed, rc;

	if (ts_addr(r, m->bye.seeder, addr, &err) != 0)
		return (ts_reply_error(out, &err));
	q = ts_sql(ts, "SELECT file_id FROM seeders WHERE addr = ?"
	    " AND live = 1");
	sqlite3_bind_text(q, 1, addr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof *ids);
		}
		snprintf(ids[n++], 41, "%s",
		    (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		free(ids);
		ts_db_error(ts, &err);
		return (ts_reply_error(out, &err));
	}
	rc = ts_begin(ts, &err);
	for (i = 0; rc == 0 && i < n; i++)
		rc = ts_seeder_local(ts, r, ids[i], addr, 0, &changed, &err);
	if (rc == 0)
		rc = ts_commit(ts, &err);
	free(ids);
	if (rc != 0) {
		ts_rollback(ts);
		return (ts_reply_error(out, &err));
	}
	return (ts_reply_ok(out, ""));
}

/*
 * Find a file by id, or by group and name; q is left on its row (the
 * columns of the SELECT below) and must be reset by the caller.  Returns
 * 1 if found, 0 if not, -1 on a db error.
 */
static int
ts_file_lookup(struct tracker_store *ts, const char *id, const char *grp,
    const char *name, struct sqlite3_stmt **qp, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	int			 rc;

	if (id[0] != '\0') {
		q = ts_sql(ts, "SELECT file_id, name, size, piece_size, pieces,"
		    " grp, grp_inc, unit_size, chain FROM files WHERE file_id = ?");
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	} else if (grp[0] == '\0') {
		q = ts_sql(ts, "SELECT file_id, name, size, piece_size, pieces,"
		    " grp, grp_inc, unit_size, chain FROM files"
		    " WHERE grp = '' AND name = ?"
		    " ORDER BY t_ms, origin LIMIT 1");
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	} else {
		/* Only files of the group's current incarnation. */
		q = ts_sql(ts, "SELECT f.file_id, f.name, f.size,"
		    " f.piece_size, f.pieces, f.grp, f.grp_inc, f.unit_size,"
		    " f.chain FROM files f"
		    " JOIN grps g ON g.name = f.grp AND g.inc = f.grp_inc"
		    " WHERE f.grp = ? AND f.name = ?"
		    " ORDER BY f.t_ms, f.origin LIMIT 1");
		sqlite3_bind_text(q, 1, grp, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	}
	*qp = q;
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		return (1);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return (0);
	return (ts_db_error(ts, err));
}

/* Check a metainfo / stop_share target's arguments. */
static int
ts_target_valid(const char *id, const char *grp, const char *name,
    struct mt_err *err)
{
	if (id[0] != '\0') {
		if (strlen(id) != 40 || !ts_hex_valid(id, 40))
			return (mt_err_set(err, MT_E_BADHEX,
			    _("file id must be 40 lowercase hex digits")));
		return (0);
	}
	if (grp[0] != '\0' && !ts_name_valid(grp))
		return (mt_err_set(err, MT_E_BADNAME, _("bad group name")));
	if (!ts_file_name_valid(name))
		return (mt_err_set(err, MT_E_BADNAME, _("unsafe file name")));
	return (0);
}

int
ts_handle_metainfo(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_metainfo	*mi = &m->metainfo;
	struct sqlite3_stmt		*q;
	union message			 reply;
	struct mt_err			 err;
	int				 found, rc;

	if (ts_target_valid(mi->file_id, mi->group, mi->name, &err) != 0)
		return (ts_reply_error(out, &err));
	if ((found = ts_file_lookup(ts, mi->file_id, mi->group, mi->name, &q,
	    &err)) < 0)
		return (ts_reply_error(out, &err));
	if (ts_access(ts, r, mi->token, found,
	    found ? (const char *)sqlite3_column_text(q, 5) : "",
	    found ? (const char *)sqlite3_column_text(q, 6) : "",
	    &err) != 0) {
		if (found)
			sqlite3_reset(q);
		return (ts_reply_error(out, &err));
	}
	memset(&reply, 0, sizeof reply);
	reply.type = MSG_metainfo_reply;
	reply.metainfo_reply.file_id = (const char *)sqlite3_column_text(q, 0);
	reply.metainfo_reply.name = (const char *)sqlite3_column_text(q, 1);
	reply.metainfo_reply.size = (uint64_t)sqlite3_column_int64(q, 2);
	reply.metainfo_reply.piece_size = (uint64_t)sqlite3_column_int64(q, 3);
	reply.metainfo_reply.pieces.p = sqlite3_column_blob(q, 4);
	reply.metainfo_reply.pieces.len = (uint32_t)sqlite3_column_bytes(q, 4);
	reply.metainfo_reply.group = (const char *)sqlite3_column_text(q, 5);
	reply.metainfo_reply.unit_size = (uint64_t)sqlite3_column_int64(q, 7);
	reply.metainfo_reply.chain.p = sqlite3_column_blob(q, 8);
	reply.metainfo_reply.chain.len = (uint32_t)sqlite3_column_bytes(q, 8);
	rc = message_encode(&reply, out, NULL);
	sqlite3_reset(q);
	return (rc);
}

int
ts_handle_stop_share(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_stop_share	*s = &m->stop_share;
	struct sqlite3_stmt		*q;
	struct mt_err			 err;
	char				 addr[TS_ADDR_MAX + 1], id[41];
	char				 grp[TS_NAME_MAX + 1];
	char				 inc[TS_INC_MAX];
	int				 found, changed;

	if (ts_target_valid("", s->group, s->name, &err) != 0 ||
	    ts_addr(r, s->seeder, addr, &err) != 0)
		return (ts_reply_error(out, &err));
	if ((found = ts_file_lookup(ts, "", s->group, s->name, &q, &err)) < 0)
		return (ts_reply_error(out, &err));
	id[0] = grp[0] = inc[0] = '\0';
	if (found) {
		snprintf(id, sizeof id, "%s",
		    (const char *)sqlite3_column_text(q, 0));
		snprintf(grp, sizeof grp, "%s",
		    (const char *)sqlite3_column_text(q, 5));
		snprintf(inc, sizeof inc, "%s",
		    (const char *)sqlite3_column_text(q, 6));
		sqlite3_reset(q);
	}
	if (ts_access(ts, r, s->token, found, grp, inc, &err) != 0)
		return (ts_reply_error(out, &err));
	if (ts_begin(ts, &err) != 0 ||
	    ts_seeder_local(ts, r, id, addr, 0, &changed, &err) != 0 ||
	    ts_commit(ts, &err) != 0)
		return (ts_reply_error(out, &err));
	if (!changed) {
		mt_err_set(&err, MT_E_NOTFOUND,
		    _("you are not a seeder of this file"));
		return (ts_reply_error(out, &err));
	}
	return (ts_reply_ok(out, ""));
}

int
ts_handle_list_files(struct tracker_store *ts, const union message *m,
    const struct ts_req *r, struct buf *out)
{
	const struct msg_list_files	*l = &m->list_files;
	struct sqlite3_stmt		*q;
	struct ts_user			 u;
	struct mt_err			 err;
	char				 inc[TS_INC_MAX] = "", **items = NULL;
	size_t				 n = 0, cap = 0, bytes = 0, i;
	int				 state, rc;

	if (l->group[0] != '\0') {
		/* A group's files: members only. */
		if (!ts_name_valid(l->group)) {
			mt_err_set(&err, MT_E_BADNAME, _("bad group name"));
			return (ts_reply_error(out, &err));
		}
		if (l->token[0] == '\0') {
			mt_err_set(&err, MT_E_AUTH, _("log in first"));
			return (ts_reply_error(out, &err));
		}
		if (ts_session_check(ts, l->token, r->now_ms, &u, &err) != 0 ||
		    ts_group_inc(ts, l->group, inc, &err) != 0 ||
		    ts_member_state(ts, l->group, inc, &u, &state, &err) != 0)
			return (ts_reply_error(out, &err));
		if (state < TS_M_MEMBER) {
			mt_err_set(&err, MT_E_DENIED,
			    _("you are not a member of this group"));
			return (ts_reply_error(out, &err));
		}
	}
	q = ts_sql(ts, "SELECT file_id, size, name FROM files"
	    " WHERE grp = ? AND grp_inc = ? ORDER BY name, file_id");
	sqlite3_bind_text(q, 1, l->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, inc, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char	*id = (const char *)sqlite3_column_text(q, 0);
		char		*line;

		if (n == MSG_LIST_MAX || bytes > TS_LIST_BYTES_MAX)
			break;	/* the reply has a size limit */
		xasprintf(&line, "%s %" PRId64 " %zu %s", id,
		    (int64_t)sqlite3_column_int64(q, 1),
		    ts_live_count(ts_index_find(ts, id), r->now_ms),
		    (const char *)sqlite3_column_text(q, 2));
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			items = xreallocarray(items, cap, sizeof *items);
		}
		bytes += strlen(line) + 4;
		items[n++] = line;
	}
	sqlite3_reset(q);
	rc = ts_reply_list(out, items, n);
	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
	return (rc);
}

/* Replicated "file": id name size piece_size grp grp_inc hex... */
int
ts_apply_file(struct tracker_store *ts, const struct ts_stamp *st,
    const struct msg_list *a, struct mt_err *err)
{
	const char	*id, *name, *grp, *inc;
	uint64_t	 size, psize, npieces, got = 0;
	uint8_t		*pieces, digest[20], want[20];
	char		*end;
	uint32_t	 i;
	int		 rc;

	if (a->n < 6)
		goto bad;
	id = a->v[0].p;
	name = a->v[1].p;
	grp = a->v[4].p;
	inc = a->v[5].p;
	size = strtoull(a->v[2].p, &end, 10);
	if (*end != '\0' || a->v[2].p[0] == '\0')
		goto bad;
	psize = strtoull(a->v[3].p, &end, 10);
	if (*end != '\0' || a->v[3].p[0] == '\0')
		goto bad;
	if (a->v[0].len != 40 || !ts_hex_valid(id, 40) ||
	    !ts_file_name_valid(name) || psize == 0 ||
	    psize > WIRE_PIECE_SIZE || size > INT64_MAX ||
	    (grp[0] != '\0' && !ts_name_valid(grp)) ||
	    a->v[5].len >= TS_INC_MAX)
		goto bad;
	npieces = size / psize + (size % psize != 0);
	if (npieces > TS_FILE_PIECES_MAX)
		goto bad;
	pieces = xmalloc(npieces * 20 + 1);
	for (i = 6; i < a->n; i++) {
		if (a->v[i].len % 40 != 0 ||
		    got + a->v[i].len / 40 > npieces ||
		    ts_unhex(a->v[i].p, a->v[i].len / 2,
		    pieces + got * 20) != 0) {
			free(pieces);
			goto bad;
		}
		got += a->v[i].len / 40;
	}
	ts_unhex(id, 20, want);
	if (got != npieces || EVP_Digest(pieces, got * 20, digest, NULL,
	    EVP_sha1(), NULL) != 1 || memcmp(digest, want, 20) != 0) {
		free(pieces);
		goto bad;
	}
	rc = ts_file_put(ts, id, name, size, psize, pieces, got * 20, grp,
	    inc, st, err);
	free(pieces);
	return (rc);
bad:
	return (mt_err_set(err, MT_E_BADARGS, _("malformed file event")));
}

/* Replicated "units": id unit_size hex..., for the file of the same stamp. */
int
ts_apply_units(struct tracker_store *ts, const struct ts_stamp *st,
    const struct msg_list *a, struct mt_err *err)
{
	struct sqlite3_stmt	*q;
	uint64_t		 unit, size, psize, got = 0;
	uint8_t			*chain;
	int64_t			 n;
	char			*end;
	uint32_t		 i;
	int			 rc;

	if (a->n < 2 || a->v[0].len != 40 || !ts_hex_valid(a->v[0].p, 40))
		goto bad;
	unit = strtoull(a->v[1].p, &end, 10);
	if (*end != '\0' || a->v[1].p[0] == '\0')
		goto bad;
	q = ts_sql(ts, "SELECT size, piece_size FROM files WHERE file_id = ?");
	sqlite3_bind_text(q, 1, a->v[0].p, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	size = (uint64_t)sqlite3_column_int64(q, 0);
	psize = (uint64_t)sqlite3_column_int64(q, 1);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW)
		return (0);	/* a file another record replaced */
	if ((n = ts_chain_count(size, psize, unit)) < 0)
		goto bad;
	chain = xmalloc((size_t)n * 20 + 1);
	for (i = 2; i < a->n; i++) {
		if (a->v[i].len % 40 != 0 ||
		    got + a->v[i].len / 40 > (uint64_t)n ||
		    ts_unhex(a->v[i].p, a->v[i].len / 2,
		    chain + got * 20) != 0) {
			free(chain);
			goto bad;
		}
		got += a->v[i].len / 40;
	}
	if (got != (uint64_t)n) {
		free(chain);
		goto bad;
	}
	rc = ts_file_units(ts, a->v[0].p, unit, chain, got * 20, st, err);
	free(chain);
	return (rc);
bad:
	return (mt_err_set(err, MT_E_BADARGS, _("malformed units event")));
}

/* Replicated "seeder": id addr live. */
int
ts_apply_seeder(struct tracker_store *ts, const struct ts_stamp *st,
    const struct msg_list *a, struct mt_err *err)
{
	uint64_t	now, last_seen;
	int		live;

	if (a->n != 3 || a->v[0].len != 40 ||
	    !ts_hex_valid(a->v[0].p, 40) || a->v[1].len == 0 ||
	    a->v[1].len > TS_ADDR_MAX ||
	    (strcmp(a->v[2].p, "1") != 0 && strcmp(a->v[2].p, "0") != 0))
		return (mt_err_set(err, MT_E_BADARGS,
		    _("malformed seeder event")));
	live = a->v[2].p[0] == '1';
	/*
	 * Liveness is judged on our clock: an entry the event describes
	 * as older than the TTL is already expired here.
	 */
	now = ts_realtime_ms();
	last_seen = st->t_ms < now ? st->t_ms : now;
	if (live && last_seen + TRACKER_STORE_SEEDER_TTL_MS < now)
		return (0);
	return (ts_seeder_put(ts, a->v[0].p, a->v[1].p, live, last_seen, st,
	    err));
}
