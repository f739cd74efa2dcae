/*
 * peer-cli.c: the peer front end: options, state directory, logging,
 * the embedded tracker, the engine, then the dashboard or --batch.
 *
 *	mtorrent [OPTION]... [LISTEN_ADDR [TRACKER1 [TRACKER2 [LOG_FILE]]]]
 *
 * The positional form is the assignment's (<client_ip>:<upload_port>
 * <tracker1> <tracker2> <log_file>); every positional has a long option
 * too.  With no tracker configured at all the peer starts a tracker in
 * its own process (the embedded tracker) and uses it, so `mtorrent`
 * alone can share a file.  Exit status: 0 ok, 1 failure, 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "compat.h"
#include "engine.h"
#include "error.h"
#include "frontend.h"
#include "i18n.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "tracker-client.h"
#include "tracker.h"
#include "tui/tui.h"
#include "xmalloc.h"

#define PEER_DEFAULT_LISTEN	"127.0.0.1:6881"
#define PEER_DEFAULT_EMBEDDED	"127.0.0.1:6880"
#define PEER_WORKERS_MAX	256
#define PEER_SLOTS_MAX		4096

enum {
	OPT_LOG = 256,
	OPT_EXIT_WHEN_DONE,
	OPT_EMBEDDED,
	OPT_UPLOAD_SLOTS,
	OPT_CONGESTION
};

struct peer_options {
	const char	*listen;
	const char	*trackers[ENGINE_TRACKERS_MAX];
	size_t		 ntrackers;
	const char	*log_file;
	const char	*state_dir;
	unsigned	 workers;
	unsigned	 upload_slots;
	const char	*congestion;
	int		 batch;
	int		 exit_when_done;
	int		 embedded;
	const char	*embedded_addr;
	int		 verbose;	/* -v minus -q */
};

static const struct option peer_longopts[] = {
	{ "listen",		required_argument, NULL, 'l' },
	{ "tracker",		required_argument, NULL, 't' },
	{ "log",		required_argument, NULL, OPT_LOG },
	{ "state-dir",		required_argument, NULL, 's' },
	{ "workers",		required_argument, NULL, 'w' },
	{ "upload-slots",	required_argument, NULL, OPT_UPLOAD_SLOTS },
	{ "congestion",		required_argument, NULL, OPT_CONGESTION },
	{ "batch",		no_argument,	   NULL, 'b' },
	{ "exit-when-done",	no_argument,	   NULL, OPT_EXIT_WHEN_DONE },
	{ "embedded-tracker",	optional_argument, NULL, OPT_EMBEDDED },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "quiet",		no_argument,	   NULL, 'q' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL,			0,		   NULL, 0 }
};

static void	peer_usage(FILE *);
static int	peer_bad(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static int	peer_check_addr(const char *, int);
static int	peer_add_tracker(struct peer_options *, const char *);
static int	peer_parse_uint(const char *, unsigned, unsigned, unsigned *);
static char	*peer_default_state_dir(void);
static int	peer_mkdirs(const char *);

static void
peer_usage(FILE *fp)
{
	fprintf(fp, _("Usage: %s [OPTION]... [LISTEN_ADDR [TRACKER1 "
	    "[TRACKER2 [LOG_FILE]]]]\n"), PACKAGE);
	fputs(_("Run a peer: share and download files, with the full-screen "
	    "dashboard\nor, with --batch, reading commands from standard "
	    "input.\n"
	    "\n"
	    "  -l, --listen=HOST:PORT     serve pieces on this address "
	    "(default\n"
	    "                             127.0.0.1:6881; port 0 picks one)\n"
	    "  -t, --tracker=HOST:PORT[#FPR]\n"
	    "                             use this tracker (repeatable, tried "
	    "in order);\n"
	    "                             FPR pins its SHA-256 certificate "
	    "fingerprint\n"
	    "      --embedded-tracker[=HOST:PORT]\n"
	    "                             run a tracker inside this process "
	    "(default\n"
	    "                             127.0.0.1:6880); the default when "
	    "no tracker\n"
	    "                             is given\n"
	    "      --log=FILE             write the log to FILE\n"
	    "  -s, --state-dir=DIR        keep state in DIR (default\n"
	    "                             $XDG_STATE_HOME/mtorrent or\n"
	    "                             ~/.local/state/mtorrent)\n"
	    "  -w, --workers=N            download with N worker threads\n"
	    "      --upload-slots=N       serve at most N peers at once\n"
	    "      --congestion=ALGO      TCP congestion control for "
	    "uploads (default\n"
	    "                             reno; 'system' keeps the "
	    "system's)\n"
	    "  -b, --batch                no dashboard: read commands from "
	    "standard\n"
	    "                             input, print results as stable "
	    "lines\n"
	    "      --exit-when-done       with --batch: after end of input, "
	    "exit when\n"
	    "                             every download has finished\n"
	    "  -v, --verbose              log more (repeat for debug)\n"
	    "  -q, --quiet                log only warnings and errors\n"
	    "  -h, --help                 display this help and exit\n"
	    "\n"
	    "Commands (type `help' at the prompt): share, get, show "
	    "downloads,\nremove, quit, create_user, login, logout, "
	    "create_group, join_group,\nleave_group, list_requests, "
	    "accept_request, list_groups, list_files,\nupload_file, "
	    "download_file, stop_share, wait, help.\n"
	    "\n"
	    "Exit status: 0 success, 1 failure (1 also when --exit-when-done "
	    "saw a\ndownload fail), 2 usage error.\n"), fp);
}

static int
peer_bad(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "%s: ", PACKAGE);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fprintf(stderr, _("Try '%s --help' for more information.\n"),
	    PACKAGE);
	return (2);
}

