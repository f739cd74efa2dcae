/*
 * tracker-bench.c: a load generator for `mtorrent --tracker`.
 *
 *	tracker-bench [-c CONNS] [-t THREADS] [-p PIPELINE] [-d SECONDS]
 *	    [-f FILES] [-s SEEDERS] [-a ANNOUNCE_PCT] [-P TRACKER_PID]
 *	    [-F FPR] ADDR
 *
 * Set-up: share FILES files, each with SEEDERS seeders (seeder_add), and
 * measure the tracker's RSS (VmRSS of TRACKER_PID) before and after, to
 * report memory per thousand seeders.  Load: CONNS persistent TLS
 * connections spread over THREADS threads; each keeps PIPELINE requests
 * in flight (replies come back in request order), ANNOUNCE_PCT percent
 * `announce` (renewing 4 files for one seeder), the rest `seeders` of a
 * random file.  Every reply is checked for its type.  Reports requests/s,
 * latency percentiles (from sending a request to its reply, so they
 * include queueing behind the pipeline) and errors.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "error.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "rpc.h"
#include "tls.h"
#include "wire.h"
#include "xmalloc.h"

#define LAT_MAX		(1U << 22)	/* latency samples per thread */

struct bconn {
	struct rpc_conn	*c;
	uint64_t	*sent_us;	/* ring of PIPELINE send times */
	unsigned	 head, n;
	unsigned	 seed;
};

struct bthread {
	pthread_t	 th;
	unsigned	 idx;
	unsigned	 nconns;
	struct bconn	*conns;
	uint64_t	 done, errors;
	uint32_t	*lat_us;
	size_t		 nlat;
};

static const char	*addr;
static const char	*fpr = "";
static unsigned		 conns = 64, threads = 1, pipeline = 16;
static unsigned		 seconds = 10, nfiles = 1000, nseeders = 10;
static unsigned		 announce_pct = 10;
static char		(*file_ids)[41];
static struct ssl_ctx_st *ctx;
static volatile int	 running = 1;

static uint64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static long
rss_kib(long pid)
{
	char	path[64], line[256];
	FILE	*fp;
	long	kib = -1;

	if (pid <= 0)
		return (-1);
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof line, fp) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(fp);
	return (kib);
}

static struct rpc_conn *
bench_open(void)
{
	struct rpc_conn	*c;
	struct mt_err	 err;
	char		 got[TLS_FPR_LEN + 1];

	c = rpc_open(addr, ctx, 5000, -1, &err);
	if (c == NULL)
		fatalx("connect %s: %s", addr, err.msg);
	if (*fpr != '\0' && (rpc_peer_fingerprint(c, got) != 0 ||
	    tls_pin_check(NULL, addr, fpr, got, &err) != 0))
		fatalx("%s", err.msg);
	if (rpc_hello(c, "client", "bench", "", net_now_ms() + 5000, NULL,
	    &err) != 0)
		fatalx("hello: %s", err.msg);
	return (c);
}

static void
call(struct rpc_conn *c, union message *q, enum message_type want)
{
	union message	r;
	struct mt_err	err;

	if (rpc_send(c, q, net_now_ms() + 10000, &err) != 0 ||
	    rpc_recv(c, &r, net_now_ms() + 10000, &err) != 0)
		fatalx("%s: %s", message_name(q->type), err.msg);
	if (r.type != want)
		fatalx("%s: got %s (%s)", message_name(q->type),
		    message_name(r.type), r.type == MSG_error ?
		    r.error.text : "");
}

