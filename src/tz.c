/* Time zone offsets from compiled TZif files (RFC 8536, versions 1 to 4) and
 * the POSIX TZ rule in their footer, without TZ, tzset() or localtime(),
 * which are process-global. Parses untrusted input: a zone file may be
 * corrupt or truncated, so every count is checked against the file size. */
#include "ticketgate/tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY 86400
#define NAME_MAX_BYTES 255
/* RFC 8536 3.2: a time type's UT offset lies in [-89999, 93599] (just under
 * -25 h to +26 h); the footer's offsets are held to the same range. */
#define MIN_UTOFF (-89999)
#define MAX_UTOFF 93599
/* So the UTC instant of a local time L lies within MAX_SHIFT of L. */
#define MAX_SHIFT 93600
/* RFC 8536 3.3.1: a footer rule's time of day may be -167 h to 167 h. */
#define MAX_RULE_HOURS 167
/* Real footers are short ("<+0545>-5:45"); a long one is not a TZ string. */
#define MAX_FOOTER 255
/* Calendar arithmetic clamps instants to about +-70,000 years, so no int64
 * expression in it can overflow. */
#define RULE_LIMIT ((int64_t)1 << 41)
/* Gaps are resolved within +-34,000 years: the window searched around a
 * local time then stays well inside RULE_LIMIT. */
#define LOCAL_LIMIT ((int64_t)1 << 40)
/* local_to_utc() walks the offset changes in a 52-hour window. Real zones
 * have at most a few there; a crafted file may have thousands. */
#define MAX_WALK 64
#define HDR_LEN 44

enum date_kind {
	DATE_JULIAN1, /* Jn: 1..365, February 29 never counted */
	DATE_JULIAN0, /* n: 0..365, February 29 counted */
	DATE_MWD,     /* Mm.w.d: weekday d of week w (5 = last) of month m */
};

/* One end of the DST period: a day in the year and a local time of day. */
struct rule_date {
	enum date_kind kind;
	int n;        /* DATE_JULIAN1, DATE_JULIAN0 */
	int m, w, d;  /* DATE_MWD: month 1..12, week 1..5, weekday 0..6 (Sun) */
	int32_t secs; /* local time of the change: may be < 0 or > 24 h */
};

/* A POSIX TZ string such as "WET0WEST,M3.5.0/1,M10.5.0". */
struct posix_rule {
	int32_t std_off; /* seconds east of UTC (the string counts west) */
	int32_t dst_off;
	bool has_dst;
	struct rule_date start; /* DST starts, in standard local time */
	struct rule_date end;   /* DST ends, in daylight local time */
};

struct tg_tz {
	size_t n;          /* transitions */
	int64_t *at;       /* transition instants, strictly ascending */
	int32_t *off;      /* off[i]: the offset from at[i] to at[i + 1] */
	int32_t first_off; /* before at[0]: time type 0 (RFC 8536 3.2) */
	bool has_rule;     /* the footer rule holds from at[n - 1] on */
	struct posix_rule rule;
};

