/* One raw message through the whole pipeline (see pipeline.h). The rule
 * it keeps: a message leaves here stored, recognised as stored, or
 * quarantined whole with a reason; or nothing was written and the caller
 * is told to retry. Never half of one. */
#include "ticketgate/pipeline.h"
#include "ticketgate/config.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"
#include "ticketgate/store.h"

#include <stdio.h>
#include <string.h>

/* Error text may end in half a multibyte character and holds what a
 * sender wrote: the reason keeps printable ASCII only. */
static void
set_reason(struct tg_pipeline_result *r, const char *kind, const char *prefix,
	   const char *detail)
{
	r->outcome = TG_PIPELINE_QUARANTINED;
	r->kind = kind;
	snprintf(r->reason, sizeof(r->reason), "%s%s", prefix, detail);
	for (char *p = r->reason; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x7f || (unsigned char)*p < 0x20)
			*p = '?';
}

static int
quarantine(struct tg_store *st, const char *raw, size_t len,
	   const struct tg_pipeline_in *in, const char *to, const char *from,
	   const unsigned char sha[32], struct tg_pipeline_result *r,
	   struct tg_err *err)
{
	struct tg_quarantine_item q = {
		.source = in->source,
		.envelope_to = to,
		.from_address = from != NULL ? from : "",
		.kind = r->kind,
		.reason = r->reason,
		.raw = raw,
		.len = len,
		.sha256 = sha,
	};

	if (in->reprocess)
		return 0; /* the caller keeps its entry, with this reason */
	if (tg_store_quarantine_add(st, &q, err) < 0) {
		/* keeping it failed too: only a retry can save it now */
		err->temporary = true;
		return -1;
	}
	return 0;
}

/* The header block's length, so that an oversized message's sender can be
 * read without parsing the rest. */
static size_t
header_length(const char *raw, size_t len)
{
	for (size_t i = 0; i + 1 < len && i < 256 * 1024; i++)
		if (raw[i] == '\n' &&
		    (raw[i + 1] == '\n' ||
		     (raw[i + 1] == '\r' && i + 2 < len && raw[i + 2] == '\n')))
			return i + 1;
	return len < 256 * 1024 ? len : 256 * 1024;
}

/* Tells a person whose message was too large what the limit is; never
 * answers automatic mail (the sender's rules on automatic mail and rate
 * limits apply when it is sent). */
static int
notify_oversize(struct tg_store *st, const char *raw, size_t len,
		const struct tg_pipeline_in *in, const char *to,
		struct tg_err *err)
{
	struct tg_pool *pool = tg_pool_new(16 * 1024);
	struct tg_ingest_opts opts;
	struct tg_ingest_mail mail;
	struct tg_message *msg;
	struct tg_limits lim;
	size_t hlen = header_length(raw, len);
	int ret = 0;

	tg_limits_init_default(&lim);
	tg_message_parse(pool, raw, hlen, &lim, &msg);
	tg_pipeline_ingest_opts(in, &opts);
	opts.envelope_to = to;
	tg_ingest_prepare(pool, msg, raw, hlen, &opts, &mail);
	if (mail.cls.cls == TG_CLASS_NORMAL && mail.from_address[0] != '\0' &&
	    to != NULL)
		ret = tg_store_outbox_notice(
			st, "size_notice", mail.from_address,
			mail.address != NULL ? mail.address->address : to,
			mail.subject, err);
	tg_pool_free(&pool);
	return ret;
}

/* Over the size limit: quarantined whole, unparsed, so the folder's
 * first address stands for all; its sender is told the limit. */
static int
store_oversize(struct tg_store *st, const struct tg_pipeline_job *job,
	       struct tg_pipeline_result *r, struct tg_err *err)
{
	const struct tg_pipeline_in *in = job->in;
	const char *to = in->envelope_to;
	unsigned char sha[32];

	if (to == NULL && in->n_recipients > 0)
		to = in->recipients[0];
	tg_ingest_sha256(job->raw, job->len, sha);
	set_reason(r, "size", "over size limit", "");
	if (quarantine(st, job->raw, job->len, in, to, NULL, sha, r, err) < 0)
		return -1;
	if (!in->reprocess &&
	    notify_oversize(st, job->raw, job->len, in, to, err) < 0) {
		err->temporary = true;
		return -1;
	}
	return 0;
}

int
tg_pipeline_store(struct tg_store *st, const struct tg_pipeline_job *job,
		  struct tg_pipeline_result *r, struct tg_err *err)
{
	const struct tg_ingest_mail *mail = &job->mail;
	const char *limit;

	memset(r, 0, sizeof(*r));
	if (job->pool == NULL)
		return store_oversize(st, job, r, err);
	r->cls = mail->cls.cls;
	limit = tg_pipeline_limit_name(job->msg->limits_hit);
	if (limit != NULL) {
		/* what the parser kept is not the whole message */
		set_reason(r, "limit", limit, "");
		return quarantine(st, job->raw, job->len, job->in,
				  mail->envelope_to, mail->from_address,
				  mail->raw_sha256, r, err);
	}
	if (tg_store_ingest(st, mail, &r->ingest, err) < 0) {
		if (err->temporary)
			return -1;
		set_reason(r, "error", "store failed: ", err->msg);
		return quarantine(st, job->raw, job->len, job->in,
				  mail->envelope_to, mail->from_address,
				  mail->raw_sha256, r, err);
	}
	if (r->ingest.flooded) {
		/* written by the store in its own transaction */
		r->outcome = TG_PIPELINE_QUARANTINED;
		r->kind = "flood";
		snprintf(r->reason, sizeof(r->reason),
			 "flood: more than %u messages from one sender in %u "
			 "minutes",
			 mail->flood_messages, mail->flood_minutes);
	} else {
		r->outcome = r->ingest.duplicate ? TG_PIPELINE_DUPLICATE
						 : TG_PIPELINE_STORED;
	}
	return 0;
}

int
tg_pipeline_run(struct tg_store *st, const char *raw, size_t len,
		const struct tg_pipeline_in *in, struct tg_pipeline_result *r,
		struct tg_err *err)
{
	struct tg_pipeline_job job;
	int ret;

	tg_pipeline_prepare(&job, raw, len, in);
	ret = tg_pipeline_store(st, &job, r, err);
	tg_pipeline_job_free(&job);
	return ret;
}
