// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Analog limit alarms (see limit_alarms.h): the state machine, and its wiring
 * into the daemon (store subscription, journal events, restart state).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "journal.h"
#include "limit_alarms.h"
#include "sheets.h"
#include "smved.h"
#include "store.h"

#define LIMITS_PENDING_MAX	4096	/* changes waiting for the journal */
#define LIMITS_REPLAY_MAX	10000	/* newest "limit" events read at start */

static const char *const kind_names[LIMIT_KINDS] = {
	[LIMIT_MAX] = "max", [LIMIT_MIN] = "min",
	[LIMIT_DMAX] = "delta_max", [LIMIT_DMIN] = "delta_min",
};

const char *limit_kind_name(enum limit_kind k)
{
	return (unsigned)k < LIMIT_KINDS ? kind_names[k] : "?";
}

/* Decide one kind: raise when @over, clear when @back; out[*n] gets the change. */
static void step(struct limit_state *s, enum limit_kind k, bool over, bool back,
		 double measured, double raise_at, double clear_at,
		 struct limit_change *out, unsigned *n)
{
	uint8_t bit = (uint8_t)(1u << k);
	bool active = s->active & bit;

	if (!active && over) {
		s->active |= bit;
		out[(*n)++] = (struct limit_change){ k, true, measured, raise_at };
	} else if (active && back) {
		s->active &= (uint8_t)~bit;
		out[(*n)++] = (struct limit_change){ k, false, measured, clear_at };
	}
}

unsigned limit_eval(const struct ai_limits *d, struct limit_state *s, double v,
		    int64_t t_us, bool good, struct limit_change out[LIMIT_KINDS])
{
	unsigned n = 0;

	if (!good || !isfinite(v)) {
		/* Frozen: no decision on a doubtful value, no rate across the gap. */
		s->have_prev = false;
		return 0;
	}
	if (d->has & (1u << LIMIT_MAX))
		step(s, LIMIT_MAX, v > d->vmax, v <= d->vmax - d->hyst, v, d->vmax,
		     d->vmax - d->hyst, out, &n);
	if (d->has & (1u << LIMIT_MIN))
		step(s, LIMIT_MIN, v < d->vmin, v >= d->vmin + d->hyst, v, d->vmin,
		     d->vmin + d->hyst, out, &n);
	if (s->have_prev && t_us <= s->prev_us)
		return n;	/* same or older sample time: no rate, keep the reference */
	if (s->have_prev) {
		double r = (v - s->prev) / ((double)(t_us - s->prev_us) / 1e6);
		double up = fmax(d->dmax - d->hyst, 0), down = fmax(d->dmin - d->hyst, 0);

		if (d->has & (1u << LIMIT_DMAX))
			step(s, LIMIT_DMAX, r > d->dmax, r <= up, r, d->dmax, up, out, &n);
		if (d->has & (1u << LIMIT_DMIN))
			step(s, LIMIT_DMIN, r < -d->dmin, r >= -down, r, -d->dmin, -down,
			     out, &n);
	}
	s->have_prev = true;
	s->prev = v;
	s->prev_us = t_us;
	return n;
}

/* --- the daemon side ------------------------------------------------------------ */

struct lim_point {
	uint32_t id;
	char tag[STORE_TAG_MAX];
	struct ai_limits lim;
	struct limit_state st;
	uint8_t journalled;	/* active bits as the journal last recorded them */
};

struct pending {
	uint32_t pt;		/* index into l->pts */
	struct limit_change ch;
	int64_t t_us;
};

struct limits {
	struct smved *sm;
	struct lim_point *pts;
	size_t n, cap;
	int32_t *by_id;		/* store id -> index into pts, -1 none */
	size_t nids;
	struct store_sub *sub;
	struct event *ev;	/* deferred journal write */
	struct pending *pend;
	size_t npend;
	uint64_t deferred;	/* decisions undone because the queue was full */
};

