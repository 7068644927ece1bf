/* The supervisor of `ticketgate serve`: loads the configuration, runs one
 * worker thread per mailbox, and answers signals. SIGTERM/SIGINT stop the
 * workers (each finishes the batch in hand); SIGHUP loads the file again
 * and, if it is valid, restarts the workers with it, else keeps the
 * running one. The LMTP listener, when configured, is restarted with the
 * workers (its socket is away for that moment). systemd hears READY,
 * RELOADING, STOPPING and the watchdog through sd_notify (a no-op when not
 * run by systemd). */
#include "serve-private.h"
#include "ticketgate/log.h"
#include "ticketgate/serve.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

struct serve {
	const char *path;
	bool once;
	struct tg_config *cfg;
	struct serve_worker *workers;
	size_t n_workers;
	struct serve_lmtp *lmtp; /* NULL: no lmtp group, or once */
	struct serve_wake *hints; /* NULL: no wake group, or once */
	int wake[2]; /* written to stop every worker at once */
	atomic_bool stop;
	atomic_int mailboxes_running;
};

int
serve_wait_fd(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 1 : 0;
}

static int
load(const char *path, struct tg_config **cfg_r)
{
	struct tg_config_errors errs;
	int ret = 0;

	tg_config_errors_init(&errs);
	if (tg_config_load(path, cfg_r, &errs) < 0)
		ret = -1;
	for (size_t i = 0; i < errs.n; i++)
		tg_log(errs.v[i].warning ? TG_LOG_WARNING : TG_LOG_ERR, "%s",
		       errs.v[i].text);
	tg_config_errors_deinit(&errs);
	if (ret == 0 && (*cfg_r)->n_mailboxes == 0 && (*cfg_r)->smtp == NULL &&
	    (*cfg_r)->lmtp == NULL) {
		tg_log(TG_LOG_ERR,
		       "%s: no address names an imap_account and "
		       "there is no smtp or lmtp group: nothing to serve",
		       path);
		tg_config_free(cfg_r);
		ret = -1;
	}
	return ret;
}

/* mb NULL: the outbox sender */
static void
worker_setup(struct serve *sv, struct serve_worker *w,
	     const struct tg_config_mailbox *mb)
{
	w->cfg = sv->cfg;
	w->mb = mb;
	w->name = mb != NULL ? mb->name : "outbox";
	if (mb != NULL) {
		w->recipients =
			tg_xcalloc(mb->n_addresses, sizeof(*w->recipients));
		for (size_t i = 0; i < mb->n_addresses; i++)
			w->recipients[i] = mb->addresses[i]->address;
		snprintf(w->source, sizeof(w->source), "imap:%s", mb->name);
	}
	w->nudge_fd = -1;
	if (mb != NULL && sv->cfg->wake != NULL && !sv->once) {
		w->nudge_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->nudge_fd < 0) /* it still finds mail, only later */
			tg_log(TG_LOG_WARNING, "%s: no wake-up hints: "
			       "eventfd: %s", w->name, strerror(errno));
	}
	w->wake_fd = sv->wake[0];
	w->mailboxes_running = &sv->mailboxes_running;
	w->stop = &sv->stop;
	w->once = sv->once;
	atomic_init(&w->done, false);
}

