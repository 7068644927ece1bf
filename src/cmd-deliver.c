/* `ticketgate deliver --to ADDRESS [FILE]`: the MTA pipe. Reads one
 * message, hands it to the daemon over LMTP when the configuration names
 * a socket that answers, else stores it through the ingest pipeline
 * itself; exits 0 only after the commit, 75 (EX_TEMPFAIL) makes the MTA
 * retry. Reads untrusted input. */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/lmtp.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EX_OK 0
#define EX_USAGE 64
#define EX_NOUSER 67
#define EX_SOFTWARE 70
/* a message over TG_PIPELINE_KEEP_MAX: the MTA bounces it rather than
 * anything keeping a truncated copy */
#define EX_UNAVAILABLE 69
#define EX_TEMPFAIL 75

/* The secret is a small file; a longer one is a mistake worth reporting. */
#define SECRET_MAX 4096

/* Reads until out holds max + 1 bytes or the input ends, so that an
 * oversized message is seen as such; never reads past what it keeps, so
 * a later call continues where this one stopped. */
static int
read_all(FILE *f, size_t max, struct tg_buf *out)
{
	char chunk[65536];
	size_t n, want;

	while (out->len <= max) {
		want = max + 1 - out->len;
		if (want > sizeof(chunk))
			want = sizeof(chunk);
		n = fread(chunk, 1, want, f);
		if (n == 0)
			break;
		if (tg_buf_append(out, chunk, n) < 0)
			return -1;
	}
	return ferror(f) ? -1 : 0;
}

static int
read_file(const char *path, size_t max, struct tg_buf *out)
{
	FILE *f = path == NULL ? stdin : fopen(path, "rb");
	int ret, e;

	if (f == NULL)
		return -1;
	ret = read_all(f, max, out);
	e = errno;
	if (f != stdin)
		fclose(f);
	errno = e;
	return ret;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: ticketgate deliver --to ADDRESS [--from SENDER] "
		"[--conninfo STR] [-c CONFIG] [--department NAME] "
		"[--secret-file FILE] [--direct] [FILE]\n");
}

struct deliver_args {
	const char *to, *conninfo, *department, *secret_file, *file;
	const char *config;
	const char *from;            /* the envelope sender for LMTP, or NULL */
	bool direct;                 /* never through the daemon */
	const struct tg_config *cfg; /* loaded from config, or NULL */
	size_t max_bytes;            /* larger messages are quarantined */
};

static int
parse_args(int argc, char **argv, struct deliver_args *a)
{
	memset(a, 0, sizeof(*a));
	a->conninfo = getenv("TG_CONNINFO");
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--to") == 0 && i + 1 < argc)
			a->to = argv[++i];
		else if (strcmp(opt, "--conninfo") == 0 && i + 1 < argc)
			a->conninfo = argv[++i];
		else if (strcmp(opt, "--department") == 0 && i + 1 < argc)
			a->department = argv[++i];
		else if ((strcmp(opt, "-c") == 0 ||
			  strcmp(opt, "--config") == 0) &&
			 i + 1 < argc)
			a->config = argv[++i];
		else if (strcmp(opt, "--secret-file") == 0 && i + 1 < argc)
			a->secret_file = argv[++i];
		else if (strcmp(opt, "--from") == 0 && i + 1 < argc)
			a->from = argv[++i];
		else if (strcmp(opt, "--direct") == 0)
			a->direct = true;
		else if (opt[0] == '-' && strcmp(opt, "-") != 0)
			return -1;
		else if (a->file == NULL)
			a->file = strcmp(opt, "-") == 0 ? NULL : opt;
		else
			return -1;
	}
	if (a->to == NULL || a->to[0] == '\0' ||
	    (a->conninfo == NULL && a->config == NULL))
		return -1;
	return 0;
}

/* Runs the pipeline: stored, a duplicate or quarantined all end in exit 0
 * (the mail is safe here); only a failure worth retrying gives 75. */
static int
store_message(struct tg_store *st, const struct deliver_args *a,
	      const struct tg_buf *raw, const struct tg_buf *secret)
{
	struct tg_pipeline_in in = {
		.source = "deliver",
		.envelope_to = a->to,
		.department = a->department,
		.cfg = a->cfg,
	};
	struct tg_pipeline_result res;
	struct tg_err err;

	if (secret->len > 0) {
		in.key = (const unsigned char *)secret->data;
		in.keylen = secret->len;
	}
	if (tg_pipeline_run(st, tg_buf_cstr(raw), raw->len, &in, &res,
			    &err) < 0) {
		fprintf(stderr, "deliver: temporary failure: %s\n", err.msg);
		return EX_TEMPFAIL;
	}
	if (res.outcome == TG_PIPELINE_QUARANTINED)
		fprintf(stderr, "deliver: quarantined: %s bytes=%zu\n",
			res.reason, raw->len);
	else
		fprintf(stderr, "deliver: %s ticket=%lld class=%s\n",
			res.ingest.action, (long long)res.ingest.ticket_number,
			tg_mail_class_name(res.cls));
	return EX_OK;
}

/* An envelope address fit for "<...>" on one command line; anything else
 * is sent as the null sender (the pipeline reads the header's From). */
static const char *
lmtp_sender(const char *from)
{
	if (from == NULL || strlen(from) > 256 ||
	    strpbrk(from, "<> \t\r\n") != NULL)
		return "";
	return from;
}