static const char *station_of(const struct smved_config *c, const char *source)
{
	for (const struct conc_config *cc = c->concs; cc; cc = cc->next)
		if (!strcmp(cc->name, source))
			return cc->station;
	for (const struct bus_config *b = c->buses; b; b = b->next)
		if (!strcmp(b->tty, source))
			return b->station;
	return source;
}

/* Text and fields of one change; the strings go into @text and @fields. */
static void describe(const struct limits *l, const struct lim_point *lp, const struct point *p,
		     const struct limit_change *ch, char *text, size_t tlen, char *fields,
		     size_t flen)
{
	bool rate = ch->kind == LIMIT_DMAX || ch->kind == LIMIT_DMIN;
	int upper = ch->kind == LIMIT_MAX || ch->kind == LIMIT_DMAX;
	const char *state = sheets_state_text(l->sm->cfg->sheets,
					      rate ? lp->lim.text_rate : lp->lim.text_value,
					      upper);
	const char *unit = p && p->unit ? p->unit : "";
	const char *desc = p && p->description && p->description[0] ? p->description : lp->tag;
	char fallback[16], u[16];

	if (!state) {
		snprintf(fallback, sizeof(fallback), "%s %s", rate ? "DELTA" : "VALOR",
			 upper ? "MAX" : "MIN");
		state = fallback;
	}
	/* " Kv", " Kv/s", " /s" or "": no stray blank when the sheet gives no unit. */
	snprintf(u, sizeof(u), "%s%s%s", unit[0] || rate ? " " : "", unit, rate ? "/s" : "");
	if (!(lp->lim.has & (1u << ch->kind)))
		snprintf(text, tlen, "%s %s: alarm closed, the limit was removed from the"
			 " configuration", desc, state);
	else if (ch->raised)
		snprintf(text, tlen, "%s %s: %.4g%s (limit %.4g)", desc, state, ch->measured, u,
			 ch->threshold);
	else
		snprintf(text, tlen, "%s %s returned to normal: %.4g%s", desc, state,
			 ch->measured, u);
	snprintf(fields, flen, "{\"limit\":\"%s\",\"state\":\"%s\",\"measured\":%.9g,"
		 "\"threshold\":%.9g,\"hysteresis\":%.9g}", limit_kind_name(ch->kind),
		 ch->raised ? "raised" : "cleared", ch->measured, ch->threshold, lp->lim.hyst);
}

static int journal_change(struct limits *l, const struct pending *pe)
{
	struct lim_point *lp = &l->pts[pe->pt];
	const struct point *p = store_get(l->sm->store, lp->id);
	char text[384], fields[256];
	struct journal_new ev = {
		.source = p ? p->source : "", .type = "limit", .tag = lp->tag,
		.ied = p ? p->ied : -1, .utc_us = pe->t_us, .rx_us = smved_now_us(),
		.value = pe->ch.raised, .alarm = pe->ch.raised, .text = text,
		.fields = fields,
	};

	ev.station = station_of(l->sm->cfg, ev.source);
	describe(l, lp, p, &pe->ch, text, sizeof(text), fields, sizeof(fields));
	if (journal_append(l->sm->journal, &ev, NULL) < 0)
		return -1;
	if (pe->ch.raised)
		lp->journalled |= (uint8_t)(1u << pe->ch.kind);
	else
		lp->journalled &= (uint8_t)~(1u << pe->ch.kind);
	return 0;
}

static void write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct limits *l = arg;
	size_t i;

	(void)fd;
	(void)what;
	if (!l->npend || !l->pend)
		return;
	if (journal_begin(l->sm->journal) < 0)
		goto retry;
	for (i = 0; i < l->npend; i++)
		if (journal_change(l, &l->pend[i]) < 0)
			break;
	if (i < l->npend || journal_commit(l->sm->journal) < 0) {
		journal_rollback(l->sm->journal);
		goto retry;
	}
	l->npend = 0;
	return;
