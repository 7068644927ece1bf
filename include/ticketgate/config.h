/* The configuration snapshot: one libconfig file loaded, fully validated,
 * into an immutable struct that every module reads and nobody changes. A
 * reload builds a new snapshot and swaps it (STYLE.md §7). */
#ifndef TICKETGATE_CONFIG_H
#define TICKETGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ticketgate/message.h"
#include "ticketgate/sla.h"
#include "ticketgate/util.h"

#define TG_CONFIG_DEFAULT_PATH "/etc/ticketgate/ticketgate.conf"

/* An address in the file whose department is chosen from the account. */
#define TG_CONFIG_BY_ACCOUNT "by account"

enum tg_config_security {
	TG_SECURITY_IMAPS,    /* TLS from the first byte */
	TG_SECURITY_STARTTLS, /* STARTTLS first; refused if not offered */
	TG_SECURITY_PLAIN,    /* no TLS: loopback tests only (warned about) */
};

enum tg_config_auth {
	TG_AUTH_LOGIN, /* the LOGIN command */
	TG_AUTH_PLAIN, /* AUTHENTICATE PLAIN */
};

/* What happens to a message on the server once its ticket is committed. */
enum tg_config_after {
	TG_AFTER_MOVE,   /* moved to the account's move_to folder */
	TG_AFTER_SEEN,   /* flagged \Seen and left where it is */
	TG_AFTER_DELETE, /* flagged \Deleted and expunged */
};

/* One IMAP login (group "imap_accounts"). Every string is owned by the
 * snapshot. */
struct tg_config_imap_account {
	const char *name; /* referred to by addresses; letters, digits, ._- */
	const char *host; /* a host name or an IP address */
	unsigned port;    /* default 993 for imaps, else 143 */
	/* "imaps" (default), "starttls", "plain" */
	enum tg_config_security security;
	const char *ca_file; /* PEM bundle; NULL: the system store */
	bool verify;         /* tls_verify, default true */
	const char *user;
	const char *password_file;
	const char *password;     /* its first line, wiped on free */
	enum tg_config_auth auth; /* "login" (default) or "plain" */
	/* after_commit: "move" (default), "seen", "delete" */
	enum tg_config_after after;
	/* Default "Processed"; NULL unless after is TG_AFTER_MOVE. Never a
	 * folder an address of this account reads. */
	const char *move_to;
	/* default 60, 1..86400: the polling interval without IDLE */
	unsigned poll_seconds;
	bool idle; /* default true: IDLE when the server has it */
	/* messages per fetch and transaction, default 100, 1..1000 */
	unsigned batch;
	unsigned timeout_seconds; /* network timeout, default 30, 1..3600 */
	unsigned line;            /* where it is defined, for messages */
};

/* How the SMTP connection is protected. A type of its own: the words and
 * the default ports differ from IMAP's. */
enum tg_config_smtp_security {
	TG_SMTP_SEC_SMTPS,    /* TLS from the first byte (port 465) */
	TG_SMTP_SEC_STARTTLS, /* STARTTLS first (port 587) */
	TG_SMTP_SEC_PLAIN,    /* no TLS (port 25): warned about */
};

/* Outbound mail (group "smtp"); absent: no mail is sent (outbox rows
 * wait). Every string is owned by the snapshot. */
struct tg_config_smtp {
	const char *host; /* a host name or an IP address */
	/* default 465 for smtps, 587 for starttls, 25 for plain */
	unsigned port;
	/* "smtps" (default), "starttls", "plain" */
	enum tg_config_smtp_security security;
	const char *ca_file; /* PEM bundle; NULL: the system store */
	bool verify;         /* tls_verify, default true */
	const char *user;    /* NULL: no AUTH */
	/* set when user is (a password_file without user is ignored) */
	const char *password_file;
	const char *password;     /* its first line, wiped on free */
	const char *helo_name;    /* for EHLO; default instance.domain */
	unsigned timeout_seconds; /* network timeout, default 30, 1..3600 */
	/* a message deferred (4xx) or undeliverable for network errors is
	 * given up once this old; default 48, 1..720 */
	unsigned retry_max_hours;
	/* rows claimed, and marks of sent mail committed, per transaction;
	 * default 50, 1..1000 */
	unsigned batch;
	unsigned line; /* where the group is, for messages */
};

