/*
 * engine.c: the peer engine instance: torrents, the public API, resume,
 * and the housekeeping thread (tracker calls, state flushes, announces,
 * rates and UI events).  The wire protocol lives in transfer.c; the
 * threads and locks are described in doc/architecture.md, "Peer engine".
 *
 * Invariants: a torrent on e->torrents has dead == 0; a torrent is freed
 * by the last torrent_unref(); the picker's have bits are a superset of
 * the bits in the state db (pieces are synced before they are recorded).
 */
#include "config.h"

#include "engine.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "engine-int.h"
#include "error.h"
#include "hash.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "metainfo.h"
#include "peerdb.h"
#include "picker.h"
#include "pool.h"
#include "snapshot.h"
#include "storage.h"
#include "strhash.h"
#include "tracker-client.h"
#include "upsched.h"
#include "xmalloc.h"

static void	*engine_house_main(void *);
static struct tracker_client *torrent_trackers(struct engine *,
		     const struct metainfo *);
static int	 torrent_tracker_call(struct engine *, struct torrent *,
		     const union message *, union message *, struct mt_err *);
static void	 engine_announce_own(struct engine *, struct torrent *,
		     const char *);
static int	 engine_lock_state(struct engine *, struct mt_err *);
static int	 engine_tracker_call(struct engine *, const union message *,
		    union message *, struct mt_err *);
static struct torrent *torrent_create(struct engine *,
		    const struct metainfo *, const char *, size_t);
static void	 torrent_free(struct torrent *);
static int	 engine_add(struct engine *, struct torrent *,
		    struct mt_err *);
static void	 engine_flush(struct engine *, int);
static void	 engine_resume_row(void *, const struct peerdb_row *);
static int	 engine_verify_piece(struct torrent *, uint32_t, uint8_t *);
static void	 torrent_count_resumed(struct torrent *, const uint8_t *);
static void	 torrent_recheck(struct torrent *, uint32_t, uint8_t *,
		     uint8_t *);
static int	 torrent_piece_whole(const struct torrent *, uint32_t);
static uint32_t	 torrent_flush_units(const struct torrent *);
static uint32_t	 engine_unit_size(void);
static int	 engine_start_download(struct engine *, struct metainfo *,
		    const char *, const char *, struct mt_err *);
static void	 engine_seeders(struct engine *, struct torrent *, uint64_t);
static uint64_t	 engine_now_ms(void);
static int	 engine_dirty(struct engine *);
static void	 engine_mi_trackers(struct engine *, struct metainfo *);
static int	 engine_detach(struct engine *, struct torrent *);
static int	 engine_mtorrent_taken(const struct metainfo *, const char *,
		     struct mt_err *);
static void	 engine_token(struct engine *, char *, size_t);

static uint64_t
engine_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

void
rate_add(struct rate *r, uint64_t now_ms, uint64_t n)
{
	uint64_t	sec = now_ms / 1000;
	size_t		i = sec % (SNAPSHOT_RATE_WINDOW_S + 1);

	if (r->sec[i] != sec) {
		r->sec[i] = sec;
		r->bytes[i] = 0;
	}
	r->bytes[i] += n;
}

uint64_t
rate_get(const struct rate *r, uint64_t now_ms)
{
	uint64_t	sec = now_ms / 1000, sum = 0;
	size_t		i;

	/* The current second is partial: count the last full window. */
	for (i = 0; i <= SNAPSHOT_RATE_WINDOW_S; i++) {
		if (r->sec[i] + SNAPSHOT_RATE_WINDOW_S >= sec &&
		    r->sec[i] < sec)
			sum += r->bytes[i];
	}
	return (sum / SNAPSHOT_RATE_WINDOW_S);
}

void
engine_changed(struct engine *e)
{
	atomic_fetch_add(&e->gen, 1);
}

void
engine_wake(struct engine *e)
{
	pthread_mutex_lock(&e->lock);
	e->wake = 1;
	pthread_cond_broadcast(&e->cond);
	/* One idle worker looks; if it finds work it wakes the next. */
	pthread_cond_signal(&e->wcond);
	pthread_mutex_unlock(&e->lock);
}

void
torrent_ref(struct torrent *t)
{
	t->refs++;
}

void
torrent_unref(struct engine *e, struct torrent *t)
{
	int	last;

	pthread_mutex_lock(&e->lock);
	last = (--t->refs == 0);
	pthread_mutex_unlock(&e->lock);
	if (last)
		torrent_free(t);
}

struct torrent *
engine_find_ref(struct engine *e, const char *file_id)
{
	struct torrent	*t;

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		if (strcmp(t->mi.file_id_hex, file_id) == 0) {
			torrent_ref(t);
			break;
		}
	}
	pthread_mutex_unlock(&e->lock);
	return (t);
}

/*
 * A tracker client for mi's own trackers (pinned to their fingerprints)
 * when some of them are not among the engine's: a .mtorrent made on
 * another machine names the trackers that know its file.  NULL when the
 * engine's client serves.
 */
static struct tracker_client *
torrent_trackers(struct engine *e, const struct metainfo *mi)
{
	struct tracker_client	*tc;
	const char		*addrs[METAINFO_TRACKERS_MAX];
	char			*known;
	unsigned		 i, j, foreign = 0;

	if (e->tcall != NULL || mi->ntrackers == 0)
		return (NULL);
	for (i = 0; i < mi->ntrackers; i++) {
		addrs[i] = mi->trackers[i].addr;
		for (j = 0; j < e->ntrackers; j++)
			if (strcmp(e->trackers[j], addrs[i]) == 0)
				break;
		if (j == e->ntrackers)
			foreign++;
	}
	if (foreign == 0)
		return (NULL);
	xasprintf(&known, "%s/known_trackers", e->state_dir);
	tc = tracker_client_create(addrs, mi->ntrackers, known, e->node_id,
	    e->listen);
	free(known);
	for (i = 0; i < mi->ntrackers; i++)
		if (mi->trackers[i].fingerprint[0] != '\0')
			tracker_client_add(tc, mi->trackers[i].addr,
			    mi->trackers[i].fingerprint);
	log_info(_("%s: using the .mtorrent's %u tracker(s), first %s"),
	    mi->name, mi->ntrackers, addrs[0]);
	return (tc);
}

/* A torrent for mi (copied), with its metainfo text; refs = 1. */
static struct torrent *
torrent_create(struct engine *e, const struct metainfo *mi, const char *meta,
    size_t metalen)
{
	struct torrent	*t;
	uint64_t	 seed;

	t = xcalloc(1, sizeof *t);
	pthread_mutex_init(&t->lock, NULL);
	t->refs = 1;
	t->mi = *mi;
	t->mi.pieces = xmalloc((size_t)mi->npieces * 20 + 1);
	memcpy(t->mi.pieces, mi->pieces, (size_t)mi->npieces * 20);
	if (mi->chain != NULL) {
		size_t	clen = (size_t)(mi->nunits - mi->npieces) * 20;

		t->mi.chain = xmalloc(clen + 1);
		memcpy(t->mi.chain, mi->chain, clen);
	}
	if (mi->unit_size < mi->piece_size)
		snprintf(t->wire_id, sizeof t->wire_id, "%s/%u",
		    mi->file_id_hex, mi->unit_size);
	else
		strlcpy(t->wire_id, mi->file_id_hex, sizeof t->wire_id);
	t->meta = xmalloc(metalen + 1);
	memcpy(t->meta, meta, metalen);
	t->meta[metalen] = '\0';
	t->metalen = metalen;
	t->st.fd = t->st.dirfd = -1;
	/* Each engine and torrent draws its own sequence. */
	seed = e->seed != 0 ? e->seed : engine_now_ms() ^
	    ((uint64_t)(uintptr_t)t << 7);
	seed ^= (uint64_t)mi->file_id[0] << 24 | mi->file_id[1];
	/* The engine moves units: pieces, or a .mtorrent's smaller units. */
	picker_init(&t->pk, mi->nunits, seed);
	t->sent = xcalloc((size_t)mi->nunits + 1, sizeof *t->sent);
	t->offered = xcalloc((size_t)mi->nunits + 1, 1);
	t->sending = xcalloc((size_t)mi->nunits + 1, 1);
	t->nunsent = mi->nunits;
	t->tc = torrent_trackers(e, mi);
	return (t);
}

