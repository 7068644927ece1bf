/* Wake-up hints: a small HTTP request that says "new mail in this IMAP
 * user's folder", sent by the IMAP server the moment it stores a message
 * (Dovecot's push_notification Lua driver, contrib/dovecot/). The worker
 * of that folder stops waiting and searches at once instead of after
 * IDLE's notice (Dovecot delays it by half a second) or the polling
 * interval. A hint carries no mail and is never trusted as a list: it
 * only starts a search, which IDLE or polling would start anyway.
 *
 * This file is the pure part: parsing the request and matching it to a
 * mailbox. serve-wake.c listens. */
#ifndef TICKETGATE_WAKE_H
#define TICKETGATE_WAKE_H

#include <stdbool.h>
#include <stddef.h>

/* The request line and headers; a longer head is refused (431). */
#define TG_WAKE_HEAD_MAX 8192
/* A body is read and ignored; a longer one is refused (413). */
#define TG_WAKE_BODY_MAX 65536
/* The user and folder names, with their NUL. */
#define TG_WAKE_NAME_MAX 256

/* "POST /wake?user=U&mailbox=M HTTP/1.1": both parameters are optional
 * (a missing one matches every user or folder) and percent-decoded. */
struct tg_wake_req {
	char user[TG_WAKE_NAME_MAX];
	char mailbox[TG_WAKE_NAME_MAX];
	bool has_user, has_mailbox;
	size_t head_len;       /* bytes up to and with the empty line */
	size_t content_length; /* the body that follows the head */
};

/* Parses the head at the start of buf[0..len). Returns 0 while the head
 * is incomplete (read more), else the HTTP status to answer with: 204 for
 * a well-formed hint (*r filled in; the caller may still answer 404 when
 * no mailbox matches), 400, 404 (another path), 405 (not POST), 411
 * (chunked body), 413, 414 (a name too long), 431 or 505. */
int tg_wake_parse(const char *buf, size_t len, struct tg_wake_req *r);

/* Whether the hint names the folder `folder` of IMAP user `user`. User
 * names compare without case; folder names exactly, but INBOX in any
 * case (RFC 3501 5.1). */
bool tg_wake_matches(const struct tg_wake_req *r, const char *user,
		     const char *folder);

/* The reason phrase of a status tg_wake_parse() or the listener answers
 * with. */
const char *tg_wake_reason(int status);

#endif
