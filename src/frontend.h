/*
 * frontend.h: the entry points main() dispatches to, one per role.
 * Each takes main's argc/argv (argv[0] is the program name; role flags
 * are still present) and returns an exit status (0 ok, 1 failure,
 * 2 usage).
 */
#ifndef MT_FRONTEND_H
#define MT_FRONTEND_H

int	cli_create_main(int argc, char **argv);	/* mtorrent create */
int	cli_info_main(int argc, char **argv);	/* mtorrent info */
int	tracker_cli_main(int argc, char **argv);	/* mtorrent --tracker */
int	peer_cli_main(int argc, char **argv);	/* mtorrent [--batch] */

#endif /* MT_FRONTEND_H */
