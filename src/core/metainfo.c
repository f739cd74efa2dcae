/*
 * metainfo.c: the .mtorrent text format, parsed and written without I/O.
 *
 * The grammar is in mtorrent.5.  In short: LF-terminated lines of
 * "KEY SP VALUE", the keys in a fixed order (mtorrent-version, tracker
 * 1..16 times, name, size, piece-size, pieces, then optionally units,
 * group and sha1), nothing else.  Because every value has exactly one accepted
 * spelling (no leading zeros, lowercase hex, one space), the text is
 * canonical and metainfo_write() reproduces what metainfo_parse()
 * accepted byte for byte; the round-trip tests rely on that.
 *
 * The parser walks the text once, line by line, without copying it.  It
 * allocates once for the piece digests (and once for the chaining values
 * of units), and only after the size, the piece size and the length of
 * the line all agree, so a hostile file costs at most
 * (METAINFO_PIECES_MAX + METAINFO_CHAIN_MAX) * 20 bytes.  Every error names
 * its line.  Number parsing checks for overflow before each digit.
 */
#include "config.h"

#include "metainfo.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "hash.h"
#include "i18n.h"
#include "xmalloc.h"

#define MI_SIZE_MAX	((uint64_t)METAINFO_PIECES_MAX * METAINFO_PIECE_SIZE)
#define MI_HOST_MAX	253	/* longest DNS name */
#define MI_LABEL_MAX	63	/* longest DNS label */

/* The fields, in the only order they may appear. */
enum mi_field {
	F_VERSION,
	F_TRACKER,
	F_NAME,
	F_SIZE,
	F_PIECE_SIZE,
	F_PIECES,
	F_UNITS,
	F_GROUP,
	F_SHA1,
	F_COUNT
};

static const struct {
	const char	*key;
	int		 required;
} mi_fields[F_COUNT] = {
	[F_VERSION] = { "mtorrent-version", 1 },
	[F_TRACKER] = { "tracker", 1 },
	[F_NAME] = { "name", 1 },
	[F_SIZE] = { "size", 1 },
	[F_PIECE_SIZE] = { "piece-size", 1 },
	[F_PIECES] = { "pieces", 1 },
	[F_UNITS] = { "units", 0 },
	[F_GROUP] = { "group", 0 },
	[F_SHA1] = { "sha1", 0 },
};

static int	mi_field_find(const char *, size_t);
static void	mi_printable(const char *, size_t, char *, size_t);
static int	mi_parse_u64(const char *, size_t, uint64_t, uint64_t *,
		    unsigned, const char *, struct mt_err *);
static int	mi_piece_size_ok(uint64_t);
static int	mi_host_check(const char *, size_t);
static int	mi_addr_check(const char *, size_t, unsigned,
		    struct mt_err *);
static int	mi_hex_check(const char *, size_t, size_t, unsigned,
		    const char *, struct mt_err *);
static int	mi_tracker_parse(const char *, size_t, unsigned,
		    struct metainfo_tracker *, struct mt_err *);
static int	mi_utf8_next(const unsigned char *, size_t, uint32_t *);
static int	mi_name_checkl(const char *, size_t, unsigned, const char *,
		    struct mt_err *);
static int	mi_parse_line(struct metainfo *, enum mi_field, const char *,
		    size_t, int, unsigned, struct mt_err *);
static int	mi_write_check(const struct metainfo *, struct mt_err *);
static int	mi_parse_units(struct metainfo *, const char *, size_t,
		    unsigned, struct mt_err *);
static int	mi_write_digests(struct buf *, const char *, const uint8_t *,
		    size_t, struct mt_err *);

void
metainfo_init(struct metainfo *mi)
{
	memset(mi, 0, sizeof *mi);
}

void
metainfo_done(struct metainfo *mi)
{
	free(mi->pieces);
	free(mi->chain);
	memset(mi, 0, sizeof *mi);
}

int64_t
metainfo_piece_count(uint64_t size, uint32_t piece_size)
{
	uint64_t	n;

	if (piece_size == 0)
		return (-1);
	n = size / piece_size + (size % piece_size != 0);
	if (n > METAINFO_PIECES_MAX)
		return (-1);
	return ((int64_t)n);
}

