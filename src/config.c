/* Loads the libconfig file into an immutable tg_config snapshot: the load
 * itself, the problem list, freeing, and the lookups over a snapshot. The
 * key checks are in config-keys.c, the sections in config-sections.c,
 * config-calendar.c, config-imap.c and config-smtp.c. */
#include "config-private.h"
#include "ticketgate/sla.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- problems --------------------------------------------------------- */

/* libconfig names an @include'd file as written in the directive, and
 * resolves it against the include directory, which is the main file's:
 * name it the same way so that the message leads to the file. */
char *
cfg_setting_file(const struct cfg_ctx *c, const config_setting_t *s)
{
	const char *f = s != NULL ? config_setting_source_file(s) : NULL;
	const char *slash;

	if (f == NULL || strcmp(f, c->path) == 0 || f[0] == '/')
		return tg_xstrdup(f != NULL ? f : c->path);
	slash = strrchr(c->path, '/');
	if (slash == NULL)
		return tg_xstrdup(f);
	size_t dlen = (size_t)(slash - c->path) + 1;
	char *out = tg_xmalloc(dlen + strlen(f) + 1);

	memcpy(out, c->path, dlen);
	memcpy(out + dlen, f, strlen(f) + 1);
	return out;
}

/* Appends "FILE:LINE: [warning: ]msg" (no ":LINE" when line is 0); takes
 * file over. */
static void
add_problem(struct tg_config_errors *errs, char *file, unsigned line,
	    bool warning, const char *msg)
{
	const char *sev = warning ? "warning: " : "";
	struct tg_config_problem *p;
	char at[16] = "";
	int len;

	if (line > 0)
		snprintf(at, sizeof(at), ":%u", line);
	errs->v = tg_xrealloc(errs->v, (errs->n + 1) * sizeof(*errs->v));
	p = &errs->v[errs->n++];
	p->file = file;
	p->line = line;
	p->warning = warning;
	len = snprintf(NULL, 0, "%s%s: %s%s", file, at, sev, msg);
	p->text = tg_xmalloc((size_t)len + 1);
	snprintf(p->text, (size_t)len + 1, "%s%s: %s%s", file, at, sev, msg);
	if (!warning)
		errs->n_errors++;
}

static void vproblem(struct cfg_ctx *c, const config_setting_t *s, bool warning,
		     const char *fmt, va_list ap) TG_PRINTF(4, 0);

static void
vproblem(struct cfg_ctx *c, const config_setting_t *s, bool warning,
	 const char *fmt, va_list ap)
{
	char msg[768], safe[768 * 4];
	size_t o = 0;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* values are quoted into messages: keep each message on one line */
	for (const unsigned char *p = (const unsigned char *)msg; *p != '\0';
	     p++) {
		if (*p < ' ' || *p == 0x7f)
			o += (size_t)snprintf(safe + o, sizeof(safe) - o,
					      "\\x%02x", *p);
		else
			safe[o++] = (char)*p;
	}
	safe[o] = '\0';
	add_problem(c->errs, cfg_setting_file(c, s), cfg_line(s), warning,
		    safe);
}

void
cfg_error(struct cfg_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(c, s, false, fmt, ap);
	va_end(ap);
}

void
cfg_warn(struct cfg_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vproblem(c, s, true, fmt, ap);
	va_end(ap);
}

const char *
cfg_resolve_path(struct cfg_ctx *c, const config_setting_t *s, const char *path)
{
	char *file, *slash, *out;
	size_t dlen;

	if (path[0] == '/')
		return tg_pool_strdup(c->pool, path);
	file = cfg_setting_file(c, s);
	slash = strrchr(file, '/');
	dlen = slash != NULL ? (size_t)(slash - file) + 1 : 0;
	/* bounds: both lengths come from strings already in memory */
	out = tg_pool_alloc(c->pool, dlen + strlen(path) + 1);
	memcpy(out, file, dlen);
	memcpy(out + dlen, path, strlen(path) + 1);
	free(file);
	return out;
}

unsigned
cfg_line(const config_setting_t *s)
{
	return s != NULL ? config_setting_source_line(s) : 0;
}

/* --- checks shared by sections ------------------------------------------ */

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static bool
is_hex(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
	       (ch >= 'A' && ch <= 'F');
}

/* What getaddrinfo() takes, and no room for a port or a space. A host
 * name may be one label ("localhost"); an IPv4 address reads as one. */
