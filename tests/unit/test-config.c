/* Unit tests for the config loader: the shipped example loads and answers
 * lookups (with its IMAP and SMTP settings switched on too); each broken
 * config of tests/data/config/ gives its FILE:LINE: message; secrets,
 * warnings, IMAP accounts and mailboxes, outbound mail and templates,
 * includes and the problem order. */
#include "ticketgate/config.h"
#include "ticketgate/message.h"
#include "ticketgate/sla.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* tests/ of the source tree: __FILE__ is absolute in CMake builds, so the
 * tests run from any directory without a path passed in. */
static char tests_dir[4096];

static void
find_tests_dir(void)
{
	const char *f = __FILE__, *end = strstr(f, "unit/test-config.c");
	size_t n = end != NULL ? (size_t)(end - f) : 0;

	if (n >= sizeof(tests_dir))
		n = 0;
	memcpy(tests_dir, f, n);
	tests_dir[n] = '\0';
	if (n == 0)
		snprintf(tests_dir, sizeof(tests_dir),
			 "tests/"); /* from the root */
}

static void
data_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%sdata/config/%s", tests_dir, name);
}

/* Writes len bytes to dir/name with the given mode. */
static void
write_file(const char *dir, const char *name, const void *data, size_t len,
	   mode_t mode)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	TG_CHECK(fd >= 0);
	if (fd < 0)
		return;
	TG_CHECK(write(fd, data, len) == (ssize_t)len);
	TG_CHECK(fchmod(fd, mode) == 0); /* the umask must not decide */
	close(fd);
}

static void
remove_file(const char *dir, const char *name)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static char *
read_all(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = tg_xrealloc(buf, len + n + 1);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	*len_r = len;
	return buf;
}

static void
dump(const struct tg_config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		fprintf(stderr, "  got: %s\n", errs->v[i].text);
}

/* --- the example ---------------------------------------------------------- */

static const unsigned char example_secret[48] =
	"0123456789abcdef0123456789abcdef\n\0binary\xff-ok!";

static void
check_example_lookups(const struct tg_config *cfg)
{
	const struct tg_config_address *a;
	const struct tg_config_sla_policy *p;
	const struct tg_config_calendar *cal;
	struct tg_limits def;
	static const struct {
		const char *addr, *status, *want;
	} routes[] = {
		{"support@example.com", "paid", "Paid Support"},
		{"support@example.com", "trial", "Trials"},
		{"support@example.com", "potential", "Trials"},
		{"support@example.com", "potential_vip", "Trials"},
		{"support@example.com", "community", "Community"},
		{"support@example.com", NULL, "Community"},
		{"support@example.com", "", "Community"},
		{"support@example.com", "churned", "Community"},
		{"SUPORTE@Example.COM", "paid", "Paid Support"},
		{"cloud@example.com", "trial", "Trials"},
		{"omni@example.com", "paid", "Paid Support"},
		{"security@example.com", "paid", "Security"},
		{"security@example.com", NULL, "Security"},
		{"gdpr@example.com", "trial", "Privacy"},
	};

	TG_CHECK_STREQ(cfg->instance.id, "helpdesk1");
	TG_CHECK_STREQ(cfg->instance.domain, "example.com");
	TG_CHECK_MEMEQ(cfg->instance.secret, cfg->instance.secret_len,
		       example_secret, sizeof(example_secret));
	TG_CHECK_STREQ(
		cfg->database.conninfo,
		"host=/run/postgresql dbname=ticketgate user=ticketgate");
	TG_CHECK(cfg->database.password_file == NULL);
	TG_CHECK(cfg->database.password == NULL);

	/* the documented defaults are the parser's defaults */
	tg_limits_init_default(&def);
	TG_CHECK(cfg->limits.message_bytes == def.message_bytes);
	TG_CHECK(cfg->limits.header_bytes == def.header_bytes);
	TG_CHECK(cfg->limits.header_count == def.header_count);
	TG_CHECK(cfg->limits.header_line_bytes == def.header_line_bytes);
	TG_CHECK(cfg->limits.mime_depth == def.mime_depth);
	TG_CHECK(cfg->limits.mime_parts == def.mime_parts);
	TG_CHECK(cfg->rates.flood_messages == 20);
	TG_CHECK(cfg->rates.flood_minutes == 10);
	TG_CHECK(cfg->rates.reopens_per_hour == 3);
	TG_CHECK(cfg->rates.autoreply_per_recipient == 10);
	TG_CHECK(cfg->rates.autoreply_window_minutes == 180);

	TG_CHECK(cfg->n_departments == 5);
	TG_CHECK(tg_config_has_department(cfg, "Privacy") == 1);
	TG_CHECK(tg_config_has_department(cfg, "privacy") == 0);
	TG_CHECK(cfg->n_addresses == 6);

	for (size_t i = 0; i < TG_N(routes); i++) {
		a = tg_config_address(cfg, routes[i].addr);
		TG_CHECK(a != NULL);
		if (a != NULL)
			TG_CHECK_STREQ_IDX(tg_config_department_for(
						   cfg, a, routes[i].status),
					   routes[i].want, i);
	}
	TG_CHECK(tg_config_address(cfg, "sales@example.com") == NULL);
	TG_CHECK(tg_config_address(cfg, "support@example.org") == NULL);
	TG_CHECK(tg_config_address(cfg, "support") == NULL);

	a = tg_config_address(cfg, "Suporte@example.com");
	TG_CHECK(a != NULL && a->department == NULL);
	TG_CHECK(a != NULL && strcmp(a->address, "suporte@example.com") == 0);
	TG_CHECK(a != NULL && strcmp(a->language, "pt") == 0);
	TG_CHECK(a != NULL && a->n_tags == 0);
	a = tg_config_address(cfg, "gdpr@example.com");
	TG_CHECK(a != NULL && a->n_tags == 2);
	if (a != NULL && a->n_tags == 2) {
		TG_CHECK_STREQ(a->tags[0], "Privacy");
		TG_CHECK_STREQ(a->tags[1], "Compliance");
		TG_CHECK_STREQ(a->language, "en");
		TG_CHECK_STREQ(a->display_name, "Example Privacy Office");
	}

	p = tg_config_sla_policy(cfg, NULL);
	TG_CHECK(p != NULL && p == cfg->default_sla_policy);
	TG_CHECK(p != NULL && strcmp(p->name, "Community") == 0);
	TG_CHECK(tg_config_sla_policy(cfg, "Gold") == NULL);
	p = tg_config_sla_policy(cfg, "Premium");
	TG_CHECK(p != NULL && p->calendar->cal.always_open);
	TG_CHECK(p != NULL && p->first_response_min[TG_PRIORITY_URGENT] == 60);
	TG_CHECK(p != NULL && p->resolution_min[TG_PRIORITY_LOW] == 2880);
	p = tg_config_sla_policy(cfg, "Standard");
	TG_CHECK(p != NULL && p->first_response_min[TG_PRIORITY_MEDIUM] == 480);
	TG_CHECK(p != NULL && p->resolution_min[TG_PRIORITY_HIGH] == 960);
	TG_CHECK(p != NULL && strcmp(p->calendar->name, "Lisbon office") == 0);

	cal = tg_config_calendar(cfg, "Lisbon office");
	TG_CHECK(cal != NULL);
	if (cal != NULL) {
		TG_CHECK(!cal->cal.always_open && cal->cal.tz != NULL);
		TG_CHECK_STREQ(cal->timezone, "Europe/Lisbon");
		TG_CHECK(cal->cal.week[0].open_min ==
			 cal->cal.week[0].close_min);
		TG_CHECK(cal->cal.week[1].open_min == 9 * 60);
		TG_CHECK(cal->cal.week[5].close_min == 18 * 60);
		TG_CHECK(cal->cal.week[6].open_min ==
			 cal->cal.week[6].close_min);
		TG_CHECK(cal->cal.n_holidays == 8);
		/* 2026-01-01 is day 20454; sorted for binary search */
		TG_CHECK(cal->cal.n_holidays > 0 &&
			 cal->cal.holidays[0] == 20454);
		for (size_t i = 1; i < cal->cal.n_holidays; i++)
			TG_CHECK(cal->cal.holidays[i - 1] <
				 cal->cal.holidays[i]);
	}
	/* the loaded calendar is what sla.c counts in: Friday 17:00 in
	 * Lisbon (UTC+0 in March) + 60 min is Friday 18:00; Thursday
	 * 2026-12-24 17:30 + 60 min skips Christmas and the weekend */
	if (cal != NULL) {
		TG_CHECK(tg_sla_due(&cal->cal, 1772816400, 60) == 1772820000);
		TG_CHECK(tg_sla_due(&cal->cal, 1798133400, 60) == 1798450200);
	}
	cal = tg_config_calendar(cfg, "24x7");
	TG_CHECK(cal != NULL && cal->cal.always_open && cal->timezone == NULL);

	/* SMTP is commented out: no mail is sent; templates_dir is the
	 * default even where it does not exist */
	TG_CHECK(cfg->smtp == NULL);
	TG_CHECK(cfg->templates_dir != NULL);
	for (size_t i = 0; i < cfg->n_addresses; i++)
		TG_CHECK(cfg->addresses[i].reply_token);

	/* IMAP is commented out: every address is served by the MTA pipe */
	TG_CHECK(cfg->n_imap_accounts == 0 && cfg->n_mailboxes == 0);
	TG_CHECK(tg_config_imap_account(cfg, "main") == NULL);
	for (size_t i = 0; i < cfg->n_addresses; i++)
		TG_CHECK(cfg->addresses[i].imap_account == NULL &&
			 cfg->addresses[i].imap_folder == NULL);
}

