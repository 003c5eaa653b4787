// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: request processing shared by the concentrator and the bus. */
#include "station.h"
#include "util.h"

#include <string.h>

unsigned int station_fixed_payload(const struct mara_layout *l,
				   unsigned int first, unsigned int n)
{
	unsigned int i, bytes = 4;	/* the four count bytes */

	for (i = first; i < first + n && i < l->count; i++)
		bytes += l->ied[i].sv_bytes + 2u * l->ied[i].di_words +
			 2u * l->ied[i].ai_words;
	return bytes;
}

static void put_words(uint8_t *p, const uint16_t *w, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n; k++) {
		p[2 * k] = (uint8_t)w[k];
		p[2 * k + 1] = (uint8_t)(w[k] >> 8);
	}
}

static unsigned int build_poll(struct station *st, const struct target *t,
			       const struct mara_frame *f, uint8_t *out)
{
	struct gen *g = &st->gen;
	uint8_t payload[MARA_PAYLOAD_MAX];
	unsigned int i, pos, cnt, fixed = 4, room, nev;
	int len;

	for (i = t->first; i < t->first + t->n; i++) {
		if (t->report_overflow)
			g->ied[i].overflow = t->slave->q.overflow;
		gen_refresh_sv(g, i);
		fixed += g->ied[i].nsv + 2u * g->ied[i].ndi + 2u * g->ied[i].nai;
	}
	/* §5.2: as many events as fit in 253 bytes, at most max_events. */
	room = fixed <= MARA_PAYLOAD_MAX ? (MARA_PAYLOAD_MAX - fixed) / 10 : 0;
	if (room > t->max_events)
		room = t->max_events;
	nev = slave_take(t->slave, &st->log, room, f->seq);

	pos = 0;
	cnt = pos++;
	for (i = t->first; i < t->first + t->n; i++) {
		memcpy(payload + pos, g->ied[i].sv, g->ied[i].nsv);
		pos += g->ied[i].nsv;
	}
	payload[cnt] = (uint8_t)(pos - cnt);
	cnt = pos++;
	for (i = t->first; i < t->first + t->n; i++) {
		put_words(payload + pos, g->ied[i].di, g->ied[i].ndi);
		pos += 2u * g->ied[i].ndi;
	}
	payload[cnt] = (uint8_t)(pos - cnt);
	cnt = pos++;
	for (i = t->first; i < t->first + t->n; i++) {
		put_words(payload + pos, g->ied[i].ai, g->ied[i].nai);
		pos += 2u * g->ied[i].nai;
	}
	payload[cnt] = (uint8_t)(pos - cnt);
	payload[pos++] = (uint8_t)(1 + 10 * nev);
	for (i = 0; i < nev; i++) {
		memcpy(payload + pos, slave_event(t->slave, i)->raw,
		       MARA_EVENT_LEN);
		pos += MARA_EVENT_LEN;
	}
	len = mara_build(out, MARA_QTY_MAX, f->src, t->addr, f->seq,
			 MARA_CMD_POLL, payload, pos);
	return len > 0 ? (unsigned int)len : 0;
}

/* Queue the events of a replayed frame and hand them all out. */
static void replay_events(struct station *st, const struct target *t,
			  const uint8_t *frame, unsigned int len, uint8_t seq)
{
	struct mara_frame f;
	struct mara_sections s;
	unsigned int k;

	if (mara_parse(frame, len, &f) ||
	    mara_sections_parse(f.payload, f.payload_len, &s))
		return;		/* verified at load time; cannot happen */
	for (k = 0; k < s.ev_count; k++) {
		const uint8_t *raw = s.ev + k * MARA_EVENT_LEN;

		slave_push_event(t->slave, &st->log, raw[0] & 0x1F, raw);
	}
	slave_take(t->slave, &st->log, s.ev_count, seq);
}

