/* Error reports: functions return -1 and explain in a struct tg_err; the
 * caller decides whether to log, retry or give up, and logs once. */
#ifndef TICKETGATE_ERR_H
#define TICKETGATE_ERR_H

#include <stdbool.h>
#include "ticketgate/util.h"

struct tg_err {
	char msg[256];  /* truncated safely */
	bool temporary; /* retrying later may succeed (network, outage) */
};

/* Fills err (may be NULL) and returns -1, so `return tg_err_set(...)`. */
int tg_err_set(struct tg_err *err, const char *fmt, ...) TG_PRINTF(2, 3);
/* The same, marking the failure temporary. */
int tg_err_set_temp(struct tg_err *err, const char *fmt, ...) TG_PRINTF(2, 3);

#endif
