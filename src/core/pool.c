/*
 * pool.c: worker threads and a FIFO job queue guarded by one mutex.
 *
 * Workers wait on a condition variable with a bounded timed wait
 * (CLOCK_MONOTONIC) so even a lost wakeup only costs a second.
 */
#include "config.h"

#include "pool.h"

#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "xmalloc.h"

struct pool_job {
	pool_job_fn		*fn;
	void			*arg;
	struct pool_job		*next;
};

struct pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct pool_job		*head;		/* lock */
	struct pool_job		*tail;		/* lock */
	atomic_int		 stopping;
	unsigned		 n;		/* immutable */
	pthread_t		*threads;	/* immutable */
	char			 name[16];
};

static void	*pool_main(void *);

static void *
pool_main(void *arg)
{
	struct pool	*p = arg;
	struct pool_job	*j;
	struct timespec	 ts;

	log_set_thread_name(p->name);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if ((j = p->head) != NULL) {
			p->head = j->next;
			if (p->head == NULL)
				p->tail = NULL;
			pthread_mutex_unlock(&p->lock);
			j->fn(j->arg);
			free(j);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (p->stopping)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	pthread_mutex_unlock(&p->lock);
	return (NULL);
}

struct pool *
pool_create(unsigned n, const char *name)
{
	struct pool		*p;
	pthread_condattr_t	 ca;
	unsigned		 i;
	int			 r;

	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(p->name, sizeof p->name, "%s", name);
	p->threads = xcalloc(n, sizeof *p->threads);
	for (i = 0; i < n; i++) {
		if ((r = pthread_create(&p->threads[i], NULL, pool_main,
		    p)) != 0) {
			errno = r;
			fatal("pthread_create");
		}
	}
	p->n = n;
	return (p);
}

void
pool_submit(struct pool *p, pool_job_fn *fn, void *arg)
{
	struct pool_job	*j;

	j = xcalloc(1, sizeof *j);
	j->fn = fn;
	j->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

int
pool_stopping(struct pool *p)
{
	return (p->stopping);
}

unsigned
pool_size(const struct pool *p)
{
	return (p->n);
}

void
pool_free(struct pool *p)
{
	unsigned	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