/* One support address. Every string is owned by the snapshot. */
struct tg_config_address {
	const char *address;     /* lowercased local@domain */
	const char *department;  /* a department name; NULL: by account */
	const char *const *tags; /* default tags added to new tickets */
	size_t n_tags;
	const char *language;     /* "en", "pt", "pt-BR" ... */
	const char *display_name; /* for the From of our mail; NULL: none */
	/* default true: the Reply-To of our mail carries the ticket's signed
	 * reply token */
	bool reply_token;
	/* Where the daemon fetches its mail; NULL: served only by the MTA
	 * pipe (ticketgate deliver). */
	const struct tg_config_imap_account *imap_account;
	const char *imap_folder; /* default "INBOX" (any case of it is
				    spelled so); NULL without an account */
	unsigned line;           /* where it is defined, for messages */
};

/* A folder the daemon works: one per distinct (account, folder) among the
 * addresses, in the order of the first address naming it. */
struct tg_config_mailbox {
	const char *name; /* "account/folder", unique; used as the mailbox's
			     key in the database */
	const struct tg_config_imap_account *account;
	const char *folder;
	/* the addresses whose mail lands here, in config order; never empty */
	const struct tg_config_address *const *addresses;
	size_t n_addresses; /* more than one: the address is read from
			       Delivered-To etc. */
};

/* A named business-hours calendar (or 24x7) in the form sla.h counts in. */
struct tg_config_calendar {
	const char *name;
	const char *timezone; /* IANA name; NULL when always open */
	struct tg_calendar cal;
};

/* Ticket priorities, in the order of the SQL enum ticket_priority. They
 * live here because the SLA targets are the first thing indexed by them. */
enum tg_priority {
	TG_PRIORITY_URGENT,
	TG_PRIORITY_HIGH,
	TG_PRIORITY_MEDIUM,
	TG_PRIORITY_LOW,
};
#define TG_PRIORITY_COUNT 4

/* "urgent", "high", "medium", "low". */
const char *tg_priority_name(enum tg_priority p);
/* 1 and *p_r set when name is one of those, else 0. */
int tg_priority_parse(const char *name, enum tg_priority *p_r);

/* Targets in minutes, indexed by enum tg_priority. */
struct tg_config_sla_policy {
	const char *name;
	const struct tg_config_calendar *calendar;
	int32_t first_response_min[TG_PRIORITY_COUNT];
	int32_t resolution_min[TG_PRIORITY_COUNT];
};

/* Inbound and outbound rate limits (the "limits" group beside the message
 * limits). */
struct tg_config_rates {
	unsigned flood_messages;   /* more than this from one sender ... */
	unsigned flood_minutes;    /* ... in this many minutes: quarantine */
	unsigned reopens_per_hour; /* customer reopens of one ticket */
	unsigned
		autoreply_per_recipient; /* our automatic mail to one address */
	unsigned autoreply_window_minutes; /* ... within this window */
};

/* Department for each account status of a "by account" address. */
struct tg_config_routing {
	const char *paid;
	const char *trial;
	const char *potential;
	const char *potential_vip;
	const char *community;
	const char *none; /* no account found */
};

/* The snapshot. Read it through a const pointer; every pointer in it is
 * owned by it and lives until tg_config_free(). */
struct tg_config {
	const char *path; /* the file it was loaded from */

	struct {
		const char *id;     /* names this gateway in our loop header */
		const char *domain; /* Message-IDs and reply addresses */
		const char *secret_file;
		/* HMAC key of the signed reply tokens: the file's bytes, never
		 * printed, wiped on free. */
		const unsigned char *secret;
		size_t secret_len;
		/* Agents are who they say only when an Authentication-Results
		 * header from this authserv-id (our own MTA) shows an
		 * aligned pass; NULL: no agent mail is trusted. */
		const char *trusted_authserv_id;
		/* Also trust an agent's mail sent to the agent's own signed
		 * address (support+a.<mac>@domain, see agent-token.h); default
		 * false. */
		bool agent_tokens;
	} instance;

	struct {
		const char *conninfo;      /* libpq string, no password */
		const char *password_file; /* NULL: none */
		const char *password;      /* its first line; NULL: none */
	} database;

	struct tg_limits limits; /* what the parser may read of one message */
	struct tg_config_rates rates;

	const char *const *departments;
	size_t n_departments;
	struct tg_config_routing routing;

	const struct tg_config_calendar *calendars;
	size_t n_calendars;
	const struct tg_config_sla_policy *sla_policies;
	size_t n_sla_policies;
	const struct tg_config_sla_policy *default_sla_policy;

	const struct tg_config_address *addresses;
	size_t n_addresses;

	const struct tg_config_imap_account *imap_accounts; /* may be none */
	size_t n_imap_accounts;
	const struct tg_config_mailbox *mailboxes; /* computed from addresses */
	size_t n_mailboxes;

