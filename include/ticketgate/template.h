/* Templates of the mail the gateway writes (acknowledgements, feedback
 * requests, notices, relayed replies): files under a directory such as
 * conf/templates/, one folder per language or per support address.
 *
 *   <dir>/<lang>/<name>.txt      "Subject: ..." line, a blank line, body
 *   <dir>/<lang>/<name>.html     optional HTML alternative of the body
 *   <dir>/<address>/<name>.txt   an address's own wording, which wins
 *
 * Names: ack, feedback, size-notice, reply, command-error. Placeholders
 * are "{{name}}" (blanks inside allowed) from a fixed list; "{{" has no
 * escape. Files are UTF-8 (LF or CRLF), at most TG_TEMPLATE_MAX_BYTES. */
#ifndef TICKETGATE_TEMPLATE_H
#define TICKETGATE_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/err.h"
#include "ticketgate/pool.h"
#include "ticketgate/util.h"

#define TG_TEMPLATE_MAX_BYTES (64 * 1024)

/* A placeholder's value; name without braces. */
struct tg_template_var {
	const char *name;
	const char *value; /* UTF-8; NULL renders as empty */
};

/* A rendered template; pool strings. */
struct tg_template_out {
	const char *subject; /* placeholders filled in, no token added */
	const char *text;    /* body, LF line endings */
	const char *html;    /* NULL when there is no .html beside the .txt */
	const char *file;    /* the .txt used, for log lines */
};

/* Whether name is a template name (ack, feedback ...), or a placeholder
 * templates may use (ticket_number, subject, customer_name, department,
 * first_response_due, resolution_due, size_limit, agent_text ...). */
bool tg_template_name_known(const char *name);
bool tg_template_placeholder_known(const char *name);

/* A template directory's files, read once (at the sender's start or a
 * reload), so that composing a mail does no file I/O. Files that cannot
 * be read are remembered with the reason, which rendering reports. */
struct tg_templates;

/* Reads every <folder>/<name>.txt and .html under dir. -1 with err only
 * when dir itself cannot be listed. */
TG_MUST_CHECK int tg_templates_load(const char *dir,
				    struct tg_templates **set_r,
				    struct tg_err *err);
/* Frees the set; sets *setp to NULL; accepts NULL. */
void tg_templates_free(struct tg_templates **setp);

/* Renders template name for a mail from address (or NULL) in language
 * lang ("pt", "pt-BR", or NULL): the first of <address>/, <lang>/, the
 * language without its region, en/ that holds <name>.txt. Values of vars
 * (the first one of a name counts) go into the text as they are and into
 * the HTML escaped; a known placeholder without a value renders empty.
 * Returns 0, or -1 with err ("FILE:LINE: ...") when no file is found,
 * one could not be read, is over the size limit, is not UTF-8, lacks its
 * Subject line, or uses an unknown placeholder. */
TG_MUST_CHECK int tg_template_render(
	const struct tg_templates *set, const char *address, const char *lang,
	const char *name, const struct tg_template_var *vars, size_t n_vars,
	struct tg_pool *pool, struct tg_template_out *out, struct tg_err *err);

/* Called once per problem; line is 0 when none applies. */
typedef void tg_template_report_fn(void *ctx, const char *file, unsigned line,
				   const char *msg);

/* Checks every file under dir as rendering would read it (folder names,
 * file names, size, UTF-8, Subject line, placeholders), and that en/ has
 * every template, for `ticketgate check-config`. Reports each problem
 * (folder by folder, in name order, each file's in line order) to report
 * (NULL: only count them) and returns how many there were. */
size_t tg_template_check(const char *dir, tg_template_report_fn *report,
			 void *ctx);

#endif
