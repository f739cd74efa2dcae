/*
 * mt-client.c: a test client for the tracker (not installed).
 *
 *	mt-client [-f FPR] [-k KNOWN] [-a ADDR]... ADDR TYPE [ARG...]
 *		send one request through tracker_client (ADDR first, each
 *		-a a failover tracker after it) and print the reply: its
 *		type on the first line, then "FIELD VALUE" per field (one
 *		line per LIST item, BLOBs in hex).  STR args as given, U64
 *		decimal, BLOB hex, a LIST takes the remaining args.
 *		Exit 0 reply, 1 error reply ("error CODE-NAME TEXT"),
 *		3 no answer ("fail CODE-NAME TEXT").
 *	mt-client fileid SEED NPIECES
 *		print "FILE_ID PIECES_HEX" for NPIECES made-up piece hashes.
 *	mt-client [-c KEYFILE CERTFILE] -r MODE ADDR
 *		hostile and raw modes, printing what the tracker did:
 *		silent-tcp, silent-tls, half, garbage, oversize, badversion,
 *		tracker-hello, sync, flood.
 *	mt-client -s N ADDR
 *		N concurrent clients doing mixed requests; checks every
 *		answer, prints "stress ok N REQUESTS" or "stress FAIL ...".
 *	mt-client -w N -p PREFIX ADDR
 *		share N files one after the other on one connection,
 *		printing "acked FILE_ID" as soon as each is acknowledged;
 *		stops at the first failure.
 *	mt-client -V FILE ADDR
 *		check that every "acked FILE_ID" line of FILE is known to
 *		the tracker (metainfo); prints "verified N" or "missing ID".
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
#include <openssl/ssl.h>

#include "buf.h"
#include "error.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "rpc.h"
#include "tls.h"
#include "tracker-client.h"
#include "wire.h"
#include "xmalloc.h"

static const char	*opt_fpr = "";
static const char	*opt_known = "";

static void
usage(void)
{
	fprintf(stderr, "usage: mt-client [-f FPR] [-k KNOWN] [-a ADDR]... "
	    "ADDR TYPE [ARG...]\n"
	    "       mt-client fileid SEED NPIECES\n"
	    "       mt-client [-c KEY CERT] -r MODE ADDR\n"
	    "       mt-client -s N ADDR\n");
	exit(2);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

static void
tohex(const uint8_t *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* Made-up piece hashes and the file id (SHA1 of them). */
static void
make_file(const char *seed, unsigned npieces, uint8_t *pieces, char id[41])
{
	uint8_t		md[EVP_MAX_MD_SIZE];
	char		tmp[256];
	unsigned	i, n;

	for (i = 0; i < npieces; i++) {
		snprintf(tmp, sizeof tmp, "%s/%u", seed, i);
		EVP_Digest(tmp, strlen(tmp), md, &n, EVP_sha1(), NULL);
		memcpy(pieces + 20 * i, md, 20);
	}
	EVP_Digest(pieces, 20 * (size_t)npieces, md, &n, EVP_sha1(), NULL);
	tohex(md, 20, id);
}

static void
print_reply(const union message *m)
{
	const struct message_field	*f;
	const char			*base = (const char *)m;
	char				*hex;
	uint32_t			 i;

	printf("%s\n", message_name(m->type));
	for (f = message_fields(m->type); f != NULL && f->name != NULL; f++) {
		switch (f->kind) {
		case MSG_K_STR:
			printf("%s %s\n", f->name,
			    *(const char *const *)(base + f->off));
			break;
		case MSG_K_U64:
			printf("%s %" PRIu64 "\n", f->name,
			    *(const uint64_t *)(base + f->off));
			break;
		case MSG_K_BLOB: {
			const struct msg_blob *b = (const void *)(base +
			    f->off);

			hex = xmalloc(2 * (size_t)b->len + 1);
			tohex(b->p, b->len, hex);
			printf("%s %s\n", f->name, hex);
			free(hex);
			break;
		}
		case MSG_K_LIST: {
			const struct msg_list *l = (const void *)(base +
			    f->off);

			for (i = 0; i < l->n; i++)
				printf("%s %s\n", f->name, l->v[i].p);
			break;
		}
		}
	}
}

