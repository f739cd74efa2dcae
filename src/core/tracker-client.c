/*
 * tracker-client.c: a peer's connection to its trackers.
 *
 * The trackers form an ordered list.  A call goes to the first tracker
 * that is not backing off (a tracker that failed is skipped for 1 s,
 * doubling up to 30 s, then tried first again), over one persistent TLS
 * connection; if that tracker does not connect, fails the pin check or
 * does not answer within TRACKER_CLIENT_TIMEOUT_MS, the next one is
 * tried, and trackers in back-off are the last resort.  A persistent
 * connection the tracker closed while idle is reopened once before the
 * tracker counts as failed.
 *
 * Pins: the fingerprint given with the tracker (from the .mtorrent or the
 * command line), else the known-trackers file (trust on first use).
 *
 * One mutex serialises calls; the reply borrows from the connection's
 * decoder until the next call.
 */
#include "config.h"

#include "tracker-client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "i18n.h"
#include "log.h"
#include "message.h"
#include "net.h"
#include "rpc.h"
#include "tls.h"
#include "xmalloc.h"

#define TCL_BACKOFF_MIN_MS	1000
#define TCL_BACKOFF_MAX_MS	30000

struct tcl_entry {
	char		 addr[NET_ADDR_MAX];
	char		 fpr[TLS_FPR_LEN + 1];
	int		 up;
	int		 asked;		/* tried at least once */
	uint64_t	 retry_ms;	/* back-off until */
	unsigned	 backoff_ms;
	int		 attempted;	/* in the current call */
};

struct tracker_client {
	pthread_mutex_t		 lock;
	struct tcl_entry	*v;		/* lock */
	size_t			 n, cap;	/* lock */
	size_t			 cur;		/* lock: conn's tracker */
	struct rpc_conn		*conn;		/* lock */
	struct ssl_ctx_st	*ctx;
	char			*known_path;
	char			*node_id;
	char			*listen;
};

static struct rpc_conn	*tcl_connect(struct tracker_client *tc, size_t i,
			    struct mt_err *err);
static int		 tcl_try(struct tracker_client *tc, size_t i,
			    const union message *req, union message *reply,
			    struct mt_err *err);

struct tracker_client *
tracker_client_create(const char *const *addrs, size_t n,
    const char *known_path, const char *node_id, const char *listen)
{
	struct tracker_client	*tc;
	struct mt_err		 err;
	size_t			 i;

	tc = xcalloc(1, sizeof *tc);
	pthread_mutex_init(&tc->lock, NULL);
	if ((tc->ctx = tls_ctx_client(NULL, &err)) == NULL)
		fatalx("%s", err.msg);
	tc->known_path = xstrdup(known_path != NULL ? known_path : "");
	tc->node_id = xstrdup(node_id != NULL ? node_id : "");
	tc->listen = xstrdup(listen != NULL ? listen : "");
	for (i = 0; i < n; i++)
		tracker_client_add(tc, addrs[i], NULL);
	return (tc);
}

void
tracker_client_free(struct tracker_client *tc)
{
	if (tc == NULL)
		return;
	rpc_free(tc->conn);
	tls_ctx_free(tc->ctx);
	free(tc->v);
	free(tc->known_path);
	free(tc->node_id);
	free(tc->listen);
	pthread_mutex_destroy(&tc->lock);
	free(tc);
}

void
tracker_client_add(struct tracker_client *tc, const char *addr,
    const char *fpr)
{
	struct tcl_entry	*e = NULL;
	size_t			 i;

	pthread_mutex_lock(&tc->lock);
	for (i = 0; i < tc->n; i++)
		if (strcmp(tc->v[i].addr, addr) == 0) {
			e = &tc->v[i];
			break;
		}
	if (e == NULL) {
		if (tc->n == tc->cap) {
			tc->cap = tc->cap ? tc->cap * 2 : 4;
			tc->v = xreallocarray(tc->v, tc->cap, sizeof *tc->v);
		}
		e = &tc->v[tc->n++];
		memset(e, 0, sizeof *e);
		snprintf(e->addr, sizeof e->addr, "%s", addr);
		e->up = 1;	/* until proven otherwise */
	}
	if (fpr != NULL && *fpr != '\0' && tls_fpr_normalize(fpr, e->fpr) != 0)
		e->fpr[0] = '\0';
	pthread_mutex_unlock(&tc->lock);
}

/* Connect to tracker i, check its pin, exchange hello. */
static struct rpc_conn *
tcl_connect(struct tracker_client *tc, size_t i, struct mt_err *err)
{
	struct tcl_entry	*e = &tc->v[i];
	struct rpc_conn		*c;
	char			 fpr[TLS_FPR_LEN + 1];
	uint64_t		 deadline;
	int			 rc;

	deadline = net_now_ms() + TRACKER_CLIENT_TIMEOUT_MS;
	c = rpc_open(e->addr, tc->ctx, TRACKER_CLIENT_TIMEOUT_MS, -1, err);
	if (c == NULL)
		return (NULL);
	if (rpc_peer_fingerprint(c, fpr) != 0) {
		mt_err_set(err, MT_E_TLS, _("tracker %s sent no certificate"),
		    e->addr);
		rpc_free(c);
		return (NULL);
	}
	rc = tls_pin_check(tc->known_path, e->addr, e->fpr, fpr, err);
	if (rc != 0 && err->code == MT_E_IO) {
		/*
		 * First use, but a full disk (say) cannot record it: trust
		 * it for this run (kept in e->fpr below) rather than lose
		 * the tracker until the disk has room.
		 */
		log_warn(_("tracker %s: %s; trusting SHA256:%s for this run "
		    "only"), e->addr, err->msg, fpr);
		mt_err_clear(err);
	} else if (rc != 0) {
		if (err->code == MT_E_TLS)
			log_warn("tracker %s: %s", e->addr, err->msg);
		rpc_free(c);
		return (NULL);
	}
	/* Trusted now (pinned or first use): remember it for .mtorrents. */
	if (e->fpr[0] == '\0')
		snprintf(e->fpr, sizeof e->fpr, "%s", fpr);
	if (rpc_hello(c, "client", tc->node_id, tc->listen, deadline, NULL,
	    err) != 0) {
		rpc_free(c);
		return (NULL);
	}
	return (c);
}

