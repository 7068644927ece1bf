/* Checks the IMAP client (src/imap*.c) against the private Dovecot that
 * test-imap.sh starts with dovecot.sh, whose DV_* variables it reads:
 *   imap-check main    TLS verification, login, messages, IDLE
 *   imap-check broken  holds a session, prints "ready", waits for a line on
 *                      stdin (meanwhile Dovecot is stopped), then expects
 *                      temporary failures
 *   imap-check up      after the restart: the mail is still there
 * Exits 0 only if every check passed. */
#include "ticketgate/imap.h"
#include "tg-test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MSGS 8

static char password[256];

static void expect(bool ok, const char *fmt, ...) TG_PRINTF(2, 3);

static void
expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	tg_test_checks++;
	if (ok)
		return;
	tg_test_failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr,
			"imap-check: %s is not set (run test-imap.sh)\n", name);
		exit(2);
	}
	return v;
}

static void
read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(password, 1, sizeof(password) - 1, f);
	password[n] = '\0';
	fclose(f);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct tg_imap_opts
opts(enum tg_imap_security sec, const char *host)
{
	struct tg_imap_opts o = {
		.host = host,
		.port = sec == TG_IMAP_IMAPS      ? env("DV_PORT_IMAPS")
			: sec == TG_IMAP_STARTTLS ? env("DV_PORT_STARTTLS")
						  : env("DV_PORT_PLAIN"),
		.security = sec,
		.ca_file = env("DV_CA"),
		.verify = true,
		.user = env("DV_USER"),
		.password = password,
		.timeout_sec = 10,
	};

	return o;
}

static struct tg_imap *
open_ok(const struct tg_imap_opts *o, const char *what)
{
	struct tg_err err = {0};
	struct tg_imap *im = NULL;
	int r = tg_imap_open(o, &im, &err);

	expect(r == 0 && im != NULL, "%s: open failed: %s", what, err.msg);
	return r == 0 ? im : NULL;
}

/* Opening must fail, temporary or not, with each needle (if not NULL) in
 * the message and never the password. */
static void
open_fails(const struct tg_imap_opts *o, bool temporary, const char *what,
	   const char *needle1, const char *needle2)
{
	struct tg_err err = {0};
	struct tg_imap *im = NULL;
	int r = tg_imap_open(o, &im, &err);

	expect(r == -1 && im == NULL, "%s: open succeeded", what);
	if (r != -1) {
		tg_imap_close(&im);
		return;
	}
	expect(err.temporary == temporary, "%s: temporary=%d, want %d: %s",
	       what, err.temporary, temporary, err.msg);
	expect(!needle1 || strstr(err.msg, needle1), "%s: '%s' lacks '%s'",
	       what, err.msg, needle1);
	expect(!needle2 || strstr(err.msg, needle2), "%s: '%s' lacks '%s'",
	       what, err.msg, needle2);
	expect(strstr(err.msg, password) == NULL, "%s: password in '%s'", what,
	       err.msg);
}

static void
check_tls(void)
{
	const char *ip = env("DV_HOST"), *other = env("DV_OTHER_HOST");
	enum tg_imap_security secs[] = {TG_IMAP_IMAPS, TG_IMAP_STARTTLS,
					TG_IMAP_PLAIN};
	struct tg_imap_opts o;
	struct tg_imap *im;

	for (size_t i = 0; i < TG_N(secs); i++) {
		o = opts(secs[i], ip);
		im = open_ok(&o, "right CA by IP");
		expect(im && tg_imap_has_idle(im) && tg_imap_has_move(im) &&
			       tg_imap_has_uidplus(im),
		       "capabilities after login (security %zu)", i);
		tg_imap_close(&im);
		expect(im == NULL, "close sets the pointer to NULL");
	}
	o = opts(TG_IMAP_IMAPS, "localhost");
	im = open_ok(&o, "right CA by DNS name");
	tg_imap_close(&im);

	o = opts(TG_IMAP_IMAPS, ip);
	o.ca_file = env("DV_WRONG_CA");
	open_fails(&o, false, "IMAPS, wrong CA", ip, "certificate");
	o.security = TG_IMAP_STARTTLS;
	o.port = env("DV_PORT_STARTTLS");
	open_fails(&o, false, "STARTTLS, wrong CA", ip, "local issuer");
	o = opts(TG_IMAP_IMAPS, other); /* the certificate does not name it */
	open_fails(&o, false, "IMAPS, address not in certificate", other,
		   "mismatch");
	o = opts(TG_IMAP_STARTTLS, env("DV_NOTLS_HOST"));
	open_fails(&o, false, "STARTTLS not offered", env("DV_NOTLS_HOST"),
		   "STARTTLS");
	o = opts(TG_IMAP_IMAPS, ip);
	o.ca_file = "/nonexistent/ca.pem";
	open_fails(&o, false, "missing CA file", "/nonexistent/ca.pem", NULL);
	o = opts(TG_IMAP_IMAPS, other);
	o.verify = false; /* configured off: the same server is accepted */
	im = open_ok(&o, "verification off");
	tg_imap_close(&im);
}

