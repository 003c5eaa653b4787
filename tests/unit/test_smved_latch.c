// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attend/latch rules of spec §9.8 in the daemon (latch.c): a feeder
 * protection trip (tipodi 0, value 1) latches "1" on its element and on
 * its breaker (51_ -> 52B), attending it clears its own, a breaker closing
 * (tipodi 2, value 1) clears the trip mark, attending a breaker event
 * clears it, tipodi 1 does nothing unless latch_tipo1 is set (then it
 * latches like tipodi 0: its own text, no breaker), and latches survive a
 * restart (rebuilt from the journal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "derived.h"
#include "journal.h"
#include "latch.h"
#include "smved.h"
#include "store.h"
#include "files.h"
#include "tap.h"

static char dir[] = "/tmp/test_smved_latch.XXXXXX";

static void put(const char *name, const char *text)
{
	if (test_write_file(dir, name, text) < 0)
		tap_diag("cannot write %s/%s", dir, name);
}

static const char *text_of(struct store *s, const char *tag)
{
	char name[64];
	const struct point *p;

	snprintf(name, sizeof(name), "eg.%s.text", tag);
	p = store_find(s, name);
	return p && p->text ? p->text : "(none)";
}

static int64_t event(struct smved *sm, const char *tag, int value)
{
	struct journal_new ev = { .source = "E9", .station = "E9", .ied = 1, .type = "digital",
				  .tag = tag, .rx_us = smved_now_us(), .value = value, .alarm = true,
				  .text = tag };
	int64_t id = 0;

	ev.utc_us = ev.rx_us;
	if (journal_add(sm->journal, &ev, &id) < 0)
		return -1;
	event_base_loop(sm->base, EVLOOP_NONBLOCK);
	event_base_loop(sm->base, EVLOOP_NONBLOCK);
	return id;
}

static void ack(struct smved *sm, int64_t id)
{
	journal_ack(sm->journal, id, "op", smved_now_us());
	event_base_loop(sm->base, EVLOOP_NONBLOCK);
	event_base_loop(sm->base, EVLOOP_NONBLOCK);
}

static bool texts(struct store *s, const char *relay, const char *breaker, const char *tr)
{
	bool ok = !strcmp(text_of(s, "E9251_01"), relay) && !strcmp(text_of(s, "E9252B01"), breaker) &&
		  !strcmp(text_of(s, "E9264_02"), tr);

	if (!ok)
		tap_diag("relay %s breaker %s transformer %s", text_of(s, "E9251_01"),
			 text_of(s, "E9252B01"), text_of(s, "E9264_02"));
	return ok;
}

int main(void)
{
	struct smved sm = { 0 };
	static struct smved_config cfg_storage;	/* large: not on the stack */
	struct smved_config *cfg = &cfg_storage;
	struct journal_opts jo = { 0 };
	struct latch *l;
	char path[600], err[256];
	int64_t trip, trip2, close_id;

	if (!OK(cfg && mkdtemp(dir), "temporary folder"))
		return tap_done();
	put("di.csv", "id,ied_id,offset,port,bit,tag,trasducer,description,q,value,maskinv,tipodi\n"
	    "1,1,1,0,0,E9252B01,RL1,Breaker,0,0,0,2\n2,1,1,0,1,E9251_01,RL2,Relay,0,0,0,0\n"
	    "5,1,1,0,4,E9264_02,RL5,Transformer,0,0,0,1\n");
	put("eg.csv", "id,tag,description,text,fill,Stroke,mark,screen,disabled,"
	    "on_click_jump,on_click_text_toggle,linked_text_change\n"
	    ",E9252B01,Breaker,0,10,,,E9,0,,,\n,E9251_01,Relay,0,10,,,E9,0,,,\n"
	    ",E9264_02,Transformer,0,10,,,E9,0,,,\n");
	snprintf(cfg->points_dir, sizeof(cfg->points_dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	jo.path = path;
	sm.cfg = cfg;
	sm.base = event_base_new();
	sm.store = store_new();
	sm.journal = journal_open(&jo, err, sizeof(err));
	if (!OK(sm.base && sm.store && sm.journal, "loop, store and journal (%s)", err))
		return tap_done();
	sm.derived = derived_new(&sm);
	l = latch_new(&sm);
	if (!OK(sm.derived && l, "elements and latches"))
		return tap_done();
	OK(texts(sm.store, "0", "0", "0"), "sheet texts at start");

	trip = event(&sm, "E9251_01", 1);
	OK(texts(sm.store, "1", "1", "0"), "tipo 0 value 1: relay and its breaker latched");
	event(&sm, "E9251_01", 0);
	OK(texts(sm.store, "1", "1", "0"), "tipo 0 value 0: latches kept");
	event(&sm, "E9264_02", 1);
	OK(texts(sm.store, "1", "1", "0"), "tipo 1: nothing (option off)");
	ack(&sm, trip);
	OK(texts(sm.store, "0", "1", "0"), "attend tipo 0: its own text 0, trip mark stays");

	trip2 = event(&sm, "E9251_01", 1);
	OK(texts(sm.store, "1", "1", "0"), "second trip latched");
	/* Restart: the unattended trip is rebuilt from the journal. */
	latch_free(l);
	derived_free(sm.derived);
	sm.derived = derived_new(&sm);
	l = latch_new(&sm);
	OK(texts(sm.store, "1", "1", "0"), "latches survive a restart");

	close_id = event(&sm, "E9252B01", 1);
	OK(texts(sm.store, "1", "0", "0"), "breaker closing clears its trip mark");
	latch_free(l);
	derived_free(sm.derived);
	sm.derived = derived_new(&sm);
	l = latch_new(&sm);
	OK(texts(sm.store, "1", "0", "0"), "restart: the closing after the trip still clears the mark");

	event(&sm, "E9251_01", 1);
	ack(&sm, close_id);
	OK(texts(sm.store, "1", "0", "0"), "attend a breaker event: text 0 (was 1)");
	ack(&sm, trip2);

	/* The design's option: tipodi 1 latches like tipodi 0. */
	cfg->latch_tipo1 = true;
	latch_free(l);
	derived_free(sm.derived);
	sm.derived = derived_new(&sm);
	l = latch_new(&sm);
	{
		char br[16];
		int64_t tr;

		snprintf(br, sizeof(br), "%s", text_of(sm.store, "E9252B01"));
		tr = event(&sm, "E9264_02", 1);

		OK(!strcmp(text_of(sm.store, "E9264_02"), "1"),
		   "latch_tipo1: tipo 1 value 1 latches its text (%s)", text_of(sm.store, "E9264_02"));
		OK(!strcmp(text_of(sm.store, "E9252B01"), br), "latch_tipo1: the breaker's text"
		   " is left alone (%s)", br);
		latch_free(l);
		derived_free(sm.derived);
		sm.derived = derived_new(&sm);
		l = latch_new(&sm);
		OK(!strcmp(text_of(sm.store, "E9264_02"), "1"), "latch_tipo1: survives a restart");
		ack(&sm, tr);
		OK(!strcmp(text_of(sm.store, "E9264_02"), "0"), "latch_tipo1: attend clears it");
	}

	latch_free(l);
	derived_free(sm.derived);
	journal_close(sm.journal);
	store_free(sm.store);
	event_base_free(sm.base);
	for (const char *const *f = (const char *const[]){ "di.csv", "eg.csv", "journal.db",
							   "journal.db-wal", "journal.db-shm", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	if (rmdir(dir) < 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
