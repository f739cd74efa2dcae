/*
 * cmd-group.c: the group variant's commands: create_group, join_group,
 * leave_group, list_requests, accept_request, list_groups, list_files,
 * upload_file, download_file, stop_share.
 *
 * The tracker decides who may do what; these commands only shape the
 * request, send the session token and print the reply.  A missing
 * session is refused here with MT_E_AUTH before anything is sent (except
 * list_groups, which the tracker may answer anonymously).  List replies
 * become one tagged data line per item ("group NAME", "request USER",
 * "file ...") before the status line, so a tracker's text can never be
 * read as a status line.
 */
#include "config.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "error.h"
#include "i18n.h"
#include "message.h"
#include "xmalloc.h"

#define CMD_TOKEN_MAX	512

static int	cmd_group_simple(struct cmd_ctx *, const char *,
		    enum message_type, const char *);
static int	cmd_group_list(struct cmd_ctx *, const char *, const char *,
		    union message *);
static int	cmd_create_group_exec(struct cmd_ctx *, int, char **);
static int	cmd_join_group_exec(struct cmd_ctx *, int, char **);
static int	cmd_leave_group_exec(struct cmd_ctx *, int, char **);
static int	cmd_list_requests_exec(struct cmd_ctx *, int, char **);
static int	cmd_accept_request_exec(struct cmd_ctx *, int, char **);
static int	cmd_list_groups_exec(struct cmd_ctx *, int, char **);
static int	cmd_list_files_exec(struct cmd_ctx *, int, char **);
static int	cmd_upload_file_exec(struct cmd_ctx *, int, char **);
static int	cmd_download_file_exec(struct cmd_ctx *, int, char **);
static int	cmd_stop_share_exec(struct cmd_ctx *, int, char **);

const struct cmd_entry cmd_create_group_entry = {
	.name = "create_group",
	.usage = N_("create_group GROUP"),
	.help = N_("create a group; you become its owner"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_create_group_exec,
};

const struct cmd_entry cmd_join_group_entry = {
	.name = "join_group",
	.usage = N_("join_group GROUP"),
	.help = N_("ask the owner of GROUP to let you in"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_join_group_exec,
};

const struct cmd_entry cmd_leave_group_entry = {
	.name = "leave_group",
	.usage = N_("leave_group GROUP"),
	.help = N_("leave a group"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE | CMD_DESTRUCTIVE,
	.exec = cmd_leave_group_exec,
};

const struct cmd_entry cmd_list_requests_entry = {
	.name = "list_requests",
	.usage = N_("list_requests GROUP"),
	.help = N_("list pending join requests (owner only)"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_list_requests_exec,
};

const struct cmd_entry cmd_accept_request_entry = {
	.name = "accept_request",
	.usage = N_("accept_request GROUP USER"),
	.help = N_("let USER into GROUP (owner only)"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_accept_request_exec,
};

const struct cmd_entry cmd_list_groups_entry = {
	.name = "list_groups",
	.usage = N_("list_groups"),
	.help = N_("list every group"),
	.min_args = 0, .max_args = 0,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_list_groups_exec,
};

const struct cmd_entry cmd_list_files_entry = {
	.name = "list_files",
	.usage = N_("list_files GROUP"),
	.help = N_("list the files shared in GROUP (members only)"),
	.min_args = 1, .max_args = 1,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_list_files_exec,
};

const struct cmd_entry cmd_upload_file_entry = {
	.name = "upload_file",
	.usage = N_("upload_file PATH GROUP"),
	.help = N_("share a file into GROUP (writes NAME.mtorrent in the "
	    "current directory)"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_upload_file_exec,
};

const struct cmd_entry cmd_download_file_entry = {
	.name = "download_file",
	.usage = N_("download_file GROUP FILE DEST"),
	.help = N_("download FILE of GROUP to DEST; returns at once"),
	.min_args = 3, .max_args = 3,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_download_file_exec,
};

const struct cmd_entry cmd_stop_share_entry = {
	.name = "stop_share",
	.usage = N_("stop_share GROUP FILE"),
	.help = N_("stop seeding FILE of GROUP (the data stays)"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE | CMD_DESTRUCTIVE,
	.exec = cmd_stop_share_exec,
};

/* A request made of a token and a group, answered by `ok`. */
static int
cmd_group_simple(struct cmd_ctx *ctx, const char *name,
    enum message_type type, const char *group)
{
	union message	req, reply;
	char		token[CMD_TOKEN_MAX], q[CMD_LINE_MAX];
	int		rc;

	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	memset(&req, 0, sizeof req);
	req.type = type;
	/* Each of these messages is (token, group); message.def. */
	switch (type) {
	case MSG_create_group:
		req.create_group.token = token;
		req.create_group.group = group;
		break;
	case MSG_join_group:
		req.join_group.token = token;
		req.join_group.group = group;
		break;
	case MSG_leave_group:
		req.leave_group.token = token;
		req.leave_group.group = group;
		break;
	default:
		abort();
	}
	rc = cmd_tracker_call(ctx, &req, &reply, MSG_ok);
	explicit_bzero(token, sizeof token);
	if (rc != 0)
		return (-1);
	cmd_ok(ctx, "%s %s", name, cmd_quote(group, q, sizeof q));
	return (0);
}

/* Send req (a list request) and print "TAG ITEM" lines, then the status. */
static int
cmd_group_list(struct cmd_ctx *ctx, const char *name, const char *tag,
    union message *req)
{
	union message	reply;
	uint32_t	i;

	if (cmd_tracker_call(ctx, req, &reply, MSG_list_reply) != 0)
		return (-1);
	for (i = 0; i < reply.list_reply.items.n; i++) {
		cmd_reply(ctx, "%s %s", tag,
		    (const char *)reply.list_reply.items.v[i].p);
	}
	cmd_ok(ctx, "%s count=%u", name, (unsigned)reply.list_reply.items.n);
	return (0);
}

static int
cmd_create_group_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	return (cmd_group_simple(ctx, "create_group", MSG_create_group,
	    argv[0]));
}

static int
cmd_join_group_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	return (cmd_group_simple(ctx, "join_group", MSG_join_group, argv[0]));
}

static int
cmd_leave_group_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	return (cmd_group_simple(ctx, "leave_group", MSG_leave_group,
	    argv[0]));
}

static int
cmd_list_requests_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req;
	char		token[CMD_TOKEN_MAX];
	int		rc;

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	memset(&req, 0, sizeof req);
	req.list_requests.type = MSG_list_requests;
	req.list_requests.token = token;
	req.list_requests.group = argv[0];
	rc = cmd_group_list(ctx, "list_requests", "request", &req);
	explicit_bzero(token, sizeof token);
	return (rc);
}

static int
cmd_accept_request_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req, reply;
	char		token[CMD_TOKEN_MAX], q1[CMD_LINE_MAX];
	char		q2[CMD_LINE_MAX];
	int		rc;

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	memset(&req, 0, sizeof req);
	req.accept_request.type = MSG_accept_request;
	req.accept_request.token = token;
	req.accept_request.group = argv[0];
	req.accept_request.user = argv[1];
	rc = cmd_tracker_call(ctx, &req, &reply, MSG_ok);
	explicit_bzero(token, sizeof token);
	if (rc != 0)
		return (-1);
	cmd_ok(ctx, "accept_request %s %s", cmd_quote(argv[0], q1, sizeof q1),
	    cmd_quote(argv[1], q2, sizeof q2));
	return (0);
}

static int
cmd_list_groups_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req;
	char		token[CMD_TOKEN_MAX], user[65];
	int		rc;

	(void)argc;
	(void)argv;
	/* Anonymous is allowed here: the tracker decides. */
	engine_session(ctx->engine, user, sizeof user, token, sizeof token);
	memset(&req, 0, sizeof req);
	req.list_groups.type = MSG_list_groups;
	req.list_groups.token = token;
	rc = cmd_group_list(ctx, "list_groups", "group", &req);
	explicit_bzero(token, sizeof token);
	return (rc);
}

static int
cmd_list_files_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req;
	char		token[CMD_TOKEN_MAX];
	int		rc;

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	memset(&req, 0, sizeof req);
	req.list_files.type = MSG_list_files;
	req.list_files.token = token;
	req.list_files.group = argv[0];
	rc = cmd_group_list(ctx, "list_files", "file", &req);
	explicit_bzero(token, sizeof token);
	return (rc);
}

