/*
 * check_cmd.c: the command layer (cmd.c, cmd-*.c).
 *
 * The commands are tested against a fake engine and a fake tracker client
 * defined below: the linker takes these definitions before it looks in
 * libmtcore.a, so engine.o is never pulled in and each exec function can
 * be checked for what it asks of the engine and what line it prints.
 * Tests assert the stable parts of the output (the "ok NAME" and
 * "error CODE:" words, data-line tags), never translated text.
 */
#include "config.h"

#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "compat.h"
#include "engine.h"
#include "error.h"
#include "message.h"
#include "snapshot.h"
#include "tracker-client.h"

/* ---- The fake engine and tracker client -------------------------------- */

#define FAKE_LINES	64

static struct {
	char		 lines[FAKE_LINES][CMD_LINE_MAX + 1024];
	int		 errs[FAKE_LINES];
	int		 nlines;
	char		 last_call[64];
	char		 args[4][CMD_LINE_MAX];
	char		 user[65];
	char		 token[512];
	enum mt_errc	 fail;		/* next engine/tracker call fails */
	char		 last_msg[32];
	char		 last_token[512];
	int		 nsnap_torrents;
	int		 calls;
} fake;

struct engine {
	int	dummy;
};
static struct engine	fake_engine;

static void
fake_record(const char *name, int n, ...)
{
	va_list	ap;
	int	i;

	fake.calls++;
	strlcpy(fake.last_call, name, sizeof fake.last_call);
	va_start(ap, n);
	for (i = 0; i < n && i < 4; i++)
		strlcpy(fake.args[i], va_arg(ap, const char *),
		    sizeof fake.args[i]);
	va_end(ap);
}

static int
fake_result(struct mt_err *err)
{
	if (fake.fail != MT_E_OK)
		return (mt_err_set(err, fake.fail, "fake failure"));
	return (0);
}

int
engine_share(struct engine *e, const char *path, const char *out,
    const char *group, char *id_out, struct mt_err *err)
{
	(void)e;
	fake_record("share", 3, path, out, group);
	strlcpy(id_out, "0123456789abcdef0123456789abcdef01234567", 41);
	return (fake_result(err));
}

int
engine_get(struct engine *e, const char *path, const char *dest,
    struct mt_err *err)
{
	(void)e;
	fake_record("get", 2, path, dest);
	return (fake_result(err));
}

int
engine_get_by_name(struct engine *e, const char *group, const char *name,
    const char *dest, struct mt_err *err)
{
	(void)e;
	fake_record("get_by_name", 3, group, name, dest);
	return (fake_result(err));
}

int
engine_remove(struct engine *e, const char *what, struct mt_err *err)
{
	(void)e;
	fake_record("remove", 1, what);
	return (fake_result(err));
}

int
engine_stop_share(struct engine *e, const char *group, const char *name,
    struct mt_err *err)
{
	(void)e;
	fake_record("stop_share", 2, group, name);
	return (fake_result(err));
}

void
engine_snapshot(struct engine *e, struct snapshot *s)
{
	struct snapshot_torrent	*t;

	(void)e;
	memset(s, 0, sizeof *s);
	if (fake.nsnap_torrents == 0)
		return;
	s->ntorrents = 2;
	s->torrents = calloc(2, sizeof *s->torrents);
	t = &s->torrents[0];
	strlcpy(t->name, "movie.mkv", sizeof t->name);
	strlcpy(t->file_id, "aaaa", sizeof t->file_id);
	t->npieces = 28;
	t->have = 12;
	t->size = 28 * 524288;
	t = &s->torrents[1];
	strlcpy(t->name, "my notes.txt", sizeof t->name);
	strlcpy(t->file_id, "bbbb", sizeof t->file_id);
	t->npieces = 4;
	t->have = 4;
	t->seeding = 1;
}

void
snapshot_done(struct snapshot *s)
{
	free(s->torrents);
	memset(s, 0, sizeof *s);
}

int
engine_event_fd(struct engine *e)
{
	(void)e;
	return (-1);
}

void
engine_event_drain(struct engine *e)
{
	(void)e;
}

