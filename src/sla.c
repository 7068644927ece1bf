/* SLA arithmetic: walks a business calendar one local day at a time,
 * converting that day's opening and closing to UTC (so DST days come out
 * right), to find when a target is due and how much open time lies between
 * two instants. Pure: the time zone was loaded with the config. */
#include "ticketgate/sla.h"

#define DAY 86400
/* Instants further from 1970 than this (~34,000 years) are outside every
 * calendar; it keeps day * DAY and friends far from overflowing. */
#define T_LIMIT ((int64_t)1 << 40)

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

static int64_t
clamp(int64_t t)
{
	return t > T_LIMIT ? T_LIMIT : t < -T_LIMIT ? -T_LIMIT : t;
}

static bool
is_holiday(const struct tg_calendar *cal, int64_t day)
{
	size_t lo = 0, hi = cal->n_holidays;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cal->holidays[mid] == day)
			return true;
		if (cal->holidays[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The local date holding instant t, as days since 1970-01-01. */
static int64_t
local_day(const struct tg_calendar *cal, int64_t t)
{
	return floor_div(t + tg_tz_offset(cal->tz, t), DAY);
}

/* The open hours of local date `day` as UTC [*open_r, *close_r); false when
 * the calendar is closed all that day. tg_tz_local_to_utc() never goes
 * backwards, so consecutive days' windows never overlap. */
static bool
day_window(const struct tg_calendar *cal, int64_t day, int64_t *open_r,
	   int64_t *close_r)
{
	/* 0 = Sunday; 1970-01-01 was a Thursday. */
	int wd = (int)((day % 7 + 11) % 7);
	int open = cal->week[wd].open_min, close = cal->week[wd].close_min;

	if (open < 0 || close > 24 * 60 || open >= close ||
	    is_holiday(cal, day))
		return false;
	*open_r = tg_tz_local_to_utc(cal->tz, day * DAY + open * 60);
	*close_r = tg_tz_local_to_utc(cal->tz, day * DAY + close * 60);
	return *close_r > *open_r;
}

int64_t
tg_sla_due(const struct tg_calendar *cal, int64_t start, int32_t minutes)
{
	int64_t need = minutes > 0 ? (int64_t)minutes * 60 : 0;
	int64_t fallback, day, last, closed_run = 0;

	/* bounds: need < 2^37, so only a start near the int64 limits can
	 * overflow; saturate there. */
	fallback = start > INT64_MAX - need ? INT64_MAX : start + need;
	if (cal->always_open || start != clamp(start))
		return fallback;
	/* The day before start's too, should a repeated hour around midnight
	 * put start's local date behind an earlier window. */
	day = local_day(cal, start) - 1;
	last = day + TG_SLA_HORIZON_DAYS;
	for (; day <= last && closed_run < TG_SLA_GIVE_UP_DAYS; day++) {
		int64_t open, close;

		if (!day_window(cal, day, &open, &close) || close <= start) {
			closed_run++;
			continue;
		}
		closed_run = 0;
		if (open < start)
			open = start;
		if (need <= close - open)
			return open + need;
		need -= close - open;
	}
	return fallback;
}

int64_t
tg_sla_open_minutes(const struct tg_calendar *cal, int64_t from, int64_t to)
{
	int64_t secs = 0, day, last;

	if (to <= from)
		return 0;
	if (cal->always_open) {
		/* bounds: to - from may not fit in int64; the quotient does */
		if (from >= 0 || to <= INT64_MAX + from)
			return (to - from) / 60;
		return (int64_t)(((uint64_t)to - (uint64_t)from) / 60);
	}
	from = clamp(from);
	to = clamp(to);
	/* A day either side: repeated hours can put a window's UTC time
	 * outside its local date's usual span. */
	day = local_day(cal, from) - 1;
	last = local_day(cal, to) + 1;
	for (; day <= last; day++) {
		int64_t open, close;

		if (!day_window(cal, day, &open, &close))
			continue;
		if (open < from)
			open = from;
		if (close > to)
			close = to;
		if (close > open)
			secs += close - open;
	}
	return secs / 60;
}
