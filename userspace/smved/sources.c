// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The set of sources and what they share; see sources.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "config.h"
#include "journal.h"
#include "source_node.h"
#include "source_tcp.h"
#include "sources.h"
#include "store.h"
#include "tz.h"

#define CLOCK_CHECK_S	10

struct tcp_entry {
	struct tcp_entry *next;
	struct source_tcp *src;
};

struct sources {
	struct smved *sm;
	struct evdns_base *dns;
	struct tcp_entry *tcp;
	struct buses *buses;
	struct event *clock_timer;
	int clock_state;		/* -1 unknown, 0 not synchronised, 1 synchronised */
	uint32_t clock_point;
};

static void clock_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sources *ss = arg;

	(void)fd;
	(void)what;
	sources_clock_ok(ss->sm);
}

struct sources *sources_new(struct smved *sm)
{
	struct sources *ss = calloc(1, sizeof(*ss));
	struct point_def d = { .tag = "SMVED.CLOCK_SYNC", .kind = POINT_COMM,
			       .description = "host clock synchronised (PEH allowed)",
			       .source = "smved", .ied = -1, .index = -1, .bit = -1,
			       .channel = -1, .text_id = -1 };
	struct timeval tv = { CLOCK_CHECK_S, 0 };
	int64_t id;

	if (!ss)
		return NULL;
	ss->sm = sm;
	ss->clock_state = -1;
	ss->dns = evdns_base_new(sm->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
				 EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!ss->dns) {
		/* No resolv.conf: numeric hosts still work. */
		ss->dns = evdns_base_new(sm->base, 0);
	}
	id = store_define(sm->store, &d);
	ss->clock_timer = event_new(sm->base, -1, EV_PERSIST, clock_tick, ss);
	if (!ss->dns || id < 0 || !ss->clock_timer) {
		smved_log(LOG_ERR, "cannot set up the sources");
		sources_free(ss);
		return NULL;
	}
	ss->clock_point = (uint32_t)id;
	evtimer_add(ss->clock_timer, &tv);
	return ss;
}

void sources_free(struct sources *ss)
{
	if (!ss)
		return;
	while (ss->tcp) {
		struct tcp_entry *n = ss->tcp->next;

		source_tcp_free(ss->tcp->src);
		free(ss->tcp);
		ss->tcp = n;
	}
	buses_free(ss->buses);
	if (ss->clock_timer)
		event_free(ss->clock_timer);
	if (ss->dns)
		evdns_base_free(ss->dns, 0);
	free(ss);
}

struct evdns_base *sources_dns(struct sources *ss)
{
	return ss->dns;
}

int sources_apply(struct sources *ss)
{
	const struct smved_config *cfg = ss->sm->cfg;
	struct tcp_entry **pp;
	int rc = 0;

	store_mark_begin(ss->sm->store);
	store_define(ss->sm->store, &(struct point_def){
		.tag = "SMVED.CLOCK_SYNC", .kind = POINT_COMM,
		.description = "host clock synchronised (PEH allowed)", .source = "smved",
		.ied = -1, .index = -1, .bit = -1, .channel = -1, .text_id = -1 });
	/* Stop what was removed or changed; rebind what stays. */
	for (pp = &ss->tcp; *pp;) {
		struct tcp_entry *e = *pp;
		const struct conc_config *old = source_tcp_config(e->src);
		const struct conc_config *nc = config_conc(cfg, old->name);

		if (!nc || config_conc_changed(old, nc) || source_tcp_rebind(e->src) < 0) {
			smved_log(LOG_NOTICE, "%s: %s", old->name,
				  nc ? "configuration changed, restarting" : "removed");
			*pp = e->next;
			source_tcp_free(e->src);
			free(e);
			continue;
		}
		pp = &e->next;
	}
	for (const struct conc_config *cc = cfg->concs; cc; cc = cc->next) {
		struct tcp_entry *e;
		bool running = false;

		for (e = ss->tcp; e; e = e->next)
			if (!strcmp(source_tcp_config(e->src)->name, cc->name))
				running = true;
		if (running)
			continue;
		e = calloc(1, sizeof(*e));
		if (!e || !(e->src = source_tcp_new(ss->sm, cc))) {
			smved_log(LOG_ERR, "%s: cannot start", cc->name);
			free(e);
			rc = -1;
			continue;
		}
		e->next = ss->tcp;
		ss->tcp = e;
	}
	if (ss->buses) {
		if (buses_apply(ss->buses) < 0)
			rc = -1;
	} else if (cfg->buses) {
		ss->buses = buses_new(ss->sm);
		if (!ss->buses)
			rc = -1;
	}
	store_mark_end(ss->sm->store);
	journal_attach_store(ss->sm->journal, ss->sm->store);
	/* Raise the clock alarm at start, not only when the first PEH falls due. */
	if (ss->sm->sources == ss)
		sources_clock_ok(ss->sm);
	return rc;
}

bool sources_clock_ok(struct smved *sm)
{
	struct sources *ss = sm->sources;
	bool synced = !sm->cfg->require_clock_sync || host_clock_synced();
	int64_t now = smved_now_us();

	if (!ss || ss->clock_state == (int)synced)
		return synced;
	store_set_raw(sm->store, ss->clock_point, synced, 0, now, now);
	if (ss->clock_state != -1 || !synced) {
		struct journal_new ev = {
			.source = "smved", .station = "smved", .ied = -1, .type = "clock",
			.tag = "SMVED.CLOCK_SYNC", .rx_us = now, .value = synced,
			.alarm = !synced,
			.text = synced ? "host clock synchronised again: PEH resumes" :
				"host clock not synchronised: PEH withheld",
		};

		journal_add(sm->journal, &ev, NULL);
		smved_log(synced ? LOG_NOTICE : LOG_WARNING, "%s", ev.text);
	}
	ss->clock_state = synced;
	/* Buses send PEH from the kernel: tell them at once, not at their next timer. */
	buses_refresh_peh(ss->buses);
	return synced;
}

int smved_sources_foreach(struct smved *sm,
			  int (*fn)(const struct smved_source_info *si, void *arg),
			  void *arg)
{
	if (!sm->sources)
		return 0;
	for (struct tcp_entry *e = sm->sources->tcp; e; e = e->next) {
		struct smved_source_info si;
		int r;

		source_tcp_info(e->src, &si);
		r = fn(&si, arg);
		if (r)
			return r;
	}
	return buses_foreach(sm->sources->buses, fn, arg);
}

int smved_control(struct smved *sm, const char *tag, int state,
		  void (*done)(int result, void *arg), void *arg)
{
	const struct point *p = store_find(sm->store, tag);

	if (!p || p->kind != POINT_DI || !sm->sources)
		return -ENOENT;
	for (struct tcp_entry *e = sm->sources->tcp; e; e = e->next)
		if (!strcmp(source_tcp_config(e->src)->name, p->source))
			return source_tcp_control(e->src, p->id, state, done, arg);
	return buses_control(sm->sources->buses, p->id, state, done, arg);
}