static void
check_login(void)
{
	const char *ip = env("DV_HOST");
	struct tg_imap_opts o = opts(TG_IMAP_IMAPS, ip);
	struct tg_imap *im;
	char wrong[sizeof(password) + 1];

	o.auth = TG_IMAP_AUTH_PLAIN;
	im = open_ok(&o, "AUTHENTICATE PLAIN");
	tg_imap_close(&im);

	snprintf(wrong, sizeof(wrong), "%sx", password);
	o.password = wrong;
	open_fails(&o, false, "AUTHENTICATE PLAIN, wrong password",
		   env("DV_USER"), NULL);
	o.auth = TG_IMAP_AUTH_LOGIN;
	open_fails(&o, false, "LOGIN, wrong password", env("DV_USER"), "LOGIN");

	o = opts(TG_IMAP_PLAIN, ip);
	o.port = "1"; /* nothing listens there */
	open_fails(&o, true, "connection refused", ip, "connect");
}

/* A server that accepts connections (the kernel does) but never answers:
 * the greeting and the TLS handshake must time out, temporarily. */
static void
check_timeouts(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct tg_imap_opts o = opts(TG_IMAP_PLAIN, "127.0.0.1");
	char port[16];

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		expect(false, "cannot set up a silent listener");
		return;
	}
	snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));
	o.port = port;
	o.timeout_sec = 1;
	open_fails(&o, true, "silent server", "127.0.0.1", "no answer");
	o.security = TG_IMAP_IMAPS;
	open_fails(&o, true, "silent TLS server", "handshake", "no answer");
	close(fd);
}

struct sample {
	const char *raw;
	size_t len;
	uint32_t uid;
	int fetched;
};

struct fetch_ctx {
	struct sample *s;
	size_t n;
	int calls;
	int stop_after; /* -1 in the callback after this many calls, or 0 */
};

static int
on_message(void *ctxp, uint32_t uid, const char *raw, size_t len)
{
	struct fetch_ctx *ctx = ctxp;
	bool known = false;

	ctx->calls++;
	for (size_t i = 0; i < ctx->n; i++) {
		if (ctx->s[i].uid != uid)
			continue;
		known = true;
		ctx->s[i].fetched++;
		expect(len == ctx->s[i].len &&
			       memcmp(raw, ctx->s[i].raw, len) == 0,
		       "uid %u: fetched %zu bytes differ from the %zu sent",
		       (unsigned)uid, len, ctx->s[i].len);
	}
	expect(known, "fetched uid %u that was not asked for", (unsigned)uid);
	return ctx->stop_after && ctx->calls >= ctx->stop_after ? -1 : 0;
}

/* The flags doveadm sees on uid in folder; NULL when there is no such
 * message. The result is static. */
static const char *
server_flags(const char *folder, uint32_t uid)
{
	static char flags[256];
	char cmd[1024], line[512], want[32];
	const char *found = NULL;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "doveadm -c '%s' -f flow fetch -u '%s' 'uid flags' "
		 "mailbox '%s' ALL",
		 env("DV_CONF"), env("DV_USER"), folder);
	snprintf(want, sizeof(want), "uid=%u flags=", (unsigned)uid);
	p = popen(cmd, "r");
	if (p == NULL)
		return NULL;
	while (fgets(line, sizeof(line), p) != NULL) {
		if (strncmp(line, want, strlen(want)) != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(flags, sizeof(flags), "%s", line + strlen(want));
		found = flags;
	}
	expect(pclose(p) == 0, "doveadm fetch in %s failed", folder);
	return found;
}

