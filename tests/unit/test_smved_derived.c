// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The daemon's wiring of the element engine (derived.c): sheets loaded
 * from the points folder, eg.* points defined and published at start, a
 * store change (a reply) re-evaluated on the next loop pass and a
 * breaker's fill flipped, a click text driving its formula, and a reload
 * that drops the points of a vanished element.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "derived.h"
#include "elements.h"
#include "smved.h"
#include "store.h"
#include "tap.h"

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *text_of(struct store *s, const char *tag)
{
	const struct point *p = store_find(s, tag);

	return p && !(p->flags & POINT_F_REMOVED) && p->text ? p->text : "(none)";
}

static double value_of(struct store *s, const char *tag)
{
	const struct point *p = store_find(s, tag);

	return p && !(p->flags & POINT_F_REMOVED) ? p->value : -999;
}

static void pump(struct event_base *b)
{
	/* Twice: the pass, then the pass our own publishing schedules. */
	event_base_loop(b, EVLOOP_NONBLOCK);
	event_base_loop(b, EVLOOP_NONBLOCK);
}

int main(void)
{
	char dir[] = "/tmp/test_smved_derived.XXXXXX";
	struct smved sm = { 0 };
	static struct smved_config cfg_storage;	/* large: not on the stack */
	struct smved_config *cfg = &cfg_storage;
	struct point_def br = { .tag = "E9252B01", .kind = POINT_DI, .source = "E9", .ied = 1,
				.index = 0, .bit = 0, .channel = -1, .text_id = -1 };
	struct derived *d;
	int64_t br_id;
	int idx;

	if (!OK(cfg && mkdtemp(dir), "temporary points folder"))
		return tap_done();
	put(dir, "color.csv", "index,name,rgb,description\n2,violeta,#cc99ff,closed\n"
	    "6,rojo,#ff0000,tripped\n10,negro,#000000,open\n");
	put(dir, "eg.csv", "id,tag,description,text,fill,Stroke,mark,screen,disabled,"
	    "on_click_jump,on_click_text_toggle,linked_text_change\n"
	    ",E9252B01,Breaker,0,10,,,E9,0,,\"0 (normal), 1 (marked)\",\n"
	    ",E9251B01,Relay,0,10,,,E9,0,,,\n");
	{
		/* A formula longer than a default CSV field (1024 bytes): 600 terms. */
		static char sheet[8192];
		size_t o = (size_t)snprintf(sheet, sizeof(sheet), "%s",
					    "disp,Var_eg,tabla,tag,atributo,Formula\n"
					    "2B0,eg.E9252B01.fill,eg.,E9252B01,fill,"
					    "\"SI(di.E9252B01.value,2,SI(int(eg.E9252B01.text),6,10))\"\n"
					    "1B0,eg.E9251B01.text,eg.,E9251B01,text,\"str(0");

		for (int i = 0; i < 600; i++)
			o += (size_t)snprintf(sheet + o, sizeof(sheet) - o, "+1");
		snprintf(sheet + o, sizeof(sheet) - o, ")\"\n");
		put(dir, "formulas.csv", sheet);
	}
	snprintf(cfg->points_dir, sizeof(cfg->points_dir), "%s", dir);
	sm.cfg = cfg;
	sm.base = event_base_new();
	sm.store = store_new();
	if (!OK(sm.base && sm.store, "loop and store"))
		return tap_done();
	br_id = store_define(sm.store, &br);
	OK(br_id >= 0, "breaker DI defined");

	d = derived_new(&sm);
	if (!OK(d && derived_table(d), "elements loaded from the points folder"))
		return tap_done();
	OK(store_find(sm.store, "eg.E9252B01.text") && store_find(sm.store, "eg.E9251B01.stroke"),
	   "eg.TAG.text/fill/stroke defined for every element");
	IS((long long)value_of(sm.store, "eg.E9252B01.fill"), 10, "start: no data, sheet fill");
	OK(!strcmp(text_of(sm.store, "eg.E9251B01.text"), "600"),
	   "a 1.2 kB formula loads and runs (got %s)", text_of(sm.store, "eg.E9251B01.text"));
	OK(!strcmp(text_of(sm.store, "eg.E9252B01.fill"), "#000000"), "start: fill as #rrggbb");

	/* A reply closes the breaker: only the loop pass evaluates. */
	store_set_raw(sm.store, (uint32_t)br_id, 1, 0, 2000, 2000);
	pump(sm.base);
	IS((long long)value_of(sm.store, "eg.E9252B01.fill"), 2, "DI 1 after a reply: closed fill");
	OK(!strcmp(text_of(sm.store, "eg.E9252B01.fill"), "#cc99ff"), "closed colour published");
	store_set_raw(sm.store, (uint32_t)br_id, 0, 0, 3000, 3000);
	pump(sm.base);
	IS((long long)value_of(sm.store, "eg.E9252B01.fill"), 10, "DI back to 0: open fill");

	/* The element's own text (a click toggle) feeds its fill formula. */
	idx = elements_find(derived_table(d), "E9252B01");
	{
		char from[ELEMENT_TEXT_MAX], to[ELEMENT_TEXT_MAX], err[FORMULA_ERR_MAX];

		IS(elements_toggle(derived_table(d), (uint32_t)idx, from, to, err), 1, "toggle 0 -> 1");
	}
	derived_update(d);
	OK(!strcmp(text_of(sm.store, "eg.E9252B01.text"), "1"), "toggled text published");
	IS((long long)value_of(sm.store, "eg.E9252B01.fill"), 6, "marked: its formula follows");

	/* Reload without the relay element: its points go, the breaker's stay. */
	put(dir, "eg.csv", "id,tag,description,text,fill,Stroke,mark,screen,disabled,"
	    "on_click_jump,on_click_text_toggle,linked_text_change\n"
	    ",E9252B01,Breaker,0,10,,,E9,0,,,\n");
	IS(derived_reload(&d, &sm), 0, "reload");
	OK(!strcmp(text_of(sm.store, "eg.E9251B01.text"), "(none)") &&
	   value_of(sm.store, "eg.E9252B01.fill") == 10, "vanished element removed, the other re-published");

	/* POST .../manual on an element's text point goes through the table. */
	IS(derived_set_text(d, "eg.E9252B01.text", "1"), 1, "manual text of an element handled");
	IS((long long)value_of(sm.store, "eg.E9252B01.fill"), 6, "manual text: its formula follows");
	IS(derived_set_text(d, "eg.E9252B01.fill", "1"), 0, "not a text point: left to the caller");
	IS(derived_set_text(d, "eg.NOSUCH.text", "1"), 0, "unknown element: left to the caller");
	IS(derived_set_text(d, "eg..text", "1") + derived_set_text(d, "eg.text", "1"), 0,
	   "malformed names refused");

	derived_free(d);
	store_free(sm.store);
	event_base_free(sm.base);
	for (const char *const *f = (const char *const[]){ "color.csv", "eg.csv", "formulas.csv", NULL };
	     *f; f++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	if (rmdir(dir) < 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