static void
torrent_free(struct torrent *t)
{
	struct eng_peer	*p;

	if (t == NULL)
		return;
	while ((p = t->peers) != NULL) {
		t->peers = p->next;
		free(p->bits);
		free(p);
	}
	storage_close(&t->st);
	tracker_client_free(t->tc);
	picker_done(&t->pk);
	free(t->sent);
	free(t->offered);
	free(t->sending);
	metainfo_done(&t->mi);
	free(t->meta);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/*
 * 1 and err set (MT_E_EXISTS) if t's file id is on the list (e->lock
 * held).
 */
static int
engine_id_taken(struct engine *e, struct torrent *t, struct mt_err *err)
{
	struct torrent	*o;
	char		 as[sizeof o->dir + sizeof o->mi.name + 1];

	for (o = e->torrents; o != NULL; o = o->next) {
		if (strcmp(o->mi.file_id_hex, t->mi.file_id_hex) != 0)
			continue;
		/* Where it goes (a download) or is (a share). */
		if (o->dir[0] != '\0')
			snprintf(as, sizeof as, "%s/%s", o->dir, o->mi.name);
		else
			snprintf(as, sizeof as, "%s", o->st.path[0] != '\0' ?
			    o->st.path : o->mi.name);
		mt_err_set(err, MT_E_EXISTS, _("this file (id %.12s) is "
		    "already shared or downloading here, as %s"),
		    t->mi.file_id_hex, as);
		return (1);
	}
	return (0);
}

/* engine_id_taken() without the lock held. */
static int
engine_has_id(struct engine *e, struct torrent *t, struct mt_err *err)
{
	int	found;

	pthread_mutex_lock(&e->lock);
	found = engine_id_taken(e, t, err);
	pthread_mutex_unlock(&e->lock);
	return (found);
}

/* Put t on the list unless its file id is there (MT_E_EXISTS). */
static int
engine_add(struct engine *e, struct torrent *t, struct mt_err *err)
{
	pthread_mutex_lock(&e->lock);
	if (engine_id_taken(e, t, err)) {
		pthread_mutex_unlock(&e->lock);
		return (-1);
	}
	t->next = e->torrents;
	e->torrents = t;
	t->want_peers = 1;
	e->wake = 1;
	pthread_cond_broadcast(&e->cond);
	pthread_cond_signal(&e->wcond);
	pthread_mutex_unlock(&e->lock);
	engine_changed(e);
	return (0);
}

static void
engine_token(struct engine *e, char *out, size_t len)
{
	pthread_mutex_lock(&e->lock);
	strlcpy(out, e->token, len);
	pthread_mutex_unlock(&e->lock);
}

static int
engine_tracker_call(struct engine *e, const union message *req,
    union message *reply, struct mt_err *err)
{
	int	rc;

	if (e->tcall != NULL)
		return (e->tcall(e->targ, req, reply, err));
	if (e->tc == NULL)
		return (mt_err_set(err, MT_E_NET, _("no tracker configured")));
	rc = tracker_client_call(e->tc, req, reply, err);
	engine_changed(e);	/* the trackers' status may have changed */
	return (rc);
}

/* As engine_tracker_call(), through t's own trackers if it has them. */
static int
torrent_tracker_call(struct engine *e, struct torrent *t,
    const union message *req, union message *reply, struct mt_err *err)
{
	if (t->tc != NULL)
		return (tracker_client_call(t->tc, req, reply, err));
	return (engine_tracker_call(e, req, reply, err));
}

/*
 * The unit a share's .mtorrent gets: METAINFO_UNIT_SIZE, or for
 * benchmarks and tests MTORRENT_UNIT_SIZE (a power of two from 16 KiB
 * to 256 KiB; the piece size, 524288, for no units).  0: none.
 */
static uint32_t
engine_unit_size(void)
{
	const char	*v = getenv("MTORRENT_UNIT_SIZE");
	unsigned long	 u;

	if (v == NULL || (u = strtoul(v, NULL, 10)) == 0 || u > UINT32_MAX)
		return (METAINFO_UNIT_SIZE);
	if (u == METAINFO_PIECE_SIZE)
		return (0);
	if (metainfo_unit_size_ok(METAINFO_PIECE_SIZE, (uint32_t)u))
		return ((uint32_t)u);
	return (METAINFO_UNIT_SIZE);
}

/* Read unit i into buf and check it by SHA1: 1 good, 0 not. */
static int
engine_verify_piece(struct torrent *t, uint32_t i, uint8_t *buf)
{
	uint32_t	len = metainfo_unit_len(&t->mi, i);

	if (storage_read(&t->st, (uint64_t)i * t->mi.unit_size, buf, len,
	    NULL) != 0)
		return (0);
	return (metainfo_unit_check(&t->mi, i, buf, len));
}

/* Read unit i again at start (noted in checked); have it if good. */
static void
torrent_recheck(struct torrent *t, uint32_t i, uint8_t *buf,
    uint8_t *checked)
{
	picker_bit_set(checked, i);
	if (engine_verify_piece(t, i, buf))
		picker_set_have(&t->pk, i);
}

/*
 * The resume counters in pieces, from the units read at start
 * (checked): a whole piece none of whose units was read was trusted;
 * one with a unit read was rechecked, and recovered if it is whole.
 */
static void
torrent_count_resumed(struct torrent *t, const uint8_t *checked)
{
	uint32_t	per = t->mi.piece_size / t->mi.unit_size, i, u;
	int		whole, read;

	t->pieces_resumed = t->pieces_rechecked = t->pieces_recovered = 0;
	for (i = 0; i < t->mi.npieces; i++) {
		whole = 1;
		read = 0;
		for (u = i * per; u < (i + 1) * per && u < t->pk.npieces;
		    u++) {
			whole &= picker_has(&t->pk, u) != 0;
			read |= picker_bit(checked, u) != 0;
		}
		t->pieces_resumed += whole && !read;
		t->pieces_rechecked += read;
		t->pieces_recovered += whole && read;
	}
}

/* 1 if we have every unit of piece i. */
static int
torrent_piece_whole(const struct torrent *t, uint32_t i)
{
	uint32_t	per = t->mi.piece_size / t->mi.unit_size, u;

	for (u = i * per; u < (i + 1) * per && u < t->pk.npieces; u++)
		if (!picker_has(&t->pk, u))
			return (0);
	return (1);
}

/* Units verified since the last flush that make a flush due. */
static uint32_t
torrent_flush_units(const struct torrent *t)
{
	return (ENGINE_FLUSH_PIECES * (t->mi.piece_size / t->mi.unit_size));
}

uint32_t
torrent_pieces_have(const struct torrent *t)
{
	uint32_t	i, n = 0;

	if (t->mi.unit_size == t->mi.piece_size)
		return (t->pk.nhave);
	for (i = 0; i < t->mi.npieces; i++)
		n += torrent_piece_whole(t, i);
	return (n);
}

/*
 * Called by a worker once piece index is verified and written: count it,
 * relay `have` to subscribed uploads, and complete the torrent after the
 * last piece.  Takes no lock on entry.
 */
void
engine_piece_verified(struct engine *e, struct torrent *t, uint32_t index)
{
	struct upconn	*u;
	struct eng_peer	*p;
	struct mt_err	 err;
	uint64_t	 holders[TRANSFER_PEERS_MAX];
	size_t		 nholders = 0, h;
	struct buf	 have, brief, *f;
	union message	 m;
	unsigned	 k;
	int		 complete = 0, first, flush, framed;

	pthread_mutex_lock(&t->lock);
	if (!picker_set_have(&t->pk, index)) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	/*
	 * Peers that told us they hold this unit need no `have` of it:
	 * they will never ask for it.  What a peer told us is a subset
	 * of what it holds, so a `have` is only ever skipped for a peer
	 * that has the unit (a peer that lies hurts only itself).
	 */
	for (p = t->peers; p != NULL && nholders < TRANSFER_PEERS_MAX;
	    p = p->next) {
		if (p->known && !p->stale && p->bits != NULL &&
		    picker_bit(p->bits, index))
			holders[nholders++] = str_hash(p->addr);
	}
	if (torrent_piece_whole(t, metainfo_unit_piece(&t->mi, index)))
		t->pieces_fetched++;
	t->dirty++;
	first = !t->seeder_added;
	flush = t->dirty >= torrent_flush_units(t);
	if (picker_complete(&t->pk) && !t->committing) {
		t->committing = 1;
		complete = 1;
	}
	pthread_mutex_unlock(&t->lock);

	/*
	 * Relay at once: every upload subscribed to this file, written
	 * here where the upload's thread sleeps (no wake-up), else queued.
	 */
	memset(&m, 0, sizeof m);
	m.type = MSG_have;
	m.have.file_id = t->mi.file_id_hex;
	m.have.index = index;
	buf_init(&have, TRANSFER_HAVE_FRAME_MAX);
	buf_init(&brief, TRANSFER_HAVE_FRAME_MAX);
	framed = message_encode(&m, &have, NULL) == 0;
	m.have.file_id = "";
	framed = framed && message_encode(&m, &brief, NULL) == 0;
	pthread_mutex_lock(&e->lock);
	for (u = e->ups; u != NULL; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs; k++) {
			if (u->subs[k] != t)
				continue;
			if (u->unit[k] == t->mi.unit_size && nholders > 0 &&
			    u->listen[0] != '\0') {
				uint64_t x = str_hash(u->listen);

				for (h = 0; h < nholders; h++)
					if (holders[h] == x)
						break;
				if (h < nholders)
					break;
			}
			f = transfer_have_brief(u, k) ? &brief : &have;
			if (!framed || transfer_send_have(u, k,
			    buf_head(f), buf_used(f)) != 0)
				transfer_queue_have(u, k, index);
			break;
		}
		pthread_mutex_unlock(&u->lock);
	}
	if (first || flush) {
		e->wake = 1;
		pthread_cond_broadcast(&e->cond);
	}
	pthread_mutex_unlock(&e->lock);
	buf_done(&have);
	buf_done(&brief);
	engine_changed(e);

	if (!complete)
		return;
	/* Last piece: make the file whole under its own name. */
	if (storage_commit(&t->st, &err) != 0) {
		log_warn("%s: %s", t->mi.name, err.msg);
		pthread_mutex_lock(&t->lock);
		t->state = TORRENT_ERROR;
		strlcpy(t->errmsg, err.msg, sizeof t->errmsg);
		pthread_mutex_unlock(&t->lock);
	} else {
		uint32_t fetched, bad, resumed, recovered;

		pthread_mutex_lock(&t->lock);
		storage_set_committed(&t->st);
		t->state = TORRENT_SEEDING;
		fetched = t->pieces_fetched;
		bad = t->pieces_bad;
		resumed = t->pieces_resumed;
		recovered = t->pieces_recovered;
		pthread_mutex_unlock(&t->lock);
		log_info(_("%s: complete (%u pieces fetched, %u bad, %u"
		    " resumed, %u recovered)"), t->mi.name, fetched, bad,
		    resumed, recovered);
	}
	engine_wake(e);
	engine_changed(e);
}

