/*
 * snapshot.c: engine_snapshot() and snapshot_done().
 *
 * The copy is taken under engine.lock and each torrent's lock in turn
 * (the documented order); it allocates per torrent the piece map, the
 * availability and the peer list, and never does I/O, so the UI thread
 * holds the locks only for memcpy-sized work.
 */
#include "config.h"

#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "engine-int.h"
#include "tracker-client.h"
#include "xmalloc.h"

/* Copy one torrent into st; called with engine.lock held. */
static void
snapshot_torrent(struct engine *e, struct torrent *t,
    struct snapshot_torrent *st, uint64_t now)
{
	struct eng_peer		*p;
	struct upconn		*u;
	struct snapshot_peer	*sp;
	const char		*name;
	size_t			 n = 0, k, j;
	uint32_t		 i, per;

	strlcpy(st->file_id, t->mi.file_id_hex, sizeof st->file_id);
	strlcpy(st->name, t->mi.name, sizeof st->name);
	strlcpy(st->group, t->mi.group, sizeof st->group);
	strlcpy(st->mtorrent, t->mtorrent, sizeof st->mtorrent);
	st->size = t->mi.size;
	st->npieces = t->mi.npieces;
	/* Uploads subscribed to this file are peers too. */
	for (u = e->ups; u != NULL; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs; k++)
			n += (u->subs[k] == t);
		pthread_mutex_unlock(&u->lock);
	}
	pthread_mutex_lock(&t->lock);
	strlcpy(st->path, t->st.path, sizeof st->path);
	st->have = torrent_pieces_have(t);
	st->seeding = t->state == TORRENT_SEEDING;
	st->error = t->state == TORRENT_ERROR;
	strlcpy(st->errmsg, t->errmsg, sizeof st->errmsg);
	st->down_bps = rate_get(&t->down, now);
	st->up_bps = rate_get(&t->up, now);
	st->downloaded = t->downloaded;
	st->uploaded = t->uploaded;
	/*
	 * Per piece, from its units: had when all are, in flight when some
	 * is on its way or had, held by as many peers as its rarest unit.
	 */
	st->pieces = xcalloc((size_t)t->mi.npieces + 1, 1);
	st->avail = xcalloc((size_t)t->mi.npieces + 1, sizeof *st->avail);
	per = t->mi.piece_size / t->mi.unit_size;
	for (i = 0; i < t->mi.npieces; i++) {
		uint32_t	x, nhave = 0, nunits = 0, part = 0, lost = 0;
		uint16_t	avail = UINT16_MAX;

		for (x = i * per; x < (i + 1) * per && x < t->pk.npieces;
		    x++) {
			nunits++;
			nhave += picker_bit(t->pk.have, x) != 0;
			part |= t->pk.inflight[x] > 0;
			if (t->pk.avail[x] < avail)
				avail = t->pk.avail[x];
			/* A missing unit nobody has: a piece unavailable. */
			lost |= !picker_bit(t->pk.have, x) &&
			    t->pk.avail[x] == 0;
		}
		if (nhave == nunits)
			st->pieces[i] = SNAP_PIECE_HAVE;
		else if (part || nhave > 0)
			st->pieces[i] = SNAP_PIECE_INFLIGHT;
		st->avail[i] = nunits > 0 ? avail : 0;
		st->unavailable += lost && t->state == TORRENT_DOWNLOADING;
	}
	st->pieces_resumed = t->pieces_resumed;
	st->pieces_rechecked = t->pieces_rechecked;
	st->pieces_recovered = t->pieces_recovered;
	st->pieces_fetched = t->pieces_fetched;
	st->pieces_bad = t->pieces_bad;
	st->pieces_dup = t->pieces_dup;
	st->sessions = t->sessions;
	for (p = t->peers; p != NULL; p = p->next)
		n++;
	st->peers = xcalloc(n + 1, sizeof *st->peers);
	for (p = t->peers; p != NULL; p = p->next) {
		sp = &st->peers[st->npeers++];
		strlcpy(sp->addr, p->addr, sizeof sp->addr);
		/* Its units, in pieces' worth. */
		sp->have = t->mi.nunits > 0 ? (uint32_t)((uint64_t)p->have *
		    t->mi.npieces / t->mi.nunits) : 0;
		sp->have_known = p->bits != NULL;
		sp->down_bps = rate_get(&p->down, now);
		sp->strikes = p->strikes;
		if (p->banned)
			sp->state = SNAP_PEER_BANNED;
		else if (p->busy)
			sp->state = SNAP_PEER_CHOKED;
		else if (p->sessions > 0)
			sp->state = SNAP_PEER_CONNECTED;
		else if (p->fails > 0)
			sp->state = SNAP_PEER_FAILED;
		else if (t->state != TORRENT_DOWNLOADING || sp->have_known)
			sp->state = SNAP_PEER_IDLE;	/* asked, or no need */
		else
			sp->state = SNAP_PEER_CONNECTING;
	}
	pthread_mutex_unlock(&t->lock);
	for (u = e->ups; u != NULL && st->npeers < n; u = u->next) {
		pthread_mutex_lock(&u->lock);
		for (k = 0; k < u->nsubs; k++) {
			if (u->subs[k] != t)
				continue;
			/*
			 * Where it listens, if it said: one row per peer, its
			 * connections to us (and ours to it) added up.
			 */
			name = u->listen[0] != '\0' ? u->listen : u->addr;
			for (j = 0; j < st->npeers; j++)
				if (strcmp(st->peers[j].addr, name) == 0)
					break;
			if (j < st->npeers) {
				st->peers[j].up_bps += rate_get(&u->up, now);
				if (st->peers[j].state == SNAP_PEER_IDLE ||
				    st->peers[j].state == SNAP_PEER_CONNECTING)
					st->peers[j].state = SNAP_PEER_CONNECTED;
				break;
			}
			sp = &st->peers[st->npeers++];
			strlcpy(sp->addr, name, sizeof sp->addr);
			sp->up_bps = rate_get(&u->up, now);
			sp->state = SNAP_PEER_CONNECTED;
			sp->incoming = 1;
			break;
		}
		pthread_mutex_unlock(&u->lock);
	}
}