/* Hands the message to the daemon when one listens. Returns the exit
 * status, or -1 to store it here: no lmtp group, --direct, options the
 * daemon cannot be told (--department, --secret-file, --conninfo), an
 * address the configuration does not know (stored here as before), a
 * message over the size limit, or nobody answering or greeting on the
 * socket. Once the conversation began, only the daemon's verdict counts:
 * 250 is the commit, 5xx to RCPT is 67 (the MTA bounces), anything else
 * 75. */
static int
hand_over(const struct deliver_args *a, const struct tg_buf *raw,
	  bool conninfo_given)
{
	const struct tg_config_lmtp *lc = a->cfg != NULL ? a->cfg->lmtp : NULL;
	char reply[300];

	if (lc == NULL || a->direct || a->department != NULL ||
	    a->secret_file != NULL || conninfo_given ||
	    !tg_lmtp_recipient_known(a->cfg, a->to))
		return -1;
	/* an oversized message is quarantined from here, where it is read
	 * whole already, rather than sent over the socket */
	if (raw->len > a->max_bytes)
		return -1;
	switch (tg_lmtp_send(lc->socket, lmtp_sender(a->from), a->to,
			     tg_buf_cstr(raw), raw->len,
			     (int)lc->timeout_seconds, reply, sizeof(reply))) {
	case TG_LMTP_SENT:
		fprintf(stderr, "deliver: handed over by lmtp: %s\n", reply);
		return EX_OK;
	case TG_LMTP_UNAVAILABLE:
		fprintf(stderr,
			"deliver: %s: %s; storing the message directly\n",
			lc->socket, reply);
		return -1;
	case TG_LMTP_NO_SUCH_USER:
		fprintf(stderr, "deliver: refused by lmtp: %s\n", reply);
		return EX_NOUSER;
	case TG_LMTP_TEMPFAIL:
	case TG_LMTP_REFUSED:
	default:
		/* never lost: the MTA keeps it and tries again */
		fprintf(stderr, "deliver: lmtp: %s\n", reply);
		return EX_TEMPFAIL;
	}
}

int
tg_cmd_deliver(int argc, char **argv)
{
	struct deliver_args a;
	struct tg_store *st = NULL;
	struct tg_config *cfg = NULL;
	const char *password = NULL;
	struct tg_buf raw, secret;
	struct tg_err err;
	FILE *f = NULL;
	int status = EX_OK;
	bool conninfo_given;

	if (parse_args(argc, argv, &a) < 0) {
		usage();
		return EX_USAGE;
	}
	conninfo_given = a.conninfo != NULL;
	tg_buf_init(&raw, 64 * 1024, TG_PIPELINE_KEEP_MAX);
	tg_buf_init(&secret, 64, SECRET_MAX + 1);
	a.max_bytes = TG_INGEST_MAX_BYTES;
	if (a.config != NULL) {
		if (tg_cmd_load_config("deliver", a.config, &cfg) < 0) {
			/* a broken config is fixed by the admin: the mail
			 * waits at the MTA meanwhile */
			status = EX_TEMPFAIL;
			goto out;
		}
		a.cfg = cfg;
		a.max_bytes = cfg->limits.message_bytes;
		if (a.conninfo == NULL)
			a.conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (a.secret_file != NULL &&
	    (read_file(a.secret_file, SECRET_MAX, &secret) < 0 ||
	     secret.len > SECRET_MAX || secret.len == 0)) {
		fprintf(stderr, "deliver: %s: unreadable or bad secret\n",
			a.secret_file);
		/* a setup mistake the admin fixes: the mail waits at the
		 * MTA instead of bouncing */
		status = EX_TEMPFAIL;
		goto out;
	}
	/* a trailing newline is part of no secret */
	while (secret.len > 0 && (secret.data[secret.len - 1] == '\n' ||
				  secret.data[secret.len - 1] == '\r'))
		secret.data[--secret.len] = '\0';
	f = a.file == NULL ? stdin : fopen(a.file, "rb");
	if (f == NULL || read_all(f, a.max_bytes, &raw) < 0 ||
	    (raw.len > a.max_bytes &&
	     read_all(f, TG_PIPELINE_KEEP_MAX, &raw) < 0)) {
		fprintf(stderr, "deliver: %s: %s\n", a.file ? a.file : "stdin",
			raw.overflow ? "too large even for the quarantine"
				     : strerror(errno));
		/* too large to keep at all: the MTA bounces it to the
		 * sender, so it is not dropped silently; a read error may
		 * pass */
		status = raw.overflow || raw.len > TG_PIPELINE_KEEP_MAX
				 ? EX_UNAVAILABLE
				 : EX_TEMPFAIL;
		goto out;
	}
	if (raw.len > TG_PIPELINE_KEEP_MAX) {
		fprintf(stderr, "deliver: too large even for the quarantine\n");
		status = EX_UNAVAILABLE;
		goto out;
	}
	status = hand_over(&a, &raw, conninfo_given);
	if (status >= 0)
		goto out;
	status = EX_OK;
	if (tg_store_open(a.conninfo, password, &st, &err) < 0) {
		fprintf(stderr, "deliver: %s\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	tg_store_one_shot(st); /* this connection serves one message */
	status = store_message(st, &a, &raw, &secret);
out:
	if (f != NULL && f != stdin)
		fclose(f);
	tg_store_close(&st);
	tg_config_free(&cfg);
	tg_buf_deinit(&raw);
	tg_buf_deinit(&secret);
	return status;
}
