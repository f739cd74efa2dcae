/*
 * upsched.c: the upload scheduler (see upsched.h).
 *
 * A small array of tickets under one mutex; a free turn goes to the best
 * waiting ticket at once (upsched_grant()), and the waiters sleep on one
 * condition variable until theirs is granted, or poll() an eventfd that
 * upsched_enter_fd() registered and the grant writes.  The array
 * holds one ticket per upload connection at most, so a linear scan is
 * cheaper than a heap.
 */
#include "config.h"

#include "upsched.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

struct upsched_ticket {
	uint64_t	 id;
	uint64_t	 key;
	int		 granted;
	int		 wakefd;	/* -1: none */
};

struct upsched {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* CLOCK_MONOTONIC */
	unsigned		 streams;	/* immutable */
	unsigned		 active;	/* lock */
	uint64_t		 next_id;	/* lock */
	struct upsched_ticket	*v;		/* lock */
	size_t			 n, cap;	/* lock */
};

static struct upsched_ticket *upsched_find(struct upsched *, uint64_t);
static void	upsched_grant(struct upsched *);

struct upsched *
upsched_create(unsigned streams)
{
	struct upsched		*us;
	pthread_condattr_t	 ca;

	us = xcalloc(1, sizeof *us);
	us->streams = streams ? streams : 1;
	us->next_id = 1;
	pthread_mutex_init(&us->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&us->cond, &ca);
	pthread_condattr_destroy(&ca);
	return (us);
}

void
upsched_free(struct upsched *us)
{
	if (us == NULL)
		return;
	pthread_cond_destroy(&us->cond);
	pthread_mutex_destroy(&us->lock);
	free(us->v);
	free(us);
}

/* The ticket with this id, or NULL. */
static struct upsched_ticket *
upsched_find(struct upsched *us, uint64_t id)
{
	size_t	i;

	for (i = 0; i < us->n; i++) {
		if (us->v[i].id == id)
			return (&us->v[i]);
	}
	return (NULL);
}

/*
 * Give free turns to the best waiting tickets (lowest key, then oldest).
 * Turns are granted here, not by the waiters, so a free turn never
 * waits for the first waiter's thread to look.
 */
static void
upsched_grant(struct upsched *us)
{
	struct upsched_ticket	*best;
	size_t			 i;

	while (us->active < us->streams) {
		best = NULL;
		for (i = 0; i < us->n; i++) {
			if (us->v[i].granted)
				continue;
			if (best == NULL || us->v[i].key < best->key ||
			    (us->v[i].key == best->key &&
			    us->v[i].id < best->id))
				best = &us->v[i];
		}
		if (best == NULL)
			return;
		best->granted = 1;
		us->active++;
		if (best->wakefd >= 0)
			(void)write(best->wakefd, &(uint64_t){ 1 },
			    sizeof(uint64_t));
		pthread_cond_broadcast(&us->cond);
	}
}

uint64_t
upsched_enter(struct upsched *us, uint64_t key)
{
	return (upsched_enter_fd(us, key, -1));
}

uint64_t
upsched_enter_fd(struct upsched *us, uint64_t key, int wakefd)
{
	uint64_t	id;
	size_t		cap;

	pthread_mutex_lock(&us->lock);
	if (us->n == us->cap) {
		cap = us->cap ? us->cap * 2 : 16;
		us->v = xreallocarray(us->v, cap, sizeof *us->v);
		us->cap = cap;
	}
	id = us->next_id++;
	us->v[us->n].id = id;
	us->v[us->n].key = key;
	us->v[us->n].granted = 0;
	us->v[us->n].wakefd = wakefd;
	us->n++;
	upsched_grant(us);
	pthread_mutex_unlock(&us->lock);
	return (id);
}

int
upsched_wait(struct upsched *us, uint64_t ticket, unsigned timeout_ms)
{
	struct upsched_ticket	*t;
	struct timespec		 ts;
	int			 granted = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&us->lock);
	for (;;) {
		if ((t = upsched_find(us, ticket)) == NULL)
			break;		/* not ours: never granted */
		if (t->granted) {
			granted = 1;
			break;
		}
		if (timeout_ms == 0 ||
		    pthread_cond_timedwait(&us->cond, &us->lock, &ts) != 0)
			break;
	}
	pthread_mutex_unlock(&us->lock);
	return (granted);
}

void
upsched_leave(struct upsched *us, uint64_t ticket)
{
	struct upsched_ticket	*t;

	pthread_mutex_lock(&us->lock);
	if ((t = upsched_find(us, ticket)) != NULL) {
		if (t->granted)
			us->active--;
		*t = us->v[--us->n];
		upsched_grant(us);
	}
	pthread_mutex_unlock(&us->lock);
}

void
upsched_counts(struct upsched *us, unsigned *active, unsigned *waiting)
{
	pthread_mutex_lock(&us->lock);
	*active = us->active;
	*waiting = (unsigned)us->n - us->active;
	pthread_mutex_unlock(&us->lock);
}