static void
doveadm_flag_deleted(const char *folder, uint32_t uid)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "doveadm -c '%s' flags add -u '%s' '\\Deleted' mailbox '%s' "
		 "uid %u",
		 env("DV_CONF"), env("DV_USER"), folder, (unsigned)uid);
	expect(system(cmd) == 0, "doveadm flags add failed");
}

static char *
big_message(size_t *len_r)
{
	const char head[] = "From: big@example.org\r\nSubject: big\r\n"
			    "Message-ID: <big@example.org>\r\n\r\n";
	size_t lines = 1400, line = 76; /* about 108 KB */
	char *m = tg_xmalloc(sizeof(head) + lines * line);
	size_t n = sizeof(head) - 1;

	memcpy(m, head, n);
	for (size_t i = 0; i < lines; i++) {
		for (size_t j = 0; j < line - 2; j++)
			m[n++] = (char)('A' + (i + j) % 26);
		m[n++] = '\r';
		m[n++] = '\n';
	}
	*len_r = n;
	return m;
}

static void
select_ok(struct tg_imap *im, const char *folder, uint32_t *uidnext_r)
{
	struct tg_err err = {0};
	uint32_t uidvalidity = 0, uidnext = 0;

	expect(tg_imap_select(im, folder, &uidvalidity, &uidnext, &err) == 0,
	       "select %s: %s", folder, err.msg);
	expect(uidvalidity != 0 && uidnext != 0, "select %s: %u %u", folder,
	       (unsigned)uidvalidity, (unsigned)uidnext);
	if (uidnext_r)
		*uidnext_r = uidnext;
}

/* UIDs >= first; checks the count. */
static size_t
search_ok(struct tg_imap *im, uint32_t first, uint32_t *out, size_t max,
	  size_t want, const char *what)
{
	struct tg_err err = {0};
	uint32_t *uids = NULL;
	size_t n = 99;
	int r = tg_imap_search_from(im, first, &uids, &n, &err);

	expect(r == 0, "%s: search failed: %s", what, err.msg);
	expect(r != 0 || n == want, "%s: %zu UIDs, want %zu", what, n, want);
	expect(r != 0 || (n == 0) == (uids == NULL), "%s: array vs count",
	       what);
	for (size_t i = 0; r == 0 && i < n && i < max; i++)
		out[i] = uids[i];
	for (size_t i = 1; r == 0 && i < n; i++)
		expect(uids[i - 1] < uids[i], "%s: not ascending", what);
	free(uids);
	return r == 0 ? n : 0;
}

static void
append_ok(struct tg_imap *im, const char *folder, const struct sample *s)
{
	struct tg_err err = {0};

	expect(tg_imap_append(im, folder, s->raw, s->len, &err) == 0,
	       "append to %s: %s", folder, err.msg);
}

static void
fetch_ok(struct tg_imap *im, struct sample *s, size_t n, const char *what)
{
	struct fetch_ctx ctx = {.s = s, .n = n};
	struct tg_err err = {0};
	uint32_t uids[MAX_MSGS] = {0};

	for (size_t i = 0; i < n; i++) {
		uids[i] = s[i].uid;
		s[i].fetched = 0;
	}
	expect(tg_imap_fetch(im, uids, n, on_message, &ctx, &err) == 0,
	       "%s: fetch failed: %s", what, err.msg);
	for (size_t i = 0; i < n; i++)
		expect(s[i].fetched == 1, "%s: uid %u fetched %d times", what,
		       (unsigned)s[i].uid, s[i].fetched);
}

static void
check_fetch_stop(struct tg_imap *im, struct sample *s, size_t n)
{
	struct fetch_ctx ctx = {.s = s, .n = n, .stop_after = 1};
	struct tg_err err = {0};
	uint32_t uids[MAX_MSGS] = {0};

	for (size_t i = 0; i < n; i++)
		uids[i] = s[i].uid;
	expect(tg_imap_fetch(im, uids, n, on_message, &ctx, &err) == -1 &&
		       !err.temporary && ctx.calls == 1,
	       "a callback returning -1 stops the batch: calls=%d '%s'",
	       ctx.calls, err.msg);
	expect(tg_imap_fetch(im, NULL, 0, on_message, &ctx, &err) == 0,
	       "an empty batch is a no-op");
	uids[0] = 0;
	expect(tg_imap_mark_seen(im, uids, 1, &err) == -1 && !err.temporary,
	       "UID 0 is refused (libetpan would send it as *)");
}

