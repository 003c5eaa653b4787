// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The master against a simulated COMaster (slave rules of spec §3.1) over a hostile channel:
 * lost requests and replies, corrupted and split replies, noise, disconnects, restarts from the
 * persisted state, late commits and 0x13 commands, for many seeded runs.  Invariants checked
 * on every step:
 *   - no event the slave considers acknowledged was never handed to the caller (M1: the only
 *     thing that makes the slave's implicit acknowledgement safe);
 *   - requests carry SEQ 0x20..0x7F, PEH carries 0xBB and goes out only with nothing pending;
 *   - a new SEQ is sent only after the previous transaction was committed (or, for a 0x13,
 *     reported);
 *   - nothing crashes (this test also runs under ASan/UBSan).
 */
#include <smve/master.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define EVENTS_TOTAL	600	/* events the slave produces per run */
#define EV_PER_REPLY	3

static uint32_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return n ? rng % n : 0;
}

/* --- the simulated COMaster -------------------------------------------------------------- */

struct slave {
	int last_seq;			/* -1: none */
	uint8_t reply[256];
	size_t reply_len;
	unsigned int reply_ev[EV_PER_REPLY], reply_nev;
	unsigned int next_event;	/* events produced so far (ids 1..next_event) */
	bool acked[EVENTS_TOTAL + 1];
};

static void slave_build_reply(struct slave *s, uint8_t dst, uint8_t seq)
{
	uint8_t p[64];
	size_t k = 0;
	unsigned int i;

	p[k++] = 1;		/* SV: empty */
	p[k++] = 1;		/* DI: empty */
	p[k++] = 1;		/* AI: empty */
	s->reply_nev = 0;
	for (i = 0; i < EV_PER_REPLY && s->next_event < EVENTS_TOTAL; i++) {
		unsigned int id = ++s->next_event;
		uint8_t ev[10] = { 0x43, 0x00, 14, 1, 13, 16, 15, 0, (uint8_t)id,
				   (uint8_t)(id >> 8) };

		memcpy(p + 4 + 10 * i, ev, 10);
		s->reply_ev[s->reply_nev++] = id;
	}
	p[3] = (uint8_t)(1 + 10 * s->reply_nev);
	k = 4 + 10 * s->reply_nev;
	s->reply_len = (size_t)mara_build(s->reply, sizeof(s->reply), dst, 0x01, seq, 0x10, p, k);
}

/* Process one request; returns the reply length (0: no reply) with the bytes in s->reply. */
static size_t slave_request(struct slave *s, const uint8_t *req, size_t len)
{
	struct mara_frame f;
	unsigned int i;

	if (mara_parse(req, len, &f))
		return 0;
	if (f.dst == 0xFF) {
		s->last_seq = f.seq;	/* rule 4, the production behaviour */
		return 0;
	}
	if (f.dst != 0x01)
		return 0;
	if (f.seq == s->last_seq && s->reply_len)
		return s->reply_len;	/* rule 1 */
	/* rule 2: a new SEQ acknowledges the events of the previous reply */
	for (i = 0; i < s->reply_nev; i++)
		s->acked[s->reply_ev[i]] = true;
	s->reply_nev = 0;
	s->last_seq = f.seq;
	if (f.cmd == 0x13) {
		uint8_t p[3] = { f.payload[0], f.payload[1], f.payload[2] };

		s->reply_len = (size_t)mara_build(s->reply, sizeof(s->reply), f.src, 0x01, f.seq,
						  0x13, p, 3);
	} else {
		slave_build_reply(s, f.src, f.seq);
	}
	return s->reply_len;
}

/* --- one run ---------------------------------------------------------------------------------- */

static int fake_clock(void *ctx, int64_t *secs, uint32_t *nsec)
{
	(void)ctx;
	*secs = 1391715327;
	*nsec = 0;
	return 0;
}

struct run {
	struct smve_master m;
	struct smve_master_config cfg;
	struct slave s;
	uint64_t now;
	bool delivered[EVENTS_TOTAL + 1];	/* handed over in a REPLY or STALE */
	bool committed[EVENTS_TOTAL + 1];	/* durably stored (committed) */
	unsigned int pending_ids[MARA_EVENTS_MAX], npending;
	bool connected;
	int commit_seq;			/* REPLY/STALE awaiting commit: its SEQ, or -1 */
	uint64_t commit_at;
	int uncommitted_seq;		/* the SEQ whose transaction is open, or -1 */
	int last_committed;		/* a re-ask of it (commit raced a reconnect) is harmless */
	bool control_open;
	unsigned int violations;
	char why[160];
	uint8_t tx[256];			/* a request being written in parts */
	size_t tx_len;
	/* the reply in flight: bytes and when they arrive */
	uint8_t wire[512];
	size_t wire_len;
	uint64_t wire_at;
};

