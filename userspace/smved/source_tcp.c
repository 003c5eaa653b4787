// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mara/TCP concentrator source.  The protocol decisions (SEQ, retries,
 * stale replies, PEH timing) are libsmve's master; this file only moves
 * bytes, keeps one timer at the master's deadline, and owns the two things
 * the master cannot do: storing values and durably journalling events
 * before the master may use a new SEQ.
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
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <smve/master.h>

#include "events.h"
#include "journal.h"
#include "sheets.h"
#include "source_tcp.h"
#include "sources.h"
#include "store.h"
#include "tz.h"

#define CONNECT_TIMEOUT_MS	5000

enum conn_state { ST_WAIT, ST_CONNECTING, ST_UP };

struct ctl_slot {
	bool used;
	uint32_t tag;
	void (*done)(int result, void *arg);
	void *arg;
};

struct source_tcp {
	struct smved *sm;
	struct conc_config cfg;
	char key[64];			/* journal state key */
	struct smve_master m;
	struct smve_backoff bo;
	struct bufferevent *bev;
	struct event *timer;		/* connect timeout, master deadline or reconnect */
	enum conn_state st;
	size_t tx_inflight;		/* bytes handed to the socket, not yet drained */
	struct source_points sp;
	bool online;
	bool conn_replied;		/* a valid reply on this connection */
	bool ied_nr[MARA_LAYOUT_MAX];	/* SV bit 4: IED not responding */
	bool layout_bad;
	struct smve_master_state saved;	/* what the journal holds (durably) */
	bool saved_valid;
	struct journal_batch *batch;	/* the reply's batch while it is built */
	bool persisting;		/* a state-only batch in flight: nothing goes out */
	struct ctl_slot ctl[SMVE_MASTER_CONTROL_QUEUE];
	uint32_t next_tag;
	struct smved_source_info info;
	uint64_t events, duplicates;
};

static uint64_t now_ms(void)
{
	return (uint64_t)(smved_mono_us() / 1000);
}

static void drive(struct source_tcp *s);
static void close_conn(struct source_tcp *s, const char *why);

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
	struct journal_batch *b;

	if (in_batch) {
		/* An incomplete reply batch is dropped whole (on_reply re-asks the SEQ). */
		if (s->batch && journal_batch_add(s->batch, ev) < 0) {
			journal_batch_free(s->batch);
			s->batch = NULL;
		}
		return;
	}
	b = journal_batch_new();
	if (!b || journal_batch_add(b, ev) < 0) {
		journal_batch_free(b);
		smved_log(LOG_ERR, "%s: out of memory: event \"%s\" not journalled", s->cfg.name,
			  ev->text ? ev->text : "");
		return;
	}
	journal_submit(s->sm->journal, b, s, side_done, NULL, 0);
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

static void set_online(struct source_tcp *s, bool online, const char *why,
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
			close_conn(s, "cannot persist the SEQ state");
		return;
	}
	s->saved = cx.ms;
	s->saved_valid = true;
	if (s->st == ST_UP)
		drive(s);
}

/*
 * Can the request about to go out be recovered after a crash?  1 yes (send
 * it), 0 its state was queued for the journal (drive() again when durable),
 * -1 error.  The journal need not hold {seq, incomplete} when it holds
 * {previous, complete}: a restart then sends the SEQ after it, which is
 * this one; so a plain poll costs no write of its own, only its reply's.
 */
static int persist_state(struct source_tcp *s)
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
			close_conn(s, "journal commit failed; will re-ask the same SEQ");
		return;
	}
	s->events += res->stored;
	s->duplicates += res->duplicates;
	s->saved = cx.ms;
	s->saved_valid = true;
	if (res->duplicates)
		smved_log(LOG_INFO, "%s: SEQ %02X: %u event(s) dropped as duplicates",
			  s->cfg.name, cx.ms.last_seq, res->duplicates);
	smve_master_commit(&s->m, cx.ms.last_seq, now_ms());
	if (s->st == ST_UP)
		drive(s);
}