/*
 * Write dirty bitfields to the db: sync the data first so every recorded
 * piece is on disk.  force: flush even if not dirty (shutdown).
 */
static void
engine_flush(struct engine *e, int force)
{
	struct torrent		**v = NULL, *t;
	struct peerdb_row	  r;
	struct mt_err		  err;
	size_t			  n = 0, i, blen;
	uint8_t			 *bits;
	uint64_t		  size;
	int64_t			  mtime;
	int			  role;
	char			  path[4096];

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		v = xreallocarray(v, n + 1, sizeof *v);
		torrent_ref(t);
		v[n++] = t;
	}
	pthread_mutex_unlock(&e->lock);
	for (i = 0; i < n; i++) {
		t = v[i];
		pthread_mutex_lock(&t->lock);
		if (t->dirty == 0 && !force) {
			pthread_mutex_unlock(&t->lock);
			torrent_unref(e, t);
			continue;
		}
		t->dirty = 0;
		blen = PICKER_BITFIELD_LEN(t->pk.npieces);
		bits = xmalloc(blen + 1);
		memcpy(bits, t->pk.have, blen);
		role = t->state == TORRENT_SEEDING ? PEERDB_ROLE_SEED :
		    PEERDB_ROLE_DOWNLOAD;
		strlcpy(path, t->st.path, sizeof path);
		pthread_mutex_unlock(&t->lock);

		memset(&r, 0, sizeof r);
		r.file_id = t->mi.file_id_hex;
		r.bits = bits;
		r.bitslen = blen;
		r.role = role;
		r.data_path = path;
		if (storage_sync(&t->st, &err) == 0 &&
		    storage_stat(&t->st, &size, &mtime, &err) == 0) {
			r.size = size;
			r.mtime_ns = mtime;
			if (peerdb_update(e->db, &r, &err) != 0)
				log_warn("%s: %s", t->mi.name, err.msg);
		} else
			log_warn("%s: flush: %s", t->mi.name, err.msg);
		free(bits);
		torrent_unref(e, t);
	}
	free(v);
}

/* Announce t alone to its own trackers (t->tc != NULL). */
static void
engine_announce_own(struct engine *e, struct torrent *t, const char *token)
{
	union message	req, rep;
	struct mt_err	err;
	struct wire_arg	id;

	id.p = t->mi.file_id_hex;
	id.len = (uint32_t)strlen(t->mi.file_id_hex);
	memset(&req, 0, sizeof req);
	req.type = MSG_announce;
	req.announce.token = token;
	req.announce.seeder = e->listen;
	req.announce.file_ids.n = 1;
	req.announce.file_ids.v = &id;
	pthread_mutex_lock(&e->tlock);
	if (tracker_client_call(t->tc, &req, &rep, &err) != 0)
		log_debug("%s: announce: %s", __func__, err.msg);
	pthread_mutex_unlock(&e->tlock);
}

