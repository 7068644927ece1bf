/* IMAP sessions: connect (TLS and its checks in imap-tls.c), log in, read
 * capabilities, select, append, log out; and how libetpan's results become
 * tg_err. Parses untrusted input: the server's replies, through libetpan. */
#include "imap-private.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_SEC 30
#define LOGOUT_TIMEOUT_MS 5000
#define SERVER_TEXT_MAX 120

void *
tg_imap_need(void *p)
{
	if (p == NULL) {
		fprintf(stderr, "<2>ticketgate: out of memory in libetpan\n");
		abort();
	}
	return p;
}

/* The server's last reply text, cut and made printable: it goes into
 * messages that end up in logs. */
static const char *
server_text(const struct tg_imap *im, char *buf, size_t size)
{
	const char *s = im->imap->imap_response;
	size_t i;

	if (s == NULL || *s == '\0')
		return "(no reply text)";
	for (i = 0; s[i] != '\0' && i + 1 < size && i < SERVER_TEXT_MAX; i++)
		buf[i] =
			(unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

int
tg_imap_fail(struct tg_imap *im, int r, const char *what, struct tg_err *err)
{
	const char *link = im->net != NULL ? tg_imap_net_error(im->net) : "";
	char text[SERVER_TEXT_MAX + 1];

	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE: /* what a lost link first looks like */
	case MAILIMAP_ERROR_SSL:
		return tg_err_set_temp(err, "%s on %s failed: %s", what,
				       im->host,
				       *link ? link : "unreadable reply");
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION: /* BYE, e.g. overloaded */
		return tg_err_set_temp(err, "%s refused the connection: %s",
				       im->host,
				       server_text(im, text, sizeof(text)));
	case MAILIMAP_ERROR_MEMORY:
		(void)tg_imap_need(NULL); /* aborts, as tg_xmalloc does */
		return -1;
	case MAILIMAP_ERROR_BAD_STATE:
		return tg_err_set(
			err, "%s on %s: not allowed now%s", what, im->host,
			im->imap->imap_state == MAILIMAP_STATE_SELECTED
				? ""
				: " (no folder selected)");
	default:
		return tg_err_set(err, "%s refused by %s: %s", what, im->host,
				  server_text(im, text, sizeof(text)));
	}
}

static int
refresh_capabilities(struct tg_imap *im, struct tg_err *err)
{
	struct mailimap_capability_data *caps = NULL;
	int r = mailimap_capability(im->imap, &caps);

	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "CAPABILITY", err);
	mailimap_capability_data_free(caps); /* a copy of the cached list */
	return 0;
}

/* The greeting usually lists them already; ask only when it did not. */
static int
know_capabilities(struct tg_imap *im, struct tg_err *err)
{
	struct mailimap_connection_info *ci = im->imap->imap_connection_info;

	if (ci != NULL && ci->imap_capability != NULL)
		return 0;
	return refresh_capabilities(im, err);
}

static int
start_tls(struct tg_imap *im, const struct tg_imap_opts *o, struct tg_err *err)
{
	int r;

	/* STARTTLS is only allowed before login: an injected PREAUTH must not
	 * turn the session into plain text */
	if (im->imap->imap_state != MAILIMAP_STATE_NON_AUTHENTICATED)
		return tg_err_set(err,
				  "%s greeted with PREAUTH: refusing, "
				  "since STARTTLS is impossible then",
				  im->host);
	if (know_capabilities(im, err) < 0)
		return -1;
	if (!mailimap_has_extension(im->imap, "STARTTLS"))
		return tg_err_set(err, "%s does not offer STARTTLS", im->host);
	r = mailimap_starttls(im->imap);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "STARTTLS", err);
	/* bytes that came before the handshake would pass as protected */
	if (im->imap->imap_stream->read_buffer_len > 0)
		return tg_err_set(err,
				  "%s sent data right after its STARTTLS "
				  "reply: refusing (injection?)",
				  im->host);
	if (tg_imap_net_start_tls(im->net, o->host, o->ca_file, o->verify,
				  err) < 0)
		return -1;
	/* what was offered before TLS may have been tampered with */
	return refresh_capabilities(im, err);
}

static int
connect_secure(struct tg_imap *im, const struct tg_imap_opts *o,
	       struct tg_err *err)
{
	bool imaps = o->security == TG_IMAP_IMAPS;
	const char *port = o->port ? o->port : imaps ? "993" : "143";
	int sec = o->timeout_sec > 0 ? o->timeout_sec : DEFAULT_TIMEOUT_SEC;
	mailstream *stream;
	int r;

	if (tg_imap_net_open(o->host, port, sec * 1000, &stream, &im->net,
			     err) < 0)
		return -1;
	if (imaps && tg_imap_net_start_tls(im->net, o->host, o->ca_file,
					   o->verify, err) < 0) {
		mailstream_close(stream);
		im->net = NULL;
		return -1;
	}
	r = mailimap_connect(im->imap, stream); /* owns stream from here */
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_AUTHENTICATED)
		return tg_imap_fail(im, r, "greeting", err);
	if (o->security == TG_IMAP_STARTTLS)
		return start_tls(im, o, err);
	return 0;
}

