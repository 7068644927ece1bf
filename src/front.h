/* The front binary, `ticketgate`: small enough to start in a couple of
 * milliseconds (libc and libconfig only), because an MTA starts it once
 * per message. It does one job itself, handing `deliver`'s message to a
 * running daemon over LMTP, and passes everything else to the full
 * program, ticketgate-full, by exec (same process, same arguments). */
#ifndef TICKETGATE_FRONT_H
#define TICKETGATE_FRONT_H

/* Runs the full program with argv (argv[0] kept), plus extra at the end
 * when not NULL. Returns only when it could not be started, after saying
 * why. */
void tg_front_exec(char **argv, const char *extra);

/* `ticketgate deliver ...` (argv[1] is "deliver"): hands the message
 * over, or passes it on to the full program's direct path. Returns the
 * exit status when it did not exec. */
int tg_front_deliver(int argc, char **argv);

#endif
