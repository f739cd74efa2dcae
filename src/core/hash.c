/*
 * hash.c: SHA1 through OpenSSL (EVP; SHA_CTX where the chaining values
 * are needed), and the parallel piece hasher behind `mtorrent create`
 * and sharing.
 *
 * hash_file_pieces() starts one worker per core plus one, so that while
 * a worker waits in pread() for the disk every core still hashes (and
 * on a busy machine the job gets its share of the CPU).  Workers claim
 * batches of consecutive pieces from an atomic counter (so a slow core
 * never holds up the rest), read each piece with pread() in chunks that
 * stay in the core's L2 cache, and feed them to their own SHA_CTX,
 * keeping its state at each unit boundary when asked for a chain.
 * Each worker writes only the digest slots of the pieces it claimed, so
 * the digest array needs no lock.
 *
 * hash_file_pieces() reads with pread(): a file truncated under us gives
 * a short read and MT_E_IO, never SIGBUS.  Mapping the file instead saves
 * a copy, and on one machine it saved 6 % of the CPU time, but on a
 * virtual machine where a page fault is dear it doubled the time (1 GiB
 * in tmpfs, one thread: 1.23 s against 0.70 s; `mtorrent create` with
 * two, 0.78 s against 0.38 s, bench/create.sh), so every caller reads.
 *
 * The calling thread only waits: it wakes every HASH_PROGRESS_MS to call
 * the progress callback, so the callback never runs on a worker.  The
 * first error stops all workers at their next piece.
 */
#include "config.h"

#include "hash.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* SHA_CTX's state is public; its functions are deprecated in OpenSSL 3. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "error.h"
#include "i18n.h"
#include "log.h"
#include "metainfo.h"
#include "xmalloc.h"

#define HASH_CHUNK	(128U * 1024U)	/* one pread(), L2-sized */
#define HASH_BATCH_MAX	8U		/* pieces claimed at once */
#define HASH_PROGRESS_MS 100
#define HASH_SEQ_CHUNK	(1024U * 1024U)	/* hash_file_sha1() */

/*
 * One hash_file_pieces() call.  The fields above next are immutable while
 * workers run; digest slot i is written only by the worker that claimed
 * piece i.
 */
struct hash_job {
	int		 fd;
	const char	*path;
	uint64_t	 size;
	uint32_t	 piece_size;
	uint32_t	 npieces;
	uint32_t	 batch;
	uint32_t	 unit_size;	/* 0: no chain */
	uint8_t		*digests;
	uint8_t		*chain;		/* NULL: no chain */

	atomic_uint_fast32_t next;	/* next unclaimed piece */
	atomic_uint_fast64_t done;	/* bytes hashed so far */
	atomic_int	 stop;		/* set on the first error */

	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* a worker exited */
	unsigned	 running;	/* lock */
	int		 failed;	/* lock */
	struct mt_err	 err;		/* lock; the first error */
};

static void	 hash_job_fail(struct hash_job *, enum mt_errc, int,
		     const char *);
static int	 hash_piece(struct hash_job *, SHA_CTX *, uint8_t *,
		     uint32_t);
static void	 hash_state_get(const SHA_CTX *, uint8_t *);
static void	*hash_worker(void *);
static void	*hash_thread(void *);
static void	 hash_worker_exit(struct hash_job *);
static int	 hash_open(const char *, struct stat *, struct mt_err *);
static uint64_t	 hash_now_ms(void);

int
hash_sha1(const void *p, size_t len, uint8_t out[HASH_SHA1_LEN],
    struct mt_err *err)
{
	EVP_MD_CTX	*ctx;
	unsigned	 n;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (mt_err_set(err, MT_E_INTERNAL,
		    _("cannot create a SHA1 context")));
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, p, len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == HASH_SHA1_LEN;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return (mt_err_set(err, MT_E_INTERNAL, _("SHA1 failed")));
	return (0);
}

void
hash_hex(const uint8_t *p, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Value of a lowercase hex digit, or -1. */
static int
hash_xdigit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

int
hash_unhex(const char *s, size_t n, uint8_t *out)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		hi = hash_xdigit((unsigned char)s[2 * i]);
		lo = hash_xdigit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return (-1);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (0);
}

/* Open path read-only and check that it is a regular file. */
static int
hash_open(const char *path, struct stat *st, struct mt_err *err)
{
	int	fd;

	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return (mt_err_set(err, MT_E_IO, _("%s: %s"), path,
		    strerror(errno)));
	if (fstat(fd, st) == -1) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st->st_mode)) {
		mt_err_set(err, MT_E_IO, _("%s: not a regular file"), path);
		close(fd);
		return (-1);
	}
	return (fd);
}