/*
 * A light check of HOST:PORT (the engine and tracker resolve it); with
 * allow_fpr, a "#FPR" suffix is accepted: 64 hex digits, as the tracker
 * prints them ("SHA256:" prefix, upper case and colons allowed).
 */
static int
peer_check_addr(const char *addr, int allow_fpr)
{
	const char	*colon, *hash, *p;
	unsigned long	 port;
	char		*end, fpr[TLS_FPR_LEN + 1];

	hash = strchr(addr, '#');
	if (hash != NULL) {
		if (!allow_fpr)
			return (-1);
		/* As the tracker prints it ("SHA256:" and colons allowed). */
		if (tls_fpr_normalize(hash + 1, fpr) != 0)
			return (-1);
	} else
		hash = addr + strlen(addr);
	colon = NULL;
	for (p = addr; p < hash; p++) {
		if (*p == ':')
			colon = p;
	}
	if (colon == NULL || colon == addr || colon + 1 == hash ||
	    (size_t)(hash - addr) >= 64)
		return (-1);
	if (colon[1] < '0' || colon[1] > '9')
		return (-1);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (end != hash || errno != 0 || port > 65535)
		return (-1);
	return (0);
}

static int
peer_add_tracker(struct peer_options *po, const char *addr)
{
	if (peer_check_addr(addr, 1) != 0)
		return (peer_bad(_("bad tracker address: %s (want "
		    "HOST:PORT[#FINGERPRINT])"), addr));
	if (po->ntrackers == ENGINE_TRACKERS_MAX)
		return (peer_bad(_("too many trackers (at most %d)"),
		    ENGINE_TRACKERS_MAX));
	po->trackers[po->ntrackers++] = addr;
	return (0);
}

static int
peer_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long	 v;
	char		*end;

	if (s[0] < '0' || s[0] > '9')
		return (-1);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < min || v > max)
		return (-1);
	*out = (unsigned)v;
	return (0);
}

/* $XDG_STATE_HOME/mtorrent, else ~/.local/state/mtorrent; free it. */
static char *
peer_default_state_dir(void)
{
	const char	*xdg = getenv("XDG_STATE_HOME"), *home;
	char		*dir;

	/* The XDG spec says to ignore a relative path. */
	if (xdg != NULL && xdg[0] == '/') {
		xasprintf(&dir, "%s/mtorrent", xdg);
		return (dir);
	}
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		home = ".";
	xasprintf(&dir, "%s/.local/state/mtorrent", home);
	return (dir);
}