static void	*build_allocs[8];
static size_t	 build_nallocs;

static void *
build_alloc(size_t n)
{
	void	*p = xcalloc(1, n);

	if (build_nallocs < 8)
		build_allocs[build_nallocs++] = p;
	return (p);
}

static void
build_free(void)
{
	while (build_nallocs > 0)
		free(build_allocs[--build_nallocs]);
}

/* Fill m of type t from args; free what it allocates with build_free(). */
static int
build(union message *m, enum message_type t, char **args, int nargs)
{
	const struct message_field	*f;
	char				*base = (char *)m;
	int				 a = 0, i;
	size_t				 len, j;

	memset(m, 0, sizeof *m);
	m->type = t;
	for (f = message_fields(t); f->name != NULL; f++) {
		if (f->kind == MSG_K_LIST) {
			struct msg_list		*l = (void *)(base + f->off);
			struct wire_arg		*v;

			v = build_alloc(((size_t)(nargs - a) + 1) * sizeof *v);
			for (i = 0; a < nargs; a++, i++) {
				v[i].p = args[a];
				v[i].len = (uint32_t)strlen(args[a]);
			}
			l->n = (uint32_t)i;
			l->v = v;
			continue;
		}
		if (a >= nargs) {
			fprintf(stderr, "mt-client: %s needs field %s\n",
			    message_name(t), f->name);
			return (-1);
		}
		switch (f->kind) {
		case MSG_K_STR:
			*(const char **)(base + f->off) = args[a];
			break;
		case MSG_K_U64:
			*(uint64_t *)(base + f->off) = strtoull(args[a], NULL,
			    10);
			break;
		case MSG_K_BLOB: {
			struct msg_blob	*b = (void *)(base + f->off);
			uint8_t		*p;

			len = strlen(args[a]) / 2;
			p = build_alloc(len + 1);
			for (j = 0; j < len; j++)
				p[j] = (uint8_t)(hexval(args[a][2 * j]) * 16 +
				    hexval(args[a][2 * j + 1]));
			b->p = p;
			b->len = (uint32_t)len;
			break;
		}
		default:
			break;
		}
		a++;
	}
	if (a < nargs) {
		fprintf(stderr, "mt-client: too many arguments for %s\n",
		    message_name(t));
		return (-1);
	}
	return (0);
}

/* --- raw and hostile modes --- */

static struct rpc_conn *
raw_open(const char *addr, SSL_CTX *ctx, int tls)
{
	struct rpc_conn	*c;
	struct mt_err	 err;

	c = rpc_open(addr, tls ? ctx : NULL, 5000, -1, &err);
	if (c == NULL) {
		printf("fail %s %s\n", mt_err_name(err.code), err.msg);
		exit(3);
	}
	return (c);
}

/* Wait for the tracker to answer or close; print what happened. */
static int
raw_watch(struct rpc_conn *c, uint64_t t0, int ms)
{
	union message	m;
	struct mt_err	err;
	int		rc = 0;

	for (;;) {
		if (rpc_recv(c, &m, net_now_ms() + (uint64_t)ms, &err) != 0) {
			if (err.code == MT_E_TIMEOUT) {
				printf("still-open after %d ms\n", ms);
				return (4);
			}
			printf("closed after %" PRIu64 " ms\n",
			    net_now_ms() - t0);
			return (rc);
		}
		if (m.type == MSG_error) {
			printf("error %s %s\n", mt_err_name(
			    (enum mt_errc)m.error.code), m.error.text);
			rc = 0;
		} else
			printf("got %s\n", message_name(m.type));
	}
}

