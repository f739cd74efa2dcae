/*
 * check_metainfo.c: the .mtorrent parser and writer (metainfo.c) and the
 * load/save wrappers (metainfo-io.c).
 *
 * Accepted documents are a table: each must parse to the stated piece
 * count and write back byte for byte.  Rejected documents are a table
 * too: each row names the MT_E_* code and the line the parser must
 * report.  Rows that are too long to write out (17 trackers, a 256-byte
 * name) are generated.
 */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "hash.h"
#include "metainfo.h"
#include "xmalloc.h"

#define V	"mtorrent-version 1\n"
#define T	"tracker 127.0.0.1:6880\n"
#define N	"name a.bin\n"
#define S1	"size 1\n"
#define PS	"piece-size 524288\n"
#define H1	"0123456789abcdef0123456789abcdef01234567"
#define H2	"89abcdef0123456789abcdef0123456789abcdef"
#define P1	"pieces " H1 "\n"
#define FPR	"00112233445566778899aabbccddeeff" \
		"00112233445566778899aabbccddeeff"
#define HEAD	V T N		/* lines 1-3 */
#define GOOD	V T N S1 PS P1	/* lines 1-6 */

/* Generated rows: 17 trackers, a long name, a long address. */
static char	*gen_trackers17(size_t *);
static char	*gen_name256(size_t *);
static char	*gen_name255(size_t *);
static char	*gen_addr263(size_t *);
static char	*gen_trackers16(size_t *);

struct good_row {
	const char	*what;
	const char	*text;
	size_t		 len;
	char		*(*gen)(size_t *);
	uint32_t	 npieces;
};

#define GOOD_ROW(w, t, n)	{ w, t, sizeof(t) - 1, NULL, n }
#define GOOD_GEN(w, g, n)	{ w, NULL, 0, g, n }

static const struct good_row good_rows[] = {
	GOOD_ROW("minimal, 1 byte", GOOD, 1),
	GOOD_ROW("empty file", HEAD "size 0\n" PS "pieces\n", 0),
	GOOD_ROW("exactly 512 KiB", HEAD "size 524288\n" PS P1, 1),
	GOOD_ROW("512 KiB + 1", HEAD "size 524289\n" PS "pieces " H1 H2 "\n",
	    2),
	GOOD_ROW("16 KiB pieces", HEAD "size 16385\npiece-size 16384\n"
	    "pieces " H2 H1 "\n", 2),
	GOOD_ROW("everything", V "tracker [::1]:6880 " FPR "\n"
	    "tracker tracker-2.example.org:65535\n" "name caf\xc3\xa9 "
	    "\xe2\x98\x83.txt\n" S1 PS P1 "group team-1\nsha1 " H2 "\n", 1),
	GOOD_ROW("group only", GOOD "group g\n", 1),
	GOOD_ROW("sha1 only", GOOD "sha1 " H1 "\n", 1),
	GOOD_ROW("name with spaces and dots", V T "name  .a b..\n" S1 PS P1,
	    1),
	GOOD_GEN("16 trackers", gen_trackers16, 1),
	/* Units: 300000 bytes = 1 piece, 3 units of 128 KiB, 2 values. */
	GOOD_ROW("units", HEAD "size 300000\n" PS P1 "units 131072 " H1 H2
	    "\ngroup g\n", 1),
	GOOD_ROW("units, one unit", GOOD "units 131072\n", 1),
	GOOD_ROW("units of 16 KiB", HEAD "size 16385\n" PS P1
	    "units 16384 " H2 "\n", 1),
	GOOD_GEN("255-byte name", gen_name255, 1),
};

struct bad_row {
	const char	*what;
	const char	*text;
	size_t		 len;
	char		*(*gen)(size_t *);
	enum mt_errc	 code;
	unsigned	 line;
};

#define BAD(w, t, c, l)		{ w, t, sizeof(t) - 1, NULL, c, l }
#define BAD_GEN(w, g, c, l)	{ w, NULL, 0, g, c, l }

