/* `ticketgate accounts import FILE.csv`: loads a CRM export into account,
 * account_domain and contact, all or nothing, reporting every bad line as
 * FILE:LINE: message. Reads untrusted input (the export). */
#include "cmd.h"
#include "ticketgate/buf.h"
#include "ticketgate/config.h"
#include "ticketgate/csv.h"
#include "ticketgate/pool.h"
#include "ticketgate/store.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Far beyond any CRM export we expect; a bigger file is a mistake. */
#define IMPORT_MAX_BYTES ((size_t)64 * 1024 * 1024)

/*
 * The columns, named by the header row in any order (case-insensitive):
 *   crm_id      required, unique in the file; the upsert key
 *   name        required
 *   status      paid | trial | potential | potential_vip | community
 *   sla_policy  optional; empty means the default policy, otherwise a
 *               policy the sla_policy table knows (and the config, with -c)
 *   domains     email domains separated by spaces or ';', lowercased; each
 *               may belong to one account only; replaces the old list
 *   contacts    optional; addresses separated by ';' (or spaces) whose
 *               contact is created or moved to this account
 */
enum col {
	COL_CRM_ID,
	COL_NAME,
	COL_STATUS,
	COL_SLA,
	COL_DOMAINS,
	COL_CONTACTS,
	COL_COUNT
};

static const struct {
	const char *name;
	bool required;
} columns[COL_COUNT] = {
	[COL_CRM_ID] = {"crm_id", true},   [COL_NAME] = {"name", true},
	[COL_STATUS] = {"status", true},   [COL_SLA] = {"sla_policy", false},
	[COL_DOMAINS] = {"domains", true}, [COL_CONTACTS] = {"contacts", false},
};

static const char *const statuses[] = {
	"paid", "trial", "potential", "potential_vip", "community",
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: ticketgate accounts import [-c CONFIG | --conninfo "
		"STR] "
		"FILE.csv\n"
		"  columns (header row, any order): crm_id, name, status "
		"(paid|trial|potential|\n"
		"  potential_vip|community), domains (separated by spaces or "
		"';'), and optionally\n"
		"  sla_policy (empty: the default) and contacts (emails "
		"separated by ';')\n");
}

struct import {
	const char *file;
	const struct tg_config *cfg;
	struct tg_pool *pool;
	struct tg_account_row *rows;
	size_t n, cap;
	int problems;
};

static void
problem(void *arg, unsigned line, const char *msg)
{
	struct import *im = arg;

	fprintf(stderr, "%s:%u: %s\n", im->file, line, msg);
	im->problems++;
}

static void problemf(struct import *im, unsigned line, const char *fmt, ...)
	TG_PRINTF(3, 4);

static void
problemf(struct import *im, unsigned line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	problem(im, line, msg);
}

