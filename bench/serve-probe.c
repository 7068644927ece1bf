/* The measuring side of bench/serve.sh, linked against the daemon's own
 * IMAP client (libtgshell) and libpq:
 *   serve-probe fetch BATCH [FOLDER]
 *       the bare IMAP ceiling: logs in as the daemon does, UID SEARCH, then
 *       UID FETCH BODY.PEEK[] in batches of BATCH, doing nothing with the
 *       messages; prints "messages bytes seconds". With FOLDER, each batch
 *       is then moved there, as the daemon does after its commit.
 *   serve-probe insert CONNINFO BATCH DIR
 *       the bare database ceiling: reads DIR's files into memory, then
 *       INSERTs each one's bytes (binary bytea parameter) into a fresh
 *       table, one transaction of BATCH rows at a time; prints the same
 *   serve-probe latency CONNINFO INTERVAL_MS DIR
 *       APPENDs DIR's files to INBOX one at a time, INTERVAL_MS apart, and
 *       hears each commit through LISTEN (bench/serve.sh adds a trigger on
 *       message that NOTIFYs its Message-ID; a notification is delivered
 *       only when the transaction commits); prints one line per message:
 *       "append_ms commit_after_append_ok_ms commit_after_append_sent_ms"
 *   serve-probe idle COUNT
 *       how long the server takes to wake an IDLE session after another
 *       session's APPEND (the daemon's own IDLE code, on a mailbox no
 *       daemon reads); prints one "ms" line per APPEND
 * The IMAP side comes from the environment: TGB_HOST, TGB_PORT, TGB_CA,
 * TGB_USER, TGB_PASSWORD_FILE (IMAPS). */
#include "ticketgate/imap.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
die(const char *fmt, const char *a)
{
	fprintf(stderr, "serve-probe: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		die("%s is not set", name);
	return v;
}

/* A whole file, NUL-terminated for convenience. */
static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *buf;

	if (f == NULL || fstat(fileno(f), &sb) < 0)
		die("cannot open %s", path);
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL ||
	    fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
		die("cannot read %s", path);
	buf[sb.st_size] = '\0';
	fclose(f);
	*len_r = (size_t)sb.st_size;
	return buf;
}

struct files {
	char **data;
	size_t *len;
	size_t n;
};

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* DIR's regular files in name order (the order the generator meant). */
static void
read_dir(const char *dir, struct files *fs)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;

	if (d == NULL)
		die("cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				die("%s", "out of memory");
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	fs->data = calloc(n ? n : 1, sizeof(*fs->data));
	fs->len = calloc(n ? n : 1, sizeof(*fs->len));
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		fs->data[i] = slurp(path, &fs->len[i]);
		free(names[i]);
	}
	free(names);
	fs->n = n;
}

static struct tg_imap *
imap_login(void)
{
	static char password[256];
	struct tg_imap_opts o = {
		.host = env("TGB_HOST"),
		.port = env("TGB_PORT"),
		.security = TG_IMAP_IMAPS,
		.ca_file = env("TGB_CA"),
		.verify = true,
		.user = env("TGB_USER"),
		.auth = TG_IMAP_AUTH_LOGIN,
		.timeout_sec = 30,
	};
	FILE *f = fopen(env("TGB_PASSWORD_FILE"), "r");
	struct tg_imap *im;
	struct tg_err err = {0};
	size_t n;

	if (f == NULL)
		die("cannot open %s", env("TGB_PASSWORD_FILE"));
	n = fread(password, 1, sizeof(password) - 1, f);
	password[n] = '\0';
	fclose(f);
	o.password = password;
	if (tg_imap_open(&o, &im, &err) < 0)
		die("IMAP login: %s", err.msg);
	return im;
}

struct tally {
	size_t messages, bytes;
};

static int
count_message(void *ctx, uint32_t uid, const char *raw, size_t len)
{
	struct tally *t = ctx;

	(void)uid;
	(void)raw;
	t->messages++;
	t->bytes += len;
	return 0;
}

static int
cmd_fetch(int argc, char **argv)
{
	size_t batch, n = 0;
	uint32_t *uids = NULL, v, next;
	struct tally t = {0};
	struct tg_err err = {0};
	struct tg_imap *im;
	double t0;

	if (argc != 3 && argc != 4)
		die("%s", "usage: serve-probe fetch BATCH [FOLDER]");
	batch = strtoul(argv[2], NULL, 10);
	t0 = now_s();
	im = imap_login();
	if (tg_imap_select(im, "INBOX", &v, &next, &err) < 0 ||
	    tg_imap_search_from(im, 1, &uids, &n, &err) < 0)
		die("IMAP: %s", err.msg);
	for (size_t i = 0; i < n; i += batch) {
		size_t k = n - i < batch ? n - i : batch;

		if (tg_imap_fetch(im, uids + i, k, count_message, &t, &err) < 0 ||
		    (argc == 4 &&
		     tg_imap_move(im, uids + i, k, argv[3], &err) < 0))
			die("IMAP: %s", err.msg);
	}
	tg_imap_close(&im);
	printf("%zu %zu %.3f\n", t.messages, t.bytes, now_s() - t0);
	free(uids);
	return 0;
}

