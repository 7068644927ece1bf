/* Loading the configuration as every command does, printing its problems;
 * apart from cmd-common.c because the front binary needs it without the
 * database. */
#include "cmd.h"
#include "ticketgate/config.h"

#include <stdio.h>

int
tg_cmd_load_config(const char *cmd, const char *path, struct tg_config **cfg_r)
{
	struct tg_config_errors errs;
	int ret;

	tg_config_errors_init(&errs);
	ret = tg_config_load(path, cfg_r, &errs);
	for (size_t i = 0; i < errs.n; i++)
		if (ret < 0 || errs.v[i].warning)
			fprintf(stderr, "%s: %s\n", cmd, errs.v[i].text);
	tg_config_errors_deinit(&errs);
	return ret;
}