static bool
valid_domain(const char *d)
{
	size_t label = 0, len = strlen(d);

	if (len == 0 || len > 253 || strchr(d, '.') == NULL)
		return false;
	for (const char *p = d;; p++) {
		if (*p == '.' || *p == '\0') {
			/* no empty label and no hyphen at either end */
			if (label == 0 || label > 63 || p[-1] == '-' ||
			    p[-(long)label] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-') {
			label++;
		} else {
			return false;
		}
	}
}

static bool
valid_email(const char *e)
{
	const char *at = strchr(e, '@');

	if (at == NULL || at == e || strchr(at + 1, '@') != NULL || at - e > 64)
		return false;
	for (const char *p = e; p < at; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == ',' ||
		    *p == '<' || *p == '>' || (unsigned char)*p == 0x7f)
			return false;
	return valid_domain(at + 1);
}

/* Splits s at spaces, tabs, ';' and ',' into lowercased tokens from the
 * pool; each is checked by ok, a bad one reported. Duplicates within the
 * list are dropped. */
static const char *const *
split_list(struct import *im, unsigned line, const char *s, const char *what,
	   bool (*ok)(const char *), size_t *n_r)
{
	static const char seps[] = " \t;,";
	char *copy = tg_pool_strdup(im->pool, s), *save = NULL, *tok;
	const char **v =
		tg_pool_alloc_array(im->pool, strlen(s) / 2 + 1, sizeof(*v));
	size_t n = 0;

	for (tok = strtok_r(copy, seps, &save); tok != NULL;
	     tok = strtok_r(NULL, seps, &save)) {
		bool dup = false;

		for (char *p = tok; *p != '\0'; p++)
			*p = (char)tg_ascii_tolower((unsigned char)*p);
		if (!ok(tok)) {
			problemf(im, line, "bad %s \"%s\"", what, tok);
			continue;
		}
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(v[i], tok) == 0;
		if (!dup)
			v[n++] = tok;
	}
	*n_r = n;
	return v;
}

static int
header(struct import *im, const struct tg_csv_record *r, int *idx)
{
	int bad = 0;

	for (int c = 0; c < COL_COUNT; c++)
		idx[c] = -1;
	for (size_t i = 0; i < r->n; i++) {
		int c;

		for (c = 0; c < COL_COUNT; c++)
			if (tg_ascii_strcasecmp(r->field[i], columns[c].name) ==
			    0)
				break;
		if (c == COL_COUNT) {
			problemf(im, r->line, "unknown column \"%s\"",
				 r->field[i]);
			bad = -1;
		} else if (idx[c] >= 0) {
			problemf(im, r->line, "column %s twice",
				 columns[c].name);
			bad = -1;
		} else {
			idx[c] = (int)i;
		}
	}
	for (int c = 0; c < COL_COUNT; c++)
		if (columns[c].required && idx[c] < 0) {
			problemf(im, r->line, "missing column %s",
				 columns[c].name);
			bad = -1;
		}
	return bad;
}

static const char *
col(const struct tg_csv_record *r, const int *idx, enum col c)
{
	return idx[c] < 0 ? "" : r->field[idx[c]];
}

/* Checks one data record and adds it to im->rows. */
static void
add_row(struct import *im, const struct tg_csv_record *r, const int *idx,
	size_t ncols)
{
	struct tg_account_row row = {.line = r->line};
	const char *status = col(r, idx, COL_STATUS);
	const char *sla = col(r, idx, COL_SLA);
	int before = im->problems;
	bool known = false;

	if (r->n != ncols) {
		problemf(im, r->line, "%zu columns, the header has %zu", r->n,
			 ncols);
		return;
	}
	row.crm_id = tg_pool_strdup(im->pool, col(r, idx, COL_CRM_ID));
	row.name = tg_pool_strdup(im->pool, col(r, idx, COL_NAME));
	if (row.crm_id[0] == '\0')
		problemf(im, r->line, "empty crm_id");
	if (row.name[0] == '\0')
		problemf(im, r->line, "empty name");
	for (size_t i = 0; i < TG_N(statuses); i++)
		if (strcmp(status, statuses[i]) == 0) {
			row.status = statuses[i];
			known = true;
		}
	if (!known)
		problemf(im, r->line, "unknown status \"%s\"", status);
	if (sla[0] != '\0') {
		row.sla_policy = tg_pool_strdup(im->pool, sla);
		if (im->cfg != NULL &&
		    tg_config_sla_policy(im->cfg, sla) == NULL)
			problemf(im, r->line, "SLA policy \"%s\" not in %s",
				 sla, im->cfg->path);
	}
	row.domains = split_list(im, r->line, col(r, idx, COL_DOMAINS),
				 "domain", valid_domain, &row.n_domains);
	row.contacts =
		split_list(im, r->line, col(r, idx, COL_CONTACTS),
			   "contact address", valid_email, &row.n_contacts);
	if (im->problems != before)
		return;
	if (im->n == im->cap) {
		im->cap = im->cap ? im->cap * 2 : 64;
		im->rows = tg_xrealloc(im->rows, im->cap * sizeof(*im->rows));
	}
	im->rows[im->n++] = row;
}

/* A key and where it was seen, to find what the file claims twice. */
struct seen {
	const char *key;
	unsigned line;
};

static int
seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

/* Reports each key in v[0..n) that an earlier line already has. */
static void
report_dups(struct import *im, struct seen *v, size_t n, const char *what)
{
	qsort(v, n, sizeof(*v), seen_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i].key, v[i - 1].key) == 0) {
			size_t first = i - 1;

			while (first > 0 &&
			       strcmp(v[first - 1].key, v[i].key) == 0)
				first--;
			problemf(im, v[i].line, "%s \"%s\" already on line %u",
				 what, v[i].key, v[first].line);
		}
}

static void
check_dups(struct import *im)
{
	size_t nd = 0, nc = 0, i, j;
	struct seen *ids = tg_xcalloc(im->n + 1, sizeof(*ids)), *doms, *cons;

	for (i = 0; i < im->n; i++) {
		nd += im->rows[i].n_domains;
		nc += im->rows[i].n_contacts;
	}
	doms = tg_xcalloc(nd + 1, sizeof(*doms));
	cons = tg_xcalloc(nc + 1, sizeof(*cons));
	nd = nc = 0;
	for (i = 0; i < im->n; i++) {
		const struct tg_account_row *r = &im->rows[i];

		ids[i] = (struct seen){r->crm_id, r->line};
		for (j = 0; j < r->n_domains; j++)
			doms[nd++] = (struct seen){r->domains[j], r->line};
		for (j = 0; j < r->n_contacts; j++)
			cons[nc++] = (struct seen){r->contacts[j], r->line};
	}
	report_dups(im, ids, im->n, "crm_id");
	report_dups(im, doms, nd, "domain");
	report_dups(im, cons, nc, "contact");
	free(ids);
	free(doms);
	free(cons);
}

