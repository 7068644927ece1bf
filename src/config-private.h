/* Internals shared by the files of the config loader: the load context,
 * problem reports and the key tables that drive validation (STYLE.md §8). */
#ifndef TICKETGATE_CONFIG_PRIVATE_H
#define TICKETGATE_CONFIG_PRIVATE_H

#include "ticketgate/config.h"
#include "ticketgate/pool.h"
#include "ticketgate/tz.h"

#include <libconfig.h>
#include <stddef.h>

/* The snapshot and what only the loader and tg_config_free() see. */
struct cfg_impl {
	struct tg_config pub;  /* first: tg_config_free() casts back */
	struct tg_pool *pool;  /* every string and array of the snapshot */
	unsigned char *secret; /* malloc'd, so it can be wiped on free */
	size_t secret_len;
	char *password;
	size_t password_len;
	/* pool array of n_imap_accounts malloc'd CFG_PASSWORD_BUF_BYTES
	 * buffers (NULL when unread), wiped on free */
	char **imap_passwords;
	/* malloc'd CFG_PASSWORD_BUF_BYTES buffer of the smtp password (NULL
	 * when unread), wiped on free */
	char *smtp_password;
	struct tg_tz **tzs; /* pool array; each freed with tg_tz_free() */
	size_t n_tzs;
};

struct cfg_ctx {
	config_t lc;
	const char *path; /* the main file, as the caller named it */
	struct tg_config_errors *errs;
	struct cfg_impl *impl;
	struct tg_pool *pool;
	/* the imap_accounts list, for checks made once the addresses are
	 * known; NULL when absent */
	const config_setting_t *imap_accounts;
	/* the files' text, read once for the integer checks (config-keys.c);
	 * freed by cfg_sources_free */
	struct cfg_source *sources;
	size_t n_sources;
	bool no_secrets; /* secret and password files left unread */
};

enum cfg_type {
	CFG_INT,   /* stored as an unsigned integer of the field's size */
	CFG_STR,   /* stored as a pool string; min/max bound its length */
	CFG_BOOL,  /* stored as bool */
	CFG_GROUP, /* { ... }: the section's code reads it */
	CFG_LIST,  /* ( { ... }, ... ): the section's code reads it */
	CFG_STRS,  /* [ "a", "b" ]: the section's code reads it */
};

#define CFG_NO_OFF ((size_t)-1)

/* One setting of a group. def is the default as text, NULL when the
 * setting is required, CFG_NONE when it is optional without default. */
struct cfg_key {
	const char *name;
	enum cfg_type type;
	long long min, max;
	const char *def;
	size_t off, size; /* where the value lands in the section's struct */
	/* Extra syntax check of a string: NULL or why it is wrong. */
	const char *(*check)(const char *v);
};

extern const char CFG_NONE[];

#define CFG_ROW_INT(name, min, max, def, type, field)                          \
	{                                                                      \
		name, CFG_INT, min, max, def, offsetof(type, field),           \
			sizeof(((type *)0)->field), NULL                       \
	}
#define CFG_ROW_STR(name, min, max, def, type, field, check)                   \
	{                                                                      \
		name, CFG_STR, min, max, def, offsetof(type, field),           \
			sizeof(((type *)0)->field), check                      \
	}
#define CFG_ROW_BOOL(name, def, type, field)                                   \
	{                                                                      \
		name, CFG_BOOL, 0, 1, def, offsetof(type, field),              \
			sizeof(((type *)0)->field), NULL                       \
	}
#define CFG_ROW_AGG(name, kind, required)                                      \
	{                                                                      \
		name, kind, 0, 0, (required) ? NULL : CFG_NONE, CFG_NO_OFF, 0, \
			NULL                                                   \
	}

/* Reports a problem at s (NULL: the main file, no line). In config.c. */
void cfg_error(struct cfg_ctx *c, const config_setting_t *s, const char *fmt,
	       ...) TG_PRINTF(3, 4);
void cfg_warn(struct cfg_ctx *c, const config_setting_t *s, const char *fmt,
	      ...) TG_PRINTF(3, 4);

/* In config-keys.c. Checks the members of group g (NULL: absent) against
 * keys[0..n): unknown settings, types, ranges, required settings; stores
 * scalars and defaults into dst. found[i] is set to the member for keys[i], or
 * NULL. where names the group in messages ("limits", "addresses[2]"). Returns
 * the number of errors reported. */
int cfg_apply_keys(struct cfg_ctx *c, const config_setting_t *g,
		   const char *where, const struct cfg_key *keys, size_t n,
		   void *dst, const config_setting_t **found);
