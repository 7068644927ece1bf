/* Who automatic mail may go to (section D of the merged auto-mail rules)
 * and how a failed delivery is retried. Pure core. */
#ifndef TICKETGATE_OUTBOUND_H
#define TICKETGATE_OUTBOUND_H

#include <stdbool.h>
#include <stdint.h>

struct tg_config;

/* Why automatic mail must not go to address, or NULL when it may: a
 * mailer daemon, postmaster, abuse, root, no-reply or bounce mailbox
 * (rule 17), or one of our own addresses (rule 18; a "+tag" ignored).
 * Static storage. */
const char *tg_outbound_refused(const char *address,
				const struct tg_config *cfg);

/* Seconds before attempt number attempts + 1 after a temporary failure:
 * one minute doubling to one hour, and less than that by up to a fifth
 * (from jitter, 0..999) so that many rows do not return together. */
int tg_outbound_retry_delay(int attempts, unsigned jitter);

#endif
