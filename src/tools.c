/*
 * tools.c: the file tools, `mtorrent create` and `mtorrent info`.
 *
 * create hashes a file with every core (hash_file_pieces()), builds its
 * metainfo and saves it atomically as ./NAME.mtorrent or -o OUT.  An
 * existing OUT is never silently replaced: if it holds exactly what would
 * be written the run succeeds and leaves it alone, otherwise -f is
 * needed.  info prints a .mtorrent's fields, one "label: value" per line.
 * Progress goes to stderr only when stderr is a terminal; results go to
 * stdout.  Exit status 0 ok, 1 failure, 2 usage.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "compat.h"
#include "error.h"
#include "frontend.h"
#include "hash.h"
#include "i18n.h"
#include "metainfo.h"
#include "tls.h"
#include "xmalloc.h"

#define EXIT_USAGE	2

struct tools_progress {
	const char	*label;
	int		 shown;
};

static void	 create_usage(FILE *);
static void	 info_usage(FILE *);
static int	 tools_bad_option(const char *, int, char **);
static void	 tools_size(uint64_t, char *, size_t);
static void	 tools_progress(void *, uint64_t, uint64_t);
static int	 create_tracker(struct metainfo *, const char *);
static int	 create_same(const struct metainfo *, const char *);

static const struct option create_options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "tracker", required_argument, NULL, 't' },
	{ "group", required_argument, NULL, 'g' },
	{ "sha1", no_argument, NULL, 'S' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'f' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const struct option info_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
create_usage(FILE *fp)
{
	fprintf(fp, _("Usage: %s create [OPTION]... FILE\n"), PACKAGE);
	fputs(_("Hash FILE and write a .mtorrent describing it, by default "
	    "NAME.mtorrent\n"
	    "in the current directory, where NAME is FILE's last path "
	    "component.\n"
	    "\n"
	    "  -t, --tracker=HOST:PORT[#FINGERPRINT]\n"
	    "                         a tracker, with the SHA-256 fingerprint "
	    "of its\n"
	    "                         certificate if given; 1 to 16 of them, "
	    "tried in\n"
	    "                         order (at least one is required)\n"
	    "  -o, --output=OUT       write OUT instead of ./NAME.mtorrent\n"
	    "  -g, --group=GROUP      record the group the file is shared "
	    "into\n"
	    "      --sha1             also record the SHA1 of the whole file "
	    "(one more\n"
	    "                         pass over it)\n"
	    "  -j, --jobs=N           hash with N threads (default: one per "
	    "core)\n"
	    "  -f, --force            replace OUT if it exists and differs\n"
	    "  -q, --quiet            no progress and no summary\n"
	    "  -h, --help             display this help and exit\n"
	    "\n"
	    "An existing OUT with the same content is left as it is.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n"), fp);
}

static void
info_usage(FILE *fp)
{
	fprintf(fp, _("Usage: %s info [OPTION] FILE.mtorrent\n"), PACKAGE);
	fputs(_("Check FILE.mtorrent and print its fields, one per line.\n"
	    "\n"
	    "  -h, --help             display this help and exit\n"
	    "\n"
	    "Exit status: 0 success, 1 failure (including an invalid file), "
	    "2 usage error.\n"), fp);
}

/* Report an option getopt_long() refused; returns EXIT_USAGE. */
static int
tools_bad_option(const char *cmd, int opt, char **argv)
{
	char		 short_opt[3] = { '-', (char)optopt, '\0' };
	const char	*arg;

	/* A bad letter inside "-xy" is not argv[optind - 1] itself. */
	arg = opt == '?' && optopt != 0 ? short_opt : argv[optind - 1];
	if (opt == ':')
		fprintf(stderr, _("%s %s: option '%s' needs an argument\n"),
		    PACKAGE, cmd, arg);
	else
		fprintf(stderr, _("%s %s: unknown option '%s'\n"), PACKAGE,
		    cmd, arg);
	fprintf(stderr, _("Try '%s %s --help' for more information.\n"),
	    PACKAGE, cmd);
	return (EXIT_USAGE);
}

