/* SMTP sessions: connect (TLS and its checks in imap-tls.c), greeting,
 * EHLO, STARTTLS, AUTH (smtp-auth.c), QUIT. The commands are written here
 * over libetpan's stream rather than by its mailsmtp layer, which cannot
 * send our EHLO name, cuts commands at 512 bytes without a word and closes
 * the stream on a bad greeting before we can say why. Parses untrusted
 * input: the server's replies (smtp-proto.c). */
#include "smtp-private.h"
#include "ticketgate/util.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_SEC 30
#define QUIT_TIMEOUT_MS 5000
#define HELO_NAME_MAX 255

/* A domain (letters, digits, '-', '.') or an address literal "[...]":
 * anything else could smuggle a second command into the EHLO line. */
static bool
valid_helo_name(const char *name)
{
	size_t len = strlen(name);
	bool literal = len > 2 && name[0] == '[' && name[len - 1] == ']';

	if (len == 0 || len > HELO_NAME_MAX)
		return false;
	for (size_t i = literal ? 1 : 0; i < (literal ? len - 1 : len); i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' ||
		      (literal ? c == ':' : c == '-')))
			return false;
	}
	return true;
}

/* This host's name when it is a full domain name (many servers refuse a
 * bare one, as containers have), else our address as a literal. */
static void
default_helo_name(const struct tg_smtp *s, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	struct sockaddr *sa = (struct sockaddr *)&ss;
	socklen_t len = sizeof(ss);
	char name[HELO_NAME_MAX + 1] = "", addr[64];

	if (gethostname(name, sizeof(name) - 1) == 0 &&
	    strchr(name, '.') != NULL && valid_helo_name(name)) {
		snprintf(buf, size, "%s", name);
		return;
	}
	if (getsockname(tg_imap_net_fd(s->net), sa, &len) < 0 ||
	    getnameinfo(sa, len, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST)) {
		snprintf(buf, size, "localhost");
		return;
	}
	addr[strcspn(addr, "%")] = '\0'; /* an IPv6 zone */
	snprintf(buf, size, "[%s%s]", ss.ss_family == AF_INET6 ? "IPv6:" : "",
		 addr);
}

/* The keyword of one EHLO line, e.g. "SIZE 1000" matches "SIZE". */
static bool
keyword(const char *line, const char *kw)
{
	size_t n = strlen(kw);

	return tg_ascii_strncasecmp(line, kw, n) == 0 &&
	       (line[n] == '\0' || line[n] == ' ' || line[n] == '=');
}

/* "PLAIN LOGIN ...", after "AUTH " or the old "AUTH=". */
static void
auth_mechanisms(struct tg_smtp *s, const char *list)
{
	for (list += strspn(list, " ="); *list != '\0';
	     list += strspn(list, " ")) {
		size_t n = strcspn(list, " ");

		if (n == 5 && tg_ascii_strncasecmp(list, "PLAIN", 5) == 0)
			s->auth_plain = true;
		if (n == 5 && tg_ascii_strncasecmp(list, "LOGIN", 5) == 0)
			s->auth_login = true;
		list += n;
	}
}

static void
on_ehlo_line(struct tg_smtp *s, const char *line)
{
	if (keyword(line, "STARTTLS"))
		s->starttls = true;
	else if (keyword(line, "8BITMIME"))
		s->eightbitmime = true;
	else if (keyword(line, "SIZE"))
		s->size = true;
	else if (keyword(line, "AUTH"))
		auth_mechanisms(s, line + 4);
}

/* EHLO, or HELO from a server that knows no EHLO (no extensions then). */
static int
say_hello(struct tg_smtp *s, const char *name, struct tg_err *err)
{
	char cmd[HELO_NAME_MAX + 8];
	int code;

	s->starttls = s->auth_plain = s->auth_login = false;
	s->eightbitmime = s->size = false;
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", name);
	if (tg_smtp_write(s, cmd, strlen(cmd)) < 0)
		return tg_smtp_fail(s, "EHLO", err);
	code = tg_smtp_read_reply(s, on_ehlo_line);
	if (code == 250)
		return 0;
	if (code < 500) /* no reply, or 4xx: no point in HELO */
		return tg_smtp_fail(s, "EHLO", err);
	snprintf(cmd, sizeof(cmd), "HELO %s\r\n", name);
	if (tg_smtp_ask(s, cmd) != 250)
		return tg_smtp_fail(s, "HELO", err);
	return 0;
}

