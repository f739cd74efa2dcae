/*
 * tls.c: TLS 1.3 contexts, self-signed identities and fingerprint pins.
 *
 * Certificates are never verified against a CA: the handshake accepts
 * whatever the other side presents (SSL_VERIFY_PEER with a callback that
 * says yes, so a client certificate is requested and recorded), and the
 * caller then compares the SHA-256 fingerprint of the DER certificate to
 * its pin.  That is the whole trust model, as for ssh host keys.
 *
 * Sockets are attached through a small BIO of our own that sends with
 * MSG_NOSIGNAL, so a closed connection is an error, never a SIGPIPE that
 * would kill a process that forgot to ignore it.
 *
 * The known-trackers file is read and appended under one process-wide
 * mutex (the only file-scope state here, with the BIO method made once).
 */
#include "config.h"

#include "tls.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "error.h"
#include "i18n.h"
#include "log.h"
#include "net.h"
#include "xmalloc.h"

struct tls_identity {
	EVP_PKEY	*key;
	X509		*cert;
	char		 fpr[TLS_FPR_LEN + 1];
};

static pthread_once_t	 tls_bio_once = PTHREAD_ONCE_INIT;
static BIO_METHOD	*tls_bio_method;
static pthread_mutex_t	 tls_known_lock = PTHREAD_MUTEX_INITIALIZER;

static const char	*tls_errstr(void);
static int		 tls_verify_any(int ok, X509_STORE_CTX *store);
static void		 tls_fpr_of(X509 *cert, char out[TLS_FPR_LEN + 1]);
static int		 tls_generate(const char *key_path,
			     const char *cert_path, EVP_PKEY **keyp,
			     X509 **certp, struct mt_err *err);
static X509		*tls_make_cert(EVP_PKEY *key);
static int		 tls_write_atomic(const char *path, EVP_PKEY *key,
			     X509 *cert, struct mt_err *err);

/* The last OpenSSL error as text (for logs and err.msg); clears the queue. */
static const char *
tls_errstr(void)
{
	static __thread char	 s[128];
	unsigned long		 e;

	e = ERR_get_error();
	if (e == 0)
		return ("unknown error");
	ERR_error_string_n(e, s, sizeof s);
	ERR_clear_error();
	return (s);
}

/* Accept any certificate: the caller pins it after the handshake. */
static int
tls_verify_any(int ok, X509_STORE_CTX *store)
{
	(void)ok;
	(void)store;
	return (1);
}

static void
tls_fpr_of(X509 *cert, char out[TLS_FPR_LEN + 1])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	n = 0, i;

	if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32) {
		out[0] = '\0';
		return;
	}
	for (i = 0; i < n; i++)
		snprintf(out + i * 2, 3, "%02x", md[i]);
}

/* --- the MSG_NOSIGNAL socket BIO --- */

static int
tls_bio_write(BIO *b, const char *p, int n)
{
	int	fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t	w;

	BIO_clear_retry_flags(b);
	w = send(fd, p, (size_t)n, MSG_NOSIGNAL);
	if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_write(b);
	return ((int)w);
}

static int
tls_bio_read(BIO *b, char *p, int n)
{
	int	fd = (int)(intptr_t)BIO_get_data(b);
	ssize_t	r;

	BIO_clear_retry_flags(b);
	r = recv(fd, p, (size_t)n, 0);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		BIO_set_retry_read(b);
	return ((int)r);
}

static long
tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return (1);
	default:
		return (0);
	}
}

static int
tls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return (1);
}

static void
tls_bio_init_method(void)
{
	BIO_METHOD	*m;

	m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK |
	    BIO_TYPE_DESCRIPTOR, "mtorrent socket");
	if (m == NULL)
		fatalx("BIO_meth_new: %s", tls_errstr());
	BIO_meth_set_write(m, tls_bio_write);
	BIO_meth_set_read(m, tls_bio_read);
	BIO_meth_set_ctrl(m, tls_bio_ctrl);
	BIO_meth_set_create(m, tls_bio_create);
	tls_bio_method = m;
}

/* --- identities --- */

static X509 *
tls_make_cert(EVP_PKEY *key)
{
	X509		*x;
	X509_NAME	*name;
	unsigned char	 serial[16];
	BIGNUM		*bn;

	if ((x = X509_new()) == NULL)
		return (NULL);
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto fail;
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof serial, NULL);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn,
	    X509_get_serialNumber(x)) == NULL) {
		BN_free(bn);
		goto fail;
	}
	BN_free(bn);
	if (X509_set_version(x, 2) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -86400) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 36500, 0, NULL) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		goto fail;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mtorrent tracker", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    X509_sign(x, key, EVP_sha256()) == 0)
		goto fail;
	return (x);
