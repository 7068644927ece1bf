/* What the two halves of `ticketgate deliver` share: the front
 * (front-deliver.c, which hands the message to a running daemon) and
 * the direct path (cmd-deliver.c, which stores it itself). Their options
 * and exit statuses must stay one. */
#ifndef TICKETGATE_DELIVER_H
#define TICKETGATE_DELIVER_H

#include "ticketgate/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* sysexits.h's values, as MTAs read them */
#define TG_EX_OK 0
#define TG_EX_USAGE 64
#define TG_EX_NOUSER 67
/* a message over TG_PIPELINE_KEEP_MAX: the MTA bounces it rather than
 * anything keeping a truncated copy */
#define TG_EX_UNAVAILABLE 69
#define TG_EX_SOFTWARE 70
#define TG_EX_TEMPFAIL 75

struct tg_deliver_args {
	const char *to, *conninfo, *department, *secret_file, *file;
	const char *config;
	const char *from; /* the envelope sender for LMTP, or NULL */
	bool direct;      /* never through the daemon */
	bool conninfo_given; /* --conninfo or TG_CONNINFO */
};

/* Parses deliver's options (argv[0] is "deliver"); -1 on a usage error,
 * after which tg_deliver_usage() says what is wanted. */
int tg_deliver_parse_args(int argc, char **argv, struct tg_deliver_args *a);
void tg_deliver_usage(void);

/* Reads until out holds max + 1 bytes or the input ends, so that an
 * oversized message is seen as such; never reads past what it keeps, so
 * a later call continues where this one stopped. */
int tg_deliver_read_all(FILE *f, size_t max, struct tg_buf *out);

#endif
