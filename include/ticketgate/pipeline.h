/* The whole ingest pipeline for one raw message, as every source runs it
 * (deliver, the IMAP poller, quarantine reprocess): size check, parse,
 * parser limits, prepare, store; whatever cannot be stored for a
 * permanent reason is quarantined whole. The caller only has to retry
 * when it is told to. */
#ifndef TICKETGATE_PIPELINE_H
#define TICKETGATE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/classify.h"
#include "ticketgate/err.h"
#include "ticketgate/ingest.h"

struct tg_store;
struct tg_config;

/* The largest message a source keeps whole, the quarantine included: a
 * message over the size limit is quarantined whole up to this, and a
 * larger one is refused (the MTA returns it to its sender) rather than
 * kept truncated. */
#define TG_PIPELINE_KEEP_MAX ((size_t)256 * 1024 * 1024)

struct tg_pipeline_in {
	const char *source;      /* "deliver", "imap:<mailbox>", ... */
	const char *envelope_to; /* the support address it came to, or NULL:
				    the first of recipients the message names
				    (tg_ingest_recipient), else recipients[0] */
	const char *const *recipients; /* a folder's addresses */
	size_t n_recipients;
	const char *department;  /* fixed department, or NULL: by account */
	const struct tg_config *cfg; /* or NULL: built-in defaults */
	/* reply-token key, or NULL: the config's instance secret, if any */
	const unsigned char *key;
	size_t keylen;
	/* an admin feeding quarantined mail again: no flood check, and a
	 * verdict to quarantine is returned rather than written */
	bool reprocess;
};

enum tg_pipeline_outcome {
	TG_PIPELINE_STORED,
	TG_PIPELINE_DUPLICATE,
	TG_PIPELINE_QUARANTINED,
};

struct tg_pipeline_result {
	enum tg_pipeline_outcome outcome;
	struct tg_ingest_result ingest; /* when stored or duplicate */
	enum tg_mail_class cls;
	const char *kind; /* quarantined: "size", "limit", "flood", "error" */
	char reason[300]; /* quarantined: why, printable ASCII */
};

/* Runs raw[0..len) through the pipeline. Returns 0 when the message is
 * safe (stored, a duplicate, or quarantined: r->outcome says which), -1
 * when nothing was written and retrying later may succeed (err says
 * why: database down, deadlock, ...). */
TG_MUST_CHECK int tg_pipeline_run(struct tg_store *st, const char *raw,
				  size_t len, const struct tg_pipeline_in *in,
				  struct tg_pipeline_result *r,
				  struct tg_err *err);

/* A message parsed and prepared: the pipeline's half that needs no
 * database, so that a caller may run it apart (the IMAP poller prepares
 * a batch while the one before is stored). raw and in are borrowed. */
struct tg_pipeline_job {
	const char *raw;
	size_t len;
	const struct tg_pipeline_in *in;
	struct tg_limits lim;
	struct tg_pool *pool; /* NULL: over the size limit, not parsed */
	struct tg_message *msg;
	struct tg_ingest_opts opts;
	struct tg_ingest_mail mail;
};

/* tg_pipeline_run() in two halves: prepare (pure), then store, which
 * may run more than once for one job (a batch stored again), then
 * free. */
void tg_pipeline_prepare(struct tg_pipeline_job *job, const char *raw,
			 size_t len, const struct tg_pipeline_in *in);
TG_MUST_CHECK int tg_pipeline_store(struct tg_store *st,
				    const struct tg_pipeline_job *job,
				    struct tg_pipeline_result *r,
				    struct tg_err *err);
void tg_pipeline_job_free(struct tg_pipeline_job *job);

/* What store-ingest needs for in's source: the config's limits, and its
 * instance secret as the reply-token key unless in gives one. */
void tg_pipeline_ingest_opts(const struct tg_pipeline_in *in,
			     struct tg_ingest_opts *o);

/* "over size limit", "parser limit: header count", ...: the first limit
 * in limits_hit (TG_LIMIT_* bits), or NULL when none. Static storage. */
const char *tg_pipeline_limit_name(unsigned limits_hit);

#endif
