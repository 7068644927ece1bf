/* The outbound side of the configuration: the SMTP server the outbox
 * worker sends through (group "smtp", its password read from a file) and
 * templates_dir, where the automatic mail's templates are. Both are only
 * checked here; nothing is sent or rendered. */
#include "config-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- words and syntax checks --------------------------------------------- */

static const struct {
	const char *word;
	enum tg_config_smtp_security value;
	unsigned port; /* the default port that goes with it */
} securities[] = {
	{"smtps", TG_SMTP_SEC_SMTPS, 465},
	{"starttls", TG_SMTP_SEC_STARTTLS, 587},
	{"plain", TG_SMTP_SEC_PLAIN, 25},
};

/* The index of word w (exactly: they are keywords) in securities, or -1. */
static int
security_index(const char *w)
{
	for (size_t i = 0; i < TG_N(securities); i++)
		if (strcmp(securities[i].word, w) == 0)
			return (int)i;
	return -1;
}

static const char *
check_security(const char *v)
{
	return security_index(v) >= 0
		       ? NULL
		       : "want \"smtps\", \"starttls\" or \"plain\"";
}

static bool
is_alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

/* What EHLO names us by: a host name (RFC 5321 wants the FQDN). An
 * address would need brackets, and nobody should need one here. */
static const char *
check_helo(const char *v)
{
	const char *label = v;
	bool digits_only = true;

	for (const char *p = v;; p++) {
		if (*p == '.' || *p == '\0') {
			size_t len = (size_t)(p - label);

			if (len == 0 || len > 63 || label[0] == '-' ||
			    p[-1] == '-')
				return "not a host name";
			if (*p == '\0')
				break;
			label = p + 1;
			digits_only = true;
		} else if (is_alnum(*p) || *p == '-') {
			digits_only &= *p >= '0' && *p <= '9';
		} else {
			return (unsigned char)*p <= ' '
				       ? "not a host name (no spaces)"
				       : "not a host name";
		}
	}
	/* no top-level domain is all digits: this is an IPv4 address */
	return digits_only ? "want a host name, not an IP address" : NULL;
}

/* Goes into AUTH and log lines: no line breaks. */
static const char *
check_user(const char *v)
{
	for (const char *p = v; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p == 0x7f)
			return "control characters are not allowed";
	return NULL;
}

/* --- the smtp group ------------------------------------------------------ */

/* What the group is read into: the settings and the security word, until
 * it becomes the enum. */
struct smtp_in {
	struct tg_config_smtp s;
	const char *security;
};

enum {
	S_HOST,
	S_PORT,
	S_SECURITY,
	S_CA_FILE,
	S_VERIFY,
	S_USER,
	S_PASSWORD_FILE,
	S_HELO_NAME,
	S_TIMEOUT,
	S_RETRY,
	S_BATCH,
	S_COUNT
};

#define STR(name, min, max, def, field, check)                                 \
	CFG_ROW_STR(name, min, max, def, struct smtp_in, field, check)
#define INT(name, min, max, def, field)                                        \
	CFG_ROW_INT(name, min, max, def, struct smtp_in, field)
/* clang-format off */
static const struct cfg_key smtp_keys[S_COUNT] = {
	/*                   name             min max    default */
	[S_HOST] = STR("host",               1, 253,   NULL, s.host,
		       cfg_check_host),
	/* no default in the table: it depends on security */
	[S_PORT] = INT("port",               1, 65535, CFG_NONE, s.port),
	[S_SECURITY] = STR("security",       1, 16,    "smtps", security,
			   check_security),
	[S_CA_FILE] = STR("ca_file",         1, 4096,  CFG_NONE, s.ca_file,
			  NULL),
	[S_VERIFY] = CFG_ROW_BOOL("tls_verify",        "true", struct smtp_in,
				  s.verify),
	/* no AUTH without user; with it, password_file is required */
	[S_USER] = STR("user",               1, 255,   CFG_NONE, s.user,
		       check_user),
	[S_PASSWORD_FILE] = STR("password_file", 1, 4096, CFG_NONE,
				s.password_file, NULL),
	/* defaults to instance.domain, which is checked already */
	[S_HELO_NAME] = STR("helo_name",     1, 253,   CFG_NONE, s.helo_name,
			    check_helo),
	[S_TIMEOUT] = INT("timeout_seconds", 1, 3600,  "30", s.timeout_seconds),
	[S_RETRY] = INT("retry_max_hours",   1, 720,   "48", s.retry_max_hours),
	[S_BATCH] = INT("batch",             1, 1000,  "50", s.batch),
};
/* clang-format on */
#undef STR
#undef INT

/* Checks the TLS and AUTH settings together, once the table has read
 * them. */
