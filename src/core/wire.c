/*
 * wire.c: the frame codec.
 *
 * The decoder is an explicit state machine fed arbitrary slices of a
 * byte stream.  Fixed-size fields are gathered in a small header buffer;
 * the payload goes into a buffer sized from payload_len only after
 * payload_len has been checked against WIRE_PAYLOAD_MAX.  When the frame
 * is complete its arguments are indexed in place: each argument's bytes
 * are followed in the buffer by the next argument's length prefix (already
 * parsed) or by one spare byte, so a NUL can be stored after every
 * argument without copying.
 *
 * Invariants: state == WS_FAILED is final; payload_cap >= payload_len + 1
 * whenever a payload is being read.
 */
#include "config.h"

#include "wire.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "xmalloc.h"

enum wire_state {
	WS_MAGIC_START,
	WS_TYPE_LEN,
	WS_TYPE,
	WS_PAYLOAD_LEN,
	WS_PAYLOAD,
	WS_MAGIC_END,
	WS_FAILED
};

struct wire_decoder {
	enum wire_state	 state;
	uint8_t		 hdr[4];	/* partial fixed-size field */
	size_t		 hdr_have;
	size_t		 type_len;
	size_t		 type_have;
	size_t		 frame_bytes;	/* bytes of the current frame so far */
	uint8_t		*payload;
	size_t		 payload_cap;
	size_t		 payload_have;
	struct wire_arg	*args;
	size_t		 args_cap;
	struct wire_frame frame;
	int		 have_frame;
};

static int	wire_index_args(struct wire_decoder *, struct mt_err *);

int
wire_type_valid(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > WIRE_TYPE_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return (0);
	}
	return (1);
}

struct wire_decoder *
wire_decoder_create(void)
{
	struct wire_decoder	*dec;

	dec = xcalloc(1, sizeof *dec);
	dec->state = WS_MAGIC_START;
	return (dec);
}

void
wire_decoder_free(struct wire_decoder *dec)
{
	if (dec == NULL)
		return;
	free(dec->payload);
	free(dec->args);
	free(dec);
}

const struct wire_frame *
wire_decoder_frame(const struct wire_decoder *dec)
{
	return (dec->have_frame ? &dec->frame : NULL);
}

size_t
wire_decoder_pending(const struct wire_decoder *dec)
{
	return (dec->state == WS_FAILED ? 0 : dec->frame_bytes);
}

int
wire_decode_eof(const struct wire_decoder *dec, struct mt_err *err)
{
	if (dec->state == WS_FAILED)
		return (mt_err_set(err, MT_E_PROTO, "stream already failed"));
	if (dec->frame_bytes != 0)
		return (mt_err_set(err, MT_E_TRUNCATED,
		    "stream ended inside a frame (%zu bytes held)",
		    dec->frame_bytes));
	return (0);
}

/* Fail the decoder for good; returns WIRE_ERROR. */
static enum wire_status
wire_fail(struct wire_decoder *dec)
{
	dec->state = WS_FAILED;
	return (WIRE_ERROR);
}

/*
 * Gather a 4-byte field.  Returns 1 when complete (value in *v), 0 when
 * more input is needed.
 */
static int
wire_take_u32(struct wire_decoder *dec, const uint8_t **p, size_t *left,
    uint32_t *v)
{
	size_t	n = 4 - dec->hdr_have;

	if (n > *left)
		n = *left;
	memcpy(dec->hdr + dec->hdr_have, *p, n);
	dec->hdr_have += n;
	*p += n;
	*left -= n;
	if (dec->hdr_have < 4)
		return (0);
	dec->hdr_have = 0;
	*v = buf_get_u32be(dec->hdr);
	return (1);
}

