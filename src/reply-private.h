/* Internals shared by reply.c, reply-line.c and reply-history.c: lines of
 * a body and what each one is. Not for other modules (see reply.h). */
#ifndef TICKETGATE_REPLY_PRIVATE_H
#define TICKETGATE_REPLY_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

/* One line of the body: [start, end) is its content without "\r\n" or
 * "\n", next the start of the following line (or the input length). */
struct line {
	size_t start;
	size_t end;
	size_t next;
};

/* A byte range being looked at: [b, e). */
struct span {
	const unsigned char *b;
	const unsigned char *e;
};

/* The line of t[0..len) that starts at pos; false at the end. */
bool reply_line_at(const char *t, size_t len, size_t pos, struct line *l);
struct span reply_line_span(const char *t, const struct line *l);

/* Length of the white space at p (ASCII blanks, no-break and zero-width
 * spaces, a byte order mark), or 0. */
size_t reply_space_at(const unsigned char *p, const unsigned char *e);
struct span reply_trim(struct span s);
/* s without its quote marks ("> > ") and surrounding white space. */
struct span reply_unquote(struct span s);
/* w's length if s starts with w (ASCII letters without case), else 0. */
size_t reply_prefix_len(struct span s, const char *w);
bool reply_ends_with(struct span s, const char *w);

/* What one line is. */
bool reply_blank(const char *t, const struct line *l);
bool reply_quoted(const char *t, const struct line *l);
bool reply_sig_delim(const char *t, const struct line *l);
bool reply_rule_line(const char *t, const struct line *l);
bool reply_any_rule_line(const char *t, const struct line *l);
bool reply_sign_off(const char *t, const struct line *l);
bool reply_footer_line(const char *t, const struct line *l);
/* 0: none; 1: a reply's separator ("-----Original Message-----");
 * 2: a forward's ("---------- Forwarded message ---------"). */
int reply_dash_line(const char *t, const struct line *l);
bool reply_forward_line(const char *t, const struct line *l);

/* What a header key names, in Outlook's header block. */
enum {
	HK_FROM,
	HK_DATE,
	HK_TO,
	HK_CC,
	HK_SUBJECT
};
/* The kind (HK_*) of the header key l starts with, or -1. */
int reply_header_key(const char *t, const struct line *l);

enum {
	H_NONE,
	H_LINE,
	H_BLOCK
};
/* Does l start the quoted history? H_LINE for a reply separator or an
 * attribution, H_BLOCK for an Outlook header block; *last_r is set to
 * the last line of either. */
int reply_history_start(const char *t, size_t len, const struct line *l,
			struct line *last_r);

#endif