static void
check_security_and_auth(struct cfg_ctx *c, const config_setting_t **found,
			struct tg_config_smtp *s)
{
	/* "plain" is never a default: it is always someone's choice */
	if (s->security == TG_SMTP_SEC_PLAIN)
		cfg_warn(c, found[S_SECURITY],
			 "smtp.security = \"plain\": %s in clear text; use it "
			 "only with a relay on the loopback interface",
			 s->user != NULL ? "the password and the mail travel"
					 : "the mail travels");
	else if (!s->verify)
		cfg_warn(c, found[S_VERIFY],
			 "smtp.tls_verify = false: the server's certificate is "
			 "not checked, so anyone on the path can pose as the "
			 "server and read the mail%s",
			 s->user != NULL ? " and the password" : "");

	if (found[S_USER] == NULL && s->password_file != NULL) {
		/* a password nobody sends need not be read, nor exist */
		cfg_warn(c, found[S_PASSWORD_FILE],
			 "smtp.password_file: not used without smtp.user (no "
			 "AUTH)");
		s->password_file = NULL;
	} else if (s->user != NULL && s->password_file == NULL &&
		   found[S_PASSWORD_FILE] == NULL) {
		/* (a bad password_file is reported already) */
		cfg_error(c, found[S_USER],
			  "smtp.password_file is required when smtp.user is "
			  "set");
	}
}

/* Loads group g into a pool struct that cfg->smtp points to. */
static void
load_group(struct cfg_ctx *c, const config_setting_t *g)
{
	const config_setting_t *found[S_COUNT];
	struct tg_config *cfg = &c->impl->pub;
	struct tg_config_smtp *s;
	struct smtp_in in;
	int k;

	memset(&in, 0, sizeof(in));
	/* a bad key leaves its field NULL or 0: check the others anyway */
	cfg_apply_keys(c, g, "smtp", smtp_keys, S_COUNT, &in, found);
	s = tg_pool_alloc(c->pool, sizeof(*s));
	*s = in.s;
	s->line = cfg_line(g);
	cfg->smtp = s;
	/* a bad word was reported; the default stands in for it */
	k = in.security != NULL ? security_index(in.security) : -1;
	if (k < 0)
		k = security_index("smtps");
	s->security = securities[k].value;
	if (s->port == 0)
		s->port = securities[k].port;
	if (s->helo_name == NULL && found[S_HELO_NAME] == NULL)
		s->helo_name = cfg->instance.domain;

	check_security_and_auth(c, found, s);
	if (s->ca_file != NULL) {
		s->ca_file = cfg_resolve_path(c, found[S_CA_FILE], s->ca_file);
		cfg_check_readable(c, found[S_CA_FILE], "smtp.ca_file",
				   s->ca_file);
	}
	if (s->password_file != NULL) {
		s->password_file = cfg_resolve_path(c, found[S_PASSWORD_FILE],
						    s->password_file);
		c->impl->smtp_password = cfg_read_password(
			c, found[S_PASSWORD_FILE], "smtp.password_file",
			s->password_file);
		s->password = c->impl->smtp_password;
	}
}

/* --- templates_dir ------------------------------------------------------- */

/* 0 when path is a directory we can open, else the errno why not
 * (ENOTDIR for a file). */
static int
open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Set, it must be a directory. Defaulted, it may be missing: that matters
 * only when mail is sent, so only then is it warned about (and not on
 * every `ticketgate deliver` of an install without smtp). */
static void
load_templates_dir(struct cfg_ctx *c, const config_setting_t *s,
		   const config_setting_t *smtp)
{
	struct tg_config *cfg = &c->impl->pub;
	const char *path;
	int e;

	if (s != NULL) {
		if (cfg->templates_dir == NULL)
			return; /* a bad value, reported already */
		path = cfg_resolve_path(c, s, cfg->templates_dir);
		cfg->templates_dir = path;
		e = open_dir(path);
		if (e == ENOTDIR)
			cfg_error(c, s, "templates_dir \"%s\": not a directory",
				  path);
		else if (e != 0)
			cfg_error(c, s, "templates_dir \"%s\": cannot open: %s",
				  path, strerror(e));
		return;
	}
	/* beside the main file, as if written there */
	path = cfg_resolve_path(c, NULL, "templates");
	cfg->templates_dir = path;
	e = open_dir(path);
	if (e != 0 && smtp != NULL)
		cfg_warn(c, smtp,
			 "no templates: automatic mail cannot be sent "
			 "(templates_dir defaults to \"%s\": %s)",
			 path, e == ENOTDIR ? "not a directory" : strerror(e));
}

void
cfg_load_smtp(struct cfg_ctx *c, const config_setting_t *g,
	      const config_setting_t *s)
{
	if (g != NULL)
		load_group(c, g);
	load_templates_dir(c, s, g);
}
