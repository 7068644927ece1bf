/* Checks the SMTP client (src/smtp*.c) against the sink that test-smtp.sh
 * starts with smtp.sh, whose SMTP_* variables it reads:
 *   smtp-check main    TLS and its checks, AUTH, the bytes and envelopes
 *                      stored, refusals and retries, session reuse
 *   smtp-check broken  holds a session, prints "ready", waits for a line on
 *                      stdin (meanwhile the sink is stopped), then expects
 *                      network failures
 *   smtp-check up      after the restart: sending works again
 * Exits 0 only if every check passed. */
#include "ticketgate/smtp.h"
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
			"smtp-check: %s is not set (run test-smtp.sh)\n", name);
		exit(2);
	}
	return v;
}

/* The whole file, NUL-terminated (*len_r without the NUL); NULL if it
 * cannot be read. */
static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 4096) {
			cap = cap * 2 + 4096;
			buf = tg_xrealloc(buf, cap + 1);
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	buf[n] = '\0';
	if (len_r)
		*len_r = n;
	return buf;
}

static void
read_password(void)
{
	size_t n;
	char *pw = slurp(env("SMTP_PASSWORD_FILE"), &n);

	if (pw == NULL || n >= sizeof(password)) {
		fprintf(stderr, "smtp-check: cannot read the password file\n");
		exit(2);
	}
	memcpy(password, pw, n + 1);
	free(pw);
}

static struct tg_smtp_opts
opts(enum tg_smtp_security sec, const char *host)
{
	struct tg_smtp_opts o = {
		.host = host,
		.port = sec == TG_SMTP_SMTPS ? env("SMTP_PORT_SMTPS")
					     : env("SMTP_PORT_PLAIN"),
		.security = sec,
		.ca_file = env("SMTP_CA"),
		.verify = true,
		.user = env("SMTP_USER"),
		.password = password,
		.timeout_sec = 10,
	};

	return o;
}

static struct tg_smtp *
open_ok(const struct tg_smtp_opts *o, const char *what)
{
	struct tg_err err = {0};
	struct tg_smtp *s = NULL;
	int r = tg_smtp_open(o, &s, &err);

	expect(r == 0 && s != NULL, "%s: open failed: %s", what, err.msg);
	return r == 0 ? s : NULL;
}

/* Opening must fail, temporary or not, with each needle (if not NULL) in
 * the message and never the password. */
static void
open_fails(const struct tg_smtp_opts *o, bool temporary, const char *what,
	   const char *needle1, const char *needle2)
{
	struct tg_err err = {0};
	struct tg_smtp *s = NULL;
	int r = tg_smtp_open(o, &s, &err);

	expect(r == -1 && s == NULL, "%s: open succeeded", what);
	if (r != -1) {
		tg_smtp_close(&s);
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

/* The sink's spool file NNNN.ext, read whole. */
static char *
spool_file(int id, const char *ext, size_t *len_r)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%04d.%s", env("SMTP_SPOOL"), id, ext);
	return slurp(path, len_r);
}

static int
spool_count(void)
{
	int n = 0;
	char *f;

	while ((f = spool_file(n + 1, "eml", NULL)) != NULL) {
		free(f);
		n++;
	}
	return n;
}

/* Sends and expects the sink to store it; returns the spool number the
 * final reply names, or 0. */
static int
send_ok(struct tg_smtp *s, const char *from, const char *const *rcpts, size_t n,
	const char *raw, size_t len, const char *what)
{
	struct tg_smtp_reply reply;
	struct tg_err err = {0};
	const char *at;
	int r;

	if (s == NULL)
		return 0;
	r = tg_smtp_send(s, from, rcpts, n, raw, len, &reply, &err);
	expect(r == 0 && reply.code == 250, "%s: send failed: %s (%d %s)", what,
	       err.msg, reply.code, reply.text);
	at = strstr(reply.text, "stored as ");
	expect(r != 0 || at != NULL, "%s: final reply '%s'", what, reply.text);
	return r == 0 && at != NULL ? atoi(at + strlen("stored as ")) : 0;
}

/* The stored message must be want[0..want_len) and its envelope must hold
 * each of the NULL-terminated JSON fragments. */
static void
check_stored(int id, const char *want, size_t want_len, const char *what, ...)
{
	size_t len = 0;
	char *eml = id ? spool_file(id, "eml", &len) : NULL;
	char *envelope = id ? spool_file(id, "env", NULL) : NULL;
	const char *frag;
	va_list ap;

	expect(eml != NULL && envelope != NULL, "%s: message %d not stored",
	       what, id);
	expect(eml == NULL || (len == want_len && memcmp(eml, want, len) == 0),
	       "%s: stored %zu bytes differ from the %zu expected", what, len,
	       want_len);
	va_start(ap, what);
	while ((frag = va_arg(ap, const char *)) != NULL)
		expect(envelope && strstr(envelope, frag), "%s: %s lacks %s",
		       what, envelope ? envelope : "(none)", frag);
	va_end(ap);
	free(eml);
	free(envelope);
}

/* Which connection the sink received message id over; 0 if unknown. */
static int
session_of(int id)
{
	char *envelope = spool_file(id, "env", NULL);
	const char *at = envelope ? strstr(envelope, "\"session\": ") : NULL;
	int n = at ? atoi(at + strlen("\"session\": ")) : 0;

	free(envelope);
	return n;
}

/* A rule for the sink, as smtp_fail writes it. */
static void
add_fault(const char *stage, const char *pattern, const char *code, int count)
{
	char tmp[1024], path[1024];
	struct timespec ts;
	FILE *f;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tmp, sizeof(tmp), "%s/new.tmp", env("SMTP_FAULTS"));
	snprintf(path, sizeof(path), "%s/rule-%lld%09ld", env("SMTP_FAULTS"),
		 (long long)ts.tv_sec, ts.tv_nsec);
	f = fopen(tmp, "w");
	expect(f != NULL, "cannot write %s", tmp);
	if (f == NULL)
		return;
	fprintf(f, "%s %s %s %d\n", stage, pattern, code, count);
	expect(fclose(f) == 0 && rename(tmp, path) == 0, "cannot add %s", path);
}

