/* Error reports (see err.h). */
#include "ticketgate/err.h"

#include <stdarg.h>
#include <stdio.h>

static int set(struct tg_err *err, bool temporary, const char *fmt,
	       va_list ap) TG_PRINTF(3, 0);

static int
set(struct tg_err *err, bool temporary, const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->temporary = temporary;
	return -1;
}

int
tg_err_set(struct tg_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, false, fmt, ap);
	va_end(ap);
	return -1;
}

int
tg_err_set_temp(struct tg_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, true, fmt, ap);
	va_end(ap);
	return -1;
}