struct tracker_client *
engine_tracker(struct engine *e)
{
	(void)e;
	return ((struct tracker_client *)&fake_engine);
}

void
engine_set_session(struct engine *e, const char *user, const char *token)
{
	(void)e;
	strlcpy(fake.user, user, sizeof fake.user);
	strlcpy(fake.token, token, sizeof fake.token);
}

void
engine_session(struct engine *e, char *user, size_t ulen, char *token,
    size_t tlen)
{
	(void)e;
	strlcpy(user, fake.user, ulen);
	strlcpy(token, fake.token, tlen);
}

static struct wire_arg	fake_items[2] = {
	{ "alpha", 5 }, { "beta", 4 }
};

int
tracker_client_call(struct tracker_client *tc, const union message *req,
    union message *reply, struct mt_err *err)
{
	(void)tc;
	fake.calls++;
	strlcpy(fake.last_msg, message_name(req->type) != NULL ?
	    message_name(req->type) : "?", sizeof fake.last_msg);
	/* Every request but create_user and login carries a token first. */
	if (req->type == MSG_logout)
		strlcpy(fake.last_token, req->logout.token,
		    sizeof fake.last_token);
	else if (req->type == MSG_list_groups)
		strlcpy(fake.last_token, req->list_groups.token,
		    sizeof fake.last_token);
	else if (req->type == MSG_create_group)
		strlcpy(fake.last_token, req->create_group.token,
		    sizeof fake.last_token);
	memset(reply, 0, sizeof *reply);
	if (fake.fail != MT_E_OK) {
		reply->type = MSG_error;
		return (mt_err_set(err, fake.fail, "refused"));
	}
	switch (req->type) {
	case MSG_login:
		reply->login_reply.type = MSG_login_reply;
		reply->login_reply.token = "tok123";
		break;
	case MSG_list_groups:
	case MSG_list_files:
	case MSG_list_requests:
		reply->list_reply.type = MSG_list_reply;
		reply->list_reply.items.n = 2;
		reply->list_reply.items.v = fake_items;
		break;
	default:
		reply->ok.type = MSG_ok;
		reply->ok.text = "";
		break;
	}
	return (0);
}

/* ---- Harness ------------------------------------------------------------ */

static void
sink_write(struct cmd_sink *sink, int is_error, const char *line)
{
	(void)sink;
	if (fake.nlines == FAKE_LINES)
		return;
	fake.errs[fake.nlines] = is_error;
	strlcpy(fake.lines[fake.nlines++], line, sizeof fake.lines[0]);
}

static struct cmd_sink	test_sink = { sink_write, NULL };
static struct cmd_ctx	ctx;

static void
setup(void)
{
	memset(&fake, 0, sizeof fake);
	memset(&ctx, 0, sizeof ctx);
	ctx.engine = &fake_engine;
	ctx.sink = &test_sink;
	ctx.batch = 1;
}

static void
teardown(void)
{
}

/* The last line (the status line). */
static const char *
last(void)
{
	ck_assert_int_gt(fake.nlines, 0);
	return (fake.lines[fake.nlines - 1]);
}

