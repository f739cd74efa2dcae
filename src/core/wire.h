/*
 * wire.h: the frame codec (see doc/protocol.md, "Frames").
 *
 * A frame is
 *
 *	u32 magic_start		WIRE_MAGIC_START
 *	u8  type_len		1..WIRE_TYPE_MAX
 *	    type		[a-z0-9_], type_len bytes
 *	u32 payload_len		0..WIRE_PAYLOAD_MAX
 *	    payload		arguments, each: u32 len, len bytes
 *	u32 magic_end		WIRE_MAGIC_END
 *
 * All integers are unsigned big-endian (network order).  The codec is
 * pure: no I/O, no locks, no clock, no logging.
 */
#ifndef MT_WIRE_H
#define MT_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct mt_err;

#define WIRE_MAGIC_START	0x6d745246U	/* "mtRF" */
#define WIRE_MAGIC_END		0x6d74454eU	/* "mtEN" */
#define WIRE_TYPE_MAX		32
#define WIRE_PIECE_SIZE		(512U * 1024U)
#define WIRE_PAYLOAD_MAX	(WIRE_PIECE_SIZE + 4096U)
#define WIRE_ARGS_MAX		1024
/* Fixed bytes around the type and payload. */
#define WIRE_OVERHEAD		(4 + 1 + 4 + 4)
#define WIRE_FRAME_MAX		(WIRE_OVERHEAD + WIRE_TYPE_MAX + WIRE_PAYLOAD_MAX)

/*
 * One argument of a decoded frame.  p[len] is always '\0', so a text
 * argument can be used as a C string once it is known to hold no NUL.
 */
struct wire_arg {
	const char	*p;
	uint32_t	 len;
};

struct wire_frame {
	char			 type[WIRE_TYPE_MAX + 1];
	uint32_t		 nargs;
	const struct wire_arg	*args;
	uint32_t		 payload_len;
};

enum wire_status {
	WIRE_ERROR = -1,	/* err says why; the stream is unusable */
	WIRE_MORE = 0,		/* all input consumed, no frame yet */
	WIRE_FRAME = 1		/* a frame is ready: wire_decoder_frame() */
};

struct wire_decoder;

/* Returns a new decoder; free with wire_decoder_free(). */
struct wire_decoder	*wire_decoder_create(void);
void			 wire_decoder_free(struct wire_decoder *dec);

/*
 * Feed len bytes.  Stops after the first complete frame: *used says how
 * many bytes were taken (feed the rest again).  Input may be split at any
 * byte.  Limits are checked before any allocation.  After WIRE_ERROR the
 * decoder stays failed.
 */
enum wire_status	 wire_decode_feed(struct wire_decoder *dec,
			     const uint8_t *data, size_t len, size_t *used,
			     struct mt_err *err);

/*
 * Call at end of input: 0 if the decoder stands between frames, else -1
 * with MT_E_TRUNCATED (the stream ended inside a frame).
 */
int			 wire_decode_eof(const struct wire_decoder *dec,
			     struct mt_err *err);

/* Bytes of the current partial frame held so far (0 between frames). */
size_t			 wire_decoder_pending(const struct wire_decoder *dec);

/*
 * The frame just decoded; valid until the next wire_decode_feed() or
 * wire_decoder_free().
 */
const struct wire_frame	*wire_decoder_frame(const struct wire_decoder *dec);

/*
 * Encoding: wire_encode_begin() writes the header with a placeholder
 * length, wire_encode_arg() appends arguments, wire_encode_end() patches
 * the length and writes magic_end.  Each returns 0, or -1 with
 * MT_E_TOOBIG (frame over the limits, or out/buf max reached) or
 * MT_E_BADTYPE.  On failure out is restored to its length before begin.
 * Calls for one frame must not be interleaved with another's.
 */
struct wire_encoder {
	struct buf	*out;
	size_t		 start;		/* offset of magic_start in out */
	uint32_t	 nargs;
	int		 failed;
};

int	 wire_encode_begin(struct wire_encoder *enc, struct buf *out,
	     const char *type, struct mt_err *err);
int	 wire_encode_arg(struct wire_encoder *enc, const void *p, size_t len,
	     struct mt_err *err);
int	 wire_encode_u64(struct wire_encoder *enc, uint64_t v,
	     struct mt_err *err);
int	 wire_encode_str(struct wire_encoder *enc, const char *s,
	     struct mt_err *err);
int	 wire_encode_end(struct wire_encoder *enc, struct mt_err *err);

/* True if s is a valid type name (1..WIRE_TYPE_MAX of [a-z0-9_]). */
int	 wire_type_valid(const char *s, size_t len);

#endif /* MT_WIRE_H */