uint32_t
metainfo_span_len(const struct metainfo *mi, uint32_t len, uint32_t i)
{
	uint64_t	off = (uint64_t)i * len;

	if (off >= mi->size)
		return (0);
	return (mi->size - off < len ? (uint32_t)(mi->size - off) : len);
}

uint32_t
metainfo_span_count(const struct metainfo *mi, uint32_t len)
{
	return ((uint32_t)(mi->size / len + (mi->size % len != 0)));
}

uint32_t
metainfo_piece_len(const struct metainfo *mi, uint32_t i)
{
	return (metainfo_span_len(mi, mi->piece_size, i));
}

int
metainfo_unit_size_ok(uint32_t piece_size, uint32_t unit_size)
{
	return (unit_size >= METAINFO_PIECE_SIZE_MIN &&
	    (unit_size & (unit_size - 1)) == 0 && unit_size <= piece_size / 2);
}

uint64_t
metainfo_chain_count(uint64_t size, uint32_t piece_size, uint32_t unit_size)
{
	if (unit_size == 0 || piece_size == 0)
		return (0);
	return ((size / unit_size + (size % unit_size != 0)) -
	    (size / piece_size + (size % piece_size != 0)));
}

uint32_t
metainfo_unit_len(const struct metainfo *mi, uint32_t u)
{
	return (metainfo_span_len(mi, mi->unit_size, u));
}

uint32_t
metainfo_unit_piece(const struct metainfo *mi, uint32_t u)
{
	return (u / (mi->piece_size / mi->unit_size));
}

int
metainfo_unit_check(const struct metainfo *mi, uint32_t u, const void *p,
    size_t len)
{
	uint32_t	 per, k, piece, base;
	const uint8_t	*cv, *want;
	uint8_t		 md[HASH_SHA1_LEN];

	if (u >= mi->nunits || len != metainfo_unit_len(mi, u))
		return (0);
	if (!mi->has_units)
		return (hash_sha1(p, len, md, NULL) == 0 &&
		    memcmp(md, mi->pieces + (size_t)u * HASH_SHA1_LEN,
		    HASH_SHA1_LEN) == 0);
	per = mi->piece_size / mi->unit_size;
	piece = u / per;
	k = u % per;
	base = piece * (per - 1);
	cv = k > 0 ? mi->chain + (size_t)(base + k - 1) * HASH_SHA1_LEN :
	    NULL;
	if (k == per - 1 || u == mi->nunits - 1)
		return (hash_unit_check(cv, (uint64_t)k * mi->unit_size, p,
		    len, 1, mi->pieces + (size_t)piece * HASH_SHA1_LEN));
	want = mi->chain + (size_t)(base + k) * HASH_SHA1_LEN;
	return (hash_unit_check(cv, (uint64_t)k * mi->unit_size, p, len, 0,
	    want));
}

int
metainfo_finish(struct metainfo *mi, struct mt_err *err)
{
	int64_t	n;

	n = metainfo_piece_count(mi->size, mi->piece_size);
	if (n < 0 || (uint64_t)n != mi->npieces ||
	    (mi->npieces > 0 && mi->pieces == NULL))
		return (mt_err_set(err, MT_E_MISMATCH,
		    _("%u pieces do not fit a size of %llu bytes in pieces "
		    "of %u bytes"), mi->npieces,
		    (unsigned long long)mi->size, mi->piece_size));
	if (mi->has_units) {
		if (!metainfo_unit_size_ok(mi->piece_size, mi->unit_size))
			return (mt_err_set(err, MT_E_MISMATCH,
			    _("units of %u bytes do not split pieces of %u"),
			    mi->unit_size, mi->piece_size));
		if (metainfo_chain_count(mi->size, mi->piece_size,
		    mi->unit_size) > METAINFO_CHAIN_MAX)
			return (mt_err_set(err, MT_E_MISMATCH,
			    _("more than %u chaining values"),
			    METAINFO_CHAIN_MAX));
		mi->nunits = mi->npieces + (uint32_t)metainfo_chain_count(
		    mi->size, mi->piece_size, mi->unit_size);
		if (mi->nunits > mi->npieces && mi->chain == NULL)
			return (mt_err_set(err, MT_E_MISMATCH,
			    _("units without chaining values")));
	} else {
		mi->unit_size = mi->piece_size;
		mi->nunits = mi->npieces;
	}
	if (hash_sha1(mi->pieces, (size_t)mi->npieces * HASH_SHA1_LEN,
	    mi->file_id, err) != 0)
		return (-1);
	hash_hex(mi->file_id, sizeof mi->file_id, mi->file_id_hex);
	return (0);
}