/*
 * REPLY or STALE: queue the events with the state the master names (a stale reply leaves the SEQ
 * incomplete while its genuine reply may still come); reply_done() commits the SEQ.
 */
static void on_reply(struct source_tcp *s, const struct smve_master_result *r)
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
		set_online(s, true, NULL, true);
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
	close_conn(s, "cannot queue the reply for the journal; will re-ask the same SEQ");
}

static int control_result(enum smve_control_status st)
{
	switch (st) {
	case SMVE_CONTROL_OK:
		return 0;
	case SMVE_CONTROL_REFUSED:
		return -EPERM;
	case SMVE_CONTROL_MISMATCH:
		return -EPROTO;
	default:
		return -ETIMEDOUT;
	}
}

static void on_control(struct source_tcp *s, const struct smve_master_result *r)
{
	for (unsigned i = 0; i < SMVE_MASTER_CONTROL_QUEUE; i++) {
		struct ctl_slot *c = &s->ctl[i];

		if (c->used && c->tag == r->control_tag) {
			c->used = false;
			smved_log(LOG_NOTICE, "%s: control port %u bit %u state %u: %s",
				  s->cfg.name, r->control.port, r->control.bit,
				  r->control.state,
				  smve_control_status_name(r->control_status));
			if (c->done)
				c->done(control_result(r->control_status), c->arg);
			return;
		}
	}
}

static void handle(struct source_tcp *s, const struct smve_master_result *r)
{
	switch (r->kind) {
	case SMVE_MR_REPLY:
	case SMVE_MR_STALE:
		if (r->needs_commit)
			on_reply(s, r);
		break;
	case SMVE_MR_RETRY:
		smved_log(LOG_DEBUG, "%s: SEQ %02X attempt %u failed: %s", s->cfg.name,
			  r->seq, r->attempt, smve_master_reason_name(r->reason));
		break;
	case SMVE_MR_GIVE_UP: {
		char why[96];

		snprintf(why, sizeof(why), "no valid reply to SEQ %02X after %u attempts (%s)",
			 r->seq, r->attempt, smve_master_reason_name(r->reason));
		close_conn(s, why);
		break;
	}
	case SMVE_MR_CONTROL:
		on_control(s, r);
		break;
	case SMVE_MR_PEH:
		smved_log(LOG_INFO, "%s: PEH %04u-%02u-%02u %02u:%02u:%02u (station time)",
			  s->cfg.name, r->peh_time.year, r->peh_time.month, r->peh_time.day,
			  r->peh_time.hour, r->peh_time.minute, r->peh_time.second);
		break;
	case SMVE_MR_DROPPED:
		smved_log(LOG_DEBUG, "%s: frame dropped: %s", s->cfg.name,
			  smve_master_reason_name(r->reason));
		break;
	default:
		break;
	}
}

/* --- I/O ---------------------------------------------------------------------------- */

static void arm_timer_ms(struct source_tcp *s, uint64_t delay_ms)
{
	struct timeval tv = { .tv_sec = (time_t)(delay_ms / 1000),
			      .tv_usec = (suseconds_t)(delay_ms % 1000) * 1000 };

	evtimer_add(s->timer, &tv);
}

