/* Writing whole buffers to descriptors, for the LMTP listener, its client
 * and the front binary. Not in the pure core: these block on I/O. */
#ifndef TICKETGATE_FDIO_H
#define TICKETGATE_FDIO_H

#include <stddef.h>

/* Writes p[0..n) to a blocking descriptor (file, pipe); 0, or -1 with
 * errno. */
int tg_fd_write_all(int fd, const void *p, size_t n);

/* Sends p[0..n) on a socket (blocking or not), waiting at most
 * timeout_ms for each chance to write; never raises SIGPIPE. 0, or -1:
 * the wait ran out or the connection is gone. */
int tg_fd_send_all(int fd, const void *p, size_t n, int timeout_ms);

#endif