/* Index of the field called key, or -1. */
static int
mi_field_find(const char *key, size_t len)
{
	int	f;

	for (f = 0; f < F_COUNT; f++) {
		if (strlen(mi_fields[f].key) == len &&
		    memcmp(mi_fields[f].key, key, len) == 0)
			return (f);
	}
	return (-1);
}

/* Copy at most 32 bytes of s into out for a message, '?' for the odd. */
static void
mi_printable(const char *s, size_t len, char *out, size_t outlen)
{
	size_t	i;

	if (len > 32)
		len = 32;
	for (i = 0; i < len && i + 1 < outlen; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

/*
 * Parse a canonical decimal (no sign, no leading zero) of at most max.
 * Negative or malformed: MT_E_BADVALUE; over max: MT_E_TOOBIG.
 */
static int
mi_parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out,
    unsigned line, const char *what, struct mt_err *err)
{
	uint64_t	v = 0;
	size_t		i;
	unsigned	d;

	if (len > 0 && s[0] == '-')
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("%s is negative"), what));
	if (len == 0)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("%s is empty"), what));
	if (len > 1 && s[0] == '0')
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("%s has a leading zero"), what));
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("%s is not a decimal number"), what));
	}
	for (i = 0; i < len; i++) {
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return (mt_err_setl(err, MT_E_TOOBIG, line,
			    _("%s is too big (at most %llu)"), what,
			    (unsigned long long)max));
		v = v * 10 + d;
	}
	*out = v;
	return (0);
}

/* True for a power of two between the smallest and largest piece. */
static int
mi_piece_size_ok(uint64_t v)
{
	return (v >= METAINFO_PIECE_SIZE_MIN && v <= METAINFO_PIECE_SIZE &&
	    (v & (v - 1)) == 0);
}

/* 0 if host is a DNS name or IPv4 address (letters, digits, '-', '.'). */
static int
mi_host_check(const char *h, size_t len)
{
	size_t	i, label = 0;

	if (len == 0 || len > MI_HOST_MAX)
		return (-1);
	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0 || h[i - 1] == '-')
				return (-1);
			label = 0;
			continue;
		}
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
			return (-1);
		if (h[i] == '-' && label == 0)
			return (-1);
		if (++label > MI_LABEL_MAX)
			return (-1);
	}
	if (label == 0 || h[len - 1] == '-')
		return (-1);
	return (0);
}

/* Check "HOST:PORT". */
static int
mi_addr_check(const char *a, size_t len, unsigned line, struct mt_err *err)
{
	char		 v6[INET6_ADDRSTRLEN];
	struct in6_addr	 in6;
	const char	*colon;
	size_t		 hlen, plen, i;
	unsigned	 port = 0;

	if (len == 0)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("empty tracker address")));
	if (len > METAINFO_ADDR_MAX)
		return (mt_err_setl(err, MT_E_TOOBIG, line,
		    _("tracker address longer than %u bytes"),
		    METAINFO_ADDR_MAX));
	for (colon = a + len; colon > a && colon[-1] != ':'; colon--)
		/* nothing */;
	if (colon == a)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("tracker address has no :PORT")));
	hlen = (size_t)(colon - a) - 1;
	plen = len - hlen - 1;
	if (plen == 0 || plen > 5 || colon[0] == '0')
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("bad tracker port")));
	for (i = 0; i < plen; i++) {
		if (colon[i] < '0' || colon[i] > '9')
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("bad tracker port")));
		port = port * 10 + (unsigned)(colon[i] - '0');
	}
	if (port == 0 || port > 65535)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("tracker port out of range 1-65535")));
	if (hlen >= 2 && a[0] == '[' && a[hlen - 1] == ']') {
		if (hlen - 2 >= sizeof v6)
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("bad IPv6 address")));
		memcpy(v6, a + 1, hlen - 2);
		v6[hlen - 2] = '\0';
		if (inet_pton(AF_INET6, v6, &in6) != 1)
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("bad IPv6 address")));
		return (0);
	}
	if (mi_host_check(a, hlen) != 0)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("bad tracker host name")));
	return (0);
}

