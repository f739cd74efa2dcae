/*
 * check_message.c: typed messages.  Every type of message.def is filled
 * generically from its schema, encoded, decoded and compared; each
 * schema violation gives its specific error.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "message.h"
#include "wire.h"

static const char *const texts[] = { "", "alpha", "b c d", "\xc3\xa9t\xc3\xa9" };
static const uint8_t blob[] = { 0, 1, 2, 0xff, 0, 0x80 };
static struct wire_arg list_items[3];

/* Fill every field of a message of type t from seed. */
static void
fill(union message *m, enum message_type t, unsigned seed)
{
	const struct message_field	*f;
	char				*base = (char *)m;

	memset(m, 0, sizeof *m);
	m->type = t;
	for (f = message_fields(t); f->name != NULL; f++, seed++) {
		switch (f->kind) {
		case MSG_K_STR:
			*(const char **)(base + f->off) =
			    texts[seed % 4];
			break;
		case MSG_K_U64:
			*(uint64_t *)(base + f->off) =
			    UINT64_C(0x0102030405060708) * (seed + 1);
			break;
		case MSG_K_BLOB: {
			struct msg_blob *b = (struct msg_blob *)(base + f->off);

			b->p = blob;
			b->len = seed % 2 ? sizeof blob : 0;
			break;
		}
		case MSG_K_LIST: {
			struct msg_list *l = (struct msg_list *)(base + f->off);

			l->n = seed % 4 == 0 ? 0 : 3;
			l->v = list_items;
			break;
		}
		}
	}
}

/* Field by field equality of two messages of the same type. */
static void
assert_same(const union message *a, const union message *b)
{
	const struct message_field	*f;
	const char			*pa = (const char *)a;
	const char			*pb = (const char *)b;

	ck_assert_int_eq(a->type, b->type);
	for (f = message_fields(a->type); f->name != NULL; f++) {
		switch (f->kind) {
		case MSG_K_STR:
			ck_assert_str_eq(*(const char *const *)(pa + f->off),
			    *(const char *const *)(pb + f->off));
			break;
		case MSG_K_U64:
			ck_assert(*(const uint64_t *)(pa + f->off) ==
			    *(const uint64_t *)(pb + f->off));
			break;
		case MSG_K_BLOB: {
			const struct msg_blob *x = (const void *)(pa + f->off);
			const struct msg_blob *y = (const void *)(pb + f->off);

			ck_assert_uint_eq(x->len, y->len);
			ck_assert(x->len == 0 ||
			    memcmp(x->p, y->p, x->len) == 0);
			break;
		}
		case MSG_K_LIST: {
			const struct msg_list *x = (const void *)(pa + f->off);
			const struct msg_list *y = (const void *)(pb + f->off);

			ck_assert_uint_eq(x->n, y->n);
			for (uint32_t i = 0; i < x->n; i++) {
				ck_assert_uint_eq(x->v[i].len, y->v[i].len);
				ck_assert(memcmp(x->v[i].p, y->v[i].p,
				    x->v[i].len) == 0);
			}
			break;
		}
		}
	}
}

/* Decode exactly one frame from b into m (decoder returned for lifetime). */
static struct wire_decoder *
decode_one(const struct buf *b, union message *m, struct mt_err *err,
    int *rc)
{
	struct wire_decoder	*dec = wire_decoder_create();
	size_t			 used;

	ck_assert_int_eq(wire_decode_feed(dec, b->data, b->len, &used, err),
	    WIRE_FRAME);
	ck_assert_uint_eq(used, b->len);
	*rc = message_decode(wire_decoder_frame(dec), m, err);
	return (dec);
}

START_TEST(test_roundtrip_every_type)
{
	enum message_type	 t = (enum message_type)(_i + 1);
	union message		 m, d;
	struct buf		 b;
	struct mt_err		 err;
	struct wire_decoder	*dec;
	int			 rc;

	list_items[0].p = "one";
	list_items[0].len = 3;
	list_items[1].p = "";
	list_items[1].len = 0;
	list_items[2].p = "ORIGIN 42";
	list_items[2].len = 9;
	for (unsigned seed = 0; seed < 4; seed++) {
		fill(&m, t, seed);
		buf_init(&b, WIRE_FRAME_MAX);
		ck_assert_msg(message_encode(&m, &b, &err) == 0, "%s: %s",
		    message_name(t), err.msg);
		dec = decode_one(&b, &d, &err, &rc);
		ck_assert_msg(rc == 0, "%s: %s", message_name(t), err.msg);
		assert_same(&m, &d);
		ck_assert_int_eq(message_lookup(message_name(t)), t);
		wire_decoder_free(dec);
		buf_done(&b);
	}
}
END_TEST

/* Build a raw frame "type" with the given args and check decode's error. */
struct bad_msg {
	const char	*type;
	int		 nargs;
	const char	*args[5];
	size_t		 lens[5];	/* 0 = strlen */
	enum mt_errc	 want;
};

static const struct bad_msg bad_msgs[] = {
	{ "no_such_type", 0, { NULL }, { 0 }, MT_E_BADTYPE },
	{ "ok", 0, { NULL }, { 0 }, MT_E_BADARGS },		/* missing */
	{ "ok", 2, { "a", "b" }, { 0 }, MT_E_BADARGS },	/* extra */
	{ "error", 2, { "1234567", "x" }, { 0 }, MT_E_BADARGS }, /* u64 7 */
	{ "error", 2, { "123456789", "x" }, { 0 }, MT_E_BADARGS },
	{ "ok", 1, { "a\0b" }, { 3 }, MT_E_BADARGS },	/* NUL in text */
	{ "ping", 1, { "x" }, { 0 }, MT_E_BADARGS },
	{ "seeders_reply", 2, { "id", "a\0" }, { 0, 2 }, MT_E_BADARGS },
};