struct hdr {
	int version; /* 0, '2', '3' or '4' */
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) TG_PRINTF(3, 4);

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Calendar arithmetic, proleptic Gregorian, days counted from 1970-01-01. */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t
clamp(int64_t t, int64_t limit)
{
	return t > limit ? limit : t < -limit ? -limit : t;
}

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
days_in_month(int64_t y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* H. Hinnant's days_from_civil: eras of 400 years keep it branch-free. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The year of day z (inverse of days_from_civil). */
static int64_t
year_of_day(int64_t z)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/* 0 = Sunday; 1970-01-01 was a Thursday. */
static int
weekday(int64_t day)
{
	return (int)((day % 7 + 11) % 7);
}

/* The POSIX rule. */

/* The local date (days since 1970-01-01) on which rd falls in year y. */
static int64_t
rule_day(const struct rule_date *rd, int64_t y)
{
	int64_t jan1 = days_from_civil(y, 1, 1), first, mday;

	switch (rd->kind) {
	case DATE_JULIAN1:
		/* J60 is March 1 in every year, so leap years skip a day. */
		return jan1 + rd->n - 1 + (is_leap(y) && rd->n >= 60);
	case DATE_JULIAN0:
		return jan1 + rd->n;
	case DATE_MWD:
		break;
	}
	first = days_from_civil(y, rd->m, 1);
	mday = (rd->d - weekday(first) + 7) % 7 + 7 * (rd->w - 1);
	/* Week 5 means the last such weekday, which may be in week 4. */
	if (mday >= days_in_month(y, rd->m))
		mday -= 7;
	return first + mday;
}

static void
rule_changes(const struct posix_rule *r, int64_t y, int64_t *start_r,
	     int64_t *end_r)
{
	*start_r = rule_day(&r->start, y) * DAY + r->start.secs - r->std_off;
	*end_r = rule_day(&r->end, y) * DAY + r->end.secs - r->dst_off;
}

/* The year whose rule decides instant t: its year in standard time. */
static int64_t
rule_year(const struct posix_rule *r, int64_t t)
{
	return year_of_day(floor_div(t + r->std_off, DAY));
}

static int32_t
rule_offset(const struct posix_rule *r, int64_t t)
{
	int64_t start, end;
	bool dst;

	if (!r->has_dst)
		return r->std_off;
	t = clamp(t, RULE_LIMIT);
	rule_changes(r, rule_year(r, t), &start, &end);
	/* In the southern hemisphere DST spans New Year: start > end. */
	if (start < end)
		dst = start <= t && t < end;
	else
		dst = !(end <= t && t < start);
	return dst ? r->dst_off : r->std_off;
}

/* The first instant after t at which rule_offset() may change: a DST start
 * or end, or a New Year in standard time (where the deciding year changes;
 * for a sane rule nothing happens there). */
static int64_t
rule_next(const struct posix_rule *r, int64_t t)
{
	int64_t best = INT64_MAX, y, c[3];

	if (!r->has_dst || t >= RULE_LIMIT)
		return INT64_MAX;
	t = clamp(t, RULE_LIMIT);
	y = rule_year(r, t);
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		rule_changes(r, yy, &c[0], &c[1]);
		c[2] = days_from_civil(yy + 1, 1, 1) * DAY - r->std_off;
		for (size_t i = 0; i < TG_N(c); i++) {
			if (c[i] > t && c[i] < best)
				best = c[i];
		}
	}
	return best;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Up to `digits` decimal digits into *v; false when there are none. */
static bool
parse_num(const char **sp, int digits, int *v)
{
	const char *s = *sp;
	int n = 0;

	while (is_digit(*s) && s - *sp < digits)
		n = n * 10 + (*s++ - '0');
	if (s == *sp)
		return false;
	*v = n;
	*sp = s;
	return true;
}

/* [+-]h[h[h]][:mm[:ss]] with hours at most max_h, into signed seconds. */
static bool
parse_hms(const char **sp, int max_h, int32_t *v)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!parse_num(&s, 3, &h) || h > max_h)
		return false;
	if (*s == ':') {
		s++;
		if (!parse_num(&s, 2, &m) || m > 59)
			return false;
		if (*s == ':') {
			s++;
			if (!parse_num(&s, 2, &sec) || sec > 59)
				return false;
		}
	}
	*v = sign * (h * 3600 + m * 60 + sec);
	*sp = s;
	return true;
}

