/* ticketgate: the email-to-ticket gateway. One binary, one subcommand per
 * job; main only dispatches. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "parse", tg_cmd_parse, "parse FILE...    print each message as JSON" },
	{ "check-config", tg_cmd_check_config, "check-config [-c FILE]  validate the configuration" },
	{ "ticket", tg_cmd_ticket, "ticket list|show|set  read and change tickets" },
	{ "migrate", tg_cmd_migrate, "migrate          bring the database schema up to date" },
	{ "serve", tg_cmd_serve, "serve -c CONFIG [--once]  the IMAP poller daemon" },
	{ "deliver", tg_cmd_deliver, "deliver --to ADDR [FILE]  store one message from the MTA" },
	{ "quarantine", tg_cmd_quarantine, "quarantine list|show|reprocess|delete  inspect quarantined mail" },
	{ "accounts", tg_cmd_accounts, "accounts import FILE.csv  load a CRM export of accounts" },
	{ "agent", tg_cmd_agent, "agent add|list|remove  manage agents" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: ticketgate COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("ticketgate " TG_VERSION "\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "ticketgate: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
