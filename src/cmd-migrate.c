/* `ticketgate migrate`: brings the database schema up to date. Safe to run
 * from several places at once and again and again. */
#include "cmd.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TG_SCHEMA_DIR
#define TG_SCHEMA_DIR "/usr/share/ticketgate/schema"
#endif

int
tg_cmd_migrate(int argc, char **argv)
{
	const char *conninfo = getenv("TG_CONNINFO");
	const char *schema_dir = TG_SCHEMA_DIR;
	struct tg_store *st = NULL;
	struct tg_err err;
	int applied = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc) {
			conninfo = argv[++i];
		} else if (strcmp(argv[i], "--schema-dir") == 0 && i + 1 < argc) {
			schema_dir = argv[++i];
		} else {
			fprintf(stderr, "usage: ticketgate migrate [--conninfo STR] "
					"[--schema-dir DIR]\n");
			return 2;
		}
	}
	if (conninfo == NULL) {
		fprintf(stderr, "ticketgate migrate: no database given "
				"(--conninfo or TG_CONNINFO)\n");
		return 2;
	}
	if (tg_store_open(conninfo, NULL, &st, &err) < 0 ||
	    tg_store_migrate(st, schema_dir, &applied, &err) < 0) {
		fprintf(stderr, "ticketgate migrate: %s\n", err.msg);
		tg_store_close(&st);
		return err.temporary ? 75 : 1;
	}
	tg_store_close(&st);
	printf("migrate: %d schema file%s applied\n", applied,
	       applied == 1 ? "" : "s");
	return 0;
}
