/*
 * tracker-int.h: what tracker.c (client connections) and tracker-sync.c
 * (partner links) share; not for other modules.
 */
#ifndef MT_TRACKER_INT_H
#define MT_TRACKER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "tls.h"
#include "tracker.h"

struct tc_job;
struct rpc_conn;
struct ssl_ctx_st;
struct ssl_st;
struct tracker_store;
struct tracker_worker;
struct wire_decoder;

#define TRACKER_LINKS_MAX	(4 * TRACKER_PARTNERS_MAX)
#define TRACKER_KDF_THREADS	2	/* the store caps hashing too */

struct tracker_partner {
	char		 addr[NET_ADDR_MAX];
	char		 fpr[TLS_FPR_LEN + 1];	/* configured pin or "" */
};

/* A partner link, either direction; runs on its own thread. */
struct sync_link {
	struct tracker		*t;
	struct sync_link	*next;		/* t->link_lock */
	pthread_t		 thread;
	int			 outgoing;	/* immutable */
	size_t			 partner;	/* outgoing: index */
	int			 notify_fd;	/* eventfd: the store changed */
	atomic_int		 notified;
	atomic_int		 done;		/* thread finished */
	struct rpc_conn		*conn;		/* incoming: handed over */
	char			 peer_ip[64];
	char			 peer_id[96];	/* t->link_lock */
	int			 up;		/* t->link_lock: session on */
};

struct tracker {
	char			 listen_addr[NET_ADDR_MAX]; /* immutable */
	int			 listen_fd;
	struct tls_identity	*id;
	struct ssl_ctx_st	*sctx;
	struct ssl_ctx_st	*cctx;
	struct tracker_store	*ts;
	char			 node_id[96];
	char			*db_path, *key_path, *cert_path, *pins_path;

	struct tracker_partner	 partners[TRACKER_PARTNERS_MAX];
	size_t			 npartners;

	/* Limits (immutable after start). */
	unsigned		 max_conns;
	unsigned		 max_per_addr;
	unsigned		 hs_ms, idle_ms, frame_ms;
	unsigned		 nworkers;

	int			 stop_pipe[2];	/* readable once stopping */
	atomic_int		 stopping;

	struct tracker_worker	*workers;
	pthread_t		 kdf[TRACKER_KDF_THREADS];
	pthread_mutex_t		 kdf_lock;
	pthread_cond_t		 kdf_cond;	/* kdf_lock */
	struct tc_job		*kdf_head;	/* kdf_lock */
	struct tc_job		*kdf_tail;	/* kdf_lock */
	int			 kdf_stop;	/* kdf_lock */
	pthread_t		 house;

	atomic_uint		 nconns;
	atomic_size_t		 partial_bytes;
	pthread_mutex_t		 addr_lock;
	struct tracker_addr	**addr_tab;	/* addr_lock */

	atomic_uint_fast64_t	 last_gen;
	pthread_mutex_t		 link_lock;
	struct sync_link	*links;		/* link_lock */
	unsigned		 nlinks_in;	/* link_lock */
};

/* tracker.c */
uint64_t	 tracker_wall_ms(void);
void		 tracker_conn_release(struct tracker *t, const char *ip);
void		 tracker_gen_check(struct tracker *t);
/* Block all signals in the calling thread (threads we start). */
void		 tracker_block_signals(void);

/* tracker-sync.c */
int		 tracker_sync_start(struct tracker *t, struct mt_err *err);
void		 tracker_sync_stop(struct tracker *t);
void		 tracker_sync_notify(struct tracker *t);
void		 tracker_sync_reap(struct tracker *t);
/*
 * May fpr (claiming to listen on listen) sync with us?  1 yes (pinned now
 * if first contact with a configured partner), 0 no.
 */
int		 tracker_sync_authorise(struct tracker *t, const char *fpr,
		     const char *listen);
/*
 * Hand an authorised incoming partner connection (hello already
 * answered) to a new link thread.  Takes ownership of fd, ssl and dec
 * either way; 0, or -1 (over the link cap: closed).
 */
int		 tracker_sync_accept(struct tracker *t, int fd,
		     struct ssl_st *ssl, struct wire_decoder *dec,
		     const uint8_t *pending, size_t len, const char *ip,
		     const char *peer_id);

#endif /* MT_TRACKER_INT_H */