/* Merge the tracker's seeder list into t's peers. */
static void
engine_seeders(struct engine *e, struct torrent *t, uint64_t now)
{
	union message	 req, rep;
	struct mt_err	 err;
	struct eng_peer	*p;
	char		 token[256];
	char		(*addrs)[NET_ADDR_MAX] = NULL;
	uint32_t	 i, n = 0, usable = 0;

	t->asked_ms = now;
	engine_token(e, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.type = MSG_seeders;
	req.seeders.token = token;
	req.seeders.file_id = t->mi.file_id_hex;
	pthread_mutex_lock(&e->tlock);
	if (torrent_tracker_call(e, t, &req, &rep, &err) == 0 &&
	    rep.type == MSG_seeders_reply) {
		n = rep.seeders_reply.seeders.n;
		addrs = xcalloc(n + 1, sizeof *addrs);
		for (i = 0; i < n; i++)
			strlcpy(addrs[i], rep.seeders_reply.seeders.v[i].p,
			    sizeof addrs[i]);
	} else
		log_debug("%s: seeders: %s", __func__, err.msg);
	pthread_mutex_unlock(&e->tlock);

	pthread_mutex_lock(&t->lock);
	for (p = t->peers; p != NULL; p = p->next)
		p->listed = 0;
	for (i = 0; i < n; i++) {
		if (strcmp(addrs[i], e->listen) == 0)
			continue;
		for (p = t->peers; p != NULL; p = p->next) {
			if (strcmp(p->addr, addrs[i]) == 0)
				break;
		}
		if (p == NULL) {
			p = xcalloc(1, sizeof *p);
			strlcpy(p->addr, addrs[i], sizeof p->addr);
			p->next = t->peers;
			t->peers = p;
		}
		p->listed = 1;
		p->rank = i;
	}
	for (p = t->peers; p != NULL; p = p->next) {
		if (!p->banned && (p->listed || p->sessions > 0 ||
		    p->incoming))
			usable++;
	}
	t->want_peers = 0;
	pthread_mutex_unlock(&t->lock);
	free(addrs);

	/* No one to fetch from: ask again with back-off, never spin. */
	if (usable == 0) {
		t->backoff_s = t->backoff_s ? t->backoff_s * 2 : 1;
		if (t->backoff_s > ENGINE_BACKOFF_MAX_S)
			t->backoff_s = ENGINE_BACKOFF_MAX_S;
		t->peers_ms = now + t->backoff_s * 1000ULL;
	} else {
		/*
		 * While we know fewer peers than we have workers, look
		 * for more every second: in a swarm that starts together,
		 * the others register within moments.
		 */
		t->backoff_s = 0;
		t->peers_ms = now + (usable < e->workers ?
		    ENGINE_SEEDERS_FEW_MS : ENGINE_SEEDERS_MS);
	}
	engine_wake(e);
	engine_changed(e);
}

/* True if some torrent has ENGINE_FLUSH_PIECES unflushed pieces. */
static int
engine_dirty(struct engine *e)
{
	struct torrent	*t;
	int		 dirty = 0;

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL && !dirty; t = t->next) {
		pthread_mutex_lock(&t->lock);
		dirty = t->dirty >= torrent_flush_units(t);
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return (dirty);
}

/* The housekeeping thread: see doc/architecture.md. */
static void *
engine_house_main(void *arg)
{
	struct engine	*e = arg;
	struct torrent	*t, **v;
	union message	 req, rep;
	struct mt_err	 err;
	struct timespec	 ts;
	const char	**ids;
	char		 token[256];
	size_t		 n, i, nids;
	uint64_t	 now, g;
	int		 want, add;

	log_set_thread_name("eng-house");
	while (!atomic_load(&e->stopping)) {
		now = engine_now_ms();

		/* Snapshot the torrent list with references. */
		pthread_mutex_lock(&e->lock);
		e->wake = 0;
		n = 0;
		for (t = e->torrents; t != NULL; t = t->next)
			n++;
		v = xcalloc(n + 1, sizeof *v);
		n = 0;
		for (t = e->torrents; t != NULL; t = t->next) {
			torrent_ref(t);
			v[n++] = t;
		}
		pthread_mutex_unlock(&e->lock);

		engine_token(e, token, sizeof token);
		for (i = 0; i < n && !atomic_load(&e->stopping); i++) {
			t = v[i];
			pthread_mutex_lock(&t->lock);
			if (t->state == TORRENT_ERROR && t->io_retry_ms != 0 &&
			    now >= t->io_retry_ms) {
				log_info(_("%s: retrying after: %s"), t->mi.name,
				    t->errmsg);
				t->state = TORRENT_DOWNLOADING;
				t->errmsg[0] = '\0';
				t->io_retry_ms = 0;
				t->want_peers = 1;
				engine_changed(e);
			}
			want = t->state == TORRENT_DOWNLOADING &&
			    (now >= t->peers_ms || (t->want_peers &&
			    now >= t->asked_ms + ENGINE_ASK_MIN_MS));
			/*
			 * Register at once, before the first piece: the
			 * others find us and our `have`s reach them as
			 * soon as we verify a piece.
			 */
			add = !t->seeder_added && t->state != TORRENT_ERROR &&
			    now >= t->add_retry_ms;
			/* Verified pieces, batched, for the log pane (what
			 * was there at the first look is not news). */
			if (t->logged_ms == 0 || (t->pk.nhave > t->logged_unit &&
			    now >= t->logged_ms + ENGINE_PROGRESS_MS)) {
				uint32_t have = torrent_pieces_have(t);

				if (t->logged_ms != 0 &&
				    t->state == TORRENT_DOWNLOADING &&
				    have > t->logged_have)
					log_info(ngettext("%s: %u more piece "
					    "verified (%u/%u)", "%s: %u more "
					    "pieces verified (%u/%u)",
					    have - t->logged_have),
					    t->mi.name, have -
					    t->logged_have, have,
					    t->mi.npieces);
				if (t->logged_ms == 0 || have > t->logged_have) {
					t->logged_have = have;
					t->logged_unit = t->pk.nhave;
				}
				t->logged_ms = now;
			}
			pthread_mutex_unlock(&t->lock);
			/*
			 * The list first: under load a tracker call takes
			 * tens of ms, and our own entry is no use to us.
			 */
			if (want)
				engine_seeders(e, t, now);
			if (add) {
				memset(&req, 0, sizeof req);
				req.type = MSG_seeder_add;
				req.seeder_add.token = token;
				req.seeder_add.file_id = t->mi.file_id_hex;
				req.seeder_add.seeder = e->listen;
				pthread_mutex_lock(&e->tlock);
				if (torrent_tracker_call(e, t, &req, &rep,
				    &err) == 0) {
					pthread_mutex_lock(&t->lock);
					t->seeder_added = 1;
					pthread_mutex_unlock(&t->lock);
				} else {
					/* Refused or unreachable: back off. */
					if (t->add_backoff_ms == 0 &&
					    (err.code == MT_E_AUTH ||
					    err.code == MT_E_DENIED))
						log_warn(_("%s: the tracker does "
						    "not list us as a seeder: %s"),
						    t->mi.name, err.msg);
					t->add_backoff_ms = t->add_backoff_ms ?
					    t->add_backoff_ms * 2 : 1000;
					if (t->add_backoff_ms >
					    ENGINE_ADD_BACKOFF_MAX_MS)
						t->add_backoff_ms =
						    ENGINE_ADD_BACKOFF_MAX_MS;
					t->add_retry_ms = now +
					    t->add_backoff_ms;
					log_debug("%s: seeder_add: %s",
					    t->mi.name, err.msg);
				}
				pthread_mutex_unlock(&e->tlock);
			}
		}

		/* Announce every file we can serve a piece of. */
		if (now >= e->announce_ms) {
			ids = xcalloc(n + 1, sizeof *ids);
			nids = 0;
			for (i = 0; i < n; i++) {
				pthread_mutex_lock(&v[i]->lock);
				if (v[i]->pk.nhave > 0 &&
				    v[i]->tc != NULL) {
					pthread_mutex_unlock(&v[i]->lock);
					engine_announce_own(e, v[i], token);
					continue;
				}
				if (v[i]->pk.nhave > 0 &&
				    nids < MSG_LIST_MAX)
					ids[nids++] = v[i]->mi.file_id_hex;
				pthread_mutex_unlock(&v[i]->lock);
			}
			if (nids > 0) {
				struct wire_arg *wa;

				wa = xcalloc(nids, sizeof *wa);
				for (i = 0; i < nids; i++) {
					wa[i].p = ids[i];
					wa[i].len = (uint32_t)strlen(ids[i]);
				}
				memset(&req, 0, sizeof req);
				req.type = MSG_announce;
				req.announce.token = token;
				req.announce.seeder = e->listen;
				req.announce.file_ids.n = (uint32_t)nids;
				req.announce.file_ids.v = wa;
				pthread_mutex_lock(&e->tlock);
				if (engine_tracker_call(e, &req, &rep,
				    &err) != 0)
					log_debug("%s: announce: %s",
					    __func__, err.msg);
				pthread_mutex_unlock(&e->tlock);
				free(wa);
			} else if (e->tc != NULL &&
			    tracker_client_count(e->tc) > 0) {
				/* Nothing to announce: a ping keeps the
				 * trackers' status (dashboard) true. */
				memset(&req, 0, sizeof req);
				req.type = MSG_ping;
				pthread_mutex_lock(&e->tlock);
				if (engine_tracker_call(e, &req, &rep,
				    &err) != 0)
					log_debug("%s: ping: %s", __func__,
					    err.msg);
				pthread_mutex_unlock(&e->tlock);
			}
			free(ids);
			e->announce_ms = now + ENGINE_ANNOUNCE_MS;
		}
		for (i = 0; i < n; i++)
			torrent_unref(e, v[i]);
		free(v);

		if (now >= e->flush_ms || engine_dirty(e)) {
			engine_flush(e, 0);
			e->flush_ms = now + ENGINE_FLUSH_MS;
		}
		transfer_reap(e, 0);

		/* At most ~10 UI events a second. */
		g = atomic_load(&e->gen);
		if (g != e->ev_gen) {
			e->ev_gen = g;
			(void)write(e->ev_pipe[1], "e", 1);
		}

		pthread_mutex_lock(&e->lock);
		if (!e->wake && !atomic_load(&e->stopping)) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += 100 * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&e->cond, &e->lock, &ts);
		}
		pthread_mutex_unlock(&e->lock);
	}
	return (NULL);
}

/* Context for resuming rows from the db at start. */
struct engine_resume {
	struct engine	*e;
	unsigned	 n;
};