/* Share nfiles files with nseeders seeders each. */
static void
setup(void)
{
	struct rpc_conn	*c = bench_open();
	union message	 q;
	uint8_t		 pieces[20], md[EVP_MAX_MD_SIZE];
	char		 seed[64], name[64], seeder[64];
	unsigned	 i, j, n;

	file_ids = xcalloc(nfiles, sizeof *file_ids);
	for (i = 0; i < nfiles; i++) {
		snprintf(seed, sizeof seed, "bench-%u-%d", i, (int)getpid());
		EVP_Digest(seed, strlen(seed), pieces, &n, EVP_sha1(), NULL);
		EVP_Digest(pieces, 20, md, &n, EVP_sha1(), NULL);
		for (j = 0; j < 20; j++)
			snprintf(file_ids[i] + 2 * j, 3, "%02x", md[j]);
		snprintf(name, sizeof name, "bench-%u-%d.bin", i,
		    (int)getpid());
		memset(&q, 0, sizeof q);
		q.type = MSG_share;
		q.share.token = "";
		q.share.file_id = file_ids[i];
		q.share.name = name;
		q.share.size = 1000;
		q.share.piece_size = 1024;
		q.share.pieces.p = pieces;
		q.share.pieces.len = 20;
		q.share.group = "";
		q.share.seeder = "127.0.0.1:30000";
		call(c, &q, MSG_ok);
		for (j = 1; j < nseeders; j++) {
			snprintf(seeder, sizeof seeder, "127.0.0.1:%u",
			    30000 + j);
			memset(&q, 0, sizeof q);
			q.type = MSG_seeder_add;
			q.seeder_add.token = "";
			q.seeder_add.file_id = file_ids[i];
			q.seeder_add.seeder = seeder;
			call(c, &q, MSG_ok);
		}
	}
	rpc_free(c);
}

static void
queue_one(struct bthread *t, struct bconn *b)
{
	union message	 q;
	struct mt_err	 err;
	struct wire_arg	 ids[4];
	char		 seeder[64];
	unsigned	 i, f;

	memset(&q, 0, sizeof q);
	f = (unsigned)rand_r(&b->seed) % nfiles;
	if ((unsigned)rand_r(&b->seed) % 100 < announce_pct) {
		q.type = MSG_announce;
		q.announce.token = "";
		snprintf(seeder, sizeof seeder, "127.0.0.1:%u",
		    30000 + (unsigned)rand_r(&b->seed) % nseeders);
		q.announce.seeder = seeder;
		for (i = 0; i < 4; i++) {
			ids[i].p = file_ids[(f + i) % nfiles];
			ids[i].len = 40;
		}
		q.announce.file_ids.n = 4;
		q.announce.file_ids.v = ids;
	} else {
		q.type = MSG_seeders;
		q.seeders.token = "";
		q.seeders.file_id = file_ids[f];
	}
	if (rpc_queue(b->c, &q, &err) != 0)
		fatalx("queue: %s", err.msg);
	b->sent_us[(b->head + b->n) % pipeline] = now_us();
	b->n++;
	(void)t;
}

