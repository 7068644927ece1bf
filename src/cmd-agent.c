/* `ticketgate agent add|list|remove|token`: the agents whose mail counts
 * as replies from the help desk. Names and addresses come from the admin
 * and travel as SQL parameters, so any text is stored as typed. */
#include "cmd.h"
#include "ticketgate/agent-token.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/json.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
usage(void)
{
	fprintf(stderr, "usage: ticketgate agent [-c CONFIG | --conninfo STR] "
			"add EMAIL [--name NAME] [--department NAME]\n"
			"       ticketgate agent [-c CONFIG | --conninfo STR] "
			"list [--json]\n"
			"       ticketgate agent [-c CONFIG | --conninfo STR] "
			"remove EMAIL\n"
			"       ticketgate agent -c CONFIG token EMAIL "
			"[--address SUPPORT_ADDRESS]\n");
}

struct agent_args {
	const char *conninfo, *config, *verb, *email, *name, *department;
	const char *address; /* token: the support address to sign at */
	bool json;
};

static int
parse_args(int argc, char **argv, struct agent_args *a)
{
	memset(a, 0, sizeof(*a));
	a->conninfo = getenv("TG_CONNINFO");
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--conninfo") == 0 && i + 1 < argc)
			a->conninfo = argv[++i];
		else if ((strcmp(opt, "-c") == 0 ||
			  strcmp(opt, "--config") == 0) &&
			 i + 1 < argc)
			a->config = argv[++i];
		else if (strcmp(opt, "--name") == 0 && i + 1 < argc)
			a->name = argv[++i];
		else if (strcmp(opt, "--department") == 0 && i + 1 < argc)
			a->department = argv[++i];
		else if (strcmp(opt, "--address") == 0 && i + 1 < argc)
			a->address = argv[++i];
		else if (strcmp(opt, "--json") == 0)
			a->json = true;
		else if (opt[0] == '-')
			return -1;
		else if (a->verb == NULL)
			a->verb = opt;
		else if (a->email == NULL)
			a->email = opt;
		else
			return -1;
	}
	if (a->verb == NULL || (a->conninfo == NULL && a->config == NULL))
		return -1;
	/* the token is signed with the configuration's secret */
	if (strcmp(a->verb, "token") == 0)
		return a->email != NULL && a->config != NULL && a->name == NULL &&
				       a->department == NULL && !a->json
			       ? 0
			       : -1;
	if (a->address != NULL)
		return -1;
	if (strcmp(a->verb, "list") == 0)
		return a->email == NULL && a->name == NULL &&
				       a->department == NULL
			       ? 0
			       : -1;
	if (strcmp(a->verb, "remove") == 0)
		return a->email != NULL && a->name == NULL &&
				       a->department == NULL && !a->json
			       ? 0
			       : -1;
	if (strcmp(a->verb, "add") == 0)
		return a->email != NULL && !a->json ? 0 : -1;
	return -1;
}

/* Lowercases email in place (the schema stores addresses lowercase) and
 * checks it looks like one address. */
static bool
normalize_email(char *email)
{
	char *at = strchr(email, '@');

	if (at == NULL || at == email || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strchr(at + 1, '.') == NULL)
		return false;
	for (char *p = email; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p == 0x7f ||
		    *p == '<' || *p == '>' || *p == ',' || *p == '"')
			return false;
		*p = (char)tg_ascii_tolower((unsigned char)*p);
	}
	return true;
}

struct list_state {
	bool json;
	size_t n;
	struct tg_buf out;
};

