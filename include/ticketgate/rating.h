/* A customer's answer to the feedback request: a rating from 1 to 5, or
 * words for one in English or Portuguese. Pure core; untrusted input. */
#ifndef TICKETGATE_RATING_H
#define TICKETGATE_RATING_H

/* The rating on the first non-blank line of text (the new text of a
 * reply): "4", "4/5", "5 stars", "good", "Muito bom!", "bad", ... 1-5, or
 * 0 when that line is no rating. *rest_r is what follows the rating
 * (comments, or a new question), blank lines skipped: "" when the reply
 * holds the rating alone. */
int tg_rating_parse(const char *text, const char **rest_r);

#endif
