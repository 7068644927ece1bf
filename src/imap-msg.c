/* IMAP work on the selected folder, always by UID: search, sizes, batched
 * fetch, flags, move, delete (waiting for new mail is imap-idle.c). Parses
 * untrusted input: the server's replies, through libetpan. */
#include "imap-private.h"
#include "ticketgate/util.h"

#include <stdlib.h>
#include <string.h>

static int
cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* A sorted copy of uids[0..n) without duplicates; *n_r is its length. */
static uint32_t *
sorted_uids(const uint32_t *uids, size_t n, size_t *n_r)
{
	uint32_t *s = tg_xcalloc(n, sizeof(*s)); /* bounds: calloc checks */
	size_t k = 0;

	memcpy(s, uids, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_uid);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || s[i] != s[k - 1])
			s[k++] = s[i];
	*n_r = k;
	return s;
}

/* Consecutive UIDs become one range, so a batch stays a short line. */
static struct mailimap_set *
set_of_sorted(const uint32_t *s, size_t n)
{
	struct mailimap_set *set = tg_imap_need(mailimap_set_new_empty());

	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j + 1 < n && s[j + 1] == s[j] + 1)
			j++;
		if (mailimap_set_add_interval(set, s[i], s[j]) !=
		    MAILIMAP_NO_ERROR)
			(void)tg_imap_need(NULL); /* aborts: out of memory */
		i = j + 1;
	}
	return set;
}

/* libetpan writes UID 0 as "*", so 0 would name the newest message. */
static int
check_uids(const uint32_t *uids, size_t n, struct tg_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (uids[i] == 0)
			return tg_err_set(err, "IMAP UID 0 is not valid");
	return 0;
}

/* The set for uids[0..n): 1 when built, 0 when n is 0, -1 on bad input. */
static int
uid_set(const uint32_t *uids, size_t n, struct mailimap_set **set_r,
	struct tg_err *err)
{
	uint32_t *s;
	size_t k;

	if (n == 0)
		return 0;
	if (check_uids(uids, n, err) < 0)
		return -1;
	s = sorted_uids(uids, n, &k);
	*set_r = set_of_sorted(s, k);
	free(s);
	return 1;
}

int
tg_imap_search_from(struct tg_imap *im, uint32_t first_uid, uint32_t **uids_r,
		    size_t *n_r, struct tg_err *err)
{
	struct mailimap_search_key *key;
	clist *res = NULL;
	uint32_t *uids;
	size_t n = 0;
	int r;

	if (first_uid == 0)
		first_uid = 1;
	/* interval end 0 is "*" */
	key = tg_imap_need(mailimap_search_key_new_uid(
		tg_imap_need(mailimap_set_new_interval(first_uid, 0))));
	r = mailimap_uid_search(im->imap, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "UID SEARCH", err);
	uids = tg_xcalloc(res != NULL ? clist_count(res) : 0, sizeof(*uids));
	for (clistiter *it = res ? clist_begin(res) : NULL; it != NULL;
	     it = clist_next(it)) {
		uint32_t uid = *(uint32_t *)clist_content(it);

		/* "n:*" always matches the newest message, even below n */
		if (uid >= first_uid)
			uids[n++] = uid;
	}
	if (res != NULL)
		mailimap_search_result_free(res);
	qsort(uids, n, sizeof(*uids), cmp_uid);
	if (n == 0) {
		free(uids);
		uids = NULL;
	}
	*uids_r = uids;
	*n_r = n;
	return 0;
}

/* What one FETCH response says of a message: its UID (0 if absent), its
 * RFC822.SIZE (0) and its body (NULL). */
struct fetched_att {
	uint32_t uid, size;
	const struct mailimap_msg_att_body_section *body;
};

static struct fetched_att
read_att(const struct mailimap_msg_att *ma)
{
	struct fetched_att f = {0};

	for (clistiter *it = clist_begin(ma->att_list); it != NULL;
	     it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		const struct mailimap_msg_att_static *st;

		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
			continue;
		st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			f.uid = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE)
			f.size = st->att_data.att_rfc822_size;
		else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION)
			f.body = st->att_data.att_body_section;
	}
	return f;
}