/* A zone abbreviation: three or more letters, or <...> quoted ("<+0545>"). */
static bool
parse_abbr(const char **sp)
{
	const char *s = *sp, *begin;

	if (*s == '<') {
		begin = ++s;
		while (is_alpha(*s) || is_digit(*s) || *s == '+' || *s == '-')
			s++;
		if (*s != '>' || s - begin < 3)
			return false;
		s++;
	} else {
		begin = s;
		while (is_alpha(*s))
			s++;
		if (s - begin < 3)
			return false;
	}
	*sp = s;
	return true;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static bool
parse_date(const char **sp, struct rule_date *rd)
{
	const char *s = *sp;

	if (*s == 'J') {
		s++;
		rd->kind = DATE_JULIAN1;
		if (!parse_num(&s, 3, &rd->n) || rd->n < 1 || rd->n > 365)
			return false;
	} else if (*s == 'M') {
		s++;
		rd->kind = DATE_MWD;
		if (!parse_num(&s, 2, &rd->m) || rd->m < 1 || rd->m > 12 ||
		    *s++ != '.' || !parse_num(&s, 1, &rd->w) || rd->w < 1 ||
		    rd->w > 5 || *s++ != '.' || !parse_num(&s, 1, &rd->d) ||
		    rd->d > 6)
			return false;
	} else {
		rd->kind = DATE_JULIAN0;
		if (!parse_num(&s, 3, &rd->n) || rd->n > 365)
			return false;
	}
	rd->secs = 2 * 3600;
	if (*s == '/') {
		s++;
		if (!parse_hms(&s, MAX_RULE_HOURS, &rd->secs))
			return false;
	}
	*sp = s;
	return true;
}

static bool
off_ok(int32_t off)
{
	return off >= MIN_UTOFF && off <= MAX_UTOFF;
}

/* std offset [dst [offset] ,start[/time],end[/time]] as in RFC 8536 3.3. */
static bool
parse_rule(const char *s, struct posix_rule *r)
{
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (!parse_abbr(&s) || !parse_hms(&s, 24, &v))
		return false;
	r->std_off = -v; /* POSIX counts hours west of Greenwich */
	if (*s == '\0')
		return off_ok(r->std_off);
	if (!parse_abbr(&s))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s != ',') {
		if (!parse_hms(&s, 24, &v))
			return false;
		r->dst_off = -v;
	}
	/* POSIX leaves the dates of a rule-less DST to the implementation;
	 * zic always writes them, so a footer without them is corrupt. */
	if (*s++ != ',' || !parse_date(&s, &r->start) || *s++ != ',' ||
	    !parse_date(&s, &r->end) || *s != '\0')
		return false;
	return off_ok(r->std_off) && off_ok(r->dst_off);
}

/* The TZif file. */

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t
get64(const unsigned char *p)
{
	/* two's complement, as RFC 8536 stores it and gcc/clang convert */
	return (int64_t)((uint64_t)get32(p) << 32 | get32(p + 4));
}

static int
read_hdr(const unsigned char *p, size_t len, size_t pos, struct hdr *h,
	 char *err, size_t errlen)
{
	const unsigned char *c;

	if (pos > len || len - pos < HDR_LEN)
		return fail(err, errlen, "truncated header");
	p += pos;
	if (memcmp(p, "TZif", 4) != 0)
		return fail(err, errlen, "not a TZif file");
	h->version = p[4];
	if (h->version != 0 && (h->version < '2' || h->version > '4'))
		return fail(err, errlen, "unsupported TZif version 0x%02x",
			    (unsigned)h->version);
	c = p + 20;
	h->isutcnt = get32(c);
	h->isstdcnt = get32(c + 4);
	h->leapcnt = get32(c + 8);
	h->timecnt = get32(c + 12);
	h->typecnt = get32(c + 16);
	h->charcnt = get32(c + 20);
	return 0;
}

/* Bytes in the data block after header h, with tsize-byte times.
 * bounds: six counts below 2^32 times at most 12: under 2^37, no overflow. */