static int
parse_file(struct import *im, const struct tg_buf *data)
{
	struct tg_csv_record r;
	struct tg_csv csv;
	struct tg_err err;
	int idx[COL_COUNT];
	size_t ncols = 0;
	bool have_header = false;
	int ret;

	tg_csv_init(&csv, data->data, data->len);
	tg_csv_record_init(&r);
	while ((ret = tg_csv_next(&csv, &r, &err)) != 0) {
		if (ret < 0) {
			problem(im, r.line, err.msg);
			if (!have_header)
				break; /* without columns nothing can be checked
					*/
			continue;
		}
		/* a blank line (often the last one) is no account */
		if (r.n == 1 && r.field[0][0] == '\0')
			continue;
		if (!have_header) {
			have_header = true;
			ncols = r.n;
			if (header(im, &r, idx) < 0)
				break;
			continue;
		}
		add_row(im, &r, idx, ncols);
	}
	tg_csv_record_deinit(&r);
	if (!have_header && im->problems == 0)
		problem(im, 1, "no header row");
	check_dups(im);
	return im->problems > 0 ? -1 : 0;
}

static int
read_input(const char *path, struct tg_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[65536];
	size_t n;
	int ret = 0;

	if (f == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (tg_buf_append(out, chunk, n) < 0) {
			errno = EFBIG;
			ret = -1;
			break;
		}
	if (ferror(f))
		ret = -1;
	fclose(f);
	return ret;
}

static int
import(const char *conninfo, const char *config, const char *file)
{
	struct import im = {.file = file};
	struct tg_account_import_counts c;
	struct tg_config *cfg = NULL;
	struct tg_store *st = NULL;
	const char *password = NULL;
	struct tg_buf data;
	struct tg_err err;
	int status = 0, r;

	tg_buf_init(&data, 64 * 1024, IMPORT_MAX_BYTES);
	im.pool = tg_pool_new(64 * 1024);
	if (config != NULL) {
		if (tg_cmd_load_config("accounts", config, &cfg) < 0) {
			status = 1;
			goto out;
		}
		im.cfg = cfg;
		if (conninfo == NULL)
			conninfo = cfg->database.conninfo;
		password = cfg->database.password;
	}
	if (read_input(file, &data) < 0) {
		fprintf(stderr, "%s: %s\n", file, strerror(errno));
		status = 1;
		goto out;
	}
	if (parse_file(&im, &data) < 0) {
		fprintf(stderr, "accounts: %d problems, nothing imported\n",
			im.problems);
		status = 1;
		goto out;
	}
	if (tg_store_open(conninfo, password, &st, &err) < 0) {
		fprintf(stderr, "accounts: %s\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	r = tg_store_accounts_import(st, im.rows, im.n, problem, &im, &c, &err);
	if (r < 0) {
		fprintf(stderr, "accounts: %s; nothing imported\n", err.msg);
		status = err.temporary ? EX_TEMPFAIL : EX_SOFTWARE;
	} else if (r > 0) {
		fprintf(stderr, "accounts: %d problems, nothing imported\n",
			im.problems);
		status = 1;
	} else {
		printf("%zu accounts imported (%zu new, %zu updated), "
		       "%zu domains, %zu contacts\n",
		       c.accounts, c.created, c.updated, c.domains, c.contacts);
	}
out:
	tg_store_close(&st);
	tg_config_free(&cfg);
	free(im.rows);
	tg_pool_free(&im.pool);
	tg_buf_deinit(&data);
	return status;
}

int
tg_cmd_accounts(int argc, char **argv)
{
	const char *conninfo = getenv("TG_CONNINFO"), *config = NULL;
	const char *file = NULL;
	int i = 2;

	if (argc < 2 || strcmp(argv[1], "import") != 0) {
		usage();
		return EX_USAGE;
	}
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--conninfo") == 0 && i + 1 < argc)
			conninfo = argv[++i];
		else if ((strcmp(argv[i], "-c") == 0 ||
			  strcmp(argv[i], "--config") == 0) &&
			 i + 1 < argc)
			config = argv[++i];
		else if (argv[i][0] == '-' || file != NULL)
			break;
		else
			file = argv[i];
	}
	if (i < argc || file == NULL || (conninfo == NULL && config == NULL)) {
		usage();
		return EX_USAGE;
	}
	return import(conninfo, config, file);
}