/* The shipped example, copied beside a secret of its own: it must load
 * with no problem at all, not even a warning. */
static void
test_example(void)
{
	char dir[] = "/tmp/tg-test-config.XXXXXX", src[4200];
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200];
	size_t len;
	char *text;

	snprintf(src, sizeof(src), "%s../conf/ticketgate.conf.example",
		 tests_dir);
	text = read_all(src, &len);
	TG_CHECK(text != NULL);
	TG_CHECK(mkdtemp(dir) != NULL);
	if (text == NULL)
		return;
	write_file(dir, "ticketgate.conf", text, len, 0644);
	write_file(dir, "secret", example_secret, sizeof(example_secret), 0640);
	free(text);

	snprintf(path, sizeof(path), "%s/ticketgate.conf", dir);
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n == 0);
	dump(&errs);
	if (cfg != NULL) {
		char want[4300];

		TG_CHECK_STREQ(cfg->path, path);
		check_example_lookups(cfg);
		snprintf(want, sizeof(want), "%s/templates", dir);
		TG_CHECK_STREQ(cfg->templates_dir, want);
	}
	tg_config_free(&cfg);
	TG_CHECK(cfg == NULL);
	tg_config_free(&cfg); /* NULL is fine */
	tg_config_errors_deinit(&errs);

	/* the same file with a world-readable secret: loads, with a warning */
	write_file(dir, "secret", example_secret, sizeof(example_secret), 0644);
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n == 1 && errs.n_errors == 0);
	if (errs.n == 1) {
		char want[8800];

		snprintf(want, sizeof(want),
			 "%s:18: warning: instance.secret_file \"%s/secret\" "
			 "is readable by everyone (chmod o-r)",
			 path, dir);
		TG_CHECK(errs.v[0].warning && errs.v[0].line == 18);
		TG_CHECK_STREQ(errs.v[0].text, want);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	remove_file(dir, "secret");
	remove_file(dir, "ticketgate.conf");
	TG_CHECK(rmdir(dir) == 0);
}

/* The example's commented-out IMAP settings switched on: the block from
 * "# imap_accounts = (" to "# );" and the addresses' "# imap_..." lines
 * lose their "# ", and the password file moves beside the config. */