fail:
	X509_free(x);
	return (NULL);
}

/* Write key (if not NULL) or cert to path via path.tmp + fsync + rename. */
static int
tls_write_atomic(const char *path, EVP_PKEY *key, X509 *cert,
    struct mt_err *err)
{
	char	*tmp;
	FILE	*fp;
	int	 fd, ok;

	xasprintf(&tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (fp = fdopen(fd, "w")) == NULL) {
		mt_err_set(err, MT_E_IO, _("cannot write %s: %s"), tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return (-1);
	}
	if (key != NULL)
		ok = PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL);
	else
		ok = PEM_write_X509(fp, cert);
	if (ok != 1 || fflush(fp) != 0 || fsync(fd) != 0) {
		mt_err_set(err, MT_E_IO, _("cannot write %s"), tmp);
		fclose(fp);
		unlink(tmp);
		free(tmp);
		return (-1);
	}
	fclose(fp);
	if (rename(tmp, path) != 0) {
		mt_err_set(err, MT_E_IO, _("cannot rename %s: %s"), tmp,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return (-1);
	}
	free(tmp);
	return (0);
}

static int
tls_generate(const char *key_path, const char *cert_path, EVP_PKEY **keyp,
    X509 **certp, struct mt_err *err)
{
	EVP_PKEY_CTX	*pc;
	EVP_PKEY	*key = *keyp;
	X509		*cert;

	if (key == NULL) {
		pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
		if (pc == NULL || EVP_PKEY_keygen_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc,
		    NID_X9_62_prime256v1) != 1 ||
		    EVP_PKEY_keygen(pc, &key) != 1) {
			EVP_PKEY_CTX_free(pc);
			return (mt_err_set(err, MT_E_TLS,
			    _("cannot make a key: %s"), tls_errstr()));
		}
		EVP_PKEY_CTX_free(pc);
		if (tls_write_atomic(key_path, key, NULL, err) != 0) {
			EVP_PKEY_free(key);
			return (-1);
		}
		*keyp = key;
	}
	if ((cert = tls_make_cert(key)) == NULL)
		return (mt_err_set(err, MT_E_TLS,
		    _("cannot make a certificate: %s"), tls_errstr()));
	if (tls_write_atomic(cert_path, NULL, cert, err) != 0) {
		X509_free(cert);
		return (-1);
	}
	*certp = cert;
	return (0);
}

struct tls_identity *
tls_identity_load(const char *key_path, const char *cert_path,
    struct mt_err *err)
{
	struct tls_identity	*id;
	struct stat		 st;
	FILE			*fp;

	id = xcalloc(1, sizeof *id);
	if ((fp = fopen(key_path, "re")) != NULL) {
		if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 077) != 0)
			log_warn("%s is readable by others (mode %o)",
			    key_path, (unsigned)(st.st_mode & 0777));
		id->key = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
		fclose(fp);
		if (id->key == NULL) {
			mt_err_set(err, MT_E_TLS, _("cannot read key %s: %s"),
			    key_path, tls_errstr());
			goto fail;
		}
		if ((fp = fopen(cert_path, "re")) != NULL) {
			id->cert = PEM_read_X509(fp, NULL, NULL, NULL);
			fclose(fp);
			if (id->cert == NULL) {
				mt_err_set(err, MT_E_TLS,
				    _("cannot read certificate %s: %s"),
				    cert_path, tls_errstr());
				goto fail;
			}
			if (X509_check_private_key(id->cert, id->key) != 1) {
				mt_err_set(err, MT_E_TLS,
				    _("certificate %s does not match key %s"),
				    cert_path, key_path);
				goto fail;
			}
		}
	} else if (errno != ENOENT) {
		mt_err_set(err, MT_E_IO, _("cannot open %s: %s"), key_path,
		    strerror(errno));
		goto fail;
	}
	if (id->cert == NULL) {
		if (tls_generate(key_path, cert_path, &id->key, &id->cert,
		    err) != 0)
			goto fail;
		log_info("made a new key %s and certificate %s", key_path,
		    cert_path);
	}
	tls_fpr_of(id->cert, id->fpr);
	return (id);
fail:
	tls_identity_free(id);
	return (NULL);
}