static int
raw_mode(const char *mode, const char *addr, const char *key,
    const char *cert)
{
	struct tls_identity	*id = NULL;
	struct mt_err		 err;
	struct rpc_conn		*c = NULL;
	union message		 m;
	SSL_CTX			*ctx;
	struct msg_hello	 h;
	uint64_t		 t0;
	uint8_t			 hdr[64];
	int			 rc = 2, i;

	if (key != NULL && (id = tls_identity_load(key, cert, &err)) == NULL) {
		fprintf(stderr, "mt-client: %s\n", err.msg);
		return (2);
	}
	if ((ctx = tls_ctx_client(id, &err)) == NULL) {
		fprintf(stderr, "mt-client: %s\n", err.msg);
		return (2);
	}
	t0 = net_now_ms();
	if (strcmp(mode, "silent-tcp") == 0) {
		c = raw_open(addr, ctx, 0);
		rc = raw_watch(c, t0, 30000);
		goto out;
	}
	c = raw_open(addr, ctx, 1);
	t0 = net_now_ms();
	if (strcmp(mode, "silent-tls") == 0) {
		rc = raw_watch(c, t0, 30000);
		goto out;
	}
	if (strcmp(mode, "badversion") == 0) {
		memset(&m, 0, sizeof m);
		m.type = MSG_hello;
		m.hello.version = 99;
		m.hello.role = "client";
		m.hello.node_id = "";
		m.hello.listen = "";
		rpc_send(c, &m, net_now_ms() + 5000, &err);
		rc = raw_watch(c, t0, 10000);
		goto out;
	}
	if (strcmp(mode, "tracker-hello") == 0) {
		if (rpc_hello(c, "tracker", "feedface", "127.0.0.1:1",
		    net_now_ms() + 5000, &h, &err) != 0) {
			printf("error %s %s\n", mt_err_name(err.code),
			    err.msg);
			rc = raw_watch(c, t0, 10000);
			goto out;
		}
		printf("accepted\n");
		rc = 0;
		goto out;
	}
	if (rpc_hello(c, "client", "", "", net_now_ms() + 5000, &h,
	    &err) != 0) {
		printf("fail %s %s\n", mt_err_name(err.code), err.msg);
		rc = 3;
		goto out;
	}
	t0 = net_now_ms();
	if (strcmp(mode, "sync") == 0) {
		memset(&m, 0, sizeof m);
		m.type = MSG_sync_event;
		m.sync_event.origin = "feedface";
		m.sync_event.seq = 1;
		m.sync_event.time_ms = 1;
		m.sync_event.op = "user";
		rpc_send(c, &m, net_now_ms() + 5000, &err);
		rc = raw_watch(c, t0, 10000);
		goto out;
	}
	if (strcmp(mode, "garbage") == 0) {
		rpc_queue_raw(c, "GET / HTTP/1.0\r\n\r\n", 18, &err);
		rpc_flush(c, net_now_ms() + 5000, &err);
		rc = raw_watch(c, t0, 10000);
		goto out;
	}
	if (strcmp(mode, "oversize") == 0) {
		buf_put_u32be(hdr, WIRE_MAGIC_START);
		hdr[4] = 4;
		memcpy(hdr + 5, "ping", 4);
		buf_put_u32be(hdr + 9, WIRE_PAYLOAD_MAX + 1);
		rpc_queue_raw(c, hdr, 13, &err);
		rpc_flush(c, net_now_ms() + 5000, &err);
		rc = raw_watch(c, t0, 10000);
		goto out;
	}
	if (strcmp(mode, "half") == 0) {
		buf_put_u32be(hdr, WIRE_MAGIC_START);
		hdr[4] = 4;
		memcpy(hdr + 5, "ping", 4);
		buf_put_u32be(hdr + 9, 100);
		rpc_queue_raw(c, hdr, 13, &err);
		rpc_queue_raw(c, "0123456789", 10, &err);
		rpc_flush(c, net_now_ms() + 5000, &err);
		rc = raw_watch(c, t0, 30000);
		goto out;
	}
	if (strcmp(mode, "flood") == 0) {
		/*
		 * 100000 pipelined pings in batches of 2000, at most two
		 * batches in flight, so neither side waits on the other.
		 */
		memset(&m, 0, sizeof m);
		rc = 0;
		for (i = 0; i < 100000; i++) {
			m.type = MSG_ping;
			rpc_queue(c, &m, &err);
			if ((i + 1) % 2000 != 0)
				continue;
			if (rpc_flush(c, net_now_ms() + 10000, &err) != 0)
				break;
			for (; rc < i + 1 - 2000; rc++)
				if (rpc_recv(c, &m, net_now_ms() + 10000,
				    &err) != 0 || m.type != MSG_ok)
					break;
			if (rc < i + 1 - 2000)
				break;
		}
		for (; rc < i; rc++)
			if (rpc_recv(c, &m, net_now_ms() + 10000, &err) != 0 ||
			    m.type != MSG_ok)
				break;
		printf("flood %d replies\n", rc);
		rc = rc == 100000 ? 0 : 1;
		goto out;
	}
	fprintf(stderr, "mt-client: unknown mode %s\n", mode);
	rc = 2;
out:
	rpc_free(c);
	tls_ctx_free(ctx);
	tls_identity_free(id);
	return (rc);
}

