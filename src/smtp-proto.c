/* SMTP commands, message bytes and replies over libetpan's buffered
 * stream: a reply is read line by line with limits on line length and
 * count, and its code decides whether a failure is temporary or permanent.
 * Parses untrusted input: the server's replies. */
#include "smtp-private.h"

#include <stdio.h>
#include <string.h>

/* The link failed (or was never up): the session is over. */
static void
lost(struct tg_smtp *s, const char *fallback)
{
	const char *link = tg_imap_net_error(s->net);

	snprintf(s->why, sizeof(s->why), "%s", *link ? link : fallback);
	s->usable = false;
	s->code = 0;
}

int
tg_smtp_write(struct tg_smtp *s, const char *cmd, size_t len)
{
	if (mailstream_write(s->stream, cmd, len) < 0 ||
	    mailstream_flush(s->stream) < 0) {
		lost(s, "cannot send");
		return -1;
	}
	return 0;
}

/* mailstream_send_data (what libetpan's mailsmtp_data_message uses) turns
 * a bare CR or LF into CRLF, doubles a dot that starts a line, and always
 * ends with CRLF "." CRLF: the message's own last line ending is left to
 * it, or it would arrive as an extra empty line. */
int
tg_smtp_write_message(struct tg_smtp *s, const char *raw, size_t len)
{
	if (len == 0) /* nothing at all, not even an empty line */
		return tg_smtp_write(s, ".\r\n", 3);
	if (len >= 2 && raw[len - 2] == '\r' && raw[len - 1] == '\n')
		len -= 2;
	else if (raw[len - 1] == '\n' || raw[len - 1] == '\r')
		len--;
	if (mailstream_send_data(s->stream, raw, len, 0, NULL) < 0) {
		lost(s, "cannot send");
		return -1;
	}
	return 0;
}

/* Appends src to dst[0..*n), made printable, up to max bytes: server
 * text ends up in error messages and logs. */
static void
put_printable(char *dst, size_t *n, size_t max, const char *src)
{
	for (; *src != '\0' && *n < max; src++) {
		unsigned char c = (unsigned char)*src;

		dst[(*n)++] = c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	dst[*n] = '\0';
}

/* One line into s->line, without its CRLF (or bare LF). 0, or -1. */
static int
read_line(struct tg_smtp *s)
{
	size_t n = 0;
	char c;

	for (;;) {
		if (mailstream_read(s->stream, &c, 1) != 1) {
			lost(s, "connection closed by the server");
			return -1;
		}
		if (c == '\n')
			break;
		if (n == TG_SMTP_LINE_MAX) {
			snprintf(s->why, sizeof(s->why),
				 "reply line over %d bytes", TG_SMTP_LINE_MAX);
			s->usable = false; /* the rest of it is still coming */
			return -1;
		}
		s->line[n++] = c;
	}
	if (n > 0 && s->line[n - 1] == '\r')
		n--;
	s->line[n] = '\0';
	return 0;
}

/* "NNN text" (last line) or "NNN-text": the code, or 0 if malformed. */
static int
line_code(const char *l, bool *more_r)
{
	if (l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9' ||
	    (l[3] != ' ' && l[3] != '-' && l[3] != '\0'))
		return 0;
	*more_r = l[3] == '-';
	return (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
}

static int
unreadable(struct tg_smtp *s)
{
	char shown[64];
	size_t n = 0;

	put_printable(shown, &n, sizeof(shown) - 1, s->line);
	snprintf(s->why, sizeof(s->why), "unreadable reply \"%s\"", shown);
	s->usable = false;
	s->code = 0;
	return 0;
}

int
tg_smtp_read_reply(struct tg_smtp *s, tg_smtp_line_cb *cb)
{
	size_t n = 0, max = sizeof(s->text) - 1;
	bool more = true;
	int code = 0;

	s->text[0] = '\0';
	s->code = 0;
	for (int i = 0; more; i++) {
		const char *text;
		int c;

		if (i == TG_SMTP_LINES_MAX) {
			snprintf(s->why, sizeof(s->why),
				 "reply of over %d lines", TG_SMTP_LINES_MAX);
			s->usable = false;
			return 0;
		}
		if (read_line(s) < 0)
			return 0;
		c = line_code(s->line, &more);
		if (c == 0 || (code != 0 && c != code))
			return unreadable(s);
		code = c;
		text = s->line[3] != '\0' ? s->line + 4 : "";
		if (n > 0 && n < max && *text != '\0')
			s->text[n++] = ' '; /* lines joined */
		put_printable(s->text, &n, max, text);
		if (i > 0 && cb != NULL)
			cb(s, text);
	}
	s->code = code;
	return code;
}

int
tg_smtp_ask(struct tg_smtp *s, const char *cmd)
{
	if (tg_smtp_write(s, cmd, strlen(cmd)) < 0)
		return 0;
	return tg_smtp_read_reply(s, NULL);
}

int
tg_smtp_fail(struct tg_smtp *s, const char *what, struct tg_err *err)
{
	const char *text = s->text[0] ? s->text : "(no text)";

	if (s->code == 0) {
		s->usable = false;
		return tg_err_set_temp(err, "%s on %s failed: %s", what,
				       s->host, s->why);
	}
	if (s->code == 421) /* the server is closing the connection */
		s->usable = false;
	if (s->code >= 400 && s->code < 500)
		return tg_err_set_temp(err, "%s refused by %s: %d %s", what,
				       s->host, s->code, text);
	if (s->code >= 500)
		return tg_err_set(err, "%s refused by %s: %d %s", what, s->host,
				  s->code, text);
	s->usable = false; /* a 2xx or 3xx where it makes no sense */
	return tg_err_set_temp(err, "%s on %s: unexpected reply %d %s", what,
			       s->host, s->code, text);
}
