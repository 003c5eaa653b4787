// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: slave rules of spec §3.1 and the per-link event queue. */
#include "ied.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static uint64_t next_id = 1;

uint64_t sim_event_next_id(void)
{
	return next_id++;
}

void slave_init(struct slave *s, unsigned int cap, enum seq_cmp cmp,
		enum bcast_seq bcast)
{
	memset(s, 0, sizeof(*s));
	s->cmp = cmp;
	s->bcast = bcast;
	s->q.cap = cap;
	s->q.ev = calloc(cap ? cap : 1, sizeof(*s->q.ev));
	if (!s->q.ev)
		sim_fatal(0, "out of memory for an event queue of %u", cap);
}

void slave_free(struct slave *s)
{
	free(s->q.ev);
	s->q.ev = NULL;
}

static struct sim_event *evq_at(const struct evq *q, unsigned int i)
{
	return &q->ev[(q->head + i) % q->cap];
}

bool slave_push_event(struct slave *s, struct eventlog *log, uint8_t addr,
		      const uint8_t raw[MARA_EVENT_LEN])
{
	struct evq *q = &s->q;
	struct sim_event *e;
	uint64_t id = sim_event_next_id();

	if (q->count >= q->cap) {
		q->refused++;
		q->overflow = true;
		eventlog_write(log, "refused", addr, id, -1, raw);
		sim_log(2, "event %llu of IED %u refused: queue full (%u)",
			(unsigned long long)id, addr, q->cap);
		return false;
	}
	e = evq_at(q, q->count);
	e->id = id;
	e->addr = addr;
	memcpy(e->raw, raw, MARA_EVENT_LEN);
	q->count++;
	return true;
}

bool slave_is_retry(const struct slave *s, uint8_t seq)
{
	uint8_t mask = s->cmp == SEQ_CMP_BIT7 ? 0x80 : 0xFF;

	return s->has_seq && s->retry_len &&
	       ((seq ^ s->stored_seq) & mask) == 0;
}

void slave_ack(struct slave *s, struct eventlog *log, uint8_t seq)
{
	struct evq *q = &s->q;
	unsigned int i;

	for (i = 0; i < q->inflight; i++) {
		const struct sim_event *e = evq_at(q, i);

		eventlog_write(log, "ack", e->addr, e->id, seq, e->raw);
	}
	q->head = (q->head + q->inflight) % q->cap;
	q->count -= q->inflight;
	q->inflight = 0;
	if (q->count < q->cap)
		q->overflow = false;
}

unsigned int slave_take(struct slave *s, struct eventlog *log,
			unsigned int max, uint8_t seq)
{
	struct evq *q = &s->q;
	unsigned int i, n = q->count < max ? q->count : max;

	q->inflight = n;
	for (i = 0; i < n; i++) {
		const struct sim_event *e = evq_at(q, i);

		eventlog_write(log, "out", e->addr, e->id, seq, e->raw);
	}
	return n;
}

const struct sim_event *slave_event(const struct slave *s, unsigned int i)
{
	return evq_at(&s->q, i);
}

void slave_store(struct slave *s, uint8_t seq, const uint8_t *frame,
		 unsigned int len)
{
	s->stored_seq = seq;
	s->has_seq = true;
	if (len > sizeof(s->retry))
		len = 0;
	memcpy(s->retry, frame, len);
	s->retry_len = (uint8_t)len;
}

void slave_broadcast(struct slave *s, uint8_t seq)
{
	switch (s->bcast) {
	case BCAST_SEQ_STORE:
		s->stored_seq = seq;
		s->has_seq = true;
		break;
	case BCAST_SEQ_AA:
		s->stored_seq = 0xAA;
		s->has_seq = true;
		break;
	case BCAST_SEQ_NONE:
		break;
	}
}

void slave_reset(struct slave *s)
{
	s->has_seq = false;
	s->retry_len = 0;
	s->q.inflight = 0;
}
