/* The template directory checked as a whole for `ticketgate check-config`:
 * every folder and file read the way rendering reads it, so a typo shows
 * at startup and not when the first acknowledgement fails. */
#include "template-private.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct check {
	tg_template_report_fn *report;
	void *ctx;
	const char *file; /* the file being read */
	size_t problems;
};

static void
problem(void *c, unsigned line, const char *msg)
{
	struct check *k = c;

	if (k->report != NULL)
		k->report(k->ctx, k->file, line, msg);
	k->problems++;
}

/* err from tpl_read without its "PATH: " (the report names the file). */
static void
problem_err(struct check *k, const struct tg_err *err)
{
	size_t n = strlen(k->file);
	const char *m = err->msg;

	if (strncmp(m, k->file, n) == 0 && strncmp(m + n, ": ", 2) == 0)
		m += n + 2;
	problem(k, 0, m);
}

/* "en", "pt", "pt-BR": two or three lowercase letters, then subtags. */
static bool
language_tag(const char *s)
{
	size_t n = 0;

	while (s[n] >= 'a' && s[n] <= 'z')
		n++;
	if (n < 2 || n > 3)
		return false;
	for (s += n; *s != '\0';) {
		if (*s++ != '-')
			return false;
		for (n = 0;
		     (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		     (*s >= '0' && *s <= '9');
		     s++)
			n++;
		if (n == 0 || n > 8)
			return false;
	}
	return true;
}

static bool
has_upper(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			return true;
	return false;
}

/* a/b + suffix into out; false when it does not fit. */
static bool
join(char *out, size_t size, const char *a, const char *b, const char *suffix)
{
	int n = snprintf(out, size, "%s/%s%s", a, b, suffix);

	return n >= 0 && (size_t)n < size;
}

static bool
exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static bool
txt_beside(const char *folder, const char *base)
{
	char txt[4096];

	return join(txt, sizeof(txt), folder, base, ".txt") && exists(txt);
}

static void
check_file(struct check *k, const char *path, bool html)
{
	struct tg_err err = {{0}, false};
	struct tpl_text t;
	char *data = NULL;
	size_t len = 0;
	int r = tpl_read(path, &data, &len, &err);

	if (r < 0)
		problem_err(k, &err);
	if (r <= 0)
		return;
	if (tpl_check_text(data, len, problem, k) == 0) {
		if (html) {
			tpl_expand(data, len, 1, NULL, 0, true, NULL, problem,
				   k);
		} else if (tpl_split(data, len, &t, problem, k) == 0) {
			tpl_expand(t.subject, t.subject_len, 1, NULL, 0, false,
				   NULL, problem, k);
			tpl_expand(t.body, t.body_len, t.body_line, NULL, 0,
				   false, NULL, problem, k);
		}
	}
	free(data);
}

static int
skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
check_folder(struct check *k, const char *dir, const char *sub)
{
	char path[4096];
	struct dirent **ents;
	int n;

	k->file = dir;
	if (!join(path, sizeof(path), dir, sub, "")) {
		problem(k, 0, "path too long");
		return;
	}
	k->file = path;
	if (strchr(sub, '@') != NULL) {
		if (has_upper(sub))
			problem(k, 0,
				"never used: addresses are looked up "
				"in lowercase");
	} else if (!language_tag(sub)) {
		problem(k, 0,
			"neither a language tag (en, pt-BR) nor an "
			"address");
	}
	n = scandir(path, &ents, skip_dot, alphasort);
	if (n < 0) {
		problem(k, 0, strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name, *dot = strrchr(f, '.');
		char file[4096], base[256];
		bool html = dot != NULL && strcmp(dot, ".html") == 0;
		size_t bl = dot != NULL ? (size_t)(dot - f) : 0;

		k->file = path;
		if (!join(file, sizeof(file), path, f, "")) {
			problem(k, 0, "path too long");
			free(ents[i]);
			continue;
		}
		k->file = file;
		if (dot == NULL || (!html && strcmp(dot, ".txt") != 0) ||
		    bl >= sizeof(base)) {
			problem(k, 0,
				"not a template: want <name>.txt or "
				"<name>.html");
		} else {
			memcpy(base, f, bl);
			base[bl] = '\0';
			if (!tg_template_name_known(base)) {
				problem(k, 0,
					"unknown template name (ack, "
					"feedback, size-notice, reply, "
					"command-error)");
			} else {
				check_file(k, file, html);
				if (html && !txt_beside(path, base))
					problem(k, 0,
						"no .txt beside it: the "
						"text part is required");
			}
		}
		free(ents[i]);
	}
	free(ents);
}

size_t
tg_template_check(const char *dir, tg_template_report_fn *report, void *ctx)
{
	struct check k = {.report = report, .ctx = ctx, .file = dir};
	struct dirent **ents;
	char path[4096];
	int n = scandir(dir, &ents, skip_dot, alphasort);

	if (n < 0) {
		problem(&k, 0, strerror(errno));
		return k.problems;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;

		k.file = dir;
		if (!join(path, sizeof(path), dir, ents[i]->d_name, "")) {
			problem(&k, 0, "path too long");
		} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			check_folder(&k, dir, ents[i]->d_name);
		} else {
			k.file = path;
			problem(&k, 0,
				"not a folder: templates live in "
				"<language>/ or <address>/");
		}
		free(ents[i]);
	}
	free(ents);
	/* en/ is the last fallback: every template must be there */
	for (size_t i = 0; i < tpl_n_names; i++) {
		char name[64];

		snprintf(name, sizeof(name), "en/%s", tpl_names[i]);
		if (join(path, sizeof(path), dir, name, ".txt") &&
		    !exists(path)) {
			k.file = path;
			problem(&k, 0,
				"missing: en/ is every address's "
				"fallback");
		}
	}
	return k.problems;
}