/* Check that s holds exactly want lowercase hex digits. */
static int
mi_hex_check(const char *s, size_t len, size_t want, unsigned line,
    const char *what, struct mt_err *err)
{
	size_t	i;

	for (i = 0; i < len && i < want; i++) {
		if ((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f'))
			continue;
		if (s[i] >= 'A' && s[i] <= 'F')
			return (mt_err_setl(err, MT_E_BADHEX, line,
			    _("%s: uppercase hex digit at character %zu"),
			    what, i + 1));
		return (mt_err_setl(err, MT_E_BADHEX, line,
		    _("%s: not a hex digit at character %zu"), what, i + 1));
	}
	if (len != want)
		return (mt_err_setl(err, MT_E_BADHEX, line,
		    _("%s: %zu hex digits, want %zu"), what, len, want));
	return (0);
}

/* Parse "HOST:PORT[ FINGERPRINT]" into t. */
static int
mi_tracker_parse(const char *v, size_t len, unsigned line,
    struct metainfo_tracker *t, struct mt_err *err)
{
	const char	*sp;
	size_t		 alen;

	sp = memchr(v, ' ', len);
	alen = sp != NULL ? (size_t)(sp - v) : len;
	if (mi_addr_check(v, alen, line, err) != 0)
		return (-1);
	if (sp != NULL && mi_hex_check(sp + 1, len - alen - 1,
	    METAINFO_FPR_LEN, line, _("tracker fingerprint"), err) != 0)
		return (-1);
	memcpy(t->addr, v, alen);
	t->addr[alen] = '\0';
	if (sp != NULL) {
		memcpy(t->fingerprint, sp + 1, METAINFO_FPR_LEN);
		t->fingerprint[METAINFO_FPR_LEN] = '\0';
	} else
		t->fingerprint[0] = '\0';
	return (0);
}

int
metainfo_tracker_set(struct metainfo_tracker *t, const char *addr,
    const char *fpr, struct mt_err *err)
{
	size_t	alen, flen;

	alen = strlen(addr);
	if (mi_addr_check(addr, alen, 0, err) != 0)
		return (-1);
	flen = fpr != NULL ? strlen(fpr) : 0;
	if (flen != 0 && mi_hex_check(fpr, flen, METAINFO_FPR_LEN, 0,
	    _("tracker fingerprint"), err) != 0)
		return (-1);
	memcpy(t->addr, addr, alen + 1);
	if (flen != 0)
		memcpy(t->fingerprint, fpr, flen + 1);
	else
		t->fingerprint[0] = '\0';
	return (0);
}

/*
 * Decode one UTF-8 sequence at s (n bytes left) into *cp; returns its
 * length, or 0 if it is invalid, overlong, a surrogate or past U+10FFFF.
 */
static int
mi_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t	c, min;
	int		len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if ((size_t)len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (len);
}

/* metainfo_name_check() with a line number and a word for the message. */
static int
mi_name_checkl(const char *name, size_t len, unsigned line, const char *what,
    struct mt_err *err)
{
	const unsigned char	*s = (const unsigned char *)name;
	uint32_t		 cp;
	size_t			 i;
	int			 n;

	if (len == 0)
		return (mt_err_setl(err, MT_E_BADNAME, line,
		    _("%s is empty"), what));
	if (len > METAINFO_NAME_MAX)
		return (mt_err_setl(err, MT_E_BADNAME, line,
		    _("%s is longer than %u bytes"), what, METAINFO_NAME_MAX));
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return (mt_err_setl(err, MT_E_BADNAME, line,
		    _("%s may not be \".\" or \"..\""), what));
	for (i = 0; i < len; i += (size_t)n) {
		if ((n = mi_utf8_next(s + i, len - i, &cp)) == 0)
			return (mt_err_setl(err, MT_E_BADNAME, line,
			    _("%s is not valid UTF-8 (byte %zu)"), what,
			    i + 1));
		if (cp == '/')
			return (mt_err_setl(err, MT_E_BADNAME, line,
			    _("%s contains '/'"), what));
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return (mt_err_setl(err, MT_E_BADNAME, line,
			    _("%s contains a control character (byte %zu)"),
			    what, i + 1));
	}
	return (0);
}

int
metainfo_name_check(const char *name, size_t len, struct mt_err *err)
{
	return (mi_name_checkl(name, len, 0, _("file name"), err));
}

/*
 * Parse the value v (vlen bytes; has_sp: a space followed the key) of
 * field f on line into mi.
 */
static int
mi_parse_line(struct metainfo *mi, enum mi_field f, const char *v,
    size_t vlen, int has_sp, unsigned line, struct mt_err *err)
{
	uint64_t	 u;
	int64_t		 n;

	/* An empty name or group is an unsafe name, checked below. */
	if (has_sp && vlen == 0 && f != F_NAME && f != F_GROUP)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("%s: space but no value"), mi_fields[f].key));
	if (f == F_UNITS)
		return (mi_parse_units(mi, v, vlen, line, err));
	if (!has_sp && f != F_PIECES && f != F_NAME && f != F_GROUP)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("%s: no value"), mi_fields[f].key));

	switch (f) {
	case F_VERSION:
		if (vlen != 1 || v[0] != '0' + METAINFO_VERSION)
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("unsupported mtorrent-version (this program "
			    "reads version %d)"), METAINFO_VERSION));
		break;
	case F_TRACKER:
		if (mi_tracker_parse(v, vlen, line,
		    &mi->trackers[mi->ntrackers], err) != 0)
			return (-1);
		mi->ntrackers++;
		break;
	case F_NAME:
		if (mi_name_checkl(v, vlen, line, _("file name"), err) != 0)
			return (-1);
		memcpy(mi->name, v, vlen);
		mi->name[vlen] = '\0';
		break;
	case F_SIZE:
		if (mi_parse_u64(v, vlen, INT64_MAX, &u, line, _("size"),
		    err) != 0)
			return (-1);
		if (u > MI_SIZE_MAX)
			return (mt_err_setl(err, MT_E_TOOBIG, line,
			    _("size %llu is over the limit of %llu bytes"),
			    (unsigned long long)u,
			    (unsigned long long)MI_SIZE_MAX));
		mi->size = u;
		break;
	case F_PIECE_SIZE:
		if (mi_parse_u64(v, vlen, UINT32_MAX, &u, line,
		    _("piece-size"), err) != 0) {
			/* Any piece size over 4 GiB is a bad value too. */
			if (err != NULL)
				err->code = MT_E_BADVALUE;
			return (-1);
		}
		if (u == 0)
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("piece-size is zero")));
		if (!mi_piece_size_ok(u))
			return (mt_err_setl(err, MT_E_BADVALUE, line,
			    _("piece-size %llu is not a power of two from "
			    "%u to %u"), (unsigned long long)u,
			    METAINFO_PIECE_SIZE_MIN, METAINFO_PIECE_SIZE));
		if ((n = metainfo_piece_count(mi->size, (uint32_t)u)) < 0)
			return (mt_err_setl(err, MT_E_TOOBIG, line,
			    _("size %llu in pieces of %llu is more than %u "
			    "pieces"), (unsigned long long)mi->size,
			    (unsigned long long)u, METAINFO_PIECES_MAX));
		mi->piece_size = (uint32_t)u;
		mi->npieces = (uint32_t)n;
		break;
	case F_PIECES:
		/* Lengths first: nothing is allocated for a wrong count. */
		if (vlen % 40 != 0)
			return (mt_err_setl(err, MT_E_BADHEX, line,
			    _("pieces: %zu characters is not a multiple of "
			    "40"), vlen));
		if (vlen / 40 != mi->npieces)
			return (mt_err_setl(err, MT_E_MISMATCH, line,
			    _("pieces: %zu digests, but size %llu needs %u"),
			    vlen / 40, (unsigned long long)mi->size,
			    mi->npieces));
		if (mi_hex_check(v, vlen, vlen, line, _("pieces"), err) != 0)
			return (-1);
		if (mi->npieces > 0) {
			mi->pieces = xmalloc((size_t)mi->npieces *
			    HASH_SHA1_LEN);
			(void)hash_unhex(v, (size_t)mi->npieces *
			    HASH_SHA1_LEN, mi->pieces);
		}
		break;
	case F_GROUP:
		if (mi_name_checkl(v, vlen, line, _("group"), err) != 0)
			return (-1);
		memcpy(mi->group, v, vlen);
		mi->group[vlen] = '\0';
		break;
	case F_SHA1:
		if (mi_hex_check(v, vlen, 40, line, _("sha1"), err) != 0)
			return (-1);
		(void)hash_unhex(v, HASH_SHA1_LEN, mi->sha1);
		mi->has_sha1 = 1;
		break;
	case F_UNITS:	/* mi_parse_units() */
	case F_COUNT:
		break;
	}
	return (0);
}