static char *
uncomment_imap(const char *text)
{
	static const char etc_pw[] = "/etc/ticketgate/imap-password";
	char *out = tg_xmalloc(strlen(text) + 1), *o = out, *pw;
	bool in_block = false;

	for (const char *p = text; *p != '\0';) {
		const char *eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);
		size_t ind = strspn(p, " ");
		bool on;

		if (strncmp(p, "# imap_accounts = (", 19) == 0)
			in_block = true;
		on = in_block
			     ? strncmp(p, "# ", 2) == 0
			     : strncmp(p + ind, "# imap_account = ", 17) == 0 ||
				       strncmp(p + ind,
					       "# imap_folder = ", 16) == 0;
		if (in_block && strncmp(p, "# );", 4) == 0)
			in_block = false;
		if (on) {
			memcpy(o, p, ind);
			memcpy(o + ind, p + ind + 2, n - ind - 2);
			o += n - 2;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	pw = strstr(out, etc_pw);
	if (pw != NULL) /* "imap-password": the last 13 bytes */
		memmove(pw, pw + sizeof(etc_pw) - 1 - 13,
			strlen(pw + sizeof(etc_pw) - 1 - 13) + 1);
	return out;
}

static void
test_example_imap(void)
{
	static const char pw[] = "example imap password\n";
	char dir[] = "/tmp/tg-test-config.XXXXXX", src[4200], path[4200];
	const struct tg_config_imap_account *acc;
	const struct tg_config_mailbox *mb;
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char *text, *on;
	size_t len;

	snprintf(src, sizeof(src), "%s../conf/ticketgate.conf.example",
		 tests_dir);
	text = read_all(src, &len);
	TG_CHECK(text != NULL);
	TG_CHECK(mkdtemp(dir) != NULL);
	if (text == NULL)
		return;
	on = uncomment_imap(text);
	free(text);
	TG_CHECK(strstr(on, "\nimap_accounts = (\n") != NULL);
	write_file(dir, "ticketgate.conf", on, strlen(on), 0644);
	write_file(dir, "secret", example_secret, sizeof(example_secret), 0640);
	write_file(dir, "imap-password", pw, strlen(pw), 0600);
	free(on);

	snprintf(path, sizeof(path), "%s/ticketgate.conf", dir);
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n == 0);
	dump(&errs);
	if (cfg != NULL) {
		char want[4300];

		TG_CHECK(cfg->n_imap_accounts == 1);
		acc = tg_config_imap_account(cfg, "main");
		TG_CHECK(acc != NULL && acc == &cfg->imap_accounts[0]);
		if (acc != NULL) {
			snprintf(want, sizeof(want), "%s/imap-password", dir);
			TG_CHECK_STREQ(acc->host, "imap.example.com");
			TG_CHECK(acc->port == 993);
			TG_CHECK(acc->security == TG_SECURITY_IMAPS);
			TG_CHECK(acc->verify && acc->ca_file == NULL);
			TG_CHECK_STREQ(acc->user, "support");
			TG_CHECK_STREQ(acc->password_file, want);
			TG_CHECK_STREQ(acc->password, "example imap password");
			TG_CHECK(acc->auth == TG_AUTH_LOGIN);
			TG_CHECK(acc->after == TG_AFTER_MOVE);
			TG_CHECK_STREQ(acc->move_to, "Processed");
		}
		/* support and its alias share INBOX; security has a folder */
		TG_CHECK(cfg->n_mailboxes == 2);
		mb = &cfg->mailboxes[0];
		TG_CHECK(cfg->n_mailboxes < 1 ||
			 (strcmp(mb->name, "main/INBOX") == 0 &&
			  mb->n_addresses == 2 &&
			  strcmp(mb->addresses[0]->address,
				 "support@example.com") == 0 &&
			  strcmp(mb->addresses[1]->address,
				 "suporte@example.com") == 0));
		mb = &cfg->mailboxes[1];
		TG_CHECK(cfg->n_mailboxes < 2 ||
			 (strcmp(mb->name, "main/Security") == 0 &&
			  mb->n_addresses == 1 &&
			  strcmp(mb->addresses[0]->address,
				 "security@example.com") == 0));
		TG_CHECK(tg_config_address(cfg, "cloud@example.com")
				 ->imap_account == NULL);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
	remove_file(dir, "imap-password");
	remove_file(dir, "secret");
	remove_file(dir, "ticketgate.conf");
	TG_CHECK(rmdir(dir) == 0);
}

/* The example's commented-out smtp group switched on: the lines from
 * "# smtp = {" to "# };" lose their "# ", and the password file moves
 * beside the config. *line_r is the group's line. */
static char *
uncomment_smtp(const char *text, unsigned *line_r)
{
	static const char etc_pw[] = "/etc/ticketgate/smtp-password";
	char *out = tg_xmalloc(strlen(text) + 1), *o = out, *pw;
	bool in_block = false;
	unsigned line = 1;

	*line_r = 0;
	for (const char *p = text; *p != '\0'; line++) {
		const char *eol = strchr(p, '\n');
		size_t n = eol != NULL ? (size_t)(eol - p) + 1 : strlen(p);

		if (strncmp(p, "# smtp = {", 10) == 0) {
			in_block = true;
			*line_r = line;
		}
		if (in_block && strncmp(p, "# ", 2) == 0) {
			memcpy(o, p + 2, n - 2);
			o += n - 2;
		} else {
			memcpy(o, p, n);
			o += n;
		}
		if (in_block && strncmp(p, "# };", 4) == 0)
			in_block = false;
		p += n;
	}
	*o = '\0';
	pw = strstr(out, etc_pw);
	if (pw != NULL) /* "smtp-password": the last 13 bytes */
		memmove(pw, pw + sizeof(etc_pw) - 1 - 13,
			strlen(pw + sizeof(etc_pw) - 1 - 13) + 1);
	return out;
}

/* Switched on, the example's smtp group loads with its defaults; without
 * a templates directory beside the config it is warned about, once. */
static void
test_example_smtp(void)
{
	static const char pw[] = "example smtp password\n";
	char dir[] = "/tmp/tg-test-config.XXXXXX", src[4200], path[4200];
	char want[8800], templates[4300];
	const struct tg_config_smtp *sm;
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	unsigned line;
	char *text, *on;
	size_t len;

	snprintf(src, sizeof(src), "%s../conf/ticketgate.conf.example",
		 tests_dir);
	text = read_all(src, &len);
	TG_CHECK(text != NULL);
	TG_CHECK(mkdtemp(dir) != NULL);
	if (text == NULL)
		return;
	on = uncomment_smtp(text, &line);
	free(text);
	TG_CHECK(strstr(on, "\nsmtp = {\n") != NULL && line > 0);
	write_file(dir, "ticketgate.conf", on, strlen(on), 0644);
	write_file(dir, "secret", example_secret, sizeof(example_secret), 0640);
	write_file(dir, "smtp-password", pw, strlen(pw), 0600);
	free(on);
	snprintf(path, sizeof(path), "%s/ticketgate.conf", dir);
	snprintf(templates, sizeof(templates), "%s/templates", dir);

	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n == 1 && errs.n_errors == 0);
	snprintf(want, sizeof(want),
		 "%s:%u: warning: no templates: automatic mail cannot be sent "
		 "(templates_dir defaults to \"%s\": No such file or "
		 "directory)",
		 path, line, templates);
	if (errs.n == 1)
		TG_CHECK_STREQ(errs.v[0].text, want);
	else
		dump(&errs);
	sm = cfg != NULL ? cfg->smtp : NULL;
	TG_CHECK(sm != NULL);
	if (sm != NULL) {
		snprintf(want, sizeof(want), "%s/smtp-password", dir);
		TG_CHECK_STREQ(sm->host, "smtp.example.com");
		TG_CHECK(sm->port == 465);
		TG_CHECK(sm->security == TG_SMTP_SEC_SMTPS);
		TG_CHECK(sm->verify && sm->ca_file == NULL);
		TG_CHECK_STREQ(sm->user, "support@example.com");
		TG_CHECK_STREQ(sm->password_file, want);
		TG_CHECK_STREQ(sm->password, "example smtp password");
		TG_CHECK_STREQ(sm->helo_name, "example.com");
		TG_CHECK(sm->timeout_seconds == 30);
		TG_CHECK(sm->retry_max_hours == 48);
		TG_CHECK(sm->batch == 50);
		TG_CHECK(sm->line == line);
		/* the path stands even where nothing is */
		TG_CHECK_STREQ(cfg->templates_dir, templates);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	/* with the directory: not a word */
	TG_CHECK(mkdir(templates, 0755) == 0);
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n == 0);
	dump(&errs);
	if (cfg != NULL)
		TG_CHECK_STREQ(cfg->templates_dir, templates);
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	TG_CHECK(rmdir(templates) == 0);
	remove_file(dir, "smtp-password");
	remove_file(dir, "secret");
	remove_file(dir, "ticketgate.conf");
	TG_CHECK(rmdir(dir) == 0);
}

/* --- broken configs --------------------------------------------------------
 */

/* file, the line of the problem (0: none applies), how many errors the
 * file has, and the message after "FILE:LINE: " (@DIR@ stands for
 * tests/data/config; a final '*' matches the rest, for messages from
 * another module). */
