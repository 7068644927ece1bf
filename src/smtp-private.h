/* Shared by the SMTP module's files: the session (smtp.c), commands and
 * replies (smtp-proto.c), AUTH (smtp-auth.c) and one message's transfer
 * (smtp-send.c). The transport is the IMAP module's (imap-net.c,
 * imap-tls.c): TCP with timeouts and OpenSSL, nothing IMAP-specific. */
#ifndef TICKETGATE_SMTP_PRIVATE_H
#define TICKETGATE_SMTP_PRIVATE_H

#include "ticketgate/smtp.h"
#include "imap-private.h"

/* RFC 5321 allows 512 bytes per reply line; some servers send more. */
#define TG_SMTP_LINE_MAX 2000
/* A reply of more lines than this is a server gone wrong. */
#define TG_SMTP_LINES_MAX 100

struct tg_smtp {
	mailstream *stream;      /* owns net; freed by tg_smtp_close */
	struct tg_imap_net *net; /* timeouts, TLS, why the link failed */
	char *host;              /* for error messages */
	int timeout_ms;
	bool usable; /* false after a network failure or a reply out of step */
	/* what the last EHLO offered */
	bool starttls, auth_plain, auth_login, eightbitmime, size;
	/* the last reply: code 0 when there was none (why says why) */
	int code;
	char text[sizeof(((struct tg_smtp_reply *)0)->text)];
	char why[160];
	char line[TG_SMTP_LINE_MAX + 1]; /* the reader's scratch */
};

/* Called for each line of a reply after the first (EHLO's keywords), with
 * the text after the code. */
typedef void tg_smtp_line_cb(struct tg_smtp *s, const char *text);

/* Writes cmd[0..len) (with its CRLF) and flushes. 0, or -1 with the
 * session marked unusable and s->why set. */
int tg_smtp_write(struct tg_smtp *s, const char *cmd, size_t len);
/* Writes raw[0..len) after DATA's 354, dot-stuffed, with bare CR and LF
 * as CRLF, and the final "."; 0, or -1 as tg_smtp_write. */
int tg_smtp_write_message(struct tg_smtp *s, const char *raw, size_t len);
/* Reads one whole reply into s->code and s->text and returns the code;
 * 0 when the link failed or the reply was unreadable (the session is then
 * unusable, and s->why says why). */
int tg_smtp_read_reply(struct tg_smtp *s, tg_smtp_line_cb *cb);
/* Sends the NUL-terminated cmd and reads its reply: the code, or 0. */
int tg_smtp_ask(struct tg_smtp *s, const char *cmd);

/* Turns the last reply to what into err and returns -1: no reply is a
 * temporary network failure; 4xx temporary, 5xx permanent, both with the
 * code and the server's words; 421 and codes that make no sense at this
 * point also leave the session unusable. */
int tg_smtp_fail(struct tg_smtp *s, const char *what, struct tg_err *err);

/* AUTH PLAIN, or AUTH LOGIN when only that is offered. */
TG_MUST_CHECK int tg_smtp_auth(struct tg_smtp *s, const char *user,
			       const char *password, struct tg_err *err);

#endif