/* Frees the file texts cfg_apply_keys read (c->sources). */
void cfg_sources_free(struct cfg_ctx *c);

/* The strings of an array setting, copied to the pool; NULL entries for
 * elements that are not strings (reported). */
const char **cfg_strings(struct cfg_ctx *c, const config_setting_t *s,
			 const char *where, size_t *n_r);

/* The file s comes from, as the messages name it (malloc'd). */
char *cfg_setting_file(const struct cfg_ctx *c, const config_setting_t *s);

/* Whether setting s has the shape type t asks for. */
bool cfg_type_ok(enum cfg_type t, const config_setting_t *s);

/* path as written in setting s, made relative to the directory of the
 * file s is in (absolute paths stay as they are). A pool string. */
const char *cfg_resolve_path(struct cfg_ctx *c, const config_setting_t *s,
			     const char *path);

/* The file and line a setting comes from, for "first defined at". */
unsigned cfg_line(const config_setting_t *s);

/* Syntax check of a server's host: a host name, an IPv4 address or an
 * IPv6 address without brackets; no port, no spaces. NULL or why not. */
const char *cfg_check_host(const char *v);

/* Reports (as key "path") unless path is a regular file we can open; for
 * files read later, such as CA bundles. */
void cfg_check_readable(struct cfg_ctx *c, const config_setting_t *s,
			const char *key, const char *path);

/* Passwords are the first line of a file of at most this many bytes. */
#define CFG_PASSWORD_MAX_BYTES 1024
#define CFG_PASSWORD_BUF_BYTES (CFG_PASSWORD_MAX_BYTES + 1)

/* In config-sections.c. Reads the first line of the file at path (named by
 * setting s; key names it in messages) into a malloc'd NUL-terminated
 * buffer of CFG_PASSWORD_BUF_BYTES bytes, which the caller wipes whole
 * with explicit_bzero() before freeing. Returns NULL with the problem
 * reported. The password never appears in a message. */
char *cfg_read_password(struct cfg_ctx *c, const config_setting_t *s,
			const char *key, const char *path);

/* Sections, in config-sections.c and config-calendar.c. */
void cfg_load_instance(struct cfg_ctx *c, const config_setting_t *g);
void cfg_load_database(struct cfg_ctx *c, const config_setting_t *g);
void cfg_load_limits(struct cfg_ctx *c, const config_setting_t *g);
void cfg_load_departments(struct cfg_ctx *c, const config_setting_t *s);
void cfg_load_routing(struct cfg_ctx *c, const config_setting_t *g,
		      const config_setting_t *first_by_account);
const config_setting_t *cfg_load_addresses(struct cfg_ctx *c,
					   const config_setting_t *s);
void cfg_load_calendars(struct cfg_ctx *c, const config_setting_t *s);
void cfg_load_sla_policies(struct cfg_ctx *c, const config_setting_t *s,
			   const config_setting_t *def);

/* The IMAP side, in config-imap.c. The accounts load before the addresses,
 * each address is linked to its account as it loads, and the mailboxes are
 * computed (with the checks that need both) once all addresses are in. */
void cfg_load_imap_accounts(struct cfg_ctx *c, const config_setting_t *s);
/* Syntax check of a folder name (imap_folder, move_to). */
const char *cfg_check_imap_folder(const char *v);
/* Sets a->imap_account and a->imap_folder from the name of the account
 * (NULL: none) and a->imap_folder as read (NULL: absent or bad). s_account
 * and s_folder are the settings, for messages; where is "addresses[i]". */
void cfg_link_imap_address(struct cfg_ctx *c, struct tg_config_address *a,
			   const char *where, const char *account,
			   const config_setting_t *s_account,
			   const config_setting_t *s_folder);
void cfg_finish_imap(struct cfg_ctx *c);

/* Outbound mail, in config-smtp.c, after the instance (the EHLO name
 * defaults to its domain): the smtp group g (NULL: absent) and the
 * top-level templates_dir setting s (NULL: absent), which cfg_apply_keys
 * has stored into the snapshot when valid. */
void cfg_load_smtp(struct cfg_ctx *c, const config_setting_t *g,
		   const config_setting_t *s);

/* The LMTP listener, in config-lmtp.c: the lmtp group g (NULL: absent). */
void cfg_load_lmtp(struct cfg_ctx *c, const config_setting_t *g);

/* The wake-up listener, in config-wake.c: the wake group g (NULL:
 * absent). */
void cfg_load_wake(struct cfg_ctx *c, const config_setting_t *g);

#endif
