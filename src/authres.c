/* Authentication-Results: authserv-id [version] ; method=result props...
 * ; ... (RFC 8601). Comments in parentheses are skipped; only the pieces
 * the alignment check needs are read. */
#include "ticketgate/authres.h"
#include "ticketgate/util.h"

#include <string.h>

/* The header value with comments blanked out, in buf (size >= len + 1). */
static void
strip_comments(const char *v, size_t len, char *buf)
{
	int depth = 0;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		char c = v[i];

		if (quoted) {
			if (c == '"')
				quoted = false;
		} else if (c == '"' && depth == 0) {
			quoted = true;
		} else if (c == '(') {
			depth++;
		} else if (c == ')' && depth > 0) {
			depth--;
			c = ' ';
		}
		buf[i] = depth > 0 ? ' ' : c;
	}
	buf[len] = '\0';
}

static const char *
skip_space(const char *p)
{
	while (*p != '\0' && tg_ascii_isspace((unsigned char)*p))
		p++;
	return p;
}

/* d aligns with from when they are equal or from ends in "." d. */
static bool
aligned(const char *d, size_t dlen, const char *from)
{
	size_t flen = strlen(from);

	while (dlen > 0 && d[dlen - 1] == '.')
		dlen--;
	if (dlen == 0 || dlen > flen)
		return false;
	if (tg_ascii_strncasecmp(from + flen - dlen, d, dlen) != 0)
		return false;
	return dlen == flen || from[flen - dlen - 1] == '.';
}

/* The domain in a property value: after the last '@' if any. */
static bool
value_aligned(const char *v, size_t n, const char *from)
{
	for (size_t i = n; i > 0; i--)
		if (v[i - 1] == '@')
			return aligned(v + i, n - i, from);
	return aligned(v, n, from);
}

/* One resinfo ("dkim=pass header.d=example.com"): a pass of a method we
 * count, with an aligned identity. */
static bool
resinfo_passes(const char *s, size_t n, const char *from)
{
	static const struct {
		const char *method, *prop;
	} wanted[] = {
		{"dkim", "header.d"},
		{"dkim", "header.i"},
		{"spf", "smtp.mailfrom"},
		{"dmarc", "header.from"},
	};
	const char *end = s + n, *eq, *v0;
	size_t mlen;

	s = skip_space(s);
	eq = memchr(s, '=', (size_t)(end - s));
	if (eq == NULL)
		return false;
	mlen = (size_t)(eq - s);
	while (mlen > 0 && tg_ascii_isspace((unsigned char)s[mlen - 1]))
		mlen--;
	v0 = skip_space(eq + 1);
	if (end - v0 < 4 || tg_ascii_strncasecmp(v0, "pass", 4) != 0 ||
	    (v0 + 4 < end && !tg_ascii_isspace((unsigned char)v0[4])))
		return false;
	for (size_t w = 0; w < TG_N(wanted); w++) {
		size_t plen = strlen(wanted[w].prop);

		if (mlen != strlen(wanted[w].method) ||
		    tg_ascii_strncasecmp(s, wanted[w].method, mlen) != 0)
			continue;
		for (const char *p = eq; p + plen < end; p++) {
			const char *v, *ve;

			if (!tg_ascii_isspace((unsigned char)p[-1]) ||
			    tg_ascii_strncasecmp(p, wanted[w].prop, plen) !=
				    0 ||
			    p[plen] != '=')
				continue;
			v = p + plen + 1;
			for (ve = v; ve < end && *ve != ';' &&
				     !tg_ascii_isspace((unsigned char)*ve);
			     ve++)
				;
			if (value_aligned(v, (size_t)(ve - v), from))
				return true;
		}
	}
	return false;
}

static bool
header_passes(const char *v, size_t len, const char *trusted, const char *from)
{
	char buf[4096];
	const char *p, *semi;
	size_t idlen;

	if (len >= sizeof(buf))
		return false; /* no genuine result is this long */
	strip_comments(v, len, buf);
	p = skip_space(buf);
	idlen = strcspn(p, "; \t");
	if (idlen != strlen(trusted) ||
	    tg_ascii_strncasecmp(p, trusted, idlen) != 0)
		return false;
	for (p = strchr(p, ';'); p != NULL; p = semi) {
		p++;
		semi = strchr(p, ';');
		if (resinfo_passes(
			    p, semi != NULL ? (size_t)(semi - p) : strlen(p),
			    from))
			return true;
	}
	return false;
}

bool
tg_authres_aligned_pass(const struct tg_message *m, const char *trusted_id,
			const char *from_domain)
{
	if (trusted_id == NULL || trusted_id[0] == '\0' ||
	    from_domain == NULL || from_domain[0] == '\0')
		return false;
	for (size_t i = 0; i < m->n_headers; i++)
		if (tg_ascii_strcasecmp(m->headers[i].name,
					"authentication-results") == 0 &&
		    header_passes(m->headers[i].value, m->headers[i].value_len,
				  trusted_id, from_domain))
			return true;
	return false;
}
