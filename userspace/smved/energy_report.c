// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Energy reports of spec §9.10 from the journal's ENERGY events (see energy_report.h). */
#include "energy_report.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "journal.h"
#include "smved.h"

/* Device times are "YYYY-MM-DD hh:mm..." (journal) or "YYYY-MM-DDThh:mm" (fields). */
static bool parse_device_time(const char *s, struct energy_rec *r)
{
	char sep;

	if (!s || strlen(s) < 16 ||
	    sscanf(s, "%4d-%2d-%2d%c%2d:%2d", &r->year, &r->mon, &r->day, &sep, &r->hour,
		   &r->min) != 6 || (sep != ' ' && sep != 'T'))
		return false;
	return r->mon >= 1 && r->mon <= 12 && r->day >= 1 &&
	       r->day <= energy_days_in_month(r->year, r->mon) && r->hour >= 0 &&
	       r->hour <= 23 && r->min >= 0 && r->min <= 59;
}

int energy_days_in_month(int year, int mon)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (mon < 1 || mon > 12)
		return 0;
	return dim[mon - 1] + (mon == 2 && leap);
}

int energy_slot(int hour, int min)
{
	if (hour == 23 && min == 59)
		return ENERGY_SLOTS - 1;
	int m = hour * 60 + min;

	/* A record stamps the end of its interval: 00:15 is the first, 00:00 is none. */
	if (m % 15 || m == 0)
		return -1;
	return m / 15 - 1;
}

void energy_time_label(int year, int mon, int day, int hour, int min, char *date, char *hm)
{
	/* Callers pass parsed, range-checked times; the modulo only bounds the output. */
	snprintf(date, 9, "%02u/%02u/%02u", (unsigned)day % 100u, (unsigned)mon % 100u,
		 (unsigned)year % 100u);
	if (hour == 23 && min == 59)
		memcpy(hm, "24:00", 6);
	else
		snprintf(hm, 6, "%02u:%02u", (unsigned)hour % 100u, (unsigned)min % 100u);
}

int energy_scan(struct journal *j, const char *source, int ied, int64_t from_us,
		int64_t to_us, int (*fn)(const struct energy_rec *r, void *arg), void *arg)
{
	/* The literal type = 'energy' lets SQLite use the partial index events_energy. */
	static const char sql[] =
		"SELECT utc_us, ied, device_time, value,"
		" json_extract(fields, '$.channel'), json_extract(fields, '$.code')"
		" FROM events WHERE type = 'energy' AND source = ?1 AND ied BETWEEN ?2 AND ?3"
		" AND utc_us BETWEEN ?4 AND ?5 ORDER BY ied, utc_us, id";
	sqlite3 *db = journal_db(j);
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	if (!db || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		smved_log(LOG_ERR, "energy: cannot query the journal: %s",
			  db ? sqlite3_errmsg(db) : "no database");
		return -1;
	}
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ied < 0 ? 0 : ied);
	sqlite3_bind_int(st, 3, ied < 0 ? INT_MAX : ied);
	sqlite3_bind_int64(st, 4, from_us);
	sqlite3_bind_int64(st, 5, to_us);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct energy_rec r = { 0 };

		/* Fields come from the decoder, but the file is not trusted: check types. */
		if (sqlite3_column_type(st, 4) != SQLITE_INTEGER ||
		    sqlite3_column_type(st, 5) != SQLITE_INTEGER ||
		    !parse_device_time((const char *)sqlite3_column_text(st, 2), &r))
			continue;
		r.utc_us = sqlite3_column_int64(st, 0);
		r.ied = sqlite3_column_int(st, 1);
		r.raw = sqlite3_column_int64(st, 3);
		r.channel = sqlite3_column_int(st, 4);
		r.code = sqlite3_column_int(st, 5);
		ret = fn(&r, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE) {
		smved_log(LOG_ERR, "energy: reading the journal: %s", sqlite3_errmsg(db));
		ret = -1;
	}
	sqlite3_finalize(st);
	return ret;
}

/* ---- pairing ----------------------------------------------------------------------------- */

struct pair_ctx {
	struct energy_pair cur;
	bool open;
	int (*fn)(const struct energy_pair *p, void *arg);
	void *arg;
};

static bool same_time(const struct energy_pair *p, const struct energy_rec *r)
{
	return p->year == r->year && p->mon == r->mon && p->day == r->day &&
	       p->hour == r->hour && p->min == r->min;
}

static int pair_rec(const struct energy_rec *r, void *arg)
{
	struct pair_ctx *c = arg;

	if ((r->code != 0 && r->code != 1) || (r->channel != 0 && r->channel != 1))
		return 0;
	/* Records come ordered by utc_us, so one device time is one run of records. */
	if (c->open && !same_time(&c->cur, r)) {
		int ret = c->fn(&c->cur, c->arg);

		if (ret)
			return ret;
		c->open = false;
	}
	if (!c->open) {
		memset(&c->cur, 0, sizeof(c->cur));
		c->cur.utc_us = r->utc_us;
		c->cur.year = r->year;
		c->cur.mon = r->mon;
		c->cur.day = r->day;
		c->cur.hour = r->hour;
		c->cur.min = r->min;
		c->open = true;
	}
	if (r->channel == 0) {
		c->cur.has_active = true;
		c->cur.active = r->raw;
	} else {
		c->cur.has_reactive = true;
		c->cur.reactive = r->raw;
	}
	return 0;
}

