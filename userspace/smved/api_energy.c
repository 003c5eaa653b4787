// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GET /api/v1/energy/{meters,curve,export,max,month}: the energy screens of spec §9.10.  This
 * file resolves meters and formats; the computations are in energy_report.c.
 *
 * A meter is an AI point of an IED bound to an energy channel (0 active, 1 reactive).
 * Curves scale by escala_e (MW, MVAR); the maximum scales by escala, as §9.10 says.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smve/mara.h>

#include "api.h"
#include "api_hmi.h"
#include "api_query.h"
#include "energy_report.h"
#include "smved.h"
#include "store.h"

#define ENERGY_MAX_SPAN_US	(400LL * 86400LL * 1000000LL)
#define ENERGY_MAX_RECORDS	200000	/* a curve of 400 days is 38,400 records */

/*
 * §8.5: an ENERGY event names (IED address, channel).  The COMaster's own AIs (bus voltages,
 * all on channel 0) integrate nothing, so they are no meters.
 */
static bool is_meter(const struct point *p)
{
	return p->kind == POINT_AI && p->channel >= 0 && p->source[0] && p->ied >= 0 &&
	       p->ied != MARA_ADDR_COMASTER;
}

/* ---- meters ------------------------------------------------------------------------------ */

static int add_meter(const struct point *p, void *arg)
{
	if (is_meter(p))
		json_array_append_new(arg, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:f,s:f,s:s}",
			"tag", p->tag, "description", p->description, "source", p->source,
			"channel", p->channel, "ied", p->ied, "offset", p->index,
			"scale", p->scale, "scale_e", p->scale_e, "unit", p->unit));
	return 0;
}

/* ---- resolving a meter ------------------------------------------------------------------- */

struct sibling {
	const char *source;
	int ied, channel;
	const struct point *found;
};

static int find_sibling(const struct point *p, void *arg)
{
	struct sibling *s = arg;

	if (is_meter(p) && p->ied == s->ied && p->channel == s->channel &&
	    !strcmp(p->source, s->source)) {
		s->found = p;
		return 1;
	}
	return 0;
}

/* The meter of (source, IED, channel), or NULL when the sheets define none. */
static const struct point *meter_of(struct web *w, const char *source, int ied, int channel)
{
	struct sibling s = { source, ied, channel, NULL };

	if (w->sm->store)
		store_foreach(w->sm->store, find_sibling, &s);
	return s.found;
}

/* The IED to report: tag= names a meter, else source= and ied=.  Responds and false when not. */
static bool target(struct web *w, struct http_conn *c, const char *q, char *source, size_t cap,
		   int *ied)
{
	char tag[STORE_TAG_MAX];
	const char *tagp = NULL, *srcp = NULL;
	int64_t a = -1;

	if (!api_query_str(c, q, "tag", false, tag, sizeof(tag), &tagp) ||
	    !api_query_str(c, q, "source", false, source, cap, &srcp) ||
	    !api_query_int(c, q, "ied", false, 0, 255, &a))
		return false;
	if (tagp && *tagp) {
		const struct point *p = w->sm->store ? store_find(w->sm->store, tagp) : NULL;

		if (!p || !is_meter(p)) {
			http_respond_error(c, 404, "not_found", "no such energy meter");
			return false;
		}
		snprintf(source, cap, "%s", p->source);
		*ied = p->ied;
		return true;
	}
	if (!srcp || !*srcp || a < 0) {
		http_respond_error(c, 400, "bad_parameter", "give tag=, or source= and ied=");
		return false;
	}
	*ied = (int)a;
	return true;
}

/* ---- curve ------------------------------------------------------------------------------- */

struct curve_arg {
	int channel;
	double scale;
	unsigned n;
	json_t *arr;
};

static int curve_rec(const struct energy_rec *r, void *arg)
{
	struct curve_arg *a = arg;
	char date[9], hm[6], label[16];

	if (r->channel != a->channel || (r->code != 0 && r->code != 1))
		return 0;
	if (++a->n > ENERGY_MAX_RECORDS)
		return 1;
	energy_time_label(r->year, r->mon, r->day, r->hour, r->min, date, hm);
	snprintf(label, sizeof(label), "%s %s", date, hm);
	json_array_append_new(a->arr, json_pack("{s:I,s:s,s:I,s:i,s:f}", "time_us",
		(json_int_t)r->utc_us, "time", label, "raw", (json_int_t)r->raw, "code", r->code,
		"value", (double)r->raw * a->scale));
	return 0;
}

