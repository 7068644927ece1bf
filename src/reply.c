/* Reply extraction: the text the sender wrote in this message, without the
 * quoted history, the signature and phone footers (see reply.h). A first
 * pass finds where the history starts (reply-history.c) and, above it, the
 * new text, its signature and any forward (reply-line.c says what each
 * line is); a second pass over a '>'-quoted history picks up the answers
 * written between and below the quotes. Parses untrusted input: every read
 * is bounded by the input length, nothing is allocated but the output, and
 * each line is looked at a bounded number of times, so time is linear. */
#include "ticketgate/reply.h"
#include "reply-private.h"

#include <stdbool.h>
#include <stdint.h>

#define NONE SIZE_MAX

/* Writes runs of lines to out, joined the way the input had them apart:
 * the last written line's own ending, then one blank line from the gap. */
struct writer {
	struct tg_buf *out;
	const char *t;
	bool any;
	bool failed; /* out hit its cap: the rest would not be a prefix */
	size_t term, term_end; /* ending of the last written line */
	size_t gap, gap_end;   /* a blank line since then, or gap == NONE */
};

static void
put(struct writer *w, size_t from, size_t to)
{
	if (w->failed || from >= to)
		return;
	if (tg_buf_append(w->out, w->t + from, to - from) < 0)
		w->failed = true;
}

static void
note_blank(struct writer *w, const struct line *l)
{
	if (w->gap == NONE) {
		w->gap = l->start;
		w->gap_end = l->next;
	}
}

/* Writes the lines from start to the end of last (without its ending). */
static void
write_run(struct writer *w, size_t start, const struct line *last)
{
	if (w->any) {
		put(w, w->term, w->term_end);
		if (w->gap != NONE)
			put(w, w->gap, w->gap_end);
	}
	put(w, start, last->end);
	w->any = true;
	w->term = last->end;
	w->term_end = last->next;
	w->gap = NONE;
}

/* What the first pass learns about the text above the history. */
struct above {
	size_t first;     /* first text line's start, or NONE */
	struct line last; /* last text line above the signature */
	struct line prev; /* the text line before last, if prev_set */
	bool prev_set;
	size_t gap, gap_end;           /* first blank line after last */
	size_t prev_gap, prev_gap_end; /* first blank line after prev */
	size_t sig;                    /* start of the signature, or NONE */
	size_t fwd;                    /* start of a forward, or NONE */
	struct line fwd_last;          /* last non-blank line of the forward */
	size_t any_first;              /* first non-blank line, or NONE */
	struct line any_last;          /* last non-blank line */
	size_t keys_start; /* in a copy taken above header lines: their start */
};

/* The answers between and below the quotes of a '>'-quoted history from
 * pos on: unquoted runs after a quote, up to a signature, a footer, or a
 * deeper history that is not quoted. seen_quote: the history's first
 * line was itself quoted. */
static void
write_answers(struct writer *w, const char *t, size_t len, size_t pos,
	      bool seen_quote)
{
	struct line l, last, run_last = {0, 0, 0};
	size_t run = NONE;
	struct line run_gap = {NONE, 0, 0};

	while (reply_line_at(t, len, pos, &l)) {
		pos = l.next;
		if (reply_blank(t, &l)) {
			if (run == NONE)
				note_blank(w, &l);
			else if (run_gap.start == NONE)
				run_gap = l;
			continue;
		}
		if (reply_quoted(t, &l)) {
			seen_quote = true;
			if (run != NONE) {
				write_run(w, run, &run_last);
				if (run_gap.start != NONE)
					note_blank(w, &run_gap);
				run = NONE;
			}
			continue;
		}
		/* Unquoted text before any quote: the history itself is not
		 * quoted (Outlook), so nothing below can be told apart. */
		if (!seen_quote || reply_sig_delim(t, &l) ||
		    reply_footer_line(t, &l) || reply_rule_line(t, &l) ||
		    reply_forward_line(t, &l) ||
		    reply_history_start(t, len, &l, &last))
			break;
		if (run == NONE)
			run = l.start;
		run_last = l;
		run_gap.start = NONE;
	}
	if (run != NONE)
		write_run(w, run, &run_last);
}

