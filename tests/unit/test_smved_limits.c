// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Analog limit alarms (limit_alarms.c): the state machine (crossings,
 * hysteresis, chatter, rates, doubtful values) and the daemon wiring
 * (ai.csv columns checked with file:line, events journalled with their
 * texts, alarm flag on raise only, active alarms rebuilt after a restart,
 * an alarm whose limit was removed closed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "journal.h"
#include "limit_alarms.h"
#include "sheets.h"
#include "smved.h"
#include "store.h"
#include "files.h"
#include "tap.h"

#define S(x) ((int64_t)(x) * 1000000)

/* String equality with the got value in the diagnostics. */
#define SEQ(got, want, name) seq_check((got), (want), (name), __LINE__)

static bool seq_check(const char *got, const char *want, const char *name, int line)
{
	return OK(!strcmp(got, want), "%s (got \"%s\", line %d)", name, got, line);
}

static char dir[] = "/tmp/test_smved_limits.XXXXXX";

/* Feed @v at @t seconds; the changes as "+max -min ..." in @buf. */
static const char *feed(const struct ai_limits *d, struct limit_state *s, double v, double t,
			bool good, char *buf, size_t len)
{
	struct limit_change ch[LIMIT_KINDS];
	unsigned n = limit_eval(d, s, v, (int64_t)(t * 1e6), good, ch);
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%c%s", i ? " " : "",
				      ch[i].raised ? '+' : '-', limit_kind_name(ch[i].kind));
	return buf;
}

static void machine(void)
{
	struct ai_limits d = { .has = 1u << LIMIT_MAX | 1u << LIMIT_MIN, .vmax = 34.5,
			       .vmin = 31.5, .hyst = 0.4 };
	struct limit_state s = { 0 };
	char b[64];
	int events = 0;

	SEQ(feed(&d, &s, 33.0, 0, true, b, sizeof(b)), "", "inside the band: nothing");
	SEQ(feed(&d, &s, 34.5, 1, true, b, sizeof(b)), "", "at valuemax: not above, nothing");
	SEQ(feed(&d, &s, 34.6, 2, true, b, sizeof(b)), "+max", "above valuemax: MAX raised");
	SEQ(feed(&d, &s, 34.9, 3, true, b, sizeof(b)), "", "still above: no second event");
	SEQ(feed(&d, &s, 34.2, 4, true, b, sizeof(b)), "", "back below valuemax but inside the hysteresis: still active");
	SEQ(feed(&d, &s, 34.1, 5, true, b, sizeof(b)), "-max", "at valuemax - h: returned to normal");
	/* Chatter: noise of +-0.15 around the limit gives one alarm, not one per crossing. */
	for (int i = 0; i < 40; i++) {
		feed(&d, &s, 34.5 + (i % 2 ? 0.15 : -0.15), 6 + i, true, b, sizeof(b));
		events += b[0] != '\0';
	}
	IS(events, 1, "40 samples oscillating 0.3 around valuemax: one event (the raise)");
	SEQ(feed(&d, &s, 31.4, 50, true, b, sizeof(b)), "-max +min",
	   "a jump from above valuemax to below valuemin: MAX returns, MIN raised");
	SEQ(feed(&d, &s, 31.8, 51, true, b, sizeof(b)), "", "MIN: inside the hysteresis, still active");
	/* Doubtful values decide nothing. */
	SEQ(feed(&d, &s, 33.0, 52, false, b, sizeof(b)), "", "qualified/stale sample in the band: MIN stays active");
	OK(s.active == 1u << LIMIT_MIN, "MIN still active after the doubtful sample");
	SEQ(feed(&d, &s, 33.0, 53, true, b, sizeof(b)), "-min", "the next good value clears it");
	SEQ(feed(&d, &s, 40.0, 54, false, b, sizeof(b)), "", "qualified/stale sample above valuemax: nothing raised");
	OK(!s.active, "nothing active after the doubtful sample");
	SEQ(feed(&d, &s, 0.0 / 0.0, 55, true, b, sizeof(b)), "", "NaN: nothing");

	d.hyst = 0;
	memset(&s, 0, sizeof(s));
	feed(&d, &s, 34.6, 0, true, b, sizeof(b));
	SEQ(feed(&d, &s, 34.5, 1, true, b, sizeof(b)), "-max", "hysteresis 0: back at valuemax clears");
}

