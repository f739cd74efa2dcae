/*
 * cmd-fuzz.c: libFuzzer target for the command-line splitter and the
 * command lookup of the TUI prompt and --batch (cmd_split, cmd_find).
 *
 * The first input byte picks the word limit; the rest, up to the first
 * NUL, is the line.  Every word must lie inside the line, a failure must
 * say why (MT_E_USAGE), the command found must match the words it took,
 * and quoting the words back with cmd_quote() must split to the same
 * words (split(quote(w)) == w) when no word holds a control character
 * (cmd_quote shows those as '?').
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "compat.h"
#include "error.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_WORDS_MAX	16

/* Does entry name (one or more words) equal the first n words? */
static int
fuzz_name_matches(const char *name, int n, char **argv)
{
	char	 copy[128], *w[FUZZ_WORDS_MAX], *p, *last;
	int	 i, nw;

	if (name == NULL || strlen(name) >= sizeof copy)
		return (0);
	strlcpy(copy, name, sizeof copy);
	nw = 0;
	for (p = strtok_r(copy, " ", &last); p != NULL;
	    p = strtok_r(NULL, " ", &last)) {
		if (nw == FUZZ_WORDS_MAX)
			return (0);
		w[nw++] = p;
	}
	if (nw != n)
		return (0);
	for (i = 0; i < n; i++)
		if (strcmp(w[i], argv[i]) != 0)
			return (0);
	return (1);
}

static void
fuzz_roundtrip(int argc, char **argv)
{
	const char	*p;
	char		*line, *q, *argv2[FUZZ_WORDS_MAX];
	size_t		 cap, off = 0, wl;
	struct mt_err	 err;
	int		 i, argc2;

	for (i = 0; i < argc; i++) {
		for (p = argv[i]; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return;
	}
	cap = 2 * CMD_LINE_MAX + 16;
	line = malloc(cap);
	q = malloc(cap);
	if (line == NULL || q == NULL)
		abort();
	line[0] = '\0';
	for (i = 0; i < argc; i++) {
		wl = strlen(argv[i]);
		cmd_quote(argv[i], q, cap);
		if (strlen(q) < wl)
			abort();	/* quoting never loses bytes here */
		if (off + strlen(q) + 2 > cap)
			abort();
		if (i > 0)
			line[off++] = ' ';
		memcpy(line + off, q, strlen(q) + 1);
		off += strlen(q);
	}
	if (off <= CMD_LINE_MAX) {
		argc2 = cmd_split(line, argv2, FUZZ_WORDS_MAX, &err);
		if (argc2 != argc)
			abort();
		for (i = 0; i < argc; i++)
			if (strcmp(argv[i], argv2[i]) != 0)
				abort();
	}
	free(q);
	free(line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cmd_entry	*ce;
	struct mt_err		 err;
	char			*line, *argv[FUZZ_WORDS_MAX + 1];
	size_t			 len;
	int			 argc, max, consumed, i;

	if (size < 1)
		return (0);
	max = data[0] % FUZZ_WORDS_MAX + 1;
	data++;
	size--;
	len = strnlen((const char *)data, size);
	if ((line = malloc(len + 1)) == NULL)
		abort();
	memcpy(line, data, len);
	line[len] = '\0';

	mt_err_clear(&err);
	argv[max] = NULL;	/* canary: never written */
	argc = cmd_split(line, argv, max, &err);
	if (argc < 0) {
		if (err.code != MT_E_USAGE)
			abort();
		goto out;
	}
	if (argc > max || argv[max] != NULL)
		abort();
	if (len > CMD_LINE_MAX)
		abort();	/* an overlong line must be refused */
	for (i = 0; i < argc; i++) {
		if (argv[i] < line || argv[i] > line + len ||
		    argv[i] + strlen(argv[i]) > line + len)
			abort();
		if (i > 0 && argv[i] <= argv[i - 1])
			abort();
	}

	ce = cmd_find(argc, argv, &consumed);
	if (ce == NULL) {
		if (consumed != 0)
			abort();
	} else {
		if (consumed < 1 || consumed > argc)
			abort();
		if (!fuzz_name_matches(ce->name, consumed, argv) &&
		    !fuzz_name_matches(ce->alias, consumed, argv))
			abort();
		if (ce->min_args < 0 || ce->min_args > ce->max_args ||
		    ce->max_args > CMD_ARGS_MAX)
			abort();
	}
	for (i = 0; i < argc; i++) {
		ce = cmd_lookup(argv[i]);
		if (ce != NULL && strcmp(ce->name, argv[i]) != 0 &&
		    (ce->alias == NULL || strcmp(ce->alias, argv[i]) != 0))
			abort();
	}
	fuzz_roundtrip(argc, argv);
out:
	free(line);
	return (0);
}
