/* deliver's options and its reading of the message, shared by the front
 * binary and the direct path (see deliver.h). */
#include "deliver.h"

#include <stdlib.h>
#include <string.h>

void
tg_deliver_usage(void)
{
	fprintf(stderr,
		"usage: ticketgate deliver --to ADDRESS [--from SENDER] "
		"[--conninfo STR] [-c CONFIG] [--department NAME] "
		"[--secret-file FILE] [--direct] [FILE]\n");
}

int
tg_deliver_parse_args(int argc, char **argv, struct tg_deliver_args *a)
{
	memset(a, 0, sizeof(*a));
	a->conninfo = getenv("TG_CONNINFO");
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--to") == 0 && i + 1 < argc)
			a->to = argv[++i];
		else if (strcmp(opt, "--conninfo") == 0 && i + 1 < argc)
			a->conninfo = argv[++i];
		else if (strcmp(opt, "--department") == 0 && i + 1 < argc)
			a->department = argv[++i];
		else if ((strcmp(opt, "-c") == 0 ||
			  strcmp(opt, "--config") == 0) &&
			 i + 1 < argc)
			a->config = argv[++i];
		else if (strcmp(opt, "--secret-file") == 0 && i + 1 < argc)
			a->secret_file = argv[++i];
		else if (strcmp(opt, "--from") == 0 && i + 1 < argc)
			a->from = argv[++i];
		else if (strcmp(opt, "--direct") == 0)
			a->direct = true;
		else if (opt[0] == '-' && strcmp(opt, "-") != 0)
			return -1;
		else if (a->file == NULL)
			a->file = strcmp(opt, "-") == 0 ? NULL : opt;
		else
			return -1;
	}
	a->conninfo_given = a->conninfo != NULL;
	if (a->to == NULL || a->to[0] == '\0' ||
	    (a->conninfo == NULL && a->config == NULL))
		return -1;
	return 0;
}

int
tg_deliver_read_all(FILE *f, size_t max, struct tg_buf *out)
{
	char chunk[65536];
	size_t n, want;

	while (out->len <= max) {
		want = max + 1 - out->len;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		n = fread(chunk, 1, want, f);
		if (n == 0)
			break;
		if (tg_buf_append(out, chunk, n) < 0)
			return -1;
	}
	return ferror(f) ? -1 : 0;
}