static bool
use_authenticate_plain(const struct tg_imap *im, enum tg_imap_auth auth)
{
	if (auth == TG_IMAP_AUTH_AUTO)
		return mailimap_has_extension(im->imap, "LOGINDISABLED");
	return auth == TG_IMAP_AUTH_PLAIN;
}

static int
log_in(struct tg_imap *im, const struct tg_imap_opts *o, struct tg_err *err)
{
	mailstream *stream = im->imap->imap_stream;
	char text[SERVER_TEXT_MAX + 1];
	bool plain;
	int r;

	if (im->imap->imap_state == MAILIMAP_STATE_AUTHENTICATED)
		return 0; /* PREAUTH */
	if (know_capabilities(im, err) < 0)
		return -1;
	plain = use_authenticate_plain(im, o->auth);
	if (plain)
		r = mailimap_authenticate(im->imap, "PLAIN", o->host, NULL,
					  NULL, o->user, o->user, o->password,
					  NULL);
	else
		r = mailimap_login(im->imap, o->user, o->password);
	/* the command line with the password stays in the buffer otherwise */
	explicit_bzero(stream->write_buffer, stream->buffer_max_size);
	if (r != MAILIMAP_ERROR_LOGIN)
		return r == MAILIMAP_NO_ERROR
			       ? 0
			       : tg_imap_fail(im, r, "login", err);
	if (plain) /* SASL can also fail here, before the server says no */
		return tg_err_set(err,
				  "AUTHENTICATE PLAIN as %s on %s failed "
				  "(refused, or no SASL PLAIN plugin): %s",
				  o->user, im->host,
				  server_text(im, text, sizeof(text)));
	return tg_err_set(err, "LOGIN as %s on %s refused: %s", o->user,
			  im->host, server_text(im, text, sizeof(text)));
}

int
tg_imap_open(const struct tg_imap_opts *o, struct tg_imap **im_r,
	     struct tg_err *err)
{
	struct tg_imap *im = tg_xcalloc(1, sizeof(*im));
	int ret;

	im->host = tg_xstrdup(o->host);
	im->imap = tg_imap_need(mailimap_new(0, NULL));
	ret = connect_secure(im, o, err);
	if (ret == 0)
		ret = log_in(im, o, err);
	/* servers list UIDPLUS, MOVE etc. only after login */
	if (ret == 0)
		ret = refresh_capabilities(im, err);
	if (ret < 0) {
		tg_imap_close(&im);
		return -1;
	}
	im->has_idle = mailimap_has_idle(im->imap);
	im->has_move = mailimap_has_extension(im->imap, "MOVE");
	im->has_uidplus = mailimap_has_uidplus(im->imap);
	*im_r = im;
	return 0;
}

void
tg_imap_close(struct tg_imap **imp)
{
	struct tg_imap *im = imp != NULL ? *imp : NULL;

	if (im == NULL)
		return;
	if (im->net != NULL)
		tg_imap_net_set_timeout(im->net, LOGOUT_TIMEOUT_MS);
	mailimap_free(im->imap); /* sends LOGOUT while the link is up */
	free(im->host);
	free(im);
	*imp = NULL;
}

bool
tg_imap_has_idle(const struct tg_imap *im)
{
	return im->has_idle;
}

bool
tg_imap_has_move(const struct tg_imap *im)
{
	return im->has_move;
}

bool
tg_imap_has_uidplus(const struct tg_imap *im)
{
	return im->has_uidplus;
}

int
tg_imap_select(struct tg_imap *im, const char *folder, uint32_t *uidvalidity_r,
	       uint32_t *uidnext_r, struct tg_err *err)
{
	struct mailimap_selection_info *si;
	int r = mailimap_select(im->imap, folder);

	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "SELECT", err);
	si = im->imap->imap_selection_info;
	if (si == NULL || si->sel_uidvalidity == 0)
		return tg_err_set(err, "%s sent no UIDVALIDITY for %s",
				  im->host, folder);
	*uidvalidity_r = si->sel_uidvalidity;
	*uidnext_r = si->sel_uidnext;
	return 0;
}

int
tg_imap_append(struct tg_imap *im, const char *folder, const char *raw,
	       size_t len, struct tg_err *err)
{
	int r = mailimap_append(im->imap, folder, NULL, NULL, raw, len);

	return r == MAILIMAP_NO_ERROR ? 0 : tg_imap_fail(im, r, "APPEND", err);
}

int
tg_imap_create(struct tg_imap *im, const char *folder, struct tg_err *err)
{
	int r = mailimap_create(im->imap, folder);

	if (r == MAILIMAP_NO_ERROR || r == MAILIMAP_ERROR_CREATE)
		return 0; /* NO: most likely there already */
	return tg_imap_fail(im, r, "CREATE", err);
}
