/*
 * wire-fuzz.c: libFuzzer target for the frame decoder and every typed
 * message decoder.
 *
 * The first input byte picks how the rest is split into feeds (so every
 * split point is exercised).  Each decoded frame that is a valid message
 * is encoded again, decoded again and encoded once more: the two
 * encodings must be byte-identical (decode(encode(m)) == m).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "message.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_roundtrip(const union message *m)
{
	struct buf		 a, b;
	struct mt_err		 err;
	struct wire_decoder	*dec;
	union message		 m2;
	size_t			 used;

	buf_init(&a, WIRE_FRAME_MAX);
	buf_init(&b, WIRE_FRAME_MAX);
	if (message_encode(m, &a, &err) != 0)
		abort();	/* a decoded message must re-encode */
	dec = wire_decoder_create();
	if (wire_decode_feed(dec, a.data, a.len, &used, &err) != WIRE_FRAME ||
	    used != a.len)
		abort();
	if (message_decode(wire_decoder_frame(dec), &m2, &err) != 0)
		abort();
	if (message_encode(&m2, &b, &err) != 0)
		abort();
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	wire_decoder_free(dec);
	buf_done(&a);
	buf_done(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_decoder	*dec;
	struct mt_err		 err;
	union message		 m;
	size_t			 off = 1, step, used, n;
	enum wire_status	 st;

	if (size < 1)
		return (0);
	step = (size_t)data[0] % 17 + 1;
	if (data[0] >= 0xf0)
		step = size;
	dec = wire_decoder_create();
	while (off < size) {
		n = size - off < step ? size - off : step;
		st = wire_decode_feed(dec, data + off, n, &used, &err);
		if (st == WIRE_ERROR)
			break;
		if (used > n)
			abort();
		off += used;
		if (st == WIRE_FRAME) {
			const struct wire_frame *f = wire_decoder_frame(dec);

			if (f == NULL || f->payload_len > WIRE_PAYLOAD_MAX ||
			    f->nargs > WIRE_ARGS_MAX)
				abort();
			if (message_decode(f, &m, &err) == 0)
				check_roundtrip(&m);
		}
	}
	wire_decoder_free(dec);
	return (0);
}