/* Human-readable size: "512 KiB", "1.5 GiB", "17 B". */
static void
tools_size(uint64_t n, char *out, size_t len)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };
	uint64_t	unit = 1024;
	unsigned	i = 0;

	if (n < 1024) {
		snprintf(out, len, "%" PRIu64 " B", n);
		return;
	}
	while (i + 1 < sizeof units / sizeof units[0] && n / unit >= 1024) {
		unit *= 1024;
		i++;
	}
	if (n % unit == 0)
		snprintf(out, len, "%" PRIu64 " %s", n / unit, units[i]);
	else
		snprintf(out, len, "%.1f %s", (double)n / (double)unit,
		    units[i]);
}

/* hash_progress_fn: a one-line meter on stderr. */
static void
tools_progress(void *arg, uint64_t done, uint64_t total)
{
	struct tools_progress	*pr = arg;
	char			 a[32], b[32];
	unsigned		 pct;

	pct = total == 0 ? 100 : (unsigned)(done * 100 / total);
	tools_size(done, a, sizeof a);
	tools_size(total, b, sizeof b);
	fprintf(stderr, "\r%s %3u%%  %s / %s\033[K", pr->label, pct, a, b);
	if (done == total)
		fputc('\n', stderr);
	fflush(stderr);
	pr->shown = 1;
}

/* Add "HOST:PORT[#FINGERPRINT]" to mi; EXIT_USAGE on a bad one. */
static int
create_tracker(struct metainfo *mi, const char *arg)
{
	struct mt_err	 err;
	const char	*hash;
	char		*addr, fpr[TLS_FPR_LEN + 1];
	unsigned	 i;
	int		 rc;

	if (mi->ntrackers == METAINFO_TRACKERS_MAX) {
		fprintf(stderr, _("%s create: more than %u trackers\n"),
		    PACKAGE, METAINFO_TRACKERS_MAX);
		return (EXIT_USAGE);
	}
	hash = strchr(arg, '#');
	addr = hash != NULL ? xstrndup(arg, (size_t)(hash - arg)) :
	    xstrdup(arg);
	/* The fingerprint as the tracker prints it, or bare hex. */
	if (hash != NULL && hash[1] == '\0')
		rc = mt_err_set(&err, MT_E_BADHEX,
		    _("empty fingerprint after '#'"));
	else if (hash != NULL && tls_fpr_normalize(hash + 1, fpr) != 0)
		rc = mt_err_set(&err, MT_E_BADHEX,
		    _("fingerprint is not 64 hex digits (SHA256:HEX)"));
	else
		rc = metainfo_tracker_set(&mi->trackers[mi->ntrackers], addr,
		    hash != NULL ? fpr : NULL, &err);
	for (i = 0; rc == 0 && i < mi->ntrackers; i++) {
		if (strcmp(mi->trackers[i].addr, addr) == 0)
			rc = mt_err_set(&err, MT_E_USAGE,
			    _("tracker given twice"));
	}
	free(addr);
	if (rc != 0) {
		fprintf(stderr, _("%s create: bad tracker '%s': %s\n"),
		    PACKAGE, arg, err.msg);
		return (EXIT_USAGE);
	}
	mi->ntrackers++;
	return (0);
}

/* 1 if path holds a valid .mtorrent with exactly mi's text. */
static int
create_same(const struct metainfo *mi, const char *path)
{
	struct metainfo	old;
	struct mt_err	err;
	struct buf	a, b;
	int		same = 0;

	metainfo_init(&old);
	if (metainfo_load(path, &old, &err) != 0)
		return (0);
	buf_init(&a, METAINFO_TEXT_MAX);
	buf_init(&b, METAINFO_TEXT_MAX);
	if (metainfo_write(mi, &a, &err) == 0 &&
	    metainfo_write(&old, &b, &err) == 0 &&
	    buf_used(&a) == buf_used(&b) &&
	    memcmp(buf_head(&a), buf_head(&b), buf_used(&a)) == 0)
		same = 1;
	buf_done(&a);
	buf_done(&b);
	metainfo_done(&old);
	return (same);
}