static int
starts(const char *s, const char *prefix)
{
	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

/* ---- Splitting ---------------------------------------------------------- */

static const struct split_case {
	const char	*line;
	int		 argc;		/* -1: error */
	const char	*words[5];
} split_cases[] = {
	{ "", 0, { NULL } },
	{ "   \t  ", 0, { NULL } },
	{ "share a b", 3, { "share", "a", "b" } },
	{ "  get   x.mtorrent\t/tmp/d  ", 3, { "get", "x.mtorrent",
	    "/tmp/d" } },
	{ "share \"my file.txt\" f.mtorrent", 3, { "share", "my file.txt",
	    "f.mtorrent" } },
	{ "share 'it''s' x", 3, { "share", "its", "x" } },
	{ "share 'a \"b\"' x", 3, { "share", "a \"b\"", "x" } },
	{ "share my\\ file x", 3, { "share", "my file", "x" } },
	{ "a \"q\\\"uote\"", 2, { "a", "q\"uote" } },
	{ "a b\\\\c", 2, { "a", "b\\c" } },
	{ "a \"\"", 2, { "a", "" } },
	{ "a x\"y z\"w", 2, { "a", "xy zw" } },
	{ "a 'back\\slash'", 2, { "a", "back\\slash" } },
	{ "a \"open", -1, { NULL } },
	{ "a 'open", -1, { NULL } },
	{ "a trailing\\", -1, { NULL } },
	{ "1 2 3 4 5 6 7 8 9 10 11", -1, { NULL } },	/* max is 10 */
};

START_TEST(test_split_table)
{
	const struct split_case	*sc = &split_cases[_i];
	char			 line[256], *argv[CMD_ARGS_MAX + 2];
	struct mt_err		 err;
	int			 n, i;

	strlcpy(line, sc->line, sizeof line);
	mt_err_clear(&err);
	n = cmd_split(line, argv, CMD_ARGS_MAX + 2, &err);
	ck_assert_int_eq(n, sc->argc);
	if (n < 0) {
		ck_assert_int_eq(err.code, MT_E_USAGE);
		return;
	}
	for (i = 0; i < n; i++)
		ck_assert_str_eq(argv[i], sc->words[i]);
}
END_TEST

START_TEST(test_split_too_long)
{
	char		*line, *argv[CMD_ARGS_MAX + 2];
	struct mt_err	 err;

	line = malloc(CMD_LINE_MAX + 2);
	memset(line, 'a', CMD_LINE_MAX + 1);
	line[CMD_LINE_MAX + 1] = '\0';
	ck_assert_int_eq(cmd_split(line, argv, CMD_ARGS_MAX + 2, &err), -1);
	ck_assert_int_eq(err.code, MT_E_USAGE);
	/* Exactly CMD_LINE_MAX is fine. */
	line[CMD_LINE_MAX] = '\0';
	ck_assert_int_eq(cmd_split(line, argv, CMD_ARGS_MAX + 2, &err), 1);
	free(line);

	/* And cmd_run says so in one usage line. */
	line = malloc(CMD_LINE_MAX + 10);
	memset(line, 'b', CMD_LINE_MAX + 9);
	line[CMD_LINE_MAX + 9] = '\0';
	ck_assert_int_eq(cmd_run(&ctx, line), -1);
	ck_assert_int_eq(fake.nlines, 1);
	ck_assert(starts(last(), "error usage: "));
	free(line);
}
END_TEST

START_TEST(test_quote_roundtrip)
{
	static const char *const in[] = {
		"plain", "two words", "q\"uote", "back\\slash", "", "it's",
		"tab\there"
	};
	char	q[128], line[160], *argv[4];
	size_t	i;
	int	n;

	for (i = 0; i < sizeof in / sizeof in[0]; i++) {
		cmd_quote(in[i], q, sizeof q);
		snprintf(line, sizeof line, "x %s", q);
		n = cmd_split(line, argv, 4, NULL);
		ck_assert_int_eq(n, 2);
		if (strchr(in[i], '\t') != NULL)
			ck_assert_str_eq(argv[1], "tab?here");
		else
			ck_assert_str_eq(argv[1], in[i]);
	}
	ck_assert_str_eq(cmd_quote("plain", q, sizeof q), "plain");
	ck_assert_str_eq(cmd_quote("a b", q, sizeof q), "\"a b\"");
	/* Truncation keeps the closing quote. */
	cmd_quote("a very long name with spaces", q, 8);
	ck_assert_int_eq(strlen(q), 7);
	ck_assert_int_eq(q[0], '"');
	ck_assert_int_eq(q[6], '"');
}
END_TEST

/* ---- Lookup ------------------------------------------------------------- */

START_TEST(test_find)
{
	char	 w[8][16];
	char	*a1[] = { w[0], w[1] };
	char	*a2[] = { w[2] };
	char	*a3[] = { w[0] };
	char	*a4[] = { w[3], w[4], w[5] };
	char	*a5[] = { w[6] };
	char	*a6[] = { w[7] };
	const struct cmd_entry	*ce;
	int	 used;

	strlcpy(w[0], "show", sizeof w[0]);
	strlcpy(w[1], "downloads", sizeof w[1]);
	strlcpy(w[2], "show_downloads", sizeof w[2]);
	strlcpy(w[3], "get", sizeof w[3]);
	strlcpy(w[4], "x", sizeof w[4]);
	strlcpy(w[5], "y", sizeof w[5]);
	strlcpy(w[6], "frobnicate", sizeof w[6]);
	strlcpy(w[7], "exit", sizeof w[7]);
	ce = cmd_find(2, a1, &used);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "show downloads");
	ck_assert_int_eq(used, 2);
	ce = cmd_find(1, a2, &used);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "show downloads");
	ck_assert_int_eq(used, 1);
	ck_assert_ptr_null(cmd_find(1, a3, &used));
	ce = cmd_find(3, a4, &used);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "get");
	ck_assert_int_eq(used, 1);
	ck_assert_ptr_null(cmd_find(1, a5, &used));
	ce = cmd_find(1, a6, &used);
	ck_assert_ptr_nonnull(ce);
	ck_assert_str_eq(ce->name, "quit");
	ck_assert_ptr_eq(cmd_lookup("show_downloads"), cmd_lookup(
	    "show downloads"));
	ck_assert_ptr_null(cmd_lookup("nope"));
}
END_TEST