static void get_curve(struct web *w, struct http_conn *c, const char *q)
{
	char source[64];
	int ied = -1;
	int64_t ch = -1, from, to;

	if (!target(w, c, q, source, sizeof(source), &ied) ||
	    !api_query_int(c, q, "channel", false, 0, 1, &ch) ||
	    !api_query_range(c, q, ENERGY_MAX_SPAN_US, &from, &to))
		return;
	if (ch < 0) {
		char tag[STORE_TAG_MAX];
		const char *t = NULL;
		const struct point *p;

		/* target() accepted the request, so tag= is either absent or a meter. */
		if (http_query_get(q, "tag", tag, sizeof(tag)) > 0)
			t = tag;
		p = t && w->sm->store ? store_find(w->sm->store, t) : NULL;
		ch = p ? p->channel : 0;
	}
	const struct point *m = meter_of(w, source, ied, (int)ch);
	struct curve_arg a = { (int)ch, m ? m->scale_e : 1.0, 0, json_array() };
	int r = energy_scan(w->sm->journal, source, ied, from, to, curve_rec, &a);

	if (r < 0) {
		json_decref(a.arr);
		http_respond_error(c, 503, "journal_unavailable", "cannot read the journal");
		return;
	}
	api_reply_json(c, 200, json_pack("{s:s,s:i,s:i,s:s?,s:f,s:s,s:b,s:o}", "source", source,
		"ied", ied, "channel", (int)ch, "tag", m ? m->tag : NULL, "scale", a.scale,
		"unit", ch ? "MVAR" : "MW", "truncated", r > 0, "records", a.arr), NULL);
}

/* ---- export ------------------------------------------------------------------------------ */

static void get_export(struct web *w, struct http_conn *c, const struct http_request *req)
{
	char source[64], hdr[160];
	int ied = -1;
	int64_t from, to;
	char *buf = NULL;
	size_t len = 0;

	if (!target(w, c, req->query, source, sizeof(source), &ied) ||
	    !api_query_range(c, req->query, ENERGY_MAX_SPAN_US, &from, &to))
		return;
	FILE *f = open_memstream(&buf, &len);
	int r = f ? energy_export(w->sm->journal, source, ied, from, to, f) : -1;

	if (f && fclose(f))
		r = -1;
	if (r < 0) {
		free(buf);
		http_respond_error(c, 503, "journal_unavailable", "cannot read the journal");
		return;
	}
	/* The source name comes from the configuration; keep only safe filename characters. */
	char name[64];
	size_t k = 0;

	for (const char *s = source; *s && k < 40; s++)
		name[k++] = (char)((*s >= '0' && *s <= '9') || (*s >= 'A' && *s <= 'Z') ||
				   (*s >= 'a' && *s <= 'z') || *s == '-' ? *s : '_');
	name[k] = '\0';
	snprintf(hdr, sizeof(hdr), "Content-Disposition: attachment; filename=\"%s-%d.txt\"\r\n"
		 "Cache-Control: no-store\r\n", name, ied);
	http_respond(c, 200, "text/plain; charset=utf-8", buf ? buf : "", len, hdr);
	free(buf);
}

/* ---- maximum ----------------------------------------------------------------------------- */

static void get_max(struct web *w, struct http_conn *c, const char *q)
{
	char source[64];
	int ied = -1;
	int64_t from, to;
	struct energy_max m;

	if (!target(w, c, q, source, sizeof(source), &ied) ||
	    !api_query_range(c, q, ENERGY_MAX_SPAN_US, &from, &to))
		return;
	if (energy_max(w->sm->journal, source, ied, from, to, &m) < 0) {
		http_respond_error(c, 503, "journal_unavailable", "cannot read the journal");
		return;
	}
	if (!m.found) {
		api_reply_json(c, 200, json_pack("{s:s,s:i,s:n}", "source", source, "ied", ied,
						 "time_us"), NULL);
		return;
	}
	const struct point *pa = meter_of(w, source, ied, 0), *pr = meter_of(w, source, ied, 1);
	double sa = pa ? pa->scale : 1.0, sr = pr ? pr->scale : 1.0;
	double a = (double)m.at.active * sa, r = (double)m.at.reactive * sr;
	double ra = (double)m.at.active, rr = (double)m.at.reactive;
	char date[9], hm[6], label[16];

	energy_time_label(m.at.year, m.at.mon, m.at.day, m.at.hour, m.at.min, date, hm);
	snprintf(label, sizeof(label), "%s %s", date, hm);
	api_reply_json(c, 200, json_pack("{s:s,s:i,s:I,s:s,s:{s:I,s:f,s:f},s:o,s:f,s:f}",
		"source", source, "ied", ied, "time_us", (json_int_t)m.at.utc_us, "time", label,
		"active", "raw", (json_int_t)m.at.active, "value", a, "scale", sa,
		"reactive", m.at.has_reactive ? json_pack("{s:I,s:f,s:f}", "raw",
			(json_int_t)m.at.reactive, "value", r, "scale", sr) : json_null(),
		"apparent", sqrt(a * a + (m.at.has_reactive ? r * r : 0)),
		"apparent_raw", sqrt(ra * ra + (m.at.has_reactive ? rr * rr : 0))), NULL);
}

/* ---- monthly completeness ---------------------------------------------------------------- */

