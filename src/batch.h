/*
 * batch.h: the --batch front end: commands from standard input, one per
 * line, results as the stable lines of doc/commands.md on standard
 * output.
 */
#ifndef MT_BATCH_H
#define MT_BATCH_H

struct engine;

struct batch_options {
	int		 exit_when_done;	/* --exit-when-done */
	const char	*embedded;		/* embedded tracker address */
	const char	*embedded_fpr;		/* its fingerprint, or NULL */
};

/*
 * Print the "ok ready" line, run commands from stdin until `quit`, a
 * signal (SIGINT, SIGTERM) or, after end of input with exit_when_done,
 * until no download is running.  Without exit_when_done, end of input
 * keeps the peer seeding until a signal.  Installs its own signal
 * handlers.  Returns the exit status: 0, or 1 with exit_when_done when a
 * download failed.  Does not stop the engine.
 */
int	batch_run(struct engine *e, const struct batch_options *o);

#endif /* MT_BATCH_H */