/* Rebuild one torrent from its db row (see "Resume" in the design). */
static void
engine_resume_row(void *arg, const struct peerdb_row *r)
{
	struct engine_resume	*er = arg;
	struct engine		*e = er->e;
	struct metainfo		 mi;
	struct torrent		*t;
	struct mt_err		 err;
	uint8_t			*buf, *data = NULL, *checked;
	uint64_t		 size;
	int64_t			 mtime;
	uint32_t		 i;
	int			 trust, created, check_all = 0;

	metainfo_init(&mi);
	if (metainfo_parse(r->meta, r->metalen, &mi, &err) != 0) {
		log_warn("state db: %s: %s", r->file_id, err.msg);
		return;
	}
	t = torrent_create(e, &mi, r->meta, r->metalen);
	metainfo_done(&mi);
	strlcpy(t->mtorrent, r->mtorrent, sizeof t->mtorrent);
	strlcpy(t->dir, r->dir, sizeof t->dir);

	if (r->role == PEERDB_ROLE_SEED || *r->dir == '\0') {
		t->state = TORRENT_SEEDING;
		t->superseed = *r->dir == '\0';	/* our own share */
		if (storage_open_final(&t->st, NULL, r->data_path, t->mi.size,
		    &err) != 0)
			goto error;
		check_all = 1;
	} else {
		t->state = TORRENT_DOWNLOADING;
		if (storage_open_part(&t->st, r->dir, t->mi.name, t->mi.size,
		    &created, &err) != 0) {
			if (err.code != MT_E_EXISTS)
				goto error;
			/* Renamed before the db learnt it: verify it. */
			if (storage_open_final(&t->st, r->dir, t->mi.name,
			    t->mi.size, &err) != 0)
				goto error;
			t->state = TORRENT_SEEDING;
			check_all = 1;
		}
	}

	buf = xmalloc(t->mi.unit_size ? t->mi.unit_size : 1);
	checked = xcalloc(PICKER_BITFIELD_LEN(t->mi.nunits) + 1, 1);
	trust = 0;
	if (storage_stat(&t->st, &size, &mtime, &err) == 0 &&
	    r->bitslen == PICKER_BITFIELD_LEN(t->mi.nunits)) {
		/*
		 * Only a file as we left it is trusted.  After a crash the
		 * part file is newer than its record (pieces written since
		 * the last flush), but it may also have been replaced or
		 * damaged meanwhile: every recorded piece is verified again.
		 */
		if (size == r->size && mtime == r->mtime_ns)
			trust = 1;
	}
	if (check_all && trust && t->state == TORRENT_SEEDING)
		check_all = 0;
	for (i = 0; i < t->mi.nunits; i++) {
		int rec = r->bits != NULL && i / 8 < r->bitslen &&
		    picker_bit(r->bits, i);

		if (rec && trust)
			picker_set_have(&t->pk, i);
		else if (rec || check_all)
			torrent_recheck(t, i, buf, checked);
	}
	/* After a crash: pieces written since the last flush hold data. */
	if (!e->was_clean && t->state == TORRENT_DOWNLOADING) {
		data = xcalloc(PICKER_BITFIELD_LEN(t->mi.nunits) + 1, 1);
		if (storage_data_pieces(&t->st, t->mi.unit_size,
		    t->mi.nunits, data, &err) == 0) {
			for (i = 0; i < t->mi.nunits; i++) {
				/* Each piece is hashed once at most. */
				if (picker_bit(data, i) &&
				    !picker_has(&t->pk, i) &&
				    !picker_bit(checked, i))
					torrent_recheck(t, i, buf, checked);
			}
		}
		free(data);
	}
	/*
	 * A whole file whose record lags (a crash between the rename or the
	 * role change and the bitfield flush): check what is missing before
	 * calling it damaged.
	 */
	if (t->state == TORRENT_SEEDING && !picker_complete(&t->pk)) {
		for (i = 0; i < t->mi.nunits; i++)
			if (!picker_has(&t->pk, i) && !picker_bit(checked, i))
				torrent_recheck(t, i, buf, checked);
	}
	free(buf);
	torrent_count_resumed(t, checked);
	free(checked);
	if (t->state == TORRENT_SEEDING && !picker_complete(&t->pk)) {
		mt_err_set(&err, MT_E_CORRUPT, _("%s: data changed on disk"),
		    t->st.path);
		goto error;
	}
	if (t->state == TORRENT_DOWNLOADING && picker_complete(&t->pk)) {
		if (storage_commit(&t->st, &err) != 0)
			goto error;
		storage_set_committed(&t->st);
		t->state = TORRENT_SEEDING;
	}
	t->dirty = 1;
	log_info(_("resumed %s: %u/%u pieces (%u trusted, %u rechecked, %u"
	    " good)"), t->mi.name, torrent_pieces_have(t), t->mi.npieces,
	    t->pieces_resumed, t->pieces_rechecked, t->pieces_recovered);
	goto add;
error:
	log_warn("resume %s: %s", t->mi.name, err.msg);
	t->state = TORRENT_ERROR;
	strlcpy(t->errmsg, err.msg, sizeof t->errmsg);
add:
	if (engine_add(e, t, &err) != 0)
		torrent_free(t);
	else
		er->n++;
}

struct engine *
engine_start(const struct engine_config *cfg, struct mt_err *err)
{
	struct engine		*e;
	struct engine_resume	 er;
	pthread_condattr_t	 ca;
	const char		*cc;
	char			 addr[64];
	uint8_t			 rnd[20];
	unsigned		 i;
	int			 fd;

	e = xcalloc(1, sizeof *e);
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->tlock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->cond, &ca);
	pthread_cond_init(&e->wcond, &ca);
	pthread_condattr_destroy(&ca);
	e->lfd = -1;
	e->lockfd = -1;
	e->stop_pipe[0] = e->stop_pipe[1] = -1;
	e->ev_pipe[0] = e->ev_pipe[1] = -1;
	e->workers = cfg->workers ? cfg->workers : ENGINE_DEFAULT_WORKERS;
	e->slots = cfg->upload_slots ? cfg->upload_slots :
	    ENGINE_DEFAULT_SLOTS;
	e->depth = ENGINE_DEFAULT_DEPTH;
	e->idle_ms = ENGINE_IDLE_MS;
	e->us = upsched_create(ENGINE_UPLOAD_STREAMS);
	e->queue_max = ENGINE_UPLOAD_QUEUE;
	e->tcall = cfg->tracker_call;
	e->seed = cfg->seed;
	e->targ = cfg->tracker_arg;
	strlcpy(e->state_dir, cfg->state_dir != NULL ? cfg->state_dir :
	    ".mtorrent", sizeof e->state_dir);
	for (i = 0; i < cfg->ntrackers && i < ENGINE_TRACKERS_MAX; i++)
		strlcpy(e->trackers[e->ntrackers++], cfg->trackers[i],
		    sizeof e->trackers[0]);
	if (cfg->embedded_tracker != NULL)
		strlcpy(e->embedded, cfg->embedded_tracker,
		    sizeof e->embedded);

	if (pipe2(e->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    pipe2(e->ev_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		mt_err_set(err, MT_E_IO, "pipe: %s", strerror(errno));
		goto fail;
	}
	/* One peer per state directory: a second would corrupt the resume. */
	if (engine_lock_state(e, err) != 0)
		goto fail;
	if ((e->db = peerdb_open(e->state_dir, &e->was_clean, err)) == NULL)
		goto fail;
	if (peerdb_state_get(e->db, "node_id", e->node_id,
	    sizeof e->node_id) != 0 || strlen(e->node_id) != 40) {
		if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1 ||
		    read(fd, rnd, sizeof rnd) != (ssize_t)sizeof rnd) {
			if (fd != -1)
				close(fd);
			mt_err_set(err, MT_E_IO, "urandom: %s",
			    strerror(errno));
			goto fail;
		}
		close(fd);
		hash_hex(rnd, sizeof rnd, e->node_id);
		if (peerdb_state_set(e->db, "node_id", e->node_id, err) != 0)
			goto fail;
	}
	/* The session of the last run, if any (engine_set_session()). */
	if (peerdb_state_get(e->db, "session_user", e->user,
	    sizeof e->user) != 0 || peerdb_state_get(e->db, "session_token",
	    e->token, sizeof e->token) != 0)
		e->user[0] = e->token[0] = '\0';

	strlcpy(addr, cfg->listen[0] != '\0' ? cfg->listen :
	    "127.0.0.1:6881", sizeof addr);
	if ((e->lfd = net_listen(addr, 128, err)) == -1)
		goto fail;
	if (net_local_addr(e->lfd, e->listen, sizeof e->listen) != 0) {
		mt_err_set(err, MT_E_NET, "getsockname: %s", strerror(errno));
		goto fail;
	}
	/* Upload connections are accepted here and inherit it. */
	cc = cfg->congestion != NULL ? cfg->congestion :
	    ENGINE_DEFAULT_CONGESTION;
	if (strcmp(cc, "system") != 0 &&
	    net_set_congestion(e->lfd, cc, err) != 0) {
		if (cfg->congestion != NULL)
			goto fail;
		log_warn(_("%s; uploads use the system's"), err->msg);
		mt_err_clear(err);	/* not a failure: the start goes on */
		cc = "system";
	}
	strlcpy(e->congestion, cc, sizeof e->congestion);
	if (e->tcall == NULL) {
		const char	*addrs[ENGINE_TRACKERS_MAX];
		char		*known;

		for (i = 0; i < e->ntrackers; i++)
			addrs[i] = e->trackers[i];
		xasprintf(&known, "%s/known_trackers", e->state_dir);
		e->tc = tracker_client_create(addrs, e->ntrackers, known,
		    e->node_id, e->listen);
		free(known);
		/* Pins first: no thread has talked to a tracker yet. */
		for (i = 0; i < e->ntrackers; i++)
			if (cfg->tracker_fprs[i] != NULL)
				tracker_client_add(e->tc, e->trackers[i],
				    cfg->tracker_fprs[i]);
	}

	/* Resume before serving, so requests see the verified pieces. */
	er.e = e;
	er.n = 0;
	if (peerdb_load(e->db, engine_resume_row, &er, err) != 0)
		goto fail;
	if (er.n > 0 && e->was_clean)
		log_info(_("resumed %u torrents (clean exit)"), er.n);
	else if (er.n > 0)
		log_info(_("resumed %u torrents (unclean exit)"), er.n);

	if (pthread_create(&e->accept, NULL, transfer_accept_main, e) != 0)
		fatal("pthread_create");
	if (pthread_create(&e->house, NULL, engine_house_main, e) != 0)
		fatal("pthread_create");
	e->pool = pool_create(e->workers, "eng-work");
	for (i = 0; i < e->workers; i++)
		pool_submit(e->pool, transfer_worker, e);
	log_info(_("peer engine listening on %s, %u workers, %u upload slots, "
	    "congestion control %s"), e->listen, e->workers, e->slots,
	    e->congestion);
	return (e);
fail:
	if (e->lfd != -1)
		close(e->lfd);
	tracker_client_free(e->tc);
	upsched_free(e->us);
	peerdb_close(e->db, 0);
	if (e->lockfd != -1)
		close(e->lockfd);
	for (i = 0; i < 2; i++) {
		if (e->stop_pipe[i] != -1)
			close(e->stop_pipe[i]);
		if (e->ev_pipe[i] != -1)
			close(e->ev_pipe[i]);
	}
	free(e);
	return (NULL);
}

