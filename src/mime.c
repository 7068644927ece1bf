/* MIME structure parser: header blocks, boundaries and the part tree.
 * Parses untrusted input. Lines end in CRLF, LF or a lone CR; a line that
 * matches the boundary of any enclosing multipart ends the current part,
 * so a missing close boundary cannot swallow the rest of the message. */
#include "ticketgate/mime.h"
#include "ticketgate/util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 64 /* hard ceiling whatever the configured depth */

struct scan {
	struct tg_pool *pool;
	const char *s;
	size_t len;
	const struct tg_limits *lim;
	unsigned *limits_hit;
	size_t parts;
	/* boundaries of the enclosing multiparts, innermost last */
	const char *bnd[MAX_NESTING];
	size_t bnd_len[MAX_NESTING];
	unsigned n_bnd;
};

/* Returns the offset after the line starting at pos; *cend_r is where its
 * content ends (before the line break). */
static size_t
next_line(const struct scan *sc, size_t pos, size_t *cend_r)
{
	const char *p = sc->s + pos;
	size_t rest = sc->len - pos;
	const char *nl = memchr(p, '\n', rest);
	size_t n = nl != NULL ? (size_t)(nl - p) : rest;
	const char *cr = memchr(p, '\r', n);

	if (cr != NULL && (size_t)(cr - p) + 1 < n) {
		/* a lone CR ends the line */
		*cend_r = pos + (size_t)(cr - p);
		return *cend_r + 1;
	}
	if (nl == NULL) {
		if (cr != NULL) {
			*cend_r = pos + (size_t)(cr - p);
			return sc->len;
		}
		*cend_r = sc->len;
		return sc->len;
	}
	*cend_r = pos + (cr != NULL ? n - 1 : n);
	return pos + n + 1;
}

/* Whether line [pos, cend) is "--" boundary, optionally "--", then only
 * blanks. *close_r tells the closing form. */
static bool
match_boundary(const char *line, size_t n, const char *b, size_t bl,
	       bool *close_r)
{
	size_t i;

	if (n < bl + 2 || line[0] != '-' || line[1] != '-' ||
	    memcmp(line + 2, b, bl) != 0)
		return false;
	i = bl + 2;
	*close_r = false;
	if (i + 2 <= n && line[i] == '-' && line[i + 1] == '-') {
		*close_r = true;
		i += 2;
	}
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i == n;
}

/* True when the line ends the current part: the end of input or a
 * boundary line of any enclosing multipart. */
static bool
at_eof(const struct scan *sc, size_t pos, size_t cend)
{
	bool close;

	if (pos >= sc->len)
		return true;
	if (cend - pos < 2 || sc->s[pos] != '-' || sc->s[pos + 1] != '-')
		return false;
	for (unsigned i = sc->n_bnd; i-- > 0;)
		if (match_boundary(sc->s + pos, cend - pos, sc->bnd[i],
				   sc->bnd_len[i], &close))
			return true;
	return false;
}

/* A line that can belong to a header block: "From ", a field name and a
 * colon, or a continuation. */
static bool
is_header_line(const char *l, size_t n)
{
	if (n == 0)
		return false;
	if (l[0] == ' ' || l[0] == '\t')
		return true;
	if (n >= 5 && memcmp(l, "From ", 5) == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];

		if (c == ':')
			return true;
		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return false;
}

struct hline {
	size_t start, cend;
};

/* Appends one unfolded field built from header lines [first, last]. */
static void
add_field(struct scan *sc, struct tg_header *out, size_t *n,
	  const struct hline *lines, size_t first, size_t last)
{
	const char *l = sc->s + lines[first].start;
	size_t ln = lines[first].cend - lines[first].start;
	const char *colon = memchr(l, ':', ln);
	struct tg_buf v;
	size_t i;

	if (*n >= sc->lim->header_count) {
		*sc->limits_hit |= TG_LIMIT_HEADER_COUNT;
		return;
	}
	tg_buf_init(&v, 128, sc->lim->header_line_bytes);
	i = (size_t)(colon - l) + 1;
	while (i < ln && (l[i] == ' ' || l[i] == '\t'))
		i++;
	tg_buf_append(&v, l + i, ln - i);
	for (size_t k = first + 1; k <= last; k++)
		tg_buf_append(&v, sc->s + lines[k].start,
			      lines[k].cend - lines[k].start);
	if (v.overflow)
		*sc->limits_hit |= TG_LIMIT_HEADER_LINE;
	out[*n].name = tg_pool_strndup(sc->pool, l, (size_t)(colon - l));
	out[*n].value = tg_pool_strndup(sc->pool, tg_buf_cstr(&v), v.len);
	out[*n].value_len = v.len;
	(*n)++;
	tg_buf_deinit(&v);
}

