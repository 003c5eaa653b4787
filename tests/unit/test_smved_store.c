// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The point store: ids and tags, engineering values (DI inversion, AI
 * scaling), quality and staleness rules (spec §5.12), subscribers' dirty
 * sets (coalescing), reload marking and persisted flags.
 */
#include <string.h>

#include "store.h"
#include "tap.h"

static int notified;
static void on_notify(struct store_sub *sub, void *arg)
{
	(void)sub;
	(void)arg;
	notified++;
}

static size_t visits;
static uint32_t last_visit;
static void visit(const struct point *p, void *arg)
{
	(void)arg;
	visits++;
	last_visit = p->id;
}

static int count_cb(const struct point *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static struct point_def def(const char *tag, int kind, int ied)
{
	return (struct point_def){ .tag = tag, .kind = (uint8_t)kind, .source = "E4",
				   .ied = ied, .index = 0, .bit = -1, .channel = -1,
				   .text_id = -1 };
}

static int64_t define(struct store *s, const char *tag, int kind, int ied)
{
	struct point_def d = def(tag, kind, ied);

	return store_define(s, &d);
}

int main(void)
{
	struct store *s = store_new();
	struct point_def d;
	struct store_sub *sub;
	const struct point *p;
	int64_t di, ai, ai2, comm;
	int n = 0;

	d = def("E4252B05", POINT_DI, 1);
	d.invert = 1;
	di = store_define(s, &d);
	d = def("E42VV_00", POINT_AI, 2);
	d.scale = 0.5;
	ai = store_define(s, &d);
	ai2 = store_define(s, &(struct point_def){ .tag = "E4.3.AI0", .kind = POINT_AI,
						   .source = "E4", .ied = 3, .bit = -1,
						   .channel = -1, .text_id = -1 });
	comm = store_define(s, &(struct point_def){ .tag = "E4.COMM", .kind = POINT_COMM,
						    .source = "E4", .ied = -1, .bit = -1,
						    .channel = -1, .text_id = -1 });
	IS(di, 0, "first id is 0");
	IS(ai, 1, "ids are dense");
	IS(store_define(s, &(struct point_def){ .tag = "bad tag", .kind = POINT_DI }), -1,
	   "a tag with a blank is refused");
	IS(store_define(s, &(struct point_def){ .tag = "", .kind = POINT_DI }), -1,
	   "an empty tag is refused");
	IS(define(s, "E4252B05", POINT_DI, 1), di, "redefining keeps the id");
	OK(store_find(s, "E42VV_00") == store_get(s, (uint32_t)ai), "find by tag = get by id");
	OK(!store_find(s, "nope"), "unknown tag");
	p = store_get(s, (uint32_t)ai);
	OK((p->flags & POINT_F_NEVER) && (p->flags & POINT_F_STALE),
	   "a point never received is stale and flagged never");

	sub = store_subscribe(s, on_notify, NULL);
	store_set_raw(s, (uint32_t)ai, 0x423B, 1, 1000, 1001);
	p = store_get(s, (uint32_t)ai);
	OK(p->value == 0x23B * 0.5, "AI value = 12-bit raw x escala (%g)", p->value);
	IS(p->q, 1, "AI qualifier kept");
	OK(!(p->flags & (POINT_F_STALE | POINT_F_NEVER)), "fresh after a value");
	IS(notified, 1, "outside a batch a change notifies at once");

	/* DI: inversion (maskinv) applies to the value, raw is kept. */
	d = def("E4252B05", POINT_DI, 1);
	d.invert = 1;
	store_define(s, &d);
	store_set_raw(s, (uint32_t)di, 1, 0, 1000, 1000);
	p = store_get(s, (uint32_t)di);
	IS(p->raw, 1, "DI raw as on the wire");
	OK(p->value == 0, "DI value = raw XOR maskinv");

	/* Coalescing: many changes in a batch, one notify, one visit per point. */
	notified = 0;
	store_sub_drain(sub, visit, NULL);
	store_batch_begin(s);
	for (int i = 0; i < 50; i++)
		store_set_raw(s, (uint32_t)ai2, (uint32_t)i, 0, 2000 + i, 2000 + i);
	IS(notified, 0, "no notify inside a batch");
	store_batch_end(s);
	IS(notified, 1, "one notify per batch");
	IS(store_sub_pending(sub), 1, "one dirty point after 50 changes");
	visits = 0;
	IS(store_sub_drain(sub, visit, NULL), 1, "drain visits it once");
	IS(last_visit, ai2, "the changed point");
	IS(store_get(s, (uint32_t)ai2)->raw, 49, "with its latest value");
	IS(store_sub_drain(sub, visit, NULL), 0, "the set is empty after a drain");

	/* An unchanged value only refreshes the receive time: no delta. */
	store_set_raw(s, (uint32_t)ai2, 49, 0, 2049, 9999);
	IS(store_sub_pending(sub), 0, "repeating a value is not a change");
	IS(store_get(s, (uint32_t)ai2)->rx_us, 9999, "but the receive time moves");

	/* Comm loss: every value point of the source goes stale, comm points do not. */
	store_set_raw(s, (uint32_t)comm, 1, 0, 1, 1);
	store_set_stale(s, "E4", -1, true);
	OK(store_get(s, (uint32_t)ai)->flags & POINT_F_STALE, "AI stale on comm loss");
	OK(store_get(s, (uint32_t)di)->flags & POINT_F_STALE, "DI stale on comm loss (rule 2)");
	OK(!(store_get(s, (uint32_t)comm)->flags & POINT_F_STALE), "the comm point itself is not");
	OK(store_get(s, (uint32_t)ai)->value == 0x23B * 0.5, "stale keeps the last value");
	store_set_stale(s, "E4", 2, false);
	OK(!(store_get(s, (uint32_t)ai)->flags & POINT_F_STALE), "per-IED fresh again");
	OK(store_get(s, (uint32_t)di)->flags & POINT_F_STALE, "other IEDs untouched");
	store_set_raw(s, (uint32_t)di, 0, 0, 5, 5);
	OK(!(store_get(s, (uint32_t)di)->flags & POINT_F_STALE), "a new value clears stale");
	store_set_raw(s, (uint32_t)di, 0, 0, 0, 6);
	OK(store_get(s, (uint32_t)di)->flags & POINT_F_BADTIME, "no source time: bad time flag");

	/* Reload: unconfirmed points are removed; ids survive and come back. */
	store_sub_drain(sub, visit, NULL);
	{
		uint64_t gen = store_dict_gen(s);

		store_mark_begin(s);
		define(s, "E4252B05", POINT_DI, 1);
		define(s, "E42VV_00", POINT_AI, 2);
		define(s, "E4.COMM", POINT_COMM, -1);
		store_mark_end(s);
		OK(store_dict_gen(s) != gen, "a reload that removes a point bumps the dictionary");
		OK(!store_find(s, "E4.3.AI0"), "the removed point is gone from lookups");
		OK(store_get(s, (uint32_t)ai2)->flags & POINT_F_REMOVED, "but its id is kept");
		store_foreach(s, count_cb, &n);
		IS(n, 3, "iteration skips removed points");
		IS(define(s, "E4.3.AI0", POINT_AI, 3), ai2, "it comes back with its id");
	}

	/* Derived points carry text. */
	{
		int64_t dv = store_define(s, &(struct point_def){ .tag = "eg.E4CVV_01.text",
							    .kind = POINT_DERIVED, .ied = -1,
							    .bit = -1, .channel = -1,
							    .text_id = -1 });
		char big[600];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		store_set_derived(s, (uint32_t)dv, 3.5, big, 7);
		IS(strlen(store_get(s, (uint32_t)dv)->text), STORE_TEXT_MAX - 1,
		   "derived text is bounded");
	}
	store_set_flag(s, (uint32_t)di, POINT_F_LATCHED, true);
	OK(store_get(s, (uint32_t)di)->flags & POINT_F_LATCHED, "latch flag set");
	store_set_raw(s, (uint32_t)di, 1, 0, 8, 8);
	store_set_flag(s, (uint32_t)di, POINT_F_STALE, true);
	OK(!(store_get(s, (uint32_t)di)->flags & POINT_F_STALE),
	   "only persisted flags can be set from outside");
	store_unsubscribe(s, sub);
	store_free(s);
	return tap_done();
}