static uint64_t
block_len(const struct hdr *h, unsigned tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 +
	       h->charcnt + (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	       h->isutcnt;
}

/* Reads the data block at p, whose length block_len() has checked. */
static int
parse_block(const unsigned char *p, const struct hdr *h, unsigned tsize,
	    struct tg_tz *tz, char *err, size_t errlen)
{
	const unsigned char *idx = p + (size_t)h->timecnt * tsize;
	const unsigned char *types = idx + h->timecnt;
	const unsigned char *ind = types + (size_t)h->typecnt * 6 + h->charcnt;

	if (h->typecnt == 0)
		return fail(err, errlen, "no time types");
	if (h->charcnt == 0)
		return fail(err, errlen, "no abbreviations");
	if ((h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return fail(err, errlen, "bad indicator counts");
	/* Their timestamps count leap seconds, ours do not. */
	if (h->leapcnt != 0)
		return fail(err, errlen, "leap-second zones are not supported");
	for (uint32_t i = 0; i < h->typecnt; i++) {
		const unsigned char *t = types + (size_t)i * 6;

		if (!off_ok((int32_t)get32(t)) || t[4] > 1 ||
		    t[5] >= h->charcnt)
			return fail(err, errlen, "bad time type %u",
				    (unsigned)i);
	}
	for (uint32_t i = 0; i < h->isstdcnt + h->isutcnt; i++) {
		if (ind[i] > 1)
			return fail(err, errlen, "bad std/ut indicator");
	}
	/* bounds: timecnt < len / 5, and len <= TG_TZ_MAX_FILE_BYTES */
	tz->at = tg_xcalloc(h->timecnt, sizeof(*tz->at));
	tz->off = tg_xcalloc(h->timecnt, sizeof(*tz->off));
	for (uint32_t i = 0; i < h->timecnt; i++) {
		const unsigned char *t = p + (size_t)i * tsize;

		tz->at[i] = tsize == 8 ? get64(t) : (int32_t)get32(t);
		if (i > 0 && tz->at[i] <= tz->at[i - 1])
			return fail(err, errlen, "transitions out of order");
		if (idx[i] >= h->typecnt)
			return fail(err, errlen, "bad time type index");
		tz->off[i] = (int32_t)get32(types + (size_t)idx[i] * 6);
	}
	tz->n = h->timecnt;
	tz->first_off = (int32_t)get32(types);
	return 0;
}

/* "\nTZ string\n" after the v2+ data block; an empty string means none. */
static int
parse_footer(const unsigned char *p, size_t len, struct tg_tz *tz, char *err,
	     size_t errlen)
{
	char s[MAX_FOOTER + 1];
	size_t n = 0;

	if (len == 0 || p[0] != '\n')
		return fail(err, errlen, "missing footer");
	for (p++, len--; n < len && p[n] != '\n'; n++) {
		if (n >= MAX_FOOTER || p[n] < 0x20 || p[n] > 0x7e)
			return fail(err, errlen, "bad footer");
		s[n] = (char)p[n];
	}
	if (n == len)
		return fail(err, errlen, "truncated footer");
	s[n] = '\0';
	if (n == 0)
		return 0;
	if (!parse_rule(s, &tz->rule))
		return fail(err, errlen, "bad footer TZ string \"%s\"", s);
	tz->has_rule = true;
	return 0;
}

static int
parse(const unsigned char *data, size_t len, struct tg_tz *tz, char *err,
      size_t errlen)
{
	struct hdr h;
	size_t pos = HDR_LEN;
	uint64_t blen;

	if (read_hdr(data, len, 0, &h, err, errlen) < 0)
		return -1;
	blen = block_len(&h, 4);
	if (blen > len - pos)
		return fail(err, errlen, "truncated data");
	if (h.version == 0)
		return parse_block(data + pos, &h, 4, tz, err, errlen);

	/* Version 2 and later repeat the data with 64-bit times, which are
	 * the ones to use; the 32-bit block may even be empty ("slim"). */
	pos += (size_t)blen;
	if (read_hdr(data, len, pos, &h, err, errlen) < 0)
		return -1;
	if (h.version < '2')
		return fail(err, errlen, "bad second header");
	pos += HDR_LEN;
	blen = block_len(&h, 8);
	if (blen > len - pos)
		return fail(err, errlen, "truncated data");
	if (parse_block(data + pos, &h, 8, tz, err, errlen) < 0)
		return -1;
	pos += (size_t)blen;
	return parse_footer(data + pos, len - pos, tz, err, errlen);
}

int
tg_tz_parse(const unsigned char *data, size_t len, struct tg_tz **tz_r,
	    char *err, size_t errlen)
{
	struct tg_tz *tz;

	*tz_r = NULL;
	if (len > TG_TZ_MAX_FILE_BYTES)
		return fail(err, errlen, "over %d bytes", TG_TZ_MAX_FILE_BYTES);
	tz = tg_xcalloc(1, sizeof(*tz));
	if (parse(data, len, tz, err, errlen) < 0) {
		tg_tz_free(&tz);
		return -1;
	}
	*tz_r = tz;
	return 0;
}

/* Letters, digits and "_+-" in components joined by single slashes; no
 * component starts with "+" or "-", none is empty or starts with ".". */
static bool
valid_name(const char *name)
{
	bool comp_start = true;
	size_t n;

	for (n = 0; name[n] != '\0'; n++) {
		char c = name[n];

		if (n >= NAME_MAX_BYTES)
			return false;
		if (c == '/') {
			if (comp_start)
				return false;
			comp_start = true;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '_' &&
		    (comp_start || (c != '+' && c != '-')))
			return false;
		comp_start = false;
	}
	return n > 0 && !comp_start;
}

/* Reads a regular file of at most TG_TZ_MAX_FILE_BYTES into *buf_r. */
static int
read_file(const char *path, unsigned char **buf_r, size_t *len_r, char *err,
	  size_t errlen)
{
	struct stat st;
	unsigned char *buf = NULL;
	size_t len = 0;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "%s", strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > TG_TZ_MAX_FILE_BYTES) {
		close(fd);
		return fail(err, errlen, "not a zone file");
	}
	/* One byte spare, to notice a file that grew past its size. */
	buf = tg_xmalloc((size_t)st.st_size + 1);
	while (len <= (size_t)st.st_size) {
		got = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			close(fd);
			return fail(err, errlen, "%s", strerror(e));
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	*buf_r = buf;
	*len_r = len;
	return 0;
}

int
tg_tz_load(const char *name, struct tg_tz **tz_r, char *err, size_t errlen)
{
	char path[sizeof(TG_TZ_DIR) + NAME_MAX_BYTES + 1];
	char why[160];
	unsigned char *buf = NULL;
	size_t len = 0;
	int ret;

	*tz_r = NULL;
	if (!valid_name(name))
		return fail(err, errlen, "invalid time zone name");
	/* valid_name() caps the length, so this cannot truncate */
	snprintf(path, sizeof(path), "%s/%s", TG_TZ_DIR, name);
	if (read_file(path, &buf, &len, why, sizeof(why)) < 0)
		return fail(err, errlen, "time zone %s: %s", name, why);
	ret = tg_tz_parse(buf, len, tz_r, why, sizeof(why));
	free(buf);
	if (ret < 0)
		return fail(err, errlen, "time zone %s: %s", name, why);
	return 0;
}

void
tg_tz_free(struct tg_tz **tz)
{
	if (tz == NULL || *tz == NULL)
		return;
	free((*tz)->at);
	free((*tz)->off);
	free(*tz);
	*tz = NULL;
}

/* Lookups. */

int32_t
tg_tz_offset(const struct tg_tz *tz, int64_t utc)
{
	size_t lo, hi;

	if (tz == NULL)
		return 0;
	if (tz->n == 0)
		return tz->has_rule ? rule_offset(&tz->rule, utc)
				    : tz->first_off;
	if (utc < tz->at[0])
		return tz->first_off;
	/* From the last transition itself on, so that the offset is constant
	 * between the points next_change() reports. */
	if (tz->has_rule && utc >= tz->at[tz->n - 1])
		return rule_offset(&tz->rule, utc);
	/* the last i with at[i] <= utc */
	lo = 0;
	hi = tz->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (tz->at[mid] <= utc)
			lo = mid;
		else
			hi = mid;
	}
	return tz->off[lo];
}

/* The first instant after t at which the offset may change. */
static int64_t
next_change(const struct tg_tz *tz, int64_t t)
{
	if (tz->n > 0 && t < tz->at[tz->n - 1]) {
		/* the first i with at[i] > t */
		size_t lo = 0, hi = tz->n - 1;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (tz->at[mid] > t)
				hi = mid;
			else
				lo = mid + 1;
		}
		return tz->at[lo];
	}
	return tz->has_rule ? rule_next(&tz->rule, t) : INT64_MAX;
}

int64_t
tg_tz_local_to_utc(const struct tg_tz *tz, int64_t local)
{
	int64_t s;
	int32_t o;

	if (tz == NULL)
		return local;
	if (local > LOCAL_LIMIT || local < -LOCAL_LIMIT) {
		/* No calendar counts out here: skip the search, and saturate
		 * so that nothing overflows. */
		o = tg_tz_offset(tz, local);
		if (o > 0 && local < INT64_MIN + o)
			return INT64_MIN;
		if (o < 0 && local > INT64_MAX + o)
			return INT64_MAX;
		return local - o;
	}
	/* Every u with u + offset(u) == local lies within MAX_SHIFT of
	 * local: walk the stretches of constant offset [s, e) from there.
	 * The first stretch that holds its candidate gives the earliest
	 * answer; a candidate before its stretch's start means local fell
	 * into the gap that start closes. */
	s = local - MAX_SHIFT - 1;
	o = tg_tz_offset(tz, s);
	for (int i = 0; i < MAX_WALK; i++) {
		int64_t e = next_change(tz, s), u = local - o;

		if (u < s)
			return s;
		if (u < e)
			return u;
		s = e;
		o = tg_tz_offset(tz, s);
	}
	/* Dozens of changes within two days: a crafted file. Any answer
	 * near local will do. */
	return local - tg_tz_offset(tz, local);
}
