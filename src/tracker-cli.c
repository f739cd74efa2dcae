/*
 * tracker-cli.c: `mtorrent --tracker` front end.  (Placeholder until the
 * tracker module lands.)
 */
#include "config.h"

#include <stdio.h>

#include "frontend.h"
#include "i18n.h"

int
tracker_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(_("mtorrent: the tracker is not available in this build\n"),
	    stderr);
	return (1);
}
