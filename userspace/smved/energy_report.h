/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Energy reports of spec §9.10, computed from the ENERGY events of the journal:
 * curves, the export text file, the maximum of a period and the monthly completeness report.
 * The REST handlers (GET /api/v1/energy/..., api_energy.c) only parse parameters and format;
 * the computations are here so that unit tests can run them on a journal they fill themselves.
 *
 * Record times are the device times of the events (station local, "YYYY-MM-DD hh:mm..."): a
 * 15-minute record stamps the end of its interval, and the 23:59 record (code 1) is the
 * 23:45-24:00 interval, rendered "24:00" of its own day.  Codes 0 and 1 are 15-minute values;
 * code 3 (24-hour total) never enters curves, exports or maxima.
 */
#ifndef SMVED_ENERGY_REPORT_H
#define SMVED_ENERGY_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct journal;

/* One ENERGY record as stored. */
struct energy_rec {
	int64_t utc_us;		/* device time in UTC */
	int ied;		/* IED address */
	int channel;		/* 0 active, 1 reactive */
	int code;		/* 0/1 15-minute, 3 24-hour total */
	int64_t raw;		/* 24-bit value as sent */
	int year, mon, day, hour, min;	/* device time, station local */
};

/* Active and reactive records of one IED at the same device time (a line of the export). */
struct energy_pair {
	int64_t utc_us;
	int year, mon, day, hour, min;
	bool has_active, has_reactive;
	int64_t active, reactive;	/* raw */
};

/*
 * Visit the ENERGY records of @source (IED @ied, or every IED when @ied < 0) with utc_us in
 * [@from_us, @to_us], ordered by IED, time, id.  Records whose device time cannot be parsed are
 * skipped.  A non-zero return of @fn stops the scan and is returned; -1 on a database error.
 */
int energy_scan(struct journal *j, const char *source, int ied, int64_t from_us,
		int64_t to_us, int (*fn)(const struct energy_rec *r, void *arg), void *arg);

/*
 * Format a device time the way §9.10 shows it: @date "dd/mm/yy", @hm "HH:MM" with 23:59 as
 * "24:00".  Buffers of at least 9 and 6 bytes.
 */
void energy_time_label(int year, int mon, int day, int hour, int min, char *date, char *hm);

/*
 * Pair the 15-minute records (codes 0 and 1) of one IED by device time and call @fn for each
 * time in order.  A later record for the same time and channel replaces the earlier one (a
 * re-sent interval).  Same returns as energy_scan().
 */
int energy_pairs(struct journal *j, const char *source, int ied, int64_t from_us,
		 int64_t to_us, int (*fn)(const struct energy_pair *p, void *arg), void *arg);

/* Write the export text file of one IED to @out, one "dd/mm/yy,HH:MM,<active>,<reactive>"
 * line per interval (a missing side is left empty).  0, or -1 on a database or write error. */
int energy_export(struct journal *j, const char *source, int ied, int64_t from_us,
		  int64_t to_us, FILE *out);

/* Maximum of a period: the largest active 15-minute value and the reactive at that time. */
struct energy_max {
	bool found;
	struct energy_pair at;
};
/* 0, or -1 on a database error.  Ties keep the earliest interval. */
int energy_max(struct journal *j, const char *source, int ied, int64_t from_us,
	       int64_t to_us, struct energy_max *out);

#define ENERGY_SLOTS	96	/* 15-minute intervals in a day */

/* Completeness of one (IED, channel) over one month. */
struct energy_month_row {
	int ied, channel;
	unsigned counts[31];		/* 15-minute records (codes 0/1) per day */
	bool total[31];			/* a code-3 record that day */
	uint8_t slots[31][(ENERGY_SLOTS + 7) / 8]; /* which intervals are present */
};

/*
 * Count the records of @source for month @mon (1-12) of @year, by device (local) date.
 * *@rows (malloc'd, caller frees) gets one row per (IED, channel) seen, sorted; *@n their
 * number.  Returns 0 or -1 (database or allocation error).
 */
int energy_month(struct journal *j, const char *source, int year, int mon,
		 struct energy_month_row **rows, size_t *n);

/* Interval index 0..95 of a 15-minute record stamped hour:min (23:59 is 95), or -1 off-grid. */
int energy_slot(int hour, int min);

/* Days in month @mon (1-12) of @year. */
int energy_days_in_month(int year, int mon);

#endif /* SMVED_ENERGY_REPORT_H */