static const struct {
	const char *file;
	unsigned line;
	size_t n_errors;
	const char *msg;
} broken[] = {
	{"syntax-error.conf", 10, 1, "syntax error"},
	{"unknown-key.conf", 9, 1,
	 "unknown setting limits.mesage_bytes (did you mean message_bytes?)"},
	/* the suggestion goes by spelling alone */
	{"unknown-section.conf", 8, 1,
	 "unknown setting imap (did you mean smtp?)"},
	{"wrong-type-int.conf", 9, 1, "limits.mime_depth must be an integer"},
	{"wrong-type-float.conf", 9, 1,
	 "limits.flood_minutes must be an integer"},
	{"wrong-type-group.conf", 8, 1, "limits must be a group { ... }"},
	{"out-of-range.conf", 9, 1,
	 "limits.mime_depth = 0 is out of range 1..100"},
	{"int-wraps.conf", 9, 1,
	 "limits.message_bytes is out of range 1024..67108864"},
	{"header-over-message.conf", 10, 1,
	 "limits.header_bytes (4096) exceeds limits.message_bytes (2048)"},
	{"missing-instance.conf", 0, 1, "instance is required"},
	{"missing-key.conf", 7, 1, "instance.domain is required"},
	{"bad-id.conf", 8, 1,
	 "instance.id \"help desk\": use only letters, digits, '.', '_' and "
	 "'-'"},
	{"bad-domain.conf", 9, 1,
	 "instance.domain \"example..com\": not a domain name (empty or long "
	 "label)"},
	{"missing-secret.conf", 10, 1,
	 "instance.secret_file \"@DIR@/no-such-secret\": cannot open: No such "
	 "file or directory"},
	{"short-secret.conf", 10, 1,
	 "instance.secret_file \"@DIR@/short-secret\" holds 9 bytes; the key "
	 "needs at least 32"},
	{"secret-is-dir.conf", 10, 1,
	 "instance.secret_file \"@DIR@/base\": not a regular file"},
	{"conninfo-password.conf", 8, 1,
	 "database.conninfo \"dbname=tg password=hunter2\": holds a password: "
	 "put it in database.password_file"},
	{"conninfo-uri-password.conf", 8, 1,
	 "database.conninfo \"postgresql://tg:hunter2@db.example.com/tg\": "
	 "holds a password: put it in database.password_file"},
	{"password-missing.conf", 9, 1,
	 "database.password_file \"@DIR@/no-such-password\": cannot open: No "
	 "such file or directory"},
	{"password-empty.conf", 9, 1,
	 "database.password_file \"@DIR@/empty-password\": the first line is "
	 "empty or holds a NUL byte"},
	{"dup-department.conf", 8, 1,
	 "departments[5]: duplicate department \"trials\" (first at line 7)"},
	{"reserved-department.conf", 7, 1,
	 "departments[4]: \"By Account\" is reserved for addresses that route "
	 "by account"},
	{"no-departments.conf", 6, 2, "departments: name at least one"},
	{"unknown-department.conf", 8, 1,
	 "addresses[0].department: unknown department \"Sales\""},
	{"department-case.conf", 8, 1,
	 "addresses[0].department: unknown department \"security\" (did you "
	 "mean \"Security\"?)"},
	{"routing-unknown.conf", 9, 1,
	 "routing.paid: unknown department \"Gold\""},
	{"routing-defaults.conf", 8, 1,
	 "this address routes by account, but routing for paid, trial, "
	 "potential, potential_vip, community, none defaults to departments "
	 "not defined here: set those keys in routing"},
	{"dup-calendar.conf", 10, 1,
	 "calendars[2]: duplicate calendar \"Office\" (first at line 8)"},
	{"bad-hours.conf", 13, 1,
	 "calendars[1].hours.monday \"9-18\": want \"HH:MM-HH:MM\" or "
	 "\"closed\""},
	{"overnight-hours.conf", 14, 1,
	 "calendars[1].hours.tuesday \"22:00-06:00\": the day must close after "
	 "it opens (use \"closed\", or 24:00 for midnight)"},
	{"bad-hour-value.conf", 12, 1,
	 "calendars[1].hours.friday \"09:00-24:30\": want \"HH:MM-HH:MM\" or "
	 "\"closed\""},
	{"unknown-weekday.conf", 14, 1,
	 "unknown setting calendars[1].hours.funday (did you mean sunday?)"},
	{"closed-every-day.conf", 12, 1,
	 "calendars[1].hours: closed every day"},
	{"bad-date.conf", 14, 1,
	 "calendars[1].holidays[1] \"2026-02-30\": not a date (want "
	 "\"YYYY-MM-DD\")"},
	{"bad-date-format.conf", 13, 1,
	 "calendars[1].holidays[0] \"25/12/2026\": not a date (want "
	 "\"YYYY-MM-DD\")"},
	{"dup-holiday.conf", 14, 1,
	 "calendars[1].holidays[2]: duplicate holiday \"2026-12-25\""},
	{"unknown-tz.conf", 11, 1,
	 "calendars[1].timezone \"Mars/Olympus_Mons\": *"},
	{"always-with-hours.conf", 11, 1,
	 "calendars[0].hours: not used when always = true"},
	{"no-timezone.conf", 9, 1,
	 "calendars[1]: set timezone and hours, or always = true"},
	{"unknown-calendar.conf", 10, 1,
	 "sla_policies[0].calendar: unknown calendar \"Ofice\""},
	{"dup-policy.conf", 15, 1,
	 "sla_policies[1]: duplicate policy \"Standard\" (first at line 9)"},
	{"missing-target.conf", 11, 1,
	 "sla_policies[0].first_response.low is required"},
	{"target-order.conf", 11, 1,
	 "sla_policies[0].first_response.high (600 min) is longer than "
	 "resolution.high (480 min)"},
	{"unknown-default-policy.conf", 15, 1,
	 "default_sla_policy: unknown SLA policy \"Gold\""},
	{"missing-default-policy.conf", 0, 1, "default_sla_policy is required"},
	{"dup-address.conf", 9, 1,
	 "addresses[1]: duplicate address \"support@example.com\" (first at "
	 "line 8)"},
	{"bad-address.conf", 8, 1,
	 "addresses[0].address \"support at example.com\": want local@domain"},
	{"bad-language.conf", 11, 1,
	 "addresses[0].language \"pt_BR\": want a language tag such as \"en\" "
	 "or \"pt-BR\""},
	{"display-name-crlf.conf", 11, 1,
	 "addresses[0].display_name \"Support\\x0d\\x0aBcc: "
	 "victim@example.org\": control characters are not allowed"},
	{"dup-tag.conf", 12, 1,
	 "addresses[0].tags[2]: duplicate tag \"privacy\""},
	{"tags-not-strings.conf", 11, 1,
	 "addresses[0].tags[1] must be a string in quotes"},
	{"no-addresses.conf", 7, 1, "addresses: name at least one"},
	{"imap-unknown-account.conf", 13, 1,
	 "addresses[0].imap_account: unknown IMAP account \"mian\""},
	{"imap-account-case.conf", 13, 1,
	 "addresses[0].imap_account: unknown IMAP account \"Main\" (did you "
	 "mean \"main\"?)"},
	{"imap-no-accounts.conf", 9, 1,
	 "addresses[0].imap_account: unknown IMAP account \"main\" "
	 "(imap_accounts defines none)"},
	{"imap-folder-no-account.conf", 15, 1,
	 "addresses[1].imap_folder: set imap_account too (an address without "
	 "one is served only by ticketgate deliver)"},
	{"imap-bad-security.conf", 9, 1,
	 "imap_accounts[0].security \"tls\": want \"imaps\", \"starttls\" or "
	 "\"plain\""},
	{"imap-bad-auth.conf", 9, 1,
	 "imap_accounts[0].auth \"cram-md5\": want \"login\" or \"plain\""},
	{"imap-bad-after.conf", 10, 1,
	 "imap_accounts[0].after_commit \"archive\": want \"move\", \"seen\" "
	 "or \"delete\""},
	{"imap-missing-host.conf", 8, 1, "imap_accounts[0].host is required"},
	{"imap-bad-host.conf", 8, 1,
	 "imap_accounts[0].host \"imap.example.com:993\": want a host name or "
	 "IP address alone (the port goes in port)"},
	{"imap-host-space.conf", 8, 1,
	 "imap_accounts[0].host \"imap example.com\": not a host name or IP "
	 "address (no spaces)"},
	{"imap-bad-port.conf", 10, 1,
	 "imap_accounts[0].port = 70000 is out of range 1..65535"},
	/* the account's name goes bad, so the address's reference does too */
	{"imap-bad-name.conf", 8, 2,
	 "imap_accounts[0].name \"main/2\": use only letters, digits, '.', "
	 "'_' and '-'"},
	{"imap-not-group.conf", 9, 2,
	 "imap_accounts[0] must be a group { ... }"},
	{"imap-dup-account.conf", 10, 1,
	 "imap_accounts[1]: duplicate account \"Main\" (first at line 8)"},
	{"imap-missing-password.conf", 8, 1,
	 "imap_accounts[0].password_file is required"},
	{"imap-password-missing.conf", 9, 1,
	 "imap_accounts[0].password_file \"@DIR@/no-such-password\": cannot "
	 "open: No such file or directory"},
	{"imap-password-empty.conf", 9, 1,
	 "imap_accounts[0].password_file \"@DIR@/empty-password\": the first "
	 "line is empty or holds a NUL byte"},
	{"imap-ca-missing.conf", 10, 1,
	 "imap_accounts[0].ca_file \"@DIR@/no-such-ca.pem\": cannot open: No "
	 "such file or directory"},
	{"imap-move-to-served.conf", 10, 1,
	 "imap_accounts[0].move_to \"Support\" is a folder the daemon reads "
	 "(addresses[1], line 15): processed mail would be read again"},
	/* defaulted: reported at the account */
	{"imap-move-to-default.conf", 8, 1,
	 "imap_accounts[0].move_to \"Processed\" is a folder the daemon reads "
	 "(addresses[1], line 14): processed mail would be read again"},
	{"imap-move-to-inbox.conf", 10, 1,
	 "imap_accounts[0].move_to \"INBOX\" is a folder the daemon reads "
	 "(addresses[0], line 13): processed mail would be read again"},
	{"smtp-not-group.conf", 8, 1, "smtp must be a group { ... }"},
	{"smtp-missing-host.conf", 8, 1, "smtp.host is required"},
	{"smtp-bad-host.conf", 9, 1,
	 "smtp.host \"smtp.example.com:587\": want a host name or IP address "
	 "alone (the port goes in port)"},
	{"smtp-bad-port.conf", 10, 1, "smtp.port = 0 is out of range 1..65535"},
	{"smtp-bad-security.conf", 10, 1,
	 "smtp.security \"tls\": want \"smtps\", \"starttls\" or \"plain\""},
	{"smtp-user-no-password.conf", 10, 1,
	 "smtp.password_file is required when smtp.user is set"},
	{"smtp-ca-missing.conf", 10, 1,
	 "smtp.ca_file \"@DIR@/no-such-ca.pem\": cannot open: No such file or "
	 "directory"},
	{"smtp-bad-helo.conf", 10, 1,
	 "smtp.helo_name \"mail_1.example.com\": not a host name"},
	{"smtp-bad-retry.conf", 10, 1,
	 "smtp.retry_max_hours = 1000 is out of range 1..720"},
	{"templates-missing.conf", 8, 1,
	 "templates_dir \"@DIR@/no-such-templates\": cannot open: No such file "
	 "or directory"},
	{"templates-not-dir.conf", 8, 1,
	 "templates_dir \"@DIR@/test-secret\": not a directory"},
	{"reply-token-not-bool.conf", 9, 1,
	 "addresses[0].reply_token must be true or false"},
	{"lmtp-bad-mode.conf", 10, 1,
	 "lmtp.socket_mode \"0669\": want an octal mode such as \"0660\""},
	{"lmtp-missing-socket.conf", 8, 1, "lmtp.socket is required"},
	{"lmtp-bad-connections.conf", 10, 1,
	 "lmtp.max_connections = 0 is out of range 1..1024"},
	{"lmtp-long-socket.conf", 9, 1, "lmtp.socket \"/run/xxxxxxxxxx*"},
	{"wake-bad-address.conf", 9, 1,
	 "wake.address \"localhost\": want a numeric IPv4 or IPv6 address"},
	{"wake-missing-port.conf", 8, 1, "wake.port is required"},
};

