/* `ticketgate migrate`: brings the database schema up to date. Safe to run
 * from several places at once and again and again. */
#include "cmd.h"
#include "ticketgate/config.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#ifndef TG_SCHEMA_DIR
#define TG_SCHEMA_DIR "/usr/share/ticketgate/schema"
#endif

int
tg_cmd_migrate(int argc, char **argv)
{
	const char *conninfo = NULL, *config_path = NULL;
	const char *schema_dir = TG_SCHEMA_DIR;
	struct tg_config *cfg = NULL;
	struct tg_store *st = NULL;
	struct tg_err err;
	int applied = 0, status;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc) {
			conninfo = argv[++i];
		} else if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(argv[i], "--schema-dir") == 0 && i + 1 < argc) {
			schema_dir = argv[++i];
		} else {
			fprintf(stderr, "usage: ticketgate migrate [-c FILE | "
					"--conninfo STR] [--schema-dir DIR]\n");
			return 2;
		}
	}
	status = tg_cmd_open_store("migrate", config_path, conninfo, &cfg, &st);
	if (status != 0)
		return status;
	/* with a configuration, its SLA policies are mirrored after the
	 * schema is current */
	if (tg_store_migrate(st, schema_dir, &applied, &err) < 0 ||
	    (cfg != NULL && tg_store_sync_config(st, cfg, &err) < 0)) {
		fprintf(stderr, "ticketgate migrate: %s\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : 1;
	} else {
		printf("migrate: %d schema file%s applied\n", applied,
		       applied == 1 ? "" : "s");
	}
	tg_store_close(&st);
	tg_config_free(&cfg);
	return status;
}
