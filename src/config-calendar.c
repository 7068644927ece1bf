/* The config sections about time: business-hours calendars (time zone,
 * weekly hours, holidays) and the SLA policies that count in them, with
 * the default policy. */
#include "config-private.h"
#include "ticketgate/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TARGET_MINUTES (366 * 24 * 60)

static const char *const weekdays[7] = {
	"sunday",   "monday", "tuesday",  "wednesday",
	"thursday", "friday", "saturday",
};

/* --- parsing ------------------------------------------------------------ */

/* "H:MM" or "HH:MM", 00:00 to 24:00; returns minutes or -1. */
static int
parse_clock(const char **pp)
{
	const char *p = *pp;
	int h = 0, m, digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 2) {
		h = h * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || *p++ != ':')
		return -1;
	if (p[0] < '0' || p[0] > '5' || p[1] < '0' || p[1] > '9')
		return -1;
	m = (p[0] - '0') * 10 + (p[1] - '0');
	*pp = p + 2;
	if (h > 24 || (h == 24 && m != 0))
		return -1;
	return h * 60 + m;
}

/* "09:00-18:00" or "closed" into minutes after midnight; open == close
 * means closed, as struct tg_calendar has it. NULL or why it is wrong. */
static const char *
parse_hours(const char *v, int *open_r, int *close_r)
{
	const char *p = v;
	int open, close;

	if (strcmp(v, "closed") == 0) {
		*open_r = *close_r = 0;
		return NULL;
	}
	open = parse_clock(&p);
	if (open < 0 || *p++ != '-')
		return "want \"HH:MM-HH:MM\" or \"closed\"";
	close = parse_clock(&p);
	if (close < 0 || *p != '\0')
		return "want \"HH:MM-HH:MM\" or \"closed\"";
	if (close <= open)
		return "the day must close after it opens (use \"closed\", or "
		       "24:00 for midnight)";
	*open_r = open;
	*close_r = close;
	return NULL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int32_t
days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD", 1970 to 9999; -1 if it is not a real date. */
static int
parse_date(const char *v, int32_t *days_r)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int y, m, d;

	for (int i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;

		if (dash ? v[i] != '-' : (v[i] < '0' || v[i] > '9'))
			return -1;
	}
	if (v[10] != '\0')
		return -1;
	y = atoi(v);
	m = atoi(v + 5);
	d = atoi(v + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	*days_r = days_from_civil(y, m, d);
	return 0;
}

static int
cmp_days(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* The line of an entry's name, where a reader looks for it. */
static unsigned
name_line(const config_setting_t *e)
{
	const config_setting_t *n = config_setting_get_member(e, "name");

	return cfg_line(n != NULL ? n : e);
}

/* --- calendars ------------------------------------------------------------ */

struct cal_raw {
	const char *name;
	bool always;
	const char *timezone;
};

struct week_raw {
	const char *day[7];
};

static void
load_hours(struct cfg_ctx *c, const config_setting_t *g, const char *where,
	   struct tg_calendar *cal)
{
#define DAY(n)                                                                 \
	CFG_ROW_STR(#n, 1, 32, "closed", struct week_raw, day[DAY_##n], NULL)
	enum {
		DAY_sunday,
		DAY_monday,
		DAY_tuesday,
		DAY_wednesday,
		DAY_thursday,
		DAY_friday,
		DAY_saturday,
	};
	static const struct cfg_key keys[7] = {
		DAY(sunday),   DAY(monday), DAY(tuesday),  DAY(wednesday),
		DAY(thursday), DAY(friday), DAY(saturday),
	};
#undef DAY
	const config_setting_t *found[7];
	struct week_raw raw = {{NULL}};
	char key[96];
	bool open = false, bad = false;

	snprintf(key, sizeof(key), "%s.hours", where);
	cfg_apply_keys(c, g, key, keys, 7, &raw, found);
	for (int i = 0; i < 7; i++) {
		const char *why;

		if (raw.day[i] == NULL) {
			bad = true; /* reported */
			continue;
		}
		why = parse_hours(raw.day[i], &cal->week[i].open_min,
				  &cal->week[i].close_min);
		if (why != NULL) {
			cfg_error(c, found[i], "%s.%s \"%s\": %s", key,
				  weekdays[i], raw.day[i], why);
			bad = true;
		}
		open |= cal->week[i].open_min != cal->week[i].close_min;
	}
	/* an SLA clock in such a calendar would never run */
	if (!open && !bad)
		cfg_error(c, g, "%s: closed every day", key);
}

static void
load_holidays(struct cfg_ctx *c, const config_setting_t *s, const char *where,
	      struct tg_calendar *cal)
{
	char key[96];
	const char **v;
	int32_t *days;
	size_t n, k = 0;

	snprintf(key, sizeof(key), "%s.holidays", where);
	v = cfg_strings(c, s, key, &n);
	days = tg_pool_alloc_array(c->pool, n + 1, sizeof(*days));
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		int32_t d;
		size_t j;

		if (v[i] == NULL)
			continue;
		if (parse_date(v[i], &d) < 0) {
			cfg_error(c, e,
				  "%s[%zu] \"%s\": not a date (want "
				  "\"YYYY-MM-DD\")",
				  key, i, v[i]);
			continue;
		}
		for (j = 0; j < k && days[j] != d; j++)
			;
		if (j < k) {
			cfg_error(c, e, "%s[%zu]: duplicate holiday \"%s\"",
				  key, i, v[i]);
			continue;
		}
		days[k++] = d;
	}
	qsort(days, k, sizeof(*days), cmp_days);
	cal->holidays = days;
	cal->n_holidays = k;
}

static void
load_calendar(struct cfg_ctx *c, const config_setting_t *e, size_t i,
	      struct tg_config_calendar *out)
{
	enum {
		K_NAME,
		K_ALWAYS,
		K_TIMEZONE,
		K_HOURS,
		K_HOLIDAYS
	};
	static const struct cfg_key keys[] = {
		[K_NAME] = CFG_ROW_STR("name", 1, 100, NULL, struct cal_raw,
				       name, NULL),
		[K_ALWAYS] =
			CFG_ROW_BOOL("always", "false", struct cal_raw, always),
		[K_TIMEZONE] = CFG_ROW_STR("timezone", 1, 200, CFG_NONE,
					   struct cal_raw, timezone, NULL),
		[K_HOURS] = CFG_ROW_AGG("hours", CFG_GROUP, false),
		[K_HOLIDAYS] = CFG_ROW_AGG("holidays", CFG_STRS, false),
	};
	const config_setting_t *found[TG_N(keys)];
	struct cal_raw raw = {0};
	struct cfg_impl *impl = c->impl;
	char where[48];

	snprintf(where, sizeof(where), "calendars[%zu]", i);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
		cfg_error(c, e, "%s must be a group { ... }", where);
		return;
	}
	cfg_apply_keys(c, e, where, keys, TG_N(keys), &raw, found);
	out->name = raw.name;
	out->cal.always_open = raw.always;
	if (raw.always) {
		/* keys that would silently mean nothing are mistakes */
		for (int k = K_TIMEZONE; k <= K_HOLIDAYS; k++)
			if (found[k] != NULL)
				cfg_error(c, found[k],
					  "%s.%s: not used when always = true",
					  where, keys[k].name);
		return;
	}
	if (found[K_TIMEZONE] == NULL || found[K_HOURS] == NULL) {
		cfg_error(c, e, "%s: set timezone and hours, or always = true",
			  where);
	}
	if (raw.timezone != NULL) {
		char err[256] = "";
		struct tg_tz *tz = NULL;

		if (tg_tz_load(raw.timezone, &tz, err, sizeof(err)) < 0) {
			cfg_error(c, found[K_TIMEZONE],
				  "%s.timezone \"%s\": %s", where, raw.timezone,
				  err);
		} else {
			impl->tzs[impl->n_tzs++] = tz;
			out->cal.tz = tz;
			out->timezone = raw.timezone;
		}
	}
	if (found[K_HOURS] != NULL &&
	    config_setting_type(found[K_HOURS]) == CONFIG_TYPE_GROUP)
		load_hours(c, found[K_HOURS], where, &out->cal);
	if (found[K_HOLIDAYS] != NULL &&
	    config_setting_is_aggregate(found[K_HOLIDAYS]))
		load_holidays(c, found[K_HOLIDAYS], where, &out->cal);
}

void
cfg_load_calendars(struct cfg_ctx *c, const config_setting_t *s)
{
	struct tg_config *cfg = &c->impl->pub;
	struct tg_config_calendar *v;
	size_t n;

	if (s == NULL)
		return;
	n = (size_t)config_setting_length(s);
	v = tg_pool_alloc_array(c->pool, n + 1, sizeof(*v));
	c->impl->tzs =
		tg_pool_alloc_array(c->pool, n + 1, sizeof(*c->impl->tzs));
	if (n == 0)
		cfg_error(c, s, "calendars: define at least one");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		load_calendar(c, e, i, &v[i]);
		for (size_t j = 0; j < i && v[i].name != NULL; j++)
			if (v[j].name != NULL &&
			    strcmp(v[j].name, v[i].name) == 0) {
				cfg_error(c,
					  config_setting_get_member(e, "name"),
					  "calendars[%zu]: duplicate calendar "
					  "\"%s\" (first at line %u)",
					  i, v[i].name,
					  name_line(config_setting_get_elem(
						  s, j)));
				break;
			}
	}
	cfg->calendars = v;
	cfg->n_calendars = n;
}

