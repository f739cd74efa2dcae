/*
 * metainfo.h: the .mtorrent format (man/mtorrent.5): pure parse and
 * write, no I/O (metainfo_load() and metainfo_save() in metainfo-io.c are
 * the I/O wrappers).
 *
 * A file's identity (file_id) is the SHA1 of its concatenated raw 20-byte
 * piece digests.  The text form is canonical: fields in a fixed order,
 * one spelling per value, so metainfo_write(metainfo_parse(t)) == t for
 * every accepted t.
 */
#ifndef MT_METAINFO_H
#define MT_METAINFO_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct mt_err;

#define METAINFO_VERSION	1
#define METAINFO_PIECE_SIZE	(512U * 1024U)	/* written; largest */
#define METAINFO_PIECE_SIZE_MIN	(16U * 1024U)	/* smallest read */
#define METAINFO_PIECES_MAX	(1U << 22)	/* 2 TiB at 512 KiB */
#define METAINFO_UNIT_SIZE	(128U * 1024U)	/* written */
#define METAINFO_CHAIN_MAX	(1U << 20)	/* chaining values */
/*
 * Largest text: a pieces line of METAINFO_PIECES_MAX digests, a units
 * line of METAINFO_CHAIN_MAX values, and 1 MiB.
 */
#define METAINFO_TEXT_MAX	((METAINFO_PIECES_MAX + METAINFO_CHAIN_MAX) * \
				    40U + 1024U * 1024U)
#define METAINFO_NAME_MAX	255		/* bytes */
#define METAINFO_TRACKERS_MAX	16
#define METAINFO_ADDR_MAX	262		/* HOST:PORT text */
#define METAINFO_FPR_LEN	64		/* SHA-256 hex of the cert */

struct metainfo_tracker {
	char	addr[METAINFO_ADDR_MAX + 1];	/* "HOST:PORT" */
	char	fingerprint[METAINFO_FPR_LEN + 1];	/* "" if none */
};

struct metainfo {
	struct metainfo_tracker	 trackers[METAINFO_TRACKERS_MAX];
	unsigned		 ntrackers;
	char			 name[METAINFO_NAME_MAX + 1];
	uint64_t		 size;
	uint32_t		 piece_size;
	uint32_t		 npieces;
	uint8_t			*pieces;	/* npieces * 20 bytes, owned */
	/*
	 * Transfer units (the units field; hash.h, "Chaining values"):
	 * pieces are sent and checked unit_size bytes at a time.  Without
	 * the field a unit is a piece: unit_size == piece_size, nunits ==
	 * npieces, chain NULL.
	 */
	int			 has_units;
	uint32_t		 unit_size;
	uint32_t		 nunits;
	uint8_t			*chain;		/* (nunits - npieces) * 20,
						   owned; NULL if none */
	uint8_t			 file_id[20];
	char			 file_id_hex[41];
	char			 group[METAINFO_NAME_MAX + 1]; /* "" none */
	int			 has_sha1;
	uint8_t			 sha1[20];	/* whole file, if has_sha1 */
};

/* Zero mi. */
void	 metainfo_init(struct metainfo *mi);
/* Free what mi owns and zero it. */
void	 metainfo_done(struct metainfo *mi);

/*
 * Parse len bytes of .mtorrent text into mi (which must be initialised).
 * Strict: see mtorrent.5.  Returns 0, or -1 with err.code and err.line
 * naming the line (0 when the problem is the whole text); mi is left
 * empty.  Codes:
 *   MT_E_TRUNCATED  the text does not end with a newline
 *   MT_E_BADFIELD   unknown, missing, duplicated or misplaced field;
 *                   empty line
 *   MT_E_BADVALUE   bad number, version, address, piece or unit size; negative
 *                   or zero where not allowed; CR before LF
 *   MT_E_BADHEX     pieces, fingerprint or sha1 not lowercase hex of the
 *                   right length
 *   MT_E_BADNAME    unsafe name or group (metainfo_name_check())
 *   MT_E_MISMATCH   the pieces line holds the wrong count for the size
 *   MT_E_TOOBIG     text over METAINFO_TEXT_MAX, size over 2^63-1 or
 *                   more than METAINFO_PIECES_MAX pieces, more than
 *                   METAINFO_TRACKERS_MAX trackers, address too long
 * Every limit is checked before anything is allocated.
 */