/* --- acknowledged writes --- */

static int
burst_mode(unsigned n, const char *prefix, const char *addr)
{
	struct tracker_client	*tc;
	union message		 q, r;
	struct mt_err		 err;
	uint8_t			 pieces[20];
	char			 id[41], seed[128], name[160];
	const char		*addrs[1] = { addr };
	unsigned		 i;

	tc = tracker_client_create(addrs, 1, opt_known, "", "");
	tracker_client_add(tc, addr, opt_fpr);
	for (i = 0; i < n; i++) {
		snprintf(seed, sizeof seed, "%s-%u", prefix, i);
		snprintf(name, sizeof name, "burst-%s", seed);
		make_file(seed, 1, pieces, id);
		memset(&q, 0, sizeof q);
		q.type = MSG_share;
		q.share.token = "";
		q.share.file_id = id;
		q.share.name = name;
		q.share.size = 1000;
		q.share.piece_size = 1024;
		q.share.pieces.p = pieces;
		q.share.pieces.len = 20;
		q.share.group = "";
		q.share.seeder = "127.0.0.1:7000";
		if (tracker_client_call(tc, &q, &r, &err) != 0)
			break;
		printf("acked %s\n", id);
		fflush(stdout);
	}
	tracker_client_free(tc);
	return (0);
}

static int
verify_mode(const char *path, const char *addr)
{
	struct tracker_client	*tc;
	union message		 q, r;
	struct mt_err		 err;
	FILE			*fp;
	char			 line[256], id[64];
	const char		*addrs[1] = { addr };
	unsigned		 n = 0, bad = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return (2);
	}
	tc = tracker_client_create(addrs, 1, opt_known, "", "");
	tracker_client_add(tc, addr, opt_fpr);
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "acked %63s", id) != 1)
			continue;
		memset(&q, 0, sizeof q);
		q.type = MSG_metainfo;
		q.metainfo.token = "";
		q.metainfo.file_id = id;
		q.metainfo.group = "";
		q.metainfo.name = "";
		if (tracker_client_call(tc, &q, &r, &err) != 0 ||
		    r.type != MSG_metainfo_reply) {
			printf("missing %s (%s)\n", id, mt_err_name(err.code));
			bad++;
		}
		n++;
	}
	fclose(fp);
	tracker_client_free(tc);
	if (bad == 0)
		printf("verified %u\n", n);
	return (bad == 0 ? 0 : 1);
}

/* --- stress --- */

struct stress {
	const char		*addr;
	unsigned		 idx;
	unsigned		 ok, bad;
	pthread_barrier_t	*bar;
};

static int
expect(struct tracker_client *tc, union message *req, enum message_type t,
    union message *rep)
{
	struct mt_err	err;

	if (tracker_client_call(tc, req, rep, &err) != 0) {
		fprintf(stderr, "stress: %s: %s %s\n", message_name(req->type),
		    mt_err_name(err.code), err.msg);
		return (-1);
	}
	if (rep->type != t) {
		fprintf(stderr, "stress: %s: got %s\n",
		    message_name(req->type), message_name(rep->type));
		return (-1);
	}
	return (0);
}

static int
has_item(const struct msg_list *l, const char *s)
{
	uint32_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].p, s) == 0)
			return (1);
	return (0);
}