static const struct bad_row bad_rows[] = {
	/* Lines and fields. */
	BAD("empty text", "", MT_E_BADFIELD, 1),
	BAD("no final newline", V T N S1 PS "pieces " H1, MT_E_TRUNCATED, 6),
	BAD("CRLF", "mtorrent-version 1\r\n" T N S1 PS P1, MT_E_BADVALUE, 1),
	BAD("empty line", V "\n" T N S1 PS P1, MT_E_BADFIELD, 2),
	BAD("unknown field", V T "nme a.bin\n" S1 PS P1, MT_E_BADFIELD, 3),
	BAD("unknown field at end", GOOD "comment x\n", MT_E_BADFIELD, 7),
	BAD("uppercase key", V T "Name a.bin\n" S1 PS P1, MT_E_BADFIELD, 3),
	BAD("binary junk", "\x7f" "ELF\x02\x01\n", MT_E_BADFIELD, 1),
	BAD("missing version", T N S1 PS P1, MT_E_BADFIELD, 1),
	BAD("missing tracker", V N S1 PS P1, MT_E_BADFIELD, 2),
	BAD("missing name", V T S1 PS P1, MT_E_BADFIELD, 3),
	BAD("missing size", HEAD PS P1, MT_E_BADFIELD, 4),
	BAD("missing piece-size", HEAD S1 P1, MT_E_BADFIELD, 5),
	BAD("missing pieces", HEAD S1 PS, MT_E_BADFIELD, 6),
	BAD("missing pieces before group", HEAD S1 PS "group g\n",
	    MT_E_BADFIELD, 6),
	BAD("duplicated version", V V T N S1 PS P1, MT_E_BADFIELD, 2),
	BAD("duplicated name", V T N N S1 PS P1, MT_E_BADFIELD, 4),
	BAD("duplicated pieces", GOOD P1, MT_E_BADFIELD, 7),
	BAD("duplicated sha1", GOOD "sha1 " H1 "\nsha1 " H1 "\n",
	    MT_E_BADFIELD, 8),
	BAD("trackers apart", V T N T S1 PS P1, MT_E_BADFIELD, 4),
	BAD("group after sha1", GOOD "sha1 " H1 "\ngroup g\n",
	    MT_E_BADFIELD, 8),
	BAD("name after size", V T S1 N PS P1, MT_E_BADFIELD, 3),
	/* Version. */
	BAD("version 2", "mtorrent-version 2\n" T N S1 PS P1,
	    MT_E_BADVALUE, 1),
	BAD("version 01", "mtorrent-version 01\n" T N S1 PS P1,
	    MT_E_BADVALUE, 1),
	BAD("version no value", "mtorrent-version\n" T N S1 PS P1,
	    MT_E_BADVALUE, 1),
	BAD("version space only", "mtorrent-version \n" T N S1 PS P1,
	    MT_E_BADVALUE, 1),
	/* Size. */
	BAD("negative size", HEAD "size -1\n" PS P1, MT_E_BADVALUE, 4),
	BAD("plus size", HEAD "size +1\n" PS P1, MT_E_BADVALUE, 4),
	BAD("leading zero", HEAD "size 01\n" PS P1, MT_E_BADVALUE, 4),
	BAD("size with junk", HEAD "size 1x\n" PS P1, MT_E_BADVALUE, 4),
	BAD("size two spaces", HEAD "size  1\n" PS P1, MT_E_BADVALUE, 4),
	BAD("size empty", HEAD "size \n" PS P1, MT_E_BADVALUE, 4),
	BAD("size hex", HEAD "size 0x1\n" PS P1, MT_E_BADVALUE, 4),
	BAD("size 2^63", HEAD "size 9223372036854775808\n" PS P1,
	    MT_E_TOOBIG, 4),
	BAD("size 2^63-1", HEAD "size 9223372036854775807\n" PS P1,
	    MT_E_TOOBIG, 4),
	BAD("size 2^64", HEAD "size 18446744073709551616\n" PS P1,
	    MT_E_TOOBIG, 4),
	BAD("size 30 digits", HEAD "size 999999999999999999999999999999\n"
	    PS P1, MT_E_TOOBIG, 4),
	BAD("size 2 TiB + 1", HEAD "size 2199023255553\n" PS P1,
	    MT_E_TOOBIG, 4),
	/* Piece size. */
	BAD("zero piece size", HEAD S1 "piece-size 0\n" P1, MT_E_BADVALUE, 5),
	BAD("negative piece size", HEAD S1 "piece-size -524288\n" P1,
	    MT_E_BADVALUE, 5),
	BAD("odd piece size", HEAD S1 "piece-size 500000\n" P1,
	    MT_E_BADVALUE, 5),
	BAD("piece size 1 MiB", HEAD S1 "piece-size 1048576\n" P1,
	    MT_E_BADVALUE, 5),
	BAD("piece size 8 KiB", HEAD S1 "piece-size 8192\n" P1,
	    MT_E_BADVALUE, 5),
	BAD("piece size 2^64", HEAD S1 "piece-size 18446744073709551616\n"
	    P1, MT_E_BADVALUE, 5),
	BAD("too many pieces", HEAD "size 2199023255552\npiece-size 16384\n"
	    P1, MT_E_TOOBIG, 5),
	/* Pieces. */
	BAD("2 digests for 1 byte", HEAD S1 PS "pieces " H1 H2 "\n",
	    MT_E_MISMATCH, 6),
	BAD("1 digest for 512 KiB + 1", HEAD "size 524289\n" PS P1,
	    MT_E_MISMATCH, 6),
	BAD("1 digest for 0 bytes", HEAD "size 0\n" PS P1, MT_E_MISMATCH, 6),
	BAD("no digest for 1 byte", HEAD S1 PS "pieces\n", MT_E_MISMATCH, 6),
	BAD("1 digest for 2 TiB", HEAD "size 2199023255552\n" PS P1,
	    MT_E_MISMATCH, 6),
	BAD("39 hex digits", HEAD S1 PS "pieces " "0123456789abcdef0123456789"
	    "abcdef0123456\n", MT_E_BADHEX, 6),
	BAD("uppercase hex", HEAD S1 PS "pieces 0123456789ABCDEF0123456789"
	    "abcdef01234567\n", MT_E_BADHEX, 6),
	BAD("non-hex digit", HEAD S1 PS "pieces 0123456789abcdefg123456789"
	    "abcdef01234567\n", MT_E_BADHEX, 6),
	BAD("space in pieces", HEAD S1 PS "pieces 0123456789abcdef 123456789"
	    "abcdef01234567\n", MT_E_BADHEX, 6),
	BAD("pieces trailing space", HEAD "size 0\n" PS "pieces \n",
	    MT_E_BADVALUE, 6),
	/* Trackers. */
	BAD("tracker no port", V "tracker 127.0.0.1\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker port 0", V "tracker 127.0.0.1:0\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker port 65536", V "tracker 127.0.0.1:65536\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker port 080", V "tracker 127.0.0.1:080\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker port -1", V "tracker 127.0.0.1:-1\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker no host", V "tracker :6880\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker bad host", V "tracker a_b:6880\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker bad ipv6", V "tracker [::g]:6880\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker bare ipv6", V "tracker ::1:6880\n" N S1 PS P1,
	    MT_E_BADVALUE, 2),
	BAD("tracker empty", V "tracker \n" N S1 PS P1, MT_E_BADVALUE, 2),
	BAD("short fingerprint", V "tracker 127.0.0.1:6880 0011\n" N S1 PS
	    P1, MT_E_BADHEX, 2),
	BAD("uppercase fingerprint", V "tracker 127.0.0.1:6880 "
	    "00112233445566778899AABBCCDDEEFF"
	    "00112233445566778899aabbccddeeff\n" N S1 PS P1, MT_E_BADHEX, 2),
	BAD("junk after fingerprint", V "tracker 127.0.0.1:6880 " FPR " x\n"
	    N S1 PS P1, MT_E_BADHEX, 2),
	BAD("empty fingerprint", V "tracker 127.0.0.1:6880 \n" N S1 PS P1,
	    MT_E_BADHEX, 2),
	BAD_GEN("17 trackers", gen_trackers17, MT_E_TOOBIG, 18),
	BAD_GEN("263-byte address", gen_addr263, MT_E_TOOBIG, 2),
	/* Names. */
	BAD("empty name", V T "name \n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name without value", V T "name\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name .", V T "name .\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name ..", V T "name ..\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name with /", V T "name a/b\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("absolute name", V T "name /etc/passwd\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name ../x", V T "name ../x\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name with tab", V T "name a\tb\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name with NUL", V T "name a\0b\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name with ESC", V T "name a\033[2Jb\n" S1 PS P1, MT_E_BADNAME,
	    3),
	BAD("name with DEL", V T "name a\x7f" "b\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD("name with C1 NEL", V T "name a\xc2\x85" "b\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name bad UTF-8", V T "name a\xc3\x28\n" S1 PS P1, MT_E_BADNAME,
	    3),
	BAD("name lone continuation", V T "name a\x80\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name truncated UTF-8", V T "name a\xe2\x98\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name overlong /", V T "name a\xc0\xaf" "b\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name overlong 3-byte", V T "name \xe0\x80\xaf\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name surrogate", V T "name \xed\xa0\x80\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name past U+10FFFF", V T "name \xf4\x90\x80\x80\n" S1 PS P1,
	    MT_E_BADNAME, 3),
	BAD("name byte 0xff", V T "name \xff\n" S1 PS P1, MT_E_BADNAME, 3),
	BAD_GEN("256-byte name", gen_name256, MT_E_BADNAME, 3),
	BAD("name ends in CR", V T "name a\r\n" S1 PS P1, MT_E_BADVALUE, 3),
	/* Group and sha1. */
	BAD("empty group", GOOD "group \n", MT_E_BADNAME, 7),
	BAD("group with /", GOOD "group a/b\n", MT_E_BADNAME, 7),
	BAD("group ..", GOOD "group ..\n", MT_E_BADNAME, 7),
	BAD("short sha1", GOOD "sha1 0123\n", MT_E_BADHEX, 7),
	BAD("uppercase sha1", GOOD "sha1 0123456789ABCDEF0123456789abcdef"
	    "01234567\n", MT_E_BADHEX, 7),
	BAD("long sha1", GOOD "sha1 " H1 "0\n", MT_E_BADHEX, 7),
	BAD("sha1 no value", GOOD "sha1\n", MT_E_BADVALUE, 7),
	/* Units. */
	BAD("units not a power of two", GOOD "units 100000\n",
	    MT_E_BADVALUE, 7),
	BAD("units of a whole piece", GOOD "units 524288\n", MT_E_BADVALUE,
	    7),
	BAD("units under 16 KiB", GOOD "units 8192\n", MT_E_BADVALUE, 7),
	BAD("units zero", GOOD "units 0\n", MT_E_BADVALUE, 7),
	BAD("units no value", GOOD "units\n", MT_E_BADVALUE, 7),
	BAD("units leading zero", GOOD "units 0131072\n", MT_E_BADVALUE, 7),
	BAD("units values missing", HEAD "size 300000\n" PS P1
	    "units 131072 " H1 "\n", MT_E_MISMATCH, 7),
	BAD("units value extra", GOOD "units 131072 " H1 "\n",
	    MT_E_MISMATCH, 7),
	BAD("units space, no values", GOOD "units 131072 \n",
	    MT_E_BADVALUE, 7),
	BAD("units uppercase hex", HEAD "size 300000\n" PS P1
	    "units 131072 0123456789ABCDEF0123456789abcdef01234567" H2 "\n",
	    MT_E_BADHEX, 7),
	BAD("units odd length", HEAD "size 300000\n" PS P1
	    "units 131072 " H1 H2 "0\n", MT_E_BADHEX, 7),
	BAD("units after group", GOOD "group g\nunits 131072\n",
	    MT_E_BADFIELD, 8),
	BAD("units twice", GOOD "units 131072\nunits 131072\n",
	    MT_E_BADFIELD, 8),
};

static char *
gen_ntrackers(unsigned n, size_t *len)
{
	struct buf	b;
	char		line[64];
	unsigned	i;
	int		k;

	buf_init(&b, 1 << 20);
	ck_assert_int_eq(buf_add(&b, V, strlen(V), NULL), 0);
	for (i = 0; i < n; i++) {
		k = snprintf(line, sizeof line, "tracker 127.0.0.1:%u\n",
		    6880 + i);
		ck_assert_int_eq(buf_add(&b, line, (size_t)k, NULL), 0);
	}
	ck_assert_int_eq(buf_add(&b, N S1 PS P1, strlen(N S1 PS P1), NULL), 0);
	*len = buf_used(&b);
	return ((char *)b.data);
}

static char *
gen_trackers17(size_t *len)
{
	return (gen_ntrackers(17, len));
}

static char *
gen_trackers16(size_t *len)
{
	return (gen_ntrackers(16, len));
}

static char *
gen_name(size_t n, size_t *len)
{
	char	*name, *text;

	name = xmalloc(n + 1);
	memset(name, 'x', n);
	name[n] = '\0';
	*len = (size_t)xasprintf(&text, V T "name %s\n" S1 PS P1, name);
	free(name);
	return (text);
}

static char *
gen_name255(size_t *len)
{
	return (gen_name(255, len));
}

static char *
gen_name256(size_t *len)
{
	return (gen_name(256, len));
}

static char *
gen_addr263(size_t *len)
{
	char	host[259], *text;

	/* 63-byte labels: a valid DNS shape, but 263 bytes with ":6880". */
	memset(host, 'a', sizeof host - 1);
	host[63] = host[127] = host[191] = '.';
	host[sizeof host - 1] = '\0';
	*len = (size_t)xasprintf(&text, V "tracker %s:6880\n" N S1 PS P1,
	    host);
	return (text);
}

START_TEST(test_parse_good)
{
	const struct good_row	*r = &good_rows[_i];
	struct metainfo		 mi;
	struct mt_err		 err;
	struct buf		 out;
	char			*text;
	size_t			 len;

	if (r->gen != NULL)
		text = r->gen(&len);
	else {
		len = r->len;
		text = xmalloc(len);
		memcpy(text, r->text, len);
	}
	metainfo_init(&mi);
	mt_err_clear(&err);
	ck_assert_msg(metainfo_parse(text, len, &mi, &err) == 0,
	    "%s: rejected (%s, line %u: %s)", r->what,
	    mt_err_name(err.code), err.line, err.msg);
	ck_assert_uint_eq(mi.npieces, r->npieces);
	ck_assert_int_eq((int)strlen(mi.file_id_hex), 40);

	/* Canonical: writing it back gives the same bytes. */
	buf_init(&out, METAINFO_TEXT_MAX);
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), 0);
	ck_assert_msg(buf_used(&out) == len &&
	    memcmp(buf_head(&out), text, len) == 0,
	    "%s: written text differs", r->what);
	buf_done(&out);
	metainfo_done(&mi);
	free(text);
}
END_TEST