START_TEST(test_bad_messages)
{
	const struct bad_msg	*t = &bad_msgs[_i];
	struct wire_encoder	 enc;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	struct wire_decoder	*dec;
	int			 rc;

	buf_init(&b, 4096);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, t->type, &err), 0);
	for (int i = 0; i < t->nargs; i++)
		ck_assert_int_eq(wire_encode_arg(&enc, t->args[i],
		    t->lens[i] ? t->lens[i] : strlen(t->args[i]), &err), 0);
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
	dec = decode_one(&b, &m, &err, &rc);
	ck_assert_msg(rc == -1, "row %d accepted", _i);
	ck_assert_msg(err.code == t->want, "row %d: got %s want %s", _i,
	    mt_err_name(err.code), mt_err_name(t->want));
	wire_decoder_free(dec);
	buf_done(&b);
}
END_TEST

/*
 * FIELD_OPT arguments: a share from an older client (no unit_size and
 * chain) decodes with them zero, so does one with unit_size alone; one
 * without a field every version sends is refused.
 */
START_TEST(test_optional_fields)
{
	static const char	*args[] = { "tok", "id", "name",
	    "\0\0\0\0\0\0\0\1", "\0\0\0\0\0\0\0\2", "p", "g",
	    "127.0.0.1:1", "\0\0\0\0\0\2\0\0" };
	static const size_t	 lens[] = { 3, 2, 4, 8, 8, 1, 1, 11, 8 };
	struct wire_encoder	 enc;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	struct wire_decoder	*dec;
	int			 n, rc;

	for (n = 9; n >= 7; n--) {
		buf_init(&b, 4096);
		ck_assert_int_eq(wire_encode_begin(&enc, &b, "share", &err),
		    0);
		for (int i = 0; i < n; i++)
			ck_assert_int_eq(wire_encode_arg(&enc, args[i],
			    lens[i], &err), 0);
		ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
		dec = decode_one(&b, &m, &err, &rc);
		if (n == 7) {
			ck_assert_int_eq(rc, -1);
			ck_assert_int_eq(err.code, MT_E_BADARGS);
		} else {
			ck_assert_msg(rc == 0, "%d args: %s", n, err.msg);
			ck_assert_str_eq(m.share.seeder, "127.0.0.1:1");
			ck_assert_uint_eq(m.share.size, 1);
			ck_assert_uint_eq(m.share.unit_size,
			    n == 9 ? 131072 : 0);
			ck_assert_uint_eq(m.share.chain.len, 0);
		}
		wire_decoder_free(dec);
		buf_done(&b);
	}
}
END_TEST

START_TEST(test_text_too_long)
{
	struct wire_encoder	 enc;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	struct wire_decoder	*dec;
	char			*big;
	int			 rc;

	big = malloc(MSG_STR_MAX + 2);
	memset(big, 'a', MSG_STR_MAX + 1);
	big[MSG_STR_MAX + 1] = '\0';
	buf_init(&b, WIRE_FRAME_MAX);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "ok", &err), 0);
	ck_assert_int_eq(wire_encode_str(&enc, big, &err), 0);
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
	dec = decode_one(&b, &m, &err, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	wire_decoder_free(dec);
	/* The encoder refuses it too, leaving the buffer as it was. */
	buf_reset(&b);
	memset(&m, 0, sizeof m);
	m.type = MSG_ok;
	m.ok.text = big;
	ck_assert_int_eq(message_encode(&m, &b, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(buf_used(&b), 0);
	m.ok.text = NULL;
	ck_assert_int_eq(message_encode(&m, &b, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADARGS);
	buf_done(&b);
	free(big);
}
END_TEST

START_TEST(test_list_limit)
{
	struct wire_encoder	 enc;
	struct buf		 b;
	struct mt_err		 err;
	union message		 m;
	struct wire_decoder	*dec;
	int			 rc;

	buf_init(&b, WIRE_FRAME_MAX);
	ck_assert_int_eq(wire_encode_begin(&enc, &b, "list_reply", &err), 0);
	for (int i = 0; i < MSG_LIST_MAX + 1; i++)
		ck_assert_int_eq(wire_encode_str(&enc, "x", &err), 0);
	ck_assert_int_eq(wire_encode_end(&enc, &err), 0);
	dec = decode_one(&b, &m, &err, &rc);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	wire_decoder_free(dec);
	buf_done(&b);
}
END_TEST

static Suite *
message_suite(void)
{
	Suite	*s = suite_create("message");
	TCase	*tc;

	tc = tcase_create("roundtrip");
	tcase_add_loop_test(tc, test_roundtrip_every_type, 0,
	    MSG__COUNT - 1);
	suite_add_tcase(s, tc);
	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_bad_messages, 0,
	    (int)(sizeof bad_msgs / sizeof bad_msgs[0]));
	tcase_add_test(tc, test_text_too_long);
	tcase_add_test(tc, test_optional_fields);
	tcase_add_test(tc, test_list_limit);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(message_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
