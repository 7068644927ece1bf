/* Unit tests for tz.c: offsets and local-to-UTC conversions of the system's
 * zones against python zoneinfo, footer rules against glibc, and corrupt or
 * truncated TZif files, which must give an error and never a crash. */
#include "ticketgate/tz.h"
#include "ticketgate/util.h"
#include "tg-test.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Expected values were generated with python 3.11 zoneinfo over the same
 * /usr/share/zoneinfo (tzdata 2025b):
 *   int(datetime.fromtimestamp(t, ZoneInfo(zone)).utcoffset().total_seconds())
 */
static const struct {
	const char *zone;
	int64_t utc;
	int32_t off;
} offsets[] = {
	{"UTC", 1717243200LL, 0},              /* 2024-06-01T12:00:00Z */
	{"Etc/GMT+5", 1717243200LL, -18000},   /* 2024-06-01T12:00:00Z */
	{"Etc/GMT-14", 1717243200LL, 50400},   /* 2024-06-01T12:00:00Z */
	{"Europe/Lisbon", 13046400LL, 3600},   /* 1970-06-01T00:00:00Z */
	{"Europe/Lisbon", 741484800LL, 7200},  /* 1993-07-01T00:00:00Z CEST */
	{"Europe/Lisbon", 727056000LL, 3600},  /* 1993-01-15T00:00:00Z CET */
	{"Europe/Lisbon", 1711846799LL, 0},    /* 2024-03-31T00:59:59Z */
	{"Europe/Lisbon", 1711846800LL, 3600}, /* 2024-03-31T01:00:00Z */
	{"Europe/Lisbon", 1729990799LL, 3600}, /* 2024-10-27T00:59:59Z */
	{"Europe/Lisbon", 1729990800LL, 0},    /* 2024-10-27T01:00:00Z */
	{"Europe/Lisbon", 2130019200LL, 3600}, /* 2037-07-01T00:00:00Z */
	{"Europe/Lisbon", 2161555200LL, 3600}, /* 2038-07-01T00:00:00Z */
	/* 2100: past the last transition, the footer rule decides */
	{"Europe/Lisbon", 4109878799LL, 0},           /* 2100-03-28T00:59:59Z */
	{"Europe/Lisbon", 4109878800LL, 3600},        /* 2100-03-28T01:00:00Z */
	{"Europe/Lisbon", 4128627599LL, 3600},        /* 2100-10-31T00:59:59Z */
	{"Europe/Lisbon", 4128627600LL, 0},           /* 2100-10-31T01:00:00Z */
	{"America/Sao_Paulo", 1541300399LL, -10800},  /* 2018-11-04T02:59:59Z */
	{"America/Sao_Paulo", 1541300400LL, -7200},   /* 2018-11-04T03:00:00Z */
	{"America/Sao_Paulo", 1550368799LL, -7200},   /* 2019-02-17T01:59:59Z */
	{"America/Sao_Paulo", 1550368800LL, -10800},  /* 2019-02-17T02:00:00Z */
	{"America/Sao_Paulo", 1579089600LL, -10800},  /* 2020-01-15T12:00:00Z */
	{"America/Sao_Paulo", 4103697600LL, -10800},  /* 2100-01-15T12:00:00Z */
	{"America/New_York", 1710053999LL, -18000},   /* 2024-03-10T06:59:59Z */
	{"America/New_York", 1710054000LL, -14400},   /* 2024-03-10T07:00:00Z */
	{"America/New_York", 1730613599LL, -14400},   /* 2024-11-03T05:59:59Z */
	{"America/New_York", 1730613600LL, -18000},   /* 2024-11-03T06:00:00Z */
	{"America/New_York", 127483200LL, -14400},    /* 1974-01-15T12:00:00Z */
	{"America/New_York", 4118385600LL, -14400},   /* 2100-07-04T12:00:00Z */
	{"America/New_York", 4129250399LL, -14400},   /* 2100-11-07T05:59:59Z */
	{"America/New_York", 4129250400LL, -18000},   /* 2100-11-07T06:00:00Z */
	{"Asia/Kolkata", 0LL, 19800},                 /* 1970-01-01T00:00:00Z */
	{"Asia/Kolkata", 4133980799LL, 19800},        /* 2100-12-31T23:59:59Z */
	{"Asia/Kathmandu", 504901799LL, 19800},       /* 1985-12-31T18:29:59Z */
	{"Asia/Kathmandu", 504901800LL, 20700},       /* 1985-12-31T18:30:00Z */
	{"Asia/Kathmandu", 4115491200LL, 20700},      /* 2100-06-01T00:00:00Z */
	{"Australia/Lord_Howe", 4103654400LL, 39600}, /* 2100-01-15T00:00:00Z */
	{"Australia/Lord_Howe", 4119292800LL, 37800}, /* 2100-07-15T00:00:00Z */
	{"Europe/Dublin", 1705320000LL, 0},           /* 2024-01-15T12:00:00Z */
	{"Europe/Dublin", 1721044800LL, 3600},        /* 2024-07-15T12:00:00Z */
	{"America/Nuuk", 4103654400LL, -7200},        /* 2100-01-15T00:00:00Z */
	{"America/Nuuk", 4119292800LL, -3600},        /* 2100-07-15T00:00:00Z */
	{"Pacific/Chatham", 4103654400LL, 49500},     /* 2100-01-15T00:00:00Z */
	{"Pacific/Chatham", 4119292800LL, 45900},     /* 2100-07-15T00:00:00Z */
	{"Pacific/Apia", 1325239199LL, -36000},       /* 2011-12-30T09:59:59Z */
	{"Pacific/Apia", 1325239200LL, 50400},        /* 2011-12-30T10:00:00Z */
	{"posix/Europe/Lisbon", 4109878800LL, 3600},  /* 2100-03-28T01:00:00Z */
};

