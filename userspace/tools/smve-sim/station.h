/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: what a simulated station does with a verified frame, shared by
 * the concentrator (TCP) and the bus (RS485): the slave rules of §3.1
 * applied to 0x10 (generated or replayed reply), 0x13 (output control)
 * and broadcasts (PEH sets the simulated clock).  Transport, timing and
 * faults stay with the callers.
 */
#ifndef SMVE_SIM_STATION_H
#define SMVE_SIM_STATION_H

#include <stdbool.h>
#include <stdint.h>
#include <smve/mara.h>

#include "eventlog.h"
#include "gen.h"
#include "ied.h"
#include "replay.h"
#include "simclock.h"

struct station {
	struct simclock clock;
	struct gen gen;
	struct eventlog log;
	struct replay replay;
	bool replaying;		/* 0x10 replies come from replay, not gen */
};

/* One addressable slave and what its 0x10 reply covers. */
struct target {
	struct slave *slave;
	uint8_t addr;		/* our address: DST we answer, SRC we send */
	unsigned int first;	/* IEDs [first, first + n) of the model */
	unsigned int n;
	int ctl_index;		/* IED whose outputs 0x13 drives; -1: none */
	unsigned int max_events;	/* per reply (2 for an IED, §5.2) */
	bool report_overflow;	/* SV bit 5 from the slave's queue latch */
};

enum req_result {
	REQ_IGNORED,		/* nothing changed, nothing to send */
	REQ_RETRY,		/* the stored reply, byte for byte (rule 1) */
	REQ_FRESH,		/* processed; a new reply was stored (rule 2) */
};

/*
 * Handle a verified frame addressed to @t->addr.  On REQ_RETRY/REQ_FRESH
 * the reply is in @out (capacity MARA_QTY_MAX) and its length in *@len.
 */
enum req_result station_request(struct station *st, const struct target *t,
				 const struct mara_frame *f, uint8_t *out,
				 unsigned int *len);

/*
 * Handle a verified broadcast (DST FF): a valid PEH sets the clock; then
 * every slave of the array @slaves[0..n) applies the broadcast's SEQ (rule 4).  Invalid or
 * unknown broadcasts change nothing.  Returns true when processed.
 */
bool station_broadcast(struct station *st, const struct mara_frame *f,
		       struct slave *slaves, unsigned int n);

/*
 * Payload bytes of a 0x10 reply for IEDs [first, first + n) without
 * events; callers validate layouts with it (must be <= MARA_PAYLOAD_MAX).
 */
unsigned int station_fixed_payload(const struct mara_layout *l,
				   unsigned int first, unsigned int n);

#endif
