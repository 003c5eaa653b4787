/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: the slave side of one Mara link (spec §3.1): the stored SEQ,
 * the retry buffer and the event queue whose head is "in flight" (handed
 * out in the stored reply, acknowledged by the next new SEQ).  The
 * concentrator has one per simulator (it survives TCP reconnects); the
 * bus has one per IED.
 */
#ifndef SMVE_SIM_IED_H
#define SMVE_SIM_IED_H

#include <stdbool.h>
#include <stdint.h>
#include <smve/mara.h>

#include "eventlog.h"

struct sim_event {
	uint64_t id;		/* unique per run, for the events log */
	uint8_t addr;		/* IED the event belongs to */
	uint8_t raw[MARA_EVENT_LEN];
};

/* Bounded FIFO; entries [0, inflight) were handed out in the stored reply. */
struct evq {
	struct sim_event *ev;	/* owned, cap entries */
	unsigned int cap;
	unsigned int head;
	unsigned int count;
	unsigned int inflight;
	uint64_t refused;	/* events refused because the queue was full */
	bool overflow;		/* refused since the last ack that made room */
};

enum seq_cmp {
	SEQ_CMP_BYTE,		/* whole SEQ byte (the COMaster) */
	SEQ_CMP_BIT7,		/* bit 7 only (stricter IED assumption) */
};

enum bcast_seq {
	BCAST_SEQ_STORE,	/* store the broadcast's SEQ (observed, BugPeH) */
	BCAST_SEQ_AA,		/* store 0xAA (one firmware build) */
	BCAST_SEQ_NONE,		/* leave the stored SEQ alone */
};

struct slave {
	uint8_t stored_seq;
	bool has_seq;
	uint8_t retry_len;	/* 0: no retry buffer */
	uint8_t retry[MARA_QTY_MAX];
	enum seq_cmp cmp;
	enum bcast_seq bcast;
	struct evq q;
};

/* Allocate a queue of @cap events (exits on allocation failure). */
void slave_init(struct slave *s, unsigned int cap, enum seq_cmp cmp,
		enum bcast_seq bcast);
void slave_free(struct slave *s);

/* A fresh event id (ids are unique across all slaves of the process). */
uint64_t sim_event_next_id(void);

/*
 * Queue an event.  Returns false (and counts, sets the overflow latch,
 * logs "refused") when the queue is full.
 */
bool slave_push_event(struct slave *s, struct eventlog *log, uint8_t addr,
		      const uint8_t raw[MARA_EVENT_LEN]);

/* Rule 1: true when @seq repeats the stored SEQ and a retry buffer exists. */
bool slave_is_retry(const struct slave *s, uint8_t seq);

/*
 * Rule 2, first half: a new request acknowledges the events of the stored
 * reply: they are logged as "ack" with @seq and removed.
 */
void slave_ack(struct slave *s, struct eventlog *log, uint8_t seq);

/*
 * Mark up to @max queued events in flight and return how many; they are
 * logged as "out" with @seq.  Read them with slave_event(s, i).
 */
unsigned int slave_take(struct slave *s, struct eventlog *log,
			unsigned int max, uint8_t seq);
const struct sim_event *slave_event(const struct slave *s, unsigned int i);

/* Rule 2, second half: remember @seq and the reply sent for it. */
void slave_store(struct slave *s, uint8_t seq, const uint8_t *frame,
		 unsigned int len);

/* Rule 4: apply a processed broadcast's SEQ per the configured effect. */
void slave_broadcast(struct slave *s, uint8_t seq);

/* Forget the stored SEQ and retry buffer; in-flight events go back to queued. */
void slave_reset(struct slave *s);

#endif
