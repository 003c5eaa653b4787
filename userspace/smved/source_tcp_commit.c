// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mara/TCP concentrator source, durability side: what a reply does (values
 * stored, events and the SEQ state journalled) and what must be durable
 * before a request goes out.  source_tcp.c moves the bytes.
 *
 * Order of durability, per reply: the events and the state {seq, complete}
 * go to the journal's writer thread as one batch (group commit, off the
 * loop); only its completion calls smve_master_commit(), so no new SEQ can
 * acknowledge events that are not on disk.  Before a SEQ goes out the
 * journal must be able to recover it: either it holds {seq, incomplete},
 * or it holds {previous SEQ, complete}, from which a restart sends this
 * same SEQ anyway (docs/design-notes.md, "SEQ state and group commit").
 * Values are applied when the reply arrives: they acknowledge nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "journal.h"
#include "source_tcp_int.h"
#include "store.h"

/* --- journal helpers ----------------------------------------------------------- */

/* Carried with a batch to its completion (journal_submit's user data). */
struct commit_ctx {
	uint64_t nr_before;		/* ied_nr[] before the reply, one bit per IED */
	struct smve_master_state ms;	/* the state the batch persists */
	bool layout_before;
};

static void side_done(void *owner, const struct journal_result *res, void *user)
{
	struct source_tcp *s = owner;

	(void)user;
	s->events += res->stored;
}

/* An event outside a reply (connection lost): its own batch, nothing waits for it. */
static void add_event(struct source_tcp *s, const struct journal_new *ev, bool in_batch)
{
	if (in_batch) {
		/* An incomplete reply batch is dropped whole (on_reply re-asks the SEQ). */
		if (s->batch && journal_batch_add(s->batch, ev) < 0) {
			journal_batch_free(s->batch);
			s->batch = NULL;
		}
		return;
	}
	if (journal_submit_one(s->sm->journal, ev, s, side_done) < 0)
		smved_log(LOG_ERR, "%s: event \"%s\" could not be queued for the journal", s->cfg.name,
			  ev->text ? ev->text : "");
}

static void comm_event(struct source_tcp *s, int ied, bool online, const char *why,
		       bool in_batch)
{
	struct journal_new ev = {
		.source = s->cfg.name, .station = s->cfg.station, .ied = ied,
		.type = "comm", .rx_us = smved_now_us(), .value = online,
		.alarm = !online,
	};
	const struct point *p = store_get(s->sm->store, ied < 0 ? s->sp.comm_id :
					  s->sp.ied_comm[0]);
	char text[256], tag[STORE_TAG_MAX];

	if (ied >= 0)
		snprintf(tag, sizeof(tag), "%s.%d.COMM", s->cfg.station, ied);
	else
		snprintf(tag, sizeof(tag), "%s", p ? p->tag : "");
	ev.tag = tag;
	if (ied < 0)
		snprintf(text, sizeof(text), "concentrator %s %s%s%s", s->cfg.name,
			 online ? "online" : "offline", why ? ": " : "", why ? why : "");
	else
		snprintf(text, sizeof(text), "%s IED %d %s", s->cfg.station, ied,
			 online ? "responding again" : "not responding (CalifNoResp)");
	ev.text = text;
	add_event(s, &ev, in_batch);
}

void source_tcp_set_online(struct source_tcp *s, bool online, const char *why,
		       bool in_batch)
{
	int64_t now = smved_now_us();

	if (s->online == online)
		return;
	s->online = online;
	store_batch_begin(s->sm->store);
	store_set_raw(s->sm->store, s->sp.comm_id, online, 0, now, now);
	if (!online) {
		/* §5.12 rule 2: every value of a lost concentrator is stale. */
		store_set_stale(s->sm->store, s->cfg.name, -1, true);
		for (unsigned i = 0; i < s->cfg.layout.count; i++)
			store_set_raw(s->sm->store, s->sp.ied_comm[i], 0, 0, now, now);
	}
	store_batch_end(s->sm->store);
	smved_log(online ? LOG_NOTICE : LOG_WARNING, "%s: %s%s%s", s->cfg.name,
		  online ? "online" : "offline", why ? ": " : "", why ? why : "");
	comm_event(s, -1, online, why, in_batch);
}

