// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GET /api/v1/history?tag=&from=&to=&points=N: analog history for trends, decimated on the server
 * so the browser never gets more points than it has pixels.  The range is cut into N/2 buckets and
 * each bucket contributes its minimum and its maximum sample in time order: spikes survive, which
 * averaging or picking every k-th sample would hide.
 */
#include <math.h>
#include <stdlib.h>

#include "api.h"
#include "api_hmi.h"
#include "api_query.h"
#include "history.h"
#include "smved.h"
#include "store.h"

#define HISTORY_PAGE		10000		/* samples per history_query() call */
#define HISTORY_MAX_SCAN	5000000		/* bounds the work of one request */
#define HISTORY_MAX_POINTS	20000
#define HISTORY_MAX_SPAN_US	(400LL * 86400LL * 1000000LL)

struct sample {
	int64_t t;
	double v;
};

struct decim {
	int64_t from, width;
	int64_t bucket;		/* current bucket, -1 before the first sample */
	struct sample lo, hi;
	int64_t last_t;
	unsigned page;		/* samples seen by the current history_query() call */
	json_t *t, *v;
};

static void emit(struct decim *d, const struct sample *s)
{
	json_array_append_new(d->t, json_integer(s->t));
	json_array_append_new(d->v, isfinite(s->v) ? json_real(s->v) : json_null());
}

static void flush_bucket(struct decim *d)
{
	if (d->bucket < 0)
		return;
	const struct sample *a = d->lo.t <= d->hi.t ? &d->lo : &d->hi;
	const struct sample *b = a == &d->lo ? &d->hi : &d->lo;

	emit(d, a);
	if (b->t != a->t || b->v != a->v)
		emit(d, b);
}

static void visit(int64_t t_us, double value, uint8_t q, bool stale, void *arg)
{
	struct decim *d = arg;
	int64_t b = (t_us - d->from) / d->width;

	(void)q;
	(void)stale;
	d->page++;
	d->last_t = t_us;
	if (b != d->bucket) {
		flush_bucket(d);
		d->bucket = b;
		d->lo = d->hi = (struct sample){ t_us, value };
		return;
	}
	/* NaN never wins a comparison, so a bucket's extremes are real numbers when it has any. */
	if (value < d->lo.v || isnan(d->lo.v))
		d->lo = (struct sample){ t_us, value };
	if (value > d->hi.v || isnan(d->hi.v))
		d->hi = (struct sample){ t_us, value };
}

void api_get_history(struct web *w, struct http_conn *c, const struct http_request *req)
{
	char tag[STORE_TAG_MAX];
	const char *tagp = NULL;
	int64_t from = 0, to = 0, points = 1000;
	const char *q = req->query;

	if (!api_query_str(c, q, "tag", true, tag, sizeof(tag), &tagp) ||
	    !api_query_range(c, q, HISTORY_MAX_SPAN_US, &from, &to) ||
	    !api_query_int(c, q, "points", false, 2, HISTORY_MAX_POINTS, &points))
		return;
	if (!w->sm->journal) {
		http_respond_error(c, 503, "journal_unavailable", "no journal");
		return;
	}
	int64_t buckets = points / 2;
	struct decim d = { .from = from, .bucket = -1, .t = json_array(), .v = json_array() };
	unsigned scanned = 0;
	bool truncated = false;

	d.width = (to - from) / buckets + 1;
	/* history_query() visits at most one page; continue after the last time seen. */
	for (int64_t start = from; start <= to;) {
		d.page = 0;
		int n = history_query(w->sm->journal, tagp, start, to, HISTORY_PAGE, visit, &d);

		if (n < 0) {
			json_decref(d.t);
			json_decref(d.v);
			http_respond_error(c, 503, "journal_unavailable", "cannot read the history");
			return;
		}
		scanned += d.page;
		if (d.page < HISTORY_PAGE || d.last_t >= to)
			break;
		if (scanned >= HISTORY_MAX_SCAN) {
			truncated = true;
			break;
		}
		start = d.last_t + 1;
	}
	flush_bucket(&d);
	api_reply_json(c, 200, json_pack("{s:s,s:o,s:o,s:I,s:b}", "tag", tagp, "t", d.t, "v", d.v,
					 "samples", (json_int_t)scanned, "truncated", truncated),
		       NULL);
}