START_TEST(test_table_sane)
{
	const struct cmd_entry	*const *a, *const *b;
	static const char *const required[] = {
		"share", "get", "show downloads", "remove", "quit", "help",
		"create_user", "login", "logout", "create_group",
		"join_group", "leave_group", "list_requests",
		"accept_request", "list_groups", "list_files", "upload_file",
		"download_file", "stop_share", "wait"
	};
	size_t	i;

	for (a = cmd_table; *a != NULL; a++) {
		ck_assert_ptr_nonnull((*a)->name);
		ck_assert_ptr_nonnull((*a)->usage);
		ck_assert_ptr_nonnull((*a)->help);
		ck_assert_ptr_nonnull((*a)->exec);
		ck_assert_int_le((*a)->min_args, (*a)->max_args);
		ck_assert_int_le((*a)->max_args, CMD_ARGS_MAX);
		/* The usage starts with the command's name. */
		ck_assert(starts((*a)->usage, (*a)->name));
		for (b = a + 1; *b != NULL; b++)
			ck_assert_str_ne((*a)->name, (*b)->name);
	}
	for (i = 0; i < sizeof required / sizeof required[0]; i++)
		ck_assert_ptr_nonnull(cmd_lookup(required[i]));
}
END_TEST

/* ---- Usage errors ------------------------------------------------------- */

static const struct usage_case {
	const char	*line;
} usage_cases[] = {
	{ "frobnicate" },
	{ "share onlyone" },
	{ "share a b c" },
	{ "get x.mtorrent" },
	{ "show" },
	{ "show downloads now" },
	{ "remove" },
	{ "quit now" },
	{ "login alice" },
	{ "accept_request g" },
	{ "download_file g f" },
	{ "wait 1 2" },
	{ "wait soon" },
	{ "help a b c" },
	{ "get \"unterminated" },
};

START_TEST(test_usage_table)
{
	const struct usage_case	*uc = &usage_cases[_i];

	ck_assert_int_eq(cmd_run(&ctx, uc->line), -1);
	ck_assert_int_eq(fake.nlines, 1);
	ck_assert_int_eq(fake.errs[0], 1);
	ck_assert_msg(starts(last(), "error usage: "), "%s -> %s", uc->line,
	    last());
	/* No engine call was made. */
	ck_assert_int_eq(fake.calls, 0);
	ck_assert_int_eq(ctx.quit, 0);
}
END_TEST

START_TEST(test_usage_shows_usage)
{
	ck_assert_int_eq(cmd_run(&ctx, "get x.mtorrent"), -1);
	/* The untranslated usage (C locale in tests) follows the code. */
	ck_assert_str_eq(last(), "error usage: get FILE.mtorrent DEST");
}
END_TEST

