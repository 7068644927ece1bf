/* The wake-up hint's request: an HTTP/1.x head, parsed strictly and with
 * bounds, since anyone who can reach the listener may send it. Only the
 * request line's query and two headers mean anything here. */
#include "ticketgate/wake.h"
#include "ticketgate/util.h"

#include <string.h>

/* A span of the head, not NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

static bool
span_is(struct span s, const char *lit)
{
	return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool
span_is_nocase(struct span s, const char *lit)
{
	return s.n == strlen(lit) && tg_ascii_strncasecmp(s.p, lit, s.n) == 0;
}

/* Cuts s at the first c: the part before goes to *head, s keeps the rest
 * (empty, with found false, when there is no c). */
static bool
cut_at(struct span *s, char c, struct span *head)
{
	const char *at = memchr(s->p, c, s->n);

	if (at == NULL) {
		*head = *s;
		s->p += s->n;
		s->n = 0;
		return false;
	}
	head->p = s->p;
	head->n = (size_t)(at - s->p);
	s->n -= head->n + 1;
	s->p = at + 1;
	return true;
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tg_ascii_tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes (and '+' as a space, as forms write it) into out.
 * Returns 0, 400 for a bad escape or a control character, 414 when it
 * does not fit. */
static int
decode(struct span v, char out[TG_WAKE_NAME_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < v.n; i++) {
		int c = (unsigned char)v.p[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= v.n)
				return 400;
			hi = hex(v.p[i + 1]);
			lo = hex(v.p[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = hi * 16 + lo;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			return 400;
		if (o + 1 >= TG_WAKE_NAME_MAX)
			return 414;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static int
parse_query(struct span q, struct tg_wake_req *r)
{
	while (q.n > 0) {
		struct span pair, key;
		int st;

		(void)cut_at(&q, '&', &pair);
		if (pair.n == 0)
			continue;
		(void)cut_at(&pair, '=', &key);
		if (span_is(key, "user")) {
			if (r->has_user)
				return 400;
			st = decode(pair, r->user);
			r->has_user = true;
		} else if (span_is(key, "mailbox")) {
			if (r->has_mailbox)
				return 400;
			st = decode(pair, r->mailbox);
			r->has_mailbox = true;
		} else {
			continue; /* room for more without breaking senders */
		}
		if (st != 0)
			return st;
	}
	return 0;
}

static int
parse_request_line(struct span line, struct tg_wake_req *r)
{
	struct span method, target, path;

	if (!cut_at(&line, ' ', &method) || !cut_at(&line, ' ', &target))
		return 400;
	/* line is now the version */
	if (line.n < 5 || memcmp(line.p, "HTTP/", 5) != 0)
		return 400;
	if (!span_is(line, "HTTP/1.1") && !span_is(line, "HTTP/1.0"))
		return 505;
	if (!span_is(method, "POST"))
		return 405;
	(void)cut_at(&target, '?', &path);
	if (!span_is(path, "/wake"))
		return 404;
	return parse_query(target, r);
}

static int
parse_content_length(struct span v, size_t *n_r)
{
	size_t n = 0;

	while (v.n > 0 && (v.p[0] == ' ' || v.p[0] == '\t'))
		v.p++, v.n--;
	while (v.n > 0 && (v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t'))
		v.n--;
	if (v.n == 0)
		return 400;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 400;
		n = n * 10 + (size_t)(v.p[i] - '0');
		if (n > TG_WAKE_BODY_MAX)
			return 413;
	}
	*n_r = n;
	return 0;
}

static int
parse_headers(struct span h, struct tg_wake_req *r)
{
	bool have_length = false;

	while (h.n > 0) {
		struct span line, name;
		int st;

		(void)cut_at(&h, '\n', &line);
		if (line.n == 0 || line.p[line.n - 1] != '\r')
			return 400; /* bare LF */
		line.n--;
		if (line.n == 0)
			break; /* the empty line ending the head */
		if (!cut_at(&line, ':', &name) || name.n == 0)
			return 400;
		if (span_is_nocase(name, "Transfer-Encoding"))
			return 411;
		if (!span_is_nocase(name, "Content-Length"))
			continue;
		if (have_length)
			return 400; /* two lengths: a smuggling attempt */
		have_length = true;
		st = parse_content_length(line, &r->content_length);
		if (st != 0)
			return st;
	}
	return 0;
}

int
tg_wake_parse(const char *buf, size_t len, struct tg_wake_req *r)
{
	const char *end = NULL;
	struct span head, line;
	int st;

	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(buf + i, "\r\n\r\n", 4) == 0) {
			end = buf + i + 4;
			break;
		}
	if (end == NULL)
		return len >= TG_WAKE_HEAD_MAX ? 431 : 0;
	if ((size_t)(end - buf) > TG_WAKE_HEAD_MAX)
		return 431;
	memset(r, 0, sizeof(*r));
	r->head_len = (size_t)(end - buf);
	head.p = buf;
	head.n = r->head_len;
	(void)cut_at(&head, '\n', &line);
	if (line.n == 0 || line.p[line.n - 1] != '\r')
		return 400;
	line.n--;
	st = parse_request_line(line, r);
	if (st == 0)
		st = parse_headers(head, r);
	return st != 0 ? st : 204;
}

bool
tg_wake_matches(const struct tg_wake_req *r, const char *user,
		const char *folder)
{
	if (r->has_user && tg_ascii_strcasecmp(r->user, user) != 0)
		return false;
	if (!r->has_mailbox)
		return true;
	if (tg_ascii_strcasecmp(r->mailbox, "INBOX") == 0)
		return tg_ascii_strcasecmp(folder, "INBOX") == 0;
	return strcmp(r->mailbox, folder) == 0;
}

const char *
tg_wake_reason(int status)
{
	switch (status) {
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}
