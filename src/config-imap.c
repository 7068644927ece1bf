/* The IMAP side of the configuration: the accounts `ticketgate serve` logs
 * in to (imap_accounts, passwords read from their files), each address's
 * account and folder, and the mailboxes the daemon works, one per distinct
 * (account, folder). */
#include "config-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- words and syntax checks --------------------------------------------- */

struct word {
	const char *word;
	int value;
};

static const struct word securities[] = {
	{"imaps", TG_SECURITY_IMAPS},
	{"starttls", TG_SECURITY_STARTTLS},
	{"plain", TG_SECURITY_PLAIN},
};

static const struct word auths[] = {
	{"login", TG_AUTH_LOGIN},
	{"plain", TG_AUTH_PLAIN},
};

static const struct word afters[] = {
	{"move", TG_AFTER_MOVE},
	{"seen", TG_AFTER_SEEN},
	{"delete", TG_AFTER_DELETE},
};

/* 1 and *v_r set when w is one of the n words (exactly: they are keywords),
 * else 0. */
static int
word_value(const struct word *words, size_t n, const char *w, int *v_r)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i].word, w) == 0) {
			*v_r = words[i].value;
			return 1;
		}
	return 0;
}

static const char *
check_security(const char *v)
{
	int x;

	return word_value(securities, TG_N(securities), v, &x)
		       ? NULL
		       : "want \"imaps\", \"starttls\" or \"plain\"";
}

static const char *
check_auth(const char *v)
{
	int x;

	return word_value(auths, TG_N(auths), v, &x)
		       ? NULL
		       : "want \"login\" or \"plain\"";
}

static const char *
check_after(const char *v)
{
	int x;

	return word_value(afters, TG_N(afters), v, &x)
		       ? NULL
		       : "want \"move\", \"seen\" or \"delete\"";
}

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

/* Part of "account/folder", the mailbox's key in the database: no '/'. */
static const char *
check_name(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if (!is_alnum(*p) && *p != '.' && *p != '_' && *p != '-')
			return "use only letters, digits, '.', '_' and '-'";
	return NULL;
}

/* A host name (one label or more: "localhost" is one), an IPv4 address
 * (which reads as a host name) or an IPv6 address without brackets: what
 * getaddrinfo() takes, and no room for a port or a space. */
static const char *
check_host(const char *v)
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

/* Goes into IMAP commands and log lines: no line breaks. */
static const char *
check_user(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
			return "control characters are not allowed";
	return NULL;
}

const char *
cfg_check_imap_folder(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
			return "control characters are not allowed";
	return NULL;
}

/* INBOX is the one folder name servers compare case-insensitively: one
 * spelling, so that "inbox" and "INBOX" make one mailbox. */
static const char *
folder_spelling(const char *folder)
{
	return tg_ascii_strcasecmp(folder, "INBOX") == 0 ? "INBOX" : folder;
}

/* --- accounts ------------------------------------------------------------- */

/* What an account entry is read into: the account and its words, until
 * they become enums. */
struct account_in {
	struct tg_config_imap_account a;
	const char *security, *auth, *after;
};

enum {
	A_NAME,
	A_HOST,
	A_PORT,
	A_SECURITY,
	A_CA_FILE,
	A_VERIFY,
	A_USER,
	A_PASSWORD_FILE,
	A_AUTH,
	A_AFTER,
	A_MOVE_TO,
	A_POLL,
	A_IDLE,
	A_BATCH,
	A_TIMEOUT,
	A_COUNT
};

#define STR(name, min, max, def, field, check)                                 \
	CFG_ROW_STR(name, min, max, def, struct account_in, field, check)
#define INT(name, min, max, def, field)                                        \
	CFG_ROW_INT(name, min, max, def, struct account_in, field)