static uint64_t
hash_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000);
}

/* Record the first error and tell every worker to stop. */
static void
hash_job_fail(struct hash_job *job, enum mt_errc code, int errnum,
    const char *what)
{
	pthread_mutex_lock(&job->lock);
	if (!job->failed) {
		job->failed = 1;
		if (errnum != 0)
			mt_err_set(&job->err, code, _("%s: %s: %s"),
			    job->path, what, strerror(errnum));
		else
			mt_err_set(&job->err, code, _("%s: %s"), job->path,
			    what);
	}
	pthread_mutex_unlock(&job->lock);
	atomic_store(&job->stop, 1);
}

/* A chaining value: the SHA1 state after a multiple of 64 bytes. */
static void
hash_state_get(const SHA_CTX *c, uint8_t *cv)
{
	const SHA_LONG	h[5] = { c->h0, c->h1, c->h2, c->h3, c->h4 };
	unsigned	i;

	for (i = 0; i < 5; i++) {
		cv[4 * i] = (uint8_t)(h[i] >> 24);
		cv[4 * i + 1] = (uint8_t)(h[i] >> 16);
		cv[4 * i + 2] = (uint8_t)(h[i] >> 8);
		cv[4 * i + 3] = (uint8_t)h[i];
	}
}

uint32_t
hash_chain_count(uint32_t len, uint32_t unit_size)
{
	if (unit_size == 0 || len == 0)
		return (0);
	return ((len - 1) / unit_size);
}

int
hash_unit_check(const uint8_t *cv, uint64_t off, const void *p, size_t len,
    int last, const uint8_t want[HASH_SHA1_LEN])
{
	SHA_CTX		c;
	uint8_t		got[HASH_SHA1_LEN];
	unsigned	i;

	if (off % 64 != 0 || (!last && len % 64 != 0))
		return (0);
	SHA1_Init(&c);
	if (off != 0) {
		SHA_LONG	*h[5] = { &c.h0, &c.h1, &c.h2, &c.h3, &c.h4 };

		for (i = 0; i < 5; i++)
			*h[i] = (SHA_LONG)cv[4 * i] << 24 |
			    (SHA_LONG)cv[4 * i + 1] << 16 |
			    (SHA_LONG)cv[4 * i + 2] << 8 | cv[4 * i + 3];
		c.Nl = (SHA_LONG)(off << 3);
		c.Nh = (SHA_LONG)(off >> 29);
	}
	SHA1_Update(&c, p, len);
	if (last)
		SHA1_Final(got, &c);
	else
		hash_state_get(&c, got);
	return (memcmp(got, want, HASH_SHA1_LEN) == 0);
}

int
hash_piece_chain(const void *p, size_t len, uint32_t unit_size,
    uint8_t *chain, uint8_t digest[HASH_SHA1_LEN])
{
	const uint8_t	*b = p;
	SHA_CTX		 c;
	size_t		 off = 0, n;

	if (unit_size == 0 || unit_size % 64 != 0)
		return (-1);
	SHA1_Init(&c);
	while (len - off > unit_size) {
		SHA1_Update(&c, b + off, unit_size);
		off += unit_size;
		hash_state_get(&c, chain);
		chain += HASH_SHA1_LEN;
	}
	n = len - off;
	SHA1_Update(&c, b + off, n);
	SHA1_Final(digest, &c);
	return (0);
}

/*
 * Hash piece i into its digest slot using buf (HASH_CHUNK bytes), and
 * its chaining values into the chain if the job keeps one.
 */