/* Brute force over python zoneinfo: the least u with u + offset(u) == local
 * or, when there is none (a gap), the instant at which the gap ends. */
static const struct {
	const char *zone;
	int64_t local, utc;
} locals[] = {
	{"UTC", 1717243200LL, 1717243200LL},            /* 2024-06-01T12:00 */
	{"Asia/Kolkata", 1717232400LL, 1717212600LL},   /* 2024-06-01T09:00 */
	{"Asia/Kathmandu", 1717232400LL, 1717211700LL}, /* 2024-06-01T09:00 */
	{"Europe/Lisbon", 1711846799LL, 1711846799LL}, /* 2024-03-31T00:59:59 */
	/* 01:00-02:00 does not exist: all of it maps to 01:00Z */
	{"Europe/Lisbon", 1711846800LL, 1711846800LL}, /* 2024-03-31T01:00 */
	{"Europe/Lisbon", 1711848600LL, 1711846800LL}, /* 2024-03-31T01:30 */
	{"Europe/Lisbon", 1711850400LL, 1711846800LL}, /* 2024-03-31T02:00 */
	/* 01:00-02:00 happens twice: the first time */
	{"Europe/Lisbon", 1729990799LL, 1729987199LL}, /* 2024-10-27T00:59:59 */
	{"Europe/Lisbon", 1729990800LL, 1729987200LL}, /* 2024-10-27T01:00 */
	{"Europe/Lisbon", 1729994399LL, 1729990799LL}, /* 2024-10-27T01:59:59 */
	{"Europe/Lisbon", 1729994400LL, 1729994400LL}, /* 2024-10-27T02:00 */
	{"Europe/Lisbon", 4109880600LL, 4109878800LL}, /* 2100-03-28T01:30 */
	{"Europe/Lisbon", 4128629400LL, 4128625800LL}, /* 2100-10-31T01:30 */
	{"America/New_York", 1710037800LL, 1710054000LL}, /* 2024-03-10T02:30 */
	{"America/New_York", 1710039600LL, 1710054000LL}, /* 2024-03-10T03:00 */
	{"America/New_York", 1730597400LL, 1730611800LL}, /* 2024-11-03T01:30 */
	{"America/New_York", 1730599200LL, 1730617200LL}, /* 2024-11-03T02:00 */
	{"America/Sao_Paulo", 1541289600LL,
	 1541300400LL}, /* 2018-11-04T00:00 */
	{"America/Sao_Paulo", 1541293199LL, 1541300400LL}, /* ...T00:59:59 */
	{"America/Sao_Paulo", 1541293200LL,
	 1541300400LL}, /* 2018-11-04T01:00 */
	{"America/Sao_Paulo", 1550359800LL,
	 1550367000LL}, /* 2019-02-16T23:30 */
	{"America/Sao_Paulo", 1550361600LL,
	 1550372400LL}, /* 2019-02-17T00:00 */
	/* half-hour DST */
	{"Australia/Lord_Howe", 1728180900LL,
	 1728142200LL}, /* 2024-10-06T02:15 */
	{"Australia/Lord_Howe", 1712454300LL,
	 1712414700LL}, /* 2024-04-07T01:45 */
	/* Samoa skipped 30 December 2011 entirely */
	{"Pacific/Apia", 1325246400LL, 1325239200LL}, /* 2011-12-30T12:00 */
	{"Pacific/Apia", 1325289600LL, 1325239200LL}, /* 2011-12-31T00:00 */
};

