/*
 * message.h: typed protocol messages, generated from message.def.
 *
 * message_decode() checks a decoded wire frame against the table for its
 * type (argument count, integer widths, text without NUL, limits) and
 * fills a struct whose strings and blobs borrow from the frame: they are
 * valid as long as the frame is.  message_encode() is the inverse.
 * Both are pure and table-driven: one loop over the field table, not a
 * parser per message.
 */
#ifndef MT_MESSAGE_H
#define MT_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

struct buf;
struct mt_err;

/*
 * Versions MIN..VERSION are accepted.  2 added piece_cancel, which a
 * peer sends only to a peer whose hello said 2 or more.  3 added the
 * brief `have`, whose file_id is "" for the file of the connection's
 * first have_request, sent only to a peer whose hello said 3 or more;
 * a peer refused for its version (an older one) is asked again with
 * MSG_PROTO_CANCEL.  Tracker
 * connections still say 1 (MSG_PROTO_TRACKER): the only later change
 * there is two optional arguments at the end of share and
 * metainfo_reply (FIELD_OPT, message.def), absent when zero, so
 * trackers and clients of version 1 keep working with these.
 */
#define MSG_PROTO_VERSION	3
#define MSG_PROTO_VERSION_MIN	1
#define MSG_PROTO_TRACKER	1
#define MSG_PROTO_CANCEL	2	/* first version with piece_cancel */
#define MSG_PROTO_BRIEF		3	/* first version with brief `have`s */
#define MSG_STR_MAX		4096	/* longest text argument */
#define MSG_LIST_MAX		(WIRE_ARGS_MAX - 8) /* items in a LIST */
/*
 * Chaining values a share or metainfo_reply carries: with the pieces
 * they fit one frame, and as hex one replication event.  A file that
 * needs more is recorded on the trackers without units.
 */
#define MSG_CHAIN_MAX		12000

/* Is v a protocol version a hello may carry (MIN..VERSION)? */
#define MSG_PROTO_OK(v)	((v) >= MSG_PROTO_VERSION_MIN && \
			    (v) <= MSG_PROTO_VERSION)

struct msg_blob {
	const uint8_t	*p;
	uint32_t	 len;
};

struct msg_list {
	uint32_t		 n;
	const struct wire_arg	*v;	/* each v[i].p is NUL-terminated */
};

enum message_type {
	MSG_NONE = 0,
#define MSG_BEGIN(name, dir)	MSG_##name,
#define FIELD(name, kind, field)
#define MSG_END(name)
#include "message.def"
#undef MSG_BEGIN
#undef FIELD
#undef MSG_END
	MSG__COUNT
};

#define MSG_FIELD_STR	const char *
#define MSG_FIELD_U64	uint64_t
#define MSG_FIELD_BLOB	struct msg_blob
#define MSG_FIELD_LIST	struct msg_list

#define MSG_BEGIN(name, dir)	struct msg_##name { enum message_type type;
#define FIELD(name, kind, field) MSG_FIELD_##kind field;
#define MSG_END(name)		};
#include "message.def"
#undef MSG_BEGIN
#undef FIELD
#undef MSG_END

/* Any message; m.type says which member is valid. */
union message {
	enum message_type	type;
#define MSG_BEGIN(name, dir)	struct msg_##name name;
#define FIELD(name, kind, field)
#define MSG_END(name)
#include "message.def"
#undef MSG_BEGIN
#undef FIELD
#undef MSG_END
};

/* Field kinds, and the schema of each type, for generic code (tests,
 * fuzzers, logging). */
enum message_kind {
	MSG_K_STR,
	MSG_K_U64,
	MSG_K_BLOB,
	MSG_K_LIST
};

struct message_field {
	const char		*name;
	enum message_kind	 kind;
	size_t			 off;	/* offset in struct msg_<type> */
	int			 optional; /* FIELD_OPT: may be absent */
};

/*
 * The fields of t in wire order, ending with an entry whose name is NULL;
 * NULL if t is not a message type.
 */
const struct message_field *message_fields(enum message_type t);

/* The wire name of t ("share"), or NULL if t is not a message type. */
const char	*message_name(enum message_type t);

/* The type whose wire name is name, or MSG_NONE. */
enum message_type message_lookup(const char *name);

/*
 * Check frame against the schema of its type and fill m, borrowing from
 * frame.  Returns 0, or -1 with MT_E_BADTYPE (unknown type), MT_E_BADARGS
 * (count, width, NUL in text) or MT_E_TOOBIG (text or list too long).
 */
int		 message_decode(const struct wire_frame *frame,
		     union message *m, struct mt_err *err);

/*
 * Append m as one frame to out.  Returns 0, or -1 with MT_E_TOOBIG or
 * MT_E_BADARGS (NULL string, type unknown); out is unchanged on failure.
 * A NULL STR field is an error; use "" for empty.
 */
int		 message_encode(const union message *m, struct buf *out,
		     struct mt_err *err);

#endif /* MT_MESSAGE_H */