/* Take an exclusive lock on state_dir/lock, or fail with MT_E_BUSY. */
static int
engine_lock_state(struct engine *e, struct mt_err *err)
{
	char	*path;

	if (mkdir(e->state_dir, 0700) != 0 && errno != EEXIST)
		return (mt_err_set(err, MT_E_IO, _("cannot create %s: %s"),
		    e->state_dir, strerror(errno)));
	xasprintf(&path, "%s/lock", e->state_dir);
	e->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	free(path);
	if (e->lockfd == -1)
		return (mt_err_set(err, MT_E_IO, _("%s: cannot open its lock "
		    "file: %s"), e->state_dir, strerror(errno)));
	if (flock(e->lockfd, LOCK_EX | LOCK_NB) != 0) {
		close(e->lockfd);
		e->lockfd = -1;
		return (mt_err_set(err, MT_E_BUSY, _("state directory %s is in "
		    "use by another mtorrent peer"), e->state_dir));
	}
	return (0);
}

void
engine_stop(struct engine *e)
{
	struct torrent	*t;
	union message	 req, rep;
	struct mt_err	 err;
	char		 token[256];
	int		 i;

	if (e == NULL)
		return;
	/*
	 * Threads first (uploads end, sessions release their pieces, the
	 * house makes no more tracker calls), then bye, then the last flush.
	 */
	atomic_store(&e->stopping, 1);
	(void)write(e->stop_pipe[1], "s", 1);
	engine_wake(e);
	pthread_mutex_lock(&e->lock);
	pthread_cond_broadcast(&e->wcond);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->accept, NULL);
	pthread_join(e->house, NULL);
	pool_free(e->pool);
	transfer_reap(e, 1);

	engine_token(e, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.type = MSG_bye;
	req.bye.token = token;
	req.bye.seeder = e->listen;
	pthread_mutex_lock(&e->tlock);
	if (engine_tracker_call(e, &req, &rep, &err) != 0)
		log_debug("%s: bye: %s", __func__, err.msg);
	for (t = e->torrents; t != NULL; t = t->next)
		if (t->tc != NULL &&
		    tracker_client_call(t->tc, &req, &rep, &err) != 0)
			log_debug("%s: bye: %s", __func__, err.msg);
	pthread_mutex_unlock(&e->tlock);
	engine_flush(e, 1);

	while ((t = e->torrents) != NULL) {
		e->torrents = t->next;
		torrent_unref(e, t);
	}
	tracker_client_free(e->tc);
	upsched_free(e->us);
	peerdb_close(e->db, 1);
	if (e->lockfd != -1)
		close(e->lockfd);
	close(e->lfd);
	for (i = 0; i < 2; i++) {
		close(e->stop_pipe[i]);
		close(e->ev_pipe[i]);
	}
	pthread_cond_destroy(&e->cond);
	pthread_cond_destroy(&e->wcond);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->tlock);
	free(e);
}

const char *
engine_listen_addr(const struct engine *e)
{
	return (e->listen);
}

struct tracker_client *
engine_tracker(struct engine *e)
{
	return (e->tc);
}

void
engine_set_session(struct engine *e, const char *user, const char *token)
{
	struct mt_err	err;

	pthread_mutex_lock(&e->lock);
	strlcpy(e->user, user != NULL ? user : "", sizeof e->user);
	strlcpy(e->token, token != NULL ? token : "", sizeof e->token);
	pthread_mutex_unlock(&e->lock);
	/*
	 * Kept across restarts (the state directory is private), so that a
	 * restarted peer still announces its group files; logout clears it.
	 */
	if (e->db != NULL && (peerdb_state_set(e->db, "session_user",
	    user != NULL ? user : "", &err) != 0 ||
	    peerdb_state_set(e->db, "session_token", token != NULL ? token :
	    "", &err) != 0))
		log_warn("state db: session: %s", err.msg);
	engine_changed(e);
}

void
engine_session(struct engine *e, char *user, size_t ulen, char *token,
    size_t tlen)
{
	pthread_mutex_lock(&e->lock);
	if (user != NULL)
		strlcpy(user, e->user, ulen);
	if (token != NULL)
		strlcpy(token, e->token, tlen);
	pthread_mutex_unlock(&e->lock);
}

/* Fill mi's trackers from the engine's list. */
static void
engine_mi_trackers(struct engine *e, struct metainfo *mi)
{
	size_t	i;
	char	fpr[METAINFO_FPR_LEN + 1];

	/* Each tracker with its pinned fingerprint, once one is known. */
	mi->ntrackers = 0;
	for (i = 0; i < e->ntrackers && i < METAINFO_TRACKERS_MAX; i++) {
		if (e->tc == NULL || tracker_client_fingerprint(e->tc,
		    e->trackers[i], fpr, sizeof fpr) != 0)
			fpr[0] = '\0';
		if (metainfo_tracker_set(&mi->trackers[mi->ntrackers],
		    e->trackers[i], fpr, NULL) == 0)
			mi->ntrackers++;
	}
}

