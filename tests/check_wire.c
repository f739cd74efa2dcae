/*
 * check_wire.c: the frame codec.  Round trips, every malformed frame with
 * its specific error, and split feeding (one byte at a time must give the
 * same frames as the whole stream at once).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "wire.h"

/* Encode a frame of type with nargs arguments "a0", "a1", ... */
static void
make_frame(struct buf *b, const char *type, unsigned nargs)
{
	struct wire_encoder	enc;
	struct mt_err		err;
	char			arg[16];

	ck_assert_int_eq(wire_encode_begin(&enc, b, type, &err), 0);
	for (unsigned i = 0; i < nargs; i++) {
		snprintf(arg, sizeof arg, "a%u", i);
		ck_assert_int_eq(wire_encode_str(&enc, arg, &err), 0);
	}
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
}

/* Decode all frames of data, fed in slices of step bytes; returns count. */
static int
decode_all(const uint8_t *data, size_t len, size_t step, char types[][40],
    unsigned *nargs, struct mt_err *err)
{
	struct wire_decoder	*dec = wire_decoder_create();
	size_t			 off = 0, used, n;
	int			 frames = 0;
	enum wire_status	 st;

	mt_err_clear(err);
	while (off < len) {
		n = len - off < step ? len - off : step;
		while (n > 0) {
			st = wire_decode_feed(dec, data + off, n, &used, err);
			if (st == WIRE_ERROR) {
				wire_decoder_free(dec);
				return (-1);
			}
			off += used;
			n -= used;
			if (st == WIRE_FRAME) {
				const struct wire_frame *f =
				    wire_decoder_frame(dec);

				snprintf(types[frames], 40, "%s", f->type);
				nargs[frames] = f->nargs;
				for (uint32_t i = 0; i < f->nargs &&
				    strcmp(f->type, "ab") != 0; i++) {
					char want[16];

					snprintf(want, sizeof want, "a%u", i);
					ck_assert_str_eq(f->args[i].p, want);
				}
				frames++;
			}
		}
	}
	if (wire_decode_eof(dec, err) != 0)
		frames = -1;
	wire_decoder_free(dec);
	return (frames);
}

START_TEST(test_roundtrip_split)
{
	struct buf	b;
	struct mt_err	err;
	char		types[8][40], types1[8][40];
	unsigned	nargs[8], nargs1[8];
	int		n, n1;

	buf_init(&b, WIRE_FRAME_MAX * 4);
	make_frame(&b, "share", 3);
	make_frame(&b, "ping", 0);
	make_frame(&b, "seeders_reply", 200);
	n = decode_all(b.data, b.len, b.len, types, nargs, &err);
	ck_assert_int_eq(n, 3);
	n1 = decode_all(b.data, b.len, 1, types1, nargs1, &err);
	ck_assert_int_eq(n1, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(types[i], types1[i]);
		ck_assert_uint_eq(nargs[i], nargs1[i]);
	}
	ck_assert_str_eq(types[0], "share");
	ck_assert_uint_eq(nargs[2], 200);
	/* Odd slice sizes too. */
	ck_assert_int_eq(decode_all(b.data, b.len, 7, types1, nargs1, &err),
	    3);
	buf_done(&b);
}
END_TEST

START_TEST(test_big_payload)
{
	struct buf		 b;
	struct mt_err		 err;
	struct wire_encoder	 enc;
	struct wire_decoder	*dec;
	uint8_t			*piece;
	size_t			 used;

	piece = malloc(WIRE_PIECE_SIZE);
	for (size_t i = 0; i < WIRE_PIECE_SIZE; i++)
		piece[i] = (uint8_t)(i * 7);
	buf_init(&b, WIRE_FRAME_MAX);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "piece_reply", &err), 0);
	ck_assert_int_eq(wire_encode_str(&enc, "id", &err), 0);
	ck_assert_int_eq(wire_encode_u64(&enc, 5, &err), 0);
	ck_assert_int_eq(wire_encode_arg(&enc, piece, WIRE_PIECE_SIZE, &err),
	    0);
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
	dec = wire_decoder_create();
	ck_assert_int_eq(wire_decode_feed(dec, b.data, b.len, &used, &err),
	    WIRE_FRAME);
	ck_assert_uint_eq(used, b.len);
	ck_assert_uint_eq(wire_decoder_frame(dec)->args[2].len,
	    WIRE_PIECE_SIZE);
	ck_assert_int_eq(memcmp(wire_decoder_frame(dec)->args[2].p, piece,
	    WIRE_PIECE_SIZE), 0);
	wire_decoder_free(dec);
	buf_done(&b);
	free(piece);
}
END_TEST