int
cli_create_main(int argc, char **argv)
{
	struct metainfo		 mi;
	struct mt_err		 err;
	struct tools_progress	 pr = { NULL, 0 };
	const char		*file, *base, *out = NULL, *group = NULL;
	char			*outbuf = NULL, sizebuf[32], *end;
	uint8_t			*digests = NULL, *chain = NULL;
	uint64_t		 size, size2;
	uint32_t		 npieces;
	unsigned long		 jobs = 0;
	int			 opt, force = 0, quiet = 0, sha1 = 0;
	int			 show, rc = 1, rc2;

	metainfo_init(&mi);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:t:g:j:fqh", create_options,
	    NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 't':
			if (create_tracker(&mi, optarg) != 0) {
				rc = EXIT_USAGE;
				goto done;
			}
			break;
		case 'g':
			group = optarg;
			break;
		case 'S':
			sha1 = 1;
			break;
		case 'j':
			jobs = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    jobs > HASH_THREADS_MAX) {
				fprintf(stderr, _("%s create: -j wants a "
				    "number from 0 to %u\n"), PACKAGE,
				    HASH_THREADS_MAX);
				rc = EXIT_USAGE;
				goto done;
			}
			break;
		case 'f':
			force = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			create_usage(stdout);
			rc = 0;
			goto done;
		default:
			rc = tools_bad_option("create", opt, argv);
			goto done;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, argc - optind == 0 ?
		    _("%s create: no FILE given\n") :
		    _("%s create: only one FILE, please\n"), PACKAGE);
		fprintf(stderr, _("Try '%s create --help' for more "
		    "information.\n"), PACKAGE);
		rc = EXIT_USAGE;
		goto done;
	}
	if (mi.ntrackers == 0) {
		fprintf(stderr, _("%s create: at least one -t HOST:PORT is "
		    "needed\n"), PACKAGE);
		rc = EXIT_USAGE;
		goto done;
	}
	file = argv[optind];
	base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
	if (metainfo_name_check(base, strlen(base), &err) != 0) {
		fprintf(stderr, _("%s create: %s: cannot be shared: %s\n"),
		    PACKAGE, file, err.msg);
		goto done;
	}
	strlcpy(mi.name, base, sizeof mi.name);
	if (group != NULL) {
		if (metainfo_name_check(group, strlen(group), &err) != 0) {
			fprintf(stderr, _("%s create: bad group '%s': %s\n"),
			    PACKAGE, group, err.msg);
			rc = EXIT_USAGE;
			goto done;
		}
		strlcpy(mi.group, group, sizeof mi.group);
	}
	if (out == NULL) {
		xasprintf(&outbuf, "%s.mtorrent", base);
		out = outbuf;
	}

	show = !quiet && isatty(STDERR_FILENO);
	pr.label = _("hashing");
	rc2 = hash_file_pieces(file, METAINFO_PIECE_SIZE, METAINFO_UNIT_SIZE,
	    (unsigned)jobs, &digests, &chain, &size, &npieces,
	    show ? tools_progress : NULL, &pr, &err);
	if (rc2 != 0) {
		if (pr.shown)
			fputc('\n', stderr);
		fprintf(stderr, "%s create: %s\n", PACKAGE, err.msg);
		goto done;
	}
	mi.size = size;
	mi.piece_size = METAINFO_PIECE_SIZE;
	mi.npieces = npieces;
	mi.pieces = digests;
	if (chain != NULL) {
		mi.has_units = 1;
		mi.unit_size = METAINFO_UNIT_SIZE;
		mi.chain = chain;
	}
	if (sha1) {
		pr.label = _("sha1");
		if (hash_file_sha1(file, mi.sha1, &size2,
		    show ? tools_progress : NULL, &pr, &err) != 0) {
			fprintf(stderr, "%s create: %s\n", PACKAGE, err.msg);
			goto done;
		}
		if (size2 != size) {
			fprintf(stderr, _("%s create: %s: file changed while "
			    "it was hashed\n"), PACKAGE, file);
			goto done;
		}
		mi.has_sha1 = 1;
	}
	if (metainfo_finish(&mi, &err) != 0) {
		fprintf(stderr, "%s create: %s\n", PACKAGE, err.msg);
		goto done;
	}

	if ((force ? metainfo_save(&mi, out, &err) :
	    metainfo_save_new(&mi, out, &err)) != 0) {
		if (err.code == MT_E_EXISTS && create_same(&mi, out)) {
			if (!quiet)
				printf(_("%s: unchanged (file id %s)\n"), out,
				    mi.file_id_hex);
			rc = 0;
			goto done;
		}
		if (err.code == MT_E_EXISTS)
			fprintf(stderr, _("%s create: %s exists and differs; "
			    "use -f to replace it\n"), PACKAGE, out);
		else
			fprintf(stderr, "%s create: %s\n", PACKAGE, err.msg);
		goto done;
	}
	if (!quiet) {
		tools_size(mi.size, sizebuf, sizeof sizebuf);
		printf(_("%s: %s, %u pieces, file id %s\n"), out, sizebuf,
		    mi.npieces, mi.file_id_hex);
	}
	rc = 0;