int
engine_share(struct engine *e, const char *path, const char *mtorrent_out,
    const char *group, char *id_out, struct mt_err *err)
{
	struct metainfo		 mi;
	struct torrent		*t = NULL;
	struct peerdb_row	 r;
	union message		 req, rep;
	struct buf		 text;
	char			*copy, *base, token[256];
	char			 abspath[4096];
	uint8_t			*digests = NULL, *chain = NULL;
	uint64_t		 size;
	int64_t			 mtime;
	uint32_t		 n, i, unit;
	int			 created = 0;

	metainfo_init(&mi);
	buf_init(&text, METAINFO_TEXT_MAX);
	if (realpath(path, abspath) == NULL)
		return (mt_err_set(err, MT_E_NOTFOUND, _("%s: %s"), path,
		    strerror(errno)));
	copy = xstrdup(abspath);
	base = basename(copy);
	if (metainfo_name_check(base, strlen(base), err) != 0) {
		free(copy);
		return (-1);
	}
	strlcpy(mi.name, base, sizeof mi.name);
	free(copy);
	strlcpy(mi.group, group != NULL ? group : "", sizeof mi.group);
	/* One pass: the piece digests and the chaining values of units. */
	unit = engine_unit_size();
	if (hash_file_pieces(abspath, METAINFO_PIECE_SIZE, unit, 0, &digests,
	    unit != 0 ? &chain : NULL, &size, &n, NULL, NULL, err) != 0)
		return (-1);
	mi.size = size;
	mi.piece_size = METAINFO_PIECE_SIZE;
	mi.npieces = n;
	mi.pieces = digests != NULL ? digests : xcalloc(1, 1);
	mi.chain = chain;
	if (chain != NULL) {
		mi.has_units = 1;
		mi.unit_size = unit;
	}
	engine_mi_trackers(e, &mi);
	if (metainfo_finish(&mi, err) != 0 ||
	    metainfo_write(&mi, &text, err) != 0)
		goto fail;
	if (mtorrent_out != NULL && *mtorrent_out != '\0') {
		struct stat	sb;

		if (engine_mtorrent_taken(&mi, mtorrent_out, err))
			goto fail;
		created = lstat(mtorrent_out, &sb) != 0;
		if (metainfo_save(&mi, mtorrent_out, err) != 0) {
			created = 0;
			goto fail;
		}
	}

	t = torrent_create(e, &mi, (const char *)buf_head(&text),
	    buf_used(&text));
	if (mtorrent_out != NULL)
		strlcpy(t->mtorrent, mtorrent_out, sizeof t->mtorrent);
	t->state = TORRENT_SEEDING;
	if (storage_open_final(&t->st, NULL, abspath, mi.size, err) != 0)
		goto fail;
	for (i = 0; i < mi.nunits; i++)
		picker_set_have(&t->pk, i);
	t->superseed = 1;
	t->seeder_added = 1;

	engine_token(e, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.type = MSG_share;
	req.share.token = token;
	req.share.file_id = mi.file_id_hex;
	req.share.name = mi.name;
	req.share.size = mi.size;
	req.share.piece_size = mi.piece_size;
	req.share.pieces.p = mi.pieces;
	req.share.pieces.len = mi.npieces * 20;
	req.share.group = mi.group;
	req.share.seeder = e->listen;
	/* Units for download_file, if they fit the trackers' record. */
	if (mi.has_units && mi.nunits - mi.npieces <= MSG_CHAIN_MAX &&
	    mi.nunits > mi.npieces) {
		req.share.unit_size = mi.unit_size;
		req.share.chain.p = mi.chain;
		req.share.chain.len = (mi.nunits - mi.npieces) * 20;
	}
	pthread_mutex_lock(&e->tlock);
	if (engine_tracker_call(e, &req, &rep, err) != 0) {
		pthread_mutex_unlock(&e->tlock);
		goto fail;
	}
	pthread_mutex_unlock(&e->tlock);

	if (engine_add(e, t, err) != 0) {
		/* Sharing the same file again is fine: it is re-registered. */
		if (err->code == MT_E_EXISTS) {
			if (id_out != NULL)
				strlcpy(id_out, mi.file_id_hex, 41);
			torrent_free(t);
			metainfo_done(&mi);
			buf_done(&text);
			mt_err_clear(err);
			return (0);
		}
		goto fail;
	}
	memset(&r, 0, sizeof r);
	r.file_id = mi.file_id_hex;
	r.mtorrent = t->mtorrent;
	r.meta = t->meta;
	r.metalen = t->metalen;
	r.dir = "";
	r.data_path = abspath;
	r.role = PEERDB_ROLE_SEED;
	r.bits = t->pk.have;
	r.bitslen = PICKER_BITFIELD_LEN(mi.nunits);
	if (storage_stat(&t->st, &size, &mtime, NULL) == 0) {
		r.size = size;
		r.mtime_ns = mtime;
	}
	if (peerdb_put(e->db, &r, err) != 0)
		log_warn("%s: %s", mi.name, err->msg);
	if (id_out != NULL)
		strlcpy(id_out, mi.file_id_hex, 41);
	log_info(_("sharing %s (%s, %u pieces)"), abspath, mi.file_id_hex,
	    mi.npieces);
	metainfo_done(&mi);
	buf_done(&text);
	return (0);
fail:
	/* A share that failed (say, refused by the tracker) leaves nothing. */
	if (created)
		(void)unlink(mtorrent_out);
	torrent_free(t);
	metainfo_done(&mi);
	buf_done(&text);
	return (-1);
}

/*
 * 1 and err set (MT_E_EXISTS) if path holds something other than a
 * .mtorrent of mi's file: sharing never replaces another file's
 * .mtorrent (or anything else) behind the user's back.
 */
static int
engine_mtorrent_taken(const struct metainfo *mi, const char *path,
    struct mt_err *err)
{
	struct metainfo	old;
	struct mt_err	e2;
	struct stat	sb;
	int		taken;

	if (lstat(path, &sb) != 0)
		return (0);
	metainfo_init(&old);
	if (metainfo_load(path, &old, &e2) != 0) {
		mt_err_set(err, MT_E_EXISTS, _("%s exists and is not a "
		    "readable .mtorrent; remove it or choose another name"),
		    path);
		return (1);
	}
	taken = strcmp(old.file_id_hex, mi->file_id_hex) != 0;
	if (taken)
		mt_err_set(err, MT_E_EXISTS, _("%s exists and describes "
		    "another file (%s); remove it or choose another name"),
		    path, old.name);
	metainfo_done(&old);
	return (taken);
}

/* Start downloading mi to dest (a directory or a file path). */
static int
engine_start_download(struct engine *e, struct metainfo *mi,
    const char *mtorrent, const char *dest, struct mt_err *err)
{
	struct torrent		*t;
	struct peerdb_row	 r;
	struct stat		 sb;
	struct buf		 text;
	char			 dir[4096], absdir[PATH_MAX];
	char			 name[METAINFO_NAME_MAX + 1];
	char			*copy;
	int			 created = 0;

	if (metainfo_name_check(mi->name, strlen(mi->name), err) != 0)
		return (-1);
	if (stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		strlcpy(dir, dest, sizeof dir);
		strlcpy(name, mi->name, sizeof name);
	} else {
		copy = xstrdup(dest);
		strlcpy(dir, dirname(copy), sizeof dir);
		free(copy);
		copy = xstrdup(dest);
		strlcpy(name, basename(copy), sizeof name);
		free(copy);
		if (metainfo_name_check(name, strlen(name), err) != 0)
			return (-1);
	}
	if (realpath(dir, absdir) == NULL)
		return (mt_err_set(err, MT_E_NOTFOUND, _("%s: %s"), dest,
		    strerror(errno)));
	strlcpy(dir, absdir, sizeof dir);
	/* The destination name wins over the metainfo's. */
	strlcpy(mi->name, name, sizeof mi->name);

	buf_init(&text, METAINFO_TEXT_MAX);
	if (metainfo_write(mi, &text, err) != 0) {
		buf_done(&text);
		return (-1);
	}
	t = torrent_create(e, mi, (const char *)buf_head(&text),
	    buf_used(&text));
	buf_done(&text);
	strlcpy(t->mtorrent, mtorrent, sizeof t->mtorrent);
	strlcpy(t->dir, dir, sizeof t->dir);
	t->state = TORRENT_DOWNLOADING;
	/* Refused before anything is written (engine_add() checks again). */
	if (engine_has_id(e, t, err)) {
		torrent_free(t);
		return (-1);
	}
	if (storage_open_part(&t->st, dir, name, mi->size, &created,
	    err) != 0) {
		torrent_free(t);
		return (-1);
	}
	if (mi->npieces == 0) {
		if (storage_commit(&t->st, err) != 0) {
			torrent_free(t);
			return (-1);
		}
		storage_set_committed(&t->st);
		t->state = TORRENT_SEEDING;
	}
	memset(&r, 0, sizeof r);
	r.file_id = t->mi.file_id_hex;
	r.mtorrent = t->mtorrent;
	r.meta = t->meta;
	r.metalen = t->metalen;
	r.dir = t->dir;
	r.data_path = t->st.path;
	r.role = t->state == TORRENT_SEEDING ? PEERDB_ROLE_SEED :
	    PEERDB_ROLE_DOWNLOAD;
	r.bits = t->pk.have;
	r.bitslen = PICKER_BITFIELD_LEN(t->mi.nunits);
	r.size = t->mi.size;
	r.mtime_ns = -1;
	if (engine_add(e, t, err) != 0) {
		if (created && t->state == TORRENT_DOWNLOADING)
			(void)unlink(t->st.path);	/* nothing left behind */
		torrent_free(t);
		return (-1);
	}
	if (peerdb_put(e->db, &r, err) != 0)
		log_warn("%s: %s", t->mi.name, err->msg);
	if (t->mi.unit_size < t->mi.piece_size)
		log_info(_("downloading %s to %s/%s (%u pieces, in units of "
		    "%u KiB)"), t->mi.file_id_hex, dir, name, t->mi.npieces,
		    t->mi.unit_size / 1024);
	else
		log_info(_("downloading %s to %s/%s (%u pieces)"),
		    t->mi.file_id_hex, dir, name, t->mi.npieces);
	return (0);
}

int
engine_get(struct engine *e, const char *mtorrent_path, const char *dest,
    struct mt_err *err)
{
	struct metainfo	mi;
	char		abs[4096];
	int		rc;

	metainfo_init(&mi);
	if (metainfo_load(mtorrent_path, &mi, err) != 0) {
		/* As `mtorrent info` says it: FILE:LINE: problem. */
		if (err != NULL && err->line != 0) {
			char	msg[sizeof err->msg];

			snprintf(msg, sizeof msg, "%s", err->msg);
			mt_err_set(err, err->code, "%s:%u: %s", mtorrent_path,
			    err->line, msg);
		}
		return (-1);
	}
	if (realpath(mtorrent_path, abs) == NULL)
		strlcpy(abs, mtorrent_path, sizeof abs);
	rc = engine_start_download(e, &mi, abs, dest, err);
	metainfo_done(&mi);
	return (rc);
}

int
engine_get_by_name(struct engine *e, const char *group, const char *name,
    const char *dest, struct mt_err *err)
{
	struct metainfo	 mi;
	union message	 req, rep;
	char		 token[256], id[41];
	int		 rc;

	engine_token(e, token, sizeof token);
	metainfo_init(&mi);
	memset(&req, 0, sizeof req);
	req.type = MSG_metainfo;
	req.metainfo.token = token;
	req.metainfo.file_id = "";
	req.metainfo.group = group;
	req.metainfo.name = name;
	pthread_mutex_lock(&e->tlock);
	if (engine_tracker_call(e, &req, &rep, err) != 0) {
		pthread_mutex_unlock(&e->tlock);
		return (-1);
	}
	if (rep.type != MSG_metainfo_reply ||
	    rep.metainfo_reply.pieces.len % 20 != 0 ||
	    strlen(rep.metainfo_reply.name) > METAINFO_NAME_MAX ||
	    strlen(rep.metainfo_reply.group) > METAINFO_NAME_MAX) {
		pthread_mutex_unlock(&e->tlock);
		return (mt_err_set(err, MT_E_PROTO,
		    _("bad metainfo reply from the tracker")));
	}
	strlcpy(mi.name, rep.metainfo_reply.name, sizeof mi.name);
	strlcpy(mi.group, rep.metainfo_reply.group, sizeof mi.group);
	strlcpy(id, rep.metainfo_reply.file_id, sizeof id);
	mi.size = rep.metainfo_reply.size;
	mi.piece_size = (uint32_t)rep.metainfo_reply.piece_size;
	mi.npieces = rep.metainfo_reply.pieces.len / 20;
	mi.pieces = xmalloc((size_t)mi.npieces * 20 + 1);
	memcpy(mi.pieces, rep.metainfo_reply.pieces.p,
	    (size_t)mi.npieces * 20);
	/* Units as the tracker recorded them (metainfo_finish() checks). */
	if (rep.metainfo_reply.unit_size != 0 &&
	    rep.metainfo_reply.unit_size <= METAINFO_PIECE_SIZE &&
	    rep.metainfo_reply.piece_size <= METAINFO_PIECE_SIZE &&
	    rep.metainfo_reply.piece_size != 0 &&
	    rep.metainfo_reply.chain.len == metainfo_chain_count(
	    rep.metainfo_reply.size, (uint32_t)rep.metainfo_reply.piece_size,
	    (uint32_t)rep.metainfo_reply.unit_size) * 20) {
		mi.has_units = 1;
		mi.unit_size = (uint32_t)rep.metainfo_reply.unit_size;
		mi.chain = xmalloc(rep.metainfo_reply.chain.len + 1);
		memcpy(mi.chain, rep.metainfo_reply.chain.p,
		    rep.metainfo_reply.chain.len);
	}
	pthread_mutex_unlock(&e->tlock);
	if (rep.metainfo_reply.piece_size > METAINFO_PIECE_SIZE ||
	    rep.metainfo_reply.piece_size == 0) {
		metainfo_done(&mi);
		return (mt_err_set(err, MT_E_PROTO,
		    _("bad metainfo reply from the tracker")));
	}
	engine_mi_trackers(e, &mi);
	if (metainfo_finish(&mi, err) != 0 ||
	    strcmp(mi.file_id_hex, id) != 0) {
		metainfo_done(&mi);
		return (mt_err_set(err, MT_E_MISMATCH,
		    _("the tracker's metainfo does not match its file id")));
	}
	rc = engine_start_download(e, &mi, "", dest, err);
	metainfo_done(&mi);
	return (rc);
}

/* Unlink t from the list and mark it dead; returns 0 if it was there. */
static int
engine_detach(struct engine *e, struct torrent *t)
{
	struct torrent	**pp;

	pthread_mutex_lock(&e->lock);
	for (pp = &e->torrents; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->dead = 1;
			pthread_mutex_unlock(&e->lock);
			engine_changed(e);
			return (0);
		}
	}
	pthread_mutex_unlock(&e->lock);
	return (-1);
}

