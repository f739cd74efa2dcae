/*
 * cmd-account.c: create_user, login, logout, and the helpers every
 * tracker-backed command shares (session check, call and reply check).
 *
 * The session (user and token) lives in the engine (engine_set_session),
 * not here: the TUI and batch share it and the engine sends the token
 * with its own tracker requests.  Passwords are only ever copied into
 * the request; they are never logged (cmd_run logs these commands
 * without their arguments: CMD_SECRET) and never echoed back.
 */
#include "config.h"

#include <string.h>

#include "cmd.h"
#include "engine.h"
#include "error.h"
#include "i18n.h"
#include "message.h"
#include "tracker-client.h"

#define CMD_TOKEN_MAX	512
#define CMD_USER_MAX	65

static int	cmd_create_user_exec(struct cmd_ctx *, int, char **);
static int	cmd_login_exec(struct cmd_ctx *, int, char **);
static int	cmd_logout_exec(struct cmd_ctx *, int, char **);

const struct cmd_entry cmd_create_user_entry = {
	.name = "create_user",
	.usage = N_("create_user USER PASSWORD"),
	.help = N_("create an account on the tracker"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE | CMD_SECRET,
	.exec = cmd_create_user_exec,
};

const struct cmd_entry cmd_login_entry = {
	.name = "login",
	.usage = N_("login USER PASSWORD"),
	.help = N_("log in; group commands need it"),
	.min_args = 2, .max_args = 2,
	.flags = CMD_NEEDS_ENGINE | CMD_SECRET,
	.exec = cmd_login_exec,
};

const struct cmd_entry cmd_logout_entry = {
	.name = "logout",
	.usage = N_("logout"),
	.help = N_("end the session"),
	.min_args = 0, .max_args = 0,
	.flags = CMD_NEEDS_ENGINE,
	.exec = cmd_logout_exec,
};

int
cmd_session(struct cmd_ctx *ctx, char *token, size_t len)
{
	struct mt_err	err;
	char		user[CMD_USER_MAX];

	engine_session(ctx->engine, user, sizeof user, token, len);
	if (token[0] == '\0') {
		mt_err_set(&err, MT_E_AUTH, _("not logged in (use login USER "
		    "PASSWORD)"));
		return (cmd_fail(ctx, &err));
	}
	return (0);
}

int
cmd_tracker_call(struct cmd_ctx *ctx, const union message *req,
    union message *reply, int want)
{
	struct tracker_client	*tc;
	struct mt_err		 err;

	tc = engine_tracker(ctx->engine);
	if (tc == NULL) {
		mt_err_set(&err, MT_E_NET, _("no tracker is configured"));
		return (cmd_fail(ctx, &err));
	}
	mt_err_clear(&err);
	memset(reply, 0, sizeof *reply);
	if (tracker_client_call(tc, req, reply, &err) != 0)
		return (cmd_fail(ctx, &err));
	if ((int)reply->type != want) {
		mt_err_set(&err, MT_E_PROTO, _("unexpected reply from the "
		    "tracker"));
		return (cmd_fail(ctx, &err));
	}
	return (0);
}

static int
cmd_create_user_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req, reply;
	char		q[CMD_LINE_MAX];

	(void)argc;
	memset(&req, 0, sizeof req);
	req.create_user.type = MSG_create_user;
	req.create_user.user = argv[0];
	req.create_user.password = argv[1];
	if (cmd_tracker_call(ctx, &req, &reply, MSG_ok) != 0)
		return (-1);
	cmd_ok(ctx, "create_user %s", cmd_quote(argv[0], q, sizeof q));
	return (0);
}

static int
cmd_login_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req, reply;
	struct mt_err	err;
	char		q[CMD_LINE_MAX];

	(void)argc;
	if (strlen(argv[0]) >= CMD_USER_MAX) {
		mt_err_set(&err, MT_E_TOOBIG, _("user name too long"));
		return (cmd_fail(ctx, &err));
	}
	memset(&req, 0, sizeof req);
	req.login.type = MSG_login;
	req.login.user = argv[0];
	req.login.password = argv[1];
	if (cmd_tracker_call(ctx, &req, &reply, MSG_login_reply) != 0)
		return (-1);
	if (reply.login_reply.token == NULL ||
	    reply.login_reply.token[0] == '\0' ||
	    strlen(reply.login_reply.token) >= CMD_TOKEN_MAX) {
		mt_err_set(&err, MT_E_PROTO, _("the tracker sent a bad "
		    "session token"));
		return (cmd_fail(ctx, &err));
	}
	engine_set_session(ctx->engine, argv[0], reply.login_reply.token);
	cmd_ok(ctx, "login %s", cmd_quote(argv[0], q, sizeof q));
	return (0);
}

/*
 * The session is dropped locally whatever the tracker says: after
 * `logout` this peer must not act as the user any more.
 */
static int
cmd_logout_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	union message	req, reply;
	char		token[CMD_TOKEN_MAX];
	int		rc;

	(void)argc;
	(void)argv;
	if (cmd_session(ctx, token, sizeof token) != 0)
		return (-1);
	memset(&req, 0, sizeof req);
	req.logout.type = MSG_logout;
	req.logout.token = token;
	engine_set_session(ctx->engine, "", "");
	rc = cmd_tracker_call(ctx, &req, &reply, MSG_ok);
	explicit_bzero(token, sizeof token);
	if (rc != 0)
		return (-1);
	cmd_ok(ctx, "logout");
	return (0);
}