static void
print_agent(void *arg, const struct tg_agent_info *a)
{
	struct list_state *ls = arg;

	if (!ls->json) {
		printf("%s\t%s\t%s\t%s\n", a->email, a->name, a->department,
		       a->active ? "active" : "inactive");
		return;
	}
	tg_buf_reset(&ls->out);
	/* ls->out has no cap (max 0): the (void) appends cannot fail */
	(void)tg_buf_puts(&ls->out,
			  ls->n++ ? ",\n  {\"email\": " : "\n  {\"email\": ");
	tg_json_cstring(&ls->out, a->email);
	(void)tg_buf_puts(&ls->out, ", \"name\": ");
	tg_json_cstring(&ls->out, a->name);
	(void)tg_buf_puts(&ls->out, ", \"department\": ");
	if (a->department[0] == '\0')
		(void)tg_buf_puts(&ls->out, "null");
	else
		tg_json_cstring(&ls->out, a->department);
	(void)tg_buf_appendf(&ls->out, ", \"active\": %s}",
			     a->active ? "true" : "false");
	fputs(tg_buf_cstr(&ls->out), stdout);
}

/* Prints the agent's own signed address at a support address (the
 * first configured one by default). Needs no database. */
static int
print_token(const struct tg_config *cfg, const struct agent_args *a)
{
	const char *support = a->address;
	struct tg_buf out;

	if (support == NULL && cfg->n_addresses > 0)
		support = cfg->addresses[0].address;
	if (support == NULL || tg_config_address(cfg, support) == NULL) {
		fprintf(stderr, "agent: %s is not a support address of %s\n",
			support != NULL ? support : "(none)", a->config);
		return EX_USAGE;
	}
	if (!cfg->instance.agent_tokens)
		fprintf(stderr,
			"agent: instance.agent_tokens is off in %s: mail to "
			"this address is not trusted until it is on\n",
			a->config);
	tg_buf_init(&out, 128, 0);
	tg_agent_token_address(cfg->instance.secret, cfg->instance.secret_len,
			       support, a->email, &out);
	printf("%s\n", tg_buf_cstr(&out));
	tg_buf_deinit(&out);
	return 0;
}

static int
run(struct tg_store *st, struct agent_args *a)
{
	struct tg_err err;
	int r, created;

	if (strcmp(a->verb, "list") == 0) {
		struct list_state ls = {.json = a->json};

		/* uncapped: one agent's line is as long as its fields */
		tg_buf_init(&ls.out, 256, 0);
		if (a->json)
			fputs("[", stdout);
		r = tg_store_agent_list(st, print_agent, &ls, &err);
		if (a->json)
			fputs(ls.n ? "\n]\n" : "]\n", stdout);
		tg_buf_deinit(&ls.out);
	} else if (strcmp(a->verb, "add") == 0) {
		r = tg_store_agent_add(st, a->email, a->name, a->department,
				       &created, &err);
		if (r == 0)
			printf("agent %s %s\n", a->email,
			       created ? "added" : "updated");
	} else {
		r = tg_store_agent_remove(st, a->email, &err);
		if (r == 0) {
			fprintf(stderr, "agent: no agent %s\n", a->email);
			return 1;
		}
		if (r == 1) {
			printf("agent %s removed\n", a->email);
			r = 0;
		}
	}
	if (r < 0) {
		fprintf(stderr, "agent: %s\n", err.msg);
		return err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	return 0;
}

int
tg_cmd_agent(int argc, char **argv)
{
	struct tg_config *cfg = NULL;
	struct tg_store *st = NULL;
	const char *password = NULL;
	struct agent_args a;
	struct tg_err err;
	char *email = NULL;
	int status;

	if (parse_args(argc, argv, &a) < 0) {
		usage();
		return EX_USAGE;
	}
	if (a.email != NULL) {
		email = tg_xstrdup(a.email);
		if (!normalize_email(email)) {
			fprintf(stderr, "agent: bad address \"%s\"\n", a.email);
			free(email);
			return EX_USAGE;
		}
		a.email = email;
	}
	if (a.config != NULL) {
		if (tg_cmd_load_config("agent", a.config, &cfg) < 0) {
			status = 1;
			goto out;
		}
		if (strcmp(a.verb, "token") == 0) {
			status = print_token(cfg, &a);
			goto out;
		}
		if (a.conninfo == NULL)
			a.conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (tg_store_open(a.conninfo, password, &st, &err) < 0) {
		fprintf(stderr, "agent: %s\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	status = run(st, &a);
out:
	tg_store_close(&st);
	tg_config_free(&cfg);
	free(email);
	return status;
}