void
tls_identity_free(struct tls_identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	X509_free(id->cert);
	free(id);
}

const char *
tls_identity_fingerprint(const struct tls_identity *id)
{
	return (id->fpr);
}

/* --- contexts and sessions --- */

static SSL_CTX *
tls_ctx_common(const SSL_METHOD *method, const struct tls_identity *id,
    struct mt_err *err)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(method)) == NULL) {
		mt_err_set(err, MT_E_TLS, "SSL_CTX_new: %s", tls_errstr());
		return (NULL);
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:"
	    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1)
		goto fail;
	if (id != NULL && (SSL_CTX_use_certificate(ctx, id->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, id->key) != 1))
		goto fail;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, tls_verify_any);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return (ctx);
fail:
	mt_err_set(err, MT_E_TLS, _("cannot set up TLS: %s"), tls_errstr());
	SSL_CTX_free(ctx);
	return (NULL);
}

struct ssl_ctx_st *
tls_ctx_server(const struct tls_identity *id, struct mt_err *err)
{
	SSL_CTX	*ctx;

	if ((ctx = tls_ctx_common(TLS_server_method(), id, err)) == NULL)
		return (NULL);
	/* No session tickets: nobody resumes, and they cost a write. */
	SSL_CTX_set_num_tickets(ctx, 0);
	return (ctx);
}

struct ssl_ctx_st *
tls_ctx_client(const struct tls_identity *id, struct mt_err *err)
{
	return (tls_ctx_common(TLS_client_method(), id, err));
}

void
tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

struct ssl_st *
tls_new(struct ssl_ctx_st *ctx, int fd, int server, struct mt_err *err)
{
	SSL	*ssl;
	BIO	*b;

	pthread_once(&tls_bio_once, tls_bio_init_method);
	if ((ssl = SSL_new(ctx)) == NULL) {
		mt_err_set(err, MT_E_TLS, "SSL_new: %s", tls_errstr());
		return (NULL);
	}
	if ((b = BIO_new(tls_bio_method)) == NULL) {
		SSL_free(ssl);
		mt_err_set(err, MT_E_TLS, "BIO_new: %s", tls_errstr());
		return (NULL);
	}
	BIO_set_data(b, (void *)(intptr_t)fd);
	SSL_set_bio(ssl, b, b);
	if (server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	return (ssl);
}

void
tls_free(struct ssl_st *ssl)
{
	SSL_free(ssl);
}

int
tls_handshake(struct ssl_st *ssl, int fd, uint64_t deadline_ms,
    int cancel_fd, struct mt_err *err)
{
	int	rc, e;

	for (;;) {
		ERR_clear_error();
		if ((rc = SSL_do_handshake(ssl)) == 1)
			return (0);
		e = SSL_get_error(ssl, rc);
		if (e == SSL_ERROR_WANT_READ) {
			if (net_wait(fd, POLLIN, deadline_ms, cancel_fd,
			    err) != 0)
				return (-1);
		} else if (e == SSL_ERROR_WANT_WRITE) {
			if (net_wait(fd, POLLOUT, deadline_ms, cancel_fd,
			    err) != 0)
				return (-1);
		} else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN)
			return (mt_err_set(err, MT_E_NET,
			    _("connection closed during the TLS handshake")));
		else
			return (mt_err_set(err, MT_E_TLS,
			    _("TLS handshake failed: %s"), tls_errstr()));
	}
}

int
tls_peer_fingerprint(struct ssl_st *ssl, char out[TLS_FPR_LEN + 1])
{
	X509	*x;

	out[0] = '\0';
	if ((x = SSL_get_peer_certificate(ssl)) == NULL)
		return (-1);
	tls_fpr_of(x, out);
	X509_free(x);
	return (out[0] == '\0' ? -1 : 0);
}

/* --- pins --- */

int
tls_fpr_normalize(const char *in, char out[TLS_FPR_LEN + 1])
{
	size_t	n = 0;

	if (in == NULL)
		return (-1);
	if (strncasecmp(in, "SHA256:", 7) == 0)
		in += 7;
	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n == TLS_FPR_LEN)
			return (-1);
		out[n++] = (char)tolower((unsigned char)*in);
	}
	out[n] = '\0';
	return (n == TLS_FPR_LEN ? 0 : -1);
}