static const char msg1[] = "From: Support <support@example.test>\r\n"
			   "To: customer@example.org\r\n"
			   "Subject: first\r\n"
			   "Message-ID: <s1@example.test>\r\n\r\nHello.\r\n";

static void
check_security(void)
{
	const char *ip = env("SMTP_HOST"), *other = env("SMTP_OTHER_HOST");
	const char *to[] = {"customer@example.org"};
	enum tg_smtp_security secs[] = {TG_SMTP_SMTPS, TG_SMTP_STARTTLS,
					TG_SMTP_PLAIN};
	struct tg_smtp_opts o;
	struct tg_smtp *s;
	char auth[320];

	snprintf(auth, sizeof(auth), "\"auth\": \"%s\"", env("SMTP_USER"));
	for (size_t i = 0; i < TG_N(secs); i++) {
		o = opts(secs[i], ip);
		s = open_ok(&o, "right CA by IP, with AUTH");
		check_stored(send_ok(s, "support@example.test", to, 1, msg1,
				     sizeof(msg1) - 1, "each security"),
			     msg1, sizeof(msg1) - 1, "each security", auth,
			     secs[i] == TG_SMTP_PLAIN ? "\"tls\": false"
						      : "\"tls\": true",
			     (const char *)NULL);
		tg_smtp_close(&s);
		expect(s == NULL, "close sets the pointer to NULL");
	}
	o = opts(TG_SMTP_PLAIN, ip);
	o.user = NULL; /* no AUTH */
	s = open_ok(&o, "plain without AUTH");
	check_stored(send_ok(s, "support@example.test", to, 1, msg1,
			     sizeof(msg1) - 1, "without AUTH"),
		     msg1, sizeof(msg1) - 1, "without AUTH", "\"auth\": null",
		     (const char *)NULL);
	tg_smtp_close(&s);
	o = opts(TG_SMTP_SMTPS, "localhost");
	s = open_ok(&o, "right CA by DNS name");
	tg_smtp_close(&s);

	o = opts(TG_SMTP_SMTPS, ip);
	o.ca_file = env("SMTP_WRONG_CA");
	open_fails(&o, false, "SMTPS, wrong CA", ip, "certificate");
	o.security = TG_SMTP_STARTTLS;
	o.port = env("SMTP_PORT_PLAIN");
	open_fails(&o, false, "STARTTLS, wrong CA", ip, "local issuer");
	o = opts(TG_SMTP_SMTPS, other); /* the certificate does not name it */
	open_fails(&o, false, "SMTPS, address not in certificate", other,
		   "mismatch");
	o = opts(TG_SMTP_STARTTLS, other);
	open_fails(&o, false, "STARTTLS, address not in certificate", other,
		   "mismatch");
	o = opts(TG_SMTP_STARTTLS, env("SMTP_NOTLS_HOST"));
	open_fails(&o, false, "STARTTLS not offered", env("SMTP_NOTLS_HOST"),
		   "STARTTLS");
	o = opts(TG_SMTP_SMTPS, ip);
	o.ca_file = "/nonexistent/ca.pem";
	open_fails(&o, false, "missing CA file", "/nonexistent/ca.pem", NULL);
	o = opts(TG_SMTP_SMTPS, other);
	o.verify = false; /* configured off: the same server is accepted */
	s = open_ok(&o, "verification off");
	tg_smtp_close(&s);
	o = opts(TG_SMTP_PLAIN, ip);
	o.port = "1"; /* nothing listens there */
	open_fails(&o, true, "connection refused", ip, "connect");
}

