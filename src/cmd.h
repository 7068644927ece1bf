/* Subcommands of the ticketgate binary; each returns the exit status. */
#ifndef TICKETGATE_CMD_H
#define TICKETGATE_CMD_H

int tg_cmd_parse(int argc, char **argv);
int tg_cmd_check_config(int argc, char **argv);
int tg_cmd_migrate(int argc, char **argv);
int tg_cmd_deliver(int argc, char **argv);

#endif
