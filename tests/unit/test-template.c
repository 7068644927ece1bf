/* Templates: the shipped ones check clean and render in English and
 * Portuguese; which folder wins (address, language, its base, en); the
 * placeholders, HTML escaping, and every problem with its file:line. */
#include "tg-test.h"
#include "ticketgate/buf.h"
#include "ticketgate/template.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Renders with the directory's templates read just before, as a sender
 * starting then would. */
static int
render(const char *dir, const char *address, const char *lang, const char *name,
       const struct tg_template_var *vars, size_t n_vars, struct tg_pool *pool,
       struct tg_template_out *out, struct tg_err *err)
{
	struct tg_templates *set;
	int r;

	if (tg_templates_load(dir, &set, err) < 0)
		return -1;
	r = tg_template_render(set, address, lang, name, vars, n_vars, pool,
			       out, err);
	tg_templates_free(&set);
	return r;
}

static char shipped[4096];

/* conf/templates of the source tree: __FILE__ is absolute in CMake
 * builds; argv[1] overrides. */
static void
find_shipped(int argc, char **argv)
{
	const char *f = __FILE__,
		   *end = strstr(f, "tests/unit/test-template.c");
	int n = end != NULL ? (int)(end - f) : 0;

	if (argc > 1)
		snprintf(shipped, sizeof(shipped), "%s", argv[1]);
	else
		snprintf(shipped, sizeof(shipped), "%.*sconf/templates", n, f);
}

static void
write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* the folders on the way */
	for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	fp = fopen(path, "wb");
	TG_CHECK(fp != NULL);
	if (fp == NULL)
		return;
	TG_CHECK(fwrite(data, 1, len, fp) == len);
	fclose(fp);
}

static void
put(const char *dir, const char *name, const char *text)
{
	write_file(dir, name, text, strlen(text));
}

static void
remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	TG_CHECK(system(cmd) == 0);
}

static const struct tg_template_var vars[] = {
	{"ticket_number", "1042"},
	{"subject", "printer jam"},
	{"customer_name", "Ann <b>&</b>"},
	{"department", "Paid Support"},
	{"first_response_due", "2026-01-02 09:00 UTC"},
	{"resolution_due", NULL},
	{"size_limit", "25 MB"},
	{"support_address", "support@example.com"},
	{"agent_name", "Bob"},
	{"agent_text", "Please restart it.\nThen try again."},
	{"error_text", "unknown command #frobnicate"},
};

static void
test_shipped(void)
{
	static const char *const names[] = {"ack", "feedback", "size-notice",
					    "reply", "command-error"};
	static const char *const langs[] = {"en", "pt"};
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_template_out out;
	struct tg_err err;
	char folder[16];

	TG_CHECK(tg_template_check(shipped, NULL, NULL) == 0);
	for (size_t l = 0; l < TG_N(langs); l++) {
		for (size_t i = 0; i < TG_N(names); i++) {
			memset(&err, 0, sizeof(err));
			TG_CHECK(render(shipped, NULL, langs[l], names[i], vars,
					TG_N(vars), pool, &out, &err) == 0);
			if (err.msg[0] != '\0')
				fprintf(stderr, "%s\n", err.msg);
			if (out.text == NULL)
				continue;
			TG_CHECK_STREQ_IDX(out.subject, "Re: printer jam", i);
			TG_CHECK(strstr(out.text, "{{") == NULL);
			TG_CHECK(strstr(out.text, "1042") != NULL ||
				 strcmp(names[i], "size-notice") == 0);
			TG_CHECK(out.html == NULL);
			snprintf(folder, sizeof(folder), "/%s/", langs[l]);
			TG_CHECK(strstr(out.file, folder) != NULL);
		}
	}
	/* the Portuguese address answers in Portuguese; a region falls back
	 * to its language; an unknown language to English */
	TG_CHECK(render(shipped, "suporte@example.com", "pt", "feedback", vars,
			TG_N(vars), pool, &out, &err) == 0);
	TG_CHECK(out.text != NULL && strstr(out.text, "\"bom\" ou \"mau\""));
	TG_CHECK(render(shipped, NULL, "pt-BR", "ack", vars, TG_N(vars), pool,
			&out, &err) == 0);
	TG_CHECK(out.text != NULL && strstr(out.text, "Olá Ann <b>&</b>,"));
	TG_CHECK(render(shipped, NULL, "de", "feedback", vars, TG_N(vars), pool,
			&out, &err) == 0);
	TG_CHECK(out.text != NULL && strstr(out.text, "\"good\" or \"bad\""));
	TG_CHECK(render(shipped, NULL, NULL, "reply", vars, TG_N(vars), pool,
			&out, &err) == 0);
	TG_CHECK_STREQ(out.text, "Please restart it.\nThen try again.\n\n-- \n"
				 "Ticket [#1042]: reply to this email to add "
				 "to it.\n");
	tg_pool_free(&pool);
}