START_TEST(test_blank_line)
{
	ck_assert_int_eq(cmd_run(&ctx, "   "), 0);
	ck_assert_int_eq(fake.nlines, 0);
}
END_TEST

START_TEST(test_no_engine)
{
	ctx.engine = NULL;
	ck_assert_int_eq(cmd_run(&ctx, "get a b"), -1);
	ck_assert(starts(last(), "error internal: "));
	/* help does not need one. */
	ck_assert_int_eq(cmd_run(&ctx, "help"), 0);
}
END_TEST

START_TEST(test_batch_only)
{
	ctx.batch = 0;
	ck_assert_int_eq(cmd_run(&ctx, "wait"), -1);
	ck_assert(starts(last(), "error usage: "));
}
END_TEST

/* ---- Help ---------------------------------------------------------------- */

START_TEST(test_help_all)
{
	const struct cmd_entry	*const *cep;
	int			 i, n = 0, found;
	char			 want[64];

	ck_assert_int_eq(cmd_run(&ctx, "help"), 0);
	for (cep = cmd_table; *cep != NULL; cep++) {
		n++;
		found = 0;
		for (i = 0; i < fake.nlines - 1; i++) {
			if (strstr(fake.lines[i], (*cep)->usage) != NULL)
				found = 1;
		}
		ck_assert_msg(found, "help lacks %s", (*cep)->name);
	}
	snprintf(want, sizeof want, "ok help count=%d", n);
	ck_assert_str_eq(last(), want);
	ck_assert_int_eq(fake.nlines, n + 1);
	/* Data lines never look like status lines. */
	for (i = 0; i < fake.nlines - 1; i++) {
		ck_assert(!starts(fake.lines[i], "ok "));
		ck_assert(!starts(fake.lines[i], "error "));
	}
}
END_TEST

START_TEST(test_help_one)
{
	ck_assert_int_eq(cmd_run(&ctx, "help show downloads"), 0);
	ck_assert(strstr(fake.lines[0], "show downloads") != NULL);
	ck_assert_str_eq(last(), "ok help count=1");
	fake.nlines = 0;
	ck_assert_int_eq(cmd_run(&ctx, "help nothing"), -1);
	ck_assert(starts(last(), "error not-found: "));
}
END_TEST

/* ---- Commands against the fake engine --------------------------------- */

START_TEST(test_share)
{
	ck_assert_int_eq(cmd_run(&ctx, "share /tmp/a.bin a.mtorrent"), 0);
	ck_assert_str_eq(fake.last_call, "share");
	ck_assert_str_eq(fake.args[0], "/tmp/a.bin");
	ck_assert_str_eq(fake.args[1], "a.mtorrent");
	ck_assert_str_eq(fake.args[2], "");
	ck_assert_str_eq(last(), "ok share a.mtorrent "
	    "id=0123456789abcdef0123456789abcdef01234567");
	/* The suffix is added when missing. */
	ck_assert_int_eq(cmd_run(&ctx, "share \"/tmp/my file\" b"), 0);
	ck_assert_str_eq(fake.args[0], "/tmp/my file");
	ck_assert_str_eq(fake.args[1], "b.mtorrent");
}
END_TEST

START_TEST(test_engine_error)
{
	fake.fail = MT_E_NOTFOUND;
	ck_assert_int_eq(cmd_run(&ctx, "get x.mtorrent /tmp"), -1);
	ck_assert(starts(last(), "error not-found: "));
	ck_assert_int_eq(fake.errs[fake.nlines - 1], 1);
	fake.fail = MT_E_IO;
	ck_assert_int_eq(cmd_run(&ctx, "remove x.mtorrent"), -1);
	ck_assert(starts(last(), "error io: "));
}
END_TEST

START_TEST(test_get_remove_quit)
{
	ck_assert_int_eq(cmd_run(&ctx, "get x.mtorrent \"/tmp/out dir\""), 0);
	ck_assert_str_eq(fake.args[1], "/tmp/out dir");
	ck_assert_str_eq(last(), "ok get x.mtorrent dest=\"/tmp/out dir\"");
	ck_assert_int_eq(cmd_run(&ctx, "remove x.mtorrent"), 0);
	ck_assert_str_eq(fake.last_call, "remove");
	ck_assert_str_eq(last(), "ok remove x.mtorrent");
	ck_assert_int_eq(ctx.quit, 0);
	ck_assert_int_eq(cmd_run(&ctx, "quit"), 0);
	ck_assert_int_eq(ctx.quit, 1);
	ck_assert_str_eq(last(), "ok quit");
}
END_TEST

