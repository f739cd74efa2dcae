/*
 * check_tracker_net.c: the tracker's network pieces.  HOST:PORT parsing
 * (a table of good and bad addresses), fingerprint normalisation, the
 * pin decisions (configured pin, trust on first use, changed
 * certificate), identity files, and an rpc connection over a socketpair
 * (round trip, deadline, end of stream, a broken frame); the upload
 * side's TCP congestion control (names, inheritance by accepted
 * connections, a clear error for what the kernel does not offer).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include "error.h"
#include "message.h"
#include "net.h"
#include "rpc.h"
#include "tls.h"

static const struct {
	const char	*addr;
	int		 allow_zero;
	enum mt_errc	 code;
	const char	*host;
	unsigned	 port;
} addr_cases[] = {
	{ "127.0.0.1:6880", 0, MT_E_OK, "127.0.0.1", 6880 },
	{ "localhost:1", 0, MT_E_OK, "localhost", 1 },
	{ "[::1]:65535", 0, MT_E_OK, "::1", 65535 },
	{ "tracker.example.org:443", 0, MT_E_OK, "tracker.example.org", 443 },
	{ "127.0.0.1:0", 1, MT_E_OK, "127.0.0.1", 0 },
	{ "127.0.0.1:0", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:65536", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:-1", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:+80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:80x", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:000080", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1", 0, MT_E_BADVALUE, NULL, 0 },
	{ "127.0.0.1:", 0, MT_E_BADVALUE, NULL, 0 },
	{ ":80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "", 0, MT_E_BADVALUE, NULL, 0 },
	{ "a b:80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "host/x:80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "[::1:80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "[]:80", 0, MT_E_BADVALUE, NULL, 0 },
	{ "[::g]:80", 0, MT_E_BADVALUE, NULL, 0 },
};

START_TEST(test_parse_addr)
{
	char		host[NET_HOST_MAX];
	uint16_t	port = 0;
	struct mt_err	err;
	int		rc;

	mt_err_clear(&err);
	rc = net_parse_addr(addr_cases[_i].addr, host, sizeof host, &port,
	    addr_cases[_i].allow_zero, &err);
	ck_assert_int_eq(err.code, addr_cases[_i].code);
	if (addr_cases[_i].code == MT_E_OK) {
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(host, addr_cases[_i].host);
		ck_assert_uint_eq(port, addr_cases[_i].port);
	} else
		ck_assert_int_eq(rc, -1);
}
END_TEST

START_TEST(test_congestion_names)
{
	ck_assert(net_congestion_name_ok("reno"));
	ck_assert(net_congestion_name_ok("cubic"));
	ck_assert(net_congestion_name_ok("dctcp_2"));
	ck_assert(net_congestion_name_ok("abcdefghijklmno"));	/* 15 */
	ck_assert(!net_congestion_name_ok("abcdefghijklmnop"));	/* 16 */
	ck_assert(!net_congestion_name_ok(""));
	ck_assert(!net_congestion_name_ok("Reno"));
	ck_assert(!net_congestion_name_ok("re no"));
	ck_assert(!net_congestion_name_ok("../x"));
}
END_TEST

/*
 * A congestion control set on the listening socket is what accepted
 * connections (the uploads) use; an unknown one is a clear error.
 */
/* Connect to the listening lfd; the accepted end into *afd. */
static int
connect_accept(int lfd, int *afd)
{
	struct mt_err	err;
	struct pollfd	pfd;
	char		addr[64];
	int		cfd;

	ck_assert_int_eq(net_local_addr(lfd, addr, sizeof addr), 0);
	cfd = net_connect(addr, 5000, &err);
	ck_assert_msg(cfd != -1, "connect: %s", err.msg);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	*afd = accept(lfd, NULL, NULL);
	ck_assert_int_ne(*afd, -1);
	return (cfd);
}