static void violation(struct run *r, const char *msg, unsigned int a)
{
	if (!r->violations++)
		snprintf(r->why, sizeof(r->why), "%s (%u) at t=%llu", msg, a,
			 (unsigned long long)r->now);
}

static void handle(struct run *r, const struct smve_master_result *res)
{
	unsigned int i;

	switch (res->kind) {
	case SMVE_MR_REPLY:
	case SMVE_MR_STALE:
		r->npending = 0;
		for (i = 0; i < res->event_count; i++) {
			/* the slave numbers its events in the energy value (§5.8 byte order) */
			unsigned int id = res->events[i].value;

			if (id >= 1 && id <= EVENTS_TOTAL) {
				r->delivered[id] = true;
				r->pending_ids[r->npending++] = id;
			}
		}
		r->commit_seq = res->seq;
		/* the journal takes a while; sometimes longer than a poll interval */
		r->commit_at = r->now + rnd(4) * rnd(3000);
		break;
	case SMVE_MR_CONTROL:
		r->control_open = false;
		if (r->uncommitted_seq == res->seq)
			r->uncommitted_seq = -1;
		break;
	case SMVE_MR_GIVE_UP:
		smve_master_disconnected(&r->m, r->now);
		r->connected = false;
		r->wire_len = 0;
		r->tx_len = 0;
		break;
	default:
		break;
	}
}

static void check_written(struct run *r, const uint8_t *p, size_t n)
{
	struct mara_frame f;

	if (mara_parse(p, n, &f)) {
		violation(r, "master wrote an invalid frame", (unsigned int)n);
		return;
	}
	if (f.cmd == MARA_CMD_PEH) {
		if (f.seq != MARA_SEQ_PEH || f.dst != 0xFF)
			violation(r, "PEH without SEQ BB / DST FF", f.seq);
		if (r->uncommitted_seq >= 0)
			violation(r, "PEH while a transaction is open", (unsigned int)r->uncommitted_seq);
		return;
	}
	if (f.seq < 0x20 || f.seq > 0x7F)
		violation(r, "request SEQ outside 20..7F", f.seq);
	if (r->uncommitted_seq >= 0 && f.seq != r->uncommitted_seq)
		violation(r, "new SEQ before the previous transaction completed", f.seq);
	if (r->uncommitted_seq < 0 && f.seq == r->last_committed && f.cmd == MARA_CMD_POLL)
		return;
	r->uncommitted_seq = f.seq;
	if (f.cmd == MARA_CMD_CONTROL)
		r->control_open = true;
}

/* Write the master's output through the lossy channel to the slave. */
static void pump_output(struct run *r)
{
	const uint8_t *p;
	size_t n, len;

	while ((n = smve_master_output(&r->m, &p))) {
		size_t part = rnd(4) ? n : 1 + rnd((uint32_t)n);

		if (r->tx_len + part > sizeof(r->tx)) {
			violation(r, "request longer than a frame", (unsigned int)(r->tx_len + part));
			return;
		}
		memcpy(r->tx + r->tx_len, p, part);
		r->tx_len += part;
		smve_master_written(&r->m, part, r->now);
		if (part < n)
			continue;
		n = r->tx_len;
		r->tx_len = 0;
		check_written(r, r->tx, n);
		if (rnd(10) == 0)
			continue;	/* request lost */
		len = slave_request(&r->s, r->tx, n);
		if (!len || rnd(10) == 0)
			continue;	/* broadcast, or reply lost */
		r->wire_len = 0;
		if (rnd(8) == 0) {
			static const uint8_t noise[] = { 0x13, 0xFE, 0x02, 0x00 };

			memcpy(r->wire, noise, sizeof(noise));
			r->wire_len = sizeof(noise);
		}
		memcpy(r->wire + r->wire_len, r->s.reply, len);
		if (rnd(12) == 0)
			r->wire[r->wire_len + rnd((uint32_t)len)] ^= (uint8_t)(1 + rnd(255));
		r->wire_len += len;
		r->wire_at = r->now + rnd(200);
	}
}