/* The server's sizes are the bytes appended (CRLF throughout); a UID it
 * does not have gets 0. */
static void
check_sizes(struct tg_imap *im, const struct sample *s, size_t n)
{
	struct tg_err err = {0};
	uint32_t uids[MAX_MSGS + 1], sizes[MAX_MSGS + 1];

	for (size_t i = 0; i < n; i++)
		uids[i] = s[i].uid;
	uids[n] = s[n - 1].uid + 1000;
	expect(tg_imap_sizes(im, uids, n + 1, sizes, &err) == 0,
	       "sizes: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		expect(sizes[i] == s[i].len, "uid %u: size %u, appended %zu",
		       (unsigned)s[i].uid, (unsigned)sizes[i], s[i].len);
	expect(sizes[n] == 0, "a UID not there: size %u", (unsigned)sizes[n]);
}

/* Appends s[0..n) to INBOX, finds them, fetches them in one batch. */
static void
check_messages(struct tg_imap *im, struct sample *s, size_t n)
{
	struct tg_err err = {0};
	uint32_t next, uids[MAX_MSGS];
	const char *f;

	select_ok(im, "INBOX", &next);
	for (size_t i = 0; i < n; i++)
		append_ok(im, "INBOX", &s[i]);
	if (search_ok(im, next, uids, MAX_MSGS, n, "appended") != n)
		return;
	for (size_t i = 0; i < n; i++)
		s[i].uid = uids[i];
	fetch_ok(im, s, n, "batch of all");
	for (size_t i = 0; i < n; i++) {
		f = server_flags("INBOX", s[i].uid);
		expect(f && !strstr(f, "\\Seen"), "uid %u seen by a fetch: %s",
		       (unsigned)s[i].uid, f ? f : "(missing)");
	}
	check_fetch_stop(im, s, n);
	check_sizes(im, s, n);

	search_ok(im, s[2].uid, uids, MAX_MSGS, n - 2, "from the third");
	search_ok(im, s[n - 1].uid + 1, uids, MAX_MSGS, 0, "past the last");
	search_ok(im, s[n - 1].uid + 1000, uids, MAX_MSGS, 0, "far past");

	uids[0] = s[1].uid;
	uids[1] = s[0].uid;
	expect(tg_imap_mark_seen(im, uids, 2, &err) == 0, "mark_seen: %s",
	       err.msg);
	for (size_t i = 0; i < 3; i++) {
		f = server_flags("INBOX", s[i].uid);
		expect(f && (strstr(f, "\\Seen") != NULL) == (i < 2),
		       "uid %u flags after mark_seen: %s", (unsigned)s[i].uid,
		       f ? f : "(missing)");
	}
}

/* s[2] moves with MOVE, s[3] through the fallback (a server without
 * MOVE), s[4] is deleted; s[0], flagged \Deleted by another client,
 * must survive both UID EXPUNGEs. */
static void
check_move_delete(struct tg_imap *im, struct tg_imap *old, struct sample *s)
{
	struct sample moved[2] = {s[2], s[3]};
	struct tg_err err = {0};
	uint32_t uids[MAX_MSGS] = {0};

	expect(tg_imap_move(im, &s[2].uid, 1, "Processed", &err) == 0,
	       "move: %s", err.msg);
	expect(server_flags("INBOX", s[2].uid) == NULL, "moved, still there");

	select_ok(old, "INBOX", NULL);
	expect(!tg_imap_has_move(old) && tg_imap_has_uidplus(old),
	       "the second address hides MOVE");
	doveadm_flag_deleted("INBOX", s[0].uid);
	expect(tg_imap_move(old, &s[3].uid, 1, "Processed", &err) == 0,
	       "fallback move: %s", err.msg);
	expect(server_flags("INBOX", s[3].uid) == NULL,
	       "fallback: still there");
	expect(tg_imap_delete(im, &s[4].uid, 1, &err) == 0, "delete: %s",
	       err.msg);
	expect(server_flags("INBOX", s[4].uid) == NULL, "deleted, still there");
	expect(server_flags("INBOX", s[0].uid) != NULL,
	       "another client's \\Deleted message was expunged too");

	select_ok(im, "Processed", NULL);
	if (search_ok(im, 1, uids, MAX_MSGS, 2, "Processed") == 2) {
		moved[0].uid = uids[0];
		moved[1].uid = uids[1];
		fetch_ok(im, moved, 2, "moved messages");
	}
	select_ok(im, "INBOX", NULL);
}

