/*
 * tools.c: `mtorrent create` and `mtorrent info`.  (Placeholder until the
 * metainfo module lands.)
 */
#include "config.h"

#include <stdio.h>

#include "frontend.h"
#include "i18n.h"

int
cli_create_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(_("mtorrent: create is not available in this build\n"), stderr);
	return (1);
}

int
cli_info_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(_("mtorrent: info is not available in this build\n"), stderr);
	return (1);
}