void
engine_snapshot(struct engine *e, struct snapshot *s)
{
	struct torrent	*t;
	size_t		 n = 0, i;
	uint64_t	 now = net_now_ms();
	int		 up, in_use;

	memset(s, 0, sizeof *s);
	s->gen = atomic_load(&e->gen);
	strlcpy(s->listen, e->listen, sizeof s->listen);
	if (e->tc != NULL) {
		s->ntrackers = tracker_client_count(e->tc);
		s->trackers = xcalloc(s->ntrackers + 1, sizeof *s->trackers);
		for (i = 0; i < s->ntrackers; i++) {
			up = in_use = 0;
			(void)tracker_client_status(e->tc, i,
			    s->trackers[i].addr, sizeof s->trackers[i].addr,
			    &up, &in_use);
			s->trackers[i].up = up;
			s->trackers[i].in_use = in_use;
			s->trackers[i].embedded = e->embedded[0] != '\0' &&
			    strcmp(s->trackers[i].addr, e->embedded) == 0;
		}
	}
	pthread_mutex_lock(&e->lock);
	strlcpy(s->user, e->user, sizeof s->user);
	for (t = e->torrents; t != NULL; t = t->next)
		n++;
	s->torrents = xcalloc(n + 1, sizeof *s->torrents);
	for (t = e->torrents; t != NULL; t = t->next) {
		snapshot_torrent(e, t, &s->torrents[s->ntorrents], now);
		s->down_bps += s->torrents[s->ntorrents].down_bps;
		s->up_bps += s->torrents[s->ntorrents].up_bps;
		s->ntorrents++;
	}
	pthread_mutex_unlock(&e->lock);
}

void
snapshot_done(struct snapshot *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->ntorrents; i++) {
		free(s->torrents[i].pieces);
		free(s->torrents[i].avail);
		free(s->torrents[i].peers);
	}
	free(s->torrents);
	free(s->trackers);
	memset(s, 0, sizeof *s);
}