retry:
	if (fd == -2) {
		/* Stopping (limits_free): no later pass to retry in. */
		smved_log(LOG_ERR, "limits: %zu limit event(s) could not be journalled at stop",
			  l->npend);
		return;
	}
	/* Kept and retried: an alarm is never lost to a transient database error. */
	smved_log(LOG_ERR, "limits: cannot journal %zu limit event(s); retrying in 1 s", l->npend);
	{
		struct timeval tv = { 1, 0 };

		event_add(l->ev, &tv);
	}
}

static void take(struct limits *l, uint32_t idx, const struct limit_change *ch, int64_t t_us)
{
	if (l->npend == LIMITS_PENDING_MAX) {
		/*
		 * Undo the decision rather than lose it: the point's next sample
		 * decides again, once the journal has caught up.
		 */
		l->pts[idx].st.active ^= (uint8_t)(1u << ch->kind);
		if (!l->deferred++)
			smved_log(LOG_ERR, "limits: journal fell behind; limit decisions deferred");
		return;
	}
	l->pend[l->npend++] = (struct pending){ .pt = idx, .ch = *ch, .t_us = t_us };
	if (!event_pending(l->ev, EV_TIMEOUT, NULL))
		event_active(l->ev, EV_TIMEOUT, 0);
}

static void visit(const struct point *p, void *arg)
{
	struct limits *l = arg;
	struct limit_change ch[LIMIT_KINDS];
	struct lim_point *lp;
	int64_t t;
	bool good;
	unsigned n;

	if (p->id >= l->nids || l->by_id[p->id] < 0)
		return;
	lp = &l->pts[l->by_id[p->id]];
	good = p->kind == POINT_AI && p->q == 0 &&
	       !(p->flags & (POINT_F_STALE | POINT_F_NEVER | POINT_F_REMOVED));
	t = p->src_us && !(p->flags & POINT_F_BADTIME) ? p->src_us : p->rx_us;
	n = limit_eval(&lp->lim, &lp->st, p->value, t, good, ch);
	for (unsigned i = 0; i < n; i++)
		take(l, (uint32_t)l->by_id[p->id], &ch[i], t ? t : smved_now_us());
}

static void notify(struct store_sub *sub, void *arg)
{
	/* Evaluate every change (the dirty set keeps only the latest); journal later. */
	store_sub_drain(sub, visit, arg);
}

/* Track @tag; @mapped: follow its store changes (else only its journal state). */
static int add_point(const char *tag, const struct ai_limits *lim, struct limits *l, bool mapped)
{
	const struct point *p = store_find(l->sm->store, tag);

	if (mapped && (!p || p->kind != POINT_AI || !lim->has || p->id >= l->nids))
		return 0;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 32;
		struct lim_point *np = realloc(l->pts, ncap * sizeof(*np));

		if (!np)
			return -1;
		l->pts = np;
		l->cap = ncap;
	}
	l->pts[l->n] = (struct lim_point){ .id = p ? p->id : UINT32_MAX, .lim = *lim };
	snprintf(l->pts[l->n].tag, sizeof(l->pts[l->n].tag), "%s", tag);
	if (mapped && p)
		l->by_id[p->id] = (int32_t)l->n;
	l->n++;
	return 0;
}

struct replay_ctx {
	struct limits *l;
	uint8_t *seen;		/* per point: kinds already decided by a newer event */
	size_t nseen;
	int failed;
};

/* The point @tag in l->pts; one without limits (any more) is added unmapped. */
static long replay_point(struct replay_ctx *rc, const char *tag)
{
	struct limits *l = rc->l;
	const struct point *p = store_find(l->sm->store, tag);
	struct ai_limits none = { .text_value = 7, .text_rate = 6 };

	if (p && p->id < l->nids && l->by_id[p->id] >= 0)
		return l->by_id[p->id];
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->pts[i].tag, tag))
			return (long)i;
	if (add_point(tag, &none, l, false) < 0)
		return -1;
	return (long)l->n - 1;
}

