/* The SMTP client the outbound sender uses: one session per thread, kept
 * open across messages, over libetpan's buffered stream and the IMAP
 * module's transport, where TLS is OpenSSL's and the server certificate
 * is always checked unless configured off. The process must ignore
 * SIGPIPE, as for IMAP. */
#ifndef TICKETGATE_SMTP_H
#define TICKETGATE_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/err.h"

enum tg_smtp_security {
	TG_SMTP_SMTPS,    /* TLS from the first byte (port 465) */
	TG_SMTP_STARTTLS, /* port 587, then STARTTLS; refused if not offered */
	TG_SMTP_PLAIN,    /* no TLS at all (port 25): only when configured */
};

/* Everything is borrowed for the duration of tg_smtp_open() only. */
struct tg_smtp_opts {
	const char *host;
	const char *port; /* NULL: 465, 587 or 25 by security */
	enum tg_smtp_security security;
	const char *ca_file; /* PEM bundle; NULL: the system's store */
	bool verify;         /* chain and host name; false only if configured */
	const char *user;    /* NULL: no AUTH */
	const char *password; /* already read from its file; never logged */
	/* EHLO name: a domain or an address literal such as "[192.0.2.1]";
	 * NULL: this host's name if it has a dot, else the local address */
	const char *helo_name;
	int timeout_sec; /* per network wait; <= 0: 30 */
};

/* Where a message was refused. */
enum tg_smtp_stage {
	TG_SMTP_STAGE_NONE, /* before anything was sent (bad address) */
	TG_SMTP_STAGE_MAIL, /* MAIL FROM */
	TG_SMTP_STAGE_RCPT, /* RCPT TO */
	TG_SMTP_STAGE_DATA, /* the DATA command, or while sending the bytes */
	/* the reply to the whole message; a network failure here leaves it
	 * unknown whether the server took the message */
	TG_SMTP_STAGE_END,
};

/* The server's answer to one message. */
struct tg_smtp_reply {
	int code;       /* 250, 451, 550...; 0: no reply (see permanent) */
	char text[512]; /* the server's words, printable ASCII, lines joined */
	/* 5xx, or refused before sending (code 0); false for 4xx and for
	 * network failures (code 0) */
	bool permanent;
	enum tg_smtp_stage stage;
};

struct tg_smtp;

/* Connects, starts TLS and checks the certificate (chain to ca_file, and
 * host as a DNS name or an IP address) before any SMTP byte, says EHLO,
 * and authenticates with AUTH PLAIN (or AUTH LOGIN when only that is
 * offered) when user is set. Returns 0 with *s_r set, or -1 with err
 * filled: temporary for network failures and 4xx replies, permanent for a
 * refused certificate (the message names the host and OpenSSL's reason),
 * a missing STARTTLS or AUTH, a refused login or a 5xx greeting. The
 * password never appears in err. */
TG_MUST_CHECK int tg_smtp_open(const struct tg_smtp_opts *o,
			       struct tg_smtp **s_r, struct tg_err *err);
/* Says QUIT if the session is usable (waiting 5 s at most, or less with a
 * shorter timeout) and frees; accepts NULL and *sp == NULL, and sets *sp
 * to NULL. */
void tg_smtp_close(struct tg_smtp **sp);

/* Sends raw[0..len) (CRLF lines, not dot-stuffed; a bare CR or LF goes out
 * as CRLF, so only CRLF text arrives byte for byte; 8-bit bytes are sent
 * as they are, declared BODY=8BITMIME where offered) from the envelope
 * sender from ("" for the null sender <>) to rcpts[0..n), n >= 1.
 * Addresses are printable ASCII without spaces or angle brackets, at most
 * 254 bytes. Returns 0 once the server accepted the message (reply holds
 * its final answer), or -1 with reply saying which stage refused it and
 * how, and err filled: temporary for 4xx and network failures, permanent
 * for 5xx and bad addresses. A refused RCPT fails the whole message, since
 * each message goes to one recipient: a partial delivery is never left to
 * sort out. After a 4xx or 5xx the session is reset (RSET) and serves the
 * next message; after a network failure or a reply out of step it is not
 * usable any more: close it and open another. */
TG_MUST_CHECK int tg_smtp_send(struct tg_smtp *s, const char *from,
			       const char *const *rcpts, size_t n,
			       const char *raw, size_t len,
			       struct tg_smtp_reply *reply, struct tg_err *err);

/* False after a network failure or a reply out of step. */
bool tg_smtp_usable(const struct tg_smtp *s);

#endif
