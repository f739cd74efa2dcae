/*
 * tracker-cli.c: `mtorrent --tracker`, the headless tracker front end.
 *
 * Parses the positional form of the original assignment
 * (LISTEN_ADDR [PARTNER_ADDR [SEEDERLIST_FILE [LOG_FILE]]]) and the long
 * options, starts the tracker, prints its fingerprint and address on
 * stdout for people and scripts, and waits for SIGINT or SIGTERM: the
 * handler writes a byte to a pipe that the main thread polls, then the
 * tracker is stopped cleanly (requests answered, state flushed, threads
 * joined).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "frontend.h"
#include "i18n.h"
#include "log.h"
#include "net.h"
#include "tls.h"
#include "tracker.h"
#include "xmalloc.h"

static int	tracker_cli_sigpipe[2] = { -1, -1 };

static void
tracker_cli_usage(FILE *fp)
{
	fprintf(fp, _("Usage: %s --tracker [OPTION]... [LISTEN_ADDR "
	    "[PARTNER_ADDR [SEEDERLIST_FILE [LOG_FILE]]]]\n"), PACKAGE);
	fprintf(fp, _("Run a tracker in the foreground until SIGINT or "
	    "SIGTERM.\n"
	    "\n"
	    "  -l, --listen=HOST:PORT     listen here (default "
	    "127.0.0.1:%d; port 0: any)\n"
	    "  -p, --partner=HOST:PORT    a partner tracker to replicate "
	    "with (repeatable)\n"
	    "  -f, --partner-fingerprint=SHA256:HEX\n"
	    "                             pin of the partner given in the "
	    "same position\n"
	    "                             (default: trust on first contact)\n"
	    "  -s, --state=DIR            state directory (default "
	    "$XDG_STATE_HOME/mtorrent/tracker)\n"
	    "  -d, --db=FILE              database file (the positional "
	    "SEEDERLIST_FILE);\n"
	    "                             key, certificate and partner pins "
	    "go beside it\n"
	    "  -L, --log=FILE             append log lines to FILE (default: "
	    "standard error)\n"
	    "  -v, --verbose              log debug lines\n"
	    "  -q, --quiet                log warnings and errors only\n"
	    "      --help                 display this help and exit\n"
	    "\n"
	    "At start the tracker prints \"fingerprint SHA256:HEX\" and "
	    "\"listening HOST:PORT\"\n"
	    "on standard output.  Exit status: 0 stopped cleanly, 1 failure, "
	    "2 usage error.\n"), TRACKER_DEFAULT_PORT);
}

/* After a usage error: where to read more; returns the exit status. */
static int
tracker_cli_try(void)
{
	fputc('\n', stderr);
	fprintf(stderr, _("Try '%s --tracker --help' for more information.\n"),
	    PACKAGE);
	return (2);
}

static void
tracker_cli_signal(int sig)
{
	int	saved = errno;
	char	c = (char)sig;

	if (write(tracker_cli_sigpipe[1], &c, 1) == -1) {
		/* Nothing to do: a byte is already waiting. */
	}
	errno = saved;
}

/* The default state directory; returns a new string. */
static char *
tracker_cli_state_dir(void)
{
	const char	*x = getenv("XDG_STATE_HOME"), *home;
	char		*s;

	if (x != NULL && *x == '/')
		xasprintf(&s, "%s/mtorrent/tracker", x);
	else {
		home = getenv("HOME");
		xasprintf(&s, "%s/.local/state/mtorrent/tracker",
		    home != NULL && *home != '\0' ? home : ".");
	}
	return (s);
}

