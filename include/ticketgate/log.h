/* The daemon's log: one line per event on stderr, prefixed with its
 * syslog priority ("<6>") so journald files it at the right level. Lines
 * never carry secrets or message bodies; what a sender wrote (addresses,
 * subjects) may appear at debug level only, cleaned of control bytes. */
#ifndef TICKETGATE_LOG_H
#define TICKETGATE_LOG_H

#include "ticketgate/util.h"

enum tg_log_level {
	TG_LOG_ERR = 3,
	TG_LOG_WARNING = 4,
	TG_LOG_NOTICE = 5,
	TG_LOG_INFO = 6,
	TG_LOG_DEBUG = 7,
};

/* Lines above max are dropped; the default is TG_LOG_INFO. */
void tg_log_set_level(enum tg_log_level max);
/* "err", "warning", "notice", "info" or "debug": 0, -1 if unknown. */
int tg_log_level_parse(const char *name, enum tg_log_level *level_r);

/* Writes one line atomically (one write(2)), safe from any thread. */
void tg_log(enum tg_log_level level, const char *fmt, ...) TG_PRINTF(2, 3);

#endif
