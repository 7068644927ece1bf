/* Template files read and rendered: which file applies, its Subject line,
 * and the placeholders filled in (escaped for HTML). The files are the
 * admin's, yet they are read with limits: a mistake there must give a
 * clear error, not a broken mail. */
#include "template-private.h"
#include "ticketgate/charset.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const tpl_names[] = {
	"ack", "feedback", "size-notice", "reply", "command-error",
};
const size_t tpl_n_names = TG_N(tpl_names);

static const char *const placeholders[] = {
	"ticket_number",   "subject",    "customer_name", "customer_address",
	"support_address", "department", "priority",      "first_response_due",
	"resolution_due",  "size_limit", "message_size",  "agent_name",
	"agent_text",      "error_text",
};

static bool
in_list(const char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0)
			return true;
	return false;
}

bool
tg_template_name_known(const char *name)
{
	return in_list(tpl_names, tpl_n_names, name, strlen(name));
}

bool
tg_template_placeholder_known(const char *name)
{
	return in_list(placeholders, TG_N(placeholders), name, strlen(name));
}

int
tpl_read(const char *path, char **data_r, size_t *len_r, struct tg_err *err)
{
	struct stat st;
	char *data;
	size_t len = 0, o = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return tg_err_set(err, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return tg_err_set(err, "%s: not a regular file", path);
	}
	if (st.st_size > TG_TEMPLATE_MAX_BYTES) {
		close(fd);
		return tg_err_set(err, "%s: over %d bytes", path,
				  TG_TEMPLATE_MAX_BYTES);
	}
	/* one byte more than allowed: a file that grew since fstat shows */
	data = tg_xmalloc(TG_TEMPLATE_MAX_BYTES + 2);
	for (;;) {
		ssize_t r =
			read(fd, data + len, TG_TEMPLATE_MAX_BYTES + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			free(data);
			return tg_err_set(err, "%s: %s", path, strerror(e));
		}
		if (r == 0 || (len += (size_t)r) > TG_TEMPLATE_MAX_BYTES)
			break;
	}
	close(fd);
	if (len > TG_TEMPLATE_MAX_BYTES) {
		free(data);
		return tg_err_set(err, "%s: over %d bytes", path,
				  TG_TEMPLATE_MAX_BYTES);
	}
	for (size_t i = 0; i < len; i++)
		if (!(data[i] == '\r' && i + 1 < len && data[i + 1] == '\n'))
			data[o++] = data[i];
	data[o] = '\0';
	*data_r = data;
	*len_r = o;
	return 1;
}

/* Line number of s[at] in s, counting from line. */
static unsigned
line_of(const char *s, size_t at, unsigned line)
{
	for (size_t i = 0; i < at; i++)
		line += s[i] == '\n';
	return line;
}

size_t
tpl_check_text(const char *s, size_t n, tpl_problem_fn *problem, void *ctx)
{
	const char *nul = memchr(s, '\0', n);
	size_t ls = 0;

	if (nul != NULL) {
		problem(ctx, line_of(s, (size_t)(nul - s), 1), "NUL byte");
		return 1;
	}
	if (tg_utf8_valid(s, n))
		return 0;
	while (ls < n) {
		const char *nl = memchr(s + ls, '\n', n - ls);
		size_t le = nl != NULL ? (size_t)(nl - s) : n;

		if (!tg_utf8_valid(s + ls, le - ls))
			break;
		ls = le + 1;
	}
	problem(ctx, line_of(s, ls < n ? ls : n, 1), "not valid UTF-8");
	return 1;
}

size_t
tpl_split(const char *s, size_t n, struct tpl_text *t, tpl_problem_fn *problem,
	  void *ctx)
{
	const char *nl = memchr(s, '\n', n), *p;
	size_t l1 = nl != NULL ? (size_t)(nl - s) : n, b;

	memset(t, 0, sizeof(*t));
	if (l1 < 8 || tg_ascii_strncasecmp(s, "subject:", 8) != 0) {
		problem(ctx, 1, "the first line must be \"Subject: ...\"");
		return 1;
	}
	p = s + 8;
	while (p < s + l1 && (*p == ' ' || *p == '\t'))
		p++;
	t->subject = p;
	t->subject_len = (size_t)(s + l1 - p);
	while (t->subject_len > 0 &&
	       (p[t->subject_len - 1] == ' ' || p[t->subject_len - 1] == '\t'))
		t->subject_len--;
	if (t->subject_len == 0) {
		problem(ctx, 1, "empty subject");
		return 1;
	}
	/* line 2 must be blank: it is what tells subject from body */
	b = l1 < n ? l1 + 1 : n;
	while (b < n && (s[b] == ' ' || s[b] == '\t'))
		b++;
	if (b < n && s[b] != '\n') {
		problem(ctx, 2, "the second line must be blank");
		return 1;
	}
	b = b < n ? b + 1 : n;
	t->body = s + b;
	t->body_len = n - b;
	t->body_line = 3;
	return 0;
}