static int alarm_pipe[2];

static void
on_alarm(int sig)
{
	char c = (char)sig;

	(void)!write(alarm_pipe[1], &c, 1); /* a full pipe wakes anyway */
}

static bool
idle_ok2(struct tg_imap *im, int timeout_ms, int wake_fd, int nudge_fd,
	 long long *ms_r, const char *what)
{
	struct tg_err err = {0};
	long long t0 = now_ms();
	bool activity = true;

	expect(tg_imap_idle(im, timeout_ms, wake_fd, nudge_fd, &activity,
			    &err) == 0,
	       "%s: idle failed: %s", what, err.msg);
	*ms_r = now_ms() - t0;
	return activity;
}

static bool
idle_ok(struct tg_imap *im, int timeout_ms, int wake_fd, long long *ms_r,
	const char *what)
{
	return idle_ok2(im, timeout_ms, wake_fd, -1, ms_r, what);
}

/* A child appends through its own connection a second from now. */
static pid_t
append_later(const struct sample *s)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec second = {1, 0};
		struct tg_imap_opts o = opts(TG_IMAP_PLAIN, env("DV_HOST"));
		struct tg_imap *im = NULL;
		struct tg_err err = {0};
		int r;

		nanosleep(&second, NULL);
		r = tg_imap_open(&o, &im, &err);
		if (r == 0)
			r = tg_imap_append(im, "INBOX", s->raw, s->len, &err);
		if (r < 0)
			fprintf(stderr, "FAIL: child append: %s\n", err.msg);
		tg_imap_close(&im);
		/* no exit handlers: the parent's heap is not ours to check */
		_exit(r == 0 ? 0 : 1);
	}
	return pid;
}

static void
check_idle_wakes(struct tg_imap *im)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	long long ms;
	bool act;
	char c;

	act = idle_ok(im, 1500, -1, &ms, "timeout");
	expect(!act && ms >= 1400,
	       "IDLE with nothing happening: activity %d after %lld ms", act,
	       ms);
	expect(pipe(alarm_pipe) == 0, "pipe");
	sigaction(SIGALRM, &sa, NULL);
	expect(write(alarm_pipe[1], "x", 1) == 1, "write to the pipe");
	act = idle_ok(im, 20000, alarm_pipe[0], &ms, "ready wake_fd");
	expect(!act && ms < 20000,
	       "a readable wake_fd ends IDLE at once (%d, %lld ms)", act, ms);
	expect(read(alarm_pipe[0], &c, 1) == 1, "drain the pipe");
	expect(write(alarm_pipe[1], "x", 1) == 1, "write to the pipe");
	act = idle_ok2(im, 20000, -1, alarm_pipe[0], &ms, "ready nudge_fd");
	expect(!act && ms < 20000,
	       "a readable nudge_fd ends IDLE at once (%d, %lld ms)", act, ms);
	expect(read(alarm_pipe[0], &c, 1) == 1, "drain the pipe");
	alarm(1);
	act = idle_ok(im, 20000, alarm_pipe[0], &ms, "signal");
	expect(!act && ms < 20000,
	       "a signal writing to wake_fd ends IDLE (%d, %lld ms)", act, ms);
	expect(read(alarm_pipe[0], &c, 1) == 1 && c == SIGALRM,
	       "the handler wrote to the pipe");
	close(alarm_pipe[0]);
	close(alarm_pipe[1]);
}

static void
check_idle(struct tg_imap *im, struct tg_imap *old, const struct sample *s)
{
	uint32_t next, uids[MAX_MSGS];
	long long ms;
	pid_t child;
	int status = -1;
	bool act;

	select_ok(im, "INBOX", &next);
	check_idle_wakes(im);
	search_ok(im, next, uids, MAX_MSGS, 0, "session works after IDLE");

	child = append_later(s);
	act = idle_ok(im, 20000, -1, &ms, "append");
	expect(act && ms < 20000,
	       "an APPEND by another connection ends IDLE (%d, %lld ms)", act,
	       ms);
	expect(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
		       WEXITSTATUS(status) == 0,
	       "the appending child failed");
	search_ok(im, next, uids, MAX_MSGS, 1, "the message IDLE announced");

	/* a server without IDLE: wait, then NOOP reports the new message */
	select_ok(old, "INBOX", NULL);
	expect(!tg_imap_has_idle(old), "the second address hides IDLE");
	expect(!idle_ok(old, 300, -1, &ms, "no IDLE, no mail"),
	       "without IDLE and new mail: no activity");
	append_ok(im, "INBOX", s);
	expect(idle_ok(old, 300, -1, &ms, "no IDLE, new mail"),
	       "without IDLE: NOOP after the wait saw the new message");
}

