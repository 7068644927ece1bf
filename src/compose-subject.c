/* The subject of our mail: the ticket's "[#N]" token exactly once, after
 * one reply or forward prefix, so the customer's client threads it and
 * tg_thread_subject_token finds it. Reads subjects written by senders. */
#include "ticketgate/compose.h"
#include "compose-private.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum prefix {
	PREFIX_NONE,
	PREFIX_FORWARD,
	PREFIX_REPLY,
};

/* Prefixes mail clients write, in the languages our customers use. */
static const char *const reply_words[] = {
	"re", "aw", "sv", "vs", "res", "antw", "rif", "odp",
};
static const char *const forward_words[] = {
	"fw", "fwd", "wg", "enc", "tr", "rv", "doorst",
};

static enum prefix
classify_word(const char *s, size_t n)
{
	for (size_t i = 0; i < TG_N(reply_words); i++)
		if (strlen(reply_words[i]) == n &&
		    tg_ascii_strncasecmp(s, reply_words[i], n) == 0)
			return PREFIX_REPLY;
	for (size_t i = 0; i < TG_N(forward_words); i++)
		if (strlen(forward_words[i]) == n &&
		    tg_ascii_strncasecmp(s, forward_words[i], n) == 0)
			return PREFIX_FORWARD;
	return PREFIX_NONE;
}

/* A prefix at s ("Re:", "RE[2]:", "AW :"): its kind, and in *len its
 * length with the blanks after it. */
static enum prefix
prefix_at(const char *s, size_t *len)
{
	size_t n = 0, e;
	enum prefix k;

	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))
		n++;
	k = classify_word(s, n);
	if (k == PREFIX_NONE)
		return k;
	e = n;
	if (s[e] == '[' || s[e] == '(') {
		char close = s[e] == '[' ? ']' : ')';

		while (s[++e] >= '0' && s[e] <= '9')
			;
		if (s[e] != close || e == n + 1)
			return PREFIX_NONE;
		e++;
	}
	if (s[e] == ' ')
		e++;
	if (s[e] != ':')
		return PREFIX_NONE;
	e++;
	while (s[e] == ' ')
		e++;
	*len = e;
	return k;
}

/* Length of "[#number]" at s, or 0 when s does not start with it. */
static size_t
token_at(const char *s, int64_t number)
{
	int64_t n = 0;
	size_t i = 2;

	if (s[0] != '[' || s[1] != '#')
		return 0;
	/* bounds: at most 18 digits, well inside int64_t */
	while (s[i] >= '0' && s[i] <= '9' && i < 20)
		n = n * 10 + (s[i++] - '0');
	return i > 2 && s[i] == ']' && n == number ? i + 1 : 0;
}

const char *
tg_compose_subject(struct tg_pool *pool, int64_t number, const char *subject)
{
	char *clean = compose_clean(subject), *rest;
	enum prefix kind = PREFIX_NONE;
	struct tg_buf b;
	const char *p = clean, *result;
	size_t len;

	if (number <= 0) {
		result = tg_pool_strdup(pool, clean);
		free(clean);
		return result;
	}
	tg_buf_init(&b, strlen(clean) + 32, 0);
	/* every copy of our token goes; what it leaves is cleaned again */
	while (*p != '\0') {
		size_t t = token_at(p, number);

		if (t == 0)
			tg_buf_putc(&b, *p++);
		else
			p += t;
	}
	rest = compose_clean(tg_buf_cstr(&b));
	p = rest;
	for (;;) {
		/* the token sat between prefixes: "Re: [#42] Re: x" */
		enum prefix k = prefix_at(p, &len);

		if (k == PREFIX_NONE)
			break;
		kind = k > kind ? k : kind;
		p += len;
	}
	tg_buf_reset(&b);
	if (kind != PREFIX_NONE)
		tg_buf_puts(&b, kind == PREFIX_REPLY ? "Re: " : "Fwd: ");
	tg_buf_appendf(&b, "[#%" PRId64 "]%s", number, *p != '\0' ? " " : "");
	tg_buf_puts(&b, p);
	result = tg_pool_strndup(pool, tg_buf_cstr(&b), b.len);
	tg_buf_deinit(&b);
	free(clean);
	free(rest);
	return result;
}