const char *
cfg_check_host(const char *v)
{
	static const char alone[] = "want a host name or IP address alone "
				    "(the port goes in port)";
	const char *label = v;
	size_t colons = 0;

	if (strchr(v, ':') != NULL || strchr(v, '[') != NULL) {
		for (const char *p = v; *p != '\0'; p++) {
			if (*p == ':')
				colons++;
			else if (!is_hex(*p) && *p != '.')
				return alone;
		}
		return colons >= 2 ? NULL : alone;
	}
	for (const char *p = v;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);

			if (len == 0 || len > 63 || label[0] == '-' ||
			    p[-1] == '-')
				return "not a host name or IP address";
			if (*p == '\0')
				return NULL;
			label = p + 1;
		} else if (!is_alnum(*p) && *p != '-') {
			return (unsigned char)*p <= ' '
				       ? "not a host name or IP address (no "
					 "spaces)"
				       : "not a host name or IP address";
		}
	}
}

/* O_NONBLOCK: a FIFO must not hang the load. */
void
cfg_check_readable(struct cfg_ctx *c, const config_setting_t *s,
		   const char *key, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		cfg_error(c, s, "%s \"%s\": cannot open: %s", key, path,
			  strerror(errno));
		return;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		cfg_error(c, s, "%s \"%s\": not a regular file", key, path);
	close(fd);
}

void
tg_config_errors_init(struct tg_config_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
}

void
tg_config_errors_deinit(struct tg_config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		free(errs->v[i].text);
		free(errs->v[i].file);
	}
	free(errs->v);
	memset(errs, 0, sizeof(*errs));
}

/* Problems are found section by section, and cross-references last: sort
 * them into file order (files in order of first mention) so the output
 * reads like the file. Insertion sort: it is stable and n is small. */
static size_t
file_rank(const struct tg_config_errors *errs, size_t from, const char *file)
{
	size_t i;

	for (i = from; i < errs->n; i++)
		if (strcmp(errs->v[i].file, file) == 0)
			break;
	return i;
}

static void
sort_problems(struct tg_config_errors *errs, size_t from)
{
	size_t n = errs->n - from;
	size_t *rank = tg_xcalloc(n + 1, sizeof(*rank));
	struct tg_config_problem *v = errs->v + from;

	/* ranks first: moving entries must not change them */
	for (size_t i = 0; i < n; i++)
		rank[i] = file_rank(errs, from, v[i].file);
	for (size_t i = 1; i < n; i++) {
		struct tg_config_problem p = v[i];
		size_t r = rank[i], j = i;

		while (j > 0 && (rank[j - 1] > r || (rank[j - 1] == r &&
						     v[j - 1].line > p.line))) {
			v[j] = v[j - 1];
			rank[j] = rank[j - 1];
			j--;
		}
		v[j] = p;
		rank[j] = r;
	}
	free(rank);
}

/* --- load --------------------------------------------------------------- */

enum {
	K_INSTANCE,
	K_DATABASE,
	K_LIMITS,
	K_DEPARTMENTS,
	K_ROUTING,
	K_CALENDARS,
	K_SLA_POLICIES,
	K_DEFAULT_SLA_POLICY,
	K_ADDRESSES,
	K_IMAP_ACCOUNTS,
	K_SMTP,
	K_TEMPLATES_DIR,
	K_LMTP,
	K_WAKE,
	K_COUNT
};

static const struct cfg_key top_keys[K_COUNT] = {
	[K_INSTANCE] = CFG_ROW_AGG("instance", CFG_GROUP, true),
	[K_DATABASE] = CFG_ROW_AGG("database", CFG_GROUP, true),
	[K_LIMITS] = CFG_ROW_AGG("limits", CFG_GROUP, false),
	[K_DEPARTMENTS] = CFG_ROW_AGG("departments", CFG_STRS, true),
	[K_ROUTING] = CFG_ROW_AGG("routing", CFG_GROUP, false),
	[K_CALENDARS] = CFG_ROW_AGG("calendars", CFG_LIST, true),
	[K_SLA_POLICIES] = CFG_ROW_AGG("sla_policies", CFG_LIST, true),
	[K_DEFAULT_SLA_POLICY] = {"default_sla_policy", CFG_STR, 1, 200, NULL,
				  CFG_NO_OFF, 0, NULL},
	[K_ADDRESSES] = CFG_ROW_AGG("addresses", CFG_LIST, true),
	[K_IMAP_ACCOUNTS] = CFG_ROW_AGG("imap_accounts", CFG_LIST, false),
	[K_SMTP] = CFG_ROW_AGG("smtp", CFG_GROUP, false),
	/* the one row with a field: its default depends on the file's
	 * place, so cfg_load_smtp() sets it */
	[K_TEMPLATES_DIR] = CFG_ROW_STR("templates_dir", 1, 4096, CFG_NONE,
					struct tg_config, templates_dir, NULL),
	[K_LMTP] = CFG_ROW_AGG("lmtp", CFG_GROUP, false),
	[K_WAKE] = CFG_ROW_AGG("wake", CFG_GROUP, false),
};

