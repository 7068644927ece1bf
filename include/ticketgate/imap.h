/* The IMAP client the mailbox workers use: one session per thread, over
 * libetpan's protocol code and our own transport, where TLS is OpenSSL's
 * and the server certificate is always checked unless configured off.
 * The process must ignore SIGPIPE (a peer closing a TLS link would kill
 * it otherwise). */
#ifndef TICKETGATE_IMAP_H
#define TICKETGATE_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ticketgate/err.h"

enum tg_imap_security {
	TG_IMAP_IMAPS,    /* TLS from the first byte (port 993) */
	TG_IMAP_STARTTLS, /* port 143, then STARTTLS; refused if not offered */
	TG_IMAP_PLAIN,    /* no TLS at all: only when configured explicitly */
};

enum tg_imap_auth {
	TG_IMAP_AUTH_AUTO,  /* LOGIN, or AUTHENTICATE PLAIN if LOGINDISABLED */
	TG_IMAP_AUTH_LOGIN, /* the LOGIN command */
	TG_IMAP_AUTH_PLAIN, /* AUTHENTICATE PLAIN (Cyrus SASL's plugin) */
};

/* Everything is borrowed for the duration of tg_imap_open() only. */
struct tg_imap_opts {
	const char *host;
	const char *port; /* NULL: 993 for IMAPS, else 143 */
	enum tg_imap_security security;
	const char *ca_file; /* PEM bundle; NULL: the system's store */
	bool verify;         /* chain and host name; false only if configured */
	const char *user;
	const char *password; /* already read from its file; never logged */
	enum tg_imap_auth auth;
	int timeout_sec; /* per network wait; <= 0: 30 */
};

struct tg_imap;

/* Connects, starts TLS and checks the certificate (chain to ca_file, and
 * host as a DNS name or an IP address) before anything is sent, reads the
 * capabilities, logs in and reads them again. Returns 0 with *im_r set,
 * or -1 with err filled: temporary for network failures, permanent for a
 * refused certificate (the message names the host and OpenSSL's reason),
 * a refused login or a missing STARTTLS. The password never appears in
 * err. In every call below, a temporary error means the connection is
 * gone or out of step: close the session and open a new one. */
TG_MUST_CHECK int tg_imap_open(const struct tg_imap_opts *o,
			       struct tg_imap **im_r, struct tg_err *err);
/* Logs out (waiting 5 s at most) and frees; accepts NULL and *imp == NULL,
 * and sets *imp to NULL. */
void tg_imap_close(struct tg_imap **imp);

/* What the server offered after login. */
bool tg_imap_has_idle(const struct tg_imap *im);
bool tg_imap_has_move(const struct tg_imap *im);
bool tg_imap_has_uidplus(const struct tg_imap *im);

/* Selects folder (read-write). *uidnext_r is 0 if the server did not say. */
TG_MUST_CHECK int tg_imap_select(struct tg_imap *im, const char *folder,
				 uint32_t *uidvalidity_r, uint32_t *uidnext_r,
				 struct tg_err *err);

/* UIDs >= first_uid in the selected folder, ascending, in a malloc'd array
 * the caller frees (NULL when *n_r is 0). The highest message that
 * "first:*" always matches on the server is dropped when below first_uid. */
TG_MUST_CHECK int tg_imap_search_from(struct tg_imap *im, uint32_t first_uid,
				      uint32_t **uids_r, size_t *n_r,
				      struct tg_err *err);

/* Called once per fetched message; raw (len bytes, not NUL-terminated) is
 * borrowed until the callback returns. Return 0 to go on, -1 to stop:
 * tg_imap_fetch then fails with a permanent error, and the callback keeps
 * its own reason in ctx. */
typedef int tg_imap_fetch_cb(void *ctx, uint32_t uid, const char *raw,
			     size_t len);

/* The sizes (RFC822.SIZE) of uids[0..n), which must be sorted, unique and
 * non-zero, into sizes[0..n): 0 for a message the server no longer has.
 * One UID FETCH; the sizes are the server's word, a guide for memory. */
TG_MUST_CHECK int tg_imap_sizes(struct tg_imap *im, const uint32_t *uids,
				size_t n, uint32_t *sizes, struct tg_err *err);

/* Fetches the whole messages uids[0..n) (BODY.PEEK[], so \Seen is not set)
 * with one UID FETCH and calls cb for each, in the server's order. The
 * whole batch is held in memory at once: the caller bounds n. UIDs that no
 * longer exist are skipped. */
TG_MUST_CHECK int tg_imap_fetch(struct tg_imap *im, const uint32_t *uids,
				size_t n, tg_imap_fetch_cb *cb, void *ctx,
				struct tg_err *err);

/* Adds \Seen to uids[0..n). */
TG_MUST_CHECK int tg_imap_mark_seen(struct tg_imap *im, const uint32_t *uids,
				    size_t n, struct tg_err *err);
/* Moves uids[0..n) to folder: UID MOVE when offered, else UID COPY,
 * \Deleted and UID EXPUNGE of exactly these UIDs (needs UIDPLUS; without
 * it nothing is changed and the call fails, since a plain EXPUNGE would
 * remove other clients' deleted mail too). */
TG_MUST_CHECK int tg_imap_move(struct tg_imap *im, const uint32_t *uids,
			       size_t n, const char *folder,
			       struct tg_err *err);
/* Removes uids[0..n): \Deleted, then UID EXPUNGE (needs UIDPLUS). */
TG_MUST_CHECK int tg_imap_delete(struct tg_imap *im, const uint32_t *uids,
				 size_t n, struct tg_err *err);

/* Waits in IDLE on the selected folder until the server reports new mail
 * (EXISTS or RECENT: *activity_r true), timeout_ms passes, or wake_fd or
 * nudge_fd (each if >= 0; only polled, never read) becomes readable; then
 * ends IDLE. Other server chatter does not end the wait. Without IDLE on
 * the server it sleeps the same way and then sends NOOP. Keep timeout_ms
 * under the servers' 29-minute limit. Either way the caller searches
 * again afterwards: a wake-up is a hint, not a list. */
TG_MUST_CHECK int tg_imap_idle(struct tg_imap *im, int timeout_ms, int wake_fd,
			       int nudge_fd, bool *activity_r,
			       struct tg_err *err);

/* Without IDLE, by choice or because the server lacks it: waits as
 * tg_imap_idle() does, then sends NOOP, after which a search sees mail
 * stored meanwhile (a server may keep a session's view of the folder as
 * it was until such a command). */
TG_MUST_CHECK int tg_imap_poll(struct tg_imap *im, int timeout_ms,
			       int wake_fd, int nudge_fd, bool *activity_r,
			       struct tg_err *err);

/* Creates folder; a server's NO (it exists, most likely) is no error:
 * whatever else it meant shows at the first use of the folder. */
TG_MUST_CHECK int tg_imap_create(struct tg_imap *im, const char *folder,
				 struct tg_err *err);

/* Appends raw[0..len) to folder (for tests, benchmarks, the quick start).
 * libetpan sends a bare CR or LF as CRLF, so only CRLF text comes back
 * byte for byte. */
TG_MUST_CHECK int tg_imap_append(struct tg_imap *im, const char *folder,
				 const char *raw, size_t len,
				 struct tg_err *err);

#endif