/* mkdir -p with mode 0700 for what it creates. */
static int
peer_mkdirs(const char *path)
{
	char	*copy, *p;
	int	 rc = 0;

	copy = xstrdup(path);
	for (p = copy + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (p[-1] != '/') {
			char	c = *p;

			*p = '\0';
			if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	free(copy);
	return (rc);
}

int
peer_cli_main(int argc, char **argv)
{
	struct peer_options	 po;
	struct engine_config	 cfg;
	struct tracker_config	 tcfg;
	struct batch_options	 bo;
	struct tracker		*tracker = NULL;
	struct engine		*e;
	struct mt_err		 err;
	char			*state_dir, *tracker_dir = NULL, *log_path = NULL;
	char			*embedded_pin = NULL;
	struct tui_options	 to;
	const char		*pos[4], *fprs[ENGINE_TRACKERS_MAX];
	char			*addrs[ENGINE_TRACKERS_MAX];
	size_t			 i, naddrs = 0;
	int			 c, npos = 0, status;

	memset(&po, 0, sizeof po);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":l:t:s:w:bvqh", peer_longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'l':
			if (po.listen != NULL)
				return (peer_bad(_("--listen given twice")));
			po.listen = optarg;
			break;
		case 't':
			if (peer_add_tracker(&po, optarg) != 0)
				return (2);
			break;
		case OPT_LOG:
			po.log_file = optarg;
			break;
		case 's':
			po.state_dir = optarg;
			break;
		case 'w':
			if (peer_parse_uint(optarg, 1, PEER_WORKERS_MAX,
			    &po.workers) != 0)
				return (peer_bad(_("--workers wants a number "
				    "from 1 to %d"), PEER_WORKERS_MAX));
			break;
		case OPT_UPLOAD_SLOTS:
			if (peer_parse_uint(optarg, 1, PEER_SLOTS_MAX,
			    &po.upload_slots) != 0)
				return (peer_bad(_("--upload-slots wants a "
				    "number from 1 to %d"), PEER_SLOTS_MAX));
			break;
		case OPT_CONGESTION:
			if (!net_congestion_name_ok(optarg))
				return (peer_bad(_("--congestion wants an "
				    "algorithm name such as reno or cubic, or "
				    "'system'")));
			po.congestion = optarg;
			break;
		case 'b':
			po.batch = 1;
			break;
		case OPT_EXIT_WHEN_DONE:
			po.exit_when_done = 1;
			break;
		case OPT_EMBEDDED:
			po.embedded = 1;
			if (optarg != NULL) {
				if (peer_check_addr(optarg, 0) != 0)
					return (peer_bad(_("bad address: %s "
					    "(want HOST:PORT)"), optarg));
				po.embedded_addr = optarg;
			}
			break;
		case 'v':
			po.verbose++;
			break;
		case 'q':
			po.verbose--;
			break;
		case 'h':
			peer_usage(stdout);
			return (0);
		case ':':
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return (peer_bad(_("option requires an "
				    "argument: %s"), argv[optind - 1]));
			return (peer_bad(_("option requires an argument: -%c"),
			    optopt));
		default:
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return (peer_bad(_("unknown option: %s"),
				    argv[optind - 1]));
			return (peer_bad(_("unknown option: -%c"), optopt));
		}
	}
	for (; optind < argc; optind++) {
		if (npos == 4)
			return (peer_bad(_("too many arguments: %s"),
			    argv[optind]));
		pos[npos++] = argv[optind];
	}
	if (npos >= 1) {
		if (po.listen != NULL)
			return (peer_bad(_("--listen given twice")));
		po.listen = pos[0];
	}
	for (i = 1; i < (size_t)npos && i < 3; i++) {
		if (peer_add_tracker(&po, pos[i]) != 0)
			return (2);
	}
	if (npos == 4) {
		if (po.log_file != NULL)
			return (peer_bad(_("--log given twice")));
		po.log_file = pos[3];
	}
	if (po.listen == NULL)
		po.listen = PEER_DEFAULT_LISTEN;
	if (peer_check_addr(po.listen, 0) != 0)
		return (peer_bad(_("bad listen address: %s (want HOST:PORT)"),
		    po.listen));
	if (po.exit_when_done && !po.batch)
		return (peer_bad(_("--exit-when-done needs --batch")));
	if (po.ntrackers == 0)
		po.embedded = 1;

	/* Logging first, so that everything after can be reported. */
	if (po.verbose > 0)
		log_set_level(LOG_LEVEL_DEBUG);
	else if (po.verbose == -1)
		log_set_level(LOG_LEVEL_WARN);
	else if (po.verbose < -1)
		log_set_level(LOG_LEVEL_ERROR);
	state_dir = po.state_dir != NULL ? xstrdup(po.state_dir) :
	    peer_default_state_dir();
	if (peer_mkdirs(state_dir) != 0) {
		fprintf(stderr, _("%s: cannot create %s: %s\n"), PACKAGE,
		    state_dir, strerror(errno));
		free(state_dir);
		return (1);
	}
	if (po.log_file == NULL && !po.batch) {
		/* The dashboard owns the terminal: log to a file. */
		xasprintf(&log_path, "%s/mtorrent.log", state_dir);
		po.log_file = log_path;
	}
	if (po.log_file != NULL && log_open(po.log_file) != 0) {
		fprintf(stderr, _("%s: cannot open log file %s: %s\n"),
		    PACKAGE, po.log_file, strerror(errno));
		free(log_path);
		free(state_dir);
		return (1);
	}

	status = 1;
	memset(&cfg, 0, sizeof cfg);
	if (po.embedded) {
		memset(&tcfg, 0, sizeof tcfg);
		strlcpy(tcfg.listen, po.embedded_addr != NULL ?
		    po.embedded_addr : PEER_DEFAULT_EMBEDDED,
		    sizeof tcfg.listen);
		xasprintf(&tracker_dir, "%s/tracker", state_dir);
		if (peer_mkdirs(tracker_dir) != 0) {
			fprintf(stderr, _("%s: cannot create %s: %s\n"),
			    PACKAGE, tracker_dir, strerror(errno));
			goto out;
		}
		tcfg.state_dir = tracker_dir;
		mt_err_clear(&err);
		if ((tracker = tracker_start(&tcfg, &err)) == NULL) {
			fprintf(stderr, _("%s: cannot start the embedded "
			    "tracker on %s: %s\n"), PACKAGE, tcfg.listen,
			    err.msg);
			goto out;
		}
		log_info(_("embedded tracker on %s, fingerprint %s"),
		    tracker_address(tracker), tracker_fingerprint(tracker));
		/* The embedded tracker comes first, pinned to its own key. */
		xasprintf(&embedded_pin, "%s#%s", tracker_address(tracker),
		    tracker_fingerprint(tracker));
		if (po.ntrackers == ENGINE_TRACKERS_MAX)
			po.ntrackers--;
		memmove(&po.trackers[1], &po.trackers[0],
		    po.ntrackers * sizeof po.trackers[0]);
		po.trackers[0] = embedded_pin;
		po.ntrackers++;
	}

	strlcpy(cfg.listen, po.listen, sizeof cfg.listen);
	/*
	 * The engine takes plain HOST:PORT and each pin ("#FPR") apart, in
	 * force before its first connection to any tracker.
	 */
	for (i = 0; i < po.ntrackers; i++) {
		char	*hash;

		addrs[i] = xstrdup(po.trackers[i]);
		if ((hash = strchr(addrs[i], '#')) != NULL) {
			*hash = '\0';
			fprs[i] = hash + 1;
		} else
			fprs[i] = NULL;
		cfg.trackers[i] = addrs[i];
		cfg.tracker_fprs[i] = fprs[i];
		naddrs++;
	}
	cfg.ntrackers = po.ntrackers;
	cfg.state_dir = state_dir;
	cfg.workers = po.workers;
	cfg.upload_slots = po.upload_slots;
	cfg.congestion = po.congestion;
	if (tracker != NULL)
		cfg.embedded_tracker = tracker_address(tracker);
	mt_err_clear(&err);
	/*
	 * sendfile() cannot take MSG_NOSIGNAL: a peer that hangs up during an
	 * upload must be EPIPE, not a dead process (TUI and batch alike).
	 */
	signal(SIGPIPE, SIG_IGN);
	if ((e = engine_start(&cfg, &err)) == NULL) {
		fprintf(stderr, _("%s: cannot start the peer on %s: %s\n"),
		    PACKAGE, po.listen, err.msg);
		goto out;
	}
	log_info(_("peer listening on %s, state in %s"), engine_listen_addr(e),
	    state_dir);

	if (po.batch) {
		memset(&bo, 0, sizeof bo);
		bo.exit_when_done = po.exit_when_done;
		if (tracker != NULL) {
			bo.embedded = tracker_address(tracker);
			bo.embedded_fpr = tracker_fingerprint(tracker);
		}
		status = batch_run(e, &bo);
	} else {
		memset(&to, 0, sizeof to);
		status = tui_run(e, &to);
		if (status != 0)
			fprintf(stderr, _("%s: no dashboard on this terminal; "
			    "use --batch to run without one\n"), PACKAGE);
	}
	engine_stop(e);
out:
	if (tracker != NULL)
		tracker_stop(tracker);
	for (i = 0; i < naddrs; i++)
		free(addrs[i]);
	free(embedded_pin);
	free(tracker_dir);
	free(log_path);
	free(state_dir);
	return (status);
}
