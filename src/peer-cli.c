/*
 * peer-cli.c: the peer front end.  (Placeholder until the engine lands.)
 */
#include "config.h"

#include <stdio.h>

#include "frontend.h"
#include "i18n.h"

int
peer_cli_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(_("mtorrent: the peer is not available in this build; "
	    "try --help\n"), stderr);
	return (1);
}
