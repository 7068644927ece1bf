/* The server's side of LMTP (RFC 2033) as a state machine over bytes: the
 * command lines, the envelope, and the DATA decoder (dot-unstuffing, the
 * end at CRLF.CRLF, bare LF tolerated, chunks split anywhere). Parses
 * untrusted input: every line and message is bounded. */
#include "ticketgate/lmtp.h"
#include "ticketgate/config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the DATA decoder is: at a line's start, after a line-leading dot,
 * after that dot and a CR, or inside a line. */
enum {
	D_BOL,
	D_DOT,
	D_DOT_CR,
	D_TEXT,
};

void
tg_lmtp_reply(struct tg_lmtp *s, const char *code_and_text)
{
	/* bounds: out is capped (overflow is set); the caller sends it
	 * before reading more, so only a broken caller gets there */
	if (tg_buf_puts(&s->out, code_and_text) == 0)
		(void)tg_buf_puts(&s->out, "\r\n"); /* overflow says */
}

void
tg_lmtp_init(struct tg_lmtp *s, const char *hostname, size_t max_bytes,
	     tg_lmtp_known_fn known, const void *known_ctx)
{
	memset(s, 0, sizeof(*s));
	s->hostname = hostname;
	s->max_bytes = max_bytes;
	s->known = known;
	s->known_ctx = known_ctx;
	s->state = TG_LMTP_GREETED;
	tg_buf_init(&s->out, 256, 1024 * 1024);
	/* cannot fail: the buffer is empty and the name short */
	(void)tg_buf_appendf(&s->out, "220 %s LMTP ready\r\n", hostname);
}

static void
forget_transaction(struct tg_lmtp *s)
{
	free(s->sender);
	s->sender = NULL;
	for (size_t i = 0; i < s->n_rcpts; i++)
		free(s->rcpts[i]);
	free(s->rcpts);
	s->rcpts = NULL;
	s->n_rcpts = 0;
	/* a big message's memory goes with it */
	free(s->data);
	s->data = NULL;
	s->data_len = s->data_bytes = s->data_cap = 0;
	s->too_big = false;
}

void
tg_lmtp_deinit(struct tg_lmtp *s)
{
	forget_transaction(s);
	tg_buf_deinit(&s->out);
}

void
tg_lmtp_end_transaction(struct tg_lmtp *s)
{
	forget_transaction(s);
	if (s->state != TG_LMTP_QUIT)
		s->state = TG_LMTP_READY;
}

bool
tg_lmtp_recipient_known(const void *cfg, const char *addr)
{
	const char *at = strrchr(addr, '@');
	size_t local = strcspn(addr, "+@");
	char base[TG_LMTP_LINE_MAX];

	if (at == NULL || addr + local >= at || strlen(addr) >= sizeof(base))
		return tg_config_address(cfg, addr) != NULL;
	/* bounds: addr is shorter than base, and base shorter than addr */
	snprintf(base, sizeof(base), "%.*s%s", (int)local, addr, at);
	return tg_config_address(cfg, base) != NULL;
}

/* --- the envelope's syntax ------------------------------------------------ */