/* Reads a header block at *pos. Stops after the blank line, or before a
 * line that cannot be a header (it then starts the body) or that ends the
 * part. */
static void
parse_headers(struct scan *sc, size_t *pos, struct tg_part *part)
{
	size_t cap = 16, nl = 0, p = *pos, cend, next, bytes = 0, nf = 0;
	struct hline *lines = tg_xmalloc(cap * sizeof(*lines));
	size_t cur = SIZE_MAX;
	struct tg_header *fields;

	for (;;) {
		if (p >= sc->len)
			break;
		next = next_line(sc, p, &cend);
		if (at_eof(sc, p, cend))
			break;
		if (cend == p) { /* the blank line ends the header */
			p = next;
			break;
		}
		if (!is_header_line(sc->s + p, cend - p))
			break;
		bytes += next - p;
		if (bytes > sc->lim->header_bytes) {
			/* keep consuming the block, store no more of it */
			*sc->limits_hit |= TG_LIMIT_HEADER_BYTES;
		} else {
			if (nl == cap) {
				cap *= 2;
				lines = tg_xrealloc(lines, cap * sizeof(*lines));
			}
			lines[nl].start = p;
			lines[nl].cend = cend;
			nl++;
		}
		p = next;
	}
	*pos = p;

	fields = tg_pool_alloc_array(sc->pool, nl + 1, sizeof(*fields));
	for (size_t i = 0; i < nl; i++) {
		const char *l = sc->s + lines[i].start;
		size_t ln = lines[i].cend - lines[i].start;

		if (l[0] == ' ' || l[0] == '\t')
			continue; /* continuation: taken with its field */
		if (cur != SIZE_MAX)
			add_field(sc, fields, &nf, lines, cur, i - 1);
		cur = SIZE_MAX;
		if (ln >= 5 && memcmp(l, "From ", 5) == 0) {
			if (i != 0 && i == nl - 1) {
				/* probably the first body line */
				*pos = lines[i].start;
				break;
			}
			continue; /* mbox envelope line: not a header */
		}
		if (l[0] == ':')
			continue; /* no field name: skip it */
		cur = i;
		/* find the last continuation line of this field */
		while (i + 1 < nl && (sc->s[lines[i + 1].start] == ' ' ||
				      sc->s[lines[i + 1].start] == '\t'))
			i++;
		add_field(sc, fields, &nf, lines, cur, i);
		cur = SIZE_MAX;
	}
	free(lines);
	part->headers = fields;
	part->n_headers = nf;
}

const struct tg_header *
tg_mime_header(const struct tg_header *headers, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (tg_ascii_strcasecmp(headers[i].name, name) == 0)
			return &headers[i];
	return NULL;
}

bool
tg_mime_is_attachment(const struct tg_part *part)
{
	const char *v = part->disp.value;
	size_t n = 0;

	if (v == NULL)
		return false;
	while (v[n] != '\0' && !tg_ascii_isspace((unsigned char)v[n]))
		n++;
	return n == 10 && memcmp(v, "attachment", 10) == 0;
}