/* "units SIZE[ CHAIN]": the unit size, then its chaining values. */
static int
mi_parse_units(struct metainfo *mi, const char *v, size_t vlen,
    unsigned line, struct mt_err *err)
{
	const char	*sp;
	size_t		 slen, hlen;
	uint64_t	 u, n;

	sp = memchr(v, ' ', vlen);
	slen = sp != NULL ? (size_t)(sp - v) : vlen;
	if (mi_parse_u64(v, slen, UINT32_MAX, &u, line, _("units"),
	    err) != 0) {
		if (err != NULL)
			err->code = MT_E_BADVALUE;
		return (-1);
	}
	if (!metainfo_unit_size_ok(mi->piece_size, (uint32_t)u))
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("units: %llu is not a power of two from %u to half "
		    "the piece size"), (unsigned long long)u,
		    METAINFO_PIECE_SIZE_MIN));
	n = metainfo_chain_count(mi->size, mi->piece_size, (uint32_t)u);
	if (n > METAINFO_CHAIN_MAX)
		return (mt_err_setl(err, MT_E_TOOBIG, line,
		    _("units: size %llu needs %llu chaining values, more "
		    "than %u"), (unsigned long long)mi->size,
		    (unsigned long long)n, METAINFO_CHAIN_MAX));
	hlen = sp != NULL ? vlen - slen - 1 : 0;
	if (sp != NULL && hlen == 0)
		return (mt_err_setl(err, MT_E_BADVALUE, line,
		    _("units: space but no chaining values")));
	/* Lengths first: nothing is allocated for a wrong count. */
	if (hlen % 40 != 0)
		return (mt_err_setl(err, MT_E_BADHEX, line,
		    _("units: %zu characters is not a multiple of 40"),
		    hlen));
	if (hlen / 40 != n)
		return (mt_err_setl(err, MT_E_MISMATCH, line,
		    _("units: %zu chaining values, but size %llu needs "
		    "%llu"), hlen / 40, (unsigned long long)mi->size,
		    (unsigned long long)n));
	if (hlen > 0 && mi_hex_check(sp + 1, hlen, hlen, line, _("units"),
	    err) != 0)
		return (-1);
	if (n > 0) {
		mi->chain = xmalloc((size_t)n * HASH_SHA1_LEN);
		(void)hash_unhex(sp + 1, (size_t)n * HASH_SHA1_LEN,
		    mi->chain);
	}
	mi->has_units = 1;
	mi->unit_size = (uint32_t)u;
	return (0);
}

