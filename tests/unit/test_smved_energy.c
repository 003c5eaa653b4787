// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Energy reports of §9.10 on a journal filled here: 23:59 rendered 24:00, active and reactive
 * paired by time per IED, code 3 excluded from export and maximum, the maximum's reactive taken
 * at the active's time, monthly counts with a missing slot and the code-3 total apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "energy_report.h"
#include "journal.h"
#include "tap.h"

#define MIN_US	(60LL * 1000000LL)
/* 2014-01-14 00:00 UTC; the station is taken as UTC so utc_us follows the device time. */
#define DAY14	(1389657600LL * 1000000LL)

static struct journal *j;
static int stored;

static void add(const char *src, int ied, int day, int hour, int min, int channel, int code,
		long value)
{
	char dev[40], fields[200];
	struct journal_new e = { .source = src, .station = src, .ied = ied, .type = "energy",
				 .tag = "", .value = value, .text = "" };

	snprintf(dev, sizeof(dev), "2014-01-%02d %02d:%02d:00.000000", day, hour, min);
	snprintf(fields, sizeof(fields),
		 "{\"type\":\"energy\",\"addr\":%d,\"code\":%d,\"channel\":%d,"
		 "\"time\":\"2014-01-%02dT%02d:%02d\",\"value\":%ld}",
		 ied, code, channel, day, hour, min, value);
	e.device_time = dev;
	e.fields = fields;
	e.utc_us = e.rx_us = DAY14 + ((day - 14) * 1440LL + hour * 60 + min) * MIN_US;
	stored += journal_add(j, &e, NULL) == 1;
}

static char *export_text(const char *src, int ied, int64_t from, int64_t to, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*ret = energy_export(j, src, ied, from, to, f);
	fclose(f);
	return buf;
}

static int missing_slots(const struct energy_month_row *r, int day, int *first)
{
	int n = 0;

	*first = -1;
	for (int s = 0; s < ENERGY_SLOTS; s++)
		if (!(r->slots[day - 1][s / 8] & (1u << (s % 8)))) {
			if (*first < 0)
				*first = s;
			n++;
		}
	return n;
}

