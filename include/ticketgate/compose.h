/* The mail the gateway writes: an RFC 5322/MIME message built from plain
 * fields, with the headers automatic mail must carry (auto-mail-rules.md
 * section F). Pure: no I/O; the caller sends the bytes. */
#ifndef TICKETGATE_COMPOSE_H
#define TICKETGATE_COMPOSE_H

#include <stddef.h>
#include <stdint.h>
#include "ticketgate/buf.h"
#include "ticketgate/err.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"

/* Room msgid_r needs: a UUID, '@' and the longest DNS name. */
#define TG_COMPOSE_MSGID_SIZE 128

enum tg_compose_kind {
	TG_COMPOSE_REPLY,      /* an agent's answer relayed: a person's mail */
	TG_COMPOSE_AUTO_REPLY, /* acknowledgement: auto-replied */
	TG_COMPOSE_AUTO_GENERATED, /* notices, feedback requests */
};

/* Everything is borrowed for the duration of the call. Texts are UTF-8;
 * invalid bytes are read as Windows-1252, as the parser does. */
struct tg_compose {
	enum tg_compose_kind kind;
	const char *from_name;    /* display name, may be non-ASCII, or NULL */
	const char *from_address; /* the support address written to */
	const char *reply_to;     /* signed reply address, or NULL */
	const char *to_name;      /* or NULL */
	const char *to_address;
	const char *const *cc; /* addresses */
	size_t n_cc;
	const char *subject; /* final, with the token (tg_compose_subject) */
	/* Message-IDs without <>. Ids that are not printable ASCII without
	 * blanks or <>, or longer than 250 bytes, are left out: they come
	 * from other people's mail and must not stop ours. References keep
	 * the first and the last 19; in_reply_to is added as the last one
	 * when it is not already there. */
	const char *in_reply_to; /* or NULL */
	const char *const *references;
	size_t n_references;
	const char *msgid_domain; /* right-hand side of our Message-ID */
	const char *loop_id;      /* X-Ticketgate-Loop value: instance id */
	const char *text;         /* body, any line endings */
	const char *html;         /* alternative HTML body, or NULL */
	int64_t date;             /* Unix seconds, written in UTC (+0000) */
	/* "Name: value" lines: printable ASCII, no header this module writes
	 * itself, never List-Unsubscribe (replies would look like list mail).
	 */
	const char *const *extra_headers;
	size_t n_extra;
};

/* Appends the whole message (CRLF line endings, every line at most 998
 * bytes, headers folded at 78 where they can be) to out, and copies the
 * new Message-ID (random, without <>) to msgid_r, which needs
 * TG_COMPOSE_MSGID_SIZE bytes. Names and the subject are stripped of
 * control characters (CR/LF included), so no value can start a header of
 * its own. Returns 0, or -1 with err filled and out as it was: an invalid
 * address, domain, loop id or extra header, a date out of range, or out's
 * cap reached. */
TG_MUST_CHECK int tg_compose_message(const struct tg_compose *c,
				     struct tg_buf *out, char *msgid_r,
				     size_t msgid_size, struct tg_err *err);

/* The subject with exactly one "[#number]" token, placed after a single
 * reply or forward prefix: "Re: Re: AW: printer [#42]" becomes
 * "Re: [#42] printer". Reply prefixes (Re, AW, SV, RES ...) become "Re:",
 * forward prefixes (Fwd, WG, ENC ...) "Fwd:"; other tokens are kept.
 * Whitespace and control characters collapse to single spaces. number
 * must be positive (else the subject comes back only cleaned). The result
 * is a pool string. */
const char *tg_compose_subject(struct tg_pool *pool, int64_t number,
			       const char *subject);

#endif
