// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Glue between the element table and the point store: formulas read AI
 * and DI points from the store, and elements are published as derived
 * points "eg.TAG.text", "eg.TAG.fill" and "eg.TAG.stroke" that the
 * WebSocket and REST layers serve like any other point.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"
#include "store.h"

static int st_bind(void *ctx, enum formula_ns ns, const char *tag, uint32_t *slot)
{
	const struct point *p = store_find(ctx, tag);

	if (!p || p->kind != (ns == FORMULA_NS_AI ? POINT_AI : POINT_DI))
		return -1;
	*slot = p->id;
	return 0;
}

static int st_read(void *ctx, enum formula_ns ns, uint32_t slot, enum formula_attr a,
		   struct formula_value *out, char *err)
{
	const struct point *p = store_get(ctx, slot);

	if (!p || (p->flags & POINT_F_REMOVED)) {
		snprintf(err, FORMULA_ERR_MAX, "point %u was removed by a reload", slot);
		return -1;
	}
	if (p->flags & POINT_F_NEVER) {
		/* Keep the sheet's value on the diagram until data arrives. */
		snprintf(err, FORMULA_ERR_MAX, "%s.%s has no value yet",
			 ns == FORMULA_NS_AI ? "ai" : "di", p->tag);
		return -1;
	}
	if (ns == FORMULA_NS_AI && a == FORMULA_A_ESCALA) {
		out->type = FV_REAL;
		out->r = p->scale;
		return 0;
	}
	out->type = FV_INT;
	if (ns == FORMULA_NS_AI)
		out->i = a == FORMULA_A_Q ? p->q : (int64_t)(p->raw & 0x0FFF);
	else
		out->i = p->value != 0.0;	/* after maskinv */
	return 0;
}

void elements_store_resolver(struct store *s, struct formula_resolver *out)
{
	memset(out, 0, sizeof(*out));
	out->bind = st_bind;
	out->read = st_read;
	out->ctx = s;
}

static void point_name(char *buf, size_t cap, const char *tag, enum element_attr a)
{
	snprintf(buf, cap, "eg.%s.%s", tag, element_attr_name(a));
}

int elements_define_points(struct elements *t, struct store *s)
{
	size_t i;
	int a;

	for (i = 0; i < elements_count(t); i++) {
		const struct element *e = elements_get(t, (uint32_t)i);

		for (a = 0; a < EL_ATTRS; a++) {
			char tag[STORE_TAG_MAX];
			struct point_def d = {
				.tag = tag, .kind = POINT_DERIVED, .description = e->description,
				.unit = "", .source = "", .ied = -1, .index = -1, .bit = -1,
				.channel = -1, .text_id = -1,
			};

			point_name(tag, sizeof(tag), e->tag, (enum element_attr)a);
			if (store_define(s, &d) < 0)
				return -1;
		}
	}
	return 0;
}

struct pub {
	struct elements *t;
	struct store *s;
	int64_t now;
	size_t n;
};

static void publish_one(void *ctx, uint32_t idx, enum element_attr a)
{
	struct pub *pb = ctx;
	const struct element *e = elements_get(pb->t, idx);
	const struct point *p;
	char tag[STORE_TAG_MAX];

	point_name(tag, sizeof(tag), e->tag, a);
	p = store_find(pb->s, tag);
	if (!p)
		return;	/* elements_define_points() not called for this one */
	if (a == EL_TEXT) {
		char *end;
		double v = strtod(e->text, &end);

		if (end == e->text || *end || !isfinite(v))
			v = 0;
		store_set_derived(pb->s, p->id, v, e->text, pb->now);
	} else {
		int c = a == EL_FILL ? e->fill : e->stroke;
		const struct color *col = elements_color(pb->t, c);
		char rgb[8];

		snprintf(rgb, sizeof(rgb), "#%06x", col ? col->rgb : 0);
		store_set_derived(pb->s, p->id, c, col ? rgb : NULL, pb->now);
	}
	pb->n++;
}

size_t elements_publish(struct elements *t, struct store *s, int64_t now_us)
{
	struct pub pb = { t, s, now_us, 0 };

	store_batch_begin(s);
	elements_drain(t, publish_one, &pb);
	store_batch_end(s);
	return pb.n;
}

static void changed_one(const struct point *p, void *arg)
{
	if (p->kind == POINT_AI)
		elements_point_changed(arg, FORMULA_NS_AI, p->id);
	else if (p->kind == POINT_DI)
		elements_point_changed(arg, FORMULA_NS_DI, p->id);
}

size_t elements_store_changed(struct elements *t, struct store_sub *sub)
{
	return store_sub_drain(sub, changed_one, t);
}

struct forget {
	const struct elements *t;
	uint32_t ids[64];
	size_t n, total;
	bool more;
};

static int forget_one(const struct point *p, void *arg)
{
	struct forget *fg = arg;
	char tag[ELEMENT_TAG_MAX];
	const char *dot;
	size_t n;

	if (p->kind != POINT_DERIVED || strncmp(p->tag, "eg.", 3) != 0)
		return 0;
	dot = strchr(p->tag + 3, '.');
	n = dot ? (size_t)(dot - (p->tag + 3)) : 0;
	if (!n || n >= sizeof(tag))
		return 0;
	memcpy(tag, p->tag + 3, n);
	tag[n] = '\0';
	if (elements_find(fg->t, tag) >= 0)
		return 0;
	if (fg->n == sizeof(fg->ids) / sizeof(fg->ids[0])) {
		fg->more = true;
		return 1;
	}
	fg->ids[fg->n++] = p->id;
	return 0;
}

size_t elements_forget_points(const struct elements *t, struct store *s)
{
	struct forget fg = { .t = t };
	size_t i;

	/* Removing while iterating is not allowed: collect, remove, repeat. */
	do {
		fg.n = 0;
		fg.more = false;
		store_foreach(s, forget_one, &fg);
		for (i = 0; i < fg.n; i++)
			store_remove(s, fg.ids[i]);
		fg.total += fg.n;
	} while (fg.more);
	return fg.total;
}
