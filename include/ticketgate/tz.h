/* Time zones read from the system's compiled zoneinfo files (TZif, RFC 8536)
 * without TZ, tzset() or localtime(), which are process-global: a loaded
 * zone is immutable, so threads may share it freely. */
#ifndef TICKETGATE_TZ_H
#define TICKETGATE_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "ticketgate/util.h"

/* Where tg_tz_load() looks for zone files. */
#define TG_TZ_DIR "/usr/share/zoneinfo"
/* Real zone files are under 4 KiB; anything past this is not one. */
#define TG_TZ_MAX_FILE_BYTES (256 * 1024)

/* A loaded zone: its UTC offset at any instant. Opaque and immutable. */
struct tg_tz;

/* Loads the zone `name` ("Europe/Lisbon", "UTC", "Etc/GMT+5") from
 * TG_TZ_DIR. Names are made of letters, digits and "_+-", in components
 * joined by single "/"; so "..", absolute paths and hidden files are
 * refused. Zone files with leap seconds (right/...) are refused too: their
 * timestamps are not POSIX seconds. This is the module's only I/O; call it
 * while loading the configuration. Returns 0 and sets *tz_r (the caller owns
 * it: tg_tz_free()), or -1 with a message in err[0..errlen). */
TG_MUST_CHECK int tg_tz_load(const char *name, struct tg_tz **tz_r, char *err,
			     size_t errlen);

/* As tg_tz_load(), from the bytes of a TZif file in data[0..len) (tests,
 * fuzzing). Every count is checked against len: a corrupt or truncated file
 * gives -1 with err filled. Parses untrusted input. */
TG_MUST_CHECK int tg_tz_parse(const unsigned char *data, size_t len,
			      struct tg_tz **tz_r, char *err, size_t errlen);

/* Frees *tz and sets it to NULL; accepts NULL and *tz == NULL. */
void tg_tz_free(struct tg_tz **tz);

/* Seconds east of UTC in force at the instant utc (seconds since the epoch).
 * Uses the 64-bit transition table, and the file's POSIX TZ footer rule
 * ("WET0WEST,M3.5.0/1,M10.5.0") from the last transition on. Before the
 * first transition the zone's first time type applies (RFC 8536 3.2).
 * Instants more than ~70,000 years from 1970 get the footer rule's answer
 * for that limit. tz == NULL means UTC (returns 0). */
int32_t tg_tz_offset(const struct tg_tz *tz, int64_t utc);

/* The UTC instant at which the wall clock of tz reads local_seconds (a local
 * date and time counted like UTC seconds since 1970-01-01 00:00).
 * - A time repeated when clocks go back: the earlier instant.
 * - A time skipped when clocks go forward: the instant the gap ends, i.e.
 *   the first instant whose local time is past it (02:30 in a 02:00->03:00
 *   gap gives 03:00 new time).
 * So the result never decreases as local_seconds grows, and a local interval
 * [a, b) maps to a UTC interval of non-negative length.
 * Past ~34,000 years from 1970 gaps are not resolved (local - offset).
 * tz == NULL means UTC. */
int64_t tg_tz_local_to_utc(const struct tg_tz *tz, int64_t local_seconds);

#endif
