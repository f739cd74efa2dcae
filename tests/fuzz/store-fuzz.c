/*
 * store-fuzz.c: libFuzzer target for the tracker's rules: every client
 * request through tracker_store_handle() and replication events through
 * tracker_store_apply(), on a fresh in-memory store per input.
 *
 * Raw frames would spend the fuzzer's effort on the codec (wire-fuzz
 * covers it), so the input is a compact script of typed messages:
 *
 *	u8 kind			index into fuzz_types[] (mod its size)
 *	then per field of that type, in wire order:
 *	  STR	u8 len, len bytes (NUL becomes 'x'); len 255 is the last
 *		session token, 254 the store's own id, 253 the file id of
 *		the pieces in this message (or the last one computed)
 *	  U64	u8 tag: < 0x80 the value, 0x80..0xfe (tag - 0x80) << 14,
 *		0xff then 8 bytes big-endian
 *	  BLOB	u16 len, len bytes
 *	  LIST	u8 count (at most 32), then that many STR as above
 *
 * Checks: handle() writes exactly one frame that decodes to a valid
 * message, whose type is ok, error or a reply; apply() either succeeds
 * or says why; relaying the events (tracker_store_events_after) gives
 * valid sync_event frames.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "error.h"
#include "hash.h"
#include "log.h"
#include "message.h"
#include "password.h"
#include "tracker-store.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MSGS_MAX	48
#define FUZZ_LIST_MAX	32
#define FUZZ_BASE_MS	1700000000000ULL

static const enum message_type fuzz_types[] = {
	MSG_share, MSG_seeder_add, MSG_seeder_remove, MSG_seeders,
	MSG_announce, MSG_bye, MSG_metainfo, MSG_create_user, MSG_login,
	MSG_logout, MSG_create_group, MSG_join_group, MSG_leave_group,
	MSG_list_requests, MSG_accept_request, MSG_list_groups,
	MSG_list_files, MSG_stop_share,
	/* Not client requests: the store must refuse them cleanly. */
	MSG_hello, MSG_ping, MSG_have_request, MSG_sync_hello,
	/* Applied with tracker_store_apply(). */
	MSG_sync_event, MSG_sync_event, MSG_sync_event
};
#define FUZZ_NTYPES	(sizeof fuzz_types / sizeof fuzz_types[0])

struct fuzz_in {
	const uint8_t	*p;
	size_t		 left;
	char		 token[256];
	char		 file_id[41];
	const char	*own_id;
	/* Strings and list items of the current message. */
	char		 strs[8 + FUZZ_LIST_MAX][256];
	int		 nstrs;
	int		 want_fid[8 + FUZZ_LIST_MAX];
	struct wire_arg	 items[FUZZ_LIST_MAX];
};

static int
fuzz_byte(struct fuzz_in *in)
{
	if (in->left == 0)
		return (-1);
	in->left--;
	return (*in->p++);
}

static const char *
fuzz_str(struct fuzz_in *in)
{
	char	*s;
	int	 len, i, c, k;

	if (in->nstrs >= (int)(sizeof in->strs / sizeof in->strs[0]))
		abort();
	k = in->nstrs++;
	s = in->strs[k];
	in->want_fid[k] = 0;
	len = fuzz_byte(in);
	if (len == 255) {
		strlcpy(s, in->token, sizeof in->strs[0]);
		return (s);
	}
	if (len == 254) {
		strlcpy(s, in->own_id, sizeof in->strs[0]);
		return (s);
	}
	if (len == 253) {
		in->want_fid[k] = 1;
		strlcpy(s, in->file_id, sizeof in->strs[0]);
		return (s);
	}
	for (i = 0; i < len; i++) {
		if ((c = fuzz_byte(in)) < 0)
			break;
		s[i] = c == 0 ? 'x' : (char)c;
	}
	s[i] = '\0';
	return (s);
}

static uint64_t
fuzz_u64(struct fuzz_in *in)
{
	uint64_t	v = 0;
	int		tag, i, c;

	if ((tag = fuzz_byte(in)) < 0)
		return (0);
	if (tag < 0x80)
		return ((uint64_t)tag);
	if (tag < 0xff)
		return ((uint64_t)(tag - 0x80) << 14);
	for (i = 0; i < 8; i++) {
		if ((c = fuzz_byte(in)) < 0)
			break;
		v = v << 8 | (uint64_t)c;
	}
	return (v);
}