#define BOOL(name, def, field) CFG_ROW_BOOL(name, def, struct account_in, field)
/* clang-format off */
static const struct cfg_key account_keys[A_COUNT] = {
	/*                name             min max    default */
	[A_NAME] = STR("name",            1, 64,    NULL, a.name, check_name),
	[A_HOST] = STR("host",            1, 253,   NULL, a.host, check_host),
	/* no default in the table: it depends on security */
	[A_PORT] = INT("port",            1, 65535, CFG_NONE, a.port),
	[A_SECURITY] = STR("security",    1, 16,    "imaps", security,
			   check_security),
	[A_CA_FILE] = STR("ca_file",      1, 4096,  CFG_NONE, a.ca_file, NULL),
	[A_VERIFY] = BOOL("tls_verify",             "true", a.verify),
	[A_USER] = STR("user",            1, 255,   NULL, a.user, check_user),
	[A_PASSWORD_FILE] = STR("password_file", 1, 4096, NULL,
				a.password_file, NULL),
	[A_AUTH] = STR("auth",            1, 16,    "login", auth, check_auth),
	[A_AFTER] = STR("after_commit",   1, 16,    "move", after, check_after),
	[A_MOVE_TO] = STR("move_to",      1, 1000,  "Processed", a.move_to,
			  cfg_check_imap_folder),
	[A_POLL] = INT("poll_seconds",    1, 86400, "60", a.poll_seconds),
	[A_IDLE] = BOOL("idle",                     "true", a.idle),
	[A_BATCH] = INT("batch",          1, 1000,  "100", a.batch),
	[A_TIMEOUT] = INT("timeout_seconds", 1, 3600, "30", a.timeout_seconds),
};
/* clang-format on */
#undef STR
#undef INT
#undef BOOL

/* Reports path unless it is a regular file we can open (it is read later,
 * by the TLS code). O_NONBLOCK: a FIFO must not hang the load. */
static void
check_readable(struct cfg_ctx *c, const config_setting_t *s, const char *key,
	       const char *path)
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

/* Loads entry e, the i-th, into out; its password buffer goes to
 * *password_r (NULL when unread). */
static void
load_account(struct cfg_ctx *c, const config_setting_t *e, size_t i,
	     struct tg_config_imap_account *out, char **password_r)
{
	const config_setting_t *found[A_COUNT];
	struct account_in in;
	char where[48], key[96];
	int v;

	snprintf(where, sizeof(where), "imap_accounts[%zu]", i);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
		cfg_error(c, e, "%s must be a group { ... }", where);
		return;
	}
	memset(&in, 0, sizeof(in));
	/* a bad key leaves its field NULL or 0: check the others anyway */
	cfg_apply_keys(c, e, where, account_keys, A_COUNT, &in, found);
	*out = in.a;
	out->line = cfg_line(e);
	/* a bad word was reported; the default stands in for it */
	if (in.security != NULL &&
	    word_value(securities, TG_N(securities), in.security, &v))
		out->security = (enum tg_config_security)v;
	if (in.auth != NULL && word_value(auths, TG_N(auths), in.auth, &v))
		out->auth = (enum tg_config_auth)v;
	if (in.after != NULL && word_value(afters, TG_N(afters), in.after, &v))
		out->after = (enum tg_config_after)v;
	if (out->port == 0)
		out->port = out->security == TG_SECURITY_IMAPS ? 993 : 143;

	/* "plain" is never a default: it is always someone's choice */
	if (out->security == TG_SECURITY_PLAIN)
		cfg_warn(c, found[A_SECURITY],
			 "%s.security = \"plain\": the password and the mail "
			 "travel in clear text; use it only for tests on the "
			 "loopback interface",
			 where);
	else if (!out->verify)
		cfg_warn(c, found[A_VERIFY],
			 "%s.tls_verify = false: the server's certificate is "
			 "not checked, so anyone on the path can pose as the "
			 "server and read the password",
			 where);

	if (out->ca_file != NULL) {
		snprintf(key, sizeof(key), "%s.ca_file", where);
		out->ca_file =
			cfg_resolve_path(c, found[A_CA_FILE], out->ca_file);
		check_readable(c, found[A_CA_FILE], key, out->ca_file);
	}
	if (out->password_file != NULL) {
		snprintf(key, sizeof(key), "%s.password_file", where);
		out->password_file = cfg_resolve_path(c, found[A_PASSWORD_FILE],
						      out->password_file);
		*password_r = cfg_read_password(c, found[A_PASSWORD_FILE], key,
						out->password_file);
		out->password = *password_r;
	}

	if (out->after != TG_AFTER_MOVE) {
		if (found[A_MOVE_TO] != NULL && out->move_to != NULL)
			cfg_warn(c, found[A_MOVE_TO],
				 "%s.move_to: not used unless after_commit = "
				 "\"move\"",
				 where);
		out->move_to = NULL;
	} else if (out->move_to != NULL) {
		out->move_to = folder_spelling(out->move_to);
	}
}

