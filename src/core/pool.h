/*
 * pool.h: a fixed set of worker threads draining a job queue.
 *
 * Jobs run in submission order on whichever worker is free.  A job may
 * run for long (the engine's download sessions do); pool_free() sets the
 * stop flag that long jobs poll with pool_stopping(), then joins every
 * thread.  Jobs still queued at pool_free() are passed to their function
 * with stopping set so they can release their argument.
 */
#ifndef MT_POOL_H
#define MT_POOL_H

#include <stddef.h>

struct pool;

typedef void pool_job_fn(void *arg);

/* Start n threads named name ("eng-work"); free with pool_free(). */
struct pool	*pool_create(unsigned n, const char *name);
/* Queue a job; any thread. */
void		 pool_submit(struct pool *p, pool_job_fn *fn, void *arg);
/* Stop, run or drain queued jobs, join all threads, free.  NULL ok. */
void		 pool_free(struct pool *p);
/* True once pool_free() has begun; jobs poll it. */
int		 pool_stopping(struct pool *p);
/* Number of threads. */
unsigned	 pool_size(const struct pool *p);

#endif /* MT_POOL_H */