/* Find addr in fp; 1 and out filled if found, 0 if not. */
static int
tls_known_find(FILE *fp, const char *addr, char out[TLS_FPR_LEN + 1])
{
	char		line[512], tmp[TLS_FPR_LEN + 1], *sp, *nl;
	unsigned	n = 0;

	while (fgets(line, sizeof line, fp) != NULL) {
		n++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((sp = strchr(line, ' ')) == NULL) {
			log_warn(_("known trackers: line %u is not \"ADDRESS "
			    "FINGERPRINT\"; ignored"), n);
			continue;
		}
		*sp++ = '\0';
		if (tls_fpr_normalize(sp, tmp) != 0) {
			/* A damaged pin must not turn into a new first use. */
			if (strcmp(line, addr) == 0)
				return (-1);
			log_warn(_("known trackers: line %u has no valid "
			    "fingerprint; ignored"), n);
			continue;
		}
		if (strcmp(line, addr) == 0) {
			memcpy(out, tmp, sizeof tmp);
			return (1);
		}
	}
	return (0);
}

int
tls_pin_lookup(const char *known_path, const char *addr,
    char out[TLS_FPR_LEN + 1])
{
	FILE	*fp;
	int	 found = 0;

	if (known_path == NULL || *known_path == '\0')
		return (-1);
	pthread_mutex_lock(&tls_known_lock);
	if ((fp = fopen(known_path, "re")) != NULL) {
		found = tls_known_find(fp, addr, out);
		fclose(fp);
	}
	pthread_mutex_unlock(&tls_known_lock);
	return (found > 0 ? 0 : -1);
}

/* True if the file at fd is non-empty and does not end with a newline. */
static int
tls_file_ends_open(int fd)
{
	struct stat	st;
	char		c;

	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return (0);
	if (pread(fd, &c, 1, st.st_size - 1) != 1)
		return (0);
	return (c != '\n');
}

int
tls_pin_check(const char *known_path, const char *addr, const char *expected,
    const char *actual, struct mt_err *err)
{
	char	 want[TLS_FPR_LEN + 1], line[NET_ADDR_MAX + TLS_FPR_LEN + 4];
	FILE	*fp;
	off_t	 off;
	int	 fd, found = 0, n;

	if (expected != NULL && *expected != '\0') {
		if (tls_fpr_normalize(expected, want) != 0)
			return (mt_err_set(err, MT_E_TLS,
			    _("bad fingerprint \"%.80s\""), expected));
		if (strcmp(want, actual) != 0)
			return (mt_err_set(err, MT_E_TLS,
			    _("certificate of %s does not match the pinned "
			    "fingerprint: possible impostor (got %.16s...)"),
			    addr, actual));
		return (0);
	}
	if (known_path == NULL || *known_path == '\0')
		return (0);
	pthread_mutex_lock(&tls_known_lock);
	if ((fp = fopen(known_path, "re")) != NULL) {
		found = tls_known_find(fp, addr, want);
		fclose(fp);
	}
	if (found < 0) {
		pthread_mutex_unlock(&tls_known_lock);
		return (mt_err_set(err, MT_E_TLS, _("the pin of %s in %s is "
		    "damaged: refusing; fix or remove its line"), addr,
		    known_path));
	}
	if (found) {
		pthread_mutex_unlock(&tls_known_lock);
		if (strcmp(want, actual) != 0)
			return (mt_err_set(err, MT_E_TLS,
			    _("WARNING: the certificate of %s has CHANGED "
			    "(now SHA256:%.16s..., first seen %.16s...): "
			    "refusing; if this is expected, remove its line "
			    "from %s"), addr, actual, want, known_path));
		return (0);
	}
	fd = open(known_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	/* A file that lost its final newline must not swallow our line. */
	n = snprintf(line, sizeof line, "%s%s %s\n",
	    fd != -1 && tls_file_ends_open(fd) ? "\n" : "", addr, actual);
	off = fd != -1 ? lseek(fd, 0, SEEK_END) : -1;
	if (fd == -1 || off == -1 || write(fd, line, (size_t)n) != n) {
		/* A half-written line would read as a changed certificate. */
		mt_err_set(err, MT_E_IO, _("cannot record fingerprint in %s: "
		    "%s"), known_path, strerror(errno));
		if (off != -1 && ftruncate(fd, off) != 0)
			log_warn("%s: %s", known_path, strerror(errno));
		if (fd != -1)
			close(fd);
		pthread_mutex_unlock(&tls_known_lock);
		return (-1);
	}
	fsync(fd);
	close(fd);
	pthread_mutex_unlock(&tls_known_lock);
	log_info("trusting %s on first use, fingerprint SHA256:%s", addr,
	    actual);
	return (0);
}