enum wire_status
wire_decode_feed(struct wire_decoder *dec, const uint8_t *data, size_t len,
    size_t *used, struct mt_err *err)
{
	const uint8_t	*p = data;
	size_t		 left = len, n;
	uint32_t	 v;

	*used = 0;
	if (dec->state == WS_FAILED) {
		mt_err_set(err, MT_E_PROTO, "decoder already failed");
		return (WIRE_ERROR);
	}
	dec->have_frame = 0;

	while (left > 0) {
		const uint8_t *before = p;

		switch (dec->state) {
		case WS_MAGIC_START:
			if (!wire_take_u32(dec, &p, &left, &v))
				break;
			if (v != WIRE_MAGIC_START) {
				mt_err_set(err, MT_E_BADMAGIC,
				    "bad frame start marker 0x%08x", v);
				return (wire_fail(dec));
			}
			dec->state = WS_TYPE_LEN;
			break;
		case WS_TYPE_LEN:
			dec->type_len = *p++;
			left--;
			if (dec->type_len == 0 ||
			    dec->type_len > WIRE_TYPE_MAX) {
				mt_err_set(err, MT_E_BADTYPE,
				    "message type length %zu not in 1..%d",
				    dec->type_len, WIRE_TYPE_MAX);
				return (wire_fail(dec));
			}
			dec->type_have = 0;
			dec->state = WS_TYPE;
			break;
		case WS_TYPE:
			n = dec->type_len - dec->type_have;
			if (n > left)
				n = left;
			memcpy(dec->frame.type + dec->type_have, p, n);
			if (!wire_type_valid(dec->frame.type + dec->type_have,
			    n) && n > 0) {
				mt_err_set(err, MT_E_BADTYPE,
				    "message type has a character outside "
				    "[a-z0-9_]");
				return (wire_fail(dec));
			}
			dec->type_have += n;
			p += n;
			left -= n;
			if (dec->type_have == dec->type_len) {
				dec->frame.type[dec->type_len] = '\0';
				dec->state = WS_PAYLOAD_LEN;
			}
			break;
		case WS_PAYLOAD_LEN:
			if (!wire_take_u32(dec, &p, &left, &v))
				break;
			if (v > WIRE_PAYLOAD_MAX) {
				mt_err_set(err, MT_E_TOOBIG,
				    "payload of %u bytes is over the limit "
				    "of %u", v, WIRE_PAYLOAD_MAX);
				return (wire_fail(dec));
			}
			dec->frame.payload_len = v;
			/* +1: room for the NUL after the last argument. */
			if (dec->payload_cap < (size_t)v + 1) {
				free(dec->payload);
				dec->payload = xmalloc((size_t)v + 1);
				dec->payload_cap = (size_t)v + 1;
			}
			dec->payload_have = 0;
			dec->state = v == 0 ? WS_MAGIC_END : WS_PAYLOAD;
			break;
		case WS_PAYLOAD:
			n = dec->frame.payload_len - dec->payload_have;
			if (n > left)
				n = left;
			memcpy(dec->payload + dec->payload_have, p, n);
			dec->payload_have += n;
			p += n;
			left -= n;
			if (dec->payload_have == dec->frame.payload_len)
				dec->state = WS_MAGIC_END;
			break;
		case WS_MAGIC_END:
			if (!wire_take_u32(dec, &p, &left, &v))
				break;
			if (v != WIRE_MAGIC_END) {
				mt_err_set(err, MT_E_BADMAGIC,
				    "bad frame end marker 0x%08x", v);
				return (wire_fail(dec));
			}
			if (wire_index_args(dec, err) != 0)
				return (wire_fail(dec));
			dec->state = WS_MAGIC_START;
			dec->frame_bytes = 0;
			dec->have_frame = 1;
			*used = (size_t)(p - data);
			return (WIRE_FRAME);
		case WS_FAILED:
			return (WIRE_ERROR);
		}
		dec->frame_bytes += (size_t)(p - before);
	}
	*used = len;
	return (WIRE_MORE);
}

/* Split the completed payload into arguments and NUL-terminate each. */
static int
wire_index_args(struct wire_decoder *dec, struct mt_err *err)
{
	size_t		 off = 0, nargs = 0, plen = dec->frame.payload_len;
	uint32_t	 alen;

	/* First pass: validate and count, before allocating the index. */
	while (off < plen) {
		if (plen - off < 4)
			return (mt_err_set(err, MT_E_TRAILING,
			    "%zu stray bytes after the last argument",
			    plen - off));
		alen = buf_get_u32be(dec->payload + off);
		off += 4;
		if (alen > plen - off)
			return (mt_err_set(err, MT_E_TRUNCATED,
			    "argument %zu claims %u bytes, %zu left", nargs,
			    alen, plen - off));
		off += alen;
		if (++nargs > WIRE_ARGS_MAX)
			return (mt_err_set(err, MT_E_TOOBIG,
			    "more than %d arguments", WIRE_ARGS_MAX));
	}
	if (nargs > dec->args_cap) {
		dec->args = xreallocarray(dec->args, nargs,
		    sizeof *dec->args);
		dec->args_cap = nargs;
	}
	/* Second pass: record, then terminate (the byte after each
	 * argument is either the next prefix, already read, or spare). */
	off = 0;
	for (size_t i = 0; i < nargs; i++) {
		alen = buf_get_u32be(dec->payload + off);
		off += 4;
		dec->args[i].p = (const char *)dec->payload + off;
		dec->args[i].len = alen;
		off += alen;
	}
	for (size_t i = 0; i < nargs; i++)
		((char *)dec->args[i].p)[dec->args[i].len] = '\0';
	dec->frame.nargs = (uint32_t)nargs;
	dec->frame.args = dec->args;
	return (0);
}