static void
test_lookup(void)
{
	char tmp[] = "/tmp/tg-test-template.XXXXXX", dir[4200];
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_template_out out;
	struct tg_err err;

	TG_CHECK(mkdtemp(tmp) != NULL);
	/* templates in tmp/t, and beside them a folder no lookup may reach */
	snprintf(dir, sizeof(dir), "%s/t", tmp);
	put(tmp, "x@example.com/ack.txt", "Subject: escaped\n\nno\n");
	put(dir, "en/ack.txt", "Subject: en {{subject}}\n\nen body\n");
	put(dir, "pt/ack.txt", "Subject: pt\n\npt body\n");
	put(dir, "pt-BR/ack.txt", "Subject: br\n\nbr body\n");
	put(dir, "support@example.com/ack.txt",
	    "Subject: own\r\n\r\nown body {{ customer_name }}\r\nline 2\r\n");
	put(dir, "support@example.com/ack.html",
	    "<p>Hi {{customer_name}}, about {{subject}}</p>\n");
	put(dir, "en/feedback.txt", "Subject: fb\n\nfb\n");
	put(dir, "en/feedback.html", "<p>{{unknown}}</p>\n");

	static const struct {
		const char *address, *lang, *subject;
	} cases[] = {
		{NULL, "en", "en printer jam"},
		{NULL, "pt", "pt"},
		{NULL, "pt-BR", "br"},
		{NULL, "pt-PT", "pt"},
		{NULL, "fr", "en printer jam"},
		{NULL, NULL, "en printer jam"},
		{"support@example.com", "pt", "own"},
		{"Support@Example.COM", "en", "own"},
		{"cloud@example.com", "pt", "pt"},
		{"../x@example.com", "en", "en printer jam"},
		{NULL, "../en", "en printer jam"},
		{NULL, "", "en printer jam"},
	};
	for (size_t i = 0; i < TG_N(cases); i++) {
		memset(&err, 0, sizeof(err));
		TG_CHECK(render(dir, cases[i].address, cases[i].lang, "ack",
				vars, TG_N(vars), pool, &out, &err) == 0);
		TG_CHECK_STREQ_IDX(out.subject, cases[i].subject, i);
	}

	/* text as it is, HTML escaped, CRLF read as LF */
	TG_CHECK(render(dir, "support@example.com", NULL, "ack", vars,
			TG_N(vars), pool, &out, &err) == 0);
	TG_CHECK_STREQ(out.text, "own body Ann <b>&</b>\nline 2\n");
	TG_CHECK_STREQ(out.html, "<p>Hi Ann &lt;b&gt;&amp;&lt;/b&gt;, about "
				 "printer jam</p>\n");
	{
		const struct tg_template_var q[] = {
			{"customer_name", "\"O'Neil\""},
			{"customer_name", "second is ignored"},
		};

		TG_CHECK(render(dir, "support@example.com", NULL, "ack", q,
				TG_N(q), pool, &out, &err) == 0);
		TG_CHECK_STREQ(out.html, "<p>Hi &quot;O&#39;Neil&quot;, about "
					 "</p>\n");
		TG_CHECK_STREQ(out.text, "own body \"O'Neil\"\nline 2\n");
	}
	/* missing values render empty */
	TG_CHECK(render(dir, NULL, "en", "ack", NULL, 0, pool, &out, &err) ==
		 0);
	TG_CHECK_STREQ(out.subject, "en");

	/* a broken HTML beside a good text fails the whole template */
	memset(&err, 0, sizeof(err));
	TG_CHECK(render(dir, NULL, "en", "feedback", vars, TG_N(vars), pool,
			&out, &err) == -1);
	TG_CHECK(strstr(err.msg, "/en/feedback.html:1: unknown placeholder "
				 "\"{{unknown}}\"") != NULL);

	/* no such template anywhere; a name that is no template */
	TG_CHECK(render(dir, NULL, "en", "reply", vars, TG_N(vars), pool, &out,
			&err) == -1);
	TG_CHECK(strstr(err.msg, "no such template") != NULL);
	TG_CHECK(render(dir, NULL, "en", "../en/ack", vars, TG_N(vars), pool,
			&out, &err) == -1);
	TG_CHECK(strstr(err.msg, "unknown template") != NULL);
	remove_tree(tmp);
	tg_pool_free(&pool);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want; /* want: in err after "ack.txt" */
	} cases[] = {
		{"Subject: x\n\nHello {{customer_name}},\n\n{{nope}}\n",
		 ":5: unknown placeholder \"{{nope}}\""},
		{"Subject: {{Subject}}\n\nx\n",
		 ":1: unknown placeholder \"{{Subject}}\""},
		{"Subject: x\n\nopen {{subject\n}}\n",
		 ":3: \"{{\" without \"}}\""},
		{"Hello\n\nbody\n", ":1: the first line must be"},
		{"Subject:   \n\nbody\n", ":1: empty subject"},
		{"Subject: x\nbody right away\n", ":2: the second line must"},
		{"Subject: x\n\nok\nbad \xe9 byte\n", ":4: not valid UTF-8"},
		{"", ":1: the first line must be"},
	};
	char dir[] = "/tmp/tg-test-template.XXXXXX";
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_template_out out;
	struct tg_err err;
	char *big;

	TG_CHECK(mkdtemp(dir) != NULL);
	for (size_t i = 0; i < TG_N(cases); i++) {
		char want[256];

		put(dir, "en/ack.txt", cases[i].text);
		memset(&err, 0, sizeof(err));
		TG_CHECK(render(dir, NULL, "en", "ack", vars, TG_N(vars), pool,
				&out, &err) == -1);
		snprintf(want, sizeof(want), "/en/ack.txt%s", cases[i].want);
		TG_CHECK_STREQ_IDX(strstr(err.msg, want) ? want : err.msg, want,
				   i);
	}

	/* the size limit: 64 KiB is fine, one byte more is refused */
	big = tg_xmalloc(TG_TEMPLATE_MAX_BYTES + 1);
	memset(big, 'a', TG_TEMPLATE_MAX_BYTES + 1);
	memcpy(big, "Subject: big\n\n", 14);
	write_file(dir, "en/ack.txt", big, TG_TEMPLATE_MAX_BYTES);
	TG_CHECK(render(dir, NULL, "en", "ack", vars, TG_N(vars), pool, &out,
			&err) == 0);
	TG_CHECK(out.text != NULL &&
		 strlen(out.text) == TG_TEMPLATE_MAX_BYTES - 14);
	write_file(dir, "en/ack.txt", big, TG_TEMPLATE_MAX_BYTES + 1);
	memset(&err, 0, sizeof(err));
	TG_CHECK(render(dir, NULL, "en", "ack", vars, TG_N(vars), pool, &out,
			&err) == -1);
	TG_CHECK(strstr(err.msg, "en/ack.txt: over 65536 bytes") != NULL);
	free(big);

	/* a folder where a file should be */
	remove_tree(dir);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	TG_CHECK(mkdtemp(dir) != NULL);
	put(dir, "en/ack.txt/x", "");
	TG_CHECK(render(dir, NULL, "en", "ack", vars, TG_N(vars), pool, &out,
			&err) == -1);
	TG_CHECK(strstr(err.msg, "not a regular file") != NULL);
	remove_tree(dir);
	tg_pool_free(&pool);
}

