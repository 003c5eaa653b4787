// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: simulated station clock. */
#include "simclock.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Earliest and latest instants a Mara timestamp can carry (years 2000..2253). */
#define SIM_MIN_NS	(946684800LL * NSEC_PER_SEC)
#define SIM_MAX_NS	(8960371199LL * NSEC_PER_SEC)

void simclock_init(struct simclock *c, int64_t start_sim, double scale)
{
	c->scale = scale;
	c->anchor_mono = sim_mono_ns();
	c->anchor_sim = start_sim;
}

int64_t simclock_now(const struct simclock *c)
{
	double d = (double)(sim_mono_ns() - c->anchor_mono) * c->scale;
	int64_t v = c->anchor_sim + (int64_t)d;

	/* Keep the clock inside what the wire can encode, however long we run. */
	return v > SIM_MAX_NS ? SIM_MAX_NS : v;
}

void simclock_set(struct simclock *c, int64_t sim_ns)
{
	c->anchor_mono = sim_mono_ns();
	c->anchor_sim = sim_ns;
}

static int64_t civil_to_days(int y, unsigned int m, unsigned int d)
{
	/* H. Hinnant's days_from_civil: the inverse of the codec's conversion. */
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static unsigned int days_in_month(int y, unsigned int m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30,
					      31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dm[m - 1];
}

static int64_t civil_ns(int y, unsigned int mo, unsigned int d, unsigned int h,
			unsigned int mi, unsigned int s)
{
	if (y < 2000 || y > 2253 || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
		return -1;
	return ((civil_to_days(y, mo, d) * 86400) + h * 3600 + mi * 60 + s) *
	       NSEC_PER_SEC;
}

int64_t simclock_from_mara(const struct mara_time *t)
{
	int64_t ns = civil_ns(t->year, t->month, t->day, t->hour, t->minute,
			      t->second);

	if (ns < 0 || t->frac >= MARA_FRAC_ONE)
		return -1;
	return ns + (int64_t)t->frac * NSEC_PER_SEC / MARA_FRAC_ONE;
}

int64_t simclock_host_local(void)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	return ((int64_t)ts.tv_sec + tm.tm_gmtoff) * NSEC_PER_SEC + ts.tv_nsec;
}

int64_t simclock_parse(const char *s)
{
	int y, n = 0;
	unsigned int mo, d, h, mi, sec;

	if (!strcmp(s, "now"))
		return simclock_host_local();
	if (sscanf(s, "%4d-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &sec,
		   &n) != 6 || s[n] != '\0')
		return -1;
	return civil_ns(y, mo, d, h, mi, sec);
}

void simclock_fields(int64_t sim_ns, struct mara_time *t)
{
	int64_t secs = sim_ns / NSEC_PER_SEC;
	int64_t nsec = sim_ns % NSEC_PER_SEC;

	if (nsec < 0) {
		nsec += NSEC_PER_SEC;
		secs--;
	}
	if (sim_ns < SIM_MIN_NS || sim_ns > SIM_MAX_NS ||
	    mara_time_from_unix(secs, (u32)nsec, t, NULL) < 0) {
		/* Unreachable with a clamped clock; a fixed date beats garbage. */
		memset(t, 0, sizeof(*t));
		t->year = 2000;
		t->month = 1;
		t->day = 1;
	}
}
