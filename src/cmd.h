/* Subcommands of the ticketgate binary; each returns the exit status. */
#ifndef TICKETGATE_CMD_H
#define TICKETGATE_CMD_H

int tg_cmd_parse(int argc, char **argv);
int tg_cmd_check_config(int argc, char **argv);
int tg_cmd_migrate(int argc, char **argv);
int tg_cmd_deliver(int argc, char **argv);
int tg_cmd_serve(int argc, char **argv);
int tg_cmd_quarantine(int argc, char **argv);

int tg_cmd_ticket(int argc, char **argv);

struct tg_config;
struct tg_store;
/* Loads path, printing its problems prefixed with cmd; 0 or -1. */
int tg_cmd_load_config(const char *cmd, const char *path,
		       struct tg_config **cfg_r);
/* The same without reading secret and password files (see
 * tg_config_load_without_secrets). */
int tg_cmd_load_config_without_secrets(const char *cmd, const char *path,
				       struct tg_config **cfg_r);
/* Opens the database named by the configuration (config_path), else by
 * conninfo, else by TG_CONNINFO. Returns 0, or the exit status to use
 * (2 usage, 75 temporary, 1 otherwise) after printing why. */
int tg_cmd_open_store(const char *cmd, const char *config_path,
		      const char *conninfo, struct tg_config **cfg_r,
		      struct tg_store **st_r);

int tg_cmd_accounts(int argc, char **argv);
int tg_cmd_agent(int argc, char **argv);

#endif