static void
check_auth(void)
{
	const char *ip = env("SMTP_HOST");
	const char *to[] = {"customer@example.org"};
	struct tg_smtp_opts o = opts(TG_SMTP_SMTPS, ip);
	struct tg_smtp *s;
	char wrong[sizeof(password) + 1], auth[320];

	snprintf(wrong, sizeof(wrong), "%sx", password);
	o.password = wrong;
	open_fails(&o, false, "wrong password", env("SMTP_USER"), "535");
	expect(strstr(wrong, password) == wrong, "the wrong one contains it");
	o.password = NULL;
	open_fails(&o, false, "user without password", env("SMTP_USER"), NULL);

	/* only AUTH LOGIN offered there, and no TLS */
	o = opts(TG_SMTP_PLAIN, env("SMTP_NOTLS_HOST"));
	snprintf(auth, sizeof(auth), "\"auth\": \"%s\"", env("SMTP_USER"));
	s = open_ok(&o, "AUTH LOGIN");
	check_stored(send_ok(s, "support@example.test", to, 1, msg1,
			     sizeof(msg1) - 1, "AUTH LOGIN"),
		     msg1, sizeof(msg1) - 1, "AUTH LOGIN", auth,
		     (const char *)NULL);
	tg_smtp_close(&s);
	o.password = wrong;
	open_fails(&o, false, "AUTH LOGIN, wrong password", "LOGIN", "535");

	o = opts(TG_SMTP_STARTTLS, ip);
	o.helo_name = "gw.example.test";
	s = open_ok(&o, "EHLO name");
	check_stored(send_ok(s, "support@example.test", to, 1, msg1,
			     sizeof(msg1) - 1, "EHLO name"),
		     msg1, sizeof(msg1) - 1, "EHLO name",
		     "\"helo\": \"gw.example.test\"", (const char *)NULL);
	tg_smtp_close(&s);
	o.helo_name = "gw.example.test\r\nRSET";
	open_fails(&o, false, "EHLO name with CRLF", "helo", NULL);
}

/* A server that accepts connections (the kernel does) but never answers:
 * the greeting and the TLS handshake must time out, temporarily. */
static void
check_timeouts(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct tg_smtp_opts o = opts(TG_SMTP_PLAIN, "127.0.0.1");
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
	open_fails(&o, true, "silent server", "greeting", "no answer");
	o.security = TG_SMTP_SMTPS;
	open_fails(&o, true, "silent TLS server", "handshake", "no answer");
	close(fd);
}

/* A child plays a server on fd: it sends replies[0] (the greeting), then
 * reads one command line before each further reply, and finally reads
 * until the client hangs up. */
static pid_t
play_server(int fd, const char *const *replies, size_t n)
{
	pid_t pid = fork();

	int c;
	char ch;

	if (pid != 0)
		return pid;
	alarm(30); /* never outlive a parent that died before connecting */
	c = accept(fd, NULL, NULL);

	for (size_t i = 0; c >= 0 && i < n; i++) {
		while (i > 0 && read(c, &ch, 1) == 1 && ch != '\n')
			;
		if (write(c, replies[i], strlen(replies[i])) < 0)
			break;
	}
	while (c >= 0 && read(c, &ch, 1) == 1)
		;
	_exit(0); /* no exit handlers: the parent's heap is not ours */
}