static int
hash_piece(struct hash_job *job, SHA_CTX *c, uint8_t *buf, uint32_t i)
{
	uint64_t	 start, off, end, stop, unit;
	uint8_t		*cv = NULL;
	size_t		 want;
	ssize_t		 n;

	start = off = (uint64_t)i * job->piece_size;
	end = off + job->piece_size;
	if (end > job->size)
		end = job->size;
	unit = job->chain != NULL ? job->unit_size : job->piece_size;
	if (job->chain != NULL)
		cv = job->chain + (size_t)i * hash_chain_count(job->piece_size,
		    job->unit_size) * HASH_SHA1_LEN;
	SHA1_Init(c);
	while (off < end) {
		/* Up to the next unit boundary, where the state is kept. */
		stop = start + ((off - start) / unit + 1) * unit;
		if (stop > end)
			stop = end;
		while (off < stop) {
			want = stop - off > HASH_CHUNK ? HASH_CHUNK :
			    stop - off;
			n = pread(job->fd, buf, want, (off_t)off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				hash_job_fail(job, MT_E_IO, errno, _("read"));
				return (-1);
			}
			if (n == 0) {
				hash_job_fail(job, MT_E_IO, 0,
				    _("file shrank while it was hashed"));
				return (-1);
			}
			SHA1_Update(c, buf, (size_t)n);
			off += (uint64_t)n;
			atomic_fetch_add_explicit(&job->done, (uint64_t)n,
			    memory_order_relaxed);
		}
		if (cv != NULL && off < end) {
			hash_state_get(c, cv);
			cv += HASH_SHA1_LEN;
		}
	}
	SHA1_Final(job->digests + (size_t)i * HASH_SHA1_LEN, c);
	return (0);
}

static void
hash_worker_exit(struct hash_job *job)
{
	pthread_mutex_lock(&job->lock);
	job->running--;
	pthread_cond_signal(&job->cond);
	pthread_mutex_unlock(&job->lock);
}

/* Claim batches of pieces until none are left or a worker failed. */
static void *
hash_worker(void *arg)
{
	struct hash_job	*job = arg;
	SHA_CTX		 ctx;
	uint8_t		*buf;
	uint32_t	 first, i, last;

	buf = xmalloc(HASH_CHUNK);
	while (!atomic_load_explicit(&job->stop, memory_order_relaxed)) {
		first = (uint32_t)atomic_fetch_add(&job->next, job->batch);
		if (first >= job->npieces)
			break;
		last = job->npieces - first > job->batch ?
		    first + job->batch : job->npieces;
		for (i = first; i < last; i++) {
			if (hash_piece(job, &ctx, buf, i) != 0)
				break;
		}
	}
	free(buf);
	hash_worker_exit(job);
	return (NULL);
}

/* Thread entry: name the thread for log lines, then work. */
static void *
hash_thread(void *arg)
{
	log_set_thread_name("hash");
	return (hash_worker(arg));
}

int
hash_file_pieces(const char *path, uint32_t piece_size, uint32_t unit_size,
    unsigned nthreads, uint8_t **digests, uint8_t **chain, uint64_t *size,
    uint32_t *npieces, hash_progress_fn *progress, void *arg,
    struct mt_err *err)
{
	struct hash_job		 job;
	struct stat		 st, st2;
	pthread_condattr_t	 ca;
	pthread_t		 tids[HASH_THREADS_MAX];
	struct timespec		 ts;
	unsigned		 i, started;
	int64_t			 count;
	long			 ncpu;
	int			 fd, rc = -1;