START_TEST(test_parse_bad)
{
	const struct bad_row	*r = &bad_rows[_i];
	struct metainfo		 mi;
	struct mt_err		 err;
	char			*text;
	size_t			 len;

	if (r->gen != NULL)
		text = r->gen(&len);
	else {
		/* A private copy, so ASan sees any read past the end. */
		len = r->len;
		text = xmalloc(len);
		memcpy(text, r->text, len);
	}
	metainfo_init(&mi);
	mt_err_clear(&err);
	ck_assert_msg(metainfo_parse(text, len, &mi, &err) == -1,
	    "%s: accepted", r->what);
	ck_assert_msg(err.code == r->code && err.line == r->line,
	    "%s: got %s line %u (%s), want %s line %u", r->what,
	    mt_err_name(err.code), err.line, err.msg, mt_err_name(r->code),
	    r->line);
	ck_assert_msg(err.msg[0] != '\0', "%s: no message", r->what);
	/* mi is left empty. */
	ck_assert_ptr_null(mi.pieces);
	ck_assert_uint_eq(mi.ntrackers, 0);
	ck_assert_uint_eq(mi.npieces, 0);
	free(text);
}
END_TEST

START_TEST(test_parse_fields)
{
	static const char	 text[] = V "tracker [::1]:6880 " FPR "\n"
	    "tracker 10.0.0.2:6881\n" "name a.bin\n" "size 524289\n" PS
	    "pieces " H1 H2 "\n" "group team\n" "sha1 " H2 "\n";
	struct metainfo		 mi;
	struct mt_err		 err;
	uint8_t			 id[20], raw[40];
	char			 hex[41];

	metainfo_init(&mi);
	ck_assert_int_eq(metainfo_parse(text, sizeof text - 1, &mi, &err), 0);
	ck_assert_uint_eq(mi.ntrackers, 2);
	ck_assert_str_eq(mi.trackers[0].addr, "[::1]:6880");
	ck_assert_str_eq(mi.trackers[0].fingerprint, FPR);
	ck_assert_str_eq(mi.trackers[1].addr, "10.0.0.2:6881");
	ck_assert_str_eq(mi.trackers[1].fingerprint, "");
	ck_assert_str_eq(mi.name, "a.bin");
	ck_assert_uint_eq(mi.size, 524289);
	ck_assert_uint_eq(mi.piece_size, 524288);
	ck_assert_uint_eq(mi.npieces, 2);
	ck_assert_uint_eq(metainfo_piece_len(&mi, 0), 524288);
	ck_assert_uint_eq(metainfo_piece_len(&mi, 1), 1);
	ck_assert_str_eq(mi.group, "team");
	ck_assert_int_eq(mi.has_sha1, 1);
	hash_hex(mi.sha1, 20, hex);
	ck_assert_str_eq(hex, H2);
	hash_hex(mi.pieces, 20, hex);
	ck_assert_str_eq(hex, H1);

	/* file_id is the SHA1 of the raw digests. */
	ck_assert_int_eq(hash_unhex(H1 H2, 40, raw), 0);
	ck_assert_int_eq(hash_sha1(raw, 40, id, NULL), 0);
	ck_assert_mem_eq(mi.file_id, id, 20);
	hash_hex(id, 20, hex);
	ck_assert_str_eq(mi.file_id_hex, hex);
	metainfo_done(&mi);
}
END_TEST

