// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mara/TCP concentrator source.  The protocol decisions (SEQ, retries,
 * stale replies, PEH timing) are libsmve's master; this file only moves
 * bytes, keeps one timer at the master's deadline and queues controls.
 * The two things the master cannot do, storing values and durably
 * journalling events before the master may use a new SEQ, are in
 * source_tcp_commit.c.
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
#include "source_tcp_int.h"
#include "sources.h"
#include "store.h"
#include "tz.h"

#define CONNECT_TIMEOUT_MS	5000

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
			source_tcp_on_reply(s, r);
		break;
	case SMVE_MR_RETRY:
		smved_log(LOG_DEBUG, "%s: SEQ %02X attempt %u failed: %s", s->cfg.name,
			  r->seq, r->attempt, smve_master_reason_name(r->reason));
		break;
	case SMVE_MR_GIVE_UP: {
		char why[96];

		snprintf(why, sizeof(why), "no valid reply to SEQ %02X after %u attempts (%s)",
			 r->seq, r->attempt, smve_master_reason_name(r->reason));
		source_tcp_close(s, why);
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

void source_tcp_drive(struct source_tcp *s)
{
	struct smve_master_result r;
	const uint8_t *out;
	uint64_t now = source_tcp_now_ms(), dl;
	size_t n;

	/* Bounded: a master that kept reporting must not starve the loop. */
	for (int i = 0; i < 64 && s->st == ST_UP && smve_master_tick(&s->m, now, &r); i++)
		handle(s, &r);
	if (s->st != ST_UP)
		return;
	if (!s->tx_inflight && !s->persisting && (n = smve_master_output(&s->m, &out)) > 0) {
		/* M1: the SEQ this request carries is recoverable from disk before it leaves. */
		int p = source_tcp_persist_state(s);

		if (p < 0) {
			source_tcp_close(s, "cannot persist the SEQ state");
			return;
		}
		if (p > 0 && bufferevent_write(s->bev, out, n) < 0) {
			source_tcp_close(s, "socket write failed");
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
		smve_master_written(&s->m, s->tx_inflight, source_tcp_now_ms());
		s->tx_inflight = 0;
	}
	while (s->st == ST_UP && (len = evbuffer_get_length(in)) > 0) {
		size_t n = len < 4096 ? len : 4096, rem = n;
		const uint8_t *p = evbuffer_pullup(in, (ev_ssize_t)n);
		struct smve_master_result r;

		if (!p)
			break;
		while (smve_master_input(&s->m, source_tcp_now_ms(), &p, &rem, &r)) {
			handle(s, &r);
			if (s->st != ST_UP)
				return;	/* bev is gone */
		}
		evbuffer_drain(in, n - rem);
		if (rem == n)
			break;	/* nothing consumed: never spin */
	}
	source_tcp_drive(s);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
	struct source_tcp *s = arg;

	(void)bev;
	if (s->tx_inflight) {
		/* Output drained to the kernel: the reply timeout starts now (§7.3). */
		smve_master_written(&s->m, s->tx_inflight, source_tcp_now_ms());
		s->tx_inflight = 0;
	}
	source_tcp_drive(s);
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
		smve_master_connected(&s->m, source_tcp_now_ms());
		source_tcp_drive(s);
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
	source_tcp_close(s, why);
}

static void start_connect(struct source_tcp *s)
{
	s->bev = bufferevent_socket_new(s->sm->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!s->bev) {
		source_tcp_close(s, "cannot create a socket");
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
		source_tcp_close(s, "connect failed");
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
		source_tcp_close(s, "connect timed out");
		break;
	case ST_UP:
		source_tcp_drive(s);
		break;
	}
}

void source_tcp_close(struct source_tcp *s, const char *why)
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
	smve_master_disconnected(&s->m, source_tcp_now_ms());
	/* An outstanding 0x13 is now reported UNKNOWN; nothing else may start while down. */
	for (int i = 0; i < 2 * SMVE_MASTER_CONTROL_QUEUE && smve_master_tick(&s->m, source_tcp_now_ms(), &r);
	     i++)
		if (r.kind == SMVE_MR_CONTROL)
			on_control(s, &r);
	source_tcp_set_online(s, false, why, false);
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
	source_tcp_drive(s);
	return 0;
}
