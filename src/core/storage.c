/*
 * storage.c: piece file I/O (see storage.h).
 *
 * Every path under the destination directory is resolved relative to a
 * descriptor of it: openat2() with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * refuses "..", absolute names and symlinks at every component; where the
 * kernel or headers lack openat2 we fall back to openat(O_NOFOLLOW) on a
 * name that metainfo_name_check() already proved has no '/'.  The final
 * rename uses RENAME_NOREPLACE so a file that appears at the destination
 * is never replaced.
 */
#include "config.h"

#include "storage.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "compat.h"
#include "error.h"
#include "i18n.h"
#include "picker.h"

static int	storage_openat(int, const char *, int, mode_t);
static int	storage_names(struct storage *, const char *, const char *,
		    char *, size_t, struct mt_err *);

/* Open name beneath dirfd, never following a symlink. */
static int
storage_openat(int dirfd, const char *name, int flags, mode_t mode)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
	struct open_how	how;
	int		fd;

	memset(&how, 0, sizeof how);
	how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
	if (fd != -1 || (errno != ENOSYS && errno != EPERM))
		return (fd);
#endif
	if (strchr(name, '/') != NULL || strcmp(name, "..") == 0) {
		errno = EXDEV;
		return (-1);
	}
	return (openat(dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW, mode));
}

/*
 * The part file's name for name into part; returns what snprintf()
 * does.  A long name (up to 255 bytes) leaves no room for the prefix and
 * suffix: its head is kept, cut on a UTF-8 boundary, with a digest of the
 * whole name so that two long names never share a part file.
 */
static int
storage_part_name(const char *name, char *part, size_t partlen)
{
	uint32_t	h = 2166136261U;	/* FNV-1a */
	size_t		keep, i;
	int		n;

	n = snprintf(part, partlen, "%s%s%s", STORAGE_PART_PREFIX, name,
	    STORAGE_PART_SUFFIX);
	if (n < 0 || n <= NAME_MAX)
		return (n);
	for (i = 0; name[i] != '\0'; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619U;
	keep = NAME_MAX - (sizeof STORAGE_PART_PREFIX - 1) -
	    (sizeof STORAGE_PART_SUFFIX - 1) - 9;
	while (keep > 0 && ((uint8_t)name[keep] & 0xc0) == 0x80)
		keep--;
	return (snprintf(part, partlen, "%s%.*s~%08x%s", STORAGE_PART_PREFIX,
	    (int)keep, name, (unsigned)h, STORAGE_PART_SUFFIX));
}

/* Open dir, check name, write the part name into part. */
static int
storage_names(struct storage *st, const char *dir, const char *name,
    char *part, size_t partlen, struct mt_err *err)
{
	int	n;

	if (*name == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strlen(name) >= sizeof st->name)
		return (mt_err_set(err, MT_E_BADNAME, _("unsafe file name")));
	n = storage_part_name(name, part, partlen);
	if (n < 0 || (size_t)n >= partlen)
		return (mt_err_set(err, MT_E_BADNAME, _("file name too long")));
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd == -1)
		return (mt_err_set(err, MT_E_IO, _("%s: %s"), dir,
		    strerror(errno)));
	strlcpy(st->name, name, sizeof st->name);
	return (0);
}

int
storage_open_part(struct storage *st, const char *dir, const char *name,
    uint64_t size, int *created, struct mt_err *err)
{
	char		part[NAME_MAX + 32];
	struct stat	sb;
	int		isnew = 0;

	memset(st, 0, sizeof *st);
	st->dirfd = st->fd = -1;
	st->size = size;
	if (created != NULL)
		*created = 0;
	if (storage_names(st, dir, name, part, sizeof part, err) != 0)
		return (-1);
	if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		mt_err_set(err, MT_E_EXISTS, _("%s/%s already exists"), dir,
		    name);
		goto fail;
	}
	st->fd = storage_openat(st->dirfd, part, O_RDWR, 0);
	if (st->fd == -1 && errno == ENOENT) {
		st->fd = storage_openat(st->dirfd, part,
		    O_RDWR | O_CREAT | O_EXCL, 0644);
		isnew = 1;
	}
	if (st->fd == -1) {
		mt_err_set(err, MT_E_IO, _("%s/%s: %s"), dir, part,
		    strerror(errno));
		goto fail;
	}
	if (fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		mt_err_set(err, MT_E_IO, _("%s/%s: not a regular file"), dir,
		    part);
		goto fail;
	}
	if ((uint64_t)sb.st_size != size &&
	    ftruncate(st->fd, (off_t)size) != 0) {
		mt_err_set(err, MT_E_IO, _("%s/%s: %s"), dir, part,
		    strerror(errno));
		goto fail;
	}
	st->writable = 1;
	snprintf(st->path, sizeof st->path, "%s/%s", dir, part);
	if (created != NULL)
		*created = isnew;
	return (0);
fail:
	storage_close(st);
	return (-1);
}

