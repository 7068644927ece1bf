/* Loading the configuration as every command does, printing its problems;
 * apart from cmd-common.c because the front binary needs it without the
 * database. */
#include "cmd.h"
#include "ticketgate/config.h"

#include <stdio.h>

typedef int loader_fn(const char *path, struct tg_config **cfg_r,
		      struct tg_config_errors *errs);

static int
load_printing(loader_fn *loader, const char *cmd, const char *path,
	      struct tg_config **cfg_r)
{
	struct tg_config_errors errs;
	int ret;

	tg_config_errors_init(&errs);
	ret = loader(path, cfg_r, &errs);
	for (size_t i = 0; i < errs.n; i++)
		if (ret < 0 || errs.v[i].warning)
			fprintf(stderr, "%s: %s\n", cmd, errs.v[i].text);
	tg_config_errors_deinit(&errs);
	return ret;
}

int
tg_cmd_load_config(const char *cmd, const char *path, struct tg_config **cfg_r)
{
	return load_printing(tg_config_load, cmd, path, cfg_r);
}

int
tg_cmd_load_config_without_secrets(const char *cmd, const char *path,
				   struct tg_config **cfg_r)
{
	return load_printing(tg_config_load_without_secrets, cmd, path, cfg_r);
}