/* A present setting of the right type, or NULL (the error is reported). */
static const config_setting_t *
typed(const config_setting_t **found, int k)
{
	const config_setting_t *s = found[k];

	return s != NULL && cfg_type_ok(top_keys[k].type, s) ? s : NULL;
}

static void
read_config(struct cfg_ctx *c)
{
	const config_setting_t *found[K_COUNT], *by_account;

	cfg_apply_keys(c, config_root_setting(&c->lc), "", top_keys, K_COUNT,
		       &c->impl->pub, found);
	cfg_load_instance(c, typed(found, K_INSTANCE));
	cfg_load_database(c, typed(found, K_DATABASE));
	cfg_load_limits(c, typed(found, K_LIMITS));
	cfg_load_departments(c, typed(found, K_DEPARTMENTS));
	cfg_load_calendars(c, typed(found, K_CALENDARS));
	cfg_load_sla_policies(c, typed(found, K_SLA_POLICIES),
			      typed(found, K_DEFAULT_SLA_POLICY));
	/* addresses name IMAP accounts: those first */
	cfg_load_imap_accounts(c, typed(found, K_IMAP_ACCOUNTS));
	by_account = cfg_load_addresses(c, typed(found, K_ADDRESSES));
	cfg_load_routing(c, typed(found, K_ROUTING), by_account);
	cfg_finish_imap(c);
	/* after the instance: the EHLO name defaults to its domain */
	cfg_load_smtp(c, typed(found, K_SMTP), found[K_TEMPLATES_DIR]);
	cfg_load_lmtp(c, typed(found, K_LMTP));
	cfg_load_wake(c, typed(found, K_WAKE));
}

static void
impl_free(struct cfg_impl *impl)
{
	if (impl->secret != NULL) {
		explicit_bzero(impl->secret, impl->secret_len);
		free(impl->secret);
	}
	if (impl->password != NULL) {
		explicit_bzero(impl->password, impl->password_len);
		free(impl->password);
	}
	for (size_t i = 0;
	     impl->imap_passwords != NULL && i < impl->pub.n_imap_accounts;
	     i++) {
		if (impl->imap_passwords[i] == NULL)
			continue;
		explicit_bzero(impl->imap_passwords[i], CFG_PASSWORD_BUF_BYTES);
		free(impl->imap_passwords[i]);
	}
	if (impl->smtp_password != NULL) {
		explicit_bzero(impl->smtp_password, CFG_PASSWORD_BUF_BYTES);
		free(impl->smtp_password);
	}
	for (size_t i = 0; i < impl->n_tzs; i++)
		tg_tz_free(&impl->tzs[i]);
	tg_pool_free(&impl->pool);
	free(impl);
}

static int
load(const char *path, bool secrets, struct tg_config **cfg_r,
     struct tg_config_errors *errs)
{
	struct cfg_ctx c = {.path = path, .errs = errs, .no_secrets = !secrets};
	size_t first = errs->n, errors_before = errs->n_errors;
	const char *slash = strrchr(path, '/');
	struct stat st;
	char *dir;
	FILE *f;

	*cfg_r = NULL;
	/* libconfig reports only "file I/O error": find out why first */
	f = fopen(path, "r");
	if (f == NULL || fstat(fileno(f), &st) < 0 || S_ISDIR(st.st_mode)) {
		char msg[256];

		snprintf(msg, sizeof(msg), "cannot open: %s",
			 f == NULL ? strerror(errno) : strerror(EISDIR));
		add_problem(errs, tg_xstrdup(path), 0, false, msg);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);

	config_init(&c.lc);
	/* @include "x.conf" is relative to the main file's directory */
	dir = slash != NULL ? tg_xstrndup(path, (size_t)(slash - path + 1))
			    : tg_xstrdup(".");
	config_set_include_dir(&c.lc, dir);
	if (config_read_file(&c.lc, path) != CONFIG_TRUE) {
		const char *ef = config_error_file(&c.lc);
		int line = config_error_line(&c.lc);

		add_problem(errs, tg_xstrdup(ef != NULL ? ef : path),
			    line > 0 ? (unsigned)line : 0, false,
			    config_error_text(&c.lc) != NULL
				    ? config_error_text(&c.lc)
				    : "cannot read");
		config_destroy(&c.lc);
		free(dir);
		return -1;
	}

