/* Waiting for new mail on the selected folder: IDLE, or a sleep and NOOP
 * where the server lacks IDLE or the account does not want it; either
 * ends early when a stop or wake-up descriptor becomes readable. */
#include "imap-private.h"
#include "ticketgate/util.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

enum wake {
	WAKE_SERVER,
	WAKE_FD,
	WAKE_TIMEOUT,
};

/* Waits for the server's socket, wake_fd or nudge_fd (each ignored when
 * < 0: poll() skips it) to become readable, or the deadline. */
static int
wait_wake(int server_fd, int wake_fd, int nudge_fd, long long deadline,
	  enum wake *why_r, struct tg_err *err)
{
	struct pollfd p[3] = {
		{.fd = server_fd, .events = POLLIN},
		{.fd = wake_fd, .events = POLLIN},
		{.fd = nudge_fd, .events = POLLIN},
	};

	for (;;) {
		long long left = deadline - tg_now_ms();
		int r;

		if (left <= 0) {
			*why_r = WAKE_TIMEOUT;
			return 0;
		}
		r = poll(p, 3, (int)left);
		if (r > 0) {
			*why_r = p[1].revents != 0 || p[2].revents != 0
					 ? WAKE_FD
					 : WAKE_SERVER;
			return 0;
		}
		if (r < 0 && errno != EINTR) /* EINTR: a signal; look again */
			return tg_err_set_temp(err, "poll: %s",
					       strerror(errno));
	}
}

static void
forget_new_mail(struct tg_imap *im)
{
	struct mailimap_selection_info *si = im->imap->imap_selection_info;

	si->sel_has_exists = 0;
	si->sel_has_recent = 0;
}

static bool
saw_new_mail(const struct tg_imap *im)
{
	const struct mailimap_selection_info *si =
		im->imap->imap_selection_info;

	return si != NULL && (si->sel_has_exists || si->sel_has_recent);
}

/* One IDLE ... DONE round. libetpan drops what the server sends before
 * "+ idling"; callers search after every return, so that costs at most
 * one timeout of delay. */
static int
idle_once(struct tg_imap *im, long long deadline, int wake_fd, int nudge_fd,
	  enum wake *why_r, struct tg_err *err)
{
	int r;

	forget_new_mail(im);
	r = mailimap_idle(im->imap);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "IDLE", err);
	/* poll() cannot see bytes already buffered by libetpan or TLS */
	if (im->imap->imap_stream->read_buffer_len > 0 ||
	    tg_imap_net_pending(im->net))
		*why_r = WAKE_SERVER;
	else if (wait_wake(tg_imap_net_fd(im->net), wake_fd, nudge_fd, deadline,
			   why_r, err) < 0)
		return -1;
	r = mailimap_idle_done(im->imap);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "IDLE DONE", err);
	return 0;
}

/* Without IDLE: wait for wake_fd, nudge_fd or the deadline, then ask with
 * NOOP. */
static int
sleep_then_noop(struct tg_imap *im, long long deadline, int wake_fd,
		int nudge_fd, struct tg_err *err)
{
	enum wake why;
	int r;

	if (wait_wake(-1, wake_fd, nudge_fd, deadline, &why, err) < 0)
		return -1;
	forget_new_mail(im);
	r = mailimap_noop(im->imap);
	return r == MAILIMAP_NO_ERROR ? 0 : tg_imap_fail(im, r, "NOOP", err);
}

int
tg_imap_idle(struct tg_imap *im, int timeout_ms, int wake_fd, int nudge_fd,
	     bool *activity_r, struct tg_err *err)
{
	long long deadline = tg_now_ms() + timeout_ms;
	enum wake why = WAKE_SERVER;

	*activity_r = false;
	if (im->imap->imap_state != MAILIMAP_STATE_SELECTED ||
	    im->imap->imap_selection_info == NULL)
		return tg_err_set(err, "IDLE on %s: no folder selected",
				  im->host);
	if (!im->has_idle)
		return tg_imap_poll(im, timeout_ms, wake_fd, nudge_fd,
				    activity_r, err);
	/* other chatter (flag changes, expunges) goes back to waiting */
	while (why == WAKE_SERVER && !*activity_r) {
		if (idle_once(im, deadline, wake_fd, nudge_fd, &why, err) < 0)
			return -1;
		*activity_r = saw_new_mail(im);
	}
	return 0;
}

int
tg_imap_poll(struct tg_imap *im, int timeout_ms, int wake_fd, int nudge_fd,
	     bool *activity_r, struct tg_err *err)
{
	*activity_r = false;
	if (im->imap->imap_state != MAILIMAP_STATE_SELECTED ||
	    im->imap->imap_selection_info == NULL)
		return tg_err_set(err, "NOOP on %s: no folder selected",
				  im->host);
	if (sleep_then_noop(im, tg_now_ms() + timeout_ms, wake_fd, nudge_fd,
			    err) < 0)
		return -1;
	*activity_r = saw_new_mail(im);
	return 0;
}