/* Fill m (of type t) from the input; 0, or -1 at end of input. */
static int
fuzz_message(struct fuzz_in *in, enum message_type t, union message *m)
{
	const struct message_field	*f;
	struct msg_blob			 blob = { NULL, 0 };
	struct msg_list			*l;
	struct msg_blob			*b;
	uint8_t				 sha[HASH_SHA1_LEN];
	char				*base = (char *)m;
	int				 hi, lo, n, i, blob_seen = 0;

	memset(m, 0, sizeof *m);
	m->type = t;
	in->nstrs = 0;
	if ((f = message_fields(t)) == NULL)
		abort();
	for (; f->name != NULL; f++) {
		switch (f->kind) {
		case MSG_K_STR:
			*(const char **)(void *)(base + f->off) = fuzz_str(in);
			break;
		case MSG_K_U64:
			*(uint64_t *)(void *)(base + f->off) = fuzz_u64(in);
			break;
		case MSG_K_BLOB:
			b = (struct msg_blob *)(void *)(base + f->off);
			hi = fuzz_byte(in);
			lo = fuzz_byte(in);
			n = hi < 0 || lo < 0 ? 0 : hi << 8 | lo;
			if ((size_t)n > in->left)
				n = (int)in->left;
			b->p = in->p;
			b->len = (uint32_t)n;
			in->p += n;
			in->left -= (size_t)n;
			blob = *b;
			blob_seen = 1;
			break;
		case MSG_K_LIST:
			l = (struct msg_list *)(void *)(base + f->off);
			n = fuzz_byte(in);
			if (n < 0)
				n = 0;
			n %= FUZZ_LIST_MAX + 1;
			for (i = 0; i < n; i++) {
				in->items[i].p = fuzz_str(in);
				in->items[i].len =
				    (uint32_t)strlen(in->items[i].p);
			}
			l->n = (uint32_t)n;
			l->v = in->items;
			break;
		}
	}
	if (blob_seen && hash_sha1(blob.p, blob.len, sha, NULL) == 0) {
		hash_hex(sha, sizeof sha, in->file_id);
		for (i = 0; i < in->nstrs; i++)
			if (in->want_fid[i])
				strlcpy(in->strs[i], in->file_id,
				    sizeof in->strs[0]);
	}
	return (in->left == 0 && m->type == MSG_NONE ? -1 : 0);
}

/* out holds exactly one frame: decode it and check it. */
static void
fuzz_check_reply(struct fuzz_in *in, enum message_type req,
    const struct buf *out)
{
	struct wire_decoder	*dec;
	struct mt_err		 err;
	union message		 r;
	size_t			 used;

	dec = wire_decoder_create();
	if (wire_decode_feed(dec, out->data, out->len, &used, &err) !=
	    WIRE_FRAME || used != out->len)
		abort();
	if (message_decode(wire_decoder_frame(dec), &r, &err) != 0)
		abort();
	switch (r.type) {
	case MSG_ok:
	case MSG_error:
		break;
	case MSG_login_reply:
		if (req != MSG_login)
			abort();
		strlcpy(in->token, r.login_reply.token, sizeof in->token);
		break;
	case MSG_seeders_reply:
		if (req != MSG_seeders ||
		    r.seeders_reply.seeders.n > TRACKER_STORE_SEEDERS_MAX)
			abort();
		break;
	case MSG_metainfo_reply:
		if (req != MSG_metainfo)
			abort();
		break;
	case MSG_list_reply:
		if (req != MSG_list_groups && req != MSG_list_files &&
		    req != MSG_list_requests)
			abort();
		break;
	default:
		abort();
	}
	if (r.type == MSG_error && r.error.code == MT_E_OK)
		abort();
	wire_decoder_free(dec);
}

static int
fuzz_seen_none(void *arg, const char *origin, uint64_t *seq)
{
	(void)arg;
	(void)origin;
	(void)seq;
	return (1);
}

/* Every event the store would relay is a valid sync_event frame. */
static void
fuzz_check_relay(struct tracker_store *ts)
{
	struct wire_decoder	*dec;
	struct buf		 out;
	struct mt_err		 err;
	union message		 m;
	size_t			 off = 0, used;
	int			 n, k = 0;

	buf_init(&out, WIRE_FRAME_MAX * 4);
	n = tracker_store_events_after(ts, fuzz_seen_none, NULL, 256, &out);
	dec = wire_decoder_create();
	while (off < out.len) {
		if (wire_decode_feed(dec, out.data + off, out.len - off,
		    &used, &err) != WIRE_FRAME)
			abort();
		off += used;
		if (message_decode(wire_decoder_frame(dec), &m, &err) != 0 ||
		    m.type != MSG_sync_event)
			abort();
		k++;
	}
	if (n >= 0 && k != n)
		abort();
	wire_decoder_free(dec);
	buf_done(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int		 init;
	struct tracker_store	*ts;
	struct fuzz_in		 in;
	struct mt_err		 err;
	union message		 m;
	struct buf		 out;
	char			 seen[16][96];
	int			 kind, i;

	if (!init) {
		log_set_level(LOG_LEVEL_ERROR);
		init = 1;
	}
	if ((ts = tracker_store_open(":memory:", &err)) == NULL)
		abort();
	tracker_store_set_kdf_iter(ts, PASSWORD_ITER_MIN);
	memset(&in, 0, sizeof in);
	in.p = data;
	in.left = size;
	in.own_id = tracker_store_id(ts);
	buf_init(&out, WIRE_FRAME_MAX);
	for (i = 0; i < FUZZ_MSGS_MAX; i++) {
		if ((kind = fuzz_byte(&in)) < 0)
			break;
		(void)fuzz_message(&in, fuzz_types[(size_t)kind % FUZZ_NTYPES], &m);
		if (m.type == MSG_sync_event) {
			mt_err_clear(&err);
			if (tracker_store_apply(ts, &m.sync_event, &err) != 0 &&
			    err.code == MT_E_OK)
				abort();	/* a refusal must say why */
			continue;
		}
		buf_reset(&out);
		if (tracker_store_handle(ts, &m, "127.0.0.1",
		    FUZZ_BASE_MS + (uint64_t)i * 1000, &out) != 0)
			continue;	/* reply too big for out */
		fuzz_check_reply(&in, m.type, &out);
	}
	fuzz_check_relay(ts);
	(void)tracker_store_seen(ts, seen, 16);
	tracker_store_expire(ts, FUZZ_BASE_MS + 3600ULL * 1000);
	buf_done(&out);
	tracker_store_close(ts);
	return (0);
}