/* TLS on the connection, the certificate checked (imap-tls.c); after a
 * failure nothing more is said on it, not even QUIT. */
static int
handshake(struct tg_smtp *s, const struct tg_smtp_opts *o, struct tg_err *err)
{
	int r = tg_imap_net_start_tls(s->net, o->host, o->ca_file, o->verify,
				      err);

	if (r < 0)
		s->usable = false;
	return r;
}

static int
start_tls(struct tg_smtp *s, const struct tg_smtp_opts *o, const char *name,
	  struct tg_err *err)
{
	if (!s->starttls)
		return tg_err_set(err, "%s does not offer STARTTLS", s->host);
	if (tg_smtp_ask(s, "STARTTLS\r\n") != 220)
		return tg_smtp_fail(s, "STARTTLS", err);
	/* bytes that came before the handshake would pass as protected */
	if (s->stream->read_buffer_len > 0) {
		s->usable = false;
		return tg_err_set(err,
				  "%s sent data right after its STARTTLS "
				  "reply: refusing (injection?)",
				  s->host);
	}
	if (handshake(s, o, err) < 0)
		return -1;
	/* what was offered before TLS may have been tampered with */
	return say_hello(s, name, err);
}

static int
check_opts(const struct tg_smtp_opts *o, struct tg_err *err)
{
	if (o->host == NULL || *o->host == '\0')
		return tg_err_set(err, "SMTP: no host");
	if (o->user != NULL && o->password == NULL)
		return tg_err_set(err, "SMTP user %s has no password", o->user);
	if (o->helo_name != NULL && !valid_helo_name(o->helo_name))
		return tg_err_set(err, "SMTP helo name must be a domain or an "
				       "address literal");
	return 0;
}

static const char *
default_port(enum tg_smtp_security sec)
{
	switch (sec) {
	case TG_SMTP_SMTPS:
		return "465";
	case TG_SMTP_STARTTLS:
		return "587";
	case TG_SMTP_PLAIN:
		break;
	}
	return "25";
}

static int
connect_secure(struct tg_smtp *s, const struct tg_smtp_opts *o,
	       struct tg_err *err)
{
	const char *port = o->port ? o->port : default_port(o->security);
	char name[HELO_NAME_MAX + 1];

	if (tg_imap_net_open(o->host, port, s->timeout_ms, &s->stream, &s->net,
			     err) < 0)
		return -1;
	if (o->security == TG_SMTP_SMTPS && handshake(s, o, err) < 0)
		return -1;
	s->usable = true;
	if (tg_smtp_read_reply(s, NULL) != 220)
		return tg_smtp_fail(s, "greeting", err);
	if (o->helo_name != NULL)
		snprintf(name, sizeof(name), "%s", o->helo_name);
	else
		default_helo_name(s, name, sizeof(name));
	if (say_hello(s, name, err) < 0)
		return -1;
	if (o->security == TG_SMTP_STARTTLS)
		return start_tls(s, o, name, err);
	return 0;
}

int
tg_smtp_open(const struct tg_smtp_opts *o, struct tg_smtp **s_r,
	     struct tg_err *err)
{
	struct tg_smtp *s;
	int sec = o->timeout_sec > 0 ? o->timeout_sec : DEFAULT_TIMEOUT_SEC;

	if (check_opts(o, err) < 0)
		return -1;
	s = tg_xcalloc(1, sizeof(*s));
	s->host = tg_xstrdup(o->host);
	s->timeout_ms = sec * 1000;
	if (connect_secure(s, o, err) < 0 ||
	    (o->user != NULL &&
	     tg_smtp_auth(s, o->user, o->password, err) < 0)) {
		tg_smtp_close(&s);
		return -1;
	}
	*s_r = s;
	return 0;
}

void
tg_smtp_close(struct tg_smtp **sp)
{
	struct tg_smtp *s = sp != NULL ? *sp : NULL;

	if (s == NULL)
		return;
	if (s->stream != NULL && s->usable) {
		tg_imap_net_set_timeout(s->net, s->timeout_ms < QUIT_TIMEOUT_MS
							? s->timeout_ms
							: QUIT_TIMEOUT_MS);
		/* the reply changes nothing: the session ends either way */
		(void)tg_smtp_ask(s, "QUIT\r\n");
	}
	if (s->stream != NULL)
		mailstream_close(s->stream); /* frees net too */
	free(s->host);
	free(s);
	*sp = NULL;
}

bool
tg_smtp_usable(const struct tg_smtp *s)
{
	return s->usable;
}