START_TEST(test_congestion_inherited)
{
	struct mt_err	err;
	char		name[NET_CC_NAME_MAX + 1];
	socklen_t	len = NET_CC_NAME_MAX;
	int		lfd, cfd, afd;

	mt_err_clear(&err);
	lfd = net_listen("127.0.0.1:0", 4, &err);
	ck_assert_msg(lfd != -1, "listen: %s", err.msg);
	ck_assert_int_eq(net_set_congestion(lfd, "nosuchcc", &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
	ck_assert_msg(strstr(err.msg, "\"nosuchcc\" not available") != NULL,
	    "%s", err.msg);
	mt_err_clear(&err);
	ck_assert_int_eq(net_set_congestion(lfd, "Bad name", &err), -1);
	ck_assert_msg(strstr(err.msg, "bad congestion control name") != NULL,
	    "%s", err.msg);
	mt_err_clear(&err);
	/* Linux always lets any process choose reno. */
	ck_assert_msg(net_set_congestion(lfd, "reno", &err) == 0, "%s",
	    err.msg);
	cfd = connect_accept(lfd, &afd);
	memset(name, 0, sizeof name);
	ck_assert_int_eq(getsockopt(afd, IPPROTO_TCP, TCP_CONGESTION, name,
	    &len), 0);
	ck_assert_str_eq(name, "reno");
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

/* After data went through, the kernel reports a delivery rate. */
START_TEST(test_delivery_rate)
{
	static uint8_t	buf[65536];
	struct mt_err	err;
	size_t		sent = 0, got = 0, want = 4 << 20;
	uint64_t	rate = 0, deadline = net_now_ms() + 10000;
	ssize_t		r;
	int		lfd, cfd, afd, pfds[2];

	lfd = net_listen("127.0.0.1:0", 4, &err);
	ck_assert_msg(lfd != -1, "listen: %s", err.msg);
	cfd = connect_accept(lfd, &afd);
	ck_assert_int_eq(net_set_nonblock(afd), 0);
	while (got < want && net_now_ms() < deadline) {
		if (sent < want && (r = send(cfd, buf, sizeof buf <
		    want - sent ? sizeof buf : want - sent,
		    MSG_NOSIGNAL)) > 0)
			sent += (size_t)r;
		while ((r = recv(afd, buf, sizeof buf, 0)) > 0)
			got += (size_t)r;
		if (r == 0)
			break;
	}
	ck_assert_uint_eq(got, want);
	ck_assert_int_eq(net_delivery_rate(cfd, &rate), 0);
	ck_assert_uint_gt(rate, 0);
	/* Not a socket: an error, not a rate. */
	ck_assert_int_eq(pipe(pfds), 0);
	ck_assert_int_eq(net_delivery_rate(pfds[0], &rate), -1);
	close(pfds[0]);
	close(pfds[1]);
	close(afd);
	close(cfd);
	close(lfd);
}
END_TEST

START_TEST(test_parse_addr_long_host)
{
	char		addr[400], host[NET_HOST_MAX];
	uint16_t	port;
	struct mt_err	err;

	memset(addr, 'a', 300);
	snprintf(addr + 300, sizeof addr - 300, ":80");
	ck_assert_int_eq(net_parse_addr(addr, host, sizeof host, &port, 0,
	    &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADVALUE);
}
END_TEST

#define FPR_A	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define FPR_B	"fedcba9876543210fedcba9876543210" \
		"fedcba9876543210fedcba9876543210"

START_TEST(test_fpr_normalize)
{
	char	out[TLS_FPR_LEN + 1];

	ck_assert_int_eq(tls_fpr_normalize(FPR_A, out), 0);
	ck_assert_str_eq(out, FPR_A);
	ck_assert_int_eq(tls_fpr_normalize("SHA256:" FPR_A, out), 0);
	ck_assert_str_eq(out, FPR_A);
	ck_assert_int_eq(tls_fpr_normalize("sha256:0123456789ABCDEF"
	    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", out), 0);
	ck_assert_str_eq(out, FPR_A);
	ck_assert_int_eq(tls_fpr_normalize("01:23:45:67:89:ab:cd:ef:"
	    "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:"
	    "01:23:45:67:89:ab:cd:ef", out), 0);
	ck_assert_str_eq(out, FPR_A);
	ck_assert_int_eq(tls_fpr_normalize("0123", out), -1);
	ck_assert_int_eq(tls_fpr_normalize(FPR_A "00", out), -1);
	ck_assert_int_eq(tls_fpr_normalize("x" FPR_A, out), -1);
}
END_TEST

static char	tmpdir[64];

static void
setup_dir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/check-tnet.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_dir(void)
{
	char	cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_pin_expected)
{
	struct mt_err	err;

	ck_assert_int_eq(tls_pin_check(NULL, "h:1", FPR_A, FPR_A, &err), 0);
	ck_assert_int_eq(tls_pin_check(NULL, "h:1", "SHA256:" FPR_A, FPR_A,
	    &err), 0);
	ck_assert_int_eq(tls_pin_check(NULL, "h:1", FPR_B, FPR_A, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TLS);
	ck_assert_int_eq(tls_pin_check(NULL, "h:1", "nonsense", FPR_A, &err),
	    -1);
	ck_assert_int_eq(err.code, MT_E_TLS);
	/* No pin and no file: accepted. */
	ck_assert_int_eq(tls_pin_check(NULL, "h:1", "", FPR_A, &err), 0);
}
END_TEST

START_TEST(test_pin_tofu)
{
	struct mt_err	err;
	char		path[128], got[TLS_FPR_LEN + 1];
	struct stat	st;

	snprintf(path, sizeof path, "%s/known", tmpdir);
	ck_assert_int_eq(tls_pin_lookup(path, "h:1", got), -1);
	/* First use records, same again passes, a change is refused. */
	ck_assert_int_eq(tls_pin_check(path, "h:1", NULL, FPR_A, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(tls_pin_lookup(path, "h:1", got), 0);
	ck_assert_str_eq(got, FPR_A);
	ck_assert_int_eq(tls_pin_check(path, "h:1", NULL, FPR_A, &err), 0);
	ck_assert_int_eq(tls_pin_check(path, "h:1", NULL, FPR_B, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TLS);
	/* Another address is independent; a given pin overrides the file. */
	ck_assert_int_eq(tls_pin_check(path, "h:2", NULL, FPR_B, &err), 0);
	ck_assert_int_eq(tls_pin_check(path, "h:1", FPR_B, FPR_B, &err), 0);
	ck_assert_int_eq(tls_pin_lookup(path, "h:1", got), 0);
	ck_assert_str_eq(got, FPR_A);
	/* Cannot record (no such directory): an I/O error, not trust. */
	snprintf(path, sizeof path, "%s/nodir/known", tmpdir);
	ck_assert_int_eq(tls_pin_check(path, "h:1", NULL, FPR_A, &err), -1);
	ck_assert_int_eq(err.code, MT_E_IO);
	ck_assert_int_eq(tls_pin_lookup(path, "h:1", got), -1);
}
END_TEST

START_TEST(test_identity)
{
	struct tls_identity	*id;
	struct mt_err		 err;
	struct stat		 st;
	char			 key[128], crt[128], fpr[TLS_FPR_LEN + 1];

	snprintf(key, sizeof key, "%s/t.key", tmpdir);
	snprintf(crt, sizeof crt, "%s/t.crt", tmpdir);
	id = tls_identity_load(key, crt, &err);
	ck_assert_ptr_nonnull(id);
	snprintf(fpr, sizeof fpr, "%s", tls_identity_fingerprint(id));
	ck_assert_uint_eq(strlen(fpr), TLS_FPR_LEN);
	tls_identity_free(id);
	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Reloading gives the same certificate. */
	id = tls_identity_load(key, crt, &err);
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(tls_identity_fingerprint(id), fpr);
	tls_identity_free(id);
	/* A damaged key is an error, not silently replaced. */
	ck_assert_int_eq(truncate(key, 10), 0);
	ck_assert_ptr_null(tls_identity_load(key, crt, &err));
	ck_assert_int_eq(err.code, MT_E_TLS);
}
END_TEST

static struct rpc_conn	*ra, *rb;

static void
setup_pair(void)
{
	int	sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(net_set_nonblock(sv[0]), 0);
	ck_assert_int_eq(net_set_nonblock(sv[1]), 0);
	ra = rpc_wrap(sv[0], NULL, NULL, NULL, 0);
	rb = rpc_wrap(sv[1], NULL, NULL, NULL, 0);
}

static void
teardown_pair(void)
{
	rpc_free(ra);
	rpc_free(rb);
}

START_TEST(test_rpc_roundtrip)
{
	union message	m, r;
	struct mt_err	err;
	uint64_t	dl = net_now_ms() + 2000;
	int		i;

	/* Pipelined: three queued, one flush, three received in order. */
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_seeders;
		m.seeders.token = "";
		m.seeders.file_id = i == 0 ? "a" : i == 1 ? "b" : "c";
		ck_assert_int_eq(rpc_queue(ra, &m, &err), 0);
	}
	ck_assert_int_eq(rpc_flush(ra, dl, &err), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(rpc_recv(rb, &r, dl, &err), 0);
		ck_assert_int_eq(r.type, MSG_seeders);
		ck_assert_str_eq(r.seeders.file_id, i == 0 ? "a" :
		    i == 1 ? "b" : "c");
	}
	ck_assert_int_eq(rpc_buffered(rb), 0);
}
END_TEST

/*
 * Tracker connections: our hello says MSG_PROTO_TRACKER (1, unchanged,
 * so version-1 trackers accept it); a hello back of version 1 or 2 is
 * accepted, anything else refused.
 */
START_TEST(test_rpc_hello_versions)
{
	union message	m, r;
	struct msg_hello h;
	struct mt_err	err;
	uint64_t	dl = net_now_ms() + 2000, v;

	for (v = 0; v <= MSG_PROTO_VERSION + 1; v++) {
		memset(&m, 0, sizeof m);
		m.type = MSG_hello;
		m.hello.version = v;
		m.hello.role = "tracker";
		m.hello.node_id = "n";
		m.hello.listen = "";
		ck_assert_int_eq(rpc_queue(rb, &m, &err), 0);
		ck_assert_int_eq(rpc_flush(rb, dl, &err), 0);
		if (v >= MSG_PROTO_VERSION_MIN && v <= MSG_PROTO_VERSION) {
			ck_assert_int_eq(rpc_hello(ra, "client", "me", "",
			    dl, &h, &err), 0);
			ck_assert_uint_eq(h.version, v);
		} else {
			ck_assert_int_eq(rpc_hello(ra, "client", "me", "",
			    dl, &h, &err), -1);
			ck_assert_int_eq(err.code, MT_E_PROTO);
		}
		ck_assert_int_eq(rpc_recv(rb, &r, dl, &err), 0);
		ck_assert_int_eq(r.type, MSG_hello);
		ck_assert_uint_eq(r.hello.version, MSG_PROTO_TRACKER);
	}
}
END_TEST

START_TEST(test_rpc_deadline)
{
	union message	r;
	struct mt_err	err;
	uint64_t	t0 = net_now_ms();

	ck_assert_int_eq(rpc_recv(rb, &r, t0 + 200, &err), -1);
	ck_assert_int_eq(err.code, MT_E_TIMEOUT);
	ck_assert_uint_ge(net_now_ms() - t0, 190);
	ck_assert_uint_lt(net_now_ms() - t0, 1500);
}
END_TEST

START_TEST(test_rpc_eof_and_garbage)
{
	union message	r;
	struct mt_err	err;

	ck_assert_int_eq(rpc_queue_raw(ra, "GARBAGE!", 8, &err), 0);
	ck_assert_int_eq(rpc_flush(ra, net_now_ms() + 1000, &err), 0);
	ck_assert_int_eq(rpc_recv(rb, &r, net_now_ms() + 1000, &err), -1);
	ck_assert_int_eq(err.code, MT_E_BADMAGIC);
	rpc_free(ra);
	ra = NULL;
	ck_assert_int_eq(rpc_recv(rb, &r, net_now_ms() + 1000, &err), -1);
	ck_assert_int_eq(err.code, MT_E_PROTO);	/* decoder stays failed */
}
END_TEST

START_TEST(test_rpc_eof)
{
	union message	r;
	struct mt_err	err;

	rpc_free(ra);
	ra = NULL;
	ck_assert_int_eq(rpc_recv(rb, &r, net_now_ms() + 1000, &err), -1);
	ck_assert_int_eq(err.code, MT_E_NET);
}
END_TEST

START_TEST(test_listen_connect)
{
	struct mt_err	err;
	char		addr[NET_ADDR_MAX];
	int		lfd, cfd;

	lfd = net_listen("127.0.0.1:0", 8, &err);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(net_local_addr(lfd, addr, sizeof addr), 0);
	cfd = net_connect(addr, 1000, &err);
	ck_assert_int_ge(cfd, 0);
	close(cfd);
	close(lfd);
	/* Nobody listens there any more. */
	ck_assert_int_eq(net_connect(addr, 1000, &err), -1);
	ck_assert_int_eq(err.code, MT_E_NET);
}
END_TEST

static Suite *
tracker_net_suite(void)
{
	Suite	*s = suite_create("tracker_net");
	TCase	*tc;

	tc = tcase_create("parse_addr");
	tcase_add_loop_test(tc, test_parse_addr, 0,
	    sizeof addr_cases / sizeof addr_cases[0]);
	tcase_add_test(tc, test_parse_addr_long_host);
	tcase_add_test(tc, test_congestion_names);
	tcase_add_test(tc, test_congestion_inherited);
	tcase_add_test(tc, test_delivery_rate);
	suite_add_tcase(s, tc);

	tc = tcase_create("pins");
	tcase_add_checked_fixture(tc, setup_dir, teardown_dir);
	tcase_add_test(tc, test_fpr_normalize);
	tcase_add_test(tc, test_pin_expected);
	tcase_add_test(tc, test_pin_tofu);
	tcase_add_test(tc, test_identity);
	suite_add_tcase(s, tc);

	tc = tcase_create("rpc");
	tcase_add_checked_fixture(tc, setup_pair, teardown_pair);
	tcase_add_test(tc, test_rpc_roundtrip);
	tcase_add_test(tc, test_rpc_hello_versions);
	tcase_add_test(tc, test_rpc_deadline);
	tcase_add_test(tc, test_rpc_eof_and_garbage);
	tcase_add_test(tc, test_rpc_eof);
	suite_add_tcase(s, tc);

	tc = tcase_create("sockets");
	tcase_add_test(tc, test_listen_connect);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(tracker_net_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