/* Hands one FETCH response to cb if it carries a requested UID and a body;
 * servers also send unsolicited FETCHes (flag changes by others). */
static int
deliver(const struct mailimap_msg_att *ma, const uint32_t *want, size_t nwant,
	tg_imap_fetch_cb *cb, void *ctx, struct tg_err *err)
{
	struct fetched_att f = read_att(ma);
	const struct mailimap_msg_att_body_section *body = f.body;
	uint32_t uid = f.uid;

	if (body == NULL ||
	    bsearch(&uid, want, nwant, sizeof(*want), cmp_uid) == NULL)
		return 0;
	/* NIL (no body) reaches the caller as an empty message */
	if (cb(ctx, uid, body->sec_body_part ? body->sec_body_part : "",
	       body->sec_body_part ? body->sec_length : 0) != 0)
		return tg_err_set(err, "handling fetched message uid=%u failed",
				  (unsigned)uid);
	return 0;
}

static struct mailimap_fetch_type *
fetch_uid_and_body(void)
{
	struct mailimap_fetch_type *ft =
		tg_imap_need(mailimap_fetch_type_new_fetch_att_list_empty());
	struct mailimap_fetch_att *uid =
		tg_imap_need(mailimap_fetch_att_new_uid());
	struct mailimap_fetch_att *body =
		tg_imap_need(mailimap_fetch_att_new_body_peek_section(
			tg_imap_need(mailimap_section_new(NULL))));

	if (mailimap_fetch_type_new_fetch_att_list_add(ft, uid) !=
		    MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, body) !=
		    MAILIMAP_NO_ERROR)
		(void)tg_imap_need(NULL); /* aborts: out of memory */
	return ft;
}

int
tg_imap_fetch(struct tg_imap *im, const uint32_t *uids, size_t n,
	      tg_imap_fetch_cb *cb, void *ctx, struct tg_err *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	uint32_t *want;
	size_t nwant;
	int r, ret = 0;

	if (n == 0)
		return 0;
	if (check_uids(uids, n, err) < 0)
		return -1;
	want = sorted_uids(uids, n, &nwant);
	set = set_of_sorted(want, nwant);
	ft = fetch_uid_and_body();
	r = mailimap_uid_fetch(im->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		ret = tg_imap_fail(im, r, "UID FETCH", err);
	for (clistiter *it = res ? clist_begin(res) : NULL;
	     it != NULL && ret == 0; it = clist_next(it))
		ret = deliver(clist_content(it), want, nwant, cb, ctx, err);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	free(want);
	return ret;
}

/* Records one FETCH response's RFC822.SIZE if it names one of uids. */
static void
note_size(const struct mailimap_msg_att *ma, const uint32_t *uids, size_t n,
	  uint32_t *sizes)
{
	struct fetched_att f = read_att(ma);
	const uint32_t *at = bsearch(&f.uid, uids, n, sizeof(*uids), cmp_uid);

	if (at != NULL)
		sizes[at - uids] = f.size;
}

int
tg_imap_sizes(struct tg_imap *im, const uint32_t *uids, size_t n,
	      uint32_t *sizes, struct tg_err *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	int r;

	memset(sizes, 0, n * sizeof(*sizes));
	if (n == 0)
		return 0;
	if (check_uids(uids, n, err) < 0)
		return -1;
	set = set_of_sorted(uids, n);
	ft = tg_imap_need(mailimap_fetch_type_new_fetch_att_list_empty());
	if (mailimap_fetch_type_new_fetch_att_list_add(
		    ft, tg_imap_need(mailimap_fetch_att_new_uid())) !=
		    MAILIMAP_NO_ERROR ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, tg_imap_need(mailimap_fetch_att_new_rfc822_size())) !=
		    MAILIMAP_NO_ERROR)
		(void)tg_imap_need(NULL); /* aborts: out of memory */
	r = mailimap_uid_fetch(im->imap, set, ft, &res);
	mailimap_fetch_type_free(ft);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "UID FETCH (RFC822.SIZE)", err);
	for (clistiter *it = res ? clist_begin(res) : NULL; it != NULL;
	     it = clist_next(it))
		note_size(clist_content(it), uids, n, sizes);
	if (res != NULL)
		mailimap_fetch_list_free(res);
	return 0;
}

