/* Unit tests for sla.c: due times in business calendars across weekends,
 * holidays and DST changes, checked against an independent minute-by-minute
 * simulation, plus the consistency of due times with open minutes and the
 * bounds that stop a closed calendar from looping. */
#include "ticketgate/sla.h"
#include "ticketgate/tz.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum cal_id {
	C_247,      /* always open */
	C_LIS,      /* Europe/Lisbon Mon-Fri 09:00-18:00, four holidays */
	C_LIS_ALL,  /* Europe/Lisbon every day 00:00-24:00 */
	C_SAO,      /* America/Sao_Paulo Mon-Fri 09:00-18:00 (DST to 2019) */
	C_SAO_ALL,  /* America/Sao_Paulo every day 00:00-24:00 */
	C_NY,       /* America/New_York Mon-Fri 09:00-17:00 */
	C_NY_NIGHT, /* America/New_York every day 01:00-04:00, over DST */
	C_KOL,      /* Asia/Kolkata (+05:30) Mon-Fri 10:00-19:00 */
	C_KTM,      /* Asia/Kathmandu (+05:45) Sun-Fri 10:00-17:00 */
	C_UTC,      /* UTC Mon-Fri 09:00-17:00 */
	C_NULL,     /* the same with tz == NULL */
	N_CALS
};

static const char *const cal_zone[N_CALS] = {
	[C_LIS] = "Europe/Lisbon",
	[C_LIS_ALL] = "Europe/Lisbon",
	[C_SAO] = "America/Sao_Paulo",
	[C_SAO_ALL] = "America/Sao_Paulo",
	[C_NY] = "America/New_York",
	[C_NY_NIGHT] = "America/New_York",
	[C_KOL] = "Asia/Kolkata",
	[C_KTM] = "Asia/Kathmandu",
	[C_UTC] = "UTC",
};

/* 2024-06-10, 2024-06-13 (Lisbon), 2024-12-25, 2025-01-01 */
static const int32_t lis_holidays[] = {19884, 19887, 20082, 20089};

static struct tg_calendar cals[N_CALS];
static struct tg_tz *zones[N_CALS];

/* Expected due times from a minute-by-minute simulation in python 3.11
 * over zoneinfo (tzdata 2025b), independent of the day walk: an instant is
 * open when its local wall-clock time is inside its local date's hours;
 * the due time is the end of the target's last open minute (minutes == 0:
 * the first open instant). */