/* A set is what was on disk when it was read: a file changed later
 * shows in the next set only (the sender reads one at each reload). */
static void
test_snapshot(void)
{
	char dir[] = "/tmp/tg-test-template.XXXXXX";
	struct tg_pool *pool = tg_pool_new(4096);
	struct tg_templates *set = NULL;
	struct tg_template_out out;
	struct tg_err err;

	TG_CHECK(mkdtemp(dir) != NULL);
	put(dir, "en/ack.txt", "Subject: before\n\nbody\n");
	TG_CHECK(tg_templates_load(dir, &set, &err) == 0 && set != NULL);
	put(dir, "en/ack.txt", "Subject: after\n\nbody\n");
	put(dir, "en/ack.html", "<p>new</p>\n");
	if (set != NULL) {
		TG_CHECK(tg_template_render(set, NULL, "en", "ack", vars,
					    TG_N(vars), pool, &out, &err) == 0);
		TG_CHECK_STREQ(out.subject, "before");
		TG_CHECK(out.html == NULL);
	}
	tg_templates_free(&set);
	TG_CHECK(set == NULL);
	TG_CHECK(render(dir, NULL, "en", "ack", vars, TG_N(vars), pool, &out,
			&err) == 0);
	TG_CHECK_STREQ(out.subject, "after");
	TG_CHECK(out.html != NULL);
	/* only a directory that cannot be listed fails the load */
	remove_tree(dir);
	TG_CHECK(tg_templates_load(dir, &set, &err) == -1 && set == NULL);
	TG_CHECK(strstr(err.msg, "No such file or directory") != NULL);
	tg_pool_free(&pool);
}

