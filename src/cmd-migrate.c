/* `ticketgate migrate`: brings the database schema up to date. Safe to run
 * from several places at once and again and again. */
#include "cmd.h"
#include "ticketgate/config.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TG_SCHEMA_DIR
#define TG_SCHEMA_DIR "/usr/share/ticketgate/schema"
#endif

static int
usage(void)
{
	fprintf(stderr, "usage: ticketgate migrate [-c FILE | --conninfo STR] "
			"[--schema-dir DIR]\n");
	return 2;
}

/* Reports the configuration's problems; returns 0 when it loaded. */
static int
load_config(const char *path, struct tg_config **cfg_r)
{
	struct tg_config_errors errs;
	int ret;

	tg_config_errors_init(&errs);
	ret = tg_config_load(path, cfg_r, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i].text);
	tg_config_errors_deinit(&errs);
	return ret;
}

int
tg_cmd_migrate(int argc, char **argv)
{
	const char *conninfo = getenv("TG_CONNINFO");
	const char *password = NULL, *config_path = NULL;
	const char *schema_dir = TG_SCHEMA_DIR;
	struct tg_config *cfg = NULL;
	struct tg_store *st = NULL;
	struct tg_err err;
	int applied = 0, status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc)
			conninfo = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			config_path = argv[++i];
		else if (strcmp(argv[i], "--schema-dir") == 0 && i + 1 < argc)
			schema_dir = argv[++i];
		else
			return usage();
	}
	if (config_path != NULL) {
		if (load_config(config_path, &cfg) < 0)
			return 1;
		conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (conninfo == NULL) {
		fprintf(stderr, "ticketgate migrate: no database given "
				"(-c, --conninfo or TG_CONNINFO)\n");
		return 2;
	}
	/* with a configuration, its SLA policies are mirrored after the
	 * schema is current */
	if (tg_store_open(conninfo, password, &st, &err) < 0 ||
	    tg_store_migrate(st, schema_dir, &applied, &err) < 0 ||
	    (cfg != NULL && tg_store_sync_config(st, cfg, &err) < 0)) {
		fprintf(stderr, "ticketgate migrate: %s\n", err.msg);
		status = err.temporary ? 75 : 1;
	} else {
		printf("migrate: %d schema file%s applied\n", applied,
		       applied == 1 ? "" : "s");
	}
	tg_store_close(&st);
	tg_config_free(&cfg);
	return status;
}
