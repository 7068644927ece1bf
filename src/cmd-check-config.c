/* `ticketgate check-config [-c FILE]`: loads the configuration as the
 * daemon would and says whether it would start: every problem as
 * FILE:LINE: message on stderr and exit 1, or "FILE: ok" and a summary. */
#include "cmd.h"
#include "ticketgate/config.h"

#include <stdio.h>
#include <string.h>

static void
print_summary(const struct tg_config *cfg)
{
	size_t by_account = 0;

	for (size_t i = 0; i < cfg->n_addresses; i++)
		by_account += cfg->addresses[i].department == NULL;
	/* counts only: the secret and the password are never printed */
	printf("%zu addresses (%zu by account), %zu departments, %zu "
	       "calendars, %zu SLA policies (default \"%s\"), instance %s, "
	       "domain %s, database password %s\n",
	       cfg->n_addresses, by_account, cfg->n_departments,
	       cfg->n_calendars, cfg->n_sla_policies,
	       cfg->default_sla_policy->name, cfg->instance.id,
	       cfg->instance.domain,
	       cfg->database.password != NULL ? "from file" : "none");
}

int
tg_cmd_check_config(int argc, char **argv)
{
	const char *path = TG_CONFIG_DEFAULT_PATH;
	struct tg_config_errors errs;
	struct tg_config *cfg;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else {
			fprintf(stderr,
				"usage: ticketgate check-config [-c FILE]\n");
			return 2;
		}
	}
	tg_config_errors_init(&errs);
	ret = tg_config_load(path, &cfg, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i].text);
	if (ret == 0) {
		printf("%s: ok\n", path);
		print_summary(cfg);
	} else {
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n_errors,
			errs.n_errors == 1 ? "" : "s");
	}
	tg_config_errors_deinit(&errs);
	tg_config_free(&cfg);
	return ret == 0 ? 0 : 1;
}
