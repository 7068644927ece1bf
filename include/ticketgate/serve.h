/* `ticketgate serve`: the IMAP poller daemon. */
#ifndef TICKETGATE_SERVE_H
#define TICKETGATE_SERVE_H

#include <stdbool.h>

/* Runs in the foreground until SIGTERM or SIGINT (once: until every
 * mailbox has been drained). Returns the exit status: 0, 75 when a
 * mailbox could not be worked (once), 78 for a bad configuration. */
int tg_serve_run(const char *config_path, bool once);

#endif
