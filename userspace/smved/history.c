// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Analog history: a store subscriber that samples AI points with a
 * deadband and interval limits, buffers samples in memory and hands them
 * to the journal's writer thread once a second: trends join the events'
 * group commit instead of an fsync of their own on the loop.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "journal.h"
#include "smved.h"
#include "store.h"

#define PENDING_MAX	100000	/* samples held before the oldest are dropped */

struct sample {
	char tag[STORE_TAG_MAX];
	int64_t t_us;
	double value;
	uint8_t q;
	bool stale;
};

struct last {
	bool have;
	double value;
	uint8_t q;
	bool stale;
	int64_t t_us;
};

struct history {
	struct journal *j;
	struct store *s;
	struct store_sub *sub;
	double deadband;
	int64_t min_us, max_us;
	struct last *last;
	size_t nlast;
	struct sample *pend;
	size_t npend, cappend;
	uint64_t dropped;
};

static void take(struct history *h, const struct point *p)
{
	struct last *l;
	bool stale = p->flags & POINT_F_STALE;
	int64_t t = p->src_us ? p->src_us : p->rx_us;

	if (p->kind != POINT_AI || (p->flags & (POINT_F_REMOVED | POINT_F_NEVER)))
		return;
	if (p->id >= h->nlast) {
		size_t n = p->id + 256;
		struct last *nl = realloc(h->last, n * sizeof(*nl));

		if (!nl)
			return;
		memset(nl + h->nlast, 0, (n - h->nlast) * sizeof(*nl));
		h->last = nl;
		h->nlast = n;
	}
	l = &h->last[p->id];
	if (l->have && l->q == p->q && l->stale == stale) {
		if (t - l->t_us < h->min_us)
			return;
		if (fabs(p->value - l->value) <= h->deadband && t - l->t_us < h->max_us)
			return;
	}
	if (h->npend == h->cappend) {
		size_t n = h->cappend ? h->cappend * 2 : 1024;
		struct sample *np;

		if (n > PENDING_MAX) {
			h->dropped++;
			return;
		}
		np = realloc(h->pend, n * sizeof(*np));
		if (!np)
			return;
		h->pend = np;
		h->cappend = n;
	}
	memcpy(h->pend[h->npend].tag, p->tag, sizeof(p->tag));
	h->pend[h->npend].t_us = t;
	h->pend[h->npend].value = p->value;
	h->pend[h->npend].q = p->q;
	h->pend[h->npend].stale = stale;
	h->npend++;
	*l = (struct last){ .have = true, .value = p->value, .q = p->q, .stale = stale,
			    .t_us = t };
}

static void visit(const struct point *p, void *arg)
{
	take(arg, p);
}

static void notify(struct store_sub *sub, void *arg)
{
	/* Sample at once: the dirty set only remembers the latest value. */
	store_sub_drain(sub, visit, arg);
}

struct history *history_start(struct journal *j, struct store *s,
			      double deadband, unsigned min_interval_ms,
			      unsigned max_interval_s)
{
	struct history *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->j = j;
	h->s = s;
	h->deadband = deadband;
	h->min_us = (int64_t)min_interval_ms * 1000;
	h->max_us = (int64_t)(max_interval_s ? max_interval_s : 900) * 1000000;
	h->sub = store_subscribe(s, notify, h);
	if (!h->sub) {
		free(h);
		smved_log(LOG_ERR, "history: cannot subscribe to the store");
		return NULL;
	}
	return h;
}

int history_flush(struct history *h)
{
	struct journal_batch *b;

	if (!h || !h->npend)
		return 0;
	b = journal_batch_new();
	for (size_t i = 0; b && i < h->npend; i++)
		if (journal_batch_history(b, h->pend[i].tag, h->pend[i].t_us, h->pend[i].value,
					  h->pend[i].q, h->pend[i].stale) < 0) {
			journal_batch_free(b);
			b = NULL;
		}
	/* The journal's writer commits them with the next group: no fsync on the loop. */
	if (!b || journal_submit(h->j, b, NULL, NULL, NULL, 0) < 0) {
		smved_log(LOG_ERR, "history: cannot queue %zu samples (out of memory)", h->npend);
		return -1;
	}
	h->npend = 0;
	return 0;
}

void history_stop(struct history *h)
{
	if (!h)
		return;
	history_flush(h);
	if (h->dropped)
		smved_log(LOG_WARNING, "history: %llu samples dropped (writes fell behind)",
			  (unsigned long long)h->dropped);
	store_unsubscribe(h->s, h->sub);
	free(h->last);
	free(h->pend);
	free(h);
}

int history_query(struct journal *j, const char *tag, int64_t from_us,
		  int64_t to_us, unsigned max,
		  void (*cb)(int64_t t_us, double value, uint8_t q, bool stale,
			     void *arg),
		  void *arg)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(journal_db(j), "SELECT t_us, value, q, stale FROM history"
			       " WHERE tag=? AND t_us>=? AND t_us<=? ORDER BY t_us LIMIT ?",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, tag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, from_us);
	sqlite3_bind_int64(st, 3, to_us ? to_us : INT64_MAX);
	sqlite3_bind_int(st, 4, max && max <= 10000 ? (int)max : 10000);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cb(sqlite3_column_int64(st, 0), sqlite3_column_double(st, 1),
		   (uint8_t)sqlite3_column_int(st, 2), sqlite3_column_int(st, 3), arg);
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}