/* Footer rules, in files with no transitions. Expected values from glibc:
 * TZ=rule date -d '<utc> UTC' +%z (python's zoneinfo reads the zero-based
 * "n" form a day early). */
static const struct {
	const char *rule;
	int64_t utc;
	int32_t off;
} rules[] = {
	{"EST5EDT,M3.2.0,M11.1.0", 4108690799LL,
	 -18000}, /* 2100-03-14T06:59:59Z */
	{"EST5EDT,M3.2.0,M11.1.0", 4108690800LL,
	 -14400}, /* 2100-03-14T07:00:00Z */
	{"EST5EDT,M3.2.0,M11.1.0", 4129250399LL,
	 -14400}, /* 2100-11-07T05:59:59Z */
	{"EST5EDT,M3.2.0,M11.1.0", 4129250400LL,
	 -18000}, /* 2100-11-07T06:00:00Z */
	/* southern hemisphere: DST spans New Year */
	{"AEST-10AEDT,M10.1.0,M4.1.0/3", 4110451199LL, 39600},
	{"AEST-10AEDT,M10.1.0,M4.1.0/3", 4110451200LL, 36000},
	{"AEST-10AEDT,M10.1.0,M4.1.0/3", 4126175999LL, 36000},
	{"AEST-10AEDT,M10.1.0,M4.1.0/3", 4126176000LL, 39600},
	{"AEST-10AEDT,M10.1.0,M4.1.0/3", 4133977200LL, 39600},
	/* negative transition times (America/Nuuk) */
	{"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 4109878799LL, -7200},
	{"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 4109878800LL, -3600},
	{"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 4128627599LL, -3600},
	{"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 4128627600LL, -7200},
	/* times past 24 h (Asia/Gaza) */
	{"EET-2EEST,M3.4.4/50,M10.4.4/50", 4109788799LL, 7200},
	{"EET-2EEST,M3.4.4/50,M10.4.4/50", 4109788800LL, 10800},
	{"EET-2EEST,M3.4.4/50,M10.4.4/50", 4128533999LL, 10800},
	{"EET-2EEST,M3.4.4/50,M10.4.4/50", 4128534000LL, 7200},
	/* Jn: February 29 never counted; n: counted, from 0 */
	{"AAA0BBB-1,J60/0,J300/0", 1677628799LL, 0}, /* 2023-02-28T23:59:59Z */
	{"AAA0BBB-1,J60/0,J300/0", 1677628800LL,
	 3600},                                      /* 2023-03-01T00:00:00Z */
	{"AAA0BBB-1,J60/0,J300/0", 1709208000LL, 0}, /* 2024-02-29T12:00:00Z */
	{"AAA0BBB-1,J60/0,J300/0", 1709251200LL,
	 3600}, /* 2024-03-01T00:00:00Z */
	{"AAA0BBB-1,J60/0,J300/0", 1729983599LL,
	 3600},                                       /* 2024-10-26T22:59:59Z */
	{"AAA0BBB-1,J60/0,J300/0", 1729983600LL, 0},  /* 2024-10-26T23:00:00Z */
	{"AAA0BBB-1,59/0,299/0", 1677628799LL, 0},    /* 2023-02-28T23:59:59Z */
	{"AAA0BBB-1,59/0,299/0", 1677628800LL, 3600}, /* 2023-03-01T00:00:00Z */
	{"AAA0BBB-1,59/0,299/0", 1709164799LL, 0},    /* 2024-02-28T23:59:59Z */
	{"AAA0BBB-1,59/0,299/0", 1709164800LL, 3600}, /* 2024-02-29T00:00:00Z */
	{"AAA0BBB-1,59/0,299/0", 1698361199LL, 3600}, /* 2023-10-26T22:59:59Z */
	{"AAA0BBB-1,59/0,299/0", 1698361200LL, 0},    /* 2023-10-26T23:00:00Z */
	/* DST across New Year in standard time */
	{"AAA3BBB2,M12.5.0/24,M1.1.0/0", 4102109999LL, -10800},
	{"AAA3BBB2,M12.5.0/24,M1.1.0/0", 4102110000LL, -7200},
	{"AAA3BBB2,M12.5.0/24,M1.1.0/0", 4102624799LL, -7200},
	{"AAA3BBB2,M12.5.0/24,M1.1.0/0", 4102624800LL, -10800},
	{"NST3:30NDT,M3.2.0,M11.1.0", 4118083200LL, -9000},
	{"NST3:30NDT,M3.2.0,M11.1.0", 4102444800LL, -12600},
	{"<+0545>-5:45", 4118083200LL, 20700},
	{"XXX-1YYY-3:30,M4.1.0/1:02:03,M9.5.6/-0:30", 4110480122LL, 3600},
	{"XXX-1YYY-3:30,M4.1.0/1:02:03,M9.5.6/-0:30", 4110480123LL, 12600},
	{"XXX-1YYY-3:30,M4.1.0/1:02:03,M9.5.6/-0:30", 4125499199LL, 12600},
	{"XXX-1YYY-3:30,M4.1.0/1:02:03,M9.5.6/-0:30", 4125499200LL, 3600},
	/* DST all year, RFC 8536 3.3.1's own example. By hand: glibc and
	 * python both give EST in the first hours of a UTC year. */
	{"EST5EDT,0/0,J365/25", 4102455600LL, -14400}, /* 2100-01-01T03:00Z */
	{"EST5EDT,0/0,J365/25", 4118083200LL, -14400}, /* 2100-07-01T00:00Z */
	{"EST5EDT,0/0,J365/25", 4133977200LL, -14400}, /* 2100-12-31T23:00Z */
};

static const struct {
	const char *footer;
	bool ok;
} footers[] = {
	{"", true},
	{"UTC0", true},
	{"WET0WEST,M3.5.0/1,M10.5.0", true},
	{"<+0545>-5:45", true},
	{"<-03>3", true},
	{"EST5EDT4,M3.2.0/2:00:00,M11.1.0/2:00:00", true},
	{"EST5EDT,M3.2.0/-167,M11.1.0/167", true},
	{"EST5EDT,0,365", true},
	{"EST+5EDT,J1,J365", true},
	{"WE0", false},        /* abbreviation under 3 letters */
	{"<+05", false},       /* unclosed */
	{"<+5>-5", false},     /* quoted, under 3 characters */
	{"EST", false},        /* no offset */
	{"EST25", false},      /* hours over 24 */
	{"EST5:60", false},    /* minutes over 59 */
	{"EST5:30:60", false}, /* seconds over 59 */
	{"EST5 ", false},      /* trailing junk */
	{"EST5EDT", false},    /* DST without dates */
	{"EST5EDT,M3.2.0", false},
	{"EST5EDT,M13.1.0,M11.1.0", false},
	{"EST5EDT,M0.1.0,M11.1.0", false},
	{"EST5EDT,M3.6.0,M11.1.0", false},
	{"EST5EDT,M3.0.0,M11.1.0", false},
	{"EST5EDT,M3.2.7,M11.1.0", false},
	{"EST5EDT,M3.2,M11.1.0", false},
	{"EST5EDT,J0,J365", false},
	{"EST5EDT,J366,J365", false},
	{"EST5EDT,366,1", false},
	{"EST5EDT,M3.2.0/168,M11.1.0", false},
	{"EST5EDT,M3.2.0/,M11.1.0", false},
	{"EST5EDT,M3.2.0,M11.1.0x", false},
	{"EST5EDT,M3.2.0,M11.1.0,", false},
	{"EST-24:59:59EDT-26,M3.2.0,M11.1.0", false}, /* DST past +26 h */
};

/* A TZif file under construction. */
struct tzb {
	unsigned char b[16384];
	size_t n;
};

static void
put(struct tzb *z, const void *p, size_t n)
{
	if (n == 0)
		return; /* p may be NULL then, which memcpy() does not allow */
	if (n > sizeof(z->b) - z->n)
		abort(); /* a bug in the test */
	memcpy(z->b + z->n, p, n);
	z->n += n;
}

static void
put32(struct tzb *z, uint32_t v)
{
	unsigned char c[4] = {(unsigned char)(v >> 24),
			      (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			      (unsigned char)v};

	put(z, c, 4);
}

static void
put64(struct tzb *z, int64_t v)
{
	put32(z, (uint32_t)((uint64_t)v >> 32));
	put32(z, (uint32_t)v);
}

static void
put_hdr(struct tzb *z, char version, uint32_t timecnt, uint32_t typecnt,
	uint32_t charcnt)
{
	static const unsigned char zero[15];

	put(z, "TZif", 4);
	put(z, &version, 1);
	put(z, zero, 15);
	put32(z, 0); /* isutcnt */
	put32(z, 0); /* isstdcnt */
	put32(z, 0); /* leapcnt */
	put32(z, timecnt);
	put32(z, typecnt);
	put32(z, charcnt);
}

/* A TZif file: transitions at[i] to type idx[i], types with offsets offs[],
 * all abbreviated "ZZZ". footer NULL makes a version 1 file (32-bit times
 * only, no footer); otherwise version 2 with an empty 32-bit block. */
static void
build(struct tzb *z, const int64_t *at, const unsigned char *idx, size_t nt,
      const int32_t *offs, size_t ntypes, const char *footer)
{
	unsigned tsize = footer == NULL ? 4 : 8;

	z->n = 0;
	if (footer != NULL)
		put_hdr(z, '2', 0, 0, 0);
	put_hdr(z, footer == NULL ? 0 : '2', (uint32_t)nt, (uint32_t)ntypes, 4);
	for (size_t i = 0; i < nt; i++) {
		if (tsize == 4)
			put32(z, (uint32_t)at[i]);
		else
			put64(z, at[i]);
	}
	put(z, idx, nt);
	for (size_t i = 0; i < ntypes; i++) {
		unsigned char rest[2] = {i > 0, 0};

		put32(z, (uint32_t)offs[i]);
		put(z, rest, 2);
	}
	put(z, "ZZZ", 4);
	if (footer != NULL) {
		put(z, "\n", 1);
		put(z, footer, strlen(footer));
		put(z, "\n", 1);
	}
}

static void
test_names(void)
{
	static const char *const bad[] = {
		"",
		"../etc/passwd",
		"Europe/../UTC",
		"/etc/localtime",
		"Europe//Lisbon",
		"Europe/",
		"/UTC",
		".hidden",
		"Europe/.Lisbon",
		"-UTC",
		"Europe/Lisbon\n",
		"Europe/Lis bon",
		"Europe\\Lisbon",
		"Europe/Lisbon;rm",
		"Mars/Olympus_Mons", /* well-formed, missing */
		"Europe",            /* a directory */
		"zone.tab",          /* a dot: refused */
	};
	char err[256], long_name[400];
	struct tg_tz *tz;

	for (size_t i = 0; i < TG_N(bad); i++) {
		tz = (struct tg_tz *)1;
		err[0] = '\0';
		TG_CHECK(tg_tz_load(bad[i], &tz, err, sizeof(err)) == -1);
		TG_CHECK(tz == NULL);
		TG_CHECK(err[0] != '\0');
	}
	memset(long_name, 'A', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	TG_CHECK(tg_tz_load(long_name, &tz, err, sizeof(err)) == -1);

	/* The error names the zone and says why. */
	TG_CHECK(tg_tz_load("Mars/Olympus_Mons", &tz, err, sizeof(err)) == -1);
	TG_CHECK(strstr(err, "Mars/Olympus_Mons") != NULL);
	TG_CHECK(strstr(err, "No such file") != NULL);
	/* A small err buffer truncates; NULL is allowed. */
	TG_CHECK(tg_tz_load("Mars/Olympus_Mons", &tz, err, 8) == -1);
	TG_CHECK(strlen(err) == 7);
	TG_CHECK(tg_tz_load("Mars/Olympus_Mons", &tz, NULL, 0) == -1);

	/* Leap-second zones count other seconds: refused, when installed. */
	if (tg_tz_load("right/UTC", &tz, err, sizeof(err)) == -1)
		TG_CHECK(strstr(err, "leap") != NULL ||
			 strstr(err, "No such file") != NULL);
	else
		TG_CHECK(!"right/UTC loaded");

	TG_CHECK(tg_tz_load("America/Argentina/Buenos_Aires", &tz, err,
			    sizeof(err)) == 0);
	TG_CHECK(tz != NULL);
	tg_tz_free(&tz);
	TG_CHECK(tz == NULL);
	tg_tz_free(&tz);
	tg_tz_free(NULL);
}

static void
test_offsets(void)
{
	char err[256];

	for (size_t i = 0; i < TG_N(offsets); i++) {
		struct tg_tz *tz = NULL;
		int32_t got;

		if (tg_tz_load(offsets[i].zone, &tz, err, sizeof(err)) < 0) {
			fprintf(stderr, "case %zu: %s\n", i, err);
			TG_CHECK(!"load failed");
			continue;
		}
		got = tg_tz_offset(tz, offsets[i].utc);
		if (got != offsets[i].off)
			fprintf(stderr, "offset case %zu: got %d\n", i,
				(int)got);
		TG_CHECK(got == offsets[i].off);
		tg_tz_free(&tz);
	}
	TG_CHECK(tg_tz_offset(NULL, 1717243200LL) == 0);
}

static void
test_locals(void)
{
	char err[256];

	for (size_t i = 0; i < TG_N(locals); i++) {
		struct tg_tz *tz = NULL;
		int64_t got;

		if (tg_tz_load(locals[i].zone, &tz, err, sizeof(err)) < 0) {
			fprintf(stderr, "case %zu: %s\n", i, err);
			TG_CHECK(!"load failed");
			continue;
		}
		got = tg_tz_local_to_utc(tz, locals[i].local);
		if (got != locals[i].utc)
			fprintf(stderr, "local case %zu: got %lld\n", i,
				(long long)got);
		TG_CHECK(got == locals[i].utc);
		tg_tz_free(&tz);
	}
	TG_CHECK(tg_tz_local_to_utc(NULL, 1717243200LL) == 1717243200LL);
}

/* Never decreasing, and exact wherever the local time exists: every
 * 7 minutes through 2024 and 2100 in zones with DST. */
static void
test_local_monotonic(void)
{
	static const char *const zones[] = {
		"Europe/Lisbon",       "America/Sao_Paulo", "America/New_York",
		"Australia/Lord_Howe", "America/Nuuk",
	};
	static const int64_t from[] = {1704067200LL, 4102444800LL};
	char err[256];

	for (size_t z = 0; z < TG_N(zones); z++) {
		struct tg_tz *tz = NULL;
		int bad_order = 0, bad_trip = 0;

		TG_CHECK(tg_tz_load(zones[z], &tz, err, sizeof(err)) == 0);
		if (tz == NULL)
			continue;
		for (size_t y = 0; y < TG_N(from); y++) {
			int64_t prev = INT64_MIN;

			for (int64_t l = from[y]; l < from[y] + 366 * 86400LL;
			     l += 420) {
				int64_t u = tg_tz_local_to_utc(tz, l);

				bad_order += u < prev;
				/* a gap maps to its end, which reads later */
				bad_trip += u + tg_tz_offset(tz, u) < l;
				prev = u;
			}
		}
		TG_CHECK(bad_order == 0);
		TG_CHECK(bad_trip == 0);
		tg_tz_free(&tz);
	}
}

static void
test_rules(void)
{
	char err[256];
	struct tzb z;

	for (size_t i = 0; i < TG_N(rules); i++) {
		struct tg_tz *tz = NULL;
		int32_t got;

		build(&z, NULL, NULL, 0, (const int32_t[]){0}, 1,
		      rules[i].rule);
		if (tg_tz_parse(z.b, z.n, &tz, err, sizeof(err)) < 0) {
			fprintf(stderr, "rule case %zu: %s\n", i, err);
			TG_CHECK(!"parse failed");
			continue;
		}
		got = tg_tz_offset(tz, rules[i].utc);
		if (got != rules[i].off)
			fprintf(stderr, "rule case %zu: got %d\n", i, (int)got);
		TG_CHECK(got == rules[i].off);
		tg_tz_free(&tz);
	}
	for (size_t i = 0; i < TG_N(footers); i++) {
		struct tg_tz *tz = NULL;
		int ret;

		build(&z, NULL, NULL, 0, (const int32_t[]){0}, 1,
		      footers[i].footer);
		ret = tg_tz_parse(z.b, z.n, &tz, err, sizeof(err));
		if ((ret == 0) != footers[i].ok)
			fprintf(stderr, "footer case %zu: ret %d\n", i, ret);
		TG_CHECK((ret == 0) == footers[i].ok);
		TG_CHECK((tz != NULL) == (ret == 0));
		tg_tz_free(&tz);
	}
}

/* Files built here: version 1, the table/footer hand-over, time type 0. */
static void
test_built(void)
{
	static const int64_t at[] = {-100000, 0, 1000000};
	static const unsigned char idx[] = {1, 2, 1};
	static const int32_t offs[] = {-3600, 7200, 19800};
	char err[256];
	struct tg_tz *tz = NULL;
	struct tzb z;

	build(&z, at, idx, 3, offs, 3, NULL);
	TG_CHECK(tg_tz_parse(z.b, z.n, &tz, err, sizeof(err)) == 0);
	if (tz != NULL) {
		TG_CHECK(tg_tz_offset(tz, INT64_MIN) == -3600);
		TG_CHECK(tg_tz_offset(tz, -100001) == -3600);
		TG_CHECK(tg_tz_offset(tz, -100000) == 7200);
		TG_CHECK(tg_tz_offset(tz, -1) == 7200);
		TG_CHECK(tg_tz_offset(tz, 0) == 19800);
		TG_CHECK(tg_tz_offset(tz, 999999) == 19800);
		/* no footer: the last type stays */
		TG_CHECK(tg_tz_offset(tz, 1000000) == 7200);
		TG_CHECK(tg_tz_offset(tz, INT64_MAX) == 7200);
		/* 0 + 7200 .. 0 + 19800 does not exist: 0 */
		TG_CHECK(tg_tz_local_to_utc(tz, 7199) == -1);
		TG_CHECK(tg_tz_local_to_utc(tz, 7200) == 0);
		TG_CHECK(tg_tz_local_to_utc(tz, 19799) == 0);
		TG_CHECK(tg_tz_local_to_utc(tz, 19800) == 0);
		/* 1000000 + 7200 .. + 19800 happens twice: the first */
		TG_CHECK(tg_tz_local_to_utc(tz, 1007200) == 987400);
		TG_CHECK(tg_tz_local_to_utc(tz, 1019800) == 1000000 + 12600);
		TG_CHECK(tg_tz_local_to_utc(tz, INT64_MAX) == INT64_MAX - 7200);
		tg_tz_free(&tz);
	}

	/* Version 2: the footer takes over from the last transition, and an
	 * instant before the first gets type 0. */
	build(&z, (const int64_t[]){4000000000LL}, (const unsigned char[]){1},
	      1, (const int32_t[]){-18000, -14400}, 2,
	      "EST5EDT,M3.2.0,M11.1.0");
	TG_CHECK(tg_tz_parse(z.b, z.n, &tz, err, sizeof(err)) == 0);
	if (tz != NULL) {
		TG_CHECK(tg_tz_offset(tz, 3999999999LL) == -18000);
		TG_CHECK(tg_tz_offset(tz, 4000000000LL) == -14400);
		TG_CHECK(tg_tz_offset(tz, 4108690799LL) == -18000);
		TG_CHECK(tg_tz_offset(tz, 4108690800LL) == -14400);
		/* far out the rule still holds; no overflow at the ends */
		TG_CHECK(tg_tz_offset(tz, INT64_MAX) == -18000 ||
			 tg_tz_offset(tz, INT64_MAX) == -14400);
		TG_CHECK(tg_tz_local_to_utc(tz, INT64_MIN) ==
			 INT64_MIN + 18000);
		TG_CHECK(tg_tz_local_to_utc(tz, INT64_MAX - 5) == INT64_MAX);
		tg_tz_free(&tz);
	}

	/* No transitions, no footer: type 0 everywhere. */
	build(&z, NULL, NULL, 0, (const int32_t[]){20700}, 1, "");
	TG_CHECK(tg_tz_parse(z.b, z.n, &tz, err, sizeof(err)) == 0);
	if (tz != NULL) {
		TG_CHECK(tg_tz_offset(tz, INT64_MIN) == 20700);
		TG_CHECK(tg_tz_offset(tz, 0) == 20700);
		TG_CHECK(tg_tz_local_to_utc(tz, 20700) == 0);
		tg_tz_free(&tz);
	}
}

static void
set32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Corruptions of a built version 2 file with 2 transitions and 2 types.
 * Offsets: second header at 44; its counts at 64 (isut, isstd, leap,
 * time, type, char); data at 88: times 88-103 (low halves at 92, 100), indices
 * 104-105, types 106-117, abbreviations 118-121, footer from 122. */
static void
test_corrupt_built(void)
{
	static const struct {
		size_t at;
		int kind; /* 0: byte, 1: 32-bit */
		uint32_t v;
	} edits[] = {
		{0, 0, 'X'},           /* magic */
		{4, 0, '1'},           /* version 1 is written as 0 */
		{4, 0, '5'},           /* unknown version */
		{48, 0, 0},            /* second header's version 0 */
		{44, 0, 'X'},          /* second magic */
		{64, 1, 1},            /* isutcnt neither 0 nor typecnt */
		{68, 1, 3},            /* isstdcnt neither */
		{72, 1, 1},            /* leap seconds */
		{76, 1, 0xffffffffu},  /* timecnt past the file */
		{76, 1, 3},            /* timecnt one too many */
		{80, 1, 0},            /* no types */
		{80, 1, 0x7fffffffu},  /* typecnt past the file */
		{84, 1, 0},            /* no abbreviations */
		{84, 1, 0xfffffff0u},  /* charcnt past the file */
		{100, 1, 0},           /* transitions out of order */
		{104, 0, 2},           /* type index out of range */
		{106, 1, 0x80000000u}, /* offset out of range */
		{106, 1, 93600},       /* offset over 26 h */
		{110, 0, 2},           /* isdst neither 0 nor 1 */
		{111, 0, 4},           /* abbreviation index out of range */
		{122, 0, 'X'},         /* footer not after a newline */
	};
	static const int64_t at[] = {1000, 5000};
	static const unsigned char idx[] = {1, 0};
	static const int32_t offs[] = {0, 3600};
	char err[256];
	struct tg_tz *tz = NULL;
	struct tzb z, c;

	build(&z, at, idx, 2, offs, 2, "WET0WEST,M3.5.0/1,M10.5.0");
	TG_CHECK(z.n == 122 + 27);
	TG_CHECK(tg_tz_parse(z.b, z.n, &tz, err, sizeof(err)) == 0);
	tg_tz_free(&tz);
	for (size_t i = 0; i < TG_N(edits); i++) {
		int ret;

		c = z;
		if (edits[i].kind == 0)
			c.b[edits[i].at] = (unsigned char)edits[i].v;
		else
			set32(c.b + edits[i].at, edits[i].v);
		err[0] = '\0';
		ret = tg_tz_parse(c.b, c.n, &tz, err, sizeof(err));
		if (ret != -1)
			fprintf(stderr, "corrupt case %zu parsed\n", i);
		TG_CHECK(ret == -1 && tz == NULL && err[0] != '\0');
	}
	/* footer without its closing newline, with a control character,
	 * longer than a TZ string can be */
	c = z;
	c.n--;
	TG_CHECK(tg_tz_parse(c.b, c.n, &tz, err, sizeof(err)) == -1);
	c = z;
	c.b[125] = '\t';
	TG_CHECK(tg_tz_parse(c.b, c.n, &tz, err, sizeof(err)) == -1);
	c = z;
	c.n = 123;
	memset(c.b + 123, 'A', 300);
	c.n += 300;
	c.b[c.n++] = '\n';
	TG_CHECK(tg_tz_parse(c.b, c.n, &tz, err, sizeof(err)) == -1);
	/* trailing bytes after the footer are ignored */
	c = z;
	put(&c, "junk", 4);
	TG_CHECK(tg_tz_parse(c.b, c.n, &tz, err, sizeof(err)) == 0);
	tg_tz_free(&tz);
	/* over the size limit */
	TG_CHECK(tg_tz_parse(z.b, TG_TZ_MAX_FILE_BYTES + 1, &tz, err,
			     sizeof(err)) == -1);
	TG_CHECK(tg_tz_parse(z.b, 0, &tz, err, sizeof(err)) == -1);
}

static unsigned char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = tg_xmalloc((size_t)n);
	*len_r = fread(buf, 1, (size_t)n, f);
	fclose(f);
	return buf;
}

/* Every truncation of a real file fails; every single-byte change either
 * fails or gives a zone whose answers stay in range (run under ASan). */
static void
test_corrupt_real(void)
{
	static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
	char err[256];
	struct tg_tz *tz = NULL;
	unsigned char *buf, *copy;
	size_t len = 0;
	int truncated_ok = 0, bad_answers = 0, parsed = 0;

	buf = slurp(TG_TZ_DIR "/Europe/Lisbon", &len);
	TG_CHECK(buf != NULL && len > 1000);
	if (buf == NULL)
		return;
	TG_CHECK(tg_tz_parse(buf, len, &tz, err, sizeof(err)) == 0);
	tg_tz_free(&tz);
	for (size_t n = 0; n < len; n++) {
		/* a copy of exactly n bytes, so ASan sees any overread */
		copy = tg_xmalloc(n);
		memcpy(copy, buf, n);
		if (tg_tz_parse(copy, n, &tz, err, sizeof(err)) == 0) {
			truncated_ok++;
			tg_tz_free(&tz);
		}
		free(copy);
	}
	TG_CHECK(truncated_ok == 0);

	copy = tg_xmalloc(len);
	for (size_t i = 0; i < len; i++) {
		for (size_t v = 0; v < TG_N(values); v++) {
			memcpy(copy, buf, len);
			copy[i] = values[v];
			if (tg_tz_parse(copy, len, &tz, err, sizeof(err)) < 0)
				continue;
			parsed++;
			for (int64_t t = -4000000000LL; t < 8000000000LL;
			     t += 500000000LL) {
				int32_t o = tg_tz_offset(tz, t);
				int64_t u = tg_tz_local_to_utc(tz, t);

				bad_answers += o < -89999 || o > 93599;
				bad_answers += u < t - 93600 || u > t + 93600;
			}
			tg_tz_free(&tz);
		}
	}
	TG_CHECK(parsed > 0); /* most changes hit transition times */
	TG_CHECK(bad_answers == 0);
	free(copy);
	free(buf);
}

int
main(void)
{
	test_names();
	test_offsets();
	test_locals();
	test_local_monotonic();
	test_rules();
	test_built();
	test_corrupt_built();
	test_corrupt_real();
	return tg_test_done();
}