START_TEST(test_empty_file_id)
{
	static const char	text[] = HEAD "size 0\n" PS "pieces\n";
	struct metainfo		mi;
	struct mt_err		err;

	metainfo_init(&mi);
	ck_assert_int_eq(metainfo_parse(text, sizeof text - 1, &mi, &err), 0);
	ck_assert_uint_eq(mi.npieces, 0);
	ck_assert_ptr_null(mi.pieces);
	/* SHA1 of nothing. */
	ck_assert_str_eq(mi.file_id_hex,
	    "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	metainfo_done(&mi);
}
END_TEST

START_TEST(test_text_too_big)
{
	static const char	text[] = GOOD;
	struct metainfo		mi;
	struct mt_err		err;

	/* The length is checked before a byte is read. */
	metainfo_init(&mi);
	ck_assert_int_eq(metainfo_parse(text, (size_t)METAINFO_TEXT_MAX + 1,
	    &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(err.line, 0);
}
END_TEST

START_TEST(test_piece_count)
{
	ck_assert_int_eq(metainfo_piece_count(0, 524288), 0);
	ck_assert_int_eq(metainfo_piece_count(1, 524288), 1);
	ck_assert_int_eq(metainfo_piece_count(524288, 524288), 1);
	ck_assert_int_eq(metainfo_piece_count(524289, 524288), 2);
	ck_assert_int_eq(metainfo_piece_count((uint64_t)METAINFO_PIECES_MAX *
	    524288, 524288), METAINFO_PIECES_MAX);
	ck_assert_int_eq(metainfo_piece_count((uint64_t)METAINFO_PIECES_MAX *
	    524288 + 1, 524288), -1);
	ck_assert_int_eq(metainfo_piece_count(UINT64_MAX, 524288), -1);
	ck_assert_int_eq(metainfo_piece_count(UINT64_MAX, 1), -1);
	ck_assert_int_eq(metainfo_piece_count(5, 0), -1);
}
END_TEST

/* Names: 1 = safe. */
static const struct {
	const char	*name;
	int		 ok;
} name_rows[] = {
	{ "a", 1 }, { "a.iso", 1 }, { ".hidden", 1 }, { "...", 1 },
	{ "caf\xc3\xa9", 1 }, { "\xf0\x9f\x98\x80", 1 }, { "a b", 1 },
	{ "a\\b", 1 }, { "-rf", 1 },
	{ "", 0 }, { ".", 0 }, { "..", 0 }, { "a/b", 0 }, { "/", 0 },
	{ "a\n", 0 }, { "\x1b", 0 }, { "\x7f", 0 }, { "\xc2\x9f", 0 },
	{ "\xc1\xbf", 0 }, { "\xf8\x88\x80\x80\x80", 0 },
};

START_TEST(test_name_check)
{
	struct mt_err	err;
	const char	*name = name_rows[_i].name;
	int		rc;

	mt_err_clear(&err);
	rc = metainfo_name_check(name, strlen(name), &err);
	if (name_rows[_i].ok)
		ck_assert_msg(rc == 0, "row %d rejected: %s", _i, err.msg);
	else {
		ck_assert_msg(rc == -1, "row %d accepted", _i);
		ck_assert_int_eq(err.code, MT_E_BADNAME);
	}
}
END_TEST

/* A metainfo built in memory, as `mtorrent create` does. */
static void
build(struct metainfo *mi, uint64_t size)
{
	uint32_t	i;

	metainfo_init(mi);
	ck_assert_int_eq(metainfo_tracker_set(&mi->trackers[0],
	    "127.0.0.1:6880", NULL, NULL), 0);
	ck_assert_int_eq(metainfo_tracker_set(&mi->trackers[1],
	    "localhost:6881", FPR, NULL), 0);
	mi->ntrackers = 2;
	strcpy(mi->name, "file.bin");
	mi->size = size;
	mi->piece_size = METAINFO_PIECE_SIZE;
	mi->npieces = (uint32_t)metainfo_piece_count(size, mi->piece_size);
	mi->pieces = xmalloc((size_t)mi->npieces * 20 + 1);
	for (i = 0; i < mi->npieces * 20; i++)
		mi->pieces[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(metainfo_finish(mi, NULL), 0);
}

static void
assert_same(const struct metainfo *a, const struct metainfo *b)
{
	unsigned	i;

	ck_assert_uint_eq(a->ntrackers, b->ntrackers);
	for (i = 0; i < a->ntrackers; i++) {
		ck_assert_str_eq(a->trackers[i].addr, b->trackers[i].addr);
		ck_assert_str_eq(a->trackers[i].fingerprint,
		    b->trackers[i].fingerprint);
	}
	ck_assert_str_eq(a->name, b->name);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_uint_eq(a->piece_size, b->piece_size);
	ck_assert_uint_eq(a->npieces, b->npieces);
	if (a->npieces > 0)
		ck_assert_mem_eq(a->pieces, b->pieces,
		    (size_t)a->npieces * 20);
	ck_assert_mem_eq(a->file_id, b->file_id, 20);
	ck_assert_str_eq(a->file_id_hex, b->file_id_hex);
	ck_assert_str_eq(a->group, b->group);
	ck_assert_int_eq(a->has_sha1, b->has_sha1);
	if (a->has_sha1)
		ck_assert_mem_eq(a->sha1, b->sha1, 20);
}

static const uint64_t round_sizes[] = {
	0, 1, 524287, 524288, 524289, 3 * 524288 + 17, 100 * 524288
};

START_TEST(test_round_trip)
{
	struct metainfo	a, b;
	struct mt_err	err;
	struct buf	out;

	build(&a, round_sizes[_i]);
	if (_i % 2) {
		strcpy(a.group, "team");
		a.has_sha1 = 1;
		memset(a.sha1, 0xab, 20);
	}
	buf_init(&out, METAINFO_TEXT_MAX);
	ck_assert_int_eq(metainfo_write(&a, &out, &err), 0);
	metainfo_init(&b);
	ck_assert_msg(metainfo_parse((const char *)buf_head(&out),
	    buf_used(&out), &b, &err) == 0, "%s line %u: %s",
	    mt_err_name(err.code), err.line, err.msg);
	assert_same(&a, &b);
	buf_done(&out);
	metainfo_done(&a);
	metainfo_done(&b);
}
END_TEST

/*
 * metainfo_unit_check(): a file of a piece and a half in units of
 * 128 KiB, with and without the units field.
 */
START_TEST(test_unit_check)
{
	const uint32_t	 ps = METAINFO_PIECE_SIZE, us = 131072;
	const size_t	 size = ps + ps / 2;
	struct metainfo	 mi;
	struct mt_err	 err;
	uint8_t		*data, chain[5 * HASH_SHA1_LEN];
	uint32_t	 u, len;
	size_t		 i;
	int		 units;

	data = xmalloc(size);
	for (i = 0; i < size; i++)
		data[i] = (uint8_t)(i * 7 + i / 1000);
	for (units = 0; units <= 1; units++) {
		metainfo_init(&mi);
		strcpy(mi.name, "a.bin");
		mi.ntrackers = 1;
		strcpy(mi.trackers[0].addr, "127.0.0.1:6880");
		mi.size = size;
		mi.piece_size = ps;
		mi.npieces = 2;
		mi.pieces = xmalloc(2 * HASH_SHA1_LEN);
		if (units) {
			mi.has_units = 1;
			mi.unit_size = us;
			mi.chain = xmalloc(5 * HASH_SHA1_LEN);
		}
		ck_assert_int_eq(hash_piece_chain(data, ps, us, chain,
		    mi.pieces), 0);
		ck_assert_int_eq(hash_piece_chain(data + ps, ps / 2, us,
		    chain + 3 * HASH_SHA1_LEN, mi.pieces + HASH_SHA1_LEN), 0);
		if (units)
			memcpy(mi.chain, chain, sizeof chain);
		ck_assert_int_eq(metainfo_finish(&mi, &err), 0);
		ck_assert_uint_eq(mi.nunits, units ? 6 : 2);
		ck_assert_uint_eq(mi.unit_size, units ? us : ps);
		for (u = 0; u < mi.nunits; u++) {
			len = metainfo_unit_len(&mi, u);
			ck_assert_uint_eq(len, units ? us : (u ? ps / 2 : ps));
			ck_assert_uint_eq(metainfo_unit_piece(&mi, u),
			    units ? u / 4 : u);
			ck_assert_int_eq(metainfo_unit_check(&mi, u,
			    data + (size_t)u * mi.unit_size, len), 1);
			data[(size_t)u * mi.unit_size + 5] ^= 0x10;
			ck_assert_int_eq(metainfo_unit_check(&mi, u,
			    data + (size_t)u * mi.unit_size, len), 0);
			data[(size_t)u * mi.unit_size + 5] ^= 0x10;
			/* Another unit's bytes are not this one. */
			if (u > 0 && len == mi.unit_size)
				ck_assert_int_eq(metainfo_unit_check(&mi, u,
				    data, len), 0);
		}
		ck_assert_int_eq(metainfo_unit_check(&mi, mi.nunits, data,
		    1), 0);
		metainfo_done(&mi);
	}
	free(data);
}
END_TEST

START_TEST(test_write_refuses)
{
	struct metainfo	mi;
	struct mt_err	err;
	struct buf	out;

	buf_init(&out, METAINFO_TEXT_MAX);

	build(&mi, 10);
	mi.ntrackers = 0;
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADFIELD);
	metainfo_done(&mi);

	build(&mi, 10);
	strcpy(mi.name, "../x");
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADNAME);
	metainfo_done(&mi);

	build(&mi, 10);
	strcpy(mi.group, "a/b");
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADNAME);
	metainfo_done(&mi);

	build(&mi, 10);
	mi.size = 524289;	/* now needs 2 pieces */
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_MISMATCH);
	metainfo_done(&mi);

	build(&mi, 10);
	mi.piece_size = 0;
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	metainfo_done(&mi);

	build(&mi, 10);
	strcpy(mi.trackers[1].addr, "nope");
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	metainfo_done(&mi);

	ck_assert_uint_eq(buf_used(&out), 0);
	buf_done(&out);
}
END_TEST