done:
	if (fflush(stdout) != 0 && rc == 0)
		rc = 1;
	metainfo_done(&mi);
	free(outbuf);
	return (rc);
}

int
cli_info_main(int argc, char **argv)
{
	struct metainfo	 mi;
	struct mt_err	 err;
	char		 a[32], hex[2 * HASH_SHA1_LEN + 1];
	unsigned	 i;
	int		 opt, rc = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", info_options,
	    NULL)) != -1) {
		switch (opt) {
		case 'h':
			info_usage(stdout);
			return (0);
		default:
			return (tools_bad_option("info", opt, argv));
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, _("%s info: give exactly one FILE.mtorrent\n"),
		    PACKAGE);
		fprintf(stderr, _("Try '%s info --help' for more "
		    "information.\n"), PACKAGE);
		return (EXIT_USAGE);
	}
	metainfo_init(&mi);
	if (metainfo_load(argv[optind], &mi, &err) != 0) {
		if (err.line != 0)
			fprintf(stderr, "%s info: %s:%u: %s\n", PACKAGE,
			    argv[optind], err.line, err.msg);
		else
			fprintf(stderr, "%s info: %s\n", PACKAGE, err.msg);
		return (1);
	}
	printf(_("name:       %s\n"), mi.name);
	tools_size(mi.size, a, sizeof a);
	printf(_("size:       %s (%" PRIu64 " bytes)\n"), a, mi.size);
	tools_size(mi.piece_size, a, sizeof a);
	printf(_("piece size: %s (%u bytes)\n"), a, mi.piece_size);
	printf(_("pieces:     %u\n"), mi.npieces);
	if (mi.has_units) {
		tools_size(mi.unit_size, a, sizeof a);
		printf(_("units:      %s (%u bytes), %u in all\n"), a,
		    mi.unit_size, mi.nunits);
	} else
		printf(_("units:      %s\n"), _("(none: whole pieces)"));
	printf(_("file id:    %s\n"), mi.file_id_hex);
	for (i = 0; i < mi.ntrackers; i++) {
		if (mi.trackers[i].fingerprint[0] != '\0')
			printf(_("tracker:    %s (fingerprint %s)\n"),
			    mi.trackers[i].addr, mi.trackers[i].fingerprint);
		else
			printf(_("tracker:    %s\n"), mi.trackers[i].addr);
	}
	printf(_("group:      %s\n"), mi.group[0] != '\0' ? mi.group :
	    _("(none)"));
	if (mi.has_sha1)
		hash_hex(mi.sha1, HASH_SHA1_LEN, hex);
	printf(_("sha1:       %s\n"), mi.has_sha1 ? hex : _("(none)"));
	metainfo_done(&mi);
	if (fflush(stdout) != 0)
		rc = 1;
	return (rc);
}