int
metainfo_parse(const char *text, size_t len, struct metainfo *mi,
    struct mt_err *err)
{
	const char	*p = text, *end = text + len, *l, *nl, *sp;
	unsigned	 line = 0, seen[F_COUNT];
	size_t		 llen, klen;
	char		 key[40];
	int		 f, last = -1, r;

	memset(seen, 0, sizeof seen);
	metainfo_done(mi);
	if (len > METAINFO_TEXT_MAX)
		return (mt_err_setl(err, MT_E_TOOBIG, 0,
		    _("longer than %u bytes"), METAINFO_TEXT_MAX));
	while (p < end) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			mt_err_setl(err, MT_E_TRUNCATED, line,
			    _("no newline at the end of the line"));
			goto fail;
		}
		l = p;
		llen = (size_t)(nl - p);
		p = nl + 1;
		if (llen == 0) {
			mt_err_setl(err, MT_E_BADFIELD, line, _("empty line"));
			goto fail;
		}
		if (l[llen - 1] == '\r') {
			mt_err_setl(err, MT_E_BADVALUE, line,
			    _("line ends with a carriage return"));
			goto fail;
		}
		sp = memchr(l, ' ', llen);
		klen = sp != NULL ? (size_t)(sp - l) : llen;
		if ((f = mi_field_find(l, klen)) < 0) {
			mi_printable(l, klen, key, sizeof key);
			mt_err_setl(err, MT_E_BADFIELD, line,
			    _("unknown field \"%s\""), key);
			goto fail;
		}

		/* Order: each field once, trackers consecutive. */
		if (f == F_TRACKER && last == F_TRACKER) {
			if (mi->ntrackers == METAINFO_TRACKERS_MAX) {
				mt_err_setl(err, MT_E_TOOBIG, line,
				    _("more than %u trackers"),
				    METAINFO_TRACKERS_MAX);
				goto fail;
			}
		} else if (seen[f] != 0) {
			mt_err_setl(err, MT_E_BADFIELD, line,
			    _("duplicated field %s (first on line %u)"),
			    mi_fields[f].key, seen[f]);
			goto fail;
		} else if (f < last) {
			mt_err_setl(err, MT_E_BADFIELD, line,
			    _("field %s must come before %s"),
			    mi_fields[f].key, mi_fields[last].key);
			goto fail;
		} else {
			for (r = last + 1; r < f; r++) {
				if (mi_fields[r].required) {
					mt_err_setl(err, MT_E_BADFIELD, line,
					    _("missing field %s before %s"),
					    mi_fields[r].key,
					    mi_fields[f].key);
					goto fail;
				}
			}
			seen[f] = line;
		}
		last = f;

		if (mi_parse_line(mi, (enum mi_field)f,
		    sp != NULL ? sp + 1 : l + llen,
		    sp != NULL ? llen - klen - 1 : 0, sp != NULL, line,
		    err) != 0)
			goto fail;
	}
	for (r = last + 1; r < F_COUNT; r++) {
		if (mi_fields[r].required) {
			mt_err_setl(err, MT_E_BADFIELD, line + 1,
			    _("missing field %s"), mi_fields[r].key);
			goto fail;
		}
	}
	if (metainfo_finish(mi, err) != 0)
		goto fail;
	return (0);