static const struct {
	enum cal_id cal;
	int64_t start;
	int32_t minutes;
	int64_t due;
} cases[] = {
	/* Fri 2024-05-10 17:00:30 UTC -> 21:00:30 */
	{C_247, 1715360430LL, 240, 1715374830LL},
	/* Fri 2024-05-10 17:00 -> Mon 2024-05-13 12:00 */
	{C_LIS, 1715356800LL, 240, 1715598000LL},
	/* Sat 2024-05-11 10:00 -> Mon 2024-05-13 10:00 */
	{C_LIS, 1715418000LL, 60, 1715590800LL},
	/* Sun 2024-05-12 23:59 -> Mon 2024-05-13 09:01 */
	{C_LIS, 1715554740LL, 1, 1715587260LL},
	/* before opening: Tue 2024-05-14 07:30 -> Tue 09:30 */
	{C_LIS, 1715668200LL, 30, 1715675400LL},
	/* used up at closing: Tue 2024-05-14 09:00 -> Tue 18:00 */
	{C_LIS, 1715673600LL, 540, 1715706000LL},
	/* at closing: Tue 2024-05-14 18:00 -> Wed 09:01 */
	{C_LIS, 1715706000LL, 1, 1715760060LL},
	/* zero: Tue 12:34 -> Tue 12:34; Tue 19:00 -> Wed 09:00 */
	{C_LIS, 1715686440LL, 0, 1715686440LL},
	{C_LIS, 1715709600LL, 0, 1715760000LL},
	/* holidays: Fri 2024-06-07 17:00 -> Tue 2024-06-11 12:00 */
	{C_LIS, 1717776000LL, 240, 1718103600LL},
	/* Wed 2024-06-12 17:00 -> Fri 2024-06-14 10:00 */
	{C_LIS, 1718208000LL, 120, 1718355600LL},
	/* Tue 2024-12-24 17:00 -> Thu 2024-12-26 10:00 */
	{C_LIS, 1735059600LL, 120, 1735207200LL},
	/* Tue 2024-12-31 17:30 -> Thu 2025-01-02 09:30 */
	{C_LIS, 1735666200LL, 60, 1735810200LL},
	/* DST starts Sunday: Fri 2024-03-29 17:00 WET -> Mon 12:00 WEST */
	{C_LIS, 1711731600LL, 240, 1711969200LL},
	/* DST ends Sunday: Fri 2024-10-25 17:00 WEST -> Mon 12:00 WET */
	{C_LIS, 1729872000LL, 240, 1730116800LL},
	/* 10,000 minutes: Mon 2024-03-04 09:00 -> Thu 2024-03-28 13:40 */
	{C_LIS, 1709542800LL, 10000, 1711633200LL},
	/* past the last transition (footer rule):
	 * Fri 2100-03-26 17:00 -> Mon 2100-03-29 12:00 */
	{C_LIS, 4109763600LL, 240, 4110001200LL},
	/* Fri 2100-10-29 17:00 -> Mon 2100-11-01 12:00 */
	{C_LIS, 4128508800LL, 240, 4128753600LL},
	/* a 23-hour day: Sat 2024-03-30 22:00 -> Sun 2024-03-31 04:00 */
	{C_LIS_ALL, 1711836000LL, 300, 1711854000LL},
	/* a 25-hour day: Sun 2024-10-27 00:30 -> 01:30 (the second one) */
	{C_LIS_ALL, 1729985400LL, 120, 1729992600LL},
	/* Fri 2018-11-02 17:00 -03 -> Mon 2018-11-05 12:00 -02 */
	{C_SAO, 1541188800LL, 240, 1541426400LL},
	/* Fri 2019-02-15 17:00 -02 -> Mon 2019-02-18 12:00 -03 */
	{C_SAO, 1550257200LL, 240, 1550502000LL},
	/* Mon 2018-10-22 09:00 -> Thu 2018-11-15 13:40 */
	{C_SAO, 1540209600LL, 10000, 1542296400LL},
	/* midnight skipped: Sat 2018-11-03 22:00 -> Sun 2018-11-04 03:00 */
	{C_SAO_ALL, 1541293200LL, 240, 1541307600LL},
	{C_SAO_ALL, 1541296800LL, 0, 1541296800LL},
	/* 23:00 twice: Sat 2019-02-16 22:00 -> Sun 2019-02-17 00:00 */
	{C_SAO_ALL, 1550361600LL, 180, 1550372400LL},
	/* Fri 2024-03-08 16:00 EST -> Mon 2024-03-11 10:00 EDT */
	{C_NY, 1709931600LL, 120, 1710165600LL},
	/* Fri 2024-11-01 16:00 EDT -> Mon 2024-11-04 10:00 EST */
	{C_NY, 1730491200LL, 120, 1730732400LL},
	/* Fri 2100-11-05 16:00 EDT -> Mon 2100-11-08 10:00 EST */
	{C_NY, 4129128000LL, 120, 4129369200LL},
	/* 01:00-04:00 with 02:00-03:00 skipped is 2 hours:
	 * Sun 2024-03-10 01:00 -> Mon 2024-03-11 01:30 */
	{C_NY_NIGHT, 1710050400LL, 150, 1710135000LL},
	/* ... and with 01:00-02:00 twice, 4 hours:
	 * Sun 2024-11-03 00:00 -> Sun 03:20 EST */
	{C_NY_NIGHT, 1730606400LL, 200, 1730622000LL},
	/* Fri 2024-05-10 18:00 IST -> Mon 2024-05-13 11:00 */
	{C_KOL, 1715344200LL, 120, 1715578200LL},
	/* Mon 2024-05-13 08:15 -> Mon 10:30 */
	{C_KOL, 1715568300LL, 30, 1715576400LL},
	/* Fri 2024-05-10 16:30 NPT -> Sun 2024-05-12 10:30 */
	{C_KTM, 1715337900LL, 60, 1715489100LL},
	/* Fri 2100-05-07 16:45 -> Fri 2100-06-04 15:25 */
	{C_KTM, 4113370800LL, 10000, 4115785200LL},
	/* Fri 2024-05-10 16:00 UTC -> Mon 2024-05-13 10:00 */
	{C_UTC, 1715356800LL, 120, 1715594400LL},
	{C_NULL, 1715356800LL, 120, 1715594400LL},
};

/* Weekdays first..last (0 = Sunday) open, the others closed. */
static void
set_week(struct tg_calendar *c, int first, int last, int open, int close)
{
	for (int d = 0; d < 7; d++) {
		bool on = d >= first && d <= last;

		c->week[d].open_min = on ? open : 0;
		c->week[d].close_min = on ? close : 0;
	}
}

