/* `ticketgate ticket list|show|set`: read and change tickets. Both views,
 * JSON and text, are built by the store's queries. */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/store.h"
#include "ticketgate/thread.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static int
usage(void)
{
	fprintf(stderr,
		"usage: ticketgate ticket list [--status S] [--json]\n"
		"       ticketgate ticket show N [--json]\n"
		"       ticketgate ticket set N --status S | --priority P | "
		"--assignee EMAIL|none\n"
		"  each with -c CONFIG or --conninfo STR (or TG_CONNINFO)\n");
	return 2;
}

static bool
parse_number(const char *s, int64_t *n_r)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0)
		return false;
	*n_r = v;
	return true;
}

static const char *const priorities[] = { "urgent", "high", "medium", "low" };

static bool
valid_priority(const char *p)
{
	for (size_t i = 0; i < sizeof(priorities) / sizeof(priorities[0]); i++)
		if (strcmp(p, priorities[i]) == 0)
			return true;
	return false;
}

int
tg_cmd_ticket(int argc, char **argv)
{
	const char *config_path = NULL, *conninfo = NULL, *status = NULL;
	const char *field = NULL, *value = NULL, *verb;
	struct tg_config *cfg = NULL;
	struct tg_store *st = NULL;
	struct tg_buf out;
	struct tg_err err;
	int64_t number = 0;
	bool json = false;
	int ret, rc = 0;

	if (argc < 2)
		return usage();
	verb = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-c") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strcmp(a, "--conninfo") == 0 && i + 1 < argc) {
			conninfo = argv[++i];
		} else if (strcmp(a, "--json") == 0) {
			json = true;
		} else if ((strcmp(a, "--status") == 0 ||
			    strcmp(a, "--priority") == 0 ||
			    strcmp(a, "--assignee") == 0) && i + 1 < argc) {
			if (strcmp(verb, "list") == 0 &&
			    strcmp(a, "--status") == 0) {
				status = argv[++i];
				continue;
			}
			if (field != NULL)
				return usage(); /* one change at a time */
			field = a + 2;
			value = argv[++i];
		} else if (number == 0 && parse_number(a, &number)) {
			continue;
		} else {
			return usage();
		}
	}
	if (status != NULL && tg_ticket_status_parse(status) < 0) {
		fprintf(stderr, "ticket: unknown status %s\n", status);
		return 2;
	}
	if (strcmp(verb, "list") == 0) {
		if (number != 0 || field != NULL)
			return usage();
	} else if (strcmp(verb, "show") == 0) {
		if (number == 0 || field != NULL)
			return usage();
	} else if (strcmp(verb, "set") == 0) {
		if (number == 0 || field == NULL)
			return usage();
		if ((strcmp(field, "status") == 0 &&
		     tg_ticket_status_parse(value) < 0) ||
		    (strcmp(field, "priority") == 0 && !valid_priority(value))) {
			fprintf(stderr, "ticket: invalid %s %s\n", field, value);
			return 2;
		}
		if (strcmp(field, "assignee") == 0 && strcmp(value, "none") == 0)
			value = NULL;
	} else {
		return usage();
	}

	rc = tg_cmd_open_store("ticket", config_path, conninfo, &cfg, &st);
	if (rc != 0)
		return rc;
	tg_buf_init(&out, 4096, 0);
	if (strcmp(verb, "list") == 0) {
		ret = tg_store_ticket_list(st, status, json, &out, &err);
		if (ret == 0)
			printf("%s\n", tg_buf_cstr(&out));
	} else if (strcmp(verb, "show") == 0) {
		ret = tg_store_ticket_show(st, number, json, &out, &err);
		if (ret == 1)
			printf("%s\n", tg_buf_cstr(&out));
	} else {
		ret = tg_store_ticket_set(st, number, field, value, cfg,
					  &err);
		if (ret == 1)
			printf("ticket %" PRId64 ": %s set to %s\n", number,
			       field, value != NULL ? value : "none");
	}
	if (ret < 0) {
		fprintf(stderr, "ticket: %s\n", err.msg);
		rc = err.temporary ? EX_TEMPFAIL : 1;
	} else if (ret == 0 && strcmp(verb, "list") != 0) {
		fprintf(stderr, "ticket: no ticket %" PRId64 "%s\n", number,
			field != NULL && strcmp(field, "assignee") == 0
				? " or no such agent" : "");
		rc = 1;
	}
	tg_buf_deinit(&out);
	tg_store_close(&st);
	tg_config_free(&cfg);
	return rc;
}