/* Fills content type, disposition and transfer encoding from headers. */
static void
classify_part(struct scan *sc, struct tg_part *part, const char *deftype)
{
	const struct tg_header *h;
	const char *ct = deftype;

	h = tg_mime_header(part->headers, part->n_headers, "content-type");
	if (h != NULL) {
		const char *slash;

		tg_param_parse(sc->pool, h->value, h->value_len, &part->ctype);
		ct = part->ctype.value;
		slash = strchr(ct, '/');
		if (slash == NULL || strchr(slash + 1, '/') != NULL)
			ct = "text/plain";
	} else {
		part->ctype.value = tg_pool_strdup(sc->pool, "");
	}
	part->content_type = ct;

	h = tg_mime_header(part->headers, part->n_headers,
			   "content-disposition");
	if (h != NULL)
		tg_param_parse(sc->pool, h->value, h->value_len, &part->disp);
	else
		part->disp.value = tg_pool_strdup(sc->pool, "");

	part->cte = "7bit";
	h = tg_mime_header(part->headers, part->n_headers,
			   "content-transfer-encoding");
	if (h != NULL) {
		const char *v = h->value;
		size_t n = h->value_len, a = 0, b;
		char *cte;

		b = memchr(v, ';', n) ? (size_t)((const char *)memchr(v, ';', n) - v) : n;
		while (a < b && (tg_ascii_isspace((unsigned char)v[a]) ||
				 v[a] == '"' || v[a] == '\''))
			a++;
		while (b > a && (tg_ascii_isspace((unsigned char)v[b - 1]) ||
				 v[b - 1] == '"' || v[b - 1] == '\''))
			b--;
		if (b > a) {
			cte = tg_pool_strndup(sc->pool, v + a, b - a);
			for (char *c = cte; *c != '\0'; c++)
				*c = (char)tg_ascii_tolower((unsigned char)*c);
			part->cte = cte;
		}
	}
}

static size_t strip_eol(const char *s, size_t n)
{
	if (n > 0 && s[n - 1] == '\n')
		n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1;
	else if (n > 0 && s[n - 1] == '\r')
		n--;
	return n;
}

/* Skips lines up to the end of the part; returns where it stopped. */
static size_t
skip_to_eof(const struct scan *sc, size_t p)
{
	size_t cend, next;

	while (p < sc->len) {
		next = next_line(sc, p, &cend);
		if (at_eof(sc, p, cend))
			break;
		p = next;
	}
	return p;
}

static size_t parse_part(struct scan *sc, size_t pos, struct tg_part *part,
			 const char *deftype);

/* Splits a multipart body at pos into children. Returns where it
 * stopped, or SIZE_MAX when the first boundary never came (the caller
 * then keeps the part as a leaf). */
static size_t
parse_multipart(struct scan *sc, size_t pos, struct tg_part *part,
		const char *bnd)
{
	size_t bl = strlen(bnd), p = pos, cend, next;
	const char *childtype = strcmp(part->content_type, "multipart/digest") == 0
					? "message/rfc822" : "text/plain";
	struct tg_part **tail = &part->children;
	bool close = false, started = false;

	for (;;) {
		if (p >= sc->len)
			break;
		next = next_line(sc, p, &cend);
		if (at_eof(sc, p, cend))
			break;
		if (!match_boundary(sc->s + p, cend - p, bnd, bl, &close)) {
			if (started) /* cannot happen: children stop at a boundary */
				break;
			p = next; /* preamble */
			continue;
		}
		if (close)
			break;
		started = true;
		/* several boundary lines in a row make no empty parts */
		p = next;
		while (p < sc->len) {
			bool c2;

			next = next_line(sc, p, &cend);
			if (!match_boundary(sc->s + p, cend - p, bnd, bl, &c2))
				break;
			p = next;
		}
		if (sc->parts >= sc->lim->mime_parts) {
			*sc->limits_hit |= TG_LIMIT_MIME_PARTS;
			sc->bnd[sc->n_bnd] = bnd;
			sc->bnd_len[sc->n_bnd++] = bl;
			p = skip_to_eof(sc, p);
			sc->n_bnd--;
			continue;
		}
		struct tg_part *child = tg_pool_alloc(sc->pool, sizeof(*child));

		child->parent = part;
		child->depth = part->depth + 1;
		sc->parts++;
		sc->bnd[sc->n_bnd] = bnd;
		sc->bnd_len[sc->n_bnd++] = bl;
		p = parse_part(sc, p, child, childtype);
		sc->n_bnd--;
		/* the line break before a boundary belongs to the boundary */
		child->body_len = strip_eol(child->body, child->body_len);
		*tail = child;
		tail = &child->next;
	}
	if (!started)
		return SIZE_MAX;
	part->multipart = true;
	return close ? skip_to_eof(sc, next) : p;
}

/* The boundary as written, when the parameter parser read less of it
 * (an unquoted boundary=----=_Part_1 stops at '=' for strict parsers). */