START_TEST(test_encode_limits)
{
	struct buf		 b;
	struct mt_err		 err;
	struct wire_encoder	 enc;
	uint8_t			*big;

	buf_init(&b, WIRE_FRAME_MAX * 2);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "Bad", &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADTYPE);
	ck_assert_uint_eq(b.len, 0);
	big = calloc(1, WIRE_PAYLOAD_MAX + 1);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "x", &err), 0);
	ck_assert_int_eq(wire_encode_arg(&enc, big, WIRE_PAYLOAD_MAX, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(b.len, 0);	/* restored */
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "x", &err), 0);
	for (int i = 0; i < WIRE_ARGS_MAX; i++)
		ck_assert_int_eq(wire_encode_arg(&enc, "", 0, &err), 0);
	ck_assert_int_eq(wire_encode_arg(&enc, "", 0, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(b.len, 0);
	/* A buffer whose own max is too small fails cleanly. */
	buf_done(&b);
	buf_init(&b, 16);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "share", &err), 0);
	ck_assert_int_eq(wire_encode_arg(&enc, big, 100, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(b.len, 0);
	free(big);
	buf_done(&b);
}
END_TEST

/*
 * Malformed frames.  Each row is built from a valid frame of type "ab"
 * with one argument "xyz" (the layout below), then damaged.
 *
 *   0..3 magic_start | 4 type_len | 5..6 "ab" | 7..10 payload_len (7)
 *   11..14 arg len (3) | 15..17 "xyz" | 18..21 magic_end
 */
struct bad_frame {
	const char	*what;
	int		 pos;		/* byte to overwrite, -1 none */
	uint8_t		 val;
	size_t		 cut;		/* keep only this many bytes, 0 = all */
	int		 extra;		/* append bytes after the frame */
	enum mt_errc	 want;
};

static const struct bad_frame bad_frames[] = {
	{ "bad magic start", 0, 0x00, 0, 0, MT_E_BADMAGIC },
	{ "bad magic start last byte", 3, 0x00, 0, 0, MT_E_BADMAGIC },
	{ "bad magic end", 21, 0x00, 0, 0, MT_E_BADMAGIC },
	{ "type length zero", 4, 0, 0, 0, MT_E_BADTYPE },
	{ "type length too long", 4, WIRE_TYPE_MAX + 1, 0, 0, MT_E_BADTYPE },
	{ "type uppercase", 5, 'A', 0, 0, MT_E_BADTYPE },
	{ "type control char", 6, '\n', 0, 0, MT_E_BADTYPE },
	{ "payload length huge", 7, 0xff, 0, 0, MT_E_TOOBIG },
	{ "argument overruns payload", 14, 9, 0, 0, MT_E_TRUNCATED },
	{ "argument length huge", 11, 0x7f, 0, 0, MT_E_TRUNCATED },
	{ "stray bytes after last argument", 14, 1, 0, 0, MT_E_TRAILING },
	{ "truncated in magic", -1, 0, 2, 0, MT_E_TRUNCATED },
	{ "truncated after type len", -1, 0, 5, 0, MT_E_TRUNCATED },
	{ "truncated in type", -1, 0, 6, 0, MT_E_TRUNCATED },
	{ "truncated in payload length", -1, 0, 9, 0, MT_E_TRUNCATED },
	{ "truncated in payload", -1, 0, 16, 0, MT_E_TRUNCATED },
	{ "truncated in magic end", -1, 0, 20, 0, MT_E_TRUNCATED },
	{ "trailing garbage after frame", -1, 0, 0, 1, MT_E_BADMAGIC },
};

START_TEST(test_bad_frames)
{
	const struct bad_frame	*t = &bad_frames[_i];
	struct buf		 b;
	struct wire_encoder	 enc;
	struct mt_err		 err;
	char			 types[4][40];
	unsigned		 nargs[4];
	size_t			 len;

	buf_init(&b, 1024);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "ab", &err), 0);
	ck_assert_int_eq(wire_encode_str(&enc, "xyz", &err), 0);
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
	ck_assert_uint_eq(b.len, 22);
	if (t->pos >= 0)
		b.data[t->pos] = t->val;
	if (t->extra)
		ck_assert_int_eq(buf_add(&b, "garbage!", 8, &err), 0);
	len = t->cut ? t->cut : b.len;
	/* Whole and byte by byte must fail the same way. */
	ck_assert_msg(decode_all(b.data, len, len, types, nargs, &err) == -1,
	    "%s: accepted", t->what);
	ck_assert_msg(err.code == t->want, "%s: got %s want %s", t->what,
	    mt_err_name(err.code), mt_err_name(t->want));
	ck_assert_int_eq(decode_all(b.data, len, 1, types, nargs, &err), -1);
	ck_assert_msg(err.code == t->want, "%s (split): got %s", t->what,
	    mt_err_name(err.code));
	buf_done(&b);
}
END_TEST

START_TEST(test_too_many_args)
{
	uint8_t		*raw;
	size_t		 n = WIRE_ARGS_MAX + 1, plen = n * 4, len;
	struct mt_err	 err;
	char		 types[2][40];
	unsigned	 nargs[2];

	len = 4 + 1 + 1 + 4 + plen + 4;
	raw = calloc(1, len);
	buf_put_u32be(raw, WIRE_MAGIC_START);
	raw[4] = 1;
	raw[5] = 'x';
	buf_put_u32be(raw + 6, (uint32_t)plen);
	buf_put_u32be(raw + 10 + plen, WIRE_MAGIC_END);
	ck_assert_int_eq(decode_all(raw, len, len, types, nargs, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	free(raw);
}
END_TEST

START_TEST(test_failed_stays_failed)
{
	struct wire_decoder	*dec = wire_decoder_create();
	struct mt_err		 err;
	struct buf		 b;
	size_t			 used;

	buf_init(&b, 1024);
	make_frame(&b, "ok", 1);
	ck_assert_int_eq(wire_decode_feed(dec, (const uint8_t *)"XXXX", 4,
	    &used, &err), WIRE_ERROR);
	ck_assert_int_eq(wire_decode_feed(dec, b.data, b.len, &used, &err),
	    WIRE_ERROR);
	wire_decoder_free(dec);
	buf_done(&b);
}
END_TEST

static Suite *
wire_suite(void)
{
	Suite	*s = suite_create("wire");
	TCase	*tc;

	tc = tcase_create("roundtrip");
	tcase_add_test(tc, test_roundtrip_split);
	tcase_add_test(tc, test_big_payload);
	tcase_add_test(tc, test_encode_limits);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad_frames, 0,
	    (int)(sizeof bad_frames / sizeof bad_frames[0]));
	tcase_add_test(tc, test_too_many_args);
	tcase_add_test(tc, test_failed_stays_failed);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(wire_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
