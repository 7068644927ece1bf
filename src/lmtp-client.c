/* The client side of LMTP, as `deliver` needs it: one message to one
 * recipient over the daemon's Unix socket, with a timeout on every read
 * and write. Plain sockets; the server's replies are read within limits
 * (they are the daemon's, but still bytes from elsewhere). */
#include "ticketgate/fdio.h"
#include "ticketgate/lmtp.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* How long a greeting may take before the caller goes its other way. */
#define GREETING_MS 5000

struct conn {
	int fd;
	int timeout_ms;
	char in[1024]; /* replies not yet read */
	size_t have, off;
	char *reply; /* the last reply line, cleaned */
	size_t reply_size;
	bool broken;     /* a read or write failed: say nothing more */
	bool pipelining; /* the LHLO reply offered PIPELINING */
};

static void
note(struct conn *c, const char *what)
{
	snprintf(c->reply, c->reply_size, "%s", what);
}

static int
send_all(struct conn *c, const char *p, size_t n)
{
	if (tg_fd_send_all(c->fd, p, n, c->timeout_ms) == 0)
		return 0;
	note(c, "writing to the daemon failed or timed out");
	c->broken = true;
	return -1;
}

static int
next_byte(struct conn *c)
{
	if (c->off == c->have) {
		struct pollfd pf = {.fd = c->fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pf, 1, c->timeout_ms) <= 0) {
			c->broken = true;
			return -1;
		}
		do
			n = recv(c->fd, c->in, sizeof(c->in), 0);
		while (n < 0 && (errno == EINTR || errno == EAGAIN));
		if (n <= 0) {
			c->broken = true;
			return -1;
		}
		c->have = (size_t)n;
		c->off = 0;
	}
	return (unsigned char)c->in[c->off++];
}

/* Reads a whole reply (its continuation lines too) and returns its code,
 * or -1; the last line, cleaned of control bytes, lands in c->reply. */
static int
read_reply(struct conn *c)
{
	for (;;) {
		char line[TG_LMTP_LINE_MAX];
		size_t n = 0;
		int ch;

		while ((ch = next_byte(c)) >= 0 && ch != '\n')
			if (ch != '\r' && n < sizeof(line) - 1)
				line[n++] =
					ch >= ' ' && ch < 0x7f ? (char)ch : '?';
		if (ch < 0) {
			note(c, "no reply from the daemon");
			return -1;
		}
		line[n] = '\0';
		if (n == 14 && strncmp(line, "250", 3) == 0 &&
		    tg_ascii_strcasecmp(line + 4, "PIPELINING") == 0)
			c->pipelining = true;
		if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (line[3] != ' ' && line[3] != '-' && line[3] != '\0')) {
			note(c, "a reply that is not LMTP");
			return -1;
		}
		if (line[3] != '-') {
			note(c, line);
			return (line[0] - '0') * 100 + (line[1] - '0') * 10 +
			       (line[2] - '0');
		}
	}
}

/* Appends "verb<arg>\r\n" (arg NULL: the verb alone) to out[*len..];
 * -1 when the line is over LMTP's limit. */
static int
add_command(struct conn *c, char *out, size_t *len, const char *verb,
	    const char *arg)
{
	char line[TG_LMTP_LINE_MAX + 1];
	int n = arg != NULL
			? snprintf(line, sizeof(line), "%s<%s>\r\n", verb, arg)
			: snprintf(line, sizeof(line), "%s\r\n", verb);

	/* bounds: RFC 5321's 512 bytes with the CRLF */
	if (n < 0 || (size_t)n > TG_LMTP_LINE_MAX) {
		note(c, "an address too long for LMTP");
		return -1;
	}
	memcpy(out + *len, line, (size_t)n);
	*len += (size_t)n;
	return 0;
}

/* Sends "verb<arg>" and reads its reply's code, or -1. */
static int
command(struct conn *c, const char *verb, const char *arg)
{
	char line[TG_LMTP_LINE_MAX + 1];
	size_t n = 0;

	if (add_command(c, line, &n, verb, arg) < 0 ||
	    send_all(c, line, n) < 0)
		return -1;
	return read_reply(c);
}

/* MAIL, RCPT and DATA: in one write when the server pipelines (a round
 * trip each saved), their replies read in order all the same; -1 when
 * a command could not be sent. */
static int
envelope(struct conn *c, const char *sender, const char *recipient,
	 int codes[3])
{
	char buf[3 * (TG_LMTP_LINE_MAX + 1)], first_bad[300] = "";
	size_t n = 0;

	if (!c->pipelining) {
		codes[0] = command(c, "MAIL FROM:", sender);
		codes[1] = codes[0] >= 200 && codes[0] < 300
				   ? command(c, "RCPT TO:", recipient)
				   : -1;
		codes[2] = codes[1] >= 200 && codes[1] < 300
				   ? command(c, "DATA", NULL)
				   : -1;
		return 0;
	}
	if (add_command(c, buf, &n, "MAIL FROM:", sender) < 0 ||
	    add_command(c, buf, &n, "RCPT TO:", recipient) < 0 ||
	    add_command(c, buf, &n, "DATA", NULL) < 0 ||
	    send_all(c, buf, n) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		bool ok;

		/* after a lost connection, no more waiting */
		codes[i] = i > 0 && codes[i - 1] < 0 ? -1 : read_reply(c);
		ok = i < 2 ? codes[i] >= 200 && codes[i] < 300
			   : codes[i] == 354;
		/* the first refusal's words are the ones worth reporting */
		if (!ok && first_bad[0] == '\0')
			snprintf(first_bad, sizeof(first_bad), "%s", c->reply);
	}
	if (first_bad[0] != '\0')
		note(c, first_bad);
	return 0;
}

