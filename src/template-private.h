/* Internals shared by template.c (reading and rendering) and
 * template-check.c (the directory check). Not for other modules. */
#ifndef TICKETGATE_TEMPLATE_PRIVATE_H
#define TICKETGATE_TEMPLATE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include "ticketgate/buf.h"
#include "ticketgate/err.h"
#include "ticketgate/template.h"

extern const char *const tpl_names[];
extern const size_t tpl_n_names;

/* Receives the problems found while reading one file. */
typedef void tpl_problem_fn(void *ctx, unsigned line, const char *msg);

/* Reads path into a malloc'd, NUL-terminated buffer with CRLF turned into
 * LF. Returns 1, 0 when the file does not exist, or -1 with err ("PATH:
 * ...") when it cannot be read, is no regular file or is over
 * TG_TEMPLATE_MAX_BYTES. */
int tpl_read(const char *path, char **data_r, size_t *len_r,
	     struct tg_err *err);

/* A .txt file split into its parts. */
struct tpl_text {
	const char *subject; /* after "Subject:", trimmed */
	size_t subject_len;
	const char *body;
	size_t body_len;
	unsigned body_line; /* line number of the body's first line */
};

/* Checks that s[0..n) is UTF-8 without NUL bytes; reports the first bad
 * line. Returns the number of problems (0 or 1). */
size_t tpl_check_text(const char *s, size_t n, tpl_problem_fn *problem,
		      void *ctx);
/* Splits a .txt file. Returns the number of problems reported. */
size_t tpl_split(const char *s, size_t n, struct tpl_text *t,
		 tpl_problem_fn *problem, void *ctx);
/* Appends s[0..n) (starting on line line) to out with placeholders
 * replaced; out may be NULL to check only. HTML-escapes the values when
 * html. Returns the number of problems reported. */
size_t tpl_expand(const char *s, size_t n, unsigned line,
		  const struct tg_template_var *vars, size_t n_vars, bool html,
		  struct tg_buf *out, tpl_problem_fn *problem, void *ctx);

#endif