int
wire_encode_begin(struct wire_encoder *enc, struct buf *out,
    const char *type, struct mt_err *err)
{
	size_t	 tlen = strlen(type);
	uint8_t	*p;

	enc->out = out;
	enc->start = out->len;
	enc->nargs = 0;
	enc->failed = 0;
	if (!wire_type_valid(type, tlen)) {
		enc->failed = 1;
		return (mt_err_set(err, MT_E_BADTYPE,
		    "invalid message type \"%.40s\"", type));
	}
	if ((p = buf_reserve(out, 4 + 1 + tlen + 4, err)) == NULL) {
		enc->failed = 1;
		return (-1);
	}
	buf_put_u32be(p, WIRE_MAGIC_START);
	p[4] = (uint8_t)tlen;
	memcpy(p + 5, type, tlen);
	buf_put_u32be(p + 5 + tlen, 0);
	buf_commit(out, 4 + 1 + tlen + 4);
	return (0);
}

/* Current payload length of the frame being encoded. */
static size_t
wire_enc_payload(const struct wire_encoder *enc)
{
	size_t	tlen = enc->out->data[enc->start + 4];

	return (enc->out->len - enc->start - (4 + 1 + tlen + 4));
}

/* Undo the partial frame; returns -1. */
static int
wire_enc_abort(struct wire_encoder *enc)
{
	enc->failed = 1;
	if (enc->out->len > enc->start)
		enc->out->len = enc->start;
	return (-1);
}

int
wire_encode_arg(struct wire_encoder *enc, const void *p, size_t len,
    struct mt_err *err)
{
	uint8_t	*dst;

	if (enc->failed)
		return (mt_err_set(err, MT_E_INTERNAL, "encoder failed"));
	if (enc->nargs >= WIRE_ARGS_MAX) {
		mt_err_set(err, MT_E_TOOBIG, "more than %d arguments",
		    WIRE_ARGS_MAX);
		return (wire_enc_abort(enc));
	}
	if (len > WIRE_PAYLOAD_MAX ||
	    wire_enc_payload(enc) + 4 + len > WIRE_PAYLOAD_MAX) {
		mt_err_set(err, MT_E_TOOBIG, "payload over %u bytes",
		    WIRE_PAYLOAD_MAX);
		return (wire_enc_abort(enc));
	}
	if ((dst = buf_reserve(enc->out, 4 + len, err)) == NULL)
		return (wire_enc_abort(enc));
	buf_put_u32be(dst, (uint32_t)len);
	if (len > 0)
		memcpy(dst + 4, p, len);
	buf_commit(enc->out, 4 + len);
	enc->nargs++;
	return (0);
}

int
wire_encode_u64(struct wire_encoder *enc, uint64_t v, struct mt_err *err)
{
	uint8_t	b[8];

	buf_put_u64be(b, v);
	return (wire_encode_arg(enc, b, sizeof b, err));
}

int
wire_encode_str(struct wire_encoder *enc, const char *s, struct mt_err *err)
{
	return (wire_encode_arg(enc, s, strlen(s), err));
}

int
wire_encode_end(struct wire_encoder *enc, struct mt_err *err)
{
	uint8_t	*p;
	size_t	 tlen, plen;

	if (enc->failed)
		return (mt_err_set(err, MT_E_INTERNAL, "encoder failed"));
	if ((p = buf_reserve(enc->out, 4, err)) == NULL)
		return (wire_enc_abort(enc));
	buf_put_u32be(p, WIRE_MAGIC_END);
	plen = wire_enc_payload(enc);
	buf_commit(enc->out, 4);
	tlen = enc->out->data[enc->start + 4];
	buf_put_u32be(enc->out->data + enc->start + 5 + tlen, (uint32_t)plen);
	return (0);
}