static void drive(struct source_tcp *s)
{
	struct smve_master_result r;
	const uint8_t *out;
	uint64_t now = now_ms(), dl;
	size_t n;

	/* Bounded: a master that kept reporting must not starve the loop. */
	for (int i = 0; i < 64 && s->st == ST_UP && smve_master_tick(&s->m, now, &r); i++)
		handle(s, &r);
	if (s->st != ST_UP)
		return;
	if (!s->tx_inflight && !s->persisting && (n = smve_master_output(&s->m, &out)) > 0) {
		/* M1: the SEQ this request carries is recoverable from disk before it leaves. */
		int p = persist_state(s);

		if (p < 0) {
			close_conn(s, "cannot persist the SEQ state");
			return;
		}
		if (p > 0 && bufferevent_write(s->bev, out, n) < 0) {
			close_conn(s, "socket write failed");
			return;
		}
		if (p > 0)
			s->tx_inflight = n;
	}
	dl = smve_master_deadline(&s->m);
	evtimer_del(s->timer);
	if (dl != SMVE_MASTER_NO_DEADLINE)
		arm_timer_ms(s, dl > now ? dl - now : 0);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct source_tcp *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;

	/*
	 * A reply can be read before the deferred write callback ran; the
	 * request is certainly out by then, so tell the master first.
	 */
	if (s->tx_inflight && !evbuffer_get_length(bufferevent_get_output(bev))) {
		smve_master_written(&s->m, s->tx_inflight, now_ms());
		s->tx_inflight = 0;
	}
	while (s->st == ST_UP && (len = evbuffer_get_length(in)) > 0) {
		size_t n = len < 4096 ? len : 4096, rem = n;
		const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
		struct smve_master_result r;

		if (!p)
			break;
		while (smve_master_input(&s->m, now_ms(), &p, &rem, &r)) {
			handle(s, &r);
			if (s->st != ST_UP)
				return;	/* bev is gone */
		}
		evbuffer_drain(in, n - rem);
		if (rem == n)
			break;	/* nothing consumed: never spin */
	}
	drive(s);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct source_tcp *s = arg;

	(void)bev;
	if (s->tx_inflight) {
		/* Output drained to the kernel: the reply timeout starts now (§7.3). */
		smve_master_written(&s->m, s->tx_inflight, now_ms());
		s->tx_inflight = 0;
	}
	drive(s);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct source_tcp *s = arg;
	char why[400];

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1, fd = bufferevent_getfd(bev);

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		s->st = ST_UP;
		s->conn_replied = false;
		s->info.connects++;
		evtimer_del(s->timer);
		smved_log(LOG_INFO, "%s: connected to %s:%u", s->cfg.name, s->cfg.host,
			  s->cfg.port);
		smve_master_connected(&s->m, now_ms());
		drive(s);
		return;
	}
	if (what & BEV_EVENT_EOF)
		snprintf(why, sizeof(why), "connection closed by the peer");
	else if ((what & BEV_EVENT_ERROR) && bufferevent_socket_get_dns_error(bev))
		snprintf(why, sizeof(why), "cannot resolve %s: %s", s->cfg.host,
			 evutil_gai_strerror(bufferevent_socket_get_dns_error(bev)));
	else
		snprintf(why, sizeof(why), "%s: %s",
			 s->st == ST_CONNECTING ? "connect failed" : "connection error",
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	close_conn(s, why);
}

static void start_connect(struct source_tcp *s)
{
	s->bev = bufferevent_socket_new(s->sm->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!s->bev) {
		close_conn(s, "cannot create a socket");
		return;
	}
	bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* A connecting bufferevent must not be used for writes until CONNECTED. */
	s->st = ST_CONNECTING;
	s->tx_inflight = 0;
	arm_timer_ms(s, CONNECT_TIMEOUT_MS);
	if (bufferevent_socket_connect_hostname(s->bev, sources_dns(s->sm->sources),
						AF_UNSPEC, s->cfg.host, s->cfg.port) < 0) {
		close_conn(s, "connect failed");
		return;
	}
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct source_tcp *s = arg;

	(void)fd;
	(void)what;
	switch (s->st) {
	case ST_WAIT:
		start_connect(s);
		break;
	case ST_CONNECTING:
		close_conn(s, "connect timed out");
		break;
	case ST_UP:
		drive(s);
		break;
	}
}