static void *
stress_main(void *arg)
{
	struct stress		*s = arg;
	struct tracker_client	*tc;
	union message		 q, r;
	uint8_t			 pieces[60];
	struct wire_arg		 ids[1];
	char			 id[41], seed[64], me[64], other[64], name[80];
	int			 round;
	const char		*addrs[1] = { s->addr };

	tc = tracker_client_create(addrs, 1, opt_known, "", "");
	tracker_client_add(tc, s->addr, opt_fpr);
	snprintf(seed, sizeof seed, "stress-%d-%u", (int)getpid(), s->idx);
	make_file(seed, 3, pieces, id);
	snprintf(me, sizeof me, "127.0.0.%u:%u", 1 + s->idx % 200,
	    10000 + s->idx);
	snprintf(other, sizeof other, "127.0.1.%u:%u", 1 + s->idx % 200,
	    20000 + s->idx);
	snprintf(name, sizeof name, "file-%s", seed);
	pthread_barrier_wait(s->bar);
	for (round = 0; round < 5; round++) {
		memset(&q, 0, sizeof q);
		q.type = MSG_share;
		q.share.token = "";
		q.share.file_id = id;
		q.share.name = name;
		q.share.size = 3 * 1024;
		q.share.piece_size = 1024;
		q.share.pieces.p = pieces;
		q.share.pieces.len = 60;
		q.share.group = "";
		q.share.seeder = me;
		if (round == 0 && expect(tc, &q, MSG_ok, &r) != 0)
			goto bad;
		memset(&q, 0, sizeof q);
		q.type = MSG_seeder_add;
		q.seeder_add.token = "";
		q.seeder_add.file_id = id;
		q.seeder_add.seeder = other;
		if (expect(tc, &q, MSG_ok, &r) != 0)
			goto bad;
		memset(&q, 0, sizeof q);
		q.type = MSG_seeders;
		q.seeders.token = "";
		q.seeders.file_id = id;
		if (expect(tc, &q, MSG_seeders_reply, &r) != 0 ||
		    strcmp(r.seeders_reply.file_id, id) != 0 ||
		    !has_item(&r.seeders_reply.seeders, me) ||
		    !has_item(&r.seeders_reply.seeders, other)) {
			fprintf(stderr, "stress: seeders wrong\n");
			goto bad;
		}
		memset(&q, 0, sizeof q);
		q.type = MSG_metainfo;
		q.metainfo.token = "";
		q.metainfo.file_id = id;
		q.metainfo.group = "";
		q.metainfo.name = "";
		if (expect(tc, &q, MSG_metainfo_reply, &r) != 0 ||
		    strcmp(r.metainfo_reply.name, name) != 0 ||
		    r.metainfo_reply.pieces.len != 60 ||
		    memcmp(r.metainfo_reply.pieces.p, pieces, 60) != 0) {
			fprintf(stderr, "stress: metainfo wrong\n");
			goto bad;
		}
		memset(&q, 0, sizeof q);
		q.type = MSG_seeder_remove;
		q.seeder_remove.token = "";
		q.seeder_remove.file_id = id;
		q.seeder_remove.seeder = other;
		if (expect(tc, &q, MSG_ok, &r) != 0)
			goto bad;
		memset(&q, 0, sizeof q);
		q.type = MSG_seeders;
		q.seeders.token = "";
		q.seeders.file_id = id;
		if (expect(tc, &q, MSG_seeders_reply, &r) != 0 ||
		    has_item(&r.seeders_reply.seeders, other)) {
			fprintf(stderr, "stress: removed seeder listed\n");
			goto bad;
		}
		memset(&q, 0, sizeof q);
		q.type = MSG_announce;
		q.announce.token = "";
		q.announce.seeder = me;
		ids[0].p = id;
		ids[0].len = 40;
		q.announce.file_ids.n = 1;
		q.announce.file_ids.v = ids;
		if (expect(tc, &q, MSG_ok, &r) != 0)
			goto bad;
		memset(&q, 0, sizeof q);
		q.type = MSG_ping;
		if (expect(tc, &q, MSG_ok, &r) != 0)
			goto bad;
		s->ok += 8;
		continue;
bad:
		s->bad++;
	}
	tracker_client_free(tc);
	return (NULL);
}

