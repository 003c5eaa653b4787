// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Station time: device times to UTC in the station's zone (spec §5.11),
 * across DST changes, without disturbing the process's own TZ; the UTC
 * offset a bus needs for PEH on either side of a change; bad times refused.
 * host_clock_synced() depends on the host and is not checked here.
 */
#include <stdlib.h>
#include <string.h>

#include <smve/mara.h>

#include "tap.h"
#include "tz.h"

static struct mara_time t(int y, int mo, int d, int h, int mi, int s, int frac)
{
	return (struct mara_time){ .year = (u16)y, .month = (u8)mo, .day = (u8)d, .hour = (u8)h,
				   .minute = (u8)mi, .second = (u8)s, .frac = (u16)frac,
				   .has_seconds = 1, .valid = 1 };
}

int main(void)
{
	struct mara_time mt;
	int64_t us = 0;
	char buf[48];
	const char *tz;

	setenv("TZ", "Asia/Tokyo", 1);
	mt = t(2014, 1, 13, 16, 15, 0, 0);
	mt.has_seconds = 0;
	IS(tz_device_to_utc("America/Argentina/Buenos_Aires", &mt, &us), 0, "energy time converts");
	IS(us, 1389640500000000LL, "16:15 in Buenos Aires (UTC-3) is 19:15 UTC");
	tz = getenv("TZ");
	OK(tz && !strcmp(tz, "Asia/Tokyo"), "the process's TZ is restored");
	mt = t(2014, 1, 13, 16, 15, 7, 20 * 256);
	IS(tz_device_to_utc("UTC", &mt, &us), 0, "UTC zone");
	IS(us % 1000000, 156250, "fraction 20/128 s = 156250 us");
	/* Madrid: 2024-03-31 02:00 CET jumps to 03:00 CEST; 2024-10-27 03:00 CEST back to 02:00. */
	mt = t(2024, 3, 31, 1, 59, 59, 0);
	tz_device_to_utc("Europe/Madrid", &mt, &us);
	IS(us / 1000000, 1711846799LL, "before the spring change: UTC+1");
	mt = t(2024, 3, 31, 3, 0, 0, 0);
	tz_device_to_utc("Europe/Madrid", &mt, &us);
	IS(us / 1000000, 1711846800LL, "after it: UTC+2, one second later");
	IS(tz_offset("Europe/Madrid", 1711846799), 3600, "bus PEH offset in winter");
	IS(tz_offset("Europe/Madrid", 1711846800), 7200, "and in summer, at the change");
	IS(tz_offset("UTC", 1711846800), 0, "UTC offset");
	mt = t(2014, 0, 13, 16, 15, 0, 0);
	mt.valid = 0;
	IS(tz_device_to_utc("UTC", &mt, &us), -1, "a bad time (month 0) is refused");
	tz_format_device(&mt, buf, sizeof(buf));
	OK(!strcmp(buf, "2014-00-13 16:15:00.000000"), "and formatted as sent (%s)", buf);
	return tap_done();
}
