/* ticketgate: the front binary (see front.h). main only dispatches; the
 * full program is looked for next to this binary first (the build tree),
 * then where it is installed. */
#include "front.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FULL_NAME "ticketgate-full"

/* Next to this binary when it is there, else the installed path. */
static const char *
full_path(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n > 0) {
		buf[n] = '\0';
		slash = strrchr(buf, '/');
		if (slash != NULL &&
		    (size_t)(slash + 1 - buf) + sizeof(FULL_NAME) <= size) {
			memcpy(slash + 1, FULL_NAME, sizeof(FULL_NAME));
			if (access(buf, X_OK) == 0)
				return buf;
		}
	}
	return TG_FULL_PATH;
}

void
tg_front_exec(char **argv, const char *extra)
{
	char buf[PATH_MAX];
	const char *path = full_path(buf, sizeof(buf));
	size_t n = 0;
	char **args;

	while (argv[n] != NULL)
		n++;
	args = calloc(n + 2, sizeof(*args));
	if (args == NULL) {
		fprintf(stderr, "ticketgate: out of memory\n");
		return;
	}
	memcpy(args, argv, n * sizeof(*args));
	args[n] = (char *)extra; /* execv's argv is not const, nor changed */
	execv(path, args);
	fprintf(stderr, "ticketgate: cannot run %s: %s\n", path,
		strerror(errno));
	free(args);
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "deliver") == 0)
		return tg_front_deliver(argc, argv);
	/* answered here too, so that the front's start can be measured */
	if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
		printf("ticketgate " TG_VERSION "\n");
		return 0;
	}
	tg_front_exec(argv, NULL);
	return 127;
}