int
engine_remove(struct engine *e, const char *what, struct mt_err *err)
{
	struct torrent	*t;
	struct metainfo	 mi;
	union message	 req, rep;
	struct mt_err	 terr;
	char		 abs[4096], id[41] = "", token[256];
	const char	*gone;

	if (realpath(what, abs) == NULL)
		strlcpy(abs, what, sizeof abs);
	metainfo_init(&mi);
	if (strlen(what) != 40 && metainfo_load(what, &mi, NULL) == 0) {
		strlcpy(id, mi.file_id_hex, sizeof id);
		metainfo_done(&mi);
	}
	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		if (strcmp(t->mi.file_id_hex, what) == 0 ||
		    strcmp(t->mi.file_id_hex, id) == 0 ||
		    (*t->mtorrent != '\0' && strcmp(t->mtorrent, abs) == 0))
			break;
	}
	if (t != NULL)
		torrent_ref(t);
	pthread_mutex_unlock(&e->lock);
	if (t == NULL)
		return (mt_err_set(err, MT_E_NOTFOUND,
		    _("%s: not shared or downloading"), what));
	if (engine_detach(e, t) != 0) {
		torrent_unref(e, t);
		return (mt_err_set(err, MT_E_NOTFOUND,
		    _("%s: not shared or downloading"), what));
	}
	engine_token(e, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.type = MSG_seeder_remove;
	req.seeder_remove.token = token;
	req.seeder_remove.file_id = t->mi.file_id_hex;
	req.seeder_remove.seeder = e->listen;
	pthread_mutex_lock(&e->tlock);
	if (torrent_tracker_call(e, t, &req, &rep, &terr) != 0)
		log_warn("remove %s: tracker: %s", t->mi.name, terr.msg);
	pthread_mutex_unlock(&e->tlock);
	if (peerdb_delete(e->db, t->mi.file_id_hex, &terr) != 0)
		log_warn("remove %s: %s", t->mi.name, terr.msg);
	/*
	 * The .mtorrent that goes is the one the user named (it describes
	 * this file); named by its id, the one it was shared or fetched as.
	 */
	gone = id[0] != '\0' ? abs : t->mtorrent;
	if (*gone != '\0' && unlink(gone) != 0 && errno != ENOENT)
		log_warn("remove %s: %s", gone, strerror(errno));
	log_info(_("removed %s"), t->mi.name);
	torrent_unref(e, t);	/* ours */
	torrent_unref(e, t);	/* the list's */
	return (0);
}

int
engine_stop_share(struct engine *e, const char *group, const char *name,
    struct mt_err *err)
{
	struct torrent	*t;
	union message	 req, rep;
	struct mt_err	 terr;
	char		 token[256];

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		if (strcmp(t->mi.group, group) == 0 &&
		    strcmp(t->mi.name, name) == 0)
			break;
	}
	if (t != NULL)
		torrent_ref(t);
	pthread_mutex_unlock(&e->lock);
	if (t == NULL)
		return (mt_err_set(err, MT_E_NOTFOUND,
		    _("%s/%s: not shared"), group, name));
	if (engine_detach(e, t) != 0) {
		torrent_unref(e, t);
		return (mt_err_set(err, MT_E_NOTFOUND,
		    _("%s/%s: not shared"), group, name));
	}
	engine_token(e, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.type = MSG_stop_share;
	req.stop_share.token = token;
	req.stop_share.group = group;
	req.stop_share.name = name;
	req.stop_share.seeder = e->listen;
	pthread_mutex_lock(&e->tlock);
	if (torrent_tracker_call(e, t, &req, &rep, &terr) != 0)
		log_warn("stop_share %s: tracker: %s", name, terr.msg);
	pthread_mutex_unlock(&e->tlock);
	if (peerdb_delete(e->db, t->mi.file_id_hex, &terr) != 0)
		log_warn("stop_share %s: %s", name, terr.msg);
	torrent_unref(e, t);
	torrent_unref(e, t);
	return (0);
}

size_t
engine_active_downloads(struct engine *e)
{
	struct torrent	*t;
	size_t		 n = 0;

	pthread_mutex_lock(&e->lock);
	for (t = e->torrents; t != NULL; t = t->next) {
		pthread_mutex_lock(&t->lock);
		if (t->state == TORRENT_DOWNLOADING)
			n++;
		pthread_mutex_unlock(&t->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return (n);
}

int
engine_event_fd(struct engine *e)
{
	return (e->ev_pipe[0]);
}

void
engine_event_drain(struct engine *e)
{
	char	b[64];

	while (read(e->ev_pipe[0], b, sizeof b) > 0)
		;
}