static int
setup(void)
{
	char err[256];

	for (int i = 0; i < N_CALS; i++) {
		if (cal_zone[i] == NULL)
			continue;
		if (tg_tz_load(cal_zone[i], &zones[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		cals[i].tz = zones[i];
	}
	cals[C_247].always_open = true;
	set_week(&cals[C_LIS], 1, 5, 9 * 60, 18 * 60);
	cals[C_LIS].holidays = lis_holidays;
	cals[C_LIS].n_holidays = TG_N(lis_holidays);
	set_week(&cals[C_LIS_ALL], 0, 6, 0, 24 * 60);
	set_week(&cals[C_SAO], 1, 5, 9 * 60, 18 * 60);
	set_week(&cals[C_SAO_ALL], 0, 6, 0, 24 * 60);
	set_week(&cals[C_NY], 1, 5, 9 * 60, 17 * 60);
	set_week(&cals[C_NY_NIGHT], 0, 6, 60, 4 * 60);
	set_week(&cals[C_KOL], 1, 5, 10 * 60, 19 * 60);
	set_week(&cals[C_KTM], 0, 5, 10 * 60, 17 * 60);
	set_week(&cals[C_UTC], 1, 5, 9 * 60, 17 * 60);
	set_week(&cals[C_NULL], 1, 5, 9 * 60, 17 * 60);
	return 0;
}

static void
test_cases(void)
{
	for (size_t i = 0; i < TG_N(cases); i++) {
		const struct tg_calendar *c = &cals[cases[i].cal];
		int64_t due = tg_sla_due(c, cases[i].start, cases[i].minutes);

		if (due != cases[i].due)
			fprintf(stderr, "case %zu: due %lld, want %lld\n", i,
				(long long)due, (long long)cases[i].due);
		TG_CHECK(due == cases[i].due);
		TG_CHECK(tg_sla_open_minutes(c, cases[i].start, due) ==
			 cases[i].minutes);
	}
}

/* xorshift64: reproducible without libc's global rand() state */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

struct tally {
	int minutes, last, order, sum;
};

/* One due time checked four ways: it holds exactly the target's open
 * minutes, its last second is open, it is at least a minute after the due
 * time of one minute less (prev), and open minutes add up across a split
 * (minute-aligned, so every part is whole minutes). */
static int64_t
check_due(const struct tg_calendar *c, int64_t start, int32_t m, int64_t prev,
	  struct tally *bad)
{
	int64_t due = tg_sla_due(c, start, m);
	int64_t mid = start + (due - start) / 120 * 60;
	int64_t split = tg_sla_open_minutes(c, start, mid) +
			tg_sla_open_minutes(c, mid, due);

	bad->minutes += tg_sla_open_minutes(c, start, due) != m;
	bad->last += m > 0 && tg_sla_open_minutes(c, start, due - 1) != m - 1;
	bad->order += due < prev + 60;
	bad->sum += split != m;
	return due;
}

/* Random minute-aligned starts from 2018 to 2100, in every calendar. */
static void
test_consistency(void)
{
	static const int32_t targets[] = {0,   1,   59,   60,   61,    239,
					  540, 541, 1439, 2880, 10000, 43200};
	const int64_t lo = 1514764800LL, hi = 4102444800LL;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	struct tally bad = {0};

	for (int c = 0; c < N_CALS; c++) {
		for (int n = 0; n < 40; n++) {
			uint64_t r = next_rand(&seed) % (uint64_t)(hi - lo);
			int64_t start = lo + (int64_t)r / 60 * 60;
			int64_t prev = start - 60;

			for (size_t t = 0; t < TG_N(targets); t++)
				prev = check_due(&cals[c], start, targets[t],
						 prev, &bad);
		}
	}
	TG_CHECK(bad.minutes == 0);
	TG_CHECK(bad.last == 0);
	TG_CHECK(bad.order == 0);
	TG_CHECK(bad.sum == 0);
}

static void
test_always_open(void)
{
	const struct tg_calendar *c = &cals[C_247];

	TG_CHECK(tg_sla_due(c, 1000, 0) == 1000);
	TG_CHECK(tg_sla_due(c, 1000, -5) == 1000);
	TG_CHECK(tg_sla_due(c, -1000, 1) == -940);
	TG_CHECK(tg_sla_due(c, 1000, INT32_MAX) == 1000 + INT32_MAX * 60LL);
	TG_CHECK(tg_sla_due(c, INT64_MAX - 10, 1) == INT64_MAX);
	TG_CHECK(tg_sla_open_minutes(c, 1000, 1000) == 0);
	TG_CHECK(tg_sla_open_minutes(c, 1000, 900) == 0);
	TG_CHECK(tg_sla_open_minutes(c, 1000, 1119) == 1);
	TG_CHECK(tg_sla_open_minutes(c, -1000, 1000) == 33);
	/* (2^64 - 1) / 60, without overflowing int64 on the way */
	TG_CHECK(tg_sla_open_minutes(c, INT64_MIN, INT64_MAX) ==
		 307445734561825860LL);
}

static void
test_bounds(void)
{
	static int32_t two_years[800];
	const int64_t mon = 1715558400LL; /* Mon 2024-05-13 00:00 UTC */
	const int64_t mon_day = mon / 86400;
	struct tg_calendar c = {0};
	int64_t due;

	/* Closed every day: 24x7 time after two years of looking. */
	TG_CHECK(tg_sla_due(&c, mon, 90) == mon + 90 * 60);
	TG_CHECK(tg_sla_open_minutes(&c, mon, mon + 86400 * 30) == 0);
	/* Overnight shifts and out-of-range hours count as closed. */
	set_week(&c, 0, 6, 22 * 60, 6 * 60);
	TG_CHECK(tg_sla_due(&c, mon, 90) == mon + 90 * 60);
	set_week(&c, 0, 6, -60, 6 * 60);
	TG_CHECK(tg_sla_due(&c, mon, 90) == mon + 90 * 60);
	set_week(&c, 0, 6, 60, 25 * 60);
	TG_CHECK(tg_sla_due(&c, mon, 90) == mon + 90 * 60);

	/* Holidays on 800 days in a row: gives up. */
	set_week(&c, 1, 5, 9 * 60, 17 * 60);
	for (size_t i = 0; i < TG_N(two_years); i++)
		two_years[i] = (int32_t)(mon_day + (int64_t)i);
	c.holidays = two_years;
	c.n_holidays = TG_N(two_years);
	TG_CHECK(tg_sla_due(&c, mon, 90) == mon + 90 * 60);
	/* On 700 days: due 90 minutes into the first day after them
	 * (mon_day + 700 is a Monday). */
	c.n_holidays = 700;
	due = tg_sla_due(&c, mon, 90);
	TG_CHECK(due == (mon_day + 700) * 86400 + 9 * 3600 + 90 * 60);
	TG_CHECK(tg_sla_open_minutes(&c, mon, due) == 90);
	c.n_holidays = 0;

	/* Open one minute a week (Mondays 09:00-09:01): 100 minutes take 100
	 * weeks; 10 million would take ~190,000 years, past the horizon. */
	set_week(&c, 1, 1, 9 * 60, 9 * 60 + 1);
	due = tg_sla_due(&c, mon, 100);
	TG_CHECK(due == mon + 99 * 7 * 86400LL + 9 * 3600 + 60);
	TG_CHECK(tg_sla_due(&c, mon, 10000000) == mon + 10000000 * 60LL);

	/* Negative targets count as 0: the next opening. */
	set_week(&c, 1, 5, 9 * 60, 17 * 60);
	TG_CHECK(tg_sla_due(&c, mon, -30) == mon + 9 * 3600);
	/* Starts out of any calendar's range: 24x7, saturated. */
	TG_CHECK(tg_sla_due(&c, INT64_MAX - 10, 1) == INT64_MAX);
	TG_CHECK(tg_sla_due(&c, INT64_MIN, 1) == INT64_MIN + 60);
	TG_CHECK(tg_sla_due(&c, (int64_t)1 << 50, 1) ==
		 ((int64_t)1 << 50) + 60);
	TG_CHECK(tg_sla_open_minutes(&c, INT64_MIN, INT64_MIN + 86400 * 7) ==
		 0);
	TG_CHECK(tg_sla_open_minutes(&c, INT64_MAX - 86400 * 7, INT64_MAX) ==
		 0);
}

int
main(void)
{
	if (setup() < 0) {
		TG_CHECK(!"zones failed to load");
		return tg_test_done();
	}
	test_cases();
	test_consistency();
	test_always_open();
	test_bounds();
	for (int i = 0; i < N_CALS; i++)
		tg_tz_free(&zones[i]);
	return tg_test_done();
}