/* --- SLA policies -----------------------------------------------------------
 */

struct targets_raw {
	uint32_t min[TG_PRIORITY_COUNT];
};

struct policy_raw {
	const char *name;
	const char *calendar;
};

/* Target rows in enum tg_priority order, so found[p] is priority p's. */
#define TARGET(p, name)                                                        \
	[p] = CFG_ROW_INT(name, 1, MAX_TARGET_MINUTES, NULL,                   \
			  struct targets_raw, min[p])
static const struct cfg_key target_keys[TG_PRIORITY_COUNT] = {
	TARGET(TG_PRIORITY_URGENT, "urgent"),
	TARGET(TG_PRIORITY_HIGH, "high"),
	TARGET(TG_PRIORITY_MEDIUM, "medium"),
	TARGET(TG_PRIORITY_LOW, "low"),
};
#undef TARGET

static void
load_targets(struct cfg_ctx *c, const config_setting_t *g, const char *key,
	     int32_t *out, const config_setting_t **found)
{
	struct targets_raw raw = {{0}};

	cfg_apply_keys(c, g, key, target_keys, TG_PRIORITY_COUNT, &raw, found);
	for (int p = 0; p < TG_PRIORITY_COUNT; p++)
		out[p] = (int32_t)raw.min[p]; /* 0: bad or missing, reported */
}

