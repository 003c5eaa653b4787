// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Time zone conversions and the host clock check; see tz.h for why TZ is switched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include <smve/mara.h>

#include "tz.h"

struct tz_saved {
	char *old;
	bool had;
};

static void tz_enter(const char *tz, struct tz_saved *s)
{
	const char *cur = getenv("TZ");

	s->had = cur != NULL;
	s->old = cur ? strdup(cur) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void tz_leave(struct tz_saved *s)
{
	if (s->had && s->old)
		setenv("TZ", s->old, 1);
	else
		unsetenv("TZ");
	free(s->old);
	tzset();
}

static bool is_utc(const char *tz)
{
	return !tz || !*tz || !strcmp(tz, "UTC");
}

int tz_device_to_utc(const char *tz, const struct mara_time *t, int64_t *us)
{
	struct tm tm = { 0 };
	struct tz_saved s;
	time_t secs;

	if (!t->valid)
		return -1;
	tm.tm_year = t->year - 1900;
	tm.tm_mon = t->month - 1;
	tm.tm_mday = t->day;
	tm.tm_hour = t->hour;
	tm.tm_min = t->minute;
	tm.tm_sec = t->has_seconds ? t->second : 0;
	tm.tm_isdst = -1;
	if (is_utc(tz)) {
		secs = timegm(&tm);
	} else {
		tz_enter(tz, &s);
		secs = mktime(&tm);
		tz_leave(&s);
	}
	if (secs == (time_t)-1)
		return -1;
	*us = (int64_t)secs * 1000000 +
	      (t->has_seconds ? (int64_t)t->frac * 1000000 / MARA_FRAC_ONE : 0);
	return 0;
}

long tz_offset(const char *tz, time_t when)
{
	struct tm tm;
	struct tz_saved s;

	if (is_utc(tz))
		return 0;
	tz_enter(tz, &s);
	if (!localtime_r(&when, &tm))
		tm.tm_gmtoff = 0;
	tz_leave(&s);
	return tm.tm_gmtoff;
}

void tz_format_device(const struct mara_time *t, char *buf, size_t cap)
{
	if (t->has_seconds)
		snprintf(buf, cap, "%04u-%02u-%02u %02u:%02u:%02u.%06u", t->year,
			 t->month, t->day, t->hour, t->minute, t->second,
			 (unsigned)((uint64_t)t->frac * 1000000 / MARA_FRAC_ONE));
	else
		snprintf(buf, cap, "%04u-%02u-%02u %02u:%02u", t->year, t->month,
			 t->day, t->hour, t->minute);
}

bool host_clock_synced(void)
{
	struct timex tx = { 0 };
	int st = adjtimex(&tx);

	return st != -1 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
}
