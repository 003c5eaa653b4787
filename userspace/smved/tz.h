/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Station local time <-> UTC with the TZ database, per source, without a
 * thread-unsafe library of our own: the conversions switch the process's
 * TZ for the duration of one mktime()/localtime_r() and restore it.  That
 * is safe because smved is single-threaded and nothing else reads TZ
 * concurrently; it is what keeps DST rules exactly glibc's.
 */
#ifndef SMVED_TZ_H
#define SMVED_TZ_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct mara_time;

/*
 * Device time (station local civil time in zone @tz) to UTC microseconds.
 * Returns 0 and sets *@us, or -1 when the time is not valid (then *@us is
 * left alone).  In the hour a DST change repeats, the first occurrence is
 * taken (mktime with tm_isdst = -1).
 */
int tz_device_to_utc(const char *tz, const struct mara_time *t, int64_t *us);
/* Offset of zone @tz from UTC at @when, in seconds (east positive). */
long tz_offset(const char *tz, time_t when);
/*
 * "YYYY-MM-DD hh:mm:ss.ffffff" of a device time as sent (fraction in
 * microseconds; ":00" seconds and no fraction for energy records).
 */
void tz_format_device(const struct mara_time *t, char *buf, size_t cap);

/* True when the kernel says the clock is synchronised (adjtimex: TIME_OK, STA_UNSYNC clear). */
bool host_clock_synced(void);

#endif /* SMVED_TZ_H */