START_TEST(test_write_buf_limit)
{
	struct metainfo	mi;
	struct mt_err	err;
	struct buf	out;

	/* Fails with MT_E_TOOBIG and leaves what was there. */
	build(&mi, 50 * 524288);
	buf_init(&out, 300);
	ck_assert_int_eq(buf_add(&out, "x", 1, NULL), 0);
	ck_assert_int_eq(metainfo_write(&mi, &out, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	ck_assert_uint_eq(buf_used(&out), 1);
	buf_done(&out);
	metainfo_done(&mi);
}
END_TEST

START_TEST(test_tracker_set)
{
	struct metainfo_tracker	t;
	struct mt_err		err;

	ck_assert_int_eq(metainfo_tracker_set(&t, "a.example:1", "", &err), 0);
	ck_assert_str_eq(t.fingerprint, "");
	ck_assert_int_eq(metainfo_tracker_set(&t, "[fe80::1]:65535", FPR,
	    &err), 0);
	ck_assert_str_eq(t.addr, "[fe80::1]:65535");
	ck_assert_int_eq(metainfo_tracker_set(&t, "host", NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_int_eq(metainfo_tracker_set(&t, "-host:1", NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_int_eq(metainfo_tracker_set(&t, "a..b:1", NULL, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_int_eq(metainfo_tracker_set(&t, "h:1", "abc", &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADHEX);
}
END_TEST

/* load/save in a private directory. */
static char	tmpdir[64];

static void
io_setup(void)
{
	strcpy(tmpdir, "/tmp/check_metainfo.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
io_teardown(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_save_load)
{
	struct metainfo	a, b;
	struct mt_err	err;
	struct stat	st;
	char		*path;

	build(&a, 3 * 524288 + 5);
	xasprintf(&path, "%s/x.mtorrent", tmpdir);
	ck_assert_int_eq(metainfo_save(&a, path, &err), 0);
	metainfo_init(&b);
	ck_assert_int_eq(metainfo_load(path, &b, &err), 0);
	assert_same(&a, &b);
	metainfo_done(&b);

	/* save replaces; save_new does not. */
	strcpy(a.group, "g");
	ck_assert_int_eq(metainfo_save_new(&a, path, &err), -1);
	ck_assert_int_eq(err.code, MT_E_EXISTS);
	ck_assert_int_eq(metainfo_load(path, &b, &err), 0);
	ck_assert_str_eq(b.group, "");
	metainfo_done(&b);
	ck_assert_int_eq(metainfo_save(&a, path, &err), 0);
	ck_assert_int_eq(metainfo_load(path, &b, &err), 0);
	ck_assert_str_eq(b.group, "g");
	metainfo_done(&b);
	free(path);

	xasprintf(&path, "%s/new.mtorrent", tmpdir);
	ck_assert_int_eq(metainfo_save_new(&a, path, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	free(path);
	metainfo_done(&a);

	/* No temporary files are left behind. */
	xasprintf(&path, "test $(ls -A '%s' | wc -l) -eq 2", tmpdir);
	ck_assert_int_eq(system(path), 0);
	free(path);
}
END_TEST

START_TEST(test_load_errors)
{
	struct metainfo	mi;
	struct mt_err	err;
	char		*path;
	FILE		*fp;

	metainfo_init(&mi);
	xasprintf(&path, "%s/none.mtorrent", tmpdir);
	ck_assert_int_eq(metainfo_load(path, &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_NOTFOUND);
	ck_assert_int_eq(metainfo_load(tmpdir, &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	free(path);
	xasprintf(&path, "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(metainfo_load(path, &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	ck_assert_int_eq(unlink(path), 0);

	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(V T N "size 524289\n" PS P1, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(metainfo_load(path, &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_MISMATCH);
	ck_assert_uint_eq(err.line, 6);

	/* Over the size limit: refused before reading. */
	ck_assert_int_eq(truncate(path, (off_t)METAINFO_TEXT_MAX + 1), 0);
	ck_assert_int_eq(metainfo_load(path, &mi, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TOOBIG);
	free(path);
}
END_TEST

static Suite *
metainfo_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("metainfo");

	tc = tcase_create("accepts");
	tcase_add_loop_test(tc, test_parse_good, 0,
	    sizeof good_rows / sizeof good_rows[0]);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_empty_file_id);
	suite_add_tcase(s, tc);

	tc = tcase_create("rejects");
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof bad_rows / sizeof bad_rows[0]);
	tcase_add_test(tc, test_text_too_big);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_loop_test(tc, test_name_check, 0,
	    sizeof name_rows / sizeof name_rows[0]);
	suite_add_tcase(s, tc);

	tc = tcase_create("pieces");
	tcase_add_test(tc, test_piece_count);
	suite_add_tcase(s, tc);

	tc = tcase_create("round trip");
	tcase_add_loop_test(tc, test_round_trip, 0,
	    sizeof round_sizes / sizeof round_sizes[0]);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_write_refuses);
	tcase_add_test(tc, test_unit_check);
	tcase_add_test(tc, test_write_buf_limit);
	tcase_add_test(tc, test_tracker_set);
	suite_add_tcase(s, tc);

	tc = tcase_create("load and save");
	tcase_add_checked_fixture(tc, io_setup, io_teardown);
	tcase_add_test(tc, test_save_load);
	tcase_add_test(tc, test_load_errors);
	suite_add_tcase(s, tc);

	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(metainfo_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