/* Whether p starts with word (any case); advances past it. */
static bool
skip_word(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (tg_ascii_strncasecmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

static void
skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Reads "<path>" at *p into a malloc'd address: source routes dropped,
 * quoted local parts kept as written. NULL when it is not a path. */
static char *
read_path(const char **p)
{
	const char *q = *p, *start, *end;
	bool quoted = false;
	char *addr;

	if (*q != '<')
		return NULL;
	start = ++q;
	for (; *q != '\0'; q++) {
		if (quoted && *q == '\\' && q[1] != '\0')
			q++;
		else if (*q == '"')
			quoted = !quoted;
		else if (!quoted && (*q == '>' || *q == '<' || *q == ' '))
			break;
		else if ((unsigned char)*q < ' ' || *q == 0x7f)
			return NULL;
	}
	if (*q != '>')
		return NULL;
	end = q;
	if (*start == '@') { /* "<@relay,@relay:user@domain>" */
		const char *colon = memchr(start, ':', (size_t)(end - start));

		if (colon == NULL)
			return NULL;
		start = colon + 1;
	}
	addr = tg_xmalloc((size_t)(end - start) + 1);
	memcpy(addr, start, (size_t)(end - start));
	addr[end - start] = '\0';
	*p = end + 1;
	return addr;
}

/* MAIL's parameters: SIZE=digits and BODY=7BIT|8BITMIME. NULL when all
 * are good, else the reply; a SIZE over what is kept is refused at once
 * (RFC 1870), before the MTA sends the bytes. */
static const char *
check_mail_params(const struct tg_lmtp *s, const char *p)
{
	for (;;) {
		const char *word;
		size_t n;

		skip_spaces(&p);
		if (*p == '\0')
			return NULL;
		word = p;
		n = strcspn(p, " ");
		p += n;
		if (n > 5 && tg_ascii_strncasecmp(word, "SIZE=", 5) == 0) {
			unsigned long long size = 0;

			if (n - 5 > 20 ||
			    strspn(word + 5, "0123456789") != n - 5)
				return "501 5.5.4 Bad SIZE parameter";
			for (size_t i = 5; i < n; i++)
				size = size > ULLONG_MAX / 10
					       ? ULLONG_MAX
					       : size * 10 + (unsigned)(word[i] - '0');
			if (size > s->max_bytes)
				return "552 5.3.4 Message too big to keep";
		} else if (n > 5 &&
			   tg_ascii_strncasecmp(word, "BODY=", 5) == 0) {
			if (!((n == 9 && tg_ascii_strncasecmp(word + 5, "7BIT",
							      4) == 0) ||
			      (n == 13 &&
			       tg_ascii_strncasecmp(word + 5, "8BITMIME", 8) ==
				       0)))
				return "501 5.5.4 Bad BODY parameter";
		} else {
			return "555 5.5.4 Unsupported parameter";
		}
	}
}

/* --- commands ------------------------------------------------------------- */

static void
cmd_lhlo(struct tg_lmtp *s, const char *arg)
{
	if (*arg == '\0') {
		tg_lmtp_reply(s, "501 5.5.4 LHLO needs a host name");
		return;
	}
	forget_transaction(s);
	s->state = TG_LMTP_READY;
	/* SIZE is what is kept whole: mail over the size limit below it is
	 * taken and quarantined, as `deliver` does; the MTA refuses more */
	(void)tg_buf_appendf(&s->out, /* overflow says */
			     "250-%s\r\n250-PIPELINING\r\n"
			     "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
			     "250 SIZE %zu\r\n",
			     s->hostname, s->max_bytes);
}

static void
cmd_mail(struct tg_lmtp *s, const char *arg)
{
	const char *p = arg, *bad;
	char *addr;

	if (s->state == TG_LMTP_GREETED) {
		tg_lmtp_reply(s, "503 5.5.1 Send LHLO first");
		return;
	}
	if (s->state != TG_LMTP_READY) {
		tg_lmtp_reply(s, "503 5.5.1 Nested MAIL command");
		return;
	}
	if (!skip_word(&p, "FROM:")) {
		tg_lmtp_reply(s, "501 5.5.2 Syntax: MAIL FROM:<address>");
		return;
	}
	skip_spaces(&p);
	addr = read_path(&p);
	if (addr == NULL || (*p != '\0' && *p != ' ')) {
		free(addr);
		tg_lmtp_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	bad = check_mail_params(s, p);
	if (bad != NULL) {
		free(addr);
		tg_lmtp_reply(s, bad);
		return;
	}
	s->sender = addr;
	s->state = TG_LMTP_MAIL;
	tg_lmtp_reply(s, "250 2.1.0 Sender ok");
}

static void
cmd_rcpt(struct tg_lmtp *s, const char *arg)
{
	const char *p = arg;
	char *addr;

	if (s->state != TG_LMTP_MAIL) {
		tg_lmtp_reply(s, "503 5.5.1 Send MAIL first");
		return;
	}
	if (!skip_word(&p, "TO:")) {
		tg_lmtp_reply(s, "501 5.5.2 Syntax: RCPT TO:<address>");
		return;
	}
	skip_spaces(&p);
	addr = read_path(&p);
	skip_spaces(&p);
	if (addr == NULL || addr[0] == '\0') {
		free(addr);
		tg_lmtp_reply(s, "501 5.1.3 Bad recipient address syntax");
		return;
	}
	if (*p != '\0') {
		free(addr);
		tg_lmtp_reply(s, "555 5.5.4 Unsupported parameter");
		return;
	}
	if (s->n_rcpts >= TG_LMTP_RCPT_MAX) {
		free(addr);
		tg_lmtp_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (!s->known(s->known_ctx, addr)) {
		free(addr);
		tg_lmtp_reply(s, "550 5.1.1 No such support address");
		return;
	}
	s->rcpts = tg_xrealloc(s->rcpts, (s->n_rcpts + 1) * sizeof(*s->rcpts));
	s->rcpts[s->n_rcpts++] = addr;
	tg_lmtp_reply(s, "250 2.1.5 Recipient ok");
}

static void
cmd_data(struct tg_lmtp *s, const char *arg)
{
	if (*arg != '\0') {
		tg_lmtp_reply(s, "501 5.5.4 DATA takes no argument");
		return;
	}
	if (s->state != TG_LMTP_MAIL || s->n_rcpts == 0) {
		/* RFC 2033 4.2: without a good RCPT, DATA fails with 503 */
		tg_lmtp_reply(s,
			      s->state == TG_LMTP_MAIL
				      ? "503 5.5.1 No valid recipients"
				      : "503 5.5.1 Send MAIL and RCPT first");
		return;
	}
	s->state = TG_LMTP_DATA;
	s->dot = D_BOL;
	tg_lmtp_reply(s, "354 Start mail input; end with <CRLF>.<CRLF>");
}

/* Commands of SMTP or its extensions that LMTP here does without. */
static const char *const not_implemented[] = {
	"EXPN",     "HELP", "TURN", "ETRN", "BDAT",
	"STARTTLS", "AUTH", "SEND", "SOML", "SAML",
};

/* One command line, without its line end. */
static void
command(struct tg_lmtp *s, const char *line, size_t len)
{
	char verb[16];
	size_t n = strcspn(line, " ");
	const char *arg = line + n;

	if (memchr(line, '\0', len) != NULL) {
		tg_lmtp_reply(s, "500 5.5.2 Syntax error: NUL byte");
		return;
	}
	if (*arg == ' ')
		arg++;
	if (n == 0 || n >= sizeof(verb)) {
		tg_lmtp_reply(s, "500 5.5.2 Command unrecognized");
		return;
	}
	for (size_t i = 0; i < n; i++)
		verb[i] = (char)(line[i] >= 'a' && line[i] <= 'z'
					 ? line[i] - 'a' + 'A'
					 : line[i]);
	verb[n] = '\0';

	if (strcmp(verb, "LHLO") == 0) {
		cmd_lhlo(s, arg);
	} else if (strcmp(verb, "MAIL") == 0) {
		cmd_mail(s, arg);
	} else if (strcmp(verb, "RCPT") == 0) {
		cmd_rcpt(s, arg);
	} else if (strcmp(verb, "DATA") == 0) {
		cmd_data(s, arg);
	} else if (strcmp(verb, "RSET") == 0) {
		if (*arg != '\0') {
			tg_lmtp_reply(s, "501 5.5.4 RSET takes no argument");
			return;
		}
		forget_transaction(s);
		if (s->state != TG_LMTP_GREETED)
			s->state = TG_LMTP_READY;
		tg_lmtp_reply(s, "250 2.0.0 Ok");
	} else if (strcmp(verb, "NOOP") == 0) {
		tg_lmtp_reply(s, "250 2.0.0 Ok");
	} else if (strcmp(verb, "VRFY") == 0) {
		tg_lmtp_reply(s, "252 2.5.0 Cannot verify; send some mail");
	} else if (strcmp(verb, "QUIT") == 0) {
		s->state = TG_LMTP_QUIT;
		tg_lmtp_reply(s, "221 2.0.0 Bye");
	} else if (strcmp(verb, "HELO") == 0 || strcmp(verb, "EHLO") == 0) {
		tg_lmtp_reply(s, "500 5.5.1 This is LMTP: use LHLO");
	} else {
		for (size_t i = 0; i < TG_N(not_implemented); i++)
			if (strcmp(verb, not_implemented[i]) == 0) {
				tg_lmtp_reply(
					s, "502 5.5.1 Command not implemented");
				return;
			}
		tg_lmtp_reply(s, "500 5.5.2 Command unrecognized");
	}
}

/* Collects one command line from in; returns the bytes used, and sets
 * *done_r when the line is complete (then it has been answered). */
static size_t
feed_line(struct tg_lmtp *s, const char *in, size_t len, bool *done_r)
{
	const char *lf = memchr(in, '\n', len);
	size_t take = lf != NULL ? (size_t)(lf - in) : len;
	size_t used = lf != NULL ? take + 1 : len;

	*done_r = false;
	/* bounds: the line with its CRLF fits TG_LMTP_LINE_MAX */
	if (!s->line_long && s->line_len + take <= TG_LMTP_LINE_MAX - 1) {
		memcpy(s->line + s->line_len, in, take);
		s->line_len += take;
	} else {
		s->line_long = true;
	}
	if (lf == NULL)
		return used;
	*done_r = true;
	/* a CR right before the LF; a bare LF is taken as well */
	if (!s->line_long && s->line_len > 0 &&
	    s->line[s->line_len - 1] == '\r')
		s->line_len--;
	if (s->line_long || s->line_len > TG_LMTP_LINE_MAX - 2) {
		tg_lmtp_reply(s, "500 5.5.2 Line too long");
	} else {
		s->line[s->line_len] = '\0';
		command(s, s->line, s->line_len);
	}
	s->line_len = 0;
	s->line_long = false;
	return used;
}

/* --- DATA ----------------------------------------------------------------- */

/* Counts n more bytes of the message and keeps what fits. */
static void
emit(struct tg_lmtp *s, const char *p, size_t n)
{
	size_t keep_max = s->max_bytes + 1, keep;

	/* bounds: the count saturates instead of wrapping */
	if (__builtin_add_overflow(s->data_bytes, n, &s->data_bytes))
		s->data_bytes = SIZE_MAX;
	s->too_big = s->data_bytes > s->max_bytes;
	keep = s->data_len < keep_max ? keep_max - s->data_len : 0;
	if (keep > n)
		keep = n;
	if (keep == 0)
		return;
	if (s->data_len + keep + 1 > s->data_cap) {
		/* doubling, but never past what may be kept */
		size_t cap = s->data_cap > 0 ? s->data_cap : 16 * 1024;

		while (cap < s->data_len + keep + 1)
			cap = cap > SIZE_MAX / 4 ? SIZE_MAX / 2 : cap * 2;
		if (cap > keep_max + 1)
			cap = keep_max + 1;
		s->data = tg_xrealloc(s->data, cap);
		s->data_cap = cap;
	}
	memcpy(s->data + s->data_len, p, keep);
	s->data_len += keep;
	s->data[s->data_len] = '\0';
}

/* Decodes message bytes; returns the bytes used, and sets *end_r when
 * the final dot line was read (the bytes after it are left). */
static size_t
feed_data(struct tg_lmtp *s, const char *in, size_t len, bool *end_r)
{
	size_t i = 0;

	*end_r = false;
	while (i < len) {
		char c = in[i];

		switch (s->dot) {
		case D_BOL:
			if (c == '.') {
				s->dot = D_DOT;
				i++;
				break;
			}
			s->dot = D_TEXT;
			break;
		case D_TEXT: {
			/* the rest of the line in one piece */
			const char *lf = memchr(in + i, '\n', len - i);
			size_t n = lf != NULL ? (size_t)(lf - (in + i)) + 1
					      : len - i;

			emit(s, in + i, n);
			i += n;
			if (lf != NULL)
				s->dot = D_BOL;
			break;
		}
		case D_DOT:
			if (c == '\n') { /* ".\n": the end, bare LF */
				*end_r = true;
				return i + 1;
			}
			if (c == '\r') {
				s->dot = D_DOT_CR;
				i++;
				break;
			}
			/* a stuffed dot: dropped, the line goes on */
			s->dot = D_TEXT;
			break;
		case D_DOT_CR:
			if (c == '\n') {
				*end_r = true;
				return i + 1;
			}
			/* ".\r" then more: the dot was stuffing */
			emit(s, "\r", 1);
			s->dot = D_TEXT;
			break;
		}
	}
	return i;
}

enum tg_lmtp_step
tg_lmtp_feed(struct tg_lmtp *s, const char *in, size_t len, size_t *used_r)
{
	size_t used = 0;
	bool done;

	while (used < len) {
		if (s->state == TG_LMTP_QUIT)
			break;
		if (s->state == TG_LMTP_DATA) {
			used += feed_data(s, in + used, len - used, &done);
			if (done) {
				*used_r = used;
				return TG_LMTP_MESSAGE;
			}
			continue;
		}
		used += feed_line(s, in + used, len - used, &done);
	}
	*used_r = used;
	return s->state == TG_LMTP_QUIT ? TG_LMTP_CLOSE : TG_LMTP_NEED_INPUT;
}