static void state_done(void *owner, const struct journal_result *res, void *user)
{
	struct source_tcp *s = owner;
	struct commit_ctx cx;

	memcpy(&cx, user, sizeof(cx));
	s->persisting = false;
	if (res->status < 0) {
		if (s->st != ST_WAIT)
			source_tcp_close(s, "cannot persist the SEQ state");
		return;
	}
	s->saved = cx.ms;
	s->saved_valid = true;
	if (s->st == ST_UP)
		source_tcp_drive(s);
}

/*
 * Can the request about to go out be recovered after a crash?  1 yes (send
 * it), 0 its state was queued for the journal (drive() again when durable),
 * -1 error.  The journal need not hold {seq, incomplete} when it holds
 * {previous, complete}: a restart then sends the SEQ after it, which is
 * this one; so a plain poll costs no write of its own, only its reply's.
 */
int source_tcp_persist_state(struct source_tcp *s)
{
	struct smve_master_state ms;
	struct journal_state js = { 0 };
	struct commit_ctx cx = { 0 };
	struct journal_batch *b;

	smve_master_take_state(&s->m, &ms);
	if (s->saved_valid && ms.last_seq == s->saved.last_seq &&
	    ms.complete == s->saved.complete)
		return 1;
	if (s->saved_valid && s->saved.complete && !ms.complete &&
	    smve_master_seq_next(s->saved.last_seq) == ms.last_seq)
		return 1;
	js.seq = ms.last_seq;
	js.complete = ms.complete;
	cx.ms = ms;
	b = journal_batch_new();
	if (!b || journal_batch_state(b, s->key, &js) < 0) {
		journal_batch_free(b);
		return -1;
	}
	s->persisting = true;
	if (journal_submit(s->sm->journal, b, s, state_done, &cx, sizeof(cx)) < 0) {
		s->persisting = false;
		return -1;
	}
	return 0;
}

/* --- replies ---------------------------------------------------------------------- */

/* SV byte 0 bit 4 of each meter group: journal transitions (inside the reply's batch). */
static void ied_flags(struct source_tcp *s, const struct smve_master_result *r)
{
	const struct mara_sections *sec = &r->sections;

	if (r->view_count != s->cfg.layout.count)
		return;
	for (unsigned i = 0; i < r->view_count; i++) {
		const struct mara_ied_view *v = &r->views[i];
		bool nr;

		if (!v->complete || !v->sv_len)
			continue;
		nr = v->addr != MARA_ADDR_COMASTER && (sec->sv[v->sv_off] & 0x10);
		if (nr != s->ied_nr[i]) {
			s->ied_nr[i] = nr;
			comm_event(s, v->addr, !nr, NULL, true);
		}
	}
}

static void layout_check(struct source_tcp *s, const struct smve_master_result *r)
{
	bool bad = r->kind == SMVE_MR_REPLY && s->cfg.layout.count && r->bind_flags;
	char text[256];

	if (bad)
		s->info.layout_errors++;
	if (bad == s->layout_bad)
		return;
	s->layout_bad = bad;
	if (bad)
		snprintf(text, sizeof(text), "reply does not match the layout: SV %u/%u"
			 " bytes, DI %u/%u words, AI %u/%u words (actual/expected);"
			 " values of incomplete IEDs not applied", r->bind.sv_actual,
			 r->bind.sv_expected, r->bind.di_actual, r->bind.di_expected,
			 r->bind.ai_actual, r->bind.ai_expected);
	else
		snprintf(text, sizeof(text), "replies match the layout again");
	smved_log(bad ? LOG_WARNING : LOG_NOTICE, "%s: %s", s->cfg.name, text);
	{
		struct journal_new ev = { .source = s->cfg.name, .station = s->cfg.station,
					  .ied = -1, .type = "layout", .rx_us = smved_now_us(),
					  .value = !bad, .alarm = bad, .text = text };

		add_event(s, &ev, true);
	}
}

static uint64_t nr_mask(const struct source_tcp *s)
{
	uint64_t m = 0;

	for (unsigned i = 0; i < MARA_LAYOUT_MAX; i++)
		m |= (uint64_t)s->ied_nr[i] << i;
	return m;
}

