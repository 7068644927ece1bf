/* Schema migrations: schema/NNNN_name.sql applied in order, each in its own
 * transaction, recorded in schema_migration, under an advisory lock so
 * that two daemons starting at once cannot apply a file twice. */
#include "store-private.h"
#include "ticketgate/buf.h"
#include "ticketgate/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant works; this one spells "tgmigr". */
#define MIGRATE_LOCK "116103109105103114"

struct migration {
	int version;
	char *name; /* file name */
};

static int
cmp_migration(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* NNNN_name.sql with lowercase letters, digits and '_' in name. */
static int
parse_name(const char *name, int *version_r)
{
	size_t n = strlen(name);

	if (n < 10 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_')
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	for (size_t i = 5; i < n - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return -1;
	*version_r = atoi(name);
	return 0;
}

static int
list_migrations(const char *dir, struct migration **list_r, size_t *n_r,
		struct tg_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct migration *list = NULL;
	size_t n = 0, cap = 0;

	if (d == NULL)
		return tg_err_set(err, "schema directory %s: %s", dir,
				  strerror(errno));
	while ((e = readdir(d)) != NULL) {
		int v;

		if (parse_name(e->d_name, &v) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			list = tg_xrealloc(list, cap * sizeof(*list));
		}
		list[n].version = v;
		list[n].name = tg_xstrdup(e->d_name);
		n++;
	}
	closedir(d);
	qsort(list, n, sizeof(*list), cmp_migration);
	for (size_t i = 1; i < n; i++)
		if (list[i].version == list[i - 1].version) {
			tg_err_set(err, "schema directory %s: two files for version %d",
				   dir, list[i].version);
			for (size_t k = 0; k < n; k++)
				free(list[k].name);
			free(list);
			return -1;
		}
	*list_r = list;
	*n_r = n;
	return 0;
}

static int
read_file(const char *path, struct tg_buf *out, struct tg_err *err)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t got;

	if (f == NULL)
		return tg_err_set(err, "%s: %s", path, strerror(errno));
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tg_buf_append(out, chunk, got);
	if (ferror(f)) {
		fclose(f);
		return tg_err_set(err, "%s: read error", path);
	}
	fclose(f);
	return 0;
}

static int
is_applied(struct tg_store *st, int version, bool *applied_r,
	   struct tg_err *err)
{
	static const char sql[] =
		"SELECT 1 FROM schema_migration WHERE version = $1";
	char v[16];
	const char *params[1] = { v };
	PGresult *res;
	int ret = 0;

	snprintf(v, sizeof(v), "%d", version);
	res = PQexecParams(st->conn, sql, 1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = store_fail(st, res, "reading schema_migration", err);
	else
		*applied_r = PQntuples(res) > 0;
	PQclear(res);
	return ret;
}

static int
apply_one(struct tg_store *st, const char *dir, const struct migration *m,
	  struct tg_err *err)
{
	static const char sql_record[] =
		"INSERT INTO schema_migration (version, name) VALUES ($1, $2)";
	struct tg_buf path, body;
	char v[16];
	const char *params[2] = { v, m->name };
	PGresult *res;
	int ret = -1;

	tg_buf_init(&path, 0, 0);
	tg_buf_init(&body, 0, 0);
	tg_buf_appendf(&path, "%s/%s", dir, m->name);
	if (read_file(tg_buf_cstr(&path), &body, err) < 0)
		goto out;
	if (store_exec(st, "BEGIN", "migrate", err) < 0)
		goto out;
	/* Schema files are the project's own DDL: a script of several
	 * statements, which only the simple query protocol runs. */
	res = PQexec(st->conn, tg_buf_cstr(&body));
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK) {
		store_fail(st, res, m->name, err);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	snprintf(v, sizeof(v), "%d", m->version);
	res = PQexecParams(st->conn, sql_record, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		store_fail(st, res, "recording migration", err);
		PQclear(res);
		goto rollback;
	}
	PQclear(res);
	ret = store_exec(st, "COMMIT", "migrate", err);
	goto out;
rollback:
	store_exec(st, "ROLLBACK", "migrate", NULL);
out:
	tg_buf_deinit(&path);
	tg_buf_deinit(&body);
	return ret;
}

int
tg_store_migrate(struct tg_store *st, const char *schema_dir, int *applied_r,
		 struct tg_err *err)
{
	struct migration *list = NULL;
	size_t n = 0;
	int ret = -1;

	*applied_r = 0;
	if (list_migrations(schema_dir, &list, &n, err) < 0)
		return -1;
	if (n == 0) {
		tg_err_set(err, "schema directory %s has no NNNN_name.sql file",
			   schema_dir);
		goto out;
	}
	if (store_exec(st, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")",
		       "taking the migration lock", err) < 0)
		goto out;
	if (store_exec(st,
		       "CREATE TABLE IF NOT EXISTS schema_migration ("
		       " version integer PRIMARY KEY,"
		       " name text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now())",
		       "creating schema_migration", err) < 0)
		goto unlock;
	for (size_t i = 0; i < n; i++) {
		bool applied = false;

		if (is_applied(st, list[i].version, &applied, err) < 0)
			goto unlock;
		if (applied)
			continue;
		if (apply_one(st, schema_dir, &list[i], err) < 0)
			goto unlock;
		(*applied_r)++;
	}
	ret = 0;
unlock:
	store_exec(st, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")",
		   "releasing the migration lock", NULL);
out:
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
	return ret;
}