static void close_conn(struct source_tcp *s, const char *why)
{
	struct smve_master_result r;
	uint32_t delay;

	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
		s->info.disconnects++;
	}
	s->st = ST_WAIT;
	s->tx_inflight = 0;
	smve_master_disconnected(&s->m, now_ms());
	/* An outstanding 0x13 is now reported UNKNOWN; nothing else may start while down. */
	for (int i = 0; i < 2 * SMVE_MASTER_CONTROL_QUEUE && smve_master_tick(&s->m, now_ms(), &r);
	     i++)
		if (r.kind == SMVE_MR_CONTROL)
			on_control(s, &r);
	set_online(s, false, why, false);
	delay = smve_backoff_next(&s->bo);
	smved_log(LOG_INFO, "%s: %s; reconnecting in %u ms", s->cfg.name, why, delay);
	evtimer_del(s->timer);
	arm_timer_ms(s, delay);
}

/* --- life cycle ------------------------------------------------------------------------ */

static int peh_clock(void *ctx, int64_t *local_secs, uint32_t *nsec)
{
	struct source_tcp *s = ctx;
	struct timespec ts;

	/* §6.4: never impose a time we do not trust. */
	if (!sources_clock_ok(s->sm))
		return 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	*local_secs = (int64_t)ts.tv_sec + tz_offset(s->cfg.timezone, ts.tv_sec);
	*nsec = (uint32_t)ts.tv_nsec;
	return 0;
}

int source_tcp_rebind(struct source_tcp *s)
{
	struct source_points sp;

	if (sheets_bind(s->sm->cfg->sheets, s->sm->store, s->cfg.name, s->cfg.station,
			&s->cfg.layout, s->cfg.comaster_id, &sp) < 0)
		return -1;
	source_points_free(&s->sp);
	s->sp = sp;
	return 0;
}

struct source_tcp *source_tcp_new(struct smved *sm, const struct conc_config *cc)
{
	struct source_tcp *s = calloc(1, sizeof(*s));
	struct smve_master_config mc;
	struct journal_state js;
	struct smve_master_state ms;
	int rc, found;

	if (!s)
		return NULL;
	s->sm = sm;
	s->cfg = *cc;
	s->cfg.next = NULL;
	snprintf(s->key, sizeof(s->key), "tcp:%s", cc->name);
	s->info.name = s->cfg.name;
	s->info.kind = "concentrator";
	s->info.station = s->cfg.station;
	if (source_tcp_rebind(s) < 0)
		goto fail;
	smve_master_config_defaults(&mc);
	mc.src = cc->src;
	mc.dst = cc->dst;
	mc.dialect = cc->dialect;
	mc.layout = cc->layout;
	mc.poll_interval_ms = cc->poll_interval_ms;
	mc.reply_timeout_ms = cc->timeout_ms;
	mc.retries = cc->retries;
	mc.peh_interval_s = cc->peh_interval_s;
	mc.peh_enabled = cc->peh;
	mc.clock = peh_clock;
	mc.clock_ctx = s;
	found = journal_get_state(sm->journal, s->key, &js);
	if (found < 0)
		goto fail;
	ms.last_seq = (uint8_t)(js.seq >= 0 ? js.seq : 0);
	ms.complete = js.complete;
	rc = smve_master_init(&s->m, &mc, found > 0 ? &ms : NULL);
	if (rc < 0) {
		smved_log(LOG_ERR, "%s: invalid master configuration: %s", cc->name,
			  mara_strerror(-rc));
		goto fail;
	}
	if (found > 0) {
		smved_log(LOG_INFO, "%s: resuming after SEQ %02X (%s)", cc->name,
			  ms.last_seq, ms.complete ? "complete" : "incomplete: re-asking it");
		s->saved = ms;
		s->saved_valid = true;
	}
	/* Jitter seeds differ per source so that restarts do not reconnect in lockstep. */
	smve_backoff_init(&s->bo, (uint32_t)smved_mono_us() ^ (uint32_t)(uintptr_t)s);
	s->timer = evtimer_new(sm->base, timer_cb, s);
	if (!s->timer)
		goto fail;
	/* Offline until the first valid reply, without an event: nothing was lost yet. */
	{
		int64_t now = smved_now_us();

		store_batch_begin(sm->store);
		store_set_raw(sm->store, s->sp.comm_id, 0, 0, now, now);
		store_set_stale(sm->store, s->cfg.name, -1, true);
		store_batch_end(sm->store);
	}
	start_connect(s);
	return s;
fail:
	source_tcp_free(s);
	return NULL;
}