static void rates(void)
{
	struct ai_limits d = { .has = 1u << LIMIT_DMAX | 1u << LIMIT_DMIN, .dmax = 1.0,
			       .dmin = 2.0, .hyst = 0.5 };
	struct limit_state s = { 0 };
	char b[64];

	SEQ(feed(&d, &s, 10, 0, true, b, sizeof(b)), "", "first sample: no rate yet");
	SEQ(feed(&d, &s, 14, 5, true, b, sizeof(b)), "", "0.8/s rise with deltah 1/s: nothing");
	SEQ(feed(&d, &s, 20, 10, true, b, sizeof(b)), "+delta_max", "1.2/s rise: DELTA MAX raised");
	SEQ(feed(&d, &s, 23, 15, true, b, sizeof(b)), "", "0.6/s: above deltah - h (0.5/s), still active");
	SEQ(feed(&d, &s, 25, 20, true, b, sizeof(b)), "-delta_max", "0.4/s: returned to normal");
	SEQ(feed(&d, &s, 25, 20, true, b, sizeof(b)), "", "same time again: no rate computed");
	SEQ(feed(&d, &s, 10, 25, true, b, sizeof(b)), "+delta_min", "-3/s fall with deltal 2/s: DELTA MIN raised");
	SEQ(feed(&d, &s, 10, 30, false, b, sizeof(b)), "", "stale: no decision");
	SEQ(feed(&d, &s, 40, 300, true, b, sizeof(b)), "", "after a gap: no rate across it (reference forgotten)");
	SEQ(feed(&d, &s, 40, 305, true, b, sizeof(b)), "-delta_min", "then a steady value clears DELTA MIN");
}

/* --- the daemon wiring ------------------------------------------------------------------- */

static void put(const char *name, const char *text)
{
	if (test_write_file(dir, name, text) < 0)
		tap_diag("cannot write %s/%s", dir, name);
}

struct diags {
	char text[4096];
	size_t len;
};

static void diag(void *ctx, const char *msg)
{
	struct diags *d = ctx;

	d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s\n", msg);
	if (d->len >= sizeof(d->text))
		d->len = sizeof(d->text) - 1;
}

static const char ied_csv[] = "id,comaster_id,offset,can_varsys,can_dis,can_ais,rs485_address\n"
			      "1,9,1,6,2,4,1\n";
static const char ai_head[] = "id,ied_id,offset,Channel,description,tag,unit,escala,"
			      "valuemax,valuemin,idTextoEvM,deltah,deltal,idTextoEv2,hysteresis\n";

static struct smved_config *load_with(const char *ai_rows, const char *keys, struct diags *dg)
{
	char conf[600], text[1200];

	snprintf(text, sizeof(text), "%s%s", ai_head, ai_rows);
	put("ied.csv", ied_csv);
	put("ai.csv", text);
	snprintf(text, sizeof(text), "[smved]\nstate_dir = %s\npoints = %s\n"
		 "%s\n[concentrator E9]\nhost = 127.0.0.1\ncomaster_id = 9\n", dir, dir, keys);
	put("smved.conf", text);
	snprintf(conf, sizeof(conf), "%s/smved.conf", dir);
	memset(dg, 0, sizeof(*dg));
	return config_load(conf, diag, dg);
}

static struct smved_config *load(const char *ai_rows, struct diags *dg)
{
	return load_with(ai_rows, "limit_hysteresis = 1", dg);
}

static int hyst_cb(const char *tag, const struct ai_limits *lim, void *arg)
{
	double *h = arg;

	h[!strcmp(tag, "E9II")] = lim->hyst;
	return 0;
}