/* The message dot-stuffed, its line ends as they are (the daemon takes a
 * bare LF, so the stored bytes are the file's), then the final dot. */
static int
send_data(struct conn *c, const char *raw, size_t len)
{
	char buf[65536];
	size_t n = 0;
	bool bol = true;

	for (size_t i = 0; i < len; i++) {
		if (n + 2 > sizeof(buf)) {
			if (send_all(c, buf, n) < 0)
				return -1;
			n = 0;
		}
		if (bol && raw[i] == '.')
			buf[n++] = '.';
		buf[n++] = raw[i];
		bol = raw[i] == '\n';
	}
	/* the final dot must start a line; with the rest when it fits */
	if (n + 5 > sizeof(buf)) {
		if (send_all(c, buf, n) < 0)
			return -1;
		n = 0;
	}
	memcpy(buf + n, bol ? ".\r\n" : "\r\n.\r\n", bol ? 3 : 5);
	n += bol ? 3 : 5;
	return send_all(c, buf, n);
}

static enum tg_lmtp_send_result
by_code(int code)
{
	return code >= 200 && code < 300 ? TG_LMTP_SENT
	       : code >= 500             ? TG_LMTP_REFUSED
					 : TG_LMTP_TEMPFAIL;
}

static enum tg_lmtp_send_result
converse(struct conn *c, const char *sender, const char *recipient,
	 const char *raw, size_t len)
{
	enum tg_lmtp_send_result r;
	int timeout_ms = c->timeout_ms, code, codes[3];

	/* no greeting (a daemon stopping says 421, or closes; a busy one
	 * keeps us in its backlog): nothing was said, so the caller may
	 * still take its other way, and need not wait long for it */
	c->timeout_ms = timeout_ms < GREETING_MS ? timeout_ms : GREETING_MS;
	code = read_reply(c);
	c->timeout_ms = timeout_ms;
	if (code != 220) {
		c->broken = true; /* no QUIT to a silent server */
		return TG_LMTP_UNAVAILABLE;
	}
	if (command(c, "LHLO deliver", NULL) != 250 ||
	    envelope(c, sender, recipient, codes) < 0)
		return TG_LMTP_TEMPFAIL;
	/* the first refusal decides; after one, the connection is only
	 * closed (a server may have taken a pipelined DATA regardless) */
	if ((r = by_code(codes[0])) != TG_LMTP_SENT) {
		c->broken = true;
		return codes[0] < 0 ? TG_LMTP_TEMPFAIL : r;
	}
	if ((r = by_code(codes[1])) != TG_LMTP_SENT) {
		c->broken = true;
		return codes[1] < 0      ? TG_LMTP_TEMPFAIL
		       : codes[1] >= 500 ? TG_LMTP_NO_SUCH_USER
					 : r;
	}
	if (codes[2] != 354) {
		c->broken = true;
		return codes[2] >= 500 ? TG_LMTP_REFUSED : TG_LMTP_TEMPFAIL;
	}
	if (send_data(c, raw, len) < 0)
		return TG_LMTP_TEMPFAIL;
	/* one recipient, one reply: sent after the commit */
	code = read_reply(c);
	if (code < 0)
		return TG_LMTP_TEMPFAIL;
	return by_code(code);
}

enum tg_lmtp_send_result
tg_lmtp_send(const char *path, const char *sender, const char *recipient,
	     const char *raw, size_t len, int timeout_s, char *reply_r,
	     size_t reply_size)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct conn c = {
		.timeout_ms = timeout_s * 1000,
		.reply = reply_r,
		.reply_size = reply_size,
	};
	enum tg_lmtp_send_result r;
	char last[300];

	note(&c, "");
	if (strlen(path) >= sizeof(sa.sun_path)) {
		note(&c, "socket path too long");
		return TG_LMTP_UNAVAILABLE;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* non-blocking: a full backlog is EAGAIN at once, not a wait; every
	 * read and write polls first */
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c.fd < 0) {
		note(&c, strerror(errno));
		return TG_LMTP_UNAVAILABLE;
	}
	/* nothing was said yet: whoever does not answer here (no socket,
	 * no listener, no permission, a full backlog) leaves the message
	 * to the caller's other way */
	if (connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		note(&c, strerror(errno));
		close(c.fd);
		return TG_LMTP_UNAVAILABLE;
	}
	r = converse(&c, sender, recipient, raw, len);
	if (!c.broken) {
		/* the verdict stands whatever QUIT gets, so its reply is not
		 * waited for; keep the verdict's words */
		snprintf(last, sizeof(last), "%s", reply_r);
		c.timeout_ms = 2000;
		(void)send_all(&c, "QUIT\r\n", 6);
		snprintf(reply_r, reply_size, "%s", last);
	}
	close(c.fd);
	return r;
}