static enum req_result poll(struct station *st, const struct target *t,
			    const struct mara_frame *f, uint8_t *out,
			    unsigned int *len)
{
	if (f->payload_len) {
		sim_log(1, "0x10 with a %u-byte payload ignored", f->payload_len);
		return REQ_IGNORED;
	}
	if (st->replaying) {
		int n = replay_next(&st->replay, out, f->src, t->addr, f->seq);

		if (!n) {
			sim_log(1, "replay finished: poll SEQ %02X not answered",
				f->seq);
			return REQ_IGNORED;
		}
		slave_ack(t->slave, &st->log, f->seq);
		replay_events(st, t, out, (unsigned int)n, f->seq);
		*len = (unsigned int)n;
	} else {
		gen_advance(&st->gen);
		slave_ack(t->slave, &st->log, f->seq);
		*len = build_poll(st, t, f, out);
		if (!*len)
			return REQ_IGNORED;
	}
	slave_store(t->slave, f->seq, out, *len);
	return REQ_FRESH;
}

static enum req_result control(struct station *st, const struct target *t,
			       const struct mara_frame *f, uint8_t *out,
			       unsigned int *len)
{
	struct mara_control c;
	uint8_t payload[3];
	int n, rc = -1;

	if (mara_decode_control(f, &c) || f->payload_len != 3) {
		sim_log(1, "malformed 0x13 (%u-byte payload) ignored",
			f->payload_len);
		return REQ_IGNORED;
	}
	/* A new SEQ acknowledges the previous reply's events, whatever the command. */
	slave_ack(t->slave, &st->log, f->seq);
	if (!st->replaying && t->ctl_index >= 0)
		rc = gen_control(&st->gen, (unsigned int)t->ctl_index, c.port,
				 c.bit, c.state);
	sim_log(1, "0x13 port %u bit %u state %u: %s", c.port, c.bit, c.state,
		rc ? "refused (Bit = FF)" : "executed");
	payload[0] = c.port;
	payload[1] = rc ? MARA_CONTROL_BIT_ERROR : c.bit;
	payload[2] = c.state;
	n = mara_build(out, MARA_QTY_MAX, f->src, t->addr, f->seq,
		       MARA_CMD_CONTROL, payload, sizeof(payload));
	if (n <= 0)
		return REQ_IGNORED;
	*len = (unsigned int)n;
	slave_store(t->slave, f->seq, out, *len);
	return REQ_FRESH;
}

enum req_result station_request(struct station *st, const struct target *t,
				 const struct mara_frame *f, uint8_t *out,
				 unsigned int *len)
{
	struct slave *s = t->slave;

	if (slave_is_retry(s, f->seq)) {
		memcpy(out, s->retry, s->retry_len);
		*len = s->retry_len;
		sim_log(1, "SEQ %02X repeats the stored SEQ %02X: retry buffer (SEQ %02X)",
			f->seq, s->stored_seq, s->retry[4]);
		return REQ_RETRY;
	}
	switch (f->cmd) {
	case MARA_CMD_POLL:
		return poll(st, t, f, out, len);
	case MARA_CMD_CONTROL:
		return control(st, t, f, out, len);
	default:
		sim_log(1, "unsupported command %02X from %02X ignored", f->cmd,
			f->src);
		return REQ_IGNORED;
	}
}

bool station_broadcast(struct station *st, const struct mara_frame *f,
		       struct slave *slaves, unsigned int n)
{
	struct mara_time t;
	unsigned int i;
	int64_t ns;
	u8 dow;

	if (f->cmd != MARA_CMD_PEH) {
		sim_log(1, "broadcast command %02X ignored", f->cmd);
		return false;
	}
	if (f->payload_len != MARA_PEH_PAYLOAD_LEN ||
	    mara_decode_peh(f, &t, &dow) || dow > 7 ||
	    (ns = simclock_from_mara(&t)) < 0) {
		sim_log(1, "invalid PEH ignored");
		return false;
	}
	gen_peh(&st->gen, ns);
	for (i = 0; i < n; i++)
		slave_broadcast(&slaves[i], f->seq);
	sim_log(1, "PEH SEQ %02X: clock set to %04u-%02u-%02u %02u:%02u:%02u",
		f->seq, t.year, t.month, t.day, t.hour, t.minute, t.second);
	return true;
}