fail:
	metainfo_done(mi);
	return (-1);
}

/* Check mi before writing it, with the codes the parser would give. */
static int
mi_write_check(const struct metainfo *mi, struct mt_err *err)
{
	unsigned	i;
	int64_t		n;
	size_t		flen;

	if (mi->ntrackers == 0)
		return (mt_err_set(err, MT_E_BADFIELD,
		    _("at least one tracker is needed")));
	if (mi->ntrackers > METAINFO_TRACKERS_MAX)
		return (mt_err_set(err, MT_E_TOOBIG,
		    _("more than %u trackers"), METAINFO_TRACKERS_MAX));
	for (i = 0; i < mi->ntrackers; i++) {
		if (mi_addr_check(mi->trackers[i].addr,
		    strnlen(mi->trackers[i].addr, METAINFO_ADDR_MAX + 1), 0,
		    err) != 0)
			return (-1);
		flen = strnlen(mi->trackers[i].fingerprint,
		    METAINFO_FPR_LEN + 1);
		if (flen != 0 && mi_hex_check(mi->trackers[i].fingerprint,
		    flen, METAINFO_FPR_LEN, 0, _("tracker fingerprint"),
		    err) != 0)
			return (-1);
	}
	if (mi_name_checkl(mi->name, strnlen(mi->name, METAINFO_NAME_MAX + 1),
	    0, _("file name"), err) != 0)
		return (-1);
	if (mi->group[0] != '\0' && mi_name_checkl(mi->group,
	    strnlen(mi->group, METAINFO_NAME_MAX + 1), 0, _("group"),
	    err) != 0)
		return (-1);
	if (mi->size > MI_SIZE_MAX)
		return (mt_err_set(err, MT_E_TOOBIG,
		    _("size %llu is over the limit of %llu bytes"),
		    (unsigned long long)mi->size,
		    (unsigned long long)MI_SIZE_MAX));
	if (!mi_piece_size_ok(mi->piece_size))
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("piece-size %u is not a power of two from %u to %u"),
		    mi->piece_size, METAINFO_PIECE_SIZE_MIN,
		    METAINFO_PIECE_SIZE));
	n = metainfo_piece_count(mi->size, mi->piece_size);
	if (n < 0 || (uint64_t)n != mi->npieces ||
	    (mi->npieces > 0 && mi->pieces == NULL))
		return (mt_err_set(err, MT_E_MISMATCH,
		    _("%u pieces do not fit a size of %llu bytes in pieces "
		    "of %u bytes"), mi->npieces,
		    (unsigned long long)mi->size, mi->piece_size));
	if (mi->has_units && (!metainfo_unit_size_ok(mi->piece_size,
	    mi->unit_size) || metainfo_chain_count(mi->size, mi->piece_size,
	    mi->unit_size) > METAINFO_CHAIN_MAX || (mi->chain == NULL &&
	    metainfo_chain_count(mi->size, mi->piece_size,
	    mi->unit_size) > 0)))
		return (mt_err_set(err, MT_E_BADVALUE,
		    _("units of %u bytes do not fit this file"),
		    mi->unit_size));
	return (0);
}

