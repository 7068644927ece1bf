/* Message-ID, In-Reply-To and References: the list of ids in a header
 * value, by the same rule the reference scorer applies (see msgid.h).
 * Parses untrusted input: every scan is a single linear pass.
 */
#include "ticketgate/msgid.h"

#include <stdbool.h>
#include <string.h>

/* Python's str.isspace() on the ASCII range, which is what the reference
 * rule's \s and str.split() use: it includes the four separator controls
 * 0x1c-0x1f. Bytes >= 0x80 are never whitespace there (they arrive as
 * escaped bytes). */
static bool
py_space(unsigned char c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20);
}

static bool
strip_char(unsigned char c)
{
	return c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
	       c == '\'';
}

/* Copies in[0..len) without whitespace (and without NUL, which would
 * silently truncate the C string) into the pool; NULL when nothing is
 * left, since empty ids are dropped. */
static char *
dup_squeezed(struct tg_pool *pool, const char *in, size_t len)
{
	size_t n = 0;
	char *d;

	for (size_t i = 0; i < len; i++)
		if (!py_space((unsigned char)in[i]) && in[i] != '\0')
			n++;
	if (n == 0)
		return NULL;
	d = tg_pool_alloc(pool, n + 1);
	n = 0;
	for (size_t i = 0; i < len; i++)
		if (!py_space((unsigned char)in[i]) && in[i] != '\0')
			d[n++] = in[i];
	d[n] = '\0';
	return d;
}

/* The regex <([^<>]*)> scanned left to right: a match is always the last
 * '<' before a '>' with no other '<' in between, so one pass remembering
 * the latest '<' finds them all. Stores the non-empty contents when ids is
 * given; returns how many matches (empty ones included) there were. */
static size_t
scan_angles(const char *in, size_t len, struct tg_pool *pool, char **ids,
	    size_t *nids)
{
	size_t matches = 0;
	size_t open = 0;
	bool have_open = false;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '<') {
			open = i + 1;
			have_open = true;
		} else if (in[i] == '>' && have_open) {
			matches++;
			if (ids != NULL) {
				char *id = dup_squeezed(pool, in + open,
							i - open);

				if (id != NULL)
					ids[(*nids)++] = id;
			}
			have_open = false;
		}
	}
	return matches;
}

/* The fallback: whitespace-separated tokens containing '@', stripped of
 * <>,;"' at both ends. Counts when ids is NULL. */
static size_t
scan_tokens(const char *in, size_t len, struct tg_pool *pool, char **ids)
{
	size_t n = 0;
	size_t i = 0;

	while (i < len) {
		size_t start, end;
		bool at = false;

		while (i < len && py_space((unsigned char)in[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !py_space((unsigned char)in[i])) {
			if (in[i] == '@')
				at = true;
			i++;
		}
		end = i;
		if (!at)
			continue;
		while (start < end && strip_char((unsigned char)in[start]))
			start++;
		while (end > start && strip_char((unsigned char)in[end - 1]))
			end--;
		/* '@' is not stripped, so the token cannot become empty;
		 * NUL bytes are dropped like in dup_squeezed. */
		if (ids != NULL) {
			char *id = dup_squeezed(pool, in + start, end - start);

			if (id != NULL)
				ids[n++] = id;
		} else {
			n++;
		}
	}
	return n;
}

size_t
tg_msgid_parse_list(struct tg_pool *pool, const char *in, size_t len,
		    char ***ids_r)
{
	size_t matches, n = 0;
	char **ids;

	*ids_r = NULL;
	if (in == NULL || len == 0)
		return 0;
	/* Count first so the array is sized exactly: two linear passes
	 * instead of a growing array. */
	matches = scan_angles(in, len, pool, NULL, NULL);
	if (matches > 0) {
		ids = tg_pool_alloc_array(pool, matches + 1, sizeof(*ids));
		scan_angles(in, len, pool, ids, &n);
	} else {
		size_t count = scan_tokens(in, len, pool, NULL);

		if (count == 0)
			return 0;
		ids = tg_pool_alloc_array(pool, count + 1, sizeof(*ids));
		n = scan_tokens(in, len, pool, ids);
	}
	if (n == 0)
		return 0;
	ids[n] = NULL;
	*ids_r = ids;
	return n;
}
