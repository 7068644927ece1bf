/* `ticketgate serve -c CONFIG [--once] [--log-level LEVEL]`: the IMAP
 * poller daemon, in the foreground (systemd Type=notify). --once drains
 * every mailbox and exits: for the quick start, tests and cron. */
#include "cmd.h"
#include "ticketgate/log.h"
#include "ticketgate/serve.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_USAGE 64

static int
usage(void)
{
	fprintf(stderr, "usage: ticketgate serve -c CONFIG [--once] "
			"[--log-level err|warning|notice|info|debug]\n");
	return EX_USAGE;
}

int
tg_cmd_serve(int argc, char **argv)
{
	const char *config = getenv("TG_CONFIG");
	enum tg_log_level level;
	bool once = false;

	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--once") == 0)
			once = true;
		else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
			if (tg_log_level_parse(argv[++i], &level) < 0)
				return usage();
			tg_log_set_level(level);
		} else {
			return usage();
		}
	}
	if (config == NULL)
		return usage();
	return tg_serve_run(config, once);
}