static void deliver(struct run *r)
{
	struct smve_master_result res;
	const uint8_t *p = r->wire;
	size_t len = r->wire_len;

	r->wire_len = 0;
	while (len) {
		size_t chunk = rnd(3) ? len : 1 + rnd((uint32_t)len);
		const uint8_t *q = p;
		size_t ql = chunk;

		while (smve_master_input(&r->m, r->now, &q, &ql, &res))
			handle(r, &res);
		p += chunk;
		len -= chunk;
	}
}

static void check_acks(struct run *r)
{
	unsigned int id;

	for (id = 1; id <= r->s.next_event; id++)
		if (r->s.acked[id] && !r->committed[id])
			violation(r, "event acknowledged by the slave but never committed", id);
}

static void restart(struct run *r)
{
	struct smve_master_state st;

	smve_master_take_state(&r->m, &st);
	/* the journal crashed with the process: what was not committed is gone */
	r->commit_seq = -1;
	r->npending = 0;
	smve_master_init(&r->m, &r->cfg, &st);
	r->uncommitted_seq = st.complete ? -1 : st.last_seq;
	r->control_open = false;
	r->connected = false;
	r->wire_len = 0;
	r->tx_len = 0;
}

static void one_run(uint32_t seed, unsigned int *delivered_out, struct run *r)
{
	struct smve_master_result res;
	unsigned int step;

	rng = seed;
	memset(r, 0, sizeof(*r));
	r->s.last_seq = -1;
	r->commit_seq = -1;
	r->uncommitted_seq = -1;
	r->last_committed = -1;
	smve_master_config_defaults(&r->cfg);
	r->cfg.poll_interval_ms = 100;
	r->cfg.reply_timeout_ms = 500;
	r->cfg.peh_interval_s = 2;
	r->cfg.clock = fake_clock;
	smve_master_init(&r->m, &r->cfg, NULL);
	r->now = 1000;
	for (step = 0; step < 200000 && r->s.next_event < EVENTS_TOTAL; step++) {
		uint64_t dl;

		if (!r->connected) {
			smve_master_connected(&r->m, r->now);
			r->connected = true;
		}
		while (smve_master_tick(&r->m, r->now, &res))
			handle(r, &res);
		pump_output(r);
		if (r->wire_len && r->now >= r->wire_at)
			deliver(r);
		if (r->commit_seq >= 0 && r->now >= r->commit_at) {
			if (smve_master_commit(&r->m, (uint8_t)r->commit_seq, r->now) < 0)
				violation(r, "commit refused", (unsigned int)r->commit_seq);
			while (r->npending)
				r->committed[r->pending_ids[--r->npending]] = true;
			r->last_committed = r->commit_seq;
			if (r->uncommitted_seq == r->commit_seq)
				r->uncommitted_seq = -1;
			r->commit_seq = -1;
		}
		if (rnd(400) == 0 && r->m.ctl_count < SMVE_MASTER_CONTROL_QUEUE) {
			struct mara_control c = { (uint8_t)rnd(4), (uint8_t)rnd(16), (uint8_t)rnd(2) };

			smve_master_control(&r->m, &c, step);
		}
		if (rnd(700) == 0) {
			smve_master_disconnected(&r->m, r->now);
			r->connected = false;
			r->wire_len = 0;
			r->tx_len = 0;
		}
		if (rnd(3000) == 0)
			restart(r);
		/* the control outcome of an abandoned 0x13 closes its transaction */
		if (!r->connected || !r->control_open)
			while (smve_master_tick(&r->m, r->now, &res))
				handle(r, &res);
		check_acks(r);
		if (r->violations)
			break;
		dl = smve_master_deadline(&r->m);
		r->now += 1 + rnd(60);
		if (dl != SMVE_MASTER_NO_DEADLINE && dl > r->now && rnd(2))
			r->now = dl;
	}
	*delivered_out = 0;
	for (step = 1; step <= EVENTS_TOTAL; step++)
		*delivered_out += r->delivered[step] && r->committed[step];
}

int main(void)
{
	static struct run r;
	unsigned int i, delivered, bad = 0, complete = 0;

	for (i = 0; i < 40; i++) {
		one_run(0x1234567u + i * 7919u, &delivered, &r);
		if (r.violations) {
			if (!bad++)
				tap_diag("seed %u: %s", i, r.why);
		}
		complete += r.s.next_event == EVENTS_TOTAL && delivered >= EVENTS_TOTAL - EV_PER_REPLY;
	}
	IS(bad, 0, "no invariant violated in 40 seeded runs over a lossy channel");
	OK(complete >= 38, "runs make progress: %u of 40 produced and delivered every event",
	   complete);
	return tap_done();
}
