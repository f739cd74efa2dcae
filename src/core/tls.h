/*
 * tls.h: TLS 1.3 for tracker connections, with pinned self-signed
 * certificates.
 *
 * A tracker makes an EC P-256 key and a self-signed certificate on first
 * start and keeps them (mode 0600) in its state directory.  Nobody checks
 * a certificate chain: a certificate is known by the SHA-256 of its DER
 * encoding, printed as 64 lowercase hex digits, and the other side
 * compares it to a pinned value: one given up front, else the one
 * remembered on first contact in a known-trackers file of "ADDR FPR"
 * lines, as ssh does with known_hosts.  A changed certificate is refused
 * with MT_E_TLS.
 *
 * OpenSSL types are only forward-declared here; include <openssl/ssl.h>
 * to use them.  All functions are thread-safe.
 */
#ifndef MT_TLS_H
#define MT_TLS_H

#include <stddef.h>
#include <stdint.h>

struct mt_err;
struct ssl_st;
struct ssl_ctx_st;

#define TLS_FPR_LEN	64	/* hex digits of a SHA-256 fingerprint */

struct tls_identity;

/*
 * Load the key and certificate at key_path and cert_path, making them
 * (P-256, self-signed, files 0600, written atomically) if the key does not
 * exist yet.  Returns a new identity (free with tls_identity_free()), or
 * NULL with MT_E_TLS or MT_E_IO.
 */
struct tls_identity *tls_identity_load(const char *key_path,
		     const char *cert_path, struct mt_err *err);
void		 tls_identity_free(struct tls_identity *id);
/* The certificate's fingerprint (64 lowercase hex, NUL-terminated). */
const char	*tls_identity_fingerprint(const struct tls_identity *id);

/*
 * A server context: TLS 1.3 only, this identity's certificate, asks the
 * other side for a certificate (partner trackers send theirs; clients
 * need not).  Free with tls_ctx_free().  NULL with MT_E_TLS.
 */
struct ssl_ctx_st *tls_ctx_server(const struct tls_identity *id,
		     struct mt_err *err);
/*
 * A client context: TLS 1.3 only; presents id's certificate if id is not
 * NULL (partner links).  The server's certificate is accepted by the
 * handshake and must be checked afterwards with tls_pin_check().
 */
struct ssl_ctx_st *tls_ctx_client(const struct tls_identity *id,
		     struct mt_err *err);
void		 tls_ctx_free(struct ssl_ctx_st *ctx);

/*
 * A new TLS session on the non-blocking socket fd (server or client side),
 * doing its I/O with MSG_NOSIGNAL.  The fd stays the caller's to close.
 * Free with tls_free().  NULL with MT_E_TLS.
 */
struct ssl_st	*tls_new(struct ssl_ctx_st *ctx, int fd, int server,
		     struct mt_err *err);
void		 tls_free(struct ssl_st *ssl);

/*
 * Drive the handshake of ssl on fd until done, the deadline (monotonic
 * ms) or cancel_fd readable.  0, or -1 with MT_E_TLS / MT_E_TIMEOUT /
 * MT_E_NET.
 */
int		 tls_handshake(struct ssl_st *ssl, int fd, uint64_t deadline_ms,
		     int cancel_fd, struct mt_err *err);

/* The other side's certificate fingerprint into out; -1 if it sent none. */
int		 tls_peer_fingerprint(struct ssl_st *ssl,
		     char out[TLS_FPR_LEN + 1]);

/*
 * Normalise a fingerprint as users write it ("SHA256:" prefix, upper case
 * or colons allowed) to 64 lowercase hex.  0, or -1 if it is not one.
 */
int		 tls_fpr_normalize(const char *in, char out[TLS_FPR_LEN + 1]);

/*
 * Decide whether actual is acceptable for addr: equal to expected if that
 * is set (non-NULL, non-empty); else, with a known-trackers file
 * (known_path non-NULL, non-empty), equal to the one recorded for addr,
 * or recorded now if addr is new (trust on first use).  With neither,
 * anything is accepted.  0, or -1 with MT_E_TLS (mismatch) or MT_E_IO
 * (a new one could not be recorded: nothing of it is left in the file).
 */
int		 tls_pin_check(const char *known_path, const char *addr,
		     const char *expected, const char *actual,
		     struct mt_err *err);

/* Look addr up in a known-trackers file: 0 and out filled, or -1. */
int		 tls_pin_lookup(const char *known_path, const char *addr,
		     char out[TLS_FPR_LEN + 1]);

#endif /* MT_TLS_H */