int	 metainfo_parse(const char *text, size_t len, struct metainfo *mi,
	     struct mt_err *err);

/*
 * Append mi as canonical .mtorrent text to out.  mi is checked first, so
 * what is written always parses: 0, or -1 with MT_E_TOOBIG (out's max),
 * or the code metainfo_parse() would give for the bad field.
 */
int	 metainfo_write(const struct metainfo *mi, struct buf *out,
	     struct mt_err *err);

/*
 * Fill mi's derived fields from its pieces: npieces must match size and
 * piece_size (and, with has_units, the chain its unit size); computes
 * file_id, file_id_hex, and unit_size and nunits.  0, or -1
 * MT_E_MISMATCH.
 */
int	 metainfo_finish(struct metainfo *mi, struct mt_err *err);

/*
 * Piece count for a size, or -1 if over METAINFO_PIECES_MAX or
 * piece_size is 0.
 */
int64_t	 metainfo_piece_count(uint64_t size, uint32_t piece_size);

/* Length of piece i < npieces (the last may be short). */
uint32_t metainfo_piece_len(const struct metainfo *mi, uint32_t i);

/*
 * 1 if unit_size may split pieces of piece_size: a power of two from
 * METAINFO_PIECE_SIZE_MIN to half the piece size.
 */
int	 metainfo_unit_size_ok(uint32_t piece_size, uint32_t unit_size);

/*
 * Chaining values a file of size bytes needs in units of unit_size
 * within pieces of piece_size: units minus pieces.
 */
uint64_t metainfo_chain_count(uint64_t size, uint32_t piece_size,
	     uint32_t unit_size);

/*
 * The file cut in spans of len bytes (any unit a peer asks in): the
 * length of span i (the last may be short; 0 past the end), and how
 * many there are.  len > 0, and small enough for a 32-bit count.
 */
uint32_t metainfo_span_len(const struct metainfo *mi, uint32_t len,
	     uint32_t i);
uint32_t metainfo_span_count(const struct metainfo *mi, uint32_t len);

/* Length of unit u < nunits (the last of a piece may be short). */
uint32_t metainfo_unit_len(const struct metainfo *mi, uint32_t u);

/* The piece unit u < nunits belongs to. */
uint32_t metainfo_unit_piece(const struct metainfo *mi, uint32_t u);

/*
 * 1 if the len bytes at p are unit u < nunits (len must be its
 * length), checked by SHA1: against the piece digest when a unit is a
 * piece, else through the chaining values; 0 if not.
 */
int	 metainfo_unit_check(const struct metainfo *mi, uint32_t u,
	     const void *p, size_t len);

/*
 * 0 if name is a safe single file name (non-empty, not "." or "..", no
 * '/', no control characters (C0, DEL, C1), valid UTF-8 without overlong
 * forms or surrogates, at most METAINFO_NAME_MAX bytes); else -1 with
 * MT_E_BADNAME.  name need not be NUL-terminated.
 */
int	 metainfo_name_check(const char *name, size_t len,
	     struct mt_err *err);

/*
 * Check and store one tracker: addr is "HOST:PORT" (HOST a DNS name, an
 * IPv4 address or a bracketed IPv6 address; PORT 1-65535 without
 * leading zeros), fpr NULL, "" or 64 lowercase hex digits.  0, or -1 with
 * MT_E_BADVALUE, MT_E_TOOBIG (addr too long) or MT_E_BADHEX (fpr).
 */
int	 metainfo_tracker_set(struct metainfo_tracker *t, const char *addr,
	     const char *fpr, struct mt_err *err);

/* Read and parse a .mtorrent file (I/O wrapper over metainfo_parse). */
int	 metainfo_load(const char *path, struct metainfo *mi,
	     struct mt_err *err);
/*
 * Write mi to path atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory), replacing any file there.
 * 0, or -1 with MT_E_IO or a metainfo_write() code.
 */
int	 metainfo_save(const struct metainfo *mi, const char *path,
	     struct mt_err *err);
/*
 * As metainfo_save() but never replaces: if path exists, -1 with
 * MT_E_EXISTS (the check and the creation are one atomic link()).
 */
int	 metainfo_save_new(const struct metainfo *mi, const char *path,
	     struct mt_err *err);

#endif /* MT_METAINFO_H */
