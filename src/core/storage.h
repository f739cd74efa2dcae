/*
 * storage.h: one torrent's data file.
 *
 * A download is written to DIR/.NAME.mtorrent-part, opened relative to a
 * descriptor of DIR with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)
 * (O_NOFOLLOW where openat2 is missing), extended sparse to the file size
 * and renamed to DIR/NAME by storage_commit() without ever replacing an
 * existing file (renameat2 RENAME_NOREPLACE).  Reads and writes use
 * pread()/pwrite() at explicit offsets, never the file position, so many
 * threads (workers writing, uploads sending) may use one storage at once.
 *
 * NAME must have passed metainfo_name_check() (the caller's job).
 */
#ifndef MT_STORAGE_H
#define MT_STORAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mt_err;

#define STORAGE_PART_PREFIX	"."
#define STORAGE_PART_SUFFIX	".mtorrent-part"

struct storage {
	int		 dirfd;		/* DIR, or -1 for a shared file */
	int		 fd;		/* data: part, final or shared file */
	int		 complete;	/* fd is the final file */
	int		 writable;
	uint64_t	 size;
	char		 name[256];
	char		 path[4096];	/* current path of fd, for display */
};

/*
 * Open (create if absent) DIR/.NAME.mtorrent-part for a download of size
 * bytes.  Fails with MT_E_EXISTS if DIR/NAME exists (see
 * storage_open_final() to adopt it), MT_E_IO (DIR missing, a symlink in
 * the way, not a regular file), MT_E_BADNAME.  *created says whether the
 * part file was new (for resume decisions); may be NULL.
 */
int		 storage_open_part(struct storage *st, const char *dir,
		     const char *name, uint64_t size, int *created,
		     struct mt_err *err);

/*
 * Open an existing complete file read-only: DIR/NAME (dir != NULL, name
 * resolved beneath dir) or the path name itself (dir == NULL, a file the
 * user shares).  MT_E_NOTFOUND if absent, MT_E_MISMATCH if its size is
 * not size, MT_E_IO otherwise.
 */
int		 storage_open_final(struct storage *st, const char *dir,
		     const char *name, uint64_t size, struct mt_err *err);

/* Close descriptors; st may be reused after an open. */
void		 storage_close(struct storage *st);

/* Whole-range pread/pwrite at off; 0, or -1 with MT_E_IO. */
int		 storage_read(struct storage *st, uint64_t off, void *buf,
		     size_t len, struct mt_err *err);
int		 storage_write(struct storage *st, uint64_t off,
		     const void *buf, size_t len, struct mt_err *err);

/* fdatasync the data; 0 or -1 MT_E_IO. */
int		 storage_sync(struct storage *st, struct mt_err *err);

/*
 * Sync and rename the part file to DIR/NAME.  MT_E_EXISTS if a file
 * appeared there meanwhile (the part stays).  fd stays valid.  Does not
 * change st: call storage_set_committed() after a success (separate so a
 * caller can do the I/O unlocked and update st under its lock).
 */
int		 storage_commit(struct storage *st, struct mt_err *err);
/* Record a successful commit: complete = 1, path = DIR/NAME. */
void		 storage_set_committed(struct storage *st);

/* Size and modification time (ns) of the open data file. */
int		 storage_stat(struct storage *st, uint64_t *size,
		     int64_t *mtime_ns, struct mt_err *err);

/*
 * Set bit i of bits (MSB first, zeroed by the caller) for each piece of
 * piece_size bytes that holds any data block, using SEEK_DATA/SEEK_HOLE on
 * a private descriptor (they move a file position).  Where the
 * filesystem cannot tell, every piece is marked.  0, or -1 with MT_E_IO.
 */
int		 storage_data_pieces(struct storage *st, uint32_t piece_size,
		     uint32_t npieces, uint8_t *bits, struct mt_err *err);

#endif /* MT_STORAGE_H */
