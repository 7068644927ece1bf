/* Shared by the IMAP module's files: the session (imap.c, imap-msg.c) and
 * the transport under libetpan, which does TCP (imap-net.c) and OpenSSL
 * (imap-tls.c) itself. */
#ifndef TICKETGATE_IMAP_PRIVATE_H
#define TICKETGATE_IMAP_PRIVATE_H

#include "ticketgate/imap.h"

#include <libetpan/libetpan.h>
#include <openssl/ssl.h>

/* One connection: libetpan's stream reads and writes through it. */
struct tg_imap_net {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl; /* NULL while plain */
	int timeout_ms;
	bool failed;    /* after a failure every read and write fails at once */
	bool tls_error; /* the failure was TLS protocol, not the network */
	char error[192];
};

struct tg_imap {
	mailimap *imap;
	struct tg_imap_net *net; /* owned by imap's stream */
	char *host;              /* for error messages */
	bool has_idle, has_move, has_uidplus;
};

/* Connects to host:port over TCP within timeout_ms and wraps the socket in
 * a libetpan stream whose reads and writes go through net (plain until
 * tg_imap_net_start_tls). The stream owns net: closing it frees both. */
TG_MUST_CHECK int tg_imap_net_open(const char *host, const char *port,
				   int timeout_ms, mailstream **stream_r,
				   struct tg_imap_net **net_r,
				   struct tg_err *err);
/* Runs the TLS handshake on net's socket; with verify, the chain must lead
 * to ca_file (NULL: the system store) and the certificate must name host
 * (DNS name or IP address), or the handshake fails before any data. */
TG_MUST_CHECK int tg_imap_net_start_tls(struct tg_imap_net *net,
					const char *host, const char *ca_file,
					bool verify, struct tg_err *err);
int tg_imap_net_fd(const struct tg_imap_net *net);
/* True when TLS holds decrypted bytes that poll() on the socket misses. */
bool tg_imap_net_pending(const struct tg_imap_net *net);
/* Why the last read or write failed ("" if none did). */
const char *tg_imap_net_error(const struct tg_imap_net *net);
void tg_imap_net_set_timeout(struct tg_imap_net *net, int timeout_ms);
/* Records why the link failed in net->error; returns -1. */
int tg_imap_net_fail(struct tg_imap_net *net, const char *fmt, ...)
	TG_PRINTF(2, 3);
/* Waits until the socket is ready for events (POLLIN, POLLOUT) within the
 * timeout: 0, or -1 after tg_imap_net_fail. */
int tg_imap_net_wait(struct tg_imap_net *net, short events);
/* After an SSL call returned ret <= 0: waits for what it needs and returns
 * 0 to retry, or -1 after tg_imap_net_fail. */
int tg_imap_tls_retry(struct tg_imap_net *net, int ret, const char *what);
/* Aborts when libetpan could not allocate (as tg_xmalloc does). */
void *tg_imap_need(void *p);

/* Turns libetpan's result r of the command named what into err: lost
 * connections are temporary, refusals by the server permanent (with its
 * reply text, made printable). Returns -1. */
int tg_imap_fail(struct tg_imap *im, int r, const char *what,
		 struct tg_err *err);

#endif