/*
 * Ask tracker i.  0: answered (reply filled; 1 if it is an error reply,
 * err filled from it), -1: no answer (err says why).
 */
static int
tcl_try(struct tracker_client *tc, size_t i, const union message *req,
    union message *reply, struct mt_err *err)
{
	uint64_t	deadline;
	int		fresh, attempt;

	if (tc->conn != NULL && tc->cur != i) {
		rpc_free(tc->conn);
		tc->conn = NULL;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = 0;
		if (tc->conn == NULL) {
			if ((tc->conn = tcl_connect(tc, i, err)) == NULL)
				return (-1);
			tc->cur = i;
			fresh = 1;
		}
		deadline = net_now_ms() + (req->type == MSG_create_user ||
		    req->type == MSG_login ? TRACKER_CLIENT_SLOW_TIMEOUT_MS :
		    TRACKER_CLIENT_TIMEOUT_MS);
		if (rpc_send(tc->conn, req, deadline, err) == 0 &&
		    rpc_recv(tc->conn, reply, deadline, err) == 0) {
			if (reply->type == MSG_error) {
				rpc_error_to_err(&reply->error, err);
				return (1);
			}
			return (0);
		}
		rpc_free(tc->conn);
		tc->conn = NULL;
		/* A stale idle connection: reopen once. */
		if (fresh || err->code != MT_E_NET)
			return (-1);
	}
	return (-1);
}

int
tracker_client_call(struct tracker_client *tc, const union message *req,
    union message *reply, struct mt_err *err)
{
	struct mt_err	 e, tls_e;
	struct tcl_entry *ent;
	uint64_t	 now;
	size_t		 i, pass;
	int		 rc, tried = 0, tls_failed = 0;

	mt_err_clear(err);
	memset(reply, 0, sizeof *reply);
	mt_err_set(&e, MT_E_NET, _("no tracker configured"));
	pthread_mutex_lock(&tc->lock);
	now = net_now_ms();
	for (i = 0; i < tc->n; i++)
		tc->v[i].attempted = 0;
	/* Pass 0: trackers not backing off, in order; pass 1: the rest. */
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < tc->n; i++) {
			ent = &tc->v[i];
			if (ent->attempted || (pass == 0 && !ent->up &&
			    ent->retry_ms > now))
				continue;
			ent->attempted = 1;
			tried++;
			rc = tcl_try(tc, i, req, reply, &e);
			ent->asked = 1;
			if (rc >= 0) {
				ent->up = 1;
				ent->backoff_ms = 0;
				pthread_mutex_unlock(&tc->lock);
				if (rc == 1) {
					if (err != NULL)
						*err = e;
					return (-1);
				}
				return (0);
			}
			log_info(_("tracker %s did not answer: %s"), ent->addr,
			    e.msg);
			if (e.code == MT_E_TLS) {
				tls_failed = 1;
				tls_e = e;
			}
			ent->up = 0;
			ent->backoff_ms = ent->backoff_ms == 0 ?
			    TCL_BACKOFF_MIN_MS : ent->backoff_ms * 2;
			if (ent->backoff_ms > TCL_BACKOFF_MAX_MS)
				ent->backoff_ms = TCL_BACKOFF_MAX_MS;
			ent->retry_ms = net_now_ms() + ent->backoff_ms;
		}
	}
	pthread_mutex_unlock(&tc->lock);
	memset(reply, 0, sizeof *reply);
	if (err != NULL)
		*err = tls_failed ? tls_e : e;
	(void)tried;
	return (-1);
}

int
tracker_client_fingerprint(struct tracker_client *tc, const char *addr,
    char *out, size_t outlen)
{
	size_t	i;
	int	rc = -1;

	char	fpr[TLS_FPR_LEN + 1];

	pthread_mutex_lock(&tc->lock);
	for (i = 0; i < tc->n; i++) {
		if (strcmp(tc->v[i].addr, addr) == 0 && tc->v[i].fpr[0] != '\0') {
			snprintf(out, outlen, "%s", tc->v[i].fpr);
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&tc->lock);
	/* Not contacted yet in this run: what an earlier run pinned. */
	if (rc != 0 && tc->known_path != NULL && tc->known_path[0] != '\0' &&
	    tls_pin_lookup(tc->known_path, addr, fpr) == 0) {
		snprintf(out, outlen, "%s", fpr);
		rc = 0;
	}
	return (rc);
}

size_t
tracker_client_count(struct tracker_client *tc)
{
	size_t	n;

	pthread_mutex_lock(&tc->lock);
	n = tc->n;
	pthread_mutex_unlock(&tc->lock);
	return (n);
}

int
tracker_client_status(struct tracker_client *tc, size_t i, char *addr,
    size_t addrlen, int *up, int *in_use)
{
	pthread_mutex_lock(&tc->lock);
	if (i >= tc->n) {
		pthread_mutex_unlock(&tc->lock);
		return (-1);
	}
	snprintf(addr, addrlen, "%s", tc->v[i].addr);
	if (up != NULL)
		*up = tc->v[i].asked ? tc->v[i].up : -1;
	if (in_use != NULL)
		*in_use = tc->conn != NULL && tc->cur == i;
	pthread_mutex_unlock(&tc->lock);
	return (0);
}