/* The line of entry e's name, or of e when it has none. */
static unsigned
name_line(const config_setting_t *e)
{
	const config_setting_t *n =
		config_setting_type(e) == CONFIG_TYPE_GROUP
			? config_setting_get_member(e, "name")
			: NULL;

	return cfg_line(n != NULL ? n : e);
}

void
cfg_load_imap_accounts(struct cfg_ctx *c, const config_setting_t *s)
{
	struct tg_config *cfg = &c->impl->pub;
	struct tg_config_imap_account *v;
	size_t n;

	c->imap_accounts = s;
	if (s == NULL)
		return; /* optional: the MTA pipe alone needs none */
	n = (size_t)config_setting_length(s);
	v = tg_pool_alloc_array(c->pool, n + 1, sizeof(*v));
	c->impl->imap_passwords = tg_pool_alloc_array(
		c->pool, n + 1, sizeof(*c->impl->imap_passwords));
	/* set before reading: tg_config_free() wipes what was read */
	cfg->imap_accounts = v;
	cfg->n_imap_accounts = n;
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		load_account(c, e, i, &v[i], &c->impl->imap_passwords[i]);
		/* two spellings of one name are a typo, not two logins */
		for (size_t j = 0; j < i && v[i].name != NULL; j++)
			if (v[j].name != NULL &&
			    tg_ascii_strcasecmp(v[j].name, v[i].name) == 0) {
				cfg_error(
					c, config_setting_get_member(e, "name"),
					"imap_accounts[%zu]: duplicate account "
					"\"%s\" (first at line %u)",
					i, v[i].name,
					name_line(
						config_setting_get_elem(s, j)));
				v[i].name = NULL;
				break;
			}
	}
}

/* --- addresses and mailboxes ---------------------------------------------- */

void
cfg_link_imap_address(struct cfg_ctx *c, struct tg_config_address *a,
		      const char *where, const char *account,
		      const config_setting_t *s_account,
		      const config_setting_t *s_folder)
{
	const struct tg_config *cfg = &c->impl->pub;

	a->imap_account = NULL;
	if (account == NULL) {
		/* a bad imap_account is reported already */
		if (s_account == NULL && s_folder != NULL)
			cfg_error(c, s_folder,
				  "%s.imap_folder: set imap_account too (an "
				  "address without one is served only by "
				  "ticketgate deliver)",
				  where);
		a->imap_folder = NULL;
		return;
	}
	a->imap_account = tg_config_imap_account(cfg, account);
	if (a->imap_account == NULL) {
		const char *like = NULL;

		for (size_t i = 0; i < cfg->n_imap_accounts; i++)
			if (cfg->imap_accounts[i].name != NULL &&
			    tg_ascii_strcasecmp(cfg->imap_accounts[i].name,
						account) == 0)
				like = cfg->imap_accounts[i].name;
		if (like != NULL)
			cfg_error(c, s_account,
				  "%s.imap_account: unknown IMAP account "
				  "\"%s\" (did you mean \"%s\"?)",
				  where, account, like);
		else if (cfg->n_imap_accounts == 0)
			cfg_error(c, s_account,
				  "%s.imap_account: unknown IMAP account "
				  "\"%s\" (imap_accounts defines none)",
				  where, account);
		else
			cfg_error(c, s_account,
				  "%s.imap_account: unknown IMAP account "
				  "\"%s\"",
				  where, account);
		a->imap_folder = NULL;
		return;
	}
	if (a->imap_folder != NULL)
		a->imap_folder = folder_spelling(a->imap_folder);
	else if (s_folder == NULL)
		a->imap_folder = "INBOX";
	else
		a->imap_account = NULL; /* a bad folder, reported already */
}