/*
 * upload_file PATH GROUP: share into a group.  The .mtorrent is written
 * as BASENAME.mtorrent in the current directory (doc/commands.md), where
 * `remove` can find it; members download by group and name without it.
 */
static int
cmd_upload_file_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	 err;
	char		 token[CMD_TOKEN_MAX], id[41], q1[CMD_LINE_MAX];
	char		 q2[CMD_LINE_MAX];
	char		*copy, *base, *out;
	int		 rc;

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	explicit_bzero(token, sizeof token);
	copy = xstrdup(argv[0]);
	base = basename(copy);
	if (base[0] == '\0' || strcmp(base, "/") == 0 ||
	    strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		free(copy);
		mt_err_set(&err, MT_E_BADNAME, _("not a file name: %s"),
		    cmd_quote(argv[0], q1, sizeof q1));
		return (cmd_fail(ctx, &err));
	}
	xasprintf(&out, "%s.mtorrent", base);
	free(copy);
	mt_err_clear(&err);
	id[0] = '\0';
	rc = engine_share(ctx->engine, argv[0], out, argv[1], id, &err);
	if (rc == 0)
		cmd_ok(ctx, "upload_file %s group=%s id=%s", cmd_quote(out, q1,
		    sizeof q1), cmd_quote(argv[1], q2, sizeof q2), id);
	else
		cmd_fail(ctx, &err);
	free(out);
	return (rc == 0 ? 0 : -1);
}

static int
cmd_download_file_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	err;
	char		token[CMD_TOKEN_MAX], q1[CMD_LINE_MAX], q2[CMD_LINE_MAX];
	char		q3[CMD_LINE_MAX];

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	explicit_bzero(token, sizeof token);
	mt_err_clear(&err);
	if (engine_get_by_name(ctx->engine, argv[0], argv[1], argv[2],
	    &err) != 0)
		return (cmd_fail(ctx, &err));
	cmd_ok(ctx, "download_file %s %s dest=%s", cmd_quote(argv[0], q1,
	    sizeof q1), cmd_quote(argv[1], q2, sizeof q2), cmd_quote(argv[2],
	    q3, sizeof q3));
	return (0);
}

static int
cmd_stop_share_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct mt_err	err;
	char		token[CMD_TOKEN_MAX], q1[CMD_LINE_MAX], q2[CMD_LINE_MAX];

	(void)argc;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	explicit_bzero(token, sizeof token);
	mt_err_clear(&err);
	if (engine_stop_share(ctx->engine, argv[0], argv[1], &err) != 0)
		return (cmd_fail(ctx, &err));
	cmd_ok(ctx, "stop_share %s %s", cmd_quote(argv[0], q1, sizeof q1),
	    cmd_quote(argv[1], q2, sizeof q2));
	return (0);
}
