/* The table-driven checks every config section goes through (STYLE.md
 * §8): unknown settings (with a suggestion), types, ranges, required
 * settings and defaults, stored straight into the snapshot's structs. */
#include "config-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char CFG_NONE[] = "";

/* Edit distance, to suggest the key a typo meant. Names are short. */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= TG_N(row) || lb >= TG_N(row))
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* A configuration file's text, NULL when unreadable or too large. */
struct cfg_source {
	char *file;
	char *text;
};

/* Larger than any configuration; past it the literal is not checked. */
#define SOURCE_MAX (1024 * 1024)

static char *
read_source(const char *file)
{
	FILE *f = fopen(file, "re");
	char *text = NULL;
	long size;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 &&
	    size <= SOURCE_MAX && fseek(f, 0, SEEK_SET) == 0) {
		text = tg_xmalloc((size_t)size + 1);
		if (fread(text, 1, (size_t)size, f) != (size_t)size) {
			free(text);
			text = NULL;
		} else {
			text[size] = '\0';
		}
	}
	fclose(f);
	return text;
}

/* file's text, read at its first use: the checks below would otherwise
 * read the file once per integer setting */
static const char *
source_text(struct cfg_ctx *c, const char *file)
{
	struct cfg_source *s;

	for (size_t i = 0; i < c->n_sources; i++)
		if (strcmp(c->sources[i].file, file) == 0)
			return c->sources[i].text;
	c->sources = tg_xrealloc(c->sources,
				 (c->n_sources + 1) * sizeof(*c->sources));
	s = &c->sources[c->n_sources++];
	s->file = tg_xstrdup(file);
	s->text = read_source(file);
	return s->text;
}

void
cfg_sources_free(struct cfg_ctx *c)
{
	for (size_t i = 0; i < c->n_sources; i++) {
		free(c->sources[i].file);
		free(c->sources[i].text);
	}
	free(c->sources);
	c->sources = NULL;
	c->n_sources = 0;
}

/* libconfig 1.5 reads an integer literal beyond 32 bits without the L
 * suffix as the wrapped value, silently (5000000000 becomes 705032704):
 * read the literal again from the source line to catch that. */
static bool
int_literal_wraps(struct cfg_ctx *c, const config_setting_t *s, long long v)
{
	char *file = cfg_setting_file(c, s);
	const char *p = source_text(c, file);
	unsigned want = cfg_line(s), line = 1;
	const char *name = config_setting_name(s);
	char buf[4096];
	bool wraps = false;
	size_t len, nlen;

	free(file);
	if (p == NULL || name == NULL)
		return false;
	nlen = strlen(name);
	while (line < want && (p = strchr(p, '\n')) != NULL) {
		p++;
		line++;
	}
	if (p == NULL || line != want)
		return false;
	len = strcspn(p, "\n");
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	/* the name may occur more than once on the line ({ urgent = 60; }
	 * twice): it wraps only if no occurrence reads as v */
	for (char *at = strstr(buf, name); at != NULL;
	     at = strstr(at + 1, name)) {
		char *q = at + nlen, *end;
		long long lit;

		if (at > buf && (at[-1] == '_' || at[-1] == '-' ||
				 (at[-1] >= 'a' && at[-1] <= 'z') ||
				 (at[-1] >= 'A' && at[-1] <= 'Z') ||
				 (at[-1] >= '0' && at[-1] <= '9')))
			continue;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		errno = 0;
		lit = strtoll(q, &end, 0);
		if (end == q)
			continue;
		if (errno != ERANGE && lit == v) {
			wraps = false;
			break;
		}
		wraps = true;
	}
	return wraps;
}

static const char *
type_want(enum cfg_type t)
{
	switch (t) {
	case CFG_INT:
		return "an integer";
	case CFG_STR:
		return "a string in quotes";
	case CFG_BOOL:
		return "true or false";
	case CFG_GROUP:
		return "a group { ... }";
	case CFG_LIST:
		return "a list ( { ... }, ... )";
	case CFG_STRS:
		return "an array of strings [ \"...\", ... ]";
	}
	return "?";
}

bool
cfg_type_ok(enum cfg_type t, const config_setting_t *s)
{
	int st = config_setting_type(s);

	switch (t) {
	case CFG_INT:
		return st == CONFIG_TYPE_INT || st == CONFIG_TYPE_INT64;
	case CFG_STR:
		return st == CONFIG_TYPE_STRING;
	case CFG_BOOL:
		return st == CONFIG_TYPE_BOOL;
	case CFG_GROUP:
		return st == CONFIG_TYPE_GROUP;
	case CFG_LIST:
		/* "()" and "[]" both say "none" */
		return st == CONFIG_TYPE_LIST ||
		       (st == CONFIG_TYPE_ARRAY &&
			config_setting_length(s) == 0);
	case CFG_STRS:
		/* ("a", "b") is a list of strings: as good as an array */
		return st == CONFIG_TYPE_ARRAY || st == CONFIG_TYPE_LIST;
	}
	return false;
}

/* Copies the value of row k into its field of dst, if it has one. */
static void
store(void *dst, const struct cfg_key *k, const void *v, size_t n)
{
	if (k->off != CFG_NO_OFF)
		memcpy((char *)dst + k->off, v, n);
}

static void
store_int(void *dst, const struct cfg_key *k, long long v)
{
	/* values are range-checked and the tables have no negative minimum */
	if (k->size == sizeof(uint64_t)) {
		uint64_t u = (uint64_t)v;

		store(dst, k, &u, sizeof(u));
	} else {
		uint32_t u = (uint32_t)v;

		if (k->size != sizeof(u))
			abort(); /* a table row on a field of another size */
		store(dst, k, &u, sizeof(u));
	}
}

