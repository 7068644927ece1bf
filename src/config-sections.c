/* The config sections that are not about time: instance (with the secret
 * file), database (with the password file), limits, departments, routing
 * and the support addresses (their IMAP keys are linked in config-imap.c).
 * Each checks its keys through a table, then what a table cannot say
 * (cross-references, duplicates). */
#include "config-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_MIN_BYTES 32
#define SECRET_MAX_BYTES 4096

/* --- syntax checks of single strings ------------------------------------ */

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* Goes into a mail header as is: keep it a plain token. */
static const char *
check_id(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (!is_alnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return "use only letters, digits, '.', '_' and '-'";
	return NULL;
}

/* A DNS name: dot-separated labels of letters, digits and inner hyphens. */
static const char *
check_domain(const char *v)
{
	const char *label = v;

	for (const char *p = v;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);

			if (len == 0 || len > 63)
				return "not a domain name (empty or long "
				       "label)";
			if (label[0] == '-' || p[-1] == '-')
				return "not a domain name (label starts or "
				       "ends with '-')";
			if (*p == '\0')
				return NULL;
			label = p + 1;
		} else if (!is_alnum(*p) && *p != '-') {
			return "not a domain name";
		}
	}
}

static const char *
check_address(const char *v)
{
	const char *at = strrchr(v, '@');

	if (at == NULL || at == v)
		return "want local@domain";
	for (const char *p = v; p < at; p++)
		if ((unsigned char)*p <= ' ' || *p == '@' || *p == '<' ||
		    *p == '>' || *p == '"' || *p == '(' || *p == ')' ||
		    *p == ',' || *p == ';' || *p == ':' || *p == '\\' ||
		    (unsigned char)*p == 0x7f)
			return "want a plain local@domain address";
	return check_domain(at + 1) != NULL ? "the domain is not a domain name"
					    : NULL;
}

/* BCP 47 in the shape mail uses: "en", "pt", "pt-BR", "zh-Hant". */
static const char *
check_language(const char *v)
{
	size_t n = 0;
	const char *p = v;

	while (*p >= 'a' && *p <= 'z') {
		p++;
		n++;
	}
	if (n < 2 || n > 3)
		return "want a language tag such as \"en\" or \"pt-BR\"";
	while (*p == '-') {
		n = 0;
		for (p++; is_alnum(*p); p++)
			n++;
		if (n == 0 || n > 8)
			return "want a language tag such as \"en\" or "
			       "\"pt-BR\"";
	}
	return *p == '\0' ? NULL
			  : "want a language tag such as \"en\" or \"pt-BR\"";
}

/* Ends up in a From header: a line break would inject header fields. */
static const char *
check_text(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
			return "control characters are not allowed";
	return NULL;
}

/* The password belongs in its own file, where the check above it can see
 * its permissions, and never in a string that may be logged. */
static const char *
check_conninfo(const char *v)
{
	const char *scheme = strstr(v, "://");

	for (const char *p = v; *p != '\0'; p++)
		if (tg_ascii_strncasecmp(p, "password", 8) == 0) {
			const char *q = p + 8;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == '=')
				return "holds a password: put it in "
				       "database.password_file";
		}
	if (scheme != NULL) {
		const char *auth = scheme + 3;
		size_t hostlen = strcspn(auth, "/?");
		const char *at = memchr(auth, '@', hostlen);

		if (at != NULL && memchr(auth, ':', (size_t)(at - auth)))
			return "holds a password: put it in "
			       "database.password_file";
	}
	return check_text(v);
}

/* --- secret files --------------------------------------------------------- */

/* Reads the file named by setting s (key names it in messages) into a
 * malloc'd buffer of at most max bytes, wiping what it read on failure.
 * Returns the buffer, or NULL with the problem reported; NULL and nothing
 * reported when the caller asked for no secrets. */