static void *
bench_thread(void *arg)
{
	struct bthread	*t = arg;
	struct pollfd	*pfd;
	struct mt_err	 err;
	union message	 r;
	unsigned	 i, k;
	uint64_t	 now;

	pfd = xcalloc(t->nconns, sizeof *pfd);
	for (i = 0; i < t->nconns; i++) {
		struct bconn	*b = &t->conns[i];

		b->c = bench_open();
		b->sent_us = xcalloc(pipeline, sizeof *b->sent_us);
		b->seed = t->idx * 7919 + i;
		for (k = 0; k < pipeline; k++)
			queue_one(t, b);
		if (rpc_flush(b->c, net_now_ms() + 10000, &err) != 0)
			fatalx("send: %s", err.msg);
		pfd[i].fd = rpc_fd(b->c);
		pfd[i].events = POLLIN;
	}
	while (running) {
		if (poll(pfd, t->nconns, 100) <= 0)
			continue;
		for (i = 0; i < t->nconns; i++) {
			struct bconn	*b = &t->conns[i];

			if (pfd[i].revents == 0)
				continue;
			do {
				if (rpc_recv(b->c, &r, net_now_ms() + 10000,
				    &err) != 0)
					fatalx("recv: %s", err.msg);
				now = now_us();
				if (r.type != MSG_seeders_reply &&
				    r.type != MSG_ok)
					t->errors++;
				if (t->nlat < LAT_MAX)
					t->lat_us[t->nlat++] = (uint32_t)(now -
					    b->sent_us[b->head]);
				b->head = (b->head + 1) % pipeline;
				b->n--;
				t->done++;
				if (running)
					queue_one(t, b);
			} while (rpc_buffered(b->c));
			if (rpc_flush(b->c, net_now_ms() + 10000, &err) != 0)
				fatalx("send: %s", err.msg);
		}
	}
	for (i = 0; i < t->nconns; i++) {
		rpc_free(t->conns[i].c);
		free(t->conns[i].sent_us);
	}
	free(pfd);
	return (NULL);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

int
main(int argc, char **argv)
{
	struct bthread	*t;
	struct mt_err	 err;
	uint32_t	*all;
	uint64_t	 done = 0, errors = 0, t0, t1, base0;
	size_t		 nlat = 0, off;
	long		 pid = 0, rss0, rss1;
	unsigned	 i, j, per;
	int		 ch;

	log_set_level(LOG_LEVEL_WARN);
	while ((ch = getopt(argc, argv, "c:t:p:d:f:s:a:P:F:")) != -1) {
		switch (ch) {
		case 'c': conns = (unsigned)atoi(optarg); break;
		case 't': threads = (unsigned)atoi(optarg); break;
		case 'p': pipeline = (unsigned)atoi(optarg); break;
		case 'd': seconds = (unsigned)atoi(optarg); break;
		case 'f': nfiles = (unsigned)atoi(optarg); break;
		case 's': nseeders = (unsigned)atoi(optarg); break;
		case 'a': announce_pct = (unsigned)atoi(optarg); break;
		case 'P': pid = atol(optarg); break;
		case 'F': fpr = optarg; break;
		default:
			fprintf(stderr, "usage: tracker-bench [-c CONNS] "
			    "[-t THREADS] [-p PIPELINE] [-d SECONDS] "
			    "[-f FILES] [-s SEEDERS] [-a ANNOUNCE_PCT] "
			    "[-P PID] [-F FPR] ADDR\n");
			return (2);
		}
	}
	if (optind + 1 != argc || conns == 0 || threads == 0 ||
	    pipeline == 0 || nfiles == 0 || nseeders == 0)
		return (2);
	addr = argv[optind];
	if (threads > conns)
		threads = conns;
	if ((ctx = tls_ctx_client(NULL, &err)) == NULL)
		fatalx("%s", err.msg);

	rss0 = rss_kib(pid);
	base0 = now_us();
	setup();
	rss1 = rss_kib(pid);
	printf("setup: %u files x %u seeders in %.1f s\n", nfiles, nseeders,
	    (double)(now_us() - base0) / 1e6);
	if (rss0 > 0 && rss1 > 0)
		printf("tracker RSS: %ld KiB before, %ld KiB after: %.1f KiB "
		    "per 1000 seeders\n", rss0, rss1, (double)(rss1 - rss0) *
		    1000.0 / ((double)nfiles * nseeders));

	t = xcalloc(threads, sizeof *t);
	per = conns / threads;
	for (i = 0; i < threads; i++) {
		t[i].idx = i;
		t[i].nconns = per + (i < conns % threads ? 1 : 0);
		t[i].conns = xcalloc(t[i].nconns, sizeof *t[i].conns);
		t[i].lat_us = xcalloc(LAT_MAX, sizeof *t[i].lat_us);
	}
	t0 = now_us();
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i].th, NULL, bench_thread, &t[i]) != 0)
			fatalx("pthread_create");
	sleep(seconds);
	running = 0;
	for (i = 0; i < threads; i++) {
		pthread_join(t[i].th, NULL);
		done += t[i].done;
		errors += t[i].errors;
		nlat += t[i].nlat;
	}
	t1 = now_us();
	all = xcalloc(nlat + 1, sizeof *all);
	for (i = 0, off = 0; i < threads; i++)
		for (j = 0; j < t[i].nlat; j++)
			all[off++] = t[i].lat_us[j];
	qsort(all, nlat, sizeof *all, cmp_u32);
	printf("load: %u connections, %u threads, pipeline %u, %u%% "
	    "announce, %.1f s\n", conns, threads, pipeline, announce_pct,
	    (double)(t1 - t0) / 1e6);
	printf("requests: %" PRIu64 " (%" PRIu64 " bad replies), %.0f req/s\n",
	    done, errors, (double)done * 1e6 / (double)(t1 - t0));
	if (nlat > 0)
		printf("latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		    all[nlat / 2] / 1000.0, all[nlat * 99 / 100] / 1000.0,
		    all[nlat - 1] / 1000.0);
	if (pid > 0)
		printf("tracker RSS after load: %ld KiB\n", rss_kib(pid));
	return (errors == 0 ? 0 : 1);
}