static void
expand(char *out, size_t size, const char *msg, const char *dir)
{
	const char *at = strstr(msg, "@DIR@");

	if (at == NULL)
		snprintf(out, size, "%s", msg);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - msg), msg, dir,
			 at + 5);
}

static bool
matches(const char *got, const char *want)
{
	size_t n = strlen(want);

	if (n > 0 && want[n - 1] == '*')
		return strncmp(got, want, n - 1) == 0;
	return strcmp(got, want) == 0;
}

static void
test_broken(void)
{
	char dir[4200];

	data_path(dir, sizeof(dir), "");
	dir[strlen(dir) - 1] = '\0'; /* no trailing slash */
	for (size_t i = 0; i < TG_N(broken); i++) {
		struct tg_config_errors errs;
		static struct tg_config dummy;
		struct tg_config *cfg = &dummy; /* the load must reset it */
		char path[4200], msg[8800], want[13100];
		bool found = false;

		data_path(path, sizeof(path), broken[i].file);
		expand(msg, sizeof(msg), broken[i].msg, dir);
		if (broken[i].line > 0)
			snprintf(want, sizeof(want), "%s:%u: %s", path,
				 broken[i].line, msg);
		else
			snprintf(want, sizeof(want), "%s: %s", path, msg);

		tg_config_errors_init(&errs);
		TG_CHECK(tg_config_load(path, &cfg, &errs) == -1);
		TG_CHECK(cfg == NULL);
		tg_config_free(&cfg);
		for (size_t j = 0; j < errs.n; j++)
			found |= !errs.v[j].warning &&
				 errs.v[j].line == broken[i].line &&
				 matches(errs.v[j].text, want);
		tg_test_checks++;
		if (!found || errs.n_errors != broken[i].n_errors) {
			tg_test_failures++;
			fprintf(stderr,
				"%s: want %zu error(s) including\n  %s\n",
				broken[i].file, broken[i].n_errors, want);
			dump(&errs);
		}
		tg_config_errors_deinit(&errs);
	}
}