/* What check-config would print. */
static void
collect(void *ctx, const char *file, unsigned line, const char *msg)
{
	struct tg_buf *b = ctx;
	const char *slash = strstr(file, "/tg-test-template.");

	/* the temporary folder's name varies: keep what follows it */
	if (slash != NULL)
		file = strchr(slash + 1, '/') != NULL
			       ? strchr(slash + 1, '/') + 1
			       : "";
	tg_buf_appendf(b, "%s:%u: %s\n", file, line, msg);
}

static void
test_check(void)
{
	char dir[] = "/tmp/tg-test-template.XXXXXX";
	struct tg_buf got;
	static const char want[] =
		"Support@Example.com:0: never used: addresses are looked up "
		"in lowercase\n"
		"en/ack.html:2: unknown placeholder \"{{nme}}\"\n"
		"en/ack.txt:4: unknown placeholder \"{{custmer_name}}\"\n"
		"en/ack.txt:6: \"{{\" without \"}}\"\n"
		"en/acknowledge.txt:0: unknown template name (ack, feedback, "
		"size-notice, reply, command-error)\n"
		"en/notes.md:0: not a template: want <name>.txt or "
		"<name>.html\n"
		"english:0: neither a language tag (en, pt-BR) nor an address\n"
		"pt/feedback.html:0: no .txt beside it: the text part is "
		"required\n"
		"pt/reply.txt:1: the first line must be \"Subject: ...\"\n"
		"stray.txt:0: not a folder: templates live in <language>/ or "
		"<address>/\n"
		"en/feedback.txt:0: missing: en/ is every address's fallback\n"
		"en/size-notice.txt:0: missing: en/ is every address's "
		"fallback\n"
		"en/reply.txt:0: missing: en/ is every address's fallback\n"
		"en/command-error.txt:0: missing: en/ is every address's "
		"fallback\n";

	TG_CHECK(mkdtemp(dir) != NULL);
	put(dir, "en/ack.txt",
	    "Subject: {{subject}}\n\nHello\n"
	    "{{custmer_name}} and {{ticket_number}}\n\n"
	    "{{ unclosed\n");
	put(dir, "en/ack.html", "<p>\n{{nme}}</p>\n");
	put(dir, "en/acknowledge.txt", "Subject: x\n\ny\n");
	put(dir, "en/notes.md", "notes\n");
	put(dir, "en/.hidden", "editors' files are skipped\n");
	put(dir, "english/ack.txt", "Subject: x\n\ny\n");
	put(dir, "pt/feedback.html", "<p>x</p>\n");
	put(dir, "pt/reply.txt", "no subject\n");
	put(dir, "Support@Example.com/ack.txt", "Subject: x\n\ny\n");
	put(dir, "stray.txt", "x\n");
	tg_buf_init(&got, 0, 0);
	TG_CHECK(tg_template_check(dir, collect, &got) == 14);
	TG_CHECK_STREQ(tg_buf_cstr(&got), want);
	tg_buf_deinit(&got);
	remove_tree(dir);

	/* a directory that is not there */
	tg_buf_init(&got, 0, 0);
	TG_CHECK(tg_template_check("/nonexistent/templates", collect, &got) ==
		 1);
	TG_CHECK_STREQ(tg_buf_cstr(&got),
		       "/nonexistent/templates:0: No such file or directory\n");
	tg_buf_deinit(&got);
}

int
main(int argc, char **argv)
{
	find_shipped(argc, argv);
	test_shipped();
	test_lookup();
	test_errors();
	test_snapshot();
	test_check();
	return tg_test_done();
}