static unsigned char *
read_secret_file(struct cfg_ctx *c, const config_setting_t *s, const char *key,
		 const char *path, size_t max, size_t *len_r)
{
	unsigned char *buf;
	struct stat st;
	size_t len = 0;
	bool failed = false;
	int fd;

	if (c->no_secrets)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cfg_error(c, s, "%s \"%s\": cannot open: %s", key, path,
			  strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		cfg_error(c, s, "%s \"%s\": not a regular file", key, path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & S_IROTH)
		cfg_warn(c, s, "%s \"%s\" is readable by everyone (chmod o-r)",
			 key, path);
	/* one byte more than allowed, to see an oversized file as such */
	buf = tg_xmalloc(max + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cfg_error(c, s, "%s \"%s\": cannot read: %s", key, path,
				  strerror(errno));
			failed = true;
			break;
		}
		len += (size_t)n;
		if (n == 0 || len > max)
			break;
	}
	close(fd);
	if (failed) {
		/* reported above */
	} else if (len > max) {
		cfg_error(c, s, "%s \"%s\" holds more than %zu bytes", key,
			  path, max);
		failed = true;
	} else if (len == 0) {
		cfg_error(c, s, "%s \"%s\" is empty", key, path);
		failed = true;
	}
	if (failed) {
		explicit_bzero(buf, max + 1);
		free(buf);
		return NULL;
	}
	*len_r = len;
	return buf;
}

/* --- instance, database, limits --------------------------------------- */

void
cfg_load_instance(struct cfg_ctx *c, const config_setting_t *g)
{
	static const struct cfg_key keys[] = {
		/* name, min/max length, default, field, check */
		CFG_ROW_STR("id", 1, 64, NULL, struct tg_config, instance.id,
			    check_id),
		CFG_ROW_STR("domain", 1, 253, NULL, struct tg_config,
			    instance.domain, check_domain),
		CFG_ROW_STR("secret_file", 1, 4096, NULL, struct tg_config,
			    instance.secret_file, NULL),
		CFG_ROW_STR("trusted_authserv_id", 1, 253, CFG_NONE,
			    struct tg_config, instance.trusted_authserv_id,
			    check_domain),
		CFG_ROW_BOOL("agent_tokens", "false", struct tg_config,
			     instance.agent_tokens),
	};
	const config_setting_t *found[TG_N(keys)];
	struct tg_config *cfg = &c->impl->pub;
	char *dom;

	if (g == NULL)
		return; /* required: already reported */
	/* a bad key leaves its field NULL: check the others anyway */
	cfg_apply_keys(c, g, "instance", keys, TG_N(keys), cfg, found);
	if (cfg->instance.domain != NULL) {
		/* compared with addresses' domains: keep one spelling */
		dom = tg_pool_strdup(c->pool, cfg->instance.domain);
		for (char *p = dom; *p != '\0'; p++)
			*p = (char)tg_ascii_tolower((unsigned char)*p);
		cfg->instance.domain = dom;
	}
	if (cfg->instance.secret_file == NULL)
		return;

	cfg->instance.secret_file =
		cfg_resolve_path(c, found[2], cfg->instance.secret_file);
	c->impl->secret = read_secret_file(
		c, found[2], "instance.secret_file", cfg->instance.secret_file,
		SECRET_MAX_BYTES, &c->impl->secret_len);
	/* a trailing newline is an editor's habit, part of no key */
	while (c->impl->secret != NULL && c->impl->secret_len > 0 &&
	       (c->impl->secret[c->impl->secret_len - 1] == '\n' ||
		c->impl->secret[c->impl->secret_len - 1] == '\r'))
		c->impl->secret_len--;
	if (c->impl->secret != NULL && c->impl->secret_len < SECRET_MIN_BYTES)
		cfg_error(
			c, found[2],
			"instance.secret_file \"%s\" holds %zu bytes; the key "
			"needs at least %d",
			cfg->instance.secret_file, c->impl->secret_len,
			SECRET_MIN_BYTES);
	cfg->instance.secret = c->impl->secret;
	cfg->instance.secret_len = c->impl->secret_len;
}

char *
cfg_read_password(struct cfg_ctx *c, const config_setting_t *s, const char *key,
		  const char *path)
{
	unsigned char *buf;
	size_t len, line = 0;

	buf = read_secret_file(c, s, key, path, CFG_PASSWORD_MAX_BYTES, &len);
	if (buf == NULL)
		return NULL;
	/* the first line: files written by echo end in a line break */
	while (line < len && buf[line] != '\r' && buf[line] != '\n' &&
	       buf[line] != '\0')
		line++;
	if (line == 0 || (line < len && buf[line] == '\0')) {
		cfg_error(c, s,
			  "%s \"%s\": the first line is empty or holds a NUL "
			  "byte",
			  key, path);
		explicit_bzero(buf, CFG_PASSWORD_BUF_BYTES);
		free(buf);
		return NULL;
	}
	/* NUL-terminated in place; the buffer is max + 1 bytes */
	explicit_bzero(buf + line, CFG_PASSWORD_BUF_BYTES - line);
	return (char *)buf;
}

