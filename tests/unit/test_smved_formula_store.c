// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Formulas on the real point store: ai/di values read from store points,
 * only announced changes re-evaluated (through a store subscriber), and
 * results published as derived points eg.TAG.text/fill/stroke.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "elements.h"
#include "store.h"
#include "tap.h"

static const struct point *pt(struct store *s, const char *tag)
{
	return store_find(s, tag);
}

int main(void)
{
	struct store *s = store_new();
	struct elements *t = elements_new();
	struct formula_resolver r;
	struct store_sub *sub;
	struct point_def vv = { .tag = "E42VV_00", .kind = POINT_AI, .scale = 0.018374164810690423,
				.source = "E4", .ied = 1, .index = 0, .bit = -1, .channel = 0, .text_id = -1 };
	struct point_def br = { .tag = "E4252B05", .kind = POINT_DI, .source = "E4", .ied = 1,
				.index = 0, .bit = 0, .invert = 1, .channel = -1, .text_id = -1 };
	struct element_def d = { .text = "0", .fill = 3, .stroke = ELEMENT_NONE, .enabled = true };
	char err[FORMULA_ERR_MAX];
	int64_t vv_id, br_id;
	const struct point *p;

	if (!OK(s && t, "store and table"))
		return tap_done();
	vv_id = store_define(s, &vv);
	br_id = store_define(s, &br);
	OK(vv_id >= 0 && br_id >= 0, "points defined");
	elements_set_color(t, 2, 0xCC99FF, "violeta", "");
	elements_set_color(t, 3, 0xFFFFFF, "blanco", "");
	elements_set_color(t, 6, 0xFF0000, "rojo", "");
	elements_set_color(t, 10, 0x000000, "negro", "");
	d.tag = "E42VV_00";
	elements_add(t, &d, err);
	d.tag = "E4252B05";
	elements_add(t, &d, err);
	elements_set_formula(t, "E42VV_00", EL_TEXT, "str(ai.E42VV_00.value*ai.E42VV_00.escala)", 2, err);
	elements_set_formula(t, "E42VV_00", EL_FILL, "SI(ai.E42VV_00.q,6,10)", 3, err);
	elements_set_formula(t, "E4252B05", EL_FILL, "SI(di.E4252B05.value,2,10)", 4, err);
	elements_store_resolver(s, &r);
	IS(elements_compile(t, &r, NULL, NULL), 0, "formulas bind to store points");
	OK(elements_define_points(t, s) == 0 && pt(s, "eg.E42VV_00.text") && pt(s, "eg.E4252B05.stroke"),
	   "derived points defined");
	sub = store_subscribe(s, NULL, NULL);
	elements_mark_all(t);
	elements_run(t, 0);
	OK(elements_error(t, 0, EL_TEXT) && strstr(elements_error(t, 0, EL_TEXT), "no value yet"),
	   "no data yet: formula error, sheet value kept");
	IS(elements_publish(t, s, 1000), 6, "sheet values published once");
	p = pt(s, "eg.E42VV_00.fill");
	OK(p && p->value == 3 && p->text && strcmp(p->text, "#ffffff") == 0, "fill 3 = #ffffff");
	p = pt(s, "eg.E42VV_00.stroke");
	OK(p && p->value == -1 && !p->text, "no stroke: -1 and no rgb");

	/* A reply: AI word 0x4BBF (q 1, value 3007), DI bit 0 before inversion. */
	store_set_raw(s, (uint32_t)vv_id, 0x4BBF, 1, 2000, 2000);
	store_set_raw(s, (uint32_t)br_id, 0, 0, 2000, 2000);
	OK(elements_store_changed(t, sub) >= 2, "subscriber sees the changed points");
	IS(elements_run(t, 0), 3, "three attributes change");
	IS(elements_publish(t, s, 3000), 3, "three derived points written");
	p = pt(s, "eg.E42VV_00.text");
	OK(p && p->text && strcmp(p->text, "55.251113585746104") == 0 && fabs(p->value - 55.2511) < 1e-3,
	   "voltage text and its number");
	p = pt(s, "eg.E42VV_00.fill");
	OK(p && p->value == 6 && strcmp(p->text, "#ff0000") == 0, "qualified: red");
	p = pt(s, "eg.E4252B05.fill");
	OK(p && p->value == 2 && strcmp(p->text, "#cc99ff") == 0, "DI 0 inverted = 1: closed colour");
	/* Our own derived writes come back through the subscriber: harmless. */
	elements_store_changed(t, sub);
	IS(elements_run(t, 0), 0, "publishing does not re-trigger formulas");
	store_unsubscribe(s, sub);
	/* A reload without E4252B05: its derived points go, the others stay. */
	{
		struct elements *t2 = elements_new();

		d.tag = "E42VV_00";
		elements_add(t2, &d, err);
		IS(elements_forget_points(t2, s), 3, "reload: the vanished element's three points removed");
		OK(!pt(s, "eg.E4252B05.fill") && pt(s, "eg.E42VV_00.fill"), "only those");
		elements_free(t2);
	}
	elements_free(t);
	store_free(s);
	return tap_done();
}
