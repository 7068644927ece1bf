/* Date header parsing with the leniency of Python's email.utils
 * parsedate_to_datetime (which the rest of the pipeline is scored
 * against), and UTC formatting. Parses untrusted input. */
#include "ticketgate/date.h"
#include "ticketgate/util.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A slice of the input; the parser only ever narrows slices, so nothing
 * is copied and every access stays inside in[0..len). */
struct tok {
	const char *p;
	size_t n;
};

/* Python's int() refuses strings with more digits than this. */
#define PY_MAX_INT_DIGITS 4300
/* Numbers saturate here: far past any valid field, yet small enough that
 * the zone arithmetic below cannot overflow an int64. */
#define SATURATE 1000000000000LL
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z */
#define MIN_TIME (-62135596800LL)
#define MAX_TIME 253402300799LL

static const char *const month_names[] = {
	"jan",     "feb",      "mar",       "apr",     "may",      "jun",
	"jul",     "aug",      "sep",       "oct",     "nov",      "dec",
	"january", "february", "march",     "april",   "may",      "june",
	"july",    "august",   "september", "october", "november", "december",
};

static const char *const day_names[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

static const struct {
	const char *name;
	int hhmm;
} zones[] = {
	{"UT", 0},     {"UTC", 0},    {"GMT", 0},    {"Z", 0},
	{"AST", -400}, {"ADT", -300}, {"EST", -500}, {"EDT", -400},
	{"CST", -600}, {"CDT", -500}, {"MST", -700}, {"MDT", -600},
	{"PST", -800}, {"PDT", -700},
};

/* The whitespace Python's str.split() splits on, restricted to what can
 * reach it from a bytes header (8-bit bytes become surrogates there). */
static bool
is_py_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

static bool
tok_ends_with(struct tok t, char c)
{
	return t.n > 0 && t.p[t.n - 1] == c;
}

static bool
tok_eq_ci(struct tok t, const char *s)
{
	return strlen(s) == t.n && tg_ascii_strncasecmp(t.p, s, t.n) == 0;
}

static ptrdiff_t
tok_find(struct tok t, char c)
{
	const char *q = t.n > 0 ? memchr(t.p, c, t.n) : NULL;

	return q != NULL ? q - t.p : -1;
}

static struct tok
tok_sub(struct tok t, size_t from, size_t to)
{
	struct tok r = {t.p + from, to - from};

	return r;
}

/* Splits t at every c into at most max parts; returns the number of parts
 * there would be (which may exceed max, then only max are stored). */
static size_t
tok_split(struct tok t, char c, struct tok *parts, size_t max)
{
	size_t count = 0, start = 0;

	for (size_t i = 0; i <= t.n; i++) {
		if (i < t.n && t.p[i] != c)
			continue;
		if (count < max)
			parts[count] = tok_sub(t, start, i);
		count++;
		start = i + 1;
	}
	return count;
}

/* Python's int() on a whitespace-free string: optional sign, ASCII digits
 * with single underscores between them. Saturates instead of growing.
 * Returns false where int() raises ValueError. */
static bool
py_int(struct tok t, int64_t *v_r)
{
	size_t i = 0, digits = 0;
	bool neg = false, prev_digit = false;
	int64_t v = 0;

	if (t.n > 0 && (t.p[0] == '+' || t.p[0] == '-')) {
		neg = t.p[0] == '-';
		i++;
	}
	for (; i < t.n; i++) {
		char c = t.p[i];

		if (c == '_') {
			/* an underscore only between two digits */
			if (!prev_digit || i + 1 >= t.n)
				return false;
			prev_digit = false;
			continue;
		}
		if (c < '0' || c > '9')
			return false;
		prev_digit = true;
		digits++;
		if (v < SATURATE)
			v = v * 10 + (c - '0');
	}
	if (digits == 0 || !prev_digit || digits > PY_MAX_INT_DIGITS)
		return false;
	if (v > SATURATE)
		v = SATURATE;
	*v_r = neg ? -v : v;
	return true;
}

static int
month_index(struct tok t)
{
	for (size_t i = 0; i < TG_N(month_names); i++)
		if (tok_eq_ci(t, month_names[i]))
			return (int)(i % 12) + 1;
	return 0;
}

static bool
is_day_name(struct tok t)
{
	for (size_t i = 0; i < TG_N(day_names); i++)
		if (tok_eq_ci(t, day_names[i]))
			return true;
	return false;
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. The
 * year is shifted to start in March so the leap day ends the year. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Python's zone rule: a known name, else a number read as [+-]hhmm; -0
 * and anything unreadable mean "no zone" (*known_r false). */
static void
parse_zone(struct tok tz, bool *known_r, int64_t *secs_r)
{
	int64_t v = 0, sign = 1;

	*known_r = false;
	*secs_r = 0;
	for (size_t i = 0; i < TG_N(zones); i++) {
		if (tok_eq_ci(tz, zones[i].name)) {
			v = zones[i].hhmm;
			goto convert;
		}
	}
	if (!py_int(tz, &v) || (v == 0 && tz.p[0] == '-'))
		return;
convert:
	*known_r = true;
	if (v < 0) {
		sign = -1;
		v = -v;
	}
	*secs_r = sign * ((v / 100) * 3600 + (v % 100) * 60);
}

/* Reads the time field: h:m, h:m:s, or the same with dots. */
static bool
parse_time(struct tok tm, int64_t *h, int64_t *mi, int64_t *s)
{
	struct tok part[3];
	size_t n = tok_split(tm, ':', part, 3);

	if (n == 1 && tok_find(tm, '.') >= 0)
		n = tok_split(tm, '.', part, 3);
	if (n != 2 && n != 3)
		return false;
	*s = 0;
	return py_int(part[0], h) && py_int(part[1], mi) &&
	       (n == 2 || py_int(part[2], s));
}

/* The field juggling below follows Python's _parsedate_tz step by step,
 * since matching its answers on odd input is the point. */
int
tg_date_parse(const char *in, size_t len, int64_t *t_r)
{
	struct tok data[6], tmp, dd, mm, yy, tm, tz;
	size_t n = 0, i = 0;
	int64_t year, day, hh, mi, ss, off;
	bool zone_known;
	int mon;

	/* Only the first six words can matter; the count decides forms. */
	while (i < len) {
		size_t start;

		while (i < len && is_py_space((unsigned char)in[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !is_py_space((unsigned char)in[i]))
			i++;
		if (n < TG_N(data))
			data[n].p = in + start, data[n].n = i - start;
		n++;
	}
	if (n == 0)
		return -1;
	/* A day name, or anything ending in a comma, is dropped. */
	if (tok_ends_with(data[0], ',') || is_day_name(data[0])) {
		memmove(data, data + 1, sizeof(data) - sizeof(data[0]));
		n--;
	} else {
		for (size_t k = data[0].n; k > 0; k--) {
			if (data[0].p[k - 1] == ',') {
				data[0] = tok_sub(data[0], k, data[0].n);
				break;
			}
		}
	}
	if (n == 3) {
		/* RFC 850 "26-Apr-03" */
		struct tok part[3];

		if (tok_split(data[0], '-', part, 3) == 3) {
			data[4] = data[2];
			data[3] = data[1];
			memcpy(data, part, sizeof(part));
			n = 5;
		}
	}
	if (n == 4) {
		/* a zone glued to the time: "10:00+0200" */
		ptrdiff_t k = tok_find(data[3], '+');

		if (k < 0)
			k = tok_find(data[3], '-');
		if (k > 0) {
			data[4] = tok_sub(data[3], (size_t)k, data[3].n);
			data[3] = tok_sub(data[3], 0, (size_t)k);
		} else {
			data[4].p = "", data[4].n = 0;
		}
		n = 5;
	}
	if (n < 5)
		return -1;
	dd = data[0], mm = data[1], yy = data[2], tm = data[3], tz = data[4];
	if (dd.n == 0 || mm.n == 0 || yy.n == 0)
		return -1;
	mon = month_index(mm);
	if (mon == 0) {
		tmp = dd, dd = mm, mm = tmp;
		mon = month_index(mm);
		if (mon == 0)
			return -1;
	}
	if (tok_ends_with(dd, ','))
		dd.n--;
	if (tok_find(yy, ':') > 0)
		tmp = yy, yy = tm, tm = tmp;
	if (tok_ends_with(yy, ',')) {
		yy.n--;
		if (yy.n == 0)
			return -1;
	}
	if (yy.n == 0 || yy.p[0] < '0' || yy.p[0] > '9')
		tmp = yy, yy = tz, tz = tmp;
	if (tok_ends_with(tm, ','))
		tm.n--;
	if (!parse_time(tm, &hh, &mi, &ss) || !py_int(yy, &year) ||
	    !py_int(dd, &day))
		return -1;
	if (year < 100)
		year += year > 68 ? 1900 : 2000;
	parse_zone(tz, &zone_known, &off);
	/* Python's datetime and timezone range checks */
	if (off <= -86400 || off >= 86400)
		return -1;
	if (year < 1 || year > 9999 || day < 1 || day > month_days(year, mon) ||
	    hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59)
		return -1;
	(void)zone_known; /* no zone and -0000 both mean UTC here */
	*t_r = days_from_civil(year, mon, (int)day) * 86400 + hh * 3600 +
	       mi * 60 + ss - off;
	return 0;
}

/* Outside years 1..9999 (which only a zone offset at the very ends can
 * produce) the time is clamped, so the output always has the fixed form. */
void
tg_date_format_utc(int64_t t, char out[32])
{
	int64_t days, secs, era, doe, yoe, doy, mp, y, m, d;

	if (t < MIN_TIME)
		t = MIN_TIME;
	if (t > MAX_TIME)
		t = MAX_TIME;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	/* inverse of days_from_civil */
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + era * 400 + (m <= 2);
	/* the modulos only tell the compiler the widths */
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ",
		 (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u,
		 (unsigned)(secs / 3600) % 100u,
		 (unsigned)(secs / 60 % 60) % 100u,
		 (unsigned)(secs % 60) % 100u);
}