static PGconn *
pg_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);

	if (PQstatus(c) != CONNECTION_OK)
		die("database: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

static void
pg_do(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("database: %s", PQerrorMessage(c));
	PQclear(r);
}

static int
cmd_insert(int argc, char **argv)
{
	static const char sql[] = "INSERT INTO bench_raw (raw) VALUES ($1)";
	struct files fs;
	size_t batch, bytes = 0;
	PGconn *c;
	double t0;

	if (argc != 5)
		die("%s", "usage: serve-probe insert CONNINFO BATCH DIR");
	batch = strtoul(argv[3], NULL, 10);
	read_dir(argv[4], &fs);
	c = pg_connect(argv[2]);
	pg_do(c, "DROP TABLE IF EXISTS bench_raw");
	pg_do(c, "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, "
		 "raw bytea NOT NULL)");
	t0 = now_s();
	for (size_t i = 0; i < fs.n; i++) {
		const char *vals[1] = {fs.data[i]};
		const int lens[1] = {(int)fs.len[i]}, fmts[1] = {1};
		PGresult *r;

		if (i % batch == 0)
			pg_do(c, "BEGIN");
		r = PQexecParams(c, sql, 1, NULL, vals, lens, fmts, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			die("database: %s", PQerrorMessage(c));
		PQclear(r);
		bytes += fs.len[i];
		if (i % batch == batch - 1 || i + 1 == fs.n)
			pg_do(c, "COMMIT");
	}
	printf("%zu %zu %.3f\n", fs.n, bytes, now_s() - t0);
	pg_do(c, "DROP TABLE bench_raw");
	PQfinish(c);
	return 0;
}

/* The Message-ID of a generated message, without <>, as the message table
 * keeps it. */
static char *
message_id(const char *raw)
{
	const char *p = strstr(raw, "\r\nMessage-ID: <"), *e;

	if (p == NULL)
		die("%s", "a latency message has no Message-ID");
	p += strlen("\r\nMessage-ID: <");
	e = strchr(p, '>');
	return strndup(p, (size_t)(e - p));
}

/* The commits heard through LISTEN, by a thread of their own, so that a
 * commit is timed when it is announced even while an APPEND is under way
 * (with wake-up hints the daemon may commit before the APPEND's OK). */
struct hearer {
	PGconn *c;
	char **ids;
	double *seen; /* 0 until heard; read by main only after the join */
	size_t n;
	atomic_size_t heard;
	atomic_bool stop;
};

static void
take_notifies(struct hearer *h)
{
	PGnotify *nt;

	if (!PQconsumeInput(h->c))
		die("database: %s", PQerrorMessage(h->c));
	while ((nt = PQnotifies(h->c)) != NULL) {
		double t = now_s();

		for (size_t i = 0; i < h->n; i++)
			if (h->seen[i] == 0 && strcmp(h->ids[i], nt->extra) == 0) {
				h->seen[i] = t;
				atomic_fetch_add(&h->heard, 1);
				break;
			}
		PQfreemem(nt);
	}
}

static void *
hear_main(void *arg)
{
	struct hearer *h = arg;

	while (!atomic_load(&h->stop)) {
		struct pollfd p = {.fd = PQsocket(h->c), .events = POLLIN};

		if (poll(&p, 1, 20) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		take_notifies(h);
	}
	return NULL;
}

static void
sleep_until(double t)
{
	double left = t - now_s();
	struct timespec ts;

	if (left <= 0)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static int
cmd_latency(int argc, char **argv)
{
	struct files fs;
	struct tg_err err = {0};
	struct tg_imap *im;
	struct hearer h = {0};
	pthread_t hear;
	double interval, start, *sent, *ok;
	size_t missing = 0;

	if (argc != 5)
		die("%s", "usage: serve-probe latency CONNINFO INTERVAL_MS DIR");
	interval = strtod(argv[3], NULL) / 1000;
	read_dir(argv[4], &fs);
	h.n = fs.n;
	h.ids = calloc(fs.n, sizeof(*h.ids));
	h.seen = calloc(fs.n, sizeof(*h.seen));
	sent = calloc(fs.n, sizeof(*sent));
	ok = calloc(fs.n, sizeof(*ok));
	for (size_t i = 0; i < fs.n; i++)
		h.ids[i] = message_id(fs.data[i]);
	h.c = pg_connect(argv[2]);
	pg_do(h.c, "LISTEN tg_bench_commit");
	atomic_init(&h.heard, 0);
	atomic_init(&h.stop, false);
	if (pthread_create(&hear, NULL, hear_main, &h) != 0)
		die("%s", "cannot start a thread");
	im = imap_login();
	start = now_s();
	for (size_t i = 0; i < fs.n; i++) {
		sleep_until(start + (double)i * interval);
		sent[i] = now_s();
		if (tg_imap_append(im, "INBOX", fs.data[i], fs.len[i], &err) < 0)
			die("IMAP: %s", err.msg);
		ok[i] = now_s();
	}
	/* the last ones get 10 s, far beyond any target */
	for (double until = now_s() + 10;
	     now_s() < until && atomic_load(&h.heard) < fs.n;)
		sleep_until(now_s() + 0.02);
	atomic_store(&h.stop, true);
	pthread_join(hear, NULL);
	for (size_t i = 0; i < fs.n; i++) {
		if (h.seen[i] == 0) {
			missing++;
			printf("%.3f never never\n", (ok[i] - sent[i]) * 1000);
		} else {
			printf("%.3f %.3f %.3f\n", (ok[i] - sent[i]) * 1000,
			       (h.seen[i] - ok[i]) * 1000,
			       (h.seen[i] - sent[i]) * 1000);
		}
	}
	tg_imap_close(&im);
	PQfinish(h.c);
	return missing > 0;
}

struct idler {
	struct tg_imap *im;
	int wake[2];
	int ready[2];
	double woke;
	int failed;
};

/* One IDLE round per APPEND: says it is ready, waits, notes the time. */
static void *
idler_main(void *arg)
{
	struct idler *d = arg;
	struct tg_err err = {0};
	bool activity;
	char go;

	while (read(d->ready[0], &go, 1) == 1 && go == 'g') {
		uint32_t *uids = NULL;
		size_t n = 0;

		if (tg_imap_idle(d->im, 10000, d->wake[0], -1, &activity, &err) <
		    0) {
			d->failed = 1;
			fprintf(stderr, "serve-probe: IDLE: %s\n", err.msg);
		}
		d->woke = activity ? now_s() : 0;
		/* as the daemon does after a wake-up */
		if (!d->failed &&
		    tg_imap_search_from(d->im, 1, &uids, &n, &err) < 0)
			d->failed = 1;
		free(uids);
		if (write(d->ready[0], "d", 1) != 1)
			d->failed = 1;
	}
	return NULL;
}

static int
cmd_idle(int argc, char **argv)
{
	static const char msg[] = "From: idle@client.example\r\n"
				  "To: security@example.com\r\n"
				  "Subject: wake up\r\n\r\nIDLE probe\r\n";
	struct idler d = {0};
	struct tg_err err = {0};
	struct tg_imap *im;
	pthread_t th;
	uint32_t v, next;
	int count;
	char c;

	if (argc != 3)
		die("%s", "usage: serve-probe idle COUNT");
	count = atoi(argv[2]);
	d.im = imap_login();
	im = imap_login();
	if (pipe(d.wake) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, d.ready) < 0)
		die("%s", "pipe");
	if (tg_imap_select(d.im, "INBOX", &v, &next, &err) < 0)
		die("IMAP: %s", err.msg);
	pthread_create(&th, NULL, idler_main, &d);
	for (int i = 0; i < count; i++) {
		double t;

		if (write(d.ready[1], "g", 1) != 1)
			die("%s", "write");
		/* let it reach the server's "+ idling" */
		usleep(200000);
		if (tg_imap_append(im, "INBOX", msg, sizeof(msg) - 1, &err) < 0)
			die("IMAP: %s", err.msg);
		t = now_s();
		if (read(d.ready[1], &c, 1) != 1 || d.failed)
			die("%s", "the IDLE session failed");
		printf(d.woke > 0 ? "%.3f\n" : "timeout\n", (d.woke - t) * 1000);
	}
	close(d.ready[1]);
	pthread_join(th, NULL);
	tg_imap_close(&im);
	tg_imap_close(&d.im);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "fetch") == 0)
		return cmd_fetch(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "insert") == 0)
		return cmd_insert(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "latency") == 0)
		return cmd_latency(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "idle") == 0)
		return cmd_idle(argc, argv);
	fprintf(stderr, "usage: serve-probe fetch|insert|latency|idle ...\n");
	return 2;
}