static void check_config(void)
{
	struct smved_config *c;
	struct diags dg;

	c = load("1,1,1,0,Bus,E9VV,Kv,0.02,34.5,31.5,7,,,6,0.3\n", &dg);
	OK(c != NULL, "valid limits load (%s)", dg.text);
	config_free(c);
	c = load("1,1,1,0,Bus,E9VV,Kv,0.02,31,34,7,,,6,\n"
		 "2,1,2,0,Cur,E9II,A,0.1,500,,7,,,6,\n"
		 "3,1,3,0,P,E9PA,Mw,0.01,,0,7,-1,,6,\n"
		 "4,1,4,0,Q,E9PR,Mvar,0.01,30,10,7,,,6,25\n", &dg);
	OK(c == NULL, "invalid limits are errors");
	OK(strstr(dg.text, "ai.csv:2: E9VV: valuemin 34 must be below valuemax 31") != NULL,
	   "min >= max reported with file:line");
	OK(strstr(dg.text, "ai.csv:3: E9II: valuemax 500 can never be exceeded") != NULL,
	   "unreachable valuemax reported with file:line");
	OK(strstr(dg.text, "ai.csv:4: E9PA: valuemin 0 can never be undershot") != NULL,
	   "unreachable valuemin reported with file:line");
	OK(strstr(dg.text, "ai.csv:4: E9PA: deltah and deltal are rates") != NULL,
	   "negative deltah reported with file:line");
	OK(strstr(dg.text, "ai.csv:5: E9PR: hysteresis 25 must be smaller than valuemax - valuemin")
	   != NULL, "hysteresis wider than the band reported with file:line");
	if (!OK(dg.len, "diagnostics"))
		return;
	tap_diag("%s", dg.text);
	c = load("1,1,1,0,Bus,E9VV,Kv,0.02,34.5,31.5,7,,,6,-1\n", &dg);
	OK(c == NULL && strstr(dg.text, "ai.csv:2: E9VV: hysteresis -1 must be >= 0"),
	   "negative hysteresis reported with file:line");
	config_free(c);
	/* The default hysteresis: limit_hysteresis % of 4095 x escala, at most a quarter of the band. */
	c = load_with("1,1,1,0,Bus,E9VV,Kv,0.02,34.5,31.5,7,,,6,\n"
		      "2,1,2,0,Cur,E9II,A,0.1,300,,7,,,6,\n", "limit_hysteresis = 2", &dg);
	if (OK(c != NULL, "configuration with default hysteresis loads") && c) {
		double h[2] = { -1, -1 };

		sheets_foreach_ai_limits(c->sheets, hyst_cb, h);
		OK(h[0] == 0.75 && h[1] > 8.18 && h[1] < 8.2,
		   "default hysteresis: a quarter of the band (0.75) / 2 %% of 409.5 A (%g, %g)",
		   h[0], h[1]);
	}
	config_free(c);
	c = load_with("", "limit_hysteresis = 60\nlatch_tipo1 = maybe", &dg);
	OK(c == NULL && strstr(dg.text, "smved.conf:4: limit_hysteresis must be a percentage") &&
	   strstr(dg.text, "smved.conf:5: latch_tipo1 must be true or false"),
	   "limit_hysteresis and latch_tipo1 values checked with file:line");
	config_free(c);
}

struct found {
	char list[2048];
	size_t len;
	int alarms;
};

static int collect(const struct journal_event *ev, void *arg)
{
	struct found *f = arg;

	f->len += (size_t)snprintf(f->list + f->len, sizeof(f->list) - f->len, "%s|%s|%lld|%s\n",
				   ev->tag, ev->text, (long long)ev->value, ev->fields);
	if (f->len >= sizeof(f->list))
		f->len = sizeof(f->list) - 1;
	f->alarms += ev->alarm;
	return 0;
}