/* The setting of account i called name, or the account's entry when it
 * has none (a default), for messages. */
static const config_setting_t *
account_setting(const struct cfg_ctx *c, size_t i, const char *name)
{
	const config_setting_t *e =
		config_setting_get_elem(c->imap_accounts, (unsigned)i);
	const config_setting_t *s = config_setting_get_member(e, name);

	return s != NULL ? s : e;
}

/* Groups the addresses by (account, folder), in config order. */
static void
build_mailboxes(struct cfg_ctx *c)
{
	struct tg_config *cfg = &c->impl->pub;
	size_t n = 0, na = cfg->n_addresses;
	struct tg_config_mailbox *mb =
		tg_pool_alloc_array(c->pool, na + 1, sizeof(*mb));
	const struct tg_config_address ***lists;
	size_t *which = tg_xcalloc(na + 1, sizeof(*which));

	for (size_t i = 0; i < na; i++) {
		const struct tg_config_address *a = &cfg->addresses[i];
		size_t k;

		which[i] = SIZE_MAX;
		if (a->imap_account == NULL || a->imap_folder == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (mb[k].account == a->imap_account &&
			    strcmp(mb[k].folder, a->imap_folder) == 0)
				break;
		if (k == n) {
			const char *acc = a->imap_account->name;
			/* bounds: both lengths come from strings in memory,
			 * limited by the key table */
			size_t len = strlen(acc) + 1 + strlen(a->imap_folder);
			char *name = tg_pool_alloc(c->pool, len + 1);

			snprintf(name, len + 1, "%s/%s", acc, a->imap_folder);
			mb[n].name = name;
			mb[n].account = a->imap_account;
			mb[n].folder = a->imap_folder;
			n++;
		}
		mb[k].n_addresses++;
		which[i] = k;
	}
	lists = tg_pool_alloc_array(c->pool, n + 1, sizeof(*lists));
	for (size_t k = 0; k < n; k++) {
		lists[k] = tg_pool_alloc_array(c->pool, mb[k].n_addresses,
					       sizeof(*lists[k]));
		mb[k].addresses = lists[k];
		mb[k].n_addresses = 0;
	}
	for (size_t i = 0; i < na; i++)
		if (which[i] != SIZE_MAX)
			lists[which[i]][mb[which[i]].n_addresses++] =
				&cfg->addresses[i];
	free(which);
	cfg->mailboxes = mb;
	cfg->n_mailboxes = n;
}

void
cfg_finish_imap(struct cfg_ctx *c)
{
	struct tg_config *cfg = &c->impl->pub;

	build_mailboxes(c);
	for (size_t i = 0; i < cfg->n_imap_accounts; i++) {
		const struct tg_config_imap_account *acc =
			&cfg->imap_accounts[i];
		bool used = false;

		for (size_t k = 0; k < cfg->n_mailboxes; k++) {
			const struct tg_config_mailbox *m = &cfg->mailboxes[k];

			if (m->account != acc)
				continue;
			used = true;
			/* moved mail would be fetched again, and again */
			if (acc->move_to != NULL &&
			    strcmp(acc->move_to, m->folder) == 0)
				cfg_error(
					c, account_setting(c, i, "move_to"),
					"imap_accounts[%zu].move_to \"%s\" is "
					"a folder the daemon reads "
					"(addresses[%zu], line %u): processed "
					"mail would be read again",
					i, acc->move_to,
					(size_t)(m->addresses[0] -
						 cfg->addresses),
					m->addresses[0]->line);
		}
		/* a nameless or duplicate account is reported already */
		if (!used && acc->name != NULL)
			cfg_warn(c,
				 config_setting_get_elem(c->imap_accounts,
							 (unsigned)i),
				 "imap_accounts[%zu]: no address names account "
				 "\"%s\": it is not polled",
				 i, acc->name);
	}
	/* the settings go with the parse tree */
	c->imap_accounts = NULL;
}