void source_tcp_free(struct source_tcp *s)
{
	if (!s)
		return;
	/* Batches in flight still commit; nobody must be called back. */
	journal_cancel(s->sm->journal, s);
	journal_batch_free(s->batch);
	if (s->timer) {
		/*
		 * A clean stop leaves the exact SEQ sent on disk (queued after the
		 * batches in flight, so it is the last word) rather than the
		 * {previous, complete} that also recovers it after a crash.
		 */
		struct smve_master_state ms;
		struct journal_state js = { 0 };
		struct journal_batch *b = journal_batch_new();

		smve_master_take_state(&s->m, &ms);
		js.seq = ms.last_seq;
		js.complete = ms.complete;
		if (b && (!s->saved_valid || ms.last_seq != s->saved.last_seq ||
			  ms.complete != s->saved.complete) &&
		    !journal_batch_state(b, s->key, &js))
			journal_submit(s->sm->journal, b, NULL, NULL, NULL, 0);
		else
			journal_batch_free(b);
	}
	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	for (unsigned i = 0; i < SMVE_MASTER_CONTROL_QUEUE; i++)
		if (s->ctl[i].used && s->ctl[i].done)
			s->ctl[i].done(-ENOTCONN, s->ctl[i].arg);
	if (s->timer) {
		store_set_stale(s->sm->store, s->cfg.name, -1, true);
		event_free(s->timer);
	}
	source_points_free(&s->sp);
	free(s);
}

const struct conc_config *source_tcp_config(const struct source_tcp *s)
{
	return &s->cfg;
}

void source_tcp_info(const struct source_tcp *s, struct smved_source_info *si)
{
	struct smve_master_stats ms;

	smve_master_get_stats(&s->m, &ms);
	*si = s->info;
	si->online = s->online;
	si->polls = ms.polls;
	si->replies = ms.replies;
	si->timeouts = ms.timeouts;
	si->retries = ms.retries;
	si->stale_replies = ms.stale;
	si->bad_frames = ms.malformed + ms.bad_cmd + ms.framing.bad_bcc +
			 ms.framing.bad_qty;
	si->peh_sent = ms.peh_sent;
	si->events = s->events;
	si->duplicates = s->duplicates;
}

int source_tcp_control(struct source_tcp *s, uint32_t id, int state,
		       void (*done)(int result, void *arg), void *arg)
{
	const struct binding *b = NULL;
	struct mara_control c;
	struct ctl_slot *slot = NULL;

	for (size_t i = 0; i < s->sp.n; i++)
		if (s->sp.b[i].id == id && s->sp.b[i].kind == POINT_DI)
			b = &s->sp.b[i];
	/* Only the COMaster's own outputs: 0x13 is addressed to it, not bridged. */
	if (!b || b->addr != s->cfg.dst || b->local > 7 || state < 0 || state > 1)
		return -ENOENT;
	if (s->st != ST_UP)
		return -ENOTCONN;
	for (unsigned i = 0; i < SMVE_MASTER_CONTROL_QUEUE && !slot; i++)
		if (!s->ctl[i].used)
			slot = &s->ctl[i];
	if (!slot)
		return -EBUSY;
	c.port = (u8)b->local;
	c.bit = (u8)b->bit;
	c.state = (u8)state;
	if (smve_master_control(&s->m, &c, ++s->next_tag) < 0)
		return -EBUSY;
	*slot = (struct ctl_slot){ .used = true, .tag = s->next_tag, .done = done,
				   .arg = arg };
	drive(s);
	return 0;
}
