/* SLA due times: a target in minutes counted through a calendar of business
 * hours in a time zone (or 24x7). Pure and thread-safe: the calendar and its
 * zone are loaded beforehand, and nothing here reads global state. */
#ifndef TICKETGATE_SLA_H
#define TICKETGATE_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticketgate/tz.h"

/* tg_sla_due() gives up after this many consecutive days without open time
 * (a calendar closed every day, or holidays everywhere): two years. */
#define TG_SLA_GIVE_UP_DAYS 731
/* ... and never counts further than this past the start (100 years): it
 * keeps a calendar open one minute a week from looping for ages. */
#define TG_SLA_HORIZON_DAYS 36525

/* A business calendar, filled by the config loader; the pointers are
 * borrowed and must outlive the calls that use it. */
struct tg_calendar {
	bool always_open;       /* 24x7: the fields below are ignored */
	const struct tg_tz *tz; /* business hours are local to it; NULL = UTC */
	/* Opening hours in minutes from local midnight, per weekday
	 * (0 = Sunday), 0 <= open_min < close_min <= 1440. open == close means
	 * closed all day. Overnight shifts (close < open) are not supported:
	 * such a day counts as closed; the loader should refuse them. */
	struct {
		int open_min, close_min;
	} week[7];
	/* Local dates closed all day, as days since 1970-01-01, sorted
	 * ascending (binary search). */
	const int32_t *holidays;
	size_t n_holidays;
};

/* The instant (UTC seconds) at which `minutes` of open calendar time have
 * passed since start (UTC seconds).
 * - always_open: start + minutes * 60.
 * - Counting begins at start when the calendar is open then, else at the
 *   next opening; a target used up exactly at a closing time is due then
 *   (Friday 17:00 + 60 minutes in 09:00-18:00 is Friday 18:00). So
 *   minutes == 0 gives the next opening (start itself when open); minutes
 *   below 0 count as 0.
 * - Each day's opening and closing are local wall-clock times converted to
 *   UTC that day, so on a DST change day 09:00-18:00 stays 09:00-18:00 by
 *   the clock. A time skipped by the change opens (closes) when the gap
 *   ends; a repeated time opens (closes) at its first occurrence, so a
 *   closing time inside a repeated hour closes before the repeat.
 * - Bounded: after TG_SLA_GIVE_UP_DAYS consecutive days without open time,
 *   or TG_SLA_HORIZON_DAYS past start, it gives up and returns
 *   start + minutes * 60 (what 24x7 would give), as it does for a start
 *   more than ~34,000 years from 1970. The work is one step per calendar
 *   day: a 10,000-minute target in a 45-hour week takes ~26 steps. */
int64_t tg_sla_due(const struct tg_calendar *cal, int64_t start,
		   int32_t minutes);

/* Whole minutes (rounded down) of open calendar time in [from, to), 0 when
 * to <= from: how late a response was, in the calendar's terms.
 * open_minutes(c, s, due(c, s, m)) == m whenever tg_sla_due() did not give
 * up. always_open: (to - from) / 60. Otherwise time more than ~34,000 years
 * from 1970 counts as closed, and the work is one step per calendar day
 * between from and to (the caller bounds the span). */
int64_t tg_sla_open_minutes(const struct tg_calendar *cal, int64_t from,
			    int64_t to);

#endif