static void
put_escaped(struct tg_buf *out, const char *v)
{
	for (; *v != '\0'; v++) {
		switch (*v) {
		case '&':
			tg_buf_puts(out, "&amp;");
			break;
		case '<':
			tg_buf_puts(out, "&lt;");
			break;
		case '>':
			tg_buf_puts(out, "&gt;");
			break;
		case '"':
			tg_buf_puts(out, "&quot;");
			break;
		case '\'':
			tg_buf_puts(out, "&#39;");
			break;
		default:
			tg_buf_putc(out, *v);
			break;
		}
	}
}

static const char *
lookup(const struct tg_template_var *vars, size_t n_vars, const char *name,
       size_t len)
{
	for (size_t i = 0; i < n_vars; i++)
		if (vars[i].name != NULL && strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0)
			return vars[i].value != NULL ? vars[i].value : "";
	return "";
}

/* The first "cc" (two copies of c) in s[0..n), or NULL. */
static const char *
find_pair(const char *s, size_t n, char c)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == c && s[i + 1] == c)
			return s + i;
	return NULL;
}

size_t
tpl_expand(const char *s, size_t n, unsigned line,
	   const struct tg_template_var *vars, size_t n_vars, bool html,
	   struct tg_buf *out, tpl_problem_fn *problem, void *ctx)
{
	size_t i = 0, problems = 0;

	while (i < n) {
		const char *open = find_pair(s + i, n - i, '{'), *close;
		size_t at, nl_end, a, e;
		char msg[160];

		at = open != NULL ? (size_t)(open - s) : n;
		if (out != NULL)
			tg_buf_append(out, s + i, at - i);
		line = line_of(s + i, at - i, line);
		if (open == NULL)
			break;
		/* a placeholder ends on its own line */
		nl_end = at;
		while (nl_end < n && s[nl_end] != '\n')
			nl_end++;
		close = find_pair(s + at + 2, nl_end - at - 2, '}');
		if (close == NULL) {
			problem(ctx, line, "\"{{\" without \"}}\"");
			problems++;
			i = nl_end;
			continue;
		}
		a = at + 2;
		e = (size_t)(close - s);
		while (a < e && s[a] == ' ')
			a++;
		while (e > a && s[e - 1] == ' ')
			e--;
		if (!in_list(placeholders, TG_N(placeholders), s + a, e - a)) {
			snprintf(msg, sizeof(msg),
				 "unknown placeholder \"{{%.*s}}\"",
				 (int)(e - a < 64 ? e - a : 64), s + a);
			problem(ctx, line, msg);
			problems++;
		} else if (out != NULL && html) {
			put_escaped(out, lookup(vars, n_vars, s + a, e - a));
		} else if (out != NULL) {
			tg_buf_puts(out, lookup(vars, n_vars, s + a, e - a));
		}
		i = (size_t)(close - s) + 2;
	}
	return problems;
}

/* Render mode: the first problem becomes the error. */
struct first {
	const char *file;
	struct tg_err *err;
	bool seen;
};

static void
first_problem(void *ctx, unsigned line, const char *msg)
{
	struct first *f = ctx;

	if (!f->seen)
		tg_err_set(f->err, "%s:%u: %s", f->file, line, msg);
	f->seen = true;
}

/* A folder name we may put into a path: no separators, no dot start. */
static bool
safe_component(const char *s)
{
	return s != NULL && s[0] != '\0' && s[0] != '.' &&
	       strchr(s, '/') == NULL && strlen(s) < 256;
}

/* The folders to try, most specific first; returns their count. */
static size_t
candidates(const char *address, const char *lang, char out[4][256])
{
	size_t n = 0;
	const char *c[4] = {address, lang, lang, "en"};

	for (size_t i = 0; i < 4; i++) {
		size_t len;

		if (!safe_component(c[i]))
			continue;
		len = strlen(c[i]);
		if (i == 2) { /* "pt-BR" -> "pt" */
			const char *dash = strchr(c[i], '-');

			if (dash == NULL)
				continue;
			len = (size_t)(dash - c[i]);
		}
		/* addresses are configured in lowercase; language tags keep
		 * their case ("pt-BR") */
		for (size_t k = 0; k < len; k++)
			out[n][k] = i == 0 ? (char)tg_ascii_tolower(
						     (unsigned char)c[i][k])
					   : c[i][k];
		out[n][len] = '\0';
		if (len > 0 && (n == 0 || strcmp(out[n], out[n - 1]) != 0))
			n++;
	}
	return n;
}

static int
render_file(const char *path, const char *data, size_t len, bool html,
	    const struct tg_template_var *vars, size_t n_vars,
	    struct tg_pool *pool, struct tpl_text *t, const char **text_r,
	    struct tg_err *err)
{
	struct first f = {.file = path, .err = err};
	struct tg_buf b;

	if (tpl_check_text(data, len, first_problem, &f) > 0)
		return -1;
	if (!html) {
		if (tpl_split(data, len, t, first_problem, &f) > 0)
			return -1;
	} else {
		t->body = data;
		t->body_len = len;
		t->body_line = 1;
	}
	tg_buf_init(&b, t->body_len + 256, 0);
	tpl_expand(t->body, t->body_len, t->body_line, vars, n_vars, html, &b,
		   first_problem, &f);
	*text_r = tg_pool_strndup(pool, tg_buf_cstr(&b), b.len);
	tg_buf_deinit(&b);
	return f.seen ? -1 : 0;
}