static int replay_one(const struct journal_event *ev, void *arg)
{
	struct replay_ctx *rc = arg;
	long i;
	int k;

	for (k = 0; k < LIMIT_KINDS; k++) {
		char key[40];

		snprintf(key, sizeof(key), "\"limit\":\"%s\"", kind_names[k]);
		if (strstr(ev->fields, key))
			break;
	}
	if (k == LIMIT_KINDS || !ev->tag[0])
		return 0;
	i = replay_point(rc, ev->tag);
	if (i >= 0 && (size_t)i >= rc->nseen) {
		uint8_t *ns = realloc(rc->seen, rc->l->cap);

		if (ns)
			memset(ns + rc->nseen, 0, rc->l->cap - rc->nseen);
		rc->seen = ns;
		rc->nseen = ns ? rc->l->cap : 0;
	}
	if (i < 0 || !rc->seen) {
		rc->failed = 1;
		return 1;
	}
	if (rc->seen[i] & (1u << k))
		return 0;
	rc->seen[i] |= (uint8_t)(1u << k);
	if (ev->value == 1)
		rc->l->pts[i].st.active |= (uint8_t)(1u << k);
	return 0;
}

/*
 * Active alarms from the journal: the newest "limit" event of each point
 * and kind decides.  An alarm whose limit no longer exists is closed.
 */
static void replay(struct limits *l)
{
	struct journal_filter f = { .type = "limit", .newest_first = true,
				    .limit = LIMITS_REPLAY_MAX };
	struct replay_ctx rc = { .l = l };

	if (journal_query(l->sm->journal, &f, replay_one, &rc) < 0 || rc.failed)
		smved_log(LOG_WARNING, "limits: cannot read the active alarms from the journal;"
			  " starting with none active");
	free(rc.seen);
	for (size_t i = 0; i < l->n; i++) {
		struct lim_point *lp = &l->pts[i];
		uint8_t gone = lp->st.active & (uint8_t)~lp->lim.has;

		lp->journalled = lp->st.active;
		for (int k = 0; k < LIMIT_KINDS; k++) {
			struct limit_change ch = { .kind = (enum limit_kind)k };

			if (!(gone & (1u << k)))
				continue;
			/* The limit was removed from the sheet: close its open alarm. */
			lp->st.active &= (uint8_t)~(1u << k);
			take(l, (uint32_t)i, &ch, smved_now_us());
		}
	}
}

static int foreach_cb(const char *tag, const struct ai_limits *lim, void *arg)
{
	return add_point(tag, lim, arg, true);
}

struct limits *limits_new(struct smved *sm)
{
	struct limits *l = calloc(1, sizeof(*l));

	if (!l)
		goto oom;
	l->sm = sm;
	if (!sm->cfg->sheets)
		return l;
	l->nids = store_count(sm->store);
	l->by_id = malloc((l->nids ? l->nids : 1) * sizeof(*l->by_id));
	l->pend = malloc(LIMITS_PENDING_MAX * sizeof(*l->pend));
	l->ev = event_new(sm->base, -1, 0, write_cb, l);
	if (!l->by_id || !l->pend || !l->ev)
		goto oom;
	for (size_t i = 0; i < l->nids; i++)
		l->by_id[i] = -1;
	if (sheets_foreach_ai_limits(sm->cfg->sheets, foreach_cb, l) < 0)
		goto oom;
	replay(l);
	l->sub = store_subscribe(sm->store, notify, l);
	if (!l->sub)
		goto oom;
	smved_log(LOG_INFO, "limits: %zu analog point(s) with limits", l->n);
	return l;
oom:
	smved_log(LOG_ERR, "limits: out of memory");
	limits_free(l);
	return NULL;
}

void limits_free(struct limits *l)
{
	if (!l)
		return;
	if (l->sub)
		store_unsubscribe(l->sm->store, l->sub);
	if (l->ev) {
		/* Whatever is still pending is journalled now: a stop must not lose alarms. */
		write_cb(-2, 0, l);
		event_free(l->ev);
	}
	free(l->pend);
	free(l->by_id);
	free(l->pts);
	free(l);
}