static int
run_main(void)
{
	const char *ip = env("DV_HOST");
	static const char m1[] = "From: Alice <alice@example.org>\r\nTo: "
				 "support@example.test\r\n"
				 "Subject: first\r\nMessage-ID: "
				 "<m1@example.org>\r\n\r\nHello.\r\n";
	static const char m2[] =
		"From: b@example.org\r\nSubject: caf\xc3\xa9 \xe9t\xe9\r\n"
		"Content-Type: text/plain; charset=iso-8859-1\r\n"
		"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xfc\xdf"
		"e \xa4\xff\x80 8-bit bytes\r\n";
	static const char m4[] = "From: c@example.org\r\nSubject: dots\r\n\r\n"
				 ".leading dot\r\n..two\r\nFrom the start\r\n"
				 ".\r\nend\r\n";
	static const char m5[] = "From: d@example.org\r\nSubject: last\r\n\r\n";
	struct sample s[5] = {
		{m1, sizeof(m1) - 1, 0, 0},
		{m2, sizeof(m2) - 1, 0, 0},
		{NULL, 0, 0, 0},
		{m4, sizeof(m4) - 1, 0, 0},
		{m5, sizeof(m5) - 1, 0, 0},
	};
	char *big = big_message(&s[2].len);
	struct tg_imap_opts o = opts(TG_IMAP_IMAPS, ip);
	struct tg_imap_opts oo = opts(TG_IMAP_IMAPS, env("DV_OTHER_HOST"));
	struct tg_imap *im, *old;

	s[2].raw = big;
	check_tls();
	check_login();
	check_timeouts();
	oo.verify = false; /* its address is not in the certificate */
	im = open_ok(&o, "main session");
	old = open_ok(&oo, "session without MOVE and IDLE");
	if (im != NULL && old != NULL) {
		check_messages(im, s, TG_N(s));
		check_move_delete(im, old, s);
		check_idle(im, old, &s[0]);
	}
	tg_imap_close(&old);
	tg_imap_close(&im);
	free(big);
	return tg_test_done();
}

static int
run_broken(void)
{
	struct tg_imap_opts o = opts(TG_IMAP_IMAPS, env("DV_HOST"));
	struct tg_imap *im = open_ok(&o, "session to break");
	struct tg_err err = {0};
	uint32_t *uids = NULL;
	size_t n = 0;
	char line[64];

	if (im == NULL)
		return tg_test_done();
	select_ok(im, "INBOX", NULL);
	printf("ready\n");
	fflush(stdout);
	expect(fgets(line, sizeof(line), stdin) != NULL, "no go line");
	for (int i = 0; i < 2; i++) {
		expect(tg_imap_search_from(im, 1, &uids, &n, &err) == -1 &&
			       err.temporary,
		       "command %d on a stopped server: temporary '%s'", i,
		       err.msg);
		free(uids);
	}
	tg_imap_close(&im);
	open_fails(&o, true, "server down", env("DV_HOST"), "connect");
	return tg_test_done();
}

static int
run_up(void)
{
	struct tg_imap_opts o = opts(TG_IMAP_STARTTLS, env("DV_HOST"));
	struct tg_imap *im = open_ok(&o, "after the restart");
	uint32_t uids[MAX_MSGS] = {0};

	if (im == NULL)
		return tg_test_done();
	select_ok(im, "Processed", NULL);
	search_ok(im, 1, uids, MAX_MSGS, 2, "Processed after the restart");
	tg_imap_close(&im);
	return tg_test_done();
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN); /* as the daemon does (see imap.h) */
	read_password(env("DV_PASSWORD_FILE"));
	if (strcmp(mode, "main") == 0)
		return run_main();
	if (strcmp(mode, "broken") == 0)
		return run_broken();
	if (strcmp(mode, "up") == 0)
		return run_up();
	fprintf(stderr, "usage: imap-check main|broken|up\n");
	return 2;
}
