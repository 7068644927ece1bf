/* `ticketgate deliver`, the direct path: stores one message through the
 * ingest pipeline itself. The front binary (front-deliver.c) comes here
 * when it cannot hand the message to a running daemon over LMTP. Exits 0
 * only after the commit; 75 (EX_TEMPFAIL) makes the MTA retry. Reads
 * untrusted input. */
#include "cmd.h"
#include "deliver.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The secret is a small file; a longer one is a mistake worth reporting. */
#define SECRET_MAX 4096

static int
read_file(const char *path, size_t max, struct tg_buf *out)
{
	FILE *f = fopen(path, "rbe");
	int ret, e;

	if (f == NULL)
		return -1;
	ret = tg_deliver_read_all(f, max, out);
	e = errno;
	fclose(f);
	errno = e;
	return ret;
}

/* Runs the pipeline: stored, a duplicate or quarantined all end in exit 0
 * (the mail is safe here); only a failure worth retrying gives 75. */
static int
store_message(struct tg_store *st, const struct tg_deliver_args *a,
	      const struct tg_config *cfg, const struct tg_buf *raw,
	      const struct tg_buf *secret)
{
	struct tg_pipeline_in in = {
		.source = "deliver",
		.envelope_to = a->to,
		.department = a->department,
		.cfg = cfg,
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
		return TG_EX_TEMPFAIL;
	}
	if (res.outcome == TG_PIPELINE_QUARANTINED)
		fprintf(stderr, "deliver: quarantined: %s bytes=%zu\n",
			res.reason, raw->len);
	else
		fprintf(stderr, "deliver: %s ticket=%lld class=%s\n",
			res.ingest.action, (long long)res.ingest.ticket_number,
			tg_mail_class_name(res.cls));
	return TG_EX_OK;
}

int
tg_cmd_deliver(int argc, char **argv)
{
	struct tg_deliver_args a;
	struct tg_store *st = NULL;
	struct tg_config *cfg = NULL;
	const char *conninfo, *password = NULL;
	size_t max_bytes = TG_INGEST_MAX_BYTES; /* larger are quarantined */
	struct tg_buf raw, secret;
	struct tg_err err;
	FILE *f = NULL;
	int status = TG_EX_OK;

	if (tg_deliver_parse_args(argc, argv, &a) < 0) {
		tg_deliver_usage();
		return TG_EX_USAGE;
	}
	conninfo = a.conninfo;
	tg_buf_init(&raw, 64 * 1024, TG_PIPELINE_KEEP_MAX);
	tg_buf_init(&secret, 64, SECRET_MAX + 1);
	if (a.config != NULL) {
		if (tg_cmd_load_config("deliver", a.config, &cfg) < 0) {
			/* a broken config is fixed by the admin: the mail
			 * waits at the MTA meanwhile */
			status = TG_EX_TEMPFAIL;
			goto out;
		}
		max_bytes = cfg->limits.message_bytes;
		if (conninfo == NULL)
			conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (a.secret_file != NULL &&
	    (read_file(a.secret_file, SECRET_MAX, &secret) < 0 ||
	     secret.len > SECRET_MAX || secret.len == 0)) {
		fprintf(stderr, "deliver: %s: unreadable or bad secret\n",
			a.secret_file);
		/* a setup mistake the admin fixes: the mail waits at the
		 * MTA instead of bouncing */
		status = TG_EX_TEMPFAIL;
		goto out;
	}
	/* a trailing newline is part of no secret */
	while (secret.len > 0 && (secret.data[secret.len - 1] == '\n' ||
				  secret.data[secret.len - 1] == '\r'))
		secret.data[--secret.len] = '\0';
	f = a.file == NULL ? stdin : fopen(a.file, "rbe");
	if (f == NULL || tg_deliver_read_all(f, max_bytes, &raw) < 0 ||
	    (raw.len > max_bytes &&
	     tg_deliver_read_all(f, TG_PIPELINE_KEEP_MAX, &raw) < 0)) {
		fprintf(stderr, "deliver: %s: %s\n", a.file ? a.file : "stdin",
			raw.overflow ? "too large even for the quarantine"
				     : strerror(errno));
		/* too large to keep at all: the MTA bounces it to the
		 * sender, so it is not dropped silently; a read error may
		 * pass */
		status = raw.overflow || raw.len > TG_PIPELINE_KEEP_MAX
				 ? TG_EX_UNAVAILABLE
				 : TG_EX_TEMPFAIL;
		goto out;
	}
	if (raw.len > TG_PIPELINE_KEEP_MAX) {
		fprintf(stderr, "deliver: too large even for the quarantine\n");
		status = TG_EX_UNAVAILABLE;
		goto out;
	}
	if (tg_store_open(conninfo, password, &st, &err) < 0) {
		fprintf(stderr, "deliver: %s\n", err.msg);
		status = err.temporary ? TG_EX_TEMPFAIL : TG_EX_SOFTWARE;
		goto out;
	}
	tg_store_one_shot(st); /* this connection serves one message */
	status = store_message(st, &a, cfg, &raw, &secret);
out:
	if (f != NULL && f != stdin)
		fclose(f);
	tg_store_close(&st);
	tg_config_free(&cfg);
	tg_buf_deinit(&raw);
	tg_buf_deinit(&secret);
	return status;
}
