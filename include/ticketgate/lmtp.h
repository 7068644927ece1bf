/* LMTP (RFC 2033), the server's side, as a pure state machine: bytes in,
 * replies and finished messages out, no I/O. The listener (serve-lmtp.c)
 * reads the socket, feeds what it read and writes the replies; `deliver`
 * talks to that listener through the small client at the end. */
#ifndef TICKETGATE_LMTP_H
#define TICKETGATE_LMTP_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/buf.h"
#include "ticketgate/util.h"

/* A command line with its CRLF (RFC 5321 4.5.3.1.4). */
#define TG_LMTP_LINE_MAX 512
/* Recipients of one transaction; more get 452 4.5.3. */
#define TG_LMTP_RCPT_MAX 100

/* Whether addr (as the client wrote it, without brackets) is one we
 * accept mail for. */
typedef bool (*tg_lmtp_known_fn)(const void *ctx, const char *addr);

enum tg_lmtp_state {
	TG_LMTP_GREETED, /* before LHLO */
	TG_LMTP_READY,   /* after LHLO, no transaction */
	TG_LMTP_MAIL,    /* MAIL accepted; RCPTs may follow */
	TG_LMTP_DATA,    /* reading the message */
	TG_LMTP_QUIT,    /* QUIT answered: close */
};

/* What the caller must do after tg_lmtp_feed(). */
enum tg_lmtp_step {
	TG_LMTP_NEED_INPUT, /* all input used: send out, then read more */
	TG_LMTP_MESSAGE,    /* a message is complete: deliver it to each of
			       rcpts, add one reply each to out, then call
			       tg_lmtp_end_transaction() and feed the rest */
	TG_LMTP_CLOSE,      /* send out, then close the connection */
};

/* One session. Embedded by the caller (tg_lmtp_init/_deinit); the caller
 * reads the fields below and changes none of them. */
struct tg_lmtp {
	enum tg_lmtp_state state;
	struct tg_buf out; /* replies not yet sent, CRLF-terminated */

	/* the transaction */
	char *sender; /* MAIL FROM's address, "" for <> */
	char **rcpts; /* the accepted RCPT TO addresses, in order */
	size_t n_rcpts;
	char *data;        /* the message, dot-unstuffed; at most
			      max_bytes + 1 bytes of it are kept */
	size_t data_len;   /* bytes kept in data */
	size_t data_bytes; /* bytes the message had (saturates) */
	bool too_big;      /* data_bytes > max_bytes */

	/* settings */
	const char *hostname;
	size_t max_bytes;
	tg_lmtp_known_fn known;
	const void *known_ctx;

	/* the decoders' positions */
	char line[TG_LMTP_LINE_MAX];
	size_t line_len;
	bool line_long; /* over TG_LMTP_LINE_MAX: skipped to its end */
	int dot;        /* where the DATA decoder is in a line */
	size_t data_cap;
};

/* Starts a session and queues the 220 greeting in s->out. hostname is
 * borrowed for the session's life. known decides RCPT TO. Messages over
 * max_bytes are read to their end but only max_bytes + 1 bytes kept. */
void tg_lmtp_init(struct tg_lmtp *s, const char *hostname, size_t max_bytes,
		  tg_lmtp_known_fn known, const void *known_ctx);
void tg_lmtp_deinit(struct tg_lmtp *s);

/* Consumes in[0..len) up to the next thing the caller must do; *used_r
 * says how much. Replies go to s->out. Never fails: bad input gets its
 * reply. */
enum tg_lmtp_step tg_lmtp_feed(struct tg_lmtp *s, const char *in, size_t len,
			       size_t *used_r);

/* After TG_LMTP_MESSAGE, once every recipient's reply is in s->out:
 * forgets the transaction and its message. */
void tg_lmtp_end_transaction(struct tg_lmtp *s);

/* Appends "code text\r\n" to s->out. For the per-recipient replies. */
void tg_lmtp_reply(struct tg_lmtp *s, const char *code_and_text);

/* The listener's rule for RCPT TO, as a tg_lmtp_known_fn over a struct
 * tg_config: a configured support address, a +tag ignored (as ingest
 * ignores it when it looks the address up). */
bool tg_lmtp_recipient_known(const void *cfg, const char *addr);

/* The client (lmtp-client.c, in the shell), for `deliver`. What became of one
 * message. */
enum tg_lmtp_send_result {
	TG_LMTP_SENT,         /* 250 after DATA: committed */
	TG_LMTP_UNAVAILABLE,  /* nobody listens (ENOENT, ECONNREFUSED...)
				 or greets: nothing was sent, the caller
				 may take another way */
	TG_LMTP_TEMPFAIL,     /* 4xx, or an I/O error after connecting */
	TG_LMTP_NO_SUCH_USER, /* 5xx to RCPT TO */
	TG_LMTP_REFUSED,      /* another 5xx */
};

/* Sends raw[0..len) to recipient over the LMTP socket at path (LHLO,
 * MAIL FROM:<sender>, RCPT TO:<recipient>, DATA dot-stuffed, QUIT), with
 * timeout_s for each read and write. sender may be "" (the null sender).
 * reply_r receives the server's last reply (cleaned of control bytes) or
 * what went wrong. */
enum tg_lmtp_send_result tg_lmtp_send(const char *path, const char *sender,
				      const char *recipient, const char *raw,
				      size_t len, int timeout_s, char *reply_r,
				      size_t reply_size);

#endif