int
storage_open_final(struct storage *st, const char *dir, const char *name,
    uint64_t size, struct mt_err *err)
{
	char		part[NAME_MAX + 32];
	struct stat	sb;

	memset(st, 0, sizeof *st);
	st->dirfd = st->fd = -1;
	st->size = size;
	st->complete = 1;
	if (dir != NULL) {
		if (storage_names(st, dir, name, part, sizeof part, err) != 0)
			return (-1);
		st->fd = storage_openat(st->dirfd, name, O_RDONLY, 0);
		snprintf(st->path, sizeof st->path, "%s/%s", dir, name);
	} else {
		st->fd = open(name, O_RDONLY | O_CLOEXEC);
		strlcpy(st->path, name, sizeof st->path);
	}
	if (st->fd == -1) {
		mt_err_set(err, errno == ENOENT ? MT_E_NOTFOUND : MT_E_IO,
		    _("%s: %s"), st->path, strerror(errno));
		goto fail;
	}
	if (fstat(st->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		mt_err_set(err, MT_E_IO, _("%s: not a regular file"),
		    st->path);
		goto fail;
	}
	if ((uint64_t)sb.st_size != size) {
		mt_err_set(err, MT_E_MISMATCH, _("%s: size differs"),
		    st->path);
		goto fail;
	}
	return (0);
fail:
	storage_close(st);
	return (-1);
}

void
storage_close(struct storage *st)
{
	if (st->fd != -1)
		close(st->fd);
	if (st->dirfd != -1)
		close(st->dirfd);
	st->fd = st->dirfd = -1;
}

int
storage_read(struct storage *st, uint64_t off, void *buf, size_t len,
    struct mt_err *err)
{
	uint8_t	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		n = pread(st->fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (mt_err_set(err, MT_E_IO, _("%s: read: %s"),
			    st->path, n == 0 ? _("short file") :
			    strerror(errno)));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return (0);
}

int
storage_write(struct storage *st, uint64_t off, const void *buf, size_t len,
    struct mt_err *err)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	if (!st->writable)
		return (mt_err_set(err, MT_E_IO, _("%s: read-only"),
		    st->path));
	while (len > 0) {
		n = pwrite(st->fd, p, len, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (mt_err_set(err, MT_E_IO, _("%s: write: %s"),
			    st->path, strerror(errno)));
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return (0);
}

int
storage_sync(struct storage *st, struct mt_err *err)
{
	if (st->writable && fdatasync(st->fd) != 0 && errno != EINVAL)
		return (mt_err_set(err, MT_E_IO, _("%s: sync: %s"), st->path,
		    strerror(errno)));
	return (0);
}

int
storage_commit(struct storage *st, struct mt_err *err)
{
	struct stat	sb;
	char		part[NAME_MAX + 32];
	int		r;

	if (st->complete)
		return (0);
	if (storage_sync(st, err) != 0)
		return (-1);
	/*
	 * Every piece was verified as it was written; a part file of
	 * another size was cut (or grown) behind our back since, and is
	 * not given the file's name.
	 */
	if (fstat(st->fd, &sb) != 0 || (uint64_t)sb.st_size != st->size)
		return (mt_err_set(err, MT_E_CORRUPT, _("%s: the part file "
		    "changed behind our back (%lld bytes, not %llu); remove "
		    "and get it again"), st->name, (long long)sb.st_size,
		    (unsigned long long)st->size));
	(void)storage_part_name(st->name, part, sizeof part);
#ifdef RENAME_NOREPLACE
	r = renameat2(st->dirfd, part, st->dirfd, st->name, RENAME_NOREPLACE);
	if (r == -1 && (errno == EINVAL || errno == ENOSYS)) {
#else
	r = -1;
	errno = ENOSYS;
	{
#endif
		/* No RENAME_NOREPLACE here: link + unlink never replaces. */
		r = linkat(st->dirfd, part, st->dirfd, st->name, 0);
		if (r == 0)
			(void)unlinkat(st->dirfd, part, 0);
	}
	if (r == -1)
		return (mt_err_set(err, errno == EEXIST ? MT_E_EXISTS :
		    MT_E_IO, _("%s: rename: %s"), st->name, strerror(errno)));
	(void)fsync(st->dirfd);
	return (0);
}

void
storage_set_committed(struct storage *st)
{
	char	dir[4096];
	char   *slash;

	if (st->complete)
		return;
	st->complete = 1;
	strlcpy(dir, st->path, sizeof dir);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (snprintf(st->path, sizeof st->path, "%s/%s", dir, st->name) >=
	    (int)sizeof st->path)
		st->path[0] = '\0';
}

int
storage_stat(struct storage *st, uint64_t *size, int64_t *mtime_ns,
    struct mt_err *err)
{
	struct stat	sb;

	if (fstat(st->fd, &sb) != 0)
		return (mt_err_set(err, MT_E_IO, _("%s: %s"), st->path,
		    strerror(errno)));
	*size = (uint64_t)sb.st_size;
	*mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
	    sb.st_mtim.tv_nsec;
	return (0);
}

int
storage_data_pieces(struct storage *st, uint32_t piece_size,
    uint32_t npieces, uint8_t *bits, struct mt_err *err)
{
	char		 proc[64];
	off_t		 data, hole;
	uint64_t	 i, last;
	int		 fd;

	if (npieces == 0)
		return (0);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", st->fd);
	fd = open(proc, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (mt_err_set(err, MT_E_IO, _("%s: %s"), st->path,
		    strerror(errno)));
	data = 0;
	for (;;) {
		data = lseek(fd, data, SEEK_DATA);
		if (data == -1) {
			if (errno == ENXIO)
				break;
			/* Cannot tell: every piece may hold data. */
			memset(bits, 0xff, PICKER_BITFIELD_LEN(npieces));
			break;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole == -1)
			hole = (off_t)st->size;
		last = ((uint64_t)hole + piece_size - 1) / piece_size;
		for (i = (uint64_t)data / piece_size; i < last && i < npieces;
		    i++)
			picker_bit_set(bits, (uint32_t)i);
		if ((uint64_t)hole >= st->size)
			break;
		data = hole;
	}
	close(fd);
	return (0);
}
