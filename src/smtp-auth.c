/* SMTP AUTH PLAIN and LOGIN (RFC 4954, 4616), done here rather than
 * through libetpan's Cyrus SASL path: that one needs SASL plugins at run
 * time and fails without a word when they are missing. Every buffer that
 * held the password is wiped. */
#include "smtp-private.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Users and passwords longer than this are configuration mistakes. */
#define CREDENTIAL_MAX 1024

/* Sends prefix, base64 of in[0..len) and CRLF as one line, then wipes every
 * copy; returns the reply's code, or 0. The stream is marked private so
 * that libetpan's debug log, if ever switched on, leaves the line out. */
static int
send_secret(struct tg_smtp *s, const char *prefix, const char *in, size_t len)
{
	size_t plen = strlen(prefix);
	/* bounds: len <= 2 * CREDENTIAL_MAX + 2, so no overflow */
	size_t size = plen + 4 * ((len + 2) / 3) + 3;
	char *line = tg_xmalloc(size);
	int n, r = 0;

	memcpy(line, prefix, plen);
	n = EVP_EncodeBlock((unsigned char *)line + plen,
			    (const unsigned char *)in, (int)len);
	memcpy(line + plen + n, "\r\n", 3);
	mailstream_set_privacy(s->stream, 0);
	if (tg_smtp_write(s, line, plen + (size_t)n + 2) == 0)
		r = tg_smtp_read_reply(s, NULL);
	mailstream_set_privacy(s->stream, 1);
	explicit_bzero(s->stream->write_buffer, s->stream->buffer_max_size);
	explicit_bzero(line, size);
	free(line);
	return r;
}

/* RFC 4616: "\0user\0password" in the AUTH command itself. */
static int
auth_plain(struct tg_smtp *s, const char *user, const char *password)
{
	size_t ulen = strlen(user), plen = strlen(password);
	size_t len = ulen + plen + 2;
	char *msg = tg_xmalloc(len);
	int code;

	msg[0] = '\0';
	memcpy(msg + 1, user, ulen);
	msg[1 + ulen] = '\0';
	memcpy(msg + 2 + ulen, password, plen);
	code = send_secret(s, "AUTH PLAIN ", msg, len);
	explicit_bzero(msg, len);
	free(msg);
	if (code == 334) { /* wants the response apart: not this way */
		code = tg_smtp_ask(s, "*\r\n"); /* cancels the exchange */
		if (code != 0)
			code = 334;
	}
	return code;
}

/* The server asks for the user name, then the password, each base64. */
static int
auth_login(struct tg_smtp *s, const char *user, const char *password)
{
	int code = tg_smtp_ask(s, "AUTH LOGIN\r\n");

	if (code == 334)
		code = send_secret(s, "", user, strlen(user));
	if (code == 334)
		code = send_secret(s, "", password, strlen(password));
	return code;
}

int
tg_smtp_auth(struct tg_smtp *s, const char *user, const char *password,
	     struct tg_err *err)
{
	const char *mech = s->auth_plain ? "PLAIN" : "LOGIN";
	char what[80];
	int code;

	if (!s->auth_plain && !s->auth_login)
		return tg_err_set(err,
				  "%s offers neither AUTH PLAIN nor AUTH LOGIN"
				  "%s",
				  s->host,
				  s->net->ssl == NULL ? " (only over TLS?)"
						      : "");
	if (strlen(user) > CREDENTIAL_MAX || strlen(password) > CREDENTIAL_MAX)
		return tg_err_set(err, "SMTP user or password over %d bytes",
				  CREDENTIAL_MAX);
	code = s->auth_plain ? auth_plain(s, user, password)
			     : auth_login(s, user, password);
	if (code == 235)
		return 0;
	snprintf(what, sizeof(what), "AUTH %s as %s", mech, user);
	if (code == 334) { /* a challenge where none belongs */
		s->usable = false;
		return tg_err_set(err, "%s on %s: unexpected challenge", what,
				  s->host);
	}
	return tg_smtp_fail(s, what, err);
}
