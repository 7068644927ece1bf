/* The command lines at the top of an agent's reply. */
#include "ticketgate/command.h"
#include "ticketgate/buf.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <string.h>

static bool
one_of(const char *w, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(w, *words) == 0)
			return true;
	return false;
}

/* an addr-spec without spaces, quotes or brackets: enough for agents */
static bool
plain_address(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@'))
		return false;
	for (; *a != '\0'; a++)
		if ((unsigned char)*a <= ' ' || strchr("<>\"(),;:\\[]", *a))
			return false;
	return true;
}

static void
error(struct tg_buf *errs, unsigned line, const char *what, const char *word)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "line %u: %s%.80s\n", line, what, word);
	(void)tg_buf_append(errs, msg, strlen(msg));
}

/* One "#name arg" line, lowercased in place. */
static void
apply(struct tg_pool *pool, char *line, unsigned no, struct tg_commands *c,
      struct tg_buf *errs)
{
	static const char *const statuses[] = {
		"open", "pending", "on_hold", "solved", "closed", "spam", NULL};
	static const char *const priorities[] = {"urgent", "high", "medium",
						 "low", NULL};
	char *name = line + 1, *arg, *end;

	for (char *p = line; *p != '\0'; p++)
		*p = (char)tg_ascii_tolower((unsigned char)*p);
	arg = name + strcspn(name, " \t");
	if (*arg != '\0')
		*arg++ = '\0';
	while (tg_ascii_isspace((unsigned char)*arg))
		arg++;
	end = arg + strlen(arg);
	while (end > arg && tg_ascii_isspace((unsigned char)end[-1]))
		*--end = '\0';
	if (++c->n > TG_COMMAND_MAX) {
		error(errs, no, "too many commands", "");
		return;
	}
	if (strcmp(name, "note") == 0 && *arg == '\0')
		c->note = true;
	else if (strcmp(name, "status") == 0 && one_of(arg, statuses))
		c->status = tg_pool_strdup(pool, arg);
	else if (strcmp(name, "priority") == 0 && one_of(arg, priorities))
		c->priority = tg_pool_strdup(pool, arg);
	else if (strcmp(name, "assign") == 0 && plain_address(arg))
		c->assign = tg_pool_strdup(pool, arg);
	else if (strcmp(name, "tag") == 0 && *arg != '\0' &&
		 strlen(arg) <= 100 && c->n_tags < TG_COMMAND_MAX)
		c->tags[c->n_tags++] = tg_pool_strdup(pool, arg);
	else if (one_of(name, (const char *const[]){"note", "status",
						       "priority", "assign",
						       "tag", NULL}))
		error(errs, no, "bad argument for #", name);
	else
		error(errs, no, "unknown command #", name);
}

void
tg_commands_parse(struct tg_pool *pool, const char *text,
		  struct tg_commands *out)
{
	struct tg_buf errs;
	const char *p = text, *rest = text;
	unsigned no = 0;

	memset(out, 0, sizeof(*out));
	tg_buf_init(&errs, 256, 16 * 1024);
	while (*p != '\0') {
		size_t len = strcspn(p, "\n");
		const char *s = p;
		char *line;

		no++;
		while (s < p + len && tg_ascii_isspace((unsigned char)*s))
			s++;
		if (s == p + len) {
			/* blank lines between and after commands go too */
		} else if (*s == '#' && s + 1 < p + len &&
			   ((s[1] >= 'a' && s[1] <= 'z') ||
			    (s[1] >= 'A' && s[1] <= 'Z'))) {
			line = tg_pool_alloc(pool, (size_t)(p + len - s) + 1);
			memcpy(line, s, (size_t)(p + len - s));
			line[p + len - s] = '\0';
			if (len > 0 && line[strlen(line) - 1] == '\r')
				line[strlen(line) - 1] = '\0';
			apply(pool, line, no, out, &errs);
		} else {
			break;
		}
		p += len;
		if (*p == '\n')
			p++;
		rest = p;
	}
	out->rest = rest;
	out->errors = errs.len > 0 ? tg_pool_strdup(pool, tg_buf_cstr(&errs))
				   : NULL;
	tg_buf_deinit(&errs);
}