static void query(struct smved *sm, int64_t after, struct found *f)
{
	struct journal_filter flt = { .type = "limit", .after_id = after };

	memset(f, 0, sizeof(*f));
	journal_query(sm->journal, &flt, collect, f);
}

static void set_ai(struct smved *sm, const char *tag, double eng, uint8_t q, double t_s)
{
	const struct point *p = store_find(sm->store, tag);

	if (!p)
		return;
	store_set_raw(sm->store, p->id, (uint32_t)((eng / p->scale) + 0.5) | (uint32_t)q << 14, q,
		      S(t_s) + S(1700000000), smved_now_us());
	event_base_loop(sm->base, EVLOOP_NONBLOCK);
}

struct flood {
	int n;
	bool alternating;
	int64_t last_value;
};

static int flood_cb(const struct journal_event *ev, void *arg)
{
	struct flood *f = arg;

	if (!strstr(ev->fields, "\"limit\":\"max\""))
		return 0;
	f->alternating = f->n ? f->alternating && ev->value != f->last_value : ev->value == 1;
	f->last_value = ev->value;
	f->n++;
	return 0;
}

static void daemon_run(void)
{
	struct smved sm = { 0 };
	struct source_points sp = { 0 };
	struct journal_opts jo = { 0 };
	struct limits *l;
	struct diags dg;
	struct found f;
	char path[600], err[256] = "";
	int64_t mark;

	sm.cfg = load("1,1,1,0,Tensión Barra,E9VV,Kv,0.02,34.5,31.5,7,,,6,0.4\n"
		      "2,1,2,0,Corriente,E9II,A,0.1,,,7,5,,6,\n", &dg);
	if (!OK(sm.cfg, "configuration (%s)", dg.text))
		return;
	snprintf(path, sizeof(path), "%s/journal.db", dir);
	jo.path = path;
	sm.base = event_base_new();
	sm.store = store_new();
	sm.journal = journal_open(&jo, err, sizeof(err));
	if (!OK(sm.base && sm.store && sm.journal, "loop, store, journal (%s)", err))
		return;
	sheets_bind(sm.cfg->sheets, sm.store, "E9", "E9", &sm.cfg->concs->layout, 9, &sp);
	l = limits_new(&sm);
	if (!OK(l, "limits_new"))
		return;
	set_ai(&sm, "E9VV", 33.0, 0, 0);
	set_ai(&sm, "E9VV", 35.0, 0, 1);
	set_ai(&sm, "E9VV", 35.2, 0, 2);
	query(&sm, 0, &f);
	OK(strstr(f.list, "E9VV|Tensión Barra VALOR MAX: 35 Kv (limit 34.5)|1|{\"limit\":\"max\","
		  "\"state\":\"raised\"") != NULL && f.alarms == 1,
	   "crossing valuemax journals one alarm with the sheet's text");
	if (f.len)
		tap_diag("%s", f.list);
	mark = journal_last_id(sm.journal);
	set_ai(&sm, "E9VV", 33.0, 1, 3);
	set_ai(&sm, "E9VV", 33.0, 0, 4);
	set_ai(&sm, "E9VV", 33.0, 0, 5);
	query(&sm, mark, &f);
	OK(strstr(f.list, "E9VV|Tensión Barra VALOR MAX returned to normal: 33 Kv|0|") &&
	   !f.alarms && !strchr(strchr(f.list, '\n') + 1, '|'),
	   "back in the band: one return-to-normal event, not an alarm (the q=1 sample decided nothing)");
	if (f.len)
		tap_diag("%s", f.list);
	set_ai(&sm, "E9VV", 30.0, 0, 6);
	set_ai(&sm, "E9II", 100, 0, 6);
	set_ai(&sm, "E9II", 130, 0, 10);	/* 7.5 A/s > deltah 5 A/s */
	query(&sm, 0, &f);
	OK(strstr(f.list, "E9VV|Tensión Barra VALOR MIN: 30 Kv (limit 31.5)|1|") &&
	   strstr(f.list, "E9II|Corriente DELTA MAX: 7.5 A/s (limit 5)|1|"),
	   "valuemin and deltah alarms with their texts");

	/* A flood faster than the journal: decisions beyond the queue are deferred, never lost. */
	{
		const struct point *vv = store_find(sm.store, "E9VV");
		struct journal_filter flt = { .type = "limit", .after_id = journal_last_id(sm.journal),
					      .tag_prefix = "E9VV", .limit = 10000 };
		struct flood fl = { 0 };

		/* Odd count: the flood ends at 33 kV while the last journalled event is a raise. */
		for (int i = 0; vv && i < 5001; i++)
			store_set_raw(sm.store, vv->id, i % 2 ? 1750 : 1650, 0,
				      S(100 + i) + S(1700000000), smved_now_us());
		event_base_loop(sm.base, EVLOOP_NONBLOCK);
		journal_query(sm.journal, &flt, flood_cb, &fl);
		OK(fl.n > 1000 && fl.n < 5000 && fl.alternating && fl.last_value == 1,
		   "5001 crossings without the loop running: %d journalled, strictly alternating", fl.n);
		set_ai(&sm, "E9VV", 33.0, 0, 5200);
		flt.after_id = 0;
		flt.newest_first = true;
		flt.limit = 1;
		memset(&fl, 0, sizeof(fl));
		journal_query(sm.journal, &flt, flood_cb, &fl);
		OK(fl.last_value == 0, "the next sample at 33 kV returns MAX in the journal too (deferred,"
		   " not lost)");
		set_ai(&sm, "E9VV", 30.0, 0, 5202);
	}
	mark = journal_last_id(sm.journal);

	/* Restart: the two open alarms come back from the journal, no new raise. */
	limits_free(l);
	l = limits_new(&sm);
	set_ai(&sm, "E9VV", 30.1, 0, 11);
	query(&sm, mark, &f);
	OK(f.len == 0, "after a restart an alarm still beyond its limit is not raised again");
	set_ai(&sm, "E9VV", 33.0, 0, 12);
	query(&sm, mark, &f);
	OK(strstr(f.list, "VALOR MIN returned to normal") != NULL,
	   "after a restart the rebuilt alarm returns to normal");
	limits_free(l);
	source_points_free(&sp);
	config_free(sm.cfg);

	/* Reload without E9II's deltah: its open DELTA MAX alarm is closed. */
	sm.cfg = load("1,1,1,0,Tensión Barra,E9VV,Kv,0.02,34.5,31.5,7,,,6,0.4\n"
		      "2,1,2,0,Corriente,E9II,A,0.1,,,7,,,6,\n", &dg);
	memset(&sp, 0, sizeof(sp));
	sheets_bind(sm.cfg->sheets, sm.store, "E9", "E9", &sm.cfg->concs->layout, 9, &sp);
	mark = journal_last_id(sm.journal);
	l = limits_new(&sm);
	event_base_loop(sm.base, EVLOOP_NONBLOCK);
	query(&sm, mark, &f);
	OK(strstr(f.list, "E9II|Corriente DELTA MAX: alarm closed, the limit was removed") &&
	   !f.alarms, "an open alarm whose limit was removed is closed (%s)", f.list);
	limits_free(l);
	source_points_free(&sp);
	config_free(sm.cfg);
	journal_close(sm.journal);
	store_free(sm.store);
	event_base_free(sm.base);
}

int main(void)
{
	char path[600];

	machine();
	rates();
	if (!OK(mkdtemp(dir), "temporary folder"))
		return tap_done();
	check_config();
	daemon_run();
	for (const char *const *f = (const char *const[]){ "ied.csv", "ai.csv", "smved.conf",
							   "journal.db", "journal.db-wal",
							   "journal.db-shm", NULL };
	     *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	if (rmdir(dir) < 0)
		tap_diag("cannot remove %s", dir);
	return tap_done();
}