static int
listener(char *port, size_t size)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		expect(false, "cannot set up a listener");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(port, size, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* Opens a session to a played server: fails with needle in the message
 * (temporary or not), or succeeds when needle is NULL. */
static void
odd_server(const char *const *replies, size_t n, enum tg_smtp_security sec,
	   const char *user, bool temporary, const char *needle,
	   const char *what)
{
	struct tg_smtp_opts o = opts(sec, "127.0.0.1");
	struct tg_smtp *s;
	char port[16];
	int fd = listener(port, sizeof(port));
	pid_t pid;

	if (fd < 0)
		return;
	pid = play_server(fd, replies, n);
	o.port = port;
	o.user = user;
	o.timeout_sec = 2;
	if (needle == NULL) {
		s = open_ok(&o, what);
		tg_smtp_close(&s);
	} else {
		open_fails(&o, temporary, what, needle, NULL);
	}
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Servers that misbehave: each failure is clean and says why. */
static void
check_odd_servers(void)
{
	static const char *const garbage[] = {"hello there\r\n"};
	static const char *const busy[] = {"421 4.3.2 busy\r\n"};
	static const char *const no_service[] = {"554 5.3.2 go away\r\n"};
	static const char *const mixed[] = {"220 x\r\n", "250-x\r\n251 y\r\n"};
	static const char *const no_ehlo[] = {"220 x\r\n", "502 5.5.1 no\r\n",
					      "250 hello\r\n", "221 bye\r\n"};
	static const char *const bare_auth[] = {
		"220 x\r\n", "250-x\r\n250-AUTH\r\n250 AUTH=\r\n"};
	static const char *const injected[] = {
		"220 x\r\n", "250-x\r\n250 STARTTLS\r\n",
		"220 go ahead\r\n250 injected\r\n"};
	char long_line[TG_N(((struct tg_smtp_reply *)0)->text) * 5];
	const char *too_long[] = {"220 x\r\n", long_line};
	char *many = tg_xmalloc(200 * 9 + 16);
	const char *too_many[] = {"220 x\r\n", many};
	const char *user = env("SMTP_USER");

	memset(long_line, 'x', sizeof(long_line) - 3);
	memcpy(long_line, "250 ", 4);
	memcpy(long_line + sizeof(long_line) - 3, "\r\n", 3);
	many[0] = '\0';
	for (int i = 0; i < 200; i++)
		strcat(many, "250-xyz\r\n");
	strcat(many, "250 end\r\n");

	odd_server(garbage, TG_N(garbage), TG_SMTP_PLAIN, NULL, true,
		   "unreadable reply", "garbage greeting");
	odd_server(busy, TG_N(busy), TG_SMTP_PLAIN, NULL, true, "421",
		   "421 greeting");
	odd_server(no_service, TG_N(no_service), TG_SMTP_PLAIN, NULL, false,
		   "554", "554 greeting");
	odd_server(mixed, TG_N(mixed), TG_SMTP_PLAIN, NULL, true,
		   "unreadable reply", "codes change within a reply");
	odd_server(too_long, TG_N(too_long), TG_SMTP_PLAIN, NULL, true, "over",
		   "reply line too long");
	odd_server(too_many, TG_N(too_many), TG_SMTP_PLAIN, NULL, true, "lines",
		   "reply of too many lines");
	odd_server(no_ehlo, TG_N(no_ehlo), TG_SMTP_PLAIN, NULL, false, NULL,
		   "HELO fallback");
	odd_server(no_ehlo, TG_N(no_ehlo), TG_SMTP_PLAIN, user, false,
		   "neither", "AUTH wanted, none offered");
	odd_server(bare_auth, TG_N(bare_auth), TG_SMTP_PLAIN, user, false,
		   "neither", "AUTH without mechanisms");
	odd_server(injected, TG_N(injected), TG_SMTP_STARTTLS, NULL, false,
		   "injection", "data after the STARTTLS reply");
	free(many);
}

static char *
big_message(size_t *len_r)
{
	const char head[] = "From: big@example.test\r\nSubject: big\r\n\r\n";
	size_t lines = 1400, line = 76; /* about 108 KB */
	char *m = tg_xmalloc(sizeof(head) + lines * line);
	size_t n = sizeof(head) - 1;

	memcpy(m, head, n);
	for (size_t i = 0; i < lines; i++) {
		for (size_t j = 0; j < line - 2; j++)
			m[n++] = (char)((i + j) % 7 == 0 ? '.' : 'a' + j % 26);
		m[n++] = '\r';
		m[n++] = '\n';
	}
	*len_r = n;
	return m;
}

/* What arrives, for CRLF text exactly what was sent; bare LF becomes CRLF,
 * a missing last line ending is added. */
static void
check_bytes(struct tg_smtp *s)
{
	static const char dots[] =
		"From: a@example.test\r\nSubject: dots\r\n"
		"\r\n.leading dot\r\n..two\r\n.\r\nmiddle\r\n"
		" .space\r\n.\r\n";
	static const char utf8[] = "From: a@example.test\r\n"
				   "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
				   "Content-Type: text/plain; charset=utf-8\r\n"
				   "Content-Transfer-Encoding: 8bit\r\n\r\n"
				   "Gr\xc3\xbc\xc3\x9f"
				   "e \xe2\x80\x94 \xf0\x9f\x98\x80\r\n";
	static const char lf[] = "Subject: lf\n\nline one\n.dot\n";
	static const char lf_crlf[] = "Subject: lf\r\n\r\nline one\r\n.dot\r\n";
	static const char noeol[] = "Subject: x\r\n\r\nno last line end";
	static const char noeol_crlf[] =
		"Subject: x\r\n\r\nno last line end\r\n";
	const char *one[] = {"customer@example.org"};
	const char *two[] = {"one@example.org", "two@example.org"};
	size_t big_len;
	char *big = big_message(&big_len);
	char *envelope;
	int id;

	id = send_ok(s, "support@example.test", one, 1, dots, sizeof(dots) - 1,
		     "dot lines");
	check_stored(id, dots, sizeof(dots) - 1, "dot lines",
		     "\"from\": \"support@example.test\"",
		     "\"rcpts\": [\"customer@example.org\"]",
		     (const char *)NULL);
	envelope = spool_file(id, "env", NULL);
	expect(envelope && !strstr(envelope, "8BITMIME"),
	       "7-bit text declared 8-bit: %s", envelope ? envelope : "");
	free(envelope);
	check_stored(send_ok(s, "support@example.test", one, 1, utf8,
			     sizeof(utf8) - 1, "8-bit UTF-8"),
		     utf8, sizeof(utf8) - 1, "8-bit UTF-8", "BODY=8BITMIME",
		     (const char *)NULL);
	check_stored(send_ok(s, "", two, 2, msg1, sizeof(msg1) - 1,
			     "null sender, two recipients"),
		     msg1, sizeof(msg1) - 1, "null sender, two recipients",
		     "\"from\": \"\"",
		     "\"rcpts\": [\"one@example.org\", \"two@example.org\"]",
		     (const char *)NULL);
	check_stored(send_ok(s, "a@example.test", one, 1, lf, sizeof(lf) - 1,
			     "LF lines"),
		     lf_crlf, sizeof(lf_crlf) - 1, "LF lines",
		     (const char *)NULL);
	check_stored(send_ok(s, "a@example.test", one, 1, noeol,
			     sizeof(noeol) - 1, "no last line end"),
		     noeol_crlf, sizeof(noeol_crlf) - 1, "no last line end",
		     (const char *)NULL);
	check_stored(send_ok(s, "a@example.test", one, 1, "", 0, "empty"), "",
		     0, "empty", (const char *)NULL);
	id = send_ok(s, "a@example.test", one, 1, big, big_len, "108 KB");
	check_stored(id, big, big_len, "108 KB", "\"SIZE=", (const char *)NULL);
	free(big);
}

/* A send that must fail: returns the reply for further checks. */
static struct tg_smtp_reply
send_fails(struct tg_smtp *s, const char *from, const char *const *rcpts,
	   size_t n, bool temporary, int code, enum tg_smtp_stage stage,
	   const char *what)
{
	struct tg_smtp_reply reply = {0};
	struct tg_err err = {0};
	int r;

	if (s == NULL)
		return reply;
	r = tg_smtp_send(s, from, rcpts, n, msg1, sizeof(msg1) - 1, &reply,
			 &err);
	expect(r == -1, "%s: sent", what);
	expect(err.temporary == temporary, "%s: temporary=%d, want %d: %s",
	       what, err.temporary, temporary, err.msg);
	expect(reply.code == code && reply.stage == stage &&
		       reply.permanent == (code >= 500 || !temporary),
	       "%s: reply %d stage %d permanent %d, want %d stage %d: %s", what,
	       reply.code, reply.stage, reply.permanent, code, stage, err.msg);
	if (code != 0) {
		char num[8];

		snprintf(num, sizeof(num), "%d", code);
		expect(strstr(err.msg, num) &&
			       strstr(err.msg, env("SMTP_HOST")),
		       "%s: '%s' lacks the code or the host", what, err.msg);
	}
	return reply;
}

/* Refusals at each stage on one session: each leaves it usable, and the
 * next message goes through. */
static void
check_refusals(struct tg_smtp *s)
{
	const char *retry[] = {"retry@example.org"};
	const char *reject[] = {"reject@example.org"};
	const char *nobody[] = {"nobody@example.org"};
	const char *full[] = {"full@example.org"};
	const char *mixed[] = {"fine@example.org", "nobody2@example.org"};
	const char *bad[] = {"a b@example.org"};
	const char *smuggled[] = {"x@example.org>\r\nRSET"};
	struct tg_smtp_reply reply;
	int stored;

	add_fault("rcpt", "retry@*", "451", 1);
	reply = send_fails(s, "support@example.test", retry, 1, true, 451,
			   TG_SMTP_STAGE_RCPT, "451 at RCPT");
	expect(strstr(reply.text, "injected rcpt failure") != NULL,
	       "451 at RCPT: reply text '%s'", reply.text);
	expect(tg_smtp_usable(s), "451 at RCPT: session unusable");
	check_stored(send_ok(s, "support@example.test", retry, 1, msg1,
			     sizeof(msg1) - 1, "retry after 451"),
		     msg1, sizeof(msg1) - 1, "retry after 451",
		     "\"rcpts\": [\"retry@example.org\"]", (const char *)NULL);

	add_fault("data", "reject@*", "554", 1);
	send_fails(s, "support@example.test", reject, 1, false, 554,
		   TG_SMTP_STAGE_END, "554 after DATA");
	add_fault("rcpt", "nobody*", "550", 0);
	send_fails(s, "support@example.test", nobody, 1, false, 550,
		   TG_SMTP_STAGE_RCPT, "550 at RCPT");
	add_fault("mail", "busy@*", "451", 1);
	send_fails(s, "busy@example.test", nobody, 1, true, 451,
		   TG_SMTP_STAGE_MAIL, "451 at MAIL");
	add_fault("data", "full@*", "452", 1);
	send_fails(s, "support@example.test", full, 1, true, 452,
		   TG_SMTP_STAGE_END, "452 after DATA");
	stored = spool_count();
	send_fails(s, "support@example.test", mixed, 2, false, 550,
		   TG_SMTP_STAGE_RCPT, "one of two recipients refused");
	expect(spool_count() == stored, "a partly refused message was stored");
	send_fails(s, "support@example.test", bad, 1, false, 0,
		   TG_SMTP_STAGE_NONE, "bad address");
	send_fails(s, "support@example.test", smuggled, 1, false, 0,
		   TG_SMTP_STAGE_NONE, "CRLF in an address");
	send_fails(s, "support@example.test", bad, 0, false, 0,
		   TG_SMTP_STAGE_NONE, "no recipients");
	expect(tg_smtp_usable(s), "after the refusals: session unusable");
	check_stored(send_ok(s, "support@example.test", mixed, 1, msg1,
			     sizeof(msg1) - 1, "after the refusals"),
		     msg1, sizeof(msg1) - 1, "after the refusals",
		     (const char *)NULL);
}

static int
connections(void)
{
	char path[1024];
	char *log;
	int n = 0;

	snprintf(path, sizeof(path), "%s/connections", env("SMTP_DIR"));
	log = slurp(path, NULL);
	for (const char *p = log; p && *p; p++)
		n += *p == '\n';
	free(log);
	return n;
}

/* Three messages over one session: one connection. */
static void
check_reuse(void)
{
	const char *to[] = {"customer@example.org"};
	struct tg_smtp_opts o = opts(TG_SMTP_STARTTLS, env("SMTP_HOST"));
	int before = connections(), ids[3], session;
	struct tg_smtp *s = open_ok(&o, "reuse");

	for (size_t i = 0; i < TG_N(ids); i++)
		ids[i] = send_ok(s, "support@example.test", to, 1, msg1,
				 sizeof(msg1) - 1, "reuse");
	session = session_of(ids[0]);
	expect(session > 0 && session_of(ids[1]) == session &&
		       session_of(ids[2]) == session,
	       "three messages over sessions %d %d %d", session,
	       session_of(ids[1]), session_of(ids[2]));
	expect(connections() == before + 1, "%d connections for one session",
	       connections() - before);
	tg_smtp_close(&s);
}

/* No answer after the message: the caller cannot know whether it was
 * delivered, and the session is over. */
static void
check_no_answer(void)
{
	const char *to[] = {"slow@example.org"};
	struct tg_smtp_opts o = opts(TG_SMTP_SMTPS, env("SMTP_HOST"));
	struct tg_smtp *s;
	struct tg_smtp_reply reply;

	o.timeout_sec = 1;
	s = open_ok(&o, "no answer");
	add_fault("data", "slow@*", "hang", 1);
	reply = send_fails(s, "support@example.test", to, 1, true, 0,
			   TG_SMTP_STAGE_END, "no answer after the message");
	expect(strstr(reply.text, "no answer") != NULL,
	       "no answer: reply text '%s'", reply.text);
	expect(s && !tg_smtp_usable(s), "no answer: session still usable");
	send_fails(s, "support@example.test", to, 1, true, 0,
		   TG_SMTP_STAGE_NONE, "a session that failed before");
	tg_smtp_close(&s);
}

static int
run_main(void)
{
	struct tg_smtp_opts o = opts(TG_SMTP_STARTTLS, env("SMTP_HOST"));
	struct tg_smtp *s;

	check_security();
	check_auth();
	check_timeouts();
	check_odd_servers();
	s = open_ok(&o, "main session");
	if (s != NULL) {
		check_bytes(s);
		check_refusals(s);
	}
	tg_smtp_close(&s);
	tg_smtp_close(&s); /* twice is harmless */
	check_reuse();
	check_no_answer();
	return tg_test_done();
}

static int
run_broken(void)
{
	const char *to[] = {"customer@example.org"};
	struct tg_smtp_opts o = opts(TG_SMTP_SMTPS, env("SMTP_HOST"));
	struct tg_smtp *s = open_ok(&o, "session to break");
	struct tg_smtp_reply reply;
	char line[64];

	if (s == NULL)
		return tg_test_done();
	send_ok(s, "support@example.test", to, 1, msg1, sizeof(msg1) - 1,
		"before the stop");
	printf("ready\n");
	fflush(stdout);
	expect(fgets(line, sizeof(line), stdin) != NULL, "no go line");
	reply = send_fails(s, "support@example.test", to, 1, true, 0,
			   TG_SMTP_STAGE_MAIL, "sink stopped");
	expect(!tg_smtp_usable(s), "sink stopped: session still usable");
	expect(reply.text[0] != '\0', "sink stopped: no reason given");
	send_fails(s, "support@example.test", to, 1, true, 0,
		   TG_SMTP_STAGE_NONE, "after the failure");
	tg_smtp_close(&s);
	open_fails(&o, true, "sink down", env("SMTP_HOST"), "connect");
	return tg_test_done();
}

static int
run_up(void)
{
	const char *to[] = {"customer@example.org"};
	struct tg_smtp_opts o = opts(TG_SMTP_STARTTLS, env("SMTP_HOST"));
	struct tg_smtp *s = open_ok(&o, "after the restart");
	int before = spool_count();

	check_stored(send_ok(s, "support@example.test", to, 1, msg1,
			     sizeof(msg1) - 1, "after the restart"),
		     msg1, sizeof(msg1) - 1, "after the restart",
		     (const char *)NULL);
	expect(before > 0 && spool_count() == before + 1,
	       "spool had %d, now %d", before, spool_count());
	tg_smtp_close(&s);
	return tg_test_done();
}

int
main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN); /* as the daemon does (see smtp.h) */
	read_password();
	if (strcmp(mode, "main") == 0)
		return run_main();
	if (strcmp(mode, "broken") == 0)
		return run_broken();
	if (strcmp(mode, "up") == 0)
		return run_up();
	fprintf(stderr, "usage: smtp-check main|broken|up\n");
	return 2;
}
