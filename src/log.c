/* One log line is one write(2) of at most a pipe buffer, so lines from
 * the mailbox threads never interleave in the journal. */
#include "ticketgate/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static atomic_int max_level = TG_LOG_INFO;

void
tg_log_set_level(enum tg_log_level max)
{
	atomic_store(&max_level, (int)max);
}

int
tg_log_level_parse(const char *name, enum tg_log_level *level_r)
{
	static const struct {
		const char *name;
		enum tg_log_level level;
	} names[] = {
		{"err", TG_LOG_ERR},       {"warning", TG_LOG_WARNING},
		{"notice", TG_LOG_NOTICE}, {"info", TG_LOG_INFO},
		{"debug", TG_LOG_DEBUG},
	};

	for (size_t i = 0; i < TG_N(names); i++)
		if (strcmp(name, names[i].name) == 0) {
			*level_r = names[i].level;
			return 0;
		}
	return -1;
}

void
tg_log(enum tg_log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t n;
	int len;

	if ((int)level > atomic_load(&max_level))
		return;
	len = snprintf(line, sizeof(line), "<%d>", (int)level);
	va_start(ap, fmt);
	vsnprintf(line + len, sizeof(line) - (size_t)len - 1, fmt, ap);
	va_end(ap);
	/* a line break inside would forge a second entry */
	for (char *p = line + len; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	n = strlen(line);
	line[n++] = '\n';
	while (write(STDERR_FILENO, line, n) < 0 && errno == EINTR)
		;
}
