/* What the subcommands share: opening the database the same way. */
#include "cmd.h"
#include "ticketgate/config.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

int
tg_cmd_open_store(const char *cmd, const char *config_path,
		  const char *conninfo, struct tg_config **cfg_r,
		  struct tg_store **st_r)
{
	const char *password = NULL;
	struct tg_err err;

	*cfg_r = NULL;
	*st_r = NULL;
	if (conninfo == NULL)
		conninfo = getenv("TG_CONNINFO");
	if (config_path != NULL) {
		if (tg_cmd_load_config(cmd, config_path, cfg_r) < 0)
			return 1;
		conninfo = (*cfg_r)->database.conninfo;
		password = (*cfg_r)->database.password;
	}
	if (conninfo == NULL) {
		fprintf(stderr, "%s: no database given (-c, --conninfo or "
				"TG_CONNINFO)\n", cmd);
		tg_config_free(cfg_r);
		return 2;
	}
	if (tg_store_open(conninfo, password, st_r, &err) < 0) {
		fprintf(stderr, "%s: %s\n", cmd, err.msg);
		tg_config_free(cfg_r);
		return err.temporary ? EX_TEMPFAIL : 1;
	}
	return 0;
}