void
cfg_load_database(struct cfg_ctx *c, const config_setting_t *g)
{
	static const struct cfg_key keys[] = {
		CFG_ROW_STR("conninfo", 1, 4096, NULL, struct tg_config,
			    database.conninfo, check_conninfo),
		CFG_ROW_STR("password_file", 1, 4096, CFG_NONE,
			    struct tg_config, database.password_file, NULL),
	};
	const config_setting_t *found[TG_N(keys)];
	struct tg_config *cfg = &c->impl->pub;
	struct cfg_impl *impl = c->impl;

	if (g == NULL)
		return;
	cfg_apply_keys(c, g, "database", keys, TG_N(keys), cfg, found);
	if (cfg->database.password_file == NULL)
		return;
	cfg->database.password_file =
		cfg_resolve_path(c, found[1], cfg->database.password_file);
	impl->password =
		cfg_read_password(c, found[1], "database.password_file",
				  cfg->database.password_file);
	if (impl->password == NULL)
		return;
	impl->password_len = CFG_PASSWORD_BUF_BYTES;
	cfg->database.password = impl->password;
}

void
cfg_load_limits(struct cfg_ctx *c, const config_setting_t *g)
{
#define LIM(name, min, max, def)                                               \
	CFG_ROW_INT(#name, min, max, def, struct tg_config, limits.name)
#define RATE(name, min, max, def)                                              \
	CFG_ROW_INT(#name, min, max, def, struct tg_config, rates.name)
	/* clang-format off */
	static const struct cfg_key keys[] = {
		/* name                  min   max        default */
		LIM(message_bytes,       1024, 64 << 20,  "26214400"),
		LIM(header_bytes,        1024, 16 << 20,  "1048576"),
		LIM(header_count,        10,   100000,    "1000"),
		LIM(header_line_bytes,   998,  16 << 20,  "524288"),
		LIM(mime_depth,          1,    100,       "32"),
		LIM(mime_parts,          1,    100000,    "1000"),
		RATE(flood_messages,     1,    100000,    "20"),
		RATE(flood_minutes,      1,    10080,     "10"),
		RATE(reopens_per_hour,   1,    1000,      "3"),
		RATE(autoreply_per_recipient, 1, 10000,   "10"),
		RATE(autoreply_window_minutes, 1, 10080,  "180"),
	};
	/* clang-format on */
#undef LIM
#undef RATE
	const config_setting_t *found[TG_N(keys)];
	struct tg_limits *lim = &c->impl->pub.limits;

	if (cfg_apply_keys(c, g, "limits", keys, TG_N(keys), &c->impl->pub,
			   found))
		return;
	/* a part of the message cannot be larger than the message */
	if (lim->header_bytes > lim->message_bytes)
		cfg_error(c, found[1] != NULL ? found[1] : g,
			  "limits.header_bytes (%zu) exceeds "
			  "limits.message_bytes (%zu)",
			  lim->header_bytes, lim->message_bytes);
	if (lim->header_line_bytes > lim->header_bytes)
		cfg_error(c, found[3] != NULL ? found[3] : g,
			  "limits.header_line_bytes (%zu) exceeds "
			  "limits.header_bytes (%zu)",
			  lim->header_line_bytes, lim->header_bytes);
}

/* --- departments, routing ------------------------------------------------- */

/* The department's own string, so that lookups hand out one spelling; NULL
 * when there is none by that name. */
static const char *
department(struct cfg_ctx *c, const char *name)
{
	const struct tg_config *cfg = &c->impl->pub;

	for (size_t i = 0; i < cfg->n_departments; i++)
		if (cfg->departments[i] != NULL &&
		    strcmp(cfg->departments[i], name) == 0)
			return cfg->departments[i];
	return NULL;
}

/* Reports name as unknown, suggesting a department differing in case. */
static void
unknown_department(struct cfg_ctx *c, const config_setting_t *s,
		   const char *key, const char *name)
{
	const struct tg_config *cfg = &c->impl->pub;

	for (size_t i = 0; i < cfg->n_departments; i++)
		if (cfg->departments[i] != NULL &&
		    tg_ascii_strcasecmp(cfg->departments[i], name) == 0) {
			cfg_error(c, s,
				  "%s: unknown department \"%s\" (did you mean "
				  "\"%s\"?)",
				  key, name, cfg->departments[i]);
			return;
		}
	cfg_error(c, s, "%s: unknown department \"%s\"", key, name);
}

void
cfg_load_departments(struct cfg_ctx *c, const config_setting_t *s)
{
	struct tg_config *cfg = &c->impl->pub;
	const char **v;
	size_t n;

	if (s == NULL)
		return;
	v = cfg_strings(c, s, "departments", &n);
	if (n == 0)
		cfg_error(c, s, "departments: name at least one");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (v[i] == NULL)
			continue;
		if (v[i][0] == '\0' || strlen(v[i]) > 100 ||
		    check_text(v[i]) != NULL) {
			cfg_error(c, e,
				  "departments[%zu]: a name is 1 to 100 "
				  "printable characters",
				  i);
			v[i] = NULL;
			continue;
		}
		if (tg_ascii_strcasecmp(v[i], TG_CONFIG_BY_ACCOUNT) == 0) {
			cfg_error(c, e,
				  "departments[%zu]: \"%s\" is reserved for "
				  "addresses that route by account",
				  i, v[i]);
			v[i] = NULL;
			continue;
		}
		/* two spellings of one name are a typo, not two teams */
		for (size_t j = 0; j < i; j++)
			if (v[j] != NULL &&
			    tg_ascii_strcasecmp(v[j], v[i]) == 0) {
				cfg_error(
					c, e,
					"departments[%zu]: duplicate "
					"department \"%s\" (first at line %u)",
					i, v[i],
					cfg_line(
						config_setting_get_elem(s, j)));
				v[i] = NULL;
				break;
			}
	}
	cfg->departments = v;
	cfg->n_departments = n;
}

void
cfg_load_routing(struct cfg_ctx *c, const config_setting_t *g,
		 const config_setting_t *first_by_account)
{
#define ROUTE(name, def)                                                       \
	CFG_ROW_STR(#name, 1, 100, def, struct tg_config_routing, name, NULL)
	static const struct cfg_key keys[] = {
		/* account status -> department of "by account" addresses */
		ROUTE(paid, "Paid Support"),   ROUTE(trial, "Trials"),
		ROUTE(potential, "Trials"),    ROUTE(potential_vip, "Trials"),
		ROUTE(community, "Community"), ROUTE(none, "Community"),
	};
#undef ROUTE
	const config_setting_t *found[TG_N(keys)];
	struct tg_config_routing *r = &c->impl->pub.routing;
	const char **fields[] = {
		&r->paid,          &r->trial,     &r->potential,
		&r->potential_vip, &r->community, &r->none,
	};

	char unset[128] = "";
	size_t o = 0;

	if (cfg_apply_keys(c, g, "routing", keys, TG_N(keys), r, found))
		return;
	for (size_t i = 0; i < TG_N(keys); i++) {
		const char *d = department(c, *fields[i]);
		char key[96];

		snprintf(key, sizeof(key), "routing.%s", keys[i].name);
		if (d != NULL)
			*fields[i] = d;
		else if (found[i] != NULL)
			unknown_department(c, found[i], key, *fields[i]);
		else if (o < sizeof(unset))
			o += (size_t)snprintf(unset + o, sizeof(unset) - o,
					      "%s%s", o > 0 ? ", " : "",
					      keys[i].name);
	}
	/* the defaults matter only when some address routes by account */
	if (o > 0 && first_by_account != NULL)
		cfg_error(c, first_by_account,
			  "this address routes by account, but routing for %s "
			  "defaults to departments not defined here: set "
			  "those keys in routing",
			  unset);
}

/* --- addresses ------------------------------------------------------------ */

static void
load_tags(struct cfg_ctx *c, const config_setting_t *s, const char *where,
	  struct tg_config_address *a)
{
	char key[96];
	const char **v;
	size_t n;

	snprintf(key, sizeof(key), "%s.tags", where);
	v = cfg_strings(c, s, key, &n);
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		if (v[i] == NULL)
			continue;
		if (v[i][0] == '\0' || strlen(v[i]) > 100 ||
		    check_text(v[i]) != NULL) {
			cfg_error(c, e,
				  "%s[%zu]: a tag is 1 to 100 printable "
				  "characters",
				  key, i);
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (v[j] != NULL &&
			    tg_ascii_strcasecmp(v[j], v[i]) == 0) {
				cfg_error(c, e, "%s[%zu]: duplicate tag \"%s\"",
					  key, i, v[i]);
				break;
			}
	}
	a->tags = v;
	a->n_tags = n;
}

/* What an address entry is read into: the entry, and the name of its IMAP
 * account until it is linked to the account itself. */
struct address_in {
	struct tg_config_address a;
	const char *imap_account;
};

const config_setting_t *
cfg_load_addresses(struct cfg_ctx *c, const config_setting_t *s)
{
#define ROW_STR(name, min, max, def, field, check)                             \
	CFG_ROW_STR(name, min, max, def, struct address_in, field, check)
	enum {
		K_ADDRESS,
		K_DEPARTMENT,
		K_TAGS,
		K_LANGUAGE,
		K_DISPLAY_NAME,
		K_REPLY_TOKEN,
		K_IMAP_ACCOUNT,
		K_IMAP_FOLDER,
	};
	static const struct cfg_key keys[] = {
		[K_ADDRESS] = ROW_STR("address", 3, 254, NULL, a.address,
				      check_address),
		[K_DEPARTMENT] =
			ROW_STR("department", 1, 100, NULL, a.department, NULL),
		[K_TAGS] = CFG_ROW_AGG("tags", CFG_STRS, false),
		[K_LANGUAGE] = ROW_STR("language", 2, 35, "en", a.language,
				       check_language),
		[K_DISPLAY_NAME] = ROW_STR("display_name", 1, 200, CFG_NONE,
					   a.display_name, check_text),
		[K_REPLY_TOKEN] =
			CFG_ROW_BOOL("reply_token", "true", struct address_in,
				     a.reply_token),
		/* checked against imap_accounts by cfg_link_imap_address() */
		[K_IMAP_ACCOUNT] = ROW_STR("imap_account", 1, 64, CFG_NONE,
					   imap_account, NULL),
		[K_IMAP_FOLDER] = ROW_STR("imap_folder", 1, 1000, CFG_NONE,
					  a.imap_folder, cfg_check_imap_folder),
	};
#undef ROW_STR
	struct tg_config *cfg = &c->impl->pub;
	const config_setting_t *first_by_account = NULL;
	struct tg_config_address *v;
	size_t n;

	if (s == NULL)
		return NULL;
	n = (size_t)config_setting_length(s);
	if (n == 0)
		cfg_error(c, s, "addresses: name at least one");
	v = tg_pool_alloc_array(c->pool, n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const config_setting_t *found[TG_N(keys)];
		struct tg_config_address *a = &v[i];
		struct address_in in = {0};
		char where[48];
		char *lower;

		snprintf(where, sizeof(where), "addresses[%zu]", i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
			cfg_error(c, e, "%s must be a group { ... }", where);
			continue;
		}
		/* a bad key leaves its field NULL: check the others anyway */
		cfg_apply_keys(c, e, where, keys, TG_N(keys), &in, found);
		*a = in.a;
		a->line = cfg_line(e);
		if (found[K_TAGS] != NULL &&
		    config_setting_is_aggregate(found[K_TAGS]))
			load_tags(c, found[K_TAGS], where, a);
		else
			a->tags = tg_pool_alloc(c->pool, sizeof(*a->tags));
		cfg_link_imap_address(c, a, where, in.imap_account,
				      found[K_IMAP_ACCOUNT],
				      found[K_IMAP_FOLDER]);
		if (a->address == NULL)
			goto department;
		lower = tg_pool_strdup(c->pool, a->address);
		for (char *p = lower; *p != '\0'; p++)
			*p = (char)tg_ascii_tolower((unsigned char)*p);
		a->address = lower;
		for (size_t j = 0; j < i; j++)
			if (v[j].address != NULL &&
			    strcmp(v[j].address, lower) == 0) {
				cfg_error(c, found[K_ADDRESS],
					  "%s: duplicate address \"%s\" (first "
					  "at line %u)",
					  where, lower, v[j].line);
				break;
			}
	department:
		if (a->department == NULL) {
			continue;
		} else if (strcmp(a->department, TG_CONFIG_BY_ACCOUNT) == 0) {
			a->department = NULL;
			if (first_by_account == NULL)
				first_by_account = found[K_DEPARTMENT];
		} else if (department(c, a->department) != NULL) {
			a->department = department(c, a->department);
		} else {
			char key[96];

			snprintf(key, sizeof(key), "%s.department", where);
			unknown_department(c, found[K_DEPARTMENT], key,
					   a->department);
		}
	}
	cfg->addresses = v;
	cfg->n_addresses = n;
	return first_by_account;
}