/* One file of the set: its text, or why it could not be read. */
struct tpl_file {
	char *folder;
	const char *name; /* one of tpl_names */
	bool html;
	char *data; /* NULL when error is set */
	size_t len;
	char *error;
};

struct tg_templates {
	char *dir;
	struct tpl_file *files;
	size_t n;
};

static void
add_file(struct tg_templates *set, const char *folder, const char *name,
	 bool html)
{
	char path[4096];
	struct tpl_file f = {.name = name, .html = html};
	struct tg_err err;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s/%s.%s", set->dir, folder, name,
		     html ? "html" : "txt") >= (int)sizeof(path))
		return; /* no candidate folder is that long */
	r = tpl_read(path, &f.data, &f.len, &err);
	if (r == 0)
		return;
	if (r < 0)
		f.error = tg_xstrdup(err.msg);
	f.folder = tg_xstrdup(folder);
	set->files =
		tg_xrealloc(set->files, (set->n + 1) * sizeof(*set->files));
	set->files[set->n++] = f;
}

int
tg_templates_load(const char *dir, struct tg_templates **set_r,
		  struct tg_err *err)
{
	struct tg_templates *set;
	struct dirent *d;
	DIR *dp = opendir(dir);

	*set_r = NULL;
	if (dp == NULL)
		return tg_err_set(err, "templates %s: %s", dir,
				  strerror(errno));
	set = tg_xcalloc(1, sizeof(*set));
	set->dir = tg_xstrdup(dir);
	while ((d = readdir(dp)) != NULL) {
		struct stat st;

		if (d->d_name[0] == '.' ||
		    fstatat(dirfd(dp), d->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		for (size_t i = 0; i < tpl_n_names; i++) {
			add_file(set, d->d_name, tpl_names[i], false);
			add_file(set, d->d_name, tpl_names[i], true);
		}
	}
	closedir(dp);
	*set_r = set;
	return 0;
}

void
tg_templates_free(struct tg_templates **setp)
{
	struct tg_templates *set = *setp;

	if (set == NULL)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->files[i].folder);
		free(set->files[i].data);
		free(set->files[i].error);
	}
	free(set->files);
	free(set->dir);
	free(set);
	*setp = NULL;
}

static const struct tpl_file *
find_file(const struct tg_templates *set, const char *folder, const char *name,
	  bool html)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->files[i].html == html &&
		    strcmp(set->files[i].name, name) == 0 &&
		    strcmp(set->files[i].folder, folder) == 0)
			return &set->files[i];
	return NULL;
}

int
tg_template_render(const struct tg_templates *set, const char *address,
		   const char *lang, const char *name,
		   const struct tg_template_var *vars, size_t n_vars,
		   struct tg_pool *pool, struct tg_template_out *out,
		   struct tg_err *err)
{
	char cand[4][256], path[4096];
	const struct tpl_file *f = NULL, *h;
	size_t n;
	int r;
	struct tpl_text t;

	memset(out, 0, sizeof(*out));
	if (name == NULL || !tg_template_name_known(name))
		return tg_err_set(err, "unknown template \"%s\"",
				  name != NULL ? name : "(null)");
	n = candidates(address, lang, cand);
	for (size_t i = 0; i < n && f == NULL; i++)
		f = find_file(set, cand[i], name, false);
	if (f == NULL)
		return tg_err_set(err, "%s/en/%s.txt: no such template",
				  set->dir, name);
	if (f->error != NULL)
		return tg_err_set(err, "%s", f->error);
	snprintf(path, sizeof(path), "%s/%s/%s.txt", set->dir, f->folder, name);
	out->file = tg_pool_strdup(pool, path);
	r = render_file(path, f->data, f->len, false, vars, n_vars, pool, &t,
			&out->text, err);
	if (r == 0) {
		struct first fp = {.file = path, .err = err};
		struct tg_buf b;
		size_t start = 0;

		tg_buf_init(&b, t.subject_len + 64, 0);
		tpl_expand(t.subject, t.subject_len, 1, vars, n_vars, false, &b,
			   first_problem, &fp);
		/* an empty value at either end leaves a blank there */
		while (b.len > 0 && b.data[b.len - 1] == ' ')
			b.len--;
		while (start < b.len && b.data[start] == ' ')
			start++;
		out->subject = tg_pool_strndup(pool, tg_buf_cstr(&b) + start,
					       b.len - start);
		tg_buf_deinit(&b);
		r = fp.seen ? -1 : 0;
	}
	if (r < 0)
		return -1;
	/* the HTML beside the text that was chosen, never another folder's */
	h = find_file(set, f->folder, name, true);
	if (h == NULL)
		return 0;
	if (h->error != NULL)
		return tg_err_set(err, "%s", h->error);
	memcpy(path + strlen(path) - 4, ".html", 6);
	return render_file(path, h->data, h->len, true, vars, n_vars, pool, &t,
			   &out->html, err) < 0
		       ? -1
		       : 0;
}
