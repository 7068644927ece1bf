/* `ticketgate quarantine list|show ID|reprocess ID|delete ID`: lets an
 * admin inspect quarantined mail and feed it through the ingest pipeline
 * again after a fix. The quarantined bytes are untrusted input: nothing
 * from them reaches the terminal unsanitized unless --raw asks for it. */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/json.h"
#include "ticketgate/pipeline.h"
#include "ticketgate/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define EX_FAIL 1

/* A reason is one line of a listing; longer ones are cut. */
#define REASON_MAX 120

struct quarantine_args {
	const char *action, *conninfo, *config;
	int64_t id;
	bool all, json, raw;
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: ticketgate quarantine [-c CONFIG | --conninfo STR] "
		"list [--all] [--json]\n"
		"       ticketgate quarantine [...] show ID [--raw]\n"
		"       ticketgate quarantine [...] reprocess ID\n"
		"       ticketgate quarantine [...] delete ID\n");
}

/* Accepts only a whole positive decimal number: "12abc" names no entry. */
static int
parse_id(const char *s, int64_t *id_r)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return -1;
	*id_r = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct quarantine_args *a)
{
	const char *id = NULL;

	memset(a, 0, sizeof(*a));
	a->conninfo = getenv("TG_CONNINFO");
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (strcmp(opt, "--conninfo") == 0 && i + 1 < argc)
			a->conninfo = argv[++i];
		else if ((strcmp(opt, "-c") == 0 ||
			  strcmp(opt, "--config") == 0) &&
			 i + 1 < argc)
			a->config = argv[++i];
		else if (strcmp(opt, "--all") == 0)
			a->all = true;
		else if (strcmp(opt, "--json") == 0)
			a->json = true;
		else if (strcmp(opt, "--raw") == 0)
			a->raw = true;
		else if (opt[0] == '-')
			return -1;
		else if (a->action == NULL)
			a->action = opt;
		else if (id == NULL)
			id = opt;
		else
			return -1;
	}
	if (a->action == NULL || (a->conninfo == NULL && a->config == NULL))
		return -1;
	if (strcmp(a->action, "list") == 0)
		return id == NULL && !a->raw ? 0 : -1;
	if (strcmp(a->action, "show") != 0 &&
	    strcmp(a->action, "reprocess") != 0 &&
	    strcmp(a->action, "delete") != 0)
		return -1;
	if (a->all || a->json || (a->raw && strcmp(a->action, "show") != 0))
		return -1;
	if (id == NULL || parse_id(id, &a->id) < 0)
		return -1;
	return 0;
}

/* Copies s into out (REASON_MAX + 1 bytes) with control characters as '?'
 * and cut to REASON_MAX bytes, backing off so no UTF-8 character is cut
 * in half: a reason may quote a hostile header. */