	const struct tg_config_smtp *smtp; /* NULL when the group is absent */
	/* The mail's templates: templates_dir, by default the directory
	 * "templates" beside the config file. Never NULL. Set, it is a
	 * directory; defaulted, it may not exist (warned about when smtp is
	 * set): then no automatic mail can be sent. */
	const char *templates_dir;

	/* The LMTP listener of `ticketgate serve`, which `deliver` hands
	 * mail to; NULL when the group is absent. */
	const struct tg_config_lmtp *lmtp;

	/* Where `ticketgate serve` hears the IMAP server's wake-up hints
	 * (wake.h); NULL when the group is absent. */
	const struct tg_config_wake *wake;
};

/* One problem found while loading. */
struct tg_config_problem {
	char *text; /* "FILE:LINE: message"; warnings: "FILE:LINE: warning: ..."
		     */
	char *file; /* the file it is in */
	unsigned line; /* 0 when no line applies (file unreadable) */
	bool warning;  /* the snapshot loads all the same */
};

/* Every problem of one load, in file and line order. The caller embeds it
 * and owns the texts. */
struct tg_config_errors {
	struct tg_config_problem *v;
	size_t n;
	size_t n_errors; /* entries of v that are not warnings */
};

void tg_config_errors_init(struct tg_config_errors *errs);
void tg_config_errors_deinit(struct tg_config_errors *errs);

/* Reads and validates the file at path, reporting every problem it finds
 * (not only the first) into errs, which must be initialised. Secret and
 * password files are read too; relative paths in the file are relative to
 * the directory of the file they are written in. Returns 0 and sets
 * *cfg_r (warnings may have been added to errs), or -1 with at least one
 * error in errs and *cfg_r set to NULL. */
TG_MUST_CHECK int tg_config_load(const char *path, struct tg_config **cfg_r,
				 struct tg_config_errors *errs);

/* The same without the secret and password files: they are neither read
 * nor required to be readable, and instance.secret and every password
 * stay NULL. For `deliver` handing a message to the daemon, which runs as
 * the MTA's user and needs only where the daemon listens. */
TG_MUST_CHECK int tg_config_load_without_secrets(const char *path,
						 struct tg_config **cfg_r,
						 struct tg_config_errors *errs);

/* Frees the snapshot, wiping its secrets; sets *cfgp to NULL; accepts
 * NULL. */
void tg_config_free(struct tg_config **cfgp);

/* The address entry for addr (compared case-insensitively), or NULL. */
const struct tg_config_address *tg_config_address(const struct tg_config *cfg,
						  const char *addr);

/* The IMAP account called name (compared exactly), or NULL. */
const struct tg_config_imap_account *
tg_config_imap_account(const struct tg_config *cfg, const char *name);

/* The department of a new ticket sent to a: its fixed department, or for a
 * "by account" address the routing for account_status ("paid", "trial",
 * "potential", "potential_vip", "community"; NULL or "" for no account; any
 * other status counts as "community", everyone else). Never NULL. */
const char *tg_config_department_for(const struct tg_config *cfg,
				     const struct tg_config_address *a,
				     const char *account_status);

/* The policy called name, or the default policy when name is NULL. NULL
 * only when no policy has that name. */
const struct tg_config_sla_policy *
tg_config_sla_policy(const struct tg_config *cfg, const char *name);
/* The first-response and resolution due times (Unix seconds) of a ticket
 * of priority pr whose clock started at start, counted in p's calendar.
 * False when p is NULL or has no calendar. */
bool tg_config_sla_due(const struct tg_config_sla_policy *p,
		       enum tg_priority pr, int64_t start, int64_t *first_r,
		       int64_t *resolution_r);

/* The calendar called name, or NULL. */
const struct tg_config_calendar *tg_config_calendar(const struct tg_config *cfg,
						    const char *name);

/* 1 if name is a configured department, else 0. */
int tg_config_has_department(const struct tg_config *cfg, const char *name);

/* The LMTP listener (group "lmtp"). Every string is owned by the
 * snapshot. */
struct tg_config_lmtp {
	const char *socket;       /* the Unix socket's path, made absolute */
	unsigned socket_mode;     /* its permissions, default 0660 */
	unsigned max_connections; /* at once, default 16, 1..1024 */
	unsigned timeout_seconds; /* idle connections closed, default 300 */
	unsigned line;            /* where the group is, for messages */
};

/* The wake-up listener (group "wake"). */
struct tg_config_wake {
	const char *address; /* numeric IPv4 or IPv6, default 127.0.0.1 */
	unsigned port;       /* TCP, required */
	unsigned line;       /* where the group is, for messages */
};

#endif