void
tg_reply_extract(const char *t, size_t len, struct tg_buf *out)
{
	struct writer w = {out, t, false, false, 0, 0, NONE, 0};
	struct above a = {.first = NONE,
			  .gap = NONE,
			  .prev_gap = NONE,
			  .sig = NONE,
			  .fwd = NONE,
			  .any_first = NONE};
	/* a as it was above a run of header lines ("To:", "Date:") that
	 * clients sometimes put before the From line of their block */
	struct above before_keys;
	bool in_keys = false;
	struct line l, last;
	size_t pos = 0, cut = len, hist = len;
	bool hist_quoted = false;
	int h;

	if (t == NULL)
		return;
	while (reply_line_at(t, len, pos, &l)) {
		pos = l.next;
		if (reply_blank(t, &l)) {
			if (a.fwd == NONE && a.gap == NONE) {
				a.gap = l.start;
				a.gap_end = l.next;
			}
			in_keys = false;
			continue;
		}
		/* A forward is kept whole: no cut, no signature below it. */
		if (a.fwd != NONE) {
			a.fwd_last = l;
			continue;
		}
		bool q = reply_quoted(t, &l);

		if ((h = reply_history_start(t, len, &l, &last)) != H_NONE) {
			cut = l.start;
			if (h == H_BLOCK && in_keys) {
				cut = before_keys.keys_start;
				a = before_keys;
			}
			hist = last.next;
			hist_quoted = q;
			break;
		}
		if (reply_header_key(t, &l) >= 0) {
			if (!in_keys) {
				before_keys = a;
				before_keys.keys_start = l.start;
			}
			in_keys = true;
		} else {
			in_keys = false;
		}
		/* A quote before any text: bottom-posting or interleaving
		 * without an attribution. */
		if (q && a.any_first == NONE) {
			cut = hist = l.start;
			hist_quoted = true;
			break;
		}
		if (a.any_first == NONE)
			a.any_first = l.start;
		a.any_last = l;
		if (reply_forward_line(t, &l)) {
			a.fwd = l.start;
			a.fwd_last = l;
			continue;
		}
		if (q || a.sig != NONE)
			continue;
		if ((a.first != NONE && reply_sig_delim(t, &l)) ||
		    reply_footer_line(t, &l)) {
			a.sig = l.start;
			continue;
		}
		if (a.first == NONE)
			a.first = l.start;
		else
			a.prev_set = true;
		a.prev = a.last;
		a.prev_gap = a.gap;
		a.prev_gap_end = a.gap_end;
		a.last = l;
		a.gap = NONE;
	}

	/* The new text above the history, without the rule clients draw over
	 * it and without a "-Name" sign-off standing on its own. */
	if (a.first != NONE) {
		if ((cut < len && reply_any_rule_line(t, &a.last)) ||
		    (a.prev_set && a.prev_gap != NONE &&
		     reply_sign_off(t, &a.last))) {
			if (a.prev_set) {
				write_run(&w, a.first, &a.prev);
				if (a.prev_gap != NONE) {
					w.gap = a.prev_gap;
					w.gap_end = a.prev_gap_end;
				} else {
					w.gap = a.gap;
					w.gap_end = a.gap_end;
				}
			}
		} else {
			write_run(&w, a.first, &a.last);
			w.gap = a.gap;
			w.gap_end = a.gap_end;
		}
	}
	if (a.fwd != NONE)
		write_run(&w, a.fwd, &a.fwd_last);
	if (cut < len)
		write_answers(&w, t, len, hist, hist_quoted);
	if (w.any)
		return;

	/* Nothing new found: what is above the history as it is (a lone
	 * "Sent from my iPhone" says the sender wrote nothing), else the
	 * whole body, so that no mail becomes an empty ticket entry. */
	if (a.any_first != NONE) {
		write_run(&w, a.any_first, &a.any_last);
		return;
	}
	if (cut >= len)
		return;
	last.start = NONE;
	for (pos = cut; reply_line_at(t, len, pos, &l); pos = l.next)
		if (!reply_blank(t, &l))
			last = l;
	if (last.start != NONE)
		write_run(&w, cut, &last);
}