static void
sanitize(const char *s, char *out)
{
	size_t n = 0;

	for (; s[n] != '\0' && n < REASON_MAX; n++) {
		unsigned char c = (unsigned char)s[n];

		out[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s[n] != '\0')
		while (n > 0 && ((unsigned char)out[n] & 0xc0) == 0x80 &&
		       ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	out[n] = '\0';
}

static int
print_line(const struct tg_quarantine_entry *e, void *arg)
{
	char reason[REASON_MAX + 1], src[REASON_MAX + 1], to[REASON_MAX + 1];

	(void)arg;
	sanitize(e->reason, reason);
	sanitize(e->source, src);
	sanitize(e->envelope_to[0] != '\0' ? e->envelope_to : "-", to);
	if (printf("%" PRId64 "\t%s\t%s\t%s\t%zu\t%s%s\n", e->id,
		   e->received_at, src, to, e->size, reason,
		   e->reprocessed_at[0] != '\0' ? "\t(reprocessed)" : "") < 0)
		return -1;
	return 0;
}

struct json_state {
	struct tg_buf out;
	size_t n;
};

static int
add_json(const struct tg_quarantine_entry *e, void *arg)
{
	struct json_state *js = arg;
	struct tg_buf *b = &js->out;

	tg_buf_puts(b, js->n++ == 0 ? "\n  " : ",\n  ");
	tg_buf_appendf(b, "{\"id\": %" PRId64 ", \"received_at\": ", e->id);
	tg_json_cstring(b, e->received_at);
	tg_buf_puts(b, ", \"source\": ");
	tg_json_cstring(b, e->source);
	tg_buf_puts(b, ", \"envelope_to\": ");
	tg_json_cstring(b, e->envelope_to);
	tg_buf_appendf(b, ", \"size\": %zu, \"reason\": ", e->size);
	tg_json_cstring(b, e->reason);
	tg_buf_puts(b, ", \"reprocessed_at\": ");
	tg_json_cstring(b, e->reprocessed_at[0] != '\0' ? e->reprocessed_at
							: NULL);
	tg_buf_putc(b, '}');
	/* the buffer has no cap; an allocation failure aborts in tg_x* */
	return 0;
}

static int
do_list(struct tg_store *st, const struct quarantine_args *a)
{
	struct json_state js = { .n = 0 };
	struct tg_err err;
	int status = EX_OK;

	if (!a->json) {
		if (tg_store_quarantine_list(st, a->all, print_line, NULL,
					     &err) < 0)
			goto fail;
		return EX_OK;
	}
	tg_buf_init(&js.out, 4096, 0);
	tg_buf_putc(&js.out, '[');
	if (tg_store_quarantine_list(st, a->all, add_json, &js, &err) < 0) {
		tg_buf_deinit(&js.out);
		goto fail;
	}
	tg_buf_puts(&js.out, js.n > 0 ? "\n]\n" : "]\n");
	if (fwrite(js.out.data, 1, js.out.len, stdout) != js.out.len)
		status = EX_FAIL;
	tg_buf_deinit(&js.out);
	return status;
fail:
	fprintf(stderr, "quarantine: %s\n", err.msg);
	return err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
}

/* Fetches entry id; prints why not and returns the exit status when it
 * cannot, else returns -1 with *e_r filled. */
static int
fetch(struct tg_store *st, int64_t id, struct tg_quarantine_entry *e_r)
{
	struct tg_err err;
	int found = tg_store_quarantine_get(st, id, e_r, &err);

	if (found < 0) {
		fprintf(stderr, "quarantine: %s\n", err.msg);
		return err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (found == 0) {
		fprintf(stderr, "quarantine: no entry %" PRId64 "\n", id);
		return EX_FAIL;
	}
	return -1;
}

static int
do_show(struct tg_store *st, const struct quarantine_args *a,
	const struct tg_config *cfg)
{
	char reason[REASON_MAX + 1], line[REASON_MAX + 1];
	struct tg_quarantine_entry e;
	struct tg_message *msg;
	struct tg_limits lim;
	struct tg_pool *pool;
	int status = fetch(st, a->id, &e);

	if (status >= 0)
		return status;
	status = EX_OK;
	if (a->raw) {
		/* byte-exact, for piping into another tool or back into
		 * deliver; the metadata would corrupt that */
		if (fwrite(e.raw, 1, e.size, stdout) != e.size ||
		    fflush(stdout) != 0)
			status = EX_FAIL;
		tg_quarantine_entry_free(&e);
		return status;
	}
	sanitize(e.reason, reason);
	printf("id: %" PRId64 "\n", e.id);
	printf("received_at: %s\n", e.received_at);
	sanitize(e.source, line);
	printf("source: %s\n", line);
	sanitize(e.envelope_to, line);
	printf("envelope_to: %s\n", line);
	printf("size: %zu\n", e.size);
	printf("reason: %s\n", reason);
	printf("reprocessed_at: %s\n",
	       e.reprocessed_at[0] != '\0' ? e.reprocessed_at : "-");
	if (cfg != NULL)
		lim = cfg->limits;
	else
		tg_limits_init_default(&lim);
	if (e.size > (cfg != NULL ? cfg->limits.message_bytes
				  : TG_INGEST_MAX_BYTES)) {
		/* the parser never sees what is over the limit */
		printf("summary: not parsed (over size limit)\n");
		goto out;
	}
	pool = tg_pool_new(64 * 1024);
	tg_message_parse(pool, e.raw, e.size, &lim, &msg);
	sanitize(msg->from != NULL ? msg->from->address : "", line);
	printf("from: %s\n", line);
	sanitize(msg->subject, line);
	printf("subject: %s\n", line);
	tg_pool_free(&pool);
out:
	tg_quarantine_entry_free(&e);
	return status;
}

/* Records why the entry still fails; it stays quarantined. */
static int
keep_with_reason(struct tg_store *st, int64_t id, const char *why)
{
	struct tg_err err;

	/* why is printable ASCII (tg_pipeline_result.reason) */
	if (tg_store_quarantine_set_reason(st, id, why, &err) < 0) {
		fprintf(stderr, "quarantine: cannot record reason: %s\n",
			err.msg);
		return err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	fprintf(stderr, "quarantine: %" PRId64 " still quarantined: %s\n", id,
		why);
	return EX_FAIL;
}

/* Feeds the entry through the same pipeline as deliver (parse, prepare,
 * tg_store_ingest). tg_store_ingest() commits its own transaction, so the
 * entry is marked right after the COMMIT: a crash in between leaves it
 * open, and reprocessing it again is harmless because the pipeline
 * stores the same message once (Message-ID and content hash) and reports
 * the ticket it already went to. */
static int
do_reprocess(struct tg_store *st, const struct quarantine_args *a,
	     const struct tg_config *cfg)
{
	struct tg_quarantine_entry e;
	struct tg_pipeline_in in = { .cfg = cfg, .reprocess = true };
	struct tg_pipeline_result res;
	struct tg_err err;
	int status = fetch(st, a->id, &e);

	if (status >= 0)
		return status;
	if (e.reprocessed_at[0] != '\0') {
		fprintf(stderr, "quarantine: %" PRId64 " already reprocessed\n",
			a->id);
		status = EX_FAIL;
		goto out;
	}
	/* the message keeps the source it first came from */
	in.source = e.source;
	in.envelope_to = e.envelope_to;
	if (tg_pipeline_run(st, e.raw, e.size, &in, &res, &err) < 0) {
		fprintf(stderr, "quarantine: temporary failure: %s\n",
			err.msg);
		status = EX_TEMPFAIL;
		goto out;
	}
	if (res.outcome == TG_PIPELINE_QUARANTINED) {
		status = keep_with_reason(st, a->id, res.reason);
		goto out;
	}
	if (tg_store_quarantine_mark_reprocessed(st, a->id, &err) < 0) {
		/* stored but not marked: see the window described above */
		fprintf(stderr, "quarantine: stored as ticket %lld but not "
			"marked: %s\n", (long long)res.ingest.ticket_number,
			err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	printf("%lld\n", (long long)res.ingest.ticket_number);
	fprintf(stderr, "quarantine: %" PRId64 " reprocessed: %s ticket=%lld\n",
		a->id, res.ingest.action, (long long)res.ingest.ticket_number);
	status = EX_OK;
out:
	tg_quarantine_entry_free(&e);
	return status;
}

static int
do_delete(struct tg_store *st, const struct quarantine_args *a)
{
	struct tg_err err;
	int ret = tg_store_quarantine_delete(st, a->id, &err);

	if (ret < 0) {
		fprintf(stderr, "quarantine: %s\n", err.msg);
		return err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
	}
	if (ret == 0) {
		fprintf(stderr, "quarantine: no entry %" PRId64 "\n", a->id);
		return EX_FAIL;
	}
	return EX_OK;
}

int
tg_cmd_quarantine(int argc, char **argv)
{
	struct quarantine_args a;
	struct tg_store *st = NULL;
	struct tg_config *cfg = NULL;
	const char *conninfo, *password = NULL;
	struct tg_err err;
	int status;

	if (parse_args(argc, argv, &a) < 0) {
		usage();
		return EX_USAGE;
	}
	conninfo = a.conninfo;
	if (a.config != NULL) {
		if (tg_cmd_load_config("quarantine", a.config, &cfg) < 0)
			return EX_SOFTWARE;
		if (conninfo == NULL)
			conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (tg_store_open(conninfo, password, &st, &err) < 0) {
		fprintf(stderr, "quarantine: %s\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	if (strcmp(a.action, "list") == 0)
		status = do_list(st, &a);
	else if (strcmp(a.action, "show") == 0)
		status = do_show(st, &a, cfg);
	else if (strcmp(a.action, "reprocess") == 0)
		status = do_reprocess(st, &a, cfg);
	else
		status = do_delete(st, &a);
out:
	tg_store_close(&st);
	tg_config_free(&cfg);
	return status;
}