START_TEST(test_show_downloads)
{
	char	*argv[24];
	char	 line[1024];
	int	 n;

	fake.nsnap_torrents = 2;
	ck_assert_int_eq(cmd_run(&ctx, "show downloads"), 0);
	ck_assert_int_eq(fake.nlines, 3);
	ck_assert(starts(fake.lines[0], "[D] movie.mkv 42% 12/28 pieces "));
	ck_assert(strstr(fake.lines[0], " id=aaaa") != NULL);
	ck_assert(starts(fake.lines[1], "[S] \"my notes.txt\" 100% 4/4 "
	    "pieces "));
	ck_assert_str_eq(last(), "ok show_downloads count=2");
	/* The line splits back with the same rules. */
	strlcpy(line, fake.lines[1], sizeof line);
	n = cmd_split(line, argv, 24, NULL);
	ck_assert_int_ge(n, 5);
	ck_assert_str_eq(argv[1], "my notes.txt");
	fake.nlines = 0;
	ck_assert_int_eq(cmd_run(&ctx, "show_downloads"), 0);
	ck_assert_int_eq(fake.nlines, 3);
}
END_TEST

START_TEST(test_wait)
{
	fake.nsnap_torrents = 2;	/* one still downloading */
	ck_assert_int_eq(cmd_run(&ctx, "wait 0"), -1);
	ck_assert(starts(last(), "error timeout: "));
	fake.nsnap_torrents = 0;
	ck_assert_int_eq(cmd_run(&ctx, "wait"), 0);
	ck_assert_str_eq(last(), "ok wait done=0 failed=0");
}
END_TEST

/* ---- Accounts and groups ------------------------------------------------ */

START_TEST(test_login_logout)
{
	ck_assert_int_eq(cmd_run(&ctx, "create_user alice s3cret"), 0);
	ck_assert_str_eq(fake.last_msg, "create_user");
	ck_assert_str_eq(last(), "ok create_user alice");
	/* The password is never echoed. */
	ck_assert(strstr(last(), "s3cret") == NULL);
	ck_assert_int_eq(cmd_run(&ctx, "login alice s3cret"), 0);
	ck_assert_str_eq(last(), "ok login alice");
	ck_assert_str_eq(fake.token, "tok123");
	ck_assert_str_eq(fake.user, "alice");
	ck_assert_int_eq(cmd_run(&ctx, "create_group g1"), 0);
	ck_assert_str_eq(fake.last_token, "tok123");
	ck_assert_str_eq(last(), "ok create_group g1");
	ck_assert_int_eq(cmd_run(&ctx, "logout"), 0);
	ck_assert_str_eq(fake.last_token, "tok123");
	ck_assert_str_eq(fake.token, "");
	ck_assert_str_eq(last(), "ok logout");
	/* Refused locally once logged out; nothing sent. */
	fake.calls = 0;
	ck_assert_int_eq(cmd_run(&ctx, "create_group g2"), -1);
	ck_assert(starts(last(), "error auth: "));
	ck_assert_int_eq(cmd_run(&ctx, "logout"), -1);
	ck_assert(starts(last(), "error auth: "));
	ck_assert_int_eq(fake.calls, 0);
}
END_TEST

START_TEST(test_tracker_refusal)
{
	fake.fail = MT_E_AUTH;
	ck_assert_int_eq(cmd_run(&ctx, "login alice wrong"), -1);
	ck_assert(starts(last(), "error auth: "));
	ck_assert_str_eq(fake.token, "");
	fake.fail = MT_E_DENIED;
	strlcpy(fake.token, "t", sizeof fake.token);
	ck_assert_int_eq(cmd_run(&ctx, "list_files g"), -1);
	ck_assert(starts(last(), "error denied: "));
}
END_TEST

