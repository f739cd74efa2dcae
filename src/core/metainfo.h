/*
 * metainfo.h: the .mtorrent format (man/mtorrent.5): pure parse and
 * write, no I/O.
 *
 * A file's identity (file_id) is the SHA1 of its concatenated raw 20-byte
 * piece digests.
 */
#ifndef MT_METAINFO_H
#define MT_METAINFO_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct mt_err;

#define METAINFO_PIECE_SIZE	(512U * 1024U)
#define METAINFO_PIECES_MAX	(1U << 22)	/* 2 TiB at 512 KiB */
#define METAINFO_TEXT_MAX	(128U * 1024U * 1024U) /* file size cap */
#define METAINFO_NAME_MAX	255		/* bytes */
#define METAINFO_TRACKERS_MAX	16
#define METAINFO_ADDR_MAX	262		/* HOST:PORT text */
#define METAINFO_FPR_LEN	64		/* SHA-256 hex of the cert */

struct metainfo_tracker {
	char	addr[METAINFO_ADDR_MAX + 1];	/* "HOST:PORT" */
	char	fingerprint[METAINFO_FPR_LEN + 1]; /* "" if none */
};

struct metainfo {
	struct metainfo_tracker	 trackers[METAINFO_TRACKERS_MAX];
	unsigned		 ntrackers;
	char			 name[METAINFO_NAME_MAX + 1];
	uint64_t		 size;
	uint32_t		 piece_size;
	uint32_t		 npieces;
	uint8_t			*pieces;	/* npieces * 20 bytes, owned */
	uint8_t			 file_id[20];
	char			 file_id_hex[41];
	char			 group[METAINFO_NAME_MAX + 1]; /* "" = none */
	int			 has_sha1;
	uint8_t			 sha1[20];	/* whole file, if has_sha1 */
};

/* Zero mi. */
void	 metainfo_init(struct metainfo *mi);
/* Free what mi owns and zero it. */
void	 metainfo_done(struct metainfo *mi);

/*
 * Parse len bytes of .mtorrent text into mi (which must be initialised).
 * Strict: see mtorrent.5.  Returns 0, or -1 with err.code (MT_E_BADFIELD,
 * MT_E_BADVALUE, MT_E_BADHEX, MT_E_BADNAME, MT_E_MISMATCH, MT_E_TOOBIG,
 * MT_E_TRUNCATED) and err.line naming the line; mi is left empty.
 */
int	 metainfo_parse(const char *text, size_t len, struct metainfo *mi,
	     struct mt_err *err);

/* Append mi as .mtorrent text to out.  0, or -1 with MT_E_TOOBIG. */
int	 metainfo_write(const struct metainfo *mi, struct buf *out,
	     struct mt_err *err);

/*
 * Fill mi's derived fields from its pieces: npieces must match size and
 * piece_size; computes file_id and file_id_hex.  0, or -1 MT_E_MISMATCH.
 */
int	 metainfo_finish(struct metainfo *mi, struct mt_err *err);

/* Piece count for a size, or -1 if over METAINFO_PIECES_MAX. */
int64_t	 metainfo_piece_count(uint64_t size, uint32_t piece_size);

/* Length of piece i (the last may be short). */
uint32_t metainfo_piece_len(const struct metainfo *mi, uint32_t i);

/*
 * 0 if name is a safe single file name (non-empty, not "." or "..", no
 * '/', no control characters, valid UTF-8, at most METAINFO_NAME_MAX
 * bytes); else -1 with MT_E_BADNAME.
 */
int	 metainfo_name_check(const char *name, size_t len,
	     struct mt_err *err);

/* Read and parse a .mtorrent file (I/O wrapper over metainfo_parse). */
int	 metainfo_load(const char *path, struct metainfo *mi,
	     struct mt_err *err);
/* Write mi to path atomically (temp, fsync, rename). */
int	 metainfo_save(const struct metainfo *mi, const char *path,
	     struct mt_err *err);

#endif /* MT_METAINFO_H */
