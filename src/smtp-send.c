/* One message over an open SMTP session: MAIL, RCPT, DATA, the bytes
 * (smtp-proto.c) and the final reply; after a refusal, RSET, so that the
 * session serves the next message. Parses untrusted input: the server's
 * replies (smtp-proto.c). */
#include "smtp-private.h"

#include <stdio.h>
#include <string.h>

/* RFC 5321 4.5.3.1.3: a path is at most 256 bytes with its brackets. */
#define ADDRESS_MAX 254

/* Printable ASCII without spaces or brackets: no SMTPUTF8, and nothing
 * that could end the command line early or add parameters to it. */
static bool
valid_address(const char *a)
{
	size_t len = strlen(a);

	if (len > ADDRESS_MAX)
		return false;
	for (; *a != '\0'; a++)
		if ((unsigned char)*a <= 0x20 || (unsigned char)*a >= 0x7f ||
		    *a == '<' || *a == '>')
			return false;
	return true;
}

/* Refuses, permanently and before anything is sent, what no server could
 * take from us. */
static int
check_envelope(const char *from, const char *const *rcpts, size_t n,
	       struct tg_smtp_reply *reply, struct tg_err *err)
{
	const char *bad = valid_address(from) ? NULL : from;
	char shown[81];
	size_t i;

	for (i = 0; bad == NULL && i < n; i++)
		if (*rcpts[i] == '\0' || !valid_address(rcpts[i]))
			bad = rcpts[i];
	if (n > 0 && bad == NULL)
		return 0;
	reply->permanent = true;
	snprintf(reply->text, sizeof(reply->text), "%s",
		 n == 0 ? "no recipients" : "bad address");
	if (n == 0)
		return tg_err_set(err, "SMTP: a message without recipients");
	/* the address may come from a stranger's mail: shown harmless */
	for (i = 0; bad[i] != '\0' && i + 1 < sizeof(shown); i++)
		shown[i] = (unsigned char)bad[i] < 0x20 ||
					   (unsigned char)bad[i] > 0x7e
				   ? '?'
				   : bad[i];
	shown[i] = '\0';
	return tg_err_set(err,
			  "SMTP: address \"%s\" is not printable ASCII "
			  "without spaces and brackets, or is too long",
			  shown);
}

static bool
has_8bit(const char *raw, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)raw[i] >= 0x80)
			return true;
	return false;
}

/* Fills reply from the session's last reply (or why there was none),
 * err as tg_smtp_fail does, and resets the transaction if the session
 * is still in step. Returns -1. */
static int
refused(struct tg_smtp *s, const char *what, struct tg_smtp_reply *reply,
	struct tg_err *err)
{
	tg_smtp_fail(s, what, err);
	reply->code = s->code;
	snprintf(reply->text, sizeof(reply->text), "%s",
		 s->code != 0 ? s->text : s->why);
	reply->permanent = s->code >= 500;
	/* after the final reply there is no transaction left to reset */
	if (s->usable && reply->stage != TG_SMTP_STAGE_END &&
	    tg_smtp_ask(s, "RSET\r\n") != 250)
		s->usable = false;
	return -1;
}

static int
envelope(struct tg_smtp *s, const char *from, const char *const *rcpts,
	 size_t n, const char *raw, size_t len, struct tg_smtp_reply *reply,
	 struct tg_err *err)
{
	char cmd[ADDRESS_MAX + 80];
	size_t base;

	reply->stage = TG_SMTP_STAGE_MAIL;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>", from);
	base = strlen(cmd);
	/* the server may refuse an oversized message before it is sent */
	if (s->size)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 " SIZE=%zu", len);
	if (s->eightbitmime && has_8bit(raw, len))
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 " BODY=8BITMIME");
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "\r\n");
	if (tg_smtp_ask(s, cmd) / 100 != 2) {
		cmd[base] = '\0'; /* without the parameters */
		return refused(s, cmd, reply, err);
	}
	reply->stage = TG_SMTP_STAGE_RCPT;
	for (size_t i = 0; i < n; i++) {
		snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", rcpts[i]);
		if (tg_smtp_ask(s, cmd) / 100 != 2) {
			cmd[strcspn(cmd, "\r")] = '\0';
			return refused(s, cmd, reply, err);
		}
	}
	return 0;
}

int
tg_smtp_send(struct tg_smtp *s, const char *from, const char *const *rcpts,
	     size_t n, const char *raw, size_t len, struct tg_smtp_reply *reply,
	     struct tg_err *err)
{
	memset(reply, 0, sizeof(*reply));
	if (!s->usable) {
		snprintf(reply->text, sizeof(reply->text), "not connected");
		return tg_err_set_temp(err,
				       "SMTP session to %s failed before: "
				       "open another",
				       s->host);
	}
	if (check_envelope(from, rcpts, n, reply, err) < 0 ||
	    envelope(s, from, rcpts, n, raw, len, reply, err) < 0)
		return -1;
	reply->stage = TG_SMTP_STAGE_DATA;
	if (tg_smtp_ask(s, "DATA\r\n") != 354)
		return refused(s, "DATA", reply, err);
	if (tg_smtp_write_message(s, raw, len) < 0)
		return refused(s, "sending the message", reply, err);
	reply->stage = TG_SMTP_STAGE_END;
	if (tg_smtp_read_reply(s, NULL) / 100 != 2)
		return refused(s,
			       s->code != 0 ? "message"
					    : "the reply to the message "
					      "(delivered or not: unknown)",
			       reply, err);
	reply->code = s->code;
	snprintf(reply->text, sizeof(reply->text), "%s", s->text);
	return 0;
}