START_TEST(test_lists)
{
	strlcpy(fake.token, "t", sizeof fake.token);
	ck_assert_int_eq(cmd_run(&ctx, "list_groups"), 0);
	ck_assert_str_eq(fake.lines[0], "group alpha");
	ck_assert_str_eq(fake.lines[1], "group beta");
	ck_assert_str_eq(last(), "ok list_groups count=2");
	fake.nlines = 0;
	ck_assert_int_eq(cmd_run(&ctx, "list_requests g"), 0);
	ck_assert_str_eq(fake.lines[0], "request alpha");
	ck_assert_str_eq(last(), "ok list_requests count=2");
	fake.nlines = 0;
	ck_assert_int_eq(cmd_run(&ctx, "list_files g"), 0);
	ck_assert_str_eq(fake.lines[0], "file alpha");
	ck_assert_str_eq(last(), "ok list_files count=2");
	ck_assert_int_eq(cmd_run(&ctx, "accept_request g bob"), 0);
	ck_assert_str_eq(fake.last_msg, "accept_request");
	ck_assert_str_eq(last(), "ok accept_request g bob");
}
END_TEST

START_TEST(test_group_files)
{
	strlcpy(fake.token, "t", sizeof fake.token);
	ck_assert_int_eq(cmd_run(&ctx, "upload_file /data/report.pdf g"), 0);
	ck_assert_str_eq(fake.last_call, "share");
	ck_assert_str_eq(fake.args[0], "/data/report.pdf");
	ck_assert_str_eq(fake.args[1], "report.pdf.mtorrent");
	ck_assert_str_eq(fake.args[2], "g");
	ck_assert(starts(last(), "ok upload_file report.pdf.mtorrent "
	    "group=g id="));
	ck_assert_int_eq(cmd_run(&ctx, "download_file g report.pdf /tmp"),
	    0);
	ck_assert_str_eq(fake.last_call, "get_by_name");
	ck_assert_str_eq(fake.args[0], "g");
	ck_assert_str_eq(fake.args[1], "report.pdf");
	ck_assert_str_eq(fake.args[2], "/tmp");
	ck_assert_int_eq(cmd_run(&ctx, "stop_share g report.pdf"), 0);
	ck_assert_str_eq(fake.last_call, "stop_share");
	ck_assert_str_eq(last(), "ok stop_share g report.pdf");
	ck_assert_int_eq(cmd_run(&ctx, "upload_file / g"), -1);
	ck_assert(starts(last(), "error bad-name: "));
}
END_TEST

START_TEST(test_single_line_output)
{
	/* A tracker message with a newline cannot forge a second line. */
	cmd_ok(&ctx, "x %s", "a\nok forged");
	ck_assert_int_eq(fake.nlines, 1);
	ck_assert(strchr(last(), '\n') == NULL);
}
END_TEST

static Suite *
cmd_suite(void)
{
	Suite	*s = suite_create("cmd");
	TCase	*tc;

	tc = tcase_create("split");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_split_table, 0,
	    sizeof split_cases / sizeof split_cases[0]);
	tcase_add_test(tc, test_split_too_long);
	tcase_add_test(tc, test_quote_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("lookup");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_find);
	tcase_add_test(tc, test_table_sane);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_usage_table, 0,
	    sizeof usage_cases / sizeof usage_cases[0]);
	tcase_add_test(tc, test_usage_shows_usage);
	tcase_add_test(tc, test_blank_line);
	tcase_add_test(tc, test_no_engine);
	tcase_add_test(tc, test_batch_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_help_all);
	tcase_add_test(tc, test_help_one);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_share);
	tcase_add_test(tc, test_engine_error);
	tcase_add_test(tc, test_get_remove_quit);
	tcase_add_test(tc, test_show_downloads);
	tcase_add_test(tc, test_wait);
	tcase_add_test(tc, test_single_line_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("groups");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_login_logout);
	tcase_add_test(tc, test_tracker_refusal);
	tcase_add_test(tc, test_lists);
	tcase_add_test(tc, test_group_files);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(cmd_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