/* The reply's batch is durable (or failed): only now may the master use a new SEQ. */
static void reply_done(void *owner, const struct journal_result *res, void *user)
{
	struct source_tcp *s = owner;
	struct commit_ctx cx;

	memcpy(&cx, user, sizeof(cx));
	if (res->status < 0) {
		/* The transitions journalled in the lost batch must be seen again. */
		for (unsigned i = 0; i < MARA_LAYOUT_MAX; i++)
			s->ied_nr[i] = (cx.nr_before >> i) & 1;
		s->layout_bad = cx.layout_before;
		/*
		 * Nothing of this reply is stored.  Do not commit: the master keeps
		 * the SEQ, and after a reconnect the COMaster resends the same reply
		 * (slave rule 1), so the events get another chance to be stored.
		 */
		if (s->st != ST_WAIT)
			source_tcp_close(s, "journal commit failed; will re-ask the same SEQ");
		return;
	}
	s->events += res->stored;
	s->duplicates += res->duplicates;
	s->saved = cx.ms;
	s->saved_valid = true;
	if (res->duplicates)
		smved_log(LOG_INFO, "%s: SEQ %02X: %u event(s) dropped as duplicates",
			  s->cfg.name, cx.ms.last_seq, res->duplicates);
	smve_master_commit(&s->m, cx.ms.last_seq, source_tcp_now_ms());
	if (s->st == ST_UP)
		source_tcp_drive(s);
}

/*
 * REPLY or STALE: queue the events with the state the master names (a stale reply leaves the SEQ
 * incomplete while its genuine reply may still come); reply_done() commits the SEQ.
 */
void source_tcp_on_reply(struct source_tcp *s, const struct smve_master_result *r)
{
	struct event_ctx ec = {
		.source = s->cfg.name, .station = s->cfg.station,
		.timezone = s->cfg.timezone, .dialect = s->cfg.dialect,
		.store = s->sm->store, .sheets = s->sm->cfg->sheets, .sp = &s->sp,
	};
	struct journal_state js = { .seq = r->seq, .complete = r->persist_complete };
	struct commit_ctx cx = { .nr_before = nr_mask(s), .layout_before = s->layout_bad,
				 .ms = { .last_seq = r->seq, .complete = r->persist_complete } };
	int64_t now = smved_now_us();
	struct journal_batch *b;

	if (r->kind == SMVE_MR_REPLY) {
		s->info.last_reply_us = now;
		smve_backoff_reset(&s->bo);
	} else {
		s->info.stale_replies++;
	}
	s->batch = journal_batch_new();
	if (!s->batch)
		goto fail;
	if (r->kind == SMVE_MR_REPLY && !s->conn_replied) {
		s->conn_replied = true;
		source_tcp_set_online(s, true, NULL, true);
	}
	if (r->kind == SMVE_MR_REPLY) {
		layout_check(s, r);
		ied_flags(s, r);
	}
	for (unsigned i = 0; i < r->event_count && s->batch; i++) {
		struct event_buf buf;
		struct journal_new ev;

		event_to_journal(&ec, &r->events[i], now, &buf, &ev);
		add_event(s, &ev, true);
	}
	if (!s->batch || journal_batch_state(s->batch, s->key, &js) < 0)
		goto fail;
	b = s->batch;
	s->batch = NULL;
	if (journal_submit(s->sm->journal, b, s, reply_done, &cx, sizeof(cx)) < 0)
		goto fail;
	/*
	 * Values now, not after the fsync: they acknowledge nothing, and a reply
	 * whose batch fails is re-asked and applied again.  M3: never a stale one's.
	 */
	if (r->kind == SMVE_MR_REPLY)
		source_apply_values(s->sm->store, &s->sp, r, s->cfg.layout.count, s->ied_nr, now);
	return;
fail:
	journal_batch_free(s->batch);
	s->batch = NULL;
	for (unsigned i = 0; i < MARA_LAYOUT_MAX; i++)
		s->ied_nr[i] = (cx.nr_before >> i) & 1;
	s->layout_bad = cx.layout_before;
	source_tcp_close(s, "cannot queue the reply for the journal; will re-ask the same SEQ");
}