int energy_pairs(struct journal *j, const char *source, int ied, int64_t from_us,
		 int64_t to_us, int (*fn)(const struct energy_pair *p, void *arg), void *arg)
{
	struct pair_ctx c = { .fn = fn, .arg = arg };
	int ret;

	if (ied < 0)
		return -1;	/* pairing is per IED */
	ret = energy_scan(j, source, ied, from_us, to_us, pair_rec, &c);
	if (!ret && c.open)
		ret = fn(&c.cur, arg);
	return ret;
}

static int export_line(const struct energy_pair *p, void *arg)
{
	char date[9], hm[6], a[24] = "", r[24] = "";

	energy_time_label(p->year, p->mon, p->day, p->hour, p->min, date, hm);
	if (p->has_active)
		snprintf(a, sizeof(a), "%lld", (long long)p->active);
	if (p->has_reactive)
		snprintf(r, sizeof(r), "%lld", (long long)p->reactive);
	return fprintf(arg, "%s,%s,%s,%s\n", date, hm, a, r) < 0 ? -1 : 0;
}

int energy_export(struct journal *j, const char *source, int ied, int64_t from_us,
		  int64_t to_us, FILE *out)
{
	return energy_pairs(j, source, ied, from_us, to_us, export_line, out) ? -1 : 0;
}

static int max_visit(const struct energy_pair *p, void *arg)
{
	struct energy_max *m = arg;

	if (p->has_active && (!m->found || p->active > m->at.active)) {
		m->found = true;
		m->at = *p;
	}
	return 0;
}

int energy_max(struct journal *j, const char *source, int ied, int64_t from_us,
	       int64_t to_us, struct energy_max *out)
{
	memset(out, 0, sizeof(*out));
	return energy_pairs(j, source, ied, from_us, to_us, max_visit, out) ? -1 : 0;
}

/* ---- monthly completeness ---------------------------------------------------------------- */

struct month_ctx {
	int year, mon;
	struct energy_month_row *rows;
	size_t n, cap;
	bool nomem;
};

static struct energy_month_row *month_row(struct month_ctx *c, int ied, int channel)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->rows[i].ied == ied && c->rows[i].channel == channel)
			return &c->rows[i];
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct energy_month_row *r = realloc(c->rows, cap * sizeof(*r));

		if (!r)
			return NULL;
		c->rows = r;
		c->cap = cap;
	}
	struct energy_month_row *r = &c->rows[c->n++];

	memset(r, 0, sizeof(*r));
	r->ied = ied;
	r->channel = channel;
	return r;
}

static int month_rec(const struct energy_rec *r, void *arg)
{
	struct month_ctx *c = arg;

	if (r->year != c->year || r->mon != c->mon || r->channel < 0 || r->channel > 1)
		return 0;
	struct energy_month_row *row = month_row(c, r->ied, r->channel);

	if (!row) {
		c->nomem = true;
		return 1;
	}
	if (r->code == 3) {
		row->total[r->day - 1] = true;
	} else if (r->code == 0 || r->code == 1) {
		int s = energy_slot(r->hour, r->min);

		/* A re-sent interval is one record, not two. */
		if (s < 0 || !(row->slots[r->day - 1][s / 8] & (1u << (s % 8))))
			row->counts[r->day - 1]++;
		if (s >= 0)
			row->slots[r->day - 1][s / 8] |= (uint8_t)(1u << (s % 8));
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct energy_month_row *x = a, *y = b;

	if (x->ied != y->ied)
		return x->ied < y->ied ? -1 : 1;
	return (x->channel > y->channel) - (x->channel < y->channel);
}

int energy_month(struct journal *j, const char *source, int year, int mon,
		 struct energy_month_row **rows, size_t *n)
{
	struct month_ctx c = { .year = year, .mon = mon };
	int64_t days = 0;

	*rows = NULL;
	*n = 0;
	if (mon < 1 || mon > 12 || year < 1970 || year > 9999)
		return -1;
	/* Days from 1970-01-01 to the 1st (civil-from-days inverse); local dates filter exactly,
	 * the UTC range only needs to cover them, so it is widened by two days each side. */
	int y = year - (mon <= 2), era = y / 400, yoe = y - era * 400;
	int doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5, doe = yoe * 365 + yoe / 4 -
		  yoe / 100 + doy;

	days = (int64_t)era * 146097 + doe - 719468;
	int64_t from = (days - 2) * 86400LL * 1000000LL;
	int64_t to = (days + energy_days_in_month(year, mon) + 2) * 86400LL * 1000000LL;
	int ret = energy_scan(j, source, -1, from, to, month_rec, &c);

	if (ret || c.nomem) {
		free(c.rows);
		return -1;
	}
	if (c.n)
		qsort(c.rows, c.n, sizeof(*c.rows), row_cmp);
	*rows = c.rows;
	*n = c.n;
	return 0;
}