static int
start_workers(struct serve *sv)
{
	if (pipe(sv->wake) < 0 || fcntl(sv->wake[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(sv->wake[1], F_SETFD, FD_CLOEXEC) < 0) {
		tg_log(TG_LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	atomic_store(&sv->stop, false);
	atomic_store(&sv->mailboxes_running, (int)sv->cfg->n_mailboxes);
	sv->n_workers = sv->cfg->n_mailboxes + (sv->cfg->smtp != NULL);
	sv->workers = tg_xcalloc(sv->n_workers, sizeof(*sv->workers));
	for (size_t i = 0; i < sv->n_workers; i++) {
		struct serve_worker *w = &sv->workers[i];
		bool mailbox = i < sv->cfg->n_mailboxes;
		int e;

		worker_setup(sv, w, mailbox ? &sv->cfg->mailboxes[i] : NULL);
		e = pthread_create(
			&w->thread, NULL,
			mailbox ? serve_worker_main : serve_outbox_main, w);
		if (e != 0) {
			tg_log(TG_LOG_ERR, "%s: cannot start a thread: %s",
			       w->name, strerror(e));
			w->status = 1;
			atomic_store(&w->done, true);
			if (mailbox)
				atomic_fetch_sub(&sv->mailboxes_running, 1);
			continue;
		}
		w->started = true;
	}
	tg_log(TG_LOG_INFO, "serving %zu mailboxes%s", sv->cfg->n_mailboxes,
	       sv->cfg->smtp != NULL ? " and the outbox" : "");
	return 0;
}

/* Returns how many workers gave up (once mode). */
static int
stop_workers(struct serve *sv)
{
	int failed = 0;

	atomic_store(&sv->stop, true);
	while (write(sv->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	serve_wake_stop(&sv->hints); /* before the eventfds it writes close */
	for (size_t i = 0; i < sv->n_workers; i++) {
		struct serve_worker *w = &sv->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		failed += w->status != 0;
		free(w->recipients);
		if (w->nudge_fd >= 0)
			close(w->nudge_fd);
	}
	free(sv->workers);
	sv->workers = NULL;
	sv->n_workers = 0;
	close(sv->wake[0]);
	close(sv->wake[1]);
	return failed;
}

static bool
all_done(const struct serve *sv)
{
	for (size_t i = 0; i < sv->n_workers; i++)
		if (!atomic_load(&sv->workers[i].done))
			return false;
	return true;
}

/* once drains mailboxes: mail arriving by LMTP has no end to wait for */
static int
lmtp_start(struct serve *sv)
{
	if (sv->once || sv->cfg->lmtp == NULL)
		return 0;
	return serve_lmtp_start(sv->cfg, &sv->lmtp);
}

/* Hints only speed up what IDLE and polling find anyway; once drains
 * and has no use for them. */
static int
hints_start(struct serve *sv)
{
	if (sv->once || sv->cfg->wake == NULL)
		return 0;
	return serve_wake_start(sv->cfg->wake, sv->workers, sv->n_workers,
				sv->wake[0], &sv->hints);
}

/* A bad file is refused and the running configuration kept. The LMTP
 * listener reads the snapshot, so it stops before the old one is freed
 * and starts again on the new one; meanwhile `deliver` stores directly
 * and an MTA's LMTP client defers. */
static void
reload(struct serve *sv)
{
	struct tg_config *fresh = NULL;

	sd_notify(0, "RELOADING=1");
	tg_log(TG_LOG_NOTICE, "reloading %s", sv->path);
	if (load(sv->path, &fresh) < 0) {
		tg_log(TG_LOG_ERR, "reload refused: keeping the running "
				   "configuration");
	} else {
		serve_lmtp_stop(&sv->lmtp);
		(void)stop_workers(sv);
		tg_config_free(&sv->cfg);
		sv->cfg = fresh;
		if (start_workers(sv) < 0)
			tg_log(TG_LOG_ERR, "reload: cannot start workers");
		else if (hints_start(sv) < 0)
			tg_log(TG_LOG_ERR, "reload: no wake-up hints: new mail "
					   "is found by IDLE or polling");
		if (lmtp_start(sv) < 0)
			tg_log(TG_LOG_ERR,
			       "reload: no LMTP listener: `deliver` "
			       "stores directly meanwhile");
	}
	sd_notify(0, "READY=1");
}

/* The signals the supervisor answers arrive on a signalfd; the workers
 * inherit the mask and never see them. */
static int
signals_open(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

/* Waits for a signal or the watchdog's or once-mode's tick. Returns the
 * signal, or 0. */
static int
next_signal(int sfd, int ms)
{
	struct signalfd_siginfo si;

	if (serve_wait_fd(sfd, ms) != 1)
		return 0;
	if (read(sfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

static int
tick_ms(const struct serve *sv)
{
	uint64_t usec = 0;

	if (sv->once)
		return 100;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		return (int)(usec / 2000); /* twice per period */
	return -1;
}

int
tg_serve_run(const char *config_path, bool once)
{
	struct serve sv = {.path = config_path, .once = once};
	int sfd, sig, failed, ms;

	if (load(config_path, &sv.cfg) < 0)
		return EX_CONFIG;
	sfd = signals_open();
	/* the listener first (it says why it cannot start): its failure
	 * leaves no worker to stop */
	if (sfd >= 0 && lmtp_start(&sv) < 0) {
		tg_config_free(&sv.cfg);
		close(sfd);
		return EX_TEMPFAIL;
	}
	if (sfd < 0 || start_workers(&sv) < 0) {
		tg_log(TG_LOG_ERR, "cannot start: %s", strerror(errno));
		serve_lmtp_stop(&sv.lmtp);
		tg_config_free(&sv.cfg);
		return EX_TEMPFAIL;
	}
	if (hints_start(&sv) < 0) {
		serve_lmtp_stop(&sv.lmtp);
		(void)stop_workers(&sv);
		tg_config_free(&sv.cfg);
		close(sfd);
		return EX_TEMPFAIL;
	}
	sd_notifyf(0, "READY=1\nSTATUS=serving %zu mailboxes",
		   sv.cfg->n_mailboxes);
	ms = tick_ms(&sv);
	for (;;) {
		sig = next_signal(sfd, ms);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			reload(&sv);
		if (sv.once && all_done(&sv))
			break;
		sd_notify(0, "WATCHDOG=1");
	}
	sd_notify(0, "STOPPING=1");
	if (sig != 0)
		tg_log(TG_LOG_NOTICE, "stopping on %s", strsignal(sig));
	serve_lmtp_stop(&sv.lmtp); /* no new mail first */
	failed = stop_workers(&sv);
	tg_config_free(&sv.cfg);
	close(sfd);
	tg_log(TG_LOG_INFO, "stopped");
	return failed > 0 ? EX_TEMPFAIL : EX_OK;
}