int
tracker_cli_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tracker", no_argument, NULL, 'T' },
		{ "listen", required_argument, NULL, 'l' },
		{ "partner", required_argument, NULL, 'p' },
		{ "partner-fingerprint", required_argument, NULL, 'f' },
		{ "state", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'L' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		/* Hidden, for tests and the bench. */
		{ "test-timeouts", required_argument, NULL, 'X' },
		{ "max-per-addr", required_argument, NULL, 'A' },
		{ "workers", required_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 }
	};
	struct tracker_config	 cfg;
	struct tracker		*t;
	struct mt_err		 err;
	struct sigaction	 sa;
	struct pollfd		 pfd;
	struct stat		 sb;
	const char		*log_path = NULL, *state = NULL, *db = NULL;
	const char		*listen = NULL;
	char			*state_alloc = NULL, host[NET_HOST_MAX], c;
	char			 fpr[TLS_FPR_LEN + 1];
	size_t			 nfpr = 0, i;
	uint16_t		 port;
	unsigned long		 v;
	int			 ch, level = LOG_LEVEL_INFO;

	memset(&cfg, 0, sizeof cfg);
	opterr = 0;	/* our own messages, as the peer's */
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":l:p:f:s:d:L:vqh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'T':
			break;
		case 'l':
			listen = optarg;
			break;
		case 'p':
			if (cfg.npartners == TRACKER_PARTNERS_MAX) {
				fprintf(stderr, _("%s: at most %d partners\n"),
				    PACKAGE, TRACKER_PARTNERS_MAX);
				return (2);
			}
			cfg.partners[cfg.npartners++] = optarg;
			break;
		case 'f':
			if (nfpr == TRACKER_PARTNERS_MAX) {
				fprintf(stderr, _("%s: at most %d partners\n"),
				    PACKAGE, TRACKER_PARTNERS_MAX);
				return (2);
			}
			if (tls_fpr_normalize(optarg, fpr) != 0) {
				fprintf(stderr, _("%s: bad partner fingerprint "
				    "'%s' (want SHA256:HEX, 64 hex digits)\n"),
				    PACKAGE, optarg);
				return (2);
			}
			cfg.partner_fprs[nfpr++] = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'L':
			log_path = optarg;
			break;
		case 'v':
			level = LOG_LEVEL_DEBUG;
			break;
		case 'q':
			level = LOG_LEVEL_WARN;
			break;
		case 'h':
			tracker_cli_usage(stdout);
			return (0);
		case 'X':
		case 'A':
		case 'W':
			v = strtoul(optarg, NULL, 10);
			if (v == 0 || v > 3600000) {
				fprintf(stderr, _("%s: bad value \"%s\"\n"),
				    PACKAGE, optarg);
				return (2);
			}
			if (ch == 'X')
				cfg.handshake_ms = cfg.idle_ms = cfg.frame_ms =
				    (unsigned)v;
			else if (ch == 'A')
				cfg.max_per_addr = (unsigned)v;
			else
				cfg.nworkers = (unsigned)v;
			break;
		case ':':
			fprintf(stderr, "%s: ", PACKAGE);
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, _("option requires an "
				    "argument: %s"), argv[optind - 1]);
			else
				fprintf(stderr, _("option requires an "
				    "argument: -%c"), optopt);
			return (tracker_cli_try());
		default:
			fprintf(stderr, "%s: ", PACKAGE);
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				fprintf(stderr, _("unknown option: %s"),
				    argv[optind - 1]);
			else
				fprintf(stderr, _("unknown option: -%c"),
				    optopt);
			return (tracker_cli_try());
		}
	}
	/* Positional: LISTEN_ADDR [PARTNER_ADDR [SEEDERLIST_FILE [LOG]]]. */
	for (i = 0; optind < argc; optind++, i++) {
		switch (i) {
		case 0:
			listen = argv[optind];
			break;
		case 1:
			if (cfg.npartners == TRACKER_PARTNERS_MAX)
				break;
			cfg.partners[cfg.npartners++] = argv[optind];
			break;
		case 2:
			db = argv[optind];
			break;
		case 3:
			log_path = argv[optind];
			break;
		default:
			fprintf(stderr, _("%s: too many arguments\n"), PACKAGE);
			tracker_cli_usage(stderr);
			return (2);
		}
	}
	if (nfpr > cfg.npartners) {
		fprintf(stderr, _("%s: more --partner-fingerprint than "
		    "--partner options\n"), PACKAGE);
		return (2);
	}
	if (listen == NULL)
		snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:%d",
		    TRACKER_DEFAULT_PORT);
	else if (snprintf(cfg.listen, sizeof cfg.listen, "%s", listen) >=
	    (int)sizeof cfg.listen ||
	    net_parse_addr(cfg.listen, host, sizeof host, &port, 1,
	    &err) != 0) {
		fprintf(stderr, _("%s: bad listen address \"%s\"\n"), PACKAGE,
		    listen);
		return (2);
	}
	for (i = 0; i < cfg.npartners; i++)
		if (net_parse_addr(cfg.partners[i], host, sizeof host, &port, 0,
		    &err) != 0) {
			fprintf(stderr, _("%s: partner: %s\n"), PACKAGE,
			    err.msg);
			return (2);
		}

	if (db != NULL && stat(db, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fprintf(stderr, _("%s: %s is a directory: the database is a "
		    "file (for a directory, use --state)\n"), PACKAGE, db);
		return (2);
	}

	log_set_level(level);
	if (log_path != NULL && log_open(log_path) != 0) {
		fprintf(stderr, _("%s: cannot open log %s: %s\n"), PACKAGE,
		    log_path, strerror(errno));
		return (1);
	}
	if (state == NULL && db == NULL)
		state = state_alloc = tracker_cli_state_dir();
	cfg.state_dir = state;
	cfg.db_path = db;

	if (pipe2(tracker_cli_sigpipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		fprintf(stderr, "%s: pipe: %s\n", PACKAGE, strerror(errno));
		free(state_alloc);
		return (1);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tracker_cli_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if ((t = tracker_start(&cfg, &err)) == NULL) {
		fprintf(stderr, _("%s: cannot start the tracker: %s\n"),
		    PACKAGE, err.msg);
		free(state_alloc);
		return (1);
	}
	printf("fingerprint SHA256:%s\n", tracker_fingerprint(t));
	printf("listening %s\n", tracker_address(t));
	fflush(stdout);

	pfd.fd = tracker_cli_sigpipe[0];
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, -1) == 1 && read(pfd.fd, &c, 1) == 1)
			break;
	}
	log_info("signal %d: stopping", (int)c);
	tracker_stop(t);
	free(state_alloc);
	return (0);
}