/*
 * Append the line "HEAD[ HEX]\n" with n 20-byte digests at d as hex,
 * written straight into the buffer.
 */
static int
mi_write_digests(struct buf *out, const char *head, const uint8_t *d,
    size_t n, struct mt_err *err)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 hlen = strlen(head), i, k;
	uint8_t			*p;

	if ((p = buf_reserve(out, hlen + 2 + n * 2 * HASH_SHA1_LEN,
	    err)) == NULL)
		return (-1);
	memcpy(p, head, hlen);
	i = hlen;
	if (n > 0)
		p[i++] = ' ';
	for (k = 0; k < n * HASH_SHA1_LEN; k++) {
		p[i++] = (uint8_t)digits[d[k] >> 4];
		p[i++] = (uint8_t)digits[d[k] & 0xf];
	}
	p[i++] = '\n';
	buf_commit(out, i);
	return (0);
}

int
metainfo_write(const struct metainfo *mi, struct buf *out,
    struct mt_err *err)
{
	char			 line[METAINFO_NAME_MAX + 128];
	char			 hex[2 * HASH_SHA1_LEN + 1];
	size_t			 saved;
	unsigned		 t;
	int			 n;

	if (mi_write_check(mi, err) != 0)
		return (-1);
	saved = out->len;

	n = snprintf(line, sizeof line, "mtorrent-version %d\n",
	    METAINFO_VERSION);
	if (buf_add(out, line, (size_t)n, err) != 0)
		goto fail;
	for (t = 0; t < mi->ntrackers; t++) {
		if (mi->trackers[t].fingerprint[0] != '\0')
			n = snprintf(line, sizeof line, "tracker %s %s\n",
			    mi->trackers[t].addr,
			    mi->trackers[t].fingerprint);
		else
			n = snprintf(line, sizeof line, "tracker %s\n",
			    mi->trackers[t].addr);
		if (buf_add(out, line, (size_t)n, err) != 0)
			goto fail;
	}
	n = snprintf(line, sizeof line, "name %s\nsize %llu\n"
	    "piece-size %u\n", mi->name, (unsigned long long)mi->size,
	    mi->piece_size);
	if (buf_add(out, line, (size_t)n, err) != 0)
		goto fail;

	if (mi_write_digests(out, "pieces", mi->pieces, mi->npieces,
	    err) != 0)
		goto fail;
	if (mi->has_units) {
		n = snprintf(line, sizeof line, "units %u", mi->unit_size);
		if (mi_write_digests(out, line, mi->chain,
		    (size_t)metainfo_chain_count(mi->size, mi->piece_size,
		    mi->unit_size), err) != 0)
			goto fail;
	}
	if (mi->group[0] != '\0') {
		n = snprintf(line, sizeof line, "group %s\n", mi->group);
		if (buf_add(out, line, (size_t)n, err) != 0)
			goto fail;
	}
	if (mi->has_sha1) {
		hash_hex(mi->sha1, HASH_SHA1_LEN, hex);
		n = snprintf(line, sizeof line, "sha1 %s\n", hex);
		if (buf_add(out, line, (size_t)n, err) != 0)
			goto fail;
	}
	return (0);

fail:
	out->len = saved;
	return (-1);
}