static json_t *month_row_json(struct web *w, const char *source, const struct energy_month_row *r,
			      int days)
{
	const struct point *p = meter_of(w, source, r->ied, r->channel);
	json_t *counts = json_array(), *totals = json_array(), *missing = json_array();
	char label[64];

	for (int d = 0; d < days; d++) {
		json_t *m = json_array();

		json_array_append_new(counts, json_integer(r->counts[d]));
		json_array_append_new(totals, json_boolean(r->total[d]));
		/* A day without any record is simply all missing: listing 96 labels says nothing. */
		for (int s = 0; r->counts[d] && s < ENERGY_SLOTS; s++) {
			if (r->slots[d][s / 8] & (1u << (s % 8)))
				continue;
			int end = (s + 1) * 15;

			snprintf(label, sizeof(label), "%02d:%02d", end / 60, end % 60);
			json_array_append_new(m, json_string(label));
		}
		json_array_append_new(missing, m);
	}
	if (p)
		snprintf(label, sizeof(label), "IED %d AI %d", r->ied, p->index);
	else
		snprintf(label, sizeof(label), "IED %d channel %d", r->ied, r->channel);
	return json_pack("{s:s,s:s?,s:i,s:i,s:i,s:o,s:o,s:o}", "label", label, "tag",
			 p ? p->tag : NULL, "ied", r->ied, "channel", r->channel, "offset",
			 p ? p->index : -1, "counts", counts, "totals", totals, "missing", missing);
}

struct month_meters {
	const char *source;
	struct energy_month_row **rows;
	size_t *n;
	bool nomem;
};

/* Meters without any record in the month still get their (empty) row. */
static int add_month_meter(const struct point *p, void *arg)
{
	struct month_meters *a = arg;

	if (!is_meter(p) || p->channel > 1 || strcmp(p->source, a->source) != 0)
		return 0;
	for (size_t i = 0; i < *a->n; i++)
		if ((*a->rows)[i].ied == p->ied && (*a->rows)[i].channel == p->channel)
			return 0;
	struct energy_month_row *r = realloc(*a->rows, (*a->n + 1) * sizeof(*r));

	if (!r) {
		a->nomem = true;
		return 1;
	}
	*a->rows = r;
	memset(&r[*a->n], 0, sizeof(*r));
	r[*a->n].ied = p->ied;
	r[*a->n].channel = p->channel == 1;	/* is_meter(): 0 or 1 here */
	(*a->n)++;
	return 0;
}

static int row_order(const void *x, const void *y)
{
	const struct energy_month_row *a = x, *b = y;

	if (a->ied != b->ied)
		return a->ied < b->ied ? -1 : 1;
	return (a->channel > b->channel) - (a->channel < b->channel);
}

static void get_month(struct web *w, struct http_conn *c, const char *q)
{
	char source[64], month[16];
	const char *srcp = NULL, *mp = NULL;
	int year, mon, k = 0;
	struct energy_month_row *rows = NULL;
	size_t n = 0;

	if (!api_query_str(c, q, "source", true, source, sizeof(source), &srcp) ||
	    !api_query_str(c, q, "month", true, month, sizeof(month), &mp))
		return;
	if (sscanf(mp, "%4d-%2d%n", &year, &mon, &k) != 2 || mp[k] || year < 1970 ||
	    year > 9999 || mon < 1 || mon > 12) {
		http_respond_error(c, 400, "bad_parameter", "month: use YYYY-MM");
		return;
	}
	if (energy_month(w->sm->journal, srcp, year, mon, &rows, &n) < 0) {
		http_respond_error(c, 503, "journal_unavailable", "cannot read the journal");
		return;
	}
	struct month_meters mm = { srcp, &rows, &n, false };

	if (w->sm->store)
		store_foreach(w->sm->store, add_month_meter, &mm);
	if (mm.nomem) {
		free(rows);
		http_respond_error(c, 500, "internal", "out of memory");
		return;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), row_order);
	int days = energy_days_in_month(year, mon);
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, month_row_json(w, srcp, &rows[i], days));
	free(rows);
	api_reply_json(c, 200, json_pack("{s:s,s:s,s:i,s:i,s:o}", "source", srcp, "month", mp,
					 "days", days, "expected", ENERGY_SLOTS, "rows", arr), NULL);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

void api_get_energy(struct web *w, struct http_conn *c, const struct http_request *req,
		    const char *what)
{
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_respond_error(c, 405, "method_not_allowed", "use GET");
		return;
	}
	if (!strcmp(what, "meters")) {
		json_t *arr = json_array();

		if (w->sm->store)
			store_foreach(w->sm->store, add_meter, arr);
		api_reply_json(c, 200, arr, NULL);
		return;
	}
	if (!w->sm->journal) {
		http_respond_error(c, 503, "journal_unavailable", "no journal");
		return;
	}
	if (!strcmp(what, "curve"))
		get_curve(w, c, req->query);
	else if (!strcmp(what, "export"))
		get_export(w, c, req);
	else if (!strcmp(what, "max"))
		get_max(w, c, req->query);
	else if (!strcmp(what, "month"))
		get_month(w, c, req->query);
	else
		http_respond_error(c, 404, "not_found", "no such API resource");
}