static void
load_policy(struct cfg_ctx *c, const config_setting_t *e, size_t i,
	    struct tg_config_sla_policy *out)
{
	enum {
		K_NAME,
		K_CALENDAR,
		K_FIRST,
		K_RESOLUTION
	};
	static const struct cfg_key keys[] = {
		[K_NAME] = CFG_ROW_STR("name", 1, 100, NULL, struct policy_raw,
				       name, NULL),
		[K_CALENDAR] = CFG_ROW_STR("calendar", 1, 100, NULL,
					   struct policy_raw, calendar, NULL),
		[K_FIRST] = CFG_ROW_AGG("first_response", CFG_GROUP, true),
		[K_RESOLUTION] = CFG_ROW_AGG("resolution", CFG_GROUP, true),
	};
	const config_setting_t *found[TG_N(keys)];
	const config_setting_t *first[TG_PRIORITY_COUNT];
	const config_setting_t *resol[TG_PRIORITY_COUNT];
	struct policy_raw raw = {0};
	char where[48], key[96];

	snprintf(where, sizeof(where), "sla_policies[%zu]", i);
	if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
		cfg_error(c, e, "%s must be a group { ... }", where);
		return;
	}
	cfg_apply_keys(c, e, where, keys, TG_N(keys), &raw, found);
	out->name = raw.name;
	if (raw.calendar != NULL) {
		out->calendar = tg_config_calendar(&c->impl->pub, raw.calendar);
		if (out->calendar == NULL)
			cfg_error(c, found[K_CALENDAR],
				  "%s.calendar: unknown calendar \"%s\"", where,
				  raw.calendar);
	}
	if (found[K_FIRST] == NULL || found[K_RESOLUTION] == NULL ||
	    config_setting_type(found[K_FIRST]) != CONFIG_TYPE_GROUP ||
	    config_setting_type(found[K_RESOLUTION]) != CONFIG_TYPE_GROUP)
		return;
	snprintf(key, sizeof(key), "%s.first_response", where);
	load_targets(c, found[K_FIRST], key, out->first_response_min, first);
	snprintf(key, sizeof(key), "%s.resolution", where);
	load_targets(c, found[K_RESOLUTION], key, out->resolution_min, resol);
	/* resolving a ticket includes answering it */
	for (int p = 0; p < TG_PRIORITY_COUNT; p++)
		if (out->first_response_min[p] > 0 &&
		    out->resolution_min[p] > 0 &&
		    out->first_response_min[p] > out->resolution_min[p])
			cfg_error(c, first[p],
				  "%s.first_response.%s (%d min) is longer "
				  "than resolution.%s (%d min)",
				  where, target_keys[p].name,
				  (int)out->first_response_min[p],
				  target_keys[p].name,
				  (int)out->resolution_min[p]);
}

void
cfg_load_sla_policies(struct cfg_ctx *c, const config_setting_t *s,
		      const config_setting_t *def)
{
	struct tg_config *cfg = &c->impl->pub;
	struct tg_config_sla_policy *v;
	size_t n;

	if (s == NULL)
		return;
	n = (size_t)config_setting_length(s);
	v = tg_pool_alloc_array(c->pool, n + 1, sizeof(*v));
	if (n == 0)
		cfg_error(c, s, "sla_policies: define at least one");
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);

		load_policy(c, e, i, &v[i]);
		for (size_t j = 0; j < i && v[i].name != NULL; j++)
			if (v[j].name != NULL &&
			    strcmp(v[j].name, v[i].name) == 0) {
				cfg_error(c,
					  config_setting_get_member(e, "name"),
					  "sla_policies[%zu]: duplicate policy "
					  "\"%s\" (first at line %u)",
					  i, v[i].name,
					  name_line(config_setting_get_elem(
						  s, j)));
				break;
			}
	}
	cfg->sla_policies = v;
	cfg->n_sla_policies = n;
	if (def != NULL) {
		const char *name = config_setting_get_string(def);

		cfg->default_sla_policy = tg_config_sla_policy(cfg, name);
		if (cfg->default_sla_policy == NULL)
			cfg_error(c, def,
				  "default_sla_policy: unknown SLA policy "
				  "\"%s\"",
				  name);
	}
}