int main(void)
{
	char tmpl[] = "/tmp/test_smved_energy.XXXXXX", path[300], date[9], hm[6];
	struct journal_opts o = { .dedup_days = 7 };
	char err[256];
	int ret = 0;

	if (!mkdtemp(tmpl)) {
		OK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/j.db", tmpl);
	o.path = path;
	j = journal_open(&o, err, sizeof(err));
	if (!OK(j != NULL, "journal opens (%s)", j ? "" : err))
		return tap_done();

	/* --- pure helpers */
	energy_time_label(2014, 1, 14, 23, 59, date, hm);
	OK(!strcmp(date, "14/01/14") && !strcmp(hm, "24:00"), "23:59 is 24:00 of its day (%s %s)",
	   date, hm);
	energy_time_label(2014, 1, 14, 0, 15, date, hm);
	OK(!strcmp(hm, "00:15"), "00:15 stays 00:15");
	IS(energy_slot(0, 15), 0, "00:15 ends the first interval");
	IS(energy_slot(23, 59), 95, "23:59 is the last interval");
	IS(energy_slot(23, 45), 94, "23:45 is the one before");
	IS(energy_slot(0, 0), -1, "00:00 is no interval of its day");
	IS(energy_slot(10, 7), -1, "off-grid minute");
	IS(energy_days_in_month(2016, 2), 29, "leap February");

	/* --- day 14: IED 5 three intervals plus a total, IED 6 interleaved */
	add("E4", 5, 14, 0, 15, 0, 0, 100);
	add("E4", 5, 14, 0, 15, 1, 0, 50);
	add("E4", 6, 14, 0, 15, 0, 0, 7777);
	add("E4", 5, 14, 0, 30, 0, 0, 300);
	add("E4", 5, 14, 0, 30, 1, 0, 40);
	add("E4", 5, 14, 23, 59, 1, 1, 70);
	add("E4", 5, 14, 23, 59, 0, 1, 200);
	add("E4", 5, 14, 23, 59, 0, 3, 999999);	/* the 24-hour total */
	add("OTHER", 5, 14, 0, 45, 0, 0, 888888);	/* same IED on another source */
	/* --- day 15: IED 5 active complete but 10:00, total present; reactive absent */
	for (int s = 0; s < ENERGY_SLOTS; s++) {
		int m = (s + 1) * 15;

		if (s == 39)
			continue;
		add("E4", 5, 15, s == 95 ? 23 : m / 60, s == 95 ? 59 : m % 60, 0, 1, 10 + s);
	}
	add("E4", 5, 15, 23, 59, 0, 3, 5000);
	IS(stored, 9 + 95 + 1, "every record stored");

	char *t = export_text("E4", 5, DAY14, DAY14 + 1440 * MIN_US - 1, &ret);

	IS(ret, 0, "export succeeds");
	if (!OK(t && !strcmp(t, "14/01/14,00:15,100,50\n14/01/14,00:30,300,40\n"
				"14/01/14,24:00,200,70\n"),
		"export pairs by time, writes 24:00, leaves out code 3 and other IEDs/sources"))
		tap_diag("got: %s", t ? t : "(null)");
	free(t);
	t = export_text("E4", 5, DAY14 + 1440 * MIN_US + 9 * 60 * MIN_US + 15 * MIN_US,
			DAY14 + 1440 * MIN_US + 10 * 60 * MIN_US + 15 * MIN_US, &ret);
	if (!OK(t && !strcmp(t, "15/01/14,09:15,46,\n15/01/14,09:30,47,\n15/01/14,09:45,48,\n"
				"15/01/14,10:15,50,\n"),
		"a missing reactive leaves its field empty, a missing interval has no line"))
		tap_diag("got: %s", t ? t : "(null)");
	free(t);

	struct energy_max m;

	IS(energy_max(j, "E4", 5, DAY14, DAY14 + 1440 * MIN_US - 1, &m), 0, "max succeeds");
	OK(m.found && m.at.active == 300 && m.at.has_reactive && m.at.reactive == 40 &&
	   m.at.hour == 0 && m.at.min == 30,
	   "max is the 00:30 active with its reactive, not the code-3 total (%lld at %02d:%02d)",
	   (long long)m.at.active, m.at.hour, m.at.min);
	IS(energy_max(j, "E4", 9, DAY14, DAY14 + 2880 * MIN_US, &m), 0, "max of an empty IED");
	OK(!m.found, "nothing found for an IED without records");

	struct energy_month_row *rows = NULL;
	size_t n = 0;
	int first = -1;

	IS(energy_month(j, "E4", 2014, 1, &rows, &n), 0, "month report succeeds");
	IS(n, 3, "rows: IED 5 active, IED 5 reactive, IED 6 active");
	if (n == 3) {
		OK(rows[0].ied == 5 && rows[0].channel == 0, "first row IED 5 channel 0");
		IS(rows[0].counts[13], 3, "day 14: three 15-minute records (code 3 not counted)");
		OK(rows[0].total[13], "day 14: the total is reported apart");
		IS(rows[0].counts[14], 95, "day 15: 95 of 96");
		OK(rows[0].total[14], "day 15: total present");
		IS(missing_slots(&rows[0], 15, &first), 1, "day 15: one missing slot");
		IS(first, 39, "day 15: the missing slot is the one ending 10:00");
		IS(rows[0].counts[15], 0, "day 16: nothing");
		OK(!rows[0].total[15], "day 16: no total");
		IS(missing_slots(&rows[0], 16, &first), 96, "day 16: every slot missing");
		OK(rows[1].ied == 5 && rows[1].channel == 1 && rows[1].counts[13] == 3 &&
		   !rows[1].total[13], "IED 5 reactive: 3 records day 14, no total");
		OK(rows[2].ied == 6 && rows[2].counts[13] == 1, "IED 6: its one record");
	}
	free(rows);
	IS(energy_month(j, "E4", 2014, 2, &rows, &n), 0, "an empty month succeeds");
	IS(n, 0, "an empty month has no rows");
	free(rows);
	OK(energy_month(j, "E4", 2014, 13, &rows, &n) < 0, "month 13 is refused");

	journal_close(j);
	unlink(path);
	snprintf(path, sizeof(path), "%s/j.db-wal", tmpl);
	unlink(path);
	snprintf(path, sizeof(path), "%s/j.db-shm", tmpl);
	unlink(path);
	rmdir(tmpl);
	return tap_done();
}
