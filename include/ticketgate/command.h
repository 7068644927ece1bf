/* Commands an authenticated agent writes at the top of a reply:
 *   #status open|pending|on_hold|solved|closed|spam
 *   #priority urgent|high|medium|low
 *   #assign EMAIL      #tag NAME      #note
 * Parsed all at once so that a reply with one bad command applies none.
 * Pure core; the text is untrusted (only agents' mail reaches it, but an
 * agent may quote anything). */
#ifndef TICKETGATE_COMMAND_H
#define TICKETGATE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/pool.h"

/* Most commands read from one reply; more are an error. */
#define TG_COMMAND_MAX 16

struct tg_commands {
	const char *status;   /* NULL: unchanged */
	const char *priority; /* NULL: unchanged */
	const char *assign;   /* an address, lowercased, or NULL */
	const char *tags[TG_COMMAND_MAX];
	size_t n_tags;
	bool note; /* an internal note: relayed to no one */
	size_t n; /* commands read */
	/* Problems, one line each ("line 2: unknown command #stauts"); when
	 * not empty nothing may be applied. */
	const char *errors;
	/* text with the command lines (and blank lines after them) removed */
	const char *rest;
};

/* Reads the commands from the first lines of text: lines starting with
 * '#' followed by a letter, up to the first other non-blank line. */
void tg_commands_parse(struct tg_pool *pool, const char *text,
		       struct tg_commands *out);

#endif