	c.impl = tg_xcalloc(1, sizeof(*c.impl));
	c.impl->pool = tg_pool_new(16 * 1024);
	c.pool = c.impl->pool;
	c.impl->pub.path = tg_pool_strdup(c.pool, path);
	read_config(&c);
	cfg_sources_free(&c);
	config_destroy(&c.lc);
	free(dir);

	sort_problems(errs, first);
	if (errs->n_errors > errors_before) {
		impl_free(c.impl);
		return -1;
	}
	*cfg_r = &c.impl->pub;
	return 0;
}

int
tg_config_load(const char *path, struct tg_config **cfg_r,
	       struct tg_config_errors *errs)
{
	return load(path, true, cfg_r, errs);
}

int
tg_config_load_without_secrets(const char *path, struct tg_config **cfg_r,
			       struct tg_config_errors *errs)
{
	return load(path, false, cfg_r, errs);
}

void
tg_config_free(struct tg_config **cfgp)
{
	if (*cfgp == NULL)
		return;
	/* pub is the first member of the impl that tg_config_load made */
	impl_free((struct cfg_impl *)(void *)*cfgp);
	*cfgp = NULL;
}

/* --- lookups ------------------------------------------------------------ */

const struct tg_config_address *
tg_config_address(const struct tg_config *cfg, const char *addr)
{
	for (size_t i = 0; i < cfg->n_addresses; i++)
		if (tg_ascii_strcasecmp(cfg->addresses[i].address, addr) == 0)
			return &cfg->addresses[i];
	return NULL;
}

const struct tg_config_imap_account *
tg_config_imap_account(const struct tg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_imap_accounts; i++)
		/* NULL: a bad or duplicate name, while loading */
		if (cfg->imap_accounts[i].name != NULL &&
		    strcmp(cfg->imap_accounts[i].name, name) == 0)
			return &cfg->imap_accounts[i];
	return NULL;
}

const char *
tg_config_department_for(const struct tg_config *cfg,
			 const struct tg_config_address *a,
			 const char *account_status)
{
	const struct tg_config_routing *r = &cfg->routing;
	const char *st = account_status;

	if (a->department != NULL)
		return a->department;
	if (st == NULL || st[0] == '\0')
		return r->none;
	if (strcmp(st, "paid") == 0)
		return r->paid;
	if (strcmp(st, "trial") == 0)
		return r->trial;
	if (strcmp(st, "potential") == 0)
		return r->potential;
	if (strcmp(st, "potential_vip") == 0)
		return r->potential_vip;
	return r->community;
}

const struct tg_config_sla_policy *
tg_config_sla_policy(const struct tg_config *cfg, const char *name)
{
	if (name == NULL)
		return cfg->default_sla_policy;
	for (size_t i = 0; i < cfg->n_sla_policies; i++)
		/* names may be NULL while loading: a bad entry */
		if (cfg->sla_policies[i].name != NULL &&
		    strcmp(cfg->sla_policies[i].name, name) == 0)
			return &cfg->sla_policies[i];
	return NULL;
}

bool
tg_config_sla_due(const struct tg_config_sla_policy *p, enum tg_priority pr,
		  int64_t start, int64_t *first_r, int64_t *resolution_r)
{
	if (p == NULL || p->calendar == NULL || (int)pr < 0 ||
	    pr >= TG_PRIORITY_COUNT)
		return false;
	*first_r = tg_sla_due(&p->calendar->cal, start,
			      p->first_response_min[pr]);
	*resolution_r = tg_sla_due(&p->calendar->cal, start,
				   p->resolution_min[pr]);
	return true;
}

const struct tg_config_calendar *
tg_config_calendar(const struct tg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_calendars; i++)
		if (cfg->calendars[i].name != NULL &&
		    strcmp(cfg->calendars[i].name, name) == 0)
			return &cfg->calendars[i];
	return NULL;
}

int
tg_config_has_department(const struct tg_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_departments; i++)
		if (cfg->departments[i] != NULL &&
		    strcmp(cfg->departments[i], name) == 0)
			return 1;
	return 0;
}

static const char *const priority_names[TG_PRIORITY_COUNT] = {
	[TG_PRIORITY_URGENT] = "urgent",
	[TG_PRIORITY_HIGH] = "high",
	[TG_PRIORITY_MEDIUM] = "medium",
	[TG_PRIORITY_LOW] = "low",
};

const char *
tg_priority_name(enum tg_priority p)
{
	return (unsigned)p < TG_PRIORITY_COUNT ? priority_names[p] : "?";
}

int
tg_priority_parse(const char *name, enum tg_priority *p_r)
{
	for (int p = 0; p < TG_PRIORITY_COUNT; p++)
		if (strcmp(priority_names[p], name) == 0) {
			*p_r = (enum tg_priority)p;
			return 1;
		}
	return 0;
}