static void
store_str(struct cfg_ctx *c, void *dst, const struct cfg_key *k, const char *v)
{
	const char *copy = v != NULL ? tg_pool_strdup(c->pool, v) : NULL;

	store(dst, k, &copy, sizeof(copy));
}

static void
store_bool(void *dst, const struct cfg_key *k, bool v)
{
	store(dst, k, &v, sizeof(v));
}

/* Stores the default of k (a missing optional setting). */
static void
store_default(struct cfg_ctx *c, void *dst, const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_INT:
		store_int(dst, k, strtoll(k->def, NULL, 10));
		break;
	case CFG_STR:
		store_str(c, dst, k, k->def == CFG_NONE ? NULL : k->def);
		break;
	case CFG_BOOL:
		store_bool(dst, k, strcmp(k->def, "true") == 0);
		break;
	default:
		break; /* aggregates: the section reads them */
	}
}

/* "where.name", or "name" at the top level. */
static void
join_key(char *out, size_t size, const char *where, const char *name)
{
	snprintf(out, size, "%s%s%s", where, where[0] != '\0' ? "." : "", name);
}

/* Checks and stores one present setting s for row k. */
static int
apply_one(struct cfg_ctx *c, const config_setting_t *s, const char *where,
	  const struct cfg_key *k, void *dst)
{
	char key[256];

	join_key(key, sizeof(key), where, k->name);
	if (!cfg_type_ok(k->type, s)) {
		cfg_error(c, s, "%s must be %s", key, type_want(k->type));
		return 1;
	}
	switch (k->type) {
	case CFG_INT: {
		long long v = config_setting_get_int64(s);

		if (config_setting_type(s) == CONFIG_TYPE_INT &&
		    int_literal_wraps(c, s, v)) {
			cfg_error(c, s, "%s is out of range %lld..%lld", key,
				  k->min, k->max);
			return 1;
		}
		if (v < k->min || v > k->max) {
			cfg_error(c, s, "%s = %lld is out of range %lld..%lld",
				  key, v, k->min, k->max);
			return 1;
		}
		store_int(dst, k, v);
		return 0;
	}
	case CFG_STR: {
		const char *v = config_setting_get_string(s), *why;
		size_t len = strlen(v);

		if (len == 0 && k->min > 0) {
			cfg_error(c, s, "%s must not be empty", key);
			return 1;
		}
		if ((long long)len < k->min) {
			cfg_error(c, s, "%s is shorter than %lld bytes", key,
				  k->min);
			return 1;
		}
		if ((long long)len > k->max) {
			cfg_error(c, s, "%s is longer than %lld bytes", key,
				  k->max);
			return 1;
		}
		if (k->check != NULL && (why = k->check(v)) != NULL) {
			cfg_error(c, s, "%s \"%s\": %s", key, v, why);
			return 1;
		}
		store_str(c, dst, k, v);
		return 0;
	}
	case CFG_BOOL:
		store_bool(dst, k, config_setting_get_bool(s) != 0);
		return 0;
	default:
		return 0; /* aggregates: the section reads them */
	}
}

int
cfg_apply_keys(struct cfg_ctx *c, const config_setting_t *g, const char *where,
	       const struct cfg_key *keys, size_t n, void *dst,
	       const config_setting_t **found)
{
	int nerr = 0;
	char key[256];

	for (size_t i = 0; i < n; i++)
		found[i] = NULL;
	for (int m = 0; g != NULL && m < config_setting_length(g); m++) {
		const config_setting_t *s = config_setting_get_elem(g, m);
		const char *name = config_setting_name(s);
		size_t i, best = SIZE_MAX, best_i = 0;

		for (i = 0; i < n; i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i < n) {
			found[i] = s;
			nerr += apply_one(c, s, where, &keys[i], dst);
			continue;
		}
		for (size_t j = 0; j < n; j++) {
			size_t d = distance(name, keys[j].name);

			if (d < best) {
				best = d;
				best_i = j;
			}
		}
		join_key(key, sizeof(key), where, name);
		if (best <= 2)
			cfg_error(c, s, "unknown setting %s (did you mean %s?)",
				  key, keys[best_i].name);
		else
			cfg_error(c, s, "unknown setting %s", key);
		nerr++;
	}
	for (size_t i = 0; i < n; i++) {
		if (found[i] != NULL)
			continue;
		if (keys[i].def == NULL) {
			/* the group's own line, or none for the top level */
			join_key(key, sizeof(key), where, keys[i].name);
			cfg_error(c,
				  g != NULL && !config_setting_is_root(g)
					  ? g
					  : NULL,
				  "%s is required", key);
			nerr++;
		} else {
			store_default(c, dst, &keys[i]);
		}
	}
	return nerr;
}

const char **
cfg_strings(struct cfg_ctx *c, const config_setting_t *s, const char *where,
	    size_t *n_r)
{
	size_t n = s != NULL ? (size_t)config_setting_length(s) : 0;
	const char **v = tg_pool_alloc_array(c->pool, n + 1, sizeof(*v));

	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cfg_error(c, e, "%s[%zu] must be a string in quotes",
				  where, i);
			continue;
		}
		v[i] = tg_pool_strdup(c->pool, config_setting_get_string(e));
	}
	*n_r = n;
	return v;
}
