/*
 * main.c: argv -> role.
 *
 * mtorrent has three roles in one binary: the file tools (create, info),
 * the tracker (--tracker) and the peer (the default, with a dashboard or
 * --batch).  main() sets up locale and logging, picks the role and hands
 * over argv; only the front ends choose exit statuses (0 ok, 1 failure,
 * 2 usage).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "i18n.h"
#include "log.h"

static void	usage(FILE *fp);

static void
usage(FILE *fp)
{
	fprintf(fp, _("Usage: %s [OPTION]... [LISTEN_ADDR [TRACKER1 [TRACKER2 "
	    "[LOG_FILE]]]]\n"
	    "  or:  %s --tracker [OPTION]... [LISTEN_ADDR [PARTNER_ADDR "
	    "[SEEDERLIST_FILE [LOG_FILE]]]]\n"
	    "  or:  %s create FILE [-o OUT.mtorrent] [-t HOST:PORT]...\n"
	    "  or:  %s info FILE.mtorrent\n"), PACKAGE, PACKAGE, PACKAGE,
	    PACKAGE);
	fputs(_("Share files with peers, through replicated trackers.\n"
	    "\n"
	    "Roles:\n"
	    "      --tracker          run a tracker (headless); must be the "
	    "first argument\n"
	    "      --batch            run a peer reading commands from "
	    "standard input\n"
	    "  (none)                 run a peer with the full-screen "
	    "dashboard\n"
	    "  create                 write a .mtorrent for a file\n"
	    "  info                   print the fields of a .mtorrent\n"
	    "\n"
	    "      --help             display this help and exit\n"
	    "      --version          output version information and exit\n"
	    "\n"
	    "Each role takes --help for its own options.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n"), fp);
	fprintf(fp, _("\nReport bugs to: %s\n"), PACKAGE_BUGREPORT);
}

static void
version(void)
{
	printf("%s %s\n", PACKAGE, PACKAGE_VERSION);
	fputs(_("This is free software: you are free to change and "
	    "redistribute it.\n"
	    "There is NO WARRANTY, to the extent permitted by law.\n"),
	    stdout);
}

int
main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	/* MTORRENT_LOCALEDIR: catalogues of a build not installed yet. */
	bindtextdomain(PACKAGE, getenv("MTORRENT_LOCALEDIR") != NULL &&
	    *getenv("MTORRENT_LOCALEDIR") != '\0' ?
	    getenv("MTORRENT_LOCALEDIR") : LOCALEDIR);
	textdomain(PACKAGE);
	log_set_thread_name("main");

	if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return (0);
	}
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		version();
		return (0);
	}
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return (cli_create_main(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "info") == 0)
		return (cli_info_main(argc - 1, argv + 1));
	/*
	 * The tracker role is chosen by --tracker as the first argument; after
	 * a peer option, --tracker ADDR names one of the peer's trackers.
	 */
	if (argc >= 2 && strcmp(argv[1], "--tracker") == 0)
		return (tracker_cli_main(argc, argv));
	return (peer_cli_main(argc, argv));
}
