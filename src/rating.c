/* Ratings in replies to the feedback request. The words are the common
 * short answers; anything longer is a comment or a new question, which
 * the caller treats as an ordinary reply. */
#include "ticketgate/rating.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static const struct {
	const char *words;
	int rating;
} phrases[] = {
	{"excellent", 5}, {"great", 5}, {"very good", 5}, {"perfect", 5},
	{"excelente", 5}, {"muito bom", 5}, {"muito boa", 5}, {"otimo", 5},
	{"\xc3\xb3timo", 5}, {"perfeito", 5},
	{"good", 4}, {"bom", 4}, {"boa", 4},
	{"ok", 3}, {"okay", 3}, {"average", 3}, {"razoavel", 3},
	{"razo\xc3\xa1vel", 3}, {"normal", 3},
	{"bad", 2}, {"poor", 2}, {"mau", 2}, {"ma", 2}, {"m\xc3\xa1", 2},
	{"ruim", 2}, {"fraco", 2},
	{"very bad", 1}, {"terrible", 1}, {"awful", 1}, {"muito mau", 1},
	{"muito m\xc3\xa1", 1}, {"p\xc3\xa9ssimo", 1}, {"pessimo", 1},
	{"horrivel", 1}, {"horr\xc3\xadvel", 1},
};

/* the line without trailing punctuation, spaces and a "stars" word */
static size_t
core_length(const char *s, size_t n)
{
	while (n > 0 && (tg_ascii_isspace((unsigned char)s[n - 1]) ||
			 strchr("!.,;*", s[n - 1]) != NULL))
		n--;
	return n;
}

static int
digits(const char *s, size_t n)
{
	int r;

	if (n == 0 || s[0] < '1' || s[0] > '5')
		return 0;
	r = s[0] - '0';
	s++, n--;
	while (n > 0 && s[0] == ' ')
		s++, n--;
	if (n == 0)
		return r;
	if ((n == 2 && memcmp(s, "/5", 2) == 0) ||
	    (n == 4 && memcmp(s, "of 5", 4) == 0) ||
	    (n == 4 && tg_ascii_strncasecmp(s, "star", 4) == 0) ||
	    (n == 5 && tg_ascii_strncasecmp(s, "stars", 5) == 0) ||
	    (n == 7 && tg_ascii_strncasecmp(s, "estrela", 7) == 0) ||
	    (n == 8 && tg_ascii_strncasecmp(s, "estrelas", 8) == 0))
		return r;
	return 0;
}

static int
words(const char *s, size_t n)
{
	for (size_t i = 0; i < TG_N(phrases); i++)
		if (strlen(phrases[i].words) == n &&
		    tg_ascii_strncasecmp(s, phrases[i].words, n) == 0)
			return phrases[i].rating;
	return 0;
}

int
tg_rating_parse(const char *text, const char **rest_r)
{
	const char *p = text, *line;
	size_t len, n;
	int r;

	*rest_r = text;
	while (*p != '\0' && tg_ascii_isspace((unsigned char)*p))
		p++;
	line = p;
	len = strcspn(line, "\n");
	n = core_length(line, len);
	r = digits(line, n);
	if (r == 0)
		r = words(line, n);
	if (r == 0)
		return 0;
	p = line + len;
	while (*p != '\0' && tg_ascii_isspace((unsigned char)*p))
		p++;
	*rest_r = p;
	return r;
}