static const char *
raw_boundary(struct scan *sc, const struct tg_part *part)
{
	const struct tg_header *h = tg_mime_header(part->headers,
						   part->n_headers,
						   "content-type");
	const char *v, *end, *p;

	if (h == NULL)
		return NULL;
	v = h->value;
	end = v + h->value_len;
	for (p = v; p + 8 <= end; p++) {
		if (tg_ascii_strncasecmp(p, "boundary", 8) != 0)
			continue;
		p += 8;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p != '=')
			continue;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p == '"') {
			const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));

			return q != NULL ? tg_pool_strndup(sc->pool, p + 1,
							   (size_t)(q - p - 1))
					 : NULL;
		}
		v = p;
		while (p < end && *p != ';' && !tg_ascii_isspace((unsigned char)*p))
			p++;
		return p > v ? tg_pool_strndup(sc->pool, v, (size_t)(p - v))
			     : NULL;
	}
	return NULL;
}

/* The first "--token" line of the body: the boundary a sender meant when
 * the declared one is missing or wrong. */
static const char *
sniff_boundary(struct scan *sc, size_t p)
{
	size_t cend, next;

	while (p < sc->len) {
		next = next_line(sc, p, &cend);
		if (at_eof(sc, p, cend))
			return NULL;
		if (cend - p > 2 && sc->s[p] == '-' && sc->s[p + 1] == '-') {
			size_t e = cend;

			while (e > p + 2 && (sc->s[e - 1] == ' ' || sc->s[e - 1] == '\t'))
				e--;
			return e > p + 2 ? tg_pool_strndup(sc->pool, sc->s + p + 2,
							   e - p - 2)
					 : NULL;
		}
		p = next;
	}
	return NULL;
}

/* Splits a multipart, trying the declared boundary first, then the
 * boundary as written, then one found in the body. Returns where it
 * stopped, or SIZE_MAX when none of them splits it. */
static size_t
split_multipart(struct scan *sc, size_t pos, struct tg_part *part)
{
	const char *tried[3] = { NULL, NULL, NULL };
	size_t end = SIZE_MAX;

	tried[0] = tg_param_get(&part->ctype, "boundary");
	tried[1] = raw_boundary(sc, part);
	tried[2] = sniff_boundary(sc, pos);
	for (size_t i = 0; i < TG_N(tried) && end == SIZE_MAX; i++) {
		const char *b = tried[i];
		size_t bl = b != NULL ? strlen(b) : 0;
		bool again = false;

		while (bl > 0 && tg_ascii_isspace((unsigned char)b[bl - 1]))
			bl--;
		if (bl == 0)
			continue;
		for (size_t k = 0; k < i; k++)
			if (tried[k] != NULL && strlen(tried[k]) >= bl &&
			    strncmp(tried[k], b, bl) == 0 &&
			    (tried[k][bl] == '\0' ||
			     tg_ascii_isspace((unsigned char)tried[k][bl])))
				again = true;
		if (again)
			continue;
		end = parse_multipart(sc, pos, part, tg_pool_strndup(sc->pool, b, bl));
	}
	return end;
}

static size_t
parse_part(struct scan *sc, size_t pos, struct tg_part *part,
	   const char *deftype)
{
	size_t end;

	parse_headers(sc, &pos, part);
	classify_part(sc, part, deftype);
	part->body = sc->s + pos;

	if (strncmp(part->content_type, "multipart/", 10) == 0) {
		if (part->depth < sc->lim->mime_depth &&
		    sc->n_bnd < MAX_NESTING) {
			end = split_multipart(sc, pos, part);
			if (end != SIZE_MAX) {
				part->body_len = end - pos;
				return end;
			}
		} else {
			*sc->limits_hit |= TG_LIMIT_MIME_DEPTH;
		}
	}
	end = skip_to_eof(sc, pos);
	part->body_len = end - pos;
	return end;
}

struct tg_part *
tg_mime_parse(struct tg_pool *pool, const char *raw, size_t len,
	      const struct tg_limits *lim, unsigned *limits_hit)
{
	struct scan sc = {
		.pool = pool, .s = raw, .len = len, .lim = lim,
		.limits_hit = limits_hit,
	};
	struct tg_part *root = tg_pool_alloc(pool, sizeof(*root));

	if (len > lim->message_bytes) {
		*limits_hit |= TG_LIMIT_MESSAGE_BYTES;
		sc.len = lim->message_bytes;
	}
	sc.parts = 1;
	parse_part(&sc, 0, root, "text/plain");
	return root;
}