/* --- the rest --------------------------------------------------------------
 */

static void
test_missing_file(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg;
	char path[4200], want[4300];

	data_path(path, sizeof(path), "no-such.conf");
	snprintf(want, sizeof(want),
		 "%s: cannot open: No such file or directory", path);
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == -1 && cfg == NULL);
	TG_CHECK(errs.n == 1 && errs.n_errors == 1);
	if (errs.n == 1) {
		TG_CHECK_STREQ(errs.v[0].text, want);
		TG_CHECK(errs.v[0].line == 0);
	}
	tg_config_errors_deinit(&errs);
}

/* Without secrets (deliver's hand-over): a secret file that cannot be
 * opened is no error, and nothing secret is in the snapshot; the same file
 * with secrets is refused. */
static void
test_without_secrets(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg;
	char path[4200];

	data_path(path, sizeof(path), "secrets-missing.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load_without_secrets(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n_errors == 0);
	if (cfg != NULL) {
		TG_CHECK(cfg->instance.secret == NULL);
		TG_CHECK(cfg->instance.secret_len == 0);
		TG_CHECK(cfg->database.password == NULL);
		TG_CHECK(tg_config_address(cfg, "support@example.com") != NULL);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == -1 && cfg == NULL);
	TG_CHECK(errs.n_errors == 2);
	tg_config_errors_deinit(&errs);
}

/* The shared parts alone make a good config; the password comes from the
 * first line of its file. Only warnings are allowed (a checkout may make
 * the test secret world-readable). */
static void
test_good(void)
{
	static const char *const files[] = {"good-minimal.conf",
					    "good-password.conf"};

	for (size_t i = 0; i < TG_N(files); i++) {
		struct tg_config_errors errs;
		struct tg_config *cfg = NULL;
		char path[4200];

		data_path(path, sizeof(path), files[i]);
		tg_config_errors_init(&errs);
		TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
		TG_CHECK(errs.n_errors == 0);
		if (errs.n_errors != 0)
			dump(&errs);
		if (cfg == NULL) {
			tg_config_errors_deinit(&errs);
			continue;
		}
		/* the file holds 50 bytes and a newline, which is no part of it */
		TG_CHECK(cfg->instance.secret_len == 50);
		if (i == 0) {
			TG_CHECK(cfg->database.password == NULL);
		} else {
			TG_CHECK_STREQ(cfg->database.password,
				       "test-only-password");
		}
		/* the routing defaults are the reference setup's */
		const struct tg_config_address *a =
			tg_config_address(cfg, "support@example.com");

		TG_CHECK(a != NULL);
		if (a != NULL) {
			TG_CHECK_STREQ(tg_config_department_for(cfg, a, "paid"),
				       "Paid Support");
			TG_CHECK_STREQ(tg_config_department_for(
					       cfg, a, "potential_vip"),
				       "Trials");
		}
		TG_CHECK_STREQ(tg_config_sla_policy(cfg, NULL)->name,
			       "Standard");
		tg_config_free(&cfg);
		tg_config_errors_deinit(&errs);
	}
}

/* reply_token is per address, true unless set false. */
static void
test_reply_token(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200];

	data_path(path, sizeof(path), "reply-token.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n_errors == 0);
	if (cfg != NULL) {
		TG_CHECK(tg_config_address(cfg, "support@example.com")
				 ->reply_token);
		TG_CHECK(!tg_config_address(cfg, "security@example.com")
				  ->reply_token);
		TG_CHECK(tg_config_address(cfg, "gdpr@example.com")
				 ->reply_token);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

/* Problems other than the checkout's world-readable test files. */
static size_t
count_other_problems(const struct tg_config_errors *errs)
{
	size_t n = 0;

	for (size_t i = 0; i < errs->n; i++)
		n += strstr(errs->v[i].text, "is readable by everyone") == NULL;
	return n;
}

/* Accounts with defaults and with every key set; the mailboxes are the
 * distinct (account, folder) pairs, in the order of the addresses. */
static void
test_imap_good(void)
{
	const struct tg_config_imap_account *main_acc, *ops;
	const struct tg_config_address *a;
	const struct tg_config_mailbox *mb;
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200], want[4300];

	data_path(path, sizeof(path), "imap-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	if (count_other_problems(&errs) != 0)
		dump(&errs);
	if (cfg == NULL) {
		tg_config_errors_deinit(&errs);
		return;
	}
	TG_CHECK(cfg->n_imap_accounts == 2);
	main_acc = tg_config_imap_account(cfg, "main");
	ops = tg_config_imap_account(cfg, "ops");
	TG_CHECK(tg_config_imap_account(cfg, "Main") == NULL);
	TG_CHECK(tg_config_imap_account(cfg, "none") == NULL);
	TG_CHECK(main_acc != NULL && ops != NULL);
	if (main_acc == NULL || ops == NULL)
		goto out;

	/* the defaults */
	TG_CHECK_STREQ(main_acc->host, "imap.example.com");
	TG_CHECK(main_acc->port == 993);
	TG_CHECK(main_acc->security == TG_SECURITY_IMAPS);
	TG_CHECK(main_acc->ca_file == NULL && main_acc->verify);
	TG_CHECK_STREQ(main_acc->user, "support");
	TG_CHECK_STREQ(main_acc->password, "test-only-password");
	TG_CHECK(main_acc->auth == TG_AUTH_LOGIN);
	TG_CHECK(main_acc->after == TG_AFTER_MOVE);
	TG_CHECK_STREQ(main_acc->move_to, "Processed");
	TG_CHECK(main_acc->poll_seconds == 60 && main_acc->idle);
	TG_CHECK(main_acc->batch == 100 && main_acc->timeout_seconds == 30);
	TG_CHECK(main_acc->line == 10);

	/* every key set */
	TG_CHECK_STREQ(ops->host, "::1");
	TG_CHECK(ops->port == 10143);
	TG_CHECK(ops->security == TG_SECURITY_STARTTLS);
	data_path(want, sizeof(want), "test-ca.pem");
	TG_CHECK_STREQ(ops->ca_file, want);
	TG_CHECK(ops->verify);
	TG_CHECK_STREQ(ops->user, "ops@example.com");
	data_path(want, sizeof(want), "test-password");
	TG_CHECK_STREQ(ops->password_file, want);
	TG_CHECK_STREQ(ops->password, "test-only-password");
	TG_CHECK(ops->auth == TG_AUTH_PLAIN);
	TG_CHECK(ops->after == TG_AFTER_SEEN && ops->move_to == NULL);
	TG_CHECK(ops->poll_seconds == 300 && !ops->idle);
	TG_CHECK(ops->batch == 10 && ops->timeout_seconds == 5);

	/* the addresses: folder default, INBOX in one spelling, none */
	a = tg_config_address(cfg, "support@example.com");
	TG_CHECK(a != NULL && a->imap_account == main_acc &&
		 strcmp(a->imap_folder, "INBOX") == 0);
	a = tg_config_address(cfg, "suporte@example.com");
	TG_CHECK(a != NULL && a->imap_account == main_acc &&
		 strcmp(a->imap_folder, "INBOX") == 0);
	a = tg_config_address(cfg, "sales@example.com");
	TG_CHECK(a != NULL && a->imap_account == NULL &&
		 a->imap_folder == NULL);

	/* two addresses in one folder make one mailbox; a second folder of
	 * the same account is a mailbox of its own */
	TG_CHECK(cfg->n_mailboxes == 3);
	if (cfg->n_mailboxes != 3)
		goto out;
	mb = &cfg->mailboxes[0];
	TG_CHECK_STREQ(mb->name, "main/INBOX");
	TG_CHECK(mb->account == main_acc);
	TG_CHECK_STREQ(mb->folder, "INBOX");
	TG_CHECK(mb->n_addresses == 2);
	if (mb->n_addresses == 2) {
		TG_CHECK(mb->addresses[0] == &cfg->addresses[0]);
		TG_CHECK(mb->addresses[1] == &cfg->addresses[2]);
	}
	mb = &cfg->mailboxes[1];
	TG_CHECK_STREQ(mb->name, "main/Security");
	TG_CHECK(mb->account == main_acc && mb->n_addresses == 1 &&
		 mb->addresses[0] == &cfg->addresses[1]);
	mb = &cfg->mailboxes[2];
	TG_CHECK_STREQ(mb->name, "ops/Privacy");
	TG_CHECK_STREQ(mb->folder, "Privacy");
	TG_CHECK(mb->account == ops && mb->n_addresses == 1 &&
		 mb->addresses[0] == &cfg->addresses[3]);
out:
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

/* What loads, but deserves a word: no TLS, no certificate check, a move_to
 * nothing uses, an account nobody names. */
static void
test_imap_warnings(void)
{
	static const struct {
		unsigned line;
		const char *msg;
	} want[] = {
		{9,
		 "imap_accounts[0].security = \"plain\": the password and the "
		 "mail travel in clear text; use it only for tests on the "
		 "loopback interface"},
		{11,
		 "imap_accounts[1].tls_verify = false: the server's "
		 "certificate is not checked, so anyone on the path can pose "
		 "as the server and read the password"},
		{15, "imap_accounts[2].move_to: not used unless after_commit = "
		     "\"move\""},
		{16, "imap_accounts[3]: no address names account \"spare\": it "
		     "is not polled"},
	};
	const struct tg_config_imap_account *acc;
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200];
	size_t k = 0;

	data_path(path, sizeof(path), "imap-warnings.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(errs.n_errors == 0);
	TG_CHECK(count_other_problems(&errs) == TG_N(want));
	for (size_t i = 0; i < errs.n; i++) {
		char line[13000];

		if (strstr(errs.v[i].text, "is readable by everyone") != NULL)
			continue;
		if (k >= TG_N(want)) {
			k++;
			break;
		}
		snprintf(line, sizeof(line), "%s:%u: warning: %s", path,
			 want[k].line, want[k].msg);
		TG_CHECK(errs.v[i].warning && errs.v[i].line == want[k].line);
		TG_CHECK_STREQ_IDX(errs.v[i].text, line, k);
		k++;
	}
	if (k != TG_N(want))
		dump(&errs);
	if (cfg != NULL) {
		acc = tg_config_imap_account(cfg, "local");
		/* plain: no TLS, so the IMAP port */
		TG_CHECK(acc != NULL && acc->security == TG_SECURITY_PLAIN &&
			 acc->port == 143);
		acc = tg_config_imap_account(cfg, "lax");
		TG_CHECK(acc != NULL && !acc->verify && acc->port == 993);
		acc = tg_config_imap_account(cfg, "flag");
		TG_CHECK(acc != NULL && acc->after == TG_AFTER_SEEN &&
			 acc->move_to == NULL);
		/* the unused account is in the snapshot, in no mailbox */
		TG_CHECK(cfg->n_imap_accounts == 4 && cfg->n_mailboxes == 3);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

/* The smtp group with its defaults, and with every key but the port set;
 * templates_dir defaulted and set (tests/data/config/templates/ exists). */
static void
test_smtp_good(void)
{
	const struct tg_config_smtp *sm;
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200], want[4300];

	data_path(path, sizeof(path), "smtp-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	if (count_other_problems(&errs) != 0)
		dump(&errs);
	sm = cfg != NULL ? cfg->smtp : NULL;
	TG_CHECK(sm != NULL);
	if (sm != NULL) {
		TG_CHECK_STREQ(sm->host, "smtp.example.com");
		TG_CHECK(sm->port == 465);
		TG_CHECK(sm->security == TG_SMTP_SEC_SMTPS);
		TG_CHECK(sm->ca_file == NULL && sm->verify);
		TG_CHECK_STREQ(sm->user, "support@example.com");
		data_path(want, sizeof(want), "test-password");
		TG_CHECK_STREQ(sm->password_file, want);
		TG_CHECK_STREQ(sm->password, "test-only-password");
		/* the instance's domain, as base/instance.inc spells it */
		TG_CHECK_STREQ(sm->helo_name, "example.com");
		TG_CHECK(sm->timeout_seconds == 30 &&
			 sm->retry_max_hours == 48);
		TG_CHECK(sm->line == 9);
		data_path(want, sizeof(want), "templates");
		TG_CHECK_STREQ(cfg->templates_dir, want);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "smtp-starttls.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	if (count_other_problems(&errs) != 0)
		dump(&errs);
	sm = cfg != NULL ? cfg->smtp : NULL;
	TG_CHECK(sm != NULL);
	if (sm != NULL) {
		TG_CHECK_STREQ(sm->host, "::1");
		TG_CHECK(sm->port == 587);
		TG_CHECK(sm->security == TG_SMTP_SEC_STARTTLS);
		data_path(want, sizeof(want), "test-ca.pem");
		TG_CHECK_STREQ(sm->ca_file, want);
		TG_CHECK(sm->verify);
		TG_CHECK_STREQ(sm->user, "ops@example.com");
		TG_CHECK_STREQ(sm->password, "test-only-password");
		TG_CHECK_STREQ(sm->helo_name, "mx1.example.net");
		TG_CHECK(sm->timeout_seconds == 5 && sm->retry_max_hours == 12);
		TG_CHECK(sm->batch == 200);
		data_path(want, sizeof(want), "templates");
		TG_CHECK_STREQ(cfg->templates_dir, want);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	/* no smtp group: no mail, and the configs without one say so */
	data_path(path, sizeof(path), "good-minimal.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(cfg != NULL && cfg->smtp == NULL);
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

/* Loads, but deserves a word: no TLS (so port 25), a password nobody
 * sends, TLS without a certificate check. */
static void
test_smtp_warnings(void)
{
	static const struct {
		const char *file;
		unsigned line;
		const char *msg;
	} want[] = {
		{"smtp-plain.conf", 10,
		 "smtp.security = \"plain\": the mail travels in clear text; "
		 "use it only with a relay on the loopback interface"},
		{"smtp-plain.conf", 11,
		 "smtp.password_file: not used without smtp.user (no AUTH)"},
		{"smtp-no-verify.conf", 11,
		 "smtp.tls_verify = false: the server's certificate is not "
		 "checked, so anyone on the path can pose as the server and "
		 "read the mail and the password"},
	};
	size_t k = 0;

	for (size_t f = 0; f < TG_N(want); f++) {
		struct tg_config_errors errs;
		struct tg_config *cfg = NULL;
		char path[4200];

		if (f > 0 && strcmp(want[f].file, want[f - 1].file) == 0)
			continue; /* loaded with the row before */
		data_path(path, sizeof(path), want[f].file);
		tg_config_errors_init(&errs);
		TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
		TG_CHECK(errs.n_errors == 0);
		for (size_t i = 0; i < errs.n; i++) {
			char line[13000];

			if (strstr(errs.v[i].text, "is readable by everyone"))
				continue;
			TG_CHECK(k < TG_N(want) &&
				 strcmp(want[k].file, want[f].file) == 0);
			if (k >= TG_N(want))
				break;
			snprintf(line, sizeof(line), "%s:%u: warning: %s", path,
				 want[k].line, want[k].msg);
			TG_CHECK(errs.v[i].warning &&
				 errs.v[i].line == want[k].line);
			TG_CHECK_STREQ_IDX(errs.v[i].text, line, k);
			k++;
		}
		if (cfg != NULL && f == 0) {
			/* plain: the SMTP port; the unused password unread */
			TG_CHECK(cfg->smtp->security == TG_SMTP_SEC_PLAIN &&
				 cfg->smtp->port == 25);
			TG_CHECK(cfg->smtp->user == NULL &&
				 cfg->smtp->password_file == NULL &&
				 cfg->smtp->password == NULL);
		} else if (cfg != NULL) {
			TG_CHECK(!cfg->smtp->verify && cfg->smtp->port == 587);
		}
		tg_config_free(&cfg);
		tg_config_errors_deinit(&errs);
	}
	TG_CHECK(k == TG_N(want));
}

/* A problem in an included file names that file. */
/* The LMTP listener: every setting, and the defaults; absent, there is
 * none. */
static void
test_lmtp(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200], want[4300];

	data_path(path, sizeof(path), "lmtp-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	TG_CHECK(cfg != NULL && cfg->lmtp != NULL);
	if (cfg != NULL && cfg->lmtp != NULL) {
		data_path(want, sizeof(want), "run/lmtp.sock");
		TG_CHECK_STREQ(cfg->lmtp->socket, want);
		TG_CHECK(cfg->lmtp->socket_mode == 0600);
		TG_CHECK(cfg->lmtp->max_connections == 4);
		TG_CHECK(cfg->lmtp->timeout_seconds == 60);
		TG_CHECK(cfg->lmtp->line == 9);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "lmtp-defaults.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	TG_CHECK(cfg != NULL && cfg->lmtp != NULL);
	if (cfg != NULL && cfg->lmtp != NULL) {
		TG_CHECK_STREQ(cfg->lmtp->socket, "/run/ticketgate/lmtp.sock");
		TG_CHECK(cfg->lmtp->socket_mode == 0660);
		TG_CHECK(cfg->lmtp->max_connections == 16);
		TG_CHECK(cfg->lmtp->timeout_seconds == 300);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "smtp-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(cfg != NULL && cfg->lmtp == NULL);
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

/* The wake-up listener: every setting, the default address, a warning
 * for an address beyond loopback; absent, there is none. */
static void
test_wake(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg = NULL;
	char path[4200];

	data_path(path, sizeof(path), "wake-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	TG_CHECK(cfg != NULL && cfg->wake != NULL);
	if (cfg != NULL && cfg->wake != NULL) {
		TG_CHECK_STREQ(cfg->wake->address, "::1");
		TG_CHECK(cfg->wake->port == 8119);
		TG_CHECK(cfg->wake->line == 8);
	}
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "wake-defaults.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(count_other_problems(&errs) == 0);
	TG_CHECK(cfg != NULL && cfg->wake != NULL);
	if (cfg != NULL && cfg->wake != NULL)
		TG_CHECK_STREQ(cfg->wake->address, "127.0.0.1");
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "wake-public.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(cfg != NULL && cfg->wake != NULL);
	TG_CHECK(count_other_problems(&errs) == 1);
	for (size_t i = 0; i < errs.n; i++)
		if (strstr(errs.v[i].text, "wake.address") != NULL)
			TG_CHECK(errs.v[i].warning && errs.v[i].line == 9 &&
				 strstr(errs.v[i].text, "\"192.0.2.10\" is "
							"not loopback") != NULL);
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);

	data_path(path, sizeof(path), "lmtp-good.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == 0);
	TG_CHECK(cfg != NULL && cfg->wake == NULL);
	tg_config_free(&cfg);
	tg_config_errors_deinit(&errs);
}

static void
test_include(void)
{
	struct tg_config_errors errs;
	struct tg_config *cfg;
	char path[4200], want[4300];
	bool found = false;

	data_path(path, sizeof(path), "include-error.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == -1);
	TG_CHECK(errs.n_errors == 1);
	data_path(path, sizeof(path), "inc/bad-limits.inc");
	snprintf(want, sizeof(want), "%s:4: unknown setting limits.max_bytes",
		 path);
	for (size_t i = 0; i < errs.n; i++)
		found |= strcmp(errs.v[i].text, want) == 0;
	TG_CHECK(found);
	if (!found)
		dump(&errs);
	tg_config_errors_deinit(&errs);
}

/* Every problem, in line order whatever order the loader found them in. */
static void
test_multi(void)
{
	static const unsigned lines[] = {7, 11, 17, 23, 31};
	struct tg_config_errors errs;
	struct tg_config *cfg;
	char path[4200];
	size_t k = 0;

	data_path(path, sizeof(path), "multi-error.conf");
	tg_config_errors_init(&errs);
	TG_CHECK(tg_config_load(path, &cfg, &errs) == -1);
	TG_CHECK(errs.n_errors == TG_N(lines));
	for (size_t i = 0; i < errs.n; i++) {
		if (errs.v[i].warning)
			continue;
		TG_CHECK(k < TG_N(lines) && errs.v[i].line == lines[k]);
		TG_CHECK(strcmp(errs.v[i].file, path) == 0);
		k++;
	}
	tg_config_errors_deinit(&errs);
}

static void
test_priorities(void)
{
	enum tg_priority p;

	TG_CHECK(tg_priority_parse("urgent", &p) == 1 &&
		 p == TG_PRIORITY_URGENT);
	TG_CHECK(tg_priority_parse("low", &p) == 1 && p == TG_PRIORITY_LOW);
	TG_CHECK(tg_priority_parse("Low", &p) == 0);
	TG_CHECK(tg_priority_parse("normal", &p) == 0);
	TG_CHECK_STREQ(tg_priority_name(TG_PRIORITY_MEDIUM), "medium");
	TG_CHECK_STREQ(tg_priority_name(TG_PRIORITY_HIGH), "high");
}

int
main(void)
{
	find_tests_dir();
	test_example();
	test_example_imap();
	test_example_smtp();
	test_broken();
	test_missing_file();
	test_without_secrets();
	test_good();
	test_reply_token();
	test_imap_good();
	test_imap_warnings();
	test_smtp_good();
	test_smtp_warnings();
	test_lmtp();
	test_wake();
	test_include();
	test_multi();
	test_priorities();
	return tg_test_done();
}