	*digests = NULL;
	if (chain != NULL)
		*chain = NULL;
	*size = 0;
	*npieces = 0;
	if (piece_size == 0 || piece_size > METAINFO_PIECE_SIZE)
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad piece size %u"), piece_size));
	if (chain != NULL && !metainfo_unit_size_ok(piece_size, unit_size))
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("bad unit size %u"), unit_size));
	if ((fd = hash_open(path, &st, err)) == -1)
		return (-1);
	count = metainfo_piece_count((uint64_t)st.st_size, piece_size);
	if (count < 0) {
		close(fd);
		return (mt_err_set(err, MT_E_TOOBIG,
		    _("%s: too big: more than %u pieces"), path,
		    METAINFO_PIECES_MAX));
	}
	if (count == 0) {
		close(fd);
		if (progress != NULL)
			progress(arg, 0, 0);
		return (0);
	}
	/* Too many chaining values for a .mtorrent: none. */
	if (chain != NULL && metainfo_chain_count((uint64_t)st.st_size,
	    piece_size, unit_size) > METAINFO_CHAIN_MAX)
		chain = NULL;
	memset(&job, 0, sizeof job);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	job.fd = fd;
	job.path = path;
	job.size = (uint64_t)st.st_size;
	job.piece_size = piece_size;
	job.npieces = (uint32_t)count;
	job.digests = xmalloc((size_t)count * HASH_SHA1_LEN);
	if (chain != NULL) {
		job.unit_size = unit_size;
		job.chain = xmalloc((size_t)count * hash_chain_count(
		    piece_size, unit_size) * HASH_SHA1_LEN + 1);
	}
	atomic_init(&job.next, 0);
	atomic_init(&job.done, 0);
	atomic_init(&job.stop, 0);
	pthread_mutex_init(&job.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&job.cond, &ca);
	pthread_condattr_destroy(&ca);

	if (nthreads == 0) {
		/* One spare, so a thread waiting for the disk idles no core. */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = ncpu > 0 ? (unsigned)ncpu + 1 : 2;
	}
	if (nthreads > HASH_THREADS_MAX)
		nthreads = HASH_THREADS_MAX;
	if (nthreads > job.npieces)
		nthreads = job.npieces;
	/* Batches big enough to read ahead, small enough to balance. */
	job.batch = job.npieces / (nthreads * 4);
	if (job.batch < 1)
		job.batch = 1;
	if (job.batch > HASH_BATCH_MAX)
		job.batch = HASH_BATCH_MAX;

	for (started = 0; started < nthreads; started++) {
		pthread_mutex_lock(&job.lock);
		job.running++;
		pthread_mutex_unlock(&job.lock);
		if (pthread_create(&tids[started], NULL, hash_thread,
		    &job) != 0) {
			pthread_mutex_lock(&job.lock);
			job.running--;
			pthread_mutex_unlock(&job.lock);
			break;
		}
	}
	if (started < nthreads)
		log_warn("%s: started %u of %u hash threads", __func__,
		    started, nthreads);
	if (started == 0) {
		/* No thread at all: do the work here. */
		job.running = 1;
		hash_worker(&job);
	}

	pthread_mutex_lock(&job.lock);
	while (job.running > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += HASH_PROGRESS_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&job.cond, &job.lock, &ts);
		if (progress != NULL && job.running > 0) {
			pthread_mutex_unlock(&job.lock);
			progress(arg, atomic_load(&job.done), job.size);
			pthread_mutex_lock(&job.lock);
		}
	}
	pthread_mutex_unlock(&job.lock);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);

	if (!job.failed) {
		/* Catch a file that grew or was rewritten in place. */
		if (fstat(fd, &st2) == -1)
			hash_job_fail(&job, MT_E_IO, errno, "fstat");
		else if (st2.st_size != st.st_size ||
		    st2.st_mtim.tv_sec != st.st_mtim.tv_sec ||
		    st2.st_mtim.tv_nsec != st.st_mtim.tv_nsec)
			hash_job_fail(&job, MT_E_IO, 0,
			    _("file changed while it was hashed"));
	}
	if (job.failed) {
		if (err != NULL)
			*err = job.err;
		free(job.digests);
		free(job.chain);
	} else {
		if (progress != NULL)
			progress(arg, job.size, job.size);
		*digests = job.digests;
		if (chain != NULL)
			*chain = job.chain;
		*size = job.size;
		*npieces = job.npieces;
		rc = 0;
	}
	pthread_cond_destroy(&job.cond);
	pthread_mutex_destroy(&job.lock);
	close(fd);
	return (rc);
}

int
hash_file_sha1(const char *path, uint8_t out[HASH_SHA1_LEN], uint64_t *size,
    hash_progress_fn *progress, void *arg, struct mt_err *err)
{
	EVP_MD_CTX	*ctx;
	struct stat	 st;
	uint8_t		*buf;
	uint64_t	 done = 0, next_ms;
	ssize_t		 n;
	unsigned	 dlen;
	int		 fd, rc = -1;

	*size = 0;
	if ((fd = hash_open(path, &st, err)) == -1)
		return (-1);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		close(fd);
		return (mt_err_set(err, MT_E_INTERNAL, _("SHA1 failed")));
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = xmalloc(HASH_SEQ_CHUNK);
	next_ms = hash_now_ms() + HASH_PROGRESS_MS;
	for (;;) {
		n = read(fd, buf, HASH_SEQ_CHUNK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mt_err_set(err, MT_E_IO, _("%s: read: %s"), path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			mt_err_set(err, MT_E_INTERNAL, _("SHA1 failed"));
			goto out;
		}
		done += (uint64_t)n;
		if (progress != NULL && hash_now_ms() >= next_ms) {
			progress(arg, done, (uint64_t)st.st_size);
			next_ms = hash_now_ms() + HASH_PROGRESS_MS;
		}
	}
	if (EVP_DigestFinal_ex(ctx, out, &dlen) != 1 ||
	    dlen != HASH_SHA1_LEN) {
		mt_err_set(err, MT_E_INTERNAL, _("SHA1 failed"));
		goto out;
	}
	if (progress != NULL)
		progress(arg, done, done);
	*size = done;
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	close(fd);
	return (rc);
}