/* UID STORE +FLAGS.SILENT (flag); takes flag, borrows set. */
static int
add_flag(struct tg_imap *im, struct mailimap_set *set,
	 struct mailimap_flag *flag, struct tg_err *err)
{
	struct mailimap_flag_list *fl =
		tg_imap_need(mailimap_flag_list_new_empty());
	struct mailimap_store_att_flags *sa;
	int r;

	if (mailimap_flag_list_add(fl, tg_imap_need(flag)) != MAILIMAP_NO_ERROR)
		(void)tg_imap_need(NULL); /* aborts: out of memory */
	sa = tg_imap_need(mailimap_store_att_flags_new_add_flags_silent(fl));
	r = mailimap_uid_store(im->imap, set, sa);
	mailimap_store_att_flags_free(sa);
	return r == MAILIMAP_NO_ERROR ? 0
				      : tg_imap_fail(im, r, "UID STORE", err);
}

int
tg_imap_mark_seen(struct tg_imap *im, const uint32_t *uids, size_t n,
		  struct tg_err *err)
{
	struct mailimap_set *set;
	int ret = uid_set(uids, n, &set, err);

	if (ret <= 0)
		return ret;
	ret = add_flag(im, set, mailimap_flag_new_seen(), err);
	mailimap_set_free(set);
	return ret;
}

/* \Deleted, then UID EXPUNGE of exactly set (UIDPLUS). */
static int
expunge_uids(struct tg_imap *im, struct mailimap_set *set, struct tg_err *err)
{
	int r;

	if (add_flag(im, set, mailimap_flag_new_deleted(), err) < 0)
		return -1;
	r = mailimap_uid_expunge(im->imap, set);
	return r == MAILIMAP_NO_ERROR ? 0
				      : tg_imap_fail(im, r, "UID EXPUNGE", err);
}

static int
move_set(struct tg_imap *im, struct mailimap_set *set, const char *folder,
	 struct tg_err *err)
{
	int r;

	if (im->has_move) {
		r = mailimap_uid_move(im->imap, set, folder);
		return r == MAILIMAP_NO_ERROR
			       ? 0
			       : tg_imap_fail(im, r, "UID MOVE", err);
	}
	if (!im->has_uidplus)
		return tg_err_set(err,
				  "%s offers neither MOVE nor UIDPLUS: "
				  "cannot move just these messages",
				  im->host);
	r = mailimap_uid_copy(im->imap, set, folder);
	if (r != MAILIMAP_NO_ERROR)
		return tg_imap_fail(im, r, "UID COPY", err);
	return expunge_uids(im, set, err);
}

int
tg_imap_move(struct tg_imap *im, const uint32_t *uids, size_t n,
	     const char *folder, struct tg_err *err)
{
	struct mailimap_set *set;
	int ret = uid_set(uids, n, &set, err);

	if (ret <= 0)
		return ret;
	ret = move_set(im, set, folder, err);
	mailimap_set_free(set);
	return ret;
}

int
tg_imap_delete(struct tg_imap *im, const uint32_t *uids, size_t n,
	       struct tg_err *err)
{
	struct mailimap_set *set;
	int ret;

	/* a plain EXPUNGE would also remove other clients' \Deleted mail */
	if (n > 0 && !im->has_uidplus)
		return tg_err_set(err,
				  "%s does not offer UIDPLUS: cannot "
				  "delete just these messages",
				  im->host);
	ret = uid_set(uids, n, &set, err);
	if (ret <= 0)
		return ret;
	ret = expunge_uids(im, set, err);
	mailimap_set_free(set);
	return ret;
}
