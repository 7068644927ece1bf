/* TLS for the IMAP transport, with OpenSSL: Debian's libetpan does TLS
 * with GnuTLS and checks no certificate at all, so its TLS is never used.
 * Here the handshake itself verifies the chain and the host name, and
 * fails before any IMAP byte is sent or read. */
#include "imap-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* OpenSSL's first queued error, as text. */
static void
openssl_reason(char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		snprintf(buf, size, "unknown error");
	else
		ERR_error_string_n(e, buf, size);
	ERR_clear_error();
}

int
tg_imap_tls_retry(struct tg_imap_net *net, int ret, const char *what)
{
	int saved_errno = errno;
	char reason[160];

	switch (SSL_get_error(net->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return tg_imap_net_wait(net, POLLIN);
	case SSL_ERROR_WANT_WRITE:
		return tg_imap_net_wait(net, POLLOUT);
	case SSL_ERROR_ZERO_RETURN:
		return tg_imap_net_fail(net, "connection closed by the server");
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		return tg_imap_net_fail(net, "%s: %s", what,
					saved_errno ? strerror(saved_errno)
						    : "connection closed");
	default:
		openssl_reason(reason, sizeof(reason));
		net->tls_error = true;
		return tg_imap_net_fail(net, "%s: %s", what, reason);
	}
}

static bool
is_ip_literal(const char *host)
{
	unsigned char addr[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, addr) == 1 ||
	       inet_pton(AF_INET6, host, addr) == 1;
}

static int
tls_failed_setup(struct tg_imap_net *net, const char *what, const char *arg,
		 struct tg_err *err)
{
	char reason[160];

	openssl_reason(reason, sizeof(reason));
	net->failed = true; /* never fall back to talking without TLS */
	return tg_err_set(err, "TLS setup: %s%s: %s", what, arg, reason);
}

/* Whom the certificate must name: an IP literal is checked against the
 * IP addresses, anything else against the DNS names (and sent as SNI). */
static int
tls_set_peer_name(struct tg_imap_net *net, const char *host, bool verify,
		  struct tg_err *err)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(net->ssl);

	if (is_ip_literal(host)) {
		if (verify && X509_VERIFY_PARAM_set1_ip_asc(param, host) != 1)
			return tls_failed_setup(net, "bad IP address ", host,
						err);
		return 0;
	}
	if (SSL_set_tlsext_host_name(net->ssl, host) != 1)
		return tls_failed_setup(net, "bad host name ", host, err);
	if (!verify)
		return 0;
	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_host(param, host, 0) != 1)
		return tls_failed_setup(net, "bad host name ", host, err);
	return 0;
}

static int
tls_setup(struct tg_imap_net *net, const char *host, const char *ca_file,
	  bool verify, struct tg_err *err)
{
	int loaded;

	net->ctx = SSL_CTX_new(TLS_client_method());
	if (net->ctx == NULL)
		return tls_failed_setup(net, "no context", "", err);
	if (SSL_CTX_set_min_proto_version(net->ctx, TLS1_2_VERSION) != 1)
		return tls_failed_setup(net, "protocol version", "", err);
	/* libetpan loops over partial writes itself */
	SSL_CTX_set_mode(net->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	if (verify) {
		SSL_CTX_set_verify(net->ctx, SSL_VERIFY_PEER, NULL);
		loaded = ca_file != NULL
				 ? SSL_CTX_load_verify_file(net->ctx, ca_file)
				 : SSL_CTX_set_default_verify_paths(net->ctx);
		if (loaded != 1)
			return tls_failed_setup(net, "cannot load CA file ",
						ca_file ? ca_file : "(system)",
						err);
	}
	net->ssl = SSL_new(net->ctx);
	if (net->ssl == NULL || SSL_set_fd(net->ssl, net->fd) != 1)
		return tls_failed_setup(net, "no session", "", err);
	return tls_set_peer_name(net, host, verify, err);
}

static int
handshake_failed(struct tg_imap_net *net, const char *host, bool verify,
		 struct tg_err *err)
{
	long v = SSL_get_verify_result(net->ssl);

	if (verify && v != X509_V_OK)
		return tg_err_set(err, "TLS certificate of %s refused: %s",
				  host, X509_verify_cert_error_string(v));
	if (net->tls_error)
		return tg_err_set(err, "TLS handshake with %s failed: %s", host,
				  net->error);
	return tg_err_set_temp(err, "TLS handshake with %s failed: %s", host,
			       net->error);
}

int
tg_imap_net_start_tls(struct tg_imap_net *net, const char *host,
		      const char *ca_file, bool verify, struct tg_err *err)
{
	if (tls_setup(net, host, ca_file, verify, err) < 0)
		return -1;
	for (;;) {
		int r;

		ERR_clear_error();
		errno = 0;
		r = SSL_connect(net->ssl);
		if (r == 1)
			return 0;
		if (tg_imap_tls_retry(net, r, "handshake") < 0)
			return handshake_failed(net, host, verify, err);
	}
}

bool
tg_imap_net_pending(const struct tg_imap_net *net)
{
	return net->ssl != NULL && SSL_has_pending(net->ssl) == 1;
}