static int
stress_mode(unsigned n, const char *addr)
{
	struct stress		*v;
	pthread_t		*th;
	pthread_barrier_t	 bar;
	unsigned		 i, ok = 0, bad = 0;
	uint64_t		 t0 = net_now_ms();

	v = xcalloc(n, sizeof *v);
	th = xcalloc(n, sizeof *th);
	pthread_barrier_init(&bar, NULL, n);
	for (i = 0; i < n; i++) {
		v[i].addr = addr;
		v[i].idx = i;
		v[i].bar = &bar;
		if (pthread_create(&th[i], NULL, stress_main, &v[i]) != 0) {
			fprintf(stderr, "mt-client: pthread_create\n");
			return (2);
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		ok += v[i].ok;
		bad += v[i].bad;
	}
	pthread_barrier_destroy(&bar);
	free(v);
	free(th);
	if (bad != 0) {
		printf("stress FAIL %u bad rounds, %u good requests\n", bad,
		    ok);
		return (1);
	}
	printf("stress ok %u %u in %" PRIu64 " ms\n", n, ok,
	    net_now_ms() - t0);
	return (0);
}

int
main(int argc, char **argv)
{
	struct tracker_client	*tc;
	union message		 req, rep;
	struct mt_err		 err;
	enum message_type	 t;
	const char		*extra[16], *mode = NULL, *key = NULL;
	const char		*cert = NULL;
	size_t			 nextra = 0, i;
	unsigned		 stress = 0, burst = 0;
	const char		*prefix = "w", *verify = NULL;
	int			 ch, rc;

	log_set_level(LOG_LEVEL_WARN);
	if (argc == 4 && strcmp(argv[1], "fileid") == 0) {
		unsigned	 n = (unsigned)strtoul(argv[3], NULL, 10);
		uint8_t		*p = xmalloc(20 * (size_t)n + 1);
		char		*hex = xmalloc(40 * (size_t)n + 1), id[41];

		make_file(argv[2], n, p, id);
		tohex(p, 20 * (size_t)n, hex);
		printf("%s %s\n", id, hex);
		free(p);
		free(hex);
		return (0);
	}
	while ((ch = getopt(argc, argv, "+f:k:a:r:c:s:w:p:V:")) != -1) {
		switch (ch) {
		case 'f':
			opt_fpr = optarg;
			break;
		case 'k':
			opt_known = optarg;
			break;
		case 'a':
			if (nextra < 16)
				extra[nextra++] = optarg;
			break;
		case 'r':
			mode = optarg;
			break;
		case 'c':
			if (optind >= argc)
				usage();
			key = optarg;
			cert = argv[optind++];
			break;
		case 's':
			stress = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			burst = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'V':
			verify = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (mode != NULL) {
		if (argc != 1)
			usage();
		return (raw_mode(mode, argv[0], key, cert));
	}
	if (burst > 0 || verify != NULL) {
		if (argc != 1)
			usage();
		return (burst > 0 ? burst_mode(burst, prefix, argv[0]) :
		    verify_mode(verify, argv[0]));
	}
	if (stress > 0) {
		if (argc != 1)
			usage();
		return (stress_mode(stress, argv[0]));
	}
	if (argc < 2)
		usage();
	if ((t = message_lookup(argv[1])) == MSG_NONE) {
		fprintf(stderr, "mt-client: unknown message %s\n", argv[1]);
		return (2);
	}
	if (build(&req, t, argv + 2, argc - 2) != 0)
		return (2);
	tc = tracker_client_create((const char *const *)argv, 1, opt_known,
	    "", "");
	tracker_client_add(tc, argv[0], opt_fpr);
	for (i = 0; i < nextra; i++)
		tracker_client_add(tc, extra[i], NULL);
	rc = tracker_client_call(tc, &req, &rep, &err);
	if (rc == 0)
		print_reply(&rep);
	else if (rep.type == MSG_error)
		printf("error %s %s\n", mt_err_name(err.code), err.msg);
	else
		printf("fail %s %s\n", mt_err_name(err.code), err.msg);
	fflush(stdout);
	tracker_client_free(tc);
	build_free();
	return (rc == 0 ? 0 : rep.type == MSG_error ? 1 : 3);
}
