/*
 * metainfo-io.c: reading and writing .mtorrent files; the parsing and
 * formatting are in metainfo.c, which does no I/O.
 *
 * Loading checks the file's size against METAINFO_TEXT_MAX before
 * allocating, then reads it whole.  Saving never leaves a half-written
 * file under the final name: the text goes to a temporary file in the
 * same directory (created O_EXCL with mode 0666 less the umask), which is
 * fsync()ed and then renamed over the target (metainfo_save()) or linked
 * to it (metainfo_save_new(), which so refuses atomically to replace
 * anything); the directory is fsync()ed last so the new name survives a
 * crash.
 */
#include "config.h"

#include "metainfo.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "i18n.h"
#include "xmalloc.h"

#define MI_TMP_TRIES	100

static int	mi_write_all(int, const uint8_t *, size_t);
static int	mi_tmp_open(const char *, char **, struct mt_err *);
static int	mi_link_new(const char *, const char *, struct mt_err *);
static void	mi_dir_sync(const char *);
static int	mi_save(const struct metainfo *, const char *, int,
		    struct mt_err *);

int
metainfo_load(const char *path, struct metainfo *mi, struct mt_err *err)
{
	struct stat	 st;
	char		*text;
	size_t		 len, off = 0;
	ssize_t		 n;
	int		 fd, rc;

	/* O_NONBLOCK: opening a FIFO must not hang; it is refused below. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return (mt_err_set(err, errno == ENOENT ? MT_E_NOTFOUND :
		    MT_E_IO, _("%s: %s"), path, strerror(errno)));
	if (fstat(fd, &st) == -1) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), path, strerror(errno));
		close(fd);
		return (-1);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return (mt_err_set(err, MT_E_IO, _("%s: not a regular file"),
		    path));
	}
	if (st.st_size > (off_t)METAINFO_TEXT_MAX) {
		close(fd);
		return (mt_err_set(err, MT_E_TOOBIG,
		    _("%s: longer than %u bytes"), path, METAINFO_TEXT_MAX));
	}
	len = (size_t)st.st_size;
	text = xmalloc(len + 1);
	while (off < len) {
		n = read(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			mt_err_set(err, MT_E_IO, _("%s: read: %s"), path,
			    strerror(errno));
			free(text);
			close(fd);
			return (-1);
		}
		if (n == 0)
			break;		/* shrank: parse what is there */
		off += (size_t)n;
	}
	close(fd);
	rc = metainfo_parse(text, off, mi, err);
	free(text);
	return (rc);
}

/* write() all of p; -1 with errno on failure. */
static int
mi_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Create a new temporary file in path's directory; *tmp is its new name.
 * The name is short, so it fits wherever path's does.
 */
static int
mi_tmp_open(const char *path, char **tmp, struct mt_err *err)
{
	struct timespec	 ts;
	const char	*slash;
	unsigned	 i;
	int		 dirlen, fd;

	slash = strrchr(path, '/');
	dirlen = slash != NULL ? (int)(slash - path + 1) : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 0; i < MI_TMP_TRIES; i++) {
		xasprintf(tmp, "%.*s.mtorrent-tmp.%ld.%lx", dirlen, path,
		    (long)getpid(), (unsigned long)ts.tv_nsec + i);
		fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0666);
		if (fd != -1)
			return (fd);
		if (errno != EEXIST) {
			mt_err_set(err, MT_E_IO, _("%s: %s"), *tmp,
			    strerror(errno));
			free(*tmp);
			*tmp = NULL;
			return (-1);
		}
		free(*tmp);
	}
	*tmp = NULL;
	return (mt_err_set(err, MT_E_IO,
	    _("%s: cannot create a temporary file"), path));
}

/*
 * Give tmp the name path only if path does not exist: link(), or where
 * the file system has no hard links, claim the name with an O_EXCL
 * placeholder and rename over it.
 */
static int
mi_link_new(const char *tmp, const char *path, struct mt_err *err)
{
	int	fd;

	if (link(tmp, path) == 0) {
		(void)unlink(tmp);
		return (0);
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
		return (mt_err_set(err, errno == EEXIST ? MT_E_EXISTS :
		    MT_E_IO, _("%s: %s"), path, strerror(errno)));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd == -1)
		return (mt_err_set(err, errno == EEXIST ? MT_E_EXISTS :
		    MT_E_IO, _("%s: %s"), path, strerror(errno)));
	close(fd);
	if (rename(tmp, path) != 0) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), path, strerror(errno));
		(void)unlink(path);
		return (-1);
	}
	return (0);
}

/* fsync() the directory holding path, so a rename is durable. */
static void
mi_dir_sync(const char *path)
{
	const char	*slash;
	char		*dir;
	int		 fd;

	if ((slash = strrchr(path, '/')) == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

static int
mi_save(const struct metainfo *mi, const char *path, int excl,
    struct mt_err *err)
{
	struct buf	 b;
	char		*tmp;
	int		 fd, rc = -1;

	buf_init(&b, METAINFO_TEXT_MAX);
	if (metainfo_write(mi, &b, err) != 0) {
		buf_done(&b);
		return (-1);
	}
	if ((fd = mi_tmp_open(path, &tmp, err)) == -1) {
		buf_done(&b);
		return (-1);
	}
	if (mi_write_all(fd, buf_head(&b), buf_used(&b)) != 0 ||
	    fsync(fd) != 0) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), tmp, strerror(errno));
		goto out;
	}
	if (excl) {
		if (mi_link_new(tmp, path, err) != 0)
			goto out;
	} else if (rename(tmp, path) != 0) {
		mt_err_set(err, MT_E_IO, _("%s: %s"), path, strerror(errno));
		goto out;
	}
	mi_dir_sync(path);
	rc = 0;
out:
	if (rc != 0)
		(void)unlink(tmp);
	free(tmp);
	buf_done(&b);
	return (rc);
}

int
metainfo_save(const struct metainfo *mi, const char *path,
    struct mt_err *err)
{
	return (mi_save(mi, path, 0, err));
}

int
metainfo_save_new(const struct metainfo *mi, const char *path,
    struct mt_err *err)
{
	return (mi_save(mi, path, 1, err));
}
