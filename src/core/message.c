/*
 * message.c: typed messages from and to wire frames, driven by one table
 * generated from message.def.
 *
 * Each message type has a field table (name, kind, offset into its
 * struct); decoding and encoding are one loop over that table.  Decoded
 * strings, blobs and lists borrow from the frame (wire.c guarantees a NUL
 * after every argument), so decoding never allocates.
 */
#include "config.h"

#include "message.h"

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "error.h"

struct msg_schema {
	const char		*name;
	const char		*dir;
	const struct message_field	*fields;
};

#define MSG_BEGIN(name, dir)	static const struct message_field name##_fields[] = {
#define FIELD(name, kind, field) \
	{ #field, MSG_K_##kind, offsetof(struct msg_##name, field), 0 },
#define FIELD_OPT(name, kind, field) \
	{ #field, MSG_K_##kind, offsetof(struct msg_##name, field), 1 },
#define MSG_END(name)		{ NULL, MSG_K_STR, 0, 0 } };
#include "message.def"
#undef MSG_BEGIN
#undef FIELD
#undef FIELD_OPT
#undef MSG_END

static const struct msg_schema schemas[MSG__COUNT] = {
#define MSG_BEGIN(name, dir)	[MSG_##name] = { #name, #dir, name##_fields },
#define FIELD(name, kind, field)
#define MSG_END(name)
#include "message.def"
#undef MSG_BEGIN
#undef FIELD
#undef MSG_END
};

const struct message_field *
message_fields(enum message_type t)
{
	if (t <= MSG_NONE || t >= MSG__COUNT)
		return (NULL);
	return (schemas[t].fields);
}

const char *
message_name(enum message_type t)
{
	if (t <= MSG_NONE || t >= MSG__COUNT)
		return (NULL);
	return (schemas[t].name);
}

enum message_type
message_lookup(const char *name)
{
	int	t;

	for (t = MSG_NONE + 1; t < MSG__COUNT; t++)
		if (strcmp(schemas[t].name, name) == 0)
			return ((enum message_type)t);
	return (MSG_NONE);
}

/* Check one text argument: length limit and no embedded NUL. */
static int
msg_check_text(const struct wire_arg *a, const char *what,
    struct mt_err *err)
{
	if (a->len > MSG_STR_MAX)
		return (mt_err_set(err, MT_E_TOOBIG,
		    "%s: text of %u bytes is over the limit of %d", what,
		    a->len, MSG_STR_MAX));
	if (memchr(a->p, '\0', a->len) != NULL)
		return (mt_err_set(err, MT_E_BADARGS,
		    "%s: text contains a NUL byte", what));
	return (0);
}

int
message_decode(const struct wire_frame *frame, union message *m,
    struct mt_err *err)
{
	const struct msg_schema	*s;
	const struct message_field	*f;
	enum message_type	 t;
	uint32_t		 i = 0;
	char			*base;

	if ((t = message_lookup(frame->type)) == MSG_NONE)
		return (mt_err_set(err, MT_E_BADTYPE,
		    "unknown message type \"%s\"", frame->type));
	s = &schemas[t];
	memset(m, 0, sizeof *m);
	m->type = t;
	base = (char *)m;

	for (f = s->fields; f->name != NULL; f++) {
		const struct wire_arg *a;

		if (f->kind == MSG_K_LIST) {
			struct msg_list *l = (struct msg_list *)(base + f->off);
			uint32_t n = frame->nargs - i;

			if (n > MSG_LIST_MAX)
				return (mt_err_set(err, MT_E_TOOBIG,
				    "%s.%s: %u items, limit %d", s->name,
				    f->name, n, MSG_LIST_MAX));
			for (uint32_t j = i; j < frame->nargs; j++)
				if (msg_check_text(&frame->args[j], f->name,
				    err) != 0)
					return (-1);
			l->n = n;
			l->v = n > 0 ? &frame->args[i] : NULL;
			i = frame->nargs;
			continue;
		}
		if (i >= frame->nargs) {
			if (f->optional)	/* an older sender: zero */
				continue;
			return (mt_err_set(err, MT_E_BADARGS,
			    "%s: missing argument \"%s\"", s->name, f->name));
		}
		/* Only now: args may be NULL when the frame has none. */
		a = &frame->args[i];
		switch (f->kind) {
		case MSG_K_STR:
			if (msg_check_text(a, f->name, err) != 0)
				return (-1);
			*(const char **)(base + f->off) = a->p;
			break;
		case MSG_K_U64:
			if (a->len != 8)
				return (mt_err_set(err, MT_E_BADARGS,
				    "%s.%s: integer of %u bytes, expected 8",
				    s->name, f->name, a->len));
			*(uint64_t *)(base + f->off) =
			    buf_get_u64be((const uint8_t *)a->p);
			break;
		case MSG_K_BLOB: {
			struct msg_blob *b = (struct msg_blob *)(base + f->off);

			b->p = (const uint8_t *)a->p;
			b->len = a->len;
			break;
		}
		case MSG_K_LIST:
			break;
		}
		i++;
	}
	if (i < frame->nargs)
		return (mt_err_set(err, MT_E_BADARGS,
		    "%s: %u arguments, expected %u", s->name, frame->nargs,
		    i));
	return (0);
}

/* Is field f of the message at base zero (U64 0, empty BLOB)? */
static int
msg_field_zero(const struct message_field *f, const char *base)
{
	switch (f->kind) {
	case MSG_K_U64:
		return (*(const uint64_t *)(base + f->off) == 0);
	case MSG_K_BLOB:
		return (((const struct msg_blob *)(base + f->off))->len == 0);
	case MSG_K_STR:
	case MSG_K_LIST:
		break;
	}
	return (0);
}

int
message_encode(const union message *m, struct buf *out, struct mt_err *err)
{
	const struct msg_schema	*s;
	const struct message_field	*f;
	const char		*base = (const char *)m;
	const struct message_field	*last;
	struct wire_encoder	 enc;
	size_t			 start = out->len;
	int			 rc = 0;

	if (m->type <= MSG_NONE || m->type >= MSG__COUNT)
		return (mt_err_set(err, MT_E_BADARGS,
		    "cannot encode message type %d", (int)m->type));
	s = &schemas[m->type];
	if (wire_encode_begin(&enc, out, s->name, err) != 0)
		return (-1);
	/* Optional fields left zero at the end are not sent. */
	for (last = s->fields; last->name != NULL; last++)
		;
	while (last > s->fields && last[-1].optional &&
	    msg_field_zero(&last[-1], base))
		last--;
	for (f = s->fields; f < last && rc == 0; f++) {
		switch (f->kind) {
		case MSG_K_STR: {
			const char *str = *(const char *const *)(base + f->off);

			if (str == NULL) {
				mt_err_set(err, MT_E_BADARGS,
				    "%s.%s is NULL", s->name, f->name);
				rc = -1;
			} else if (strlen(str) > MSG_STR_MAX) {
				mt_err_set(err, MT_E_TOOBIG,
				    "%s.%s: text over %d bytes", s->name,
				    f->name, MSG_STR_MAX);
				rc = -1;
			} else
				rc = wire_encode_str(&enc, str, err);
			break;
		}
		case MSG_K_U64:
			rc = wire_encode_u64(&enc,
			    *(const uint64_t *)(base + f->off), err);
			break;
		case MSG_K_BLOB: {
			const struct msg_blob *b =
			    (const struct msg_blob *)(base + f->off);

			rc = wire_encode_arg(&enc, b->p, b->len, err);
			break;
		}
		case MSG_K_LIST: {
			const struct msg_list *l =
			    (const struct msg_list *)(base + f->off);

			if (l->n > MSG_LIST_MAX) {
				mt_err_set(err, MT_E_TOOBIG,
				    "%s.%s: %u items, limit %d", s->name,
				    f->name, l->n, MSG_LIST_MAX);
				rc = -1;
				break;
			}
			for (uint32_t j = 0; j < l->n && rc == 0; j++) {
				if (l->v[j].p == NULL ||
				    l->v[j].len > MSG_STR_MAX ||
				    memchr(l->v[j].p, '\0', l->v[j].len)) {
					mt_err_set(err, MT_E_BADARGS,
					    "%s.%s: bad item %u", s->name,
					    f->name, j);
					rc = -1;
				} else
					rc = wire_encode_arg(&enc, l->v[j].p,
					    l->v[j].len, err);
			}
			break;
		}
		}
	}
	if (rc == 0)
		rc = wire_encode_end(&enc, err);
	if (rc != 0)
		out->len = start;
	return (rc);
}
