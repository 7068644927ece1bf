/* The pipeline's pure half (see pipeline.h): a raw message parsed and
 * prepared for storing, with no I/O, so that a mailbox's fetching thread
 * can do it while another thread stores. store-pipeline.c stores. */
#include "ticketgate/pipeline.h"
#include "ticketgate/config.h"
#include "ticketgate/message.h"
#include "ticketgate/pool.h"

#include <string.h>

const char *
tg_pipeline_limit_name(unsigned limits_hit)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{TG_LIMIT_MESSAGE_BYTES, "over size limit"},
		{TG_LIMIT_HEADER_BYTES, "parser limit: header block size"},
		{TG_LIMIT_HEADER_COUNT, "parser limit: header count"},
		{TG_LIMIT_HEADER_LINE, "parser limit: header field size"},
		{TG_LIMIT_MIME_DEPTH, "parser limit: MIME depth"},
		{TG_LIMIT_MIME_PARTS, "parser limit: MIME part count"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (limits_hit & names[i].bit)
			return names[i].name;
	return NULL;
}

/* What store-ingest needs for this source: the config's limits, and its
 * instance secret as the reply-token key unless one is given. */
void
tg_pipeline_ingest_opts(const struct tg_pipeline_in *in, struct tg_ingest_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->source = in->source;
	o->envelope_to = in->envelope_to;
	o->department = in->department;
	o->cfg = in->cfg;
	o->key = in->key;
	o->keylen = in->keylen;
	if (o->key == NULL && in->cfg != NULL &&
	    in->cfg->instance.secret != NULL) {
		o->key = (const unsigned char *)in->cfg->instance.secret;
		o->keylen = in->cfg->instance.secret_len;
	}
	o->flood_check = !in->reprocess;
}

void
tg_pipeline_prepare(struct tg_pipeline_job *job, const char *raw, size_t len,
		    const struct tg_pipeline_in *in)
{
	memset(job, 0, sizeof(*job));
	job->raw = raw;
	job->len = len;
	job->in = in;
	if (in->cfg != NULL)
		job->lim = in->cfg->limits;
	else
		tg_limits_init_default(&job->lim);
	if (len > job->lim.message_bytes)
		return; /* kept whole, never parsed */
	/* a batch keeps its jobs until stored: blocks in proportion to the
	 * message, not a fixed 64 KiB each */
	job->pool = tg_pool_new(len < 48 * 1024 ? 16 * 1024 : 64 * 1024);
	tg_message_parse(job->pool, raw, len, &job->lim, &job->msg);
	tg_pipeline_ingest_opts(in, &job->opts);
	if (job->opts.envelope_to == NULL && in->n_recipients > 0) {
		job->opts.envelope_to = tg_ingest_recipient(
			job->pool, job->msg, in->recipients, in->n_recipients);
		if (job->opts.envelope_to == NULL)
			job->opts.envelope_to = in->recipients[0];
	}
	tg_ingest_prepare(job->pool, job->msg, raw, len, &job->opts,
			  &job->mail);
}

void
tg_pipeline_job_free(struct tg_pipeline_job *job)
{
	tg_pool_free(&job->pool);
}
